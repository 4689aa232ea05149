/*
 * syscall.c: system calls, with Linux x86-64 numbers and ABI so that real
 * static binaries can run here later: RAX = number, arguments in RDI, RSI,
 * RDX, R10, R8, R9, result in RAX, -errno on failure.  syscall_entry
 * (trapasm.S) has saved the user registers in a trapframe; the result goes
 * back in tf->rax and every other register returns unchanged (except after
 * execve, which starts the new program with fresh registers).
 *
 * This file checks and copies the arguments; the work is done by proc.c,
 * console.c, timer.c and mmap.c.  The signal, process-group and waitid
 * calls are signal.c's (sys_* there, listed in the table below), which
 * also decides, on the way out of every call, whether a signal handler
 * runs first and whether an interrupted call is restarted.  User memory is reached directly: the
 * process's page tables are loaded, and the guest has no SMAP.  Every
 * pointer is checked first by mm_user_ok(), which also makes its pages
 * ready (backed, and the process's own if written), because a fault in the
 * kernel is a panic.
 *
 * One call is not Linux's: tv_mark(id) (number 1000) writes id to the
 * measurement port, so a benchmark can mark its phases for the monitor
 * (--bench-log); elsewhere the write goes nowhere.
 */
#include <trapvisor/boot.h>

#include "defs.h"

#include "uapi/time.h"
#include "uapi/unistd.h"

#define MAX_SLEEP_S (100ul * 365 * 86400)   /* longer sleeps are cut to a century */

/* Linux's struct rusage.  Only ru_minflt (page faults served without
 * I/O: first touches and copies on write, trap.c) and, for getrusage,
 * ru_utime (the timer ticks run in user mode) are counted. */
struct rusage {
	u64 times[4];             /* ru_utime, ru_stime */
	u64 maxrss, ixrss, idrss, isrss;
	u64 minflt;
	u64 rest[9];              /* ru_majflt ... ru_nivcsw */
};
_Static_assert(sizeof(struct rusage) == 144, "Linux's struct rusage");
#define RUSAGE_SELF     0
#define RUSAGE_CHILDREN (-1)
#define RUSAGE_THREAD   1

/* True if the running process may read (write) [va, va + len). */
bool user_ok(u64 va, u64 len, bool write)
{
	return len == 0 || mm_user_ok(cpu.proc->mm, va, len, write);
}

/* Copy len bytes from user address va to dst; -EFAULT if not readable. */
int copyin(void *dst, u64 va, u64 len)
{
	if (!user_ok(va, len, false))
		return -EFAULT;
	memcpy(dst, (const void *)va, len);
	return 0;
}

/* Copy len bytes from src to user address va; -EFAULT if not writable. */
int copyout(u64 va, const void *src, u64 len)
{
	if (!user_ok(va, len, true))
		return -EFAULT;
	memcpy((void *)va, src, len);
	return 0;
}

/* Copy the NUL-terminated string at user address va into dst[size].
 * Returns its length, -EFAULT, or -ENAMETOOLONG if it does not fit. */
int copyin_str(char *dst, u64 va, u64 size)
{
	for (u64 i = 0; i < size; i++) {
		if ((i == 0 || ((va + i) & (PGSIZE - 1)) == 0) && !user_ok(va + i, 1, false))
			return -EFAULT;
		dst[i] = ((const char *)va)[i];
		if (dst[i] == 0)
			return i;
	}
	return -ENAMETOOLONG;
}

/* arch_prctl(ARCH_SET_FS / ARCH_GET_FS, addr): the thread pointer that
 * musl's TLS lives at (proc.c keeps it per process). */
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003

static s64 sys_arch_prctl(u64 code, u64 addr)
{
	if (code == ARCH_SET_FS)
		return proc_set_fs(addr);
	if (code == ARCH_GET_FS)
		return copyout(addr, &cpu.proc->fs_base, sizeof(u64));
	return -EINVAL;
}

/*
 * execve(path, argv, envp): path names a program (exec.c finds it).  The
 * path, arguments and environment are copied into kernel pages first: the
 * old address space, where they live, is gone once the new one is in
 * place.
 */
static s64 sys_execve(u64 path_va, u64 argv_va, u64 envp_va)
{
	struct exec_args *args = exec_args_new();
	u64 page = kalloc();
	s64 err = -ENOMEM;
	char *path;

	if (!page || !args)
		goto out;
	path = phys_to_virt(page);
	if ((err = copyin_str(path, path_va, PGSIZE)) < 0)
		goto out;
	if ((err = exec_args_add_user(args, argv_va, false)) < 0)
		goto out;
	/* An empty argv gets "" as argv[0], as Linux does since 5.18: a
	 * program may take argv[0] for granted. */
	if (exec_args_count(args) == 0 && (err = exec_args_add(args, "", false)) < 0)
		goto out;
	if ((err = exec_args_add_user(args, envp_va, true)) < 0)
		goto out;
	err = proc_exec(path, args);
out:
	if (page)
		kfree(page);
	exec_args_free(args);
	return err;
}

/* wait4(pid, wstatus, options, rusage): the child's rusage (struct rusage)
 * includes the children it reaped. */
static s64 sys_wait4(s64 pid, u64 wstatus_va, u64 options, u64 rusage_va)
{
	struct rusage ru = { 0 };
	int wstatus, r;

	if (wstatus_va && !user_ok(wstatus_va, sizeof(int), true))
		return -EFAULT;
	if (rusage_va && !user_ok(rusage_va, sizeof(ru), true))
		return -EFAULT;
	r = proc_wait(pid, options, &wstatus, &ru.minflt);
	if (r > 0 && wstatus_va)
		copyout(wstatus_va, &wstatus, sizeof(wstatus));
	if (r > 0 && rusage_va)
		copyout(rusage_va, &ru, sizeof(ru));
	return r;
}

/* getrusage(who, rusage): the caller's own counts, or its reaped
 * children's (struct rusage). */
static s64 sys_getrusage(u64 who_arg, u64 rusage_va)
{
	struct rusage ru = { 0 };
	int who = (int)who_arg;           /* an int: only the low 32 bits are set */
	u64 ticks;

	if (who == RUSAGE_SELF || who == RUSAGE_THREAD) {
		ru.minflt = cpu.proc->minflt;
		ticks = cpu.proc->uticks;
	} else if (who == RUSAGE_CHILDREN) {
		ru.minflt = cpu.proc->cminflt;
		ticks = cpu.proc->cuticks;
	} else {
		return -EINVAL;
	}
	ticks *= timer_tick_ns() / 1000;              /* ru_utime, as a timeval */
	ru.times[0] = ticks / 1000000;
	ru.times[1] = ticks % 1000000;
	return copyout(rusage_va, &ru, sizeof(ru));
}

/* nanosleep(req, rem): rem gets the time left if a signal ends it early;
 * if no handler runs (a stop and SIGCONT), restart_syscall() sleeps the
 * rest (signal.c). */
s64 sys_nanosleep(u64 req_va, u64 rem_va)
{
	struct timespec ts;
	u64 left, ns;
	int r;

	if (copyin(&ts, req_va, sizeof(ts)) < 0)
		return -EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= (s64)NS_PER_S)
		return -EINVAL;
	if ((u64)ts.tv_sec > MAX_SLEEP_S)
		ts.tv_sec = MAX_SLEEP_S;
	ns = ts.tv_sec * NS_PER_S + ts.tv_nsec;
	r = timer_sleep(ns, &left);
	if (r == -EINTR) {
		if (rem_va) {
			ts.tv_sec = left / NS_PER_S;
			ts.tv_nsec = left % NS_PER_S;
			copyout(rem_va, &ts, sizeof(ts));
		}
		return signal_sleep_interrupted(left, rem_va);
	}
	return r;
}

static s64 sys_sched_yield(void)
{
	yield();
	return 0;
}

static s64 sys_getpid(void)
{
	return cpu.proc->pid;
}

static s64 sys_fork(void)
{
	return proc_fork();
}

static s64 sys_exit(u64 status)
{
	proc_exit(W_EXITCODE(status));    /* one thread per process: exit_group too */
}

static s64 sys_mmap(u64 addr, u64 len, u64 prot, u64 flags, u64 fd, u64 off)
{
	return mm_mmap(cpu.proc->mm, addr, len, prot, flags, fd, off);
}

static s64 sys_mprotect(u64 addr, u64 len, u64 prot)
{
	return mm_mprotect(cpu.proc->mm, addr, len, prot);
}

static s64 sys_munmap(u64 addr, u64 len)
{
	return mm_munmap(cpu.proc->mm, addr, len);
}

static s64 sys_msync(u64 addr, u64 len, u64 flags)
{
	return mm_msync(cpu.proc->mm, addr, len, flags);
}

static s64 sys_brk(u64 addr)
{
	return mm_brk(cpu.proc->mm, addr);
}

static s64 sys_mremap(u64 old, u64 old_len, u64 new_len, u64 flags, u64 new_addr)
{
	return mm_mremap(cpu.proc->mm, old, old_len, new_len, flags, new_addr);
}

static s64 sys_madvise(u64 addr, u64 len, u64 advice)
{
	return mm_madvise(cpu.proc->mm, addr, len, advice);
}

static s64 sys_tv_mark(u64 id)
{
	outl(PORT_BENCH_MARK, (u32)id);
	return 0;
}

/*
 * The dispatch table: system-call number -> handler.  Handlers take the
 * arguments they use, as u64s, in order; the x86-64 calling convention
 * passes all six in registers, so calling every handler through one
 * six-argument type hands each the ones it declares (the way Linux's own
 * table worked before it passed struct pt_regs).  The cast through
 * void (*)(void) says that this is deliberate.
 */
typedef s64 (*syscall_fn)(u64, u64, u64, u64, u64, u64);
#define CALL(name, fn) [SYS_##name] = (syscall_fn)(void (*)(void))(fn)

static const syscall_fn syscall_table[LINUX_SYSCALL_MAX] = {
	/* Files: descriptors (fs/sys_file.c, fs/poll.c) */
	CALL(read, sys_read),
	CALL(write, sys_write),
	CALL(close, sys_close),
	CALL(lseek, sys_lseek),
	CALL(pread64, sys_pread64),
	CALL(pwrite64, sys_pwrite64),
	CALL(readv, sys_readv),
	CALL(writev, sys_writev),
	CALL(preadv, sys_preadv),
	CALL(pwritev, sys_pwritev),
	CALL(sendfile, sys_sendfile),
	CALL(ioctl, sys_ioctl),
	CALL(fcntl, sys_fcntl),
	CALL(dup, sys_dup),
	CALL(dup2, sys_dup2),
	CALL(dup3, sys_dup3),
	CALL(pipe, sys_pipe),
	CALL(pipe2, sys_pipe2),
	CALL(fsync, sys_fsync),
	CALL(fdatasync, sys_fsync),
	CALL(ftruncate, sys_ftruncate),
	CALL(getdents64, sys_getdents64),
	CALL(poll, sys_poll),
	CALL(ppoll, sys_ppoll),
	CALL(select, sys_select),
	CALL(pselect6, sys_pselect6),
	CALL(fstat, sys_fstat),
	CALL(fchmod, sys_fchmod),
	CALL(fchown, sys_fchown),
	CALL(fchdir, sys_fchdir),
	CALL(fstatfs, sys_fstatfs),
	/* Files: paths (fs/sys_path.c, fs/mount.c) */
	CALL(open, sys_open),
	CALL(openat, sys_openat),
	CALL(creat, sys_creat),
	CALL(stat, sys_stat),
	CALL(lstat, sys_lstat),
	CALL(newfstatat, sys_newfstatat),
	CALL(statx, sys_statx),
	CALL(access, sys_access),
	CALL(faccessat, sys_faccessat),
	CALL(faccessat2, sys_faccessat2),
	CALL(mkdir, sys_mkdir),
	CALL(mkdirat, sys_mkdirat),
	CALL(mknod, sys_mknod),
	CALL(mknodat, sys_mknodat),
	CALL(rmdir, sys_rmdir),
	CALL(unlink, sys_unlink),
	CALL(unlinkat, sys_unlinkat),
	CALL(rename, sys_rename),
	CALL(renameat, sys_renameat),
	CALL(renameat2, sys_renameat2),
	CALL(link, sys_link),
	CALL(linkat, sys_linkat),
	CALL(symlink, sys_symlink),
	CALL(symlinkat, sys_symlinkat),
	CALL(readlink, sys_readlink),
	CALL(readlinkat, sys_readlinkat),
	CALL(chmod, sys_chmod),
	CALL(fchmodat, sys_fchmodat),
	CALL(chown, sys_chown),
	CALL(lchown, sys_lchown),
	CALL(fchownat, sys_fchownat),
	CALL(utimensat, sys_utimensat),
	CALL(truncate, sys_truncate),
	CALL(chdir, sys_chdir),
	CALL(getcwd, sys_getcwd),
	CALL(umask, sys_umask),
	CALL(sync, sys_sync),
	CALL(chroot, sys_chroot),
	CALL(reboot, sys_reboot),
	CALL(mount, sys_mount),
	CALL(umount2, sys_umount2),
	CALL(statfs, sys_statfs),
	/* Memory (mm/mmap.c) */
	CALL(mmap, sys_mmap),
	CALL(mprotect, sys_mprotect),
	CALL(munmap, sys_munmap),
	CALL(brk, sys_brk),
	CALL(msync, sys_msync),
	/* Processes, signals and time (kernel/) */
	CALL(rt_sigaction, sys_rt_sigaction),
	CALL(rt_sigprocmask, sys_rt_sigprocmask),
	CALL(rt_sigreturn, sys_rt_sigreturn),
	CALL(sched_yield, sys_sched_yield),
	CALL(pause, sys_pause),
	CALL(nanosleep, sys_nanosleep),
	CALL(getitimer, sys_getitimer),
	CALL(alarm, sys_alarm),
	CALL(setitimer, sys_setitimer),
	CALL(getpid, sys_getpid),
	CALL(gettid, sys_getpid),     /* one thread per process: tid = pid */
	CALL(fork, sys_fork),
	CALL(execve, sys_execve),
	CALL(exit, sys_exit),
	CALL(wait4, sys_wait4),
	CALL(kill, sys_kill),
	CALL(setpgid, sys_setpgid),
	CALL(getppid, sys_getppid),
	CALL(getpgrp, sys_getpgrp),
	CALL(setsid, sys_setsid),
	CALL(getpgid, sys_getpgid),
	CALL(getsid, sys_getsid),
	CALL(rt_sigpending, sys_rt_sigpending),
	CALL(rt_sigtimedwait, sys_rt_sigtimedwait),
	CALL(rt_sigsuspend, sys_rt_sigsuspend),
	CALL(sigaltstack, sys_sigaltstack),
	CALL(tkill, sys_tkill),
	CALL(restart_syscall, sys_restart_syscall),
	CALL(tgkill, sys_tgkill),
	CALL(rt_sigqueueinfo, sys_rt_sigqueueinfo),
	CALL(waitid, sys_waitid),
	CALL(getrusage, sys_getrusage),
	CALL(arch_prctl, sys_arch_prctl),
	CALL(set_tid_address, sys_set_tid_address),
	CALL(clock_gettime, sys_clock_gettime),
	CALL(exit_group, sys_exit),
	CALL(sysinfo, sys_sysinfo),   /* fs/procfs.c: /proc/meminfo's numbers */
	CALL(mremap, sys_mremap),
	CALL(madvise, sys_madvise),
	/* proc.c through sys_proc.c */
	CALL(clone, sys_clone),
	CALL(clone3, sys_clone3),
	CALL(vfork, sys_vfork),
	CALL(set_robust_list, sys_set_robust_list),
	CALL(get_robust_list, sys_get_robust_list),
	CALL(rseq, sys_rseq),
	CALL(futex, sys_futex),
	/* time.c */
	CALL(clock_getres, sys_clock_getres),
	CALL(gettimeofday, sys_gettimeofday),
	CALL(time, sys_time),
	CALL(clock_nanosleep, sys_clock_nanosleep),
	CALL(times, sys_times),
	/* sys_info.c */
	CALL(uname, sys_uname),
	CALL(getuid, sys_getuid),
	CALL(geteuid, sys_geteuid),
	CALL(getgid, sys_getgid),
	CALL(getegid, sys_getegid),
	CALL(setuid, sys_setuid),
	CALL(setgid, sys_setgid),
	CALL(setreuid, sys_setreuid),
	CALL(setregid, sys_setregid),
	CALL(setresuid, sys_setresuid),
	CALL(setresgid, sys_setresgid),
	CALL(getresuid, sys_getresuid),
	CALL(getresgid, sys_getresgid),
	CALL(setfsuid, sys_setfsuid),
	CALL(setfsgid, sys_setfsgid),
	CALL(getgroups, sys_getgroups),
	CALL(setgroups, sys_setgroups),
	CALL(prlimit64, sys_prlimit64),
	CALL(getrlimit, sys_getrlimit),
	CALL(setrlimit, sys_setrlimit),
	CALL(getrandom, sys_getrandom),
	CALL(prctl, sys_prctl),
	CALL(sched_getaffinity, sys_sched_getaffinity),
	CALL(sched_setaffinity, sys_sched_setaffinity),
	CALL(getcpu, sys_getcpu),
	CALL(socket, sys_socket),
	CALL(socketpair, sys_socketpair),
	CALL(connect, sys_socket_fd_call),
	CALL(accept, sys_socket_fd_call),
	CALL(accept4, sys_socket_fd_call),
	CALL(sendto, sys_socket_fd_call),
	CALL(recvfrom, sys_socket_fd_call),
	CALL(sendmsg, sys_socket_fd_call),
	CALL(recvmsg, sys_socket_fd_call),
	CALL(sendmmsg, sys_socket_fd_call),
	CALL(recvmmsg, sys_socket_fd_call),
	CALL(shutdown, sys_socket_fd_call),
	CALL(bind, sys_socket_fd_call),
	CALL(listen, sys_socket_fd_call),
	CALL(getsockname, sys_socket_fd_call),
	CALL(getpeername, sys_socket_fd_call),
	CALL(setsockopt, sys_socket_fd_call),
	CALL(getsockopt, sys_socket_fd_call),
};

/* Names for the diagnostics, from the same list as the numbers. */
#define NAME(nr, name) [nr] = #name,
static const char *const syscall_names[LINUX_SYSCALL_MAX] = { LINUX_SYSCALLS(NAME) };
#undef NAME

/* How often each unimplemented call was made (the first is reported). */
static u32 enosys_count[LINUX_SYSCALL_MAX + 1];   /* last: numbers beyond the list */

const char *syscall_name(u64 nr)
{
	if (nr == SYS_tv_mark)
		return "tv_mark";
	return nr < LINUX_SYSCALL_MAX && syscall_names[nr] ? syscall_names[nr] : 0;
}

/* A call this kernel does not implement: -ENOSYS, counted, and reported
 * on the console the first time, with the program that made it. */
static s64 enosys(u64 nr)
{
	u32 *count = &enosys_count[nr < LINUX_SYSCALL_MAX ? nr : LINUX_SYSCALL_MAX];
	const char *name = syscall_name(nr);

	if ((*count)++ == 0) {
		if (name)
			kprintf("%s: system call %s (%lu) is not implemented: ENOSYS\n",
				cpu.proc->name, name, nr);
		else
			kprintf("%s: unknown system call %lu: ENOSYS\n", cpu.proc->name, nr);
	}
	return -ENOSYS;
}

void syscall_dispatch(struct trapframe *tf)
{
	u64 nr = tf->rax;
	syscall_fn fn = nr < LINUX_SYSCALL_MAX ? syscall_table[nr] : 0;

	if (nr == SYS_tv_mark)
		tf->rax = sys_tv_mark(tf->rdi);
	else if (fn)
		tf->rax = fn(tf->rdi, tf->rsi, tf->rdx, tf->r10, tf->r8, tf->r9);
	else
		tf->rax = enosys(nr);
	signal_syscall_return(tf, nr);  /* signals; may restart the call, or leave by IRETQ */
}
