/*
 * entry.S: the first instructions of the guest kernel.  The monitor starts
 * us in 64-bit mode at CPL 0 with IF=0, on a small identity-mapped boot
 * stack, with RDI = GPA of struct boot_info (boot.h).  We move to our own
 * stack in .bss (the boot stack lies in memory the kernel does not keep
 * mapped), clear .bss, and call kmain(boot_info_gpa).
 */
#define KSTACK_SIZE (16 * 1024)

	.section .text.entry, "ax"
	.globl _start
	.type _start, @function
_start:
	movq %rdi, %r12                 /* boot_info GPA: rep stosb needs %rdi */
	leaq kstack_top(%rip), %rsp     /* nothing is on it yet, so clearing it is fine */
	cld

	leaq __bss_start(%rip), %rdi
	leaq __bss_end(%rip), %rcx
	subq %rdi, %rcx
	xorl %eax, %eax
	rep stosb

	xorl %ebp, %ebp                 /* end of the frame-pointer chain */
	movq %r12, %rdi
	call kmain
	/* kmain never returns; if it did, stop here. */
1:	cli
	hlt
	jmp 1b

	.bss
	.balign 4096
kstack:
	.space KSTACK_SIZE
kstack_top:

	.section .note.GNU-stack, "", @progbits
