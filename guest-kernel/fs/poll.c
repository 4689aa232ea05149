/*
 * poll.c: poll, ppoll, select and pselect6.
 *
 * Waiting for any of several files uses one channel: whatever may make a
 * file ready (pipe traffic and closes, console input) calls poll_notify(),
 * which wakes every poller to look again.  A poller with a timeout sleeps
 * on the timer tick instead, so it also sees its deadline pass; a wakeup
 * then costs it up to one tick.  A signal ends the wait with EINTR (poll
 * and select are never restarted after a handler, as on Linux).
 */
#include "defs.h"

struct pollfd {
	s32 fd;
	s16 events;
	s16 revents;
};

#define POLL_MAX NOFILE_MAX
static char poll_chan;

void poll_notify(void)
{
	wakeup(&poll_chan);
}

/* The events of one descriptor that are ready now (always POLLERR and
 * POLLHUP if they hold), or POLLNVAL. */
static int ready(int fd, int events)
{
	struct file *f = fd_file(fd);
	int ev;

	if (!f)
		return POLLNVAL;
	ev = f->op->poll ? f->op->poll(f) : POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
	return ev & (events | POLLERR | POLLHUP);
}

/* Sleep until poll_notify() or, with a deadline, the next tick.  False if
 * the deadline (ns, monotonic; 0: none) has passed or a signal came. */
static bool wait_event(u64 deadline)
{
	if (signal_pending())
		return false;
	if (deadline) {
		if (clock_monotonic() >= deadline)
			return false;
		timer_wait_tick();
	} else {
		sleep(&poll_chan);
	}
	return !signal_pending();
}

/* The deadline for a timeout of ns (-1: none, 0: do not wait). */
static u64 deadline_after(s64 ns)
{
	if (ns < 0)
		return 0;
	return clock_monotonic() + (u64)ns + 1;
}

static s64 do_poll(u64 fds_va, u64 nfds, s64 timeout_ns)
{
	struct pollfd *fds = (struct pollfd *)fds_va;
	u64 deadline = deadline_after(timeout_ns);

	if (nfds > POLL_MAX)
		return -EINVAL;
	if (nfds && !user_ok(fds_va, nfds * sizeof(*fds), true))
		return -EFAULT;
	for (;;) {
		int n = 0;
		for (u64 i = 0; i < nfds; i++) {
			fds[i].revents = fds[i].fd < 0 ? 0 : ready(fds[i].fd, fds[i].events);
			if (fds[i].revents)
				n++;
		}
		if (n || timeout_ns == 0)
			return n;
		if (!wait_event(deadline))
			return signal_pending() ? -EINTR : 0;
	}
}

static s64 ns_of(const struct timespec *ts)
{
	return ts->tv_sec * (s64)NS_PER_S + ts->tv_nsec;
}

s64 sys_poll(u64 fds, u64 nfds, u64 timeout_ms)
{
	s32 t = (s32)timeout_ms;

	return do_poll(fds, nfds, t < 0 ? -1 : (s64)t * 1000000);
}

/* ppoll and pselect6 swap the signal mask for the wait (signal.c). */
s64 sys_ppoll(u64 fds, u64 nfds, u64 ts_va, u64 mask_va, u64 masksize)
{
	struct timespec ts;
	s64 r;

	if (ts_va && copyin(&ts, ts_va, sizeof(ts)) < 0)
		return -EFAULT;
	if (ts_va && (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= (s64)NS_PER_S))
		return -EINVAL;
	if ((r = signal_mask_swap(mask_va, masksize)) < 0)
		return r;
	r = do_poll(fds, nfds, ts_va ? ns_of(&ts) : -1);
	signal_mask_restore(r == -EINTR);
	return r;
}

/* select: fd_sets of nfds bits, rewritten with the ready ones. */
static s64 do_select(u64 nfds, u64 rd_va, u64 wr_va, u64 ex_va, s64 timeout_ns)
{
	u64 in[3][NOFILE_MAX / 64] = { 0 }, out[3][NOFILE_MAX / 64];
	u64 va[3] = { rd_va, wr_va, ex_va };
	u64 bytes = (nfds + 7) / 8;
	u64 deadline = deadline_after(timeout_ns);

	if ((s64)nfds < 0)
		return -EINVAL;
	if (nfds > NOFILE_MAX)
		nfds = NOFILE_MAX;
	bytes = (nfds + 63) / 64 * 8;
	for (int k = 0; k < 3; k++)
		if (va[k] && copyin(in[k], va[k], bytes) < 0)
			return -EFAULT;
	for (u64 fd = 0; fd < nfds; fd++)
		for (int k = 0; k < 3; k++)
			if (((in[k][fd / 64] >> (fd % 64)) & 1) && !fd_file(fd))
				return -EBADF;
	for (;;) {
		int n = 0;
		memset(out, 0, sizeof(out));
		for (u64 fd = 0; fd < nfds; fd++) {
			int want = 0, ev;
			for (int k = 0; k < 3; k++)
				want |= ((in[k][fd / 64] >> (fd % 64)) & 1) << k;
			if (!want)
				continue;
			ev = ready(fd, POLLIN | POLLOUT | POLLPRI);
			bool hit[3] = { (want & 1) && (ev & (POLLIN | POLLHUP | POLLERR)),
					(want & 2) && (ev & (POLLOUT | POLLERR)),
					(want & 4) && (ev & POLLPRI) };
			for (int k = 0; k < 3; k++) {
				if (hit[k]) {
					out[k][fd / 64] |= 1ul << (fd % 64);
					n++;
				}
			}
		}
		if (n || timeout_ns == 0) {
			for (int k = 0; k < 3; k++)
				if (va[k] && copyout(va[k], out[k], bytes) < 0)
					return -EFAULT;
			return n;
		}
		if (!wait_event(deadline)) {
			if (signal_pending())
				return -EINTR;
			for (int k = 0; k < 3; k++)
				if (va[k] && copyout(va[k], out[k], bytes) < 0)
					return -EFAULT;
			return 0;
		}
	}
}

/* What select() and pselect6() leave in their timeout: the time of
 * timeout_ns not slept since start, 0 if it ran out (result r == 0). */
static s64 time_left(s64 timeout_ns, u64 start, s64 r)
{
	s64 left = timeout_ns - (s64)(clock_monotonic() - start);

	return left < 0 || r == 0 ? 0 : left;
}

s64 sys_select(u64 nfds, u64 rd, u64 wr, u64 ex, u64 tv_va)
{
	struct timeval tv;

	if (tv_va && copyin(&tv, tv_va, sizeof(tv)) < 0)
		return -EFAULT;
	if (tv_va && (tv.tv_sec < 0 || tv.tv_usec < 0))
		return -EINVAL;
	s64 timeout = tv_va ? tv.tv_sec * (s64)NS_PER_S + tv.tv_usec * 1000 : -1;
	u64 start = clock_monotonic();
	s64 r = do_select(nfds, rd, wr, ex, timeout);

	if (tv_va && r != -EFAULT && r != -EBADF && r != -EINVAL) {
		/* Linux's select() leaves the time not slept in *tv. */
		s64 left = time_left(timeout, start, r);
		tv.tv_sec = left / NS_PER_S;
		tv.tv_usec = left % NS_PER_S / 1000;
		copyout(tv_va, &tv, sizeof(tv));
	}
	return r;
}

s64 sys_pselect6(u64 nfds, u64 rd, u64 wr, u64 ex, u64 ts_va, u64 sig_va)
{
	struct timespec ts;
	struct {
		u64 mask_va;
		u64 size;
	} sig = { 0, 0 };
	s64 r;

	if (ts_va && copyin(&ts, ts_va, sizeof(ts)) < 0)
		return -EFAULT;
	if (ts_va && (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= (s64)NS_PER_S))
		return -EINVAL;
	if (sig_va && copyin(&sig, sig_va, sizeof(sig)) < 0)
		return -EFAULT;
	if ((r = signal_mask_swap(sig.mask_va, sig.size)) < 0)
		return r;
	u64 start = clock_monotonic();
	r = do_select(nfds, rd, wr, ex, ts_va ? ns_of(&ts) : -1);
	signal_mask_restore(r == -EINTR);
	if (ts_va && r != -EFAULT && r != -EBADF && r != -EINVAL) {
		s64 left = time_left(ns_of(&ts), start, r);
		ts.tv_sec = left / NS_PER_S;
		ts.tv_nsec = left % NS_PER_S;
		copyout(ts_va, &ts, sizeof(ts));
	}
	return r;
}
