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
 * go through the emu_ops callbacks, so the unit tests run the emulator on a
 * flat fake memory with no traced process.
 *
 * Three kinds of instruction come here.  Privileged ones (CLI, MOV CR3,
 * IRETQ...) trap in host ring 3 on their own.  Ordinary data instructions
 * (MOV, XCHG, CMPXCHG, OR/AND/XOR, BTS/BTR, STOS/MOVS...) come here when they
 * write a guest page-table page, which the shadow pager keeps write-protected
 * (docs/ARCHITECTURE.md, "Shadow paging"): those are emulated at any CPL
 * with exact registers, memory and RFLAGS, every byte going through
 * ops->read/ops->write, so that the VM sees each write and can drop the
 * shadow mappings it invalidates.
 * And the silent-fail instructions (PUSHF, POPF, SGDT, SMSW, LAR, MOV from
 * Sreg...; docs/silent-fail.md), which do not trap in host ring 3 but give
 * wrong answers there: the scanner (patch.c) finds them with emu_classify()
 * and puts an INT3 over them in the code the guest kernel runs, and the
 * INT3 brings them here, where they get ring-0 semantics.
 *
 * Semantics follow the Intel SDM Vol. 2 pseudocode for 64-bit mode; the
 * places where the vCPU deliberately differs from a real CPU are marked
 * "vCPU:" in the handlers, and the places where the SDM leaves a result undefined say
 * which value we produce (the unit tests compare the data instructions with
 * the same instructions run natively on the host).
 *
 * This file is the front end: fetch and decode, the dispatch table and
 * emu_step().  The handlers live with their kind, and everything the pieces
 * share is in emulate_internal.h:
 *   emu_operand.c     registers, operands, linear addresses, descriptors
 *   emu_system.c      the privileged ones: CRn, DRn, MSRs, descriptor
 *                     tables, segment loads, CLI/STI/HLT, INVLPG, CPUID
 *   emu_io.c          IN, OUT, INS, OUTS
 *   emu_transfer.c    SYSCALL, SYSRETQ, IRETQ, SWAPGS, INT n
 *   emu_data.c        the data instructions that write page tables
 *   emu_silentfail.c  the silent-fail instructions, and hypercalls
 *   emu_classify.c    decoding for others: emu_classify(), emu_disasm()...
 */
#include <stdio.h>
#include <string.h>

#include "emulate_internal.h"

/* ---- Fetch and decode ---- */

void decoder_init(ZydisDecoder *dec)
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
enum emu_result fetch_decode(struct emu_ctxt *c, const ZydisDecoder *dec,
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
void insn_name(const struct insn *in, char *buf, size_t size)
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
