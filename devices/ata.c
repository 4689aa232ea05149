/*
 * An ATA disk: device 0 (master) on the primary channel, PIO only, after
 * ATA/ATAPI-6 (T13/1410D, which brought 48-bit addressing) and ATA8-ACS
 * (the command set).  The guest sees the task file at 0x1f0-0x1f7 and the
 * control block at 0x3f6, and IRQ 14; sectors come from and go to a host
 * file through pread and pwrite, one 512-byte sector at a time.
 *
 * Every command completes inside the OUT that writes it: BSY is never seen
 * (it shows only while SRST is held).  A data command then stands in its
 * data phase, DRQ set, for as long as the guest takes to move the words:
 *
 *   PIO data-in (READ SECTOR(S), IDENTIFY DEVICE): for each sector, the
 *   device fills its buffer, sets DRQ and asserts INTRQ; the guest reads
 *   256 words; after the last word of the last sector DRQ clears.
 *   PIO data-out (WRITE SECTOR(S)): DRQ comes at once for the first sector,
 *   with no interrupt; after each 256 words the sector goes to the file and
 *   INTRQ is asserted, with DRQ set again while sectors remain.
 *
 * Addresses are LBA only (28-bit, and 48-bit through the EXT commands and
 * the "previous" bytes of the count and LBA registers); CHS is refused, as
 * the platform promises LBA.  A range that runs past the capacity fails
 * with IDNF before any data moves; a host read or write that fails fails
 * the command with UNC, naming the sector, and the guest carries on.
 *
 * There is no device 1.  Device 0 answers for it as ATA/ATAPI-6 asks of a
 * lone device: status and alternate status read 00h (no device), commands
 * are ignored, and INTRQ is released while it is selected.  With no disk at
 * all the channel floats: every port reads all-ones.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "devices.h"

/* Status of an idle, ready device.  DSC (seek complete) is obsolete in
 * ATA8-ACS, but older drivers wait for it, and a disk with no heads is
 * always "on track". */
#define ATA_STAT_READY (ATA_STAT_DRDY | ATA_STAT_DSC)
#define ATA_LBA28_MAX  0x0fffffffu   /* IDENTIFY words 60-61 stop here */
#define ATA_EXT_MAX_XFER 65536       /* an EXT command's count 0 */
#define ATA_FIRMWARE   "1.0"         /* IDENTIFY words 23-26 */

/* All-ones of an access of 'size' bytes (1, 2 or 4): a floating bus. */
static uint32_t ata_ones(unsigned size)
{
	return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

static bool ata_slave_selected(const struct ata_disk *d)
{
	return d->device & ATA_DEV_DEV;
}

/*
 * Drive IRQ 14.  ATA/ATAPI-6 5.2.9 (INTRQ): the signal is asserted only
 * while the device has an interrupt pending, is selected, and nIEN is
 * clear; otherwise it is high impedance, which the PC's pull-down reads as
 * low.  The PIC hears only changes.
 */
static void ata_update_irq(struct ata_disk *d)
{
	bool level = d->intrq && !(d->control & ATA_CTL_NIEN) && !ata_slave_selected(d);

	if (level != d->irq_level) {
		d->irq_level = level;
		irq_line_set(&d->irq, level);
	}
}

/* The signature a reset or EXECUTE DEVICE DIAGNOSTIC leaves in the task
 * file: count 01h, LBA 00_00_01h, device 00h says "ATA device, not ATAPI"
 * (ATA8-ACS, signatures). */
static void ata_set_signature(struct ata_disk *d)
{
	d->count = 1;
	d->lba_low = 1;
	d->lba_mid = 0;
	d->lba_high = 0;
	d->device = 0;
}

static void ata_xfer_stop(struct ata_disk *d)
{
	d->xfer = ATA_XFER_NONE;
	d->xfer_left = 0;
	d->xfer_pos = 0;
}

/* The command ended well: DRQ clear, INTRQ asserted. */
static void ata_done(struct ata_disk *d)
{
	ata_xfer_stop(d);
	d->status = ATA_STAT_READY;
	d->intrq = true;
}

/* The command ended with an error: ERR, the reason in the error register,
 * INTRQ asserted (every protocol ends an error that way). */
static void ata_fail(struct ata_disk *d, uint8_t err)
{
	ata_xfer_stop(d);
	d->status = ATA_STAT_READY | ATA_STAT_ERR;
	d->error = err;
	d->errors++;
	d->intrq = true;
}

/* Error outputs of the read/write commands name the first sector that
 * failed: in the LBA registers and device bits 3:0 for LBA28, in the LBA
 * registers and their previous bytes for LBA48. */
static void ata_set_lba(struct ata_disk *d, uint64_t lba, bool ext)
{
	d->lba_low = (uint8_t)lba;
	d->lba_mid = (uint8_t)(lba >> 8);
	d->lba_high = (uint8_t)(lba >> 16);
	if (ext) {
		d->lba_low_prev = (uint8_t)(lba >> 24);
		d->lba_mid_prev = (uint8_t)(lba >> 32);
		d->lba_high_prev = (uint8_t)(lba >> 40);
	} else {
		d->device = (uint8_t)((d->device & ~ATA_DEV_LBA_HI) | ((lba >> 24) & ATA_DEV_LBA_HI));
	}
}

int ata_file_io(struct ata_disk *d, void *buf, uint64_t len, uint64_t off, bool write)
{
	uint8_t *p = buf;
	uint64_t done = 0;

	while (done < len) {
		ssize_t n = write ?
			pwrite(d->fd, p + done, len - done, (off_t)(off + done)) :
			pread(d->fd, p + done, len - done, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			d->last_errno = n < 0 ? errno : EIO;
			return -d->last_errno;
		}
		done += (uint64_t)n;
	}
	return 0;
}

/* The sector at 'lba' between the one-sector buffer and the file. */
static int ata_host_io(struct ata_disk *d, uint64_t lba, bool write)
{
	return ata_file_io(d, d->buf, ATA_SECTOR, lba * ATA_SECTOR, write);
}

/* PIO data-in, one sector: fill the buffer from xfer_lba, set DRQ and
 * assert INTRQ; a host failure ends the command with UNC instead. */
static void ata_read_sector(struct ata_disk *d)
{
	if (ata_host_io(d, d->xfer_lba, false) < 0) {
		ata_set_lba(d, d->xfer_lba, d->xfer_ext);
		ata_fail(d, ATA_ERR_UNC);
		return;
	}
	d->sectors_read++;
	d->xfer = ATA_XFER_IN;
	d->xfer_pos = 0;
	d->status = ATA_STAT_READY | ATA_STAT_DRQ;
	d->intrq = true;
}

/*
 * READ/WRITE SECTOR(S) [EXT]: check the address and start the data phase.
 * LBA28 takes bits 27:24 from the device register and count 0 as 256;
 * LBA48 takes bits 47:24 and the count's high byte from the previous
 * bytes, count 0 as 65536 (ATA8-ACS, READ SECTOR(S) EXT).
 */
static void ata_rw(struct ata_disk *d, bool write, bool ext)
{
	uint64_t lba, n;

	if (ext) {
		lba = (uint64_t)d->lba_high_prev << 40 | (uint64_t)d->lba_mid_prev << 32 |
		      (uint64_t)d->lba_low_prev << 24 | (uint64_t)d->lba_high << 16 |
		      (uint64_t)d->lba_mid << 8 | d->lba_low;
		n = (uint64_t)d->count_prev << 8 | d->count;
		if (n == 0)
			n = ATA_EXT_MAX_XFER;
	} else {
		/* CHS (device bit 6 clear) is not offered: IDENTIFY leaves the
		 * geometry words empty.  An EXT command has no CHS form, so its
		 * bit 6 is not checked. */
		if (!(d->device & ATA_DEV_LBA)) {
			ata_fail(d, ATA_ERR_ABRT);
			return;
		}
		lba = (uint64_t)(d->device & ATA_DEV_LBA_HI) << 24 | (uint64_t)d->lba_high << 16 |
		      (uint64_t)d->lba_mid << 8 | d->lba_low;
		n = d->count ? d->count : ATA_MAX_XFER;
	}
	/* ATA has no write-protect bit for disks: a write it will not do is
	 * an aborted command. */
	if (write && d->read_only) {
		ata_fail(d, ATA_ERR_ABRT);
		return;
	}
	/* IDNF: some sector of the range is beyond the capacity.  The first
	 * such sector is reported, and no data moves. */
	if (lba >= d->sectors || n > d->sectors - lba) {
		ata_set_lba(d, lba > d->sectors ? lba : d->sectors, ext);
		ata_fail(d, ATA_ERR_IDNF);
		return;
	}
	d->xfer_ext = ext;
	d->xfer_lba = lba;
	d->xfer_left = (uint32_t)n;
	if (write) {
		/* PIO data-out: DRQ for the first sector with no interrupt. */
		d->xfer = ATA_XFER_OUT;
		d->xfer_pos = 0;
		d->status = ATA_STAT_READY | ATA_STAT_DRQ;
	} else {
		ata_read_sector(d);
	}
}

/* An ATA string: two characters to a word, the first in bits 15:8, padded
 * with spaces (ATA8-ACS, IDENTIFY DEVICE, "ATA string convention"). */
static void ata_id_string(uint16_t *id, int word, int nwords, const char *s)
{
	for (int i = 0; i < 2 * nwords; i++) {
		uint8_t c = *s ? (uint8_t)*s++ : ' ';

		id[word + i / 2] |= (i & 1) ? c : (uint16_t)(c << 8);
	}
}

/* IDENTIFY DEVICE: the 512 bytes into buf, words little-endian, and a PIO
 * data-in phase of one block. */
static void ata_identify(struct ata_disk *d)
{
	uint16_t id[256] = { 0 };
	uint64_t lba28 = d->sectors < ATA_LBA28_MAX ? d->sectors : ATA_LBA28_MAX;
	uint8_t sum = 0;

	id[0] = 0x0040;                 /* ATA device, fixed (not removable) */
	ata_id_string(id, 10, 10, d->serial);
	ata_id_string(id, 23, 4, ATA_FIRMWARE);
	ata_id_string(id, 27, 20, d->model);
	id[47] = 0x8000;                /* 80h; 7:0 = 0: no READ/WRITE MULTIPLE */
	id[49] = 1 << 9;                /* LBA supported */
	id[50] = 1 << 14;               /* shall be one */
	id[51] = 0x0200;                /* PIO mode 2 (obsolete word, still read) */
	id[53] = (1 << 1) | (1 << 2);   /* words 64-70 and word 88 are valid */
	id[60] = (uint16_t)lba28;       /* LBA28 capacity, low word first */
	id[61] = (uint16_t)(lba28 >> 16);
	id[64] = 0x0003;                /* PIO modes 3 and 4 */
	id[67] = 120;                   /* PIO cycle times, ns */
	id[68] = 120;
	id[80] = (1 << 6) | (1 << 7) | (1 << 8); /* ATA/ATAPI-6, -7, ATA8-ACS */
	id[82] = 0;
	id[83] = (1 << 14) | (1 << 13) | (1 << 12) | (1 << 10); /* shall be one,
					 * FLUSH CACHE EXT, FLUSH CACHE, 48-bit */
	id[84] = 1 << 14;               /* shall be one */
	id[86] = (1 << 13) | (1 << 12) | (1 << 10); /* the same, enabled */
	id[87] = 1 << 14;               /* shall be one */
	for (int i = 0; i < 4; i++)     /* LBA48 capacity, words 100-103 */
		id[100 + i] = (uint16_t)(d->sectors >> (16 * i));
	id[106] = 1 << 14;              /* valid: one 512-byte logical sector
					 * per physical sector */
	for (int i = 0; i < 255; i++) {
		d->buf[2 * i] = (uint8_t)id[i];
		d->buf[2 * i + 1] = (uint8_t)(id[i] >> 8);
		sum = (uint8_t)(sum + d->buf[2 * i] + d->buf[2 * i + 1]);
	}
	/* Word 255, integrity: signature A5h, and a checksum byte that makes
	 * the 512 bytes sum to zero mod 256. */
	d->buf[510] = 0xa5;
	d->buf[511] = (uint8_t)-(uint8_t)(sum + 0xa5);
	d->xfer_ext = false;
	d->xfer_lba = 0;
	d->xfer_left = 1;
	d->xfer = ATA_XFER_IN;
	d->xfer_pos = 0;
	d->status = ATA_STAT_READY | ATA_STAT_DRQ;
	d->intrq = true;
}

/* FLUSH CACHE [EXT]: make the guest's writes durable.  A failure has no one
 * sector for UNC to name, so it is an aborted command. */
static void ata_flush(struct ata_disk *d)
{
	while (fdatasync(d->fd) < 0) {
		if (errno == EINTR)
			continue;
		d->last_errno = errno;
		ata_fail(d, ATA_ERR_ABRT);
		return;
	}
	d->flushes++;
	ata_done(d);
}

/*
 * A write to the command register, device 0 selected.  The write clears a
 * pending interrupt (ATA/ATAPI-6 5.2.9) and any transfer under way; the
 * line is dropped at once, so the completion that follows is a new edge
 * for the PIC even when the guest never read the status register.
 */
static void ata_command(struct ata_disk *d, uint8_t cmd)
{
	d->commands++;
	ata_xfer_stop(d);
	d->intrq = false;
	ata_update_irq(d);
	d->error = 0;
	d->status = ATA_STAT_READY;
	switch (cmd) {
	case ATA_CMD_READ:
	case ATA_CMD_READ + 1:
		ata_rw(d, false, false);
		break;
	case ATA_CMD_READ_EXT:
		ata_rw(d, false, true);
		break;
	case ATA_CMD_WRITE:
	case ATA_CMD_WRITE + 1:
		ata_rw(d, true, false);
		break;
	case ATA_CMD_WRITE_EXT:
		ata_rw(d, true, true);
		break;
	case ATA_CMD_IDENTIFY:
		ata_identify(d);
		break;
	case ATA_CMD_FLUSH:
	case ATA_CMD_FLUSH_EXT:
		ata_flush(d);
		break;
	case ATA_CMD_CHECK_POWER:
		d->count = 0xff;        /* active or idle */
		ata_done(d);
		break;
	case ATA_CMD_DIAGNOSTIC:
		/* Diagnostic code 01h: device 0 passed, device 1 absent. */
		ata_set_signature(d);
		d->error = ATA_ERR_DIAG_OK;
		ata_done(d);
		break;
	case ATA_CMD_SET_FEATURES:      /* transfer modes, caches: nothing to set */
	case ATA_CMD_INIT_PARAMS:       /* CHS geometry, which is not used */
		ata_done(d);
		break;
	default:
		/* RECALIBRATE (10h-1Fh, obsolete): the heads are always home. */
		if ((cmd & 0xf0) == ATA_CMD_RECALIBRATE) {
			ata_done(d);
			break;
		}
		/* IDENTIFY PACKET DEVICE (this is no ATAPI device), DMA,
		 * READ/WRITE MULTIPLE, NOP, ...: aborted. */
		ata_fail(d, ATA_ERR_ABRT);
		break;
	}
}

/* One word from the data register: the next of the sector in the buffer;
 * all-ones when no data-in phase is under way. */
static uint16_t ata_data_read(struct ata_disk *d)
{
	uint16_t w;

	if (d->xfer != ATA_XFER_IN)
		return 0xffff;
	w = (uint16_t)(d->buf[d->xfer_pos] | d->buf[d->xfer_pos + 1] << 8);
	d->xfer_pos += 2;
	if (d->xfer_pos < ATA_SECTOR)
		return w;
	if (--d->xfer_left) {
		d->xfer_lba++;
		ata_read_sector(d);
	} else {
		/* The last word: DRQ clears, no interrupt (the data-in protocol
		 * ends without one). */
		ata_xfer_stop(d);
		d->status = ATA_STAT_READY;
	}
	return w;
}

/* One word to the data register; a full buffer goes to the file.  Ignored
 * when no data-out phase is under way. */
static void ata_data_write(struct ata_disk *d, uint16_t w)
{
	if (d->xfer != ATA_XFER_OUT)
		return;
	d->buf[d->xfer_pos] = (uint8_t)w;
	d->buf[d->xfer_pos + 1] = (uint8_t)(w >> 8);
	d->xfer_pos += 2;
	if (d->xfer_pos < ATA_SECTOR)
		return;
	if (ata_host_io(d, d->xfer_lba, true) < 0) {
		ata_set_lba(d, d->xfer_lba, d->xfer_ext);
		ata_fail(d, ATA_ERR_UNC);
		return;
	}
	d->sectors_written++;
	d->xfer_pos = 0;
	if (--d->xfer_left) {
		d->xfer_lba++;
		d->status = ATA_STAT_READY | ATA_STAT_DRQ;
	} else {
		ata_xfer_stop(d);
		d->status = ATA_STAT_READY;
	}
	d->intrq = true;
}

/*
 * The data register is 16 bits wide.  A 32-bit access (insl/outsl) moves
 * two words, the first in bits 15:0, as two 16-bit cycles on the cable
 * would.  An 8-bit access moves nothing: byte-wide data transfers exist
 * only for CFA devices after SET FEATURES 01h, so it reads 0xff and a
 * write is dropped.
 */
static void ata_data_io(struct ata_disk *d, unsigned size, bool is_write, uint32_t *val)
{
	unsigned words = size / 2;

	if (size == 1) {
		if (!is_write)
			*val = 0xff;
		return;
	}
	if (ata_slave_selected(d)) {
		if (!is_write)
			*val = 0;
		return;
	}
	if (is_write) {
		for (unsigned i = 0; i < words; i++)
			ata_data_write(d, (uint16_t)(*val >> (16 * i)));
	} else {
		uint32_t v = 0;

		for (unsigned i = 0; i < words; i++)
			v |= (uint32_t)ata_data_read(d) << (16 * i);
		*val = v;
	}
}

/* Writing count, LBA or features moves the byte there into its "previous"
 * byte (ATA/ATAPI-6, 48-bit address feature set). */
static void ata_push(uint8_t *cur, uint8_t *prev, uint8_t v)
{
	*prev = *cur;
	*cur = v;
}

static void ata_reg_write(struct ata_disk *d, uint16_t offset, uint8_t v)
{
	/* BSY is set while SRST is held: the registers are not accepted. */
	if (d->control & ATA_CTL_SRST)
		return;
	/* A write to any command block register clears HOB (ATA/ATAPI-6,
	 * device control register). */
	d->control &= (uint8_t)~ATA_CTL_HOB;
	switch (offset) {
	case ATA_REG_FEATURE:
		ata_push(&d->feature, &d->feature_prev, v);
		break;
	case ATA_REG_COUNT:
		ata_push(&d->count, &d->count_prev, v);
		break;
	case ATA_REG_LBA_LOW:
		ata_push(&d->lba_low, &d->lba_low_prev, v);
		break;
	case ATA_REG_LBA_MID:
		ata_push(&d->lba_mid, &d->lba_mid_prev, v);
		break;
	case ATA_REG_LBA_HIGH:
		ata_push(&d->lba_high, &d->lba_high_prev, v);
		break;
	case ATA_REG_DEVICE:
		d->device = v;
		break;
	case ATA_REG_COMMAND:
		/* Device 1 is absent, so its commands go unanswered - except
		 * EXECUTE DEVICE DIAGNOSTIC, which both devices execute
		 * whichever DEV selects (ATA8-ACS). */
		if (!ata_slave_selected(d) || v == ATA_CMD_DIAGNOSTIC)
			ata_command(d, v);
		break;
	}
}

static uint8_t ata_reg_read(struct ata_disk *d, uint16_t offset)
{
	bool hob = d->control & ATA_CTL_HOB;

	/* Device 0 answers for an absent device 1 with zeros: a status of
	 * 00h tells the probe nothing is there. */
	if (ata_slave_selected(d))
		return 0;
	switch (offset) {
	case ATA_REG_ERROR:
		return d->error;
	case ATA_REG_COUNT:
		return hob ? d->count_prev : d->count;
	case ATA_REG_LBA_LOW:
		return hob ? d->lba_low_prev : d->lba_low;
	case ATA_REG_LBA_MID:
		return hob ? d->lba_mid_prev : d->lba_mid;
	case ATA_REG_LBA_HIGH:
		return hob ? d->lba_high_prev : d->lba_high;
	case ATA_REG_DEVICE:
		return d->device;
	case ATA_REG_STATUS:
		/* Reading status acknowledges the interrupt. */
		d->intrq = false;
		return d->status;
	}
	return 0xff;
}

/* Device control, written to both devices: nIEN gates INTRQ, and SRST
 * resets while it is held - BSY, transfer abandoned, interrupt cleared -
 * and when it is released leaves the signature, diagnostic code 01h and
 * DRDY (ATA/ATAPI-6, software reset protocol). */
static void ata_write_control(struct ata_disk *d, uint8_t v)
{
	uint8_t old = d->control;

	d->control = v;
	if ((v & ATA_CTL_SRST) && !(old & ATA_CTL_SRST)) {
		ata_xfer_stop(d);
		d->intrq = false;
		d->status = ATA_STAT_BSY;
	} else if (!(v & ATA_CTL_SRST) && (old & ATA_CTL_SRST)) {
		ata_set_signature(d);
		d->error = ATA_ERR_DIAG_OK;
		d->status = ATA_STAT_READY;
	}
}

void ata_init(struct ata_disk *d, int fd, uint64_t size_bytes, bool read_only,
	      const char *model, const char *serial)
{
	memset(d, 0, sizeof(*d));
	d->fd = fd;
	d->read_only = read_only;
	d->sectors = fd < 0 ? 0 : size_bytes / ATA_SECTOR;
	snprintf(d->model, sizeof(d->model), "%s", model ? model : "");
	snprintf(d->serial, sizeof(d->serial), "%s", serial ? serial : "");
	/* As after power-on: the signature, diagnostic passed, ready. */
	ata_set_signature(d);
	d->error = ATA_ERR_DIAG_OK;
	d->status = ATA_STAT_READY;
}

/* The command block, 0x1f0-0x1f7.  Registers other than data are 8 bits
 * wide: a wider access uses the low byte and reads back zero-extended. */
void ata_cmd_io(void *dev, uint16_t offset, unsigned size, bool is_write, uint32_t *val)
{
	struct ata_disk *d = dev;

	if (d->fd < 0) {
		if (!is_write)
			*val = ata_ones(size);
		return;
	}
	if (offset == ATA_REG_DATA)
		ata_data_io(d, size, is_write, val);
	else if (is_write)
		ata_reg_write(d, offset, (uint8_t)*val);
	else
		*val = ata_reg_read(d, offset);
	ata_update_irq(d);
}

/* The control block, 0x3f6: alternate status (the status register without
 * acknowledging the interrupt) and device control. */
void ata_ctl_io(void *dev, uint16_t offset, unsigned size, bool is_write, uint32_t *val)
{
	struct ata_disk *d = dev;

	if (d->fd < 0) {
		if (!is_write)
			*val = ata_ones(size);
		return;
	}
	if (is_write)
		ata_write_control(d, (uint8_t)*val);
	else
		*val = ata_slave_selected(d) ? 0 : d->status;
	ata_update_irq(d);
}

void ata_save(const struct ata_disk *d, struct ata_disk *img)
{
	*img = *d;
	img->fd = -1;
	img->irq = (struct irq_line){ 0 };
}

void ata_load(struct ata_disk *d, const struct ata_disk *img)
{
	struct ata_disk host = *d;

	*d = *img;
	d->fd = host.fd;
	d->irq = host.irq;
	d->read_only = host.read_only;
	d->sectors = host.sectors;
	memcpy(d->model, host.model, sizeof(d->model));
	memcpy(d->serial, host.serial, sizeof(d->serial));
	d->last_errno = 0;
}
