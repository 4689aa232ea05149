/*
 * The shadow checker (shadow.c part v, --shadow-check): every mapping of
 * every context, in the monitor's mirror and in the host process
 * (/proc/PID/maps), against a fresh walk of the guest tables.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "shadow.h"
#include "internal.h"

/* Call fn for every spte of 'c'. */
static int spt_walk(struct spt_node *n, int level, u64 base,
		    int (*fn)(void *arg, u64 gva, u64 spte), void *arg)
{
	for (unsigned i = 0; i < 512; i++) {
		u64 va = base + i * span(level);
		int r;
		if (!n->e[i])
			continue;
		if (level == 1)
			r = fn(arg, va, n->e[i]);
		else
			r = spt_walk((struct spt_node *)(uintptr_t)n->e[i], level - 1, va, fn, arg);
		if (r)
			return r;
	}
	return 0;
}

/* ---- (v) the checker ---- */

struct check {
	struct shadow *sh;
	const struct vcpu *v;
	struct context *c;
	char *diff;
	size_t len;
};

static const char *prot_str(u64 spte)
{
	static const char *const s[4] = { "r--", "rw-", "r-x", "rwx" };
	return s[((spte & SPTE_W) ? 1 : 0) | ((spte & SPTE_X) ? 2 : 0)];
}

/* One mirror entry against a fresh walk of the guest tables. */
static int check_spte(void *arg, u64 gva, u64 spte)
{
	struct check *k = arg;
	struct context *c = k->c;
	struct gwalk w;
	const char *why = NULL;
	char buf[160];

	k->sh->st.checked++;
	int r = shadow_walk(k->sh->ram, k->sh->ram_size, k->v->cr0, c->cr3, k->v->efer, gva,
			    EMU_READ, c->user ? 3 : 0, false, &w);
	if (r != 0) {
		snprintf(buf, sizeof(buf), "the guest tables do not map it (#PF error %#x)", w.errcode);
		why = buf;
	} else if ((w.gpa & PTE_ADDR) != (spte & PTE_ADDR)) {
		snprintf(buf, sizeof(buf), "the guest tables map it to GPA %#" PRIx64, (u64)(w.gpa & PTE_ADDR));
		why = buf;
	} else if ((spte & SPTE_W) && !(walk_prot(c, &w, k->v->cr0) & PROT_WRITE)) {
		why = "the guest does not allow writing it (or it is not dirty)";
	} else if ((spte & SPTE_W) && shadow_tracked(k->sh, spte & PTE_ADDR)) {
		why = "it is a tracked page table, yet writable";
	} else if ((spte & SPTE_W) && shadow_watched(k->sh, spte & PTE_ADDR)) {
		why = "the debugger watches it, yet it is writable";
	} else if ((spte & SPTE_X) && w.nx) {
		why = "the guest forbids executing it (NX)";
	}
	if (!why)
		return 0;
	snprintf(k->diff, k->len, "context %d (cr3 %#" PRIx64 ", %s) maps gva %#" PRIx64
		 " -> gpa %#" PRIx64 " %s, but %s", c->idx, c->cr3, c->user ? "user" : "kernel",
		 gva, (u64)(spte & PTE_ADDR), prot_str(spte), why);
	return -1;
}

/* The host process's real mappings against the mirror. */
static int check_host(struct check *k)
{
	struct context *c = k->c;
	char path[64], line[512];
	u64 seen = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", c->pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;                       /* cannot look: not a mismatch */
	while (fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi, off;
		char perm[8];
		if (sscanf(line, "%llx-%llx %7s %llx", &lo, &hi, perm, &off) != 4 ||
		    lo < GUEST_VA_MIN || lo >= GUEST_VA_END)
			continue;
		bool patched = strstr(line, "trapvisor-patch") != NULL;
		for (u64 va = lo; va < hi; va += 4096, off += 4096) {
			u64 *slot = spt_slot(c, va, false);
			u64 gpa = off & PTE_ADDR;
			/* A patched copy: the mirror names the original's GPA. */
			if (patched && slot && (*slot & SPTE_PATCHED) &&
			    k->sh->copy[(*slot & PTE_ADDR) >> 12] == off / 4096 + 1)
				gpa = *slot & PTE_ADDR;
			u64 want = gpa | SPTE_VALID | (perm[1] == 'w' ? SPTE_W : 0) |
				   (perm[2] == 'x' ? SPTE_X : 0) | (patched ? SPTE_PATCHED : 0);
			seen++;
			if (!slot || *slot != want) {
				snprintf(k->diff, k->len, "context %d (pid %d) has gva %#llx -> gpa %#llx %.3s "
					 "in the host, but the mirror says %s", c->idx, c->pid,
					 (unsigned long long)va, (unsigned long long)off, perm,
					 slot && *slot ? prot_str(*slot) : "not mapped");
				fclose(f);
				return -1;
			}
		}
	}
	fclose(f);
	if (seen != c->mapped) {
		snprintf(k->diff, k->len, "context %d (pid %d) has %" PRIu64 " pages mapped in the host, "
			 "the mirror %" PRIu64, c->idx, c->pid, seen, c->mapped);
		return -1;
	}
	return 0;
}

int shadow_check(struct shadow *sh, const struct vcpu *v, char *diff, size_t len)
{
	struct check k = { .sh = sh, .v = v, .diff = diff, .len = len };
	int r = ctx_flush(sh->stub);            /* the host must be up to date */

	if (r < 0) {
		snprintf(diff, len, "a mapping batch failed: %s", strerror(-r));
		return -1;
	}
	sh->st.checks++;
	for (int i = 0; i < sh->nctx; i++) {
		k.c = &sh->ctx[i];
		if (!k.c->used)
			continue;
		if (k.c->spt && spt_walk(k.c->spt, 4, 0, check_spte, &k))
			return -1;
		if (check_host(&k))
			return -1;
	}
	return 0;
}
