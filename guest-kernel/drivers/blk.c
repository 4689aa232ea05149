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
 * It is the block device 8:0 (fs/devices.c); the file layer (fs/file.c)
 * keeps each open file's position and has checked the user buffer.
 */
#include <trapvisor/boot.h>

#include "defs.h"


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

/* ---- For the kernel's own use: the buffer cache (fs/bcache.c) ---- */

/* The disk's size in sectors, 0 without a disk. */
u64 blk_sectors(void)
{
	return disk.present ? disk.sectors : 0;
}

/* count whole sectors at sector to or from buf (any kernel memory): 0,
 * -ENXIO without a disk, -EINVAL past its end, -EIO (a read-only image
 * refuses writes with it too). */
int blk_rw(u64 sector, void *buf, u32 count, bool write)
{
	if (!disk.present)
		return -ENXIO;
	if (sector >= disk.sectors || count > disk.sectors - sector)
		return -EINVAL;
	while (count) {
		u32 n = count < 256 ? count : 256;
		int r = disk_io(sector, buf, n, write);
		if (r < 0)
			return r;
		sector += n;
		buf = (u8 *)buf + (u64)n * ATA_SECTOR_SIZE;
		count -= n;
	}
	return 0;
}

/* Make every write so far durable: the drive's FLUSH CACHE or the
 * paravirtual flush, which the monitor answers after fdatasync. */
int blk_flush(void)
{
	if (!disk.present)
		return -ENXIO;
	if (disk.pv)
		return pv_blk_io(PV_BLK_FLUSH, 0, 0, pvbuf) < 0 ? -EIO : 0;
	return ata_flush();
}

/* open("/dev/sda"): ENXIO without a disk. */
static int blk_open(struct file *f)
{
	(void)f;
	return disk.present ? 0 : -ENXIO;
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

static s64 blk_read(struct file *f, void *buf, u64 n, u64 *pos)
{
	s64 r = transfer(buf, n, *pos, false);

	(void)f;
	if (r > 0)
		*pos += r;
	return r;
}

static s64 blk_write(struct file *f, const void *buf, u64 n, u64 *pos)
{
	s64 r = transfer((u8 *)buf, n, *pos, true);

	(void)f;
	if (r > 0)
		*pos += r;
	return r;
}

static s64 blk_llseek(struct file *f, s64 off, int whence)
{
	s64 base;

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

static int blk_fsync(struct file *f)
{
	(void)f;
	return blk_flush();
}

static s64 blk_ioctl(struct file *f, u64 req, u64 arg)
{
	s64 size = (s64)(disk.sectors * ATA_SECTOR_SIZE);

	(void)f;
	if (req != BLKGETSIZE64)
		return -ENOTTY;
	return copyout(arg, &size, sizeof(size));
}

const struct file_ops blk_fops = {
	.open = blk_open,
	.read = blk_read,
	.write = blk_write,
	.ioctl = blk_ioctl,
	.llseek = blk_llseek,
	.fsync = blk_fsync,
	.seekable = true,
};

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
