/*
 * forkexec [-m] N PATH [ARGV0]: fork(); execve(PATH) in the child; waitpid
 * in the parent, N times, after one untimed (so the file is in the
 * page cache, natively and in the guest alike); prints the mean time of
 * one round in microseconds by clock_gettime(CLOCK_MONOTONIC).  argv[0]
 * of the child is ARGV0, or PATH: for busybox's applet links (/bin/true)
 * what selects the applet is the name.  Every child must exit 0.
 *
 * -m: also bracket the timed rounds with trapvisor's tv_mark (system call
 * 1000) marks 2 and 3 and print "phase 1: N ops", for --bench-log
 * (bench/lib.sh, phase_rows): the monitor's clock and counters then time
 * the same rounds from the host, which the guest's 10 ms clock cannot do
 * finely.  Natively, without -m, it makes no such call.
 *
 * Built static with musl-gcc and with glibc's gcc, run in the guest from
 * the initramfs (/bench/forkexec-musl, /bench/forkexec-glibc) and on the
 * host: bench/boot.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SYS_TV_MARK 1000

extern char **environ;

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* One fork + exec + wait; 0 if the child exited 0. */
static int round_trip(const char *path, char *const argv[])
{
	int st;
	pid_t pid = fork();

	if (pid < 0) {
		perror("forkexec: fork");
		return -1;
	}
	if (pid == 0) {
		execve(path, argv, environ);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid) {
		perror("forkexec: waitpid");
		return -1;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "forkexec: %s: wait status 0x%x\n", path, st);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int mark = 0, n;
	double t0, t1;

	if (argc > 1 && strcmp(argv[1], "-m") == 0) {
		mark = 1;
		argv++;
		argc--;
	}
	if (argc < 3 || (n = atoi(argv[1])) <= 0) {
		fprintf(stderr, "usage: forkexec [-m] N PATH [ARGV0]\n");
		return 2;
	}
	const char *path = argv[2];
	char *child_argv[] = { argc > 3 ? argv[3] : argv[2], NULL };

	if (round_trip(path, child_argv) < 0)
		return 1;
	if (mark)
		syscall(SYS_TV_MARK, 2);
	t0 = now_us();
	for (int i = 0; i < n; i++)
		if (round_trip(path, child_argv) < 0)
			return 1;
	t1 = now_us();
	if (mark)
		syscall(SYS_TV_MARK, 3);
	printf("forkexec: phase 1: %d ops\n", n);
	printf("forkexec: %d x fork+exec+wait of %s: %.1f us each\n", n, path, (t1 - t0) / n);
	return 0;
}
