/*
 * pvmmu.c: how vm.c changes page tables.  On hardware, and with the
 * command-line word "nopvmmu", pt_set() is a plain store.  On trapvisor
 * every page-table page the monitor shadows is write-protected, so each
 * such store traps and is emulated (docs/ARCHITECTURE.md, "Shadow paging");
 * when the monitor offers HC_MMU_BATCH (boot.h, ABI 7) the kernel collects
 * the stores here instead and hands them over in one hypercall per batch,
 * as Linux under Xen does in its lazy MMU mode (mmu_update).
 *
 * The rules for vm.c, Linux's: an entry given to pt_set() is not in
 * memory until pt_flush(), so it is flushed before the entry is read
 * back, before the TLB is invalidated for it, and before the operation
 * returns; pt_free_table() frees a page table only after the batch that
 * released it (PV_MMU_RELEASE: the monitor stops tracking it first, so the
 * allocator's stores into it, its free-list link and the zeroing at the
 * next kalloc(), need no trap), as Linux's mmu_gather frees tables after
 * the flush.
 *
 * One batch serves the whole kernel: it has one CPU, page tables change
 * only in system calls and the page-fault path (never in an interrupt
 * handler), and nothing between a pt_set() and its pt_flush() sleeps.
 */
#include <trapvisor/boot.h>

#include "defs.h"

bool pv_mmu;                  /* HC_MMU_BATCH is used (pv_init()) */

/* In the kernel image, page-aligned: physically contiguous, as the
 * monitor needs the array. */
static struct pv_mmu_op batch[PV_MMU_BATCH_MAX] __attribute__((aligned(4096)));
static u32 nbatch;

static void batch_add(u64 ptr, u64 val)
{
	batch[nbatch].ptr = ptr;
	batch[nbatch].val = val;
	if (++nbatch == PV_MMU_BATCH_MAX)
		pt_flush();
}

/* Set the page-table entry e (a direct-map pointer) to val. */
void pt_set(u64 *e, u64 val)
{
	if (!pv_mmu)
		*e = val;
	else
		batch_add((u64)e - phys_offset, val);
}

/* Free the page-table page at gpa, which no entry points to any more (or
 * will not once the batch is applied). */
void pt_free_table(u64 gpa)
{
	if (!pv_mmu)
		kfree(gpa);
	else
		batch_add(gpa | PV_MMU_RELEASE, 0);
}

/* Apply what pt_set() and pt_free_table() collected.  Should the monitor
 * refuse (it cannot, for what this file builds), the kernel applies the
 * batch itself, says so once, and stores directly from then on. */
void pt_flush(void)
{
	u32 n = nbatch;
	long r;

	if (n == 0)
		return;
	nbatch = 0;
	r = pv_mmu_batch(batch, n);
	if (r < 0) {
		kprintf("pvmmu: the monitor refused a batch of %u (%ld): plain stores from now on\n",
			n, r);
		pv_mmu = false;
		for (u32 i = 0; i < n; i++)
			if ((batch[i].ptr & PV_MMU_OP_MASK) == PV_MMU_WRITE)
				*(u64 *)phys_to_virt(batch[i].ptr) = batch[i].val;
	}
	for (u32 i = 0; i < n; i++)
		if ((batch[i].ptr & PV_MMU_OP_MASK) == PV_MMU_RELEASE)
			kfree(batch[i].ptr & ~PV_MMU_OP_MASK);
}

/*
 * The command-line word "mmucheck": send the monitor bad batches and print
 * what it answers; each must be refused whole, leaving a target entry
 * untouched, and the VM must go on.  Then a good batch, and the release of
 * page tables the kernel still uses (wrong, but only slower: the monitor
 * tracks them again at their next use), after which programs still run.
 */
void pt_check(void)
{
	static struct pv_mmu_op ops[3] __attribute__((aligned(16)));
	u64 page = kalloc(), *target = page ? phys_to_virt(page) : 0;
	long r[8];

	if (!pv_mmu || !page) {
		kprintf("mmucheck: %s\n", page ? "no paravirtual MMU" : "out of memory");
		if (page)
			kfree(page);
		return;
	}
	ops[0] = (struct pv_mmu_op){ page, 0x1111 };   /* a good entry first */
	ops[1] = (struct pv_mmu_op){ page + 8, 0x2222 };
	ops[2] = (struct pv_mmu_op){ page + 16, 0x3333 };
	r[0] = pv_mmu_batch(ops, 0);
	r[1] = pv_mmu_batch(ops, PV_MMU_BATCH_MAX + 1);
	r[2] = pv_hypercall(HC_MMU_BATCH, -4096l, 1, 0);               /* array beyond RAM */
	r[3] = pv_mmu_batch((char *)ops + 8, 1);                       /* misaligned array */
	ops[2].ptr = page + 16 + 5;                                    /* unknown operation */
	r[4] = pv_mmu_batch(ops, 3);
	ops[2].ptr = ~0xfffull;                                        /* entry beyond RAM */
	r[5] = pv_mmu_batch(ops, 3);
	ops[2].ptr = (page + 8) | PV_MMU_RELEASE;                      /* release mid-page */
	r[6] = pv_mmu_batch(ops, 3);
	ops[2] = (struct pv_mmu_op){ page | PV_MMU_RELEASE, 1 };       /* release with a value */
	r[7] = pv_mmu_batch(ops, 3);
	kprintf("mmucheck: empty %ld, too long %ld, array outside RAM %ld, misaligned array %ld, "
		"unknown operation %ld, entry outside RAM %ld, release not page-aligned %ld, "
		"release with a value %ld; entries %s\n", r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7],
		target[0] || target[1] || target[2] ? "CHANGED" : "untouched");
	ops[2] = (struct pv_mmu_op){ page + 16, 0x3333 };
	r[0] = pv_mmu_batch(ops, 3);
	/* Wrong releases: the loaded PML4, and the table under it that every
	 * address space shares for the direct map; and a page that never was
	 * a table, which changes nothing. */
	u64 pml4 = rcr3() & PTE_ADDR;
	u64 pdpt = ((u64 *)phys_to_virt(pml4))[PT_INDEX(DIRECT_MAP, 4)] & PTE_ADDR;
	ops[0] = (struct pv_mmu_op){ pml4 | PV_MMU_RELEASE, 0 };
	ops[1] = (struct pv_mmu_op){ pdpt | PV_MMU_RELEASE, 0 };
	ops[2] = (struct pv_mmu_op){ page | PV_MMU_RELEASE, 0 };
	r[1] = pv_mmu_batch(ops, 3);
	kprintf("mmucheck: good batch %ld, entries %s; releasing tables in use %ld\n", r[0],
		target[0] == 0x1111 && target[1] == 0x2222 && target[2] == 0x3333 ?
		"written" : "NOT WRITTEN", r[1]);
	kfree(page);
}
