/*
 * disk.c: --disk FILE[,ro], the image behind the ATA disk (devices/ata.c).
 *
 * Checked before anything runs, each failure one line and exit 2 (the
 * input is bad, nothing is lost): the file must exist and be a regular
 * file or a block device whose size is a whole number of 512-byte
 * sectors, at least one.  It is opened read-write (read-only with ",ro")
 * and locked (flock, exclusive, or shared for ",ro"), as QEMU locks its
 * images, so that two VMs never write one image at the same time.  The
 * guest's writes go straight to the file (pwrite), and FLUSH CACHE makes
 * them durable (fdatasync).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/fs.h>

#include "vm.h"

int disk_open(const char *spec, struct ata_disk *d, char *err, size_t errlen)
{
	char path[4096];
	const char *comma = strrchr(spec, ',');
	bool ro = false;
	struct stat st;
	u64 size;
	int fd;

	if (strlen(spec) >= sizeof(path)) {
		snprintf(err, errlen, "--disk: the file name is longer than %zu bytes", sizeof(path) - 1);
		return -1;
	}
	snprintf(path, sizeof(path), "%s", spec);
	if (comma && strcmp(comma, ",ro") == 0) {
		ro = true;
		path[comma - spec] = '\0';
	} else if (comma && strcmp(comma, ",rw") == 0) {
		path[comma - spec] = '\0';
	}
	if (!path[0]) {
		snprintf(err, errlen, "--disk %s: no file named", spec);
		return -1;
	}
	fd = open(path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "disk %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "disk %s: %s", path, strerror(errno));
		goto fail;
	}
	if (S_ISREG(st.st_mode)) {
		size = (u64)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &size) < 0) {
			snprintf(err, errlen, "disk %s: cannot read its size: %s", path, strerror(errno));
			goto fail;
		}
	} else {
		snprintf(err, errlen, "disk %s: not a regular file or block device", path);
		goto fail;
	}
	if (size == 0 || size % ATA_SECTOR) {
		snprintf(err, errlen, "disk %s: size %llu bytes is not a whole number of %d-byte sectors",
			 path, (unsigned long long)size, ATA_SECTOR);
		goto fail;
	}
	if (flock(fd, (ro ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
		snprintf(err, errlen, "disk %s: in use by another process (%s)", path,
			 errno == EWOULDBLOCK ? "locked" : strerror(errno));
		goto fail;
	}
	ata_init(d, fd, size, ro, "trapvisor disk", "TV0001");
	return fd;
fail:
	close(fd);
	return -1;
}
