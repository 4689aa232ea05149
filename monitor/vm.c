/*
 * The VM: guest RAM, devices, the shadow contexts and the vCPU run loop.
 *
 * vm_run() is the whole life of the guest, read top to bottom (kvmtool's
 * kvm_cpu__start, UML's userspace()): pick the context for the vCPU's CR3
 * and privilege level, flush pending mapping changes, load the registers,
 * resume, wait, save the registers, classify the stop and handle it with
 * one call per case.  Every stop is counted by reason with its handling
 * time (--stats).
 *
 * Host faults mean different things to the guest:
 *   SIGSEGV, SI_KERNEL   #GP in ring 3: a privileged instruction to emulate,
 *                        or a real #GP to reflect
 *   SIGSEGV, MAPERR/ACCERR  a page fault: hidden (the shadow lacks a page the
 *                        guest maps) or the guest's own #PF
 *   SIGILL               #UD;  SIGFPE #DE;  SIGTRAP #BP (INT3) or #DB
 *   syscall stop         the guest's SYSCALL (or INT 0x80)
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include "vm.h"
#include "stub.h"
#include "trapvisor/boot.h"
#include "trapvisor/debug.h"

/* Buffers the vCPU thread passes data through, one use at a time.  They
 * hang off struct vm (allocated by vm_create(): too large for the stack)
 * so that two VMs in one process share nothing. */
struct vm_scratch {
	u8 fpu[HOST_FPU_MAX] __attribute__((aligned(64))); /* one XSAVE image (the
	                          * paravirtual FPU: vm_fpu_save(), HC_PV_REGISTER) */
	u8 blk[PV_BLK_MAX * ATA_SECTOR]; /* HC_BLK_IO: a read on its way to guest RAM */
	u8 code[2 * 4096 + 16];  /* vm_patch_scan(): the page before, the page, 16 bytes */
};

/* The same fault at the same place this many times in a row means the
 * monitor is not making progress: stop rather than spin. */
#define VM_MAX_REPEAT_FAULTS 16

static const char *const exc_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#09",
	"#TS", "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM",
	"#VE", "#CP",
};

static const char *exc_name(unsigned v)
{
	return v < 32 && exc_names[v] ? exc_names[v] : "INT";
}

static u64 now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

void vm_kill(struct vm *vm, const char *fmt, ...)
{
	va_list ap;

	if (vm->stop)
		return;
	va_start(ap, fmt);
	vsnprintf(vm->kill_reason, sizeof(vm->kill_reason), fmt, ap);
	va_end(ap);
	vm->stop = true;
	vm->crashed = true;
	vm->exit_status = EXIT_GUEST_CRASH;
}

/* A host failure: the monitor itself cannot go on.  The reason is "what
 * failed: why" (err is -errno); vm_report() prints it as the one
 * "trapvisor: host failure: ..." line that exit status 1 comes with. */
static void __attribute__((format(printf, 3, 4)))
vm_host_error(struct vm *vm, int err, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (vm->stop)
		return;
	va_start(ap, fmt);
	vsnprintf(vm->kill_reason, sizeof(vm->kill_reason), fmt, ap);
	va_end(ap);
	n = strlen(vm->kill_reason);
	snprintf(vm->kill_reason + n, sizeof(vm->kill_reason) - n, ": %s", strerror(-err));
	vm->stop = true;
	vm->crashed = true;
	vm->exit_status = EXIT_HOST_ERROR;
}

/* ---- Guest memory through the guest's page tables (the emulator's view) ---- */

static bool gva_usable(u64 la)
{
	return la >= GUEST_VA_MIN && la < GUEST_VA_END;
}

/* The guest's tables map 'la' outside RAM: there is nothing to map. */
static void vm_bad_gpa(struct vm *vm, u64 la, u64 gpa)
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

	if (!gva_usable(la)) {
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
static void vm_write_ram_span(struct vm *vm, u64 gpa, const u8 *src, u64 len)
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

static int op_read(struct emu_ctxt *c, u64 la, void *buf, unsigned len, enum emu_access acc)
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

static void vm_sync_timer(struct vm *vm);
static void vm_feed_uart(struct vm *vm);

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
	return __rdtsc();
}

static void op_cpuid(struct emu_ctxt *c, u32 leaf, u32 subleaf, u32 out[4])
{
	vcpu_cpuid(leaf, subleaf, out);
	/* CPUID.1:ECX.OSXSAVE mirrors the guest's CR4, not the host's. */
	if (leaf == 1)
		out[2] = (out[2] & ~(1u << 27)) |
			 (c->vcpu->cr4 & X86_CR4_OSXSAVE ? 1u << 27 : 0);
}

/* ---- The paravirtual interrupt flag (boot.h, struct pv_vcpu) ---- */

static struct pv_vcpu *vm_pv(struct vm *vm)
{
	return vm->pv_gpa ? (struct pv_vcpu *)(vm->ram + vm->pv_gpa) : NULL;
}

/* What the paravirtual kernel reads instead of SGDT, SIDT, SLDT, STR,
 * SMSW, MOV from a segment register and PUSHF's IOPL (boot.h): all of it
 * changes only through instructions that trap, so writing it before each
 * resume keeps it exact whenever the guest runs. */
static void vm_pv_cpu_state(const struct vcpu *v, volatile struct pv_cpu_state *s)
{
	s->cr0 = v->cr0;
	s->gdt_base = v->gdtr.base;
	s->gdt_limit = v->gdtr.limit;
	s->idt_base = v->idtr.base;
	s->idt_limit = v->idtr.limit;
	s->ldtr = v->ldtr;
	s->tr = v->tr;
	s->es = v->seg[SEG_ES];
	s->cs = v->seg[SEG_CS];
	s->ss = v->seg[SEG_SS];
	s->ds = v->seg[SEG_DS];
	s->fs = v->seg[SEG_FS];
	s->gs = v->seg[SEG_GS];
	s->iopl = (v->rflags & X86_RFLAGS_IOPL) >> 12;
}

/* After a stop: the guest may have written vif; it is the interrupt flag. */
static void vm_pv_sync_in(struct vm *vm)
{
	struct pv_vcpu *pv = vm_pv(vm);

	if (pv)
		vm->vcpu.rflags = (vm->vcpu.rflags & ~X86_RFLAGS_IF) |
				  (pv->vif ? X86_RFLAGS_IF : 0);
}

/* Before resuming: emulation or delivery may have changed IF; and tell the
 * guest whether an interrupt waits for it. */
static void vm_pv_sync_out(struct vm *vm)
{
	struct pv_vcpu *pv = vm_pv(vm);

	if (!pv)
		return;
	pv->vif = !!(vm->vcpu.rflags & X86_RFLAGS_IF);
	pv->pending = pic_intr(&vm->pic);
	vm_pv_cpu_state(&vm->vcpu, &pv->cpu);
	if (atomic_load(&vm->io.winsize_seq) != vm->winsize_seq) {
		u32 ws = atomic_load(&vm->io.winsize);
		vm->winsize_seq = atomic_load(&vm->io.winsize_seq);
		pv->console_rows = ws >> 16;
		pv->console_cols = ws & 0xffff;
		pv->console_seq++;
	}
}

/*
 * HC_BLK_IO: the paravirtual disk, the same image as the ATA disk, one
 * request per hypercall straight between the file and guest RAM (boot.h).
 * Reads land through vm_write_ram(), so a buffer that overlaps a tracked
 * page table or patched code page keeps the shadow coherent.  Counted
 * with the ATA disk's sectors.
 */
/* A host I/O error on the paravirtual path: counted with the disk's. */
static s64 vm_blk_failed(struct ata_disk *d)
{
	d->errors++;
	return -5;                                 /* EIO */
}

static s64 vm_blk_io(struct vm *vm, u64 op, u64 sector, u64 count, u64 gpa)
{
	u8 *buf = vm->scratch->blk;
	struct ata_disk *d = &vm->ata;
	u64 len = count * ATA_SECTOR;

	if (d->fd < 0)
		return -6;                       /* ENXIO */
	if (op == PV_BLK_FLUSH) {
		if (fdatasync(d->fd) == 0) {
			d->flushes++;
			return 0;
		}
		d->last_errno = errno;
		return vm_blk_failed(d);
	}
	if (op > PV_BLK_WRITE || count == 0 || count > PV_BLK_MAX || sector >= d->sectors ||
	    count > d->sectors - sector)
		return -22;                      /* EINVAL */
	if (gpa >= vm->ram_size || len > vm->ram_size - gpa)
		return -14;                      /* EFAULT */
	if (op == PV_BLK_WRITE) {
		if (d->read_only)
			return -30;              /* EROFS */
		if (ata_file_io(d, vm->ram + gpa, len, sector * ATA_SECTOR, true) < 0)
			return vm_blk_failed(d);
		d->sectors_written += count;
		return 0;
	}
	if (ata_file_io(d, buf, len, sector * ATA_SECTOR, false) < 0)
		return vm_blk_failed(d);
	vm_write_ram_span(vm, gpa, buf, len);
	d->sectors_read += count;
	return 0;
}

/* ---- The paravirtual FPU (boot.h) ---- */

/* A guest area [gpa, gpa + fpu_size) is usable: 64-byte aligned, in RAM. */
static bool vm_fpu_area_ok(struct vm *vm, u64 gpa)
{
	return gpa && gpa % 64 == 0 && gpa < vm->ram_size && vm->ram_size - gpa >= vm->fpu_size;
}

/* Write the live user FPU state into its area (vm->fpu_live_gpa).
 * Returns 0, or -1 if there is none or the area is bad. */
static int vm_fpu_save(struct vm *vm)
{
	struct shadow *sh = &vm->shadow;
	int n;

	if (!sh->fpu || !vm_fpu_area_ok(vm, vm->fpu_live_gpa))
		return -1;
	n = host_get_fpu(sh->fpu->pid, vm->scratch->fpu, sizeof(vm->scratch->fpu));
	if (n < 0) {
		vm_host_error(vm, n, "reading the FPU state of context process %d", sh->fpu->pid);
		return -1;
	}
	vm_write_ram_span(vm, vm->fpu_live_gpa, vm->scratch->fpu, (u64)n);
	vm->fpu_saves++;
	return 0;
}

/*
 * The vCPU enters user mode in context c with the paravirtual FPU on:
 * make c hold the state of the area pv->fpu_gpa.  Returns false after
 * stopping the VM (a bad area, or an image the host refuses).
 */
static bool vm_fpu_enter_user(struct vm *vm, struct pv_vcpu *pv, struct context *c)
{
	struct shadow *sh = &vm->shadow;
	u64 gpa = pv->fpu_gpa;
	int err;

	if (gpa == vm->fpu_live_gpa && !pv->fpu_reload) {
		if (sh->fpu && sh->fpu != c && (err = host_move_fpu(sh->fpu->pid, c->pid)) < 0) {
			vm_host_error(vm, err, "moving the FPU state from context process %d to %d",
				      sh->fpu->pid, c->pid);
			return false;
		}
		sh->fpu = c;
		return true;
	}
	if (!vm_fpu_area_ok(vm, gpa)) {
		vm_kill(vm, "paravirtual FPU area at GPA %#llx is not a %u-byte, 64-byte aligned area in RAM",
			(unsigned long long)gpa, vm->fpu_size);
		return false;
	}
	/* The live state goes home first, unless it is this very area being
	 * reloaded (execve: the new program's image replaces it). */
	if (vm->fpu_live_gpa && vm->fpu_live_gpa != gpa)
		vm_fpu_save(vm);
	err = host_set_fpu(c->pid, vm->ram + gpa, vm->fpu_size);
	if (err < 0) {
		vm_kill(vm, "the paravirtual FPU area at GPA %#llx holds a state the host refuses (%s)",
			(unsigned long long)gpa, strerror(-err));
		return false;
	}
	vm->fpu_live_gpa = gpa;
	vm->fpu_loads++;
	pv->fpu_reload = 0;
	sh->fpu = c;
	return true;
}

/* VMCALL from the guest kernel: the paravirtual interface (boot.h). */
static int op_hypercall(struct emu_ctxt *c, u64 nr, const u64 args[5], u64 *ret)
{
	static const char *const names[] = {
		[HC_VERSION] = "hypercall version", [HC_PV_REGISTER] = "hypercall pv register",
		[HC_IRQ_WINDOW] = "hypercall irq window", [HC_DESC_QUERY] = "hypercall desc query",
		[HC_CPUID] = "hypercall cpuid", [HC_BLK_INFO] = "hypercall blk info",
		[HC_BLK_IO] = "hypercall blk io", [HC_FPU_SAVE] = "hypercall fpu save",
		[HC_NMI_WATCHDOG] = "hypercall nmi watchdog",
		[HC_USER_FAULT] = "hypercall user fault",
	};
	struct vm *vm = c->opaque;

	stats_add(&vm->stats, STAT_EXIT, nr < sizeof(names) / sizeof(names[0]) && names[nr] ?
		  names[nr] : "hypercall unknown", 0);
	switch (nr) {
	case HC_VERSION:
		*ret = HC_ABI_VERSION;
		break;
	case HC_PV_REGISTER:
		/* Page-aligned, inside RAM: then vif is the interrupt flag. */
		if ((args[0] & 0xfff) || args[0] == 0 || args[0] >= vm->ram_size ||
		    vm->ram_size - args[0] < 4096) {
			*ret = (u64)-22;
			break;
		}
		if (!vm->fpu_size && vm->shadow.cur) {
			int n = host_get_fpu(vm->shadow.cur->pid, vm->scratch->fpu,
					     sizeof(vm->scratch->fpu));
			vm->fpu_size = n > 0 ? (u32)n : 0;
		}
		vm->pv_gpa = args[0];
		vm->fpu_live_gpa = 0;
		vm_pv(vm)->fpu_size = vm->fpu_size;
		vm_pv_sync_out(vm);
		*ret = 0;
		break;
	case HC_FPU_SAVE:
		*ret = vm_pv(vm) && vm_fpu_save(vm) == 0 ? 0 : (u64)-14;
		break;
	case HC_IRQ_WINDOW:
		*ret = 0;               /* the stop itself lets the loop deliver */
		break;
	case HC_NMI_WATCHDOG:
		*ret = (u64)vm_watchdog_arm(vm, args[0], now_ns());
		vm_sync_timer(vm);      /* the host timer, for the new deadline */
		break;
	case HC_DESC_QUERY: {
		u64 val;
		int ok;

		if (args[0] > PV_DESC_VERW) {
			*ret = (u64)-22;
			break;
		}
		/* PV_DESC_* are the emulator's query order (boot.h, traps.h). */
		ok = emu_desc_query(c, (enum emu_desc_query)args[0], (u16)args[1], &val);
		if (ok < 0)
			return -1;      /* the instruction would fault: so does this */
		*ret = ok ? val : (u64)-1;
		break;
	}
	case HC_BLK_INFO:
		*ret = vm->ata.fd >= 0 ? vm->ata.sectors : (u64)-6;
		break;
	case HC_BLK_IO:
		*ret = (u64)vm_blk_io(vm, args[0], args[1], args[2], args[3]);
		break;
	case HC_USER_FAULT:             /* --backtrace-user (unwind.c) */
		*ret = (u64)unwind_user_fault(vm, args[0], stderr);
		break;
	case HC_CPUID: {
		u32 out[4];

		/* 16-byte aligned, so the buffer lies within one page. */
		if (args[2] % 16 || args[2] >= vm->ram_size) {
			*ret = (u64)-14;         /* -EFAULT */
			break;
		}
		op_cpuid(c, (u32)args[0], (u32)args[1], out);   /* as the instruction */
		vm_write_ram(vm, args[2], out, sizeof(out));
		*ret = 0;
		break;
	}
	default:
		*ret = (u64)-38;                /* -ENOSYS */
		break;
	}
	return 0;
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

static void vm_emu_ctxt(struct vm *vm, struct emu_ctxt *c)
{
	memset(c, 0, sizeof(*c));
	c->vcpu = &vm->vcpu;
	c->ops = &vm_emu_ops;
	c->opaque = vm;
}

/* ---- Events into the guest ---- */

/* Deliver exception 'e' through the guest IDT (a triple fault stops the VM). */
static void vm_deliver(struct vm *vm, const struct emu_exception *e)
{
	struct emu_ctxt c;
	char name[32];
	u64 t0 = now_ns();

	vm_emu_ctxt(vm, &c);
	c.exc = *e;
	vm->vcpu.halted = false;
	int r = emu_inject(&c, e->vector, e->has_errcode, e->errcode, e->soft);
	if (r == EMU_TRIPLE_FAULT)
		vm_kill(vm, "triple fault: %s could not be delivered (IDT base %#llx limit %#x)",
			exc_name(e->vector), (unsigned long long)vm->vcpu.idtr.base,
			vm->vcpu.idtr.limit);
	if (e->vector < 32)
		snprintf(name, sizeof(name), "exception %s", exc_name(e->vector));
	else
		snprintf(name, sizeof(name), "int 0x%02x", e->vector);
	stats_add(&vm->stats, STAT_EXIT, name, now_ns() - t0);
}

static void vm_raise(struct vm *vm, u8 vector, u32 errcode, u64 cr2)
{
	struct emu_exception e = { .vector = vector, .has_errcode = x86_has_errcode(vector),
				   .errcode = errcode, .cr2 = cr2 };
	vm_deliver(vm, &e);
}

/* ---- Stop handlers ---- */

static void vm_chain(struct vm *vm);

/* SYSEMU stop: the guest's SYSCALL, or INT 0x80 (a host syscall gate in a
 * 64-bit process, told apart by its bytes). */
static void vm_syscall(struct vm *vm)
{
	struct emu_ctxt c;
	u8 b[2] = { 0, 0 };
	u64 t0 = now_ns();

	vm_emu_ctxt(vm, &c);
	if (op_read(&c, vm->vcpu.rip - 2, b, 2, EMU_FETCH) == 0 && b[0] == 0xcd && b[1] == 0x80) {
		struct emu_exception e = { .vector = 0x80, .soft = true };
		vm_deliver(vm, &e);
		return;
	}
	if (vm->vcpu.cpl == 3)          /* a guest program's system call, by number */
		stats_syscall(&vm->stats, vm->vcpu.gpr[R_RAX]);
	bool ok = emu_syscall(&c) != EMU_EXCEPTION;
	if (!ok)
		vm_deliver(vm, &c.exc);
	stats_add(&vm->stats, STAT_EXIT, "syscall", now_ns() - t0);
	if (ok)
		vm_chain(vm);
}

static bool vm_emulate(struct vm *vm, u8 vector);

/*
 * Instructions that trap one right after another in guest kernel mode:
 * SYSCALL lands on the kernel's SWAPGS, and the way out is SWAPGS then
 * SYSRETQ or IRETQ.  Once the first is emulated, the next would only
 * cost another stop (a ptrace round trip) to reach the same emulator, so
 * emulate it now (--chain=on, the default; at most 3 in a row).  An
 * interrupt that became deliverable in between waits for the end of the
 * chain, as if it had arrived an instruction later.  Not while the guest
 * single-steps (TF), not after an exception, HLT or a stop.
 */
static void vm_chain(struct vm *vm)
{
	struct vcpu *v = &vm->vcpu;

	for (int n = 0; n < 3 && vm->opt.chain; n++) {
		struct emu_insn_info info;
		struct emu_ctxt c;
		u8 b[15];
		unsigned len = 15;

		if (vm->stop || v->cpl != 0 || v->halted || (v->rflags & X86_RFLAGS_TF) ||
		    (vm->gdb && gdb_wants_step(vm->gdb)))
			return;
		vm_emu_ctxt(vm, &c);
		if (4096 - (v->rip & 4095) < len)
			len = 4096 - (v->rip & 4095);
		if (op_read(&c, v->rip, b, len, EMU_FETCH) != 0 ||
		    emu_classify(b, len, v->rip, &info) < 0 ||
		    (strcmp(info.name, "swapgs") && strcmp(info.name, "sysret") &&
		     strcmp(info.name, "iretq")))
			return;
		vm->chained++;
		if (!vm_emulate(vm, X86_EXC_GP))
			return;
	}
}

/*
 * The host raised #GP for an unprivileged instruction the monitor does not
 * emulate: which exception is it on a CPU?  Its first memory reference at
 * a non-canonical address says: #SS(0) through SS, #GP(0) otherwise.  With
 * none, a non-canonical RSP means the host could not resume the guest at
 * all (this host faults on its way back to user mode, before the
 * instruction runs: docs/ARCHITECTURE.md), and the guest gets the #SS(0)
 * its next stack reference would raise, here rather than there.  Else the
 * #GP stands (a misaligned SSE operand...).
 */
static u8 vm_gp_vector(const struct vm *vm, const struct emu_ctxt *c)
{
	if (c->noncanonical_exc >= 0)
		return (u8)c->noncanonical_exc;
	return X86_CANONICAL(vm->vcpu.gpr[R_RSP]) ? X86_EXC_GP : X86_EXC_SS;
}

/* An instruction trapped with #GP (or #UD): emulate it, or reflect 'vector'
 * when it is not one the monitor emulates.  True if it was emulated and
 * execution goes on at the next instruction (not HLT, no exception). */
static bool vm_emulate(struct vm *vm, u8 vector)
{
	struct emu_ctxt c;
	u64 t0 = now_ns();
	enum emu_result r;

	vm_emu_ctxt(vm, &c);
	switch (r = emu_step(&c)) {
	case EMU_OK:
	case EMU_HALT:
		vm->emulated++;
		stats_add(&vm->stats, STAT_INSN, c.name, now_ns() - t0);
		return r == EMU_OK;
	case EMU_EXCEPTION:
		vm_deliver(vm, &c.exc);
		break;
	case EMU_UNHANDLEABLE:
		/* Not an instruction the monitor emulates.  A privileged one in
		 * guest kernel mode would not fault on real hardware, so
		 * reflecting the host's #GP would lie to the guest: stop and
		 * show it.  Otherwise the fault is the guest's own (a
		 * non-canonical access, a user-mode privileged instruction). */
		if (vm->vcpu.cpl == 0 && c.privileged && c.why)
			vm_kill(vm, "the guest kernel executed %s, which the monitor does not emulate here: %s",
				c.name, c.why);
		else if (vm->vcpu.cpl == 0 && c.privileged)
			vm_kill(vm, "the guest kernel executed %s, a privileged instruction the monitor does not emulate",
				c.name);
		else if (vector == X86_EXC_GP && !c.privileged)
			vm_raise(vm, vm_gp_vector(vm, &c), 0, 0);
		else
			vm_raise(vm, vector, 0, 0);
		break;
	}
	return false;
}

/* A guest kernel code page is about to be mapped executable for the first
 * time (shadow.c part vi): decode it from the known entry points (the
 * faulting RIP and the kernel's function symbols, from the page before it
 * on, so functions that start there are followed in) and, if it holds
 * silent-fail instructions, install a copy with INT3 on each. */
void vm_patch_scan(struct vm *vm, u64 la, const struct gwalk *w)
{
	enum { MAX_SITES = 256, MAX_ENTRIES = 512 };
	u8 *code = vm->scratch->code;
	u64 entries[MAX_ENTRIES];
	struct emu_ctxt c;
	u64 page = la & ~0xfffull, base = page;
	size_t len = 0;
	int ne = 0;

	vm_emu_ctxt(vm, &c);
	/* The page before (if readable), the page, and 16 bytes after it. */
	if (page - 4096 >= GUEST_VA_MIN && op_read(&c, page - 4096, code, 4096, EMU_READ_SYS) == 0)
		base = page - 4096, len = 4096;
	if (op_read(&c, page, code + len, 4096, EMU_READ_SYS) < 0)
		return;
	len += 4096;
	if (op_read(&c, page + 4096, code + len, 16, EMU_READ_SYS) == 0)
		len += 16;
	if (vm->vcpu.rip >= base && vm->vcpu.rip < base + len)
		entries[ne++] = vm->vcpu.rip;
	for (int i = 0; i < vm->ksyms.n && ne < MAX_ENTRIES; i++)
		if (vm->ksyms.sym[i].addr >= base && vm->ksyms.sym[i].addr < page + 4096)
			entries[ne++] = vm->ksyms.sym[i].addr;

	struct patch_site *sites = calloc(MAX_SITES, sizeof(*sites));
	if (!sites)
		return;
	int n = patch_scan(code, len, base, entries, ne, page, sites, MAX_SITES);
	vm->shadow.st.pages_scanned++;
	if (n <= 0) {
		free(sites);
		if (n == 0 && shadow_mark_clean(&vm->shadow, w->gpa & ~0xfffull) < 0)
			vm_host_error(vm, -ENOMEM, "tracking the scanned code page at GPA %#llx",
				      (unsigned long long)(w->gpa & ~0xfffull));
		return;
	}
	u8 copy[4096];
	memcpy(copy, vm->ram + (w->gpa & ~0xfffull), 4096);
	patch_apply(copy, page, sites, n);
	int r = shadow_add_copy(&vm->shadow, w->gpa & ~0xfffull, page, copy, sites, n);
	if (r < 0 && r != -ENOSPC)
		vm_host_error(vm, r, "installing the patched copy of the code page at GPA %#llx",
			      (unsigned long long)(w->gpa & ~0xfffull));
}

/* INT3 at RIP-1 in guest kernel mode: one of our patches?  Then emulate
 * the original instruction, which is still in guest RAM. */
static bool vm_patch_trap(struct vm *vm)
{
	struct vcpu *v = &vm->vcpu;
	struct gwalk w;
	u64 site = v->rip - 1;

	if (!vm->opt.patch || v->cpl != 0 ||
	    shadow_walk(vm->ram, vm->ram_size, v->cr0, v->cr3, v->efer, site, EMU_READ_SYS,
			0, false, &w) != 0 ||
	    !shadow_site(&vm->shadow, w.gpa, site))
		return false;
	v->rip = site;
	vm_emulate(vm, X86_EXC_GP);
	stats_add(&vm->stats, STAT_EXIT, "patched instruction", 0);
	return true;
}

/* The guest wrote a tracked page table (write-protected in every context),
 * or a page a debugger watches.  Emulate the instruction; one the emulator
 * does not know makes the page untracked (dropping all it translated) and
 * writable, then runs natively: slower, never wrong.  (A watched page is
 * writable for that one instruction, single-stepped: gdb_target.c.) */
static void vm_pt_write(struct vm *vm, struct context *ctx, u64 la, const struct gwalk *w)
{
	struct emu_ctxt c;
	int r;

	vm_emu_ctxt(vm, &c);
	switch (emu_step(&c)) {
	case EMU_OK:
	case EMU_HALT:
		return;
	case EMU_EXCEPTION:
		vm_deliver(vm, &c.exc);
		return;
	case EMU_UNHANDLEABLE:
		r = vm->gdb ? gdb_watch_suspend(vm, w->gpa) : 0;
		if (r == 0 && shadow_tracked(&vm->shadow, w->gpa)) {
			vm->shadow.st.untracked_other++;
			r = shadow_untrack(&vm->shadow, w->gpa);
		}
		if (r == 0)
			r = shadow_fill(&vm->shadow, ctx, la, w, &vm->vcpu);
		if (r < 0)
			vm_host_error(vm, r, "untracking the page table at GPA %#llx",
				      (unsigned long long)w->gpa);
		return;
	}
}

/* A host page fault at 'la'.  'present': the context had the page mapped,
 * with too little access (a write to a read-only page, or a fetch from a
 * non-executable one). */
static void vm_page_fault(struct vm *vm, struct context *ctx, u64 la, bool present)
{
	struct vcpu *v = &vm->vcpu;
	struct emu_ctxt c;
	struct gwalk w;
	bool writes = false;
	u64 t0 = now_ns();

	/* What kind of access?  The host does not pass the error code to a
	 * tracer.  If the instruction cannot be read, the fetch faulted.  Else
	 * a fault inside its own bytes is a fetch, unless the page is present
	 * and the instruction writes memory (it may write its own bytes); a
	 * fault anywhere else is data, and the decoder tells whether it
	 * writes.  (Not "within 15 bytes of RIP": a PUSH with RSP just past
	 * it was taken for a fetch, mapped again, and faulted forever.) */
	vm_emu_ctxt(vm, &c);
	bool fetch = emu_decode_access(&c, &writes) < 0 ||
		     (la >= v->rip && la - v->rip < c.insn_len && !(present && writes));
	enum emu_access acc = fetch ? EMU_FETCH : (writes || present) ? EMU_WRITE : EMU_READ;

	if (!gva_usable(la)) {
		/* Page 0 cannot be mapped in the host.  Where the guest's own
		 * tables do not map it either (a NULL pointer), the guest gets
		 * the page fault a CPU would give it, with CR2; anything else
		 * there, and the addresses above the guest's range, are #GP. */
		struct gwalk w0 = { 0 };
		int r0 = la < GUEST_VA_MIN ? shadow_walk(vm->ram, vm->ram_size, v->cr0, v->cr3,
							 v->efer, la, acc, v->cpl, false, &w0) : 0;
		if (r0 < 0 && r0 != SHADOW_WALK_BAD_GPA && !(w0.errcode & PFEC_P)) {
			vm->shadow.st.guest_faults++;
			vm_raise(vm, X86_EXC_PF, w0.errcode, la);
			return;
		}
		vm_raise(vm, X86_EXC_GP, 0, 0);
		return;
	}

	int r = shadow_walk(vm->ram, vm->ram_size, v->cr0, v->cr3, v->efer, la, acc,
			    v->cpl, true, &w);
	if (r < 0 && acc == EMU_WRITE && !present && (w.errcode & PFEC_P)) {
		/* The decoder's "writes memory" may be about another operand
		 * (MOVS, PUSH m): if the page may be read, map it for reading;
		 * a real write then faults again, on a present page. */
		struct gwalk rd;
		if (shadow_walk(vm->ram, vm->ram_size, v->cr0, v->cr3, v->efer, la, EMU_READ,
				v->cpl, true, &rd) == 0) {
			w = rd;
			r = 0;
		}
	}
	if (r == SHADOW_WALK_BAD_GPA) {
		vm_bad_gpa(vm, la, w.gpa);
		return;
	}
	if (r < 0) {
		vm->shadow.st.guest_faults++;
		vm_raise(vm, X86_EXC_PF, w.errcode, la);
		stats_add(&vm->stats, STAT_EXIT, "guest page fault", now_ns() - t0);
		return;
	}
	/* A write to a page table the guest may write: emulate it, so the
	 * shadow learns what changed (vm_write_ram). */
	if (present && acc == EMU_WRITE && shadow_tracked(&vm->shadow, w.gpa)) {
		if (vm->trace)
			trace_instant(vm->trace, "page-table write", la);
		vm_pt_write(vm, ctx, la, &w);
		stats_add(&vm->stats, STAT_EXIT, "page-table write", now_ns() - t0);
		return;
	}
	if (present && acc == EMU_WRITE && shadow_watched(&vm->shadow, w.gpa)) {
		vm_pt_write(vm, ctx, la, &w);
		stats_add(&vm->stats, STAT_EXIT, "write to a watched page", now_ns() - t0);
		return;
	}
	/* Kernel code (executable, supervisor-only) is scanned once; user
	 * mode needs no patching: there these instructions act as in ring 3. */
	if (vm->opt.patch && !ctx->user && !w.nx && !w.user && !shadow_scanned(&vm->shadow, w.gpa))
		vm_patch_scan(vm, la, &w);
	if (vm->trace)
		trace_instant(vm->trace, "hidden fault", la);
	r = shadow_fill(&vm->shadow, ctx, la, &w, v);
	if (r < 0)
		vm_host_error(vm, r, "mapping guest address %#llx (GPA %#llx) into context process %d",
			      (unsigned long long)la, (unsigned long long)w.gpa, ctx->pid);
	stats_add(&vm->stats, STAT_EXIT, "hidden page fault", now_ns() - t0);
}

/*
 * The host raised #AC: the host runs with CR0.AM set, so a misaligned
 * access with RFLAGS.AC set faults there.  It is the guest's #AC only at
 * CPL 3 with its own CR0.AM set; otherwise its AC flag has no effect on a
 * real CPU, so drop it (only PUSHF would tell) and let the access retry.
 */
static void vm_alignment_check(struct vm *vm)
{
	struct vcpu *v = &vm->vcpu;

	if (v->cpl == 3 && (v->cr0 & X86_CR0_AM)) {
		vm_raise(vm, X86_EXC_AC, 0, 0);
		return;
	}
	if (v->cpl == 3 && !(v->rflags & X86_RFLAGS_AC)) {
		/* Not AC: the host's split-lock detection (a locked access
		 * across a cache line), which no guest setting can clear. */
		vm_kill(vm, "the host refused a split-locked access (split_lock_detect)");
		return;
	}
	v->rflags &= ~X86_RFLAGS_AC;
	stats_add(&vm->stats, STAT_EXIT, "#AC dropped (no CR0.AM)", 0);
}

static void vm_signal(struct vm *vm, struct context *ctx, const struct trap_event *ev)
{
	struct vcpu *v = &vm->vcpu;

	switch (ev->signo) {
	case SIGSEGV:
		if (ev->code == SI_KERNEL) {
			if (vm_emulate(vm, X86_EXC_GP))
				vm_chain(vm);
		} else
			vm_page_fault(vm, ctx, ev->addr, ev->code == SEGV_ACCERR);
		break;
	case SIGILL:
		vm_emulate(vm, X86_EXC_UD);
		break;
	case SIGBUS:
		/* SI_KERNEL: the host's #SS (a stack reference to a
		 * non-canonical address) or #NP; the emulator finds the
		 * exception itself where it can, else the guest gets #SS(0).
		 * BUS_ADRALN: #AC, with RFLAGS.AC set at CPL 3. */
		if (ev->code == SI_KERNEL)
			vm_emulate(vm, X86_EXC_SS);
		else if (ev->code == BUS_ADRALN)
			vm_alignment_check(vm);
		else
			vm_kill(vm, "host SIGBUS, code %d, address %#llx at rip %#llx", ev->code,
				(unsigned long long)ev->addr, (unsigned long long)v->rip);
		break;
	case SIGFPE:
		/* Integer divide errors are #DE; SSE and x87 errors #XM. */
		vm_raise(vm, ev->code == FPE_INTDIV || ev->code == FPE_INTOVF ?
			 X86_EXC_DE : X86_EXC_XM, 0, 0);
		break;
	case SIGTRAP:
		if (ev->code == SI_KERNEL) {         /* INT3: RIP is past it */
			struct emu_exception e = { .vector = X86_EXC_BP, .soft = true };
			if (vm->gdb && gdb_bp_hit(vm))   /* a debugger's breakpoint */
				break;
			if (vm_patch_trap(vm))
				break;
			vm_deliver(vm, &e);
		} else {
			vm_raise(vm, X86_EXC_DB, 0, 0);
		}
		break;
	default:
		vm_kill(vm, "unexpected host signal %d (%s), code %d, address %#llx at rip %#llx",
			ev->signo, strsignal(ev->signo), ev->code,
			(unsigned long long)ev->addr, (unsigned long long)v->rip);
		break;
	}
}

/* ---- Interrupts, time and the outside world ---- */

/* The I/O thread asked to quit: Ctrl-A x (status 0, as QEMU), or a signal
 * (128 + its number, as a shell reports it). */
static void vm_quit(struct vm *vm, int how)
{
	vm->stop = true;
	if (how == IO_QUIT_USER) {
		vm->exit_status = 0;
		snprintf(vm->kill_reason, sizeof(vm->kill_reason), "quit (Ctrl-A x)");
	} else {
		vm->exit_status = 128 + how;
		snprintf(vm->kill_reason, sizeof(vm->kill_reason), "stopped by %s", strsignal(how));
	}
	vm->quit_reported = true;
}

/* Move queued console input into the UART as far as its FIFO has room. */
static void vm_feed_uart(struct vm *vm)
{
	u8 b[32];
	unsigned room = uart_rx_space(&vm->com1);

	while (room) {
		size_t n = io_take_input(&vm->io, b, room < sizeof(b) ? room : sizeof(b));
		if (!n)
			break;
		uart_rx(&vm->com1, b, n);
		room -= n;
	}
}

s64 vm_watchdog_arm(struct vm *vm, u64 us, u64 now)
{
	if (us > PV_NMI_WATCHDOG_MAX_US)
		return -22;
	vm->nmi_deadline_ns = us ? now + us * 1000 : 0;
	return 0;
}

u64 vm_watchdog_check(struct vm *vm, u64 now, u64 next)
{
	if (vm->nmi_deadline_ns && now >= vm->nmi_deadline_ns) {
		vm->nmi_deadline_ns = 0;
		vm->vcpu.nmi_pending = true;
		stats_add(&vm->stats, STAT_EXIT, "nmi watchdog expired", 0);
	}
	if (vm->nmi_deadline_ns && (!next || vm->nmi_deadline_ns < next))
		next = vm->nmi_deadline_ns;
	return next;
}

/* Bring the PIT up to now, fire the NMI watchdog if its time has come, and
 * arm the host timer for whichever is next: the PIT's tick or the
 * watchdog.  The timer's expiry kicks the running context like any event,
 * so the vCPU thread gets a stop even from a guest that spins with IF=0
 * and never traps. */
static void vm_sync_timer(struct vm *vm)
{
	u64 now = now_ns();

	io_arm_timer(&vm->io, vm_watchdog_check(vm, now, pit_update(&vm->pit, now)));
}

/* Everything the I/O thread noted since the last look. */
static void vm_events(struct vm *vm)
{
	int quit;

	vm->seen_events = atomic_load(&vm->io.events);
	quit = atomic_load(&vm->io.quit);
	if (quit) {
		vm_quit(vm, quit);
		return;
	}
	ctl_events(vm);         /* Ctrl-A s, QMP commands, a pause */
	atomic_store(&vm->io.timer_fired, false);
	vm_feed_uart(vm);
	vm_sync_timer(vm);
}

/* Deliver a pending NMI if the vCPU takes one now (whatever IF says: not
 * while NMIs are blocked, emu_nmi()), then the PIC's highest-priority
 * request if the vCPU accepts it now: IF set and not in the
 * one-instruction shadow after STI. */
static void vm_interrupts(struct vm *vm)
{
	struct vcpu *v = &vm->vcpu;
	struct emu_ctxt c;
	char name[24];
	u64 t0 = now_ns();

	if (v->nmi_pending) {
		vm_emu_ctxt(vm, &c);
		int r = emu_nmi(&c);
		if (r == EMU_TRIPLE_FAULT)
			vm_kill(vm, "triple fault: an NMI could not be delivered");
		if (r != 0)
			stats_add(&vm->stats, STAT_EXIT, "nmi", now_ns() - t0);
		if (vm->stop)
			return;
		t0 = now_ns();
	}
	if (!pic_intr(&vm->pic) || !(v->rflags & X86_RFLAGS_IF) || v->sti_shadow)
		return;
	int vector = pic_ack(&vm->pic);
	vm_emu_ctxt(vm, &c);
	v->halted = false;
	if (emu_inject(&c, vector, false, 0, false) == EMU_TRIPLE_FAULT)
		vm_kill(vm, "triple fault: interrupt vector %#x could not be delivered", vector);
	snprintf(name, sizeof(name), "interrupt 0x%02x", vector);
	stats_add(&vm->stats, STAT_EXIT, name, now_ns() - t0);
}

/* The vCPU is halted: sleep until an event could wake it.  With IF clear
 * and no NMI to come (the watchdog off, or NMIs blocked), or with nothing
 * that could ever raise an interrupt, it never wakes: stop and say so
 * rather than hang. */
static void vm_idle(struct vm *vm)
{
	struct vcpu *v = &vm->vcpu;
	bool input_possible = !atomic_load(&vm->io.in_eof) || io_input_pending(&vm->io) ||
			      uart_rx_pending(&vm->com1);
	bool nmi_possible = vm->nmi_deadline_ns && !v->nmi_blocked;

	if (!(v->rflags & X86_RFLAGS_IF) && !nmi_possible) {
		vm_kill(vm, "guest halted with interrupts disabled: nothing can wake it");
		return;
	}
	if (!vm->io.armed_ns && !input_possible) {
		vm_kill(vm, "guest halted with interrupts enabled, but no timer is running and "
			"the console input has ended: nothing can wake it");
		return;
	}
	u64 t0 = now_ns();
	int r = io_sleep(&vm->io);
	if (r < 0)
		vm_host_error(vm, r, "waiting for an event while the guest is halted");
	vm->idle_ns += now_ns() - t0;
}

/* --shadow-check: the shadow must agree with the guest's tables. */
static void vm_shadow_check(struct vm *vm)
{
	char diff[512];

	if (shadow_check(&vm->shadow, &vm->vcpu, diff, sizeof(diff)) < 0)
		vm_kill(vm, "shadow check failed after %llu stops: %s",
			(unsigned long long)vm->stops, diff);
}

/* The context the vCPU must run in now, with the vCPU's FPU state in it. */
static struct context *vm_context(struct vm *vm)
{
	struct shadow *sh = &vm->shadow;
	int err = 0;
	struct context *c = shadow_context(sh, vm->vcpu.cr3, vm->vcpu.cpl == 3, &err);

	if (!c) {
		vm_host_error(vm, err, "cannot create a guest context process for CR3 %#llx%s",
			      (unsigned long long)vm->vcpu.cr3, err == -EAGAIN ?
			      " (fork: at a limit on processes: ulimit -u, or the cgroup's pids.max)" : "");
		return NULL;
	}
	if (c != sh->cur) {
		sh->st.ctx_switches++;
		sh->cur = c;
	}
	/* The paravirtual FPU: the state stays with user mode, and moves
	 * only when the guest names another process's area. */
	struct pv_vcpu *pv = vm_pv(vm);
	if (pv && !pv->fpu_gpa)
		vm->fpu_live_gpa = 0;   /* off (again): no area is live */
	if (pv && pv->fpu_gpa) {
		if (vm->vcpu.cpl == 3 && !vm_fpu_enter_user(vm, pv, c))
			return NULL;
		return c;
	}
	if (sh->fpu && sh->fpu != c) {
		err = host_move_fpu(sh->fpu->pid, c->pid);
		if (err < 0) {
			vm_host_error(vm, err, "moving the FPU state from context process %d to %d",
				      sh->fpu->pid, c->pid);
			return NULL;
		}
	}
	sh->fpu = c;
	return c;
}

int vm_run(struct vm *vm)
{
	struct vcpu *v = &vm->vcpu;
	struct trap_event ev;
	u64 last_rip = 0, last_addr = 0;
	bool moved = true;
	int repeats = 0, r;
	u64 t_start = now_ns();

	while (!vm->stop) {
		/* 0. A debugger's stop (gdbstub.c): serve it until it resumes. */
		if (vm->gdb)
			gdb_check(vm);
		/* 1. What happened outside; 2. an interrupt if the vCPU takes it
		 * (not during a debugger's single step). */
		if (atomic_load(&vm->io.events) != vm->seen_events)
			vm_events(vm);
		if (vm->mig)
			migrate_step(vm);       /* a live move: send more, or finish */
		if (!gdb_defers_interrupts(vm))
			vm_interrupts(vm);
		if (vm->stop)
			break;
		/* 3. A halted vCPU sleeps until the I/O thread wakes it. */
		if (v->halted) {
			vm_idle(vm);
			continue;
		}
		/* 4. The context, its pending mappings, the registers. */
		struct context *ctx = vm_context(vm);
		if (!ctx)
			break;
		r = ctx_flush(&vm->stub);
		if (r < 0) {
			vm_host_error(vm, r, "updating the mappings of context process %d", ctx->pid);
			break;
		}
		vm_pv_sync_out(vm);
		r = host_load_vcpu(ctx->pid, v);
		if (r < 0) {
			vm_host_error(vm, r, "loading the vCPU's registers into context process %d", ctx->pid);
			break;
		}
		/* 5. Run.  After STI with an interrupt or NMI waiting, exactly
		 * one instruction (the shadow), then the interrupt.  The I/O
		 * thread kicks the pid published here; an event noted before it
		 * was published is seen by the check that follows. */
		bool step = (v->sti_shadow && (pic_intr(&vm->pic) || v->nmi_pending)) ||
			    (vm->gdb && gdb_wants_step(vm->gdb));
		v->sti_shadow = false;
		if (vm->trace)
			trace_resume(vm->trace);
		atomic_store(&vm->io.running, ctx->pid);
		if (atomic_load(&vm->io.events) != vm->seen_events) {
			atomic_store(&vm->io.running, 0);
			continue;
		}
		r = host_run(ctx->pid, &ev, step);
		atomic_store(&vm->io.running, 0);
		if (r < 0) {
			vm_host_error(vm, r, "running the guest in context process %d", ctx->pid);
			break;
		}
		vm->stops++;
		if (vm->gdb)
			gdb_note_stop(vm->gdb, &ev);
		if (vm->opt.shadow_check && vm->stops % vm->opt.shadow_check == 0)
			vm_shadow_check(vm);
		if (ev.kind == TRAP_EXIT) {
			vm_kill(vm, "guest context process %d ended (%s %d)", ctx->pid,
				ev.status < 0 ? "signal" : "status", ev.status < 0 ? -ev.status : ev.status);
			ctx->used = false;
			break;
		}
		r = host_save_vcpu(ctx->pid, v, ev.kind == TRAP_SYSCALL);
		if (r < 0) {
			vm_host_error(vm, r, "reading the vCPU's registers from context process %d", ctx->pid);
			break;
		}
		vm_pv_sync_in(vm);
		if (ev.kind == TRAP_SYSCALL) {
			vm_syscall(vm);
			repeats = 0;
			continue;
		}
		/* A kick from the I/O thread, or our own single step: not the
		 * guest's business, unless the guest had set TF itself. */
		if (ev.signo == SIGUSR1 || (step && ev.signo == SIGTRAP && ev.code == TRAP_TRACE &&
					    !(v->rflags & X86_RFLAGS_TF))) {
			stats_add(&vm->stats, STAT_EXIT, ev.signo == SIGUSR1 ? "kick" : "single step", 0);
			continue;
		}
		/* Guard against a fault the monitor keeps "fixing" in vain: the
		 * same fault at the same place, with RIP not moved by its
		 * handling (an emulated instruction in a loop moves it; a long
		 * REP emulated in parts stays but moves RCX). */
		u64 rip = v->rip, rcx = v->gpr[R_RCX];
		if (rip == last_rip && ev.addr == last_addr && !moved) {
			if (++repeats > VM_MAX_REPEAT_FAULTS) {
				vm_kill(vm, "no progress: the same fault (signal %d, code %d, address %#llx) repeated %d times",
					ev.signo, ev.code, (unsigned long long)ev.addr, repeats);
				break;
			}
		} else {
			repeats = 0;
		}
		last_rip = rip;
		last_addr = ev.addr;
		vm_signal(vm, ctx, &ev);
		moved = v->rip != rip || v->gpr[R_RCX] != rcx;
	}
	vm->run_ns = now_ns() - t_start;
	if (vm->gdb)
		gdb_exited(vm);
	return vm->exit_status;
}

/* ---- Diagnostic ---- */

/* An address as "0x7f0000100739 kmain+0x39" when the kernel has symbols. */
static void vm_print_addr(struct vm *vm, FILE *f, u64 addr)
{
	u64 off;
	const char *name = ksyms_lookup(&vm->ksyms, addr, &off);

	fprintf(f, "%#llx", (unsigned long long)addr);
	if (name)
		fprintf(f, " %s+%#llx", name, (unsigned long long)off);
}

/* Print the vCPU, the code at RIP and a frame-pointer backtrace. */
static void vm_dump(struct vm *vm, FILE *f)
{
	static const char *const names[16] = {
		"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
		"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
	static const int order[16] = { 0, 3, 1, 2, 6, 7, 5, 4, 8, 9, 10, 11, 12, 13, 14, 15 };
	struct vcpu *v = &vm->vcpu;
	struct emu_ctxt c;
	u8 code[16];
	char text[96];

	fprintf(f, "  rip %016llx  rflags %016llx  cpl %u  cs %04x ss %04x\n",
		(unsigned long long)v->rip, (unsigned long long)v->rflags, v->cpl,
		v->seg[SEG_CS], v->seg[SEG_SS]);
	for (int i = 0; i < 16; i++)
		fprintf(f, "%s%-3s %016llx%s", i % 4 ? "  " : "  ", names[order[i]],
			(unsigned long long)v->gpr[order[i]], i % 4 == 3 ? "\n" : "");
	fprintf(f, "  cr0 %llx  cr2 %llx  cr3 %llx  cr4 %llx  efer %llx\n",
		(unsigned long long)v->cr0, (unsigned long long)v->cr2,
		(unsigned long long)v->cr3, (unsigned long long)v->cr4,
		(unsigned long long)v->efer);
	fprintf(f, "  gdt %llx/%x  idt %llx/%x  tr %04x  fs.base %llx  gs.base %llx\n",
		(unsigned long long)v->gdtr.base, v->gdtr.limit,
		(unsigned long long)v->idtr.base, v->idtr.limit, v->tr,
		(unsigned long long)v->fs_base, (unsigned long long)v->gs_base);
	if (v->last_vector >= 0)
		fprintf(f, "  last exception: %s (vector %d, error code %#llx) at rip %#llx\n",
			exc_name(v->last_vector), v->last_vector,
			(unsigned long long)v->last_errcode, (unsigned long long)v->last_rip);

	vm_emu_ctxt(vm, &c);
	unsigned n = 0;
	while (n < sizeof(code) && op_read(&c, v->rip + n, code + n, 1, EMU_READ_SYS) == 0)
		n++;
	if (n) {
		unsigned len = emu_disasm(code, n, v->rip, text, sizeof(text));
		fprintf(f, "  code at rip:");
		for (unsigned i = 0; i < (len ? len : n); i++)
			fprintf(f, " %02x", code[i]);
		fprintf(f, "   %s\n", len ? text : "(undecodable)");
	} else {
		fprintf(f, "  code at rip: not mapped in the guest page tables\n");
	}

	/* The guest kernel's stack by its unwind tables (unwind.c), then by
	 * the frame-pointer chain (the guest kernel keeps frame pointers,
	 * except where a function is built without them), which stops at the
	 * first unreadable frame: the fallback when the kernel has no unwind
	 * tables, and a comparison when it has. */
	unwind_kernel(vm, f);
	u64 fp = v->gpr[R_RBP];
	fprintf(f, "  backtrace (frame pointers): ");
	vm_print_addr(vm, f, v->rip);
	for (int depth = 0; depth < 16 && fp; depth++) {
		u64 frame[2];                   /* saved RBP, return address */
		if (op_read(&c, fp, frame, sizeof(frame), EMU_READ_SYS) < 0 || !frame[1])
			break;
		fprintf(f, " <- ");
		vm_print_addr(vm, f, frame[1]);
		if (frame[0] <= fp)             /* the chain must go up the stack */
			break;
		fp = frame[0];
	}
	fprintf(f, "\n");
}

/* ---- The measurement port (PORT_BENCH_MARK) ---- */

/* The guest marks the start or end of a phase with a 32-bit number: one CSV
 * row with the time and the trap counters, so bench/ can take differences
 * between marks (Firecracker's BootTimer, with counters). */
static void vm_bench_mark(void *dev, u16 offset, unsigned size, bool is_write, u32 *val)
{
	struct vm *vm = dev;
	const struct shadow_stats *s = &vm->shadow.st;

	if (!is_write) {
		*val = 0xffffffffu >> (32 - 8 * size);
		return;
	}
	if (!vm->bench)
		return;
	fprintf(vm->bench, "%u,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu\n", *val,
		(unsigned long long)now_ns(), (unsigned long long)vm->stops,
		(unsigned long long)s->hidden_faults, (unsigned long long)s->guest_faults,
		(unsigned long long)s->pt_writes, (unsigned long long)s->pt_entries_changed,
		(unsigned long long)s->ctx_switches, (unsigned long long)s->ctx_built,
		(unsigned long long)s->ctx_reused, (unsigned long long)s->cr3_loads);
}

/* PORT_TRAP_COUNT: lets a guest see whether an instruction trapped (the
 * silent-fail demonstration compares the count around it). */
static void vm_trap_count(void *dev, u16 offset, unsigned size, bool is_write, u32 *val)
{
	struct vm *vm = dev;

	if (!is_write)
		*val = (u32)vm->emulated & (0xffffffffu >> (32 - 8 * size));
}

/* ---- Lifecycle ---- */

static void vm_set_irq(void *opaque, int irq, int level)
{
	struct vm *vm = opaque;
	if (vm->trace)
		trace_irq(vm->trace, irq, level);
	pic_set_irq(&vm->pic, irq, level);
}

/* A device's interrupt line into the PIC. */
static struct irq_line vm_irq_line(struct vm *vm, int irq)
{
	return (struct irq_line){ .set = vm_set_irq, .opaque = vm, .irq = irq };
}

/* The RTC's clock: the host's wall clock (the guest may offset it). */
static int64_t vm_wall_ns(void *opaque)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The host TSC frequency in kHz, measured against CLOCK_MONOTONIC over
 * 20 ms (AMD hosts do not report it in CPUID 0x15). */
static u64 vm_tsc_khz(void)
{
	u64 t0 = now_ns(), c0 = __rdtsc(), t1, c1;
	struct timespec d = { 0, 20 * 1000 * 1000 };

	nanosleep(&d, NULL);
	t1 = now_ns();
	c1 = __rdtsc();
	return t1 > t0 ? (c1 - c0) * 1000000ull / (t1 - t0) : 0;
}

int vm_create(struct vm *vm, const struct vm_options *opt, char *err, size_t errlen)
{
	int r;

	memset(vm, 0, sizeof(*vm));
	vm->opt = *opt;
	vm->ram_fd = -1;
	vm->ata.fd = -1;
	vm->ram_size = opt->mem_size;
	vm->vcpu.last_vector = -1;

	/* 0. The vCPU thread's buffers. */
	vm->scratch = aligned_alloc(64, sizeof(*vm->scratch));
	if (!vm->scratch) {
		snprintf(err, errlen, "cannot allocate the monitor's buffers: %s", strerror(errno));
		goto err_host;
	}
	/* 1. Guest RAM: one memfd, mapped once here (HVA = ram + GPA). */
	vm->ram_fd = memfd_create("trapvisor-ram", MFD_CLOEXEC);
	if (vm->ram_fd < 0 || ftruncate(vm->ram_fd, vm->ram_size) < 0) {
		snprintf(err, errlen, "cannot allocate %llu MiB of guest RAM: %s",
			 (unsigned long long)(vm->ram_size >> 20), strerror(errno));
		goto err_host;
	}
	vm->ram = mmap(NULL, vm->ram_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->ram_fd, 0);
	if (vm->ram == MAP_FAILED) {
		vm->ram = NULL;
		snprintf(err, errlen, "cannot map %llu MiB of guest RAM: %s",
			 (unsigned long long)(vm->ram_size >> 20), strerror(errno));
		goto err_host;
	}
	/* 2. Devices on the port bus. */
	bus_init(&vm->bus);
	pic_init(&vm->pic);
	if (console_open(opt->console, &vm->console, err, errlen) < 0)
		goto err_host;
	uart_init(&vm->com1, vm->console.out_fd, vm_irq_line(vm, 4));
	if (vm->console.pty) {
		vm->com1.tx_stall_ms = 2000;   /* maybe nobody attached (console.c) */
		vm->com1.tx_onlcr = true;      /* as a host terminal's output would */
	}
	pit_init(&vm->pit, vm_irq_line(vm, 0));
	rtc_init(&vm->rtc, vm_irq_line(vm, 8), vm_wall_ns, vm);
	debug_exit_init(&vm->dbgexit, false);
	debug_exit_init(&vm->qemu_exit, true);
	ata_init(&vm->ata, -1, 0, false, NULL, NULL);   /* an empty channel */
	if (opt->disk && disk_open(opt->disk, &vm->ata, err, errlen) < 0) {
		vm_destroy(vm);
		return EXIT_USAGE;
	}
	vm->ata.irq = vm_irq_line(vm, ATA_IRQ);
	if (bus_register(&vm->bus, PORT_PIC_MASTER, 2, "pic", pic_master_io, &vm->pic) < 0 ||
	    bus_register(&vm->bus, PORT_PIC_SLAVE, 2, "pic", pic_slave_io, &vm->pic) < 0 ||
	    bus_register(&vm->bus, PORT_PIT, 4, "pit", pit_io, &vm->pit) < 0 ||
	    bus_register(&vm->bus, PORT_RTC, 2, "rtc", rtc_io, &vm->rtc) < 0 ||
	    bus_register(&vm->bus, PORT_COM1, 8, "com1", uart_io, &vm->com1) < 0 ||
	    bus_register(&vm->bus, PORT_DEBUG_EXIT, 1, "debug-exit", debug_exit_io, &vm->dbgexit) < 0 ||
	    bus_register(&vm->bus, PORT_QEMU_EXIT, 1, "qemu-exit", debug_exit_io, &vm->qemu_exit) < 0 ||
	    bus_register(&vm->bus, ATA_PORT_CMD, 8, "ata", ata_cmd_io, &vm->ata) < 0 ||
	    bus_register(&vm->bus, ATA_PORT_CTL, 1, "ata-ctl", ata_ctl_io, &vm->ata) < 0 ||
	    bus_register(&vm->bus, PORT_BENCH_MARK, 4, "bench-mark", vm_bench_mark, vm) < 0 ||
	    bus_register(&vm->bus, PORT_TRAP_COUNT, 4, "trap-count", vm_trap_count, vm) < 0) {
		snprintf(err, errlen, "device ports overlap");
		goto err_host;
	}
	if (opt->bench_log) {
		vm->bench = fopen(opt->bench_log, "w");
		if (!vm->bench) {
			snprintf(err, errlen, "%s: %s", opt->bench_log, strerror(errno));
			vm_destroy(vm);
			return EXIT_USAGE;
		}
		fprintf(vm->bench, "mark,ns,stops,hidden_faults,guest_faults,pt_writes,"
			"pt_entries_changed,ctx_switches,ctx_built,ctx_reused,cr3_loads\n");
	}
	if (opt->trace) {
		if (trace_open(&vm->trace, vm, opt->trace, opt->trace_limit, err, errlen) < 0) {
			vm_destroy(vm);
			return EXIT_USAGE;
		}
		vm->stats.trace = vm->trace;
	}
	/* 3. The kernel, initrd, boot_info and boot page tables; vCPU entry state. */
	if (loader_boot(vm, err, errlen) < 0) {
		vm_destroy(vm);
		return EXIT_USAGE;
	}
	/* 4. One CPU for the monitor and its contexts, the least loaded: they
	 * then hand over without an inter-processor wake-up (place.c). */
	r = place_start(&vm->place, opt, err, errlen);
	if (r < 0) {
		vm_destroy(vm);
		return -r;
	}
	/* 5. The stub and the shadow context pool. */
	if (stub_init(&vm->stub, vm->ram_fd, err, errlen) < 0)
		goto err_host;
	vm->stub.cpuid_faulting_off = !opt->cpuid_faulting;
	/* Where the host ignores RDTSC trapping, asking for it in every context
	 * only makes each switch to and from them dearer (CR4.TSD rewritten). */
	vm->stub.rdtsc_trap_off = host_rdtsc_traps() == 0;
	if (shadow_init(&vm->shadow, &vm->stub, vm->ram, vm->ram_size,
			opt->contexts ? opt->contexts : SHADOW_DEFAULT_CONTEXTS, opt->prefetch) < 0) {
		snprintf(err, errlen, "cannot allocate the shadow page bookkeeping");
		goto err_host;
	}
	/* The copies also carry a debugger's breakpoints (gdb_target.c). */
	if ((opt->patch || opt->gdb) && shadow_patch_init(&vm->shadow) < 0) {
		snprintf(err, errlen, "cannot set up code patching: %s", strerror(errno));
		goto err_host;
	}
	/* 6. Time: the guest's TSC runs at the host's rate; tell it how fast. */
	vm->tsc_khz = vm_tsc_khz();
	((struct boot_info *)(vm->ram + vm->vcpu.gpr[R_RDI]))->tsc_khz = vm->tsc_khz;
	/* 7. The I/O thread: console input, the timer, signals. */
	if (io_start(&vm->io, &vm->console, err, errlen) < 0)
		goto err_host;
	/* 8. Watch the CPU's load, and move the VM when it stays contended. */
	if (place_watch(&vm->place, err, errlen) < 0)
		goto err_host;
	/* 9. The GDB stub's socket and its connection thread (gdbstub.c). */
	if (opt->gdb && (r = gdb_create(vm, err, errlen)) != 0) {
		vm_destroy(vm);
		return r;
	}
	return 0;
err_host:
	vm_destroy(vm);
	return EXIT_HOST_ERROR;
}

static void vm_shadow_report(const struct shadow_stats *s, FILE *f)
{
#define C(x) ((unsigned long long)(x))
	fprintf(f, "\nshadow paging\n"
		"  hidden faults %llu (prefetched pages %llu), guest page faults %llu\n"
		"  page tables tracked %llu now, %llu at most, %llu ever; writes emulated %llu, "
		"entries changed %llu, shadow entries dropped %llu\n"
		"  made read-only on tracking %llu; untracked on write flooding %llu, "
		"on unemulated writes %llu; full flushes %llu\n"
		"  contexts built %llu, recycled %llu, switches %llu; CR3 loads %llu, invlpg %llu; "
		"checks %llu (%llu mappings)\n"
		"  code pages scanned %llu, silent-fail instructions patched %llu, "
		"patched copies dropped %llu\n"
		"  dirty log (migration): %llu pages logged as the guest wrote them, "
		"%llu write-protect passes\n",
		C(s->hidden_faults), C(s->prefetched), C(s->guest_faults),
		C(s->tracked_now), C(s->tracked_max), C(s->tracked_total), C(s->pt_writes),
		C(s->pt_entries_changed), C(s->sptes_dropped),
		C(s->wprotects), C(s->untracked_flood), C(s->untracked_other), C(s->full_flushes),
		C(s->ctx_built), C(s->ctx_reused), C(s->ctx_switches), C(s->cr3_loads),
		C(s->invlpgs), C(s->checks), C(s->checked),
		C(s->pages_scanned), C(s->patch_sites), C(s->copies_dropped),
		C(s->dirty_faults), C(s->dirty_passes));
#undef C
}

void vm_report(struct vm *vm, FILE *f)
{
	if (vm->quit_reported)
		fprintf(f, "\ntrapvisor: %s\n", vm->kill_reason);
	if (vm->crashed && vm->exit_status == EXIT_HOST_ERROR)
		fprintf(f, "trapvisor: host failure: %s\n", vm->kill_reason);
	else if (vm->crashed && vm->kill_reason[0]) {
		fprintf(f, "trapvisor: VM stopped: %s\n", vm->kill_reason);
		vm_dump(vm, f);
	}
	if (vm->opt.stats) {
		fprintf(f, "\n");
		stats_print(&vm->stats, f);
		vm_shadow_report(&vm->shadow.st, f);
		if (vm->fpu_loads)
			fprintf(f, "paravirtual FPU: %llu areas loaded, %llu saved (instead of a move "
				"at every kernel entry and exit)\n", (unsigned long long)vm->fpu_loads,
				(unsigned long long)vm->fpu_saves);
		if (vm->ata.fd >= 0)
			fprintf(f, "disk: %llu commands, %llu sectors read, %llu written, %llu flushes "
				"(fdatasync), %llu errors%s%s\n",
				(unsigned long long)vm->ata.commands,
				(unsigned long long)vm->ata.sectors_read,
				(unsigned long long)vm->ata.sectors_written,
				(unsigned long long)vm->ata.flushes,
				(unsigned long long)vm->ata.errors,
				vm->ata.last_errno ? "; last host error: " : "",
				vm->ata.last_errno ? strerror(vm->ata.last_errno) : "");
		fprintf(f, "instructions emulated %llu, of which %llu chained to the one before "
			"(--chain: no stop of their own)\n",
			(unsigned long long)vm->emulated, (unsigned long long)vm->chained);
		fprintf(f, "stub: %llu batches, %llu operations; %llu stops in all; "
			"CPUID faulting %s; RDTSC trapping %s\n",
			(unsigned long long)vm->stub.batches, (unsigned long long)vm->stub.ops,
			(unsigned long long)vm->stops,
			vm->stub.cpuid_faulting ? "on" :
			vm->stub.cpuid_faulting_off ? "off (--cpuid-faulting=off: CPUID runs natively)" :
			"unavailable on this host (CPUID runs natively)",
			!vm->stub.rdtsc_trap_off ? "on" :
			"not honoured by this host (RDTSC runs natively: the guest reads the host's TSC)");
		fprintf(f, "wall time %.3f ms, of which %.3f ms asleep in HLT: %.2f us per stop, "
			"host round trip and guest run time included\n",
			vm->run_ns / 1e6, vm->idle_ns / 1e6,
			vm->stops ? (vm->run_ns - vm->idle_ns) / 1e3 / vm->stops : 0.0);
		place_report(&vm->place, f);
		fprintf(f, "time: PIT ticks %llu delivered, %llu missed (coalesced); "
			"I/O thread kicks %llu; guest TSC %llu kHz\n",
			(unsigned long long)vm->pit.ticks, (unsigned long long)vm->pit.missed,
			(unsigned long long)atomic_load(&vm->io.kicks),
			(unsigned long long)vm->tsc_khz);
	}
}

void vm_destroy(struct vm *vm)
{
	gdb_destroy(vm);
	qmp_stop(vm);
	migrate_destroy(vm);
	place_stop(&vm->place);
	io_stop(&vm->io);
	console_close(&vm->console);
	if (vm->bench)
		fclose(vm->bench);
	vm->bench = NULL;
	if (vm->trace) {
		char err[256];

		if (trace_close(vm->trace, err, sizeof(err)) < 0)
			fprintf(stderr, "trapvisor: %s\n", err);
		vm->trace = vm->stats.trace = NULL;
	}
	shadow_destroy(&vm->shadow);
	ksyms_free(&vm->ksyms);
	if (vm->stub.data)
		stub_destroy(&vm->stub);
	if (vm->ram)
		munmap(vm->ram, vm->ram_size);
	if (vm->ram_fd >= 0)
		close(vm->ram_fd);
	if (vm->ata.fd >= 0)
		close(vm->ata.fd);       /* and with it the image's lock */
	free(vm->scratch);
	vm->scratch = NULL;
	vm->ram = NULL;
	vm->ram_fd = -1;
	vm->ata.fd = -1;
}
