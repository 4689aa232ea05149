/*
 * uart.c: the console, a 16550A UART at COM1 (port 0x3f8).  Output is
 * polled: every IN and OUT traps to the monitor, so a character costs two
 * traps, one to read the line status, one to write the byte.  Input is
 * interrupt driven: the "received data available" interrupt on IRQ 4
 * hands each byte to the line discipline (console.c).  When that has no
 * room, the bytes are left in the UART and its receive interrupt turned
 * off, until a read() makes room: the sender then waits instead of the
 * bytes being lost.
 */
#include <trapvisor/boot.h>
#include <trapvisor/uart16550.h>

#include "defs.h"

/* What the driver writes, from the datasheet's bits. */
#define UART_FCR_INIT    (UART_FCR_ENABLE | UART_FCR_CLEAR_RCVR | UART_FCR_CLEAR_XMIT)
#define UART_MCR_DTR_RTS (UART_MCR_DTR | UART_MCR_RTS)

static bool rx_throttled;    /* receive interrupt off until a console read makes room */

/* 115200 baud: the 1.8432 MHz clock / 16 / 1.  Meaningless to an emulated
 * UART, but a real one needs some divisor before it sends anything. */
#define UART_DIVISOR   1

void uart_init(void)
{
	outb(PORT_COM1 + UART_IER, 0);
	outb(PORT_COM1 + UART_LCR, UART_LCR_DLAB);
	outb(PORT_COM1 + UART_DLL, UART_DIVISOR & 0xff);
	outb(PORT_COM1 + UART_DLM, UART_DIVISOR >> 8);
	outb(PORT_COM1 + UART_LCR, UART_LCR_8N1);
	outb(PORT_COM1 + UART_FCR, UART_FCR_INIT);
	outb(PORT_COM1 + UART_MCR, UART_MCR_DTR_RTS);
}

/* Send one byte, waiting until the transmitter has room.  A missing UART
 * reads as 0xff, THRE included, so this never hangs. */
void uart_putc(char c)
{
	while (!(inb(PORT_COM1 + UART_LSR) & UART_LSR_THRE))
		;
	outb(PORT_COM1 + UART_THR, c);
}

/* Turn on receive interrupts, once the PIC and console are ready.  Reading
 * LSR, IIR and MSR clears the line errors, THR-empty and modem-status
 * conditions left from before; a byte already received stays, and raises
 * the interrupt as soon as it is enabled. */
void uart_enable_rx(void)
{
	inb(PORT_COM1 + UART_LSR);
	inb(PORT_COM1 + UART_IIR);
	inb(PORT_COM1 + UART_MSR);
	outb(PORT_COM1 + UART_MCR, UART_MCR_DTR_RTS | UART_MCR_OUT2);
	outb(PORT_COM1 + UART_IER, UART_IER_ERBFI);
}

/*
 * IRQ 4: hand every received byte to the console.  The UART holds its
 * interrupt line up while data is ready, and the PIC is edge triggered: so
 * drain it completely, or turn the interrupt off; otherwise no new edge
 * would ever come.  A missing UART reads all-ones, "data ready" included:
 * ignore it.
 */
void uart_intr(void)
{
	u8 lsr;

	while ((lsr = inb(PORT_COM1 + UART_LSR)) != 0xff && (lsr & UART_LSR_DR)) {
		if (!console_has_room()) {
			rx_throttled = true;
			outb(PORT_COM1 + UART_IER, 0);
			return;
		}
		console_input(inb(PORT_COM1 + UART_RBR));
	}
}

/* A console read made room: take input again.  Re-enabling the interrupt
 * with data waiting raises it at once (a new edge for the PIC). */
void uart_unthrottle(void)
{
	if (!rx_throttled)
		return;
	rx_throttled = false;
	outb(PORT_COM1 + UART_IER, UART_IER_ERBFI);
}
