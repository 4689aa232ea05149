/* mem: brk, anonymous and file mappings (private and shared, across
 * fork), munmap/mprotect faults, mremap, madvise, mmap errors, MAP_FIXED,
 * executable memory, arch_prctl and the thread pointer, stack growth, big
 * allocations and /proc/self/maps. */
#define T_GROUP "mem"
#include "t.h"

#include <setjmp.h>
#include <sys/mman.h>
#include <sys/resource.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MREMAP_MAYMOVE
#define MREMAP_MAYMOVE 1
#endif
#ifndef MREMAP_FIXED
#define MREMAP_FIXED 2
#endif
#define T_ARCH_SET_FS 0x1002
#define T_ARCH_GET_FS 0x1003

#define PAGE 4096UL

/* ---- Probing an address: 0 if the access worked, else the signal ---- */

static sigjmp_buf probe_jb;
static volatile int probe_sig, probe_code;
static void *volatile probe_addr;

static void probe_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	probe_sig = sig;
	probe_code = si->si_code;
	probe_addr = si->si_addr;
	siglongjmp(probe_jb, 1);
}

static void probe_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = probe_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

static int probe(volatile char *p, int write)
{
	probe_install();
	probe_sig = probe_code = 0;
	probe_addr = NULL;
	if (sigsetjmp(probe_jb, 1) == 0) {
		if (write)
			*p = *p;
		else
			(void)*p;
		return 0;
	}
	return probe_sig;
}

#define CHECK_FAULT(p, write, sig, code)                                      \
	do {                                                                  \
		volatile char *t_p_ = (volatile char *)(p);                   \
		int t_s_ = probe(t_p_, write);                                \
		CHECK_MSG(t_s_ == (sig) && probe_code == (code) &&            \
				  probe_addr == (void *)t_p_,                 \
			  "%s of %p: expected %s code %d, got %s code %d at %p", \
			  (write) ? "write" : "read", (void *)t_p_,           \
			  t_signame(sig), (code), t_s_ ? t_signame(t_s_) : "no signal", \
			  probe_code, probe_addr);                            \
	} while (0)

#define CHECK_NO_FAULT(p, write)                                              \
	do {                                                                  \
		int t_s_ = probe((volatile char *)(p), write);                \
		CHECK_MSG(t_s_ == 0, "%s of %p: %s code %d",                  \
			  (write) ? "write" : "read", (void *)(p),            \
			  t_signame(t_s_), probe_code);                       \
	} while (0)

static char *map_anon(size_t len, int prot, int flags)
{
	char *p = mmap(NULL, len, prot, flags | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		t_fail(__FILE__, __LINE__, "mmap(%zu) failed: %s", len, t_errname(errno));
		T_STOP();
	}
	return p;
}

TEST(brk)
{
	char *cur = (char *)syscall(SYS_brk, 0);
	REQUIRE(cur != NULL && cur != (char *)-1);
	CHECK_EQ((long)syscall(SYS_brk, 0), (long)cur); /* asking twice */
	char *want = cur + 256 * 1024;
	char *got = (char *)syscall(SYS_brk, want);
	REQUIRE(got == want);
	/* new memory is zero and writable */
	size_t nonzero = 0;
	for (char *p = cur; p < want; p += 512)
		nonzero += *p != 0;
	CHECK_EQ(nonzero, 0);
	memset(cur, 0x5a, (size_t)(want - cur));
	CHECK_EQ(cur[1000], 0x5a);
	/* shrink: the memory above is gone */
	char *small = cur + 8192;
	CHECK_EQ((long)syscall(SYS_brk, small), (long)small);
	CHECK_NO_FAULT(cur + 100, 1);
	char *above = (char *)(((uintptr_t)small + PAGE - 1) & ~(PAGE - 1)) + PAGE;
	CHECK_FAULT(above, 0, SIGSEGV, SEGV_MAPERR);
	/* grow again: zero, not the old bytes */
	CHECK_EQ((long)syscall(SYS_brk, want), (long)want);
	CHECK_EQ(above[10], 0);
	/* an impossible request leaves it where it was */
	CHECK_EQ((long)syscall(SYS_brk, (char *)0x7ffffffff000UL + 0x100000000UL), (long)want);
	CHECK_EQ((long)syscall(SYS_brk, 0), (long)want);
	CHECK_EQ((long)syscall(SYS_brk, cur), (long)cur);
}

TEST(sbrk_malloc)
{
	/* the libc allocators on top of it */
	void *a = malloc(100);
	void *b = malloc(1 << 20);
	void *c = calloc(1000, 1000);
	REQUIRE(a && b && c);
	memset(a, 1, 100);
	memset(b, 2, 1 << 20);
	size_t nz = 0;
	for (size_t i = 0; i < 1000000; i += 997)
		nz += ((char *)c)[i] != 0;
	CHECK_EQ(nz, 0);
	void *d = realloc(b, 4 << 20);
	REQUIRE(d != NULL);
	CHECK_EQ(((char *)d)[(1 << 20) - 1], 2);
	free(a);
	free(c);
	free(d);
	for (int i = 0; i < 10000; i++)
		free(malloc((size_t)(i % 500) * 16 + 1));
}

TEST(anon_private)
{
	size_t len = 16 * PAGE;
	char *p = map_anon(len, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	CHECK_EQ((uintptr_t)p % PAGE, 0);
	size_t nz = 0;
	for (size_t i = 0; i < len; i++)
		nz += p[i] != 0;
	CHECK_EQ(nz, 0);
	for (size_t i = 0; i < len; i += PAGE)
		p[i] = (char)(i / PAGE + 1);
	for (size_t i = 0; i < len; i += PAGE)
		CHECK_EQ(p[i], (char)(i / PAGE + 1));
	/* punch out one page in the middle */
	CHECK_OK(munmap(p + 5 * PAGE, PAGE));
	CHECK_FAULT(p + 5 * PAGE, 0, SIGSEGV, SEGV_MAPERR);
	CHECK_NO_FAULT(p + 4 * PAGE, 1);
	CHECK_NO_FAULT(p + 6 * PAGE, 1);
	CHECK_EQ(p[6 * PAGE], 7);
	CHECK_OK(munmap(p, len)); /* across the hole is fine */
	CHECK_FAULT(p, 0, SIGSEGV, SEGV_MAPERR);
	/* a length that is not a multiple of the page size rounds up */
	char *q = map_anon(100, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	CHECK_NO_FAULT(q + PAGE - 1, 1);
	CHECK_OK(munmap(q, 100));
}

TEST(anon_private_fork)
{
	char *p = map_anon(4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	memset(p, 'a', 4 * PAGE);
	int sync[2];
	REQUIRE_OK(pipe(sync));
	pid_t pid = t_fork();
	if (pid == 0) {
		int bad = p[0] != 'a';
		memset(p, 'c', 4 * PAGE);
		write(sync[1], "x", 1);
		_exit(bad || p[PAGE] != 'c');
	}
	char c;
	CHECK_EQ(read(sync[0], &c, 1), 1);
	CHECK_EQ(p[0], 'a');
	CHECK_EQ(p[4 * PAGE - 1], 'a');
	CHECK_EXIT(t_wait(pid), 0);
}

TEST(anon_shared_fork)
{
	size_t len = 8 * PAGE;
	volatile char *p = map_anon(len, PROT_READ | PROT_WRITE, MAP_SHARED);
	p[0] = 'p';
	int sync[2], back[2];
	REQUIRE_OK(pipe(sync));
	REQUIRE_OK(pipe(back));
	pid_t pid = t_fork();
	if (pid == 0) {
		int bad = p[0] != 'p';
		for (size_t i = 0; i < len; i += PAGE)
			p[i + 1] = 'c';
		write(back[1], "w", 1);
		char c;
		read(sync[0], &c, 1);
		bad |= p[2] != 'P'; /* the parent's later write */
		_exit(bad);
	}
	char c;
	CHECK_EQ(read(back[0], &c, 1), 1);
	size_t seen = 0;
	for (size_t i = 0; i < len; i += PAGE)
		seen += p[i + 1] == 'c';
	CHECK_EQ(seen, len / PAGE);
	p[2] = 'P';
	write(sync[1], "g", 1);
	CHECK_EXIT(t_wait(pid), 0);
}

static int make_file(const char *name, size_t len)
{
	int fd = open(name, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	char buf[4096];
	for (size_t off = 0; off < len; off += sizeof buf) {
		for (size_t i = 0; i < sizeof buf; i++)
			buf[i] = (char)('A' + (off + i) % 23);
		size_t n = len - off < sizeof buf ? len - off : sizeof buf;
		if (write(fd, buf, n) != (ssize_t)n)
			return -1;
	}
	return fd;
}

TEST(file_private)
{
	size_t len = 3 * PAGE + 100;
	int fd = REQUIRE_OK(make_file("f", len));
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	REQUIRE(p != MAP_FAILED);
	size_t bad = 0;
	for (size_t i = 0; i < len; i++)
		bad += p[i] != (char)('A' + i % 23);
	CHECK_EQ(bad, 0);
	/* past EOF, inside the last page: zeros */
	CHECK_EQ(p[len], 0);
	CHECK_EQ(p[4 * PAGE - 1], 0);
	/* writes stay private */
	memset(p, 'z', PAGE);
	p[len - 1] = 'z';
	char buf[8];
	CHECK_EQ(pread(fd, buf, 1, 0), 1);
	CHECK_EQ(buf[0], 'A');
	CHECK_OK(munmap(p, len));
	CHECK_EQ(pread(fd, buf, 1, (off_t)len - 1), 1);
	CHECK_EQ(buf[0], (char)('A' + (len - 1) % 23));
	struct stat st;
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_size, len);
	/* with an offset, and after the fd is closed */
	p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 2 * PAGE);
	REQUIRE(p != MAP_FAILED);
	close(fd);
	CHECK_EQ(p[0], (char)('A' + (2 * PAGE) % 23));
	CHECK_EQ(p[5], (char)('A' + (2 * PAGE + 5) % 23));
}

TEST(file_shared)
{
	size_t len = 2 * PAGE;
	int fd = REQUIRE_OK(make_file("f", len));
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	REQUIRE(p != MAP_FAILED);
	memcpy(p + 10, "shared", 6);
	/* read() sees the mapping's writes */
	char buf[8] = {0};
	CHECK_EQ(pread(fd, buf, 6, 10), 6);
	CHECK_STR(buf, "shared");
	/* and the mapping sees write()s */
	CHECK_EQ(pwrite(fd, "WRITE", 5, PAGE + 1), 5);
	CHECK(memcmp(p + PAGE + 1, "WRITE", 5) == 0);
	CHECK_OK(msync(p, len, MS_SYNC));
	CHECK_OK(munmap(p, len));
	CHECK_EQ(pread(fd, buf, 6, 10), 6);
	CHECK_STR(buf, "shared");
	/* shared between processes through the file */
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	REQUIRE(p != MAP_FAILED);
	pid_t pid = t_fork();
	if (pid == 0) {
		p[100] = '!';
		_exit(0);
	}
	CHECK_EXIT(t_wait(pid), 0);
	CHECK_EQ(p[100], '!');
	/* a read-only descriptor cannot be mapped shared and writable */
	int ro = REQUIRE_OK(open("f", O_RDONLY));
	CHECK(mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0) == MAP_FAILED);
	CHECK_EQ(errno, EACCES);
	char *r = mmap(NULL, len, PROT_READ, MAP_SHARED, ro, 0);
	CHECK(r != MAP_FAILED);
	if (r != MAP_FAILED)
		CHECK_EQ(r[100], '!');
}

TEST(sigbus_past_eof)
{
	int fd = REQUIRE_OK(make_file("f", 100));
	char *p = mmap(NULL, 3 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	REQUIRE(p != MAP_FAILED);
	CHECK_NO_FAULT(p + 50, 0);
	CHECK_NO_FAULT(p + PAGE - 1, 0); /* the rest of the last page */
	CHECK_FAULT(p + PAGE, 0, SIGBUS, BUS_ADRERR);
	CHECK_FAULT(p + 2 * PAGE + 7, 0, SIGBUS, BUS_ADRERR);
	/* the file grows: the page becomes readable */
	CHECK_OK(ftruncate(fd, 2 * PAGE));
	CHECK_NO_FAULT(p + PAGE, 0);
	CHECK_EQ(p[PAGE], 0);
}

TEST(munmap_then_access)
{
	char *p = map_anon(2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	p[0] = 1;
	CHECK_OK(munmap(p, 2 * PAGE));
	CHECK_FAULT(p, 0, SIGSEGV, SEGV_MAPERR);
	CHECK_FAULT(p + PAGE + 5, 1, SIGSEGV, SEGV_MAPERR);
	/* unmapping what is not mapped is not an error */
	CHECK_OK(munmap(p, 2 * PAGE));
	CHECK_ERR(munmap(p + 1, PAGE), EINVAL);
	CHECK_ERR(munmap(p, 0), EINVAL);
	/* and the killing default */
	pid_t pid = t_fork();
	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);
		*(volatile char *)p = 1;
		_exit(0);
	}
	CHECK_KILLED(t_wait(pid), SIGSEGV);
}

TEST(mprotect)
{
	char *p = map_anon(3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	memset(p, 7, 3 * PAGE);
	CHECK_OK(mprotect(p + PAGE, PAGE, PROT_READ));
	CHECK_FAULT(p + PAGE + 3, 1, SIGSEGV, SEGV_ACCERR);
	CHECK_NO_FAULT(p + PAGE + 3, 0);
	CHECK_EQ(p[PAGE + 3], 7);
	CHECK_NO_FAULT(p, 1); /* neighbours untouched */
	CHECK_NO_FAULT(p + 2 * PAGE, 1);
	CHECK_OK(mprotect(p + PAGE, PAGE, PROT_NONE));
	CHECK_FAULT(p + PAGE, 0, SIGSEGV, SEGV_ACCERR);
	CHECK_OK(mprotect(p, 3 * PAGE, PROT_READ | PROT_WRITE));
	CHECK_NO_FAULT(p + PAGE, 1);
	CHECK_EQ(p[PAGE + 100], 7); /* contents survive PROT_NONE */
	/* by number: musl's mprotect() rounds the address down itself */
	CHECK_ERR(syscall(SYS_mprotect, p + 1, PAGE, PROT_READ), EINVAL);
	CHECK_OK(munmap(p + 2 * PAGE, PAGE));
	CHECK_ERR(mprotect(p + 2 * PAGE, PAGE, PROT_READ), ENOMEM);
	/* mapped read-only from the start */
	char *r = map_anon(PAGE, PROT_READ, MAP_PRIVATE);
	CHECK_FAULT(r, 1, SIGSEGV, SEGV_ACCERR);
	CHECK_EQ(r[0], 0);
	/* the killing default */
	pid_t pid = t_fork();
	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);
		*(volatile char *)r = 1;
		_exit(0);
	}
	CHECK_KILLED(t_wait(pid), SIGSEGV);
}

TEST(mremap)
{
	char *p = map_anon(2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	for (size_t i = 0; i < 2 * PAGE; i++)
		p[i] = (char)(i % 251);
	/* block growth in place with a mapping right after */
	char *blocker = mmap(p + 2 * PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	int blocked = blocker == p + 2 * PAGE;
	if (blocked)
		CHECK(mremap(p, 2 * PAGE, 64 * PAGE, 0) == MAP_FAILED && errno == ENOMEM);
	char *q = mremap(p, 2 * PAGE, 64 * PAGE, MREMAP_MAYMOVE);
	REQUIRE(q != MAP_FAILED);
	size_t bad = 0;
	for (size_t i = 0; i < 2 * PAGE; i++)
		bad += q[i] != (char)(i % 251);
	CHECK_EQ(bad, 0);
	CHECK_EQ(q[64 * PAGE - 1], 0); /* the new part is zero */
	q[64 * PAGE - 1] = 1;
	if (q != p)
		CHECK_FAULT(p, 0, SIGSEGV, SEGV_MAPERR); /* the old range is gone */
	/* shrink in place */
	char *s = mremap(q, 64 * PAGE, PAGE, 0);
	CHECK(s == q);
	CHECK_FAULT(q + 2 * PAGE, 0, SIGSEGV, SEGV_MAPERR);
	CHECK_EQ(q[100], (char)(100 % 251));
	/* to a fixed place */
	char *dst = map_anon(4 * PAGE, PROT_READ, MAP_PRIVATE);
	char *f = mremap(q, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, dst + PAGE);
	CHECK(f == dst + PAGE);
	if (f == dst + PAGE)
		CHECK_EQ(f[100], (char)(100 % 251));
	CHECK(mremap(dst, PAGE, PAGE, MREMAP_FIXED, dst + 2 * PAGE) == MAP_FAILED);
	CHECK_EQ(errno, EINVAL); /* FIXED without MAYMOVE */
	if (blocked)
		munmap(blocker, PAGE);
}

TEST(madvise_dontneed)
{
	size_t len = 8 * PAGE;
	char *p = map_anon(len, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	memset(p, 0x77, len);
	CHECK_OK(madvise(p + 2 * PAGE, 3 * PAGE, MADV_DONTNEED));
	CHECK_EQ(p[2 * PAGE], 0);
	CHECK_EQ(p[5 * PAGE - 1], 0);
	CHECK_EQ(p[PAGE], 0x77);
	CHECK_EQ(p[5 * PAGE], 0x77);
	/* still mapped and writable */
	p[3 * PAGE] = 1;
	CHECK_EQ(p[3 * PAGE], 1);
	/* a shared mapping keeps its contents */
	char *s = map_anon(2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED);
	memset(s, 0x33, 2 * PAGE);
	CHECK_OK(madvise(s, 2 * PAGE, MADV_DONTNEED));
	CHECK_EQ(s[10], 0x33);
	/* a private file mapping goes back to the file's bytes */
	int fd = REQUIRE_OK(make_file("f", PAGE));
	char *m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	REQUIRE(m != MAP_FAILED);
	m[0] = '#';
	CHECK_OK(madvise(m, PAGE, MADV_DONTNEED));
	CHECK_EQ(m[0], 'A');
	CHECK_OK(madvise(p, len, MADV_NORMAL));
	CHECK_ERR(madvise(p + 1, PAGE, MADV_DONTNEED), EINVAL);
}

TEST(mmap_errors)
{
	/* absurd sizes */
	void *p = mmap(NULL, 1UL << 50, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p == MAP_FAILED);
	CHECK_EQ(errno, ENOMEM);
	p = mmap(NULL, (size_t)-4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p == MAP_FAILED);
	CHECK_EQ(errno, ENOMEM);
	p = mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p == MAP_FAILED);
	CHECK_EQ(errno, EINVAL);
	/* neither private nor shared */
	errno = 0;
	CHECK_EQ(syscall(SYS_mmap, 0, PAGE, PROT_READ, MAP_ANONYMOUS, -1, 0), -1);
	CHECK_EQ(errno, EINVAL);
	/* MAP_FIXED at an unaligned address */
	char *base = map_anon(2 * PAGE, PROT_READ, MAP_PRIVATE);
	p = mmap(base + 1, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK(p == MAP_FAILED);
	CHECK_EQ(errno, EINVAL);
	/* file mappings: a bad fd, an unaligned offset */
	errno = 0;
	CHECK_EQ(syscall(SYS_mmap, 0, PAGE, PROT_READ, MAP_PRIVATE, 999, 0), -1);
	CHECK_EQ(errno, EBADF);
	int fd = REQUIRE_OK(make_file("f", PAGE));
	errno = 0;
	CHECK_EQ(syscall(SYS_mmap, 0, PAGE, PROT_READ, MAP_PRIVATE, fd, 100), -1);
	CHECK_EQ(errno, EINVAL);
	/* a write-only descriptor cannot be mapped */
	int wo = REQUIRE_OK(open("f", O_WRONLY));
	errno = 0;
	CHECK_EQ(syscall(SYS_mmap, 0, PAGE, PROT_READ, MAP_PRIVATE, wo, 0), -1);
	CHECK_EQ(errno, EACCES);
	/* a pipe cannot be mapped */
	int pp[2];
	REQUIRE_OK(pipe(pp));
	errno = 0;
	CHECK_EQ(syscall(SYS_mmap, 0, PAGE, PROT_READ, MAP_PRIVATE, pp[0], 0), -1);
	CHECK_EQ(errno, ENODEV);
}

TEST(map_fixed)
{
	char *p = map_anon(3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	memset(p, 'x', 3 * PAGE);
	/* MAP_FIXED replaces what was there */
	char *q = mmap(p + PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK(q == p + PAGE);
	CHECK_EQ(p[PAGE], 0);
	CHECK_EQ(p[0], 'x');
	CHECK_EQ(p[2 * PAGE], 'x');
	/* MAP_FIXED_NOREPLACE refuses */
	q = mmap(p + PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	CHECK(q == MAP_FAILED);
	CHECK_EQ(errno, EEXIST);
	/* but takes a free place */
	CHECK_OK(munmap(p + 2 * PAGE, PAGE));
	q = mmap(p + 2 * PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	CHECK(q == p + 2 * PAGE);
}

TEST(dev_zero_mapping)
{
	int fd = REQUIRE_OK(open("/dev/zero", O_RDWR));
	char *p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	REQUIRE(p != MAP_FAILED);
	CHECK_EQ(p[0] | p[4 * PAGE - 1], 0);
	p[5] = 5;
	CHECK_EQ(p[5], 5);
	/* shared /dev/zero is shared anonymous memory */
	char *s = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	REQUIRE(s != MAP_FAILED);
	pid_t pid = t_fork();
	if (pid == 0) {
		s[0] = 's';
		_exit(0);
	}
	CHECK_EXIT(t_wait(pid), 0);
	CHECK_EQ(s[0], 's');
}

TEST(exec_memory)
{
	/* mov $42, %eax; ret */
	static const unsigned char code[] = {0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3};
	unsigned char *p = (unsigned char *)map_anon(PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	memcpy(p, code, sizeof code);
	CHECK_OK(mprotect(p, PAGE, PROT_READ | PROT_EXEC));
	int (*fn)(void) = (int (*)(void))(void *)p;
	CHECK_EQ(fn(), 42);
	/* rewritten and run again */
	CHECK_OK(mprotect(p, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC));
	p[1] = 7;
	CHECK_EQ(fn(), 7);
}

TEST(no_exec_memory)
{
	/* running code in a page without PROT_EXEC faults at that page */
	unsigned char *p = (unsigned char *)map_anon(PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	p[0] = 0xc3; /* ret */
	pid_t pid = t_fork();
	if (pid == 0) {
		((void (*)(void))(void *)p)();
		_exit(0);
	}
	CHECK_KILLED(t_wait(pid), SIGSEGV);
}

TEST(arch_prctl_fs)
{
	unsigned long fs = 0, tp;
	CHECK_OK(syscall(SYS_arch_prctl, T_ARCH_GET_FS, &fs));
	__asm__ volatile("mov %%fs:0, %0" : "=r"(tp));
	CHECK(fs != 0);
	CHECK_EQ(fs, tp); /* the TCB points to itself: the thread pointer */
	CHECK_EQ(fs, (unsigned long)__builtin_thread_pointer());
	/* thread-local variables live there */
	static __thread int tls_var = 5;
	CHECK_EQ(tls_var, 5);
	tls_var = 6;
	CHECK_EQ(tls_var, 6);
	/* ARCH_SET_FS to another block, read through %fs, then back (no libc
	 * call in between: libc itself reads %fs) */
	static unsigned long block[4] = {0, 0x1234567890abcdefUL, 0, 0};
	block[0] = (unsigned long)block;
	unsigned long seen = 0;
	long r1, r2;
	__asm__ volatile("mov $158, %%eax\n\t"
			 "mov $0x1002, %%edi\n\t"
			 "mov %[blk], %%rsi\n\t"
			 "syscall\n\t"
			 "mov %%rax, %[r1]\n\t"
			 "mov %%fs:8, %%rdx\n\t"
			 "mov %%rdx, %[seen]\n\t"
			 "mov $158, %%eax\n\t"
			 "mov $0x1002, %%edi\n\t"
			 "mov %[old], %%rsi\n\t"
			 "syscall\n\t"
			 "mov %%rax, %[r2]\n\t"
			 : [r1] "=m"(r1), [r2] "=m"(r2), [seen] "=m"(seen)
			 : [blk] "r"(block), [old] "r"(fs)
			 : "rax", "rcx", "rdx", "rdi", "rsi", "r11", "memory");
	CHECK_EQ(r1, 0);
	CHECK_EQ(r2, 0);
	CHECK_EQ(seen, 0x1234567890abcdefUL);
	unsigned long after = 0;
	CHECK_OK(syscall(SYS_arch_prctl, T_ARCH_GET_FS, &after));
	CHECK_EQ(after, fs);
	CHECK_ERR(syscall(SYS_arch_prctl, 0x9999, &after), EINVAL);
	/* inherited by a child */
	pid_t pid = t_fork();
	if (pid == 0) {
		unsigned long c = 0;
		syscall(SYS_arch_prctl, T_ARCH_GET_FS, &c);
		_exit(c == fs && tls_var == 6 ? 0 : 1);
	}
	CHECK_EXIT(t_wait(pid), 0);
}

/* Frames of 64 KiB, each page written top down; the number of frames. */
static long touch_stack(size_t bytes)
{
	volatile char frame[65536];
	for (long i = (long)sizeof frame - 1; i >= 0; i -= 4096)
		frame[i] = (char)(i >> 12);
	long n = 1;
	if (bytes > sizeof frame)
		n += touch_stack(bytes - sizeof frame);
	/* still intact after the deeper frames ran */
	for (long i = (long)sizeof frame - 1; i >= 0; i -= 4096)
		if (frame[i] != (char)(i >> 12))
			return -1000000;
	return n;
}

TEST(stack_growth)
{
	struct rlimit rl;
	REQUIRE_OK(getrlimit(RLIMIT_STACK, &rl));
	size_t want = 4 << 20;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur / 2 < want)
		want = rl.rlim_cur / 2;
	CHECK(want >= (1 << 20));
	CHECK_EQ(touch_stack(want), (long)((want + 65535) / 65536));
}

TEST(big_allocation)
{
	size_t len = 64 << 20;
	char *p = map_anon(len, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	for (size_t i = 0; i < len; i += PAGE)
		p[i] = (char)(i >> 12);
	size_t bad = 0;
	for (size_t i = 0; i < len; i += PAGE)
		bad += p[i] != (char)(i >> 12);
	CHECK_EQ(bad, 0);
	CHECK_OK(munmap(p, len));
	/* and through malloc, twice, so the memory is reused */
	for (int round = 0; round < 2; round++) {
		char *m = malloc(32 << 20);
		REQUIRE(m != NULL);
		memset(m, round + 1, 32 << 20);
		CHECK_EQ(m[(32 << 20) - 1], round + 1);
		free(m);
	}
}

TEST(proc_self_maps)
{
	char *p = map_anon(3 * PAGE, PROT_READ, MAP_PRIVATE);
	CHECK_OK(mprotect(p + PAGE, PAGE, PROT_READ | PROT_WRITE));
	static char maps[65536];
	ssize_t n = t_get("/proc/self/maps", maps, sizeof maps);
	REQUIRE(n > 0);
	char want[64];
	snprintf(want, sizeof want, "%lx-%lx rw-p ", (unsigned long)(p + PAGE),
		 (unsigned long)(p + 2 * PAGE));
	CHECK_MSG(strstr(maps, want) != NULL, "no \"%s\" in /proc/self/maps", want);
	snprintf(want, sizeof want, "%lx-%lx r--p ", (unsigned long)p, (unsigned long)(p + PAGE));
	CHECK_MSG(strstr(maps, want) != NULL, "no \"%s\" in /proc/self/maps", want);
	CHECK_MSG(strstr(maps, "[stack]") != NULL, "no [stack] in /proc/self/maps");
}

/* 0x7fff00001000: where trapvisor's context processes keep the stub's data
 * page, outside the guest's address space (docs/THREAT-MODEL.md).  On
 * Linux nothing is mapped there (unless the stack happens to be: then
 * /proc/self/maps says so) and a read faults.  Under trapvisor the page
 * is readable, but it must not show the monitor's last batch of mapping
 * changes (another process's virtual and guest physical addresses): the
 * monitor clears it after each batch.  Its last part holds the contexts'
 * seccomp filter, which is no secret. */
TEST(stub_data_page_shows_nothing)
{
	volatile unsigned long *data = (volatile unsigned long *)0x7fff00001000UL;
	static char maps[65536];

	if (probe((volatile char *)data, 0) != 0)
		return;                 /* Linux: nothing there */
	ssize_t n = t_get("/proc/self/maps", maps, sizeof maps);
	REQUIRE(n > 0);
	for (char *l = maps; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		unsigned long lo, hi;
		if (sscanf(l, "%lx-%lx", &lo, &hi) == 2 && lo <= (unsigned long)data &&
		    (unsigned long)data < hi)
			return;         /* something of ours is mapped there */
	}
	for (int i = 0; i < 2816 / 8; i++)
		CHECK_MSG(data[i] == 0, "word %d of the stub data page is 0x%lx", i, data[i]);
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
