/*
 * diskbench: what the emulated ATA disk costs, for bench/disk.sh.  Phase k
 * is bracketed by tv_mark(2k) and tv_mark(2k + 1) (system call 1000: the
 * monitor logs its clock and counters, --bench-log), and "diskbench: phase
 * K: N ops" tells the script what to divide by.  Each op moves one block
 * through /dev/sda, sequentially, wrapping at 1 MiB:
 *   1. pread of 512 bytes   2. pread of 4 KiB   3. pread of 64 KiB
 *   4. pwrite of 4 KiB      5. fsync (FLUSH CACHE)
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SPAN (1 << 20)

static void mark(long k)
{
	syscall(1000, k);
}

static int phase(int fd, int k, size_t block, int ops, int write)
{
	static char buf[64 << 10];
	off_t off = 0;

	memset(buf, k, sizeof(buf));
	mark(2 * k);
	for (int i = 0; i < ops; i++) {
		ssize_t r = write ? pwrite(fd, buf, block, off) : pread(fd, buf, block, off);
		if (r != (ssize_t)block) {
			printf("diskbench: phase %d failed at op %d\n", k, i);
			return -1;
		}
		off = (off + block) % SPAN;
	}
	mark(2 * k + 1);
	printf("diskbench: phase %d: %d ops (%zu bytes each, %s)\n", k, ops, block,
	       write ? "pwrite" : "pread");
	return 0;
}

int main(void)
{
	int fd = open("/dev/sda", O_RDWR);

	if (fd < 0) {
		perror("diskbench: /dev/sda");
		return 1;
	}
	if (phase(fd, 1, 512, 400, 0) || phase(fd, 2, 4096, 200, 0) ||
	    phase(fd, 3, 65536, 20, 0) || phase(fd, 4, 4096, 100, 1))
		return 1;
	mark(10);
	for (int i = 0; i < 50; i++)
		fsync(fd);
	mark(11);
	printf("diskbench: phase 5: 50 ops (fsync)\n");
	close(fd);
	printf("diskbench: done\n");
	return 0;
}
