/*
 * traps/emu_io.c: port I/O.  IN and OUT in all their encodings, and the
 * string forms INS and OUTS with REP (how a guest moves a disk sector:
 * docs/ARCHITECTURE.md, "Interrupts, time and the console"), each port
 * access going to ops->pio_in/pio_out.  The vCPU has no TSS I/O bitmap, so
 * CPL > IOPL is always #GP(0).
 */
#include "emulate_internal.h"

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
enum emu_result em_in(struct emu_ctxt *c, struct insn *in)
{
	struct vcpu *v = c->vcpu;
	const ZydisDecodedOperand *dst = &in->op[0];
	u32 val = 0;

	raise_if(v->cpl > iopl(v), X86_EXC_GP, 0);
	try_cb(c->ops->pio_in(c, io_port(v, &in->op[1]), dst->size / 8, &val));
	reg_write(v, dst->reg.value, val);
	return EMU_OK;
}

enum emu_result em_out(struct emu_ctxt *c, struct insn *in)
{
	struct vcpu *v = c->vcpu;
	const ZydisDecodedOperand *src = &in->op[1];

	raise_if(v->cpl > iopl(v), X86_EXC_GP, 0);
	try_cb(c->ops->pio_out(c, io_port(v, &in->op[0]), src->size / 8,
				(u32)reg_read(v, src->reg.value)));
	return EMU_OK;
}

/*
 * INSB/W/D and OUTSB/W/D, with or without REP (SDM INS, OUTS, REP).  One
 * iteration moves an element of 1, 2 or 4 bytes (the memory operand's size:
 * 66 selects 2; there is no 8-byte form, REX.W leaves it at 4) between port
 * DX and ES:rDI (INS: no override, and ES has no base) or DS:rSI (OUTS: FS
 * or GS with an override), then steps rDI or rSI by the size, down when
 * RFLAGS.DF is set.  REP repeats it rCX times; rCX = 0 does nothing but
 * advance RIP.  Under 67 the registers are ECX/EDI/ESI, written (once an
 * iteration has run) as 32-bit registers, so zero-extended, as in
 * string_op().  vCPU: F2 acts as REP, as it does for STOS/MOVS.
 *
 * CPL > IOPL is #GP(0) before anything else, even under REP with rCX = 0
 * (measured on this host: REP INSB and REP OUTSB with RCX = 0 at CPL 3,
 * IOPL 0 fault).  vCPU: no TSS I/O bitmap, as for IN/OUT.
 *
 * A whole REP runs in one call, element by element: one memory callback of
 * the element's size (an element that straddles two pages is one access,
 * all or nothing) and one port callback per iteration.  INS reads the port,
 * then stores; OUTS loads, then writes the port.  The address is checked
 * (canonical) before the port is touched.  A fault ends the REP as for
 * STOS/MOVS: the iterations done are committed (rCX, rDI or rSI; their
 * memory and port accesses have happened) and RIP stays at the instruction.
 * So an OUTS whose load faults has not written the port.  vCPU: an INS
 * whose store faults (a #PF) has read the port: that value is dropped, and
 * the restarted iteration reads the port again (the SDM does not say
 * whether a CPU checks the destination before the I/O read).
 */
static enum emu_result io_string(struct emu_ctxt *c, struct insn *in, bool outs)
{
	struct vcpu *v = c->vcpu;
	const ZydisDecodedOperand *mem = &in->op[outs ? 1 : 0];
	unsigned sz = mem->size / 8, ptr_reg = outs ? R_RSI : R_RDI;
	bool rep = in->zi.attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPNE);
	bool down = v->rflags & X86_RFLAGS_DF;
	u64 amask = addr_mask(in);
	u64 count = rep ? v->gpr[R_RCX] & amask : 1;
	u64 ptr = v->gpr[ptr_reg] & amask, done;
	u16 port = (u16)v->gpr[R_RDX];
	enum emu_result rc = EMU_OK;

	raise_if(v->cpl > iopl(v), X86_EXC_GP, 0);
	for (done = 0; done < count; done++) {
		if (done == REP_MAX_ELEMENTS) {
			in->next_rip = v->rip;           /* more to do: come back */
			break;
		}
		u64 la = seg_base(v, mem->mem.segment) + ptr;   /* INS: ES */
		u32 val = 0;

		rc = la_check(c, la, sz, mem->mem.segment);
		if (rc != EMU_OK)
			break;
		if (outs ? c->ops->read(c, la, &val, sz, EMU_READ) != 0 ||
			   c->ops->pio_out(c, port, sz, val) != 0
			 : c->ops->pio_in(c, port, sz, &val) != 0 ||
			   c->ops->write(c, la, &val, sz, EMU_WRITE) != 0) {   /* little-endian */
			rc = EMU_EXCEPTION;
			break;
		}
		ptr = (down ? ptr - sz : ptr + sz) & amask;
	}
	if (done) {
		v->gpr[ptr_reg] = ptr;   /* masked: a 67 write zero-extends */
		if (rep)
			v->gpr[R_RCX] = count - done;
	}
	return rc;
}

enum emu_result em_ins(struct emu_ctxt *c, struct insn *in)
{
	return io_string(c, in, false);
}

enum emu_result em_outs(struct emu_ctxt *c, struct insn *in)
{
	return io_string(c, in, true);
}
