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
#include "host.h"      /* contexts and their mapping batches */

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
/* Can a context hold guest address 'gva' at all? */
static inline bool shadow_gva_usable(u64 gva)
{
	return gva >= GUEST_VA_MIN && gva < GUEST_VA_END;
}

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

/* shadow.c: contexts, the shadow mappings, page-table tracking, checker. */
#define SHADOW_MAX_CONTEXTS 64
#define SHADOW_DEFAULT_CONTEXTS 64
#define SHADOW_DEFAULT_PREFETCH 511 /* the whole last-level table */
#define SHADOW_FLOOD_WRITES 8    /* writes with no walk before a page is untracked */

/* A shadow entry (the radix mirror of what a context maps). */
#define SPTE_VALID (1ull << 0)
#define SPTE_W     (1ull << 1)
#define SPTE_X     (1ull << 2)
#define SPTE_PATCHED (1ull << 3) /* mapped from the patched copy, not RAM */
#define SHADOW_MAX_COPIES 4096   /* patched code pages at most */

struct spt_node {
	u64 e[512];              /* level 2-4: child pointers; level 1: sptes */
};

struct context {
	bool used;               /* slot holds a live process */
	int idx;                 /* index in the pool (rmap entries name it) */
	u64 cr3;                 /* guest CR3 it shadows (PTE_ADDR bits) */
	bool user;               /* user context (U=1 pages only) or kernel */
	pid_t pid;               /* the host process */
	u64 lru;                 /* last use, for eviction */
	struct spt_node *spt;    /* level-4 node of the mirror, NULL if empty */
	u64 mapped;              /* sptes present */
};

/* One use of a tracked page as a page table: in context 'ctx' it is the
 * level-'level' table for the VA region starting at 'base'. */
struct tuse {
	u64 base;                /* VA the table's first entry translates */
	u8 ctx;                  /* context index */
	u8 level;                /* 4 = PML4 ... 1 = PT */
};

struct tpage {
	u32 n, cap;              /* uses in use[] */
	struct tuse *use;        /* where this page is a table */
	u32 writes;              /* guest writes since the last walk through it */
	bool code;               /* a patched code page (its copy must follow it) */
	u32 slot;                /* index in shadow.tracked[] */
};

struct rmap_head {
	u32 n, cap;              /* entries in e[] */
	u64 *e;                  /* gva | context index (gva is page-aligned) */
};

struct shadow_stats {
	u64 hidden_faults;       /* faults fixed by mapping, unseen by the guest */
	u64 prefetched;          /* neighbouring pages mapped ahead */
	u64 premapped;           /* pages mapped when the guest wrote their entry */
	u64 guest_faults;        /* #PF reflected into the guest */
	u64 tracked_now;         /* page-table pages tracked now */
	u64 tracked_max;         /* the most tracked at once */
	u64 tracked_total;       /* pages that ever started being tracked */
	u64 pt_writes;           /* guest writes to tracked pages handled */
	u64 pt_entries_changed;  /* 8-byte entries those writes changed */
	u64 sptes_dropped;       /* shadow entries dropped for changed entries */
	u64 wprotects;           /* writable mappings made read-only on tracking */
	u64 untracked_flood;     /* untracked after SHADOW_FLOOD_WRITES writes */
	u64 untracked_other;     /* untracked because a write could not be emulated */
	u64 released;            /* untracked because the guest released them */
	u64 ctx_built;           /* context processes created */
	u64 ctx_reused;          /* evicted processes given a new address space */
	u64 ctx_switches;        /* runs in a different context than the last */
	u64 cr3_loads;           /* MOV to CR3 */
	u64 invlpgs;             /* INVLPG */
	u64 full_flushes;        /* everything dropped (CR0.WP/PG, CR4.PGE change) */
	u64 checks;              /* --shadow-check passes */
	u64 checked;             /* mappings compared by them */
	u64 pages_scanned;       /* code pages scanned for silent-fail instructions */
	u64 patch_sites;         /* instructions patched with INT3 */
	u64 copies_dropped;      /* patched copies dropped because the code changed */
	u64 dirty_faults;        /* dirty logging: pages logged as they were made
	                          * writable (the guest's first write to them) */
	u64 dirty_passes;        /* dirty logging: write-protect-everything passes */
};

struct shadow {
	struct stub *stub;       /* context processes and mapping batches */
	u8 *ram;                 /* guest RAM in the monitor (HVA = ram + GPA) */
	u64 ram_size;            /* its size */
	u64 npages;              /* ram_size / 4096 */
	struct context ctx[SHADOW_MAX_CONTEXTS]; /* the context pool */
	int nctx;                /* pool size (<= SHADOW_MAX_CONTEXTS) */
	struct context *cur;     /* context the vCPU last ran in */
	struct context *fpu;     /* context whose host FPU state is the vCPU's */
	const struct vcpu *vcpu; /* the vCPU whose CR0/EFER walks follow (the
	                          * one shadow_fill() was last given) */
	u64 clock;               /* LRU clock */
	struct rmap_head *rmap;  /* per GPA page: where it is mapped */
	struct tpage **tp;       /* per GPA page: table-page info if tracked */
	u32 *tracked;            /* GPA page numbers of the tracked pages */
	u32 ntracked, cap_tracked; /* entries in tracked[] */
	int prefetch;            /* neighbours to map ahead on a hidden fault */
	int patch_fd;            /* memfd of patched code copies, -1 if off */
	u8 *patch_mem;           /* the monitor's mapping of it */
	u32 ncopies;             /* slots used in it */
	u32 *copy;               /* per GPA page: copy slot + 1, 0 if none */
	struct patch_site **sites; /* per GPA page with a copy: its patched sites */
	u16 *nsites;             /* how many */
	u64 *copy_va;            /* per GPA page with a copy: the VA it was scanned at */
	u8 *clean;               /* per GPA page: scanned, nothing to patch */
	u8 *watch;               /* per GPA page: debugger watchpoints on it (part vii) */
	u64 *dirty;              /* dirty log: a bit per GPA page, NULL when off */
	struct shadow_stats st;  /* counters for --stats */
};

int shadow_init(struct shadow *sh, struct stub *stub, u8 *ram, u64 ram_size, int nctx,
		int prefetch);
void shadow_destroy(struct shadow *sh);
/* (i) The context for (cr3, user), built or recycled (LRU) if needed; NULL
 * with -errno in *err on a host failure. */
struct context *shadow_context(struct shadow *sh, u64 cr3, bool user, int *err);
/* (ii) A hidden fault at 'gva' that the walk 'w' allows: track the tables
 * the walk went through, map the page (and prefetch neighbours). */
int shadow_fill(struct shadow *sh, struct context *ctx, u64 gva, const struct gwalk *w,
		const struct vcpu *v);
/* (iii) Is guest page 'gpa' a tracked page table? */
bool shadow_tracked(const struct shadow *sh, u64 gpa);
/* (iii) The monitor changed guest RAM [gpa, gpa+len) (8-byte aligned, one
 * page) whose previous bytes are 'old': drop what changed entries covered. */
int shadow_written(struct shadow *sh, u64 gpa, const u8 *old, unsigned len);
/* (iii) Stop tracking page 'gpa': drop everything derived through it. */
int shadow_untrack(struct shadow *sh, u64 gpa);
/* (iii) The guest says page 'gpa' is no longer a page table: untrack it
 * and make its mappings writable again where the guest's tables allow
 * (st.released).  A page that is not tracked, or tracked as scanned
 * kernel code (part vi), is left alone.  0 or -errno. */
int shadow_release(struct shadow *sh, u64 gpa);
/* (vi) Scan and patch: kernel contexts execute a copy of a code page with
 * INT3 on every silent-fail instruction; guest RAM keeps the original. */
int shadow_patch_init(struct shadow *sh);
bool shadow_has_copy(const struct shadow *sh, u64 gpa);
/* Scanned already (patched, or found clean) and unchanged since. */
bool shadow_scanned(const struct shadow *sh, u64 gpa);
/* Page 'gpa' was scanned and has nothing to patch: remember it (tracked,
 * so a change to it makes it be scanned again). */
int shadow_mark_clean(struct shadow *sh, u64 gpa);
/* Install the patched copy of page 'gpa' (scanned at 'page_va') with its
 * sites (ownership passes); the page becomes write-protected everywhere. */
int shadow_add_copy(struct shadow *sh, u64 gpa, u64 page_va, const u8 *page,
		    struct patch_site *sites, int n);
/* The patched site at guest VA 'va' on page 'gpa', or NULL. */
const struct patch_site *shadow_site(const struct shadow *sh, u64 gpa, u64 va);

/* The bytes of page 'gpa''s patched copy (what kernel contexts execute),
 * NULL if it has none.  The debugger's breakpoints live there. */
u8 *shadow_copy_bytes(struct shadow *sh, u64 gpa);
/* (vii) Watchpoints: add 'delta' to the watch count of page 'gpa'; while
 * it is above 0 every mapping of the page is read-only, so a guest write
 * faults and the monitor sees it.  0 or -errno. */
int shadow_watch(struct shadow *sh, u64 gpa, int delta);
/* The watch count of page 'gpa' (0: not watched). */
int shadow_watched(const struct shadow *sh, u64 gpa);
/* The mirror's entry for 'gva' in context 'c' (0: not mapped). */
u64 shadow_spte(const struct context *c, u64 gva);
/* (viii) Dirty logging.  Start: every writable mapping becomes read-only
 * and from now on every page mapped writable is logged.  Sync: copy the
 * log into bits (a bit per page) and clear it, and write-protect again.
 * Stop: no more logging (mappings regain write access as the guest
 * writes).  0, or -errno. */
int shadow_dirty_log_start(struct shadow *sh);
int shadow_dirty_log_sync(struct shadow *sh, u64 *bits);
void shadow_dirty_log_stop(struct shadow *sh);
/* The monitor wrote guest page 'gpa' itself: log it. */
static inline void shadow_mark_dirty(struct shadow *sh, u64 gpa)
{
	if (sh->dirty && gpa < sh->ram_size)
		sh->dirty[gpa >> 18] |= 1ull << ((gpa >> 12) & 63);
}

/* fault.c: the page-fault decision, so the monitor acts on a verdict. */
enum shadow_verdict {
	SHADOW_FAULT_HIDDEN,     /* the guest maps it: shadow_fill() with f->w
	                          * (first shadow_patch_page() if f->scan and
	                          * patching is on) */
	SHADOW_FAULT_GUEST_PF,   /* the guest's own #PF: f->errcode, CR2 = gva
	                          * (counted in st.guest_faults) */
	SHADOW_FAULT_GUEST_GP,   /* an address no context can hold, not a NULL
	                          * page the guest leaves unmapped: #GP(0) */
	SHADOW_FAULT_BAD_GPA,    /* the guest's tables point outside RAM (f->w.gpa) */
	SHADOW_FAULT_PT_WRITE,   /* a write to a tracked page table: emulate it
	                          * (vm_write_ram() tells shadow_written()) */
	SHADOW_FAULT_WATCHED,    /* a write to a page a debugger watches: emulate it */
};
struct shadow_fault {
	struct gwalk w;          /* the walk that allowed the access (HIDDEN,
	                          * PT_WRITE, WATCHED; BAD_GPA: w.gpa) */
	u32 errcode;             /* GUEST_PF: the #PF error code */
	bool scan;               /* HIDDEN: kernel code never scanned (part vi) */
};
/*
 * A host page fault at 'gva' in context 'ctx' while the vCPU is 'v': an
 * access 'acc' (the caller decodes the instruction: the host does not say),
 * 'present' if the context had the page mapped with too little access.
 * Walks the guest's tables (setting A/D bits as the MMU would) and says
 * what the fault is, in *f.  Changes nothing in the shadow.
 */
enum shadow_verdict shadow_fault(struct shadow *sh, const struct context *ctx,
				 const struct vcpu *v, u64 gva, enum emu_access acc,
				 bool present, struct shadow_fault *f);
/* A write that PT_WRITE or WATCHED asked to emulate and the emulator
 * cannot: stop tracking the page (st.untracked_other) and map it as the
 * walk 'w' allows, so the instruction runs natively.  0 or -errno. */
int shadow_unemulated_write(struct shadow *sh, struct context *ctx, u64 gva,
			    const struct gwalk *w, const struct vcpu *v);
/* (vi) Record the scan of the kernel code page at 'gpa' (guest VA
 * 'page_va'), which found n silent-fail sites in 'sites' (ownership
 * passes; n < 0: the scan gave up, the page is scanned again next time):
 * n == 0 remembers it clean, n > 0 installs its copy with INT3 on each
 * site (none when all copy slots are used).  Counted in st.pages_scanned.
 * 0 or -errno. */
int shadow_patch_page(struct shadow *sh, u64 gpa, u64 page_va, struct patch_site *sites, int n);

/* (iv) Drop every mapping of every context (CR0.WP/PG, CR4.PGE changes). */
int shadow_flush_all(struct shadow *sh);
/* (v) Compare every mapping of every context, in the monitor's mirror and
 * in the host process, with a fresh walk.  Returns 0, or -1 with the first
 * mismatch described in 'diff'. */
int shadow_check(struct shadow *sh, const struct vcpu *v, char *diff, size_t len);

#endif
