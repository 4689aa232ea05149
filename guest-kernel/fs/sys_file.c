/*
 * sys_file.c: the system calls on descriptors: read, write and their
 * vector and positioned forms, lseek, sendfile, dup*, fcntl, ioctl,
 * pipe*, close, fsync, ftruncate, getdents64, and poll/select (poll.c
 * does the waiting).  Paths are sys_path.c's.  User buffers are checked
 * (and made ready) with user_ok() before the file layer touches them.
 */
#include "defs.h"

#define IO_MAX (1ul << 30)        /* one call moves at most this: Linux's MAX_RW_COUNT-ish */

static s64 check_buf(u64 buf, u64 *n, bool write_to_user)
{
	if (*n > IO_MAX)
		*n = IO_MAX;
	if (*n && !user_ok(buf, *n, write_to_user))
		return -EFAULT;
	return 0;
}

s64 sys_read(u64 fd, u64 buf, u64 n)
{
	struct file *f = fd_file(fd);

	if (!f)
		return -EBADF;
	if (check_buf(buf, &n, true) < 0)
		return -EFAULT;
	return file_read(f, (void *)buf, n);
}

s64 sys_write(u64 fd, u64 buf, u64 n)
{
	struct file *f = fd_file(fd);

	if (!f)
		return -EBADF;
	if (check_buf(buf, &n, false) < 0)
		return -EFAULT;
	return file_write(f, (const void *)buf, n);
}

static s64 positioned(u64 fd, u64 buf, u64 n, s64 pos, bool write)
{
	struct file *f = fd_file(fd);
	u64 p = pos;

	if (!f)
		return -EBADF;
	if (pos < 0)
		return -EINVAL;
	if (!f->op->seekable)
		return -ESPIPE;
	if (check_buf(buf, &n, !write) < 0)
		return -EFAULT;
	if (write) {
		int r;
		if ((f->flags & O_ACCMODE) == O_RDONLY || !f->op->write)
			return -EBADF;
		if ((r = file_size_limit(f, p, &n)) < 0)
			return r;
		return f->op->write(f, (const void *)buf, n, &p);
	}
	if ((f->flags & O_ACCMODE) == O_WRONLY || !f->op->read)
		return -EBADF;
	if (f->ip && S_ISDIR(f->ip->mode))
		return -EISDIR;
	return f->op->read(f, (void *)buf, n, &p);
}

s64 sys_pread64(u64 fd, u64 buf, u64 n, u64 pos)
{
	return positioned(fd, buf, n, pos, false);
}

s64 sys_pwrite64(u64 fd, u64 buf, u64 n, u64 pos)
{
	return positioned(fd, buf, n, pos, true);
}

struct iovec {
	u64 base, len;
};

/* readv/writev (pos < 0) and preadv/pwritev: piece by piece, stopping at
 * the first short transfer or error after something moved. */
static s64 vector_io(u64 fd, u64 iov_va, u64 cnt, s64 pos, bool write)
{
	s64 done = 0;

	if (cnt > 1024)
		return -EINVAL;
	for (u64 i = 0; i < cnt; i++) {
		struct iovec v;
		s64 r;

		if (copyin(&v, iov_va + i * sizeof(v), sizeof(v)) < 0)
			return done ? done : -EFAULT;
		if (v.len == 0)
			continue;
		if (pos >= 0)
			r = positioned(fd, v.base, v.len, pos + done, write);
		else
			r = write ? sys_write(fd, v.base, v.len) : sys_read(fd, v.base, v.len);
		if (r < 0)
			return done ? done : r;
		done += r;
		if ((u64)r < v.len)
			break;
	}
	return done;
}

s64 sys_readv(u64 fd, u64 iov, u64 cnt)
{
	return vector_io(fd, iov, cnt, -1, false);
}

s64 sys_writev(u64 fd, u64 iov, u64 cnt)
{
	return vector_io(fd, iov, cnt, -1, true);
}

s64 sys_preadv(u64 fd, u64 iov, u64 cnt, u64 pos)
{
	return (s64)pos < 0 ? -EINVAL : vector_io(fd, iov, cnt, pos, false);
}

s64 sys_pwritev(u64 fd, u64 iov, u64 cnt, u64 pos)
{
	return (s64)pos < 0 ? -EINVAL : vector_io(fd, iov, cnt, pos, true);
}

s64 sys_lseek(u64 fd, u64 off, u64 whence)
{
	struct file *f = fd_file(fd);
	s64 base;

	if (!f)
		return -EBADF;
	if (f->op->llseek)
		return f->op->llseek(f, off, whence);
	if (!f->op->seekable)
		return -ESPIPE;
	switch (whence) {
	case SEEK_SET: base = 0; break;
	case SEEK_CUR: base = f->pos; break;
	case SEEK_END: base = f->ip ? (s64)f->ip->size : 0; break;
	case SEEK_DATA:
	case SEEK_HOLE:
		if (!f->ip || (s64)off >= (s64)f->ip->size || (s64)off < 0)
			return -ENXIO;
		base = whence == SEEK_DATA ? 0 : (s64)f->ip->size - (s64)off;
		break;
	default: return -EINVAL;
	}
	if (base + (s64)off < 0)
		return -EINVAL;
	f->pos = base + off;
	/* A directory's position counts entries: rewinding restarts it. */
	return f->pos;
}

/* sendfile(out, in, offset, count): through a kernel page. */
s64 sys_sendfile(u64 out_fd, u64 in_fd, u64 off_va, u64 count)
{
	struct file *in = fd_file(in_fd), *out = fd_file(out_fd);
	u64 page, off = 0, done = 0;
	s64 r = 0;

	if (!in || !out)
		return -EBADF;
	if ((in->flags & O_ACCMODE) == O_WRONLY || (out->flags & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	if (out->flags & O_APPEND)
		return -EINVAL;
	if (off_va && copyin(&off, off_va, sizeof(off)) < 0)
		return -EFAULT;
	if (off_va && !in->op->seekable)
		return -ESPIPE;
	if (!(page = kalloc()))
		return -ENOMEM;
	while (done < count) {
		u64 n = count - done < PGSIZE ? count - done : PGSIZE;
		s64 w;
		r = off_va ? in->op->read(in, phys_to_virt(page), n, &off) : file_read(in, phys_to_virt(page), n);
		if (r <= 0)
			break;
		w = file_write(out, phys_to_virt(page), r);
		if (w < 0) {
			r = w;
			break;
		}
		done += w;
		if (w < r || (u64)r < n)
			break;            /* a short read: a terminal's line, a pipe's contents (Linux returns too) */
	}
	kfree(page);
	if (off_va)
		copyout(off_va, &off, sizeof(off));
	return done ? (s64)done : r;
}

s64 sys_close(u64 fd)
{
	return fd_close(fd);
}

s64 sys_dup(u64 fd)
{
	struct file *f = fd_file(fd);
	int r;

	if (!f)
		return -EBADF;
	r = fd_install(file_get(f), 0, false);
	if (r < 0)
		file_put(f);
	return r;
}

static s64 dup_to(u64 oldfd, u64 newfd, bool cloexec)
{
	struct file *f = fd_file(oldfd);
	int r;

	if (!f)
		return -EBADF;
	if ((s64)newfd < 0 || newfd >= NOFILE_MAX)
		return -EBADF;
	r = fd_replace(newfd, file_get(f), cloexec);
	if (r < 0)
		file_put(f);
	return r;
}

s64 sys_dup2(u64 oldfd, u64 newfd)
{
	if (oldfd == newfd)
		return fd_file(oldfd) ? (s64)newfd : -EBADF;
	return dup_to(oldfd, newfd, false);
}

s64 sys_dup3(u64 oldfd, u64 newfd, u64 flags)
{
	if (flags & ~(u64)O_CLOEXEC)
		return -EINVAL;
	if (oldfd == newfd)
		return -EINVAL;
	return dup_to(oldfd, newfd, flags & O_CLOEXEC);
}

#define SETFL_MASK (O_APPEND | O_NONBLOCK | O_DIRECT | O_NOATIME)

s64 sys_fcntl(u64 fd, u64 cmd, u64 arg)
{
	struct file *f = fd_file(fd);
	int r;

	if (!f)
		return -EBADF;
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		if ((s64)arg < 0 || arg >= NOFILE_MAX || arg >= proc_nofile_limit())
			return -EINVAL;
		r = fd_install(file_get(f), arg, cmd == F_DUPFD_CLOEXEC);
		if (r < 0)
			file_put(f);
		return r;
	case F_GETFD:
		return fd_cloexec(fd) ? FD_CLOEXEC : 0;
	case F_SETFD:
		fd_set_cloexec(fd, arg & FD_CLOEXEC);
		return 0;
	case F_GETFL:
		return f->flags;
	case F_SETFL:
		f->flags = (f->flags & ~SETFL_MASK) | (arg & SETFL_MASK);
		return 0;
	case F_GETLK: {
		/* No locks are held by anyone else: l_type = F_UNLCK (2). */
		s16 unlck = 2;
		return copyout(arg, &unlck, sizeof(unlck));
	}
	case F_SETLK:
	case F_SETLKW:
		return 0;             /* one user, advisory locks always granted */
	default:
		return -EINVAL;
	}
}

s64 sys_ioctl(u64 fd, u64 req, u64 arg)
{
	struct file *f = fd_file(fd);

	if (!f)
		return -EBADF;
	req = (u32)req;                   /* Linux's cmd is an unsigned int: musl's is sign-extended */
	switch (req) {
	case FIOCLEX:
	case FIONCLEX:
		fd_set_cloexec(fd, req == FIOCLEX);
		return 0;
	case FIONBIO: {
		int on;
		if (copyin(&on, arg, sizeof(on)) < 0)
			return -EFAULT;
		f->flags = on ? f->flags | O_NONBLOCK : f->flags & ~O_NONBLOCK;
		return 0;
	}
	}
	if (f->op->ioctl)
		return f->op->ioctl(f, req, arg);
	if (req == FIONREAD && f->ip && S_ISREG(f->ip->mode)) {
		int n = f->pos < f->ip->size ? f->ip->size - f->pos : 0;
		return copyout(arg, &n, sizeof(n));
	}
	return -ENOTTY;
}

s64 sys_pipe2(u64 fds_va, u64 flags)
{
	struct file *rd, *wr;
	int fds[2], r;

	if (flags & ~(u64)(O_CLOEXEC | O_NONBLOCK | O_DIRECT))
		return -EINVAL;
	if (!user_ok(fds_va, sizeof(fds), true))
		return -EFAULT;
	if ((r = pipe_new(&rd, &wr)) < 0)
		return r;
	rd->flags |= flags & O_NONBLOCK;
	wr->flags |= flags & O_NONBLOCK;
	fds[0] = fd_install(rd, 0, flags & O_CLOEXEC);
	if (fds[0] < 0) {
		file_put(rd);
		file_put(wr);
		return fds[0];
	}
	fds[1] = fd_install(wr, 0, flags & O_CLOEXEC);
	if (fds[1] < 0) {
		fd_close(fds[0]);
		file_put(wr);
		return fds[1];
	}
	return copyout(fds_va, fds, sizeof(fds));
}

s64 sys_pipe(u64 fds_va)
{
	return sys_pipe2(fds_va, 0);
}

s64 sys_fsync(u64 fd)
{
	struct file *f = fd_file(fd);

	if (!f)
		return -EBADF;
	return f->op->fsync ? f->op->fsync(f) : 0;
}

s64 sys_ftruncate(u64 fd, u64 size)
{
	struct file *f = fd_file(fd);
	int r;

	if (!f)
		return -EBADF;
	if ((s64)size < 0)
		return -EINVAL;
	if (!f->ip || !S_ISREG(f->ip->mode) || (f->flags & O_ACCMODE) == O_RDONLY)
		return -EINVAL;
	if ((r = f->ip->op->truncate(f->ip, size)) == 0)
		inode_touch(f->ip, false, true);
	return r;
}

/* getdents64: as many records as fit, from the directory's position. */
struct dents {
	u8 *buf;
	u64 size, used;
};

static bool put_dent(void *ctx, const char *name, u64 ino, u8 type)
{
	struct dents *d = ctx;
	u64 len = strlen(name);
	u64 reclen = (sizeof(struct linux_dirent64) + len + 1 + 7) & ~7ul;
	struct linux_dirent64 *e = (struct linux_dirent64 *)(d->buf + d->used);

	if (d->used + reclen > d->size)
		return false;
	e->d_ino = ino;
	e->d_off = d->used + reclen;
	e->d_reclen = reclen;
	e->d_type = type;
	memcpy(e->d_name, name, len + 1);
	d->used += reclen;
	return true;
}

s64 sys_getdents64(u64 fd, u64 buf, u64 size)
{
	struct file *f = fd_file(fd);
	struct dents d;

	if (!f)
		return -EBADF;
	if (!f->ip || !S_ISDIR(f->ip->mode) || !f->ip->op->readdir)
		return -ENOTDIR;
	if (size > IO_MAX)
		size = IO_MAX;
	if (!user_ok(buf, size, true))
		return -EFAULT;
	d = (struct dents){ (u8 *)buf, size, 0 };
	f->ip->op->readdir(f->ip, &f->pos, &d, put_dent);
	if (d.used == 0 && size < sizeof(struct linux_dirent64) + NAME_MAX + 1) {
		/* Not even one record fitted, if one was left. */
		struct dents probe = { 0 };
		u64 pos = f->pos;
		u8 tmp[sizeof(struct linux_dirent64) + NAME_MAX + 8];
		probe.buf = tmp;
		probe.size = sizeof(tmp);
		f->ip->op->readdir(f->ip, &pos, &probe, put_dent);
		if (probe.used)
			return -EINVAL;
	}
	inode_touch(f->ip, true, false);
	return d.used;
}
