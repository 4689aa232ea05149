/*
 * What the guest's page tables cause: a host page fault is a hidden fault
 * (the shadow lacks a page the guest maps), the guest's own #PF, or a
 * write to a tracked page table or watched page; a kernel code page's
 * first fetch has it scanned and, if needed, patched (shadow.c part vi),
 * and a patch's INT3 is emulated.
 */
#include <errno.h>
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
void vm_page_fault(struct vm *vm, struct context *ctx, u64 la, bool present)
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
