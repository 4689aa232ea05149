/*
 * fsyncloop [DIR]: the crash-consistency test's writer
 * (tests/integration/ext2-crash.sh).  Forever: write file DIR/fN (default
 * DIR /crash) of a size and contents that depend on N alone, fsync it,
 * and only then print "fsynced N"; every tenth round it also overwrites
 * the middle of an older file and removes one, so that the disk sees
 * rewrites and frees while files are being fsync'ed.  The test kills the
 * monitor at a random moment and checks that every file reported complete
 * is complete in the image.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* File n's size and its byte at offset i: the test computes the same. */
static unsigned size_of(unsigned n)
{
	return (n * 7919u) % 150000u + 1;
}

static unsigned char byte_at(unsigned n, unsigned i)
{
	return (unsigned char)((n * 31u + i * 7u + (i >> 9)) & 0xff);
}

static unsigned char buf[150001];

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/crash";
	char path[256];

	mkdir(dir, 0755);
	setvbuf(stdout, 0, _IONBF, 0);
	for (unsigned n = 0;; n++) {
		unsigned size = size_of(n);
		int fd;

		snprintf(path, sizeof(path), "%s/f%u", dir, n);
		for (unsigned i = 0; i < size; i++)
			buf[i] = byte_at(n, i);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || write(fd, buf, size) != (ssize_t)size || fsync(fd) < 0) {
			printf("fsyncloop: %s: write or fsync failed\n", path);
			return 1;
		}
		close(fd);
		printf("fsynced %u\n", n);
		if (n % 10 == 9) {
			/* A scratch file rewritten and one removed: not reported,
			 * not checked, but the allocator and the bitmaps move. */
			snprintf(path, sizeof(path), "%s/scratch", dir);
			fd = open(path, O_WRONLY | O_CREAT, 0644);
			if (fd >= 0) {
				pwrite(fd, buf, size / 2, size / 4);
				close(fd);
			}
			if (n % 20 == 19)
				unlink(path);
		}
	}
}
