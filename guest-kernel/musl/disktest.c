/*
 * disktest: the ATA disk (--disk FILE) through "/dev/sda", with plain libc
 * calls.  Prints the disk's size and the text at its start, then writes a
 * line at an offset that is not sector-aligned (byte 3000, across the
 * boundary of sectors 5 and 6), syncs, reads it back, and checks that the
 * bytes around it did not change.  The integration test reads the image
 * file afterwards.  "disktest: ok", or FAIL lines and exit 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MSG "written by disktest, across a sector boundary"
#define AT  3000

int main(void)
{
	char head[64], before[AT + 100], after[AT + 100];
	int fd = open("/dev/sda", O_RDWR), fails = 0;

	if (fd < 0) {
		printf("disktest: open /dev/sda: %s\n", strerror(errno));
		return 1;
	}
	off_t size = lseek(fd, 0, SEEK_END);
	printf("disktest: /dev/sda is %lld bytes\n", (long long)size);
	if (pread(fd, head, sizeof(head) - 1, 0) != sizeof(head) - 1) {
		printf("disktest: FAIL reading sector 0: %s\n", strerror(errno));
		return 1;
	}
	head[sizeof(head) - 1] = 0;
	head[strcspn(head, "\n")] = 0;
	printf("disktest: sector 0 says \"%s\"\n", head);

	if (pread(fd, before, sizeof(before), 0) != sizeof(before))
		printf("disktest: FAIL reading %zu bytes\n", sizeof(before)), fails++;
	if (pwrite(fd, MSG, strlen(MSG), AT) != (ssize_t)strlen(MSG)) {
		printf("disktest: write: %s\n", strerror(errno));
		return 1;
	}
	if (fsync(fd) != 0)
		printf("disktest: FAIL fsync: %s\n", strerror(errno)), fails++;
	if (lseek(fd, 0, SEEK_SET) != 0 || read(fd, after, sizeof(after)) != sizeof(after))
		printf("disktest: FAIL reading back\n"), fails++;
	memcpy(before + AT, MSG, strlen(MSG));
	if (memcmp(before, after, sizeof(after)) != 0)
		printf("disktest: FAIL the disk does not hold what was written\n"), fails++;
	if (pwrite(fd, "x", 1, size) != -1 || errno != ENOSPC)
		printf("disktest: FAIL writing past the end did not give ENOSPC\n"), fails++;
	close(fd);
	if (fails)
		return 1;
	printf("disktest: ok\n");
	return 0;
}
