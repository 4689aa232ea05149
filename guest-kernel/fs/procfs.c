/*
 * procfs.c: /proc, the process file system, in Linux's formats (proc(5)):
 * what busybox's ps, top, free, uptime, mount, df, pidof and killall read.
 *
 *   /proc/self                 a symbolic link to the caller's pid
 *   /proc/PID/                 one directory per process, zombies included:
 *       stat status statm      the process as ps and top see it
 *       cmdline environ        read from its memory (mm->arg_start..)
 *       comm maps mounts
 *       exe cwd root           symbolic links
 *       fd/N                   a link per descriptor: the file's path
 *   /proc/meminfo uptime loadavg stat cpuinfo version filesystems
 *   /proc/mounts               -> self/mounts, from mounts[] (mount.c)
 *   /proc/sys/kernel/{ostype,osrelease,hostname,pid_max}
 *   /proc/sys/vm/overcommit_memory
 *
 * Nothing is stored: a file's text is generated when it is read, into a
 * kernel page, and kept with the open file until a read from position 0
 * (or the last close), so one open file reads one consistent snapshot in
 * as many reads as it likes, and reopening (or rewinding) gives fresh
 * numbers, as with Linux's seq_file.  A file reports size 0, as on Linux.
 *
 * Only the root is a permanent inode.  Every other one is made by the
 * lookup that finds it, with no name (nlink 0), so the last iput() frees
 * it (procfs_evict(): its struct pnode, and the reference on its parent
 * directory); its inode number is derived from what it shows, so it is
 * the same on every lookup: 1 + kind for the fixed files, and
 * pid << 16 | kind << 9 | fd for a process's.  An inode names its process
 * by pid, never by pointer: once the process is gone, lookups in its
 * directory fail with ENOENT and reads of its files with ESRCH.
 */
#include "defs.h"

#include "uapi/time.h"

#define OSRELEASE "6.1.0-trapvisor"
#define HOSTNAME  "(none)"          /* Linux's until sethostname(); there is none here */
#define USER_HZ   100               /* the clock ticks of /proc (sysconf(_SC_CLK_TCK)) */
#define PID_MAX   32768

/* ---- What each inode is ---- */

enum kind {
	/* One for the whole file system */
	K_ROOT, K_SYS, K_SYS_KERNEL, K_SYS_VM,          /* directories */
	K_SELF, K_MOUNTS_LINK,                         /* symbolic links */
	K_MEMINFO, K_UPTIME, K_LOADAVG, K_STAT_ALL, K_FILESYSTEMS, K_CPUINFO, K_VERSION,
	K_OSTYPE, K_OSRELEASE, K_HOSTNAME, K_PID_MAX, K_OVERCOMMIT,
	/* One per process (from K_PID on) */
	K_PID, K_FD,                                   /* directories */
	K_STAT, K_STATUS, K_STATM, K_CMDLINE, K_ENVIRON, K_AUXV, K_COMM, K_MAPS, K_MOUNTS,
	K_EXE, K_CWD, K_ROOTLINK, K_FDLINK,            /* symbolic links */
	NKIND
};
_Static_assert(NKIND < 128, "a kind fits in the inode number's 7 bits");

#define PER_PROCESS(k) ((k) >= K_PID)
#define DIR  (S_IFDIR | 0555)
#define REG  (S_IFREG | 0444)
#define LNK  (S_IFLNK | 0777)

/* The fixed names, by the directory that holds them. */
static const struct entry {
	const char *name;
	u8 kind, dir;
	u32 mode;
} entries[] = {
	{ "self",              K_SELF,         K_ROOT,       LNK },
	{ "mounts",            K_MOUNTS_LINK,  K_ROOT,       LNK },
	{ "meminfo",           K_MEMINFO,      K_ROOT,       REG },
	{ "uptime",            K_UPTIME,       K_ROOT,       REG },
	{ "loadavg",           K_LOADAVG,      K_ROOT,       REG },
	{ "stat",              K_STAT_ALL,     K_ROOT,       REG },
	{ "filesystems",       K_FILESYSTEMS,  K_ROOT,       REG },
	{ "cpuinfo",           K_CPUINFO,      K_ROOT,       REG },
	{ "version",           K_VERSION,      K_ROOT,       REG },
	{ "sys",               K_SYS,          K_ROOT,       DIR },
	{ "kernel",            K_SYS_KERNEL,   K_SYS,        DIR },
	{ "vm",                K_SYS_VM,       K_SYS,        DIR },
	{ "ostype",            K_OSTYPE,       K_SYS_KERNEL, REG },
	{ "osrelease",         K_OSRELEASE,    K_SYS_KERNEL, REG },
	{ "hostname",          K_HOSTNAME,     K_SYS_KERNEL, REG },
	{ "pid_max",           K_PID_MAX,      K_SYS_KERNEL, REG },
	{ "overcommit_memory", K_OVERCOMMIT,   K_SYS_VM,     REG },
	{ "stat",              K_STAT,         K_PID,        REG },
	{ "status",            K_STATUS,       K_PID,        REG },
	{ "statm",             K_STATM,        K_PID,        REG },
	{ "cmdline",           K_CMDLINE,      K_PID,        REG },
	{ "environ",           K_ENVIRON,      K_PID,        S_IFREG | 0400 },
	{ "auxv",              K_AUXV,         K_PID,        S_IFREG | 0400 },
	{ "comm",              K_COMM,         K_PID,        REG },
	{ "maps",              K_MAPS,         K_PID,        REG },
	{ "mounts",            K_MOUNTS,       K_PID,        REG },
	{ "exe",               K_EXE,          K_PID,        LNK },
	{ "cwd",               K_CWD,          K_PID,        LNK },
	{ "root",              K_ROOTLINK,     K_PID,        LNK },
	{ "fd",                K_FD,           K_PID,        S_IFDIR | 0500 },
};
#define NENTRIES (sizeof(entries) / sizeof(entries[0]))

/* An inode's ip->data. */
struct pnode {
	int kind;
	int pid;                  /* per-process kinds */
	int fd;                   /* K_FDLINK */
};

/* An open file's f->data: the text generated for it. */
struct snapshot {
	u64 page;                 /* GPA of the text, or 0 */
	u64 len;
};

static const struct inode_ops procfs_dir_ops, procfs_file_ops;
static const struct file_ops procfs_dir_fops, procfs_file_fops;

static u64 pnode_ino(int kind, int pid, int fd)
{
	if (!PER_PROCESS(kind))
		return 1 + kind;
	return (u64)pid << 16 | (u64)kind << 9 | (u64)fd;
}

/* ---- Formatted text ---- */

/* Text going into a buffer of cap bytes; what does not fit is dropped. */
struct out {
	char *buf;
	u64 len, cap;
};

static void put_c(struct out *o, char c)
{
	if (o->len < o->cap)
		o->buf[o->len++] = c;
}

static void put_s(struct out *o, const char *s)
{
	while (*s)
		put_c(o, *s++);
}

static void pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		put_c(o, c);
}

static void put_num(struct out *o, u64 v, unsigned base, bool neg, int width, bool zero, bool left)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	width -= n + neg;
	if (!left && !zero)
		pad(o, ' ', width);
	if (neg)
		put_c(o, '-');
	if (!left && zero)
		pad(o, '0', width);
	while (n)
		put_c(o, tmp[--n]);
	if (left)
		pad(o, ' ', width);
}

/* printf: %d %u %x %o (with l), %s, %c, %%; flags '-' and '0', a width. */
static void __attribute__((format(printf, 2, 3))) out_printf(struct out *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	for (; *fmt; fmt++) {
		bool left = false, zero = false, is_long = false;
		int width = 0;

		if (*fmt != '%') {
			put_c(o, *fmt);
			continue;
		}
		for (fmt++; *fmt == '-' || *fmt == '0'; fmt++) {
			if (*fmt == '-')
				left = true;
			else
				zero = true;
		}
		for (; *fmt >= '0' && *fmt <= '9'; fmt++)
			width = width * 10 + (*fmt - '0');
		if (*fmt == 'l') {
			is_long = true;
			fmt++;
		}
		switch (*fmt) {
		case 'd': {
			s64 v = is_long ? va_arg(ap, long) : va_arg(ap, int);
			put_num(o, v < 0 ? -(u64)v : (u64)v, 10, v < 0, width, zero, left);
			break;
		}
		case 'u':
		case 'x':
		case 'o': {
			u64 v = is_long ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
			put_num(o, v, *fmt == 'u' ? 10 : *fmt == 'x' ? 16 : 8, false, width, zero, left);
			break;
		}
		case 's': {
			const char *s = va_arg(ap, const char *);
			int n = strlen(s);
			if (!left)
				pad(o, ' ', width - n);
			put_s(o, s);
			if (left)
				pad(o, ' ', width - n);
			break;
		}
		case 'c':
			put_c(o, (char)va_arg(ap, int));
			break;
		case '%':
			put_c(o, '%');
			break;
		default:              /* not a format this knows, or the end */
			va_end(ap);
			return;
		}
	}
	va_end(ap);
}

/* A path in /proc/mounts: space, tab, newline and backslash as octal
 * escapes, which getmntent() undoes. */
static void put_mount_path(struct out *o, const char *s)
{
	for (; *s; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\\')
			out_printf(o, "\\%03o", (unsigned)(u8)*s);
		else
			put_c(o, *s);
	}
}

/* ---- Numbers about the whole system ---- */

static u64 to_ticks(u64 ns)
{
	return ns / (NS_PER_S / USER_HZ);
}

/* The time the CPU has idled: all of the uptime not spent in user mode
 * (proc_user_ns() says why that is exact here). */
static u64 idle_ns(void)
{
	u64 up = clock_monotonic(), user = proc_user_ns();

	return up > user ? up - user : 0;
}

static void count_procs(int *total, int *running)
{
	*total = *running = 0;
	for (struct proc *p = proc_next(0); p; p = proc_next(p)) {
		++*total;
		if (p->state == RUNNABLE || p->state == RUNNING)
			++*running;
	}
}

/* ---- CPUID, for /proc/cpuinfo ---- */

/*
 * The CPUID instruction itself, when there is no paravirtual interface
 * (nopv, or on real hardware such as QEMU's PC).  The kernel otherwise
 * avoids CPUID, which in host ring 3 answers with the host's CPU instead
 * of the vCPU (docs/silent-fail.md); here that is acceptable: under
 * trapvisor scan-and-patch (the default) or CPUID faulting makes it trap
 * and be emulated, and even where it runs natively the host's answer
 * differs from the vCPU's only in what trapvisor hides or adds (the
 * hypervisor leaves), which /proc/cpuinfo merely displays.  Nothing in
 * the kernel decides anything from it.
 */
static __attribute__((noinline)) void procfs_cpuid_native(u32 leaf, u32 sub, u32 r[4])
{
	asm volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

static void cpuid(u32 leaf, u32 sub, u32 r[4])
{
	if (pv_on)
		pv_cpuid(leaf, sub, r);    /* the vCPU's answer */
	else
		procfs_cpuid_native(leaf, sub, r);
}

/* Linux's names for the feature bits (arch/x86/include/asm/cpufeatures.h),
 * in the order /proc/cpuinfo lists them; 0 for bits it does not show. */
static const char *const flags_1_edx[32] = {
	"fpu", "vme", "de", "pse", "tsc", "msr", "pae", "mce",
	"cx8", "apic", 0, "sep", "mtrr", "pge", "mca", "cmov",
	"pat", "pse36", "pn", "clflush", 0, "dts", "acpi", "mmx",
	"fxsr", "sse", "sse2", "ss", "ht", "tm", "ia64", "pbe",
};
static const char *const flags_ext_edx[32] = {
	[11] = "syscall", [19] = "mp", [20] = "nx", [22] = "mmxext", [25] = "fxsr_opt",
	[26] = "pdpe1gb", [27] = "rdtscp", [29] = "lm", [30] = "3dnowext", [31] = "3dnow",
};
static const char *const flags_1_ecx[32] = {
	"pni", "pclmulqdq", "dtes64", "monitor", "ds_cpl", "vmx", "smx", "est",
	"tm2", "ssse3", "cid", "sdbg", "fma", "cx16", "xtpr", "pdcm",
	0, "pcid", "dca", "sse4_1", "sse4_2", "x2apic", "movbe", "popcnt",
	"tsc_deadline_timer", "aes", "xsave", 0, "avx", "f16c", "rdrand", "hypervisor",
};
static const char *const flags_ext_ecx[32] = {
	"lahf_lm", "cmp_legacy", "svm", "extapic", "cr8_legacy", "abm", "sse4a", "misalignsse",
	"3dnowprefetch", "osvw", "ibs", "xop", "skinit", "wdt", 0, "lwp",
	"fma4", "tce", 0, "nodeid_msr", 0, "tbm", "topoext", "perfctr_core",
	"perfctr_nb", 0, "bpext", "ptsc", "perfctr_llc", "mwaitx", 0, 0,
};
static const char *const flags_7_ebx[32] = {
	"fsgsbase", "tsc_adjust", "sgx", "bmi1", "hle", "avx2", 0, "smep",
	"bmi2", "erms", "invpcid", "rtm", "cqm", 0, "mpx", "rdt_a",
	"avx512f", "avx512dq", "rdseed", "adx", "smap", "avx512ifma", 0, "clflushopt",
	"clwb", "intel_pt", "avx512pf", "avx512er", "avx512cd", "sha_ni", "avx512bw", "avx512vl",
};
static const char *const flags_7_ecx[32] = {
	[1] = "avx512vbmi", [2] = "umip", [3] = "pku", [4] = "ospke", [5] = "waitpkg",
	[6] = "avx512_vbmi2", [8] = "gfni", [9] = "vaes", [10] = "vpclmulqdq",
	[11] = "avx512_vnni", [12] = "avx512_bitalg", [13] = "tme", [14] = "avx512_vpopcntdq",
	[16] = "la57", [22] = "rdpid", [24] = "bus_lock_detect", [25] = "cldemote",
	[27] = "movdiri", [28] = "movdir64b", [29] = "enqcmd", [30] = "sgx_lc",
};
static const char *const flags_7_edx[32] = {
	[2] = "avx512_4vnniw", [3] = "avx512_4fmaps", [4] = "fsrm", [8] = "avx512_vp2intersect",
	[10] = "md_clear", [14] = "serialize", [16] = "tsxldtrk", [18] = "pconfig",
	[19] = "arch_lbr", [20] = "ibt", [22] = "amx_bf16", [23] = "avx512_fp16",
	[24] = "amx_tile", [25] = "amx_int8", [27] = "stibp", [28] = "flush_l1d",
	[29] = "arch_capabilities",
};

static void put_flags(struct out *o, u32 bits, const char *const names[32])
{
	for (int i = 0; i < 32; i++)
		if ((bits >> i & 1) && names[i])
			out_printf(o, " %s", names[i]);
}

static void gen_cpuinfo(struct out *o)
{
	u32 r[4], max, maxext, l1[4], e1[4] = { 0 }, l7[4] = { 0 };
	u32 family, model, phys = 36, virt = 48;
	char vendor[13], name[49];
	const char *n = name;

	cpuid(0, 0, r);
	max = r[0];
	memcpy(vendor, &r[1], 4);
	memcpy(vendor + 4, &r[3], 4);
	memcpy(vendor + 8, &r[2], 4);
	vendor[12] = 0;
	cpuid(1, 0, l1);
	if (max >= 7)
		cpuid(7, 0, l7);
	cpuid(0x80000000u, 0, r);
	maxext = r[0];
	if (maxext >= 0x80000001u)
		cpuid(0x80000001u, 0, e1);
	strlcpy(name, "unknown", sizeof(name));
	if (maxext >= 0x80000004u) {
		for (u32 i = 0; i < 3; i++) {
			cpuid(0x80000002u + i, 0, r);
			memcpy(name + 16 * i, r, 16);
		}
		name[48] = 0;
		while (*n == ' ')
			n++;
		for (int i = strlen(name) - 1; i >= 0 && name[i] == ' '; i--)
			name[i] = 0;
	}
	if (maxext >= 0x80000008u) {
		cpuid(0x80000008u, 0, r);
		phys = r[0] & 0xff;
		virt = (r[0] >> 8) & 0xff;
	}
	family = (l1[0] >> 8) & 0xf;
	model = (l1[0] >> 4) & 0xf;
	if (family == 6 || family == 0xf)
		model |= ((l1[0] >> 16) & 0xf) << 4;
	if (family == 0xf)
		family += (l1[0] >> 20) & 0xff;

	out_printf(o, "processor\t: 0\nvendor_id\t: %s\ncpu family\t: %u\nmodel\t\t: %u\n"
		   "model name\t: %s\nstepping\t: %u\n", vendor, family, model, n, l1[0] & 0xf);
	out_printf(o, "physical id\t: 0\nsiblings\t: 1\ncore id\t\t: 0\ncpu cores\t: 1\n"
		   "apicid\t\t: 0\ninitial apicid\t: 0\nfpu\t\t: yes\nfpu_exception\t: yes\n"
		   "cpuid level\t: %u\nwp\t\t: yes\nflags\t\t:", max);
	put_flags(o, l1[3], flags_1_edx);
	put_flags(o, e1[3], flags_ext_edx);
	put_flags(o, l1[2], flags_1_ecx);
	put_flags(o, e1[2], flags_ext_ecx);
	put_flags(o, l7[1], flags_7_ebx);
	put_flags(o, l7[2], flags_7_ecx);
	put_flags(o, l7[3], flags_7_edx);
	out_printf(o, "\nbugs\t\t:\nclflush size\t: %u\ncache_alignment\t: %u\n"
		   "address sizes\t: %u bits physical, %u bits virtual\npower management:\n\n",
		   ((l1[1] >> 8) & 0xff) * 8, ((l1[1] >> 8) & 0xff) * 8, phys, virt);
}

/* ---- The files about the whole system ---- */

static void gen_meminfo(struct out *o)
{
	u64 total = kalloc_total_pages() * 4, free = kalloc_free_pages() * 4;
	u64 shmem = ramfs_pages_used() * 4;
	int nproc, running;

	count_procs(&nproc, &running);
	const struct { const char *name; u64 kb; } lines[] = {
		{ "MemTotal:", total },
		{ "MemFree:", free },
		{ "MemAvailable:", free },      /* tmpfs pages cannot be reclaimed */
		{ "Buffers:", 0 },
		{ "Cached:", shmem },           /* Linux counts tmpfs as cache and as Shmem */
		{ "SwapCached:", 0 },
		{ "SwapTotal:", 0 },
		{ "SwapFree:", 0 },
		{ "Dirty:", 0 },
		{ "Writeback:", 0 },
		{ "Mapped:", 0 },
		{ "Shmem:", shmem },
		{ "KernelStack:", (u64)nproc * 16 },
		{ "PageTables:", 0 },
		{ "Slab:", 0 },
		{ "SReclaimable:", 0 },
		{ "SUnreclaim:", 0 },
		{ "CommitLimit:", total },
	};
	for (u64 i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		out_printf(o, "%-16s%8lu kB\n", lines[i].name, lines[i].kb);
	out_printf(o, "%-16s%8lu\n%-16s%8lu\n", "HugePages_Total:", 0ul, "HugePages_Free:", 0ul);
	out_printf(o, "%-16s%8lu kB\n", "Hugepagesize:", 2048ul);
}

static void gen_uptime(struct out *o)
{
	u64 up = clock_monotonic() / (NS_PER_S / 100), idle = idle_ns() / (NS_PER_S / 100);

	out_printf(o, "%lu.%02lu %lu.%02lu\n", up / 100, up % 100, idle / 100, idle % 100);
}

static void gen_loadavg(struct out *o)
{
	int total, running;

	count_procs(&total, &running);
	out_printf(o, "0.00 0.00 0.00 %d/%d %d\n", running, total, proc_last_pid());
}

static void gen_stat_all(struct out *o)
{
	u64 user = to_ticks(proc_user_ns()), idle = to_ticks(idle_ns());
	u64 btime = (clock_realtime() - clock_monotonic()) / NS_PER_S;
	int total, running;

	count_procs(&total, &running);
	out_printf(o, "cpu  %lu 0 0 %lu 0 0 0 0 0 0\n", user, idle);
	out_printf(o, "cpu0 %lu 0 0 %lu 0 0 0 0 0 0\n", user, idle);
	out_printf(o, "intr 0\nctxt 0\nbtime %lu\nprocesses %d\nprocs_running %d\n"
		   "procs_blocked 0\nsoftirq 0 0 0 0 0 0 0 0 0 0 0\n", btime, proc_last_pid(), running);
}

static void gen_mounts(struct out *o)
{
	for (int i = 0; i < NMOUNT; i++) {
		if (!mounts[i].sb)
			continue;
		put_mount_path(o, mounts[i].source);
		put_c(o, ' ');
		put_mount_path(o, mounts[i].target);
		out_printf(o, " %s %s 0 0\n", mounts[i].sb->type, mounts[i].sb->rdonly ? "ro" : "rw");
	}
}

/* ---- The files about one process ---- */

static bool has_mm(struct proc *p)
{
	return p->state != ZOMBIE && p->mm && p->mm->pml4;
}

static const char *comm_of(struct proc *p, char comm[16])
{
	strlcpy(comm, p->name, 16);    /* TASK_COMM_LEN */
	return comm;
}

static char state_of(struct proc *p)
{
	switch (p->state) {
	case RUNNABLE:
	case RUNNING: return 'R';
	case SLEEPING: return 'S';
	case ZOMBIE: return 'Z';
	default: return '?';
	}
}

static const char *state_name(char s)
{
	switch (s) {
	case 'R': return "running";
	case 'S': return "sleeping";
	case 'Z': return "zombie";
	default: return "unknown";
	}
}

static int ppid_of(struct proc *p)
{
	return p->parent ? p->parent->pid : 0;
}

/* What the areas of an address space add up to (bytes). */
struct mm_sum {
	u64 size, rss;            /* rss in pages */
	u64 code_start, code_end, data_start, data_end, stack_start, stack_end;
	u64 data;                 /* writable, not the stack */
};

static void mm_sum(struct proc *p, struct mm_sum *m)
{
	struct mm *mm = p->mm;

	memset(m, 0, sizeof(*m));
	if (!has_mm(p))
		return;
	for (int i = 0; i < mm->nvma; i++) {
		struct vma *v = &mm->vma[i];
		m->size += v->end - v->start;
		if (v->start < USER_STACK_TOP && v->end >= USER_STACK_TOP) {
			m->stack_start = v->start;
			m->stack_end = v->end;
		} else if ((v->prot & PROT_EXEC) && !m->code_end && v->start < mm->brk_base) {
			m->code_start = v->start;
			m->code_end = v->end;
		} else if (v->prot & PROT_WRITE) {
			m->data += v->end - v->start;
			if (!m->data_start && v->start < mm->brk_base) {
				m->data_start = v->start;
				m->data_end = mm->brk_base;
			}
		}
	}
	m->rss = uvm_resident(mm->pml4);
}

/* Its signals: pending, blocked, ignored, caught (signal.c). */
static u64 sigset_of(struct proc *p, int which)
{
	u64 set[4];

	signal_sets(p, set);
	return set[which];
}
#define pending_of(p) sigset_of(p, 0)

/* /proc/PID/stat: the 52 fields of proc(5), zero where this kernel has
 * no such thing. */
static void gen_stat(struct out *o, struct proc *p)
{
	struct mm_sum m;
	char comm[16];
	bool mm = has_mm(p);

	mm_sum(p, &m);
	/* 1-9: pid comm state ppid pgrp session tty_nr tpgid flags */
	out_printf(o, "%d (%s) %c %d %d %d 0 -1 0 ", p->pid, comm_of(p, comm), state_of(p), ppid_of(p),
		   p->pgid, p->sid);
	/* 10-17: minflt cminflt majflt cmajflt utime stime cutime cstime */
	out_printf(o, "%lu %lu 0 0 %lu 0 0 0 ", p->minflt, p->cminflt, to_ticks(p->utime_ns));
	/* 18-25: priority nice num_threads itrealvalue starttime vsize rss rsslim */
	out_printf(o, "20 0 1 0 %lu %lu %lu 18446744073709551615 ",
		   to_ticks(p->start_ns), m.size, m.rss);
	/* 26-30: startcode endcode startstack kstkesp kstkeip */
	out_printf(o, "%lu %lu %lu 0 0 ", m.code_start, m.code_end, mm ? p->mm->arg_start : 0);
	/* 31-37: signal blocked sigignore sigcatch wchan nswap cnswap */
	out_printf(o, "%lu %lu %lu %lu 0 0 0 ", pending_of(p), sigset_of(p, 1), sigset_of(p, 2),
		   sigset_of(p, 3));
	/* 38-44: exit_signal processor rt_priority policy delayacct_blkio_ticks
	 * guest_time cguest_time */
	out_printf(o, "%d 0 0 0 0 0 0 ", SIGCHLD);
	/* 45-52: start_data end_data start_brk arg_start arg_end env_start
	 * env_end exit_code */
	out_printf(o, "%lu %lu %lu %lu %lu %lu %lu %d\n", m.data_start, m.data_end,
		   mm ? p->mm->brk_base : 0, mm ? p->mm->arg_start : 0, mm ? p->mm->arg_end : 0,
		   mm ? p->mm->env_start : 0, mm ? p->mm->env_end : 0,
		   p->state == ZOMBIE ? p->xstate : 0);
}

static void gen_status(struct out *o, struct proc *p)
{
	struct mm_sum m;
	char comm[16], s = state_of(p);

	mm_sum(p, &m);
	out_printf(o, "Name:\t%s\nUmask:\t%04o\nState:\t%c (%s)\nTgid:\t%d\nNgid:\t0\nPid:\t%d\n"
		   "PPid:\t%d\nTracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t%d\n"
		   "Groups:\t\nNStgid:\t%d\nNSpid:\t%d\nNSpgid:\t0\nNSsid:\t0\n",
		   comm_of(p, comm), p->umask, s, state_name(s), p->pid, p->pid, ppid_of(p),
		   p->files ? NOFILE_MAX : 0, p->pid, p->pid);
	if (has_mm(p)) {
		out_printf(o, "VmPeak:\t%8lu kB\nVmSize:\t%8lu kB\nVmLck:\t%8lu kB\nVmPin:\t%8lu kB\n",
			   m.size / 1024, m.size / 1024, 0ul, 0ul);
		out_printf(o, "VmHWM:\t%8lu kB\nVmRSS:\t%8lu kB\nRssAnon:\t%8lu kB\n"
			   "RssFile:\t%8lu kB\nRssShmem:\t%8lu kB\n",
			   m.rss * 4, m.rss * 4, m.rss * 4, 0ul, 0ul);
		out_printf(o, "VmData:\t%8lu kB\nVmStk:\t%8lu kB\nVmExe:\t%8lu kB\nVmLib:\t%8lu kB\n"
			   "VmPTE:\t%8lu kB\nVmSwap:\t%8lu kB\n", m.data / 1024,
			   (m.stack_end - m.stack_start) / 1024, (m.code_end - m.code_start) / 1024,
			   0ul, 0ul, 0ul);
	}
	out_printf(o, "Threads:\t1\nSigQ:\t0/0\nSigPnd:\t%016lx\nShdPnd:\t%016lx\n"
		   "SigBlk:\t%016lx\nSigIgn:\t%016lx\nSigCgt:\t%016lx\n",
		   pending_of(p), 0ul, sigset_of(p, 1), sigset_of(p, 2), sigset_of(p, 3));
	out_printf(o, "CapInh:\t%016lx\nCapPrm:\t%016lx\nCapEff:\t%016lx\nCapBnd:\t%016lx\n"
		   "CapAmb:\t%016lx\nNoNewPrivs:\t0\nSeccomp:\t0\nCpus_allowed:\t1\n"
		   "Cpus_allowed_list:\t0\nvoluntary_ctxt_switches:\t0\n"
		   "nonvoluntary_ctxt_switches:\t0\n",
		   0ul, 0x1fffffffffful, 0x1fffffffffful, 0x1fffffffffful, 0ul);
}

static void gen_statm(struct out *o, struct proc *p)
{
	struct mm_sum m;

	mm_sum(p, &m);
	out_printf(o, "%lu %lu 0 %lu 0 %lu 0\n", m.size / PGSIZE, m.rss,
		   (m.code_end - m.code_start) / PGSIZE, (m.data + m.stack_end - m.stack_start) / PGSIZE);
}

/* /proc/PID/maps: the areas; the program's own are named by its path,
 * the heap and the stack as Linux names them. */
static void gen_maps(struct out *o, struct proc *p)
{
	struct mm *mm = p->mm;

	if (!has_mm(p))
		return;
	for (int i = 0; i < mm->nvma; i++) {
		struct vma *v = &mm->vma[i];
		u64 line = o->len;
		const char *name = 0;

		if (v->start < USER_STACK_TOP && v->end >= USER_STACK_TOP)
			name = "[stack]";
		else if (v->start < mm->brk_base)
			name = p->exe;
		else if (v->start < ((mm->brk + PGSIZE - 1) & ~(PGSIZE - 1)))
			name = "[heap]";
		out_printf(o, "%08lx-%08lx %c%c%cp 00000000 00:00 0", v->start, v->end,
			   v->prot & PROT_READ ? 'r' : '-', v->prot & PROT_WRITE ? 'w' : '-',
			   v->prot & PROT_EXEC ? 'x' : '-');
		if (name && name[0]) {
			pad(o, ' ', 72 - (int)(o->len - line));
			out_printf(o, " %s", name);
		}
		put_c(o, '\n');
	}
}

/* ---- Symbolic links ---- */

/* Find a device node in /dev by type and number: the name of a device
 * opened without a path (the console the kernel opens for its programs). */
struct dev_search {
	struct inode *dev;
	u32 type, rdev;
	char *name;
	bool found;
};

static bool match_dev(void *ctx, const char *name, u64 ino, u8 type)
{
	struct dev_search *s = ctx;
	struct inode *ip;

	(void)ino;
	if (type != DT_CHR && type != DT_BLK)
		return true;
	ip = s->dev->op->lookup(s->dev, name);
	if (ip && (ip->mode & S_IFMT) == s->type && ip->rdev == s->rdev) {
		strlcpy(s->name, name, NAME_MAX + 1);
		s->found = true;
	}
	iput(ip);
	return !s->found;
}

static int device_path(struct inode *ip, struct out *o)
{
	char name[NAME_MAX + 1];
	struct dev_search s = { .type = ip->mode & S_IFMT, .rdev = ip->rdev, .name = name };
	u64 pos = 0;

	if (path_lookup(AT_FDCWD, "/dev", LOOKUP_FOLLOW | LOOKUP_DIR, &s.dev) < 0)
		return -ENOENT;
	if (s.dev->op->readdir && s.dev->op->lookup)
		s.dev->op->readdir(s.dev, &pos, &s, match_dev);
	iput(s.dev);
	if (!s.found)
		return -ENOENT;
	out_printf(o, "/dev/%s", name);
	return 0;
}

/* p's open file fd, or 0 (none open, or p has no table left). */
static struct file *proc_fd(struct proc *p, s64 fd)
{
	return p->files && fd >= 0 && fd < NOFILE_MAX ? p->files->fd[fd] : 0;
}

/* What descriptor fd of p names, as /proc/PID/fd/N shows it. */
static int gen_fd_link(struct out *o, struct proc *p, int fd)
{
	struct file *f = proc_fd(p, fd);
	int n;

	if (!f)
		return -ENOENT;
	if (is_pipe(f->ip)) {     /* a pipe's end: its number as fstat() gives it */
		out_printf(o, "pipe:[%lu]", f->ip->ino);
		return 0;
	}
	if (f->path) {
		put_s(o, f->path);
		return 0;
	}
	if (S_ISDIR(f->ip->mode) && (n = path_of(f->ip, o->buf, o->cap)) >= 0) {
		o->len = n;
		return 0;
	}
	if ((S_ISCHR(f->ip->mode) || S_ISBLK(f->ip->mode)) && device_path(f->ip, o) == 0)
		return 0;
	out_printf(o, "anon_inode:[%lu]", f->ip->ino);
	return 0;
}

static int gen_link(struct pnode *d, struct proc *p, struct out *o)
{
	int n;

	switch (d->kind) {
	case K_SELF:
		if (!cpu.proc)
			return -ENOENT;
		out_printf(o, "%d", cpu.proc->pid);
		return 0;
	case K_MOUNTS_LINK:
		put_s(o, "self/mounts");
		return 0;
	case K_EXE:
		if (!has_mm(p) || !p->exe[0])
			return -ENOENT;
		put_s(o, p->exe);
		return 0;
	case K_CWD:
		if (!p->cwd || (n = path_of(p->cwd, o->buf, o->cap)) < 0)
			return -ENOENT;
		o->len = n;
		return 0;
	case K_ROOTLINK:
		if (p->state == ZOMBIE)
			return -ENOENT;
		put_s(o, "/");
		return 0;
	case K_FDLINK:
		return gen_fd_link(o, p, d->fd);
	}
	return -EINVAL;
}

/* ---- Generating a file ---- */

/* The text of the file (or link) d into o; 0 or -errno. */
static int generate(struct pnode *d, struct out *o)
{
	struct proc *p = 0;

	if (PER_PROCESS(d->kind) && !(p = proc_find(d->pid)))
		return -ESRCH;
	switch (d->kind) {
	case K_MEMINFO: gen_meminfo(o); break;
	case K_UPTIME: gen_uptime(o); break;
	case K_LOADAVG: gen_loadavg(o); break;
	case K_STAT_ALL: gen_stat_all(o); break;
	case K_FILESYSTEMS: put_s(o, "nodev\ttmpfs\nnodev\tdevtmpfs\nnodev\tproc\n\text2\n"); break;
	case K_CPUINFO: gen_cpuinfo(o); break;
	case K_VERSION:
		put_s(o, "Linux version " OSRELEASE " (trapvisor) (gcc " __VERSION__ ") #1 SMP\n");
		break;
	case K_OSTYPE: put_s(o, "Linux\n"); break;
	case K_OSRELEASE: put_s(o, OSRELEASE "\n"); break;
	case K_HOSTNAME: put_s(o, HOSTNAME "\n"); break;
	case K_PID_MAX: out_printf(o, "%d\n", PID_MAX); break;
	case K_OVERCOMMIT: put_s(o, "0\n"); break;
	case K_STAT: gen_stat(o, p); break;
	case K_STATUS: gen_status(o, p); break;
	case K_STATM: gen_statm(o, p); break;
	case K_COMM: out_printf(o, "%s\n", comm_of(p, (char[16]){ 0 })); break;
	case K_MAPS: gen_maps(o, p); break;
	case K_MOUNTS: gen_mounts(o); break;
	default: return gen_link(d, p, o);
	}
	return 0;
}

/* Into a new page: *page its GPA, the length returned, or -errno. */
static s64 generate_page(struct pnode *d, u64 *page)
{
	struct out o;
	int r;

	if (!(*page = kalloc()))
		return -ENOMEM;
	o = (struct out){ phys_to_virt(*page), 0, PGSIZE };
	if ((r = generate(d, &o)) < 0) {
		kfree(*page);
		*page = 0;
		return r;
	}
	return o.len;
}

/* cmdline and environ: straight from the process's memory, as much of
 * [start, end) as is there. */
static s64 read_memory(struct pnode *d, void *buf, u64 off, u64 n)
{
	struct proc *p = proc_find(d->pid);
	u64 start, end;

	if (!p)
		return -ESRCH;
	if (!has_mm(p))
		return 0;
	start = d->kind == K_CMDLINE ? p->mm->arg_start : d->kind == K_AUXV ? p->mm->auxv_start
		: p->mm->env_start;
	end = d->kind == K_CMDLINE ? p->mm->arg_end : d->kind == K_AUXV ? p->mm->auxv_end
		: p->mm->env_end;
	if (end <= start || off >= end - start)
		return 0;
	if (n > end - start - off)
		n = end - start - off;
	return uvm_read(p->mm->pml4, start + off, buf, n);
}

static s64 copy_from(const char *text, u64 len, void *buf, u64 off, u64 n)
{
	if (off >= len)
		return 0;
	if (n > len - off)
		n = len - off;
	memcpy(buf, text + off, n);
	return n;
}

/* inode read: files and link targets, generated afresh. */
static s64 procfs_read(struct inode *ip, void *buf, u64 off, u64 n)
{
	struct pnode *d = ip->data;
	u64 page;
	s64 len;

	if (d->kind == K_CMDLINE || d->kind == K_ENVIRON || d->kind == K_AUXV)
		return read_memory(d, buf, off, n);
	if ((len = generate_page(d, &page)) < 0)
		return len;
	len = copy_from(phys_to_virt(page), len, buf, off, n);
	kfree(page);
	return len;
}

static void procfs_evict(struct inode *ip)
{
	if (S_ISDIR(ip->mode))
		iput(ip->parent);
	kfree_obj(ip->data);
}

/* ---- Directories ---- */

/* A new inode for kind (of process pid, descriptor fd) in dir. */
static struct inode *pnode_new(struct inode *dir, int kind, int pid, int fd, u32 mode)
{
	struct pnode *d = kmalloc(sizeof(*d));
	struct inode *ip;

	if (!d)
		return 0;
	if (!(ip = inode_new(dir->sb, mode))) {
		kfree_obj(d);
		return 0;
	}
	*d = (struct pnode){ kind, pid, fd };
	ip->data = d;
	ip->ino = pnode_ino(kind, pid, fd);
	ip->op = S_ISDIR(mode) ? &procfs_dir_ops : &procfs_file_ops;
	ip->fop = S_ISDIR(mode) ? &procfs_dir_fops : &procfs_file_fops;
	if (S_ISDIR(mode))
		ip->parent = iget(dir);
	if (S_ISLNK(mode)) {
		/* Path lookup and readlink() read ip->size bytes of a link. */
		u64 page;
		s64 len = generate_page(d, &page);
		if (len >= 0) {
			ip->size = len;
			kfree(page);
		}
	}
	return ip;
}

/* A decimal number without leading zeros ("0" itself aside), or -1. */
static int parse_num(const char *s)
{
	int v = 0;

	if (!*s || (s[0] == '0' && s[1]))
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 99999999)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

static struct inode *procfs_lookup(struct inode *dir, const char *name)
{
	struct pnode *d = dir->data;
	struct proc *p = 0;
	int n;

	if (PER_PROCESS(d->kind) && !(p = proc_find(d->pid)))
		return 0;
	for (u64 i = 0; i < NENTRIES; i++)
		if (entries[i].dir == d->kind && strcmp(entries[i].name, name) == 0)
			return pnode_new(dir, entries[i].kind, d->pid, 0, entries[i].mode);
	n = parse_num(name);
	if (d->kind == K_ROOT && n > 0 && proc_find(n))
		return pnode_new(dir, K_PID, n, 0, DIR);
	if (d->kind == K_FD && proc_fd(p, n))
		return pnode_new(dir, K_FDLINK, d->pid, n, S_IFLNK | 0700);
	return 0;
}

/* The live pid >= min with the lowest number, or 0. */
static int pid_from(int min)
{
	int best = 0;

	for (struct proc *p = proc_next(0); p; p = proc_next(p))
		if (p->pid >= min && (!best || p->pid < best))
			best = p->pid;
	return best;
}

/*
 * Positions: 0 ".", 1 "..", then the fixed entries in table order, then
 * (root) base + pid of each process or (fd/) base + n of each descriptor,
 * so a process or descriptor that comes or goes between two getdents64()
 * calls moves no other entry.
 */
static void procfs_readdir(struct inode *dir, u64 *pos, void *ctx,
			   bool (*emit)(void *ctx, const char *name, u64 ino, u8 type))
{
	struct pnode *d = dir->data;
	struct proc *p = 0;
	u64 i = 2;
	char num[16];

	if (PER_PROCESS(d->kind) && !(p = proc_find(d->pid)))
		return;
	if (*pos == 0) {
		if (!emit(ctx, ".", dir->ino, DT_DIR))
			return;
		*pos = 1;
	}
	if (*pos == 1) {
		struct inode *up = dir->parent ? dir->parent
				 : dir->covered && dir->covered->parent ? dir->covered->parent : dir;
		if (!emit(ctx, "..", up->ino, DT_DIR))
			return;
		*pos = 2;
	}
	for (u64 e = 0; e < NENTRIES; e++) {
		if (entries[e].dir != d->kind)
			continue;
		if (i >= *pos) {
			u64 ino = pnode_ino(entries[e].kind, d->pid, 0);
			if (!emit(ctx, entries[e].name, ino, inode_dtype(entries[e].mode)))
				return;
			*pos = i + 1;
		}
		i++;
	}
	if (*pos < i)
		*pos = i;
	if (d->kind == K_ROOT) {
		for (int pid; (pid = pid_from(*pos - i)) > 0;) {
			struct out o = { num, 0, sizeof(num) - 1 };
			out_printf(&o, "%d", pid);
			num[o.len] = 0;
			if (!emit(ctx, num, pnode_ino(K_PID, pid, 0), DT_DIR))
				return;
			*pos = i + pid + 1;
		}
	} else if (d->kind == K_FD && p->files) {
		for (u64 fd = *pos - i; fd < NOFILE_MAX; fd++) {
			struct out o = { num, 0, sizeof(num) - 1 };
			if (!p->files->fd[fd])
				continue;
			out_printf(&o, "%lu", fd);
			num[o.len] = 0;
			if (!emit(ctx, num, pnode_ino(K_FDLINK, d->pid, fd), DT_LNK))
				return;
			*pos = i + fd + 1;
		}
	}
}

static const struct inode_ops procfs_dir_ops = {
	.lookup = procfs_lookup,
	.readdir = procfs_readdir,
	.evict = procfs_evict,
};

/* Following fd/N, cwd or root leads to the inode itself, as Linux's
 * magic links do: a pipe's end opens the pipe again (bash's process
 * substitution through /dev/fd), a deleted file is still reached. */
static struct inode *procfs_get_link(struct inode *ip)
{
	struct pnode *d = ip->data;
	struct proc *p = PER_PROCESS(d->kind) ? proc_find(d->pid) : 0;

	if (!p || p->state == ZOMBIE)
		return 0;
	switch (d->kind) {
	case K_FDLINK: {
		struct file *f = proc_fd(p, d->fd);
		return f ? iget(f->ip) : 0;
	}
	case K_CWD:
		return iget(p->cwd);
	case K_ROOTLINK:
		return iget(fs_root());
	}
	return 0;
}

static const struct inode_ops procfs_file_ops = {
	.read = procfs_read,
	.evict = procfs_evict,
	.get_link = procfs_get_link,
};

/* ---- Open files ---- */

/* Read-only: there is nothing to write (Linux's sysctls would be). */
static int procfs_open(struct file *f)
{
	return (f->flags & O_ACCMODE) == O_RDONLY ? 0 : -EACCES;
}

/* The text is generated at the first read, and again at every read from
 * position 0; the reads in between see the same text. */
static s64 procfs_file_read(struct file *f, void *buf, u64 n, u64 *pos)
{
	struct pnode *d = f->ip->data;
	struct snapshot *s = f->data;
	s64 r;

	if (d->kind == K_CMDLINE || d->kind == K_ENVIRON || d->kind == K_AUXV || S_ISLNK(f->ip->mode)) {
		r = procfs_read(f->ip, buf, *pos, n);
	} else {
		if (!s && !(s = f->data = kmalloc(sizeof(*s))))
			return -ENOMEM;
		if (!s->page || *pos == 0) {
			u64 page;
			if ((r = generate_page(d, &page)) < 0)
				return r;
			if (s->page)
				kfree(s->page);
			s->page = page;
			s->len = r;
		}
		r = copy_from(phys_to_virt(s->page), s->len, buf, *pos, n);
	}
	if (r > 0)
		*pos += r;
	return r;
}

static void procfs_release(struct file *f)
{
	struct snapshot *s = f->data;

	if (s && s->page)
		kfree(s->page);
	kfree_obj(s);
}

static const struct file_ops procfs_file_fops = {
	.open = procfs_open,
	.read = procfs_file_read,
	.release = procfs_release,
	.seekable = true,
};

static const struct file_ops procfs_dir_fops = {
	.seekable = true,
};

/* A new proc file system (boot's /proc, and every mount -t proc). */
struct super *procfs_new(void)
{
	static u32 next_dev = 0x1000;          /* apart from ramfs's numbers */
	struct super *sb = kmalloc(sizeof(*sb));
	struct pnode *d = kmalloc(sizeof(*d));
	struct inode *root;

	if (!sb || !d || !(root = inode_new(sb, S_IFDIR | 0555))) {
		kfree_obj(sb);
		kfree_obj(d);
		return 0;
	}
	sb->type = "proc";
	sb->magic = PROC_SUPER_MAGIC;
	sb->dev = next_dev++;
	*d = (struct pnode){ K_ROOT, 0, 0 };
	root->data = d;
	root->ino = pnode_ino(K_ROOT, 0, 0);
	root->op = &procfs_dir_ops;
	root->fop = &procfs_dir_fops;
	root->nlink = 2;           /* permanent */
	sb->root = root;
	return sb;
}

/* ---- Paths of open files (/proc/PID/fd) ---- */

/* Append "/name" to the path of length n in buf[PATH_MAX]. */
static int path_join(char *buf, int n, const char *name)
{
	int len = strlen(name);

	if (n == 1 && buf[0] == '/')
		n = 0;                /* the root: no double slash */
	if (n + 1 + len + 1 > PATH_MAX)
		return -ENAMETOOLONG;
	buf[n++] = '/';
	memcpy(buf + n, name, len + 1);
	return n + len;
}

/* The absolute path, symbolic links resolved, of ip, which path names
 * from dirfd: into buf[PATH_MAX], its length returned, or -errno. */
static int resolve(int dirfd, const char *path, struct inode *ip, char *buf, int depth)
{
	char name[NAME_MAX + 1];
	struct inode *dir, *e;
	int n = -ENOENT;

	if (S_ISDIR(ip->mode) && (n = path_of(ip, buf, PATH_MAX)) >= 0)
		return n;
	if (depth > 4 || path_parent(dirfd, path, &dir, name) != 0)
		return -ENOENT;
	e = name[0] && strcmp(name, ".") && strcmp(name, "..") && dir->op->lookup
		? dir->op->lookup(dir, name) : 0;
	if (e && e->sb == ip->sb && e->ino == ip->ino) {
		if ((n = path_of(dir, buf, PATH_MAX)) >= 0)
			n = path_join(buf, n, name);
	} else if (e && S_ISLNK(e->mode) && e->size < PATH_MAX) {
		/* The last component is a link: where it leads, from dir. */
		u64 page = kalloc();
		char *t = page ? phys_to_virt(page) : 0;
		s64 len = t ? e->op->read(e, t, 0, e->size) : -ENOMEM;
		if (len >= 0) {
			t[len] = 0;
			if (t[0] != '/' && (n = path_of(dir, buf, PATH_MAX)) >= 0 &&
			    path_join(buf, n, t) >= 0)
				strlcpy(t, buf, PATH_MAX);
			n = t[0] == '/' ? resolve(AT_FDCWD, t, ip, buf, depth + 1) : -ENOENT;
		}
		if (page)
			kfree(page);
	}
	iput(e);
	iput(dir);
	return n;
}

/*
 * For open(): the absolute path of the file ip that path (from dirfd)
 * opened, kmalloc'ed, for struct file's path; or 0.  Symbolic links are
 * resolved, as Linux shows the path; where that fails (a directory of
 * /proc, which has no name path_of() can find), the path as it was
 * written, made absolute.
 */
char *procfs_file_path(int dirfd, const char *path, struct inode *ip)
{
	u64 page = kalloc();
	char *buf, *s = 0;
	int n;

	if (!page)
		return 0;
	buf = phys_to_virt(page);
	n = resolve(dirfd, path, ip, buf, 0);
	if (n < 0 && path[0] == '/') {
		strlcpy(buf, path, PATH_MAX);
		n = strlen(buf);
	} else if (n < 0) {
		struct file *f = dirfd == AT_FDCWD ? 0 : fd_file(dirfd);
		struct inode *base = dirfd == AT_FDCWD ? cpu.proc->cwd : f ? f->ip : 0;
		if (base && (n = path_of(base, buf, PATH_MAX)) >= 0)
			n = path_join(buf, n, path);
	}
	if (n >= 0 && (u64)n < PGSIZE - 64)    /* kmalloc's largest object */
		s = kstrdup(buf);
	kfree(page);
	return s;
}

/* ---- sysinfo(2): the same numbers (busybox free and uptime use it) ---- */

struct sysinfo {
	s64 uptime;
	u64 loads[3];
	u64 totalram, freeram, sharedram, bufferram, totalswap, freeswap;
	u16 procs, pad;
	u64 totalhigh, freehigh;
	u32 mem_unit;
};
_Static_assert(sizeof(struct sysinfo) == 112, "Linux's struct sysinfo");

s64 sys_sysinfo(u64 info_va)
{
	struct sysinfo si;
	int total, running;

	memset(&si, 0, sizeof(si));
	count_procs(&total, &running);
	si.uptime = clock_monotonic() / NS_PER_S;
	si.totalram = kalloc_total_pages() * PGSIZE;
	si.freeram = kalloc_free_pages() * PGSIZE;
	si.sharedram = ramfs_pages_used() * PGSIZE;
	si.procs = total;
	si.mem_unit = 1;
	return copyout(info_va, &si, sizeof(si));
}
