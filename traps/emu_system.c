/*
 * traps/emu_system.c: the system instructions, which trap in host ring 3
 * because they are privileged (or are made to: RDTSC, CPUID).  CLI, STI,
 * HLT; MOV to and from CRn and DRn, CLTS, LMSW, XSETBV, and #UD for the
 * instructions of the features the vCPU hides; MOV (all of it: em_mov()
 * also takes the data forms for emu_data.c) and the segment loads, LGDT,
 * LIDT, LTR, LLDT; RDMSR, WRMSR, RDTSC, RDTSCP; INVLPG, WBINVD, INVD and
 * CPUID.  Where the vCPU is simpler than a CPU is listed in
 * docs/ARCHITECTURE.md, "The emulator".
 */
#include <string.h>

#include "emulate_internal.h"

static bool long_mode(const struct vcpu *v)
{
	return v->efer & X86_EFER_LMA;
}

/* ---- Interrupt flag, HLT ---- */

/* CLI/STI: with no VME/PVI, CPL > IOPL is #GP(0) (SDM CLI/STI). */
enum emu_result em_cli(struct emu_ctxt *c, struct insn *in)
{
	struct vcpu *v = c->vcpu;

	raise_if(v->cpl > iopl(v), X86_EXC_GP, 0);
	v->rflags &= ~X86_RFLAGS_IF;
	return EMU_OK;
}

/* STI: interrupts stay blocked until after the next instruction, but only
 * when IF was 0 (SDM STI). */
enum emu_result em_sti(struct emu_ctxt *c, struct insn *in)
{
	struct vcpu *v = c->vcpu;

	raise_if(v->cpl > iopl(v), X86_EXC_GP, 0);
	if (!(v->rflags & X86_RFLAGS_IF))
		v->sti_shadow = true;
	v->rflags |= X86_RFLAGS_IF;
	return EMU_OK;
}

enum emu_result em_hlt(struct emu_ctxt *c, struct insn *in)
{
	raise_if(c->vcpu->cpl != 0, X86_EXC_GP, 0);
	c->vcpu->halted = true;
	return EMU_HALT;
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
enum emu_result em_clts(struct emu_ctxt *c, struct insn *in)
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
enum emu_result em_lmsw(struct emu_ctxt *c, struct insn *in)
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
enum emu_result em_xsetbv(struct emu_ctxt *c, struct insn *in)
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
enum emu_result em_absent(struct emu_ctxt *c, struct insn *in)
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
enum emu_result load_sreg(struct emu_ctxt *c, int seg, u16 sel)
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
enum emu_result em_mov(struct emu_ctxt *c, struct insn *in)
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

enum emu_result em_lgdt(struct emu_ctxt *c, struct insn *in)
{
	return load_dtr(c, in, &c->vcpu->gdtr);
}

enum emu_result em_lidt(struct emu_ctxt *c, struct insn *in)
{
	return load_dtr(c, in, &c->vcpu->idtr);
}

/*
 * LTR r/m16 (SDM LTR, 64-bit mode): the selector must name, in the GDT, a
 * present available 64-bit TSS (a 16-byte descriptor whose upper type field
 * is 0).  The CPU then marks it busy in memory (type 11), so a second LTR
 * of it faults: we write the type byte back with EMU_WRITE_SYS before
 * committing TR.
 */
enum emu_result em_ltr(struct emu_ctxt *c, struct insn *in)
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
enum emu_result em_lldt(struct emu_ctxt *c, struct insn *in)
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

enum emu_result em_rdmsr(struct emu_ctxt *c, struct insn *in)
{
	struct vcpu *v = c->vcpu;
	u64 val;

	raise_if(v->cpl != 0, X86_EXC_GP, 0);
	EMU_PROPAGATE(msr_read(c, (u32)v->gpr[R_RCX], &val));
	set_edx_eax(v, val);
	return EMU_OK;
}

enum emu_result em_wrmsr(struct emu_ctxt *c, struct insn *in)
{
	struct vcpu *v = c->vcpu;

	raise_if(v->cpl != 0, X86_EXC_GP, 0);
	return msr_write(c, (u32)v->gpr[R_RCX],
			 (v->gpr[R_RDX] << 32) | (u32)v->gpr[R_RAX]);
}

/* RDTSC: the host makes it trap (PR_TSC_SIGSEGV) so that the guest sees
 * host TSC + offset.  CR4.TSD restricts it to CPL 0 (SDM RDTSC). */
enum emu_result em_rdtsc(struct emu_ctxt *c, struct insn *in)
{
	struct vcpu *v = c->vcpu;

	raise_if((v->cr4 & X86_CR4_TSD) && v->cpl > 0, X86_EXC_GP, 0);
	set_edx_eax(v, guest_tsc(c));
	return EMU_OK;
}

/* RDTSCP: as RDTSC, plus ECX = IA32_TSC_AUX, which is 0 on this vCPU. */
enum emu_result em_rdtscp(struct emu_ctxt *c, struct insn *in)
{
	struct vcpu *v = c->vcpu;

	raise_if((v->cr4 & X86_CR4_TSD) && v->cpl > 0, X86_EXC_GP, 0);
	set_edx_eax(v, guest_tsc(c));
	v->gpr[R_RCX] = 0;
	return EMU_OK;
}

/* ---- TLB, caches, CPUID ---- */

/* INVLPG m: no memory access; a non-canonical address makes it a NOP
 * (SDM INVLPG). */
enum emu_result em_invlpg(struct emu_ctxt *c, struct insn *in)
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
enum emu_result em_wbinvd(struct emu_ctxt *c, struct insn *in)
{
	raise_if(c->vcpu->cpl != 0, X86_EXC_GP, 0);
	return EMU_OK;
}

enum emu_result em_invd(struct emu_ctxt *c, struct insn *in)
{
	raise_if(c->vcpu->cpl != 0, X86_EXC_GP, 0);
	return EMU_OK;
}

/* CPUID (trapping through ARCH_SET_CPUID): any CPL; results zero-extend. */
enum emu_result em_cpuid(struct emu_ctxt *c, struct insn *in)
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
