/*
 * The layout shared by the stub (stub.S, assembled) and the monitor (C): the
 * stub's code page and data page sit at the top of the guest-unusable 4 GiB
 * below 0x800000000000 in every context process.
 */
#ifndef STUB_H
#define STUB_H

#define STUB_BASE      0x7fff00000000   /* code page (r-x) */
#define STUB_DATA      0x7fff00001000   /* data page (rw-, shared memfd) */
#define STUB_END       0x7fff00002000
#define STUB_RAM_FD    3                /* the guest RAM memfd in a context */
#define STUB_DATA_FD   4                /* the shared stub data page memfd */
#define STUB_PATCH_FD  5                /* patched copies of guest code pages */

/* Entry points inside the code page. */
#define STUB_ENTRY     (STUB_BASE + 0)  /* maps the data page, then int3 */
#define STUB_BATCH     (STUB_BASE + 0x40) /* runs data->ops[0..nops), then
                                           * jumps to data->next */
#define STUB_SYSCALL   (STUB_BASE + 0x7f) /* its one syscall instruction */
#define STUB_BATCH_END (STUB_BASE + 0xb0) /* int3: the batch ended, or failed */
#define STUB_FOLD      (STUB_BASE + 0x440) /* clears the operations, loads the
                                           * guest's registers, iretq to it */
#define STUB_FOLD_END  (STUB_BASE + 0x4c0)

/* Data page layout (byte offsets). */
#define STUB_OFF_NOPS    0    /* u64: operations to run */
#define STUB_OFF_DONE    8    /* u64: operations completed */
#define STUB_OFF_RESULT  16   /* s64: result of the last one run */
#define STUB_OFF_NEXT    24   /* u64: where the batch goes when all ran:
                               * STUB_BATCH_END, or STUB_FOLD */
#define STUB_OFF_OPS     64   /* struct stub_op[STUB_MAX_OPS] */
#define STUB_OP_SIZE     56   /* nr + six arguments, u64 each */
#define STUB_MAX_OPS     48
#define STUB_OFF_SCRATCH 2816 /* up to 1104 bytes: seccomp filter, etc. */
#define STUB_SCRATCH_SIZE 1104
/* What STUB_FOLD loads (host_fold.c): the sixteen general registers in
 * traps.h's R_* order (the R_RSP slot unused), then an iretq frame: RIP,
 * CS, RFLAGS, RSP, SS. */
#define STUB_OFF_REGS    3920
#define STUB_REGS_SIZE   168
#define STUB_OFF_IRET    (STUB_OFF_REGS + 128)

/*
 * The signal backend (host_signal.c, docs/ARCHITECTURE.md "The signal
 * backend"): each context also maps its own memfd (fd STUB_SIG_FD while it
 * is set up) in three parts:
 *   SIG_TRAP  (rw)  the trap record, then the alternate signal stack the
 *                   host kernel writes each trap's signal frame on;
 *   SIG_REQ   (r-)  requests the monitor writes for the stub thread: mapping
 *                   operations, its signal mask and seccomp program;
 *   SIG_RES   (rw)  what the stub thread answers.
 * The guest's code can write SIG_TRAP and SIG_RES: the monitor treats every
 * value it reads there as guest input (docs/THREAT-MODEL.md).
 */
#define STUB_SIG_FD    6
#define SIG_TRAP       (STUB_BASE + 0x10000)
#define SIG_TRAP_SIZE  0x10000          /* 4 KiB record + 60 KiB stack */
#define SIG_STACK      (SIG_TRAP + 0x1000)
#define SIG_REQ        (SIG_TRAP + SIG_TRAP_SIZE)
#define SIG_RES        (SIG_REQ + 0x1000)
#define SIG_MEMFD_SIZE (SIG_TRAP_SIZE + 0x2000)

/* Entry points of the signal backend inside the code page. */
#define SIG_PARK       (STUB_BASE + 0x100) /* int3: the first trap */
#define SIG_HANDLER    (STUB_BASE + 0x110) /* sa_handler of every trap */
#define SIG_RESTORER   (STUB_BASE + 0x260) /* sa_restorer: rt_sigreturn */
#define SIG_HSYS       (STUB_BASE + 0x270) /* the guest thread's syscall; ret */
#define SIG_SPAWN      (STUB_BASE + 0x280) /* clone the stub thread, int3 */
#define SIG_THREAD     (STUB_BASE + 0x2c0) /* the stub thread's loop */
#define SIG_TSYS       (STUB_BASE + 0x420) /* its syscall; jmp *%r15 */

/* The trap record at SIG_TRAP (byte offsets). */
#define T_STATE     0    /* u32 futex: 1 trapped (handler waits), 2 run,
                          * 0 the handler is on its way back to the guest */
#define T_HWAIT     4    /* u32: the handler sleeps on T_STATE */
#define T_MWAIT     8    /* u32: the monitor sleeps on T_STATE */
#define T_FLAGS     12   /* u32: bit 0, the host has FSGSBASE */
#define T_SIGNO     16   /* u64: the signal */
#define T_INFO      24   /* u64: its siginfo (on the stack) */
#define T_UC        32   /* u64: its ucontext (on the stack) */
#define T_SET_FS    40   /* u64: nonzero: set the FS base to T_FS */
#define T_FS        48
#define T_SET_GS    56
#define T_GS        64
#define T_FS_NOW    72   /* u64: FS/GS base at the trap (FSGSBASE hosts) */
#define T_GS_NOW    80
#define T_SPIN      88   /* u32: pause loops before the handler sleeps */

/* The request page SIG_REQ, and the result page SIG_RES. */
#define R_SEQ       0    /* u32 futex: request number */
#define R_NOPS      8    /* u64: operations in R_OPS */
#define R_MASK      16   /* u64: the stub thread's signal mask (all) */
#define R_PROG      24   /* struct sock_fprog of the stub thread's filter */
#define R_OPS       64   /* struct stub_op[STUB_MAX_OPS] */
#define R_FILTER    2816 /* the filter's code, up to 1280 bytes */
#define S_ACK       0    /* u32 futex: last request number done */
#define S_READY     4    /* u32 futex: 1 once the thread's filter is on */
#define S_MWAIT     8    /* u32: the monitor sleeps on S_ACK */
#define S_DONE      16   /* u64: operations completed */
#define S_RESULT    24   /* s64: result of the last one run */

#endif
