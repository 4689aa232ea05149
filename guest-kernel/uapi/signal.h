/*
 * uapi/signal.h: Linux's x86-64 signal numbers and sigaction flags
 * (asm/signal.h), and the wait-status encoding (what wait4() reports).
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

#endif
