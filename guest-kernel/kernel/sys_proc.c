/*
 * sys_proc.c: the system calls that make processes the way a C library
 * does (proc.c does the work) and the per-process words they register:
 *   clone, clone3    fork-like (a copy-on-write copy) and vfork-like
 *                    (CLONE_VM|CLONE_VFORK: the parent's address space,
 *                    the parent waiting), with CLONE_PARENT_SETTID,
 *                    CLONE_CHILD_SETTID, CLONE_CHILD_CLEARTID, CLONE_SETTLS
 *                    and a new stack; the exit signal is taken as given
 *   vfork            clone(CLONE_VM|CLONE_VFORK|SIGCHLD)
 *   set_tid_address  the word zeroed and futex-woken at exit
 *   set_robust_list  kept and never walked (no threads to die holding a
 *                    lock another thread waits for)
 *   rseq             ENOSYS, quietly: glibc then goes on without it
 * Threads (CLONE_THREAD, CLONE_SIGHAND, CLONE_VM without CLONE_VFORK) and
 * namespaces are refused with EINVAL and one console line, the first time.
 */
#include "defs.h"
#include "uapi/time.h"
#include "uapi/sched.h"

/* What clone supports; a thread-making or other flag is refused. */
#define CLONE_OK (CSIGNAL | CLONE_VM | CLONE_VFORK | CLONE_SETTLS | CLONE_PARENT_SETTID | \
		  CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | CLONE_DETACHED)

static s64 do_clone(u64 flags, u64 stack, u64 ptid, u64 ctid, u64 tls)
{
	static bool said;
	u64 bad = flags & ~(u64)CLONE_OK;

	if ((flags & CLONE_VM) && !(flags & CLONE_VFORK))
		bad |= CLONE_VM;
	if (bad) {
		if (!said) {
			kprintf("%s: clone flags 0x%lx are not supported (threads, shared files "
				"or namespaces): EINVAL\n", cpu.proc->name, bad);
			said = true;
		}
		return -EINVAL;
	}
	return proc_clone(flags, stack, ptid, ctid, tls);
}

/* clone(flags, stack, parent_tid, child_tid, tls): x86-64's order. */
s64 sys_clone(u64 flags, u64 stack, u64 ptid, u64 ctid, u64 tls)
{
	return do_clone(flags, stack, ptid, ctid, tls);
}

/* struct clone_args, as far as CLONE_ARGS_SIZE_VER0 (64 bytes). */
struct clone_args {
	u64 flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

/* clone3(args, size): the same through a struct; the stack is given as
 * its lowest address and size. */
s64 sys_clone3(u64 args_va, u64 size)
{
	struct clone_args a;
	u8 extra;

	if (size < sizeof(a) || size > PGSIZE)
		return -EINVAL;
	if (copyin(&a, args_va, sizeof(a)) < 0)
		return -EFAULT;
	for (u64 i = sizeof(a); i < size; i++) {      /* set_tid, cgroup...: unused */
		if (copyin(&extra, args_va + i, 1) < 0)
			return -EFAULT;
		if (extra)
			return -E2BIG;
	}
	if ((a.flags & CSIGNAL) || a.exit_signal > NSIG || (!a.stack) != (!a.stack_size))
		return -EINVAL;
	return do_clone(a.flags | a.exit_signal, a.stack ? a.stack + a.stack_size : 0,
			a.parent_tid, a.child_tid, a.tls);
}

s64 sys_vfork(void)
{
	return proc_clone(CLONE_VM | CLONE_VFORK | SIGCHLD, 0, 0, 0, 0);
}

s64 sys_set_tid_address(u64 tid_va)
{
	cpu.proc->clear_child_tid = tid_va;
	return cpu.proc->pid;         /* one thread: its tid is the pid */
}

s64 sys_set_robust_list(u64 head, u64 len)
{
	if (len != 24)                /* sizeof(struct robust_list_head) */
		return -EINVAL;
	cpu.proc->robust_list = head;
	cpu.proc->robust_len = len;
	return 0;
}

s64 sys_get_robust_list(u64 pid, u64 head_va, u64 len_va)
{
	if (pid != 0 && (int)pid != cpu.proc->pid)
		return -ESRCH;
	if (copyout(head_va, &cpu.proc->robust_list, sizeof(u64)) < 0 ||
	    copyout(len_va, &cpu.proc->robust_len, sizeof(u64)) < 0)
		return -EFAULT;
	return 0;
}

s64 sys_rseq(void)
{
	return -ENOSYS;
}
