/*
 * Unit tests for devices/: the port bus (claiming, refusing overlaps,
 * dispatch by offset, unclaimed ports), the 16550A UART's transmit side
 * (bytes reach a pipe, divisor latch, the registers a driver probes) and
 * the debug-exit device in both flavours.
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
	uart_init(&u, fds[1]);
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
	uart_init(&u, fds[1]);
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
	uart_init(&u, fds[1]);

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
	 * this is how Linux's 8250 probe checks a UART is there. */
	uart_out(&u, UART_MCR, UART_MCR_LOOP | 0x0a);  /* OUT2 RTS */
	assert_int_equal(uart_in(&u, UART_MSR), 0x90);
	uart_out(&u, UART_MCR, UART_MCR_LOOP | 0x05);  /* OUT1 DTR */
	assert_int_equal(uart_in(&u, UART_MSR), 0x60);
	uart_out(&u, UART_MCR, 0x00);
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
	uart_init(&u, fds[1]);
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
	uart_init(&u, fds[1]);
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
		cmocka_unit_test(test_debug_exit),
		cmocka_unit_test(test_debug_exit_on_bus),
	};

	return cmocka_run_group_tests_name("devices", tests, NULL, NULL);
}
