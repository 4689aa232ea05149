/* sleep N: sleep N seconds with nanosleep(). */
#include "ulib.h"

int main(int argc, char **argv)
{
	long s = argc == 2 ? atol(argv[1]) : -1;

	if (s < 0) {
		print("usage: sleep SECONDS\n");
		return 1;
	}
	return sleep_s(s) < 0;
}
