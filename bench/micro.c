/*
 * micro [-m] [-r ROUNDS] [-t MS] NAME...|all: the operating-system micro-
 * benchmarks that bench/peers.sh runs, as one static program, natively, in
 * trapvisor, in User Mode Linux and in QEMU, so that every column of its
 * table measures the very same instructions.
 *
 * For each benchmark NAME it runs one operation untimed, picks a number of
 * operations per round that takes at least MS milliseconds (default 100:
 * the trapvisor guest's clock moves at its 10 ms tick, so a round must be
 * long), by CLOCK_MONOTONIC, runs ROUNDS rounds (default 3) and prints
 * one line
 *   micro: NAME OPS ROUNDS MEDIAN_NS MIN_NS
 * OPS operations per round, the median and the fastest round in ns per
 * operation.  A benchmark that cannot run (a system call refused) prints
 *   micro: NAME failed: WHY
 * and the others still run; the exit status is then 1.
 *
 * The benchmarks (ns per what):
 *   getpid     syscall(SYS_getpid): the null system call
 *   fork       fork, the child _exit(0)s, waitpid
 *   forkexec   fork, the child execs this program's "true", waitpid
 *              (argv[0] must be a path that exec finds: run it by path)
 *   touch      first write to a fresh anonymous page (mmap 64 pages, write
 *              one byte to each, munmap; per page)
 *   mmap       mmap + munmap of one anonymous page, never touched
 *   mprotect   mprotect of a touched page, alternately read-only and
 *              read-write (per call)
 *   pipe       one byte there and back between two processes over pipes
 *              (the other one started once, before the untimed operation)
 *   cpu        1000 steps of an xorshift chain: registers only
 *   sha256     SHA-256 (FIPS 180-4, written out below) of 64 MiB: a 1 MiB
 *              generated block, 64 times, each with its index in its first
 *              8 bytes; also prints "micro: sha256 digest HEX", the same
 *              everywhere
 *   file       write 1 MiB to a new file in /tmp in 64 KiB writes, close,
 *              read it back, check it, unlink
 * "micro true" exits 0 at once (forkexec's child).
 *
 * -m (in trapvisor): also bracket every timed round with trapvisor's
 * tv_mark (system call 1000) marks 2k and 2k+1, k = 1, 2, ... across the
 * whole run, and print "micro-phase: K NAME OPS" for each, so that the
 * monitor's --bench-log times the rounds by the host's clock: the guest
 * kernel's clock moves one tick per timer interrupt it takes, and it takes
 * none during a system call, so it reads too little for kernel-heavy
 * rounds (docs/ARCHITECTURE.md, Statistics and benchmarks).  Then the
 * round that ends the calibration is not one of the ROUNDS.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096
#define TOUCH_PAGES 64
#define SHA_BLOCK (1u << 20)
#define SHA_BLOCKS 64
#define FILE_SIZE (1u << 20)
#define FILE_CHUNK (64u << 10)
#define SYS_TV_MARK 1000

extern char **environ;

static const char *self;        /* argv[0]: the path forkexec execs */
static char why[160];           /* the reason of a failed operation */
static volatile uint64_t sink;  /* results the compiler must not drop */
static int marks;               /* -m: tv_mark each timed round */
static int phase;               /* the last round marked */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static int fail(const char *what)
{
	snprintf(why, sizeof(why), "%s: %s", what, strerror(errno));
	return -1;
}

/* ---- The benchmarks: each runs n operations, 0 or -1 with why set ---- */

static int b_getpid(long n)
{
	for (long i = 0; i < n; i++)
		sink += syscall(SYS_getpid);
	return 0;
}

/* Waits for pid; 0 if it exited 0. */
static int reap(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return fail("waitpid");
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		snprintf(why, sizeof(why), "child: wait status 0x%x", st);
		return -1;
	}
	return 0;
}

static int b_fork(long n)
{
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			return fail("fork");
		if (pid == 0)
			_exit(0);
		if (reap(pid) < 0)
			return -1;
	}
	return 0;
}

static int b_forkexec(long n)
{
	char *argv[] = { (char *)self, "true", NULL };

	for (long i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			return fail("fork");
		if (pid == 0) {
			execve(self, argv, environ);
			_exit(127);
		}
		if (reap(pid) < 0)
			return -1;
	}
	return 0;
}

/* n pages, TOUCH_PAGES to a mapping. */
static int b_touch(long n)
{
	for (long done = 0; done < n; done += TOUCH_PAGES) {
		char *p = mmap(NULL, TOUCH_PAGES * PAGE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			return fail("mmap");
		for (int i = 0; i < TOUCH_PAGES; i++)
			((volatile char *)p)[i * PAGE] = 1;
		if (munmap(p, TOUCH_PAGES * PAGE) < 0)
			return fail("munmap");
	}
	return 0;
}

static int b_mmap(long n)
{
	for (long i = 0; i < n; i++) {
		void *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			return fail("mmap");
		if (munmap(p, PAGE) < 0)
			return fail("munmap");
	}
	return 0;
}

static int b_mprotect(long n)
{
	static char *page;

	if (!page) {
		page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (page == MAP_FAILED) {
			page = NULL;
			return fail("mmap");
		}
	}
	for (long i = 0; i < n; i++) {
		/* Written while writable, read while read-only: both mapped. */
		if (mprotect(page, PAGE, i & 1 ? PROT_READ | PROT_WRITE : PROT_READ) < 0)
			return fail("mprotect");
		if (i & 1)
			page[0] = (char)i;
		else
			sink += ((volatile char *)page)[0];
	}
	return 0;
}

/* The echo process of the pipe benchmark, started at its first use and
 * ended by end_pipe(), so that no round pays for a fork. */
static struct {
	pid_t pid;
	int to, from;           /* our ends: bytes to it, bytes back */
} echo;

static int b_pipe(long n)
{
	char c = 0;

	if (!echo.pid) {
		int there[2], back[2];

		if (pipe(there) < 0 || pipe(back) < 0)
			return fail("pipe");
		echo.pid = fork();
		if (echo.pid < 0) {
			echo.pid = 0;
			return fail("fork");
		}
		if (echo.pid == 0) {    /* each byte back until end of file */
			close(there[1]);
			close(back[0]);
			while (read(there[0], &c, 1) == 1)
				if (write(back[1], &c, 1) != 1)
					_exit(1);
			_exit(0);
		}
		close(there[0]);
		close(back[1]);
		echo.to = there[1];
		echo.from = back[0];
	}
	for (long i = 0; i < n; i++) {
		if (write(echo.to, &c, 1) != 1)
			return fail("pipe write");
		if (read(echo.from, &c, 1) != 1)
			return fail("pipe read");
	}
	return 0;
}

/* Closes the pipes: the echo process sees end of file and exits 0. */
static int end_pipe(void)
{
	pid_t pid = echo.pid;

	if (!pid)
		return 0;
	close(echo.to);
	close(echo.from);
	echo.pid = 0;
	return reap(pid);
}

/* 1000 dependent xorshift64 steps per operation. */
static int b_cpu(long n)
{
	uint64_t x = 88172645463325252ull;

	for (long i = 0; i < n; i++)
		for (int k = 0; k < 1000; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
		}
	sink += x;
	return 0;
}

/* ---- SHA-256 (FIPS 180-4) ---- */

struct sha256 {
	uint32_t h[8];
	uint64_t len;           /* bytes hashed */
	uint8_t buf[64];        /* a partial block */
};

static const uint32_t sha_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, int n)
{
	return x >> n | x << (32 - n);
}

static void sha256_block(struct sha256 *s, const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, h;

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | p[4 * i + 1] << 16 | p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ w[i - 15] >> 3;
		uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ w[i - 2] >> 10;
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3];
	e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + sha_k[i] + w[i];
		uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		h = g, g = f, f = e, e = d + t1;
		d = c, c = b, b = a, a = t1 + t2;
	}
	s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d;
	s->h[4] += e, s->h[5] += f, s->h[6] += g, s->h[7] += h;
}

static void sha256_init(struct sha256 *s)
{
	static const uint32_t h0[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};
	memcpy(s->h, h0, sizeof(h0));
	s->len = 0;
}

static void sha256_update(struct sha256 *s, const uint8_t *p, size_t n)
{
	size_t have = s->len % 64;

	s->len += n;
	if (have) {
		size_t take = n < 64 - have ? n : 64 - have;
		memcpy(s->buf + have, p, take);
		p += take, n -= take;
		if (have + take < 64)
			return;
		sha256_block(s, s->buf);
	}
	for (; n >= 64; p += 64, n -= 64)
		sha256_block(s, p);
	memcpy(s->buf, p, n);
}

static void sha256_final(struct sha256 *s, uint8_t out[32])
{
	uint64_t bits = s->len * 8;
	uint8_t pad[72] = { 0x80 };
	size_t padlen = (s->len % 64 < 56 ? 56 : 120) - s->len % 64;

	for (int i = 0; i < 8; i++)
		pad[padlen + i] = (uint8_t)(bits >> (56 - 8 * i));
	sha256_update(s, pad, padlen + 8);
	for (int i = 0; i < 8; i++)
		for (int j = 0; j < 4; j++)
			out[4 * i + j] = (uint8_t)(s->h[i] >> (24 - 8 * j));
}

static uint8_t *sha_data;       /* the generated 1 MiB block */
static char sha_hex[65];        /* the digest of the last operation */

static int b_sha256(long n)
{
	if (!sha_data) {
		uint64_t x = 0x9e3779b97f4a7c15ull;

		if (!(sha_data = malloc(SHA_BLOCK)))
			return fail("malloc");
		for (size_t i = 0; i < SHA_BLOCK; i += 8) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			memcpy(sha_data + i, &x, 8);
		}
	}
	for (long i = 0; i < n; i++) {
		struct sha256 s;
		uint8_t d[32];

		sha256_init(&s);
		for (uint64_t b = 0; b < SHA_BLOCKS; b++) {
			memcpy(sha_data, &b, 8);
			sha256_update(&s, sha_data, SHA_BLOCK);
		}
		sha256_final(&s, d);
		for (int k = 0; k < 32; k++)
			snprintf(sha_hex + 2 * k, 3, "%02x", d[k]);
	}
	return 0;
}

static int b_file(long n)
{
	static char *buf, *back;
	char path[64];

	if (!buf) {
		buf = malloc(FILE_SIZE);
		back = malloc(FILE_SIZE);
		if (!buf || !back)
			return fail("malloc");
		for (size_t i = 0; i < FILE_SIZE; i++)
			buf[i] = (char)(i * 7 + i / 4096);
	}
	snprintf(path, sizeof(path), "/tmp/micro-file.%d", (int)getpid());
	for (long i = 0; i < n; i++) {
		int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);

		if (fd < 0)
			return fail(path);
		for (size_t off = 0; off < FILE_SIZE; off += FILE_CHUNK)
			if (write(fd, buf + off, FILE_CHUNK) != (ssize_t)FILE_CHUNK)
				return fail("write");
		if (close(fd) < 0 || (fd = open(path, O_RDONLY)) < 0)
			return fail("close, open");
		for (size_t off = 0; off < FILE_SIZE; off += FILE_CHUNK)
			if (read(fd, back + off, FILE_CHUNK) != (ssize_t)FILE_CHUNK)
				return fail("read");
		close(fd);
		if (unlink(path) < 0)
			return fail("unlink");
		if (memcmp(buf, back, FILE_SIZE) != 0) {
			snprintf(why, sizeof(why), "%s: read back differs from what was written", path);
			return -1;
		}
	}
	return 0;
}

/* ---- Driver ---- */

static const struct bench {
	const char *name;
	int (*run)(long n);
	long unit;              /* operations are counted in multiples of this */
	int (*end)(void);       /* after the rounds, if not NULL: 0 or -1 */
} benches[] = {
	{ "getpid", b_getpid, 1, NULL },
	{ "fork", b_fork, 1, NULL },
	{ "forkexec", b_forkexec, 1, NULL },
	{ "touch", b_touch, TOUCH_PAGES, NULL },
	{ "mmap", b_mmap, 1, NULL },
	{ "mprotect", b_mprotect, 2, NULL },
	{ "pipe", b_pipe, 1, end_pipe },
	{ "cpu", b_cpu, 1, NULL },
	{ "sha256", b_sha256, 1, NULL },
	{ "file", b_file, 1, NULL },
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/*
 * Times one benchmark as the header says; 0, or -1 after printing why.
 * One untimed operation first (first-use costs: the program's own pages,
 * buffers, the page cache), then n grows until one round takes min_ns (the
 * clock may be coarse); that round is the first of the ROUNDS.
 */
static int measure(const struct bench *b, int rounds, uint64_t min_ns)
{
	uint64_t t[rounds], t0, dt;
	long n = b->unit;

	if (b->run(n) < 0)
		goto failed;
	for (;;) {
		t0 = now_ns();
		if (b->run(n) < 0)
			goto failed;
		dt = now_ns() - t0;
		if (dt >= min_ns)
			break;
		long next = dt ? (long)((double)n * min_ns / dt * 1.2) : n * 100;
		if (next > n * 100)
			next = n * 100;
		n = (next + b->unit - 1) / b->unit * b->unit;
	}
	t[0] = dt;
	for (int r = marks ? 0 : 1; r < rounds; r++) {
		if (marks)
			syscall(SYS_TV_MARK, 2 * ++phase);
		t0 = now_ns();
		if (b->run(n) < 0)
			goto failed;
		t[r] = now_ns() - t0;
		if (marks) {
			syscall(SYS_TV_MARK, 2 * phase + 1);
			printf("micro-phase: %d %s %ld\n", phase, b->name, n);
		}
	}
	if (b->end && b->end() < 0)
		goto failed;
	qsort(t, rounds, sizeof(t[0]), cmp_u64);
	printf("micro: %s %ld %d %.1f %.1f\n", b->name, n, rounds,
	       (double)t[(rounds - 1) / 2] / n, (double)t[0] / n);
	if (b->run == b_sha256)
		printf("micro: sha256 digest %s\n", sha_hex);
	fflush(stdout);
	return 0;
failed:
	if (b->end)
		b->end();
	printf("micro: %s failed: %s\n", b->name, why);
	fflush(stdout);
	return -1;
}

static void usage(void)
{
	fprintf(stderr, "usage: micro [-m] [-r ROUNDS] [-t MS] NAME...|all|true\n  NAME:");
	for (size_t i = 0; i < sizeof(benches) / sizeof(benches[0]); i++)
		fprintf(stderr, " %s", benches[i].name);
	fprintf(stderr, "\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int rounds = 3, status = 0, opt;
	long ms = 100;

	self = argv[0];
	if (argc == 2 && strcmp(argv[1], "true") == 0)
		return 0;
	while ((opt = getopt(argc, argv, "mr:t:")) != -1) {
		switch (opt) {
		case 'm': marks = 1; break;
		case 'r': rounds = atoi(optarg); break;
		case 't': ms = atol(optarg); break;
		default: usage();
		}
	}
	if (optind >= argc || rounds < 1 || rounds > 99 || ms < 1)
		usage();
	for (int i = optind; i < argc; i++) {
		int found = 0;

		for (size_t k = 0; k < sizeof(benches) / sizeof(benches[0]); k++)
			if (strcmp(argv[i], "all") == 0 || strcmp(argv[i], benches[k].name) == 0) {
				found = 1;
				if (measure(&benches[k], rounds, (uint64_t)ms * 1000000) < 0)
					status = 1;
			}
		if (!found) {
			fprintf(stderr, "micro: %s: no such benchmark\n", argv[i]);
			usage();
		}
	}
	return status;
}
