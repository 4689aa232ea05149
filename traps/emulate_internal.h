/*
 * traps/emulate_internal.h: what the pieces of the instruction emulator
 * share with one another and with nothing else.  The emulator's public
 * interface is traps.h; this header is included only by emulate.c and the
 * emu_*.c files, and what it declares is not for use outside them.
 */
#ifndef TRAPS_EMULATE_INTERNAL_H
#define TRAPS_EMULATE_INTERNAL_H

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

/* Fill c->exc with a hardware exception and return EMU_EXCEPTION. */
static inline enum emu_result raise_exc(struct emu_ctxt *c, u8 vector, u32 errcode)
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

/* RFLAGS.IOPL: CLI/STI, IN/OUT, IRETQ and POPF compare the CPL with it. */
static inline unsigned iopl(const struct vcpu *v)
{
	return (v->rflags >> 12) & 3;
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

/* System descriptor types of a 64-bit TSS (LTR; LAR and LSL accept both). */
#define X86_SYS_TSS64_AVAIL 0x9
#define X86_SYS_TSS64_BUSY  0xb

/* emulate.c */
void decoder_init(ZydisDecoder *dec);
enum emu_result fetch_decode(struct emu_ctxt *c, const ZydisDecoder *dec,
			     struct insn *in);
void insn_name(const struct insn *in, char *buf, size_t size);

/* emu_operand.c */
u64 width_mask(unsigned bits);
u64 reg_read(const struct vcpu *v, ZydisRegister r);
void reg_write(struct vcpu *v, ZydisRegister r, u64 val);
u64 addr_mask(const struct insn *in);
u64 seg_base(const struct vcpu *v, ZydisRegister seg);
u64 operand_offset(const struct vcpu *v, const struct insn *in,
		   const ZydisDecodedOperand *op);
u64 operand_ea(const struct vcpu *v, const struct insn *in,
	       const ZydisDecodedOperand *op);
enum emu_result la_check(struct emu_ctxt *c, u64 la, u64 len, ZydisRegister seg);
enum emu_result mem_la(struct emu_ctxt *c, const struct insn *in,
		       const ZydisDecodedOperand *op, u64 *la);
enum emu_result operand_read(struct emu_ctxt *c, const struct insn *in,
			     const ZydisDecodedOperand *op, u64 *val);
bool is_gpr(const ZydisDecodedOperand *op);
bool is_dest(const ZydisDecodedOperand *op);
enum emu_result dest_read(struct emu_ctxt *c, const struct insn *in,
			  const ZydisDecodedOperand *op, enum emu_access acc,
			  u64 *la, u64 *val);
enum emu_result dest_write(struct emu_ctxt *c, const ZydisDecodedOperand *op,
			   u64 la, u64 val);
ZydisRegisterClass reg_class(const ZydisDecodedOperand *op);

/* emu_system.c: load_sreg() is also POP FS/GS's (emu_silentfail.c) */
enum emu_result em_cli(struct emu_ctxt *c, struct insn *in);
enum emu_result em_sti(struct emu_ctxt *c, struct insn *in);
enum emu_result em_hlt(struct emu_ctxt *c, struct insn *in);
enum emu_result em_clts(struct emu_ctxt *c, struct insn *in);
enum emu_result em_lmsw(struct emu_ctxt *c, struct insn *in);
enum emu_result em_xsetbv(struct emu_ctxt *c, struct insn *in);
enum emu_result em_absent(struct emu_ctxt *c, struct insn *in);
enum emu_result load_sreg(struct emu_ctxt *c, int seg, u16 sel);
enum emu_result em_mov(struct emu_ctxt *c, struct insn *in);
enum emu_result em_lgdt(struct emu_ctxt *c, struct insn *in);
enum emu_result em_lidt(struct emu_ctxt *c, struct insn *in);
enum emu_result em_ltr(struct emu_ctxt *c, struct insn *in);
enum emu_result em_lldt(struct emu_ctxt *c, struct insn *in);
enum emu_result em_rdmsr(struct emu_ctxt *c, struct insn *in);
enum emu_result em_wrmsr(struct emu_ctxt *c, struct insn *in);
enum emu_result em_rdtsc(struct emu_ctxt *c, struct insn *in);
enum emu_result em_rdtscp(struct emu_ctxt *c, struct insn *in);
enum emu_result em_invlpg(struct emu_ctxt *c, struct insn *in);
enum emu_result em_wbinvd(struct emu_ctxt *c, struct insn *in);
enum emu_result em_invd(struct emu_ctxt *c, struct insn *in);
enum emu_result em_cpuid(struct emu_ctxt *c, struct insn *in);

/* emu_io.c */
enum emu_result em_in(struct emu_ctxt *c, struct insn *in);
enum emu_result em_out(struct emu_ctxt *c, struct insn *in);
enum emu_result em_ins(struct emu_ctxt *c, struct insn *in);
enum emu_result em_outs(struct emu_ctxt *c, struct insn *in);

/* emu_transfer.c */
enum emu_result em_swapgs(struct emu_ctxt *c, struct insn *in);
enum emu_result em_sysret(struct emu_ctxt *c, struct insn *in);
enum emu_result em_iretq(struct emu_ctxt *c, struct insn *in);
enum emu_result em_int(struct emu_ctxt *c, struct insn *in);
enum emu_result em_int3(struct emu_ctxt *c, struct insn *in);

/* emu_data.c: flags_commit() is also LAR/LSL/VERR/VERW's */
void flags_commit(struct vcpu *v, u64 mask, u64 f);
enum emu_result em_or(struct emu_ctxt *c, struct insn *in);
enum emu_result em_and(struct emu_ctxt *c, struct insn *in);
enum emu_result em_xor(struct emu_ctxt *c, struct insn *in);
enum emu_result em_add(struct emu_ctxt *c, struct insn *in);
enum emu_result em_sub(struct emu_ctxt *c, struct insn *in);
enum emu_result em_inc(struct emu_ctxt *c, struct insn *in);
enum emu_result em_dec(struct emu_ctxt *c, struct insn *in);
enum emu_result em_xchg(struct emu_ctxt *c, struct insn *in);
enum emu_result em_cmpxchg(struct emu_ctxt *c, struct insn *in);
enum emu_result em_cmpxchg8b(struct emu_ctxt *c, struct insn *in);
enum emu_result em_cmpxchg16b(struct emu_ctxt *c, struct insn *in);
enum emu_result em_bt(struct emu_ctxt *c, struct insn *in);
enum emu_result em_bts(struct emu_ctxt *c, struct insn *in);
enum emu_result em_btr(struct emu_ctxt *c, struct insn *in);
enum emu_result em_btc(struct emu_ctxt *c, struct insn *in);
enum emu_result em_movnti(struct emu_ctxt *c, struct insn *in);
enum emu_result em_stos(struct emu_ctxt *c, struct insn *in);
enum emu_result em_movs(struct emu_ctxt *c, struct insn *in);
enum emu_result em_movsd(struct emu_ctxt *c, struct insn *in);

/* emu_silentfail.c */
enum emu_result em_pushf(struct emu_ctxt *c, struct insn *in);
enum emu_result em_popf(struct emu_ctxt *c, struct insn *in);
enum emu_result em_push(struct emu_ctxt *c, struct insn *in);
enum emu_result em_pop(struct emu_ctxt *c, struct insn *in);
enum emu_result em_sgdt(struct emu_ctxt *c, struct insn *in);
enum emu_result em_sidt(struct emu_ctxt *c, struct insn *in);
enum emu_result em_sldt(struct emu_ctxt *c, struct insn *in);
enum emu_result em_str(struct emu_ctxt *c, struct insn *in);
enum emu_result em_smsw(struct emu_ctxt *c, struct insn *in);
enum emu_result em_lar(struct emu_ctxt *c, struct insn *in);
enum emu_result em_lsl(struct emu_ctxt *c, struct insn *in);
enum emu_result em_verr(struct emu_ctxt *c, struct insn *in);
enum emu_result em_verw(struct emu_ctxt *c, struct insn *in);
enum emu_result em_vmcall(struct emu_ctxt *c, struct insn *in);

#endif
