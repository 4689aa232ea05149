/*
 * auxvtest: what execve gives a new program (exec.c): the auxiliary vector
 * (getauxval), the initial stack's layout, the environment the kernel
 * starts a program with, arguments and environment passed through execve
 * of another embedded program (up to 100 KiB of them), E2BIG past the
 * limit, ENOENT, and ENOEXEC for a dynamically linked program.
 *   auxvtest                 the checks, each execve in a forked child
 *   auxvtest child ARGS...   the execve'd side: checks what it was given
 *   auxvtest big N           checks N arguments and N environment entries
 */
#define PROG "auxvtest"
#include <elf.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

extern char **environ;
extern const Elf64_Ehdr __ehdr_start;     /* the linker's: the ELF header in memory */
void _start(void);

/* Run argv[0] = "auxvtest" with argv and envp in a child; its exit status. */
static int run(char *const argv[], char *const envp[])
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		execve("/bin/auxvtest", argv, envp);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* One string of n bytes, made of the letter for index i. */
static char *pattern(const char *prefix, int i, size_t n)
{
	size_t k = strlen(prefix);
	char *s = malloc(k + n + 1);

	memcpy(s, prefix, k);
	memset(s + k, 'a' + i % 26, n);
	s[k + n] = 0;
	return s;
}

#define BIG_LEN 500

static int big_child(int argc, char **argv)
{
	int n = atoi(argv[2]), envc = 0;

	CHECK(argc == n + 3);
	for (int i = 0; i < n && i + 3 < argc; i++) {
		char *want = pattern("", i, BIG_LEN);
		CHECK(strcmp(argv[i + 3], want) == 0);
		free(want);
	}
	for (char **e = environ; *e; e++, envc++) {
		char *want = pattern("V=", envc, BIG_LEN);
		CHECK(strcmp(*e, want) == 0);
		free(want);
	}
	CHECK(envc == n);
	return fails ? 1 : 0;
}

static int child(int argc, char **argv)
{
	CHECK(argc == 4);
	CHECK(argc == 4 && strcmp(argv[2], "a b") == 0 && strcmp(argv[3], "") == 0);
	CHECK(getenv("FOO") && strcmp(getenv("FOO"), "bar") == 0);
	CHECK(getenv("EMPTY") && strcmp(getenv("EMPTY"), "") == 0);
	CHECK(getenv("HOME") == 0);               /* only what execve passed */
	CHECK(strcmp((char *)getauxval(AT_EXECFN), "/bin/auxvtest") == 0);
	return fails ? 1 : 0;
}

int main(int argc, char **argv)
{
	uintptr_t phdr = getauxval(AT_PHDR), rnd = getauxval(AT_RANDOM);
	char *execfn = (char *)getauxval(AT_EXECFN), *plat = (char *)getauxval(AT_PLATFORM);
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);

	if (argc >= 1 && argv[0][0] == 0)          /* execve'd with an empty argv */
		return argc == 1 && argv[1] == 0 ? 21 : 1;
	if (argc >= 2 && strcmp(argv[1], "child") == 0)
		return child(argc, argv);
	if (argc >= 3 && strcmp(argv[1], "big") == 0)
		return big_child(argc, argv);

	/* The auxiliary vector. */
	CHECK(getauxval(AT_PAGESZ) == 4096);
	CHECK(phdr == (uintptr_t)&__ehdr_start + __ehdr_start.e_phoff);
	CHECK(getauxval(AT_PHENT) == sizeof(Elf64_Phdr));
	CHECK(getauxval(AT_PHNUM) == __ehdr_start.e_phnum);
	CHECK(getauxval(AT_ENTRY) == (uintptr_t)_start);
	CHECK(getauxval(AT_BASE) == 0);
	CHECK(getauxval(AT_FLAGS) == 0);
	CHECK(getauxval(AT_UID) == 0 && getauxval(AT_EUID) == 0);
	CHECK(getauxval(AT_GID) == 0 && getauxval(AT_EGID) == 0);
	CHECK(getauxval(AT_SECURE) == 0);
	CHECK(getauxval(AT_CLKTCK) == 100);
	CHECK(getauxval(AT_HWCAP2) == 0);
	CHECK(getauxval(AT_MINSIGSTKSZ) >= 2048);
	CHECK(getauxval(AT_SYSINFO_EHDR) == 0);   /* no vDSO */
	CHECK(plat && strcmp(plat, "x86_64") == 0);
	CHECK(execfn && strcmp(execfn, "auxvtest") == 0);
	CHECK(rnd != 0);
	if (rnd) {
		const unsigned char *r = (const unsigned char *)rnd;
		int nonzero = 0;
		for (int i = 0; i < 16; i++)
			nonzero += r[i] != 0;
		CHECK(nonzero > 4);
	}
	OK("auxv: AT_PHDR, AT_PHENT, AT_PHNUM, AT_ENTRY, AT_PAGESZ, ids, AT_RANDOM, AT_PLATFORM, AT_EXECFN");
	printf("auxvtest: AT_HWCAP 0x%lx\n", getauxval(AT_HWCAP));

	/* The initial stack, Linux's layout: argv strings, then the
	 * environment's, then AT_EXECFN's at the top; AT_RANDOM and
	 * AT_PLATFORM just below the strings, all of it above our frame. */
	CHECK(argc == 1 && strcmp(argv[0], "auxvtest") == 0);
	CHECK(argv[argc] == 0);
	CHECK(environ == argv + argc + 1);
	CHECK(environ[0] && environ[1] && !environ[2]);
	CHECK(getenv("HOME") && strcmp(getenv("HOME"), "/") == 0);
	CHECK(getenv("TERM") && strcmp(getenv("TERM"), "linux") == 0);
	CHECK((uintptr_t)argv[0] < (uintptr_t)environ[0]);
	CHECK((uintptr_t)environ[1] < (uintptr_t)execfn);
	CHECK(rnd < (uintptr_t)plat && (uintptr_t)plat < (uintptr_t)argv[0]);
	CHECK(sp < (uintptr_t)argv && (uintptr_t)argv < rnd);
	CHECK(((uintptr_t)(argv - 1) & 15) == 0); /* RSP at argc, 16-byte aligned */
	CHECK(execfn + strlen(execfn) + 1 + 8 == (char *)0x7ffff000);
	OK("stack layout: argc, argv, envp, auxv, AT_RANDOM, AT_PLATFORM, strings, AT_EXECFN");

	/* execve passes argv and envp. */
	{
		char *cargv[] = { "auxvtest", "child", "a b", "", 0 };
		char *cenv[] = { "FOO=bar", "EMPTY=", 0 };
		char *empty[] = { 0 };
		CHECK(run(cargv, cenv) == 0);
		CHECK(run(empty, cenv) == 21);            /* argv[0] = "", as Linux */
	}
	OK("execve passes argv and envp to the new program");

	/* About 100 KiB of arguments and environment, then past the limit. */
	{
		int n = 100;                      /* 2 x 100 x ~500 bytes */
		char **bargv = calloc(n + 4, sizeof(char *)), **benv = calloc(n + 1, sizeof(char *));
		char num[16];
		snprintf(num, sizeof(num), "%d", n);
		bargv[0] = "auxvtest";
		bargv[1] = "big";
		bargv[2] = num;
		for (int i = 0; i < n; i++) {
			bargv[i + 3] = pattern("", i, BIG_LEN);
			benv[i] = pattern("V=", i, BIG_LEN);
		}
		CHECK(run(bargv, benv) == 0);
		OK("execve with 100 KiB of arguments and environment");

		n = 600;                          /* 600 KiB: past ARG_MAX */
		bargv = calloc(n + 1, sizeof(char *));
		for (int i = 0; i < n; i++)
			bargv[i] = pattern("", i, 1024);
		errno = 0;
		CHECK(execve("/bin/auxvtest", bargv, environ) == -1 && errno == E2BIG);
		OK("execve past the argument limit: E2BIG, and the caller goes on");
	}

	errno = 0;
	CHECK(execve("/bin/no-such-program", argv, environ) == -1 && errno == ENOENT);
	errno = 0;
	CHECK(execve("/bin/dynhello", argv, environ) == -1 && errno == ENOEXEC);
	OK("execve of a missing program: ENOENT; of a dynamically linked one: ENOEXEC");
	return finish();
}
