/* sleep1: sleep one second with nanosleep(), then print "sleep1: slept". */
#include "ulib.h"

int main(void)
{
	if (sleep_s(1) < 0) {
		print("sleep1: nanosleep failed\n");
		return 1;
	}
	print("sleep1: slept\n");
	return 0;
}
