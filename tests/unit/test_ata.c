/*
 * Unit tests for devices/ata.c, the ATA PIO disk, driven through its ports
 * as a guest driver would, on a real temporary file: power-on signature,
 * IDENTIFY DEVICE (fields, strings, capacities, integrity word), READ and
 * WRITE SECTOR(S) in LBA28 and LBA48 (HOB bytes, a sparse 300 GiB file),
 * the DRQ/status/interrupt sequence of the PIO data-in and data-out
 * protocols, count 0, IDNF beyond the capacity, ABRT for read-only disks,
 * CHS and unknown commands, the interrupt (status acknowledges it,
 * alternate status does not, nIEN masks it, selecting the absent device 1
 * releases it), software reset, device 1 and an empty channel, FLUSH
 * CACHE, host I/O errors (UNC, never a crash), 32-bit data access, and the
 * disk on the port bus raising IRQ 14 through the 8259A pair.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "devices.h"

#define SMALL_SECTORS 300                       /* the usual test disk */
#define BIG_BYTES (300ull << 30)                /* 300 GiB, sparse */
#define HIGH_LBA 0x12345678ull                  /* above 2^28, inside 300 GiB */
#define STAT_READY (ATA_STAT_DRDY | ATA_STAT_DSC)          /* 0x50 */
#define STAT_DRQ   (STAT_READY | ATA_STAT_DRQ)             /* 0x58 */
#define STAT_ERR   (STAT_READY | ATA_STAT_ERR)             /* 0x51 */

/* One disk on a temporary file, and the IRQ 14 line it drives. */
struct fx {
	char path[32];
	int fd;
	struct ata_disk d;
	int irq_level;                  /* level last set */
	int irq_calls;                  /* changes reported */
	int irq_rises;                  /* 0 -> 1 changes: interrupts */
};

static void irq14_set(void *opaque, int irq, int level)
{
	struct fx *f = opaque;

	assert_int_equal(irq, ATA_IRQ);
	f->irq_calls++;
	if (level && !f->irq_level)
		f->irq_rises++;
	f->irq_level = level;
}

/* Byte i of sector lba in the pattern: the LBA in the first 8 bytes, so a
 * sector read from the wrong place is caught, then a mix of both. */
static uint8_t pat(uint64_t lba, unsigned i)
{
	if (i < 8)
		return (uint8_t)(lba >> (8 * i));
	return (uint8_t)(i * 31 + lba * 7 + (lba >> 16));
}

static void fill_sectors(int fd, uint64_t lba, unsigned n)
{
	uint8_t s[ATA_SECTOR];

	for (unsigned k = 0; k < n; k++) {
		for (unsigned i = 0; i < ATA_SECTOR; i++)
			s[i] = pat(lba + k, i);
		assert_int_equal(pwrite(fd, s, ATA_SECTOR, (off_t)((lba + k) * ATA_SECTOR)), ATA_SECTOR);
	}
}

static bool sector_is_pattern(int fd, uint64_t lba)
{
	uint8_t s[ATA_SECTOR];

	assert_int_equal(pread(fd, s, ATA_SECTOR, (off_t)(lba * ATA_SECTOR)), ATA_SECTOR);
	for (unsigned i = 0; i < ATA_SECTOR; i++)
		if (s[i] != pat(lba, i))
			return false;
	return true;
}

/* A file of 'bytes' (sparse), patterned over its first SMALL_SECTORS
 * sectors if it is that small, and a disk on it. */
static struct fx *fx_new(uint64_t bytes, bool read_only)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->path, "/tmp/test_ata.XXXXXX");
	f->fd = mkstemp(f->path);
	assert_true(f->fd >= 0);
	assert_int_equal(ftruncate(f->fd, (off_t)bytes), 0);
	if (bytes <= SMALL_SECTORS * ATA_SECTOR)
		fill_sectors(f->fd, 0, (unsigned)(bytes / ATA_SECTOR));
	ata_init(&f->d, f->fd, bytes, read_only, "trapvisor disk", "TV0001");
	f->d.irq = (struct irq_line){ .set = irq14_set, .opaque = f, .irq = ATA_IRQ };
	return f;
}

static int setup_small(void **state)
{
	*state = fx_new(SMALL_SECTORS * ATA_SECTOR, false);
	return 0;
}

static int setup_big(void **state)
{
	*state = fx_new(BIG_BYTES, false);
	return 0;
}

static int setup_ro(void **state)
{
	*state = fx_new(SMALL_SECTORS * ATA_SECTOR, true);
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (f->fd >= 0)
		close(f->fd);
	unlink(f->path);
	free(f);
	return 0;
}

/* ---- port access, as a driver does it ---- */

static uint8_t inb(struct ata_disk *d, uint16_t off)
{
	uint32_t v = 0xdeadbeef;

	ata_cmd_io(d, off, 1, false, &v);
	return (uint8_t)v;
}

static void outb(struct ata_disk *d, uint16_t off, uint8_t val)
{
	uint32_t v = val;

	ata_cmd_io(d, off, 1, true, &v);
}

static uint16_t inw(struct ata_disk *d)
{
	uint32_t v = 0xdeadbeef;

	ata_cmd_io(d, ATA_REG_DATA, 2, false, &v);
	assert_true(v <= 0xffff);
	return (uint16_t)v;
}

static void outw(struct ata_disk *d, uint16_t w)
{
	uint32_t v = w;

	ata_cmd_io(d, ATA_REG_DATA, 2, true, &v);
}

static uint8_t alt_status(struct ata_disk *d)
{
	uint32_t v = 0xdeadbeef;

	ata_ctl_io(d, 0, 1, false, &v);
	return (uint8_t)v;
}

static void control(struct ata_disk *d, uint8_t val)
{
	uint32_t v = val;

	ata_ctl_io(d, 0, 1, true, &v);
}

/* LBA28 task file and command (device: LBA, device 0). */
static void cmd28(struct ata_disk *d, uint8_t cmd, uint32_t lba, uint8_t count)
{
	outb(d, ATA_REG_COUNT, count);
	outb(d, ATA_REG_LBA_LOW, (uint8_t)lba);
	outb(d, ATA_REG_LBA_MID, (uint8_t)(lba >> 8));
	outb(d, ATA_REG_LBA_HIGH, (uint8_t)(lba >> 16));
	outb(d, ATA_REG_DEVICE, (uint8_t)(0xe0 | ((lba >> 24) & 0x0f)));
	outb(d, ATA_REG_COMMAND, cmd);
}

/* LBA48: each register written twice, the high bytes first (ATA8-ACS). */
static void cmd48(struct ata_disk *d, uint8_t cmd, uint64_t lba, uint16_t count)
{
	outb(d, ATA_REG_COUNT, (uint8_t)(count >> 8));
	outb(d, ATA_REG_LBA_LOW, (uint8_t)(lba >> 24));
	outb(d, ATA_REG_LBA_MID, (uint8_t)(lba >> 32));
	outb(d, ATA_REG_LBA_HIGH, (uint8_t)(lba >> 40));
	outb(d, ATA_REG_COUNT, (uint8_t)count);
	outb(d, ATA_REG_LBA_LOW, (uint8_t)lba);
	outb(d, ATA_REG_LBA_MID, (uint8_t)(lba >> 8));
	outb(d, ATA_REG_LBA_HIGH, (uint8_t)(lba >> 16));
	outb(d, ATA_REG_DEVICE, 0x40);
	outb(d, ATA_REG_COMMAND, cmd);
}

/* Read one sector's 256 words into s; DRQ must hold until the last. */
static void read_block(struct ata_disk *d, uint8_t *s)
{
	for (unsigned i = 0; i < ATA_SECTOR / 2; i++) {
		uint16_t w;

		assert_true(alt_status(d) & ATA_STAT_DRQ);
		w = inw(d);
		s[2 * i] = (uint8_t)w;
		s[2 * i + 1] = (uint8_t)(w >> 8);
	}
}

static void assert_sector(const uint8_t *s, uint64_t lba)
{
	for (unsigned i = 0; i < ATA_SECTOR; i++)
		if (s[i] != pat(lba, i))
			fail_msg("sector %llu byte %u: %#x, want %#x",
				 (unsigned long long)lba, i, s[i], pat(lba, i));
}

/* Write one sector of the pattern for 'lba' (words). */
static void write_block(struct ata_disk *d, uint64_t lba)
{
	for (unsigned i = 0; i < ATA_SECTOR; i += 2) {
		assert_true(alt_status(d) & ATA_STAT_DRQ);
		outw(d, (uint16_t)(pat(lba, i) | pat(lba, i + 1) << 8));
	}
}

/* The LBA28 address in the task file (error outputs). */
static uint32_t tf_lba28(struct ata_disk *d)
{
	return (uint32_t)(inb(d, ATA_REG_DEVICE) & 0x0f) << 24 |
	       (uint32_t)inb(d, ATA_REG_LBA_HIGH) << 16 |
	       (uint32_t)inb(d, ATA_REG_LBA_MID) << 8 | inb(d, ATA_REG_LBA_LOW);
}

/* The LBA48 address in the task file, the high bytes through HOB. */
static uint64_t tf_lba48(struct ata_disk *d)
{
	uint64_t lo, hi;

	control(d, 0);
	lo = (uint64_t)inb(d, ATA_REG_LBA_HIGH) << 16 |
	     (uint64_t)inb(d, ATA_REG_LBA_MID) << 8 | inb(d, ATA_REG_LBA_LOW);
	control(d, ATA_CTL_HOB);
	hi = (uint64_t)inb(d, ATA_REG_LBA_HIGH) << 16 |
	     (uint64_t)inb(d, ATA_REG_LBA_MID) << 8 | inb(d, ATA_REG_LBA_LOW);
	control(d, 0);
	return hi << 24 | lo;
}

static void file_unchanged(int fd, uint64_t first, unsigned n)
{
	for (unsigned k = 0; k < n; k++)
		if (!sector_is_pattern(fd, first + k))
			fail_msg("sector %llu changed", (unsigned long long)(first + k));
}

/* ---- power-on, IDENTIFY ---- */

static void test_ata_power_on(void **state)
{
	struct fx *f = *state;
	struct ata_disk *d = &f->d;
	uint32_t v = 0xdeadbeef;

	assert_int_equal(d->sectors, SMALL_SECTORS);
	assert_int_equal(inb(d, ATA_REG_COUNT), 1);     /* the ATA signature */
	assert_int_equal(inb(d, ATA_REG_LBA_LOW), 1);
	assert_int_equal(inb(d, ATA_REG_LBA_MID), 0);
	assert_int_equal(inb(d, ATA_REG_LBA_HIGH), 0);
	assert_int_equal(inb(d, ATA_REG_DEVICE), 0);
	assert_int_equal(inb(d, ATA_REG_ERROR), ATA_ERR_DIAG_OK);
	assert_int_equal(alt_status(d), STAT_READY);
	assert_int_equal(inb(d, ATA_REG_STATUS), STAT_READY);
	assert_int_equal(f->irq_calls, 0);
	/* No transfer: the data port gives nothing. */
	assert_int_equal(inw(d), 0xffff);
	/* Task-file registers keep what is written. */
	outb(d, ATA_REG_LBA_MID, 0x5a);
	outb(d, ATA_REG_DEVICE, 0xe3);
	assert_int_equal(inb(d, ATA_REG_LBA_MID), 0x5a);
	assert_int_equal(inb(d, ATA_REG_DEVICE), 0xe3);
	/* A wider access to an 8-bit register: the byte, zero-extended. */
	ata_cmd_io(d, ATA_REG_LBA_MID, 4, false, &v);
	assert_int_equal(v, 0x5a);
}

/* Read IDENTIFY's 256 words after the command. */
static void identify(struct fx *f, uint16_t id[256], uint8_t raw[512])
{
	struct ata_disk *d = &f->d;
	int rises = f->irq_rises;

	outb(d, ATA_REG_DEVICE, 0xa0);
	outb(d, ATA_REG_COMMAND, ATA_CMD_IDENTIFY);
	assert_int_equal(f->irq_rises, rises + 1);
	assert_int_equal(f->irq_level, 1);
	assert_int_equal(inb(d, ATA_REG_STATUS), STAT_DRQ);
	assert_int_equal(f->irq_level, 0);
	read_block(d, raw);
	for (int i = 0; i < 256; i++)
		id[i] = (uint16_t)(raw[2 * i] | raw[2 * i + 1] << 8);
	/* One block only: DRQ clears, no further interrupt. */
	assert_int_equal(alt_status(d), STAT_READY);
	assert_int_equal(inb(d, ATA_REG_ERROR), 0);
	assert_int_equal(f->irq_rises, rises + 1);
	assert_int_equal(inw(d), 0xffff);
}

/* An ATA string from IDENTIFY: the first character in each word's high byte. */
static void id_string(const uint16_t *id, int word, int nwords, char *out)
{
	for (int i = 0; i < nwords; i++) {
		out[2 * i] = (char)(id[word + i] >> 8);
		out[2 * i + 1] = (char)id[word + i];
	}
	out[2 * nwords] = '\0';
}

static void test_ata_identify(void **state)
{
	struct fx *f = *state;
	uint16_t id[256];
	uint8_t raw[512], sum = 0;
	char s[41];

	identify(f, id, raw);
	assert_int_equal(id[0], 0x0040);
	id_string(id, 27, 20, s);
	assert_string_equal(s, "trapvisor disk                          ");
	assert_int_equal(id[27], ('t' << 8) | 'r');     /* byte-swapped */
	id_string(id, 10, 10, s);
	assert_string_equal(s, "TV0001              ");
	id_string(id, 23, 4, s);
	assert_string_equal(s, "1.0     ");
	assert_int_equal(id[47], 0x8000);               /* no READ MULTIPLE */
	assert_true(id[49] & (1 << 9));                 /* LBA */
	assert_int_equal(id[53] & 0x0006, 0x0006);
	assert_int_equal(id[60] | (uint32_t)id[61] << 16, SMALL_SECTORS);
	assert_int_equal(id[80] & 0x01c0, 0x01c0);      /* ATA-6, ATA-7, ATA8-ACS */
	assert_true(id[83] & (1 << 14));
	assert_true(id[83] & (1 << 10));                /* 48-bit supported */
	assert_false(id[83] & (1 << 15));
	assert_true(id[86] & (1 << 10));                /* 48-bit enabled */
	assert_int_equal(id[100], SMALL_SECTORS);
	assert_int_equal(id[101] | id[102] | id[103], 0);
	/* Integrity word: A5h, and the 512 bytes sum to 0 mod 256. */
	assert_int_equal(raw[510], 0xa5);
	for (int i = 0; i < 512; i++)
		sum = (uint8_t)(sum + raw[i]);
	assert_int_equal(sum, 0);
	/* IDENTIFY moves no disk sectors. */
	assert_int_equal(f->d.sectors_read, 0);
	assert_int_equal(f->d.commands, 1);
}

/* A long model string is cut at 40 characters; the big disk's LBA28
 * capacity stops at 0x0FFFFFFF while words 100-103 hold it all. */
static void test_ata_identify_big(void **state)
{
	struct fx *f = *state;
	uint16_t id[256];
	uint8_t raw[512], sum = 0;
	uint64_t want = BIG_BYTES / ATA_SECTOR, got = 0;
	char s[41];

	ata_init(&f->d, f->fd, BIG_BYTES + 511, false,
		 "a model name that is longer than forty characters", NULL);
	f->d.irq = (struct irq_line){ .set = irq14_set, .opaque = f, .irq = ATA_IRQ };
	assert_int_equal(f->d.sectors, want);           /* the odd 511 bytes ignored */
	identify(f, id, raw);
	assert_int_equal(id[60], 0xffff);
	assert_int_equal(id[61], 0x0fff);
	for (int i = 3; i >= 0; i--)
		got = got << 16 | id[100 + i];
	assert_int_equal(got, want);
	id_string(id, 27, 20, s);
	assert_string_equal(s, "a model name that is longer than forty c");
	id_string(id, 10, 10, s);
	assert_string_equal(s, "                    ");
	assert_int_equal(raw[510], 0xa5);
	for (int i = 0; i < 512; i++)
		sum = (uint8_t)(sum + raw[i]);
	assert_int_equal(sum, 0);
}

/* ---- reads ---- */

static void test_ata_read_one(void **state)
{
	struct fx *f = *state;
	struct ata_disk *d = &f->d;
	uint8_t s[ATA_SECTOR];

	cmd28(d, ATA_CMD_READ, 5, 1);
	assert_int_equal(f->irq_rises, 1);
	assert_int_equal(alt_status(d), STAT_DRQ);
	assert_int_equal(f->irq_level, 1);              /* alternate status: still up */
	assert_int_equal(inb(d, ATA_REG_STATUS), STAT_DRQ);
	assert_int_equal(f->irq_level, 0);              /* status: acknowledged */
	read_block(d, s);
	assert_sector(s, 5);
	assert_int_equal(inb(d, ATA_REG_STATUS), STAT_READY);
	assert_int_equal(inb(d, ATA_REG_ERROR), 0);
	assert_int_equal(f->irq_rises, 1);              /* none after the last block */
	assert_int_equal(d->sectors_read, 1);
	assert_int_equal(d->errors, 0);
}

/* Three sectors: one interrupt and one DRQ block per sector, as an
 * interrupt-driven driver sees them. */
static void test_ata_read_three(void **state)
{
	struct fx *f = *state;
	struct ata_disk *d = &f->d;
	uint8_t s[ATA_SECTOR];

	cmd28(d, 0x21, 0x101, 3);                      /* READ SECTORS, no retry */
	for (unsigned k = 0; k < 3; k++) {
		assert_int_equal(f->irq_rises, (int)k + 1);
		assert_int_equal(f->irq_level, 1);
		assert_int_equal(inb(d, ATA_REG_STATUS), STAT_DRQ);
		read_block(d, s);
		assert_sector(s, 0x101 + k);
	}
	assert_int_equal(alt_status(d), STAT_READY);
	assert_int_equal(f->irq_rises, 3);
	assert_int_equal(f->irq_level, 0);
	assert_int_equal(d->sectors_read, 3);
}

/* LBA48 above 2^32 on a sparse 300 GiB file: READ SECTORS EXT, HOB bytes. */
static void test_ata_read_lba48(void **state)
{
	struct fx *f = *state;
	struct ata_disk *d = &f->d;
	uint64_t lba = (BIG_BYTES / ATA_SECTOR) - 5;  /* 0x257ffffb: near the end */
	uint8_t s[ATA_SECTOR];

	assert_true(lba > (1ull << 28));
	fill_sectors(f->fd, lba, 3);
	cmd48(d, ATA_CMD_READ_EXT, lba, 2);
	/* The task file as written: HOB selects the previous bytes. */
	assert_int_equal(inb(d, ATA_REG_COUNT), 2);
	assert_int_equal(inb(d, ATA_REG_LBA_LOW), (uint8_t)lba);
	control(d, ATA_CTL_HOB);
	assert_int_equal(inb(d, ATA_REG_COUNT), 0);
	assert_int_equal(inb(d, ATA_REG_LBA_LOW), (uint8_t)(lba >> 24));
	assert_int_equal(inb(d, ATA_REG_LBA_MID), (uint8_t)(lba >> 32));
	control(d, 0);
	for (unsigned k = 0; k < 2; k++) {
		assert_int_equal(f->irq_rises, (int)k + 1);
		assert_int_equal(inb(d, ATA_REG_STATUS), STAT_DRQ);
		read_block(d, s);
		assert_sector(s, lba + k);
	}
	assert_int_equal(inb(d, ATA_REG_STATUS), STAT_READY);
	assert_int_equal(f->irq_rises, 2);
	/* The same sectors through a 28-bit command cannot be reached: LBA28
	 * wraps to the low 28 bits, which hold zeros in the sparse file. */
	cmd28(d, ATA_CMD_READ, (uint32_t)(lba & 0x0fffffff), 1);
	assert_int_equal(inb(d, ATA_REG_STATUS), STAT_DRQ);
	read_block(d, s);
	for (unsigned i = 0; i < ATA_SECTOR; i++)
		assert_int_equal(s[i], 0);
}

/* Count and LBA registers push their old byte into "previous"; HOB reads
 * it; any command block write clears HOB. */
static void test_ata_hob_registers(void **state)
{
	struct fx *f = *state;
	struct ata_disk *d = &f->d;

	outb(d, ATA_REG_COUNT, 0x12);
	outb(d, ATA_REG_COUNT, 0x34);
	outb(d, ATA_REG_LBA_HIGH, 0x56);
	outb(d, ATA_REG_LBA_HIGH, 0x78);
	assert_int_equal(inb(d, ATA_REG_COUNT), 0x34);
	assert_int_equal(inb(d, ATA_REG_LBA_HIGH), 0x78);
	control(d, ATA_CTL_HOB);
	assert_int_equal(inb(d, ATA_REG_COUNT), 0x12);
	assert_int_equal(inb(d, ATA_REG_LBA_HIGH), 0x56);
	assert_int_equal(inb(d, ATA_REG_LBA_LOW), 0);     /* never written: no previous byte
							   * yet (the current one is 01h) */
	assert_int_equal(inb(d, ATA_REG_DEVICE), 0);      /* no previous byte */
	/* A write clears HOB: the current bytes again. */
	outb(d, ATA_REG_LBA_MID, 0x9a);
	assert_int_equal(inb(d, ATA_REG_COUNT), 0x34);
	assert_int_equal(inb(d, ATA_REG_LBA_MID), 0x9a);
	assert_int_equal(inb(d, ATA_REG_STATUS), STAT_READY); /* HOB never affects status */
}

/* Count 0: 256 sectors for READ SECTORS; the 256th block is the last. */
static void test_ata_read_count_zero(void **state)
{
	struct fx *f = *state;
	struct ata_disk *d = &f->d;
	uint8_t s[ATA_SECTOR];

	cmd28(d, ATA_CMD_READ, 10, 0);
	for (unsigned k = 0; k < 256; k++) {
		if (inb(d, ATA_REG_STATUS) != STAT_DRQ)
			fail_msg("block %u: no DRQ", k);
		read_block(d, s);
		assert_sector(s, 10 + k);
	}
	assert_int_equal(alt_status(d), STAT_READY);
	assert_int_equal(f->irq_rises, 256);
	assert_int_equal(d->sectors_read, 256);
	assert_int_equal(inw(d), 0xffff);
}

/* Count 0 for an EXT command is 65536: on a disk of exactly 65536
 * sectors it fits from LBA 0 and not from LBA 1. */
static void test_ata_ext_count_zero(void **state)
{
	struct fx *f = *state;
	struct ata_disk *d = &f->d;
	uint8_t s[ATA_SECTOR];

	ata_init(d, f->fd, 65536ull * ATA_SECTOR, false, "m", "s");
	d->irq = (struct irq_line){ .set = irq14_set, .opaque = f, .irq = ATA_IRQ };
	cmd48(d, ATA_CMD_READ_EXT, 1, 0);
	assert_int_equal(inb(d, ATA_REG_STATUS), STAT_ERR);
	assert_int_equal(inb(d, ATA_REG_ERROR), ATA_ERR_IDNF);
	assert_int_equal(tf_lba48(d), 65536);           /* the first sector beyond */
	cmd48(d, ATA_CMD_READ_EXT, 0, 0);
	assert_int_equal(inb(d, ATA_REG_STATUS), STAT_DRQ);
	read_block(d, s);
	assert_sector(s, 0);
	/* Still going after the first block: more than a count of 0 = 0. */
	assert_int_equal(inb(d, ATA_REG_STATUS), STAT_DRQ);
	assert_int_equal(d->xfer_left, 65535);
}

/* ---- writes ---- */

static void test_ata_write_two(void **state)
{
	struct fx *f = *state;
	struct ata_disk *d = &f->d;
	uint8_t s[ATA_SECTOR];

	/* Sectors 20 and 21 get the pattern of 200 and 201. */
	cmd28(d, ATA_CMD_WRITE, 20, 2);
	assert_int_equal(alt_status(d), STAT_DRQ);      /* DRQ at once ... */
	assert_int_equal(f->irq_calls, 0);              /* ... and no interrupt */
	write_block(d, 200);
	assert_int_equal(f->irq_rises, 1);              /* the first sector is in */
	assert_int_equal(inb(d, ATA_REG_STATUS), STAT_DRQ);
	assert_int_equal(f->irq_level, 0);
	assert_int_equal(pread(f->fd, s, ATA_SECTOR, 20 * ATA_SECTOR), ATA_SECTOR);
	assert_sector(s, 200);
	write_block(d, 201);
	assert_int_equal(f->irq_rises, 2);
	assert_int_equal(inb(d, ATA_REG_STATUS), STAT_READY);
	assert_int_equal(pread(f->fd, s, ATA_SECTOR, 21 * ATA_SECTOR), ATA_SECTOR);
	assert_sector(s, 201);
	/* The neighbours are untouched. */
	file_unchanged(f->fd, 19, 1);
	file_unchanged(f->fd, 22, 1);
	assert_int_equal(d->sectors_written, 2);
	/* After the last block, data writes go nowhere. */
	outw(d, 0x1234);
	file_unchanged(f->fd, 22, 1);
	assert_int_equal(d->sectors_written, 2);
}

/* WRITE SECTORS EXT above 2^28, 32-bit outsl-style accesses. */
static void test_ata_write_lba48(void **state)
{
	struct fx *f = *state;
	struct ata_disk *d = &f->d;
	uint8_t s[ATA_SECTOR];

	cmd48(d, ATA_CMD_WRITE_EXT, HIGH_LBA, 1);
	assert_int_equal(alt_status(d), STAT_DRQ);
	for (unsigned i = 0; i < ATA_SECTOR; i += 4) {
		uint32_t v = (uint32_t)pat(7, i) | (uint32_t)pat(7, i + 1) << 8 |
			     (uint32_t)pat(7, i + 2) << 16 | (uint32_t)pat(7, i + 3) << 24;

		ata_cmd_io(d, ATA_REG_DATA, 4, true, &v);
	}
	assert_int_equal(inb(d, ATA_REG_STATUS), STAT_READY);
	assert_int_equal(f->irq_rises, 1);
	assert_int_equal(pread(f->fd, s, ATA_SECTOR, (off_t)(HIGH_LBA * ATA_SECTOR)), ATA_SECTOR);
	assert_sector(s, 7);
	/* Where a 28-bit decoder would have put it: still a hole. */
	assert_int_equal(pread(f->fd, s, ATA_SECTOR, (off_t)((HIGH_LBA & 0x0fffffff) * ATA_SECTOR)),
			 ATA_SECTOR);
	assert_int_equal(s[8], 0);
}

/* ---- errors ---- */

static void test_ata_out_of_range(void **state)
{
	struct fx *f = *state;
	struct ata_disk *d = &f->d;
	struct stat st;

	/* The last sector reads. */
	cmd28(d, ATA_CMD_READ, SMALL_SECTORS - 1, 1);
	assert_int_equal(inb(d, ATA_REG_STATUS), STAT_DRQ);
	/* Two from the last: the second is beyond - the whole command fails,
	 * naming the first missing sector, with an interrupt and no DRQ. */
	cmd28(d, ATA_CMD_READ, SMALL_SECTORS - 1, 2);
	assert_int_equal(f->irq_rises, 2);
	assert_int_equal(inb(d, ATA_REG_STATUS), STAT_ERR);
	assert_int_equal(inb(d, ATA_REG_ERROR), ATA_ERR_IDNF);
	assert_int_equal(tf_lba28(d), SMALL_SECTORS);
	assert_int_equal(inw(d), 0xffff);
	/* Far beyond, as a write: nothing reaches the file. */
	cmd28(d, ATA_CMD_WRITE, 0x0abcdef, 1);
	assert_int_equal(alt_status(d), STAT_ERR);
	assert_int_equal(inb(d, ATA_REG_ERROR), ATA_ERR_IDNF);
	assert_int_equal(tf_lba28(d), 0x0abcdef);
	for (unsigned i = 0; i < 256; i++)
		outw(d, 0xabcd);
	assert_int_equal(fstat(f->fd, &st), 0);
	assert_int_equal(st.st_size, SMALL_SECTORS * ATA_SECTOR);
	assert_int_equal(d->sectors_written, 0);
	assert_int_equal(d->errors, 2);
	/* EXT at the capacity itself, and far beyond: all 48 bits named. */
	cmd48(d, ATA_CMD_READ_EXT, SMALL_SECTORS, 1);
	assert_int_equal(inb(d, ATA_REG_ERROR), ATA_ERR_IDNF);
	assert_int_equal(tf_lba48(d), SMALL_SECTORS);
	cmd48(d, ATA_CMD_READ_EXT, 0xfedcba987654ull, 1);
	assert_int_equal(inb(d, ATA_REG_STATUS), STAT_ERR);
	assert_int_equal(inb(d, ATA_REG_ERROR), ATA_ERR_IDNF);
	assert_int_equal(tf_lba48(d), 0xfedcba987654ull);
	assert_int_equal(d->errors, 4);
}

static void test_ata_read_only(void **state)
{
	struct fx *f = *state;
	struct ata_disk *d = &f->d;
	uint8_t s[ATA_SECTOR];

	cmd28(d, ATA_CMD_WRITE, 3, 1);
	assert_int_equal(f->irq_rises, 1);
	assert_int_equal(inb(d, ATA_REG_STATUS), STAT_ERR);
	assert_int_equal(inb(d, ATA_REG_ERROR), ATA_ERR_ABRT);
	for (unsigned i = 0; i < 256; i++)
		outw(d, 0);
	cmd48(d, ATA_CMD_WRITE_EXT, 4, 1);
	assert_int_equal(inb(d, ATA_REG_ERROR), ATA_ERR_ABRT);
	for (unsigned i = 0; i < 256; i++)
		outw(d, 0);
	file_unchanged(f->fd, 0, SMALL_SECTORS);
	assert_int_equal(d->sectors_written, 0);
	/* Reads still work. */
	cmd28(d, ATA_CMD_READ, 3, 1);
	assert_int_equal(inb(d, ATA_REG_STATUS), STAT_DRQ);
	read_block(d, s);
	assert_sector(s, 3);
}

static void test_ata_unknown_commands(void **state)
{
	static const uint8_t cmds[] = {
		ATA_CMD_IDENTIFY_PACKET, 0x00 /* NOP */, 0xc8 /* READ DMA */,
		0xc4 /* READ MULTIPLE */, 0xa0 /* PACKET */, 0xff,
	};
	struct fx *f = *state;
	struct ata_disk *d = &f->d;

	outb(d, ATA_REG_DEVICE, 0xe0);
	for (size_t i = 0; i < sizeof(cmds); i++) {
		outb(d, ATA_REG_COMMAND, cmds[i]);
		assert_int_equal(f->irq_rises, (int)i + 1);
		assert_int_equal(inb(d, ATA_REG_ERROR), ATA_ERR_ABRT);
		assert_int_equal(inb(d, ATA_REG_STATUS), STAT_ERR);
		assert_int_equal(inw(d), 0xffff);
	}
	assert_int_equal(d->errors, sizeof(cmds));
	assert_int_equal(d->commands, sizeof(cmds));
	/* The next good command clears the error register. */
	outb(d, ATA_REG_COMMAND, ATA_CMD_SET_FEATURES);
	assert_int_equal(inb(d, ATA_REG_STATUS), STAT_READY);
	assert_int_equal(inb(d, ATA_REG_ERROR), 0);
}

/* Device bit 6 clear: CHS, which this disk does not offer. */
static void test_ata_chs_aborted(void **state)
{
	struct fx *f = *state;
	struct ata_disk *d = &f->d;

	cmd28(d, ATA_CMD_READ, 1, 1);
	assert_int_equal(inb(d, ATA_REG_STATUS), STAT_DRQ);
	outb(d, ATA_REG_DEVICE, 0xa0);                   /* CHS, head 0 */
	outb(d, ATA_REG_COMMAND, ATA_CMD_READ);
	assert_int_equal(inb(d, ATA_REG_STATUS), STAT_ERR);
	assert_int_equal(inb(d, ATA_REG_ERROR), ATA_ERR_ABRT);
	assert_int_equal(inw(d), 0xffff);                /* the earlier read is gone */
	assert_int_equal(d->sectors_read, 1);
}

/* A file descriptor opened O_RDONLY behind a writable disk: the write
 * fails on the host, the guest gets UNC naming the sector. */
static void test_ata_host_write_error(void **state)
{
	struct fx *f = *state;
	struct ata_disk *d = &f->d;
	int rofd = open(f->path, O_RDONLY);

	assert_true(rofd >= 0);
	ata_init(d, rofd, SMALL_SECTORS * ATA_SECTOR, false, "m", "s");
	d->irq = (struct irq_line){ .set = irq14_set, .opaque = f, .irq = ATA_IRQ };
	cmd28(d, ATA_CMD_WRITE, 40, 2);
	assert_int_equal(alt_status(d), STAT_DRQ);      /* accepted */
	write_block(d, 99);
	assert_int_equal(f->irq_rises, 1);
	assert_int_equal(inb(d, ATA_REG_STATUS), STAT_ERR);
	assert_int_equal(inb(d, ATA_REG_ERROR), ATA_ERR_UNC);
	assert_int_equal(tf_lba28(d), 40);
	assert_int_equal(d->last_errno, EBADF);
	assert_int_equal(d->errors, 1);
	assert_int_equal(d->sectors_written, 0);
	/* The command is over: the second sector's words go nowhere. */
	for (unsigned i = 0; i < 256; i++)
		outw(d, 0);
	assert_int_equal(d->errors, 1);
	file_unchanged(f->fd, 39, 3);
	/* Reads through the same descriptor still work. */
	cmd28(d, ATA_CMD_READ, 40, 1);
	assert_int_equal(inb(d, ATA_REG_STATUS), STAT_DRQ);
	close(rofd);
}

/* A closed descriptor: reads fail with UNC at once, FLUSH fails too. */
static void test_ata_host_read_error(void **state)
{
	struct fx *f = *state;
	struct ata_disk *d = &f->d;
	int fd = dup(f->fd);

	assert_true(fd >= 0);
	ata_init(d, fd, SMALL_SECTORS * ATA_SECTOR, false, "m", "s");
	d->irq = (struct irq_line){ .set = irq14_set, .opaque = f, .irq = ATA_IRQ };
	close(fd);
	cmd48(d, ATA_CMD_READ_EXT, 7, 3);
	assert_int_equal(f->irq_rises, 1);
	assert_int_equal(inb(d, ATA_REG_STATUS), STAT_ERR);
	assert_int_equal(inb(d, ATA_REG_ERROR), ATA_ERR_UNC);
	assert_int_equal(tf_lba48(d), 7);
	assert_int_equal(d->last_errno, EBADF);
	assert_int_equal(inw(d), 0xffff);
	assert_int_equal(d->sectors_read, 0);
	d->last_errno = 0;
	outb(d, ATA_REG_COMMAND, ATA_CMD_FLUSH);
	assert_int_equal(f->irq_rises, 2);
	assert_int_equal(inb(d, ATA_REG_STATUS), STAT_ERR);
	assert_true(inb(d, ATA_REG_ERROR) & ATA_ERR_ABRT);
	assert_int_equal(d->last_errno, EBADF);
	assert_int_equal(d->errors, 2);
}

/* A file shorter than the disk it was said to be: the sector past its end
 * is a short read, UNC with EIO, partway through a multi-sector read. */
static void test_ata_short_read(void **state)
{
	struct fx *f = *state;
	struct ata_disk *d = &f->d;
	uint8_t s[ATA_SECTOR];

	assert_int_equal(ftruncate(f->fd, 50 * ATA_SECTOR + 100), 0);
	cmd28(d, ATA_CMD_READ, 49, 2);
	assert_int_equal(inb(d, ATA_REG_STATUS), STAT_DRQ);
	read_block(d, s);
	assert_sector(s, 49);
	assert_int_equal(f->irq_rises, 2);              /* the error's interrupt */
	assert_int_equal(inb(d, ATA_REG_STATUS), STAT_ERR);
	assert_int_equal(inb(d, ATA_REG_ERROR), ATA_ERR_UNC);
	assert_int_equal(tf_lba28(d), 50);
	assert_int_equal(d->last_errno, EIO);
	assert_int_equal(d->sectors_read, 1);
}

/* ---- the interrupt ---- */

static void test_ata_irq_ack(void **state)
{
	struct fx *f = *state;
	struct ata_disk *d = &f->d;

	outb(d, ATA_REG_DEVICE, 0xe0);
	outb(d, ATA_REG_COMMAND, ATA_CMD_CHECK_POWER);
	assert_int_equal(f->irq_level, 1);
	for (int i = 0; i < 3; i++)
		assert_int_equal(alt_status(d), STAT_READY);
	assert_int_equal(f->irq_level, 1);              /* alternate status: no ack */
	assert_int_equal(inb(d, ATA_REG_COUNT), 0xff);  /* active */
	assert_int_equal(f->irq_level, 1);
	assert_int_equal(inb(d, ATA_REG_STATUS), STAT_READY);
	assert_int_equal(f->irq_level, 0);
	assert_int_equal(f->irq_calls, 2);
	/* Unacknowledged, then a new command: the line drops and rises again,
	 * so an edge-triggered PIC sees the second completion. */
	outb(d, ATA_REG_COMMAND, ATA_CMD_SET_FEATURES);
	assert_int_equal(f->irq_rises, 2);
	outb(d, ATA_REG_COMMAND, ATA_CMD_SET_FEATURES);
	assert_int_equal(f->irq_rises, 3);
	assert_int_equal(f->irq_calls, 5);
	assert_int_equal(f->irq_level, 1);
}

static void test_ata_nien(void **state)
{
	struct fx *f = *state;
	struct ata_disk *d = &f->d;

	control(d, ATA_CTL_NIEN);
	cmd28(d, ATA_CMD_READ, 2, 1);
	assert_int_equal(f->irq_calls, 0);              /* masked */
	assert_int_equal(alt_status(d), STAT_DRQ);
	control(d, 0);                                  /* unmasked: it was pending */
	assert_int_equal(f->irq_level, 1);
	control(d, ATA_CTL_NIEN);
	assert_int_equal(f->irq_level, 0);
	assert_int_equal(inb(d, ATA_REG_STATUS), STAT_DRQ); /* acknowledged while masked */
	control(d, 0);
	assert_int_equal(f->irq_level, 0);              /* nothing pending any more */
	assert_int_equal(f->irq_rises, 1);
}

/* ---- reset, device 1, no disk ---- */

static void test_ata_srst(void **state)
{
	struct fx *f = *state;
	struct ata_disk *d = &f->d;

	cmd28(d, ATA_CMD_READ, 0x1234 % SMALL_SECTORS, 2);
	inw(d);
	assert_int_equal(f->irq_level, 1);
	control(d, ATA_CTL_SRST);
	assert_int_equal(f->irq_level, 0);              /* lowered */
	assert_int_equal(alt_status(d), ATA_STAT_BSY);
	outb(d, ATA_REG_COMMAND, ATA_CMD_IDENTIFY);     /* ignored while BSY */
	assert_int_equal(f->irq_rises, 1);
	control(d, 0);
	assert_int_equal(inb(d, ATA_REG_COUNT), 1);
	assert_int_equal(inb(d, ATA_REG_LBA_LOW), 1);
	assert_int_equal(inb(d, ATA_REG_LBA_MID), 0);
	assert_int_equal(inb(d, ATA_REG_LBA_HIGH), 0);
	assert_int_equal(inb(d, ATA_REG_DEVICE), 0);
	assert_int_equal(inb(d, ATA_REG_ERROR), ATA_ERR_DIAG_OK);
	assert_int_equal(inb(d, ATA_REG_STATUS), STAT_READY);
	assert_int_equal(inw(d), 0xffff);               /* the read was abandoned */
	assert_int_equal(f->irq_rises, 1);              /* a reset raises nothing */
	assert_int_equal(f->irq_level, 0);
}

/* EXECUTE DEVICE DIAGNOSTIC: signature and code 01h, with an interrupt,
 * even when device 1 is selected (both devices execute it). */
static void test_ata_diagnostic(void **state)
{
	struct fx *f = *state;
	struct ata_disk *d = &f->d;

	cmd28(d, ATA_CMD_SET_FEATURES, 0x0d0c0b, 0x77);
	inb(d, ATA_REG_STATUS);
	outb(d, ATA_REG_DEVICE, 0xb0);
	outb(d, ATA_REG_COMMAND, ATA_CMD_DIAGNOSTIC);
	assert_int_equal(f->irq_rises, 2);
	assert_int_equal(inb(d, ATA_REG_DEVICE), 0);    /* device 0 again */
	assert_int_equal(inb(d, ATA_REG_COUNT), 1);
	assert_int_equal(inb(d, ATA_REG_LBA_LOW), 1);
	assert_int_equal(inb(d, ATA_REG_LBA_MID), 0);
	assert_int_equal(inb(d, ATA_REG_LBA_HIGH), 0);
	assert_int_equal(inb(d, ATA_REG_ERROR), ATA_ERR_DIAG_OK);
	assert_int_equal(inb(d, ATA_REG_STATUS), STAT_READY);
}

/* Device 1 is absent: zeros, commands unanswered, INTRQ released. */
static void test_ata_slave(void **state)
{
	struct fx *f = *state;
	struct ata_disk *d = &f->d;
	uint32_t v = 0xdeadbeef;

	outb(d, ATA_REG_DEVICE, 0xb0);
	assert_int_equal(inb(d, ATA_REG_STATUS), 0);
	assert_int_equal(alt_status(d), 0);
	for (uint16_t r = ATA_REG_ERROR; r <= ATA_REG_DEVICE; r++)
		assert_int_equal(inb(d, r), 0);
	/* The probe of Linux's ata_devchk: what is written does not stick. */
	outb(d, ATA_REG_COUNT, 0x55);
	outb(d, ATA_REG_LBA_LOW, 0xaa);
	assert_int_equal(inb(d, ATA_REG_COUNT), 0);
	assert_int_equal(inb(d, ATA_REG_LBA_LOW), 0);
	outb(d, ATA_REG_COMMAND, ATA_CMD_IDENTIFY);
	assert_int_equal(f->irq_calls, 0);
	assert_int_equal(inb(d, ATA_REG_STATUS), 0);
	ata_cmd_io(d, ATA_REG_DATA, 2, false, &v);
	assert_int_equal(v, 0);
	assert_int_equal(d->commands, 0);
	/* Back to device 0: no IDENTIFY under way; the task file was shared. */
	outb(d, ATA_REG_DEVICE, 0xe0);
	assert_int_equal(inb(d, ATA_REG_STATUS), STAT_READY);
	assert_int_equal(inb(d, ATA_REG_COUNT), 0x55);
	assert_int_equal(inw(d), 0xffff);
	/* A pending interrupt is released while device 1 is selected. */
	outb(d, ATA_REG_COMMAND, ATA_CMD_SET_FEATURES);
	assert_int_equal(f->irq_level, 1);
	outb(d, ATA_REG_DEVICE, 0xb0);
	assert_int_equal(f->irq_level, 0);
	outb(d, ATA_REG_DEVICE, 0xe0);
	assert_int_equal(f->irq_level, 1);
}

/* No disk: the channel floats, every port reads all-ones, writes vanish. */
static void test_ata_no_disk(void **state)
{
	static const uint32_t ones[] = { 0, 0xff, 0xffff, 0, 0xffffffff };
	struct fx *f = *state;
	struct ata_disk *d = &f->d;

	ata_init(d, -1, 1 << 20, false, NULL, NULL);
	d->irq = (struct irq_line){ .set = irq14_set, .opaque = f, .irq = ATA_IRQ };
	assert_int_equal(d->sectors, 0);
	outb(d, ATA_REG_DEVICE, 0xe0);
	outb(d, ATA_REG_COMMAND, ATA_CMD_IDENTIFY);
	control(d, ATA_CTL_SRST);
	for (unsigned size = 1; size <= 4; size *= 2) {
		uint32_t v;

		for (uint16_t r = 0; r < 8; r++) {
			v = 0x12345678 & ~ones[size];
			ata_cmd_io(d, r, size, false, &v);
			if (v != ones[size])
				fail_msg("port %#x size %u: %#x", ATA_PORT_CMD + r, size, v);
		}
		v = 0;
		ata_ctl_io(d, 0, size, false, &v);
		assert_int_equal(v, ones[size]);
	}
	assert_int_equal(f->irq_calls, 0);
	assert_int_equal(d->commands, 0);
}

/* ---- other commands ---- */

static void test_ata_flush(void **state)
{
	struct fx *f = *state;
	struct ata_disk *d = &f->d;

	outb(d, ATA_REG_DEVICE, 0xe0);
	outb(d, ATA_REG_COMMAND, ATA_CMD_FLUSH);
	assert_int_equal(f->irq_rises, 1);
	assert_int_equal(inb(d, ATA_REG_STATUS), STAT_READY);
	assert_int_equal(inb(d, ATA_REG_ERROR), 0);
	outb(d, ATA_REG_COMMAND, ATA_CMD_FLUSH_EXT);
	assert_int_equal(f->irq_rises, 2);
	assert_int_equal(inb(d, ATA_REG_STATUS), STAT_READY);
	assert_int_equal(d->last_errno, 0);
	assert_int_equal(d->errors, 0);
	assert_int_equal(d->commands, 2);
}

/* The commands that only complete: each with DRDY and an interrupt. */
static void test_ata_nondata_commands(void **state)
{
	static const uint8_t cmds[] = {
		ATA_CMD_SET_FEATURES, ATA_CMD_INIT_PARAMS, 0x10, 0x1f, ATA_CMD_CHECK_POWER,
	};
	struct fx *f = *state;
	struct ata_disk *d = &f->d;

	outb(d, ATA_REG_DEVICE, 0xe0);
	for (size_t i = 0; i < sizeof(cmds); i++) {
		outb(d, ATA_REG_COMMAND, cmds[i]);
		assert_int_equal(f->irq_rises, (int)i + 1);
		if (inb(d, ATA_REG_STATUS) != STAT_READY)
			fail_msg("command %#x failed", cmds[i]);
		assert_int_equal(inb(d, ATA_REG_ERROR), 0);
	}
	assert_int_equal(d->errors, 0);
}

/* A new command in the middle of a data-in phase abandons it. */
static void test_ata_command_abandons_transfer(void **state)
{
	struct fx *f = *state;
	struct ata_disk *d = &f->d;
	uint8_t s[ATA_SECTOR];

	cmd28(d, ATA_CMD_READ, 60, 4);
	for (int i = 0; i < 100; i++)
		inw(d);
	cmd28(d, ATA_CMD_READ, 70, 1);
	assert_int_equal(inb(d, ATA_REG_STATUS), STAT_DRQ);
	read_block(d, s);
	assert_sector(s, 70);                           /* from the start of 70 */
	assert_int_equal(alt_status(d), STAT_READY);
}

/* ---- data port widths ---- */

static void test_ata_data_widths(void **state)
{
	struct fx *f = *state;
	struct ata_disk *d = &f->d;
	uint8_t s[ATA_SECTOR];
	uint32_t v;

	cmd28(d, ATA_CMD_READ, 33, 1);
	/* A byte access moves nothing. */
	v = 0;
	ata_cmd_io(d, ATA_REG_DATA, 1, false, &v);
	assert_int_equal(v, 0xff);
	v = 0x12;
	ata_cmd_io(d, ATA_REG_DATA, 1, true, &v);
	/* insl: each 32-bit read is two words, the first in the low half. */
	for (unsigned i = 0; i < ATA_SECTOR; i += 4) {
		v = 0;
		ata_cmd_io(d, ATA_REG_DATA, 4, false, &v);
		memcpy(s + i, &v, 4);
		if (i + 4 < ATA_SECTOR)
			assert_int_equal(alt_status(d), STAT_DRQ);
	}
	assert_sector(s, 33);
	assert_int_equal(alt_status(d), STAT_READY);
	/* Explicitly: the first dword is bytes 0-3 of the sector. */
	cmd28(d, ATA_CMD_READ, 33, 1);
	v = 0;
	ata_cmd_io(d, ATA_REG_DATA, 4, false, &v);
	assert_int_equal(v, 33);                        /* LBA 33, little-endian */
	v = 0;
	ata_cmd_io(d, ATA_REG_DATA, 4, false, &v);
	assert_int_equal(v, 0);                         /* its high bytes */
	assert_int_equal(inw(d), pat(33, 8) | pat(33, 9) << 8);
}

/* ---- on the bus, into the 8259A pair ---- */

static void pic_out(struct pic *p, bool slave, uint16_t off, uint8_t val)
{
	uint32_t v = val;

	(slave ? pic_slave_io : pic_master_io)(p, off, 1, true, &v);
}

static void test_ata_on_bus_irq14(void **state)
{
	struct fx *f = *state;
	struct ata_disk *d = &f->d;
	static struct pio_bus bus;
	struct pic pic;
	uint32_t v;

	pic_init(&pic);
	pic_out(&pic, false, 0, 0x11);                  /* master: vectors 0x20 */
	pic_out(&pic, false, 1, 0x20);
	pic_out(&pic, false, 1, 0x04);
	pic_out(&pic, false, 1, 0x01);
	pic_out(&pic, false, 1, 0x00);
	pic_out(&pic, true, 0, 0x11);                   /* slave: vectors 0x28 */
	pic_out(&pic, true, 1, 0x28);
	pic_out(&pic, true, 1, 0x02);
	pic_out(&pic, true, 1, 0x01);
	pic_out(&pic, true, 1, 0x00);
	d->irq = pic_irq_line(&pic, ATA_IRQ);
	bus_init(&bus);
	assert_int_equal(bus_register(&bus, ATA_PORT_CMD, 8, "ata", ata_cmd_io, d), 0);
	assert_int_equal(bus_register(&bus, ATA_PORT_CTL, 1, "ata-ctl", ata_ctl_io, d), 0);

	v = 1; bus_io(&bus, ATA_PORT_CMD + ATA_REG_COUNT, 1, true, &v);
	v = 9; bus_io(&bus, ATA_PORT_CMD + ATA_REG_LBA_LOW, 1, true, &v);
	v = 0; bus_io(&bus, ATA_PORT_CMD + ATA_REG_LBA_MID, 1, true, &v);
	v = 0; bus_io(&bus, ATA_PORT_CMD + ATA_REG_LBA_HIGH, 1, true, &v);
	v = 0xe0; bus_io(&bus, ATA_PORT_CMD + ATA_REG_DEVICE, 1, true, &v);
	assert_false(pic_intr(&pic));
	v = ATA_CMD_READ; bus_io(&bus, ATA_PORT_CMD + ATA_REG_COMMAND, 1, true, &v);
	assert_true(pic_intr(&pic));
	assert_int_equal(pic_ack(&pic), 0x2e);          /* 0x28 + 6 */
	v = 0; bus_io(&bus, ATA_PORT_CTL, 1, false, &v);
	assert_int_equal(v, STAT_DRQ);
	v = 0; bus_io(&bus, ATA_PORT_CMD + ATA_REG_STATUS, 1, false, &v);
	assert_int_equal(v, STAT_DRQ);
	v = 0; bus_io(&bus, ATA_PORT_CMD, 2, false, &v);
	assert_int_equal(v, 9);                         /* LBA 9's first word */
	assert_int_equal(pic.acked[ATA_IRQ], 1);
}

int main(void)
{
#define T(fn, setup) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_ata_power_on, setup_small),
		T(test_ata_identify, setup_small),
		T(test_ata_identify_big, setup_small),
		T(test_ata_read_one, setup_small),
		T(test_ata_read_three, setup_small),
		T(test_ata_read_lba48, setup_big),
		T(test_ata_hob_registers, setup_small),
		T(test_ata_read_count_zero, setup_small),
		T(test_ata_ext_count_zero, setup_small),
		T(test_ata_write_two, setup_small),
		T(test_ata_write_lba48, setup_big),
		T(test_ata_out_of_range, setup_small),
		T(test_ata_read_only, setup_ro),
		T(test_ata_unknown_commands, setup_small),
		T(test_ata_chs_aborted, setup_small),
		T(test_ata_host_write_error, setup_small),
		T(test_ata_host_read_error, setup_small),
		T(test_ata_short_read, setup_small),
		T(test_ata_irq_ack, setup_small),
		T(test_ata_nien, setup_small),
		T(test_ata_srst, setup_small),
		T(test_ata_diagnostic, setup_small),
		T(test_ata_slave, setup_small),
		T(test_ata_no_disk, setup_small),
		T(test_ata_flush, setup_small),
		T(test_ata_nondata_commands, setup_small),
		T(test_ata_command_abandons_transfer, setup_small),
		T(test_ata_data_widths, setup_small),
		T(test_ata_on_bus_irq14, setup_small),
	};
#undef T

	return cmocka_run_group_tests_name("ata", tests, NULL, NULL);
}
