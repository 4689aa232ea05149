/*
 * more.c - the guest test suite's group for the calls no other group
 * makes: fdatasync, creat, mknodat, preadv/pwritev, the set*id calls not
 * covered by misc, robust lists, CPU affinity, clone3, mount/umount2.
 */
#define T_GROUP "more"
#include "t.h"
#include <sched.h>
#include <sys/mount.h>
#include <sys/uio.h>
#include <sys/fsuid.h>
#ifndef SYS_clone3
#define SYS_clone3 435
#endif

TEST(creat_fdatasync)
{
	int fd = REQUIRE_OK(creat("c", 0640));
	struct stat st;
	CHECK_EQ(write(fd, "abc", 3), 3);
	CHECK_OK(fdatasync(fd));
	CHECK_OK(fsync(fd));
	CHECK_ERR(read(fd, (char[4]){ 0 }, 1), EBADF);   /* creat is O_WRONLY */
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_size, 3);
	CHECK_EQ(st.st_mode & 0777, 0640 & ~umask(022));
	umask(022);
	close(fd);
	fd = REQUIRE_OK(creat("c", 0600));                /* truncates */
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_size, 0);
	close(fd);
	CHECK_ERR(fdatasync(999), EBADF);
}

TEST(mknodat_fifo)
{
	struct stat st;
	int dfd = REQUIRE_OK(open(".", O_RDONLY | O_DIRECTORY));
	CHECK_OK(mknodat(dfd, "fifo", S_IFIFO | 0600, 0));
	CHECK_OK(stat("fifo", &st));
	CHECK(S_ISFIFO(st.st_mode));
	CHECK_ERR(mknodat(dfd, "fifo", S_IFIFO | 0600, 0), EEXIST);
	CHECK_OK(mknodat(dfd, "reg", S_IFREG | 0644, 0));
	CHECK_OK(stat("reg", &st));
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_size, 0);
	close(dfd);
}

TEST(preadv_pwritev)
{
	int fd = REQUIRE_OK(open("v", O_RDWR | O_CREAT, 0644));
	char a[4] = "abcd", b[3] = "xyz", x[4], y[3];
	struct iovec out[2] = { { a, 4 }, { b, 3 } }, in[2] = { { x, 4 }, { y, 3 } };
	CHECK_EQ(pwritev(fd, out, 2, 10), 7);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 0);          /* the position does not move */
	CHECK_EQ(preadv(fd, in, 2, 10), 7);
	CHECK(memcmp(x, "abcd", 4) == 0 && memcmp(y, "xyz", 3) == 0);
	CHECK_EQ(preadv(fd, in, 2, 100), 0);          /* past the end */
	CHECK_ERR(preadv(fd, in, 2, -1), EINVAL);
	int p[2];
	REQUIRE_OK(pipe(p));
	CHECK_ERR(pwritev(p[1], out, 1, 0), ESPIPE);
	close(p[0]);
	close(p[1]);
	close(fd);
}

TEST(setregid_setfsid)
{
	pid_t pid = t_fork();
	if (pid == 0) {
		int bad = setregid(100, 200) != 0;
		gid_t r, e, s;
		bad |= (getresgid(&r, &e, &s) != 0 || r != 100 || e != 200 || s != 200) << 1;
		bad |= (setfsgid(300) != 200) << 2;          /* returns the old fs gid */
		bad |= (setfsuid(300) != 0) << 3;
		bad |= ((int)setfsuid(-1) != 300) << 4;       /* -1 asks without changing */
		_exit(bad);
	}
	CHECK_EXIT(t_wait(pid), 0);
}

struct robust_head {
	void *list;
	long futex_offset;
	void *pending;
};

TEST(robust_list)
{
	static struct robust_head head = { &head, 0, 0 };
	struct robust_head *got = 0;
	size_t len = 0;
	CHECK_OK(syscall(SYS_set_robust_list, &head, sizeof(head)));
	CHECK_OK(syscall(SYS_get_robust_list, 0, &got, &len));
	CHECK(got == &head);
	CHECK_EQ(len, sizeof(head));
	CHECK_ERR(syscall(SYS_set_robust_list, &head, sizeof(head) + 1), EINVAL);
}

TEST(affinity)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CHECK_OK(sched_getaffinity(0, sizeof(set), &set));
	CHECK(CPU_COUNT(&set) >= 1);
	CHECK_OK(sched_setaffinity(0, sizeof(set), &set));   /* what it has: accepted */
	CPU_ZERO(&set);
	CHECK_ERR(sched_setaffinity(0, sizeof(set), &set), EINVAL);   /* no CPU at all */
}

/* Linux's struct clone_args (linux/sched.h, which musl lacks). */
struct clone3_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

TEST(clone3_fork)
{
	struct clone3_args args;
	memset(&args, 0, sizeof(args));
	args.exit_signal = SIGCHLD;
	long pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid == 0)
		_exit(42);
	REQUIRE(pid > 0);
	CHECK_EXIT(t_wait((pid_t)pid), 42);
	CHECK_ERR(syscall(SYS_clone3, &args, 8), EINVAL);    /* too small */
}

TEST(mount_tmpfs)
{
	struct stat st;
	REQUIRE_OK(mkdir("m", 0755));
	if (mount("none", "m", "tmpfs", 0, 0) != 0) {
		/* Natively, a host that forbids it (no CAP_SYS_ADMIN). */
		CHECK(errno == EPERM);
		return;
	}
	int fd = open("m/f", O_CREAT | O_WRONLY, 0644);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	CHECK_OK(stat("m/f", &st));
	CHECK_ERR(rmdir("m"), EBUSY);
	CHECK_OK(umount2("m", 0));
	CHECK_ERR(stat("m/f", &st), ENOENT);          /* it was on the tmpfs */
	CHECK_ERR(umount2("m", 0), EINVAL);           /* not a mount point now */
	CHECK_ERR(mount("none", "m", "nosuchfs", 0, 0), ENODEV);
	CHECK_OK(rmdir("m"));
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
