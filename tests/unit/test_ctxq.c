/*
 * The per-context queue of mapping changes (traps/ctxq.c): what it
 * coalesces, what it must leave alone, and, on thousands of random
 * sequences, that running the coalesced queue leaves a model address space
 * exactly as running every operation asked for would.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "ctxq.h"

#define PG 4096ull
#define FIXED (MAP_SHARED | MAP_FIXED)

static struct ctxq q;
static struct ctxq_stats st;

static int setup(void **state)
{
	memset(&q, 0, sizeof(q));
	memset(&st, 0, sizeof(st));
	return 0;
}

static int teardown(void **state)
{
	ctxq_free(&q);
	return 0;
}

static void add(u64 nr, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	const struct ctxq_op op = { nr, { a0, a1, a2, a3, a4, a5 } };
	assert_int_equal(ctxq_add(&q, &op, &st), 0);
}

static void map(u64 va, u64 off, int prot) { add(SYS_mmap, va, PG, prot, FIXED, 3, off); }
static void unmap(u64 va, u64 len) { add(SYS_munmap, va, len, 0, 0, 0, 0); }
static void protect(u64 va, u64 len, int prot) { add(SYS_mprotect, va, len, prot, 0, 0, 0); }

static void expect_op(u32 i, u64 nr, u64 va, u64 len)
{
	assert_true(i < q.n);
	assert_int_equal(q.op[i].nr, nr);
	assert_int_equal(q.op[i].a[0], va);
	assert_int_equal(q.op[i].a[1], len);
}

/* An munmap of a page followed by an mmap of it: the mmap alone. */
static void test_map_after_unmap_replaces_it(void **state)
{
	unmap(0x10000, PG);
	map(0x10000, 0x5000, PROT_READ);
	assert_int_equal(q.n, 1);
	expect_op(0, SYS_mmap, 0x10000, PG);
	assert_int_equal(st.dropped, 1);
}

/* An munmap drops the operations wholly inside its range, across
 * operations on disjoint ranges. */
static void test_unmap_drops_what_it_covers(void **state)
{
	map(0x10000, 0x5000, PROT_READ);
	map(0x90000, 0x7000, PROT_READ);        /* elsewhere: stays */
	protect(0x10000, PG, PROT_READ | PROT_EXEC);
	unmap(0x10000, 0x4000);
	assert_int_equal(q.n, 2);
	expect_op(0, SYS_mmap, 0x90000, PG);
	expect_op(1, SYS_munmap, 0x10000, 0x4000);
}

/* Touching munmaps become one; so do mprotects to one protection. */
static void test_adjacent_unmaps_and_protects_merge(void **state)
{
	unmap(0x10000, PG);
	unmap(0x11000, PG);
	unmap(0xf000, PG);
	protect(0x40000, PG, PROT_READ);
	protect(0x41000, PG, PROT_READ);
	protect(0x42000, PG, PROT_READ | PROT_EXEC);    /* another protection */
	assert_int_equal(q.n, 3);
	expect_op(0, SYS_munmap, 0xf000, 3 * PG);
	expect_op(1, SYS_mprotect, 0x40000, 2 * PG);
	expect_op(2, SYS_mprotect, 0x42000, PG);
}

/* mmaps merge only when the file offset continues with the address. */
static void test_mmaps_merge_when_offsets_continue(void **state)
{
	map(0x10000, 0x5000, PROT_READ);
	map(0x11000, 0x6000, PROT_READ);        /* continues */
	map(0x12000, 0x9000, PROT_READ);        /* a different page of RAM */
	map(0xf000, 0x4000, PROT_READ);         /* continues backwards */
	assert_int_equal(q.n, 2);
	expect_op(0, SYS_mmap, 0xf000, 3 * PG);
	assert_int_equal(q.op[0].a[5], 0x4000);
	expect_op(1, SYS_mmap, 0x12000, PG);
}

/* An mprotect of exactly a queued mmap's range changes that mmap. */
static void test_protect_folds_into_its_mmap(void **state)
{
	map(0x10000, 0x5000, PROT_READ | PROT_WRITE);
	protect(0x10000, PG, PROT_READ);
	assert_int_equal(q.n, 1);
	assert_int_equal(q.op[0].a[2], PROT_READ);
}

/* A partial overlap keeps the order: nothing before it is dropped. */
static void test_partial_overlap_stops_the_scan(void **state)
{
	map(0x10000, 0x5000, PROT_READ);
	protect(0xf000, 2 * PG, PROT_READ);     /* needs the mmap before it */
	unmap(0x10000, PG);
	assert_int_equal(q.n, 3);
}

/* Any other system call is a barrier. */
static void test_other_calls_are_barriers(void **state)
{
	unmap(0x10000, PG);
	add(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0);
	unmap(0x10000, PG);
	unmap(0x11000, PG);
	assert_int_equal(q.n, 3);
	expect_op(0, SYS_munmap, 0x10000, PG);
	expect_op(2, SYS_munmap, 0x10000, 2 * PG);
}

/* ---- the model: 64 pages, each unmapped or (file offset, protection) ---- */

#define NP 64
#define VA0 0x100000ull

struct page { bool mapped; u64 off; int prot; };

/* Run one operation on the model as the kernel would; false on error
 * (mprotect of a range with a hole: ENOMEM). */
static bool model_run(struct page *m, const struct ctxq_op *o)
{
	u64 p0 = (o->a[0] - VA0) / PG, n = o->a[1] / PG;

	if (o->nr == SYS_mprotect)
		for (u64 i = 0; i < n; i++)
			if (!m[p0 + i].mapped)
				return false;
	for (u64 i = 0; i < n; i++) {
		struct page *pg = &m[p0 + i];
		if (o->nr == SYS_munmap)
			pg->mapped = false;
		else if (o->nr == SYS_mmap)
			*pg = (struct page){ true, o->a[5] + i * PG, (int)o->a[2] };
		else
			pg->prot = (int)o->a[2];
	}
	return true;
}

static u64 rnd_state = 0x9e3779b97f4a7c15ull;
static u64 rnd(u64 n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state % n;
}

static struct ctxq_op random_op(void)
{
	u64 p = rnd(NP), len = 1 + (rnd(4) ? 0 : rnd(4));
	int prot = rnd(2) ? PROT_READ : PROT_READ | PROT_WRITE;

	if (p + len > NP)
		len = NP - p;
	switch (rnd(3)) {
	case 0:         /* one page, RAM offset often continuing its neighbour's */
		return (struct ctxq_op){ SYS_mmap, { VA0 + p * PG, PG, prot, FIXED, 3,
						     (rnd(2) ? p : rnd(NP)) * PG } };
	case 1:
		return (struct ctxq_op){ SYS_munmap, { VA0 + p * PG, len * PG } };
	default:
		return (struct ctxq_op){ SYS_mprotect, { VA0 + p * PG, len * PG, prot } };
	}
}

/* Random sequences that run without error: the queue must leave the same
 * pages, and never hold more operations than were asked for. */
static void test_coalescing_keeps_the_result(void **state)
{
	int checked = 0;
	u64 saved = 0, asked = 0;

	for (int round = 0; round < 4000; round++) {
		struct page direct[NP] = { 0 }, queued[NP] = { 0 };
		struct ctxq_op ops[24];
		int nops = 1 + (int)rnd(24);
		bool ok = true;

		/* Start from some mapped pages, as a context usually does. */
		for (int i = 0; i < NP; i++)
			if (rnd(8))
				direct[i] = queued[i] = (struct page){ true, rnd(NP) * PG, PROT_READ };
		ctxq_clear(&q);
		for (int i = 0; i < nops; i++) {
			ops[i] = random_op();
			ok = ok && model_run(direct, &ops[i]);
			assert_int_equal(ctxq_add(&q, &ops[i], &st), 0);
		}
		if (!ok)
			continue;       /* coalescing may hide an error: not compared */
		assert_true(q.n <= (u32)nops);
		for (u32 i = 0; i < q.n; i++)
			assert_true(model_run(queued, &q.op[i]));
		for (int i = 0; i < NP; i++) {
			assert_int_equal(direct[i].mapped, queued[i].mapped);
			if (direct[i].mapped) {
				assert_int_equal(direct[i].off, queued[i].off);
				assert_int_equal(direct[i].prot, queued[i].prot);
			}
		}
		checked++;
		asked += nops;
		saved += nops - q.n;
	}
	/* The random sequences must exercise the rules, not only pass. */
	print_message("%d sequences compared, %llu of %llu operations saved\n", checked,
		      (unsigned long long)saved, (unsigned long long)asked);
	assert_true(checked > 1000);
	assert_true(saved * 10 > asked);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_map_after_unmap_replaces_it, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unmap_drops_what_it_covers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_adjacent_unmaps_and_protects_merge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmaps_merge_when_offsets_continue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_protect_folds_into_its_mmap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial_overlap_stops_the_scan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_calls_are_barriers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_coalescing_keeps_the_result, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
