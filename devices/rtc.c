/*
 * The PC's real-time clock and CMOS RAM, a Motorola MC146818A behind an
 * index port (0x70: bits 0-6 pick a byte, bit 7 masks NMI) and a data port
 * (0x71).  Bytes 0x00-0x09 and the PC/AT's century byte 0x32 hold the date
 * and time, 0x0a-0x0d the status registers A-D, the rest is plain RAM
 * (zero at start; the monitor may fill in what a BIOS would).
 *
 * The clock does not tick by itself.  Guest time is the host's wall clock
 * (the wall_ns callback, ns since the epoch, UTC) plus offset_ns, and each
 * read of a time register converts it in the format register B asks for:
 * BCD or binary (DM), 24-hour or 12-hour with PM in bit 7 of the hours.
 * The guest sets its clock the way the datasheet says - set SET in B (the
 * registers freeze), write them, clear SET - and clearing SET turns the
 * registers into a new offset_ns, with the next second one second later, as
 * when the chip's divider chain restarts.  The host clock is never touched.
 * A write to a time register while SET is clear takes effect the same way,
 * keeping the phase of the seconds.  The day of the week is always
 * computed from the date (a value written there is not kept).
 *
 * UIP (A bit 7) is high for the last 244 us of each second, when a driver
 * must not read (datasheet: the update starts 244 us after UIP rises; here
 * the update itself takes no time).  The three interrupt flags of register
 * C are set as their events pass - UF at each second, AF when the alarm
 * (with the datasheet's 0xc0-0xff "don't care" values) matches, PF at the
 * rate of A's RS bits - whether or not they are enabled, and C's read
 * clears them.  IRQF and IRQ 8 are high while an enabled flag is set.  The
 * caller learns through rtc_update() when the next enabled event is due.
 * A's divider bits are kept as written but do not stop the clock.
 */
#include <string.h>

#include "devices.h"

#define NS_PER_SEC  1000000000
#define SECS_PER_DAY 86400
#define RTC_UIP_NS  244000      /* UIP's lead before the update, ns */
#define RTC_A_RS    0x0f        /* rate select: periodic interrupt */
#define RTC_A_INIT  0x26        /* 32.768 kHz time base, 1024 Hz periodic */
#define RTC_B_INIT  RTC_B_24H   /* the PC BIOS's choice: BCD, 24-hour */
#define RTC_DONT_CARE 0xc0      /* alarm values 0xc0-0xff match any */
#define RTC_HOUR_PM 0x80

/* Floor division and modulo, for times before the epoch. */
static int64_t div_floor(int64_t a, int64_t b)
{
	return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

static int64_t mod_floor(int64_t a, int64_t b)
{
	return a - div_floor(a, b) * b;
}

static bool leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
	static const uint8_t days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return days[m - 1] + (m == 2 && leap(y));
}

/* A broken-down guest time, UTC, as the time registers hold it. */
struct rtc_tm {
	int64_t year;               /* e.g. 2024 */
	int month;                  /* 1-12 */
	int day;                    /* 1-31 */
	int hour, min, sec;
	int wday;                   /* 1-7, Sunday = 1 */
};

#define DAYS_PER_400Y 146097    /* the Gregorian calendar repeats */

/* Seconds since the epoch -> calendar.  Whole 400-year cycles first, then
 * years and months one at a time (at most 400 + 12 steps). */
static void secs_to_tm(int64_t secs, struct rtc_tm *tm)
{
	int64_t days = div_floor(secs, SECS_PER_DAY);
	int64_t sod = mod_floor(secs, SECS_PER_DAY);
	int64_t y = 1970 + 400 * div_floor(days, DAYS_PER_400Y);
	int m = 1;

	tm->wday = (int)mod_floor(days + 4, 7) + 1;     /* 1970-01-01: Thursday */
	days = mod_floor(days, DAYS_PER_400Y);
	while (days >= 365 + leap(y)) {
		days -= 365 + leap(y);
		y++;
	}
	while (days >= days_in_month(y, m)) {
		days -= days_in_month(y, m);
		m++;
	}
	tm->year = y;
	tm->month = m;
	tm->day = (int)days + 1;
	tm->hour = (int)(sod / 3600);
	tm->min = (int)(sod / 60 % 60);
	tm->sec = (int)(sod % 60);
}

/* Calendar -> seconds since the epoch (fields already in range). */
static int64_t tm_to_secs(const struct rtc_tm *tm)
{
	int64_t cycles = div_floor(tm->year - 1970, 400);
	int64_t y = 1970 + 400 * cycles, days = cycles * DAYS_PER_400Y;

	for (; y < tm->year; y++)
		days += 365 + leap(y);
	for (int m = 1; m < tm->month; m++)
		days += days_in_month(tm->year, m);
	days += tm->day - 1;
	return days * SECS_PER_DAY + tm->hour * 3600 + tm->min * 60 + tm->sec;
}

static bool rtc_binary(const struct rtc *r)
{
	return r->cmos[RTC_REG_B] & RTC_B_DM;
}

/* A number 0-99 as the data mode stores it. */
static uint8_t rtc_enc(const struct rtc *r, int v)
{
	return rtc_binary(r) ? (uint8_t)v : (uint8_t)((v / 10) << 4 | v % 10);
}

static int rtc_dec(const struct rtc *r, uint8_t v)
{
	return rtc_binary(r) ? v : (v >> 4) * 10 + (v & 0x0f);
}

/* Hours: 0-23, or 1-12 with PM in bit 7 when B selects 12-hour mode. */
static uint8_t rtc_enc_hour(const struct rtc *r, int h)
{
	if (r->cmos[RTC_REG_B] & RTC_B_24H)
		return rtc_enc(r, h);
	return (uint8_t)(rtc_enc(r, h % 12 ? h % 12 : 12) | (h >= 12 ? RTC_HOUR_PM : 0));
}

static int rtc_dec_hour(const struct rtc *r, uint8_t v)
{
	if (r->cmos[RTC_REG_B] & RTC_B_24H)
		return rtc_dec(r, v);
	return rtc_dec(r, v & ~RTC_HOUR_PM) % 12 + ((v & RTC_HOUR_PM) ? 12 : 0);
}

static int64_t rtc_guest_ns(const struct rtc *r, int64_t wall)
{
	return wall + r->offset_ns;
}

/* Fill the time registers from guest time 'secs', in B's format. */
static void rtc_store_time(struct rtc *r, int64_t secs)
{
	struct rtc_tm tm;

	secs_to_tm(secs, &tm);
	r->cmos[RTC_SECONDS] = rtc_enc(r, tm.sec);
	r->cmos[RTC_MINUTES] = rtc_enc(r, tm.min);
	r->cmos[RTC_HOURS] = rtc_enc_hour(r, tm.hour);
	r->cmos[RTC_DAY_OF_WEEK] = rtc_enc(r, tm.wday);
	r->cmos[RTC_DAY_OF_MONTH] = rtc_enc(r, tm.day);
	r->cmos[RTC_MONTH] = rtc_enc(r, tm.month);
	r->cmos[RTC_YEAR] = rtc_enc(r, (int)mod_floor(tm.year, 100));
	r->cmos[RTC_CENTURY] = rtc_enc(r, (int)mod_floor(div_floor(tm.year, 100), 100));
}

static int clamp(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* The time registers as guest seconds.  Values the chip could not count
 * from (minute 75, month 0, ...) are clamped into range. */
static int64_t rtc_load_time(const struct rtc *r)
{
	struct rtc_tm tm;

	tm.year = clamp(rtc_dec(r, r->cmos[RTC_CENTURY]), 0, 99) * 100 +
		  clamp(rtc_dec(r, r->cmos[RTC_YEAR]), 0, 99);
	tm.month = clamp(rtc_dec(r, r->cmos[RTC_MONTH]), 1, 12);
	tm.day = clamp(rtc_dec(r, r->cmos[RTC_DAY_OF_MONTH]), 1,
		       days_in_month(tm.year, tm.month));
	tm.hour = clamp(rtc_dec_hour(r, r->cmos[RTC_HOURS]), 0, 23);
	tm.min = clamp(rtc_dec(r, r->cmos[RTC_MINUTES]), 0, 59);
	tm.sec = clamp(rtc_dec(r, r->cmos[RTC_SECONDS]), 0, 59);
	return tm_to_secs(&tm);
}

static bool is_time_reg(uint8_t idx)
{
	return idx <= RTC_YEAR || idx == RTC_CENTURY;
}

/* The periodic interrupt's period in ticks of the 32.768 kHz time base
 * (datasheet table 3: RS 1 and 2 repeat RS 8 and 9), 0 if off. */
static int64_t rtc_pf_ticks(const struct rtc *r)
{
	int rs = r->cmos[RTC_REG_A] & RTC_A_RS;

	if (rs == 0)
		return 0;
	if (rs < 3)
		rs += 7;
	return (int64_t)1 << (rs - 1);
}

/* Index of the periodic interrupt period that holds guest time g. */
static int64_t rtc_pf_index(int64_t g, int64_t ticks)
{
	__int128 n = (__int128)g * 32768;
	__int128 d = (__int128)ticks * NS_PER_SEC;

	return (int64_t)(n / d - ((n % d != 0) && (n < 0)));
}

/* Start the event bookkeeping afresh at guest time g (after the clock was
 * set or the rate changed): what passed before does not raise flags. */
static void rtc_resync(struct rtc *r, int64_t g)
{
	int64_t ticks = rtc_pf_ticks(r);

	r->last_sec = div_floor(g, NS_PER_SEC);
	r->last_period = ticks ? rtc_pf_index(g, ticks) : 0;
}

/* Does an alarm register value match v?  0xc0-0xff match anything. */
static bool alarm_field(const struct rtc *r, uint8_t a, int v, bool hour)
{
	if (a >= RTC_DONT_CARE)
		return true;
	return (hour ? rtc_dec_hour(r, a) : rtc_dec(r, a)) == v;
}

/* Did the alarm match in any second of (from, to]? */
static bool rtc_alarm_between(const struct rtc *r, int64_t from, int64_t to)
{
	/* Beyond a day every well-formed alarm has matched; the loop is then
	 * cut to one day of seconds. */
	if (to - from > SECS_PER_DAY)
		from = to - SECS_PER_DAY;
	for (int64_t s = from + 1; s <= to; s++) {
		int64_t sod = mod_floor(s, SECS_PER_DAY);

		if (alarm_field(r, r->cmos[RTC_HOURS_ALARM], (int)(sod / 3600), true) &&
		    alarm_field(r, r->cmos[RTC_MINUTES_ALARM], (int)(sod / 60 % 60), false) &&
		    alarm_field(r, r->cmos[RTC_SECONDS_ALARM], (int)(sod % 60), false))
			return true;
	}
	return false;
}

/*
 * Bring register C up to guest time g: UF and AF for the seconds that
 * passed (not while SET halts updates), PF for the periods; IRQF follows
 * from the flags and B's enables.
 */
static void rtc_advance(struct rtc *r, int64_t g)
{
	uint8_t *c = &r->cmos[RTC_REG_C], b = r->cmos[RTC_REG_B];
	int64_t sec = div_floor(g, NS_PER_SEC), ticks = rtc_pf_ticks(r);

	if (sec > r->last_sec && !(b & RTC_B_SET)) {
		*c |= RTC_C_UF;
		if (rtc_alarm_between(r, r->last_sec, sec))
			*c |= RTC_C_AF;
	}
	r->last_sec = sec;
	if (ticks) {
		int64_t idx = rtc_pf_index(g, ticks);

		if (idx > r->last_period)
			*c |= RTC_C_PF;
		r->last_period = idx;
	}
	if ((*c & b & (RTC_C_PF | RTC_C_AF | RTC_C_UF)))  /* same bit positions */
		*c |= RTC_C_IRQF;
	else
		*c &= (uint8_t)~RTC_C_IRQF;
}

/* Drive IRQ 8 from IRQF, telling the PIC only about changes. */
static void rtc_update_irq(struct rtc *r)
{
	bool level = r->cmos[RTC_REG_C] & RTC_C_IRQF;

	if (level != r->irq_level) {
		r->irq_level = level;
		irq_line_set(&r->irq, level);
	}
}

void rtc_init(struct rtc *r, struct irq_line irq8, int64_t (*wall_ns)(void *opaque),
	      void *opaque)
{
	memset(r, 0, sizeof(*r));
	r->irq = irq8;
	r->wall_ns = wall_ns;
	r->opaque = opaque;
	r->cmos[RTC_REG_A] = RTC_A_INIT;
	r->cmos[RTC_REG_B] = RTC_B_INIT;
	r->cmos[RTC_REG_D] = RTC_D_VRT;
	rtc_resync(r, rtc_guest_ns(r, wall_ns(opaque)));
}

int64_t rtc_update(struct rtc *r)
{
	int64_t wall = r->wall_ns(r->opaque), g = rtc_guest_ns(r, wall);
	int64_t next = 0, ticks = rtc_pf_ticks(r);
	uint8_t b = r->cmos[RTC_REG_B];

	rtc_advance(r, g);
	rtc_update_irq(r);
	/* With IRQ 8 high nothing can change until C is read. */
	if (r->irq_level)
		return 0;
	if ((b & (RTC_B_UIE | RTC_B_AIE)) && !(b & RTC_B_SET))
		next = (div_floor(g, NS_PER_SEC) + 1) * NS_PER_SEC;
	if ((b & RTC_B_PIE) && ticks) {
		/* The start of the next period, rounded up to a whole ns. */
		__int128 n = (__int128)(rtc_pf_index(g, ticks) + 1) * ticks * NS_PER_SEC;
		int64_t t = (int64_t)(n / 32768 + (n % 32768 > 0));

		if (!next || t < next)
			next = t;
	}
	return next ? next - r->offset_ns : 0;
}

/* Freeze guest time into the registers (SET rising), or turn them back into
 * an offset (SET falling): time restarts at the start of that second. */
static void rtc_write_b(struct rtc *r, uint8_t v, int64_t wall)
{
	uint8_t old = r->cmos[RTC_REG_B];

	/* SET = 1 clears UIE (datasheet, register B bit 4). */
	if (v & RTC_B_SET)
		v &= (uint8_t)~RTC_B_UIE;
	if ((v & RTC_B_SET) && !(old & RTC_B_SET))
		rtc_store_time(r, div_floor(rtc_guest_ns(r, wall), NS_PER_SEC));
	r->cmos[RTC_REG_B] = v;
	if (!(v & RTC_B_SET) && (old & RTC_B_SET)) {
		r->offset_ns = rtc_load_time(r) * NS_PER_SEC - wall;
		rtc_resync(r, rtc_guest_ns(r, wall));
	}
}

/* A time register written while the clock runs: as if SET had framed the
 * write, but the seconds keep their phase. */
static void rtc_write_time_running(struct rtc *r, uint8_t idx, uint8_t v, int64_t wall)
{
	int64_t g = rtc_guest_ns(r, wall);
	int64_t frac = mod_floor(g, NS_PER_SEC);

	rtc_store_time(r, div_floor(g, NS_PER_SEC));
	r->cmos[idx] = v;
	r->offset_ns = rtc_load_time(r) * NS_PER_SEC + frac - wall;
	rtc_resync(r, rtc_guest_ns(r, wall));
}

static uint8_t rtc_read(struct rtc *r, int64_t wall)
{
	uint8_t idx = r->index, v;
	int64_t g = rtc_guest_ns(r, wall);
	bool set = r->cmos[RTC_REG_B] & RTC_B_SET;

	if (is_time_reg(idx)) {
		if (!set)
			rtc_store_time(r, div_floor(g, NS_PER_SEC));
		return r->cmos[idx];
	}
	switch (idx) {
	case RTC_REG_A:
		/* UIP is 0 while SET holds the updates off. */
		v = r->cmos[RTC_REG_A] & (uint8_t)~RTC_A_UIP;
		if (!set && mod_floor(g, NS_PER_SEC) >= NS_PER_SEC - RTC_UIP_NS)
			v |= RTC_A_UIP;
		return v;
	case RTC_REG_C:
		/* Reading C returns the flags and clears them all. */
		v = r->cmos[RTC_REG_C];
		r->cmos[RTC_REG_C] = 0;
		return v;
	case RTC_REG_D:
		return RTC_D_VRT;
	default:
		return r->cmos[idx];
	}
}

static void rtc_write(struct rtc *r, uint8_t v, int64_t wall)
{
	uint8_t idx = r->index;

	if (is_time_reg(idx)) {
		if (r->cmos[RTC_REG_B] & RTC_B_SET)
			r->cmos[idx] = v;
		else
			rtc_write_time_running(r, idx, v, wall);
		return;
	}
	switch (idx) {
	case RTC_REG_A:
		/* UIP is read-only.  A new rate starts its periods afresh. */
		r->cmos[RTC_REG_A] = v & (uint8_t)~RTC_A_UIP;
		rtc_resync(r, rtc_guest_ns(r, wall));
		break;
	case RTC_REG_B:
		rtc_write_b(r, v, wall);
		break;
	case RTC_REG_C:
	case RTC_REG_D:
		break;                  /* read-only */
	default:
		r->cmos[idx] = v;       /* alarms and plain RAM */
		break;
	}
}

/*
 * The bus handler.  Port 0x70 is write-only on the PC/AT (a read floats,
 * 0xff); bit 7 of the index masks NMI, which is kept but has no effect.
 * Every data access first brings the flags up to date.
 */
void rtc_io(void *dev, uint16_t offset, unsigned size, bool is_write, uint32_t *val)
{
	struct rtc *r = dev;
	int64_t wall;

	if ((offset & 1) == 0) {
		if (is_write) {
			r->index = *val & 0x7f;
			r->nmi_disabled = *val & 0x80;
		} else {
			*val = 0xff;
		}
		return;
	}
	wall = r->wall_ns(r->opaque);
	rtc_advance(r, rtc_guest_ns(r, wall));
	if (is_write)
		rtc_write(r, (uint8_t)*val, wall);
	else
		*val = rtc_read(r, wall);
	rtc_advance(r, rtc_guest_ns(r, wall));
	rtc_update_irq(r);
}

void rtc_save(const struct rtc *r, struct rtc *img)
{
	*img = *r;
	img->irq = (struct irq_line){ 0 };
	img->wall_ns = NULL;
	img->opaque = NULL;
}

void rtc_load(struct rtc *r, const struct rtc *img)
{
	struct irq_line irq = r->irq;
	int64_t (*wall_ns)(void *) = r->wall_ns;
	void *opaque = r->opaque;

	*r = *img;
	r->irq = irq;
	r->wall_ns = wall_ns;
	r->opaque = opaque;
}
