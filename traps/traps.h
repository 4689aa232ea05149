/*
 * traps/: the virtual CPU, the instruction emulator, event injection and the
 * thin host layer (ptrace, waitpid, the stub).  This header is the
 * emulator's interface (struct vcpu, emu_*, patch_*, the virtual CPUID);
 * host.h is the host layer's.  Everything else in traps/ is static.
 *
 * Nothing above the host layer (host.c, context.c) knows about ptrace: the
 * emulator and the injector work on a struct vcpu and a table of callbacks,
 * so unit tests run them on a fake memory image with no traced process.
 */
#ifndef TRAPS_H
#define TRAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;

/* ---- Architectural constants (Intel SDM names) ---- */
#include "trapvisor/x86-arch.h"   /* X86_EXC_*, X86_ERRCODE_VECTORS */

#define X86_RFLAGS_CF   (1ull << 0)
#define X86_RFLAGS_FIXED (1ull << 1)   /* always 1 */
#define X86_RFLAGS_PF   (1ull << 2)
#define X86_RFLAGS_AF   (1ull << 4)
#define X86_RFLAGS_ZF   (1ull << 6)
#define X86_RFLAGS_SF   (1ull << 7)
#define X86_RFLAGS_TF   (1ull << 8)
#define X86_RFLAGS_IF   (1ull << 9)
#define X86_RFLAGS_DF   (1ull << 10)
#define X86_RFLAGS_OF   (1ull << 11)
#define X86_RFLAGS_IOPL (3ull << 12)
#define X86_RFLAGS_NT   (1ull << 14)
#define X86_RFLAGS_RF   (1ull << 16)
#define X86_RFLAGS_VM   (1ull << 17)
#define X86_RFLAGS_AC   (1ull << 18)
#define X86_RFLAGS_VIF  (1ull << 19)
#define X86_RFLAGS_VIP  (1ull << 20)
#define X86_RFLAGS_ID   (1ull << 21)

#define X86_CR0_PE (1ull << 0)
#define X86_CR0_MP (1ull << 1)
#define X86_CR0_EM (1ull << 2)
#define X86_CR0_TS (1ull << 3)
#define X86_CR0_ET (1ull << 4)
#define X86_CR0_NE (1ull << 5)
#define X86_CR0_WP (1ull << 16)
#define X86_CR0_AM (1ull << 18)
#define X86_CR0_NW (1ull << 29)
#define X86_CR0_CD (1ull << 30)
#define X86_CR0_PG (1ull << 31)

#define X86_CR4_PSE        (1ull << 4)
#define X86_CR4_PAE        (1ull << 5)
#define X86_CR4_PGE        (1ull << 7)
#define X86_CR4_OSFXSR     (1ull << 9)
#define X86_CR4_OSXMMEXCPT (1ull << 10)
#define X86_CR4_FSGSBASE   (1ull << 16)
#define X86_CR4_OSXSAVE    (1ull << 18)

#define X86_EFER_SCE (1ull << 0)
#define X86_EFER_LME (1ull << 8)
#define X86_EFER_LMA (1ull << 10)
#define X86_EFER_NXE (1ull << 11)

#define MSR_EFER           0xc0000080
#define MSR_STAR           0xc0000081
#define MSR_LSTAR          0xc0000082
#define MSR_CSTAR          0xc0000083
#define MSR_SFMASK         0xc0000084
#define MSR_FS_BASE        0xc0000100
#define MSR_GS_BASE        0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_TSC            0x00000010

/* Page-fault error code bits (PFEC: <elf.h> owns PF_W). */
#define PFEC_P    (1u << 0)
#define PFEC_W    (1u << 1)
#define PFEC_U    (1u << 2)
#define PFEC_RSVD (1u << 3)
#define PFEC_I    (1u << 4)

/* Register numbers in encoding order (ModRM/REX numbering). */
enum { R_RAX, R_RCX, R_RDX, R_RBX, R_RSP, R_RBP, R_RSI, R_RDI,
       R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15 };

/* Segment register numbers (the Sreg encoding of MOV Sreg). */
enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS };

/* True for the vectors whose delivery pushes an error code. */
bool x86_has_errcode(unsigned vector);

/* ---- The virtual CPU ---- */

struct dtr {
	u64 base;                /* linear base address */
	u16 limit;               /* limit in bytes - 1 */
};

struct vcpu {
	u64 gpr[16];             /* general registers, R_RAX .. R_R15 */
	u64 rip;                 /* instruction pointer */
	u64 rflags;              /* virtual RFLAGS, including IF and IOPL */
	u8 cpl;                  /* virtual current privilege level: 0 or 3 */
	u16 seg[6];              /* virtual selectors, SEG_ES .. SEG_GS */
	u64 cr0, cr2, cr3, cr4;  /* control registers */
	u8 tpr;                  /* CR8 (task priority, bits 3:0): stored and read back only */
	u64 dr[4];               /* DR0-DR3: breakpoint addresses, stored only */
	u64 dr6, dr7;            /* debug status and control (no breakpoint is armed) */
	u64 efer;                /* IA32_EFER */
	struct dtr gdtr, idtr;   /* descriptor-table registers */
	u16 tr;                  /* task register selector */
	u64 tr_base;             /* TSS base, loaded from the GDT by LTR */
	u32 tr_limit;            /* TSS limit, loaded by LTR */
	u16 ldtr;                /* LDT selector (only 0 is supported) */
	u64 fs_base, gs_base;    /* live segment bases */
	u64 kernel_gs_base;      /* IA32_KERNEL_GS_BASE, swapped by SWAPGS */
	u64 star, lstar, cstar, sfmask; /* SYSCALL MSRs */
	s64 tsc_offset;          /* guest TSC = host TSC + tsc_offset */
	bool halted;             /* executed HLT, waiting for an interrupt */
	bool sti_shadow;         /* one-instruction interrupt shadow after STI or MOV SS */
	bool nmi_pending;        /* an NMI waits for delivery (latched: at most one) */
	bool nmi_blocked;        /* an NMI was delivered: no other until the next IRETQ */
	int last_vector;         /* last exception delivered, -1 if none */
	u64 last_errcode;        /* its error code */
	u64 last_rip;            /* RIP at which it was raised */
};

/* ---- The emulator (emulate.c, inject.c) ---- */

enum emu_result {
	EMU_OK,            /* emulated; vcpu updated, RIP advanced */
	EMU_UNHANDLEABLE,  /* not an instruction we emulate; no state changed */
	EMU_EXCEPTION,     /* raise ctxt->exc (vcpu unchanged; INT n/INT3: RIP past it;
			    * REP STOS/MOVS/INS/OUTS: the iterations done are committed) */
	EMU_HALT,          /* HLT emulated: RIP advanced, vcpu->halted set */
};

/* How memory is touched.  The _SYS forms are the CPU's implicit supervisor
 * accesses (descriptor tables, the TSS, the new stack during delivery): they
 * are checked as CPL 0 whatever the current CPL. */
enum emu_access { EMU_READ, EMU_WRITE, EMU_FETCH, EMU_READ_SYS, EMU_WRITE_SYS };

struct emu_exception {
	u8 vector;               /* X86_EXC_* */
	bool has_errcode;        /* x86_has_errcode(vector) */
	u32 errcode;             /* error code pushed, if any */
	u64 cr2;                 /* faulting linear address for #PF */
	bool soft;               /* INT n / INT3 / INTO: RIP already advanced */
};

struct emu_ctxt;

/*
 * Callbacks from the emulator into the VM.  Each returns 0 on success or
 * -1 after filling ctxt->exc (for memory: a #PF with CR2 and error code).
 */
struct emu_ops {
	/* [IN] la, len, acc [OUT] buf: read len bytes of guest linear memory,
	 * as the vCPU at its current CPL would (acc = EMU_FETCH for code).
	 * acc = EMU_WRITE is the read half of a read-modify-write (OR [m],
	 * XCHG, CMPXCHG, BTS...): check it as a write, as the CPU does, so a
	 * fault has W=1 even on an absent page. */
	int (*read)(struct emu_ctxt *c, u64 la, void *buf, unsigned len,
		    enum emu_access acc);
	/* [IN] la, buf, len, acc (EMU_WRITE or EMU_WRITE_SYS): write guest
	 * linear memory, all or nothing: a write that fails (even on the
	 * second page it spans) must leave memory unchanged. */
	int (*write)(struct emu_ctxt *c, u64 la, const void *buf, unsigned len,
		     enum emu_access acc);
	/* [IN] port, size (1, 2, 4) [OUT] *val: port input. */
	int (*pio_in)(struct emu_ctxt *c, u16 port, unsigned size, u32 *val);
	/* [IN] port, size, val: port output. */
	int (*pio_out)(struct emu_ctxt *c, u16 port, unsigned size, u32 val);
	/* [IN] la: INVLPG la was executed (after the privilege check). */
	void (*invlpg)(struct emu_ctxt *c, u64 la);
	/* [IN] n, old: CRn was written (vcpu->crN already holds the new value);
	 * the VM flushes or switches shadow contexts as needed. */
	void (*cr_written)(struct emu_ctxt *c, int n, u64 old);
	/* [OUT] the host TSC now (for RDTSC, RDMSR TSC, WRMSR TSC). */
	u64 (*host_tsc)(struct emu_ctxt *c);
	/* [IN] leaf, subleaf [OUT] out[4] = EAX, EBX, ECX, EDX of the virtual CPUID. */
	void (*cpuid)(struct emu_ctxt *c, u32 leaf, u32 subleaf, u32 out[4]);
	/* [IN] nr (RAX), args[5] (RDI, RSI, RDX, R10, R8) [OUT] *ret: the guest
	 * kernel executed VMCALL or VMMCALL, a hypercall (DESIGN.md section 1).
	 * On 0 the emulator stores *ret in RAX and advances RIP; the callback
	 * must change neither.  NULL: VMCALL is #UD, as on a CPU without VMX. */
	int (*hypercall)(struct emu_ctxt *c, u64 nr, const u64 args[5], u64 *ret);
};

struct emu_ctxt {
	struct vcpu *vcpu;       /* [IN/OUT] the CPU state */
	const struct emu_ops *ops; /* [IN] callbacks */
	void *opaque;            /* [IN] for the callbacks (the struct vm) */
	struct emu_exception exc;/* [OUT] with EMU_EXCEPTION */
	u8 insn[15];             /* [OUT] bytes of the last decoded instruction */
	u8 insn_len;             /* [OUT] its length, 0 if none was decoded */
	int mnemonic;            /* [OUT] ZydisMnemonic of it, 0 if none */
	bool privileged;         /* [OUT] it is a privileged (CPL 0 only) instruction */
	char name[24];           /* [OUT] its name for statistics: "out", "mov to cr3" */
	const char *why;         /* [OUT] EMU_UNHANDLEABLE for one form of an emulated
	                          * instruction: why that form is not, else NULL */
	int noncanonical_exc;    /* [OUT] EMU_UNHANDLEABLE: what its first memory
	                          * reference at a non-canonical address raises:
	                          * X86_EXC_SS through SS (PUSH, POP, CALL, RET, ENTER,
	                          * LEAVE, [rsp], [rbp]), else X86_EXC_GP; -1 if none */
};

/*
 * Fetch, decode and emulate the instruction at vcpu->rip: the privileged
 * instructions that trap, and at any CPL the data instructions that write
 * memory (MOV, MOVNTI, XCHG, CMPXCHG, CMPXCHG8B/16B, OR, AND, XOR, ADD, SUB,
 * INC, DEC, BT, BTS, BTR, BTC, STOS, MOVS with REP), for writes to
 * write-protected page tables.  Memory goes only through ops->read and
 * ops->write.  A REP STOS/MOVS runs whole in one call; if it faults, the
 * iterations done are committed (memory, RCX, RSI, RDI) and RIP stays at
 * the instruction, as on the CPU.  So does a REP INS/OUTS (port I/O, like
 * IN/OUT: CPL > IOPL is #GP(0)), with one ops->pio_in/pio_out and one
 * memory access per element: an INS reads its port before the store, so
 * one whose store faults has already read the port.  Also the silent-fail
 * instructions (see emu_classify() below), which reach it through a
 * patched INT3: the caller points RIP back at the site and emu_step()
 * fetches the original bytes from guest memory; and VMCALL/VMMCALL,
 * through ops->hypercall.  A POPF
 * that sets IF opens no interrupt shadow: the run loop delivers a pending
 * interrupt at its next turn, as after every stop.
 */
enum emu_result emu_step(struct emu_ctxt *c);

/* Fields of the low 8 bytes of a segment or system descriptor (SDM Vol. 3
 * 3.4.5); 64-bit system descriptors hold base 63:32 in the next 8 bytes. */
#define X86_DESC_TYPE(d)   ((unsigned)((d) >> 40) & 0xf)
#define X86_DESC_S(d)      ((unsigned)((d) >> 44) & 1)   /* 1: code/data */
#define X86_DESC_DPL(d)    ((unsigned)((d) >> 45) & 3)
#define X86_DESC_P(d)      ((unsigned)((d) >> 47) & 1)
#define X86_DESC_L(d)      ((unsigned)((d) >> 53) & 1)   /* 64-bit code */
#define X86_DESC_DB(d)     ((unsigned)((d) >> 54) & 1)
#define X86_DESC_G(d)      ((unsigned)((d) >> 55) & 1)
#define X86_DESC_BASE32(d) ((((d) >> 16) & 0xffffffull) | (((d) >> 56) << 24))
#define X86_DESC_CODE      0x8   /* type bits for S=1 descriptors */
#define X86_DESC_CONFORMING 0x4  /* code: conforming */
#define X86_DESC_WRITABLE  0x2   /* data: writable (code: readable) */
#define X86_DESC_ACCESSED  0x1
/* Debug registers at reset, and the DR7 bits that would arm a breakpoint
 * (L0-L3, G0-G3) or general detection (GD). */
#define X86_DR6_RESET      0xffff0ff0ull
#define X86_DR7_RESET      0x400ull
#define X86_DR7_ARMING     0x20ffull
/* True if 'la' is canonical for 48-bit linear addresses (no LA57). */
#define X86_CANONICAL(la)  ((u64)((int64_t)((u64)(la) << 16) >> 16) == (u64)(la))

/*
 * Read the 8-byte GDT descriptor named by selector 'sel' (EMU_READ_SYS).
 * Returns 0, -1 after a memory fault (ctxt->exc filled), or 1 when the
 * selector names the LDT (TI=1, none is supported) or lies beyond the GDT
 * limit: the caller then raises #GP(selector) with its own EXT bit.
 */
int emu_read_desc(struct emu_ctxt *c, u16 sel, u64 *desc);

/*
 * What LAR, LSL, VERR or VERW with selector 'sel' finds at the vCPU's CPL
 * (the checks of the instructions themselves; also the paravirtual
 * HC_DESC_QUERY, whose PV_DESC_* numbers are this order).  Returns 1 where
 * the instruction sets ZF, with *val what LAR or LSL writes at 32-bit
 * operand size (VERR, VERW: 0); 0 where it clears ZF; -1 when reading the
 * GDT faulted (ctxt->exc filled).
 */
enum emu_desc_query { EMU_DESC_LAR, EMU_DESC_LSL, EMU_DESC_VERR, EMU_DESC_VERW };
int emu_desc_query(struct emu_ctxt *c, enum emu_desc_query q, u16 sel, u64 *val);

/*
 * The guest executed SYSCALL (seen by the host layer as a SYSEMU stop, with
 * RIP already past the instruction): RCX = RIP, R11 = RFLAGS, CS/SS from
 * STAR[47:32], RIP = LSTAR, RFLAGS &= ~SFMASK, CPL 0.  Returns EMU_OK, or
 * EMU_EXCEPTION (#UD when EFER.SCE is clear).
 */
enum emu_result emu_syscall(struct emu_ctxt *c);

/* cpuid.c: the virtual CPUID (host CPUID with VMX/SVM, SMEP, SMAP, PCID,
 * LA57, UMIP hidden, the hypervisor bit set, and leaf 0x40000000 returning
 * the signature "TrapVisorTVM" in EBX, ECX, EDX). */
void vcpu_cpuid(u32 leaf, u32 subleaf, u32 out[4]);
/* Answer from now on from a table of the host's CPUID taken now, so the
 * calling thread may take CPUID faulting (host_time.h).  0 or -ENOMEM. */
int vcpu_cpuid_freeze(void);
/* The host's XCR0 (XGETBV), 0 if the host has not enabled XSAVE. */
u64 host_xcr0(void);
#define TRAPVISOR_CPUID_SIGNATURE "TrapVisorTVM"

/*
 * Classifying instructions without running them, for the scanner (patch.c).
 * A "silent-fail" instruction is one that behaves differently in host ring 3
 * than in the guest kernel's ring 0 *without trapping* (DESIGN.md section 5):
 * PUSHF, POPF, SGDT, SIDT, SLDT, STR, SMSW, LAR, LSL, VERR, VERW, MOV r/m,
 * Sreg, PUSH FS/GS and, on this host (no CPUID faulting), CPUID.  emu_step()
 * emulates each of them with ring-0 semantics against the vCPU.
 */
enum emu_flow {
	EMU_FLOW_NEXT,           /* goes on with the next instruction only */
	EMU_FLOW_JUMP,           /* JMP rel: goes to 'target' only */
	EMU_FLOW_BRANCH,         /* Jcc, LOOPcc, JrCXZ, XBEGIN rel: 'target' or the next */
	EMU_FLOW_CALL,           /* CALL: to 'target' (if has_target), then the next */
	EMU_FLOW_HALT,           /* HLT: waits for an interrupt, then the next */
	EMU_FLOW_END,            /* the path ends here: RET, IRET, SYSRET, SYSENTER,
				  * JMP r/m, far JMP, INT3, UD0/UD1/UD2 */
};

struct emu_insn_info {
	u8 length;               /* its length in bytes, 1..15 */
	char name[24];           /* as emu_ctxt.name: "popfq", "mov from cs" */
	bool silent_fail;        /* misbehaves in host ring 3 without trapping */
	enum emu_flow flow;      /* where execution goes after it */
	bool has_target;         /* JUMP/BRANCH/CALL with a direct (relative) target */
	u64 target;              /* that target */
};

/*
 * Decode the instruction at 'rip' from 'bytes' (up to 'len') and describe
 * it in *out.  Returns 0, or -1 if the bytes are not a valid 64-bit mode
 * instruction (or it continues beyond 'len').
 */
int emu_classify(const u8 *bytes, unsigned len, u64 rip, struct emu_insn_info *out);

/* Name of the last decoded mnemonic, for statistics ("cli", "out", ...). */
const char *emu_mnemonic_name(int mnemonic);

/*
 * Decode the instruction at vcpu->rip without executing it and tell how it
 * touches memory: *writes is set if any memory operand is written.  Used to
 * build the W bit of a #PF error code.  Returns 0, or -1 if undecodable.
 */
int emu_decode_access(struct emu_ctxt *c, bool *writes);

/*
 * Format the instruction at 'rip' from 'bytes' (up to 'len') as Intel syntax
 * into buf ("mov cr3, rax").  Returns its length, or 0 if undecodable.
 */
unsigned emu_disasm(const u8 *bytes, unsigned len, u64 rip, char *buf, size_t size);

/*
 * Deliver exception/interrupt 'vector' to the guest as the CPU would in long
 * mode (inject.c): read the IDT gate, switch to the TSS RSP0 stack on a
 * privilege change, align RSP to 16, push SS, RSP, RFLAGS, CS, RIP and the
 * error code if has_errcode, clear IF for interrupt gates, load CS:RIP.
 * A fault during delivery escalates to #DF; a fault delivering #DF returns
 * EMU_TRIPLE_FAULT.  'soft' marks INT n (gate DPL is checked against CPL).
 */
#define EMU_TRIPLE_FAULT (-2)
int emu_inject(struct emu_ctxt *c, u8 vector, bool has_errcode, u32 errcode, bool soft);

/*
 * Deliver the pending NMI (vcpu->nmi_pending) if the vCPU takes one now,
 * whatever RFLAGS.IF says: not while NMIs are blocked (an NMI's delivery
 * blocks them until the next IRETQ completes, SDM Vol. 3 6.7.1), nor in
 * the STI/MOV SS shadow.  Vector 2 goes through the IDT as emu_inject()
 * delivers it.  Returns 1 if it was taken (pending cleared; NMIs blocked
 * unless a fault delivering it was delivered instead), 0 if it waits, or
 * EMU_TRIPLE_FAULT.
 */
int emu_nmi(struct emu_ctxt *c);

/* patch.c: finding the silent-fail instructions of a guest code page before
 * it first runs, so that a private copy with INT3 on them can run instead. */
#define PATCH_PAGE_SIZE 4096

struct patch_site {
	u64 va;                  /* guest virtual address of its first byte */
	u8 length;               /* instruction length in bytes */
	char name[24];           /* what it is ("popfq", "mov from cs") */
};

/*
 * Recursive-descent scan of 'code', the guest bytes of [base_va, base_va +
 * len) (the page, up to a page before it and 15 bytes after), from each
 * entry point inside that range: follow fall-throughs and direct jump, branch
 * and call targets; end a path at RET, JMP (its target queued), indirect
 * JMP, INT3, UD2, IRET, SYSRET or undecodable bytes (not at HLT: execution
 * resumes after it), or where it leaves the range; decode no address twice.  Reports every silent-fail instruction whose first byte is
 * in [page_va, page_va + PATCH_PAGE_SIZE), sorted by address, in out[].
 * Returns how many, -1 if more than 'max' (out[] then holds 'max' of them),
 * or -ENOMEM.
 */
int patch_scan(const u8 *code, size_t len, u64 base_va, const u64 *entries, int nentries,
	       u64 page_va, struct patch_site *out, int max);
/* Write INT3 (CC) over the first byte of each site in 'copy', a
 * PATCH_PAGE_SIZE copy of the page at page_va; sites outside it are skipped. */
void patch_apply(u8 *copy, u64 page_va, const struct patch_site *s, int n);
/* The site starting at 'va' in sorted s[0..n), or NULL. */
const struct patch_site *patch_lookup(const struct patch_site *s, int n, u64 va);

#endif
