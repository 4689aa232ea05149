/*
 * The stub: the only code a guest context process holds besides guest
 * memory.  The monitor execs it (from a memfd) in every new context process.
 * At STUB_ENTRY it replaces its own data page with the shared stub-data
 * memfd (inherited as fd STUB_DATA_FD) and stops with int3.  From then on the
 * monitor points RIP at STUB_BATCH whenever it wants mappings changed: the
 * stub runs the system calls written in the data page, one after another,
 * stops at the first error, and traps back with int3.  Its one `syscall`
 * instruction is the only place the seccomp filter lets a host system call
 * come from (see context.c).  It uses no stack.
 */
#include "stub.h"

	.text
	.globl _start
_start:
	mov	$9, %eax		/* mmap(STUB_DATA, 4096, RW, SHARED|FIXED, fd, 0) */
	mov	$STUB_DATA, %rdi
	mov	$4096, %esi
	mov	$3, %edx
	mov	$0x11, %r10d
	mov	$STUB_DATA_FD, %r8d
	xor	%r9d, %r9d
	syscall
	int3				/* the monitor takes over; RAX = result */
	ud2

	.org	STUB_BATCH - STUB_BASE
stub_batch:
	mov	$STUB_DATA, %rbx
	xor	%r12d, %r12d		/* i = 0 */
	movq	$0, STUB_OFF_DONE(%rbx)
1:	cmp	STUB_OFF_NOPS(%rbx), %r12
	jae	2f
	imul	$STUB_OP_SIZE, %r12, %r13
	lea	STUB_OFF_OPS(%rbx,%r13), %r13
	mov	0(%r13), %rax
	mov	8(%r13), %rdi
	mov	16(%r13), %rsi
	mov	24(%r13), %rdx
	mov	32(%r13), %r10
	mov	40(%r13), %r8
	mov	48(%r13), %r9
	.globl stub_syscall
stub_syscall:
	syscall
	mov	%rax, STUB_OFF_RESULT(%rbx)
	cmp	$-4095, %rax		/* -4095..-1 is an error: stop here */
	jae	2f
	inc	%r12
	mov	%r12, STUB_OFF_DONE(%rbx)
	jmp	1b
2:	int3
	ud2

	/* context.c's seccomp filter names STUB_SYSCALL; it checks at start-up
	 * that the bytes there are this syscall instruction. */

	.section .note.GNU-stack,"",@progbits
