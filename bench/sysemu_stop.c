/*
 * sysemu_stop [-r ROUNDS] [-n STOPS]: the floor of a ptrace monitor, the
 * yardstick of issue 13: one bare PTRACE_SYSEMU stop with PTRACE_GETREGS
 * and PTRACE_SETREGS, as trapvisor's run loop makes one per guest SYSCALL.
 * A traced child runs SYSCALL (getpid) in a loop; the tracer resumes it
 * with PTRACE_SYSEMU, waits for the stop, reads the registers, sets RAX as
 * an emulated call's result would and writes them back, STOPS times per
 * round (default 20000).  Prints, as bench/micro.c does,
 *   micro: sysemu-stop STOPS ROUNDS MEDIAN_NS MIN_NS
 * Host only (bench/peers.sh runs it pinned, taskset, as the peers are: the
 * tracer and the child then share the CPU, as trapvisor's do).  Nothing
 * else is set on either process: no seccomp, no RDTSC trapping, no CPUID
 * faulting.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

int main(int argc, char **argv)
{
	int rounds = 5, opt, st;
	long n = 20000;
	pid_t pid;

	while ((opt = getopt(argc, argv, "r:n:")) != -1) {
		switch (opt) {
		case 'r': rounds = atoi(optarg); break;
		case 'n': n = atol(optarg); break;
		default:
			fprintf(stderr, "usage: sysemu_stop [-r ROUNDS] [-n STOPS]\n");
			return 2;
		}
	}
	if (rounds < 1 || rounds > 99 || n < 1) {
		fprintf(stderr, "sysemu_stop: -r 1..99 and -n 1 or more\n");
		return 2;
	}
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0)
			die("PTRACE_TRACEME");
		raise(SIGSTOP);
		for (;;) {      /* SYSCALL only: no library code between stops */
			long rax = SYS_getpid;
			asm volatile("syscall" : "+a"(rax) : : "rcx", "r11", "memory");
		}
	}
	if (waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st))
		die("waitpid (the child's SIGSTOP)");
	if (ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD) < 0)
		die("PTRACE_SETOPTIONS");

	uint64_t t[rounds];
	struct user_regs_struct regs;

	for (int r = 0; r < rounds; r++) {
		uint64_t t0 = now_ns();

		for (long i = 0; i < n; i++) {
			if (ptrace(PTRACE_SYSEMU, pid, 0, 0) < 0)
				die("PTRACE_SYSEMU");
			if (waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st) || WSTOPSIG(st) != (SIGTRAP | 0x80)) {
				fprintf(stderr, "sysemu_stop: unexpected wait status 0x%x\n", st);
				return 1;
			}
			if (ptrace(PTRACE_GETREGS, pid, 0, &regs) < 0)
				die("PTRACE_GETREGS");
			regs.rax = pid;         /* what getpid would return */
			if (ptrace(PTRACE_SETREGS, pid, 0, &regs) < 0)
				die("PTRACE_SETREGS");
		}
		t[r] = now_ns() - t0;
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	qsort(t, rounds, sizeof(t[0]), cmp_u64);
	printf("micro: sysemu-stop %ld %d %.1f %.1f\n", n, rounds,
	       (double)t[(rounds - 1) / 2] / n, (double)t[0] / n);
	return 0;
}
