/*
 * trapasm.S: the ways into and out of the kernel.
 *
 *  - 256 vector stubs, one per IDT gate.  A stub pushes a 0 where the CPU
 *    pushes no error code, so every frame looks alike, then pushes its vector
 *    and jumps to alltraps.  Which vectors have an error code comes from
 *    X86_ERRCODE_VECTORS (x86.h), the same set as the monitor's injector.
 *  - alltraps saves the general registers to complete a struct trapframe
 *    and calls trap(tf); trap_return restores it and IRETQs.  On trapvisor
 *    IRETQ to a different privilege level traps and is emulated.
 *  - syscall_entry is the SYSCALL target (LSTAR).  SYSCALL changes no stack,
 *    so it switches to the running process's kernel stack itself (Linux
 *    style: SWAPGS gives it the per-CPU struct), builds the same trapframe
 *    and leaves by SYSRETQ.
 *
 * The GS bases follow one rule (Linux's): in the kernel GS_BASE = &cpu and
 * KERNEL_GS_BASE holds the user's; in user mode the other way round.  So
 * every way from user mode into the kernel executes one SWAPGS and every way
 * back one more: alltraps and trap_return look at the saved CS to know
 * whether they cross, syscall_entry always does.  A process may leave the
 * kernel by a different way than it came in (a process preempted in user
 * mode is resumed by trap_return after another slept in a system call),
 * which is why the rule must hold at every switch.
 */
#include "x86.h"

/* Save the general registers in struct trapframe order (rax lowest). */
.macro PUSH_REGS
	pushq %r15
	pushq %r14
	pushq %r13
	pushq %r12
	pushq %r11
	pushq %r10
	pushq %r9
	pushq %r8
	pushq %rbp
	pushq %rdi
	pushq %rsi
	pushq %rdx
	pushq %rcx
	pushq %rbx
	pushq %rax
.endm

.macro POP_REGS
	popq %rax
	popq %rbx
	popq %rcx
	popq %rdx
	popq %rsi
	popq %rdi
	popq %rbp
	popq %r8
	popq %r9
	popq %r10
	popq %r11
	popq %r12
	popq %r13
	popq %r14
	popq %r15
.endm

/*
 * The stubs, 16 bytes apart (the longest is 12 bytes: push $0, push $vec
 * as imm32, jmp rel32), so vectors[] below can name stub i as
 * vector_stubs + 16 * i without 256 labels.
 */
	.text
	.balign 16
vector_stubs:
	.set vec, 0
	.rept 256
	.balign 16
	.if (vec >= 32) || (((X86_ERRCODE_VECTORS >> (vec & 31)) & 1) == 0)
	pushq $0                        /* no CPU error code: push a dummy one */
	.endif
	pushq $vec
	jmp alltraps
	.set vec, vec + 1
	.endr

alltraps:
	testb $3, 24(%rsp)              /* CS, above vector, error code and RIP */
	jz 1f
	swapgs                          /* from user mode: GS base = &cpu */
1:	PUSH_REGS
	cld                             /* the C ABI wants DF=0; user mode may have set it */
	movq %rsp, %rdi
	call trap
	movq %rsp, %rdi                 /* trap() returned: resume the same frame */

/* void trap_return(struct trapframe *tf): load tf and IRETQ to it. */
	.globl trap_return
	.type trap_return, @function
trap_return:
	movq %rdi, %rsp
	POP_REGS
	addq $16, %rsp                  /* vector and error code */
	testb $3, 8(%rsp)               /* CS, above RIP */
	jz 1f
	cmpb $0, pv_gate(%rip)          /* (flags: IRETQ loads them from the frame) */
	jne pv_iret_user
	swapgs                          /* to user mode: the user's GS base */
	iretq
1:	cmpb $0, pv_gate(%rip)
	jne pv_iret_kernel
	iretq

/*
 * SYSCALL: RCX = user RIP, R11 = user RFLAGS, RFLAGS &= ~SFMASK (so IF=0,
 * DF=0), CS/SS from STAR, RSP still the user's.  Every register but RAX, RCX
 * and R11 reaches user mode again unchanged.
 */
	.globl syscall_entry
	.type syscall_entry, @function
syscall_entry:
	swapgs                          /* GS base = &cpu; the user's is in KERNEL_GS_BASE */
	movq %rsp, %gs:CPU_USER_RSP
	movq %gs:CPU_KERNEL_RSP, %rsp
	pushq $USER_DS                  /* ss */
	pushq %gs:CPU_USER_RSP          /* rsp */
	pushq %r11                      /* rflags */
	pushq $USER_CS                  /* cs */
	pushq %rcx                      /* rip */
	pushq $0                        /* error code */
	pushq $T_SYSCALL                /* vector */
	PUSH_REGS
	movq %rsp, %rdi
	call syscall_dispatch           /* puts the result in tf->rax */
	POP_REGS
	addq $16, %rsp                  /* vector and error code */
	popq %rcx                       /* rip, for SYSRETQ */
	addq $8, %rsp                   /* cs: SYSRETQ uses STAR */
	popq %r11                       /* rflags, for SYSRETQ */
	popq %rsp                       /* user rsp: the trap stack is done with */
	cmpb $0, pv_gate(%rip)          /* (flags: SYSRETQ loads them from R11) */
	jne pv_sysret
	swapgs                          /* back to the user's GS base */
	sysretq

/*
 * The paravirtual gate (boot.h, struct pv_vcpu, ABI 6): with pv_gate set,
 * the ways out of the kernel above and the hypercall come here.  A SYSCALL
 * in this section, at CPL 0, is a trap prefix to the monitor: it puts back
 * RCX and R11 from the shared page (SYSCALL overwrote them) and emulates
 * what follows in the same stop.  On its own each of these instructions
 * would trap (#GP) too, so the gate changes only the kind of stop: a
 * system-call stop, which costs the monitor less than an exception's on
 * some hosts (docs/ARCHITECTURE.md, "The gate").  The kernel runs with
 * IF=0 here; an NMI in between stores the same RCX and R11 again.
 */
.macro GATE                             /* RCX, R11, RAX kept, then the prefix */
	movq %rcx, pv_page+PV_GATE_RCX(%rip)
	movq %r11, pv_page+PV_GATE_R11(%rip)
	movq %rax, pv_page+PV_GATE_RAX(%rip)
	xorl %eax, %eax
	syscall
.endm
	.section .text.pvgate, "ax"
	.globl pv_sysret
pv_sysret:
	GATE
	swapgs
	sysretq
pv_iret_user:
	GATE
	swapgs
	iretq
pv_iret_kernel:
	GATE
	iretq
/* long pv_gate_vmcall(RAX nr, RDI, RSI, RDX, R10 args): VMCALL through the
 * gate; RCX and R11 are the caller's to lose (pv.c says so to the compiler). */
	.globl pv_gate_vmcall
pv_gate_vmcall:
	movq %rax, pv_page+PV_GATE_RAX(%rip)
	xorl %eax, %eax
	syscall
	vmcall
	ret
	.text

/* The IDT's view of the stubs: vectors[i] = address of stub i. */
	.section .rodata
	.balign 8
	.globl vectors
vectors:
	.set vec, 0
	.rept 256
	.quad vector_stubs + 16 * vec
	.set vec, vec + 1
	.endr

	.section .note.GNU-stack, "", @progbits
