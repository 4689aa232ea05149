/*
 * memtest: the memory calls beyond mmap/munmap/mprotect (mmap.c): mremap
 * (shrink, grow in place, move with MREMAP_MAYMOVE, MREMAP_FIXED, errors),
 * madvise (MADV_DONTNEED zero-fills private memory and keeps shared
 * memory, other advice accepted, unknown advice EINVAL), MAP_SHARED
 * anonymous memory shared with a forked child both ways (also after
 * mprotect and mremap), the flags that are hints, and the 8 MiB stack
 * (backed as it is touched).
 */
#define _GNU_SOURCE
#define PROG "memtest"
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define PG 4096

static int wait_status(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void fill(char *p, size_t n, int seed)
{
	for (size_t i = 0; i < n; i += 512)
		p[i] = (char)(seed + i / 512);
}

static int same(const char *p, size_t n, int seed)
{
	for (size_t i = 0; i < n; i += 512)
		if (p[i] != (char)(seed + i / 512))
			return 0;
	return 1;
}

static void test_mremap(void)
{
	int rw = PROT_READ | PROT_WRITE, anon = MAP_PRIVATE | MAP_ANONYMOUS;
	char *p = mmap(0, 4 * PG, rw, anon, -1, 0), *q, *r, *fixed;

	CHECK(p != MAP_FAILED);
	fill(p, 4 * PG, 1);
	/* Shrink: the tail goes. */
	CHECK(mremap(p, 4 * PG, 2 * PG, 0) == p);
	CHECK(same(p, 2 * PG, 1));
	/* Grow in place: the pages after it are free now. */
	q = mremap(p, 2 * PG, 3 * PG, 0);
	CHECK(q == p);
	CHECK(same(p, 2 * PG, 1) && p[2 * PG] == 0);
	/* Block the way, then grow: ENOMEM unless it may move. */
	r = mmap(p + 3 * PG, PG, PROT_READ, anon | MAP_FIXED, -1, 0);
	CHECK(r == p + 3 * PG);
	errno = 0;
	CHECK(mremap(p, 3 * PG, 8 * PG, 0) == MAP_FAILED && errno == ENOMEM);
	q = mremap(p, 3 * PG, 8 * PG, MREMAP_MAYMOVE);
	CHECK(q != MAP_FAILED && q != p);
	if (q != MAP_FAILED) {
		CHECK(same(q, 2 * PG, 1));
		q[7 * PG] = 9;                    /* the new part is there, zeroed */
		CHECK(q[6 * PG] == 0);
	}
	/* The old place is unmapped now: mapping it again with
	 * MAP_FIXED_NOREPLACE works. */
	CHECK(mmap(p, PG, rw, anon | MAP_FIXED_NOREPLACE, -1, 0) == p);
	/* MREMAP_FIXED onto a chosen address, replacing what was there. */
	fixed = mmap(0, 2 * PG, rw, anon, -1, 0);
	CHECK(fixed != MAP_FAILED);
	r = mremap(q, 8 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, fixed);
	CHECK(r == fixed);
	CHECK(r == fixed && same(fixed, 2 * PG, 1));
	errno = 0;
	CHECK(mremap(fixed, PG, PG, MREMAP_FIXED, p) == MAP_FAILED && errno == EINVAL);
	errno = 0;
	CHECK(mremap(fixed + 1, PG, PG, 0) == MAP_FAILED && errno == EINVAL);
	errno = 0;
	CHECK(mremap((char *)0x200000000000, PG, 2 * PG, MREMAP_MAYMOVE) == MAP_FAILED &&
	      errno == EFAULT);
	munmap(fixed, 2 * PG);
	munmap(p, 4 * PG);
	OK("mremap: shrink, grow in place, ENOMEM when blocked, MAYMOVE, FIXED, EINVAL, EFAULT");
}

static void test_madvise(void)
{
	int rw = PROT_READ | PROT_WRITE;
	char *p = mmap(0, 4 * PG, rw, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *s = mmap(0, PG, rw, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	memset(p, 'x', 4 * PG);
	CHECK(madvise(p + PG, 2 * PG, MADV_DONTNEED) == 0);
	CHECK(p[0] == 'x' && p[PG] == 0 && p[3 * PG - 1] == 0 && p[3 * PG] == 'x');
	s[0] = 's';
	CHECK(madvise(s, PG, MADV_DONTNEED) == 0);
	CHECK(s[0] == 's');
	CHECK(madvise(p, 4 * PG, MADV_WILLNEED) == 0);
	CHECK(madvise(p, 4 * PG, MADV_SEQUENTIAL) == 0);
	CHECK(madvise(p, 4 * PG, MADV_FREE) == 0);
	errno = 0;
	CHECK(madvise(p, PG, 9999) == -1 && errno == EINVAL);
	errno = 0;
	CHECK(madvise(p + 1, PG, MADV_DONTNEED) == -1 && errno == EINVAL);
	munmap(p, 4 * PG);
	errno = 0;
	CHECK(madvise(p, PG, MADV_DONTNEED) == -1 && errno == ENOMEM);
	munmap(s, PG);
	OK("madvise: DONTNEED zero-fills private memory, keeps shared; hints accepted; EINVAL, ENOMEM");
}

static void test_shared(void)
{
	int rw = PROT_READ | PROT_WRITE;
	volatile int *s = mmap(0, 3 * PG, rw, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	volatile int *priv = mmap(0, PG, rw, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pid_t pid;

	CHECK(s != MAP_FAILED && priv != MAP_FAILED);
	s[0] = 1;
	priv[0] = 1;
	pid = fork();
	if (pid == 0) {
		int ok = s[0] == 1;
		s[PG / 4] = 3;                    /* a page nobody touched yet */
		priv[0] = 2;                      /* the parent does not see this */
		s[0] = 2;                         /* the parent sees all this: the last word */
		while (s[1] != 1)                 /* until the parent answers */
			sched_yield();
		_exit(ok && s[2 * PG / 4] == 5 ? 0 : 1);
	}
	while (s[0] != 2)
		sched_yield();
	CHECK(s[PG / 4] == 3 && priv[0] == 1);
	/* mprotect keeps it shared. */
	CHECK(mprotect((void *)s, 3 * PG, PROT_READ) == 0);
	CHECK(mprotect((void *)s, 3 * PG, rw) == 0);
	s[2 * PG / 4] = 5;
	s[1] = 1;
	CHECK(wait_status(pid) == 0);
	OK("MAP_SHARED|MAP_ANONYMOUS memory is shared with a forked child both ways, also after mprotect");

	/* Moved by mremap, it stays shared with a new child. */
	s = mremap((void *)s, 3 * PG, 6 * PG, MREMAP_MAYMOVE);
	CHECK(s != MAP_FAILED);
	if (s == MAP_FAILED)
		return;
	s[0] = 0;
	pid = fork();
	if (pid == 0) {
		s[5 * PG / 4] = 7;
		s[0] = 1;
		_exit(0);
	}
	CHECK(wait_status(pid) == 0);
	CHECK(s[0] == 1 && s[5 * PG / 4] == 7);
	munmap((void *)s, 6 * PG);
	munmap((void *)priv, PG);
	OK("mremap'ed shared memory, grown, is still shared");

	CHECK(mmap(0, PG, rw, MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_STACK |
		   MAP_NORESERVE | MAP_POPULATE, -1, 0) != MAP_FAILED);
	errno = 0;
	CHECK(mmap(0, PG, rw, MAP_ANONYMOUS, -1, 0) == MAP_FAILED && errno == EINVAL);
	OK("MAP_GROWSDOWN, MAP_STACK, MAP_NORESERVE, MAP_POPULATE are accepted");
}

/* Use n bytes of stack, touching each page. */
static int __attribute__((noinline)) deep(size_t n)
{
	volatile char buf[64 * 1024];

	buf[0] = 1;
	buf[sizeof(buf) - 1] = 2;
	if (n <= sizeof(buf))
		return buf[0] + buf[sizeof(buf) - 1];
	return deep(n - sizeof(buf)) + buf[0];
}

static void test_stack(void)
{
	struct rlimit rl;
	struct rusage before, after;

	CHECK(getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur == 8u << 20);
	getrusage(RUSAGE_SELF, &before);
	CHECK(deep(7u << 20) > 0);                /* 7 MiB of the 8 */
	getrusage(RUSAGE_SELF, &after);
	CHECK(after.ru_minflt - before.ru_minflt >= 100);   /* backed page by page */
	OK("the 8 MiB stack: 7 MiB used, backed as touched");
}

int main(void)
{
	test_mremap();
	test_madvise();
	test_shared();
	test_stack();
	return finish();
}
