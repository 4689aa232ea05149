/*
 * spin N: keep the CPU busy for N seconds of wall time (default 1), timed
 * by clock_gettime(), then print "spin PID: done".  A test of preemption,
 * and something for ^C to kill.
 */
#include "ulib.h"

int main(int argc, char **argv)
{
	long s = argc >= 2 ? atol(argv[1]) : 1;
	long end;
	struct msg m = { .n = 0 };

	if (s < 0) {
		print("usage: spin SECONDS\n");
		return 1;
	}
	end = now_ns() + s * 1000000000L;
	while (now_ns() < end)
		;
	msg_str(&m, "spin ");
	msg_long(&m, getpid());
	msg_str(&m, ": done\n");
	msg_send(&m);
	return 0;
}
