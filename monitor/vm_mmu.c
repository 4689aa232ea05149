/*
 * What the guest's page tables cause: a host page fault is a hidden fault
 * (the shadow lacks a page the guest maps), the guest's own #PF, or a
 * write to a tracked page table or watched page; a kernel code page's
 * first fetch has it scanned and, if needed, patched (shadow.c part vi),
 * and a patch's INT3 is emulated.  A paravirtual kernel hands over many
 * page-table writes in one HC_MMU_BATCH instead (vm_mmu_batch()).
 */
#include <stdlib.h>
#include <string.h>

#include "vm_internal.h"

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
	int r = shadow_patch_page(&vm->shadow, w->gpa, page, sites, n);
	if (r < 0)
		vm_host_error(vm, r, "installing the scan of the code page at GPA %#llx",
			      (unsigned long long)(w->gpa & ~0xfffull));
}

/* INT3 at RIP-1 in guest kernel mode: one of our patches?  Then emulate
 * the original instruction, which is still in guest RAM. */
bool vm_patch_trap(struct vm *vm)
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
 * writable for that one instruction, single-stepped: gdb_target.c.)  The
 * emulated store reaches the shadow through vm_write_ram(), as every
 * entry of an HC_MMU_BATCH does. */
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
		if (r == 0)
			r = shadow_unemulated_write(&vm->shadow, ctx, la, w, &vm->vcpu);
		if (r < 0)
			vm_host_error(vm, r, "untracking the page table at GPA %#llx",
				      (unsigned long long)w->gpa);
		return;
	}
}

/* A host page fault at 'la'.  'present': the context had the page mapped,
 * with too little access (a write to a read-only page, or a fetch from a
 * non-executable one).  The monitor finds the kind of access; what the
 * fault is, the shadow says (shadow_fault()). */
void vm_page_fault(struct vm *vm, struct context *ctx, u64 la, bool present)
{
	struct vcpu *v = &vm->vcpu;
	struct emu_ctxt c;
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

	struct shadow_fault f;
	switch (shadow_fault(&vm->shadow, ctx, v, la, acc, present, &f)) {
	case SHADOW_FAULT_GUEST_GP:
		vm_raise(vm, X86_EXC_GP, 0, 0);
		return;
	case SHADOW_FAULT_BAD_GPA:
		vm_bad_gpa(vm, la, f.w.gpa);
		return;
	case SHADOW_FAULT_GUEST_PF:
		vm_raise(vm, X86_EXC_PF, f.errcode, la);
		stats_add(&vm->stats, STAT_EXIT, "guest page fault", now_ns() - t0);
		return;
	case SHADOW_FAULT_PT_WRITE:
		if (vm->trace)
			trace_instant(vm->trace, "page-table write", la);
		vm_pt_write(vm, ctx, la, &f.w);
		stats_add(&vm->stats, STAT_EXIT, "page-table write", now_ns() - t0);
		return;
	case SHADOW_FAULT_WATCHED:
		vm_pt_write(vm, ctx, la, &f.w);
		stats_add(&vm->stats, STAT_EXIT, "write to a watched page", now_ns() - t0);
		return;
	case SHADOW_FAULT_HIDDEN:
		break;
	}
	if (vm->opt.patch && f.scan)
		vm_patch_scan(vm, la, &f.w);
	if (vm->trace)
		trace_instant(vm->trace, "hidden fault", la);
	int r = shadow_fill(&vm->shadow, ctx, la, &f.w, v);
	if (r < 0)
		vm_host_error(vm, r, "mapping guest address %#llx (GPA %#llx) into context process %d",
			      (unsigned long long)la, (unsigned long long)f.w.gpa, ctx->pid);
	stats_add(&vm->stats, STAT_EXIT, "hidden page fault", now_ns() - t0);
}

/*
 * HC_MMU_BATCH (boot.h, ABI 7): page-table writes and releases the guest
 * kernel collected, in one stop instead of a trap each (Xen's mmu_update).
 * A write is applied exactly as the trapped store it replaces: through
 * vm_write_ram(), so shadow_written() drops and premaps what the changed
 * entry covers and counts it towards write flooding; a release untracks
 * the page (shadow_release()).  The array is guest input, copied once so
 * that its own writes cannot change it, and checked whole before anything
 * is applied: a bad batch changes nothing and gets -EINVAL or -EFAULT.
 */
s64 vm_mmu_batch(struct vm *vm, u64 gpa, u64 n)
{
	struct pv_mmu_op *op = vm->scratch->mmu;

	if (n == 0 || n > PV_MMU_BATCH_MAX)
		return -22;                                     /* EINVAL */
	if (gpa % 16 || gpa >= vm->ram_size || n * sizeof(*op) > vm->ram_size - gpa)
		return -14;                                     /* EFAULT */
	memcpy(op, vm->ram + gpa, n * sizeof(*op));
	for (u64 i = 0; i < n; i++) {
		u64 kind = op[i].ptr & PV_MMU_OP_MASK, at = op[i].ptr & ~PV_MMU_OP_MASK;
		if (kind > PV_MMU_RELEASE || (kind == PV_MMU_RELEASE && ((at & 0xfff) || op[i].val)))
			return -22;
		if (at >= vm->ram_size || vm->ram_size - at < 8)
			return -14;
	}
	if (vm->trace)
		trace_instant(vm->trace, "mmu batch", n);
	for (u64 i = 0; i < n && !vm->crashed; i++) {
		u64 at = op[i].ptr & ~PV_MMU_OP_MASK;
		if ((op[i].ptr & PV_MMU_OP_MASK) == PV_MMU_WRITE) {
			vm_write_ram(vm, at, &op[i].val, 8);
			vm->mmu_writes++;
			continue;
		}
		int r = shadow_release(&vm->shadow, at);
		if (r < 0)
			vm_host_error(vm, r, "releasing the page table at GPA %#llx",
				      (unsigned long long)at);
		vm->mmu_releases++;
	}
	vm->mmu_batches++;
	return 0;
}
