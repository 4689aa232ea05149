/*
 * devices/: the port-I/O bus and the emulated devices.  Devices keep all
 * their state in their own struct (no globals), so each can be tested alone.
 */
#ifndef DEVICES_H
#define DEVICES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*
 * A port handler gets the offset within its range, the access size (1, 2 or
 * 4) and direction; for a read it stores the value in *val.
 */
typedef void (*pio_fn)(void *dev, uint16_t offset, unsigned size, bool is_write,
		       uint32_t *val);

#define BUS_MAX_RANGES 32

struct pio_range {
	uint16_t base;           /* first port */
	uint16_t len;            /* number of ports */
	const char *name;        /* device name, for messages and --stats */
	pio_fn fn;               /* handler */
	void *dev;               /* handler's device state */
};

struct pio_bus {
	struct pio_range range[BUS_MAX_RANGES]; /* registered ranges, unordered */
	int nranges;             /* entries used in range[] */
	uint64_t unknown_reads;  /* reads of unclaimed ports (read as all-ones) */
	uint64_t unknown_writes; /* writes to unclaimed ports (ignored) */
};

/*
 * An interrupt request line from a device to the interrupt controller.
 * Devices only raise and lower lines; the PIC picks the vector and the
 * vCPU loop delivers it (one place, just before resuming the guest).
 */
struct irq_line {
	void (*set)(void *opaque, int irq, int level); /* NULL: not connected */
	void *opaque;            /* the controller (struct pic) */
	int irq;                 /* line number on it, 0-15 */
};

static inline void irq_line_set(const struct irq_line *l, int level)
{
	if (l->set)
		l->set(l->opaque, l->irq, level);
}

/* bus.c */
void bus_init(struct pio_bus *bus);
/* Claim [base, base+len).  Returns 0, -EBUSY if it overlaps a claimed range
 * (nothing registered), -ENOSPC if the table is full, -EINVAL if len is 0 or
 * the range passes port 0xffff. */
int bus_register(struct pio_bus *bus, uint16_t base, uint16_t len,
		 const char *name, pio_fn fn, void *dev);
/* Perform one access.  Returns the range that handled it, or NULL for an
 * unclaimed port (a read then yields all-ones of the access size). */
const struct pio_range *bus_io(struct pio_bus *bus, uint16_t port, unsigned size,
			       bool is_write, uint32_t *val);

/* uart.c: 16550A, both directions, IRQ 4 gated by MCR.OUT2. */
#include <trapvisor/uart16550.h>   /* the registers, shared with the guest */

struct uart {
	uint8_t ier;             /* interrupt enable register */
	uint8_t iir;             /* interrupt identification register */
	uint8_t fcr;             /* FIFO control (last written) */
	uint8_t lcr;             /* line control register */
	uint8_t mcr;             /* modem control register */
	uint8_t lsr;             /* line status register (DR follows rx_count) */
	uint8_t msr;             /* modem status register: inputs and deltas */
	uint8_t scr;             /* scratch register */
	uint8_t dll, dlm;        /* divisor latch, low and high */
	uint8_t rbr;             /* receiver buffer: the byte read last */
	uint8_t rx_fifo[UART_FIFO_LEN]; /* receiver FIFO (one byte deep while
	                          * FCR.0 is clear: the 16450's holding register) */
	uint8_t rx_head;         /* index of the oldest byte in rx_fifo */
	uint8_t rx_count;        /* bytes waiting in rx_fifo */
	int out_fd;              /* where transmitted bytes go (stdout) */
	uint64_t tx_bytes;       /* bytes transmitted */
	uint64_t tx_dropped;     /* of which lost: nobody took them (uart_tx) */
	unsigned tx_stall_ms;    /* drop bytes after a wait this long, 0: wait */
	bool tx_stalled;         /* dropping until out_fd takes bytes again */
	bool tx_onlcr;           /* "\n" leaves as "\r\n" (uart_tx) */
	uint64_t rx_bytes;       /* bytes received (uart_rx and loopback) */
	uint64_t overruns;       /* bytes lost to overrun (loopback only: uart_rx
	                          * never takes more than uart_rx_space) */
	bool rx_open;            /* the guest set the receiver up (wrote FCR,
	                          * enabled ERBFI, or read RBR): host input is
	                          * offered only from then on */
	bool thri_pending;       /* THR-empty interrupt pending (IIR 0x02): set
	                          * when IER.ETBEI is enabled with THR empty or a
	                          * byte leaves, cleared by an IIR read or a THR
	                          * write (16550A datasheet, table 4) */
	struct irq_line irq;     /* IRQ 4 on the PIC */
	bool irq_level;          /* level last driven on irq */
};

void uart_init(struct uart *u, int out_fd, struct irq_line irq);
void uart_io(void *dev, uint16_t offset, unsigned size, bool is_write, uint32_t *val);
/* Room in the receiver for bytes from the host: 0 in loopback (the serial
 * input is disconnected), else the free FIFO slots. */
unsigned uart_rx_space(const struct uart *u);
/* Hand received bytes to the UART: takes at most uart_rx_space() of buf
 * (never an overrun), returns how many it took; the caller keeps the rest. */
unsigned uart_rx(struct uart *u, const uint8_t *buf, unsigned n);
/* Received bytes the guest has not read yet. */
unsigned uart_rx_pending(const struct uart *u);
/* Snapshots (monitor/snapshot.c): the registers and FIFO without the host
 * side (out_fd, the IRQ line), and back, keeping this UART's host side. */
void uart_save(const struct uart *u, struct uart *img);
void uart_load(struct uart *u, const struct uart *img);

/* pic.c: the PC/AT pair of 8259A interrupt controllers. */
#define PIC_NR_IRQS     16
#define PIC_CASCADE_IRQ 2     /* the master's input wired to the slave's INT */

struct pic_chip {
	uint8_t irr;             /* interrupt request register */
	uint8_t isr;             /* in-service register */
	uint8_t imr;             /* interrupt mask register (OCW1) */
	uint8_t last_level;      /* input level seen last, per line (edge sense) */
	uint8_t icw_step;        /* 0: operational; 2, 3, 4: the ICW expected next */
	bool icw4_needed;        /* ICW1.IC4 */
	bool single;             /* ICW1.SNGL: no cascade, no ICW3 */
	bool ltim;               /* ICW1.LTIM: level-triggered inputs */
	uint8_t icw3;            /* master: inputs with a slave; slave: its id */
	uint8_t vector_base;     /* ICW2 & 0xf8: the vector of input 0 */
	bool auto_eoi;           /* ICW4.AEOI: INTA does the EOI */
	bool special_fully_nested; /* ICW4.SFNM (master): the slave in service
	                          * may still pass its higher requests */
	bool rotate_on_aeoi;     /* OCW2 "rotate in automatic EOI mode" */
	bool read_isr;           /* OCW3 RR/RIS: base+0 reads ISR, else IRR */
	bool poll;               /* OCW3.P: the next read is a poll */
	bool special_mask;       /* OCW3 ESMM/SMM: special mask mode */
	uint8_t lowest_priority; /* input with the lowest priority (7 at init);
	                          * the next one round has the highest */
};

struct pic {
	struct pic_chip chip[2]; /* [0] master at 0x20, [1] slave at 0xa0 */
	uint64_t spurious;       /* INTA cycles that found no request (IRQ 7/15) */
	uint64_t acked[PIC_NR_IRQS]; /* interrupts acknowledged, per IRQ */
};

void pic_init(struct pic *p);
/* Port handlers, dev = struct pic: master 0x20-0x21, slave 0xa0-0xa1. */
void pic_master_io(void *dev, uint16_t offset, unsigned size, bool is_write, uint32_t *val);
void pic_slave_io(void *dev, uint16_t offset, unsigned size, bool is_write, uint32_t *val);
/* An input changed (irq_line.set): irq 0-15, edge-triggered; IRQ 2 is the
 * PC/AT's ISA IRQ 2, wired to IRQ 9. */
void pic_set_irq(void *pic, int irq, int level);
/* The INTR output: a request the CPU should take when IF allows. */
bool pic_intr(const struct pic *p);
/* The INTA cycle: the vector to deliver, with IRR/ISR updated; a request
 * that vanished yields IRQ 7's (or IRQ 15's) vector and counts as spurious. */
int pic_ack(struct pic *p);
/* Snapshots: the PIC is all guest-visible state (a plain copy). */
void pic_save(const struct pic *p, struct pic *img);
void pic_load(struct pic *p, const struct pic *img);

/* The line for IRQ irq, to give to a device's init. */
static inline struct irq_line pic_irq_line(struct pic *p, int irq)
{
	return (struct irq_line){ .set = pic_set_irq, .opaque = p, .irq = irq };
}

/* pit.c: 8254 programmable interval timer, channel 0 drives IRQ 0. */
#define PIT_HZ 1193182u       /* input clock of the PC's 8254, Hz */

struct pit_channel {
	uint8_t control;         /* last control word, bits 5-0 (RW, M, BCD) */
	uint8_t mode;            /* 0-5 (6 and 7 are 2 and 3) */
	uint8_t rw;              /* access: 1 LSB, 2 MSB, 3 LSB then MSB */
	bool bcd;                /* counts in four BCD decades */
	bool counting;           /* a count was loaded since the control word */
	uint32_t reload;         /* the count in clocks: 1-65536 (1-10000 BCD) */
	uint64_t load_ns;        /* when that count was loaded (CLOCK_MONOTONIC) */
	uint64_t periods;        /* modes 2, 3: period ends accounted since load_ns */
	uint64_t owed;           /* period ends of an earlier count not yet pulsed */
	uint32_t next_reload;    /* modes 2, 3: count written while counting,
	                          * loaded at the end of the period (0: none) */
	uint64_t switch_ns;      /* when next_reload takes over */
	uint64_t switch_period;  /* ... as a period end of the current count */
	bool fired;              /* modes 0, 4: terminal count reached */
	bool write_msb;          /* RW 3: the next count byte written is the MSB */
	uint8_t write_lsb;       /* RW 3: the LSB written already */
	bool read_msb;           /* RW 3: the next byte read is the MSB */
	bool count_latched;      /* a latch command froze 'latch' */
	uint16_t latch;          /* output latch, as read (BCD if bcd) */
	bool status_latched;     /* read-back froze 'status' */
	uint8_t status;          /* OUT, null count, control bits 5-0 */
	bool null_count;         /* a count was written but not loaded yet */
};

struct pit {
	struct pit_channel ch[3]; /* channel 0 = IRQ 0; 1 and 2 count, unwired */
	struct irq_line irq0;    /* IRQ 0 on the PIC */
	bool out0;               /* level last driven on irq0 */
	uint64_t now_ns;         /* CLOCK_MONOTONIC time of the port access the
	                          * caller is about to make: set it before bus_io */
	uint64_t ticks;          /* IRQ 0 pulses delivered */
	uint64_t missed;         /* period ends coalesced into a later pulse */
};

void pit_init(struct pit *p, struct irq_line irq0);
/* Port handler, dev = struct pit, ports 0x40-0x43; uses p->now_ns. */
void pit_io(void *dev, uint16_t offset, unsigned size, bool is_write, uint32_t *val);
/* Advance channel 0 to now_ns, pulsing IRQ 0 for the period ends passed
 * (several coalesce into one); returns the CLOCK_MONOTONIC time of the next
 * one, 0 if none is due.  Call it when that time comes and after every
 * access to the PIT's ports. */
uint64_t pit_update(struct pit *p, uint64_t now_ns);
/* Snapshots: the channels without the IRQ line; times stay host
 * CLOCK_MONOTONIC and are moved by pit_shift() on restore. */
void pit_save(const struct pit *p, struct pit *img);
void pit_load(struct pit *p, const struct pit *img);
/* Move every time the counters are reckoned from by delta_ns (the VM was
 * saved or paused that long: the guest must not see it). */
void pit_shift(struct pit *p, uint64_t delta_ns);

/* rtc.c: the MC146818 real-time clock and CMOS RAM at 0x70-0x71, IRQ 8. */
#define RTC_SECONDS       0x00
#define RTC_SECONDS_ALARM 0x01
#define RTC_MINUTES       0x02
#define RTC_MINUTES_ALARM 0x03
#define RTC_HOURS         0x04
#define RTC_HOURS_ALARM   0x05
#define RTC_DAY_OF_WEEK   0x06  /* 1 = Sunday */
#define RTC_DAY_OF_MONTH  0x07
#define RTC_MONTH         0x08
#define RTC_YEAR          0x09  /* two digits */
#define RTC_REG_A         0x0a
#define RTC_REG_B         0x0b
#define RTC_REG_C         0x0c
#define RTC_REG_D         0x0d
#define RTC_CENTURY       0x32  /* the PC/AT's century byte */
#define RTC_A_UIP   0x80        /* update in progress (244 us before a second) */
#define RTC_B_SET   0x80        /* halt updates, registers may be set */
#define RTC_B_PIE   0x40        /* periodic interrupt enable */
#define RTC_B_AIE   0x20        /* alarm interrupt enable */
#define RTC_B_UIE   0x10        /* update-ended interrupt enable */
#define RTC_B_SQWE  0x08
#define RTC_B_DM    0x04        /* data mode: 1 binary, 0 BCD */
#define RTC_B_24H   0x02        /* 1: 24-hour; 0: 12-hour, PM in hours bit 7 */
#define RTC_B_DSE   0x01
#define RTC_C_IRQF  0x80        /* some flag below is set and enabled */
#define RTC_C_PF    0x40        /* periodic */
#define RTC_C_AF    0x20        /* alarm */
#define RTC_C_UF    0x10        /* update ended */
#define RTC_D_VRT   0x80        /* valid RAM and time: the battery is good */

struct rtc {
	uint8_t index;           /* register selected through port 0x70 */
	bool nmi_disabled;       /* port 0x70 bit 7: NMI mask (kept, no effect) */
	uint8_t cmos[128];       /* the RAM: time registers (meaningful while
	                          * SET), alarms, A-D, plain storage */
	int64_t offset_ns;       /* guest time minus host wall time */
	int64_t last_sec;        /* guest second last checked for UF and AF */
	int64_t last_period;     /* periodic-interrupt tick last checked for PF */
	struct irq_line irq;     /* IRQ 8 on the PIC */
	bool irq_level;          /* level last driven on irq */
	int64_t (*wall_ns)(void *opaque); /* host time: ns since the epoch, UTC */
	void *opaque;            /* wall_ns's argument */
};

void rtc_init(struct rtc *r, struct irq_line irq8, int64_t (*wall_ns)(void *opaque),
	      void *opaque);
/* Port handler, dev = struct rtc, ports 0x70-0x71. */
void rtc_io(void *dev, uint16_t offset, unsigned size, bool is_write, uint32_t *val);
/* Set the flags that fell due and drive IRQ 8; returns the wall_ns() time
 * of the next interrupt an enable bit asks for, 0 if none.  Call it then
 * and after every access to the RTC's ports. */
int64_t rtc_update(struct rtc *r);
/* Snapshots: CMOS RAM, the index and the guest's offset from the host
 * clock (the RTC keeps following the host's wall clock, as QEMU's
 * default clock=host does), without the IRQ line and the clock source. */
void rtc_save(const struct rtc *r, struct rtc *img);
void rtc_load(struct rtc *r, const struct rtc *img);

/* debugexit.c: a byte written stops the VM with that exit status. */
struct debug_exit {
	bool qemu_style;         /* status = (value << 1) | 1, as QEMU isa-debug-exit */
	bool fired;              /* the guest wrote: the VM must stop */
	int status;              /* exit status the guest chose */
};

void debug_exit_init(struct debug_exit *d, bool qemu_style);
void debug_exit_io(void *dev, uint16_t offset, unsigned size, bool is_write, uint32_t *val);


/* ata.c: one ATA disk, master on the primary channel, PIO only (ATA/ATAPI-8 ACS). */
#define ATA_PORT_CMD     0x1f0  /* 0x1f0-0x1f7: data, error/features, count, lba 0-2, device, status/command */
#define ATA_PORT_CTL     0x3f6  /* alternate status (read) / device control (write) */
#define ATA_IRQ          14
#define ATA_SECTOR       512
#define ATA_MAX_XFER     256    /* sectors in one LBA28 command (count 0); an
				 * EXT command moves up to 65536 */
#define ATA_REG_DATA     0      /* offsets from ATA_PORT_CMD: 16-bit data */
#define ATA_REG_ERROR    1      /* read */
#define ATA_REG_FEATURE  1      /* write */
#define ATA_REG_COUNT    2      /* sector count */
#define ATA_REG_LBA_LOW  3      /* LBA bits 7:0 (47:24 in the previous bytes) */
#define ATA_REG_LBA_MID  4      /* LBA bits 15:8 */
#define ATA_REG_LBA_HIGH 5      /* LBA bits 23:16 */
#define ATA_REG_DEVICE   6
#define ATA_REG_STATUS   7      /* read: clears the pending interrupt */
#define ATA_REG_COMMAND  7      /* write */
#define ATA_STAT_BSY  0x80
#define ATA_STAT_DRDY 0x40
#define ATA_STAT_DF   0x20      /* device fault (never set here) */
#define ATA_STAT_DSC  0x10      /* seek complete: always set with DRDY here */
#define ATA_STAT_DRQ  0x08      /* a data block is ready to move */
#define ATA_STAT_ERR  0x01      /* the error register says why */
#define ATA_ERR_ABRT  0x04      /* command aborted (unknown, write protected) */
#define ATA_ERR_IDNF  0x10      /* address beyond capacity */
#define ATA_ERR_UNC   0x40      /* uncorrectable: the host file failed */
#define ATA_ERR_DIAG_OK 0x01    /* diagnostic code: device 0 passed, no device 1 */
#define ATA_DEV_LBA   0x40      /* device register: LBA (not CHS) addressing */
#define ATA_DEV_DEV   0x10      /* device register: device 1 (slave) selected */
#define ATA_DEV_LBA_HI 0x0f     /* device register: LBA28 bits 27:24 */
#define ATA_CTL_NIEN  0x02      /* device control: INTRQ released */
#define ATA_CTL_SRST  0x04      /* device control: software reset while set */
#define ATA_CTL_HOB   0x80      /* device control: reads return previous bytes */
#define ATA_CMD_RECALIBRATE   0x10  /* 0x10-0x1f */
#define ATA_CMD_READ          0x20  /* READ SECTOR(S); 0x21 the same (no retry) */
#define ATA_CMD_READ_EXT      0x24
#define ATA_CMD_WRITE         0x30  /* WRITE SECTOR(S); 0x31 the same */
#define ATA_CMD_WRITE_EXT     0x34
#define ATA_CMD_DIAGNOSTIC    0x90  /* EXECUTE DEVICE DIAGNOSTIC */
#define ATA_CMD_INIT_PARAMS   0x91  /* INITIALIZE DEVICE PARAMETERS */
#define ATA_CMD_IDENTIFY_PACKET 0xa1
#define ATA_CMD_CHECK_POWER   0xe5
#define ATA_CMD_FLUSH         0xe7
#define ATA_CMD_FLUSH_EXT     0xea
#define ATA_CMD_IDENTIFY      0xec
#define ATA_CMD_SET_FEATURES  0xef

enum ata_xfer {
	ATA_XFER_NONE,           /* no data phase */
	ATA_XFER_IN,             /* PIO data-in: the guest reads buf */
	ATA_XFER_OUT,            /* PIO data-out: the guest fills buf */
};

struct ata_disk {
	int fd;                  /* backing file (pread/pwrite), -1: no disk on the channel */
	bool read_only;
	uint64_t sectors;        /* capacity in 512-byte sectors */
	struct irq_line irq;     /* IRQ 14 */
	char model[41];          /* IDENTIFY words 27-46, without the padding */
	char serial[21];         /* IDENTIFY words 10-19 */
	/* The task file.  Count and LBA (and features) keep the byte written
	 * before the last one too: the LBA48 "previous" (HOB) byte. */
	uint8_t feature, feature_prev;
	uint8_t count, count_prev;
	uint8_t lba_low, lba_low_prev;
	uint8_t lba_mid, lba_mid_prev;
	uint8_t lba_high, lba_high_prev;
	uint8_t device;          /* device register: LBA, DEV, LBA28 bits 27:24 */
	uint8_t status;          /* status register (BSY while SRST is held) */
	uint8_t error;           /* error register */
	uint8_t control;         /* device control, as last written */
	bool intrq;              /* the device has an interrupt pending (INTRQ
				  * before nIEN and device selection gate it) */
	bool irq_level;          /* level last driven on irq */
	/* The PIO transfer under way. */
	enum ata_xfer xfer;      /* direction, NONE when DRQ is clear */
	bool xfer_ext;           /* an EXT command: errors report a 48-bit LBA */
	uint64_t xfer_lba;       /* the sector in buf */
	uint32_t xfer_left;      /* sectors still to move, counting the one in buf */
	uint16_t xfer_pos;       /* bytes of buf moved so far */
	uint8_t buf[ATA_SECTOR]; /* the sector buffer */
	uint64_t sectors_read, sectors_written; /* for --stats: sectors moved */
	uint64_t commands;       /* commands the disk executed */
	uint64_t flushes;        /* FLUSH CACHE and paravirtual flushes: fdatasync done */
	uint64_t errors;         /* commands that ended with ERR (ABRT, IDNF, UNC) */
	int last_errno;          /* errno of the last failed host pread/pwrite/fdatasync, 0 if none */
};

/* Attach a disk of size_bytes (a multiple of 512; the rest is ignored) read
 * through fd; fd = -1 leaves the channel empty (every port reads 0xff, as a
 * floating bus does, so a guest's probe finds nothing).  'model' is the
 * IDENTIFY model string (e.g. "trapvisor disk"), 'serial' the serial number
 * (longer strings are cut to 40 and 20 characters).  The state is as after
 * power-on, with irq unconnected: set d->irq afterwards
 * (d->irq = pic_irq_line(pic, ATA_IRQ)). */
void ata_init(struct ata_disk *d, int fd, uint64_t size_bytes, bool read_only,
	      const char *model, const char *serial);
/* Port handlers for the bus (pio_fn): 0x1f0-0x1f7 (offset 0-7) and 0x3f6 (offset 0). */
void ata_cmd_io(void *dev, uint16_t offset, unsigned size, bool is_write, uint32_t *val);
/* Move len bytes at byte offset off between buf and the disk's file, whole:
 * EINTR and short transfers are retried, and end of file (a file shorter
 * than the disk it was said to be) counts as EIO.  Returns 0, or -errno
 * with last_errno set.  (The paravirtual disk, monitor/vm.c, uses it too.) */
int ata_file_io(struct ata_disk *d, void *buf, uint64_t len, uint64_t off, bool write);
void ata_ctl_io(void *dev, uint16_t offset, unsigned size, bool is_write, uint32_t *val);
/* Snapshots: the task file, the transfer under way and its sector buffer,
 * without the host side (fd, IRQ line, the image's size and mode, which
 * belong to the attachment and are checked separately). */
void ata_save(const struct ata_disk *d, struct ata_disk *img);
void ata_load(struct ata_disk *d, const struct ata_disk *img);

#endif
