/*
 * Where the guest's console (COM1) goes, as QEMU's -serial stdio and
 * -serial pty:
 *
 *  --console stdio (the default): this process's standard input and output.
 *  --console pty: a new host pseudo-terminal.  Its path is printed on
 *      standard error ("console on /dev/pts/N"); a person attaches with
 *      `screen /dev/pts/N` or `minicom -p /dev/pts/N` while the monitor runs
 *      in the background, detaches, and attaches again.  The monitor holds
 *      the master and keeps the slave open itself, so no client (or one that
 *      left) is not the end of the console's input.  The pty is raw both
 *      ways: the guest's own terminal layer does the echo and the line
 *      editing, and the client's settings are its own business.  While
 *      nobody reads, the guest's output is dropped once the pty's buffer is
 *      full (uart.c), as a serial line with nothing on the other end.
 *      The guest's console keeps ONLCR off (its far end is usually a host
 *      terminal, which adds the "\r"), so the UART adds it here.
 *
 * The console's size (rows and columns) is the terminal's: io.c reads it
 * from console.size_fd, at start and whenever it changes (SIGWINCH for our
 * own terminal; a client's resize of the pty is looked at on every I/O
 * thread wake-up), and vm_hypercall.c passes it to the guest (docs/ARCHITECTURE.md,
 * "The console").
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "vm.h"

static int console_open_pty(struct console *c, char *err, size_t errlen)
{
	struct termios t;
	const char *name;

	c->master_fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (c->master_fd < 0 || grantpt(c->master_fd) < 0 || unlockpt(c->master_fd) < 0 ||
	    !(name = ptsname(c->master_fd))) {
		snprintf(err, errlen, "--console pty: cannot make a pseudo-terminal: %s", strerror(errno));
		return -1;
	}
	c->pty = true;            /* from here on console_close() cleans up */
	snprintf(c->path, sizeof(c->path), "%s", name);
	c->slave_fd = open(c->path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (c->slave_fd < 0 || tcgetattr(c->slave_fd, &t) < 0) {
		snprintf(err, errlen, "--console pty: %s: %s", c->path, strerror(errno));
		return -1;
	}
	cfmakeraw(&t);
	if (tcsetattr(c->slave_fd, TCSANOW, &t) < 0 ||
	    fcntl(c->master_fd, F_SETFL, fcntl(c->master_fd, F_GETFL) | O_NONBLOCK) < 0) {
		snprintf(err, errlen, "--console pty: %s: %s", c->path, strerror(errno));
		return -1;
	}
	c->in_fd = c->out_fd = c->size_fd = c->master_fd;
	fprintf(stderr, "console on %s (attach with: screen %s)\n", c->path, c->path);
	return 0;
}

int console_open(const char *how, struct console *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->master_fd = c->slave_fd = -1;
	if (!how || strcmp(how, "stdio") == 0) {
		c->in_fd = STDIN_FILENO;
		c->out_fd = STDOUT_FILENO;
		c->size_fd = isatty(STDIN_FILENO) ? STDIN_FILENO : isatty(STDOUT_FILENO) ? STDOUT_FILENO : -1;
		return 0;
	}
	if (strcmp(how, "pty") == 0)
		return console_open_pty(c, err, errlen);
	snprintf(err, errlen, "--console %s: not stdio or pty", how);
	return -1;
}

void console_close(struct console *c)
{
	if (!c->pty)              /* stdio, or never opened: nothing of ours */
		return;
	if (c->master_fd >= 0)
		close(c->master_fd);
	if (c->slave_fd >= 0)
		close(c->slave_fd);
	c->master_fd = c->slave_fd = -1;
}
