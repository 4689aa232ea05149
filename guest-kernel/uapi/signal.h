/*
 * uapi/signal.h: Linux's x86-64 signal numbers and sigaction flags
 * (asm/signal.h), the wait-status encoding (what wait4() reports), and the
 * structures a signal handler and its caller see: siginfo, the x86-64
 * rt_sigframe with its ucontext and sigcontext, the FPU frame's marks,
 * stack_t, itimerval.  The structures need the kernel's u8..u64 (x86.h).
 */
#ifndef UAPI_SIGNAL_H
#define UAPI_SIGNAL_H

#define SIGHUP     1
#define SIGINT     2
#define SIGQUIT    3
#define SIGILL     4
#define SIGTRAP    5
#define SIGABRT    6
#define SIGBUS     7
#define SIGFPE     8
#define SIGKILL    9
#define SIGUSR1   10
#define SIGSEGV   11
#define SIGUSR2   12
#define SIGPIPE   13
#define SIGALRM   14
#define SIGTERM   15
#define SIGSTKFLT 16
#define SIGCHLD   17
#define SIGCONT   18
#define SIGSTOP   19
#define SIGTSTP   20
#define SIGTTIN   21
#define SIGTTOU   22
#define SIGURG    23
#define SIGXCPU   24
#define SIGXFSZ   25
#define SIGVTALRM 26
#define SIGPROF   27
#define SIGWINCH  28
#define SIGIO     29
#define SIGPWR    30
#define SIGSYS    31
#define SIGRTMIN  32
#define NSIG      64          /* signals are 1..NSIG */

#define SIG_DFL 0
#define SIG_IGN 1

/* sigaction.sa_flags */
#define SA_NOCLDSTOP 0x00000001
#define SA_NOCLDWAIT 0x00000002
#define SA_SIGINFO   0x00000004
#define SA_RESTORER  0x04000000
#define SA_ONSTACK   0x08000000
#define SA_RESTART   0x10000000
#define SA_NODEFER   0x40000000
#define SA_RESETHAND 0x80000000

/* rt_sigprocmask's how */
#define SIG_BLOCK   0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2

/* sigaltstack's ss_flags; its smallest stack */
#define SS_ONSTACK    1
#define SS_DISABLE    2
#define SS_AUTODISARM (1u << 31)
#define MINSIGSTKSZ   2048

/* siginfo.si_code: who sent it (<= 0: a process), or why the kernel did */
#define SI_USER       0       /* kill() */
#define SI_QUEUE      (-1)
#define SI_TIMER      (-2)
#define SI_TKILL      (-6)    /* tkill(), tgkill() */
#define SI_KERNEL     0x80
#define ILL_ILLOPN    2       /* SIGILL: illegal operand (#UD) */
#define FPE_INTDIV    1       /* SIGFPE: integer divide by zero (#DE) */
#define FPE_INTOVF    2
#define FPE_FLTDIV    3
#define FPE_FLTOVF    4
#define FPE_FLTUND    5
#define FPE_FLTRES    6
#define FPE_FLTINV    7
#define SEGV_MAPERR   1       /* SIGSEGV: no mapping at the address */
#define SEGV_ACCERR   2       /* SIGSEGV: a mapping without the right */
#define BUS_ADRALN    1       /* SIGBUS: misaligned (#AC) */
#define BUS_ADRERR    2       /* SIGBUS: no such address (a file mapping past its end) */
#define TRAP_BRKPT    1       /* SIGTRAP */
#define TRAP_TRACE    2
#define CLD_EXITED    1       /* SIGCHLD and waitid() */
#define CLD_KILLED    2
#define CLD_DUMPED    3
#define CLD_TRAPPED   4
#define CLD_STOPPED   5
#define CLD_CONTINUED 6

/* waitid's idtype */
#define P_ALL  0
#define P_PID  1
#define P_PGID 2

/* setitimer's which: only ITIMER_REAL is kept */
#define ITIMER_REAL    0
#define ITIMER_VIRTUAL 1
#define ITIMER_PROF    2

/* Wait statuses, Linux encoding: exit code in bits 15:8, or the signal
 * that killed the process in bits 6:0 (bit 7: core dumped); a stopped
 * process reports 0x7f with the signal in bits 15:8, a continued one
 * 0xffff. */
#define W_EXITCODE(code)  (((code) & 0xff) << 8)
#define W_SIGNALED(sig)   ((sig) & 0x7f)
#define W_STOPCODE(sig)   ((((sig) & 0xff) << 8) | 0x7f)
#define W_CONTINUED       0xffff
#define W_IFEXITED(ws)    (((ws) & 0x7f) == 0)
#define W_EXITSTATUS(ws)  (((ws) >> 8) & 0xff)
#define W_TERMSIG(ws)     ((ws) & 0x7f)

/* wait4/waitid options */
#define WNOHANG    0x00000001
#define WUNTRACED  0x00000002
#define WSTOPPED   WUNTRACED
#define WEXITED    0x00000004
#define WCONTINUED 0x00000008
#define WNOWAIT    0x01000000
#define __WNOTHREAD 0x20000000
#define __WALL     0x40000000
#define __WCLONE   0x80000000

#ifndef __ASSEMBLER__
#include "uapi/time.h"

/* The siginfo a handler with SA_SIGINFO gets (and waitid, rt_sigtimedwait
 * fill): 128 bytes, the union at offset 16. */
struct siginfo {
	s32 si_signo;
	s32 si_errno;
	s32 si_code;
	s32 pad0;
	union {
		struct {               /* kill, tkill, and SIGCHLD's first part */
			s32 si_pid;
			u32 si_uid;
			s32 si_status;       /* SIGCHLD: exit code or signal */
			s32 pad1;
			s64 si_utime;        /* SIGCHLD: clock ticks (not counted here: 0) */
			s64 si_stime;
		};
		u64 si_addr;           /* SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP */
		u8 si_pad[112];
	};
};

/* stack_t: sigaltstack() and ucontext.uc_stack */
struct sigaltstack {
	u64 ss_sp;
	s32 ss_flags;
	s32 pad;
	u64 ss_size;
};

/* x86-64 struct sigcontext (asm/sigcontext.h): the interrupted registers */
struct sigcontext {
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
	u64 rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp;
	u64 rip, eflags;
	u16 cs, gs, fs, ss;
	u64 err, trapno, oldmask, cr2;
	u64 fpstate;              /* user address of the FPU image, 0: none */
	u64 reserved1[8];
};

/* ucontext.uc_flags */
#define UC_FP_XSTATE         0x1   /* the FPU image is an XSAVE image */
#define UC_SIGCONTEXT_SS     0x2
#define UC_STRICT_RESTORE_SS 0x4

struct ucontext {
	u64 uc_flags;
	u64 uc_link;
	struct sigaltstack uc_stack;
	struct sigcontext uc_mcontext;
	u64 uc_sigmask;
};

/* What the kernel pushes for a handler (arch/x86/include/asm/sigframe.h);
 * the handler's RSP points at pretcode, its return address (sa_restorer,
 * which calls rt_sigreturn).  The FPU image lies above, 64-byte aligned. */
struct rt_sigframe {
	u64 pretcode;
	struct ucontext uc;
	struct siginfo info;
};

/* The FPU image's software bytes (its bytes 464-511, unused by the CPU):
 * they tell an XSAVE image from a bare FXSAVE one; FP_XSTATE_MAGIC2 follows
 * the image, at fpstate + xstate_size. */
#define FP_XSTATE_MAGIC1 0x46505853u
#define FP_XSTATE_MAGIC2 0x46505845u
struct fpx_sw_bytes {
	u32 magic1;
	u32 extended_size;        /* xstate_size + 4 */
	u64 xfeatures;            /* the components the image's layout has */
	u32 xstate_size;
	u32 padding[7];
};

struct itimerval {                /* struct timeval: uapi/time.h */
	struct timeval it_interval;
	struct timeval it_value;
};

#endif /* __ASSEMBLER__ */

#endif
