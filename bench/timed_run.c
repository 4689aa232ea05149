/*
 * timed_run OUT CMD [ARGS...]: run CMD with its standard output copied to
 * the file OUT, and print three CLOCK_MONOTONIC times in ns, the clock
 * trapvisor's --bench-log uses: just before CMD is started (before fork),
 * when the first byte of its output arrives, and when it has exited
 * (after waitpid); then its exit status.  bench/boot.sh uses them with
 * the guest kernel's marks to time a boot: start -> kernel's first
 * console line -> init -> exit.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static unsigned long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	unsigned long long t0, first = 0, t1;
	int fd[2], st;
	char buf[4096];
	FILE *out;
	pid_t pid;

	if (argc < 3) {
		fprintf(stderr, "usage: timed_run OUT CMD [ARGS...]\n");
		return 2;
	}
	out = fopen(argv[1], "w");
	if (!out || pipe(fd) < 0) {
		perror("timed_run");
		return 1;
	}
	t0 = now_ns();
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		execvp(argv[2], argv + 2);
		perror(argv[2]);
		_exit(127);
	}
	close(fd[1]);
	for (;;) {
		ssize_t n = read(fd[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (!first)
			first = now_ns();
		fwrite(buf, 1, n, out);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			perror("waitpid");
			return 1;
		}
	t1 = now_ns();
	fclose(out);
	printf("%llu %llu %llu %d\n", t0, first, t1,
	       WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return 0;
}
