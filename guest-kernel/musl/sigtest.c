/*
 * sigtest: signals as a static musl program sees them, through musl's own
 * sigaction, sigsetjmp/siglongjmp, raise, alarm, setitimer, sigsuspend,
 * sigaltstack and waitid, and a few raw system calls.  Each check group
 * prints "sigtest: ok NAME" or "sigtest: FAIL NAME: what" lines, and the
 * program ends with "sigtest: ok" (exit 0) or "sigtest: N failed" (exit 1).
 *
 * Some children die on purpose (a blocked SIGSEGV, a bad signal frame, no
 * room for a frame): the kernel names them on the console with a "sigtest:
 * killed by" line.  "sigtest exec-check" is the second half of the execve
 * check, "sigtest sleeper" a child that says it runs (SIGUSR1 to its
 * parent), sleeps and exits.
 *
 * "sigtest intr [norestart]" is for a person (or tests/integration/
 * signals.sh) at the console: it reads a line with a SIGINT handler in
 * place, with SA_RESTART or without, so that a ^C runs the handler and
 * then either goes on reading or ends the read with EINTR.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

static int fails;
static const char *cur;

#define CHECK(cond) check(cond, __LINE__, #cond)

static void check(int ok, int line, const char *what)
{
	if (!ok) {
		printf("sigtest: FAIL %s: line %d: %s\n", cur, line, what);
		fails++;
	}
}

static void run(const char *name, void (*fn)(void))
{
	int before = fails;

	cur = name;
	fn();
	if (fails == before)
		printf("sigtest: ok %s\n", name);
	fflush(stdout);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static pid_t child(void)
{
	fflush(stdout);
	return fork();
}

/* The wait status of child pid (-1 if wait fails). */
static int reap(pid_t pid)
{
	int st;

	return waitpid(pid, &st, 0) == pid ? st : -1;
}

static void set_handler(int sig, void (*fn)(int, siginfo_t *, void *), int flags, const sigset_t *mask)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fn;
	sa.sa_flags = flags | SA_SIGINFO;
	if (mask)
		sa.sa_mask = *mask;
	sigaction(sig, &sa, 0);
}

static void set_default(int sig)
{
	signal(sig, SIG_DFL);
}

static sigset_t mask_of(int a, int b)
{
	sigset_t s;

	sigemptyset(&s);
	if (a)
		sigaddset(&s, a);
	if (b)
		sigaddset(&s, b);
	return s;
}

static sigset_t cur_mask(void)
{
	sigset_t s;

	sigprocmask(SIG_SETMASK, 0, &s);
	return s;
}

/* ---- the frame: registers at entry, siginfo, ucontext, FPU image ---- */

/* The handler's first instructions record what the kernel handed it, then
 * go on to the C handler. */
volatile unsigned long entry_rsp, entry_rax, entry_rdi, entry_rsi, entry_rdx, entry_flags;
void frame_handler(int sig, siginfo_t *si, void *uc);
void tramp_handler(int sig, siginfo_t *si, void *uc);
asm(".text\n"
    ".globl tramp_handler\n"
    "tramp_handler:\n"
    "\tmovq %rsp, entry_rsp(%rip)\n"
    "\tmovq %rax, entry_rax(%rip)\n"
    "\tmovq %rdi, entry_rdi(%rip)\n"
    "\tmovq %rsi, entry_rsi(%rip)\n"
    "\tmovq %rdx, entry_rdx(%rip)\n"
    "\tpushfq\n"
    "\tpopq entry_flags(%rip)\n"
    "\tjmp frame_handler\n");

static struct {
	int signo, code, pid, uid;
	unsigned long uc_flags, rsp, rip, sigmask, fpstate, oldmask;
	unsigned magic1, magic2, xstate_size;
	int calls;
	sigset_t mask_inside;
} fr;

void frame_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	const unsigned char *fp = (const unsigned char *)uc->uc_mcontext.fpregs;

	fr.calls++;
	fr.signo = si->si_signo == sig ? sig : -1;
	fr.code = si->si_code;
	fr.pid = si->si_pid;
	fr.uid = si->si_uid;
	fr.uc_flags = uc->uc_flags;
	fr.rsp = uc->uc_mcontext.gregs[REG_RSP];
	fr.rip = uc->uc_mcontext.gregs[REG_RIP];
	fr.oldmask = uc->uc_mcontext.gregs[REG_OLDMASK];
	memcpy(&fr.sigmask, &uc->uc_sigmask, 8);
	fr.fpstate = (unsigned long)fp;
	if (fp) {
		memcpy(&fr.magic1, fp + 464, 4);
		memcpy(&fr.xstate_size, fp + 464 + 16, 4);
		if (fr.magic1 == 0x46505853u)
			memcpy(&fr.magic2, fp + fr.xstate_size, 4);
	}
	fr.mask_inside = cur_mask();
}

static void t_frame(void)
{
	sigset_t usr2 = mask_of(SIGUSR2, 0), hup = mask_of(SIGHUP, 0), old;
	unsigned long df_after;

	memset(&fr, 0, sizeof(fr));
	set_handler(SIGUSR1, tramp_handler, 0, &usr2);
	sigprocmask(SIG_BLOCK, &hup, &old);
	/* kill() with DF set: the handler must start with DF clear, and
	 * DF must be set again after it. */
	asm volatile("std\n\t"
		     "syscall\n\t"
		     "pushfq\n\t"
		     "popq %0\n\t"
		     "cld"
		     : "=r"(df_after)
		     : "a"(SYS_kill), "D"(getpid()), "S"(SIGUSR1)
		     : "rcx", "r11", "memory", "cc");
	sigprocmask(SIG_SETMASK, &old, 0);
	CHECK(fr.calls == 1);
	CHECK(fr.signo == SIGUSR1);
	CHECK(fr.code == SI_USER);
	CHECK(fr.pid == getpid());
	CHECK(fr.uid == 0);
	CHECK(entry_rdi == SIGUSR1);
	CHECK(entry_rax == 0);
	CHECK((entry_flags & 0x400) == 0);           /* DF clear in the handler */
	CHECK(df_after & 0x400);                     /* and back after it */
	CHECK(entry_rsp % 16 == 8);                  /* as after a call */
	CHECK(entry_rdx == entry_rsp + 8);           /* &uc: after pretcode */
	CHECK(entry_rsi == entry_rsp + 8 + 304);     /* &info: after uc */
	CHECK(*(unsigned long *)entry_rsp != 0);     /* pretcode: musl's restorer */
	CHECK(fr.rsp >= entry_rsp + 128 + 440);      /* below the red zone */
	CHECK((fr.uc_flags & 6) == 6);               /* UC_SIGCONTEXT_SS, UC_STRICT_RESTORE_SS */
	CHECK(fr.fpstate % 64 == 0 && fr.fpstate >= entry_rsi + 128 && fr.fpstate < fr.rsp);
	if (fr.uc_flags & 1) {                       /* UC_FP_XSTATE: an XSAVE image */
		CHECK(fr.magic1 == 0x46505853u);
		CHECK(fr.magic2 == 0x46505845u);
		CHECK(fr.xstate_size >= 576);
	}
	CHECK(fr.sigmask == fr.oldmask);
	CHECK(fr.sigmask & (1ul << (SIGHUP - 1)));   /* the interrupted mask */
	CHECK(!(fr.sigmask & (1ul << (SIGUSR1 - 1))));
	CHECK(sigismember(&fr.mask_inside, SIGUSR1)); /* the signal itself ... */
	CHECK(sigismember(&fr.mask_inside, SIGUSR2)); /* ... and sa_mask */
	CHECK(sigismember(&fr.mask_inside, SIGHUP));
	old = cur_mask();
	CHECK(!sigismember(&old, SIGUSR1) && !sigismember(&old, SIGUSR2));
	set_default(SIGUSR1);
}

/* ---- masks, SA_NODEFER, SA_RESETHAND, pending signals ---- */

static volatile int depth, max_depth, count1, count2, order[4], norder;

static void h_nest(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	count1++;
	if (++depth > max_depth)
		max_depth = depth;
	if (count1 == 1)
		raise(sig);
	depth--;
}

static void h_order(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	if (norder < 4)
		order[norder++] = sig;
	if (sig == SIGUSR1)
		raise(SIGUSR2);   /* blocked by sa_mask: runs after this one */
}

static void h_count(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	if (sig == SIGUSR2)
		count2++;
	else
		count1++;
}

static void t_masks(void)
{
	sigset_t usr2 = mask_of(SIGUSR2, 0), usr1 = mask_of(SIGUSR1, 0), set;
	struct sigaction sa;

	/* sa_mask holds SIGUSR2 off until the SIGUSR1 handler returns */
	norder = 0;
	set_handler(SIGUSR1, h_order, 0, &usr2);
	set_handler(SIGUSR2, h_order, 0, 0);
	raise(SIGUSR1);
	CHECK(norder == 2 && order[0] == SIGUSR1 && order[1] == SIGUSR2);

	/* without SA_NODEFER the signal waits for its handler to return */
	count1 = depth = max_depth = 0;
	set_handler(SIGUSR1, h_nest, 0, 0);
	raise(SIGUSR1);
	CHECK(count1 == 2 && max_depth == 1);
	/* with it, it nests */
	count1 = depth = max_depth = 0;
	set_handler(SIGUSR1, h_nest, SA_NODEFER, 0);
	raise(SIGUSR1);
	CHECK(count1 == 2 && max_depth == 2);

	/* SA_RESETHAND: once, then SIG_DFL */
	count1 = 0;
	set_handler(SIGUSR1, h_count, SA_RESETHAND, 0);
	raise(SIGUSR1);
	sigaction(SIGUSR1, 0, &sa);
	CHECK(count1 == 1 && sa.sa_handler == SIG_DFL);

	/* blocked: pending, then delivered as it is unblocked */
	count1 = 0;
	set_handler(SIGUSR1, h_count, 0, 0);
	sigprocmask(SIG_BLOCK, &usr1, 0);
	raise(SIGUSR1);
	raise(SIGUSR1);                 /* a standard signal is pending once */
	CHECK(count1 == 0);
	sigpending(&set);
	CHECK(sigismember(&set, SIGUSR1));
	sigprocmask(SIG_UNBLOCK, &usr1, 0);
	CHECK(count1 == 1);
	sigpending(&set);
	CHECK(!sigismember(&set, SIGUSR1));

	/* SIG_IGN throws a pending one away */
	sigprocmask(SIG_BLOCK, &usr1, 0);
	raise(SIGUSR1);
	signal(SIGUSR1, SIG_IGN);
	sigpending(&set);
	CHECK(!sigismember(&set, SIGUSR1));
	set_handler(SIGUSR1, h_count, 0, 0);
	sigprocmask(SIG_UNBLOCK, &usr1, 0);
	CHECK(count1 == 1);

	/* SIGKILL and SIGSTOP: no handler, no blocking */
	CHECK(sigaction(SIGKILL, &sa, 0) < 0 && errno == EINVAL);
	CHECK(sigaction(SIGSTOP, &sa, 0) < 0 && errno == EINVAL);
	sigfillset(&set);
	{
		sigset_t before, now;
		sigprocmask(SIG_BLOCK, &set, &before);
		now = cur_mask();
		CHECK(!sigismember(&now, SIGKILL) && !sigismember(&now, SIGSTOP) && sigismember(&now, SIGTERM));
		sigprocmask(SIG_SETMASK, &before, 0);
	}
	{
		long ksa[4] = { (long)SIG_DFL, 0, 0, 0 };
		CHECK(syscall(SYS_rt_sigaction, SIGUSR1, ksa, 0, 16) < 0 && errno == EINVAL);
		CHECK(syscall(SYS_rt_sigprocmask, SIG_BLOCK, 0, 0, 4) < 0 && errno == EINVAL);
		CHECK(syscall(SYS_rt_sigprocmask, 7, &ksa[1], 0, 8) < 0 && errno == EINVAL);
	}
	set_default(SIGUSR1);
	set_default(SIGUSR2);
}

/* ---- kill, tkill, tgkill, their errors ---- */

static void t_kill(void)
{
	siginfo_t si;
	sigset_t usr1 = mask_of(SIGUSR1, 0);
	struct timespec zero = { 0, 0 };

	CHECK(kill(getpid(), 65) < 0 && errno == EINVAL);
	CHECK(kill(getpid(), 0) == 0);
	CHECK(kill(30000, 0) < 0 && errno == ESRCH);
	CHECK(kill(-30000, SIGUSR1) < 0 && errno == ESRCH);
	CHECK(syscall(SYS_tgkill, getpid(), getpid(), 0) == 0);
	CHECK(syscall(SYS_tgkill, getpid() + 1000, getpid(), 0) < 0 && errno == ESRCH);
	CHECK(syscall(SYS_tkill, 0, 0) < 0 && errno == EINVAL);
	/* raise() is tkill: SI_TKILL; kill() SI_USER with our pid */
	sigprocmask(SIG_BLOCK, &usr1, 0);
	raise(SIGUSR1);
	CHECK(sigtimedwait(&usr1, &si, &zero) == SIGUSR1 && si.si_code == SI_TKILL && si.si_pid == getpid());
	kill(getpid(), SIGUSR1);
	CHECK(sigtimedwait(&usr1, &si, &zero) == SIGUSR1 && si.si_code == SI_USER);
	syscall(SYS_tgkill, getpid(), getpid(), SIGUSR1);
	CHECK(sigwaitinfo(&usr1, &si) == SIGUSR1 && si.si_code == SI_TKILL);
	sigprocmask(SIG_UNBLOCK, &usr1, 0);
}

/* ---- EINTR and SA_RESTART ---- */

static volatile int alarms;

static void h_alarm(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (si->si_code == SI_KERNEL)
		alarms++;
}

static void arm_ms(long ms)
{
	struct itimerval it = { { 0, 0 }, { ms / 1000, ms % 1000 * 1000 } };

	setitimer(ITIMER_REAL, &it, 0);
}

static void t_restart(void)
{
	struct timespec req = { 1, 0 }, rem = { 0, 0 };
	int st;
	pid_t pid;
	long t0;

	/* wait4 with SA_RESTART goes on waiting after the handler */
	alarms = 0;
	set_handler(SIGALRM, h_alarm, SA_RESTART, 0);
	pid = child();
	if (pid == 0) {
		sleep_ms(400);
		_exit(5);
	}
	arm_ms(50);
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 5);
	CHECK(alarms == 1);

	/* without it, EINTR.  The alarm is armed only once the child has
	 * started (a pipe says so): on a slow or loaded host the fork's
	 * copy-on-write faults alone could outlast it, and an alarm taken
	 * before waitpid blocks interrupts nothing. */
	int ready[2];
	char c;
	alarms = 0;
	set_handler(SIGALRM, h_alarm, 0, 0);
	CHECK(pipe(ready) == 0);
	pid = child();
	if (pid == 0) {
		close(ready[0]);
		(void)!write(ready[1], "x", 1);
		sleep_ms(5000);
		_exit(6);
	}
	close(ready[1]);
	CHECK(read(ready[0], &c, 1) == 1);
	close(ready[0]);
	arm_ms(50);
	errno = 0;
	CHECK(waitpid(pid, &st, 0) == -1 && errno == EINTR);
	CHECK(alarms == 1);
	kill(pid, SIGKILL);
	st = reap(pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

	/* nanosleep: EINTR with the time left, SA_RESTART or not */
	set_handler(SIGALRM, h_alarm, SA_RESTART, 0);
	alarms = 0;
	arm_ms(100);
	t0 = now_ms();
	CHECK(nanosleep(&req, &rem) == -1 && errno == EINTR);
	CHECK(alarms == 1);
	t0 = now_ms() - t0;                 /* rem: what was left of the second */
	CHECK(rem.tv_sec == 0 && rem.tv_nsec > 0 && t0 < 1000 &&
	      labs(rem.tv_nsec / 1000000 - (1000 - t0)) <= 30);

	/* pause() returns after a handler */
	alarms = 0;
	arm_ms(30);
	CHECK(pause() == -1 && errno == EINTR && alarms == 1);
	set_default(SIGALRM);
}

/* ---- sigsuspend, sigtimedwait ---- */

static volatile unsigned long suspend_mask_inside;
static volatile unsigned long suspend_uc_mask;

static void h_suspend(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	sigset_t m = cur_mask();

	(void)si;
	count1++;
	memcpy((void *)&suspend_mask_inside, &m, 8);
	memcpy((void *)&suspend_uc_mask, &uc->uc_sigmask, 8);
	(void)sig;
}

static void t_suspend(void)
{
	sigset_t usr1 = mask_of(SIGUSR1, 0), hup = mask_of(SIGHUP, 0), old, set;
	siginfo_t si;
	struct timespec ts = { 0, 50000000 };
	pid_t pid;
	long t0;

	count1 = 0;
	set_handler(SIGUSR1, h_suspend, 0, 0);
	sigprocmask(SIG_BLOCK, &usr1, &old);
	pid = child();
	if (pid == 0) {
		sleep_ms(50);
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	CHECK(sigsuspend(&hup) == -1 && errno == EINTR);
	CHECK(count1 == 1);
	/* in the handler: the suspend mask and the signal; its frame has
	 * the mask from before sigsuspend, which is back now */
	CHECK((suspend_mask_inside & (1ul << (SIGHUP - 1))) && (suspend_mask_inside & (1ul << (SIGUSR1 - 1))));
	CHECK(suspend_uc_mask & (1ul << (SIGUSR1 - 1)));
	CHECK(!(suspend_uc_mask & (1ul << (SIGHUP - 1))));
	set = cur_mask();
	CHECK(sigismember(&set, SIGUSR1) && !sigismember(&set, SIGHUP));
	reap(pid);

	/* sigtimedwait: the signal's info, a timeout, one from a child */
	t0 = now_ms();
	CHECK(sigtimedwait(&usr1, &si, &ts) == -1 && errno == EAGAIN);
	CHECK(now_ms() - t0 >= 40);
	pid = child();
	if (pid == 0) {
		sleep_ms(30);
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	ts.tv_sec = 5;
	CHECK(sigtimedwait(&usr1, &si, &ts) == SIGUSR1 && si.si_pid == pid && si.si_code == SI_USER);
	CHECK(count1 == 1);
	reap(pid);
	sigprocmask(SIG_SETMASK, &old, 0);
	set_default(SIGUSR1);
}

/* ---- the alternate stack ---- */

static char *alt;
static volatile unsigned long alt_local, alt_uc_sp;
static volatile int alt_flags_inside, alt_set_inside;

static void h_alt(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	stack_t now, ss = { .ss_sp = alt, .ss_size = 65536 };
	volatile int local;

	(void)sig;
	(void)si;
	alt_local = (unsigned long)&local;
	alt_uc_sp = (unsigned long)uc->uc_stack.ss_sp;
	sigaltstack(0, &now);
	alt_flags_inside = now.ss_flags;
	alt_set_inside = sigaltstack(&ss, 0) < 0 ? errno : 0;
}

static void t_altstack(void)
{
	stack_t ss, old;

	alt = mmap(0, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ss.ss_sp = alt;
	ss.ss_size = 65536;
	ss.ss_flags = 0;
	CHECK(sigaltstack(&ss, &old) == 0);
	CHECK(old.ss_flags == SS_DISABLE);
	set_handler(SIGUSR1, h_alt, SA_ONSTACK, 0);
	raise(SIGUSR1);
	CHECK(alt_local > (unsigned long)alt && alt_local < (unsigned long)alt + 65536);
	CHECK(alt_uc_sp == (unsigned long)alt);
	CHECK(alt_flags_inside == SS_ONSTACK);
	CHECK(alt_set_inside == EPERM);
	sigaltstack(0, &old);
	CHECK(old.ss_flags == 0 && old.ss_sp == alt && old.ss_size == 65536);

	/* without SA_ONSTACK the handler stays on the ordinary stack */
	set_handler(SIGUSR1, h_alt, 0, 0);
	raise(SIGUSR1);
	CHECK(!(alt_local > (unsigned long)alt && alt_local < (unsigned long)alt + 65536));

	/* SS_AUTODISARM: no alternate stack while the handler runs on it */
	ss.ss_flags = SS_AUTODISARM;
	CHECK(sigaltstack(&ss, 0) == 0);
	set_handler(SIGUSR1, h_alt, SA_ONSTACK, 0);
	raise(SIGUSR1);
	CHECK(alt_local > (unsigned long)alt && alt_local < (unsigned long)alt + 65536);
	CHECK(alt_flags_inside == (int)(SS_DISABLE));
	sigaltstack(0, &old);
	CHECK(old.ss_sp == alt && old.ss_flags == (int)SS_AUTODISARM);

	/* the kernel's checks (musl checks the size itself first) */
	ss.ss_flags = 0;
	ss.ss_size = 1024;
	CHECK(syscall(SYS_sigaltstack, &ss, 0) < 0 && errno == ENOMEM);
	ss.ss_size = 65536;
	ss.ss_flags = 5;
	CHECK(syscall(SYS_sigaltstack, &ss, 0) < 0 && errno == EINVAL);
	ss.ss_flags = SS_DISABLE;
	CHECK(sigaltstack(&ss, 0) == 0);
	sigaltstack(0, &old);
	CHECK(old.ss_flags == SS_DISABLE);
	set_default(SIGUSR1);
}

/* ---- faults ---- */

static sigjmp_buf jb;
static volatile struct {
	int signo, code;
	unsigned long addr, rip, trapno, err, cr2;
} fault;

static void h_fault(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	fault.signo = sig;
	fault.code = si->si_code;
	fault.addr = (unsigned long)si->si_addr;
	fault.rip = uc->uc_mcontext.gregs[REG_RIP];
	fault.trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
	fault.err = uc->uc_mcontext.gregs[REG_ERR];
	fault.cr2 = uc->uc_mcontext.gregs[REG_CR2];
	siglongjmp(jb, 1);
}

/* Handlers that step over the faulting instruction instead (the length
 * in skip) by changing RIP in the frame. */
static volatile int skip;

static void h_skip(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	fault.signo = sig;
	fault.code = si->si_code;
	fault.addr = (unsigned long)si->si_addr;
	fault.rip = uc->uc_mcontext.gregs[REG_RIP];
	fault.trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
	uc->uc_mcontext.gregs[REG_RIP] += skip;
}

extern char ud2_at[], int3_after[], cli_at[];
/* Unmapped.  Not page 0: the monitor keeps the guest out of it, and an
 * access there is a #GP (SIGSEGV, SI_KERNEL) rather than a #PF. */
static int *volatile bad_ptr = (int *)0x10010;

static int die_of(void (*fn)(void))
{
	pid_t pid = child();

	if (pid == 0) {
		fn();
		_exit(100);
	}
	return reap(pid);
}

static void segv_blocked(void)
{
	sigset_t s = mask_of(SIGSEGV, 0);

	set_handler(SIGSEGV, h_fault, 0, 0);
	sigprocmask(SIG_BLOCK, &s, 0);
	*bad_ptr = 1;
}

static void segv_ignored(void)
{
	signal(SIGSEGV, SIG_IGN);
	*bad_ptr = 1;
}

static void h_exit42(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	_exit(42);
}

static int recurse(int n);
static int (*volatile recurse_p)(int) = recurse;

static int recurse(int n)
{
	volatile char buf[1024];

	buf[0] = (char)n;
	return recurse_p(n + 1) + buf[0];
}

/* A stack overflow, caught on the alternate stack. */
static void overflow_onstack(void)
{
	stack_t ss = { .ss_sp = malloc(65536), .ss_size = 65536, .ss_flags = 0 };

	sigaltstack(&ss, 0);
	set_handler(SIGSEGV, h_exit42, SA_ONSTACK, 0);
	recurse(0);
}

static void t_faults(void)
{
	volatile int zero = 0, one = 1, r;
	unsigned char *ro;

	set_handler(SIGSEGV, h_fault, 0, 0);
	set_handler(SIGFPE, h_fault, 0, 0);
	memset((void *)&fault, 0, sizeof(fault));
	if (!sigsetjmp(jb, 1))
		*bad_ptr = 1;
	CHECK(fault.signo == SIGSEGV && fault.code == SEGV_MAPERR && fault.addr == 0x10010);
	CHECK(fault.trapno == 14 && fault.cr2 == 0x10010 && (fault.err & 6) == 6);   /* #PF, user write */
	{
		sigset_t m = cur_mask();
		CHECK(!sigismember(&m, SIGSEGV));    /* siglongjmp put the mask back */
	}

	ro = mmap(0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset((void *)&fault, 0, sizeof(fault));
	if (!sigsetjmp(jb, 1))
		ro[8] = 1;
	CHECK(fault.signo == SIGSEGV && fault.code == SEGV_ACCERR && fault.addr == (unsigned long)ro + 8);
	mprotect(ro, 4096, PROT_NONE);
	memset((void *)&fault, 0, sizeof(fault));
	if (!sigsetjmp(jb, 1))
		r = ro[0];
	CHECK(fault.signo == SIGSEGV && fault.code == SEGV_ACCERR && fault.addr == (unsigned long)ro);
	munmap(ro, 4096);

	memset((void *)&fault, 0, sizeof(fault));
	if (!sigsetjmp(jb, 1))
		r = one / zero;
	CHECK(fault.signo == SIGFPE && fault.code == FPE_INTDIV && fault.addr == fault.rip && fault.trapno == 0);
	(void)r;

	/* #UD: SIGILL at the instruction; the handler steps over it */
	set_handler(SIGILL, h_skip, 0, 0);
	memset((void *)&fault, 0, sizeof(fault));
	skip = 2;
	asm volatile(".globl ud2_at\nud2_at: ud2" ::: "memory");
	CHECK(fault.signo == SIGILL && fault.code == ILL_ILLOPN && fault.addr == (unsigned long)ud2_at &&
	      fault.rip == (unsigned long)ud2_at && fault.trapno == 6);

	/* int3: SIGTRAP after it, si_code SI_KERNEL (Linux's: do_int3_user()) */
	set_handler(SIGTRAP, h_skip, 0, 0);
	memset((void *)&fault, 0, sizeof(fault));
	skip = 0;
	asm volatile("int3\n.globl int3_after\nint3_after:" ::: "memory");
	CHECK(fault.signo == SIGTRAP && fault.code == SI_KERNEL && fault.rip == (unsigned long)int3_after &&
	      fault.trapno == 3);

	/* a privileged instruction: #GP, SIGSEGV with SI_KERNEL and no address */
	set_handler(SIGSEGV, h_skip, 0, 0);
	memset((void *)&fault, 0, sizeof(fault));
	skip = 1;
	asm volatile(".globl cli_at\ncli_at: cli" ::: "memory");
	CHECK(fault.signo == SIGSEGV && fault.code == SI_KERNEL && fault.addr == 0 &&
	      fault.rip == (unsigned long)cli_at && fault.trapno == 13);

	/* blocked or ignored, a fault kills (force_sig); the handler can
	 * still catch a stack overflow on the alternate stack */
	r = die_of(segv_blocked);
	CHECK(WIFSIGNALED(r) && WTERMSIG(r) == SIGSEGV);
	r = die_of(segv_ignored);
	CHECK(WIFSIGNALED(r) && WTERMSIG(r) == SIGSEGV);
	r = die_of(overflow_onstack);
	CHECK(WIFEXITED(r) && WEXITSTATUS(r) == 42);
	set_default(SIGSEGV);
	set_default(SIGFPE);
	set_default(SIGILL);
	set_default(SIGTRAP);
}

/* ---- frames that go wrong: SIGSEGV ---- */

static void h_badrip(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	(void)sig;
	(void)si;
	uc->uc_mcontext.gregs[REG_RIP] = (long)0x800000000000ul;   /* not user space */
}

static void h_badmxcsr(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	(void)sig;
	(void)si;
	uc->uc_mcontext.fpregs->mxcsr = 0xffffffffu;
}

static void bad_rip(void)
{
	set_handler(SIGUSR1, h_badrip, 0, 0);
	raise(SIGUSR1);
}

static void bad_mxcsr(void)
{
	set_handler(SIGUSR1, h_badmxcsr, 0, 0);
	raise(SIGUSR1);
}

/* rt_sigaction without SA_RESTORER: no return address, so no frame */
static void no_restorer(void)
{
	long ksa[4] = { (long)h_exit42, SA_SIGINFO, 0, 0 };

	syscall(SYS_rt_sigaction, SIGUSR1, ksa, 0, 8);
	raise(SIGUSR1);
}

/* RSP pointing nowhere when a signal comes: no room for a frame */
static void bad_stack(void)
{
	set_handler(SIGUSR1, h_exit42, 0, 0);
	asm volatile("movq %%rsp, %%rbx\n\t"
		     "movq $0x2000, %%rsp\n\t"
		     "syscall\n\t"
		     "movq %%rbx, %%rsp"
		     : : "a"(SYS_kill), "D"(getpid()), "S"(SIGUSR1) : "rbx", "rcx", "r11", "memory");
}

static void t_badframes(void)
{
	int r;

	r = die_of(bad_rip);
	CHECK(WIFSIGNALED(r) && WTERMSIG(r) == SIGSEGV);
	r = die_of(bad_mxcsr);
	CHECK(WIFSIGNALED(r) && WTERMSIG(r) == SIGSEGV);
	r = die_of(no_restorer);
	CHECK(WIFSIGNALED(r) && WTERMSIG(r) == SIGSEGV);
	r = die_of(bad_stack);
	CHECK(WIFSIGNALED(r) && WTERMSIG(r) == SIGSEGV);
}

/* ---- registers across a handler: SSE, AVX, x87, and an asynchronous
 * signal's RCX and R11 ---- */

static unsigned char xin[16][16] __attribute__((aligned(32))), xout[16][16] __attribute__((aligned(32)));
static unsigned char yin[16][32] __attribute__((aligned(32))), yout[16][32] __attribute__((aligned(32)));
static volatile unsigned h_mxcsr, h_fcw;
static unsigned char h_xmm0[16], h_ymm0_hi[16];
static volatile int h_avx;

#define X16(m) m(0) m(1) m(2) m(3) m(4) m(5) m(6) m(7) m(8) m(9) m(10) m(11) m(12) m(13) m(14) m(15)
#define LOADX(n) "movdqa " #n "*16(%[in]), %%xmm" #n "\n\t"
#define STOREX(n) "movdqa %%xmm" #n ", " #n "*16(%[out])\n\t"
#define LOADY(n) "vmovdqa " #n "*32(%[in]), %%ymm" #n "\n\t"
#define STOREY(n) "vmovdqa %%ymm" #n ", " #n "*32(%[out])\n\t"
#define ONESX(n) "pcmpeqd %%xmm" #n ", %%xmm" #n "\n\t"
#define ONESY(n) "vpcmpeqd %%ymm" #n ", %%ymm" #n ", %%ymm" #n "\n\t"
#define XREGS "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", \
	"xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"

/* Clobbers every vector register, MXCSR and the x87 control word, after
 * noting what it started with. */
static void h_clobber(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	unsigned mx = 0x1f80 | 0x40, cw = 0x7f;

	asm volatile("stmxcsr %0\n\tfnstcw %1\n\tmovdqu %%xmm0, %2" : "=m"(h_mxcsr), "=m"(h_fcw), "=m"(h_xmm0));
	if (h_avx)
		asm volatile("vextractf128 $1, %%ymm0, %0" : "=m"(h_ymm0_hi));
	asm volatile(X16(ONESX) "ldmxcsr %0\n\tfldcw %1" : : "m"(mx), "m"(cw) : XREGS);
	if (h_avx)
		asm volatile(X16(ONESY) : : : XREGS);
	/* a change to the frame's image is what the program gets back */
	memset(uc->uc_mcontext.fpregs->_xmm[5].element, 0x5a, 16);
	(void)sig;
	(void)si;
}

static int have_avx(void)
{
	unsigned a, b, c, d;
	unsigned long xcr0;

	__cpuid(1, a, b, c, d);
	if (!(c & (1u << 28)) || !(c & (1u << 27)))     /* AVX, OSXSAVE */
		return 0;
	asm volatile("xgetbv" : "=a"(a), "=d"(d) : "c"(0));
	xcr0 = a | (unsigned long)d << 32;
	return (xcr0 & 6) == 6;
}

static void t_fpu(void)
{
	unsigned mx_in = 0x1f80 | 0x6000, mx_out = 0, mx_def = 0x1f80;
	unsigned short cw_in = 0x27f, cw_out = 0, cw_def = 0x37f;
	unsigned char want5[16];
	static const unsigned char zero16[16];
	pid_t pid = getpid();

	for (int i = 0; i < 16; i++)
		for (int j = 0; j < 16; j++)
			xin[i][j] = i * 16 + j + 1;
	memset(want5, 0x5a, 16);
	set_handler(SIGUSR1, h_clobber, 0, 0);
	h_avx = 0;
	asm volatile("ldmxcsr %[mxin]\n\t"
		     "fldcw %[cwin]\n\t"
		     X16(LOADX)
		     "syscall\n\t"
		     X16(STOREX)
		     "stmxcsr %[mxout]\n\t"
		     "fnstcw %[cwout]\n\t"
		     "ldmxcsr %[mxdef]\n\t"
		     "fldcw %[cwdef]"
		     : [mxout] "=m"(mx_out), [cwout] "=m"(cw_out)
		     : [in] "r"(xin), [out] "r"(xout), [mxin] "m"(mx_in), [cwin] "m"(cw_in),
		       [mxdef] "m"(mx_def), [cwdef] "m"(cw_def), "a"(SYS_kill), "D"(pid), "S"(SIGUSR1)
		     : "rcx", "r11", "memory", XREGS);
	CHECK(h_mxcsr == 0x1f80 && h_fcw == 0x37f);          /* the handler starts clean */
	CHECK(memcmp(h_xmm0, zero16, 16) == 0);
	CHECK(mx_out == mx_in && cw_out == cw_in);            /* and they come back */
	for (int i = 0; i < 16; i++)
		if (i != 5)
			CHECK(memcmp(xout[i], xin[i], 16) == 0);
	CHECK(memcmp(xout[5], want5, 16) == 0);               /* as the handler set it */

	if (!have_avx()) {
		printf("sigtest: no AVX here: its check skipped\n");
		set_default(SIGUSR1);
		return;
	}
	for (int i = 0; i < 16; i++)
		for (int j = 0; j < 32; j++)
			yin[i][j] = 0x80 + i * 32 + j;
	h_avx = 1;
	memset(h_ymm0_hi, 0xff, 16);
	asm volatile(X16(LOADY)
		     "syscall\n\t"
		     X16(STOREY)
		     "vzeroupper"
		     :
		     : [in] "r"(yin), [out] "r"(yout), "a"(SYS_kill), "D"(pid), "S"(SIGUSR1)
		     : "rcx", "r11", "memory", XREGS);
	CHECK(memcmp(h_ymm0_hi, zero16, 16) == 0);           /* upper halves clean in the handler */
	for (int i = 0; i < 16; i++) {
		if (i != 5)
			CHECK(memcmp(yout[i], yin[i], 32) == 0);
		else
			CHECK(memcmp(yout[5], want5, 16) == 0 && memcmp(yout[5] + 16, yin[5] + 16, 16) == 0);
	}
	set_default(SIGUSR1);
}

static volatile int flag;

static void h_flag(int sig)
{
	(void)sig;
	flag = 1;
}

/* A timer interrupt in user mode brings the signal: rt_sigreturn must
 * give back every register, RCX and R11 included (IRETQ, not SYSRET). */
static void t_async(void)
{
	unsigned long out[8];

	signal(SIGALRM, h_flag);
	flag = 0;
	arm_ms(20);
	asm volatile("movq $0x1111111111111111, %%rcx\n\t"
		     "movq $0x2222222222222222, %%r11\n\t"
		     "movq $0x3333333333333333, %%r8\n\t"
		     "movq $0x4444444444444444, %%r9\n\t"
		     "movq $0x5555555555555555, %%r10\n\t"
		     "movq $0x6666666666666666, %%rdx\n\t"
		     "movq $0x7777777777777777, %%rsi\n\t"
		     "movq $0x8888888888888888, %%rax\n\t"
		     "1: cmpl $0, %[flag]\n\t"
		     "je 1b\n\t"
		     "movq %%rcx, 0(%[out])\n\t"
		     "movq %%r11, 8(%[out])\n\t"
		     "movq %%r8, 16(%[out])\n\t"
		     "movq %%r9, 24(%[out])\n\t"
		     "movq %%r10, 32(%[out])\n\t"
		     "movq %%rdx, 40(%[out])\n\t"
		     "movq %%rsi, 48(%[out])\n\t"
		     "movq %%rax, 56(%[out])"
		     :
		     : [flag] "m"(flag), [out] "D"(out)
		     : "rax", "rcx", "rdx", "rsi", "r8", "r9", "r10", "r11", "memory", "cc");
	CHECK(out[0] == 0x1111111111111111ul && out[1] == 0x2222222222222222ul);
	CHECK(out[2] == 0x3333333333333333ul && out[3] == 0x4444444444444444ul &&
	      out[4] == 0x5555555555555555ul && out[5] == 0x6666666666666666ul &&
	      out[6] == 0x7777777777777777ul && out[7] == 0x8888888888888888ul);
	set_default(SIGALRM);
}

/* ---- SIGCHLD, wait4, waitid, job control ---- */

static volatile struct {
	int n, code, pid, status;
} chld;

static void h_chld(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	chld.n++;
	chld.code = si->si_code;
	chld.pid = si->si_pid;
	chld.status = si->si_status;
}

static void spin_forever(void)
{
	for (;;)
		;
}

/* A child that spins, once it is past fork(): musl's fork() returns with
 * every signal blocked until it restores the mask, and a stop or a kill
 * that came before would find them blocked.  The child says it is ready
 * with a SIGUSR1, which the parent takes with sigwaitinfo(). */
static pid_t spawn_spinner(void)
{
	sigset_t usr1 = mask_of(SIGUSR1, 0), old;
	pid_t pid;

	sigprocmask(SIG_BLOCK, &usr1, &old);
	pid = child();
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &old, 0);
		kill(getppid(), SIGUSR1);
		spin_forever();
	}
	sigwaitinfo(&usr1, 0);
	sigprocmask(SIG_SETMASK, &old, 0);
	return pid;
}

static void t_sigchld(void)
{
	pid_t pid;
	int st;

	memset((void *)&chld, 0, sizeof(chld));
	set_handler(SIGCHLD, h_chld, 0, 0);
	pid = child();
	if (pid == 0)
		_exit(7);
	CHECK(reap(pid) == 7 << 8);
	CHECK(chld.n == 1 && chld.code == CLD_EXITED && chld.pid == pid && chld.status == 7);
	pid = spawn_spinner();
	kill(pid, SIGTERM);
	st = reap(pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	CHECK(chld.n == 2 && chld.code == CLD_KILLED && chld.pid == pid && chld.status == SIGTERM);

	/* SIGCHLD ignored: children are reaped at once, wait4 finds none */
	signal(SIGCHLD, SIG_IGN);
	for (int i = 0; i < 3; i++)
		if (child() == 0)
			_exit(0);
	CHECK(waitpid(-1, &st, 0) == -1 && errno == ECHILD);
	/* SA_NOCLDWAIT: the handler runs, and there is no zombie */
	chld.n = 0;
	set_handler(SIGCHLD, h_chld, SA_NOCLDWAIT, 0);
	pid = child();
	if (pid == 0)
		_exit(3);
	CHECK(waitpid(-1, &st, 0) == -1 && errno == ECHILD);
	CHECK(chld.n == 1 && chld.pid == pid && chld.status == 3);
	set_default(SIGCHLD);
}

static void t_jobctl(void)
{
	siginfo_t si;
	pid_t pid;
	int st;
	long t0;

	memset((void *)&chld, 0, sizeof(chld));
	set_handler(SIGCHLD, h_chld, 0, 0);
	pid = spawn_spinner();
	kill(pid, SIGSTOP);
	CHECK(waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP);
	CHECK(chld.code == CLD_STOPPED && chld.pid == pid && chld.status == SIGSTOP);
	CHECK(waitpid(pid, &st, WUNTRACED | WNOHANG) == 0);    /* reported once */
	kill(pid, SIGCONT);
	CHECK(waitpid(pid, &st, WCONTINUED) == pid && WIFCONTINUED(st));
	CHECK(chld.code == CLD_CONTINUED && chld.pid == pid && chld.status == SIGCONT);

	/* waitid: WNOWAIT leaves the report for the next wait */
	kill(pid, SIGSTOP);
	memset(&si, 0, sizeof(si));
	CHECK(waitid(P_PID, pid, &si, WSTOPPED | WNOWAIT) == 0 && si.si_pid == pid &&
	      si.si_code == CLD_STOPPED && si.si_status == SIGSTOP && si.si_signo == SIGCHLD);
	memset(&si, 0, sizeof(si));
	CHECK(waitid(P_PGID, getpgrp(), &si, WSTOPPED) == 0 && si.si_pid == pid);
	memset(&si, 0, sizeof(si));
	CHECK(waitid(P_ALL, 0, &si, WSTOPPED | WNOHANG) == 0 && si.si_pid == 0);
	/* a signal that kills, to a stopped process, kills it */
	kill(pid, SIGTERM);
	memset(&si, 0, sizeof(si));
	CHECK(waitid(P_PID, pid, &si, WEXITED) == 0 && si.si_code == CLD_KILLED && si.si_status == SIGTERM);
	CHECK(waitid(P_PID, pid, &si, WEXITED | WNOHANG) < 0 && errno == ECHILD);
	CHECK(waitid(P_PID, pid, &si, 0) < 0 && errno == EINVAL);

	/* SA_NOCLDSTOP: no SIGCHLD for a stop, one for the exit */
	chld.n = 0;
	set_handler(SIGCHLD, h_chld, SA_NOCLDSTOP, 0);
	pid = spawn_spinner();
	kill(pid, SIGSTOP);
	CHECK(waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st));
	CHECK(chld.n == 0);
	kill(pid, SIGKILL);
	st = reap(pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL && chld.n == 1);

	/* stopped in the middle of a nanosleep: after SIGCONT it sleeps the
	 * rest (restart_syscall), it does not end early with EINTR */
	set_default(SIGCHLD);
	{
		sigset_t usr1 = mask_of(SIGUSR1, 0), old;
		sigprocmask(SIG_BLOCK, &usr1, &old);
		pid = child();
		if (pid == 0) {
			struct timespec ts = { 1, 0 };
			long t = now_ms();
			int r;
			kill(getppid(), SIGUSR1);
			r = nanosleep(&ts, 0);
			_exit(r == 0 && now_ms() - t >= 990 ? 0 : 1);
		}
		sigwaitinfo(&usr1, 0);
		sigprocmask(SIG_SETMASK, &old, 0);
	}
	t0 = now_ms();
	kill(pid, SIGSTOP);
	CHECK(waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st));
	sleep_ms(50);
	kill(pid, SIGCONT);
	CHECK(reap(pid) == 0);
	CHECK(now_ms() - t0 >= 900);
}

/* SIGTSTP stops a process whose group has a parent in another group of
 * the session to continue it (here an intermediate process, P); in an
 * orphaned group (ours: no such parent) it is thrown away.  A group that
 * its parent's exit leaves orphaned with a stopped member gets SIGHUP and
 * SIGCONT. */
static int tstp_p(void)
{
	pid_t x, x2, x3;
	int st;

	x = fork();
	if (x == 0) {
		setpgid(0, 0);
		raise(SIGTSTP);
		_exit(0);
	}
	setpgid(x, x);
	if (waitpid(x, &st, WUNTRACED) != x || !WIFSTOPPED(st) || WSTOPSIG(st) != SIGTSTP)
		return 1;
	kill(x, SIGCONT);
	if (waitpid(x, &st, 0) != x || st != 0)
		return 2;
	x2 = fork();
	if (x2 == 0) {
		raise(SIGTSTP);       /* our group 0 is orphaned: ignored */
		_exit(0);
	}
	if (waitpid(x2, &st, WUNTRACED) != x2 || st != 0)
		return 3;
	x3 = fork();
	if (x3 == 0) {
		setpgid(0, 0);
		raise(SIGSTOP);
		_exit(0);
	}
	setpgid(x3, x3);
	if (waitpid(x3, &st, WUNTRACED) != x3 || !WIFSTOPPED(st))
		return 4;
	return 100 + (x3 - getpid());   /* x3 hangs up as we exit */
}

static void t_tstp(void)
{
	pid_t p = child(), x3;
	int st;

	if (p == 0)
		_exit(tstp_p());
	st = reap(p);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) > 100);
	x3 = p + WEXITSTATUS(st) - 100;
	if (getpid() == 1 && WEXITSTATUS(st) > 100) {
		st = reap(x3);
		CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGHUP);
	}
}

/* ---- process groups and sessions ---- */

static void pause_forever(void)
{
	for (;;)
		pause();
}

static void t_pgrp(void)
{
	pid_t a, b, c;
	int st;

	CHECK(getpgid(0) == getpgrp());
	CHECK(getpgid(30000) < 0 && errno == ESRCH);
	CHECK(getsid(30000) < 0 && errno == ESRCH);
	CHECK(setpgid(30000, 0) < 0 && errno == ESRCH);
	CHECK(setpgid(0, -1) < 0 && errno == EINVAL);

	/* two children in a group of their own, ended by one kill */
	a = child();
	if (a == 0) {
		setpgid(0, 0);
		pause_forever();
	}
	setpgid(a, a);
	b = child();
	if (b == 0) {
		setpgid(0, a);
		pause_forever();
	}
	setpgid(b, a);
	CHECK(getpgid(a) == a && getpgid(b) == a);
	CHECK(kill(-a, SIGTERM) == 0);
	st = reap(a);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	st = reap(b);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	CHECK(kill(-a, 0) < 0 && errno == ESRCH);

	/* wait4(0): a child of our group; wait4(-pgid) one of that group */
	c = child();
	if (c == 0)
		_exit(9);
	CHECK(waitpid(0, &st, 0) == c && WEXITSTATUS(st) == 9);
	c = child();
	if (c == 0) {
		setpgid(0, 0);
		_exit(10);
	}
	setpgid(c, c);
	CHECK(waitpid(-c, &st, 0) == c && WEXITSTATUS(st) == 10);

	/* setsid: a new session led by the child; not again (it leads a
	 * group), and its parent can no longer move it */
	c = child();
	if (c == 0) {
		int ok = setsid() == getpid() && getsid(0) == getpid() && getpgrp() == getpid() &&
			 setsid() < 0 && errno == EPERM && getppid() > 0;
		if (!ok)
			_exit(1);
		pause_forever();
	}
	for (long t = now_ms(); getsid(c) != c && now_ms() - t < 5000; )
		sleep_ms(5);
	CHECK(getsid(c) == c);
	CHECK(setpgid(c, getpgrp()) < 0 && errno == EPERM);
	kill(c, SIGKILL);
	st = reap(c);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

	/* setpgid of a child that has called execve: EACCES (the new
	 * program says it runs with a SIGUSR1) */
	{
		sigset_t usr1 = mask_of(SIGUSR1, 0), old;
		sigprocmask(SIG_BLOCK, &usr1, &old);
		c = child();
		if (c == 0) {
			char *args[] = { "sigtest", "sleeper", 0 };
			execve("/bin/sigtest", args, 0);
			_exit(99);
		}
		sigwaitinfo(&usr1, 0);
		sigprocmask(SIG_SETMASK, &old, 0);
	}
	CHECK(setpgid(c, c) < 0 && errno == EACCES);
	CHECK(reap(c) == 0);
}

/* kill(-1): everyone but process 1 and the caller */
static volatile int got_usr2;

static void h_usr2(int sig)
{
	(void)sig;
	got_usr2++;
}

static void t_killall(void)
{
	pid_t a;
	int st;

	signal(SIGUSR2, h_usr2);       /* we are hit too, unless we are process 1 */
	got_usr2 = 0;
	a = child();
	if (a == 0) {
		sigset_t block = mask_of(SIGUSR2, 0), none;
		pid_t b, c;
		int sb, sc;

		sigemptyset(&none);
		sigprocmask(SIG_BLOCK, &block, 0);
		b = fork();
		if (b == 0) {
			sigsuspend(&none);
			_exit(got_usr2 == 1 ? 0 : 1);
		}
		c = fork();
		if (c == 0) {
			sigsuspend(&none);
			_exit(got_usr2 == 1 ? 0 : 1);
		}
		sleep_ms(30);
		sigprocmask(SIG_UNBLOCK, &block, 0);
		if (kill(-1, SIGUSR2) < 0)
			_exit(2);
		waitpid(b, &sb, 0);
		waitpid(c, &sc, 0);
		_exit(sb == 0 && sc == 0 && got_usr2 == 0 ? 0 : 3);
	}
	st = reap(a);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(got_usr2 == (getpid() == 1 ? 0 : 1));
	set_default(SIGUSR2);
}

/* An orphan goes to process 1 (getppid() becomes 1), which reaps it; with
 * no process 1 alive, to the kernel. */
static void t_orphan(void)
{
	pid_t a = child(), b;
	int st;

	if (a == 0) {
		b = fork();
		if (b == 0) {
			long t = now_ms();
			while (getppid() != 1 && getppid() != 0 && now_ms() - t < 10000)
				sleep_ms(5);
			_exit(getppid() <= 1 ? 0 : 1);
		}
		_exit(b - getpid());
	}
	st = reap(a);
	b = a + WEXITSTATUS(st);
	if (getpid() == 1) {
		CHECK(waitpid(b, &st, 0) == b && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	} else {
		sleep_ms(100);
		CHECK(waitpid(b, &st, 0) == -1 && errno == ECHILD);
	}
}

/* ---- alarm and setitimer ---- */

static void t_alarm(void)
{
	struct itimerval it = { { 0, 20000 }, { 0, 20000 } }, got;
	long t0;

	alarms = 0;
	set_handler(SIGALRM, h_alarm, 0, 0);
	CHECK(alarm(5) == 0);
	CHECK(alarm(3) == 5);               /* 5 s left, rounded */
	CHECK(alarm(0) == 3);
	t0 = now_ms();
	alarm(1);
	pause();
	CHECK(alarms == 1 && now_ms() - t0 >= 900);
	/* an interval timer: 5 signals, then off */
	alarms = 0;
	setitimer(ITIMER_REAL, &it, 0);
	while (alarms < 5)
		pause();
	getitimer(ITIMER_REAL, &got);
	CHECK(got.it_interval.tv_usec == 20000 && got.it_value.tv_usec <= 20000);
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, &got);
	CHECK(got.it_interval.tv_usec == 20000);
	getitimer(ITIMER_REAL, &got);
	CHECK(got.it_value.tv_sec == 0 && got.it_value.tv_usec == 0);
	CHECK(setitimer(ITIMER_VIRTUAL, &it, 0) < 0 && errno == EINVAL);
	it.it_value.tv_usec = 1000000;
	CHECK(setitimer(ITIMER_REAL, &it, 0) < 0 && errno == EINVAL);
	set_default(SIGALRM);
}

/* ---- execve: handlers to SIG_DFL, SIG_IGN kept, mask and pending kept ---- */

static int exec_check(void)
{
	struct sigaction sa;
	sigset_t m = cur_mask(), p;
	stack_t ss;
	int ok = 1;

	sigpending(&p);
	sigaction(SIGUSR1, 0, &sa);
	ok &= sa.sa_handler == SIG_DFL && sa.sa_flags == 0;
	sigaction(SIGUSR2, 0, &sa);
	ok &= sa.sa_handler == SIG_IGN;
	ok &= sigismember(&m, SIGHUP) && sigismember(&p, SIGHUP);
	sigaltstack(0, &ss);
	ok &= ss.ss_flags == SS_DISABLE;
	return ok ? 0 : 1;
}

static void t_exec(void)
{
	pid_t pid = child();

	if (pid == 0) {
		char *args[] = { "sigtest", "exec-check", 0 };
		sigset_t hup = mask_of(SIGHUP, 0);
		stack_t ss = { .ss_sp = malloc(65536), .ss_size = 65536, .ss_flags = 0 };

		set_handler(SIGUSR1, h_count, 0, 0);
		signal(SIGUSR2, SIG_IGN);
		sigaltstack(&ss, 0);
		sigprocmask(SIG_BLOCK, &hup, 0);
		raise(SIGHUP);
		execve("/bin/sigtest", args, 0);
		_exit(99);
	}
	CHECK(reap(pid) == 0);
}

/* ---- raise() and abort() with the default actions ---- */

static void raise_term(void)
{
	raise(SIGTERM);
}

static void do_abort(void)
{
	abort();
}

static void ignore_then_raise(void)
{
	signal(SIGTERM, SIG_IGN);
	raise(SIGTERM);
	signal(SIGCHLD, SIG_DFL);
	raise(SIGCHLD);                 /* ignored by default */
	raise(SIGCONT);
	raise(SIGURG);
	raise(SIGWINCH);
	_exit(12);
}

static void t_defaults(void)
{
	int st;

	st = die_of(raise_term);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	st = die_of(do_abort);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
	st = die_of(ignore_then_raise);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 12);
}

static volatile int intrs;

static void h_int(int sig)
{
	(void)sig;
	intrs++;
	write(1, "sigtest: SIGINT caught\n", 23);
}

static int intr_mode(int restart)
{
	struct sigaction sa;
	char line[64];
	ssize_t n;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = h_int;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(SIGINT, &sa, 0);
	printf("sigtest: reading\n");
	fflush(stdout);
	n = read(0, line, sizeof(line) - 1);
	if (n < 0) {
		printf("sigtest: read: %s after %d SIGINT\n", errno == EINTR ? "EINTR" : "error", intrs);
		return 0;
	}
	line[n] = 0;
	line[strcspn(line, "\n")] = 0;
	printf("sigtest: read '%s' after %d SIGINT\n", line, intrs);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "exec-check") == 0)
		return exec_check();
	if (argc > 1 && strcmp(argv[1], "intr") == 0)
		return intr_mode(argc < 3 || strcmp(argv[2], "norestart") != 0);
	if (argc > 1 && strcmp(argv[1], "sleeper") == 0) {
		kill(getppid(), SIGUSR1);
		sleep_ms(100);
		return 0;
	}
	run("frame", t_frame);
	run("masks", t_masks);
	run("kill", t_kill);
	run("restart", t_restart);
	run("suspend", t_suspend);
	run("altstack", t_altstack);
	run("faults", t_faults);
	run("badframes", t_badframes);
	run("fpu", t_fpu);
	run("async", t_async);
	run("sigchld", t_sigchld);
	run("jobctl", t_jobctl);
	run("pgrp", t_pgrp);
	run("tstp", t_tstp);
	run("killall", t_killall);
	run("orphan", t_orphan);
	run("alarm", t_alarm);
	run("exec", t_exec);
	run("defaults", t_defaults);
	if (fails) {
		printf("sigtest: %d failed\n", fails);
		return 1;
	}
	printf("sigtest: ok\n");
	return 0;
}
