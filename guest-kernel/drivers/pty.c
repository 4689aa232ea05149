/*
 * pty.c: pseudo-terminals, as Linux's UNIX 98 ptys (drivers/tty/pty.c).
 * Opening /dev/ptmx makes a pair: the master is that open file, the slave
 * a terminal like the console (tty.c) that appears as /dev/pts/N in the
 * devpts file system, locked until the master says TIOCSPTLCK 0 (what
 * unlockpt() does; grantpt() has nothing to do, ptsname() asks TIOCGPTN).
 *
 *   master write   typed at the slave: its line discipline edits, echoes
 *                  and signals (tty_receive()); the writer waits while the
 *                  slave's input is full
 *   master read    what the slave's programs wrote, output-processed, and
 *                  the echo; EIO once the slave was opened and every slave
 *                  file is closed again (and nothing is left)
 *   master close   the slave hangs up: its readers get end of file, its
 *                  writers EIO, its session's leader SIGHUP and SIGCONT
 *                  (tty_hangup()); /dev/pts/N goes away
 * The master's ioctls act on the slave where Linux's do (TIOCSWINSZ,
 * TIOCGPGRP, FIONREAD of its own output); its own termios is stored for
 * TCGETS and changes nothing.
 *
 * devpts is a RAM file system (ramfs.c) of type "devpts" that this file
 * fills: the kernel mounts it on /dev/pts at boot (fs/mount.c).
 */
#include "defs.h"

#define NPTY    16                /* pairs at once */
#define PTY_BUF 4096              /* slave output the master has not read */
#define DEVPTS_SUPER_MAGIC 0x1cd1

struct pty {
	bool used;
	struct tty slave;         /* /dev/pts/N */
	u8 out[PTY_BUF];          /* the slave's output, for the master */
	u32 out_r, out_w;
	bool locked;              /* TIOCSPTLCK: the slave cannot be opened yet */
	bool master_open;
	bool slave_opened;        /* once: its last close is an end for the master */
	struct termios master_termios;
};

static struct pty ptys[NPTY];
static struct super *devpts;

/* "N" for /dev/pts/N */
static void pts_name(int index, char name[8])
{
	char tmp[8];
	int n = 0, i = 0;

	do
		tmp[n++] = (char)('0' + index % 10);
	while ((index /= 10) && n < 7);
	while (n)
		name[i++] = tmp[--n];
	name[i] = 0;
}

/* The devpts file system (one instance), for fs_init() to mount. */
struct super *pty_devpts(void)
{
	if (!devpts) {
		if (!(devpts = ramfs_new()))
			panic("pty: out of memory for devpts");
		devpts->type = "devpts";
		devpts->magic = DEVPTS_SUPER_MAGIC;
		devpts->root->mode = S_IFDIR | 0755;
	}
	return devpts;
}

static void pts_node(int index, bool add)
{
	struct inode *root = pty_devpts()->root, *ip;
	char name[8];

	pts_name(index, name);
	if (!add)
		root->op->unlink(root, name, false);
	else if (root->op->create(root, name, S_IFCHR | 0620, DEV(PTY_MAJOR, index), &ip) == 0)
		iput(ip);
}

static void pty_wake(struct pty *p)
{
	wakeup(p);
	wakeup(&p->slave);
	poll_notify();
}

static void pty_free(struct pty *p)
{
	tty_unregister(&p->slave);
	p->used = false;
}

/* ---- The slave's driver (tty.c calls these) ---- */

static struct pty *pty_of(struct tty *t)
{
	return t->driver_data;
}

static void pts_write(struct tty *t, const u8 *buf, u64 n)
{
	struct pty *p = pty_of(t);

	for (u64 i = 0; i < n && p->out_w - p->out_r < PTY_BUF; i++)
		p->out[p->out_w++ % PTY_BUF] = buf[i];
	pty_wake(p);
}

static u64 pts_write_room(struct tty *t)
{
	struct pty *p = pty_of(t);

	return PTY_BUF - (p->out_w - p->out_r);
}

static u64 pts_outq(struct tty *t)
{
	struct pty *p = pty_of(t);

	return p->out_w - p->out_r;
}

static void pts_unthrottle(struct tty *t)
{
	pty_wake(pty_of(t));
}

/* The last slave file closed. */
static void pts_close(struct tty *t)
{
	struct pty *p = pty_of(t);

	if (!p->master_open)
		pty_free(p);
	else
		pty_wake(p);
}

static const struct tty_driver pts_driver = {
	.write = pts_write,
	.write_room = pts_write_room,
	.outq = pts_outq,
	.unthrottle = pts_unthrottle,
	.close = pts_close,
};

/* open() of /dev/pts/index (tty.c): its terminal, or EIO while it is
 * locked or its master is gone. */
int pty_slave_lookup(int index, struct tty **out)
{
	struct pty *p;

	if (index < 0 || index >= NPTY || !ptys[index].used)
		return -ENXIO;
	p = &ptys[index];
	if (p->locked || !p->master_open)
		return -EIO;
	p->slave_opened = true;
	*out = &p->slave;
	return 0;
}

/* ---- The master: /dev/ptmx ---- */

static int ptmx_open(struct file *f)
{
	for (int i = 0; i < NPTY; i++) {
		struct pty *p = &ptys[i];
		if (p->used)
			continue;
		memset(p, 0, sizeof(*p));
		p->used = p->master_open = p->locked = true;
		tty_init(&p->slave, &pts_driver, i);
		p->slave.ld.termios.c_cflag &= ~HUPCL;   /* Linux's pty: B38400 CS8 CREAD */
		p->slave.driver_data = p;
		/* The master's own settings: raw, as Linux's pty driver sets them. */
		p->master_termios = p->slave.ld.termios;
		p->master_termios.c_iflag = p->master_termios.c_oflag = p->master_termios.c_lflag = 0;
		tty_register(&p->slave);
		pts_node(i, true);
		f->data = p;
		return 0;
	}
	return -ENOSPC;
}

static s64 ptmx_read(struct file *f, void *buf, u64 n, u64 *pos)
{
	struct pty *p = f->data;
	u64 got = 0;

	(void)pos;
	for (;;) {
		while (got < n && p->out_r != p->out_w)
			((u8 *)buf)[got++] = p->out[p->out_r++ % PTY_BUF];
		if (got) {
			pty_wake(p);          /* slave writers waiting for room */
			return got;
		}
		if (n == 0)
			return 0;
		if (p->slave_opened && p->slave.opens == 0)
			return -EIO;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		if (signal_pending())
			return -ERESTARTSYS;
		sleep(p);
	}
}

static s64 ptmx_write(struct file *f, const void *buf, u64 n, u64 *pos)
{
	struct pty *p = f->data;
	u64 done = 0;

	(void)pos;
	while (done < n) {
		if (!tty_has_room(&p->slave)) {
			if (done)
				return done;
			if (f->flags & O_NONBLOCK)
				return -EAGAIN;
			if (signal_pending())
				return -ERESTARTSYS;
			sleep(p);
			continue;
		}
		tty_receive(&p->slave, (const u8 *)buf + done, 1);
		done++;
	}
	return done;
}

static s64 ptmx_ioctl(struct file *f, u64 req, u64 arg)
{
	struct pty *p = f->data;
	int n;

	switch (req) {
	case TIOCGPTN:
		n = p->slave.index;
		return copyout(arg, &n, sizeof(n));
	case TIOCSPTLCK:
		if (copyin(&n, arg, sizeof(n)) < 0)
			return -EFAULT;
		p->locked = n != 0;
		return 0;
	case TIOCGPTLCK:
		n = p->locked;
		return copyout(arg, &n, sizeof(n));
	case TCGETS:
		return copyout(arg, &p->master_termios, sizeof(p->master_termios));
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
		return copyin(&p->master_termios, arg, sizeof(p->master_termios));
	case FIONREAD:
		n = p->out_w - p->out_r;
		return copyout(arg, &n, sizeof(n));
	case TCFLSH:
		if (arg > TCIOFLUSH)
			return -EINVAL;
		if (arg != TCIFLUSH)
			p->out_r = p->out_w;    /* the master's input: the slave's output */
		pty_wake(p);
		return 0;
	case TCSBRK:
	case TCSBRKP:
		return 0;
	case TIOCGWINSZ:
	case TIOCSWINSZ:
	case TIOCGPGRP:
	case TIOCSPGRP:
	case TIOCGSID:
		return tty_common_ioctl(&p->slave, f, req, arg);
	default:
		return -ENOTTY;
	}
}

static int ptmx_poll(struct file *f)
{
	struct pty *p = f->data;
	int ev = 0;

	if (p->out_r != p->out_w)
		ev |= POLLIN | POLLRDNORM;
	if (p->slave_opened && p->slave.opens == 0)
		ev |= POLLHUP;
	if (tty_has_room(&p->slave))
		ev |= POLLOUT | POLLWRNORM;
	return ev;
}

static void ptmx_release(struct file *f)
{
	struct pty *p = f->data;

	p->master_open = false;
	pts_node(p->slave.index, false);
	tty_hangup(&p->slave);
	if (p->slave.opens == 0)
		pty_free(p);
}

const struct file_ops ptmx_fops = {
	.open = ptmx_open,
	.read = ptmx_read,
	.write = ptmx_write,
	.ioctl = ptmx_ioctl,
	.poll = ptmx_poll,
	.release = ptmx_release,
};
