/*
 * proctest: /proc as busybox's ps, top, free, uptime, mount, pidof and
 * killall read it (fs/procfs.c).  An ordinary static musl program: it
 * reads each file and checks what it says against what the process knows
 * (its pid, its arguments, its working directory, its descriptors, a
 * child's state as it sleeps, exits and is reaped).  Prints one
 * "ok WHAT" or "FAIL WHAT: why" line per check, and exits 1 if any
 * failed.  Run with "run=proctest"; it runs itself again through execve
 * with arguments ("exec-child ...") for the cmdline checks.  With "cat"
 * it prints the files named after it instead.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>

static int fails;
static char buf[16384];

static void ok(const char *what)
{
	printf("ok %s\n", what);
}

static void __attribute__((format(printf, 2, 3))) fail(const char *what, const char *fmt, ...)
{
	va_list ap;

	printf("FAIL %s: ", what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fails++;
}

#define CHECK(what, cond, ...) ((cond) ? ok(what) : fail(what, __VA_ARGS__))

/* The whole file into b[size] (NUL-ended, with small reads to exercise
 * the file position); its length, or -errno. */
static long slurp_chunks(const char *path, char *b, size_t size, size_t chunk)
{
	int fd = open(path, O_RDONLY);
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	while (len + 1 < size) {
		size_t want = size - 1 - len < chunk ? size - 1 - len : chunk;
		if ((n = read(fd, b + len, want)) < 0) {
			n = -errno;
			close(fd);
			return n;
		}
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	b[len] = 0;
	return len;
}

static long slurp(const char *path, char *b, size_t size)
{
	return slurp_chunks(path, b, size, size);
}

/* The value after "Name:" on its line in text, as a number; -1 if absent. */
static long field(const char *text, const char *name)
{
	const char *p = strstr(text, name);

	return p ? strtol(p + strlen(name), 0, 10) : -1;
}

/* Fields of a /proc/PID/stat line: f[1] is the pid, f[2] the comm (without
 * parentheses), f[3] the state, ... as proc(5) numbers them.  Returns how
 * many there are. */
static int stat_fields(char *line, char *f[64])
{
	char *open = strchr(line, '('), *close = strrchr(line, ')');
	int n = 2;

	if (!open || !close)
		return 0;
	*open = *close = 0;
	f[1] = line;
	f[2] = open + 1;
	for (char *s = strtok(close + 1, " \n"); s && n < 63; s = strtok(0, " \n"))
		f[++n] = s;
	return n;
}

/* /proc/PID/stat of pid: its state letter, or 0 if it cannot be read;
 * sets *ppid. */
static char state_of(int pid, int *ppid, int *nfields)
{
	char path[64], line[1024], *f[64];
	int n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (slurp(path, line, sizeof(line)) <= 0)
		return 0;
	n = stat_fields(line, f);
	if (nfields)
		*nfields = n;
	if (n < 4)
		return 0;
	if (ppid)
		*ppid = atoi(f[4]);
	return f[3][0];
}

/* The names in directory path, space-separated with one space at each end. */
static int list_dir(const char *path, char *out, size_t size)
{
	DIR *d = opendir(path);
	struct dirent *e;
	size_t len = 1;

	if (!d)
		return -1;
	strcpy(out, " ");
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (len + n + 2 > size)
			break;
		memcpy(out + len, e->d_name, n);
		len += n;
		out[len++] = ' ';
		out[len] = 0;
	}
	closedir(d);
	return 0;
}

static int word_in(const char *list, const char *word)
{
	char w[64];

	snprintf(w, sizeof(w), " %s ", word);
	return strstr(list, w) != 0;
}

static void test_self_stat(void)
{
	char *f[64], *mem = mmap(0, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct rusage ru;
	long minflt;
	int n;

	/* Fault in some pages, so that there is a count to compare. */
	if (mem != MAP_FAILED)
		memset(mem, 1, 3 * 4096);
	getrusage(RUSAGE_SELF, &ru);
	minflt = ru.ru_minflt;
	if (slurp("/proc/self/stat", buf, sizeof(buf)) <= 0) {
		fail("/proc/self/stat", "cannot read: %s", strerror(errno));
		return;
	}
	n = stat_fields(buf, f);
	CHECK("/proc/self/stat has 52 fields", n == 52, "%d fields", n);
	if (n < 52)
		return;
	CHECK("/proc/self/stat pid is getpid()", atoi(f[1]) == getpid(), "pid %s, getpid %d", f[1], getpid());
	CHECK("/proc/self/stat comm", strcmp(f[2], "proctest") == 0, "comm '%s'", f[2]);
	CHECK("/proc/self/stat state R", strcmp(f[3], "R") == 0, "state '%s'", f[3]);
	CHECK("/proc/self/stat ppid 0 (started by the kernel)", atoi(f[4]) == 0, "ppid %s", f[4]);
	CHECK("/proc/self/stat vsize and rss", atol(f[23]) > 0 && atol(f[24]) > 0,
	      "vsize %s, rss %s", f[23], f[24]);
	CHECK("/proc/self/stat minflt is getrusage()'s", atol(f[10]) == minflt && minflt > 0,
	      "minflt %s, getrusage %ld", f[10], minflt);
	CHECK("/proc/self/stat rsslim", strcmp(f[25], "18446744073709551615") == 0, "rsslim %s", f[25]);
	CHECK("/proc/self/stat arg_start < arg_end", strtoul(f[48], 0, 10) < strtoul(f[49], 0, 10),
	      "%s %s", f[48], f[49]);
}

static void test_self_files(int argc, char **argv)
{
	char link[4096], cwd[4096];
	ssize_t n;
	struct stat st1, st2;
	long len;

	if (slurp("/proc/self/status", buf, sizeof(buf)) <= 0) {
		fail("/proc/self/status", "cannot read: %s", strerror(errno));
	} else {
		CHECK("/proc/self/status Name", strstr(buf, "Name:\tproctest\n") != 0, "%s", buf);
		CHECK("/proc/self/status Pid, Tgid", field(buf, "\nPid:") == getpid() &&
		      field(buf, "\nTgid:") == getpid(), "%s", buf);
		CHECK("/proc/self/status State, Umask, Uid",
		      strstr(buf, "State:\tR (running)\n") && strstr(buf, "Umask:\t0022\n") &&
		      strstr(buf, "Uid:\t0\t0\t0\t0\n"), "%s", buf);
		CHECK("/proc/self/status VmSize, VmRSS", field(buf, "VmSize:") > 0 && field(buf, "VmRSS:") > 0 &&
		      field(buf, "VmRSS:") <= field(buf, "VmSize:"), "%s", buf);
		CHECK("/proc/self/status Threads", field(buf, "Threads:") == 1, "%s", buf);
	}
	slurp("/proc/self/comm", buf, sizeof(buf));
	CHECK("/proc/self/comm", strcmp(buf, "proctest\n") == 0, "'%s'", buf);

	n = readlink("/proc/self/exe", link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	CHECK("readlink /proc/self/exe", n > 0 && strcmp(link, "/bin/proctest") == 0, "%zd '%s'", n, link);

	len = slurp("/proc/self/cmdline", buf, sizeof(buf));
	{
		char want[1024];
		size_t w = 0;
		for (int i = 0; i < argc; i++) {
			memcpy(want + w, argv[i], strlen(argv[i]) + 1);
			w += strlen(argv[i]) + 1;
		}
		CHECK("/proc/self/cmdline is argv, NUL-separated", len == (long)w && memcmp(buf, want, w) == 0,
		      "%ld bytes, wanted %zu", len, w);
	}

	if (chdir("/tmp") < 0 || !getcwd(cwd, sizeof(cwd))) {
		fail("/proc/self/cwd", "chdir /tmp: %s", strerror(errno));
	} else {
		n = readlink("/proc/self/cwd", link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = 0;
		CHECK("readlink /proc/self/cwd is getcwd() after chdir", n > 0 && strcmp(link, cwd) == 0 &&
		      strcmp(cwd, "/tmp") == 0, "'%s', getcwd '%s'", link, cwd);
		CHECK("/proc/self/cwd/. is the working directory",
		      stat("/proc/self/cwd/.", &st1) == 0 && stat(".", &st2) == 0 &&
		      st1.st_ino == st2.st_ino && st1.st_dev == st2.st_dev, "%s", strerror(errno));
	}

	n = readlink("/proc/self/root", link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	CHECK("readlink /proc/self/root", strcmp(link, "/") == 0, "'%s'", link);

	slurp("/proc/self/maps", buf, sizeof(buf));
	CHECK("/proc/self/maps: program, heap or data, stack",
	      strstr(buf, "r-xp 00000000 00:00 0") && strstr(buf, "/bin/proctest\n") &&
	      strstr(buf, " rw-p ") && strstr(buf, "[stack]\n"), "%s", buf);

	CHECK("stat of a /proc file: size 0, same inode twice",
	      stat("/proc/self/stat", &st1) == 0 && stat("/proc/self/stat", &st2) == 0 &&
	      st1.st_size == 0 && st1.st_ino == st2.st_ino && S_ISREG(st1.st_mode),
	      "size %ld, ino %lu and %lu", (long)st1.st_size, (unsigned long)st1.st_ino,
	      (unsigned long)st2.st_ino);
	CHECK("lstat /proc/self: a symbolic link", lstat("/proc/self", &st1) == 0 && S_ISLNK(st1.st_mode) &&
	      stat("/proc/self", &st2) == 0 && S_ISDIR(st2.st_mode), "%s", strerror(errno));
}

static void test_fds(void)
{
	char list[4096], link[4096], path[64];
	int fd = open("/tmp/proctest-file", O_CREAT | O_RDWR, 0644), fd2, p[2];
	ssize_t n;

	if (fd < 0) {
		fail("/proc/self/fd", "open /tmp/proctest-file: %s", strerror(errno));
		return;
	}
	if (list_dir("/proc/self/fd", list, sizeof(list)) < 0) {
		fail("/proc/self/fd", "opendir: %s", strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%d", fd);
	CHECK("/proc/self/fd lists 0 1 2 and the new file", word_in(list, "0") && word_in(list, "1") &&
	      word_in(list, "2") && word_in(list, path) && word_in(list, ".") && word_in(list, ".."),
	      "'%s'", list);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	CHECK("readlink /proc/self/fd/N: the file's path", strcmp(link, "/tmp/proctest-file") == 0, "'%s'", link);

	/* Relative, through "..", and through a symbolic link: the real path. */
	symlink("/tmp/proctest-file", "/tmp/proctest-link");
	fd2 = open("../tmp/./proctest-link", O_RDONLY);      /* the cwd is /tmp */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd2);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	CHECK("readlink /proc/self/fd/N: relative path through a link, resolved",
	      fd2 >= 0 && strcmp(link, "/tmp/proctest-file") == 0, "'%s'", link);
	close(fd2);

	n = readlink("/proc/self/fd/0", link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	CHECK("readlink /proc/self/fd/0: the console", strcmp(link, "/dev/console") == 0, "'%s'", link);

	if (pipe(p) == 0) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", p[0]);
		n = readlink(path, link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = 0;
		CHECK("readlink /proc/self/fd/N: a pipe", strncmp(link, "pipe:[", 6) == 0, "'%s'", link);
		close(p[0]);
		close(p[1]);
	}

	/* Through the link: the same file. */
	write(fd, "hello", 5);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	CHECK("open /proc/self/fd/N opens the file", slurp(path, buf, sizeof(buf)) == 5 &&
	      strcmp(buf, "hello") == 0, "'%s'", buf);
	close(fd);
	CHECK("a closed descriptor is gone from /proc/self/fd", readlink(path, link, sizeof(link)) < 0 &&
	      errno == ENOENT, "%s", strerror(errno));
	unlink("/tmp/proctest-link");
	unlink("/tmp/proctest-file");
}

static void test_system_files(void)
{
	char chunked[16384];
	long total, free_kb, len, len2;
	unsigned long a, b, c, d;
	struct sysinfo si;
	struct stat st;
	int fd;

	len = slurp("/proc/meminfo", buf, sizeof(buf));
	total = field(buf, "MemTotal:");
	free_kb = field(buf, "MemFree:");
	CHECK("/proc/meminfo MemTotal > 0, MemFree <= MemTotal", len > 0 && total > 0 && free_kb > 0 &&
	      free_kb <= total && field(buf, "MemAvailable:") >= 0 && field(buf, "Cached:") >= 0 &&
	      field(buf, "SwapTotal:") == 0 && field(buf, "Shmem:") >= 0 && strstr(buf, " kB\n"),
	      "%s", buf);
	CHECK("/proc/meminfo in Linux's layout", strncmp(buf, "MemTotal:       ", 16) == 0 &&
	      buf[16 + 8] == ' ', "%.40s", buf);
	CHECK("sysinfo agrees with /proc/meminfo", sysinfo(&si) == 0 &&
	      si.totalram * si.mem_unit / 1024 == (unsigned long)total && si.procs >= 1,
	      "totalram %lu, MemTotal %ld kB", (unsigned long)si.totalram, total);

	/* Read in 7-byte pieces: the same text, the position honoured. */
	len = slurp("/proc/self/status", buf, sizeof(buf));
	len2 = slurp_chunks("/proc/self/status", chunked, sizeof(chunked), 7);
	CHECK("small reads follow the file position", len > 100 && len == len2 &&
	      memcmp(buf, chunked, len) == 0, "%ld and %ld bytes", len, len2);
	fd = open("/proc/uptime", O_RDONLY);
	len = pread(fd, buf, 4, 2);
	close(fd);
	CHECK("pread at an offset", len == 4, "%ld", len);

	slurp("/proc/uptime", buf, sizeof(buf));
	CHECK("/proc/uptime parses", sscanf(buf, "%lu.%2lu %lu.%2lu", &a, &b, &c, &d) == 4 &&
	      buf[strlen(buf) - 1] == '\n', "'%s'", buf);
	slurp("/proc/loadavg", buf, sizeof(buf));
	CHECK("/proc/loadavg parses", sscanf(buf, "%lu.%lu %*s %*s %lu/%lu %lu", &a, &b, &c, &d, &a) == 5 &&
	      c >= 1 && d >= c, "'%s'", buf);
	slurp("/proc/stat", buf, sizeof(buf));
	CHECK("/proc/stat cpu line, btime, processes", sscanf(buf, "cpu %lu %lu %lu %lu", &a, &b, &c, &d) == 4 &&
	      strstr(buf, "\ncpu0 ") && field(buf, "\nbtime ") > 1000000000 &&
	      field(buf, "\nprocesses ") >= 1 && field(buf, "\nprocs_running ") >= 1, "%s", buf);

	slurp("/proc/mounts", buf, sizeof(buf));
	CHECK("/proc/mounts has / and /proc", strstr(buf, "rootfs / ") && strstr(buf, "/proc proc rw 0 0\n"),
	      "%s", buf);
	slurp("/proc/self/mounts", chunked, sizeof(chunked));
	CHECK("/proc/self/mounts is /proc/mounts", strcmp(buf, chunked) == 0, "%s", chunked);
	len = readlink("/proc/mounts", chunked, sizeof(chunked));
	CHECK("/proc/mounts is a link to self/mounts", len == 11 && memcmp(chunked, "self/mounts", 11) == 0,
	      "%ld", len);
	slurp("/proc/filesystems", buf, sizeof(buf));
	CHECK("/proc/filesystems", strstr(buf, "nodev\tproc\n") && strstr(buf, "nodev\ttmpfs\n"), "%s", buf);

	slurp("/proc/cpuinfo", buf, sizeof(buf));
	CHECK("/proc/cpuinfo processor, vendor, flags", strncmp(buf, "processor\t: 0\n", 14) == 0 &&
	      strstr(buf, "\nvendor_id\t: ") && strstr(buf, "\nmodel name\t: ") &&
	      strstr(buf, "\nflags\t\t: fpu ") && strstr(buf, " sse2 ") && strstr(buf, " lm "),
	      "%s", buf);

	slurp("/proc/version", buf, sizeof(buf));
	CHECK("/proc/version", strncmp(buf, "Linux version 6.1.0-trapvisor ", 30) == 0, "%s", buf);
	slurp("/proc/sys/kernel/ostype", buf, sizeof(buf));
	slurp("/proc/sys/kernel/osrelease", chunked, sizeof(chunked));
	CHECK("/proc/sys/kernel/ostype, osrelease", strcmp(buf, "Linux\n") == 0 &&
	      strcmp(chunked, "6.1.0-trapvisor\n") == 0, "'%s' '%s'", buf, chunked);
	slurp("/proc/sys/kernel/pid_max", buf, sizeof(buf));
	slurp("/proc/sys/vm/overcommit_memory", chunked, sizeof(chunked));
	CHECK("/proc/sys/kernel/pid_max, vm/overcommit_memory", atoi(buf) >= 32768 &&
	      strcmp(chunked, "0\n") == 0, "'%s' '%s'", buf, chunked);
	CHECK("/proc/sys/kernel/hostname", slurp("/proc/sys/kernel/hostname", buf, sizeof(buf)) > 1, "%s",
	      strerror(errno));

	errno = 0;
	CHECK("/proc files are read-only", open("/proc/meminfo", O_WRONLY) < 0 && errno == EACCES,
	      "%s", strerror(errno));
	CHECK("creating in /proc fails", open("/proc/newfile", O_CREAT | O_WRONLY, 0644) < 0, "created");
	CHECK("/proc/99999 does not exist", stat("/proc/99999", &st) < 0 && errno == ENOENT &&
	      stat("/proc/007", &st) < 0, "%s", strerror(errno));
	CHECK("stat /proc: a proc file system", stat("/proc", &st) == 0 && S_ISDIR(st.st_mode), "%s",
	      strerror(errno));
}

/* The child that execve gives arguments: check its own cmdline, say it is
 * ready on fd 10, wait on fd 11, exit. */
static int exec_child(int argc, char **argv)
{
	char c = 'r';
	long len = slurp("/proc/self/cmdline", buf, sizeof(buf));
	static const char want[] = "proctest\0exec-child\0two words\0\0last";

	(void)argc;
	(void)argv;
	if (len != sizeof(want) || memcmp(buf, want, sizeof(want)) != 0)
		c = 'x';
	write(10, &c, 1);
	read(11, &c, 1);
	return 0;
}

static void test_child(void)
{
	int ready[2], go[2], status, ppid = -1, nf = 0, me = getpid(), fd;
	char c = 0, path[64], state, list[8192], pidname[16];
	static const char want[] = "proctest\0exec-child\0two words\0\0last";
	struct stat st;
	pid_t pid;
	long len;

	if (pipe(ready) < 0 || pipe(go) < 0) {
		fail("child", "pipe: %s", strerror(errno));
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char *args[] = { "proctest", "exec-child", "two words", "", "last", 0 };
		dup2(ready[1], 10);
		dup2(go[0], 11);
		execv("/bin/proctest", args);
		_exit(127);
	}
	if (pid < 0) {
		fail("child", "fork: %s", strerror(errno));
		return;
	}
	close(ready[1]);
	close(go[0]);
	read(ready[0], &c, 1);
	CHECK("a child's /proc/self/cmdline after execve with arguments", c == 'r', "child said '%c'", c);

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	len = slurp(path, buf, sizeof(buf));
	CHECK("/proc/PID/cmdline of another process", len == sizeof(want) && memcmp(buf, want, len) == 0,
	      "%ld bytes", len);
	/* The child is asleep in read() on go[0]. */
	state = state_of(pid, &ppid, &nf);
	CHECK("/proc/PID/stat of a sleeping child: S, its parent", state == 'S' && ppid == me && nf == 52,
	      "state '%c', ppid %d (want %d), %d fields", state ? state : '0', ppid, me, nf);
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	len = readlink(path, list, sizeof(list) - 1);
	list[len > 0 ? len : 0] = 0;
	CHECK("/proc/PID/exe of the child", strcmp(list, "/bin/proctest") == 0, "'%s'", list);

	snprintf(pidname, sizeof(pidname), "%d", pid);
	list_dir("/proc", list, sizeof(list));
	snprintf(path, sizeof(path), "%d", me);
	CHECK("getdents of /proc: self, meminfo, sys, our pid and the child's",
	      word_in(list, "self") && word_in(list, "meminfo") && word_in(list, "sys") &&
	      word_in(list, path) && word_in(list, pidname) && word_in(list, ".."), "'%s'", list);
	snprintf(path, sizeof(path), "/proc/%d", pid);
	list_dir(path, list, sizeof(list));
	CHECK("getdents of /proc/PID", word_in(list, "stat") && word_in(list, "status") &&
	      word_in(list, "cmdline") && word_in(list, "exe") && word_in(list, "fd") &&
	      word_in(list, "cwd"), "'%s'", list);
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	list_dir(path, list, sizeof(list));
	CHECK("/proc/PID/fd of the child: 0 1 2 10 11", word_in(list, "0") && word_in(list, "10") &&
	      word_in(list, "11"), "'%s'", list);

	/* Let it exit: a zombie until reaped. */
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY);
	write(go[1], "g", 1);
	for (int i = 0; i < 1000 && (state = state_of(pid, 0, 0)) != 'Z'; i++)
		sched_yield();
	CHECK("/proc/PID/stat of an exited, unreaped child: Z", state == 'Z', "state '%c'", state ? state : '0');
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	CHECK("a zombie's cmdline is empty", slurp(path, buf, sizeof(buf)) == 0, "'%s'", buf);

	waitpid(pid, &status, 0);
	CHECK("the exec'd child exited 0", WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
	snprintf(path, sizeof(path), "/proc/%d", pid);
	errno = 0;
	CHECK("/proc/PID is gone once reaped (ENOENT)", stat(path, &st) < 0 && errno == ENOENT,
	      "%s", strerror(errno));
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	errno = 0;
	CHECK("/proc/PID/stat is gone once reaped (ENOENT)", open(path, O_RDONLY) < 0 && errno == ENOENT,
	      "%s", strerror(errno));
	list_dir("/proc", list, sizeof(list));
	CHECK("getdents of /proc no longer lists it", !word_in(list, pidname), "'%s'", list);
	errno = 0;
	len = read(fd, buf, sizeof(buf));
	CHECK("a file left open reads ESRCH once its process is gone", len < 0 && errno == ESRCH,
	      "%ld %s", len, strerror(errno));
	close(fd);
	close(ready[0]);
	close(go[1]);
}

/* Lookups make inodes that the last iput() frees: many of them must not
 * use up memory. */
static void test_no_leak(void)
{
	long before = 0, after = 0;
	struct stat st;
	char link[256];

	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 50; i++) {
			slurp("/proc/self/status", buf, sizeof(buf));
			stat("/proc/self/fd/1", &st);
			readlink("/proc/self/exe", link, sizeof(link));
			stat("/proc/sys/kernel/ostype", &st);
		}
		slurp("/proc/meminfo", buf, sizeof(buf));
		if (round == 0)
			before = field(buf, "MemFree:");
		else
			after = field(buf, "MemFree:");
	}
	CHECK("200 lookups and reads leave memory as it was", after >= before - 8,
	      "MemFree %ld kB, then %ld kB", before, after);
}

/* "proctest cat FILE...": show files, to look at /proc by hand
 * ("init=proctest -- cat /proc/self/stat" on the command line). */
static int cat(int argc, char **argv)
{
	for (int i = 2; i < argc; i++) {
		long n = slurp(argv[i], buf, sizeof(buf));
		if (n < 0)
			printf("%s: %s\n", argv[i], strerror(-n));
		else
			fwrite(buf, 1, n, stdout);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "exec-child") == 0)
		return exec_child(argc, argv);
	if (argc > 1 && strcmp(argv[1], "cat") == 0)
		return cat(argc, argv);
	test_self_stat();
	test_self_files(argc, argv);
	test_fds();
	test_system_files();
	test_child();
	test_no_leak();
	printf("proctest: %d failed\n", fails);
	return fails ? 1 : 0;
}
