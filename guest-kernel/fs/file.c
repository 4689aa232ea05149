/*
 * file.c: open files and the per-process descriptor table.
 *
 * A struct file is shared by every descriptor that dup(), fcntl(F_DUPFD)
 * or fork() made from the one open() returned, with its position and
 * status flags, as on Linux; the close-on-exec bit belongs to the
 * descriptor.  The last file_put() calls the file's release (a pipe's end
 * closes) and drops the inode.
 */
#include "defs.h"

struct file *file_alloc(struct inode *ip, u32 flags)
{
	struct file *f = kmalloc(sizeof(*f));

	if (!f)
		return 0;
	f->ref = 1;
	f->flags = flags;
	f->ip = iget(ip);
	f->op = ip ? ip->fop : 0;
	return f;
}

struct file *file_get(struct file *f)
{
	f->ref++;
	return f;
}

void file_put(struct file *f)
{
	if (--f->ref > 0)
		return;
	if (f->op && f->op->release)
		f->op->release(f);
	iput(f->ip);
	kfree_obj(f->path);
	kfree_obj(f);
}

static struct fdtable *files(void)
{
	return cpu.proc ? cpu.proc->files : 0;
}

struct file *fd_file(int fd)
{
	if (fd < 0 || fd >= NOFILE_MAX || !files())
		return 0;
	return files()->fd[fd];
}

static void set_cloexec(struct fdtable *t, int fd, bool on)
{
	if (on)
		t->cloexec[fd / 64] |= 1ul << (fd % 64);
	else
		t->cloexec[fd / 64] &= ~(1ul << (fd % 64));
}

bool fd_cloexec(int fd)
{
	return (files()->cloexec[fd / 64] >> (fd % 64)) & 1;
}

void fd_set_cloexec(int fd, bool on)
{
	set_cloexec(files(), fd, on);
}

/* The limit on descriptor numbers: RLIMIT_NOFILE, at most NOFILE_MAX. */
static int fd_limit(void)
{
	u64 lim = proc_nofile_limit();

	return lim < NOFILE_MAX ? (int)lim : NOFILE_MAX;
}

/* Give f (whose reference the table takes over) the lowest free
 * descriptor >= min.  -EMFILE if there is none below the limit, -EINVAL if
 * min is beyond it (fcntl F_DUPFD). */
int fd_install(struct file *f, int min, bool cloexec)
{
	struct fdtable *t = files();
	int limit = fd_limit();

	if (min < 0 || min >= limit)
		return min < 0 ? -EINVAL : -EMFILE;
	for (int fd = min; fd < limit; fd++) {
		if (t->fd[fd])
			continue;
		t->fd[fd] = f;
		set_cloexec(t, fd, cloexec);
		return fd;
	}
	return -EMFILE;
}

/* Put f at descriptor fd, closing what was there (dup2, dup3). */
int fd_replace(int fd, struct file *f, bool cloexec)
{
	struct fdtable *t = files();
	struct file *old;

	if (fd < 0 || fd >= fd_limit())
		return -EBADF;
	old = t->fd[fd];
	t->fd[fd] = f;
	set_cloexec(t, fd, cloexec);
	if (old)
		file_put(old);
	return fd;
}

int fd_close(int fd)
{
	struct file *f = fd_file(fd);

	if (!f)
		return -EBADF;
	files()->fd[fd] = 0;
	set_cloexec(files(), fd, false);
	file_put(f);
	return 0;
}

/* fork: a new table naming the same open files; 0 when out of memory. */
struct fdtable *fdtable_copy(const struct fdtable *t)
{
	struct fdtable *n = kmalloc(sizeof(*n));

	if (!n)
		return 0;
	if (!t)
		return n;
	*n = *t;
	for (int fd = 0; fd < NOFILE_MAX; fd++)
		if (n->fd[fd])
			file_get(n->fd[fd]);
	return n;
}

/* exit: close every descriptor and free the table. */
void fdtable_close_all(struct fdtable *t)
{
	if (!t)
		return;
	for (int fd = 0; fd < NOFILE_MAX; fd++)
		if (t->fd[fd])
			file_put(t->fd[fd]);
	kfree_obj(t);
}

/* execve: close the close-on-exec descriptors. */
void fdtable_exec(struct fdtable *t)
{
	for (int fd = 0; fd < NOFILE_MAX; fd++) {
		if (t->fd[fd] && ((t->cloexec[fd / 64] >> (fd % 64)) & 1)) {
			file_put(t->fd[fd]);
			t->fd[fd] = 0;
		}
	}
	memset(t->cloexec, 0, sizeof(t->cloexec));
}

/*
 * Open inode ip with open(2) flags: the file operations come from its type
 * (a device's from its number), and its open() may block (a FIFO waits for
 * the other end).  Sets *out to the new file.
 */
int file_open_inode(struct inode *ip, u32 flags, struct file **out)
{
	const struct file_ops *op = ip->fop;
	struct file *f;
	int r;

	if (S_ISCHR(ip->mode))
		op = chrdev_ops(ip->rdev);
	else if (S_ISBLK(ip->mode))
		op = blkdev_ops(ip->rdev);
	else if (S_ISFIFO(ip->mode))
		op = &fifo_ops;
	if (!op)
		return -ENXIO;
	f = file_alloc(ip, flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC));
	if (!f)
		return -ENOMEM;
	f->op = op;
	if (op->open && (r = op->open(f)) < 0) {
		f->op = 0;            /* no release: it never opened */
		file_put(f);
		return r;
	}
	if (op == &tty_fops)
		tty_opened(f, flags); /* a session leader may take it (drivers/tty.c) */
	*out = f;
	return 0;
}

static bool readable(struct file *f)
{
	return (f->flags & O_ACCMODE) != O_WRONLY;
}

static bool writable(struct file *f)
{
	return (f->flags & O_ACCMODE) != O_RDONLY;
}

/* read() at the file's position (buf: kernel or checked user memory). */
s64 file_read(struct file *f, void *buf, u64 n)
{
	s64 r;

	if (!readable(f))
		return -EBADF;
	if (f->ip && S_ISDIR(f->ip->mode))
		return -EISDIR;
	if (!f->op->read)
		return -EINVAL;
	r = f->op->read(f, buf, n, &f->pos);
	return r;
}

/* RLIMIT_FSIZE on a write of *n bytes at pos of a regular file: at the
 * limit, SIGXFSZ and EFBIG; short of it, *n shrinks to fit. */
int file_size_limit(struct file *f, u64 pos, u64 *n)
{
	u64 lim = cpu.proc ? cpu.proc->rlim[RLIMIT_FSIZE].cur : RLIM_INFINITY;

	if (!f->ip || !S_ISREG(f->ip->mode) || lim == RLIM_INFINITY || *n == 0)
		return 0;
	if (pos >= lim) {
		signal_send(cpu.proc, SIGXFSZ);
		return -EFBIG;
	}
	if (*n > lim - pos)
		*n = lim - pos;
	return 0;
}

/* write() at the file's position, or its end with O_APPEND. */
s64 file_write(struct file *f, const void *buf, u64 n)
{
	int r;

	if (!writable(f) || !f->op->write)
		return -EBADF;
	if ((f->flags & O_APPEND) && f->ip)
		f->pos = f->ip->size;
	if ((r = file_size_limit(f, f->pos, &n)) < 0)
		return r;
	return f->op->write(f, buf, n, &f->pos);
}

/* read and write of a file whose inode has read and write (ramfs, ext2):
 * at *pos, which advances, with the access or change time set. */
s64 inode_file_read(struct file *f, void *buf, u64 n, u64 *pos)
{
	s64 r = f->ip->op->read(f->ip, buf, *pos, n);

	if (r > 0) {
		*pos += r;
		inode_touch(f->ip, true, false);
	}
	return r;
}

s64 inode_file_write(struct file *f, const void *buf, u64 n, u64 *pos)
{
	s64 r;

	if (n == 0)
		return 0;
	r = f->ip->op->write(f->ip, buf, *pos, n);
	if (r > 0) {
		*pos += r;
		inode_touch(f->ip, false, true);
	}
	return r;
}
