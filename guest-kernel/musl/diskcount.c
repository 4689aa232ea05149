/*
 * diskcount [N] [MS]: write N (default 60) records to the disk, one every
 * MS ms (default 50): record K is the 32-byte line "record K" at byte
 * 65536 + (K-1)*32 of /dev/sda, written with pwrite and fsync'd before
 * "diskcount K" is printed; then "diskcount: done".  The records lie past
 * the image's first 4 KiB, which a snapshot checks.  The snapshot test
 * saves the VM while it writes and restores it in another monitor: the
 * image must then hold records 1..N, each once and in its place.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 60, ms = argc > 2 ? atol(argv[2]) : 50;
	struct timespec gap = { ms / 1000, ms % 1000 * 1000000 };
	int fd = open("/dev/sda", O_RDWR);

	if (fd < 0) {
		printf("diskcount: open /dev/sda: %s\n", strerror(errno));
		return 1;
	}
	for (long k = 1; k <= n; k++) {
		char rec[32];
		memset(rec, ' ', sizeof(rec));
		int len = snprintf(rec, sizeof(rec), "record %ld", k);
		rec[len] = ' ';
		rec[31] = '\n';
		if (pwrite(fd, rec, sizeof(rec), 65536 + (k - 1) * 32) != sizeof(rec) || fsync(fd) < 0) {
			printf("diskcount: write of record %ld: %s\n", k, strerror(errno));
			return 1;
		}
		printf("diskcount %ld\n", k);
		fflush(stdout);
		nanosleep(&gap, 0);
	}
	printf("diskcount: done\n");
	return 0;
}
