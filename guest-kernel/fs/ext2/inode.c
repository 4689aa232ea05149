/*
 * inode.c: ext2 inodes: reading and writing them in the inode tables, the
 * block map, file data, truncation, and the inodes kept in memory.
 *
 * An inode's data blocks are found through i_block[15]: 12 direct block
 * numbers, then a single, a double and a triple indirect block, each
 * indirect block a table of bsize / 4 block numbers; a 0 anywhere is a
 * hole, which reads as zeros (a sparse file).  Writing into a hole
 * allocates the block (and the indirect blocks on its way), near the
 * file's previous block.  i_blocks counts every block the inode owns,
 * indirect ones included, in 512-byte units.  A symbolic link's target
 * shorter than 60 bytes lives in i_block itself (a "fast" symlink).
 *
 * In memory an inode is the VFS's struct inode plus a struct e2inode
 * (ext2.h) with the block map and a copy of what the disk holds; the
 * VFS changes the attributes directly (chmod, utimensat, write), and
 * ext2_write_inode(), called at every sync, writes the inodes whose
 * on-disk form changed.  Inodes stay in memory, by number: directories
 * until the file system is unmounted (the VFS's parent pointers, for
 * "..", stay valid), other files while in use, and unused ones until more
 * than ICACHE_KEEP are in memory (ext2_drop()).
 */
#include "ext2.h"

#define IHASH(ino) ((ino) % 256)

/* Where inode ino is on the disk: its block and byte offset. */
static int inode_place(struct super *sb, u32 ino, u32 *blk, u32 *off)
{
	struct e2sb *s = E2(sb);
	u32 g = (ino - 1) / s->ipg, idx = (ino - 1) % s->ipg;
	struct ext2_gd *gd;
	struct buf *b = ext2_gd_get(sb, g, &gd);

	if (!b)
		return -EIO;
	*blk = gd->bg_inode_table + (u64)idx * s->isize / s->bsize;
	*off = (u64)idx * s->isize % s->bsize;
	brelse(b);
	return 0;
}

/* How many bytes of struct ext2_inode_disk this file system stores. */
static u32 disk_len(struct e2sb *s)
{
	return s->isize >= sizeof(struct ext2_inode_disk) ? sizeof(struct ext2_inode_disk)
							  : EXT2_GOOD_OLD_INODE_SIZE;
}

/* Is field [at, at + 4) of the large inode present (i_extra_isize)? */
static bool extra_has(const struct ext2_inode_disk *d, u32 len, u32 at)
{
	return len > EXT2_GOOD_OLD_INODE_SIZE && at + 4 <= EXT2_GOOD_OLD_INODE_SIZE + (u32)d->i_extra_isize;
}

#define EXTRA_AT(field) ((u32)__builtin_offsetof(struct ext2_inode_disk, field))

static struct timespec time_in(u32 sec, u32 extra, bool has_extra)
{
	struct timespec t = { .tv_sec = (s32)sec, .tv_nsec = 0 };

	if (has_extra) {
		t.tv_sec += (s64)(extra & 3) << 32;
		t.tv_nsec = extra >> 2;
		if (t.tv_nsec >= 1000000000)
			t.tv_nsec = 0;
	}
	return t;
}

static u32 time_extra(struct timespec t)
{
	return (u32)(((u64)(t.tv_sec - (s32)t.tv_sec) >> 32) & 3) | (u32)(t.tv_nsec << 2);
}

/* Is the symbolic link ip's target in i_block (Linux's rule: it owns no
 * block but its extended-attribute block)? */
static bool fast_symlink(struct inode *ip)
{
	struct e2inode *ei = EI(ip);
	u32 ea = ei->file_acl ? E2(ip->sb)->bsize / 512 : 0;

	return S_ISLNK(ip->mode) && ei->blocks == ea;
}

void ext2_set_ops(struct inode *ip)
{
	if (S_ISDIR(ip->mode)) {
		ip->op = &ext2_dir_iops;
		ip->fop = &ext2_dir_fops;
	} else if (S_ISREG(ip->mode) || S_ISLNK(ip->mode)) {
		ip->op = &ext2_file_iops;
		ip->fop = &ext2_file_fops;
	} else {
		ip->op = &ext2_special_iops;   /* devices, FIFOs, sockets: open() finds their ops */
		ip->fop = 0;
	}
}

static void hash_insert(struct super *sb, struct inode *ip)
{
	struct e2sb *s = E2(sb);

	EI(ip)->hnext = s->ihash[IHASH(ip->ino)];
	s->ihash[IHASH(ip->ino)] = ip;
	s->ninodes++;
}

static void hash_remove(struct super *sb, struct inode *ip)
{
	struct e2sb *s = E2(sb);

	for (struct inode **pp = &s->ihash[IHASH(ip->ino)]; *pp; pp = &EI(*pp)->hnext)
		if (*pp == ip) {
			*pp = EI(ip)->hnext;
			s->ninodes--;
			return;
		}
}

/* An in-memory inode ino with no attributes yet (referenced). */
static struct inode *alloc_inode(struct super *sb, u32 ino, u32 mode)
{
	struct inode *ip = inode_new(sb, mode);

	if (!ip)
		return 0;
	if (!(ip->data = kmalloc(sizeof(struct e2inode)))) {
		kfree_obj(ip);
		return 0;
	}
	ip->ino = ino;
	return ip;
}

/* Fill the VFS inode from the disk's form in EI(ip)->disk. */
static void inode_from_disk(struct inode *ip, u32 len)
{
	struct e2inode *ei = EI(ip);
	struct ext2_inode_disk *d = &ei->disk;

	ip->mode = d->i_mode;
	ip->nlink = d->i_links_count;
	ip->uid = d->i_uid | (u32)d->i_uid_high << 16;
	ip->gid = d->i_gid | (u32)d->i_gid_high << 16;
	ip->size = d->i_size | (S_ISREG(ip->mode) ? (u64)d->i_size_high << 32 : 0);
	ip->atime = time_in(d->i_atime, d->i_atime_extra, extra_has(d, len, EXTRA_AT(i_atime_extra)));
	ip->mtime = time_in(d->i_mtime, d->i_mtime_extra, extra_has(d, len, EXTRA_AT(i_mtime_extra)));
	ip->ctime = time_in(d->i_ctime, d->i_ctime_extra, extra_has(d, len, EXTRA_AT(i_ctime_extra)));
	memcpy(ei->block, d->i_block, sizeof(ei->block));
	ei->flags = d->i_flags;
	ei->blocks = d->i_blocks;
	ei->file_acl = d->i_file_acl;
	ei->generation = d->i_generation;
	ei->dtime = d->i_dtime;
	if (S_ISCHR(ip->mode) || S_ISBLK(ip->mode)) {
		/* Old encoding in i_block[0] (8-bit major and minor), else
		 * Linux's new one in i_block[1]. */
		u32 b0 = d->i_block[0], b1 = d->i_block[1];
		u32 major = b0 ? (b0 >> 8) & 0xff : (b1 >> 8) & 0xfff;
		u32 minor = b0 ? b0 & 0xff : (b1 & 0xff) | ((b1 >> 12) & 0xfff00);
		ip->rdev = DEV(major, minor);
	}
	ext2_set_ops(ip);
}

/*
 * The in-memory inode ino of sb (referenced), read from its table if it
 * is not in memory yet.  -EIO for a number out of range, a table that
 * cannot be read, or an inode this code cannot use (extents, inline data),
 * each with a console line.
 */
int ext2_iget(struct super *sb, u32 ino, struct inode **out)
{
	struct e2sb *s = E2(sb);
	u32 blk, off, len = disk_len(s);
	struct inode *ip;
	struct buf *b;

	for (ip = s->ihash[IHASH(ino)]; ip; ip = EI(ip)->hnext)
		if (ip->ino == ino) {
			*out = iget(ip);
			return 0;
		}
	if (ino < 1 || ino > s->sd.s_inodes_count) {
		ext2_error(sb, "inode number %u is out of range (1 to %u)", ino, s->sd.s_inodes_count);
		return -EIO;
	}
	if (inode_place(sb, ino, &blk, &off) < 0 || !(b = bread(blk)))
		return -EIO;
	if (!(ip = alloc_inode(sb, ino, 0))) {
		brelse(b);
		return -ENOMEM;
	}
	memcpy(&EI(ip)->disk, b->data + off, len);
	brelse(b);
	if (EI(ip)->disk.i_flags & (EXT2_EXTENTS_FL | EXT2_INLINE_DATA_FL)) {
		ext2_error(sb, "inode %u uses %s, which ext2 does not have", ino,
			   EI(ip)->disk.i_flags & EXT2_EXTENTS_FL ? "extents" : "inline data");
		kfree_obj(ip->data);
		kfree_obj(ip);
		return -EIO;
	}
	inode_from_disk(ip, len);
	hash_insert(sb, ip);
	*out = ip;
	return 0;
}

/* A new in-memory inode for the number ino just allocated (referenced,
 * nlink 0, timestamps now): the caller links it. */
struct inode *ext2_inew(struct super *sb, u32 ino, u32 mode)
{
	struct e2sb *s = E2(sb);
	struct inode *ip = alloc_inode(sb, ino, mode);
	struct e2inode *ei;

	if (!ip)
		return 0;
	ei = EI(ip);
	ei->generation = (u32)random_u64();
	ei->goal = s->first_data + (ino - 1) / s->ipg * s->bpg;
	/* The disk copy stays zero but for the extra size: every field is
	 * then written at the next sync. */
	if (disk_len(s) > EXT2_GOOD_OLD_INODE_SIZE)
		ei->disk.i_extra_isize = 32;      /* Linux's sizeof(struct ext4_inode) - 128 */
	ext2_set_ops(ip);
	hash_insert(sb, ip);
	return ip;
}

/* Write ip's on-disk form into its inode table block in the cache, if it
 * differs from what the disk holds. */
int ext2_write_inode(struct inode *ip)
{
	struct super *sb = ip->sb;
	struct e2sb *s = E2(sb);
	struct e2inode *ei = EI(ip);
	struct ext2_inode_disk d = ei->disk;
	u32 len = disk_len(s), blk, off;
	struct buf *b;

	if (sb->rdonly)
		return 0;
	d.i_mode = ip->mode;
	d.i_uid = ip->uid & 0xffff;
	d.i_uid_high = ip->uid >> 16;
	d.i_gid = ip->gid & 0xffff;
	d.i_gid_high = ip->gid >> 16;
	d.i_size = (u32)ip->size;
	if (S_ISREG(ip->mode))
		d.i_size_high = ip->size >> 32;
	d.i_atime = (u32)ip->atime.tv_sec;
	d.i_mtime = (u32)ip->mtime.tv_sec;
	d.i_ctime = (u32)ip->ctime.tv_sec;
	if (extra_has(&d, len, EXTRA_AT(i_ctime_extra)))
		d.i_ctime_extra = time_extra(ip->ctime);
	if (extra_has(&d, len, EXTRA_AT(i_mtime_extra)))
		d.i_mtime_extra = time_extra(ip->mtime);
	if (extra_has(&d, len, EXTRA_AT(i_atime_extra)))
		d.i_atime_extra = time_extra(ip->atime);
	d.i_dtime = ei->dtime;
	d.i_links_count = ip->nlink;
	d.i_blocks = ei->blocks;
	d.i_flags = ei->flags;
	d.i_generation = ei->generation;
	d.i_file_acl = ei->file_acl;
	if (S_ISCHR(ip->mode) || S_ISBLK(ip->mode)) {
		u32 major = ip->rdev >> 8, minor = ip->rdev & 0xff;
		memset(d.i_block, 0, sizeof(d.i_block));
		d.i_block[0] = major << 8 | minor;   /* the old encoding: DEV() has 8-bit minors */
	} else {
		memcpy(d.i_block, ei->block, sizeof(d.i_block));
	}
	if (memcmp(&d, &ei->disk, len) == 0)
		return 0;
	if (inode_place(sb, ip->ino, &blk, &off) < 0 || !(b = bread(blk)))
		return -EIO;
	memcpy(b->data + off, &d, len);
	if (len > EXT2_GOOD_OLD_INODE_SIZE && ei->disk.i_mode == 0 && ei->disk.i_links_count == 0)
		memset(b->data + off + len, 0, s->isize - len);   /* a new inode: no stale extra bytes */
	bdirty(b);
	brelse(b);
	ei->disk = d;
	return 0;
}

/* ---- The block map ---- */

/* The block a hole's new block should go near: after the file's last. */
static u32 new_block(struct inode *ip, bool *fresh)
{
	struct e2inode *ei = EI(ip);
	u32 blk = ext2_block_alloc(ip->sb, ei->goal);

	if (blk) {
		ei->goal = blk + 1;
		ei->blocks += E2(ip->sb)->bsize / 512;
		*fresh = true;
	}
	return blk;
}

/*
 * The disk block holding logical block lblk of ip into *pblk (0: a hole).
 * With alloc, a hole gets a block (and its indirect blocks, zeroed), and
 * *fresh says whether it is new (its old contents are garbage).  -EFBIG
 * beyond the triple indirect block, -ENOSPC, -EIO (a block number outside
 * the file system: a console line).
 */
static int bmap(struct inode *ip, u64 lblk, bool alloc, u32 *pblk, bool *fresh)
{
	struct super *sb = ip->sb;
	struct e2inode *ei = EI(ip);
	u64 apb = E2(sb)->apb;
	u32 offs[3], depth, *slot, blk;
	struct buf *b = 0;

	*fresh = false;
	if (lblk < EXT2_NDIR_BLOCKS) {
		depth = 0;
		slot = &ei->block[lblk];
	} else if ((lblk -= EXT2_NDIR_BLOCKS) < apb) {
		depth = 1;
		slot = &ei->block[EXT2_IND_BLOCK];
		offs[0] = lblk;
	} else if ((lblk -= apb) < apb * apb) {
		depth = 2;
		slot = &ei->block[EXT2_DIND_BLOCK];
		offs[0] = lblk / apb, offs[1] = lblk % apb;
	} else if ((lblk -= apb * apb) < apb * apb * apb) {
		depth = 3;
		slot = &ei->block[EXT2_TIND_BLOCK];
		offs[0] = lblk / (apb * apb), offs[1] = lblk / apb % apb, offs[2] = lblk % apb;
	} else {
		return -EFBIG;
	}
	for (u32 level = 0;; level++) {
		bool made = false;
		blk = *slot;
		if (blk && !ext2_block_ok(sb, blk)) {
			if (b)
				brelse(b);
			ext2_error(sb, "inode %lu: block %u is outside the file system", ip->ino, blk);
			return -EIO;
		}
		if (!blk) {
			if (!alloc) {
				if (b)
					brelse(b);
				*pblk = 0;
				return 0;
			}
			if (!(blk = new_block(ip, &made))) {
				if (b)
					brelse(b);
				return -ENOSPC;
			}
			*slot = blk;
			if (b)
				bdirty(b);
		}
		if (b)
			brelse(b);
		b = 0;
		if (level == depth) {
			*fresh = made;
			*pblk = blk;
			return 0;
		}
		/* An indirect block: a new one starts as zeros. */
		b = made ? bzero_get(blk) : bread(blk);
		if (!b)
			return -EIO;
		slot = (u32 *)b->data + offs[level];
	}
}

int ext2_bmap(struct inode *ip, u64 lblk, bool alloc, u32 *pblk)
{
	bool fresh;

	return bmap(ip, lblk, alloc, pblk, &fresh);
}

/* The largest size a file may have: what the block map and i_blocks reach. */
static u64 max_size(struct e2sb *s)
{
	u64 apb = s->apb, blocks = EXT2_NDIR_BLOCKS + apb + apb * apb + apb * apb * apb;
	u64 limit = blocks * s->bsize, iblocks = (1ull << 41) - s->bsize;   /* i_blocks: 2^32 sectors */

	return limit < iblocks ? limit : iblocks;
}

/* ---- File data ---- */

/* Read the blocks after pblk that come next in the file in one request,
 * when they are on the disk in a row and not cached. */
static void readahead(struct inode *ip, u64 lblk, u32 pblk)
{
	u32 bsize = E2(ip->sb)->bsize, n = 1, want = (64u << 10) / bsize;
	u64 last = (ip->size + bsize - 1) / bsize;

	while (n < want && lblk + n < last) {
		u32 next;
		if (ext2_bmap(ip, lblk + n, false, &next) < 0 || next != pblk + n)
			break;
		n++;
	}
	if (n > 1)
		bcache_readahead(pblk, n);
}

s64 ext2_read(struct inode *ip, void *buf, u64 off, u64 n)
{
	u32 bsize = E2(ip->sb)->bsize;
	u64 done = 0;

	if (off >= ip->size)
		return 0;
	if (n > ip->size - off)
		n = ip->size - off;
	if (fast_symlink(ip)) {
		if (off + n > sizeof(EI(ip)->block))
			return -EIO;
		memcpy(buf, (u8 *)EI(ip)->block + off, n);
		return n;
	}
	while (done < n) {
		u64 lblk = (off + done) / bsize, o = (off + done) % bsize, len = bsize - o;
		u32 pblk;
		int r;
		if (len > n - done)
			len = n - done;
		if ((r = ext2_bmap(ip, lblk, false, &pblk)) < 0)
			return done ? (s64)done : r;
		if (pblk) {
			struct buf *b;
			if (!bcached(pblk))
				readahead(ip, lblk, pblk);
			if (!(b = bread(pblk)))
				return done ? (s64)done : -EIO;
			memcpy((u8 *)buf + done, b->data + o, len);
			brelse(b);
		} else {
			memset((u8 *)buf + done, 0, len);
		}
		done += len;
	}
	return done;
}

s64 ext2_write(struct inode *ip, const void *buf, u64 off, u64 n)
{
	struct super *sb = ip->sb;
	struct e2sb *s = E2(sb);
	u32 bsize = s->bsize;
	u64 done = 0, limit = max_size(s);
	int r = 0;

	if (sb->rdonly)
		return -EROFS;
	if (off >= limit)
		return n ? -EFBIG : 0;
	if (n > limit - off)
		n = limit - off;
	if (S_ISLNK(ip->mode) && off == 0 && ip->size == 0 && n < EXT2_FAST_LINK_MAX &&
	    EI(ip)->blocks == 0) {
		memcpy(EI(ip)->block, buf, n);
		ip->size = n;
		return n;
	}
	while (done < n) {
		u64 lblk = (off + done) / bsize, o = (off + done) % bsize, len = bsize - o;
		u32 pblk;
		bool fresh;
		struct buf *b;
		if (len > n - done)
			len = n - done;
		if ((r = bmap(ip, lblk, true, &pblk, &fresh)) < 0)
			break;
		if (fresh)
			b = bzero_get(pblk);
		else if (len == bsize && (b = bget(pblk)))
			b->valid = true;          /* overwritten whole: no need to read it */
		else
			b = bread(pblk);
		if (!b) {
			r = -EIO;
			break;
		}
		memcpy(b->data + o, (const u8 *)buf + done, len);
		bdirty(b);
		brelse(b);
		done += len;
	}
	if (off + done > ip->size) {
		ip->size = off + done;
		if (ip->size > 0x7fffffffu && !(s->sd.s_feature_ro_compat & EXT2_RO_COMPAT_LARGE_FILE)) {
			s->sd.s_feature_ro_compat |= EXT2_RO_COMPAT_LARGE_FILE;
			s->dirty = true;
		}
	}
	return done ? (s64)done : r;
}

/* ---- Truncation ---- */

/* Free the block in *slot (depth levels of indirect blocks above the
 * data) for the logical blocks [first, first + span) that lie at or
 * beyond keep; the block itself goes if none of its range is kept. */
static void free_branch(struct inode *ip, u32 *slot, u32 depth, u64 first, u64 span, u64 keep)
{
	struct super *sb = ip->sb;
	u32 apb = E2(sb)->apb;
	struct buf *b;

	if (!*slot || first + span <= keep)
		return;
	if (!ext2_block_ok(sb, *slot)) {
		ext2_error(sb, "inode %lu: block %u is outside the file system", ip->ino, *slot);
		*slot = 0;
		return;
	}
	if (depth > 0 && (b = bread(*slot))) {
		u32 *tab = (u32 *)b->data;
		u64 sub = span / apb;
		bool changed = false;
		for (u32 j = 0; j < apb; j++) {
			u32 was = tab[j];
			free_branch(ip, &tab[j], depth - 1, first + j * sub, sub, keep);
			changed |= was != tab[j];
		}
		if (changed)
			bdirty(b);
		brelse(b);
	}
	if (first >= keep) {
		ext2_block_free(sb, *slot);
		EI(ip)->blocks -= E2(sb)->bsize / 512;
		*slot = 0;
	}
}

/* Free every block of ip from logical block keep on. */
static void free_from(struct inode *ip, u64 keep)
{
	struct e2inode *ei = EI(ip);
	u64 apb = E2(ip->sb)->apb;

	for (u64 i = keep; i < EXT2_NDIR_BLOCKS; i++)
		free_branch(ip, &ei->block[i], 0, i, 1, keep);
	free_branch(ip, &ei->block[EXT2_IND_BLOCK], 1, EXT2_NDIR_BLOCKS, apb, keep);
	free_branch(ip, &ei->block[EXT2_DIND_BLOCK], 2, EXT2_NDIR_BLOCKS + apb, apb * apb, keep);
	free_branch(ip, &ei->block[EXT2_TIND_BLOCK], 3, EXT2_NDIR_BLOCKS + apb + apb * apb,
		    apb * apb * apb, keep);
	if (keep == 0)
		ei->goal = 0;
}

int ext2_truncate(struct inode *ip, u64 size)
{
	struct e2sb *s = E2(ip->sb);
	u32 bsize = s->bsize;

	if (ip->sb->rdonly)
		return -EROFS;
	if (size > max_size(s))
		return -EFBIG;
	if (fast_symlink(ip)) {
		if (size < ip->size)
			memset((u8 *)EI(ip)->block + size, 0, sizeof(EI(ip)->block) - size);
	} else if (size < ip->size) {
		u32 pblk;
		free_from(ip, (size + bsize - 1) / bsize);
		/* Zero the tail of the last block kept: a later extension
		 * must read zeros there. */
		if (size % bsize && ext2_bmap(ip, size / bsize, false, &pblk) == 0 && pblk) {
			struct buf *b = bread(pblk);
			if (b) {
				memset(b->data + size % bsize, 0, bsize - size % bsize);
				bdirty(b);
				brelse(b);
			}
		}
	}
	ip->size = size;
	return 0;
}

/* ip has no name and no user left: free its blocks and its inode, as
 * Linux's ext2_evict_inode() does (links 0, dtime set). */
static void release_on_disk(struct inode *ip)
{
	struct e2inode *ei = EI(ip);

	if (ip->sb->rdonly || ip->nlink != 0 || ei->dtime)
		return;
	if (S_ISREG(ip->mode) || S_ISDIR(ip->mode) || (S_ISLNK(ip->mode) && !fast_symlink(ip)))
		free_from(ip, 0);
	ip->size = 0;
	ei->dtime = fs_now().tv_sec;
	ext2_write_inode(ip);
	ext2_inode_free(ip->sb, ip->ino, S_ISDIR(ip->mode));
}

/* The VFS lets go of ip (no name and no user, or both it and its file
 * system are going): free it on the disk if unlinked, then in memory. */
void ext2_evict(struct inode *ip)
{
	struct super *sb = ip->sb;

	release_on_disk(ip);
	hash_remove(sb, ip);
	kfree_obj(ip->data);
	ip->data = 0;
}

/*
 * The last user of ip let go, and it has a name: forget it once more than
 * ICACHE_KEEP inodes are in memory, so that a walk over a large tree does
 * not keep every inode.  Only files, links and devices: a directory stays,
 * as the VFS's parent pointers (for "..") point at directories without a
 * reference.  Its on-disk form goes to the buffer cache first.
 */
#define ICACHE_KEEP 2048
static bool ext2_drop(struct inode *ip)
{
	if (S_ISDIR(ip->mode) || ip->mounted || E2(ip->sb)->ninodes <= ICACHE_KEEP ||
	    ext2_write_inode(ip) < 0)
		return false;
	hash_remove(ip->sb, ip);
	kfree_obj(ip->data);
	ip->data = 0;
	return true;
}

/* At shutdown: the files unlinked but still open (which the unmount
 * that follows would otherwise leave as orphans in a file system marked
 * clean) are freed on the disk now; nothing uses them after. */
void ext2_release_orphans(struct super *sb)
{
	struct e2sb *s = E2(sb);

	for (u32 i = 0; i < 256; i++)
		for (struct inode *ip = s->ihash[i]; ip; ip = EI(ip)->hnext)
			if (ip->nlink == 0)
				release_on_disk(ip);
}

/* At unmount: forget every inode in memory (the file system is synced). */
void ext2_icache_drop_all(struct super *sb)
{
	struct e2sb *s = E2(sb);

	for (u32 i = 0; i < 256; i++) {
		struct inode *ip = s->ihash[i];
		while (ip) {
			struct inode *next = EI(ip)->hnext;
			if (ip->mounted)
				iput(ip->mounted);   /* cannot happen: umount refuses a busy tree */
			kfree_obj(ip->data);
			kfree_obj(ip);
			ip = next;
		}
		s->ihash[i] = 0;
	}
	s->ninodes = 0;
}

/* stat's st_blocks: i_blocks, indirect blocks included, as Linux reports. */
u64 ext2_blocks(struct inode *ip)
{
	return EI(ip)->blocks;
}

/* ---- Open files ---- */

/* fsync and fdatasync: the whole file system to the disk (its inode, its
 * blocks, and the directories naming it with them). */
int ext2_fsync(struct file *f)
{
	struct super *sb = f->ip->sb;

	return sb->op->sync(sb);
}

const struct file_ops ext2_file_fops = {
	.read = inode_file_read,
	.write = inode_file_write,
	.fsync = ext2_fsync,
	.seekable = true,
};

const struct inode_ops ext2_file_iops = {
	.read = ext2_read,
	.write = ext2_write,
	.truncate = ext2_truncate,
	.blocks = ext2_blocks,
	.drop = ext2_drop,
	.evict = ext2_evict,
};

/* Devices, FIFOs and sockets: attributes only. */
const struct inode_ops ext2_special_iops = {
	.blocks = ext2_blocks,
	.drop = ext2_drop,
	.evict = ext2_evict,
};
