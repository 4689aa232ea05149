/*
 * The host layer's interface (traps/host.c, traps/context.c): every
 * ptrace, waitpid and fork of the monitor, and the context processes that
 * hold the guest's shadow address spaces.  Its users see plain data, never
 * a ptrace request.  traps.h is the emulator's header.
 */
#ifndef HOST_H
#define HOST_H

#include <sys/types.h>

#include "traps.h"

/* ---- The host layer (host.c, context.c): every ptrace, waitpid, fork ----
 * A stop of a context process becomes plain data (struct trap_event); the
 * rest of the monitor never sees ptrace.  Functions return 0 or -errno. */

enum trap_kind {
	TRAP_SYSCALL,            /* the guest executed SYSCALL (or INT 0x80) */
	TRAP_SIGNAL,             /* a fault: signo, code, addr */
	TRAP_EXIT,               /* the context process is gone */
};

struct trap_event {
	enum trap_kind kind;     /* what stopped the context */
	int signo;               /* TRAP_SIGNAL: SIGSEGV, SIGILL, SIGFPE, ... */
	int code;                /* TRAP_SIGNAL: si_code (SI_KERNEL, SEGV_MAPERR, ...) */
	u64 addr;                /* TRAP_SIGNAL: si_addr, the faulting address if any */
	int status;              /* TRAP_EXIT: exit code, or -signal if killed */
};

/* host.c */
/* Copy the vCPU's registers into context process 'pid' (host CS/SS, IF=1). */
int host_load_vcpu(pid_t pid, const struct vcpu *v);
/* Copy the registers of stopped 'pid' into the vCPU, keeping the virtual
 * IF and IOPL; at a syscall stop RAX is the guest's (orig_rax). */
int host_save_vcpu(pid_t pid, struct vcpu *v, bool syscall_stop);
/* Resume 'pid' under PTRACE_SYSEMU and wait for its next stop; with 'step',
 * for one instruction only (a SIGTRAP stop with code TRAP_TRACE after it). */
int host_run(pid_t pid, struct trap_event *ev, bool step);
/* Move the FPU/XSAVE state from one context process to another. */
int host_move_fpu(pid_t from, pid_t to);
/* The FPU/XSAVE state of context 'pid' into buf (at most size bytes; the
 * host's full XSAVE size is needed): returns its size, or -errno.  And
 * back: size must be the host's full size (DESIGN.md pitfalls); a state
 * the host kernel finds invalid is -EINVAL. */
#define HOST_FPU_MAX (64 * 1024)      /* far above this host's 10752 (AMX) */
int host_get_fpu(pid_t pid, void *buf, size_t size);
int host_set_fpu(pid_t pid, const void *buf, size_t size);
/* Kill and reap a context process. */
void host_kill(pid_t pid);
/* Does prctl(PR_SET_TSC, PR_TSC_SIGSEGV) really make RDTSC trap on this
 * host?  1 or 0 (probed in a child process), or -errno. */
int host_rdtsc_traps(void);

/* context.c: context processes running the stub, and mapping batches. */
struct stub {
	int exec_fd;             /* memfd holding the stub ELF, for fexecve */
	int data_fd;             /* memfd of the shared stub data page */
	u8 *data;                /* the monitor's mapping of that page */
	int ram_fd;              /* guest RAM memfd handed to every context */
	int patch_fd;            /* memfd of patched code copies (-1: none) */
	pid_t batch_pid;         /* context the pending operations are for */
	int nops;                /* pending operations in the data page */
	bool cpuid_faulting;     /* the host made CPUID trap in contexts */
	bool cpuid_faulting_off; /* do not ask for it (--cpuid-faulting=off); set
	                          * after stub_init, before the first context */
	bool rdtsc_trap_off;     /* do not ask for RDTSC trapping: the host
	                          * ignores it (host_rdtsc_traps()), so RDTSC
	                          * runs natively; set likewise */
	u64 batches;             /* batches run */
	u64 ops;                 /* operations run */
	u64 spawned;             /* context processes created */
};

int stub_init(struct stub *s, int ram_fd, char *err, size_t errlen);
void stub_destroy(struct stub *s);
/* Create a context process: exec the stub, unmap everything else, make
 * RDTSC (and CPUID where the host can) trap, install the seccomp filter. */
int ctx_spawn(struct stub *s, pid_t *pid);
/* Queue mmap of guest RAM at 'gva' (one page, GPA 'gpa', PROT_* 'prot'),
 * or munmap of [gva, gva+len), for context 'pid'. */
int ctx_map(struct stub *s, pid_t pid, u64 gva, u64 gpa, int prot);
/* The same from the patched-code memfd, at byte offset 'off'. */
int ctx_map_patch(struct stub *s, pid_t pid, u64 gva, u64 off, int prot);
int ctx_unmap(struct stub *s, pid_t pid, u64 gva, u64 len);
/* Queue mprotect of [gva, gva+len) to PROT_* 'prot'. */
int ctx_protect(struct stub *s, pid_t pid, u64 gva, u64 len, int prot);
/* 'pid' is about to be killed: drop the operations queued for it. */
void ctx_forget(struct stub *s, pid_t pid);
/* Run the queued operations now (before 'pid' resumes guest code). */
int ctx_flush(struct stub *s);

#endif
