/*
 * rtc.c: the wall-clock time at boot, from the MC146818-style CMOS RTC
 * (index port 0x70, data port 0x71).  It is read once; from then on the
 * wall clock is this time plus the PIT's monotonic clock (timer.c).
 *
 * The chip updates its registers once a second, taking up to ~2 ms, and a
 * read during the update can mix two seconds.  So: wait for status A's
 * update-in-progress bit to clear, read everything, and repeat until two
 * reads agree.  The values are BCD unless status B says binary, and the
 * hour is 12-hour with bit 7 = PM unless status B says 24-hour.  The year
 * has two digits; the century register is not at a standard index, so years
 * below 70 are 20xx (as Linux does).
 */
#include <trapvisor/boot.h>

#include "defs.h"

#define RTC_INDEX    PORT_RTC
#define RTC_DATA     (PORT_RTC + 1)
#define RTC_SEC      0x00
#define RTC_MIN      0x02
#define RTC_HOUR     0x04
#define RTC_DAY      0x07
#define RTC_MON      0x08
#define RTC_YEAR     0x09
#define RTC_STATUS_A 0x0a
#define RTC_STATUS_B 0x0b
#define RTC_A_UIP    0x80         /* update in progress */
#define RTC_B_24H    0x02         /* hours 0-23, not 1-12 + PM bit */
#define RTC_B_BINARY 0x04         /* binary, not BCD */
#define RTC_HOUR_PM  0x80

#define RTC_UIP_POLLS 10000       /* > 2 ms of polls on real hardware */
#define RTC_READS     5           /* attempts at two equal reads */

struct rtc_time {
	unsigned sec, min, hour, day, mon, year;   /* raw register values, then decoded */
};

static u8 cmos_read(u8 reg)
{
	outb(RTC_INDEX, reg);
	return inb(RTC_DATA);
}

/* Read the time registers as they are, after waiting out an update. */
static void rtc_read_raw(struct rtc_time *t)
{
	for (int i = 0; i < RTC_UIP_POLLS && (cmos_read(RTC_STATUS_A) & RTC_A_UIP); i++)
		;
	t->sec = cmos_read(RTC_SEC);
	t->min = cmos_read(RTC_MIN);
	t->hour = cmos_read(RTC_HOUR);
	t->day = cmos_read(RTC_DAY);
	t->mon = cmos_read(RTC_MON);
	t->year = cmos_read(RTC_YEAR);
}

static unsigned bcd(unsigned v)
{
	return (v >> 4) * 10 + (v & 15);
}

/* Days from 1970-01-01 to the date y-m-d (proleptic Gregorian, y >= 1970):
 * count years from March so that the leap day comes last (H. Hinnant's
 * days_from_civil). */
static u64 days_from_civil(unsigned y, unsigned m, unsigned d)
{
	y -= m <= 2;
	unsigned era = y / 400;
	unsigned yoe = y - era * 400;                              /* [0, 399] */
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;  /* [0, 365] */
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;      /* [0, 146096] */

	return (u64)era * 146097 + doe - 719468;
}

static void print2(unsigned v)
{
	kprintf("%u%u", v / 10 % 10, v % 10);
}

/* Read the RTC, print "rtc: YYYY-MM-DD hh:mm:ss UTC", and return the time
 * in seconds since 1970 (0 if there is no usable RTC). */
u64 rtc_init(void)
{
	struct rtc_time t, again;
	u8 a = cmos_read(RTC_STATUS_A), b;
	bool pm;

	/* A missing chip reads all-ones; a real one never has all of status A
	 * set (divider bits 111 mean "held in reset": not ticking). */
	if (a == 0xff) {
		kprintf("rtc: no CMOS clock (status A reads 0xff), the wall clock starts at 1970-01-01 00:00:00 UTC\n");
		return 0;
	}
	rtc_read_raw(&t);
	for (int i = 0; i < RTC_READS; i++) {
		rtc_read_raw(&again);
		if (memcmp(&t, &again, sizeof(t)) == 0)
			break;
		t = again;
	}

	b = cmos_read(RTC_STATUS_B);
	pm = !(b & RTC_B_24H) && (t.hour & RTC_HOUR_PM);
	t.hour &= ~RTC_HOUR_PM;
	if (!(b & RTC_B_BINARY)) {
		t.sec = bcd(t.sec);
		t.min = bcd(t.min);
		t.hour = bcd(t.hour);
		t.day = bcd(t.day);
		t.mon = bcd(t.mon);
		t.year = bcd(t.year);
	}
	if (!(b & RTC_B_24H))
		t.hour = t.hour % 12 + (pm ? 12 : 0);    /* 12 AM is 0, 12 PM is 12 */
	t.year += t.year < 70 ? 2000 : 1900;

	if (t.sec > 59 || t.min > 59 || t.hour > 23 || t.day < 1 || t.day > 31 ||
	    t.mon < 1 || t.mon > 12) {
		kprintf("rtc: invalid time %u-%u-%u %u:%u:%u (status B 0x%x), the wall clock starts at 1970-01-01 00:00:00 UTC\n",
			t.year, t.mon, t.day, t.hour, t.min, t.sec, b);
		return 0;
	}
	kprintf("rtc: %u-", t.year);
	print2(t.mon);
	kprintf("-");
	print2(t.day);
	kprintf(" ");
	print2(t.hour);
	kprintf(":");
	print2(t.min);
	kprintf(":");
	print2(t.sec);
	kprintf(" UTC\n");
	return days_from_civil(t.year, t.mon, t.day) * 86400 + t.hour * 3600 + t.min * 60 + t.sec;
}
