/*
 * kalloc.c: the physical page allocator.  Pages come from [free_gpa,
 * ram_size) (boot_info): first by bumping a pointer through memory never
 * used, then from a free list of pages given back.  The bump pointer means
 * boot touches no page it does not use: on trapvisor the first touch of a
 * page costs a trip to the monitor, so threading all of RAM onto a free
 * list up front would cost seconds.  Pages are named by their GPA.
 */
#include "defs.h"

struct run {
	u64 next;                 /* GPA of the next free page, 0 = end */
};

static struct {
	u64 bump;                 /* next never-used page */
	u64 end;                  /* end of allocatable RAM */
	u64 start;                /* first allocatable page, for kfree's check */
	u64 freelist;             /* GPA of the first freed page, 0 = none */
} kmem;

void kinit(u64 start, u64 end)
{
	kmem.start = kmem.bump = (start + PGSIZE - 1) & ~(PGSIZE - 1);
	kmem.end = end & ~(PGSIZE - 1);
	kmem.freelist = 0;
	if (kmem.bump >= kmem.end)
		panic("kinit: no free memory: free pages start at 0x%lx, RAM ends at 0x%lx",
		      start, end);
}

/* Return the GPA of a zeroed page, or 0 when memory is exhausted (GPA 0 is
 * never allocatable: the kernel image is loaded above it). */
u64 kalloc(void)
{
	u64 gpa;

	if (kmem.freelist) {
		gpa = kmem.freelist;
		kmem.freelist = ((struct run *)phys_to_virt(gpa))->next;
	} else if (kmem.bump < kmem.end) {
		gpa = kmem.bump;
		kmem.bump += PGSIZE;
	} else {
		return 0;
	}
	memset(phys_to_virt(gpa), 0, PGSIZE);
	return gpa;
}

void kfree(u64 gpa)
{
	if ((gpa & (PGSIZE - 1)) || gpa < kmem.start || gpa >= kmem.bump)
		panic("kfree: 0x%lx is not an allocated page", gpa);
	((struct run *)phys_to_virt(gpa))->next = kmem.freelist;
	kmem.freelist = gpa;
}
