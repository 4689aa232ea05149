/*
 * ulib.h: all the "C library" a user program gets: the entry point, system
 * call wrappers with the Linux x86-64 ABI (number in RAX, arguments in
 * RDI, RSI, RDX, R10, R8, R9; the SYSCALL instruction clobbers RCX and
 * R11), and a few string, number and time helpers.  Each program is one
 * .c file that includes this and defines main(), as int main(void) or as
 * int main(int argc, char **argv); it is linked static at 0x400000 with no
 * other library.
 */
#ifndef ULIB_H
#define ULIB_H

#include "sysnum.h"

#define CLOCK_REALTIME  0
#define CLOCK_MONOTONIC 1
#define SIGINT  2
#define SIG_DFL 0
#define SIG_IGN 1
#define EINTR   4

#define PROT_NONE     0
#define PROT_READ     1
#define PROT_WRITE    2
#define PROT_EXEC     4
#define MAP_PRIVATE   0x02
#define MAP_FIXED     0x10
#define MAP_ANONYMOUS 0x20
#define PAGE_SIZE     4096UL

/* Wait statuses (Linux encoding). */
#define WIFEXITED(s)   (((s) & 0x7f) == 0)
#define WEXITSTATUS(s) (((s) >> 8) & 0xff)
#define WTERMSIG(s)    ((s) & 0x7f)

struct timespec {
	long tv_sec;
	long tv_nsec;
};

/* Linux's struct rusage; this kernel counts only ru_minflt (page faults
 * served: first touches of a page and copies on write). */
struct rusage {
	long ru_times[4];
	long ru_maxrss, ru_ixrss, ru_idrss, ru_isrss;
	long ru_minflt;
	long ru_rest[9];
};
#define RUSAGE_SELF     0
#define RUSAGE_CHILDREN (-1)

void ulib_exit(int status) __attribute__((noreturn, used));

/*
 * _start: the kernel enters here with RSP pointing at argc, argv[] above it
 * (the Linux layout).  Clear RBP (end of the frame chain), pass argc and
 * argv in RDI and RSI, align RSP as a call expects, and run main(), from
 * assembly so that main() may be declared with or without its arguments;
 * then exit with what it returns.
 */
asm(".text\n"
    ".globl _start\n"
    "_start:\n"
    "\txorl %ebp, %ebp\n"
    "\tmovq (%rsp), %rdi\n"
    "\tleaq 8(%rsp), %rsi\n"
    "\tandq $-16, %rsp\n"
    "\tcall main\n"
    "\tmovl %eax, %edi\n"
    "\tcall ulib_exit\n"
    "\tud2\n");

static inline long syscall1(long n, long a)
{
	long ret;

	asm volatile("syscall" : "=a"(ret) : "a"(n), "D"(a) : "rcx", "r11", "memory");
	return ret;
}

static inline long syscall3(long n, long a, long b, long c)
{
	long ret;

	asm volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c)
		     : "rcx", "r11", "memory");
	return ret;
}

static inline long syscall4(long n, long a, long b, long c, long d)
{
	long ret;
	register long r10 asm("r10") = d;

	asm volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10)
		     : "rcx", "r11", "memory");
	return ret;
}

static inline long syscall6(long n, long a, long b, long c, long d, long e, long f)
{
	long ret;
	register long r10 asm("r10") = d;
	register long r8 asm("r8") = e;
	register long r9 asm("r9") = f;

	asm volatile("syscall" : "=a"(ret)
		     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
		     : "rcx", "r11", "memory");
	return ret;
}

static inline long read(int fd, void *buf, unsigned long n)
{
	return syscall3(SYS_read, fd, (long)buf, (long)n);
}

static inline long write(int fd, const void *buf, unsigned long n)
{
	return syscall3(SYS_write, fd, (long)buf, (long)n);
}

static inline __attribute__((noreturn)) void exit(int status)
{
	syscall1(SYS_exit, status);
	for (;;)
		;                     /* exit does not return */
}

void ulib_exit(int status)
{
	exit(status);
}

static inline long getpid(void)
{
	return syscall1(SYS_getpid, 0);
}

static inline long fork(void)
{
	return syscall1(SYS_fork, 0);
}

static inline long execve(const char *path, char *const argv[], char *const envp[])
{
	return syscall3(SYS_execve, (long)path, (long)argv, (long)envp);
}

static inline long wait4(long pid, int *status, int options, void *rusage)
{
	return syscall4(SYS_wait4, pid, (long)status, options, (long)rusage);
}

static inline long getrusage(int who, struct rusage *ru)
{
	return syscall3(SYS_getrusage, who, (long)ru, 0);
}

static inline long kill(long pid, int sig)
{
	return syscall3(SYS_kill, pid, sig, 0);
}

static inline long nanosleep(const struct timespec *req, struct timespec *rem)
{
	return syscall3(SYS_nanosleep, (long)req, (long)rem, 0);
}

static inline long clock_gettime(int clock, struct timespec *tp)
{
	return syscall3(SYS_clock_gettime, clock, (long)tp, 0);
}

static inline long sched_yield(void)
{
	return syscall1(SYS_sched_yield, 0);
}

/* mmap: the new memory's address, or -errno (user addresses are below
 * 2^47, so an error is exactly a negative (long)). */
static inline void *mmap(void *addr, unsigned long len, int prot, int flags, int fd, long off)
{
	return (void *)syscall6(SYS_mmap, (long)addr, (long)len, prot, flags, fd, off);
}

static inline long munmap(void *addr, unsigned long len)
{
	return syscall3(SYS_munmap, (long)addr, (long)len, 0);
}

static inline long mprotect(void *addr, unsigned long len, int prot)
{
	return syscall3(SYS_mprotect, (long)addr, (long)len, prot);
}

/* The raw brk system call: the new end of the heap, or the old one on
 * failure (brk(0) asks where it is). */
static inline void *brk(void *end)
{
	return (void *)syscall1(SYS_brk, (long)end);
}

/* Mark a benchmark phase: the kernel writes id to port 0x510, and a
 * monitor run with --bench-log logs the time and its counters. */
static inline void tv_mark(unsigned id)
{
	syscall1(SYS_tv_mark, id);
}

/* signal(sig, SIG_DFL or SIG_IGN), through rt_sigaction. */
static inline long signal(int sig, long handler)
{
	long act[4] = { handler, 0, 0, 0 };   /* handler, flags, restorer, mask */

	return syscall4(SYS_rt_sigaction, sig, (long)act, 0, 8);
}

static inline unsigned long strlen(const char *s)
{
	unsigned long n = 0;

	while (s[n])
		n++;
	return n;
}

static inline int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

/* The decimal number s, or -1 if s is not one. */
static inline long atol(const char *s)
{
	long n = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		n = n * 10 + (*s - '0');
	}
	return n;
}

/* Write a string to standard output. */
static inline void print(const char *s)
{
	write(1, s, strlen(s));
}

/*
 * A message built piece by piece and written with one write(), so that
 * another process's output cannot land in the middle of it (a process can
 * be preempted between two writes).
 */
struct msg {
	char buf[128];
	unsigned n;
};

static inline void msg_str(struct msg *m, const char *s)
{
	while (*s && m->n < sizeof(m->buf))
		m->buf[m->n++] = *s++;
}

static inline void msg_long(struct msg *m, long v)
{
	char buf[24];
	int i = sizeof(buf);
	unsigned long u = v < 0 ? -(unsigned long)v : (unsigned long)v;

	do {
		buf[--i] = '0' + u % 10;
		u /= 10;
	} while (u != 0);
	if (v < 0)
		buf[--i] = '-';
	while (i < (int)sizeof(buf) && m->n < sizeof(m->buf))
		m->buf[m->n++] = buf[i++];
}

static inline void msg_hex(struct msg *m, unsigned long v)
{
	int shift = 60;

	msg_str(m, "0x");
	while (shift > 0 && (v >> shift) == 0)
		shift -= 4;
	for (; shift >= 0 && m->n < sizeof(m->buf); shift -= 4)
		m->buf[m->n++] = "0123456789abcdef"[(v >> shift) & 15];
}

static inline void msg_send(struct msg *m)
{
	write(1, m->buf, m->n);
	m->n = 0;
}

/* Write a signed number in decimal to standard output. */
static inline void print_long(long v)
{
	struct msg m = { .n = 0 };

	msg_long(&m, v);
	msg_send(&m);
}

/* For test programs: unless got == want, print "PROG: FAIL WHAT: got G,
 * want W" in one write (lines of forked processes do not interleave).
 * Returns 1 on a mismatch, 0 otherwise. */
static inline int check_eq(const char *prog, const char *what, long got, long want)
{
	struct msg m = { .n = 0 };

	if (got == want)
		return 0;
	msg_str(&m, prog);
	msg_str(&m, ": FAIL ");
	msg_str(&m, what);
	msg_str(&m, ": got ");
	msg_long(&m, got);
	msg_str(&m, ", want ");
	msg_long(&m, want);
	msg_str(&m, "\n");
	msg_send(&m);
	return 1;
}

/* Write v as two decimal digits (for dates and times). */
static inline void print2(long v)
{
	char buf[2] = { '0' + v / 10 % 10, '0' + v % 10 };

	write(1, buf, 2);
}

/* Nanoseconds on the monotonic clock. */
static inline long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

/* Sleep for s seconds; returns 0 or -errno. */
static inline long sleep_s(long s)
{
	struct timespec ts = { s, 0 };

	return nanosleep(&ts, 0);
}

#endif /* ULIB_H */
