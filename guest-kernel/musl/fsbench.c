/*
 * fsbench [DIR]: file-system operations for bench/ext2.sh, timed with
 * CLOCK_MONOTONIC, the same program in the guest (on ext2 on the disk)
 * and natively (on the host's file system), so the two compare:
 *   write  64 MiB in 1 MiB writes, then fsync
 *   read   them back in 1 MiB reads
 *   create 1000 files of 1 KiB in 10 directories, then sync
 *   find   walk the tree: readdir and lstat every entry
 * Each phase k (1 to 4) is bracketed by tv_mark(2k) and tv_mark(2k + 1)
 * (system call 1000: the monitor logs its clock, --bench-log; natively it
 * is ENOSYS and nothing) and followed by "phase K: 1 ops"; the guest's
 * clock has the timer tick's resolution (10 ms), the monitor's is exact.
 * At the end one line: "fsbench: write_ms W read_ms R create_ms C find_ms F
 * entries N", by CLOCK_MONOTONIC.  DIR (default /bench-fs) must not exist.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static char buf[1 << 20];

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* Phase k begins (end false) or ends. */
static void mark(int k, int end)
{
	syscall(1000, 2L * k + end);
	if (end)
		printf("phase %d: 1 ops\n", k);
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static long walk(const char *dir)
{
	char path[512];
	struct dirent *de;
	struct stat st;
	long n = 0;
	DIR *d = opendir(dir);

	if (!d)
		die(dir);
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &st) < 0)
			die(path);
		n++;
		if (S_ISDIR(st.st_mode))
			n += walk(path);
	}
	closedir(d);
	return n;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/bench-fs";
	char path[512];
	double t0, w, r, c, f;
	long entries;
	int fd;

	if (mkdir(dir, 0755) < 0)
		die(dir);
	memset(buf, 0x5a, sizeof(buf));
	snprintf(path, sizeof(path), "%s/big", dir);

	mark(1, 0);
	t0 = now_ms();
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
		die(path);
	for (int i = 0; i < 64; i++)
		if (write(fd, buf, sizeof(buf)) != sizeof(buf))
			die("write");
	if (fsync(fd) < 0)
		die("fsync");
	close(fd);
	w = now_ms() - t0;
	mark(1, 1);

	mark(2, 0);
	t0 = now_ms();
	if ((fd = open(path, O_RDONLY)) < 0)
		die(path);
	for (int i = 0; i < 64; i++)
		if (read(fd, buf, sizeof(buf)) != sizeof(buf))
			die("read");
	close(fd);
	r = now_ms() - t0;
	mark(2, 1);

	mark(3, 0);
	t0 = now_ms();
	for (int i = 0; i < 1000; i++) {
		if (i % 100 == 0) {
			snprintf(path, sizeof(path), "%s/d%d", dir, i / 100);
			if (mkdir(path, 0755) < 0)
				die(path);
		}
		snprintf(path, sizeof(path), "%s/d%d/f%d", dir, i / 100, i);
		if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0 || write(fd, buf, 1024) != 1024)
			die(path);
		close(fd);
	}
	sync();
	c = now_ms() - t0;
	mark(3, 1);

	mark(4, 0);
	t0 = now_ms();
	entries = walk(dir);
	f = now_ms() - t0;
	mark(4, 1);

	printf("fsbench: write_ms %.1f read_ms %.1f create_ms %.1f find_ms %.1f entries %ld\n",
	       w, r, c, f, entries);
	return 0;
}
