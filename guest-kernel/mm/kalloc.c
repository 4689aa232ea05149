/*
 * kalloc.c: the physical page allocator.  Pages come from [free_gpa,
 * ram_size) (boot_info): first by bumping a pointer through memory never
 * used, then from a free list of pages given back.  The bump pointer means
 * boot touches no page it does not use: on trapvisor the first touch of a
 * page costs a trip to the monitor, so threading all of RAM onto a free
 * list up front would cost seconds.  Pages are named by their GPA.
 *
 * The free list is LIFO on purpose: the page freed last is handed out
 * first, so a page-table page that munmap() frees soon holds user data,
 * and a data page becomes a page table.  That is the reuse a shadow-paging
 * monitor must get right, and the tests rely on it happening often.
 *
 * Every allocated page has a reference count (copy-on-write fork shares
 * user pages between address spaces): kalloc() sets it to 1, kref() adds
 * one, and kfree() drops one and frees the page when none is left.  The
 * counts live in an array at the start of the free memory; a count is only
 * ever read for a page that has been allocated, so the array needs no
 * clearing (which would touch every page of it at boot).
 */
#include "defs.h"

struct run {
	u64 next;                 /* GPA of the next free page, 0 = end */
};

static struct {
	u64 bump;                 /* next never-used page */
	u64 end;                  /* end of allocatable RAM */
	u64 start;                /* first allocatable page, for the checks */
	u64 freelist;             /* GPA of the first freed page, 0 = none */
	u64 refs;                 /* GPA of u16 refs[], one per page from start */
	u64 nfree;                /* pages on the free list */
} kmem;

/* The reference count of the allocatable page gpa.  Through phys_to_virt()
 * on every use: the direct map replaces the boot identity map in vm_init(). */
static u16 *ref(u64 gpa)
{
	return (u16 *)phys_to_virt(kmem.refs) + (gpa - kmem.start) / PGSIZE;
}

/* Panic unless gpa is a page kalloc() handed out and nobody freed. */
static void check(const char *fn, u64 gpa)
{
	if ((gpa & (PGSIZE - 1)) || gpa < kmem.start || gpa >= kmem.bump || *ref(gpa) == 0)
		panic("%s: 0x%lx is not an allocated page", fn, gpa);
}

void kinit(u64 start, u64 end)
{
	u64 pages;

	start = (start + PGSIZE - 1) & ~(PGSIZE - 1);
	end &= ~(PGSIZE - 1);
	if (start >= end)
		panic("kinit: no free memory: free pages start at 0x%lx, RAM ends at 0x%lx",
		      start, end);
	/* The counts cover every page after the array itself (a slight
	 * overestimate of what is left, which costs nothing). */
	pages = (end - start) / PGSIZE;
	kmem.refs = start;
	kmem.start = kmem.bump = start + ((pages * sizeof(u16) + PGSIZE - 1) & ~(PGSIZE - 1));
	kmem.end = end;
	kmem.freelist = 0;
	kmem.nfree = 0;
	if (kmem.bump >= kmem.end)
		panic("kinit: no free memory after the reference counts");
}

/* Return the GPA of a zeroed page with one reference, or 0 when memory is
 * exhausted (GPA 0 is never allocatable: the kernel image is loaded above
 * it). */
u64 kalloc(void)
{
	u64 gpa;

	if (kmem.freelist) {
		gpa = kmem.freelist;
		kmem.freelist = ((struct run *)phys_to_virt(gpa))->next;
		kmem.nfree--;
	} else if (kmem.bump < kmem.end) {
		gpa = kmem.bump;
		kmem.bump += PGSIZE;
	} else {
		return 0;
	}
	*ref(gpa) = 1;
	memset(phys_to_virt(gpa), 0, PGSIZE);
	return gpa;
}

/* One more reference to the allocated page gpa. */
void kref(u64 gpa)
{
	check("kref", gpa);
	if (*ref(gpa) == 0xffff)
		panic("kref: 0x%lx has too many references", gpa);
	++*ref(gpa);
}

/* How many references the allocated page gpa has. */
unsigned kref_count(u64 gpa)
{
	check("kref_count", gpa);
	return *ref(gpa);
}

/* Drop a reference to gpa; the last one frees the page. */
void kfree(u64 gpa)
{
	check("kfree", gpa);
	if (--*ref(gpa) > 0)
		return;
	((struct run *)phys_to_virt(gpa))->next = kmem.freelist;
	kmem.freelist = gpa;
	kmem.nfree++;
}

/* The pages kalloc() hands out, and those free now (never used, or given
 * back): /proc/meminfo's MemTotal and MemFree, sysinfo(). */
u64 kalloc_total_pages(void)
{
	return (kmem.end - kmem.start) / PGSIZE;
}

u64 kalloc_free_pages(void)
{
	return (kmem.end - kmem.bump) / PGSIZE + kmem.nfree;
}
