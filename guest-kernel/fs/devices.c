/*
 * devices.c: the device files, by Linux's numbers (devices.txt), and the
 * /dev directory the kernel fills at boot as devtmpfs would:
 *   1:3 null   reads end of file, swallows writes
 *   1:5 zero   reads zeros, swallows writes
 *   1:7 full   reads zeros, writes fail with ENOSPC
 *   1:8 random, 1:9 urandom   never-blocking random bytes (random.c)
 *   5:0 tty    the process's controlling terminal (drivers/tty.c)
 *   5:1 console (drivers/console.c)
 *   5:2 ptmx   a new pseudo-terminal's master (drivers/pty.c)
 *   136:N      /dev/pts/N, its slave, in the devpts file system
 *   8:0 sda    the disk (drivers/blk.c), a block device
 * and the links fd, stdin, stdout and stderr into /proc/self/fd, as udev
 * makes them.
 */
#include "defs.h"

static s64 null_read(struct file *f, void *buf, u64 n, u64 *pos)
{
	(void)f, (void)buf, (void)n, (void)pos;
	return 0;
}

static s64 null_write(struct file *f, const void *buf, u64 n, u64 *pos)
{
	(void)f, (void)buf, (void)pos;
	return n;
}

static s64 zero_read(struct file *f, void *buf, u64 n, u64 *pos)
{
	(void)f, (void)pos;
	memset(buf, 0, n);
	return n;
}

static s64 full_write(struct file *f, const void *buf, u64 n, u64 *pos)
{
	(void)f, (void)buf, (void)pos;
	return n ? -ENOSPC : 0;
}

static s64 random_read(struct file *f, void *buf, u64 n, u64 *pos)
{
	(void)f, (void)pos;
	random_bytes(buf, n);
	return n;
}

static int always_ready(struct file *f)
{
	(void)f;
	return POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
}

static s64 no_llseek(struct file *f, s64 off, int whence)
{
	(void)off, (void)whence;
	f->pos = 0;
	return 0;
}

static const struct file_ops null_fops = {
	.read = null_read, .write = null_write, .poll = always_ready, .llseek = no_llseek,
};
static const struct file_ops zero_fops = {
	.read = zero_read, .write = null_write, .poll = always_ready, .llseek = no_llseek,
};
static const struct file_ops full_fops = {
	.read = zero_read, .write = full_write, .poll = always_ready, .llseek = no_llseek,
};
static const struct file_ops random_fops = {
	.read = random_read, .write = null_write, .poll = always_ready, .llseek = no_llseek,
};

const struct file_ops *chrdev_ops(u32 rdev)
{
	switch (rdev) {
	case DEV(1, 3): return &null_fops;
	case DEV(1, 5): return &zero_fops;
	case DEV(1, 7): return &full_fops;
	case DEV(1, 8):
	case DEV(1, 9): return &random_fops;
	case DEV(5, 0):
	case DEV(5, 1): return &tty_fops;
	case DEV(5, 2): return &ptmx_fops;
	default: return (rdev >> 8) == PTY_MAJOR ? &tty_fops : 0;
	}
}

const struct file_ops *blkdev_ops(u32 rdev)
{
	return rdev == DEV(8, 0) ? &blk_fops : 0;
}

static const struct {
	const char *name;
	u32 mode;
	u32 rdev;
	const char *target;       /* symbolic links: what they point to */
} dev_nodes[] = {
	{ "null",    S_IFCHR | 0666, DEV(1, 3), 0 },
	{ "zero",    S_IFCHR | 0666, DEV(1, 5), 0 },
	{ "full",    S_IFCHR | 0666, DEV(1, 7), 0 },
	{ "random",  S_IFCHR | 0666, DEV(1, 8), 0 },
	{ "urandom", S_IFCHR | 0666, DEV(1, 9), 0 },
	{ "tty",     S_IFCHR | 0666, DEV(5, 0), 0 },
	{ "console", S_IFCHR | 0600, DEV(5, 1), 0 },
	{ "ptmx",    S_IFCHR | 0666, DEV(5, 2), 0 },
	{ "sda",     S_IFBLK | 0660, DEV(8, 0), 0 },
	/* What udev makes on Linux: the descriptors of whoever opens them. */
	{ "fd",      S_IFLNK | 0777, 0, "/proc/self/fd" },
	{ "stdin",   S_IFLNK | 0777, 0, "/proc/self/fd/0" },
	{ "stdout",  S_IFLNK | 0777, 0, "/proc/self/fd/1" },
	{ "stderr",  S_IFLNK | 0777, 0, "/proc/self/fd/2" },
};

/* Create the device nodes in directory dev that are not there yet (an
 * initramfs may bring its own). */
void devices_populate(struct inode *dev)
{
	for (u64 i = 0; i < sizeof(dev_nodes) / sizeof(dev_nodes[0]); i++) {
		struct inode *ip = dev->op->lookup(dev, dev_nodes[i].name);
		if (ip) {
			iput(ip);
			continue;
		}
		if (dev->op->create(dev, dev_nodes[i].name, dev_nodes[i].mode, dev_nodes[i].rdev, &ip) < 0)
			continue;
		if (dev_nodes[i].target)
			ip->op->write(ip, dev_nodes[i].target, 0, strlen(dev_nodes[i].target));
		iput(ip);
	}
}
