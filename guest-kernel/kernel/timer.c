/*
 * timer.c: the clock.  Channel 0 of the 8254 PIT runs in mode 2 (rate
 * generator) and interrupts on IRQ 0 at hz ticks a second (hz= on the
 * command line, 100 by default).  Each tick advances the monotonic clock
 * by the exact period the PIT's integer divisor gives (100 Hz is really
 * 100.0015 Hz), keeping the remainder, so the clock does not drift from the
 * PIT.  The wall clock is the RTC's time at boot (rtc.c) plus the monotonic
 * clock.  Both have the resolution of one tick.
 *
 * Sleepers (nanosleep) all sleep on the tick counter and look at the clock
 * when a tick wakes them: simple, and cheap for a handful of processes.
 * Ticks are only counted when the interrupt is taken, i.e. in user mode
 * and in the idle loop (x86.h): the kernel does nothing long enough with
 * interrupts off to lose more than one.
 */
#include <trapvisor/boot.h>

#include "defs.h"

#define PIT_HZ        1193182ul   /* the PIT's input clock */
#define PIT_CH0       (PORT_PIT + 0)
#define PIT_MODE      (PORT_PIT + 3)
#define PIT_CH0_MODE2 0x34        /* channel 0, low then high byte, mode 2, binary */
#define PIT_CH0_STATUS 0xe2      /* read-back: channel 0's status, not its count */
#define PIT_ST_MODE   0x7f        /* status: null count, access, mode, BCD */
#define PIT_MAX_DIV   65535ul     /* a 16-bit counter: 18.2 Hz at the slowest */
#define NS_PER_S      1000000000ul
#define SLICE_NS      10000000ul  /* a process runs 10 ms before it is preempted */

static struct {
	unsigned hz;              /* ticks per second asked for */
	unsigned irqs_per_tick;   /* PIT interrupts per tick (> 1 below 18.2 Hz) */
	unsigned irqs;            /* PIT interrupts since the last tick */
	u16 div;                  /* channel 0's divisor */
	u64 period;               /* one tick, in ns * PIT_HZ (exact) */
	u64 ticks;                /* ticks since timer_init() */
	u64 ns;                   /* the monotonic clock, ns, at the last tick */
	u64 ns_frac;              /* its remainder, in ns / PIT_HZ */
	u64 realtime_boot;        /* seconds since 1970 at boot, from the RTC */
} timer;

/* Channel 0: mode 2 at timer.div. */
static void pit_program(void)
{
	outb(PIT_MODE, PIT_CH0_MODE2);
	outb(PIT_CH0, timer.div & 0xff);
	outb(PIT_CH0, timer.div >> 8);
}

/*
 * Program PIT channel 0 for hz ticks a second (10..1000).  Below 18.2 Hz
 * the divisor does not fit in 16 bits: the PIT then runs at a multiple of
 * hz and only every irqs_per_tick-th interrupt is a tick.
 */
void timer_init(unsigned hz, u64 realtime_boot)
{
	unsigned k = 1;
	u64 div;

	while (PIT_HZ / (hz * k) > PIT_MAX_DIV)
		k++;
	/* Rounded down: a tick is never longer than 1/hz (clock_getres()
	 * promises no worse), and the clocks count the real period anyway. */
	div = PIT_HZ / (hz * k);
	timer.hz = hz;
	timer.irqs_per_tick = k;
	timer.period = div * k * NS_PER_S;
	timer.realtime_boot = realtime_boot;
	timer.div = (u16)div;
	pit_program();
}

/*
 * For fuzz.c, after each trial: random code at CPL 0 may have written the
 * PIT's ports, and a channel 0 left in another mode, or waiting for its
 * count, would stop the ticks that end a runaway trial.  If the read-back
 * status is not what timer_init() programmed, program it again.  A new
 * divisor in the same mode still ticks and is left alone.
 */
void timer_restore(void)
{
	outb(PIT_MODE, PIT_CH0_STATUS);
	if ((inb(PIT_CH0) & PIT_ST_MODE) != PIT_CH0_MODE2)
		pit_program();
}

/* IRQ 0.  Returns true if it was a tick (and not just one of several PIT
 * interrupts that make up a slow tick). */
bool timer_intr(void)
{
	if (++timer.irqs < timer.irqs_per_tick)
		return false;
	timer.irqs = 0;
	timer.ticks++;
	timer.ns_frac += timer.period;
	timer.ns += timer.ns_frac / PIT_HZ;
	timer.ns_frac %= PIT_HZ;
	wakeup(&timer.ticks);
	return true;
}

/* The length of a tick, in ns. */
u64 timer_tick_ns(void)
{
	return timer.period / PIT_HZ;
}

/* The length of a time slice in ticks: 10 ms, at least one tick. */
unsigned timer_slice(void)
{
	u64 n = SLICE_NS * PIT_HZ / timer.period;

	return n ? n : 1;
}

/* CLOCK_MONOTONIC: ns since timer_init(), as of the last tick. */
u64 clock_monotonic(void)
{
	return timer.ns;
}

/* CLOCK_REALTIME: ns since 1970-01-01 00:00:00 UTC. */
u64 clock_realtime(void)
{
	return timer.realtime_boot * NS_PER_S + timer.ns;
}

/*
 * Sleep for at least ns nanoseconds.  The clock only moves at ticks and we
 * start somewhere inside one, so sleep one tick longer than asked.  Returns
 * 0, or -EINTR if a signal came first (signal_pending()), with *left set
 * to the time still to sleep.
 */
int timer_sleep(u64 ns, u64 *left)
{
	u64 end = timer.ns + ns;
	u64 deadline = end + (timer.period + PIT_HZ - 1) / PIT_HZ;

	while (timer.ns < deadline) {
		if (signal_pending()) {
			*left = end > timer.ns ? end - timer.ns : 0;
			return -EINTR;
		}
		sleep(&timer.ticks);
	}
	*left = 0;
	return 0;
}

/* Sleep until the next tick (poll.c's wait with a timeout). */
void timer_wait_tick(void)
{
	sleep(&timer.ticks);
}

/* What a process sleeps on to be woken at every tick (futex timeouts). */
const void *timer_chan(void)
{
	return &timer.ticks;
}

/* Sleep until the monotonic clock reaches deadline (ns): 0, or -EINTR if
 * the process was killed first. */
int timer_sleep_until(u64 deadline)
{
	while (timer.ns < deadline) {
		if (proc_killed())
			return -EINTR;
		sleep(&timer.ticks);
	}
	return 0;
}
