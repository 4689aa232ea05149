/*
 * sys_path.c: the system calls that name files by path: open, the *at()
 * family, stat and statx, directories, links, renames, attributes, the
 * working directory and umask.  One user exists, root, so permission bits
 * are kept and reported but never refuse access (as for root on Linux),
 * except that a file without any execute bit cannot be executed.
 */
#include "defs.h"

/* A path from user memory into a kernel page (freed with kfree()). */
static int get_path(u64 va, char **out)
{
	u64 page = kalloc();
	int r;

	if (!page)
		return -ENOMEM;
	r = copyin_str(phys_to_virt(page), va, PATH_MAX);
	if (r < 0) {
		kfree(page);
		return r;
	}
	*out = phys_to_virt(page);
	return 0;
}

static void put_path(char *p)
{
	kfree((u64)p - phys_offset);
}

/* The inode a path in user memory (or, with AT_EMPTY_PATH and "", dirfd
 * itself) names; referenced.  For every call that names a file by path. */
int path_lookup_user(s64 dirfd, u64 path_va, int flags, int at_flags, struct inode **out)
{
	char *path;
	int r;

	if ((r = get_path(path_va, &path)) < 0)
		return r;
	if (path[0] == 0 && (at_flags & AT_EMPTY_PATH)) {
		struct file *f = dirfd == AT_FDCWD ? 0 : fd_file(dirfd);
		put_path(path);
		if (dirfd == AT_FDCWD) {
			*out = iget(cpu.proc->cwd);
			return 0;
		}
		if (!f)
			return -EBADF;
		*out = iget(f->ip);
		return 0;
	}
	r = path_lookup(dirfd, path, flags, out);
	put_path(path);
	return r;
}

/* ---- open ---- */

/*
 * open() with O_CREAT of name in dir (whose reference it takes): the file
 * that is there, or a new regular file.  A symbolic link there is followed
 * (unless O_NOFOLLOW: ELOOP); one that leads nowhere creates its target,
 * as on Linux.  buf (PATH_MAX bytes) holds link targets on the way.
 */
static int create_in(struct inode *dir, char *name, u64 flags, u64 mode, char *buf,
		     struct inode **out)
{
	for (int links = 0;; links++) {
		struct inode *ip = dir->op->lookup ? dir->op->lookup(dir, name) : 0;
		s64 n;
		int r;

		if (ip && (flags & O_EXCL)) {
			iput(ip);
			iput(dir);
			return -EEXIST;
		}
		if (ip && !S_ISLNK(ip->mode)) {
			iput(dir);
			*out = ip;
			return 0;
		}
		if (!ip) {
			r = dir->op->create ? dir->op->create(dir, name,
					S_IFREG | (mode & 07777 & ~cpu.proc->umask), 0, out) : -EROFS;
			iput(dir);
			return r;
		}
		if ((flags & O_NOFOLLOW) || links >= SYMLOOP_MAX) {
			iput(ip);
			iput(dir);
			return -ELOOP;
		}
		/* A magic link (/proc/self/fd/N, namei.c): the inode it stands for. */
		if (ip->op->get_link && (*out = ip->op->get_link(ip))) {
			iput(ip);
			iput(dir);
			return 0;
		}
		/* A link: go on with its target's last component. */
		n = ip->size < PATH_MAX ? ip->op->read(ip, buf, 0, ip->size) : -ENAMETOOLONG;
		iput(ip);
		if (n < 0) {
			iput(dir);
			return n;
		}
		buf[n] = 0;
		if ((r = path_parent_in(dir, buf, &dir, name)) < 0)
			return r;
		if (r == 1 || name[0] == 0 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
			iput(dir);
			return -EISDIR;
		}
	}
}

s64 sys_openat(s64 dirfd, u64 path_va, u64 flags, u64 mode)
{
	char *path, name[NAME_MAX + 1];
	struct inode *ip = 0, *dir;
	struct file *f;
	int r;

	if ((flags & O_TMPFILE) == O_TMPFILE)
		return -EOPNOTSUPP;
	if ((r = get_path(path_va, &path)) < 0)
		return r;
	if (flags & O_CREAT) {
		r = path_parent(dirfd, path, &dir, name);
		if (r >= 0 && (r == 1 || name[0] == 0 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)) {
			iput(dir);
			r = -EISDIR;
		}
		if (r >= 0)
			r = create_in(dir, name, flags, mode, path, &ip);
	} else {
		r = path_lookup(dirfd, path, (flags & O_NOFOLLOW) ? 0 : LOOKUP_FOLLOW, &ip);
		if (r == 0 && S_ISLNK(ip->mode)) {
			iput(ip);
			r = -ELOOP;           /* O_NOFOLLOW on a link */
		}
	}
	if (r < 0) {
		put_path(path);
		return r;
	}
	if ((flags & O_DIRECTORY) && !S_ISDIR(ip->mode)) {
		put_path(path);
		iput(ip);
		return -ENOTDIR;
	}
	if (S_ISDIR(ip->mode) && ((flags & O_ACCMODE) != O_RDONLY || (flags & O_CREAT))) {
		put_path(path);
		iput(ip);
		return -EISDIR;
	}
	if ((flags & O_TRUNC) && S_ISREG(ip->mode) && (flags & O_ACCMODE) != O_RDONLY && ip->size) {
		ip->op->truncate(ip, 0);
		inode_touch(ip, false, true);
	}
	r = file_open_inode(ip, flags, &f);
	if (r == 0)
		f->path = procfs_file_path(dirfd, path, ip);    /* for /proc/PID/fd */
	put_path(path);
	iput(ip);
	if (r < 0)
		return r;
	r = fd_install(f, 0, flags & O_CLOEXEC);
	if (r < 0)
		file_put(f);
	return r;
}

s64 sys_open(u64 path, u64 flags, u64 mode)
{
	return sys_openat(AT_FDCWD, path, flags, mode);
}

s64 sys_creat(u64 path, u64 mode)
{
	return sys_openat(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

/* ---- stat ---- */

static s64 stat_out(struct inode *ip, u64 st_va)
{
	struct stat st;

	inode_stat(ip, &st);
	iput(ip);
	return copyout(st_va, &st, sizeof(st));
}

s64 sys_newfstatat(s64 dirfd, u64 path_va, u64 st_va, u64 flags)
{
	struct inode *ip;
	int r;

	if (flags & ~(u64)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
		return -EINVAL;
	r = path_lookup_user(dirfd, path_va, (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW, flags, &ip);
	if (r < 0)
		return r;
	return stat_out(ip, st_va);
}

s64 sys_stat(u64 path, u64 st)
{
	return sys_newfstatat(AT_FDCWD, path, st, 0);
}

s64 sys_lstat(u64 path, u64 st)
{
	return sys_newfstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

s64 sys_fstat(u64 fd, u64 st_va)
{
	struct file *f = fd_file(fd);

	if (!f)
		return -EBADF;
	return stat_out(iget(f->ip), st_va);
}

s64 sys_statx(s64 dirfd, u64 path_va, u64 flags, u64 mask, u64 stx_va)
{
	struct inode *ip;
	struct statx x;
	struct stat st;
	int r;

	(void)mask;
	if (flags & ~(u64)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE))
		return -EINVAL;
	r = path_lookup_user(dirfd, path_va, (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW, flags, &ip);
	if (r < 0)
		return r;
	inode_stat(ip, &st);
	iput(ip);
	memset(&x, 0, sizeof(x));
	x.stx_mask = STATX_BASIC_STATS;
	x.stx_blksize = st.st_blksize;
	x.stx_nlink = st.st_nlink;
	x.stx_uid = st.st_uid;
	x.stx_gid = st.st_gid;
	x.stx_mode = st.st_mode;
	x.stx_ino = st.st_ino;
	x.stx_size = st.st_size;
	x.stx_blocks = st.st_blocks;
	x.stx_atime = (struct statx_timestamp){ st.st_atim.tv_sec, st.st_atim.tv_nsec, 0 };
	x.stx_mtime = (struct statx_timestamp){ st.st_mtim.tv_sec, st.st_mtim.tv_nsec, 0 };
	x.stx_ctime = (struct statx_timestamp){ st.st_ctim.tv_sec, st.st_ctim.tv_nsec, 0 };
	x.stx_rdev_major = st.st_rdev >> 8;
	x.stx_rdev_minor = st.st_rdev & 0xff;
	x.stx_dev_minor = st.st_dev;
	return copyout(stx_va, &x, sizeof(x));
}

/* ---- creating and removing names ---- */

/* The parent directory and last name of a path that must name something
 * new or something to remove (not "/", "." or ".."). */
static int parent_of(s64 dirfd, u64 path_va, struct inode **dir, char *name, bool *slash)
{
	char *path;
	int r;

	if ((r = get_path(path_va, &path)) < 0)
		return r;
	r = path_parent(dirfd, path, dir, name);
	put_path(path);
	if (r < 0)
		return r;
	if (slash)
		*slash = r == 1;
	if (name[0] == 0 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		iput(*dir);
		/* What Linux says for "/", "." and ".." (rmdir: EBUSY, EINVAL,
		 * ENOTEMPTY; the callers translate for their call). */
		return name[0] == 0 ? -EEXIST : name[1] == 0 ? -EINVAL : -ENOTEMPTY;
	}
	return 0;
}

static s64 make_node(s64 dirfd, u64 path_va, u32 mode, u32 rdev)
{
	char name[NAME_MAX + 1];
	struct inode *dir, *ip;
	bool slash;
	int r;

	if ((r = parent_of(dirfd, path_va, &dir, name, &slash)) < 0)
		return r == -EINVAL || r == -ENOTEMPTY ? -EEXIST : r;
	if (slash && !S_ISDIR(mode)) {
		iput(dir);
		return -ENOENT;
	}
	r = dir->op->create ? dir->op->create(dir, name, mode, rdev, &ip) : -EROFS;
	iput(dir);
	if (r == 0)
		iput(ip);
	return r;
}

s64 sys_mkdirat(s64 dirfd, u64 path, u64 mode)
{
	return make_node(dirfd, path, S_IFDIR | (mode & 07777 & ~cpu.proc->umask), 0);
}

s64 sys_mkdir(u64 path, u64 mode)
{
	return sys_mkdirat(AT_FDCWD, path, mode);
}

s64 sys_mknodat(s64 dirfd, u64 path, u64 mode, u64 dev)
{
	u32 type = mode & S_IFMT;

	if (type == 0)
		type = S_IFREG;
	if (type != S_IFREG && type != S_IFCHR && type != S_IFBLK && type != S_IFIFO && type != S_IFSOCK)
		return -EINVAL;
	/* Linux's dev_t to ours: major in bits 8-19, minor in 0-7 (and 20-31). */
	return make_node(dirfd, path, type | (mode & 07777 & ~cpu.proc->umask),
			 DEV((dev >> 8) & 0xfff, dev & 0xff));
}

s64 sys_mknod(u64 path, u64 mode, u64 dev)
{
	return sys_mknodat(AT_FDCWD, path, mode, dev);
}

s64 sys_unlinkat(s64 dirfd, u64 path_va, u64 flags)
{
	char name[NAME_MAX + 1];
	struct inode *dir;
	bool slash, rmdir = flags & AT_REMOVEDIR;
	int r;

	if (flags & ~(u64)AT_REMOVEDIR)
		return -EINVAL;
	if ((r = parent_of(dirfd, path_va, &dir, name, &slash)) < 0) {
		if (r == -EEXIST)
			return rmdir ? -EBUSY : -EISDIR;
		return !rmdir && (r == -EINVAL || r == -ENOTEMPTY) ? -EISDIR : r;
	}
	if (slash && !rmdir) {
		struct inode *ip = dir->op->lookup ? dir->op->lookup(dir, name) : 0;
		r = !ip ? -ENOENT : S_ISDIR(ip->mode) ? -EISDIR : -ENOTDIR;
		iput(ip);
		iput(dir);
		return r;
	}
	r = dir->op->unlink ? dir->op->unlink(dir, name, rmdir) : -EROFS;
	iput(dir);
	return r;
}

s64 sys_unlink(u64 path)
{
	return sys_unlinkat(AT_FDCWD, path, 0);
}

s64 sys_rmdir(u64 path)
{
	return sys_unlinkat(AT_FDCWD, path, AT_REMOVEDIR);
}

s64 sys_symlinkat(u64 target_va, s64 dirfd, u64 path_va)
{
	char name[NAME_MAX + 1], *target;
	struct inode *dir, *ip;
	s64 n;
	int r;

	if ((r = get_path(target_va, &target)) < 0)
		return r;
	if (target[0] == 0) {
		put_path(target);
		return -ENOENT;
	}
	if ((r = parent_of(dirfd, path_va, &dir, name, 0)) < 0) {
		put_path(target);
		return r == -EINVAL || r == -ENOTEMPTY ? -EEXIST : r;
	}
	r = dir->op->create ? dir->op->create(dir, name, S_IFLNK | 0777, 0, &ip) : -EROFS;
	if (r == 0) {
		n = ip->op->write(ip, target, 0, strlen(target));
		iput(ip);
		if (n < 0) {
			r = n;                /* no room for the target: take the name back */
			dir->op->unlink(dir, name, false);
		}
	}
	iput(dir);
	put_path(target);
	return r;
}

s64 sys_symlink(u64 target, u64 path)
{
	return sys_symlinkat(target, AT_FDCWD, path);
}

s64 sys_readlinkat(s64 dirfd, u64 path_va, u64 buf, u64 size)
{
	struct inode *ip;
	char *tmp;
	s64 n;
	int r;

	if ((s64)size <= 0)
		return -EINVAL;
	if ((r = path_lookup_user(dirfd, path_va, 0, AT_EMPTY_PATH, &ip)) < 0)
		return r;
	if (!S_ISLNK(ip->mode)) {
		iput(ip);
		return -EINVAL;
	}
	u64 page = kalloc();
	if (!page) {
		iput(ip);
		return -ENOMEM;
	}
	tmp = phys_to_virt(page);
	n = ip->op->read(ip, tmp, 0, ip->size < PGSIZE ? ip->size : PGSIZE);
	iput(ip);
	if (n > (s64)size)
		n = size;
	if (n >= 0 && copyout(buf, tmp, n) < 0)
		n = -EFAULT;
	kfree(page);
	return n;
}

s64 sys_readlink(u64 path, u64 buf, u64 size)
{
	return sys_readlinkat(AT_FDCWD, path, buf, size);
}

s64 sys_linkat(s64 olddirfd, u64 old_va, s64 newdirfd, u64 new_va, u64 flags)
{
	char name[NAME_MAX + 1];
	struct inode *ip, *dir;
	int r;

	if (flags & ~(u64)(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if ((r = path_lookup_user(olddirfd, old_va, (flags & AT_SYMLINK_FOLLOW) ? LOOKUP_FOLLOW : 0, flags, &ip)) < 0)
		return r;
	if (S_ISDIR(ip->mode)) {
		iput(ip);
		return -EPERM;
	}
	if ((r = parent_of(newdirfd, new_va, &dir, name, 0)) < 0) {
		iput(ip);
		return r == -EINVAL || r == -ENOTEMPTY ? -EEXIST : r;
	}
	if (dir->sb != ip->sb)
		r = -EXDEV;
	else
		r = dir->op->link ? dir->op->link(dir, name, ip) : -EPERM;
	iput(dir);
	iput(ip);
	return r;
}

s64 sys_link(u64 oldp, u64 newp)
{
	return sys_linkat(AT_FDCWD, oldp, AT_FDCWD, newp, 0);
}

s64 sys_renameat2(s64 olddirfd, u64 old_va, s64 newdirfd, u64 new_va, u64 flags)
{
	char oname[NAME_MAX + 1], nname[NAME_MAX + 1];
	struct inode *odir, *ndir;
	int r;

	if (flags & ~(u64)(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL;
	if ((flags & RENAME_NOREPLACE) && (flags & RENAME_EXCHANGE))
		return -EINVAL;
	if ((r = parent_of(olddirfd, old_va, &odir, oname, 0)) < 0)
		return r == -EEXIST || r == -ENOTEMPTY ? -EBUSY : r;
	if ((r = parent_of(newdirfd, new_va, &ndir, nname, 0)) < 0) {
		iput(odir);
		return r == -EEXIST || r == -ENOTEMPTY ? -EBUSY : r;
	}
	if (odir->sb != ndir->sb)
		r = -EXDEV;
	else
		r = odir->op->rename ? odir->op->rename(odir, oname, ndir, nname, flags) : -EROFS;
	iput(odir);
	iput(ndir);
	return r;
}

s64 sys_renameat(s64 od, u64 o, s64 nd, u64 n)
{
	return sys_renameat2(od, o, nd, n, 0);
}

s64 sys_rename(u64 o, u64 n)
{
	return sys_renameat2(AT_FDCWD, o, AT_FDCWD, n, 0);
}

/* ---- attributes ---- */

s64 sys_fchmodat(s64 dirfd, u64 path_va, u64 mode)
{
	struct inode *ip;
	int r;

	if ((r = path_lookup_user(dirfd, path_va, LOOKUP_FOLLOW, 0, &ip)) < 0)
		return r;
	ip->mode = (ip->mode & S_IFMT) | (mode & 07777);
	ip->ctime = fs_now();
	iput(ip);
	return 0;
}

s64 sys_chmod(u64 path, u64 mode)
{
	return sys_fchmodat(AT_FDCWD, path, mode);
}

s64 sys_fchmod(u64 fd, u64 mode)
{
	struct file *f = fd_file(fd);

	if (!f)
		return -EBADF;
	if (!f->ip)
		return 0;
	f->ip->mode = (f->ip->mode & S_IFMT) | (mode & 07777);
	f->ip->ctime = fs_now();
	return 0;
}

static void set_owner(struct inode *ip, u64 uid, u64 gid)
{
	if ((u32)uid != (u32)-1)
		ip->uid = uid;
	if ((u32)gid != (u32)-1)
		ip->gid = gid;
	ip->ctime = fs_now();
}

s64 sys_fchownat(s64 dirfd, u64 path_va, u64 uid, u64 gid, u64 flags)
{
	struct inode *ip;
	int r;

	if (flags & ~(u64)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if ((r = path_lookup_user(dirfd, path_va, (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW, flags, &ip)) < 0)
		return r;
	set_owner(ip, uid, gid);
	iput(ip);
	return 0;
}

s64 sys_chown(u64 path, u64 uid, u64 gid)
{
	return sys_fchownat(AT_FDCWD, path, uid, gid, 0);
}

s64 sys_lchown(u64 path, u64 uid, u64 gid)
{
	return sys_fchownat(AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW);
}

s64 sys_fchown(u64 fd, u64 uid, u64 gid)
{
	struct file *f = fd_file(fd);

	if (!f)
		return -EBADF;
	if (f->ip)
		set_owner(f->ip, uid, gid);
	return 0;
}

static int set_time(struct timespec *t, const struct timespec *want)
{
	if (want->tv_nsec == UTIME_OMIT)
		return 0;
	if (want->tv_nsec == UTIME_NOW) {
		*t = fs_now();
		return 0;
	}
	if (want->tv_nsec < 0 || want->tv_nsec >= (s64)NS_PER_S)
		return -EINVAL;
	*t = *want;
	return 0;
}

s64 sys_utimensat(s64 dirfd, u64 path_va, u64 times_va, u64 flags)
{
	struct timespec t[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };
	struct inode *ip;
	int r;

	if (flags & ~(u64)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if (times_va && copyin(t, times_va, sizeof(t)) < 0)
		return -EFAULT;
	for (int i = 0; i < 2; i++)
		if (t[i].tv_nsec != UTIME_NOW && t[i].tv_nsec != UTIME_OMIT &&
		    (t[i].tv_nsec < 0 || t[i].tv_nsec >= (s64)NS_PER_S))
			return -EINVAL;
	if (!path_va) {
		/* futimens(): the file dirfd itself. */
		struct file *f = fd_file(dirfd);
		if (!f)
			return -EBADF;
		if (!f->ip)
			return 0;
		ip = iget(f->ip);
	} else if ((r = path_lookup_user(dirfd, path_va, (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW,
				  flags, &ip)) < 0) {
		return r;
	}
	set_time(&ip->atime, &t[0]);
	set_time(&ip->mtime, &t[1]);
	ip->ctime = fs_now();
	iput(ip);
	return 0;
}

s64 sys_truncate(u64 path_va, u64 size)
{
	struct inode *ip;
	int r;

	if ((s64)size < 0)
		return -EINVAL;
	if ((r = path_lookup_user(AT_FDCWD, path_va, LOOKUP_FOLLOW, 0, &ip)) < 0)
		return r;
	if (S_ISDIR(ip->mode))
		r = -EISDIR;
	else if (!S_ISREG(ip->mode) || !ip->op->truncate)
		r = -EINVAL;
	else if ((r = ip->op->truncate(ip, size)) == 0)
		inode_touch(ip, false, true);
	iput(ip);
	return r;
}

s64 sys_faccessat2(s64 dirfd, u64 path_va, u64 mode, u64 flags)
{
	struct inode *ip;
	int r;

	if (mode & ~(u64)(R_OK | W_OK | X_OK))
		return -EINVAL;
	if (flags & ~(u64)(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if ((r = path_lookup_user(dirfd, path_va, (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW, flags, &ip)) < 0)
		return r;
	/* Root may read and write anything, and execute what has an x bit. */
	if ((mode & X_OK) && !S_ISDIR(ip->mode) && !(ip->mode & 0111))
		r = -EACCES;
	iput(ip);
	return r;
}

s64 sys_faccessat(s64 dirfd, u64 path, u64 mode)
{
	return sys_faccessat2(dirfd, path, mode, 0);
}

s64 sys_access(u64 path, u64 mode)
{
	return sys_faccessat2(AT_FDCWD, path, mode, 0);
}

/* ---- the working directory and umask ---- */

static s64 set_cwd(struct inode *ip)
{
	if (!S_ISDIR(ip->mode)) {
		iput(ip);
		return -ENOTDIR;
	}
	iput(cpu.proc->cwd);
	cpu.proc->cwd = ip;
	return 0;
}

s64 sys_chdir(u64 path_va)
{
	struct inode *ip;
	int r;

	if ((r = path_lookup_user(AT_FDCWD, path_va, LOOKUP_FOLLOW, 0, &ip)) < 0)
		return r;
	return set_cwd(ip);
}

s64 sys_fchdir(u64 fd)
{
	struct file *f = fd_file(fd);

	if (!f)
		return -EBADF;
	if (!f->ip)
		return -ENOTDIR;
	return set_cwd(iget(f->ip));
}

s64 sys_getcwd(u64 buf, u64 size)
{
	u64 page = kalloc();
	int n;

	if (!page)
		return -ENOMEM;
	n = path_of(cpu.proc->cwd, phys_to_virt(page), PATH_MAX);
	if (n >= 0 && (u64)n + 1 > size)
		n = -ERANGE;
	if (n >= 0 && copyout(buf, phys_to_virt(page), n + 1) < 0)
		n = -EFAULT;
	kfree(page);
	return n < 0 ? n : n + 1;
}

s64 sys_umask(u64 mask)
{
	u32 old = cpu.proc->umask;

	cpu.proc->umask = mask & 0777;
	return old;
}

s64 sys_sync(void)
{
	fs_sync_all();
	return 0;
}

/*
 * chroot: the kernel has one root for every process, so the only change
 * of root it makes is none: chroot to the directory "/" already leads to,
 * which is what busybox switch_root does after moving the new root's
 * mount onto "/" (MS_MOVE, mount.c).  Any other directory is EPERM, with
 * a console line the first time.
 */
s64 sys_chroot(u64 path_va)
{
	static bool said;
	struct inode *ip, *root;
	int r;

	if ((r = path_lookup_user(AT_FDCWD, path_va, LOOKUP_FOLLOW | LOOKUP_DIR, 0, &ip)) < 0)
		return r;
	if ((r = path_lookup(AT_FDCWD, "/", LOOKUP_FOLLOW, &root)) == 0) {
		r = ip == root ? 0 : -EPERM;
		iput(root);
	}
	iput(ip);
	if (r == -EPERM && !said) {
		said = true;
		kprintf("%s: chroot to a directory other than / is not supported: EPERM\n",
			cpu.proc ? cpu.proc->name : "?");
	}
	return r;
}
