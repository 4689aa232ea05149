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
 * Page-table pages are named by GPA and reached through phys_to_virt().
 * On trapvisor every write to a page the monitor has seen as a page table
 * traps (it write-protects them to keep its shadow tables true), so an
 * address space is built completely before it is first loaded, and then
 * left alone until it is freed.
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
 * CR3 load traps and, on trapvisor, empties that address space's shadow.
 * Skipping it is safe because a loaded address space is never changed in
 * place (exec builds a new one; only unloaded ones are built or freed).
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

/*
 * Copy the table src of the given level (3 = PDPT ... 1 = PT) into the empty
 * table dst: every page it maps gets a copy of its own, with the same
 * flags.  Returns 0, or -1 when out of memory (what was copied stays in dst
 * for uvm_free()).
 */
static int copy_table(u64 src, u64 dst, int level)
{
	const u64 *s = phys_to_virt(src);
	u64 *d = phys_to_virt(dst);

	for (int i = 0; i < 512; i++) {
		if (!(s[i] & PTE_P))
			continue;
		u64 page = kalloc();
		if (!page)
			return -1;
		d[i] = page | (s[i] & ~PTE_ADDR);
		if (level > 1) {
			if (copy_table(s[i] & PTE_ADDR, page, level - 1) < 0)
				return -1;
		} else {
			memcpy(phys_to_virt(page), phys_to_virt(s[i] & PTE_ADDR), PGSIZE);
		}
	}
	return 0;
}

/* fork: return the GPA of a new PML4 with a copy of pml4's whole user space
 * (a full copy: no copy-on-write yet), or 0 when out of memory. */
u64 uvm_copy(u64 pml4)
{
	u64 new = uvm_create();
	const u64 *s = phys_to_virt(pml4);
	u64 *d;

	if (!new)
		return 0;
	d = phys_to_virt(new);
	for (int i = 0; i < (int)USER_PML4_ENTRIES; i++) {
		if (!(s[i] & PTE_P))
			continue;
		u64 t = kalloc();
		if (!t)
			goto fail;
		d[i] = t | (s[i] & ~PTE_ADDR);
		if (copy_table(s[i] & PTE_ADDR, t, 3) < 0)
			goto fail;
	}
	return new;

fail:
	uvm_free(new);
	return 0;
}

/* Free a table of the given level (3 = PDPT ... 1 = PT) and all it maps. */
static void free_table(u64 table, int level)
{
	u64 *t = phys_to_virt(table);

	for (int i = 0; i < 512; i++) {
		if (!(t[i] & PTE_P))
			continue;
		if (level > 1)
			free_table(t[i] & PTE_ADDR, level - 1);
		else
			kfree(t[i] & PTE_ADDR);
	}
	kfree(table);
}

/* Free a process's address space: its user pages, its tables and its PML4
 * (not the shared kernel half).  It must not be the loaded one. */
void uvm_free(u64 pml4)
{
	u64 *t = phys_to_virt(pml4);

	for (int i = 0; i < (int)USER_PML4_ENTRIES; i++)
		if (t[i] & PTE_P)
			free_table(t[i] & PTE_ADDR, 3);
	kfree(pml4);
}

static bool user_range(u64 va, u64 len)
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
	if (!user_range(va, len))
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

/* Return the leaf entry for va if user mode may access it with rights
 * (P and U, and W if asked, at every level, as the MMU checks), else 0. */
static u64 user_pte(u64 pml4, u64 va, u64 rights)
{
	u64 table = pml4;

	rights |= PTE_P | PTE_U;
	for (int l = 4; l >= 1; l--) {
		u64 e = ((u64 *)phys_to_virt(table))[PT_INDEX(va, l)];
		if ((e & rights) != rights)
			return 0;
		if (l == 1 || (e & PTE_PS))
			return e;
		table = e & PTE_ADDR;
	}
	return 0;
}

static bool user_access(u64 pml4, u64 va, u64 len, u64 rights)
{
	if (!user_range(va, len))
		return false;
	for (u64 a = va & ~(PGSIZE - 1); a < va + len; a += PGSIZE)
		if (!user_pte(pml4, a, rights))
			return false;
	return true;
}

/* True if [va, va + len) lies in user space and user mode may read all of
 * it in address space pml4 (the check a syscall makes before reading). */
bool uvm_readable(u64 pml4, u64 va, u64 len)
{
	return user_access(pml4, va, len, 0);
}

/* The same for writing: the kernel writes through the user's mapping, and
 * with CR0.WP a read-only page would fault in the kernel. */
bool uvm_writable(u64 pml4, u64 va, u64 len)
{
	return user_access(pml4, va, len, PTE_W);
}
