/*
 * n_tty.c: the line discipline, Linux's N_TTY (drivers/tty/n_tty.c) as a
 * pure state machine: n_tty_receive() takes one typed byte and edits the
 * input, queues the echo (already output-processed) and says which signal,
 * if any, the byte asks for; n_tty_read() hands out what a read() may
 * take; n_tty_output() is OPOST for one written byte.  It knows nothing of
 * processes, sleeping or devices (tty.c does): so the same file is
 * compiled into the guest kernel and into tests/unit/test_n_tty.c.
 *
 * Input, in the order Linux looks at a byte:
 *   ISTRIP      clear bit 7
 *   VLNEXT      (after one, with IEXTEN in canonical mode) the byte is data
 *   IXON        VSTOP stops output, VSTART restarts it; neither is input
 *   ISIG        VINTR, VQUIT, VSUSP: the signal, the input thrown away
 *               (unless NOFLSH), the byte echoed ("^C")
 *   IGNCR, ICRNL, INLCR   CR dropped or made NL; NL made CR
 *   ICANON      VERASE, VWERASE (IEXTEN), VKILL edit the line; NL, VEOL,
 *               VEOL2 complete it; VEOF completes it without being data
 *               (at the start of a line: end of file); VREPRINT retypes it
 *   otherwise   data, echoed with ECHO (a control character as ^X with
 *               ECHOCTL)
 * Erasing echoes "\b \b" per character (two for a ^X), back to where a
 * tab started for a tab, with ECHOE; without it the erase character
 * itself.  VKILL with ECHOK and ECHOKE (and ECHOE) erases the line on
 * screen; with ECHOK alone it echoes the kill character and a newline.
 */
#include "n_tty.h"

#define N_TTY_MARK_EOL 1          /* the byte ends a line */
#define N_TTY_MARK_EOF 2          /* a VEOF: ends a line, is not data */

#define MASK(i) ((i) % N_TTY_BUF)
#define DEL 0x7f

static bool iscntrl_(u8 c)
{
	return c < 0x20 || c == DEL;
}

static bool isalnum_(u8 c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* A UTF-8 continuation byte, with IUTF8 (it takes no column). */
static bool continuation(const struct n_tty *l, u8 c)
{
	return (l->termios.c_iflag & IUTF8) && (c & 0xc0) == 0x80;
}

/* Linux's tty_std_termios: a cooked terminal at 38400 baud. */
void n_tty_std_termios(struct termios *t)
{
	static const u8 cc[19] = { 3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0 };

	t->c_iflag = ICRNL | IXON;
	t->c_oflag = OPOST | ONLCR;
	t->c_cflag = B38400 | CS8 | CREAD | HUPCL;
	t->c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN;
	t->c_line = 0;
	for (int i = 0; i < 19; i++)
		t->c_cc[i] = cc[i];
}

void n_tty_init(struct n_tty *l)
{
	l->r = l->w = l->e = 0;
	l->echo_r = l->echo_w = 0;
	l->column = l->canon_column = 0;
	l->lnext = l->stopped = false;
	n_tty_std_termios(&l->termios);
}

/* c is the special character cc[i] (and that one is not disabled). */
static bool is(const struct n_tty *l, u8 c, int i)
{
	return c == l->termios.c_cc[i] && c != _POSIX_VDISABLE;
}

/*
 * OPOST for byte c about to be shown (written by a program, or echoed):
 * the bytes to send, in out, and their count; tracks the column as Linux's
 * do_output_char() does.
 */
u32 n_tty_output(struct n_tty *l, u8 c, u8 out[N_TTY_OUT_MAX])
{
	const struct termios *t = &l->termios;
	u32 n = 0;

	if (!(t->c_oflag & OPOST)) {
		out[0] = c;
		return 1;
	}
	switch (c) {
	case '\n':
		if (t->c_oflag & ONLRET)
			l->column = 0;
		if (t->c_oflag & ONLCR) {
			l->canon_column = l->column = 0;
			out[0] = '\r';
			out[1] = '\n';
			return 2;
		}
		l->canon_column = l->column;
		break;
	case '\r':
		if ((t->c_oflag & ONOCR) && l->column == 0)
			return 0;
		if (t->c_oflag & OCRNL) {
			c = '\n';
			if (t->c_oflag & ONLRET)
				l->canon_column = l->column = 0;
			break;
		}
		l->canon_column = l->column = 0;
		break;
	case '\t': {
		u32 spaces = 8 - (l->column & 7);
		l->column += spaces;
		if ((t->c_oflag & TABDLY) == XTABS) {
			for (n = 0; n < spaces; n++)
				out[n] = ' ';
			return n;
		}
		break;
	}
	case '\b':
		if (l->column > 0)
			l->column--;
		break;
	default:
		if (!iscntrl_(c) && !continuation(l, c))
			l->column++;
		break;
	}
	out[0] = c;
	return 1;
}

/* ---- Echo ---- */

static void echo_put(struct n_tty *l, u8 c)
{
	if (l->echo_w - l->echo_r < N_TTY_ECHO_BUF)
		l->echo[l->echo_w++ % N_TTY_ECHO_BUF] = c;
}

/* Echo c as output (OPOST applies): Linux's echo_char_raw(). */
static void echo_raw(struct n_tty *l, u8 c)
{
	u8 out[N_TTY_OUT_MAX];
	u32 n = n_tty_output(l, c, out);

	for (u32 i = 0; i < n; i++)
		echo_put(l, out[i]);
}

/* Echo c as typed: a control character but tab as ^X with ECHOCTL. */
static void echo_char(struct n_tty *l, u8 c)
{
	if ((l->termios.c_lflag & ECHOCTL) && iscntrl_(c) && c != '\t') {
		echo_put(l, '^');
		echo_put(l, c ^ 0x40);
		l->column += 2;
	} else {
		echo_raw(l, c);
	}
}

static void echo_string(struct n_tty *l, const char *s)
{
	while (*s)
		echo_raw(l, (u8)*s++);
}

/* Take up to n echo bytes for the driver to show; their count. */
u32 n_tty_echo_take(struct n_tty *l, u8 *dst, u32 n)
{
	u32 got = 0;

	while (got < n && l->echo_r != l->echo_w)
		dst[got++] = l->echo[l->echo_r++ % N_TTY_ECHO_BUF];
	return got;
}

/* ---- Input ---- */

static bool canonical(const struct n_tty *l)
{
	return l->termios.c_lflag & ICANON;
}

/* Store c (with its mark) at the end of the line being edited. */
static void store(struct n_tty *l, u8 c, u8 mark)
{
	l->buf[MASK(l->e)] = c;
	l->mark[MASK(l->e)] = mark;
	l->e++;
}

/* The line being edited is complete: a read() may take it. */
static void commit(struct n_tty *l)
{
	l->w = l->e;
}

void n_tty_flush_input(struct n_tty *l)
{
	l->r = l->w = l->e;
	l->lnext = false;
}

/*
 * Can the discipline take another byte?  In raw mode while the ring has
 * room.  In canonical mode also while a line is being edited that has no
 * completed input before it: that line must still be able to end, so
 * store() keeps the last slot for its newline and drops other bytes of an
 * overlong line, as Linux does.  When false, the driver holds the byte
 * back (the UART keeps it, a pty writer waits) until a read makes room.
 */
bool n_tty_has_room(const struct n_tty *l)
{
	if (!canonical(l))
		return l->e - l->r < N_TTY_BUF;
	return l->e - l->r < N_TTY_BUF - 1 || l->w == l->r;
}

/* Room for a data byte of the line being edited (one slot stays for its end). */
static bool line_room(const struct n_tty *l, bool ends_line)
{
	return l->e - l->r < N_TTY_BUF - (ends_line || !canonical(l) ? 0u : 1u);
}

/* How many columns the characters of the edited line from its start, or
 * from the last tab in it, before index end take on screen (Linux's
 * ECHO_OP_ERASE_TAB count); *after_tab says which. */
static u32 columns_before(const struct n_tty *l, u32 end, bool *after_tab)
{
	u32 n = 0;

	*after_tab = false;
	while (end != l->w) {
		u8 c = l->buf[MASK(--end)];
		if (c == '\t') {
			*after_tab = true;
			break;
		}
		if (iscntrl_(c)) {
			if (l->termios.c_lflag & ECHOCTL)
				n += 2;
		} else if (!continuation(l, c)) {
			n++;
		}
	}
	return n;
}

/* Back over a tab on screen: to the tab stop it started from. */
static void erase_tab(struct n_tty *l)
{
	bool after_tab;
	u32 n = columns_before(l, l->e, &after_tab), bs;

	if (!after_tab)
		n += l->canon_column;
	bs = 8 - (n & 7);
	if (bs > l->column)
		bs = l->column;
	while (bs--) {
		echo_put(l, '\b');
		if (l->column > 0)
			l->column--;
	}
}

enum erase_kind { ERASE, WERASE, KILL };

/* VERASE, VWERASE or VKILL in canonical mode (Linux's eraser()). */
static void erase(struct n_tty *l, enum erase_kind kind)
{
	u32 lflag = l->termios.c_lflag;
	int seen_alnums = 0;

	if (l->e == l->w)
		return;                   /* nothing on this line */
	if (kind == KILL) {
		if (!(lflag & ECHO)) {
			l->e = l->w;
			return;
		}
		if (!(lflag & ECHOK) || !(lflag & ECHOKE) || !(lflag & ECHOE)) {
			l->e = l->w;
			echo_char(l, l->termios.c_cc[VKILL]);
			if (lflag & ECHOK)
				echo_raw(l, '\n');
			return;
		}
	}
	while (l->e != l->w) {
		u32 head = l->e - 1;
		u8 c = l->buf[MASK(head)];

		/* A UTF-8 character goes as a whole. */
		while (head != l->w && continuation(l, l->buf[MASK(head)]))
			head--;
		c = l->buf[MASK(head)];
		if (kind == WERASE) {
			if (isalnum_(c) || c == '_')
				seen_alnums++;
			else if (seen_alnums)
				break;
		}
		l->e = head;
		if (lflag & ECHO) {
			if (kind == ERASE && !(lflag & ECHOE)) {
				echo_char(l, l->termios.c_cc[VERASE]);
			} else if (c == '\t') {
				erase_tab(l);
			} else {
				int n = iscntrl_(c) ? ((lflag & ECHOCTL) ? 2 : 0) : 1;
				while (n--)
					echo_string(l, "\b \b");
			}
		}
		if (kind == ERASE)
			break;
	}
}

/* VREPRINT: the reprint character, a newline, then the line again. */
static void reprint(struct n_tty *l)
{
	echo_char(l, l->termios.c_cc[VREPRINT]);
	echo_raw(l, '\n');
	l->canon_column = l->column;
	for (u32 i = l->w; i != l->e; i++)
		echo_char(l, l->buf[MASK(i)]);
}

/* Echo an ordinary input byte (Linux's n_tty_receive_char()). */
static void echo_input(struct n_tty *l, u8 c, bool newline)
{
	if (!(l->termios.c_lflag & ECHO))
		return;
	if (newline) {
		echo_raw(l, '\n');
		return;
	}
	if (l->e == l->w)
		l->canon_column = l->column;     /* where the line began */
	echo_char(l, c);
}

/* One byte from the keyboard or the pty master.  Returns the signal it
 * asks for (the caller sends it to the foreground process group). */
enum n_tty_signal n_tty_receive(struct n_tty *l, u8 c)
{
	const struct termios *t = &l->termios;
	u32 iflag = t->c_iflag, lflag = t->c_lflag;
	bool special_nl = false;          /* a newline Linux's special path echoes raw */
	enum n_tty_signal sig = N_TTY_NONE;

	if (iflag & ISTRIP)
		c &= 0x7f;
	if (l->lnext) {
		l->lnext = false;
		if (line_room(l, false)) {
			echo_input(l, c, false);
			store(l, c, 0);
			if (!canonical(l))
				commit(l);
		}
		return N_TTY_NONE;
	}
	if (iflag & IXON) {
		if (is(l, c, VSTOP)) {
			l->stopped = true;
			return N_TTY_NONE;
		}
		if (is(l, c, VSTART)) {
			l->stopped = false;
			return N_TTY_NONE;
		}
	}
	if (lflag & ISIG) {
		if (is(l, c, VINTR))
			sig = N_TTY_INTR;
		else if (is(l, c, VQUIT))
			sig = N_TTY_QUIT;
		else if (is(l, c, VSUSP))
			sig = N_TTY_SUSP;
		if (sig) {
			if (!(lflag & NOFLSH))
				n_tty_flush_input(l);
			if (iflag & IXON)
				l->stopped = false;
			if (lflag & ECHO)
				echo_char(l, c);
			return sig;
		}
	}
	if (l->stopped && (iflag & IXANY))
		l->stopped = false;
	if (c == '\r') {
		if (iflag & IGNCR)
			return N_TTY_NONE;
		if (iflag & ICRNL) {
			c = '\n';
			special_nl = true;
		}
	} else if (c == '\n' && (iflag & INLCR)) {
		c = '\r';
	}
	if (canonical(l)) {
		if (is(l, c, VERASE) || is(l, c, VKILL) || (is(l, c, VWERASE) && (lflag & IEXTEN))) {
			erase(l, is(l, c, VERASE) ? ERASE : is(l, c, VKILL) ? KILL : WERASE);
			return N_TTY_NONE;
		}
		if (is(l, c, VLNEXT) && (lflag & IEXTEN)) {
			l->lnext = true;
			if ((lflag & ECHO) && (lflag & ECHOCTL)) {
				echo_raw(l, '^');
				echo_raw(l, '\b');
			}
			return N_TTY_NONE;
		}
		if (is(l, c, VREPRINT) && (lflag & ECHO) && (lflag & IEXTEN)) {
			reprint(l);
			return N_TTY_NONE;
		}
		if (!line_room(l, true))
			return N_TTY_NONE;
		if (c == '\n') {
			if (lflag & (ECHO | ECHONL))
				echo_raw(l, '\n');
			store(l, c, N_TTY_MARK_EOL);
			commit(l);
			return N_TTY_NONE;
		}
		if (is(l, c, VEOF)) {
			store(l, c, N_TTY_MARK_EOF);
			commit(l);
			return N_TTY_NONE;
		}
		if (is(l, c, VEOL) || (is(l, c, VEOL2) && (lflag & IEXTEN))) {
			if (lflag & ECHO)
				echo_char(l, c);
			store(l, c, N_TTY_MARK_EOL);
			commit(l);
			return N_TTY_NONE;
		}
		if (!line_room(l, false))
			return N_TTY_NONE;        /* an overlong line: dropped */
		echo_input(l, c, false);
		store(l, c, 0);
		return N_TTY_NONE;
	}
	if (!line_room(l, true))
		return N_TTY_NONE;
	echo_input(l, c, special_nl);
	store(l, c, 0);
	commit(l);
	return N_TTY_NONE;
}

/* ---- Reading ---- */

/* Is there something for read() to take (in canonical mode a complete
 * line, or an end of file)? */
bool n_tty_readable(const struct n_tty *l)
{
	return l->r != l->w;
}

/*
 * Copy to dst at most n bytes of what read() may take; their count.  Raw:
 * whatever is there.  Canonical: one line at most, up to and including its
 * newline; a VEOF ends it without being copied, so one at the start of a
 * line gives 0, the end of file.  A line ended by VEOF that exactly filled
 * dst takes its VEOF along: it is that line's end, not an end of file for
 * the next read.
 */
u64 n_tty_read(struct n_tty *l, u8 *dst, u64 n)
{
	u64 got = 0;

	if (!canonical(l)) {
		while (got < n && l->r != l->w)
			dst[got++] = l->buf[MASK(l->r++)];
		return got;
	}
	while (got < n && l->r != l->w) {
		u32 i = MASK(l->r++);
		if (l->mark[i] == N_TTY_MARK_EOF)
			return got;
		dst[got++] = l->buf[i];
		if (l->mark[i] == N_TTY_MARK_EOL)
			return got;
	}
	if (got == n && l->r != l->w && l->mark[MASK(l->r)] == N_TTY_MARK_EOF)
		l->r++;
	return got;
}

/*
 * A raw read of n bytes that has got `got` so far: may it still wait, and
 * how long (deciseconds, or N_TTY_FOREVER)?  0: return now.  POSIX's four
 * cases of VMIN and VTIME:
 *   MIN 0, TIME 0   return at once with what there is
 *   MIN 0, TIME t   wait up to t for the first byte (timer from the read's start)
 *   MIN m, TIME 0   wait until min(m, n) bytes
 *   MIN m, TIME t   the same, but once a byte came, return when t passes
 *                   without another (the timer restarts at every byte)
 */
long n_tty_raw_wait(const struct termios *t, u64 n, u64 got)
{
	u64 min = t->c_cc[VMIN], time = t->c_cc[VTIME];

	if (min == 0)
		return got > 0 || time == 0 ? 0 : (long)time;
	if (got >= (min < n ? min : n))
		return 0;
	return got == 0 || time == 0 ? N_TTY_FOREVER : (long)time;
}

/* FIONREAD: the bytes a read could take now (VEOF markers are not data). */
u32 n_tty_inq(const struct n_tty *l)
{
	u32 n = 0;

	if (!canonical(l))
		return l->w - l->r;
	for (u32 i = l->r; i != l->w; i++)
		if (l->mark[MASK(i)] != N_TTY_MARK_EOF)
			n++;
	return n;
}

/*
 * New settings (TCSETS*).  Leaving canonical mode makes the line being
 * edited input at once; entering it makes what is unread one line, as
 * Linux's n_tty_set_termios() does.
 */
void n_tty_set_termios(struct n_tty *l, const struct termios *t)
{
	bool was_canon = canonical(l);

	l->termios = *t;
	if (was_canon == canonical(l))
		return;
	l->lnext = false;
	if (!canonical(l)) {
		for (u32 i = l->r; i != l->e; i++)
			l->mark[MASK(i)] = 0;
		l->w = l->e;
	} else if (l->e != l->r) {
		l->mark[MASK(l->e - 1)] = N_TTY_MARK_EOL;
		l->w = l->e;
	}
}
