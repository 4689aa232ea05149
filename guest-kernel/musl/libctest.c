/*
 * libctest: an ordinary C program built with musl-gcc, static, as a user
 * of a Linux system would build it.  It needs what musl's start-up and
 * stdio ask of the kernel (arch_prctl for the thread pointer,
 * set_tid_address, writev, ioctl(TIOCGWINSZ), rt_sigprocmask around
 * fork) and per-process x87/SSE registers, reset by execve.  Prints
 * "libctest: ok", or a FAIL line per failed check and exits 1.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int fails;

#define CHECK(cond) do { if (!(cond)) { printf("libctest: FAIL line %d: %s\n", __LINE__, #cond); fails++; } } while (0)

/* Keep a value in XMM7 across sched_yield() calls while another process
 * runs: the registers must be this process's own again afterwards.  In
 * one asm statement, so the compiler cannot spill the register. */
static unsigned long xmm7_across_yields(unsigned long v, int yields)
{
	unsigned long out;

	asm volatile("movq %1, %%xmm7\n"
		     "1: movl $24, %%eax\n"          /* sched_yield */
		     "   syscall\n"
		     "   decl %2\n"
		     "   jnz 1b\n"
		     "   movq %%xmm7, %0\n"
		     : "=r"(out) : "r"(v), "r"(yields) : "rax", "rcx", "r11", "xmm7", "memory");
	return out;
}

/* The second half of the execve check: a new program starts with the
 * initial FPU state (MXCSR 0x1f80, XMM7 zero), whatever the old one left. */
static int after_exec(void)
{
	unsigned mxcsr;
	unsigned long x7;
	int status;

	asm volatile("stmxcsr %0; movq %%xmm7, %1" : "=m"(mxcsr), "=r"(x7));
	wait(&status);
	if (mxcsr != 0x1f80 || x7 != 0) {
		printf("libctest: FAIL after execve: MXCSR %#x, XMM7 %#lx\n", mxcsr, x7);
		return 1;
	}
	printf("libctest: ok\n");
	return 0;
}

int main(int argc, char **argv)
{
	char buf[64];

	if (argc > 1 && strcmp(argv[1], "after-exec") == 0)
		return after_exec();
	pid_t pid;
	int status;

	/* stdio, with floating point: SSE in use. */
	snprintf(buf, sizeof(buf), "%s %d %.3f %e", argv[0], argc, 2.0 / 3.0, 1e-10);
	CHECK(strcmp(buf, "libctest 1 0.667 1.000000e-10") == 0);
	CHECK(isatty(1));

	/* errno lives in thread-local storage (the FS base). */
	errno = 0;
	CHECK(write(-1, "x", 1) == -1 && errno == EBADF);

	/* malloc, small (brk) and large (mmap). */
	char *small = malloc(100), *big = malloc(1 << 20);
	CHECK(small && big);
	if (small && big) {
		memset(big, 0x5a, 1 << 20);
		strcpy(small, "heap");
		CHECK(big[12345] == 0x5a && strcmp(small, "heap") == 0);
	}
	free(big);
	free(small);

	/* Time moves. */
	struct timespec t0, t1;
	CHECK(clock_gettime(CLOCK_MONOTONIC, &t0) == 0);
	for (volatile int i = 0; i < 100000; i++)
		;
	CHECK(clock_gettime(CLOCK_MONOTONIC, &t1) == 0);
	CHECK(t1.tv_sec > t0.tv_sec || (t1.tv_sec == t0.tv_sec && t1.tv_nsec >= t0.tv_nsec));

	/* fork: parent and child each keep their own XMM7 while the other
	 * runs, and the child's TLS (errno) is its own copy. */
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		errno = 0;
		unsigned long got = xmm7_across_yields(0x1111222233334444ul, 50);
		_exit(got == 0x1111222233334444ul && errno == 0 ? 0 : 1);
	}
	unsigned long got = xmm7_across_yields(0x5555666677778888ul, 50);
	CHECK(got == 0x5555666677778888ul);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	snprintf(buf, sizeof(buf), "%.2f", 1.5 * 3);
	CHECK(strcmp(buf, "4.50") == 0);

	if (fails) {
		printf("libctest: %d checks failed\n", fails);
		return 1;
	}
	/* execve resets the FPU: leave MXCSR and XMM7 changed, with another
	 * process busy so that it may reach user mode during the execve. */
	fflush(stdout);
	if (fork() == 0) {
		for (int i = 0; i < 20; i++)
			sched_yield();
		_exit(0);
	}
	unsigned mx = 0x7f80;
	asm volatile("ldmxcsr %0; movq %1, %%xmm7" : : "m"(mx), "r"(0x1234567890abcdefUL));
	char *const args[] = { "libctest", "after-exec", NULL };
	execv("libctest", args);
	printf("libctest: FAIL execve: %s\n", strerror(errno));
	return 1;
}
