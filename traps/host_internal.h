/*
 * What the host layer's files share (host.c, context.c, host_signal.c) and
 * nothing above them sees: the rules for the registers a context process
 * may hold, the translation of a host signal into an exit reason, and the
 * signal backend's entry points (docs/ARCHITECTURE.md, "The host layer").
 */
#ifndef HOST_INTERNAL_H
#define HOST_INTERNAL_H

#include <signal.h>
#include <sys/user.h>

#include "host.h"
#include "shadow.h"

#define HOST_USER_CS 0x33
#define HOST_USER_DS 0x2b
/* Highest FS/GS base the host accepts (TASK_SIZE_MAX). */
#define HOST_TASK_SIZE_MAX 0x7ffffffff000ull
/* A guest base the host cannot hold is replaced by this unmapped address in
 * the monitor's window, so FS:/GS: accesses through it fault there. */
#define HOST_BAD_BASE 0x7fff80000000ull
/* x86-64's uretprobe(2) (Linux 6.11): seccomp lets it through unfiltered,
 * and outside its trampoline it sends SIGILL (SI_KERNEL), which both
 * backends take as the guest's system call 335 (docs/THREAT-MODEL.md). */
#define HOST_NR_URETPROBE 335
/* The signal the I/O thread kicks a running context with (host_kick()). */
#define HOST_KICK_SIGNAL SIGUSR1

/* RFLAGS bits the guest owns in the host process; IF, IOPL and the rest
 * stay virtual. */
#define HOST_USER_FLAGS (X86_RFLAGS_CF | X86_RFLAGS_PF | X86_RFLAGS_AF | \
	X86_RFLAGS_ZF | X86_RFLAGS_SF | X86_RFLAGS_TF | X86_RFLAGS_DF | \
	X86_RFLAGS_OF | X86_RFLAGS_NT | X86_RFLAGS_RF | X86_RFLAGS_AC | X86_RFLAGS_ID)

/* The flags the host process carries for the guest.  AC stays virtual in
 * guest kernel mode: ring 0 never takes alignment checks, but the host
 * enforces them in ring 3 when AC is set. */
static inline u64 host_flags(const struct vcpu *v)
{
	return v->cpl == 0 ? HOST_USER_FLAGS & ~X86_RFLAGS_AC : HOST_USER_FLAGS;
}

static inline u64 host_base(u64 base)
{
	return base < GUEST_VA_END ? base : HOST_BAD_BASE;
}

/* host.c: wait for 'pid' to stop (EINTR retried): 0 or -errno. */
int host_wait(pid_t pid, int *status);
/* host.c: what the host's signal 'sig' for a fault in a context means on
 * x86 (the same for a tracer's siginfo and a handler's). */
void host_classify(int sig, const siginfo_t *si, struct host_exit *e);

/* context.c: queue one system call for the stub to run in 'pid'. */
int ctx_queue(struct stub *s, pid_t pid, u64 nr, u64 a0, u64 a1, u64 a2,
	      u64 a3, u64 a4, u64 a5);
/* Resume 'pid' (stopped under ptrace) at 'rip' with PTRACE_CONT and wait
 * for the stub's int3; *rax, if asked, is RAX then. */
int ctx_run_stub(pid_t pid, u64 rip, u64 *rax);
/* Point stopped 'pid' at 'rip' and let it go: ptrace no longer. */
int ctx_detach_at(pid_t pid, u64 rip);
/* Write n operations into the stub data page (with the key), and where the
 * batch goes once they all ran (STUB_BATCH_END or STUB_FOLD). */
void ctx_put_ops(struct stub *s, const struct ctxq_op *op, u32 n, u64 next);
/* Clear the data page after a batch of n: operations, key and registers. */
void ctx_clear_data(struct stub *s, u32 n);
/* Run n operations in stopped 'pid' now, ending at the stub's int3. */
int ctx_exec(struct stub *s, pid_t pid, const struct ctxq_op *op, u32 n);

/* host_fold.c: a context's last batch folded into its resume. */
/* The stub whose batch waits for 'pid' to resume, or NULL. */
struct stub *fold_armed(pid_t pid);
/* Keep op[0..n) (at most STUB_MAX_OPS) for 'pid''s next resume. */
void fold_arm(struct stub *s, pid_t pid, const struct ctxq_op *op, u32 n);
/* Run the waiting batch now, the plain way (something else comes first). */
int fold_disarm(struct stub *s);
/* Its context is gone: forget the waiting batch. */
void fold_drop(struct stub *s);
/* host_load_vcpu() and host_run() of an armed context. */
int fold_load(struct stub *s, pid_t pid, const struct user_regs_struct *r);
int fold_run(struct stub *s, pid_t pid, struct host_exit *e, bool step);

/* host_signal.c: the signal backend.  A context made by it is owned by it
 * from then on: host.c and context.c hand it every call for that pid. */
struct sigctx;
struct sigctx *sig_find(pid_t pid);
int sig_memfd(void);
int sig_setup(struct stub *s, pid_t pid, int memfd);
int sig_load_vcpu(struct sigctx *c, const struct vcpu *v);
int sig_save_vcpu(struct sigctx *c, struct vcpu *v);
int sig_run(struct sigctx *c, struct host_exit *e, bool step);
int sig_get_fpu(struct sigctx *c, void *buf, size_t size);
int sig_set_fpu(struct sigctx *c, const void *buf, size_t size);
int sig_batch(struct sigctx *c, const struct ctxq_op *op, u32 n, u64 *done, s64 *result);
/* 'pid' is killed: forget it; true if it was a signal-backend context that
 * was already reaped. */
bool sig_forget(pid_t pid);

#endif
