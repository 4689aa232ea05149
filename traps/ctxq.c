/*
 * The queue of address-space changes for one context process, coalesced as
 * operations arrive (docs/ARCHITECTURE.md, "Deferred and coalesced mapping
 * changes").  Shadow paging asks for one page at a time, and often undoes
 * what it asked a moment ago: a page-table entry changes twice before the
 * context runs, a recycled context is emptied right after its last fills,
 * dirty logging write-protects what a fill just mapped.  Every operation
 * left in the queue is one more system call in the stub; the queue keeps
 * only what changes the result.
 *
 * Why each rule keeps the result (ranges are [addr, addr+len)):
 *  - A munmap, or an mmap with MAP_FIXED, decides the whole of its range by
 *    itself, whatever was mapped there: an earlier operation wholly inside
 *    that range can go, provided every operation between the two touches
 *    only disjoint ranges (those do not depend on what lies inside, and
 *    mprotect's ENOMEM on a hole depends only on its own range).  The scan
 *    back stops at the first operation that overlaps without being inside.
 *  - Two operations on disjoint ranges commute, so a new operation may be
 *    merged into a compatible one further back, across disjoint ones:
 *    munmaps that touch, mprotects to the same protection that touch, mmaps
 *    of the same file, flags and protection whose addresses and file offsets
 *    both continue one another.
 *  - An mprotect of exactly the range a queued mmap maps (nothing between
 *    them overlapping) is that mmap with the new protection.
 *  - Any other system call (prctl, seccomp, arch_prctl at start-up) is a
 *    barrier.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "ctxq.h"

/* The address range an operation works on; false if it is not one of the
 * three mapping calls (a barrier). */
static bool op_range(const struct ctxq_op *o, u64 *lo, u64 *hi)
{
	if (o->nr != SYS_mmap && o->nr != SYS_munmap && o->nr != SYS_mprotect)
		return false;
	*lo = o->a[0];
	*hi = o->a[0] + o->a[1];
	return true;
}

/* Decides its whole range alone, whatever was there before. */
static bool op_replaces(const struct ctxq_op *o)
{
	return o->nr == SYS_munmap || (o->nr == SYS_mmap && (o->a[3] & MAP_FIXED));
}

/* Fold 'o' into 'y' (the two ranges are disjoint) if one call can do both. */
static bool op_merge(struct ctxq_op *y, const struct ctxq_op *o)
{
	u64 ylo = y->a[0], yhi = y->a[0] + y->a[1];
	u64 lo = o->a[0], hi = o->a[0] + o->a[1];

	if (y->nr != o->nr || (yhi != lo && hi != ylo))
		return false;
	if (o->nr == SYS_mprotect && y->a[2] != o->a[2])
		return false;
	if (o->nr == SYS_mmap) {
		/* Same protection, flags and file, and the file offset moves
		 * with the address. */
		if (y->a[2] != o->a[2] || y->a[3] != o->a[3] || y->a[4] != o->a[4] ||
		    !(o->a[3] & MAP_FIXED))
			return false;
		if (yhi == lo ? y->a[5] + y->a[1] != o->a[5] : o->a[5] + o->a[1] != y->a[5])
			return false;
		if (hi == ylo)
			y->a[5] = o->a[5];
	}
	if (hi == ylo)
		y->a[0] = lo;
	y->a[1] += o->a[1];
	return true;
}

int ctxq_add(struct ctxq *q, const struct ctxq_op *op, struct ctxq_stats *st)
{
	u64 lo, hi, ylo, yhi;

	st->queued++;
	if (op_range(op, &lo, &hi) && hi > lo) {
		for (u32 i = q->n; i-- > 0;) {
			struct ctxq_op *y = &q->op[i];
			if (!op_range(y, &ylo, &yhi))
				break;                          /* a barrier */
			if (yhi <= lo || ylo >= hi) {           /* disjoint */
				if (op_merge(y, op)) {
					st->merged++;
					return 0;
				}
				continue;
			}
			if (op_replaces(op) && ylo >= lo && yhi <= hi) {
				for (u32 j = i; j + 1 < q->n; j++)
					q->op[j] = q->op[j + 1];
				q->n--;
				st->dropped++;
				continue;
			}
			if (op->nr == SYS_mprotect && y->nr == SYS_mmap && ylo == lo && yhi == hi) {
				y->a[2] = op->a[2];
				st->merged++;
				return 0;
			}
			break;                                  /* overlaps: keep order */
		}
	}
	if (q->n == q->cap) {
		u32 cap = q->cap ? q->cap * 2 : 16;
		struct ctxq_op *p = realloc(q->op, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		q->op = p;
		q->cap = cap;
	}
	q->op[q->n++] = *op;
	return 0;
}

void ctxq_clear(struct ctxq *q)
{
	q->n = 0;
}

void ctxq_free(struct ctxq *q)
{
	free(q->op);
	q->op = NULL;
	q->n = q->cap = 0;
}
