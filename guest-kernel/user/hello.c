/* hello: the smallest user program: one line through write(), exit 0. */
#include "ulib.h"

int main(void)
{
	print("hello from user space\n");
	return 0;
}
