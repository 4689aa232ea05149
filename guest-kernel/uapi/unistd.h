/*
 * uapi/unistd.h: the system-call numbers, SYS_<name> = Linux's x86-64
 * number, from the list the monitor shares (<trapvisor/linux_syscalls.h>),
 * and trapvisor's own call.
 */
#ifndef UAPI_UNISTD_H
#define UAPI_UNISTD_H

#include <trapvisor/linux_syscalls.h>

#define SYSNUM_ENUM(nr, name) SYS_##name = nr,
enum { LINUX_SYSCALLS(SYSNUM_ENUM) };
#undef SYSNUM_ENUM

#define SYS_tv_mark 1000      /* mark a benchmark phase (port 0x510) */

#endif
