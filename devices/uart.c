/*
 * A 16550A UART (COM1, the console), after the National Semiconductor
 * PC16550D datasheet.  A byte written to THR leaves at once: it is written
 * to out_fd before the OUT instruction completes, so the transmitter is
 * always idle and LSR always reads THRE|TEMT.
 *
 * The receiver is a 16-byte FIFO (one byte, the 16450's holding register,
 * while FCR bit 0 is clear).  The host side feeds it with uart_rx(), which
 * takes no more than uart_rx_space() so a byte from the keyboard is never
 * lost: the caller holds the rest until the guest has read some.  An
 * overrun (LSR.OE) can therefore only come from loopback, where THR feeds
 * the receiver as on the chip.
 *
 * Interrupts follow the datasheet's IIR table, highest priority first:
 * receiver line status (0x06, an overrun), received data available (0x04,
 * at the FIFO trigger level), character timeout (0x0c), THR empty (0x02),
 * modem status (0x00).  The character timeout needs four character times
 * of silence on the chip; host bytes arrive in bursts and the guest reads
 * them later anyway, so here that time has always passed: bytes below the
 * trigger level report 0x0c at once (and 0x04 with FIFOs off), and a driver
 * that enabled ERBFI always learns of a waiting byte.  The interrupt reaches
 * IRQ 4 only through the PC's OUT2 gate: the line is high while MCR.OUT2 is
 * set, loopback is off (it forces OUT2 inactive) and IIR has a source.
 *
 * The registers a driver probes behave as on the chip: the divisor latch
 * behind LCR.DLAB, IER's four enable bits, IIR with its FIFO bits, MCR's
 * five bits with loopback reflected in MSR (with its delta bits), and the
 * scratch register (Linux's 8250 driver tells an 8250 from a 16450 by
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
#define UART_MSR_INPUTS 0xf0  /* DCD RI DSR CTS; bits 0-3 are their deltas */
#define UART_NO_MODEM (UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS)

void uart_init(struct uart *u, int out_fd, struct irq_line irq)
{
	memset(u, 0, sizeof(*u));
	u->out_fd = out_fd;
	u->irq = irq;
	u->iir = UART_IIR_NO_INT;
	u->lsr = UART_LSR_THRE | UART_LSR_TEMT;
	u->msr = UART_NO_MODEM;
}

static bool uart_fifo_on(const struct uart *u)
{
	return u->fcr & UART_FCR_ENABLE;
}

/* The receiver's size: the FIFO, or the single holding register. */
static unsigned uart_rx_cap(const struct uart *u)
{
	return uart_fifo_on(u) ? UART_FIFO_LEN : 1;
}

/* FCR bits 7-6: the receiver FIFO's interrupt trigger level. */
static unsigned uart_trigger(const struct uart *u)
{
	static const uint8_t level[4] = { 1, 4, 8, 14 };

	return level[(u->fcr & UART_FCR_TRIGGER) >> 6];
}

/* The source IIR reports, by the datasheet's priorities (table 4). */
static uint8_t uart_pending(const struct uart *u)
{
	if ((u->ier & UART_IER_ELSI) && (u->lsr & UART_LSR_OE))
		return UART_IIR_RLSI;
	if ((u->ier & UART_IER_ERBFI) && u->rx_count) {
		if (!uart_fifo_on(u) || u->rx_count >= uart_trigger(u))
			return UART_IIR_RDI;
		return UART_IIR_RX_TIMEOUT;
	}
	if ((u->ier & UART_IER_ETBEI) && u->thri_pending)
		return UART_IIR_THRI;
	if ((u->ier & UART_IER_EDSSI) && (u->msr & ~UART_MSR_INPUTS))
		return UART_IIR_MSI;
	return UART_IIR_NO_INT;
}

/*
 * Recompute LSR.DR and IIR from the pending sources and drive IRQ 4: high
 * while a source is pending and MCR.OUT2 enables the PC's line driver
 * (loopback forces OUT2 inactive, datasheet 8.6.4).  Called after every
 * access; the PIC hears only changes.
 */
static void uart_update_irq(struct uart *u)
{
	uint8_t fifo = uart_fifo_on(u) ? UART_IIR_FIFO : 0;
	bool level;

	u->lsr = (uint8_t)((u->lsr & ~UART_LSR_DR) | (u->rx_count ? UART_LSR_DR : 0));
	u->iir = fifo | uart_pending(u);
	level = !(u->iir & UART_IIR_NO_INT) &&
		(u->mcr & (UART_MCR_OUT2 | UART_MCR_LOOP)) == UART_MCR_OUT2;
	if (level != u->irq_level) {
		u->irq_level = level;
		irq_line_set(&u->irq, level);
	}
}

static void uart_rx_clear(struct uart *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
}

/* One byte into the receiver from the serial input.  With no room it is an
 * overrun: in FIFO mode the byte is lost, in 16450 mode it overwrites the
 * holding register (datasheet, LSR bit 1). */
static void uart_rx_byte(struct uart *u, uint8_t byte)
{
	u->rx_bytes++;
	if (u->rx_count == uart_rx_cap(u)) {
		u->lsr |= UART_LSR_OE;
		u->overruns++;
		if (!uart_fifo_on(u))
			u->rx_fifo[u->rx_head] = byte;
		return;
	}
	u->rx_fifo[(u->rx_head + u->rx_count) % UART_FIFO_LEN] = byte;
	u->rx_count++;
}

/* RBR: the oldest byte, or the last one again if the receiver is empty. */
static uint8_t uart_rx_pop(struct uart *u)
{
	if (u->rx_count) {
		u->rbr = u->rx_fifo[u->rx_head];
		u->rx_head = (uint8_t)((u->rx_head + 1) % UART_FIFO_LEN);
		u->rx_count--;
	}
	return u->rbr;
}

unsigned uart_rx_space(const struct uart *u)
{
	/* Loopback disconnects the serial input from the receiver; and host
	 * input waits until the guest has set the receiver up, or the FIFO
	 * clear of its set-up would throw the first bytes away. */
	if ((u->mcr & UART_MCR_LOOP) || !u->rx_open)
		return 0;
	return uart_rx_cap(u) - u->rx_count;
}

unsigned uart_rx_pending(const struct uart *u)
{
	return u->rx_count;
}

unsigned uart_rx(struct uart *u, const uint8_t *buf, unsigned n)
{
	unsigned space = uart_rx_space(u);

	if (n > space)
		n = space;
	for (unsigned i = 0; i < n; i++)
		uart_rx_byte(u, buf[i]);
	uart_update_irq(u);
	return n;
}

/*
 * Put one byte on the wire: write it to out_fd, retrying interrupted and
 * partial writes and waiting out a full non-blocking descriptor.  A console
 * whose reader went away (EPIPE, EIO, ...) must not stop the guest, so
 * other errors drop the byte.  With tx_stall_ms set (a pseudo-terminal that
 * may have nobody on the other end), a wait longer than that drops the
 * byte and every later one until the descriptor takes bytes again.
 */
static void uart_tx_byte(struct uart *u, uint8_t byte);

/* With tx_onlcr (a pseudo-terminal of the monitor's own, raw both ways),
 * "\n" leaves as "\r\n": what a host terminal's output processing does
 * for --console stdio, where the guest's console keeps ONLCR off. */
static void uart_tx(struct uart *u, uint8_t byte)
{
	u->tx_bytes++;
	if (byte == '\n' && u->tx_onlcr)
		uart_tx_byte(u, '\r');
	uart_tx_byte(u, byte);
}

static void uart_tx_byte(struct uart *u, uint8_t byte)
{
	for (;;) {
		ssize_t n = write(u->out_fd, &byte, 1);

		if (n == 1) {
			u->tx_stalled = false;
			return;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && !u->tx_stalled) {
			struct pollfd p = { .fd = u->out_fd, .events = POLLOUT };
			int r = poll(&p, 1, u->tx_stall_ms ? (int)u->tx_stall_ms : -1);

			if (r > 0 || (r < 0 && errno == EINTR))
				continue;
			if (r == 0)
				u->tx_stalled = true;
		}
		u->tx_dropped++;
		return;
	}
}

/* The modem inputs (MSR bits 4-7): in loopback the modem outputs feed
 * them (datasheet 8.6.4: CTS<-RTS, DSR<-DTR, RI<-OUT1, DCD<-OUT2);
 * otherwise a terminal is attached and ready: carrier, DSR and CTS, no
 * ring. */
static uint8_t uart_modem_inputs(const struct uart *u)
{
	uint8_t m = u->mcr;

	if (!(m & UART_MCR_LOOP))
		return UART_NO_MODEM;
	return ((m & UART_MCR_RTS) ? UART_MSR_CTS : 0) |
	       ((m & UART_MCR_DTR) ? UART_MSR_DSR : 0) |
	       ((m & UART_MCR_OUT1) ? UART_MSR_RI : 0) |
	       ((m & UART_MCR_OUT2) ? UART_MSR_DCD : 0);
}

/* New modem inputs: set the delta bits (DCTS, DDSR, DDCD on any change,
 * TERI only when RI goes from on to off), kept until MSR is read. */
static void uart_modem_change(struct uart *u)
{
	uint8_t old = u->msr & UART_MSR_INPUTS, now = uart_modem_inputs(u);
	uint8_t changed = old ^ now, delta = 0;

	if (changed & UART_MSR_CTS)
		delta |= UART_MSR_DCTS;
	if (changed & UART_MSR_DSR)
		delta |= UART_MSR_DDSR;
	if ((old & UART_MSR_RI) && !(now & UART_MSR_RI))
		delta |= UART_MSR_TERI;
	if (changed & UART_MSR_DCD)
		delta |= UART_MSR_DDCD;
	u->msr = (uint8_t)(now | (u->msr & ~UART_MSR_INPUTS) | delta);
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
		/* In loopback the serial output is held marking: nothing
		 * leaves, and the transmitter feeds the receiver instead. */
		if (u->mcr & UART_MCR_LOOP)
			uart_rx_byte(u, v);
		else
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
		if (v & UART_IER_ERBFI)
			u->rx_open = true;
		break;
	case UART_FCR:
		/* Set-up writes FCR (and clears the FIFOs): input may come now. */
		u->rx_open = true;
		/* Turning the FIFOs on or off empties them; the other bits are
		 * only written together with FCR0 = 1 (datasheet, FCR). */
		if ((v ^ u->fcr) & UART_FCR_ENABLE)
			uart_rx_clear(u);
		if (!(v & UART_FCR_ENABLE)) {
			u->fcr = 0;
			break;
		}
		if (v & UART_FCR_CLEAR_RCVR)
			uart_rx_clear(u);
		/* The transmitter FIFO is always empty: bytes leave at once. */
		u->fcr = v & UART_FCR_KEEP;
		break;
	case UART_LCR:
		u->lcr = v;
		break;
	case UART_MCR:
		u->mcr = v & UART_MCR_MASK;
		uart_modem_change(u);
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
		v = dlab ? u->dll : uart_rx_pop(u);
		if (!dlab)
			u->rx_open = true;      /* a polling driver reads RBR */
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
		/* Reading LSR clears the error bits (here: OE) and with them
		 * the receiver-line-status interrupt. */
		v = u->lsr;
		u->lsr &= (uint8_t)~UART_LSR_OE;
		break;
	case UART_MSR:
		/* Reading MSR clears the deltas: the modem-status interrupt. */
		v = u->msr;
		u->msr &= UART_MSR_INPUTS;
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

void uart_save(const struct uart *u, struct uart *img)
{
	*img = *u;
	img->out_fd = -1;
	img->irq = (struct irq_line){ 0 };
}

void uart_load(struct uart *u, const struct uart *img)
{
	int out_fd = u->out_fd;
	struct irq_line irq = u->irq;

	*u = *img;
	u->out_fd = out_fd;
	u->irq = irq;
}
