/*
 * blk.c: the ATA disk as a file, "/dev/sda", the way a Linux block device
 * looks to a program: open, close, read, write, pread64, pwrite64, lseek
 * (SEEK_END gives the size), fsync (the drive's FLUSH CACHE), and ioctl
 * BLKGETSIZE64.  Any offset and length: whole sectors move straight
 * between the drive and the caller's buffer (whose pages syscall.c has made
 * ready), up to 256 per command; a partial sector goes through a one-sector
 * buffer, read, changed and written back.  Reading at the end gives 0,
 * writing there ENOSPC.
 *
 * Each process has NFD_DISK descriptors (3 and up) with their own file
 * position; fork copies them, execve keeps them, exit drops them.  The
 * caller (syscall.c) has checked the user buffer already.
 */
#include "defs.h"

#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#define O_ACCMODE 3
#define O_RDONLY  0

static u8 bounce[ATA_SECTOR_SIZE];

static struct disk_fd *slot(int fd)
{
	struct proc *p = cpu.proc;

	if (fd < FD_DISK_BASE || fd >= FD_DISK_BASE + NFD_DISK)
		return 0;
	struct disk_fd *f = &p->disk[fd - FD_DISK_BASE];
	return f->open ? f : 0;
}

bool blk_is_fd(int fd)
{
	return slot(fd) != 0;
}

s64 blk_open(const char *path, int flags)
{
	struct proc *p = cpu.proc;

	if (strcmp(path, "/dev/sda") != 0)
		return -ENOENT;
	if (!ata.present)
		return -ENXIO;
	for (int i = 0; i < NFD_DISK; i++) {
		if (!p->disk[i].open) {
			p->disk[i] = (struct disk_fd){ .open = true,
				.writable = (flags & O_ACCMODE) != O_RDONLY };
			return FD_DISK_BASE + i;
		}
	}
	return -EMFILE;
}

s64 blk_close(int fd)
{
	struct disk_fd *f = slot(fd);

	if (!f)
		return -EBADF;
	f->open = false;
	return 0;
}

/* Move n bytes between the disk at byte offset off and buf. */
static s64 transfer(u8 *buf, u64 n, u64 off, bool write)
{
	u64 size = ata.sectors * ATA_SECTOR_SIZE, done = 0;

	if (off >= size)
		return write && n ? -ENOSPC : 0;
	if (n > size - off)
		n = size - off;
	while (done < n) {
		u64 pos = off + done, lba = pos / ATA_SECTOR_SIZE, skip = pos % ATA_SECTOR_SIZE;
		u64 chunk = n - done;
		u32 count;
		int r;

		if (skip || chunk < ATA_SECTOR_SIZE) {
			/* A partial sector: through one sector of the bounce buffer. */
			count = 1;
			if (chunk > ATA_SECTOR_SIZE - skip)
				chunk = ATA_SECTOR_SIZE - skip;
			r = ata_rw(lba, bounce, 1, false);
			if (r == 0 && write) {
				memcpy(bounce + skip, buf + done, chunk);
				r = ata_rw(lba, bounce, 1, true);
			} else if (r == 0) {
				memcpy(buf + done, bounce + skip, chunk);
			}
		} else {
			/* Whole sectors: straight between the drive and the
			 * caller's buffer, up to 256 in one command. */
			count = chunk / ATA_SECTOR_SIZE;
			if (count > 256)
				count = 256;
			chunk = (u64)count * ATA_SECTOR_SIZE;
			r = ata_rw(lba, buf + done, count, write);
		}
		if (r < 0)
			return done ? (s64)done : r;
		done += chunk;
	}
	return (s64)done;
}

/* read/write (pos < 0: at the file position, which then moves) and
 * pread64/pwrite64 (at pos). */
s64 blk_rw(int fd, u8 *buf, u64 n, s64 pos, bool write)
{
	struct disk_fd *f = slot(fd);
	s64 r;

	if (!f)
		return -EBADF;
	if (write && !f->writable)
		return -EBADF;
	r = transfer(buf, n, pos < 0 ? f->pos : (u64)pos, write);
	if (r > 0 && pos < 0)
		f->pos += (u64)r;
	return r;
}

s64 blk_lseek(int fd, s64 off, int whence)
{
	struct disk_fd *f = slot(fd);
	s64 base;

	if (!f)
		return -EBADF;
	if (whence == SEEK_SET)
		base = 0;
	else if (whence == SEEK_CUR)
		base = (s64)f->pos;
	else if (whence == SEEK_END)
		base = (s64)(ata.sectors * ATA_SECTOR_SIZE);
	else
		return -EINVAL;
	if (base + off < 0)
		return -EINVAL;
	f->pos = (u64)(base + off);
	return (s64)f->pos;
}

s64 blk_fsync(int fd)
{
	if (!slot(fd))
		return -EBADF;
	return ata_flush();
}

s64 blk_size(int fd)
{
	if (!slot(fd))
		return -EBADF;
	return (s64)(ata.sectors * ATA_SECTOR_SIZE);
}
