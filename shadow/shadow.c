/*
 * Shadow address spaces, kept coherent by write-protecting guest page
 * tables.  Parts, in the order a student meets them:
 *
 *  (i)   Contexts: one host process per (guest CR3, kernel|user), from a
 *        bounded pool; the least recently used one is recycled (emptied and
 *        re-tagged: much cheaper than a new process).
 *  (ii)  The mirror and hidden faults: each context has a radix tree
 *        ("spt", shaped like a page table) recording exactly what is mapped
 *        in its host process: gva -> gpa, writable, executable.  A reverse
 *        map (rmap) gives, for every guest physical page, the (context,
 *        gva) pairs that map it.  shadow_fill() maps a page after the
 *        walker allowed the access: read always; write only if the guest
 *        allows it, the leaf is already Dirty, and the page is not a
 *        tracked page table; exec unless NX.
 *  (iii) Tracking: every guest page a fill walked through as a page table
 *        is tracked.  Each tracked page keeps its *uses*: in context c it
 *        is the level-L table for the VA region at 'base'.  All mappings of
 *        a tracked page become read-only (through the rmap), so a guest
 *        write to it faults; the monitor emulates the instruction, and
 *        shadow_written() compares the page before and after: for every
 *        changed 8-byte entry i and every use (c, L, base) it drops the VA
 *        range that entry translates, [base + i*span(L), +span(L)), from
 *        context c: one munmap, however large.  So the shadow is always
 *        coherent with the guest tables, in every context, running or not;
 *        CR3 loads and INVLPG need no flush.  (The host catches up when the
 *        context next runs: its changes wait in a queue, traps/ctxq.c.)
 *        A changed PTE that is present and already accessed is mapped at
 *        once in the contexts using the table (premap()), as its first
 *        use would map it, so that use takes no hidden fault.
 *        A page the guest writes SHADOW_FLOOD_WRITES times with no walk
 *        through it in between has most likely stopped being a page table
 *        (freed and reused for data): it is untracked, which drops
 *        everything derived through it, so correctness never depends on
 *        the guess (KVM unshadows on write flooding the same way).
 *        A paravirtual kernel need not let it be guessed: it releases a
 *        page table it is about to free (shadow_release(), boot.h
 *        PV_MMU_RELEASE), which untracks it and makes its mappings
 *        writable again at once, so freeing, zeroing and reusing it cost
 *        no fault at all.
 *  (iv)  Full flushes, for changes of CR0.WP/PG or CR4.PGE.
 *  (v)   The checker (--shadow-check, check.c): every mapping of every
 *        context, in the mirror and in the host process (/proc/PID/maps), against a
 *        fresh walk.
 *  (vi)  Scan and patch: a kernel context executes a patched copy of a code
 *        page (a second memfd) in which every silent-fail instruction
 *        starts with INT3; guest RAM keeps the original, which the emulator
 *        fetches when the INT3 traps.  The original is tracked like a page
 *        table (every alias read-only), and a write to it drops the copy, so
 *        the next execution rescans it.
 *  (vii) Watchpoints (the debugger's, monitor/gdb_target.c): a watched
 *        guest page is mapped read-only everywhere, as a tracked one is,
 *        so every write to it faults and can be checked against the
 *        watched range; no debug register is needed.
 *  (viii) Dirty logging, for the live move (monitor/migrate.c): while it is
 *        on, every writable mapping is made read-only at the start of
 *        each round; the guest's next write to the page faults, the fill
 *        maps it writable again and sets the page's bit in the dirty
 *        bitmap (KVM's dirty logging, Xen's log-dirty mode).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "shadow.h"
#include "internal.h"

static u64 clip_lo(u64 x) { return x < GUEST_VA_MIN ? GUEST_VA_MIN : x; }
static u64 clip_hi(u64 x) { return x > GUEST_VA_END ? GUEST_VA_END : x; }

/* Make room for one more element in a growing array (*p, n used of *cap);
 * 0 or -ENOMEM. */
static int grow(void **p, u32 n, u32 *cap, size_t size, u32 first)
{
	if (n < *cap)
		return 0;
	u32 c = *cap ? *cap * 2 : first;
	void *q = realloc(*p, c * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

/* ---- (ii) the reverse map ---- */

static int rmap_add(struct shadow *sh, u64 gpa, int ctx, u64 gva)
{
	struct rmap_head *h = &sh->rmap[gpa >> 12];

	if (grow((void **)&h->e, h->n, &h->cap, sizeof(*h->e), 2) < 0)
		return -ENOMEM;
	h->e[h->n++] = gva | ctx;
	return 0;
}

static void rmap_del(struct shadow *sh, u64 gpa, int ctx, u64 gva)
{
	struct rmap_head *h = &sh->rmap[gpa >> 12];

	for (u32 i = 0; i < h->n; i++)
		if (h->e[i] == (gva | ctx)) {
			h->e[i] = h->e[--h->n];
			return;
		}
}

/* ---- (ii) the mirror: a radix tree per context ---- */

/* The level-1 slot for 'gva', allocating nodes if 'create'. */
u64 *spt_slot(struct context *c, u64 gva, bool create)
{
	struct spt_node **pn = &c->spt;

	for (int level = 4; level >= 1; level--) {
		if (!*pn) {
			if (!create)
				return NULL;
			*pn = calloc(1, sizeof(struct spt_node));
			if (!*pn)
				return NULL;
		}
		u64 *e = &(*pn)->e[(gva >> (12 + 9 * (level - 1))) & 511];
		if (level == 1)
			return e;
		pn = (struct spt_node **)e;
	}
	return NULL;
}

/* Clear the sptes of [lo, hi) under 'n' (a level-'level' node covering the
 * VA region at 'base'); returns how many were present. */
static u64 spt_clear(struct shadow *sh, struct context *c, struct spt_node *n, int level,
		     u64 base, u64 lo, u64 hi)
{
	u64 cleared = 0, sz = span(level);

	for (unsigned i = 0; i < 512; i++) {
		u64 va = base + i * sz;
		if (va + sz <= lo || va >= hi || !n->e[i])
			continue;
		if (level == 1) {
			rmap_del(sh, n->e[i] & PTE_ADDR, c->idx, va);
			n->e[i] = 0;
			cleared++;
			continue;
		}
		struct spt_node *child = (struct spt_node *)(uintptr_t)n->e[i];
		cleared += spt_clear(sh, c, child, level - 1, va, lo, hi);
		if (va >= lo && va + sz <= hi) {        /* wholly inside: free it */
			free(child);
			n->e[i] = 0;
		}
	}
	return cleared;
}

/* Free a subtree (its sptes already cleared). */
static void spt_free(struct spt_node *n, int level)
{
	if (!n)
		return;
	if (level > 1)
		for (unsigned i = 0; i < 512; i++)
			spt_free((struct spt_node *)(uintptr_t)n->e[i], level - 1);
	free(n);
}

/* Drop [lo, hi) from context 'c': the mirror, the rmap and the host. */
static int ctx_drop(struct shadow *sh, struct context *c, u64 lo, u64 hi)
{
	lo = clip_lo(lo);
	hi = clip_hi(hi);
	if (lo >= hi || !c->spt)
		return 0;
	u64 n = spt_clear(sh, c, c->spt, 4, 0, lo, hi);
	if (lo == GUEST_VA_MIN && hi == GUEST_VA_END) {
		spt_free(c->spt, 4);
		c->spt = NULL;
	}
	if (!n)
		return 0;
	c->mapped -= n;
	sh->st.sptes_dropped += n;
	return ctx_unmap(sh->stub, c->pid, lo, hi - lo);
}

/* ---- (iii) tracking ---- */

bool shadow_tracked(const struct shadow *sh, u64 gpa)
{
	return gpa < sh->ram_size && sh->tp[gpa >> 12];
}

/* Make every writable mapping of guest page 'pfn' read-only. */
static int write_protect(struct shadow *sh, u64 pfn)
{
	struct rmap_head *h = &sh->rmap[pfn];

	for (u32 i = 0; i < h->n; i++) {
		struct context *c = &sh->ctx[h->e[i] & 0xfff];
		u64 gva = h->e[i] & ~0xfffull;
		u64 *slot = spt_slot(c, gva, false);
		if (!slot || !(*slot & SPTE_W))
			continue;
		*slot &= ~SPTE_W;
		sh->st.wprotects++;
		int r = ctx_protect(sh->stub, c->pid, gva, 4096,
				    PROT_READ | (*slot & SPTE_X ? PROT_EXEC : 0));
		if (r < 0)
			return r;
	}
	return 0;
}

/* Track guest page 'pfn' (if it is not yet): every mapping of it becomes
 * read-only.  Returns its struct tpage, or NULL with -errno in *err. */
static struct tpage *track_page(struct shadow *sh, u64 pfn, int *err)
{
	struct tpage *tp = sh->tp[pfn];

	*err = 0;
	if (!tp) {
		*err = -ENOMEM;
		if (grow((void **)&sh->tracked, sh->ntracked, &sh->cap_tracked,
			 sizeof(*sh->tracked), 64) < 0)
			return NULL;
		tp = calloc(1, sizeof(*tp));
		if (!tp)
			return NULL;
		tp->slot = sh->ntracked;
		sh->tracked[sh->ntracked++] = pfn;
		sh->tp[pfn] = tp;
		sh->st.tracked_total++;
		if (++sh->st.tracked_now > sh->st.tracked_max)
			sh->st.tracked_max = sh->st.tracked_now;
		*err = write_protect(sh, pfn);
		if (*err < 0)
			return NULL;
	}
	return tp;
}

/* Record that page 'table' is the level-'level' table for the region at
 * 'base' in context 'c', tracking the page if it was not. */
static int track_use(struct shadow *sh, struct context *c, u64 table, int level, u64 base)
{
	int r;
	struct tpage *tp = track_page(sh, table >> 12, &r);

	if (!tp)
		return r;
	tp->writes = 0;                         /* used as a table: not flooding */
	for (u32 i = 0; i < tp->n; i++)
		if (tp->use[i].ctx == c->idx && tp->use[i].level == level && tp->use[i].base == base)
			return 0;
	if (grow((void **)&tp->use, tp->n, &tp->cap, sizeof(*tp->use), 4) < 0)
		return -ENOMEM;
	tp->use[tp->n++] = (struct tuse){ .base = base, .ctx = c->idx, .level = level };
	return 0;
}

/* Drop every mapping of guest page 'pfn' for which pick() is true. */
static int drop_mappings(struct shadow *sh, u64 pfn,
			 bool (*pick)(const struct context *c, u64 spte))
{
	struct rmap_head *h = &sh->rmap[pfn];
	int r = 0;

	for (u32 i = 0; i < h->n && !r;) {
		struct context *c = &sh->ctx[h->e[i] & 0xfff];
		u64 gva = h->e[i] & ~0xfffull;
		u64 *slot = spt_slot(c, gva, false);
		if (slot && pick(c, *slot))
			r = ctx_drop(sh, c, gva, gva + 4096);   /* removes h->e[i] */
		else
			i++;
	}
	return r;
}

static bool is_patched(const struct context *c, u64 spte)
{
	return spte & SPTE_PATCHED;
}

/* A kernel context executing the original rather than the patched copy. */
static bool is_unpatched_kernel_code(const struct context *c, u64 spte)
{
	return !c->user && (spte & SPTE_X) && !(spte & SPTE_PATCHED);
}

/* The code of page 'pfn' changed: drop its patched copy and every mapping
 * of it; the next execution scans the page again. */
static int drop_copy(struct shadow *sh, u64 pfn)
{
	int r;

	if (sh->clean)
		sh->clean[pfn] = 0;             /* changed: scan again next time */
	if (!sh->copy || !sh->copy[pfn])
		return 0;
	r = drop_mappings(sh, pfn, is_patched);
	free(sh->sites[pfn]);
	sh->sites[pfn] = NULL;
	sh->copy[pfn] = 0;
	sh->st.copies_dropped++;
	return r;
}

int shadow_untrack(struct shadow *sh, u64 gpa)
{
	u64 pfn = gpa >> 12;
	struct tpage *tp = gpa < sh->ram_size ? sh->tp[pfn] : NULL;
	int r = 0;

	if (!tp)
		return 0;
	if (tp->code)
		r = drop_copy(sh, pfn);
	/* Everything translated through this page goes. */
	for (u32 i = 0; i < tp->n && !r; i++) {
		struct tuse *u = &tp->use[i];
		r = ctx_drop(sh, &sh->ctx[u->ctx], u->base, u->base + 512 * span(u->level));
	}
	sh->tracked[tp->slot] = sh->tracked[--sh->ntracked];
	sh->tp[sh->tracked[tp->slot]]->slot = tp->slot;
	sh->tp[pfn] = NULL;
	sh->st.tracked_now--;
	free(tp->use);
	free(tp);
	return r;
}

/* Give back the write access tracking took from the mappings of guest
 * page 'pfn' (no longer tracked), where a fresh walk in each context
 * allows writing it now (W, and already Dirty, as map_page() would). */
static int write_unprotect(struct shadow *sh, u64 pfn)
{
	const struct vcpu *v = sh->vcpu;
	struct rmap_head *h = &sh->rmap[pfn];
	int r = 0;

	if (!v || shadow_watched(sh, pfn << 12))
		return 0;
	for (u32 i = 0; i < h->n && !r; i++) {
		struct context *c = &sh->ctx[h->e[i] & 0xfff];
		u64 gva = h->e[i] & ~0xfffull;
		u64 *slot = spt_slot(c, gva, false);
		struct gwalk w;
		if (!slot || (*slot & (SPTE_W | SPTE_PATCHED)) ||
		    shadow_walk(sh->ram, sh->ram_size, v->cr0, c->cr3, v->efer, gva, EMU_READ,
				c->user ? 3 : 0, false, &w) != 0 ||
		    (w.gpa >> 12) != pfn || !(walk_prot(c, &w, v->cr0) & PROT_WRITE))
			continue;
		*slot |= SPTE_W;
		if (sh->dirty) {                 /* (viii): writable means logged */
			shadow_mark_dirty(sh, pfn << 12);
			sh->st.dirty_faults++;
		}
		r = ctx_protect(sh->stub, c->pid, gva, 4096,
				PROT_READ | PROT_WRITE | (*slot & SPTE_X ? PROT_EXEC : 0));
	}
	return r;
}

int shadow_release(struct shadow *sh, u64 gpa)
{
	struct tpage *tp = gpa < sh->ram_size ? sh->tp[gpa >> 12] : NULL;
	int r;

	/* Scanned kernel code stays tracked: its tracking is what keeps a
	 * patched copy true to it (part vi), whatever the guest says. */
	if (!tp || tp->code)
		return 0;
	sh->st.released++;
	r = shadow_untrack(sh, gpa);
	return r < 0 ? r : write_unprotect(sh, gpa >> 12);
}

static int map_ahead_walked(struct shadow *sh, struct context *c, u64 gva,
			    const struct gwalk *w, const struct vcpu *v);

/*
 * (iii) The guest wrote entry 'idx' of page table 'pfn' (tracked, 'tp').  A
 * present leaf it has marked accessed (as Linux does for every PTE it
 * makes, and the guest kernel for a page it faults in) is mapped at once in
 * every context that uses the table at level 1, just as the hidden fault
 * on its first use would map it, tables tracked and all: the retry after
 * the guest's page-fault handler then needs no hidden fault, and the
 * mapping waits in the context's queue until that context runs.  Only
 * where a fresh walk in the context still goes through this table.
 */
static int premap(struct shadow *sh, u64 pfn, struct tpage *tp, unsigned idx)
{
	const struct vcpu *v = sh->vcpu;
	u64 gpte;
	int r = 0;

	memcpy(&gpte, sh->ram + (pfn << 12) + idx * 8, 8);
	if (!v || (gpte & (PTE_P | PTE_A)) != (PTE_P | PTE_A))
		return 0;
	for (u32 i = 0; i < tp->n && !r; i++) {
		struct tuse u = tp->use[i];     /* track_use() may move use[] */
		struct context *c = &sh->ctx[u.ctx];
		u64 gva = u.base + idx * 4096ull, *slot;
		struct gwalk w;
		if (u.level != 1 || gva < GUEST_VA_MIN || gva >= GUEST_VA_END ||
		    ((slot = spt_slot(c, gva, false)) && *slot))
			continue;
		if (shadow_walk(sh->ram, sh->ram_size, v->cr0, c->cr3, v->efer, gva, EMU_READ,
				c->user ? 3 : 0, false, &w) != 0 ||
		    w.level != 1 || (w.pte_gpa[0] >> 12) != pfn)
			continue;
		for (int level = 4; level >= 1 && !r; level--)  /* as a fill does */
			r = track_use(sh, c, w.pte_gpa[level - 1] & PTE_ADDR, level,
				      level == 4 ? 0 : gva & ~(512 * span(level) - 1));
		if (!r)
			r = map_ahead_walked(sh, c, gva, &w, v);
		if (r > 0) {
			sh->st.premapped++;
			r = 0;
		}
	}
	return r;
}

int shadow_written(struct shadow *sh, u64 gpa, const u8 *old, unsigned len)
{
	u64 pfn = gpa >> 12;
	struct tpage *tp = sh->tp[pfn];
	const u8 *now = sh->ram + gpa;
	int r = 0;

	if (!tp)
		return 0;
	if (tp->code) {
		for (unsigned off = 0; off + 8 <= len && !r; off += 8)
			if (memcmp(old + off, now + off, 8))
				r = drop_copy(sh, pfn);
		tp->code = false;
		if (r < 0)
			return r;
		if (!tp->n && !tp->code)
			return shadow_untrack(sh, gpa);     /* only code: done */
	}
	sh->st.pt_writes++;
	for (unsigned off = 0; off + 8 <= len; off += 8) {
		if (!memcmp(old + off, now + off, 8))
			continue;
		unsigned idx = ((gpa + off) & 0xfff) / 8;
		sh->st.pt_entries_changed++;
		for (u32 i = 0; i < tp->n && !r; i++) {
			struct tuse *u = &tp->use[i];
			u64 lo = u->base + idx * span(u->level);
			r = ctx_drop(sh, &sh->ctx[u->ctx], lo, lo + span(u->level));
		}
		if (!r)
			r = premap(sh, pfn, tp, idx);
	}
	if (!r && ++tp->writes >= SHADOW_FLOOD_WRITES) {
		sh->st.untracked_flood++;
		r = shadow_untrack(sh, gpa);
	}
	return r;
}

/* ---- (ii) filling ---- */

/* Map 'gva' -> 'gpa' in 'c' with 'prot' (write stripped from tracked pages). */
static int map_page(struct shadow *sh, struct context *c, u64 gva, u64 gpa, int prot)
{
	u64 *slot = spt_slot(c, gva, true);
	int r;

	if (!slot)
		return -ENOMEM;
	gva &= ~0xfffull;
	gpa &= ~0xfffull;
	if (shadow_tracked(sh, gpa) || shadow_watched(sh, gpa))
		prot &= ~PROT_WRITE;
	if (*slot) {
		rmap_del(sh, *slot & PTE_ADDR, c->idx, gva);
		c->mapped--;
	}
	r = rmap_add(sh, gpa, c->idx, gva);
	if (r < 0)
		return r;
	bool patched = !c->user && (prot & PROT_EXEC) && shadow_has_copy(sh, gpa);
	if (patched)
		prot &= ~PROT_WRITE;
	*slot = gpa | SPTE_VALID | (prot & PROT_WRITE ? SPTE_W : 0) | (prot & PROT_EXEC ? SPTE_X : 0) |
		(patched ? SPTE_PATCHED : 0);
	c->mapped++;
	if ((prot & PROT_WRITE) && sh->dirty) {
		shadow_mark_dirty(sh, gpa);
		sh->st.dirty_faults++;
	}
	if (patched)
		return ctx_map_patch(sh->stub, c->pid, gva, (u64)(sh->copy[gpa >> 12] - 1) * 4096, prot);
	return ctx_map(sh->stub, c->pid, gva, gpa, prot);
}

/* Host protections for a walk's result (see the top of the file). */
int walk_prot(const struct context *c, const struct gwalk *w, u64 cr0)
{
	bool may_write = w->writable || (!c->user && !(cr0 & X86_CR0_WP));
	return PROT_READ | (may_write && w->dirty ? PROT_WRITE : 0) | (w->nx ? 0 : PROT_EXEC);
}

/* Map 'gva' in 'c' as the walk 'w' (EMU_READ, no A/D update) allows,
 * ahead of any fault on it (prefetch, and a new entry the guest wrote):
 * only if the leaf was accessed (A=1).  Kernel code not yet scanned for
 * silent-fail instructions is left alone, so that its first execution
 * still faults and is scanned (part vi; mapped without execute, vm.c would
 * take the fetch fault on a present page for a write).  1 if mapped, 0 if
 * not, or -errno. */
static int map_ahead_walked(struct shadow *sh, struct context *c, u64 gva,
			    const struct gwalk *w, const struct vcpu *v)
{
	u64 leaf;

	memcpy(&leaf, sh->ram + w->pte_gpa[w->level - 1], 8);
	if (!(leaf & PTE_A))
		return 0;
	int prot = walk_prot(c, w, v->cr0);
	if (!c->user && (prot & PROT_EXEC) && sh->clean && !shadow_scanned(sh, w->gpa))
		return 0;
	int r = map_page(sh, c, gva, w->gpa, prot);
	return r < 0 ? r : 1;
}

/* map_ahead_walked() after a walk of 'gva' in 'c', if it is not mapped. */
static int map_ahead(struct shadow *sh, struct context *c, u64 gva, const struct vcpu *v)
{
	u64 *slot = spt_slot(c, gva, false);
	struct gwalk w;

	if (slot && *slot)
		return 0;
	if (shadow_walk(sh->ram, sh->ram_size, v->cr0, c->cr3, v->efer, gva, EMU_READ,
			c->user ? 3 : 0, false, &w) != 0)
		return 0;
	return map_ahead_walked(sh, c, gva, &w, v);
}

int shadow_fill(struct shadow *sh, struct context *c, u64 gva, const struct gwalk *w,
		const struct vcpu *v)
{
	int r = 0;

	sh->vcpu = v;
	/* The tables this walk went through, before the page itself (it may
	 * be one of them). */
	for (int level = 4; level >= w->level && !r; level--) {
		u64 base = level == 4 ? 0 : gva & ~(512 * span(level) - 1);
		r = track_use(sh, c, w->pte_gpa[level - 1] & PTE_ADDR, level, base);
		shadow_mark_dirty(sh, w->pte_gpa[level - 1]);   /* its A/D bits (viii) */
	}
	if (!r)
		r = map_page(sh, c, gva, w->gpa, walk_prot(c, w, v->cr0));
	if (r < 0)
		return r;
	sh->st.hidden_faults++;

	/* Prefetch: neighbours in the same last-level table that the guest
	 * has already accessed (A=1), so mapping them early sets no A bit the
	 * hardware would not have set.  In a page table, an entry not present
	 * or not accessed is passed over without a walk; in a large page every
	 * neighbour has the faulting page's leaf, so none needs a walk. */
	u64 page = gva & ~0xfffull;
	const u8 *pt = w->level == 1 ? sh->ram + (w->pte_gpa[0] & ~0xfffull) : NULL;
	for (int d = -sh->prefetch; d <= sh->prefetch; d++) {
		u64 nva = page + (s64)d * 4096;
		if (!d || (nva >> 21) != (page >> 21) || nva < GUEST_VA_MIN || nva >= GUEST_VA_END)
			continue;
		if (pt) {
			u64 gpte;
			memcpy(&gpte, pt + ((nva >> 12) & 511) * 8, 8);
			if ((gpte & (PTE_P | PTE_A)) != (PTE_P | PTE_A))
				continue;
			r = map_ahead(sh, c, nva, v);
		} else {
			u64 *slot = spt_slot(c, nva, false);
			struct gwalk nw = *w;
			nw.gpa = (w->gpa & ~0xfffull) + (nva - page);
			r = slot && *slot ? 0 : map_ahead_walked(sh, c, nva, &nw, v);
		}
		if (r < 0)
			return r;
		sh->st.prefetched += r;
	}
	return 0;
}

/* ---- (vi) scan and patch ---- */

int shadow_patch_init(struct shadow *sh)
{
	sh->patch_fd = memfd_create("trapvisor-patch", MFD_CLOEXEC);
	if (sh->patch_fd < 0 || ftruncate(sh->patch_fd, SHADOW_MAX_COPIES * 4096ull) < 0)
		return -errno;
	sh->patch_mem = mmap(NULL, SHADOW_MAX_COPIES * 4096ull, PROT_READ | PROT_WRITE,
			     MAP_SHARED, sh->patch_fd, 0);
	sh->copy = calloc(sh->npages, sizeof(*sh->copy));
	sh->sites = calloc(sh->npages, sizeof(*sh->sites));
	sh->nsites = calloc(sh->npages, sizeof(*sh->nsites));
	sh->copy_va = calloc(sh->npages, sizeof(*sh->copy_va));
	sh->clean = calloc(sh->npages, 1);
	if (sh->patch_mem == MAP_FAILED || !sh->copy || !sh->sites || !sh->nsites || !sh->copy_va ||
	    !sh->clean) {
		if (sh->patch_mem == MAP_FAILED)
			sh->patch_mem = NULL;
		return -ENOMEM;
	}
	sh->stub->patch_fd = sh->patch_fd;
	return 0;
}

bool shadow_has_copy(const struct shadow *sh, u64 gpa)
{
	return sh->copy && gpa < sh->ram_size && sh->copy[gpa >> 12];
}

bool shadow_scanned(const struct shadow *sh, u64 gpa)
{
	return shadow_has_copy(sh, gpa) || (sh->clean && gpa < sh->ram_size && sh->clean[gpa >> 12]);
}

/* Track page 'gpa' as code: every alias read-only, a write drops what was
 * learnt from scanning it. */
static int track_code(struct shadow *sh, u64 gpa)
{
	int r;
	struct tpage *tp = track_page(sh, gpa >> 12, &r);

	if (!tp)
		return r;
	tp->code = true;
	return 0;
}

int shadow_mark_clean(struct shadow *sh, u64 gpa)
{
	sh->clean[gpa >> 12] = 1;
	return track_code(sh, gpa);
}

int shadow_add_copy(struct shadow *sh, u64 gpa, u64 page_va, const u8 *page,
		    struct patch_site *sites, int n)
{
	u64 pfn = gpa >> 12;

	if (sh->ncopies == SHADOW_MAX_COPIES) {
		free(sites);
		return -ENOSPC;
	}
	memcpy(sh->patch_mem + (u64)sh->ncopies * 4096, page, 4096);
	sh->copy[pfn] = ++sh->ncopies;
	sh->sites[pfn] = sites;
	sh->nsites[pfn] = n;
	sh->copy_va[pfn] = page_va & ~0xfffull;
	sh->st.patch_sites += n;
	/* Track the original: every alias read-only, writes drop the copy. */
	int r = track_code(sh, gpa);
	if (r < 0)
		return r;
	/* Executable mappings of the original made before now must go. */
	return drop_mappings(sh, pfn, is_unpatched_kernel_code);
}

const struct patch_site *shadow_site(const struct shadow *sh, u64 gpa, u64 va)
{
	u64 pfn = gpa >> 12;

	if (!shadow_has_copy(sh, gpa))
		return NULL;
	return patch_lookup(sh->sites[pfn], sh->nsites[pfn], sh->copy_va[pfn] | (va & 0xfff));
}

u8 *shadow_copy_bytes(struct shadow *sh, u64 gpa)
{
	if (!shadow_has_copy(sh, gpa))
		return NULL;
	return sh->patch_mem + (u64)(sh->copy[gpa >> 12] - 1) * 4096;
}

/* ---- (vii) watchpoints ---- */

int shadow_watched(const struct shadow *sh, u64 gpa)
{
	return sh->watch && gpa < sh->ram_size ? sh->watch[gpa >> 12] : 0;
}

int shadow_watch(struct shadow *sh, u64 gpa, int delta)
{
	u64 pfn = gpa >> 12;

	if (gpa >= sh->ram_size)
		return -EINVAL;
	if (!sh->watch && !(sh->watch = calloc(sh->npages, 1)))
		return -ENOMEM;
	int n = sh->watch[pfn] + delta;
	if (n < 0 || n > 255)
		return -EINVAL;
	sh->watch[pfn] = (u8)n;
	return n > 0 && n == delta ? write_protect(sh, pfn) : 0;
}

u64 shadow_spte(const struct context *c, u64 gva)
{
	u64 *slot = spt_slot((struct context *)c, gva, false);

	return slot ? *slot : 0;
}

/* ---- (i) contexts ---- */

int shadow_init(struct shadow *sh, struct stub *stub, u8 *ram, u64 ram_size, int nctx,
		int prefetch)
{
	memset(sh, 0, sizeof(*sh));
	sh->stub = stub;
	sh->ram = ram;
	sh->ram_size = ram_size;
	sh->npages = ram_size >> 12;
	sh->nctx = nctx < 2 ? 2 : nctx > SHADOW_MAX_CONTEXTS ? SHADOW_MAX_CONTEXTS : nctx;
	sh->prefetch = prefetch < 0 ? 0 : prefetch > 511 ? 511 : prefetch;
	for (int i = 0; i < SHADOW_MAX_CONTEXTS; i++)
		sh->ctx[i].idx = i;
	/* Per-page arrays: untouched parts cost no memory (calloc -> mmap). */
	sh->patch_fd = -1;
	sh->rmap = calloc(sh->npages, sizeof(*sh->rmap));
	sh->tp = calloc(sh->npages, sizeof(*sh->tp));
	return sh->rmap && sh->tp ? 0 : -ENOMEM;
}

void shadow_destroy(struct shadow *sh)
{
	for (int i = 0; i < sh->nctx; i++) {
		struct context *c = &sh->ctx[i];
		if (!c->used)
			continue;
		ctx_forget(sh->stub, c->pid);
		host_kill(c->pid);
		if (c->spt)
			spt_clear(sh, c, c->spt, 4, 0, 0, ~0ull);
		spt_free(c->spt, 4);
		c->spt = NULL;
		c->used = false;
	}
	while (sh->ntracked) {
		u64 pfn = sh->tracked[--sh->ntracked];
		free(sh->tp[pfn]->use);
		free(sh->tp[pfn]);
		sh->tp[pfn] = NULL;
	}
	if (sh->rmap)
		for (u64 i = 0; i < sh->npages; i++)
			free(sh->rmap[i].e);
	free(sh->rmap);
	free(sh->tp);
	free(sh->tracked);
	if (sh->sites)
		for (u64 i = 0; i < sh->npages; i++)
			free(sh->sites[i]);
	shadow_dirty_log_stop(sh);
	free(sh->sites);
	free(sh->nsites);
	free(sh->copy);
	free(sh->copy_va);
	free(sh->clean);
	free(sh->watch);
	sh->clean = NULL;
	sh->watch = NULL;
	if (sh->patch_mem)
		munmap(sh->patch_mem, SHADOW_MAX_COPIES * 4096ull);
	if (sh->patch_fd >= 0)
		close(sh->patch_fd);
	sh->sites = NULL;
	sh->copy = NULL;
	sh->patch_mem = NULL;
	sh->patch_fd = -1;
	sh->rmap = NULL;
	sh->tp = NULL;
	sh->tracked = NULL;
	sh->cur = sh->fpu = NULL;
}

/* Forget context 'c' in every tracked page's uses (it is being recycled). */
static void forget_uses(struct shadow *sh, struct context *c)
{
	for (u32 t = 0; t < sh->ntracked; t++) {
		struct tpage *tp = sh->tp[sh->tracked[t]];
		for (u32 i = 0; i < tp->n;)
			if (tp->use[i].ctx == c->idx)
				tp->use[i] = tp->use[--tp->n];
			else
				i++;
	}
}

struct context *shadow_context(struct shadow *sh, u64 cr3, bool user, int *err)
{
	struct context *c, *free_slot = NULL, *lru = NULL;

	cr3 &= PTE_ADDR;
	for (int i = 0; i < sh->nctx; i++) {
		c = &sh->ctx[i];
		if (!c->used) {
			if (!free_slot)
				free_slot = c;
			continue;
		}
		if (c->cr3 == cr3 && c->user == user)
			goto found;
		if (c != sh->cur && (!lru || c->lru < lru->lru))
			lru = c;
	}
	if (free_slot) {
		c = free_slot;
		*err = ctx_spawn(sh->stub, &c->pid);
		if (*err < 0)
			return NULL;
		c->used = true;
		c->mapped = 0;
		sh->st.ctx_built++;
	} else {
		/* Recycle the least recently used process. */
		c = lru;
		*err = ctx_drop(sh, c, GUEST_VA_MIN, GUEST_VA_END);
		if (*err < 0)
			return NULL;
		forget_uses(sh, c);
		sh->st.ctx_reused++;
	}
	c->cr3 = cr3;
	c->user = user;
found:
	c->lru = ++sh->clock;
	return c;
}

/* ---- (iv) full flushes ---- */

int shadow_flush_all(struct shadow *sh)
{
	int r = 0;

	sh->st.full_flushes++;
	for (int i = 0; i < sh->nctx && !r; i++)
		if (sh->ctx[i].used) {
			r = ctx_drop(sh, &sh->ctx[i], GUEST_VA_MIN, GUEST_VA_END);
			forget_uses(sh, &sh->ctx[i]);
		}
	return r;
}

/* ---- (viii) dirty logging ---- */

/* A run of consecutive pages whose write access is being removed, so that
 * one mprotect covers it. */
struct wp_run {
	struct shadow *sh;
	struct context *c;
	u64 lo, hi;              /* [lo, hi): the run, empty if lo == hi */
	bool x;                  /* its pages are executable */
};

static int wp_flush(struct wp_run *r)
{
	int err = 0;

	if (r->hi > r->lo)
		err = ctx_protect(r->sh->stub, r->c->pid, r->lo, r->hi - r->lo,
				  PROT_READ | (r->x ? PROT_EXEC : 0));
	r->lo = r->hi = 0;
	return err;
}

/* Clear W in every spte under n (level 'level', VA region at 'base'). */
static int wp_walk(struct wp_run *r, struct spt_node *n, int level, u64 base)
{
	for (unsigned i = 0; i < 512; i++) {
		u64 va = base + i * span(level);
		int err;
		if (!n->e[i])
			continue;
		if (level > 1) {
			err = wp_walk(r, (struct spt_node *)(uintptr_t)n->e[i], level - 1, va);
		} else if (!(n->e[i] & SPTE_W)) {
			continue;
		} else {
			bool x = n->e[i] & SPTE_X;
			n->e[i] &= ~SPTE_W;
			r->sh->st.wprotects++;
			err = 0;
			if (r->hi != va || r->x != x)
				err = wp_flush(r);
			if (r->hi == r->lo) {
				r->lo = va;
				r->x = x;
			}
			r->hi = va + 4096;
		}
		if (err < 0)
			return err;
	}
	return 0;
}

/* Make every writable mapping of every context read-only. */
static int write_protect_all(struct shadow *sh)
{
	for (int i = 0; i < sh->nctx; i++) {
		struct wp_run r = { .sh = sh, .c = &sh->ctx[i] };
		int err;
		if (!sh->ctx[i].used || !sh->ctx[i].spt)
			continue;
		err = wp_walk(&r, sh->ctx[i].spt, 4, 0);
		if (!err)
			err = wp_flush(&r);
		if (err < 0)
			return err;
	}
	sh->st.dirty_passes++;
	return 0;
}

int shadow_dirty_log_start(struct shadow *sh)
{
	if (!sh->dirty) {
		sh->dirty = calloc((sh->npages + 63) / 64, sizeof(u64));
		if (!sh->dirty)
			return -ENOMEM;
	}
	return write_protect_all(sh);
}

int shadow_dirty_log_sync(struct shadow *sh, u64 *bits)
{
	size_t words = (sh->npages + 63) / 64;

	memcpy(bits, sh->dirty, words * sizeof(u64));
	memset(sh->dirty, 0, words * sizeof(u64));
	return write_protect_all(sh);
}

void shadow_dirty_log_stop(struct shadow *sh)
{
	free(sh->dirty);
	sh->dirty = NULL;
}
