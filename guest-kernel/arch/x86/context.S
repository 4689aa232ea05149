/*
 * context.S: swtch(), the one place where the kernel changes stacks between
 * the scheduler and a process (xv6's swtch).  A process that gives up the
 * CPU (sched() in proc.c) is somewhere deep in a system call or trap
 * handler on its own kernel stack; swtch() saves where, as a struct
 * kcontext, and resumes the scheduler, which later swtch()es back.  Only the
 * callee-saved registers need saving: to the C caller, swtch() is an
 * ordinary call that returns once the other side switches back.
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
/* void swtch(struct kcontext *save, const struct kcontext *load):
 * save the caller's context in *save and resume the one in *load. */
	.globl swtch
	.type swtch, @function
swtch:
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

	movq KC_RBX(%rsi), %rbx
	movq KC_RBP(%rsi), %rbp
	movq KC_R12(%rsi), %r12
	movq KC_R13(%rsi), %r13
	movq KC_R14(%rsi), %r14
	movq KC_R15(%rsi), %r15
	movq KC_RSP(%rsi), %rsp
	jmpq *KC_RIP(%rsi)

	.section .note.GNU-stack, "", @progbits
