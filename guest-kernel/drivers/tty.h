/*
 * drivers/tty.h: terminals (docs/ARCHITECTURE.md, "Terminals and job
 * control").  A struct tty is one terminal: its line discipline with the
 * termios (n_tty.c), the session it controls and its foreground process
 * group, its window size.  tty.c does what every terminal does (read,
 * write, ioctl, poll, job control, hangup); a driver moves the bytes: the
 * UART console (console.c), the pseudo-terminals (pty.c).  Included from
 * defs.h.
 */
#ifndef DRIVERS_TTY_H
#define DRIVERS_TTY_H

#include "drivers/n_tty.h"

struct tty;
struct file;

/* What a terminal's driver provides. */
struct tty_driver {
	/* Send output bytes (already output-processed) to the device. */
	void (*write)(struct tty *t, const u8 *buf, u64 n);
	/* Bytes write() can take now without waiting (0: the writer waits). */
	u64 (*write_room)(struct tty *t);
	/* Output bytes not yet taken by the device (TIOCOUTQ). */
	u64 (*outq)(struct tty *t);
	/* A read made room in the input: take held-back input again. */
	void (*unthrottle)(struct tty *t);
	/* The last file open on this terminal was closed (or 0). */
	void (*close)(struct tty *t);
};

struct tty {
	struct n_tty ld;          /* termios and the line discipline (n_tty.c) */
	const struct tty_driver *driver;
	void *driver_data;        /* the driver's: the pty pair */
	int index;                /* the driver's number: /dev/pts/N */
	int session;              /* the session it is the controlling terminal of, 0: none */
	int pgrp;                 /* the foreground process group, -1: none */
	struct winsize ws;        /* TIOCGWINSZ */
	int opens;                /* files open on it */
	bool hungup;              /* the other side is gone: reads end, writes fail (EIO) */
};

/* tty.c */
extern const struct file_ops tty_fops;
void tty_init(struct tty *t, const struct tty_driver *d, int index);
void tty_register(struct tty *t);
void tty_unregister(struct tty *t);
struct tty *tty_of_session(int sid);
void tty_receive(struct tty *t, const u8 *buf, u64 n);
bool tty_has_room(struct tty *t);
void tty_set_winsize(struct tty *t, u16 rows, u16 cols);
void tty_hangup(struct tty *t);
void tty_session_exit(int sid);
void tty_opened(struct file *f, u32 flags);
s64 tty_common_ioctl(struct tty *t, struct file *f, u64 req, u64 arg);

/* console.c: the console (COM1) as a terminal */
void console_init(void);
struct tty *console_tty(void);
bool console_has_room(void);
void console_input(char c);

/* pty.c: pseudo-terminals, /dev/ptmx and /dev/pts/N */
#define PTY_MAJOR 136             /* /dev/pts/N is 136:N (Linux's UNIX98_PTY_SLAVE_MAJOR) */
extern const struct file_ops ptmx_fops;
struct super *pty_devpts(void);
int pty_slave_lookup(int index, struct tty **out);

#endif
