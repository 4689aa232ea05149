/*
 * sys_info.c: the system calls that tell a process about the system and
 * itself, or set what little of that can be set:
 *   uname            Linux 6.1.0-trapvisor on x86_64, host "trapvisor"
 *   (sysinfo is fs/procfs.c's: the numbers /proc/meminfo shows)
 *   identity         one user, root: every id is 0; setting an id to 0
 *                    succeeds, to anything else EPERM (there is nobody
 *                    else to become); no supplementary groups
 *   rlimits          getrlimit, setrlimit, prlimit64 on the caller (pid 0
 *                    or its own): per process, inherited by fork
 *   getrandom        random.c's generator; it never blocks
 *   prctl            PR_SET_NAME, PR_GET_NAME; other options EINVAL
 *   getppid, getcpu, sched_getaffinity/sched_setaffinity (one CPU)
 *
 * The limits a process starts with (rlimit_init()), Linux's defaults
 * where they mean something here:
 *   RLIMIT_STACK     8 MiB soft, unlimited hard (the stack exec makes)
 *   RLIMIT_NOFILE    1024 soft, 4096 hard (the file layer enforces it)
 *   RLIMIT_CORE      0 soft, unlimited hard
 *   RLIMIT_NPROC, RLIMIT_SIGPENDING  64 (the process table's size)
 *   RLIMIT_MEMLOCK   8 MiB
 *   RLIMIT_MSGQUEUE  800 KiB
 *   every other      RLIM_INFINITY
 * Nothing but the file layer enforces a limit; they are kept so that
 * programs that read and set them (shells' ulimit) see what they set.
 */
#include "defs.h"
#include "uapi/time.h"

#define RLIMIT_CORE       4
#define RLIMIT_NPROC      6
#define RLIMIT_MEMLOCK    8
#define RLIMIT_SIGPENDING 11
#define RLIMIT_MSGQUEUE   12
#define NR_OPEN           1048576      /* Linux's fs.nr_open: NOFILE's ceiling */

#define PR_SET_NAME       15
#define PR_GET_NAME       16

#define GRND_NONBLOCK     1
#define GRND_RANDOM       2
#define GRND_INSECURE     4

void rlimit_init(struct rlimit *r)
{
	for (int i = 0; i < RLIM_NLIMITS; i++)
		r[i] = (struct rlimit){ RLIM_INFINITY, RLIM_INFINITY };
	r[RLIMIT_STACK].cur = USER_STACK_SIZE;
	r[RLIMIT_NOFILE] = (struct rlimit){ 1024, 4096 };
	r[RLIMIT_CORE].cur = 0;
	r[RLIMIT_NPROC] = (struct rlimit){ 64, 64 };
	r[RLIMIT_SIGPENDING] = (struct rlimit){ 64, 64 };
	r[RLIMIT_MEMLOCK] = (struct rlimit){ 8ul << 20, 8ul << 20 };
	r[RLIMIT_MSGQUEUE] = (struct rlimit){ 819200, 819200 };
}

/* ---- uname ---- */

struct utsname {
	char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};

s64 sys_uname(u64 buf_va)
{
	struct utsname u;

	memset(&u, 0, sizeof(u));
	strlcpy(u.sysname, "Linux", sizeof(u.sysname));
	strlcpy(u.nodename, "trapvisor", sizeof(u.nodename));
	strlcpy(u.release, "6.1.0-trapvisor", sizeof(u.release));
	strlcpy(u.version, "#1 trapvisor guest kernel 0.1", sizeof(u.version));
	strlcpy(u.machine, "x86_64", sizeof(u.machine));
	strlcpy(u.domainname, "(none)", sizeof(u.domainname));
	return copyout(buf_va, &u, sizeof(u));
}

/* ---- Identity ---- */

/* getuid, geteuid, getgid, getegid. */
s64 sys_getuid(void)
{
	return 0;
}

/* setuid(id), setgid(id), setfsuid, setfsgid: only 0 (root) exists. */
s64 sys_setid(u64 id)
{
	return (u32)id == 0 ? 0 : -EPERM;
}

/* setreuid(r, e), setregid: -1 leaves one alone. */
s64 sys_setreid(u64 r, u64 e)
{
	return ((u32)r == 0 || (u32)r == 0xffffffffu) && ((u32)e == 0 || (u32)e == 0xffffffffu)
		? 0 : -EPERM;
}

s64 sys_setresid(u64 r, u64 e, u64 s)
{
	return sys_setreid(r, e) == 0 && ((u32)s == 0 || (u32)s == 0xffffffffu) ? 0 : -EPERM;
}

/* getresuid(r, e, s), getresgid: all three 0. */
s64 sys_getresid(u64 r_va, u64 e_va, u64 s_va)
{
	u32 zero = 0;

	if (copyout(r_va, &zero, 4) < 0 || copyout(e_va, &zero, 4) < 0 ||
	    copyout(s_va, &zero, 4) < 0)
		return -EFAULT;
	return 0;
}

/* setfsuid/setfsgid return the old id, whatever happens. */
s64 sys_setfsid(u64 id)
{
	(void)id;
	return 0;
}

/* getgroups(size, list): there are none. */
s64 sys_getgroups(u64 size, u64 list_va)
{
	(void)list_va;
	return (s64)(int)size < 0 ? -EINVAL : 0;
}

/* setgroups(size, list): only group 0 exists; the list is not kept (a
 * process running as root with group 0 as its primary group loses
 * nothing). */
s64 sys_setgroups(u64 size, u64 list_va)
{
	if (size > 65536)
		return -EINVAL;
	for (u64 i = 0; i < size; i++) {
		u32 g;
		if (copyin(&g, list_va + i * 4, 4) < 0)
			return -EFAULT;
		if (g != 0)
			return -EPERM;
	}
	return 0;
}

s64 sys_getppid(void)
{
	struct proc *p = cpu.proc->parent;

	return p ? p->pid : 0;
}

/* ---- Limits ---- */

/* prlimit64(pid, resource, new, old) on the caller itself. */
s64 sys_prlimit64(u64 pid, u64 res, u64 new_va, u64 old_va)
{
	struct rlimit *r, n;

	if (pid != 0 && (int)pid != cpu.proc->pid)
		return -ESRCH;            /* another process's limits: not here */
	if (res >= RLIM_NLIMITS)
		return -EINVAL;
	r = &cpu.proc->rlim[res];
	if (new_va) {
		if (copyin(&n, new_va, sizeof(n)) < 0)
			return -EFAULT;
		if (n.cur > n.max)
			return -EINVAL;
		if (res == RLIMIT_NOFILE && n.max > NR_OPEN)
			return -EPERM;
	}
	if (old_va && copyout(old_va, r, sizeof(*r)) < 0)
		return -EFAULT;
	if (new_va)
		*r = n;                   /* root may raise a hard limit */
	return 0;
}

s64 sys_getrlimit(u64 res, u64 old_va)
{
	return sys_prlimit64(0, res, 0, old_va);
}

s64 sys_setrlimit(u64 res, u64 new_va)
{
	return sys_prlimit64(0, res, new_va, 0);
}

/* ---- Random bytes ---- */

/* getrandom(buf, len, flags): never blocks, the generator is always
 * ready; at most 32 MiB - 1 a call, as Linux. */
s64 sys_getrandom(u64 buf_va, u64 len, u64 flags)
{
	u8 chunk[256];

	if (flags & ~(u64)(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE) ||
	    (flags & (GRND_RANDOM | GRND_INSECURE)) == (GRND_RANDOM | GRND_INSECURE))
		return -EINVAL;
	if (len > (32ul << 20) - 1)
		len = (32ul << 20) - 1;
	for (u64 done = 0; done < len;) {
		u64 n = len - done < sizeof(chunk) ? len - done : sizeof(chunk);
		random_bytes(chunk, n);
		if (copyout(buf_va + done, chunk, n) < 0)
			return done ? (s64)done : -EFAULT;
		done += n;
	}
	return len;
}

/* ---- prctl ---- */

s64 sys_prctl(u64 option, u64 arg2)
{
	struct proc *p = cpu.proc;
	char name[16];

	switch (option) {
	case PR_SET_NAME:
		for (int i = 0; i < 15; i++) {
			if (copyin(&name[i], arg2 + i, 1) < 0)
				return -EFAULT;
			if (!name[i])
				break;
		}
		name[15] = 0;
		strlcpy(p->name, name, sizeof(p->name));
		return 0;
	case PR_GET_NAME:
		return copyout(arg2, p->name, sizeof(p->name));
	default:
		return -EINVAL;
	}
}

/* ---- The CPU ---- */

/* sched_getaffinity(pid, len, mask): CPU 0 only; returns the bytes
 * written (one long), as the system call does. */
s64 sys_sched_getaffinity(u64 pid, u64 len, u64 mask_va)
{
	u64 mask = 1;

	(void)pid;
	if (len < sizeof(mask) || (len & (sizeof(mask) - 1)))
		return -EINVAL;
	if (copyout(mask_va, &mask, sizeof(mask)) < 0)
		return -EFAULT;
	return sizeof(mask);
}

/* sched_setaffinity(pid, len, mask): a mask with CPU 0 in it is fine. */
s64 sys_sched_setaffinity(u64 pid, u64 len, u64 mask_va)
{
	u8 b = 0;

	(void)pid;
	if (len == 0 || copyin(&b, mask_va, 1) < 0)
		return len == 0 ? -EINVAL : -EFAULT;
	return b & 1 ? 0 : -EINVAL;
}

/* getcpu(cpu, node, cache): CPU 0 of node 0. */
s64 sys_getcpu(u64 cpu_va, u64 node_va)
{
	u32 zero = 0;

	if (cpu_va && copyout(cpu_va, &zero, 4) < 0)
		return -EFAULT;
	if (node_va && copyout(node_va, &zero, 4) < 0)
		return -EFAULT;
	return 0;
}
