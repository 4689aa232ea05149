/*
 * A 16550A UART (COM1, the console), transmit side, after the National
 * Semiconductor PC16550D datasheet.  A byte written to THR leaves at once:
 * it is written to out_fd before the OUT instruction completes, so the
 * transmitter is always idle and LSR always reads THRE|TEMT.  There is no
 * receiver yet (RBR reads 0, LSR.DR is 0); it comes with the interrupt
 * work, which will also hang IRQ 4 on uart_update_irq().
 *
 * The registers a driver probes behave as on the chip: the divisor latch
 * behind LCR.DLAB, IER's four enable bits, IIR with its FIFO bits and the
 * THR-empty interrupt, MCR's five bits with loopback reflected in MSR, and
 * the scratch register (Linux's 8250 driver tells an 8250 from a 16450 by
 * whether SCR keeps what was written).
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "devices.h"

#define UART_IER_MASK 0x0f  /* bits 4-7 are always 0 */
#define UART_MCR_MASK 0x1f  /* DTR RTS OUT1 OUT2 LOOP; bits 5-7 are 0 */
#define UART_FCR_KEEP 0xc9  /* FIFO enable, DMA mode, trigger level: bits 1
			     * and 2 reset the FIFOs and clear themselves */
#define UART_MCR_DTR  0x01
#define UART_MCR_RTS  0x02
#define UART_MCR_OUT1 0x04
#define UART_MCR_OUT2 0x08

void uart_init(struct uart *u, int out_fd)
{
	memset(u, 0, sizeof(*u));
	u->out_fd = out_fd;
	u->iir = UART_IIR_NO_INT;
	u->lsr = UART_LSR_THRE | UART_LSR_TEMT;
	u->msr = UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
}

/*
 * Recompute IIR from the pending sources.  Only the THR-empty interrupt
 * exists without a receiver.  This is the one place the IRQ line will be
 * driven from once the PIC is wired.
 */
static void uart_update_irq(struct uart *u)
{
	uint8_t fifo = (u->fcr & UART_FCR_ENABLE) ? UART_IIR_FIFO : 0;

	if (u->thri_pending && (u->ier & UART_IER_ETBEI))
		u->iir = fifo | UART_IIR_THRI;
	else
		u->iir = fifo | UART_IIR_NO_INT;
}

/*
 * Put one byte on the wire: write it to out_fd, retrying interrupted and
 * partial writes and waiting out a full non-blocking descriptor.  A console
 * whose reader went away (EPIPE, EIO, ...) must not stop the guest, so
 * other errors drop the byte.
 */
static void uart_tx(struct uart *u, uint8_t byte)
{
	u->tx_bytes++;
	for (;;) {
		ssize_t n = write(u->out_fd, &byte, 1);

		if (n == 1)
			return;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd p = { .fd = u->out_fd, .events = POLLOUT };

			if (poll(&p, 1, -1) >= 0 || errno == EINTR)
				continue;
		}
		return;
	}
}

/* MSR: in loopback the modem outputs feed the modem inputs (datasheet
 * 8.6.4: CTS<-RTS, DSR<-DTR, RI<-OUT1, DCD<-OUT2); otherwise a terminal is
 * attached and ready: carrier, DSR and CTS, no ring. */
static uint8_t uart_msr(const struct uart *u)
{
	uint8_t m = u->mcr;

	if (!(m & UART_MCR_LOOP))
		return u->msr;
	return ((m & UART_MCR_RTS) ? UART_MSR_CTS : 0) |
	       ((m & UART_MCR_DTR) ? UART_MSR_DSR : 0) |
	       ((m & UART_MCR_OUT1) ? UART_MSR_RI : 0) |
	       ((m & UART_MCR_OUT2) ? UART_MSR_DCD : 0);
}

static void uart_write(struct uart *u, uint16_t offset, uint8_t v)
{
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (offset) {
	case UART_THR:
		if (dlab) {
			u->dll = v;
			break;
		}
		/* In loopback the serial output is held marking: nothing leaves. */
		if (!(u->mcr & UART_MCR_LOOP))
			uart_tx(u, v);
		/* The byte left at once, so THR is empty again: that re-raises
		 * the THR-empty interrupt the write just cleared. */
		u->thri_pending = true;
		break;
	case UART_IER:
		if (dlab) {
			u->dlm = v;
			break;
		}
		/* Enabling ETBEI while THR is empty raises the interrupt at once;
		 * drivers (Linux's 8250 THRE test) rely on it. */
		if ((v & UART_IER_ETBEI) && !(u->ier & UART_IER_ETBEI))
			u->thri_pending = true;
		u->ier = v & UART_IER_MASK;
		break;
	case UART_FCR:
		u->fcr = v & UART_FCR_KEEP;
		break;
	case UART_LCR:
		u->lcr = v;
		break;
	case UART_MCR:
		u->mcr = v & UART_MCR_MASK;
		break;
	case UART_LSR:
	case UART_MSR:
		/* Writable only for factory test on the chip; ignored here. */
		break;
	case UART_SCR:
		u->scr = v;
		break;
	}
}

static uint8_t uart_read(struct uart *u, uint16_t offset)
{
	bool dlab = u->lcr & UART_LCR_DLAB;
	uint8_t v = 0;

	switch (offset) {
	case UART_RBR:
		v = dlab ? u->dll : 0;  /* no receiver: RBR is empty */
		break;
	case UART_IER:
		v = dlab ? u->dlm : u->ier;
		break;
	case UART_IIR:
		v = u->iir;
		/* Reading IIR while it reports THR empty clears that interrupt. */
		if ((v & 0x0f) == UART_IIR_THRI)
			u->thri_pending = false;
		break;
	case UART_LCR:
		v = u->lcr;
		break;
	case UART_MCR:
		v = u->mcr;
		break;
	case UART_LSR:
		v = u->lsr;
		break;
	case UART_MSR:
		v = uart_msr(u);
		break;
	case UART_SCR:
		v = u->scr;
		break;
	}
	return v;
}

/* The bus handler: registers are 8 bits wide, so a wider access uses the
 * low byte and reads back zero-extended. */
void uart_io(void *dev, uint16_t offset, unsigned size, bool is_write, uint32_t *val)
{
	struct uart *u = dev;

	if (is_write)
		uart_write(u, offset, (uint8_t)*val);
	else
		*val = uart_read(u, offset);
	uart_update_irq(u);
}
