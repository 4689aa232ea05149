/*
 * namei.c: from a path to an inode, as Linux resolves it (path_resolution(7)):
 * an absolute path starts at the root, a relative one at the working
 * directory or at the directory a descriptor names (the *at() calls);
 * "." stays, ".." climbs (never above the root, and across a mount point
 * to the directory the file system covers); a directory with a file system
 * mounted on it is replaced by that file system's root; a symbolic link
 * is followed, except in the last component without LOOKUP_FOLLOW, at
 * most SYMLOOP_MAX times per lookup (ELOOP).  Errors: ENOENT, ENOTDIR (a
 * component, or a trailing slash, that is not a directory), ENAMETOOLONG
 * (a component over NAME_MAX bytes).
 */
#include "defs.h"

static struct inode *root_dir;

struct inode *fs_root(void)
{
	return root_dir;
}

void fs_set_root(struct inode *ip)
{
	root_dir = ip;
}

/* Where a lookup of path from dirfd starts (referenced). */
static int start_dir(int dirfd, const char *path, struct inode **out)
{
	struct file *f;

	if (path[0] == '/') {
		*out = iget(root_dir);
		return 0;
	}
	if (dirfd == AT_FDCWD) {
		*out = iget(cpu.proc && cpu.proc->cwd ? cpu.proc->cwd : root_dir);
		return 0;
	}
	if (!(f = fd_file(dirfd)))
		return -EBADF;
	if (!f->ip || !S_ISDIR(f->ip->mode))
		return -ENOTDIR;
	*out = iget(f->ip);
	return 0;
}

/* The directory ".." of dir leads to (referenced). */
static struct inode *dotdot(struct inode *dir)
{
	while (dir != root_dir && dir->covered && !dir->parent)
		dir = dir->covered;        /* a mounted root: climb from what it covers */
	if (dir == root_dir || !dir->parent)
		return iget(dir);
	return iget(dir->parent);
}

/* Follow mounts on ip (referenced) to the topmost file system's root. */
static struct inode *cross_mounts(struct inode *ip)
{
	while (ip->mounted) {
		struct inode *next = iget(ip->mounted);
		iput(ip);
		ip = next;
	}
	return ip;
}

static int walk(struct inode *dir, const char *path, int flags, int *links,
		struct inode **out, struct inode **parent, char *last);

/* Links being followed inside one another: each is a walk() on the
 * kernel stack, so their nesting is bounded apart from their number. */
#define SYMLINK_NEST_MAX 8
static int nesting;

/* Follow the symbolic link ip met in directory dir. */
static int follow(struct inode *dir, struct inode *ip, int flags, int *links, struct inode **out)
{
	char *target;
	s64 n;
	int r;

	if (++*links > SYMLOOP_MAX || nesting >= SYMLINK_NEST_MAX)
		return -ELOOP;
	if (ip->op->get_link && (*out = ip->op->get_link(ip)))
		return 0;
	if (ip->size >= PATH_MAX)
		return -ENAMETOOLONG;
	u64 page = kalloc();
	if (!page)
		return -ENOMEM;
	target = phys_to_virt(page);
	n = ip->op->read(ip, target, 0, ip->size);
	if (n < 0) {
		kfree(page);
		return n;
	}
	target[n] = 0;
	if (target[0] == '/') {
		dir = root_dir;
	}
	nesting++;
	r = walk(iget(dir), target, flags, links, out, 0, 0);
	nesting--;
	kfree(page);
	return r;
}

/*
 * Resolve path from dir (whose reference it takes).  With parent set, stop
 * before the last component: *parent gets the directory, last its name
 * ("" for "/", "." or ".." in last place is returned as it is).  Else *out
 * gets the inode.
 */
static int walk(struct inode *dir, const char *path, int flags, int *links,
		struct inode **out, struct inode **parent, char *last)
{
	char name[NAME_MAX + 1];

	dir = cross_mounts(dir);
	for (;;) {
		const char *s;
		u64 len;
		bool final, slash;
		struct inode *next;

		while (*path == '/')
			path++;
		if (*path == 0) {
			/* "/", "a/" after its last component, or "" */
			if (parent) {
				*parent = dir;
				last[0] = 0;
			} else {
				*out = dir;
			}
			return 0;
		}
		for (s = path; *s && *s != '/'; s++)
			;
		len = s - path;
		if (len > NAME_MAX) {
			iput(dir);
			return -ENAMETOOLONG;
		}
		memcpy(name, path, len);
		name[len] = 0;
		slash = *s == '/';
		{
			const char *t = s;
			while (*t == '/')
				t++;
			final = *t == 0;
		}
		path = s;
		if (!S_ISDIR(dir->mode)) {
			iput(dir);
			return -ENOTDIR;
		}
		if (final && parent) {
			*parent = dir;
			memcpy(last, name, len + 1);
			return slash ? 1 : 0;       /* 1: a trailing slash (callers may refuse) */
		}
		if (strcmp(name, ".") == 0) {
			continue;
		}
		if (strcmp(name, "..") == 0) {
			next = dotdot(dir);
			iput(dir);
			dir = cross_mounts(next);
			continue;
		}
		next = dir->op && dir->op->lookup ? dir->op->lookup(dir, name) : 0;
		if (!next) {
			iput(dir);
			return -ENOENT;
		}
		next = cross_mounts(next);
		if (S_ISLNK(next->mode) && (!final || slash || (flags & LOOKUP_FOLLOW))) {
			struct inode *target;
			int r = follow(dir, next, flags | LOOKUP_FOLLOW, links, &target);
			iput(next);
			iput(dir);
			if (r < 0)
				return r;
			next = target;
		} else {
			iput(dir);
		}
		if (final) {
			if ((slash || (flags & LOOKUP_DIR)) && !S_ISDIR(next->mode)) {
				iput(next);
				return -ENOTDIR;
			}
			*out = next;
			return 0;
		}
		dir = next;
	}
}

/* The inode path names, from dirfd (AT_FDCWD: the working directory);
 * referenced: the caller iput()s it. */
int path_lookup(int dirfd, const char *path, int flags, struct inode **out)
{
	struct inode *dir;
	int links = 0, r;

	if (path[0] == 0)
		return -ENOENT;
	if ((r = start_dir(dirfd, path, &dir)) < 0)
		return r;
	r = walk(dir, path, flags, &links, out, 0, 0);
	if (r == 0 && (flags & LOOKUP_DIR) && !S_ISDIR((*out)->mode)) {
		iput(*out);
		return -ENOTDIR;
	}
	return r;
}

/*
 * The directory that would hold path's last component (referenced), and
 * that component in name[NAME_MAX + 1]: for creating, removing and
 * renaming.  name is "" for "/" (and "." or ".." as written); the callers
 * refuse those.  Returns 1 instead of 0 if the path ended with a slash.
 */
int path_parent(int dirfd, const char *path, struct inode **dir, char *name)
{
	struct inode *start;
	int links = 0, r;

	if (path[0] == 0)
		return -ENOENT;
	if ((r = start_dir(dirfd, path, &start)) < 0)
		return r;
	return walk(start, path, 0, &links, 0, dir, name);
}

/* path_parent() from the directory dir (whose reference it takes). */
int path_parent_in(struct inode *dir, const char *path, struct inode **parent, char *name)
{
	int links = 0;

	if (path[0] == '/') {
		iput(dir);
		dir = iget(root_dir);
	}
	return walk(dir, path, 0, &links, 0, parent, name);
}

/*
 * The absolute path of what path names, with every symbolic link on the
 * way resolved (the last component too), into buf: /proc/PID/exe's
 * target.  Returns its length or -errno.
 */
int path_canonical(const char *path, char *buf, u64 size)
{
	char name[NAME_MAX + 1];
	struct inode *dir, *ip;
	u64 page = kalloc();
	char *tmp;
	int r, n;

	if (!page)
		return -ENOMEM;
	tmp = phys_to_virt(page);
	strlcpy(tmp, path, PATH_MAX);
	r = path_parent(AT_FDCWD, tmp, &dir, name);
	for (int links = 0; r >= 0; links++) {
		ip = name[0] && dir->op->lookup ? dir->op->lookup(dir, name) : 0;
		if (!ip && name[0]) {
			iput(dir);
			r = -ENOENT;
			break;
		}
		if (!ip || !S_ISLNK(ip->mode) || links >= SYMLOOP_MAX) {
			iput(ip);
			break;
		}
		n = ip->size < PATH_MAX ? ip->op->read(ip, tmp, 0, ip->size) : -ENAMETOOLONG;
		iput(ip);
		if (n < 0) {
			iput(dir);
			r = n;
			break;
		}
		tmp[n] = 0;
		r = path_parent_in(dir, tmp, &dir, name);
	}
	if (r >= 0) {
		r = path_of(dir, buf, size);
		iput(dir);
		n = strlen(name);
		if (r >= 0 && name[0] && (u64)r + 1 + n < size) {
			if (r > 1)
				buf[r++] = '/';
			memcpy(buf + r, name, n + 1);
			r += n;
		} else if (r >= 0 && name[0]) {
			r = -ENAMETOOLONG;
		}
	}
	kfree(page);
	return r;
}

/* Name of ip in its parent directory pdir, into name; false if absent. */
struct name_search {
	u64 ino;
	char *name;
	bool found;
};

static bool match_ino(void *ctx, const char *name, u64 ino, u8 type)
{
	struct name_search *s = ctx;

	(void)type;
	if (ino != s->ino || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return true;
	strlcpy(s->name, name, NAME_MAX + 1);
	s->found = true;
	return false;
}

/*
 * The absolute path of directory ip (getcwd, /proc/PID/cwd), into buf.
 * Returns its length, -ERANGE if it does not fit, -ENOENT if ip was
 * removed.
 */
int path_of(struct inode *ip, char *buf, u64 size)
{
	char name[NAME_MAX + 1];
	u64 pos = size - 1;       /* built right to left, ending at buf[size - 1] */
	int depth = 0;

	if (size < 2)
		return -ERANGE;
	buf[pos] = 0;
	for (;;) {
		struct name_search s = { .name = name };
		struct inode *up;
		u64 rd = 0, n;

		while (ip != root_dir && !ip->parent && ip->covered)
			ip = ip->covered;     /* a mounted root: name what it covers */
		if (ip == root_dir)
			break;
		up = ip->parent;
		if (!up || ip->nlink == 0 || ++depth > PATH_MAX / 2)
			return -ENOENT;
		s.ino = ip->ino;
		up->op->readdir(up, &rd, &s, match_ino);
		if (!s.found)
			return -ENOENT;
		n = strlen(name);
		if (pos < n + 1)
			return -ERANGE;
		pos -= n;
		memcpy(buf + pos, name, n);
		buf[--pos] = '/';
		ip = up;
	}
	if (pos == size - 1) {
		buf[0] = '/';
		buf[1] = 0;
		return 1;
	}
	memmove(buf, buf + pos, size - pos);
	return size - 1 - pos;
}
