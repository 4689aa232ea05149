/*
 * infotest: the calls that tell a program about the system and itself
 * (time.c, sys_info.c): uname, the clocks (clock_getres, clock_gettime on
 * every clock, gettimeofday, time, clock_nanosleep relative and absolute,
 * times), getrandom, sysinfo, resource limits (prlimit64, getrlimit,
 * setrlimit, inherited by fork), the identity calls (one user: root),
 * sched_getaffinity and getcpu, getrusage.
 */
#define _GNU_SOURCE
#define PROG "infotest"
#include <grp.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static long long ns_of(const struct timespec *t)
{
	return t->tv_sec * 1000000000ll + t->tv_nsec;
}

static long long now(clockid_t c)
{
	struct timespec t;

	clock_gettime(c, &t);
	return ns_of(&t);
}

static void test_uname(void)
{
	struct utsname u;

	CHECK(uname(&u) == 0);
	CHECK(strcmp(u.sysname, "Linux") == 0);
	CHECK(strcmp(u.nodename, "trapvisor") == 0);
	CHECK(strcmp(u.release, "6.1.0-trapvisor") == 0);
	CHECK(strcmp(u.machine, "x86_64") == 0);
	CHECK(strcmp(u.domainname, "(none)") == 0);
	CHECK(u.version[0] != 0);
	printf("infotest: uname: %s %s %s %s %s\n", u.sysname, u.nodename, u.release, u.version,
	       u.machine);
	OK("uname: Linux trapvisor 6.1.0-trapvisor x86_64 (none)");
}

static void test_clocks(void)
{
	static const clockid_t clocks[] = { CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID,
		CLOCK_THREAD_CPUTIME_ID, CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE,
		CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME, CLOCK_TAI };
	struct timespec res, t, ts;
	struct timeval tv;
	long long t0, t1;
	time_t tt;

	for (unsigned i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
		CHECK(clock_getres(clocks[i], &res) == 0 && res.tv_sec == 0 && res.tv_nsec > 0);
		CHECK(clock_gettime(clocks[i], &t) == 0);
	}
	errno = 0;
	CHECK(clock_gettime(99, &t) == -1 && errno == EINVAL);
	CHECK(gettimeofday(&tv, 0) == 0);
	CHECK(syscall(SYS_gettimeofday, &tv, 0) == 0);          /* timezone NULL */
	tt = time(0);
	CHECK(tt >= tv.tv_sec && tt - tv.tv_sec <= 1);
	CHECK(syscall(SYS_time, 0) >= tv.tv_sec);
	CHECK(tt > 1600000000);                                   /* after 2020: the RTC's date */
	clock_gettime(CLOCK_REALTIME, &t);
	CHECK(t.tv_sec - tv.tv_sec <= 1);
	OK("clock_getres and clock_gettime on every clock, gettimeofday (tz NULL), time");

	/* Burn some CPU: the process's CPU clock moves. */
	t0 = now(CLOCK_PROCESS_CPUTIME_ID);
	for (long long start = now(CLOCK_MONOTONIC); now(CLOCK_MONOTONIC) - start < 100000000;)
		;
	t1 = now(CLOCK_PROCESS_CPUTIME_ID);
	CHECK(t1 - t0 >= 50000000);
	{
		struct tms tms;
		struct rusage ru;
		CHECK(times(&tms) != (clock_t)-1 && tms.tms_utime >= 5);
		CHECK(getrusage(RUSAGE_SELF, &ru) == 0 && ru.ru_utime.tv_sec * 1000000 +
		      ru.ru_utime.tv_usec >= 50000);
	}
	OK("CLOCK_PROCESS_CPUTIME_ID, times and getrusage count the ticks run");

	t0 = now(CLOCK_MONOTONIC);
	ts = (struct timespec){ 0, 30000000 };
	CHECK(clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, 0) == 0);
	CHECK(now(CLOCK_MONOTONIC) - t0 >= 30000000);
	t0 = now(CLOCK_MONOTONIC);
	ts.tv_sec = (t0 + 30000000) / 1000000000;
	ts.tv_nsec = (t0 + 30000000) % 1000000000;
	CHECK(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, 0) == 0);
	CHECK(now(CLOCK_MONOTONIC) >= ns_of(&ts));
	t0 = now(CLOCK_REALTIME) + 30000000;
	ts.tv_sec = t0 / 1000000000;
	ts.tv_nsec = t0 % 1000000000;
	CHECK(clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, 0) == 0);
	CHECK(now(CLOCK_REALTIME) >= t0);
	ts.tv_sec = 0;                            /* long past: at once */
	CHECK(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, 0) == 0);
	ts.tv_nsec = 2000000000;
	CHECK(clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, 0) == EINVAL);
	CHECK(clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &ts, 0) == EINVAL);
	OK("clock_nanosleep: relative and TIMER_ABSTIME on MONOTONIC and REALTIME");
}

static void test_random(void)
{
	unsigned char a[64], b[64];
	int nonzero = 0;

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	CHECK(getrandom(a, sizeof(a), 0) == sizeof(a));
	CHECK(getrandom(b, sizeof(b), GRND_NONBLOCK | GRND_RANDOM) == sizeof(b));
	CHECK(memcmp(a, b, sizeof(a)) != 0);
	for (unsigned i = 0; i < sizeof(a); i++)
		nonzero += a[i] != 0;
	CHECK(nonzero > 32);
	errno = 0;
	CHECK(getrandom(a, sizeof(a), 0x100) == -1 && errno == EINVAL);
	OK("getrandom: 64 bytes, GRND_NONBLOCK|GRND_RANDOM, two calls differ, bad flags EINVAL");
}

static void test_sysinfo(void)
{
	struct sysinfo si;

	CHECK(sysinfo(&si) == 0);
	CHECK(si.mem_unit == 1);
	CHECK(si.totalram > 200ul << 20 && si.totalram <= 256ul << 20);
	CHECK(si.freeram > 0 && si.freeram < si.totalram);
	CHECK(si.procs >= 1);
	CHECK(si.freeram < si.totalram);
	printf("infotest: sysinfo: uptime %ld s, RAM %lu KiB, free %lu KiB, %u processes\n",
	       si.uptime, si.totalram >> 10, si.freeram >> 10, si.procs);
	OK("sysinfo: RAM from the page allocator, processes, mem_unit 1");
}

static void test_rlimits(void)
{
	struct rlimit rl, old;
	pid_t pid;
	int st;

	CHECK(getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur == 8u << 20 && rl.rlim_max == RLIM_INFINITY);
	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur == 256 && rl.rlim_max == 256);
	CHECK(getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur == RLIM_INFINITY);
	rl.rlim_cur = 100;
	rl.rlim_max = 200;
	CHECK(prlimit(0, RLIMIT_NOFILE, &rl, &old) == 0 && old.rlim_cur == 256);
	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur == 100 && rl.rlim_max == 200);
	rl.rlim_cur = 300;
	errno = 0;
	CHECK(setrlimit(RLIMIT_NOFILE, &rl) == -1 && errno == EINVAL);   /* soft above hard */
	errno = 0;
	CHECK(getrlimit(99, &rl) == -1 && errno == EINVAL);
	pid = fork();
	if (pid == 0) {
		getrlimit(RLIMIT_NOFILE, &rl);
		_exit(rl.rlim_cur == 100 && rl.rlim_max == 200 ? 0 : 1);
	}
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	rl = (struct rlimit){ 256, 257 };
	errno = 0;
	CHECK(setrlimit(RLIMIT_NOFILE, &rl) == -1 && errno == EPERM);   /* past the table */
	rl = (struct rlimit){ 200, 200 };
	CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
	OK("rlimits: STACK 8 MiB, NOFILE 256/256 (the table), set, EINVAL, EPERM, inherited by fork");
}

static void test_identity(void)
{
	uid_t r, e, s;
	gid_t g[4], zero = 0;

	CHECK(getuid() == 0 && geteuid() == 0 && getgid() == 0 && getegid() == 0);
	CHECK(setuid(0) == 0 && setgid(0) == 0);
	CHECK(setreuid(-1, 0) == 0 && setresgid(0, -1, 0) == 0);
	CHECK(getresuid(&r, &e, &s) == 0 && r == 0 && e == 0 && s == 0);
	CHECK(getgroups(4, g) == 0);
	CHECK(setgroups(1, &zero) == 0 && getgroups(4, g) == 1 && g[0] == 0);
	CHECK(setgroups(0, 0) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		/* Root becomes someone else for good: no way back. */
		int bad = setgid(1000) != 0 || setuid(1000) != 0 || getuid() != 1000 ||
			  geteuid() != 1000 || getgid() != 1000;
		errno = 0;
		bad |= setuid(0) != -1 || errno != EPERM;
		bad |= setgroups(1, &zero) != -1;
		_exit(bad);
	}
	int st;
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	OK("identity: root, groups kept, setuid(1000) for good in a child, then EPERM");

	cpu_set_t set;
	unsigned cpu = 99, node = 99;
	CHECK(sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) == 1 &&
	      CPU_ISSET(0, &set));
	CHECK(syscall(SYS_getcpu, &cpu, &node, 0) == 0 && cpu == 0 && node == 0);
	CHECK(sysconf(_SC_NPROCESSORS_ONLN) == 1);
	CHECK(sched_yield() == 0);
	OK("one CPU: sched_getaffinity, getcpu, sched_yield");
}

int main(void)
{
	test_uname();
	test_clocks();
	test_random();
	test_sysinfo();
	test_rlimits();
	test_identity();
	return finish();
}
