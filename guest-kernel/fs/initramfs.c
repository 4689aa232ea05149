/*
 * initramfs.c: unpack the initrd, a cpio "newc" archive (the monitor has
 * already decompressed and validated it: docs/ARCHITECTURE.md, "The
 * initrd"), into the root file system, as Linux's init/initramfs.c does:
 * directories, regular files, symbolic links, device nodes and FIFOs,
 * with their modes, owners and modification times; an entry whose name
 * exists already replaces it (a directory is kept and merged into).
 * Hard links (entries sharing an inode number, the data with the last)
 * are not merged: each name becomes a copy, which busybox does not mind.
 * Returns 0, or -errno after one line saying which entry failed.
 */
#include "defs.h"

#define HDR_LEN 110

struct cpio {
	const u8 *p;
	u64 left;
};

static u64 hex8(const u8 *s)
{
	u64 v = 0;

	for (int i = 0; i < 8; i++) {
		u8 c = s[i];
		v = v * 16 + (c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
			      : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 0);
	}
	return v;
}

static u64 pad4(u64 n)
{
	return (n + 3) & ~3ul;
}

/* Create path (from the root) as a node of mode, or reuse a directory. */
static int make(const char *path, u32 mode, u32 rdev, struct inode **out)
{
	char name[NAME_MAX + 1];
	struct inode *dir, *ip;
	int r = path_parent(AT_FDCWD, path, &dir, name);

	if (r < 0)
		return r;
	if (name[0] == 0 || strcmp(name, ".") == 0) {
		*out = dir;                   /* the root itself: keep it */
		return 0;
	}
	ip = dir->op->lookup(dir, name);
	if (ip && S_ISDIR(ip->mode) && S_ISDIR(mode)) {
		iput(dir);
		ip->mode = mode;
		*out = ip;
		return 0;
	}
	if (ip) {
		iput(ip);
		dir->op->unlink(dir, name, S_ISDIR(ip->mode));
	}
	r = dir->op->create(dir, name, mode, rdev, out);
	iput(dir);
	return r;
}

int initramfs_unpack(const u8 *archive, u64 size)
{
	u64 off = 0, files = 0;

	while (off + HDR_LEN <= size) {
		const u8 *h = archive + off;
		u64 mode = hex8(h + 14), uid = hex8(h + 22), gid = hex8(h + 30);
		u64 mtime = hex8(h + 46), fsize = hex8(h + 54);
		u64 rmaj = hex8(h + 78), rmin = hex8(h + 86), namesize = hex8(h + 94);
		const char *name = (const char *)h + HDR_LEN;
		const u8 *data = h + pad4(HDR_LEN + namesize);
		struct inode *ip;
		int r = 0;

		if (memcmp(h, "07070", 5) != 0)
			return kprintf("initramfs: bad header at offset %lu\n", off), -EINVAL;
		if (strcmp(name, "TRAILER!!!") == 0)
			break;
		while (name[0] == '.' && name[1] == '/')
			name += 2;
		if (strcmp(name, ".") == 0)
			name = "/";
		switch (mode & S_IFMT) {
		case S_IFDIR:
		case S_IFCHR:
		case S_IFBLK:
		case S_IFIFO:
			r = make(name, mode, DEV(rmaj, rmin), &ip);
			break;
		case S_IFREG:
		case S_IFLNK:
			r = make(name, mode, 0, &ip);
			if (r == 0 && fsize && ip->op->write(ip, data, 0, fsize) != (s64)fsize)
				r = -ENOSPC;
			break;
		default:
			r = 0;                    /* sockets: skipped, as Linux does */
			ip = 0;
			break;
		}
		if (r < 0) {
			kprintf("initramfs: %s: error %d\n", name, -r);
			return r;
		}
		if (ip) {
			ip->uid = uid;
			ip->gid = gid;
			ip->mtime = ip->ctime = (struct timespec){ (s64)mtime, 0 };
			iput(ip);
			files++;
		}
		off = (u64)(data - archive) + pad4(fsize);
	}
	kprintf("initramfs: %lu entries unpacked\n", files);
	return 0;
}
