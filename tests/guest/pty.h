/*
 * pty.h - helpers the tty and jobctl groups share: a pseudo-terminal pair
 * made the way programs make one (posix_openpt, grantpt, unlockpt,
 * ptsname), and a session of its own that has the slave as its
 * controlling terminal, so that the tests do not depend on the terminal
 * (if any) they were started from.
 */
#ifndef PTY_H
#define PTY_H

#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>

/* A new pty: returns the master, the slave's path in name. */
T_UNUSED static int t_openpt(char *name, size_t size)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0) {
		t_fail(__FILE__, __LINE__, "posix_openpt: %s", t_errname(errno));
		T_STOP();
	}
	if (grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, name, size) != 0) {
		t_fail(__FILE__, __LINE__, "grantpt/unlockpt/ptsname_r: %s", t_errname(errno));
		T_STOP();
	}
	return m;
}

/* A new pty with its slave open too (not as a controlling terminal). */
T_UNUSED static int t_pty_pair(int *slave)
{
	char name[64];
	int m = t_openpt(name, sizeof name);
	*slave = open(name, O_RDWR | O_NOCTTY);
	if (*slave < 0) {
		t_fail(__FILE__, __LINE__, "open %s: %s", name, t_errname(errno));
		T_STOP();
	}
	return m;
}

/* In a child: a new session whose controlling terminal is the slave
 * named name, opened as fds 0, 1 and 2.  Ends the child on failure. */
T_UNUSED static void t_session_on(const char *name)
{
	int fd;
	if (setsid() < 0) {
		t_fail(__FILE__, __LINE__, "setsid: %s", t_errname(errno));
		_exit(1);
	}
	fd = open(name, O_RDWR);          /* a session leader's first terminal */
	if (fd < 0) {
		t_fail(__FILE__, __LINE__, "open %s: %s", name, t_errname(errno));
		_exit(1);
	}
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

/* Read what the master shows: wait up to ms milliseconds for the first
 * byte, then take more while it keeps coming (gaps under 100 ms); at most
 * size - 1 bytes, NUL-terminated; the count. */
T_UNUSED static ssize_t t_master_read(int m, char *buf, size_t size, int ms)
{
	size_t n = 0;
	long long end = t_now_ns() + ms * 1000000LL;
	for (;;) {
		long long left = (end - t_now_ns()) / 1000000LL;
		if (n && left > 100)
			left = 100;
		struct pollfd p = {.fd = m, .events = POLLIN};
		if (left < 0 || poll(&p, 1, (int)left) <= 0 || !(p.revents & POLLIN))
			break;
		ssize_t r = read(m, buf + n, size - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n == size - 1)
			break;
	}
	buf[n] = 0;
	return (ssize_t)n;
}

/* Wait (up to ms) until the master has shown text. */
T_UNUSED static int t_master_expect(int m, const char *text, int ms)
{
	static char seen[4096];
	size_t n = 0;
	long long end = t_now_ns() + ms * 1000000LL;
	seen[0] = 0;
	while (!strstr(seen, text) && t_now_ns() < end && n < sizeof seen - 1) {
		struct pollfd p = {.fd = m, .events = POLLIN};
		if (poll(&p, 1, 50) <= 0 || !(p.revents & POLLIN))
			continue;
		ssize_t r = read(m, seen + n, sizeof seen - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		seen[n] = 0;
	}
	return strstr(seen, text) != NULL;
}

#endif
