/*
 * What the host charges for each way a guest instruction reaches the
 * monitor, before ptrace adds its part: each instruction run natively in a
 * loop, caught by a signal handler in this process that steps over it.
 * Prints one line per instruction, microseconds per trap (median of 5
 * runs of 20000).  bench/run.sh writes the result to native-traps.txt.
 *   vmcall  -> SIGSEGV (#GP here; hypercalls)
 *   int3    -> SIGTRAP (patched silent-fail instructions)
 *   ud2     -> SIGILL
 *   cli     -> SIGSEGV (#GP: privileged instructions)
 *   sgdt    -> no signal: the host kernel emulates it for UMIP
 * and the parts of a stop under the signal backend (docs/ARCHITECTURE.md,
 * "The signal backend"), in child processes:
 *   syscall -> SIGSYS from a seccomp filter (SECCOMP_RET_TRAP)
 *   a futex hand-off to another process and back (wake it, wait for it),
 *   on one CPU and across two; the same spinning on shared memory
 */
#define _GNU_SOURCE
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <ucontext.h>

#define N 20000
#define RUNS 5

static volatile int skip;       /* bytes to step over in the handler */

static void on_trap(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP] += skip;
}

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* syscall -> SIGSYS: a filter that traps system call 0x7f7f only; the
 * handler finds RIP already past the instruction. */
static void sigsys_run(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x7f7f, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { 4, f };
	struct sigaction sa = { .sa_sigaction = on_trap, .sa_flags = SA_SIGINFO };
	double t[RUNS];

	skip = 0;
	sigaction(SIGSYS, &sa, NULL);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		printf("%-40s (no seccomp here)\n", "syscall -> SIGSYS (seccomp)");
		return;
	}
	for (int r = 0; r < RUNS; r++) {
		double t0 = now_ns();
		for (int i = 0; i < N; i++) {
			long rax = 0x7f7f;
			asm volatile("syscall" : "+a"(rax) : : "rcx", "r11", "memory");
		}
		t[r] = (now_ns() - t0) / N / 1000;
	}
	qsort(t, RUNS, sizeof(t[0]), cmp);
	printf("%-40s %.3f us\n", "syscall -> SIGSYS (seccomp)", t[RUNS / 2]);
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* A hand-off to another process and back, N round trips on a shared
 * word: 'spin' spins, else FUTEX_WAKE then FUTEX_WAIT (shared, as between
 * the monitor and a context).  Child on CPU 'other', this one on 'cpu'. */
static void handoff(const char *name, int cpu, int other, int spin)
{
	_Atomic unsigned *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	double t[RUNS];

	if (w == MAP_FAILED)
		return;
	*w = 0;
	pid_t pid = fork();
	if (pid == 0) {
		pin(other);
		for (unsigned i = 1;; i += 2) {
			while (atomic_load(w) != i)
				if (!spin)
					syscall(SYS_futex, w, FUTEX_WAIT, i - 1, NULL, NULL, 0);
			if (i == 2u * N * RUNS - 1)
				_exit(0);
			atomic_store(w, i + 1);
			if (!spin)
				syscall(SYS_futex, w, FUTEX_WAKE, 1, NULL, NULL, 0);
		}
	}
	pin(cpu);
	unsigned v = 0;
	for (int r = 0; r < RUNS; r++) {
		double t0 = now_ns();
		for (int i = 0; i < N; i++) {
			atomic_store(w, ++v);
			if (!spin)
				syscall(SYS_futex, w, FUTEX_WAKE, 1, NULL, NULL, 0);
			++v;
			while (atomic_load(w) != v && v != 2u * N * RUNS)
				if (!spin)
					syscall(SYS_futex, w, FUTEX_WAIT, v - 1, NULL, NULL, 0);
		}
		t[r] = (now_ns() - t0) / N / 1000;
	}
	waitpid(pid, NULL, 0);
	munmap((void *)w, 4096);
	qsort(t, RUNS, sizeof(t[0]), cmp);
	printf("%-40s %.3f us\n", name, t[RUNS / 2]);
}

#define LOOP(insn) do { for (int i = 0; i < N; i++) asm volatile(insn ::: "memory"); } while (0)

int main(void)
{
	static const char *const names[] = {
		"vmcall -> SIGSEGV", "int3 -> SIGTRAP", "ud2 -> SIGILL",
		"cli -> SIGSEGV", "sgdt (host UMIP emulation, no signal)",
	};
	static const int len[] = { 3, 0, 2, 1, 0 };
	struct sigaction sa = { .sa_sigaction = on_trap, .sa_flags = SA_SIGINFO };
	char buf[16];

	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGTRAP, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	for (int k = 0; k < 5; k++) {
		double t[RUNS];

		skip = len[k];
		for (int r = 0; r < RUNS; r++) {
			double t0 = now_ns();
			switch (k) {
			case 0: LOOP("vmcall"); break;
			case 1: LOOP("int3"); break;
			case 2: LOOP("ud2"); break;
			case 3: LOOP("cli"); break;
			case 4:
				for (int i = 0; i < N; i++)
					asm volatile("sgdt %0" : "=m"(buf) : : "memory");
				break;
			}
			t[r] = (now_ns() - t0) / N / 1000;
		}
		qsort(t, RUNS, sizeof(t[0]), cmp);
		printf("%-40s %.3f us\n", names[k], t[RUNS / 2]);
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		sigsys_run();
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	int cpu = sched_getcpu(), ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	handoff("futex hand-off and back, one CPU", cpu, cpu, 0);
	if (ncpu > 1) {
		handoff("futex hand-off and back, two CPUs", cpu, (cpu + 1) % ncpu, 0);
		handoff("spin hand-off and back, two CPUs", cpu, (cpu + 1) % ncpu, 1);
	}
	return 0;
}
