/*
 * Unit tests for devices/: the port bus (claiming, refusing overlaps,
 * dispatch by offset, unclaimed ports), the 16550A UART (bytes reach a
 * pipe, divisor latch, the registers a driver probes; the receiver FIFO,
 * its trigger levels and clearing, uart_rx never overrunning, IIR's
 * priorities, IRQ 4 gated by IER and OUT2, and into the 8259A) and the
 * debug-exit device in both flavours.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "devices.h"

/* ---- bus ---- */

/* A device that records the last access and answers reads with 'reply'. */
struct rec {
	int calls;
	uint16_t offset;
	unsigned size;
	bool is_write;
	uint32_t val;
	uint32_t reply;
	bool leave_val;            /* do not store a read value */
};

static void rec_io(void *dev, uint16_t offset, unsigned size, bool is_write, uint32_t *val)
{
	struct rec *r = dev;

	r->calls++;
	r->offset = offset;
	r->size = size;
	r->is_write = is_write;
	if (is_write)
		r->val = *val;
	else if (!r->leave_val)
		*val = r->reply;
}

static void test_bus_register(void **state)
{
	static struct pio_bus bus;
	struct rec a = { 0 }, b = { 0 };

	bus_init(&bus);
	assert_int_equal(bus.nranges, 0);
	assert_int_equal(bus_register(&bus, 0x3f8, 8, "com1", rec_io, &a), 0);
	assert_int_equal(bus.nranges, 1);
	assert_int_equal(bus.range[0].base, 0x3f8);
	assert_int_equal(bus.range[0].len, 8);
	assert_string_equal(bus.range[0].name, "com1");

	/* Overlaps in every position are refused and register nothing. */
	assert_int_equal(bus_register(&bus, 0x3fc, 2, "inside", rec_io, &b), -EBUSY);
	assert_int_equal(bus_register(&bus, 0x3f0, 9, "low end", rec_io, &b), -EBUSY);
	assert_int_equal(bus_register(&bus, 0x3ff, 4, "high end", rec_io, &b), -EBUSY);
	assert_int_equal(bus_register(&bus, 0x300, 0x200, "around", rec_io, &b), -EBUSY);
	assert_int_equal(bus_register(&bus, 0x3f8, 8, "same", rec_io, &b), -EBUSY);
	assert_int_equal(bus.nranges, 1);

	/* Neighbours on both sides are fine. */
	assert_int_equal(bus_register(&bus, 0x3f0, 8, "below", rec_io, &b), 0);
	assert_int_equal(bus_register(&bus, 0x400, 1, "above", rec_io, &b), 0);
	assert_int_equal(bus.nranges, 3);

	/* Bad ranges. */
	assert_int_equal(bus_register(&bus, 0x10, 0, "empty", rec_io, &b), -EINVAL);
	assert_int_equal(bus_register(&bus, 0xffff, 2, "wraps", rec_io, &b), -EINVAL);
	assert_int_equal(bus_register(&bus, 0xffff, 1, "last port", rec_io, &b), 0);
	assert_int_equal(bus.nranges, 4);

	/* A full table. */
	for (int i = bus.nranges; i < BUS_MAX_RANGES; i++)
		assert_int_equal(bus_register(&bus, (uint16_t)(0x1000 + i), 1, "filler", rec_io, &b), 0);
	assert_int_equal(bus_register(&bus, 0x2000, 1, "one too many", rec_io, &b), -ENOSPC);
	assert_int_equal(bus.nranges, BUS_MAX_RANGES);
}

static void test_bus_dispatch(void **state)
{
	static struct pio_bus bus;
	struct rec pit = { .reply = 0xabcd1234 }, other = { 0 };
	const struct pio_range *r;
	uint32_t v = 0;

	bus_init(&bus);
	assert_int_equal(bus_register(&bus, 0x20, 2, "pic", rec_io, &other), 0);
	assert_int_equal(bus_register(&bus, 0x40, 4, "pit", rec_io, &pit), 0);

	r = bus_io(&bus, 0x42, 2, false, &v);
	assert_non_null(r);
	assert_string_equal(r->name, "pit");
	assert_int_equal(pit.calls, 1);
	assert_int_equal(pit.offset, 2);
	assert_int_equal(pit.size, 2);
	assert_false(pit.is_write);
	assert_int_equal(v, 0x1234);                   /* cut to the access size */

	v = 0x36;
	r = bus_io(&bus, 0x43, 1, true, &v);
	assert_string_equal(r->name, "pit");
	assert_int_equal(pit.calls, 2);
	assert_int_equal(pit.offset, 3);
	assert_true(pit.is_write);
	assert_int_equal(pit.val, 0x36);

	v = 0;
	assert_string_equal(bus_io(&bus, 0x40, 4, false, &v)->name, "pit");
	assert_int_equal(pit.offset, 0);
	assert_int_equal(v, 0xabcd1234);
	assert_int_equal(other.calls, 0);

	/* A handler that leaves a read alone floats like the bus. */
	pit.leave_val = true;
	v = 0;
	bus_io(&bus, 0x41, 1, false, &v);
	assert_int_equal(v, 0xff);
	assert_int_equal(bus.unknown_reads, 0);
}

static void test_bus_unknown(void **state)
{
	static struct pio_bus bus;
	struct rec dev = { .reply = 0 };
	uint32_t v;

	bus_init(&bus);
	assert_int_equal(bus_register(&bus, 0x60, 1, "kbd", rec_io, &dev), 0);
	v = 0;
	assert_null(bus_io(&bus, 0x61, 1, false, &v));
	assert_int_equal(v, 0xff);
	v = 0;
	assert_null(bus_io(&bus, 0x5f, 2, false, &v));
	assert_int_equal(v, 0xffff);
	v = 0;
	assert_null(bus_io(&bus, 0xcf8, 4, false, &v));
	assert_int_equal(v, 0xffffffff);
	assert_int_equal(bus.unknown_reads, 3);
	assert_int_equal(bus.unknown_writes, 0);

	v = 0x12;
	assert_null(bus_io(&bus, 0x80, 1, true, &v));
	assert_null(bus_io(&bus, 0xcf8, 4, true, &v));
	assert_int_equal(bus.unknown_writes, 2);
	assert_int_equal(bus.unknown_reads, 3);
	assert_int_equal(dev.calls, 0);
}

/* ---- uart ---- */

static uint8_t uart_in(struct uart *u, uint16_t reg)
{
	uint32_t v = 0xdeadbeef;

	uart_io(u, reg, 1, false, &v);
	assert_true(v <= 0xff);
	return (uint8_t)v;
}

static void uart_out(struct uart *u, uint16_t reg, uint8_t val)
{
	uint32_t v = val;

	uart_io(u, reg, 1, true, &v);
}

/* Everything readable from fd now (non-blocking), as a string. */
static size_t drain(int fd, char *buf, size_t cap)
{
	size_t got = 0;
	ssize_t n;

	while (got < cap - 1 && (n = read(fd, buf + got, cap - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	return got;
}

static void test_uart_transmit(void **state)
{
	struct uart u;
	char buf[64];
	int fds[2];

	assert_int_equal(pipe2(fds, O_NONBLOCK), 0);
	uart_init(&u, fds[1], (struct irq_line){ 0 });
	for (const char *p = "Hello, guest\n"; *p; p++)
		uart_out(&u, UART_THR, (uint8_t)*p);
	assert_int_equal(drain(fds[0], buf, sizeof(buf)), 13);
	assert_string_equal(buf, "Hello, guest\n");
	assert_int_equal(u.tx_bytes, 13);

	/* A 16-bit OUT transmits its low byte only. */
	{
		uint32_t v = 0x4241;

		uart_io(&u, UART_THR, 2, true, &v);
	}
	assert_int_equal(drain(fds[0], buf, sizeof(buf)), 1);
	assert_string_equal(buf, "A");

	/* Loopback keeps the output internal. */
	uart_out(&u, UART_MCR, UART_MCR_LOOP);
	uart_out(&u, UART_THR, 'x');
	assert_int_equal(drain(fds[0], buf, sizeof(buf)), 0);
	/* ... and feeds the receiver instead. */
	assert_int_equal(uart_in(&u, UART_LSR), 0x61);
	assert_int_equal(uart_in(&u, UART_RBR), 'x');
	uart_out(&u, UART_MCR, 0);
	uart_out(&u, UART_THR, 'y');
	assert_int_equal(drain(fds[0], buf, sizeof(buf)), 1);
	assert_string_equal(buf, "y");
	assert_int_equal(u.tx_bytes, 15);

	/* Nobody reading any more: the byte is dropped, nothing crashes. */
	signal(SIGPIPE, SIG_IGN);
	close(fds[0]);
	uart_out(&u, UART_THR, 'z');
	assert_int_equal(u.tx_bytes, 16);
	assert_int_equal(uart_in(&u, UART_LSR), 0x60);
	close(fds[1]);
}

static void test_uart_dlab(void **state)
{
	struct uart u;
	char buf[16];
	int fds[2];

	assert_int_equal(pipe2(fds, O_NONBLOCK), 0);
	uart_init(&u, fds[1], (struct irq_line){ 0 });
	uart_out(&u, UART_IER, 0x05);
	uart_out(&u, UART_LCR, UART_LCR_DLAB | 0x03);  /* 8N1, latch open */
	assert_int_equal(uart_in(&u, UART_LCR), 0x83);
	uart_out(&u, UART_THR, 0x0c);                  /* DLL: 9600 baud */
	uart_out(&u, UART_IER, 0x01);                  /* DLM */
	assert_int_equal(u.dll, 0x0c);
	assert_int_equal(u.dlm, 0x01);
	assert_int_equal(uart_in(&u, UART_RBR), 0x0c);
	assert_int_equal(uart_in(&u, UART_IER), 0x01);
	assert_int_equal(drain(fds[0], buf, sizeof(buf)), 0);   /* no byte sent */
	assert_int_equal(u.tx_bytes, 0);
	assert_int_equal(u.ier, 0x05);                 /* IER kept behind the latch */

	uart_out(&u, UART_LCR, 0x03);                  /* latch closed */
	assert_int_equal(uart_in(&u, UART_IER), 0x05);
	assert_int_equal(uart_in(&u, UART_RBR), 0);    /* nothing received */
	uart_out(&u, UART_THR, 'k');
	assert_int_equal(drain(fds[0], buf, sizeof(buf)), 1);
	assert_int_equal(buf[0], 'k');
	assert_int_equal(u.dll, 0x0c);
	close(fds[0]);
	close(fds[1]);
}

static void test_uart_registers(void **state)
{
	struct uart u;
	int fds[2];

	assert_int_equal(pipe2(fds, O_NONBLOCK), 0);
	uart_init(&u, fds[1], (struct irq_line){ 0 });

	assert_int_equal(uart_in(&u, UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	assert_int_equal(uart_in(&u, UART_IIR), UART_IIR_NO_INT);
	assert_int_equal(uart_in(&u, UART_MSR), 0xb0);  /* DCD DSR CTS */
	assert_int_equal(uart_in(&u, UART_IER), 0);
	assert_int_equal(uart_in(&u, UART_MCR), 0);

	uart_out(&u, UART_SCR, 0x5a);
	assert_int_equal(uart_in(&u, UART_SCR), 0x5a);
	uart_out(&u, UART_SCR, 0xa5);
	assert_int_equal(uart_in(&u, UART_SCR), 0xa5);

	uart_out(&u, UART_IER, 0xf0);                  /* only 4 bits exist */
	assert_int_equal(uart_in(&u, UART_IER), 0x00);
	uart_out(&u, UART_MCR, 0xff);                  /* only 5 bits exist */
	assert_int_equal(uart_in(&u, UART_MCR), 0x1f);
	uart_out(&u, UART_MCR, 0x0b);                  /* DTR RTS OUT2 */
	assert_int_equal(uart_in(&u, UART_MCR), 0x0b);
	/* 0x1f included LOOP with OUT1 (RI on); leaving it turned RI off. */
	assert_int_equal(uart_in(&u, UART_MSR), 0xb0 | UART_MSR_TERI);
	assert_int_equal(uart_in(&u, UART_MSR), 0xb0);

	/* LSR does not change with traffic: THR empties at once. */
	uart_out(&u, UART_THR, '.');
	assert_int_equal(uart_in(&u, UART_LSR), 0x60);
	uart_out(&u, UART_LSR, 0x00);                  /* read-only */
	assert_int_equal(uart_in(&u, UART_LSR), 0x60);

	/* FIFO enable shows in IIR bits 6-7. */
	uart_out(&u, UART_FCR, 0x07);                  /* enable + reset both FIFOs */
	assert_int_equal(uart_in(&u, UART_IIR), 0xc1);
	assert_int_equal(u.fcr, 0x01);                 /* reset bits clear themselves */
	uart_out(&u, UART_FCR, 0x00);
	assert_int_equal(uart_in(&u, UART_IIR), 0x01);

	/* Loopback: MSR mirrors MCR (CTS<-RTS, DSR<-DTR, RI<-OUT1, DCD<-OUT2);
	 * this is how Linux's 8250 probe checks a UART is there.
	 * The low four bits are the deltas since the last MSR read: DCTS,
	 * DDSR, DDCD on any change, TERI when RI goes off (datasheet 8.6.8);
	 * Linux masks them off (MSR & 0xf0). */
	uart_out(&u, UART_MCR, UART_MCR_LOOP | 0x0a);  /* OUT2 RTS */
	assert_int_equal(uart_in(&u, UART_MSR), 0x92);  /* DSR fell: DDSR */
	assert_int_equal(uart_in(&u, UART_MSR), 0x90);  /* the read cleared it */
	uart_out(&u, UART_MCR, UART_MCR_LOOP | 0x05);  /* OUT1 DTR */
	assert_int_equal(uart_in(&u, UART_MSR), 0x6b);  /* CTS, DSR, DCD changed */
	uart_out(&u, UART_MCR, 0x00);
	assert_int_equal(uart_in(&u, UART_MSR), 0xbd);  /* RI went off: TERI */
	assert_int_equal(uart_in(&u, UART_MSR), 0xb0);

	/* A wide read returns the register zero-extended. */
	{
		uint32_t v = 0xffffffff;

		uart_io(&u, UART_LSR, 4, false, &v);
		assert_int_equal(v, 0x60);
	}
	close(fds[0]);
	close(fds[1]);
}

/* The THR-empty interrupt as the datasheet has it: raised when ETBEI is
 * enabled with THR empty and after each byte, cleared by reading IIR. */
static void test_uart_thre_interrupt(void **state)
{
	struct uart u;
	int fds[2];

	assert_int_equal(pipe2(fds, O_NONBLOCK), 0);
	uart_init(&u, fds[1], (struct irq_line){ 0 });
	uart_out(&u, UART_THR, 'a');                   /* ETBEI off: nothing */
	assert_int_equal(uart_in(&u, UART_IIR), 0x01);
	uart_out(&u, UART_IER, UART_IER_ETBEI);
	assert_int_equal(uart_in(&u, UART_IIR), 0x02);
	assert_int_equal(uart_in(&u, UART_IIR), 0x01); /* the read cleared it */
	uart_out(&u, UART_THR, 'b');
	uart_out(&u, UART_FCR, 0x01);
	assert_int_equal(uart_in(&u, UART_IIR), 0xc2);
	assert_int_equal(uart_in(&u, UART_IIR), 0xc1);
	uart_out(&u, UART_IER, UART_IER_ETBEI);        /* already on: no new edge */
	assert_int_equal(uart_in(&u, UART_IIR), 0xc1);
	uart_out(&u, UART_THR, 'c');
	uart_out(&u, UART_IER, 0);                     /* masked */
	assert_int_equal(uart_in(&u, UART_IIR), 0xc1);
	close(fds[0]);
	close(fds[1]);
}

static void test_uart_on_bus(void **state)
{
	static struct pio_bus bus;
	struct uart u;
	char buf[8];
	uint32_t v;
	int fds[2];

	assert_int_equal(pipe2(fds, O_NONBLOCK), 0);
	uart_init(&u, fds[1], (struct irq_line){ 0 });
	bus_init(&bus);
	assert_int_equal(bus_register(&bus, 0x3f8, 8, "com1", uart_io, &u), 0);
	v = 0x42;
	assert_string_equal(bus_io(&bus, 0x3ff, 1, true, &v)->name, "com1");
	assert_int_equal(u.scr, 0x42);
	v = 'Q';
	bus_io(&bus, 0x3f8, 1, true, &v);
	assert_int_equal(drain(fds[0], buf, sizeof(buf)), 1);
	assert_int_equal(buf[0], 'Q');
	bus_io(&bus, 0x3fd, 1, false, &v);
	assert_int_equal(v, 0x60);
	close(fds[0]);
	close(fds[1]);
}

/* ---- uart: the receiver and the interrupt line ---- */

/* IRQ 4 as the PIC would see it: each call, and the level. */
struct irq_rec {
	int calls;
	int level;
};

static void irq_rec_set(void *opaque, int irq, int level)
{
	struct irq_rec *r = opaque;

	assert_int_equal(irq, 4);
	r->calls++;
	r->level = level;
}

/* A UART whose output goes to a pipe, its IRQ to 'rec' (if not NULL). */
static void uart_setup(struct uart *u, int fds[2], struct irq_rec *rec)
{
	struct irq_line l = { 0 };

	assert_int_equal(pipe2(fds, O_NONBLOCK), 0);
	if (rec) {
		memset(rec, 0, sizeof(*rec));
		l = (struct irq_line){ .set = irq_rec_set, .opaque = rec, .irq = 4 };
	}
	uart_init(u, fds[1], l);
}

static void uart_teardown(int fds[2])
{
	close(fds[0]);
	close(fds[1]);
}

static unsigned rx_str(struct uart *u, const char *s)
{
	return uart_rx(u, (const uint8_t *)s, (unsigned)strlen(s));
}

static void test_uart_rx_fifo_order(void **state)
{
	struct uart u;
	int fds[2];

	uart_setup(&u, fds, NULL);
	uart_out(&u, UART_FCR, UART_FCR_ENABLE);
	assert_int_equal(uart_in(&u, UART_LSR), 0x60);  /* nothing received */
	assert_int_equal(rx_str(&u, "hello"), 5);
	assert_int_equal(uart_rx_pending(&u), 5);
	assert_int_equal(uart_in(&u, UART_LSR), 0x61);  /* DR */
	for (const char *p = "hello"; *p; p++)
		assert_int_equal(uart_in(&u, UART_RBR), *p);
	assert_int_equal(uart_in(&u, UART_LSR), 0x60);
	assert_int_equal(uart_rx_pending(&u), 0);
	assert_int_equal(uart_in(&u, UART_RBR), 'o');   /* empty: the last byte */
	assert_int_equal(uart_in(&u, UART_LSR), 0x60);
	/* Wrapping around the ring keeps the order. */
	for (int round = 0; round < 3; round++) {
		assert_int_equal(rx_str(&u, "0123456789"), 10);
		for (const char *p = "0123456789"; *p; p++)
			assert_int_equal(uart_in(&u, UART_RBR), *p);
	}
	assert_int_equal(u.rx_bytes, 35);
	/* With the divisor latch open, offset 0 is DLL, and nothing is popped. */
	rx_str(&u, "z");
	uart_out(&u, UART_LCR, UART_LCR_DLAB);
	assert_int_equal(uart_in(&u, UART_RBR), 0);
	uart_out(&u, UART_LCR, 0x03);
	assert_int_equal(uart_in(&u, UART_RBR), 'z');
	uart_teardown(fds);
}

/* The producer side never overruns: uart_rx takes what fits. */
static void test_uart_rx_space(void **state)
{
	struct uart u;
	int fds[2];
	const char *twenty = "abcdefghijklmnopqrst";

	uart_setup(&u, fds, NULL);
	/* Host input waits until the guest sets the receiver up, so the FIFO
	 * clear of its set-up cannot throw it away ... */
	assert_int_equal(uart_rx_space(&u), 0);
	assert_int_equal(rx_str(&u, "x"), 0);
	/* ... here by reading RBR, as a polling driver does. */
	(void)uart_in(&u, UART_RBR);
	/* FIFOs off: the 16450's single holding register. */
	assert_int_equal(uart_rx_space(&u), 1);
	assert_int_equal(rx_str(&u, "xy"), 1);
	assert_int_equal(uart_rx_space(&u), 0);
	assert_int_equal(rx_str(&u, "y"), 0);
	assert_int_equal(uart_in(&u, UART_RBR), 'x');
	assert_int_equal(uart_rx_space(&u), 1);

	uart_out(&u, UART_FCR, UART_FCR_ENABLE);
	assert_int_equal(uart_rx_space(&u), 16);
	assert_int_equal(rx_str(&u, twenty), 16);
	assert_int_equal(uart_rx_space(&u), 0);
	assert_int_equal(uart_rx(&u, (const uint8_t *)twenty + 16, 4), 0);
	assert_int_equal(uart_in(&u, UART_LSR), 0x61);  /* no OE */
	assert_int_equal(u.overruns, 0);
	assert_int_equal(uart_in(&u, UART_RBR), 'a');
	assert_int_equal(uart_rx_space(&u), 1);
	assert_int_equal(uart_rx(&u, (const uint8_t *)twenty + 16, 4), 1);
	for (int i = 1; i < 17; i++)
		assert_int_equal(uart_in(&u, UART_RBR), twenty[i]);
	assert_int_equal(uart_in(&u, UART_LSR), 0x60);
	assert_int_equal(u.rx_bytes, 18);

	/* Loopback disconnects the serial input. */
	uart_out(&u, UART_MCR, UART_MCR_LOOP);
	assert_int_equal(uart_rx_space(&u), 0);
	assert_int_equal(rx_str(&u, "q"), 0);
	uart_out(&u, UART_MCR, 0);
	assert_int_equal(uart_rx_space(&u), 16);
	uart_teardown(fds);
}

/* Every source at once, then cleared one by one: IIR follows the
 * datasheet's priority order (table 4). */
static void test_uart_iir_priority(void **state)
{
	struct uart u;
	struct irq_rec rec;
	char buf[32];
	int fds[2];

	uart_setup(&u, fds, &rec);
	uart_out(&u, UART_FCR, 0x41);                  /* FIFO, trigger 4 */
	uart_out(&u, UART_MCR, UART_MCR_LOOP);         /* inputs drop: deltas */
	for (int i = 0; i < 17; i++)                   /* the 17th overruns */
		uart_out(&u, UART_THR, (uint8_t)('A' + i));
	assert_int_equal(u.overruns, 1);
	assert_int_equal(drain(fds[0], buf, sizeof(buf)), 0);
	uart_out(&u, UART_MCR, UART_MCR_OUT2);
	uart_out(&u, UART_IER, 0x0f);
	assert_int_equal(rec.level, 1);

	assert_int_equal(uart_in(&u, UART_IIR), 0xc6); /* line status */
	assert_int_equal(uart_in(&u, UART_IIR), 0xc6); /* IIR read keeps it */
	assert_int_equal(uart_in(&u, UART_LSR), 0x63); /* DR OE THRE TEMT */
	assert_int_equal(uart_in(&u, UART_LSR), 0x61); /* OE cleared */
	assert_int_equal(uart_in(&u, UART_IIR), 0xc4); /* 16 >= trigger */
	for (int i = 0; i < 13; i++)
		assert_int_equal(uart_in(&u, UART_RBR), 'A' + i);
	assert_int_equal(uart_in(&u, UART_IIR), 0xcc); /* 3 < 4: timeout */
	for (int i = 13; i < 16; i++)
		assert_int_equal(uart_in(&u, UART_RBR), 'A' + i);
	assert_int_equal(rec.level, 1);
	assert_int_equal(uart_in(&u, UART_IIR), 0xc2); /* THR empty, cleared */
	assert_int_equal(uart_in(&u, UART_IIR), 0xc0); /* modem status */
	assert_int_equal(rec.level, 1);
	assert_int_equal(uart_in(&u, UART_MSR) & 0x0f, UART_MSR_DCTS |
			 UART_MSR_DDSR | UART_MSR_DDCD);
	assert_int_equal(uart_in(&u, UART_IIR), 0xc1);
	assert_int_equal(rec.level, 0);

	/* Each source alone needs its own enable bit. */
	rx_str(&u, "r");
	uart_out(&u, UART_IER, 0);
	uart_out(&u, UART_IER, UART_IER_ETBEI | UART_IER_ELSI | UART_IER_EDSSI);
	assert_int_equal(uart_in(&u, UART_IIR), 0xc2);
	assert_int_equal(uart_in(&u, UART_IIR), 0xc1); /* data waits unseen */
	uart_out(&u, UART_IER, UART_IER_ERBFI);
	assert_int_equal(uart_in(&u, UART_IIR), 0xcc);
	uart_teardown(fds);
}

/* IRQ 4: high while a source is enabled and pending and OUT2 is set; the
 * PIC is told only about changes. */
static void test_uart_irq_line(void **state)
{
	struct uart u;
	struct irq_rec rec;
	int fds[2];

	uart_setup(&u, fds, &rec);
	uart_out(&u, UART_IER, UART_IER_ERBFI);
	rx_str(&u, "a");
	assert_int_equal(uart_in(&u, UART_IIR), 0x04); /* pending in IIR ... */
	assert_int_equal(rec.calls, 0);                /* ... but OUT2 is off */
	uart_out(&u, UART_MCR, UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT2);
	assert_int_equal(rec.calls, 1);
	assert_int_equal(rec.level, 1);
	uart_in(&u, UART_LSR);                          /* no change: no call */
	uart_in(&u, UART_IIR);
	assert_int_equal(rec.calls, 1);
	assert_int_equal(uart_in(&u, UART_RBR), 'a');  /* reading the data ... */
	assert_int_equal(rec.level, 0);                /* ... lowers the line */
	assert_int_equal(rec.calls, 2);
	rx_str(&u, "b");
	assert_int_equal(rec.level, 1);
	uart_out(&u, UART_IER, 0);                     /* masked by IER */
	assert_int_equal(rec.level, 0);
	uart_out(&u, UART_IER, UART_IER_ERBFI);
	assert_int_equal(rec.level, 1);
	uart_out(&u, UART_MCR, UART_MCR_OUT2 | UART_MCR_LOOP); /* OUT2 forced off */
	assert_int_equal(rec.level, 0);
	uart_out(&u, UART_MCR, UART_MCR_OUT2);
	assert_int_equal(rec.level, 1);
	uart_out(&u, UART_MCR, 0);
	assert_int_equal(rec.level, 0);
	assert_int_equal(rec.calls, 8);

	/* THR empty through the line: raised by enabling, dropped by the IIR
	 * read that reports it, raised again by the next byte. */
	uart_in(&u, UART_RBR);
	uart_out(&u, UART_MCR, UART_MCR_OUT2);
	uart_out(&u, UART_IER, UART_IER_ETBEI);
	assert_int_equal(rec.level, 1);
	assert_int_equal(uart_in(&u, UART_IIR), 0x02);
	assert_int_equal(rec.level, 0);
	uart_out(&u, UART_THR, '!');
	assert_int_equal(rec.level, 1);
	uart_teardown(fds);
}

static void test_uart_fifo_trigger(void **state)
{
	static const struct {
		uint8_t fcr;
		unsigned trigger;
	} rows[] = {
		{ 0x01, 1 }, { 0x41, 4 }, { 0x81, 8 }, { 0xc1, 14 },
	};
	static const uint8_t bytes[UART_FIFO_LEN] = "0123456789abcdef";

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct uart u;
		int fds[2];

		uart_setup(&u, fds, NULL);
		uart_out(&u, UART_FCR, rows[i].fcr);
		uart_out(&u, UART_IER, UART_IER_ERBFI);
		assert_int_equal(uart_rx(&u, bytes, rows[i].trigger - 1), rows[i].trigger - 1);
		assert_int_equal(uart_in(&u, UART_IIR),
				 rows[i].trigger == 1 ? 0xc1 : 0xcc);
		assert_int_equal(uart_rx(&u, bytes, 1), 1);
		assert_int_equal(uart_in(&u, UART_IIR), 0xc4);
		/* One read takes it below the trigger again. */
		uart_in(&u, UART_RBR);
		assert_int_equal(uart_in(&u, UART_IIR),
				 rows[i].trigger == 1 ? 0xc1 : 0xcc);
		uart_teardown(fds);
	}
}

static void test_uart_fcr_clear(void **state)
{
	struct uart u;
	int fds[2];

	uart_setup(&u, fds, NULL);
	uart_out(&u, UART_IER, UART_IER_ERBFI);
	uart_out(&u, UART_FCR, 0x01);
	rx_str(&u, "abcde");
	uart_out(&u, UART_FCR, 0x83);                  /* clear RX, trigger 8 */
	assert_int_equal(uart_in(&u, UART_LSR), 0x60);
	assert_int_equal(uart_in(&u, UART_IIR), 0xc1);
	assert_int_equal(u.fcr, 0x81);                 /* clear bit self-clears */
	assert_int_equal(uart_rx_space(&u), 16);
	rx_str(&u, "fg");
	assert_int_equal(uart_in(&u, UART_RBR), 'f');
	/* FCR without bit 1 keeps the data. */
	uart_out(&u, UART_FCR, 0x01);
	assert_int_equal(uart_in(&u, UART_RBR), 'g');
	/* Turning the FIFOs off empties them; other bits need FCR0 = 1. */
	rx_str(&u, "hij");
	uart_out(&u, UART_FCR, 0xc0);
	assert_int_equal(u.fcr, 0x00);
	assert_int_equal(uart_in(&u, UART_LSR), 0x60);
	assert_int_equal(uart_rx_space(&u), 1);
	/* 16450 mode: one byte is "data available", no FIFO bits. */
	rx_str(&u, "k");
	assert_int_equal(uart_in(&u, UART_IIR), 0x04);
	/* Turning them on empties them too. */
	uart_out(&u, UART_FCR, 0x01);
	assert_int_equal(uart_in(&u, UART_LSR), 0x60);
	assert_int_equal(uart_in(&u, UART_IIR), 0xc1);
	uart_teardown(fds);
}

/* An overrun as the datasheet has it, reachable through loopback: in
 * 16450 mode the new byte replaces the unread one. */
static void test_uart_overrun_loopback(void **state)
{
	struct uart u;
	int fds[2];

	uart_setup(&u, fds, NULL);
	uart_out(&u, UART_MCR, UART_MCR_LOOP);
	uart_out(&u, UART_THR, '1');
	uart_out(&u, UART_THR, '2');
	assert_int_equal(u.overruns, 1);
	assert_int_equal(uart_in(&u, UART_LSR), 0x63);
	assert_int_equal(uart_in(&u, UART_LSR), 0x61);
	assert_int_equal(uart_in(&u, UART_RBR), '2');
	assert_int_equal(uart_in(&u, UART_LSR), 0x60);
	uart_teardown(fds);
}

/* The console into the 8259A: a byte typed is IRQ 4, vector base + 4;
 * reading it lowers the line, so no stale or spurious request remains. */
static void test_uart_drives_pic(void **state)
{
	struct pic pic;
	struct uart u;
	uint32_t v;
	int fds[2];

	pic_init(&pic);
	v = 0x11; pic_master_io(&pic, 0, 1, true, &v);
	v = 0x20; pic_master_io(&pic, 1, 1, true, &v);
	v = 0x04; pic_master_io(&pic, 1, 1, true, &v);
	v = 0x01; pic_master_io(&pic, 1, 1, true, &v);
	v = 0x00; pic_master_io(&pic, 1, 1, true, &v);
	assert_int_equal(pipe2(fds, O_NONBLOCK), 0);
	uart_init(&u, fds[1], pic_irq_line(&pic, 4));
	uart_out(&u, UART_FCR, 0x01);
	uart_out(&u, UART_MCR, UART_MCR_OUT2);
	uart_out(&u, UART_IER, UART_IER_ERBFI);
	assert_false(pic_intr(&pic));
	rx_str(&u, "ls\n");
	assert_true(pic_intr(&pic));
	assert_int_equal(pic_ack(&pic), 0x24);
	assert_int_equal(uart_in(&u, UART_IIR), 0xc4);  /* trigger level 1 */
	for (const char *p = "ls\n"; *p; p++)
		assert_int_equal(uart_in(&u, UART_RBR), *p);
	v = 0x20; pic_master_io(&pic, 0, 1, true, &v);
	assert_false(pic_intr(&pic));
	/* Typed while polled with the line up, read before INTA: withdrawn. */
	rx_str(&u, "x");
	assert_true(pic_intr(&pic));
	uart_in(&u, UART_RBR);
	assert_false(pic_intr(&pic));
	assert_int_equal(pic.spurious, 0);
	assert_int_equal(pic.acked[4], 1);
	uart_teardown(fds);
}

/* ---- debug exit ---- */

static void test_debug_exit(void **state)
{
	struct debug_exit d;
	uint32_t v;

	debug_exit_init(&d, false);
	assert_false(d.fired);
	v = 0;
	debug_exit_io(&d, 0, 1, false, &v);
	assert_int_equal(v, 0xff);
	debug_exit_io(&d, 0, 2, false, &v);
	assert_int_equal(v, 0xffff);
	debug_exit_io(&d, 0, 4, false, &v);
	assert_int_equal(v, 0xffffffff);
	assert_false(d.fired);                         /* reads do not stop the VM */

	v = 42;
	debug_exit_io(&d, 0, 1, true, &v);
	assert_true(d.fired);
	assert_int_equal(d.status, 42);
	v = 7;                                          /* the first status stays */
	debug_exit_io(&d, 0, 1, true, &v);
	assert_int_equal(d.status, 42);

	debug_exit_init(&d, false);
	v = 0x1ff;                                      /* low byte of a word */
	debug_exit_io(&d, 0, 2, true, &v);
	assert_int_equal(d.status, 0xff);

	debug_exit_init(&d, true);
	assert_true(d.qemu_style);
	v = 0x10;
	debug_exit_io(&d, 0, 1, true, &v);
	assert_true(d.fired);
	assert_int_equal(d.status, 0x21);              /* (0x10 << 1) | 1 */

	debug_exit_init(&d, true);
	v = 0;
	debug_exit_io(&d, 0, 4, true, &v);
	assert_int_equal(d.status, 1);
	debug_exit_init(&d, true);
	v = 0xff;
	debug_exit_io(&d, 0, 1, true, &v);
	assert_int_equal(d.status, 0x1ff);
}

static void test_debug_exit_on_bus(void **state)
{
	static struct pio_bus bus;
	struct debug_exit plain, qemu;
	uint32_t v;

	bus_init(&bus);
	debug_exit_init(&plain, false);
	debug_exit_init(&qemu, true);
	assert_int_equal(bus_register(&bus, 0x501, 1, "debug-exit", debug_exit_io, &plain), 0);
	assert_int_equal(bus_register(&bus, 0xf4, 1, "isa-debug-exit", debug_exit_io, &qemu), 0);
	v = 3;
	bus_io(&bus, 0xf4, 1, true, &v);
	assert_true(qemu.fired);
	assert_false(plain.fired);
	assert_int_equal(qemu.status, 7);
	v = 3;
	bus_io(&bus, 0x501, 1, true, &v);
	assert_true(plain.fired);
	assert_int_equal(plain.status, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bus_register),
		cmocka_unit_test(test_bus_dispatch),
		cmocka_unit_test(test_bus_unknown),
		cmocka_unit_test(test_uart_transmit),
		cmocka_unit_test(test_uart_dlab),
		cmocka_unit_test(test_uart_registers),
		cmocka_unit_test(test_uart_thre_interrupt),
		cmocka_unit_test(test_uart_on_bus),
		cmocka_unit_test(test_uart_rx_fifo_order),
		cmocka_unit_test(test_uart_rx_space),
		cmocka_unit_test(test_uart_iir_priority),
		cmocka_unit_test(test_uart_irq_line),
		cmocka_unit_test(test_uart_fifo_trigger),
		cmocka_unit_test(test_uart_fcr_clear),
		cmocka_unit_test(test_uart_overrun_loopback),
		cmocka_unit_test(test_uart_drives_pic),
		cmocka_unit_test(test_debug_exit),
		cmocka_unit_test(test_debug_exit_on_bus),
	};

	return cmocka_run_group_tests_name("devices", tests, NULL, NULL);
}
