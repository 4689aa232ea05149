/*
 * The 16550A UART's registers (offsets from the base port) and bits, in
 * the datasheet's names: shared by the monitor's device (devices/uart.c)
 * and the guest kernel's driver (guest-kernel/drivers/uart.c), which is
 * written for PC hardware.  Freestanding: only macros.
 */
#ifndef TRAPVISOR_UART16550_H
#define TRAPVISOR_UART16550_H

#define UART_RBR 0  /* receive buffer (read, DLAB=0) */
#define UART_THR 0  /* transmit holding (write, DLAB=0) */
#define UART_DLL 0  /* divisor latch low (DLAB=1) */
#define UART_IER 1  /* interrupt enable (DLAB=0) */
#define UART_DLM 1  /* divisor latch high (DLAB=1) */
#define UART_IIR 2  /* interrupt identification (read) */
#define UART_FCR 2  /* FIFO control (write) */
#define UART_LCR 3  /* line control */
#define UART_MCR 4  /* modem control */
#define UART_LSR 5  /* line status */
#define UART_MSR 6  /* modem status */
#define UART_SCR 7  /* scratch */
#define UART_FIFO_LEN 16       /* receiver FIFO depth of the 16550A */
#define UART_LCR_DLAB 0x80     /* divisor latch access */
#define UART_LCR_8N1  0x03     /* 8 data bits, no parity, 1 stop bit */
#define UART_LSR_DR   0x01     /* data ready: the receiver holds a byte */
#define UART_LSR_OE   0x02     /* overrun: a byte arrived with no room */
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40
#define UART_IIR_NO_INT 0x01
#define UART_IIR_MSI    0x00  /* modem status changed (lowest priority) */
#define UART_IIR_THRI   0x02  /* THR empty is the pending interrupt */
#define UART_IIR_RDI    0x04  /* received data reached the trigger level */
#define UART_IIR_RLSI   0x06  /* receiver line status (highest priority) */
#define UART_IIR_RX_TIMEOUT 0x0c /* bytes below the trigger level (FIFO mode) */
#define UART_IIR_FIFO   0xc0  /* FIFOs enabled (FCR bit 0) */
#define UART_IER_ERBFI  0x01  /* enable received-data interrupt */
#define UART_IER_ETBEI  0x02  /* enable THR-empty interrupt */
#define UART_IER_ELSI   0x04  /* enable receiver-line-status interrupt */
#define UART_IER_EDSSI  0x08  /* enable modem-status interrupt */
#define UART_FCR_ENABLE 0x01
#define UART_FCR_CLEAR_RCVR 0x02 /* empty the receiver FIFO (self-clearing) */
#define UART_FCR_CLEAR_XMIT 0x04 /* empty the transmitter FIFO (self-clearing) */
#define UART_FCR_TRIGGER 0xc0 /* receiver trigger level: 1, 4, 8, 14 bytes */
#define UART_MCR_DTR  0x01
#define UART_MCR_RTS  0x02
#define UART_MCR_OUT1 0x04
#define UART_MCR_OUT2 0x08    /* on the PC: enables the IRQ line driver */
#define UART_MCR_LOOP 0x10    /* loopback: output stays internal */
#define UART_MSR_DCTS 0x01    /* delta bits: set on change, cleared by a read */
#define UART_MSR_DDSR 0x02
#define UART_MSR_TERI 0x04    /* RI went from on to off */
#define UART_MSR_DDCD 0x08
#define UART_MSR_CTS    0x10
#define UART_MSR_DSR    0x20
#define UART_MSR_RI     0x40
#define UART_MSR_DCD    0x80

#endif
