/*
 * dynhello: a dynamically linked program (it names musl's loader as its
 * PT_INTERP).  The guest kernel runs only static programs, so execve of it
 * fails with ENOEXEC and a console line (auxvtest checks that).
 */
#include <stdio.h>

int main(void)
{
	printf("dynhello: a dynamically linked program ran\n");
	return 0;
}
