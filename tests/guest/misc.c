/* misc: clocks and sleeps, uname, credentials, getrandom, sysinfo,
 * resource limits and usage, sched_yield, set_tid_address, futex, ENOSYS,
 * the /proc files programs read, FPU state per process, and the socket
 * calls' argument checks. */
#define T_GROUP "misc"
#include "t.h"

#include <limits.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <grp.h>

#define T_FUTEX_WAIT 0
#define T_FUTEX_WAKE 1
#define T_FUTEX_PRIVATE 128

static long long ts_ns(const struct timespec *ts)
{
	return (long long)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

static long long clock_ns(clockid_t c)
{
	struct timespec ts;
	if (clock_gettime(c, &ts) < 0)
		return -1;
	return ts_ns(&ts);
}

static long futex(volatile int *addr, int op, int val, const struct timespec *ts)
{
	return syscall(SYS_futex, addr, op, val, ts, NULL, 0);
}

TEST(clock_gettime)
{
	struct timespec ts;
	clockid_t clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME,
			      CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID,
			      CLOCK_MONOTONIC_COARSE, CLOCK_REALTIME_COARSE};
	for (unsigned i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
		CHECK_OK(clock_gettime(clocks[i], &ts));
		CHECK_MSG(ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000, "clock %d: tv_nsec %ld",
			  (int)clocks[i], (long)ts.tv_nsec);
		CHECK(ts.tv_sec >= 0);
	}
	CHECK_ERR(clock_gettime(12345, &ts), EINVAL);
	/* the raw call too: static binaries without a vDSO use it */
	CHECK_OK(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts));
	CHECK(ts.tv_sec > 0 || ts.tv_nsec > 0);
	/* never backwards, over many calls */
	long long prev_m = clock_ns(CLOCK_MONOTONIC), prev_b = clock_ns(CLOCK_BOOTTIME);
	int back = 0;
	for (int i = 0; i < 2000; i++) {
		long long m = clock_ns(CLOCK_MONOTONIC);
		long long b = clock_ns(CLOCK_BOOTTIME);
		back += m < prev_m || b < prev_b;
		prev_m = m;
		prev_b = b;
	}
	CHECK_EQ(back, 0);
	/* BOOTTIME counts suspend as well: never behind MONOTONIC */
	long long m = clock_ns(CLOCK_MONOTONIC), b = clock_ns(CLOCK_BOOTTIME);
	CHECK(b >= m);
	/* REALTIME moves forward across a short sleep */
	long long r0 = clock_ns(CLOCK_REALTIME);
	t_msleep(5);
	CHECK(clock_ns(CLOCK_REALTIME) > r0);
}

TEST(monotonic_across_sleep)
{
	long long t0 = clock_ns(CLOCK_MONOTONIC);
	struct timespec ts = {0, 10000000};
	CHECK_OK(nanosleep(&ts, NULL));
	long long dt = clock_ns(CLOCK_MONOTONIC) - t0;
	CHECK_MSG(dt >= 10000000, "nanosleep(10ms) took %lld ns by CLOCK_MONOTONIC", dt);
	CHECK_MSG(dt < 2000000000LL, "nanosleep(10ms) took %lld ns", dt);
	/* and a 100 ms one, by REALTIME too (no one sets the clock meanwhile) */
	long long r0 = clock_ns(CLOCK_REALTIME);
	t0 = clock_ns(CLOCK_MONOTONIC);
	ts.tv_nsec = 100000000;
	CHECK_OK(nanosleep(&ts, NULL));
	dt = clock_ns(CLOCK_MONOTONIC) - t0;
	long long dr = clock_ns(CLOCK_REALTIME) - r0;
	CHECK_MSG(dt >= 100000000 && dt < 3000000000LL, "100 ms took %lld ns", dt);
	CHECK_MSG(dr >= 90000000 && dr < 3000000000LL, "100 ms took %lld ns of REALTIME", dr);
	ts.tv_nsec = 1000000000;
	CHECK_ERR(nanosleep(&ts, NULL), EINVAL);
	ts.tv_sec = -1;
	ts.tv_nsec = 0;
	CHECK_ERR(nanosleep(&ts, NULL), EINVAL);
	ts.tv_sec = 0;
	CHECK_OK(nanosleep(&ts, NULL)); /* zero is fine */
}

TEST(clock_getres)
{
	struct timespec ts;
	clockid_t clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME};
	for (unsigned i = 0; i < 3; i++) {
		memset(&ts, 0xff, sizeof ts);
		CHECK_OK(clock_getres(clocks[i], &ts));
		CHECK_EQ(ts.tv_sec, 0);
		CHECK_MSG(ts.tv_nsec > 0 && ts.tv_nsec <= 10000000,
			  "clock %d resolution %ld ns", (int)clocks[i], (long)ts.tv_nsec);
	}
	CHECK_OK(clock_getres(CLOCK_MONOTONIC, NULL));
	CHECK_ERR(clock_getres(12345, &ts), EINVAL);
}

TEST(gettimeofday_time)
{
	struct timeval tv;
	struct timespec ts;
	CHECK_OK(gettimeofday(&tv, NULL));
	CHECK_OK(clock_gettime(CLOCK_REALTIME, &ts));
	time_t t = time(NULL);
	CHECK(tv.tv_usec >= 0 && tv.tv_usec < 1000000);
	long long a = (long long)tv.tv_sec * 1000000 + tv.tv_usec;
	long long b = ts_ns(&ts) / 1000;
	CHECK_MSG(b >= a - 1000 && b - a < 1000000, "gettimeofday %lld us, clock_gettime %lld us", a, b);
	CHECK_MSG(t >= ts.tv_sec - 1 && t <= ts.tv_sec + 1, "time() %lld, clock %lld", (long long)t,
		  (long long)ts.tv_sec);
	time_t t2;
	CHECK_EQ(time(&t2), t2);
	/* the raw calls */
	struct timeval rtv;
	CHECK_OK(syscall(SYS_gettimeofday, &rtv, NULL));
	CHECK(rtv.tv_sec >= tv.tv_sec);
	long rt = syscall(SYS_time, NULL);
	CHECK(rt >= (long)t && rt <= (long)t + 2);
}

TEST(clock_nanosleep)
{
	struct timespec ts = {0, 20000000};
	long long t0 = clock_ns(CLOCK_MONOTONIC);
	CHECK_EQ(clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL), 0);
	CHECK(clock_ns(CLOCK_MONOTONIC) - t0 >= 20000000);
	/* an absolute deadline */
	struct timespec dl;
	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_nsec += 30000000;
	if (dl.tv_nsec >= 1000000000) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000;
	}
	CHECK_EQ(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &dl, NULL), 0);
	CHECK(clock_ns(CLOCK_MONOTONIC) >= ts_ns(&dl));
	/* a deadline in the past returns at once */
	struct timespec past = {0, 1};
	t0 = clock_ns(CLOCK_MONOTONIC);
	CHECK_EQ(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &past, NULL), 0);
	CHECK(clock_ns(CLOCK_MONOTONIC) - t0 < 1000000000LL);
	/* REALTIME too; errors are returned, not put in errno */
	ts.tv_nsec = 5000000;
	CHECK_EQ(clock_nanosleep(CLOCK_REALTIME, 0, &ts, NULL), 0);
	ts.tv_nsec = -1;
	CHECK_EQ(clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL), EINVAL);
	ts.tv_nsec = 1;
	int r = clock_nanosleep(12345, 0, &ts, NULL);
	CHECK_MSG(r == EINVAL || r == ENOTSUP, "clock_nanosleep on a bad clock: %s", t_errname(r));
}

TEST(cpu_time)
{
	long long p0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	long long m0 = clock_ns(CLOCK_MONOTONIC);
	volatile unsigned long x = 0;
	while (clock_ns(CLOCK_MONOTONIC) - m0 < 50000000)
		for (int i = 0; i < 10000; i++)
			x += (unsigned long)i;
	long long used = clock_ns(CLOCK_PROCESS_CPUTIME_ID) - p0;
	CHECK_MSG(used > 0, "50 ms of spinning used %lld ns of CPU time", used);
	CHECK(clock_ns(CLOCK_THREAD_CPUTIME_ID) > 0);
	/* getrusage sees it too */
	struct rusage ru;
	CHECK_OK(getrusage(RUSAGE_SELF, &ru));
	long long us = (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
		       ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
	CHECK_MSG(us > 0, "getrusage: no CPU time after 50 ms of spinning");
	/* (ru_maxrss and RSS may read 0 for a small process: Linux counts
	 * RSS per CPU and folds it in batches) */
	CHECK(ru.ru_maxrss >= 0);
	CHECK_ERR(getrusage(12345, &ru), EINVAL);
}

TEST(rusage_children)
{
	struct rusage ru;
	CHECK_OK(getrusage(RUSAGE_CHILDREN, &ru));
	CHECK_EQ(ru.ru_utime.tv_sec + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec, 0);
	pid_t pid = t_fork();
	if (pid == 0) {
		volatile unsigned long x = 0;
		while (clock_ns(CLOCK_PROCESS_CPUTIME_ID) < 100000000)
			x++;
		_exit(0);
	}
	CHECK_EXIT(t_wait(pid), 0);
	CHECK_OK(getrusage(RUSAGE_CHILDREN, &ru));
	long long us = (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
		       ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
	CHECK_MSG(us >= 50000, "a child that used 100 ms of CPU: RUSAGE_CHILDREN %lld us", us);
}

TEST(uname)
{
	struct utsname u;
	REQUIRE_OK(uname(&u));
	CHECK_STR(u.sysname, "Linux");
	CHECK_STR(u.machine, "x86_64");
	int major = -1, minor = -1;
	CHECK_MSG(sscanf(u.release, "%d.%d", &major, &minor) == 2, "release \"%s\"", u.release);
	CHECK_MSG(major >= 3, "release \"%s\": glibc needs 3.2 or later", u.release);
	CHECK(u.version[0] != 0);
	CHECK(u.nodename[0] != 0);
	char host[HOST_NAME_MAX + 1];
	CHECK_OK(gethostname(host, sizeof host));
	CHECK_STR(host, u.nodename);
	CHECK_ERR(uname(T_NULLPTR), EFAULT);
}

TEST(credentials)
{
	CHECK_EQ(getuid(), 0);
	CHECK_EQ(geteuid(), 0);
	CHECK_EQ(getgid(), 0);
	CHECK_EQ(getegid(), 0);
	uid_t r, e, s;
	CHECK_OK(getresuid(&r, &e, &s));
	CHECK_EQ(r + e + s, 0);
	gid_t gr, ge, gs;
	CHECK_OK(getresgid(&gr, &ge, &gs));
	CHECK_EQ(gr + ge + gs, 0);
	CHECK_OK(setuid(0));
	CHECK_OK(setgid(0));
	CHECK_OK(seteuid(0));
	CHECK_OK(setegid(0));
	CHECK_OK(setresuid(0, 0, 0));
	CHECK_OK(setresgid(0, 0, 0));
	CHECK_EQ(getuid(), 0);
}

TEST(drop_privileges)
{
	/* root can become someone else for good (in a child) */
	pid_t pid = t_fork();
	if (pid == 0) {
		int bad = setgid(1234) != 0;
		bad |= (setuid(1234) != 0) << 1;
		bad |= (getuid() != 1234 || geteuid() != 1234 || getgid() != 1234) << 2;
		bad |= (setuid(0) != -1 || errno != EPERM) << 3;
		_exit(bad);
	}
	CHECK_EXIT(t_wait(pid), 0);
}

TEST(getgroups)
{
	int n = (int)CHECK_OK(getgroups(0, NULL));
	gid_t list[NGROUPS_MAX > 256 ? 256 : NGROUPS_MAX];
	if (n <= 256) {
		CHECK_EQ(getgroups(256, list), n);
		if (n >= 2)
			CHECK_ERR(getgroups(n - 1, list), EINVAL);
	}
	/* root may set them */
	gid_t g[2] = {0, 7};
	CHECK_OK(setgroups(2, g));
	CHECK_EQ(getgroups(0, NULL), 2);
	CHECK_EQ(getgroups(2, list), 2);
	CHECK((list[0] == 0 && list[1] == 7) || (list[0] == 7 && list[1] == 0));
	CHECK_OK(setgroups(0, NULL));
	CHECK_EQ(getgroups(0, NULL), 0);
	CHECK_ERR(syscall(SYS_getgroups, -1, list), EINVAL);
}

TEST(getrandom)
{
	unsigned char a[64], b[64];
	memset(a, 0, sizeof a);
	memset(b, 0, sizeof b);
	CHECK_EQ(getrandom(a, sizeof a, 0), sizeof a);
	CHECK_EQ(getrandom(b, sizeof b, GRND_NONBLOCK), sizeof b);
	int nz = 0;
	for (unsigned i = 0; i < sizeof a; i++)
		nz |= a[i];
	CHECK(nz != 0);
	CHECK(memcmp(a, b, sizeof a) != 0);
	static unsigned char big[65536];
	ssize_t r = getrandom(big, sizeof big, 0);
	CHECK_MSG(r >= 256, "getrandom(64 KiB) gave %zd", r);
	CHECK_EQ(getrandom(a, 0, 0), 0);
	CHECK_ERR(getrandom(a, sizeof a, 0x4000), EINVAL);
	CHECK_ERR(syscall(SYS_getrandom, T_BADPTR, 16, 0), EFAULT);
}

TEST(sysinfo)
{
	struct sysinfo si;
	memset(&si, 0, sizeof si);
	REQUIRE_OK(sysinfo(&si));
	CHECK(si.mem_unit >= 1);
	CHECK(si.totalram > 0);
	CHECK(si.freeram > 0);
	CHECK(si.freeram <= si.totalram);
	long long up = (long long)si.uptime; /* long in glibc, unsigned long in musl */
	CHECK(up >= 0);
	CHECK(si.procs >= 1);
	CHECK(si.totalswap >= si.freeswap);
	/* uptime is BOOTTIME's seconds */
	long long boot = clock_ns(CLOCK_BOOTTIME) / 1000000000LL;
	CHECK_MSG(up >= boot - 2 && up <= boot + 2, "sysinfo uptime %lld, BOOTTIME %lld s", up,
		  boot);
	CHECK_ERR(sysinfo(T_NULLPTR), EFAULT);
}

TEST(rlimits)
{
	struct rlimit rl, pl;
	int res[] = {RLIMIT_NOFILE, RLIMIT_STACK, RLIMIT_AS, RLIMIT_CORE, RLIMIT_CPU,
		     RLIMIT_DATA, RLIMIT_FSIZE, RLIMIT_NPROC, RLIMIT_MEMLOCK};
	for (unsigned i = 0; i < sizeof res / sizeof res[0]; i++) {
		CHECK_OK(getrlimit(res[i], &rl));
		CHECK_MSG(rl.rlim_cur <= rl.rlim_max, "limit %d: cur %llu > max %llu", res[i],
			  (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
		CHECK_OK(prlimit(0, res[i], NULL, &pl));
		CHECK_EQ(pl.rlim_cur, rl.rlim_cur);
		CHECK_EQ(pl.rlim_max, rl.rlim_max);
	}
	/* the raw prlimit64, the one static libcs call */
	CHECK_OK(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &pl));
	CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
	CHECK_EQ(pl.rlim_cur, rl.rlim_cur);
	CHECK_ERR(getrlimit(1000, &rl), EINVAL);
	/* soft above hard */
	struct rlimit bad = {100, 50};
	CHECK_ERR(setrlimit(RLIMIT_CORE, &bad), EINVAL);
	/* of a child, through prlimit */
	int p[2];
	REQUIRE_OK(pipe(p));
	pid_t pid = t_fork();
	if (pid == 0) {
		char c;
		read(p[0], &c, 1);
		struct rlimit r;
		getrlimit(RLIMIT_NOFILE, &r);
		_exit(r.rlim_cur == 33 ? 0 : 1);
	}
	struct rlimit nl = {33, rl.rlim_max}, old;
	CHECK_OK(prlimit(pid, RLIMIT_NOFILE, &nl, &old));
	CHECK_EQ(old.rlim_cur, rl.rlim_cur);
	write(p[1], "x", 1);
	CHECK_EXIT(t_wait(pid), 0);
	CHECK_ERR(prlimit(pid, RLIMIT_NOFILE, NULL, &old), ESRCH);
}

TEST(rlimit_nofile)
{
	struct rlimit rl;
	REQUIRE_OK(getrlimit(RLIMIT_NOFILE, &rl));
	rl.rlim_cur = 20;
	REQUIRE_OK(setrlimit(RLIMIT_NOFILE, &rl));
	struct rlimit now;
	CHECK_OK(getrlimit(RLIMIT_NOFILE, &now));
	CHECK_EQ(now.rlim_cur, 20);
	int last = -1, fd;
	while ((fd = open("/dev/null", O_RDONLY)) >= 0)
		last = fd;
	CHECK_EQ(errno, EMFILE);
	CHECK_EQ(last, 19);
	CHECK_ERR(dup(0), EMFILE);
	/* raising it again makes room */
	rl.rlim_cur = 40;
	CHECK_OK(setrlimit(RLIMIT_NOFILE, &rl));
	fd = CHECK_OK(open("/dev/null", O_RDONLY));
	CHECK_EQ(fd, 20);
}

TEST(rlimit_fsize)
{
	struct rlimit rl = {1000, RLIM_INFINITY};
	struct rlimit old;
	REQUIRE_OK(getrlimit(RLIMIT_FSIZE, &old));
	rl.rlim_max = old.rlim_max;
	REQUIRE_OK(setrlimit(RLIMIT_FSIZE, &rl));
	signal(SIGXFSZ, SIG_IGN);
	int fd = REQUIRE_OK(open("f", O_WRONLY | O_CREAT, 0644));
	char buf[1500];
	memset(buf, 'x', sizeof buf);
	CHECK_EQ(write(fd, buf, sizeof buf), 1000); /* up to the limit */
	CHECK_ERR(write(fd, buf, 1), EFBIG);
	/* not ignored: SIGXFSZ kills */
	pid_t pid = t_fork();
	if (pid == 0) {
		signal(SIGXFSZ, SIG_DFL);
		write(fd, buf, 1);
		_exit(0);
	}
	CHECK_KILLED(t_wait(pid), SIGXFSZ);
}

TEST(sched_yield)
{
	for (int i = 0; i < 100; i++)
		CHECK_EQ(sched_yield(), 0);
	/* with another runnable process: both make progress */
	pid_t pid = t_fork();
	if (pid == 0) {
		for (int i = 0; i < 100; i++)
			sched_yield();
		_exit(0);
	}
	for (int i = 0; i < 100; i++)
		sched_yield();
	CHECK_EXIT(t_wait(pid), 0);
}

TEST(set_tid_address)
{
	static int word;
	long tid = syscall(SYS_set_tid_address, &word);
	CHECK_EQ(tid, syscall(SYS_gettid));
	CHECK_EQ(tid, getpid());
}

TEST(futex_basics)
{
	static volatile int word = 5;
	CHECK_ERR(futex(&word, T_FUTEX_WAIT, 6, NULL), EAGAIN);
	CHECK_ERR(futex(&word, T_FUTEX_WAIT | T_FUTEX_PRIVATE, 6, NULL), EAGAIN);
	CHECK_EQ(futex(&word, T_FUTEX_WAKE, 1, NULL), 0);
	CHECK_EQ(futex(&word, T_FUTEX_WAKE | T_FUTEX_PRIVATE, INT_MAX, NULL), 0);
	/* a timeout */
	struct timespec ts = {0, 20000000};
	long long t0 = clock_ns(CLOCK_MONOTONIC);
	CHECK_ERR(futex(&word, T_FUTEX_WAIT, 5, &ts), ETIMEDOUT);
	long long dt = clock_ns(CLOCK_MONOTONIC) - t0;
	CHECK_MSG(dt >= 20000000 && dt < 5000000000LL, "a 20 ms futex wait took %lld ns", dt);
	/* misaligned, bad op */
	CHECK_ERR(futex((volatile int *)((char *)&word + 1), T_FUTEX_WAIT, 5, &ts), EINVAL);
	CHECK_ERR(futex(&word, 99, 0, NULL), ENOSYS);
	CHECK_ERR(futex((volatile int *)((char *)T_NULLPTR + 8), T_FUTEX_WAIT, 0, &ts), EFAULT);
}

TEST(futex_across_fork)
{
	/* a child waits on a shared word; the parent changes it and wakes it */
	volatile int *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	REQUIRE(w != MAP_FAILED);
	w[0] = 0;
	w[1] = 0;
	pid_t pid = t_fork();
	if (pid == 0) {
		w[1] = 1; /* about to wait */
		while (w[0] == 0) {
			long r = futex(&w[0], T_FUTEX_WAIT, 0, NULL);
			if (r < 0 && errno != EAGAIN && errno != EINTR)
				_exit(1);
		}
		_exit(w[0] == 7 ? 0 : 2);
	}
	while (w[1] == 0)
		t_msleep(1);
	t_msleep(20); /* most likely asleep in the kernel now */
	w[0] = 7;
	long woken = 0;
	for (int i = 0; i < 100; i++) {
		woken = futex(&w[0], T_FUTEX_WAKE, 1, NULL);
		if (woken != 0)
			break;
		t_msleep(5);
	}
	CHECK_EXIT(t_wait(pid), 0);
	CHECK_MSG(woken == 1 || woken == 0, "FUTEX_WAKE returned %ld", woken);
}

TEST(enosys)
{
	CHECK_ERR(syscall(999), ENOSYS);
	CHECK_ERR(syscall(100000), ENOSYS);
	/* the raw instruction, without libc's wrapper */
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(999L) : "rcx", "r11", "memory");
	CHECK_EQ(r, -ENOSYS);
	__asm__ volatile("syscall" : "=a"(r) : "a"(-1L) : "rcx", "r11", "memory");
	CHECK_EQ(r, -ENOSYS);
}

/* Fields of /proc/self/stat, after the ")" of comm. */
TEST(proc_self_stat)
{
	prctl(PR_SET_NAME, "st at(x) y");
	char buf[4096];
	REQUIRE(t_get("/proc/self/stat", buf, sizeof buf) > 0);
	int pid = -1;
	CHECK_EQ(sscanf(buf, "%d ", &pid), 1);
	CHECK_EQ(pid, getpid());
	char *open = strchr(buf, '(');
	char *close = strrchr(buf, ')'); /* comm may contain ')' and spaces */
	REQUIRE(open && close && close > open);
	*close = 0;
	CHECK_STR(open + 1, "st at(x) y");
	char state = 0;
	int ppid = -1, pgrp = -1, session = -1, tty = -1, tpgid = 0;
	unsigned flags = 0;
	unsigned long minflt, cminflt, majflt, cmajflt, utime, stime;
	long cutime, cstime, priority, nice, threads, itreal;
	unsigned long long start;
	unsigned long vsize;
	long rss;
	int n = sscanf(close + 2, "%c %d %d %d %d %d %u %lu %lu %lu %lu %lu %lu %ld %ld %ld %ld %ld %ld %llu %lu %ld",
		       &state, &ppid, &pgrp, &session, &tty, &tpgid, &flags, &minflt, &cminflt, &majflt,
		       &cmajflt, &utime, &stime, &cutime, &cstime, &priority, &nice, &threads, &itreal,
		       &start, &vsize, &rss);
	CHECK_EQ(n, 22);
	CHECK_EQ(state, 'R');
	CHECK_EQ(ppid, getppid());
	CHECK_EQ(pgrp, getpgrp());
	CHECK_EQ(session, getsid(0));
	CHECK_EQ(threads, 1);
	CHECK(vsize > 0);
	CHECK(rss >= 0);
	/* a child's view of its parent, by pid */
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/stat", getpid());
	char buf2[4096];
	CHECK(t_get(path, buf2, sizeof buf2) > 0);
	CHECK_EQ(atoi(buf2), getpid());
}

TEST(proc_self_status)
{
	char buf[8192];
	REQUIRE(t_get("/proc/self/status", buf, sizeof buf) > 0);
	char want[64];
	snprintf(want, sizeof want, "\nPid:\t%d\n", getpid());
	CHECK_MSG(strstr(buf, want) != NULL, "no \"Pid:\\t%d\" line", getpid());
	snprintf(want, sizeof want, "\nPPid:\t%d\n", getppid());
	CHECK_MSG(strstr(buf, want) != NULL, "no \"PPid:\\t%d\" line", getppid());
	CHECK(strncmp(buf, "Name:\t", 6) == 0);
	CHECK(strstr(buf, "\nUid:\t0\t0\t0\t0\n") != NULL);
	CHECK(strstr(buf, "\nState:\tR") != NULL);
}

TEST(proc_meminfo)
{
	char buf[16384];
	REQUIRE(t_get("/proc/meminfo", buf, sizeof buf) > 0);
	unsigned long total = 0, free_ = 0, avail = 0;
	char *p = strstr(buf, "MemTotal:");
	CHECK(p == buf); /* the first line */
	CHECK(p && sscanf(p, "MemTotal: %lu kB", &total) == 1);
	p = strstr(buf, "\nMemFree:");
	CHECK(p && sscanf(p + 1, "MemFree: %lu kB", &free_) == 1);
	p = strstr(buf, "\nMemAvailable:");
	CHECK(p && sscanf(p + 1, "MemAvailable: %lu kB", &avail) == 1);
	CHECK(total > 0);
	CHECK(free_ > 0 && free_ <= total);
	CHECK(avail <= total);
	/* the same memory as sysinfo() */
	struct sysinfo si;
	CHECK_OK(sysinfo(&si));
	unsigned long long si_kb = (unsigned long long)si.totalram * si.mem_unit / 1024;
	CHECK_MSG(si_kb >= total - total / 100 && si_kb <= total + total / 100,
		  "MemTotal %lu kB, sysinfo %llu kB", total, si_kb);
}

TEST(proc_self_exe)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
	REQUIRE(n > 0);
	buf[n] = 0;
	CHECK_EQ(buf[0], '/');
	struct stat a, b;
	CHECK_OK(stat(buf, &a));
	CHECK_OK(stat("/proc/self/exe", &b));
	CHECK_EQ(a.st_ino, b.st_ino);
	CHECK_EQ(a.st_dev, b.st_dev);
	CHECK(S_ISREG(a.st_mode));
	struct stat l;
	CHECK_OK(lstat("/proc/self/exe", &l));
	CHECK(S_ISLNK(l.st_mode));
}

TEST(proc_self_cmdline)
{
	char buf[4096];
	ssize_t n = t_get("/proc/self/cmdline", buf, sizeof buf);
	REQUIRE(n > 0);
	CHECK_EQ(buf[n - 1], 0);
	CHECK_STR(buf, t_argv0);
}

TEST(proc_self_fd)
{
	int fd = REQUIRE_OK(open("some-file", O_RDWR | O_CREAT, 0644));
	char path[64], target[PATH_MAX], want[PATH_MAX];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, target, sizeof target - 1);
	REQUIRE(n > 0);
	target[n] = 0;
	snprintf(want, sizeof want, "%s/some-file", t_dir);
	CHECK_STR(target, want);
	/* the directory lists it */
	DIR *d = opendir("/proc/self/fd");
	REQUIRE(d != NULL);
	int seen = 0;
	struct dirent *e;
	char name[16];
	snprintf(name, sizeof name, "%d", fd);
	while ((e = readdir(d)) != NULL)
		seen += !strcmp(e->d_name, name);
	closedir(d);
	CHECK_EQ(seen, 1);
	/* opening it opens the file */
	int fd2 = CHECK_OK(open(path, O_RDONLY));
	struct stat a, b;
	CHECK_OK(fstat(fd, &a));
	CHECK_OK(fstat(fd2, &b));
	CHECK_EQ(a.st_ino, b.st_ino);
}

/* reboot(2) with a wrong magic number is EINVAL (checked before anything
 * happens, so this is safe natively as root too). */
TEST(reboot_bad_magic)
{
	CHECK_ERR(syscall(SYS_reboot, 0x12345678, 672274793, 0x4321fedc, 0), EINVAL);
	CHECK_ERR(syscall(SYS_reboot, 0xfee1dead, 1, 0x4321fedc, 0), EINVAL);
}

TEST(proc_uptime)
{
	char buf[128];
	REQUIRE(t_get("/proc/uptime", buf, sizeof buf) > 0);
	double up = -1, idle = -1;
	CHECK_EQ(sscanf(buf, "%lf %lf", &up, &idle), 2);
	CHECK(up > 0);
	CHECK(idle >= 0);
	long long boot = clock_ns(CLOCK_BOOTTIME) / 1000000000LL;
	CHECK_MSG(up >= (double)boot - 2 && up <= (double)boot + 2, "uptime %.2f, BOOTTIME %lld s",
		  up, boot);
	char buf2[128];
	t_msleep(20);
	REQUIRE(t_get("/proc/uptime", buf2, sizeof buf2) > 0);
	double up2 = -1;
	CHECK_EQ(sscanf(buf2, "%lf", &up2), 1);
	CHECK(up2 >= up);
}

_Static_assert(SYS_nanosleep == 35, "nanosleep's number");

TEST(fpu_state_per_process)
{
	/* xmm registers and MXCSR live across a sleep while another process
	 * runs and uses its own */
	int p[2];
	REQUIRE_OK(pipe(p));
	pid_t pid = t_fork();
	if (pid == 0) {
		unsigned int m = 0x3f80; /* round down */
		long long t0 = clock_ns(CLOCK_MONOTONIC);
		write(p[1], "r", 1);
		while (clock_ns(CLOCK_MONOTONIC) - t0 < 100000000)
			__asm__ volatile("ldmxcsr %0\n\t pcmpeqd %%xmm0, %%xmm0\n\t"
					 "pcmpeqd %%xmm7, %%xmm7\n\t pcmpeqd %%xmm15, %%xmm15"
					 :
					 : "m"(m)
					 : "xmm0", "xmm7", "xmm15");
		_exit(0);
	}
	char c;
	CHECK_EQ(read(p[0], &c, 1), 1);
	static const unsigned long in[6] = {0x0123456789abcdefUL, 0xfedcba9876543210UL,
					    0x1111222233334444UL, 0x5555666677778888UL,
					    0x99990000aaaabbbbUL, 0xccccddddeeeeffffUL};
	unsigned long out[6];
	unsigned int mx_in = 0x5f80, mx_out = 0, mx_default = 0x1f80; /* round up */
	struct timespec ts = {0, 50000000};
	long r;
	__asm__ volatile("movdqu 0(%[in]), %%xmm0\n\t"
			 "movdqu 16(%[in]), %%xmm7\n\t"
			 "movdqu 32(%[in]), %%xmm15\n\t"
			 "ldmxcsr %[mxi]\n\t"
			 "mov $35, %%eax\n\t" /* nanosleep */
			 "mov %[ts], %%rdi\n\t"
			 "xor %%esi, %%esi\n\t"
			 "syscall\n\t"
			 "stmxcsr %[mxo]\n\t"
			 "ldmxcsr %[mxd]\n\t"
			 "movdqu %%xmm0, 0(%[out])\n\t"
			 "movdqu %%xmm7, 16(%[out])\n\t"
			 "movdqu %%xmm15, 32(%[out])\n\t"
			 : "=&a"(r), [mxo] "=m"(mx_out)
			 : [in] "r"(in), [out] "r"(out), [ts] "r"(&ts), [mxi] "m"(mx_in),
			   [mxd] "m"(mx_default)
			 : "rdi", "rsi", "rcx", "r11", "xmm0", "xmm7", "xmm15", "memory");
	CHECK_EQ(r, 0);
	for (int i = 0; i < 6; i++)
		CHECK_MSG(out[i] == in[i], "xmm word %d: 0x%lx, was 0x%lx", i, out[i], in[i]);
	CHECK_EQ(mx_out, 0x5f80);
	CHECK_EXIT(t_wait(pid), 0);
}

/* What Linux checks before the address family, so that a kernel with
 * none (this one: EAFNOSUPPORT for every socket) and the host agree. */
TEST(socket_checks)
{
	int p[2], sv[2];
	CHECK_ERR(socket(AF_UNIX, 11, 0), EINVAL);                 /* SOCK_MAX */
	CHECK_ERR(socket(AF_UNIX, SOCK_STREAM | 0x100, 0), EINVAL); /* unknown flag */
	CHECK_ERR(socketpair(AF_UNIX, 15, 0, sv), EINVAL);
	CHECK_ERR(socket(4000, SOCK_STREAM, 0), EAFNOSUPPORT);      /* past NPROTO */
	CHECK_ERR(socketpair(4000, SOCK_DGRAM, 0, sv), EAFNOSUPPORT);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);     /* a family: either */
	CHECK(s >= 0 || errno == EAFNOSUPPORT);
	if (s >= 0)
		close(s);
	REQUIRE_OK(pipe(p));
	struct sockaddr sa = { .sa_family = AF_UNIX };
	socklen_t len = sizeof sa;
	int one = 1;
	CHECK_ERR(connect(p[0], &sa, sizeof sa), ENOTSOCK);
	CHECK_ERR(bind(p[1], &sa, sizeof sa), ENOTSOCK);
	CHECK_ERR(listen(p[0], 1), ENOTSOCK);
	CHECK_ERR(accept(p[0], 0, 0), ENOTSOCK);
	CHECK_ERR(accept4(p[0], 0, 0, 0), ENOTSOCK);
	CHECK_ERR(send(p[1], "x", 1, 0), ENOTSOCK);
	CHECK_ERR(sendto(p[1], "x", 1, 0, &sa, sizeof sa), ENOTSOCK);
	CHECK_ERR(recv(p[0], &one, 1, 0), ENOTSOCK);
	CHECK_ERR(recvfrom(p[0], &one, 1, 0, 0, 0), ENOTSOCK);
	struct msghdr mh = {0};
	CHECK_ERR(sendmsg(p[1], &mh, 0), ENOTSOCK);
	CHECK_ERR(recvmsg(p[0], &mh, 0), ENOTSOCK);
	CHECK_ERR(shutdown(p[0], SHUT_RDWR), ENOTSOCK);
	CHECK_ERR(getsockname(p[0], &sa, &len), ENOTSOCK);
	CHECK_ERR(getpeername(p[0], &sa, &len), ENOTSOCK);
	CHECK_ERR(setsockopt(p[0], SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), ENOTSOCK);
	CHECK_ERR(getsockopt(p[0], SOL_SOCKET, SO_TYPE, &one, &len), ENOTSOCK);
	CHECK_ERR(connect(250, &sa, sizeof sa), EBADF);
	CHECK_ERR(getsockopt(250, SOL_SOCKET, SO_TYPE, &one, &len), EBADF);
	CHECK_ERR(syscall(SYS_sendmmsg, p[1], 0, 0, 0), ENOTSOCK);
	CHECK_ERR(syscall(SYS_recvmmsg, p[0], 0, 0, 0, 0), ENOTSOCK);
	/* the data was never taken: the pipe still works */
	CHECK_EQ(write(p[1], "ok", 2), 2);
	close(p[0]), close(p[1]);
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
