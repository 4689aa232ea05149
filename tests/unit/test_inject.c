/*
 * tests/unit/test_inject.c: event delivery (traps/inject.c).
 *
 * Table driven like test_emulate.c: each row gives the vCPU before (over a
 * default of CPL 3 user code with IF set and a loaded 64-bit TSS), the IDT
 * gates it needs, the event, and the outcome: EMU_OK or EMU_TRIPLE_FAULT,
 * every vCPU field that changes (all others must keep their value), and
 * the exact frame pushed; NMI rows go through emu_nmi() instead, and
 * test_nmi_blocked_until_iretq() follows NMI blocking through a handler's
 * IRETQ.  Guest memory is a flat fake (linear address =
 * offset into a 64 KiB buffer) whose optional absent range raises #PF; the
 * whole buffer is compared after each row, so a stray write fails too.
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

/* ---- The fake guest memory ---- */

#define MEM_SIZE 0x10000
#define GDT      0x1000ull
#define IDT      0x2000ull
#define TSS      0x5000ull
#define RSP0     0x8800ull    /* TSS.RSP0 */
#define IST1     0xa000ull    /* TSS.IST1 */
#define IST2     0x6800ull    /* TSS.IST2: absent in the rows that use it */
#define URIP     0x401000ull  /* interrupted user RIP (never fetched) */
#define URSP     0x7ff8ull    /* interrupted user RSP, not 16-aligned */
#define HANDLER(v) (0x00007f0000001000ull + (v) * 0x10)

struct fake {
	u8 mem[MEM_SIZE];
	u64 absent_lo, absent_hi;   /* [lo, hi) raises #PF (not present) */
};

static int mem_check(struct emu_ctxt *c, u64 la, unsigned len, enum emu_access acc)
{
	struct fake *f = c->opaque;
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
			return -1;
		}
	}
	return 0;
}

static int fake_read(struct emu_ctxt *c, u64 la, void *buf, unsigned len, enum emu_access acc)
{
	if (mem_check(c, la, len, acc))
		return -1;
	memcpy(buf, ((struct fake *)c->opaque)->mem + la, len);
	return 0;
}

static int fake_write(struct emu_ctxt *c, u64 la, const void *buf, unsigned len,
		      enum emu_access acc)
{
	/* Delivery writes only the new stack, always as the handler's CPL 0. */
	assert_int_equal(acc, EMU_WRITE_SYS);
	if (mem_check(c, la, len, acc))
		return -1;
	memcpy(((struct fake *)c->opaque)->mem + la, buf, len);
	return 0;
}

static const struct emu_ops fake_ops = { .read = fake_read, .write = fake_write };

/* ---- vCPU fields by number ---- */

enum field {
	F_END, F_RSP, F_RIP, F_RFLAGS, F_CPL, F_CS, F_SS, F_CR2, F_IDTR_LIMIT,
	F_TR, F_TR_LIMIT, F_HALTED, F_LAST_VECTOR, F_LAST_ERRCODE, F_LAST_RIP, F_RAX,
	F_STI_SHADOW, F_NMI_PENDING, F_NMI_BLOCKED, F_COUNT
};

static const char *const field_name[F_COUNT] = {
	"end", "rsp", "rip", "rflags", "cpl", "cs", "ss", "cr2", "idtr.limit",
	"tr", "tr_limit", "halted", "last_vector", "last_errcode", "last_rip", "rax",
	"sti_shadow", "nmi_pending", "nmi_blocked",
};

static u64 *field_u64(struct vcpu *v, enum field f)
{
	switch (f) {
	case F_RSP: return &v->gpr[R_RSP];
	case F_RAX: return &v->gpr[R_RAX];
	case F_RIP: return &v->rip;
	case F_RFLAGS: return &v->rflags;
	case F_CR2: return &v->cr2;
	case F_LAST_ERRCODE: return &v->last_errcode;
	case F_LAST_RIP: return &v->last_rip;
	default: return NULL;
	}
}

static u64 field_get(struct vcpu *v, enum field f)
{
	u64 *p = field_u64(v, f);

	if (p)
		return *p;
	switch (f) {
	case F_CPL: return v->cpl;
	case F_CS: return v->seg[SEG_CS];
	case F_SS: return v->seg[SEG_SS];
	case F_IDTR_LIMIT: return v->idtr.limit;
	case F_TR: return v->tr;
	case F_TR_LIMIT: return v->tr_limit;
	case F_HALTED: return v->halted;
	case F_LAST_VECTOR: return (u64)(s64)v->last_vector;
	case F_STI_SHADOW: return v->sti_shadow;
	case F_NMI_PENDING: return v->nmi_pending;
	case F_NMI_BLOCKED: return v->nmi_blocked;
	default: fail_msg("bad field %d", f); return 0;
	}
}

static void field_set(struct vcpu *v, enum field f, u64 x)
{
	u64 *p = field_u64(v, f);

	if (p) {
		*p = x;
		return;
	}
	switch (f) {
	case F_CPL: v->cpl = (u8)x; break;
	case F_CS: v->seg[SEG_CS] = (u16)x; break;
	case F_SS: v->seg[SEG_SS] = (u16)x; break;
	case F_IDTR_LIMIT: v->idtr.limit = (u16)x; break;
	case F_TR: v->tr = (u16)x; break;
	case F_TR_LIMIT: v->tr_limit = (u32)x; break;
	case F_HALTED: v->halted = x; break;
	case F_LAST_VECTOR: v->last_vector = (int)x; break;
	case F_STI_SHADOW: v->sti_shadow = x; break;
	case F_NMI_PENDING: v->nmi_pending = x; break;
	case F_NMI_BLOCKED: v->nmi_blocked = x; break;
	default: fail_msg("bad field %d", f);
	}
}

/* ---- Default state ---- */

static const struct { u16 sel; u64 lo, hi; } gdt_image[] = {
	{ 0x08, 0x00af9b000000ffffull, 0 },   /* kernel code, 64-bit, DPL 0 */
	{ 0x10, 0x00cf93000000ffffull, 0 },   /* kernel data, DPL 0 */
	{ 0x20, 0x00cf9b000000ffffull, 0 },   /* 32-bit code, DPL 0 */
	{ 0x40, 0x00008b0050000067ull, 0 },   /* 64-bit TSS at 0x5000, busy */
	{ 0x70, 0x00af1b000000ffffull, 0 },   /* 64-bit code, not present */
	{ 0x88, 0x00cff3000000ffffull, 0 },   /* user data, DPL 3 */
	{ 0x90, 0x00affb000000ffffull, 0 },   /* user code, 64-bit, DPL 3 */
	{ 0x98, 0x00afbb000000ffffull, 0 },   /* 64-bit code, DPL 1 */
};

static void vcpu_default(struct vcpu *v)
{
	unsigned i;

	memset(v, 0, sizeof(*v));
	for (i = 0; i < 16; i++)
		v->gpr[i] = 0x0101010101010101ull * (i + 1);
	v->gpr[R_RSP] = URSP;
	v->rip = URIP;
	v->rflags = X86_RFLAGS_FIXED | X86_RFLAGS_IF;
	v->cpl = 3;
	v->seg[SEG_CS] = 0x93;
	v->seg[SEG_SS] = v->seg[SEG_DS] = v->seg[SEG_ES] = 0x8b;
	v->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_WP | X86_CR0_PG;
	v->cr4 = X86_CR4_PAE;
	v->efer = X86_EFER_SCE | X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE;
	v->gdtr = (struct dtr){ GDT, 0x9f };
	v->idtr = (struct dtr){ IDT, 0xfff };
	v->tr = 0x40;
	v->tr_base = TSS;
	v->tr_limit = 0x67;
	v->last_vector = -1;
}

/* ---- Rows ---- */

struct kv { enum field f; u64 val; };
struct memv { u64 la; unsigned len; u64 val; };

enum { INTR = 0xe, TRAP = 0xf, CALL = 0xc };

struct gate {
	u8 vec;           /* 0 with type 0 ends the list */
	u8 type;          /* INTR, TRAP, or something wrong */
	u8 dpl;
	bool absent;      /* P = 0 */
	u16 sel;          /* 0 means 0x08 */
	u8 ist;
	u64 off;          /* 0 means HANDLER(vec) */
};

struct inj_row {
	const char *name;
	struct kv set[8];         /* state before, over vcpu_default() */
	struct gate gates[5];
	struct memv mem[3];       /* memory before (TSS fields are preset) */
	u64 absent_lo, absent_hi;
	u8 vector;                /* the event */
	bool has_err;
	u32 err;
	bool soft;
	bool nmi;                 /* call emu_nmi() instead (the event is the
	                           * pending NMI; result 1: taken, 0: waits) */
	u64 cr2;                  /* passed in c->exc.cr2 */
	int result;
	struct kv expect[12];     /* fields that change */
	u64 frame_at;             /* expected frame, lowest address first */
	u64 frame[6];
	unsigned nframe;
};

/* The frame of an event taken from the default user state. */
#define USER_FRAME(...) .frame = { __VA_ARGS__ URIP, 0x93, 0x202, URSP, 0x8b }
/* What every delivery from CPL 3 to a CPL-0 interrupt gate changes. */
#define TO_KERNEL(vec, rsp) { F_CPL, 0 }, { F_CS, 0x08 }, { F_SS, 0 }, { F_RSP, rsp }, \
	{ F_RIP, HANDLER(vec) }, { F_LAST_VECTOR, vec }, { F_LAST_RIP, URIP }

static const struct inj_row inj_rows[] = {
	{ .name = "#UD from cpl3: RSP0 stack, interrupt gate clears IF, no error code",
	  .gates = { { 6, INTR } }, .vector = X86_EXC_UD,
	  .expect = { TO_KERNEL(6, RSP0 - 40), { F_RFLAGS, 0x2 } },
	  .frame_at = RSP0 - 40, USER_FRAME(), .nframe = 5 },
	{ .name = "#GP from cpl3 pushes its error code",
	  .gates = { { 13, INTR } }, .vector = X86_EXC_GP, .has_err = true, .err = 0x1234,
	  .expect = { TO_KERNEL(13, RSP0 - 48), { F_RFLAGS, 0x2 }, { F_LAST_ERRCODE, 0x1234 } },
	  .frame_at = RSP0 - 48, USER_FRAME(0x1234,), .nframe = 6 },
	{ .name = "#PF sets CR2 and pushes its error code",
	  .gates = { { 14, INTR } }, .vector = X86_EXC_PF, .has_err = true,
	  .err = PFEC_U | PFEC_W, .cr2 = 0x00007fffdead0000ull,
	  .expect = { TO_KERNEL(14, RSP0 - 48), { F_RFLAGS, 0x2 },
		      { F_LAST_ERRCODE, PFEC_U | PFEC_W }, { F_CR2, 0x00007fffdead0000ull } },
	  .frame_at = RSP0 - 48, USER_FRAME(PFEC_U | PFEC_W,), .nframe = 6 },
	{ .name = "RSP0 is aligned down to 16 bytes",
	  .mem = { { TSS + 4, 8, RSP0 + 0xc } },
	  .gates = { { 6, INTR } }, .vector = X86_EXC_UD,
	  .expect = { TO_KERNEL(6, RSP0 - 40), { F_RFLAGS, 0x2 } },
	  .frame_at = RSP0 - 40, USER_FRAME(), .nframe = 5 },
	{ .name = "trap gate keeps IF, clears TF NT RF",
	  .set = { { F_RFLAGS, 0x202 | X86_RFLAGS_TF | X86_RFLAGS_NT | X86_RFLAGS_RF } },
	  .gates = { { 3, TRAP, 3 } }, .vector = X86_EXC_BP, .soft = true,
	  .expect = { TO_KERNEL(3, RSP0 - 40), { F_RFLAGS, 0x202 } },
	  .frame_at = RSP0 - 40,
	  .frame = { URIP, 0x93, 0x202 | X86_RFLAGS_TF | X86_RFLAGS_NT | X86_RFLAGS_RF, URSP, 0x8b },
	  .nframe = 5 },
	{ .name = "from cpl0: no stack switch, current RSP aligned, SS kept",
	  .set = { { F_CPL, 0 }, { F_CS, 0x08 }, { F_SS, 0x10 }, { F_RSP, 0x8f08 },
		   { F_RIP, 0x7f0000002000ull } },
	  .gates = { { 0x20, INTR } }, .vector = 0x20,
	  .expect = { { F_RSP, 0x8f00 - 40 }, { F_RIP, HANDLER(0x20) }, { F_RFLAGS, 0x2 },
		      { F_LAST_VECTOR, 0x20 }, { F_LAST_RIP, 0x7f0000002000ull } },
	  .frame_at = 0x8f00 - 40,
	  .frame = { 0x7f0000002000ull, 0x08, 0x202, 0x8f08, 0x10 }, .nframe = 5 },
	{ .name = "IST gate switches stack even from cpl0",
	  .set = { { F_CPL, 0 }, { F_CS, 0x08 }, { F_SS, 0x10 }, { F_RSP, 0x8f00 } },
	  .gates = { { 2, INTR, 0, false, 0, 1 } }, .vector = X86_EXC_NMI,
	  .expect = { { F_RSP, IST1 - 40 }, { F_RIP, HANDLER(2) }, { F_RFLAGS, 0x2 },
		      { F_LAST_VECTOR, 2 }, { F_LAST_RIP, URIP }, { F_NMI_BLOCKED, 1 } },
	  .frame_at = IST1 - 40, .frame = { URIP, 0x08, 0x202, 0x8f00, 0x10 }, .nframe = 5 },
	{ .name = "a halted vCPU leaves HLT",
	  .set = { { F_CPL, 0 }, { F_CS, 0x08 }, { F_SS, 0x10 }, { F_RSP, 0x8f00 },
		   { F_HALTED, 1 } },
	  .gates = { { 0x20, INTR } }, .vector = 0x20,
	  .expect = { { F_RSP, 0x8f00 - 40 }, { F_RIP, HANDLER(0x20) }, { F_RFLAGS, 0x2 },
		      { F_LAST_VECTOR, 0x20 }, { F_LAST_RIP, URIP }, { F_HALTED, 0 } },
	  .frame_at = 0x8f00 - 40, .frame = { URIP, 0x08, 0x202, 0x8f00, 0x10 }, .nframe = 5 },
	{ .name = "INT 0x80 through a DPL3 gate",
	  .gates = { { 0x80, INTR, 3 } }, .vector = 0x80, .soft = true,
	  .expect = { TO_KERNEL(0x80, RSP0 - 40), { F_RFLAGS, 0x2 } },
	  .frame_at = RSP0 - 40, USER_FRAME(), .nframe = 5 },
	{ .name = "INT 13 (soft) pushes no error code",
	  .gates = { { 13, INTR, 3 } }, .vector = 13, .soft = true, .has_err = true, .err = 7,
	  .expect = { TO_KERNEL(13, RSP0 - 40), { F_RFLAGS, 0x2 } },
	  .frame_at = RSP0 - 40, USER_FRAME(), .nframe = 5 },

	/* ---- NMIs (emu_nmi): IF does not matter, blocking does ---- */
	{ .name = "NMI at cpl0 with IF clear: delivered, ends HLT, blocks NMIs",
	  .set = { { F_CPL, 0 }, { F_CS, 0x08 }, { F_SS, 0x10 }, { F_RSP, 0x8f08 },
		   { F_RIP, 0x7f0000002000ull }, { F_RFLAGS, 0x2 }, { F_HALTED, 1 },
		   { F_NMI_PENDING, 1 } },
	  .gates = { { 2, INTR } }, .nmi = true, .result = 1,
	  .expect = { { F_RSP, 0x8f00 - 40 }, { F_RIP, HANDLER(2) }, { F_LAST_VECTOR, 2 },
		      { F_LAST_RIP, 0x7f0000002000ull }, { F_HALTED, 0 },
		      { F_NMI_PENDING, 0 }, { F_NMI_BLOCKED, 1 } },
	  .frame_at = 0x8f00 - 40,
	  .frame = { 0x7f0000002000ull, 0x08, 0x2, 0x8f08, 0x10 }, .nframe = 5 },
	{ .name = "NMI from cpl3: RSP0 stack, an interrupt's frame, no error code",
	  .set = { { F_NMI_PENDING, 1 } },
	  .gates = { { 2, INTR } }, .nmi = true, .result = 1,
	  .expect = { TO_KERNEL(2, RSP0 - 40), { F_RFLAGS, 0x2 }, { F_NMI_PENDING, 0 },
		      { F_NMI_BLOCKED, 1 } },
	  .frame_at = RSP0 - 40, USER_FRAME(), .nframe = 5 },
	{ .name = "NMI while NMIs are blocked waits, vCPU unchanged",
	  .set = { { F_NMI_PENDING, 1 }, { F_NMI_BLOCKED, 1 } },
	  .gates = { { 2, INTR } }, .nmi = true, .result = 0 },
	{ .name = "NMI in the STI shadow waits",
	  .set = { { F_NMI_PENDING, 1 }, { F_STI_SHADOW, 1 } },
	  .gates = { { 2, INTR } }, .nmi = true, .result = 0 },
	{ .name = "no NMI pending: nothing delivered",
	  .gates = { { 2, INTR } }, .nmi = true, .result = 0 },
	{ .name = "NMI through a not-present gate: #NP delivered, NMIs not blocked",
	  .set = { { F_NMI_PENDING, 1 } },
	  .gates = { { 2, INTR, 0, true }, { 11, INTR } }, .nmi = true, .result = 1,
	  .expect = { TO_KERNEL(11, RSP0 - 48), { F_RFLAGS, 0x2 }, { F_LAST_ERRCODE, 2 * 8 + 3 },
		      { F_NMI_PENDING, 0 } },
	  .frame_at = RSP0 - 48, USER_FRAME(0x13,), .nframe = 6 },
	{ .name = "INT 2 (soft) does not block NMIs",
	  .gates = { { 2, INTR, 3 } }, .vector = X86_EXC_NMI, .soft = true,
	  .expect = { TO_KERNEL(2, RSP0 - 40), { F_RFLAGS, 0x2 } },
	  .frame_at = RSP0 - 40, USER_FRAME(), .nframe = 5 },

	/* ---- Faults during delivery: the second event is delivered ---- */
	{ .name = "INT 0x80 through a DPL0 gate is #GP(0x80*8+2)",
	  .gates = { { 0x80, INTR, 0 }, { 13, INTR } }, .vector = 0x80, .soft = true,
	  .expect = { TO_KERNEL(13, RSP0 - 48), { F_RFLAGS, 0x2 },
		      { F_LAST_ERRCODE, 0x80 * 8 + 2 } },
	  .frame_at = RSP0 - 48, USER_FRAME(0x402,), .nframe = 6 },
	{ .name = "not-present gate is #NP(vec*8+2+EXT)",
	  .gates = { { 6, INTR, 0, true }, { 11, INTR } }, .vector = X86_EXC_UD,
	  .expect = { TO_KERNEL(11, RSP0 - 48), { F_RFLAGS, 0x2 },
		      { F_LAST_ERRCODE, 6 * 8 + 3 } },
	  .frame_at = RSP0 - 48, USER_FRAME(0x33,), .nframe = 6 },
	{ .name = "vector beyond the IDT limit is #GP(vec*8+2+EXT)",
	  .set = { { F_IDTR_LIMIT, 0x1ff } },   /* vectors 0-31 */
	  .gates = { { 13, INTR }, { 0x20, INTR } }, .vector = 0x20, /* gate past the limit */
	  .expect = { TO_KERNEL(13, RSP0 - 48), { F_RFLAGS, 0x2 },
		      { F_LAST_ERRCODE, 0x20 * 8 + 3 } },
	  .frame_at = RSP0 - 48, USER_FRAME(0x103,), .nframe = 6 },
	{ .name = "a call gate in the IDT is #GP(vec*8+2+EXT)",
	  .gates = { { 0x21, CALL }, { 13, INTR } }, .vector = 0x21,
	  .expect = { TO_KERNEL(13, RSP0 - 48), { F_RFLAGS, 0x2 },
		      { F_LAST_ERRCODE, 0x21 * 8 + 3 } },
	  .frame_at = RSP0 - 48, USER_FRAME(0x10b,), .nframe = 6 },
	{ .name = "gate to 32-bit code is #GP(sel+EXT)",
	  .gates = { { 0x22, INTR, 0, false, 0x20 }, { 13, INTR } }, .vector = 0x22,
	  .expect = { TO_KERNEL(13, RSP0 - 48), { F_RFLAGS, 0x2 }, { F_LAST_ERRCODE, 0x21 } },
	  .frame_at = RSP0 - 48, USER_FRAME(0x21,), .nframe = 6 },
	{ .name = "gate to a DPL3 code segment from cpl0 is #GP(sel+EXT)",
	  .set = { { F_CPL, 0 }, { F_CS, 0x08 }, { F_SS, 0x10 }, { F_RSP, 0x8f00 } },
	  .gates = { { 0x22, INTR, 0, false, 0x90 }, { 13, INTR } }, .vector = 0x22,
	  .expect = { { F_RSP, 0x8f00 - 48 }, { F_RIP, HANDLER(13) }, { F_RFLAGS, 0x2 },
		      { F_LAST_VECTOR, 13 }, { F_LAST_RIP, URIP }, { F_LAST_ERRCODE, 0x91 } },
	  .frame_at = 0x8f00 - 48, .frame = { 0x91, URIP, 0x08, 0x202, 0x8f00, 0x10 },
	  .nframe = 6 },
	{ .name = "gate to DPL1 code is #GP(sel+EXT): the vCPU has no rings 1, 2",
	  .gates = { { 0x24, INTR, 0, false, 0x98 }, { 13, INTR } }, .vector = 0x24,
	  .expect = { TO_KERNEL(13, RSP0 - 48), { F_RFLAGS, 0x2 }, { F_LAST_ERRCODE, 0x99 } },
	  .frame_at = RSP0 - 48, USER_FRAME(0x99,), .nframe = 6 },
	{ .name = "gate to a not-present code segment is #NP(sel+EXT)",
	  .gates = { { 0x23, INTR, 0, false, 0x70 }, { 11, INTR } }, .vector = 0x23,
	  .expect = { TO_KERNEL(11, RSP0 - 48), { F_RFLAGS, 0x2 }, { F_LAST_ERRCODE, 0x71 } },
	  .frame_at = RSP0 - 48, USER_FRAME(0x71,), .nframe = 6 },
	{ .name = "benign fault, then #PF on its stack: the #PF is delivered",
	  .absent_lo = 0x6000, .absent_hi = 0x7000,
	  .gates = { { 6, INTR, 0, false, 0, 2 }, { 14, INTR } }, .vector = X86_EXC_UD,
	  .expect = { TO_KERNEL(14, RSP0 - 48), { F_RFLAGS, 0x2 }, { F_LAST_ERRCODE, PFEC_W },
		      { F_CR2, IST2 - 8 } },
	  .frame_at = RSP0 - 48, USER_FRAME(PFEC_W,), .nframe = 6 },

	/* ---- Double and triple faults (SDM Vol. 3 Table 6-5) ---- */
	{ .name = "#PF during the frame push of a #PF is #DF (IST stack), CR2 loaded",
	  .mem = { { TSS + 4, 8, 0x7000 } }, .absent_lo = 0x6000, .absent_hi = 0x7000,
	  .gates = { { 6, INTR }, { 14, INTR }, { 8, INTR, 0, false, 0, 1 } },
	  .vector = X86_EXC_UD,
	  .expect = { TO_KERNEL(8, IST1 - 48), { F_RFLAGS, 0x2 }, { F_LAST_ERRCODE, 0 },
		      { F_CR2, 0x6ff8 } },
	  .frame_at = IST1 - 48, USER_FRAME(0,), .nframe = 6 },
	{ .name = "#GP then #NP (contributory twice) is #DF",
	  .gates = { { 13, INTR, 0, true }, { 8, INTR } },
	  .vector = X86_EXC_GP, .has_err = true, .err = 0,
	  .expect = { TO_KERNEL(8, RSP0 - 48), { F_RFLAGS, 0x2 }, { F_LAST_ERRCODE, 0 } },
	  .frame_at = RSP0 - 48, USER_FRAME(0,), .nframe = 6 },
	{ .name = "#PF then #GP (bad gate type) is #DF",
	  .gates = { { 14, CALL }, { 8, INTR } },
	  .vector = X86_EXC_PF, .has_err = true, .err = PFEC_U, .cr2 = 0x1234,
	  .expect = { TO_KERNEL(8, RSP0 - 48), { F_RFLAGS, 0x2 }, { F_LAST_ERRCODE, 0 },
		      { F_CR2, 0x1234 } },
	  .frame_at = RSP0 - 48, USER_FRAME(0,), .nframe = 6 },
	{ .name = "#UD then #NP (benign first) delivers the #NP, no #DF",
	  .gates = { { 6, INTR, 0, true }, { 11, INTR }, { 8, INTR } }, .vector = X86_EXC_UD,
	  .expect = { TO_KERNEL(11, RSP0 - 48), { F_RFLAGS, 0x2 }, { F_LAST_ERRCODE, 0x33 } },
	  .frame_at = RSP0 - 48, USER_FRAME(0x33,), .nframe = 6 },
	{ .name = "a fault while delivering #DF is a triple fault, vCPU unchanged",
	  .gates = { { 13, INTR, 0, true }, { 8, INTR, 0, true }, { 11, INTR } },
	  .vector = X86_EXC_GP, .has_err = true, .result = EMU_TRIPLE_FAULT },
	{ .name = "no TSS loaded: delivery from cpl3 ends in a triple fault",
	  .set = { { F_TR, 0 }, { F_TR_LIMIT, 0 } },
	  .gates = { { 6, INTR }, { 10, INTR }, { 8, INTR } },
	  .vector = X86_EXC_UD, .result = EMU_TRIPLE_FAULT },
	{ .name = "#PF pushing a #DF frame is a triple fault",
	  .mem = { { TSS + 4, 8, 0x7000 } }, .absent_lo = 0x6000, .absent_hi = 0x7000,
	  .gates = { { 14, INTR }, { 8, INTR } },
	  .vector = X86_EXC_PF, .has_err = true, .cr2 = 0x5555, .result = EMU_TRIPLE_FAULT },
};

/* ---- The row runner ---- */

static void put_le(u8 *mem, u64 la, unsigned len, u64 val)
{
	unsigned i;

	assert_true(la + len <= MEM_SIZE);
	for (i = 0; i < len; i++)
		mem[la + i] = (u8)(val >> (8 * i));
}

/* Encode a 64-bit IDT gate (SDM Vol. 3 Figure 6-8). */
static void gate_install(u8 *mem, const struct gate *g)
{
	u64 off = g->off ? g->off : HANDLER(g->vec);
	u16 sel = g->sel ? g->sel : 0x08;
	u64 lo = (off & 0xffff) | ((u64)sel << 16) | ((u64)g->ist << 32) |
		 ((u64)g->type << 40) | ((u64)g->dpl << 45) | ((u64)!g->absent << 47) |
		 (((off >> 16) & 0xffff) << 48);

	put_le(mem, IDT + g->vec * 16u, 8, lo);
	put_le(mem, IDT + g->vec * 16u + 8, 8, off >> 32);
}

static void inj_row_run(void **state)
{
	const struct inj_row *r = *state;
	struct fake *f = calloc(1, sizeof(*f));
	u8 *want_mem = malloc(MEM_SIZE);
	struct vcpu v, want;
	struct emu_ctxt c;
	unsigned i;
	int rc;

	assert_non_null(f);
	assert_non_null(want_mem);
	vcpu_default(&v);
	for (i = 0; i < 8 && r->set[i].f != F_END; i++)
		field_set(&v, r->set[i].f, r->set[i].val);
	for (i = 0; i < sizeof(gdt_image) / sizeof(gdt_image[0]); i++)
		put_le(f->mem, GDT + gdt_image[i].sel, 8, gdt_image[i].lo);
	put_le(f->mem, TSS + 4, 8, RSP0);
	put_le(f->mem, TSS + 0x24, 8, IST1);
	put_le(f->mem, TSS + 0x2c, 8, IST2);
	for (i = 0; i < 5 && r->gates[i].type; i++)
		gate_install(f->mem, &r->gates[i]);
	for (i = 0; i < 3 && r->mem[i].len; i++)
		put_le(f->mem, r->mem[i].la, r->mem[i].len, r->mem[i].val);
	f->absent_lo = r->absent_lo;
	f->absent_hi = r->absent_hi;

	want = v;
	memcpy(want_mem, f->mem, MEM_SIZE);
	for (i = 0; i < 12 && r->expect[i].f != F_END; i++)
		field_set(&want, r->expect[i].f, r->expect[i].val);
	for (i = 0; i < r->nframe; i++)
		put_le(want_mem, r->frame_at + 8 * i, 8, r->frame[i]);

	memset(&c, 0, sizeof(c));
	c.vcpu = &v;
	c.ops = &fake_ops;
	c.opaque = f;
	c.exc.cr2 = r->cr2;
	rc = r->nmi ? emu_nmi(&c) : emu_inject(&c, r->vector, r->has_err, r->err, r->soft);
	if (rc != r->result)
		fail_msg("%s: result %d, expected %d (last fault %u errcode %#x)",
			 r->name, rc, r->result, c.exc.vector, c.exc.errcode);
	for (i = F_RSP; i < F_COUNT; i++) {
		u64 got = field_get(&v, i), exp = field_get(&want, i);

		if (got != exp)
			fail_msg("%s: %s = %#llx, expected %#llx", r->name, field_name[i],
				 (unsigned long long)got, (unsigned long long)exp);
	}
	/* The fields the table does not name must not move either. */
	for (i = 0; i < 16; i++)
		if (i != R_RSP)
			assert_int_equal(v.gpr[i], want.gpr[i]);
	assert_memory_equal(v.seg + SEG_DS, want.seg + SEG_DS, 3 * sizeof(u16));
	assert_int_equal(v.seg[SEG_ES], want.seg[SEG_ES]);
	for (i = 0; i < MEM_SIZE; i++)
		if (f->mem[i] != want_mem[i])
			fail_msg("%s: memory at %#x = %#x, expected %#x", r->name, i,
				 f->mem[i], want_mem[i]);
	free(want_mem);
	free(f);
}

/*
 * NMI blocking lasts until IRETQ: an NMI taken at CPL 0 with IF clear, a
 * second one raised inside its handler waits, through an IRETQ that
 * faults too; the handler's IRETQ (emulated, from the frame the NMI
 * pushed) returns to the interrupted code and the waiting NMI is taken.
 */
#define NMI_HANDLER 0x3000ull     /* the gate's target: an IRETQ */

static void test_nmi_blocked_until_iretq(void **state)
{
	static const struct gate nmi_gate = { .vec = 2, .type = INTR, .off = NMI_HANDLER };
	struct fake *f = calloc(1, sizeof(*f));
	struct vcpu v;
	struct emu_ctxt c = { .vcpu = &v, .ops = &fake_ops, .opaque = f };
	unsigned i;

	assert_non_null(f);
	vcpu_default(&v);
	v.cpl = 0;
	v.seg[SEG_CS] = 0x08;
	v.seg[SEG_SS] = 0x10;
	v.gpr[R_RSP] = 0x8f00;
	v.rip = 0x7f0000002000ull;
	v.rflags = X86_RFLAGS_FIXED;              /* cli; jmp . */
	for (i = 0; i < sizeof(gdt_image) / sizeof(gdt_image[0]); i++)
		put_le(f->mem, GDT + gdt_image[i].sel, 8, gdt_image[i].lo);
	gate_install(f->mem, &nmi_gate);
	put_le(f->mem, NMI_HANDLER, 2, 0xcf48);   /* iretq */

	v.nmi_pending = true;
	assert_int_equal(emu_nmi(&c), 1);
	assert_int_equal(v.rip, NMI_HANDLER);
	assert_int_equal(v.gpr[R_RSP], 0x8f00 - 40);
	assert_true(v.nmi_blocked);
	assert_false(v.nmi_pending);

	/* The watchdog fires again inside the handler: it waits. */
	v.nmi_pending = true;
	assert_int_equal(emu_nmi(&c), 0);
	assert_int_equal(v.rip, NMI_HANDLER);

	/* An IRETQ that faults (NT set: #GP(0)) does not unblock. */
	v.rflags |= X86_RFLAGS_NT;
	assert_int_equal(emu_step(&c), EMU_EXCEPTION);
	assert_int_equal(c.exc.vector, X86_EXC_GP);
	assert_true(v.nmi_blocked);
	assert_int_equal(emu_nmi(&c), 0);
	v.rflags &= ~X86_RFLAGS_NT;

	/* The handler's IRETQ: back where the NMI struck, IF still clear. */
	assert_int_equal(emu_step(&c), EMU_OK);
	assert_int_equal(v.rip, 0x7f0000002000ull);
	assert_int_equal(v.gpr[R_RSP], 0x8f00);
	assert_int_equal(v.rflags, X86_RFLAGS_FIXED);
	assert_false(v.nmi_blocked);

	/* Now the waiting NMI is taken. */
	assert_int_equal(emu_nmi(&c), 1);
	assert_int_equal(v.rip, NMI_HANDLER);
	assert_true(v.nmi_blocked);
	assert_false(v.nmi_pending);
	free(f);
}

static void test_has_errcode(void **state)
{
	static const unsigned with[] = { 8, 10, 11, 12, 13, 14, 17, 21, 29, 30 };
	unsigned v, i;

	for (v = 0; v < 256; v++) {
		bool want = false;

		for (i = 0; i < sizeof(with) / sizeof(with[0]); i++)
			want |= with[i] == v;
		if (x86_has_errcode(v) != want)
			fail_msg("x86_has_errcode(%u) = %d", v, !want);
	}
}

int main(void)
{
	static const struct CMUnitTest other[] = {
		cmocka_unit_test(test_has_errcode),
		cmocka_unit_test(test_nmi_blocked_until_iretq),
	};
	size_t n = sizeof(inj_rows) / sizeof(inj_rows[0]), i;
	struct CMUnitTest *rows = calloc(n, sizeof(*rows));
	int failed;

	if (!rows)
		return 1;
	for (i = 0; i < n; i++) {
		rows[i].name = inj_rows[i].name;
		rows[i].test_func = inj_row_run;
		rows[i].initial_state = (void *)(uintptr_t)&inj_rows[i];
	}
	failed = _cmocka_run_group_tests("emu_inject rows", rows, n, NULL, NULL);
	failed += cmocka_run_group_tests_name("injection helpers", other, NULL, NULL);
	free(rows);
	return failed != 0;
}
