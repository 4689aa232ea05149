/*
 * inode.c: the lifetime and attributes of inodes, whatever their file
 * system.  An inode is freed (its file system's evict(), then the struct)
 * once it has neither a name (nlink 0) nor a reference (ref 0): an
 * unlinked file stays readable through the descriptors still open on it,
 * as on Linux.
 */
#include "defs.h"

struct timespec fs_now(void)
{
	u64 ns = clock_realtime();

	return (struct timespec){ .tv_sec = ns / NS_PER_S, .tv_nsec = ns % NS_PER_S };
}

/* A new inode of sb with the given mode, one reference, no name yet
 * (nlink 0: the caller links it), owned by root, timestamps now. */
struct inode *inode_new(struct super *sb, u32 mode)
{
	struct inode *ip = kmalloc(sizeof(*ip));

	if (!ip)
		return 0;
	ip->ino = ++sb->next_ino;
	ip->mode = mode;
	ip->ref = 1;
	ip->sb = sb;
	ip->atime = ip->mtime = ip->ctime = fs_now();
	return ip;
}

struct inode *iget(struct inode *ip)
{
	if (ip)
		ip->ref++;
	return ip;
}

void iput(struct inode *ip)
{
	if (!ip)
		return;
	if (ip->ref <= 0)
		panic("iput: inode %lu has no reference", ip->ino);
	if (--ip->ref > 0)
		return;
	if (ip->nlink > 0) {
		/* Named but unused: a disk file system may forget it (it can
		 * read it again); the RAM ones keep it, it is their only copy. */
		if (ip->op && ip->op->drop && ip->op->drop(ip))
			kfree_obj(ip);
		return;
	}
	if (ip->op && ip->op->evict)
		ip->op->evict(ip);
	kfree_obj(ip);
}

/* An access (atime) or a change of the contents (mtime and ctime). */
void inode_touch(struct inode *ip, bool access, bool modify)
{
	struct timespec now = fs_now();

	if (access)
		ip->atime = now;
	if (modify)
		ip->mtime = ip->ctime = now;
}

void inode_stat(struct inode *ip, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = ip->sb->dev;
	st->st_ino = ip->ino;
	st->st_nlink = ip->nlink;
	st->st_mode = ip->mode;
	st->st_uid = ip->uid;
	st->st_gid = ip->gid;
	st->st_rdev = ip->rdev;
	st->st_size = ip->size;
	st->st_blksize = PGSIZE;
	st->st_blocks = ip->op && ip->op->blocks ? ip->op->blocks(ip)
						 : (ip->size + PGSIZE - 1) / PGSIZE * (PGSIZE / 512);
	st->st_atim = ip->atime;
	st->st_mtim = ip->mtime;
	st->st_ctim = ip->ctime;
}

/* The getdents64 d_type of a mode. */
u8 inode_dtype(u32 mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return DT_REG;
	case S_IFDIR: return DT_DIR;
	case S_IFLNK: return DT_LNK;
	case S_IFCHR: return DT_CHR;
	case S_IFBLK: return DT_BLK;
	case S_IFIFO: return DT_FIFO;
	case S_IFSOCK: return DT_SOCK;
	default: return DT_UNKNOWN;
	}
}

/* True if a is d or one of d's ancestors (rename must not move a
 * directory into itself). */
bool inode_is_ancestor(struct inode *a, struct inode *d)
{
	for (; d; d = d->parent)
		if (d == a)
			return true;
	return false;
}
