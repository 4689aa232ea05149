/*
 * userfault.c: tell the monitor that a user program dies of a signal that
 * dumps core on Linux, with its registers at the fault, so that
 * `trapvisor --backtrace-user` can print a libunwind backtrace of its
 * stack (HC_USER_FAULT, <trapvisor/debug.h>; monitor/unwind.c).  The
 * monitor reads the program's own .eh_frame from its memory, found
 * through the program headers exec placed (struct mm), while this
 * process's page tables are still loaded.  Only with the paravirtual
 * interface; nothing changes for the guest whatever the answer.
 */
#include "defs.h"
#include "trapvisor/debug.h"

/* Linux's SIG_KERNEL_COREDUMP_MASK. */
#define CORE_SIGS (1ul << SIGQUIT | 1ul << SIGILL | 1ul << SIGTRAP | 1ul << SIGABRT | \
		   1ul << SIGBUS | 1ul << SIGFPE | 1ul << SIGSEGV | 1ul << SIGXCPU | \
		   1ul << SIGXFSZ | 1ul << SIGSYS)

static struct tv_user_fault fault;       /* one vCPU: one report at a time */

void user_fault_report(const struct trapframe *tf, int sig)
{
	struct proc *p = cpu.proc;

	if (!pv_on || !p || !p->mm || sig <= 0 || sig >= 64 || !(CORE_SIGS & (1ul << sig)))
		return;
	memset(&fault, 0, sizeof(fault));
	/* The x86 encoding order: RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8-R15. */
	const u64 gpr[16] = { tf->rax, tf->rcx, tf->rdx, tf->rbx, tf->rsp, tf->rbp, tf->rsi,
			      tf->rdi, tf->r8, tf->r9, tf->r10, tf->r11, tf->r12, tf->r13,
			      tf->r14, tf->r15 };
	memcpy(fault.gpr, gpr, sizeof(gpr));
	fault.rip = tf->rip;
	fault.rflags = tf->rflags;
	fault.phdr = p->mm->phdr;
	fault.phnum = p->mm->phnum;
	fault.bias = p->mm->bias;
	fault.pid = p->pid;
	fault.sig = sig;
	strlcpy(fault.name, p->name, sizeof(fault.name));
	strlcpy(fault.exe, p->exe, sizeof(fault.exe));
	pv_hypercall(HC_USER_FAULT, (long)&fault, 0, 0);
}
