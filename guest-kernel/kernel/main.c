/*
 * main.c: kmain(), the start-up order, the command line and shutdown.
 *
 * Command line (boot_info.cmdline, space-separated key=value words):
 *   run=a,b,c   the embedded programs to run, one after another, each with
 *               everything it starts (default: run=hello, unless init= is
 *               given); all of them run, whatever the ones before did
 *   init=NAME   after the run= programs, run NAME (e.g. init=sh, the
 *               interactive shell) the same way
 *   rdinit=PATH with an initrd: the program to start instead of /init
 *               (with an initrd and neither run= nor init=, the kernel
 *               runs /init, or rdinit=, as Linux does)
 *   root=/dev/sda  mount the disk's ext2 file system as "/" (over the RAM
 *               root: fs/mount.c fs_mount_root()) and run its /init, else
 *               its /sbin/init, unless init= or run= say otherwise;
 *               "ro" mounts it read-only, "rw" (the default) read-write,
 *               rootfstype= must be ext2 if given
 *   -- ARGS     the words after "--" are the arguments of init (Linux's
 *               convention), e.g. "rdinit=/bin/sh -- -c 'exit 3'" is not
 *               possible (no quoting) but "-- /tests/session.sh" is
 *   hz=N        timer ticks per second, 10 to 1000 (default 100)
 *   crash=ud2   execute UD2 before anything else, while the IDT limit is
 *               still 0: delivery escalates to a triple fault, and the
 *               monitor must stop the VM with its diagnostic
 *   crash=gp    once the kernel is up, load from a non-canonical address:
 *               the kernel's own #GP handler panics (status 3)
 *   crash=dr7   once the kernel is up, arm a breakpoint in DR7: the monitor
 *               does not emulate that (it stores debug registers but fires
 *               no breakpoint), so it stops with a diagnostic
 *   crash=nofp  the same from inside functions without frame pointers
 *               (demo/crashnofp.c), for the monitor's libunwind backtrace
 *   silentfail  once the kernel is up, run the sensitive unprivileged
 *               instructions in kernel mode and print what each returned
 *               against what ring 0 would get (silentfail.c)
 *   nopv        do not use the paravirtual interface even if offered
 *   nogate      use it, but not its gate (boot.h, ABI 6): the ways out of
 *               the kernel and the hypercalls trap as they are
 *   nopvmmu     use it, but not its page-table batches (boot.h, ABI 7):
 *               every store into a page table traps as it is
 *   mmucheck    once the kernel is up, send the monitor bad page-table
 *               batches and print what it answers (mm/pvmmu.c)
 *   irqsave     once the kernel is up, run "pushf; cli; ...; popf" with
 *               interrupts on and say whether they came back (silentfail.c)
 *   fuzz=SEED[:TRIALS]  once the kernel is up, run random instructions
 *               in kernel mode (fuzz.c), default 1000 trials, then shut
 *               down
 *   blkcheck    once the kernel is up, send the paravirtual disk bad
 *               requests and print what the monitor answers (blk.c)
 *   sfbench     once the kernel is up, time the silent-fail instructions
 *               against their paravirtual replacements, in phases marked
 *               for --bench-log (bench/silentfail.sh)
 *   exit=N      the shutdown status, whatever happened
 *
 * Without exit=, the VM shuts down with the status of the first program
 * (run= in order, then init=) that failed, as a shell reports it: its exit
 * status if it exited non-zero, 128 + the signal if it was killed (a fault
 * kills with the signal Linux sends, trap.c: #DE 136, #UD 132, #GP and #PF
 * 139), 1 if it could not be started; 0 if every one exited 0.  As with
 * make -k, every program runs, and any failure fails the whole run.
 */
#include <trapvisor/boot.h>

#include "defs.h"

#define MAX_RUN 32
#define MAX_INIT_ARGS 16
#define HZ_DEFAULT 100
#define HZ_MIN 10
#define HZ_MAX 1000

static struct boot_info boot;  /* our copy of the monitor's boot_info */

static struct {
	char buf[BOOT_CMDLINE_MAX];     /* the command line, cut into words */
	const char *run[MAX_RUN];       /* run=: program names, in buf */
	int nrun;                       /* -1: no run= given */
	const char *init;               /* init=NAME, or 0 */
	const char *rdinit;             /* rdinit=PATH, or 0 */
	const char *root;               /* root=DEV, or 0 */
	const char *rootfstype;         /* rootfstype=TYPE (ext2) */
	bool root_ro;                   /* ro (rw: false, the default) */
	char *init_argv[MAX_INIT_ARGS + 2];   /* init's argv: the program, the words after "--" */
	int init_argc;
	unsigned hz;                    /* hz=N */
	int exit_status;                /* exit=N, or -1 if not given */
	const char *fuzz;               /* fuzz=SEED[:TRIALS], or 0 */
} opts;

/* Copy boot_info from GPA gpa, which the boot page tables map at VA = GPA.
 * Returns false if its magic or version is not ours. */
static bool boot_info_copy(u64 gpa)
{
	const struct boot_info *bi = (const void *)gpa;

	if (bi->magic != BOOT_INFO_MAGIC || bi->version != BOOT_INFO_VERSION)
		return false;
	memcpy(&boot, bi, sizeof(boot));
	boot.cmdline[BOOT_CMDLINE_MAX - 1] = 0;
	return true;
}

/* True if the command line s holds the word w (space-separated). */
static bool has_word(const char *s, const char *w)
{
	size_t n = strlen(w);

	while (*s) {
		while (*s == ' ')
			s++;
		if (strncmp(s, w, n) == 0 && (s[n] == ' ' || s[n] == 0))
			return true;
		while (*s && *s != ' ')
			s++;
	}
	return false;
}

/* run=a,b,c: cut the list in place into opts.run[]. */
static void option_run(char *list)
{
	opts.nrun = 0;
	while (*list) {
		char *name = list;
		while (*list && *list != ',')
			list++;
		if (*list)
			*list++ = 0;
		if (*name == 0)
			continue;
		if (opts.nrun == MAX_RUN) {
			kprintf("run: more than %d programs, \"%s\" and the rest ignored\n", MAX_RUN, name);
			return;
		}
		opts.run[opts.nrun++] = name;
	}
}

/* A decimal number from 0 to max in v, or -1. */
static int parse_uint(const char *v, int max)
{
	int n = 0;
	const char *c;

	for (c = v; *c >= '0' && *c <= '9' && n <= max; c++)
		n = n * 10 + (*c - '0');
	if (c == v || *c != 0 || n > max)
		return -1;
	return n;
}

/* exit=N: N from 0 to 255. */
static void option_exit(const char *v)
{
	int n = parse_uint(v, 255);

	if (n < 0) {
		kprintf("exit: \"%s\" is not a status from 0 to 255, ignored\n", v);
		return;
	}
	opts.exit_status = n;
}

/* hz=N: N from HZ_MIN to HZ_MAX. */
static void option_hz(const char *v)
{
	int n = parse_uint(v, HZ_MAX);

	if (n < HZ_MIN) {
		kprintf("hz: \"%s\" is not a rate from %d to %d Hz, ignored\n", v, HZ_MIN, HZ_MAX);
		return;
	}
	opts.hz = n;
}

static void parse_cmdline(void)
{
	char *s = opts.buf;

	strlcpy(opts.buf, boot.cmdline, sizeof(opts.buf));
	opts.nrun = -1;
	opts.init = 0;
	opts.hz = HZ_DEFAULT;
	opts.exit_status = -1;
	while (*s) {
		char *word;
		while (*s == ' ')
			s++;
		if (*s == 0)
			break;
		word = s;
		while (*s && *s != ' ')
			s++;
		if (*s)
			*s++ = 0;
		if (strcmp(word, "--") == 0) {
			/* The rest are init's arguments. */
			while (*s) {
				while (*s == ' ')
					s++;
				if (!*s)
					break;
				word = s;
				while (*s && *s != ' ')
					s++;
				if (*s)
					*s++ = 0;
				if (opts.init_argc < MAX_INIT_ARGS)
					opts.init_argv[1 + opts.init_argc++] = word;
			}
			break;
		}
		if (strncmp(word, "run=", 4) == 0)
			option_run(word + 4);
		else if (strncmp(word, "exit=", 5) == 0)
			option_exit(word + 5);
		else if (strncmp(word, "init=", 5) == 0 && word[5])
			opts.init = word + 5;
		else if (strncmp(word, "rdinit=", 7) == 0 && word[7])
			opts.rdinit = word + 7;
		else if (strncmp(word, "root=", 5) == 0 && word[5])
			opts.root = word + 5;
		else if (strncmp(word, "rootfstype=", 11) == 0 && word[11])
			opts.rootfstype = word + 11;
		else if (strcmp(word, "ro") == 0 || strcmp(word, "rw") == 0)
			opts.root_ro = word[1] == 'o';
		else if (strncmp(word, "fuzz=", 5) == 0)
			opts.fuzz = word + 5;
		else if (strncmp(word, "hz=", 3) == 0)
			option_hz(word + 3);
		else if (strcmp(word, "crash=ud2") == 0)
			;                       /* handled first thing in kmain() */
		else if (strcmp(word, "crash=gp") == 0 || strcmp(word, "crash=dr7") == 0 ||
			 strcmp(word, "crash=nofp") == 0 ||
			 strcmp(word, "silentfail") == 0 || strcmp(word, "irqsave") == 0 ||
			 strcmp(word, "sfbench") == 0 || strcmp(word, "blkcheck") == 0 ||
			 strcmp(word, "nopv") == 0 || strcmp(word, "nogate") == 0 ||
			 strcmp(word, "nopvmmu") == 0 || strcmp(word, "mmucheck") == 0)
			;                       /* handled once the kernel is up */
		else
			kprintf("cmdline: unknown option \"%s\", ignored\n", word);
	}
	if (opts.nrun < 0) {
		opts.nrun = 0;
		if (!opts.init && !boot.initrd_size && !opts.root)
			opts.run[opts.nrun++] = "hello";
	}
	/* With an initrd, its /init (or rdinit=) is the init, unless run= or
	 * init= name the programs to run. */
	if (!opts.init && opts.nrun == 0 && boot.initrd_size && !opts.root)
		opts.init = opts.rdinit ? opts.rdinit : "/init";
}

/* A wait status as a shell's $? reports it: the exit status, or 128 +
 * the signal that killed the process. */
static int shell_status(int wstatus)
{
	return W_IFEXITED(wstatus) ? W_EXITSTATUS(wstatus) : 128 + W_TERMSIG(wstatus);
}

/* Run the program name (proc_run()), init with the words after "--" as
 * its arguments; its shell status, or 1 if it could not be started. */
static int run_program(const char *name, bool init)
{
	int ws = init ? proc_run(name, opts.init_argv + 1, opts.init_argc, true) :
			proc_run(name, 0, 0, false);

	return ws < 0 ? 1 : shell_status(ws);
}

/* root=: the disk as "/", and its init unless the command line names
 * one; false (after a console line) if it cannot be mounted. */
static bool mount_root(void)
{
	struct inode *ip;

	if (fs_mount_root(opts.root, opts.rootfstype ? opts.rootfstype : "ext2", opts.root_ro) < 0)
		return false;
	if (!opts.init && opts.nrun == 0) {
		opts.init = "/init";
		if (path_lookup(AT_FDCWD, "/init", LOOKUP_FOLLOW, &ip) == 0)
			iput(ip);
		else
			opts.init = "/sbin/init";
	}
	return true;
}

/*
 * reboot(2): power off, halt and restart all stop the VM (with status 0)
 * after the disk file systems are written and marked clean; Ctrl-Alt-Del
 * on or off is accepted and means nothing here.
 */
s64 sys_reboot(u64 magic1, u64 magic2, u64 cmd, u64 arg)
{
	(void)arg;
	if ((u32)magic1 != 0xfee1dead || ((u32)magic2 != 672274793 && (u32)magic2 != 85072278 &&
					  (u32)magic2 != 369367448 && (u32)magic2 != 537993216))
		return -EINVAL;
	switch ((u32)cmd) {
	case 0x89abcdef:                  /* LINUX_REBOOT_CMD_CAD_ON */
	case 0x00000000:                  /* LINUX_REBOOT_CMD_CAD_OFF */
		return 0;
	case 0x4321fedc:                  /* LINUX_REBOOT_CMD_POWER_OFF */
	case 0xcdef0123:                  /* LINUX_REBOOT_CMD_HALT */
	case 0x01234567:                  /* LINUX_REBOOT_CMD_RESTART */
		kprintf("trapvisor guest kernel: reboot(2): shutting down (status 0)\n");
		fs_shutdown();
		poweroff(0);
	}
	return -EINVAL;
}

/* Stop the VM: the byte written to the debug-exit port becomes the
 * monitor's exit status. */
void poweroff(int status)
{
	outb(PORT_DEBUG_EXIT, status);
	/* Only on a machine without that port do we get here. */
	for (;;) {
		cli();
		hlt();
	}
}

/* Called by _start on the kernel stack, IF=0, boot page tables loaded. */
void kmain(u64 boot_info_gpa)
{
	bool boot_ok = boot_info_copy(boot_info_gpa);
	int status = 0;
	const char *failed = 0;           /* the first program that failed */
	u64 realtime_boot;

	/* Before anything else, while IDTR.limit is still 0 (see the top). */
	if (boot_ok && has_word(boot.cmdline, "crash=ud2"))
		asm volatile("ud2");

	uart_init();
	console_init();                   /* the console's terminal (drivers/tty.c) */
	if (!boot_ok)
		panic("boot_info at 0x%lx: magic 0x%lx version %u, expected 0x%lx version %u",
		      boot_info_gpa, ((const struct boot_info *)boot_info_gpa)->magic,
		      ((const struct boot_info *)boot_info_gpa)->version,
		      (u64)BOOT_INFO_MAGIC, BOOT_INFO_VERSION);
	kprintf("trapvisor guest kernel 0.1: %lu MiB RAM, command line \"%s\"\n",
		boot.ram_size >> 20, boot.cmdline);
	realtime_boot = rtc_init();       /* prints the "rtc:" line */
	parse_cmdline();

	cpu_init();                       /* GDT, TSS, IDT, SYSCALL: traps are reported from here */
	pic_init();                       /* all IRQs masked */
	kinit(boot.free_gpa, boot.ram_size);   /* page allocator */
	vm_init(boot.ram_size);           /* own page tables: direct map + kernel image */

	/* Deliberate kernel-mode faults, with the IDT in place. */
	if (has_word(boot.cmdline, "crash=gp"))
		(void)*(volatile u64 *)0x8000000000000000ull;
	if (has_word(boot.cmdline, "crash=dr7"))
		asm volatile("mov %0, %%dr7" : : "r"(1ull));   /* arms breakpoint 0 */
	if (has_word(boot.cmdline, "crash=nofp"))
		crash_nofp();

	timer_init(opts.hz, realtime_boot);    /* PIT channel 0: IRQ 0 */
	fs_init(boot.ram_size / PGSIZE);  /* the root file system, /dev, /proc (fs/mount.c) */
	if (boot.initrd_size) {
		if (initramfs_unpack(phys_to_virt(boot.initrd_gpa), boot.initrd_size) < 0)
			panic("initramfs: cannot unpack the initrd");
		fs_after_initramfs();
	}
	uart_enable_rx();                 /* console input: IRQ 4 */
	pic_enable();                     /* IRQs arrive from the first user mode or idle on */
	pv_init(boot.features, has_word(boot.cmdline, "nopv"),  /* paravirtual IF, if offered */
		has_word(boot.cmdline, "nogate"), has_word(boot.cmdline, "nopvmmu"));
	blk_init();                       /* the disk, paravirtual or ATA, if there is one */
	if (opts.root && !mount_root()) { /* root=: the disk's file system as "/" */
		opts.nrun = 0;
		opts.init = 0;
		opts.exit_status = opts.exit_status >= 0 ? opts.exit_status : 1;
	}

	if (has_word(boot.cmdline, "silentfail"))
		silentfail_run();
	if (has_word(boot.cmdline, "irqsave"))
		irqsave_run();
	if (has_word(boot.cmdline, "sfbench"))
		sfbench_run();
	if (has_word(boot.cmdline, "blkcheck"))
		blk_check();
	if (has_word(boot.cmdline, "mmucheck"))
		pt_check();
	if (opts.fuzz) {
		fuzz_run(opts.fuzz);
		opts.nrun = 0;                  /* the kernel may be damaged: stop */
		opts.init = 0;
	}

	/* The user FPU state's format (fpu.c), once the paravirtual
	 * interface is known, and only for programs: the fuzzer above must
	 * not meet a changed CR4.OSXSAVE. */
	if (opts.nrun > 0 || opts.init)
		fpu_init();

	/* Every program runs, init= after run= (i == nrun); the first
	 * failure is the VM's status (see the top). */
	for (int i = 0; i <= opts.nrun; i++) {
		const char *name = i < opts.nrun ? opts.run[i] : opts.init;
		if (!name)
			continue;
		int st = run_program(name, i == opts.nrun);
		if (st != 0 && !failed) {
			status = st;
			failed = name;
		}
	}

	if (opts.exit_status >= 0) {
		status = opts.exit_status;
		failed = 0;
	}
	if (failed)
		kprintf("trapvisor guest kernel: shutting down (status %d, from %s)\n", status, failed);
	else
		kprintf("trapvisor guest kernel: shutting down (status %d)\n", status);
	fs_shutdown();                    /* the disk's file systems written and marked clean */
	poweroff(status);
}
