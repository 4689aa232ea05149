/*
 * idle3: sleep three seconds, then print "idle3: slept".  With nothing
 * else to run the kernel sits in its idle loop (sti; hlt): on trapvisor the
 * guest should cost no host CPU meanwhile.
 */
#include "ulib.h"

int main(void)
{
	if (sleep_s(3) < 0) {
		print("idle3: nanosleep failed\n");
		return 1;
	}
	print("idle3: slept\n");
	return 0;
}
