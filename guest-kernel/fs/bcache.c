/*
 * bcache.c: the buffer cache between a disk file system (fs/ext2/) and
 * the disk (drivers/blk.c), xv6's bio.c grown up a little.
 *
 * A buffer holds one file-system block (1, 2 or 4 KiB, set when the file
 * system is mounted).  Buffers are found by block number through a hash
 * table and reused least recently used first; their number is bounded
 * (BC_BYTES, at most an eighth of RAM), so the cache never competes with
 * the processes for memory.  Writes stay in the cache (write-back):
 * bcache_sync() writes every dirty buffer, in block order, merging
 * neighbours into one disk request of up to BC_RUN bytes, and so does the
 * eviction that finds the least recently used buffer dirty: writing them
 * all at once costs one request per run instead of one per block.  Reads
 * go one block at a time, or a run at once when the file system knows
 * which blocks come next (bcache_readahead()).
 *
 * There is one disk, so one cache; the kernel never sleeps or is
 * preempted in here (drivers poll), so there are no locks: a reference
 * (bread/brelse) only keeps a buffer from being reused under a caller
 * holding two at once.
 */
#include "defs.h"

#define BC_MAX   4096                   /* buffers at most */
#define BC_BYTES (16ul << 20)           /* their data, at most */
#define BC_HASH  1024
#define BC_RUN   (64ul << 10)           /* bytes in one disk request */

static struct buf bufs[BC_MAX];
static struct buf *dirty_list[BC_MAX];
static u8 run_buf[BC_RUN] __attribute__((aligned(4096)));

static struct {
	u32 bsize;                /* bytes per block; 0: not set up */
	u32 spb;                  /* sectors per block */
	u64 nblocks;              /* blocks on the disk */
	u32 nbuf;
	struct buf *hash[BC_HASH];
	struct buf lru;           /* sentinel: lru.next the most recently used */
	struct bcache_stats st;
} bc;

static struct buf **bucket(u64 blk)
{
	return &bc.hash[(blk * 0x9e3779b1u) % BC_HASH];
}

static void lru_unlink(struct buf *b)
{
	b->prev->next = b->next;
	b->next->prev = b->prev;
}

static void lru_front(struct buf *b)
{
	b->next = bc.lru.next;
	b->prev = &bc.lru;
	bc.lru.next->prev = b;
	bc.lru.next = b;
}

static void hash_remove(struct buf *b)
{
	for (struct buf **pp = bucket(b->blockno); *pp; pp = &(*pp)->hnext)
		if (*pp == b) {
			*pp = b->hnext;
			return;
		}
}

/*
 * Set the cache up for blocks of bsize bytes on the disk: as many buffers
 * as BC_BYTES, an eighth of RAM and BC_MAX allow.  -ENXIO without a disk,
 * -EBUSY if it is in use, -ENOMEM.
 */
int bcache_init(u32 bsize, u64 ram_pages)
{
	u64 bytes = ram_pages * PGSIZE / 8, per_page = PGSIZE / bsize;

	if (bc.bsize)
		return -EBUSY;
	if (!blk_sectors())
		return -ENXIO;
	if (bytes > BC_BYTES)
		bytes = BC_BYTES;
	bc.nbuf = bytes / bsize < BC_MAX ? bytes / bsize : BC_MAX;
	bc.nbuf -= bc.nbuf % per_page;
	bc.lru.next = bc.lru.prev = &bc.lru;
	memset(bc.hash, 0, sizeof(bc.hash));
	for (u32 i = 0; i < bc.nbuf; i++) {
		struct buf *b = &bufs[i];
		if (i % per_page == 0) {
			u64 page = kalloc();
			if (!page) {
				bc.nbuf = i;
				bcache_free();
				return -ENOMEM;
			}
			b->data = phys_to_virt(page);
		} else {
			b->data = bufs[i - 1].data + bsize;
		}
		b->blockno = ~0ul;
		b->ref = 0;
		b->valid = b->dirty = false;
		b->hnext = 0;
		lru_front(b);
	}
	bc.bsize = bsize;
	bc.spb = bsize / ATA_SECTOR_SIZE;
	bc.nblocks = blk_sectors() / bc.spb;
	memset(&bc.st, 0, sizeof(bc.st));
	return 0;
}

/* Give the buffers' memory back (after bcache_sync(): dirty data is lost). */
void bcache_free(void)
{
	u64 per_page = PGSIZE / (bc.bsize ? bc.bsize : PGSIZE);

	for (u32 i = 0; i < bc.nbuf; i += per_page)
		kfree((u64)bufs[i].data - phys_offset);
	bc.nbuf = 0;
	bc.bsize = 0;
}

const struct bcache_stats *bcache_stats(void)
{
	return &bc.st;
}

static int sort_key_less(const struct buf *a, const struct buf *b)
{
	return a->blockno < b->blockno;
}

/* Shell sort of dirty_list[0..n) by block number. */
static void sort_dirty(u32 n)
{
	for (u32 gap = n / 2; gap > 0; gap /= 2)
		for (u32 i = gap; i < n; i++) {
			struct buf *t = dirty_list[i];
			u32 j = i;
			for (; j >= gap && sort_key_less(t, dirty_list[j - gap]); j -= gap)
				dirty_list[j] = dirty_list[j - gap];
			dirty_list[j] = t;
		}
}

/*
 * Write every dirty buffer to the disk, in block order, neighbours merged
 * into one request.  Does not flush the drive's cache (blk_flush()).
 * Returns 0 or the first error; a buffer that failed is dropped from the
 * cache (its data is lost, as Linux loses a page that got EIO) so that a
 * disk refusing writes does not make every later eviction fail again.
 */
int bcache_sync(void)
{
	u32 n = 0, per_run = BC_RUN / bc.bsize;
	int err = 0;

	for (u32 i = 0; i < bc.nbuf; i++)
		if (bufs[i].dirty)
			dirty_list[n++] = &bufs[i];
	sort_dirty(n);
	for (u32 i = 0; i < n;) {
		u32 k = 1;
		int r;
		while (i + k < n && k < per_run &&
		       dirty_list[i + k]->blockno == dirty_list[i]->blockno + k)
			k++;
		if (k == 1) {
			r = blk_rw(dirty_list[i]->blockno * bc.spb, dirty_list[i]->data, bc.spb, true);
		} else {
			for (u32 j = 0; j < k; j++)
				memcpy(run_buf + (u64)j * bc.bsize, dirty_list[i + j]->data, bc.bsize);
			r = blk_rw(dirty_list[i]->blockno * bc.spb, run_buf, k * bc.spb, true);
		}
		bc.st.write_requests++;
		bc.st.blocks_written += k;
		for (u32 j = 0; j < k; j++) {
			struct buf *b = dirty_list[i + j];
			b->dirty = false;
			if (r < 0 && b->ref == 0) {
				hash_remove(b);
				b->valid = false;
				b->blockno = ~0ul;
			}
		}
		if (r < 0 && !err)
			err = r;
		i += k;
	}
	return err;
}

/* A free buffer for blk (referenced, not valid, not hashed yet), the
 * least recently used one; writes the dirty buffers back first if that
 * one is dirty.  0 if every buffer is in use. */
static struct buf *victim(void)
{
	for (int pass = 0; pass < 2; pass++) {
		for (struct buf *b = bc.lru.prev; b != &bc.lru; b = b->prev) {
			if (b->ref)
				continue;
			if (b->dirty) {
				if (pass == 0) {
					bcache_sync();
					break;    /* the list is unchanged: look again */
				}
				continue;
			}
			if (b->blockno != ~0ul)
				hash_remove(b);
			b->valid = false;
			return b;
		}
	}
	return 0;
}

static struct buf *lookup(u64 blk)
{
	for (struct buf *b = *bucket(blk); b; b = b->hnext)
		if (b->blockno == blk)
			return b;
	return 0;
}

/* True if the cache holds blk (valid or being filled). */
bool bcached(u64 blk)
{
	struct buf *b = lookup(blk);

	return b && b->valid;
}

/* The buffer for blk, referenced, most recently used; its data is valid
 * only if b->valid.  0 if blk is past the disk's end or no buffer is free. */
struct buf *bget(u64 blk)
{
	struct buf *b;

	if (blk >= bc.nblocks)
		return 0;
	if (!(b = lookup(blk))) {
		if (!(b = victim()))
			return 0;
		b->blockno = blk;
		b->hnext = *bucket(blk);
		*bucket(blk) = b;
	} else {
		bc.st.hits++;
	}
	b->ref++;
	lru_unlink(b);
	lru_front(b);
	return b;
}

/* The buffer for blk, referenced, its data read from the disk if it was
 * not cached.  0 on an I/O error or a block past the end. */
struct buf *bread(u64 blk)
{
	struct buf *b = bget(blk);

	if (!b || b->valid)
		return b;
	bc.st.read_requests++;
	bc.st.blocks_read++;
	if (blk_rw(blk * bc.spb, b->data, bc.spb, false) < 0) {
		brelse(b);
		return 0;
	}
	b->valid = true;
	return b;
}

/* The buffer for blk filled with zeros, valid and dirty: a block just
 * allocated, whose old contents do not matter. */
struct buf *bzero_get(u64 blk)
{
	struct buf *b = bget(blk);

	if (b) {
		memset(b->data, 0, bc.bsize);
		b->valid = true;
		b->dirty = true;
	}
	return b;
}

void bdirty(struct buf *b)
{
	b->dirty = true;
}

void brelse(struct buf *b)
{
	if (b->ref <= 0)
		panic("brelse: block %lu has no reference", b->blockno);
	b->ref--;
}

/* Block blk was freed: whatever the cache holds of it need not be
 * written (a later allocation gets it zeroed or overwritten whole). */
void bforget(u64 blk)
{
	struct buf *b = lookup(blk);

	if (b && b->ref == 0) {
		b->dirty = false;
		b->valid = false;
		hash_remove(b);
		b->blockno = ~0ul;
	}
}

/*
 * Read the blocks blk, blk + 1, ... (up to n, and as far as none of them
 * is cached) in one disk request, leaving them in the cache: the caller
 * knows they come next in a file.  Best effort: errors show when the
 * blocks are read with bread().
 */
void bcache_readahead(u64 blk, u32 n)
{
	struct buf *got[BC_RUN / 1024];
	u32 k = 0;

	if (n > BC_RUN / bc.bsize)
		n = BC_RUN / bc.bsize;
	if (n > bc.nbuf / 4)
		n = bc.nbuf / 4;
	while (k < n && blk + k < bc.nblocks && !lookup(blk + k)) {
		if (!(got[k] = bget(blk + k)))
			break;
		k++;
	}
	if (k <= 1) {
		/* One block: bread() reads it straight into its buffer. */
		if (k == 1)
			brelse(got[0]);
		return;
	}
	bc.st.read_requests++;
	bc.st.blocks_read += k;
	if (blk_rw(blk * bc.spb, run_buf, k * bc.spb, false) == 0) {
		for (u32 j = 0; j < k; j++) {
			memcpy(got[j]->data, run_buf + (u64)j * bc.bsize, bc.bsize);
			got[j]->valid = true;
		}
	}
	for (u32 j = 0; j < k; j++)
		brelse(got[j]);
}
