/* pipes: pipe/pipe2, data and EOF across fork, non-blocking pipes,
 * SIGPIPE/EPIPE, poll/ppoll/select/pselect6, FIONREAD, PIPE_BUF atomicity,
 * a large transfer, FIFOs, and a pipe opened again through /proc/self/fd
 * and /dev/fd (bash's process substitution). */
#define T_GROUP "pipes"
#include "t.h"

#include <limits.h>
#include <poll.h>
#include <sys/vfs.h>
#include <sys/ioctl.h>
#include <sys/select.h>

static volatile sig_atomic_t got_usr1;
static void on_usr1(int sig)
{
	(void)sig;
	got_usr1++;
}

TEST(pipe_basic)
{
	int p[2];
	REQUIRE_OK(pipe(p));
	CHECK(p[0] >= 0 && p[1] >= 0 && p[0] != p[1]);
	struct stat st;
	CHECK_OK(fstat(p[0], &st));
	CHECK(S_ISFIFO(st.st_mode));
	CHECK_EQ(fcntl(p[0], F_GETFL) & O_ACCMODE, O_RDONLY);
	CHECK_EQ(fcntl(p[1], F_GETFL) & O_ACCMODE, O_WRONLY);
	CHECK_EQ(fcntl(p[0], F_GETFD), 0);
	CHECK_EQ(write(p[1], "hello", 5), 5);
	char buf[16] = {0};
	CHECK_EQ(read(p[0], buf, sizeof buf), 5); /* what is there, not the count */
	CHECK_STR(buf, "hello");
	/* wrong ends */
	CHECK_ERR(write(p[0], "x", 1), EBADF);
	CHECK_ERR(read(p[1], buf, 1), EBADF);
	CHECK_ERR(lseek(p[0], 0, SEEK_SET), ESPIPE);
	/* order kept across writes */
	CHECK_EQ(write(p[1], "ab", 2), 2);
	CHECK_EQ(write(p[1], "cd", 2), 2);
	CHECK_EQ(read(p[0], buf, 3), 3);
	CHECK(memcmp(buf, "abc", 3) == 0);
	CHECK_EQ(read(p[0], buf, 3), 1);
	CHECK_EQ(buf[0], 'd');
	CHECK_ERR(pipe(T_NULLPTR), EFAULT);
}

TEST(pipe2_flags)
{
	int p[2];
	REQUIRE_OK(pipe2(p, O_CLOEXEC | O_NONBLOCK));
	CHECK_EQ(fcntl(p[0], F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(p[1], F_GETFD), FD_CLOEXEC);
	CHECK(fcntl(p[0], F_GETFL) & O_NONBLOCK);
	CHECK(fcntl(p[1], F_GETFL) & O_NONBLOCK);
	int q[2];
	REQUIRE_OK(pipe2(q, O_CLOEXEC));
	CHECK_EQ(fcntl(q[0], F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(q[0], F_GETFL) & O_NONBLOCK, 0);
	REQUIRE_OK(pipe2(q, 0));
	CHECK_EQ(fcntl(q[1], F_GETFD), 0);
	errno = 0;
	CHECK_EQ(syscall(SYS_pipe2, q, O_APPEND), -1);
	CHECK_EQ(errno, EINVAL);
}

TEST(through_fork)
{
	int p[2], back[2];
	REQUIRE_OK(pipe(p));
	REQUIRE_OK(pipe(back));
	pid_t pid = t_fork();
	if (pid == 0) {
		close(p[1]);
		close(back[0]);
		char buf[64];
		ssize_t n = t_read_full(p[0], buf, 12);
		/* echo it back, upper-cased */
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] >= 'a' && buf[i] <= 'z')
				buf[i] = (char)(buf[i] - 32);
		_exit(write(back[1], buf, (size_t)n) == n && n == 12 ? 0 : 1);
	}
	close(p[0]);
	close(back[1]);
	CHECK_EQ(write(p[1], "from parent!", 12), 12);
	char buf[32] = {0};
	CHECK_EQ(t_read_full(back[0], buf, sizeof buf - 1), 12);
	CHECK_STR(buf, "FROM PARENT!");
	CHECK_EXIT(t_wait(pid), 0);
}

TEST(eof_when_writers_closed)
{
	int p[2];
	REQUIRE_OK(pipe(p));
	int extra = REQUIRE_OK(dup(p[1]));
	pid_t pid = t_fork();
	if (pid == 0) {
		close(p[0]);
		write(p[1], "child", 5);
		_exit(0); /* closes its write ends */
	}
	close(p[1]);
	char buf[16];
	CHECK_EQ(t_read_full(p[0], buf, 5), 5);
	CHECK_EXIT(t_wait(pid), 0);
	/* our dup'ed write end still holds it open: no EOF yet */
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	CHECK_ERR(read(p[0], buf, 1), EAGAIN);
	close(extra);
	CHECK_EQ(read(p[0], buf, 1), 0); /* now EOF */
	CHECK_EQ(read(p[0], buf, 1), 0);
}

TEST(eof_blocking_reader)
{
	/* a reader blocked in read() wakes with 0 when the last writer goes */
	int p[2];
	REQUIRE_OK(pipe(p));
	pid_t pid = t_fork();
	if (pid == 0) {
		close(p[0]);
		t_msleep(50);
		_exit(0);
	}
	close(p[1]);
	char c;
	CHECK_EQ(read(p[0], &c, 1), 0);
	CHECK_EXIT(t_wait(pid), 0);
}

TEST(nonblocking)
{
	int p[2];
	REQUIRE_OK(pipe2(p, O_NONBLOCK));
	char buf[4096];
	CHECK_ERR(read(p[0], buf, 1), EAGAIN);
	/* fill it: writes succeed until EAGAIN; at least PIPE_BUF fit */
	memset(buf, 'z', sizeof buf);
	long total = 0;
	for (;;) {
		ssize_t w = write(p[1], buf, sizeof buf);
		if (w < 0)
			break;
		total += w;
		if (total > 64 << 20)
			break;
	}
	CHECK_EQ(errno, EAGAIN);
	CHECK_MSG(total >= PIPE_BUF, "pipe held only %ld bytes", total);
	CHECK_ERR(write(p[1], "x", 1), EAGAIN);
	/* and drain it */
	long got = 0;
	ssize_t r;
	while ((r = read(p[0], buf, sizeof buf)) > 0)
		got += r;
	CHECK_EQ(r, -1);
	CHECK_EQ(errno, EAGAIN);
	CHECK_EQ(got, total);
	/* set O_NONBLOCK later through fcntl */
	int q[2];
	REQUIRE_OK(pipe(q));
	CHECK_OK(fcntl(q[0], F_SETFL, O_NONBLOCK));
	CHECK_ERR(read(q[0], buf, 1), EAGAIN);
	close(q[1]);
	CHECK_EQ(read(q[0], buf, 1), 0); /* EOF wins over EAGAIN */
}

TEST(sigpipe_kills)
{
	int p[2];
	REQUIRE_OK(pipe(p));
	close(p[0]);
	pid_t pid = t_fork();
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		write(p[1], "x", 1);
		_exit(0);
	}
	CHECK_KILLED(t_wait(pid), SIGPIPE);
}

TEST(epipe_when_ignored)
{
	int p[2];
	REQUIRE_OK(pipe(p));
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	CHECK_ERR(write(p[1], "x", 1), EPIPE);
	/* a handler runs, then EPIPE */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sigaction(SIGPIPE, &sa, NULL);
	got_usr1 = 0;
	CHECK_ERR(write(p[1], "x", 1), EPIPE);
	CHECK_EQ(got_usr1, 1);
	/* blocked: EPIPE, and SIGPIPE left pending */
	signal(SIGPIPE, SIG_DFL);
	sigset_t set, pend;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &set, NULL);
	CHECK_ERR(write(p[1], "x", 1), EPIPE);
	sigpending(&pend);
	CHECK(sigismember(&pend, SIGPIPE));
	signal(SIGPIPE, SIG_IGN); /* discards it */
	sigpending(&pend);
	CHECK(!sigismember(&pend, SIGPIPE));
}

TEST(poll_basic)
{
	int p[2];
	REQUIRE_OK(pipe(p));
	struct pollfd fds[2] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}};
	/* empty: write end writable, read end not readable */
	CHECK_EQ(poll(fds, 2, 0), 1);
	CHECK_EQ(fds[0].revents, 0);
	CHECK_EQ(fds[1].revents, POLLOUT);
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK_EQ(poll(fds, 2, 0), 2);
	CHECK_EQ(fds[0].revents, POLLIN);
	CHECK_EQ(poll(fds, 1, -1), 1); /* ready: -1 does not block */
	char c;
	CHECK_EQ(read(p[0], &c, 1), 1);
	CHECK_EQ(poll(fds, 1, 0), 0);
	/* a negative fd is ignored; a closed one is POLLNVAL */
	int q[2];
	REQUIRE_OK(pipe(q));
	close(q[0]);
	struct pollfd f2[2] = {{-1, POLLIN, 0}, {q[0], POLLIN, 0}};
	CHECK_EQ(poll(f2, 2, 0), 1);
	CHECK_EQ(f2[0].revents, 0);
	CHECK_EQ(f2[1].revents, POLLNVAL);
	CHECK_EQ(poll(NULL, 0, 0), 0);
}

TEST(poll_hup)
{
	int p[2];
	REQUIRE_OK(pipe(p));
	CHECK_EQ(write(p[1], "x", 1), 1);
	close(p[1]);
	struct pollfd f = {p[0], POLLIN, 0};
	CHECK_EQ(poll(&f, 1, 0), 1);
	CHECK_EQ(f.revents, POLLIN | POLLHUP); /* data still there, and hangup */
	char c;
	CHECK_EQ(read(p[0], &c, 1), 1);
	CHECK_EQ(poll(&f, 1, 1000), 1);
	CHECK(f.revents & POLLHUP);
	CHECK_EQ(f.revents & POLLIN, 0);
	/* POLLHUP is reported even when not asked for */
	f.events = 0;
	CHECK_EQ(poll(&f, 1, 0), 1);
	CHECK_EQ(f.revents, POLLHUP);
	/* the write end of a pipe without readers: POLLERR */
	int q[2];
	REQUIRE_OK(pipe(q));
	close(q[0]);
	struct pollfd g = {q[1], POLLOUT, 0};
	CHECK_EQ(poll(&g, 1, 0), 1);
	CHECK(g.revents & POLLERR);
}

TEST(poll_timeout)
{
	int p[2];
	REQUIRE_OK(pipe(p));
	struct pollfd f = {p[0], POLLIN, 0};
	long long t0 = t_now_ns();
	CHECK_EQ(poll(&f, 1, 0), 0);
	CHECK_EQ(poll(&f, 1, 50), 0);
	long long ms = (t_now_ns() - t0) / 1000000;
	CHECK_MSG(ms >= 49, "poll(50ms) returned after %lld ms", ms);
	CHECK_MSG(ms < 5000, "poll(50ms) returned after %lld ms", ms);
	CHECK_EQ(f.revents, 0);
}

TEST(poll_wakes)
{
	/* a poll blocked on an empty pipe wakes when a child writes */
	int p[2];
	REQUIRE_OK(pipe(p));
	pid_t pid = t_fork();
	if (pid == 0) {
		t_msleep(30);
		write(p[1], "w", 1);
		_exit(0);
	}
	struct pollfd f = {p[0], POLLIN, 0};
	long long t0 = t_now_ns();
	CHECK_EQ(poll(&f, 1, 10000), 1);
	CHECK_EQ(f.revents, POLLIN);
	CHECK((t_now_ns() - t0) < 9000000000LL);
	CHECK_EXIT(t_wait(pid), 0);
}

TEST(ppoll)
{
	int p[2];
	REQUIRE_OK(pipe(p));
	struct pollfd f = {p[0], POLLIN, 0};
	struct timespec zero = {0, 0}, small = {0, 20000000};
	CHECK_EQ(ppoll(&f, 1, &zero, NULL), 0);
	long long t0 = t_now_ns();
	CHECK_EQ(ppoll(&f, 1, &small, NULL), 0);
	CHECK((t_now_ns() - t0) >= 19000000);
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK_EQ(ppoll(&f, 1, NULL, NULL), 1);
	/* the mask is applied during the call: a blocked signal gets through */
	char c;
	read(p[0], &c, 1);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sigset_t block, empty;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigemptyset(&empty);
	sigprocmask(SIG_BLOCK, &block, NULL);
	got_usr1 = 0;
	kill(getpid(), SIGUSR1);
	CHECK_EQ(got_usr1, 0);
	struct timespec longer = {5, 0};
	CHECK_ERR(ppoll(&f, 1, &longer, &empty), EINTR);
	CHECK_EQ(got_usr1, 1);
	sigset_t now;
	sigprocmask(SIG_BLOCK, NULL, &now);
	CHECK(sigismember(&now, SIGUSR1)); /* the old mask is back */
}

TEST(select)
{
	int p[2];
	REQUIRE_OK(pipe(p));
	fd_set r, w;
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(p[0], &r);
	FD_SET(p[1], &w);
	struct timeval tv = {0, 0};
	CHECK_EQ(select(p[1] + 1, &r, &w, NULL, &tv), 1);
	CHECK(!FD_ISSET(p[0], &r));
	CHECK(FD_ISSET(p[1], &w));
	CHECK_EQ(write(p[1], "x", 1), 1);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	tv.tv_sec = 1;
	tv.tv_usec = 0;
	CHECK_EQ(select(p[0] + 1, &r, NULL, NULL, &tv), 1);
	CHECK(FD_ISSET(p[0], &r));
	/* a timeout: Linux writes back the time left (the system call does;
	 * musl's select() passes a copy, so call it by number) */
	char c;
	read(p[0], &c, 1);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	tv.tv_sec = 0;
	tv.tv_usec = 30000;
	long long t0 = t_now_ns();
	CHECK_EQ(syscall(SYS_select, p[0] + 1, &r, NULL, NULL, &tv), 0);
	CHECK((t_now_ns() - t0) >= 29000000);
	CHECK(!FD_ISSET(p[0], &r));
	CHECK_EQ(tv.tv_sec, 0);
	CHECK_EQ(tv.tv_usec, 0);
	/* EOF counts as readable */
	close(p[1]);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	CHECK_EQ(select(p[0] + 1, &r, NULL, NULL, NULL), 1);
	/* a closed descriptor */
	int q[2];
	REQUIRE_OK(pipe(q));
	close(q[0]);
	FD_ZERO(&r);
	FD_SET(q[0], &r);
	tv.tv_sec = 0;
	CHECK_ERR(select(q[0] + 1, &r, NULL, NULL, &tv), EBADF);
	/* nothing but a timeout: a sleep */
	tv.tv_sec = 0;
	tv.tv_usec = 10000;
	CHECK_EQ(select(0, NULL, NULL, NULL, &tv), 0);
}

TEST(pselect6)
{
	int p[2];
	REQUIRE_OK(pipe(p));
	fd_set r;
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	struct timespec ts = {0, 20000000};
	long long t0 = t_now_ns();
	CHECK_EQ(pselect(p[0] + 1, &r, NULL, NULL, &ts, NULL), 0);
	CHECK((t_now_ns() - t0) >= 19000000);
	CHECK_EQ(write(p[1], "x", 1), 1);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	ts.tv_sec = 1;
	CHECK_EQ(pselect(p[0] + 1, &r, NULL, NULL, &ts, NULL), 1);
	CHECK(FD_ISSET(p[0], &r));
	/* with a mask that unblocks a pending signal */
	char c;
	read(p[0], &c, 1);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sigset_t block, empty;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigemptyset(&empty);
	sigprocmask(SIG_BLOCK, &block, NULL);
	got_usr1 = 0;
	kill(getpid(), SIGUSR1);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	ts.tv_sec = 5;
	CHECK_ERR(pselect(p[0] + 1, &r, NULL, NULL, &ts, &empty), EINTR);
	CHECK_EQ(got_usr1, 1);
	/* and the raw system call with its {sigset, size} argument */
	struct {
		const sigset_t *ss;
		size_t len;
	} arg = {NULL, 8};
	struct timespec z = {0, 0};
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	CHECK_EQ(syscall(SYS_pselect6, p[0] + 1, &r, NULL, NULL, &z, &arg), 0);
}

TEST(fionread)
{
	int p[2];
	REQUIRE_OK(pipe(p));
	int n = -1;
	CHECK_OK(ioctl(p[0], FIONREAD, &n));
	CHECK_EQ(n, 0);
	CHECK_EQ(write(p[1], "hello", 5), 5);
	CHECK_EQ(write(p[1], "world!", 6), 6);
	CHECK_OK(ioctl(p[0], FIONREAD, &n));
	CHECK_EQ(n, 11);
	char buf[4];
	CHECK_EQ(read(p[0], buf, 4), 4);
	CHECK_OK(ioctl(p[0], FIONREAD, &n));
	CHECK_EQ(n, 7);
}

TEST(atomic_writes)
{
	/* writers of PIPE_BUF-sized blocks never interleave inside a block */
	enum { WRITERS = 4, BLOCKS = 64 };
	int p[2];
	REQUIRE_OK(pipe(p));
	CHECK_EQ(PIPE_BUF, 4096);
	pid_t kids[WRITERS];
	for (int k = 0; k < WRITERS; k++) {
		kids[k] = t_fork();
		if (kids[k] == 0) {
			close(p[0]);
			static char blk[PIPE_BUF];
			memset(blk, 'A' + k, sizeof blk);
			for (int b = 0; b < BLOCKS; b++)
				if (write(p[1], blk, sizeof blk) != (ssize_t)sizeof blk)
					_exit(1);
			_exit(0);
		}
	}
	close(p[1]);
	static char blk[PIPE_BUF];
	int counts[WRITERS] = {0}, torn = 0, blocks = 0;
	for (;;) {
		ssize_t n = t_read_full(p[0], blk, sizeof blk);
		if (n == 0)
			break;
		if (n != (ssize_t)sizeof blk) {
			torn++;
			break;
		}
		blocks++;
		int k = blk[0] - 'A';
		for (size_t i = 1; i < sizeof blk; i++)
			if (blk[i] != blk[0]) {
				torn++;
				break;
			}
		if (k >= 0 && k < WRITERS)
			counts[k]++;
	}
	CHECK_EQ(torn, 0);
	CHECK_EQ(blocks, WRITERS * BLOCKS);
	for (int k = 0; k < WRITERS; k++) {
		CHECK_EQ(counts[k], BLOCKS);
		CHECK_EXIT(t_wait(kids[k]), 0);
	}
}

static unsigned char pattern(size_t i)
{
	return (unsigned char)((i * 131) ^ (i >> 11));
}

TEST(large_write)
{
	/* one 1 MiB write(), read by a child that checks every byte */
	enum { SIZE = 1 << 20 };
	int p[2];
	REQUIRE_OK(pipe(p));
	pid_t pid = t_fork();
	if (pid == 0) {
		close(p[1]);
		static unsigned char buf[65536];
		size_t total = 0;
		int bad = 0;
		ssize_t n;
		while ((n = read(p[0], buf, 1000 + total % 7000)) > 0) {
			for (ssize_t i = 0; i < n; i++)
				bad |= buf[i] != pattern(total + (size_t)i);
			total += (size_t)n;
		}
		_exit(n < 0 ? 3 : bad ? 2 : total != SIZE ? 4 : 0);
	}
	close(p[0]);
	unsigned char *big = malloc(SIZE);
	REQUIRE(big != NULL);
	for (size_t i = 0; i < SIZE; i++)
		big[i] = pattern(i);
	CHECK_EQ(write(p[1], big, SIZE), SIZE); /* blocking: all of it */
	close(p[1]);
	CHECK_EXIT(t_wait(pid), 0);
}

TEST(large_read_from_child)
{
	/* the other direction: the child writes 1 MiB in odd pieces */
	enum { SIZE = 1 << 20 };
	int p[2];
	REQUIRE_OK(pipe(p));
	pid_t pid = t_fork();
	if (pid == 0) {
		close(p[0]);
		static unsigned char buf[SIZE];
		for (size_t i = 0; i < SIZE; i++)
			buf[i] = pattern(i);
		size_t off = 0;
		while (off < SIZE) {
			size_t n = 1 + (off * 7) % 9000;
			if (n > SIZE - off)
				n = SIZE - off;
			if (write(p[1], buf + off, n) != (ssize_t)n)
				_exit(1);
			off += n;
		}
		_exit(0);
	}
	close(p[1]);
	static unsigned char buf[SIZE + 1];
	CHECK_EQ(t_read_full(p[0], buf, SIZE + 1), SIZE);
	size_t bad = 0;
	for (size_t i = 0; i < SIZE; i++)
		bad += buf[i] != pattern(i);
	CHECK_EQ(bad, 0);
	CHECK_EXIT(t_wait(pid), 0);
}

TEST(fifo)
{
	REQUIRE_OK(mkfifo("fifo", 0644));
	pid_t pid = t_fork();
	if (pid == 0) {
		int fd = open("fifo", O_WRONLY); /* blocks until the reader opens */
		if (fd < 0)
			_exit(1);
		if (write(fd, "through the fifo", 16) != 16)
			_exit(2);
		_exit(0);
	}
	int fd = REQUIRE_OK(open("fifo", O_RDONLY));
	char buf[32] = {0};
	CHECK_EQ(t_read_full(fd, buf, sizeof buf - 1), 16);
	CHECK_STR(buf, "through the fifo");
	CHECK_EXIT(t_wait(pid), 0);
	close(fd);
}

TEST(fifo_nonblock_open)
{
	REQUIRE_OK(mkfifo("fifo", 0600));
	/* a reader without a writer opens at once */
	int r = CHECK_OK(open("fifo", O_RDONLY | O_NONBLOCK));
	char c;
	CHECK_EQ(read(r, &c, 1), 0); /* no writer: EOF, not EAGAIN */
	close(r);
	/* a writer without a reader: ENXIO */
	CHECK_ERR(open("fifo", O_WRONLY | O_NONBLOCK), ENXIO);
	r = REQUIRE_OK(open("fifo", O_RDONLY | O_NONBLOCK));
	int w = CHECK_OK(open("fifo", O_WRONLY | O_NONBLOCK));
	CHECK_ERR(read(r, &c, 1), EAGAIN); /* a writer, no data */
	CHECK_EQ(write(w, "q", 1), 1);
	CHECK_EQ(read(r, &c, 1), 1);
	CHECK_EQ(c, 'q');
	/* O_RDWR never blocks on Linux */
	int rw = CHECK_OK(open("fifo", O_RDWR));
	close(rw);
	struct stat st;
	CHECK_OK(fstat(r, &st));
	CHECK(S_ISFIFO(st.st_mode));
	CHECK_EQ(st.st_size, 0);
}

TEST(many_pipes)
{
	/* 100 pipes open at once, each carrying its own byte */
	int p[100][2];
	for (int i = 0; i < 100; i++)
		REQUIRE_OK(pipe(p[i]));
	for (int i = 0; i < 100; i++)
		CHECK_EQ(write(p[i][1], &(char){(char)i}, 1), 1);
	int bad = 0;
	for (int i = 99; i >= 0; i--) {
		char c;
		if (read(p[i][0], &c, 1) != 1 || c != (char)i)
			bad++;
	}
	CHECK_EQ(bad, 0);
}

TEST(pipeline_of_children)
{
	/* parent -> a -> b -> parent, each child adding 1 to each byte */
	int p1[2], p2[2], p3[2];
	REQUIRE_OK(pipe(p1));
	REQUIRE_OK(pipe(p2));
	REQUIRE_OK(pipe(p3));
	pid_t a = t_fork();
	if (a == 0) {
		dup2(p1[0], 0);
		dup2(p2[1], 1);
		for (int i = 3; i < 20; i++)
			if (i != t_fail_fd)
				close(i);
		char c;
		while (read(0, &c, 1) == 1) {
			c++;
			write(1, &c, 1);
		}
		_exit(0);
	}
	pid_t b = t_fork();
	if (b == 0) {
		dup2(p2[0], 0);
		dup2(p3[1], 1);
		for (int i = 3; i < 20; i++)
			if (i != t_fail_fd)
				close(i);
		char c;
		while (read(0, &c, 1) == 1) {
			c++;
			write(1, &c, 1);
		}
		_exit(0);
	}
	close(p1[0]);
	close(p2[0]);
	close(p2[1]);
	close(p3[1]);
	CHECK_EQ(write(p1[1], "HAL", 3), 3);
	close(p1[1]);
	char buf[8] = {0};
	CHECK_EQ(t_read_full(p3[0], buf, sizeof buf - 1), 3);
	CHECK_STR(buf, "JCN");
	CHECK_EXIT(t_wait(a), 0);
	CHECK_EXIT(t_wait(b), 0);
}

/* A pipe is an inode of pipefs: fstat, fstatfs and /proc/self/fd agree. */
TEST(pipe_inode)
{
	int p[2];
	struct stat a, b;
	struct statfs fs;
	char link[64], want[64];
	REQUIRE_OK(pipe(p));
	CHECK_OK(fstat(p[0], &a));
	CHECK_OK(fstat(p[1], &b));
	CHECK(S_ISFIFO(a.st_mode));
	CHECK_EQ(a.st_mode & 0777, 0600);
	CHECK_EQ(a.st_nlink, 1);
	CHECK_EQ(a.st_ino, b.st_ino);          /* both ends: one inode */
	CHECK_EQ(a.st_dev, b.st_dev);
	CHECK_OK(fstatfs(p[0], &fs));
	CHECK_EQ(fs.f_type, 0x50495045);       /* PIPEFS_MAGIC */
	snprintf(link, sizeof link, "/proc/self/fd/%d", p[0]);
	ssize_t n = readlink(link, want, sizeof want - 1);
	CHECK(n > 0);
	want[n > 0 ? n : 0] = 0;
	snprintf(link, sizeof link, "pipe:[%lu]", (unsigned long)a.st_ino);
	CHECK_STR(want, link);
	struct stat c;                          /* fstatat(fd, "", AT_EMPTY_PATH) */
	CHECK_OK(fstatat(p[1], "", &c, AT_EMPTY_PATH));
	CHECK_EQ(c.st_ino, a.st_ino);
	int q[2];
	REQUIRE_OK(pipe(q));
	CHECK_OK(fstat(q[0], &c));
	CHECK(c.st_ino != a.st_ino);
	close(p[0]), close(p[1]), close(q[0]), close(q[1]);
}

/* Opening /proc/self/fd/N of a pipe's end opens the pipe again, without
 * waiting for a partner as a named FIFO would. */
TEST(pipe_reopen)
{
	int p[2];
	char path[64], buf[16] = {0};
	REQUIRE_OK(pipe(p));
	snprintf(path, sizeof path, "/proc/self/fd/%d", p[0]);
	int r = open(path, O_RDONLY);
	REQUIRE(r >= 0);
	CHECK(r != p[0]);
	CHECK_EQ(write(p[1], "via proc", 8), 8);
	CHECK_EQ(read(r, buf, sizeof buf), 8);
	CHECK_STR(buf, "via proc");
	snprintf(path, sizeof path, "/dev/fd/%d", p[1]);
	int w = open(path, O_WRONLY);
	REQUIRE(w >= 0);
	close(p[1]);                            /* the reopened end still writes */
	CHECK_EQ(write(w, "dev", 3), 3);
	memset(buf, 0, sizeof buf);
	CHECK_EQ(read(p[0], buf, sizeof buf), 3);
	CHECK_STR(buf, "dev");
	/* bash's "cmd > >(other)" opens it with O_CREAT|O_TRUNC: the link is
	 * followed to the pipe, as for any existing file */
	snprintf(path, sizeof path, "/dev/fd/%d", w);
	int c = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	REQUIRE(c >= 0);
	CHECK_EQ(write(c, "creat", 5), 5);
	memset(buf, 0, sizeof buf);
	CHECK_EQ(read(p[0], buf, sizeof buf), 5);
	CHECK_STR(buf, "creat");
	close(c);
	close(w);                               /* the last writer: end of file */
	CHECK_EQ(read(r, buf, sizeof buf), 0);
	CHECK_EQ(read(p[0], buf, sizeof buf), 0);
	close(r), close(p[0]);
	/* a descriptor that is not open */
	CHECK_ERR(open("/dev/fd/200", O_RDONLY), ENOENT);
}

/* /dev/fd, /dev/stdin and friends, and a deleted file reached through its
 * descriptor's link. */
TEST(dev_fd_links)
{
	char buf[64];
	ssize_t n = readlink("/dev/fd", buf, sizeof buf - 1);
	CHECK(n > 0);
	buf[n > 0 ? n : 0] = 0;
	CHECK_STR(buf, "/proc/self/fd");
	n = readlink("/dev/stderr", buf, sizeof buf - 1);
	CHECK(n > 0);
	buf[n > 0 ? n : 0] = 0;
	CHECK_STR(buf, "/proc/self/fd/2");
	int fd = open("/tmp/t_pipes_deleted", O_RDWR | O_CREAT | O_TRUNC, 0600);
	REQUIRE(fd >= 0);
	CHECK_EQ(write(fd, "kept", 4), 4);
	CHECK_OK(unlink("/tmp/t_pipes_deleted"));
	char path[64];
	snprintf(path, sizeof path, "/dev/fd/%d", fd);
	int again = open(path, O_RDONLY);
	REQUIRE(again >= 0);
	memset(buf, 0, sizeof buf);
	CHECK_EQ(read(again, buf, sizeof buf), 4);  /* its own offset, from 0 */
	CHECK_STR(buf, "kept");
	struct stat a, b;
	CHECK_OK(fstat(fd, &a));
	CHECK_OK(fstat(again, &b));
	CHECK_EQ(a.st_ino, b.st_ino);
	CHECK_EQ(a.st_nlink, 0);
	close(fd), close(again);
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
