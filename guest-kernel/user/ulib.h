/*
 * ulib.h: all the "C library" a user program gets: the entry point, system
 * call wrappers with the Linux x86-64 ABI (number in RAX, arguments in RDI,
 * RSI, RDX; the SYSCALL instruction clobbers RCX and R11), and a few string
 * helpers.  Each program is one .c file that includes this and defines
 * main(); it is linked static at 0x400000 with no other library.
 */
#ifndef ULIB_H
#define ULIB_H

#define SYS_write 1
#define SYS_exit  60

int main(void);
void ulib_start(void) __attribute__((noreturn, used));

/*
 * _start: the kernel enters here with RSP at the top of the stack.  Clear
 * RBP (end of the frame chain), align RSP as a call expects, and run
 * main(); ulib_start() never returns.
 */
asm(".text\n"
    ".globl _start\n"
    "_start:\n"
    "\txorl %ebp, %ebp\n"
    "\tandq $-16, %rsp\n"
    "\tcall ulib_start\n"
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

static inline unsigned long strlen(const char *s)
{
	unsigned long n = 0;

	while (s[n])
		n++;
	return n;
}

/* Write a string to standard output. */
static inline void print(const char *s)
{
	write(1, s, strlen(s));
}

/* Write a signed number in decimal to standard output. */
static inline void print_long(long v)
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
	write(1, buf + i, sizeof(buf) - i);
}

void ulib_start(void)
{
	exit(main());
}

#endif /* ULIB_H */
