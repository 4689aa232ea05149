/*
 * shadow/: shadow paging.  The guest writes its own 4-level page tables in
 * guest RAM; the walker (walk.c) reads them the way the MMU would, and
 * shadow.c turns the answers into host mappings in the guest context
 * processes (the "shadow"), lazily, on hidden faults.
 */
#ifndef SHADOW_H
#define SHADOW_H

#include <stdbool.h>
#include <stdint.h>
#include "traps.h"

/* Guest page-table entry bits. */
#define PTE_P    (1ull << 0)
#define PTE_W    (1ull << 1)
#define PTE_U    (1ull << 2)
#define PTE_PWT  (1ull << 3)
#define PTE_PCD  (1ull << 4)
#define PTE_A    (1ull << 5)
#define PTE_D    (1ull << 6)
#define PTE_PS   (1ull << 7)
#define PTE_G    (1ull << 8)
#define PTE_NX   (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull   /* 52-bit physical address */

/* The guest virtual range a context process can hold (DESIGN.md section 1). */
#define GUEST_VA_MIN 0x1000ull
#define GUEST_VA_END 0x7fff00000000ull

/* The result of a guest page-table walk. */
struct gwalk {
	u64 gpa;                 /* translated guest physical address */
	int level;               /* leaf level: 1 = 4 KiB, 2 = 2 MiB, 3 = 1 GiB */
	bool user;               /* U=1 at every level */
	bool writable;           /* W=1 at every level */
	bool nx;                 /* NX=1 at some level (and EFER.NXE) */
	bool dirty;              /* the leaf's D bit (after any update) */
	u64 pte_gpa[4];          /* GPA of the entry used at level 1..4 ([0] = PTE) */
	u32 errcode;             /* #PF error code when the walk faults */
};

/* walk.c */
#define SHADOW_WALK_BAD_GPA (-2)   /* an entry or the page lies beyond RAM */
/*
 * Translate 'gva' through the guest tables at 'cr3' for an access 'acc'
 * made at privilege 'cpl', as the MMU would (CR0.WP, EFER.NXE, reserved
 * bits, U/S and R/W combined over all levels).  With set_ad, set the
 * Accessed bits of the entries used, and Dirty in the leaf for a write.
 * Returns 0, or -1 with w->errcode holding the #PF error code.
 */
int shadow_walk(u8 *ram, u64 ram_size, u64 cr0, u64 cr3, u64 efer,
		u64 gva, enum emu_access acc, int cpl, bool set_ad, struct gwalk *w);
/* Returns -1 (#PF, w->errcode) or SHADOW_WALK_BAD_GPA (w->gpa) on failure. */

/* shadow.c: contexts and the shadow mappings. */
#define SHADOW_MAX_CONTEXTS 64
#define SHADOW_DEFAULT_CONTEXTS 16

struct context {
	bool used;               /* slot holds a live process */
	u64 cr3;                 /* guest CR3 it shadows (PTE_ADDR bits) */
	bool user;               /* user context (U=1 pages only) or kernel */
	pid_t pid;               /* the host process */
	u64 lru;                 /* last use, for eviction */
	u64 mapped;              /* pages mapped since the last flush */
};

struct shadow_stats {
	u64 hidden_faults;       /* faults fixed by mapping, unseen by the guest */
	u64 guest_faults;        /* #PF reflected into the guest */
	u64 ctx_built;           /* context processes created */
	u64 ctx_reused;          /* evicted processes given a new address space */
	u64 ctx_switches;        /* runs in a different context than the last */
	u64 flushes;             /* whole-context flushes (CR3 loads) */
	u64 invlpgs;             /* single-page flushes */
};

struct shadow {
	struct stub *stub;       /* context processes and mapping batches */
	u8 *ram;                 /* guest RAM in the monitor (HVA = ram + GPA) */
	u64 ram_size;            /* its size */
	struct context ctx[SHADOW_MAX_CONTEXTS]; /* the context pool */
	int nctx;                /* pool size (<= SHADOW_MAX_CONTEXTS) */
	struct context *cur;     /* context the vCPU last ran in */
	struct context *fpu;     /* context whose host FPU state is the vCPU's */
	u64 clock;               /* LRU clock */
	struct shadow_stats st;  /* counters for --stats */
};

void shadow_init(struct shadow *sh, struct stub *stub, u8 *ram, u64 ram_size, int nctx);
void shadow_destroy(struct shadow *sh);
/* The context for (cr3, user), built or recycled (LRU) if needed; NULL with
 * -errno in *err on a host failure. */
struct context *shadow_context(struct shadow *sh, u64 cr3, bool user, int *err);
/* A CR3 load: drop every mapping of the contexts of 'cr3' (the guest may
 * have changed those tables while they were not loaded). */
int shadow_flush_cr3(struct shadow *sh, u64 cr3);
/* INVLPG: drop the page holding 'gva' from the contexts of 'cr3'. */
int shadow_invlpg(struct shadow *sh, u64 cr3, u64 gva);
/* Map the 4 KiB page holding 'gva' into 'ctx' as the walk 'w' allows. */
int shadow_map(struct shadow *sh, struct context *ctx, u64 gva, const struct gwalk *w,
	       u64 cr0);

#endif
