/*
 * exec.c: building a new address space for a program (execve, and the
 * programs the kernel starts itself), as Linux's binfmt_elf and
 * binfmt_script do for a static program.
 *
 * Where the bytes come from is exec_open()'s business alone: it fills in a
 * struct exec_file (a size and a read function), and everything else reads
 * the image through that: a file (fs/), or one of the programs embedded in
 * the kernel ("NAME" or "/bin/NAME") where no file has that name.
 *
 * What is loaded:
 *  - ELF64 x86-64 ET_EXEC at its addresses, and ET_DYN without PT_INTERP
 *    (static-PIE: it relocates itself) at ELF_ET_DYN_BASE, as Linux puts
 *    it.  A PT_INTERP (a dynamically linked program) is refused with
 *    ENOEXEC and one console line.  Each PT_LOAD segment is backed at once
 *    (U=1, W only if PF_W, NX unless PF_X), its p_filesz bytes copied and
 *    the rest zero; segments may share a page (it gets the rights of both)
 *    and need not start on a page boundary.  PT_GNU_STACK with PF_X makes
 *    the stack executable.  The heap (brk) starts on the page after the
 *    highest segment.
 *  - "#!interpreter [one argument]" scripts: the interpreter runs with
 *    argv = interpreter, [argument], the script's path, argv[1...], as in
 *    Linux; an interpreter may itself be a script, up to EXEC_MAX_DEPTH
 *    levels (ELOOP beyond).
 *
 * The stack is an 8 MiB area ending at USER_STACK_TOP whose pages are
 * backed on first touch, except the top ones exec writes.  Its layout is
 * Linux's (fs/binfmt_elf.c create_elf_tables()), from the top down:
 *
 *   8 zero bytes
 *   the path execve was given (AT_EXECFN points here)
 *   the environment strings, then below them the argument strings
 *   (16-byte alignment) "x86_64" (AT_PLATFORM)
 *   16 random bytes (AT_RANDOM)
 *   (16-byte alignment)
 *   auxv pairs, ending with AT_NULL
 *   envp[], NULL
 *   argv[], NULL
 *   argc                      <- RSP, 16-byte aligned
 *
 * Arguments and environment are gathered in kernel pages (struct
 * exec_args) before anything else happens: the old address space, where
 * they live, is gone by the time the new stack is written.  Their strings
 * and pointers may take up to ARG_MAX bytes (E2BIG beyond).
 */
#include "defs.h"
#include "elf.h"

#define EXEC_MAX_DEPTH  4         /* #! interpreters that are scripts themselves */
#define EXEC_PHNUM_MAX  (PGSIZE / sizeof(struct elf64_phdr))
#define SHEBANG_MAX     256       /* Linux's BINPRM_BUF_SIZE: the #! line */
#define ARG_PAGES       (ARG_MAX / PGSIZE)
#define PLATFORM        "x86_64"
#define MINSIGSTKSZ     2048

/* Auxiliary vector types (Linux's include/uapi/linux/auxvec.h). */
#define AT_NULL         0
#define AT_PHDR         3
#define AT_PHENT        4
#define AT_PHNUM        5
#define AT_PAGESZ       6
#define AT_BASE         7
#define AT_FLAGS        8
#define AT_ENTRY        9
#define AT_UID          11
#define AT_EUID         12
#define AT_GID          13
#define AT_EGID         14
#define AT_PLATFORM     15
#define AT_HWCAP        16
#define AT_CLKTCK       17
#define AT_SECURE       23
#define AT_RANDOM       25
#define AT_HWCAP2       26
#define AT_EXECFN       31
#define AT_MINSIGSTKSZ  51
#define NAUXV           20        /* room for the pairs above and AT_NULL */

/*
 * The strings of argv then envp, each NUL-terminated, one after another
 * across page[] (kernel pages, allocated as the strings come).  The struct
 * itself fills one page, with room for the paths a #! line names.
 */
struct exec_args {
	u64 page[ARG_PAGES];      /* GPAs; 0 where not yet needed */
	u64 len;                  /* bytes of strings */
	int argc, envc;
	char interp[SHEBANG_MAX]; /* the last #! line's interpreter... */
	char path[3 * 1024];      /* ...and the path being loaded */
};
_Static_assert(sizeof(struct exec_args) <= PGSIZE, "one page");

/* The file the last exec_load() with a loaded: for a #! script, its
 * interpreter (/proc/PID/exe). */
const char *exec_args_path(const struct exec_args *a)
{
	return a->path;
}

/* ---- Where programs come from ---- */

static s64 blob_read(void *ctx, u64 off, void *buf, u64 n)
{
	const struct user_program *u = ctx;
	u64 size = u->end - u->start;

	if (off >= size)
		return 0;
	if (n > size - off)
		n = size - off;
	memcpy(buf, u->start + off, n);
	return n;
}

static s64 inode_exec_read(void *ctx, u64 off, void *buf, u64 n)
{
	struct inode *ip = ctx;

	return ip->op->read(ip, buf, off, n);
}

static void inode_exec_release(void *ctx)
{
	iput(ctx);
}

/* The embedded program "NAME" or "/bin/NAME", or -ENOENT. */
static int embedded_open(const char *path, struct exec_file *ef)
{
	if (strncmp(path, "/bin/", 5) == 0)
		path += 5;
	for (const struct user_program *u = user_programs; u->name; u++) {
		if (strcmp(u->name, path) != 0)
			continue;
		ef->name = u->name;
		ef->size = u->end - u->start;
		ef->ctx = (void *)u;
		ef->read = blob_read;
		ef->release = 0;
		return 0;
	}
	return -ENOENT;
}

/*
 * Open the program path names for exec: fill in *ef.  A file (relative to
 * the working directory, symbolic links followed): a regular file with an
 * execute bit, else EACCES.  A name the file system does not have may be
 * an embedded program ("NAME" or "/bin/NAME": the kernel's own test
 * programs, which need no initrd).  0, or -errno.
 */
int exec_open(const char *path, struct exec_file *ef)
{
	struct inode *ip;
	int r = path_lookup(AT_FDCWD, path, LOOKUP_FOLLOW, &ip);

	if (r == -ENOENT || r == -ENOTDIR)
		return embedded_open(path, ef) == 0 ? 0 : r;
	if (r < 0)
		return r;
	if (!S_ISREG(ip->mode) || !(ip->mode & 0111) || !ip->op->read) {
		iput(ip);
		return -EACCES;
	}
	ef->name = path;
	ef->size = ip->size;
	ef->ctx = ip;
	ef->read = inode_exec_read;
	ef->release = inode_exec_release;
	return 0;
}

void exec_release(struct exec_file *ef)
{
	if (ef->release)
		ef->release(ef->ctx);
	ef->release = 0;
}

/* Exactly n bytes at off, or -ENOEXEC (a short file) or the read's error. */
static int read_exact(struct exec_file *ef, u64 off, void *buf, u64 n)
{
	s64 r = ef->read(ef->ctx, off, buf, n);

	if (r < 0)
		return r;
	return (u64)r == n ? 0 : -ENOEXEC;
}

/* ---- Arguments and environment ---- */

struct exec_args *exec_args_new(void)
{
	u64 page = kalloc();

	return page ? phys_to_virt(page) : 0;
}

void exec_args_free(struct exec_args *a)
{
	if (!a)
		return;
	for (u64 i = 0; i < ARG_PAGES; i++)
		if (a->page[i])
			kfree(a->page[i]);
	kfree((u64)a - phys_offset);
}

/* Bytes the strings and their pointers take (ARG_MAX counts both). */
static u64 args_size(const struct exec_args *a)
{
	return a->len + (a->argc + a->envc + 2) * sizeof(u64);
}

/* The kernel's pointer to byte off of the strings, its page allocated if
 * need be; 0 when out of memory. */
static char *args_at(struct exec_args *a, u64 off)
{
	u64 *pg = &a->page[off / PGSIZE];

	if (!*pg && !(*pg = kalloc()))
		return 0;
	return (char *)phys_to_virt(*pg) + off % PGSIZE;
}

/* Append one byte; -E2BIG past ARG_MAX, -ENOMEM. */
static int args_putc(struct exec_args *a, char c)
{
	char *p;

	if (args_size(a) + 1 > ARG_MAX)
		return -E2BIG;
	if (!(p = args_at(a, a->len)))
		return -ENOMEM;
	*p = c;
	a->len++;
	return 0;
}

/* How many arguments a holds. */
int exec_args_count(const struct exec_args *a)
{
	return a->argc;
}

/* One more string s (an argument, or with env an environment entry: all
 * arguments come first). */
int exec_args_add(struct exec_args *a, const char *s, bool env)
{
	int r;

	if (args_size(a) + sizeof(u64) > ARG_MAX)
		return -E2BIG;
	do {
		if ((r = args_putc(a, *s)) < 0)
			return r;
	} while (*s++);
	if (env)
		a->envc++;
	else
		a->argc++;
	return 0;
}

/*
 * Append the strings of the NULL-terminated user vector at vec_va (argv
 * or envp of execve; 0 is an empty one), checking each page of user
 * memory before reading it.  0, -EFAULT, -E2BIG or -ENOMEM.
 */
int exec_args_add_user(struct exec_args *a, u64 vec_va, bool env)
{
	struct mm *mm = cpu.proc->mm;

	for (u64 i = 0; vec_va; i++) {
		u64 s, va = vec_va + i * sizeof(u64);
		int r;

		if (!mm_user_ok(mm, va, sizeof(u64), false))
			return -EFAULT;
		s = *(const u64 *)va;
		if (!s)
			return 0;
		if (args_size(a) + sizeof(u64) > ARG_MAX)
			return -E2BIG;
		for (bool first = true;; s++, first = false) {
			char c;
			if ((first || (s & (PGSIZE - 1)) == 0) && !mm_user_ok(mm, s, 1, false))
				return -EFAULT;
			c = *(const char *)s;
			if ((r = args_putc(a, c)) < 0)
				return r;
			if (!c)
				break;
		}
		if (env)
			a->envc++;
		else
			a->argc++;
	}
	return 0;
}

/* ---- #! scripts ---- */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* The end of the first line of the n bytes at buf: its '\n', or buf + n. */
static char *line_end(char *buf, u64 n)
{
	for (u64 i = 0; i < n; i++)
		if (buf[i] == '\n')
			return buf + i;
	return buf + n;
}

/*
 * The image starting with the n bytes buf[] is a "#!" script: put its
 * interpreter in a->interp and rebuild the arguments as Linux does:
 * interpreter, [the one optional argument], the script's path (a->path),
 * then argv[1...] and the environment.  0 or -errno (ENOEXEC for an empty
 * #! line).
 */
static int shebang(struct exec_args *a, char *buf, u64 n)
{
	char *p = buf + 2, *end, *interp, *arg = 0;
	struct exec_args *b;
	u64 off = 0;
	int r;

	end = line_end(buf, n);
	*end = 0;
	while (is_blank(*p))
		p++;
	interp = p;
	while (*p && !is_blank(*p))
		p++;
	if (*p) {
		*p++ = 0;
		while (is_blank(*p))
			p++;
		if (*p) {
			char *q = p + strlen(p);
			while (q > p && is_blank(q[-1]))
				*--q = 0;
			arg = p;
		}
	}
	if (!*interp)
		return -ENOEXEC;
	if (!(b = exec_args_new()))
		return -ENOMEM;
	if ((r = exec_args_add(b, interp, false)) < 0 ||
	    (arg && (r = exec_args_add(b, arg, false)) < 0) ||
	    (r = exec_args_add(b, a->path, false)) < 0)
		goto out;
	/* The old strings after argv[0]: each one over again. */
	for (int i = 0; i < a->argc + a->envc; i++) {
		bool env = i >= a->argc;
		u64 start = off;
		while (*args_at(a, off))
			off++;
		off++;
		if (i == 0 && a->argc > 0)
			continue;
		for (u64 k = start; k < off; k++)
			if ((r = args_putc(b, *args_at(a, k))) < 0)
				goto out;
		if (env)
			b->envc++;
		else
			b->argc++;
	}
	/* b's strings become a's. */
	strlcpy(a->interp, interp, sizeof(a->interp));
	for (u64 i = 0; i < ARG_PAGES; i++) {
		u64 t = a->page[i];
		a->page[i] = b->page[i];
		b->page[i] = t;
	}
	a->len = b->len;
	a->argc = b->argc;
	a->envc = b->envc;
	r = 0;
out:
	exec_args_free(b);
	return r;
}

/* ---- ELF ---- */

/* What exec learns from the program headers, for the auxiliary vector. */
struct image {
	u64 bias;                 /* load address - p_vaddr (0 for ET_EXEC) */
	u64 entry;                /* e_entry + bias */
	u64 phdr;                 /* where the program headers are in memory, or 0 */
	u64 phnum;
	bool exec_stack;          /* PT_GNU_STACK has PF_X */
};

static u64 page_down(u64 a)
{
	return a & ~(PGSIZE - 1);
}

static u64 page_up(u64 a)
{
	return (a + PGSIZE - 1) & ~(PGSIZE - 1);
}

/* Record [start, end) as an area with rights prot; a page that already
 * belongs to another segment's area gets the rights of both. */
static int add_area(struct mm *mm, u64 start, u64 end, int prot)
{
	for (u64 a = start; a < end;) {
		int old = mm_prot_at(mm, a);
		u64 next = a + PGSIZE;

		if (old < 0) {                    /* up to the next page that has an area */
			while (next < end && mm_prot_at(mm, next) < 0)
				next += PGSIZE;
			old = 0;
		}
		if (mm_add(mm, a, next, prot | old) < 0)
			return -ENOMEM;
		a = next;
	}
	return 0;
}

/* Map and fill PT_LOAD segment number i; buf is a scratch page.  0, or
 * -errno after printing why. */
static int load_segment(struct exec_file *ef, struct mm *mm, const struct elf64_phdr *ph,
			int i, u64 bias, u8 *buf)
{
	u64 perm = (ph->p_flags & PF_W ? PTE_W : 0) | (ph->p_flags & PF_X ? 0 : PTE_NX);
	int prot = (ph->p_flags & PF_R ? PROT_READ : 0) | (ph->p_flags & PF_W ? PROT_WRITE : 0) |
		   (ph->p_flags & PF_X ? PROT_EXEC : 0);
	u64 va = ph->p_vaddr + bias, start, end;

	if (ph->p_filesz > ph->p_memsz || ph->p_offset > ef->size ||
	    ph->p_filesz > ef->size - ph->p_offset) {
		kprintf("%s: segment %d: %lu file bytes at offset 0x%lx, beyond the %lu-byte file\n",
			ef->name, i, ph->p_filesz, ph->p_offset, ef->size);
		return -ENOEXEC;
	}
	if (ph->p_vaddr > USER_TOP || va < USER_BASE || va > USER_TOP ||
	    ph->p_memsz > USER_TOP - va) {
		kprintf("%s: segment %d at 0x%lx (%lu bytes) is outside user space [0x%lx, 0x%lx)\n",
			ef->name, i, va, ph->p_memsz, USER_BASE, USER_TOP);
		return -ENOEXEC;
	}
	if (ph->p_memsz == 0)
		return 0;
	start = page_down(va);
	end = page_up(va + ph->p_memsz);
	if (uvm_alloc(mm->pml4, va, ph->p_memsz, perm) < 0 || add_area(mm, start, end, prot) < 0) {
		kprintf("%s: out of memory loading segment %d\n", ef->name, i);
		return -ENOMEM;
	}
	for (u64 done = 0; done < ph->p_filesz;) {
		u64 n = ph->p_filesz - done < PGSIZE ? ph->p_filesz - done : PGSIZE;
		int r = read_exact(ef, ph->p_offset + done, buf, n);
		if (r < 0) {
			kprintf("%s: segment %d: cannot read it (%d)\n", ef->name, i, r);
			return r;
		}
		uvm_copyout(mm->pml4, va + done, buf, n);
		done += n;
	}
	if (end > mm->brk_base)
		mm->brk_base = mm->brk = end;
	return 0;
}

/*
 * Check the ELF64 image ef, whose first n bytes are in hdr, and load it
 * into mm; fill in *im.  0, or -errno after printing why (a program that
 * is not for this system says so on the console).
 */
static int load_elf(struct exec_file *ef, const u8 *hdr, u64 n, struct mm *mm, struct image *im)
{
	const struct elf64_ehdr *eh = (const void *)hdr;
	struct elf64_phdr *ph;
	u64 lo = ~0ul, page, bufpage;
	int r = 0;

	memset(im, 0, sizeof(*im));
	if (n < sizeof(*eh) || memcmp(eh->e_ident, ELF_MAGIC, 4) != 0) {
		kprintf("%s: not an ELF file or a #! script\n", ef->name);
		return -ENOEXEC;
	}
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != EM_X86_64) {
		kprintf("%s: not a little-endian ELF64 file for x86-64 (class %u, machine %u)\n",
			ef->name, eh->e_ident[EI_CLASS], eh->e_machine);
		return -ENOEXEC;
	}
	if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN) {
		kprintf("%s: ELF type %u, not an executable (ET_EXEC 2 or ET_DYN 3)\n",
			ef->name, eh->e_type);
		return -ENOEXEC;
	}
	if (eh->e_phentsize != sizeof(*ph) || eh->e_phnum == 0 || eh->e_phnum > EXEC_PHNUM_MAX ||
	    eh->e_phoff > ef->size || eh->e_phnum * sizeof(*ph) > ef->size - eh->e_phoff) {
		kprintf("%s: %u program headers at offset 0x%lx do not fit in the %lu-byte file\n",
			ef->name, eh->e_phnum, eh->e_phoff, ef->size);
		return -ENOEXEC;
	}

	/* One page for the program headers, and one to read segments through. */
	if (!(page = kalloc()))
		return -ENOMEM;
	if (!(bufpage = kalloc())) {
		kfree(page);
		return -ENOMEM;
	}
	ph = phys_to_virt(page);
	if ((r = read_exact(ef, eh->e_phoff, ph, eh->e_phnum * sizeof(*ph))) < 0) {
		kprintf("%s: cannot read the program headers\n", ef->name);
		goto out;
	}
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_INTERP) {
			kprintf("%s: a dynamically linked program (it names an interpreter): "
				"not supported, only static ones: ENOEXEC\n", ef->name);
			r = -ENOEXEC;
			goto out;
		}
		if (ph[i].p_type == PT_LOAD && ph[i].p_vaddr < lo)
			lo = ph[i].p_vaddr;
		if (ph[i].p_type == PT_GNU_STACK)
			im->exec_stack = ph[i].p_flags & PF_X;
	}
	if (lo == ~0ul) {
		kprintf("%s: no PT_LOAD segment\n", ef->name);
		r = -ENOEXEC;
		goto out;
	}
	if (eh->e_type == ET_DYN)                 /* static-PIE */
		im->bias = ELF_ET_DYN_BASE - page_down(lo);
	for (int i = 0; i < eh->e_phnum; i++) {
		/* A segment's file bytes that hold the program headers tell
		 * where they are in memory (AT_PHDR), as Linux works it out. */
		if (ph[i].p_type == PT_LOAD && !im->phdr && ph[i].p_offset <= eh->e_phoff &&
		    eh->e_phoff + eh->e_phnum * sizeof(*ph) <= ph[i].p_offset + ph[i].p_filesz)
			im->phdr = eh->e_phoff - ph[i].p_offset + ph[i].p_vaddr + im->bias;
		if (ph[i].p_type != PT_LOAD)
			continue;
		if ((r = load_segment(ef, mm, &ph[i], i, im->bias, phys_to_virt(bufpage))) < 0)
			goto out;
	}
	for (int i = 0; i < eh->e_phnum && !im->phdr; i++)
		if (ph[i].p_type == PT_PHDR)
			im->phdr = ph[i].p_vaddr + im->bias;
	im->phnum = eh->e_phnum;
	im->entry = eh->e_entry + im->bias;
	if (im->entry < USER_BASE || im->entry >= USER_TOP) {
		kprintf("%s: entry point 0x%lx is outside user space\n", ef->name, im->entry);
		r = -ENOEXEC;
	}
out:
	kfree(bufpage);
	kfree(page);
	return r;
}

/* ---- The stack ---- */

/* AT_HWCAP: CPUID.1:EDX, as Linux gives it on x86 (through the monitor's
 * CPUID hypercall: the kernel never runs CPUID itself); 0 without it. */
static u64 hwcap(void)
{
	u32 r[4];

	return pv_on && pv_cpuid(1, 0, r) == 0 ? r[3] : 0;
}

/* Words of the vector part of the stack, written out in chunks. */
struct words {
	u64 pml4, va;             /* where the next chunk goes */
	int n;
	u64 w[64];
};

static void put_word(struct words *w, u64 v)
{
	w->w[w->n++] = v;
	if (w->n == 64) {
		uvm_copyout(w->pml4, w->va, w->w, sizeof(w->w));
		w->va += sizeof(w->w);
		w->n = 0;
	}
}

static void flush_words(struct words *w)
{
	uvm_copyout(w->pml4, w->va, w->w, w->n * sizeof(u64));
	w->va += w->n * sizeof(u64);
	w->n = 0;
}

/*
 * Write the initial stack (the layout at the top) for a program started
 * with args (argv strings, then envp) from path execfn.  Returns RSP, or
 * 0 when out of memory.
 */
static u64 build_stack(struct mm *mm, struct exec_args *a, const char *execfn,
		       const struct image *im)
{
	u64 auxv[NAUXV * 2], rnd[2], sp, p = USER_STACK_TOP - sizeof(u64), str, fn, plat, rand, page;
	int n = 0, words;
	struct words *w;

	/* Strings: AT_EXECFN's path, then the arguments and environment. */
	fn = p -= strlen(execfn) + 1;
	str = p -= a->len;
	p &= ~15ul;
	plat = p -= sizeof(PLATFORM);
	rand = p -= 16;
	p &= ~15ul;

#define AUX(t, v) (auxv[n++] = (t), auxv[n++] = (v))
	AUX(AT_MINSIGSTKSZ, MINSIGSTKSZ);
	AUX(AT_HWCAP, hwcap());
	AUX(AT_PAGESZ, PGSIZE);
	AUX(AT_CLKTCK, 100);
	AUX(AT_PHDR, im->phdr);
	AUX(AT_PHENT, sizeof(struct elf64_phdr));
	AUX(AT_PHNUM, im->phnum);
	AUX(AT_BASE, 0);
	AUX(AT_FLAGS, 0);
	AUX(AT_ENTRY, im->entry);
	AUX(AT_UID, 0);
	AUX(AT_EUID, 0);
	AUX(AT_GID, 0);
	AUX(AT_EGID, 0);
	AUX(AT_SECURE, 0);
	AUX(AT_RANDOM, rand);
	AUX(AT_HWCAP2, 0);
	AUX(AT_EXECFN, fn);
	AUX(AT_PLATFORM, plat);
	AUX(AT_NULL, 0);
#undef AUX
	mm->phdr = im->phdr;
	mm->phnum = im->phnum;
	mm->bias = im->bias;
	words = 1 + a->argc + 1 + a->envc + 1 + n;
	sp = (p - words * sizeof(u64)) & ~15ul;

	if (uvm_alloc(mm->pml4, page_down(sp), USER_STACK_TOP - page_down(sp),
		      PTE_W | (im->exec_stack ? 0 : PTE_NX)) < 0)
		return 0;
	uvm_copyout(mm->pml4, USER_STACK_TOP - sizeof(u64), &(u64){ 0 }, sizeof(u64));
	uvm_copyout(mm->pml4, fn, execfn, strlen(execfn) + 1);
	for (u64 off = 0; off < a->len;) {
		u64 chunk = PGSIZE - off % PGSIZE;
		if (chunk > a->len - off)
			chunk = a->len - off;
		uvm_copyout(mm->pml4, str + off, args_at(a, off), chunk);
		off += chunk;
	}
	uvm_copyout(mm->pml4, plat, PLATFORM, sizeof(PLATFORM));
	rnd[0] = random_u64();
	rnd[1] = random_u64();
	uvm_copyout(mm->pml4, rand, rnd, sizeof(rnd));

	if (!(page = kalloc()))                   /* a page for the chunks */
		return 0;
	w = phys_to_virt(page);
	w->pml4 = mm->pml4;
	w->va = sp;
	w->n = 0;
	put_word(w, a->argc);
	/* The strings are in order, arguments then environment: record
	 * where each part lies (/proc/PID/cmdline and environ). */
	mm->arg_start = mm->arg_end = str;
	mm->env_end = str + a->len;
	for (int i = 0, off = 0; i < a->argc + a->envc; i++) {
		put_word(w, str + off);
		while (*args_at(a, off))
			off++;
		off++;
		if (i == a->argc - 1) {
			put_word(w, 0);
			mm->arg_end = str + off;
		}
	}
	mm->env_start = mm->arg_end;
	if (a->argc == 0)
		put_word(w, 0);
	put_word(w, 0);                           /* end of envp */
	mm->auxv_start = sp + (1 + a->argc + 1 + a->envc + 1) * sizeof(u64);
	mm->auxv_end = mm->auxv_start + n * sizeof(u64);
	for (int i = 0; i < n; i++)
		put_word(w, auxv[i]);
	flush_words(w);
	kfree(page);
	return sp;
}

/*
 * Build the address space of the program at path, started with args, in
 * a new mm (*mmp).  #! scripts are followed to their interpreter (args
 * rebuilt).  Returns 0 and sets *mmp, *entry and *sp, or -errno with
 * nothing left allocated: ENOENT (no such program), ENOEXEC (not one this
 * kernel runs; a line on the console says why), ELOOP (#! too deep),
 * E2BIG, ENOMEM.
 */
int exec_load(const char *path, struct exec_args *args, struct mm **mmp, u64 *entry, u64 *sp)
{
	const char *execfn = path;
	struct exec_file ef;
	struct image im;
	struct mm *mm;
	u8 *hdr;
	u64 page, n;
	int r, depth;

	if (!(page = kalloc()))
		return -ENOMEM;
	hdr = phys_to_virt(page);
	if (strlen(path) >= sizeof(args->path)) {
		r = -ENAMETOOLONG;
		goto out_page;
	}
	strlcpy(args->path, path, sizeof(args->path));
	for (depth = 0;; depth++) {
		if ((r = exec_open(args->path, &ef)) < 0)
			goto out_page;
		n = ef.size < SHEBANG_MAX ? ef.size : SHEBANG_MAX;
		if ((r = read_exact(&ef, 0, hdr, n)) < 0) {
			exec_release(&ef);
			goto out_page;
		}
		if (n < 2 || hdr[0] != '#' || hdr[1] != '!')
			break;
		exec_release(&ef);
		if (depth == EXEC_MAX_DEPTH) {
			r = -ELOOP;
			goto out_page;
		}
		hdr[n < SHEBANG_MAX ? n : SHEBANG_MAX - 1] = 0;
		if ((r = shebang(args, (char *)hdr, n)) < 0)
			goto out_page;
		strlcpy(args->path, args->interp, sizeof(args->path));
	}

	if (!(mm = mm_alloc())) {
		r = -ENOMEM;
		goto out_file;
	}
	if ((r = load_elf(&ef, hdr, n, mm, &im)) < 0)
		goto out_mm;
	if (mm_add(mm, USER_STACK_TOP - USER_STACK_SIZE, USER_STACK_TOP,
		   PROT_READ | PROT_WRITE | (im.exec_stack ? PROT_EXEC : 0)) < 0) {
		r = -ENOMEM;
		goto out_mm;
	}
	if (!(*sp = build_stack(mm, args, execfn, &im))) {
		kprintf("%s: out of memory for the stack\n", ef.name);
		r = -ENOMEM;
		goto out_mm;
	}
	*entry = im.entry;
	*mmp = mm;
	r = 0;
	goto out_file;
out_mm:
	mm_put(mm);
out_file:
	exec_release(&ef);
out_page:
	kfree(page);
	return r;
}
