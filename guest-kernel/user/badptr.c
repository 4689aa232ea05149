/*
 * badptr: hands the kernel a bad pointer, then touches kernel memory.
 * write() from address 0x10 (page 0, never mapped) must fail with -EFAULT
 * (-14) without killing us; a store to the kernel's direct map
 * (0x600000000000, present but supervisor-only) must kill us with #PF.
 */
#include "ulib.h"

int main(void)
{
	long r = write(1, (const char *)0x10, 5);

	print("badptr: write returned ");
	print_long(r);
	print("\n");
	*(volatile char *)0x600000000000 = 1;
	print("badptr: still alive after writing to kernel memory\n");
	return 1;
}
