/*
 * kmalloc.c: small kernel objects (inodes, directory entries, open files,
 * pipes), carved from pages of the page allocator (kalloc.c).
 *
 * Sizes are rounded up to a power of two from 32 bytes to a whole page;
 * each size has a free list, refilled one page at a time.  A 16-byte header
 * in front of every object remembers its size class, so kfree_obj() needs
 * only the pointer.  Pages are not given back to kalloc(): the objects are
 * few and long-lived next to the user pages, and keeping the pages makes
 * this a dozen lines.  Objects come back zeroed.
 */
#include "defs.h"

#define MIN_SHIFT 5                    /* 32 bytes */
#define NCLASS    (12 - MIN_SHIFT + 1) /* 32 .. 4096 */

struct obj_header {
	u32 class;
	u32 magic;                          /* catches kfree_obj() of a stray pointer */
	u64 next;                           /* free: the next free object of the class */
};
#define OBJ_MAGIC 0x6b6d616c               /* "kmal" */

static struct obj_header *freelist[NCLASS];

/* The class of an object of n bytes with its header, or -1 if too big. */
static int size_class(u64 n)
{
	n += sizeof(struct obj_header);
	for (int c = 0; c < NCLASS; c++)
		if (n <= (1ul << (MIN_SHIFT + c)))
			return c;
	return -1;
}

/* Cut a fresh page into free objects of class c.  False when out of memory. */
static bool refill(int c)
{
	u64 page = kalloc();
	u64 size = 1ul << (MIN_SHIFT + c);

	if (!page)
		return false;
	for (u64 off = 0; off + size <= PGSIZE; off += size) {
		struct obj_header *h = (struct obj_header *)((u8 *)phys_to_virt(page) + off);
		h->class = c;
		h->next = (u64)freelist[c];
		freelist[c] = h;
	}
	return true;
}

/* A zeroed object of n bytes (at most a page less its header), or 0. */
void *kmalloc(u64 n)
{
	int c = size_class(n);
	struct obj_header *h;

	if (c < 0)
		panic("kmalloc: %lu bytes is more than a page", n);
	if (!freelist[c] && !refill(c))
		return 0;
	h = freelist[c];
	freelist[c] = (struct obj_header *)h->next;
	h->magic = OBJ_MAGIC;
	h->next = 0;
	memset(h + 1, 0, (1ul << (MIN_SHIFT + c)) - sizeof(*h));
	return h + 1;
}

void kfree_obj(void *p)
{
	struct obj_header *h;

	if (!p)
		return;
	h = (struct obj_header *)p - 1;
	if (h->magic != OBJ_MAGIC || h->class >= NCLASS)
		panic("kfree_obj: %p was not allocated by kmalloc", p);
	h->magic = 0;
	h->next = (u64)freelist[h->class];
	freelist[h->class] = h;
}

/* A kmalloc'ed copy of the string s, or 0. */
char *kstrdup(const char *s)
{
	u64 n = strlen(s) + 1;
	char *d = kmalloc(n);

	if (d)
		memcpy(d, s, n);
	return d;
}
