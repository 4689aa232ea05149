/*
 * traps/inject.c: event delivery into the guest, as a CPU in IA-32e mode
 * does it (SDM Vol. 3 6.14 "Exception and Interrupt Handling in 64-bit
 * Mode", and the INT n pseudocode of Vol. 2).
 *
 * emu_inject() reads the 16-byte gate from the guest IDT, checks it and the
 * target code segment, picks the stack (the TSS RSPn on a privilege change,
 * the TSS IST entry when the gate names one, else the current stack),
 * aligns it to 16 bytes, pushes SS, RSP, RFLAGS, CS, RIP and the error code,
 * and loads CS:RIP from the gate.  Every check and push happens before the
 * vCPU is touched, so a fault during delivery leaves it as it was, and the
 * fault is then delivered in its turn with the double-fault rules of SDM
 * Vol. 3 Table 6-5; a fault while delivering #DF is a triple fault, which
 * the caller turns into a diagnostic (a real CPU would shut down).
 * emu_nmi() delivers a pending NMI the same way, with NMI blocking.
 */
#include <string.h>

#include "traps.h"

/* The set is shared, bit for bit, with the guest kernel's vector stubs. */
bool x86_has_errcode(unsigned vector)
{
	return vector < 32 && ((X86_ERRCODE_VECTORS >> vector) & 1);
}

#define X86_GATE_INTR64 0xe
#define X86_GATE_TRAP64 0xf

/* TSS fields (SDM Vol. 3 Figure 8-11): RSP0-2 at 4, IST1-7 at 0x24. */
#define TSS_RSP(n) (4 + 8 * (n))
#define TSS_IST(n) (0x24 + 8 * ((n) - 1))

/* One event to deliver. */
struct event {
	u8 vector;          /* IDT vector */
	bool has_errcode;   /* push errcode */
	u32 errcode;        /* the error code */
	bool soft;          /* INT n / INT3: gate DPL checked, EXT = 0 */
};

/* Classes of SDM Vol. 3 Table 6-4, which decide when a fault during
 * delivery becomes #DF (Table 6-5).  Software interrupts and external
 * interrupts are benign. */
enum exc_class { EXC_BENIGN, EXC_CONTRIBUTORY, EXC_PAGE_FAULT };

static enum exc_class exc_class_of(u8 vector, bool soft)
{
	if (soft)
		return EXC_BENIGN;
	switch (vector) {
	case X86_EXC_DE:
	case X86_EXC_TS:
	case X86_EXC_NP:
	case X86_EXC_SS:
	case X86_EXC_GP:
		return EXC_CONTRIBUTORY;
	case X86_EXC_PF:
		return EXC_PAGE_FAULT;
	default:
		return EXC_BENIGN;
	}
}

/* Record a fault raised during delivery in c->exc; returns -1. */
static int fault(struct emu_ctxt *c, u8 vector, u32 errcode)
{
	memset(&c->exc, 0, sizeof(c->exc));
	c->exc.vector = vector;
	c->exc.has_errcode = x86_has_errcode(vector);
	c->exc.errcode = errcode;
	return -1;
}

#define fault_if(cond, vector, errcode) \
	do { if (cond) return fault(c, (vector), (errcode)); } while (0)

/* Read the 8-byte stack pointer at 'off' in the TSS; beyond the TSS limit
 * it is #TS(TSS selector) (SDM Vol. 3 6.14.4 / 6.14.5). */
static int tss_read(struct emu_ctxt *c, u32 off, u32 ext, u64 *val)
{
	const struct vcpu *v = c->vcpu;

	fault_if(off + 7 > v->tr_limit || (v->tr & ~3u) == 0, X86_EXC_TS,
		 (v->tr & ~3u) | ext);
	return c->ops->read(c, v->tr_base + off, val, 8, EMU_READ_SYS);
}

/*
 * Deliver one event.  Returns 0 with the vCPU now at the handler, or -1
 * with c->exc holding the fault that stopped delivery (vCPU unchanged;
 * guest memory below the new stack pointer may hold part of a frame).
 */
static int deliver(struct emu_ctxt *c, const struct event *ev)
{
	struct vcpu *v = c->vcpu;
	u32 ext = ev->soft ? 0 : 1;                  /* EXT bit of error codes */
	u32 idt_err = (u32)ev->vector * 8 + 2 + ext; /* IDT bit set */
	u64 gate[2], d, rsp, rip, frame[6];
	unsigned type, ist, dpl, new_cpl, i, n;
	u16 sel, new_ss;
	enum emu_access acc;

	fault_if((u32)ev->vector * 16 + 15 > v->idtr.limit, X86_EXC_GP, idt_err);
	if (c->ops->read(c, v->idtr.base + ev->vector * 16u, gate, 16, EMU_READ_SYS))
		return -1;
	type = (gate[0] >> 40) & 0x1f;               /* S bit must be 0 too */
	fault_if(type != X86_GATE_INTR64 && type != X86_GATE_TRAP64, X86_EXC_GP, idt_err);
	/* INT n / INT3 may only use gates the caller's CPL may call. */
	fault_if(ev->soft && X86_DESC_DPL(gate[0]) < v->cpl, X86_EXC_GP, idt_err);
	fault_if(!X86_DESC_P(gate[0]), X86_EXC_NP, idt_err);

	sel = (u16)(gate[0] >> 16);
	rip = (gate[0] & 0xffff) | ((gate[0] >> 48) << 16) | (gate[1] << 32);
	ist = (gate[0] >> 32) & 7;
	fault_if((sel & ~3u) == 0, X86_EXC_GP, ext);
	switch (emu_read_desc(c, sel, &d)) {
	case 0:
		break;
	case 1:
		return fault(c, X86_EXC_GP, (sel & ~3u) | ext);
	default:
		return -1;
	}
	dpl = X86_DESC_DPL(d);
	fault_if(!X86_DESC_S(d) || !(X86_DESC_TYPE(d) & X86_DESC_CODE) || dpl > v->cpl,
		 X86_EXC_GP, (sel & ~3u) | ext);
	fault_if(!X86_DESC_P(d), X86_EXC_NP, (sel & ~3u) | ext);
	/* Only 64-bit handlers exist in IA-32e mode (SDM 6.14.1). */
	fault_if(!X86_DESC_L(d) || X86_DESC_DB(d), X86_EXC_GP, (sel & ~3u) | ext);
	fault_if(!X86_CANONICAL(rip), X86_EXC_GP, ext);

	/* A conforming handler runs at the caller's CPL.  vCPU: rings 1 and 2
	 * are not offered (the IRETQ rule, emu_transfer.c), so a handler of DPL 1
	 * or 2 is #GP(selector). */
	new_cpl = (X86_DESC_TYPE(d) & X86_DESC_CONFORMING) ? v->cpl : dpl;
	fault_if(new_cpl == 1 || new_cpl == 2, X86_EXC_GP, (sel & ~3u) | ext);
	new_ss = v->seg[SEG_SS];
	rsp = v->gpr[R_RSP];
	if (ist != 0) {
		if (tss_read(c, TSS_IST(ist), ext, &rsp))
			return -1;
	} else if (new_cpl < v->cpl) {
		if (tss_read(c, TSS_RSP(new_cpl), ext, &rsp))
			return -1;
	}
	/* On a privilege change SS becomes a null selector whose RPL is the
	 * new CPL (SDM 6.14.4). */
	if (new_cpl < v->cpl)
		new_ss = (u16)new_cpl;
	fault_if(!X86_CANONICAL(rsp), X86_EXC_SS, ext);
	rsp &= ~15ull;                               /* SDM 6.14.2 */

	n = 0;
	frame[n++] = v->seg[SEG_SS];
	frame[n++] = v->gpr[R_RSP];
	frame[n++] = v->rflags;
	frame[n++] = v->seg[SEG_CS];
	frame[n++] = v->rip;
	if (ev->has_errcode)
		frame[n++] = ev->errcode;
	/* Push one 8-byte slot at a time from the top, as the CPU does, so a
	 * frame that straddles an absent page faults at the right address.
	 * A CPL-0 handler's stack is written with supervisor rights. */
	acc = new_cpl == 0 ? EMU_WRITE_SYS : EMU_WRITE;
	for (i = 0; i < n; i++) {
		rsp -= 8;
		if (c->ops->write(c, rsp, &frame[i], 8, acc))
			return -1;
	}

	/* Commit. */
	v->rflags &= ~(X86_RFLAGS_TF | X86_RFLAGS_NT | X86_RFLAGS_RF | X86_RFLAGS_VM);
	if (type == X86_GATE_INTR64)
		v->rflags &= ~X86_RFLAGS_IF;
	v->last_vector = ev->vector;
	v->last_errcode = ev->has_errcode ? ev->errcode : 0;
	v->last_rip = v->rip;
	v->cpl = (u8)new_cpl;
	v->seg[SEG_CS] = (u16)((sel & ~3u) | new_cpl);
	v->seg[SEG_SS] = new_ss;
	v->gpr[R_RSP] = rsp;
	v->rip = rip;
	v->halted = false;                           /* an event ends HLT */
	/* An NMI blocks the next one until IRETQ; INT 2 does not (SDM 6.7.1). */
	if (ev->vector == X86_EXC_NMI && !ev->soft)
		v->nmi_blocked = true;
	return 0;
}

/*
 * Deliver 'vector'; for #PF the caller has put the faulting address in
 * c->exc.cr2, which becomes vcpu->cr2 only when delivery (of it, or of the
 * #DF it turned into) succeeds.  A
 * fault during delivery is delivered instead (benign first event), or
 * becomes #DF(0) (contributory then contributory, #PF then #PF or
 * contributory: SDM Vol. 3 Table 6-5); a fault delivering #DF returns
 * EMU_TRIPLE_FAULT with c->exc holding that last fault.
 */
int emu_inject(struct emu_ctxt *c, u8 vector, bool has_errcode, u32 errcode, bool soft)
{
	struct event ev = {
		.vector = vector, .has_errcode = has_errcode && !soft,
		.errcode = errcode, .soft = soft,
	};
	enum exc_class first, second;
	bool pf_seen = vector == X86_EXC_PF && !soft;
	u64 cr2 = c->exc.cr2;
	int attempt;

	/* At most: the event, a fault delivering it, #DF; the loop bound is
	 * only a guard (a delivery fault is never benign). */
	for (attempt = 0; attempt < 4; attempt++) {
		if (deliver(c, &ev) == 0) {
			/* The CPU loads CR2 when it detects a #PF, even one
			 * that then turns into #DF (SDM Vol. 3 6.15, #PF). */
			if (pf_seen)
				c->vcpu->cr2 = cr2;
			return EMU_OK;
		}
		if (c->exc.vector == X86_EXC_PF) {
			pf_seen = true;
			cr2 = c->exc.cr2;
		}
		if (ev.vector == X86_EXC_DF && !ev.soft)
			return EMU_TRIPLE_FAULT;
		first = exc_class_of(ev.vector, ev.soft);
		second = exc_class_of(c->exc.vector, false);
		if ((first == EXC_CONTRIBUTORY && second == EXC_CONTRIBUTORY) ||
		    (first == EXC_PAGE_FAULT && second != EXC_BENIGN)) {
			ev = (struct event){ .vector = X86_EXC_DF, .has_errcode = true };
		} else {
			ev = (struct event){
				.vector = c->exc.vector,
				.has_errcode = x86_has_errcode(c->exc.vector),
				.errcode = c->exc.errcode,
			};
		}
	}
	return EMU_TRIPLE_FAULT;
}

int emu_nmi(struct emu_ctxt *c)
{
	struct vcpu *v = c->vcpu;

	if (!v->nmi_pending || v->nmi_blocked || v->sti_shadow)
		return 0;
	/* Taken, even if a fault delivering it is what reaches the guest. */
	v->nmi_pending = false;
	return emu_inject(c, X86_EXC_NMI, false, 0, false) == EMU_TRIPLE_FAULT ?
	       EMU_TRIPLE_FAULT : 1;
}
