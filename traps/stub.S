/*
 * The stub: the only code a guest context process holds besides guest
 * memory.  The monitor execs it (from a memfd) in every new context process.
 * At STUB_ENTRY it replaces its own data page with the shared stub-data
 * memfd (inherited as fd STUB_DATA_FD) and stops with int3.  From then on the
 * monitor points RIP at STUB_BATCH whenever it wants mappings changed: the
 * stub runs the system calls written in the data page, one after another,
 * stops at the first error, and traps back with int3 (or, folded into the
 * resume, goes on to the guest's code through STUB_FOLD).  Its one `syscall`
 * instruction is the only place the seccomp filter lets a host system call
 * come from (see context.c).  It uses no stack.
 */
#include "stub.h"

/* Load the system call of the stub_op at \op (stub.h: nr, six arguments)
 * into RAX and the argument registers; \op is left alone. */
.macro LOAD_OP op
	mov	0(\op), %rax
	mov	8(\op), %rdi
	mov	16(\op), %rsi
	mov	24(\op), %rdx
	mov	32(\op), %r10
	mov	40(\op), %r8
	mov	48(\op), %r9
.endm

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
	jae	3f
	imul	$STUB_OP_SIZE, %r12, %r13
	lea	STUB_OFF_OPS(%rbx,%r13), %r13
	LOAD_OP	%r13
	.globl stub_syscall
stub_syscall:
	syscall
	mov	%rax, STUB_OFF_RESULT(%rbx)
	cmp	$-4095, %rax		/* -4095..-1 is an error: stop here */
	jae	stub_batch_end
	inc	%r12
	mov	%r12, STUB_OFF_DONE(%rbx)
	jmp	1b
	/* All ran: on to STUB_BATCH_END, or to STUB_FOLD when the monitor
	 * folded this batch into the guest's resume.  One instruction reads
	 * the choice and makes it, so a monitor that takes it back (a kick
	 * stopped the batch, host_fold.c) is either in time or sees RIP past. */
3:	jmp	*STUB_OFF_NEXT(%rbx)

	.org	STUB_BATCH_END - STUB_BASE
stub_batch_end:
	int3				/* the monitor takes over */
	ud2

	/* context.c's seccomp filter names STUB_SYSCALL; it checks at start-up
	 * that the bytes there are this syscall instruction. */

/*
 * The signal backend (host_signal.c).  Two threads share the context's
 * address space.  The guest thread runs guest code; every trap (a fault, a
 * guest SYSCALL turned into SIGSYS by its seccomp filter, the monitor's
 * kick) enters sig_handler on the alternate stack in SIG_TRAP, which hands
 * over to the monitor through the trap record and waits; the monitor
 * rewrites the signal frame and lets it return through rt_sigreturn.  Its
 * filter lets only sig_hsys's syscall through, and only the hand-off's
 * futex calls, arch_prctl(ARCH_SET_FS/GS) and rt_sigreturn.
 * The stub thread changes mappings: it runs the operations of SIG_REQ (a
 * page the guest can only read) and answers in SIG_RES.  It uses no stack
 * (the guest could write one) and its filter allows only mmap, munmap,
 * mprotect and futex, from sig_tsys.
 */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1

	.org	SIG_PARK - STUB_BASE
sig_park:
	int3				/* the monitor waits for this first trap */
	ud2

	.org	SIG_HANDLER - STUB_BASE
sig_handler:				/* rdi = signal, rsi = siginfo, rdx = ucontext */
	mov	$SIG_TRAP, %rbx
	mov	%rdi, T_SIGNO(%rbx)
	mov	%rsi, T_INFO(%rbx)
	mov	%rdx, T_UC(%rbx)
	testl	$1, T_FLAGS(%rbx)
	jz	1f
	rdfsbase %rax
	mov	%rax, T_FS_NOW(%rbx)
	rdgsbase %rax
	mov	%rax, T_GS_NOW(%rbx)
1:	mov	$1, %eax
	xchg	%eax, T_STATE(%rbx)	/* trapped (xchg: a full barrier) */
	cmpl	$0, T_MWAIT(%rbx)	/* the monitor sleeps: wake it */
	je	2f
	mov	$202, %eax
	lea	T_STATE(%rbx), %rdi
	mov	$FUTEX_WAKE, %esi
	mov	$1, %edx
	call	sig_hsys
2:	mov	T_SPIN(%rbx), %ecx
3:	cmpl	$2, T_STATE(%rbx)	/* the monitor says run */
	je	5f
	pause
	dec	%ecx
	jg	3b
	movl	$1, T_HWAIT(%rbx)
	mfence
	cmpl	$2, T_STATE(%rbx)
	je	5f
	mov	$202, %eax		/* futex(T_STATE, WAIT, 1) */
	lea	T_STATE(%rbx), %rdi
	mov	$FUTEX_WAIT, %esi
	mov	$1, %edx
	xor	%r10d, %r10d
	call	sig_hsys
	xor	%ecx, %ecx
	jmp	3b
5:	movl	$0, T_HWAIT(%rbx)
	movl	$0, T_STATE(%rbx)	/* back to the guest: no hand-off pending */
	cmpq	$0, T_SET_FS(%rbx)
	je	6f
	movq	$0, T_SET_FS(%rbx)
	mov	T_FS(%rbx), %rsi
	testl	$1, T_FLAGS(%rbx)
	jz	7f
	wrfsbase %rsi
	jmp	6f
7:	mov	$158, %eax		/* arch_prctl(ARCH_SET_FS, base) */
	mov	$0x1002, %edi
	call	sig_hsys
6:	cmpq	$0, T_SET_GS(%rbx)
	je	8f
	movq	$0, T_SET_GS(%rbx)
	mov	T_GS(%rbx), %rsi
	testl	$1, T_FLAGS(%rbx)
	jz	9f
	wrgsbase %rsi
	jmp	8f
9:	mov	$158, %eax		/* arch_prctl(ARCH_SET_GS, base) */
	mov	$0x1001, %edi
	call	sig_hsys
8:	ret				/* to sig_restorer */

	.org	SIG_RESTORER - STUB_BASE
sig_restorer:
	mov	$15, %eax		/* rt_sigreturn */
	jmp	sig_hsys

	.org	SIG_HSYS - STUB_BASE
sig_hsys:
	syscall
	ret

	.org	SIG_SPAWN - STUB_BASE
sig_spawn:				/* clone(VM|FS|FILES|SIGHAND|THREAD|SYSVSEM) */
	mov	$56, %eax
	mov	$0x50f00, %edi
	xor	%esi, %esi
	xor	%edx, %edx
	xor	%r10d, %r10d
	xor	%r8d, %r8d
	syscall
	test	%rax, %rax
	jz	sig_thread
	int3				/* the monitor takes over; RAX = the tid */
	ud2

	.org	SIG_THREAD - STUB_BASE
sig_thread:
	mov	$SIG_REQ, %rbx
	mov	$SIG_RES, %rbp
	mov	$14, %eax		/* rt_sigprocmask(SIG_BLOCK, all, 0, 8) */
	xor	%edi, %edi
	lea	R_MASK(%rbx), %rsi
	xor	%edx, %edx
	mov	$8, %r10d
	lea	1f(%rip), %r15
	jmp	sig_tsys
1:	mov	$317, %eax		/* seccomp(SET_MODE_FILTER, 0, prog) */
	mov	$1, %edi
	xor	%esi, %esi
	lea	R_PROG(%rbx), %rdx
	lea	1f(%rip), %r15
	jmp	sig_tsys
1:	test	%rax, %rax
	jnz	sig_die
	movl	$1, S_READY(%rbp)
	mov	$202, %eax
	lea	S_READY(%rbp), %rdi
	mov	$FUTEX_WAKE, %esi
	mov	$1, %edx
	lea	sig_loop(%rip), %r15
	jmp	sig_tsys
sig_loop:
	mov	R_SEQ(%rbx), %r12d
	cmp	S_ACK(%rbp), %r12d
	jne	sig_work
	mov	$202, %eax		/* futex(R_SEQ, WAIT, seq): no request */
	lea	R_SEQ(%rbx), %rdi
	mov	$FUTEX_WAIT, %esi
	mov	%r12d, %edx
	xor	%r10d, %r10d
	lea	sig_loop(%rip), %r15
	jmp	sig_tsys
sig_work:
	xor	%r13d, %r13d		/* i = 0 */
	movq	$0, S_DONE(%rbp)
	mov	R_NOPS(%rbx), %r14
	cmp	$STUB_MAX_OPS, %r14
	jbe	1f
	mov	$STUB_MAX_OPS, %r14
1:	cmp	%r14, %r13
	jae	2f
	imul	$STUB_OP_SIZE, %r13, %rcx
	lea	R_OPS(%rbx,%rcx), %rcx
	LOAD_OP	%rcx
	lea	3f(%rip), %r15
	jmp	sig_tsys
3:	mov	%rax, S_RESULT(%rbp)
	cmp	$-4095, %rax
	jae	2f
	inc	%r13
	mov	%r13, S_DONE(%rbp)
	jmp	1b
2:	mov	%r12d, S_ACK(%rbp)	/* done; wake the monitor if it sleeps */
	mfence
	cmpl	$0, S_MWAIT(%rbp)
	je	sig_loop
	mov	$202, %eax
	lea	S_ACK(%rbp), %rdi
	mov	$FUTEX_WAKE, %esi
	mov	$1, %edx
	lea	sig_loop(%rip), %r15
	jmp	sig_tsys
sig_die:
	ud2				/* all signals blocked: the process dies */

	.org	SIG_TSYS - STUB_BASE
sig_tsys:
	syscall
	jmp	*%r15

/*
 * The end of a batch folded into the resume (host_fold.c, docs/ARCHITECTURE.md
 * "Folding the mappings into the resume"): no stop between the mapping
 * changes and guest code.  It clears the batch (its operations carry the
 * stub's key, which guest code must never read), loads the sixteen registers the
 * monitor left in STUB_OFF_REGS, and iretq takes RIP, RFLAGS and RSP from
 * the frame after them at once.  No guest stack is touched.
 */
	.org	STUB_FOLD - STUB_BASE
stub_fold:
	cld
	mov	%rbx, %rdi		/* the header and the operations */
	imul	$STUB_OP_SIZE / 8, STUB_OFF_NOPS(%rbx), %rcx
	add	$STUB_OFF_OPS / 8, %rcx
	xor	%eax, %eax
	rep stosq
	mov	$(STUB_DATA + STUB_OFF_REGS), %rsp
	mov	0(%rsp), %rax
	mov	8(%rsp), %rcx
	mov	16(%rsp), %rdx
	mov	24(%rsp), %rbx
	mov	40(%rsp), %rbp
	mov	48(%rsp), %rsi
	mov	56(%rsp), %rdi
	mov	64(%rsp), %r8
	mov	72(%rsp), %r9
	mov	80(%rsp), %r10
	mov	88(%rsp), %r11
	mov	96(%rsp), %r12
	mov	104(%rsp), %r13
	mov	112(%rsp), %r14
	mov	120(%rsp), %r15
	lea	STUB_OFF_IRET - STUB_OFF_REGS(%rsp), %rsp
	iretq
stub_fold_end:
	.if	stub_fold_end - stub_fold > STUB_FOLD_END - STUB_FOLD
	.error	"stub_fold is longer than stub.h says"
	.endif
	.if	STUB_OFF_NOPS + 8 > STUB_OFF_NEXT || STUB_OFF_OPS + STUB_MAX_OPS * STUB_OP_SIZE > STUB_OFF_SCRATCH
	.error	"stub data page layout"
	.endif

	.section .note.GNU-stack,"",@progbits
