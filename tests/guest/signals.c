/* signals: rt_sigaction and siginfo, ucontext, SA_RESETHAND/SA_NODEFER,
 * masks and pending signals, sigsuspend, sigaltstack, process-group kill,
 * tgkill/tkill, SIGCHLD, default actions, stop/continue, EINTR and
 * SA_RESTART, hardware faults (SIGSEGV, SIGFPE, SIGILL, SIGTRAP) and the
 * register state across a handler. */
#define T_GROUP "signals"
#include "t.h"

#include <limits.h>
#include <setjmp.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <ucontext.h>

/* Small functions whose instructions fault at known addresses:
 * t_X_insn is the faulting instruction, t_X_after the next one. */
extern char t_store[], t_store_insn[], t_store_after[];
extern char t_load[], t_load_insn[], t_load_after[];
extern char t_ud2[], t_ud2_insn[], t_ud2_after[];
extern char t_int3[], t_int3_insn[], t_int3_after[];
extern char t_idiv[], t_idiv_insn[], t_idiv_after[];
__asm__(".text\n"
	".globl t_store, t_store_insn, t_store_after\n"
	"t_store:\n"
	"t_store_insn: movl $1, (%rdi)\n"
	"t_store_after: ret\n"
	".globl t_load, t_load_insn, t_load_after\n"
	"t_load:\n"
	"t_load_insn: movl (%rdi), %eax\n"
	"t_load_after: ret\n"
	".globl t_ud2, t_ud2_insn, t_ud2_after\n"
	"t_ud2:\n"
	"t_ud2_insn: ud2\n"
	"t_ud2_after: ret\n"
	".globl t_int3, t_int3_insn, t_int3_after\n"
	"t_int3:\n"
	"t_int3_insn: int3\n"
	"t_int3_after: ret\n"
	".globl t_idiv, t_idiv_insn, t_idiv_after\n"
	"t_idiv:\n"
	"  mov %rdi, %rax\n"
	"  cqo\n"
	"t_idiv_insn: idivq %rsi\n"
	"t_idiv_after: ret\n");

static void call_store(void *p)
{
	((void (*)(void *))(void *)t_store)(p);
}
static int call_load(const void *p)
{
	return ((int (*)(const void *))(void *)t_load)(p);
}
static long call_idiv(long a, long b)
{
	return ((long (*)(long, long))(void *)t_idiv)(a, b);
}

/* What the last handler saw. */
static volatile sig_atomic_t hits, depth, max_depth;
static volatile int last_sig, last_code, last_pid, last_uid, last_status;
static void *volatile last_addr;
static volatile uintptr_t last_rip;
static volatile int last_value;
static volatile int blocked_in_handler, other_blocked_in_handler;
static volatile uintptr_t resume_rip, set_rax;
static volatile int set_rax_flag;

static void reset(void)
{
	hits = depth = max_depth = 0;
	last_sig = last_code = last_pid = last_uid = last_status = last_value = 0;
	last_addr = NULL;
	last_rip = resume_rip = set_rax = 0;
	set_rax_flag = 0;
}

static void info_handler(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	hits++;
	last_sig = sig;
	last_code = si->si_code;
	last_pid = si->si_pid;
	last_uid = (int)si->si_uid;
	last_addr = si->si_addr;
	last_status = si->si_status;
	last_value = si->si_value.sival_int;
	last_rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	if (resume_rip)
		uc->uc_mcontext.gregs[REG_RIP] = (greg_t)resume_rip;
	if (set_rax_flag)
		uc->uc_mcontext.gregs[REG_RAX] = (greg_t)set_rax;
}

static void count_handler(int sig)
{
	sigset_t now;
	depth++;
	if (depth > max_depth)
		max_depth = depth;
	hits++;
	last_sig = sig;
	sigprocmask(SIG_BLOCK, NULL, &now);
	blocked_in_handler = sigismember(&now, sig);
	other_blocked_in_handler = sigismember(&now, sig == SIGUSR1 ? SIGUSR2 : SIGUSR1);
	if (depth == 1 && hits == 1)
		raise(sig); /* nested at once under SA_NODEFER, else after return */
	depth--;
}

static void plain_handler(int sig)
{
	(void)sig;
	hits++;
}

static void install(int sig, void (*h)(int), int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = h;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL) < 0)
		t_fail(__FILE__, __LINE__, "sigaction(%d): %s", sig, t_errname(errno));
}

static void install_info(int sig, int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = info_handler;
	sa.sa_flags = SA_SIGINFO | flags;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL) < 0)
		t_fail(__FILE__, __LINE__, "sigaction(%d): %s", sig, t_errname(errno));
}

static void block(int sig, int how)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	sigprocmask(how, &s, NULL);
}

/* A child that sends sig to this process first_ms from now, then every
 * every_ms, count times (0: until killed). */
static pid_t pester(int sig, int first_ms, int every_ms, int count)
{
	pid_t parent = getpid();
	pid_t pid = t_fork();
	if (pid == 0) {
		t_msleep(first_ms);
		for (int i = 0; count == 0 || i < count; i++) {
			kill(parent, sig);
			t_msleep(every_ms);
		}
		_exit(0);
	}
	return pid;
}

static void stop_pester(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

TEST(siginfo_kill)
{
	reset();
	install_info(SIGUSR1, 0);
	CHECK_OK(kill(getpid(), SIGUSR1));
	CHECK_EQ(hits, 1); /* delivered before kill() returned */
	CHECK_EQ(last_sig, SIGUSR1);
	CHECK_EQ(last_code, SI_USER);
	CHECK_EQ(last_pid, getpid());
	CHECK_EQ(last_uid, getuid());
}

TEST(siginfo_tkill)
{
	reset();
	install_info(SIGUSR2, 0);
	CHECK_OK(syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR2));
	CHECK_EQ(hits, 1);
	CHECK_EQ(last_code, SI_TKILL);
	CHECK_EQ(last_pid, getpid());
	CHECK_OK(syscall(SYS_tkill, syscall(SYS_gettid), SIGUSR2));
	CHECK_EQ(hits, 2);
	CHECK_EQ(last_code, SI_TKILL);
	CHECK_OK(raise(SIGUSR2));
	CHECK_EQ(hits, 3);
	CHECK_EQ(last_code, SI_TKILL);
	errno = 0;
	CHECK_EQ(syscall(SYS_tgkill, getpid() + 1000000, syscall(SYS_gettid), SIGUSR2), -1);
	CHECK(errno == ESRCH || errno == EINVAL);
	errno = 0;
	CHECK_EQ(syscall(SYS_tkill, -1, SIGUSR2), -1);
	CHECK_EQ(errno, EINVAL);
	errno = 0;
	CHECK_EQ(syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), 0), 0); /* probe */
}

TEST(siginfo_from_child)
{
	reset();
	install_info(SIGUSR1, 0);
	block(SIGUSR1, SIG_BLOCK);
	pid_t pid = t_fork();
	if (pid == 0)
		_exit(kill(getppid(), SIGUSR1) == 0 ? 0 : 1);
	sigset_t empty;
	sigemptyset(&empty);
	while (!hits)
		sigsuspend(&empty);
	CHECK_EQ(last_pid, pid);
	CHECK_EQ(last_code, SI_USER);
	CHECK_EXIT(t_wait(pid), 0);
}

TEST(sigqueue_value)
{
	reset();
	install_info(SIGRTMIN, 0);
	union sigval v = {.sival_int = 4242};
	CHECK_OK(sigqueue(getpid(), SIGRTMIN, v));
	CHECK_EQ(hits, 1);
	CHECK_EQ(last_code, SI_QUEUE);
	CHECK_EQ(last_value, 4242);
	CHECK_EQ(last_pid, getpid());
}

TEST(kill_errors)
{
	CHECK_OK(kill(getpid(), 0));
	CHECK_ERR(kill(getpid(), 1000), EINVAL);
	CHECK_ERR(kill(getpid(), -1), EINVAL);
	pid_t pid = t_fork();
	if (pid == 0)
		_exit(0);
	t_wait(pid);
	CHECK_ERR(kill(pid, 0), ESRCH);
	CHECK_ERR(kill(pid, SIGTERM), ESRCH);
	CHECK_ERR(kill(-pid, 0), ESRCH); /* no such group */
}

TEST(sigaction_errors)
{
	struct sigaction sa, old;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = plain_handler;
	CHECK_ERR(sigaction(SIGKILL, &sa, NULL), EINVAL);
	CHECK_ERR(sigaction(SIGSTOP, &sa, NULL), EINVAL);
	CHECK_ERR(sigaction(0, &sa, NULL), EINVAL);
	CHECK_ERR(sigaction(65, &sa, NULL), EINVAL);
	CHECK_OK(sigaction(SIGKILL, NULL, &old)); /* only reading is fine */
	CHECK(old.sa_handler == SIG_DFL);
	/* the raw call checks the sigset size */
	errno = 0;
	CHECK_EQ(syscall(SYS_rt_sigaction, SIGUSR1, NULL, &old, 4), -1);
	CHECK_EQ(errno, EINVAL);
	/* the old action comes back */
	install(SIGUSR1, plain_handler, SA_RESTART);
	CHECK_OK(sigaction(SIGUSR1, NULL, &old));
	CHECK(old.sa_handler == plain_handler);
	CHECK(old.sa_flags & SA_RESTART);
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = 0;
	CHECK_OK(sigaction(SIGUSR1, &sa, &old));
	CHECK(old.sa_handler == plain_handler);
	CHECK_OK(sigaction(SIGUSR1, NULL, &old));
	CHECK(old.sa_handler == SIG_IGN);
	/* ignored: nothing happens */
	CHECK_OK(kill(getpid(), SIGUSR1));
}

TEST(resethand)
{
	reset();
	install(SIGUSR1, plain_handler, SA_RESETHAND);
	raise(SIGUSR1);
	CHECK_EQ(hits, 1);
	struct sigaction old;
	CHECK_OK(sigaction(SIGUSR1, NULL, &old));
	CHECK(old.sa_handler == SIG_DFL);
	/* the second one takes the default action */
	pid_t pid = t_fork();
	if (pid == 0) {
		raise(SIGUSR1);
		_exit(0);
	}
	CHECK_KILLED(t_wait(pid), SIGUSR1);
}

TEST(nodefer)
{
	/* without SA_NODEFER the signal is blocked in its handler: the
	 * re-raised one runs after the first handler returns */
	reset();
	install(SIGUSR1, count_handler, 0);
	raise(SIGUSR1);
	CHECK_EQ(hits, 2);
	CHECK_EQ(max_depth, 1);
	CHECK_EQ(blocked_in_handler, 1);
	/* with it, the handler nests */
	reset();
	install(SIGUSR1, count_handler, SA_NODEFER);
	raise(SIGUSR1);
	CHECK_EQ(hits, 2);
	CHECK_EQ(max_depth, 2);
	CHECK_EQ(blocked_in_handler, 0);
	sigset_t now;
	sigprocmask(SIG_BLOCK, NULL, &now);
	CHECK(!sigismember(&now, SIGUSR1));
}

TEST(sa_mask)
{
	reset();
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = count_handler;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
	raise(SIGUSR1);
	CHECK_EQ(other_blocked_in_handler, 1);
	sigset_t now;
	sigprocmask(SIG_BLOCK, NULL, &now);
	CHECK(!sigismember(&now, SIGUSR2)); /* restored on return */
	CHECK(!sigismember(&now, SIGUSR1));
}

static volatile int order[8], norder;
static void order_handler(int sig)
{
	if (norder < 8)
		order[norder++] = sig;
	if (sig == SIGUSR1)
		raise(SIGUSR2); /* not blocked: runs inside this one */
	if (norder < 8)
		order[norder++] = -sig;
}

TEST(nested_handlers)
{
	norder = 0;
	install(SIGUSR1, order_handler, 0);
	install(SIGUSR2, order_handler, 0);
	raise(SIGUSR1);
	CHECK_EQ(norder, 4);
	CHECK_EQ(order[0], SIGUSR1);
	CHECK_EQ(order[1], SIGUSR2);
	CHECK_EQ(order[2], -SIGUSR2);
	CHECK_EQ(order[3], -SIGUSR1);
}

TEST(mask_pending_unblock)
{
	reset();
	install(SIGUSR1, plain_handler, 0);
	block(SIGUSR1, SIG_BLOCK);
	raise(SIGUSR1);
	raise(SIGUSR1); /* a standard signal is pending once */
	CHECK_EQ(hits, 0);
	sigset_t pend;
	CHECK_OK(sigpending(&pend));
	CHECK(sigismember(&pend, SIGUSR1));
	CHECK(!sigismember(&pend, SIGUSR2));
	block(SIGUSR1, SIG_UNBLOCK); /* delivered before this returns */
	CHECK_EQ(hits, 1);
	CHECK_OK(sigpending(&pend));
	CHECK(!sigismember(&pend, SIGUSR1));
}

static volatile int rt_order[16], rt_n;
static void rt_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (rt_n < 16)
		rt_order[rt_n++] = sig * 1000 + si->si_value.sival_int;
}

TEST(rt_signals_queue)
{
	/* real-time signals queue, each with its value, lowest first */
	rt_n = 0;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = rt_handler;
	sa.sa_flags = SA_SIGINFO;
	int a = SIGRTMIN + 1, b = SIGRTMIN + 2;
	/* each handler blocks both, so that they run one after the other
	 * rather than nest (a nested one would run first) */
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, a);
	sigaddset(&sa.sa_mask, b);
	CHECK_OK(sigaction(a, &sa, NULL));
	CHECK_OK(sigaction(b, &sa, NULL));
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, a);
	sigaddset(&s, b);
	sigprocmask(SIG_BLOCK, &s, NULL);
	CHECK_OK(sigqueue(getpid(), b, (union sigval){.sival_int = 1}));
	CHECK_OK(sigqueue(getpid(), a, (union sigval){.sival_int = 2}));
	CHECK_OK(sigqueue(getpid(), b, (union sigval){.sival_int = 3}));
	CHECK_OK(sigqueue(getpid(), a, (union sigval){.sival_int = 4}));
	CHECK_EQ(rt_n, 0);
	sigprocmask(SIG_UNBLOCK, &s, NULL);
	CHECK_EQ(rt_n, 4);
	CHECK_EQ(rt_order[0], a * 1000 + 2);
	CHECK_EQ(rt_order[1], a * 1000 + 4);
	CHECK_EQ(rt_order[2], b * 1000 + 1);
	CHECK_EQ(rt_order[3], b * 1000 + 3);
}

TEST(sigprocmask)
{
	sigset_t s, old, now;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	sigaddset(&s, SIGKILL);
	sigaddset(&s, SIGSTOP);
	CHECK_OK(sigprocmask(SIG_SETMASK, &s, &old));
	CHECK(!sigismember(&old, SIGUSR1));
	CHECK_OK(sigprocmask(SIG_BLOCK, NULL, &now));
	CHECK(sigismember(&now, SIGUSR1));
	CHECK(!sigismember(&now, SIGKILL)); /* silently not blocked */
	CHECK(!sigismember(&now, SIGSTOP));
	sigemptyset(&s);
	sigaddset(&s, SIGUSR2);
	CHECK_OK(sigprocmask(SIG_BLOCK, &s, NULL));
	CHECK_OK(sigprocmask(SIG_BLOCK, NULL, &now));
	CHECK(sigismember(&now, SIGUSR1) && sigismember(&now, SIGUSR2));
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	CHECK_OK(sigprocmask(SIG_UNBLOCK, &s, NULL));
	CHECK_OK(sigprocmask(SIG_BLOCK, NULL, &now));
	CHECK(!sigismember(&now, SIGUSR1) && sigismember(&now, SIGUSR2));
	CHECK_ERR(sigprocmask(12345, &s, NULL), EINVAL);
	errno = 0;
	CHECK_EQ(syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &now, 4), -1);
	CHECK_EQ(errno, EINVAL);
	/* the mask is inherited across fork, pending signals are not */
	reset();
	install(SIGUSR2, plain_handler, 0);
	raise(SIGUSR2);
	pid_t pid = t_fork();
	if (pid == 0) {
		sigset_t m, p;
		sigprocmask(SIG_BLOCK, NULL, &m);
		sigpending(&p);
		_exit(!sigismember(&m, SIGUSR2) ? 1 : sigismember(&p, SIGUSR2) ? 2 : 0);
	}
	CHECK_EXIT(t_wait(pid), 0);
}

TEST(sigsuspend)
{
	reset();
	install(SIGUSR1, plain_handler, 0);
	block(SIGUSR1, SIG_BLOCK);
	pid_t pid = pester(SIGUSR1, 20, 20, 0);
	sigset_t empty;
	sigemptyset(&empty);
	CHECK_ERR(sigsuspend(&empty), EINTR);
	CHECK(hits >= 1);
	sigset_t now;
	sigprocmask(SIG_BLOCK, NULL, &now);
	CHECK(sigismember(&now, SIGUSR1)); /* the mask is back */
	stop_pester(pid);
}

static char *alt_lo, *alt_hi;
static volatile int on_alt, flags_in_handler;
static void alt_handler(int sig)
{
	char local;
	(void)sig;
	on_alt = &local >= alt_lo && &local < alt_hi;
	stack_t ss;
	sigaltstack(NULL, &ss);
	flags_in_handler = ss.ss_flags;
	/* cannot change it while on it */
	stack_t other = {.ss_sp = alt_lo, .ss_size = 65536, .ss_flags = 0};
	if (sigaltstack(&other, NULL) == 0 || errno != EPERM)
		flags_in_handler = -1;
}

TEST(sigaltstack)
{
	static char alt[65536] __attribute__((aligned(16)));
	alt_lo = alt;
	alt_hi = alt + sizeof alt;
	stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0}, old;
	CHECK_OK(sigaltstack(&ss, &old));
	CHECK(old.ss_flags & SS_DISABLE);
	CHECK_OK(sigaltstack(NULL, &old));
	CHECK(old.ss_sp == alt);
	CHECK_EQ(old.ss_size, sizeof alt);
	CHECK_EQ(old.ss_flags, 0);
	install(SIGUSR1, alt_handler, SA_ONSTACK);
	raise(SIGUSR1);
	CHECK_EQ(on_alt, 1);
	CHECK_EQ(flags_in_handler, SS_ONSTACK);
	/* without SA_ONSTACK the handler uses the normal stack */
	install(SIGUSR2, alt_handler, 0);
	raise(SIGUSR2);
	CHECK_EQ(on_alt, 0);
	/* too small */
	stack_t tiny = {.ss_sp = alt, .ss_size = 512, .ss_flags = 0};
	CHECK_ERR(sigaltstack(&tiny, NULL), ENOMEM);
	stack_t bad = {.ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0x12345};
	CHECK_ERR(sigaltstack(&bad, NULL), EINVAL);
	stack_t dis = {.ss_sp = NULL, .ss_size = 0, .ss_flags = SS_DISABLE};
	CHECK_OK(sigaltstack(&dis, NULL));
	CHECK_OK(sigaltstack(NULL, &old));
	CHECK(old.ss_flags & SS_DISABLE);
}

static sigjmp_buf jb;
static volatile int overflow_on_alt;
static void overflow_handler(int sig)
{
	char local;
	(void)sig;
	overflow_on_alt = &local >= alt_lo && &local < alt_hi;
	siglongjmp(jb, 1);
}

static volatile int never; /* keeps the recursion from being "infinite" to gcc */
static int recurse(volatile char *prev)
{
	volatile char buf[1024];
	buf[0] = prev ? prev[0] : 1;
	if (never)
		return 0;
	return recurse(buf) + buf[1];
}

TEST(stack_overflow_on_altstack)
{
	/* a stack overflow's SIGSEGV can only be handled on another stack */
	struct rlimit rl;
	getrlimit(RLIMIT_STACK, &rl);
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (1 << 20))
		rl.rlim_cur = 1 << 20; /* a short fall */
	setrlimit(RLIMIT_STACK, &rl);
	static char alt[65536] __attribute__((aligned(16)));
	alt_lo = alt;
	alt_hi = alt + sizeof alt;
	stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0};
	REQUIRE_OK(sigaltstack(&ss, NULL));
	install(SIGSEGV, overflow_handler, SA_ONSTACK);
	if (sigsetjmp(jb, 1) == 0) {
		recurse(NULL);
		CHECK_MSG(0, "infinite recursion returned");
	}
	CHECK_EQ(overflow_on_alt, 1);
}

TEST(kill_process_group)
{
	/* kill(0, sig): every process of our group, this one included */
	enum { N = 3 };
	pid_t kids[N];
	for (int i = 0; i < N; i++) {
		kids[i] = t_fork();
		if (kids[i] == 0) {
			for (;;)
				pause();
		}
	}
	reset();
	install(SIGUSR1, plain_handler, 0);
	CHECK_OK(kill(0, SIGUSR1));
	CHECK_EQ(hits, 1);
	for (int i = 0; i < N; i++)
		CHECK_KILLED(t_wait(kids[i]), SIGUSR1);
}

TEST(kill_negative_pgid)
{
	/* kill(-pgid, sig): a group of three, none of them us */
	int p[2], ready[2];
	REQUIRE_OK(pipe(p));
	REQUIRE_OK(pipe(ready));
	pid_t leader = t_fork();
	if (leader == 0) {
		setpgid(0, 0);
		for (int i = 0; i < 2; i++)
			if (fork() == 0) {
				write(ready[1], "g", 1);
				for (;;)
					pause();
			}
		write(ready[1], "l", 1);
		for (;;)
			pause();
	}
	setpgid(leader, leader);
	close(p[1]);
	close(ready[1]);
	char buf[3];
	CHECK_EQ(t_read_full(ready[0], buf, 3), 3);
	reset();
	install(SIGTERM, plain_handler, 0);
	CHECK_OK(kill(-leader, SIGTERM));
	CHECK_KILLED(t_wait(leader), SIGTERM);
	/* the pipe's write ends die with the whole group */
	char c;
	CHECK_EQ(read(p[0], &c, 1), 0);
	CHECK_EQ(hits, 0); /* not us */
}

static volatile int chld_code, chld_pid, chld_status, chld_hits;
static void chld_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	chld_hits++;
	chld_code = si->si_code;
	chld_pid = si->si_pid;
	chld_status = si->si_status;
}

TEST(sigchld)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = chld_handler;
	sa.sa_flags = SA_SIGINFO;
	CHECK_OK(sigaction(SIGCHLD, &sa, NULL));
	block(SIGCHLD, SIG_BLOCK);
	sigset_t empty;
	sigemptyset(&empty);
	chld_hits = 0;
	pid_t pid = t_fork();
	if (pid == 0)
		_exit(3);
	while (!chld_hits)
		sigsuspend(&empty);
	CHECK_EQ(chld_code, CLD_EXITED);
	CHECK_EQ(chld_pid, pid);
	CHECK_EQ(chld_status, 3);
	CHECK_EXIT(t_wait(pid), 3);
	/* killed */
	chld_hits = 0;
	pid = t_fork();
	if (pid == 0) {
		for (;;)
			pause();
	}
	kill(pid, SIGKILL);
	while (!chld_hits)
		sigsuspend(&empty);
	CHECK_EQ(chld_code, CLD_KILLED);
	CHECK_EQ(chld_status, SIGKILL);
	CHECK_KILLED(t_wait(pid), SIGKILL);
}

TEST(sigchld_ignored_reaps)
{
	/* SIGCHLD set to SIG_IGN: children are not left as zombies */
	signal(SIGCHLD, SIG_IGN);
	pid_t pid = t_fork();
	if (pid == 0)
		_exit(0);
	int st;
	CHECK_ERR(waitpid(pid, &st, 0), ECHILD); /* waits for it, then ECHILD */
	CHECK_ERR(kill(pid, 0), ESRCH);
}

TEST(default_actions)
{
	/* ignored by default: SIGCHLD, SIGURG, SIGWINCH, SIGCONT */
	int ign[] = {SIGCHLD, SIGURG, SIGWINCH, SIGCONT};
	for (unsigned i = 0; i < 4; i++) {
		pid_t pid = t_fork();
		if (pid == 0) {
			raise(ign[i]);
			kill(getpid(), ign[i]);
			_exit(0);
		}
		CHECK_EXIT(t_wait(pid), 0);
	}
	/* terminate */
	int term[] = {SIGTERM, SIGUSR1, SIGUSR2, SIGHUP, SIGINT, SIGALRM, SIGPIPE,
		      SIGQUIT, SIGRTMIN};
	for (unsigned i = 0; i < sizeof term / sizeof term[0]; i++) {
		pid_t pid = t_fork();
		if (pid == 0) {
			raise(term[i]);
			_exit(0);
		}
		CHECK_KILLED(t_wait(pid), term[i]);
	}
	/* a signal to a child blocked in pause() */
	pid_t pid = t_fork();
	if (pid == 0) {
		for (;;)
			pause();
	}
	CHECK_OK(kill(pid, SIGTERM));
	CHECK_KILLED(t_wait(pid), SIGTERM);
}

TEST(stop_continue)
{
	int p[2];
	REQUIRE_OK(pipe(p));
	pid_t pid = t_fork();
	if (pid == 0) {
		close(p[0]);
		for (;;) {
			pause();
			write(p[1], "c", 1); /* a SIGCONT handler would run here */
		}
	}
	int st;
	CHECK_OK(kill(pid, SIGSTOP));
	CHECK_EQ(waitpid(pid, &st, WUNTRACED), pid);
	CHECK_MSG(WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP, "child %s", t_status(st));
	/* a stopped child reported once */
	CHECK_EQ(waitpid(pid, &st, WUNTRACED | WNOHANG), 0);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	CHECK_OK(kill(pid, SIGCONT));
	CHECK_EQ(waitpid(pid, &st, WCONTINUED), pid);
	CHECK_MSG(WIFCONTINUED(st), "child %s, not continued", t_status(st));
	/* waitid sees stops too */
	CHECK_OK(kill(pid, SIGSTOP));
	CHECK_OK(waitid(P_PID, (id_t)pid, &si, WSTOPPED));
	CHECK_EQ(si.si_code, CLD_STOPPED);
	CHECK_EQ(si.si_status, SIGSTOP);
	/* SIGKILL ends a stopped process */
	CHECK_OK(kill(pid, SIGKILL));
	CHECK_KILLED(t_wait(pid), SIGKILL);
}

TEST(eintr_read)
{
	/* a handler without SA_RESTART: read() on an empty pipe fails EINTR */
	reset();
	install(SIGUSR1, plain_handler, 0);
	int p[2];
	REQUIRE_OK(pipe(p));
	pid_t pid = pester(SIGUSR1, 30, 30, 0);
	char c;
	CHECK_ERR(read(p[0], &c, 1), EINTR);
	CHECK(hits >= 1);
	stop_pester(pid);
}

TEST(restart_read)
{
	/* with SA_RESTART the read goes on and returns the data */
	reset();
	install(SIGUSR1, plain_handler, SA_RESTART);
	int p[2];
	REQUIRE_OK(pipe(p));
	pid_t parent = getpid();
	pid_t pid = t_fork();
	if (pid == 0) {
		for (int i = 0; i < 3; i++) {
			t_msleep(30);
			kill(parent, SIGUSR1);
		}
		t_msleep(30);
		write(p[1], "x", 1);
		_exit(0);
	}
	char c = 0;
	CHECK_EQ(read(p[0], &c, 1), 1);
	CHECK_EQ(c, 'x');
	/* three were sent; two may merge into one if both arrive before
	 * this process runs (a standard signal is pending at most once) */
	CHECK(hits >= 1 && hits <= 3);
	CHECK_EXIT(t_wait(pid), 0);
}

TEST(eintr_timer)
{
	/* the interval timer's SIGALRM interrupts a blocking read */
	reset();
	install(SIGALRM, plain_handler, 0);
	int p[2];
	REQUIRE_OK(pipe(p));
	struct itimerval it = {{0, 50000}, {0, 50000}}, off = {{0, 0}, {0, 0}};
	CHECK_OK(setitimer(ITIMER_REAL, &it, NULL));
	char c;
	long long t0 = t_now_ns();
	CHECK_ERR(read(p[0], &c, 1), EINTR);
	long long ms = (t_now_ns() - t0) / 1000000;
	CHECK_OK(setitimer(ITIMER_REAL, &off, NULL));
	CHECK(hits >= 1);
	CHECK_MSG(ms < 5000, "read interrupted after %lld ms", ms);
	struct itimerval cur;
	CHECK_OK(getitimer(ITIMER_REAL, &cur));
	CHECK_EQ(cur.it_value.tv_sec + cur.it_value.tv_usec, 0);
}

TEST(alarm_pause)
{
	reset();
	install(SIGALRM, plain_handler, 0);
	alarm(5); /* replaces the harness's watchdog */
	CHECK_EQ(alarm(0), 5);
	long long t0 = t_now_ns();
	alarm(1);
	CHECK_ERR(pause(), EINTR);
	long long ms = (t_now_ns() - t0) / 1000000;
	CHECK_EQ(hits, 1);
	CHECK_MSG(ms >= 990 && ms < 5000, "alarm(1) fired after %lld ms", ms);
	CHECK_EQ(alarm(0), 0);
}

TEST(nanosleep_eintr)
{
	reset();
	install(SIGUSR1, plain_handler, 0);
	pid_t pid = pester(SIGUSR1, 50, 50, 0);
	struct timespec req = {2, 0}, rem = {0, 0};
	long long t0 = t_now_ns();
	CHECK_ERR(nanosleep(&req, &rem), EINTR);
	long long ms = (t_now_ns() - t0) / 1000000;
	stop_pester(pid);
	CHECK(hits >= 1);
	long long rem_ms = rem.tv_sec * 1000LL + rem.tv_nsec / 1000000;
	CHECK_MSG(rem_ms > 0 && rem_ms <= 2000, "rem %lld ms", rem_ms);
	/* what was slept and what is left make the 2 s (plus however long
	 * this process waited to run again after the signal) */
	CHECK_MSG(rem_ms + ms >= 1900 && rem_ms + ms <= 3000,
		  "slept %lld ms, rem %lld ms: not 2 s in all", ms, rem_ms);
	CHECK(rem.tv_nsec >= 0 && rem.tv_nsec < 1000000000);
}

TEST(segv_si_addr)
{
	/* an unmapped address: SEGV_MAPERR, si_addr exact, RIP the load */
	char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(page != MAP_FAILED);
	REQUIRE_OK(munmap(page, 4096));
	reset();
	install_info(SIGSEGV, 0);
	resume_rip = (uintptr_t)t_load_after;
	call_load(page + 123);
	CHECK_EQ(hits, 1);
	CHECK_EQ(last_sig, SIGSEGV);
	CHECK_EQ(last_code, SEGV_MAPERR);
	CHECK_EQ((uintptr_t)last_addr, (uintptr_t)(page + 123));
	CHECK_EQ(last_rip, (uintptr_t)t_load_insn);
	/* a store to a read-only page: SEGV_ACCERR */
	char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(ro != MAP_FAILED);
	reset();
	resume_rip = (uintptr_t)t_store_after;
	call_store(ro + 8);
	CHECK_EQ(hits, 1);
	CHECK_EQ(last_code, SEGV_ACCERR);
	CHECK_EQ((uintptr_t)last_addr, (uintptr_t)(ro + 8));
	CHECK_EQ(last_rip, (uintptr_t)t_store_insn);
	/* near NULL */
	reset();
	resume_rip = (uintptr_t)t_store_after;
	call_store((char *)T_NULLPTR + 16);
	CHECK_EQ(hits, 1);
	CHECK_EQ((uintptr_t)last_addr, 16);
	/* a non-canonical address: SIGSEGV too (the kernel reports 0) */
	reset();
	resume_rip = (uintptr_t)t_load_after;
	call_load((void *)0x8000000000000000UL);
	CHECK_EQ(hits, 1);
	CHECK_EQ(last_sig, SIGSEGV);
}

static sigjmp_buf segv_jb;
static volatile int segv_jumps;
static void segv_longjmp(int sig)
{
	(void)sig;
	segv_jumps++;
	siglongjmp(segv_jb, 1);
}

TEST(segv_siglongjmp)
{
	/* out of the handler with siglongjmp; the mask is restored so the
	 * next fault is caught again */
	install(SIGSEGV, segv_longjmp, 0);
	segv_jumps = 0;
	for (int i = 0; i < 3; i++) {
		if (sigsetjmp(segv_jb, 1) == 0) {
			*(volatile int *)T_NULLPTR = i;
			CHECK_MSG(0, "the NULL store did not fault");
		}
	}
	CHECK_EQ(segv_jumps, 3);
	sigset_t now;
	sigprocmask(SIG_BLOCK, NULL, &now);
	CHECK(!sigismember(&now, SIGSEGV));
}

TEST(segv_while_blocked_kills)
{
	/* a fault with its signal blocked is not deferred: it kills */
	pid_t pid = t_fork();
	if (pid == 0) {
		install(SIGSEGV, plain_handler, 0);
		block(SIGSEGV, SIG_BLOCK);
		*(volatile int *)T_NULLPTR = 1;
		_exit(0);
	}
	CHECK_KILLED(t_wait(pid), SIGSEGV);
}

TEST(sigfpe_intdiv)
{
	reset();
	install_info(SIGFPE, 0);
	resume_rip = (uintptr_t)t_idiv_after;
	set_rax_flag = 1;
	set_rax = 12345;
	long r = call_idiv(10, 0);
	CHECK_EQ(hits, 1);
	CHECK_EQ(last_sig, SIGFPE);
	CHECK_EQ(last_code, FPE_INTDIV);
	CHECK_EQ((uintptr_t)last_addr, (uintptr_t)t_idiv_insn);
	CHECK_EQ(last_rip, (uintptr_t)t_idiv_insn);
	CHECK_EQ(r, 12345); /* the handler's RAX came back */
	/* LONG_MIN / -1 overflows: #DE as well */
	reset();
	resume_rip = (uintptr_t)t_idiv_after;
	call_idiv(LONG_MIN, -1);
	CHECK_EQ(hits, 1);
	CHECK_EQ(last_sig, SIGFPE);
	/* a plain division still works */
	reset();
	CHECK_EQ(call_idiv(100, 7), 14);
	CHECK_EQ(hits, 0);
}

TEST(sigill_ud2)
{
	reset();
	install_info(SIGILL, 0);
	resume_rip = (uintptr_t)t_ud2_after;
	((void (*)(void))(void *)t_ud2)();
	CHECK_EQ(hits, 1);
	CHECK_EQ(last_sig, SIGILL);
	CHECK_EQ(last_code, ILL_ILLOPN);
	CHECK_EQ((uintptr_t)last_addr, (uintptr_t)t_ud2_insn);
	CHECK_EQ(last_rip, (uintptr_t)t_ud2_insn);
}

TEST(sigtrap_int3)
{
	reset();
	install_info(SIGTRAP, 0);
	((void (*)(void))(void *)t_int3)();
	CHECK_EQ(hits, 1);
	CHECK_EQ(last_sig, SIGTRAP);
	CHECK_EQ(last_code, SI_KERNEL);
	CHECK_EQ(last_rip, (uintptr_t)t_int3_after); /* a trap: after the int3 */
}

/* The register state across a signal: t_sig_regs loads patterns into the
 * general registers, xmm0-15 and MXCSR, sends itself a signal with the
 * syscall instruction, and stores them all after it returns. */
/* not static: the compiler must assume t_sig_regs writes them */
unsigned char xmm_in[16][16], xmm_out[16][16];
unsigned int mxcsr_in = 0x7f80, mxcsr_out; /* round toward zero */
unsigned long gpr_out[11];
extern void t_sig_regs(unsigned long *out, int tgid, int tid, int sig);
_Static_assert(SYS_tgkill == 234, "tgkill's number");
__asm__(".text\n"
	".globl t_sig_regs\n"
	"t_sig_regs:\n"
	"  push %rbx\n  push %rbp\n  push %r12\n  push %r13\n  push %r14\n  push %r15\n"
	"  push %rdi\n"
	"  mov %esi, %edi\n  mov %edx, %esi\n  mov %ecx, %edx\n"
	"  movabs $0x1111111111111111, %rbx\n"
	"  movabs $0x2222222222222222, %rbp\n"
	"  movabs $0x8888888888888888, %r8\n"
	"  movabs $0x9999999999999999, %r9\n"
	"  movabs $0xaaaaaaaaaaaaaaaa, %r10\n"
	"  movabs $0xcccccccccccccccc, %r12\n"
	"  movabs $0xdddddddddddddddd, %r13\n"
	"  movabs $0xeeeeeeeeeeeeeeee, %r14\n"
	"  movabs $0xffffffffffffffff, %r15\n"
	"  movdqu xmm_in+0(%rip), %xmm0\n  movdqu xmm_in+16(%rip), %xmm1\n"
	"  movdqu xmm_in+32(%rip), %xmm2\n  movdqu xmm_in+48(%rip), %xmm3\n"
	"  movdqu xmm_in+64(%rip), %xmm4\n  movdqu xmm_in+80(%rip), %xmm5\n"
	"  movdqu xmm_in+96(%rip), %xmm6\n  movdqu xmm_in+112(%rip), %xmm7\n"
	"  movdqu xmm_in+128(%rip), %xmm8\n  movdqu xmm_in+144(%rip), %xmm9\n"
	"  movdqu xmm_in+160(%rip), %xmm10\n  movdqu xmm_in+176(%rip), %xmm11\n"
	"  movdqu xmm_in+192(%rip), %xmm12\n  movdqu xmm_in+208(%rip), %xmm13\n"
	"  movdqu xmm_in+224(%rip), %xmm14\n  movdqu xmm_in+240(%rip), %xmm15\n"
	"  ldmxcsr mxcsr_in(%rip)\n"
	"  mov $234, %eax\n"
	"  syscall\n"
	"  stmxcsr mxcsr_out(%rip)\n"
	"  movdqu %xmm0, xmm_out+0(%rip)\n  movdqu %xmm1, xmm_out+16(%rip)\n"
	"  movdqu %xmm2, xmm_out+32(%rip)\n  movdqu %xmm3, xmm_out+48(%rip)\n"
	"  movdqu %xmm4, xmm_out+64(%rip)\n  movdqu %xmm5, xmm_out+80(%rip)\n"
	"  movdqu %xmm6, xmm_out+96(%rip)\n  movdqu %xmm7, xmm_out+112(%rip)\n"
	"  movdqu %xmm8, xmm_out+128(%rip)\n  movdqu %xmm9, xmm_out+144(%rip)\n"
	"  movdqu %xmm10, xmm_out+160(%rip)\n  movdqu %xmm11, xmm_out+176(%rip)\n"
	"  movdqu %xmm12, xmm_out+192(%rip)\n  movdqu %xmm13, xmm_out+208(%rip)\n"
	"  movdqu %xmm14, xmm_out+224(%rip)\n  movdqu %xmm15, xmm_out+240(%rip)\n"
	"  mov (%rsp), %rax\n"
	"  mov %rbx, 0(%rax)\n  mov %rbp, 8(%rax)\n  mov %r8, 16(%rax)\n"
	"  mov %r9, 24(%rax)\n  mov %r10, 32(%rax)\n  mov %r12, 40(%rax)\n"
	"  mov %r13, 48(%rax)\n  mov %r14, 56(%rax)\n  mov %r15, 64(%rax)\n"
	"  mov %rdi, 72(%rax)\n  mov %rsi, 80(%rax)\n"
	"  ldmxcsr mxcsr_default(%rip)\n"
	"  pop %rdi\n"
	"  pop %r15\n  pop %r14\n  pop %r13\n  pop %r12\n  pop %rbp\n  pop %rbx\n"
	"  ret\n");
const unsigned int mxcsr_default = 0x1f80;

static volatile unsigned int mxcsr_seen_in_handler;
static void clobber_handler(int sig)
{
	(void)sig;
	hits++;
	unsigned int m;
	__asm__ volatile("stmxcsr %0" : "=m"(m));
	mxcsr_seen_in_handler = m;
	unsigned int other = 0x1f80 | (1 << 13); /* round down */
	__asm__ volatile("ldmxcsr %0\n\t"
			 "pcmpeqd %%xmm0, %%xmm0\n\t pcmpeqd %%xmm1, %%xmm1\n\t"
			 "pcmpeqd %%xmm2, %%xmm2\n\t pcmpeqd %%xmm3, %%xmm3\n\t"
			 "pcmpeqd %%xmm4, %%xmm4\n\t pcmpeqd %%xmm5, %%xmm5\n\t"
			 "pcmpeqd %%xmm6, %%xmm6\n\t pcmpeqd %%xmm7, %%xmm7\n\t"
			 "pxor %%xmm8, %%xmm8\n\t pxor %%xmm9, %%xmm9\n\t"
			 "pxor %%xmm10, %%xmm10\n\t pxor %%xmm11, %%xmm11\n\t"
			 "pxor %%xmm12, %%xmm12\n\t pxor %%xmm13, %%xmm13\n\t"
			 "pxor %%xmm14, %%xmm14\n\t pxor %%xmm15, %%xmm15\n\t"
			 "xor %%r8, %%r8\n\t xor %%r9, %%r9\n\t xor %%r10, %%r10\n\t"
			 "xor %%r11, %%r11\n\t xor %%rdi, %%rdi\n\t xor %%rsi, %%rsi\n\t"
			 :
			 : "m"(other)
			 : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
			   "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14",
			   "xmm15", "r8", "r9", "r10", "r11", "rdi", "rsi");
}

TEST(registers_across_handler)
{
	for (int i = 0; i < 16; i++)
		for (int j = 0; j < 16; j++)
			xmm_in[i][j] = (unsigned char)(i * 16 + j + 1);
	reset();
	install(SIGUSR1, clobber_handler, 0);
	t_sig_regs(gpr_out, getpid(), (int)syscall(SYS_gettid), SIGUSR1);
	CHECK_EQ(hits, 1);
	const unsigned long want[9] = {0x1111111111111111UL, 0x2222222222222222UL,
				       0x8888888888888888UL, 0x9999999999999999UL,
				       0xaaaaaaaaaaaaaaaaUL, 0xccccccccccccccccUL,
				       0xddddddddddddddddUL, 0xeeeeeeeeeeeeeeeeUL,
				       0xffffffffffffffffUL};
	const char *names[9] = {"rbx", "rbp", "r8", "r9", "r10", "r12", "r13", "r14", "r15"};
	for (int i = 0; i < 9; i++)
		CHECK_MSG(gpr_out[i] == want[i], "%s 0x%lx after the handler, was 0x%lx",
			  names[i], gpr_out[i], want[i]);
	CHECK_EQ(gpr_out[9], (unsigned long)getpid());		  /* rdi */
	CHECK_EQ(gpr_out[10], (unsigned long)syscall(SYS_gettid)); /* rsi */
	for (int i = 0; i < 16; i++)
		CHECK_MSG(memcmp(xmm_in[i], xmm_out[i], 16) == 0,
			  "xmm%d changed across the handler", i);
	CHECK_EQ(mxcsr_out, 0x7f80);
	/* the handler starts with the default MXCSR, not the interrupted one */
	CHECK_EQ(mxcsr_seen_in_handler & 0xffc0, 0x1f80);
}

static volatile int counter;
static void add_handler(int sig)
{
	(void)sig;
	counter += 10;
}

TEST(handler_updates_memory)
{
	counter = 1;
	install(SIGUSR1, add_handler, 0);
	raise(SIGUSR1);
	raise(SIGUSR1);
	CHECK_EQ(counter, 21);
	/* and a handler in a child does not touch the parent's memory */
	pid_t pid = t_fork();
	if (pid == 0) {
		raise(SIGUSR1);
		_exit(counter == 31 ? 0 : 1);
	}
	CHECK_EXIT(t_wait(pid), 0);
	CHECK_EQ(counter, 21);
}

TEST(handler_inherited_by_fork)
{
	reset();
	install(SIGUSR1, plain_handler, 0);
	signal(SIGUSR2, SIG_IGN);
	pid_t pid = t_fork();
	if (pid == 0) {
		raise(SIGUSR1);
		raise(SIGUSR2);
		_exit(hits == 1 ? 0 : 1);
	}
	CHECK_EXIT(t_wait(pid), 0);
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
