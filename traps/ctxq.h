/*
 * ctxq.c: the monitor's queue of address-space changes for one context
 * process, coalesced as they are queued and run by the stub (context.c)
 * only when that context is about to resume guest code
 * (docs/ARCHITECTURE.md, "Deferred and coalesced mapping changes").
 * Plain data: no process is involved, so the rules are unit-tested alone
 * (tests/unit/test_ctxq.c).
 */
#ifndef CTXQ_H
#define CTXQ_H

#include <stdint.h>
#include <sys/types.h>

/* As traps.h has them (C11 allows the repeat): this header stands alone. */
typedef uint32_t u32;
typedef uint64_t u64;

/* One host system call for the stub: the layout of a stub data page
 * operation (stub.h, STUB_OP_SIZE). */
struct ctxq_op {
	u64 nr;                  /* SYS_mmap, SYS_munmap, SYS_mprotect, or any */
	u64 a[6];                /* its arguments */
};

struct ctxq {
	pid_t pid;               /* context the operations are for */
	u32 n, cap;              /* operations in op[] */
	struct ctxq_op *op;      /* in the order they must run */
};

/* Counters for --stats. */
struct ctxq_stats {
	u64 queued;              /* operations asked for */
	u64 dropped;             /* dropped: a later munmap or MAP_FIXED mmap
	                          * covers them */
	u64 merged;              /* folded into a queued neighbour */
};

/*
 * Queue 'op' after what 'q' holds, coalescing: a munmap or MAP_FIXED mmap
 * drops the queued mmap/munmap/mprotect operations wholly inside its range
 * (scanning back past operations on disjoint ranges only); adjacent munmaps,
 * adjacent mprotects to the same protection and mmaps that continue one
 * another (same file, flags and protection) merge; an mprotect of exactly
 * the range of a queued mmap changes that mmap's protection.  Any other
 * system call is a barrier nothing moves across.  Running the queue then
 * leaves the address space as running every operation asked for would.
 * 0, or -ENOMEM.
 */
int ctxq_add(struct ctxq *q, const struct ctxq_op *op, struct ctxq_stats *st);
/* Forget the queued operations (run, or their process is gone). */
void ctxq_clear(struct ctxq *q);
void ctxq_free(struct ctxq *q);

#endif
