/*
 * The emulator's view of the VM (struct emu_ops, traps.h): guest linear
 * memory through the guest's page tables, port I/O onto the device bus,
 * control-register writes, the host TSC and the virtual CPUID.  Every
 * emulation starts from vm_emu_ctxt().
 */
#include <string.h>

#include "vm_internal.h"

/* ---- Guest memory through the guest's page tables (the emulator's view) ---- */

/* The guest's tables map 'la' outside RAM: there is nothing to map. */
void vm_bad_gpa(struct vm *vm, u64 la, u64 gpa)
{
	vm_kill(vm, "guest page tables point outside RAM: %#llx -> GPA %#llx (RAM is %llu MiB)",
		(unsigned long long)la, (unsigned long long)gpa,
		(unsigned long long)(vm->ram_size >> 20));
}

static int vm_set_pf(struct emu_ctxt *c, u64 la, u32 errcode)
{
	c->exc = (struct emu_exception){ .vector = X86_EXC_PF, .has_errcode = true,
					 .errcode = errcode, .cr2 = la };
	return -1;
}

static int vm_set_gp(struct emu_ctxt *c)
{
	c->exc = (struct emu_exception){ .vector = X86_EXC_GP, .has_errcode = true };
	return -1;
}

/* Translate 'la' for 'acc' at the vCPU's CPL, setting A/D bits; returns the
 * monitor's pointer to it, or NULL with c->exc filled. */
static u8 *vm_translate(struct emu_ctxt *c, u64 la, enum emu_access acc)
{
	struct vm *vm = c->opaque;
	struct vcpu *v = c->vcpu;
	struct gwalk w;

	if (!shadow_gva_usable(la)) {
		vm_set_gp(c);
		return NULL;
	}
	int r = shadow_walk(vm->ram, vm->ram_size, v->cr0, v->cr3, v->efer, la, acc,
			    v->cpl, true, &w);
	if (r == SHADOW_WALK_BAD_GPA) {
		vm_bad_gpa(vm, la, w.gpa);
		vm_set_gp(c);
		return NULL;
	}
	if (r < 0) {
		vm_set_pf(c, la, w.errcode);
		return NULL;
	}
	return vm->ram + w.gpa;
}

/* Write guest RAM on the guest's behalf (n bytes within one page).  A
 * tracked page table gets its old entries compared with the new ones, so
 * the shadow mappings they covered are dropped (shadow.c part iii). */
void vm_write_ram(struct vm *vm, u64 gpa, const void *src, unsigned n)
{
	shadow_mark_dirty(&vm->shadow, gpa);    /* a migration's dirty log */
	if (!shadow_tracked(&vm->shadow, gpa)) {
		memcpy(vm->ram + gpa, src, n);
		return;
	}
	u8 old[4096 + 16];
	u64 lo = gpa & ~7ull, hi = (gpa + n + 7) & ~7ull;
	memcpy(old, vm->ram + lo, hi - lo);
	memcpy(vm->ram + gpa, src, n);
	int r = shadow_written(&vm->shadow, lo, old, hi - lo);
	if (r < 0)
		vm_host_error(vm, r, "dropping the shadow mappings of the page table at GPA %#llx",
			      (unsigned long long)lo);
}

/* vm_write_ram() for len bytes at gpa that may cross pages (in RAM). */
void vm_write_ram_span(struct vm *vm, u64 gpa, const u8 *src, u64 len)
{
	for (u64 off = 0; off < len; ) {
		unsigned n = 4096 - ((gpa + off) & 4095);
		if (n > len - off)
			n = (unsigned)(len - off);
		vm_write_ram(vm, gpa + off, src + off, n);
		off += n;
	}
}

/* Copy between guest linear memory and buf, one page piece at a time.  A
 * write is all or nothing (the emulator's contract): every piece is
 * translated before the first byte is written. */
static int vm_copy(struct emu_ctxt *c, u64 la, void *buf, unsigned len,
		   enum emu_access acc, bool to_guest)
{
	u8 *b = buf;

	if (to_guest)
		for (u64 p = la & ~0xfffull; p < la + len; p += 4096)
			if (!vm_translate(c, p < la ? la : p, acc))
				return -1;
	while (len) {
		unsigned n = 4096 - (la & 4095);
		if (n > len)
			n = len;
		u8 *p = vm_translate(c, la, acc);
		if (!p)
			return -1;
		if (to_guest)
			vm_write_ram(c->opaque, p - ((struct vm *)c->opaque)->ram, b, n);
		else
			memcpy(b, p, n);
		la += n;
		b += n;
		len -= n;
	}
	return 0;
}

int op_read(struct emu_ctxt *c, u64 la, void *buf, unsigned len, enum emu_access acc)
{
	return vm_copy(c, la, buf, len, acc, false);
}

static int op_write(struct emu_ctxt *c, u64 la, const void *buf, unsigned len,
		    enum emu_access acc)
{
	struct vm *vm = c->opaque;
	int r = vm_copy(c, la, (void *)buf, len, acc, true);

	if (r == 0 && vm->gdb)                  /* a debugger's watchpoint? */
		gdb_watch_write(vm, la, len);
	return r;
}

/* ---- Ports ---- */

static void vm_port_stat(struct vm *vm, u16 port, const char *dev, u64 t0)
{
	char name[32];
	snprintf(name, sizeof(name), "%#06x %s", port, dev ? dev : "(none)");
	stats_add(&vm->stats, STAT_PORT, name, now_ns() - t0);
}

static void vm_pio(struct vm *vm, u16 port, unsigned size, bool is_write, u32 *val)
{
	u64 t0 = now_ns();
	vm->pit.now_ns = t0;                    /* the PIT computes counts from it */
	const struct pio_range *r = bus_io(&vm->bus, port, size, is_write, val);

	vm_port_stat(vm, port, r ? r->name : NULL, t0);
	/* A device whose state the outside world depends on changed: a new
	 * PIT period needs the host timer re-armed, a drained UART FIFO can
	 * take more queued input. */
	if (r && r->fn == pit_io && is_write)
		vm_sync_timer(vm);
	if (r && r->fn == uart_io && !is_write)
		vm_feed_uart(vm);
	if (r && r->fn == rtc_io)
		rtc_update(&vm->rtc);
	if (vm->dbgexit.fired || vm->qemu_exit.fired) {
		vm->stop = true;
		vm->exit_status = vm->dbgexit.fired ? vm->dbgexit.status : vm->qemu_exit.status;
	}
}

static int op_pio_in(struct emu_ctxt *c, u16 port, unsigned size, u32 *val)
{
	vm_pio(c->opaque, port, size, false, val);
	return 0;
}

static int op_pio_out(struct emu_ctxt *c, u16 port, unsigned size, u32 val)
{
	vm_pio(c->opaque, port, size, true, &val);
	return 0;
}

/* ---- Control registers, TLB, time, CPUID ---- */

/* The shadow is kept coherent by tracking (shadow.c part iii): INVLPG and
 * CR3 loads have nothing left to flush.  They are counted. */
static void op_invlpg(struct emu_ctxt *c, u64 la)
{
	struct vm *vm = c->opaque;
	vm->shadow.st.invlpgs++;
}

static void op_cr_written(struct emu_ctxt *c, int n, u64 old)
{
	struct vm *vm = c->opaque;
	u64 now = n == 0 ? c->vcpu->cr0 : n == 4 ? c->vcpu->cr4 : c->vcpu->cr3;
	int r = 0;

	if (n == 3)
		vm->shadow.st.cr3_loads++;
	/* WP, PG and PGE change what every cached mapping allows. */
	if ((n == 0 && ((old ^ now) & (X86_CR0_WP | X86_CR0_PG))) ||
	    (n == 4 && ((old ^ now) & X86_CR4_PGE)))
		r = shadow_flush_all(&vm->shadow);
	if (r < 0)
		vm_host_error(vm, r, "dropping every shadow mapping after a change of CR%u", n);
}

static u64 op_host_tsc(struct emu_ctxt *c)
{
	return host_tsc();
}

void op_cpuid(struct emu_ctxt *c, u32 leaf, u32 subleaf, u32 out[4])
{
	vcpu_cpuid(leaf, subleaf, out);
	/* CPUID.1:ECX.OSXSAVE mirrors the guest's CR4, not the host's. */
	if (leaf == 1)
		out[2] = (out[2] & ~(1u << 27)) |
			 (c->vcpu->cr4 & X86_CR4_OSXSAVE ? 1u << 27 : 0);
}


static const struct emu_ops vm_emu_ops = {
	.read = op_read,
	.write = op_write,
	.pio_in = op_pio_in,
	.pio_out = op_pio_out,
	.invlpg = op_invlpg,
	.cr_written = op_cr_written,
	.host_tsc = op_host_tsc,
	.cpuid = op_cpuid,
	.hypercall = op_hypercall,
};

void vm_emu_ctxt(struct vm *vm, struct emu_ctxt *c)
{
	memset(c, 0, sizeof(*c));
	c->vcpu = &vm->vcpu;
	c->ops = &vm_emu_ops;
	c->opaque = vm;
}
