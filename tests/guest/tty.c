/*
 * tty - terminals through a pseudo-terminal pair: /dev/ptmx and devpts
 * (posix_openpt, grantpt, unlockpt, ptsname, the lock), the default
 * termios, canonical input with its echo and editing, ^V, raw input with
 * VMIN/VTIME, output processing (ONLCR, OPOST), FIONREAD, TCFLSH,
 * TCSETSF, the window size and SIGWINCH, ^S/^Q, the controlling terminal
 * (/dev/tty, TIOCSCTTY, TIOCGSID, TIOCNOTTY), and hangups in both
 * directions.
 */
#define T_GROUP "tty"
#include "t.h"
#include "pty.h"

#include <sys/sendfile.h>

TEST(openpt)
{
	char name[64];
	int m = t_openpt(name, sizeof name);
	CHECK_MSG(strncmp(name, "/dev/pts/", 9) == 0, "ptsname %s", name);
	CHECK(isatty(m));
	int s = open(name, O_RDWR | O_NOCTTY);
	REQUIRE_OK(s);
	CHECK(isatty(s));
	char tname[64];
	CHECK_EQ(ttyname_r(s, tname, sizeof tname), 0);
	CHECK_STR(tname, name);
	struct stat st;
	CHECK_OK(stat(name, &st));
	CHECK(S_ISCHR(st.st_mode));
	unsigned int n;
	CHECK_OK(ioctl(m, TIOCGPTN, &n));
	char want[64];
	snprintf(want, sizeof want, "/dev/pts/%u", n);
	CHECK_STR(name, want);
	close(s);
	close(m);
	/* The slave goes away with its master. */
	CHECK_ERR(stat(name, &st), ENOENT);
}

TEST(locked_until_unlockpt)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	REQUIRE_OK(m);
	unsigned int n;
	REQUIRE_OK(ioctl(m, TIOCGPTN, &n));
	char name[64];
	snprintf(name, sizeof name, "/dev/pts/%u", n);
	CHECK_ERR(open(name, O_RDWR | O_NOCTTY), EIO);
	CHECK_OK(unlockpt(m));
	int s = open(name, O_RDWR | O_NOCTTY);
	CHECK_OK(s);
	close(s);
	close(m);
}

TEST(devpts_listed)
{
	char name[64];
	int m = t_openpt(name, sizeof name);
	DIR *d = opendir("/dev/pts");
	REQUIRE(d != NULL);
	int found = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, name + 9) == 0)
			found = 1;
	closedir(d);
	CHECK_MSG(found, "%s not in /dev/pts", name);
	close(m);
}

TEST(default_termios)
{
	int s, m = t_pty_pair(&s);
	struct termios t;
	REQUIRE_OK(tcgetattr(s, &t));
	CHECK_EQ(t.c_iflag & (ICRNL | IXON | INLCR | IGNCR | ISTRIP), ICRNL | IXON);
	CHECK_EQ(t.c_oflag & (OPOST | ONLCR), OPOST | ONLCR);
	CHECK_EQ(t.c_lflag & (ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN |
			      ECHONL | NOFLSH | TOSTOP),
		 ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN);
	CHECK_EQ(t.c_cflag & CSIZE, CS8);
	CHECK_EQ(cfgetospeed(&t), B38400);
	CHECK_EQ(t.c_cc[VINTR], 3);
	CHECK_EQ(t.c_cc[VQUIT], 28);
	CHECK_EQ(t.c_cc[VERASE], 127);
	CHECK_EQ(t.c_cc[VKILL], 21);
	CHECK_EQ(t.c_cc[VEOF], 4);
	CHECK_EQ(t.c_cc[VSUSP], 26);
	CHECK_EQ(t.c_cc[VWERASE], 23);
	CHECK_EQ(t.c_cc[VLNEXT], 22);
	CHECK_EQ(t.c_cc[VMIN], 1);
	CHECK_EQ(t.c_cc[VTIME], 0);
	close(s);
	close(m);
}

TEST(canonical_line_and_echo)
{
	int s, m = t_pty_pair(&s);
	char buf[256];
	REQUIRE_OK(write(m, "hel", 3));
	CHECK_EQ(t_master_read(m, buf, sizeof buf, 300), 3);   /* the echo */
	CHECK_STR(buf, "hel");
	int n = 0;
	CHECK_OK(ioctl(s, FIONREAD, &n));
	CHECK_EQ(n, 0);                                      /* no line yet */
	REQUIRE_OK(write(m, "lo\r", 3));
	CHECK_EQ(t_master_read(m, buf, sizeof buf, 300), 4);
	CHECK_STR(buf, "lo\r\n");
	CHECK_OK(ioctl(s, FIONREAD, &n));
	CHECK_EQ(n, 6);
	ssize_t r = read(s, buf, sizeof buf);
	CHECK_EQ(r, 6);
	buf[r > 0 ? r : 0] = 0;
	CHECK_STR(buf, "hello\n");
	close(s);
	close(m);
}

TEST(editing)
{
	int s, m = t_pty_pair(&s);
	char buf[256];
	const char typed[] = "ab\x7f" "c\x15" "foo bar\x17" "baz\x16\x03\r";
	REQUIRE_OK(write(m, typed, sizeof typed - 1));
	ssize_t r = read(s, buf, sizeof buf);
	REQUIRE(r > 0);
	buf[r] = 0;
	CHECK_STR(buf, "foo baz\x03\n");
	t_master_read(m, buf, sizeof buf, 300);
	CHECK_STR(buf, "ab\b \bc\b \b\b \bfoo bar\b \b\b \b\b \bbaz^\b^C\r\n");
	close(s);
	close(m);
}

TEST(eof)
{
	int s, m = t_pty_pair(&s);
	char buf[64];
	REQUIRE_OK(write(m, "ab\x04\x04", 4));
	CHECK_EQ(read(s, buf, sizeof buf), 2);
	CHECK_EQ(read(s, buf, sizeof buf), 0);
	close(s);
	close(m);
}

TEST(echo_off)
{
	int s, m = t_pty_pair(&s);
	struct termios t;
	char buf[64];
	REQUIRE_OK(tcgetattr(s, &t));
	t.c_lflag &= ~ECHO;
	REQUIRE_OK(tcsetattr(s, TCSANOW, &t));
	REQUIRE_OK(write(m, "secret\r", 7));
	CHECK_EQ(read(s, buf, sizeof buf), 7);
	CHECK_EQ(t_master_read(m, buf, sizeof buf, 200), 0);
	/* ECHONL still shows the newline. */
	t.c_lflag |= ECHONL;
	REQUIRE_OK(tcsetattr(s, TCSANOW, &t));
	REQUIRE_OK(write(m, "x\r", 2));
	t_master_read(m, buf, sizeof buf, 300);
	CHECK_STR(buf, "\r\n");
	close(s);
	close(m);
}

TEST(raw_vmin_vtime)
{
	int s, m = t_pty_pair(&s);
	struct termios t;
	char buf[64];
	REQUIRE_OK(tcgetattr(s, &t));
	cfmakeraw(&t);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 2;                /* 0.2 s for the first byte */
	REQUIRE_OK(tcsetattr(s, TCSANOW, &t));
	long long t0 = t_now_ns();
	CHECK_EQ(read(s, buf, sizeof buf), 0);
	long long ms = (t_now_ns() - t0) / 1000000;
	CHECK_MSG(ms >= 150, "VTIME 2 returned after %lld ms", ms);
	REQUIRE_OK(write(m, "xyz", 3));
	t_msleep(50);
	CHECK_EQ(read(s, buf, sizeof buf), 3);
	/* MIN 0, TIME 0: a poll. */
	t.c_cc[VTIME] = 0;
	REQUIRE_OK(tcsetattr(s, TCSANOW, &t));
	CHECK_EQ(read(s, buf, sizeof buf), 0);
	/* MIN 3: a read waits for three bytes. */
	t.c_cc[VMIN] = 3;
	REQUIRE_OK(tcsetattr(s, TCSANOW, &t));
	pid_t pid = t_fork();
	if (pid == 0) {
		t_msleep(100);
		write(m, "a", 1);
		t_msleep(100);
		write(m, "bc", 2);
		_exit(0);
	}
	ssize_t r = read(s, buf, sizeof buf);
	CHECK_EQ(r, 3);
	CHECK_EXIT(t_wait(pid), 0);
	/* Raw input: no echo, no editing, CR as it is. */
	REQUIRE_OK(write(m, "\x7f\r\x03", 3));
	t_msleep(50);
	CHECK_EQ(read(s, buf, sizeof buf), 3);
	CHECK(memcmp(buf, "\x7f\r\x03", 3) == 0);
	close(s);
	close(m);
}

TEST(raw_inter_byte_timer)
{
	int s, m = t_pty_pair(&s);
	struct termios t;
	char buf[64];
	REQUIRE_OK(tcgetattr(s, &t));
	cfmakeraw(&t);
	t.c_cc[VMIN] = 10;
	t.c_cc[VTIME] = 2;
	REQUIRE_OK(tcsetattr(s, TCSANOW, &t));
	REQUIRE_OK(write(m, "ab", 2));
	/* Fewer than VMIN, then a 0.2 s pause: the read returns the two. */
	CHECK_EQ(read(s, buf, sizeof buf), 2);
	close(s);
	close(m);
}

TEST(output_processing)
{
	int s, m = t_pty_pair(&s);
	struct termios t;
	char buf[64];
	REQUIRE_OK(write(s, "a\nb", 3));
	t_master_read(m, buf, sizeof buf, 300);
	CHECK_STR(buf, "a\r\nb");
	REQUIRE_OK(tcgetattr(s, &t));
	t.c_oflag &= ~ONLCR;
	REQUIRE_OK(tcsetattr(s, TCSANOW, &t));
	REQUIRE_OK(write(s, "c\nd", 3));
	t_master_read(m, buf, sizeof buf, 300);
	CHECK_STR(buf, "c\nd");
	t.c_oflag |= ONLCR;
	t.c_oflag &= ~OPOST;
	REQUIRE_OK(tcsetattr(s, TCSANOW, &t));
	REQUIRE_OK(write(s, "e\n", 2));
	t_master_read(m, buf, sizeof buf, 300);
	CHECK_STR(buf, "e\n");
	close(s);
	close(m);
}

TEST(flush_and_setsf)
{
	int s, m = t_pty_pair(&s);
	struct termios t;
	char buf[64];
	int n = -1;
	REQUIRE_OK(write(m, "one\r", 4));
	t_master_read(m, buf, sizeof buf, 300);
	CHECK_OK(tcflush(s, TCIFLUSH));
	CHECK_OK(ioctl(s, FIONREAD, &n));
	CHECK_EQ(n, 0);
	REQUIRE_OK(write(m, "two\r", 4));
	t_master_read(m, buf, sizeof buf, 300);
	REQUIRE_OK(tcgetattr(s, &t));
	CHECK_OK(tcsetattr(s, TCSAFLUSH, &t));
	CHECK_OK(ioctl(s, FIONREAD, &n));
	CHECK_EQ(n, 0);
	CHECK_ERR(tcflush(s, 7), EINVAL);
	CHECK_OK(tcdrain(s));
	close(s);
	close(m);
}

TEST(stop_start_output)
{
	int s, m = t_pty_pair(&s);
	char buf[64];
	REQUIRE_OK(write(m, "\x13", 1));         /* ^S */
	t_msleep(50);
	pid_t pid = t_fork();
	if (pid == 0) {
		write(s, "held", 4);
		_exit(0);
	}
	CHECK_EQ(t_master_read(m, buf, sizeof buf, 300), 0);
	REQUIRE_OK(write(m, "\x11", 1));         /* ^Q */
	t_master_read(m, buf, sizeof buf, 1000);
	CHECK_STR(buf, "held");
	CHECK_EXIT(t_wait(pid), 0);
	/* tcflow: TCOOFF/TCOON the same. */
	CHECK_OK(tcflow(s, TCOOFF));
	CHECK_OK(tcflow(s, TCOON));
	REQUIRE_OK(write(s, "x", 1));
	t_master_read(m, buf, sizeof buf, 300);
	CHECK_STR(buf, "x");
	close(s);
	close(m);
}

static volatile sig_atomic_t winch;
static void on_winch(int sig)
{
	(void)sig;
	winch++;
}

TEST(winsize_and_sigwinch)
{
	char name[64];
	int m = t_openpt(name, sizeof name);
	struct winsize ws = {.ws_row = 33, .ws_col = 101};
	struct winsize got;
	REQUIRE_OK(ioctl(m, TIOCSWINSZ, &ws));
	int s = open(name, O_RDWR | O_NOCTTY);
	REQUIRE_OK(s);
	REQUIRE_OK(ioctl(s, TIOCGWINSZ, &got));
	CHECK_EQ(got.ws_row, 33);
	CHECK_EQ(got.ws_col, 101);
	/* A session on the slave: SIGWINCH to its foreground group when the
	 * size changes, none when it stays. */
	int pfd[2];
	REQUIRE_OK(pipe(pfd));
	pid_t pid = t_fork();
	if (pid == 0) {
		signal(SIGWINCH, on_winch);
		t_session_on(name);
		alarm(20);
		write(pfd[1], "r", 1);
		while (winch == 0)
			pause();
		t_msleep(300);            /* a second one would come by now */
		char c = (char)('0' + winch);
		write(pfd[1], &c, 1);
		_exit(0);
	}
	char c = 0;
	REQUIRE(read(pfd[0], &c, 1) == 1);
	REQUIRE_OK(ioctl(m, TIOCSWINSZ, &ws));     /* unchanged: no signal */
	ws.ws_row = 40;
	REQUIRE_OK(ioctl(m, TIOCSWINSZ, &ws));
	CHECK(read(pfd[0], &c, 1) == 1);
	CHECK_EQ(c, '1');
	CHECK_EXIT(t_wait(pid), 0);
	REQUIRE_OK(ioctl(s, TIOCGWINSZ, &got));
	CHECK_EQ(got.ws_row, 40);
	close(s);
	close(m);
}

TEST(controlling_terminal)
{
	char name[64];
	int m = t_openpt(name, sizeof name);
	int pfd[2];
	REQUIRE_OK(pipe(pfd));
	pid_t pid = t_fork();
	if (pid == 0) {
		close(pfd[0]);
		alarm(20);
		/* Without a controlling terminal /dev/tty does not open. */
		setsid();
		CHECK_ERR(open("/dev/tty", O_RDWR), ENXIO);
		/* O_NOCTTY does not take it; TIOCSCTTY does. */
		int s = open(name, O_RDWR | O_NOCTTY);
		CHECK_OK(s);
		CHECK_ERR(tcgetpgrp(s), ENOTTY);
		CHECK_OK(ioctl(s, TIOCSCTTY, 0));
		CHECK_EQ(tcgetpgrp(s), getpid());
		pid_t sid = -1;
		CHECK_OK(ioctl(s, TIOCGSID, &sid));
		CHECK_EQ(sid, getpid());
		CHECK_EQ(tcgetsid(s), getpid());
		int t = open("/dev/tty", O_RDWR);
		CHECK_OK(t);
		CHECK_EQ(write(t, "via-dev-tty", 11), 11);
		/* A child in the session has it too; it may not take another. */
		pid_t c = t_fork();
		if (c == 0) {
			CHECK_EQ(tcgetsid(0 + s), getppid());
			CHECK_ERR(ioctl(s, TIOCSCTTY, 0), EPERM);
			CHECK_ERR(tcsetpgrp(s, 99999), ESRCH);
			_exit(t_nfail ? 1 : 0);
		}
		CHECK_EXIT(t_wait(c), 0);
		/* The leader lets it go: SIGHUP to its foreground group (itself). */
		signal(SIGHUP, SIG_IGN);
		CHECK_OK(ioctl(s, TIOCNOTTY));
		CHECK_ERR(open("/dev/tty", O_RDWR), ENXIO);
		CHECK_ERR(tcgetpgrp(s), ENOTTY);
		_exit(t_nfail ? 1 : 0);
	}
	close(pfd[1]);
	CHECK(t_master_expect(m, "via-dev-tty", 5000));
	CHECK_EXIT(t_wait(pid), 0);
	close(m);
}

TEST(master_closed_hangs_up_slave)
{
	char name[64];
	int m = t_openpt(name, sizeof name);
	int pfd[2];
	REQUIRE_OK(pipe(pfd));
	pid_t pid = t_fork();
	if (pid == 0) {
		/* A session leader on the slave, reading it: the hangup gives
		 * it SIGHUP; ignoring that, its read ends with end of file and
		 * a write fails with EIO. */
		signal(SIGHUP, SIG_IGN);
		close(m);
		t_session_on(name);
		alarm(20);
		write(pfd[1], "r", 1);
		char buf[16];
		CHECK_ERR(read(0, buf, sizeof buf), EIO);
		CHECK_EQ(read(0, buf, sizeof buf), 0);
		CHECK_ERR(write(1, "x", 1), EIO);
		_exit(t_nfail ? 1 : 0);
	}
	char c;
	REQUIRE(read(pfd[0], &c, 1) == 1);
	t_msleep(100);
	close(m);
	CHECK_EXIT(t_wait(pid), 0);
	/* Without SIG_IGN, the leader dies of SIGHUP. */
	m = t_openpt(name, sizeof name);
	pid = t_fork();
	if (pid == 0) {
		close(m);
		t_session_on(name);
		alarm(20);
		write(pfd[1], "r", 1);
		char buf[16];
		read(0, buf, sizeof buf);
		_exit(0);
	}
	REQUIRE(read(pfd[0], &c, 1) == 1);
	t_msleep(100);
	close(m);
	CHECK_KILLED(t_wait(pid), SIGHUP);
}

TEST(slave_closed_master_eio)
{
	int s, m = t_pty_pair(&s);
	char buf[16];
	REQUIRE_OK(write(s, "bye", 3));
	close(s);
	/* What was written comes first, then EIO. */
	CHECK_EQ(read(m, buf, sizeof buf), 3);
	CHECK_ERR(read(m, buf, sizeof buf), EIO);
	struct pollfd p = {.fd = m, .events = POLLIN};
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK(p.revents & POLLHUP);
	close(m);
}

TEST(nonblocking)
{
	int s, m = t_pty_pair(&s);
	char buf[16];
	fcntl(s, F_SETFL, O_NONBLOCK);
	fcntl(m, F_SETFL, O_NONBLOCK);
	CHECK_ERR(read(s, buf, sizeof buf), EAGAIN);
	CHECK_ERR(read(m, buf, sizeof buf), EAGAIN);
	struct pollfd p[2] = {{.fd = s, .events = POLLIN | POLLOUT}, {.fd = m, .events = POLLIN | POLLOUT}};
	CHECK_EQ(poll(p, 2, 0), 2);
	CHECK_EQ(p[0].revents, POLLOUT);
	CHECK_EQ(p[1].revents, POLLOUT);
	REQUIRE_OK(write(m, "x\r", 2));
	t_msleep(50);
	CHECK_EQ(poll(p, 2, 0), 2);
	CHECK_EQ(p[0].revents, POLLIN | POLLOUT);
	CHECK_EQ(p[1].revents, POLLIN | POLLOUT);   /* the echo */
	close(s);
	close(m);
}

TEST(sendfile_from_terminal)
{
	int s, m = t_pty_pair(&s);
	int p[2];
	char buf[16];
	REQUIRE_OK(pipe(p));
	REQUIRE_OK(write(m, "hello\r", 6));
	/* What is there, then back (busybox cat copies a terminal this way). */
	CHECK_EQ(sendfile(p[1], s, NULL, 4096), 6);
	CHECK_EQ(read(p[0], buf, sizeof buf), 6);
	close(s);
	close(m);
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
