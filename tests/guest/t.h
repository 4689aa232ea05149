/*
 * t.h - the guest test suite's harness (tests/guest/README.md).
 *
 * Each group is one static program; each test is a function declared with
 * TEST(name).  Every test runs in a forked child, in its own process group,
 * with its own fresh scratch directory as the working directory, so that a
 * crash, a hang (T_TIMEOUT seconds, default 60) or a stray signal is that
 * test's FAIL and the group goes on.  The parent prints exactly one line per
 * test on standard output:
 *
 *     ok <group>.<test>
 *     FAIL <group>.<test>: <file:line: what was expected, what happened>
 *
 * and the program exits 0 only if every test passed.  Arguments name the
 * tests to run (all when none is given).
 *
 * Checks (all record file:line and the values, with errno names):
 *   CHECK(cond)            cond is true
 *   CHECK_EQ(a, b)         integers, both values printed
 *   CHECK_STR(a, b)        C strings
 *   CHECK_OK(expr)         expr >= 0 (a system call's result); its value
 *   CHECK_ERR(expr, E)     expr == -1 with errno == E
 *   CHECK_MSG(cond, fmt, ...)
 * CHECK* record the failure and go on; REQUIRE(cond) and REQUIRE_OK(expr)
 * record it and end the test there.
 */
#ifndef T_H
#define T_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef T_GROUP
#error "define T_GROUP before including t.h"
#endif

struct t_test {
	const char *name;
	void (*fn)(void);
	long line;
};

#define TEST(n)                                                               \
	static void test_##n(void);                                           \
	static const struct t_test t_reg_##n                                  \
		__attribute__((used, section("t_tests"), aligned(8))) = {     \
			#n, test_##n, __LINE__};                              \
	static void test_##n(void)

extern const struct t_test __start_t_tests[] __attribute__((visibility("hidden")));
extern const struct t_test __stop_t_tests[] __attribute__((visibility("hidden")));

/* In a test's process: where failures go (a pipe to the harness) and how
 * many were recorded; a forked grandchild inherits both. */
static int t_fail_fd = -1;
static int t_nfail;
/* The test's own scratch directory (absolute), also its starting cwd. */
static char t_dir[512];
static const char *t_argv0;

#define T_UNUSED __attribute__((unused))
/* Bad pointers and values the compiler cannot see through (so that it
 * neither warns about nor optimizes the call that is meant to fail). */
static volatile uintptr_t t_bad_addr_ = 1, t_null_addr_ = 0;
#define T_BADPTR ((void *)t_bad_addr_)
#define T_NULLPTR ((void *)t_null_addr_)

T_UNUSED static const char *t_errname(int e)
{
	static char buf[16];
	switch (e) {
#define E(x) case x: return #x;
	E(EPERM) E(ENOENT) E(ESRCH) E(EINTR) E(EIO) E(ENXIO) E(E2BIG)
	E(ENOEXEC) E(EBADF) E(ECHILD) E(EAGAIN) E(ENOMEM) E(EACCES) E(EFAULT)
	E(EBUSY) E(EEXIST) E(EXDEV) E(ENODEV) E(ENOTDIR) E(EISDIR) E(EINVAL)
	E(ENFILE) E(EMFILE) E(ENOTTY) E(ETXTBSY) E(EFBIG) E(ENOSPC) E(ESPIPE)
	E(EROFS) E(EMLINK) E(EPIPE) E(EDOM) E(ERANGE) E(EDEADLK)
	E(ENAMETOOLONG) E(ENOSYS) E(ENOTEMPTY) E(ELOOP) E(EOVERFLOW)
	E(EOPNOTSUPP) E(ETIMEDOUT) E(ENOTSOCK) E(ESTALE)
#undef E
	case 0: return "0";
	}
	snprintf(buf, sizeof buf, "errno %d", e);
	return buf;
}

T_UNUSED static const char *t_signame(int s)
{
	static char buf[16];
	switch (s) {
#define S(x) case x: return #x;
	S(SIGHUP) S(SIGINT) S(SIGQUIT) S(SIGILL) S(SIGTRAP) S(SIGABRT)
	S(SIGBUS) S(SIGFPE) S(SIGKILL) S(SIGUSR1) S(SIGSEGV) S(SIGUSR2)
	S(SIGPIPE) S(SIGALRM) S(SIGTERM) S(SIGSTKFLT) S(SIGCHLD) S(SIGCONT)
	S(SIGSTOP) S(SIGTSTP) S(SIGTTIN) S(SIGTTOU) S(SIGURG) S(SIGXCPU)
	S(SIGXFSZ) S(SIGVTALRM) S(SIGPROF) S(SIGWINCH) S(SIGIO) S(SIGPWR)
	S(SIGSYS)
#undef S
	}
	snprintf(buf, sizeof buf, "signal %d", s);
	return buf;
}

/* "exited 3", "killed by SIGSEGV", "stopped by SIGSTOP" for a wait status. */
T_UNUSED static const char *t_status(int st)
{
	static char buf[48];
	if (WIFEXITED(st))
		snprintf(buf, sizeof buf, "exited %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, sizeof buf, "killed by %s", t_signame(WTERMSIG(st)));
	else if (WIFSTOPPED(st))
		snprintf(buf, sizeof buf, "stopped by %s", t_signame(WSTOPSIG(st)));
	else
		snprintf(buf, sizeof buf, "status 0x%x", st);
	return buf;
}

T_UNUSED static void t_write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

__attribute__((format(printf, 3, 4)))
T_UNUSED static void t_fail(const char *file, int line, const char *fmt, ...)
{
	char buf[400];
	int saved = errno;
	int n = snprintf(buf, sizeof buf, "%s:%d: ", file, line);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof buf - (size_t)n, fmt, ap);
	va_end(ap);
	n = (int)strlen(buf);
	buf[n++] = '\n';
	/* Each message is one small write, so that messages from a test and
	 * its children do not interleave; the harness keeps the first few. */
	if (t_nfail++ < 8 && t_fail_fd >= 0)
		t_write_all(t_fail_fd, buf, (size_t)n);
	errno = saved;
}

#define T_STOP() _exit(1)

#define CHECK_MSG(cond, ...)                                                  \
	do {                                                                  \
		if (!(cond))                                                  \
			t_fail(__FILE__, __LINE__, __VA_ARGS__);              \
	} while (0)

#define CHECK(cond) CHECK_MSG(cond, "expected %s", #cond)

#define REQUIRE(cond)                                                         \
	do {                                                                  \
		if (!(cond)) {                                                \
			t_fail(__FILE__, __LINE__, "expected %s", #cond);     \
			T_STOP();                                             \
		}                                                             \
	} while (0)

#define CHECK_EQ(a, b)                                                        \
	do {                                                                  \
		long long t_a_ = (long long)(a), t_b_ = (long long)(b);       \
		if (t_a_ != t_b_)                                             \
			t_fail(__FILE__, __LINE__,                            \
			       "expected %s == %s, got %lld (0x%llx) vs %lld (0x%llx)", \
			       #a, #b, t_a_, (unsigned long long)t_a_, t_b_,  \
			       (unsigned long long)t_b_);                     \
	} while (0)

#define CHECK_STR(a, b)                                                       \
	do {                                                                  \
		const char *t_a_ = (a), *t_b_ = (b);                          \
		if (!t_a_ || !t_b_ || strcmp(t_a_, t_b_) != 0)                \
			t_fail(__FILE__, __LINE__,                            \
			       "expected %s == \"%s\", got \"%s\"", #a,       \
			       t_b_ ? t_b_ : "(null)", t_a_ ? t_a_ : "(null)");\
	} while (0)

/* A system call's result: >= 0 expected; the value is the expression's. */
#define CHECK_OK(expr)                                                        \
	({                                                                    \
		errno = 0;                                                    \
		long t_v_ = (long)(expr);                                     \
		if (t_v_ < 0)                                                 \
			t_fail(__FILE__, __LINE__, "%s failed: %ld %s", #expr,\
			       t_v_, t_errname(errno));                       \
		t_v_;                                                         \
	})

#define REQUIRE_OK(expr)                                                      \
	({                                                                    \
		errno = 0;                                                    \
		long t_v_ = (long)(expr);                                     \
		if (t_v_ < 0) {                                               \
			t_fail(__FILE__, __LINE__, "%s failed: %ld %s", #expr,\
			       t_v_, t_errname(errno));                       \
			T_STOP();                                             \
		}                                                             \
		t_v_;                                                         \
	})

/* expr is expected to fail with -1 and errno E. */
#define CHECK_ERR(expr, E)                                                    \
	do {                                                                  \
		errno = 0;                                                    \
		long t_v_ = (long)(expr);                                     \
		int t_e_ = errno;                                             \
		if (t_v_ != -1)                                               \
			t_fail(__FILE__, __LINE__,                            \
			       "%s: expected -1 %s, got %ld", #expr, #E, t_v_); \
		else if (t_e_ != (E))                                         \
			t_fail(__FILE__, __LINE__,                            \
			       "%s: expected -1 %s, got -1 %s", #expr, #E,    \
			       t_errname(t_e_));                              \
	} while (0)

/* A child's wait status: expected to have exited with code. */
#define CHECK_EXIT(st, code)                                                  \
	do {                                                                  \
		int t_s_ = (st);                                              \
		if (!WIFEXITED(t_s_) || WEXITSTATUS(t_s_) != (code))          \
			t_fail(__FILE__, __LINE__,                            \
			       "expected child to exit %d, it %s", (code),    \
			       t_status(t_s_));                               \
	} while (0)

#define CHECK_KILLED(st, sig)                                                 \
	do {                                                                  \
		int t_s_ = (st);                                              \
		if (!WIFSIGNALED(t_s_) || WTERMSIG(t_s_) != (sig))            \
			t_fail(__FILE__, __LINE__,                            \
			       "expected child killed by %s, it %s",          \
			       t_signame(sig), t_status(t_s_));               \
	} while (0)

/* ---- Small helpers the groups share ---- */

/* fork, checked; the child gets 0. */
T_UNUSED static pid_t t_fork(void)
{
	pid_t p = fork();
	if (p < 0) {
		t_fail(__FILE__, __LINE__, "fork failed: %s", t_errname(errno));
		T_STOP();
	}
	return p;
}

/* waitpid, checked, retried on EINTR; returns the status. */
T_UNUSED static int t_wait(pid_t pid)
{
	int st = 0;
	pid_t r;
	do
		r = waitpid(pid, &st, 0);
	while (r < 0 && errno == EINTR);
	if (r != pid) {
		t_fail(__FILE__, __LINE__, "waitpid(%d) returned %d %s", (int)pid,
		       (int)r, t_errname(errno));
		return -1;
	}
	return st;
}

T_UNUSED static void t_msleep(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L}, rem;
	while (nanosleep(&ts, &rem) < 0 && errno == EINTR)
		ts = rem;
}

T_UNUSED static long long t_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Write a whole file (created 0644, truncated); 0 or -1. */
T_UNUSED static int t_put(const char *path, const void *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	ssize_t w = write(fd, data, n);
	close(fd);
	return w == (ssize_t)n ? 0 : -1;
}

/* Read a whole (small) file into buf, NUL-terminated; bytes read or -1. */
T_UNUSED static ssize_t t_get(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	size_t n = 0;
	for (;;) {
		ssize_t r = read(fd, buf + n, size - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			close(fd);
			return -1;
		}
		if (r == 0 || (n += (size_t)r) == size - 1)
			break;
	}
	buf[n] = 0;
	close(fd);
	return (ssize_t)n;
}

/* Read exactly n bytes unless EOF; bytes read or -1. */
T_UNUSED static ssize_t t_read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, (char *)buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* rm -rf, through openat/getdents (readdir) and unlinkat. */
T_UNUSED static void t_rmtree_at(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		unlinkat(dirfd, name, 0);
		return;
	}
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (unlinkat(fd, e->d_name, 0) < 0)
			t_rmtree_at(fd, e->d_name);
	}
	closedir(d);
	unlinkat(dirfd, name, AT_REMOVEDIR);
}

T_UNUSED static void t_out(const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof buf - 1)
		n = sizeof buf - 1;
	t_write_all(1, buf, (size_t)n);
}

T_UNUSED static int t_cmp_tests(const void *a, const void *b)
{
	const struct t_test *x = *(const struct t_test *const *)a;
	const struct t_test *y = *(const struct t_test *const *)b;
	return (x->line > y->line) - (x->line < y->line);
}

/* Run one test in a child; print its line; 1 if it passed. */
T_UNUSED static int t_run_one(const struct t_test *t, const char *root, int timeout)
{
	int pfd[2];
	if (pipe(pfd) < 0) {
		t_out("FAIL %s.%s: harness: pipe: %s\n", T_GROUP, t->name, t_errname(errno));
		return 0;
	}
	fcntl(pfd[0], F_SETFD, FD_CLOEXEC);
	fcntl(pfd[1], F_SETFD, FD_CLOEXEC);
	snprintf(t_dir, sizeof t_dir, "%s/%s", root, t->name);
	if (mkdir(t_dir, 0755) < 0) {
		t_out("FAIL %s.%s: harness: mkdir %s: %s\n", T_GROUP, t->name, t_dir,
		      t_errname(errno));
		close(pfd[0]);
		close(pfd[1]);
		return 0;
	}
	pid_t pid = fork();
	if (pid < 0) {
		t_out("FAIL %s.%s: harness: fork: %s\n", T_GROUP, t->name, t_errname(errno));
		close(pfd[0]);
		close(pfd[1]);
		return 0;
	}
	if (pid == 0) {
		close(pfd[0]);
		t_fail_fd = pfd[1];
		setpgid(0, 0);
		if (chdir(t_dir) < 0)
			t_fail(__FILE__, __LINE__, "chdir %s: %s", t_dir, t_errname(errno));
		alarm((unsigned)timeout);
		t->fn();
		_exit(t_nfail ? 1 : 0);
	}
	close(pfd[1]);
	setpgid(pid, pid); /* both sides, so kill(-pid) below always finds it */
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	kill(-pid, SIGKILL); /* whatever the test left running */

	char msg[1200];
	size_t n = 0;
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	for (;;) {
		ssize_t r = read(pfd[0], msg + n, sizeof msg - 1 - n);
		if (r <= 0 || (n += (size_t)r) == sizeof msg - 1)
			break;
	}
	close(pfd[0]);
	msg[n] = 0;
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = 0;
	for (char *p = msg; *p; p++)
		if (*p == '\n')
			*p = '|'; /* one line per test */
	t_rmtree_at(AT_FDCWD, t_dir);

	int passed = WIFEXITED(st) && WEXITSTATUS(st) == 0 && n == 0;
	if (passed) {
		t_out("ok %s.%s\n", T_GROUP, t->name);
	} else if (WIFSIGNALED(st)) {
		t_out("FAIL %s.%s: killed by %s%s%s%s\n", T_GROUP, t->name,
		      t_signame(WTERMSIG(st)),
		      WTERMSIG(st) == SIGALRM ? " (timeout?)" : "",
		      n ? " after: " : "", msg);
	} else if (n) {
		t_out("FAIL %s.%s: %s\n", T_GROUP, t->name, msg);
	} else {
		t_out("FAIL %s.%s: test %s without a message\n", T_GROUP, t->name,
		      t_status(st));
	}
	return passed;
}

T_UNUSED static int t_main(int argc, char **argv)
{
	t_argv0 = argv[0];
	size_t count = (size_t)(__stop_t_tests - __start_t_tests);
	const struct t_test *list[512];
	if (count > sizeof list / sizeof list[0])
		count = sizeof list / sizeof list[0];
	for (size_t i = 0; i < count; i++)
		list[i] = &__start_t_tests[i];
	qsort(list, count, sizeof list[0], t_cmp_tests);

	int timeout = 60;
	const char *to = getenv("T_TIMEOUT");
	if (to && atoi(to) > 0)
		timeout = atoi(to);

	umask(022);
	signal(SIGPIPE, SIG_DFL);
	char root[256];
	snprintf(root, sizeof root, "/tmp/guest-tests.%s.%d", T_GROUP, (int)getpid());
	if (mkdir(root, 0755) < 0) {
		t_out("FAIL %s.harness: mkdir %s: %s\n", T_GROUP, root, t_errname(errno));
		return 1;
	}
	int failed = 0, ran = 0;
	for (size_t i = 0; i < count; i++) {
		int wanted = argc < 2;
		for (int a = 1; a < argc && !wanted; a++)
			wanted = strcmp(argv[a], list[i]->name) == 0;
		if (!wanted)
			continue;
		ran++;
		if (!t_run_one(list[i], root, timeout))
			failed++;
	}
	t_rmtree_at(AT_FDCWD, root);
	if (ran == 0) {
		t_out("FAIL %s.harness: no test matched the arguments\n", T_GROUP);
		return 1;
	}
	return failed ? 1 : 0;
}

#endif
