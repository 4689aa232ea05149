/*
 * crashuser: a static musl program that dies of a signal three calls
 * deep, for --backtrace-user (tests/integration/unwind.sh).  The middle
 * function keeps no frame pointer and zeroes RBP before its call, so only
 * the program's .eh_frame can walk through it.
 *
 *   crashuser          main -> crash_outer -> crash_middle -> crash_leaf:
 *                      a store to address 8 (SIGSEGV, from the fault)
 *   crashuser abort    the same chain, crash_leaf sends itself SIGABRT with
 *                      its own SYSCALL instruction (musl's libc.a has no
 *                      unwind tables; this keeps the frame in the program):
 *                      the signal is delivered on the way out of kill.
 *                      As init (process 1) a signal it sends itself at its
 *                      default action would be dropped, as on Linux: then
 *                      a child runs the chain, and init exits with the
 *                      child's status as a shell reports it (128 + 6).
 *
 * gcc leaves the .eh_frame_hdr index out of a -static link; the Makefile
 * asks for it (-Wl,--eh-frame-hdr): PT_GNU_EH_FRAME is how the monitor
 * finds the program's unwind tables in its memory.
 */
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int use_abort;

__attribute__((noipa)) static int crash_leaf(volatile int *p)
{
	if (use_abort) {
		long r;

		__asm__ volatile("syscall" : "=a"(r) : "a"(SYS_kill), "D"(getpid()), "S"(SIGABRT)
				 : "rcx", "r11", "memory");
		return (int)r;
	}
	*p = 1;                          /* p is 8: SIGSEGV */
	return *p;
}

__attribute__((noipa, optimize("omit-frame-pointer"))) static int crash_middle(volatile int *p)
{
	int r;

	__asm__ volatile("xor %%ebp, %%ebp" : : : "rbp");   /* no chain to follow */
	r = crash_leaf(p);
	__asm__ volatile("" : : "r"(r) : "memory");
	return r + 1;
}

__attribute__((noipa)) static int crash_outer(volatile int *p)
{
	int r = crash_middle(p);

	__asm__ volatile("" : : "r"(r) : "memory");
	return r + 1;
}

int main(int argc, char **argv)
{
	use_abort = argc > 1 && strcmp(argv[1], "abort") == 0;
	if (use_abort && getpid() == 1) {
		int st;
		pid_t c = fork();
		if (c > 0)
			return waitpid(c, &st, 0) == c && WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 1;
	}
	int r = crash_outer((volatile int *)8);

	__asm__ volatile("" : : "r"(r) : "memory");   /* main stays on the stack */
	return r;
}
