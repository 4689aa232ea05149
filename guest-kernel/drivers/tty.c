/*
 * tty.c: what every terminal does, whatever its driver (tty.h): the file
 * operations of /dev/console, /dev/tty and /dev/pts/N, the controlling
 * terminal of a session, and job control, after Linux's tty_io.c,
 * tty_jobctrl.c and n_tty.c's read and write.
 *
 * (i) Input.  The driver hands typed bytes to tty_receive(), which runs
 * the line discipline (n_tty.c) on each, shows its echo through the
 * driver, and sends the signal a VINTR, VQUIT or VSUSP asks for to the
 * foreground process group.
 *
 * (ii) Reading.  Canonical mode: a line.  Raw mode: VMIN and VTIME
 * (n_tty_raw_wait()); a timed wait sleeps on the timer tick and looks
 * again.  A reader in a background process group of the terminal's
 * session gets SIGTTIN (its whole group; the read restarts once it is
 * continued), or EIO if it ignores or blocks SIGTTIN or its group is
 * orphaned.  O_NONBLOCK gives EAGAIN.  A hung-up terminal reads end of
 * file; a read waiting when the hangup comes ends with EIO.
 *
 * (iii) Writing.  Each byte through OPOST (n_tty_output()), waiting while
 * output is stopped (^S) or the driver has no room.  With TOSTOP a
 * background writer gets SIGTTOU, unless it ignores or blocks it (then the
 * write goes on); an orphaned one gets EIO.  Changing the settings
 * (TCSETS*, TCFLSH, TCXONC, TIOCSPGRP) is checked the same way whatever
 * TOSTOP says.
 *
 * (iv) The controlling terminal.  A terminal controls at most one session
 * (t->session); every process of that session has it as its controlling
 * terminal (tty_of_session()), /dev/tty opens it.  A session leader
 * without one takes the terminal it opens (unless O_NOCTTY) if no session
 * has it, or by TIOCSCTTY.  When the leader exits, the foreground group
 * gets SIGHUP and the terminal is free again (Linux's disassociate_ctty());
 * the leader's TIOCNOTTY does the same and also sends SIGCONT.  The
 * kernel's own programs are in session 0, which never has a controlling
 * terminal, in process group 0, the console's foreground group until a
 * session takes it; they keep one old convenience (proc_intr()): one that
 * ignores SIGINT has its console read end with EINTR at a ^C, which is how
 * the kernel's small shell (user/sh.c) gives a fresh prompt.
 *
 * (v) The window size: TIOCSWINSZ and tty_set_winsize() store it per
 * terminal and, when it changed, send SIGWINCH to the foreground group.
 *
 * Not done: vhangup of the open files of a session whose console leader
 * exited (Linux makes them read 0 and fail writes; here they go on
 * working), a non-leader's TIOCNOTTY (it keeps its terminal), TIOCPKT,
 * TIOCCONS, and break and modem lines.
 */
#include "defs.h"

#define NTTY 32                   /* terminals registered at once: the console and the ptys */
#define TTY_CHUNK 256             /* output bytes processed before the driver is called */

static struct tty *ttys[NTTY];

void tty_init(struct tty *t, const struct tty_driver *d, int index)
{
	memset(t, 0, sizeof(*t));
	n_tty_init(&t->ld);
	t->driver = d;
	t->index = index;
	t->pgrp = -1;
	t->ws = (struct winsize){ .ws_row = 24, .ws_col = 80 };
}

void tty_register(struct tty *t)
{
	for (int i = 0; i < NTTY; i++)
		if (!ttys[i]) {
			ttys[i] = t;
			return;
		}
	panic("tty: more than %d terminals", NTTY);
}

void tty_unregister(struct tty *t)
{
	for (int i = 0; i < NTTY; i++)
		if (ttys[i] == t)
			ttys[i] = 0;
}

/* The controlling terminal of session sid, or 0. */
struct tty *tty_of_session(int sid)
{
	if (sid <= 0)
		return 0;
	for (int i = 0; i < NTTY; i++)
		if (ttys[i] && ttys[i]->session == sid)
			return ttys[i];
	return 0;
}

static bool is_ctty(struct tty *t)
{
	return t->session > 0 && cpu.proc && cpu.proc->sid == t->session;
}

/* Something changed that readers, writers or pollers wait for. */
static void tty_wake(struct tty *t)
{
	wakeup(t);
	poll_notify();
}

/* Show the line discipline's pending echo. */
static void flush_echo(struct tty *t)
{
	u8 buf[TTY_CHUNK];
	u32 n;

	while ((n = n_tty_echo_take(&t->ld, buf, sizeof(buf))) > 0)
		t->driver->write(t, buf, n);
}

/* ---- (i) Input ---- */

static const int isig_signal[] = {
	[N_TTY_INTR] = SIGINT, [N_TTY_QUIT] = SIGQUIT, [N_TTY_SUSP] = SIGTSTP,
};

bool tty_has_room(struct tty *t)
{
	return n_tty_has_room(&t->ld);
}

/* Bytes typed at terminal t (the driver checked tty_has_room() first). */
void tty_receive(struct tty *t, const u8 *buf, u64 n)
{
	for (u64 i = 0; i < n; i++) {
		enum n_tty_signal sig = n_tty_receive(&t->ld, buf[i]);
		flush_echo(t);
		if (sig == N_TTY_NONE || t->pgrp < 0)
			continue;
		if (sig == N_TTY_INTR)
			proc_intr(t->pgrp, t);   /* SIGINT, and the kernel's programs' EINTR */
		else
			signal_pgrp(t->pgrp, isig_signal[sig]);
	}
	tty_wake(t);
}

/* ---- Job control ---- */

/*
 * May the running process read (sig SIGTTIN) or change (SIGTTOU) terminal
 * t?  0: yes; -ERESTARTSYS: its group was sent sig; -EIO: it is in the
 * background and cannot be stopped.  As Linux's __tty_check_change().
 */
static int job_control(struct tty *t, int sig)
{
	struct proc *p = cpu.proc;

	if (!is_ctty(t) || t->pgrp < 0 || p->pgid == t->pgrp)
		return 0;
	if (signal_ignored(p, sig))
		return sig == SIGTTIN ? -EIO : 0;
	if (signal_pgrp_orphaned(p->pgid))
		return -EIO;
	signal_pgrp(p->pgid, sig);
	return -ERESTARTSYS;
}

/* ---- (ii) Reading ---- */

static bool nonblocking(struct file *f)
{
	return f->flags & O_NONBLOCK;
}

/* The driver's input room grew. */
static void read_done(struct tty *t)
{
	if (t->driver->unthrottle)
		t->driver->unthrottle(t);
	tty_wake(t);
}

static s64 tty_read(struct file *f, void *buf, u64 n, u64 *pos)
{
	struct tty *t = f->data;
	struct proc *p = cpu.proc;
	u64 got = 0, deadline = 0;
	int r;

	(void)pos;
	if (n == 0 || t->hungup)
		return 0;                 /* a hung-up terminal: end of file */
	if ((r = job_control(t, SIGTTIN)) < 0)
		return r;
	for (;;) {
		if (p->intr) {
			p->intr = false;
			if (!got)
				return -EINTR;
		}
		if (n_tty_readable(&t->ld)) {
			u64 before = got;
			got += n_tty_read(&t->ld, (u8 *)buf + got, n - got);
			read_done(t);
			if (t->ld.termios.c_lflag & ICANON)
				return got;
			if (got > before && t->ld.termios.c_cc[VMIN] && t->ld.termios.c_cc[VTIME])
				deadline = 0;     /* the inter-byte timer restarts */
		}
		if (!(t->ld.termios.c_lflag & ICANON)) {
			long wait = n_tty_raw_wait(&t->ld.termios, n, got);
			if (wait == 0)
				return got;
			if (wait > 0 && !deadline)
				deadline = clock_monotonic() + (u64)wait * 100000000ul;
			if (deadline && clock_monotonic() >= deadline)
				return got;
		}
		if (t->hungup)
			return got ? (s64)got : -EIO;   /* hung up while it waited */
		if (nonblocking(f))
			return got ? (s64)got : -EAGAIN;
		if (signal_pending())
			return got ? (s64)got : -ERESTARTSYS;
		if (deadline)
			timer_wait_tick();
		else
			sleep(t);
	}
}

/* ---- (iii) Writing ---- */

static s64 tty_write(struct file *f, const void *buf, u64 n, u64 *pos)
{
	struct tty *t = f->data;
	const u8 *src = buf;
	u8 out[TTY_CHUNK];
	u64 done = 0, len = 0;
	int r;

	(void)pos;
	if (t->hungup)
		return -EIO;
	if ((t->ld.termios.c_lflag & TOSTOP) && (r = job_control(t, SIGTTOU)) < 0)
		return r;
	while (done < n) {
		if (t->ld.stopped || t->driver->write_room(t) < len + N_TTY_OUT_MAX) {
			if (len) {
				t->driver->write(t, out, len);
				len = 0;
				continue;
			}
			if (t->hungup)
				return done ? (s64)done : -EIO;
			if (nonblocking(f))
				return done ? (s64)done : -EAGAIN;
			if (signal_pending())
				return done ? (s64)done : -ERESTARTSYS;
			sleep(t);
			continue;
		}
		len += n_tty_output(&t->ld, src[done++], out + len);
		if (len > sizeof(out) - N_TTY_OUT_MAX) {
			t->driver->write(t, out, len);
			len = 0;
		}
	}
	if (len)
		t->driver->write(t, out, len);
	return n;
}

/* ---- (iv) The controlling terminal ---- */

static void set_ctty(struct tty *t, struct proc *p)
{
	t->session = p->sid;
	t->pgrp = p->pgid;
}

/* Session t->session lets t go: SIGHUP (and with cont SIGCONT) to its
 * foreground group, as Linux's disassociate_ctty(). */
static void disassociate(struct tty *t, bool cont)
{
	int pgrp = t->pgrp;

	t->session = 0;
	t->pgrp = -1;
	if (pgrp >= 0) {
		signal_pgrp(pgrp, SIGHUP);
		if (cont)
			signal_pgrp(pgrp, SIGCONT);
	}
}

/* The leader of session sid is exiting (signal_exit()). */
void tty_session_exit(int sid)
{
	struct tty *t = tty_of_session(sid);

	if (t)
		disassociate(t, false);
}

/* The other side of t is gone (a pty master closed): reads end, writes
 * fail, and the leader of the session it controlled gets SIGHUP and
 * SIGCONT (Linux's tty_vhangup()). */
void tty_hangup(struct tty *t)
{
	struct proc *leader = t->session > 0 ? proc_find(t->session) : 0;

	t->hungup = true;
	if (leader && leader->sid == t->session) {
		signal_send(leader, SIGHUP);
		signal_send(leader, SIGCONT);
	}
	t->session = 0;
	t->pgrp = -1;
	tty_wake(t);
}

/* An open() of t (which sets f->data) without O_NOCTTY: a session
 * leader without a controlling terminal takes it if it is free. */
static void open_ctty(struct tty *t, u32 flags)
{
	struct proc *p = cpu.proc;

	if (p && !(flags & O_NOCTTY) && p->sid == p->pid && !tty_of_session(p->sid) && !t->session)
		set_ctty(t, p);
}

static int tty_open_file(struct tty *t, struct file *f)
{
	f->data = t;
	t->opens++;
	return 0;
}

/* open() of /dev/console, /dev/tty or /dev/pts/N. */
static int tty_open(struct file *f)
{
	u32 rdev = f->ip ? f->ip->rdev : DEV(5, 1);
	struct tty *t;
	int r;

	if (rdev == DEV(5, 0)) {
		/* /dev/tty: the controlling terminal */
		if (!(t = tty_of_session(cpu.proc->sid)))
			return -ENXIO;
	} else if (rdev == DEV(5, 1)) {
		t = console_tty();
	} else if ((r = pty_slave_lookup(rdev & 0xff, &t)) < 0) {
		return r;
	}
	return tty_open_file(t, f);
}

/* After a successful open (fs/file.c), with open()'s flags. */
void tty_opened(struct file *f, u32 flags)
{
	open_ctty(f->data, flags);
}

static void tty_release(struct file *f)
{
	struct tty *t = f->data;

	if (--t->opens == 0 && t->driver->close)
		t->driver->close(t);
}

/* TIOCSPGRP: pgrp becomes the foreground group; it must be a group of
 * the caller's session, which t must control. */
static int set_pgrp(struct tty *t, u64 arg)
{
	int pgrp, r;
	bool found = false;

	if ((r = job_control(t, SIGTTOU)) < 0)
		return r == -EIO ? -ENOTTY : r;
	if (!is_ctty(t))
		return -ENOTTY;
	if (copyin(&pgrp, arg, sizeof(pgrp)) < 0)
		return -EFAULT;
	if (pgrp < 0)
		return -EINVAL;
	for (struct proc *q = proc_next(0); q; q = proc_next(q)) {
		if (q->pgid != pgrp)
			continue;
		if (q->sid != t->session)
			return -EPERM;
		found = true;
	}
	if (!found)
		return -ESRCH;
	t->pgrp = pgrp;
	return 0;
}

/* TIOCSCTTY: the caller, a session leader without a terminal, takes t;
 * from another session only with arg 1 (as root, which the guest is). */
static int take_ctty(struct tty *t, u64 arg)
{
	struct proc *p = cpu.proc;

	if (p->sid == p->pid && t->session == p->sid)
		return 0;
	if (p->sid != p->pid || tty_of_session(p->sid))
		return -EPERM;
	if (t->session) {
		if (arg != 1)
			return -EPERM;
		t->session = 0;           /* stolen */
	}
	set_ctty(t, p);
	return 0;
}

/* ---- (v) The window size ---- */

/*
 * Terminal t has rows x cols now (TIOCSWINSZ, or the console driver when
 * the host's terminal is resized): stores it and, if it changed, sends
 * SIGWINCH to t's foreground group.  Pixel sizes are kept as they were.
 */
void tty_set_winsize(struct tty *t, u16 rows, u16 cols)
{
	struct winsize ws = t->ws;

	ws.ws_row = rows;
	ws.ws_col = cols;
	if (ws.ws_row == t->ws.ws_row && ws.ws_col == t->ws.ws_col)
		return;
	t->ws = ws;
	if (t->pgrp >= 0)
		signal_pgrp(t->pgrp, SIGWINCH);
}

static int set_winsize(struct tty *t, u64 arg)
{
	struct winsize ws;
	bool changed;

	if (copyin(&ws, arg, sizeof(ws)) < 0)
		return -EFAULT;
	changed = memcmp(&ws, &t->ws, sizeof(ws)) != 0;
	t->ws = ws;
	if (changed && t->pgrp >= 0)
		signal_pgrp(t->pgrp, SIGWINCH);
	return 0;
}

/* ---- ioctl ---- */

static int set_termios(struct tty *t, u64 req, u64 arg)
{
	struct termios tio;
	int r;

	if ((r = job_control(t, SIGTTOU)) < 0)
		return r;
	if (copyin(&tio, arg, sizeof(tio)) < 0)
		return -EFAULT;
	if (req == TCSETSF)
		n_tty_flush_input(&t->ld);
	n_tty_set_termios(&t->ld, &tio);
	tty_wake(t);                      /* a mode change may satisfy a reader */
	return 0;
}

/*
 * The ioctls of terminal t, on file f (a pty master passes its slave as
 * t: it sees the slave's size and groups, as on Linux).
 */
s64 tty_common_ioctl(struct tty *t, struct file *f, u64 req, u64 arg)
{
	int n, r;

	(void)f;
	switch (req) {
	case TCGETS:
		return copyout(arg, &t->ld.termios, sizeof(t->ld.termios));
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
		return set_termios(t, req, arg);
	case TCSBRK:
	case TCSBRKP:
		return 0;                 /* output is never queued: drained already */
	case TCFLSH:
		if ((r = job_control(t, SIGTTOU)) < 0)
			return r;
		if (arg > TCIOFLUSH)
			return -EINVAL;
		if (arg != TCOFLUSH) {
			n_tty_flush_input(&t->ld);
			read_done(t);
		}
		return 0;
	case TCXONC:
		if ((r = job_control(t, SIGTTOU)) < 0)
			return r;
		if (arg > TCION)
			return -EINVAL;
		if (arg == TCOOFF)
			t->ld.stopped = true;
		else if (arg == TCOON)
			t->ld.stopped = false;
		tty_wake(t);
		return 0;
	case FIONREAD:
		n = n_tty_inq(&t->ld);
		return copyout(arg, &n, sizeof(n));
	case TIOCOUTQ:
		n = t->driver->outq ? (int)t->driver->outq(t) : 0;
		return copyout(arg, &n, sizeof(n));
	case TIOCSTI: {
		u8 c;
		if (copyin(&c, arg, 1) < 0)
			return -EFAULT;
		if (tty_has_room(t))
			tty_receive(t, &c, 1);
		return 0;
	}
	case TIOCGWINSZ:
		return copyout(arg, &t->ws, sizeof(t->ws));
	case TIOCSWINSZ:
		return set_winsize(t, arg);
	case TIOCGPGRP:
		if (f->op == &tty_fops && !is_ctty(t))
			return -ENOTTY;
		n = t->pgrp < 0 ? 0 : t->pgrp;
		return copyout(arg, &n, sizeof(n));
	case TIOCSPGRP:
		return set_pgrp(t, arg);
	case TIOCGSID:
		if ((f->op == &tty_fops && !is_ctty(t)) || !t->session)
			return -ENOTTY;
		return copyout(arg, &t->session, sizeof(t->session));
	case TIOCSCTTY:
		return take_ctty(t, arg);
	case TIOCNOTTY:
		if (!is_ctty(t))
			return -ENOTTY;
		if (cpu.proc->sid == cpu.proc->pid)
			disassociate(t, true);    /* the leader lets it go */
		return 0;
	case TIOCGETD:
		n = 0;                    /* N_TTY */
		return copyout(arg, &n, sizeof(n));
	case TIOCEXCL:
	case TIOCNXCL:
		return 0;
	default:
		return -ENOTTY;
	}
}

static s64 tty_ioctl(struct file *f, u64 req, u64 arg)
{
	return tty_common_ioctl(f->data, f, req, arg);
}

static int tty_poll(struct file *f)
{
	struct tty *t = f->data;
	int ev = 0;

	if (n_tty_readable(&t->ld))
		ev |= POLLIN | POLLRDNORM;
	if (t->hungup)
		ev |= POLLIN | POLLRDNORM | POLLHUP;
	else if (!t->ld.stopped && t->driver->write_room(t) >= N_TTY_OUT_MAX)
		ev |= POLLOUT | POLLWRNORM;
	return ev;
}

const struct file_ops tty_fops = {
	.open = tty_open,
	.read = tty_read,
	.write = tty_write,
	.ioctl = tty_ioctl,
	.poll = tty_poll,
	.release = tty_release,
};
