/*
 * tests/unit/test_emulate.c: the emulator (traps/emulate.c and its emu_*.c) and the
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
 * CPU would give; the whole buffer is compared after each row, so a stray
 * or partial write fails too.  Each row runs as its own cmocka test.
 *
 * The data instructions the shadow pager sends here (MOV, XCHG, CMPXCHG,
 * OR/AND/XOR/ADD/SUB/INC/DEC, BT*, STOS/MOVS) have rows with exact values,
 * and test_native_compare() also runs every form of them on the host CPU
 * and through the emulator from the same random state, comparing registers,
 * RFLAGS and memory: the evidence that the flags are right.
 *
 * Port I/O (IN, OUT, and INS/OUTS with and without REP) has rows that
 * assert the exact port traffic in order (.pio), with memory and registers:
 * INS reads the port before it stores, so a REP INS whose store faults
 * shows one port read more than the iterations it committed.  INS/OUTS
 * cannot run natively here (no I/O permission in host ring 3).
 *
 * The silent-fail instructions (PUSHF, POPF, SGDT, SIDT, SLDT, STR, SMSW,
 * LAR, LSL, VERR, VERW, MOV from Sreg, PUSH/POP FS/GS) and VMCALL have rows
 * at CPL 0 and 3; LAR/LSL/VERR/VERW also run natively against the host's
 * GDT in test_native_descriptors(), and test_classify() covers
 * emu_classify(), the scanner's view of an instruction.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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
	u64 ro_lo, ro_hi;     /* [lo, hi) is present but read-only: writes raise #PF(P|W) */
	const struct pio *script; /* expected traffic; IN values come from here */
	struct pio pio[8];    /* recorded traffic */
	unsigned npio;
	u64 invlpg_la;        /* last INVLPG address */
	unsigned ninvlpg;
	int crw_n;            /* last cr_written() */
	u64 crw_old, crw_new;
	unsigned ncrw;
	unsigned nwrite;      /* ops->write calls that succeeded */
	unsigned ncross;      /* ... of which crossed a 4 KiB boundary */
	unsigned nhc;         /* hypercalls made */
	u64 hc_nr, hc_args[5];/* the last one */
};

static struct fake *fake_of(struct emu_ctxt *c)
{
	return c->opaque;
}

/* #PF as the CPU reports it for an absent page: P=0, W for writes, U for
 * CPL-3 accesses that are not implicit supervisor ones, I for fetches; and
 * for a write (or a read with write intent, acc = EMU_WRITE) to a read-only
 * page: P=1, W. */
static int mem_check(struct emu_ctxt *c, u64 la, unsigned len, enum emu_access acc)
{
	struct fake *f = fake_of(c);
	unsigned i;

	for (i = 0; i < len; i++) {
		u64 a = la + i;
		bool write = acc == EMU_WRITE || acc == EMU_WRITE_SYS;
		bool ro = write && a >= f->ro_lo && a < f->ro_hi;

		if (a >= MEM_SIZE || (a >= f->absent_lo && a < f->absent_hi) || ro) {
			memset(&c->exc, 0, sizeof(c->exc));
			c->exc.vector = X86_EXC_PF;
			c->exc.has_errcode = true;
			c->exc.cr2 = a;
			if (ro)
				c->exc.errcode |= PFEC_P;
			if (write)
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
	struct fake *f = fake_of(c);

	if (mem_check(c, la, len, acc))
		return -1;
	memcpy(f->mem + la, buf, len);
	f->nwrite++;
	if ((la & 0xfff) + len > 0x1000)
		f->ncross++;
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

/* A hypercall returns 0x1000 + its number; number HC_FAULT fails with a
 * #PF at its first argument, as a hypercall given a bad pointer would. */
#define HC_FAULT 0xfa17

static int fake_hypercall(struct emu_ctxt *c, u64 nr, const u64 args[5], u64 *ret)
{
	struct fake *f = fake_of(c);

	f->nhc++;
	f->hc_nr = nr;
	memcpy(f->hc_args, args, sizeof(f->hc_args));
	if (nr == HC_FAULT) {
		memset(&c->exc, 0, sizeof(c->exc));
		c->exc.vector = X86_EXC_PF;
		c->exc.has_errcode = true;
		c->exc.cr2 = args[0];
		return -1;
	}
	*ret = 0x1000 + nr;
	return 0;
}

static const struct emu_ops fake_ops = {
	.read = fake_read, .write = fake_write,
	.pio_in = fake_pio_in, .pio_out = fake_pio_out,
	.invlpg = fake_invlpg, .cr_written = fake_cr_written,
	.host_tsc = fake_host_tsc, .cpuid = fake_cpuid,
	.hypercall = fake_hypercall,
};

/* ---- vCPU fields, by number, so that rows can name them ---- */

enum field {
	F_END, F_RAX, F_RCX, F_RDX, F_RBX, F_RSP, F_RBP, F_RSI, F_RDI,
	F_R8, F_R9, F_R10, F_R11, F_R12, F_R13, F_R14, F_R15,
	F_RIP, F_RFLAGS, F_CPL, F_ES, F_CS, F_SS, F_DS, F_FS, F_GS,
	F_CR0, F_CR2, F_CR3, F_CR4, F_TPR, F_EFER, F_DR0, F_DR3, F_DR6, F_DR7,
	F_GDTR_BASE, F_GDTR_LIMIT, F_IDTR_BASE, F_IDTR_LIMIT,
	F_TR, F_TR_BASE, F_TR_LIMIT, F_LDTR, F_FS_BASE, F_GS_BASE, F_KGS_BASE,
	F_STAR, F_LSTAR, F_CSTAR, F_SFMASK, F_TSC_OFFSET, F_HALTED, F_STI_SHADOW,
	F_NMI_PENDING, F_NMI_BLOCKED, F_LAST_VECTOR, F_LAST_ERRCODE, F_LAST_RIP, F_COUNT
};

static const char *const field_name[F_COUNT] = {
	"end", "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
	"rip", "rflags", "cpl", "es", "cs", "ss", "ds", "fs", "gs",
	"cr0", "cr2", "cr3", "cr4", "tpr", "efer", "dr0", "dr3", "dr6", "dr7",
	"gdtr.base", "gdtr.limit", "idtr.base", "idtr.limit",
	"tr", "tr_base", "tr_limit", "ldtr", "fs_base", "gs_base", "kernel_gs_base",
	"star", "lstar", "cstar", "sfmask", "tsc_offset", "halted", "sti_shadow",
	"nmi_pending", "nmi_blocked", "last_vector", "last_errcode", "last_rip",
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
	case F_DR0: return v->dr[0];
	case F_DR3: return v->dr[3];
	case F_DR6: return v->dr6;
	case F_DR7: return v->dr7;
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
	case F_NMI_PENDING: return v->nmi_pending;
	case F_NMI_BLOCKED: return v->nmi_blocked;
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
	case F_DR0: v->dr[0] = x; break;
	case F_DR3: v->dr[3] = x; break;
	case F_DR6: v->dr6 = x; break;
	case F_DR7: v->dr7 = x; break;
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
	case F_NMI_PENDING: v->nmi_pending = x; break;
	case F_NMI_BLOCKED: v->nmi_blocked = x; break;
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
	/* Beyond GDT_LIMIT, for LAR/LSL/VERR/VERW rows that raise the limit
	 * (BIG_GDT): one descriptor of each kind those instructions tell apart. */
	{ 0xa0, 0x00af9e000000ffffull, 0 },   /* conforming readable code, DPL 0 */
	{ 0xa8, 0x0051930000002345ull, 0 },   /* data, byte-granular limit 0x12345, AVL, D/B */
	{ 0xb0, 0x1234ec0000085678ull, 0 },   /* 64-bit call gate, DPL 3 (to 0x08:0x12345678) */
	{ 0xc0, 0x0000ee0000080000ull, 0 },   /* 64-bit interrupt gate, DPL 3 */
	{ 0xd0, 0x0000820000000fffull, 0 },   /* LDT, limit 0xfff, DPL 0 */
	{ 0xe0, 0x0000810000000067ull, 0 },   /* system type 1: reserved in IA-32e mode */
	{ 0xe8, 0x00cf73000000ffffull, 0 },   /* writable data, DPL 3, not present */
	{ 0xf0, 0x00aff8000000ffffull, 0 },   /* execute-only code, DPL 3 */
	{ 0xf8, 0x00cff1000000ffffull, 0 },   /* read-only data, DPL 3 */
	{ 0x100, 0x00af9c000000ffffull, 0 },  /* conforming execute-only code, DPL 0 */
	{ 0x108, 0x00cfd3000000ffffull, 0 },  /* writable data, DPL 2 */
};
#define GDT_LIMIT 0x9f
#define BIG_GDT { F_GDTR_LIMIT, 0x10f }

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
struct memblk { u64 la; unsigned len; u8 val, step; };   /* bytes val, val+step, ... */

struct emu_row {
	const char *name;
	const char *bytes;      /* the instruction */
	unsigned len;
	struct kv set[10];      /* state before, over vcpu_default() */
	struct memv mem[6];     /* memory before */
	struct memblk blk[2];   /* memory before, in blocks (under mem) */
	u64 absent_lo, absent_hi;
	u64 ro_lo, ro_hi;       /* read-only range */
	enum emu_result result;
	struct kv expect[12];   /* fields that change (RIP: see emu_row_run) */
	struct memv mem_after[5];
	struct memblk blk_after[2];
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
	int hc;                 /* 1: one hypercall(hc_nr, hc_args) expected */
	u64 hc_nr, hc_args[5];
	u8 noncanon;            /* EMU_UNHANDLEABLE: c.noncanonical_exc, 0 for -1 */
};

#define B(s)  .bytes = (s), .len = sizeof(s) - 1
#define EXC(v, e) .result = EMU_EXCEPTION, .vec = (v), .err = (e)
#define GP(e) EXC(X86_EXC_GP, e)
#define UD    EXC(X86_EXC_UD, 0)
#define SOFT(v) .result = EMU_EXCEPTION, .vec = (v), .soft = true
/* Not emulated; a #GP the host raised for it is exception v on a CPU. */
#define HOST_GP_IS(v) .result = EMU_UNHANDLEABLE, .noncanon = (v)
#define CPL3  { F_CPL, 3 }
#define LE2(x) (u8)(x), (u8)((x) >> 8)

#define MB(x) (1ull << (x))
#define PAT 0xaaaaaaaaaaaaaaaaull        /* memory the row does not expect to change */
#define RDI_DATA { F_RDI, DATA }
#define FL(x) { F_RFLAGS, (x) }
#define ABSENT .absent_lo = 0x6000, .absent_hi = 0x7000
#define RDONLY .ro_lo = 0x7000, .ro_hi = 0x8000
#define PF_AT(e, a) EXC(X86_EXC_PF, e), .cr2 = (a)
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

	/* ---- INS, OUTS ----
	 * One port access and one memory access per element, in that order
	 * for INS (port, then memory) and the other for OUTS; a fault commits
	 * the iterations done (RCX, RDI/RSI) and leaves RIP at the instruction. */
	{ .name = "insb: port dx, es:[rdi], rdi steps", B("\x6c"),
	  .set = { RDI_DATA, { F_RDX, 0xffffffffffff03f8ull } },
	  .pio = { { PIO_IN, 0x3f8, 1, 0x5a } },
	  .expect = { { F_RDI, DATA + 1 } }, .mem_after = { { DATA, 1, 0x5a } } },
	{ .name = "66 insw", B("\x66\x6d"),
	  .set = { RDI_DATA, { F_RDX, 0x1f0 } },
	  .pio = { { PIO_IN, 0x1f0, 2, 0xbeef } },
	  .expect = { { F_RDI, DATA + 2 } }, .mem_after = { { DATA, 2, 0xbeef } } },
	{ .name = "insd", B("\x6d"),
	  .set = { RDI_DATA, { F_RDX, 0xcfc } },
	  .pio = { { PIO_IN, 0xcfc, 4, 0xdeadbeef } },
	  .expect = { { F_RDI, DATA + 4 } }, .mem_after = { { DATA, 4, 0xdeadbeef } } },
	{ .name = "48 insd: REX.W leaves it at 4 bytes", B("\x48\x6d"),
	  .set = { RDI_DATA, { F_RDX, 0xcfc } },
	  .pio = { { PIO_IN, 0xcfc, 4, 0x12345678 } },
	  .expect = { { F_RDI, DATA + 4 } }, .mem_after = { { DATA, 4, 0x12345678 } } },
	{ .name = "rep insw of 3 words", B("\xf3\x66\x6d"),
	  .set = { RDI_DATA, { F_RCX, 3 }, { F_RDX, 0x1f0 } },
	  .pio = { { PIO_IN, 0x1f0, 2, 0x1111 }, { PIO_IN, 0x1f0, 2, 0x2222 },
		   { PIO_IN, 0x1f0, 2, 0x3333 } },
	  .expect = { { F_RDI, DATA + 6 }, { F_RCX, 0 } },
	  .mem_after = { { DATA, 6, 0x333322221111ull } } },
	{ .name = "rep insb with DF: rdi goes down", B("\xf3\x6c"),
	  .set = { { F_RDI, DATA + 2 }, { F_RCX, 3 }, { F_RDX, 0x60 }, FL(0x402) },
	  .pio = { { PIO_IN, 0x60, 1, 0x11 }, { PIO_IN, 0x60, 1, 0x22 },
		   { PIO_IN, 0x60, 1, 0x33 } },
	  .expect = { { F_RDI, DATA - 1 }, { F_RCX, 0 } },
	  .mem_after = { { DATA, 3, 0x112233 } } },
	{ .name = "rep insw with rcx = 0: no port access, RIP advances", B("\xf3\x66\x6d"),
	  .set = { RDI_DATA, { F_RCX, 0 }, { F_RDX, 0x1f0 } } },
	{ .name = "67 rep insb uses ECX, EDI and zero-extends them", B("\x67\xf3\x6c"),
	  .set = { { F_RDI, 0x1234567800000000ull | DATA }, { F_RCX, 0xffffffff00000002ull },
		   { F_RDX, 0x71 } },
	  .pio = { { PIO_IN, 0x71, 1, 0xa1 }, { PIO_IN, 0x71, 1, 0xb2 } },
	  .expect = { { F_RDI, DATA + 2 }, { F_RCX, 0 } },
	  .mem_after = { { DATA, 2, 0xb2a1 } } },
	{ .name = "67 rep insb with ECX = 0 leaves RCX and RDI whole", B("\x67\xf3\x6c"),
	  .set = { { F_RDI, 0x1234567800000000ull | DATA }, { F_RCX, 0xffffffff00000000ull } } },
	/* The port is read before the store: the 3rd word was read from the
	 * device and dropped when its store faulted; the restart reads again. */
	{ .name = "rep insw, 3rd word absent: #PF, 2 done, 3 port reads", B("\xf3\x66\x6d"),
	  .set = { { F_RDI, 0x5ffc }, { F_RCX, 5 }, { F_RDX, 0x1f0 } }, ABSENT,
	  .pio = { { PIO_IN, 0x1f0, 2, 0xa1a1 }, { PIO_IN, 0x1f0, 2, 0xb2b2 },
		   { PIO_IN, 0x1f0, 2, 0xc3c3 } },
	  .expect = { { F_RDI, 0x6000 }, { F_RCX, 3 } },
	  .mem_after = { { 0x5ffc, 4, 0xb2b2a1a1 } }, PF_AT(PFEC_W, 0x6000) },
	{ .name = "insd straddling into an absent page: nothing stored", B("\x6d"),
	  .set = { { F_RDI, 0x5ffe }, { F_RDX, 0xcfc } }, ABSENT,
	  .pio = { { PIO_IN, 0xcfc, 4, 0x44332211 } }, PF_AT(PFEC_W, 0x6000) },
	{ .name = "insb to a non-canonical rdi is #GP(0), no port access", B("\x6c"),
	  .set = { { F_RDI, 0x0000800000000000ull } }, GP(0) },
	{ .name = "insb at cpl3 with iopl0 is #GP(0), no port access", B("\x6c"),
	  .set = { CPL3, RDI_DATA }, GP(0) },
	{ .name = "rep insb at cpl3 with iopl0 is #GP(0) even with rcx = 0", B("\xf3\x6c"),
	  .set = { CPL3, RDI_DATA, { F_RCX, 0 } }, GP(0) },
	{ .name = "rep insb at cpl3 with iopl3 into a read-only page: #PF(P|W|U)", B("\xf3\x6c"),
	  .set = { CPL3, FL(0x3002), { F_RDI, 0x7000 }, { F_RCX, 2 }, { F_RDX, 0x60 } }, RDONLY,
	  .pio = { { PIO_IN, 0x60, 1, 0x99 } }, PF_AT(PFEC_P | PFEC_W | PFEC_U, 0x7000) },
	{ .name = "lock insb is #UD", B("\xf0\x6c"), .set = { RDI_DATA }, UD },
	{ .name = "outsb: ds:[rsi] to port dx, rsi steps", B("\x6e"),
	  .set = { { F_RSI, DATA }, { F_RDX, 0xffffffffffff03f8ull } },
	  .mem = { { DATA, 1, 0x5a } },
	  .pio = { { PIO_OUT, 0x3f8, 1, 0x5a } }, .expect = { { F_RSI, DATA + 1 } } },
	{ .name = "66 outsw", B("\x66\x6f"),
	  .set = { { F_RSI, DATA }, { F_RDX, 0x1f0 } }, .mem = { { DATA, 2, 0x1234 } },
	  .pio = { { PIO_OUT, 0x1f0, 2, 0x1234 } }, .expect = { { F_RSI, DATA + 2 } } },
	{ .name = "outsd", B("\x6f"),
	  .set = { { F_RSI, DATA }, { F_RDX, 0xcf8 } }, .mem = { { DATA, 4, 0x80001234 } },
	  .pio = { { PIO_OUT, 0xcf8, 4, 0x80001234 } }, .expect = { { F_RSI, DATA + 4 } } },
	{ .name = "rep outsw of 3 words", B("\xf3\x66\x6f"),
	  .set = { { F_RSI, DATA }, { F_RCX, 3 }, { F_RDX, 0x1f0 } },
	  .mem = { { DATA, 6, 0x333322221111ull } },
	  .pio = { { PIO_OUT, 0x1f0, 2, 0x1111 }, { PIO_OUT, 0x1f0, 2, 0x2222 },
		   { PIO_OUT, 0x1f0, 2, 0x3333 } },
	  .expect = { { F_RSI, DATA + 6 }, { F_RCX, 0 } } },
	{ .name = "64 rep outsb from fs:[rsi] (FS base)", B("\x64\xf3\x6e"),
	  .set = { { F_FS_BASE, DATA }, { F_RSI, 0x10 }, { F_RCX, 2 }, { F_RDX, 0x3f8 } },
	  .mem = { { DATA + 0x10, 2, 0x4241 } },
	  .pio = { { PIO_OUT, 0x3f8, 1, 0x41 }, { PIO_OUT, 0x3f8, 1, 0x42 } },
	  .expect = { { F_RSI, 0x12 }, { F_RCX, 0 } } },
	{ .name = "outsb whose source is absent: #PF, no port write", B("\x6e"),
	  .set = { { F_RSI, 0x6000 }, { F_RDX, 0x3f8 } }, ABSENT, PF_AT(0, 0x6000) },
	{ .name = "rep outsb, the source faults after 2: 2 port writes, 2 done", B("\xf3\x6e"),
	  .set = { { F_RSI, 0x5ffe }, { F_RCX, 4 }, { F_RDX, 0x3f8 } },
	  .mem = { { 0x5ffe, 2, 0x2211 } }, ABSENT,
	  .pio = { { PIO_OUT, 0x3f8, 1, 0x11 }, { PIO_OUT, 0x3f8, 1, 0x22 } },
	  .expect = { { F_RSI, 0x6000 }, { F_RCX, 2 } }, PF_AT(0, 0x6000) },
	{ .name = "outsb at cpl3 with iopl0 is #GP(0), no port access", B("\x6e"),
	  .set = { CPL3, { F_RSI, DATA } }, GP(0) },
	{ .name = "outsb at cpl3 with iopl3 is allowed", B("\x6e"),
	  .set = { CPL3, FL(0x3002), { F_RSI, DATA }, { F_RDX, 0x3f8 } },
	  .mem = { { DATA, 1, 0x43 } },
	  .pio = { { PIO_OUT, 0x3f8, 1, 0x43 } }, .expect = { { F_RSI, DATA + 1 } } },

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

	/* ---- MOV DRn: stored and read back, never armed ---- */
	{ .name = "mov dr0, rax stores a breakpoint address (0f 23 c0)", B("\x0f\x23\xc0"),
	  .set = { { F_RAX, 0x7f0000101234ull } }, .expect = { { F_DR0, 0x7f0000101234ull } } },
	{ .name = "mov rax, dr3 reads it back (0f 21 d8)", B("\x0f\x21\xd8"),
	  .set = { { F_DR3, 0x4000 } }, .expect = { { F_RAX, 0x4000 } } },
	{ .name = "mov dr6, rax keeps the fixed bits", B("\x0f\x23\xf0"),
	  .set = { { F_RAX, 0x400f } }, .expect = { { F_DR6, 0xffff4fff } } },
	{ .name = "mov dr7, rax: LE, GE and bit 10", B("\x0f\x23\xf8"),
	  .set = { { F_RAX, 0x300 } }, .expect = { { F_DR7, 0x700 } } },
	{ .name = "mov dr7 arming L0 is not emulated (no breakpoint would fire)",
	  B("\x0f\x23\xf8"), .set = { { F_RAX, 0x1 } }, .result = EMU_UNHANDLEABLE },
	{ .name = "mov dr7 with GD is not emulated", B("\x0f\x23\xf8"),
	  .set = { { F_RAX, 0x2000 } }, .result = EMU_UNHANDLEABLE },
	{ .name = "mov dr7 with bit 32 set is #GP(0)", B("\x0f\x23\xf8"),
	  .set = { { F_RAX, 1ull << 32 } }, GP(0) },
	{ .name = "mov rax, dr4 is dr6 with CR4.DE clear", B("\x0f\x21\xe0"),
	  .set = { { F_DR6, 0xffff0ff1 } }, .expect = { { F_RAX, 0xffff0ff1 } } },
	{ .name = "mov dr5, rax with CR4.DE set is #UD", B("\x0f\x23\xe8"),
	  .set = { { F_CR4, DEF_CR4 | (1ull << 3) } }, UD },
	{ .name = "mov rax, dr0 at cpl3 is #GP(0)", B("\x0f\x21\xc0"), .set = { CPL3 }, GP(0) },
	{ .name = "44 mov dr8, rax is #UD", B("\x44\x0f\x23\xc0"), UD },

	/* ---- LMSW: CR0 bits 3:0, PE sticks ---- */
	{ .name = "lmsw ax sets TS and MP (0f 01 f0)", B("\x0f\x01\xf0"),
	  .set = { { F_RAX, 0xffff000a } },
	  .expect = { { F_CR0, DEF_CR0 | X86_CR0_TS | X86_CR0_MP } },
	  .crw = 1, .crw_n = 0, .crw_old = DEF_CR0 },
	{ .name = "lmsw 0 clears MP, EM, TS but not PE", B("\x0f\x01\xf0"),
	  .set = { { F_RAX, 0 }, { F_CR0, DEF_CR0 | X86_CR0_TS | X86_CR0_EM } },
	  .expect = { { F_CR0, DEF_CR0 } },
	  .crw = 1, .crw_n = 0, .crw_old = DEF_CR0 | X86_CR0_TS | X86_CR0_EM },
	{ .name = "lmsw [rdi] reads a word", B("\x0f\x01\x37"),
	  .set = { { F_RDI, DATA } }, .mem = { { DATA, 2, 0x0008 } },
	  .expect = { { F_CR0, DEF_CR0 | X86_CR0_TS } },
	  .crw = 1, .crw_n = 0, .crw_old = DEF_CR0 },
	{ .name = "lmsw at cpl3 is #GP(0)", B("\x0f\x01\xf0"), .set = { CPL3 }, GP(0) },

	/* ---- Features the vCPU does not have: #UD at any CPL ---- */
	{ .name = "vmptrld [rax] is #UD (no VMX)", B("\x0f\xc7\x30"), UD },
	{ .name = "vmxoff is #UD", B("\x0f\x01\xc4"), UD },
	{ .name = "vmrun is #UD (no SVM)", B("\x0f\x01\xd8"), UD },
	{ .name = "stac is #UD (no SMAP)", B("\x0f\x01\xcb"), UD },
	{ .name = "xsaves [rax] is #UD", B("\x0f\xc7\x28"), UD },
	{ .name = "tlbsync is #UD", B("\x0f\x01\xff"), UD },
	{ .name = "invpcid rax, [rcx] is #UD", B("\x66\x0f\x38\x82\x01"), UD },
	{ .name = "monitor is #UD at cpl3 too", B("\x0f\x01\xc8"), .set = { CPL3 }, UD },
	{ .name = "encls is #UD (no SGX)", B("\x0f\x01\xcf"), UD },
	{ .name = "sysexit is #UD (64-bit mode, AMD)", B("\x0f\x35"), UD },
	{ .name = "sysenter is #UD at cpl3", B("\x0f\x34"), .set = { CPL3 }, UD },

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
	{ .name = "iretq ends NMI blocking; a waiting NMI stays pending", B("\x48\xcf"),
	  .set = { { F_RSP, 0x8f00 }, { F_NMI_BLOCKED, 1 }, { F_NMI_PENDING, 1 } },
	  IRET_FRAME(0x4100, 0x08, 0x2, 0x8800, 0x10),
	  .expect = { { F_RIP, 0x4100 }, { F_RSP, 0x8800 }, { F_NMI_BLOCKED, 0 } } },
	{ .name = "iretq that faults keeps NMIs blocked", B("\x48\xcf"),
	  .set = { { F_RSP, 0x8f00 }, { F_NMI_BLOCKED, 1 } },
	  IRET_FRAME(0x4100, 0x70, 0x2, 0x8800, 0x10), EXC(X86_EXC_NP, 0x70) },
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
	{ .name = "iretq to RPL1 of conforming code is #GP(cs): no rings 1, 2", B("\x48\xcf"),
	  .set = { BIG_GDT, { F_RSP, 0x8f00 } },
	  IRET_FRAME(0x4100, 0xa1, 0x2, 0x8800, 0x11), GP(0xa0) },
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

	/* ---- Data instructions (page-table writers): MOV ----
	 * Memory operands are mostly [rdi] = DATA, pre-filled with PAT so that
	 * a write of the wrong width shows. */
	{ .name = "mov [rdi], ecx writes 4 bytes", B("\x89\x0f"),
	  .set = { RDI_DATA, { F_RCX, 0x1122334455667788ull } }, .mem = { { DATA, 8, PAT } },
	  .mem_after = { { DATA, 4, 0x55667788 } } },
	{ .name = "mov [rdi], cl (88)", B("\x88\x0f"),
	  .set = { RDI_DATA, { F_RCX, 0x1122334455667788ull } }, .mem = { { DATA, 8, PAT } },
	  .mem_after = { { DATA, 1, 0x88 } } },
	{ .name = "66 mov [rdi], cx", B("\x66\x89\x0f"),
	  .set = { RDI_DATA, { F_RCX, 0x1122334455667788ull } }, .mem = { { DATA, 8, PAT } },
	  .mem_after = { { DATA, 2, 0x7788 } } },
	{ .name = "48 mov [rdi], rcx", B("\x48\x89\x0f"),
	  .set = { RDI_DATA, { F_RCX, 0x1122334455667788ull } }, .mem = { { DATA, 8, PAT } },
	  .mem_after = { { DATA, 8, 0x1122334455667788ull } } },
	{ .name = "4d mov [r15], r8 (REX.WRB)", B("\x4d\x89\x07"),
	  .set = { { F_R15, DATA }, { F_R8, 0x0123456789abcdefull } },
	  .mem_after = { { DATA, 8, 0x0123456789abcdefull } } },
	{ .name = "mov byte [rdi], 0x80 (c6)", B("\xc6\x07\x80"),
	  .set = { RDI_DATA }, .mem = { { DATA, 8, PAT } }, .mem_after = { { DATA, 1, 0x80 } } },
	{ .name = "66 mov word [rdi], 0xbeef (c7)", B("\x66\xc7\x07\xef\xbe"),
	  .set = { RDI_DATA }, .mem = { { DATA, 8, PAT } }, .mem_after = { { DATA, 2, 0xbeef } } },
	{ .name = "mov dword [rdi], imm32 (c7)", B("\xc7\x07\xef\xcd\xab\x89"),
	  .set = { RDI_DATA }, .mem = { { DATA, 8, PAT } }, .mem_after = { { DATA, 4, 0x89abcdef } } },
	{ .name = "48 mov qword [rdi], imm32 is sign-extended", B("\x48\xc7\x07\x00\x00\x00\x80"),
	  .set = { RDI_DATA }, .mem = { { DATA, 8, PAT } },
	  .mem_after = { { DATA, 8, 0xffffffff80000000ull } } },
	{ .name = "mov [rip+disp32], eax is relative to the next instruction",
	  B("\x89\x05\x1a\xf0\xff\xff"),   /* 0x4006 - 0xfe6 = 0x3020 */
	  .mem_after = { { DATA + 0x20, 4, 0x01010101 } } },
	{ .name = "64 mov fs:[rax], edx adds fs_base", B("\x64\x89\x10"),
	  .set = { { F_FS_BASE, DATA }, { F_RAX, 0x40 } },
	  .mem_after = { { DATA + 0x40, 4, 0x03030303 } } },
	{ .name = "65 48 mov gs:[rax+rbx*8+0x10], rcx", B("\x65\x48\x89\x4c\xd8\x10"),
	  .set = { { F_GS_BASE, DATA }, { F_RAX, 0x100 }, { F_RBX, 2 } },
	  .mem_after = { { DATA + 0x120, 8, GPR(R_RCX) } } },
	{ .name = "67 mov [edi], ecx: the address wraps at 4 GiB", B("\x67\x89\x0f"),
	  .set = { { F_RDI, 0xffffffff00000000ull | DATA } },
	  .mem_after = { { DATA, 4, 0x02020202 } } },
	{ .name = "mov moffs64, eax (a3)", B("\xa3\x30\x30\x00\x00\x00\x00\x00\x00"),
	  .mem_after = { { DATA + 0x30, 4, 0x01010101 } } },
	{ .name = "48 mov moffs64, rax", B("\x48\xa3\x30\x30\x00\x00\x00\x00\x00\x00"),
	  .set = { { F_RAX, 0x8877665544332211ull } },
	  .mem_after = { { DATA + 0x30, 8, 0x8877665544332211ull } } },
	{ .name = "mov moffs64, al (a2)", B("\xa2\x30\x30\x00\x00\x00\x00\x00\x00"),
	  .mem = { { DATA + 0x30, 8, PAT } }, .mem_after = { { DATA + 0x30, 1, 0x01 } } },
	{ .name = "mov eax, moffs64 zero-extends (a1)", B("\xa1\x30\x30\x00\x00\x00\x00\x00\x00"),
	  .mem = { { DATA + 0x30, 8, 0x11111111deadbeefull } },
	  .expect = { { F_RAX, 0xdeadbeef } } },
	{ .name = "mov al, moffs64 merges (a0)", B("\xa0\x30\x30\x00\x00\x00\x00\x00\x00"),
	  .mem = { { DATA + 0x30, 1, 0x5a } }, .expect = { { F_RAX, 0x010101010101015aull } } },
	{ .name = "67 mov eax, moffs32", B("\x67\xa1\x30\x30\x00\x00"),
	  .mem = { { DATA + 0x30, 4, 0xcafef00d } }, .expect = { { F_RAX, 0xcafef00d } } },
	{ .name = "mov ecx, [rdi] zero-extends (8b)", B("\x8b\x0f"),
	  .set = { RDI_DATA }, .mem = { { DATA, 8, 0x8877665544332211ull } },
	  .expect = { { F_RCX, 0x44332211 } } },
	{ .name = "66 mov cx, [rdi] merges", B("\x66\x8b\x0f"),
	  .set = { RDI_DATA }, .mem = { { DATA, 8, 0x8877665544332211ull } },
	  .expect = { { F_RCX, 0x0202020202022211ull } } },
	{ .name = "48 mov rcx, [rdi]", B("\x48\x8b\x0f"),
	  .set = { RDI_DATA }, .mem = { { DATA, 8, 0x8877665544332211ull } },
	  .expect = { { F_RCX, 0x8877665544332211ull } } },
	{ .name = "mov ah, [rdi] (8a)", B("\x8a\x27"),
	  .set = { RDI_DATA }, .mem = { { DATA, 1, 0x11 } },
	  .expect = { { F_RAX, 0x0101010101011101ull } } },
	{ .name = "mov eax, imm32 zero-extends (b8)", B("\xb8\x78\x56\x34\x12"),
	  .expect = { { F_RAX, 0x12345678 } } },
	{ .name = "48 mov rax, imm64", B("\x48\xb8\x11\x22\x33\x44\x55\x66\x77\x88"),
	  .expect = { { F_RAX, 0x8877665544332211ull } } },
	{ .name = "mov [rdi], ecx at cpl3", B("\x89\x0f"),
	  .set = { CPL3, RDI_DATA }, .mem_after = { { DATA, 4, 0x02020202 } } },
	{ .name = "mov [rdi], ds stores the virtual selector (8c)", B("\x8c\x1f"),
	  .set = { RDI_DATA }, .mem = { { DATA, 8, PAT } }, .mem_after = { { DATA, 2, 0x10 } } },
	{ .name = "mov eax, ds zero-extends", B("\x8c\xd8"), .expect = { { F_RAX, 0x10 } } },
	{ .name = "66 mov ax, ss merges", B("\x66\x8c\xd0"),
	  .expect = { { F_RAX, 0x0101010101010010ull } } },
	{ .name = "movnti [rdi], ecx", B("\x0f\xc3\x0f"),
	  .set = { RDI_DATA }, .mem = { { DATA, 8, PAT } }, .mem_after = { { DATA, 4, 0x02020202 } } },
	{ .name = "mov [rdi], ecx on an absent page is #PF(W), nothing written", B("\x89\x0f"),
	  .set = { { F_RDI, 0x6000 } }, ABSENT, PF_AT(PFEC_W, 0x6000) },
	{ .name = "mov [rdi], ecx at cpl3 on an absent page is #PF(W|U)", B("\x89\x0f"),
	  .set = { CPL3, { F_RDI, 0x6000 } }, ABSENT, PF_AT(PFEC_W | PFEC_U, 0x6000) },
	{ .name = "48 mov [rdi] straddling into an absent page writes neither", B("\x48\x89\x0f"),
	  .set = { { F_RDI, 0x5ffc } }, .mem = { { 0x5ff8, 8, PAT } }, ABSENT,
	  PF_AT(PFEC_W, 0x6000) },
	{ .name = "mov [non-canonical], ecx is #GP(0)", B("\x89\x0f"),
	  .set = { { F_RDI, 0x0000800000000000ull } }, GP(0) },
	{ .name = "48 mov [rdi] ending non-canonical is #GP(0)", B("\x48\x89\x0f"),
	  .set = { { F_RDI, 0x00007ffffffffffcull } }, GP(0) },
	{ .name = "mov [rbp+0] non-canonical is #SS(0)", B("\x89\x4d\x00"),
	  .set = { { F_RBP, 0x0000800000000000ull } }, EXC(X86_EXC_SS, 0) },
	{ .name = "lock mov [rdi], ecx is #UD", B("\xf0\x89\x0f"), .set = { RDI_DATA }, UD },

	/* ---- XCHG ---- */
	{ .name = "xchg [rdi], ecx", B("\x87\x0f"),
	  .set = { RDI_DATA }, .mem = { { DATA, 8, 0xaaaaaaaa12345678ull } },
	  .expect = { { F_RCX, 0x12345678 } }, .mem_after = { { DATA, 4, 0x02020202 } } },
	{ .name = "lock xchg [rdi], ecx", B("\xf0\x87\x0f"),
	  .set = { RDI_DATA }, .mem = { { DATA, 8, 0xaaaaaaaa12345678ull } },
	  .expect = { { F_RCX, 0x12345678 } }, .mem_after = { { DATA, 4, 0x02020202 } } },
	{ .name = "xchg [rdi], cl (86)", B("\x86\x0f"),
	  .set = { RDI_DATA }, .mem = { { DATA, 8, 0xaaaaaaaa12345678ull } },
	  .expect = { { F_RCX, 0x0202020202020278ull } }, .mem_after = { { DATA, 1, 0x02 } } },
	{ .name = "66 xchg [rdi], cx", B("\x66\x87\x0f"),
	  .set = { RDI_DATA }, .mem = { { DATA, 8, 0xaaaaaaaa12345678ull } },
	  .expect = { { F_RCX, 0x0202020202025678ull } }, .mem_after = { { DATA, 2, 0x0202 } } },
	{ .name = "48 xchg [rdi], rcx", B("\x48\x87\x0f"),
	  .set = { RDI_DATA }, .mem = { { DATA, 8, 0xaaaaaaaa12345678ull } },
	  .expect = { { F_RCX, 0xaaaaaaaa12345678ull } }, .mem_after = { { DATA, 8, GPR(R_RCX) } } },
	{ .name = "xchg edx, ecx zero-extends both", B("\x87\xca"),
	  .expect = { { F_RCX, 0x03030303 }, { F_RDX, 0x02020202 } } },
	{ .name = "xchg eax, eax (87 c0) zero-extends", B("\x87\xc0"),
	  .expect = { { F_RAX, 0x01010101 } } },
	{ .name = "49 xchg r8, rax (90+r)", B("\x49\x90"),
	  .expect = { { F_RAX, GPR(R_R8) }, { F_R8, GPR(R_RAX) } } },
	{ .name = "xchg [rdi], ecx on an absent page is #PF(W), ecx kept", B("\x87\x0f"),
	  .set = { { F_RDI, 0x6000 } }, ABSENT, PF_AT(PFEC_W, 0x6000) },
	{ .name = "lock xchg edx, ecx is #UD", B("\xf0\x87\xca"), UD },

	/* ---- CMPXCHG, CMPXCHG8B, CMPXCHG16B ---- */
	{ .name = "cmpxchg [rdi], ecx equal: store, ZF, rax kept", B("\x0f\xb1\x0f"),
	  .set = { RDI_DATA, { F_RAX, 0xffffffff12345678ull } },
	  .mem = { { DATA, 8, 0xaaaaaaaa12345678ull } },
	  .expect = { FL(0x46) }, .mem_after = { { DATA, 4, 0x02020202 } } },
	{ .name = "lock cmpxchg [rdi], ecx differs: eax loaded, flags of the CMP",
	  B("\xf0\x0f\xb1\x0f"),
	  .set = { RDI_DATA }, .mem = { { DATA, 8, 0xaaaaaaaa12345678ull } },
	  .expect = { { F_RAX, 0x12345678 }, FL(0x93) } },   /* CF AF SF */
	{ .name = "cmpxchg [rdi], cl equal", B("\x0f\xb0\x0f"),
	  .set = { RDI_DATA }, .mem = { { DATA, 8, 0xaaaaaaaa12345601ull } },
	  .expect = { FL(0x46) }, .mem_after = { { DATA, 1, 0x02 } } },
	{ .name = "66 cmpxchg [rdi], cx differs: OF", B("\x66\x0f\xb1\x0f"),
	  .set = { RDI_DATA }, .mem = { { DATA, 8, 0xaaaaaaaa12348000ull } },
	  .expect = { { F_RAX, 0x0101010101018000ull }, FL(0x883) } },   /* CF SF OF */
	{ .name = "48 cmpxchg [rdi], rcx equal", B("\x48\x0f\xb1\x0f"),
	  .set = { RDI_DATA, { F_RAX, 0x8877665544332211ull } },
	  .mem = { { DATA, 8, 0x8877665544332211ull } },
	  .expect = { FL(0x46) }, .mem_after = { { DATA, 8, GPR(R_RCX) } } },
	{ .name = "cmpxchg edx, ecx differs: rdx untouched, eax loaded", B("\x0f\xb1\xca"),
	  .expect = { { F_RAX, 0x03030303 }, FL(0x93) } },
	{ .name = "cmpxchg edx, ecx equal: edx = ecx zero-extended, rax kept", B("\x0f\xb1\xca"),
	  .set = { { F_RDX, 0xffffffff01010101ull } },
	  .expect = { { F_RDX, 0x02020202 }, FL(0x46) } },
	{ .name = "cmpxchg [rdi], ecx on an absent page is #PF(W)", B("\x0f\xb1\x0f"),
	  .set = { { F_RDI, 0x6000 } }, ABSENT, PF_AT(PFEC_W, 0x6000) },
	{ .name = "lock cmpxchg edx, ecx is #UD", B("\xf0\x0f\xb1\xca"), UD },
	{ .name = "cmpxchg8b [rdi] equal: ecx:ebx stored, only ZF changes", B("\x0f\xc7\x0f"),
	  .set = { RDI_DATA, FL(0x83) }, .mem = { { DATA, 8, 0x0303030301010101ull } },
	  .expect = { FL(0xc3) }, .mem_after = { { DATA, 8, 0x0202020204040404ull } } },
	{ .name = "lock cmpxchg8b [rdi+4] differs: edx:eax loaded, zero-extended",
	  B("\xf0\x0f\xc7\x4f\x04"),
	  .set = { RDI_DATA, FL(0x43) }, .mem = { { DATA + 4, 8, 0x1122334455667788ull } },
	  .expect = { { F_RAX, 0x55667788 }, { F_RDX, 0x11223344 }, FL(0x03) } },
	{ .name = "cmpxchg16b [rdi] equal: rcx:rbx stored", B("\x48\x0f\xc7\x0f"),
	  .set = { RDI_DATA }, .mem = { { DATA, 8, GPR(R_RAX) }, { DATA + 8, 8, GPR(R_RDX) } },
	  .expect = { FL(0x42) },
	  .mem_after = { { DATA, 8, GPR(R_RBX) }, { DATA + 8, 8, GPR(R_RCX) } } },
	{ .name = "lock cmpxchg16b [rdi] differs: rdx:rax loaded", B("\xf0\x48\x0f\xc7\x0f"),
	  .set = { RDI_DATA, FL(0x42) },
	  .mem = { { DATA, 8, 0x1111111111111111ull }, { DATA + 8, 8, 0x2222222222222222ull } },
	  .expect = { { F_RAX, 0x1111111111111111ull }, { F_RDX, 0x2222222222222222ull },
		      FL(0x02) } },
	{ .name = "cmpxchg16b misaligned is #GP(0) before any access", B("\x48\x0f\xc7\x0f"),
	  .set = { { F_RDI, 0x6008 } }, ABSENT, GP(0) },
	{ .name = "cmpxchg16b on an absent page is #PF(W)", B("\x48\x0f\xc7\x0f"),
	  .set = { { F_RDI, 0x6010 } }, ABSENT, PF_AT(PFEC_W, 0x6010) },

	/* ---- OR, AND, XOR, ADD, SUB, INC, DEC ---- */
	{ .name = "or [rdi], ecx: SF, clears CF OF AF ZF", B("\x09\x0f"),
	  .set = { RDI_DATA, FL(0x853) }, .mem = { { DATA, 8, 0xaaaaaaaa80000000ull } },
	  .expect = { FL(0x82) }, .mem_after = { { DATA, 4, 0x82020202 } } },
	{ .name = "lock or [rdi], ecx", B("\xf0\x09\x0f"),
	  .set = { RDI_DATA, FL(0x853) }, .mem = { { DATA, 8, 0xaaaaaaaa80000000ull } },
	  .expect = { FL(0x82) }, .mem_after = { { DATA, 4, 0x82020202 } } },
	{ .name = "or byte [rdi], 1 (80 /1)", B("\x80\x0f\x01"),
	  .set = { RDI_DATA }, .mem = { { DATA, 8, PAT } },
	  .expect = { FL(0x82) }, .mem_after = { { DATA, 1, 0xab } } },
	{ .name = "lock 48 or qword [rdi], imm8 sign-extended (83 /1)", B("\xf0\x48\x83\x0f\x80"),
	  .set = { RDI_DATA }, .expect = { FL(0x82) },
	  .mem_after = { { DATA, 8, 0xffffffffffffff80ull } } },
	{ .name = "or dword [rdi+4], imm32 (81 /1) sets NX in a PTE",
	  B("\x81\x4f\x04\x00\x00\x00\x80"),
	  .set = { RDI_DATA }, .mem = { { DATA, 8, 0x0000000012345067ull } },
	  .expect = { FL(0x86) }, .mem_after = { { DATA, 8, 0x8000000012345067ull } } },
	{ .name = "and [rdi], ecx", B("\x21\x0f"),
	  .set = { RDI_DATA, FL(0x3) }, .mem = { { DATA, 4, 0x0f0f0f0f } },
	  .expect = { FL(0x2) }, .mem_after = { { DATA, 4, 0x02020202 } } },
	{ .name = "lock 48 and qword [rdi], -2 clears bit 0 (83 /4)", B("\xf0\x48\x83\x27\xfe"),
	  .set = { RDI_DATA }, .mem = { { DATA, 8, 0x8000000000000001ull } },
	  .expect = { FL(0x86) }, .mem_after = { { DATA, 8, 0x8000000000000000ull } } },
	{ .name = "and byte [rdi], 0: ZF PF", B("\x80\x27\x00"),
	  .set = { RDI_DATA }, .mem = { { DATA, 1, 0xff } },
	  .expect = { FL(0x46) }, .mem_after = { { DATA, 1, 0 } } },
	{ .name = "xor [rdi], ecx to zero", B("\x31\x0f"),
	  .set = { RDI_DATA }, .mem = { { DATA, 8, 0xaaaaaaaa02020202ull } },
	  .expect = { FL(0x46) }, .mem_after = { { DATA, 4, 0 } } },
	{ .name = "66 lock xor [rdi], cx", B("\x66\xf0\x31\x0f"),
	  .set = { RDI_DATA }, .mem = { { DATA, 8, PAT } },
	  .expect = { FL(0x82) }, .mem_after = { { DATA, 2, 0xa8a8 } } },
	{ .name = "or ecx, [rdi] zero-extends (0b)", B("\x0b\x0f"),
	  .set = { RDI_DATA }, .mem = { { DATA, 4, 0x100 } },
	  .expect = { { F_RCX, 0x02020302 }, FL(0x2) } },
	{ .name = "or al, 0x80 (0c)", B("\x0c\x80"),
	  .expect = { { F_RAX, 0x0101010101010181ull }, FL(0x86) } },
	{ .name = "48 or rax, imm32 sign-extended (0d)", B("\x48\x0d\x00\x00\x00\x80"),
	  .expect = { { F_RAX, 0xffffffff81010101ull }, FL(0x82) } },
	{ .name = "66 and ax, 0xff00 (25)", B("\x66\x25\x00\xff"),
	  .expect = { { F_RAX, 0x0101010101010100ull }, FL(0x6) } },
	{ .name = "or ah, cl", B("\x08\xcc"),
	  .expect = { { F_RAX, 0x0101010101010301ull }, FL(0x6) } },
	{ .name = "xor edx, edx zero-extends", B("\x31\xd2"),
	  .expect = { { F_RDX, 0 }, FL(0x46) } },
	{ .name = "lock or edx, ecx is #UD", B("\xf0\x09\xca"), UD },
	{ .name = "lock or [rdi], ecx on a read-only page is #PF(P|W)", B("\xf0\x09\x0f"),
	  .set = { { F_RDI, 0x7000 } }, RDONLY, PF_AT(PFEC_P | PFEC_W, 0x7000) },
	{ .name = "cmpxchg [rdi], ecx that fails still faults on a read-only page",
	  B("\x0f\xb1\x0f"),
	  .set = { { F_RDI, 0x7000 } }, .mem = { { 0x7000, 4, 0x12345678 } }, RDONLY,
	  PF_AT(PFEC_P | PFEC_W, 0x7000) },
	{ .name = "xchg [rdi], ecx on a read-only page at cpl3 is #PF(P|W|U)", B("\x87\x0f"),
	  .set = { CPL3, { F_RDI, 0x7000 } }, RDONLY, PF_AT(PFEC_P | PFEC_W | PFEC_U, 0x7000) },
	{ .name = "bt [rdi], ecx on a read-only page only reads", B("\x0f\xa3\x0f"),
	  .set = { { F_RDI, 0x7000 }, { F_RCX, 0 } }, .mem = { { 0x7000, 4, 1 } }, RDONLY,
	  .expect = { FL(0x3) } },
	{ .name = "rep stosb into a read-only page: #PF(P|W), the bytes before stay",
	  B("\xf3\xaa"),
	  .set = { { F_RDI, 0x6ff0 }, { F_RCX, 0x20 } }, RDONLY,
	  .expect = { { F_RDI, 0x7000 }, { F_RCX, 0x10 } },
	  .blk_after = { { 0x6ff0, 0x10, 0x01, 0 } }, PF_AT(PFEC_P | PFEC_W, 0x7000) },
	{ .name = "or [rdi], ecx on an absent page is #PF(W)", B("\x09\x0f"),
	  .set = { { F_RDI, 0x6000 } }, ABSENT, PF_AT(PFEC_W, 0x6000) },
	{ .name = "or [rdi], ecx at cpl3 on an absent page is #PF(W|U)", B("\x09\x0f"),
	  .set = { CPL3, { F_RDI, 0x6000 } }, ABSENT, PF_AT(PFEC_W | PFEC_U, 0x6000) },
	{ .name = "or ecx, [rdi] on an absent page is #PF (read)", B("\x0b\x0f"),
	  .set = { { F_RDI, 0x6000 } }, ABSENT, PF_AT(0, 0x6000) },
	{ .name = "add [rdi], ecx carries out: CF AF PF", B("\x01\x0f"),
	  .set = { RDI_DATA }, .mem = { { DATA, 4, 0xfefefefe } },
	  .expect = { FL(0x17) }, .mem_after = { { DATA, 4, 0x01010100 } } },
	{ .name = "lock 48 add qword [rdi], 1 overflows: OF SF AF PF", B("\xf0\x48\x83\x07\x01"),
	  .set = { RDI_DATA }, .mem = { { DATA, 8, 0x7fffffffffffffffull } },
	  .expect = { FL(0x896) }, .mem_after = { { DATA, 8, 0x8000000000000000ull } } },
	{ .name = "sub [rdi], ecx borrows: CF AF SF PF", B("\x29\x0f"),
	  .set = { RDI_DATA }, .mem = { { DATA, 4, 0x01010101 } },
	  .expect = { FL(0x97) }, .mem_after = { { DATA, 4, 0xfefefeff } } },
	{ .name = "sub al, 1 to zero (2c)", B("\x2c\x01"),
	  .expect = { { F_RAX, 0x0101010101010100ull }, FL(0x46) } },
	{ .name = "inc dword [rdi] overflows and keeps CF", B("\xff\x07"),
	  .set = { RDI_DATA, FL(0x3) }, .mem = { { DATA, 4, 0x7fffffff } },
	  .expect = { FL(0x897) }, .mem_after = { { DATA, 4, 0x80000000 } } },
	{ .name = "lock dec byte [rdi] to zero", B("\xf0\xfe\x0f"),
	  .set = { RDI_DATA }, .mem = { { DATA, 8, 0xaaaaaaaaaaaaaa01ull } },
	  .expect = { FL(0x46) }, .mem_after = { { DATA, 1, 0 } } },
	{ .name = "inc ecx zero-extends", B("\xff\xc1"),
	  .expect = { { F_RCX, 0x02020203 }, FL(0x6) } },

	/* ---- BT, BTS, BTR, BTC ---- */
	{ .name = "bt [rdi], ecx sets only CF", B("\x0f\xa3\x0f"),
	  .set = { RDI_DATA, { F_RCX, 5 }, FL(0x8d6) }, .mem = { { DATA, 4, 0x20 } },
	  .expect = { FL(0x8d7) } },
	{ .name = "bts [rdi], ecx with an offset beyond the operand", B("\x0f\xab\x0f"),
	  .set = { RDI_DATA, { F_RCX, 100 }, FL(0x3) },   /* dword DATA+12, bit 4 */
	  .expect = { FL(0x2) }, .mem_after = { { DATA + 12, 4, 0x10 } } },
	{ .name = "lock 48 bts [rdi], rcx with a negative offset", B("\xf0\x48\x0f\xab\x0f"),
	  .set = { RDI_DATA, { F_RCX, (u64)-65 } },        /* qword DATA-16, bit 63 */
	  .mem_after = { { DATA - 16, 8, 0x8000000000000000ull } } },
	{ .name = "66 btr [rdi], cx: 16-bit signed offset, RCX above ignored", B("\x66\x0f\xb3\x0f"),
	  .set = { RDI_DATA, { F_RCX, 0x123400000000fff0ull } },   /* word DATA-2, bit 0 */
	  .mem = { { DATA - 2, 2, 0xffff } },
	  .expect = { FL(0x3) }, .mem_after = { { DATA - 2, 2, 0xfffe } } },
	{ .name = "btc [rdi], ecx: 32-bit offset, RCX above ignored", B("\x0f\xbb\x0f"),
	  .set = { RDI_DATA, { F_RCX, 0xffffffff00000021ull } },   /* dword DATA+4, bit 1 */
	  .mem = { { DATA + 4, 4, 0x2 } },
	  .expect = { FL(0x3) }, .mem_after = { { DATA + 4, 4, 0 } } },
	{ .name = "bts dword [rdi], 0x45: imm8 modulo 32", B("\x0f\xba\x2f\x45"),
	  .set = { RDI_DATA }, .mem_after = { { DATA, 4, 0x20 } } },
	{ .name = "lock 48 btr qword [rdi], 63", B("\xf0\x48\x0f\xba\x37\x3f"),
	  .set = { RDI_DATA }, .mem = { { DATA, 8, 0x8000000000000001ull } },
	  .expect = { FL(0x3) }, .mem_after = { { DATA, 8, 1 } } },
	{ .name = "bts edx, ecx: register offset modulo 32, zero-extends", B("\x0f\xab\xca"),
	  .set = { { F_RCX, 35 } }, .expect = { { F_RDX, 0x0303030b } } },
	{ .name = "lock bt [rdi], ecx is #UD", B("\xf0\x0f\xa3\x0f"), UD },
	{ .name = "bts [rdi], ecx: the word it names is absent: #PF(W) there", B("\x0f\xab\x0f"),
	  .set = { { F_RDI, 0x5000 }, { F_RCX, 0x8000 } }, ABSENT, PF_AT(PFEC_W, 0x6000) },
	{ .name = "bt [rdi], ecx: the word it names is absent: #PF (read)", B("\x0f\xa3\x0f"),
	  .set = { { F_RDI, 0x5000 }, { F_RCX, 0x8000 } }, ABSENT, PF_AT(0, 0x6000) },

	/* ---- STOS, MOVS ---- */
	{ .name = "stosb", B("\xaa"),
	  .set = { RDI_DATA }, .expect = { { F_RDI, DATA + 1 } },
	  .mem_after = { { DATA, 1, 0x01 } } },
	{ .name = "66 stosw", B("\x66\xab"),
	  .set = { RDI_DATA }, .expect = { { F_RDI, DATA + 2 } },
	  .mem_after = { { DATA, 2, 0x0101 } } },
	{ .name = "stosd with DF: rdi goes down", B("\xab"),
	  .set = { RDI_DATA, FL(0x402) }, .expect = { { F_RDI, DATA - 4 } },
	  .mem_after = { { DATA, 4, 0x01010101 } } },
	{ .name = "48 stosq", B("\x48\xab"),
	  .set = { RDI_DATA }, .expect = { { F_RDI, DATA + 8 } },
	  .mem_after = { { DATA, 8, GPR(R_RAX) } } },
	{ .name = "rep stosq", B("\xf3\x48\xab"),
	  .set = { RDI_DATA, { F_RCX, 4 }, { F_RAX, 0x8000000000000067ull } },
	  .expect = { { F_RDI, DATA + 32 }, { F_RCX, 0 } },
	  .mem_after = { { DATA, 8, 0x8000000000000067ull }, { DATA + 8, 8, 0x8000000000000067ull },
			 { DATA + 16, 8, 0x8000000000000067ull },
			 { DATA + 24, 8, 0x8000000000000067ull } } },
	{ .name = "rep stosb with rcx = 0 does nothing", B("\xf3\xaa"),
	  .set = { RDI_DATA, { F_RCX, 0 } } },
	{ .name = "67 rep stosb uses ECX, EDI and zero-extends them", B("\x67\xf3\xaa"),
	  .set = { { F_RDI, 0x1234567800000000ull | DATA }, { F_RCX, 0xffffffff00000003ull } },
	  .expect = { { F_RDI, DATA + 3 }, { F_RCX, 0 } },
	  .blk_after = { { DATA, 3, 0x01, 0 } } },
	{ .name = "67 rep stosb with ECX = 0 leaves RCX and RDI whole", B("\x67\xf3\xaa"),
	  .set = { { F_RDI, 0x1234567800000000ull | DATA }, { F_RCX, 0xffffffff00000000ull } } },
	{ .name = "repne stosb acts as rep", B("\xf2\xaa"),
	  .set = { RDI_DATA, { F_RCX, 2 } }, .expect = { { F_RDI, DATA + 2 }, { F_RCX, 0 } },
	  .mem_after = { { DATA, 2, 0x0101 } } },
	{ .name = "rep stosb of 4096 bytes into an absent page: the first page is committed",
	  B("\xf3\xaa"),
	  .set = { { F_RDI, 0x5800 }, { F_RCX, 0x1000 } }, ABSENT,
	  .expect = { { F_RDI, 0x6000 }, { F_RCX, 0x800 } },
	  .blk_after = { { 0x5800, 0x800, 0x01, 0 } }, PF_AT(PFEC_W, 0x6000) },
	{ .name = "rep stosq with DF down into an absent page: #PF at the element", B("\xf3\x48\xab"),
	  .set = { { F_RDI, 0x7010 }, { F_RCX, 8 }, FL(0x402) }, ABSENT,
	  .expect = { { F_RDI, 0x6ff8 }, { F_RCX, 5 } },
	  .blk_after = { { 0x7000, 0x18, 0x01, 0 } }, PF_AT(PFEC_W, 0x6ff8) },
	{ .name = "rep stosb at cpl3, first byte absent: nothing changes", B("\xf3\xaa"),
	  .set = { CPL3, { F_RDI, 0x6000 }, { F_RCX, 0x10 } }, ABSENT,
	  PF_AT(PFEC_W | PFEC_U, 0x6000) },
	{ .name = "stosb to a non-canonical rdi is #GP(0)", B("\xaa"),
	  .set = { { F_RDI, 0x0000800000000000ull } }, GP(0) },
	{ .name = "lock stosb is #UD", B("\xf0\xaa"), .set = { RDI_DATA }, UD },
	{ .name = "movsb", B("\xa4"),
	  .set = { { F_RSI, DATA }, { F_RDI, DATA + 0x20 } }, .mem = { { DATA, 1, 0x5a } },
	  .expect = { { F_RSI, DATA + 1 }, { F_RDI, DATA + 0x21 } },
	  .mem_after = { { DATA + 0x20, 1, 0x5a } } },
	{ .name = "64 movsd from fs:[rsi]", B("\x64\xa5"),
	  .set = { { F_FS_BASE, DATA }, { F_RSI, 0x10 }, { F_RDI, DATA + 0x20 } },
	  .mem = { { DATA + 0x10, 4, 0xfeedface } },
	  .expect = { { F_RSI, 0x14 }, { F_RDI, DATA + 0x24 } },
	  .mem_after = { { DATA + 0x20, 4, 0xfeedface } } },
	{ .name = "rep movsq with DF: both go down", B("\xf3\x48\xa5"),
	  .set = { { F_RSI, DATA + 0x18 }, { F_RDI, DATA + 0x118 }, { F_RCX, 4 }, FL(0x402) },
	  .mem = { { DATA, 8, 0x1111111111111111ull }, { DATA + 8, 8, 0x2222222222222222ull },
		   { DATA + 16, 8, 0x3333333333333333ull }, { DATA + 24, 8, 0x4444444444444444ull } },
	  .expect = { { F_RSI, DATA - 8 }, { F_RDI, DATA + 0xf8 }, { F_RCX, 0 } },
	  .mem_after = { { DATA + 0x100, 8, 0x1111111111111111ull },
			 { DATA + 0x108, 8, 0x2222222222222222ull },
			 { DATA + 0x110, 8, 0x3333333333333333ull },
			 { DATA + 0x118, 8, 0x4444444444444444ull } } },
	{ .name = "rep movsb with rdi = rsi + 1 replicates a byte", B("\xf3\xa4"),
	  .set = { { F_RSI, DATA }, { F_RDI, DATA + 1 }, { F_RCX, 8 } },
	  .mem = { { DATA, 1, 0x77 } },
	  .expect = { { F_RSI, DATA + 8 }, { F_RDI, DATA + 9 }, { F_RCX, 0 } },
	  .blk_after = { { DATA, 9, 0x77, 0 } } },
	{ .name = "rep movsb of 0x1800 bytes across pages", B("\xf3\xa4"),
	  .set = { { F_RSI, 0x7400 }, { F_RDI, 0x5403 }, { F_RCX, 0x1800 } },
	  .blk = { { 0x7400, 0x1800, 0x10, 3 } },
	  .expect = { { F_RSI, 0x8c00 }, { F_RDI, 0x6c03 }, { F_RCX, 0 } },
	  .blk_after = { { 0x5403, 0x1800, 0x10, 3 } } },
	{ .name = "rep movsd: the source faults, done iterations stay", B("\xf3\xa5"),
	  .set = { { F_RSI, 0x5ff8 }, { F_RDI, DATA }, { F_RCX, 4 } },
	  .mem = { { 0x5ff8, 8, 0x1122334455667788ull } }, ABSENT,
	  .expect = { { F_RSI, 0x6000 }, { F_RDI, DATA + 8 }, { F_RCX, 2 } },
	  .mem_after = { { DATA, 8, 0x1122334455667788ull } }, PF_AT(0, 0x6000) },
	{ .name = "67 movsb wraps esi, edi", B("\x67\xa4"),
	  .set = { { F_RSI, 0xaaaaaaaa00000000ull | DATA },
		   { F_RDI, 0xbbbbbbbb00000000ull | (DATA + 8) } },
	  .mem = { { DATA, 1, 0x42 } },
	  .expect = { { F_RSI, DATA + 1 }, { F_RDI, DATA + 9 } },
	  .mem_after = { { DATA + 8, 1, 0x42 } } },
	{ .name = "movsd xmm0, xmm1 (SSE) is not emulated", B("\xf2\x0f\x10\xc1"),
	  .result = EMU_UNHANDLEABLE },

	/* ---- The silent-fail instructions (reached through a patched INT3) ---- */

	/* PUSHF: the virtual RFLAGS, VM and RF cleared in the image */
	{ .name = "pushfq pushes the virtual flags; VM, RF cleared in the image", B("\x9c"),
	  .set = { FL(0x277ed7) }, .mem = { { STK - 8, 8, PAT } },
	  .expect = { { F_RSP, STK - 8 } }, .mem_after = { { STK - 8, 8, 0x247ed7 } } },
	{ .name = "pushfq at cpl3 shows the virtual IF=0 and IOPL 0", B("\x9c"),
	  .set = { CPL3, FL(0x46) }, .mem = { { STK - 8, 8, PAT } },
	  .expect = { { F_RSP, STK - 8 } }, .mem_after = { { STK - 8, 8, 0x46 } } },
	{ .name = "48 pushfq (REX.W)", B("\x48\x9c"),
	  .set = { FL(0x3202) }, .mem = { { STK - 8, 8, PAT } },
	  .expect = { { F_RSP, STK - 8 } }, .mem_after = { { STK - 8, 8, 0x3202 } } },
	{ .name = "66 pushf pushes the low 16 bits", B("\x66\x9c"),
	  .set = { FL(0x277ed7) }, .mem = { { STK - 8, 8, PAT } },
	  .expect = { { F_RSP, STK - 2 } }, .mem_after = { { STK - 2, 2, 0x7ed7 } } },
	{ .name = "pushfq onto an absent stack page is #PF(W), rsp kept", B("\x9c"),
	  .set = { { F_RSP, 0x7000 } }, ABSENT, PF_AT(PFEC_W, 0x6ff8) },
	{ .name = "pushfq at cpl3 onto an absent stack page is #PF(W|U)", B("\x9c"),
	  .set = { CPL3, { F_RSP, 0x7000 } }, ABSENT, PF_AT(PFEC_W | PFEC_U, 0x6ff8) },
	{ .name = "pushfq with a non-canonical slot is #SS(0)", B("\x9c"),
	  .set = { { F_RSP, 0x0000800000000008ull } }, EXC(X86_EXC_SS, 0) },
	{ .name = "lock pushfq is #UD", B("\xf0\x9c"), UD },

	/* POPF: CPL 0 loads IF and IOPL; CPL > 0 keeps IOPL, IF only if CPL <= IOPL */
	{ .name = "popfq at cpl0 loads IF and IOPL, clears RF, keeps VIF VIP", B("\x9d"),
	  .set = { FL(0x190002) }, .mem = { { STK, 8, ~0ull } },
	  .expect = { FL(0x3c7fd7), { F_RSP, STK + 8 } } },
	{ .name = "popfq at cpl0 clears IF and IOPL", B("\x9d"),
	  .set = { FL(0x3202) }, .mem = { { STK, 8, 0 } },
	  .expect = { FL(0x2), { F_RSP, STK + 8 } } },
	{ .name = "48 popfq at cpl0 (REX.W)", B("\x48\x9d"),
	  .set = { FL(0x2) }, .mem = { { STK, 8, 0x1246 } },
	  .expect = { FL(0x1246), { F_RSP, STK + 8 } } },
	{ .name = "popfq at cpl3 with iopl0 leaves IF=1 alone (no #GP)", B("\x9d"),
	  .set = { CPL3, FL(0x202) }, .mem = { { STK, 8, 0x8d5 } },
	  .expect = { FL(0xad7), { F_RSP, STK + 8 } } },
	{ .name = "popfq at cpl3 with iopl0 cannot set IF or IOPL", B("\x9d"),
	  .set = { CPL3, FL(0x2) }, .mem = { { STK, 8, 0x3246 } },
	  .expect = { FL(0x46), { F_RSP, STK + 8 } } },
	{ .name = "popfq at cpl3 with iopl3 changes IF but not IOPL", B("\x9d"),
	  .set = { CPL3, FL(0x3202) }, .mem = { { STK, 8, 0x0002 } },
	  .expect = { FL(0x3002), { F_RSP, STK + 8 } } },
	{ .name = "66 popf loads bits 15:0 only: AC, ID kept, RF cleared", B("\x66\x9d"),
	  .set = { FL(0x250002) }, .mem = { { STK, 8, ~0ull } },
	  .expect = { FL(0x247fd7), { F_RSP, STK + 2 } } },
	{ .name = "66 popf at cpl3 with iopl0 keeps IF", B("\x66\x9d"),
	  .set = { CPL3, FL(0x202) }, .mem = { { STK, 8, 0 } },
	  .expect = { { F_RSP, STK + 2 } } },
	{ .name = "popfq setting IF opens no shadow and ends an STI shadow", B("\x9d"),
	  .set = { FL(0x2), { F_STI_SHADOW, 1 } }, .mem = { { STK, 8, 0x202 } },
	  .expect = { FL(0x202), { F_RSP, STK + 8 }, { F_STI_SHADOW, 0 } } },
	{ .name = "popfq from an absent stack page is #PF, nothing changes", B("\x9d"),
	  .set = { { F_RSP, 0x6000 }, FL(0x202) }, ABSENT, PF_AT(0, 0x6000) },
	{ .name = "popfq at cpl3 from an absent stack page is #PF(U)", B("\x9d"),
	  .set = { CPL3, { F_RSP, 0x6ffc } }, ABSENT, PF_AT(PFEC_U, 0x6ffc) },
	{ .name = "popfq with a non-canonical rsp is #SS(0)", B("\x9d"),
	  .set = { { F_RSP, 0x0000800000000000ull } }, EXC(X86_EXC_SS, 0) },

	/* PUSH FS/GS, POP FS/GS */
	{ .name = "push fs pushes the virtual selector zero-extended (0f a0)", B("\x0f\xa0"),
	  .set = { { F_FS, 0x28 } }, .mem = { { STK - 8, 8, PAT } },
	  .expect = { { F_RSP, STK - 8 } }, .mem_after = { { STK - 8, 8, 0x28 } } },
	{ .name = "66 push gs pushes 2 bytes", B("\x66\x0f\xa8"),
	  .set = { { F_GS, 0x8b } }, .mem = { { STK - 8, 8, PAT } },
	  .expect = { { F_RSP, STK - 2 } }, .mem_after = { { STK - 2, 2, 0x8b } } },
	{ .name = "push gs at cpl3 (0f a8)", B("\x0f\xa8"),
	  .set = { CPL3, { F_GS, 0x8b } }, .mem = { { STK - 8, 8, PAT } },
	  .expect = { { F_RSP, STK - 8 } }, .mem_after = { { STK - 8, 8, 0x8b } } },
	{ .name = "pop fs loads selector and base (0f a1)", B("\x0f\xa1"),
	  .mem = { { STK, 8, 0xffffffffffff0028ull } },
	  .expect = { { F_FS, 0x28 }, { F_FS_BASE, 0x12345678 }, { F_RSP, STK + 8 } } },
	{ .name = "66 pop fs pops 2 bytes", B("\x66\x0f\xa1"),
	  .mem = { { STK, 8, 0xffffffffffff0028ull } },
	  .expect = { { F_FS, 0x28 }, { F_FS_BASE, 0x12345678 }, { F_RSP, STK + 2 } } },
	{ .name = "pop gs of a null selector keeps gs_base (0f a9)", B("\x0f\xa9"),
	  .set = { { F_GS, 0x10 } }, .mem = { { STK, 8, 0 } },
	  .expect = { { F_GS, 0 }, { F_RSP, STK + 8 } } },
	{ .name = "pop fs of a not-present segment is #NP(sel), rsp kept", B("\x0f\xa1"),
	  .mem = { { STK, 8, 0x18 } }, EXC(X86_EXC_NP, 0x18) },
	{ .name = "pop fs at cpl3 of a DPL0 segment is #GP(sel)", B("\x0f\xa1"),
	  .set = { CPL3 }, .mem = { { STK, 8, 0x10 } }, GP(0x10) },

	/* MOV r/m, Sreg: the virtual selectors, not the host's RPL-3 ones */
	{ .name = "mov eax, cs reads the virtual CS at cpl0 (8c c8)", B("\x8c\xc8"),
	  .expect = { { F_RAX, 0x08 } } },
	{ .name = "mov eax, cs at cpl3 reads the virtual CS", B("\x8c\xc8"),
	  .set = { CPL3, { F_CS, 0x93 } }, .expect = { { F_RAX, 0x93 } } },
	{ .name = "mov eax, ss reads the virtual SS at cpl0 (8c d0)", B("\x8c\xd0"),
	  .expect = { { F_RAX, 0x10 } } },
	{ .name = "mov eax, ss at cpl3 reads the virtual SS", B("\x8c\xd0"),
	  .set = { CPL3, { F_SS, 0x8b } }, .expect = { { F_RAX, 0x8b } } },
	{ .name = "48 mov rax, ds zero-extends", B("\x48\x8c\xd8"),
	  .expect = { { F_RAX, 0x10 } } },
	{ .name = "48 mov [rdi], cs stores 16 bits whatever REX.W", B("\x48\x8c\x0f"),
	  .set = { RDI_DATA }, .mem = { { DATA, 8, PAT } }, .mem_after = { { DATA, 2, 0x08 } } },
	{ .name = "mov [rdi], fs at cpl3", B("\x8c\x27"),
	  .set = { CPL3, RDI_DATA, { F_FS, 0x8b } }, .mem = { { DATA, 8, PAT } },
	  .mem_after = { { DATA, 2, 0x8b } } },

	/* SGDT, SIDT: the virtual GDTR/IDTR, 10 bytes, any CPL */
	{ .name = "sgdt [rax] stores the virtual limit and base", B("\x0f\x01\x00"),
	  .set = { { F_RAX, DATA } }, .mem = { { DATA, 8, PAT }, { DATA + 8, 8, PAT } },
	  .mem_after = { { DATA, 2, GDT_LIMIT }, { DATA + 2, 8, GDT } } },
	{ .name = "sgdt with a high base", B("\x0f\x01\x00"),
	  .set = { { F_RAX, DATA }, { F_GDTR_BASE, 0x00007f00deadb000ull }, { F_GDTR_LIMIT, 0x1234 } },
	  .mem = { { DATA, 8, PAT }, { DATA + 8, 8, PAT } },
	  .mem_after = { { DATA, 2, 0x1234 }, { DATA + 2, 8, 0x00007f00deadb000ull } } },
	{ .name = "sidt [rdi+8] at cpl3 (no UMIP offered)", B("\x0f\x01\x4f\x08"),
	  .set = { CPL3, RDI_DATA }, .mem = { { DATA + 8, 8, PAT }, { DATA + 16, 8, PAT } },
	  .mem_after = { { DATA + 8, 2, 0xfff }, { DATA + 10, 8, 0x2000 } } },
	{ .name = "66 sgdt [rax]: 10 bytes whatever the operand size", B("\x66\x0f\x01\x00"),
	  .set = { { F_RAX, DATA } }, .mem = { { DATA, 8, PAT }, { DATA + 8, 8, PAT } },
	  .mem_after = { { DATA, 2, GDT_LIMIT }, { DATA + 2, 8, GDT } } },
	{ .name = "48 sidt [rax] (REX.W)", B("\x48\x0f\x01\x08"),
	  .set = { { F_RAX, DATA } }, .mem = { { DATA, 8, PAT }, { DATA + 8, 8, PAT } },
	  .mem_after = { { DATA, 2, 0xfff }, { DATA + 2, 8, 0x2000 } } },
	{ .name = "65 sgdt gs:[rax] adds gs_base", B("\x65\x0f\x01\x00"),
	  .set = { { F_RAX, 0x20 }, { F_GS_BASE, DATA } },
	  .mem_after = { { DATA + 0x20, 2, GDT_LIMIT }, { DATA + 0x22, 8, GDT } } },
	{ .name = "sgdt straddling into an absent page is #PF(W), nothing written",
	  B("\x0f\x01\x00"),
	  .set = { { F_RAX, 0x5ffc } }, .mem = { { 0x5ff8, 8, PAT } }, ABSENT,
	  PF_AT(PFEC_W, 0x6000) },
	{ .name = "sidt at cpl3 onto an absent page is #PF(W|U)", B("\x0f\x01\x08"),
	  .set = { CPL3, { F_RAX, 0x6000 } }, ABSENT, PF_AT(PFEC_W | PFEC_U, 0x6000) },
	{ .name = "sgdt [non-canonical] is #GP(0)", B("\x0f\x01\x00"),
	  .set = { { F_RAX, 0x00007ffffffffffaull } }, GP(0) },

	/* SLDT, STR, SMSW */
	{ .name = "sldt eax zero-extends (0f 00 c0)", B("\x0f\x00\xc0"),
	  .expect = { { F_RAX, 0 } } },
	{ .name = "66 sldt ax merges", B("\x66\x0f\x00\xc0"),
	  .set = { { F_LDTR, 0x50 } }, .expect = { { F_RAX, 0x0101010101010050ull } } },
	{ .name = "48 sldt rax", B("\x48\x0f\x00\xc0"),
	  .set = { { F_LDTR, 0x50 } }, .expect = { { F_RAX, 0x50 } } },
	{ .name = "sldt [rdi] stores 16 bits", B("\x0f\x00\x07"),
	  .set = { RDI_DATA, { F_LDTR, 0x50 } }, .mem = { { DATA, 8, PAT } },
	  .mem_after = { { DATA, 2, 0x50 } } },
	{ .name = "str eax reads the virtual TR (0f 00 c8)", B("\x0f\x00\xc8"),
	  .set = { { F_TR, 0x40 } }, .expect = { { F_RAX, 0x40 } } },
	{ .name = "66 str ax merges", B("\x66\x0f\x00\xc8"),
	  .set = { { F_TR, 0x40 } }, .expect = { { F_RAX, 0x0101010101010040ull } } },
	{ .name = "49 str r9 (REX.WB)", B("\x49\x0f\x00\xc9"),
	  .set = { { F_TR, 0x40 } }, .expect = { { F_R9, 0x40 } } },
	{ .name = "str [rdi] at cpl3", B("\x0f\x00\x0f"),
	  .set = { CPL3, RDI_DATA, { F_TR, 0x40 } }, .mem = { { DATA, 8, PAT } },
	  .mem_after = { { DATA, 2, 0x40 } } },
	{ .name = "str [rdi] onto an absent page is #PF(W)", B("\x0f\x00\x0f"),
	  .set = { { F_RDI, 0x6000 } }, ABSENT, PF_AT(PFEC_W, 0x6000) },
	{ .name = "smsw [rdi] stores CR0[15:0] (0f 01 27)", B("\x0f\x01\x27"),
	  .set = { RDI_DATA }, .mem = { { DATA, 8, PAT } },
	  .mem_after = { { DATA, 2, DEF_CR0 & 0xffff } } },
	{ .name = "smsw eax stores CR0[31:0] zero-extended", B("\x0f\x01\xe0"),
	  .expect = { { F_RAX, DEF_CR0 } } },
	{ .name = "66 smsw ax merges CR0[15:0]", B("\x66\x0f\x01\xe0"),
	  .expect = { { F_RAX, 0x0101010101010000ull | (DEF_CR0 & 0xffff) } } },
	{ .name = "48 smsw rax stores all of CR0", B("\x48\x0f\x01\xe0"),
	  .expect = { { F_RAX, DEF_CR0 } } },
	{ .name = "smsw ecx at cpl3 shows the virtual TS", B("\x0f\x01\xe1"),
	  .set = { CPL3, { F_CR0, DEF_CR0 | X86_CR0_TS } },
	  .expect = { { F_RCX, DEF_CR0 | X86_CR0_TS } } },

	/* LAR: access rights of the virtual GDT's descriptors, only ZF changes */
	{ .name = "lar eax, ecx: 64-bit kernel code (0f 02 c1)", B("\x0f\x02\xc1"),
	  .set = { { F_RCX, 0x08 } }, .expect = { { F_RAX, 0x00af9b00 }, FL(0x42) } },
	{ .name = "66 lar ax, cx: FF00H mask, merges", B("\x66\x0f\x02\xc1"),
	  .set = { { F_RCX, 0x10 } }, .expect = { { F_RAX, 0x0101010101019300ull }, FL(0x42) } },
	{ .name = "48 lar rax, rcx: selector is the low 16 bits", B("\x48\x0f\x02\xc1"),
	  .set = { { F_RCX, 0xffffffff00000010ull } },
	  .expect = { { F_RAX, 0x00cf9300 }, FL(0x42) } },
	{ .name = "lar eax, [rdi]: a 16-bit selector from memory", B("\x0f\x02\x07"),
	  .set = { RDI_DATA }, .mem = { { DATA, 8, 0xaaaaaaaaaaaa0028ull } },
	  .expect = { { F_RAX, 0x00cf9300 }, FL(0x42) } },
	{ .name = "lar keeps the other flags", B("\x0f\x02\xc1"),
	  .set = { { F_RCX, 0x08 }, FL(0x897) }, .expect = { { F_RAX, 0x00af9b00 }, FL(0x8d7) } },
	{ .name = "lar of a not-present segment: ZF, P=0 in the rights", B("\x0f\x02\xc1"),
	  .set = { { F_RCX, 0x18 } }, .expect = { { F_RAX, 0x00cf1300 }, FL(0x42) } },
	{ .name = "lar of an available 64-bit TSS", B("\x0f\x02\xc1"),
	  .set = { { F_RCX, 0x40 } }, .expect = { { F_RAX, 0x8900 }, FL(0x42) } },
	{ .name = "lar of a busy 64-bit TSS", B("\x0f\x02\xc1"),
	  .set = { { F_RCX, 0x50 } }, .expect = { { F_RAX, 0x8b00 }, FL(0x42) } },
	{ .name = "lar at cpl3 of a DPL3 call gate", B("\x0f\x02\xc1"),
	  .set = { CPL3, BIG_GDT, { F_RCX, 0xb3 } },
	  .expect = { { F_RAX, 0x0034ec00 }, FL(0x42) } },
	{ .name = "lar of an interrupt gate fails: ZF=0, rax kept", B("\x0f\x02\xc1"),
	  .set = { BIG_GDT, { F_RCX, 0xc0 }, FL(0x8d7) }, .expect = { FL(0x897) } },
	{ .name = "lar of an LDT descriptor fails in IA-32e mode", B("\x0f\x02\xc1"),
	  .set = { BIG_GDT, { F_RCX, 0xd0 }, FL(0x42) }, .expect = { FL(0x2) } },
	{ .name = "lar of a reserved system type fails", B("\x0f\x02\xc1"),
	  .set = { BIG_GDT, { F_RCX, 0xe0 }, FL(0x42) }, .expect = { FL(0x2) } },
	{ .name = "lar of the null selector fails", B("\x0f\x02\xc1"),
	  .set = { { F_RCX, 0x3 }, FL(0x42) }, .expect = { FL(0x2) } },
	{ .name = "lar of the null selector fails even if GDT[0] looks valid", B("\x0f\x02\xc1"),
	  .set = { { F_RCX, 0 }, FL(0x42) }, .mem = { { GDT, 8, 0x00cf93000000ffffull } },
	  .expect = { FL(0x2) } },
	{ .name = "verw of the null selector fails even if GDT[0] looks valid", B("\x0f\x00\xe8"),
	  .set = { { F_RAX, 0 }, FL(0x42) }, .mem = { { GDT, 8, 0x00cf93000000ffffull } },
	  .expect = { FL(0x2) } },
	{ .name = "lar beyond the GDT limit fails", B("\x0f\x02\xc1"),
	  .set = { { F_RCX, 0xa0 }, FL(0x42) }, .expect = { FL(0x2) } },
	{ .name = "lar with TI=1 fails (no LDT)", B("\x0f\x02\xc1"),
	  .set = { { F_RCX, 0x0c }, FL(0x42) }, .expect = { FL(0x2) } },
	{ .name = "lar at cpl3 of a DPL0 segment fails, rax[63:32] kept", B("\x0f\x02\xc1"),
	  .set = { CPL3, { F_RCX, 0x13 }, FL(0x42) }, .expect = { FL(0x2) } },
	{ .name = "lar at cpl0 with RPL3 of a DPL0 segment fails", B("\x0f\x02\xc1"),
	  .set = { { F_RCX, 0x13 }, FL(0x42) }, .expect = { FL(0x2) } },
	{ .name = "lar with RPL2 of a DPL2 segment", B("\x0f\x02\xc1"),
	  .set = { BIG_GDT, { F_RCX, 0x10a } }, .expect = { { F_RAX, 0x00cfd300 }, FL(0x42) } },
	{ .name = "lar with RPL3 of a DPL2 segment fails", B("\x0f\x02\xc1"),
	  .set = { BIG_GDT, { F_RCX, 0x10b }, FL(0x42) }, .expect = { FL(0x2) } },
	{ .name = "lar at cpl3 of a conforming DPL0 code segment", B("\x0f\x02\xc1"),
	  .set = { CPL3, BIG_GDT, { F_RCX, 0xa3 } },
	  .expect = { { F_RAX, 0x00af9e00 }, FL(0x42) } },
	{ .name = "lar at cpl3 of user data", B("\x0f\x02\xc1"),
	  .set = { CPL3, { F_RCX, 0x8b } }, .expect = { { F_RAX, 0x00cff300 }, FL(0x42) } },
	{ .name = "lar eax, [rdi] on an absent page is #PF", B("\x0f\x02\x07"),
	  .set = { { F_RDI, 0x6000 } }, ABSENT, PF_AT(0, 0x6000) },
	{ .name = "lar at cpl3, GDT page absent: #PF as a supervisor read", B("\x0f\x02\xc1"),
	  .set = { CPL3, { F_GDTR_BASE, 0x6000 }, { F_RCX, 0x13 } }, ABSENT, PF_AT(0, 0x6010) },

	/* LSL: the byte limit */
	{ .name = "lsl eax, ecx: page-granular limit scaled (0f 03 c1)", B("\x0f\x03\xc1"),
	  .set = { { F_RCX, 0x10 } }, .expect = { { F_RAX, 0xffffffff }, FL(0x42) } },
	{ .name = "lsl eax, ecx: byte-granular 20-bit limit", B("\x0f\x03\xc1"),
	  .set = { BIG_GDT, { F_RCX, 0xa8 } }, .expect = { { F_RAX, 0x12345 }, FL(0x42) } },
	{ .name = "66 lsl ax, cx: low 16 bits, merges", B("\x66\x0f\x03\xc1"),
	  .set = { BIG_GDT, { F_RCX, 0xa8 } },
	  .expect = { { F_RAX, 0x0101010101012345ull }, FL(0x42) } },
	{ .name = "48 lsl rax, [rdi]", B("\x48\x0f\x03\x07"),
	  .set = { RDI_DATA }, .mem = { { DATA, 8, 0xaaaaaaaaaaaa0010ull } },
	  .expect = { { F_RAX, 0xffffffff }, FL(0x42) } },
	{ .name = "lsl of a 64-bit TSS", B("\x0f\x03\xc1"),
	  .set = { { F_RCX, 0x40 } }, .expect = { { F_RAX, 0x67 }, FL(0x42) } },
	{ .name = "lsl of an LDT descriptor", B("\x0f\x03\xc1"),
	  .set = { BIG_GDT, { F_RCX, 0xd0 } }, .expect = { { F_RAX, 0xfff }, FL(0x42) } },
	{ .name = "lsl of a call gate fails", B("\x0f\x03\xc1"),
	  .set = { BIG_GDT, { F_RCX, 0xb0 }, FL(0x42) }, .expect = { FL(0x2) } },
	{ .name = "lsl at cpl3 of a DPL0 segment fails, rax kept", B("\x0f\x03\xc1"),
	  .set = { CPL3, { F_RCX, 0x10 }, FL(0x42) }, .expect = { FL(0x2) } },

	/* VERR, VERW */
	{ .name = "verr ax: readable code (0f 00 e0)", B("\x0f\x00\xe0"),
	  .set = { { F_RAX, 0x08 } }, .expect = { FL(0x42) } },
	{ .name = "verr: execute-only code fails", B("\x0f\x00\xe0"),
	  .set = { { F_RAX, 0x38 }, FL(0x42) }, .expect = { FL(0x2) } },
	{ .name = "verr: read-only data", B("\x0f\x00\xe0"),
	  .set = { { F_RAX, 0x30 } }, .expect = { FL(0x42) } },
	{ .name = "verr: a TSS (system) fails", B("\x0f\x00\xe0"),
	  .set = { { F_RAX, 0x40 }, FL(0x42) }, .expect = { FL(0x2) } },
	{ .name = "verr: null fails", B("\x0f\x00\xe0"),
	  .set = { { F_RAX, 0 }, FL(0x42) }, .expect = { FL(0x2) } },
	{ .name = "verr at cpl3: DPL0 data fails", B("\x0f\x00\xe0"),
	  .set = { CPL3, { F_RAX, 0x13 }, FL(0x42) }, .expect = { FL(0x2) } },
	{ .name = "verr at cpl3: conforming readable DPL0 code", B("\x0f\x00\xe0"),
	  .set = { CPL3, BIG_GDT, { F_RAX, 0xa3 } }, .expect = { FL(0x42) } },
	{ .name = "verr at cpl3: conforming execute-only code fails", B("\x0f\x00\xe0"),
	  .set = { CPL3, BIG_GDT, { F_RAX, 0x103 }, FL(0x42) }, .expect = { FL(0x2) } },
	{ .name = "verr [rdi] (0f 00 27)", B("\x0f\x00\x27"),
	  .set = { RDI_DATA }, .mem = { { DATA, 8, 0xaaaaaaaaaaaa0010ull } }, .expect = { FL(0x42) } },
	{ .name = "verw ax: writable data (0f 00 e8)", B("\x0f\x00\xe8"),
	  .set = { { F_RAX, 0x10 }, FL(0x897) }, .expect = { FL(0x8d7) } },
	{ .name = "verw: read-only data fails", B("\x0f\x00\xe8"),
	  .set = { { F_RAX, 0x30 }, FL(0x42) }, .expect = { FL(0x2) } },
	{ .name = "verw: code is never writable", B("\x0f\x00\xe8"),
	  .set = { { F_RAX, 0x08 }, FL(0x42) }, .expect = { FL(0x2) } },
	{ .name = "verw at cpl3: user data", B("\x0f\x00\xe8"),
	  .set = { CPL3, { F_RAX, 0x8b } }, .expect = { FL(0x42) } },
	{ .name = "verw at cpl3: not-present data still verifies", B("\x0f\x00\xe8"),
	  .set = { CPL3, BIG_GDT, { F_RAX, 0xeb } }, .expect = { FL(0x42) } },
	{ .name = "verw [rdi] at cpl3: read-only data fails (0f 00 2f)", B("\x0f\x00\x2f"),
	  .set = { CPL3, BIG_GDT, RDI_DATA, FL(0x42) }, .mem = { { DATA, 2, 0xfb } },
	  .expect = { FL(0x2) } },

	/* VMCALL, VMMCALL: hypercalls */
	{ .name = "vmcall at cpl0 is a hypercall: RAX nr, RDI RSI RDX R10 R8, RAX result",
	  B("\x0f\x01\xc1"), .set = { { F_RAX, 7 } }, .expect = { { F_RAX, 0x1007 } },
	  .hc = 1, .hc_nr = 7,
	  .hc_args = { GPR(R_RDI), GPR(R_RSI), GPR(R_RDX), GPR(R_R10), GPR(R_R8) } },
	{ .name = "vmmcall (AMD) is a hypercall too", B("\x0f\x01\xd9"),
	  .set = { { F_RAX, 0 }, { F_RDI, 1 }, { F_RSI, 2 }, { F_RDX, 3 }, { F_R10, 4 }, { F_R8, 5 } },
	  .expect = { { F_RAX, 0x1000 } }, .hc = 1, .hc_nr = 0, .hc_args = { 1, 2, 3, 4, 5 } },
	{ .name = "vmcall at cpl3 is #UD, no hypercall", B("\x0f\x01\xc1"),
	  .set = { CPL3, { F_RAX, 7 } }, UD },
	{ .name = "vmcall whose hypercall faults: its #PF, rax and rip kept", B("\x0f\x01\xc1"),
	  .set = { { F_RAX, HC_FAULT }, { F_RDI, 0x6000 } }, PF_AT(0, 0x6000),
	  .hc = 1, .hc_nr = HC_FAULT,
	  .hc_args = { 0x6000, GPR(R_RSI), GPR(R_RDX), GPR(R_R10), GPR(R_R8) } },

	/* ---- Not emulated: no state changes ---- */
	{ .name = "nop is not emulated", B("\x90"),
	  .set = { { F_STI_SHADOW, 1 } }, .result = EMU_UNHANDLEABLE },
	{ .name = "adc [rax], eax is not emulated", B("\x11\x00"),
	  .set = { { F_RAX, DATA } }, .result = EMU_UNHANDLEABLE },
	{ .name = "xadd [rax], eax is not emulated", B("\x0f\xc1\x00"),
	  .set = { { F_RAX, DATA } }, .result = EMU_UNHANDLEABLE },
	{ .name = "push qword [rax] is not emulated", B("\xff\x30"),
	  .set = { { F_RAX, DATA } }, .result = EMU_UNHANDLEABLE },
	{ .name = "into (invalid in 64-bit mode) is not emulated", B("\xce"),
	  .result = EMU_UNHANDLEABLE },

	/* ---- Non-canonical references: the MOVs emulated, the rest tells
	 * the VM what a host #GP is (#SS(0) through SS, SDM Vol. 1 3.3.7.1) ---- */
	{ .name = "mov rax, [rsp+8] non-canonical is #SS(0)", B("\x48\x8b\x44\x24\x08"),
	  .set = { { F_RSP, 0x00007ffffffffffcull } }, EXC(X86_EXC_SS, 0) },
	{ .name = "mov [rsp+0x10], rax non-canonical is #SS(0)", B("\x48\x89\x44\x24\x10"),
	  .set = { { F_RSP, 0x8000000000000000ull } }, EXC(X86_EXC_SS, 0) },
	{ .name = "mov rax, [rax] non-canonical is #GP(0)", B("\x48\x8b\x00"),
	  .set = { { F_RAX, 0x0000800000000000ull } }, GP(0) },
	{ .name = "push rax with a non-canonical rsp: a host #GP is #SS(0)", B("\x50"),
	  .set = { { F_RSP, 0x8000000000000000ull } }, HOST_GP_IS(X86_EXC_SS) },
	{ .name = "push rax with rsp at the upper half's start: its slot is #SS(0)", B("\x50"),
	  .set = { { F_RSP, 0xffff800000000000ull } }, HOST_GP_IS(X86_EXC_SS) },
	{ .name = "push rax with rsp just past the lower half: its slot is canonical", B("\x50"),
	  .set = { { F_RSP, 0x0000800000000000ull } }, HOST_GP_IS(0) },
	{ .name = "66 push ax: a 2-byte slot below a non-canonical rsp is #SS(0)", B("\x66\x50"),
	  .set = { { F_RSP, 0x0000800000000002ull } }, HOST_GP_IS(X86_EXC_SS) },
	{ .name = "pop rax with a non-canonical rsp: #SS(0)", B("\x58"),
	  .set = { { F_RSP, 0x0000800000000000ull } }, HOST_GP_IS(X86_EXC_SS) },
	{ .name = "call rel32 with a non-canonical rsp: #SS(0)", B("\xe8\x00\x00\x00\x00"),
	  .set = { { F_RSP, 0x8000000000000000ull } }, HOST_GP_IS(X86_EXC_SS) },
	{ .name = "ret with a non-canonical rsp: #SS(0)", B("\xc3"),
	  .set = { { F_RSP, 0x8000000000000000ull } }, HOST_GP_IS(X86_EXC_SS) },
	{ .name = "leave with a non-canonical rbp: #SS(0)", B("\xc9"),
	  .set = { { F_RBP, 0x0000800000000000ull } }, HOST_GP_IS(X86_EXC_SS) },
	{ .name = "cmp [rsp+8], rax non-canonical: #SS(0)", B("\x48\x39\x44\x24\x08"),
	  .set = { { F_RSP, 0x00007ffffffffffcull } }, HOST_GP_IS(X86_EXC_SS) },
	{ .name = "cmp [rax], rax non-canonical: #GP(0)", B("\x48\x39\x00"),
	  .set = { { F_RAX, 0x0000800000000000ull } }, HOST_GP_IS(X86_EXC_GP) },
	{ .name = "cmp fs:[rax], rax non-canonical by the fs base: #GP(0)", B("\x64\x48\x39\x00"),
	  .set = { { F_RAX, 0x2000 }, { F_FS_BASE, 0x00007ffffffff000ull } },
	  HOST_GP_IS(X86_EXC_GP) },
	{ .name = "push qword [rax] non-canonical reads it first: #GP(0)", B("\xff\x30"),
	  .set = { { F_RAX, 0x0000800000000000ull }, { F_RSP, 0x8000000000000000ull } },
	  HOST_GP_IS(X86_EXC_GP) },
	{ .name = "push qword [rax] with a non-canonical rsp: #SS(0)", B("\xff\x30"),
	  .set = { { F_RAX, DATA }, { F_RSP, 0x8000000000000000ull } }, HOST_GP_IS(X86_EXC_SS) },
	{ .name = "pop qword [rax] reads the stack first: #SS(0)", B("\x8f\x00"),
	  .set = { { F_RAX, 0x0000800000000000ull }, { F_RSP, 0x8000000000000000ull } },
	  HOST_GP_IS(X86_EXC_SS) },
	{ .name = "jmp [rip] with a non-canonical rsp references nothing non-canonical",
	  B("\xff\x25\x00\x00\x00\x00"), .set = { { F_RSP, 0x8000000000000000ull } },
	  HOST_GP_IS(0) },

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

static void put_blk(u8 *mem, const struct memblk *b)
{
	unsigned i;

	assert_true(b->la + b->len <= MEM_SIZE);
	for (i = 0; i < b->len; i++)
		mem[b->la + i] = (u8)(b->val + i * b->step);
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
	for (i = 0; i < 2 && r->blk[i].len; i++)
		put_blk(f->mem, &r->blk[i]);
	for (i = 0; i < 6 && r->mem[i].len; i++)
		put_le(f->mem, r->mem[i].la, r->mem[i].len, r->mem[i].val);
	memcpy(f->mem + v.rip, r->bytes, r->len);
	f->absent_lo = r->absent_lo;
	f->absent_hi = r->absent_hi;
	f->ro_lo = r->ro_lo;
	f->ro_hi = r->ro_hi;
	f->script = r->pio;

	/* The expected state: the state before with the row's changes. */
	want = v;
	memcpy(want_mem, f->mem, MEM_SIZE);
	for (i = 0; i < 12 && r->expect[i].f != F_END; i++)
		field_set(&want, r->expect[i].f, r->expect[i].val);
	if ((r->result == EMU_OK || r->result == EMU_HALT || r->soft) &&
	    !kv_has(r->expect, 12, F_RIP))
		want.rip = v.rip + r->len;
	for (i = 0; i < 2 && r->blk_after[i].len; i++)
		put_blk(want_mem, &r->blk_after[i]);
	for (i = 0; i < 5 && r->mem_after[i].len; i++)
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
	if (rc == EMU_UNHANDLEABLE)
		assert_int_equal(c.noncanonical_exc, r->noncanon ? r->noncanon : -1);
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
	assert_int_equal(f->nhc, r->hc);
	if (r->hc) {
		assert_int_equal(f->hc_nr, r->hc_nr);
		for (i = 0; i < 5; i++)
			assert_int_equal(f->hc_args[i], r->hc_args[i]);
	}
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
	check_access("\x89\x0f", 2, 0, true);            /* mov [rdi], ecx */
	check_access("\xa3\x30\x30\0\0\0\0\0\0", 9, 0, true); /* mov moffs, eax */
	check_access("\xa1\x30\x30\0\0\0\0\0\0", 9, 0, false);/* mov eax, moffs */
	check_access("\x87\x0f", 2, 0, true);            /* xchg [rdi], ecx */
	check_access("\x09\x0f", 2, 0, true);            /* or [rdi], ecx */
	check_access("\x0b\x0f", 2, 0, false);           /* or ecx, [rdi] */
	check_access("\xf0\x0f\xab\x0f", 4, 0, true);    /* lock bts [rdi], ecx */
	check_access("\x0f\xa3\x0f", 3, 0, false);       /* bt [rdi], ecx */
	check_access("\xf0\x48\x0f\xc7\x0f", 5, 0, true);/* lock cmpxchg16b [rdi] */
	check_access("\x0f\xc7\x0f", 3, 0, true);        /* cmpxchg8b [rdi] */
	check_access("\xf3\xa4", 2, 0, true);            /* rep movsb */
	check_access("\xf3\x66\x6d", 3, 0, true);        /* rep insw: writes es:[rdi] */
	check_access("\xf3\x6e", 2, 0, false);           /* rep outsb: reads */
	check_access("\xff\x07", 2, 0, true);            /* inc dword [rdi] */
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

/* A VM without hypercalls: VMCALL is #UD, as on a CPU without VMX, and
 * nothing changes. */
static void test_vmcall_without_callback(void **state)
{
	struct emu_ops ops = fake_ops;
	struct emu_ctxt c;
	struct vcpu v, before;
	struct fake *f = ctxt_init(&c, &v, "\x0f\x01\xc1", 3);

	ops.hypercall = NULL;
	c.ops = &ops;
	before = v;
	assert_int_equal(emu_step(&c), EMU_EXCEPTION);
	assert_int_equal(c.exc.vector, X86_EXC_UD);
	assert_false(c.exc.has_errcode);
	assert_memory_equal(&v, &before, sizeof(v));
	assert_int_equal(f->nhc, 0);
	free(f);
}

/* emu_classify(): length, name, silent-fail, control flow and target. */
static void test_classify(void **state)
{
	static const struct {
		const char *bytes;
		unsigned len;
		int rc;
		unsigned length;
		const char *name;
		bool silent;
		enum emu_flow flow;
		bool has_target;
		u64 target;              /* the instruction is at 0x401000 */
	} k[] = {
#define CL(b, nm, sf, fl) { b, sizeof(b) - 1, 0, sizeof(b) - 1, nm, sf, fl, false, 0 }
#define CT(b, nm, fl, t) { b, sizeof(b) - 1, 0, sizeof(b) - 1, nm, false, fl, true, t }
#define CBAD(b) { b, sizeof(b) - 1, -1, 0, "", false, EMU_FLOW_NEXT, false, 0 }
		/* the silent-fail instructions */
		CL("\x9c", "pushfq", true, EMU_FLOW_NEXT),
		CL("\x66\x9c", "pushf", true, EMU_FLOW_NEXT),
		CL("\x48\x9c", "pushfq", true, EMU_FLOW_NEXT),
		CL("\x9d", "popfq", true, EMU_FLOW_NEXT),
		CL("\x66\x9d", "popf", true, EMU_FLOW_NEXT),
		CL("\x0f\x01\x00", "sgdt", true, EMU_FLOW_NEXT),
		CL("\x0f\x01\x0f", "sidt", true, EMU_FLOW_NEXT),
		CL("\x0f\x01\x04\x25\x00\x10\x00\x00", "sgdt", true, EMU_FLOW_NEXT),
		CL("\x0f\x00\xc0", "sldt", true, EMU_FLOW_NEXT),
		CL("\x0f\x00\x0f", "str", true, EMU_FLOW_NEXT),
		CL("\x48\x0f\x01\xe0", "smsw", true, EMU_FLOW_NEXT),
		CL("\x0f\x02\xc1", "lar", true, EMU_FLOW_NEXT),
		CL("\x0f\x03\x07", "lsl", true, EMU_FLOW_NEXT),
		CL("\x0f\x00\xe0", "verr", true, EMU_FLOW_NEXT),
		CL("\x0f\x00\x2f", "verw", true, EMU_FLOW_NEXT),
		CL("\x8c\xc8", "mov from cs", true, EMU_FLOW_NEXT),
		CL("\x8c\xd0", "mov from ss", true, EMU_FLOW_NEXT),
		CL("\x66\x8c\xd8", "mov from ds", true, EMU_FLOW_NEXT),
		CL("\x48\x8c\x0f", "mov from cs", true, EMU_FLOW_NEXT),
		CL("\x0f\xa0", "push fs", true, EMU_FLOW_NEXT),
		CL("\x0f\xa8", "push gs", true, EMU_FLOW_NEXT),
		CL("\x0f\xa2", "cpuid", true, EMU_FLOW_NEXT),
		/* ... and some that are not */
		CL("\x8e\xd8", "mov to ds", false, EMU_FLOW_NEXT),
		CL("\x0f\xa1", "pop fs", false, EMU_FLOW_NEXT),
		CL("\x50", "push", false, EMU_FLOW_NEXT),
		CL("\xfa", "cli", false, EMU_FLOW_NEXT),
		CL("\x0f\x01\x10", "lgdt", false, EMU_FLOW_NEXT),
		CL("\x0f\x01\xc1", "vmcall", false, EMU_FLOW_NEXT),
		CL("\x0f\x22\xd8", "mov to cr3", false, EMU_FLOW_NEXT),
		CL("\x89\x0f", "mov", false, EMU_FLOW_NEXT),
		CL("\xcd\x80", "int", false, EMU_FLOW_NEXT),
		CL("\x0f\x05", "syscall", false, EMU_FLOW_NEXT),
		CL("\xf3\x0f\x1e\xfa", "endbr64", false, EMU_FLOW_NEXT),
		/* control transfers */
		CT("\xeb\x10", "jmp", EMU_FLOW_JUMP, 0x401012),
		CT("\xeb\xfe", "jmp", EMU_FLOW_JUMP, 0x401000),
		CT("\xe9\x00\x01\x00\x00", "jmp", EMU_FLOW_JUMP, 0x401105),
		CT("\xe9\xfb\xef\xff\xff", "jmp", EMU_FLOW_JUMP, 0x400000),
		CT("\x74\xf0", "jz", EMU_FLOW_BRANCH, 0x400ff2),
		CT("\x0f\x85\x10\x00\x00\x00", "jnz", EMU_FLOW_BRANCH, 0x401016),
		CT("\xe2\xfe", "loop", EMU_FLOW_BRANCH, 0x401000),
		CT("\xe3\x05", "jrcxz", EMU_FLOW_BRANCH, 0x401007),
		CT("\xc7\xf8\x00\x02\x00\x00", "xbegin", EMU_FLOW_BRANCH, 0x401206),
		CT("\xe8\x00\x00\x00\x00", "call", EMU_FLOW_CALL, 0x401005),
		CL("\xff\xd0", "call", false, EMU_FLOW_CALL),
		CL("\x41\xff\x14\x24", "call", false, EMU_FLOW_CALL),
		CL("\xff\x18", "call", false, EMU_FLOW_CALL),
		CL("\xff\xe0", "jmp", false, EMU_FLOW_END),
		CL("\x3e\xff\xe0", "jmp", false, EMU_FLOW_END),
		CL("\xff\x28", "jmp", false, EMU_FLOW_END),
		CL("\xc3", "ret", false, EMU_FLOW_END),
		CL("\xc2\x08\x00", "ret", false, EMU_FLOW_END),
		CL("\xcb", "ret", false, EMU_FLOW_END),
		CL("\x48\xcf", "iretq", false, EMU_FLOW_END),
		CL("\x48\x0f\x07", "sysret", false, EMU_FLOW_END),
		CL("\xcc", "int3", false, EMU_FLOW_END),
		CL("\x0f\x0b", "ud2", false, EMU_FLOW_END),
		CL("\x0f\xff\xc0", "ud0", false, EMU_FLOW_END),
		CL("\x0f\xb9\xc0", "ud1", false, EMU_FLOW_END),
		CL("\x0f\x34", "sysenter", false, EMU_FLOW_END),
		CL("\xf4", "hlt", false, EMU_FLOW_HALT),
		/* 66 on a near branch: vendor-dependent, so the path ends */
		CL("\x66\xeb\x00", "jmp", false, EMU_FLOW_END),
		CL("\x66\x74\x00", "jz", false, EMU_FLOW_END),
		/* not instructions in 64-bit mode, or cut short */
		CBAD("\x06"),                       /* push es */
		CBAD("\xf0\x9c"),                   /* lock pushfq */
		CBAD("\x8c\xf0"),                   /* mov eax, sreg 6 */
		CBAD("\x0f\x01"),
		CBAD(""),
#undef CL
#undef CT
#undef CBAD
	};
	struct emu_insn_info ii;
	unsigned i;

	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		int rc = emu_classify((const u8 *)k[i].bytes, k[i].len, 0x401000, &ii);

		if (rc != k[i].rc)
			fail_msg("row %u (%s): rc %d, expected %d", i, k[i].name, rc, k[i].rc);
		if (rc != 0)
			continue;
		if (ii.length != k[i].length || strcmp(ii.name, k[i].name) != 0 ||
		    ii.silent_fail != k[i].silent || ii.flow != k[i].flow ||
		    ii.has_target != k[i].has_target || ii.target != k[i].target)
			fail_msg("row %u (%s): length %u name '%s' silent %d flow %d target %d %#llx",
				 i, k[i].name, ii.length, ii.name, ii.silent_fail, ii.flow,
				 ii.has_target, (unsigned long long)ii.target);
	}
	/* A buffer longer than the instruction decodes only the instruction. */
	assert_int_equal(emu_classify((const u8 *)"\x9c\x9d\xc3", 3, 0, &ii), 0);
	assert_int_equal(ii.length, 1);
	assert_string_equal(ii.name, "pushfq");
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

/*
 * emu_desc_query, which LAR, LSL, VERR, VERW and the paravirtual
 * HC_DESC_QUERY share: its answers for descriptors of the test GDT (the
 * big one), at CPL 0 and 3 and with RPLs, and a fault when the GDT cannot
 * be read.
 */
static void test_desc_query(void **state)
{
	static const struct {
		enum emu_desc_query q;
		u16 sel;
		u8 cpl;
		int ok;
		u64 val;
	} rows[] = {
		{ EMU_DESC_LAR, 0x08, 0, 1, 0x00af9b00 },   /* kernel code */
		{ EMU_DESC_LAR, 0x40, 0, 1, 0x00008900 },   /* available 64-bit TSS */
		{ EMU_DESC_LAR, 0xb0, 3, 1, 0x0034ec00 },   /* DPL 3 call gate at CPL 3 */
		{ EMU_DESC_LAR, 0xc0, 0, 0, 0 },            /* interrupt gate */
		{ EMU_DESC_LAR, 0x08, 3, 0, 0 },            /* DPL 0 from CPL 3 */
		{ EMU_DESC_LAR, 0x0b, 0, 0, 0 },            /* RPL 3 > DPL 0 */
		{ EMU_DESC_LAR, 0xa3, 3, 1, 0x00af9e00 },   /* conforming: DPL ignored */
		{ EMU_DESC_LAR, 0x118, 0, 0, 0 },           /* beyond the limit */
		{ EMU_DESC_LAR, 0x00, 0, 0, 0 },            /* null */
		{ EMU_DESC_LSL, 0x08, 0, 1, 0xffffffff },   /* G=1: scaled */
		{ EMU_DESC_LSL, 0xa8, 0, 1, 0x12345 },      /* G=0: bytes */
		{ EMU_DESC_LSL, 0x40, 0, 1, 0x67 },         /* TSS */
		{ EMU_DESC_LSL, 0xd0, 0, 1, 0xfff },        /* LDT */
		{ EMU_DESC_LSL, 0xb0, 3, 0, 0 },            /* call gate: not for LSL */
		{ EMU_DESC_VERR, 0x10, 0, 1, 0 },           /* data */
		{ EMU_DESC_VERR, 0x38, 0, 0, 0 },           /* execute-only code */
		{ EMU_DESC_VERR, 0x88, 3, 1, 0 },           /* user data at CPL 3 */
		{ EMU_DESC_VERR, 0x10, 3, 0, 0 },           /* kernel data at CPL 3 */
		{ EMU_DESC_VERW, 0x10, 0, 1, 0 },           /* writable data */
		{ EMU_DESC_VERW, 0x30, 0, 0, 0 },           /* read-only data */
		{ EMU_DESC_VERW, 0x08, 0, 0, 0 },           /* code */
		{ EMU_DESC_VERW, 0x40, 0, 0, 0 },           /* TSS */
	};

	(void)state;
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct emu_ctxt c;
		struct vcpu v;
		struct fake *f = ctxt_init(&c, &v, "", 0);
		u64 val = 0xdead;

		v.gdtr.limit = 0x10f;
		v.cpl = rows[i].cpl;
		int ok = emu_desc_query(&c, rows[i].q, rows[i].sel, &val);
		if (ok != rows[i].ok || val != rows[i].val)
			fail_msg("row %u (query %d, sel %#x, cpl %u): %d %#llx, want %d %#llx", i,
				 rows[i].q, rows[i].sel, rows[i].cpl, ok, (unsigned long long)val,
				 rows[i].ok, (unsigned long long)rows[i].val);
		free(f);
	}

	struct emu_ctxt c;
	struct vcpu v;
	struct fake *f = ctxt_init(&c, &v, "", 0);
	u64 val;

	f->absent_lo = GDT;
	f->absent_hi = GDT + 0x1000;
	assert_int_equal(emu_desc_query(&c, EMU_DESC_LAR, 0x08, &val), -1);
	assert_int_equal(c.exc.vector, X86_EXC_PF);
	free(f);
}

/*
 * XSETBV: the host's own XCR0 is accepted (nothing else can be honoured,
 * as XSAVE and XGETBV run natively), a smaller valid one is not emulated
 * (with the reason), invalid ones are #GP(0), and CR4.OSXSAVE clear #UD.
 */
static void test_xsetbv(void **state)
{
	u64 host = host_xcr0();
	const struct { u64 xcr0, rcx, cr4; int cpl; enum emu_result want; u8 vec; } t[] = {
		{ host, 0, DEF_CR4 | X86_CR4_OSXSAVE, 0, EMU_OK, 0 },
		{ 1, 0, DEF_CR4 | X86_CR4_OSXSAVE, 0, host == 1 ? EMU_OK : EMU_UNHANDLEABLE, 0 },
		{ 0, 0, DEF_CR4 | X86_CR4_OSXSAVE, 0, EMU_EXCEPTION, X86_EXC_GP },   /* no x87 */
		{ 5, 0, DEF_CR4 | X86_CR4_OSXSAVE, 0, EMU_EXCEPTION, X86_EXC_GP },   /* AVX, no SSE */
		{ host | (1ull << 62), 0, DEF_CR4 | X86_CR4_OSXSAVE, 0, EMU_EXCEPTION, X86_EXC_GP },
		{ host, 1, DEF_CR4 | X86_CR4_OSXSAVE, 0, EMU_EXCEPTION, X86_EXC_GP },  /* ECX 1 */
		{ host, 0, DEF_CR4 | X86_CR4_OSXSAVE, 3, EMU_EXCEPTION, X86_EXC_GP },  /* CPL 3 */
		{ host, 0, DEF_CR4, 0, EMU_EXCEPTION, X86_EXC_UD },                   /* OSXSAVE 0 */
	};

	(void)state;
	if (!host)
		skip();                 /* a host without XSAVE */
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct emu_ctxt c;
		struct vcpu v;
		struct fake *f = ctxt_init(&c, &v, "\x0f\x01\xd1", 3);

		v.gpr[R_RAX] = (u32)t[i].xcr0;
		v.gpr[R_RDX] = t[i].xcr0 >> 32;
		v.gpr[R_RCX] = t[i].rcx;
		v.cr4 = t[i].cr4;
		v.cpl = (u8)t[i].cpl;
		enum emu_result r = emu_step(&c);
		if (r != t[i].want || (r == EMU_EXCEPTION && c.exc.vector != t[i].vec))
			fail_msg("row %u: result %d vector %u", i, r, c.exc.vector);
		if (r == EMU_UNHANDLEABLE)
			assert_non_null(c.why);
		if (r == EMU_OK)
			assert_int_equal(v.rip, CODE + 3);
		free(f);
	}
}

/* Port writes counted, not scripted: for test_rep_cut. */
static unsigned nouts;
static int count_pio_out(struct emu_ctxt *c, u16 port, unsigned size, u32 val)
{
	(void)c, (void)port, (void)size, (void)val;
	nouts++;
	return 0;
}

/*
 * A REP runs at most 16 KiB (STOS/MOVS) or 4096 elements (INS/OUTS) per
 * emu_step(): the rest waits for the next trap, RIP still at the
 * instruction, so a guest cannot hold the monitor inside one instruction.
 */
static void test_rep_cut(void **state)
{
	struct emu_ctxt c;
	struct vcpu v;
	struct fake *f = ctxt_init(&c, &v, "\xf3\xaa", 2);     /* rep stosb */
	struct emu_ops ops;

	(void)state;
	v.gpr[R_RDI] = 0xa000;                          /* above code and stack */
	v.gpr[R_RCX] = 0x5000;
	v.gpr[R_RAX] = 0x77;
	assert_int_equal(emu_step(&c), EMU_OK);
	assert_int_equal(v.rip, CODE);                  /* not done: stays */
	assert_int_equal(v.gpr[R_RCX], 0x1000);
	assert_int_equal(v.gpr[R_RDI], 0xa000 + 0x4000);
	assert_int_equal(emu_step(&c), EMU_OK);
	assert_int_equal(v.rip, CODE + 2);
	assert_int_equal(v.gpr[R_RCX], 0);
	assert_int_equal(f->mem[0xa000 + 0x4fff], 0x77);
	assert_int_equal(f->mem[0xa000 + 0x5000], 0);
	free(f);

	f = ctxt_init(&c, &v, "\xf3\x6e", 2);               /* rep outsb */
	ops = *c.ops;
	ops.pio_out = count_pio_out;
	c.ops = &ops;
	nouts = 0;
	v.gpr[R_RSI] = DATA;
	v.gpr[R_RCX] = 5000;
	assert_int_equal(emu_step(&c), EMU_OK);
	assert_int_equal(nouts, 4096);
	assert_int_equal(v.rip, CODE);
	assert_int_equal(v.gpr[R_RCX], 5000 - 4096);
	assert_int_equal(emu_step(&c), EMU_OK);
	assert_int_equal(nouts, 5000);
	assert_int_equal(v.rip, CODE + 2);
	free(f);
}

/*
 * A long REP goes to ops->write in chunks that never cross a 4 KiB page:
 * 0x2000 bytes from 0x5801 are three writes, [0x5801, 0x6000), one page,
 * [0x7000, 0x7801); MOVS chunks end at the pages of both sides.
 */
static void test_rep_chunks(void **state)
{
	struct emu_ctxt c;
	struct vcpu v;
	struct fake *f = ctxt_init(&c, &v, "\xf3\xaa\xf3\xa4", 4);
	unsigned i;

	v.gpr[R_RDI] = 0x5801;
	v.gpr[R_RCX] = 0x2000;
	v.gpr[R_RAX] = 0x5a;
	assert_int_equal(emu_step(&c), EMU_OK);
	assert_int_equal(f->nwrite, 3);
	assert_int_equal(f->ncross, 0);
	for (i = 0x5801; i < 0x7801; i++)
		assert_int_equal(f->mem[i], 0x5a);
	assert_int_equal(f->mem[0x5800], 0);
	assert_int_equal(f->mem[0x7801], 0);
	assert_int_equal(v.gpr[R_RDI], 0x7801);
	assert_int_equal(v.gpr[R_RCX], 0);

	/* rep movsb 0x1000 bytes from 0x5c00 to 0xa400: source pages split at
	 * 0x6000, destination at 0xb000, so 3 chunks. */
	f->nwrite = 0;
	v.gpr[R_RSI] = 0x5c00;
	v.gpr[R_RDI] = 0xa400;
	v.gpr[R_RCX] = 0x1000;
	assert_int_equal(emu_step(&c), EMU_OK);
	assert_int_equal(f->nwrite, 3);
	assert_int_equal(f->ncross, 0);
	assert_memory_equal(f->mem + 0xa400, f->mem + 0x5c00, 0x1000);
	assert_int_equal(v.rip, CODE + 4);
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

/* ---- The data instructions against the host CPU ----
 *
 * The best evidence that results and RFLAGS are right: run each data
 * instruction natively on a host buffer (native_exec() below loads every
 * register but RSP and RFLAGS, calls the bytes, saves them back) and
 * through emu_step() on the fake, from the same random registers, flags
 * and memory, and compare every register, the arithmetic flags and DF
 * (less those the SDM leaves undefined for the instruction) and the memory
 * window.  Memory operands are [rdi] (and [rsi] for MOVS): the pointer
 * registers point at NDATA in the fake and at the same offset of a 3-page
 * host buffer below 4 GiB (MAP_32BIT, so 67 forms address it too), and are
 * translated back before comparing.
 */
struct nregs {
	u64 gpr[16];          /* R_RAX .. R_R15; gpr[R_RSP] is not loaded */
	u64 rflags;
};

/* Defined in the assembly below: run the code at 'code' (which ends with a
 * RET) with the registers and flags of *r, and store them back. */
void native_exec(struct nregs *r, const void *code);

__asm__(
	".pushsection .text\n"
	".globl native_exec\n"
	".type native_exec, @function\n"
	"native_exec:\n"
	"	push %rbx\n push %rbp\n push %r12\n push %r13\n push %r14\n push %r15\n"
	"	push %rdi\n"                 /* 24(%rsp) after the call: regs */
	"	push %rsi\n"                 /* 16(%rsp): the code */
	"	pushq 128(%rdi)\n popfq\n"
	"	mov 0(%rdi), %rax\n mov 8(%rdi), %rcx\n mov 16(%rdi), %rdx\n"
	"	mov 24(%rdi), %rbx\n mov 40(%rdi), %rbp\n mov 48(%rdi), %rsi\n"
	"	mov 64(%rdi), %r8\n mov 72(%rdi), %r9\n mov 80(%rdi), %r10\n"
	"	mov 88(%rdi), %r11\n mov 96(%rdi), %r12\n mov 104(%rdi), %r13\n"
	"	mov 112(%rdi), %r14\n mov 120(%rdi), %r15\n mov 56(%rdi), %rdi\n"
	"	call *(%rsp)\n"
	"	pushfq\n"                    /* nothing before it touches flags */
	"	push %rdi\n"
	"	mov 24(%rsp), %rdi\n"
	"	mov %rax, 0(%rdi)\n mov %rcx, 8(%rdi)\n mov %rdx, 16(%rdi)\n"
	"	mov %rbx, 24(%rdi)\n mov %rbp, 40(%rdi)\n mov %rsi, 48(%rdi)\n"
	"	mov %r8, 64(%rdi)\n mov %r9, 72(%rdi)\n mov %r10, 80(%rdi)\n"
	"	mov %r11, 88(%rdi)\n mov %r12, 96(%rdi)\n mov %r13, 104(%rdi)\n"
	"	mov %r14, 112(%rdi)\n mov %r15, 120(%rdi)\n"
	"	pop %rax\n mov %rax, 56(%rdi)\n"
	"	pop %rax\n mov %rax, 128(%rdi)\n"
	"	cld\n"                       /* the ABI wants DF clear */
	"	add $16, %rsp\n"
	"	pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbp\n pop %rbx\n"
	"	ret\n"
	".size native_exec, .-native_exec\n"
	".popsection\n");

#define NDATA   0xb000ull     /* the fake's side of the window [NDATA - 4 KiB, NDATA + 8 KiB) */
#define NWIN    0x3000u
#define NTRIALS 300

#define FL_ARITH (X86_RFLAGS_CF | X86_RFLAGS_PF | X86_RFLAGS_AF | X86_RFLAGS_ZF | \
		  X86_RFLAGS_SF | X86_RFLAGS_OF)
#define UNDEF_LOGIC X86_RFLAGS_AF
#define UNDEF_BT    (X86_RFLAGS_OF | X86_RFLAGS_SF | X86_RFLAGS_AF | X86_RFLAGS_PF)

enum nkind {
	NK_PLAIN,     /* random registers; RDI = NDATA + [0, 64) */
	NK_BITOFF16,  /* RCX is a signed bit offset from [rdi], 16/32/64-bit */
	NK_BITOFF32,
	NK_BITOFF64,
	NK_ALIGN16,   /* RDI 16-byte aligned (CMPXCHG16B) */
	NK_STRING,    /* RDI, RSI within the window, RCX a small count */
	NK_STRING32,  /* the same with random upper halves (67 forms) */
};

struct ncase {
	char name[48];
	u8 bytes[15];
	unsigned len;
	enum nkind kind;
	u64 undef;            /* RFLAGS bits the SDM leaves undefined */
};

static u64 rnd(u64 *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

/* An operand value: edges of every width, small numbers, or random. */
static u64 rnd_val(u64 *s)
{
	static const u64 edge[] = {
		0, 1, 2, 0xf, 0x10, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff,
		0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull,
		0x7fffffffffffffffull, 0x8000000000000000ull, ~0ull, ~0ull - 1,
	};
	u64 r = rnd(s);

	switch (r & 3) {
	case 0: return edge[(r >> 8) % (sizeof(edge) / sizeof(edge[0]))];
	case 1: return (r >> 8) & 0x3ff;
	case 2: return edge[(r >> 8) % (sizeof(edge) / sizeof(edge[0]))] ^ ((r >> 40) & 0xf);
	default: return rnd(s);
	}
}

/* A signed bit offset whose word lies within the window, in 'bits'-bit
 * two's complement, with random bits above the operand size. */
static u64 rnd_bitoff(u64 *s, unsigned bits)
{
	s64 off = (s64)(rnd(s) % 64001) - 32000;
	u64 r = rnd(s);

	if ((r & 7) == 0)
		off = (s64)(r >> 8) % 130 - 65;   /* near the operand */
	if (bits == 16)
		return (r & ~0xffffull) | ((u64)off & 0xffff);
	if (bits == 32)
		return (r & ~0xffffffffull) | ((u64)off & 0xffffffff);
	return (u64)off;
}

/* Add the ALU forms of one operation: 'base' is its 00-3F opcode (ADD 00,
 * OR 08, AND 20, SUB 28, XOR 30), 'ext' its /digit in 80/81/83. */
static unsigned alu_cases(struct ncase *nc, const char *m, u8 base, u8 ext, u64 undef)
{
	static const struct {
		const char *fmt;
		u8 pre[2], npre;
		int opc;          /* 0-5: base + n; else the opcode itself */
		int modrm;        /* -1: none; /digit forms: 'ext' is or-ed in */
		bool digit;
		u8 imm[4], nimm;
	} f[] = {
		{ "%s [rdi], cl", { 0 }, 0, 0, 0x0f, false, { 0 }, 0 },
		{ "%s [rdi], ecx", { 0 }, 0, 1, 0x0f, false, { 0 }, 0 },
		{ "66 %s [rdi], cx", { 0x66 }, 1, 1, 0x0f, false, { 0 }, 0 },
		{ "48 %s [rdi], rcx", { 0x48 }, 1, 1, 0x0f, false, { 0 }, 0 },
		{ "4c %s [rdi], r9", { 0x4c }, 1, 1, 0x0f, false, { 0 }, 0 },
		{ "lock %s [rdi], ecx", { 0xf0 }, 1, 1, 0x0f, false, { 0 }, 0 },
		{ "lock 48 %s [rdi], rdx", { 0xf0, 0x48 }, 2, 1, 0x17, false, { 0 }, 0 },
		{ "%s cl, [rdi]", { 0 }, 0, 2, 0x0f, false, { 0 }, 0 },
		{ "%s ecx, [rdi]", { 0 }, 0, 3, 0x0f, false, { 0 }, 0 },
		{ "48 %s rcx, [rdi]", { 0x48 }, 1, 3, 0x0f, false, { 0 }, 0 },
		{ "%s edx, ecx", { 0 }, 0, 1, 0xca, false, { 0 }, 0 },
		{ "%s ah, cl", { 0 }, 0, 0, 0xcc, false, { 0 }, 0 },
		{ "48 %s rdx, rcx", { 0x48 }, 1, 1, 0xca, false, { 0 }, 0 },
		{ "%s al, 0x85", { 0 }, 0, 4, -1, false, { 0x85 }, 1 },
		{ "%s eax, 0x80000001", { 0 }, 0, 5, -1, false, { 0x01, 0, 0, 0x80 }, 4 },
		{ "48 %s rax, -0x7fff0100", { 0x48 }, 1, 5, -1, false, { 0x00, 0xff, 0x00, 0x80 }, 4 },
		{ "66 %s ax, 0x8001", { 0x66 }, 1, 5, -1, false, { 0x01, 0x80 }, 2 },
		{ "80 %s byte [rdi], 0x81", { 0 }, 0, 0x80, 0x07, true, { 0x81 }, 1 },
		{ "lock 80 %s byte [rdi], 0x7f", { 0xf0 }, 1, 0x80, 0x07, true, { 0x7f }, 1 },
		{ "83 %s dword [rdi], -0x80", { 0 }, 0, 0x83, 0x07, true, { 0x80 }, 1 },
		{ "48 83 %s qword [rdi], 1", { 0x48 }, 1, 0x83, 0x07, true, { 0x01 }, 1 },
		{ "66 83 %s word [rdi], -1", { 0x66 }, 1, 0x83, 0x07, true, { 0xff }, 1 },
		{ "81 %s dword [rdi], 0x80000000", { 0 }, 0, 0x81, 0x07, true, { 0, 0, 0, 0x80 }, 4 },
		{ "48 81 %s qword [rdi], 0x7ffffff0", { 0x48 }, 1, 0x81, 0x07, true,
		  { 0xf0, 0xff, 0xff, 0x7f }, 4 },
		{ "66 81 %s word [rdi], 0x7ff0", { 0x66 }, 1, 0x81, 0x07, true, { 0xf0, 0x7f }, 2 },
		{ "81 %s edx, 0x12345678", { 0 }, 0, 0x81, 0xc2, true, { 0x78, 0x56, 0x34, 0x12 }, 4 },
		{ "67 %s [edi], ecx", { 0x67 }, 1, 1, 0x0f, false, { 0 }, 0 },
	};
	unsigned i, n;
	const char *at;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		struct ncase *k = &nc[i];

		memset(k, 0, sizeof(*k));
		at = strstr(f[i].fmt, "%s");
		snprintf(k->name, sizeof(k->name), "%.*s%s%s", (int)(at - f[i].fmt), f[i].fmt,
			 m, at + 2);
		n = 0;
		memcpy(k->bytes, f[i].pre, f[i].npre);
		n += f[i].npre;
		k->bytes[n++] = (u8)(f[i].opc <= 5 ? base + f[i].opc : f[i].opc);
		if (f[i].modrm >= 0)
			k->bytes[n++] = (u8)(f[i].modrm | (f[i].digit ? ext << 3 : 0));
		memcpy(k->bytes + n, f[i].imm, f[i].nimm);
		n += f[i].nimm;
		k->len = n;
		k->kind = NK_PLAIN;
		k->undef = undef;
	}
	return i;
}

#define NC(nm, b, k, u) { .name = nm, .bytes = b, .len = sizeof(b) - 1, .kind = (k), .undef = (u) }

static const struct ncase native_fixed[] = {
	/* INC, DEC (CF kept) */
	NC("inc byte [rdi]", "\xfe\x07", NK_PLAIN, 0),
	NC("dec dword [rdi]", "\xff\x0f", NK_PLAIN, 0),
	NC("66 inc word [rdi]", "\x66\xff\x07", NK_PLAIN, 0),
	NC("lock 48 dec qword [rdi]", "\xf0\x48\xff\x0f", NK_PLAIN, 0),
	NC("inc ecx", "\xff\xc1", NK_PLAIN, 0),
	NC("dec ah", "\xfe\xcc", NK_PLAIN, 0),
	/* BT family, register offsets into memory */
	NC("bt [rdi], ecx", "\x0f\xa3\x0f", NK_BITOFF32, UNDEF_BT),
	NC("66 bt [rdi], cx", "\x66\x0f\xa3\x0f", NK_BITOFF16, UNDEF_BT),
	NC("48 bt [rdi], rcx", "\x48\x0f\xa3\x0f", NK_BITOFF64, UNDEF_BT),
	NC("bts [rdi], ecx", "\x0f\xab\x0f", NK_BITOFF32, UNDEF_BT),
	NC("lock 48 bts [rdi], rcx", "\xf0\x48\x0f\xab\x0f", NK_BITOFF64, UNDEF_BT),
	NC("66 btr [rdi], cx", "\x66\x0f\xb3\x0f", NK_BITOFF16, UNDEF_BT),
	NC("lock btr [rdi], ecx", "\xf0\x0f\xb3\x0f", NK_BITOFF32, UNDEF_BT),
	NC("48 btr [rdi], rcx", "\x48\x0f\xb3\x0f", NK_BITOFF64, UNDEF_BT),
	NC("btc [rdi], ecx", "\x0f\xbb\x0f", NK_BITOFF32, UNDEF_BT),
	NC("lock 48 btc [rdi], rcx", "\xf0\x48\x0f\xbb\x0f", NK_BITOFF64, UNDEF_BT),
	/* BT family, imm8 offsets (modulo the size) and register operands */
	NC("bt dword [rdi], 0x45", "\x0f\xba\x27\x45", NK_PLAIN, UNDEF_BT),
	NC("bts dword [rdi], 0x1f", "\x0f\xba\x2f\x1f", NK_PLAIN, UNDEF_BT),
	NC("lock 48 bts qword [rdi], 0xff", "\xf0\x48\x0f\xba\x2f\xff", NK_PLAIN, UNDEF_BT),
	NC("66 btr word [rdi], 0x85", "\x66\x0f\xba\x37\x85", NK_PLAIN, UNDEF_BT),
	NC("lock btr dword [rdi], 3", "\xf0\x0f\xba\x37\x03", NK_PLAIN, UNDEF_BT),
	NC("48 btc qword [rdi], 0x40", "\x48\x0f\xba\x3f\x40", NK_PLAIN, UNDEF_BT),
	NC("bts edx, ecx", "\x0f\xab\xca", NK_PLAIN, UNDEF_BT),
	NC("48 btr rdx, rcx", "\x48\x0f\xb3\xca", NK_PLAIN, UNDEF_BT),
	NC("66 btc dx, cx", "\x66\x0f\xbb\xca", NK_PLAIN, UNDEF_BT),
	NC("bt edx, ecx", "\x0f\xa3\xca", NK_PLAIN, UNDEF_BT),
	NC("bts edx, 0x25", "\x0f\xba\xea\x25", NK_PLAIN, UNDEF_BT),
	/* CMPXCHG */
	NC("cmpxchg [rdi], cl", "\x0f\xb0\x0f", NK_PLAIN, 0),
	NC("cmpxchg [rdi], ecx", "\x0f\xb1\x0f", NK_PLAIN, 0),
	NC("66 cmpxchg [rdi], cx", "\x66\x0f\xb1\x0f", NK_PLAIN, 0),
	NC("lock 48 cmpxchg [rdi], rcx", "\xf0\x48\x0f\xb1\x0f", NK_PLAIN, 0),
	NC("lock cmpxchg [rdi], edx", "\xf0\x0f\xb1\x17", NK_PLAIN, 0),
	NC("cmpxchg edx, ecx", "\x0f\xb1\xca", NK_PLAIN, 0),
	NC("48 cmpxchg rdx, rcx", "\x48\x0f\xb1\xca", NK_PLAIN, 0),
	NC("cmpxchg dl, ah", "\x0f\xb0\xe2", NK_PLAIN, 0),
	NC("cmpxchg eax, ecx", "\x0f\xb1\xc8", NK_PLAIN, 0),
	NC("cmpxchg8b [rdi]", "\x0f\xc7\x0f", NK_PLAIN, 0),
	NC("lock cmpxchg8b [rdi]", "\xf0\x0f\xc7\x0f", NK_PLAIN, 0),
	NC("cmpxchg16b [rdi]", "\x48\x0f\xc7\x0f", NK_ALIGN16, 0),
	NC("lock cmpxchg16b [rdi]", "\xf0\x48\x0f\xc7\x0f", NK_ALIGN16, 0),
	/* XCHG */
	NC("xchg [rdi], cl", "\x86\x0f", NK_PLAIN, 0),
	NC("xchg [rdi], ecx", "\x87\x0f", NK_PLAIN, 0),
	NC("66 xchg [rdi], cx", "\x66\x87\x0f", NK_PLAIN, 0),
	NC("lock 48 xchg [rdi], rcx", "\xf0\x48\x87\x0f", NK_PLAIN, 0),
	NC("xchg edx, ecx", "\x87\xca", NK_PLAIN, 0),
	NC("xchg eax, eax", "\x87\xc0", NK_PLAIN, 0),
	NC("xchg ecx, eax (91)", "\x91", NK_PLAIN, 0),
	NC("49 xchg r8, rax", "\x49\x90", NK_PLAIN, 0),
	NC("xchg ah, cl", "\x86\xcc", NK_PLAIN, 0),
	/* MOV */
	NC("mov [rdi], cl", "\x88\x0f", NK_PLAIN, 0),
	NC("mov [rdi], ecx", "\x89\x0f", NK_PLAIN, 0),
	NC("66 mov [rdi], cx", "\x66\x89\x0f", NK_PLAIN, 0),
	NC("48 mov [rdi], rcx", "\x48\x89\x0f", NK_PLAIN, 0),
	NC("mov byte [rdi], 0x80", "\xc6\x07\x80", NK_PLAIN, 0),
	NC("mov dword [rdi], 0x89abcdef", "\xc7\x07\xef\xcd\xab\x89", NK_PLAIN, 0),
	NC("48 mov qword [rdi], -2", "\x48\xc7\x07\xfe\xff\xff\xff", NK_PLAIN, 0),
	NC("66 mov word [rdi], 0xbeef", "\x66\xc7\x07\xef\xbe", NK_PLAIN, 0),
	NC("mov [rdi+0x7f8], edx", "\x89\x97\xf8\x07\x00\x00", NK_PLAIN, 0),
	NC("mov cl, [rdi]", "\x8a\x0f", NK_PLAIN, 0),
	NC("mov ecx, [rdi]", "\x8b\x0f", NK_PLAIN, 0),
	NC("66 mov cx, [rdi]", "\x66\x8b\x0f", NK_PLAIN, 0),
	NC("48 mov rcx, [rdi]", "\x48\x8b\x0f", NK_PLAIN, 0),
	NC("mov ah, [rdi]", "\x8a\x27", NK_PLAIN, 0),
	NC("movnti [rdi], rdx", "\x48\x0f\xc3\x17", NK_PLAIN, 0),
	/* STOS, MOVS */
	NC("stosb", "\xaa", NK_STRING, 0),
	NC("stosw", "\x66\xab", NK_STRING, 0),
	NC("stosd", "\xab", NK_STRING, 0),
	NC("stosq", "\x48\xab", NK_STRING, 0),
	NC("rep stosb", "\xf3\xaa", NK_STRING, 0),
	NC("rep stosw", "\xf3\x66\xab", NK_STRING, 0),
	NC("rep stosd", "\xf3\xab", NK_STRING, 0),
	NC("rep stosq", "\xf3\x48\xab", NK_STRING, 0),
	NC("repne stosb (acts as rep)", "\xf2\xaa", NK_STRING, 0),
	NC("67 rep stosb", "\x67\xf3\xaa", NK_STRING32, 0),
	NC("67 stosd", "\x67\xab", NK_STRING32, 0),
	NC("movsb", "\xa4", NK_STRING, 0),
	NC("movsw", "\x66\xa5", NK_STRING, 0),
	NC("movsd", "\xa5", NK_STRING, 0),
	NC("movsq", "\x48\xa5", NK_STRING, 0),
	NC("rep movsb", "\xf3\xa4", NK_STRING, 0),
	NC("rep movsw", "\xf3\x66\xa5", NK_STRING, 0),
	NC("rep movsd", "\xf3\xa5", NK_STRING, 0),
	NC("rep movsq", "\xf3\x48\xa5", NK_STRING, 0),
	NC("67 rep movsq", "\x67\xf3\x48\xa5", NK_STRING32, 0),
	NC("67 movsb", "\x67\xa4", NK_STRING32, 0),
};

/* Random registers, flags and window for one trial of case 'k'. */
static void native_inputs(const struct ncase *k, u64 *s, struct nregs *r, u8 *win)
{
	u64 hi, *mem = (u64 *)(win + 0x1000);
	unsigned i;

	for (i = 0; i < NWIN; i++)
		win[i] = (u8)rnd(s);
	for (i = 0; i < 16; i++)
		r->gpr[i] = rnd_val(s);
	r->gpr[R_RSP] = 0;
	for (i = 0; i < 2; i++)
		mem[i] = rnd_val(s);
	r->rflags = rnd(s) & (FL_ARITH | X86_RFLAGS_DF);
	/* Make the equal cases of CMPXCHG and the zero results common. */
	switch (rnd(s) % 6) {
	case 0: r->gpr[R_RAX] = mem[0]; break;
	case 1: r->gpr[R_RAX] = mem[0]; r->gpr[R_RDX] = mem[1]; break;
	case 2: r->gpr[R_RDX] = mem[0] >> 32; r->gpr[R_RAX] = mem[0]; break;
	case 3: r->gpr[R_RDX] = r->gpr[R_RAX]; break;
	case 4: r->gpr[R_RCX] = mem[0]; break;
	default: break;
	}
	r->gpr[R_RDI] = NDATA + rnd(s) % 64;
	switch (k->kind) {
	case NK_BITOFF16: r->gpr[R_RCX] = rnd_bitoff(s, 16); break;
	case NK_BITOFF32: r->gpr[R_RCX] = rnd_bitoff(s, 32); break;
	case NK_BITOFF64: r->gpr[R_RCX] = rnd_bitoff(s, 64); break;
	case NK_ALIGN16: r->gpr[R_RDI] = NDATA + (rnd(s) % 4) * 16; break;
	case NK_STRING:
	case NK_STRING32:
		r->gpr[R_RDI] = NDATA - 1024 + rnd(s) % 2048;
		r->gpr[R_RSI] = NDATA - 1024 + rnd(s) % 2048;
		if (rnd(s) % 4 == 0)   /* overlapping copies, both ways */
			r->gpr[R_RSI] = r->gpr[R_RDI] + rnd(s) % 33 - 16;
		if (rnd(s) % 4 == 0) {   /* element-aligned */
			r->gpr[R_RDI] &= ~7ull;
			r->gpr[R_RSI] &= ~7ull;
		}
		r->gpr[R_RCX] = rnd(s) % 8 == 0 ? 0 : rnd(s) % 300;
		if (k->kind == NK_STRING32) {
			hi = rnd(s) << 32;
			r->gpr[R_RDI] |= hi;
			r->gpr[R_RSI] |= hi << 1;
			r->gpr[R_RCX] |= hi << 2;
		}
		break;
	default:
		break;
	}
}

static bool is_ptr(const struct ncase *k, unsigned reg)
{
	return reg == R_RDI || (reg == R_RSI && (k->kind == NK_STRING || k->kind == NK_STRING32));
}

static void native_case(const struct ncase *k, u8 *code, u8 *hwin, u64 *seed)
{
	u8 *want = hwin + 0x1000;   /* host side of NDATA */
	u64 mask = (FL_ARITH | X86_RFLAGS_DF) & ~k->undef;
	struct nregs in, hw;
	unsigned t, i;

	assert_int_equal(mprotect(code, 4096, PROT_READ | PROT_WRITE), 0);
	memcpy(code, k->bytes, k->len);
	code[k->len] = 0xc3;   /* ret */
	assert_int_equal(mprotect(code, 4096, PROT_READ | PROT_EXEC), 0);

	for (t = 0; t < NTRIALS; t++) {
		struct emu_ctxt c;
		struct vcpu v;
		struct fake *f = ctxt_init(&c, &v, (const char *)k->bytes, k->len);
		enum emu_result rc;

		native_inputs(k, seed, &in, f->mem + NDATA - 0x1000);
		memcpy(hwin, f->mem + NDATA - 0x1000, NWIN);
		hw = in;
		for (i = 0; i < 16; i++)
			if (is_ptr(k, i))
				hw.gpr[i] = in.gpr[i] - NDATA + (u64)(uintptr_t)want;
		hw.rflags = in.rflags | X86_RFLAGS_FIXED | X86_RFLAGS_IF;
		native_exec(&hw, code);

		for (i = 0; i < 16; i++)
			if (i != R_RSP)
				v.gpr[i] = in.gpr[i];
		v.rflags = in.rflags | X86_RFLAGS_FIXED;
		rc = emu_step(&c);
		if (rc != EMU_OK)
			fail_msg("%s, trial %u: result %d (exception %u)", k->name, t, rc, c.exc.vector);
		assert_int_equal(v.rip, CODE + k->len);
		for (i = 0; i < 16; i++) {
			u64 h = hw.gpr[i];

			if (i == R_RSP)
				continue;
			if (is_ptr(k, i))
				h = h - (u64)(uintptr_t)want + NDATA;
			if (v.gpr[i] != h)
				fail_msg("%s, trial %u: %s = %#llx, the CPU gives %#llx "
					 "(rax %#llx rcx %#llx rdx %#llx rflags %#llx)",
					 k->name, t, field_name[F_RAX + i],
					 (unsigned long long)v.gpr[i], (unsigned long long)h,
					 (unsigned long long)in.gpr[R_RAX], (unsigned long long)in.gpr[R_RCX],
					 (unsigned long long)in.gpr[R_RDX], (unsigned long long)in.rflags);
		}
		if ((v.rflags ^ hw.rflags) & mask)
			fail_msg("%s, trial %u: rflags %#llx, the CPU gives %#llx (compared: %#llx; "
				 "in: rax %#llx rcx %#llx rdx %#llx [rdi] %#llx rflags %#llx)",
				 k->name, t, (unsigned long long)v.rflags, (unsigned long long)hw.rflags,
				 (unsigned long long)mask, (unsigned long long)in.gpr[R_RAX],
				 (unsigned long long)in.gpr[R_RCX], (unsigned long long)in.gpr[R_RDX],
				 (unsigned long long)*(u64 *)(f->mem + in.gpr[R_RDI]),
				 (unsigned long long)in.rflags);
		for (i = 0; i < NWIN; i++)
			if (f->mem[NDATA - 0x1000 + i] != hwin[i])
				fail_msg("%s, trial %u: memory at NDATA%+d = %#x, the CPU gives %#x",
					 k->name, t, (int)i - 0x1000, f->mem[NDATA - 0x1000 + i], hwin[i]);
		free(f);
	}
}

static void test_native_compare(void **state)
{
	static const struct { const char *m; u8 base, ext; u64 undef; } ops[] = {
		{ "add", 0x00, 0, 0 }, { "or", 0x08, 1, UNDEF_LOGIC },
		{ "and", 0x20, 4, UNDEF_LOGIC }, { "sub", 0x28, 5, 0 },
		{ "xor", 0x30, 6, UNDEF_LOGIC },
	};
	struct ncase *nc = calloc(256, sizeof(*nc));
	u8 *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	u8 *hwin = mmap(NULL, NWIN, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	u64 seed = 0x9e3779b97f4a7c15ull;
	unsigned n = 0, i;

	assert_non_null(nc);
	assert_true(code != MAP_FAILED && hwin != MAP_FAILED);
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		n += alu_cases(nc + n, ops[i].m, ops[i].base, ops[i].ext, ops[i].undef);
	for (i = 0; i < sizeof(native_fixed) / sizeof(native_fixed[0]); i++)
		nc[n++] = native_fixed[i];
	assert_true(n <= 256);
	for (i = 0; i < n; i++)
		native_case(&nc[i], code, hwin, &seed);
	print_message("%u instruction forms x %u trials agree with the host CPU\n", n, NTRIALS);
	munmap(code, 4096);
	munmap(hwin, NWIN);
	free(nc);
}

/* ---- LAR, LSL, VERR, VERW against the host CPU ----
 *
 * These run natively in host ring 3 (which is what makes them silent-fail
 * instructions) against the host kernel's GDT.  From CPL 3 the host answers
 * for its own descriptors: LAR and LSL of each selector give the access
 * rights and limit of those visible at CPL 3.  The fake GDT is built from
 * those answers (DPL-0 data where the host refuses), and then every form
 * runs natively and through emu_step() at CPL 3 from the same random
 * registers and flags: destination sizes (r16 merges, r32 and r64
 * zero-extend, a failure writes nothing), ZF the only flag changed, G
 * scaling, RPL, the null selector, TI=1 and selectors beyond the limit
 * must all agree with the CPU.  LAR's bits 19:16 are undefined in the SDM
 * and not compared.  Index 15 (Linux's per-CPU segment, whose limit is the
 * CPU number) is left out.
 */
static void native_desc(u16 sel, bool *lar_ok, u64 *ar, bool *lsl_ok, u64 *limit)
{
	u64 a = 0, l = 0;
	u8 z1, z2;

	__asm__ volatile("lar %2, %0\n\tsetz %1" : "+r"(a), "=q"(z1) : "r"((u64)sel) : "cc");
	__asm__ volatile("lsl %2, %0\n\tsetz %1" : "+r"(l), "=q"(z2) : "r"((u64)sel) : "cc");
	*lar_ok = z1;
	*ar = a;
	*lsl_ok = z2;
	*limit = l;
}

static void test_native_descriptors(void **state)
{
	static const u16 sels[] = {
		0, 1, 3, 0x08, 0x0b, 0x10, 0x13, 0x18, 0x1b, 0x20, 0x23, 0x28, 0x2b, 0x30,
		0x33, 0x38, 0x3b, 0x40, 0x43, 0x50, 0x53, 0x60, 0x63, 0x70, 0x73,
		0x0c, 0x2f, 0x1003, 0xfff3,
	};
	static const struct ncase forms[] = {
		NC("lar eax, ecx", "\x0f\x02\xc1", NK_PLAIN, 0),
		NC("66 lar ax, cx", "\x66\x0f\x02\xc1", NK_PLAIN, 0),
		NC("48 lar rax, rcx", "\x48\x0f\x02\xc1", NK_PLAIN, 0),
		NC("lar eax, [rdi]", "\x0f\x02\x07", NK_PLAIN, 0),
		NC("48 lar rax, [rdi]", "\x48\x0f\x02\x07", NK_PLAIN, 0),
		NC("lsl eax, ecx", "\x0f\x03\xc1", NK_PLAIN, 0),
		NC("66 lsl ax, cx", "\x66\x0f\x03\xc1", NK_PLAIN, 0),
		NC("48 lsl rax, rcx", "\x48\x0f\x03\xc1", NK_PLAIN, 0),
		NC("lsl eax, [rdi]", "\x0f\x03\x07", NK_PLAIN, 0),
		NC("verr cx", "\x0f\x00\xe1", NK_PLAIN, 0),
		NC("verw cx", "\x0f\x00\xe9", NK_PLAIN, 0),
		NC("verr [rdi]", "\x0f\x00\x27", NK_PLAIN, 0),
		NC("verw [rdi]", "\x0f\x00\x2f", NK_PLAIN, 0),
	};
	u64 gdt[16], seed = 0x243f6a8885a308d3ull;
	u8 *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	u8 *hdata = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned i, s, t, r, visible = 0;

	assert_true(code != MAP_FAILED && hdata != MAP_FAILED);
	for (i = 1; i < 16; i++) {
		bool lar_ok, lsl_ok;
		u64 ar, limit, raw;

		gdt[i] = 0x00cf93000000ffffull;   /* DPL 0: refused at CPL 3 */
		native_desc((u16)(i * 8 + 3), &lar_ok, &ar, &lsl_ok, &limit);
		if (!lar_ok || i == 15)
			continue;
		assert_true(lsl_ok);             /* every code or data segment has a limit */
		raw = (ar & (1u << 23)) ? limit >> 12 : limit;
		gdt[i] = ((ar & 0x00f0ff00ull) << 32) | (((raw >> 16) & 0xf) << 48) | (raw & 0xffff);
		visible++;
	}
	gdt[0] = 0;
	assert_true(visible >= 2);   /* Linux: user CS 0x33, user DS 0x2b (and 0x23) */

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		const struct ncase *k = &forms[i];
		bool lar = strstr(k->name, "lar") != NULL;

		assert_int_equal(mprotect(code, 4096, PROT_READ | PROT_WRITE), 0);
		memcpy(code, k->bytes, k->len);
		code[k->len] = 0xc3;   /* ret */
		assert_int_equal(mprotect(code, 4096, PROT_READ | PROT_EXEC), 0);
		for (s = 0; s < sizeof(sels) / sizeof(sels[0]); s++) {
			for (t = 0; t < 8; t++) {
				struct nregs in, hw;
				struct emu_ctxt c;
				struct vcpu v;
				struct fake *f = ctxt_init(&c, &v, (const char *)k->bytes, k->len);
				u64 word = (rnd(&seed) << 16) | sels[s], mask;

				for (r = 0; r < 16; r++)
					in.gpr[r] = rnd_val(&seed);
				in.gpr[R_RSP] = 0;
				in.gpr[R_RCX] = word;
				in.gpr[R_RDI] = NDATA;
				in.rflags = rnd(&seed) & (FL_ARITH | X86_RFLAGS_DF);
				memcpy(hdata, &word, 8);
				hw = in;
				hw.gpr[R_RDI] = (u64)(uintptr_t)hdata;
				hw.rflags = in.rflags | X86_RFLAGS_FIXED | X86_RFLAGS_IF;
				native_exec(&hw, code);

				memset(f->mem + GDT, 0, 0x200);
				memcpy(f->mem + GDT, gdt, sizeof(gdt));
				memcpy(f->mem + NDATA, &word, 8);
				v.cpl = 3;
				v.seg[SEG_CS] = 0x93;
				v.seg[SEG_SS] = 0x8b;
				v.gdtr = (struct dtr){ GDT, sizeof(gdt) - 1 };
				for (r = 0; r < 16; r++)
					if (r != R_RSP)
						v.gpr[r] = in.gpr[r];
				v.rflags = in.rflags | X86_RFLAGS_FIXED;
				if (emu_step(&c) != EMU_OK)
					fail_msg("%s, selector %#x: exception %u", k->name, sels[s], c.exc.vector);
				v.gpr[R_RDI] = hw.gpr[R_RDI];
				for (r = 0; r < 16; r++) {
					mask = lar && r == R_RAX ? ~0xf0000ull : ~0ull;
					if (r != R_RSP && ((v.gpr[r] ^ hw.gpr[r]) & mask))
						fail_msg("%s, selector %#x: %s = %#llx, the CPU gives %#llx",
							 k->name, sels[s], field_name[F_RAX + r],
							 (unsigned long long)v.gpr[r],
							 (unsigned long long)hw.gpr[r]);
				}
				if ((v.rflags ^ hw.rflags) & (FL_ARITH | X86_RFLAGS_DF))
					fail_msg("%s, selector %#x: rflags %#llx, the CPU gives %#llx",
						 k->name, sels[s], (unsigned long long)v.rflags,
						 (unsigned long long)hw.rflags);
				free(f);
			}
		}
	}
	print_message("%zu forms x %zu selectors agree with the host CPU (%u host descriptors "
		      "visible at CPL 3)\n", sizeof(forms) / sizeof(forms[0]),
		      sizeof(sels) / sizeof(sels[0]), visible);
	munmap(code, 4096);
	munmap(hdata, 4096);
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
		cmocka_unit_test(test_desc_query),
		cmocka_unit_test(test_vcpu_cpuid),
		cmocka_unit_test(test_rep_chunks),
		cmocka_unit_test(test_rep_cut),
		cmocka_unit_test(test_xsetbv),
		cmocka_unit_test(test_native_compare),
		cmocka_unit_test(test_vmcall_without_callback),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_native_descriptors),
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
