/* ticks: print the time since boot on the tick-driven monotonic clock,
 * "ticks: uptime 12.340 s". */
#include "ulib.h"

int main(void)
{
	long ms = now_ns() / 1000000;

	print("ticks: uptime ");
	print_long(ms / 1000);
	print(".");
	print2(ms % 1000 / 10);
	print_long(ms % 10);
	print(" s\n");
	return 0;
}
