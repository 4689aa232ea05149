/*
 * ramfs.c: the RAM file system, tmpfs for the user: the root file system
 * the initramfs is unpacked into, and every "mount -t tmpfs".
 *
 * A directory is a list of entries (name -> inode), newest first; ".." is
 * the inode's parent pointer and "." itself, neither stored.  A regular
 * file, and a symbolic link's target, is a sparse array of pages: a page
 * of 512 page addresses (GPAs), each naming a page of 512 data pages, so
 * a file reaches 1 GiB.  A page never written reads as zeros (a hole).
 * All ramfs mounts together hold at most half of RAM, like tmpfs's
 * default size: past that, writes fail with ENOSPC instead of starving
 * the processes of memory.
 */
#include "defs.h"

#define RAMFS_MAX_FILE (512ul * 512 * PGSIZE)

struct dirent_k {
	struct dirent_k *next;
	struct inode *ip;
	char name[];
};

struct rfile {
	u64 index;                /* GPA of the top index page, 0: no data */
};

static struct {
	u64 pages;                /* data and index pages held */
	u64 max;                  /* ENOSPC beyond this */
	u32 next_dev;
} ramfs;

static const struct inode_ops ramfs_dir_ops, ramfs_file_ops, ramfs_special_ops;
extern const struct file_ops ramfs_file_fops, ramfs_dir_fops;

void ramfs_init(u64 max_pages)
{
	ramfs.max = max_pages;
}

u64 ramfs_pages_used(void)
{
	return ramfs.pages;
}

u64 ramfs_pages_max(void)
{
	return ramfs.max;
}

static u64 page_get(void)
{
	u64 p;

	if (ramfs.pages >= ramfs.max || !(p = kalloc()))
		return 0;
	ramfs.pages++;
	return p;
}

static void page_put(u64 p)
{
	kfree(p);
	ramfs.pages--;
}

/* ---- File data ---- */

/* The entry for data page pg of r: its GPA, or 0 for a hole.  With alloc,
 * missing pages (and index pages) are allocated; 0 then means ENOSPC. */
static u64 data_page(struct rfile *r, u64 pg, bool alloc)
{
	u64 *top, *mid;

	if (!r->index && (!alloc || !(r->index = page_get())))
		return 0;
	top = phys_to_virt(r->index);
	if (!top[pg / 512] && (!alloc || !(top[pg / 512] = page_get())))
		return 0;
	mid = phys_to_virt(top[pg / 512]);
	if (!mid[pg % 512] && alloc)
		mid[pg % 512] = page_get();
	return mid[pg % 512];
}

/* Free the data pages from page first on (and index pages left empty). */
static void free_from(struct rfile *r, u64 first)
{
	u64 *top;

	if (!r->index)
		return;
	top = phys_to_virt(r->index);
	for (u64 i = first / 512; i < 512; i++) {
		u64 *mid;
		bool empty = true;
		if (!top[i])
			continue;
		mid = phys_to_virt(top[i]);
		for (u64 j = 0; j < 512; j++) {
			if (mid[j] && i * 512 + j >= first) {
				page_put(mid[j]);
				mid[j] = 0;
			}
			if (mid[j])
				empty = false;
		}
		if (empty) {
			page_put(top[i]);
			top[i] = 0;
		}
	}
	if (first == 0) {
		page_put(r->index);
		r->index = 0;
	}
}

static s64 rf_read(struct inode *ip, void *buf, u64 off, u64 n)
{
	struct rfile *r = ip->data;
	u64 done = 0;

	if (off >= ip->size)
		return 0;
	if (n > ip->size - off)
		n = ip->size - off;
	while (done < n) {
		u64 o = (off + done) % PGSIZE, len = PGSIZE - o;
		u64 pg = data_page(r, (off + done) / PGSIZE, false);
		if (len > n - done)
			len = n - done;
		if (pg)
			memcpy((u8 *)buf + done, (u8 *)phys_to_virt(pg) + o, len);
		else
			memset((u8 *)buf + done, 0, len);
		done += len;
	}
	return done;
}

static s64 rf_write(struct inode *ip, const void *buf, u64 off, u64 n)
{
	struct rfile *r = ip->data;
	u64 done = 0;

	if (off >= RAMFS_MAX_FILE)
		return n ? -EFBIG : 0;
	if (n > RAMFS_MAX_FILE - off)
		n = RAMFS_MAX_FILE - off;
	while (done < n) {
		u64 o = (off + done) % PGSIZE, len = PGSIZE - o;
		u64 pg = data_page(r, (off + done) / PGSIZE, true);
		if (!pg)
			break;
		if (len > n - done)
			len = n - done;
		memcpy((u8 *)phys_to_virt(pg) + o, (const u8 *)buf + done, len);
		done += len;
	}
	if (done == 0 && n > 0)
		return -ENOSPC;
	if (off + done > ip->size)
		ip->size = off + done;
	return done;
}

static int rf_truncate(struct inode *ip, u64 size)
{
	struct rfile *r = ip->data;

	if (size > RAMFS_MAX_FILE)
		return -EFBIG;
	if (size < ip->size) {
		/* Zero the tail of the last page kept: it may be read after a
		 * later extension. */
		u64 pg = size % PGSIZE ? data_page(r, size / PGSIZE, false) : 0;
		if (pg)
			memset((u8 *)phys_to_virt(pg) + size % PGSIZE, 0, PGSIZE - size % PGSIZE);
		free_from(r, (size + PGSIZE - 1) / PGSIZE);
	}
	ip->size = size;
	return 0;
}

static u64 rf_page(struct inode *ip, u64 pg)
{
	return pg < RAMFS_MAX_FILE / PGSIZE ? data_page(ip->data, pg, true) : 0;
}

static void rf_evict(struct inode *ip)
{
	if (ip->data) {
		free_from(ip->data, 0);
		kfree_obj(ip->data);
	}
}

/* ---- Directories ---- */

static struct dirent_k *dir_find(struct inode *dir, const char *name, struct dirent_k ***link)
{
	struct dirent_k **pp = (struct dirent_k **)&dir->data;

	for (; *pp; pp = &(*pp)->next) {
		if (strcmp((*pp)->name, name) == 0) {
			if (link)
				*link = pp;
			return *pp;
		}
	}
	return 0;
}

static struct inode *rd_lookup(struct inode *dir, const char *name)
{
	struct dirent_k *d = dir_find(dir, name, 0);

	return d ? iget(d->ip) : 0;
}

/* Add the entry name -> ip to dir (the caller checked it is new). */
static int dir_add(struct inode *dir, const char *name, struct inode *ip)
{
	u64 len = strlen(name);
	struct dirent_k *d = kmalloc(sizeof(*d) + len + 1);

	if (!d)
		return -ENOSPC;
	memcpy(d->name, name, len + 1);
	d->ip = ip;
	d->next = dir->data;
	dir->data = d;
	dir->size += 1;
	inode_touch(dir, false, true);
	return 0;
}

static bool is_dir(struct inode *ip)
{
	return S_ISDIR(ip->mode);
}

static int rd_create(struct inode *dir, const char *name, u32 mode, u32 rdev, struct inode **out)
{
	struct inode *ip;

	if (dir->nlink == 0)
		return -ENOENT;       /* a removed directory takes no new names */
	if (dir_find(dir, name, 0))
		return -EEXIST;
	if (!(ip = inode_new(dir->sb, mode)))
		return -ENOSPC;
	ip->rdev = rdev;
	if (is_dir(ip)) {
		ip->op = &ramfs_dir_ops;
		ip->fop = &ramfs_dir_fops;
		ip->parent = dir;
	} else if (S_ISREG(mode) || S_ISLNK(mode)) {
		ip->op = &ramfs_file_ops;
		ip->fop = &ramfs_file_fops;
		if (!(ip->data = kmalloc(sizeof(struct rfile)))) {
			kfree_obj(ip);
			return -ENOSPC;
		}
	} else {
		ip->op = &ramfs_special_ops;   /* devices and FIFOs: their ops come from open */
	}
	if (dir_add(dir, name, ip) < 0) {
		ip->ref = 1;
		iput(ip);
		return -ENOSPC;
	}
	ip->nlink = is_dir(ip) ? 2 : 1;
	if (is_dir(ip))
		dir->nlink++;
	*out = ip;
	return 0;
}

static int rd_link(struct inode *dir, const char *name, struct inode *ip)
{
	int r;

	if (dir->nlink == 0)
		return -ENOENT;
	if (dir_find(dir, name, 0))
		return -EEXIST;
	if ((r = dir_add(dir, name, ip)) < 0)
		return r;
	ip->nlink++;
	ip->ctime = fs_now();
	return 0;
}

/* Remove dir's entry name; the inode loses the name (and, a directory,
 * its "." and its parent's ".." count). */
static void dir_remove(struct inode *dir, struct dirent_k **link)
{
	struct dirent_k *d = *link;
	struct inode *ip = d->ip;

	*link = d->next;
	kfree_obj(d);
	dir->size -= 1;
	inode_touch(dir, false, true);
	ip->ctime = fs_now();
	if (is_dir(ip)) {
		dir->nlink--;
		ip->nlink = 0;
	} else {
		ip->nlink--;
	}
	/* No reference was taken for the name: free it if nothing else holds it. */
	ip->ref++;
	iput(ip);
}

static int rd_unlink(struct inode *dir, const char *name, bool rmdir)
{
	struct dirent_k **link, *d = dir_find(dir, name, &link);

	if (!d)
		return -ENOENT;
	if (rmdir && !is_dir(d->ip))
		return -ENOTDIR;
	if (!rmdir && is_dir(d->ip))
		return -EISDIR;
	if (rmdir && d->ip->data)
		return -ENOTEMPTY;
	if (rmdir && d->ip->mounted)
		return -EBUSY;
	dir_remove(dir, link);
	return 0;
}

static int rd_rename(struct inode *odir, const char *oname, struct inode *ndir,
		     const char *nname, u32 flags)
{
	struct dirent_k **olink, **nlink = 0, *o = dir_find(odir, oname, &olink);
	struct dirent_k *n = dir_find(ndir, nname, &nlink);
	struct inode *ip;

	if (!o || ndir->nlink == 0)
		return -ENOENT;
	if (flags & ~(u32)(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL;
	ip = o->ip;
	if (n && n->ip == ip)
		return 0;             /* the same file under both names: nothing to do */
	if (is_dir(ip) && inode_is_ancestor(ip, ndir))
		return -EINVAL;       /* a directory into itself */
	if (flags & RENAME_EXCHANGE) {
		if (!n)
			return -ENOENT;
		if (is_dir(n->ip) && inode_is_ancestor(n->ip, odir))
			return -EINVAL;
		o->ip = n->ip;
		n->ip = ip;
		if (is_dir(o->ip))
			o->ip->parent = odir;
		if (is_dir(ip))
			ip->parent = ndir;
		odir->nlink += is_dir(o->ip) - is_dir(ip);
		ndir->nlink += is_dir(ip) - is_dir(o->ip);
		inode_touch(odir, false, true);
		inode_touch(ndir, false, true);
		return 0;
	}
	if (n) {
		if (flags & RENAME_NOREPLACE)
			return -EEXIST;
		if (is_dir(ip) && !is_dir(n->ip))
			return -ENOTDIR;
		if (!is_dir(ip) && is_dir(n->ip))
			return -EISDIR;
		if (is_dir(n->ip) && n->ip->data)
			return -ENOTEMPTY;
		if (n->ip->mounted)
			return -EBUSY;
	}
	/* Hold ip while it has neither name; then replace the target, add
	 * the new name, and drop the old one.  The names differ (the same
	 * entry returned above), so the old one is found again after the
	 * lists changed. */
	ip->ref++;
	if (n)
		dir_remove(ndir, nlink);
	if (dir_add(ndir, nname, ip) < 0) {
		ip->ref--;
		return -ENOSPC;
	}
	o = dir_find(odir, oname, &olink);
	*olink = o->next;
	kfree_obj(o);
	odir->size -= 1;
	if (is_dir(ip)) {
		odir->nlink--;
		ndir->nlink++;
		ip->parent = ndir;
	}
	inode_touch(odir, false, true);
	ip->ctime = fs_now();
	ip->ref--;
	return 0;
}

static void rd_readdir(struct inode *dir, u64 *pos, void *ctx,
		       bool (*emit)(void *ctx, const char *name, u64 ino, u8 type))
{
	u64 i = 0;

	if (*pos == 0) {
		if (!emit(ctx, ".", dir->ino, DT_DIR))
			return;
		*pos = 1;
	}
	if (*pos == 1) {
		struct inode *up = dir->parent ? dir->parent : dir;
		if (!emit(ctx, "..", up->ino, DT_DIR))
			return;
		*pos = 2;
	}
	for (struct dirent_k *d = dir->data; d; d = d->next, i++) {
		if (i + 2 < *pos)
			continue;
		if (!emit(ctx, d->name, d->ip->ino, inode_dtype(d->ip->mode)))
			return;
		*pos = i + 3;
	}
}

static const struct inode_ops ramfs_dir_ops = {
	.lookup = rd_lookup,
	.create = rd_create,
	.link = rd_link,
	.unlink = rd_unlink,
	.rename = rd_rename,
	.readdir = rd_readdir,
};

static const struct inode_ops ramfs_file_ops = {
	.read = rf_read,
	.write = rf_write,
	.truncate = rf_truncate,
	.page = rf_page,
	.evict = rf_evict,
};

/* Devices and FIFOs: nothing but attributes (a FIFO's pipe is pipe.c's). */
static const struct inode_ops ramfs_special_ops = { 0 };

/* ---- Open files ---- */

const struct file_ops ramfs_file_fops = {
	.read = inode_file_read,
	.write = inode_file_write,
	.seekable = true,
};

const struct file_ops ramfs_dir_fops = {
	.seekable = true,
};

/* A new, empty ramfs: its root directory, mode 0755 (a tmpfs mount's
 * is 1777, set by the caller). */
struct super *ramfs_new(void)
{
	struct super *sb = kmalloc(sizeof(*sb));
	struct inode *root;

	if (!sb)
		return 0;
	sb->type = "tmpfs";
	sb->magic = TMPFS_MAGIC;
	sb->dev = ++ramfs.next_dev;
	root = inode_new(sb, S_IFDIR | 0755);
	if (!root) {
		kfree_obj(sb);
		return 0;
	}
	root->op = &ramfs_dir_ops;
	root->fop = &ramfs_dir_fops;
	root->nlink = 2;
	sb->root = root;
	return sb;
}
