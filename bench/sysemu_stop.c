/*
 * sysemu_stop [-r ROUNDS] [-n STOPS] [-p PROCS] [-t] [-T] [-g]: the floor of a
 * ptrace monitor, the yardstick of issue 13: one bare PTRACE_SYSEMU stop
 * with PTRACE_GETREGS and PTRACE_SETREGS, as trapvisor's run loop makes one
 * per guest SYSCALL.  A traced child runs SYSCALL (getpid) in a loop; the
 * tracer resumes it with PTRACE_SYSEMU, waits for the stop, reads the
 * registers, sets RAX as an emulated call's result would and writes them
 * back, STOPS times per round (default 20000).  Prints, as bench/micro.c
 * does,
 *   micro: NAME STOPS ROUNDS MEDIAN_NS MIN_NS
 * NAME is sysemu-stop, with the variants' suffixes:
 *   -p 2   "-2proc": two traced children, stopped in turn, as a guest
 *          system call stops the user context, then the kernel's (a host
 *          switch between two address spaces each time);
 *   -t     "-tsd": the children trap RDTSC (PR_SET_TSC, PR_TSC_SIGSEGV),
 *          as trapvisor's contexts do where the host honours it, the
 *          tracer not: the task-switch penalty (docs/ARCHITECTURE.md);
 *   -T     "-tsd-matched": the tracer too, as trapvisor's vCPU thread does
 *          (--vcpu-thread-match); it then reads its clock by the system
 *          call, not the vDSO;
 *   -g     "gp-stop" instead: the child executes CLI, a #GP, and the tracer
 *          adds PTRACE_GETSIGINFO and moves RIP past it, as trapvisor does
 *          for a trapping kernel instruction (an exception stop against a
 *          system-call stop: docs/ARCHITECTURE.md, "The gate").
 * Host only (bench/peers.sh runs it pinned, taskset, as the peers are: the
 * tracer and the child then share the CPU, as trapvisor's do).  Nothing
 * else is set on either process: no seccomp, no CPUID faulting.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);   /* no vDSO RDTSC (-T) */
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

/* A traced child that makes system calls and nothing else. */
static pid_t spawn(bool tsd, bool gp)
{
	int st;
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		if (tsd && prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0) < 0)
			die("PR_SET_TSC");
		if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0)
			die("PTRACE_TRACEME");
		raise(SIGSTOP);
		for (;;) {      /* SYSCALL or CLI only: no library code between stops */
			long rax = SYS_getpid;
			if (gp)
				asm volatile("cli" : : : "memory");
			else
				asm volatile("syscall" : "+a"(rax) : : "rcx", "r11", "memory");
		}
	}
	if (waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st))
		die("waitpid (the child's SIGSTOP)");
	if (ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD) < 0)
		die("PTRACE_SETOPTIONS");
	return pid;
}

int main(int argc, char **argv)
{
	int rounds = 5, procs = 1, opt, st;
	bool tsd = false, tsd_tracer = false, gp = false;
	long n = 20000;
	pid_t pid[2];

	while ((opt = getopt(argc, argv, "r:n:p:tTg")) != -1) {
		switch (opt) {
		case 'r': rounds = atoi(optarg); break;
		case 'n': n = atol(optarg); break;
		case 'p': procs = atoi(optarg); break;
		case 't': tsd = true; break;
		case 'T': tsd = tsd_tracer = true; break;
		case 'g': gp = true; break;
		default:
			fprintf(stderr, "usage: sysemu_stop [-r ROUNDS] [-n STOPS] [-p 1|2] [-t] [-T] [-g]\n");
			return 2;
		}
	}
	if (rounds < 1 || rounds > 99 || n < 1 || procs < 1 || procs > 2) {
		fprintf(stderr, "sysemu_stop: -r 1..99, -n 1 or more, -p 1 or 2\n");
		return 2;
	}
	for (int i = 0; i < procs; i++)
		pid[i] = spawn(tsd, gp);
	if (tsd_tracer && prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0) < 0)
		die("PR_SET_TSC");

	uint64_t t[rounds];
	struct user_regs_struct regs;

	for (int r = 0; r < rounds; r++) {
		uint64_t t0 = now_ns();

		for (long i = 0; i < n; i++) {
			pid_t p = pid[i % procs];
			if (ptrace(PTRACE_SYSEMU, p, 0, 0) < 0)
				die("PTRACE_SYSEMU");
			if (waitpid(p, &st, 0) != p || !WIFSTOPPED(st) ||
			    WSTOPSIG(st) != (gp ? SIGSEGV : SIGTRAP | 0x80)) {
				fprintf(stderr, "sysemu_stop: unexpected wait status 0x%x\n", st);
				return 1;
			}
			siginfo_t si;
			if (gp && ptrace(PTRACE_GETSIGINFO, p, 0, &si) < 0)
				die("PTRACE_GETSIGINFO");
			if (ptrace(PTRACE_GETREGS, p, 0, &regs) < 0)
				die("PTRACE_GETREGS");
			if (gp)
				regs.rip += 1;  /* past CLI, as if emulated */
			else
				regs.rax = p;   /* what getpid would return */
			if (ptrace(PTRACE_SETREGS, p, 0, &regs) < 0)
				die("PTRACE_SETREGS");
		}
		t[r] = now_ns() - t0;
	}
	for (int i = 0; i < procs; i++) {
		kill(pid[i], SIGKILL);
		waitpid(pid[i], &st, 0);
	}
	qsort(t, rounds, sizeof(t[0]), cmp_u64);
	printf("micro: %s%s%s %ld %d %.1f %.1f\n", gp ? "gp-stop" : "sysemu-stop", procs == 2 ? "-2proc" : "",
	       tsd_tracer ? "-tsd-matched" : tsd ? "-tsd" : "", n, rounds,
	       (double)t[(rounds - 1) / 2] / n, (double)t[0] / n);
	return 0;
}
