/*
 * The kernel loader: everything the guest finds in RAM at its first
 * instruction (boot.h has the contract).  In order, from low to high GPA:
 *
 *   (i)   the kernel's PT_LOAD segments at their p_paddr, bss zeroed;
 *   (ii)  the initrd, if any, page-aligned just above the kernel: always an
 *         uncompressed cpio newc archive, inflated and checked by initrd.c;
 *   (iii) the boot data region: one page of struct boot_info, the boot stack,
 *         then the boot page tables, allocated page by page as they are
 *         built; free_gpa is the first page after them.
 *
 * The boot page tables map all RAM at VA = GPA (2 MiB pages where a whole
 * aligned 2 MiB is RAM, 4 KiB pages for the rest, page 0 left out so a null
 * dereference faults) and every segment at its p_vaddr with 4 KiB pages that
 * carry the segment's permissions.  The identity map is writable and
 * non-executable: code runs from the segment mappings only.
 *
 * loader_parse_elf() is pure (bytes in, verdict out) so every refusal can be
 * tested without files; loader_boot() does the I/O and the placement.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vm.h"
#include "trapvisor/boot.h"

#include <elf.h>

#define PAGE_SIZE  4096ull
#define PAGE_MASK  (PAGE_SIZE - 1)
#define LARGE_SIZE (2ull << 20)      /* a PD-level (2 MiB) page */

/* Round up to a page; callers have checked x + PAGE_MASK cannot overflow. */
static u64 page_up(u64 x)
{
	return (x + PAGE_MASK) & ~PAGE_MASK;
}

/* Format the one-line reason into err and return -1, so callers can write
 * `return fail(...)`. */
static int __attribute__((format(printf, 3, 4)))
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* A name for the machines a kernel is most often mistakenly built for. */
static const char *machine_name(unsigned m)
{
	switch (m) {
	case EM_386:     return " (i386)";
	case EM_ARM:     return " (ARM)";
	case EM_MIPS:    return " (MIPS)";
	case EM_PPC:     return " (PowerPC)";
	case EM_PPC64:   return " (PowerPC64)";
	case EM_S390:    return " (S/390)";
	case EM_AARCH64: return " (AArch64)";
	case EM_RISCV:   return " (RISC-V)";
	default:         return "";
	}
}

static const char *type_name(unsigned t)
{
	switch (t) {
	case ET_REL:  return " (ET_REL: an object file)";
	case ET_DYN:  return " (ET_DYN: a shared object or PIE; link with -no-pie)";
	case ET_CORE: return " (ET_CORE: a core dump)";
	default:      return "";
	}
}

/* Checks on one PT_LOAD segment alone (index i in the program headers). */
static int check_segment(const Elf64_Phdr *ph, int i, size_t size, u64 ram_size,
			 char *err, size_t errlen)
{
	char ram[32];

	if (ph->p_filesz > ph->p_memsz)
		return fail(err, errlen, "segment %d: file size 0x%" PRIx64
			    " is larger than its memory size 0x%" PRIx64,
			    i, (u64)ph->p_filesz, (u64)ph->p_memsz);
	if (ph->p_offset > size || ph->p_filesz > size - ph->p_offset)
		return fail(err, errlen, "segment %d: file bytes [0x%" PRIx64 ", 0x%" PRIx64
			    ") run past the end of the file (%zu bytes)", i, (u64)ph->p_offset,
			    (u64)ph->p_offset + ph->p_filesz, size);
	if (ph->p_paddr > UINT64_MAX - ph->p_memsz)
		return fail(err, errlen, "segment %d: physical 0x%" PRIx64 " + size 0x%" PRIx64
			    " overflows", i, (u64)ph->p_paddr, (u64)ph->p_memsz);
	if (ph->p_paddr < PAGE_SIZE)
		return fail(err, errlen, "segment %d starts at physical 0x%" PRIx64
			    ", in page 0 (kept unmapped)", i, (u64)ph->p_paddr);
	if (ph->p_paddr + ph->p_memsz > ram_size)
		return fail(err, errlen, "segment %d ends at 0x%" PRIx64 ", beyond RAM (%s)", i,
			    (u64)(ph->p_paddr + ph->p_memsz),
			    cli_format_size(ram_size, ram, sizeof(ram)));
	/* GUEST_VA_END is page-aligned, so the page-rounded end fits too. */
	if (ph->p_vaddr < GUEST_VA_MIN || ph->p_vaddr > GUEST_VA_END ||
	    ph->p_memsz > GUEST_VA_END - ph->p_vaddr)
		return fail(err, errlen, "segment %d: virtual 0x%" PRIx64 " (0x%" PRIx64
			    " bytes) is outside the guest window [0x%llx, 0x%llx)", i,
			    (u64)ph->p_vaddr, (u64)ph->p_memsz, GUEST_VA_MIN, GUEST_VA_END);
	/* Mapped with 4 KiB pages: a virtual page must hold one physical page. */
	if ((ph->p_vaddr ^ ph->p_paddr) & PAGE_MASK)
		return fail(err, errlen, "segment %d: virtual 0x%" PRIx64 " and physical 0x%" PRIx64
			    " differ in their offset within a page", i,
			    (u64)ph->p_vaddr, (u64)ph->p_paddr);
	/* Below ram_size every VA is already the identity map. */
	if (ph->p_vaddr < ram_size && ph->p_vaddr != ph->p_paddr)
		return fail(err, errlen, "segment %d is mapped at 0x%" PRIx64 ", inside the identity "
			    "map of RAM, but loaded at 0x%" PRIx64, i,
			    (u64)ph->p_vaddr, (u64)ph->p_paddr);
	return 0;
}

/* Checks of a new segment against the ones already accepted. */
static int check_against(const struct kernel_image *ki, const int *phidx,
			 const struct kernel_seg *s, int i, char *err, size_t errlen)
{
	for (int j = 0; j < ki->nsegs; j++) {
		const struct kernel_seg *o = &ki->seg[j];
		u64 lo, hi;

		if (s->paddr < o->paddr + o->memsz && o->paddr < s->paddr + s->memsz)
			return fail(err, errlen, "segments %d and %d overlap in physical memory at 0x%"
				    PRIx64, phidx[j], i, s->paddr > o->paddr ? s->paddr : o->paddr);
		/* Sharing a virtual page is fine (text and data often do) as long
		 * as both put the same physical page there. */
		lo = (s->vaddr > o->vaddr ? s->vaddr : o->vaddr) & ~PAGE_MASK;
		hi = s->vaddr + s->memsz < o->vaddr + o->memsz ? s->vaddr + s->memsz
							      : o->vaddr + o->memsz;
		if (lo < hi && s->vaddr - s->paddr != o->vaddr - o->paddr)
			return fail(err, errlen, "segments %d and %d map virtual page 0x%" PRIx64
				    " to different physical pages", phidx[j], i, lo);
	}
	return 0;
}

int loader_parse_elf(const void *img, size_t size, u64 ram_size,
		     struct kernel_image *ki, char *err, size_t errlen)
{
	const u8 *bytes = img;
	int phidx[KERNEL_MAX_SEGS];   /* program header index of each seg[] */
	Elf64_Ehdr eh;
	u64 end = 0;

	memset(ki, 0, sizeof(*ki));
	if (size == 0)
		return fail(err, errlen, "empty file");
	/* The magic first: a short text file is "not an ELF", not "truncated". */
	if (size < SELFMAG || memcmp(bytes, ELFMAG, SELFMAG) != 0)
		return fail(err, errlen, "not an ELF file (no \\177ELF magic)");
	if (size < sizeof(eh))
		return fail(err, errlen, "truncated: %zu bytes, an ELF header needs %zu",
			    size, sizeof(eh));
	/* memcpy: the image need not be aligned for Elf64_Ehdr. */
	memcpy(&eh, bytes, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64)
		return fail(err, errlen, "%s, not a 64-bit ELF (ELFCLASS64)",
			    eh.e_ident[EI_CLASS] == ELFCLASS32 ? "a 32-bit ELF (ELFCLASS32)"
							       : "unknown ELF class");
	if (eh.e_ident[EI_DATA] != ELFDATA2LSB)
		return fail(err, errlen, "%s, not little-endian (ELFDATA2LSB)",
			    eh.e_ident[EI_DATA] == ELFDATA2MSB ? "big-endian ELF (ELFDATA2MSB)"
							       : "unknown ELF data encoding");
	if (eh.e_ident[EI_VERSION] != EV_CURRENT || eh.e_version != EV_CURRENT)
		return fail(err, errlen, "ELF version %u/%u, not %d (EV_CURRENT)",
			    eh.e_ident[EI_VERSION], eh.e_version, EV_CURRENT);
	if (eh.e_machine != EM_X86_64)
		return fail(err, errlen, "built for machine %u%s, not x86-64", eh.e_machine,
			    machine_name(eh.e_machine));
	if (eh.e_type != ET_EXEC)
		return fail(err, errlen, "ELF type %u%s, not an executable (ET_EXEC)", eh.e_type,
			    type_name(eh.e_type));
	if (eh.e_phnum == PN_XNUM)
		return fail(err, errlen, "too many program headers (PN_XNUM extended numbering)");
	if (eh.e_phnum && eh.e_phentsize < sizeof(Elf64_Phdr))
		return fail(err, errlen, "program header entries are %u bytes, need at least %zu",
			    eh.e_phentsize, sizeof(Elf64_Phdr));
	if (eh.e_phoff > size || (u64)eh.e_phnum * eh.e_phentsize > size - eh.e_phoff)
		return fail(err, errlen, "program headers at 0x%" PRIx64 " (%u x %u bytes) run past "
			    "the end of the file (%zu bytes)", (u64)eh.e_phoff, eh.e_phnum,
			    eh.e_phentsize, size);

	for (int i = 0; i < eh.e_phnum; i++) {
		struct kernel_seg *s;
		Elf64_Phdr ph;

		memcpy(&ph, bytes + eh.e_phoff + (u64)i * eh.e_phentsize, sizeof(ph));
		/* An empty PT_LOAD has nothing to load or map. */
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (ki->nsegs == KERNEL_MAX_SEGS)
			return fail(err, errlen, "more than %d PT_LOAD segments", KERNEL_MAX_SEGS);
		if (check_segment(&ph, i, size, ram_size, err, errlen) < 0)
			return -1;
		s = &ki->seg[ki->nsegs];
		*s = (struct kernel_seg){
			.offset = ph.p_offset, .paddr = ph.p_paddr, .vaddr = ph.p_vaddr,
			.filesz = ph.p_filesz, .memsz = ph.p_memsz, .flags = ph.p_flags,
		};
		if (check_against(ki, phidx, s, i, err, errlen) < 0)
			return -1;
		phidx[ki->nsegs++] = i;
	}
	if (ki->nsegs == 0)
		return fail(err, errlen, "no loadable (PT_LOAD) segment");

	ki->entry = eh.e_entry;
	ki->start = UINT64_MAX;
	for (int j = 0; j < ki->nsegs; j++) {
		const struct kernel_seg *s = &ki->seg[j];

		if (s->paddr < ki->start)
			ki->start = s->paddr;
		if (s->paddr + s->memsz > end)
			end = s->paddr + s->memsz;
	}
	/* end <= ram_size, a few GiB: rounding up cannot wrap. */
	ki->end = page_up(end);

	for (int j = 0; j < ki->nsegs; j++) {
		const struct kernel_seg *s = &ki->seg[j];

		if (eh.e_entry >= s->vaddr && eh.e_entry - s->vaddr < s->memsz) {
			if (s->flags & PF_X)
				return 0;
			return fail(err, errlen, "entry 0x%" PRIx64 " is in segment %d, which is not "
				    "executable", (u64)eh.e_entry, phidx[j]);
		}
	}
	return fail(err, errlen, "entry 0x%" PRIx64 " is outside every loaded segment",
		    (u64)eh.e_entry);
}

/*
 * Read exactly len bytes from fd into buf.  Returns 0, -errno on a read
 * error, or -ENODATA if the file ended first (it shrank under us).
 */
static int read_exact(int fd, u8 *buf, u64 len)
{
	while (len) {
		ssize_t n = read(fd, buf, len > (1u << 30) ? (1u << 30) : len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENODATA;
		buf += n;
		len -= (u64)n;
	}
	return 0;
}

/* Open a regular file for loading; *size is its length.  Returns the fd, or
 * -1 with "path: reason" in err. */
static int open_input(const char *path, u64 *size, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return fail(err, errlen, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		fail(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		fail(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	*size = (u64)st.st_size;
	return fd;
}

/* Read the whole kernel file into a malloc'd buffer.  Returns 0 or -1. */
static int read_kernel(const char *path, u8 **img, size_t *size, char *err, size_t errlen)
{
	u64 len;
	int fd = open_input(path, &len, err, errlen);
	int r;

	if (fd < 0)
		return -1;
	*img = malloc(len ? len : 1);
	if (!*img) {
		close(fd);
		return fail(err, errlen, "%s: %" PRIu64 " bytes: %s", path, len, strerror(ENOMEM));
	}
	r = read_exact(fd, *img, len);
	close(fd);
	if (r < 0) {
		free(*img);
		*img = NULL;
		return fail(err, errlen, "%s: %s", path, strerror(-r));
	}
	*size = len;
	return 0;
}

/* (ii) Load the initrd at 'gpa' (page-aligned) into guest RAM: the file as
 * it is, then, if it is gzip, the archive it inflates to in its place (at
 * most the RAM above gpa), checked as a newc archive (initrd.c).  Returns
 * the archive's size, or 0 with the reason in err. */
static u64 load_initrd(struct vm *vm, const char *path, u64 gpa, u64 ram_end,
		       const char *cmdline, char *err, size_t errlen)
{
	char ram[32], why[256];
	u64 len;
	int fd = open_input(path, &len, err, errlen);
	int r;

	if (fd < 0)
		return 0;
	if (len == 0) {
		close(fd);
		fail(err, errlen, "%s: empty file", path);
		return 0;
	}
	if (gpa > ram_end || len > ram_end - gpa) {
		close(fd);
		fail(err, errlen, "%s: %" PRIu64 " bytes at 0x%" PRIx64 " (above the kernel) do not "
		     "fit in RAM (%s)", path, len, gpa, cli_format_size(ram_end, ram, sizeof(ram)));
		return 0;
	}
	r = read_exact(fd, vm->ram + gpa, len);
	close(fd);
	if (r < 0) {
		fail(err, errlen, "%s: %s", path, strerror(-r));
		return 0;
	}
	if (initrd_is_gzip(vm->ram + gpa, len)) {
		size_t n;
		u8 *plain;

		if (initrd_gunzip(vm->ram + gpa, len, ram_end - gpa, &plain, &n,
				  why, sizeof(why)) < 0) {
			fail(err, errlen, "%s: %s", path, why);
			return 0;
		}
		memcpy(vm->ram + gpa, plain, n);
		/* No compressed bytes left behind in what becomes free RAM. */
		if (n < len)
			memset(vm->ram + gpa + n, 0, len - n);
		free(plain);
		len = n;
	}
	if (initrd_check(vm->ram + gpa, len, vm->ram_size, cmdline, why, sizeof(why)) < 0) {
		fail(err, errlen, "%s: %s", path, why);
		return 0;
	}
	return len;
}

/* (iii) Boot page tables under construction: tables are taken page by page
 * from [next, limit) of guest RAM. */
struct boot_pt {
	u8 *ram;                 /* guest RAM (HVA = ram + GPA) */
	u64 pml4;                /* GPA of the PML4 */
	u64 next;                /* GPA of the next free page for a table */
	u64 limit;               /* tables must end at or below this GPA */
};

/*
 * The entry mapping 'va' at the level of a 'size' page (4 KiB: a PTE, 2 MiB:
 * a PDE), creating the tables above it (P|W, supervisor, NX clear: the leaf
 * decides).  NULL if no RAM is left for a table, or if a 2 MiB page is in
 * the way; loader_boot maps segments before the identity map so that never
 * happens.
 */
static u64 *pt_slot(struct boot_pt *pt, u64 va, u64 size)
{
	int leaf = size == LARGE_SIZE ? 2 : 1;
	u64 *table = (u64 *)(pt->ram + pt->pml4);

	for (int level = 4; level > leaf; level--) {
		u64 *e = &table[(va >> (12 + 9 * (level - 1))) & 511];

		if (!(*e & PTE_P)) {
			if (pt->limit - pt->next < PAGE_SIZE)
				return NULL;
			memset(pt->ram + pt->next, 0, PAGE_SIZE);
			*e = pt->next | PTE_P | PTE_W;
			pt->next += PAGE_SIZE;
		} else if (*e & PTE_PS) {
			return NULL;
		}
		table = (u64 *)(pt->ram + (*e & PTE_ADDR));
	}
	return &table[(va >> (12 + 9 * (leaf - 1))) & 511];
}

/* Map each segment's pages at p_vaddr -> p_paddr.  Returns 0, or -1 when the
 * tables do not fit. */
static int map_segments(struct boot_pt *pt, const struct kernel_image *ki)
{
	for (int j = 0; j < ki->nsegs; j++) {
		const struct kernel_seg *s = &ki->seg[j];
		u64 first = s->vaddr & ~PAGE_MASK;
		u64 end = page_up(s->vaddr + s->memsz);
		u64 flags = PTE_P | ((s->flags & PF_W) ? PTE_W : 0) |
			    ((s->flags & PF_X) ? 0 : PTE_NX);

		for (u64 va = first; va < end; va += PAGE_SIZE) {
			u64 *e = pt_slot(pt, va, PAGE_SIZE);

			if (!e)
				return -1;
			if (*e & PTE_P) {
				/* A page two segments share (parse checked they
				 * agree on its GPA) gets what either needs. */
				*e |= flags & PTE_W;
				if (!(flags & PTE_NX))
					*e &= ~PTE_NX;
			} else {
				*e = ((s->paddr & ~PAGE_MASK) + (va - first)) | flags;
			}
		}
	}
	return 0;
}

/* Map [PAGE_SIZE, ram_end) at VA = GPA, writable and NX, leaving alone the
 * pages a segment already maps (parse made them identity pages too).
 * Returns 0, or -1 when the tables do not fit. */
static int map_identity(struct boot_pt *pt, u64 ram_end)
{
	const u64 flags = PTE_P | PTE_W | PTE_NX;
	u64 gpa = PAGE_SIZE;

	while (gpa < ram_end) {
		u64 *e;

		if (!(gpa & (LARGE_SIZE - 1)) && ram_end - gpa >= LARGE_SIZE) {
			e = pt_slot(pt, gpa, LARGE_SIZE);
			if (!e)
				return -1;
			if (!(*e & PTE_P)) {
				*e = gpa | flags | PTE_PS;
				gpa += LARGE_SIZE;
				continue;
			}
			/* A segment put a page table here: 4 KiB pages below. */
		}
		e = pt_slot(pt, gpa, PAGE_SIZE);
		if (!e)
			return -1;
		if (!(*e & PTE_P))
			*e = gpa | flags;
		gpa += PAGE_SIZE;
	}
	return 0;
}

/* The entry state of boot.h.  The vCPU is reset first: nothing from
 * before the boot survives into it. */
static void set_entry_state(struct vcpu *v, u64 entry, u64 boot_info_gpa,
			    u64 stack_top, u64 pml4)
{
	memset(v, 0, sizeof(*v));
	v->rip = entry;
	v->gpr[R_RDI] = boot_info_gpa;
	v->gpr[R_RSP] = stack_top;
	v->rflags = X86_RFLAGS_FIXED;   /* IF = 0 */
	v->cpl = 0;
	v->seg[SEG_CS] = BOOT_CS;
	v->seg[SEG_SS] = BOOT_DS;
	v->seg[SEG_DS] = BOOT_DS;
	v->seg[SEG_ES] = BOOT_DS;
	v->cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_PG;
	v->cr3 = pml4;
	v->cr4 = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	v->efer = X86_EFER_SCE | X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE;
	v->dr6 = X86_DR6_RESET;
	v->dr7 = X86_DR7_RESET;
	/* GDTR and IDTR limit 0: an exception before the guest loads its own
	 * IDT cannot be delivered and ends as a triple fault. */
	v->gdtr = (struct dtr){ 0, 0 };
	v->idtr = (struct dtr){ 0, 0 };
	v->last_vector = -1;
}

int loader_boot(struct vm *vm, char *err, size_t errlen)
{
	const char *kpath = vm->opt.kernel;
	const char *append = vm->opt.append ? vm->opt.append : "";
	u64 ram_end = vm->ram_size & ~PAGE_MASK;
	struct kernel_image ki;
	struct boot_info *bi;
	struct boot_pt pt;
	char why[256], ram[32];
	u64 initrd_gpa = 0, initrd_size = 0, boot_data, need;
	size_t size = 0;
	u8 *img = NULL;

	if (!kpath)
		return fail(err, errlen, "no kernel file given");
	if (strlen(append) > BOOT_CMDLINE_MAX - 1)
		return fail(err, errlen, "--append: the command line is %zu bytes, at most %d fit",
			    strlen(append), BOOT_CMDLINE_MAX - 1);

	/* (i) The kernel. */
	if (read_kernel(kpath, &img, &size, err, errlen) < 0)
		return -1;
	if (loader_parse_elf(img, size, vm->ram_size, &ki, why, sizeof(why)) < 0) {
		free(img);
		return fail(err, errlen, "%s: %s", kpath, why);
	}
	for (int j = 0; j < ki.nsegs; j++) {
		const struct kernel_seg *s = &ki.seg[j];

		memcpy(vm->ram + s->paddr, img + s->offset, s->filesz);
		memset(vm->ram + s->paddr + s->filesz, 0, s->memsz - s->filesz);
	}
	ksyms_load(&vm->ksyms, img, size);
	unwind_load_kernel(&vm->kunwind, img, size);
	free(img);
	boot_data = ki.end;

	/* (ii) The initrd. */
	if (vm->opt.initrd) {
		initrd_gpa = ki.end;
		initrd_size = load_initrd(vm, vm->opt.initrd, initrd_gpa, ram_end, append,
					  err, errlen);
		if (!initrd_size)
			return -1;
		boot_data = page_up(initrd_gpa + initrd_size);
	}

	/* (iii) boot_info, the stack and at least the PML4 must fit; the rest
	 * of the tables is checked as they are allocated. */
	need = PAGE_SIZE + BOOT_STACK_SIZE + PAGE_SIZE;
	if (boot_data > ram_end || ram_end - boot_data < need)
		return fail(err, errlen, "%s: no room for the boot data (0x%" PRIx64 " bytes at 0x%"
			    PRIx64 ") in RAM (%s)", kpath, need, boot_data,
			    cli_format_size(vm->ram_size, ram, sizeof(ram)));
	memset(vm->ram + boot_data, 0, PAGE_SIZE + BOOT_STACK_SIZE);

	pt = (struct boot_pt){
		.ram = vm->ram,
		.pml4 = boot_data + PAGE_SIZE + BOOT_STACK_SIZE,
		.limit = ram_end,
	};
	pt.next = pt.pml4 + PAGE_SIZE;
	memset(vm->ram + pt.pml4, 0, PAGE_SIZE);
	if (map_segments(&pt, &ki) < 0 || map_identity(&pt, ram_end) < 0)
		return fail(err, errlen, "%s: the boot page tables do not fit in RAM (%s) above 0x%"
			    PRIx64, kpath, cli_format_size(vm->ram_size, ram, sizeof(ram)),
			    pt.pml4);

	bi = (struct boot_info *)(vm->ram + boot_data);
	bi->magic = BOOT_INFO_MAGIC;
	bi->version = BOOT_INFO_VERSION;
	bi->size = sizeof(*bi);
	bi->ram_size = vm->ram_size;
	bi->kernel_start = ki.start;
	bi->kernel_end = ki.end;
	bi->initrd_gpa = initrd_gpa;
	bi->initrd_size = initrd_size;
	bi->boot_data_gpa = boot_data;
	bi->free_gpa = pt.next;
	bi->features = BOOT_FEATURE_HYPERCALL;   /* vm_hypercall.c serves them */
	bi->tsc_khz = 0;
	memcpy(bi->cmdline, append, strlen(append) + 1);

	set_entry_state(&vm->vcpu, ki.entry, boot_data,
			boot_data + PAGE_SIZE + BOOT_STACK_SIZE, pt.pml4);
	return 0;
}
