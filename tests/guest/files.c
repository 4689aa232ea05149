/* files: open flags, I/O calls, stat family, getdents64, truncate, dup,
 * fcntl, the fd limit, EBADF, and the /dev character devices. */
#define T_GROUP "files"
#include "t.h"

#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>

/* statx's ABI (include/uapi/linux/stat.h), here so that musl 1.2.3's
 * headers, which lack it, do not matter. */
struct t_statx_ts {
	int64_t tv_sec;
	uint32_t tv_nsec;
	int32_t reserved;
};
struct t_statx {
	uint32_t stx_mask, stx_blksize;
	uint64_t stx_attributes;
	uint32_t stx_nlink, stx_uid, stx_gid;
	uint16_t stx_mode, spare0;
	uint64_t stx_ino, stx_size, stx_blocks, stx_attributes_mask;
	struct t_statx_ts stx_atime, stx_btime, stx_ctime, stx_mtime;
	uint32_t stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
	uint64_t spare2[14];
};
#define T_STATX_TYPE 0x1U
#define T_STATX_MODE 0x2U
#define T_STATX_NLINK 0x4U
#define T_STATX_SIZE 0x200U
#define T_STATX_BASIC_STATS 0x7ffU

struct t_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static int mkfile(const char *path, const char *content)
{
	return t_put(path, content, strlen(content));
}

TEST(open_creat)
{
	CHECK_ERR(open("f", O_RDONLY), ENOENT);
	int fd = REQUIRE_OK(open("f", O_WRONLY | O_CREAT, 0644));
	struct stat st;
	CHECK_OK(fstat(fd, &st));
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_size, 0);
	CHECK_EQ(st.st_mode & 07777, 0644);
	CHECK_EQ(st.st_nlink, 1);
	CHECK_EQ(st.st_uid, 0);
	CHECK_OK(close(fd));
	/* O_CREAT on an existing file opens it, mode ignored */
	fd = CHECK_OK(open("f", O_RDWR | O_CREAT, 0600));
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_mode & 07777, 0644);
	CHECK_OK(close(fd));
}

TEST(open_excl)
{
	int fd = REQUIRE_OK(open("f", O_WRONLY | O_CREAT | O_EXCL, 0644));
	close(fd);
	CHECK_ERR(open("f", O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
	/* also on a dangling symlink: O_EXCL does not follow it */
	CHECK_OK(symlink("nowhere", "dangling"));
	CHECK_ERR(open("dangling", O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
	CHECK_ERR(access("nowhere", F_OK), ENOENT);
	/* without O_EXCL, O_CREAT through a dangling symlink creates the target */
	fd = CHECK_OK(open("dangling", O_WRONLY | O_CREAT, 0644));
	close(fd);
	CHECK_OK(access("nowhere", F_OK));
}

TEST(open_trunc)
{
	REQUIRE_OK(mkfile("f", "hello world"));
	int fd = REQUIRE_OK(open("f", O_WRONLY | O_TRUNC));
	struct stat st;
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_size, 0);
	CHECK_EQ(write(fd, "ab", 2), 2);
	close(fd);
	char buf[32];
	CHECK_EQ(t_get("f", buf, sizeof buf), 2);
	CHECK_STR(buf, "ab");
}

TEST(open_append)
{
	REQUIRE_OK(mkfile("f", "0123"));
	int fd = REQUIRE_OK(open("f", O_WRONLY | O_APPEND));
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	CHECK_EQ(write(fd, "ab", 2), 2);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 6);
	CHECK_EQ(lseek(fd, 1, SEEK_SET), 1);
	CHECK_EQ(write(fd, "cd", 2), 2);
	close(fd);
	char buf[32];
	CHECK_EQ(t_get("f", buf, sizeof buf), 8);
	CHECK_STR(buf, "0123abcd");
	/* two descriptors appending do not overwrite each other */
	int a = REQUIRE_OK(open("g", O_WRONLY | O_CREAT | O_APPEND, 0644));
	int b = REQUIRE_OK(open("g", O_WRONLY | O_APPEND));
	CHECK_EQ(write(a, "1", 1), 1);
	CHECK_EQ(write(b, "2", 1), 1);
	CHECK_EQ(write(a, "3", 1), 1);
	close(a);
	close(b);
	CHECK_EQ(t_get("g", buf, sizeof buf), 3);
	CHECK_STR(buf, "123");
}

TEST(open_cloexec)
{
	int fd = REQUIRE_OK(open("f", O_RDWR | O_CREAT | O_CLOEXEC, 0644));
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	int fd2 = REQUIRE_OK(open("f", O_RDWR));
	CHECK_EQ(fcntl(fd2, F_GETFD), 0);
	/* O_CLOEXEC is not a file status flag */
	CHECK_EQ(fcntl(fd, F_GETFL) & O_CLOEXEC, 0);
}

TEST(open_nonblock)
{
	REQUIRE_OK(mkfile("f", "data"));
	int fd = REQUIRE_OK(open("f", O_RDONLY | O_NONBLOCK));
	CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK);
	char buf[8];
	CHECK_EQ(read(fd, buf, sizeof buf), 4); /* no effect on a regular file */
	CHECK_EQ(read(fd, buf, sizeof buf), 0);
}

TEST(open_directory)
{
	REQUIRE_OK(mkfile("f", "x"));
	REQUIRE_OK(mkdir("d", 0755));
	CHECK_ERR(open("f", O_RDONLY | O_DIRECTORY), ENOTDIR);
	int fd = CHECK_OK(open("d", O_RDONLY | O_DIRECTORY));
	close(fd);
	fd = CHECK_OK(open(".", O_RDONLY | O_DIRECTORY));
	close(fd);
	CHECK_ERR(open("d", O_WRONLY), EISDIR);
	CHECK_ERR(open("d", O_RDWR), EISDIR);
	CHECK_ERR(open("d", O_WRONLY | O_CREAT, 0644), EISDIR);
	/* read on a directory fd */
	fd = REQUIRE_OK(open("d", O_RDONLY));
	char buf[8];
	CHECK_ERR(read(fd, buf, sizeof buf), EISDIR);
}

TEST(open_nofollow)
{
	REQUIRE_OK(mkfile("f", "x"));
	REQUIRE_OK(symlink("f", "l"));
	CHECK_ERR(open("l", O_RDONLY | O_NOFOLLOW), ELOOP);
	int fd = CHECK_OK(open("f", O_RDONLY | O_NOFOLLOW));
	close(fd);
	fd = CHECK_OK(open("l", O_RDONLY));
	close(fd);
}

TEST(open_misc_errors)
{
	CHECK_ERR(open("", O_RDONLY), ENOENT);
	CHECK_ERR(open("missing/f", O_RDONLY | O_CREAT, 0644), ENOENT);
	REQUIRE_OK(mkfile("f", "x"));
	CHECK_ERR(open("f/g", O_RDONLY), ENOTDIR);
	CHECK_ERR(open("f/g", O_RDONLY | O_CREAT, 0644), ENOTDIR);
	CHECK_ERR(open(T_NULLPTR, O_RDONLY), EFAULT);
	int fd = REQUIRE_OK(open("f", O_RDONLY));
	CHECK_ERR(write(fd, "y", 1), EBADF);
	close(fd);
	fd = REQUIRE_OK(open("f", O_WRONLY));
	char c;
	CHECK_ERR(read(fd, &c, 1), EBADF);
	close(fd);
}

TEST(openat)
{
	REQUIRE_OK(mkdir("d", 0755));
	int dfd = REQUIRE_OK(open("d", O_RDONLY | O_DIRECTORY));
	int fd = REQUIRE_OK(openat(dfd, "f", O_WRONLY | O_CREAT, 0644));
	CHECK_EQ(write(fd, "abc", 3), 3);
	close(fd);
	CHECK_OK(access("d/f", F_OK));
	fd = CHECK_OK(openat(AT_FDCWD, "d/f", O_RDONLY));
	close(fd);
	/* a non-directory as dirfd for a relative path */
	fd = REQUIRE_OK(open("d/f", O_RDONLY));
	CHECK_ERR(openat(fd, "x", O_RDONLY), ENOTDIR);
	CHECK_ERR(openat(1000, "x", O_RDONLY), EBADF);
	/* an absolute path ignores dirfd, even a bad one */
	char abs[600];
	snprintf(abs, sizeof abs, "%s/d/f", t_dir);
	int fd2 = CHECK_OK(openat(1000, abs, O_RDONLY));
	char buf[8] = {0};
	CHECK_EQ(read(fd2, buf, sizeof buf), 3);
	CHECK_STR(buf, "abc");
	/* ".." from a dirfd */
	fd2 = CHECK_OK(openat(dfd, "../d/f", O_RDONLY));
	close(fd2);
}

TEST(read_write)
{
	int fd = REQUIRE_OK(open("f", O_RDWR | O_CREAT, 0644));
	char big[10000];
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (char)(i * 7 + i / 256);
	CHECK_EQ(write(fd, big, sizeof big), sizeof big);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), sizeof big);
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	char back[10000];
	CHECK_EQ(read(fd, back, sizeof back), sizeof back);
	CHECK(memcmp(big, back, sizeof big) == 0);
	CHECK_EQ(read(fd, back, sizeof back), 0); /* EOF */
	CHECK_EQ(write(fd, big, 0), 0);
	/* short read at the end */
	CHECK_EQ(lseek(fd, -10, SEEK_END), sizeof big - 10);
	CHECK_EQ(read(fd, back, 100), 10);
	CHECK(memcmp(back, big + sizeof big - 10, 10) == 0);
	/* a bad buffer */
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	CHECK_ERR(read(fd, T_BADPTR, 10), EFAULT);
	CHECK_ERR(write(fd, T_BADPTR, 10), EFAULT);
}

TEST(readv_writev)
{
	int fd = REQUIRE_OK(open("f", O_RDWR | O_CREAT, 0644));
	char a[] = "hello ", b[] = "", c[] = "vectored ", d[] = "world";
	struct iovec w[4] = {{a, 6}, {b, 0}, {c, 9}, {d, 5}};
	CHECK_EQ(writev(fd, w, 4), 20);
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	char x[3], y[10], z[20];
	memset(z, 0, sizeof z);
	struct iovec r[3] = {{x, 3}, {y, 10}, {z, 20}};
	CHECK_EQ(readv(fd, r, 3), 20);
	CHECK(memcmp(x, "hel", 3) == 0);
	CHECK(memcmp(y, "lo vectore", 10) == 0);
	CHECK_STR(z, "d world");
	CHECK_EQ(readv(fd, r, 3), 0);
	CHECK_ERR(readv(fd, r, (int)t_null_addr_ - 1), EINVAL);
	CHECK_EQ(writev(fd, w, 0), 0);
}

TEST(pread_pwrite)
{
	int fd = REQUIRE_OK(open("f", O_RDWR | O_CREAT, 0644));
	CHECK_EQ(write(fd, "0123456789", 10), 10);
	char buf[8] = {0};
	CHECK_EQ(pread(fd, buf, 4, 3), 4);
	CHECK_STR(buf, "3456");
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 10); /* offset untouched */
	CHECK_EQ(pwrite(fd, "ab", 2, 1), 2);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 10);
	CHECK_EQ(pread(fd, buf, 8, 0), 8);
	CHECK(memcmp(buf, "0ab34567", 8) == 0);
	CHECK_EQ(pread(fd, buf, 8, 100), 0); /* past EOF */
	CHECK_ERR(pread(fd, buf, 1, -1), EINVAL);
	/* pwrite past EOF leaves a hole */
	CHECK_EQ(pwrite(fd, "Z", 1, 20), 1);
	struct stat st;
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_size, 21);
	int p[2];
	REQUIRE_OK(pipe(p));
	CHECK_ERR(pread(p[0], buf, 1, 0), ESPIPE);
	CHECK_ERR(pwrite(p[1], buf, 1, 0), ESPIPE);
}

TEST(lseek)
{
	int fd = REQUIRE_OK(open("f", O_RDWR | O_CREAT, 0644));
	CHECK_EQ(write(fd, "0123456789", 10), 10);
	CHECK_EQ(lseek(fd, 2, SEEK_SET), 2);
	CHECK_EQ(lseek(fd, 3, SEEK_CUR), 5);
	CHECK_EQ(lseek(fd, -1, SEEK_CUR), 4);
	CHECK_EQ(lseek(fd, 0, SEEK_END), 10);
	CHECK_EQ(lseek(fd, -3, SEEK_END), 7);
	char c = 0;
	CHECK_EQ(read(fd, &c, 1), 1);
	CHECK_EQ(c, '7');
	CHECK_ERR(lseek(fd, -1, SEEK_SET), EINVAL);
	CHECK_ERR(lseek(fd, -20, SEEK_END), EINVAL);
	CHECK_ERR(lseek(fd, 0, 77), EINVAL);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 8); /* failed seeks left it */
	CHECK_EQ(lseek(fd, 1000, SEEK_SET), 1000); /* past EOF is fine */
	int p[2];
	REQUIRE_OK(pipe(p));
	CHECK_ERR(lseek(p[0], 0, SEEK_CUR), ESPIPE);
	CHECK_ERR(lseek(-1, 0, SEEK_CUR), EBADF);
}

TEST(holes)
{
	int fd = REQUIRE_OK(open("f", O_RDWR | O_CREAT, 0644));
	CHECK_EQ(write(fd, "A", 1), 1);
	CHECK_EQ(lseek(fd, 100000, SEEK_SET), 100000);
	CHECK_EQ(write(fd, "B", 1), 1);
	struct stat st;
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_size, 100001);
	static char buf[100001];
	CHECK_EQ(pread(fd, buf, sizeof buf, 0), 100001);
	CHECK_EQ(buf[0], 'A');
	CHECK_EQ(buf[100000], 'B');
	size_t nonzero = 0;
	for (size_t i = 1; i < 100000; i++)
		nonzero += buf[i] != 0;
	CHECK_EQ(nonzero, 0);
}

TEST(sendfile)
{
	char data[20000];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (char)('a' + i % 26);
	REQUIRE_OK(t_put("src", data, sizeof data));
	int in = REQUIRE_OK(open("src", O_RDONLY));
	int out = REQUIRE_OK(open("dst", O_WRONLY | O_CREAT, 0644));
	/* with the file offset */
	CHECK_EQ(sendfile(out, in, NULL, 5000), 5000);
	CHECK_EQ(lseek(in, 0, SEEK_CUR), 5000);
	CHECK_EQ(sendfile(out, in, NULL, 100000), 15000);
	CHECK_EQ(sendfile(out, in, NULL, 100), 0); /* EOF */
	close(out);
	static char back[20001];
	CHECK_EQ(t_get("dst", back, sizeof back), sizeof data);
	CHECK(memcmp(back, data, sizeof data) == 0);
	/* with an explicit offset: the file offset stays, *off advances */
	int p[2];
	REQUIRE_OK(pipe(p));
	off_t off = 26;
	CHECK_EQ(lseek(in, 7, SEEK_SET), 7);
	CHECK_EQ(sendfile(p[1], in, &off, 10), 10);
	CHECK_EQ(off, 36);
	CHECK_EQ(lseek(in, 0, SEEK_CUR), 7);
	char buf[16] = {0};
	CHECK_EQ(read(p[0], buf, sizeof buf), 10);
	CHECK_STR(buf, "abcdefghij");
	CHECK_ERR(sendfile(p[1], -1, NULL, 10), EBADF);
}

TEST(stat_fields)
{
	REQUIRE_OK(mkfile("f", "12345"));
	REQUIRE_OK(mkdir("d", 0755));
	REQUIRE_OK(symlink("f", "l"));
	struct stat st, lst, fst;
	CHECK_OK(stat("f", &st));
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_size, 5);
	CHECK_EQ(st.st_nlink, 1);
	CHECK(st.st_ino != 0);
	CHECK(st.st_blksize > 0);
	CHECK_OK(stat("d", &st));
	CHECK(S_ISDIR(st.st_mode));
	CHECK_EQ(st.st_mode & 07777, 0755);
	CHECK_OK(stat("l", &st)); /* follows */
	CHECK(S_ISREG(st.st_mode));
	CHECK_OK(lstat("l", &lst)); /* does not */
	CHECK(S_ISLNK(lst.st_mode));
	CHECK_EQ(lst.st_size, 1); /* strlen("f") */
	CHECK(lst.st_ino != st.st_ino);
	int fd = REQUIRE_OK(open("f", O_RDONLY));
	CHECK_OK(fstat(fd, &fst));
	CHECK_EQ(fst.st_ino, st.st_ino);
	CHECK_EQ(fst.st_dev, st.st_dev);
	CHECK_ERR(stat("missing", &st), ENOENT);
	CHECK_ERR(lstat("missing", &st), ENOENT);
	CHECK_ERR(fstat(-1, &st), EBADF);
	CHECK_ERR(syscall(SYS_stat, "f", T_NULLPTR), EFAULT); /* the kernel's check, not libc's */
	/* timestamps are recent */
	time_t now = time(NULL);
	CHECK_OK(stat("f", &st));
	CHECK_MSG(st.st_mtime <= now + 1 && st.st_mtime >= now - 60,
		  "st_mtime %lld, now %lld", (long long)st.st_mtime, (long long)now);
}

TEST(stat_raw_syscalls)
{
	/* each of the stat system calls by number, as static binaries use them */
	REQUIRE_OK(mkfile("f", "abc"));
	REQUIRE_OK(symlink("f", "l"));
	struct stat a, b, c, d, e;
	CHECK_OK(syscall(SYS_stat, "f", &a));
	CHECK_OK(syscall(SYS_lstat, "l", &b));
	int fd = REQUIRE_OK(open("f", O_RDONLY));
	CHECK_OK(syscall(SYS_fstat, fd, &c));
	CHECK_OK(syscall(SYS_newfstatat, AT_FDCWD, "l", &d, 0));
	CHECK_OK(syscall(SYS_newfstatat, fd, "", &e, AT_EMPTY_PATH));
	CHECK(S_ISREG(a.st_mode));
	CHECK_EQ(a.st_size, 3);
	CHECK(S_ISLNK(b.st_mode));
	CHECK_EQ(c.st_ino, a.st_ino);
	CHECK_EQ(d.st_ino, a.st_ino);
	CHECK_EQ(e.st_ino, a.st_ino);
	CHECK_OK(syscall(SYS_newfstatat, AT_FDCWD, "l", &d, AT_SYMLINK_NOFOLLOW));
	CHECK(S_ISLNK(d.st_mode));
	CHECK_EQ(d.st_ino, b.st_ino);
	int dfd = REQUIRE_OK(open(".", O_RDONLY | O_DIRECTORY));
	CHECK_OK(syscall(SYS_newfstatat, dfd, "f", &d, 0));
	CHECK_EQ(d.st_ino, a.st_ino);
	errno = 0;
	CHECK_EQ(syscall(SYS_newfstatat, AT_FDCWD, "f", &d, 0x12345678), -1);
	CHECK_EQ(errno, EINVAL);
}

TEST(statx)
{
	REQUIRE_OK(mkfile("f", "hello"));
	REQUIRE_OK(mkdir("d", 0750));
	struct t_statx sx;
	struct stat st;
	memset(&sx, 0xff, sizeof sx);
	REQUIRE_OK(syscall(SYS_statx, AT_FDCWD, "f", 0, T_STATX_BASIC_STATS, &sx));
	CHECK_OK(stat("f", &st));
	CHECK_EQ(sx.stx_mask & (T_STATX_TYPE | T_STATX_MODE | T_STATX_NLINK | T_STATX_SIZE),
		 T_STATX_TYPE | T_STATX_MODE | T_STATX_NLINK | T_STATX_SIZE);
	CHECK(S_ISREG(sx.stx_mode));
	CHECK_EQ(sx.stx_mode & 07777, 0644);
	CHECK_EQ(sx.stx_size, 5);
	CHECK_EQ(sx.stx_nlink, 1);
	CHECK_EQ(sx.stx_ino, st.st_ino);
	CHECK_EQ(sx.stx_uid, 0);
	CHECK_EQ(sx.stx_mtime.tv_sec, st.st_mtim.tv_sec);
	CHECK_EQ(makedev(sx.stx_dev_major, sx.stx_dev_minor), st.st_dev);
	CHECK_OK(syscall(SYS_statx, AT_FDCWD, "d", 0, T_STATX_BASIC_STATS, &sx));
	CHECK(S_ISDIR(sx.stx_mode));
	CHECK_EQ(sx.stx_mode & 07777, 0750);
	int fd = REQUIRE_OK(open("f", O_RDONLY));
	CHECK_OK(syscall(SYS_statx, fd, "", AT_EMPTY_PATH, T_STATX_BASIC_STATS, &sx));
	CHECK_EQ(sx.stx_ino, st.st_ino);
	errno = 0;
	CHECK_EQ(syscall(SYS_statx, AT_FDCWD, "missing", 0, T_STATX_BASIC_STATS, &sx), -1);
	CHECK_EQ(errno, ENOENT);
}

TEST(umask_modes)
{
	umask(022);
	CHECK_EQ(umask(077), 022);
	int fd = REQUIRE_OK(open("a", O_WRONLY | O_CREAT, 0666));
	close(fd);
	CHECK_EQ(umask(022), 077);
	fd = REQUIRE_OK(open("b", O_WRONLY | O_CREAT, 0666));
	close(fd);
	umask(0);
	fd = REQUIRE_OK(open("c", O_WRONLY | O_CREAT, 0777));
	close(fd);
	fd = REQUIRE_OK(open("e", O_WRONLY | O_CREAT, 04755));
	close(fd);
	struct stat st;
	CHECK_OK(stat("a", &st));
	CHECK_EQ(st.st_mode & 07777, 0600);
	CHECK_OK(stat("b", &st));
	CHECK_EQ(st.st_mode & 07777, 0644);
	CHECK_OK(stat("c", &st));
	CHECK_EQ(st.st_mode & 07777, 0777);
	CHECK_OK(stat("e", &st));
	CHECK_EQ(st.st_mode & 07777, 04755);
}

/* All entries of a directory through getdents64, into names (a
 * "name/type;" list, sorted by the caller); the count. */
static int list_dir(const char *path, char names[][64], unsigned char *types, int max, size_t bufsize)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return -1;
	char buf[8192];
	int n = 0;
	for (;;) {
		long r = syscall(SYS_getdents64, fd, buf, bufsize);
		if (r < 0) {
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		for (long off = 0; off < r;) {
			struct t_dirent64 *d = (struct t_dirent64 *)(buf + off);
			if (n < max) {
				snprintf(names[n], 64, "%s", d->d_name);
				types[n] = d->d_type;
			}
			n++;
			off += d->d_reclen;
		}
	}
	close(fd);
	return n;
}

static int find_name(char names[][64], int n, const char *name)
{
	int count = 0;
	for (int i = 0; i < n; i++)
		count += strcmp(names[i], name) == 0;
	return count;
}

TEST(getdents64)
{
	REQUIRE_OK(mkdir("d", 0755));
	REQUIRE_OK(mkfile("d/a", "1"));
	REQUIRE_OK(mkfile("d/bb", "2"));
	REQUIRE_OK(mkdir("d/sub", 0755));
	REQUIRE_OK(symlink("a", "d/lnk"));
	static char names[64][64];
	unsigned char types[64];
	int n = list_dir("d", names, types, 64, 8192);
	CHECK_EQ(n, 6);
	const char *want[] = {".", "..", "a", "bb", "sub", "lnk"};
	const unsigned char wtype[] = {DT_DIR, DT_DIR, DT_REG, DT_REG, DT_DIR, DT_LNK};
	for (int w = 0; w < 6; w++) {
		CHECK_MSG(find_name(names, n, want[w]) == 1, "\"%s\" listed %d times",
			  want[w], find_name(names, n, want[w]));
		for (int i = 0; i < n && i < 64; i++)
			if (!strcmp(names[i], want[w]))
				CHECK_MSG(types[i] == wtype[w] || types[i] == DT_UNKNOWN,
					  "d_type of %s is %d, expected %d", want[w],
					  types[i], wtype[w]);
	}
	/* a fresh, empty directory has exactly . and .. */
	REQUIRE_OK(mkdir("empty", 0755));
	n = list_dir("empty", names, types, 64, 8192);
	CHECK_EQ(n, 2);
	CHECK_EQ(find_name(names, n, "."), 1);
	CHECK_EQ(find_name(names, n, ".."), 1);
}

TEST(getdents64_many)
{
	REQUIRE_OK(mkdir("d", 0755));
	char p[64];
	for (int i = 0; i < 300; i++) {
		snprintf(p, sizeof p, "d/file-with-a-longish-name-%03d", i);
		REQUIRE_OK(mkfile(p, "x"));
	}
	static char names[400][64];
	unsigned char types[400];
	/* a small buffer: many calls */
	int n = list_dir("d", names, types, 400, 200);
	CHECK_EQ(n, 302);
	int missing = 0;
	for (int i = 0; i < 300; i++) {
		snprintf(p, sizeof p, "file-with-a-longish-name-%03d", i);
		missing += find_name(names, n, p) != 1;
	}
	CHECK_EQ(missing, 0);
	/* removing half: the rest listed exactly once */
	for (int i = 0; i < 300; i += 2) {
		snprintf(p, sizeof p, "d/file-with-a-longish-name-%03d", i);
		CHECK_OK(unlink(p));
	}
	n = list_dir("d", names, types, 400, 8192);
	CHECK_EQ(n, 152);
}

TEST(getdents64_errors)
{
	REQUIRE_OK(mkfile("f", "x"));
	int fd = REQUIRE_OK(open("f", O_RDONLY));
	char buf[512];
	errno = 0;
	CHECK_EQ(syscall(SYS_getdents64, fd, buf, sizeof buf), -1);
	CHECK_EQ(errno, ENOTDIR);
	close(fd);
	fd = REQUIRE_OK(open(".", O_RDONLY | O_DIRECTORY));
	errno = 0;
	CHECK_EQ(syscall(SYS_getdents64, fd, buf, 8), -1); /* too small for one */
	CHECK_EQ(errno, EINVAL);
	errno = 0;
	CHECK_EQ(syscall(SYS_getdents64, -1, buf, sizeof buf), -1);
	CHECK_EQ(errno, EBADF);
	/* reaching the end, then rewinding */
	long r = CHECK_OK(syscall(SYS_getdents64, fd, buf, sizeof buf));
	CHECK(r > 0);
	CHECK_EQ(syscall(SYS_getdents64, fd, buf, sizeof buf), 0);
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	CHECK_EQ(syscall(SYS_getdents64, fd, buf, sizeof buf), r);
}

TEST(readdir_libc)
{
	REQUIRE_OK(mkfile("x", "1"));
	REQUIRE_OK(mkfile("y", "2"));
	DIR *d = opendir(".");
	REQUIRE(d != NULL);
	int n = 0, x = 0, y = 0, dot = 0, dotdot = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		n++;
		x += !strcmp(e->d_name, "x");
		y += !strcmp(e->d_name, "y");
		dot += !strcmp(e->d_name, ".");
		dotdot += !strcmp(e->d_name, "..");
	}
	closedir(d);
	CHECK_EQ(n, 4);
	CHECK_EQ(x + y + dot + dotdot, 4);
}

TEST(truncate)
{
	REQUIRE_OK(mkfile("f", "0123456789"));
	CHECK_OK(truncate("f", 4));
	struct stat st;
	CHECK_OK(stat("f", &st));
	CHECK_EQ(st.st_size, 4);
	CHECK_OK(truncate("f", 8192));
	CHECK_OK(stat("f", &st));
	CHECK_EQ(st.st_size, 8192);
	char buf[8193];
	CHECK_EQ(t_get("f", buf, sizeof buf), 8192);
	CHECK(memcmp(buf, "0123", 4) == 0);
	int zeros = 1;
	for (int i = 4; i < 8192; i++)
		zeros &= buf[i] == 0;
	CHECK(zeros);
	CHECK_ERR(truncate("f", -1), EINVAL);
	CHECK_ERR(truncate("missing", 0), ENOENT);
	REQUIRE_OK(mkdir("d", 0755));
	CHECK_ERR(truncate("d", 0), EISDIR);
}

TEST(ftruncate)
{
	int fd = REQUIRE_OK(open("f", O_RDWR | O_CREAT, 0644));
	CHECK_EQ(write(fd, "0123456789", 10), 10);
	CHECK_OK(ftruncate(fd, 3));
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 10); /* offset not moved */
	struct stat st;
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_size, 3);
	/* writing at the old offset fills the gap with zeros */
	CHECK_EQ(write(fd, "X", 1), 1);
	char buf[16];
	CHECK_EQ(pread(fd, buf, 16, 0), 11);
	CHECK(memcmp(buf, "012\0\0\0\0\0\0\0X", 11) == 0);
	CHECK_ERR(ftruncate(fd, -1), EINVAL);
	close(fd);
	fd = REQUIRE_OK(open("f", O_RDONLY));
	CHECK_ERR(ftruncate(fd, 0), EINVAL); /* not open for writing */
	CHECK_ERR(ftruncate(-1, 0), EBADF);
	int p[2];
	REQUIRE_OK(pipe(p));
	CHECK_ERR(ftruncate(p[1], 0), EINVAL);
}

TEST(dup)
{
	int fd = REQUIRE_OK(open("f", O_RDWR | O_CREAT, 0644));
	int d = REQUIRE_OK(dup(fd));
	CHECK(d != fd);
	/* shared offset */
	CHECK_EQ(write(fd, "abc", 3), 3);
	CHECK_EQ(lseek(d, 0, SEEK_CUR), 3);
	CHECK_EQ(write(d, "de", 2), 2);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 5);
	/* lowest free descriptor */
	close(0);
	CHECK_EQ(dup(fd), 0);
	CHECK_ERR(dup(-1), EBADF);
	CHECK_ERR(dup(999), EBADF);
	/* dup does not copy FD_CLOEXEC */
	int c = REQUIRE_OK(open("f", O_RDONLY | O_CLOEXEC));
	int c2 = REQUIRE_OK(dup(c));
	CHECK_EQ(fcntl(c2, F_GETFD), 0);
	/* the file stays open until the last descriptor closes */
	CHECK_OK(close(fd));
	CHECK_EQ(write(d, "f", 1), 1);
	char buf[8] = {0};
	CHECK_EQ(pread(d, buf, 8, 0), 6);
	CHECK_STR(buf, "abcdef");
}

TEST(dup2_dup3)
{
	int fd = REQUIRE_OK(open("f", O_RDWR | O_CREAT | O_CLOEXEC, 0644));
	int other = REQUIRE_OK(open("g", O_RDWR | O_CREAT, 0644));
	CHECK_EQ(dup2(fd, 50), 50);
	CHECK_EQ(fcntl(50, F_GETFD), 0); /* dup2 clears FD_CLOEXEC */
	/* dup2 onto an open descriptor closes it first */
	CHECK_EQ(dup2(fd, other), other);
	CHECK_EQ(write(other, "x", 1), 1);
	struct stat a, b;
	CHECK_OK(fstat(other, &a));
	CHECK_OK(fstat(fd, &b));
	CHECK_EQ(a.st_ino, b.st_ino);
	/* same descriptor: returned, nothing closed */
	CHECK_EQ(dup2(fd, fd), fd);
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	CHECK_ERR(dup2(-1, 51), EBADF);
	CHECK_ERR(dup2(777, 51), EBADF);
	CHECK_ERR(dup2(fd, -1), EBADF);
	CHECK_EQ(dup3(fd, 52, O_CLOEXEC), 52);
	CHECK_EQ(fcntl(52, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(dup3(fd, 53, 0), 53);
	CHECK_EQ(fcntl(53, F_GETFD), 0);
	/* by number: musl's dup3() handles some of these itself */
	CHECK_ERR(syscall(SYS_dup3, fd, fd, 0), EINVAL);
	CHECK_ERR(syscall(SYS_dup3, fd, 54, O_APPEND), EINVAL);
	struct rlimit rl;
	CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
	CHECK_ERR(dup2(fd, (int)rl.rlim_cur), EBADF);
}

TEST(fcntl_dupfd)
{
	int fd = REQUIRE_OK(open("f", O_RDWR | O_CREAT, 0644));
	int d = CHECK_OK(fcntl(fd, F_DUPFD, 100));
	CHECK_EQ(d, 100);
	CHECK_EQ(fcntl(fd, F_DUPFD, 100), 101); /* lowest free >= arg */
	CHECK_EQ(fcntl(100, F_GETFD), 0);
	d = CHECK_OK(fcntl(fd, F_DUPFD_CLOEXEC, 100));
	CHECK_EQ(d, 102);
	CHECK_EQ(fcntl(d, F_GETFD), FD_CLOEXEC);
	CHECK_ERR(fcntl(fd, F_DUPFD, -1), EINVAL);
	struct rlimit rl;
	CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
	CHECK_ERR(fcntl(fd, F_DUPFD, (int)rl.rlim_cur), EINVAL);
	CHECK_ERR(fcntl(-1, F_DUPFD, 0), EBADF);
}

TEST(fcntl_fd_flags)
{
	int fd = REQUIRE_OK(open("f", O_RDWR | O_CREAT, 0644));
	CHECK_EQ(fcntl(fd, F_GETFD), 0);
	CHECK_OK(fcntl(fd, F_SETFD, FD_CLOEXEC));
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	CHECK_OK(fcntl(fd, F_SETFD, 0));
	CHECK_EQ(fcntl(fd, F_GETFD), 0);
	CHECK_ERR(fcntl(fd, 12345), EINVAL);
	CHECK_ERR(fcntl(-1, F_GETFD), EBADF);
	CHECK_ERR(fcntl(-5, F_SETFD, 0), EBADF);
}

TEST(fcntl_fl_flags)
{
	int fd = REQUIRE_OK(open("f", O_RDWR | O_CREAT, 0644));
	long fl = CHECK_OK(fcntl(fd, F_GETFL));
	CHECK_EQ(fl & O_ACCMODE, O_RDWR);
	CHECK_EQ(fl & (O_APPEND | O_NONBLOCK), 0);
	CHECK_OK(fcntl(fd, F_SETFL, O_APPEND | O_NONBLOCK));
	fl = fcntl(fd, F_GETFL);
	CHECK_EQ(fl & (O_APPEND | O_NONBLOCK), O_APPEND | O_NONBLOCK);
	CHECK_EQ(fl & O_ACCMODE, O_RDWR);
	/* O_APPEND set through F_SETFL takes effect */
	CHECK_EQ(write(fd, "abc", 3), 3);
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	CHECK_EQ(write(fd, "d", 1), 1);
	char buf[8] = {0};
	CHECK_EQ(pread(fd, buf, 8, 0), 4);
	CHECK_STR(buf, "abcd");
	/* the access mode cannot be changed */
	CHECK_OK(fcntl(fd, F_SETFL, O_RDONLY));
	CHECK_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
	CHECK_EQ(fcntl(fd, F_GETFL) & (O_APPEND | O_NONBLOCK), 0);
	int o = REQUIRE_OK(open("f", O_WRONLY));
	CHECK_EQ(fcntl(o, F_GETFL) & O_ACCMODE, O_WRONLY);
	/* status flags are shared by dup'ed descriptors */
	int d = REQUIRE_OK(dup(o));
	CHECK_OK(fcntl(o, F_SETFL, O_NONBLOCK));
	CHECK(fcntl(d, F_GETFL) & O_NONBLOCK);
}

TEST(fd_limit)
{
	struct rlimit rl;
	REQUIRE_OK(getrlimit(RLIMIT_NOFILE, &rl));
	CHECK(rl.rlim_cur > 3);
	CHECK(rl.rlim_cur <= rl.rlim_max);
	if (rl.rlim_cur > 65536) { /* keep the test short on a generous host */
		rl.rlim_cur = 4096;
		REQUIRE_OK(setrlimit(RLIMIT_NOFILE, &rl));
	}
	int last = -1, fd;
	long opened = 0;
	while ((fd = open("/dev/null", O_RDONLY)) >= 0) {
		last = fd;
		opened++;
		if (opened > 200000)
			break;
	}
	CHECK_EQ(errno, EMFILE);
	CHECK_EQ(last, (long)rl.rlim_cur - 1);
	CHECK_ERR(dup(0), EMFILE);
	int p[2];
	CHECK_ERR(pipe(p), EMFILE);
	CHECK_ERR(open("new", O_WRONLY | O_CREAT, 0644), EMFILE);
	CHECK_ERR(fcntl(0, F_DUPFD, 0), EMFILE);
	/* one closed: exactly that one is reused */
	CHECK_OK(close(17));
	CHECK_EQ(open("/dev/null", O_RDONLY), 17);
	CHECK_ERR(open("/dev/null", O_RDONLY), EMFILE);
}

TEST(ebadf)
{
	char c;
	struct stat st;
	CHECK_ERR(read(-1, &c, 1), EBADF);
	CHECK_ERR(write(-1, &c, 1), EBADF);
	CHECK_ERR(read(900, &c, 1), EBADF);
	CHECK_ERR(write(900, &c, 1), EBADF);
	CHECK_ERR(close(-1), EBADF);
	CHECK_ERR(close(900), EBADF);
	CHECK_ERR(fstat(900, &st), EBADF);
	CHECK_ERR(lseek(900, 0, SEEK_SET), EBADF);
	CHECK_ERR(fcntl(900, F_GETFL), EBADF);
	CHECK_ERR(ftruncate(900, 0), EBADF);
	CHECK_ERR(fchdir(900), EBADF);
	CHECK_ERR(pread(900, &c, 1, 0), EBADF);
	int fd = REQUIRE_OK(open("/dev/null", O_RDONLY));
	CHECK_OK(close(fd));
	CHECK_ERR(close(fd), EBADF);
	CHECK_ERR(read(fd, &c, 1), EBADF);
}

TEST(dev_null)
{
	int fd = REQUIRE_OK(open("/dev/null", O_RDWR));
	struct stat st;
	CHECK_OK(fstat(fd, &st));
	CHECK(S_ISCHR(st.st_mode));
	CHECK_EQ(major(st.st_rdev), 1);
	CHECK_EQ(minor(st.st_rdev), 3);
	char buf[16];
	CHECK_EQ(read(fd, buf, sizeof buf), 0);
	CHECK_EQ(write(fd, "discard", 7), 7);
	CHECK_EQ(write(fd, buf, 0), 0);
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
}

TEST(dev_zero)
{
	int fd = REQUIRE_OK(open("/dev/zero", O_RDWR));
	struct stat st;
	CHECK_OK(fstat(fd, &st));
	CHECK(S_ISCHR(st.st_mode));
	CHECK_EQ(major(st.st_rdev), 1);
	CHECK_EQ(minor(st.st_rdev), 5);
	static char buf[70000];
	memset(buf, 0x55, sizeof buf);
	CHECK_EQ(read(fd, buf, sizeof buf), sizeof buf);
	size_t nonzero = 0;
	for (size_t i = 0; i < sizeof buf; i++)
		nonzero += buf[i] != 0;
	CHECK_EQ(nonzero, 0);
	CHECK_EQ(write(fd, "x", 1), 1);
}

TEST(dev_full)
{
	int fd = REQUIRE_OK(open("/dev/full", O_RDWR));
	struct stat st;
	CHECK_OK(fstat(fd, &st));
	CHECK(S_ISCHR(st.st_mode));
	CHECK_EQ(major(st.st_rdev), 1);
	CHECK_EQ(minor(st.st_rdev), 7);
	CHECK_ERR(write(fd, "x", 1), ENOSPC);
	char buf[64];
	memset(buf, 1, sizeof buf);
	CHECK_EQ(read(fd, buf, sizeof buf), sizeof buf);
	CHECK_EQ(buf[0] | buf[63], 0);
}

TEST(dev_urandom)
{
	int fd = REQUIRE_OK(open("/dev/urandom", O_RDONLY));
	struct stat st;
	CHECK_OK(fstat(fd, &st));
	CHECK(S_ISCHR(st.st_mode));
	CHECK_EQ(major(st.st_rdev), 1);
	CHECK_EQ(minor(st.st_rdev), 9);
	unsigned char a[256], b[256];
	CHECK_EQ(read(fd, a, sizeof a), sizeof a);
	CHECK_EQ(read(fd, b, sizeof b), sizeof b);
	CHECK(memcmp(a, b, sizeof a) != 0);
	int seen[256] = {0}, distinct = 0;
	for (int i = 0; i < 256; i++)
		if (!seen[a[i]]++)
			distinct++;
	CHECK_MSG(distinct > 64, "only %d distinct byte values in 256 random bytes", distinct);
}

TEST(tty_ioctl_on_file)
{
	/* isatty() is how programs choose buffering: ENOTTY on a file */
	int fd = REQUIRE_OK(open("f", O_RDWR | O_CREAT, 0644));
	struct winsize ws;
	CHECK_ERR(ioctl(fd, TIOCGWINSZ, &ws), ENOTTY);
	CHECK_EQ(isatty(fd), 0);
}

TEST(unlink_open_file)
{
	/* an unlinked file lives on while open */
	int fd = REQUIRE_OK(open("f", O_RDWR | O_CREAT, 0644));
	CHECK_OK(unlink("f"));
	CHECK_ERR(access("f", F_OK), ENOENT);
	CHECK_EQ(write(fd, "still here", 10), 10);
	char buf[16] = {0};
	CHECK_EQ(pread(fd, buf, 16, 0), 10);
	CHECK_STR(buf, "still here");
	struct stat st;
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_nlink, 0);
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
