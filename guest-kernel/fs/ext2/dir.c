/*
 * dir.c: ext2 directories: lookup, readdir, create (files, directories,
 * symbolic links, devices, FIFOs), link, unlink, rmdir, rename.
 *
 * A directory is a file of blocks, each a chain of entries (inode number,
 * record length, name length, file type, name); an entry's record may be
 * longer than it needs, and the slack takes new names; inode 0 marks an
 * unused record.  "." and ".." are the first two entries of the first
 * block.  Directories are searched linearly: an htree directory (Linux's
 * dir_index) is laid out so that a linear reader sees its index blocks
 * as empty records, and a change clears its index flag, as Linux's ext2
 * does, so e2fsck does not look for an index that is no longer right.
 * Every record read is checked; a corrupted one fails the operation with
 * EIO and a console line.
 */
#include "ext2.h"

static const u8 ft_to_dt[] = {
	[EXT2_FT_UNKNOWN] = DT_UNKNOWN, [EXT2_FT_REG] = DT_REG, [EXT2_FT_DIR] = DT_DIR,
	[EXT2_FT_CHRDEV] = DT_CHR, [EXT2_FT_BLKDEV] = DT_BLK, [EXT2_FT_FIFO] = DT_FIFO,
	[EXT2_FT_SOCK] = DT_SOCK, [EXT2_FT_SYMLINK] = DT_LNK,
};

static u8 mode_to_ft(u32 mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return EXT2_FT_REG;
	case S_IFDIR: return EXT2_FT_DIR;
	case S_IFCHR: return EXT2_FT_CHRDEV;
	case S_IFBLK: return EXT2_FT_BLKDEV;
	case S_IFIFO: return EXT2_FT_FIFO;
	case S_IFSOCK: return EXT2_FT_SOCK;
	case S_IFLNK: return EXT2_FT_SYMLINK;
	default: return EXT2_FT_UNKNOWN;
	}
}

static u32 name_len(struct e2sb *s, const struct ext2_dirent *de)
{
	return s->filetype ? de->name_len : de->name_len | (u32)de->file_type << 8;
}

/* A place in a directory: the block's buffer (referenced), the entry, and
 * the entry before it in the block (0 for the first). */
struct dirpos {
	struct buf *b;
	struct ext2_dirent *de, *prev;
	u64 lblk;
};

/*
 * Call fn on every record of dir from byte offset *start on (entries with
 * inode 0 too), block by block; fn returns true to stop, and the buffer is
 * then left referenced in *p.  Returns 1 if fn stopped, 0 at the end,
 * -EIO for a corrupted record or an unreadable block.
 */
static int walk(struct inode *dir, u64 start, struct dirpos *p,
		bool (*fn)(struct inode *dir, struct dirpos *p, void *ctx), void *ctx)
{
	struct e2sb *s = E2(dir->sb);
	u64 nblk = dir->size / s->bsize;

	for (u64 lblk = start / s->bsize; lblk < nblk; lblk++) {
		u32 pblk, off = 0;
		struct buf *b;
		if (ext2_bmap(dir, lblk, false, &pblk) < 0)
			return -EIO;
		if (!pblk)
			continue;             /* a hole: e2fsck's business */
		if (!(b = bread(pblk)))
			return -EIO;
		p->prev = 0;
		while (off < s->bsize) {
			struct ext2_dirent *de = (struct ext2_dirent *)(b->data + off);
			u32 len = de->rec_len;
			if (s->bsize - off < 8 || len < 8 || len % 4 || len > s->bsize - off ||
			    (de->inode && name_len(s, de) + 8 > len)) {
				ext2_error(dir->sb, "directory %lu: corrupted entry at block %lu, offset %u",
					   dir->ino, lblk, off);
				brelse(b);
				return -EIO;
			}
			if (lblk * s->bsize + off >= start) {
				p->b = b;
				p->de = de;
				p->lblk = lblk;
				if (fn(dir, p, ctx))
					return 1;
			}
			p->prev = de;
			off += len;
		}
		brelse(b);
	}
	return 0;
}

struct find_ctx {
	const char *name;
	u32 len;
};

static bool match(struct inode *dir, struct dirpos *p, void *ctx)
{
	struct find_ctx *f = ctx;

	return p->de->inode && name_len(E2(dir->sb), p->de) == f->len &&
	       memcmp(p->de->name, f->name, f->len) == 0;
}

/* dir's entry name: 1 with *p set (its buffer referenced), 0 if absent,
 * -EIO. */
static int find(struct inode *dir, const char *name, struct dirpos *p)
{
	struct find_ctx f = { name, strlen(name) };

	return walk(dir, 0, p, match, &f);
}

static struct inode *ed_lookup(struct inode *dir, const char *name)
{
	struct dirpos p;
	struct inode *ip;
	u32 ino;

	if (find(dir, name, &p) <= 0)
		return 0;
	ino = p.de->inode;
	brelse(p.b);
	if (ext2_iget(dir->sb, ino, &ip) < 0)
		return 0;
	if (S_ISDIR(ip->mode) && ip != dir)
		ip->parent = dir;
	return ip;
}

/* ---- readdir ---- */

struct emit_ctx {
	void *ctx;
	bool (*emit)(void *ctx, const char *name, u64 ino, u8 type);
	u64 *pos;
};

static bool emit_one(struct inode *dir, struct dirpos *p, void *ctx)
{
	struct e2sb *s = E2(dir->sb);
	struct emit_ctx *e = ctx;
	char name[NAME_MAX + 1];
	u32 len = name_len(s, p->de);
	u8 ft = s->filetype ? p->de->file_type : 0;

	if (p->de->inode) {
		memcpy(name, p->de->name, len);
		name[len] = 0;
		if (!e->emit(e->ctx, name, p->de->inode, ft < sizeof(ft_to_dt) ? ft_to_dt[ft] : DT_UNKNOWN))
			return true;
	}
	*e->pos = p->lblk * s->bsize + ((u8 *)p->de - p->b->data) + p->de->rec_len;
	return false;
}

/* Entries from byte offset *pos on; *pos is the offset after the last one
 * emitted (Linux's ext2 uses the same positions). */
static void ed_readdir(struct inode *dir, u64 *pos, void *ctx,
		       bool (*emit)(void *ctx, const char *name, u64 ino, u8 type))
{
	struct emit_ctx e = { ctx, emit, pos };
	struct dirpos p;

	if (walk(dir, *pos, &p, emit_one, &e) == 1)
		brelse(p.b);
}

/* ---- Adding and removing entries ---- */

struct add_ctx {
	u32 need;
	struct ext2_dirent *at;   /* where the new entry goes */
};

static bool has_room(struct inode *dir, struct dirpos *p, void *ctx)
{
	struct add_ctx *a = ctx;
	struct ext2_dirent *de = p->de;
	u32 used = de->inode ? EXT2_DIRENT_LEN(name_len(E2(dir->sb), de)) : 0;

	if (de->rec_len - used < a->need)
		return false;
	if (used) {
		/* Split: de keeps what it needs, the rest becomes the new entry. */
		struct ext2_dirent *n = (struct ext2_dirent *)((u8 *)de + used);
		n->rec_len = de->rec_len - used;
		de->rec_len = used;
		a->at = n;
	} else {
		a->at = de;
	}
	return true;
}

static void fill(struct e2sb *s, struct ext2_dirent *de, const char *name, u32 ino, u32 mode)
{
	u32 len = strlen(name);

	de->inode = ino;
	de->name_len = len;
	de->file_type = s->filetype ? mode_to_ft(mode) : 0;
	memcpy(de->name, name, len);
}

/* The directory changed: its times, and no htree index any more. */
static void dir_changed(struct inode *dir)
{
	inode_touch(dir, false, true);
	EI(dir)->flags &= ~EXT2_INDEX_FL;
}

/* Add the entry name -> ino (of the given mode) to dir, in the first
 * record with room, else in a new block at its end. */
static int add_entry(struct inode *dir, const char *name, u32 ino, u32 mode)
{
	struct e2sb *s = E2(dir->sb);
	struct add_ctx a = { EXT2_DIRENT_LEN(strlen(name)), 0 };
	struct dirpos p;
	int r = walk(dir, 0, &p, has_room, &a);

	if (r < 0)
		return r;
	if (r == 0) {
		u64 lblk = dir->size / s->bsize;
		u32 pblk;
		if ((r = ext2_bmap(dir, lblk, true, &pblk)) < 0)
			return r;
		if (!(p.b = bzero_get(pblk)))
			return -EIO;
		a.at = (struct ext2_dirent *)p.b->data;
		a.at->rec_len = s->bsize;
		dir->size += s->bsize;
	}
	fill(s, a.at, name, ino, mode);
	bdirty(p.b);
	brelse(p.b);
	dir_changed(dir);
	return 0;
}

/* Remove the entry at p (its buffer is released). */
static void remove_entry(struct inode *dir, struct dirpos *p)
{
	if (p->prev)
		p->prev->rec_len += p->de->rec_len;
	else
		p->de->inode = 0;
	bdirty(p->b);
	brelse(p->b);
	dir_changed(dir);
}

static bool not_dot(struct inode *dir, struct dirpos *p, void *ctx)
{
	u32 len = name_len(E2(dir->sb), p->de);

	(void)ctx;
	return p->de->inode && !(len == 1 && p->de->name[0] == '.') &&
	       !(len == 2 && p->de->name[0] == '.' && p->de->name[1] == '.');
}

/* 1 if dir holds nothing but "." and "..", 0 if it does, -EIO. */
static int is_empty(struct inode *dir)
{
	struct dirpos p;
	int r = walk(dir, 0, &p, not_dot, 0);

	if (r == 1)
		brelse(p.b);
	return r < 0 ? r : r == 0;
}

/* A new directory's first block: "." and "..". */
int ext2_dir_init(struct inode *dir, u32 parent_ino)
{
	struct e2sb *s = E2(dir->sb);
	struct ext2_dirent *de;
	struct buf *b;
	u32 pblk;
	int r;

	if ((r = ext2_bmap(dir, 0, true, &pblk)) < 0)
		return r;
	if (!(b = bzero_get(pblk)))
		return -EIO;
	de = (struct ext2_dirent *)b->data;
	fill(s, de, ".", dir->ino, S_IFDIR);
	de->rec_len = 12;
	de = (struct ext2_dirent *)(b->data + 12);
	fill(s, de, "..", parent_ino, S_IFDIR);
	de->rec_len = s->bsize - 12;
	bdirty(b);
	brelse(b);
	dir->size = s->bsize;
	return 0;
}

/* ---- The directory operations ---- */

static int ed_create(struct inode *dir, const char *name, u32 mode, u32 rdev, struct inode **out)
{
	struct super *sb = dir->sb;
	bool isdir = S_ISDIR(mode);
	struct dirpos p;
	struct inode *ip;
	u32 ino;
	int r;

	if (sb->rdonly)
		return -EROFS;
	if (dir->nlink == 0)
		return -ENOENT;
	if ((r = find(dir, name, &p)) != 0) {
		if (r > 0)
			brelse(p.b);
		return r > 0 ? -EEXIST : r;
	}
	if (isdir && dir->nlink >= 65000)
		return -EMLINK;
	if (!(ino = ext2_inode_alloc(sb, dir->ino, isdir)))
		return -ENOSPC;
	if (!(ip = ext2_inew(sb, ino, mode))) {
		ext2_inode_free(sb, ino, isdir);
		return -ENOMEM;
	}
	ip->rdev = rdev;
	ip->nlink = isdir ? 2 : 1;
	if ((isdir && (r = ext2_dir_init(ip, dir->ino)) < 0) ||
	    (r = add_entry(dir, name, ino, mode)) < 0) {
		ip->nlink = 0;
		iput(ip);                 /* evict: frees its block and inode */
		return r;
	}
	if (isdir) {
		dir->nlink++;
		ip->parent = dir;
	}
	*out = ip;
	return 0;
}

static int ed_link(struct inode *dir, const char *name, struct inode *ip)
{
	struct dirpos p;
	int r;

	if (dir->sb->rdonly)
		return -EROFS;
	if (dir->nlink == 0)
		return -ENOENT;
	if (ip->sb != dir->sb)
		return -EXDEV;
	if ((r = find(dir, name, &p)) != 0) {
		if (r > 0)
			brelse(p.b);
		return r > 0 ? -EEXIST : r;
	}
	if (ip->nlink >= 65000)
		return -EMLINK;
	if ((r = add_entry(dir, name, ip->ino, ip->mode)) < 0)
		return r;
	ip->nlink++;
	ip->ctime = fs_now();
	return 0;
}

/* ip lost its name in dir: a file one link, a directory all of them
 * (and dir the ".." that pointed at it). */
static void name_dropped(struct inode *dir, struct inode *ip)
{
	ip->ctime = fs_now();
	if (S_ISDIR(ip->mode)) {
		ip->nlink = 0;
		dir->nlink--;
	} else if (ip->nlink) {
		ip->nlink--;
	}
}

static int ed_unlink(struct inode *dir, const char *name, bool rmdir)
{
	struct dirpos p;
	struct inode *ip;
	int r;

	if (dir->sb->rdonly)
		return -EROFS;
	if ((r = find(dir, name, &p)) <= 0)
		return r == 0 ? -ENOENT : r;
	if ((r = ext2_iget(dir->sb, p.de->inode, &ip)) < 0) {
		brelse(p.b);
		return r;
	}
	r = 0;
	if (rmdir && !S_ISDIR(ip->mode))
		r = -ENOTDIR;
	else if (!rmdir && S_ISDIR(ip->mode))
		r = -EISDIR;
	else if (rmdir && ip->mounted)
		r = -EBUSY;
	else if (rmdir && (r = is_empty(ip)) >= 0)
		r = r ? 0 : -ENOTEMPTY;
	if (r < 0) {
		brelse(p.b);
		iput(ip);
		return r;
	}
	remove_entry(dir, &p);
	name_dropped(dir, ip);
	iput(ip);                         /* evicts it if nothing else holds it */
	return 0;
}

/* Point directory ip's ".." at ino. */
static int set_dotdot(struct inode *ip, u32 ino)
{
	u32 pblk;
	struct buf *b;
	struct ext2_dirent *de;

	if (ext2_bmap(ip, 0, false, &pblk) < 0 || !pblk || !(b = bread(pblk)))
		return -EIO;
	de = (struct ext2_dirent *)b->data;
	if (de->rec_len < 12 || de->rec_len > E2(ip->sb)->bsize - 12) {
		brelse(b);
		ext2_error(ip->sb, "directory %lu: corrupted \".\" entry", ip->ino);
		return -EIO;
	}
	de = (struct ext2_dirent *)(b->data + de->rec_len);
	de->inode = ino;
	bdirty(b);
	brelse(b);
	return 0;
}

static int ed_rename(struct inode *odir, const char *oname, struct inode *ndir,
		     const char *nname, u32 flags)
{
	struct super *sb = odir->sb;
	struct dirpos op, np;
	struct inode *ip, *target = 0;
	int r;

	if (sb->rdonly)
		return -EROFS;
	if (ndir->sb != sb)
		return -EXDEV;
	if (flags & ~(u32)RENAME_NOREPLACE)
		return -EINVAL;           /* RENAME_EXCHANGE: Linux's ext2 refuses it too */
	if (ndir->nlink == 0)
		return -ENOENT;
	if ((r = find(odir, oname, &op)) <= 0)
		return r == 0 ? -ENOENT : r;
	r = ext2_iget(sb, op.de->inode, &ip);
	brelse(op.b);
	if (r < 0)
		return r;
	if ((r = find(ndir, nname, &np)) < 0)
		goto out;
	if (r > 0) {
		u32 tino = np.de->inode;
		brelse(np.b);
		if (tino == ip->ino) {
			r = 0;                /* the same file under both names */
			goto out;
		}
		if (flags & RENAME_NOREPLACE) {
			r = -EEXIST;
			goto out;
		}
		if ((r = ext2_iget(sb, tino, &target)) < 0)
			goto out;
	}
	r = -EINVAL;
	if (S_ISDIR(ip->mode) && inode_is_ancestor(ip, ndir))
		goto out;                 /* a directory into itself */
	if (target) {
		if (S_ISDIR(ip->mode) && !S_ISDIR(target->mode)) {
			r = -ENOTDIR;
			goto out;
		}
		if (!S_ISDIR(ip->mode) && S_ISDIR(target->mode)) {
			r = -EISDIR;
			goto out;
		}
		if (target->mounted) {
			r = -EBUSY;
			goto out;
		}
		if (S_ISDIR(target->mode) && (r = is_empty(target)) <= 0) {
			r = r == 0 ? -ENOTEMPTY : r;
			goto out;
		}
		/* Point the existing entry at ip. */
		if ((r = find(ndir, nname, &np)) <= 0) {
			r = r == 0 ? -ENOENT : r;
			goto out;
		}
		np.de->inode = ip->ino;
		if (E2(sb)->filetype)
			np.de->file_type = mode_to_ft(ip->mode);
		bdirty(np.b);
		brelse(np.b);
		dir_changed(ndir);
		name_dropped(ndir, target);
	} else if ((r = add_entry(ndir, nname, ip->ino, ip->mode)) < 0) {
		goto out;
	}
	/* Drop the old name: found again, as adding may have split its block. */
	if ((r = find(odir, oname, &op)) <= 0) {
		r = r == 0 ? -ENOENT : r;
		goto out;
	}
	remove_entry(odir, &op);
	if (S_ISDIR(ip->mode) && odir != ndir) {
		set_dotdot(ip, ndir->ino);
		odir->nlink--;
		ndir->nlink++;
	}
	if (S_ISDIR(ip->mode))
		ip->parent = ndir;
	ip->ctime = fs_now();
	r = 0;
out:
	iput(target);
	iput(ip);
	return r;
}

const struct inode_ops ext2_dir_iops = {
	.lookup = ed_lookup,
	.create = ed_create,
	.link = ed_link,
	.unlink = ed_unlink,
	.rename = ed_rename,
	.readdir = ed_readdir,
	.truncate = ext2_truncate,
	.blocks = ext2_blocks,
	.evict = ext2_evict,
};

const struct file_ops ext2_dir_fops = {
	.fsync = ext2_fsync,
	.seekable = true,
};
