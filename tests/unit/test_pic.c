/*
 * Unit tests for devices/pic.c, the 8259A pair, after the Intel datasheet:
 * the initialization sequences Linux and xv6 send, the mask, edge
 * triggering, fixed and rotating priority, nesting, the EOI commands,
 * automatic EOI, the cascade through the slave, the two spurious vectors,
 * OCW3's register reads and poll, special mask and special fully nested
 * mode, level triggering, and the PC/AT's IRQ 2 -> IRQ 9 wiring.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "devices.h"

/* ---- helpers: port access by the PC's port numbers ---- */

static void outb(struct pic *p, uint16_t port, uint8_t v)
{
	uint32_t val = v;

	if (port == 0x20 || port == 0x21)
		pic_master_io(p, port - 0x20, 1, true, &val);
	else if (port == 0xa0 || port == 0xa1)
		pic_slave_io(p, port - 0xa0, 1, true, &val);
	else
		fail_msg("not a PIC port: %#x", port);
}

static uint8_t inb(struct pic *p, uint16_t port)
{
	uint32_t val = 0xdeadbeef;

	if (port == 0x20 || port == 0x21)
		pic_master_io(p, port - 0x20, 1, false, &val);
	else if (port == 0xa0 || port == 0xa1)
		pic_slave_io(p, port - 0xa0, 1, false, &val);
	else
		fail_msg("not a PIC port: %#x", port);
	assert_true(val <= 0xff);
	return (uint8_t)val;
}

/* Linux's init_8259A(): mask all, ICW1-ICW4 on both chips (vectors 0x30
 * and 0x38, cascade on IR2, 8086 mode, normal EOI); then unmask all. */
static void init_linux(struct pic *p)
{
	outb(p, 0x21, 0xff);
	outb(p, 0xa1, 0xff);
	outb(p, 0x20, 0x11);
	outb(p, 0x21, 0x30);
	outb(p, 0x21, 0x04);
	outb(p, 0x21, 0x01);
	outb(p, 0xa0, 0x11);
	outb(p, 0xa1, 0x38);
	outb(p, 0xa1, 0x02);
	outb(p, 0xa1, 0x01);
	outb(p, 0x21, 0x00);
	outb(p, 0xa1, 0x00);
}

static void pulse_up(struct pic *p, int irq)
{
	pic_set_irq(p, irq, 1);
}

static void eoi_master(struct pic *p)
{
	outb(p, 0x20, 0x20);
}

static void eoi_slave(struct pic *p)
{
	outb(p, 0xa0, 0x20);
}

/* ---- initialization ---- */

static void test_pic_reset_state(void **state)
{
	struct pic p;

	pic_init(&p);
	assert_int_equal(inb(&p, 0x21), 0xff);          /* all masked */
	assert_int_equal(inb(&p, 0xa1), 0xff);
	pulse_up(&p, 0);
	assert_int_equal(inb(&p, 0x20), 0x01);          /* requested ... */
	assert_false(pic_intr(&p));                     /* ... not delivered */
	assert_int_equal(p.chip[0].vector_base, 0x08);
	assert_int_equal(p.chip[1].vector_base, 0x70);
}

static void test_pic_init_linux(void **state)
{
	struct pic p;

	pic_init(&p);
	pulse_up(&p, 1);                                /* latched before init */
	outb(&p, 0x20, 0x11);                           /* ICW1: edge, cascade, IC4 */
	assert_int_equal(p.chip[0].icw_step, 2);
	assert_int_equal(inb(&p, 0x21), 0x00);          /* ICW1 clears IMR */
	assert_int_equal(inb(&p, 0x20), 0x00);          /* ... and the request */
	outb(&p, 0x21, 0x30);                           /* ICW2 */
	assert_int_equal(p.chip[0].icw_step, 3);
	outb(&p, 0x21, 0x04);                           /* ICW3: slave on IR2 */
	assert_int_equal(p.chip[0].icw_step, 4);
	outb(&p, 0x21, 0x01);                           /* ICW4: 8086 mode */
	assert_int_equal(p.chip[0].icw_step, 0);
	assert_int_equal(p.chip[0].vector_base, 0x30);
	assert_int_equal(p.chip[0].icw3, 0x04);
	assert_false(p.chip[0].auto_eoi);
	outb(&p, 0x21, 0xfb);                           /* now OCW1 */
	assert_int_equal(inb(&p, 0x21), 0xfb);
	assert_int_equal(p.chip[0].vector_base, 0x30);  /* not an ICW2 */

	init_linux(&p);
	assert_int_equal(p.chip[1].vector_base, 0x38);
	assert_int_equal(p.chip[1].icw3, 0x02);
	assert_int_equal(p.chip[1].icw_step, 0);

	/* IRQ 1 is still high from before: ICW1 reset the edge sense, so
	 * only a new low-to-high transition requests. */
	assert_false(pic_intr(&p));
	pic_set_irq(&p, 1, 0);
	pic_set_irq(&p, 1, 1);
	assert_true(pic_intr(&p));
	assert_int_equal(pic_ack(&p), 0x31);

	/* ICW2's low three bits are not part of the base (x86 mode). */
	outb(&p, 0x20, 0x11);
	outb(&p, 0x21, 0x27);
	outb(&p, 0x21, 0x04);
	outb(&p, 0x21, 0x01);
	assert_int_equal(p.chip[0].vector_base, 0x20);

	/* Single mode without ICW4: ICW2 ends the sequence. */
	outb(&p, 0x20, 0x12);
	outb(&p, 0x21, 0x40);
	assert_int_equal(p.chip[0].icw_step, 0);
	assert_true(p.chip[0].single);
	outb(&p, 0x21, 0x5a);
	assert_int_equal(inb(&p, 0x21), 0x5a);
}

/* xv6's picinit(): vectors 32 and 40, automatic EOI, then OCW3 0x68
 * (special mask mode: no effect with IMR clear) and 0x0a (read IRR). */
static void test_pic_init_xv6_auto_eoi(void **state)
{
	struct pic p;

	pic_init(&p);
	outb(&p, 0x21, 0xff);
	outb(&p, 0xa1, 0xff);
	outb(&p, 0x20, 0x11);
	outb(&p, 0x21, 32);
	outb(&p, 0x21, 1 << 2);
	outb(&p, 0x21, 0x03);
	outb(&p, 0xa0, 0x11);
	outb(&p, 0xa1, 40);
	outb(&p, 0xa1, 2);
	outb(&p, 0xa1, 0x03);
	outb(&p, 0x20, 0x68);
	outb(&p, 0x20, 0x0a);
	outb(&p, 0xa0, 0x68);
	outb(&p, 0xa0, 0x0a);
	assert_true(p.chip[0].auto_eoi);
	assert_true(p.chip[1].auto_eoi);
	assert_true(p.chip[0].special_mask);
	outb(&p, 0x21, 0x00);
	outb(&p, 0xa1, 0x00);

	pulse_up(&p, 1);
	assert_int_equal(pic_ack(&p), 33);
	assert_int_equal(p.chip[0].isr, 0);             /* no EOI needed */
	assert_int_equal(p.chip[0].irr, 0);

	/* With nothing in service, a lower line follows at once. */
	pulse_up(&p, 4);
	pulse_up(&p, 3);
	assert_int_equal(pic_ack(&p), 35);
	assert_int_equal(pic_ack(&p), 36);
	assert_false(pic_intr(&p));

	pulse_up(&p, 14);
	assert_true(pic_intr(&p));
	assert_int_equal(pic_ack(&p), 46);
	assert_int_equal(p.chip[0].isr, 0);
	assert_int_equal(p.chip[1].isr, 0);
	assert_false(pic_intr(&p));
	assert_int_equal(p.acked[14], 1);
	assert_int_equal(p.acked[1], 1);
}

/* ---- mask, edges ---- */

static void test_pic_imr(void **state)
{
	struct pic p;

	pic_init(&p);
	init_linux(&p);
	outb(&p, 0x21, 0x08);                           /* mask IRQ 3 */
	pulse_up(&p, 3);
	assert_int_equal(inb(&p, 0x20), 0x08);          /* IRR regardless of IMR */
	assert_false(pic_intr(&p));
	pulse_up(&p, 6);
	assert_true(pic_intr(&p));
	assert_int_equal(pic_ack(&p), 0x36);            /* 3 is higher, but masked */
	eoi_master(&p);
	assert_false(pic_intr(&p));
	outb(&p, 0x21, 0x00);                           /* unmask: it is delivered */
	assert_true(pic_intr(&p));
	assert_int_equal(pic_ack(&p), 0x33);

	/* Masking the cascade input holds back every slave line. */
	eoi_master(&p);
	outb(&p, 0x21, 0x04);
	pulse_up(&p, 11);
	assert_false(pic_intr(&p));
	assert_int_equal(inb(&p, 0x20), 0x04);
	outb(&p, 0x21, 0x00);
	assert_int_equal(pic_ack(&p), 0x3b);
}

static void test_pic_edge_only(void **state)
{
	struct pic p;

	pic_init(&p);
	init_linux(&p);
	pulse_up(&p, 5);
	assert_int_equal(inb(&p, 0x20), 0x20);
	assert_int_equal(pic_ack(&p), 0x35);
	assert_int_equal(inb(&p, 0x20), 0x00);          /* IRR consumed by INTA */
	eoi_master(&p);
	/* Held high: no second request, and raising it again is no edge. */
	assert_false(pic_intr(&p));
	pic_set_irq(&p, 5, 1);
	assert_false(pic_intr(&p));
	assert_int_equal(inb(&p, 0x20), 0x00);
	/* Lowering an acknowledged line changes nothing. */
	pic_set_irq(&p, 5, 0);
	assert_int_equal(inb(&p, 0x20), 0x00);
	assert_int_equal(p.spurious, 0);
	/* A new edge is a new request. */
	pic_set_irq(&p, 5, 1);
	assert_true(pic_intr(&p));
	assert_int_equal(pic_ack(&p), 0x35);
	assert_int_equal(p.acked[5], 2);

	/* Out-of-range lines are ignored. */
	pic_set_irq(&p, 16, 1);
	pic_set_irq(&p, -1, 1);
	assert_int_equal(p.chip[0].irr | p.chip[1].irr, 0);
}

/* ---- priority and nesting ---- */

static void test_pic_priority_table(void **state)
{
	static const struct {
		const char *what;
		int raise[4];             /* -1 ends */
		int order[4];             /* vectors, each acked then EOIed */
	} rows[] = {
		{ "lower number wins", { 5, 3, 1, -1 }, { 0x31, 0x33, 0x35, -1 } },
		{ "0 beats all", { 7, 0, -1 }, { 0x30, 0x37, -1 } },
		{ "slave ranks at 2", { 3, 9, 1, -1 }, { 0x31, 0x39, 0x33, -1 } },
		{ "within the slave", { 15, 12, 8, -1 }, { 0x38, 0x3c, 0x3f, -1 } },
		{ "slave before 3-7", { 7, 14, 4, -1 }, { 0x3e, 0x34, 0x37, -1 } },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct pic p;

		pic_init(&p);
		init_linux(&p);
		for (int j = 0; rows[i].raise[j] >= 0; j++)
			pulse_up(&p, rows[i].raise[j]);
		for (int j = 0; j < 4 && rows[i].order[j] >= 0; j++) {
			int v = pic_ack(&p);

			if (v != rows[i].order[j])
				fail_msg("%s: ack %d gave %#x, want %#x", rows[i].what, j,
					 v, rows[i].order[j]);
			if (v >= 0x38)
				eoi_slave(&p);
			eoi_master(&p);
		}
		assert_false(pic_intr(&p));
		assert_int_equal(p.spurious, 0);
	}
}

static void test_pic_nested(void **state)
{
	struct pic p;

	pic_init(&p);
	init_linux(&p);
	pulse_up(&p, 4);
	assert_int_equal(pic_ack(&p), 0x34);
	assert_int_equal(p.chip[0].isr, 0x10);
	/* A higher line interrupts the handler of a lower one ... */
	pulse_up(&p, 1);
	assert_true(pic_intr(&p));
	assert_int_equal(pic_ack(&p), 0x31);
	assert_int_equal(p.chip[0].isr, 0x12);
	/* ... a lower one waits, and so does the same level. */
	pulse_up(&p, 6);
	assert_false(pic_intr(&p));
	pic_set_irq(&p, 4, 0);
	pulse_up(&p, 4);
	assert_false(pic_intr(&p));
	/* The non-specific EOI ends the highest in service: 1. */
	eoi_master(&p);
	assert_int_equal(p.chip[0].isr, 0x10);
	assert_false(pic_intr(&p));
	eoi_master(&p);
	assert_int_equal(p.chip[0].isr, 0x00);
	assert_true(pic_intr(&p));
	assert_int_equal(pic_ack(&p), 0x34);
	eoi_master(&p);
	assert_int_equal(pic_ack(&p), 0x36);
	eoi_master(&p);
	assert_false(pic_intr(&p));
	/* An EOI with nothing in service does nothing. */
	eoi_master(&p);
	assert_int_equal(p.chip[0].isr, 0);
}

static void test_pic_specific_eoi(void **state)
{
	struct pic p;

	pic_init(&p);
	init_linux(&p);
	pulse_up(&p, 4);
	pic_ack(&p);
	pulse_up(&p, 1);
	pic_ack(&p);
	assert_int_equal(p.chip[0].isr, 0x12);
	outb(&p, 0x20, 0x64);                           /* specific EOI, level 4 */
	assert_int_equal(p.chip[0].isr, 0x02);
	outb(&p, 0x20, 0x67);                           /* not in service: no-op */
	assert_int_equal(p.chip[0].isr, 0x02);
	outb(&p, 0x20, 0x40);                           /* OCW2 "no operation" */
	assert_int_equal(p.chip[0].isr, 0x02);
	outb(&p, 0x20, 0x61);
	assert_int_equal(p.chip[0].isr, 0x00);
}

/* ---- cascade ---- */

static void test_pic_cascade(void **state)
{
	struct pic p;

	pic_init(&p);
	init_linux(&p);
	pulse_up(&p, 12);
	assert_int_equal(inb(&p, 0xa0), 0x10);          /* slave IR4 */
	assert_int_equal(inb(&p, 0x20), 0x04);          /* master IR2 */
	assert_true(pic_intr(&p));
	assert_int_equal(pic_ack(&p), 0x3c);            /* the slave's vector */
	assert_int_equal(p.chip[0].isr, 0x04);          /* master: IR2 in service */
	assert_int_equal(p.chip[1].isr, 0x10);
	assert_int_equal(p.chip[0].irr, 0x00);
	assert_int_equal(p.chip[1].irr, 0x00);

	/* Fully nested: another slave request, even a higher one, waits for
	 * the master's EOI; a master line above 2 gets through. */
	pulse_up(&p, 8);
	assert_false(pic_intr(&p));
	pulse_up(&p, 1);
	assert_int_equal(pic_ack(&p), 0x31);
	eoi_master(&p);                                 /* ends IR1 */
	assert_false(pic_intr(&p));
	/* Linux's order: slave EOI, then master EOI. */
	eoi_slave(&p);
	assert_int_equal(p.chip[1].isr, 0x00);
	assert_false(pic_intr(&p));
	eoi_master(&p);
	assert_int_equal(p.chip[0].isr, 0x00);
	assert_true(pic_intr(&p));
	assert_int_equal(pic_ack(&p), 0x38);
	eoi_slave(&p);
	eoi_master(&p);
	assert_false(pic_intr(&p));

	/* Two slave lines: the lower one follows the first one's EOIs. */
	pulse_up(&p, 10);
	pulse_up(&p, 11);
	assert_int_equal(pic_ack(&p), 0x3a);
	eoi_slave(&p);
	eoi_master(&p);
	assert_true(pic_intr(&p));
	assert_int_equal(pic_ack(&p), 0x3b);
	assert_int_equal(p.acked[10], 1);
	assert_int_equal(p.acked[11], 1);
	assert_int_equal(p.acked[2], 0);
}

/* With automatic EOI on the slave, a second slave request is still
 * delivered although the slave's INT never dropped in between. */
static void test_pic_cascade_auto_eoi(void **state)
{
	struct pic p;

	pic_init(&p);
	init_linux(&p);
	outb(&p, 0xa0, 0x11);
	outb(&p, 0xa1, 0x38);
	outb(&p, 0xa1, 0x02);
	outb(&p, 0xa1, 0x03);                           /* slave: AEOI */
	outb(&p, 0xa1, 0x00);
	pulse_up(&p, 9);
	pulse_up(&p, 13);
	assert_int_equal(pic_ack(&p), 0x39);
	eoi_master(&p);
	assert_true(pic_intr(&p));
	assert_int_equal(pic_ack(&p), 0x3d);
	assert_int_equal(p.chip[1].isr, 0);
}

/* ---- spurious interrupts ---- */

static void test_pic_spurious_irq7(void **state)
{
	struct pic p;

	pic_init(&p);
	init_linux(&p);
	pulse_up(&p, 3);
	assert_true(pic_intr(&p));
	pic_set_irq(&p, 3, 0);                          /* gone before INTA */
	assert_false(pic_intr(&p));
	assert_int_equal(inb(&p, 0x20), 0x00);
	assert_int_equal(pic_ack(&p), 0x37);            /* default IR7 */
	assert_int_equal(p.chip[0].isr, 0x00);          /* ISR7 not set */
	assert_int_equal(p.spurious, 1);
	assert_int_equal(p.acked[7], 0);

	/* A real IR7 sets ISR bit 7: that is how a handler tells them apart. */
	pulse_up(&p, 7);
	assert_int_equal(pic_ack(&p), 0x37);
	outb(&p, 0x20, 0x0b);
	assert_int_equal(inb(&p, 0x20), 0x80);
	assert_int_equal(p.spurious, 1);
	assert_int_equal(p.acked[7], 1);
}

static void test_pic_spurious_irq15(void **state)
{
	struct pic p;

	pic_init(&p);
	init_linux(&p);
	pulse_up(&p, 10);
	pic_set_irq(&p, 10, 0);                         /* gone before INTA */
	assert_int_equal(p.chip[1].irr, 0x00);
	assert_true(pic_intr(&p));                      /* the master still has IR2 */
	assert_int_equal(pic_ack(&p), 0x3f);            /* the slave's default IR7 */
	assert_int_equal(p.chip[0].isr, 0x04);          /* master IR2 in service */
	assert_int_equal(p.chip[1].isr, 0x00);
	assert_int_equal(p.spurious, 1);
	assert_int_equal(p.acked[15], 0);
	/* The handler EOIs the master only, and all is quiet again. */
	eoi_master(&p);
	assert_int_equal(p.chip[0].isr, 0x00);
	assert_false(pic_intr(&p));
	pulse_up(&p, 10);
	assert_int_equal(pic_ack(&p), 0x3a);
}

/* ---- OCW3 ---- */

static void test_pic_ocw3_read(void **state)
{
	struct pic p;

	pic_init(&p);
	init_linux(&p);
	outb(&p, 0x21, 0x20);                           /* mask 5 */
	pulse_up(&p, 0);
	pulse_up(&p, 5);
	assert_int_equal(inb(&p, 0x20), 0x21);          /* IRR by default */
	assert_int_equal(pic_ack(&p), 0x30);
	outb(&p, 0x20, 0x0b);                           /* read ISR */
	assert_int_equal(inb(&p, 0x20), 0x01);
	assert_int_equal(inb(&p, 0x20), 0x01);          /* stays selected */
	assert_int_equal(inb(&p, 0x21), 0x20);          /* base+1 is IMR */
	outb(&p, 0x20, 0x0a);                           /* read IRR */
	assert_int_equal(inb(&p, 0x20), 0x20);
	outb(&p, 0x20, 0x08);                           /* RR=0: no change */
	assert_int_equal(inb(&p, 0x20), 0x20);

	pulse_up(&p, 9);
	outb(&p, 0xa0, 0x0a);
	assert_int_equal(inb(&p, 0xa0), 0x02);
	outb(&p, 0xa0, 0x0b);
	assert_int_equal(inb(&p, 0xa0), 0x00);
}

static void test_pic_poll(void **state)
{
	struct pic p;

	pic_init(&p);
	init_linux(&p);
	outb(&p, 0x20, 0x0c);                           /* poll, nothing pending */
	assert_int_equal(inb(&p, 0x20), 0x00);
	pulse_up(&p, 6);
	pulse_up(&p, 3);
	outb(&p, 0x20, 0x0c);
	assert_int_equal(inb(&p, 0x20), 0x83);          /* I bit | level 3 */
	assert_int_equal(p.chip[0].isr, 0x08);          /* treated as INTA */
	assert_int_equal(inb(&p, 0x20), 0x40);          /* next read: IRR again */
	outb(&p, 0x20, 0x63);
	outb(&p, 0x20, 0x0c);                           /* poll via base+1 too */
	assert_int_equal(inb(&p, 0x21), 0x86);
	assert_int_equal(p.chip[0].isr, 0x40);
	assert_int_equal(p.spurious, 0);

	/* Poll overrides a register read in the same OCW3. */
	outb(&p, 0x20, 0x66);
	pulse_up(&p, 2);                                /* = IRQ 9 on the PC */
	outb(&p, 0x20, 0x0f);
	assert_int_equal(inb(&p, 0x20), 0x82);          /* master sees level 2 */
	outb(&p, 0xa0, 0x0c);
	assert_int_equal(inb(&p, 0xa0), 0x81);          /* slave level 1 */
	assert_int_equal(p.chip[1].isr, 0x02);
}

static void test_pic_special_mask(void **state)
{
	struct pic p;

	pic_init(&p);
	init_linux(&p);
	pulse_up(&p, 3);
	assert_int_equal(pic_ack(&p), 0x33);
	pulse_up(&p, 5);
	assert_false(pic_intr(&p));                     /* 3 in service holds 5 */
	outb(&p, 0x21, 0x08);                           /* mask 3 */
	assert_false(pic_intr(&p));                     /* not enough alone */
	outb(&p, 0x20, 0x68);                           /* set special mask */
	assert_true(p.chip[0].special_mask);
	assert_true(pic_intr(&p));
	assert_int_equal(pic_ack(&p), 0x35);
	assert_int_equal(p.chip[0].isr, 0x28);
	/* A non-specific EOI skips the masked level 3. */
	eoi_master(&p);
	assert_int_equal(p.chip[0].isr, 0x08);
	outb(&p, 0x20, 0x48);                           /* reset special mask */
	assert_false(p.chip[0].special_mask);
	outb(&p, 0x20, 0x63);
	assert_int_equal(p.chip[0].isr, 0x00);
}

/* ---- rotation ---- */

static void test_pic_rotation(void **state)
{
	struct pic p;

	pic_init(&p);
	init_linux(&p);
	/* Rotate on non-specific EOI: the line just served becomes lowest. */
	pulse_up(&p, 1);
	pulse_up(&p, 5);
	assert_int_equal(pic_ack(&p), 0x31);
	outb(&p, 0x20, 0xa0);
	assert_int_equal(p.chip[0].lowest_priority, 1);
	pic_set_irq(&p, 1, 0);
	pulse_up(&p, 1);
	assert_int_equal(pic_ack(&p), 0x35);            /* 5 now outranks 1 */
	/* With 5 in service, 1 (now lowest) waits; 6 and 0 get through. */
	assert_false(pic_intr(&p));
	outb(&p, 0x20, 0xa0);                           /* ends 5, 5 lowest */
	assert_int_equal(p.chip[0].lowest_priority, 5);
	pulse_up(&p, 6);
	assert_int_equal(pic_ack(&p), 0x36);            /* 6 first after 5 */
	outb(&p, 0x20, 0x20);
	assert_int_equal(pic_ack(&p), 0x31);
	outb(&p, 0x20, 0x20);

	/* Set priority: level 4 lowest, so 5 highest. */
	outb(&p, 0x20, 0xc4);
	pulse_up(&p, 0);
	pic_set_irq(&p, 5, 0);
	pulse_up(&p, 5);
	pulse_up(&p, 3);
	assert_int_equal(pic_ack(&p), 0x35);
	/* Rotate on specific EOI of 5: 5 lowest, 6 highest; then 0 before 3. */
	outb(&p, 0x20, 0xe5);
	assert_int_equal(p.chip[0].lowest_priority, 5);
	assert_int_equal(p.chip[0].isr, 0x00);
	assert_int_equal(pic_ack(&p), 0x30);
	eoi_master(&p);
	assert_int_equal(pic_ack(&p), 0x33);
	eoi_master(&p);

	/* Rotate in automatic EOI mode. */
	outb(&p, 0x20, 0x11);
	outb(&p, 0x21, 0x30);
	outb(&p, 0x21, 0x04);
	outb(&p, 0x21, 0x03);                           /* AEOI */
	assert_int_equal(p.chip[0].lowest_priority, 7); /* ICW1 reset it */
	outb(&p, 0x20, 0x80);                           /* rotate in AEOI: set */
	assert_true(p.chip[0].rotate_on_aeoi);
	pic_set_irq(&p, 6, 0);                          /* ICW1 reset the edge */
	pulse_up(&p, 6);                                /* sense: new edges */
	pic_set_irq(&p, 3, 0);
	pulse_up(&p, 3);
	assert_int_equal(pic_ack(&p), 0x33);
	assert_int_equal(p.chip[0].lowest_priority, 3);
	outb(&p, 0x20, 0x00);                           /* rotate in AEOI: clear */
	assert_false(p.chip[0].rotate_on_aeoi);
	assert_int_equal(pic_ack(&p), 0x36);
	assert_int_equal(p.chip[0].lowest_priority, 3);
}

/* ---- other modes and wiring ---- */

static void test_pic_special_fully_nested(void **state)
{
	struct pic p;

	pic_init(&p);
	init_linux(&p);
	pulse_up(&p, 12);
	assert_int_equal(pic_ack(&p), 0x3c);
	pulse_up(&p, 9);                                /* higher, on the slave */
	assert_false(pic_intr(&p));                     /* fully nested: waits */

	pic_init(&p);
	init_linux(&p);
	outb(&p, 0x20, 0x11);
	outb(&p, 0x21, 0x30);
	outb(&p, 0x21, 0x04);
	outb(&p, 0x21, 0x11);                           /* ICW4: SFNM */
	assert_true(p.chip[0].special_fully_nested);
	pulse_up(&p, 12);
	assert_int_equal(pic_ack(&p), 0x3c);
	pulse_up(&p, 13);
	assert_false(pic_intr(&p));                     /* lower on the slave */
	pulse_up(&p, 9);
	assert_true(pic_intr(&p));                      /* higher gets through */
	assert_int_equal(pic_ack(&p), 0x39);
	assert_int_equal(p.chip[1].isr, 0x12);
	pulse_up(&p, 4);
	assert_false(pic_intr(&p));                     /* master lines below 2 wait */
}

static void test_pic_level_triggered(void **state)
{
	struct pic p;

	pic_init(&p);
	outb(&p, 0x20, 0x19);                           /* ICW1 with LTIM */
	outb(&p, 0x21, 0x30);
	outb(&p, 0x21, 0x04);
	outb(&p, 0x21, 0x01);
	outb(&p, 0x21, 0x00);
	pulse_up(&p, 3);
	assert_int_equal(pic_ack(&p), 0x33);
	assert_int_equal(inb(&p, 0x20), 0x08);          /* IRR follows the input */
	eoi_master(&p);
	assert_true(pic_intr(&p));                      /* still high: again */
	assert_int_equal(pic_ack(&p), 0x33);
	pic_set_irq(&p, 3, 0);
	eoi_master(&p);
	assert_false(pic_intr(&p));
}

static void test_pic_irq2_is_irq9(void **state)
{
	struct pic p;
	struct irq_line l;

	pic_init(&p);
	init_linux(&p);
	l = pic_irq_line(&p, 2);
	irq_line_set(&l, 1);
	assert_int_equal(p.chip[1].irr, 0x02);
	assert_int_equal(pic_ack(&p), 0x39);
	assert_int_equal(p.acked[9], 1);

	/* IR2 in service holds IRQ 4 back until the EOIs. */
	l = pic_irq_line(&p, 4);
	irq_line_set(&l, 1);
	assert_false(pic_intr(&p));
	eoi_slave(&p);
	eoi_master(&p);
	assert_int_equal(pic_ack(&p), 0x34);
	assert_int_equal(p.spurious, 0);
}

static void test_pic_on_bus(void **state)
{
	static struct pio_bus bus;
	struct pic p;
	uint32_t v;

	pic_init(&p);
	bus_init(&bus);
	assert_int_equal(bus_register(&bus, 0x20, 2, "pic-master", pic_master_io, &p), 0);
	assert_int_equal(bus_register(&bus, 0xa0, 2, "pic-slave", pic_slave_io, &p), 0);
	v = 0x11; bus_io(&bus, 0xa0, 1, true, &v);
	v = 0x70; bus_io(&bus, 0xa1, 1, true, &v);
	v = 0x02; bus_io(&bus, 0xa1, 1, true, &v);
	v = 0x01; bus_io(&bus, 0xa1, 1, true, &v);
	v = 0xfe; bus_io(&bus, 0xa1, 1, true, &v);
	v = 0; bus_io(&bus, 0xa1, 1, false, &v);
	assert_int_equal(v, 0xfe);
	assert_int_equal(p.chip[1].vector_base, 0x70);
	assert_int_equal(p.chip[0].imr, 0xff);          /* master untouched */
	v = 0xffffff00; bus_io(&bus, 0x21, 2, true, &v); /* low byte only */
	assert_int_equal(p.chip[0].imr, 0x00);
	v = 0; bus_io(&bus, 0x21, 2, false, &v);
	assert_int_equal(v, 0x0000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pic_reset_state),
		cmocka_unit_test(test_pic_init_linux),
		cmocka_unit_test(test_pic_init_xv6_auto_eoi),
		cmocka_unit_test(test_pic_imr),
		cmocka_unit_test(test_pic_edge_only),
		cmocka_unit_test(test_pic_priority_table),
		cmocka_unit_test(test_pic_nested),
		cmocka_unit_test(test_pic_specific_eoi),
		cmocka_unit_test(test_pic_cascade),
		cmocka_unit_test(test_pic_cascade_auto_eoi),
		cmocka_unit_test(test_pic_spurious_irq7),
		cmocka_unit_test(test_pic_spurious_irq15),
		cmocka_unit_test(test_pic_ocw3_read),
		cmocka_unit_test(test_pic_poll),
		cmocka_unit_test(test_pic_special_mask),
		cmocka_unit_test(test_pic_rotation),
		cmocka_unit_test(test_pic_special_fully_nested),
		cmocka_unit_test(test_pic_level_triggered),
		cmocka_unit_test(test_pic_irq2_is_irq9),
		cmocka_unit_test(test_pic_on_bus),
	};

	return cmocka_run_group_tests_name("pic", tests, NULL, NULL);
}
