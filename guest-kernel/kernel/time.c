/*
 * time.c: the clock system calls, on the clocks timer.c keeps (both move
 * at the timer tick, 10 ms at the default hz=100, which is also the
 * resolution clock_getres reports):
 *   CLOCK_REALTIME, _COARSE, _ALARM, CLOCK_TAI   the wall clock (TAI: no
 *                                                leap-second offset is set,
 *                                                as on a Linux whose NTP
 *                                                never set one)
 *   CLOCK_MONOTONIC, _RAW, _COARSE, CLOCK_BOOTTIME, _ALARM   ticks since
 *                                                boot (the guest never
 *                                                suspends)
 *   CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID   the ticks the
 *                                                process ran in user mode
 *                                                (one thread: the same)
 * Other clock ids (CPU clocks of other processes, dynamic clocks) are
 * EINVAL.  There is no vDSO: glibc and musl find no AT_SYSINFO_EHDR and
 * make these system calls.  The wall clock cannot be set.
 */
#include "defs.h"
#include "uapi/time.h"

#define TIMER_ABSTIME            1
#define USER_HZ                  100     /* times() and AT_CLKTCK count in these */
#define MAX_SLEEP_S (100ul * 365 * 86400)   /* longer sleeps are cut to a century */

enum clock_kind { WALL, MONO, CPU, NONE };

static enum clock_kind kind_of(u64 clock)
{
	switch (clock) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
	case CLOCK_REALTIME_ALARM:
	case CLOCK_TAI:
		return WALL;
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
	case CLOCK_BOOTTIME_ALARM:
		return MONO;
	case CLOCK_PROCESS_CPUTIME_ID:
	case CLOCK_THREAD_CPUTIME_ID:
		return CPU;
	default:
		return NONE;
	}
}

/* The CPU time the running process has used, ns. */
static u64 cpu_time(void)
{
	return cpu.proc->uticks * timer_tick_ns();
}

static u64 clock_now(enum clock_kind k)
{
	return k == WALL ? clock_realtime() : k == MONO ? clock_monotonic() : cpu_time();
}

static struct timespec to_ts(u64 ns)
{
	return (struct timespec){ ns / NS_PER_S, ns % NS_PER_S };
}

s64 sys_clock_gettime(u64 clock, u64 tp_va)
{
	enum clock_kind k = kind_of(clock);
	struct timespec ts;

	if (k == NONE)
		return -EINVAL;
	ts = to_ts(clock_now(k));
	return copyout(tp_va, &ts, sizeof(ts));
}

s64 sys_clock_getres(u64 clock, u64 res_va)
{
	struct timespec ts = to_ts(timer_tick_ns());

	if (kind_of(clock) == NONE)
		return -EINVAL;
	return res_va ? copyout(res_va, &ts, sizeof(ts)) : 0;
}

/* gettimeofday(tv, tz): tz, if given, gets UTC (minutes west 0, no DST). */
s64 sys_gettimeofday(u64 tv_va, u64 tz_va)
{
	u64 ns = clock_realtime();
	s64 tv[2] = { ns / NS_PER_S, ns % NS_PER_S / 1000 };
	int tz[2] = { 0, 0 };

	if (tv_va && copyout(tv_va, tv, sizeof(tv)) < 0)
		return -EFAULT;
	if (tz_va && copyout(tz_va, tz, sizeof(tz)) < 0)
		return -EFAULT;
	return 0;
}

s64 sys_time(u64 tloc_va)
{
	s64 t = clock_realtime() / NS_PER_S;

	if (tloc_va && copyout(tloc_va, &t, sizeof(t)) < 0)
		return -EFAULT;
	return t;
}

/*
 * clock_nanosleep(clock, flags, req, rem): on the wall and monotonic
 * clocks, relative or TIMER_ABSTIME.  A relative sleep that a signal cuts
 * short tells the time left in rem.  Sleeping on a CPU-time clock is
 * EINVAL for the thread's (as Linux) and not supported for the process's
 * (EINVAL too: nothing else would run that clock while we sleep).
 */
s64 sys_clock_nanosleep(u64 clock, u64 flags, u64 req_va, u64 rem_va)
{
	enum clock_kind k = kind_of(clock);
	struct timespec ts;
	u64 ns;

	if (k == NONE || k == CPU)
		return -EINVAL;
	if (copyin(&ts, req_va, sizeof(ts)) < 0)
		return -EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= (s64)NS_PER_S)
		return -EINVAL;
	if ((u64)ts.tv_sec > MAX_SLEEP_S)
		ts.tv_sec = MAX_SLEEP_S;
	ns = ts.tv_sec * NS_PER_S + ts.tv_nsec;
	if (flags & TIMER_ABSTIME) {
		/* The wall clock is the monotonic one plus a constant. */
		u64 offset = k == WALL ? clock_realtime() - clock_monotonic() : 0;
		return timer_sleep_until(ns > offset ? ns - offset : 0);
	}
	return sys_nanosleep(req_va, rem_va);     /* a relative sleep is nanosleep's */
}

/* times(buf): CPU times in USER_HZ ticks (user time only: the kernel's
 * own time is not counted); returns the ticks since boot. */
s64 sys_times(u64 buf_va)
{
	u64 tick = timer_tick_ns(), per = NS_PER_S / USER_HZ;
	u64 tms[4] = { cpu.proc->uticks * tick / per, 0, cpu.proc->cuticks * tick / per, 0 };

	if (buf_va && copyout(buf_va, tms, sizeof(tms)) < 0)
		return -EFAULT;
	return clock_monotonic() / per;
}
