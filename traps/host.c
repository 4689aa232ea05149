/*
 * The host layer: every ptrace and waitpid call of the monitor lives here
 * (and fork/exec in context.c).  UML's os-Linux/skas/process.c is the model:
 * resume a context under PTRACE_SYSEMU, wait for it to stop, and turn the
 * stop into an architectural exit reason (struct host_exit, host.h): the
 * host's signals and si_codes are known here and nowhere above.  Calls
 * retry EINTR and return -errno.
 *
 * The registers of a context process are the vCPU's general registers, RIP,
 * RSP and the FS/GS bases.  Everything privileged (CPL, IF, IOPL, selectors,
 * control registers) lives only in struct vcpu: the host process always runs
 * with the host's ring-3 CS/SS and IF=1.
 */
#include <errno.h>
#include <stdio.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <x86intrin.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <elf.h>

#include "host_internal.h"

int host_load_vcpu(pid_t pid, const struct vcpu *v)
{
	struct sigctx *sc = sig_find(pid);
	if (sc)
		return sig_load_vcpu(sc, v);
	struct user_regs_struct r = {
		.r15 = v->gpr[R_R15], .r14 = v->gpr[R_R14], .r13 = v->gpr[R_R13],
		.r12 = v->gpr[R_R12], .rbp = v->gpr[R_RBP], .rbx = v->gpr[R_RBX],
		.r11 = v->gpr[R_R11], .r10 = v->gpr[R_R10], .r9 = v->gpr[R_R9],
		.r8 = v->gpr[R_R8], .rax = v->gpr[R_RAX], .rcx = v->gpr[R_RCX],
		.rdx = v->gpr[R_RDX], .rsi = v->gpr[R_RSI], .rdi = v->gpr[R_RDI],
		.orig_rax = (unsigned long)-1, .rip = v->rip,
		.cs = HOST_USER_CS, .ss = HOST_USER_DS,
		.eflags = (v->rflags & host_flags(v)) | X86_RFLAGS_IF | X86_RFLAGS_FIXED,
		.rsp = v->gpr[R_RSP],
		.fs_base = host_base(v->fs_base), .gs_base = host_base(v->gs_base),
	};
	struct stub *fs = fold_armed(pid);
	if (fs)
		return fold_load(fs, pid, &r);
	if (ptrace(PTRACE_SETREGS, pid, 0, &r) < 0)
		return -errno;
	return 0;
}

int host_save_vcpu(pid_t pid, struct vcpu *v, bool syscall_stop)
{
	struct user_regs_struct r;
	struct sigctx *sc = sig_find(pid);

	if (sc)
		return sig_save_vcpu(sc, v);
	if (ptrace(PTRACE_GETREGS, pid, 0, &r) < 0)
		return -errno;
	v->gpr[R_R15] = r.r15; v->gpr[R_R14] = r.r14; v->gpr[R_R13] = r.r13;
	v->gpr[R_R12] = r.r12; v->gpr[R_RBP] = r.rbp; v->gpr[R_RBX] = r.rbx;
	v->gpr[R_R11] = r.r11; v->gpr[R_R10] = r.r10; v->gpr[R_R9] = r.r9;
	v->gpr[R_R8] = r.r8; v->gpr[R_RCX] = r.rcx; v->gpr[R_RDX] = r.rdx;
	v->gpr[R_RSI] = r.rsi; v->gpr[R_RDI] = r.rdi; v->gpr[R_RSP] = r.rsp;
	/* At a SYSEMU stop the kernel has already put -ENOSYS in RAX. */
	v->gpr[R_RAX] = syscall_stop ? r.orig_rax : r.rax;
	v->rip = r.rip;
	v->rflags = (r.eflags & host_flags(v)) | X86_RFLAGS_FIXED |
		    (v->rflags & ~host_flags(v) & ~X86_RFLAGS_FIXED);
	/* The guest may change its bases natively (WRFSBASE); a base the host
	 * could not hold stays as the guest set it. */
	if (r.fs_base != host_base(v->fs_base))
		v->fs_base = r.fs_base;
	if (r.gs_base != host_base(v->gs_base))
		v->gs_base = r.gs_base;
	return 0;
}

int host_wait(pid_t pid, int *status)
{
	for (;;) {
		pid_t r = waitpid(pid, status, __WALL);
		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

/* What the host's signal for a fault in a context means on x86: which
 * exception the CPU raised, as the host kernel reports it to a tracer
 * (arch/x86/kernel/traps.c, fault.c). */
void host_classify(int sig, const siginfo_t *si, struct host_exit *e)
{
	switch (sig) {
	case SIGSEGV:
		if (si->si_code == SI_KERNEL) {          /* #GP (and #TS, never here) */
			e->reason = HOST_EXIT_GP;
			return;
		}
		/* A page fault.  A tracer learns no error code, only whether
		 * the page was mapped with too little access (SEGV_ACCERR). */
		e->reason = HOST_EXIT_PF;
		e->addr = (u64)(uintptr_t)si->si_addr;
		e->pf_errcode = si->si_code == SEGV_ACCERR ? PFEC_P : 0;
		e->pf_known = PFEC_P;
		return;
	case SIGILL:
		e->reason = HOST_EXIT_UD;
		return;
	case SIGBUS:
		if (si->si_code == SI_KERNEL) {          /* #SS or #NP */
			e->reason = HOST_EXIT_SS;
			return;
		}
		if (si->si_code == BUS_ADRALN) {         /* #AC */
			e->reason = HOST_EXIT_AC;
			return;
		}
		break;                                   /* a bus error on a file */
	case SIGFPE:
		e->reason = si->si_code == FPE_INTDIV || si->si_code == FPE_INTOVF ?
			    HOST_EXIT_DE : HOST_EXIT_XM;
		return;
	case SIGTRAP:
		if (si->si_code == SI_KERNEL) {          /* INT3 */
			e->reason = HOST_EXIT_BP;
			return;
		}
		e->reason = HOST_EXIT_DB;
		e->single_step = si->si_code == TRAP_TRACE;
		return;
	case HOST_KICK_SIGNAL:
		e->reason = HOST_EXIT_KICK;
		return;
	}
	e->reason = HOST_EXIT_HOST_FAULT;
	e->addr = (u64)(uintptr_t)si->si_addr;
	e->host_signo = sig;
	e->host_code = si->si_code;
}

int host_run(pid_t pid, struct host_exit *e, bool step)
{
	int status, sig;
	struct sigctx *sc = sig_find(pid);

	if (sc)
		return sig_run(sc, e, step);
	struct stub *fs = fold_armed(pid);
	if (fs)
		return fold_run(fs, pid, e, step);
	memset(e, 0, sizeof(*e));
	for (;;) {
		if (ptrace(step ? PTRACE_SYSEMU_SINGLESTEP : PTRACE_SYSEMU, pid, 0, 0) < 0)
			return -errno;
		int r = host_wait(pid, &status);
		if (r < 0)
			return r;
		if (WIFEXITED(status)) {
			e->reason = HOST_EXIT_DIED;
			e->status = WEXITSTATUS(status);
			return 0;
		}
		if (WIFSIGNALED(status)) {
			e->reason = HOST_EXIT_DIED;
			e->status = -WTERMSIG(status);
			return 0;
		}
		sig = WSTOPSIG(status);
		if (sig == (SIGTRAP | 0x80)) {
			e->reason = HOST_EXIT_SYSCALL;
			return 0;
		}
		/* A ptrace event (group-stop under SEIZE) is not the guest's:
		 * resume it. */
		if (status >> 16)
			continue;
		siginfo_t si;
		if (ptrace(PTRACE_GETSIGINFO, pid, 0, &si) < 0)
			return -errno;
		host_classify(sig, &si, e);
		return 0;
	}
}

int host_kick(pid_t pid)
{
	return kill(pid, HOST_KICK_SIGNAL) < 0 ? -errno : 0;
}

const char *host_exit_describe(const struct host_exit *e, char *buf, size_t len)
{
	static const char *const names[] = {
		[HOST_EXIT_SYSCALL] = "SYSCALL", [HOST_EXIT_GP] = "#GP", [HOST_EXIT_PF] = "#PF",
		[HOST_EXIT_UD] = "#UD", [HOST_EXIT_DE] = "#DE", [HOST_EXIT_XM] = "#XM",
		[HOST_EXIT_BP] = "#BP", [HOST_EXIT_DB] = "#DB", [HOST_EXIT_SS] = "#SS",
		[HOST_EXIT_AC] = "#AC", [HOST_EXIT_KICK] = "kick",
		[HOST_EXIT_DIED] = "context process died",
	};

	if (e->reason == HOST_EXIT_HOST_FAULT && e->why)
		snprintf(buf, len, "%s", e->why);
	else if (e->reason == HOST_EXIT_HOST_FAULT && e->host_signo == SIGBUS)
		snprintf(buf, len, "host SIGBUS, code %d, address %#llx", e->host_code,
			 (unsigned long long)e->addr);
	else if (e->reason == HOST_EXIT_HOST_FAULT)
		snprintf(buf, len, "unexpected host signal %d (%s), code %d, address %#llx",
			 e->host_signo, strsignal(e->host_signo), e->host_code,
			 (unsigned long long)e->addr);
	else
		snprintf(buf, len, "%s", (unsigned)e->reason < sizeof(names) / sizeof(names[0]) &&
			 names[e->reason] ? names[e->reason] : "exit");
	return buf;
}

/* The host's XSAVE area size, learnt from the kernel (DESIGN.md pitfalls:
 * SETREGSET accepts only the full size). */
int host_get_fpu(pid_t pid, void *buf, size_t size)
{
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	struct sigctx *sc = sig_find(pid);

	if (sc)
		return sig_get_fpu(sc, buf, size);
	if (ptrace(PTRACE_GETREGSET, pid, NT_X86_XSTATE, &iov) < 0)
		return -errno;
	return (int)iov.iov_len;
}

int host_set_fpu(pid_t pid, const void *buf, size_t size)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = size };
	struct sigctx *sc = sig_find(pid);

	if (sc)
		return sig_set_fpu(sc, buf, size);
	if (ptrace(PTRACE_SETREGSET, pid, NT_X86_XSTATE, &iov) < 0)
		return -errno;
	return 0;
}

int host_move_fpu(pid_t from, pid_t to)
{
	/* On the context-switch path: a stack buffer, not an allocation. */
	u8 buf[HOST_FPU_MAX] __attribute__((aligned(64)));
	int n = host_get_fpu(from, buf, sizeof(buf));

	return n < 0 ? n : host_set_fpu(to, buf, (size_t)n);
}

void host_kill(pid_t pid)
{
	int status;

	if (pid <= 0 || sig_forget(pid))
		return;                 /* none, or a signal context already reaped */
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, __WALL) < 0 && errno == EINTR)
		;
}

/* A child asks for RDTSC trapping and executes RDTSC: killed by SIGSEGV
 * where the host honours CR4.TSD.  Some hypervisors intercept RDTSC and
 * ignore the guest's TSD, so the prctl succeeds and RDTSC runs anyway. */
int host_rdtsc_traps(void)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);
		if (prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0) != 0)
			_exit(1);
		(void)__rdtsc();
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV;
}
