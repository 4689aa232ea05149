/*
 * ptstress [ROUNDS]: a stress test of page-table changes, for trapvisor's
 * shadow paging (every guest page-table write there is trapped and
 * emulated, and the shadow mappings it covered dropped).
 *
 * It starts WORKERS processes that run at once, more address spaces than
 * the monitor keeps contexts for in tests/integration/shadow.sh (8), all runnable and
 * yielding often.  In each round a worker
 *   1. maps 1 to 4 regions of 1 to 64 pages with MAP_FIXED, each in its own
 *      1 GiB (so a new page directory and page table each), most across a
 *      2 MiB boundary (two page tables), and fills every byte of them;
 *   2. forks a child that checks it sees the worker's data, writes every
 *      third page (copies on write), checks its view, unmaps a region and
 *      exits, while the worker writes every fifth page; then the worker
 *      checks that its data is its own;
 *   3. unmaps a run of pages in each region, maps it again at the same
 *      address, checks that it reads as zero, and fills half of it;
 *   4. unmaps every region, which frees all their page tables; so the next
 *      round's tables are pages that held data, and its data pages were
 *      tables (the allocator is LIFO).
 * A region it keeps for its whole life is checked and rewritten every
 * round.  Every page's contents are a function of (pid, round, step,
 * address), so every byte written is checked where it should be; the
 * first mismatch prints "ptstress: DATA MISMATCH at ..." and fails.
 *
 * The parent prints "ptstress: ok, N rounds, M processes, K pages touched"
 * (K: page faults served, first touches and copies, from wait4's rusage)
 * and exits 0, or exits 1 if any process failed.
 */
#include "ulib.h"

#define WORKERS        20
#define DEFAULT_ROUNDS 8
#define MAX_REGIONS    4
#define MAX_PAGES      64
#define ARENA      0x20000000000UL   /* region i lives near ARENA + i GiB (PML4 slot 4) */
#define GIB        0x40000000UL
#define HUGE       0x200000UL
#define KEEP       0x30000000000UL   /* the kept region (another PML4 slot) */
#define KEEP_PAGES 16
#define WORDS      (PAGE_SIZE / sizeof(unsigned long))

/* What a page should hold: a tag naming who wrote it when, 0 for zeroes,
 * or UNMAPPED. */
#define UNMAPPED (-1L)

struct region {
	unsigned long *va;
	int pages;
	long tag[MAX_PAGES];
};

static struct region reg[MAX_REGIONS];
static int nreg;
static long keep_tag[KEEP_PAGES];
static unsigned long rng;            /* xorshift state, seeded per worker */
static long pid, round;

static unsigned long rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static long tag(long step)
{
	return (pid << 32) | (round << 4) | step;
}

/* The word at address va of a page written under tag t. */
static unsigned long value(long t, const unsigned long *va)
{
	unsigned long x = ((unsigned long)t << 1) ^ ((unsigned long)va * 0x9e3779b97f4a7c15UL);

	return x ^ (x >> 29);
}

static __attribute__((noreturn)) void fail(const char *what, const unsigned long *va,
					   unsigned long got, unsigned long want)
{
	struct msg m = { .n = 0 };

	msg_str(&m, "ptstress: ");
	msg_str(&m, what);
	msg_str(&m, " at ");
	msg_hex(&m, (unsigned long)va);
	msg_str(&m, " (pid ");
	msg_long(&m, getpid());
	msg_str(&m, ", round ");
	msg_long(&m, round);
	msg_str(&m, "): got ");
	msg_hex(&m, got);
	msg_str(&m, ", want ");
	msg_hex(&m, want);
	msg_str(&m, "\n");
	msg_send(&m);
	exit(1);
}

static void fill(unsigned long *page, long t)
{
	for (unsigned i = 0; i < WORDS; i++)
		page[i] = value(t, page + i);
}

static void check(const unsigned long *page, long t)
{
	for (unsigned i = 0; i < WORDS; i++) {
		unsigned long want = t ? value(t, page + i) : 0;
		if (page[i] != want)
			fail("DATA MISMATCH", page + i, page[i], want);
	}
}

static unsigned long *page_of(struct region *r, int i)
{
	return r->va + i * WORDS;
}

static void set_page(struct region *r, int i, long t)
{
	fill(page_of(r, i), t);
	r->tag[i] = t;
}

static void check_all(void)
{
	for (int n = 0; n < nreg; n++)
		for (int i = 0; i < reg[n].pages; i++)
			if (reg[n].tag[i] != UNMAPPED)
				check(page_of(&reg[n], i), reg[n].tag[i]);
}

static void map_at(void *va, unsigned long pages)
{
	void *p = mmap(va, pages * PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

	if (p != va)
		fail("mmap failed", va, (unsigned long)p, (unsigned long)va);
}

static void unmap(void *va, unsigned long pages)
{
	long r = munmap(va, pages * PAGE_SIZE);

	if (r != 0)
		fail("munmap failed", va, r, 0);
}

/* Step 1: new regions, filled. */
static void map_regions(void)
{
	nreg = 1 + rnd() % MAX_REGIONS;
	for (int n = 0; n < nreg; n++) {
		struct region *r = &reg[n];
		unsigned long below;

		r->pages = 1 + rnd() % MAX_PAGES;
		below = rnd() % (r->pages + 1);       /* pages below the 2 MiB line */
		r->va = (unsigned long *)(ARENA + n * GIB + HUGE - below * PAGE_SIZE);
		map_at(r->va, r->pages);
		for (int i = 0; i < r->pages; i++)
			set_page(r, i, tag(1));
		sched_yield();
	}
}

/* Step 2: a child shares the regions copy-on-write. */
static void fork_and_check(void)
{
	long child = fork(), worker = pid;
	int status = -1;

	if (child < 0)
		fail("fork failed", 0, child, 0);
	if (child == 0) {
		pid = getpid();
		check_all();
		for (int n = 0; n < nreg; n++)
			for (int i = 0; i < reg[n].pages; i += 3)
				set_page(&reg[n], i, tag(2));
		sched_yield();
		check_all();
		unmap(reg[0].va, reg[0].pages);
		reg[0].pages = 0;
		check_all();
		exit(0);
	}
	for (int n = 0; n < nreg; n++)
		for (int i = 1; i < reg[n].pages; i += 5)
			set_page(&reg[n], i, tag(3));
	if (wait4(child, &status, 0, 0) != child || status != 0)
		fail("child failed", 0, status, 0);
	pid = worker;
	check_all();
}

/* Step 3: a hole unmapped, mapped again, and half refilled. */
static void remap_runs(void)
{
	for (int n = 0; n < nreg; n++) {
		struct region *r = &reg[n];
		int a = rnd() % r->pages, b = a + 1 + rnd() % (r->pages - a);

		unmap(page_of(r, a), b - a);
		for (int i = a; i < b; i++)
			r->tag[i] = UNMAPPED;
		check_all();
		sched_yield();
		map_at(page_of(r, a), b - a);
		for (int i = a; i < b; i++)
			r->tag[i] = 0;
		check_all();                          /* zero-filled */
		for (int i = a; i < b; i += 2)
			set_page(r, i, tag(4));
	}
	check_all();
}

/* Step 4: everything goes, page tables included. */
static void unmap_regions(void)
{
	for (int n = 0; n < nreg; n++)
		unmap(reg[n].va, reg[n].pages);
	nreg = 0;
}

static void keep_round(void)
{
	unsigned long *keep = (unsigned long *)KEEP;
	int i = round % KEEP_PAGES;

	for (int k = 0; k < KEEP_PAGES; k++)
		check(keep + k * WORDS, keep_tag[k]);
	keep_tag[i] = tag(5);
	fill(keep + i * WORDS, keep_tag[i]);
}

static void worker(int w, long rounds)
{
	pid = getpid();
	rng = 0x2545f4914f6cdd1dUL * (w + 1);
	map_at((void *)KEEP, KEEP_PAGES);
	for (int k = 0; k < KEEP_PAGES; k++) {
		keep_tag[k] = tag(6);
		fill((unsigned long *)KEEP + k * WORDS, keep_tag[k]);
	}
	for (round = 1; round <= rounds; round++) {
		map_regions();
		fork_and_check();
		remap_runs();
		keep_round();
		unmap_regions();
		sched_yield();
	}
	exit(0);
}

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : DEFAULT_ROUNDS, touched = 0;
	int failed = 0, status;
	struct rusage ru;
	struct msg m = { .n = 0 };

	if (rounds <= 0) {
		print("usage: ptstress [ROUNDS]\n");
		return 2;
	}
	for (int w = 0; w < WORKERS; w++) {
		long p = fork();
		if (p == 0)
			worker(w, rounds);
		if (p < 0) {
			print("ptstress: fork failed\n");
			failed = 1;
			break;
		}
	}
	while (wait4(-1, &status, 0, &ru) > 0) {
		if (status != 0)
			failed = 1;
		touched += ru.ru_minflt;
	}
	if (failed) {
		print("ptstress: FAILED\n");
		return 1;
	}
	msg_str(&m, "ptstress: ok, ");
	msg_long(&m, rounds);
	msg_str(&m, " rounds, ");
	msg_long(&m, 1 + WORKERS + WORKERS * rounds);
	msg_str(&m, " processes, ");
	msg_long(&m, touched);
	msg_str(&m, " pages touched\n");
	msg_send(&m);
	return 0;
}
