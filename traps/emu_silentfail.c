/*
 * traps/emu_silentfail.c: the silent-fail instructions (docs/silent-fail.md),
 * which in host ring 3 run without trapping and give the host's answer;
 * those of a guest kernel come here through the INT3 that scan-and-patch
 * (patch.c) puts over them.  And the hypercall, VMCALL/VMMCALL.
 */
#include <string.h>

#include "emulate_internal.h"

/* ---- The silent-fail instructions, and hypercalls ----
 *
 * In host ring 3 these run without trapping and give the host's answer:
 * PUSHF pushes IF=1 and IOPL 0, POPF silently drops IF and IOPL, SGDT/SIDT/
 * SLDT/STR/SMSW return the host kernel's UMIP dummies, LAR/LSL/VERR/VERW
 * look at the host GDT, MOV from CS/SS and PUSH FS/GS show host selectors.
 * A guest kernel reaches these handlers only through scan-and-patch
 * (patch.c: an INT3 over the first byte, the original bytes still in guest
 * RAM), and they give what a CPU at the vCPU's CPL would: the values held
 * in struct vcpu.  (i) the stack helpers, (ii) PUSHF/POPF, (iii) PUSH/POP
 * FS/GS, (iv) SGDT SIDT SLDT STR SMSW, (v) LAR LSL VERR VERW, (vi) VMCALL.
 */

/* (i) PUSH 'size' bytes (2 or 8) of val: the stack address size is always
 * 64 bits in 64-bit mode (SDM Vol. 1 6.2.3), so the slot is RSP - size; a
 * non-canonical slot is #SS(0).  RSP changes only once the write is done. */
static enum emu_result push_val(struct emu_ctxt *c, u64 val, unsigned size)
{
	struct vcpu *v = c->vcpu;
	u64 la = v->gpr[R_RSP] - size;

	EMU_PROPAGATE(la_check(c, la, size, ZYDIS_REGISTER_SS));
	try_cb(c->ops->write(c, la, &val, size, EMU_WRITE));   /* little-endian */
	v->gpr[R_RSP] = la;
	return EMU_OK;
}

/* Read the 'size'-byte value at the top of the stack (zero-extended); the
 * caller pops it (RSP += size) once nothing else can fault. */
static enum emu_result stack_top(struct emu_ctxt *c, unsigned size, u64 *val)
{
	u64 la = c->vcpu->gpr[R_RSP];

	*val = 0;
	EMU_PROPAGATE(la_check(c, la, size, ZYDIS_REGISTER_SS));
	try_cb(c->ops->read(c, la, val, size, EMU_READ));
	return EMU_OK;
}

/*
 * (ii) PUSHF (66 9C) / PUSHFQ (9C), SDM PUSHF "64-bit mode": push RFLAGS
 * AND 00FCFFFFH (VM and RF are cleared in the image), or its low 16 bits.
 * The image holds the *virtual* IF and IOPL.  No privilege check: outside
 * virtual-8086 mode PUSHF never faults on IOPL.
 */
enum emu_result em_pushf(struct emu_ctxt *c, struct insn *in)
{
	u64 img = c->vcpu->rflags & 0x00fcffffull;
	unsigned size = in->zi.operand_width / 8;

	return push_val(c, size == 2 ? img & 0xffff : img, size);
}

/* The RFLAGS bits POPF may load at any CPL (SDM POPF, Table 4-16): the
 * status flags, TF, DF, NT, AC, ID.  IOPL and IF depend on CPL (below); RF
 * is cleared, VM, VIF, VIP and the reserved bits are never loaded. */
#define POPF_FLAGS (X86_RFLAGS_CF | X86_RFLAGS_PF | X86_RFLAGS_AF | X86_RFLAGS_ZF | \
		    X86_RFLAGS_SF | X86_RFLAGS_TF | X86_RFLAGS_DF | X86_RFLAGS_OF | \
		    X86_RFLAGS_NT | X86_RFLAGS_AC | X86_RFLAGS_ID)

/*
 * POPF (66 9D) / POPFQ (9D), SDM POPF, protected/64-bit mode: at CPL 0 all
 * of the above plus IOPL and IF; at CPL > 0 IOPL is kept and IF changes
 * only if CPL <= IOPL, silently (no #GP outside virtual-8086 mode).  The
 * 16-bit form loads bits 15:0 only, so AC and ID stay.  RF is 0 after it
 * ("POPF, like all instructions, clears RF as it begins to execute").  No
 * interrupt shadow when IF goes 0 -> 1 (only STI and MOV SS have one): the
 * run loop delivers a pending interrupt before the next instruction.
 */
enum emu_result em_popf(struct emu_ctxt *c, struct insn *in)
{
	struct vcpu *v = c->vcpu;
	unsigned size = in->zi.operand_width / 8;
	u64 val, mask = POPF_FLAGS;

	EMU_PROPAGATE(stack_top(c, size, &val));
	if (v->cpl == 0)
		mask |= X86_RFLAGS_IOPL;
	if (v->cpl <= iopl(v))
		mask |= X86_RFLAGS_IF;
	if (size == 2)
		mask &= 0xffff;
	v->rflags = (((v->rflags & ~mask) | (val & mask)) & ~X86_RFLAGS_RF) | X86_RFLAGS_FIXED;
	v->gpr[R_RSP] += size;
	return EMU_OK;
}

/* The segment register a PUSH/POP operand names (SEG_*), or -1. */
static int sreg_of(const ZydisDecodedOperand *op)
{
	if (reg_class(op) != ZYDIS_REGCLASS_SEGMENT)
		return -1;
	return op->reg.value - ZYDIS_REGISTER_ES;   /* same order as SEG_* */
}

/*
 * (iii) PUSH FS / PUSH GS (0F A0, 0F A8; the only segment pushes of 64-bit
 * mode): push the virtual selector.  With a 64-bit operand size the SDM
 * lets a CPU either zero-extend it or do a 16-bit move that leaves the
 * upper bytes of the slot alone (recent Intel cores); vCPU: zero-extended,
 * 8 bytes, as this host (AMD) does.  66 pushes 2 bytes.  Other PUSH forms
 * are not emulated.
 */
enum emu_result em_push(struct emu_ctxt *c, struct insn *in)
{
	int seg = sreg_of(&in->op[0]);

	if (seg < 0)
		return EMU_UNHANDLEABLE;
	return push_val(c, c->vcpu->seg[seg], in->zi.operand_width / 8);
}

/*
 * POP FS / POP GS (0F A1, 0F A9): load the selector from the stack as MOV
 * Sreg does (load_sreg: same checks, same exceptions), then pop.  These
 * trap in the host unless the selector is one the host GDT accepts.
 */
enum emu_result em_pop(struct emu_ctxt *c, struct insn *in)
{
	unsigned size = in->zi.operand_width / 8;
	int seg = sreg_of(&in->op[0]);
	u64 val;

	if (seg < 0)
		return EMU_UNHANDLEABLE;
	EMU_PROPAGATE(stack_top(c, size, &val));
	EMU_PROPAGATE(load_sreg(c, seg, (u16)val));
	c->vcpu->gpr[R_RSP] += size;
	return EMU_OK;
}

/*
 * (iv) SGDT/SIDT m (0F 01 /0, /1), SDM SGDT "64-bit mode": 2 bytes of
 * limit, then 8 bytes of base, whatever the operand size.  Any CPL: the
 * vCPU does not offer UMIP (CR4.UMIP is #GP to set).  A register operand
 * is #UD (those encodings are other instructions, so Zydis never gives one).
 */
static enum emu_result store_dtr(struct emu_ctxt *c, struct insn *in, const struct dtr *dt)
{
	u8 buf[10];
	u64 la;

	if (in->op[0].type != ZYDIS_OPERAND_TYPE_MEMORY)
		return raise_exc(c, X86_EXC_UD, 0);
	EMU_PROPAGATE(mem_la(c, in, &in->op[0], &la));   /* Zydis: 80 bits */
	memcpy(buf, &dt->limit, 2);
	memcpy(buf + 2, &dt->base, 8);
	try_cb(c->ops->write(c, la, buf, sizeof(buf), EMU_WRITE));
	return EMU_OK;
}

enum emu_result em_sgdt(struct emu_ctxt *c, struct insn *in)
{
	return store_dtr(c, in, &c->vcpu->gdtr);
}

enum emu_result em_sidt(struct emu_ctxt *c, struct insn *in)
{
	return store_dtr(c, in, &c->vcpu->idtr);
}

/*
 * SLDT, STR, SMSW r/m: a memory destination always gets 16 bits ("the
 * operand size is fixed at 16 bits" for memory).  A register gets 'val' at
 * its operand size: r16 merges, r32 zero-extends into r64, REX.W writes 64
 * bits.  SLDT/STR: the 16-bit selector, zero-extended (SDM SLDT, STR).
 * SMSW: CR0 itself, so r32 holds CR0[31:0] and r64 all of CR0 (SDM SMSW,
 * "In 64-bit mode ... SMSW r32: zero-extend CR0[31:0]").
 */
static enum emu_result store_sys(struct emu_ctxt *c, struct insn *in, u64 val)
{
	const ZydisDecodedOperand *dst = &in->op[0];
	u64 la;

	if (dst->type == ZYDIS_OPERAND_TYPE_REGISTER) {
		if (!is_gpr(dst))
			return EMU_UNHANDLEABLE;
		reg_write(c->vcpu, dst->reg.value, val & width_mask(dst->size));
		return EMU_OK;
	}
	EMU_PROPAGATE(mem_la(c, in, dst, &la));
	try_cb(c->ops->write(c, la, &val, 2, EMU_WRITE));
	return EMU_OK;
}

enum emu_result em_sldt(struct emu_ctxt *c, struct insn *in)
{
	return store_sys(c, in, c->vcpu->ldtr);
}

enum emu_result em_str(struct emu_ctxt *c, struct insn *in)
{
	return store_sys(c, in, c->vcpu->tr);
}

enum emu_result em_smsw(struct emu_ctxt *c, struct insn *in)
{
	return store_sys(c, in, c->vcpu->cr0);
}

/* (v) LAR, LSL, VERR and VERW: what each asks of a descriptor. */
#define X86_SYS_LDT        0x2
#define X86_SYS_CALLGATE64 0xc

/*
 * The checks these four share (SDM LAR, LSL, VERR/VERW, "Operation" and
 * the IA-32e column of their descriptor-type tables).  *ok is set when the
 * selector is not null, lies within the GDT limit (vCPU: no LDT, so TI=1
 * never does), names a descriptor of a type valid for the query, and,
 * unless it is a conforming code segment, is visible: CPL <= DPL and RPL
 * <= DPL.  Valid types: every code or data segment for LAR and LSL; VERR a
 * readable one (data, or code with R); VERW writable data.  System types
 * in IA-32e mode: LAR the 64-bit TSS (available, busy) and call gate, LSL
 * the LDT and 64-bit TSS (Intel's LAR table lists the LDT as not valid in
 * IA-32e mode; AMD's accepts it: we follow the SDM); VERR/VERW none.  The
 * P bit is not checked (LAR returns it).  Only the low 8 bytes of a 16-byte
 * system descriptor are read.  Returns EMU_OK (ZF = *ok), or EMU_EXCEPTION
 * when reading the GDT itself faults.
 */
static enum emu_result desc_check(struct emu_ctxt *c, u16 sel, enum emu_desc_query q,
				  u64 *d, bool *ok)
{
	const struct vcpu *v = c->vcpu;
	unsigned type, dpl;
	bool conforming = false;
	int r;

	*ok = false;
	*d = 0;
	if ((sel & ~3u) == 0)
		return EMU_OK;
	r = emu_read_desc(c, sel, d);
	if (r < 0)
		return EMU_EXCEPTION;
	if (r > 0)
		return EMU_OK;
	type = X86_DESC_TYPE(*d);
	dpl = X86_DESC_DPL(*d);
	if (X86_DESC_S(*d)) {
		bool code = type & X86_DESC_CODE;

		if (q == EMU_DESC_VERR && code && !(type & X86_DESC_WRITABLE))   /* R bit */
			return EMU_OK;
		if (q == EMU_DESC_VERW && (code || !(type & X86_DESC_WRITABLE)))
			return EMU_OK;
		conforming = code && (type & X86_DESC_CONFORMING);
	} else if (q == EMU_DESC_LAR) {
		if (type != X86_SYS_TSS64_AVAIL && type != X86_SYS_TSS64_BUSY &&
		    type != X86_SYS_CALLGATE64)
			return EMU_OK;
	} else if (q == EMU_DESC_LSL) {
		if (type != X86_SYS_LDT && type != X86_SYS_TSS64_AVAIL &&
		    type != X86_SYS_TSS64_BUSY)
			return EMU_OK;
	} else {
		return EMU_OK;
	}
	if (!conforming && (v->cpl > dpl || (sel & 3u) > dpl))
		return EMU_OK;
	*ok = true;
	return EMU_OK;
}

/* The selector operand of LAR/LSL (op[1]) or VERR/VERW (op[0]): a register
 * (its low 16 bits, whatever its size) or a 16-bit memory word. */
static enum emu_result read_selector(struct emu_ctxt *c, struct insn *in,
				     const ZydisDecodedOperand *op, u16 *sel)
{
	u64 val;

	if (op->type == ZYDIS_OPERAND_TYPE_REGISTER && !is_gpr(op))
		return EMU_UNHANDLEABLE;
	EMU_PROPAGATE(operand_read(c, in, op, &val));
	*sel = (u16)val;
	return EMU_OK;
}

/*
 * LAR r, r/m16 (0F 02) and LSL r, r/m16 (0F 03): on success ZF = 1 and the
 * destination gets, at its operand size (r16 merges, r32 and r64
 * zero-extend), LAR: bytes 4-7 of the descriptor AND 00FFFF00H (SDM: type,
 * S, DPL, P, AVL, L, D/B, G; bits 19:16 are "undefined" and the vCPU gives
 * the descriptor's own, limit 19:16, as this host does), and for r16 AND
 * FF00H; LSL: the limit in bytes (G = 1: limit << 12 | FFFH), truncated to
 * 16 bits for r16.  On failure ZF = 0 and the destination is not written at
 * all (measured on this host: LSL eax keeps RAX[63:32]).  Only ZF changes.
 */
int emu_desc_query(struct emu_ctxt *c, enum emu_desc_query q, u16 sel, u64 *val)
{
	u64 d;
	bool ok;

	*val = 0;
	if (desc_check(c, sel, q, &d, &ok) != EMU_OK)
		return -1;
	if (!ok)
		return 0;
	if (q == EMU_DESC_LAR) {
		*val = (d >> 32) & 0x00ffff00;
	} else if (q == EMU_DESC_LSL) {
		*val = (d & 0xffff) | (((d >> 48) & 0xf) << 16);
		if (X86_DESC_G(d))
			*val = (*val << 12) | 0xfff;
	}
	return 1;
}

static enum emu_result lar_lsl(struct emu_ctxt *c, struct insn *in, enum emu_desc_query q)
{
	const ZydisDecodedOperand *dst = &in->op[0];
	u64 val;
	u16 sel;
	int ok;

	if (!is_gpr(dst))
		return EMU_UNHANDLEABLE;
	EMU_PROPAGATE(read_selector(c, in, &in->op[1], &sel));
	ok = emu_desc_query(c, q, sel, &val);
	if (ok < 0)
		return EMU_EXCEPTION;
	if (ok) {
		if (q == EMU_DESC_LAR && dst->size == 16)
			val &= 0xff00;
		reg_write(c->vcpu, dst->reg.value, val & width_mask(dst->size));
	}
	flags_commit(c->vcpu, X86_RFLAGS_ZF, ok ? X86_RFLAGS_ZF : 0);
	return EMU_OK;
}

enum emu_result em_lar(struct emu_ctxt *c, struct insn *in)
{
	return lar_lsl(c, in, EMU_DESC_LAR);
}

enum emu_result em_lsl(struct emu_ctxt *c, struct insn *in)
{
	return lar_lsl(c, in, EMU_DESC_LSL);
}

/* VERR/VERW r/m16 (0F 00 /4, /5): ZF = the segment is readable/writable
 * from the CPL (desc_check); nothing else changes. */
static enum emu_result verify(struct emu_ctxt *c, struct insn *in, enum emu_desc_query q)
{
	u64 val;
	u16 sel;
	int ok;

	EMU_PROPAGATE(read_selector(c, in, &in->op[0], &sel));
	ok = emu_desc_query(c, q, sel, &val);
	if (ok < 0)
		return EMU_EXCEPTION;
	flags_commit(c->vcpu, X86_RFLAGS_ZF, ok ? X86_RFLAGS_ZF : 0);
	return EMU_OK;
}

enum emu_result em_verr(struct emu_ctxt *c, struct insn *in)
{
	return verify(c, in, EMU_DESC_VERR);
}

enum emu_result em_verw(struct emu_ctxt *c, struct insn *in)
{
	return verify(c, in, EMU_DESC_VERW);
}

/*
 * (vi) VMCALL (0F 01 C1) and AMD's VMMCALL (0F 01 D9): a hypercall, RAX =
 * number, RDI, RSI, RDX, R10, R8 = arguments, RAX = result.  Hypercalls
 * are for the guest kernel: CPL > 0 is #UD, as is a VM that offers none
 * (ops->hypercall NULL), which is what a CPU without VMX/SVM does.  In the
 * host both trap (#UD, or #GP on this host), so no patching is needed.
 */
enum emu_result em_vmcall(struct emu_ctxt *c, struct insn *in)
{
	struct vcpu *v = c->vcpu;
	const u64 args[5] = { v->gpr[R_RDI], v->gpr[R_RSI], v->gpr[R_RDX],
			      v->gpr[R_R10], v->gpr[R_R8] };
	u64 ret = 0;

	raise_if(v->cpl != 0 || !c->ops->hypercall, X86_EXC_UD, 0);
	try_cb(c->ops->hypercall(c, v->gpr[R_RAX], args, &ret));
	v->gpr[R_RAX] = ret;
	return EMU_OK;
}
