/*
 * vm.c: page tables.  The kernel's own tables hold
 *   (i)  a direct map of all RAM at DIRECT_MAP + GPA: 2 MiB pages where
 *        possible, 4 KiB pages for a partial last 2 MiB; supervisor, RW, NX;
 *   (ii) the kernel image at its link address, 4 KiB pages: text RX,
 *        rodata R, data and bss RW;
 * and nothing else: no identity map, no user pages.  Every process gets a
 * PML4 of its own whose upper slots (USER_PML4_ENTRIES..511) are copied
 * from the kernel's, so (i) and (ii) are shared, and whose lower slots map
 * its user space [USER_BASE, USER_TOP) and are freed with it.
 *
 * A process's lower slots change while it runs: copy-on-write fork makes
 * its writable pages read-only, a write fault copies one, mmap'ed pages
 * appear on first touch (mmap.c decides what may appear where), munmap
 * drops pages and frees page tables that become empty.  After changing a
 * present entry of the loaded address space the kernel flushes the TLB
 * (INVLPG or a CR3 reload), as the architecture requires; on trapvisor
 * every such write traps (the monitor write-protects every page table to
 * keep its shadow tables true), which is what makes these paths the ones
 * to measure.  So the hot loops (fork's copy-on-write pass, munmap,
 * mprotect, mremap, freeing an address space) store entries and free
 * tables through pvmmu.c, which batches them for the monitor when it can.
 *
 * Page-table pages are named by GPA and reached through phys_to_virt().
 */
#include "defs.h"

/* VA of GPA 0.  The boot page tables map RAM at VA = GPA, so it starts at 0
 * and becomes DIRECT_MAP once vm_init() has loaded the kernel's tables. */
u64 phys_offset;

static u64 kernel_pml4;       /* GPA of the kernel's PML4 */
static u64 loaded_pml4;       /* GPA of the PML4 in CR3 */

/*
 * Return the entry for va in the table of the given level (1 = PT entry for
 * a 4 KiB page, 2 = PD entry for a 2 MiB page), creating missing tables with
 * the flags table_flags (none if table_flags is 0).  Returns 0 when a table
 * is missing and not created, memory runs out, or a large page covers va.
 */
static u64 *walk(u64 pml4, u64 va, int level, u64 table_flags)
{
	u64 table = pml4;

	for (int l = 4; l > level; l--) {
		u64 *e = (u64 *)phys_to_virt(table) + PT_INDEX(va, l);
		if (!(*e & PTE_P)) {
			u64 t = table_flags ? kalloc() : 0;
			if (!t)
				return 0;
			*e = t | table_flags;
		} else if (*e & PTE_PS) {
			return 0;
		}
		table = *e & PTE_ADDR;
	}
	return (u64 *)phys_to_virt(table) + PT_INDEX(va, level);
}

/*
 * Map [va, va + size) to [gpa, gpa + size) with leaf flags perm, in kernel
 * tables (intermediate entries P|W, no U).  Uses 2 MiB pages where both
 * addresses are aligned and a whole large page remains, if huge is set.
 */
static void kmap(u64 pml4, u64 va, u64 gpa, u64 size, u64 perm, bool huge)
{
	while (size > 0) {
		bool big = huge && ((va | gpa) & (HUGE_PGSIZE - 1)) == 0 && size >= HUGE_PGSIZE;
		u64 step = big ? HUGE_PGSIZE : PGSIZE;
		u64 *e = walk(pml4, va, big ? 2 : 1, PTE_P | PTE_W);

		if (!e)
			panic("vm: out of memory mapping 0x%lx", va);
		*e = gpa | perm | (big ? PTE_PS : 0);
		va += step;
		gpa += step;
		size -= step;
	}
}

/* Map one kernel image segment [start, end) of link addresses. */
static void kmap_image(u64 pml4, char *start, char *end, u64 perm)
{
	u64 va = (u64)start;

	kmap(pml4, va, va - KERNEL_VBASE + KERNEL_PBASE, (u64)end - va, perm, false);
}

/* Build the kernel's page tables (i) and (ii), load them, and from then on
 * reach RAM through the direct map. */
void vm_init(u64 ram_size)
{
	u64 ram = ram_size & ~(PGSIZE - 1);

	kernel_pml4 = kalloc();
	if (!kernel_pml4)
		panic("vm: out of memory for the kernel PML4");
	kmap(kernel_pml4, DIRECT_MAP, 0, ram, PTE_P | PTE_W | PTE_NX, true);
	kmap_image(kernel_pml4, __text_start, __text_end, PTE_P);
	kmap_image(kernel_pml4, __rodata_start, __rodata_end, PTE_P | PTE_NX);
	kmap_image(kernel_pml4, __data_start, __data_end, PTE_P | PTE_W | PTE_NX);

	lcr3(kernel_pml4);
	loaded_pml4 = kernel_pml4;
	phys_offset = DIRECT_MAP;   /* the identity map is gone */
}

/*
 * Load a process's page tables (GPA of its PML4), unless they are loaded
 * already: the scheduler often resumes the process that just ran, and a
 * CR3 load traps on trapvisor.  Skipping it is safe because every change
 * to the loaded address space flushes what it must itself (struct tlb).
 */
void vm_switch(u64 pml4)
{
	if (pml4 == loaded_pml4)
		return;
	lcr3(pml4);
	loaded_pml4 = pml4;
}

/* Load the kernel's own page tables: before freeing the address space
 * that was loaded. */
void vm_switch_kernel(void)
{
	vm_switch(kernel_pml4);
}

/*
 * For fuzz.c: map one kernel page at va (outside the image and the direct
 * map) to gpa with leaf flags perm, and return the kernel's pointer to the
 * page table that holds its entry; and load the kernel's tables again even
 * if they look loaded (random code may have written CR3).
 */
u64 *kmap_page(u64 va, u64 gpa, u64 perm)
{
	kmap(kernel_pml4, va, gpa, PGSIZE, perm, false);
	return walk(kernel_pml4, va, 1, 0) - PT_INDEX(va, 1);
}

void vm_reload_kernel(void)
{
	lcr3(kernel_pml4);
	loaded_pml4 = kernel_pml4;
}

/*
 * What changing a present entry of an address space owes the TLB (SDM
 * vol. 3, 4.10.4): nothing if the address space is not loaded; else an
 * INVLPG of each page whose entry changed, or, past 32 pages, one CR3
 * reload instead (Linux's tlb_single_page_flush_ceiling is 33), at the
 * end, once the entries are stored (pt_flush()), as Linux's mmu_gather
 * flushes after the range.  Any INVLPG also drops the cached upper-level
 * entries, which covers a freed page table.  A not-present entry is never
 * cached: filling one owes nothing.
 */
#define TLB_EACH_MAX 32

struct tlb {
	bool loaded;              /* the address space is in CR3 */
	bool each;                /* INVLPG page by page, else reload */
	bool reload;              /* a reload is owed at tlb_done() */
	u32 n;                    /* pages in va[] */
	u64 va[TLB_EACH_MAX];     /* each: the pages to INVLPG at tlb_done() */
};

static void tlb_start(struct tlb *t, u64 pml4, u64 pages)
{
	t->loaded = pml4 == loaded_pml4;
	t->each = pages <= TLB_EACH_MAX;
	t->reload = false;
	t->n = 0;
}

/* The entry for the page at va changed (or a table holding it was freed). */
static void tlb_page(struct tlb *t, u64 va)
{
	if (t->loaded && t->each && t->n < TLB_EACH_MAX)
		t->va[t->n++] = va;
	else if (t->loaded)
		t->reload = true;
}

/* Store the entries, then flush what they owe. */
static void tlb_done(struct tlb *t)
{
	pt_flush();
	if (t->reload)
		lcr3(loaded_pml4);
	else
		for (u32 i = 0; i < t->n; i++)
			invlpg(t->va[i]);
}

/* Return the GPA of a new PML4 sharing the kernel's mappings and with an
 * empty user space, or 0 when out of memory. */
u64 uvm_create(void)
{
	u64 pml4 = kalloc();
	u64 *dst, *src;

	if (!pml4)
		return 0;
	dst = phys_to_virt(pml4);
	src = phys_to_virt(kernel_pml4);
	for (int i = USER_PML4_ENTRIES; i < 512; i++)
		dst[i] = src[i];
	return pml4;
}

/* How many entries of a table of the given level belong to user space:
 * in a PML4 only the lower slots, the rest are the kernel's. */
static int user_entries(int level)
{
	return level == 4 ? (int)USER_PML4_ENTRIES : 512;
}

/*
 * Copy the table src of the given level (4 = PML4 ... 1 = PT) into the
 * empty table dst for fork.  Tables are copied (a page table is never
 * shared); the pages they map are shared.  A writable page becomes
 * read-only and copy-on-write in both, so whichever writes it first gets
 * its own copy (uvm_touch()); a MAP_SHARED page (PTE_SHARED) stays
 * writable in both.  Sets *changed if an entry of src changed.
 * Returns 0, or -1 when out of memory (what was copied stays in dst for
 * uvm_free()).
 */
static int copy_table(u64 src, u64 dst, int level, bool *changed)
{
	u64 *s = phys_to_virt(src);
	u64 *d = phys_to_virt(dst);

	for (int i = 0; i < user_entries(level); i++) {
		if (!(s[i] & PTE_P))
			continue;
		if (level == 1) {
			u64 e = s[i];
			if ((e & PTE_W) && !(e & PTE_SHARED)) {
				e = (e & ~PTE_W) | PTE_COW;
				pt_set(&s[i], e);
				*changed = true;
			}
			kref(e & PTE_ADDR);
			d[i] = e;         /* a new table: a plain store */
			continue;
		}
		u64 t = kalloc();
		if (!t)
			return -1;
		d[i] = t | (s[i] & ~PTE_ADDR);
		if (copy_table(s[i] & PTE_ADDR, t, level - 1, changed) < 0)
			return -1;
	}
	return 0;
}

/* fork: copy pml4's user space into new, a PML4 from uvm_create() with
 * nothing in it yet, sharing pml4's pages copy-on-write.  pml4 itself
 * loses write access to its pages: if it is loaded, one CR3 reload
 * flushes them all.  Returns 0, or -1 when out of memory (what was copied
 * stays in new, for uvm_free()). */
int uvm_copy(u64 pml4, u64 new)
{
	bool changed = false;
	int r = copy_table(pml4, new, 4, &changed);

	pt_flush();
	if (changed && pml4 == loaded_pml4)
		lcr3(pml4);
	return r;
}

/* Free a table of the given level (4 = PML4 ... 1 = PT): drop a reference
 * to every page it maps, free the tables below it, and itself (through
 * pvmmu.c: after the batch that tells the monitor). */
static void free_table(u64 table, int level)
{
	u64 *t = phys_to_virt(table);

	for (int i = 0; i < user_entries(level); i++) {
		if (!(t[i] & PTE_P))
			continue;
		if (level > 1)
			free_table(t[i] & PTE_ADDR, level - 1);
		else
			kfree(t[i] & PTE_ADDR);
	}
	pt_free_table(table);
}

/* Free a process's address space: its user pages (those it shares lose a
 * reference), its tables and its PML4 (not the shared kernel half).  It
 * must not be the loaded one. */
void uvm_free(u64 pml4)
{
	free_table(pml4, 4);
	pt_flush();
}

/* True if [va, va + len) lies in user space. */
bool uvm_user_range(u64 va, u64 len)
{
	return va >= USER_BASE && va + len >= va && va + len <= USER_TOP;
}

/*
 * Back the user range [va, va + len) with zeroed pages, leaf flags
 * perm | P | U.  A page already mapped (two ELF segments sharing one) is
 * kept, its rights widened.  Returns 0, or -1 when out of memory or outside
 * user space.  The address space must not be loaded (no TLB flush here).
 */
int uvm_alloc(u64 pml4, u64 va, u64 len, u64 perm)
{
	if (!uvm_user_range(va, len))
		return -1;
	for (u64 a = va & ~(PGSIZE - 1); a < va + len; a += PGSIZE) {
		u64 *e = walk(pml4, a, 1, PTE_P | PTE_W | PTE_U);
		if (!e)
			return -1;
		if (*e & PTE_P) {
			*e |= perm & PTE_W;
			if (!(perm & PTE_NX))
				*e &= ~PTE_NX;
			continue;
		}
		u64 page = kalloc();
		if (!page)
			return -1;
		*e = page | perm | PTE_P | PTE_U;
	}
	return 0;
}

/* Copy len bytes from the kernel's src to user address va of pml4, whose
 * pages uvm_alloc() has already backed.  Returns 0 or -1. */
int uvm_copyout(u64 pml4, u64 va, const void *src, u64 len)
{
	const u8 *s = src;

	while (len > 0) {
		u64 *e = walk(pml4, va, 1, 0);
		u64 off = va & (PGSIZE - 1);
		u64 n = PGSIZE - off < len ? PGSIZE - off : len;

		if (!e || !(*e & PTE_P))
			return -1;
		memcpy((u8 *)phys_to_virt(*e & PTE_ADDR) + off, s, n);
		va += n;
		s += n;
		len -= n;
	}
	return 0;
}

/*
 * Copy up to len bytes from user address va of the address space pml4 (any
 * process's, loaded or not) to the kernel's dst, through the direct map:
 * /proc/PID/cmdline.  Stops at the first page that is not present, never
 * touching, backing or copying one; returns the number of bytes copied.
 */
u64 uvm_read(u64 pml4, u64 va, void *dst, u64 len)
{
	u64 done = 0;

	if (!pml4 || !uvm_user_range(va, len))
		return 0;
	while (done < len) {
		u64 *e = walk(pml4, va + done, 1, 0);
		u64 off = (va + done) & (PGSIZE - 1);
		u64 n = PGSIZE - off < len - done ? PGSIZE - off : len - done;

		if (!e || !(*e & PTE_P))
			break;
		memcpy((u8 *)dst + done, (u8 *)phys_to_virt(*e & PTE_ADDR) + off, n);
		done += n;
	}
	return done;
}

/* The user pages present in the table of the given level. */
static u64 count_present(u64 table, int level)
{
	const u64 *t = phys_to_virt(table);
	u64 n = 0;

	for (int i = 0; i < user_entries(level); i++) {
		if (!(t[i] & PTE_P))
			continue;
		n += level > 1 ? count_present(t[i] & PTE_ADDR, level - 1) : 1;
	}
	return n;
}

/* The resident set of an address space: its user pages present, shared
 * ones included (/proc/PID/stat rss, VmRSS). */
u64 uvm_resident(u64 pml4)
{
	return pml4 ? count_present(pml4, 4) : 0;
}

/*
 * Remove [start, end) from the table of the given level that maps the VAs
 * from base on: drop a reference to each page, and free each lower table
 * this leaves empty, so page-table pages go back to the allocator (and
 * come back as data pages, or as other tables).  Returns true if the table
 * is left empty, every entry zero: told from what it cleared, not read
 * back, since its stores may still wait in pvmmu.c's batch.
 */
static bool unmap_table(u64 table, int level, u64 base, u64 start, u64 end, struct tlb *tlb)
{
	u64 *t = phys_to_virt(table);
	u64 span = PT_SPAN(level);
	u64 first = start > base ? (start - base) / span : 0;
	u64 last = (end - 1 - base) / span;
	bool empty = true;

	for (u64 i = 0; i < 512; i++) {
		u64 va = base + i * span, next = t[i] & PTE_ADDR;

		if (!t[i])
			continue;
		if (i < first || i > last || !(t[i] & PTE_P) ||
		    (level > 1 && !unmap_table(next, level - 1, va, start, end, tlb))) {
			empty = false;
			continue;
		}
		pt_set(&t[i], 0);
		if (level > 1)
			pt_free_table(next);
		else
			kfree(next);
		tlb_page(tlb, va > start ? va : start);
	}
	return empty;
}

/* munmap: remove the user pages of [va, va + len) (page-aligned, in user
 * space) from pml4, freeing page tables that become empty. */
void uvm_unmap(u64 pml4, u64 va, u64 len)
{
	struct tlb tlb;

	if (len == 0)
		return;
	tlb_start(&tlb, pml4, len / PGSIZE);
	unmap_table(pml4, 4, 0, va, va + len, &tlb);
	tlb_done(&tlb);
}

/* A leaf entry old given the rights flags (PTE_P and any of PTE_U, PTE_W,
 * PTE_NX), keeping its page and its A and D bits.  A page still shared
 * is not made writable but copy-on-write, unless it is MAP_SHARED. */
static u64 leaf_rights(u64 old, u64 flags)
{
	u64 e = (old & ~(PTE_U | PTE_W | PTE_NX | PTE_COW)) | flags;

	if ((e & PTE_W) && !(e & PTE_SHARED) && kref_count(e & PTE_ADDR) > 1)
		e = (e & ~PTE_W) | PTE_COW;
	return e;
}

/* mprotect: give the pages present in [va, va + len) (page-aligned, in
 * user space) the rights flags, as leaf_rights() does. */
void uvm_protect(u64 pml4, u64 va, u64 len, u64 flags)
{
	struct tlb tlb;

	tlb_start(&tlb, pml4, len / PGSIZE);
	for (u64 a = va; a < va + len;) {
		u64 *e = walk(pml4, a, 1, 0);
		if (!e) {
			a = (a + HUGE_PGSIZE) & ~(HUGE_PGSIZE - 1);   /* no page table here */
			continue;
		}
		if ((*e & PTE_P) && leaf_rights(*e, flags) != *e) {
			pt_set(e, leaf_rights(*e, flags));
			tlb_page(&tlb, a);
		}
		a += PGSIZE;
	}
	tlb_done(&tlb);
}

/*
 * mremap: move the leaf entries of [from, from + len) to the same places
 * from to on (page-aligned, in user space, not overlapping; nothing mapped
 * there), keeping their pages, rights and reference counts.  Returns 0, or
 * -1 when out of memory for a page table (the entries moved so far stay
 * moved: the caller unmaps both ranges).
 */
int uvm_move(u64 pml4, u64 from, u64 to, u64 len)
{
	struct tlb tlb;
	int r = 0;

	tlb_start(&tlb, pml4, len / PGSIZE);
	for (u64 off = 0; off < len;) {
		u64 *s = walk(pml4, from + off, 1, 0), *d;
		if (!s) {                 /* no page table here: the next one */
			off = ((from + off + HUGE_PGSIZE) & ~(HUGE_PGSIZE - 1)) - from;
			continue;
		}
		if (*s & PTE_P) {
			if (!(d = walk(pml4, to + off, 1, PTE_P | PTE_W | PTE_U))) {
				r = -1;
				break;
			}
			pt_set(d, *s);
			pt_set(s, 0);
			tlb_page(&tlb, from + off);
		}
		off += PGSIZE;
	}
	tlb_done(&tlb);
	return r;
}

/* The GPA of the user page at va in pml4 (with va's offset in it), or 0
 * if none is present. */
u64 uvm_gpa(u64 pml4, u64 va)
{
	u64 *e = walk(pml4, va, 1, 0);

	return e && (*e & PTE_P) ? (*e & PTE_ADDR) + (va & (PGSIZE - 1)) : 0;
}

/*
 * Make the user page at va ready for an access its caller has found allowed
 * (the page-fault handler, and the kernel before it touches user memory):
 * a missing page becomes a new zeroed page with leaf flags (PTE_P and
 * rights), and for a write a copy-on-write page becomes the process's own:
 * copied if it is still shared, else just made writable again.  The entry
 * is made accessed, and dirty for a write, as Linux makes it: the access
 * is about to happen, and the monitor can then map the page at once
 * (docs/ARCHITECTURE.md, "Fewer stops") instead of on a fault of its own.
 * Returns 0 if the page now allows the access, -ENOMEM, or -EFAULT.
 */
int uvm_touch(u64 pml4, u64 va, bool write, u64 flags)
{
	u64 *e = walk(pml4, va, 1, PTE_P | PTE_W | PTE_U);
	u64 page, old;

	if (!e)
		return -ENOMEM;
	if (!(*e & PTE_P)) {
		if (!(page = kalloc()))
			return -ENOMEM;
		*e = page | flags | PTE_A | (write && (flags & PTE_W) ? PTE_D : 0);
	} else if (write && (*e & PTE_COW)) {
		old = *e & PTE_ADDR;
		page = old;
		if (kref_count(old) > 1) {
			if (!(page = kalloc()))
				return -ENOMEM;
			memcpy(phys_to_virt(page), phys_to_virt(old), PGSIZE);
			kfree(old);
		}
		*e = page | (*e & ~(PTE_ADDR | PTE_COW)) | PTE_W | PTE_A | PTE_D;
		if (pml4 == loaded_pml4)
			invlpg(va);
	}
	if ((*e & (PTE_P | PTE_U)) != (PTE_P | PTE_U) || (write && !(*e & PTE_W)))
		return -EFAULT;
	return 0;
}

/* True if the user page at va is mapped (present) in pml4. */
bool uvm_present(u64 pml4, u64 va)
{
	u64 *e = walk(pml4, va & ~(PGSIZE - 1), 1, 0);

	return e && (*e & PTE_P);
}

/*
 * Map the page at va (not present) to the existing page gpa with leaf
 * flags (a file's page, mmap.c): the mapping takes a reference, so the
 * page outlives the file's hold on it.  0 or -ENOMEM.
 */
int uvm_map_page(u64 pml4, u64 va, u64 gpa, u64 flags)
{
	u64 *e = walk(pml4, va, 1, PTE_P | PTE_W | PTE_U);

	if (!e)
		return -ENOMEM;
	kref(gpa);
	*e = gpa | flags;
	return 0;
}
