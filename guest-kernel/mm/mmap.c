/*
 * mmap.c: what a process has mapped where (its areas, struct vma), and the
 * system calls that change that: mmap (anonymous private memory only),
 * munmap, mprotect and brk, with Linux's semantics.
 *
 * Memory is allocated lazily: mmap only records an area, and the first
 * touch of each page faults; mm_fault() (called by trap.c) then backs it
 * with a zeroed page, or copies a copy-on-write page on a write, and the
 * process retries the access.  munmap drops the pages, and vm.c frees the
 * page tables that leaves empty.  The kernel touches user memory only
 * after mm_user_ok(), which prepares the pages the same way, so a system
 * call never meets a missing or copy-on-write page (a fault in the kernel
 * is a panic).
 *
 * The areas are a small sorted array per process, neighbours with equal
 * rights merged: a handful of areas is the usual case, and a linear scan
 * is simpler than a tree.
 *
 * The address spaces themselves (struct mm) come from a pool, with a
 * reference count.
 */
#include "defs.h"

#define MAP_SHARED          0x01
#define MAP_PRIVATE         0x02
#define MAP_FIXED           0x10
#define MAP_ANONYMOUS       0x20
#define MAP_FIXED_NOREPLACE 0x100000
#define PROT_ALL            (PROT_READ | PROT_WRITE | PROT_EXEC)

/* ---- Address spaces ---- */

/* Two per process: exec builds the new one before it drops the old. */
static struct mm mms[2 * 64];

/* A new address space: a fresh PML4, no areas, one reference.  0 when
 * out of memory. */
struct mm *mm_alloc(void)
{
	for (struct mm *mm = mms; mm < mms + sizeof(mms) / sizeof(mms[0]); mm++) {
		if (mm->refs)
			continue;
		memset(mm, 0, sizeof(*mm));
		mm->pml4 = uvm_create();
		if (!mm->pml4)
			return 0;
		mm->refs = 1;
		return mm;
	}
	return 0;
}

/* Drop a reference to mm; the last frees its pages and tables (they must
 * not be the loaded ones). */
void mm_put(struct mm *mm)
{
	if (--mm->refs > 0)
		return;
	uvm_free(mm->pml4);
	mm->pml4 = 0;
}

/* Round up to a page; the callers have checked that a < USER_TOP. */
static u64 page_up(u64 a)
{
	return (a + PGSIZE - 1) & ~(PGSIZE - 1);
}

/*
 * The leaf flags for rights prot.  x86 cannot make a present page
 * unreadable, so PROT_NONE keeps the page present (and its data) but
 * supervisor-only: every user access faults, and mm_fault() refuses it.
 */
static u64 pte_flags(int prot)
{
	u64 f = PTE_P;

	if (prot)
		f |= PTE_U;
	if (prot & PROT_WRITE)
		f |= PTE_W;
	if (!(prot & PROT_EXEC))
		f |= PTE_NX;
	return f;
}

/* The area holding va, or 0. */
static struct vma *vma_find(struct mm *mm, u64 va)
{
	for (int i = 0; i < mm->nvma; i++)
		if (va >= mm->vma[i].start && va < mm->vma[i].end)
			return &mm->vma[i];
	return 0;
}

/* True if some area overlaps [start, end). */
static bool vma_overlaps(struct mm *mm, u64 start, u64 end)
{
	for (int i = 0; i < mm->nvma; i++)
		if (mm->vma[i].start < end && mm->vma[i].end > start)
			return true;
	return false;
}

/* True if areas cover all of [start, end), without a hole. */
static bool vma_covers(struct mm *mm, u64 start, u64 end)
{
	for (int i = 0; i < mm->nvma && start < end; i++) {
		if (mm->vma[i].end <= start)
			continue;
		if (mm->vma[i].start > start)
			return false;
		start = mm->vma[i].end;
	}
	return start >= end;
}

/* Open an empty slot at i (the caller checked there is room), or close
 * slot i. */
static void vma_open(struct mm *mm, int i)
{
	for (int j = mm->nvma; j > i; j--)
		mm->vma[j] = mm->vma[j - 1];
	mm->nvma++;
}

static void vma_close(struct mm *mm, int i)
{
	mm->nvma--;
	for (int j = i; j < mm->nvma; j++)
		mm->vma[j] = mm->vma[j + 1];
}

/*
 * Cut [start, end) out of the areas; the pages are the caller's business.
 * Only cutting the middle out of one area needs a slot more: -ENOMEM if
 * there is none, with nothing changed (such an area is the only one the
 * range touches).
 */
static int vma_cut(struct mm *mm, u64 start, u64 end)
{
	for (int i = 0; i < mm->nvma; i++) {
		struct vma *v = &mm->vma[i];

		if (v->end <= start || v->start >= end)
			continue;
		if (v->start < start && v->end > end) {
			if (mm->nvma == NVMA)
				return -ENOMEM;
			vma_open(mm, i + 1);
			mm->vma[i + 1] = (struct vma){ end, v->end, v->prot };
			v->end = start;
			return 0;
		}
		if (v->start < start) {
			v->end = start;
		} else if (v->end > end) {
			v->start = end;
		} else {
			vma_close(mm, i);
			i--;
		}
	}
	return 0;
}

/* Record the area [start, end), where there is none, with rights prot,
 * merged into a neighbour with the same rights.  -ENOMEM if no slot. */
static int vma_insert(struct mm *mm, u64 start, u64 end, int prot)
{
	int i = 0;

	while (i < mm->nvma && mm->vma[i].start < start)
		i++;
	struct vma *prev = i > 0 ? &mm->vma[i - 1] : 0;
	struct vma *next = i < mm->nvma ? &mm->vma[i] : 0;
	bool join_prev = prev && prev->end == start && prev->prot == prot;
	bool join_next = next && next->start == end && next->prot == prot;

	if (join_prev && join_next) {
		prev->end = next->end;
		vma_close(mm, i);
	} else if (join_prev) {
		prev->end = end;
	} else if (join_next) {
		next->start = start;
	} else {
		if (mm->nvma == NVMA)
			return -ENOMEM;
		vma_open(mm, i);
		mm->vma[i] = (struct vma){ start, end, prot };
	}
	return 0;
}

/*
 * Make [start, end) (page-aligned) one area with rights prot, replacing the
 * areas that were there, not their pages.  That takes up to two slots more
 * (the middle cut out of an area, then the new one), so it needs two free
 * ones, checked first: -ENOMEM changes nothing.
 */
int mm_add(struct mm *mm, u64 start, u64 end, int prot)
{
	if (mm->nvma > NVMA - 2)
		return -ENOMEM;
	vma_cut(mm, start, end);
	return vma_insert(mm, start, end, prot);
}

/* The rights of the area holding va, or -1 if there is none. */
int mm_prot_at(struct mm *mm, u64 va)
{
	struct vma *v = vma_find(mm, va);

	return v ? v->prot : -1;
}

/*
 * A page fault in user mode at va with error code err, or the kernel about
 * to access va for the process (as if it faulted): if the area holding va
 * allows the access, make the page ready for it (vm.c: uvm_touch()) and
 * return 0; the access can then be retried.  -EFAULT if it is not allowed
 * (the process dies of SIGSEGV), -ENOMEM.  Reading needs any right: x86
 * cannot make a writable or executable page unreadable.
 */
int mm_fault(struct mm *mm, u64 va, u64 err)
{
	struct vma *v = vma_find(mm, va);
	int need = err & PFERR_W ? PROT_WRITE : err & PFERR_I ? PROT_EXEC : PROT_ALL;

	if (!v || !(v->prot & need))
		return -EFAULT;
	return uvm_touch(mm->pml4, va & ~(PGSIZE - 1), err & PFERR_W, pte_flags(v->prot));
}

/* True if the process may read (or write) all of [va, va + len), whose
 * pages are then ready for the kernel to access through the user mapping:
 * the check before a system call reads or writes user memory. */
bool mm_user_ok(struct mm *mm, u64 va, u64 len, bool write)
{
	if (!uvm_user_range(va, len))
		return false;
	for (u64 a = va & ~(PGSIZE - 1); a < va + len; a += PGSIZE)
		if (mm_fault(mm, a, write ? PFERR_W : 0) < 0)
			return false;
	return true;
}

/* Where a new area of len bytes goes: at hint if that range is free, else
 * in the lowest gap from MMAP_BASE up that fits it.  0 if there is none. */
static u64 find_free(struct mm *mm, u64 hint, u64 len)
{
	u64 a = MMAP_BASE;

	if (hint && uvm_user_range(hint, len) && !vma_overlaps(mm, hint, hint + len))
		return hint;
	for (int i = 0; i < mm->nvma; i++) {
		if (mm->vma[i].end <= a)
			continue;
		if (mm->vma[i].start >= a + len)
			break;
		a = mm->vma[i].end;
	}
	return uvm_user_range(a, len) ? a : 0;
}

/*
 * mmap(addr, len, prot, flags, fd, off): only MAP_PRIVATE|MAP_ANONYMOUS,
 * with MAP_FIXED (replacing what was mapped there) or MAP_FIXED_NOREPLACE;
 * otherwise addr is a hint.  Returns the address of the new zero-filled
 * memory, or -errno.
 */
s64 mm_mmap(struct mm *mm, u64 addr, u64 len, u64 prot, u64 flags, s64 fd, u64 off)
{
	u64 start;

	if (prot & ~(u64)PROT_ALL)
		return -EINVAL;
	if (!(flags & MAP_ANONYMOUS))
		return -EBADF;                /* there are no files to map */
	if ((flags & (MAP_SHARED | MAP_PRIVATE)) != MAP_PRIVATE)
		return -EINVAL;               /* shared memory is not supported */
	if (len == 0 || (off & (PGSIZE - 1)))
		return -EINVAL;
	if (len > USER_TOP)
		return -ENOMEM;
	len = page_up(len);
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		if (addr & (PGSIZE - 1))
			return -EINVAL;
		if (!uvm_user_range(addr, len))
			return -ENOMEM;
		if (!(flags & MAP_FIXED) && vma_overlaps(mm, addr, addr + len))
			return -EEXIST;
		start = addr;
	} else {
		start = find_free(mm, addr & ~(PGSIZE - 1), len);
		if (!start)
			return -ENOMEM;
	}
	if (mm_add(mm, start, start + len, prot) < 0)
		return -ENOMEM;
	uvm_unmap(mm->pml4, start, len);      /* MAP_FIXED: the old pages go */
	return start;
}

/* munmap(addr, len): unmapping what is not mapped is no error. */
s64 mm_munmap(struct mm *mm, u64 addr, u64 len)
{
	if ((addr & (PGSIZE - 1)) || len == 0 || len > USER_TOP)
		return -EINVAL;
	len = page_up(len);
	if (!uvm_user_range(addr, len))
		return -EINVAL;
	if (vma_cut(mm, addr, addr + len) < 0)
		return -ENOMEM;
	uvm_unmap(mm->pml4, addr, len);
	return 0;
}

/* mprotect(addr, len, prot): the whole range must be mapped. */
s64 mm_mprotect(struct mm *mm, u64 addr, u64 len, u64 prot)
{
	if ((addr & (PGSIZE - 1)) || (prot & ~(u64)PROT_ALL))
		return -EINVAL;
	if (len == 0)
		return 0;
	if (len > USER_TOP)
		return -ENOMEM;
	len = page_up(len);
	if (!uvm_user_range(addr, len) || !vma_covers(mm, addr, addr + len))
		return -ENOMEM;
	if (mm_add(mm, addr, addr + len, prot) < 0)
		return -ENOMEM;
	uvm_protect(mm->pml4, addr, len, pte_flags(prot));
	return 0;
}

/*
 * brk(addr): move the end of the heap to addr, not below where it began
 * (just past the program's segments) nor onto another area, and return
 * the new end; for addr 0 or on failure return the current end, as Linux
 * does.  Heap pages are backed on first touch like mmap's.
 */
s64 mm_brk(struct mm *mm, u64 addr)
{
	u64 old, new;

	if (addr < mm->brk_base || addr >= USER_TOP)
		return mm->brk;
	old = page_up(mm->brk);
	new = page_up(addr);
	if (new > old) {
		if (vma_overlaps(mm, old, new) || mm_add(mm, old, new, PROT_READ | PROT_WRITE) < 0)
			return mm->brk;
	} else if (new < old) {
		if (vma_cut(mm, new, old) < 0)
			return mm->brk;
		uvm_unmap(mm->pml4, new, old - new);
	}
	mm->brk = addr;
	return addr;
}
