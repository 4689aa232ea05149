/*
 * proctests: checks the process system calls without sleeping, so it needs
 * no timer interrupt: fork (separate memory), wait4 (statuses, WNOHANG,
 * ECHILD), execve (arguments, unknown program), kill, rt_sigaction (the
 * handlers themselves are musl/sigtest.c's), the process table limit, and
 * the error returns of read, clock_gettime and nanosleep.  Prints "proctests: ok" and exits 0, or names each failure
 * and exits 1.  One child divides by zero on purpose: the kernel reports
 * it with a "proctests: killed by #DE" line.
 */
#include "ulib.h"

#define ESRCH  3
#define EBADF  9
#define ECHILD 10
#define EAGAIN 11
#define EFAULT 14
#define EINVAL 22
#define ENOENT 2
#define SIGFPE  8
#define SIGKILL 9
#define SIGTERM 15
#define WNOHANG 1

static int failed;
static volatile int shared = 1;

static void expect(const char *what, long got, long want)
{
	failed |= check_eq("proctests", what, got, want);
}

/* Run as "proctests argv-check x" by test_exec: exit 7 if the arguments
 * arrived. */
static int argv_check(int argc, char **argv)
{
	return argc == 3 && strcmp(argv[0], "/bin/proctests") == 0 &&
	       strcmp(argv[2], "two words") == 0 && argv[3] == 0 ? 7 : 1;
}

static void test_fork_wait(void)
{
	int status = -1;
	long pid = fork();

	if (pid == 0) {
		shared = 2;           /* the parent must not see this */
		exit(getpid() > 0 ? 42 : 1);
	}
	expect("fork returns a pid", pid > 0, 1);
	expect("wait4 returns the child", wait4(pid, &status, 0, 0), pid);
	expect("child exited", WIFEXITED(status), 1);
	expect("child's exit status", WEXITSTATUS(status), 42);
	expect("fork copies memory", shared, 1);
	expect("wait4 without children", wait4(-1, &status, 0, 0), -ECHILD);
}

static void test_kill(void)
{
	int status = -1;
	long pid = fork();

	if (pid == 0)
		for (;;)
			sched_yield();
	expect("wait4 WNOHANG on a running child", wait4(pid, &status, WNOHANG, 0), 0);
	expect("kill", kill(pid, SIGKILL), 0);
	expect("wait4 for the killed child", wait4(-1, &status, 0, 0), pid);
	expect("killed child did not exit", WIFEXITED(status), 0);
	expect("killed child's signal", WTERMSIG(status), SIGKILL);
	expect("kill of no process", kill(pid, SIGKILL), -ESRCH);
	expect("kill(self, 0)", kill(getpid(), 0), 0);
}

static void test_fault(void)
{
	int status = -1;
	long pid = fork();

	if (pid == 0) {
		volatile int one = 1, zero = 0;   /* both volatile: see divzero.c */
		exit(one / zero);
	}
	wait4(pid, &status, 0, 0);
	expect("divide error's signal", WTERMSIG(status), SIGFPE);
}

static void test_exec(void)
{
	char *args[] = { "/bin/proctests", "argv-check", "two words", 0 };
	int status = -1;
	long pid;

	expect("execve of no program", execve("nosuch", args, 0), -ENOENT);
	expect("execve of a bad path pointer", execve((char *)0x10, args, 0), -EFAULT);
	pid = fork();
	if (pid == 0) {
		execve(args[0], args, 0);
		exit(99);
	}
	wait4(pid, &status, 0, 0);
	expect("execve passes argv (exit status 7)", WEXITSTATUS(status), 7);
}

static void test_signals(void)
{
	long act[4] = { SIG_IGN, 0, 0, 0 }, old[4] = { -1, -1, -1, -1 };

	expect("ignore SIGTERM", syscall4(SYS_rt_sigaction, SIGTERM, (long)act, 0, 8), 0);
	expect("an ignored SIGTERM", kill(getpid(), SIGTERM), 0);
	act[0] = SIG_DFL;
	expect("default SIGTERM again", syscall4(SYS_rt_sigaction, SIGTERM, (long)act, (long)old, 8), 0);
	expect("the old action was SIG_IGN", old[0], SIG_IGN);
	act[0] = 0x401000;
	expect("a handler function", syscall4(SYS_rt_sigaction, SIGTERM, (long)act, 0, 8), 0);
	act[0] = SIG_DFL;
	expect("and SIG_DFL again", syscall4(SYS_rt_sigaction, SIGTERM, (long)act, (long)old, 8), 0);
	expect("the old action was the handler", old[0], 0x401000);
	expect("a sigset that is not 8 bytes", syscall4(SYS_rt_sigaction, SIGTERM, (long)act, 0, 16), -EINVAL);
	expect("SIGKILL cannot be ignored", signal(SIGKILL, SIG_IGN), -EINVAL);
}

/* Fill the process table: fork fails with EAGAIN, and every child can
 * still be waited for. */
static void test_many(void)
{
	long pid, n = 0, reaped = 0;
	int status;

	for (;;) {
		pid = fork();
		if (pid == 0)
			exit(0);
		if (pid < 0)
			break;
		n++;
		if (n > 100)
			break;
	}
	expect("fork with the table full", pid, -EAGAIN);
	while (wait4(-1, &status, 0, 0) > 0)
		reaped++;
	expect("children reaped", reaped, n);
}

static void test_errors(void)
{
	struct timespec ts = { 0, 1000000000 }, a, b;
	char c;

	expect("read from fd 99 (not open)", read(99, &c, 1), -EBADF);
	expect("read into kernel memory", read(0, (void *)0x600000000000, 1), -EFAULT);
	expect("read into program text", read(0, (void *)0x401000, 1), -EFAULT);
	expect("clock_gettime of clock 99", clock_gettime(99, &a), -EINVAL);
	expect("clock_gettime to page 0", clock_gettime(CLOCK_MONOTONIC, (void *)0x10), -EFAULT);
	expect("nanosleep with 10^9 ns", nanosleep(&ts, 0), -EINVAL);
	clock_gettime(CLOCK_MONOTONIC, &a);
	clock_gettime(CLOCK_MONOTONIC, &b);
	expect("monotonic clock goes forward", b.tv_sec > a.tv_sec ||
	       (b.tv_sec == a.tv_sec && b.tv_nsec >= a.tv_nsec), 1);
	expect("sched_yield", sched_yield(), 0);
}

/* RFLAGS.AC set, CR0.AM clear (this kernel never sets it): a misaligned
 * load must just work, as on a CPU, though the host runs with CR0.AM. */
static void test_alignment_flag(void)
{
	static volatile unsigned char bytes[16] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	unsigned v;

	asm volatile("pushfq; orq $0x40000, (%%rsp); popfq\n\t"
		     "movl 1(%1), %0\n\t"
		     "pushfq; andq $~0x40000, (%%rsp); popfq"
		     : "=r"(v) : "r"(bytes) : "cc", "memory");
	expect("misaligned load with AC set and CR0.AM clear", v, 0x05040302);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "argv-check") == 0)
		return argv_check(argc, argv);
	test_fork_wait();
	test_kill();
	test_fault();
	test_exec();
	test_signals();
	test_many();
	test_errors();
	test_alignment_flag();
	if (failed)
		return 1;
	print("proctests: ok\n");
	return 0;
}
