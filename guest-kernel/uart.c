/*
 * uart.c: the console, a 16550A UART at COM1 (port 0x3f8), polled.  Every
 * IN and OUT traps to the monitor, so a character costs two traps: one to
 * read the line status, one to write the byte.  No interrupts are used.
 */
#include <trapvisor/boot.h>

#include "defs.h"

/* Register offsets from the base port (the 16550A datasheet's names). */
#define UART_THR 0   /* transmit holding register (write, DLAB=0) */
#define UART_DLL 0   /* divisor latch low (DLAB=1) */
#define UART_IER 1   /* interrupt enable (DLAB=0) */
#define UART_DLM 1   /* divisor latch high (DLAB=1) */
#define UART_FCR 2   /* FIFO control (write) */
#define UART_LCR 3   /* line control */
#define UART_MCR 4   /* modem control */
#define UART_LSR 5   /* line status */

#define UART_LCR_DLAB  0x80  /* divisor latch access */
#define UART_LCR_8N1   0x03  /* 8 data bits, no parity, 1 stop bit */
#define UART_FCR_INIT  0x07  /* enable the FIFOs and clear both */
#define UART_MCR_DTR_RTS 0x03
#define UART_LSR_THRE  0x20  /* transmit holding register empty */

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
