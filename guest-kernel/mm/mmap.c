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
 * MAP_SHARED|MAP_ANONYMOUS memory is shared with the children fork()
 * makes instead of copied on write.  Its pages are all backed at mmap
 * time and carry PTE_SHARED (vm.c), which fork and mprotect leave
 * writable: there is no object behind the area that a page touched later
 * by one process could be found in by the other.  mremap moves page-table
 * entries, so it keeps both kinds of memory as they are.
 *
 * The address spaces themselves (struct mm) come from a pool: a vfork()
 * child shares its parent's (refs 2) until it execs or exits.
 */
#include "defs.h"

#define MAP_SHARED          0x01
#define MAP_PRIVATE         0x02
#define MAP_SHARED_VALIDATE 0x03
#define MAP_FIXED           0x10
#define MAP_ANONYMOUS       0x20
#define MAP_GROWSDOWN       0x100
#define MAP_DENYWRITE       0x800
#define MAP_EXECUTABLE      0x1000
#define MAP_LOCKED          0x2000
#define MAP_NORESERVE       0x4000
#define MAP_POPULATE        0x8000
#define MAP_NONBLOCK        0x10000
#define MAP_STACK           0x20000
#define MAP_HUGETLB         0x40000
#define MAP_FIXED_NOREPLACE 0x100000
/* The flags that change nothing here (Linux takes them as hints too). */
#define MAP_HINTS (MAP_GROWSDOWN | MAP_DENYWRITE | MAP_EXECUTABLE | MAP_LOCKED | MAP_NORESERVE | \
		   MAP_POPULATE | MAP_NONBLOCK | MAP_STACK)
#define PROT_ALL            (PROT_READ | PROT_WRITE | PROT_EXEC)

#define MREMAP_MAYMOVE      1
#define MREMAP_FIXED        2

#define MADV_NORMAL         0
#define MADV_RANDOM         1
#define MADV_SEQUENTIAL     2
#define MADV_WILLNEED       3
#define MADV_DONTNEED       4
#define MADV_FREE           8
#define MADV_REMOVE         9
#define MADV_DONTFORK       10
#define MADV_DOFORK         11
#define MADV_MERGEABLE      12
#define MADV_UNMERGEABLE    13
#define MADV_HUGEPAGE       14
#define MADV_NOHUGEPAGE     15
#define MADV_DONTDUMP       16
#define MADV_DODUMP         17
#define MADV_COLD           20
#define MADV_PAGEOUT        21

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
	for (int i = 0; i < mm->nvma; i++)
		iput(mm->vma[i].file);
	mm->nvma = 0;
}

/* fork: the copy's file-backed areas hold their files too. */
void mm_dup_files(struct mm *mm)
{
	for (int i = 0; i < mm->nvma; i++)
		iget(mm->vma[i].file);
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

/* The leaf flags for the pages of area v. */
static u64 vma_pte_flags(const struct vma *v)
{
	return pte_flags(v->prot) | (v->flags & VMA_SHARED ? PTE_SHARED : 0);
}

/* Two areas that could be one if they touched. */
static bool vma_same(const struct vma *a, const struct vma *b)
{
	return a->prot == b->prot && a->flags == b->flags && !a->file && !b->file;
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
			mm->vma[i + 1] = *v;
			mm->vma[i + 1].start = end;
			mm->vma[i + 1].off += end - v->start;
			iget(v->file);            /* each piece holds the file */
			v->end = start;
			return 0;
		}
		if (v->start < start) {
			v->end = start;
		} else if (v->end > end) {
			v->off += end - v->start;
			v->start = end;
		} else {
			iput(v->file);
			vma_close(mm, i);
			i--;
		}
	}
	return 0;
}

/* Record the area n where there is none, merged into a neighbour like
 * it.  -ENOMEM if no slot. */
static int vma_insert(struct mm *mm, const struct vma *n)
{
	u64 start = n->start, end = n->end;
	int i = 0;

	while (i < mm->nvma && mm->vma[i].start < start)
		i++;
	struct vma *prev = i > 0 ? &mm->vma[i - 1] : 0;
	struct vma *next = i < mm->nvma ? &mm->vma[i] : 0;
	bool join_prev = prev && prev->end == start && vma_same(prev, n);
	bool join_next = next && next->start == end && vma_same(next, n);

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
		mm->vma[i] = *n;
	}
	return 0;
}

/*
 * Make [start, end) (page-aligned) one area with rights prot, replacing the
 * areas that were there, not their pages.  That takes up to two slots more
 * (the middle cut out of an area, then the new one), so it needs two free
 * ones, checked first: -ENOMEM changes nothing.
 */
static int vma_replace(struct mm *mm, const struct vma *n)
{
	if (mm->nvma > NVMA - 2)
		return -ENOMEM;
	iget(n->file);                    /* the new area's own reference */
	vma_cut(mm, n->start, n->end);
	return vma_insert(mm, n);
}

int mm_add_flags(struct mm *mm, u64 start, u64 end, int prot, int flags)
{
	struct vma n = { .start = start, .end = end, .prot = prot, .flags = flags };

	return vma_replace(mm, &n);
}

int mm_add(struct mm *mm, u64 start, u64 end, int prot)
{
	return mm_add_flags(mm, start, end, prot, 0);
}

/* The rights of the area holding va, or -1 if there is none. */
int mm_prot_at(struct mm *mm, u64 va)
{
	struct vma *v = vma_find(mm, va);

	return v ? v->prot : -1;
}

/* True if va is in a MAP_SHARED area (futex.c: such a futex is named by
 * its page, not by the address space). */
bool mm_shared_at(struct mm *mm, u64 va)
{
	struct vma *v = vma_find(mm, va);

	return v && (v->flags & VMA_SHARED);
}

/*
 * The first touch of page va of a file-backed area: map the file's page
 * itself (the ramfs page: fs/ramfs.c ramfs_page()), writable if the area
 * is MAP_SHARED and writable, so that the process and write() see the
 * same bytes; a MAP_PRIVATE area maps it copy-on-write, so its first
 * write makes the process its own copy (uvm_touch()).  A page wholly past
 * the end of the file is -EIO: SIGBUS for the process, as on Linux.
 */
static int file_fault(struct mm *mm, struct vma *v, u64 va)
{
	struct inode *ip = v->file;
	u64 pg = (v->off + (va - v->start)) / PGSIZE;
	u64 flags = vma_pte_flags(v), gpa;

	if (pg * PGSIZE >= ip->size)
		return -EIO;
	if (!(gpa = ip->op->page(ip, pg)))
		return -ENOMEM;
	if (!(v->flags & VMA_SHARED) && (flags & PTE_W))
		flags = (flags & ~PTE_W) | PTE_COW;
	return uvm_map_page(mm->pml4, va, gpa, flags);
}

/*
 * A page fault in user mode at va with error code err, or the kernel about
 * to access va for the process (as if it faulted): if the area holding va
 * allows the access, make the page ready for it (vm.c: uvm_touch()) and
 * return 0; the access can then be retried.  -EFAULT if no area holds va,
 * -EACCES if the area does not allow the access (SIGSEGV with SEGV_MAPERR
 * or SEGV_ACCERR, trap.c), -ENOMEM.  Reading needs any right: x86 cannot
 * make a writable or executable page unreadable.
 */
int mm_fault(struct mm *mm, u64 va, u64 err)
{
	struct vma *v = vma_find(mm, va);
	int need = err & PFERR_W ? PROT_WRITE : err & PFERR_I ? PROT_EXEC : PROT_ALL;

	if (!v)
		return -EFAULT;
	if (!(v->prot & need))
		return -EACCES;
	if (v->file && !uvm_present(mm->pml4, va))
		return file_fault(mm, v, va & ~(PGSIZE - 1));
	return uvm_touch(mm->pml4, va & ~(PGSIZE - 1), err & PFERR_W, vma_pte_flags(v));
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

/* Back every page of [start, start + len) of the address space mm now,
 * with leaf flags (MAP_SHARED memory).  0 or -ENOMEM. */
static int populate(struct mm *mm, u64 start, u64 len, u64 flags)
{
	for (u64 a = start; a < start + len; a += PGSIZE)
		if (uvm_touch(mm->pml4, a, false, flags) == -ENOMEM)
			return -ENOMEM;
	return 0;
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
 * mmap(addr, len, prot, flags, fd, off): anonymous memory only, private or
 * MAP_SHARED (shared with forked children, backed at once), with
 * MAP_FIXED (replacing what was mapped there) or MAP_FIXED_NOREPLACE;
 * otherwise addr is a hint.  MAP_GROWSDOWN, MAP_STACK, MAP_NORESERVE,
 * MAP_POPULATE and the like are accepted and change nothing.  Returns the
 * address of the new zero-filled memory, or -errno.
 */
s64 mm_mmap(struct mm *mm, u64 addr, u64 len, u64 prot, u64 flags, s64 fd, u64 off)
{
	u64 type = flags & MAP_SHARED_VALIDATE, start;
	int vflags = type == MAP_PRIVATE ? 0 : VMA_SHARED;

	struct inode *file = 0;

	if (prot & ~(u64)PROT_ALL)
		return -EINVAL;
	if (!(flags & MAP_ANONYMOUS)) {
		/* A file: its pages are mapped as they are touched
		 * (file_fault()).  /dev/zero is anonymous memory. */
		struct file *f = fd_file(fd);
		if (!f)
			return -EBADF;
		if (off & (PGSIZE - 1))
			return -EINVAL;
		if (f->ip && S_ISCHR(f->ip->mode) && f->ip->rdev == DEV(1, 5)) {
			flags |= MAP_ANONYMOUS;
		} else {
			if (!f->ip || !S_ISREG(f->ip->mode) || !f->ip->op->page)
				return -ENODEV;
			if ((f->flags & O_ACCMODE) == O_WRONLY)
				return -EACCES;
			if (type != MAP_PRIVATE && (prot & PROT_WRITE) &&
			    (f->flags & O_ACCMODE) != O_RDWR)
				return -EACCES;
			file = f->ip;
		}
	}
	if (type == 0 || (type == MAP_SHARED_VALIDATE &&
			  (flags & ~(u64)(MAP_SHARED_VALIDATE | MAP_FIXED | MAP_ANONYMOUS |
					  MAP_FIXED_NOREPLACE | MAP_HINTS))))
		return -EINVAL;
	if (flags & MAP_HUGETLB)
		return -EINVAL;
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
	if (file) {
		struct vma n = { .start = start, .end = start + len, .prot = prot,
				 .flags = vflags, .file = file, .off = off };
		if (vma_replace(mm, &n) < 0)
			return -ENOMEM;
		uvm_unmap(mm->pml4, start, len);
		return start;
	}
	if (mm_add_flags(mm, start, start + len, prot, vflags) < 0)
		return -ENOMEM;
	uvm_unmap(mm->pml4, start, len);      /* MAP_FIXED: the old pages go */
	if (vflags & VMA_SHARED) {
		struct vma *v = vma_find(mm, start);
		if (populate(mm, start, len, vma_pte_flags(v)) < 0) {
			vma_cut(mm, start, start + len);
			uvm_unmap(mm->pml4, start, len);
			return -ENOMEM;
		}
	}
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

/* mprotect(addr, len, prot): the whole range must be mapped.  Each area
 * in it keeps its other attributes (shared or not). */
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
	for (u64 a = addr; a < addr + len;) {
		struct vma n = *vma_find(mm, a);
		n.off += a - n.start;
		n.start = a;
		if (n.end > addr + len)
			n.end = addr + len;
		n.prot = prot;
		if (vma_replace(mm, &n) < 0)
			return -ENOMEM;
		uvm_protect(mm->pml4, n.start, n.end - n.start, vma_pte_flags(&n));
		a = n.end;
	}
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
		if (!uvm_user_range(old, new - old) || vma_overlaps(mm, old, new) ||
		    mm_add(mm, old, new, PROT_READ | PROT_WRITE) < 0)
			return mm->brk;
	} else if (new < old) {
		if (vma_cut(mm, new, old) < 0)
			return mm->brk;
		uvm_unmap(mm->pml4, new, old - new);
	}
	mm->brk = addr;
	return addr;
}

/*
 * mremap(old, old_len, new_len, flags, new_addr): resize the mapping at
 * old, which must lie inside one area.  Shrinking unmaps the tail; growing
 * extends it in place when the pages after it are free, else with
 * MREMAP_MAYMOVE moves it (its page-table entries: the memory itself stays
 * where it is) to a free range, or with MREMAP_FIXED to new_addr, which
 * replaces what was mapped there.  Returns the new address, or -errno as
 * Linux: EINVAL for bad flags or alignment, EFAULT if old is not mapped,
 * ENOMEM if it cannot grow where it is and may not move.
 */
s64 mm_mremap(struct mm *mm, u64 old, u64 old_len, u64 new_len, u64 flags, u64 new_addr)
{
	struct vma *v, n;
	u64 dst;

	if ((old & (PGSIZE - 1)) || (flags & ~(u64)(MREMAP_MAYMOVE | MREMAP_FIXED)) ||
	    ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE)))
		return -EINVAL;
	if (old_len > USER_TOP || new_len > USER_TOP || new_len == 0)
		return -EINVAL;
	old_len = page_up(old_len);
	new_len = page_up(new_len);
	if (old_len == 0)
		return -EINVAL;           /* a second mapping of shared memory: not here */
	if ((flags & MREMAP_FIXED) &&
	    ((new_addr & (PGSIZE - 1)) || !uvm_user_range(new_addr, new_len) ||
	     (new_addr < old + old_len && old < new_addr + new_len)))
		return -EINVAL;
	v = vma_find(mm, old);
	if (!uvm_user_range(old, old_len) || !v || old + old_len > v->end)
		return -EFAULT;
	n = *v;

	if (!(flags & MREMAP_FIXED)) {
		if (new_len <= old_len) {
			if (new_len < old_len) {
				if (vma_cut(mm, old + new_len, old + old_len) < 0)
					return -ENOMEM;
				uvm_unmap(mm->pml4, old + new_len, old_len - new_len);
			}
			return old;
		}
		/* Grow in place if the pages after it are free. */
		if (uvm_user_range(old, new_len) &&
		    !vma_overlaps(mm, old + old_len, old + new_len)) {
			n.off += old - n.start;
			n.start = old + old_len;
			n.end = old + new_len;
			n.off += old_len;
			if (vma_replace(mm, &n) < 0)
				return -ENOMEM;
			if ((n.flags & VMA_SHARED) &&
			    populate(mm, n.start, n.end - n.start, vma_pte_flags(&n)) < 0) {
				vma_cut(mm, n.start, n.end);
				uvm_unmap(mm->pml4, n.start, n.end - n.start);
				return -ENOMEM;
			}
			return old;
		}
		if (!(flags & MREMAP_MAYMOVE))
			return -ENOMEM;
		dst = find_free(mm, 0, new_len);
		if (!dst)
			return -ENOMEM;
	} else {
		dst = new_addr;
	}

	/* Move: the new area first (slots permitting), then the entries. */
	if (mm->nvma > NVMA - 4)
		return -ENOMEM;
	n.off += old - n.start;
	n.start = dst;
	n.end = dst + new_len;
	vma_cut(mm, dst, dst + new_len);
	uvm_unmap(mm->pml4, dst, new_len);    /* MREMAP_FIXED: what was there goes */
	vma_insert(mm, &n);
	{
		u64 keep = old_len < new_len ? old_len : new_len;
		if (uvm_move(mm->pml4, old, dst, keep) < 0) {
			vma_cut(mm, dst, dst + new_len);
			uvm_unmap(mm->pml4, dst, new_len);
			return -ENOMEM;
		}
		if ((n.flags & VMA_SHARED) && new_len > keep &&
		    populate(mm, dst + keep, new_len - keep, vma_pte_flags(&n)) < 0) {
			vma_cut(mm, dst, dst + new_len);
			uvm_unmap(mm->pml4, dst, new_len);
			return -ENOMEM;
		}
	}
	vma_cut(mm, old, old + old_len);
	uvm_unmap(mm->pml4, old, old_len);
	return dst;
}

/*
 * madvise(addr, len, advice): MADV_DONTNEED (and MADV_FREE, which may act
 * the same) drops the pages of private memory, which reads as zeros on
 * the next touch; shared memory keeps its contents, as Linux's does.  The
 * other advice Linux knows is accepted and changes nothing; unknown advice
 * is EINVAL, an unmapped range ENOMEM.
 */
s64 mm_madvise(struct mm *mm, u64 addr, u64 len, u64 advice)
{
	u64 end;

	if (addr & (PGSIZE - 1))
		return -EINVAL;
	switch (advice) {
	case MADV_NORMAL: case MADV_RANDOM: case MADV_SEQUENTIAL: case MADV_WILLNEED:
	case MADV_DONTNEED: case MADV_FREE: case MADV_DONTFORK: case MADV_DOFORK:
	case MADV_MERGEABLE: case MADV_UNMERGEABLE: case MADV_HUGEPAGE: case MADV_NOHUGEPAGE:
	case MADV_DONTDUMP: case MADV_DODUMP: case MADV_COLD: case MADV_PAGEOUT:
		break;
	case MADV_REMOVE:
		return -EINVAL;           /* needs shared, file-backed memory */
	default:
		return -EINVAL;
	}
	if (len == 0)
		return 0;
	if (len > USER_TOP)
		return -EINVAL;
	end = addr + page_up(len);
	if (!uvm_user_range(addr, end - addr))
		return -ENOMEM;
	if (!vma_covers(mm, addr, end))
		return -ENOMEM;
	if (advice != MADV_DONTNEED && advice != MADV_FREE)
		return 0;
	for (u64 a = addr; a < end;) {
		struct vma *v = vma_find(mm, a);
		u64 e = v->end < end ? v->end : end;
		if (!(v->flags & VMA_SHARED))
			uvm_unmap(mm->pml4, a, e - a);
		a = e;
	}
	return 0;
}

/*
 * msync(addr, len, flags): a file's mapped pages are the file's own pages
 * (file_fault()), so there is nothing to write back; what is checked is
 * what Linux checks: alignment, flags, and that the range is mapped.
 */
#define MS_ASYNC      1
#define MS_INVALIDATE 2
#define MS_SYNC       4

s64 mm_msync(struct mm *mm, u64 addr, u64 len, u64 flags)
{
	if ((addr & (PGSIZE - 1)) || (flags & ~(u64)(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) ||
	    ((flags & MS_ASYNC) && (flags & MS_SYNC)))
		return -EINVAL;
	if (len > USER_TOP)
		return -ENOMEM;
	len = page_up(len);
	if (len && (!uvm_user_range(addr, len) || !vma_covers(mm, addr, addr + len)))
		return -ENOMEM;
	return 0;
}
