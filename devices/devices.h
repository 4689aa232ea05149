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

/* uart.c: 16550A, transmit side (receive comes with the interrupts work). */
#define UART_RBR 0  /* receive buffer (read, DLAB=0) */
#define UART_THR 0  /* transmit holding (write, DLAB=0) */
#define UART_IER 1  /* interrupt enable (DLAB=0) */
#define UART_IIR 2  /* interrupt identification (read) */
#define UART_FCR 2  /* FIFO control (write) */
#define UART_LCR 3  /* line control */
#define UART_MCR 4  /* modem control */
#define UART_LSR 5  /* line status */
#define UART_MSR 6  /* modem status */
#define UART_SCR 7  /* scratch */
#define UART_LCR_DLAB 0x80
#define UART_LSR_DR   0x01
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40
#define UART_IIR_NO_INT 0x01
#define UART_IIR_THRI   0x02  /* THR empty is the pending interrupt */
#define UART_IIR_FIFO   0xc0  /* FIFOs enabled (FCR bit 0) */
#define UART_IER_ETBEI  0x02  /* enable THR-empty interrupt */
#define UART_FCR_ENABLE 0x01
#define UART_MCR_LOOP   0x10  /* loopback: output stays internal */
#define UART_MSR_CTS    0x10
#define UART_MSR_DSR    0x20
#define UART_MSR_RI     0x40
#define UART_MSR_DCD    0x80

struct uart {
	uint8_t ier;             /* interrupt enable register */
	uint8_t iir;             /* interrupt identification register */
	uint8_t fcr;             /* FIFO control (last written) */
	uint8_t lcr;             /* line control register */
	uint8_t mcr;             /* modem control register */
	uint8_t lsr;             /* line status register */
	uint8_t msr;             /* modem status register */
	uint8_t scr;             /* scratch register */
	uint8_t dll, dlm;        /* divisor latch, low and high */
	int out_fd;              /* where transmitted bytes go (stdout) */
	uint64_t tx_bytes;       /* bytes transmitted */
	bool thri_pending;       /* THR-empty interrupt pending (IIR 0x02): set
	                          * when IER.ETBEI is enabled with THR empty or a
	                          * byte leaves, cleared by an IIR read or a THR
	                          * write (16550A datasheet, table 4) */
};

void uart_init(struct uart *u, int out_fd);
void uart_io(void *dev, uint16_t offset, unsigned size, bool is_write, uint32_t *val);

/* debugexit.c: a byte written stops the VM with that exit status. */
struct debug_exit {
	bool qemu_style;         /* status = (value << 1) | 1, as QEMU isa-debug-exit */
	bool fired;              /* the guest wrote: the VM must stop */
	int status;              /* exit status the guest chose */
};

void debug_exit_init(struct debug_exit *d, bool qemu_style);
void debug_exit_io(void *dev, uint16_t offset, unsigned size, bool is_write, uint32_t *val);

#endif
