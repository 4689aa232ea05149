/*
 * proc.c: processes and the scheduler, xv6 style for one CPU.
 *
 * Each process has its own address space, kernel stack and saved kernel
 * context.  The scheduler runs on the boot stack: it picks the next
 * RUNNABLE process round robin, loads its page tables and kernel stack, and
 * swtch()es to it; the process comes back to the scheduler through sched()
 * when it sleeps, exits, or its 10 ms time slice ends at a timer tick in
 * user mode (yield()).  When nothing is runnable the scheduler idles in
 * "sti; hlt" until an interrupt wakes someone.
 *
 * Interrupts are off in the kernel (x86.h), except in the idle loop, so
 * nothing here needs a lock: sleep() and wakeup() cannot race, and an
 * interrupt handler only ever runs on top of user mode or the idle loop.
 *
 * The kernel itself is the parent of the programs it starts (proc_run()),
 * and adopts the children of a process that exits when there is no
 * process 1 to take them, like init; it reaps them itself.  proc_run()
 * returns when no process is left at all.  Signals, process groups and
 * wait4() are signal.c's: proc_exit() and proc_fork() call it.
 *
 * A vfork() child (clone with CLONE_VM|CLONE_VFORK) runs in its parent's
 * address space (struct mm is reference-counted), and the parent sleeps
 * until the child has exec'd or exited, as in Linux.  Other ways of
 * sharing (threads: CLONE_THREAD, CLONE_SIGHAND, CLONE_VM without
 * CLONE_VFORK) are refused.  A process that exits wakes the futex at the
 * address it gave set_tid_address() or CLONE_CHILD_CLEARTID, after
 * writing 0 there (futex.c).
 *
 * Each process has its own FPU registers (x87, SSE, AVX: an XSAVE area in
 * fpu_areas[]) and FS base (musl's thread pointer), which the kernel
 * itself never uses: run() loads them before it switches to the process
 * and saves the registers when it comes back (XSAVE/XRSTOR, fpu.c:
 * unprivileged, they run natively on trapvisor and move the vCPU's state).
 * With the paravirtual FPU (pv.c, boot.h) run() only names the process's
 * area in the shared page, and the monitor switches the state itself when
 * the vCPU next enters user mode, so kernel entries move nothing.
 */
#include <trapvisor/boot.h>

#include "defs.h"
#include "uapi/sched.h"

#define NPROC       64
#define KSTACK_SIZE (16 * 1024)

_Static_assert(offsetof(struct kcontext, rsp) == 48 && offsetof(struct kcontext, rip) == 56,
	       "context.S uses these offsets");
_Static_assert(sizeof(struct trapframe) % 16 == 0, "a kernel stack top keeps 16-byte alignment");

struct proc procs[NPROC];        /* signal.c walks them too */
/* Paravirtual FPU save areas, one per slot: in the kernel image, so each
 * is physically contiguous as the monitor wants. */
static u8 fpu_areas[NPROC][PV_FPU_AREA_MAX] __attribute__((aligned(64)));
static u64 loaded_fs;            /* the FS base the CPU holds */
static u8 kstacks[NPROC][KSTACK_SIZE] __attribute__((aligned(16)));
static int next_pid = 1;
static u64 user_ns;               /* all processes' time in user mode (/proc/stat) */
static int rr_next;               /* where the round-robin search starts */
static struct {
	int pid;                      /* the program proc_run() started */
	int wstatus;                  /* its wait status, once it has exited */
} top;

u8 *fpu_area(struct proc *p)
{
	return fpu_areas[p - procs];
}

/* The FPU state of a fresh program: what FNINIT and the reset MXCSR give. */
void fpu_reset(struct proc *p)
{
	u8 *img = fpu_area(p);

	/* The XSAVE header (bytes 512-575) zero: every component in its
	 * initial state, x87 and SSE control words as below. */
	memset(img, 0, fpu_size());
	*(u16 *)(img + 0) = 0x37f;                /* FCW: all exceptions masked */
	*(u32 *)(img + 24) = 0x1f80;              /* MXCSR: all exceptions masked */
	p->fpu_fresh = true;
}

/* arch_prctl(ARCH_SET_FS): the running process's FS base, loaded now. */
int proc_set_fs(u64 base)
{
	if (base >= USER_TOP)
		return -EPERM;
	cpu.proc->fs_base = base;
	wrmsr(MSR_FS_BASE, base);
	loaded_fs = base;
	return 0;
}

/* A free process slot with a pid, kernel stack and trap frame, or 0. */
static struct proc *proc_alloc(void)
{
	struct proc *p;
	int i;

	for (i = 0; i < NPROC && procs[i].state != UNUSED; i++)
		;
	if (i == NPROC)
		return 0;
	p = &procs[i];
	memset(p, 0, sizeof(*p));
	p->state = EMBRYO;
	p->pid = next_pid++;
	p->kstack_top = (u64)kstacks[i] + KSTACK_SIZE;
	p->tf = (struct trapframe *)p->kstack_top - 1;
	p->start_ns = clock_monotonic();
	fpu_reset(p);
	rlimit_init(p->rlim);
	return p;
}

/* A new process's first instructions in the kernel: leave for user mode
 * with the registers in its trap frame. */
static void __attribute__((noreturn)) forkret(void)
{
	signal_user_return(cpu.proc->tf);   /* signals sent before it ever ran */
	trap_return(cpu.proc->tf);
}

/* Make p run forkret() when first scheduled.  The context's RSP points at
 * a dummy return address, as if forkret had been called. */
static void proc_ready(struct proc *p)
{
	u64 *sp = (u64 *)p->tf - 1;

	*sp = 0;
	p->context.rsp = (u64)sp;
	p->context.rip = (u64)forkret;
	p->state = RUNNABLE;
}

/* Registers for a fresh start at entry with the stack at sp: all zero,
 * IF=1 in user mode. */
static void tf_start(struct trapframe *tf, u64 entry, u64 sp)
{
	memset(tf, 0, sizeof(*tf));
	tf->rip = entry;
	tf->cs = USER_CS;
	tf->rflags = FL_IF | FL_FIXED;
	tf->rsp = sp;
	tf->ss = USER_DS;
}

/* ---- Switching ---- */

/* Give the CPU back to the scheduler; returns when this process is
 * scheduled again.  The caller has set its state. */
static void sched(void)
{
	swtch(&cpu.proc->context, &cpu.sched);
}

/* The running process's time slice is over: let the others run first. */
void yield(void)
{
	cpu.proc->state = RUNNABLE;
	sched();
}

/* Sleep until wakeup(chan).  The caller re-checks its condition: another
 * process may have been woken by the same wakeup and got there first. */
void sleep(const void *chan)
{
	cpu.proc->chan = chan;
	cpu.proc->state = SLEEPING;
	sched();
	cpu.proc->chan = 0;
}

void wakeup(const void *chan)
{
	for (struct proc *p = procs; p < procs + NPROC; p++)
		if (p->state == SLEEPING && p->chan == chan)
			p->state = RUNNABLE;
}

/* Wake p whatever it sleeps on (futex.c): it re-checks why it slept. */
void proc_wake(struct proc *p)
{
	if (p->state == SLEEPING)
		p->state = RUNNABLE;
}

/* How many processes exist (sysinfo). */
int proc_count(void)
{
	int n = 0;

	for (struct proc *p = procs; p < procs + NPROC; p++)
		n += p->state != UNUSED;
	return n;
}

/* A timer tick arrived while the running process was in user mode. */
void proc_tick(void)
{
	cpu.proc->utime_ns += timer_tick_ns();
	user_ns += timer_tick_ns();
	cpu.proc->uticks++;
	if (--cpu.proc->slice <= 0)
		yield();
}

/* Run p until it gives the CPU back. */
static void run(struct proc *p)
{
	p->state = RUNNING;
	p->slice = timer_slice();
	cpu.proc = p;
	pv_set_proc(p->pid, p->name);         /* the monitor's --trace */
	cpu_set_kstack(p->kstack_top);
	vm_switch(p->mm->pml4);
	if (p->fs_base != loaded_fs) {
		wrmsr(MSR_FS_BASE, p->fs_base);
		loaded_fs = p->fs_base;
	}
	/* An execve's reset image was the live area: if the monitor had to
	 * save the old program's state over it before loading it (another
	 * process reached user mode first), write the reset image again. */
	if (pv_fpu && p->fpu_fresh && p->fpu_exec)
		fpu_reset(p);
	if (pv_fpu)
		pv_fpu_switch(fpu_area(p), p->fpu_fresh);
	else
		fpu_load(fpu_area(p));
	swtch(&cpu.sched, &p->context);
	/* A fresh image stays fresh until the monitor has loaded it: p may
	 * have slept in the kernel without ever reaching user mode. */
	if (pv_fpu) {
		p->fpu_fresh = p->fpu_fresh && pv_fpu_reload_pending();
		p->fpu_exec = p->fpu_exec && p->fpu_fresh;
	} else {
		fpu_store(fpu_area(p));
	}
	cpu.proc = 0;
	pv_set_proc(0, 0);
	/* The kernel is the parent of p: reap it now that it is off its stack. */
	if (p->state == ZOMBIE && !p->parent) {
		if (p->pid == top.pid)
			top.wstatus = p->xstate;
		p->state = UNUSED;
	}
}

/* The next RUNNABLE process after the last one picked, or 0. */
static struct proc *pick(void)
{
	for (int n = 0; n < NPROC; n++) {
		int i = (rr_next + n) % NPROC;
		if (procs[i].state == RUNNABLE) {
			rr_next = i + 1;
			return &procs[i];
		}
	}
	return 0;
}

static bool any_alive(void)
{
	for (struct proc *p = procs; p < procs + NPROC; p++)
		if (p->state != UNUSED)
			return true;
	return false;
}

/*
 * Run processes until none is left.  With nothing runnable, wait for an
 * interrupt: on trapvisor HLT lets the monitor sleep until the next event,
 * so an idle guest costs no host CPU.
 */
static void scheduler(void)
{
	for (;;) {
		struct proc *p = pick();
		if (p)
			run(p);
		else if (any_alive())
			sti_hlt_cli();
		else
			return;
	}
}

/* A process the kernel starts: the root as its working directory, umask
 * 022, and /dev/console open as descriptors 0, 1 and 2. */
static int console_files(struct proc *p)
{
	struct inode *ip;
	struct file *f;
	int r;

	p->umask = 022;
	p->cwd = iget(fs_root());
	if (!(p->files = fdtable_copy(0)))
		return -ENOMEM;
	if ((r = fs_console(&ip)) < 0)
		return r;
	r = file_open_inode(ip, O_RDWR, &f);
	iput(ip);
	if (r < 0)
		return r;
	for (int fd = 0; fd < 3; fd++)
		p->files->fd[fd] = fd ? file_get(f) : f;
	return 0;
}

/* The last part of path, at most 15 characters: a process's name. */
static void set_name(struct proc *p, const char *path)
{
	const char *base = path;

	for (const char *c = path; *c; c++)
		if (*c == '/' && c[1])
			base = c + 1;
	strlcpy(p->name, base, sizeof(p->name));
	if (p == cpu.proc)
		pv_set_proc(p->pid, p->name);     /* exec renames it (--trace) */
}

/* /proc/PID/exe: the program's path with every symbolic link resolved
 * (so that a program run as /proc/self/exe names the real file); an
 * embedded program, which no file has, is the /bin/NAME exec also
 * accepts for it. */
static void set_exe(struct proc *p, const char *path)
{
	if (path_canonical(path, p->exe, sizeof(p->exe)) < 0) {
		const char *base = path;
		for (const char *c = path; *c; c++)
			if (*c == '/' && c[1])
				base = c + 1;
		strlcpy(p->exe, "/bin/", sizeof(p->exe));
		strlcpy(p->exe + 5, base, sizeof(p->exe) - 5);
	}
}

/*
 * Start the embedded program name as a child of the kernel, and run it and
 * everything it starts until no process is left.  Its argv is its name
 * and extra[nextra], its environment Linux's for init (HOME=/, TERM=linux).  Returns its wait
 * status, or -1 when it could not be started.
 */
int proc_run(const char *name, char *const extra[], int nextra, bool init)
{
	struct exec_args *args = exec_args_new();
	struct proc *p;
	u64 entry, sp;
	int err = -ENOMEM;

	p = proc_alloc();
	if (!p) {
		kprintf("%s: no free process slot\n", name);
		exec_args_free(args);
		return -1;
	}
	if (args && (err = exec_args_add(args, name, false)) == 0)
		for (int i = 0; i < nextra && err == 0; i++)
			err = exec_args_add(args, extra[i], false);
	if (args && err == 0 && (err = exec_args_add(args, "HOME=/", true)) == 0 &&
	    (err = exec_args_add(args, "TERM=linux", true)) == 0)
		err = exec_load(name, args, &p->mm, &entry, &sp);
	if (err == 0)
		set_exe(p, exec_args_path(args));
	exec_args_free(args);
	if (err < 0) {
		if (err == -ENOENT)
			kprintf("run: no program \"%s\"\n", name);
		else if (err == -ENOMEM)
			kprintf("%s: out of memory\n", name);
		p->state = UNUSED;
		return -1;
	}
	set_name(p, name);
	p->init = init;
	if (console_files(p) < 0) {
		kprintf("%s: out of memory\n", name);
		mm_put(p->mm);
		p->mm = 0;
		p->state = UNUSED;
		return -1;
	}
	tf_start(p->tf, entry, sp);
	proc_ready(p);
	top.pid = p->pid;
	if (extra)                      /* init: its first instruction is next */
		outl(PORT_BENCH_MARK, BENCH_MARK_INIT);
	scheduler();
	return top.wstatus;
}

/* ---- System calls ---- */

/*
 * fork(), vfork() and clone() with the flags a C library uses for them
 * (sys_proc.c checks them): a copy of the running process.  Its memory is
 * shared copy-on-write (vm.c), or with CLONE_VM the very same address
 * space.  Returns the new process, or 0 with *err set.
 */
static struct proc *copy_process(bool share_vm, int *err)
{
	struct proc *p = cpu.proc, *c = proc_alloc();
	struct mm *mm;

	*err = -EAGAIN;
	if (!c)
		return 0;
	if (share_vm) {
		mm = p->mm;
		mm->refs++;
	} else {
		u64 pml4;
		*err = -ENOMEM;
		if (!(mm = mm_alloc()) || uvm_copy(p->mm->pml4, mm->pml4) < 0) {
			if (mm)
				mm_put(mm);       /* and what was copied */
			c->state = UNUSED;
			return 0;
		}
		pml4 = mm->pml4;          /* the copy, into mm_alloc()'s PML4 */
		*mm = *p->mm;
		mm->pml4 = pml4;
		mm->refs = 1;
		mm_dup_files(mm);         /* its areas hold their files too */
	}
	c->mm = mm;
	*c->tf = *p->tf;
	c->tf->rax = 0;
	c->fs_base = p->fs_base;
	c->files = fdtable_copy(p->files);
	if (!c->files) {
		mm_put(c->mm);
		c->mm = 0;
		c->state = UNUSED;
		return 0;
	}
	c->cwd = iget(p->cwd);
	c->umask = p->umask;
	if (pv_fpu) {                               /* the parent's, live */
		pv_fpu_save();
		memcpy(fpu_area(c), fpu_area(p), pv_fpu_size());
		c->fpu_fresh = true;
	} else {
		fpu_store(fpu_area(c));               /* the parent's, live */
	}
	memcpy(c->name, p->name, sizeof(c->name));
	memcpy(c->exe, p->exe, sizeof(c->exe));
	c->parent = p;
	memcpy(c->rlim, p->rlim, sizeof(c->rlim));
	c->cred = p->cred;
	signal_fork(c, p);
	return c;
}

/* fork(): returns the child's pid to the parent; the child returns 0 from
 * the same system call. */
int proc_fork(void)
{
	int err;
	struct proc *c = copy_process(false, &err);

	if (!c)
		return err;
	proc_ready(c);
	return c->pid;
}

/*
 * clone() for fork and vfork (syscall flags checked by the caller):
 * CLONE_VM shares the address space, CLONE_VFORK makes the parent wait
 * until the child execs or exits, a stack gives the child its RSP,
 * CLONE_PARENT_SETTID writes the child's pid at ptid (in the parent's
 * memory), CLONE_CHILD_SETTID at ctid (in the child's: after a fork a
 * copy-on-write page of its own), CLONE_CHILD_CLEARTID makes ctid the
 * child's clear_child_tid, CLONE_SETTLS its FS base.
 */
int proc_clone(u64 flags, u64 stack, u64 ptid, u64 ctid, u64 tls)
{
	struct proc *p = cpu.proc, *c;
	int err, pid;

	if ((flags & CLONE_PARENT_SETTID) && !mm_user_ok(p->mm, ptid, sizeof(int), true))
		return -EFAULT;
	c = copy_process(flags & CLONE_VM, &err);
	if (!c)
		return err;
	pid = c->pid;
	if (stack)
		c->tf->rsp = stack;
	if (flags & CLONE_SETTLS)
		c->fs_base = tls;
	/* Checked again: the fork made the page copy-on-write. */
	if ((flags & CLONE_PARENT_SETTID) && mm_user_ok(p->mm, ptid, sizeof(int), true))
		*(int *)ptid = pid;
	if (flags & CLONE_CHILD_SETTID) {
		/* Written through the child's page tables, loaded for it. */
		vm_switch(c->mm->pml4);
		if (mm_user_ok(c->mm, ctid, sizeof(int), true))
			*(int *)ctid = pid;
		vm_switch(p->mm->pml4);
	}
	if (flags & CLONE_CHILD_CLEARTID)
		c->clear_child_tid = ctid;
	proc_ready(c);
	if (flags & CLONE_VFORK) {
		p->vfork_child = c;
		c->vfork_parent = p;
		while (p->vfork_child)
			sleep(&p->vfork_child);
	}
	return pid;
}

/* A vfork() child that execs or exits lets its parent go on. */
static void vfork_release(struct proc *c)
{
	struct proc *p = c->vfork_parent;

	if (!p)
		return;
	c->vfork_parent = 0;
	p->vfork_child = 0;
	wakeup(&p->vfork_child);
}

/*
 * execve(): replace the running process's program.  Returns -errno and
 * changes nothing if the new one cannot be loaded; on success, the system
 * call returns to the new program's entry with the registers of a fresh
 * start.  Handled signals go back to SIG_DFL, ignored ones stay ignored
 * (signal_exec()).
 */
int proc_exec(const char *path, struct exec_args *args)
{
	struct proc *p = cpu.proc;
	struct mm *old = p->mm, *mm;
	u64 entry, sp;
	int err;

	err = exec_load(path, args, &mm, &entry, &sp);
	if (err < 0)
		return err;
	p->mm = mm;
	vm_switch(mm->pml4);
	mm_put(old);                  /* a vfork parent's stays */
	vfork_release(p);
	p->clear_child_tid = 0;
	set_name(p, path);
	set_exe(p, exec_args_path(args));       /* the file loaded: a script's interpreter */
	fdtable_exec(p->files);
	tf_start(p->tf, entry, sp);
	proc_set_fs(0);
	signal_exec(p);
	fpu_reset(p);
	if (pv_fpu) {
		p->fpu_exec = true;
		pv_fpu_switch(fpu_area(p), true);       /* load it on the way out */
	} else {
		fpu_load(fpu_area(p));
	}
	return 0;
}

/*
 * The running process ends with wait status wstatus: free its address
 * space, give its children to process 1 or the kernel, tell its parent
 * (signal_exit()), and leave a zombie for the parent's wait4().  The
 * kernel reports on the programs it started itself (the line the tests
 * look for).
 */
void proc_exit(int wstatus)
{
	struct proc *p = cpu.proc;

	if (p->clear_child_tid)
		futex_exit(p->mm, p->clear_child_tid);
	vm_switch_kernel();
	mm_put(p->mm);                /* a vfork parent's stays */
	p->mm = 0;
	fdtable_close_all(p->files);
	p->files = 0;
	iput(p->cwd);
	p->cwd = 0;
	vfork_release(p);
	signal_exit(p, wstatus);
	if (p->pid == top.pid && W_IFEXITED(wstatus))
		kprintf("%s exited with status %d\n", p->name, W_EXITSTATUS(wstatus));
	p->xstate = wstatus;
	p->state = ZOMBIE;
	if (p->parent)
		wakeup(p->parent);
	sched();
	panic("zombie %d ran again", p->pid);
}

/* True if the running process is being killed (SIGKILL, or a signal whose
 * default action ends it): it exits on its way back to user mode.  A
 * blocking call asks signal_pending() instead, which also covers the
 * signals a handler takes. */
bool proc_killed(void)
{
	return cpu.proc->killed != 0;
}

/* ---- For /proc (fs/procfs.c) ---- */

/* The process pid, if it exists (zombies included), or 0. */
struct proc *proc_find(int pid)
{
	for (struct proc *p = procs; p < procs + NPROC; p++)
		if (p->pid == pid && p->state != UNUSED && p->state != EMBRYO)
			return p;
	return 0;
}

/* The process after p in the table (the first one for p = 0), or 0 after
 * the last: the processes in no particular order, zombies included. */
struct proc *proc_next(struct proc *p)
{
	for (p = p ? p + 1 : procs; p < procs + NPROC; p++)
		if (p->state != UNUSED && p->state != EMBRYO)
			return p;
	return 0;
}

/* The last pid handed out: the processes created since boot. */
int proc_last_pid(void)
{
	return next_pid - 1;
}

/* The time all processes, living or gone, have spent in user mode.
 * Timer ticks arrive only in user mode or in the idle loop (interrupts
 * are off in the kernel), so the rest of the uptime counts as idle. */
u64 proc_user_ns(void)
{
	return user_ns;
}

/* RLIMIT_NOFILE of the running process (the kernel's own: the table). */
u64 proc_nofile_limit(void)
{
	return cpu.proc ? cpu.proc->rlim[RLIMIT_NOFILE].cur : NOFILE_MAX;
}
