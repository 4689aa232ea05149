/*
 * What the guest kernel tells the monitor so that people can see inside
 * the guest (docs/ARCHITECTURE.md, "Backtraces" and "The trace
 * timeline"); shared by the monitor and the guest kernel (freestanding:
 * only <stdint.h>).
 *
 * HC_USER_FAULT: a user program is about to die of a fatal signal (one
 * whose default action dumps core on Linux: SIGQUIT, SIGILL, SIGTRAP,
 * SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGXCPU, SIGXFSZ, SIGSYS).  The guest
 * kernel makes this hypercall (vmcall, as boot.h's) with RDI = the guest
 * virtual address of a struct tv_user_fault, while the dying process's
 * page tables are still loaded.  With --backtrace-user the monitor prints
 * a libunwind backtrace of the program's stack from those registers
 * (monitor/unwind.c) and returns 0; without it, it returns -38 (ENOSYS),
 * and so does a monitor that predates it.  Nothing in the guest changes.
 *
 * Process switches reach the monitor through the paravirtual page
 * (boot.h, struct pv_vcpu: proc_pid and proc_name), written by the guest
 * kernel as it switches: plain stores, no trap; the monitor reads them
 * only with --trace.
 */
#ifndef TRAPVISOR_DEBUG_H
#define TRAPVISOR_DEBUG_H

#include <stdint.h>

#define HC_USER_FAULT     64     /* RDI = GVA of a struct tv_user_fault */

struct tv_user_fault {
	uint64_t gpr[16];         /* RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI,
	                           * R8-R15 (the x86 encoding order) at the
	                           * fault, as the program had them */
	uint64_t rip, rflags;
	uint64_t phdr;            /* where its program headers are (AT_PHDR) */
	uint64_t phnum;           /* how many (AT_PHNUM) */
	uint64_t bias;            /* load bias: 0 for ET_EXEC, the base for a
	                           * static-PIE */
	int32_t pid;              /* the process */
	int32_t sig;              /* the signal it dies of */
	char name[16];            /* its name (comm), NUL-ended */
	char exe[256];            /* its program's absolute path (/proc/PID/exe),
	                           * NUL-ended: where the monitor looks for its
	                           * symbols, in the --initrd archive */
};

#endif
