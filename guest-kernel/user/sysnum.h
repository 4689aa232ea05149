/*
 * sysnum.h: system call numbers, shared by the kernel (syscall.c) and the
 * user library (ulib.h).  Linux x86-64 numbers, so static Linux binaries
 * can run; 1000 is trapvisor's own.
 */
#ifndef SYSNUM_H
#define SYSNUM_H

#define SYS_read          0
#define SYS_write         1
#define SYS_open          2
#define SYS_close         3
#define SYS_lseek         8
#define SYS_mmap          9
#define SYS_mprotect      10
#define SYS_munmap        11
#define SYS_brk           12
#define SYS_rt_sigaction  13
#define SYS_rt_sigprocmask 14
#define SYS_ioctl         16
#define SYS_pread64       17
#define SYS_pwrite64      18
#define SYS_writev        20
#define SYS_sched_yield   24
#define SYS_nanosleep     35
#define SYS_getpid        39
#define SYS_fork          57
#define SYS_execve        59
#define SYS_exit          60
#define SYS_wait4         61
#define SYS_kill          62
#define SYS_fsync         74
#define SYS_fdatasync     75
#define SYS_getrusage     98
#define SYS_arch_prctl    158
#define SYS_set_tid_address 218
#define SYS_clock_gettime 228
#define SYS_exit_group    231
#define SYS_tv_mark       1000    /* mark a benchmark phase (port 0x510) */

#endif
