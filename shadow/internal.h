/*
 * What the files of shadow/ share besides shadow.h, the subsystem's public
 * interface: the mirror's slots and the host protections a walk allows
 * (shadow.c), for the checker (check.c).
 */
#ifndef SHADOW_INTERNAL_H
#define SHADOW_INTERNAL_H

#include "shadow.h"

/* Bytes translated by one entry of a level-L table. */
static inline u64 span(int level)
{
	return 1ull << (12 + 9 * (level - 1));
}

/* shadow.c */
/* The level-1 slot for 'gva' in the mirror of 'c', allocating nodes if
 * 'create' (NULL if absent, or on allocation failure). */
u64 *spt_slot(struct context *c, u64 gva, bool create);
/* Host protections (PROT_*) for a walk's result in context 'c'. */
int walk_prot(const struct context *c, const struct gwalk *w, u64 cr0);

#endif
