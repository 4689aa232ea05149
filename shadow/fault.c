/*
 * The page-fault decision (shadow.h, "fault.c"): what a host page fault in
 * a context means, told from the guest's own page tables, so the monitor
 * acts on a verdict instead of reaching into struct shadow.  Three calls,
 * in the order a fault meets them:
 *
 *   shadow_fault()            walk, and say what the fault is: the guest's
 *                             own #PF (or #GP), hidden (map it), a write to
 *                             a tracked page table or watched page (emulate
 *                             it), or a table pointing outside RAM;
 *   shadow_unemulated_write() a write to such a page that the emulator
 *                             cannot do: let it run natively instead;
 *   shadow_patch_page()       record the scan of a kernel code page (part
 *                             vi of shadow.c): clean, or patched.
 *
 * Everything else stays in shadow.c; this file only combines its public
 * functions.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shadow.h"

enum shadow_verdict shadow_fault(struct shadow *sh, const struct context *ctx,
				 const struct vcpu *v, u64 gva, enum emu_access acc,
				 bool present, struct shadow_fault *f)
{
	struct gwalk *w = &f->w;
	int r;

	memset(f, 0, sizeof(*f));
	if (!shadow_gva_usable(gva)) {
		/* Page 0 cannot be mapped in the host.  Where the guest's own
		 * tables do not map it either (a NULL pointer), the guest gets
		 * the page fault a CPU would give it, with CR2; anything else
		 * there, and the addresses above the guest's range, are #GP. */
		r = gva < GUEST_VA_MIN ? shadow_walk(sh->ram, sh->ram_size, v->cr0, v->cr3, v->efer,
						     gva, acc, v->cpl, false, w) : 0;
		if (r < 0 && r != SHADOW_WALK_BAD_GPA && !(w->errcode & PFEC_P)) {
			sh->st.guest_faults++;
			f->errcode = w->errcode;
			return SHADOW_FAULT_GUEST_PF;
		}
		return SHADOW_FAULT_GUEST_GP;
	}

	r = shadow_walk(sh->ram, sh->ram_size, v->cr0, v->cr3, v->efer, gva, acc, v->cpl, true, w);
	if (r < 0 && acc == EMU_WRITE && !present && (w->errcode & PFEC_P)) {
		/* The decoder's "writes memory" may be about another operand
		 * (MOVS, PUSH m): if the page may be read, map it for reading;
		 * a real write then faults again, on a present page. */
		struct gwalk rd;
		if (shadow_walk(sh->ram, sh->ram_size, v->cr0, v->cr3, v->efer, gva, EMU_READ,
				v->cpl, true, &rd) == 0) {
			*w = rd;
			r = 0;
		}
	}
	if (r == SHADOW_WALK_BAD_GPA)
		return SHADOW_FAULT_BAD_GPA;
	if (r < 0) {
		sh->st.guest_faults++;
		f->errcode = w->errcode;
		return SHADOW_FAULT_GUEST_PF;
	}
	/* A write to a page table the guest may write: emulate it, so the
	 * shadow learns what changed (shadow_written()). */
	if (present && acc == EMU_WRITE && shadow_tracked(sh, w->gpa))
		return SHADOW_FAULT_PT_WRITE;
	if (present && acc == EMU_WRITE && shadow_watched(sh, w->gpa))
		return SHADOW_FAULT_WATCHED;
	/* Kernel code (executable, supervisor-only) is scanned once; user
	 * mode needs no patching: there these instructions act as in ring 3. */
	f->scan = !ctx->user && !w->nx && !w->user && !shadow_scanned(sh, w->gpa);
	return SHADOW_FAULT_HIDDEN;
}

int shadow_unemulated_write(struct shadow *sh, struct context *ctx, u64 gva,
			    const struct gwalk *w, const struct vcpu *v)
{
	int r = 0;

	if (shadow_tracked(sh, w->gpa)) {
		sh->st.untracked_other++;
		r = shadow_untrack(sh, w->gpa);
	}
	return r < 0 ? r : shadow_fill(sh, ctx, gva, w, v);
}

int shadow_patch_page(struct shadow *sh, u64 gpa, u64 page_va, struct patch_site *sites, int n)
{
	u8 copy[4096];

	gpa &= ~0xfffull;
	sh->st.pages_scanned++;
	if (n <= 0) {
		free(sites);
		return n == 0 ? shadow_mark_clean(sh, gpa) : 0;
	}
	memcpy(copy, sh->ram + gpa, 4096);
	patch_apply(copy, page_va & ~0xfffull, sites, n);
	int r = shadow_add_copy(sh, gpa, page_va, copy, sites, n);
	return r == -ENOSPC ? 0 : r;
}
