/*
 * mount.c: the file-system tree at boot, mount and umount2, statfs.
 *
 * At boot the root is a ramfs holding /dev (the device nodes, and devpts
 * mounted on /dev/pts, drivers/pty.c), /proc (with
 * procfs mounted on it), /tmp and /root; the initramfs is unpacked over
 * it.  mount(2) knows "tmpfs" (a new ramfs), "devtmpfs" (one holding the
 * device nodes), "proc" and "ext2" (the disk, fs/ext2/: its source must
 * name /dev/sda); a mount covers a directory until umount2().  MS_RDONLY
 * and MS_REMOUNT (read-only <-> read-write) matter to ext2, MS_MOVE moves
 * a mount to another directory (busybox switch_root moves the new root
 * onto "/").  With root=/dev/sda on the command line the disk's file
 * system covers the RAM root at boot (fs_mount_root()), as Linux's
 * root= does when there is no initramfs.  The table of mounts is what
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

#define MS_RDONLY  0x1
#define MS_REMOUNT 0x20
#define MS_MOVE    0x2000

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
	struct inode *dir, *pts;

	ramfs_init(ram_pages / 2);
	if (!(root = ramfs_new()))
		panic("fs: out of memory for the root file system");
	fs_set_root(root->root);
	mounts[0] = (struct mount){ .sb = root, .on = 0 };
	strlcpy(mounts[0].source, "rootfs", sizeof(mounts[0].source));
	strlcpy(mounts[0].target, "/", sizeof(mounts[0].target));
	dir = mkdir_in(root->root, "dev", 0755);
	devices_populate(dir);
	pts = mkdir_in(dir, "pts", 0755);
	if (attach(pty_devpts(), pts, "devpts", "/dev/pts") < 0)
		panic("fs: cannot mount /dev/pts");
	iput(pts);
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

/* The file system a mount of type on source would give, or -errno. */
static int make_super(const char *type, const char *source, u64 flags, struct super **out)
{
	struct inode *dev;
	int r;

	if (strcmp(type, "proc") == 0)
		*out = procfs_new();
	else if (strcmp(type, "tmpfs") == 0 || strcmp(type, "devtmpfs") == 0)
		*out = ramfs_new();
	else if (strcmp(type, "ext2") != 0)
		return -ENODEV;
	else {
		/* The disk file system: its source must be the disk's node. */
		if ((r = path_lookup(AT_FDCWD, source, LOOKUP_FOLLOW, &dev)) < 0)
			return r;
		r = !S_ISBLK(dev->mode) ? -ENOTBLK : dev->rdev != DEV(8, 0) ? -ENXIO : 0;
		iput(dev);
		return r < 0 ? r : ext2_mount(flags & MS_RDONLY, out);
	}
	if (!*out)
		return -ENOMEM;
	if (strcmp(type, "tmpfs") == 0)
		(*out)->root->mode = S_IFDIR | 01777;
	if (strcmp(type, "devtmpfs") == 0) {
		(*out)->type = "devtmpfs";
		devices_populate((*out)->root);
	}
	return 0;
}

/* The mount whose root is ip, or -1. */
static int mount_of_root(struct inode *ip)
{
	for (int i = 1; i < NMOUNT; i++)
		if (mounts[i].sb && mounts[i].sb->root == ip)
			return i;
	return -1;
}

/* MS_MOVE: the mount whose root source names goes onto on. */
static int move_mount(const char *source, struct inode *on, const char *target)
{
	struct inode *src;
	int i, r;

	if ((r = path_lookup(AT_FDCWD, source, LOOKUP_FOLLOW | LOOKUP_DIR, &src)) < 0)
		return r;
	i = mount_of_root(src);
	iput(src);
	if (i < 0)
		return -EINVAL;           /* not a mount point */
	if (mounts[i].on == on || on->covered == mounts[i].on)
		return 0;
	mounts[i].on->mounted = 0;
	iput(mounts[i].on);
	mounts[i].on = iget(on);
	on->mounted = mounts[i].sb->root;
	mounts[i].sb->root->covered = on;
	strlcpy(mounts[i].target, target, sizeof(mounts[i].target));
	return 0;
}

/* MS_REMOUNT: only read-only <-> read-write of a disk file system means
 * anything here. */
static int remount(struct inode *root, u64 flags)
{
	int i = mount_of_root(root);
	struct super *sb;

	if (i < 0) {
		sb = root == fs_root() ? mounts[0].sb : 0;
		if (!sb)
			return -EINVAL;
	} else {
		sb = mounts[i].sb;
	}
	if (!sb->op || !sb->op->remount)
		return 0;
	return sb->op->remount(sb, flags & MS_RDONLY);
}

s64 sys_mount(u64 source_va, u64 target_va, u64 type_va, u64 flags, u64 data)
{
	char source[64] = "none", type[16] = "", target[256];   /* mounts[].target's size */
	struct inode *on;
	struct super *sb;
	int r;

	(void)data;
	if (!type_va && !(flags & (MS_REMOUNT | MS_MOVE)))
		return -EINVAL;
	if (type_va && (r = copy_str(type, type_va, sizeof(type))) < 0)
		return r == -EINVAL ? -ENODEV : r;
	if (source_va && (r = copy_str(source, source_va, sizeof(source))) < 0)
		return r;
	if ((r = path_lookup_user(AT_FDCWD, target_va, LOOKUP_FOLLOW | LOOKUP_DIR, 0, &on)) < 0)
		return r;
	path_of(on, target, sizeof(target));
	if (flags & MS_REMOUNT)
		r = remount(on, flags);
	else if (flags & MS_MOVE)
		r = move_mount(source, on, target);
	else if (on->mounted || on->covered)
		r = -EBUSY;
	else if ((r = make_super(type, source, flags, &sb)) == 0 &&
		 (r = attach(sb, on, source, target)) < 0)
		iput(sb->root);
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
		struct super *sb = mounts[i].sb;
		if (!sb || sb->root != root)
			continue;
		/* Busy if anything holds its root but the file system itself,
		 * the mount and this lookup (a working directory there, an open
		 * directory).  Files deeper down are not seen, but a disk file
		 * system checks its own. */
		if (root->ref > 3) {
			r = -EBUSY;
			break;
		}
		root->ref--;              /* this lookup's: the umount may free root */
		mounts[i].on->mounted = 0;
		root->covered = 0;
		if (sb->op && (r = sb->op->umount(sb, false)) < 0) {
			root->covered = mounts[i].on;
			mounts[i].on->mounted = root;
			return r;
		}
		if (!sb->op)
			iput(root);       /* the mount's reference */
		iput(mounts[i].on);
		mounts[i].sb = 0;
		return 0;
	}
	iput(root);
	return r;
}

/* sync(2): every disk file system to the disk. */
void fs_sync_all(void)
{
	for (int i = 0; i < NMOUNT; i++)
		if (mounts[i].sb && mounts[i].sb->op)
			mounts[i].sb->op->sync(mounts[i].sb);
}

/* Shutdown: every disk file system written and marked clean, whatever
 * still uses it (the VM stops next). */
void fs_shutdown(void)
{
	for (int i = 0; i < NMOUNT; i++)
		if (mounts[i].sb && mounts[i].sb->op)
			mounts[i].sb->op->umount(mounts[i].sb, true);
}

/*
 * The console for a program the kernel starts (referenced): /dev/console,
 * or when "/" has none (a root on the disk without /dev) the RAM root's,
 * which is always there.
 */
int fs_console(struct inode **out)
{
	struct inode *root = mounts[0].sb->root, *dev;

	if (path_lookup(AT_FDCWD, "/dev/console", LOOKUP_FOLLOW, out) == 0)
		return 0;
	if (!(dev = root->op->lookup(root, "dev")))
		return -ENOENT;
	*out = dev->op->lookup ? dev->op->lookup(dev, "console") : 0;
	iput(dev);
	return *out ? 0 : -ENOENT;
}

/*
 * root=/dev/sda (rootfstype=ext2, ro or rw): mount the disk's file system
 * over the RAM root, with a devtmpfs on its /dev and proc on its /proc
 * when it has those directories.  Before the first program; a failure is
 * one console line and -errno, and the caller stops.
 */
int fs_mount_root(const char *dev, const char *type, bool rdonly)
{
	struct super *sb;
	struct inode *dir;
	int r;

	if (strcmp(type, "ext2") != 0) {
		kprintf("root: rootfstype=%s is not supported (ext2 is)\n", type);
		return -ENODEV;
	}
	if ((r = make_super(type, dev, rdonly ? MS_RDONLY : 0, &sb)) < 0) {
		kprintf("root: cannot mount %s as ext2 (error %d)\n", dev, r);
		return r;
	}
	if ((r = attach(sb, fs_root(), dev, "/")) < 0)
		return r;
	if (path_lookup(AT_FDCWD, "/dev", LOOKUP_FOLLOW | LOOKUP_DIR, &dir) == 0) {
		if (make_super("devtmpfs", "devtmpfs", 0, &sb) == 0 &&
		    attach(sb, dir, "devtmpfs", "/dev") < 0)
			iput(sb->root);
		iput(dir);
	}
	if (path_lookup(AT_FDCWD, "/proc", LOOKUP_FOLLOW | LOOKUP_DIR, &dir) == 0) {
		if (!dir->mounted && make_super("proc", "proc", 0, &sb) == 0 &&
		    attach(sb, dir, "proc", "/proc") < 0)
			iput(sb->root);
		iput(dir);
	}
	return 0;
}

static s64 statfs_of(struct inode *ip, u64 buf_va)
{
	struct statfs st;

	memset(&st, 0, sizeof(st));
	st.f_type = ip->sb->magic;
	st.f_bsize = st.f_frsize = PGSIZE;
	st.f_namelen = NAME_MAX;
	if (ip->sb->op && ip->sb->op->statfs) {
		ip->sb->op->statfs(ip->sb, &st);
	} else if (ip->sb->magic == TMPFS_MAGIC) {
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
