/*
 * kernel/signal.h: a process's signal state (struct sigstate, one field of
 * struct proc), and the functions of signal.c (signals, process groups,
 * wait) and arch/x86/fpu.c (the user FPU state) that the rest of the kernel
 * calls.  Included from defs.h, before struct proc.
 */
#ifndef KERNEL_SIGNAL_H
#define KERNEL_SIGNAL_H

struct proc;
struct trapframe;

#define NPROC 64                  /* process slots (proc.c) */

/* Linux's struct sigaction as rt_sigaction() passes it. */
struct ksigaction {
	u64 handler;              /* SIG_DFL, SIG_IGN or a function */
	u64 flags;                /* SA_* */
	u64 restorer;             /* SA_RESTORER: the handler's return address */
	u64 mask;                 /* blocked as well while the handler runs */
};

/* What the kernel keeps of a pending signal's siginfo. */
struct ksiginfo {
	s32 code;                 /* si_code: SI_USER, SI_KERNEL, CLD_*, SEGV_*, ... */
	s32 pid;                  /* the sender (kill), the child (SIGCHLD) */
	s32 status;               /* SIGCHLD: exit code or signal */
	u32 trapno;               /* a fault: its vector, and ... */
	u64 err;                  /* ... its error code */
	u64 addr;                 /* a fault: si_addr (and CR2 for #PF) */
	u64 value;                /* rt_sigqueueinfo (SI_QUEUE): si_value */
};

/* A process's signals (signal.c, which keeps its actions and the info of
 * its pending signals in a table of its own, by process slot). */
struct sigstate {
	u64 blocked;              /* bit sig - 1: blocked */
	u64 pending;              /* bit sig - 1: pending (its siginfo: signal.c) */
	u64 saved_mask;           /* rt_sigsuspend: the mask to go back to ... */
	bool restore_mask;        /* ... on the way out (or in the handler's frame) */
	bool iret;                /* leave the system call by IRETQ: a frame was built or rt_sigreturn ran */
	bool stopped;             /* stopped by SIGSTOP/SIGTSTP/SIGTTIN/SIGTTOU */
	bool cont_report;         /* continued, not yet reported to wait(WCONTINUED) */
	int stop_report;          /* stopped by this signal, not yet reported to wait(WUNTRACED) */
	bool exec_done;           /* has called execve (setpgid() by the parent: EACCES) */
	u64 waitset;              /* rt_sigtimedwait: the signals it waits for */
	u64 ss_sp, ss_size;       /* sigaltstack; ss_size 0: none */
	u32 ss_flags;             /* SS_AUTODISARM */
	u64 alarm_at;             /* ITIMER_REAL: next expiry, ns of CLOCK_MONOTONIC; 0: off */
	u64 alarm_every;          /* its interval in ns, 0: one shot */
	u64 restart_at;           /* nanosleep interrupted: restart_syscall() sleeps until then ... */
	u64 restart_rem;          /* ... and writes what is left here (0: nowhere) */
	u64 fpu_stash[4];         /* pv FPU: pages holding its area while it is stopped */
};

/* signal.c */
bool signal_pending(void);
void signal_sets(struct proc *p, u64 set[4]);
void signal_send(struct proc *p, int sig);
int signal_pgrp(int pgid, int sig);
void signal_fork(struct proc *child, struct proc *parent);
void signal_exec(struct proc *p);
void signal_exit(struct proc *p, int wstatus);
bool signal_fault(struct trapframe *tf, int sig, int code, u64 addr);
int signal_fpe_code(unsigned vector);
void signal_syscall_return(struct trapframe *tf, u64 nr);
void signal_user_return(struct trapframe *tf);
void signal_tick(void);
s64 signal_sleep_interrupted(u64 left_ns, u64 rem_va);
int proc_wait(int pid, int options, int *wstatus, u64 *minflt);
void proc_intr(int pgrp, const void *reading);
bool signal_pgrp_orphaned(int pgid);
bool signal_ignored(struct proc *p, int sig);
s64 sys_rt_sigaction(u64 sig, u64 act_va, u64 oldact_va, u64 setsize);
s64 sys_rt_sigprocmask(u64 how, u64 set_va, u64 oldset_va, u64 setsize);
s64 sys_rt_sigreturn(void);
s64 sys_rt_sigpending(u64 set_va, u64 setsize);
s64 sys_rt_sigsuspend(u64 mask_va, u64 setsize);
s64 sys_rt_sigtimedwait(u64 set_va, u64 info_va, u64 ts_va, u64 setsize);
s64 sys_sigaltstack(u64 ss_va, u64 oss_va);
s64 sys_kill(u64 pid, u64 sig);
s64 sys_tkill(u64 tid, u64 sig);
s64 sys_tgkill(u64 tgid, u64 tid, u64 sig);
s64 sys_rt_sigqueueinfo(u64 pid, u64 sig, u64 info_va);
s64 sys_pause(void);
s64 sys_alarm(u64 seconds);
s64 sys_getitimer(u64 which, u64 value_va);
s64 sys_setitimer(u64 which, u64 value_va, u64 old_va);
s64 sys_restart_syscall(void);
s64 sys_setpgid(u64 pid, u64 pgid);
s64 sys_getpgid(u64 pid);
s64 sys_getpgrp(void);
s64 sys_setsid(void);
s64 sys_getsid(u64 pid);
s64 sys_getppid(void);
s64 sys_waitid(u64 idtype, u64 id, u64 info_va, u64 options, u64 rusage_va);

/* proc.c: a process's FPU save area, and the state of a fresh program */
u8 *fpu_area(struct proc *p);
void fpu_reset(struct proc *p);

/* fpu.c (arch/x86): the user FPU state without the paravirtual FPU */
void fpu_init(void);
bool fpu_xsave(void);             /* areas are XSAVE images (else FXSAVE) */
u32 fpu_size(void);               /* bytes of an area */
u64 fpu_xcr0(void);               /* the components an area's layout holds */
u64 fpu_restorable(void);         /* the ones a signal frame may set */
u32 fpu_mxcsr_mask(void);         /* the MXCSR bits a program may set */
void fpu_store(void *area);       /* the live registers into area */
void fpu_load(const void *area);  /* area into the live registers */

#endif /* KERNEL_SIGNAL_H */
