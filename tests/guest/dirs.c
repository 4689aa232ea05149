/* dirs: directories, names and links: mkdir/rmdir, unlink, rename, link,
 * symlink, path resolution, cwd, umask, chmod, chown, utimensat, access,
 * statfs. */
#define T_GROUP "dirs"
#include "t.h"

#include <limits.h>
#include <sys/statfs.h>
#include <sys/time.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE 2
#endif

static int mkfile(const char *path, const char *content)
{
	return t_put(path, content, strlen(content));
}

static long nlink_of(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return -1;
	return (long)st.st_nlink;
}

static long long ino_of(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return -1;
	return (long long)st.st_ino;
}

static int is_dir(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int renameat2_(int od, const char *o, int nd, const char *n, unsigned flags)
{
	return (int)syscall(SYS_renameat2, od, o, nd, n, flags);
}

TEST(mkdir_rmdir)
{
	CHECK_OK(mkdir("d", 0755));
	CHECK(is_dir("d"));
	struct stat st;
	CHECK_OK(stat("d", &st));
	CHECK_EQ(st.st_mode & 07777, 0755);
	CHECK_ERR(mkdir("d", 0755), EEXIST);
	CHECK_OK(rmdir("d"));
	CHECK_ERR(stat("d", &st), ENOENT);
	CHECK_ERR(rmdir("d"), ENOENT);
	CHECK_ERR(mkdir("a/b", 0755), ENOENT);
	REQUIRE_OK(mkfile("f", "x"));
	CHECK_ERR(mkdir("f", 0755), EEXIST);
	CHECK_ERR(mkdir("f/x", 0755), ENOTDIR);
	CHECK_ERR(rmdir("f"), ENOTDIR);
	CHECK_ERR(mkdir("", 0755), ENOENT);
	/* a trailing slash is fine for a directory */
	CHECK_OK(mkdir("t/", 0755));
	CHECK(is_dir("t"));
	CHECK_OK(rmdir("t/"));
}

TEST(rmdir_errors)
{
	REQUIRE_OK(mkdir("d", 0755));
	REQUIRE_OK(mkdir("d/sub", 0755));
	CHECK_ERR(rmdir("d"), ENOTEMPTY);
	REQUIRE_OK(mkdir("e", 0755));
	REQUIRE_OK(mkfile("e/f", "x"));
	CHECK_ERR(rmdir("e"), ENOTEMPTY);
	CHECK_ERR(rmdir("."), EINVAL);
	CHECK_ERR(rmdir("d/sub/.."), ENOTEMPTY);
	CHECK_ERR(rmdir("d/."), EINVAL);
	CHECK_OK(rmdir("d/sub"));
	CHECK_OK(rmdir("d"));
	/* a symlink to a directory is not a directory to rmdir */
	REQUIRE_OK(mkdir("g", 0755));
	REQUIRE_OK(symlink("g", "lg"));
	CHECK_ERR(rmdir("lg"), ENOTDIR);
}

TEST(mkdirat_unlinkat)
{
	REQUIRE_OK(mkdir("d", 0755));
	int dfd = REQUIRE_OK(open("d", O_RDONLY | O_DIRECTORY));
	CHECK_OK(mkdirat(dfd, "sub", 0700));
	CHECK(is_dir("d/sub"));
	struct stat st;
	CHECK_OK(stat("d/sub", &st));
	CHECK_EQ(st.st_mode & 07777, 0700);
	int fd = REQUIRE_OK(openat(dfd, "f", O_WRONLY | O_CREAT, 0644));
	close(fd);
	CHECK_ERR(unlinkat(dfd, "sub", 0), EISDIR);
	CHECK_ERR(unlinkat(dfd, "f", AT_REMOVEDIR), ENOTDIR);
	CHECK_OK(unlinkat(dfd, "f", 0));
	CHECK_OK(unlinkat(dfd, "sub", AT_REMOVEDIR));
	CHECK_ERR(access("d/sub", F_OK), ENOENT);
	CHECK_ERR(access("d/f", F_OK), ENOENT);
	CHECK_ERR(unlinkat(dfd, "f", 0x4000), EINVAL);
	CHECK_OK(mkdirat(AT_FDCWD, "e", 0755));
	CHECK(is_dir("e"));
	CHECK_ERR(mkdirat(999, "x", 0755), EBADF);
}

TEST(unlink)
{
	REQUIRE_OK(mkfile("f", "x"));
	CHECK_OK(unlink("f"));
	CHECK_ERR(unlink("f"), ENOENT);
	REQUIRE_OK(mkdir("d", 0755));
	CHECK_ERR(unlink("d"), EISDIR);
	/* unlinking a symlink removes the link, not its target */
	REQUIRE_OK(mkfile("t", "x"));
	REQUIRE_OK(symlink("t", "l"));
	CHECK_OK(unlink("l"));
	CHECK_OK(access("t", F_OK));
	CHECK_ERR(unlink("t/"), ENOTDIR);
	CHECK_ERR(unlink("missing/x"), ENOENT);
}

TEST(rename_file)
{
	REQUIRE_OK(mkfile("a", "A"));
	REQUIRE_OK(mkfile("b", "B"));
	long long ia = ino_of("a");
	CHECK_OK(rename("a", "c"));
	CHECK_ERR(access("a", F_OK), ENOENT);
	CHECK_EQ(ino_of("c"), ia);
	/* over an existing file: replaced */
	CHECK_OK(rename("c", "b"));
	CHECK_EQ(ino_of("b"), ia);
	char buf[8];
	CHECK_EQ(t_get("b", buf, sizeof buf), 1);
	CHECK_STR(buf, "A");
	CHECK_ERR(rename("missing", "x"), ENOENT);
	/* onto itself, and between two links of one file: nothing happens */
	CHECK_OK(rename("b", "b"));
	REQUIRE_OK(link("b", "b2"));
	CHECK_OK(rename("b", "b2"));
	CHECK_OK(access("b", F_OK));
	CHECK_OK(access("b2", F_OK));
	/* across directories */
	REQUIRE_OK(mkdir("d", 0755));
	CHECK_OK(rename("b2", "d/moved"));
	CHECK_EQ(ino_of("d/moved"), ia);
	CHECK_EQ(nlink_of("b"), 2);
}

TEST(rename_dir)
{
	REQUIRE_OK(mkdir("a", 0755));
	REQUIRE_OK(mkfile("a/f", "x"));
	REQUIRE_OK(mkdir("empty", 0755));
	REQUIRE_OK(mkdir("full", 0755));
	REQUIRE_OK(mkfile("full/g", "y"));
	REQUIRE_OK(mkfile("file", "z"));
	long long ia = ino_of("a");
	/* a directory onto an empty directory replaces it */
	CHECK_OK(rename("a", "empty"));
	CHECK_EQ(ino_of("empty"), ia);
	CHECK_OK(access("empty/f", F_OK));
	CHECK_ERR(access("a", F_OK), ENOENT);
	/* onto a non-empty one */
	long r = rename("empty", "full");
	int e = errno;
	CHECK_MSG(r == -1 && (e == ENOTEMPTY || e == EEXIST),
		  "rename onto a non-empty dir: %ld %s", r, t_errname(e));
	/* a directory onto a file, a file onto a directory */
	CHECK_ERR(rename("empty", "file"), ENOTDIR);
	CHECK_ERR(rename("file", "full"), EISDIR);
	/* into its own subdirectory */
	REQUIRE_OK(mkdir("empty/sub", 0755));
	CHECK_ERR(rename("empty", "empty/sub/x"), EINVAL);
	CHECK_ERR(rename("empty", "empty/x"), EINVAL);
	/* "." and ".." cannot be renamed */
	long r2 = rename(".", "x");
	int e2 = errno;
	CHECK_MSG(r2 == -1 && (e2 == EBUSY || e2 == EINVAL), "rename(\".\"): %ld %s", r2,
		  t_errname(e2));
	/* moving a directory updates its ".." */
	REQUIRE_OK(mkdir("p", 0755));
	CHECK_OK(rename("full", "p/full"));
	struct stat dotdot, p;
	CHECK_OK(stat("p/full/..", &dotdot));
	CHECK_OK(stat("p", &p));
	CHECK_EQ(dotdot.st_ino, p.st_ino);
}

TEST(renameat)
{
	REQUIRE_OK(mkdir("d1", 0755));
	REQUIRE_OK(mkdir("d2", 0755));
	REQUIRE_OK(mkfile("d1/f", "x"));
	int a = REQUIRE_OK(open("d1", O_RDONLY | O_DIRECTORY));
	int b = REQUIRE_OK(open("d2", O_RDONLY | O_DIRECTORY));
	CHECK_OK(renameat(a, "f", b, "g"));
	CHECK_OK(access("d2/g", F_OK));
	CHECK_ERR(access("d1/f", F_OK), ENOENT);
	CHECK_OK(renameat(b, "g", AT_FDCWD, "top"));
	CHECK_OK(access("top", F_OK));
	CHECK_ERR(renameat(999, "x", b, "y"), EBADF);
}

TEST(renameat2)
{
	REQUIRE_OK(mkfile("a", "A"));
	REQUIRE_OK(mkfile("b", "B"));
	CHECK_ERR(renameat2_(AT_FDCWD, "a", AT_FDCWD, "b", RENAME_NOREPLACE), EEXIST);
	CHECK_OK(renameat2_(AT_FDCWD, "a", AT_FDCWD, "c", RENAME_NOREPLACE));
	CHECK_ERR(access("a", F_OK), ENOENT);
	char buf[8];
	/* RENAME_EXCHANGE swaps the two names */
	CHECK_OK(renameat2_(AT_FDCWD, "b", AT_FDCWD, "c", RENAME_EXCHANGE));
	CHECK_EQ(t_get("b", buf, sizeof buf), 1);
	CHECK_STR(buf, "A");
	CHECK_EQ(t_get("c", buf, sizeof buf), 1);
	CHECK_STR(buf, "B");
	CHECK_ERR(renameat2_(AT_FDCWD, "b", AT_FDCWD, "missing", RENAME_EXCHANGE), ENOENT);
	CHECK_ERR(renameat2_(AT_FDCWD, "b", AT_FDCWD, "c", RENAME_EXCHANGE | RENAME_NOREPLACE),
		  EINVAL);
	/* a file and a directory can be exchanged */
	REQUIRE_OK(mkdir("d", 0755));
	CHECK_OK(renameat2_(AT_FDCWD, "b", AT_FDCWD, "d", RENAME_EXCHANGE));
	CHECK(is_dir("b"));
	CHECK_EQ(t_get("d", buf, sizeof buf), 1);
	/* flags 0 is plain rename */
	CHECK_OK(renameat2_(AT_FDCWD, "c", AT_FDCWD, "e", 0));
	CHECK_OK(access("e", F_OK));
}

TEST(link_nlink)
{
	REQUIRE_OK(mkfile("f", "data"));
	CHECK_EQ(nlink_of("f"), 1);
	CHECK_OK(link("f", "g"));
	CHECK_EQ(nlink_of("f"), 2);
	CHECK_OK(link("g", "h"));
	CHECK_EQ(nlink_of("f"), 3);
	CHECK_EQ(ino_of("h"), ino_of("f"));
	/* writes through one name are seen through the other */
	int fd = REQUIRE_OK(open("h", O_WRONLY | O_APPEND));
	CHECK_EQ(write(fd, "+", 1), 1);
	close(fd);
	char buf[16];
	CHECK_EQ(t_get("f", buf, sizeof buf), 5);
	CHECK_STR(buf, "data+");
	CHECK_OK(unlink("f"));
	CHECK_EQ(nlink_of("g"), 2);
	CHECK_OK(unlink("h"));
	CHECK_EQ(nlink_of("g"), 1);
	CHECK_ERR(link("g", "g"), EEXIST);
	CHECK_ERR(link("missing", "x"), ENOENT);
	REQUIRE_OK(mkdir("d", 0755));
	CHECK_ERR(link("d", "d2"), EPERM);
	CHECK_ERR(link("g", "nodir/x"), ENOENT);
	/* linkat with dirfds */
	int dfd = REQUIRE_OK(open("d", O_RDONLY | O_DIRECTORY));
	CHECK_OK(linkat(AT_FDCWD, "g", dfd, "in-d", 0));
	CHECK_EQ(ino_of("d/in-d"), ino_of("g"));
	CHECK_EQ(nlink_of("g"), 2);
}

TEST(dir_nlink)
{
	/* a directory's link count: itself, ".", and each subdirectory's ".." */
	REQUIRE_OK(mkdir("d", 0755));
	CHECK_EQ(nlink_of("d"), 2);
	REQUIRE_OK(mkdir("d/a", 0755));
	REQUIRE_OK(mkdir("d/b", 0755));
	CHECK_EQ(nlink_of("d"), 4);
	REQUIRE_OK(mkfile("d/f", "x")); /* files do not count */
	CHECK_EQ(nlink_of("d"), 4);
	CHECK_OK(rmdir("d/a"));
	CHECK_EQ(nlink_of("d"), 3);
	REQUIRE_OK(mkdir("e", 0755));
	CHECK_OK(rename("d/b", "e/b"));
	CHECK_EQ(nlink_of("d"), 2);
	CHECK_EQ(nlink_of("e"), 3);
}

TEST(symlink_readlink)
{
	REQUIRE_OK(mkfile("target", "T"));
	CHECK_OK(symlink("target", "l"));
	char buf[64];
	memset(buf, 'X', sizeof buf);
	CHECK_EQ(readlink("l", buf, sizeof buf), 6);
	CHECK_EQ(buf[6], 'X'); /* no NUL added */
	buf[6] = 0;
	CHECK_STR(buf, "target");
	/* truncated to the buffer */
	memset(buf, 'X', sizeof buf);
	CHECK_EQ(readlink("l", buf, 3), 3);
	CHECK(memcmp(buf, "tarX", 4) == 0);
	struct stat st;
	CHECK_OK(lstat("l", &st));
	CHECK(S_ISLNK(st.st_mode));
	CHECK_EQ(st.st_size, 6);
	CHECK_EQ(st.st_mode & 0777, 0777);
	CHECK_ERR(readlink("target", buf, sizeof buf), EINVAL);
	CHECK_ERR(readlink("missing", buf, sizeof buf), ENOENT);
	CHECK_ERR(symlink("x", "l"), EEXIST);
	CHECK_ERR(symlink("", "empty"), ENOENT);
	/* through the link */
	CHECK_EQ(t_get("l", buf, sizeof buf), 1);
	CHECK_STR(buf, "T");
	/* dangling */
	CHECK_OK(symlink("nothing-here", "dangle"));
	CHECK_ERR(stat("dangle", &st), ENOENT);
	CHECK_OK(lstat("dangle", &st));
	/* readlinkat */
	int dfd = REQUIRE_OK(open(".", O_RDONLY | O_DIRECTORY));
	memset(buf, 0, sizeof buf);
	CHECK_EQ(readlinkat(dfd, "dangle", buf, sizeof buf), 12);
	CHECK_STR(buf, "nothing-here");
	CHECK_OK(symlinkat("target", dfd, "l2"));
	CHECK_EQ(ino_of("l2") != ino_of("l"), 1);
}

TEST(symlink_relative)
{
	/* a relative target is resolved from the link's directory */
	REQUIRE_OK(mkdir("a", 0755));
	REQUIRE_OK(mkdir("a/b", 0755));
	REQUIRE_OK(mkfile("a/file", "in a"));
	REQUIRE_OK(symlink("../file", "a/b/up"));
	char buf[16];
	CHECK_EQ(t_get("a/b/up", buf, sizeof buf), 4);
	CHECK_STR(buf, "in a");
	/* to a directory, then through it */
	REQUIRE_OK(symlink("a/b", "ab"));
	CHECK_EQ(t_get("ab/up", buf, sizeof buf), 4);
	CHECK(is_dir("ab/"));
	struct stat st;
	CHECK_OK(stat("ab/", &st));
	CHECK(S_ISDIR(st.st_mode));
	/* an absolute target */
	char abs[600];
	snprintf(abs, sizeof abs, "%s/a/file", t_dir);
	REQUIRE_OK(symlink(abs, "absl"));
	CHECK_EQ(t_get("absl", buf, sizeof buf), 4);
	/* a chain of 8 links resolves */
	REQUIRE_OK(symlink("a/file", "c0"));
	char name[16], prev[16];
	for (int i = 1; i < 8; i++) {
		snprintf(name, sizeof name, "c%d", i);
		snprintf(prev, sizeof prev, "c%d", i - 1);
		REQUIRE_OK(symlink(prev, name));
	}
	CHECK_EQ(t_get("c7", buf, sizeof buf), 4);
}

TEST(path_dots)
{
	REQUIRE_OK(mkdir("a", 0755));
	REQUIRE_OK(mkdir("a/b", 0755));
	REQUIRE_OK(mkfile("a/b/f", "x"));
	long long i = ino_of("a/b/f");
	CHECK_EQ(ino_of("./a/b/f"), i);
	CHECK_EQ(ino_of("a/./b/./f"), i);
	CHECK_EQ(ino_of("a/b/../b/f"), i);
	CHECK_EQ(ino_of("a//b///f"), i);
	CHECK_EQ(ino_of("a/b/../../a/b/f"), i);
	CHECK_EQ(ino_of("a/b/.."), ino_of("a"));
	CHECK_EQ(ino_of("."), ino_of("a/.."));
	/* the root's ".." is the root */
	CHECK_EQ(ino_of("/.."), ino_of("/"));
	CHECK_EQ(ino_of("/../../.."), ino_of("/"));
	CHECK_EQ(ino_of("//"), ino_of("/"));
	CHECK_EQ(ino_of("/./"), ino_of("/"));
	char abs[600];
	snprintf(abs, sizeof abs, "%s//a/./b//f", t_dir);
	CHECK_EQ(ino_of(abs), i);
	CHECK_EQ(ino_of("/tmp/../tmp/."), ino_of("/tmp"));
}

TEST(path_errors)
{
	REQUIRE_OK(mkfile("f", "x"));
	struct stat st;
	/* a trailing slash on a file */
	CHECK_ERR(stat("f/", &st), ENOTDIR);
	CHECK_ERR(open("f/", O_RDONLY), ENOTDIR);
	CHECK_ERR(stat("f/.", &st), ENOTDIR);
	CHECK_ERR(open("new/", O_WRONLY | O_CREAT, 0644), EISDIR);
	/* a file in the middle */
	CHECK_ERR(stat("f/x", &st), ENOTDIR);
	CHECK_ERR(stat("missing/x", &st), ENOENT);
	CHECK_ERR(stat("missing", &st), ENOENT);
	CHECK_ERR(stat("", &st), ENOENT);
	/* a symlink loop */
	REQUIRE_OK(symlink("loop2", "loop1"));
	REQUIRE_OK(symlink("loop1", "loop2"));
	REQUIRE_OK(symlink("self", "self"));
	CHECK_ERR(stat("loop1", &st), ELOOP);
	CHECK_ERR(open("loop2", O_RDONLY), ELOOP);
	CHECK_ERR(stat("self", &st), ELOOP);
	CHECK_ERR(stat("self/x", &st), ELOOP);
	CHECK_OK(lstat("self", &st)); /* the link itself is fine */
	/* a chain longer than the kernel follows */
	char name[16], prev[16];
	REQUIRE_OK(mkfile("end", "e"));
	REQUIRE_OK(symlink("end", "n0"));
	for (int i = 1; i <= 50; i++) {
		snprintf(name, sizeof name, "n%d", i);
		snprintf(prev, sizeof prev, "n%d", i - 1);
		REQUIRE_OK(symlink(prev, name));
	}
	CHECK_ERR(stat("n50", &st), ELOOP);
	CHECK_OK(stat("n5", &st));
}

TEST(path_too_long)
{
	struct stat st;
	/* a component longer than NAME_MAX (255) */
	char comp[300];
	memset(comp, 'c', 256);
	comp[256] = 0;
	CHECK_ERR(stat(comp, &st), ENAMETOOLONG);
	CHECK_ERR(open(comp, O_WRONLY | O_CREAT, 0644), ENAMETOOLONG);
	CHECK_ERR(mkdir(comp, 0755), ENAMETOOLONG);
	comp[255] = 0; /* exactly 255 is allowed */
	int fd = CHECK_OK(open(comp, O_WRONLY | O_CREAT, 0644));
	close(fd);
	CHECK_OK(unlink(comp));
	/* a path longer than PATH_MAX (4096) */
	static char path[5000];
	size_t n = 0;
	while (n < 4200) {
		memcpy(path + n, "./", 2);
		n += 2;
	}
	path[n] = 0;
	CHECK_ERR(stat(path, &st), ENAMETOOLONG);
	CHECK_ERR(open(path, O_RDONLY), ENAMETOOLONG);
	/* 4095 characters of "./" then "." resolves */
	memset(path, 0, sizeof path);
	for (n = 0; n < 4094; n += 2)
		memcpy(path + n, "./", 2);
	path[n] = '.';
	path[n + 1] = 0;
	CHECK_OK(stat(path, &st));
}

TEST(cwd)
{
	char buf[PATH_MAX];
	REQUIRE(getcwd(buf, sizeof buf) != NULL);
	CHECK_STR(buf, t_dir);
	REQUIRE_OK(mkdir("sub", 0755));
	CHECK_OK(chdir("sub"));
	REQUIRE(getcwd(buf, sizeof buf) != NULL);
	char want[700];
	snprintf(want, sizeof want, "%s/sub", t_dir);
	CHECK_STR(buf, want);
	CHECK_OK(chdir(".."));
	REQUIRE(getcwd(buf, sizeof buf) != NULL);
	CHECK_STR(buf, t_dir);
	CHECK_OK(chdir("/"));
	REQUIRE(getcwd(buf, sizeof buf) != NULL);
	CHECK_STR(buf, "/");
	CHECK_OK(chdir(t_dir));
	REQUIRE_OK(mkfile("f", "x"));
	CHECK_ERR(chdir("f"), ENOTDIR);
	CHECK_ERR(chdir("missing"), ENOENT);
	CHECK_ERR(chdir(""), ENOENT);
	/* the raw system call, too small a buffer */
	errno = 0;
	CHECK_EQ(syscall(SYS_getcwd, buf, 2), -1);
	CHECK_EQ(errno, ERANGE);
	/* it returns the length including the NUL */
	CHECK_EQ(syscall(SYS_getcwd, buf, sizeof buf), (long)strlen(t_dir) + 1);
	/* through a symlink: getcwd gives the real path */
	char l[700];
	snprintf(l, sizeof l, "%s/link", t_dir);
	REQUIRE_OK(symlink("sub", "link"));
	CHECK_OK(chdir("link"));
	REQUIRE(getcwd(buf, sizeof buf) != NULL);
	CHECK_STR(buf, want);
}

TEST(fchdir)
{
	REQUIRE_OK(mkdir("d", 0755));
	int dfd = REQUIRE_OK(open("d", O_RDONLY | O_DIRECTORY));
	CHECK_OK(chdir("/"));
	CHECK_OK(fchdir(dfd));
	char buf[PATH_MAX], want[700];
	REQUIRE(getcwd(buf, sizeof buf) != NULL);
	snprintf(want, sizeof want, "%s/d", t_dir);
	CHECK_STR(buf, want);
	REQUIRE_OK(mkfile("f", "x"));
	int fd = REQUIRE_OK(open("f", O_RDONLY));
	CHECK_ERR(fchdir(fd), ENOTDIR);
	CHECK_ERR(fchdir(-1), EBADF);
}

TEST(cwd_removed)
{
	REQUIRE_OK(mkdir("gone", 0755));
	CHECK_OK(chdir("gone"));
	CHECK_OK(rmdir("../gone"));
	char buf[PATH_MAX];
	errno = 0;
	CHECK(getcwd(buf, sizeof buf) == NULL);
	CHECK_EQ(errno, ENOENT);
	/* nothing can be created in it */
	CHECK_ERR(open("f", O_WRONLY | O_CREAT, 0644), ENOENT);
	CHECK_OK(chdir(".."));
}

TEST(umask)
{
	mode_t old = umask(027);
	CHECK_EQ(old, 022); /* the harness's */
	CHECK_EQ(umask(027), 027);
	REQUIRE_OK(mkdir("d", 0777));
	int fd = REQUIRE_OK(open("f", O_WRONLY | O_CREAT, 0666));
	close(fd);
	REQUIRE_OK(mkfifo("p", 0666));
	struct stat st;
	CHECK_OK(stat("d", &st));
	CHECK_EQ(st.st_mode & 07777, 0750);
	CHECK_OK(stat("f", &st));
	CHECK_EQ(st.st_mode & 07777, 0640);
	CHECK_OK(stat("p", &st));
	CHECK_EQ(st.st_mode & 07777, 0640);
	CHECK(S_ISFIFO(st.st_mode));
	/* only the permission bits count */
	umask(0777 | 07000);
	CHECK_EQ(umask(0), 0777);
	/* inherited by a child */
	umask(011);
	pid_t pid = t_fork();
	if (pid == 0)
		_exit(umask(0) == 011 ? 0 : 1);
	CHECK_EXIT(t_wait(pid), 0);
}

TEST(chmod)
{
	REQUIRE_OK(mkfile("f", "x"));
	struct stat st;
	CHECK_OK(chmod("f", 0600));
	CHECK_OK(stat("f", &st));
	CHECK_EQ(st.st_mode & 07777, 0600);
	CHECK(S_ISREG(st.st_mode));
	CHECK_OK(chmod("f", 04755));
	CHECK_OK(stat("f", &st));
	CHECK_EQ(st.st_mode & 07777, 04755);
	CHECK_OK(chmod("f", 0));
	CHECK_OK(stat("f", &st));
	CHECK_EQ(st.st_mode & 07777, 0);
	/* root reads and writes it anyway */
	int fd = CHECK_OK(open("f", O_RDWR));
	close(fd);
	int fd2 = REQUIRE_OK(open("f", O_RDONLY));
	CHECK_OK(fchmod(fd2, 0640));
	CHECK_OK(fstat(fd2, &st));
	CHECK_EQ(st.st_mode & 07777, 0640);
	/* through a symlink: the target changes */
	REQUIRE_OK(symlink("f", "l"));
	CHECK_OK(chmod("l", 0604));
	CHECK_OK(stat("f", &st));
	CHECK_EQ(st.st_mode & 07777, 0604);
	CHECK_OK(fchmodat(AT_FDCWD, "f", 0611, 0));
	CHECK_OK(stat("f", &st));
	CHECK_EQ(st.st_mode & 07777, 0611);
	REQUIRE_OK(mkdir("d", 0755));
	int dfd = REQUIRE_OK(open("d", O_RDONLY | O_DIRECTORY));
	CHECK_OK(fchmodat(dfd, "../f", 0644, 0));
	CHECK_OK(stat("f", &st));
	CHECK_EQ(st.st_mode & 07777, 0644);
	CHECK_OK(chmod("d", 01777));
	CHECK_OK(stat("d", &st));
	CHECK_EQ(st.st_mode & 07777, 01777);
	CHECK(S_ISDIR(st.st_mode));
	CHECK_ERR(chmod("missing", 0644), ENOENT);
	CHECK_ERR(fchmod(-1, 0644), EBADF);
	/* chmod changes ctime, not mtime */
	struct stat before;
	CHECK_OK(stat("f", &before));
	CHECK_OK(chmod("f", 0600));
	CHECK_OK(stat("f", &st));
	CHECK_EQ(st.st_mtim.tv_sec, before.st_mtim.tv_sec);
	CHECK_EQ(st.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
	CHECK(st.st_ctim.tv_sec >= before.st_ctim.tv_sec);
}

TEST(chown)
{
	REQUIRE_OK(mkfile("f", "x"));
	REQUIRE_OK(symlink("f", "l"));
	struct stat st;
	CHECK_OK(chown("f", 0, 0));
	CHECK_OK(stat("f", &st));
	CHECK_EQ(st.st_uid, 0);
	CHECK_EQ(st.st_gid, 0);
	CHECK_OK(chown("f", (uid_t)-1, (gid_t)-1)); /* no change */
	CHECK_OK(lchown("l", 0, 0));
	int fd = REQUIRE_OK(open("f", O_RDONLY));
	CHECK_OK(fchown(fd, 0, 0));
	CHECK_OK(fchownat(AT_FDCWD, "l", 0, 0, AT_SYMLINK_NOFOLLOW));
	CHECK_OK(lstat("l", &st));
	CHECK_EQ(st.st_uid, 0);
	CHECK_ERR(chown("missing", 0, 0), ENOENT);
	CHECK_ERR(fchown(-1, 0, 0), EBADF);
	/* chown by root keeps the permission bits of a plain file */
	CHECK_OK(chmod("f", 0755));
	CHECK_OK(chown("f", 0, 0));
	CHECK_OK(stat("f", &st));
	CHECK_EQ(st.st_mode & 0777, 0755);
}

TEST(utimensat)
{
	REQUIRE_OK(mkfile("f", "x"));
	struct stat st;
	/* explicit times */
	struct timespec ts[2] = {{1000000000, 0}, {1200000000, 0}};
	CHECK_OK(utimensat(AT_FDCWD, "f", ts, 0));
	CHECK_OK(stat("f", &st));
	CHECK_EQ(st.st_atim.tv_sec, 1000000000);
	CHECK_EQ(st.st_mtim.tv_sec, 1200000000);
	CHECK_EQ(st.st_mtim.tv_nsec, 0);
	/* UTIME_OMIT leaves one, UTIME_NOW sets the other to now */
	time_t before = time(NULL);
	struct timespec t2[2] = {{0, UTIME_OMIT}, {0, UTIME_NOW}};
	CHECK_OK(utimensat(AT_FDCWD, "f", t2, 0));
	time_t after = time(NULL);
	CHECK_OK(stat("f", &st));
	CHECK_EQ(st.st_atim.tv_sec, 1000000000);
	CHECK_MSG(st.st_mtim.tv_sec >= before - 1 && st.st_mtim.tv_sec <= after + 1,
		  "mtime %lld not within [%lld, %lld]", (long long)st.st_mtim.tv_sec,
		  (long long)before, (long long)after);
	struct timespec t3[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}};
	CHECK_OK(utimensat(AT_FDCWD, "f", t3, 0));
	CHECK_OK(stat("f", &st));
	CHECK(st.st_atim.tv_sec >= before - 1);
	/* NULL: both now */
	CHECK_OK(utimensat(AT_FDCWD, "f", ts, 0));
	CHECK_OK(utimensat(AT_FDCWD, "f", NULL, 0));
	CHECK_OK(stat("f", &st));
	CHECK(st.st_atim.tv_sec >= before - 1);
	CHECK(st.st_mtim.tv_sec >= before - 1);
	/* futimens on an fd */
	int fd = REQUIRE_OK(open("f", O_RDONLY));
	CHECK_OK(futimens(fd, ts));
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_mtim.tv_sec, 1200000000);
	/* the link itself with AT_SYMLINK_NOFOLLOW; the target untouched */
	REQUIRE_OK(symlink("f", "l"));
	struct timespec t4[2] = {{1100000000, 0}, {1100000000, 0}};
	CHECK_OK(utimensat(AT_FDCWD, "l", t4, AT_SYMLINK_NOFOLLOW));
	CHECK_OK(lstat("l", &st));
	CHECK_EQ(st.st_mtim.tv_sec, 1100000000);
	CHECK_OK(stat("f", &st));
	CHECK_EQ(st.st_mtim.tv_sec, 1200000000);
	struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
	CHECK_ERR(utimensat(AT_FDCWD, "f", bad, 0), EINVAL);
	CHECK_ERR(utimensat(AT_FDCWD, "missing", ts, 0), ENOENT);
	/* a write moves mtime */
	CHECK_OK(utimensat(AT_FDCWD, "f", ts, 0));
	fd = REQUIRE_OK(open("f", O_WRONLY));
	CHECK_EQ(write(fd, "y", 1), 1);
	CHECK_OK(fstat(fd, &st));
	CHECK(st.st_mtim.tv_sec >= before - 1);
}

TEST(access)
{
	REQUIRE_OK(mkfile("f", "x"));
	CHECK_OK(access("f", F_OK));
	CHECK_OK(access("f", R_OK | W_OK));
	CHECK_ERR(access("missing", F_OK), ENOENT);
	CHECK_ERR(access("missing", R_OK), ENOENT);
	CHECK_ERR(access("f/x", F_OK), ENOTDIR);
	/* root: read and write whatever the mode, execute only if some x bit */
	CHECK_OK(chmod("f", 0));
	CHECK_OK(access("f", R_OK | W_OK));
	CHECK_ERR(access("f", X_OK), EACCES);
	CHECK_OK(chmod("f", 0010));
	CHECK_OK(access("f", X_OK));
	CHECK_OK(access(".", X_OK));
	CHECK_ERR(access("f", 0x40), EINVAL);
	/* faccessat */
	REQUIRE_OK(mkdir("d", 0755));
	REQUIRE_OK(mkfile("d/g", "y"));
	int dfd = REQUIRE_OK(open("d", O_RDONLY | O_DIRECTORY));
	CHECK_OK(faccessat(dfd, "g", F_OK, 0));
	CHECK_OK(faccessat(dfd, "g", R_OK, 0));
	CHECK_ERR(faccessat(dfd, "missing", F_OK, 0), ENOENT);
	CHECK_OK(faccessat(AT_FDCWD, "d/g", F_OK, 0));
	CHECK_ERR(faccessat(999, "g", F_OK, 0), EBADF);
	/* through a dangling symlink */
	REQUIRE_OK(symlink("nothing", "dangle"));
	CHECK_ERR(access("dangle", F_OK), ENOENT);
}

TEST(statfs)
{
	struct statfs a, b;
	REQUIRE_OK(statfs("/tmp", &a));
	CHECK(a.f_bsize > 0);
	CHECK(a.f_namelen > 0);
	CHECK(a.f_bfree <= a.f_blocks);
	CHECK(a.f_bavail <= a.f_bfree);
	int fd = REQUIRE_OK(open("/tmp", O_RDONLY | O_DIRECTORY));
	CHECK_OK(fstatfs(fd, &b));
	CHECK_EQ(a.f_type, b.f_type);
	CHECK_EQ(a.f_bsize, b.f_bsize);
	/* a file in the scratch directory: the same file system as /tmp */
	REQUIRE_OK(mkfile("f", "x"));
	CHECK_OK(statfs("f", &b));
	CHECK_EQ(a.f_type, b.f_type);
	CHECK_ERR(statfs("missing", &b), ENOENT);
	CHECK_ERR(fstatfs(-1, &b), EBADF);
}

/* chroot to the directory "/" already is (what busybox switch_root does
 * once it has moved the new root onto "/"); its errors for bad paths. */
TEST(chroot_to_root)
{
	REQUIRE_OK(mkfile("f", "x"));
	CHECK_OK(syscall(SYS_chroot, "/"));
	CHECK_ERR(syscall(SYS_chroot, "missing"), ENOENT);
	CHECK_ERR(syscall(SYS_chroot, "f"), ENOTDIR);
	CHECK_ERR(syscall(SYS_chroot, (char *)1), EFAULT);
}

/* sync, then fsync and fdatasync of a file and of a directory. */
TEST(sync_fsync)
{
	int fd = REQUIRE_OK(open("f", O_WRONLY | O_CREAT, 0644));
	CHECK_EQ(write(fd, "data", 4), 4);
	CHECK_OK(fsync(fd));
	CHECK_OK(fdatasync(fd));
	close(fd);
	fd = REQUIRE_OK(open(".", O_RDONLY | O_DIRECTORY));
	CHECK_OK(fsync(fd));
	close(fd);
	sync();
	CHECK_ERR(fsync(-1), EBADF);
}

TEST(mknod_fifo)
{
	CHECK_OK(mkfifo("p", 0644));
	struct stat st;
	CHECK_OK(lstat("p", &st));
	CHECK(S_ISFIFO(st.st_mode));
	CHECK_ERR(mkfifo("p", 0644), EEXIST);
	CHECK_OK(mknod("q", S_IFIFO | 0600, 0));
	CHECK_OK(lstat("q", &st));
	CHECK(S_ISFIFO(st.st_mode));
	CHECK_OK(mknod("r", S_IFREG | 0600, 0));
	CHECK_OK(lstat("r", &st));
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_size, 0);
	CHECK_OK(unlink("p"));
}

TEST(deep_tree)
{
	/* 40 levels down and back up */
	char path[600] = ".";
	for (int i = 0; i < 40; i++) {
		strcat(path, "/d");
		REQUIRE_OK(mkdir(path, 0755));
	}
	strcat(path, "/leaf");
	REQUIRE_OK(mkfile(path, "deep"));
	for (int i = 0; i < 40; i++)
		REQUIRE_OK(chdir("d"));
	char buf[16];
	CHECK_EQ(t_get("leaf", buf, sizeof buf), 4);
	char cwd[PATH_MAX];
	REQUIRE(getcwd(cwd, sizeof cwd) != NULL);
	CHECK_EQ(strlen(cwd), strlen(t_dir) + 40 * 2);
	for (int i = 0; i < 40; i++)
		REQUIRE_OK(chdir(".."));
	REQUIRE(getcwd(cwd, sizeof cwd) != NULL);
	CHECK_STR(cwd, t_dir);
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
