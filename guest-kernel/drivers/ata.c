/*
 * ata.c: the ATA disk on the primary channel (ports 0x1f0-0x1f7, 0x3f6), by
 * PIO and polling, as on a PC: written for the hardware, not for trapvisor.
 *
 * ata_init() probes the master: a floating bus (status 0xff) means no
 * disk; IDENTIFY DEVICE gives its model and size.  Interrupts are masked
 * at the drive (nIEN): every command is followed by polling the status
 * register, which on trapvisor is one trap per read, while the data moves
 * with REP INSW / REP OUTSW, one trap per 512-byte sector.  Sectors are
 * addressed by LBA28, or LBA48 past 2^28.  ata_rw() moves up to 256
 * sectors per command; blk.c turns file offsets into sectors.
 */
#include "defs.h"

#define ATA_DATA    0x1f0
#define ATA_ERROR   0x1f1
#define ATA_COUNT   0x1f2
#define ATA_LBA0    0x1f3
#define ATA_LBA1    0x1f4
#define ATA_LBA2    0x1f5
#define ATA_DEVICE  0x1f6
#define ATA_STATUS  0x1f7           /* read */
#define ATA_CMD     0x1f7           /* write */
#define ATA_CTL     0x3f6           /* device control (write) */

#define ST_BSY  0x80
#define ST_DRDY 0x40
#define ST_DF   0x20
#define ST_DRQ  0x08
#define ST_ERR  0x01
#define CTL_NIEN 0x02
#define DEV_LBA  0x40

#define CMD_READ      0x20
#define CMD_READ_EXT  0x24
#define CMD_WRITE     0x30
#define CMD_WRITE_EXT 0x34
#define CMD_FLUSH     0xe7
#define CMD_IDENTIFY  0xec

#define POLL_MAX 1000000            /* status reads before a command is given up */

struct ata ata;

static void insw(u16 port, void *buf, u64 words)
{
	asm volatile("rep insw" : "+D"(buf), "+c"(words) : "d"(port) : "memory");
}

static void outsw(u16 port, const void *buf, u64 words)
{
	asm volatile("rep outsw" : "+S"(buf), "+c"(words) : "d"(port) : "memory");
}

/* Wait until the drive is not busy; its status, or -1 if it never is. */
static int wait_ready(void)
{
	for (int i = 0; i < POLL_MAX; i++) {
		u8 st = inb(ATA_STATUS);
		if (!(st & ST_BSY))
			return st;
	}
	return -1;
}

/* Wait for a sector's data (DRQ); -EIO on an error or a drive that hangs. */
static int wait_drq(void)
{
	int st = wait_ready();

	if (st < 0 || (st & (ST_ERR | ST_DF)) || !(st & ST_DRQ))
		return -EIO;
	return 0;
}

/* The command for 'count' sectors (1..256) at 'lba'. */
static void command(u8 cmd, u8 cmd_ext, u64 lba, u32 count)
{
	bool ext = lba + count > (1ul << 28);

	outb(ATA_DEVICE, DEV_LBA | (ext ? 0 : (u8)((lba >> 24) & 0x0f)));
	if (ext) {
		/* LBA48: the high bytes first, each register keeps both. */
		outb(ATA_COUNT, (u8)(count >> 8));
		outb(ATA_LBA0, (u8)(lba >> 24));
		outb(ATA_LBA1, (u8)(lba >> 32));
		outb(ATA_LBA2, (u8)(lba >> 40));
	}
	outb(ATA_COUNT, (u8)count);         /* 256 is written as 0 */
	outb(ATA_LBA0, (u8)lba);
	outb(ATA_LBA1, (u8)(lba >> 8));
	outb(ATA_LBA2, (u8)(lba >> 16));
	outb(ATA_CMD, ext ? cmd_ext : cmd);
}

/* Copy an IDENTIFY string (words, each two characters high byte first),
 * without the trailing spaces. */
static void id_string(const u16 *id, int first, int words, char *out)
{
	int n = 0;

	for (int i = 0; i < words; i++) {
		out[n++] = (char)(id[first + i] >> 8);
		out[n++] = (char)id[first + i];
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = 0;
}

void ata_init(void)
{
	static u16 id[256];

	outb(ATA_DEVICE, 0xa0);                /* master */
	if (inb(ATA_STATUS) == 0xff)
		return;                          /* a floating bus: no disk */
	outb(ATA_CTL, CTL_NIEN);                /* we poll */
	outb(ATA_CMD, CMD_IDENTIFY);
	if (wait_drq() < 0) {
		kprintf("ata: the drive did not answer IDENTIFY\n");
		return;
	}
	insw(ATA_DATA, id, 256);
	id_string(id, 27, 20, ata.model);
	if (id[83] & (1u << 10))
		ata.sectors = id[100] | ((u64)id[101] << 16) | ((u64)id[102] << 32) |
			      ((u64)id[103] << 48);
	else
		ata.sectors = id[60] | ((u64)id[61] << 16);
	ata.present = ata.sectors > 0;
	kprintf("ata: %s, %lu sectors (%lu MiB)\n", ata.model, ata.sectors, ata.sectors >> 11);
}

int ata_rw(u64 lba, void *buf, u32 count, bool write)
{
	u8 *p = buf;

	if (!ata.present)
		return -ENXIO;
	if (count == 0 || count > 256 || lba + count > ata.sectors)
		return -EINVAL;
	if (wait_ready() < 0)
		return -EIO;
	if (write)
		command(CMD_WRITE, CMD_WRITE_EXT, lba, count);
	else
		command(CMD_READ, CMD_READ_EXT, lba, count);
	for (u32 i = 0; i < count; i++, p += ATA_SECTOR_SIZE) {
		if (wait_drq() < 0)
			return -EIO;
		if (write)
			outsw(ATA_DATA, p, ATA_SECTOR_SIZE / 2);
		else
			insw(ATA_DATA, p, ATA_SECTOR_SIZE / 2);
	}
	int st = wait_ready();
	return st < 0 || (st & (ST_ERR | ST_DF)) ? -EIO : 0;
}

int ata_flush(void)
{
	int st;

	if (!ata.present)
		return -ENXIO;
	if (wait_ready() < 0)
		return -EIO;
	outb(ATA_CMD, CMD_FLUSH);
	st = wait_ready();
	return st < 0 || (st & (ST_ERR | ST_DF)) ? -EIO : 0;
}
