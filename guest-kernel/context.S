/*
 * context.S: a setjmp/longjmp pair for the kernel.  proc_run() saves the
 * scheduler's context with kctx_save() before it enters user mode; when the
 * program exits or is killed, the kernel is deep in a syscall or trap
 * handler on the trap stack, and kctx_restore() jumps straight back,
 * abandoning that stack.  Only the callee-saved registers need saving: to
 * the C caller, kctx_save() is an ordinary call that returns twice.
 */
#define KC_RBX 0
#define KC_RBP 8
#define KC_R12 16
#define KC_R13 24
#define KC_R14 32
#define KC_R15 40
#define KC_RSP 48
#define KC_RIP 56

	.text
/* int kctx_save(struct kcontext *c): save, return 0. */
	.globl kctx_save
	.type kctx_save, @function
kctx_save:
	movq %rbx, KC_RBX(%rdi)
	movq %rbp, KC_RBP(%rdi)
	movq %r12, KC_R12(%rdi)
	movq %r13, KC_R13(%rdi)
	movq %r14, KC_R14(%rdi)
	movq %r15, KC_R15(%rdi)
	leaq 8(%rsp), %rax              /* the caller's RSP once we have returned */
	movq %rax, KC_RSP(%rdi)
	movq (%rsp), %rax               /* our return address */
	movq %rax, KC_RIP(%rdi)
	xorl %eax, %eax
	ret

/* void kctx_restore(struct kcontext *c, int v): make kctx_save(c) return v. */
	.globl kctx_restore
	.type kctx_restore, @function
kctx_restore:
	movq KC_RBX(%rdi), %rbx
	movq KC_RBP(%rdi), %rbp
	movq KC_R12(%rdi), %r12
	movq KC_R13(%rdi), %r13
	movq KC_R14(%rdi), %r14
	movq KC_R15(%rdi), %r15
	movq KC_RSP(%rdi), %rsp
	movl %esi, %eax
	jmpq *KC_RIP(%rdi)

	.section .note.GNU-stack, "", @progbits
