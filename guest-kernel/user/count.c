/*
 * count [N] [MS]: count from 1 to N (default 60), one line "count K (uptime
 * T ms)" every MS milliseconds (default 50), then "count: done".  The
 * snapshot tests (tests/integration/snapshot.sh) save the VM while it
 * counts and restore it in another monitor: the count must go on from
 * where it was, every number exactly once, and the uptime (the guest's
 * tick clock) must not jump by the time the VM spent saved.
 */
#include "ulib.h"

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 60, ms = argc > 2 ? atol(argv[2]) : 50;
	struct timespec gap = { ms / 1000, ms % 1000 * 1000000 };
	long t0 = now_ns();
	struct msg m = { .n = 0 };

	for (long k = 1; k <= n; k++) {
		msg_str(&m, "count ");
		msg_long(&m, k);
		msg_str(&m, " (uptime ");
		msg_long(&m, (now_ns() - t0) / 1000000);
		msg_str(&m, " ms)\n");
		msg_send(&m);
		nanosleep(&gap, 0);
	}
	print("count: done\n");
	return 0;
}
