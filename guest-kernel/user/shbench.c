/*
 * shbench: the costs of shadow paging, phase by phase, for bench/shadow.sh.
 * Each phase k is bracketed by tv_mark(2k) and tv_mark(2k + 1); a monitor
 * run with --bench-log logs the time and its counters at each mark, so the
 * bench script can divide a phase's cost by the N operations it did, which
 * this program prints as "shbench: phase K: N ops (what)".
 *   1. touch N fresh pages of a new mmap, one write each: a guest page
 *      fault, a page-table write, a hidden fault;
 *   2. mmap a page, touch it, munmap it, N times: a PTE set and cleared
 *      (another page keeps the page table alive);
 *   3. two processes ping-pong with sched_yield N times: a CR3 switch to a
 *      context the monitor has cached;
 *   4. fork, the child exits, wait, N times: a new address space each time;
 *   5. fork of an address space with 256 touched pages, from the fork to
 *      the child's first instruction (the child exits at once);
 *   6. the same with 1024 pages.
 * The monitor does the timing; each phase is short (well under 2 s).
 */
#include "ulib.h"

#define TOUCH_PAGES   2000
#define PTE_ROUNDS    2000
#define YIELDS        2000
#define WARMUP        20
#define FORKS         400
#define ANCHOR        ((char *)0x20000000000)   /* phase 2's page table */

static void *map(void *at, unsigned long pages)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | (at ? MAP_FIXED : 0);
	void *p = mmap(at, pages * PAGE_SIZE, PROT_READ | PROT_WRITE, flags, -1, 0);

	if ((long)p < 0) {
		print("shbench: mmap failed\n");
		exit(1);
	}
	return p;
}

static void report(int k, long n, const char *what)
{
	struct msg m = { .n = 0 };

	msg_str(&m, "shbench: phase ");
	msg_long(&m, k);
	msg_str(&m, ": ");
	msg_long(&m, n);
	msg_str(&m, " ops (");
	msg_str(&m, what);
	msg_str(&m, ")\n");
	msg_send(&m);
}

static void touch_fresh(void)
{
	volatile char *p = map(0, TOUCH_PAGES);

	tv_mark(2);
	for (int i = 0; i < TOUCH_PAGES; i++)
		p[i * PAGE_SIZE] = 1;
	tv_mark(3);
	munmap((void *)p, TOUCH_PAGES * PAGE_SIZE);
	report(1, TOUCH_PAGES, "touch a fresh page");
}

static void pte_set_clear(void)
{
	volatile char *anchor = map(ANCHOR, 1), *p;

	anchor[0] = 1;
	tv_mark(4);
	for (int i = 0; i < PTE_ROUNDS; i++) {
		p = map(ANCHOR + PAGE_SIZE, 1);
		p[0] = 1;
		munmap((void *)p, PAGE_SIZE);
	}
	tv_mark(5);
	munmap((void *)anchor, PAGE_SIZE);
	report(2, PTE_ROUNDS, "mmap, touch, munmap a page");
}

static void ping_pong(void)
{
	long pid = fork();
	int status;

	for (int i = 0; i < WARMUP; i++)
		sched_yield();
	if (pid == 0) {
		for (int i = 0; i < YIELDS; i++)
			sched_yield();
		exit(0);
	}
	tv_mark(6);
	for (int i = 0; i < YIELDS; i++)
		sched_yield();
	tv_mark(7);
	wait4(pid, &status, 0, 0);
	report(3, YIELDS, "sched_yield to a process with a cached context");
}

static void fork_exit(void)
{
	int status;

	tv_mark(8);
	for (int i = 0; i < FORKS; i++) {
		long pid = fork();
		if (pid == 0)
			exit(0);
		wait4(pid, &status, 0, 0);
	}
	tv_mark(9);
	report(4, FORKS, "fork, exit, wait: a new address space");
}

/* Phase k: fork with pages touched pages, to the child's first
 * instruction. */
static void fork_big(int k, long pages)
{
	volatile char *p = map(0, pages);
	long pid;
	int status;

	for (long i = 0; i < pages; i++)
		p[i * PAGE_SIZE] = 1;
	tv_mark(2 * k);
	pid = fork();
	if (pid == 0) {
		tv_mark(2 * k + 1);
		exit(0);
	}
	wait4(pid, &status, 0, 0);
	munmap((void *)p, pages * PAGE_SIZE);
	report(k, 1, pages == 256 ? "fork with 256 touched pages" : "fork with 1024 touched pages");
}

int main(void)
{
	touch_fresh();
	pte_set_clear();
	ping_pong();
	fork_exit();
	fork_big(5, 256);
	fork_big(6, 1024);
	print("shbench: done\n");
	return 0;
}
