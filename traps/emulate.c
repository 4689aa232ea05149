/*
 * traps/emulate.c: the instruction emulator (in the style of Xen's
 * x86_emulate and KVM's em_* handlers).
 *
 * The guest kernel runs in host ring 3, so every privileged instruction it
 * executes faults in the host.  emu_step() fetches the instruction at the
 * virtual RIP through ops->read(EMU_FETCH), decodes it with Zydis (64-bit
 * mode only: the vCPU offers no compatibility mode), and dispatches through
 * em_table[], one small em_<mnemonic>() per instruction, against the struct
 * vcpu.  Every handler first checks everything that can fault (privilege,
 * operands, memory reads) and only then commits, so EMU_EXCEPTION and
 * EMU_UNHANDLEABLE leave the vCPU as it was.  Memory, ports, TLB and CPUID
 * go through the emu_ops callbacks, so the unit tests run this file on a
 * flat fake memory with no traced process.
 *
 * Semantics follow the Intel SDM Vol. 2 pseudocode for 64-bit mode; the
 * places where the vCPU deliberately differs from a real CPU are marked
 * "vCPU:" below.
 */
#include <stdio.h>
#include <string.h>

#include <Zydis/Zydis.h>

#include "traps.h"

/* The decoded instruction, as the em_* handlers see it. */
struct insn {
	ZydisDecodedInstruction zi;                        /* Zydis decode */
	ZydisDecodedOperand op[ZYDIS_MAX_OPERAND_COUNT];   /* its operands */
	u64 next_rip;   /* RIP after it; a handler that jumps overwrites it */
};

typedef enum emu_result (*em_fn)(struct emu_ctxt *c, struct insn *in);

/* ---- Helpers: exceptions, registers, operands ---- */

/* Fill c->exc with a hardware exception and return EMU_EXCEPTION. */
static enum emu_result raise_exc(struct emu_ctxt *c, u8 vector, u32 errcode)
{
	memset(&c->exc, 0, sizeof(c->exc));
	c->exc.vector = vector;
	c->exc.has_errcode = x86_has_errcode(vector);
	c->exc.errcode = c->exc.has_errcode ? errcode : 0;
	return EMU_EXCEPTION;
}

/* The one-line privilege and validity guard of every handler. */
#define raise_if(cond, vector, errcode) \
	do { if (cond) return raise_exc(c, (vector), (errcode)); } while (0)

/* A callback (memory, port) failed: it has filled c->exc, just propagate. */
#define try_cb(call) \
	do { if ((call) != 0) return EMU_EXCEPTION; } while (0)

#define EMU_PROPAGATE(expr) \
	do { enum emu_result rc_ = (expr); if (rc_ != EMU_OK) return rc_; } while (0)

static unsigned iopl(const struct vcpu *v)
{
	return (v->rflags >> 12) & 3;
}

static bool long_mode(const struct vcpu *v)
{
	return v->efer & X86_EFER_LMA;
}

/*
 * Map a Zydis general register to (gpr index, bit shift, width in bits).
 * Returns false for anything that is not a general register.
 */
static bool gpr_of(ZydisRegister r, unsigned *idx, unsigned *shift, unsigned *width)
{
	ZydisRegisterClass cls = ZydisRegisterGetClass(r);

	if (cls != ZYDIS_REGCLASS_GPR8 && cls != ZYDIS_REGCLASS_GPR16 &&
	    cls != ZYDIS_REGCLASS_GPR32 && cls != ZYDIS_REGCLASS_GPR64)
		return false;
	*idx = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r) -
	       ZYDIS_REGISTER_RAX;
	/* AH..BH are bits 15:8 of RAX..RBX (only without REX). */
	*shift = (r >= ZYDIS_REGISTER_AH && r <= ZYDIS_REGISTER_BH) ? 8 : 0;
	*width = ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LONG_64, r);
	return *idx < 16;
}

static u64 width_mask(unsigned bits)
{
	return bits >= 64 ? ~0ull : (1ull << bits) - 1;
}

/* Value of a general register operand (zero-extended). */
static u64 reg_read(const struct vcpu *v, ZydisRegister r)
{
	unsigned idx, shift, width;

	if (!gpr_of(r, &idx, &shift, &width))
		return 0;
	return (v->gpr[idx] >> shift) & width_mask(width);
}

/* Write a general register with the 64-bit mode rules: a 32-bit write
 * zero-extends to 64 bits, 8- and 16-bit writes merge (SDM Vol. 1 3.4.1.1). */
static void reg_write(struct vcpu *v, ZydisRegister r, u64 val)
{
	unsigned idx, shift, width;
	u64 mask;

	if (!gpr_of(r, &idx, &shift, &width))
		return;
	if (width == 32) {
		v->gpr[idx] = (u32)val;
		return;
	}
	mask = width_mask(width) << shift;
	v->gpr[idx] = (v->gpr[idx] & ~mask) | ((val << shift) & mask);
}

/*
 * Effective linear address of a memory operand: base + index*scale + disp
 * (RIP-relative to the next instruction), truncated to 32 bits under a 67
 * prefix, plus the FS/GS base for those overrides (the only segments with a
 * base in 64-bit mode).  No canonical check: see mem_la().
 */
static u64 operand_ea(const struct vcpu *v, const struct insn *in,
		      const ZydisDecodedOperand *op)
{
	u64 ea = (u64)op->mem.disp.value;

	if (op->mem.base == ZYDIS_REGISTER_RIP || op->mem.base == ZYDIS_REGISTER_EIP)
		ea += in->next_rip;
	else if (op->mem.base != ZYDIS_REGISTER_NONE)
		ea += reg_read(v, op->mem.base);
	if (op->mem.index != ZYDIS_REGISTER_NONE)
		ea += reg_read(v, op->mem.index) * op->mem.scale;
	if (in->zi.address_width == 32)
		ea = (u32)ea;
	if (op->mem.segment == ZYDIS_REGISTER_FS)
		ea += v->fs_base;
	else if (op->mem.segment == ZYDIS_REGISTER_GS)
		ea += v->gs_base;
	return ea;
}

/* Linear address of a memory operand that is accessed: a non-canonical
 * address is #SS(0) for stack references, #GP(0) otherwise (SDM 3.3.7.1). */
static enum emu_result mem_la(struct emu_ctxt *c, const struct insn *in,
			      const ZydisDecodedOperand *op, u64 *la)
{
	*la = operand_ea(c->vcpu, in, op);
	raise_if(!X86_CANONICAL(*la),
		 op->mem.segment == ZYDIS_REGISTER_SS ? X86_EXC_SS : X86_EXC_GP, 0);
	return EMU_OK;
}

/* Read an r/m operand of up to 8 bytes (register or memory at the CPL). */
static enum emu_result operand_read(struct emu_ctxt *c, const struct insn *in,
				    const ZydisDecodedOperand *op, u64 *val)
{
	u64 la;

	*val = 0;
	if (op->type == ZYDIS_OPERAND_TYPE_REGISTER) {
		*val = reg_read(c->vcpu, op->reg.value);
		return EMU_OK;
	}
	if (op->type != ZYDIS_OPERAND_TYPE_MEMORY || op->size > 64)
		return EMU_UNHANDLEABLE;
	EMU_PROPAGATE(mem_la(c, in, op, &la));
	try_cb(c->ops->read(c, la, val, op->size / 8, EMU_READ));
	return EMU_OK;
}

int emu_read_desc(struct emu_ctxt *c, u16 sel, u64 *desc)
{
	u64 off = sel & ~7u;

	/* vCPU: there is no LDT (LLDT accepts only a null selector), so a
	 * TI=1 selector is beyond the (empty) LDT's limit. */
	if ((sel & 4) || off + 7 > c->vcpu->gdtr.limit)
		return 1;
	return c->ops->read(c, c->vcpu->gdtr.base + off, desc, 8, EMU_READ_SYS);
}

/* ---- Fetch and decode ---- */

static void decoder_init(ZydisDecoder *dec)
{
	ZydisDecoderInit(dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
}

/*
 * Fetch up to 15 bytes at RIP and decode them into *in.  When the 15-byte
 * fetch faults because a later page is absent, fetch only up to the end of
 * RIP's page and raise the fault only if the decoder needs the bytes beyond
 * (so an instruction that ends right at the edge of a mapping still runs).
 * Returns EMU_OK, EMU_EXCEPTION (fetch fault, or #UD below), or
 * EMU_UNHANDLEABLE for other bytes Zydis cannot decode (the caller then
 * reflects the host's own trap).
 */
static enum emu_result fetch_decode(struct emu_ctxt *c, const ZydisDecoder *dec,
				    struct insn *in)
{
	const struct vcpu *v = c->vcpu;
	unsigned n = sizeof(c->insn);
	unsigned to_page_end = 0x1000 - (unsigned)(v->rip & 0xfff);
	bool truncated = false;
	struct emu_exception full_fault;
	ZyanStatus st;
	u8 buf[15], b;

	memset(buf, 0, sizeof(buf));
	if (c->ops->read(c, v->rip, buf, n, EMU_FETCH) != 0) {
		if (to_page_end >= n)
			return EMU_EXCEPTION;
		full_fault = c->exc;
		n = to_page_end;
		try_cb(c->ops->read(c, v->rip, buf, n, EMU_FETCH));
		truncated = true;
	}
	memcpy(c->insn, buf, n);
	st = ZydisDecoderDecodeFull(dec, buf, n, &in->zi, in->op);
	if (st == ZYDIS_STATUS_NO_MORE_DATA && truncated) {
		/* The instruction continues on the next page: fault on its
		 * first byte, so that CR2 names the absent page exactly. */
		if (c->ops->read(c, v->rip + n, &b, 1, EMU_FETCH) != 0)
			return EMU_EXCEPTION;
		c->exc = full_fault;
		return EMU_EXCEPTION;
	}
	/* A LOCK on an instruction that takes none (SDM Vol. 2 2.1.1), and
	 * a ModRM.reg naming no register (MOV CR1/CR5-7/CR9-15, MOV to CS or
	 * Sreg 6-7: SDM MOV, "#UD If an attempt is made to access CR1...")
	 * are #UD whatever the instruction. */
	if (st == ZYDIS_STATUS_ILLEGAL_LOCK || st == ZYDIS_STATUS_BAD_REGISTER)
		return raise_exc(c, X86_EXC_UD, 0);
	if (!ZYAN_SUCCESS(st))
		return EMU_UNHANDLEABLE;
	memset(c->insn + in->zi.length, 0, sizeof(c->insn) - in->zi.length);
	in->next_rip = v->rip + in->zi.length;
	c->insn_len = in->zi.length;
	c->mnemonic = in->zi.mnemonic;
	return EMU_OK;
}

/* ---- Interrupt flag, HLT ---- */

/* CLI/STI: with no VME/PVI, CPL > IOPL is #GP(0) (SDM CLI/STI). */
static enum emu_result em_cli(struct emu_ctxt *c, struct insn *in)
{
	struct vcpu *v = c->vcpu;

	raise_if(v->cpl > iopl(v), X86_EXC_GP, 0);
	v->rflags &= ~X86_RFLAGS_IF;
	return EMU_OK;
}

/* STI: interrupts stay blocked until after the next instruction, but only
 * when IF was 0 (SDM STI). */
static enum emu_result em_sti(struct emu_ctxt *c, struct insn *in)
{
	struct vcpu *v = c->vcpu;

	raise_if(v->cpl > iopl(v), X86_EXC_GP, 0);
	if (!(v->rflags & X86_RFLAGS_IF))
		v->sti_shadow = true;
	v->rflags |= X86_RFLAGS_IF;
	return EMU_OK;
}

static enum emu_result em_hlt(struct emu_ctxt *c, struct insn *in)
{
	raise_if(c->vcpu->cpl != 0, X86_EXC_GP, 0);
	c->vcpu->halted = true;
	return EMU_HALT;
}

/* ---- Port I/O ---- */

/* Port of IN/OUT: imm8 or DX. */
static u16 io_port(const struct vcpu *v, const ZydisDecodedOperand *op)
{
	if (op->type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
		return (u16)(op->imm.value.u & 0xff);
	return (u16)reg_read(v, op->reg.value);
}

/*
 * IN AL/AX/EAX, imm8|DX.  vCPU: there is no TSS I/O permission bitmap, so
 * CPL > IOPL is always #GP(0) (SDM IN: the bitmap is consulted only then).
 * AL/AX writes merge into RAX; EAX zero-extends (reg_write).
 */
static enum emu_result em_in(struct emu_ctxt *c, struct insn *in)
{
	struct vcpu *v = c->vcpu;
	const ZydisDecodedOperand *dst = &in->op[0];
	u32 val = 0;

	raise_if(v->cpl > iopl(v), X86_EXC_GP, 0);
	try_cb(c->ops->pio_in(c, io_port(v, &in->op[1]), dst->size / 8, &val));
	reg_write(v, dst->reg.value, val);
	return EMU_OK;
}

static enum emu_result em_out(struct emu_ctxt *c, struct insn *in)
{
	struct vcpu *v = c->vcpu;
	const ZydisDecodedOperand *src = &in->op[1];

	raise_if(v->cpl > iopl(v), X86_EXC_GP, 0);
	try_cb(c->ops->pio_out(c, io_port(v, &in->op[0]), src->size / 8,
				(u32)reg_read(v, src->reg.value)));
	return EMU_OK;
}

/* ---- Control registers ---- */

#define CR0_VALID (X86_CR0_PE | X86_CR0_MP | X86_CR0_EM | X86_CR0_TS | \
		   X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_AM | \
		   X86_CR0_NW | X86_CR0_CD | X86_CR0_PG)

/* CR4 bits this vCPU offers.  Not offered, so #GP(0) when set: VME and PVI
 * (virtual-8086 and virtual interrupts: not emulated), UMIP, LA57, VMXE,
 * SMXE, PCIDE, SMEP, SMAP, PKE, and every later bit (CET, PKS, ...). */
#define X86_CR4_VALID ((1ull << 2) /* TSD */ | (1ull << 3) /* DE */ | \
		       X86_CR4_PSE | X86_CR4_PAE | (1ull << 6) /* MCE */ | \
		       X86_CR4_PGE | (1ull << 8) /* PCE */ | X86_CR4_OSFXSR | \
		       X86_CR4_OSXMMEXCPT | X86_CR4_FSGSBASE | X86_CR4_OSXSAVE)
#define X86_CR4_TSD (1ull << 2)

static u64 *cr_field(struct vcpu *v, int n)
{
	switch (n) {
	case 0: return &v->cr0;
	case 2: return &v->cr2;
	case 3: return &v->cr3;
	case 4: return &v->cr4;
	default: return NULL;
	}
}

/* MOV r64, CRn (0F 20): CPL 0 only; CR8 reads the TPR. */
static enum emu_result mov_from_cr(struct emu_ctxt *c, int n, ZydisRegister dst)
{
	struct vcpu *v = c->vcpu;
	u64 *cr = cr_field(v, n);

	raise_if(n != 8 && !cr, X86_EXC_UD, 0);
	raise_if(v->cpl != 0, X86_EXC_GP, 0);
	reg_write(v, dst, n == 8 ? v->tpr : *cr);
	return EMU_OK;
}

/*
 * MOV CRn, r64 (0F 22).  The checks are those of SDM MOV CR and Vol. 3
 * 2.5: reserved bits are #GP(0), and long mode cannot be left by clearing
 * CR0.PG (it must be done from compatibility mode, which is not offered)
 * or CR4.PAE.  Then ops->cr_written() lets the VM flush or switch shadows.
 */
static enum emu_result mov_to_cr(struct emu_ctxt *c, int n, u64 val)
{
	struct vcpu *v = c->vcpu;
	u64 *cr = cr_field(v, n);
	u64 old;

	raise_if(n != 8 && !cr, X86_EXC_UD, 0);
	raise_if(v->cpl != 0, X86_EXC_GP, 0);
	switch (n) {
	case 0:
		raise_if(val >> 32, X86_EXC_GP, 0);
		/* Reserved bits 31:0 are ignored, ET is hardwired to 1 on
		 * every CPU since the i486DX (SDM Vol. 3 2.5). */
		val = (val & CR0_VALID) | X86_CR0_ET;
		raise_if((val & X86_CR0_PG) && !(val & X86_CR0_PE), X86_EXC_GP, 0);
		raise_if((val & X86_CR0_NW) && !(val & X86_CR0_CD), X86_EXC_GP, 0);
		raise_if(long_mode(v) && !(val & X86_CR0_PG), X86_EXC_GP, 0);
		break;
	case 3:
		/* vCPU: bits 63:52 are reserved (no PCID, so bit 63 too);
		 * physical-address bits above RAM are the shadow's concern. */
		raise_if(val >> 52, X86_EXC_GP, 0);
		break;
	case 4:
		raise_if(val & ~X86_CR4_VALID, X86_EXC_GP, 0);
		raise_if(long_mode(v) && !(val & X86_CR4_PAE), X86_EXC_GP, 0);
		break;
	case 8:
		/* CR8 bits 63:4 are reserved (SDM Vol. 3 10.8.6.1). */
		raise_if(val & ~0xfull, X86_EXC_GP, 0);
		old = v->tpr;
		v->tpr = (u8)val;
		if (c->ops->cr_written)
			c->ops->cr_written(c, n, old);
		return EMU_OK;
	}
	old = *cr;
	*cr = val;
	if (c->ops->cr_written)
		c->ops->cr_written(c, n, old);
	return EMU_OK;
}

/* CLTS: clear CR0.TS (CPL 0). */
static enum emu_result em_clts(struct emu_ctxt *c, struct insn *in)
{
	struct vcpu *v = c->vcpu;
	u64 old = v->cr0;

	raise_if(v->cpl != 0, X86_EXC_GP, 0);
	v->cr0 &= ~X86_CR0_TS;
	if (c->ops->cr_written)
		c->ops->cr_written(c, 0, old);
	return EMU_OK;
}

/* ---- Segment registers and descriptor tables ---- */

/*
 * MOV Sreg, r/m16 (8E) in 64-bit mode, SDM MOV "64-Bit Mode Exceptions":
 * a null selector is allowed except in SS at CPL 3 (or with RPL != CPL);
 * otherwise the GDT descriptor must be a present data segment (SS: a
 * writable one with RPL = DPL = CPL; DS/ES/FS/GS: data or readable code
 * with max(CPL, RPL) <= DPL unless conforming).  For FS/GS the 32-bit
 * descriptor base becomes fs_base/gs_base.  vCPU: a null selector leaves
 * the FS/GS base unchanged (pre-Zen-3 AMD behaviour; Intel zeroes it), and
 * the descriptor's accessed bit is not set.  An SS load blocks interrupts
 * for one instruction (SDM MOV: "MOV SS inhibits interrupts").
 */
static enum emu_result load_sreg(struct emu_ctxt *c, int seg, u16 sel)
{
	struct vcpu *v = c->vcpu;
	unsigned rpl = sel & 3, dpl, type;
	u64 d = 0;
	int r;

	if ((sel & ~3u) == 0) {
		raise_if(seg == SEG_SS && (v->cpl == 3 || rpl != v->cpl), X86_EXC_GP, 0);
		goto commit;
	}
	r = emu_read_desc(c, sel, &d);
	if (r < 0)
		return EMU_EXCEPTION;
	raise_if(r > 0, X86_EXC_GP, sel & ~3u);
	dpl = X86_DESC_DPL(d);
	type = X86_DESC_TYPE(d);
	raise_if(!X86_DESC_S(d), X86_EXC_GP, sel & ~3u);
	if (seg == SEG_SS) {
		raise_if(rpl != v->cpl || dpl != v->cpl, X86_EXC_GP, sel & ~3u);
		raise_if((type & X86_DESC_CODE) || !(type & X86_DESC_WRITABLE),
			 X86_EXC_GP, sel & ~3u);
		raise_if(!X86_DESC_P(d), X86_EXC_SS, sel & ~3u);
	} else {
		bool code = type & X86_DESC_CODE;

		raise_if(code && !(type & X86_DESC_WRITABLE), X86_EXC_GP, sel & ~3u);
		raise_if((!code || !(type & X86_DESC_CONFORMING)) &&
			 (rpl > dpl || v->cpl > dpl), X86_EXC_GP, sel & ~3u);
		raise_if(!X86_DESC_P(d), X86_EXC_NP, sel & ~3u);
	}
	if (seg == SEG_FS)
		v->fs_base = X86_DESC_BASE32(d);
	else if (seg == SEG_GS)
		v->gs_base = X86_DESC_BASE32(d);
commit:
	v->seg[seg] = sel;
	if (seg == SEG_SS)
		v->sti_shadow = true;
	return EMU_OK;
}

/*
 * MOV: only the forms that trap are emulated (to/from CRn, to Sreg); every
 * other MOV is UNHANDLEABLE (a MOV that faulted on memory is the shadow
 * pager's business, not ours).
 */
static enum emu_result em_mov(struct emu_ctxt *c, struct insn *in)
{
	const ZydisDecodedOperand *dst = &in->op[0], *src = &in->op[1];
	u64 val;

	if (dst->type == ZYDIS_OPERAND_TYPE_REGISTER &&
	    ZydisRegisterGetClass(dst->reg.value) == ZYDIS_REGCLASS_CONTROL) {
		return mov_to_cr(c, dst->reg.value - ZYDIS_REGISTER_CR0,
				 reg_read(c->vcpu, src->reg.value));
	}
	if (src->type == ZYDIS_OPERAND_TYPE_REGISTER &&
	    ZydisRegisterGetClass(src->reg.value) == ZYDIS_REGCLASS_CONTROL)
		return mov_from_cr(c, src->reg.value - ZYDIS_REGISTER_CR0, dst->reg.value);
	if (dst->type == ZYDIS_OPERAND_TYPE_REGISTER &&
	    ZydisRegisterGetClass(dst->reg.value) == ZYDIS_REGCLASS_SEGMENT) {
		int seg = dst->reg.value - ZYDIS_REGISTER_ES;   /* same order as SEG_* */

		raise_if(seg == SEG_CS, X86_EXC_UD, 0);
		EMU_PROPAGATE(operand_read(c, in, src, &val));
		return load_sreg(c, seg, (u16)val);
	}
	return EMU_UNHANDLEABLE;
}

/* LGDT/LIDT m16&64: 2-byte limit then 8-byte base, whatever the operand
 * size in 64-bit mode.  A non-canonical base is refused with #GP(0), as KVM
 * does, so that no later descriptor access can go to a non-canonical address. */
static enum emu_result load_dtr(struct emu_ctxt *c, struct insn *in, struct dtr *dt)
{
	u8 buf[10];
	u64 la, base;
	u16 limit;

	raise_if(c->vcpu->cpl != 0, X86_EXC_GP, 0);
	if (in->op[0].type != ZYDIS_OPERAND_TYPE_MEMORY)
		return raise_exc(c, X86_EXC_UD, 0);
	EMU_PROPAGATE(mem_la(c, in, &in->op[0], &la));
	try_cb(c->ops->read(c, la, buf, sizeof(buf), EMU_READ));
	memcpy(&limit, buf, 2);
	memcpy(&base, buf + 2, 8);
	raise_if(!X86_CANONICAL(base), X86_EXC_GP, 0);
	dt->limit = limit;
	dt->base = base;
	return EMU_OK;
}

static enum emu_result em_lgdt(struct emu_ctxt *c, struct insn *in)
{
	return load_dtr(c, in, &c->vcpu->gdtr);
}

static enum emu_result em_lidt(struct emu_ctxt *c, struct insn *in)
{
	return load_dtr(c, in, &c->vcpu->idtr);
}

#define X86_SYS_TSS64_AVAIL 0x9
#define X86_SYS_TSS64_BUSY  0xb

/*
 * LTR r/m16 (SDM LTR, 64-bit mode): the selector must name, in the GDT, a
 * present available 64-bit TSS (a 16-byte descriptor whose upper type field
 * is 0).  The CPU then marks it busy in memory (type 11), so a second LTR
 * of it faults: we write the type byte back with EMU_WRITE_SYS before
 * committing TR.
 */
static enum emu_result em_ltr(struct emu_ctxt *c, struct insn *in)
{
	struct vcpu *v = c->vcpu;
	u64 val, d[2], off, base, limit;
	u16 sel;
	u8 access;

	raise_if(v->cpl != 0, X86_EXC_GP, 0);
	EMU_PROPAGATE(operand_read(c, in, &in->op[0], &val));
	sel = (u16)val;
	off = sel & ~7u;
	raise_if(off == 0 && !(sel & 4), X86_EXC_GP, 0);
	raise_if((sel & 4) || off + 15 > v->gdtr.limit, X86_EXC_GP, sel & ~3u);
	try_cb(c->ops->read(c, v->gdtr.base + off, d, 16, EMU_READ_SYS));
	raise_if(X86_DESC_S(d[0]) || X86_DESC_TYPE(d[0]) != X86_SYS_TSS64_AVAIL,
		 X86_EXC_GP, sel & ~3u);
	raise_if(((d[1] >> 40) & 0x1f) != 0, X86_EXC_GP, sel & ~3u);
	raise_if(!X86_DESC_P(d[0]), X86_EXC_NP, sel & ~3u);
	base = X86_DESC_BASE32(d[0]) | (d[1] << 32);
	raise_if(!X86_CANONICAL(base), X86_EXC_GP, sel & ~3u);
	limit = (d[0] & 0xffff) | (((d[0] >> 48) & 0xf) << 16);
	if (X86_DESC_G(d[0]))
		limit = (limit << 12) | 0xfff;
	access = (u8)(d[0] >> 40);
	access = (access & 0xf0) | X86_SYS_TSS64_BUSY;
	try_cb(c->ops->write(c, v->gdtr.base + off + 5, &access, 1, EMU_WRITE_SYS));
	v->tr = sel;
	v->tr_base = base;
	v->tr_limit = (u32)limit;
	return EMU_OK;
}

/* LLDT r/m16.  vCPU: no LDT is supported, so only a null selector (which
 * marks LDTR invalid, SDM LLDT) is emulated; any other is UNHANDLEABLE. */
static enum emu_result em_lldt(struct emu_ctxt *c, struct insn *in)
{
	u64 val;

	raise_if(c->vcpu->cpl != 0, X86_EXC_GP, 0);
	EMU_PROPAGATE(operand_read(c, in, &in->op[0], &val));
	if ((val & 0xfffc) != 0)
		return EMU_UNHANDLEABLE;
	c->vcpu->ldtr = (u16)val;
	return EMU_OK;
}

/* ---- MSRs, TSC ---- */

#define EFER_WRITABLE (X86_EFER_SCE | X86_EFER_LME | X86_EFER_NXE)

static u64 guest_tsc(struct emu_ctxt *c)
{
	return c->ops->host_tsc(c) + (u64)c->vcpu->tsc_offset;
}

/* Value of MSR 'idx', or #GP(0) for an MSR this vCPU does not have. */
static enum emu_result msr_read(struct emu_ctxt *c, u32 idx, u64 *val)
{
	const struct vcpu *v = c->vcpu;

	switch (idx) {
	case MSR_EFER:           *val = v->efer; break;
	case MSR_STAR:           *val = v->star; break;
	case MSR_LSTAR:          *val = v->lstar; break;
	case MSR_CSTAR:          *val = v->cstar; break;
	case MSR_SFMASK:         *val = v->sfmask; break;
	case MSR_FS_BASE:        *val = v->fs_base; break;
	case MSR_GS_BASE:        *val = v->gs_base; break;
	case MSR_KERNEL_GS_BASE: *val = v->kernel_gs_base; break;
	case MSR_TSC:            *val = guest_tsc(c); break;
	default:
		return raise_exc(c, X86_EXC_GP, 0);
	}
	return EMU_OK;
}

/*
 * Write MSR 'idx' after its checks (SDM Vol. 4 and WRMSR): EFER keeps LMA
 * (read-only: the written bit is ignored), only SCE/LME/NXE are writable
 * and LME cannot change while paging is on; addresses that the CPU will
 * jump to or use as a base must be canonical; IA32_FMASK bits 63:32 are
 * reserved; writing the TSC moves the guest's offset from the host TSC.
 */
static enum emu_result msr_write(struct emu_ctxt *c, u32 idx, u64 val)
{
	struct vcpu *v = c->vcpu;

	switch (idx) {
	case MSR_EFER:
		raise_if(val & ~(EFER_WRITABLE | X86_EFER_LMA), X86_EXC_GP, 0);
		raise_if((v->cr0 & X86_CR0_PG) &&
			 ((val ^ v->efer) & X86_EFER_LME), X86_EXC_GP, 0);
		v->efer = (val & EFER_WRITABLE) | (v->efer & X86_EFER_LMA);
		break;
	case MSR_STAR:
		v->star = val;
		break;
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_KERNEL_GS_BASE:
		raise_if(!X86_CANONICAL(val), X86_EXC_GP, 0);
		if (idx == MSR_LSTAR)
			v->lstar = val;
		else if (idx == MSR_CSTAR)
			v->cstar = val;
		else if (idx == MSR_FS_BASE)
			v->fs_base = val;
		else if (idx == MSR_GS_BASE)
			v->gs_base = val;
		else
			v->kernel_gs_base = val;
		break;
	case MSR_SFMASK:
		raise_if(val >> 32, X86_EXC_GP, 0);
		v->sfmask = val;
		break;
	case MSR_TSC:
		v->tsc_offset = (s64)(val - c->ops->host_tsc(c));
		break;
	default:
		return raise_exc(c, X86_EXC_GP, 0);
	}
	return EMU_OK;
}

/* Set EDX:EAX = val, zero-extending both halves (SDM RDMSR/RDTSC). */
static void set_edx_eax(struct vcpu *v, u64 val)
{
	v->gpr[R_RAX] = (u32)val;
	v->gpr[R_RDX] = val >> 32;
}

static enum emu_result em_rdmsr(struct emu_ctxt *c, struct insn *in)
{
	struct vcpu *v = c->vcpu;
	u64 val;

	raise_if(v->cpl != 0, X86_EXC_GP, 0);
	EMU_PROPAGATE(msr_read(c, (u32)v->gpr[R_RCX], &val));
	set_edx_eax(v, val);
	return EMU_OK;
}

static enum emu_result em_wrmsr(struct emu_ctxt *c, struct insn *in)
{
	struct vcpu *v = c->vcpu;

	raise_if(v->cpl != 0, X86_EXC_GP, 0);
	return msr_write(c, (u32)v->gpr[R_RCX],
			 (v->gpr[R_RDX] << 32) | (u32)v->gpr[R_RAX]);
}

/* RDTSC: the host makes it trap (PR_TSC_SIGSEGV) so that the guest sees
 * host TSC + offset.  CR4.TSD restricts it to CPL 0 (SDM RDTSC). */
static enum emu_result em_rdtsc(struct emu_ctxt *c, struct insn *in)
{
	struct vcpu *v = c->vcpu;

	raise_if((v->cr4 & X86_CR4_TSD) && v->cpl > 0, X86_EXC_GP, 0);
	set_edx_eax(v, guest_tsc(c));
	return EMU_OK;
}

/* RDTSCP: as RDTSC, plus ECX = IA32_TSC_AUX, which is 0 on this vCPU. */
static enum emu_result em_rdtscp(struct emu_ctxt *c, struct insn *in)
{
	struct vcpu *v = c->vcpu;

	raise_if((v->cr4 & X86_CR4_TSD) && v->cpl > 0, X86_EXC_GP, 0);
	set_edx_eax(v, guest_tsc(c));
	v->gpr[R_RCX] = 0;
	return EMU_OK;
}

static enum emu_result em_swapgs(struct emu_ctxt *c, struct insn *in)
{
	struct vcpu *v = c->vcpu;
	u64 tmp = v->gs_base;

	raise_if(v->cpl != 0, X86_EXC_GP, 0);
	v->gs_base = v->kernel_gs_base;
	v->kernel_gs_base = tmp;
	return EMU_OK;
}

/* ---- SYSCALL, SYSRET, IRET ---- */

enum emu_result emu_syscall(struct emu_ctxt *c)
{
	struct vcpu *v = c->vcpu;
	u16 sel = (u16)(v->star >> 32);

	memset(&c->exc, 0, sizeof(c->exc));
	raise_if(!(v->efer & X86_EFER_SCE), X86_EXC_UD, 0);
	v->gpr[R_RCX] = v->rip;
	v->gpr[R_R11] = v->rflags;
	v->rip = v->lstar;
	/* "None of the bits in RFLAGS are automatically cleared (except for
	 * RF)" (SDM SYSCALL). */
	v->rflags = (v->rflags & ~v->sfmask & ~X86_RFLAGS_RF) | X86_RFLAGS_FIXED;
	v->seg[SEG_CS] = sel & 0xfffc;
	v->seg[SEG_SS] = (u16)(sel + 8);
	v->cpl = 0;
	return EMU_OK;
}

/*
 * SYSRETQ (REX.W 0F 07): back to 64-bit CPL 3 (SDM SYSRET).  The 32-bit
 * form returns to compatibility mode, which the vCPU does not offer.
 */
static enum emu_result em_sysret(struct emu_ctxt *c, struct insn *in)
{
	struct vcpu *v = c->vcpu;
	u16 sel = (u16)(v->star >> 48);

	if (in->zi.operand_width != 64)
		return EMU_UNHANDLEABLE;
	raise_if(!(v->efer & X86_EFER_SCE), X86_EXC_UD, 0);
	raise_if(v->cpl != 0, X86_EXC_GP, 0);
	raise_if(!X86_CANONICAL(v->gpr[R_RCX]), X86_EXC_GP, 0);
	in->next_rip = v->gpr[R_RCX];
	v->rflags = (v->gpr[R_R11] & 0x3C7FD7) | X86_RFLAGS_FIXED;
	v->seg[SEG_CS] = (u16)(sel + 16) | 3;
	v->seg[SEG_SS] = (u16)(sel + 8) | 3;
	v->cpl = 3;
	return EMU_OK;
}

/*
 * When IRET returns to an outer level, DS/ES/FS/GS that hold a data or
 * non-conforming code segment more privileged than the new CPL are nulled
 * (SDM IRET, RETURN-TO-OUTER-PRIVILEGE-LEVEL).  The CPU looks at the hidden
 * descriptor cache; we have none and re-read the GDT, keeping the selector
 * when that read fails (the CPU could not fault here either).
 */
static void null_outer_segments(struct emu_ctxt *c, u8 new_cpl)
{
	static const int segs[] = { SEG_ES, SEG_DS, SEG_FS, SEG_GS };
	struct vcpu *v = c->vcpu;
	struct emu_exception saved = c->exc;
	unsigned i;
	u64 d;

	for (i = 0; i < sizeof(segs) / sizeof(segs[0]); i++) {
		u16 sel = v->seg[segs[i]];

		if ((sel & ~3u) == 0 || emu_read_desc(c, sel, &d) != 0)
			continue;
		if ((X86_DESC_TYPE(d) & (X86_DESC_CODE | X86_DESC_CONFORMING)) ==
		    (X86_DESC_CODE | X86_DESC_CONFORMING))
			continue;
		if (new_cpl > X86_DESC_DPL(d))
			v->seg[segs[i]] = 0;
	}
	c->exc = saved;
}

/* RFLAGS bits IRET may load (SDM IRET): IOPL only at CPL 0, IF only when
 * CPL <= IOPL.  vCPU: VM, VIF and VIP are never set (no VME/PVI). */
#define IRET_FLAGS (X86_RFLAGS_CF | X86_RFLAGS_PF | X86_RFLAGS_AF | X86_RFLAGS_ZF | \
		    X86_RFLAGS_SF | X86_RFLAGS_TF | X86_RFLAGS_DF | X86_RFLAGS_OF | \
		    X86_RFLAGS_NT | X86_RFLAGS_RF | X86_RFLAGS_AC | X86_RFLAGS_ID)

/*
 * IRETQ (REX.W CF), SDM IRET "IA-32e-MODE-RETURN": pop RIP, CS, RFLAGS,
 * RSP, SS; check the new CS (and a non-null SS) against the GDT; load them.
 * vCPU: only returns to 64-bit code (CS.L = 1) are offered, so a CS with
 * L = 0 (compatibility mode) is #GP(selector).  IRETD/IRET (no REX.W) are
 * UNHANDLEABLE.
 */
static enum emu_result em_iretq(struct emu_ctxt *c, struct insn *in)
{
	struct vcpu *v = c->vcpu;
	u64 frame[5], rip, rflags, rsp, d, mask;
	u16 cs, ss;
	unsigned new_cpl;
	int r;

	raise_if(v->rflags & X86_RFLAGS_NT, X86_EXC_GP, 0);   /* no task return in IA-32e */
	raise_if(!X86_CANONICAL(v->gpr[R_RSP]), X86_EXC_SS, 0);
	try_cb(c->ops->read(c, v->gpr[R_RSP], frame, sizeof(frame), EMU_READ));
	rip = frame[0];
	cs = (u16)frame[1];
	rflags = frame[2];
	rsp = frame[3];
	ss = (u16)frame[4];
	new_cpl = cs & 3;

	raise_if((cs & ~3u) == 0 || !X86_CANONICAL(rip), X86_EXC_GP, 0);
	raise_if((ss & ~3u) == 0 && (new_cpl == 3 || (ss & 3) != new_cpl), X86_EXC_GP, 0);
	r = emu_read_desc(c, cs, &d);
	if (r < 0)
		return EMU_EXCEPTION;
	raise_if(r > 0, X86_EXC_GP, cs & ~3u);
	raise_if(!X86_DESC_S(d) || !(X86_DESC_TYPE(d) & X86_DESC_CODE), X86_EXC_GP, cs & ~3u);
	raise_if(new_cpl < v->cpl, X86_EXC_GP, cs & ~3u);
	if (X86_DESC_TYPE(d) & X86_DESC_CONFORMING)
		raise_if(X86_DESC_DPL(d) > new_cpl, X86_EXC_GP, cs & ~3u);
	else
		raise_if(X86_DESC_DPL(d) != new_cpl, X86_EXC_GP, cs & ~3u);
	raise_if(!X86_DESC_L(d) || X86_DESC_DB(d), X86_EXC_GP, cs & ~3u);
	raise_if(!X86_DESC_P(d), X86_EXC_NP, cs & ~3u);

	if ((ss & ~3u) != 0) {
		r = emu_read_desc(c, ss, &d);
		if (r < 0)
			return EMU_EXCEPTION;
		raise_if(r > 0, X86_EXC_GP, ss & ~3u);
		raise_if((ss & 3) != new_cpl || !X86_DESC_S(d) ||
			 (X86_DESC_TYPE(d) & X86_DESC_CODE) ||
			 !(X86_DESC_TYPE(d) & X86_DESC_WRITABLE) ||
			 X86_DESC_DPL(d) != new_cpl, X86_EXC_GP, ss & ~3u);
		raise_if(!X86_DESC_P(d), X86_EXC_SS, ss & ~3u);
	}

	mask = IRET_FLAGS;
	if (v->cpl == 0)
		mask |= X86_RFLAGS_IOPL;
	if (v->cpl <= iopl(v))
		mask |= X86_RFLAGS_IF;
	v->rflags = (v->rflags & ~mask) | (rflags & mask) | X86_RFLAGS_FIXED;
	v->rflags &= ~(X86_RFLAGS_VM | X86_RFLAGS_VIF | X86_RFLAGS_VIP);
	if (new_cpl > v->cpl)
		null_outer_segments(c, (u8)new_cpl);
	v->cpl = (u8)new_cpl;
	v->seg[SEG_CS] = cs;
	v->seg[SEG_SS] = ss;
	v->gpr[R_RSP] = rsp;
	in->next_rip = rip;
	return EMU_OK;
}

/* ---- TLB, caches, CPUID ---- */

/* INVLPG m: no memory access; a non-canonical address makes it a NOP
 * (SDM INVLPG). */
static enum emu_result em_invlpg(struct emu_ctxt *c, struct insn *in)
{
	u64 la;

	raise_if(c->vcpu->cpl != 0, X86_EXC_GP, 0);
	raise_if(in->op[0].type != ZYDIS_OPERAND_TYPE_MEMORY, X86_EXC_UD, 0);
	la = operand_ea(c->vcpu, in, &in->op[0]);
	if (X86_CANONICAL(la) && c->ops->invlpg)
		c->ops->invlpg(c, la);
	return EMU_OK;
}

/* WBINVD, INVD: CPL 0; guest RAM is ordinary host memory, nothing to do. */
static enum emu_result em_wbinvd(struct emu_ctxt *c, struct insn *in)
{
	raise_if(c->vcpu->cpl != 0, X86_EXC_GP, 0);
	return EMU_OK;
}

static enum emu_result em_invd(struct emu_ctxt *c, struct insn *in)
{
	raise_if(c->vcpu->cpl != 0, X86_EXC_GP, 0);
	return EMU_OK;
}

/* CPUID (trapping through ARCH_SET_CPUID): any CPL; results zero-extend. */
static enum emu_result em_cpuid(struct emu_ctxt *c, struct insn *in)
{
	struct vcpu *v = c->vcpu;
	u32 out[4] = { 0, 0, 0, 0 };

	c->ops->cpuid(c, (u32)v->gpr[R_RAX], (u32)v->gpr[R_RCX], out);
	v->gpr[R_RAX] = out[0];
	v->gpr[R_RBX] = out[1];
	v->gpr[R_RCX] = out[2];
	v->gpr[R_RDX] = out[3];
	return EMU_OK;
}

/* ---- Software interrupts ---- */

/*
 * INT imm8 / INT3: the instruction completes (RIP past it) and raises a
 * software interrupt; emu_inject() then checks the gate DPL against CPL.
 * A software interrupt never pushes an error code, even for vectors that
 * have one as exceptions (SDM Vol. 3 6.4.2).
 */
static enum emu_result soft_int(struct emu_ctxt *c, u8 vector)
{
	memset(&c->exc, 0, sizeof(c->exc));
	c->exc.vector = vector;
	c->exc.soft = true;
	return EMU_EXCEPTION;
}

static enum emu_result em_int(struct emu_ctxt *c, struct insn *in)
{
	return soft_int(c, (u8)in->op[0].imm.value.u);
}

static enum emu_result em_int3(struct emu_ctxt *c, struct insn *in)
{
	return soft_int(c, X86_EXC_BP);
}

/* ---- Dispatch ---- */

static const em_fn em_table[ZYDIS_MNEMONIC_MAX_VALUE + 1] = {
	[ZYDIS_MNEMONIC_CLI]    = em_cli,
	[ZYDIS_MNEMONIC_STI]    = em_sti,
	[ZYDIS_MNEMONIC_HLT]    = em_hlt,
	[ZYDIS_MNEMONIC_IN]     = em_in,
	[ZYDIS_MNEMONIC_OUT]    = em_out,
	[ZYDIS_MNEMONIC_MOV]    = em_mov,
	[ZYDIS_MNEMONIC_CLTS]   = em_clts,
	[ZYDIS_MNEMONIC_LGDT]   = em_lgdt,
	[ZYDIS_MNEMONIC_LIDT]   = em_lidt,
	[ZYDIS_MNEMONIC_LTR]    = em_ltr,
	[ZYDIS_MNEMONIC_LLDT]   = em_lldt,
	[ZYDIS_MNEMONIC_RDMSR]  = em_rdmsr,
	[ZYDIS_MNEMONIC_WRMSR]  = em_wrmsr,
	[ZYDIS_MNEMONIC_RDTSC]  = em_rdtsc,
	[ZYDIS_MNEMONIC_RDTSCP] = em_rdtscp,
	[ZYDIS_MNEMONIC_SWAPGS] = em_swapgs,
	[ZYDIS_MNEMONIC_SYSRET] = em_sysret,
	[ZYDIS_MNEMONIC_IRETQ]  = em_iretq,
	[ZYDIS_MNEMONIC_INVLPG] = em_invlpg,
	[ZYDIS_MNEMONIC_WBINVD] = em_wbinvd,
	[ZYDIS_MNEMONIC_INVD]   = em_invd,
	[ZYDIS_MNEMONIC_CPUID]  = em_cpuid,
	[ZYDIS_MNEMONIC_INT]    = em_int,
	[ZYDIS_MNEMONIC_INT3]   = em_int3,
};

/*
 * The name an instruction is counted under: its mnemonic, and for MOV the
 * control or segment register it moves to or from ("mov to cr3"), since a
 * plain "mov" would lump together what costs and means very different things.
 */
static void insn_name(const struct insn *in, char *buf, size_t size)
{
	const char *m = ZydisMnemonicGetString(in->zi.mnemonic);

	snprintf(buf, size, "%s", m ? m : "invalid");
	if (in->zi.mnemonic != ZYDIS_MNEMONIC_MOV)
		return;
	for (unsigned i = 0; i < in->zi.operand_count_visible; i++) {
		ZydisRegister r = in->op[i].reg.value;
		ZydisRegisterClass cls;

		if (in->op[i].type != ZYDIS_OPERAND_TYPE_REGISTER)
			continue;
		cls = ZydisRegisterGetClass(r);
		if (cls == ZYDIS_REGCLASS_CONTROL || cls == ZYDIS_REGCLASS_SEGMENT ||
		    cls == ZYDIS_REGCLASS_DEBUG) {
			snprintf(buf, size, "mov %s %s", i == 0 ? "to" : "from",
				 ZydisRegisterGetString(r));
			return;
		}
	}
}

/*
 * Emulate one instruction.  The interrupt shadow of a previous STI or MOV
 * SS ends with this instruction, unless it faults (then it never ran).
 * EMU_EXCEPTION for INT n / INT3 (c->exc.soft) has advanced RIP: the
 * instruction completed and the interrupt belongs after it.
 */
enum emu_result emu_step(struct emu_ctxt *c)
{
	struct vcpu *v = c->vcpu;
	ZydisDecoder dec;
	struct insn in;
	enum emu_result rc;
	bool shadow;
	em_fn fn;

	memset(&c->exc, 0, sizeof(c->exc));
	memset(c->insn, 0, sizeof(c->insn));
	c->insn_len = 0;
	c->mnemonic = ZYDIS_MNEMONIC_INVALID;
	c->privileged = false;
	c->name[0] = '\0';
	decoder_init(&dec);
	rc = fetch_decode(c, &dec, &in);
	if (rc != EMU_OK)
		return rc;
	c->privileged = in.zi.attributes & ZYDIS_ATTRIB_IS_PRIVILEGED;
	insn_name(&in, c->name, sizeof(c->name));
	fn = em_table[in.zi.mnemonic];
	if (!fn)
		return EMU_UNHANDLEABLE;

	shadow = v->sti_shadow;
	v->sti_shadow = false;
	rc = fn(c, &in);
	if (rc == EMU_OK || rc == EMU_HALT || (rc == EMU_EXCEPTION && c->exc.soft)) {
		v->rip = in.next_rip;
		return rc;
	}
	v->sti_shadow = shadow;
	return rc;
}

/* ---- Decoding for others: access kind, disassembly, names ---- */

int emu_decode_access(struct emu_ctxt *c, bool *writes)
{
	ZydisDecoder dec;
	struct insn in;
	unsigned i;

	*writes = false;
	decoder_init(&dec);
	if (fetch_decode(c, &dec, &in) != EMU_OK)
		return -1;
	/* Explicit and hidden operands alike: PUSH and CALL write the stack
	 * through a hidden [rsp] operand. */
	for (i = 0; i < in.zi.operand_count; i++) {
		const ZydisDecodedOperand *op = &in.op[i];

		if (op->type == ZYDIS_OPERAND_TYPE_MEMORY &&
		    op->mem.type == ZYDIS_MEMOP_TYPE_MEM &&
		    (op->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE))
			*writes = true;
	}
	return 0;
}

unsigned emu_disasm(const u8 *bytes, unsigned len, u64 rip, char *buf, size_t size)
{
	ZydisDecoder dec;
	ZydisFormatter fmt;
	ZydisDecodedInstruction zi;
	ZydisDecodedOperand op[ZYDIS_MAX_OPERAND_COUNT];

	if (size == 0)
		return 0;
	buf[0] = '\0';
	decoder_init(&dec);
	if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, bytes, len, &zi, op)))
		return 0;
	if (!ZYAN_SUCCESS(ZydisFormatterInit(&fmt, ZYDIS_FORMATTER_STYLE_INTEL)) ||
	    !ZYAN_SUCCESS(ZydisFormatterFormatInstruction(&fmt, &zi, op, zi.operand_count_visible,
							  buf, size, rip, NULL)))
		return 0;
	return zi.length;
}

const char *emu_mnemonic_name(int mnemonic)
{
	const char *s;

	if (mnemonic < 0 || mnemonic > ZYDIS_MNEMONIC_MAX_VALUE)
		return "invalid";
	s = ZydisMnemonicGetString((ZydisMnemonic)mnemonic);
	return s ? s : "invalid";   /* Zydis names are already lowercase */
}
