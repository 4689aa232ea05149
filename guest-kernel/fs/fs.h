/*
 * fs.h: the file layer (docs/ARCHITECTURE.md, "Files").
 *
 *   struct inode   a file of any type, in one file system (ramfs, procfs);
 *                  its inode_ops say what it can do (NULL: it cannot)
 *   struct file    an open file: the inode, the access mode and flags, the
 *                  position, and its file_ops (read, write, ioctl, poll)
 *   fd table       per process: fd -> struct file, and the close-on-exec
 *                  bits; dup() and fork() share a struct file, as on Linux
 *   path lookup    namei.c: ".", "..", symbolic links, mount points
 *
 * Every file system keeps its inodes in memory (there is no disk file
 * system yet), so an inode lives while it has a name (nlink) or a
 * reference (ref: open files, working directories, lookups in progress).
 */
#ifndef FS_H
#define FS_H

#include "uapi/fs.h"

#define NOFILE_MAX 256            /* descriptors per process: RLIMIT_NOFILE (the table fits a page) */
#define SYMLOOP_MAX 40            /* symbolic links in one lookup: ELOOP */

struct inode;
struct file;
struct super;

/* What an inode can do; a NULL entry means "not this kind of file". */
struct inode_ops {
	/* Directories */
	struct inode *(*lookup)(struct inode *dir, const char *name);  /* referenced, or 0 */
	int (*create)(struct inode *dir, const char *name, u32 mode, u32 rdev,
		      struct inode **out);                    /* a new inode, referenced */
	int (*link)(struct inode *dir, const char *name, struct inode *ip);
	int (*unlink)(struct inode *dir, const char *name, bool rmdir);
	int (*rename)(struct inode *odir, const char *oname, struct inode *ndir,
		      const char *nname, u32 flags);
	/* Calls emit(ctx, name, ino, type) from entry *pos on, advancing *pos,
	 * until emit returns false. */
	void (*readdir)(struct inode *dir, u64 *pos, void *ctx,
			bool (*emit)(void *ctx, const char *name, u64 ino, u8 type));
	/* Regular files and symbolic links: bytes at off. */
	s64 (*read)(struct inode *ip, void *buf, u64 off, u64 n);
	s64 (*write)(struct inode *ip, const void *buf, u64 off, u64 n);
	int (*truncate)(struct inode *ip, u64 size);
	/* Regular files that can be mapped: the GPA of data page pg (a hole
	 * gets a zeroed page first), or 0 when out of memory. */
	u64 (*page)(struct inode *ip, u64 pg);
	/* 512-byte blocks the file holds (stat's st_blocks: a sparse file
	 * holds fewer than its size); NULL: counted from the size. */
	u64 (*blocks)(struct inode *ip);
	/* The last reference went but the inode has a name: true if the file
	 * system let go of it (it is written back and can be read again);
	 * the struct is then freed.  NULL: kept (the RAM file systems). */
	bool (*drop)(struct inode *ip);
	/* The inode has no name and no reference left: free what it holds. */
	void (*evict)(struct inode *ip);
	/* Symbolic links that stand for an inode rather than a path, Linux's
	 * "magic links" (/proc/PID/fd/N, cwd, root): following one gives that
	 * inode (referenced); 0 falls back to the link's text. */
	struct inode *(*get_link)(struct inode *ip);
};

/* What an open file can do. */
struct file_ops {
	int (*open)(struct file *f);                              /* may block (FIFOs) */
	s64 (*read)(struct file *f, void *buf, u64 n, u64 *pos);
	s64 (*write)(struct file *f, const void *buf, u64 n, u64 *pos);
	s64 (*ioctl)(struct file *f, u64 req, u64 arg);
	int (*poll)(struct file *f);                              /* POLL* ready now */
	void (*release)(struct file *f);                          /* the last close */
	s64 (*llseek)(struct file *f, s64 off, int whence);       /* else the generic one */
	int (*fsync)(struct file *f);
	bool seekable;
};

/* What a file system as a whole can do (disk file systems: ext2). */
struct super_ops {
	int (*sync)(struct super *sb);                     /* everything to the disk */
	/* Sync and mark clean; unless force (shutdown), -EBUSY while a file
	 * but the root is in use, and free everything on success. */
	int (*umount)(struct super *sb, bool force);
	int (*remount)(struct super *sb, bool rdonly);
	void (*statfs)(struct super *sb, struct statfs *st);
};

struct super {
	const char *type;         /* "tmpfs", "proc", "ext2" */
	const struct super_ops *op;   /* 0 for the RAM file systems */
	void *data;               /* the file system's own */
	bool rdonly;              /* mounted read-only (MS_RDONLY) */
	u64 magic;                /* statfs f_type */
	u32 dev;                  /* st_dev */
	u32 next_ino;
	struct inode *root;
};

struct inode {
	u64 ino;
	u32 mode;                 /* S_IFMT type and permission bits */
	u32 nlink;
	u32 uid, gid;
	u32 rdev;                 /* character and block devices: major << 8 | minor */
	u64 size;
	struct timespec atime, mtime, ctime;
	int ref;
	struct super *sb;
	const struct inode_ops *op;
	const struct file_ops *fop;   /* what open() gives */
	void *data;               /* the file system's own */
	struct inode *parent;     /* directories: the one holding it, for ".." */
	struct inode *mounted;    /* a directory with a file system on it: its root */
	struct inode *covered;    /* a file system's root: the directory it covers */
};

struct file {
	int ref;                  /* descriptors (in any process) that name it */
	u32 flags;                /* O_ACCMODE, O_APPEND, O_NONBLOCK, ... */
	u64 pos;
	struct inode *ip;         /* a pipe's ends: its pipefs inode (pipe.c) */
	const struct file_ops *op;
	void *data;               /* the pipe, a directory's read position, ... */
	char *path;               /* kmalloc'ed: the absolute path open() found it by, or 0 (/proc/PID/fd) */
};

/* The per-process descriptor table (struct proc.files). */
struct fdtable {
	struct file *fd[NOFILE_MAX];
	u64 cloexec[NOFILE_MAX / 64];
};

/* inode.c: lifetime and attributes */
struct inode *inode_new(struct super *sb, u32 mode);
struct inode *iget(struct inode *ip);
void iput(struct inode *ip);
void inode_touch(struct inode *ip, bool access, bool modify);
void inode_stat(struct inode *ip, struct stat *st);
u8 inode_dtype(u32 mode);
struct timespec fs_now(void);
bool inode_is_ancestor(struct inode *a, struct inode *d);

/* file.c: open files and descriptors */
struct file *file_alloc(struct inode *ip, u32 flags);
struct file *file_get(struct file *f);
void file_put(struct file *f);
struct file *fd_file(int fd);                 /* the running process's, or 0 */
int fd_install(struct file *f, int min, bool cloexec);   /* lowest free >= min */
int fd_close(int fd);
int fd_replace(int fd, struct file *f, bool cloexec);
bool fd_cloexec(int fd);
void fd_set_cloexec(int fd, bool on);
struct fdtable *fdtable_copy(const struct fdtable *t);   /* fork */
void fdtable_close_all(struct fdtable *t);                /* exit */
void fdtable_exec(struct fdtable *t);                     /* close-on-exec */
int file_open_inode(struct inode *ip, u32 flags, struct file **out);
s64 file_read(struct file *f, void *buf, u64 n);
s64 file_write(struct file *f, const void *buf, u64 n);
int file_size_limit(struct file *f, u64 pos, u64 *n);
s64 inode_file_read(struct file *f, void *buf, u64 n, u64 *pos);
s64 inode_file_write(struct file *f, const void *buf, u64 n, u64 *pos);

/* namei.c: paths */
#define LOOKUP_FOLLOW 1           /* follow a symbolic link in the last component */
#define LOOKUP_DIR    2           /* the result must be a directory */
int path_lookup(int dirfd, const char *path, int flags, struct inode **out);
int path_parent(int dirfd, const char *path, struct inode **dir, char *name);
int path_lookup_user(s64 dirfd, u64 path_va, int flags, int at_flags, struct inode **out);
int path_parent_in(struct inode *dir, const char *path, struct inode **parent, char *name);
int path_of(struct inode *ip, char *buf, u64 size);
int path_canonical(const char *path, char *buf, u64 size);
struct inode *fs_root(void);

/* ramfs.c: the RAM file system (/, and mounts of tmpfs) */
void ramfs_init(u64 max_pages);
struct super *ramfs_new(void);
u64 ramfs_pages_used(void);
u64 ramfs_pages_max(void);

/* bcache.c: the buffer cache of the disk's blocks */
struct buf {
	u64 blockno;              /* ~0: none */
	u8 *data;                 /* the block's bytes */
	int ref;                  /* callers holding it (bread/brelse) */
	bool valid;               /* data holds the block */
	bool dirty;               /* data differs from the disk */
	struct buf *hnext;        /* the hash chain */
	struct buf *prev, *next;  /* least recently used order */
};
struct bcache_stats {
	u64 hits, read_requests, blocks_read, write_requests, blocks_written;
};
int bcache_init(u32 bsize, u64 ram_pages);
void bcache_free(void);
int bcache_sync(void);
struct buf *bget(u64 blk);
struct buf *bread(u64 blk);
struct buf *bzero_get(u64 blk);
void bdirty(struct buf *b);
void brelse(struct buf *b);
void bforget(u64 blk);
void bcache_readahead(u64 blk, u32 n);
bool bcached(u64 blk);
const struct bcache_stats *bcache_stats(void);

/* ext2/super.c: the ext2 file system on the disk */
int ext2_mount(bool rdonly, struct super **out);
void fs_sync_all(void);

/* devices.c: character devices by number */
#define DEV(major, minor) (((major) << 8) | (minor))
void devices_populate(struct inode *dev);
const struct file_ops *chrdev_ops(u32 rdev);
const struct file_ops *blkdev_ops(u32 rdev);

/* pipe.c */
int pipe_new(struct file **rd, struct file **wr);
bool is_pipe(const struct inode *ip);
extern const struct file_ops fifo_ops;

/* initramfs.c */
int initramfs_unpack(const u8 *archive, u64 size);

/* mount.c */
#define NMOUNT 16
struct mount {
	struct super *sb;         /* 0: a free slot */
	struct inode *on;         /* the directory it covers; 0 for the root */
	char source[64];
	char target[256];
};
extern struct mount mounts[NMOUNT];
void fs_init(u64 ram_pages);
void fs_after_initramfs(void);
void fs_set_root(struct inode *ip);
void fs_shutdown(void);
int fs_mount_root(const char *dev, const char *type, bool rdonly);
int fs_console(struct inode **out);

/* procfs.c */
struct super *procfs_new(void);
char *procfs_file_path(int dirfd, const char *path, struct inode *ip);
s64 sys_sysinfo(u64 info_va);

/* poll.c */
void poll_notify(void);


/* The file system calls (sys_file.c, sys_path.c, poll.c, mount.c), for
 * the table in kernel/syscall.c. */
s64 sys_mount(u64 source_va, u64 target_va, u64 type_va, u64 flags, u64 data);
s64 sys_umount2(u64 target_va, u64 flags);
s64 sys_statfs(u64 path_va, u64 buf_va);
s64 sys_fstatfs(u64 fd, u64 buf_va);
s64 sys_poll(u64 fds, u64 nfds, u64 timeout_ms);
s64 sys_ppoll(u64 fds, u64 nfds, u64 ts_va, u64 mask_va, u64 masksize);
s64 sys_select(u64 nfds, u64 rd, u64 wr, u64 ex, u64 tv_va);
s64 sys_pselect6(u64 nfds, u64 rd, u64 wr, u64 ex, u64 ts_va, u64 sig_va);
s64 sys_read(u64 fd, u64 buf, u64 n);
s64 sys_write(u64 fd, u64 buf, u64 n);
s64 sys_pread64(u64 fd, u64 buf, u64 n, u64 pos);
s64 sys_pwrite64(u64 fd, u64 buf, u64 n, u64 pos);
s64 sys_readv(u64 fd, u64 iov, u64 cnt);
s64 sys_writev(u64 fd, u64 iov, u64 cnt);
s64 sys_preadv(u64 fd, u64 iov, u64 cnt, u64 pos);
s64 sys_pwritev(u64 fd, u64 iov, u64 cnt, u64 pos);
s64 sys_lseek(u64 fd, u64 off, u64 whence);
s64 sys_sendfile(u64 out_fd, u64 in_fd, u64 off_va, u64 count);
s64 sys_close(u64 fd);
s64 sys_dup(u64 fd);
s64 sys_dup2(u64 oldfd, u64 newfd);
s64 sys_dup3(u64 oldfd, u64 newfd, u64 flags);
s64 sys_fcntl(u64 fd, u64 cmd, u64 arg);
s64 sys_ioctl(u64 fd, u64 req, u64 arg);
s64 sys_pipe2(u64 fds_va, u64 flags);
s64 sys_pipe(u64 fds_va);
s64 sys_fsync(u64 fd);
s64 sys_ftruncate(u64 fd, u64 size);
s64 sys_getdents64(u64 fd, u64 buf, u64 size);
s64 sys_openat(s64 dirfd, u64 path_va, u64 flags, u64 mode);
s64 sys_open(u64 path, u64 flags, u64 mode);
s64 sys_creat(u64 path, u64 mode);
s64 sys_newfstatat(s64 dirfd, u64 path_va, u64 st_va, u64 flags);
s64 sys_stat(u64 path, u64 st);
s64 sys_lstat(u64 path, u64 st);
s64 sys_fstat(u64 fd, u64 st_va);
s64 sys_statx(s64 dirfd, u64 path_va, u64 flags, u64 mask, u64 stx_va);
s64 sys_mkdirat(s64 dirfd, u64 path, u64 mode);
s64 sys_mkdir(u64 path, u64 mode);
s64 sys_mknodat(s64 dirfd, u64 path, u64 mode, u64 dev);
s64 sys_mknod(u64 path, u64 mode, u64 dev);
s64 sys_unlinkat(s64 dirfd, u64 path_va, u64 flags);
s64 sys_unlink(u64 path);
s64 sys_rmdir(u64 path);
s64 sys_symlinkat(u64 target_va, s64 dirfd, u64 path_va);
s64 sys_symlink(u64 target, u64 path);
s64 sys_readlinkat(s64 dirfd, u64 path_va, u64 buf, u64 size);
s64 sys_readlink(u64 path, u64 buf, u64 size);
s64 sys_linkat(s64 olddirfd, u64 old_va, s64 newdirfd, u64 new_va, u64 flags);
s64 sys_link(u64 oldp, u64 newp);
s64 sys_renameat2(s64 olddirfd, u64 old_va, s64 newdirfd, u64 new_va, u64 flags);
s64 sys_renameat(s64 od, u64 o, s64 nd, u64 n);
s64 sys_rename(u64 o, u64 n);
s64 sys_fchmodat(s64 dirfd, u64 path_va, u64 mode);
s64 sys_chmod(u64 path, u64 mode);
s64 sys_fchmod(u64 fd, u64 mode);
s64 sys_fchownat(s64 dirfd, u64 path_va, u64 uid, u64 gid, u64 flags);
s64 sys_chown(u64 path, u64 uid, u64 gid);
s64 sys_lchown(u64 path, u64 uid, u64 gid);
s64 sys_fchown(u64 fd, u64 uid, u64 gid);
s64 sys_utimensat(s64 dirfd, u64 path_va, u64 times_va, u64 flags);
s64 sys_truncate(u64 path_va, u64 size);
s64 sys_faccessat2(s64 dirfd, u64 path_va, u64 mode, u64 flags);
s64 sys_faccessat(s64 dirfd, u64 path, u64 mode);
s64 sys_access(u64 path, u64 mode);
s64 sys_chdir(u64 path_va);
s64 sys_fchdir(u64 fd);
s64 sys_getcwd(u64 buf, u64 size);
s64 sys_umask(u64 mask);
s64 sys_sync(void);
s64 sys_chroot(u64 path_va);

#endif
