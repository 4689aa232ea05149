/*
 * traps/emu_data.c: the ordinary data instructions, emulated when they
 * write a guest page-table page that the shadow pager keeps write-protected
 * (docs/ARCHITECTURE.md, "Shadow paging": tracking).  They run at any CPL
 * with exact registers, memory and RFLAGS, every byte through ops->read and
 * ops->write, so that the VM sees each write and drops the shadow mappings
 * it invalidates.  The data forms of MOV are em_mov()'s (emu_system.c).
 */
#include <string.h>

#include "emulate_internal.h"

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
void flags_commit(struct vcpu *v, u64 mask, u64 f)
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

enum emu_result em_or(struct emu_ctxt *c, struct insn *in)
{
	return alu(c, in, ALU_OR);
}

enum emu_result em_and(struct emu_ctxt *c, struct insn *in)
{
	return alu(c, in, ALU_AND);
}

enum emu_result em_xor(struct emu_ctxt *c, struct insn *in)
{
	return alu(c, in, ALU_XOR);
}

enum emu_result em_add(struct emu_ctxt *c, struct insn *in)
{
	return alu(c, in, ALU_ADD);
}

enum emu_result em_sub(struct emu_ctxt *c, struct insn *in)
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

enum emu_result em_inc(struct emu_ctxt *c, struct insn *in)
{
	return inc_dec(c, in, true);
}

enum emu_result em_dec(struct emu_ctxt *c, struct insn *in)
{
	return inc_dec(c, in, false);
}

/* (iii) XCHG r/m, r (86, 87, 90+r): memory first, so that a fault leaves
 * the register too; 32-bit registers are zero-extended, even by XCHG EAX,
 * EAX (87 C0; 90 is NOP and never comes here).  No flags. */
enum emu_result em_xchg(struct emu_ctxt *c, struct insn *in)
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
enum emu_result em_cmpxchg(struct emu_ctxt *c, struct insn *in)
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

enum emu_result em_cmpxchg8b(struct emu_ctxt *c, struct insn *in)
{
	return cmpxchg_wide(c, in, 32);
}

enum emu_result em_cmpxchg16b(struct emu_ctxt *c, struct insn *in)
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

enum emu_result em_bt(struct emu_ctxt *c, struct insn *in)
{
	return bit_op(c, in, BIT_TEST);
}

enum emu_result em_bts(struct emu_ctxt *c, struct insn *in)
{
	return bit_op(c, in, BIT_SET);
}

enum emu_result em_btr(struct emu_ctxt *c, struct insn *in)
{
	return bit_op(c, in, BIT_RESET);
}

enum emu_result em_btc(struct emu_ctxt *c, struct insn *in)
{
	return bit_op(c, in, BIT_COMPLEMENT);
}

/* MOVNTI m, r (0F C3): a store with a non-temporal hint, which means
 * nothing to an emulator. */
enum emu_result em_movnti(struct emu_ctxt *c, struct insn *in)
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

enum emu_result em_stos(struct emu_ctxt *c, struct insn *in)
{
	return string_op(c, in, false);
}

enum emu_result em_movs(struct emu_ctxt *c, struct insn *in)
{
	return string_op(c, in, true);
}

/* MOVSD is also the SSE2 scalar move (F2 0F 10/11): only A5 is ours. */
enum emu_result em_movsd(struct emu_ctxt *c, struct insn *in)
{
	if (in->zi.opcode_map != ZYDIS_OPCODE_MAP_DEFAULT)
		return EMU_UNHANDLEABLE;
	return string_op(c, in, true);
}
