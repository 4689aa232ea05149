/*
 * Unit tests for monitor/loader.c.  ELF images are built in memory from a
 * small description, so each refusal is one field changed from a valid
 * image; every refusal checks the -1 and a distinctive part of the reason.
 * loader_boot runs on temporary files (the initrd plain and gzip'd) and a
 * calloc'd RAM buffer; the boot page tables it writes are then walked here
 * by hand, independently of the shadow/ walker.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include "vm.h"
#include "trapvisor/boot.h"

#include <elf.h>

#define MIB (1ull << 20)
#define KVA 0x7f0000000000ull      /* where the test kernel is linked */

struct seg_spec {
	u32 type, flags;
	u64 vaddr, paddr, filesz, memsz;
	u64 offset;                /* 0: placed by build_elf */
	u8 fill;                   /* first byte of the pattern in the file */
};

struct elf_spec {
	u8 class, data;
	u16 type, machine;
	u64 entry;
	int nsegs;
	struct seg_spec seg[20];
};

/* A valid kernel: text (R X) at 1 MiB, data (R W) with bss after it, and
 * a PT_GNU_STACK header the loader must skip. */
static struct elf_spec valid_spec(void)
{
	return (struct elf_spec){
		.class = ELFCLASS64, .data = ELFDATA2LSB, .type = ET_EXEC,
		.machine = EM_X86_64, .entry = KVA + 0x10, .nsegs = 3,
		.seg = {
			{ PT_LOAD, PF_R | PF_X, KVA, 0x100000, 0x1800, 0x1800, 0, 0x11 },
			{ PT_LOAD, PF_R | PF_W, KVA + 0x2000, 0x102000, 0x100, 0x3000, 0, 0x77 },
			{ PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 0, 0 },
		},
	};
}

/* The byte at offset k of a segment whose pattern starts at 'fill'. */
static u8 pattern(u8 fill, u64 k)
{
	return (u8)(fill + k * 7);
}

/* Write the ELF described by sp into buf (zeroed first); segment data goes
 * at page-aligned offsets after the headers.  Returns the image size. */
static size_t build_elf(u8 *buf, size_t cap, const struct elf_spec *sp)
{
	Elf64_Ehdr eh = {
		.e_type = sp->type, .e_machine = sp->machine, .e_version = EV_CURRENT,
		.e_entry = sp->entry, .e_phoff = sizeof(Elf64_Ehdr),
		.e_ehsize = sizeof(Elf64_Ehdr), .e_phentsize = sizeof(Elf64_Phdr),
		.e_phnum = (u16)sp->nsegs,
	};
	u64 off = 0x1000, size = sizeof(eh) + sp->nsegs * sizeof(Elf64_Phdr);

	memset(buf, 0, cap);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = sp->class;
	eh.e_ident[EI_DATA] = sp->data;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	memcpy(buf, &eh, sizeof(eh));
	for (int i = 0; i < sp->nsegs; i++) {
		const struct seg_spec *s = &sp->seg[i];
		Elf64_Phdr ph = {
			.p_type = s->type, .p_flags = s->flags, .p_vaddr = s->vaddr,
			.p_paddr = s->paddr, .p_filesz = s->filesz, .p_memsz = s->memsz,
			.p_align = 0x1000, .p_offset = s->offset ? s->offset : off,
		};

		if (!s->offset && s->filesz) {
			assert_true(off + s->filesz <= cap);
			for (u64 k = 0; k < s->filesz; k++)
				buf[off + k] = pattern(s->fill, k);
			if (off + s->filesz > size)
				size = off + s->filesz;
			off = (off + s->filesz + 0xfff) & ~0xfffull;
		}
		memcpy(buf + sizeof(eh) + i * sizeof(ph), &ph, sizeof(ph));
	}
	return size;
}

static u8 img[128 * 1024];

/* Parse sp against ram_size and expect a refusal containing 'want'. */
static void expect_refused(const struct elf_spec *sp, u64 ram_size, const char *want)
{
	struct kernel_image ki;
	char err[256] = "";
	size_t n = build_elf(img, sizeof(img), sp);

	if (loader_parse_elf(img, n, ram_size, &ki, err, sizeof(err)) != -1)
		fail_msg("accepted, but should be refused with \"%s\"", want);
	if (!strstr(err, want))
		fail_msg("reason \"%s\" does not contain \"%s\"", err, want);
	assert_null(strchr(err, '\n'));
}

static void test_parse_valid(void **state)
{
	struct elf_spec sp = valid_spec();
	struct kernel_image ki;
	char err[256] = "untouched";
	size_t n = build_elf(img, sizeof(img), &sp);

	assert_int_equal(loader_parse_elf(img, n, 256 * MIB, &ki, err, sizeof(err)), 0);
	assert_int_equal(ki.entry, KVA + 0x10);
	assert_int_equal(ki.nsegs, 2);                 /* PT_GNU_STACK skipped */
	assert_int_equal(ki.start, 0x100000);
	assert_int_equal(ki.end, 0x105000);            /* 0x102000 + 0x3000 */
	assert_int_equal(ki.seg[0].offset, 0x1000);
	assert_int_equal(ki.seg[0].paddr, 0x100000);
	assert_int_equal(ki.seg[0].vaddr, KVA);
	assert_int_equal(ki.seg[0].filesz, 0x1800);
	assert_int_equal(ki.seg[0].memsz, 0x1800);
	assert_int_equal(ki.seg[0].flags, PF_R | PF_X);
	assert_int_equal(ki.seg[1].offset, 0x3000);
	assert_int_equal(ki.seg[1].paddr, 0x102000);
	assert_int_equal(ki.seg[1].vaddr, KVA + 0x2000);
	assert_int_equal(ki.seg[1].filesz, 0x100);
	assert_int_equal(ki.seg[1].memsz, 0x3000);
	assert_int_equal(ki.seg[1].flags, PF_R | PF_W);

	/* Text and data sharing a page with the same VA-PA delta are fine;
	 * an empty PT_LOAD is ignored; the end is rounded up to a page. */
	sp.seg[1].vaddr = KVA + 0x1800;
	sp.seg[1].paddr = 0x101800;
	sp.seg[2] = (struct seg_spec){ PT_LOAD, PF_R, KVA + 0x900000, 0x900000, 0, 0, 0, 0 };
	n = build_elf(img, sizeof(img), &sp);
	assert_int_equal(loader_parse_elf(img, n, 256 * MIB, &ki, err, sizeof(err)), 0);
	assert_int_equal(ki.nsegs, 2);
	assert_int_equal(ki.end, 0x105000);            /* 0x101800 + 0x3000 = 0x104800 */

	/* Linked at its load address, inside the identity map: allowed. */
	sp = valid_spec();
	sp.seg[0].vaddr = 0x100000;
	sp.seg[1].vaddr = 0x102000;
	sp.entry = 0x100000;
	n = build_elf(img, sizeof(img), &sp);
	assert_int_equal(loader_parse_elf(img, n, 256 * MIB, &ki, err, sizeof(err)), 0);
}

static void test_parse_header_refusals(void **state)
{
	struct elf_spec sp = valid_spec();
	struct kernel_image ki;
	char err[256];
	size_t n = build_elf(img, sizeof(img), &sp);

	assert_int_equal(loader_parse_elf(img, 0, 256 * MIB, &ki, err, sizeof(err)), -1);
	assert_string_equal(err, "empty file");
	assert_int_equal(loader_parse_elf(img, 40, 256 * MIB, &ki, err, sizeof(err)), -1);
	assert_string_equal(err, "truncated: 40 bytes, an ELF header needs 64");
	memcpy(img, "#!/bin/sh\necho this is not a kernel\n", 36);
	assert_int_equal(loader_parse_elf(img, n, 256 * MIB, &ki, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not an ELF file"));

	sp.class = ELFCLASS32;
	expect_refused(&sp, 256 * MIB, "32-bit ELF (ELFCLASS32)");
	sp = valid_spec();
	sp.data = ELFDATA2MSB;
	expect_refused(&sp, 256 * MIB, "big-endian");
	sp = valid_spec();
	sp.machine = EM_AARCH64;
	expect_refused(&sp, 256 * MIB, "built for machine 183 (AArch64), not x86-64");
	sp.machine = 999;
	expect_refused(&sp, 256 * MIB, "built for machine 999, not x86-64");
	sp = valid_spec();
	sp.type = ET_DYN;
	expect_refused(&sp, 256 * MIB, "ELF type 3 (ET_DYN");
	sp.type = ET_REL;
	expect_refused(&sp, 256 * MIB, "not an executable (ET_EXEC)");

	/* Program headers that run past the end of the file. */
	sp = valid_spec();
	n = build_elf(img, sizeof(img), &sp);
	assert_int_equal(loader_parse_elf(img, 64 + 56, 256 * MIB, &ki, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "program headers at 0x40 (3 x 56 bytes) run past the end"));

	/* No PT_LOAD at all. */
	sp.nsegs = 1;
	sp.seg[0].type = PT_NOTE;
	expect_refused(&sp, 256 * MIB, "no loadable (PT_LOAD) segment");
}

static void test_parse_segment_refusals(void **state)
{
	struct elf_spec sp = valid_spec();

	sp.seg[1].paddr = 0xfffe000;                   /* + 0x3000 passes 256 MiB */
	expect_refused(&sp, 256 * MIB, "segment 1 ends at 0x10001000, beyond RAM (256 MiB)");
	sp = valid_spec();
	expect_refused(&sp, 0x104000, "segment 1 ends at 0x105000, beyond RAM (1040 KiB)");

	sp = valid_spec();
	sp.seg[1].paddr = 0x101000;                    /* inside text's [1 MiB, +0x1800) */
	sp.seg[1].vaddr = KVA + 0x1000;
	expect_refused(&sp, 256 * MIB, "segments 0 and 1 overlap in physical memory at 0x101000");

	sp = valid_spec();
	sp.seg[1].filesz = 0x4000;
	expect_refused(&sp, 256 * MIB, "segment 1: file size 0x4000 is larger than its memory size 0x3000");

	sp = valid_spec();
	sp.seg[0].offset = 0x100000;                   /* the file is a few KiB */
	expect_refused(&sp, 256 * MIB, "segment 0: file bytes [0x100000, 0x101800) run past the end");

	sp = valid_spec();
	sp.entry = KVA + 0x10000;
	expect_refused(&sp, 256 * MIB, "entry 0x7f0000010000 is outside every loaded segment");
	sp.entry = KVA + 0x2010;                       /* inside data */
	expect_refused(&sp, 256 * MIB, "entry 0x7f0000002010 is in segment 1, which is not executable");

	sp = valid_spec();
	sp.seg[1].vaddr = GUEST_VA_END - 0x1000;       /* runs into the stub area */
	expect_refused(&sp, 256 * MIB, "segment 1: virtual 0x7ffefffff000 (0x3000 bytes) is outside the guest window");
	sp.seg[1].vaddr = 0xffffffff80002000ull;       /* a classic higher-half kernel */
	expect_refused(&sp, 256 * MIB, "outside the guest window [0x1000, 0x7fff00000000)");
	sp.seg[1].vaddr = 0x0;
	sp.seg[1].paddr = 0x200000;
	expect_refused(&sp, 256 * MIB, "segment 1: virtual 0x0 (0x3000 bytes) is outside the guest window");

	sp = valid_spec();
	sp.seg[0].paddr = 0x0;
	expect_refused(&sp, 256 * MIB, "segment 0 starts at physical 0x0, in page 0");

	sp = valid_spec();
	sp.seg[1].paddr = 0xfffffffffffff000ull;
	expect_refused(&sp, 256 * MIB, "segment 1: physical 0xfffffffffffff000 + size 0x3000 overflows");

	sp = valid_spec();
	sp.seg[1].paddr = 0x102800;                    /* VA offset 0x000, PA offset 0x800 */
	expect_refused(&sp, 256 * MIB, "differ in their offset within a page");

	sp = valid_spec();
	sp.seg[0].vaddr = 0x200000;                    /* identity VA, but PA is 1 MiB */
	sp.entry = 0x200010;
	expect_refused(&sp, 256 * MIB, "segment 0 is mapped at 0x200000, inside the identity map of RAM, but loaded at 0x100000");

	sp = valid_spec();
	sp.seg[1].vaddr = KVA + 0x1800;                /* shares text's last page ... */
	sp.seg[1].paddr = 0x201800;                    /* ... but from another GPA */
	expect_refused(&sp, 256 * MIB, "segments 0 and 1 map virtual page 0x7f0000001000 to different physical pages");

	sp = valid_spec();
	sp.nsegs = KERNEL_MAX_SEGS + 1;
	for (int i = 0; i < sp.nsegs; i++)
		sp.seg[i] = (struct seg_spec){ PT_LOAD, PF_R | PF_X, KVA + i * 0x1000ull,
					       0x100000 + i * 0x1000ull, 0x20, 0x20, 0, 1 };
	expect_refused(&sp, 256 * MIB, "more than 16 PT_LOAD segments");
	sp.nsegs = KERNEL_MAX_SEGS;                    /* exactly the limit is fine */
	{
		struct kernel_image ki;
		char err[256];
		size_t n = build_elf(img, sizeof(img), &sp);

		if (loader_parse_elf(img, n, 256 * MIB, &ki, err, sizeof(err)) != 0)
			fail_msg("refused: %s", err);
		assert_int_equal(ki.nsegs, KERNEL_MAX_SEGS);
	}
}

/* ---- loader_boot ---- */

/*
 * A cpio newc archive of exactly 5000 bytes, as initrd.c accepts it (its
 * checks are test_initrd.c's): bin/sh (the init= of test_boot's command
 * line) holding 4756 bytes from 'next', then the trailer.
 */
#define INITRD_SIZE 5000
static void build_initrd(u8 *buf, u8 (*next)(size_t))
{
	static const char *const name[2] = { "bin/sh", "TRAILER!!!" };
	const u32 mode[2] = { 0100755, 0 }, size[2] = { 4756, 0 };
	size_t off = 0;

	for (int e = 0; e < 2; e++) {
		u32 namesize = (u32)strlen(name[e]) + 1;
		char h[128];

		snprintf(h, sizeof(h), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
			 e + 1, mode[e], 0, 0, 1, 0, size[e], 0, 0, 0, 0, namesize, 0);
		memcpy(buf + off, h, 110);
		memcpy(buf + off + 110, name[e], namesize);
		off = (off + 110 + namesize + 3) & ~(size_t)3;
		for (u32 k = 0; k < size[e]; k++)
			buf[off++] = next(k);
	}
	off = (off + 3) & ~(size_t)3;
	assert_int_equal(off, INITRD_SIZE);
}

static u8 initrd_pattern(size_t i)
{
	return (u8)(i * 13 + 5);
}

/* Store in[0, len) as one gzip member (level 0: not compressed, so the
 * file is larger than the archive) into out; returns its size. */
static size_t gzip_stored(const u8 *in, size_t len, u8 *out, size_t cap)
{
	z_stream zs;

	memset(&zs, 0, sizeof(zs));
	assert_int_equal(deflateInit2(&zs, 0, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	deflateEnd(&zs);
	return zs.total_out;
}

/* Write 'len' bytes to a new temporary file; its name goes to path. */
static void write_temp(char *path, size_t pathlen, const void *data, size_t len)
{
	int fd;

	snprintf(path, pathlen, "/tmp/trapvisor-test-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static struct vm *new_vm(u64 ram_size, const char *kernel)
{
	struct vm *vm = calloc(1, sizeof(*vm));

	assert_non_null(vm);
	vm->ram_size = ram_size;
	vm->ram = malloc(ram_size);
	assert_non_null(vm->ram);
	/* Garbage, so the test sees what the loader zeroes. */
	memset(vm->ram, 0xaa, ram_size);
	vm->opt.kernel = kernel;
	vm->opt.append = "";
	vm->opt.mem_size = ram_size;
	/* Garbage in the vCPU too: the loader must reset it. */
	memset(&vm->vcpu, 0x5a, sizeof(vm->vcpu));
	return vm;
}

static void free_vm(struct vm *vm)
{
	free(vm->ram);
	free(vm);
}

/* The result of a hand walk of the boot page tables. */
struct hw {
	int level;                 /* leaf level: 1 = 4 KiB, 2 = 2 MiB */
	u64 gpa;
	bool w, nx, u, ad;         /* W at every level, NX at some, U at some,
				    * A or D at some */
};

static u64 entry_at(const struct vm *vm, u64 gpa)
{
	u64 e;

	assert_true(gpa + 8 <= vm->ram_size);
	memcpy(&e, vm->ram + gpa, 8);
	return e;
}

/* Translate va from CR3 as the MMU would; false if not present. */
static bool hand_walk(const struct vm *vm, u64 va, struct hw *out)
{
	u64 table = vm->vcpu.cr3 & PTE_ADDR;

	*out = (struct hw){ .w = true };
	for (int level = 4; level >= 1; level--) {
		u64 e = entry_at(vm, table + 8 * ((va >> (12 + 9 * (level - 1))) & 511));

		if (!(e & PTE_P))
			return false;
		out->w &= !!(e & PTE_W);
		out->nx |= !!(e & PTE_NX);
		out->u |= !!(e & PTE_U);
		out->ad |= !!(e & (PTE_A | PTE_D));
		if (level == 1 || (level == 2 && (e & PTE_PS))) {
			u64 mask = (1ull << (12 + 9 * (level - 1))) - 1;

			assert_false(level == 3 && (e & PTE_PS));
			out->level = level;
			out->gpa = ((e & PTE_ADDR) & ~mask) | (va & mask);
			return true;
		}
		assert_false(e & PTE_PS);              /* no 1 GiB pages expected */
		table = e & PTE_ADDR;
	}
	return false;
}

/* va must translate to gpa at 'level' with writable/nx as given, supervisor
 * only, with no A or D bit set anywhere. */
static void expect_map(const struct vm *vm, u64 va, u64 gpa, int level, bool w, bool nx)
{
	struct hw h;

	if (!hand_walk(vm, va, &h))
		fail_msg("VA 0x%llx is not mapped", (unsigned long long)va);
	if (h.gpa != gpa)
		fail_msg("VA 0x%llx -> GPA 0x%llx, want 0x%llx", (unsigned long long)va,
			 (unsigned long long)h.gpa, (unsigned long long)gpa);
	assert_int_equal(h.level, level);
	assert_int_equal(h.w, w);
	assert_int_equal(h.nx, nx);
	assert_false(h.u);
	assert_false(h.ad);
}

static void expect_unmapped(const struct vm *vm, u64 va)
{
	struct hw h;

	if (hand_walk(vm, va, &h))
		fail_msg("VA 0x%llx is mapped (to 0x%llx), should not be",
			 (unsigned long long)va, (unsigned long long)h.gpa);
}

static void test_boot(void **state)
{
	struct elf_spec sp = valid_spec();
	char kpath[64], ipath[64], err[256] = "";
	static u8 initrd[INITRD_SIZE];
	size_t n = build_elf(img, sizeof(img), &sp);
	const u64 ram = 16 * MIB;
	struct boot_info bi;
	struct vm *vm;
	const struct vcpu *v;

	build_initrd(initrd, initrd_pattern);
	write_temp(kpath, sizeof(kpath), img, n);
	write_temp(ipath, sizeof(ipath), initrd, sizeof(initrd));
	vm = new_vm(ram, kpath);
	vm->opt.initrd = ipath;
	vm->opt.append = "console=ttyS0 init=/bin/sh";

	if (loader_boot(vm, err, sizeof(err)) != 0)
		fail_msg("loader_boot: %s", err);

	/* (i) the segments at p_paddr, bss zeroed, the gap page untouched */
	for (u64 k = 0; k < 0x1800; k++)
		assert_int_equal(vm->ram[0x100000 + k], pattern(0x11, k));
	for (u64 k = 0; k < 0x100; k++)
		assert_int_equal(vm->ram[0x102000 + k], pattern(0x77, k));
	for (u64 k = 0x100; k < 0x3000; k++)
		assert_int_equal(vm->ram[0x102000 + k], 0);
	assert_int_equal(vm->ram[0x101800], 0xaa);     /* between the segments */
	assert_int_equal(vm->ram[0xfffff], 0xaa);

	/* (ii) the initrd just above the kernel's page-rounded end */
	assert_memory_equal(vm->ram + 0x105000, initrd, sizeof(initrd));

	/* (iii) boot_info at the next page: 0x105000 + 5000 -> 0x107000 */
	memcpy(&bi, vm->ram + 0x107000, sizeof(bi));
	assert_int_equal(bi.magic, BOOT_INFO_MAGIC);
	assert_int_equal(bi.version, BOOT_INFO_VERSION);
	assert_int_equal(bi.size, sizeof(struct boot_info));
	assert_int_equal(bi.ram_size, ram);
	assert_int_equal(bi.kernel_start, 0x100000);
	assert_int_equal(bi.kernel_end, 0x105000);
	assert_int_equal(bi.initrd_gpa, 0x105000);
	assert_int_equal(bi.initrd_size, 5000);
	assert_int_equal(bi.boot_data_gpa, 0x107000);
	assert_int_equal(bi.features, BOOT_FEATURE_HYPERCALL);
	assert_int_equal(bi.tsc_khz, 0);
	assert_string_equal(bi.cmdline, "console=ttyS0 init=/bin/sh");
	/* the rest of the boot_info page and the stack are zeroed */
	assert_int_equal(vm->ram[0x107000 + sizeof(bi)], 0);
	assert_int_equal(vm->ram[0x107fff], 0);
	assert_int_equal(vm->ram[0x108000], 0);
	assert_int_equal(vm->ram[0x10bfff], 0);
	/* tables start after the stack; free_gpa is past them, still in RAM,
	 * and RAM above free_gpa was not touched */
	/* PML4, then PDPT + PD + PT for the kernel at KVA, then PDPT + PD +
	 * PT (for the first 2 MiB, which holds page 0) for the identity map */
	assert_int_equal(bi.free_gpa, 0x10c000 + 7 * 0x1000);
	assert_int_equal(vm->ram[bi.free_gpa], 0xaa);

	/* the vCPU entry state of boot.h */
	v = &vm->vcpu;
	assert_int_equal(v->rip, KVA + 0x10);
	assert_int_equal(v->gpr[R_RDI], 0x107000);
	assert_int_equal(v->gpr[R_RSP], 0x107000 + 0x1000 + BOOT_STACK_SIZE);
	assert_int_equal(v->gpr[R_RAX], 0);
	assert_int_equal(v->gpr[R_R15], 0);
	assert_int_equal(v->rflags, 0x2);
	assert_int_equal(v->cpl, 0);
	assert_int_equal(v->seg[SEG_CS], BOOT_CS);
	assert_int_equal(v->seg[SEG_SS], BOOT_DS);
	assert_int_equal(v->seg[SEG_DS], BOOT_DS);
	assert_int_equal(v->seg[SEG_ES], BOOT_DS);
	assert_int_equal(v->seg[SEG_FS], 0);
	assert_int_equal(v->seg[SEG_GS], 0);
	assert_int_equal(v->cr0, X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE |
				 X86_CR0_WP | X86_CR0_PG);
	assert_int_equal(v->cr3, 0x10c000);
	assert_int_equal(v->cr4, X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT);
	assert_int_equal(v->efer, X86_EFER_SCE | X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE);
	assert_int_equal(v->gdtr.base, 0);
	assert_int_equal(v->gdtr.limit, 0);
	assert_int_equal(v->idtr.base, 0);
	assert_int_equal(v->idtr.limit, 0);
	assert_int_equal(v->tr, 0);
	assert_int_equal(v->fs_base, 0);
	assert_int_equal(v->lstar, 0);
	assert_false(v->halted);
	assert_int_equal(v->last_vector, -1);

	/* The page tables, walked by hand. */
	expect_unmapped(vm, 0x0);                      /* page 0 */
	expect_unmapped(vm, 0xfff);
	expect_map(vm, 0x1000, 0x1000, 1, true, true); /* first identity page */
	expect_map(vm, 0x5123, 0x5123, 1, true, true);
	expect_map(vm, 0x1fffff, 0x1fffff, 1, true, true);
	expect_map(vm, 0x400123, 0x400123, 2, true, true);  /* a 2 MiB page */
	expect_map(vm, ram - 8, ram - 8, 2, true, true);
	expect_unmapped(vm, ram);
	expect_map(vm, 0x107000, 0x107000, 1, true, true);  /* boot_info */
	expect_map(vm, KVA + 0x10, 0x100010, 1, false, false);      /* text: R X */
	expect_map(vm, KVA + 0x17ff, 0x1017ff, 1, false, false);
	expect_map(vm, KVA + 0x2008, 0x102008, 1, true, true);      /* data: R W NX */
	expect_map(vm, KVA + 0x4ff8, 0x104ff8, 1, true, true);      /* bss end */
	expect_unmapped(vm, KVA + 0x5000);
	expect_unmapped(vm, KVA - 0x1000);
	/* the stack top is identity-mapped and writable */
	expect_map(vm, v->gpr[R_RSP] - 8, v->gpr[R_RSP] - 8, 1, true, true);

	unlink(kpath);
	unlink(ipath);
	free_vm(vm);
}

/* A gzip'd initrd is placed inflated, where the plain one would be, with
 * no compressed bytes left behind it; a bad one is refused naming the file
 * (the archive's own checks are test_initrd.c's). */
static void test_boot_initrd(void **state)
{
	struct elf_spec sp = valid_spec();
	char kpath[64], ipath[64], err[256] = "";
	static u8 plain[INITRD_SIZE], gz[2 * INITRD_SIZE];
	size_t n = build_elf(img, sizeof(img), &sp), zlen;
	struct boot_info bi;
	struct vm *vm;

	build_initrd(plain, initrd_pattern);
	zlen = gzip_stored(plain, sizeof(plain), gz, sizeof(gz));
	assert_true(zlen > sizeof(plain));
	write_temp(kpath, sizeof(kpath), img, n);
	write_temp(ipath, sizeof(ipath), gz, zlen);
	vm = new_vm(16 * MIB, kpath);
	vm->opt.initrd = ipath;
	vm->opt.append = "init=/bin/sh";

	if (loader_boot(vm, err, sizeof(err)) != 0)
		fail_msg("loader_boot: %s", err);
	assert_memory_equal(vm->ram + 0x105000, plain, sizeof(plain));
	for (size_t k = sizeof(plain); k < zlen; k++)
		assert_int_equal(vm->ram[0x105000 + k], 0);
	assert_int_equal(vm->ram[0x105000 + zlen], 0xaa);
	memcpy(&bi, vm->ram + 0x107000, sizeof(bi));
	assert_int_equal(bi.initrd_gpa, 0x105000);
	assert_int_equal(bi.initrd_size, INITRD_SIZE);

	/* The program the command line names must be in the archive. */
	vm->opt.append = "run=hello";
	assert_int_equal(loader_boot(vm, err, sizeof(err)), -1);
	assert_int_equal(strncmp(err, ipath, strlen(ipath)), 0);
	assert_non_null(strstr(err, ": no /init in the archive"));
	vm->opt.append = "init=sh";
	if (loader_boot(vm, err, sizeof(err)) != 0)
		fail_msg("loader_boot: %s", err);

	/* Corrupt gzip data, and a plain archive cut short. */
	gz[zlen / 2] ^= 0xff;
	gz[zlen / 2 + 1] ^= 0xff;
	unlink(ipath);
	write_temp(ipath, sizeof(ipath), gz, zlen);
	vm->opt.initrd = ipath;
	assert_int_equal(loader_boot(vm, err, sizeof(err)), -1);
	assert_int_equal(strncmp(err, ipath, strlen(ipath)), 0);
	assert_non_null(strstr(err, ": gzip: "));
	unlink(ipath);
	write_temp(ipath, sizeof(ipath), plain, 1000);
	assert_int_equal(loader_boot(vm, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ": entry \"bin/sh\": its 4756 bytes of data at offset 120 run "
				"past the end of the archive (1000 bytes)"));

	unlink(kpath);
	unlink(ipath);
	free_vm(vm);
}

/* RAM that is not a multiple of 2 MiB, and a kernel linked at its load
 * address: segment pages keep their own permissions inside the identity
 * map, and the rest of that 2 MiB is mapped with 4 KiB identity pages. */
static void test_boot_identity_kernel(void **state)
{
	struct elf_spec sp = valid_spec();
	const u64 ram = 6 * MIB + 0x3000;
	char kpath[64], err[256] = "";
	struct vm *vm;
	size_t n;

	sp.seg[0].vaddr = sp.seg[0].paddr = 0x200000;
	sp.seg[1].vaddr = sp.seg[1].paddr = 0x202000;
	sp.entry = 0x200000;
	n = build_elf(img, sizeof(img), &sp);
	write_temp(kpath, sizeof(kpath), img, n);
	vm = new_vm(ram, kpath);
	vm->opt.append = NULL;                         /* treated as "" */

	if (loader_boot(vm, err, sizeof(err)) != 0)
		fail_msg("loader_boot: %s", err);
	assert_int_equal(vm->vcpu.rip, 0x200000);
	/* no initrd: boot data right after the kernel's end (0x205000) */
	assert_int_equal(vm->vcpu.gpr[R_RDI], 0x205000);
	assert_int_equal(vm->ram[0x205000 + offsetof(struct boot_info, initrd_gpa)], 0);
	assert_int_equal(vm->ram[0x205000 + offsetof(struct boot_info, cmdline)], 0);

	expect_map(vm, 0x200000, 0x200000, 1, false, false);  /* text */
	expect_map(vm, 0x202000, 0x202000, 1, true, true);    /* data */
	expect_map(vm, 0x201800, 0x201800, 1, false, false);  /* text's last page */
	expect_map(vm, 0x205000, 0x205000, 1, true, true);    /* identity, 4 KiB */
	expect_map(vm, 0x3ff000, 0x3ff000, 1, true, true);
	expect_map(vm, 0x400000, 0x400000, 2, true, true);    /* 2 MiB again */
	expect_map(vm, 0x600000, 0x600000, 1, true, true);    /* the 12 KiB tail */
	expect_map(vm, 0x602ff8, 0x602ff8, 1, true, true);
	expect_unmapped(vm, 0x603000);
	expect_unmapped(vm, 0x800000);

	unlink(kpath);
	free_vm(vm);
}

static void test_boot_refusals(void **state)
{
	struct elf_spec sp = valid_spec();
	char kpath[64], ipath[64], err[256];
	size_t n = build_elf(img, sizeof(img), &sp);
	static u8 big[64 * 1024];
	struct vm *vm;

	/* A missing kernel names the file and the reason. */
	vm = new_vm(8 * MIB, "/nonexistent/kernel.elf");
	assert_int_equal(loader_boot(vm, err, sizeof(err)), -1);
	assert_string_equal(err, "/nonexistent/kernel.elf: No such file or directory");
	vm->opt.kernel = "/tmp";
	assert_int_equal(loader_boot(vm, err, sizeof(err)), -1);
	assert_string_equal(err, "/tmp: not a regular file");

	/* A parse refusal comes back prefixed with the file name. */
	write_temp(kpath, sizeof(kpath), img, n);
	vm->opt.kernel = kpath;
	vm->ram_size = 0x104000;                       /* smaller than the kernel */
	assert_int_equal(loader_boot(vm, err, sizeof(err)), -1);
	assert_int_equal(strncmp(err, kpath, strlen(kpath)), 0);
	assert_non_null(strstr(err, ": segment 1 ends at 0x105000, beyond RAM (1040 KiB)"));
	vm->ram_size = 8 * MIB;

	/* A missing initrd names the initrd. */
	vm->opt.initrd = "/nonexistent/initrd.cpio";
	assert_int_equal(loader_boot(vm, err, sizeof(err)), -1);
	assert_string_equal(err, "/nonexistent/initrd.cpio: No such file or directory");

	/* An initrd too big for what is left of RAM. */
	write_temp(ipath, sizeof(ipath), big, sizeof(big));
	vm->opt.initrd = ipath;
	vm->ram_size = 0x105000 + 0x8000;
	assert_int_equal(loader_boot(vm, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ipath));
	assert_non_null(strstr(err, "65536 bytes at 0x105000 (above the kernel) do not fit in RAM"));
	unlink(ipath);

	/* No room for boot_info + stack + PML4 after the kernel. */
	vm->opt.initrd = NULL;
	vm->ram_size = 0x105000 + 0x5000;
	assert_int_equal(loader_boot(vm, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ": no room for the boot data (0x6000 bytes at 0x105000)"));

	/* Room for the PML4 but not for the tables below it. */
	vm->ram_size = 0x105000 + 0x6000;
	assert_int_equal(loader_boot(vm, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ": the boot page tables do not fit in RAM"));

	/* Just enough: PML4 + one PDPT + one PD + one PT for the identity map
	 * (all below 2 MiB, so 4 KiB pages) and PDPT + PD + PT for KVA. */
	vm->ram_size = 0x105000 + 0x5000 + 7 * 0x1000;
	if (loader_boot(vm, err, sizeof(err)) != 0)
		fail_msg("loader_boot: %s", err);
	expect_map(vm, KVA, 0x100000, 1, false, false);
	expect_map(vm, 0x10a000, 0x10a000, 1, true, true);  /* the PML4 page */
	vm->ram_size = 0x105000 + 0x5000 + 6 * 0x1000;
	assert_int_equal(loader_boot(vm, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "the boot page tables do not fit"));

	/* An over-long command line is refused here too. */
	{
		static char line[BOOT_CMDLINE_MAX + 1];

		memset(line, 'x', BOOT_CMDLINE_MAX);
		vm->ram_size = 8 * MIB;
		vm->opt.append = line;
		assert_int_equal(loader_boot(vm, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "the command line is 1024 bytes"));
	}

	unlink(kpath);
	free_vm(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_header_refusals),
		cmocka_unit_test(test_parse_segment_refusals),
		cmocka_unit_test(test_boot),
		cmocka_unit_test(test_boot_initrd),
		cmocka_unit_test(test_boot_identity_kernel),
		cmocka_unit_test(test_boot_refusals),
	};

	return cmocka_run_group_tests_name("loader", tests, NULL, NULL);
}
