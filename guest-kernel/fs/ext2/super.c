/*
 * super.c: an ext2 file system on the disk as a whole: mount, sync,
 * umount, statfs.
 *
 * Mounting reads the superblock (byte 1024) and refuses, with one console
 * line naming the problem, anything it cannot use safely: not ext2 (no
 * magic), a revision after 1, a block size other than 1, 2 or 4 KiB, a
 * feature it does not implement (an incompatible one at all, a
 * read-only-compatible one for writing: Linux's rules), a superblock whose
 * numbers contradict each other or the disk's size (a truncated image), a
 * group descriptor whose bitmaps or inode table lie outside the file
 * system, a root inode that is not a directory or whose blocks lie
 * outside.  Nothing in a bad image panics the kernel: later surprises
 * (a block number out of range in some inode) fail that operation with
 * EIO and a console line.
 *
 * While mounted read-write the superblock's state says "not clean"
 * (EXT2_VALID_FS off), as Linux marks it; a clean umount (or the kernel's
 * shutdown, which unmounts) writes everything and marks it clean, so a
 * crash leaves it marked and e2fsck checks it.  sync writes the inodes
 * that changed, the group descriptors and the superblock through the
 * buffer cache, writes the cache back and flushes the drive.
 */
#include "ext2.h"

static const struct {
	u32 bit;
	const char *name;
} incompat_names[] = {
	{ EXT2_INCOMPAT_COMPRESSION, "compression" },
	{ EXT2_INCOMPAT_RECOVER, "needs_recovery (a journal to replay: mount it with Linux or run e2fsck first)" },
	{ EXT2_INCOMPAT_JOURNAL_DEV, "journal_dev" },
	{ EXT2_INCOMPAT_META_BG, "meta_bg" },
	{ EXT2_INCOMPAT_EXTENTS, "extent" },
	{ EXT2_INCOMPAT_64BIT, "64bit" },
	{ EXT2_INCOMPAT_MMP, "mmp" },
	{ EXT2_INCOMPAT_FLEX_BG, "flex_bg" },
	{ EXT2_INCOMPAT_EA_INODE, "ea_inode" },
	{ EXT2_INCOMPAT_DIRDATA, "dirdata" },
	{ EXT2_INCOMPAT_CSUM_SEED, "metadata_csum_seed" },
	{ EXT2_INCOMPAT_LARGEDIR, "large_dir" },
	{ EXT2_INCOMPAT_INLINE_DATA, "inline_data" },
	{ EXT2_INCOMPAT_ENCRYPT, "encrypt" },
	{ EXT2_INCOMPAT_CASEFOLD, "casefold" },
}, ro_compat_names[] = {
	{ EXT2_RO_COMPAT_BTREE_DIR, "btree_dir" },
	{ EXT2_RO_COMPAT_HUGE_FILE, "huge_file" },
	{ EXT2_RO_COMPAT_GDT_CSUM, "uninit_bg" },
	{ EXT2_RO_COMPAT_DIR_NLINK, "dir_nlink" },
	{ EXT2_RO_COMPAT_EXTRA_ISIZE, "extra_isize" },
	{ EXT2_RO_COMPAT_QUOTA, "quota" },
	{ EXT2_RO_COMPAT_BIGALLOC, "bigalloc" },
	{ EXT2_RO_COMPAT_METADATA_CSUM, "metadata_csum" },
	{ EXT2_RO_COMPAT_READONLY, "read-only" },
	{ EXT2_RO_COMPAT_PROJECT, "project" },
	{ EXT2_RO_COMPAT_VERITY, "verity" },
};

/* After ext2_error()'s console line: the superblock records that the
 * file system has errors, which e2fsck sees. */
void ext2_mark_error(struct super *sb)
{
	if (!sb->rdonly) {
		E2(sb)->sd.s_state |= EXT2_ERROR_FS;
		E2(sb)->dirty = true;
	}
}

/* True if blk may be a data or metadata block of this file system. */
bool ext2_block_ok(struct super *sb, u32 blk)
{
	return blk >= E2(sb)->first_data && blk < E2(sb)->nblocks;
}

/* Group descriptor group: its buffer (referenced; the caller brelse()s it
 * and bdirty()s it after a change) and *gd inside it.  0 on an I/O error. */
struct buf *ext2_gd_get(struct super *sb, u32 group, struct ext2_gd **gd)
{
	struct e2sb *s = E2(sb);
	struct buf *b = bread(s->first_data + 1 + group / s->gd_per_block);

	if (b)
		*gd = (struct ext2_gd *)b->data + group % s->gd_per_block;
	return b;
}

/* Copy our superblock into its block in the cache (block 1 of a 1 KiB
 * file system, else bytes 1024-2047 of block 0). */
static int write_super(struct super *sb)
{
	struct e2sb *s = E2(sb);
	u32 blk = s->bsize == 1024 ? 1 : 0, off = s->bsize == 1024 ? 0 : 1024;
	struct buf *b = bread(blk);

	if (!b)
		return -EIO;
	memcpy(b->data + off, &s->sd, sizeof(s->sd));
	bdirty(b);
	brelse(b);
	s->dirty = false;
	return 0;
}

/* Everything to the disk: inodes, descriptors (already in the cache),
 * the superblock, the cache, then the drive's own cache. */
static int ext2_sync(struct super *sb)
{
	struct e2sb *s = E2(sb);
	int r = 0, e;

	if (sb->rdonly)
		return 0;
	for (u32 i = 0; i < 256; i++)
		for (struct inode *ip = s->ihash[i]; ip; ip = EI(ip)->hnext)
			if ((e = ext2_write_inode(ip)) < 0 && !r)
				r = e;
	s->sd.s_wtime = fs_now().tv_sec;
	if ((e = write_super(sb)) < 0 && !r)
		r = e;
	if ((e = bcache_sync()) < 0 && !r)
		r = e;
	if ((e = blk_flush()) < 0 && !r)
		r = e;
	return r;
}

static void free_super(struct super *sb)
{
	ext2_icache_drop_all(sb);
	bcache_free();
	kfree((u64)sb->data - phys_offset);
	kfree_obj(sb);
}

/* Unmount: -EBUSY while any file of it but its root is in use (unless
 * force: the kernel shuts down); else write everything, mark the
 * superblock clean, and (unless force) free it all. */
static int ext2_umount(struct super *sb, bool force)
{
	struct e2sb *s = E2(sb);
	int r;

	for (u32 i = 0; i < 256 && !force; i++)
		for (struct inode *ip = s->ihash[i]; ip; ip = EI(ip)->hnext)
			if (ip->ref > 0 && ip != sb->root)
				return -EBUSY;
	if (force)
		ext2_release_orphans(sb);
	r = ext2_sync(sb);
	if (!sb->rdonly && r == 0 && !(s->sd.s_state & EXT2_ERROR_FS)) {
		s->sd.s_state |= EXT2_VALID_FS;
		if ((r = write_super(sb)) == 0 && (r = bcache_sync()) == 0)
			r = blk_flush();
	}
	if (r < 0)
		kprintf("ext2 (sda): unmount: the disk failed (%d): the file system is left marked not clean\n", r);
	if (force)
		sb->rdonly = true;        /* nothing more reaches the disk */
	else
		free_super(sb);
	return 0;
}

/* Read-write to read-only: everything written, marked clean; back:
 * marked not clean again (unless the features allow reading only). */
static int ext2_remount(struct super *sb, bool rdonly)
{
	struct e2sb *s = E2(sb);
	int r;

	if (rdonly == sb->rdonly)
		return 0;
	if (rdonly) {
		if ((r = ext2_sync(sb)) < 0)
			return r;
		if (!(s->sd.s_state & EXT2_ERROR_FS))
			s->sd.s_state |= EXT2_VALID_FS;
		if ((r = write_super(sb)) < 0 || (r = bcache_sync()) < 0 || (r = blk_flush()) < 0)
			return r;
		sb->rdonly = true;
		return 0;
	}
	if (s->sd.s_feature_ro_compat & ~EXT2_RO_COMPAT_SUPPORTED)
		return -EROFS;
	s->sd.s_state &= ~EXT2_VALID_FS;
	sb->rdonly = false;
	if ((r = write_super(sb)) < 0 || (r = bcache_sync()) < 0 || (r = blk_flush()) < 0) {
		s->sd.s_state |= EXT2_VALID_FS;
		sb->rdonly = true;
		return -EROFS;
	}
	return 0;
}

static void ext2_statfs(struct super *sb, struct statfs *st)
{
	struct e2sb *s = E2(sb);

	st->f_bsize = st->f_frsize = s->bsize;
	st->f_blocks = s->sd.s_blocks_count - s->first_data;
	st->f_bfree = s->sd.s_free_blocks_count;
	st->f_bavail = s->sd.s_free_blocks_count > s->sd.s_r_blocks_count ?
		s->sd.s_free_blocks_count - s->sd.s_r_blocks_count : 0;
	st->f_files = s->sd.s_inodes_count;
	st->f_ffree = s->sd.s_free_inodes_count;
	st->f_namelen = 255;
	st->f_flags = sb->rdonly ? 1 : 0;       /* ST_RDONLY */
}

const struct super_ops ext2_super_ops = {
	.sync = ext2_sync,
	.umount = ext2_umount,
	.remount = ext2_remount,
	.statfs = ext2_statfs,
};

/* The first feature in bits that table names (or "unknown"). */
static const char *feature_name(u32 bits, bool ro)
{
	u32 n = ro ? sizeof(ro_compat_names) / sizeof(ro_compat_names[0])
		   : sizeof(incompat_names) / sizeof(incompat_names[0]);

	for (u32 i = 0; i < n; i++) {
		u32 bit = ro ? ro_compat_names[i].bit : incompat_names[i].bit;
		if (bits & bit)
			return ro ? ro_compat_names[i].name : incompat_names[i].name;
	}
	return "unknown";
}

#define REFUSE(...) do { kprintf("ext2 (sda): " __VA_ARGS__); kprintf("\n"); return -EINVAL; } while (0)

/* The superblock's own checks: what it says must be possible. */
static int check_super(struct e2sb *s, bool *rdonly)
{
	struct ext2_super_disk *d = &s->sd;
	u64 disk_blocks;
	u32 bad;

	if (d->s_magic != EXT2_MAGIC)
		REFUSE("not an ext2 file system: no magic number 0xef53 at byte 1080 (found 0x%x)", d->s_magic);
	if (d->s_rev_level > 1)
		REFUSE("revision %u is not supported (0 and 1 are)", d->s_rev_level);
	if (d->s_log_block_size > 2)
		REFUSE("corrupted superblock: block size 1024 << %u (1, 2 and 4 KiB are supported)",
		       d->s_log_block_size);
	s->bsize = 1024u << d->s_log_block_size;
	s->apb = s->bsize / 4;
	if (d->s_rev_level == 0) {
		d->s_first_ino = 11;
		d->s_inode_size = EXT2_GOOD_OLD_INODE_SIZE;
		d->s_feature_compat = d->s_feature_incompat = d->s_feature_ro_compat = 0;
	}
	if ((bad = d->s_feature_incompat & ~EXT2_INCOMPAT_SUPPORTED))
		REFUSE("cannot mount: unsupported feature %s (incompatible features 0x%x)",
		       feature_name(bad, false), d->s_feature_incompat);
	if ((bad = d->s_feature_ro_compat & ~EXT2_RO_COMPAT_SUPPORTED) && !*rdonly) {
		kprintf("ext2 (sda): feature %s can only be read: mounting read-only\n",
			feature_name(bad, true));
		*rdonly = true;
	}
	s->filetype = d->s_feature_incompat & EXT2_INCOMPAT_FILETYPE;
	s->isize = d->s_inode_size;
	s->bpg = d->s_blocks_per_group;
	s->ipg = d->s_inodes_per_group;
	s->first_data = d->s_first_data_block;
	s->nblocks = d->s_blocks_count;
	if (s->isize < EXT2_GOOD_OLD_INODE_SIZE || s->isize > s->bsize || (s->isize & (s->isize - 1)))
		REFUSE("corrupted superblock: inode size %u", s->isize);
	if (s->first_data != (s->bsize == 1024 ? 1u : 0u))
		REFUSE("corrupted superblock: first data block %u with %u-byte blocks", s->first_data, s->bsize);
	if (s->bpg == 0 || s->bpg > 8 * s->bsize)
		REFUSE("corrupted superblock: %u blocks per group", s->bpg);
	if (s->ipg == 0 || s->ipg > 8 * s->bsize || s->ipg % (s->bsize / s->isize))
		REFUSE("corrupted superblock: %u inodes per group", s->ipg);
	if (s->nblocks <= s->first_data)
		REFUSE("corrupted superblock: %lu blocks", s->nblocks);
	s->ngroups = (s->nblocks - s->first_data + s->bpg - 1) / s->bpg;
	if ((u64)s->ngroups * s->ipg != d->s_inodes_count)
		REFUSE("corrupted superblock: %u inodes, but %u groups of %u", d->s_inodes_count,
		       s->ngroups, s->ipg);
	if (d->s_first_ino < 11 || d->s_first_ino >= d->s_inodes_count)
		REFUSE("corrupted superblock: first inode %u", d->s_first_ino);
	if (d->s_free_blocks_count > s->nblocks || d->s_free_inodes_count > d->s_inodes_count)
		REFUSE("corrupted superblock: %u free blocks of %lu, %u free inodes of %u",
		       d->s_free_blocks_count, s->nblocks, d->s_free_inodes_count, d->s_inodes_count);
	s->gd_per_block = s->bsize / sizeof(struct ext2_gd);
	disk_blocks = blk_sectors() / (s->bsize / ATA_SECTOR_SIZE);
	if (s->nblocks > disk_blocks)
		REFUSE("the file system has %lu blocks of %u bytes but the disk holds only %lu "
		       "(a truncated image?)", s->nblocks, s->bsize, disk_blocks);
	return 0;
}

/* Every group descriptor: bitmaps and inode table inside the file system,
 * counts no larger than a group. */
static int check_groups(struct super *sb)
{
	struct e2sb *s = E2(sb);
	u32 itable_blocks = s->ipg / (s->bsize / s->isize);

	for (u32 g = 0; g < s->ngroups; g++) {
		struct ext2_gd *gd;
		struct buf *b = ext2_gd_get(sb, g, &gd);
		u32 bb, ib, it, fb, fi;

		if (!b)
			REFUSE("cannot read group descriptor %u: I/O error", g);
		bb = gd->bg_block_bitmap, ib = gd->bg_inode_bitmap, it = gd->bg_inode_table;
		fb = gd->bg_free_blocks_count, fi = gd->bg_free_inodes_count;
		brelse(b);
		if (!ext2_block_ok(sb, bb))
			REFUSE("corrupted group descriptor %u: block bitmap at block %u, outside the file system", g, bb);
		if (!ext2_block_ok(sb, ib))
			REFUSE("corrupted group descriptor %u: inode bitmap at block %u, outside the file system", g, ib);
		if (!ext2_block_ok(sb, it) || it + itable_blocks > s->nblocks)
			REFUSE("corrupted group descriptor %u: inode table at block %u, outside the file system", g, it);
		if (fb > s->bpg || fi > s->ipg)
			REFUSE("corrupted group descriptor %u: %u free blocks, %u free inodes", g, fb, fi);
	}
	return 0;
}

/*
 * Mount the disk's ext2 file system: *out gets its super, with its root
 * inode in memory.  rdonly: never write (a read-only-compatible feature we
 * lack, or a disk that refuses writes, also make it so, with a line).
 * -EINVAL for a bad image (the console line says why), -ENXIO without a
 * disk, -EBUSY if it is mounted already, -EIO, -ENOMEM.
 */
int ext2_mount(bool rdonly, struct super **out)
{
	u64 page = kalloc();
	struct e2sb *s;
	struct super *sb;
	struct inode *root;
	int r;

	if (!page)
		return -ENOMEM;
	s = phys_to_virt(page);
	memset(s, 0, sizeof(*s));
	if (blk_sectors() < 4) {
		kfree(page);
		if (!blk_sectors())
			return -ENXIO;
		kprintf("ext2 (sda): not an ext2 file system: the disk is only %lu bytes\n",
			blk_sectors() * ATA_SECTOR_SIZE);
		return -EINVAL;
	}
	if ((r = blk_rw(EXT2_SUPER_OFFSET / ATA_SECTOR_SIZE, &s->sd, 2, false)) < 0 ||
	    (r = check_super(s, &rdonly)) < 0) {
		kfree(page);
		return r == -EINVAL ? r : -EIO;
	}
	if ((r = bcache_init(s->bsize, kalloc_total_pages())) < 0) {
		kfree(page);
		return r;
	}
	if (!(sb = kmalloc(sizeof(*sb)))) {
		bcache_free();
		kfree(page);
		return -ENOMEM;
	}
	sb->type = "ext2";
	sb->magic = EXT2_MAGIC;
	sb->dev = DEV(8, 0);
	sb->op = &ext2_super_ops;
	sb->data = s;
	sb->rdonly = rdonly;
	if ((r = check_groups(sb)) < 0 || (r = ext2_iget(sb, EXT2_ROOT_INO, &root)) < 0) {
		if (r == -EIO)
			kprintf("ext2 (sda): cannot read the root directory\n");
		free_super(sb);
		return r == -EIO ? -EINVAL : r;
	}
	if (!S_ISDIR(root->mode) || root->nlink == 0) {
		kprintf("ext2 (sda): corrupted file system: the root inode (2) is not a directory "
			"(mode 0x%x, %u links)\n", root->mode, root->nlink);
		iput(root);
		free_super(sb);
		return -EINVAL;
	}
	{
		/* Its first block must be there: a root whose blocks point
		 * outside the disk fails now, not at the first lookup. */
		u32 pblk;
		struct buf *b = 0;
		if (root->size == 0 || ext2_bmap(root, 0, false, &pblk) < 0 || !pblk ||
		    !(b = bread(pblk))) {
			kprintf("ext2 (sda): corrupted file system: the root directory's first block "
				"cannot be read\n");
			iput(root);
			free_super(sb);
			return -EINVAL;
		}
		brelse(b);
	}
	sb->root = root;                  /* the super's reference, as ramfs_new() keeps one */
	if (!sb->rdonly) {
		if (!(s->sd.s_state & EXT2_VALID_FS))
			kprintf("ext2 (sda): warning: mounting a file system that was not cleanly "
				"unmounted: run e2fsck\n");
		else if (s->sd.s_state & EXT2_ERROR_FS)
			kprintf("ext2 (sda): warning: mounting a file system with errors: run e2fsck\n");
		s->sd.s_state &= ~EXT2_VALID_FS;
		s->sd.s_mnt_count++;
		s->sd.s_mtime = fs_now().tv_sec;
		if (write_super(sb) < 0 || bcache_sync() < 0 || blk_flush() < 0) {
			kprintf("ext2 (sda): the disk refuses writes: mounting read-only\n");
			s->sd.s_state |= EXT2_VALID_FS;
			sb->rdonly = true;
		}
	}
	kprintf("ext2 (sda): mounted %s, %u-byte blocks, %lu blocks, %u inodes\n",
		sb->rdonly ? "read-only" : "read-write", s->bsize, s->nblocks, s->sd.s_inodes_count);
	*out = sb;
	return 0;
}
