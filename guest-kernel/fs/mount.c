/*
 * mount.c: the file-system tree at boot, mount and umount2, statfs.
 *
 * At boot the root is a ramfs holding /dev (the device nodes), /proc (with
 * procfs mounted on it), /tmp and /root; the initramfs is unpacked over
 * it.  mount(2) knows two types: "tmpfs" (a new ramfs) and "proc"; a
 * mount covers a directory until umount2().  The table of mounts is what
 * /proc/mounts lists.
 */
#include "defs.h"

struct mount mounts[NMOUNT];

static struct inode *mkdir_in(struct inode *dir, const char *name, u32 mode)
{
	struct inode *ip = dir->op->lookup(dir, name);

	if (!ip && dir->op->create(dir, name, S_IFDIR | mode, 0, &ip) < 0)
		panic("fs: cannot create /%s", name);
	return ip;
}

static int attach(struct super *sb, struct inode *on, const char *source, const char *target)
{
	for (int i = 0; i < NMOUNT; i++) {
		if (mounts[i].sb)
			continue;
		mounts[i] = (struct mount){ .sb = sb, .on = iget(on) };
		strlcpy(mounts[i].source, source, sizeof(mounts[i].source));
		strlcpy(mounts[i].target, target, sizeof(mounts[i].target));
		on->mounted = iget(sb->root);
		sb->root->covered = on;
		return 0;
	}
	return -ENOMEM;
}

void fs_init(u64 ram_pages)
{
	struct super *root;
	struct inode *dir;

	ramfs_init(ram_pages / 2);
	if (!(root = ramfs_new()))
		panic("fs: out of memory for the root file system");
	fs_set_root(root->root);
	mounts[0] = (struct mount){ .sb = root, .on = 0 };
	strlcpy(mounts[0].source, "rootfs", sizeof(mounts[0].source));
	strlcpy(mounts[0].target, "/", sizeof(mounts[0].target));
	dir = mkdir_in(root->root, "dev", 0755);
	devices_populate(dir);
	iput(dir);
	iput(mkdir_in(root->root, "tmp", 01777));
	iput(mkdir_in(root->root, "root", 0700));
	dir = mkdir_in(root->root, "proc", 0555);
	if (attach(procfs_new(), dir, "proc", "/proc") < 0)
		panic("fs: cannot mount /proc");
	iput(dir);
}

/* After the initramfs: its /dev may lack nodes the kernel provides. */
void fs_after_initramfs(void)
{
	struct inode *dev;

	if (path_lookup(AT_FDCWD, "/dev", LOOKUP_FOLLOW | LOOKUP_DIR, &dev) == 0) {
		devices_populate(dev);
		iput(dev);
	}
}

static int copy_str(char *dst, u64 va, u64 size)
{
	int r = copyin_str(dst, va, size);

	return r == -ENAMETOOLONG ? -EINVAL : r;
}

s64 sys_mount(u64 source_va, u64 target_va, u64 type_va, u64 flags, u64 data)
{
	char source[64] = "none", type[16], target[256];   /* mounts[].target's size */
	struct inode *on;
	struct super *sb;
	int r;

	(void)data;
	if (!type_va)
		return -EINVAL;
	if ((r = copy_str(type, type_va, sizeof(type))) < 0)
		return r == -EINVAL ? -ENODEV : r;
	if (source_va && (r = copy_str(source, source_va, sizeof(source))) < 0)
		return r;
	if (flags & 0x20)                  /* MS_REMOUNT: nothing to change */
		return 0;
	if (strcmp(type, "tmpfs") != 0 && strcmp(type, "proc") != 0)
		return -ENODEV;
	if ((r = path_lookup_user(AT_FDCWD, target_va, LOOKUP_FOLLOW | LOOKUP_DIR, 0, &on)) < 0)
		return r;
	path_of(on, target, sizeof(target));
	if (on->mounted || on->covered) {
		r = -EBUSY;
	} else {
		sb = strcmp(type, "proc") == 0 ? procfs_new() : ramfs_new();
		if (!sb)
			r = -ENOMEM;
		else if (strcmp(type, "tmpfs") == 0)
			sb->root->mode = S_IFDIR | 01777;
		if (sb && (r = attach(sb, on, source, target)) < 0)
			iput(sb->root);
	}
	iput(on);
	return r;
}

s64 sys_umount2(u64 target_va, u64 flags)
{
	struct inode *root;
	int r;

	(void)flags;
	if ((r = path_lookup_user(AT_FDCWD, target_va, LOOKUP_FOLLOW, 0, &root)) < 0)
		return r;
	r = -EINVAL;                      /* not a mount point */
	for (int i = 1; i < NMOUNT; i++) {
		if (!mounts[i].sb || mounts[i].sb->root != root)
			continue;
		/* Busy if anything holds its root but the file system itself,
		 * the mount and this lookup (a working directory there, an open
		 * directory).  Files deeper down are not seen. */
		if (root->ref > 3) {
			r = -EBUSY;
			break;
		}
		mounts[i].on->mounted = 0;
		root->covered = 0;
		iput(root);               /* the mount's reference */
		iput(mounts[i].on);
		mounts[i].sb = 0;
		r = 0;
		break;
	}
	iput(root);
	return r;
}

static s64 statfs_of(struct inode *ip, u64 buf_va)
{
	struct statfs st;

	memset(&st, 0, sizeof(st));
	st.f_type = ip->sb->magic;
	st.f_bsize = st.f_frsize = PGSIZE;
	st.f_namelen = NAME_MAX;
	if (ip->sb->magic == TMPFS_MAGIC) {
		st.f_blocks = ramfs_pages_max();
		st.f_bfree = st.f_bavail = ramfs_pages_max() - ramfs_pages_used();
		st.f_files = st.f_blocks;
		st.f_ffree = st.f_bfree;
	}
	st.f_fsid[0] = ip->sb->dev;
	iput(ip);
	return copyout(buf_va, &st, sizeof(st));
}

s64 sys_statfs(u64 path_va, u64 buf_va)
{
	struct inode *ip;
	int r = path_lookup_user(AT_FDCWD, path_va, LOOKUP_FOLLOW, 0, &ip);

	if (r < 0)
		return r;
	return statfs_of(ip, buf_va);
}

s64 sys_fstatfs(u64 fd, u64 buf_va)
{
	struct file *f = fd_file(fd);

	if (!f)
		return -EBADF;
	if (!f->ip)
		return -EINVAL;
	return statfs_of(iget(f->ip), buf_va);
}
