/*
 * exec.c: building a new address space for an embedded program (execve,
 * and the programs the kernel starts itself).  The address space holds the
 * program's PT_LOAD segments at their p_vaddr (U=1, W only if PF_W, NX
 * unless PF_X, zero-filled from p_filesz to p_memsz) and a 64 KiB stack
 * ending at USER_STACK_TOP (U=1, W, NX).  The stack starts as Linux's does
 * for a static binary: RSP points at argc, then come the argv pointers and
 * a NULL, an empty environment (NULL), an empty auxiliary vector (AT_NULL),
 * and the argument strings at the top.  Segments and stack are populated
 * at once, and recorded as areas (mmap.c) like any mapping; the heap
 * (brk) starts empty on the page after the last segment.
 */
#include "defs.h"
#include "elf.h"

/* The embedded program a path names: "NAME" or "/bin/NAME". */
const struct user_program *find_program(const char *path)
{
	if (strncmp(path, "/bin/", 5) == 0)
		path += 5;
	for (const struct user_program *u = user_programs; u->name; u++)
		if (strcmp(u->name, path) == 0)
			return u;
	return 0;
}

/* Map and fill one PT_LOAD segment (number i) of image [img, img + size).
 * Returns 0, or -1 after printing why. */
static int load_segment(const char *name, struct mm *mm, const u8 *img, u64 size,
			const struct elf64_phdr *ph, int i)
{
	u64 perm = (ph->p_flags & PF_W ? PTE_W : 0) | (ph->p_flags & PF_X ? 0 : PTE_NX);
	int prot = (ph->p_flags & PF_R ? PROT_READ : 0) | (ph->p_flags & PF_W ? PROT_WRITE : 0) |
		   (ph->p_flags & PF_X ? PROT_EXEC : 0);
	u64 start = ph->p_vaddr & ~(PGSIZE - 1), end;

	if (ph->p_filesz > ph->p_memsz || ph->p_offset > size || ph->p_filesz > size - ph->p_offset) {
		kprintf("%s: segment %d: %lu file bytes at offset 0x%lx, beyond the %lu-byte file\n",
			name, i, ph->p_filesz, ph->p_offset, size);
		return -1;
	}
	if (ph->p_vaddr < USER_BASE || ph->p_vaddr > USER_TOP || ph->p_memsz > USER_TOP - ph->p_vaddr) {
		kprintf("%s: segment %d at 0x%lx (%lu bytes) is outside user space [0x%lx, 0x%lx)\n",
			name, i, ph->p_vaddr, ph->p_memsz, USER_BASE, USER_TOP);
		return -1;
	}
	end = (ph->p_vaddr + ph->p_memsz + PGSIZE - 1) & ~(PGSIZE - 1);
	if (uvm_alloc(mm->pml4, ph->p_vaddr, ph->p_memsz, perm) < 0 ||
	    uvm_copyout(mm->pml4, ph->p_vaddr, img + ph->p_offset, ph->p_filesz) < 0 ||
	    mm_add(mm, start, end, prot) < 0) {
		kprintf("%s: out of memory loading segment %d\n", name, i);
		return -1;
	}
	if (end > mm->brk_base)
		mm->brk_base = mm->brk = end;
	return 0;
}

/* Check the ELF64 ET_EXEC image [img, img + size) and load its PT_LOAD
 * segments into mm.  Returns 0 and sets *entry, or -1 after printing why. */
static int load_elf(const char *name, struct mm *mm, const u8 *img, u64 size, u64 *entry)
{
	const struct elf64_ehdr *eh = (const void *)img;
	const struct elf64_phdr *ph;

	if (size < sizeof(*eh) || memcmp(eh->e_ident, ELF_MAGIC, 4) != 0) {
		kprintf("%s: not an ELF file\n", name);
		return -1;
	}
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != EM_X86_64) {
		kprintf("%s: not a little-endian ELF64 file for x86-64 (class %u, machine %u)\n",
			name, eh->e_ident[EI_CLASS], eh->e_machine);
		return -1;
	}
	if (eh->e_type != ET_EXEC) {
		kprintf("%s: ELF type %u, only ET_EXEC (2) is supported\n", name, eh->e_type);
		return -1;
	}
	if (eh->e_phentsize != sizeof(*ph) || eh->e_phoff > size ||
	    eh->e_phnum > (size - eh->e_phoff) / sizeof(*ph)) {
		kprintf("%s: %u program headers at offset 0x%lx do not fit in the %lu-byte file\n",
			name, eh->e_phnum, eh->e_phoff, size);
		return -1;
	}
	if (eh->e_entry < USER_BASE || eh->e_entry >= USER_TOP) {
		kprintf("%s: entry point 0x%lx is outside user space\n", name, eh->e_entry);
		return -1;
	}

	ph = (const void *)(img + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && load_segment(name, mm, img, size, &ph[i], i) < 0)
			return -1;
	*entry = eh->e_entry;
	return 0;
}

/* Put argc, argv[] and the strings on the new stack (layout at the top).
 * Returns the initial RSP, 16-byte aligned, or 0 if they do not fit. */
static u64 push_args(u64 pml4, char *const argv[], int argc)
{
	u64 words[1 + MAXARG + 4];   /* argc, argv[], NULL, envp NULL, AT_NULL pair */
	int n = 0;
	u64 sp = USER_STACK_TOP;

	words[n++] = argc;
	for (int i = 0; i < argc; i++) {
		u64 len = strlen(argv[i]) + 1;
		if (len > sp - (USER_STACK_TOP - PGSIZE))
			return 0;         /* keep the strings within the top page */
		sp -= len;
		if (uvm_copyout(pml4, sp, argv[i], len) < 0)
			return 0;
		words[n++] = sp;
	}
	words[n++] = 0;           /* end of argv */
	words[n++] = 0;           /* envp: empty */
	words[n++] = 0;           /* auxv: AT_NULL */
	words[n++] = 0;
	sp = (sp - n * sizeof(u64)) & ~15ul;
	if (uvm_copyout(pml4, sp, words, n * sizeof(u64)) < 0)
		return 0;
	return sp;
}

/*
 * Build the address space of program prog with the arguments argv[argc]
 * (kernel strings, argc <= MAXARG) in *mm.  Returns 0 and sets *entry and
 * *sp, or -errno (after printing why, for a broken image) with nothing
 * left allocated.
 */
int exec_load(const struct user_program *prog, char *const argv[], int argc,
	      struct mm *mm, u64 *entry, u64 *sp)
{
	u64 stack = USER_STACK_TOP - USER_STACK_SIZE;

	memset(mm, 0, sizeof(*mm));
	mm->pml4 = uvm_create();
	if (!mm->pml4)
		return -ENOMEM;
	if (load_elf(prog->name, mm, prog->start, prog->end - prog->start, entry) < 0) {
		uvm_free(mm->pml4);
		return -ENOEXEC;
	}
	if (uvm_alloc(mm->pml4, stack, USER_STACK_SIZE, PTE_W | PTE_NX) < 0 ||
	    mm_add(mm, stack, USER_STACK_TOP, PROT_READ | PROT_WRITE) < 0) {
		kprintf("%s: out of memory for the stack\n", prog->name);
		uvm_free(mm->pml4);
		return -ENOMEM;
	}
	*sp = push_args(mm->pml4, argv, argc);
	if (!*sp) {
		uvm_free(mm->pml4);
		return -E2BIG;
	}
	return 0;
}
