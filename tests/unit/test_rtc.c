/*
 * Unit tests for devices/rtc.c, the MC146818 CMOS clock, with the host's
 * wall clock driven by hand: the date in BCD and in binary, 12- and 24-hour
 * hours, the day of the week, UIP's 244 us window, setting the clock with
 * SET (an offset; the host clock untouched), register C's flags cleared by
 * reading, the update, alarm and periodic interrupts on IRQ 8 and their
 * deadlines, and the plain CMOS RAM behind the index port.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "devices.h"

#define NS 1000000000ll
#define LEAP_DAY 1709214330ll      /* 2024-02-29 13:45:30 UTC, a Thursday */

struct clock {
	int64_t wall;                  /* what the host's CLOCK_REALTIME says */
	int irq_calls;                 /* IRQ 8 level changes */
	int irq_level;
};

static int64_t clock_ns(void *opaque)
{
	return ((struct clock *)opaque)->wall;
}

static void irq8_set(void *opaque, int irq, int level)
{
	struct clock *c = opaque;

	assert_int_equal(irq, 8);
	c->irq_calls++;
	c->irq_level = level;
}

static void setup(struct rtc *r, struct clock *c, int64_t wall)
{
	memset(c, 0, sizeof(*c));
	c->wall = wall;
	rtc_init(r, (struct irq_line){ .set = irq8_set, .opaque = c, .irq = 8 }, clock_ns, c);
}

static uint8_t cmos_read(struct rtc *r, uint8_t idx)
{
	uint32_t v = idx;

	rtc_io(r, 0, 1, true, &v);
	v = 0xdeadbeef;
	rtc_io(r, 1, 1, false, &v);
	assert_true(v <= 0xff);
	return (uint8_t)v;
}

static void cmos_write(struct rtc *r, uint8_t idx, uint8_t val)
{
	uint32_t v = idx;

	rtc_io(r, 0, 1, true, &v);
	v = val;
	rtc_io(r, 1, 1, true, &v);
}

/* The date registers in the order 0x00 .. 0x09 (alarms skipped), then
 * the century. */
static void assert_date(struct rtc *r, const uint8_t want[8])
{
	static const uint8_t regs[8] = {
		RTC_SECONDS, RTC_MINUTES, RTC_HOURS, RTC_DAY_OF_WEEK,
		RTC_DAY_OF_MONTH, RTC_MONTH, RTC_YEAR, RTC_CENTURY,
	};

	for (int i = 0; i < 8; i++) {
		uint8_t got = cmos_read(r, regs[i]);

		if (got != want[i])
			fail_msg("register %#x: %#x, want %#x", regs[i], got, want[i]);
	}
}

static void test_rtc_bcd_and_binary(void **state)
{
	struct rtc r;
	struct clock c;
	static const uint8_t bcd[8] = { 0x30, 0x45, 0x13, 0x05, 0x29, 0x02, 0x24, 0x20 };
	static const uint8_t bin[8] = { 30, 45, 13, 5, 29, 2, 24, 20 };

	setup(&r, &c, LEAP_DAY * NS + NS / 2);
	assert_int_equal(cmos_read(&r, RTC_REG_B), 0x02);   /* BCD, 24-hour */
	assert_date(&r, bcd);
	cmos_write(&r, RTC_REG_B, RTC_B_24H | RTC_B_DM);
	assert_date(&r, bin);
	/* Time runs: 29.5 s later it is 13:46:00. */
	c.wall += 29 * NS + NS / 2;
	assert_int_equal(cmos_read(&r, RTC_SECONDS), 0);
	assert_int_equal(cmos_read(&r, RTC_MINUTES), 46);
	cmos_write(&r, RTC_REG_B, RTC_B_24H);
	assert_int_equal(cmos_read(&r, RTC_MINUTES), 0x46);
}

static void test_rtc_12_hour(void **state)
{
	static const struct {
		int hour;                  /* 0-23 */
		uint8_t bcd, bin;          /* the register in 12-hour mode */
	} rows[] = {
		{ 0, 0x12, 12 },           /* midnight is 12 AM */
		{ 1, 0x01, 1 },
		{ 9, 0x09, 9 },
		{ 11, 0x11, 11 },
		{ 12, 0x92, 0x8c },        /* noon is 12 PM */
		{ 13, 0x81, 0x81 },
		{ 19, 0x87, 0x87 },
		{ 22, 0x90, 0x8a },
		{ 23, 0x91, 0x8b },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct rtc r;
		struct clock c;
		int64_t midnight = (LEAP_DAY / 86400) * 86400;

		setup(&r, &c, (midnight + rows[i].hour * 3600 + 125) * NS);
		cmos_write(&r, RTC_REG_B, 0);                   /* BCD, 12-hour */
		assert_int_equal(cmos_read(&r, RTC_HOURS), rows[i].bcd);
		assert_int_equal(cmos_read(&r, RTC_MINUTES), 0x02);
		cmos_write(&r, RTC_REG_B, RTC_B_DM);            /* binary, 12-hour */
		assert_int_equal(cmos_read(&r, RTC_HOURS), rows[i].bin);
		cmos_write(&r, RTC_REG_B, RTC_B_DM | RTC_B_24H);
		assert_int_equal(cmos_read(&r, RTC_HOURS), rows[i].hour);
	}
}

static void test_rtc_day_of_week(void **state)
{
	static const struct {
		int64_t secs;
		uint8_t dow, day, month, year, century;  /* BCD registers */
	} rows[] = {
		{ 0, 5, 0x01, 0x01, 0x70, 0x19 },                /* 1970-01-01 Thu */
		{ -1, 4, 0x31, 0x12, 0x69, 0x19 },               /* 1969-12-31 Wed */
		{ 946684800, 7, 0x01, 0x01, 0x00, 0x20 },        /* 2000-01-01 Sat */
		{ LEAP_DAY, 5, 0x29, 0x02, 0x24, 0x20 },         /* 2024-02-29 Thu */
		{ 1710028800, 1, 0x10, 0x03, 0x24, 0x20 },       /* 2024-03-10 Sun */
		{ 4107542400ll, 2, 0x01, 0x03, 0x00, 0x21 },     /* 2100-03-01 Mon */
		{ -2208988800ll, 2, 0x01, 0x01, 0x00, 0x19 },    /* 1900-01-01 Mon */
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct rtc r;
		struct clock c;
		uint8_t dow, day, month, year, century;

		setup(&r, &c, rows[i].secs * NS);
		dow = cmos_read(&r, RTC_DAY_OF_WEEK);
		day = cmos_read(&r, RTC_DAY_OF_MONTH);
		month = cmos_read(&r, RTC_MONTH);
		year = cmos_read(&r, RTC_YEAR);
		century = cmos_read(&r, RTC_CENTURY);
		if (dow != rows[i].dow || day != rows[i].day || month != rows[i].month ||
		    year != rows[i].year || century != rows[i].century)
			fail_msg("%lld s: dow %d %02x-%02x %02x%02x", (long long)rows[i].secs,
				 dow, day, month, century, year);
	}
}

static void test_rtc_uip(void **state)
{
	struct rtc r;
	struct clock c;

	setup(&r, &c, LEAP_DAY * NS);
	assert_int_equal(cmos_read(&r, RTC_REG_A), 0x26);       /* at the second */
	c.wall = LEAP_DAY * NS + NS - 244001;
	assert_int_equal(cmos_read(&r, RTC_REG_A), 0x26);       /* 244.001 us before */
	c.wall = LEAP_DAY * NS + NS - 244000;
	assert_int_equal(cmos_read(&r, RTC_REG_A), 0xa6);       /* UIP */
	assert_int_equal(cmos_read(&r, RTC_SECONDS), 0x30);     /* still :30 */
	c.wall = LEAP_DAY * NS + NS - 1;
	assert_int_equal(cmos_read(&r, RTC_REG_A), 0xa6);
	c.wall = LEAP_DAY * NS + NS;
	assert_int_equal(cmos_read(&r, RTC_REG_A), 0x26);
	assert_int_equal(cmos_read(&r, RTC_SECONDS), 0x31);
	/* UIP is read-only; SET holds it at 0. */
	cmos_write(&r, RTC_REG_A, 0xa0);
	assert_int_equal(cmos_read(&r, RTC_REG_A), 0x20);
	c.wall = LEAP_DAY * NS + 2 * NS - 1000;
	assert_int_equal(cmos_read(&r, RTC_REG_A), 0xa0);
	cmos_write(&r, RTC_REG_B, RTC_B_SET | RTC_B_24H);
	assert_int_equal(cmos_read(&r, RTC_REG_A), 0x20);
}

/* Setting the clock the datasheet's way moves guest time only. */
static void test_rtc_set(void **state)
{
	struct rtc r;
	struct clock c;
	static const uint8_t y2k[8] = { 0x00, 0x00, 0x00, 0x07, 0x01, 0x01, 0x00, 0x20 };
	int64_t w;

	setup(&r, &c, LEAP_DAY * NS + NS / 4);
	cmos_write(&r, RTC_REG_B, RTC_B_SET | RTC_B_24H);
	/* Halted: the registers hold the moment SET was written. */
	c.wall += 10 * NS;
	assert_int_equal(cmos_read(&r, RTC_SECONDS), 0x30);
	/* 1999-12-31 23:59:58 (a Friday, but the day of week is computed). */
	cmos_write(&r, RTC_SECONDS, 0x58);
	cmos_write(&r, RTC_MINUTES, 0x59);
	cmos_write(&r, RTC_HOURS, 0x23);
	cmos_write(&r, RTC_DAY_OF_WEEK, 0x02);
	cmos_write(&r, RTC_DAY_OF_MONTH, 0x31);
	cmos_write(&r, RTC_MONTH, 0x12);
	cmos_write(&r, RTC_YEAR, 0x99);
	cmos_write(&r, RTC_CENTURY, 0x19);
	assert_int_equal(cmos_read(&r, RTC_YEAR), 0x99);         /* as written */
	w = c.wall;
	cmos_write(&r, RTC_REG_B, RTC_B_24H);                     /* run */
	assert_int_equal(c.wall, w);                              /* host untouched */
	assert_int_equal(r.offset_ns, 946684798ll * NS - w);
	assert_int_equal(cmos_read(&r, RTC_SECONDS), 0x58);
	assert_int_equal(cmos_read(&r, RTC_DAY_OF_WEEK), 0x06);  /* Friday */
	/* The next second comes one second after SET was cleared. */
	c.wall = w + NS - 1;
	assert_int_equal(cmos_read(&r, RTC_SECONDS), 0x58);
	c.wall = w + NS;
	assert_int_equal(cmos_read(&r, RTC_SECONDS), 0x59);
	c.wall = w + 2 * NS;
	assert_date(&r, y2k);

	/* Set in binary 12-hour mode: 7:05:09 PM, 2031-07-04. */
	cmos_write(&r, RTC_REG_B, RTC_B_SET | RTC_B_DM);
	cmos_write(&r, RTC_HOURS, 0x87);
	cmos_write(&r, RTC_MINUTES, 5);
	cmos_write(&r, RTC_SECONDS, 9);
	cmos_write(&r, RTC_DAY_OF_MONTH, 4);
	cmos_write(&r, RTC_MONTH, 7);
	cmos_write(&r, RTC_YEAR, 31);
	cmos_write(&r, RTC_CENTURY, 20);
	cmos_write(&r, RTC_REG_B, RTC_B_DM);                     /* run */
	assert_int_equal(cmos_read(&r, RTC_HOURS), 0x87);
	cmos_write(&r, RTC_REG_B, RTC_B_DM | RTC_B_24H);
	assert_int_equal(cmos_read(&r, RTC_HOURS), 19);
	assert_int_equal(cmos_read(&r, RTC_DAY_OF_WEEK), 6);     /* a Friday */
	assert_int_equal(r.offset_ns, 1940958309ll * NS - c.wall);

	/* A time register written while running keeps the second's phase. */
	c.wall += NS / 2;
	cmos_write(&r, RTC_MINUTES, 30);
	assert_int_equal(cmos_read(&r, RTC_MINUTES), 30);
	assert_int_equal(cmos_read(&r, RTC_SECONDS), 9);
	c.wall += NS / 2;
	assert_int_equal(cmos_read(&r, RTC_SECONDS), 10);
}

static void test_rtc_status_c(void **state)
{
	struct rtc r;
	struct clock c;

	setup(&r, &c, LEAP_DAY * NS + NS / 2);
	/* A's default rate (RS = 6) would set PF 1024 times a second; turn
	 * the periodic flag off to watch the other two. */
	cmos_write(&r, RTC_REG_A, 0x20);
	assert_int_equal(cmos_read(&r, RTC_REG_C), 0x00);
	c.wall += NS / 2;                                         /* :31 begins */
	/* The flag is set with no enable, and reading clears it. */
	assert_int_equal(cmos_read(&r, RTC_REG_C), RTC_C_UF);
	assert_int_equal(cmos_read(&r, RTC_REG_C), 0x00);
	c.wall += NS / 2;
	assert_int_equal(cmos_read(&r, RTC_REG_C), 0x00);
	assert_int_equal(c.irq_calls, 0);
	/* C and D are read-only; D says the battery is good. */
	cmos_write(&r, RTC_REG_C, 0xff);
	assert_int_equal(cmos_read(&r, RTC_REG_C), 0x00);
	cmos_write(&r, RTC_REG_D, 0x00);
	assert_int_equal(cmos_read(&r, RTC_REG_D), 0x80);

	/* Alarm at 13:45:35; 0xff is "don't care" for the hour. */
	cmos_write(&r, RTC_SECONDS_ALARM, 0x35);
	cmos_write(&r, RTC_MINUTES_ALARM, 0x45);
	cmos_write(&r, RTC_HOURS_ALARM, 0xff);
	c.wall = (LEAP_DAY + 4) * NS;                             /* :34 */
	assert_int_equal(cmos_read(&r, RTC_REG_C), RTC_C_UF);
	c.wall = (LEAP_DAY + 5) * NS;                             /* :35 */
	assert_int_equal(cmos_read(&r, RTC_REG_C), RTC_C_UF | RTC_C_AF);
	c.wall = (LEAP_DAY + 3605) * NS;                          /* 14:45:35 */
	assert_int_equal(cmos_read(&r, RTC_REG_C), RTC_C_UF | RTC_C_AF);
	c.wall = (LEAP_DAY + 3606) * NS;
	assert_int_equal(cmos_read(&r, RTC_REG_C), RTC_C_UF);
	/* Passed while nobody looked: still flagged. */
	c.wall = (LEAP_DAY + 7300) * NS;                          /* 15:47:10 */
	assert_int_equal(cmos_read(&r, RTC_REG_C), RTC_C_UF | RTC_C_AF);
	/* Days unobserved: the alarm matched, whatever the span. */
	c.wall = (LEAP_DAY + 3 * 86400 + 10) * NS;
	assert_int_equal(cmos_read(&r, RTC_REG_C), RTC_C_UF | RTC_C_AF);
	/* While SET halts the clock there is no update and no alarm. */
	cmos_write(&r, RTC_REG_B, RTC_B_SET | RTC_B_24H);
	c.wall += 5 * NS;
	assert_int_equal(cmos_read(&r, RTC_REG_C), 0x00);
}

static void test_rtc_interrupts(void **state)
{
	struct rtc r;
	struct clock c;
	int64_t base = LEAP_DAY * NS + NS / 4;

	setup(&r, &c, base);
	cmos_write(&r, RTC_REG_A, 0x20);                         /* no periodic */
	assert_int_equal(rtc_update(&r), 0);                     /* nothing enabled */
	/* Update-ended interrupt: due at the next second. */
	cmos_write(&r, RTC_REG_B, RTC_B_24H | RTC_B_UIE);
	assert_int_equal(rtc_update(&r), (LEAP_DAY + 1) * NS);
	c.wall = (LEAP_DAY + 1) * NS;
	assert_int_equal(rtc_update(&r), 0);                     /* high: wait for C */
	assert_int_equal(c.irq_level, 1);
	assert_int_equal(c.irq_calls, 1);
	c.wall += NS;
	assert_int_equal(rtc_update(&r), 0);
	assert_int_equal(c.irq_calls, 1);                        /* no new edge */
	assert_int_equal(cmos_read(&r, RTC_REG_C), RTC_C_IRQF | RTC_C_UF);
	assert_int_equal(c.irq_level, 0);                        /* the read lowers it */
	assert_int_equal(rtc_update(&r), (LEAP_DAY + 3) * NS);
	/* SET clears UIE (datasheet, register B). */
	cmos_write(&r, RTC_REG_B, RTC_B_SET | RTC_B_24H | RTC_B_UIE);
	assert_int_equal(cmos_read(&r, RTC_REG_B), RTC_B_SET | RTC_B_24H);
	cmos_write(&r, RTC_REG_B, RTC_B_24H);
	assert_int_equal(rtc_update(&r), 0);

	/* Periodic, 2 Hz (RS = 15), aligned to guest seconds. */
	c.wall = base;
	cmos_write(&r, RTC_REG_A, 0x2f);
	cmos_write(&r, RTC_REG_B, RTC_B_24H | RTC_B_PIE);
	cmos_read(&r, RTC_REG_C);
	assert_int_equal(r.offset_ns, 0);
	assert_int_equal(rtc_update(&r), base + NS / 4);         /* LEAP_DAY + 0.5 s */
	c.wall = base + NS / 4;
	rtc_update(&r);
	assert_int_equal(c.irq_level, 1);
	assert_int_equal(cmos_read(&r, RTC_REG_C), RTC_C_IRQF | RTC_C_PF);
	assert_int_equal(rtc_update(&r), base + 3 * NS / 4);
	/* 1024 Hz (RS = 6): the deadline rounds up to whole ns. */
	cmos_write(&r, RTC_REG_A, 0x26);
	assert_int_equal(rtc_update(&r), base + NS / 4 + 976563);
	/* RS 1 and 2 repeat RS 8 and 9: 256 Hz and 128 Hz (table 3). */
	cmos_write(&r, RTC_REG_A, 0x21);
	assert_int_equal(rtc_update(&r), base + NS / 4 + 3906250);
	cmos_write(&r, RTC_REG_A, 0x22);
	assert_int_equal(rtc_update(&r), base + NS / 4 + 7812500);
	cmos_write(&r, RTC_REG_A, 0x20);                         /* RS 0: off */
	assert_int_equal(rtc_update(&r), 0);
	cmos_write(&r, RTC_REG_A, 0x26);
	/* A flag set before its enable raises IRQ 8 when enabled. */
	cmos_write(&r, RTC_REG_B, RTC_B_24H);
	c.wall += 2 * NS;
	cmos_write(&r, RTC_SECONDS_ALARM, 0xc0);                 /* every second */
	cmos_write(&r, RTC_MINUTES_ALARM, 0xc0);
	cmos_write(&r, RTC_HOURS_ALARM, 0xc0);
	c.wall += NS;
	rtc_update(&r);
	assert_int_equal(c.irq_level, 0);
	cmos_write(&r, RTC_REG_B, RTC_B_24H | RTC_B_AIE);
	assert_int_equal(c.irq_level, 1);
	assert_int_equal(cmos_read(&r, RTC_REG_C) & 0xb0, RTC_C_IRQF | RTC_C_AF | RTC_C_UF);
	assert_int_equal(c.irq_level, 0);
}

static void test_rtc_cmos_ram(void **state)
{
	struct rtc r;
	struct clock c;
	uint32_t v;

	setup(&r, &c, LEAP_DAY * NS);
	for (int i = 0x0e; i < 0x80; i++)
		if (i != RTC_CENTURY)
			assert_int_equal(cmos_read(&r, (uint8_t)i), 0);
	for (int i = 0x0e; i < 0x80; i++)
		if (i != RTC_CENTURY)
			cmos_write(&r, (uint8_t)i, (uint8_t)(i ^ 0xa5));
	for (int i = 0x0e; i < 0x80; i++)
		if (i != RTC_CENTURY)
			assert_int_equal(cmos_read(&r, (uint8_t)i), i ^ 0xa5);
	/* Bit 7 of the index is the NMI mask: kept, not part of the index. */
	v = 0x80 | 0x10;
	rtc_io(&r, 0, 1, true, &v);
	assert_true(r.nmi_disabled);
	assert_int_equal(r.index, 0x10);
	v = 0;
	rtc_io(&r, 1, 1, false, &v);
	assert_int_equal(v, 0x10 ^ 0xa5);
	v = 0x0f;
	rtc_io(&r, 0, 1, true, &v);
	assert_false(r.nmi_disabled);
	/* The index port is write-only. */
	v = 0;
	rtc_io(&r, 0, 1, false, &v);
	assert_int_equal(v, 0xff);
	/* Alarm registers are plain bytes too. */
	cmos_write(&r, RTC_HOURS_ALARM, 0x17);
	assert_int_equal(cmos_read(&r, RTC_HOURS_ALARM), 0x17);
}

static void test_rtc_on_bus(void **state)
{
	static struct pio_bus bus;
	struct rtc r;
	struct clock c;
	uint32_t v;

	setup(&r, &c, LEAP_DAY * NS);
	bus_init(&bus);
	assert_int_equal(bus_register(&bus, 0x70, 2, "rtc", rtc_io, &r), 0);
	v = RTC_MINUTES;
	bus_io(&bus, 0x70, 1, true, &v);
	bus_io(&bus, 0x71, 1, false, &v);
	assert_int_equal(v, 0x45);
	v = 0x80 | RTC_HOURS;                           /* Linux sets NMI off */
	bus_io(&bus, 0x70, 1, true, &v);
	bus_io(&bus, 0x71, 1, false, &v);
	assert_int_equal(v, 0x13);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rtc_bcd_and_binary),
		cmocka_unit_test(test_rtc_12_hour),
		cmocka_unit_test(test_rtc_day_of_week),
		cmocka_unit_test(test_rtc_uip),
		cmocka_unit_test(test_rtc_set),
		cmocka_unit_test(test_rtc_status_c),
		cmocka_unit_test(test_rtc_interrupts),
		cmocka_unit_test(test_rtc_cmos_ram),
		cmocka_unit_test(test_rtc_on_bus),
	};

	return cmocka_run_group_tests_name("rtc", tests, NULL, NULL);
}
