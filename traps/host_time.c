/*
 * The host's clocks and TSC for the monitor, and the vCPU thread's share
 * of the contexts' RDTSC-trapping and CPUID-faulting settings (host_time.h;
 * docs/ARCHITECTURE.md, "The task-switch penalty").
 */
#include <errno.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <asm/prctl.h>

#include "host_time.h"

/* This thread's RDTSC traps (PR_GET_TSC): -1 not asked yet.  Threads made
 * after the vCPU thread took the setting inherit it, so each thread asks
 * for itself on its first clock read. */
static __thread int thread_notsc = -1;
static __thread bool thread_nocpuid;

/* The derived TSC: host TSC 'tsc_base' at CLOCK_MONOTONIC_RAW 'raw_base',
 * 'tsc_khz' ticks per ms. */
static u64 tsc_base, raw_base, tsc_khz;
static bool tsc_honoured;

static bool thread_cannot_rdtsc(void)
{
	if (thread_notsc < 0) {
		int v = 0;
		thread_notsc = prctl(PR_GET_TSC, &v, 0, 0, 0) == 0 && v == PR_TSC_SIGSEGV;
	}
	return thread_notsc;
}

/* Would RDTSC fault on this thread?  Only where the thread asked for
 * trapping and the host honours it: some hypervisors ignore CR4.TSD
 * (host_rdtsc_traps()), and there the vDSO stays usable and much cheaper
 * than a system call (a guest getpid reads the clock a dozen times). */
static bool rdtsc_faults(void)
{
	return tsc_honoured && thread_cannot_rdtsc();
}

static u64 clock_ns(clockid_t id)
{
	struct timespec ts;

	/* The vDSO reads the TSC; the system call does not. */
	if (rdtsc_faults())
		syscall(SYS_clock_gettime, id, &ts);
	else
		clock_gettime(id, &ts);
	return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

u64 host_mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

s64 host_wall_ns(void)
{
	return (s64)clock_ns(CLOCK_REALTIME);
}

u64 host_tsc_calibrate(bool honoured)
{
	struct timespec d = { 0, 20 * 1000 * 1000 };
	u64 t0 = clock_ns(CLOCK_MONOTONIC_RAW), c0 = __rdtsc(), t1, c1;

	nanosleep(&d, NULL);
	t1 = clock_ns(CLOCK_MONOTONIC_RAW);
	c1 = __rdtsc();
	tsc_khz = t1 > t0 ? (c1 - c0) * 1000000ull / (t1 - t0) : 0;
	tsc_base = c1;
	raw_base = t1;
	tsc_honoured = honoured;
	return tsc_khz;
}

u64 host_tsc(void)
{
	if (!rdtsc_faults())
		return __rdtsc();
	u64 dt = clock_ns(CLOCK_MONOTONIC_RAW) - raw_base;
	return tsc_base + (u64)((unsigned __int128)dt * tsc_khz / 1000000u);
}

int host_thread_match(bool rdtsc_trap, bool cpuid_fault)
{
	if (cpuid_fault) {
		int r = vcpu_cpuid_freeze();
		if (r < 0)
			return r;
		if (syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0) != 0)
			return -errno;
		thread_nocpuid = true;
	}
	if (rdtsc_trap) {
		if (prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0) != 0)
			return -errno;
		thread_notsc = 1;
	}
	return 0;
}

int host_thread_settings(void)
{
	return (thread_cannot_rdtsc() ? 1 : 0) | (thread_nocpuid ? 2 : 0);
}
