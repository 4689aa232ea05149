/*
 * uapi/fs.h: Linux's x86-64 file ABI: open flags, *at() flags, file types
 * and modes, struct stat, struct statx, struct linux_dirent64, lseek,
 * poll, fcntl and the ioctls the kernel answers.
 */
#ifndef UAPI_FS_H
#define UAPI_FS_H

#include "uapi/time.h"
#include "uapi/termios.h"

/* open(2) flags */
#define O_ACCMODE   00000003
#define O_RDONLY    00000000
#define O_WRONLY    00000001
#define O_RDWR      00000002
#define O_CREAT     00000100
#define O_EXCL      00000200
#define O_NOCTTY    00000400
#define O_TRUNC     00001000
#define O_APPEND    00002000
#define O_NONBLOCK  00004000
#define O_DSYNC     00010000
#define O_DIRECT    00040000
#define O_LARGEFILE 00100000
#define O_DIRECTORY 00200000
#define O_NOFOLLOW  00400000
#define O_NOATIME   01000000
#define O_CLOEXEC   02000000
#define O_SYNC      04010000
#define O_PATH      010000000
#define O_TMPFILE   020200000

/* *at() */
#define AT_FDCWD            (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR        0x200
#define AT_EACCESS          0x200
#define AT_SYMLINK_FOLLOW   0x400
#define AT_NO_AUTOMOUNT     0x800
#define AT_EMPTY_PATH       0x1000
#define AT_STATX_SYNC_TYPE  0x6000

/* renameat2() */
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE  2
#define RENAME_WHITEOUT  4

/* File types and modes */
#define S_IFMT   0170000
#define S_IFSOCK 0140000
#define S_IFLNK  0120000
#define S_IFREG  0100000
#define S_IFBLK  0060000
#define S_IFDIR  0040000
#define S_IFCHR  0020000
#define S_IFIFO  0010000
#define S_ISUID  04000
#define S_ISGID  02000
#define S_ISVTX  01000
#define S_ISREG(m)  (((m) & S_IFMT) == S_IFREG)
#define S_ISDIR(m)  (((m) & S_IFMT) == S_IFDIR)
#define S_ISLNK(m)  (((m) & S_IFMT) == S_IFLNK)
#define S_ISCHR(m)  (((m) & S_IFMT) == S_IFCHR)
#define S_ISBLK(m)  (((m) & S_IFMT) == S_IFBLK)
#define S_ISFIFO(m) (((m) & S_IFMT) == S_IFIFO)

/* access() */
#define F_OK 0
#define X_OK 1
#define W_OK 2
#define R_OK 4

/* lseek() */
#define SEEK_SET  0
#define SEEK_CUR  1
#define SEEK_END  2
#define SEEK_DATA 3
#define SEEK_HOLE 4

/* fcntl() */
#define F_DUPFD         0
#define F_GETFD         1
#define F_SETFD         2
#define F_GETFL         3
#define F_SETFL         4
#define F_GETLK         5
#define F_SETLK         6
#define F_SETLKW        7
#define F_DUPFD_CLOEXEC 1030
#define FD_CLOEXEC      1

/* utimensat() */
#define UTIME_NOW  ((1l << 30) - 1l)
#define UTIME_OMIT ((1l << 30) - 2l)

/* poll() */
#define POLLIN   0x001
#define POLLPRI  0x002
#define POLLOUT  0x004
#define POLLERR  0x008
#define POLLHUP  0x010
#define POLLNVAL 0x020
#define POLLRDNORM 0x040
#define POLLWRNORM 0x100

/* Linux's x86-64 struct stat (144 bytes). */
struct stat {
	u64 st_dev;
	u64 st_ino;
	u64 st_nlink;
	u32 st_mode;
	u32 st_uid;
	u32 st_gid;
	u32 pad0;
	u64 st_rdev;
	s64 st_size;
	s64 st_blksize;
	s64 st_blocks;          /* 512-byte units */
	struct timespec st_atim;
	struct timespec st_mtim;
	struct timespec st_ctim;
	s64 unused[3];
};
_Static_assert(sizeof(struct stat) == 144, "Linux's x86-64 struct stat");

struct statx_timestamp {
	s64 tv_sec;
	u32 tv_nsec;
	s32 reserved;
};

/* struct statx (256 bytes). */
struct statx {
	u32 stx_mask;
	u32 stx_blksize;
	u64 stx_attributes;
	u32 stx_nlink;
	u32 stx_uid;
	u32 stx_gid;
	u16 stx_mode;
	u16 spare0;
	u64 stx_ino;
	u64 stx_size;
	u64 stx_blocks;
	u64 stx_attributes_mask;
	struct statx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
	u32 stx_rdev_major, stx_rdev_minor;
	u32 stx_dev_major, stx_dev_minor;
	u64 spare2[14];
};
_Static_assert(sizeof(struct statx) == 256, "Linux's struct statx");
#define STATX_BASIC_STATS 0x7ff

/* getdents64() records. */
struct linux_dirent64 {
	u64 d_ino;
	s64 d_off;
	u16 d_reclen;
	u8 d_type;
	char d_name[];
};
#define DT_UNKNOWN 0
#define DT_FIFO    1
#define DT_CHR     2
#define DT_DIR     4
#define DT_BLK     6
#define DT_REG     8
#define DT_LNK     10
#define DT_SOCK    12

/* statfs() (x86-64, 120 bytes). */
struct statfs {
	s64 f_type;
	s64 f_bsize;
	u64 f_blocks, f_bfree, f_bavail, f_files, f_ffree;
	s32 f_fsid[2];
	s64 f_namelen;
	s64 f_frsize;
	s64 f_flags;
	s64 f_spare[4];
};
_Static_assert(sizeof(struct statfs) == 120, "Linux's x86-64 struct statfs");
#define TMPFS_MAGIC 0x01021994
#define PROC_SUPER_MAGIC 0x9fa0
#define PIPEFS_MAGIC 0x50495045

#define NAME_MAX 255
#define PATH_MAX 4096
#define PIPE_BUF 4096

/* ioctl() requests (the terminal's: uapi/termios.h) */
#define FIONREAD    0x541b
#define FIONBIO     0x5421
#define FIOCLEX     0x5451
#define FIONCLEX    0x5450
#define BLKGETSIZE64 0x80081272

#endif
