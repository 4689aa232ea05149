/*
 * busy2: a test of preemption.  It forks; parent and child count loops
 * until the same deadline, one second after the fork, and each prints
 * "busy2 PID: N loops".  Only a scheduler that switches between them on
 * timer ticks lets both count: without preemption the first to run would
 * use the whole second and the other would print 0 loops.
 */
#include "ulib.h"

int main(void)
{
	long end = now_ns() + 1000000000L, loops = 0, pid;
	struct msg m = { .n = 0 };
	int status;

	pid = fork();
	if (pid < 0) {
		print("busy2: fork failed\n");
		return 1;
	}
	while (now_ns() < end) {
		for (volatile int i = 0; i < 1000; i++)
			;
		loops++;
	}
	msg_str(&m, "busy2 ");
	msg_long(&m, getpid());
	msg_str(&m, ": ");
	msg_long(&m, loops);
	msg_str(&m, " loops\n");
	msg_send(&m);
	if (pid > 0)
		wait4(pid, &status, 0, 0);
	return 0;
}
