/* proc: processes: fork, wait4/waitid, vfork, copy-on-write, execve (argv,
 * envp, close-on-exec, signal dispositions, #! scripts, a static PIE), the
 * auxiliary vector, process groups and sessions, prctl names, exit_group
 * and deaths by signal.
 *
 * The exec tests re-execute this program through /proc/self/exe with a
 * mode as argv[1] (see exec_mode()), so no second binary is needed; the
 * static-PIE test executes proc-pie, this same source built with
 * -static-pie, from the directory this program is in.  Built with -DT_PIE
 * the group calls itself proc-pie. */
#ifdef T_PIE
#define T_GROUP "proc-pie"
#else
#define T_GROUP "proc"
#endif
#include "t.h"

#include <elf.h>
#include <limits.h>
#include <link.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>

extern char **environ;
extern const ElfW(Ehdr) __ehdr_start __attribute__((visibility("hidden")));
extern char _start[];

static int g_argc;
static char **g_argv;
static const unsigned long *g_auxv; /* as the kernel put it on the stack */

/* A value of the auxiliary vector as the kernel gave it (libc may keep its
 * own: glibc's getauxval(AT_HWCAP) on x86-64 is glibc's, not CPUID's). */
static unsigned long raw_auxv(unsigned long type)
{
	for (const unsigned long *a = g_auxv; a && a[0] != AT_NULL; a += 2)
		if (a[0] == type)
			return a[1];
	return 0;
}

#define SELF "/proc/self/exe"

/* ---- Running a program and collecting what it says ---- */

/* Fork, in the child put a pipe on stdout and execve(path, argv, envp);
 * collect stdout into out (NUL-terminated) and return the wait status.
 * An execve failure is exit status 127 with the errno name on stdout. */
static int run(const char *path, char *const argv[], char *const envp[], char *out, size_t outsz)
{
	int p[2];
	if (pipe(p) < 0) {
		t_fail(__FILE__, __LINE__, "pipe: %s", t_errname(errno));
		return -1;
	}
	pid_t pid = t_fork();
	if (pid == 0) {
		close(p[0]);
		dup2(p[1], 1);
		close(p[1]);
		execve(path, argv, envp);
		dprintf(1, "execve %s: %s", path, t_errname(errno));
		_exit(127);
	}
	close(p[1]);
	size_t n = 0;
	for (;;) {
		ssize_t r = read(p[0], out + n, outsz - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || (n += (size_t)r) == outsz - 1)
			break;
	}
	out[n] = 0;
	close(p[0]);
	return t_wait(pid);
}

/* A re-executed child passed when it exited 0 and said nothing. */
#define CHECK_RUN(st, out)                                                    \
	CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0 && !(out)[0],         \
		  "exec'd child %s, said: %s", t_status(st), (out))

/* ---- The auxiliary vector ---- */

struct phdr_seen {
	int calls;
	uintptr_t phdr, addr;
	int phnum;
	int main_in_load, hdr_in_load;
};

int main(int argc, char **argv);

static int phdr_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	struct phdr_seen *s = data;
	(void)size;
	if (s->calls++ == 0) {
		s->phdr = (uintptr_t)info->dlpi_phdr;
		s->addr = info->dlpi_addr;
		s->phnum = info->dlpi_phnum;
		for (int i = 0; i < info->dlpi_phnum; i++) {
			const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
			if (ph->p_type != PT_LOAD)
				continue;
			uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
			if ((uintptr_t)main >= lo && (uintptr_t)main < hi)
				s->main_in_load = 1;
			if ((uintptr_t)&__ehdr_start >= lo && (uintptr_t)&__ehdr_start < hi)
				s->hdr_in_load = 1;
		}
	}
	return 0;
}

/* The checks that hold in any freshly exec'd static program. */
static void auxv_checks(void)
{
	const ElfW(Ehdr) *eh = &__ehdr_start;
	CHECK(memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0);
	CHECK_EQ(getauxval(AT_PAGESZ), 4096);
	CHECK_EQ(sysconf(_SC_PAGESIZE), 4096);
	/* AT_RANDOM: 16 readable bytes, not all zero */
	const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
	CHECK(rnd != NULL);
	if (rnd) {
		int nz = 0;
		for (int i = 0; i < 16; i++)
			nz |= rnd[i];
		CHECK(nz != 0);
	}
	/* AT_PHDR, AT_PHNUM, AT_PHENT: the program headers of this image */
	uintptr_t bias = eh->e_type == ET_DYN ? (uintptr_t)eh : 0;
	CHECK_EQ(getauxval(AT_PHDR), (uintptr_t)eh + eh->e_phoff);
	CHECK_EQ(getauxval(AT_PHNUM), eh->e_phnum);
	CHECK_EQ(getauxval(AT_PHENT), sizeof(ElfW(Phdr)));
	/* AT_ENTRY: _start, which is e_entry moved by the load bias */
	CHECK_EQ(getauxval(AT_ENTRY), (uintptr_t)_start);
	CHECK_EQ(getauxval(AT_ENTRY), eh->e_entry + bias);
	/* dl_iterate_phdr agrees, and main and the header are in a PT_LOAD */
	struct phdr_seen s;
	memset(&s, 0, sizeof s);
	dl_iterate_phdr(phdr_cb, &s);
	CHECK(s.calls >= 1);
	CHECK_EQ(s.phdr, getauxval(AT_PHDR));
	CHECK_EQ(s.phnum, eh->e_phnum);
	CHECK_EQ(s.addr, bias);
	CHECK(s.main_in_load);
	CHECK(s.hdr_in_load);
	/* no interpreter for a static program */
	CHECK_EQ(getauxval(AT_BASE), 0);
	CHECK_EQ(getauxval(AT_FLAGS), 0);
	/* AT_EXECFN: the name that was executed */
	const char *fn = (const char *)getauxval(AT_EXECFN);
	CHECK(fn != NULL && fn[0] != 0);
	/* AT_HWCAP: CPUID.1:EDX; x86-64 has FPU, SSE and SSE2 */
	unsigned long hw = raw_auxv(AT_HWCAP);
	CHECK_MSG((hw & 1) && (hw & (1UL << 25)) && (hw & (1UL << 26)),
		  "AT_HWCAP 0x%lx lacks FPU/SSE/SSE2", hw);
	CHECK_EQ(getauxval(AT_CLKTCK), 100);
	CHECK_EQ(sysconf(_SC_CLK_TCK), 100);
	CHECK_EQ(getauxval(AT_UID), getuid());
	CHECK_EQ(getauxval(AT_EUID), geteuid());
	CHECK_EQ(getauxval(AT_GID), getgid());
	CHECK_EQ(getauxval(AT_EGID), getegid());
	CHECK_EQ(getauxval(AT_SECURE), 0);
	const char *plat = (const char *)getauxval(AT_PLATFORM);
	if (plat)
		CHECK_STR(plat, "x86_64");
	/* a vDSO is optional; when there is one it is an ELF image */
	const unsigned char *vdso = (const unsigned char *)getauxval(AT_SYSINFO_EHDR);
	if (vdso)
		CHECK(memcmp(vdso, ELFMAG, SELFMAG) == 0);
}

/* auxv on the initial stack: after envp's NULL; it ends with AT_NULL and
 * matches getauxval() and /proc/self/auxv. */
static void auxv_raw_checks(char **envp)
{
	char **e = envp;
	while (*e)
		e++;
	const unsigned long *av = (const unsigned long *)(e + 1);
	int n = 0, pagesz = 0;
	while (av[2 * n] != AT_NULL && n < 100) {
		if (av[2 * n] == AT_PAGESZ)
			pagesz = (int)av[2 * n + 1];
		CHECK_MSG(getauxval(av[2 * n]) == av[2 * n + 1] || av[2 * n] == AT_IGNORE ||
				  av[2 * n] == AT_HWCAP || av[2 * n] == AT_HWCAP2 ||
				  av[2 * n] >= 48,
			  "auxv type %lu: stack says 0x%lx, getauxval 0x%lx", av[2 * n],
			  av[2 * n + 1], getauxval(av[2 * n]));
		n++;
	}
	CHECK(n < 100);
	CHECK(n >= 10);
	CHECK_EQ(pagesz, 4096);
	unsigned long file[256];
	int fd = open("/proc/self/auxv", O_RDONLY);
	CHECK_MSG(fd >= 0, "open /proc/self/auxv: %s", t_errname(errno));
	if (fd >= 0) {
		ssize_t r = t_read_full(fd, file, sizeof file);
		close(fd);
		CHECK_EQ(r, (long)(n + 1) * 16);
		CHECK(r >= 16 && memcmp(file, av, (size_t)r) == 0);
	}
}

/* ---- The modes of a re-executed child (argv[1]) ---- */

static int exec_mode(int argc, char **argv)
{
	const char *m = argv[1];
	t_fail_fd = 1; /* failures to stdout: the parent's pipe */
	if (!strcmp(m, "--exit")) {
		_exit(atoi(argv[2]));
	} else if (!strcmp(m, "--args")) {
		/* what test_exec_argv_envp passed */
		const char *want[] = {"custom-argv0", "--args", "one", "two words", "", "last"};
		CHECK_EQ(argc, 6);
		for (int i = 0; i < 6 && i < argc; i++)
			CHECK_STR(argv[i], want[i]);
		CHECK(argv[argc] == NULL);
		const char *wenv[] = {"A=1", "B=two words", "EMPTY=", "T_EXECFN=" SELF};
		int n = 0;
		while (environ[n])
			n++;
		CHECK_EQ(n, 4);
		for (int i = 0; i < 4 && i < n; i++)
			CHECK_STR(environ[i], wenv[i]);
		CHECK(environ == argv + argc + 1);
		CHECK_STR(getenv("B"), "two words");
		CHECK_STR(getenv("EMPTY"), "");
		CHECK_STR((const char *)getauxval(AT_EXECFN), SELF);
	} else if (!strcmp(m, "--fds")) {
		int closed = atoi(argv[2]), kept = atoi(argv[3]);
		CHECK_ERR(fcntl(closed, F_GETFD), EBADF);
		CHECK_EQ(fcntl(kept, F_GETFD), 0);
		char buf[8] = {0};
		CHECK_EQ(read(kept, buf, 4), 4); /* from the shared offset, 2 */
		CHECK_STR(buf, "2345");
	} else if (!strcmp(m, "--signals")) {
		struct sigaction sa;
		sigaction(SIGUSR1, NULL, &sa);
		CHECK_MSG(sa.sa_handler == SIG_DFL, "SIGUSR1 handler not reset to SIG_DFL");
		sigaction(SIGUSR2, NULL, &sa);
		CHECK_MSG(sa.sa_handler == SIG_IGN, "SIGUSR2 SIG_IGN not kept");
		sigaction(SIGTERM, NULL, &sa);
		CHECK_MSG(sa.sa_handler == SIG_DFL, "SIGTERM not SIG_DFL");
		sigset_t mask, pend;
		sigprocmask(SIG_BLOCK, NULL, &mask);
		CHECK_MSG(sigismember(&mask, SIGINT), "the blocked mask was not kept");
		CHECK(!sigismember(&mask, SIGUSR1));
		sigpending(&pend);
		CHECK_MSG(sigismember(&pend, SIGINT), "a pending signal was lost");
		stack_t ss;
		CHECK_OK(sigaltstack(NULL, &ss));
		CHECK_MSG(ss.ss_flags & SS_DISABLE, "the alternate stack was kept");
		/* and the pending SIGINT is ignored now, so unblocking is safe */
		signal(SIGINT, SIG_IGN);
	} else if (!strcmp(m, "--auxv")) {
		auxv_checks();
		auxv_raw_checks(environ);
		const ElfW(Ehdr) *eh = &__ehdr_start;
#ifdef T_PIE
		CHECK_EQ(eh->e_type, ET_DYN);
#else
		CHECK_EQ(eh->e_type, ET_EXEC);
#endif
		CHECK_STR((const char *)getauxval(AT_EXECFN), argv[2]);
	} else if (!strcmp(m, "--pie")) {
		/* run in proc-pie: a self-relocated static PIE */
		static int target = 42;
		static int *ptr = &target;
		static int (*fn)(int, char **) = exec_mode;
		const ElfW(Ehdr) *eh = &__ehdr_start;
		CHECK_EQ(eh->e_type, ET_DYN);
		CHECK(ptr == &target && *ptr == 42);
		CHECK(fn == exec_mode);
		CHECK((uintptr_t)eh != 0 && ((uintptr_t)eh & 4095) == 0);
		auxv_checks();
		auxv_raw_checks(environ);
		CHECK_STR((const char *)getauxval(AT_EXECFN), argv[2]);
	} else if (!strcmp(m, "--script")) {
		/* as the interpreter of a #! script: argv is
		 * [interpreter, optional arg, script path, script args...] */
		CHECK_EQ(argc, 5);
		CHECK_STR(argv[0], getenv("T_EXE"));
		CHECK_STR(argv[1], "--script");
		CHECK_STR(argv[2], "./script.sh");
		if (argc == 5) {
			CHECK_STR(argv[3], "script-arg");
			CHECK_STR(argv[4], "");
		}
	} else if (!strcmp(m, "--many")) {
		int want = atoi(argv[2]);
		CHECK_EQ(argc, want + 3);
		char buf[64];
		int bad = 0;
		for (int i = 3; i < argc; i++) {
			snprintf(buf, sizeof buf, "argument-number-%06d-with-some-padding", i);
			bad += strcmp(argv[i], buf) != 0;
		}
		CHECK_EQ(bad, 0);
		CHECK_STR(getenv("BIG"), argv[argc - 1]);
	} else if (!strcmp(m, "--ids")) {
		/* print pid and ppid: exec keeps both */
		printf("%d %d", (int)getpid(), (int)getppid());
		fflush(stdout);
		_exit(0);
	} else if (!strcmp(m, "--comm")) {
		char name[32] = {0};
		prctl(PR_GET_NAME, name);
		printf("%s", name);
		fflush(stdout);
		_exit(0);
	} else {
		printf("unknown mode %s", m);
		return 2;
	}
	return t_nfail ? 1 : 0;
}

/* ---- fork and wait ---- */

TEST(fork_basic)
{
	pid_t me = getpid();
	int p[2];
	REQUIRE_OK(pipe(p));
	pid_t pid = t_fork();
	if (pid == 0) {
		pid_t ids[2] = {getpid(), getppid()};
		write(p[1], ids, sizeof ids);
		_exit(0);
	}
	CHECK(pid > 0 && pid != me);
	pid_t ids[2];
	CHECK_EQ(t_read_full(p[0], ids, sizeof ids), sizeof ids);
	CHECK_EQ(ids[0], pid);
	CHECK_EQ(ids[1], me);
	CHECK_EXIT(t_wait(pid), 0);
	CHECK_EQ(getpid(), me);
}

TEST(exit_statuses)
{
	int codes[] = {0, 1, 2, 42, 127, 128, 255, 256, 257};
	for (unsigned i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		pid_t pid = t_fork();
		if (pid == 0)
			_exit(codes[i]);
		int st = t_wait(pid);
		CHECK(WIFEXITED(st));
		CHECK(!WIFSIGNALED(st));
		CHECK_EQ(WEXITSTATUS(st), codes[i] & 0xff);
	}
	/* exit() from libc too */
	pid_t pid = t_fork();
	if (pid == 0)
		exit(9);
	CHECK_EXIT(t_wait(pid), 9);
}

TEST(wait4)
{
	int p[2];
	REQUIRE_OK(pipe(p));
	pid_t pid = t_fork();
	if (pid == 0) {
		char c;
		read(p[0], &c, 1);
		_exit(7);
	}
	int st = -1;
	struct rusage ru;
	/* still running: WNOHANG gives 0 */
	CHECK_EQ(wait4(pid, &st, WNOHANG, &ru), 0);
	CHECK_EQ(waitpid(pid, &st, WNOHANG), 0);
	CHECK_EQ(waitpid(-1, &st, WNOHANG), 0);
	write(p[1], "go", 1);
	memset(&ru, 0xff, sizeof ru);
	CHECK_EQ(wait4(pid, &st, 0, &ru), pid);
	CHECK_EXIT(st, 7);
	CHECK(ru.ru_utime.tv_sec >= 0 && ru.ru_utime.tv_usec >= 0 && ru.ru_utime.tv_usec < 1000000);
	CHECK(ru.ru_stime.tv_usec >= 0 && ru.ru_stime.tv_usec < 1000000);
	/* gone */
	CHECK_ERR(wait4(pid, &st, WNOHANG, NULL), ECHILD);
	/* a NULL status is fine */
	pid = t_fork();
	if (pid == 0)
		_exit(0);
	CHECK_EQ(wait4(pid, NULL, 0, NULL), pid);
}

TEST(waitid)
{
	pid_t pid = t_fork();
	if (pid == 0)
		_exit(33);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	/* WNOWAIT: look without reaping */
	CHECK_OK(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT));
	CHECK_EQ(si.si_pid, pid);
	CHECK_EQ(si.si_signo, SIGCHLD);
	CHECK_EQ(si.si_code, CLD_EXITED);
	CHECK_EQ(si.si_status, 33);
	CHECK_EQ(si.si_uid, getuid());
	memset(&si, 0, sizeof si);
	CHECK_OK(waitid(P_ALL, 0, &si, WEXITED));
	CHECK_EQ(si.si_pid, pid);
	CHECK_EQ(si.si_status, 33);
	/* killed */
	pid = t_fork();
	if (pid == 0) {
		pause();
		_exit(0);
	}
	int p[2];
	REQUIRE_OK(pipe(p));
	/* WNOHANG with a live child: 0, si_pid left 0 */
	memset(&si, 0, sizeof si);
	CHECK_EQ(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG), 0);
	CHECK_EQ(si.si_pid, 0);
	kill(pid, SIGKILL);
	memset(&si, 0, sizeof si);
	CHECK_OK(waitid(P_PID, (id_t)pid, &si, WEXITED));
	CHECK_EQ(si.si_code, CLD_KILLED);
	CHECK_EQ(si.si_status, SIGKILL);
	CHECK_ERR(waitid(P_PID, (id_t)pid, &si, 0), EINVAL); /* no event asked */
	/* P_PGID: a child in our own process group */
	pid = t_fork();
	if (pid == 0)
		_exit(4);
	memset(&si, 0, sizeof si);
	CHECK_OK(waitid(P_PGID, (id_t)getpgrp(), &si, WEXITED));
	CHECK_EQ(si.si_pid, pid);
	CHECK_EQ(si.si_status, 4);
}

TEST(wait_any_many)
{
	enum { N = 30 };
	pid_t kids[N];
	for (int i = 0; i < N; i++) {
		kids[i] = t_fork();
		if (kids[i] == 0) {
			t_msleep(5 + (i * 7) % 20);
			_exit(100 + i);
		}
	}
	int seen[N] = {0};
	for (int n = 0; n < N; n++) {
		int st;
		pid_t r = wait(&st);
		int i;
		for (i = 0; i < N && kids[i] != r; i++)
			;
		CHECK_MSG(i < N, "wait returned %d, not a child (%s)", (int)r, t_errname(errno));
		if (i < N) {
			seen[i]++;
			CHECK_EXIT(st, 100 + i);
		}
	}
	for (int i = 0; i < N; i++)
		CHECK_EQ(seen[i], 1);
	CHECK_ERR(wait(NULL), ECHILD);
}

TEST(fork_sequential_many)
{
	int bad = 0;
	for (int i = 0; i < 200; i++) {
		pid_t pid = fork();
		if (pid < 0) {
			bad++;
			break;
		}
		if (pid == 0)
			_exit(i & 0x7f);
		int st;
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != (i & 0x7f))
			bad++;
	}
	CHECK_EQ(bad, 0);
}

TEST(echild)
{
	int st;
	siginfo_t si;
	CHECK_ERR(wait(&st), ECHILD);
	CHECK_ERR(waitpid(-1, &st, 0), ECHILD);
	CHECK_ERR(waitpid(-1, &st, WNOHANG), ECHILD);
	CHECK_ERR(waitpid(1, &st, 0), ECHILD); /* init is not our child */
	CHECK_ERR(waitpid(getpid(), &st, 0), ECHILD);
	CHECK_ERR(waitid(P_ALL, 0, &si, WEXITED), ECHILD);
	CHECK_ERR(wait4(-1, &st, 0, NULL), ECHILD);
}

TEST(zombie)
{
	pid_t pid = t_fork();
	if (pid == 0)
		_exit(0);
	/* until reaped it exists */
	siginfo_t si;
	memset(&si, 0, sizeof si);
	CHECK_OK(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT));
	CHECK_OK(kill(pid, 0));
	CHECK_OK(kill(pid, SIGKILL)); /* to a zombie: no error, no effect */
	CHECK_EXIT(t_wait(pid), 0);
	CHECK_ERR(kill(pid, 0), ESRCH);
}

TEST(orphan_reparented)
{
	int p[2];
	REQUIRE_OK(pipe(p));
	pid_t child = t_fork();
	if (child == 0) {
		pid_t me = getpid();
		pid_t gc = fork();
		if (gc == 0) {
			/* wait for the parent to go, then report the new parent */
			pid_t pp = getppid();
			for (int i = 0; i < 500 && pp == me; i++) {
				t_msleep(10);
				pp = getppid();
			}
			write(p[1], &pp, sizeof pp);
			_exit(0);
		}
		_exit(gc > 0 ? 0 : 1);
	}
	close(p[1]);
	CHECK_EXIT(t_wait(child), 0);
	pid_t pp = -1;
	CHECK_EQ(t_read_full(p[0], &pp, sizeof pp), sizeof pp);
	CHECK(pp != child);
	CHECK(pp > 0);
}

static char cow_static[8192] = "static";

TEST(cow)
{
	/* heap, stack, static and a big mapping: each side sees its own */
	size_t big = 4 << 20;
	char *heap = malloc(big);
	REQUIRE(heap != NULL);
	memset(heap, 'P', big);
	char stack[4096];
	memset(stack, 'P', sizeof stack);
	memset(cow_static, 'P', sizeof cow_static);
	int go[2], done[2];
	REQUIRE_OK(pipe(go));
	REQUIRE_OK(pipe(done));
	pid_t pid = t_fork();
	if (pid == 0) {
		int bad = 0;
		/* sees the parent's data from before the fork */
		bad |= heap[0] != 'P' || heap[big - 1] != 'P' || stack[100] != 'P' ||
		       cow_static[5000] != 'P';
		for (size_t i = 0; i < big; i += 4096)
			heap[i] = 'C';
		memset(stack, 'C', sizeof stack);
		memset(cow_static, 'C', sizeof cow_static);
		write(done[1], "w", 1); /* written; now the parent writes */
		char c;
		read(go[0], &c, 1);
		for (size_t i = 0; i < big; i += 4096)
			bad |= heap[i] != 'C';
		bad |= stack[0] != 'C' || cow_static[0] != 'C' || heap[1] != 'P';
		_exit(bad ? 1 : 0);
	}
	char c;
	CHECK_EQ(read(done[0], &c, 1), 1);
	/* the child has written; the parent's copy is untouched */
	size_t changed = 0;
	for (size_t i = 0; i < big; i += 4096)
		changed += heap[i] != 'P';
	CHECK_EQ(changed, 0);
	CHECK_EQ(stack[0], 'P');
	CHECK_EQ(cow_static[0], 'P');
	memset(heap, 'Q', big);
	memset(cow_static, 'Q', sizeof cow_static);
	write(go[1], "g", 1);
	CHECK_EXIT(t_wait(pid), 0);
	CHECK_EQ(heap[0], 'Q');
}

TEST(fork_shares_file_offset)
{
	int fd = REQUIRE_OK(open("f", O_RDWR | O_CREAT, 0644));
	pid_t pid = t_fork();
	if (pid == 0)
		_exit(write(fd, "child", 5) == 5 ? 0 : 1);
	CHECK_EXIT(t_wait(pid), 0);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 5);
	CHECK_EQ(write(fd, "parent", 6), 6);
	char buf[16] = {0};
	CHECK_EQ(pread(fd, buf, sizeof buf, 0), 11);
	CHECK_STR(buf, "childparent");
}

static volatile int vfork_shared;

TEST(vfork)
{
	vfork_shared = 0;
	long long t0 = t_now_ns();
	pid_t pid = vfork();
	if (pid == 0) {
		/* the parent is suspended until _exit; memory is shared */
		struct timespec ts = {0, 50000000};
		nanosleep(&ts, NULL);
		vfork_shared = 1234;
		_exit(5);
	}
	long long ms = (t_now_ns() - t0) / 1000000;
	REQUIRE(pid > 0);
	CHECK_MSG(ms >= 49, "the parent ran after %lld ms, before the child's _exit", ms);
	CHECK_EQ(vfork_shared, 1234);
	CHECK_EXIT(t_wait(pid), 5);
}

TEST(vfork_exec)
{
	char *argv[] = {"x", "--exit", "7", NULL};
	char *envp[] = {NULL};
	pid_t pid = vfork();
	if (pid == 0) {
		execve(SELF, argv, envp);
		_exit(127);
	}
	REQUIRE(pid > 0);
	CHECK_EXIT(t_wait(pid), 7);
}

/* ---- execve ---- */

TEST(exec_argv_envp)
{
	char *argv[] = {"custom-argv0", "--args", "one", "two words", "", "last", NULL};
	char *envp[] = {"A=1", "B=two words", "EMPTY=", "T_EXECFN=" SELF, NULL};
	char out[2048];
	int st = run(SELF, argv, envp, out, sizeof out);
	CHECK_RUN(st, out);
}

TEST(exec_keeps_ids)
{
	char *argv[] = {"x", "--ids", NULL};
	char *envp[] = {NULL};
	int p[2];
	REQUIRE_OK(pipe(p));
	pid_t pid = t_fork();
	if (pid == 0) {
		dup2(p[1], 1);
		execve(SELF, argv, envp);
		_exit(127);
	}
	close(p[1]);
	char out[64] = {0};
	CHECK(t_read_full(p[0], out, sizeof out - 1) > 0);
	int a = -1, b = -1;
	CHECK_EQ(sscanf(out, "%d %d", &a, &b), 2);
	CHECK_EQ(a, pid);
	CHECK_EQ(b, getpid());
	CHECK_EXIT(t_wait(pid), 0);
}

TEST(exec_comm)
{
	/* the new name is the executed file's base name, at most 15 bytes */
	REQUIRE_OK(symlink(SELF, "a-rather-long-program-name"));
	char *argv[] = {"whatever", "--comm", NULL};
	char *envp[] = {NULL};
	char out[64];
	int st = run("./a-rather-long-program-name", argv, envp, out, sizeof out);
	CHECK_EXIT(st, 0);
	CHECK_STR(out, "a-rather-long-p");
}

TEST(exec_cloexec)
{
	int closed = REQUIRE_OK(open("f", O_RDWR | O_CREAT | O_CLOEXEC, 0644));
	int kept = REQUIRE_OK(open("f", O_RDWR));
	CHECK_EQ(write(kept, "012345", 6), 6);
	CHECK_EQ(lseek(kept, 2, SEEK_SET), 2);
	char a[16], b[16];
	snprintf(a, sizeof a, "%d", closed);
	snprintf(b, sizeof b, "%d", kept);
	char *argv[] = {"x", "--fds", a, b, NULL};
	char *envp[] = {NULL};
	char out[2048];
	int st = run(SELF, argv, envp, out, sizeof out);
	CHECK_RUN(st, out);
	/* the child read 4 bytes through the shared description */
	CHECK_EQ(lseek(kept, 0, SEEK_CUR), 6);
}

static void noop_handler(int sig)
{
	(void)sig;
}

TEST(exec_signals)
{
	char *argv[] = {"x", "--signals", NULL};
	char *envp[] = {NULL};
	char out[2048];
	int p[2];
	REQUIRE_OK(pipe(p));
	pid_t pid = t_fork();
	if (pid == 0) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = noop_handler;
		sigaction(SIGUSR1, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		signal(SIGUSR2, SIG_IGN);
		static char alt[65536];
		stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0};
		sigaltstack(&ss, NULL);
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGINT);
		sigprocmask(SIG_BLOCK, &set, NULL);
		kill(getpid(), SIGINT); /* stays pending across exec */
		dup2(p[1], 1);
		execve(SELF, argv, envp);
		_exit(127);
	}
	close(p[1]);
	ssize_t n = t_read_full(p[0], out, sizeof out - 1);
	out[n > 0 ? n : 0] = 0;
	int st = t_wait(pid);
	CHECK_RUN(st, out);
}

TEST(exec_auxv)
{
	char *argv[] = {"x", "--auxv", SELF, NULL};
	char *envp[] = {"ONE=1", NULL};
	char out[4096];
	int st = run(SELF, argv, envp, out, sizeof out);
	CHECK_RUN(st, out);
}

/* The static PIE: proc-pie next to this program. */
static int pie_path(char *buf, size_t size)
{
	ssize_t n = readlink(SELF, buf, size - 16);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	char *slash = strrchr(buf, '/');
	if (!slash)
		return -1;
	strcpy(slash + 1, "proc-pie");
	return 0;
}

TEST(exec_static_pie)
{
	char path[PATH_MAX];
	REQUIRE(pie_path(path, sizeof path) == 0);
	struct stat st;
	CHECK_MSG(stat(path, &st) == 0, "%s: %s (it is built beside proc)", path,
		  t_errname(errno));
	char *argv[] = {"proc-pie", "--pie", path, NULL};
	char *envp[] = {"PIE=1", NULL};
	char out[4096];
	int s = run(path, argv, envp, out, sizeof out);
	CHECK_RUN(s, out);
	/* and it is loaded somewhere else than its link address, 0 */
	char *argv2[] = {"proc-pie", "--auxv", path, NULL};
	s = run(path, argv2, envp, out, sizeof out);
	CHECK_RUN(s, out);
}

TEST(exec_script)
{
	/* "#!interpreter optional-arg": the interpreter runs with argv
	 * [interpreter, optional-arg, script path as executed, argv[1]...] */
	char exe[PATH_MAX];
	ssize_t n = readlink(SELF, exe, sizeof exe - 1);
	REQUIRE(n > 0);
	exe[n] = 0;
	char script[PATH_MAX + 64];
	int len = snprintf(script, sizeof script, "#!%s --script\nthis is not shell\n", exe);
	REQUIRE_OK(t_put("script.sh", script, (size_t)len));
	REQUIRE_OK(chmod("script.sh", 0755));
	char env[PATH_MAX + 8];
	snprintf(env, sizeof env, "T_EXE=%s", exe);
	char *argv[] = {"replaced", "script-arg", "", NULL};
	char *envp[] = {env, NULL};
	char out[2048];
	int st = run("./script.sh", argv, envp, out, sizeof out);
	CHECK_RUN(st, out);
}

TEST(exec_errors)
{
	char *argv[] = {"x", NULL};
	char *envp[] = {NULL};
	CHECK_ERR(execve("missing", argv, envp), ENOENT);
	CHECK_ERR(execve("missing/x", argv, envp), ENOENT);
	REQUIRE_OK(t_put("plain", "data", 4));
	CHECK_ERR(execve("plain", argv, envp), EACCES); /* not executable */
	CHECK_ERR(execve("plain/x", argv, envp), ENOTDIR);
	REQUIRE_OK(mkdir("dir", 0755));
	CHECK_ERR(execve("dir", argv, envp), EACCES);
	REQUIRE_OK(t_put("garbage", "\x01\x02garbage, not a program\n", 24));
	REQUIRE_OK(chmod("garbage", 0755));
	CHECK_ERR(execve("garbage", argv, envp), ENOEXEC);
	REQUIRE_OK(t_put("empty", "", 0));
	REQUIRE_OK(chmod("empty", 0755));
	CHECK_ERR(execve("empty", argv, envp), ENOEXEC);
	/* a truncated ELF header */
	REQUIRE_OK(t_put("badelf", "\177ELF\2\1\1", 7));
	REQUIRE_OK(chmod("badelf", 0755));
	CHECK_ERR(execve("badelf", argv, envp), ENOEXEC);
	/* a #! naming a missing interpreter */
	REQUIRE_OK(t_put("badscript", "#!/no/such/interp\n", 18));
	REQUIRE_OK(chmod("badscript", 0755));
	CHECK_ERR(execve("badscript", argv, envp), ENOENT);
	CHECK_ERR(execve("", argv, envp), ENOENT);
	/* after all that, this process is still itself */
	CHECK_EQ(getpid(), getpid());
}

TEST(exec_many_args)
{
	enum { N = 2000 };
	static char storage[N][48];
	static char *argv[N + 4];
	argv[0] = "x";
	argv[1] = "--many";
	static char count[16];
	snprintf(count, sizeof count, "%d", N);
	argv[2] = count;
	for (int i = 3; i < N + 3; i++) {
		snprintf(storage[i - 3], sizeof storage[0], "argument-number-%06d-with-some-padding", i);
		argv[i] = storage[i - 3];
	}
	argv[N + 3] = NULL;
	static char big[80];
	snprintf(big, sizeof big, "BIG=%s", argv[N + 2]);
	char *envp[] = {big, NULL};
	char out[2048];
	int st = run(SELF, argv, envp, out, sizeof out);
	CHECK_RUN(st, out);
}

TEST(auxv)
{
	auxv_checks();
	auxv_raw_checks(environ);
	/* argv and envp are laid out on the stack as the ABI says */
	CHECK(g_argv[g_argc] == NULL);
	CHECK(environ == g_argv + g_argc + 1);
}

/* ---- ids, groups, sessions, names ---- */

TEST(getpid_gettid)
{
	CHECK_EQ(syscall(SYS_gettid), getpid());
	CHECK(getpid() > 0);
	CHECK(getppid() > 0);
	CHECK(getppid() != getpid());
	pid_t pid = t_fork();
	if (pid == 0)
		_exit(syscall(SYS_gettid) == getpid() ? 0 : 1);
	CHECK_EXIT(t_wait(pid), 0);
}

TEST(process_groups)
{
	/* the harness made this test's process a group leader */
	CHECK_EQ(getpgrp(), getpid());
	CHECK_EQ(getpgid(0), getpid());
	CHECK_EQ(getpgid(getpid()), getpid());
	int p[2], q[2];
	REQUIRE_OK(pipe(p));
	REQUIRE_OK(pipe(q));
	pid_t pid = t_fork();
	if (pid == 0) {
		char c;
		int bad = getpgrp() != getppid(); /* inherited */
		bad |= (setpgid(0, 0) != 0) << 1;
		bad |= (getpgrp() != getpid()) << 2;
		write(q[1], "s", 1);
		read(p[0], &c, 1);
		bad |= (getpgrp() != getppid()) << 3; /* moved back by the parent */
		_exit(bad);
	}
	char c;
	CHECK_EQ(read(q[0], &c, 1), 1);
	CHECK_EQ(getpgid(pid), pid);
	CHECK_OK(setpgid(pid, pid)); /* already so: fine */
	/* and back into ours */
	CHECK_OK(setpgid(pid, getpgrp()));
	CHECK_EQ(getpgid(pid), getpgrp());
	write(p[1], "x", 1);
	CHECK_EXIT(t_wait(pid), 0);
	CHECK_ERR(setpgid(pid, pid), ESRCH); /* gone */
	CHECK_ERR(getpgid(pid), ESRCH);
	CHECK_ERR(setpgid(0, -1), EINVAL);
	CHECK_ERR(setpgid(1, 1), ESRCH); /* not our child */
	/* a group that does not exist in this session */
	pid = t_fork();
	if (pid == 0) {
		read(p[0], &c, 1);
		_exit(0);
	}
	CHECK_ERR(setpgid(pid, 4194000), EPERM);   /* no such group (1 may be ours: init) */
	write(p[1], "x", 1);
	CHECK_EXIT(t_wait(pid), 0);
}

TEST(sessions)
{
	pid_t sid = getsid(0);
	CHECK(sid > 0);
	CHECK_EQ(getsid(getpid()), sid);
	CHECK_ERR(setsid(), EPERM); /* a group leader cannot */
	int p[2], q[2];
	REQUIRE_OK(pipe(p));
	REQUIRE_OK(pipe(q));
	pid_t pid = t_fork();
	if (pid == 0) {
		pid_t s = setsid();
		int bad = s != getpid();
		bad |= (getsid(0) != getpid()) << 1;
		bad |= (getpgrp() != getpid()) << 2;
		bad |= (setsid() != -1 || errno != EPERM) << 3;
		/* cannot join a group of another session */
		bad |= (setpgid(0, getppid()) != -1 || errno != EPERM) << 4;
		write(q[1], "s", 1);
		char c;
		read(p[0], &c, 1);
		_exit(bad);
	}
	char c;
	CHECK_EQ(read(q[0], &c, 1), 1);
	CHECK_EQ(getsid(pid), pid);
	CHECK_EQ(getpgid(pid), pid);
	/* a session leader's group cannot be changed */
	CHECK_ERR(setpgid(pid, getpgrp()), EPERM);
	write(p[1], "x", 1);
	CHECK_EXIT(t_wait(pid), 0);
	CHECK_EQ(getsid(0), sid);
	CHECK_ERR(getsid(pid), ESRCH);
}

TEST(prctl_name)
{
	char name[32];
	memset(name, 0, sizeof name);
	CHECK_OK(prctl(PR_SET_NAME, "guest-test"));
	CHECK_OK(prctl(PR_GET_NAME, name));
	CHECK_STR(name, "guest-test");
	/* 15 bytes at most */
	CHECK_OK(prctl(PR_SET_NAME, "a-name-that-is-too-long"));
	memset(name, 'X', sizeof name);
	CHECK_OK(prctl(PR_GET_NAME, name));
	CHECK_STR(name, "a-name-that-is-");
	char comm[64];
	CHECK_EQ(t_get("/proc/self/comm", comm, sizeof comm), 16);
	CHECK_STR(comm, "a-name-that-is-\n");
	/* inherited by a child */
	pid_t pid = t_fork();
	if (pid == 0) {
		char n[32] = {0};
		prctl(PR_GET_NAME, n);
		_exit(strcmp(n, "a-name-that-is-") ? 1 : 0);
	}
	CHECK_EXIT(t_wait(pid), 0);
	CHECK_ERR(prctl(-12345, 0, 0, 0, 0), EINVAL);
}

TEST(exit_group)
{
	pid_t pid = t_fork();
	if (pid == 0)
		syscall(SYS_exit_group, 42);
	CHECK_EXIT(t_wait(pid), 42);
	/* exit of the only thread ends the process too */
	pid = t_fork();
	if (pid == 0)
		syscall(SYS_exit, 43);
	CHECK_EXIT(t_wait(pid), 43);
}

TEST(killed_by_signals)
{
	struct {
		int sig;
		int how;
	} cases[] = {{SIGSEGV, 0}, {SIGILL, 1}, {SIGFPE, 2}, {SIGTRAP, 3},
		     {SIGABRT, 4}, {SIGKILL, 5}, {SIGTERM, 6}, {SIGBUS, 7}};
	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		pid_t pid = t_fork();
		if (pid == 0) {
			switch (cases[i].how) {
			case 0:
				*(volatile int *)T_NULLPTR = 1;
				break;
			case 1:
				__asm__ volatile("ud2");
				break;
			case 2: {
				volatile int zero = 0, x = 1;
				x = x / zero;
				break;
			}
			case 3:
				__asm__ volatile("int3");
				break;
			case 4:
				abort();
			case 5:
				kill(getpid(), SIGKILL);
				break;
			case 6:
				kill(getpid(), SIGTERM);
				break;
			case 7:
				raise(SIGBUS);
				break;
			}
			_exit(0);
		}
		int st = t_wait(pid);
		CHECK_KILLED(st, cases[i].sig);
	}
}

TEST(kill_running_child)
{
	pid_t pid = t_fork();
	if (pid == 0)
		for (;;)
			;
	t_msleep(10);
	CHECK_OK(kill(pid, SIGKILL));
	CHECK_KILLED(t_wait(pid), SIGKILL);
}

TEST(rlimit_inherited)
{
	struct rlimit rl = {64, 64};
	struct rlimit old;
	REQUIRE_OK(getrlimit(RLIMIT_NOFILE, &old));
	rl.rlim_max = old.rlim_max;
	REQUIRE_OK(setrlimit(RLIMIT_NOFILE, &rl));
	pid_t pid = t_fork();
	if (pid == 0) {
		struct rlimit r;
		getrlimit(RLIMIT_NOFILE, &r);
		_exit(r.rlim_cur == 64 ? 0 : 1);
	}
	CHECK_EXIT(t_wait(pid), 0);
}

int main(int argc, char **argv)
{
	g_argc = argc;
	g_argv = argv;
	char **e = environ;
	while (*e)
		e++;
	g_auxv = (const unsigned long *)(e + 1);
	if (argc >= 2 && argv[1][0] == '-' && argv[1][1] == '-')
		return exec_mode(argc, argv);
	return t_main(argc, argv);
}
