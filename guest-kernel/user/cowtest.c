/*
 * cowtest: checks copy-on-write fork and anonymous memory precisely.
 * Page faults are counted with getrusage (ru_minflt), so sharing is checked
 * as the kernel sees it, not only by the data: after fork, reading a page
 * written before the fork costs no fault (it is mapped, shared), the first
 * write to it exactly one (its copy), the next none.  Also: parent and
 * child each see only their own writes, also those the kernel makes into
 * a shared page; munmap and a fresh mmap in the child leave the parent's
 * data alone; mmap'ed memory reads as zero, page by page on first touch;
 * mprotect, PROT_NONE and holes kill a child that trespasses (the kernel
 * prints a "cowtest: killed by #PF" line for each); brk; the errors.
 * Prints "cowtest: ok" and exits 0, or names each failure and exits 1.
 */
#include "ulib.h"

#define EBADF   9
#define ENOMEM  12
#define EINVAL  22
#define SIGSEGV 11
#define NPAGES  8

static int failed;

static void expect(const char *what, long got, long want)
{
	struct msg m = { .n = 0 };

	if (got == want)
		return;
	msg_str(&m, "cowtest: FAIL ");
	msg_str(&m, what);
	msg_str(&m, ": got ");
	msg_long(&m, got);
	msg_str(&m, ", want ");
	msg_long(&m, want);
	msg_str(&m, "\n");
	msg_send(&m);
	failed = 1;
}

/* Page faults this process has had so far. */
static long faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/*
 * Write to the stack below us, so that the stack pages a test is about to
 * use are this process's own: after a fork they are copy-on-write, and
 * their first write would add a fault to what the test counts.
 */
static void __attribute__((noinline)) warm_stack(void)
{
	volatile char buf[3000];

	for (unsigned i = 0; i < sizeof(buf); i += 64)
		buf[i] = 1;
}

static char *map(unsigned long pages)
{
	char *p = mmap(0, pages * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if ((long)p < 0) {
		expect("mmap", (long)p, 0);
		exit(1);
	}
	return p;
}

/* Fill page i of p with the byte v (every 64th byte: enough to see). */
static void fill(char *p, int i, char v)
{
	for (unsigned long o = 0; o < PAGE_SIZE; o += 64)
		p[i * PAGE_SIZE + o] = v;
}

/* True if page i of p holds the byte v where fill() writes. */
static int holds(const char *p, int i, char v)
{
	for (unsigned long o = 0; o < PAGE_SIZE; o += 64)
		if (((volatile const char *)p)[i * PAGE_SIZE + o] != v)
			return 0;
	return 1;
}

/* Wait for the child pid; its exit status, or 128 + the signal. */
static int reap(long pid)
{
	int status = -1;

	if (wait4(pid, &status, 0, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* A child that runs f(p) and dies of the signal f() gets, if any. */
static int child_status(void (*f)(char *), char *p)
{
	long pid = fork();

	if (pid == 0) {
		f(p);
		exit(0);
	}
	return reap(pid);
}

/* Pages written before fork are shared until written; each side sees its
 * own writes only. */
static void test_fork_shares(void)
{
	char *p = map(NPAGES);
	long pid, f;
	int i, ok = 1;

	for (i = 0; i < NPAGES; i++)
		fill(p, i, 'P');
	pid = fork();
	if (pid == 0) {
		for (i = 0; i < 10; i++)
			sched_yield();        /* let the parent write first */
		warm_stack();
		f = faults();
		for (i = 0; i < NPAGES; i++)
			ok &= holds(p, i, 'P');
		expect("child reads the data written before fork", ok, 1);
		expect("faults reading shared pages", faults() - f, 0);
		f = faults();
		for (i = 0; i < NPAGES; i++)
			fill(p, i, 'C');
		expect("faults writing shared pages (one copy each)", faults() - f, NPAGES);
		f = faults();
		for (i = 0; i < NPAGES; i++)
			fill(p, i, 'c');
		expect("faults writing them again", faults() - f, 0);
		for (i = 0; i < NPAGES; i++)
			ok &= holds(p, i, 'c');
		expect("child sees its own writes", ok, 1);
		exit(failed);
	}
	for (i = 0; i < NPAGES / 2; i++)
		fill(p, i, 'Q');            /* while the child is alive */
	expect("the child's checks", reap(pid), 0);
	warm_stack();
	f = faults();
	for (i = NPAGES / 2; i < NPAGES; i++)
		fill(p, i, 'R');            /* alone again: made writable, one fault each */
	expect("faults writing pages nobody shares any more", faults() - f, NPAGES / 2);
	for (i = 0; i < NPAGES; i++)
		ok &= holds(p, i, i < NPAGES / 2 ? 'Q' : 'R');
	expect("parent sees its own writes only", ok, 1);
	munmap(p, NPAGES * PAGE_SIZE);
}

/* What the kernel writes into a shared page (clock_gettime) is copied on
 * write too. */
static void test_kernel_writes(void)
{
	struct timespec *ts = (struct timespec *)map(1);
	long pid;
	int i;

	ts->tv_sec = -7;
	ts->tv_nsec = -7;
	pid = fork();
	if (pid == 0) {
		for (i = 0; i < 10; i++)
			sched_yield();
		expect("child's copy after the parent's clock_gettime", ts->tv_sec + ts->tv_nsec, -14);
		exit(failed);
	}
	expect("clock_gettime into a shared page", clock_gettime(CLOCK_MONOTONIC, ts), 0);
	expect("it wrote", ts->tv_sec >= 0 && ts->tv_nsec >= 0, 1);
	expect("the child's checks", reap(pid), 0);
	munmap(ts, PAGE_SIZE);
}

/* munmap and a fresh mmap in the child leave the parent's data alone. */
static void test_child_munmap(void)
{
	char *p = map(NPAGES);
	long pid;
	int i, ok = 1;

	for (i = 0; i < NPAGES; i++)
		fill(p, i, 'M');
	pid = fork();
	if (pid == 0) {
		expect("child munmap", munmap(p, NPAGES * PAGE_SIZE), 0);
		expect("child mmap at the same address",
		       (long)mmap(p, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), (long)p);
		expect("which reads as zero", holds(p, 0, 0) && holds(p, 1, 0), 1);
		fill(p, 0, 'x');
		exit(failed);
	}
	expect("the child's checks", reap(pid), 0);
	for (i = 0; i < NPAGES; i++)
		ok &= holds(p, i, 'M');
	expect("parent's data after the child's munmap", ok, 1);
	munmap(p, NPAGES * PAGE_SIZE);
}

/* mmap'ed memory is zero, allocated page by page on first touch. */
static void test_lazy(void)
{
	char *p = map(NPAGES);
	long f;
	int i, ok = 1;

	warm_stack();
	f = faults();
	for (i = 0; i < NPAGES; i++)
		ok &= holds(p, i, 0);
	expect("fresh memory reads as zero", ok, 1);
	expect("faults reading fresh pages (one each)", faults() - f, NPAGES);
	f = faults();
	for (i = 0; i < NPAGES; i++)
		fill(p, i, 'z');
	expect("faults writing them then", faults() - f, 0);
	munmap(p, NPAGES * PAGE_SIZE);
}

static void write_page(char *p)
{
	p[0] = 1;
}

static void read_page(char *p)
{
	(void)*(volatile char *)p;
}

/* mprotect, PROT_NONE and holes; a page made writable while still shared
 * stays copy-on-write. */
static void test_protect(void)
{
	char *p = map(3);
	long pid;

	fill(p, 0, 'a');
	fill(p, 1, 'b');
	fill(p, 2, 'c');
	expect("mprotect read-only", mprotect(p, 3 * PAGE_SIZE, PROT_READ), 0);
	expect("a write to a read-only page", child_status(write_page, p), 128 + SIGSEGV);
	pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 10; i++)
			sched_yield();
		expect("child's page after the parent's write", holds(p, 0, 'a'), 1);
		exit(failed);
	}
	expect("mprotect read-write", mprotect(p, 3 * PAGE_SIZE, PROT_READ | PROT_WRITE), 0);
	fill(p, 0, 'A');
	expect("the child's checks", reap(pid), 0);
	expect("parent's write", holds(p, 0, 'A'), 1);

	expect("mprotect PROT_NONE", mprotect(p + PAGE_SIZE, PAGE_SIZE, PROT_NONE), 0);
	expect("a read of a PROT_NONE page", child_status(read_page, p + PAGE_SIZE), 128 + SIGSEGV);
	expect("mprotect it back", mprotect(p + PAGE_SIZE, PAGE_SIZE, PROT_READ), 0);
	expect("its data survived", holds(p, 1, 'b'), 1);

	expect("munmap the middle page", munmap(p + PAGE_SIZE, PAGE_SIZE), 0);
	expect("a read of the hole", child_status(read_page, p + PAGE_SIZE), 128 + SIGSEGV);
	expect("mprotect over the hole", mprotect(p, 3 * PAGE_SIZE, PROT_READ), -ENOMEM);
	expect("the pages around it", holds(p, 0, 'A') && holds(p, 2, 'c'), 1);
	munmap(p, 3 * PAGE_SIZE);
}

static void test_brk(void)
{
	char *b = brk(0), *q;

	expect("brk grows", (long)brk(b + 3 * PAGE_SIZE), (long)(b + 3 * PAGE_SIZE));
	fill(b, 2, 'h');
	expect("brk shrinks", (long)brk(b), (long)b);
	expect("brk below the start fails", (long)brk(b - PAGE_SIZE), (long)b);
	q = brk(b + 3 * PAGE_SIZE);
	expect("brk grows again", (long)q, (long)(b + 3 * PAGE_SIZE));
	expect("over zeroed pages", holds(b, 2, 0), 1);
	brk(b);
}

static void test_errors(void)
{
	int rw = PROT_READ | PROT_WRITE, anon = MAP_PRIVATE | MAP_ANONYMOUS;

	expect("mmap of 0 bytes", (long)mmap(0, 0, rw, anon, -1, 0), -EINVAL);
	expect("mmap neither shared nor private", (long)mmap(0, 4096, rw, MAP_ANONYMOUS, -1, 0),
	       -EINVAL);
	expect("mmap of a file", (long)mmap(0, 4096, rw, MAP_PRIVATE, 3, 0), -EBADF);
	expect("mmap with prot 8", (long)mmap(0, 4096, 8, anon, -1, 0), -EINVAL);
	expect("mmap MAP_FIXED unaligned", (long)mmap((char *)0x10000001000 + 1, 4096, rw,
						      anon | MAP_FIXED, -1, 0), -EINVAL);
	expect("mmap MAP_FIXED in kernel space", (long)mmap((void *)0x600000000000, 4096, rw,
							    anon | MAP_FIXED, -1, 0), -ENOMEM);
	expect("munmap unaligned", munmap((void *)0x10000000001, 4096), -EINVAL);
	expect("munmap of nothing", munmap((void *)0x10000000000, 4096), 0);
	expect("mprotect of nothing", mprotect((void *)0x10000000000, 4096, PROT_READ), -ENOMEM);
}

int main(void)
{
	test_fork_shares();
	test_kernel_writes();
	test_child_munmap();
	test_lazy();
	test_protect();
	test_brk();
	test_errors();
	if (failed)
		return 1;
	print("cowtest: ok\n");
	return 0;
}
