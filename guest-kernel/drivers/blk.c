/*
 * blk.c: the disk as a file, "/dev/sda", the way a Linux block device
 * looks to a program: open, close, read, write, pread64, pwrite64, lseek
 * (SEEK_END gives the size), fsync (the drive's FLUSH CACHE), and ioctl
 * BLKGETSIZE64.  Any offset and length: whole sectors move straight
 * between the drive and the caller's buffer (whose pages syscall.c has made
 * ready), up to 256 per command; a partial sector goes through a one-sector
 * buffer, read, changed and written back.  Reading at the end gives 0,
 * writing there ENOSPC.
 *
 * The disk is reached one of two ways, chosen at boot (blk_init()): the
 * ATA ports (ata.c), or, when the paravirtual interface is in use and the
 * monitor has a disk, one HC_BLK_IO hypercall per request of up to 64 KiB
 * (bench/disk.sh compares them).  A read-only image refuses writes with
 * EIO either way.
 *
 * Each process has NFD_DISK descriptors (3 and up) with their own file
 * position; fork copies them, execve keeps them, exit drops them.  The
 * caller (syscall.c) has checked the user buffer already.
 */
#include <trapvisor/boot.h>

#include "defs.h"

#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#define O_ACCMODE 3
#define O_RDONLY  0

static u8 bounce[ATA_SECTOR_SIZE];
/* The paravirtual path's buffer: in the kernel image, so physically
 * contiguous, as HC_BLK_IO wants. */
static u8 pvbuf[PV_BLK_MAX * ATA_SECTOR_SIZE] __attribute__((aligned(4096)));

static struct {
	bool present;
	bool pv;                  /* through HC_BLK_IO, not the ATA ports */
	u64 sectors;
} disk;

/* At boot, after pv_init(): the paravirtual disk if the monitor offers
 * one and the paravirtual interface is in use, else the ATA disk if the
 * probe finds one. */
void blk_init(void)
{
	long n = pv_on ? pv_blk_info() : -ENXIO;

	if (n > 0) {
		disk.present = disk.pv = true;
		disk.sectors = (u64)n;
		kprintf("pvblk: %lu sectors (%lu MiB), paravirtual\n", disk.sectors,
			disk.sectors >> 11);
		return;
	}
	ata_init();
	disk.present = ata.present;
	disk.sectors = ata.sectors;
}

/* count sectors at lba to or from buf, by either path. */
static int disk_io(u64 lba, u8 *buf, u32 count, bool write)
{
	if (!disk.pv)
		return ata_rw(lba, buf, count, write);
	while (count) {
		u32 n = count < PV_BLK_MAX ? count : PV_BLK_MAX;
		u64 bytes = (u64)n * ATA_SECTOR_SIZE;
		long r;

		if (write)
			memcpy(pvbuf, buf, bytes);
		r = pv_blk_io(write ? PV_BLK_WRITE : PV_BLK_READ, lba, n, pvbuf);
		if (r < 0)
			return r == -EROFS ? -EIO : (int)r;
		if (!write)
			memcpy(buf, pvbuf, bytes);
		lba += n;
		buf += bytes;
		count -= n;
	}
	return 0;
}

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
	if (!disk.present)
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
	u64 size = disk.sectors * ATA_SECTOR_SIZE, done = 0;

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
			r = disk_io(lba, bounce, 1, false);
			if (r == 0 && write) {
				memcpy(bounce + skip, buf + done, chunk);
				r = disk_io(lba, bounce, 1, true);
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
			r = disk_io(lba, buf + done, count, write);
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
		base = (s64)(disk.sectors * ATA_SECTOR_SIZE);
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
	if (disk.pv)
		return pv_blk_io(PV_BLK_FLUSH, 0, 0, pvbuf) < 0 ? -EIO : 0;
	return ata_flush();
}

s64 blk_size(int fd)
{
	if (!slot(fd))
		return -EBADF;
	return (s64)(disk.sectors * ATA_SECTOR_SIZE);
}

/* The command-line word "blkcheck": the monitor refuses bad HC_BLK_IO
 * requests with an errno and goes on (tests/integration/disk.sh). */
void blk_check(void)
{
	if (!disk.pv) {
		kprintf("blkcheck: no paravirtual disk\n");
		return;
	}
	kprintf("blkcheck: past the end %ld, bad request %ld, too long %ld, "
		"buffer outside RAM %ld, flush %ld\n",
		pv_blk_io(PV_BLK_READ, disk.sectors, 1, pvbuf),
		pv_blk_io(7, 0, 1, pvbuf),
		pv_blk_io(PV_BLK_READ, 0, PV_BLK_MAX + 1, pvbuf),
		pv_hypercall4(HC_BLK_IO, PV_BLK_READ, 0, 1, -4096l),
		pv_blk_io(PV_BLK_FLUSH, 0, 0, pvbuf));
}
