/*
 * Shadow address spaces.  Parts, in the order a student meets them:
 *  (i)   contexts: one host process per (guest CR3, kernel|user); a bounded
 *        pool, least-recently-used one recycled (its process is kept and
 *        emptied, which is much cheaper than a new one);
 *  (ii)  hidden faults: the vCPU loop walks the guest tables (walk.c) for a
 *        host fault and, when the guest allows the access, shadow_map()
 *        maps the page into the context: the guest never sees the fault;
 *  (iii) flushes: the shadow behaves like a TLB that is never wrong about
 *        pages it has not cached.  A CR3 load empties the contexts of that
 *        CR3 and INVLPG drops one page, so a guest that follows the
 *        architecture's TLB rules always sees its current tables.  Keeping
 *        contexts coherent across switches (write-protecting guest page
 *        tables) is the next step, see docs/ARCHITECTURE.md.
 *
 * Host protections: read always; write only when the guest allows it and
 * the leaf's Dirty bit is already set (so the first write faults and sets
 * D, as the hardware would); exec unless the guest has NX.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "shadow.h"

void shadow_init(struct shadow *sh, struct stub *stub, u8 *ram, u64 ram_size, int nctx)
{
	memset(sh, 0, sizeof(*sh));
	sh->stub = stub;
	sh->ram = ram;
	sh->ram_size = ram_size;
	sh->nctx = nctx < 2 ? 2 : nctx > SHADOW_MAX_CONTEXTS ? SHADOW_MAX_CONTEXTS : nctx;
}

void shadow_destroy(struct shadow *sh)
{
	for (int i = 0; i < sh->nctx; i++)
		if (sh->ctx[i].used)
			host_kill(sh->ctx[i].pid);
	memset(sh->ctx, 0, sizeof(sh->ctx));
	sh->cur = sh->fpu = NULL;
}

/* Empty a context: one munmap over the whole guest window. */
static int ctx_empty(struct shadow *sh, struct context *c)
{
	if (!c->mapped)
		return 0;
	c->mapped = 0;
	return ctx_unmap(sh->stub, c->pid, GUEST_VA_MIN, GUEST_VA_END - GUEST_VA_MIN);
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
		*err = ctx_empty(sh, c);
		if (*err < 0)
			return NULL;
		sh->st.ctx_reused++;
	}
	c->cr3 = cr3;
	c->user = user;
found:
	c->lru = ++sh->clock;
	return c;
}

int shadow_flush_cr3(struct shadow *sh, u64 cr3)
{
	int r = 0;

	cr3 &= PTE_ADDR;
	sh->st.flushes++;
	for (int i = 0; i < sh->nctx && !r; i++)
		if (sh->ctx[i].used && sh->ctx[i].cr3 == cr3)
			r = ctx_empty(sh, &sh->ctx[i]);
	return r;
}

int shadow_invlpg(struct shadow *sh, u64 cr3, u64 gva)
{
	int r = 0;

	cr3 &= PTE_ADDR;
	gva &= ~0xfffull;
	sh->st.invlpgs++;
	if (gva < GUEST_VA_MIN || gva >= GUEST_VA_END)
		return 0;
	for (int i = 0; i < sh->nctx && !r; i++)
		if (sh->ctx[i].used && sh->ctx[i].cr3 == cr3 && sh->ctx[i].mapped)
			r = ctx_unmap(sh->stub, sh->ctx[i].pid, gva, 4096);
	return r;
}

int shadow_map(struct shadow *sh, struct context *ctx, u64 gva, const struct gwalk *w,
	       u64 cr0)
{
	bool may_write = w->writable || (!ctx->user && !(cr0 & X86_CR0_WP));
	int prot = PROT_READ;

	if (may_write && w->dirty)
		prot |= PROT_WRITE;
	if (!w->nx)
		prot |= PROT_EXEC;
	ctx->mapped++;
	sh->st.hidden_faults++;
	return ctx_map(sh->stub, ctx->pid, gva & ~0xfffull, w->gpa & ~0xfffull, prot);
}
