/*
 * syscall.c: system calls, with Linux x86-64 numbers and ABI so that real
 * static binaries can run here later: RAX = number, arguments in RDI, RSI,
 * RDX, R10, R8, R9, result in RAX, -errno on failure.  syscall_entry
 * (trapasm.S) has saved the user registers in a trapframe; the result goes
 * back in tf->rax and every other register returns unchanged.
 */
#include "defs.h"

#define SYS_write      1
#define SYS_exit       60
#define SYS_exit_group 231

/* write(fd, buf, n): fds 1 and 2 are the console.  The buffer must lie in
 * user space and be mapped user-readable, or nothing is written. */
static s64 sys_write(u64 fd, u64 buf, u64 n)
{
	if (fd != 1 && fd != 2)
		return -EBADF;
	if (n == 0)
		return 0;
	if (!uvm_readable(cpu.proc->pml4, buf, n))
		return -EFAULT;
	/* The process's tables are loaded, and its pages are readable by the
	 * kernel too (the guest has no SMAP), so read through buf directly. */
	for (u64 i = 0; i < n; i++)
		uart_putc(((const char *)buf)[i]);
	return n;
}

void syscall_dispatch(struct trapframe *tf)
{
	switch (tf->rax) {
	case SYS_write:
		tf->rax = sys_write(tf->rdi, tf->rsi, tf->rdx);
		break;
	case SYS_exit:
	case SYS_exit_group:          /* one thread per process: the same */
		proc_exit(tf->rdi & 0xff);   /* the low byte, as wait() reports it */
	default:
		tf->rax = -ENOSYS;
		break;
	}
}
