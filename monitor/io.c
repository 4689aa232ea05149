/*
 * The I/O thread: the guest's view of the outside world arrives here.
 *
 * It waits (epoll) on standard input, on a timerfd that the vCPU thread arms
 * for the next PIT tick, and on SIGINT/SIGTERM/SIGHUP (signalfd; the signals
 * are blocked in every thread).  It touches no device: it only queues input
 * bytes and notes events, then wakes the vCPU thread: through an eventfd
 * when that thread sleeps on a halted guest, and with a kick (host_kick())
 * to the context process the guest is running in, which the host layer
 * turns into a stop (HOST_EXIT_KICK).  Only the vCPU thread runs the
 * guest, feeds devices and injects interrupts.
 *
 * The console: when standard input is a terminal it goes into raw input
 * mode (no echo, no line editing, no signals from ^C: those keys belong to
 * the guest), with output processing kept so the guest's "\n" starts a new
 * line.  Ctrl-A x quits, Ctrl-A s saves a snapshot (--snapshot-file, ctl.c),
 * Ctrl-A Ctrl-A sends a Ctrl-A, Ctrl-A h prints help
 * (QEMU's keys).  The terminal is restored on every way out: normal exit,
 * a signal, a monitor error, even a monitor crash (io_restore_terminal from
 * a fatal-signal handler).  When standard input is a pipe or a file, its end
 * reaches the guest as ^D (twice if the last line had no newline): what a
 * terminal's line discipline would read as end of input.
 *
 * The console may instead be a pseudo-terminal of the monitor's own
 * (console.c): the same escapes, no raw mode to set or restore here.  The
 * console's size is read from its terminal at start and after each change
 * (SIGWINCH for our own terminal, a look at every wake-up for the pty,
 * whose clients resize it without telling us) into io.winsize.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <termios.h>
#include <unistd.h>

#include "vm.h"

#define CTRL_A 0x01
#define CTRL_D 0x04

/* The one piece of process-wide state: the terminal settings to put back,
 * for the crash handler, which has nothing else to go by. */
static struct termios saved_tio;
static volatile sig_atomic_t tio_saved_fd = -1;

void io_restore_terminal(void)
{
	if (tio_saved_fd >= 0)
		tcsetattr(tio_saved_fd, TCSAFLUSH, &saved_tio);
}

static void io_crash_handler(int sig)
{
	io_restore_terminal();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Wake the vCPU thread: the eventfd for a sleeping vCPU, the kick for a
 * running guest. */
void io_wake(struct io *io)
{
	u64 one = 1;
	pid_t pid;

	atomic_fetch_add(&io->events, 1);
	if (write(io->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return;
	pid = atomic_load(&io->running);
	if (pid > 0) {
		atomic_fetch_add(&io->kicks, 1);
		host_kick(pid);
	}
}

/* Append input bytes to the queue; false if it is full. */
static bool io_queue(struct io *io, const u8 *b, size_t n)
{
	bool ok = true;

	pthread_mutex_lock(&io->lock);
	for (size_t i = 0; i < n; i++) {
		if (io->in_len == sizeof(io->in_buf)) {
			ok = false;
			break;
		}
		io->in_buf[(io->in_head + io->in_len) % sizeof(io->in_buf)] = b[i];
		io->in_len++;
	}
	pthread_mutex_unlock(&io->lock);
	return ok;
}

/* The console's size now; on a change, tell the vCPU thread (vm_hypercall.c
 * passes it to the guest). */
static void io_read_winsize(struct io *io)
{
	struct winsize ws;
	unsigned v;

	if (io->size_fd < 0 || ioctl(io->size_fd, TIOCGWINSZ, &ws) < 0)
		return;
	v = ws.ws_row && ws.ws_col ? (unsigned)ws.ws_row << 16 | ws.ws_col : 0;
	if (v == atomic_load(&io->winsize))
		return;
	atomic_store(&io->winsize, v);
	atomic_fetch_add(&io->winsize_seq, 1);
	io_wake(io);
}

/* Standard input ended.  A terminal's end is the user's own ^D; a pipe's or
 * file's reaches the guest as ^D at the start of a line: one, or two when
 * the last line had no newline (the first completes that line). */
static void io_queue_eof(struct io *io)
{
	static const u8 eof[2] = { CTRL_D, CTRL_D };

	atomic_store(&io->in_eof, true);
	if (!io->escapes)
		io_queue(io, eof, io->last_in == '\n' || io->last_in == 0 ? 1 : 2);
}

static size_t io_space(struct io *io)
{
	pthread_mutex_lock(&io->lock);
	size_t n = sizeof(io->in_buf) - io->in_len;
	pthread_mutex_unlock(&io->lock);
	return n;
}

static void io_request_quit(struct io *io, int how)
{
	atomic_store(&io->quit, how);
	io_wake(io);
}

/* Console escapes (only on a terminal): Ctrl-A then a key. */
static size_t io_escapes(struct io *io, u8 *b, size_t n)
{
	size_t out = 0;

	for (size_t i = 0; i < n; i++) {
		if (io->escape) {
			io->escape = false;
			switch (b[i]) {
			case 'x': case 'X':
				io_request_quit(io, IO_QUIT_USER);
				return out;
			case 's': case 'S':
				atomic_store(&io->save_requested, true);
				io_wake(io);
				break;
			case 'h': case 'H': case '?': {
				static const char help[] =
					"\r\nC-a x    exit trapvisor\r\n"
					"C-a s    save a snapshot to the --snapshot-file\r\n"
					"C-a C-a  send C-a to the guest\r\n"
					"C-a h    this help\r\n";
				if (write(STDERR_FILENO, help, sizeof(help) - 1) < 0)
					break;
				break;
			}
			case CTRL_A:
				b[out++] = CTRL_A;
				break;
			default:
				break;              /* unknown: dropped, as in QEMU */
			}
			continue;
		}
		if (b[i] == CTRL_A && io->escapes) {
			io->escape = true;
			continue;
		}
		b[out++] = b[i];
	}
	return out;
}

static void io_read_input(struct io *io)
{
	u8 b[512];
	size_t room = io_space(io);
	ssize_t n;

	if (room == 0) {
		/* Full: stop listening until the vCPU thread drains the queue. */
		epoll_ctl(io->epfd, EPOLL_CTL_DEL, io->in_fd, NULL);
		atomic_store(&io->in_paused, true);
		return;
	}
	n = read(io->in_fd, b, room < sizeof(b) ? room : sizeof(b));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		/* End of input: the guest reads it as ^D at the start of a line. */
		epoll_ctl(io->epfd, EPOLL_CTL_DEL, io->in_fd, NULL);
		io_queue_eof(io);
		io_wake(io);
		return;
	}
	size_t m = io_escapes(io, b, n);
	if (m) {
		io->last_in = b[m - 1];
		io_queue(io, b, m);
		io_wake(io);
	}
}

static void *io_thread(void *arg)
{
	struct io *io = arg;
	struct epoll_event ev[8];

	for (;;) {
		int n = epoll_wait(io->epfd, ev, 8, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < n; i++) {
			int fd = ev[i].data.fd;
			if (fd == io->stop_fd)
				return NULL;
			if (fd == io->timer_fd) {
				u64 expirations;
				if (read(io->timer_fd, &expirations, sizeof(expirations)) > 0) {
					atomic_store(&io->timer_fired, true);
					io_wake(io);
				}
			} else if (fd == io->sig_fd) {
				struct signalfd_siginfo si;
				if (read(io->sig_fd, &si, sizeof(si)) != sizeof(si))
					continue;
				if (si.ssi_signo == SIGWINCH)
					io_read_winsize(io);
				else
					io_request_quit(io, (int)si.ssi_signo);
			} else if (fd == io->in_fd) {
				io_read_input(io);
			}
		}
		if (io->size_poll)
			io_read_winsize(io);      /* a pty's client resizes it silently */
	}
	return NULL;
}

static int io_watch(struct io *io, int fd)
{
	struct epoll_event e = { .events = EPOLLIN, .data.fd = fd };
	return epoll_ctl(io->epfd, EPOLL_CTL_ADD, fd, &e);
}

/* Raw input, cooked output: the guest does the line editing; the host
 * terminal still turns "\n" into "\r\n". */
static void io_raw_mode(struct io *io)
{
	struct termios t;

	if (tcgetattr(io->in_fd, &saved_tio) < 0)
		return;
	t = saved_tio;
	t.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	t.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	t.c_cflag |= CS8;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(io->in_fd, TCSAFLUSH, &t) == 0) {
		tio_saved_fd = io->in_fd;
		io->tty = io->escapes = true;
		atexit(io_restore_terminal);
		signal(SIGSEGV, io_crash_handler);
		signal(SIGBUS, io_crash_handler);
		signal(SIGABRT, io_crash_handler);
		signal(SIGFPE, io_crash_handler);
	}
}

int io_start(struct io *io, const struct console *con, char *err, size_t errlen)
{
	int in_fd = con->in_fd;
	sigset_t sigs;

	memset(io, 0, sizeof(*io));
	io->inited = true;
	io->in_fd = in_fd;
	io->size_fd = con->size_fd;
	io->size_poll = con->pty;
	io->epfd = io->timer_fd = io->wake_fd = io->stop_fd = io->sig_fd = -1;
	pthread_mutex_init(&io->lock, NULL);

	/* SIGINT/SIGTERM/SIGHUP/SIGWINCH become events of this thread: blocked
	 * here before any thread or context process exists, so all inherit it. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGWINCH);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	io->epfd = epoll_create1(EPOLL_CLOEXEC);
	io->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	io->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	io->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	io->sig_fd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	if (io->epfd < 0 || io->timer_fd < 0 || io->wake_fd < 0 || io->stop_fd < 0 ||
	    io->sig_fd < 0 || io_watch(io, io->timer_fd) < 0 || io_watch(io, io->stop_fd) < 0 ||
	    io_watch(io, io->sig_fd) < 0)
		goto err;
	io_read_winsize(io);
	if (in_fd >= 0) {
		if (con->pty)
			io->escapes = true;   /* raw already (console.c) */
		else if (isatty(in_fd))
			io_raw_mode(io);
		if (io_watch(io, in_fd) < 0) {
			/* A regular file cannot be polled: it is all there now. */
			if (errno != EPERM)
				goto err;
			io->in_poll_unsupported = true;
		}
	}
	if (pthread_create(&io->thread, NULL, io_thread, io) != 0) {
		errno = EAGAIN;
		goto err;
	}
	io->started = true;
	if (io->in_poll_unsupported)
		io_slurp_file(io);
	return 0;
err:
	snprintf(err, errlen, "cannot start the I/O thread: %s", strerror(errno));
	io_stop(io);
	return -1;
}

/* Standard input is a regular file: epoll refuses it, so read it in the
 * vCPU thread's place as the queue drains (io_take_input). */
void io_slurp_file(struct io *io)
{
	u8 b[512];
	size_t room = io_space(io);
	ssize_t n;

	if (atomic_load(&io->in_eof) || !room)
		return;
	n = read(io->in_fd, b, room < sizeof(b) ? room : sizeof(b));
	if (n > 0) {
		io->last_in = b[n - 1];
		io_queue(io, b, n);
	} else if (n == 0 || errno != EINTR) {
		io_queue_eof(io);
	}
}

void io_stop(struct io *io)
{
	u64 one = 1;

	if (!io->inited)
		return;
	if (io->started) {
		if (write(io->stop_fd, &one, sizeof(one)) < 0)
			pthread_cancel(io->thread);
		pthread_join(io->thread, NULL);
		io->started = false;
	}
	if (io->tty) {
		io_restore_terminal();
		tio_saved_fd = -1;
		io->tty = false;
	}
	int *fds[] = { &io->epfd, &io->timer_fd, &io->wake_fd, &io->stop_fd, &io->sig_fd };
	for (unsigned i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (*fds[i] >= 0) {
			close(*fds[i]);
			*fds[i] = -1;
		}
	pthread_mutex_destroy(&io->lock);
	io->inited = false;
}

size_t io_take_input(struct io *io, u8 *buf, size_t max)
{
	size_t n = 0;

	pthread_mutex_lock(&io->lock);
	while (n < max && io->in_len) {
		buf[n++] = io->in_buf[io->in_head];
		io->in_head = (io->in_head + 1) % sizeof(io->in_buf);
		io->in_len--;
	}
	pthread_mutex_unlock(&io->lock);
	/* Room again: listen to standard input again. */
	if (n && atomic_exchange(&io->in_paused, false))
		io_watch(io, io->in_fd);
	if (io->in_poll_unsupported)
		io_slurp_file(io);
	return n;
}

bool io_input_pending(struct io *io)
{
	pthread_mutex_lock(&io->lock);
	bool any = io->in_len != 0;
	pthread_mutex_unlock(&io->lock);
	return any;
}

void io_arm_timer(struct io *io, u64 deadline_ns)
{
	struct itimerspec its = { 0 };

	if (deadline_ns == io->armed_ns)
		return;
	io->armed_ns = deadline_ns;
	its.it_value.tv_sec = deadline_ns / 1000000000ull;
	its.it_value.tv_nsec = deadline_ns % 1000000000ull;
	timerfd_settime(io->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

int io_sleep(struct io *io)
{
	struct pollfd p = { .fd = io->wake_fd, .events = POLLIN };
	u64 v;

	while (poll(&p, 1, -1) < 0)
		if (errno != EINTR)
			return -errno;
	if (read(io->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return -errno;
	return 0;
}
