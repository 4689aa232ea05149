/*
 * traps/emu_operand.c: what every em_*() handler works through (the
 * emulator as a whole is described at the top of emulate.c).  The vCPU's
 * general registers under the 64-bit mode width rules, operands (register,
 * immediate, memory), effective and linear addresses with the canonical
 * check, the destination of a read-modify-write, and the GDT descriptor a
 * selector names (emu_read_desc()).
 */
#include "emulate_internal.h"

/* ---- Helpers: exceptions, registers, operands ---- */

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

u64 width_mask(unsigned bits)
{
	return bits >= 64 ? ~0ull : (1ull << bits) - 1;
}

/* Value of a general register operand (zero-extended). */
u64 reg_read(const struct vcpu *v, ZydisRegister r)
{
	unsigned idx, shift, width;

	if (!gpr_of(r, &idx, &shift, &width))
		return 0;
	return (v->gpr[idx] >> shift) & width_mask(width);
}

/* Write a general register with the 64-bit mode rules: a 32-bit write
 * zero-extends to 64 bits, 8- and 16-bit writes merge (SDM Vol. 1 3.4.1.1). */
void reg_write(struct vcpu *v, ZydisRegister r, u64 val)
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

/* Offsets wrap at the address size: 32 bits under a 67 prefix (SDM Vol. 1
 * 3.3.7). */
u64 addr_mask(const struct insn *in)
{
	return in->zi.address_width == 32 ? 0xffffffffull : ~0ull;
}

/* Base of a segment in 64-bit mode: only FS and GS have one; ES, CS, SS
 * and DS are flat (SDM Vol. 3 3.4.4). */
u64 seg_base(const struct vcpu *v, ZydisRegister seg)
{
	if (seg == ZYDIS_REGISTER_FS)
		return v->fs_base;
	if (seg == ZYDIS_REGISTER_GS)
		return v->gs_base;
	return 0;
}

/* Effective address (offset in its segment) of a memory operand: base +
 * index*scale + disp, RIP-relative to the next instruction, wrapped at the
 * address size. */
u64 operand_offset(const struct vcpu *v, const struct insn *in,
		   const ZydisDecodedOperand *op)
{
	u64 ea = (u64)op->mem.disp.value;

	if (op->mem.base == ZYDIS_REGISTER_RIP || op->mem.base == ZYDIS_REGISTER_EIP)
		ea += in->next_rip;
	else if (op->mem.base != ZYDIS_REGISTER_NONE)
		ea += reg_read(v, op->mem.base);
	if (op->mem.index != ZYDIS_REGISTER_NONE)
		ea += reg_read(v, op->mem.index) * op->mem.scale;
	return ea & addr_mask(in);
}

/* Linear address of a memory operand: its offset plus the FS/GS base for
 * those overrides.  No canonical check: see mem_la(). */
u64 operand_ea(const struct vcpu *v, const struct insn *in,
	       const ZydisDecodedOperand *op)
{
	return operand_offset(v, in, op) + seg_base(v, op->mem.segment);
}

/* An access to [la, la+len) whose first or last byte is non-canonical is
 * #SS(0) for stack references, #GP(0) otherwise (SDM Vol. 1 3.3.7.1). */
enum emu_result la_check(struct emu_ctxt *c, u64 la, u64 len, ZydisRegister seg)
{
	raise_if(!X86_CANONICAL(la) || !X86_CANONICAL(la + len - 1),
		 seg == ZYDIS_REGISTER_SS ? X86_EXC_SS : X86_EXC_GP, 0);
	return EMU_OK;
}

/* Linear address of a memory operand that is accessed, checked. */
enum emu_result mem_la(struct emu_ctxt *c, const struct insn *in,
		       const ZydisDecodedOperand *op, u64 *la)
{
	*la = operand_ea(c->vcpu, in, op);
	return la_check(c, *la, op->size >= 8 ? op->size / 8 : 1, op->mem.segment);
}

/* Read a source operand of up to 8 bytes: a general register, an
 * immediate (Zydis has already sign-extended it to 64 bits where the
 * encoding says so: imm8 of 83 /n, imm32 of REX.W C7), or memory at the CPL.
 * The caller masks to the operand size. */
enum emu_result operand_read(struct emu_ctxt *c, const struct insn *in,
			     const ZydisDecodedOperand *op, u64 *val)
{
	u64 la;

	*val = 0;
	if (op->type == ZYDIS_OPERAND_TYPE_REGISTER) {
		*val = reg_read(c->vcpu, op->reg.value);
		return EMU_OK;
	}
	if (op->type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
		*val = op->imm.value.u;
		return EMU_OK;
	}
	if (op->type != ZYDIS_OPERAND_TYPE_MEMORY || op->size > 64)
		return EMU_UNHANDLEABLE;
	EMU_PROPAGATE(mem_la(c, in, op, &la));
	try_cb(c->ops->read(c, la, val, op->size / 8, EMU_READ));
	return EMU_OK;
}

bool is_gpr(const ZydisDecodedOperand *op)
{
	unsigned idx, shift, width;

	return op->type == ZYDIS_OPERAND_TYPE_REGISTER &&
	       gpr_of(op->reg.value, &idx, &shift, &width);
}

/* A destination operand: a general register, or memory of up to 8 bytes. */
bool is_dest(const ZydisDecodedOperand *op)
{
	return is_gpr(op) || (op->type == ZYDIS_OPERAND_TYPE_MEMORY && op->size <= 64);
}

/*
 * Read the destination of a read-modify-write (OR [m], r; XCHG; CMPXCHG;
 * BTS...): its value and, for memory, its checked linear address in *la.
 * 'acc' is EMU_WRITE for every instruction that writes it: the CPU walks the
 * page tables for such an operand as a write, so even an absent page gives
 * #PF with W=1 (measured on this host: ADD, LOCK OR, BTS, XCHG, CMPXCHG
 * all report 6 on a PROT_NONE page, a plain read 4).  Only BT reads.
 */
enum emu_result dest_read(struct emu_ctxt *c, const struct insn *in,
			  const ZydisDecodedOperand *op, enum emu_access acc,
			  u64 *la, u64 *val)
{
	*la = 0;
	*val = 0;
	if (op->type == ZYDIS_OPERAND_TYPE_REGISTER) {
		*val = reg_read(c->vcpu, op->reg.value);
		return EMU_OK;
	}
	EMU_PROPAGATE(mem_la(c, in, op, la));
	try_cb(c->ops->read(c, *la, val, op->size / 8, acc));
	return EMU_OK;
}

/*
 * Write a destination: memory at 'la' (from dest_read or mem_la), or a
 * general register with the 64-bit mode merge/zero-extend rules.  Handlers
 * call it before touching any register, so that a faulting write commits
 * nothing; a register destination cannot fail.
 */
enum emu_result dest_write(struct emu_ctxt *c, const ZydisDecodedOperand *op,
			   u64 la, u64 val)
{
	if (op->type == ZYDIS_OPERAND_TYPE_REGISTER) {
		reg_write(c->vcpu, op->reg.value, val);
		return EMU_OK;
	}
	try_cb(c->ops->write(c, la, &val, op->size / 8, EMU_WRITE));
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

ZydisRegisterClass reg_class(const ZydisDecodedOperand *op)
{
	if (op->type != ZYDIS_OPERAND_TYPE_REGISTER)
		return ZYDIS_REGCLASS_INVALID;
	return ZydisRegisterGetClass(op->reg.value);
}
