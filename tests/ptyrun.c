/*
 * ptyrun: run a command on a pseudo-terminal and play a script against it,
 * the way a person at a terminal would (a tiny "expect").
 *
 *   ptyrun SECONDS SCRIPT -- COMMAND [ARGS...]
 *
 * SCRIPT lines:  expect TEXT   wait until TEXT has appeared in the output
 *                               since the last match
 *                send TEXT     type TEXT (\n, \r, \x03 style escapes)
 *                resend MS TEXT  while the next "expect" waits, type TEXT
 *                              again every MS milliseconds (a ^Z or ^C that
 *                              may come before the job it is for is running)
 *                sleep MS      wait
 *                wait          wait for the command to exit
 *                signal N      send signal N to the command
 *                resize R C    give the terminal R rows and C columns (the
 *                              command gets SIGWINCH, as from a window)
 *                ttysane       after "wait": the terminal must be back in
 *                              canonical mode with echo (restored)
 * Exit status: the command's exit status after "wait" (or 0 if the script
 * ended without one and all expectations were met), 124 on a timeout or a
 * failed expectation.  The whole transcript is copied to stdout, and the
 * terminal settings of the pty are checked by the caller through the
 * transcript only.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static char out[1 << 20];
static size_t out_len, matched_to;
static int master = -1;
static pid_t child;
static int child_status = -1;
static double deadline;
static char resend_buf[256];
static size_t resend_len;
static double resend_every;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Read what the command printed, for up to 'ms' milliseconds. */
static void pump(int ms)
{
	struct pollfd p = { .fd = master, .events = POLLIN };
	if (poll(&p, 1, ms) <= 0)
		return;
	ssize_t n = read(master, out + out_len, sizeof(out) - 1 - out_len);
	if (n > 0) {
		fwrite(out + out_len, 1, n, stdout);
		fflush(stdout);
		out_len += n;
		out[out_len] = 0;
	}
}

static size_t unescape(const char *s, char *d)
{
	size_t n = 0;
	for (; *s; s++) {
		if (*s != '\\' || !s[1]) {
			d[n++] = *s;
			continue;
		}
		s++;
		switch (*s) {
		case 'n': d[n++] = '\n'; break;
		case 'r': d[n++] = '\r'; break;
		case 't': d[n++] = '\t'; break;
		case 'x': {
			char hex[3] = { s[1], s[1] ? s[2] : 0, 0 };
			d[n++] = (char)strtol(hex, NULL, 16);
			s += 2;
			break;
		}
		default: d[n++] = *s; break;
		}
	}
	return n;
}

static int fail(const char *what)
{
	fprintf(stdout, "\nptyrun: %s\n", what);
	if (child > 0)
		kill(child, SIGKILL);
	return 124;
}

int main(int argc, char **argv)
{
	char line[1024], buf[1024];
	int sep;

	for (sep = 1; sep < argc && strcmp(argv[sep], "--"); sep++)
		;
	if (argc < 5 || sep != 3 || sep + 1 >= argc) {
		fprintf(stderr, "usage: ptyrun SECONDS SCRIPT -- COMMAND [ARGS...]\n");
		return 2;
	}
	FILE *script = fopen(argv[2], "r");
	if (!script) {
		perror(argv[2]);
		return 2;
	}
	deadline = now() + atof(argv[1]);
	child = forkpty(&master, NULL, NULL, NULL);
	if (child < 0) {
		perror("forkpty");
		return 2;
	}
	if (child == 0) {
		execvp(argv[sep + 1], argv + sep + 1);
		perror(argv[sep + 1]);
		_exit(127);
	}
	while (fgets(line, sizeof(line), script)) {
		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, "expect ", 7)) {
			const char *want = line + 7;
			char *hit;
			double next = now() + resend_every;
			while (!(hit = strstr(out + matched_to, want))) {
				if (now() > deadline) {
					snprintf(buf, sizeof(buf), "timed out expecting \"%s\"", want);
					return fail(buf);
				}
				if (resend_len && now() >= next) {
					if (write(master, resend_buf, resend_len) != (ssize_t)resend_len)
						return fail("write to the pty failed");
					next = now() + resend_every;
				}
				pump(50);
			}
			matched_to = hit - out + strlen(want);
			resend_len = 0;
		} else if (!strncmp(line, "resend ", 7)) {
			char *text;
			resend_every = strtol(line + 7, &text, 10) / 1000.0;
			resend_len = unescape(text + (*text == ' '), resend_buf);
		} else if (!strncmp(line, "send ", 5)) {
			size_t n = unescape(line + 5, buf);
			if (write(master, buf, n) != (ssize_t)n)
				return fail("write to the pty failed");
		} else if (!strncmp(line, "sleep ", 6)) {
			double until = now() + atoi(line + 6) / 1000.0;
			while (now() < until)
				pump(10);
		} else if (!strncmp(line, "signal ", 7)) {
			kill(child, atoi(line + 7));
		} else if (!strncmp(line, "resize ", 7)) {
			struct winsize ws = { 0 };
			if (sscanf(line + 7, "%hu %hu", &ws.ws_row, &ws.ws_col) != 2 ||
			    ioctl(master, TIOCSWINSZ, &ws) < 0)
				return fail("resize: bad size or TIOCSWINSZ failed");
		} else if (!strcmp(line, "wait")) {
			while (waitpid(child, &child_status, WNOHANG) == 0) {
				if (now() > deadline)
					return fail("timed out waiting for the command to exit");
				pump(50);
			}
			pump(0);
			child = 0;
		} else if (!strcmp(line, "ttysane")) {
			struct termios t;
			if (tcgetattr(master, &t) < 0)
				return fail("tcgetattr on the pty failed");
			if ((t.c_lflag & (ICANON | ECHO)) != (ICANON | ECHO))
				return fail("the terminal was left in raw mode");
			printf("\nptyrun: terminal restored\n");
		}
	}
	if (child > 0) {
		kill(child, SIGKILL);
		return 0;
	}
	return WIFEXITED(child_status) ? WEXITSTATUS(child_status) : 128 + WTERMSIG(child_status);
}
