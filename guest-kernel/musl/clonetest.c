/*
 * clonetest: processes the way C libraries make them (sys_proc.c, proc.c,
 * futex.c): vfork (the child runs first, in the parent's memory, and the
 * parent goes on once it has exited or exec'd), posix_spawn (musl's is
 * clone(CLONE_VM|CLONE_VFORK) on a stack of its own), clone with
 * CLONE_PARENT_SETTID, CLONE_CHILD_SETTID and CLONE_CHILD_CLEARTID (the
 * word zeroed and futex-woken when the child exits), thread flags refused,
 * set_tid_address, futex (EAGAIN, timeouts relative and absolute, WAKE of
 * a waiter in another process through MAP_SHARED memory), prctl's name,
 * getppid and gettid.
 */
#define _GNU_SOURCE
#define PROG "clonetest"
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define FUTEX_WAIT         0
#define FUTEX_WAKE         1
#define FUTEX_WAIT_BITSET  9
#define FUTEX_WAKE_BITSET  10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256

extern char **environ;

static long futex(volatile int *uaddr, int op, int val, const struct timespec *ts, int val3)
{
	return syscall(SYS_futex, uaddr, op, val, ts, 0, val3);
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static int wait_status(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static volatile int order, child_saw;

/*
 * What posix_spawn does (musl's needs a pipe, which this kernel does not
 * have yet): clone(CLONE_VM|CLONE_VFORK|SIGCHLD) with the child on a stack
 * of its own, where it can only run code that needs no stack frame of
 * ours: execve, and exit(127) if that fails.  Returns the child's pid.
 */
static long spawn_on(void *stack_top, const char *path, char **argv, char **envp)
{
	register long r12 asm("r12") = (long)path;
	register long r13 asm("r13") = (long)argv;
	register long r14 asm("r14") = (long)envp;
	register long r10 asm("r10") = 0;
	register long r8 asm("r8") = 0;
	long ret;

	asm volatile("syscall\n\t"
		     "testq %%rax, %%rax\n\t"
		     "jnz 1f\n\t"
		     "movl $59, %%eax\n\t"          /* the child: execve */
		     "movq %%r12, %%rdi\n\t"
		     "movq %%r13, %%rsi\n\t"
		     "movq %%r14, %%rdx\n\t"
		     "syscall\n\t"
		     "movl $60, %%eax\n\t"          /* exit(127) */
		     "movl $127, %%edi\n\t"
		     "syscall\n"
		     "1:"
		     : "=a"(ret)
		     : "a"(SYS_clone), "D"(CLONE_VM | CLONE_VFORK | SIGCHLD), "S"(stack_top), "d"(0),
		       "r"(r10), "r"(r8), "r"(r12), "r"(r13), "r"(r14)
		     : "rcx", "r11", "memory");
	return ret;
}

static void test_vfork(void)
{
	pid_t pid;

	order = 0;
	pid = vfork();
	if (pid == 0) {
		/* The parent is asleep in vfork: this store is in its memory. */
		child_saw = order;
		order = 1;
		_exit(7);
	}
	CHECK(pid > 0);
	CHECK(order == 1 && child_saw == 0);      /* the child ran first, in our memory */
	CHECK(wait_status(pid) == 7);
	OK("vfork: the child runs first in the shared address space, the parent after its _exit");

	order = 0;
	pid = vfork();
	if (pid == 0) {
		char *argv[] = { "clonetest", "exec-child", 0 };
		order = 2;
		execve("/bin/clonetest", argv, environ);
		_exit(127);
	}
	CHECK(order == 2);
	CHECK(wait_status(pid) == 42);
	OK("vfork then execve: the parent resumes once the child has exec'd");

	{
		char *argv[] = { "clonetest", "exec-child", 0 };
		static char stack[8192] __attribute__((aligned(16)));
		pid = spawn_on(stack + sizeof(stack), "/bin/clonetest", argv, environ);
		CHECK(pid > 0);
		CHECK(pid > 0 && wait_status(pid) == 42);
	}
	OK("clone(CLONE_VM|CLONE_VFORK) on a stack of its own then execve, as posix_spawn does");
}

static void test_clone_tids(void)
{
	/* The tid words in shared memory, so that the parent sees what the
	 * kernel writes in the child's address space. */
	volatile int *shared = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int ptid = 0;
	long r;

	CHECK(shared != MAP_FAILED);
	if (shared == MAP_FAILED)
		return;
	shared[0] = -1;
	r = syscall(SYS_clone, CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD,
		    0, &ptid, shared, 0);
	if (r == 0) {
		struct timespec ts = { 0, 100 * 1000000 };
		/* Our tid was written here before we ran; stay a while so the
		 * parent is asleep on the word when we exit. */
		shared[1] = shared[0] == getpid();
		nanosleep(&ts, 0);
		_exit(0);
	}
	CHECK(r > 0);
	CHECK(ptid == r);
	/* Wait the way pthread_join waits: until the kernel clears the word. */
	while (shared[0] != 0) {
		long w = futex(shared, FUTEX_WAIT, shared[0], 0, 0);
		CHECK(w == 0 || (w == -1 && errno == EAGAIN));
		if (w != 0 && errno != EAGAIN)
			break;
	}
	CHECK(shared[0] == 0);
	CHECK(shared[1] == 1);
	CHECK(wait_status(r) == 0);
	OK("clone: PARENT_SETTID, CHILD_SETTID, CHILD_CLEARTID zeroed and futex-woken at exit");

	CHECK(syscall(SYS_set_tid_address, &ptid) == getpid());
	CHECK(syscall(SYS_gettid) == getpid());
	errno = 0;
	CHECK(syscall(SYS_clone, CLONE_VM | CLONE_THREAD | CLONE_SIGHAND, 0, 0, 0, 0) == -1 &&
	      errno == EINVAL);
	OK("set_tid_address and gettid give the pid; thread flags are EINVAL");
	munmap((void *)shared, 4096);
}

static void test_futex(void)
{
	volatile int word = 5;
	struct timespec t0, ts = { 0, 50 * 1000000 }, abs;
	volatile int *shared;
	pid_t pid;
	long r;

	errno = 0;
	CHECK(futex(&word, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 6, 0, 0) == -1 && errno == EAGAIN);
	OK("futex WAIT on a changed value: EAGAIN");

	clock_gettime(CLOCK_MONOTONIC, &t0);
	errno = 0;
	CHECK(futex(&word, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 5, &ts, 0) == -1 && errno == ETIMEDOUT);
	CHECK(ms_since(&t0) >= 50);
	clock_gettime(CLOCK_MONOTONIC, &abs);
	abs.tv_nsec += 50 * 1000000;
	if (abs.tv_nsec >= 1000000000) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000;
	}
	errno = 0;
	CHECK(futex(&word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, 5, &abs, -1) == -1 &&
	      errno == ETIMEDOUT);
	CHECK(ms_since(&t0) >= 100);
	clock_gettime(CLOCK_REALTIME, &abs);
	abs.tv_sec += 0;
	abs.tv_nsec = abs.tv_nsec >= 950000000 ? 999999999 : abs.tv_nsec + 50000000;
	errno = 0;
	CHECK(futex(&word, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 5, &abs, -1) == -1 &&
	      errno == ETIMEDOUT);
	CHECK(futex(&word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, 0, 0) == 0);
	errno = 0;
	CHECK(futex(&word, FUTEX_WAIT_BITSET, 5, 0, 0) == -1 && errno == EINVAL);
	OK("futex timeouts: relative WAIT, absolute WAIT_BITSET (monotonic, realtime): ETIMEDOUT");

	shared = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(shared != MAP_FAILED);
	if (shared == MAP_FAILED)
		return;
	/* The child waits once; we wake until a wake-up finds it asleep
	 * (however long it takes to get there), which must be exactly one
	 * waiter, and its wait must then return 0. */
	shared[0] = 0;
	pid = fork();
	if (pid == 0) {
		long w = futex(shared, FUTEX_WAIT, 0, 0, 0);
		_exit(w == 0 ? 0 : 1);
	}
	ts.tv_nsec = 10 * 1000000;
	for (int tries = 0; tries < 1000 && (r = futex(shared, FUTEX_WAKE, 10, 0, 0)) == 0; tries++)
		nanosleep(&ts, 0);
	CHECK(r == 1);
	CHECK(wait_status(pid) == 0);
	pid = fork();
	if (pid == 0) {
		long w = futex(shared, FUTEX_WAIT_BITSET, 0, 0, 4);
		_exit(w == 0 ? 0 : 1);
	}
	for (int tries = 0; tries < 1000; tries++) {
		CHECK(futex(shared, FUTEX_WAKE_BITSET, 1, 0, 2) == 0);   /* bitsets do not meet */
		if ((r = futex(shared, FUTEX_WAKE_BITSET, 1, 0, 6)) != 0)
			break;
		nanosleep(&ts, 0);
	}
	CHECK(r == 1);
	CHECK(wait_status(pid) == 0);
	OK("futex WAKE of a waiter in another process through MAP_SHARED memory, bitsets");
	munmap((void *)shared, 4096);
}

static void test_misc(void)
{
	char name[16] = { 0 };
	pid_t pid, me = getpid();

	CHECK(prctl(PR_GET_NAME, name) == 0 && strcmp(name, "clonetest") == 0);
	CHECK(prctl(PR_SET_NAME, "a-very-long-name-indeed") == 0);
	CHECK(prctl(PR_GET_NAME, name) == 0 && strcmp(name, "a-very-long-nam") == 0);
	errno = 0;
	CHECK(prctl(12345, 0) == -1 && errno == EINVAL);
	pid = fork();
	if (pid == 0) {
		char cname[16] = { 0 };
		prctl(PR_GET_NAME, cname);
		_exit(getppid() == me && strcmp(cname, "a-very-long-nam") == 0 ? 0 : 1);
	}
	CHECK(wait_status(pid) == 0);
	prctl(PR_SET_NAME, "clonetest");
	OK("prctl PR_SET_NAME/PR_GET_NAME (15 characters, inherited), getppid");
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "exec-child") == 0)
		return 42;
	test_vfork();
	test_clone_tids();
	test_futex();
	test_misc();
	return finish();
}
