/*
 * sysbench: 20000 null system calls (getpid) for bench/run.sh.  Under
 * trapvisor each one is a SYSEMU stop, a switch to the kernel context, the
 * kernel's SWAPGS pair and SYSRETQ, and a switch back: the cost of a guest
 * system call.
 */
#include "ulib.h"

#define SYSBENCH_CALLS 20000

int main(void)
{
	long pid = getpid(), bad = pid <= 0;

	for (int i = 0; i < SYSBENCH_CALLS; i++)
		if (syscall1(SYS_getpid, 0) != pid)
			bad++;
	print(bad ? "sysbench: unexpected results\n" : "sysbench: 20000 syscalls done\n");
	return bad != 0;
}
