/*
 * Folding a context's last batch of mapping changes into its resume
 * (docs/ARCHITECTURE.md, "Folding the mappings into the resume").
 *
 * A hidden fault needs a mapping before the guest can go on.  Run plainly,
 * that is two stops: the stub's batch ends with int3 (one), then the guest
 * runs until its next exit (two).  Folded, the monitor points the stopped
 * context at the stub with the batch and the guest's registers in the data
 * page and resumes it with PTRACE_CONT: the stub runs the calls, clears
 * them, loads the registers and returns to guest code with iretq, and the
 * guest's next exit is the only stop.
 *
 * PTRACE_CONT, not PTRACE_SYSEMU, lets the stub's calls run; so guest code
 * until that next exit meets the context's seccomp filter rather than
 * SYSEMU.  The filter lets through only mmap, munmap and mprotect from the
 * stub's syscall instruction carrying the key (a random 32 bits in the
 * upper half of the fifth argument, context.c); everything else it traps:
 * SIGSYS, the call not run, which the monitor takes as the guest's SYSCALL.
 * Guest code never sees the key: the stub clears the operations before it
 * loads the guest's registers.  A guess is one try per monitor: a SIGSYS
 * from the stub's own syscall instruction turns folding off for good
 * (docs/THREAT-MODEL.md).
 *
 * Three things can stop the context before guest code runs, and each is
 * told apart by RIP, which only the stub's code can be at then:
 *   - a kick while the batch runs (RIP in the batch loop): the monitor sets
 *     the batch's next step back to the int3 and lets it finish; the exit
 *     is then a kick with the vCPU's registers unchanged;
 *   - a kick while STUB_FOLD loads the registers: the batch is done, the
 *     same kick;
 *   - a failed call: the int3 at STUB_BATCH_END.  Guest code could jump to
 *     that int3 too (it can jump anywhere), and the data page's counts are
 *     then its own; so unless a kick of ours sent the stub there with every
 *     call done, the monitor runs the kept batch again the plain way: if
 *     that fails, it is the host's error; if not, the int3 was the guest's
 *     own, a #BP where it stands.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>

#include "host_internal.h"

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1           /* SIGSYS si_code (asm-generic/siginfo.h) */
#endif

static struct stub *armed;      /* the stub whose batch waits, if any */

static u64 *data_word(struct stub *s, unsigned off)
{
	return (u64 *)(s->data + off);
}

struct stub *fold_armed(pid_t pid)
{
	return armed && armed->fold_pid == pid && pid > 0 ? armed : NULL;
}

void fold_arm(struct stub *s, pid_t pid, const struct ctxq_op *op, u32 n)
{
	memcpy(s->fold_op, op, n * sizeof(*op));
	s->fold_n = n;
	s->fold_pid = pid;
	armed = s;
}

void fold_drop(struct stub *s)
{
	s->fold_pid = 0;
	s->fold_n = 0;
	if (armed == s)
		armed = NULL;
}

int fold_disarm(struct stub *s)
{
	pid_t pid = s->fold_pid;
	u32 n = s->fold_n;

	if (!pid)
		return 0;
	fold_drop(s);
	return ctx_exec(s, pid, s->fold_op, n);
}

int fold_load(struct stub *s, pid_t pid, const struct user_regs_struct *r)
{
	u64 *g = data_word(s, STUB_OFF_REGS), *f = data_word(s, STUB_OFF_IRET);
	struct user_regs_struct at = *r;

	_Static_assert(sizeof(*r) == sizeof(s->fold_regs), "struct user_regs_struct");
	_Static_assert(STUB_OFF_IRET + 5 * 8 <= STUB_OFF_REGS + STUB_REGS_SIZE &&
		       STUB_OFF_REGS + STUB_REGS_SIZE <= 4096 &&
		       STUB_OFF_SCRATCH + STUB_SCRATCH_SIZE <= STUB_OFF_REGS, "stub.h's data page");
	g[R_RAX] = r->rax; g[R_RCX] = r->rcx; g[R_RDX] = r->rdx; g[R_RBX] = r->rbx;
	g[R_RSP] = 0;      g[R_RBP] = r->rbp; g[R_RSI] = r->rsi; g[R_RDI] = r->rdi;
	g[R_R8] = r->r8;   g[R_R9] = r->r9;   g[R_R10] = r->r10; g[R_R11] = r->r11;
	g[R_R12] = r->r12; g[R_R13] = r->r13; g[R_R14] = r->r14; g[R_R15] = r->r15;
	f[0] = r->rip; f[1] = r->cs; f[2] = r->eflags; f[3] = r->rsp; f[4] = r->ss;
	ctx_put_ops(s, s->fold_op, s->fold_n, STUB_FOLD);
	memcpy(s->fold_regs, r, sizeof(*r));
	/* The stub runs with the guest's FS/GS bases (it uses neither) and
	 * plain flags: the guest's TF or AC take effect at the iretq. */
	at.rip = STUB_BATCH;
	at.eflags = X86_RFLAGS_IF | X86_RFLAGS_FIXED;
	if (ptrace(PTRACE_SETREGS, pid, 0, &at) < 0)
		return -errno;
	return 0;
}

/* The int3 at STUB_BATCH_END after a folded resume with no kick: a call
 * failed, or guest code jumped there.  Run the batch again the plain way. */
static int fold_replay(struct stub *s, pid_t pid, u32 n, struct host_exit *e)
{
	struct user_regs_struct at;
	int r;

	if (ptrace(PTRACE_GETREGS, pid, 0, &at) < 0)
		return -errno;
	s->fold_replays++;
	r = ctx_exec(s, pid, s->fold_op, n);
	if (r < 0)
		return r;               /* the host's error, as a plain batch's */
	if (ptrace(PTRACE_SETREGS, pid, 0, &at) < 0)
		return -errno;
	e->reason = HOST_EXIT_BP;       /* the guest's own int3 */
	return 0;
}

int fold_run(struct stub *s, pid_t pid, struct host_exit *e, bool step)
{
	u32 n = s->fold_n;
	bool kicked = false;
	int r = 0;

	if (step) {                     /* one instruction: not through iretq */
		struct user_regs_struct at;
		memcpy(&at, s->fold_regs, sizeof(at));
		r = fold_disarm(s);
		if (r < 0)
			return r;
		if (ptrace(PTRACE_SETREGS, pid, 0, &at) < 0)
			return -errno;
		return host_run(pid, e, step);
	}
	s->fold_pid = 0;                /* fold_op[0..n) stays until the stop */
	armed = NULL;
	memset(e, 0, sizeof(*e));
	if (ptrace(PTRACE_CONT, pid, 0, 0) < 0) {
		r = -errno;
		goto out;
	}
	for (;;) {
		int status, sig;
		siginfo_t si;
		struct user_regs_struct at;

		r = host_wait(pid, &status);
		if (r < 0)
			goto out;
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			e->reason = HOST_EXIT_DIED;
			e->status = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
			goto out;
		}
		sig = WSTOPSIG(status);
		if ((status >> 16) || sig == (SIGTRAP | 0x80)) {
			if (ptrace(PTRACE_CONT, pid, 0, 0) < 0) {
				r = -errno;
				goto out;
			}
			continue;       /* a ptrace event: not the guest's */
		}
		if (ptrace(PTRACE_GETSIGINFO, pid, 0, &si) < 0) {
			r = -errno;
			goto out;
		}
		if (sig == HOST_KICK_SIGNAL || (sig == SIGTRAP && si.si_code == SI_KERNEL)) {
			if (ptrace(PTRACE_GETREGS, pid, 0, &at) < 0) {
				r = -errno;
				goto out;
			}
			if (sig == HOST_KICK_SIGNAL && at.rip >= STUB_BATCH && at.rip <= STUB_BATCH_END) {
				*data_word(s, STUB_OFF_NEXT) = STUB_BATCH_END;
				kicked = true;
				if (ptrace(PTRACE_CONT, pid, 0, 0) < 0) {
					r = -errno;
					goto out;
				}
				continue;
			}
			if (sig == HOST_KICK_SIGNAL && at.rip >= STUB_FOLD && at.rip < STUB_FOLD_END)
				goto kick;      /* past the batch, before the guest */
			if (sig == SIGTRAP && at.rip == STUB_BATCH_END + 1) {
				/* After our kick, with every call done: the end we
				 * asked for.  Otherwise a call failed, or guest code
				 * is at the int3 (its counts are its own): ask the
				 * host again. */
				if (kicked && *data_word(s, STUB_OFF_DONE) == n)
					goto kick;
				r = fold_replay(s, pid, n, e);
				goto out;
			}
		}
		s->folded++;
		s->batches++;
		s->ops += n;
		if (sig == SIGSYS && si.si_code == SYS_SECCOMP) {
			/* Guest code's SYSCALL, trapped by the filter and not run.
			 * From the stub's own instruction it is a guess at the
			 * key: no more folding, so no second guess. */
			if ((u64)(uintptr_t)si.si_call_addr == STUB_SYSCALL + 2)
				s->fold_forged = true;
			e->reason = HOST_EXIT_SYSCALL;
		} else if (sig == SIGILL && si.si_code == SI_KERNEL &&
			   ptrace(PTRACE_GETREGS, pid, 0, &at) == 0 && at.orig_rax == HOST_NR_URETPROBE) {
			/* Not a #UD (ILL_ILLOPN): seccomp lets uretprobe(2)
			 * through unfiltered (Linux 6.11+), and outside its
			 * trampoline it sends this.  The guest's system call
			 * 335, as under the signal backend (THREAT-MODEL.md). */
			e->reason = HOST_EXIT_SYSCALL;
		} else {
			host_classify(sig, &si, e);
		}
		goto out;
	}
kick:
	/* Every call ran, no guest code did: the kick is the exit. */
	s->folded++;
	s->fold_kicked++;
	s->batches++;
	s->ops += n;
	e->reason = HOST_EXIT_KICK;
	e->regs_unchanged = true;
out:
	ctx_clear_data(s, n);
	s->fold_n = 0;
	return r;
}
