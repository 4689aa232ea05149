/*
 * ring: tries a privileged instruction in ring 3.  CLI with IOPL 0 at
 * CPL 3 raises #GP(0), so the kernel must kill it; the monitor must not
 * mistake it for its own kernel's CLI and emulate it.
 */
#include "ulib.h"

int main(void)
{
	print("ring: executing cli in ring 3\n");
	asm volatile("cli");
	print("ring: still alive after cli\n");
	return 1;
}
