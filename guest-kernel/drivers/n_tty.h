/*
 * n_tty.h: the line discipline (n_tty.c), Linux's N_TTY without the
 * kernel around it: bytes in, edited input, echo bytes and the signals a
 * typed character asks for out.  tty.c wraps it for every terminal (the
 * console, pseudo-terminals); the unit tests (tests/unit/test_n_tty.c)
 * compile n_tty.c on the host and feed it raw bytes.
 */
#ifndef N_TTY_H
#define N_TTY_H

#include <stdbool.h>

#include "x86.h"
#include "uapi/termios.h"

#define N_TTY_BUF      4096       /* input bytes held: Linux's N_TTY_BUF_SIZE */
#define N_TTY_ECHO_BUF 4096       /* echo bytes not yet shown; more are dropped */
#define N_TTY_OUT_MAX  8          /* bytes one written byte becomes (a tab as spaces) */
#define N_TTY_FOREVER  (-1l)      /* n_tty_raw_wait(): no time limit */

/* What n_tty_receive() asks the terminal to do: signal its foreground
 * process group. */
enum n_tty_signal { N_TTY_NONE, N_TTY_INTR, N_TTY_QUIT, N_TTY_SUSP };

/*
 * The input is a ring with three free-running indices: [r, w) is input a
 * read() may take, [w, e) the line being edited (canonical mode only; in
 * raw mode w == e).  mark[] tells a byte that ends a line (newline, VEOL)
 * and a VEOF that ends one without being data.
 */
struct n_tty {
	struct termios termios;
	u8 buf[N_TTY_BUF];
	u8 mark[N_TTY_BUF];       /* N_TTY_MARK_* of each byte of buf */
	u32 r, w, e;
	u8 echo[N_TTY_ECHO_BUF];  /* echo bytes, output-processed, for the driver */
	u32 echo_r, echo_w;
	u32 column;               /* the output column (OPOST's; erasing a tab needs it) */
	u32 canon_column;         /* the column the line being edited began at */
	bool lnext;               /* the byte before was VLNEXT: take this one literally */
	bool stopped;             /* output stopped (VSTOP with IXON, or TCOOFF) */
};

void n_tty_init(struct n_tty *l);
void n_tty_std_termios(struct termios *t);
enum n_tty_signal n_tty_receive(struct n_tty *l, u8 c);
bool n_tty_has_room(const struct n_tty *l);
bool n_tty_readable(const struct n_tty *l);
u64 n_tty_read(struct n_tty *l, u8 *dst, u64 n);
long n_tty_raw_wait(const struct termios *t, u64 n, u64 got);
u32 n_tty_inq(const struct n_tty *l);
void n_tty_flush_input(struct n_tty *l);
void n_tty_set_termios(struct n_tty *l, const struct termios *t);
u32 n_tty_output(struct n_tty *l, u8 c, u8 out[N_TTY_OUT_MAX]);
u32 n_tty_echo_take(struct n_tty *l, u8 *dst, u32 n);

#endif
