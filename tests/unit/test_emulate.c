/*
 * tests/unit/test_emulate.c: the emulator (traps/emulate.c) and the
 * virtual CPUID (traps/cpuid.c), in the style of Xen's x86_emulate harness.
 *
 * Each row of emu_rows[] is one instruction given as raw bytes, the vCPU
 * state before (as changes to a fixed default state: CPL 0, long mode, a
 * GDT with the descriptors listed at gdt_image[]), guest memory before, and
 * the expected outcome: the result, every vCPU field that changes (all
 * others must keep their value; RIP must advance by the length unless the
 * row says where it goes), the exception vector and error code, port
 * traffic, memory writes, INVLPG and CR-write notifications.  Guest memory
 * is a flat fake (linear address = offset into a 64 KiB buffer) with an
 * optional absent range whose accesses raise #PF with the error code the
 * CPU would give.  Each row runs as its own cmocka test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "traps.h"

/* ---- The fake guest ---- */

#define MEM_SIZE 0x10000
#define GDT      0x1000ull    /* guest GDT */
#define DATA     0x3000ull    /* memory operands */
#define CODE     0x4000ull    /* default RIP */
#define STK      0x9000ull    /* default RSP */
#define HOST_TSC 0x123456789abcdef0ull

enum pio_dir { PIO_NONE, PIO_IN, PIO_OUT };

struct pio {
	enum pio_dir dir;
	u16 port;
	unsigned size;
	u32 val;              /* OUT: value written; IN: value the device returns */
};

struct fake {
	u8 mem[MEM_SIZE];     /* guest memory, linear address = offset */
	u64 absent_lo, absent_hi; /* [lo, hi) raises #PF (not present) */
	const struct pio *script; /* expected traffic; IN values come from here */
	struct pio pio[8];    /* recorded traffic */
	unsigned npio;
	u64 invlpg_la;        /* last INVLPG address */
	unsigned ninvlpg;
	int crw_n;            /* last cr_written() */
	u64 crw_old, crw_new;
	unsigned ncrw;
};

static struct fake *fake_of(struct emu_ctxt *c)
{
	return c->opaque;
}

/* #PF as the CPU reports it for an absent page: P=0, W for writes, U for
 * CPL-3 accesses that are not implicit supervisor ones, I for fetches. */
static int mem_check(struct emu_ctxt *c, u64 la, unsigned len, enum emu_access acc)
{
	struct fake *f = fake_of(c);
	unsigned i;

	for (i = 0; i < len; i++) {
		u64 a = la + i;

		if (a >= MEM_SIZE || (a >= f->absent_lo && a < f->absent_hi)) {
			memset(&c->exc, 0, sizeof(c->exc));
			c->exc.vector = X86_EXC_PF;
			c->exc.has_errcode = true;
			c->exc.cr2 = a;
			if (acc == EMU_WRITE || acc == EMU_WRITE_SYS)
				c->exc.errcode |= PFEC_W;
			if (c->vcpu->cpl == 3 && acc != EMU_READ_SYS && acc != EMU_WRITE_SYS)
				c->exc.errcode |= PFEC_U;
			if (acc == EMU_FETCH)
				c->exc.errcode |= PFEC_I;
			return -1;
		}
	}
	return 0;
}

static int fake_read(struct emu_ctxt *c, u64 la, void *buf, unsigned len, enum emu_access acc)
{
	if (mem_check(c, la, len, acc))
		return -1;
	memcpy(buf, fake_of(c)->mem + la, len);
	return 0;
}

static int fake_write(struct emu_ctxt *c, u64 la, const void *buf, unsigned len,
		      enum emu_access acc)
{
	if (mem_check(c, la, len, acc))
		return -1;
	memcpy(fake_of(c)->mem + la, buf, len);
	return 0;
}

static int fake_pio_in(struct emu_ctxt *c, u16 port, unsigned size, u32 *val)
{
	struct fake *f = fake_of(c);

	assert_true(f->npio < 4);   /* beyond the row's script */
	f->pio[f->npio] = (struct pio){ PIO_IN, port, size, 0 };
	*val = f->script[f->npio].dir == PIO_IN ? f->script[f->npio].val : 0xffffffff;
	f->pio[f->npio++].val = *val;
	return 0;
}

static int fake_pio_out(struct emu_ctxt *c, u16 port, unsigned size, u32 val)
{
	struct fake *f = fake_of(c);

	assert_true(f->npio < 8);
	f->pio[f->npio++] = (struct pio){ PIO_OUT, port, size, val };
	return 0;
}

static void fake_invlpg(struct emu_ctxt *c, u64 la)
{
	fake_of(c)->invlpg_la = la;
	fake_of(c)->ninvlpg++;
}

static void fake_cr_written(struct emu_ctxt *c, int n, u64 old)
{
	struct fake *f = fake_of(c);

	f->crw_n = n;
	f->crw_old = old;
	f->crw_new = n == 0 ? c->vcpu->cr0 : n == 2 ? c->vcpu->cr2 : n == 3 ? c->vcpu->cr3 :
		     n == 4 ? c->vcpu->cr4 : c->vcpu->tpr;
	f->ncrw++;
}

static u64 fake_host_tsc(struct emu_ctxt *c)
{
	return HOST_TSC;
}

/* A made-up CPUID whose every output depends on both inputs. */
static void fake_cpuid(struct emu_ctxt *c, u32 leaf, u32 subleaf, u32 out[4])
{
	out[0] = leaf ^ 0xa5a5a5a5;
	out[1] = subleaf + 0x100;
	out[2] = leaf + subleaf;
	out[3] = 0xfeedf00d;
}

static const struct emu_ops fake_ops = {
	.read = fake_read, .write = fake_write,
	.pio_in = fake_pio_in, .pio_out = fake_pio_out,
	.invlpg = fake_invlpg, .cr_written = fake_cr_written,
	.host_tsc = fake_host_tsc, .cpuid = fake_cpuid,
};

/* ---- vCPU fields, by number, so that rows can name them ---- */

enum field {
	F_END, F_RAX, F_RCX, F_RDX, F_RBX, F_RSP, F_RBP, F_RSI, F_RDI,
	F_R8, F_R9, F_R10, F_R11, F_R12, F_R13, F_R14, F_R15,
	F_RIP, F_RFLAGS, F_CPL, F_ES, F_CS, F_SS, F_DS, F_FS, F_GS,
	F_CR0, F_CR2, F_CR3, F_CR4, F_TPR, F_EFER,
	F_GDTR_BASE, F_GDTR_LIMIT, F_IDTR_BASE, F_IDTR_LIMIT,
	F_TR, F_TR_BASE, F_TR_LIMIT, F_LDTR, F_FS_BASE, F_GS_BASE, F_KGS_BASE,
	F_STAR, F_LSTAR, F_CSTAR, F_SFMASK, F_TSC_OFFSET, F_HALTED, F_STI_SHADOW,
	F_LAST_VECTOR, F_LAST_ERRCODE, F_LAST_RIP, F_COUNT
};

static const char *const field_name[F_COUNT] = {
	"end", "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
	"rip", "rflags", "cpl", "es", "cs", "ss", "ds", "fs", "gs",
	"cr0", "cr2", "cr3", "cr4", "tpr", "efer",
	"gdtr.base", "gdtr.limit", "idtr.base", "idtr.limit",
	"tr", "tr_base", "tr_limit", "ldtr", "fs_base", "gs_base", "kernel_gs_base",
	"star", "lstar", "cstar", "sfmask", "tsc_offset", "halted", "sti_shadow",
	"last_vector", "last_errcode", "last_rip",
};

static u64 field_get(const struct vcpu *v, enum field f)
{
	if (f >= F_RAX && f <= F_R15)
		return v->gpr[f - F_RAX];
	if (f >= F_ES && f <= F_GS)
		return v->seg[f - F_ES];
	switch (f) {
	case F_RIP: return v->rip;
	case F_RFLAGS: return v->rflags;
	case F_CPL: return v->cpl;
	case F_CR0: return v->cr0;
	case F_CR2: return v->cr2;
	case F_CR3: return v->cr3;
	case F_CR4: return v->cr4;
	case F_TPR: return v->tpr;
	case F_EFER: return v->efer;
	case F_GDTR_BASE: return v->gdtr.base;
	case F_GDTR_LIMIT: return v->gdtr.limit;
	case F_IDTR_BASE: return v->idtr.base;
	case F_IDTR_LIMIT: return v->idtr.limit;
	case F_TR: return v->tr;
	case F_TR_BASE: return v->tr_base;
	case F_TR_LIMIT: return v->tr_limit;
	case F_LDTR: return v->ldtr;
	case F_FS_BASE: return v->fs_base;
	case F_GS_BASE: return v->gs_base;
	case F_KGS_BASE: return v->kernel_gs_base;
	case F_STAR: return v->star;
	case F_LSTAR: return v->lstar;
	case F_CSTAR: return v->cstar;
	case F_SFMASK: return v->sfmask;
	case F_TSC_OFFSET: return (u64)v->tsc_offset;
	case F_HALTED: return v->halted;
	case F_STI_SHADOW: return v->sti_shadow;
	case F_LAST_VECTOR: return (u64)(s64)v->last_vector;
	case F_LAST_ERRCODE: return v->last_errcode;
	case F_LAST_RIP: return v->last_rip;
	default: fail_msg("bad field %d", f); return 0;
	}
}

static void field_set(struct vcpu *v, enum field f, u64 x)
{
	if (f >= F_RAX && f <= F_R15) {
		v->gpr[f - F_RAX] = x;
		return;
	}
	if (f >= F_ES && f <= F_GS) {
		v->seg[f - F_ES] = (u16)x;
		return;
	}
	switch (f) {
	case F_RIP: v->rip = x; break;
	case F_RFLAGS: v->rflags = x; break;
	case F_CPL: v->cpl = (u8)x; break;
	case F_CR0: v->cr0 = x; break;
	case F_CR2: v->cr2 = x; break;
	case F_CR3: v->cr3 = x; break;
	case F_CR4: v->cr4 = x; break;
	case F_TPR: v->tpr = (u8)x; break;
	case F_EFER: v->efer = x; break;
	case F_GDTR_BASE: v->gdtr.base = x; break;
	case F_GDTR_LIMIT: v->gdtr.limit = (u16)x; break;
	case F_IDTR_BASE: v->idtr.base = x; break;
	case F_IDTR_LIMIT: v->idtr.limit = (u16)x; break;
	case F_TR: v->tr = (u16)x; break;
	case F_TR_BASE: v->tr_base = x; break;
	case F_TR_LIMIT: v->tr_limit = (u32)x; break;
	case F_LDTR: v->ldtr = (u16)x; break;
	case F_FS_BASE: v->fs_base = x; break;
	case F_GS_BASE: v->gs_base = x; break;
	case F_KGS_BASE: v->kernel_gs_base = x; break;
	case F_STAR: v->star = x; break;
	case F_LSTAR: v->lstar = x; break;
	case F_CSTAR: v->cstar = x; break;
	case F_SFMASK: v->sfmask = x; break;
	case F_TSC_OFFSET: v->tsc_offset = (s64)x; break;
	case F_HALTED: v->halted = x; break;
	case F_STI_SHADOW: v->sti_shadow = x; break;
	case F_LAST_VECTOR: v->last_vector = (int)x; break;
	case F_LAST_ERRCODE: v->last_errcode = x; break;
	case F_LAST_RIP: v->last_rip = x; break;
	default: fail_msg("bad field %d", f);
	}
}

/* ---- Default state ---- */

#define DEF_CR0  (X86_CR0_PE | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_PG)
#define DEF_CR4  X86_CR4_PAE
#define DEF_EFER (X86_EFER_SCE | X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE)
#define DEF_STAR 0x0080000800000000ull   /* SYSCALL CS 0x08, SYSRET base 0x80 */
#define GPR(i)   (0x0101010101010101ull * ((i) + 1))   /* default RAX.. R15 */
#define TSS_BASE 0x0000123489abc000ull

/* The guest GDT: selector -> descriptor (low 8 bytes; TSS: 16 bytes). */
static const struct { u16 sel; u64 lo, hi; } gdt_image[] = {
	{ 0x08, 0x00af9b000000ffffull, 0 },   /* kernel code, 64-bit, DPL 0 */
	{ 0x10, 0x00cf93000000ffffull, 0 },   /* kernel data, writable, DPL 0 */
	{ 0x18, 0x00cf13000000ffffull, 0 },   /* writable data, not present */
	{ 0x20, 0x00cf9b000000ffffull, 0 },   /* 32-bit code (L=0, D=1), DPL 0 */
	{ 0x28, 0x12cf93345678ffffull, 0 },   /* data, base 0x12345678, DPL 0 */
	{ 0x30, 0x00cf91000000ffffull, 0 },   /* read-only data, DPL 0 */
	{ 0x38, 0x00af99000000ffffull, 0 },   /* execute-only 64-bit code, DPL 0 */
	{ 0x40, 0x890089abc0000067ull, 0x1234 }, /* 64-bit TSS, available */
	{ 0x50, 0x89008babc0000067ull, 0x1234 }, /* 64-bit TSS, busy */
	{ 0x60, 0x890009abc0000067ull, 0x1234 }, /* 64-bit TSS, not present */
	{ 0x70, 0x00af1b000000ffffull, 0 },   /* 64-bit code, not present */
	{ 0x80, 0x00cffb000000ffffull, 0 },   /* user 32-bit code, DPL 3 */
	{ 0x88, 0x00cff3000000ffffull, 0 },   /* user data, DPL 3 */
	{ 0x90, 0x00affb000000ffffull, 0 },   /* user code, 64-bit, DPL 3 */
};
#define GDT_LIMIT 0x9f

static void vcpu_default(struct vcpu *v)
{
	unsigned i;

	memset(v, 0, sizeof(*v));
	for (i = 0; i < 16; i++)
		v->gpr[i] = GPR(i);
	v->gpr[R_RSP] = STK;
	v->rip = CODE;
	v->rflags = X86_RFLAGS_FIXED;
	v->cpl = 0;
	v->seg[SEG_CS] = 0x08;
	v->seg[SEG_SS] = v->seg[SEG_DS] = v->seg[SEG_ES] = 0x10;
	v->cr0 = DEF_CR0;
	v->cr3 = 0x100000;
	v->cr4 = DEF_CR4;
	v->efer = DEF_EFER;
	v->gdtr = (struct dtr){ GDT, GDT_LIMIT };
	v->idtr = (struct dtr){ 0x2000, 0xfff };
	v->fs_base = 0x10000000;
	v->gs_base = 0x20000000;
	v->kernel_gs_base = 0x30000000;
	v->star = DEF_STAR;
	v->lstar = 0x4800;
	v->sfmask = 0x47700;
	v->last_vector = -1;
}

/* ---- Rows ---- */

struct kv { enum field f; u64 val; };
struct memv { u64 la; unsigned len; u64 val; };   /* little-endian, len <= 8 */

struct emu_row {
	const char *name;
	const char *bytes;      /* the instruction */
	unsigned len;
	struct kv set[10];      /* state before, over vcpu_default() */
	struct memv mem[6];     /* memory before */
	u64 absent_lo, absent_hi;
	enum emu_result result;
	struct kv expect[12];   /* fields that change (RIP: see emu_row_run) */
	struct memv mem_after[3];
	u8 vec;                 /* EMU_EXCEPTION: vector, error code, CR2 */
	u32 err;
	u64 cr2;
	bool soft;              /* INT n / INT3: no error code, RIP advanced */
	struct pio pio[4];      /* expected port traffic, in order */
	int invlpg;             /* 1: one INVLPG of invlpg_la expected */
	u64 invlpg_la;
	int crw;                /* 1: one cr_written(crw_n, crw_old) expected */
	int crw_n;
	u64 crw_old;
};

#define B(s)  .bytes = (s), .len = sizeof(s) - 1
#define EXC(v, e) .result = EMU_EXCEPTION, .vec = (v), .err = (e)
#define GP(e) EXC(X86_EXC_GP, e)
#define UD    EXC(X86_EXC_UD, 0)
#define SOFT(v) .result = EMU_EXCEPTION, .vec = (v), .soft = true
#define CPL3  { F_CPL, 3 }
#define LE2(x) (u8)(x), (u8)((x) >> 8)

#define MB(x) (1ull << (x))
#define IRET_LOADABLE_CPL0 (X86_RFLAGS_CF | X86_RFLAGS_PF | X86_RFLAGS_AF | X86_RFLAGS_ZF | \
	X86_RFLAGS_SF | X86_RFLAGS_TF | X86_RFLAGS_IF | X86_RFLAGS_DF | X86_RFLAGS_OF | \
	X86_RFLAGS_IOPL | X86_RFLAGS_NT | X86_RFLAGS_RF | X86_RFLAGS_AC | X86_RFLAGS_ID)

/* An IRETQ frame at RSP = 0x8f00: RIP, CS, RFLAGS, RSP, SS. */
#define IRET_FRAME(rip, cs, fl, rsp, ss) \
	.mem = { { 0x8f00, 8, rip }, { 0x8f08, 8, cs }, { 0x8f10, 8, fl }, \
		 { 0x8f18, 8, rsp }, { 0x8f20, 8, ss } }

static const struct emu_row emu_rows[] = {
	/* ---- CLI, STI, HLT ---- */
	{ .name = "cli at cpl0 clears IF", B("\xfa"),
	  .set = { { F_RFLAGS, 0x202 } }, .expect = { { F_RFLAGS, 0x2 } } },
	{ .name = "cli at cpl3 with iopl3 clears IF", B("\xfa"),
	  .set = { CPL3, { F_RFLAGS, 0x3202 } }, .expect = { { F_RFLAGS, 0x3002 } } },
	{ .name = "cli at cpl3 with iopl0 is #GP(0)", B("\xfa"),
	  .set = { CPL3, { F_RFLAGS, 0x202 } }, GP(0) },
	{ .name = "cli with lock prefix is #UD", B("\xf0\xfa"), UD },
	{ .name = "sti sets IF and the interrupt shadow", B("\xfb"),
	  .expect = { { F_RFLAGS, 0x202 }, { F_STI_SHADOW, 1 } } },
	{ .name = "sti with IF already set: no new shadow, old one ends", B("\xfb"),
	  .set = { { F_RFLAGS, 0x202 }, { F_STI_SHADOW, 1 } },
	  .expect = { { F_STI_SHADOW, 0 } } },
	{ .name = "sti at cpl3 with iopl0 is #GP(0)", B("\xfb"),
	  .set = { CPL3 }, GP(0) },
	{ .name = "hlt halts", B("\xf4"), .result = EMU_HALT,
	  .expect = { { F_HALTED, 1 } } },
	{ .name = "hlt after sti ends the shadow", B("\xf4"), .result = EMU_HALT,
	  .set = { { F_RFLAGS, 0x202 }, { F_STI_SHADOW, 1 } },
	  .expect = { { F_HALTED, 1 }, { F_STI_SHADOW, 0 } } },
	{ .name = "hlt at cpl3 is #GP(0), shadow kept", B("\xf4"),
	  .set = { CPL3, { F_STI_SHADOW, 1 } }, GP(0) },

	/* ---- IN, OUT ---- */
	{ .name = "in al, imm8 merges into rax", B("\xe4\x40"),
	  .pio = { { PIO_IN, 0x40, 1, 0xab } },
	  .expect = { { F_RAX, 0x01010101010101abull } } },
	{ .name = "in eax, imm8 zero-extends", B("\xe5\x71"),
	  .pio = { { PIO_IN, 0x71, 4, 0xdeadbeef } },
	  .expect = { { F_RAX, 0xdeadbeef } } },
	{ .name = "66 in ax, imm8 merges 16 bits", B("\x66\xe5\x60"),
	  .pio = { { PIO_IN, 0x60, 2, 0xbeef } },
	  .expect = { { F_RAX, 0x010101010101beefull } } },
	{ .name = "in al, dx uses dx only", B("\xec"),
	  .set = { { F_RDX, 0xffffffffffff03fdull } },
	  .pio = { { PIO_IN, 0x3fd, 1, 0x60 } },
	  .expect = { { F_RAX, 0x0101010101010160ull } } },
	{ .name = "in eax, dx zero-extends", B("\xed"),
	  .set = { { F_RDX, 0xcf8 } },
	  .pio = { { PIO_IN, 0xcf8, 4, 0x80001234 } },
	  .expect = { { F_RAX, 0x80001234 } } },
	{ .name = "66 in ax, dx", B("\x66\xed"),
	  .set = { { F_RDX, 0x1f0 } },
	  .pio = { { PIO_IN, 0x1f0, 2, 0x1234 } },
	  .expect = { { F_RAX, 0x0101010101011234ull } } },
	{ .name = "out imm8, al", B("\xe6\x80"),
	  .set = { { F_RAX, 0x112233445566775aull } },
	  .pio = { { PIO_OUT, 0x80, 1, 0x5a } } },
	{ .name = "out imm8, eax", B("\xe7\xf4"),
	  .set = { { F_RAX, 0x1122334455667788ull } },
	  .pio = { { PIO_OUT, 0xf4, 4, 0x55667788 } } },
	{ .name = "66 out imm8, ax", B("\x66\xe7\x70"),
	  .set = { { F_RAX, 0x1122334455667788ull } },
	  .pio = { { PIO_OUT, 0x70, 2, 0x7788 } } },
	{ .name = "out dx, al", B("\xee"),
	  .set = { { F_RDX, 0x3f8 }, { F_RAX, 0x41 } },
	  .pio = { { PIO_OUT, 0x3f8, 1, 0x41 } } },
	{ .name = "66 out dx, ax", B("\x66\xef"),
	  .set = { { F_RDX, 0x1f0 }, { F_RAX, 0xabcd1234 } },
	  .pio = { { PIO_OUT, 0x1f0, 2, 0x1234 } } },
	{ .name = "out dx, eax", B("\xef"),
	  .set = { { F_RDX, 0x501 }, { F_RAX, 0xffffffff00000003ull } },
	  .pio = { { PIO_OUT, 0x501, 4, 3 } } },
	{ .name = "in at cpl3 with iopl0 is #GP(0), no port access", B("\xec"),
	  .set = { CPL3 }, GP(0) },
	{ .name = "out at cpl3 with iopl0 is #GP(0), no port access", B("\xe6\x80"),
	  .set = { CPL3 }, GP(0) },
	{ .name = "out at cpl3 with iopl3 is allowed", B("\xee"),
	  .set = { CPL3, { F_RFLAGS, 0x3002 }, { F_RDX, 0x3f8 }, { F_RAX, 0x42 } },
	  .pio = { { PIO_OUT, 0x3f8, 1, 0x42 } } },

	/* ---- MOV from CRn ---- */
	{ .name = "mov rax, cr0", B("\x0f\x20\xc0"),
	  .expect = { { F_RAX, DEF_CR0 } } },
	{ .name = "mov rbx, cr2", B("\x0f\x20\xd3"),
	  .set = { { F_CR2, 0x7fff1234 } }, .expect = { { F_RBX, 0x7fff1234 } } },
	{ .name = "mov rax, cr3", B("\x0f\x20\xd8"),
	  .expect = { { F_RAX, 0x100000 } } },
	{ .name = "41 mov r9, cr4 (REX.B)", B("\x41\x0f\x20\xe1"),
	  .expect = { { F_R9, DEF_CR4 } } },
	{ .name = "44 mov rax, cr8 (REX.R) reads the TPR", B("\x44\x0f\x20\xc0"),
	  .set = { { F_TPR, 5 } }, .expect = { { F_RAX, 5 } } },
	{ .name = "mov rax, cr0 at cpl3 is #GP(0)", B("\x0f\x20\xc0"),
	  .set = { CPL3 }, GP(0) },
	{ .name = "mov rax, cr1 is #UD", B("\x0f\x20\xc8"), UD },

	/* ---- MOV to CRn ---- */
	{ .name = "mov cr3, rax", B("\x0f\x22\xd8"),
	  .set = { { F_RAX, 0x5000 } }, .expect = { { F_CR3, 0x5000 } },
	  .crw = 1, .crw_n = 3, .crw_old = 0x100000 },
	{ .name = "48 mov cr3, rax (REX.W ignored)", B("\x48\x0f\x22\xd8"),
	  .set = { { F_RAX, 0x7000 } }, .expect = { { F_CR3, 0x7000 } },
	  .crw = 1, .crw_n = 3, .crw_old = 0x100000 },
	{ .name = "41 mov cr3, r8 (REX.B)", B("\x41\x0f\x22\xd8"),
	  .set = { { F_R8, 0x6000 } }, .expect = { { F_CR3, 0x6000 } },
	  .crw = 1, .crw_n = 3, .crw_old = 0x100000 },
	{ .name = "mov cr3 with bit 63 set is #GP(0)", B("\x0f\x22\xd8"),
	  .set = { { F_RAX, MB(63) | 0x5000 } }, GP(0) },
	{ .name = "mov cr3 with bit 52 set is #GP(0)", B("\x0f\x22\xd8"),
	  .set = { { F_RAX, MB(52) | 0x5000 } }, GP(0) },
	{ .name = "mov cr3 at cpl3 is #GP(0)", B("\x0f\x22\xd8"),
	  .set = { CPL3, { F_RAX, 0x5000 } }, GP(0) },
	{ .name = "mov cr0, rax sets TS", B("\x0f\x22\xc0"),
	  .set = { { F_RAX, DEF_CR0 | X86_CR0_TS } },
	  .expect = { { F_CR0, DEF_CR0 | X86_CR0_TS } },
	  .crw = 1, .crw_n = 0, .crw_old = DEF_CR0 },
	{ .name = "mov cr0 ignores low reserved bits and keeps ET", B("\x0f\x22\xc0"),
	  .set = { { F_RAX, (DEF_CR0 & ~X86_CR0_ET) | MB(6) | X86_CR0_AM } },
	  .expect = { { F_CR0, DEF_CR0 | X86_CR0_AM } },
	  .crw = 1, .crw_n = 0, .crw_old = DEF_CR0 },
	{ .name = "mov cr0 with bit 32 is #GP(0)", B("\x0f\x22\xc0"),
	  .set = { { F_RAX, DEF_CR0 | MB(32) } }, GP(0) },
	{ .name = "mov cr0 clearing PG in long mode is #GP(0)", B("\x0f\x22\xc0"),
	  .set = { { F_RAX, DEF_CR0 & ~X86_CR0_PG } }, GP(0) },
	{ .name = "mov cr0 clearing PE (PG set) is #GP(0)", B("\x0f\x22\xc0"),
	  .set = { { F_RAX, DEF_CR0 & ~X86_CR0_PE } }, GP(0) },
	{ .name = "mov cr0 with NW but not CD is #GP(0)", B("\x0f\x22\xc0"),
	  .set = { { F_RAX, DEF_CR0 | X86_CR0_NW } }, GP(0) },
	{ .name = "mov cr2, rax", B("\x0f\x22\xd0"),
	  .set = { { F_RAX, 0xffff800000001000ull } },
	  .expect = { { F_CR2, 0xffff800000001000ull } },
	  .crw = 1, .crw_n = 2, .crw_old = 0 },
	{ .name = "mov cr4, rax sets PGE, OSFXSR, OSXSAVE", B("\x0f\x22\xe0"),
	  .set = { { F_RAX, DEF_CR4 | X86_CR4_PGE | X86_CR4_OSFXSR | X86_CR4_OSXSAVE } },
	  .expect = { { F_CR4, DEF_CR4 | X86_CR4_PGE | X86_CR4_OSFXSR | X86_CR4_OSXSAVE } },
	  .crw = 1, .crw_n = 4, .crw_old = DEF_CR4 },
	{ .name = "mov cr4 clearing PAE in long mode is #GP(0)", B("\x0f\x22\xe0"),
	  .set = { { F_RAX, X86_CR4_PGE } }, GP(0) },
	{ .name = "mov cr4 +UMIP is #GP(0)", B("\x0f\x22\xe0"),
	  .set = { { F_RAX, DEF_CR4 | MB(11) } }, GP(0) },
	{ .name = "mov cr4 +LA57 is #GP(0)", B("\x0f\x22\xe0"),
	  .set = { { F_RAX, DEF_CR4 | MB(12) } }, GP(0) },
	{ .name = "mov cr4 +VMXE is #GP(0)", B("\x0f\x22\xe0"),
	  .set = { { F_RAX, DEF_CR4 | MB(13) } }, GP(0) },
	{ .name = "mov cr4 +SMXE is #GP(0)", B("\x0f\x22\xe0"),
	  .set = { { F_RAX, DEF_CR4 | MB(14) } }, GP(0) },
	{ .name = "mov cr4 +PCIDE is #GP(0)", B("\x0f\x22\xe0"),
	  .set = { { F_RAX, DEF_CR4 | MB(17) } }, GP(0) },
	{ .name = "mov cr4 +SMEP is #GP(0)", B("\x0f\x22\xe0"),
	  .set = { { F_RAX, DEF_CR4 | MB(20) } }, GP(0) },
	{ .name = "mov cr4 +SMAP is #GP(0)", B("\x0f\x22\xe0"),
	  .set = { { F_RAX, DEF_CR4 | MB(21) } }, GP(0) },
	{ .name = "mov cr4 +PKE is #GP(0)", B("\x0f\x22\xe0"),
	  .set = { { F_RAX, DEF_CR4 | MB(22) } }, GP(0) },
	{ .name = "mov cr4 +PVI (no virtual interrupts) is #GP(0)", B("\x0f\x22\xe0"),
	  .set = { { F_RAX, DEF_CR4 | MB(1) } }, GP(0) },
	{ .name = "44 mov cr8, rax writes the TPR", B("\x44\x0f\x22\xc0"),
	  .set = { { F_RAX, 0xf }, { F_TPR, 2 } }, .expect = { { F_TPR, 0xf } },
	  .crw = 1, .crw_n = 8, .crw_old = 2 },
	{ .name = "mov cr8 with bit 4 is #GP(0)", B("\x44\x0f\x22\xc0"),
	  .set = { { F_RAX, 0x10 } }, GP(0) },
	{ .name = "mov cr5, rax is #UD", B("\x0f\x22\xe8"), UD },
	{ .name = "44 mov cr9, rax is #UD", B("\x44\x0f\x22\xc8"), UD },

	/* ---- CLTS ---- */
	{ .name = "clts clears CR0.TS", B("\x0f\x06"),
	  .set = { { F_CR0, DEF_CR0 | X86_CR0_TS } }, .expect = { { F_CR0, DEF_CR0 } },
	  .crw = 1, .crw_n = 0, .crw_old = DEF_CR0 | X86_CR0_TS },
	{ .name = "clts at cpl3 is #GP(0)", B("\x0f\x06"),
	  .set = { CPL3, { F_CR0, DEF_CR0 | X86_CR0_TS } }, GP(0) },

	/* ---- LGDT, LIDT: memory operand forms ---- */
	{ .name = "lgdt [rax]", B("\x0f\x01\x10"),
	  .set = { { F_RAX, DATA } },
	  .mem = { { DATA, 2, 0x00ff }, { DATA + 2, 8, 0x00007f0000001000ull } },
	  .expect = { { F_GDTR_LIMIT, 0xff }, { F_GDTR_BASE, 0x00007f0000001000ull } } },
	{ .name = "lidt [rip+disp32] is relative to the next instruction",
	  B("\x0f\x01\x1d\x09\xf0\xff\xff"),   /* 0x4007 - 0xff7 = 0x3010 */
	  .mem = { { DATA + 0x10, 2, 0x0fff }, { DATA + 0x12, 8, 0x2000 } },
	  .expect = { { F_IDTR_LIMIT, 0xfff }, { F_IDTR_BASE, 0x2000 } },
	  .set = { { F_IDTR_BASE, 0 }, { F_IDTR_LIMIT, 0 } } },
	{ .name = "lidt [rax+rbx*4+8] (SIB, disp8)", B("\x0f\x01\x5c\x98\x08"),
	  .set = { { F_RAX, DATA }, { F_RBX, 0x10 } },
	  .mem = { { DATA + 0x48, 2, 0x01ff }, { DATA + 0x4a, 8, 0x5000 } },
	  .expect = { { F_IDTR_LIMIT, 0x1ff }, { F_IDTR_BASE, 0x5000 } } },
	{ .name = "64 lgdt fs:[rax] adds fs_base", B("\x64\x0f\x01\x10"),
	  .set = { { F_RAX, 0x20 }, { F_FS_BASE, DATA } },
	  .mem = { { DATA + 0x20, 2, 0x7f }, { DATA + 0x22, 8, 0x6000 } },
	  .expect = { { F_GDTR_LIMIT, 0x7f }, { F_GDTR_BASE, 0x6000 } } },
	{ .name = "65 lidt gs:[rax] adds gs_base", B("\x65\x0f\x01\x18"),
	  .set = { { F_RAX, 0x40 }, { F_GS_BASE, DATA } },
	  .mem = { { DATA + 0x40, 2, 0x3f }, { DATA + 0x42, 8, 0x7000 } },
	  .expect = { { F_IDTR_LIMIT, 0x3f }, { F_IDTR_BASE, 0x7000 } } },
	{ .name = "67 lgdt [eax+0x40] wraps at 4 GiB", B("\x67\x0f\x01\x50\x40"),
	  .set = { { F_RAX, 0xdeadbeeffffffff0ull } },   /* 0xfffffff0 + 0x40 = 0x30 */
	  .mem = { { 0x30, 2, 0x17 }, { 0x32, 8, 0x8000 } },
	  .expect = { { F_GDTR_LIMIT, 0x17 }, { F_GDTR_BASE, 0x8000 } } },
	{ .name = "lgdt with non-canonical base is #GP(0)", B("\x0f\x01\x10"),
	  .set = { { F_RAX, DATA } },
	  .mem = { { DATA, 2, 0xff }, { DATA + 2, 8, 0x0000800000000000ull } }, GP(0) },
	{ .name = "lgdt [non-canonical] is #GP(0)", B("\x0f\x01\x10"),
	  .set = { { F_RAX, 0x0000800000000000ull } }, GP(0) },
	{ .name = "lgdt [rbp] non-canonical is #SS(0)", B("\x0f\x01\x55\x00"),
	  .set = { { F_RBP, 0x0000800000000000ull } }, EXC(X86_EXC_SS, 0) },
	{ .name = "lgdt operand on an absent page is #PF", B("\x0f\x01\x10"),
	  .set = { { F_RAX, 0x6ffa } }, .absent_lo = 0x7000, .absent_hi = 0x8000,
	  EXC(X86_EXC_PF, 0), .cr2 = 0x7000 },
	{ .name = "lgdt at cpl3 is #GP(0) (no memory access)", B("\x0f\x01\x10"),
	  .set = { CPL3, { F_RAX, 0x7000 } }, .absent_lo = 0x7000, .absent_hi = 0x8000,
	  GP(0) },
	{ .name = "lidt at cpl3 is #GP(0)", B("\x0f\x01\x18"),
	  .set = { CPL3, { F_RAX, DATA } }, GP(0) },

	/* ---- LTR, LLDT ---- */
	{ .name = "ltr ax loads TR and marks the TSS busy", B("\x0f\x00\xd8"),
	  .set = { { F_RAX, 0x40 } },
	  .expect = { { F_TR, 0x40 }, { F_TR_BASE, TSS_BASE }, { F_TR_LIMIT, 0x67 } },
	  .mem_after = { { GDT + 0x45, 1, 0x8b } } },
	{ .name = "ltr [rax]", B("\x0f\x00\x18"),
	  .set = { { F_RAX, DATA } }, .mem = { { DATA, 2, 0x40 } },
	  .expect = { { F_TR, 0x40 }, { F_TR_BASE, TSS_BASE }, { F_TR_LIMIT, 0x67 } },
	  .mem_after = { { GDT + 0x45, 1, 0x8b } } },
	{ .name = "ltr of a busy TSS is #GP(sel)", B("\x0f\x00\xd8"),
	  .set = { { F_RAX, 0x50 } }, GP(0x50) },
	{ .name = "ltr of a not-present TSS is #NP(sel)", B("\x0f\x00\xd8"),
	  .set = { { F_RAX, 0x60 } }, EXC(X86_EXC_NP, 0x60) },
	{ .name = "ltr of a null selector is #GP(0)", B("\x0f\x00\xd8"),
	  .set = { { F_RAX, 3 } }, GP(0) },
	{ .name = "ltr of a data segment is #GP(sel)", B("\x0f\x00\xd8"),
	  .set = { { F_RAX, 0x13 } }, GP(0x10) },
	{ .name = "ltr beyond the GDT limit is #GP(sel)", B("\x0f\x00\xd8"),
	  .set = { { F_RAX, 0x98 } }, GP(0x98) },
	{ .name = "ltr with TI=1 is #GP(sel)", B("\x0f\x00\xd8"),
	  .set = { { F_RAX, 0x44 } }, GP(0x44) },
	{ .name = "ltr at cpl3 is #GP(0)", B("\x0f\x00\xd8"),
	  .set = { CPL3, { F_RAX, 0x40 } }, GP(0) },
	{ .name = "lldt ax with a null selector", B("\x0f\x00\xd0"),
	  .set = { { F_RAX, 0 }, { F_LDTR, 0x1234 } }, .expect = { { F_LDTR, 0 } } },
	{ .name = "lldt ax with a real LDT is not emulated", B("\x0f\x00\xd0"),
	  .set = { { F_RAX, 0x18 } }, .result = EMU_UNHANDLEABLE },
	{ .name = "lldt at cpl3 is #GP(0)", B("\x0f\x00\xd0"),
	  .set = { CPL3, { F_RAX, 0 } }, GP(0) },

	/* ---- MOV Sreg ---- */
	{ .name = "mov ds, ax", B("\x8e\xd8"),
	  .set = { { F_DS, 0 }, { F_RAX, 0x10 } }, .expect = { { F_DS, 0x10 } } },
	{ .name = "66 mov ds, ax", B("\x66\x8e\xd8"),
	  .set = { { F_DS, 0 }, { F_RAX, 0x10 } }, .expect = { { F_DS, 0x10 } } },
	{ .name = "48 mov ds, ax", B("\x48\x8e\xd8"),
	  .set = { { F_DS, 0 }, { F_RAX, 0xffff0010 } }, .expect = { { F_DS, 0x10 } } },
	{ .name = "mov es, ax with a null selector", B("\x8e\xc0"),
	  .set = { { F_RAX, 0 } }, .expect = { { F_ES, 0 } } },
	{ .name = "mov ss, ax sets the interrupt shadow", B("\x8e\xd0"),
	  .set = { { F_SS, 0 }, { F_RAX, 0x10 } },
	  .expect = { { F_SS, 0x10 }, { F_STI_SHADOW, 1 } } },
	{ .name = "mov ss, ax null at cpl0", B("\x8e\xd0"),
	  .set = { { F_RAX, 0 } }, .expect = { { F_SS, 0 }, { F_STI_SHADOW, 1 } } },
	{ .name = "mov ss, ax null at cpl3 is #GP(0)", B("\x8e\xd0"),
	  .set = { CPL3, { F_SS, 0x8b }, { F_RAX, 3 } }, GP(0) },
	{ .name = "mov ss, ax user data at cpl3", B("\x8e\xd0"),
	  .set = { CPL3, { F_SS, 0 }, { F_RAX, 0x8b } },
	  .expect = { { F_SS, 0x8b }, { F_STI_SHADOW, 1 } } },
	{ .name = "mov ss, ax with RPL != CPL is #GP(sel)", B("\x8e\xd0"),
	  .set = { { F_RAX, 0x13 } }, GP(0x10) },
	{ .name = "mov ds, ax with TI=1 (no LDT) is #GP(sel)", B("\x8e\xd8"),
	  .set = { { F_RAX, 0x14 } }, GP(0x14) },
	{ .name = "mov ss, ax read-only data is #GP(sel)", B("\x8e\xd0"),
	  .set = { { F_RAX, 0x30 } }, GP(0x30) },
	{ .name = "mov ss, ax not present is #SS(sel)", B("\x8e\xd0"),
	  .set = { { F_RAX, 0x18 } }, EXC(X86_EXC_SS, 0x18) },
	{ .name = "mov fs, ax loads the 32-bit base", B("\x8e\xe0"),
	  .set = { { F_RAX, 0x28 } },
	  .expect = { { F_FS, 0x28 }, { F_FS_BASE, 0x12345678 } } },
	{ .name = "mov gs, ax null keeps gs_base", B("\x8e\xe8"),
	  .set = { { F_RAX, 0 }, { F_GS, 0x10 } }, .expect = { { F_GS, 0 } } },
	{ .name = "mov gs, [rax]", B("\x8e\x28"),
	  .set = { { F_RAX, DATA } }, .mem = { { DATA, 2, 0x28 } },
	  .expect = { { F_GS, 0x28 }, { F_GS_BASE, 0x12345678 } } },
	{ .name = "mov ds, ax not present is #NP(sel)", B("\x8e\xd8"),
	  .set = { { F_RAX, 0x18 } }, EXC(X86_EXC_NP, 0x18) },
	{ .name = "mov ds, ax execute-only code is #GP(sel)", B("\x8e\xd8"),
	  .set = { { F_RAX, 0x38 } }, GP(0x38) },
	{ .name = "mov ds, ax beyond the GDT limit is #GP(sel)", B("\x8e\xd8"),
	  .set = { { F_RAX, 0xf8 } }, GP(0xf8) },
	{ .name = "mov ds, ax TSS descriptor is #GP(sel)", B("\x8e\xd8"),
	  .set = { { F_RAX, 0x40 } }, GP(0x40) },
	{ .name = "mov ds, ax DPL0 at cpl3 is #GP(sel)", B("\x8e\xd8"),
	  .set = { CPL3, { F_RAX, 0x13 } }, GP(0x10) },
	{ .name = "mov ds, ax user data at cpl3", B("\x8e\xd8"),
	  .set = { CPL3, { F_RAX, 0x8b } }, .expect = { { F_DS, 0x8b } } },
	{ .name = "mov cs, ax is #UD", B("\x8e\xc8"), UD },
	{ .name = "mov ds, [rax] on an absent page is #PF", B("\x8e\x18"),
	  .set = { { F_RAX, 0x6000 } }, .absent_lo = 0x6000, .absent_hi = 0x7000,
	  EXC(X86_EXC_PF, 0), .cr2 = 0x6000 },

	/* ---- WRMSR, RDMSR ---- */
	{ .name = "wrmsr EFER clears NXE", B("\x0f\x30"),
	  .set = { { F_RCX, MSR_EFER }, { F_RDX, 0 },
		   { F_RAX, X86_EFER_SCE | X86_EFER_LME | X86_EFER_LMA } },
	  .expect = { { F_EFER, X86_EFER_SCE | X86_EFER_LME | X86_EFER_LMA } } },
	{ .name = "wrmsr EFER without LMA keeps LMA", B("\x0f\x30"),
	  .set = { { F_RCX, MSR_EFER }, { F_RDX, 0 }, { F_RAX, X86_EFER_LME } },
	  .expect = { { F_EFER, X86_EFER_LME | X86_EFER_LMA } } },
	{ .name = "wrmsr EFER reserved bit (SVME) is #GP(0)", B("\x0f\x30"),
	  .set = { { F_RCX, MSR_EFER }, { F_RDX, 0 }, { F_RAX, DEF_EFER | MB(12) } }, GP(0) },
	{ .name = "wrmsr EFER high half is #GP(0)", B("\x0f\x30"),
	  .set = { { F_RCX, MSR_EFER }, { F_RDX, 1 }, { F_RAX, DEF_EFER } }, GP(0) },
	{ .name = "wrmsr EFER clearing LME while paging is #GP(0)", B("\x0f\x30"),
	  .set = { { F_RCX, MSR_EFER }, { F_RDX, 0 }, { F_RAX, DEF_EFER & ~X86_EFER_LME } },
	  GP(0) },
	{ .name = "rdmsr EFER zero-extends EDX:EAX", B("\x0f\x32"),
	  .set = { { F_RCX, MSR_EFER } },
	  .expect = { { F_RAX, DEF_EFER }, { F_RDX, 0 } } },
	{ .name = "wrmsr STAR", B("\x0f\x30"),
	  .set = { { F_RCX, MSR_STAR }, { F_RDX, 0xffffffff00230010ull }, { F_RAX, 0x11 } },
	  .expect = { { F_STAR, 0x0023001000000011ull } } },
	{ .name = "wrmsr LSTAR (upper halves of RAX/RDX ignored)", B("\x0f\x30"),
	  .set = { { F_RCX, MSR_LSTAR }, { F_RDX, 0xaaaaaaaa00007f00ull },
		   { F_RAX, 0xbbbbbbbb00001000ull } },
	  .expect = { { F_LSTAR, 0x00007f0000001000ull } } },
	{ .name = "wrmsr LSTAR non-canonical is #GP(0)", B("\x0f\x30"),
	  .set = { { F_RCX, MSR_LSTAR }, { F_RDX, 0x00008000 }, { F_RAX, 0 } }, GP(0) },
	{ .name = "wrmsr CSTAR", B("\x0f\x30"),
	  .set = { { F_RCX, MSR_CSTAR }, { F_RDX, 0xffffffff }, { F_RAX, 0x80001000 } },
	  .expect = { { F_CSTAR, 0xffffffff80001000ull } } },
	{ .name = "wrmsr CSTAR non-canonical is #GP(0)", B("\x0f\x30"),
	  .set = { { F_RCX, MSR_CSTAR }, { F_RDX, 0x0000ffff }, { F_RAX, 0 } }, GP(0) },
	{ .name = "wrmsr SFMASK", B("\x0f\x30"),
	  .set = { { F_RCX, MSR_SFMASK }, { F_RDX, 0 }, { F_RAX, 0x700 } },
	  .expect = { { F_SFMASK, 0x700 } } },
	{ .name = "wrmsr SFMASK bits 63:32 are #GP(0)", B("\x0f\x30"),
	  .set = { { F_RCX, MSR_SFMASK }, { F_RDX, 1 }, { F_RAX, 0x700 } }, GP(0) },
	{ .name = "wrmsr FS_BASE", B("\x0f\x30"),
	  .set = { { F_RCX, MSR_FS_BASE }, { F_RDX, 0x7fff }, { F_RAX, 0xf7ff0000 } },
	  .expect = { { F_FS_BASE, 0x00007ffff7ff0000ull } } },
	{ .name = "wrmsr GS_BASE", B("\x0f\x30"),
	  .set = { { F_RCX, MSR_GS_BASE }, { F_RDX, 0 }, { F_RAX, 0x5000 } },
	  .expect = { { F_GS_BASE, 0x5000 } } },
	{ .name = "wrmsr KERNEL_GS_BASE", B("\x0f\x30"),
	  .set = { { F_RCX, MSR_KERNEL_GS_BASE }, { F_RDX, 0x6000 }, { F_RAX, 0 } },
	  .expect = { { F_KGS_BASE, 0x0000600000000000ull } } },
	{ .name = "wrmsr KERNEL_GS_BASE non-canonical is #GP(0)", B("\x0f\x30"),
	  .set = { { F_RCX, MSR_KERNEL_GS_BASE }, { F_RDX, 0x12345678 }, { F_RAX, 0 } }, GP(0) },
	{ .name = "wrmsr GS_BASE non-canonical is #GP(0)", B("\x0f\x30"),
	  .set = { { F_RCX, MSR_GS_BASE }, { F_RDX, 0x80000000 }, { F_RAX, 0 } }, GP(0) },
	{ .name = "rdmsr LSTAR splits into EDX:EAX", B("\x0f\x32"),
	  .set = { { F_RCX, 0xffffffff00000000ull | MSR_LSTAR }, { F_LSTAR, 0x00007f0012345678ull } },
	  .expect = { { F_RAX, 0x12345678 }, { F_RDX, 0x7f00 } } },
	{ .name = "rdmsr KERNEL_GS_BASE", B("\x0f\x32"),
	  .set = { { F_RCX, MSR_KERNEL_GS_BASE } },
	  .expect = { { F_RAX, 0x30000000 }, { F_RDX, 0 } } },
	{ .name = "rdmsr STAR", B("\x0f\x32"),
	  .set = { { F_RCX, MSR_STAR } },
	  .expect = { { F_RAX, (u32)DEF_STAR }, { F_RDX, DEF_STAR >> 32 } } },
	{ .name = "rdmsr TSC is host TSC + offset", B("\x0f\x32"),
	  .set = { { F_RCX, MSR_TSC }, { F_TSC_OFFSET, (u64)-0x100 } },
	  .expect = { { F_RAX, (u32)(HOST_TSC - 0x100) }, { F_RDX, (HOST_TSC - 0x100) >> 32 } } },
	{ .name = "wrmsr TSC sets the offset", B("\x0f\x30"),
	  .set = { { F_RCX, MSR_TSC }, { F_RDX, 0x12345678 }, { F_RAX, 0x9abcdef8 } },
	  .expect = { { F_TSC_OFFSET, 8 } } },
	{ .name = "rdmsr of an unknown MSR (APIC_BASE) is #GP(0)", B("\x0f\x32"),
	  .set = { { F_RCX, 0x1b } }, GP(0) },
	{ .name = "wrmsr of an unknown MSR is #GP(0)", B("\x0f\x30"),
	  .set = { { F_RCX, 0xc0000103 } }, GP(0) },
	{ .name = "rdmsr at cpl3 is #GP(0)", B("\x0f\x32"),
	  .set = { CPL3, { F_RCX, MSR_EFER } }, GP(0) },
	{ .name = "wrmsr at cpl3 is #GP(0)", B("\x0f\x30"),
	  .set = { CPL3, { F_RCX, MSR_LSTAR }, { F_RDX, 0 }, { F_RAX, 0 } }, GP(0) },

	/* ---- RDTSC, RDTSCP ---- */
	{ .name = "rdtsc", B("\x0f\x31"),
	  .set = { { F_TSC_OFFSET, 0x1000 } },
	  .expect = { { F_RAX, (u32)(HOST_TSC + 0x1000) }, { F_RDX, (HOST_TSC + 0x1000) >> 32 } } },
	{ .name = "rdtsc at cpl3 without CR4.TSD", B("\x0f\x31"),
	  .set = { CPL3 },
	  .expect = { { F_RAX, (u32)HOST_TSC }, { F_RDX, HOST_TSC >> 32 } } },
	{ .name = "rdtsc at cpl0 with CR4.TSD", B("\x0f\x31"),
	  .set = { { F_CR4, DEF_CR4 | MB(2) } },
	  .expect = { { F_RAX, (u32)HOST_TSC }, { F_RDX, HOST_TSC >> 32 } } },
	{ .name = "rdtsc at cpl3 with CR4.TSD is #GP(0)", B("\x0f\x31"),
	  .set = { CPL3, { F_CR4, DEF_CR4 | MB(2) } }, GP(0) },
	{ .name = "rdtscp sets ECX = TSC_AUX = 0", B("\x0f\x01\xf9"),
	  .set = { { F_TSC_OFFSET, (u64)-1 } },
	  .expect = { { F_RAX, (u32)(HOST_TSC - 1) }, { F_RDX, (HOST_TSC - 1) >> 32 },
		      { F_RCX, 0 } } },
	{ .name = "rdtscp at cpl3 with CR4.TSD is #GP(0)", B("\x0f\x01\xf9"),
	  .set = { CPL3, { F_CR4, DEF_CR4 | MB(2) } }, GP(0) },

	/* ---- SWAPGS ---- */
	{ .name = "swapgs", B("\x0f\x01\xf8"),
	  .expect = { { F_GS_BASE, 0x30000000 }, { F_KGS_BASE, 0x20000000 } } },
	{ .name = "swapgs at cpl3 is #GP(0)", B("\x0f\x01\xf8"), .set = { CPL3 }, GP(0) },

	/* ---- SYSRET ---- */
	{ .name = "sysretq to cpl3", B("\x48\x0f\x07"),
	  .set = { { F_RCX, 0x401000 }, { F_R11, ~0ull } },
	  .expect = { { F_RIP, 0x401000 }, { F_RFLAGS, 0x3C7FD7 }, { F_CPL, 3 },
		      { F_CS, 0x93 }, { F_SS, 0x8b } } },
	{ .name = "sysretq restores IF from r11", B("\x48\x0f\x07"),
	  .set = { { F_RCX, 0x7fffffffe000ull }, { F_R11, 0x246 } },
	  .expect = { { F_RIP, 0x7fffffffe000ull }, { F_RFLAGS, 0x246 }, { F_CPL, 3 },
		      { F_CS, 0x93 }, { F_SS, 0x8b } } },
	{ .name = "sysret (32-bit form) is not emulated", B("\x0f\x07"),
	  .set = { { F_RCX, 0x401000 } }, .result = EMU_UNHANDLEABLE },
	{ .name = "sysretq with EFER.SCE clear is #UD", B("\x48\x0f\x07"),
	  .set = { { F_EFER, DEF_EFER & ~X86_EFER_SCE }, { F_RCX, 0x401000 } }, UD },
	{ .name = "sysretq at cpl3 is #GP(0)", B("\x48\x0f\x07"),
	  .set = { CPL3, { F_RCX, 0x401000 } }, GP(0) },
	{ .name = "sysretq with non-canonical rcx is #GP(0)", B("\x48\x0f\x07"),
	  .set = { { F_RCX, 0x0000800000000000ull } }, GP(0) },

	/* ---- IRETQ ---- */
	{ .name = "iretq to cpl3 nulls kernel data selectors", B("\x48\xcf"),
	  .set = { { F_RSP, 0x8f00 }, { F_GS, 0x28 }, { F_FS, 0x8b } },
	  IRET_FRAME(0x401000, 0x93, ~0ull, 0x7ffff000, 0x8b),
	  .expect = { { F_RIP, 0x401000 }, { F_CS, 0x93 }, { F_SS, 0x8b },
		      { F_RSP, 0x7ffff000 }, { F_CPL, 3 },
		      { F_RFLAGS, IRET_LOADABLE_CPL0 | X86_RFLAGS_FIXED },
		      { F_DS, 0 }, { F_ES, 0 }, { F_GS, 0 } } },
	{ .name = "iretq to cpl0 with IF", B("\x48\xcf"),
	  .set = { { F_RSP, 0x8f00 } },
	  IRET_FRAME(0x4100, 0x08, 0x202, 0x8800, 0x10),
	  .expect = { { F_RIP, 0x4100 }, { F_RSP, 0x8800 }, { F_RFLAGS, 0x202 } } },
	{ .name = "iretq to cpl0 with a null SS", B("\x48\xcf"),
	  .set = { { F_RSP, 0x8f00 } },
	  IRET_FRAME(0x4100, 0x08, 0x2, 0x8800, 0),
	  .expect = { { F_RIP, 0x4100 }, { F_RSP, 0x8800 }, { F_SS, 0 } } },
	{ .name = "iretq from cpl3 keeps IOPL and IF (CPL > IOPL)", B("\x48\xcf"),
	  .set = { CPL3, { F_RSP, 0x8f00 }, { F_CS, 0x93 }, { F_SS, 0x8b } },
	  IRET_FRAME(0x402000, 0x93, 0x3202 | X86_RFLAGS_CF, 0x7fff0000, 0x8b),
	  .expect = { { F_RIP, 0x402000 }, { F_RSP, 0x7fff0000 },
		      { F_RFLAGS, 0x2 | X86_RFLAGS_CF } } },
	{ .name = "iretq never sets VM, VIF, VIP", B("\x48\xcf"),
	  .set = { { F_RSP, 0x8f00 } },
	  IRET_FRAME(0x4100, 0x08, X86_RFLAGS_VM | X86_RFLAGS_VIF | X86_RFLAGS_VIP, 0x8800, 0x10),
	  .expect = { { F_RIP, 0x4100 }, { F_RSP, 0x8800 }, { F_RFLAGS, 0x2 } } },
	{ .name = "iretq with NT set is #GP(0)", B("\x48\xcf"),
	  .set = { { F_RSP, 0x8f00 }, { F_RFLAGS, 0x2 | X86_RFLAGS_NT } },
	  IRET_FRAME(0x4100, 0x08, 0x2, 0x8800, 0x10), GP(0) },
	{ .name = "iretq from cpl3 to cpl0 is #GP(cs)", B("\x48\xcf"),
	  .set = { CPL3, { F_RSP, 0x8f00 } },
	  IRET_FRAME(0x4100, 0x08, 0x2, 0x8800, 0x10), GP(0x08) },
	{ .name = "iretq to RPL3 of a DPL0 code segment is #GP(cs)", B("\x48\xcf"),
	  .set = { { F_RSP, 0x8f00 } },
	  IRET_FRAME(0x4100, 0x0b, 0x2, 0x8800, 0x8b), GP(0x08) },
	{ .name = "iretq to a not-present code segment is #NP(cs)", B("\x48\xcf"),
	  .set = { { F_RSP, 0x8f00 } },
	  IRET_FRAME(0x4100, 0x70, 0x2, 0x8800, 0x10), EXC(X86_EXC_NP, 0x70) },
	{ .name = "iretq to 32-bit code is #GP(cs)", B("\x48\xcf"),
	  .set = { { F_RSP, 0x8f00 } },
	  IRET_FRAME(0x4100, 0x20, 0x2, 0x8800, 0x10), GP(0x20) },
	{ .name = "iretq to a data segment is #GP(cs)", B("\x48\xcf"),
	  .set = { { F_RSP, 0x8f00 } },
	  IRET_FRAME(0x4100, 0x10, 0x2, 0x8800, 0x10), GP(0x10) },
	{ .name = "iretq to cpl3 with a null SS is #GP(0)", B("\x48\xcf"),
	  .set = { { F_RSP, 0x8f00 } },
	  IRET_FRAME(0x401000, 0x93, 0x2, 0x7ffff000, 0x3), GP(0) },
	{ .name = "iretq to cpl3 with a DPL0 SS is #GP(ss)", B("\x48\xcf"),
	  .set = { { F_RSP, 0x8f00 } },
	  IRET_FRAME(0x401000, 0x93, 0x2, 0x7ffff000, 0x13), GP(0x10) },
	{ .name = "iretq to cpl3 with an RPL0 SS is #GP(ss)", B("\x48\xcf"),
	  .set = { { F_RSP, 0x8f00 } },
	  IRET_FRAME(0x401000, 0x93, 0x2, 0x7ffff000, 0x88), GP(0x88) },
	{ .name = "iretq to a non-canonical rip is #GP(0)", B("\x48\xcf"),
	  .set = { { F_RSP, 0x8f00 } },
	  IRET_FRAME(0x0000800000000000ull, 0x08, 0x2, 0x8800, 0x10), GP(0) },
	{ .name = "iretq with its frame on an absent page is #PF", B("\x48\xcf"),
	  .set = { { F_RSP, 0x6ff0 } }, .absent_lo = 0x7000, .absent_hi = 0x8000,
	  EXC(X86_EXC_PF, 0), .cr2 = 0x7000 },
	{ .name = "iretq at cpl3, frame absent: #PF with U", B("\x48\xcf"),
	  .set = { CPL3, { F_RSP, 0x7000 } }, .absent_lo = 0x7000, .absent_hi = 0x8000,
	  EXC(X86_EXC_PF, PFEC_U), .cr2 = 0x7000 },
	{ .name = "iretd (no REX.W) is not emulated", B("\xcf"),
	  .set = { { F_RSP, 0x8f00 } }, .result = EMU_UNHANDLEABLE },

	/* ---- INVLPG ---- */
	{ .name = "invlpg [rax]", B("\x0f\x01\x38"),
	  .set = { { F_RAX, 0x00007f0000401234ull } },
	  .invlpg = 1, .invlpg_la = 0x00007f0000401234ull },
	{ .name = "65 invlpg gs:[rax+8]", B("\x65\x0f\x01\x78\x08"),
	  .set = { { F_RAX, 0x1000 } }, .invlpg = 1, .invlpg_la = 0x20001008 },
	{ .name = "invlpg of an absent page touches no memory", B("\x0f\x01\x38"),
	  .set = { { F_RAX, 0x6000 } }, .absent_lo = 0x6000, .absent_hi = 0x7000,
	  .invlpg = 1, .invlpg_la = 0x6000 },
	{ .name = "invlpg of a non-canonical address is a nop", B("\x0f\x01\x38"),
	  .set = { { F_RAX, 0x0000800000000000ull } } },
	{ .name = "invlpg at cpl3 is #GP(0)", B("\x0f\x01\x38"),
	  .set = { CPL3, { F_RAX, 0x1000 } }, GP(0) },
	{ .name = "lock invlpg is #UD", B("\xf0\x0f\x01\x38"), UD },

	/* ---- CPUID, WBINVD, INVD ---- */
	{ .name = "cpuid uses EAX and ECX, zero-extends", B("\x0f\xa2"),
	  .set = { { F_RAX, 0xffffffff00000007ull }, { F_RCX, 0xffffffff00000001ull } },
	  .expect = { { F_RAX, 7u ^ 0xa5a5a5a5 }, { F_RBX, 1 + 0x100 }, { F_RCX, 7 + 1 },
		      { F_RDX, 0xfeedf00d } } },
	{ .name = "cpuid at cpl3", B("\x0f\xa2"),
	  .set = { CPL3, { F_RAX, 0x40000000 }, { F_RCX, 0 } },
	  .expect = { { F_RAX, 0x40000000u ^ 0xa5a5a5a5 }, { F_RBX, 0x100 },
		      { F_RCX, 0x40000000 }, { F_RDX, 0xfeedf00d } } },
	{ .name = "wbinvd", B("\x0f\x09") },
	{ .name = "wbinvd at cpl3 is #GP(0)", B("\x0f\x09"), .set = { CPL3 }, GP(0) },
	{ .name = "invd", B("\x0f\x08") },
	{ .name = "invd at cpl3 is #GP(0)", B("\x0f\x08"), .set = { CPL3 }, GP(0) },

	/* ---- INT n, INT3: soft, RIP past the instruction ---- */
	{ .name = "int 0x80 is a soft exception", B("\xcd\x80"), SOFT(0x80) },
	{ .name = "int 0x0d has no error code", B("\xcd\x0d"), .set = { CPL3 }, SOFT(0x0d) },
	{ .name = "int3 is soft vector 3", B("\xcc"), .set = { CPL3 }, SOFT(X86_EXC_BP) },
	{ .name = "int3 ends an interrupt shadow", B("\xcc"),
	  .set = { { F_STI_SHADOW, 1 } }, .expect = { { F_STI_SHADOW, 0 } }, SOFT(X86_EXC_BP) },

	/* ---- Not emulated: no state changes ---- */
	{ .name = "nop is not emulated", B("\x90"),
	  .set = { { F_STI_SHADOW, 1 } }, .result = EMU_UNHANDLEABLE },
	{ .name = "add [rax], eax is not emulated", B("\x01\x00"),
	  .set = { { F_RAX, DATA } }, .result = EMU_UNHANDLEABLE },
	{ .name = "mov [rax], eax is not emulated", B("\x89\x00"),
	  .set = { { F_RAX, DATA } }, .result = EMU_UNHANDLEABLE },
	{ .name = "mov dr7, rax is not emulated", B("\x0f\x23\xf8"),
	  .result = EMU_UNHANDLEABLE },
	{ .name = "into (invalid in 64-bit mode) is not emulated", B("\xce"),
	  .result = EMU_UNHANDLEABLE },

	/* ---- Fetch at the edge of a mapping ---- */
	{ .name = "instruction ending at the last byte before an absent page",
	  B("\x0f\x01\xf8"), .set = { { F_RIP, 0x5ffd } },
	  .absent_lo = 0x6000, .absent_hi = 0x7000,
	  .expect = { { F_GS_BASE, 0x30000000 }, { F_KGS_BASE, 0x20000000 } } },
	{ .name = "instruction continuing on an absent page is #PF there",
	  B("\x0f\x01"), .set = { { F_RIP, 0x5ffe } },
	  .absent_lo = 0x6000, .absent_hi = 0x7000,
	  EXC(X86_EXC_PF, PFEC_I), .cr2 = 0x6000 },
	{ .name = "fetch from an absent page is #PF (I)", B(""),
	  .set = { { F_RIP, 0x6000 } }, .absent_lo = 0x6000, .absent_hi = 0x7000,
	  EXC(X86_EXC_PF, PFEC_I), .cr2 = 0x6000 },
	{ .name = "fetch from an absent page at cpl3 is #PF (U|I)", B(""),
	  .set = { CPL3, { F_RIP, 0x6000 } }, .absent_lo = 0x6000, .absent_hi = 0x7000,
	  EXC(X86_EXC_PF, PFEC_U | PFEC_I), .cr2 = 0x6000 },
};

/* ---- The row runner ---- */

static void put_le(u8 *mem, u64 la, unsigned len, u64 val)
{
	unsigned i;

	assert_true(la + len <= MEM_SIZE);
	for (i = 0; i < len; i++)
		mem[la + i] = (u8)(val >> (8 * i));
}

static void gdt_install(u8 *mem)
{
	unsigned i;

	for (i = 0; i < sizeof(gdt_image) / sizeof(gdt_image[0]); i++) {
		put_le(mem, GDT + gdt_image[i].sel, 8, gdt_image[i].lo);
		if (gdt_image[i].hi)
			put_le(mem, GDT + gdt_image[i].sel + 8, 8, gdt_image[i].hi);
	}
}

static bool kv_has(const struct kv *kv, unsigned n, enum field f)
{
	unsigned i;

	for (i = 0; i < n && kv[i].f != F_END; i++)
		if (kv[i].f == f)
			return true;
	return false;
}

static void emu_row_run(void **state)
{
	const struct emu_row *r = *state;
	struct fake *f = calloc(1, sizeof(*f));
	u8 *want_mem = malloc(MEM_SIZE);
	struct vcpu v, want;
	struct emu_ctxt c;
	enum emu_result rc;
	unsigned i;
	u64 got, exp;

	assert_non_null(f);
	assert_non_null(want_mem);
	vcpu_default(&v);
	for (i = 0; i < 10 && r->set[i].f != F_END; i++)
		field_set(&v, r->set[i].f, r->set[i].val);
	gdt_install(f->mem);
	for (i = 0; i < 6 && r->mem[i].len; i++)
		put_le(f->mem, r->mem[i].la, r->mem[i].len, r->mem[i].val);
	memcpy(f->mem + v.rip, r->bytes, r->len);
	f->absent_lo = r->absent_lo;
	f->absent_hi = r->absent_hi;
	f->script = r->pio;

	/* The expected state: the state before with the row's changes. */
	want = v;
	memcpy(want_mem, f->mem, MEM_SIZE);
	for (i = 0; i < 12 && r->expect[i].f != F_END; i++)
		field_set(&want, r->expect[i].f, r->expect[i].val);
	if ((r->result == EMU_OK || r->result == EMU_HALT || r->soft) &&
	    !kv_has(r->expect, 12, F_RIP))
		want.rip = v.rip + r->len;
	for (i = 0; i < 3 && r->mem_after[i].len; i++)
		put_le(want_mem, r->mem_after[i].la, r->mem_after[i].len, r->mem_after[i].val);

	memset(&c, 0, sizeof(c));
	c.vcpu = &v;
	c.ops = &fake_ops;
	c.opaque = f;
	rc = emu_step(&c);

	if (rc != r->result)
		fail_msg("%s: result %d, expected %d (exc vector %u errcode %#x)",
			 r->name, rc, r->result, c.exc.vector, c.exc.errcode);
	if (rc == EMU_EXCEPTION) {
		assert_int_equal(c.exc.vector, r->vec);
		assert_int_equal(c.exc.errcode, r->err);
		assert_int_equal(c.exc.soft, r->soft);
		assert_int_equal(c.exc.has_errcode, r->soft ? false : x86_has_errcode(r->vec));
		if (r->vec == X86_EXC_PF)
			assert_int_equal(c.exc.cr2, r->cr2);
	}
	if (rc == EMU_OK || rc == EMU_HALT) {
		assert_int_equal(c.insn_len, r->len);
		assert_memory_equal(c.insn, r->bytes, r->len);
		assert_string_not_equal(emu_mnemonic_name(c.mnemonic), "invalid");
	}
	for (i = F_RAX; i < F_COUNT; i++) {
		got = field_get(&v, i);
		exp = field_get(&want, i);
		if (got != exp)
			fail_msg("%s: %s = %#llx, expected %#llx", r->name, field_name[i],
				 (unsigned long long)got, (unsigned long long)exp);
	}
	for (i = 0; i < MEM_SIZE; i++)
		if (f->mem[i] != want_mem[i])
			fail_msg("%s: memory at %#x = %#x, expected %#x", r->name, i,
				 f->mem[i], want_mem[i]);
	for (i = 0; i < 4 && r->pio[i].dir != PIO_NONE; i++) {
		if (i >= f->npio)
			fail_msg("%s: port access %u missing", r->name, i);
		assert_int_equal(f->pio[i].dir, r->pio[i].dir);
		assert_int_equal(f->pio[i].port, r->pio[i].port);
		assert_int_equal(f->pio[i].size, r->pio[i].size);
		assert_int_equal(f->pio[i].val, r->pio[i].val);
	}
	if (f->npio != i)
		fail_msg("%s: %u port accesses, expected %u", r->name, f->npio, i);
	assert_int_equal(f->ninvlpg, r->invlpg);
	if (r->invlpg)
		assert_int_equal(f->invlpg_la, r->invlpg_la);
	assert_int_equal(f->ncrw, r->crw);
	if (r->crw) {
		assert_int_equal(f->crw_n, r->crw_n);
		assert_int_equal(f->crw_old, r->crw_old);
		assert_int_equal(f->crw_new, field_get(&want, r->crw_n == 8 ? F_TPR :
					   r->crw_n == 0 ? F_CR0 : r->crw_n == 2 ? F_CR2 :
					   r->crw_n == 3 ? F_CR3 : F_CR4));
	}
	free(want_mem);
	free(f);
}

/* ---- Other entry points ---- */

static struct fake *ctxt_init(struct emu_ctxt *c, struct vcpu *v, const char *bytes,
			      unsigned len)
{
	struct fake *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	vcpu_default(v);
	gdt_install(f->mem);
	memcpy(f->mem + v->rip, bytes, len);
	memset(c, 0, sizeof(*c));
	c->vcpu = v;
	c->ops = &fake_ops;
	c->opaque = f;
	return f;
}

/* SYSCALL from CPL 3: RCX/R11 saved, SFMASK applied, RF cleared, CS/SS
 * from STAR[47:32]. */
static void test_syscall(void **state)
{
	struct emu_ctxt c;
	struct vcpu v;
	struct fake *f = ctxt_init(&c, &v, "", 0);

	v.cpl = 3;
	v.seg[SEG_CS] = 0x93;
	v.seg[SEG_SS] = 0x8b;
	v.rip = 0x401002;
	v.rflags = 0x10246 | X86_RFLAGS_TF;        /* RF, IF, ZF, PF, TF */
	v.sfmask = X86_RFLAGS_IF | X86_RFLAGS_TF | X86_RFLAGS_DF;
	assert_int_equal(emu_syscall(&c), EMU_OK);
	assert_int_equal(v.gpr[R_RCX], 0x401002);
	assert_int_equal(v.gpr[R_R11], 0x10246 | X86_RFLAGS_TF);
	assert_int_equal(v.rip, 0x4800);
	assert_int_equal(v.rflags, 0x46);
	assert_int_equal(v.cpl, 0);
	assert_int_equal(v.seg[SEG_CS], 0x08);
	assert_int_equal(v.seg[SEG_SS], 0x10);
	assert_int_equal(v.gpr[R_RAX], GPR(R_RAX));
	free(f);
}

static void test_syscall_sce_clear(void **state)
{
	struct emu_ctxt c;
	struct vcpu v, before;
	struct fake *f = ctxt_init(&c, &v, "", 0);

	v.cpl = 3;
	v.efer &= ~X86_EFER_SCE;
	before = v;
	assert_int_equal(emu_syscall(&c), EMU_EXCEPTION);
	assert_int_equal(c.exc.vector, X86_EXC_UD);
	assert_false(c.exc.has_errcode);
	assert_memory_equal(&v, &before, sizeof(v));
	free(f);
}

static void check_access(const char *bytes, unsigned len, int want_rc, bool want_writes)
{
	struct emu_ctxt c;
	struct vcpu v;
	struct fake *f = ctxt_init(&c, &v, bytes, len);
	bool writes = !want_writes;

	if (len == 0) {
		f->absent_lo = CODE;
		f->absent_hi = CODE + 0x1000;
	}
	assert_int_equal(emu_decode_access(&c, &writes), want_rc);
	if (want_rc == 0)
		assert_int_equal(writes, want_writes);
	else
		assert_int_equal(c.exc.vector, X86_EXC_PF);
	assert_int_equal(v.rip, CODE);
	free(f);
}

static void test_decode_access(void **state)
{
	check_access("\x89\x07", 2, 0, true);            /* mov [rdi], eax */
	check_access("\x8b\x07", 2, 0, false);           /* mov eax, [rdi] */
	check_access("\x50", 1, 0, true);                /* push rax */
	check_access("\xe8\x00\x00\x00\x00", 5, 0, true);/* call: pushes */
	check_access("\x58", 1, 0, false);               /* pop rax: reads */
	check_access("\xf0\x0f\xb1\x0e", 4, 0, true);    /* lock cmpxchg [rsi], ecx */
	check_access("\x48\x8d\x04\x24", 4, 0, false);   /* lea: no access */
	check_access("\xf3\x48\xab", 3, 0, true);        /* rep stosq */
	check_access("", 0, -1, false);                  /* fetch faults */
}

static void test_disasm(void **state)
{
	char buf[96];

	assert_int_equal(emu_disasm((const u8 *)"\x0f\x22\xd8", 3, 0x1000, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "mov cr3, rax");
	assert_int_equal(emu_disasm((const u8 *)"\x66\xed\x90", 3, 0, buf, sizeof(buf)), 2);
	assert_string_equal(buf, "in ax, dx");
	assert_int_equal(emu_disasm((const u8 *)"\x0f\x01\x38", 3, 0, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "invlpg [rax]");
	assert_int_equal(emu_disasm((const u8 *)"\x0f\x01", 2, 0, buf, sizeof(buf)), 0);
	assert_int_equal(emu_disasm((const u8 *)"\xce", 1, 0, buf, sizeof(buf)), 0);
}

static void test_mnemonic_name(void **state)
{
	struct emu_ctxt c;
	struct vcpu v;
	struct fake *f = ctxt_init(&c, &v, "\xe6\x80", 2);

	assert_int_equal(emu_step(&c), EMU_OK);
	assert_string_equal(emu_mnemonic_name(c.mnemonic), "out");
	assert_string_equal(emu_mnemonic_name(-1), "invalid");
	assert_string_equal(emu_mnemonic_name(1 << 20), "invalid");
	free(f);
}

/* The interrupt shadow of STI covers exactly the next instruction. */
static void test_sti_shadow_sequence(void **state)
{
	struct emu_ctxt c;
	struct vcpu v;
	struct fake *f = ctxt_init(&c, &v, "\xfb\x0f\xa2\x0f\x09", 5);

	assert_int_equal(emu_step(&c), EMU_OK);          /* sti */
	assert_true(v.sti_shadow);
	assert_int_equal(emu_step(&c), EMU_OK);          /* cpuid: in the shadow */
	assert_false(v.sti_shadow);
	assert_int_equal(emu_step(&c), EMU_OK);          /* wbinvd */
	assert_false(v.sti_shadow);
	assert_int_equal(v.rip, CODE + 5);
	free(f);
}

/* A second LTR of the same selector faults: the first one set busy. */
static void test_ltr_twice(void **state)
{
	struct emu_ctxt c;
	struct vcpu v;
	struct fake *f = ctxt_init(&c, &v, "\x0f\x00\xd8\x0f\x00\xd8", 6);

	v.gpr[R_RAX] = 0x40;
	assert_int_equal(emu_step(&c), EMU_OK);
	assert_int_equal(emu_step(&c), EMU_EXCEPTION);
	assert_int_equal(c.exc.vector, X86_EXC_GP);
	assert_int_equal(c.exc.errcode, 0x40);
	assert_int_equal(v.rip, CODE + 3);
	free(f);
}

/* The virtual CPUID hides what the vCPU cannot honour. */
static void test_vcpu_cpuid(void **state)
{
	u32 out[4];
	char sig[13];

	vcpu_cpuid(0x40000000, 0, out);
	assert_int_equal(out[0], 0x40000000);
	memcpy(sig, &out[1], 12);
	sig[12] = '\0';
	assert_string_equal(sig, "TrapVisorTVM");
	vcpu_cpuid(0x40000001, 0, out);
	assert_int_equal(out[0] | out[1] | out[2] | out[3], 0);

	vcpu_cpuid(1, 0, out);
	assert_true(out[2] & (1u << 31));                /* hypervisor */
	assert_int_equal(out[2] & ((1u << 5) | (1u << 6) | (1u << 17)), 0); /* VMX SMX PCID */
	assert_int_equal(out[3] & (1u << 9), 0);         /* APIC */
	assert_true(out[3] & (1u << 0));                 /* FPU still there */

	vcpu_cpuid(7, 0, out);
	assert_int_equal(out[1] & ((1u << 7) | (1u << 10) | (1u << 20)), 0);  /* SMEP INVPCID SMAP */
	assert_int_equal(out[2] & ((1u << 2) | (1u << 3) | (1u << 16)), 0);  /* UMIP PKU LA57 */

	vcpu_cpuid(0x80000001, 0, out);
	assert_int_equal(out[2] & (1u << 2), 0);         /* SVM */
	assert_true(out[3] & (1u << 29));                /* long mode still there */

	vcpu_cpuid(0, 0, out);                           /* vendor passes through */
	assert_true(out[0] >= 7);
}

int main(void)
{
	static const struct CMUnitTest other[] = {
		cmocka_unit_test(test_syscall),
		cmocka_unit_test(test_syscall_sce_clear),
		cmocka_unit_test(test_decode_access),
		cmocka_unit_test(test_disasm),
		cmocka_unit_test(test_mnemonic_name),
		cmocka_unit_test(test_sti_shadow_sequence),
		cmocka_unit_test(test_ltr_twice),
		cmocka_unit_test(test_vcpu_cpuid),
	};
	size_t n = sizeof(emu_rows) / sizeof(emu_rows[0]), i;
	struct CMUnitTest *rows = calloc(n, sizeof(*rows));
	int failed;

	if (!rows)
		return 1;
	for (i = 0; i < n; i++) {
		rows[i].name = emu_rows[i].name;
		rows[i].test_func = emu_row_run;
		rows[i].initial_state = (void *)(uintptr_t)&emu_rows[i];
	}
	failed = _cmocka_run_group_tests("emu_step rows", rows, n, NULL, NULL);
	failed += cmocka_run_group_tests_name("emulator entry points", other, NULL, NULL);
	free(rows);
	return failed != 0;
}
