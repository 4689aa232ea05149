/*
 * traps/emu_classify.c: decoding for others than emu_step().
 * emu_classify() tells the scan-and-patch scanner (patch.c) and the run
 * loop's chaining (monitor/vm.c) what an instruction is and where execution
 * goes after it; emu_decode_access() tells the hidden-fault logic whether
 * it writes memory; emu_disasm() and emu_mnemonic_name() give the text of
 * diagnostics and statistics.
 */
#include <string.h>

#include "emulate_internal.h"

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
