/*
 * The guest page-table walker: a software MMU over guest RAM.
 *
 * It reads the guest's 4-level tables the way the processor does (Intel SDM
 * vol. 3, 4.5 "4-level paging"): PML4E -> PDPTE (1 GiB page if PS) -> PDE
 * (2 MiB page if PS) -> PTE.  Access rights combine over every level: a user
 * access needs U=1 everywhere, a write needs R/W=1 everywhere (for supervisor
 * writes only when CR0.WP=1), and an instruction fetch fails if any level
 * has XD=1 (with EFER.NXE).  Supervisor accesses to user pages are allowed:
 * this vCPU offers neither SMEP nor SMAP.
 *
 * Every guest entry is checked before it is trusted (lguest's rule): its
 * reserved bits give a #PF with RSVD, and an address outside guest RAM is
 * reported to the caller, which stops the VM (there is no memory there to
 * map).  With set_ad the walker sets Accessed in every entry it used and
 * Dirty in the leaf for a write, as the hardware would, once the access is
 * known to be allowed.
 */
#include <string.h>

#include "shadow.h"

/* Reserved bits by level and kind (MAXPHYADDR is taken as 52 here, so only
 * the structural reserved bits remain). */
#define RSVD_PML4E       PTE_PS                 /* PS must be 0 in a PML4E */
#define RSVD_PDPTE_1G    0x3fffe000ull           /* bits 29:13 of a 1 GiB page */
#define RSVD_PDE_2M      0x1fe000ull             /* bits 20:13 of a 2 MiB page */

static u64 *gpte_ptr(u8 *ram, u64 ram_size, u64 gpa)
{
	if (gpa + 8 > ram_size || gpa + 8 < gpa)
		return NULL;
	return (u64 *)(ram + gpa);
}

int shadow_walk(u8 *ram, u64 ram_size, u64 cr0, u64 cr3, u64 efer,
		u64 gva, enum emu_access acc, int cpl, bool set_ad, struct gwalk *w)
{
	bool nxe = efer & X86_EFER_NXE;
	bool write = acc == EMU_WRITE || acc == EMU_WRITE_SYS;
	bool fetch = acc == EMU_FETCH;
	bool user = cpl == 3 && acc != EMU_READ_SYS && acc != EMU_WRITE_SYS;
	u64 *gpte[4];
	u64 table = cr3 & PTE_ADDR, e = 0;
	int level;

	memset(w, 0, sizeof(*w));
	w->user = w->writable = true;
	w->errcode = (write ? PFEC_W : 0) | (user ? PFEC_U : 0) | (fetch && nxe ? PFEC_I : 0);

	for (level = 4; level >= 1; level--) {
		unsigned idx = (gva >> (12 + 9 * (level - 1))) & 511;
		u64 gpa = table + idx * 8;
		u64 *p = gpte_ptr(ram, ram_size, gpa);

		if (!p) {
			w->gpa = gpa;
			return SHADOW_WALK_BAD_GPA;
		}
		gpte[level - 1] = p;
		w->pte_gpa[level - 1] = gpa;
		e = *p;
		if (!(e & PTE_P))
			return -1;                      /* P=0 in the error code */
		u64 rsvd = nxe ? 0 : PTE_NX;
		if (level == 4)
			rsvd |= RSVD_PML4E;
		else if (level == 3 && (e & PTE_PS))
			rsvd |= RSVD_PDPTE_1G;
		else if (level == 2 && (e & PTE_PS))
			rsvd |= RSVD_PDE_2M;
		if (e & rsvd) {
			w->errcode |= PFEC_P | PFEC_RSVD;
			return -1;
		}
		w->user &= !!(e & PTE_U);
		w->writable &= !!(e & PTE_W);
		w->nx |= nxe && (e & PTE_NX);
		if (level <= 3 && (e & PTE_PS) && level > 1)
			break;                          /* a 1 GiB or 2 MiB page */
		table = e & PTE_ADDR;
	}
	if (level == 0)
		level = 1;
	w->level = level;

	/* The page is present: from here on a fault has P=1. */
	bool denied = (user && !w->user) ||
		      (write && !w->writable && (user || (cr0 & X86_CR0_WP))) ||
		      (fetch && w->nx);
	if (denied) {
		w->errcode |= PFEC_P;
		return -1;
	}

	u64 page_mask = (1ull << (12 + 9 * (level - 1))) - 1;
	u64 frame = e & PTE_ADDR & ~page_mask;
	w->gpa = frame | (gva & page_mask);
	if (w->gpa >= ram_size)
		return SHADOW_WALK_BAD_GPA;

	if (set_ad) {
		for (int l = 4; l >= level; l--)
			if (!(*gpte[l - 1] & PTE_A))
				__atomic_or_fetch(gpte[l - 1], PTE_A, __ATOMIC_RELAXED);
		if (write && !(*gpte[level - 1] & PTE_D))
			__atomic_or_fetch(gpte[level - 1], PTE_D, __ATOMIC_RELAXED);
	}
	w->dirty = !!(*gpte[level - 1] & PTE_D);
	return 0;
}
