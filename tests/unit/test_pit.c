/*
 * Unit tests for devices/pit.c, the 8254, with time driven by hand: mode 2
 * at 100 Hz (pulses per elapsed time, exact deadlines, no drift), the count
 * read back as it decreases, the counter latch and read-back commands, the
 * LSB/MSB flip-flops, a reload of 0 meaning 65536, coalescing of ticks the
 * host was late for, mode 0's one shot, mode 3's period and halves, mode
 * 4's strobe, BCD, a new count in mode 2, channels 1 and 2, and channel 0
 * driving the 8259A.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "devices.h"

#define T0 1000000000ull          /* an arbitrary CLOCK_MONOTONIC start */
#define HZ100 11932               /* 1193182 / 100, what xv6 and Linux load */

/* A device's view of IRQ 0: every level change, in order. */
struct line_rec {
	int n;                    /* calls */
	int rises;                /* 0 -> 1 transitions */
	int level;                /* current level (starts 0) */
	int last[4];              /* the last four levels set, newest at [3] */
};

static void rec_set(void *opaque, int irq, int level)
{
	struct line_rec *r = opaque;

	assert_int_equal(irq, 0);
	if (level && !r->level)
		r->rises++;
	r->level = level;
	r->n++;
	memmove(r->last, r->last + 1, 3 * sizeof(int));
	r->last[3] = level;
}

static struct irq_line rec_line(struct line_rec *r)
{
	memset(r, 0, sizeof(*r));
	return (struct irq_line){ .set = rec_set, .opaque = r, .irq = 0 };
}

static void outb(struct pit *p, uint64_t now, uint16_t port, uint8_t v)
{
	uint32_t val = v;

	p->now_ns = now;
	pit_io(p, port - 0x40, 1, true, &val);
}

static uint8_t inb(struct pit *p, uint64_t now, uint16_t port)
{
	uint32_t val = 0xdeadbeef;

	p->now_ns = now;
	pit_io(p, port - 0x40, 1, false, &val);
	assert_true(val <= 0xff);
	return (uint8_t)val;
}

/* Read a 16-bit count LSB then MSB (access mode 3). */
static unsigned read16(struct pit *p, uint64_t now, uint16_t port)
{
	unsigned lo = inb(p, now, port);

	return lo | (unsigned)inb(p, now, port) << 8;
}

/* Program channel 0 as xv6 and Linux do: control word, LSB, MSB. */
static void program(struct pit *p, uint64_t now, uint8_t cw, unsigned count)
{
	outb(p, now, 0x43, cw);
	outb(p, now, 0x40, (uint8_t)count);
	outb(p, now, 0x40, (uint8_t)(count >> 8));
}

/* ns from the load to the end of 'clocks' input clocks, rounded up. */
static uint64_t ns_for(uint64_t clocks)
{
	return (uint64_t)(((unsigned __int128)clocks * 1000000000u + PIT_HZ - 1) / PIT_HZ);
}

/* ---- mode 2 ---- */

static void test_pit_mode2_100hz(void **state)
{
	struct pit p;
	struct line_rec rec;
	uint64_t next, t;

	pit_init(&p, rec_line(&rec));
	assert_int_equal(pit_update(&p, T0), 0);        /* unprogrammed: idle */
	program(&p, T0, 0x34, HZ100);
	assert_int_equal(rec.n, 0);                     /* OUT stays high: no edge */
	next = pit_update(&p, T0);
	assert_int_equal(next, T0 + 10000151);          /* 11932 clocks */
	assert_int_equal(rec.n, 0);
	assert_int_equal(pit_update(&p, next - 1), next); /* not yet */
	assert_int_equal(p.ticks, 0);

	/* On time for 100 periods: one pulse each, deadlines from the load
	 * time (k * 11932 clocks), never from the previous deadline. */
	for (int k = 1; k <= 100; k++) {
		t = next;
		assert_int_equal(t, T0 + ns_for((uint64_t)k * HZ100));
		next = pit_update(&p, t);
		assert_int_equal(p.ticks, k);
		assert_int_equal(rec.rises, k);
	}
	assert_int_equal(t, T0 + 1000015086);           /* 100 periods: 1.000015 s */
	assert_int_equal(p.missed, 0);
	/* A pulse is the line going low and back high: it stays high. */
	assert_int_equal(rec.n, 200);
	assert_int_equal(rec.last[2], 0);
	assert_int_equal(rec.last[3], 1);
	/* Calling again at the same time delivers nothing new. */
	assert_int_equal(pit_update(&p, t), next);
	assert_int_equal(p.ticks, 100);
}

static void test_pit_count_readback(void **state)
{
	struct pit p;
	struct line_rec rec;

	pit_init(&p, rec_line(&rec));
	program(&p, T0, 0x34, HZ100);
	assert_int_equal(read16(&p, T0, 0x40), HZ100);  /* just loaded */
	/* 1 ms = 1193 whole clocks. */
	assert_int_equal(read16(&p, T0 + 1000000, 0x40), HZ100 - 1193);
	assert_int_equal(read16(&p, T0 + 2000000, 0x40), HZ100 - 2386);
	assert_int_equal(read16(&p, T0 + 5000000, 0x40), HZ100 - 5965);
	/* The last clock of a period reads 1, then the count reloads. */
	assert_int_equal(read16(&p, T0 + ns_for(HZ100 - 1), 0x40), 1);
	assert_int_equal(read16(&p, T0 + ns_for(HZ100), 0x40), HZ100);
	assert_int_equal(read16(&p, T0 + ns_for(HZ100 + 32), 0x40), HZ100 - 32);
	/* Far in the future, still exact: 1000 periods and 100 clocks. */
	assert_int_equal(read16(&p, T0 + ns_for(1000ull * HZ100 + 100), 0x40), HZ100 - 100);
}

static void test_pit_latch(void **state)
{
	struct pit p;
	struct line_rec rec;

	pit_init(&p, rec_line(&rec));
	program(&p, T0, 0x34, HZ100);
	outb(&p, T0 + 1000000, 0x43, 0x00);             /* latch channel 0 */
	outb(&p, T0 + 3000000, 0x43, 0x00);             /* ignored: still latched */
	/* The latched value holds however late it is read. */
	assert_int_equal(inb(&p, T0 + 5000000, 0x40), (HZ100 - 1193) & 0xff);
	assert_int_equal(inb(&p, T0 + 8000000, 0x40), (HZ100 - 1193) >> 8);
	/* Both bytes read: the counter is live again. */
	assert_int_equal(read16(&p, T0 + 5000000, 0x40), HZ100 - 5965);
	/* A new latch after the read takes a new value. */
	outb(&p, T0 + 2000000, 0x43, 0x00);
	assert_int_equal(read16(&p, T0 + 9000000, 0x40), HZ100 - 2386);

	/* With LSB-only access the latch is released after one byte. */
	outb(&p, T0, 0x43, 0x14);                       /* LSB only, mode 2 */
	outb(&p, T0, 0x40, 200);
	outb(&p, T0 + ns_for(50), 0x43, 0x00);
	assert_int_equal(inb(&p, T0 + ns_for(70), 0x40), 150);
	assert_int_equal(inb(&p, T0 + ns_for(70), 0x40), 130);
}

static void test_pit_byte_order(void **state)
{
	struct pit p;
	struct line_rec rec;

	pit_init(&p, rec_line(&rec));
	/* LSB only: the MSB of the count is 0. */
	outb(&p, T0, 0x43, 0x14);
	outb(&p, T0, 0x40, 0x80);
	assert_int_equal(p.ch[0].reload, 0x80);
	assert_int_equal(inb(&p, T0 + ns_for(1), 0x40), 0x7f);
	assert_int_equal(inb(&p, T0 + ns_for(1), 0x40), 0x7f);  /* no flip-flop */
	/* MSB only: the LSB is 0; reads give the MSB. */
	outb(&p, T0, 0x43, 0x24);
	outb(&p, T0, 0x40, 0x02);
	assert_int_equal(p.ch[0].reload, 0x200);
	assert_int_equal(inb(&p, T0 + ns_for(1), 0x40), 0x01);  /* 0x1ff */
	/* LSB then MSB, for writes and for reads. */
	outb(&p, T0, 0x43, 0x34);
	outb(&p, T0, 0x40, 0x34);
	assert_false(p.ch[0].counting);                 /* half a count */
	outb(&p, T0, 0x40, 0x12);
	assert_int_equal(p.ch[0].reload, 0x1234);
	assert_int_equal(inb(&p, T0, 0x40), 0x34);
	assert_int_equal(inb(&p, T0, 0x40), 0x12);
	/* The read and write flip-flops are separate (datasheet: reads and
	 * writes of one counter may be interleaved). */
	assert_int_equal(inb(&p, T0, 0x40), 0x34);      /* read LSB */
	outb(&p, T0, 0x40, 0x00);                       /* write LSB */
	assert_int_equal(inb(&p, T0, 0x40), 0x12);      /* read MSB */
	outb(&p, T0, 0x40, 0x10);                       /* write MSB */
	assert_int_equal(p.ch[0].next_reload, 0x1000);  /* mode 2: at period end */
	/* A control word resets the flip-flops half way. */
	assert_int_equal(inb(&p, T0, 0x40), 0x34);
	outb(&p, T0, 0x43, 0x34);
	outb(&p, T0, 0x40, 0xcd);
	outb(&p, T0, 0x40, 0xab);
	assert_int_equal(p.ch[0].reload, 0xabcd);
	assert_int_equal(inb(&p, T0, 0x40), 0xcd);
}

static void test_pit_reload_zero(void **state)
{
	struct pit p;
	struct line_rec rec;

	pit_init(&p, rec_line(&rec));
	program(&p, T0, 0x34, 0);
	assert_int_equal(p.ch[0].reload, 65536);
	assert_int_equal(pit_update(&p, T0), T0 + 54925402);  /* 65536 clocks */
	assert_int_equal(read16(&p, T0, 0x40), 0x0000);  /* 65536 reads as 0 */
	assert_int_equal(read16(&p, T0 + ns_for(1), 0x40), 0xffff);
	assert_int_equal(read16(&p, T0 + ns_for(65535), 0x40), 1);
	assert_int_equal(pit_update(&p, T0 + 54925402), T0 + ns_for(2 * 65536));
	assert_int_equal(p.ticks, 1);
}

static void test_pit_coalesce(void **state)
{
	struct pit p;
	struct line_rec rec;
	uint64_t next;

	pit_init(&p, rec_line(&rec));
	program(&p, T0, 0x34, HZ100);
	pit_update(&p, T0);
	/* The host comes back 55 ms late: five period ends passed, one pulse. */
	next = pit_update(&p, T0 + 55000000);
	assert_int_equal(p.ticks, 1);
	assert_int_equal(p.missed, 4);
	assert_int_equal(rec.rises, 1);
	assert_int_equal(next, T0 + 60000906);          /* the 6th, from the load */
	next = pit_update(&p, next);
	assert_int_equal(p.ticks, 2);
	assert_int_equal(p.missed, 4);
	/* A whole second late: 100 ends, one pulse, 99 missed. */
	next = pit_update(&p, T0 + ns_for(106ull * HZ100));
	assert_int_equal(p.ticks, 3);
	assert_int_equal(p.missed, 4 + 99);
	assert_int_equal(rec.rises, 3);
	assert_int_equal(next, T0 + ns_for(107ull * HZ100));
	/* Every end is accounted once: delivered + missed = ends passed. */
	assert_int_equal(p.ticks + p.missed, 106);
}

/* ---- one-shot modes ---- */

static void test_pit_mode0(void **state)
{
	struct pit p;
	struct line_rec rec;
	uint64_t dl;

	pit_init(&p, rec_line(&rec));
	outb(&p, T0, 0x43, 0x30);                       /* mode 0: OUT low */
	assert_int_equal(rec.n, 1);
	assert_int_equal(rec.level, 0);
	assert_int_equal(pit_update(&p, T0), 0);        /* no count yet */
	outb(&p, T0, 0x40, 1000 & 0xff);
	outb(&p, T0, 0x40, 1000 >> 8);
	dl = pit_update(&p, T0);
	assert_int_equal(dl, T0 + 838096);              /* 1000 clocks */
	assert_int_equal(pit_update(&p, dl - 1), dl);
	assert_int_equal(rec.rises, 0);
	/* Terminal count: OUT rises once and stays high. */
	assert_int_equal(pit_update(&p, dl), 0);
	assert_int_equal(rec.rises, 1);
	assert_int_equal(rec.level, 1);
	assert_int_equal(p.ticks, 1);
	assert_int_equal(pit_update(&p, dl + 100000000), 0);
	assert_int_equal(rec.rises, 1);
	assert_int_equal(rec.n, 2);
	/* The counter goes on through zero and wraps. */
	assert_int_equal(read16(&p, T0 + ns_for(2000), 0x40), 65536 - 1000);

	/* Writing the first byte of a new count stops it and drops OUT; the
	 * second starts a new count from that moment. */
	outb(&p, T0 + 200000000, 0x40, 100);
	assert_int_equal(rec.level, 0);
	assert_int_equal(pit_update(&p, T0 + 300000000), 0);
	outb(&p, T0 + 300000000, 0x40, 0);
	assert_int_equal(pit_update(&p, T0 + 300000000), T0 + 300000000 + ns_for(100));
	pit_update(&p, T0 + 400000000);
	assert_int_equal(rec.rises, 2);
	assert_int_equal(p.ticks, 2);
}

static void test_pit_mode4_strobe(void **state)
{
	struct pit p;
	struct line_rec rec;
	uint64_t dl;

	pit_init(&p, rec_line(&rec));
	program(&p, T0, 0x38, 500);                     /* Linux's one-shot */
	assert_int_equal(rec.n, 0);                     /* OUT high, as before */
	dl = pit_update(&p, T0);
	assert_int_equal(dl, T0 + ns_for(500));
	assert_int_equal(pit_update(&p, dl), 0);
	assert_int_equal(rec.rises, 1);
	assert_int_equal(rec.level, 1);                 /* low for a clock, high */
	assert_int_equal(pit_update(&p, dl + 50000000), 0);
	assert_int_equal(p.ticks, 1);
	/* Re-arming is writing a new count. */
	outb(&p, T0 + 100000000, 0x40, 10);
	outb(&p, T0 + 100000000, 0x40, 0);
	assert_int_equal(pit_update(&p, T0 + 100000000), T0 + 100000000 + ns_for(10));
}

/* ---- mode 3 ---- */

static void test_pit_mode3(void **state)
{
	static const struct {
		unsigned count;           /* reload */
		unsigned clock;           /* clocks after the load */
		unsigned read;            /* count read back */
		uint8_t status;           /* read-back status: OUT, null, 0x36 */
	} rows[] = {
		{ 100, 0, 100, 0xb6 },    /* high half: 100, 98, ... 2 */
		{ 100, 10, 80, 0xb6 },
		{ 100, 49, 2, 0xb6 },
		{ 100, 50, 100, 0x36 },   /* low half: reloaded, OUT low */
		{ 100, 60, 80, 0x36 },
		{ 100, 99, 2, 0x36 },
		{ 100, 100, 100, 0xb6 },  /* the next period */
		{ 5, 0, 4, 0xb6 },        /* odd: high 3 clocks, counts from 4 */
		{ 5, 2, 0, 0xb6 },
		{ 5, 3, 4, 0x36 },        /* low 2 clocks */
		{ 5, 4, 2, 0x36 },
		{ 5, 5, 4, 0xb6 },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct pit p;
		struct line_rec rec;
		uint64_t t = T0 + ns_for(rows[i].clock);

		pit_init(&p, rec_line(&rec));
		program(&p, T0, 0x36, rows[i].count);
		outb(&p, t, 0x43, 0xc2);                /* read-back ch0: both */
		if (inb(&p, t, 0x40) != rows[i].status ||
		    read16(&p, t, 0x40) != rows[i].read)
			fail_msg("mode 3, count %u, clock %u: want count %u status %#x",
				 rows[i].count, rows[i].clock, rows[i].read, rows[i].status);
	}
}

static void test_pit_mode3_period(void **state)
{
	struct pit p;
	struct line_rec rec;
	uint64_t next;

	pit_init(&p, rec_line(&rec));
	program(&p, T0, 0x36, HZ100);
	next = pit_update(&p, T0);
	assert_int_equal(next, T0 + 10000151);          /* a whole period */
	for (int k = 1; k <= 10; k++)
		next = pit_update(&p, next);
	assert_int_equal(p.ticks, 10);
	assert_int_equal(rec.rises, 10);
	assert_int_equal(next, T0 + ns_for(11ull * HZ100));
}

/* ---- reprogramming, BCD, read-back, other channels ---- */

static void test_pit_new_count_mode2(void **state)
{
	struct pit p;
	struct line_rec rec;
	uint64_t next;

	pit_init(&p, rec_line(&rec));
	program(&p, T0, 0x34, HZ100);
	/* Half way through the first period, a count for 1000 Hz. */
	outb(&p, T0 + 5000000, 0x40, 1193 & 0xff);
	outb(&p, T0 + 5000000, 0x40, 1193 >> 8);
	/* The current period is not affected ... */
	assert_int_equal(read16(&p, T0 + 6000000, 0x40), HZ100 - 7159);
	assert_int_equal(pit_update(&p, T0 + 6000000), T0 + 10000151);
	outb(&p, T0 + 6000000, 0x43, 0xe2);
	assert_int_equal(inb(&p, T0 + 6000000, 0x40), 0xf4);    /* OUT, null count */
	read16(&p, T0 + 6000000, 0x40);
	/* ... the new count starts at its end. */
	next = pit_update(&p, T0 + 10000151);
	assert_int_equal(p.ticks, 1);
	assert_int_equal(next, T0 + 10000151 + ns_for(1193));
	assert_int_equal(read16(&p, T0 + 10000151 + ns_for(100), 0x40), 1093);
	next = pit_update(&p, next);
	assert_int_equal(p.ticks, 2);
	/* Late across the switch: the old period's end and the new ones are
	 * all counted. */
	program(&p, T0, 0x34, HZ100);
	pit_update(&p, T0);
	outb(&p, T0 + 1000, 0x40, 1193 & 0xff);
	outb(&p, T0 + 1000, 0x40, 1193 >> 8);
	pit_update(&p, T0 + 10000151 + ns_for(3 * 1193));
	assert_int_equal(p.ticks, 3);
	assert_int_equal(p.missed, 3);                  /* 1 old + 3 new ends */
}

static void test_pit_bcd(void **state)
{
	struct pit p;
	struct line_rec rec;

	pit_init(&p, rec_line(&rec));
	program(&p, T0, 0x35, 0x0100);                  /* mode 2, BCD 100 */
	assert_int_equal(p.ch[0].reload, 100);
	assert_int_equal(pit_update(&p, T0), T0 + ns_for(100));
	assert_int_equal(read16(&p, T0 + ns_for(11), 0x40), 0x0089);
	program(&p, T0, 0x35, 0x0000);                  /* 0 is 10000 in BCD */
	assert_int_equal(p.ch[0].reload, 10000);
	assert_int_equal(read16(&p, T0 + ns_for(1), 0x40), 0x9999);
	assert_int_equal(read16(&p, T0 + ns_for(1234), 0x40), 0x8766);
	program(&p, T0, 0x31, 0x0010);                  /* mode 0, BCD 10 */
	assert_int_equal(read16(&p, T0 + ns_for(11), 0x40), 0x9999); /* wrapped */
}

static void test_pit_readback(void **state)
{
	struct pit p;
	struct line_rec rec;

	pit_init(&p, rec_line(&rec));
	outb(&p, T0, 0x43, 0x30);                       /* mode 0, no count yet */
	outb(&p, T0, 0x43, 0xe2);                       /* status only */
	assert_int_equal(inb(&p, T0, 0x40), 0x70);      /* OUT low, null count */
	outb(&p, T0, 0x40, 0x10);
	outb(&p, T0, 0x40, 0x00);
	outb(&p, T0, 0x43, 0xc2);                       /* count and status */
	outb(&p, T0 + ns_for(20), 0x43, 0xc2);          /* both already latched */
	assert_int_equal(inb(&p, T0 + ns_for(5), 0x40), 0x30);  /* status first */
	assert_int_equal(read16(&p, T0 + ns_for(5), 0x40), 0x10);
	assert_int_equal(read16(&p, T0 + ns_for(5), 0x40), 0x0b); /* live */
	outb(&p, T0 + ns_for(16), 0x43, 0xd2);          /* count only */
	assert_int_equal(read16(&p, T0 + ns_for(20), 0x40), 0x0000);
	outb(&p, T0 + ns_for(17), 0x43, 0xe2);          /* status: OUT high */
	assert_int_equal(inb(&p, T0 + ns_for(17), 0x40), 0xb0);
	assert_int_equal(inb(&p, T0, 0x43), 0xff);      /* 0x43 is write-only */
}

static void test_pit_channels_1_2(void **state)
{
	struct pit p;
	struct line_rec rec;

	pit_init(&p, rec_line(&rec));
	/* Unprogrammed channels read without harm. */
	assert_int_equal(inb(&p, T0, 0x41), 0);
	assert_int_equal(inb(&p, T0, 0x42), 0);
	/* They count like channel 0 but drive nothing. */
	outb(&p, T0, 0x43, 0xb6);                       /* ch2, mode 3 */
	outb(&p, T0, 0x42, 0xa9);
	outb(&p, T0, 0x42, 0x04);                       /* 1193: 1 kHz */
	outb(&p, T0, 0x43, 0x74);                       /* ch1, mode 2 */
	outb(&p, T0, 0x41, 18);
	outb(&p, T0, 0x41, 0);
	assert_int_equal(read16(&p, T0 + ns_for(10), 0x42), 1172);
	assert_int_equal(read16(&p, T0 + ns_for(10), 0x41), 8);
	outb(&p, T0 + ns_for(3), 0x43, 0x40);           /* latch ch1 */
	assert_int_equal(read16(&p, T0 + ns_for(10), 0x41), 15);
	assert_int_equal(pit_update(&p, T0 + 1000000000), 0);
	assert_int_equal(rec.n, 0);
	assert_int_equal(p.ticks, 0);
	assert_false(p.ch[0].counting);
}

/* Channel 0 into the 8259A: each tick is one interrupt; a guest that does
 * not take them has exactly one pending, never a spurious one. */
static void test_pit_drives_pic(void **state)
{
	struct pic pic;
	struct pit p;
	uint32_t v;
	uint64_t next;

	pic_init(&pic);
	v = 0x11; pic_master_io(&pic, 0, 1, true, &v);
	v = 0x20; pic_master_io(&pic, 1, 1, true, &v);
	v = 0x04; pic_master_io(&pic, 1, 1, true, &v);
	v = 0x01; pic_master_io(&pic, 1, 1, true, &v);
	v = 0x00; pic_master_io(&pic, 1, 1, true, &v);
	pit_init(&p, pic_irq_line(&pic, 0));
	program(&p, T0, 0x34, HZ100);
	next = pit_update(&p, T0);
	assert_false(pic_intr(&pic));                   /* programming: no tick */
	for (int k = 0; k < 5; k++) {
		next = pit_update(&p, next);
		assert_true(pic_intr(&pic));
		assert_int_equal(pic_ack(&pic), 0x20);
		assert_false(pic_intr(&pic));
		v = 0x20; pic_master_io(&pic, 0, 1, true, &v);   /* EOI */
	}
	/* Three ticks while the guest has interrupts off: one request. */
	for (int k = 0; k < 3; k++)
		next = pit_update(&p, next);
	assert_true(pic_intr(&pic));
	assert_int_equal(pic_ack(&pic), 0x20);
	assert_false(pic_intr(&pic));
	assert_int_equal(pic.spurious, 0);
	assert_int_equal(pic.acked[0], 6);
	assert_int_equal(p.ticks, 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pit_mode2_100hz),
		cmocka_unit_test(test_pit_count_readback),
		cmocka_unit_test(test_pit_latch),
		cmocka_unit_test(test_pit_byte_order),
		cmocka_unit_test(test_pit_reload_zero),
		cmocka_unit_test(test_pit_coalesce),
		cmocka_unit_test(test_pit_mode0),
		cmocka_unit_test(test_pit_mode4_strobe),
		cmocka_unit_test(test_pit_mode3),
		cmocka_unit_test(test_pit_mode3_period),
		cmocka_unit_test(test_pit_new_count_mode2),
		cmocka_unit_test(test_pit_bcd),
		cmocka_unit_test(test_pit_readback),
		cmocka_unit_test(test_pit_channels_1_2),
		cmocka_unit_test(test_pit_drives_pic),
	};

	return cmocka_run_group_tests_name("pit", tests, NULL, NULL);
}
