/*
 * balloc.c: allocating and freeing blocks and inodes in the bitmaps of
 * the block groups, keeping the group descriptors' and the superblock's
 * free counts right (e2fsck compares all three).
 *
 * Blocks: the first free one at or after the goal (the block after the
 * file's last one, so files grow contiguously), in the goal's group, then
 * the groups after it.  Inodes: a directory goes to the next group (after
 * the last directory's) with at least the average number of free inodes,
 * spreading directories as Linux's Orlov allocator roughly does; a file
 * goes to its directory's group, or the next one with room.
 */
#include "ext2.h"

/* Blocks in group g (the last group may be short). */
static u32 group_blocks(struct e2sb *s, u32 g)
{
	u64 left = s->nblocks - s->first_data - (u64)g * s->bpg;

	return left < s->bpg ? (u32)left : s->bpg;
}

/* The first clear bit in bitmap[from..n), or n. */
static u32 find_clear(const u8 *bitmap, u32 from, u32 n)
{
	for (u32 i = from; i < n; i++) {
		if ((i & 7) == 0 && bitmap[i / 8] == 0xff && i + 8 <= n) {
			i += 7;
			continue;
		}
		if (!(bitmap[i / 8] & (1u << (i % 8))))
			return i;
	}
	return n;
}

/* A free block, marked in use, near goal; 0 if the disk is full or its
 * bitmaps cannot be read (-ENOSPC / -EIO for the caller to choose). */
u32 ext2_block_alloc(struct super *sb, u32 goal)
{
	struct e2sb *s = E2(sb);
	u32 g0 = 0, from = 0;

	if (s->sd.s_free_blocks_count == 0)
		return 0;
	if (goal >= s->first_data && goal < s->nblocks) {
		g0 = (goal - s->first_data) / s->bpg;
		from = (goal - s->first_data) % s->bpg;
	}
	for (u32 i = 0; i <= s->ngroups; i++) {
		u32 g = (g0 + i) % s->ngroups, n = group_blocks(s, g), bit;
		struct ext2_gd *gd;
		struct buf *gb = ext2_gd_get(sb, g, &gd), *bb;

		if (!gb)
			return 0;
		if (gd->bg_free_blocks_count == 0 || !(bb = bread(gd->bg_block_bitmap))) {
			brelse(gb);
			from = 0;
			continue;
		}
		bit = find_clear(bb->data, i == 0 ? from : 0, n);
		if (bit == n && i == 0 && from)
			bit = find_clear(bb->data, 0, n);
		if (bit < n) {
			bb->data[bit / 8] |= 1u << (bit % 8);
			bdirty(bb);
			brelse(bb);
			gd->bg_free_blocks_count--;
			bdirty(gb);
			brelse(gb);
			s->sd.s_free_blocks_count--;
			s->dirty = true;
			return s->first_data + g * s->bpg + bit;
		}
		brelse(bb);
		brelse(gb);
		from = 0;
	}
	return 0;
}

void ext2_block_free(struct super *sb, u32 blk)
{
	struct e2sb *s = E2(sb);
	u32 g, bit;
	struct ext2_gd *gd;
	struct buf *gb, *bb;

	if (!ext2_block_ok(sb, blk)) {
		ext2_error(sb, "freeing block %u, outside the file system", blk);
		return;
	}
	g = (blk - s->first_data) / s->bpg;
	bit = (blk - s->first_data) % s->bpg;
	if (!(gb = ext2_gd_get(sb, g, &gd)))
		return;
	if (!(bb = bread(gd->bg_block_bitmap))) {
		brelse(gb);
		return;
	}
	if (!(bb->data[bit / 8] & (1u << (bit % 8)))) {
		ext2_error(sb, "freeing block %u, which is already free", blk);
	} else {
		bb->data[bit / 8] &= ~(1u << (bit % 8));
		bdirty(bb);
		gd->bg_free_blocks_count++;
		bdirty(gb);
		s->sd.s_free_blocks_count++;
		s->dirty = true;
	}
	brelse(bb);
	brelse(gb);
	bforget(blk);
}

/* A free inode number, marked in use (and counted as a directory);
 * 0 if there is none. */
u32 ext2_inode_alloc(struct super *sb, u32 parent_ino, bool dir)
{
	struct e2sb *s = E2(sb);
	u32 g0 = (parent_ino - 1) / s->ipg, avg = s->sd.s_free_inodes_count / s->ngroups;

	if (s->sd.s_free_inodes_count == 0)
		return 0;
	if (dir)
		g0 = (s->last_dir_group + 1) % s->ngroups;
	for (int pass = dir ? 0 : 1; pass < 2; pass++) {
		for (u32 i = 0; i < s->ngroups; i++) {
			u32 g = (g0 + i) % s->ngroups, bit;
			struct ext2_gd *gd;
			struct buf *gb = ext2_gd_get(sb, g, &gd), *ib;

			if (!gb)
				return 0;
			if (gd->bg_free_inodes_count == 0 || (pass == 0 && gd->bg_free_inodes_count < avg) ||
			    !(ib = bread(gd->bg_inode_bitmap))) {
				brelse(gb);
				continue;
			}
			bit = find_clear(ib->data, g == 0 ? s->sd.s_first_ino - 1 : 0, s->ipg);
			if (bit == s->ipg) {
				brelse(ib);
				brelse(gb);
				continue;
			}
			ib->data[bit / 8] |= 1u << (bit % 8);
			bdirty(ib);
			brelse(ib);
			gd->bg_free_inodes_count--;
			if (dir) {
				gd->bg_used_dirs_count++;
				s->last_dir_group = g;
			}
			bdirty(gb);
			brelse(gb);
			s->sd.s_free_inodes_count--;
			s->dirty = true;
			return g * s->ipg + bit + 1;
		}
	}
	return 0;
}

void ext2_inode_free(struct super *sb, u32 ino, bool dir)
{
	struct e2sb *s = E2(sb);
	u32 g = (ino - 1) / s->ipg, bit = (ino - 1) % s->ipg;
	struct ext2_gd *gd;
	struct buf *gb, *ib;

	if (!(gb = ext2_gd_get(sb, g, &gd)))
		return;
	if (!(ib = bread(gd->bg_inode_bitmap))) {
		brelse(gb);
		return;
	}
	if (!(ib->data[bit / 8] & (1u << (bit % 8)))) {
		ext2_error(sb, "freeing inode %u, which is already free", ino);
	} else {
		ib->data[bit / 8] &= ~(1u << (bit % 8));
		bdirty(ib);
		gd->bg_free_inodes_count++;
		if (dir && gd->bg_used_dirs_count)
			gd->bg_used_dirs_count--;
		bdirty(gb);
		s->sd.s_free_inodes_count++;
		s->dirty = true;
	}
	brelse(ib);
	brelse(gb);
}
