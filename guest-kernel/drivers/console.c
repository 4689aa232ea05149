/*
 * console.c: the console, COM1's UART (uart.c) as a terminal (tty.c).
 * Bytes arrive from the UART's interrupt and go to the terminal's line
 * discipline; output goes to the UART byte by byte.  While the
 * discipline has no room, input waits in the UART (uart.c), whose
 * interrupt comes back on when a read makes room (unthrottle).
 *
 * Its window size is 24 x 80 until a program sets it (TIOCSWINSZ) or the
 * monitor reports the host terminal's (console_size_poll() below).
 */
#include "defs.h"

static struct tty console;

static void con_write(struct tty *t, const u8 *buf, u64 n)
{
	(void)t;
	for (u64 i = 0; i < n; i++)
		uart_putc((char)buf[i]);
}

static u64 con_write_room(struct tty *t)
{
	(void)t;
	return ~0ul;                  /* uart_putc() waits for the transmitter itself */
}

static void con_unthrottle(struct tty *t)
{
	(void)t;
	uart_unthrottle();
}

static const struct tty_driver console_driver = {
	.write = con_write,
	.write_room = con_write_room,
	.unthrottle = con_unthrottle,
};

/*
 * Start-up (kmain()): the console's terminal, in Linux's default settings
 * but one: ONLCR is off, because the far end already turns "\n" into
 * "\r\n" (the monitor keeps its host terminal's output cooked,
 * monitor/io.c), and the console's output, written to a file or pipe,
 * stays plain lines as the kernel's own messages are.  `stty onlcr`
 * gives a serial line's "\r\n".  The kernel's programs (process group 0)
 * are its foreground group until a session takes it.
 */
void console_init(void)
{
	tty_init(&console, &console_driver, 0);
	console.ld.termios.c_oflag &= ~ONLCR;
	console.pgrp = 0;
	tty_register(&console);
}

/* The console's terminal: for the console driver's window size. */
struct tty *console_tty(void)
{
	return &console;
}

/* May the UART hand over another byte? (uart_intr()) */
bool console_has_room(void)
{
	return tty_has_room(&console);
}

/* One byte from the keyboard (the UART's interrupt). */
void console_input(char c)
{
	u8 b = (u8)c;

	tty_receive(&console, &b, 1);
}

/* Timer tick: the host terminal's size, when the monitor tells of a new
 * one through the paravirtual page (boot.h, ABI 5), becomes the console's
 * (tty_set_winsize(): SIGWINCH to the foreground group if it changed). */
void console_size_poll(void)
{
	static u32 seen;
	u16 rows, cols;
	u32 seq;

	if (!pv_on || (seq = pv_console_size(&rows, &cols)) == seen)
		return;
	seen = seq;
	if (rows && cols)
		tty_set_winsize(&console, rows, cols);
}
