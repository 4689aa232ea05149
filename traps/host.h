/*
 * The host layer's interface (traps/host.c, traps/context.c): every
 * ptrace, waitpid and fork of the monitor, and the context processes that
 * hold the guest's shadow address spaces.  Its users see plain data, never
 * a ptrace request.  traps.h is the emulator's header.
 */
#ifndef HOST_H
#define HOST_H

#include <sys/types.h>

#include "traps.h"

/* ---- The host layer (host.c, context.c): every ptrace, waitpid, fork ----
 * A stop of a context process becomes an architectural exit reason: what
 * a CPU running the guest under a hypervisor would report (the exception
 * vector, the faulting address), never a host signal or si_code.  The
 * mapping from the host's signals is host.c's alone (docs/ARCHITECTURE.md,
 * "The host layer").  Functions return 0 or -errno. */

enum host_exit_reason {
	HOST_EXIT_SYSCALL,       /* SYSCALL (or INT 0x80): RIP is past it */
	HOST_EXIT_GP,            /* #GP: a privileged instruction, RDTSC or CPUID
	                          * made to trap, a non-canonical address */
	HOST_EXIT_PF,            /* #PF at addr: pf_errcode, pf_known */
	HOST_EXIT_UD,            /* #UD */
	HOST_EXIT_DE,            /* #DE: integer divide error or overflow */
	HOST_EXIT_XM,            /* #XM or #MF: a SIMD or x87 floating-point
	                          * error (the host does not tell them apart) */
	HOST_EXIT_BP,            /* #BP: INT3, RIP is past it */
	HOST_EXIT_DB,            /* #DB: a single step's trap (single_step) or INT1 */
	HOST_EXIT_SS,            /* #SS (a stack reference at a non-canonical
	                          * address) or #NP */
	HOST_EXIT_AC,            /* #AC: a misaligned access with RFLAGS.AC set at
	                          * CPL 3, or the host's split-lock detection */
	HOST_EXIT_KICK,          /* host_kick(): the I/O thread wants the vCPU */
	HOST_EXIT_DIED,          /* the context process is gone: status */
	HOST_EXIT_HOST_FAULT,    /* a host event with no x86 meaning (a bus error
	                          * on guest RAM's file, a stray signal):
	                          * host_exit_describe() says which */
};

struct host_exit {
	enum host_exit_reason reason; /* what stopped the context */
	u64 addr;                /* PF: the faulting linear address (CR2) */
	u32 pf_errcode;          /* PF: the #PF error code, as far as known */
	u32 pf_known;            /* PF: its bits the host knows (PFEC_*): under
	                          * ptrace only PFEC_P, the page was present */
	bool single_step;        /* DB: the trap after one instruction (DR6.BS) */
	int status;              /* DIED: exit code, or -signal if killed */
	int host_signo, host_code; /* HOST_FAULT: for host_exit_describe() only */
	const char *why;         /* HOST_FAULT without a signal: what happened */
	bool regs_unchanged;     /* KICK: it came before any guest code ran (a
	                          * folded batch, host_fold.c): the vCPU's
	                          * registers are as loaded, not to be read back */
};

/* host.c */
/* Copy the vCPU's registers into context process 'pid' (host CS/SS, IF=1). */
int host_load_vcpu(pid_t pid, const struct vcpu *v);
/* Copy the registers of stopped 'pid' into the vCPU, keeping the virtual
 * IF and IOPL; at a SYSCALL exit RAX is the guest's (orig_rax). */
int host_save_vcpu(pid_t pid, struct vcpu *v, bool syscall_stop);
/* Resume 'pid' and wait for its next exit, filling *e; with 'step', for
 * one instruction only (then HOST_EXIT_DB with single_step, unless the
 * instruction itself exits). */
int host_run(pid_t pid, struct host_exit *e, bool step);
/* Any thread: make running context 'pid' exit with HOST_EXIT_KICK soon
 * (at once if it is stopped: its next host_run() returns the kick). */
int host_kick(pid_t pid);
/* The exit for a diagnostic: "#GP", "#PF", "SYSCALL", ...; for
 * HOST_EXIT_HOST_FAULT what the host reported.  Returns buf. */
const char *host_exit_describe(const struct host_exit *e, char *buf, size_t len);
/* Move the FPU/XSAVE state from one context process to another. */
int host_move_fpu(pid_t from, pid_t to);
/* The FPU/XSAVE state of context 'pid' into buf (at most size bytes; the
 * host's full XSAVE size is needed): returns its size, or -errno.  And
 * back: size must be the host's full size (DESIGN.md pitfalls); a state
 * the host kernel finds invalid is -EINVAL. */
#define HOST_FPU_MAX (64 * 1024)      /* far above this host's 10752 (AMX) */
int host_get_fpu(pid_t pid, void *buf, size_t size);
int host_set_fpu(pid_t pid, const void *buf, size_t size);
/* Kill and reap a context process. */
void host_kill(pid_t pid);
/* Does prctl(PR_SET_TSC, PR_TSC_SIGSEGV) really make RDTSC trap on this
 * host?  1 or 0 (probed in a child process), or -errno. */
int host_rdtsc_traps(void);

/* context.c: context processes running the stub, and mapping batches,
 * queued per context (ctxq.c) until that context resumes guest code. */
#include "ctxq.h"
#include "stub.h"
#define STUB_QUEUES 64           /* contexts with operations pending at once */
#define STUB_QUEUE_MAX 1024      /* operations one queue holds before it runs */
struct stub {
	int exec_fd;             /* memfd holding the stub ELF, for fexecve */
	int data_fd;             /* memfd of the shared stub data page */
	u8 *data;                /* the monitor's mapping of that page */
	int ram_fd;              /* guest RAM memfd handed to every context */
	int patch_fd;            /* memfd of patched code copies (-1: none) */
	struct ctxq q[STUB_QUEUES]; /* per context: operations not run yet */
	struct ctxq_stats qst;   /* what the queues asked for and saved */
	bool cpuid_faulting;     /* the host made CPUID trap in contexts */
	bool cpuid_faulting_off; /* do not ask for it (--cpuid-faulting=off); set
	                          * after stub_init, before the first context */
	bool signal;             /* --backend=signal: new contexts catch their
	                          * own traps (host_signal.c); set likewise */
	u32 signal_spin;         /* --signal-spin: PAUSE loops before a hand-off
	                          * sleeps on its futex (0: at once) */
	bool rdtsc_trap_off;     /* do not ask for RDTSC trapping: the host
	                          * ignores it (host_rdtsc_traps()), so RDTSC
	                          * runs natively; set likewise */
	u64 batches;             /* batches run */
	u64 ops;                 /* operations run */
	u64 spawned;             /* context processes created */

	/* Folding a context's last batch into its resume (host_fold.c). */
	bool fold;               /* --map-on-resume (set like signal) */
	bool fold_forged;        /* folding turned itself off: guest code ran
	                          * the stub's syscall right after one */
	bool key_probed;         /* the first context asked the host */
	u32 key;                 /* bits 32-63 of every stub call's fifth
	                          * argument, which the filter checks; 0: none
	                          * (the host refused it: no folding) */
	pid_t fold_pid;          /* armed: its last batch waits for its resume */
	u32 fold_n;              /* fold_op[0..fold_n): that batch, kept until
	                          * the stop after it (a replay needs it) */
	struct ctxq_op fold_op[STUB_MAX_OPS];
	u64 fold_regs[27];       /* the guest's registers, as PTRACE_SETREGS */
	u64 folded;              /* batches folded into a resume */
	u64 fold_kicked;         /* of which a kick ended before guest code */
	u64 fold_replays;        /* int3s at the batch's end after a fold, sorted
	                          * out by running the batch again */
};

int stub_init(struct stub *s, int ram_fd, char *err, size_t errlen);
void stub_destroy(struct stub *s);
/* Create a context process: exec the stub, unmap everything else, make
 * RDTSC (and CPUID where the host can) trap, install the seccomp filter. */
int ctx_spawn(struct stub *s, pid_t *pid);
/* Queue mmap of guest RAM at 'gva' (one page, GPA 'gpa', PROT_* 'prot'),
 * or munmap of [gva, gva+len), for context 'pid'. */
int ctx_map(struct stub *s, pid_t pid, u64 gva, u64 gpa, int prot);
/* The same from the patched-code memfd, at byte offset 'off'. */
int ctx_map_patch(struct stub *s, pid_t pid, u64 gva, u64 off, int prot);
int ctx_unmap(struct stub *s, pid_t pid, u64 gva, u64 len);
/* Queue mprotect of [gva, gva+len) to PROT_* 'prot'. */
int ctx_protect(struct stub *s, pid_t pid, u64 gva, u64 len, int prot);
/* 'pid' is about to be killed: drop the operations queued for it. */
void ctx_forget(struct stub *s, pid_t pid);
/* Run the operations queued for 'pid': just before it resumes guest code
 * (a context that does not run needs its changes no sooner: there is one
 * vCPU, so no guest code runs in it meanwhile). */
int ctx_flush_for(struct stub *s, pid_t pid);
/* The same, but with s->fold the last batch (up to STUB_MAX_OPS
 * operations) waits: the next host_load_vcpu() and host_run() of 'pid' run
 * it and go on to guest code in one hand-off, with no stop between
 * (host_fold.c; docs/ARCHITECTURE.md, "Folding the mappings into the
 * resume").  Anything else for that context runs it first. */
int ctx_arm(struct stub *s, pid_t pid);
/* Run every context's queued operations (when the monitor reads the host's
 * mappings, as the shadow checker does). */
int ctx_flush(struct stub *s);

#endif
