/*
 * The Intel 8254 programmable interval timer of the PC, after the 8254
 * datasheet (Intel 231164): three 16-bit down counters clocked at
 * 1193182 Hz behind ports 0x40-0x42, and the control word register at 0x43.
 * Channel 0 drives IRQ 0.  Channels 1 and 2 are programmed, count and read
 * back with the same code, but their outputs go nowhere (on the PC channel
 * 1 refreshed DRAM and channel 2 fed the speaker through port 0x61, which
 * is not emulated; their GATE inputs are taken as high).
 *
 * Nothing ticks in the background.  A counter remembers the host time at
 * which its count was loaded, and its current value, its OUT pin and the
 * number of periods elapsed are computed from that time on demand, so
 * reading the count is exact and periodic interrupts never drift.  Time
 * comes from the caller: p->now_ns (CLOCK_MONOTONIC) must be set before
 * each port access, and pit_update(now) delivers channel 0's interrupts and
 * says when the next one is due, for a timerfd.
 *
 * Modes: 0 (interrupt on terminal count), 2 (rate generator), 3 (square
 * wave) and 4 (software-triggered strobe, Linux's one-shot mode) count as
 * the datasheet says.  Modes 1 and 5 are triggered by a GATE rising edge,
 * which never comes on channel 0 (its GATE is tied high): they are accepted
 * and never count.  BCD counting is supported (four decades, 0 = 10000).
 * The control word, the counter latch command, the read-back command and
 * the LSB/MSB flip-flops (separate for reads and writes, as the datasheet
 * allows interleaving them) behave as on the chip.
 *
 * IRQ 0 and the edge-triggered PIC: in modes 2 and 3 OUT is high except
 * for a short low phase each period, and the PIC takes the rising edge at
 * the end of it.  So a "tick" is driven as the line going low then high
 * again, and between ticks the line stays high, which keeps an
 * unacknowledged request latched in the PIC as the 8259A requires.  Mode
 * 3's half period of low output is folded into that instant (it would only
 * double the wake-ups and let a late guest lose the request); its count
 * read-back still follows the datasheet (counting down by two, twice per
 * period).  Period ends that passed while the host was late are coalesced
 * into one pulse and counted in p->missed.
 */
#include <string.h>

#include "devices.h"

#define NS_PER_SEC     1000000000u
#define PIT_CW_SC(v)   ((v) >> 6)          /* channel select, 3 = read-back */
#define PIT_CW_RW(v)   (((v) >> 4) & 3)    /* access, 0 = counter latch */
#define PIT_CW_MODE(v) (((v) >> 1) & 7)
#define PIT_CW_BCD     0x01
#define PIT_RB_COUNT   0x20                /* read-back: 0 = latch counts */
#define PIT_RB_STATUS  0x10                /* read-back: 0 = latch status */
#define PIT_ST_OUT     0x80
#define PIT_ST_NULL    0x40

/* Whole input clocks between the count's load and 'now'. */
static uint64_t clocks_since(const struct pit_channel *ch, uint64_t now)
{
	if (now <= ch->load_ns)
		return 0;
	return (uint64_t)((unsigned __int128)(now - ch->load_ns) * PIT_HZ / NS_PER_SEC);
}

/* Nanoseconds from the load to the start of input clock 'c' (rounded up,
 * so that clocks_since() of the result is at least c). */
static uint64_t ns_of_clocks(uint64_t c)
{
	return (uint64_t)(((unsigned __int128)c * NS_PER_SEC + PIT_HZ - 1) / PIT_HZ);
}

static uint32_t modulus(const struct pit_channel *ch)
{
	return ch->bcd ? 10000 : 65536;
}

static uint16_t to_bcd(uint32_t v)
{
	return (uint16_t)((v % 10) | (v / 10 % 10) << 4 | (v / 100 % 10) << 8 |
			  (v / 1000 % 10) << 12);
}

/* A BCD count as written; a nibble above 9 counts as 9. */
static uint32_t from_bcd(uint16_t v)
{
	uint32_t n = 0;

	for (int shift = 12; shift >= 0; shift -= 4) {
		uint32_t d = (v >> shift) & 0xf;

		n = n * 10 + (d > 9 ? 9 : d);
	}
	return n;
}

static bool periodic(const struct pit_channel *ch)
{
	return ch->mode == 2 || ch->mode == 3;
}

/* A count written while a mode 2 or 3 counter runs is loaded at the end of
 * the current period (datasheet, modes 2 and 3); do that if it is due. */
static void channel_sync(struct pit_channel *ch, uint64_t now)
{
	if (!ch->next_reload || now < ch->switch_ns)
		return;
	ch->owed += ch->switch_period - ch->periods;
	ch->periods = 0;
	ch->load_ns = ch->switch_ns;
	ch->reload = ch->next_reload;
	ch->next_reload = 0;
	ch->null_count = false;
}

/* The counting element at 'now', as a number (not yet BCD-coded); 0 stands
 * for the full count 65536 (10000), as on the chip. */
static uint32_t channel_count(const struct pit_channel *ch, uint64_t now)
{
	uint64_t c = clocks_since(ch, now), cp, half;
	uint32_t n = ch->reload, m = modulus(ch), v;

	if (!ch->counting)
		return 0;               /* undefined on the chip before a count */
	switch (ch->mode) {
	case 0:
	case 4:
		/* Counts down through zero and wraps, OUT having changed. */
		v = (uint32_t)((n + m - c % m) % m);
		break;
	case 2:
		/* N, N-1, ... 1, reload: period N clocks. */
		v = n - (uint32_t)(c % n);
		break;
	case 3:
		/* Down by two per clock, reloaded at each half period: the high
		 * half lasts (N+1)/2 clocks, the low half N/2 (odd N counts
		 * from N-1). */
		cp = c % n;
		half = (n + 1) / 2;
		if (cp >= half)
			cp -= half;
		v = (n & ~1u) - 2 * (uint32_t)cp;
		break;
	default:
		v = n;                  /* modes 1, 5: waiting for a GATE edge */
		break;
	}
	return v % m;
}

/* The OUT pin at 'now', for the read-back status byte. */
static bool channel_out(const struct pit_channel *ch, uint64_t now)
{
	uint64_t c = clocks_since(ch, now);

	if (!ch->counting)
		return ch->mode != 0;   /* the control word set OUT's first level */
	switch (ch->mode) {
	case 0:
		return c >= ch->reload;
	case 2:
		return c % ch->reload != ch->reload - 1;
	case 3:
		return c % ch->reload < (ch->reload + 1) / 2;
	case 4:
		return c != ch->reload;
	default:
		return true;
	}
}

/* Drive IRQ 0, telling the PIC only about changes. */
static void pit_set_out(struct pit *p, bool level)
{
	if (p->out0 == level)
		return;
	p->out0 = level;
	irq_line_set(&p->irq0, level);
}

/* One tick on IRQ 0: OUT low, then the rising edge the PIC latches. */
static void pit_pulse(struct pit *p)
{
	pit_set_out(p, false);
	pit_set_out(p, true);
	p->ticks++;
}

void pit_init(struct pit *p, struct irq_line irq0)
{
	memset(p, 0, sizeof(*p));
	p->irq0 = irq0;
	/* Unprogrammed: no count, so no interrupts.  OUT starts high, the
	 * level modes 2-5 leave it at, so the guest's first mode 2 control
	 * word is not itself an edge. */
	p->out0 = true;
	for (int i = 0; i < 3; i++) {
		p->ch[i].control = 0x36;  /* LSB then MSB, mode 3: BIOS style */
		p->ch[i].rw = 3;
		p->ch[i].mode = 3;
	}
}

uint64_t pit_update(struct pit *p, uint64_t now_ns)
{
	struct pit_channel *ch = &p->ch[0];
	uint64_t c, k, passed;

	p->now_ns = now_ns;
	if (!ch->counting)
		return 0;
	channel_sync(ch, now_ns);
	c = clocks_since(ch, now_ns);
	switch (ch->mode) {
	case 2:
	case 3:
		k = c / ch->reload;
		passed = ch->owed + (k - ch->periods);
		ch->owed = 0;
		ch->periods = k;
		if (passed) {
			pit_pulse(p);
			p->missed += passed - 1;
		}
		if (ch->next_reload)
			return ch->switch_ns;
		return ch->load_ns + ns_of_clocks((k + 1) * ch->reload);
	case 0:
	case 4:
		if (ch->fired)
			return 0;
		if (c < ch->reload)
			return ch->load_ns + ns_of_clocks(ch->reload);
		/* Terminal count: mode 0's OUT goes high and stays there until
		 * reprogrammed; mode 4's strobes low for one clock. */
		ch->fired = true;
		if (ch->mode == 0) {
			pit_set_out(p, true);
			p->ticks++;
		} else {
			pit_pulse(p);
		}
		return 0;
	default:
		return 0;
	}
}

/* A complete count arrived (datasheet: loaded on the next clock; here at
 * once).  Modes 2 and 3 that are counting take it at the period's end. */
static void channel_load(struct pit *p, int i, uint16_t raw)
{
	struct pit_channel *ch = &p->ch[i];
	uint64_t now = p->now_ns;
	uint32_t n = ch->bcd ? from_bcd(raw) : raw;

	if (n == 0)
		n = modulus(ch);        /* 0 is the largest count: 2^16 or 10^4 */
	if (ch->counting && periodic(ch)) {
		channel_sync(ch, now);
		ch->switch_period = clocks_since(ch, now) / ch->reload + 1;
		ch->switch_ns = ch->load_ns + ns_of_clocks(ch->switch_period * ch->reload);
		ch->next_reload = n;
		ch->null_count = true;
		return;
	}
	ch->reload = n;
	ch->counting = true;
	ch->load_ns = now;
	ch->periods = 0;
	ch->owed = 0;
	ch->fired = false;
	ch->null_count = false;
	/* Mode 0: writing a count sets OUT low until the terminal count. */
	if (i == 0 && ch->mode == 0)
		pit_set_out(p, false);
}

static void channel_write(struct pit *p, int i, uint8_t v)
{
	struct pit_channel *ch = &p->ch[i];

	switch (ch->rw) {
	case 1:
		channel_load(p, i, v);
		break;
	case 2:
		channel_load(p, i, (uint16_t)(v << 8));
		break;
	default:
		if (!ch->write_msb) {
			ch->write_lsb = v;
			ch->write_msb = true;
			/* Mode 0: "writing the first byte disables counting",
			 * OUT low at once. */
			if (ch->mode == 0 && ch->counting) {
				channel_sync(ch, p->now_ns);
				ch->counting = false;
				ch->null_count = true;
				if (i == 0)
					pit_set_out(p, false);
			}
			break;
		}
		ch->write_msb = false;
		channel_load(p, i, (uint16_t)(ch->write_lsb | v << 8));
		break;
	}
}

/* Counter latch: freeze the count until it is read; a second latch before
 * the read is ignored (datasheet). */
static void channel_latch(struct pit_channel *ch, uint64_t now)
{
	uint32_t v;

	if (ch->count_latched)
		return;
	channel_sync(ch, now);
	v = channel_count(ch, now);
	ch->latch = ch->bcd ? to_bcd(v) : (uint16_t)v;
	ch->count_latched = true;
}

static void channel_control(struct pit *p, uint8_t v)
{
	struct pit_channel *ch;
	int i = PIT_CW_SC(v);

	if (i == 3) {
		/* Read-back: bits 3-1 select channels 2-0; COUNT and STATUS are
		 * active low.  Status is read before the count. */
		for (i = 0; i < 3; i++) {
			ch = &p->ch[i];
			if (!(v & (2u << i)))
				continue;
			channel_sync(ch, p->now_ns);
			if (!(v & PIT_RB_COUNT))
				channel_latch(ch, p->now_ns);
			if (!(v & PIT_RB_STATUS) && !ch->status_latched) {
				ch->status = (uint8_t)((channel_out(ch, p->now_ns) ? PIT_ST_OUT : 0) |
						       (ch->null_count ? PIT_ST_NULL : 0) |
						       ch->control);
				ch->status_latched = true;
			}
		}
		return;
	}
	ch = &p->ch[i];
	if (PIT_CW_RW(v) == 0) {
		channel_latch(ch, p->now_ns);
		return;
	}
	/* A control word resets the counter's logic: no count until one is
	 * written, flip-flops and latches cleared, OUT to its initial level
	 * (low in mode 0, high in the others). */
	memset(ch, 0, sizeof(*ch));
	ch->control = v & 0x3f;
	ch->rw = PIT_CW_RW(v);
	ch->mode = PIT_CW_MODE(v) > 5 ? PIT_CW_MODE(v) - 4 : PIT_CW_MODE(v);
	ch->bcd = v & PIT_CW_BCD;
	ch->null_count = true;
	if (i == 0)
		pit_set_out(p, ch->mode != 0);
}

static uint8_t channel_read(struct pit *p, int i)
{
	struct pit_channel *ch = &p->ch[i];
	uint16_t v;
	uint8_t byte;
	bool msb;

	if (ch->status_latched) {
		ch->status_latched = false;
		return ch->status;
	}
	if (ch->count_latched) {
		v = ch->latch;
	} else {
		channel_sync(ch, p->now_ns);
		v = (uint16_t)channel_count(ch, p->now_ns);
		if (ch->bcd)
			v = to_bcd(v);
	}
	msb = ch->rw == 2 || (ch->rw == 3 && ch->read_msb);
	byte = msb ? (uint8_t)(v >> 8) : (uint8_t)v;
	if (ch->rw == 3)
		ch->read_msb = !ch->read_msb;
	/* The latch holds until all of the count (one or two bytes) is read. */
	if (ch->rw != 3 || !ch->read_msb)
		ch->count_latched = false;
	return byte;
}

/* The bus handler.  Reading 0x43 is a no-op on the 8254 (the bus floats:
 * 0xff).  Registers are 8 bits; a wider access uses the low byte. */
void pit_io(void *dev, uint16_t offset, unsigned size, bool is_write, uint32_t *val)
{
	struct pit *p = dev;

	offset &= 3;
	if (is_write) {
		if (offset == 3)
			channel_control(p, (uint8_t)*val);
		else
			channel_write(p, offset, (uint8_t)*val);
	} else {
		*val = offset == 3 ? 0xff : channel_read(p, offset);
	}
}

void pit_save(const struct pit *p, struct pit *img)
{
	*img = *p;
	img->irq0 = (struct irq_line){ 0 };
}

void pit_load(struct pit *p, const struct pit *img)
{
	struct irq_line irq0 = p->irq0;

	*p = *img;
	p->irq0 = irq0;
}

void pit_shift(struct pit *p, uint64_t delta_ns)
{
	for (int i = 0; i < 3; i++) {
		struct pit_channel *c = &p->ch[i];
		if (c->load_ns)
			c->load_ns += delta_ns;
		if (c->switch_ns)
			c->switch_ns += delta_ns;
	}
	if (p->now_ns)
		p->now_ns += delta_ns;
}
