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
 */
#define _GNU_SOURCE
#include <signal.h>
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
	return 0;
}
