/*
 * host_time.c: the monitor's clocks, its TSC and the virtual CPUID keep
 * working on a thread that took the contexts' RDTSC-trapping and CPUID-
 * faulting settings (docs/ARCHITECTURE.md, "The task-switch penalty").
 * Each case that takes a setting does so in a child process: the settings
 * cannot be dropped again by the test itself.  Where the host really traps
 * RDTSC or faults CPUID, a stray RDTSC or CPUID in the code under test
 * would kill that child with SIGSEGV; elsewhere the same code runs and its
 * answers are checked all the same.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cpuid.h>
#include <sched.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <asm/prctl.h>

#include "traps.h"
#include "host.h"
#include "host_time.h"

/* Run 'fn' in a child; return its exit status (128 + signal if killed). */
static int in_child(int (*fn)(void))
{
	int st;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn());
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void sleep_ms(long ms)
{
	struct timespec d = { 0, ms * 1000000 };
	nanosleep(&d, NULL);
}

/* RDTSC trapping taken: the clocks go on (through the system call), and
 * the TSC moves at the calibrated rate (derived where RDTSC traps). */
static int child_tsc(void)
{
	int honoured = host_rdtsc_traps();
	u64 khz = host_tsc_calibrate(honoured == 1);

	if (khz < 100000)                        /* below 100 MHz: no TSC */
		return 10;
	if (host_thread_match(true, false) != 0 || !(host_thread_settings() & 1))
		return 11;
	u64 t0 = host_mono_ns(), c0 = host_tsc();
	s64 w0 = host_wall_ns();
	sleep_ms(30);
	u64 t1 = host_mono_ns(), c1 = host_tsc();
	s64 w1 = host_wall_ns();
	if (t1 - t0 < 29000000 || w1 - w0 < 20000000)
		return 12;                       /* the clocks stood still */
	/* At least 25 ms of TSC ticks went by; no upper bound (a loaded
	 * machine may keep the sleep long). */
	if (c1 <= c0 || (c1 - c0) < khz * 25)
		return 13;
	return 0;
}

static void test_clocks_and_tsc_with_rdtsc_trapping(void **state)
{
	(void)state;
	assert_int_equal(in_child(child_tsc), 0);
}

/* The leaves and subleaves the guest asks most, and a few out of range. */
static const u32 probes[][2] = {
	{ 0, 0 }, { 1, 0 }, { 4, 0 }, { 4, 1 }, { 4, 3 }, { 6, 0 }, { 7, 0 }, { 7, 1 },
	{ 0xb, 0 }, { 0xb, 1 }, { 0xd, 0 }, { 0xd, 1 }, { 0xd, 2 }, { 0xd, 9 },
	{ 0x15, 0 }, { 0x40000000, 0 }, { 0x40000001, 0 }, { 0x80000000, 0 },
	{ 0x80000001, 0 }, { 0x80000002, 0 }, { 0x80000008, 0 }, { 0x8000001d, 1 },
	{ 0x3f, 0 }, { 0x8000003f, 0 }, { 0x7, 200 },
};
#define NPROBES (sizeof(probes) / sizeof(probes[0]))
static u32 before[NPROBES][4];
static u64 xcr0_before;

/* CPUID faulting taken where the host has it (the answers come from the
 * frozen table then); without it, the table alone. */
static int child_cpuid(void)
{
	/* Asking for CPUID to stay enabled fails (ENODEV) without faulting. */
	int faulting = syscall(SYS_arch_prctl, ARCH_SET_CPUID, 1) == 0;

	if (host_thread_match(false, faulting) != 0)
		return 20;
	if (vcpu_cpuid_freeze() != 0)            /* again: a no-op */
		return 21;
	for (size_t i = 0; i < NPROBES; i++) {
		u32 out[4];
		vcpu_cpuid(probes[i][0], probes[i][1], out);
		if (memcmp(out, before[i], sizeof(out)))
			return 30 + (int)i;
	}
	if (host_xcr0() != xcr0_before)
		return 22;
	return faulting && !(host_thread_settings() & 2) ? 23 : 0;
}

static void test_frozen_cpuid_answers_as_the_host(void **state)
{
	(void)state;
	/* One CPU for the answers before and after: anything in a leaf that
	 * still depended on the CPU would then show as a difference. */
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	sched_setaffinity(0, sizeof(one), &one);
	for (size_t i = 0; i < NPROBES; i++)
		vcpu_cpuid(probes[i][0], probes[i][1], before[i]);
	xcr0_before = host_xcr0();
	/* Beyond the highest leaf Intel repeats it, AMD answers 0: the table
	 * must do as the CPU (the 0x3f and 0x8000003f probes). */
	assert_int_equal(in_child(child_cpuid), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clocks_and_tsc_with_rdtsc_trapping),
		cmocka_unit_test(test_frozen_cpuid_answers_as_the_host),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
