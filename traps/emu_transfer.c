/*
 * traps/emu_transfer.c: the control transfers between privilege levels.
 * SYSCALL (emu_syscall(), from the host's syscall stop) and SYSRETQ, IRETQ
 * with its descriptor checks, SWAPGS, which a kernel's entry and exit pair
 * with them, and the software interrupts INT n and INT3, which complete
 * with an exception for emu_inject() (inject.c) to deliver.  Only returns
 * to 64-bit code and rings 0 and 3 are offered (docs/ARCHITECTURE.md,
 * "The emulator").
 */
#include <string.h>

#include "emulate_internal.h"

enum emu_result em_swapgs(struct emu_ctxt *c, struct insn *in)
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
enum emu_result em_sysret(struct emu_ctxt *c, struct insn *in)
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
enum emu_result em_iretq(struct emu_ctxt *c, struct insn *in)
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

enum emu_result em_int(struct emu_ctxt *c, struct insn *in)
{
	return soft_int(c, (u8)in->op[0].imm.value.u);
}

enum emu_result em_int3(struct emu_ctxt *c, struct insn *in)
{
	return soft_int(c, X86_EXC_BP);
}
