/*
 * pipe.c: pipes and FIFOs, as pipe(7) describes them.
 *
 * A pipe is a 64 KiB ring (16 pages, Linux's default capacity), with a
 * count of open read and write ends.  read() blocks while the pipe is
 * empty and a writer remains, then returns what is there (0 at end of
 * file); write() blocks while it is full, and a write of at most PIPE_BUF
 * bytes is atomic (waits for room for all of it).  Writing with no reader
 * left raises SIGPIPE and fails with EPIPE.  O_NONBLOCK gives EAGAIN
 * instead of blocking.  A signal ends a wait with ERESTARTSYS (restarted
 * or EINTR, kernel/syscall.c).  A FIFO is a named pipe: its inode holds
 * the pipe while any end is open, and opening one end waits for the other
 * (unless O_NONBLOCK: ENXIO for a writer without reader).
 *
 * As on Linux, a pipe() is a FIFO without a name: an inode of its own
 * file system (pipefs) holds it, so fstat() shows a FIFO, and opening
 * /proc/PID/fd/N (or /dev/fd/N) of one end opens the FIFO again, which is
 * how bash's process substitution reaches it.
 */
#include "defs.h"

#define PIPE_PAGES 16
#define PIPE_SIZE  (PIPE_PAGES * PGSIZE)

struct pipe {
	u64 page[PIPE_PAGES];     /* GPAs of the ring's pages */
	u64 r, w;                 /* bytes read and written so far */
	int readers, writers;
	u64 opens;                /* FIFO: ends ever opened, for open's wait */
};

static u8 *at(struct pipe *p, u64 off)
{
	off %= PIPE_SIZE;
	return (u8 *)phys_to_virt(p->page[off / PGSIZE]) + off % PGSIZE;
}

static struct pipe *pipe_alloc(void)
{
	struct pipe *p = kmalloc(sizeof(*p));

	if (!p)
		return 0;
	for (int i = 0; i < PIPE_PAGES; i++) {
		if (!(p->page[i] = kalloc())) {
			while (i-- > 0)
				kfree(p->page[i]);
			kfree_obj(p);
			return 0;
		}
	}
	return p;
}

static void pipe_free(struct pipe *p)
{
	for (int i = 0; i < PIPE_PAGES; i++)
		kfree(p->page[i]);
	kfree_obj(p);
}

static s64 pipe_read(struct file *f, void *buf, u64 n, u64 *pos)
{
	struct pipe *p = f->data;
	u64 got = 0;

	(void)pos;
	while (p->r == p->w) {
		if (p->writers == 0 || n == 0)
			return 0;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		if (signal_pending())
			return -ERESTARTSYS;
		sleep(p);
	}
	while (got < n && p->r != p->w) {
		u64 chunk = PGSIZE - p->r % PGSIZE;
		if (chunk > p->w - p->r)
			chunk = p->w - p->r;
		if (chunk > n - got)
			chunk = n - got;
		memcpy((u8 *)buf + got, at(p, p->r), chunk);
		p->r += chunk;
		got += chunk;
	}
	wakeup(p);
	poll_notify();
	return got;
}

static s64 pipe_write(struct file *f, const void *buf, u64 n, u64 *pos)
{
	struct pipe *p = f->data;
	u64 done = 0;

	(void)pos;
	while (done < n) {
		u64 room = PIPE_SIZE - (p->w - p->r);
		if (p->readers == 0) {
			signal_send(cpu.proc, SIGPIPE);
			return done ? (s64)done : -EPIPE;
		}
		/* Wait for room: for all of an atomic write, for some of a
		 * larger one. */
		if (room == 0 || (n <= PIPE_BUF && room < n - done)) {
			if (f->flags & O_NONBLOCK)
				return done ? (s64)done : -EAGAIN;
			if (signal_pending())
				return done ? (s64)done : -ERESTARTSYS;
			sleep(p);
			continue;
		}
		while (room > 0 && done < n) {
			u64 chunk = PGSIZE - p->w % PGSIZE;
			if (chunk > room)
				chunk = room;
			if (chunk > n - done)
				chunk = n - done;
			memcpy(at(p, p->w), (const u8 *)buf + done, chunk);
			p->w += chunk;
			done += chunk;
			room -= chunk;
		}
		wakeup(p);
		poll_notify();
	}
	return done;
}

static int pipe_poll(struct file *f)
{
	struct pipe *p = f->data;
	int ev = 0;

	if ((f->flags & O_ACCMODE) != O_WRONLY) {
		if (p->r != p->w)
			ev |= POLLIN | POLLRDNORM;
		if (p->writers == 0)
			ev |= POLLHUP;
	}
	if ((f->flags & O_ACCMODE) != O_RDONLY) {
		if (p->readers == 0)
			ev |= POLLERR;
		else if (PIPE_SIZE - (p->w - p->r) >= PIPE_BUF)
			ev |= POLLOUT | POLLWRNORM;
	}
	return ev;
}

static s64 pipe_ioctl(struct file *f, u64 req, u64 arg)
{
	struct pipe *p = f->data;
	int n = p->w - p->r;

	if (req != FIONREAD)
		return -ENOTTY;
	return copyout(arg, &n, sizeof(n));
}

/* One end closes: the other side may wake (end of file, EPIPE). */
static void end_close(struct file *f, struct pipe *p)
{
	if ((f->flags & O_ACCMODE) != O_WRONLY)
		p->readers--;
	if ((f->flags & O_ACCMODE) != O_RDONLY)
		p->writers--;
	wakeup(p);
	poll_notify();
}

/* pipefs: the pipes' inodes (Linux's numbers: its magic, an anonymous
 * device apart from ramfs's and procfs's). */
static struct super pipefs = { .type = "pipefs", .magic = PIPEFS_MAGIC, .dev = 0xd };

bool is_pipe(const struct inode *ip)
{
	return ip && ip->sb == &pipefs;
}


/* pipe(): a new pipe's read and write ends, on one new inode. */
int pipe_new(struct file **rd, struct file **wr)
{
	struct pipe *p = pipe_alloc();
	struct inode *ip = p ? inode_new(&pipefs, S_IFIFO | 0600) : 0;

	if (!ip) {
		if (p)
			pipe_free(p);
		return -ENFILE;
	}
	ip->nlink = 1;            /* as Linux shows it; 0 when the pipe goes (fifo_release) */
	ip->fop = &fifo_ops;      /* its ends' operations, and what opening it again gives */
	ip->data = p;
	*rd = file_alloc(ip, O_RDONLY);
	*wr = file_alloc(ip, O_WRONLY);
	if (!*rd || !*wr) {
		if (*rd) {
			(*rd)->op = 0;    /* never opened: no release */
			file_put(*rd);
		}
		if (*wr) {
			(*wr)->op = 0;
			file_put(*wr);
		}
		ip->nlink = 0;
		iput(ip);
		pipe_free(p);
		return -ENFILE;
	}
	iput(ip);                 /* the two ends hold it */
	(*rd)->data = (*wr)->data = p;
	p->readers = p->writers = 1;
	return 0;
}

/* ---- FIFOs: the inode's data is the pipe while an end is open ---- */

static int fifo_open(struct file *f)
{
	struct inode *ip = f->ip;
	struct pipe *p = ip->data;
	u32 mode = f->flags & O_ACCMODE;
	u64 seen;

	if (!p) {
		if (!(p = pipe_alloc()))
			return -ENFILE;
		ip->data = p;
	}
	f->data = p;
	if (mode != O_WRONLY)
		p->readers++;
	if (mode != O_RDONLY)
		p->writers++;
	p->opens++;
	wakeup(p);
	poll_notify();
	/* Wait for the other end, as fifo(7) says; a pipe() opened again
	 * through /proc does not wait, as on Linux. */
	seen = p->opens;
	if (is_pipe(ip)) {
		/* nothing to wait for */
	} else if (mode == O_RDONLY && !(f->flags & O_NONBLOCK)) {
		while (p->writers == 0 && p->opens == seen) {
			if (signal_pending()) {
				end_close(f, p);
				return -ERESTARTSYS;
			}
			sleep(p);
		}
	} else if (mode == O_WRONLY) {
		if (p->readers == 0 && (f->flags & O_NONBLOCK)) {
			end_close(f, p);
			return -ENXIO;
		}
		while (p->readers == 0) {
			if (signal_pending()) {
				end_close(f, p);
				return -ERESTARTSYS;
			}
			sleep(p);
		}
	}
	return 0;
}

static void fifo_release(struct file *f)
{
	struct pipe *p = f->data;

	end_close(f, p);
	if (p->readers == 0 && p->writers == 0) {   /* unread data goes, as on Linux */
		f->ip->data = 0;
		pipe_free(p);
		if (f->ip->sb == &pipefs)
			f->ip->nlink = 0;     /* a pipe() is gone with its last end */
	}
}

const struct file_ops fifo_ops = {
	.open = fifo_open,
	.read = pipe_read,
	.write = pipe_write,
	.ioctl = pipe_ioctl,
	.poll = pipe_poll,
	.release = fifo_release,
};
