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
 *   RLIMIT_NOFILE    256 both: the descriptor table's size (fs/fs.h
 *                    NOFILE_MAX), which is also the ceiling (Linux's
 *                    fs.nr_open); the file layer enforces it
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
#define NR_OPEN           NOFILE_MAX   /* Linux's fs.nr_open: NOFILE's ceiling */

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
	r[RLIMIT_NOFILE] = (struct rlimit){ NOFILE_MAX, NOFILE_MAX };
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

/* ---- Identity ----
 *
 * Each process has Linux's credentials (struct cred, inherited by fork and
 * kept by exec): real, effective, saved and file-system user and group
 * ids, and supplementary groups.  Processes start as root; root (euid 0)
 * may take any id, anyone else only its real or saved one (EPERM), as
 * setuid(2) and setresuid(2) say.  Permission bits are not checked against
 * them yet: the file layer lets everyone do what root may.
 */

#define NO_ID 0xffffffffu             /* "leave this one alone" */

static struct cred *cred(void)
{
	return &cpu.proc->cred;
}

s64 sys_getuid(void) { return cred()->uid; }
s64 sys_geteuid(void) { return cred()->euid; }
s64 sys_getgid(void) { return cred()->gid; }
s64 sys_getegid(void) { return cred()->egid; }

/* ids[0..3]: real, effective, saved, fs (of users or of groups). */
static u32 *ids(bool group)
{
	return group ? &cred()->gid : &cred()->uid;
}

static bool privileged(void)
{
	return cred()->euid == 0;
}

/* May the caller take id: root, or one of its real/effective/saved. */
static bool may_take(const u32 *id, u32 v)
{
	return privileged() || v == id[0] || v == id[1] || v == id[2];
}

/* setuid(2): root sets all three; others only the effective id. */
static s64 set_id(u64 arg, bool group)
{
	u32 *id = ids(group), v = (u32)arg;

	if (v == NO_ID)
		return -EINVAL;
	if (privileged()) {
		id[0] = id[1] = id[2] = id[3] = v;
		return 0;
	}
	if (v != id[0] && v != id[2])
		return -EPERM;
	id[1] = id[3] = v;
	return 0;
}

static s64 set_res(u64 r, u64 e, u64 sv, bool group)
{
	u32 *id = ids(group), want[3] = { (u32)r, (u32)e, (u32)sv };

	for (int i = 0; i < 3; i++)
		if (want[i] != NO_ID && !may_take(id, want[i]))
			return -EPERM;
	for (int i = 0; i < 3; i++)
		if (want[i] != NO_ID)
			id[i] = want[i];
	id[3] = id[1];
	return 0;
}

static s64 set_re(u64 r, u64 e, bool group)
{
	u32 *id = ids(group), rv = (u32)r, ev = (u32)e;

	if ((rv != NO_ID && !privileged() && rv != id[0] && rv != id[1]) ||
	    (ev != NO_ID && !may_take(id, ev)))
		return -EPERM;
	/* The saved id follows the new effective one when the real id is
	 * set, or the effective one changes to other than the real (setreuid(2)). */
	if (rv != NO_ID || (ev != NO_ID && ev != id[0]))
		id[2] = ev != NO_ID ? ev : id[1];
	if (rv != NO_ID)
		id[0] = rv;
	if (ev != NO_ID)
		id[1] = ev;
	id[3] = id[1];
	return 0;
}

static s64 get_res(u64 r_va, u64 e_va, u64 s_va, bool group)
{
	u32 *id = ids(group);

	if (copyout(r_va, &id[0], 4) < 0 || copyout(e_va, &id[1], 4) < 0 ||
	    copyout(s_va, &id[2], 4) < 0)
		return -EFAULT;
	return 0;
}

/* setfsuid/setfsgid: the old fs id, whatever happens. */
static s64 set_fs(u64 arg, bool group)
{
	u32 *id = ids(group), old = id[3], v = (u32)arg;

	if (v != NO_ID && (privileged() || may_take(id, v) || v == id[3]))
		id[3] = v;
	return old;
}

s64 sys_setuid(u64 v) { return set_id(v, false); }
s64 sys_setgid(u64 v) { return set_id(v, true); }
s64 sys_setreuid(u64 r, u64 e) { return set_re(r, e, false); }
s64 sys_setregid(u64 r, u64 e) { return set_re(r, e, true); }
s64 sys_setresuid(u64 r, u64 e, u64 sv) { return set_res(r, e, sv, false); }
s64 sys_setresgid(u64 r, u64 e, u64 sv) { return set_res(r, e, sv, true); }
s64 sys_getresuid(u64 r, u64 e, u64 sv) { return get_res(r, e, sv, false); }
s64 sys_getresgid(u64 r, u64 e, u64 sv) { return get_res(r, e, sv, true); }
s64 sys_setfsuid(u64 v) { return set_fs(v, false); }
s64 sys_setfsgid(u64 v) { return set_fs(v, true); }

/* getgroups(size, list): size 0 asks how many; too small is EINVAL. */
s64 sys_getgroups(u64 size_arg, u64 list_va)
{
	int size = (int)size_arg, n = cred()->ngroups;

	if (size < 0)
		return -EINVAL;
	if (size == 0)
		return n;
	if (size < n)
		return -EINVAL;
	if (n && copyout(list_va, cred()->groups, n * sizeof(u32)) < 0)
		return -EFAULT;
	return n;
}

/* setgroups(size, list): root only. */
s64 sys_setgroups(u64 size, u64 list_va)
{
	u32 g[NGROUPS];

	if (size > NGROUPS)
		return -EINVAL;
	if (!privileged())
		return -EPERM;
	if (size && copyin(g, list_va, size * sizeof(u32)) < 0)
		return -EFAULT;
	memcpy(cred()->groups, g, size * sizeof(u32));
	cred()->ngroups = size;
	return 0;
}


/* ---- Limits ---- */

/* prlimit64(pid, resource, new, old): pid 0 is the caller. */
s64 sys_prlimit64(u64 pid, u64 res, u64 new_va, u64 old_va)
{
	struct proc *p = (int)pid == 0 ? cpu.proc : proc_find((int)pid);
	struct rlimit *r, n;

	if (!p || p->state == ZOMBIE)
		return -ESRCH;
	if (res >= RLIM_NLIMITS)
		return -EINVAL;
	r = &p->rlim[res];
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
