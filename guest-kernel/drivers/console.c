/*
 * console.c: the console's line discipline, a small version of Linux's
 * canonical mode.  Bytes arrive from the UART's interrupt (uart.c) and are
 * edited into a line, which read() gets only once it is complete:
 *   printable   stored and echoed
 *   DEL, ^H     erase the last character of the line, on screen "\b \b"
 *   CR, LF      complete the line (stored as '\n', echoed as "\n")
 *   ^D          at the start of a line: end of file, read() returns 0;
 *               elsewhere: complete the line without a '\n' (and without
 *               the ^D)
 *   ^C          echo "^C\n", throw away all input not read yet, and send
 *               SIGINT to the foreground process group (proc_intr(),
 *               signal.c: console_fg_pgrp)
 * With ICANON off (TCSETS: a program with its own line editor) every byte
 * is input as it comes; ECHO off echoes nothing; ICRNL maps CR to LF.
 * A shell survives ^C by ignoring SIGINT, as real shells do; its read
 * then ends with EINTR all the same (proc_intr()).  Linux echoes "^C"
 * without the newline and leaves that to the shell;
 * here the kernel writes it, so that what follows starts on a fresh line
 * whoever was killed.
 *
 * The buffer is a ring of bytes with three free-running indices:
 * [r, w) is complete input read() may take, [w, e) the line being edited.
 * A ^D is kept in the ring as the marker of where its line ends.  While
 * the ring is full, further input (a ^C too) waits in the UART (uart.c).
 */
#include "defs.h"

#define TTY_BUF 256
#define CTRL(c) ((c) - '@')
#define DEL     0x7f

static struct {
	char buf[TTY_BUF];
	unsigned r;               /* next byte read() takes */
	unsigned w;               /* end of the completed input */
	unsigned e;               /* end of the line being edited */
} tty;

/* What TCGETS reports: a cooked terminal at 38400 baud (what the line
 * editor above does), and what TCSETS* last stored. */
static struct termios termios = {
	.c_iflag = 0x0500,            /* ICRNL | IXON */
	.c_oflag = 0x0005,            /* OPOST | ONLCR */
	.c_cflag = 0x00bf,            /* B38400 | CS8 | CREAD */
	.c_lflag = 0x8a3b,            /* ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN */
	.c_cc = { 3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0 },
};

static bool canonical(void)
{
	return termios.c_lflag & ICANON;
}

static void put(char c)
{
	tty.buf[tty.e++ % TTY_BUF] = c;
}

/* The line being edited is complete: hand it to read(). */
static void commit(void)
{
	tty.w = tty.e;
	wakeup(&tty);
	poll_notify();
}

static void echo(const char *s)
{
	if (!(termios.c_lflag & ECHO))
		return;
	while (*s)
		uart_putc(*s++);
}

/*
 * Can the console take another byte?  Not when the ring is full and a
 * reader has completed input to take first (the UART then holds the rest).
 * With no completed input, always: the line being edited must still be able
 * to end, so console_input() keeps the last slot for its CR or ^D and drops
 * other bytes of an overlong line, as Linux does.
 */
bool console_has_room(void)
{
	return tty.e - tty.r < TTY_BUF - 1 || tty.w == tty.r;
}

/* One byte from the keyboard (the UART's interrupt). */
void console_input(char c)
{
	if (c == '\r' && (termios.c_iflag & ICRNL))
		c = '\n';
	if (!canonical() && !(c == CTRL('C') && (termios.c_lflag & ISIG))) {
		/* Raw input (a line editor such as busybox's is running):
		 * every byte is input at once; the program echoes. */
		if (tty.e - tty.r < TTY_BUF) {
			put(c);
			if (termios.c_lflag & ECHO)
				uart_putc(c);
			commit();
		}
		return;
	}
	switch (c) {
	case CTRL('C'):
		tty.w = tty.e = tty.r;    /* as Linux flushes input on SIGINT */
		echo("^C\n");
		proc_intr(&tty);
		break;
	case CTRL('D'):
		if (tty.e - tty.r < TTY_BUF) {
			put(c);
			commit();
		}
		break;
	case DEL:
	case CTRL('H'):
		if (tty.e != tty.w) {
			tty.e--;
			echo("\b \b");
		}
		break;
	case '\r':
	case '\n':
		if (tty.e - tty.r < TTY_BUF) {
			put('\n');
			echo("\n");
			commit();
		}
		break;
	default:
		if (tty.e - tty.r < TTY_BUF - 1) {
			put(c);
			if (termios.c_lflag & ECHO)
				uart_putc(c);
		}
		break;
	}
}

/*
 * read() on the console: wait for a complete line, then copy at most n
 * bytes of it to dst (a user address the caller checked), up to and
 * including its '\n'.  Returns the count, 0 at end of file, -EINTR if ^C
 * interrupted it (proc_intr()), or -ERESTARTSYS if a signal did (the read
 * is restarted if the handler has SA_RESTART, signal.c).
 */
s64 console_read(char *dst, u64 n)
{
	struct proc *p = cpu.proc;
	u64 got = 0;
	char c = 0;

	for (;;) {
		if (p->intr) {
			p->intr = false;
			return -EINTR;
		}
		if (tty.r != tty.w)
			break;
		if (signal_pending())
			return -ERESTARTSYS;
		sleep(&tty);
	}
	if (!canonical()) {
		while (got < n && tty.r != tty.w)
			dst[got++] = tty.buf[tty.r++ % TTY_BUF];
		uart_unthrottle();
		return got;
	}
	while (got < n && tty.r != tty.w) {
		c = tty.buf[tty.r++ % TTY_BUF];
		if (c == CTRL('D'))
			break;            /* end of file, or the end of a ^D line: no data */
		dst[got++] = c;
		if (c == '\n')
			break;
	}
	/* A line ended by ^D that exactly filled dst: the ^D is its end, not an
	 * end of file for the next read(). */
	if (got == n && c != '\n' && tty.r != tty.w && tty.buf[tty.r % TTY_BUF] == CTRL('D'))
		tty.r++;
	uart_unthrottle();
	return got;
}

/* ---- The console as a file: /dev/console and /dev/tty (fs/devices.c) ---- */

static u16 winsize[4] = { 24, 80, 0, 0 };   /* rows, columns, x and y pixels */

/* A new window size: SIGWINCH to the foreground process group if it
 * changed, as Linux's tty_do_resize(). */
static void console_set_winsize(const u16 ws[4])
{
	if (memcmp(ws, winsize, sizeof(winsize)) == 0)
		return;
	memcpy(winsize, ws, sizeof(winsize));
	if (console_fg_pgrp > 0)
		signal_pgrp(console_fg_pgrp, SIGWINCH);
}

/* Timer tick: the host terminal's size, when the monitor tells of a new
 * one through the paravirtual page (boot.h, ABI 5), becomes the console's. */
void console_size_poll(void)
{
	static u32 seen;
	u16 rows, cols;
	u32 seq;

	if (!pv_on || (seq = pv_console_size(&rows, &cols)) == seen)
		return;
	seen = seq;
	if (rows && cols)
		console_set_winsize((u16[4]){ rows, cols, 0, 0 });
}

/*
 * The console as a controlling terminal (credentials_and_ttys as in
 * Linux's tty_io.c, much simplified): it belongs to at most one session,
 * console_sid, whose leader took it by opening it without O_NOCTTY while
 * it had none (console_open()) or by TIOCSCTTY; it is let go when that
 * leader is gone.  Only that session may ask for or set the foreground
 * group: anyone else gets ENOTTY, as a shell without a controlling
 * terminal does on Linux ("job control turned off").
 */
static int console_sid;

static bool ctty_owned(void)
{
	struct proc *leader = console_sid ? proc_find(console_sid) : 0;

	return leader && leader->state != ZOMBIE && leader->sid == console_sid;
}

static bool is_ctty(void)
{
	return ctty_owned() && cpu.proc->sid == console_sid;
}

static void take_ctty(void)
{
	console_sid = cpu.proc->sid;
	console_fg_pgrp = cpu.proc->pgid;
}

/* open() of /dev/console or /dev/tty (fs/file.c): a session leader
 * without a terminal takes it, unless O_NOCTTY. */
void console_open(u32 flags)
{
	struct proc *p = cpu.proc;

	if (p && !(flags & O_NOCTTY) && p->sid == p->pid && !ctty_owned())
		take_ctty();
}

static s64 con_read(struct file *f, void *buf, u64 n, u64 *pos)
{
	(void)f, (void)pos;
	if (n == 0)
		return 0;
	if (n > PGSIZE)
		n = PGSIZE;
	return console_read(buf, n);
}

static s64 con_write(struct file *f, const void *buf, u64 n, u64 *pos)
{
	(void)f, (void)pos;
	for (u64 i = 0; i < n; i++)
		uart_putc(((const char *)buf)[i]);
	return n;
}

static s64 con_ioctl(struct file *f, u64 req, u64 arg)
{
	int n;

	(void)f;
	switch (req) {
	case TCGETS:
		return copyout(arg, &termios, sizeof(termios));
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
		return copyin(&termios, arg, sizeof(termios));
	case TIOCGWINSZ:
		return copyout(arg, winsize, sizeof(winsize));
	case TIOCSWINSZ: {
		u16 ws[4];
		if (copyin(ws, arg, sizeof(ws)) < 0)
			return -EFAULT;
		console_set_winsize(ws);
		return 0;
	}
	case TIOCGPGRP:
		if (!is_ctty())
			return -ENOTTY;
		return copyout(arg, &console_fg_pgrp, sizeof(console_fg_pgrp));
	case TIOCGSID:
		if (!is_ctty())
			return -ENOTTY;
		return copyout(arg, &console_sid, sizeof(console_sid));
	case TIOCSPGRP:
		if (!is_ctty())
			return -ENOTTY;
		if (copyin(&n, arg, sizeof(n)) < 0)
			return -EFAULT;
		if (n < 0)
			return -EINVAL;
		console_fg_pgrp = n;
		return 0;
	case FIONREAD:
		n = tty.w - tty.r;
		return copyout(arg, &n, sizeof(n));
	case TIOCSCTTY:
		/* A session leader takes the console as its controlling
		 * terminal (from another session only as root with arg 1). */
		if (is_ctty())
			return 0;
		if (cpu.proc->sid != cpu.proc->pid || (ctty_owned() && arg != 1))
			return -EPERM;
		take_ctty();
		return 0;
	case TIOCNOTTY:
		if (!is_ctty())
			return -ENOTTY;
		if (cpu.proc->sid == cpu.proc->pid)
			console_sid = 0;          /* the leader lets it go */
		return 0;
	case TCFLSH:
	case TCXONC:
		return 0;
	default:
		return -ENOTTY;
	}
}

static int con_poll(struct file *f)
{
	(void)f;
	return POLLOUT | POLLWRNORM | (tty.r != tty.w ? POLLIN | POLLRDNORM : 0);
}

const struct file_ops console_ops = {
	.read = con_read,
	.write = con_write,
	.ioctl = con_ioctl,
	.poll = con_poll,
};
