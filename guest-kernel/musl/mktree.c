/*
 * mktree DIR SEED NFILES BIGMB: what a new user does to a file system,
 * the same every time for the same arguments, so that the test
 * (tests/integration/ext2.sh) can build the same tree natively on the
 * host and compare the guest's, read out of the disk image by debugfs,
 * with it byte for byte.
 *
 * Under DIR: NFILES files of assorted sizes (empty, a few bytes, a few
 * blocks, up to 300 KiB) in 16 directories, some two levels down; one
 * file of BIGMB MiB ("big"); a sparse file ("sparse": a few blocks
 * scattered up to past 4 GiB, so its block map needs the triple indirect
 * block of a 1 KiB-block file system and the double of a 4 KiB one);
 * symbolic links short and long, hard links; then half of the files
 * removed, every seventh renamed (some into another directory), one
 * directory renamed, and sync().  Prints "mktree: N files, M bytes".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static unsigned long long rng;

static unsigned next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng >> 11);
}

static void die(const char *what, const char *path)
{
	printf("mktree: %s %s: %s\n", what, path, strerror(errno));
	exit(1);
}

static char buf[1 << 16];

/* Fill path with size bytes of the generator's output. */
static unsigned long long write_file(const char *path, unsigned long long size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	unsigned long long done = 0;

	if (fd < 0)
		die("open", path);
	while (done < size) {
		size_t n = size - done < sizeof(buf) ? size - done : sizeof(buf);
		for (size_t i = 0; i < n; i += 4) {
			unsigned v = next();
			memcpy(buf + i, &v, n - i < 4 ? n - i : 4);
		}
		if (write(fd, buf, n) != (ssize_t)n)
			die("write", path);
		done += n;
	}
	if (close(fd) < 0)
		die("close", path);
	return size;
}

static unsigned long long pick_size(void)
{
	switch (next() % 8) {
	case 0: return 0;
	case 1: case 2: return next() % 100;
	case 3: case 4: return next() % 5000;
	case 5: case 6: return next() % 40000;
	default: return next() % 300000;
	}
}

int main(int argc, char **argv)
{
	char path[512], path2[512];
	unsigned long long bytes = 0;
	int nfiles, bigmb, kept = 0;

	if (argc != 5) {
		printf("usage: mktree DIR SEED NFILES BIGMB\n");
		return 2;
	}
	rng = strtoull(argv[2], 0, 0) * 2654435761u + 1;
	nfiles = atoi(argv[3]);
	bigmb = atoi(argv[4]);
	if (mkdir(argv[1], 0755) < 0 && errno != EEXIST)
		die("mkdir", argv[1]);
	for (int d = 0; d < 16; d++) {
		snprintf(path, sizeof(path), "%s/d%02d", argv[1], d);
		if (mkdir(path, 0755) < 0)
			die("mkdir", path);
		if (d % 4 == 0) {
			snprintf(path, sizeof(path), "%s/d%02d/sub", argv[1], d);
			if (mkdir(path, 0700) < 0)
				die("mkdir", path);
		}
	}
	for (int i = 0; i < nfiles; i++) {
		int d = i % 16;
		snprintf(path, sizeof(path), "%s/d%02d%s/file%05d", argv[1], d,
			 d % 4 == 0 && i % 3 == 0 ? "/sub" : "", i);
		bytes += write_file(path, pick_size());
	}
	snprintf(path, sizeof(path), "%s/big", argv[1]);
	bytes += write_file(path, (unsigned long long)bigmb << 20);

	/* The sparse file: blocks far apart, holes between. */
	snprintf(path, sizeof(path), "%s/sparse", argv[1]);
	{
		static const unsigned long long at[] = { 0, 70000, 5000000, 300000000, 4400000000ull };
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0)
			die("open", path);
		for (unsigned i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
			snprintf(buf, sizeof(buf), "block %u at %llu\n", i, at[i]);
			if (pwrite(fd, buf, strlen(buf), at[i]) < 0)
				die("pwrite", path);
		}
		close(fd);
	}

	/* Links. */
	snprintf(path, sizeof(path), "%s/d01/short-link", argv[1]);
	if (symlink("../big", path) < 0)
		die("symlink", path);
	snprintf(path, sizeof(path), "%s/d02/long-link", argv[1]);
	memset(buf, 'x', 200);
	memcpy(buf, "/a/path/that/is/longer/than/sixty/bytes/so/it/needs/a/block/", 61);
	buf[200] = 0;
	if (symlink(buf, path) < 0)
		die("symlink", path);
	snprintf(path, sizeof(path), "%s/d03/file00003", argv[1]);
	snprintf(path2, sizeof(path2), "%s/d05/hardlink", argv[1]);
	if (link(path, path2) < 0)
		die("link", path2);

	/* Remove half, rename some. */
	for (int i = 0; i < nfiles; i++) {
		int d = i % 16;
		snprintf(path, sizeof(path), "%s/d%02d%s/file%05d", argv[1], d,
			 d % 4 == 0 && i % 3 == 0 ? "/sub" : "", i);
		if (i % 2 == 0 && i != 3) {
			if (unlink(path) < 0)
				die("unlink", path);
			continue;
		}
		kept++;
		if (i % 7 == 0) {
			snprintf(path2, sizeof(path2), "%s/d%02d/renamed%05d", argv[1], (d + 1) % 16, i);
			if (rename(path, path2) < 0)
				die("rename", path);
		}
	}
	snprintf(path, sizeof(path), "%s/d15", argv[1]);
	snprintf(path2, sizeof(path2), "%s/d00/sub/moved-dir", argv[1]);
	if (rename(path, path2) < 0)
		die("rename", path);
	sync();
	printf("mktree: %d files, %llu bytes written\n", kept, bytes);
	return 0;
}
