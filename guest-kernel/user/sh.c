/*
 * sh: a tiny shell.  It prompts "$ ", reads a line, and splits it into
 * words at spaces.  Builtins: "echo WORDS" and "exit [N]".  Any other first
 * word names an embedded program, run with fork, execve and wait4, or
 * "sh: NAME: not found".  End of file (^D at the start of a line) exits 0.
 *
 * sh ignores SIGINT, so a ^C kills the command it runs but not sh; its
 * children get the default back before execve, as with any Unix shell.  A
 * ^C at the prompt interrupts sh's read() (console.c), and it prompts again.
 */
#include "ulib.h"

#define LINE_MAX  128
#define MAX_WORDS 16
#define ENOENT    2

static char line[LINE_MAX];
static int at_eof;      /* end of file came after a partial line */

/* Read a line into line[], without its '\n'.  Returns its length, -1 at end
 * of file, or -EINTR if ^C interrupted it. */
static long read_line(void)
{
	long len = 0, n;

	if (at_eof)
		return -1;
	for (;;) {
		n = read(0, line + len, sizeof(line) - 1 - len);
		if (n == -EINTR)
			return -EINTR;
		if (n <= 0) {
			if (len == 0)
				return -1;
			/* End of file after a partial line: run it, then end, as
			 * other shells do (a tty's end of file is not sticky, so
			 * this is the only time sh hears of it). */
			at_eof = 1;
			break;
		}
		len += n;
		if (line[len - 1] == '\n') {
			len--;
			break;
		}
		if (len == sizeof(line) - 1) {
			char c = 0;
			while (read(0, &c, 1) == 1 && c != '\n')
				;         /* throw away the rest of the line */
			print("sh: line too long\n");
			len = 0;
			break;
		}
	}
	line[len] = 0;
	return len;
}

/* Cut line[] into words at spaces and tabs; returns how many (at most
 * MAX_WORDS, the rest ignored), with argv[argc] = 0. */
static int split(char *argv[])
{
	int argc = 0;
	char *s = line;

	while (argc < MAX_WORDS) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		argv[argc++] = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
		if (*s)
			*s++ = 0;
	}
	argv[argc] = 0;
	return argc;
}

static void builtin_echo(int argc, char *argv[])
{
	for (int i = 1; i < argc; i++) {
		print(argv[i]);
		print(i + 1 < argc ? " " : "");
	}
	print("\n");
}

static void builtin_exit(int argc, char *argv[])
{
	long status = argc > 1 ? atol(argv[1]) : 0;

	if (status < 0) {
		print("sh: exit: ");
		print(argv[1]);
		print(": not a number\n");
		status = 2;
	}
	exit(status & 0xff);
}

/* Run the program argv[0] and wait for it. */
static void run(char *argv[])
{
	int status;
	long pid = fork(), err;

	if (pid < 0) {
		print("sh: fork failed: ");
		print_long(pid);
		print("\n");
		return;
	}
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		err = execve(argv[0], argv, 0);
		print("sh: ");
		print(argv[0]);
		if (err == -ENOENT) {
			print(": not found\n");
		} else {
			print(": cannot run it, error ");
			print_long(err);
			print("\n");
		}
		exit(127);
	}
	wait4(pid, &status, 0, 0);
}

int main(void)
{
	char *argv[MAX_WORDS + 1];
	int argc;
	long n;

	signal(SIGINT, SIG_IGN);
	for (;;) {
		print("$ ");
		n = read_line();
		if (n == -EINTR)
			continue;         /* the kernel has echoed "^C" and a newline */
		if (n < 0) {
			print("\n");
			return 0;
		}
		argc = split(argv);
		if (argc == 0)
			continue;
		if (strcmp(argv[0], "echo") == 0)
			builtin_echo(argc, argv);
		else if (strcmp(argv[0], "exit") == 0)
			builtin_exit(argc, argv);
		else
			run(argv);
	}
}
