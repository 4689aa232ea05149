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
 * Three kinds of instruction come here.  Privileged ones (CLI, MOV CR3,
 * IRETQ...) trap in host ring 3 on their own.  Ordinary data instructions
 * (MOV, XCHG, CMPXCHG, OR/AND/XOR, BTS/BTR, STOS/MOVS...) come here when they
 * write a guest page-table page, which the shadow pager keeps write-protected
 * (DESIGN.md section 3): those are emulated at any CPL with exact registers,
 * memory and RFLAGS, every byte going through ops->read/ops->write, so that
 * the VM sees each write and can drop the shadow mappings it invalidates.
 * And the silent-fail instructions (PUSHF, POPF, SGDT, SMSW, LAR, MOV from
 * Sreg...; DESIGN.md section 5), which do not trap in host ring 3 but give
 * wrong answers there: the scanner (patch.c) finds them with emu_classify()
 * and puts an INT3 over them in the code the guest kernel runs, and the
 * INT3 brings them here, where they get ring-0 semantics.
 *
 * Semantics follow the Intel SDM Vol. 2 pseudocode for 64-bit mode; the
 * places where the vCPU deliberately differs from a real CPU are marked
 * "vCPU:" below, and the places where the SDM leaves a result undefined say
 * which value we produce (the unit tests compare the data instructions with
 * the same instructions run natively on the host).
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

/* Offsets wrap at the address size: 32 bits under a 67 prefix (SDM Vol. 1
 * 3.3.7). */
static u64 addr_mask(const struct insn *in)
{
	return in->zi.address_width == 32 ? 0xffffffffull : ~0ull;
}

/* Base of a segment in 64-bit mode: only FS and GS have one; ES, CS, SS
 * and DS are flat (SDM Vol. 3 3.4.4). */
static u64 seg_base(const struct vcpu *v, ZydisRegister seg)
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
static u64 operand_offset(const struct vcpu *v, const struct insn *in,
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
static u64 operand_ea(const struct vcpu *v, const struct insn *in,
		      const ZydisDecodedOperand *op)
{
	return operand_offset(v, in, op) + seg_base(v, op->mem.segment);
}

/* An access to [la, la+len) whose first or last byte is non-canonical is
 * #SS(0) for stack references, #GP(0) otherwise (SDM Vol. 1 3.3.7.1). */
static enum emu_result la_check(struct emu_ctxt *c, u64 la, u64 len, ZydisRegister seg)
{
	raise_if(!X86_CANONICAL(la) || !X86_CANONICAL(la + len - 1),
		 seg == ZYDIS_REGISTER_SS ? X86_EXC_SS : X86_EXC_GP, 0);
	return EMU_OK;
}

/* Linear address of a memory operand that is accessed, checked. */
static enum emu_result mem_la(struct emu_ctxt *c, const struct insn *in,
			      const ZydisDecodedOperand *op, u64 *la)
{
	*la = operand_ea(c->vcpu, in, op);
	return la_check(c, *la, op->size >= 8 ? op->size / 8 : 1, op->mem.segment);
}

/* Read a source operand of up to 8 bytes: a general register, an
 * immediate (Zydis has already sign-extended it to 64 bits where the
 * encoding says so: imm8 of 83 /n, imm32 of REX.W C7), or memory at the CPL.
 * The caller masks to the operand size. */
static enum emu_result operand_read(struct emu_ctxt *c, const struct insn *in,
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

static bool is_gpr(const ZydisDecodedOperand *op)
{
	unsigned idx, shift, width;

	return op->type == ZYDIS_OPERAND_TYPE_REGISTER &&
	       gpr_of(op->reg.value, &idx, &shift, &width);
}

/* A destination operand: a general register, or memory of up to 8 bytes. */
static bool is_dest(const ZydisDecodedOperand *op)
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
static enum emu_result dest_read(struct emu_ctxt *c, const struct insn *in,
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
static enum emu_result dest_write(struct emu_ctxt *c, const ZydisDecodedOperand *op,
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

/*
 * A REP string instruction runs at most this much per emu_step(): a guest
 * could otherwise keep the monitor inside one instruction for as long as it
 * likes (RCX up to 2^64).  With more left, the iterations done are
 * committed and RIP stays at the instruction (EMU_OK), as when a CPU takes
 * an interrupt in the middle of a REP; the next trap goes on with it.
 */
#define REP_MAX_BYTES    (16 * 1024)   /* STOS/MOVS */
#define REP_MAX_ELEMENTS 4096          /* INS/OUTS: each is a port access */

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

static enum emu_result em_ins(struct emu_ctxt *c, struct insn *in)
{
	return io_string(c, in, false);
}

static enum emu_result em_outs(struct emu_ctxt *c, struct insn *in)
{
	return io_string(c, in, true);
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

/*
 * MOV r64, DRn / MOV DRn, r64 (0F 21, 0F 23), SDM MOV DR: CPL > 0 is
 * #GP(0); DR4 and DR5 are #UD with CR4.DE set, else aliases of DR6 and
 * DR7; a 1 in bits 63:32 of DR6 or DR7 is #GP(0).  DR6 keeps its
 * writable bits (B0-B3, BD, BS, BT) over the fixed ones, DR7 its
 * writable bits over bit 10.  vCPU: the registers are stored and read
 * back, and no breakpoint fires, so a DR7 that would arm one (L0-L3,
 * G0-G3) or general detection (GD) is not emulated: the VM stops with a
 * diagnostic instead of silently ignoring the breakpoint.
 */
#define X86_CR4_DE (1ull << 3)

static enum emu_result mov_dr(struct emu_ctxt *c, int n, bool to, ZydisRegister gpr)
{
	struct vcpu *v = c->vcpu;
	u64 val;

	raise_if(v->cpl != 0, X86_EXC_GP, 0);
	if (n == 4 || n == 5) {
		raise_if(v->cr4 & X86_CR4_DE, X86_EXC_UD, 0);
		n += 2;
	}
	if (!to) {
		reg_write(v, gpr, n < 4 ? v->dr[n] : n == 6 ? v->dr6 : v->dr7);
		return EMU_OK;
	}
	val = reg_read(v, gpr);
	if (n < 4) {
		v->dr[n] = val;
		return EMU_OK;
	}
	raise_if(val >> 32, X86_EXC_GP, 0);
	if (n == 6) {
		v->dr6 = (val & 0xe00f) | X86_DR6_RESET;
		return EMU_OK;
	}
	val = (val & 0xffff2bffull) | X86_DR7_RESET;
	if (val & X86_DR7_ARMING) {
		c->why = "it arms a breakpoint, and no breakpoint would ever fire";
		return EMU_UNHANDLEABLE;
	}
	v->dr7 = val;
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

/*
 * LMSW r/m16 (0F 01 /6): loads CR0 bits 3:0 (PE, MP, EM, TS) from the
 * operand; PE can be set but not cleared (SDM LMSW).  CPL 0 only.
 */
static enum emu_result em_lmsw(struct emu_ctxt *c, struct insn *in)
{
	struct vcpu *v = c->vcpu;
	u64 val, old = v->cr0;

	raise_if(v->cpl != 0, X86_EXC_GP, 0);
	EMU_PROPAGATE(operand_read(c, in, &in->op[0], &val));
	v->cr0 = (v->cr0 & ~0xeull) | (val & 0xf);
	if (c->ops->cr_written)
		c->ops->cr_written(c, 0, old);
	return EMU_OK;
}

/*
 * XSETBV (0F 01 D1), SDM XSETBV: CPL > 0 is #GP(0), CR4.OSXSAVE clear #UD,
 * ECX other than 0 #GP(0), and EDX:EAX must be a valid XCR0: bit 0 (x87)
 * set, AVX (bit 2) only with SSE (bit 1), no bit the CPU lacks (the
 * vCPU's CPUID.0xD.0 reports exactly the host's XCR0 bits): else #GP(0).
 * vCPU: XSAVE, XRSTOR and XGETBV run natively, under the host's XCR0, so
 * the one XCR0 the vCPU can honour is the host's own.  Loading it is
 * emulated (nothing changes); any other valid value is not, with the
 * reason, rather than kept in name while the CPU uses another.
 */
static enum emu_result em_xsetbv(struct emu_ctxt *c, struct insn *in)
{
	struct vcpu *v = c->vcpu;
	u64 val = (v->gpr[R_RDX] << 32) | (u32)v->gpr[R_RAX], host = host_xcr0();

	(void)in;
	raise_if(!(v->cr4 & X86_CR4_OSXSAVE), X86_EXC_UD, 0);
	raise_if(v->cpl != 0 || (u32)v->gpr[R_RCX] != 0, X86_EXC_GP, 0);
	raise_if(!(val & 1) || ((val & 4) && !(val & 2)) || (val & ~host), X86_EXC_GP, 0);
	if (val != host) {
		c->why = "the vCPU can only run with the host's XCR0 (XSAVE and XGETBV run natively)";
		return EMU_UNHANDLEABLE;
	}
	return EMU_OK;
}

/*
 * Instructions of features the vCPU does not report (cpuid.c hides them):
 * #UD at any CPL, as on a CPU without them.  VMX (CR4.VMXE cannot be set),
 * SMX's GETSEC, SVM (EFER.SVME cannot be set; VMMCALL is the hypercall),
 * SGX's ENCLS/ENCLU/ENCLV, SMAP's STAC/CLAC, XSAVES/XRSTORS, INVPCID,
 * INVLPGB/TLBSYNC and MONITOR/MWAIT.  And SYSENTER/SYSEXIT, which are #UD
 * in 64-bit mode on AMD CPUs (this host; Intel's need the SYSENTER MSRs,
 * which the vCPU does not have).  Without this a guest kernel probing for one of them
 * would stop the VM as "not emulated" where a real CPU says #UD.
 */
static enum emu_result em_absent(struct emu_ctxt *c, struct insn *in)
{
	(void)in;
	return raise_exc(c, X86_EXC_UD, 0);
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

static ZydisRegisterClass reg_class(const ZydisDecodedOperand *op)
{
	if (op->type != ZYDIS_OPERAND_TYPE_REGISTER)
		return ZYDIS_REGCLASS_INVALID;
	return ZydisRegisterGetClass(op->reg.value);
}

/*
 * MOV, every form but the debug registers (UNHANDLEABLE):
 * - to/from CRn and to Sreg: the privileged forms, which trap themselves;
 * - r/m, Sreg (8C): stores the *virtual* selector.  The host would store
 *   its own (a silent failure), but this form reaches us when its
 *   destination is a write-protected page-table page.  A memory destination
 *   is 16 bits; a 32- or 64-bit register is zero-extended (SDM MOV);
 * - the data forms 88/89/8A/8B/C6/C7, B0-BF and the moffs forms A0-A3:
 *   what the shadow pager sends us for a page-table write.  The immediate
 *   of REX.W C7 is sign-extended (operand_read); flags are untouched.
 */
static enum emu_result em_mov(struct emu_ctxt *c, struct insn *in)
{
	const ZydisDecodedOperand *dst = &in->op[0], *src = &in->op[1];
	ZydisRegisterClass dcls = reg_class(dst), scls = reg_class(src);
	u64 val, la = 0;

	if (dcls == ZYDIS_REGCLASS_CONTROL)
		return mov_to_cr(c, dst->reg.value - ZYDIS_REGISTER_CR0,
				 reg_read(c->vcpu, src->reg.value));
	if (scls == ZYDIS_REGCLASS_CONTROL)
		return mov_from_cr(c, src->reg.value - ZYDIS_REGISTER_CR0, dst->reg.value);
	if (dcls == ZYDIS_REGCLASS_DEBUG)
		return mov_dr(c, dst->reg.value - ZYDIS_REGISTER_DR0, true, src->reg.value);
	if (scls == ZYDIS_REGCLASS_DEBUG)
		return mov_dr(c, src->reg.value - ZYDIS_REGISTER_DR0, false, dst->reg.value);
	if (dcls == ZYDIS_REGCLASS_SEGMENT) {
		int seg = dst->reg.value - ZYDIS_REGISTER_ES;   /* same order as SEG_* */

		raise_if(seg == SEG_CS, X86_EXC_UD, 0);
		EMU_PROPAGATE(operand_read(c, in, src, &val));
		return load_sreg(c, seg, (u16)val);
	}
	if (!is_dest(dst))
		return EMU_UNHANDLEABLE;
	if (scls == ZYDIS_REGCLASS_SEGMENT)
		val = c->vcpu->seg[src->reg.value - ZYDIS_REGISTER_ES];
	else if (is_gpr(src) || src->type == ZYDIS_OPERAND_TYPE_IMMEDIATE ||
		 src->type == ZYDIS_OPERAND_TYPE_MEMORY)
		EMU_PROPAGATE(operand_read(c, in, src, &val));
	else
		return EMU_UNHANDLEABLE;
	if (dst->type == ZYDIS_OPERAND_TYPE_MEMORY)
		EMU_PROPAGATE(mem_la(c, in, dst, &la));
	return dest_write(c, dst, la, val);
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
 * L = 0 (compatibility mode) is #GP(selector); and only rings 0 and 3 (a
 * host process has nothing to run rings 1 and 2 in), so a CS with RPL 1
 * or 2 is #GP(selector) too.  IRETD/IRET (no REX.W) are UNHANDLEABLE.
 * A completed IRETQ ends NMI blocking; one that faults leaves it (the vCPU
 * is unchanged by a fault: a CPU may unblock NMIs even then).
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
	raise_if(new_cpl == 1 || new_cpl == 2, X86_EXC_GP, cs & ~3u);
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
	v->nmi_blocked = false;         /* the NMI handler's return (SDM 6.7.1) */
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

/* ---- Data instructions: what writes a page table ----
 *
 * (i) flags, (ii) OR AND XOR ADD SUB INC DEC, (iii) XCHG, (iv) CMPXCHG,
 * CMPXCHG8B/16B, (v) BT BTS BTR BTC, (vi) STOS and MOVS with REP.
 *
 * LOCK (and XCHG's implicit lock) needs nothing more than doing the whole
 * read-modify-write in one emu_step(): the only vCPU is stopped meanwhile.
 * Zydis refuses LOCK on a register destination or a non-lockable
 * instruction, which fetch_decode() turns into #UD (SDM Vol. 2 2.1.1).
 */

/* (i) RFLAGS.  The status flags of an ALU result (SDM Vol. 1 3.4.3.1 and
 * Appendix A).  AF after a logic operation is undefined in the SDM: the vCPU
 * clears it, as this host does. */
#define FLAGS_STATUS (X86_RFLAGS_CF | X86_RFLAGS_PF | X86_RFLAGS_AF | \
		      X86_RFLAGS_ZF | X86_RFLAGS_SF | X86_RFLAGS_OF)

static u64 sign_bit(unsigned bits)
{
	return 1ull << (bits - 1);
}

/* SF, ZF and PF (even parity of the low byte) of a 'bits'-wide result. */
static u64 flags_szp(u64 res, unsigned bits)
{
	u64 f = 0;

	res &= width_mask(bits);
	if (res == 0)
		f |= X86_RFLAGS_ZF;
	if (res & sign_bit(bits))
		f |= X86_RFLAGS_SF;
	if (!(__builtin_popcountll(res & 0xff) & 1))
		f |= X86_RFLAGS_PF;
	return f;
}

/* Flags of res = a + b: CF is the unsigned carry out, OF the signed
 * overflow (both operands of one sign, the result of the other), AF the
 * carry out of bit 3. */
static u64 flags_add(u64 a, u64 b, u64 res, unsigned bits)
{
	u64 m = width_mask(bits), f = flags_szp(res, bits);

	if ((res & m) < (a & m))
		f |= X86_RFLAGS_CF;
	if ((a ^ res) & (b ^ res) & sign_bit(bits))
		f |= X86_RFLAGS_OF;
	if ((a ^ b ^ res) & 0x10)
		f |= X86_RFLAGS_AF;
	return f;
}

/* Flags of res = a - b (SUB, CMP and so CMPXCHG): CF is the borrow. */
static u64 flags_sub(u64 a, u64 b, u64 res, unsigned bits)
{
	u64 m = width_mask(bits), f = flags_szp(res, bits);

	if ((a & m) < (b & m))
		f |= X86_RFLAGS_CF;
	if ((a ^ b) & (a ^ res) & sign_bit(bits))
		f |= X86_RFLAGS_OF;
	if ((a ^ b ^ res) & 0x10)
		f |= X86_RFLAGS_AF;
	return f;
}

/* Replace the flags in 'mask' by those of 'f'. */
static void flags_commit(struct vcpu *v, u64 mask, u64 f)
{
	v->rflags = (v->rflags & ~mask) | (f & mask);
}

/* (ii) Two-operand ALU instructions: r/m,r  r,r/m  r/m,imm  AL/eAX,imm. */
enum alu_op { ALU_ADD, ALU_OR, ALU_AND, ALU_SUB, ALU_XOR };

/*
 * dst = dst op src.  OR, AND, XOR clear OF and CF and set SF, ZF, PF from
 * the result (AF: see (i)); ADD and SUB set all six (SDM ADD, SUB, OR...).
 * Memory is read (as a write, see dest_read) then written: a fault on
 * either commits nothing.
 */
static enum emu_result alu(struct emu_ctxt *c, struct insn *in, enum alu_op op)
{
	const ZydisDecodedOperand *dst = &in->op[0], *src = &in->op[1];
	unsigned bits = dst->size;
	u64 a, b, res, la, f;

	if (!is_dest(dst))
		return EMU_UNHANDLEABLE;
	EMU_PROPAGATE(dest_read(c, in, dst, EMU_WRITE, &la, &a));
	EMU_PROPAGATE(operand_read(c, in, src, &b));
	a &= width_mask(bits);
	b &= width_mask(bits);
	switch (op) {
	case ALU_ADD:
		res = a + b;
		f = flags_add(a, b, res, bits);
		break;
	case ALU_SUB:
		res = a - b;
		f = flags_sub(a, b, res, bits);
		break;
	case ALU_OR:
		res = a | b;
		f = flags_szp(res, bits);
		break;
	case ALU_AND:
		res = a & b;
		f = flags_szp(res, bits);
		break;
	default:
		res = a ^ b;
		f = flags_szp(res, bits);
		break;
	}
	EMU_PROPAGATE(dest_write(c, dst, la, res & width_mask(bits)));
	flags_commit(c->vcpu, FLAGS_STATUS, f);
	return EMU_OK;
}

static enum emu_result em_or(struct emu_ctxt *c, struct insn *in)
{
	return alu(c, in, ALU_OR);
}

static enum emu_result em_and(struct emu_ctxt *c, struct insn *in)
{
	return alu(c, in, ALU_AND);
}

static enum emu_result em_xor(struct emu_ctxt *c, struct insn *in)
{
	return alu(c, in, ALU_XOR);
}

static enum emu_result em_add(struct emu_ctxt *c, struct insn *in)
{
	return alu(c, in, ALU_ADD);
}

static enum emu_result em_sub(struct emu_ctxt *c, struct insn *in)
{
	return alu(c, in, ALU_SUB);
}

/* INC/DEC r/m: as ADD/SUB 1, but CF is preserved (SDM INC, DEC). */
static enum emu_result inc_dec(struct emu_ctxt *c, struct insn *in, bool inc)
{
	const ZydisDecodedOperand *dst = &in->op[0];
	unsigned bits = dst->size;
	u64 a, res, la, f;

	if (!is_dest(dst))
		return EMU_UNHANDLEABLE;
	EMU_PROPAGATE(dest_read(c, in, dst, EMU_WRITE, &la, &a));
	a &= width_mask(bits);
	res = inc ? a + 1 : a - 1;
	f = inc ? flags_add(a, 1, res, bits) : flags_sub(a, 1, res, bits);
	EMU_PROPAGATE(dest_write(c, dst, la, res & width_mask(bits)));
	flags_commit(c->vcpu, FLAGS_STATUS & ~X86_RFLAGS_CF, f);
	return EMU_OK;
}

static enum emu_result em_inc(struct emu_ctxt *c, struct insn *in)
{
	return inc_dec(c, in, true);
}

static enum emu_result em_dec(struct emu_ctxt *c, struct insn *in)
{
	return inc_dec(c, in, false);
}

/* (iii) XCHG r/m, r (86, 87, 90+r): memory first, so that a fault leaves
 * the register too; 32-bit registers are zero-extended, even by XCHG EAX,
 * EAX (87 C0; 90 is NOP and never comes here).  No flags. */
static enum emu_result em_xchg(struct emu_ctxt *c, struct insn *in)
{
	const ZydisDecodedOperand *a = &in->op[0], *b = &in->op[1];
	u64 va, vb, la;

	if (a->type != ZYDIS_OPERAND_TYPE_MEMORY) {
		const ZydisDecodedOperand *t = a;   /* the memory operand first */

		a = b;
		b = t;
	}
	if (!is_dest(a) || !is_gpr(b))
		return EMU_UNHANDLEABLE;
	EMU_PROPAGATE(dest_read(c, in, a, EMU_WRITE, &la, &va));
	vb = reg_read(c->vcpu, b->reg.value);
	EMU_PROPAGATE(dest_write(c, a, la, vb));
	reg_write(c->vcpu, b->reg.value, va);
	return EMU_OK;
}

/* AL, AX, EAX or RAX. */
static ZydisRegister accumulator(unsigned bits)
{
	switch (bits) {
	case 8: return ZYDIS_REGISTER_AL;
	case 16: return ZYDIS_REGISTER_AX;
	case 32: return ZYDIS_REGISTER_EAX;
	default: return ZYDIS_REGISTER_RAX;
	}
}

/*
 * (iv) CMPXCHG r/m, r (0F B0, 0F B1; SDM CMPXCHG): compare the accumulator
 * with the destination and set the flags as CMP acc, dest.  Equal: dest =
 * src, the accumulator is not written (RAX keeps its upper half).  Not
 * equal: acc = dest (zero-extended for 32 bits); a memory destination is
 * written back with its own value ("the destination operand receives a
 * write cycle without regard to the result"), so a read-only page faults
 * either way; a register destination is left alone, upper half included
 * (the SDM's "DEST := TEMP" is not what CPUs do: measured on this host).
 */
static enum emu_result em_cmpxchg(struct emu_ctxt *c, struct insn *in)
{
	const ZydisDecodedOperand *dst = &in->op[0], *src = &in->op[1];
	unsigned bits = dst->size;
	ZydisRegister acc = accumulator(bits);
	u64 old, la, a, f;

	if (!is_dest(dst) || !is_gpr(src))
		return EMU_UNHANDLEABLE;
	EMU_PROPAGATE(dest_read(c, in, dst, EMU_WRITE, &la, &old));
	old &= width_mask(bits);
	a = reg_read(c->vcpu, acc);
	f = flags_sub(a, old, a - old, bits);
	if (a == old) {
		EMU_PROPAGATE(dest_write(c, dst, la, reg_read(c->vcpu, src->reg.value)));
	} else {
		if (dst->type == ZYDIS_OPERAND_TYPE_MEMORY)
			EMU_PROPAGATE(dest_write(c, dst, la, old));
		reg_write(c->vcpu, acc, old);
	}
	flags_commit(c->vcpu, FLAGS_STATUS, f);
	return EMU_OK;
}

/*
 * CMPXCHG8B m64 / CMPXCHG16B m128 (0F C7 /1, REX.W for 16B; SDM
 * CMPXCHG8B/CMPXCHG16B): compare EDX:EAX (RDX:RAX) with the memory; equal:
 * store ECX:EBX (RCX:RBX), ZF = 1; else load it into EDX:EAX (32-bit writes
 * zero-extend) and write the memory back unchanged, ZF = 0.  Only ZF
 * changes.  CMPXCHG16B on an operand not 16-byte aligned is #GP(0), before
 * any access.
 */
static enum emu_result cmpxchg_wide(struct emu_ctxt *c, struct insn *in, unsigned half)
{
	struct vcpu *v = c->vcpu;
	const ZydisDecodedOperand *dst = &in->op[0];
	u64 m = width_mask(half), old[2] = { 0, 0 }, new[2], la;
	unsigned bytes = half / 4;
	bool equal;

	if (dst->type != ZYDIS_OPERAND_TYPE_MEMORY)
		return raise_exc(c, X86_EXC_UD, 0);   /* mod = 3 */
	EMU_PROPAGATE(mem_la(c, in, dst, &la));
	raise_if(half == 64 && (la & 15), X86_EXC_GP, 0);
	try_cb(c->ops->read(c, la, old, bytes, EMU_WRITE));
	if (half == 32) {
		old[1] = old[0] >> 32;
		old[0] &= m;
	}
	equal = old[0] == (v->gpr[R_RAX] & m) && old[1] == (v->gpr[R_RDX] & m);
	if (equal) {
		new[0] = v->gpr[R_RBX] & m;
		new[1] = v->gpr[R_RCX] & m;
	} else {
		new[0] = old[0];
		new[1] = old[1];
	}
	if (half == 32)
		new[0] |= new[1] << 32;
	try_cb(c->ops->write(c, la, new, bytes, EMU_WRITE));
	if (!equal) {
		v->gpr[R_RAX] = old[0];
		v->gpr[R_RDX] = old[1];
	}
	flags_commit(v, X86_RFLAGS_ZF, equal ? X86_RFLAGS_ZF : 0);
	return EMU_OK;
}

static enum emu_result em_cmpxchg8b(struct emu_ctxt *c, struct insn *in)
{
	return cmpxchg_wide(c, in, 32);
}

static enum emu_result em_cmpxchg16b(struct emu_ctxt *c, struct insn *in)
{
	return cmpxchg_wide(c, in, 64);
}

/* (v) BT, BTS, BTR, BTC (0F A3/AB/B3/BB /r, 0F BA /4-7 ib). */
enum bit_op { BIT_TEST, BIT_SET, BIT_RESET, BIT_COMPLEMENT };

/*
 * CF = the selected bit, which BTS/BTR/BTC then set/clear/flip.  An imm8
 * offset is taken modulo the operand size, and so is a register offset
 * with a register destination.  A register offset with a memory operand is
 * a signed integer that can reach outside it (SDM BT, "bit base"): the
 * operand-sized word at EA + size * (offset DIV bits) is accessed (floor
 * division; the address wraps at the address size), bit offset MOD bits.
 * ZF is unchanged; OF, SF, AF, PF are undefined in the SDM and the vCPU
 * leaves them unchanged.
 */
static enum emu_result bit_op(struct emu_ctxt *c, struct insn *in, enum bit_op op)
{
	const ZydisDecodedOperand *dst = &in->op[0], *src = &in->op[1];
	struct vcpu *v = c->vcpu;
	unsigned bits = dst->size, shift = bits == 16 ? 4 : bits == 32 ? 5 : 6;
	enum emu_access acc = op == BIT_TEST ? EMU_READ : EMU_WRITE;
	u64 off, val = 0, la = 0, bit;
	bool cf;
	s64 soff;

	if (!is_dest(dst) || bits < 16)
		return EMU_UNHANDLEABLE;
	EMU_PROPAGATE(operand_read(c, in, src, &off));
	off &= width_mask(bits);
	if (dst->type == ZYDIS_OPERAND_TYPE_MEMORY && src->type == ZYDIS_OPERAND_TYPE_REGISTER) {
		/* Sign-extend from the operand size; >> of a negative s64 is
		 * arithmetic in GCC, so it is the floor division. */
		soff = (s64)(off << (64 - bits)) >> (64 - bits);
		la = operand_offset(v, in, dst) + (u64)((soff >> shift) * (s64)(bits / 8));
		la = seg_base(v, dst->mem.segment) + (la & addr_mask(in));
		EMU_PROPAGATE(la_check(c, la, bits / 8, dst->mem.segment));
		try_cb(c->ops->read(c, la, &val, bits / 8, acc));
	} else {
		EMU_PROPAGATE(dest_read(c, in, dst, acc, &la, &val));
	}
	bit = 1ull << (off & (bits - 1));
	cf = val & bit;
	if (op != BIT_TEST) {
		if (op == BIT_SET)
			val |= bit;
		else if (op == BIT_RESET)
			val &= ~bit;
		else
			val ^= bit;
		EMU_PROPAGATE(dest_write(c, dst, la, val & width_mask(bits)));
	}
	flags_commit(v, X86_RFLAGS_CF, cf ? X86_RFLAGS_CF : 0);
	return EMU_OK;
}

static enum emu_result em_bt(struct emu_ctxt *c, struct insn *in)
{
	return bit_op(c, in, BIT_TEST);
}

static enum emu_result em_bts(struct emu_ctxt *c, struct insn *in)
{
	return bit_op(c, in, BIT_SET);
}

static enum emu_result em_btr(struct emu_ctxt *c, struct insn *in)
{
	return bit_op(c, in, BIT_RESET);
}

static enum emu_result em_btc(struct emu_ctxt *c, struct insn *in)
{
	return bit_op(c, in, BIT_COMPLEMENT);
}

/* MOVNTI m, r (0F C3): a store with a non-temporal hint, which means
 * nothing to an emulator. */
static enum emu_result em_movnti(struct emu_ctxt *c, struct insn *in)
{
	return em_mov(c, in);
}

/* (vi) STOS and MOVS. */

/*
 * How many 'sz'-byte elements, from the one at 'pos' walking up (or down),
 * lie within one aligned block of 'span' bytes (a power of two): at least
 * 1, since an element that straddles two blocks must go alone.
 */
static u64 elems_within(u64 pos, u64 span, unsigned sz, bool down)
{
	u64 p = pos & (span - 1);

	if (p + sz > span)
		return 1;
	return down ? p / sz + 1 : (span - p) / sz;
}

static u64 min_u64(u64 a, u64 b)
{
	return a < b ? a : b;
}

/*
 * STOSB/W/D/Q and MOVSB/W/D/Q, with or without REP (SDM STOS, MOVS, REP).
 * One iteration stores AL/AX/EAX/RAX at ES:rDI (STOS), or copies DS:rSI
 * (FS/GS with an override) to ES:rDI (MOVS), then steps rDI (and rSI) by
 * the size, down when RFLAGS.DF is set.  REP repeats it rCX times; rCX = 0
 * does nothing.  Under 67 the registers are ECX/ESI/EDI, written (once an
 * iteration has run) as 32-bit registers, so zero-extended: measured on
 * this host, where 67 REP STOSB with ECX = 0 also leaves RCX, RDI whole.
 *
 * A whole REP runs in one call, in chunks that stay within one 4 KiB page
 * on each side (and, under 67, within the 4 GiB offset space), so that
 * each ops call succeeds or fails as its first element would.  A fault
 * commits the iterations done (memory, rCX, rSI, rDI) and leaves RIP at
 * the instruction, which is how the CPU reports it ("the registers are
 * updated so the instruction can be restarted", SDM REP); a chunk that
 * faults is retried as one element, so the exception (CR2 included) is
 * exactly the first undone element's.  When a MOVS destination runs ahead
 * of its source by less than a chunk, an element would read what an
 * earlier one wrote: the chunk then shrinks below that distance, keeping
 * the element-by-element result (REP MOVSB with RDI = RSI + 1 replicates
 * a byte).  vCPU: F2 (REPNE) acts as REP, as on this host; the SDM leaves
 * it undefined for these instructions.
 */
static enum emu_result string_op(struct emu_ctxt *c, struct insn *in, bool movs)
{
	struct vcpu *v = c->vcpu;
	unsigned sz = in->zi.operand_width / 8;
	bool rep = in->zi.attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPNE);
	bool down = v->rflags & X86_RFLAGS_DF;
	u64 amask = addr_mask(in);
	ZydisRegister sseg = movs ? in->op[1].mem.segment : ZYDIS_REGISTER_NONE;
	u64 count = rep ? v->gpr[R_RCX] & amask : 1;
	u64 di = v->gpr[R_RDI] & amask, si = v->gpr[R_RSI] & amask;
	u64 done = 0, limit = ~0ull;   /* 1 while retrying a chunk that faulted */
	enum emu_result rc = EMU_OK;
	u8 buf[4096];

	while (done < count) {
		u64 dla = di, sla = seg_base(v, sseg) + si;   /* ES has no base */

		if (done * sz >= REP_MAX_BYTES) {
			in->next_rip = v->rip;           /* more to do: come back */
			break;
		}
		u64 n = min_u64(count - done, limit), bytes, dist, dlo, slo, i;

		n = min_u64(n, elems_within(dla, 4096, sz, down));
		if (amask != ~0ull)
			n = min_u64(n, elems_within(di, 1ull << 32, sz, down));
		if (movs) {
			n = min_u64(n, elems_within(sla, 4096, sz, down));
			if (amask != ~0ull)
				n = min_u64(n, elems_within(si, 1ull << 32, sz, down));
			dist = dla > sla ? dla - sla : sla - dla;
			if (dist && (down ? dla < sla : dla > sla) && dist < n * sz)
				n = dist < sz ? 1 : dist / sz;
		}
		bytes = n * sz;
		dlo = down ? dla - (n - 1) * sz : dla;
		slo = down ? sla - (n - 1) * sz : sla;
		rc = la_check(c, dlo, bytes, ZYDIS_REGISTER_ES);
		if (rc == EMU_OK && movs) {
			rc = la_check(c, slo, bytes, sseg);
			if (rc == EMU_OK &&
			    c->ops->read(c, slo, buf, (unsigned)bytes, EMU_READ) != 0)
				rc = EMU_EXCEPTION;
		} else if (rc == EMU_OK) {
			for (i = 0; i < n; i++)
				memcpy(buf + i * sz, &v->gpr[R_RAX], sz);   /* little-endian */
		}
		if (rc == EMU_OK && c->ops->write(c, dlo, buf, (unsigned)bytes, EMU_WRITE) != 0)
			rc = EMU_EXCEPTION;
		if (rc != EMU_OK) {
			if (n == 1)
				break;
			limit = 1;
			continue;
		}
		limit = ~0ull;
		done += n;
		di = (down ? di - bytes : di + bytes) & amask;
		si = (down ? si - bytes : si + bytes) & amask;
	}
	if (done) {
		v->gpr[R_RDI] = di;   /* masked: a 67 write zero-extends */
		if (movs)
			v->gpr[R_RSI] = si;
		if (rep)
			v->gpr[R_RCX] = count - done;
	}
	return rc;
}

static enum emu_result em_stos(struct emu_ctxt *c, struct insn *in)
{
	return string_op(c, in, false);
}

static enum emu_result em_movs(struct emu_ctxt *c, struct insn *in)
{
	return string_op(c, in, true);
}

/* MOVSD is also the SSE2 scalar move (F2 0F 10/11): only A5 is ours. */
static enum emu_result em_movsd(struct emu_ctxt *c, struct insn *in)
{
	if (in->zi.opcode_map != ZYDIS_OPCODE_MAP_DEFAULT)
		return EMU_UNHANDLEABLE;
	return string_op(c, in, true);
}

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
static enum emu_result em_pushf(struct emu_ctxt *c, struct insn *in)
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
static enum emu_result em_popf(struct emu_ctxt *c, struct insn *in)
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
static enum emu_result em_push(struct emu_ctxt *c, struct insn *in)
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
static enum emu_result em_pop(struct emu_ctxt *c, struct insn *in)
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

static enum emu_result em_sgdt(struct emu_ctxt *c, struct insn *in)
{
	return store_dtr(c, in, &c->vcpu->gdtr);
}

static enum emu_result em_sidt(struct emu_ctxt *c, struct insn *in)
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

static enum emu_result em_sldt(struct emu_ctxt *c, struct insn *in)
{
	return store_sys(c, in, c->vcpu->ldtr);
}

static enum emu_result em_str(struct emu_ctxt *c, struct insn *in)
{
	return store_sys(c, in, c->vcpu->tr);
}

static enum emu_result em_smsw(struct emu_ctxt *c, struct insn *in)
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

static enum emu_result em_lar(struct emu_ctxt *c, struct insn *in)
{
	return lar_lsl(c, in, EMU_DESC_LAR);
}

static enum emu_result em_lsl(struct emu_ctxt *c, struct insn *in)
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

static enum emu_result em_verr(struct emu_ctxt *c, struct insn *in)
{
	return verify(c, in, EMU_DESC_VERR);
}

static enum emu_result em_verw(struct emu_ctxt *c, struct insn *in)
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
static enum emu_result em_vmcall(struct emu_ctxt *c, struct insn *in)
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

/* ---- Dispatch ---- */

static const em_fn em_table[ZYDIS_MNEMONIC_MAX_VALUE + 1] = {
	[ZYDIS_MNEMONIC_CLI]    = em_cli,
	[ZYDIS_MNEMONIC_STI]    = em_sti,
	[ZYDIS_MNEMONIC_HLT]    = em_hlt,
	[ZYDIS_MNEMONIC_IN]     = em_in,
	[ZYDIS_MNEMONIC_OUT]    = em_out,
	[ZYDIS_MNEMONIC_INSB]   = em_ins,
	[ZYDIS_MNEMONIC_INSW]   = em_ins,
	[ZYDIS_MNEMONIC_INSD]   = em_ins,
	[ZYDIS_MNEMONIC_OUTSB]  = em_outs,
	[ZYDIS_MNEMONIC_OUTSW]  = em_outs,
	[ZYDIS_MNEMONIC_OUTSD]  = em_outs,
	[ZYDIS_MNEMONIC_MOV]    = em_mov,
	[ZYDIS_MNEMONIC_CLTS]   = em_clts,
	[ZYDIS_MNEMONIC_LMSW]   = em_lmsw,
	[ZYDIS_MNEMONIC_XSETBV] = em_xsetbv,
	[ZYDIS_MNEMONIC_VMCLEAR] = em_absent, [ZYDIS_MNEMONIC_VMPTRLD] = em_absent,
	[ZYDIS_MNEMONIC_VMPTRST] = em_absent, [ZYDIS_MNEMONIC_VMREAD] = em_absent,
	[ZYDIS_MNEMONIC_VMWRITE] = em_absent, [ZYDIS_MNEMONIC_VMLAUNCH] = em_absent,
	[ZYDIS_MNEMONIC_VMRESUME] = em_absent, [ZYDIS_MNEMONIC_VMXOFF] = em_absent,
	[ZYDIS_MNEMONIC_VMXON] = em_absent, [ZYDIS_MNEMONIC_INVEPT] = em_absent,
	[ZYDIS_MNEMONIC_INVVPID] = em_absent, [ZYDIS_MNEMONIC_VMFUNC] = em_absent,
	[ZYDIS_MNEMONIC_GETSEC] = em_absent, [ZYDIS_MNEMONIC_VMRUN] = em_absent,
	[ZYDIS_MNEMONIC_VMLOAD] = em_absent, [ZYDIS_MNEMONIC_VMSAVE] = em_absent,
	[ZYDIS_MNEMONIC_STGI] = em_absent, [ZYDIS_MNEMONIC_CLGI] = em_absent,
	[ZYDIS_MNEMONIC_SKINIT] = em_absent, [ZYDIS_MNEMONIC_INVLPGA] = em_absent,
	[ZYDIS_MNEMONIC_STAC] = em_absent, [ZYDIS_MNEMONIC_CLAC] = em_absent,
	[ZYDIS_MNEMONIC_XSAVES] = em_absent, [ZYDIS_MNEMONIC_XSAVES64] = em_absent,
	[ZYDIS_MNEMONIC_XRSTORS] = em_absent, [ZYDIS_MNEMONIC_XRSTORS64] = em_absent,
	[ZYDIS_MNEMONIC_INVPCID] = em_absent, [ZYDIS_MNEMONIC_INVLPGB] = em_absent,
	[ZYDIS_MNEMONIC_TLBSYNC] = em_absent, [ZYDIS_MNEMONIC_MONITOR] = em_absent,
	[ZYDIS_MNEMONIC_MWAIT] = em_absent, [ZYDIS_MNEMONIC_ENCLS] = em_absent,
	[ZYDIS_MNEMONIC_ENCLU] = em_absent, [ZYDIS_MNEMONIC_ENCLV] = em_absent,
	[ZYDIS_MNEMONIC_SYSENTER] = em_absent, [ZYDIS_MNEMONIC_SYSEXIT] = em_absent,
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
	[ZYDIS_MNEMONIC_VMCALL] = em_vmcall,
	[ZYDIS_MNEMONIC_VMMCALL] = em_vmcall,
	/* The silent-fail instructions, reached through patched INT3s. */
	[ZYDIS_MNEMONIC_PUSHF]  = em_pushf,
	[ZYDIS_MNEMONIC_PUSHFQ] = em_pushf,
	[ZYDIS_MNEMONIC_POPF]   = em_popf,
	[ZYDIS_MNEMONIC_POPFQ]  = em_popf,
	[ZYDIS_MNEMONIC_PUSH]   = em_push,
	[ZYDIS_MNEMONIC_POP]    = em_pop,
	[ZYDIS_MNEMONIC_SGDT]   = em_sgdt,
	[ZYDIS_MNEMONIC_SIDT]   = em_sidt,
	[ZYDIS_MNEMONIC_SLDT]   = em_sldt,
	[ZYDIS_MNEMONIC_STR]    = em_str,
	[ZYDIS_MNEMONIC_SMSW]   = em_smsw,
	[ZYDIS_MNEMONIC_LAR]    = em_lar,
	[ZYDIS_MNEMONIC_LSL]    = em_lsl,
	[ZYDIS_MNEMONIC_VERR]   = em_verr,
	[ZYDIS_MNEMONIC_VERW]   = em_verw,
	/* Data instructions, for writes to write-protected page tables. */
	[ZYDIS_MNEMONIC_MOVNTI] = em_movnti,
	[ZYDIS_MNEMONIC_OR]     = em_or,
	[ZYDIS_MNEMONIC_AND]    = em_and,
	[ZYDIS_MNEMONIC_XOR]    = em_xor,
	[ZYDIS_MNEMONIC_ADD]    = em_add,
	[ZYDIS_MNEMONIC_SUB]    = em_sub,
	[ZYDIS_MNEMONIC_INC]    = em_inc,
	[ZYDIS_MNEMONIC_DEC]    = em_dec,
	[ZYDIS_MNEMONIC_XCHG]   = em_xchg,
	[ZYDIS_MNEMONIC_CMPXCHG] = em_cmpxchg,
	[ZYDIS_MNEMONIC_CMPXCHG8B] = em_cmpxchg8b,
	[ZYDIS_MNEMONIC_CMPXCHG16B] = em_cmpxchg16b,
	[ZYDIS_MNEMONIC_BT]     = em_bt,
	[ZYDIS_MNEMONIC_BTS]    = em_bts,
	[ZYDIS_MNEMONIC_BTR]    = em_btr,
	[ZYDIS_MNEMONIC_BTC]    = em_btc,
	[ZYDIS_MNEMONIC_STOSB]  = em_stos,
	[ZYDIS_MNEMONIC_STOSW]  = em_stos,
	[ZYDIS_MNEMONIC_STOSD]  = em_stos,
	[ZYDIS_MNEMONIC_STOSQ]  = em_stos,
	[ZYDIS_MNEMONIC_MOVSB]  = em_movs,
	[ZYDIS_MNEMONIC_MOVSW]  = em_movs,
	[ZYDIS_MNEMONIC_MOVSD]  = em_movsd,
	[ZYDIS_MNEMONIC_MOVSQ]  = em_movs,
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
	if ((in->zi.mnemonic == ZYDIS_MNEMONIC_PUSH || in->zi.mnemonic == ZYDIS_MNEMONIC_POP) &&
	    reg_class(&in->op[0]) == ZYDIS_REGCLASS_SEGMENT) {
		snprintf(buf, size, "%s %s", m, ZydisRegisterGetString(in->op[0].reg.value));
		return;
	}
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
 * For an instruction not emulated (c->noncanonical_exc, traps.h): the
 * exception of its first memory reference at a non-canonical address,
 * #SS(0) through SS and #GP(0) through the other segments (SDM Vol. 1
 * 3.3.7.1), or -1 if none is.  Memory is read before it is written (PUSH
 * [m] reads m, then writes the stack; POP [m] the other way round), so the
 * operands read are looked at first.  The slot that PUSH, CALL and ENTER
 * write is below RSP, where Zydis's hidden [rsp] operand points.
 */
static int noncanonical_exc(const struct vcpu *v, const struct insn *in)
{
	/* Pass 0: the operands read (or read and written); pass 1: written. */
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < in->zi.operand_count; i++) {
			const ZydisDecodedOperand *op = &in->op[i];
			bool read = (op->actions & ZYDIS_OPERAND_ACTION_MASK_READ) != 0;
			u64 len = op->size >= 8 ? op->size / 8 : 1, la;

			if (op->type != ZYDIS_OPERAND_TYPE_MEMORY ||
			    op->mem.type != ZYDIS_MEMOP_TYPE_MEM || read != (pass == 0))
				continue;
			la = operand_ea(v, in, op);
			if (op->visibility == ZYDIS_OPERAND_VISIBILITY_HIDDEN &&
			    op->mem.base == ZYDIS_REGISTER_RSP && !read)
				la -= len;
			if (!X86_CANONICAL(la) || !X86_CANONICAL(la + len - 1))
				return op->mem.segment == ZYDIS_REGISTER_SS ? X86_EXC_SS : X86_EXC_GP;
		}
	}
	return -1;
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
	c->why = NULL;
	c->noncanonical_exc = -1;
	c->name[0] = '\0';
	decoder_init(&dec);
	rc = fetch_decode(c, &dec, &in);
	if (rc != EMU_OK)
		return rc;
	c->privileged = in.zi.attributes & ZYDIS_ATTRIB_IS_PRIVILEGED;
	insn_name(&in, c->name, sizeof(c->name));
	fn = em_table[in.zi.mnemonic];
	if (!fn) {
		c->noncanonical_exc = noncanonical_exc(v, &in);
		return EMU_UNHANDLEABLE;
	}

	shadow = v->sti_shadow;
	v->sti_shadow = false;
	rc = fn(c, &in);
	if (rc == EMU_OK || rc == EMU_HALT || (rc == EMU_EXCEPTION && c->exc.soft)) {
		v->rip = in.next_rip;
		return rc;
	}
	v->sti_shadow = shadow;
	if (rc == EMU_UNHANDLEABLE)
		c->noncanonical_exc = noncanonical_exc(v, &in);
	return rc;
}

/* ---- Decoding for others: classification, access kind, disassembly, names ---- */

/* The silent-fail instructions (traps.h, emu_classify): those that read or
 * write privileged state in host ring 3 without trapping.  MOV to Sreg and
 * POP FS/GS are not among them: they trap for every selector but null. */
static bool silent_fail(const struct insn *in)
{
	switch (in->zi.mnemonic) {
	case ZYDIS_MNEMONIC_PUSHF:
	case ZYDIS_MNEMONIC_PUSHFD:
	case ZYDIS_MNEMONIC_PUSHFQ:
	case ZYDIS_MNEMONIC_POPF:
	case ZYDIS_MNEMONIC_POPFD:
	case ZYDIS_MNEMONIC_POPFQ:
	case ZYDIS_MNEMONIC_SGDT:
	case ZYDIS_MNEMONIC_SIDT:
	case ZYDIS_MNEMONIC_SLDT:
	case ZYDIS_MNEMONIC_STR:
	case ZYDIS_MNEMONIC_SMSW:
	case ZYDIS_MNEMONIC_LAR:
	case ZYDIS_MNEMONIC_LSL:
	case ZYDIS_MNEMONIC_VERR:
	case ZYDIS_MNEMONIC_VERW:
	case ZYDIS_MNEMONIC_CPUID:   /* no CPUID faulting on this host */
		return true;
	case ZYDIS_MNEMONIC_MOV:     /* 8C: MOV r/m, Sreg */
		return reg_class(&in->op[1]) == ZYDIS_REGCLASS_SEGMENT;
	case ZYDIS_MNEMONIC_PUSH:    /* 0F A0, 0F A8: PUSH FS/GS */
		return reg_class(&in->op[0]) == ZYDIS_REGCLASS_SEGMENT;
	default:
		return false;
	}
}

/*
 * Where execution goes after 'in' (at 'rip'), from Zydis's category.  A
 * direct target is the relative immediate resolved against the next RIP.
 * A near branch with a 66 prefix is vendor-dependent in 64-bit mode (Intel
 * ignores 66, AMD truncates RIP to 16 bits, and even the length differs for
 * E8/E9): Zydis decodes it Intel's way, so the path ends there instead.
 */
static enum emu_flow insn_flow(const struct insn *in, u64 rip, bool *has_target, u64 *target)
{
	const ZydisDecodedOperand *op = &in->op[0];
	bool direct = in->zi.operand_count_visible > 0 &&
		      op->type == ZYDIS_OPERAND_TYPE_IMMEDIATE && op->imm.is_relative;
	ZyanU64 t;

	*has_target = false;
	*target = 0;
	switch (in->zi.mnemonic) {
	case ZYDIS_MNEMONIC_INT3:
	case ZYDIS_MNEMONIC_UD0:
	case ZYDIS_MNEMONIC_UD1:
	case ZYDIS_MNEMONIC_UD2:
	case ZYDIS_MNEMONIC_SYSENTER:
	case ZYDIS_MNEMONIC_SYSEXIT:
		return EMU_FLOW_END;
	case ZYDIS_MNEMONIC_HLT:
		return EMU_FLOW_HALT;
	default:
		break;
	}
	switch (in->zi.meta.category) {
	case ZYDIS_CATEGORY_COND_BR:
	case ZYDIS_CATEGORY_UNCOND_BR:
	case ZYDIS_CATEGORY_CALL:
		if (direct && (in->zi.attributes & ZYDIS_ATTRIB_HAS_OPERANDSIZE))
			return EMU_FLOW_END;
		if (direct && ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&in->zi, op, rip, &t))) {
			*has_target = true;
			*target = t;
		}
		if (in->zi.meta.category == ZYDIS_CATEGORY_CALL)
			return EMU_FLOW_CALL;
		if (!*has_target)
			return EMU_FLOW_END;   /* JMP r/m, far JMP */
		return in->zi.meta.category == ZYDIS_CATEGORY_COND_BR ? EMU_FLOW_BRANCH
								      : EMU_FLOW_JUMP;
	case ZYDIS_CATEGORY_RET:      /* RET, RETF, IRET */
	case ZYDIS_CATEGORY_SYSRET:
		return EMU_FLOW_END;
	default:
		return EMU_FLOW_NEXT;
	}
}

int emu_classify(const u8 *bytes, unsigned len, u64 rip, struct emu_insn_info *out)
{
	ZydisDecoder dec;
	struct insn in;

	memset(out, 0, sizeof(*out));
	decoder_init(&dec);
	if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, bytes, len, &in.zi, in.op)))
		return -1;
	in.next_rip = rip + in.zi.length;
	out->length = in.zi.length;
	insn_name(&in, out->name, sizeof(out->name));
	out->silent_fail = silent_fail(&in);
	out->flow = insn_flow(&in, rip, &out->has_target, &out->target);
	return 0;
}

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
