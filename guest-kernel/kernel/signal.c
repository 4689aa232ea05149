/*
 * signal.c: signals with Linux's x86-64 semantics and ABI, process groups
 * and sessions, job control, and wait4()/waitid().
 *
 * State (struct sigstate, signal.h, one per process): an action per signal
 * (handler, flags, restorer, mask), the blocked mask, the pending set with
 * one siginfo per pending signal (a signal already pending is not queued
 * twice, real-time ones included), the alternate stack, the ITIMER_REAL
 * alarm, and the job-control state.  fork() copies the actions, the mask
 * and the alternate stack; execve() resets handled signals to SIG_DFL,
 * keeps the mask and what is pending, and drops the alternate stack.
 *
 * Sending (send()) happens at once for the job-control signals: SIGCONT
 * resumes a stopped process and discards pending stop signals, a stop
 * signal discards a pending SIGCONT.  A signal the process ignores, and
 * does not block, is dropped; SIGKILL, or any signal whose default action
 * ends the process, unblocked and at SIG_DFL, marks it killed
 * (proc_killed()).  A process that can take the signal is woken from its
 * sleep: every sleep in this kernel is in a loop that re-checks its
 * condition, and a blocking call that finds signal_pending() returns
 * -ERESTARTSYS (or a kin of it, uapi/errno.h).
 *
 * Delivery (deliver()) happens on every way back to user mode: at the end
 * of a system call (signal_syscall_return(), which syscall_dispatch()
 * calls), of a trap from user mode (signal_user_return(), trap.c), and
 * before a new process first runs (forkret).  Synchronous signals (the
 * faults) go first, then the lowest number.  The default action of each is
 * Linux's: SIGCHLD, SIGURG, SIGWINCH and SIGCONT are ignored; SIGSTOP,
 * SIGTSTP, SIGTTIN and SIGTTOU stop the process (the last three not in an
 * orphaned process group), which then sleeps until SIGCONT or SIGKILL;
 * the rest end it.  For a handler the kernel builds Linux's rt_sigframe on
 * the user stack, or on the alternate stack with SA_ONSTACK: below the
 * 128-byte red zone the FPU image (64-byte aligned), below that the frame,
 * with RSP 16-byte aligned minus 8 as after a call, pointing at the
 * return address sa_restorer (required, as on Linux: without it the
 * process gets SIGSEGV).  The handler starts with RDI = signal, RSI =
 * &siginfo, RDX = &ucontext, RAX = 0, DF clear, and the FPU state of a
 * new program; while it runs, its sa_mask and (unless SA_NODEFER) the
 * signal itself are blocked.  Several pending signals stack several
 * frames.  rt_sigreturn() takes everything back from the frame (every
 * register, checked: RIP in user space, user CS and SS, only the flags a
 * program may change; the mask; the FPU image, checked as XRSTOR would;
 * the alternate stack) and leaves by IRETQ so that RCX and R11 come back
 * too.  A frame that cannot be written, or a bad one at rt_sigreturn, is
 * SIGSEGV (force_sigsegv()).
 *
 * System-call restarts, as Linux: a call interrupted with -ERESTARTSYS is
 * restarted (RIP back over the 2-byte SYSCALL, RAX = its number again) if
 * no handler runs or the handler has SA_RESTART, else it returns -EINTR;
 * -ERESTARTNOHAND only if no handler runs; -ERESTART_RESTARTBLOCK
 * (nanosleep) goes on through restart_syscall() with the time left.
 *
 * The FPU image in a frame is the process's XSAVE area as the kernel keeps
 * it (fpu.c), with the software bytes and FP_XSTATE_MAGIC2 Linux writes.
 * Without the paravirtual FPU the live registers are the process's:
 * fpu_sync() is XSAVE into the area and fpu_commit() XRSTOR from it.  With
 * it the monitor holds them: fpu_sync() asks for them with HC_FPU_SAVE
 * (unless the area holds news the monitor has not loaded yet), and
 * fpu_commit() marks the area fresh so the monitor loads it on the way to
 * user mode.  A fresh area would be overwritten with the stale live state
 * if another process reached user mode first: the one sleep between
 * building a frame and leaving, a job-control stop, sets it aside.
 *
 * Faults in user mode (trap.c) become signals with Linux's codes
 * (signal_fault()); one that is blocked or ignored, or whose handler is
 * SIG_DFL, kills the process there, with trap.c's line on the console.
 *
 * Process groups and sessions are the pgid and sid of struct proc.  The
 * programs the kernel starts are in group 0 of session 0, the console's
 * foreground group until a session takes the console (drivers/tty.c); a
 * terminal's ^C, ^\ and ^Z signal its foreground group, its background
 * readers and writers get SIGTTIN and SIGTTOU (signal_ignored(),
 * signal_pgrp_orphaned()), and a session leader's exit hangs up its
 * terminal (tty_session_exit()).
 */
#include "defs.h"
#include "uapi/time.h"

#include "uapi/unistd.h"

extern struct proc procs[NPROC];

/*
 * The larger part of each process's signal state, by process slot: out of
 * struct proc, so that the scheduler's scans of procs[] (pick(), wakeup())
 * stay on few pages; under trapvisor each page the kernel touches after a
 * switch to a recycled shadow context costs a hidden page fault.  Only
 * read while the process is alive (info[] only for a pending signal), and
 * the actions are cleared as it exits, so a new process finds them at
 * SIG_DFL.
 */
static struct {
	struct ksigaction action[NSIG];
	struct ksiginfo info[NSIG];
} sigtab[NPROC];

static struct ksigaction *action(struct proc *p, int sig)
{
	return &sigtab[p - procs].action[sig - 1];
}

static struct ksiginfo *info_of(struct proc *p, int sig)
{
	return &sigtab[p - procs].info[sig - 1];
}

#define BIT(sig)     (1ul << ((sig) - 1))
#define UNBLOCKABLE  (BIT(SIGKILL) | BIT(SIGSTOP))
#define STOP_SIGS    (BIT(SIGSTOP) | BIT(SIGTSTP) | BIT(SIGTTIN) | BIT(SIGTTOU))
#define IGNORE_SIGS  (BIT(SIGCHLD) | BIT(SIGURG) | BIT(SIGWINCH) | BIT(SIGCONT))
#define SYNC_SIGS    (BIT(SIGSEGV) | BIT(SIGBUS) | BIT(SIGILL) | BIT(SIGTRAP) | BIT(SIGFPE) | BIT(SIGSYS))

#define NS_PER_S     1000000000ul
#define NS_PER_US    1000ul
#define MAX_TIMER_S  (100ul * 365 * 86400)   /* longer timers are cut to a century */
#define RED_ZONE     128                    /* below RSP, the x86-64 ABI's */

/* RFLAGS bits rt_sigreturn takes from the frame (Linux's FIX_EFLAGS):
 * CF PF AF ZF SF TF DF OF RF AC.  IF stays set, IOPL 0, NT clear. */
#define FL_TF    (1ul << 8)
#define FL_DF    (1ul << 10)
#define FL_RF    (1ul << 16)
#define FL_USER  (0x1ul | 0x4ul | 0x10ul | 0x40ul | 0x80ul | FL_TF | FL_DF | 0x800ul | FL_RF | 0x40000ul)

#define XSAVE_MIN   (512 + 64)              /* legacy area and XSAVE header */
#define XFEATURE_FP_SSE 0x3ul


/* ---- Processes ---- */

static bool alive(const struct proc *p)
{
	return p->state != UNUSED && p->state != ZOMBIE;
}

/* The process pid, zombies included (they can still be signalled, to no
 * effect, as on Linux), or 0. */
static struct proc *find(int pid)
{
	for (struct proc *p = procs; p < procs + NPROC; p++)
		if (p->state != UNUSED && p->pid == pid)
			return p;
	return 0;
}

static bool default_kills(int sig)
{
	return !(BIT(sig) & (IGNORE_SIGS | STOP_SIGS));
}

/* p drops sig as it is sent: it ignores it and does not block it (a
 * blocked signal stays pending whatever its action, as on Linux). */
static bool discards(struct proc *p, int sig)
{
	const struct sigstate *s = &p->sig;
	u64 h = action(p, sig)->handler;

	if ((s->blocked | s->waitset) & BIT(sig))
		return false;
	/* Init takes only the signals it has a handler for (Linux's
	 * SIGNAL_UNKILLABLE): a default action, even SIGKILL's, is dropped.
	 * A fault still kills it: that is signal_fault(), not a send.  The
	 * run= programs before it are not init (the kernel is theirs): ^C
	 * stops them. */
	if (p->init && h == SIG_DFL)
		return true;
	return h == SIG_IGN || (h == SIG_DFL && (BIT(sig) & IGNORE_SIGS));
}

/* Wake p from its sleep: it has a signal to look at.  A stopped process
 * wakes only to continue (stopped is clear by then) or to die. */
static void wake(struct proc *p)
{
	if (p->state == SLEEPING && (!p->sig.stopped || p->killed))
		p->state = RUNNABLE;
}

static void send(struct proc *p, int sig, const struct ksiginfo *info);

/* p stopped or continued: SIGCHLD to its parent (unless it ignores it or
 * set SA_NOCLDSTOP), whose wait4(WUNTRACED/WCONTINUED) may report it. */
static void notify_cldstop(struct proc *p, int why, int status)
{
	struct proc *parent = p->parent;
	struct ksigaction *ka;

	if (!parent)
		return;
	ka = action(parent, SIGCHLD);
	if (ka->handler != SIG_IGN && !(ka->flags & SA_NOCLDSTOP))
		send(parent, SIGCHLD, &(struct ksiginfo){ .code = why, .pid = p->pid, .status = status });
	wakeup(parent);
}

/* Child c ended with wstatus: SIGCHLD to parent (unless it ignores it),
 * whose wait4() may then reap it.  Returns true if nobody will: the parent
 * ignores SIGCHLD or set SA_NOCLDWAIT, and c is to be reaped at once. */
static bool notify_exit(struct proc *c, struct proc *parent, int wstatus)
{
	struct ksigaction *ka = action(parent, SIGCHLD);
	bool exited = W_IFEXITED(wstatus);

	if (ka->handler != SIG_IGN)
		send(parent, SIGCHLD, &(struct ksiginfo){
			.code = exited ? CLD_EXITED : CLD_KILLED, .pid = c->pid,
			.status = exited ? W_EXITSTATUS(wstatus) : W_TERMSIG(wstatus) });
	wakeup(parent);
	return ka->handler == SIG_IGN || (ka->flags & SA_NOCLDWAIT);
}

/* Send sig (1..NSIG) to p, with info (see the top). */
static void send(struct proc *p, int sig, const struct ksiginfo *info)
{
	struct sigstate *s = &p->sig;
	u64 bit = BIT(sig);

	if (!alive(p))
		return;
	if (sig == SIGCONT) {
		s->pending &= ~STOP_SIGS;
		if (s->stopped) {
			s->stopped = false;
			s->stop_report = 0;
			s->cont_report = true;
			notify_cldstop(p, CLD_CONTINUED, SIGCONT);
			wake(p);
		}
	} else if (bit & STOP_SIGS) {
		s->pending &= ~BIT(SIGCONT);
	}
	if (discards(p, sig))
		return;
	if (!(s->pending & bit)) {
		s->pending |= bit;
		*info_of(p, sig) = *info;
	}
	if (!((s->blocked | s->waitset) & bit) && action(p, sig)->handler == SIG_DFL &&
	    default_kills(sig) && !p->killed)
		p->killed = sig;
	if (p->killed || (bit & (~s->blocked | s->waitset)))
		wake(p);
}

/* sig from the kernel (si_code SI_KERNEL): SIGPIPE, SIGHUP, ... */
void signal_send(struct proc *p, int sig)
{
	send(p, sig, &(struct ksiginfo){ .code = SI_KERNEL });
}

/* sig (0: only look) to every process of group pgid: 0, or -ESRCH if the
 * group has no process. */
static int send_group(int pgid, int sig, const struct ksiginfo *info)
{
	bool found = false;

	for (struct proc *p = procs; p < procs + NPROC; p++) {
		if (p->state == UNUSED || p->pgid != pgid)
			continue;
		found = true;
		if (sig)
			send(p, sig, info);
	}
	return found ? 0 : -ESRCH;
}

int signal_pgrp(int pgid, int sig)
{
	return send_group(pgid, sig, &(struct ksiginfo){ .code = SI_KERNEL });
}

/* True if the running process has a signal to take: a blocking call
 * stops waiting (-ERESTARTSYS, -EINTR).  Also when it is being killed. */
bool signal_pending(void)
{
	const struct proc *p = cpu.proc;

	return p->killed || (p->sig.pending & (~p->sig.blocked | p->sig.waitset));
}

/* ---- Process groups and job control ---- */

/* POSIX: a process group is orphaned when no member has its parent in
 * another group of the same session, i.e. no shell is there to continue
 * its stopped jobs.  A parent that is the kernel or process 1 does not
 * count (Linux's is_global_init()); ignore is a member on its way out. */
static bool pgrp_orphaned(int pgid, const struct proc *ignore)
{
	for (struct proc *p = procs; p < procs + NPROC; p++) {
		struct proc *q = p->parent;
		if (!alive(p) || p->pgid != pgid || p == ignore || !q || q->pid == 1)
			continue;
		if (q->pgid != pgid && q->sid == p->sid)
			return false;
	}
	return true;
}

/* Is group pgid orphaned (a terminal's background reader or writer in it
 * gets EIO instead of being stopped, drivers/tty.c)? */
bool signal_pgrp_orphaned(int pgid)
{
	return pgrp_orphaned(pgid, 0);
}

/* Does p block or ignore sig (then a terminal does not stop it with
 * SIGTTIN or SIGTTOU: Linux's is_ignored())? */
bool signal_ignored(struct proc *p, int sig)
{
	return (p->sig.blocked & BIT(sig)) || action(p, sig)->handler == SIG_IGN;
}

/* A group that has just become orphaned with a stopped member gets SIGHUP
 * and SIGCONT, or its stopped jobs would wait for ever. */
static void hangup_if_orphaned(int pgid, const struct proc *ignore)
{
	bool stopped = false;

	for (struct proc *p = procs; p < procs + NPROC; p++)
		if (alive(p) && p->pgid == pgid && p != ignore && p->sig.stopped)
			stopped = true;
	if (stopped && pgrp_orphaned(pgid, ignore)) {
		signal_pgrp(pgid, SIGHUP);
		signal_pgrp(pgid, SIGCONT);
	}
}

/* ---- The FPU state of the running process (see the top) ---- */

/* Make p's area hold its current user FPU state. */
static void fpu_sync(struct proc *p)
{
	if (!pv_fpu)
		fpu_store(fpu_area(p));
	else if (!pv_fpu_reload_pending())
		pv_fpu_save();
}

/* p's area is the state it is to have in user mode from now on. */
static void fpu_commit(struct proc *p)
{
	if (!pv_fpu) {
		fpu_load(fpu_area(p));
		return;
	}
	pv_fpu_switch(fpu_area(p), true);
	p->fpu_fresh = true;
	p->fpu_exec = false;
}

/* Before a stop: an area the monitor has not loaded yet goes into pages
 * of its own, or it would be overwritten (see the top).  True if so. */
static bool fpu_stash(struct proc *p)
{
	u64 *page = p->sig.fpu_stash;
	u32 size = fpu_size(), n = (size + PGSIZE - 1) / PGSIZE;

	if (!pv_fpu || !pv_fpu_reload_pending() || n > 4)
		return false;
	for (u32 i = 0; i < n; i++) {
		u32 len = size - i * PGSIZE < PGSIZE ? size - i * PGSIZE : PGSIZE;
		page[i] = kalloc();
		if (!page[i]) {
			while (i--)
				kfree(page[i]);
			return false;
		}
		memcpy(phys_to_virt(page[i]), fpu_area(p) + i * PGSIZE, len);
	}
	return true;
}

static void fpu_unstash(struct proc *p)
{
	u64 *page = p->sig.fpu_stash;
	u32 size = fpu_size(), n = (size + PGSIZE - 1) / PGSIZE;

	for (u32 i = 0; i < n; i++) {
		u32 len = size - i * PGSIZE < PGSIZE ? size - i * PGSIZE : PGSIZE;
		memcpy(fpu_area(p) + i * PGSIZE, phys_to_virt(page[i]), len);
		kfree(page[i]);
		page[i] = 0;
	}
	fpu_commit(p);
}

/* The FPU image of a frame: p's state into fx (user memory, checked),
 * marked as Linux marks it. */
static void fpu_to_frame(struct proc *p, u8 *fx)
{
	u32 size = fpu_size();
	struct fpx_sw_bytes sw = {
		.magic1 = FP_XSTATE_MAGIC1, .extended_size = size + 4,
		.xfeatures = fpu_xcr0(), .xstate_size = size,
	};

	fpu_sync(p);
	memcpy(fx, fpu_area(p), size);
	if (!fpu_xsave())
		return;
	memcpy(fx + 464, &sw, sizeof(sw));
	*(u32 *)(fx + size) = FP_XSTATE_MAGIC2;
	/* x87 and SSE always marked present, as Linux does, so that a
	 * program that edits them in the frame is heard. */
	*(u64 *)(fx + 512) |= XFEATURE_FP_SSE;
}

/* rt_sigreturn: the FPU state from the image at user address fx.  False if
 * it is not one XRSTOR (or the host, with the paravirtual FPU) would take:
 * the frame is bad.  An image without the software bytes is a bare
 * FXSAVE one, and every other component gets its initial state. */
static bool fpu_from_frame(struct proc *p, u64 fx)
{
	struct fpx_sw_bytes sw;
	u8 *area = fpu_area(p);
	u64 bv = XFEATURE_FP_SSE;
	u32 n = 512, mxcsr;

	if (fx % 16 || !user_ok(fx, 512, false))
		return false;
	memcpy(&sw, (const u8 *)fx + 464, sizeof(sw));
	if (fpu_xsave() && sw.magic1 == FP_XSTATE_MAGIC1 && sw.xstate_size >= XSAVE_MIN &&
	    sw.xstate_size <= fpu_size() && sw.xstate_size <= sw.extended_size &&
	    user_ok(fx, sw.xstate_size + 4, false) &&
	    *(const u32 *)(fx + sw.xstate_size) == FP_XSTATE_MAGIC2) {
		const u64 *hdr = (const u64 *)(fx + 512);
		/* XRSTOR's #GP: misaligned, or XCOMP_BV (and the next 8 bytes)
		 * not zero in the standard form. */
		if (fx % 64 || hdr[1] || hdr[2])
			return false;
		n = sw.xstate_size;
		bv = hdr[0] & sw.xfeatures;
	}
	memcpy(&mxcsr, (const u8 *)fx + 24, sizeof(mxcsr));
	if (mxcsr & ~fpu_mxcsr_mask())
		return false;
	memcpy(area, (const void *)fx, n);
	if (fpu_xsave()) {
		*(u64 *)(area + 512) = bv & fpu_restorable();
		memset(area + 520, 0, 56);
	}
	fpu_commit(p);
	return true;
}

/* #MF and #XM: Linux's si_code from the x87 status or MXCSR: the
 * exceptions that are flagged and not masked. */
int signal_fpe_code(unsigned vector)
{
	const u8 *area = fpu_area(cpu.proc);
	u32 err;

	fpu_sync(cpu.proc);
	if (vector == X86_EXC_MF)
		err = *(const u16 *)(area + 2) & ~*(const u16 *)(area + 0);   /* FSW & ~FCW */
	else
		err = ~(*(const u32 *)(area + 24) >> 7) & *(const u32 *)(area + 24);
	if (err & 0x001)
		return FPE_FLTINV;
	if (err & 0x004)
		return FPE_FLTDIV;
	if (err & 0x008)
		return FPE_FLTOVF;
	if (err & 0x012)
		return FPE_FLTUND;
	if (err & 0x020)
		return FPE_FLTRES;
	return 0;
}

/* ---- The alternate stack ---- */

static bool in_altstack(const struct sigstate *s, u64 sp)
{
	return sp > s->ss_sp && sp - s->ss_sp <= s->ss_size;
}

/* On it, as sigaltstack() and the frame see it (never with SS_AUTODISARM,
 * which drops the stack while a handler runs on it). */
static bool on_altstack(const struct sigstate *s, u64 sp)
{
	return !(s->ss_flags & SS_AUTODISARM) && in_altstack(s, sp);
}

static int altstack_flags(const struct sigstate *s, u64 sp)
{
	if (!s->ss_size)
		return SS_DISABLE;
	return on_altstack(s, sp) ? SS_ONSTACK : 0;
}

/* sigaltstack()'s new stack, with RSP at sp. */
static int altstack_set(struct sigstate *s, const struct sigaltstack *ss, u64 sp)
{
	u32 mode = (u32)ss->ss_flags & ~SS_AUTODISARM;

	if (on_altstack(s, sp))
		return -EPERM;
	if (mode != SS_DISABLE && mode != SS_ONSTACK && mode != 0)
		return -EINVAL;
	if (mode == SS_DISABLE) {
		s->ss_sp = s->ss_size = 0;
	} else {
		if (ss->ss_size < MINSIGSTKSZ)
			return -ENOMEM;
		s->ss_sp = ss->ss_sp;
		s->ss_size = ss->ss_size;
	}
	s->ss_flags = (u32)ss->ss_flags;
	return 0;
}

s64 sys_sigaltstack(u64 ss_va, u64 oss_va)
{
	struct sigstate *s = &cpu.proc->sig;
	u64 sp = cpu.proc->tf->rsp;
	struct sigaltstack ss, old = {
		.ss_sp = s->ss_sp, .ss_size = s->ss_size,
		.ss_flags = altstack_flags(s, sp) | (s->ss_flags & SS_AUTODISARM),
	};
	int r;

	if (ss_va) {
		if (copyin(&ss, ss_va, sizeof(ss)) < 0)
			return -EFAULT;
		if ((r = altstack_set(s, &ss, sp)) < 0)
			return r;
	}
	if (oss_va && copyout(oss_va, &old, sizeof(old)) < 0)
		return -EFAULT;
	return 0;
}

/* ---- Frames ---- */

/* The user's siginfo for sig from what the kernel kept. */
static void fill_siginfo(struct siginfo *si, int sig, const struct ksiginfo *ki)
{
	memset(si, 0, sizeof(*si));
	si->si_signo = sig;
	si->si_code = ki->code;
	if (ki->code > 0 && ki->code < SI_KERNEL && (BIT(sig) & SYNC_SIGS)) {
		si->si_addr = ki->addr;           /* a fault */
	} else {
		si->si_pid = ki->pid;             /* kill(), or the child */
		if (sig == SIGCHLD && ki->code > 0 && ki->code < SI_KERNEL)
			si->si_status = ki->status;
		else if (ki->code < 0 && ki->code != SI_TKILL)   /* sigqueue(): si_value */
			memcpy(si->si_pad + 8, &ki->value, sizeof(ki->value));
	}
}

/* A frame could not be built for sig (0: rt_sigreturn found a bad one):
 * SIGSEGV, which a SIGSEGV handler may still take, unless it was its own
 * frame that failed (Linux's force_sigsegv()).  Killed, it says why. */
static void force_sigsegv(struct proc *p, int sig, const char *why, u64 where)
{
	struct sigstate *s = &p->sig;
	struct ksigaction *ka = action(p, SIGSEGV);

	if (sig == SIGSEGV)
		ka->handler = SIG_DFL;
	if (ka->handler == SIG_DFL || ka->handler == SIG_IGN || (s->blocked & BIT(SIGSEGV))) {
		kprintf("%s: killed by SIGSEGV: %s (rsp 0x%lx)\n", p->name, why, where);
		proc_exit(W_SIGNALED(SIGSEGV));
	}
	s->pending |= BIT(SIGSEGV);
	*info_of(p, SIGSEGV) = (struct ksiginfo){ .code = SI_KERNEL };
}

/* Build the frame for sig's handler ka and point tf at the handler (see
 * the top).  0, or why it cannot be. */
static const char *setup_frame(struct proc *p, struct trapframe *tf, int sig, struct ksigaction *ka,
			const struct ksiginfo *ki)
{
	struct sigstate *s = &p->sig;
	struct rt_sigframe f;
	struct sigcontext *sc = &f.uc.uc_mcontext;
	u64 fpsize = fpu_xsave() ? fpu_size() + 4 : 512;
	u64 oldmask = s->restore_mask ? s->saved_mask : s->blocked;
	u64 sp = tf->rsp - RED_ZONE, fx, frame;
	bool nested = on_altstack(s, tf->rsp), entering = false;

	if (!(ka->flags & SA_RESTORER))
		return "a handler without SA_RESTORER, no return address for it";
	if ((ka->flags & SA_ONSTACK) && altstack_flags(s, sp) == 0) {
		sp = s->ss_sp + s->ss_size;
		entering = true;
	}
	fx = (sp - fpsize) & ~63ul;
	frame = ((fx - sizeof(f)) & ~15ul) - 8;
	if ((nested || entering) && !in_altstack(s, frame))
		return "the signal frame would overflow the alternate stack";
	if (frame > sp || !user_ok(frame, fx + fpsize - frame, true))
		return "no room for a signal frame";

	memset(&f, 0, sizeof(f));
	f.pretcode = ka->restorer;
	f.uc.uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS | (fpu_xsave() ? UC_FP_XSTATE : 0);
	f.uc.uc_stack.ss_sp = s->ss_sp;
	f.uc.uc_stack.ss_flags = s->ss_size ? (s32)s->ss_flags : SS_DISABLE;
	f.uc.uc_stack.ss_size = s->ss_size;
	sc->r8 = tf->r8;
	sc->r9 = tf->r9;
	sc->r10 = tf->r10;
	sc->r11 = tf->r11;
	sc->r12 = tf->r12;
	sc->r13 = tf->r13;
	sc->r14 = tf->r14;
	sc->r15 = tf->r15;
	sc->rdi = tf->rdi;
	sc->rsi = tf->rsi;
	sc->rbp = tf->rbp;
	sc->rbx = tf->rbx;
	sc->rdx = tf->rdx;
	sc->rax = tf->rax;
	sc->rcx = tf->rcx;
	sc->rsp = tf->rsp;
	sc->rip = tf->rip;
	sc->eflags = tf->rflags;
	sc->cs = tf->cs;
	sc->ss = tf->ss;
	sc->err = ki->err;
	sc->trapno = ki->trapno;
	sc->oldmask = oldmask;
	sc->cr2 = ki->trapno == X86_EXC_PF ? ki->addr : 0;
	sc->fpstate = fx;
	f.uc.uc_sigmask = oldmask;
	fill_siginfo(&f.info, sig, ki);
	memcpy((void *)frame, &f, sizeof(f));
	fpu_to_frame(p, (u8 *)fx);

	tf->rdi = sig;
	tf->rsi = frame + offsetof(struct rt_sigframe, info);
	tf->rdx = frame + offsetof(struct rt_sigframe, uc);
	tf->rax = 0;
	tf->rsp = frame;
	tf->rip = ka->handler;
	tf->rflags &= ~(FL_DF | FL_RF | FL_TF);
	tf->cs = USER_CS;
	tf->ss = USER_DS;
	fpu_reset(p);                         /* the handler's FPU: a new program's */
	fpu_commit(p);

	if (entering && (s->ss_flags & SS_AUTODISARM)) {
		s->ss_sp = s->ss_size = 0;
		s->ss_flags = SS_DISABLE;
	}
	s->blocked = (s->blocked | ka->mask | (ka->flags & SA_NODEFER ? 0 : BIT(sig))) & ~UNBLOCKABLE;
	s->restore_mask = false;
	if (ka->flags & SA_RESETHAND)
		ka->handler = SIG_DFL;
	s->iret = true;
	return 0;
}

static bool user_address(u64 va)
{
	return va < USER_TOP;
}

static bool canonical(u64 va)
{
	return (u64)((s64)(va << 16) >> 16) == va;
}

s64 sys_rt_sigreturn(void)
{
	struct proc *p = cpu.proc;
	struct trapframe *tf = p->tf;
	struct sigstate *s = &p->sig;
	struct rt_sigframe f;
	const struct sigcontext *sc = &f.uc.uc_mcontext;
	u64 frame = tf->rsp - 8;              /* the handler's RET took pretcode */
	bool fp_ok;

	s->iret = true;                       /* no restart; RCX and R11 come back */
	if (copyin(&f, frame, sizeof(f)) < 0 || !user_address(sc->rip) || !canonical(sc->rsp))
		goto bad;
	if (sc->fpstate) {
		fp_ok = fpu_from_frame(p, sc->fpstate);
	} else {
		fpu_reset(p);                     /* no FPU image: the initial state */
		fpu_commit(p);
		fp_ok = true;
	}
	if (!fp_ok)
		goto bad;
	s->blocked = f.uc.uc_sigmask & ~UNBLOCKABLE;
	tf->r8 = sc->r8;
	tf->r9 = sc->r9;
	tf->r10 = sc->r10;
	tf->r11 = sc->r11;
	tf->r12 = sc->r12;
	tf->r13 = sc->r13;
	tf->r14 = sc->r14;
	tf->r15 = sc->r15;
	tf->rdi = sc->rdi;
	tf->rsi = sc->rsi;
	tf->rbp = sc->rbp;
	tf->rbx = sc->rbx;
	tf->rdx = sc->rdx;
	tf->rcx = sc->rcx;
	tf->rsp = sc->rsp;
	tf->rip = sc->rip;
	tf->rflags = (tf->rflags & ~FL_USER) | (sc->eflags & FL_USER);
	tf->cs = USER_CS;
	tf->ss = USER_DS;
	altstack_set(s, &f.uc.uc_stack, tf->rsp);   /* refused while on it: as Linux, ignored */
	return sc->rax;                       /* syscall_dispatch() puts it in tf->rax */
bad:
	force_sigsegv(p, 0, "a bad signal frame at rt_sigreturn", tf->rsp);
	return 0;
}

/* ---- Delivery ---- */

/* The pending signal of mask to take next, with its info; 0 if none.
 * Faults first (they are about the instruction that just ran), then the
 * lowest number. */
static int dequeue(struct proc *p, u64 mask, struct ksiginfo *info)
{
	struct sigstate *s = &p->sig;
	u64 ready = s->pending & mask, sync = ready & SYNC_SIGS;
	int sig;

	if (!ready)
		return 0;
	sig = __builtin_ctzl(sync ? sync : ready) + 1;
	s->pending &= ~BIT(sig);
	*info = *info_of(p, sig);
	return sig;
}

/* Stop p (the running process) by sig until SIGCONT or SIGKILL. */
static void do_stop(struct proc *p, int sig)
{
	struct sigstate *s = &p->sig;
	bool stashed;

	s->stopped = true;
	s->stop_report = sig;
	s->cont_report = false;
	notify_cldstop(p, CLD_STOPPED, sig);
	stashed = fpu_stash(p);
	while (s->stopped && !p->killed)
		sleep(&s->stopped);
	s->stopped = false;
	if (stashed)
		fpu_unstash(p);
}

/* A system call ended with a restart code in tf->rax: restart it (RIP
 * back over SYSCALL, its number in RAX again) or make it -EINTR, by
 * Linux's rules.  ka: the handler about to run, or 0 if none does. */
static void restart(struct trapframe *tf, u64 nr, const struct ksigaction *ka)
{
	switch ((s64)tf->rax) {
	case -ERESTART_RESTARTBLOCK:
		if (ka) {
			tf->rax = -EINTR;
		} else {
			tf->rax = SYS_restart_syscall;
			tf->rip -= 2;
		}
		return;
	case -ERESTARTNOHAND:
		if (ka) {
			tf->rax = -EINTR;
			return;
		}
		break;
	case -ERESTARTSYS:
		if (ka && !(ka->flags & SA_RESTART)) {
			tf->rax = -EINTR;
			return;
		}
		break;
	case -ERESTARTNOINTR:
		break;
	default:
		return;
	}
	tf->rax = nr;
	tf->rip -= 2;
}

/* The running process is about to return to user mode with tf: act on
 * its pending signals.  syscall: tf is the end of system call nr, which
 * may be restarted. */
static void deliver(struct trapframe *tf, bool syscall, u64 nr)
{
	struct proc *p = cpu.proc;
	struct sigstate *s = &p->sig;

	for (;;) {
		struct ksiginfo info;
		struct ksigaction *ka;
		const char *why;
		int sig;

		if (p->killed) {
			user_fault_report(tf, p->killed);
			proc_exit(W_SIGNALED(p->killed));
		}
		sig = dequeue(p, ~s->blocked, &info);
		if (!sig)
			break;
		ka = action(p, sig);
		if (ka->handler == SIG_IGN)
			continue;
		if (ka->handler == SIG_DFL) {
			if (BIT(sig) & IGNORE_SIGS)
				continue;
			if (p->init)            /* sent while blocked: see discards() */
				continue;
			if (BIT(sig) & STOP_SIGS) {
				if (sig == SIGSTOP || !pgrp_orphaned(p->pgid, 0))
					do_stop(p, sig);
				continue;
			}
			user_fault_report(tf, sig);
			proc_exit(W_SIGNALED(sig));
		}
		if (syscall) {
			restart(tf, nr, ka);
			syscall = false;
		}
		if ((why = setup_frame(p, tf, sig, ka, &info)))
			force_sigsegv(p, sig, why, tf->rsp);
	}
	if (syscall)
		restart(tf, nr, 0);
	if (s->restore_mask) {
		s->blocked = s->saved_mask;
		s->restore_mask = false;
	}
}

/* The end of system call nr (syscall_dispatch()), result in tf->rax. */
void signal_syscall_return(struct trapframe *tf, u64 nr)
{
	struct proc *p = cpu.proc;
	struct sigstate *s = &p->sig;
	s64 r = (s64)tf->rax;

	if (!p->killed && !(s->pending & ~s->blocked) && !s->restore_mask && !s->iret &&
	    (r > -ERESTARTSYS || r < -ERESTART_RESTARTBLOCK))
		return;
	deliver(tf, !s->iret, nr);
	if (s->iret) {
		s->iret = false;
		trap_return(tf);              /* IRETQ: RCX and R11 as tf has them */
	}
}

/* The end of a trap from user mode (trap.c), or a new process's start. */
void signal_user_return(struct trapframe *tf)
{
	struct proc *p = cpu.proc;
	struct sigstate *s = &p->sig;

	if (p->killed || (s->pending & ~s->blocked) || s->restore_mask)
		deliver(tf, false, 0);
	s->iret = false;
}

/*
 * A fault in user mode (trap.c) as signal sig with si_code code and
 * si_addr addr.  Returns true if a handler will take it; false if the
 * process dies of it (trap.c says so and exits): the handler is SIG_DFL,
 * or the signal is blocked or ignored, as Linux's force_sig().
 */
bool signal_fault(struct trapframe *tf, int sig, int code, u64 addr)
{
	struct sigstate *s = &cpu.proc->sig;
	u64 h = action(cpu.proc, sig)->handler;

	if (h == SIG_DFL || h == SIG_IGN || (s->blocked & BIT(sig)))
		return false;
	s->pending |= BIT(sig);
	*info_of(cpu.proc, sig) = (struct ksiginfo){
		.code = code, .addr = addr, .trapno = (u32)tf->vector, .err = tf->errcode,
	};
	return true;
}

/* ---- Processes coming and going ---- */

void signal_fork(struct proc *child, struct proc *parent)
{
	struct sigstate *c = &child->sig, *s = &parent->sig;

	/* The slot is zeroed (proc_alloc()): nothing pending, no alarm, not
	 * stopped. */
	memcpy(action(child, 1), action(parent, 1), sizeof(sigtab[0].action));
	c->blocked = s->blocked;
	c->ss_sp = s->ss_sp;
	c->ss_size = s->ss_size;
	c->ss_flags = s->ss_flags;
	child->pgid = parent->pgid;
	child->sid = parent->sid;
}

void signal_exec(struct proc *p)
{
	struct sigstate *s = &p->sig;

	for (int i = 0; i < NSIG; i++) {
		struct ksigaction *ka = action(p, i + 1);
		if (ka->handler != SIG_IGN)
			ka->handler = SIG_DFL;
		ka->flags = ka->restorer = ka->mask = 0;
	}
	s->ss_sp = s->ss_size = 0;
	s->ss_flags = SS_DISABLE;
	s->exec_done = true;
	s->restart_at = 0;
}

/*
 * p (running, in proc_exit()) ends with wstatus: its children go to
 * process 1 if it is there, else to the kernel (which reaps them, run());
 * groups this leaves orphaned with stopped jobs get SIGHUP and SIGCONT;
 * the parent gets SIGCHLD.  If the parent does not want to wait,
 * p->parent becomes 0 and the kernel reaps p once it is off its stack.
 */
void signal_exit(struct proc *p, int wstatus)
{
	struct proc *init = find(1), *parent = p->parent;
	int groups[NPROC], ngroups = 0;

	if (init && (init == p || !alive(init)))
		init = 0;
	if (p->sid == p->pid)
		tty_session_exit(p->sid);    /* its terminal's foreground group: SIGHUP */
	for (struct proc *c = procs; c < procs + NPROC; c++) {
		if (c->parent != p || c->state == UNUSED)
			continue;
		c->parent = init;
		if (c->state == ZOMBIE) {
			if (!init || notify_exit(c, init, c->xstate))
				c->state = UNUSED;    /* nobody waits: reaped now */
		} else if (c->pgid != p->pgid && c->sid == p->sid) {
			groups[ngroups++] = c->pgid;
		}
	}
	for (int i = 0; i < ngroups; i++)
		hangup_if_orphaned(groups[i], 0);
	if (parent && parent->pgid != p->pgid && parent->sid == p->sid)
		hangup_if_orphaned(p->pgid, p);
	p->sig.alarm_at = 0;
	memset(action(p, 1), 0, sizeof(sigtab[0].action));   /* for the slot's next process */
	if (parent && notify_exit(p, parent, wstatus))
		p->parent = 0;
}

/* ---- wait4, waitid ---- */

struct waited {
	int wstatus;              /* wait4's status */
	int code, status;         /* waitid's si_code, si_status */
	u64 minflt;               /* the child's page faults and its children's */
};

/*
 * Wait for a child matching idtype/id (P_ALL, P_PID, P_PGID) to have
 * something to report that options (WEXITED, WUNTRACED, WCONTINUED) ask
 * for; reap it unless WNOWAIT.  Returns its pid, 0 with WNOHANG if none
 * has yet, -ECHILD if there is no such child, -ERESTARTSYS if a signal
 * came.
 */
static int do_wait(int idtype, int id, int options, struct waited *w)
{
	struct proc *p = cpu.proc;

	for (;;) {
		bool have = false;
		for (struct proc *c = procs; c < procs + NPROC; c++) {
			if (c->parent != p || c->state == UNUSED)
				continue;
			if ((idtype == P_PID && c->pid != id) || (idtype == P_PGID && c->pgid != id))
				continue;
			have = true;
			if (c->state == ZOMBIE) {
				if (!(options & WEXITED))
					continue;
				w->wstatus = c->xstate;
				w->code = W_IFEXITED(c->xstate) ? CLD_EXITED : CLD_KILLED;
				w->status = W_IFEXITED(c->xstate) ? W_EXITSTATUS(c->xstate) : W_TERMSIG(c->xstate);
				w->minflt = c->minflt + c->cminflt;
				if (!(options & WNOWAIT)) {
					p->cminflt += w->minflt;
					p->cuticks += c->uticks + c->cuticks;
					c->state = UNUSED;
				}
				return c->pid;
			}
			if ((options & WUNTRACED) && c->sig.stop_report) {
				w->wstatus = W_STOPCODE(c->sig.stop_report);
				w->code = CLD_STOPPED;
				w->status = c->sig.stop_report;
				w->minflt = 0;
				if (!(options & WNOWAIT))
					c->sig.stop_report = 0;
				return c->pid;
			}
			if ((options & WCONTINUED) && c->sig.cont_report) {
				w->wstatus = W_CONTINUED;
				w->code = CLD_CONTINUED;
				w->status = SIGCONT;
				w->minflt = 0;
				if (!(options & WNOWAIT))
					c->sig.cont_report = false;
				return c->pid;
			}
		}
		if (!have)
			return -ECHILD;
		if (options & WNOHANG)
			return 0;
		if (signal_pending())
			return -ERESTARTSYS;
		sleep(p);               /* a child's exit, stop or continue wakes us */
	}
}

/*
 * wait4()'s part (syscall.c copies out): pid > 0 that child, -1 any, 0 any
 * in the caller's process group, < -1 any in group -pid.  Sets *wstatus
 * and *minflt (the child's page faults and its children's, which the
 * caller's count of its children's then includes).
 */
int proc_wait(int pid, int options, int *wstatus, u64 *minflt)
{
	struct waited w;
	int r;

	if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WALL | __WCLONE))
		return -EINVAL;
	if (pid > 0)
		r = do_wait(P_PID, pid, options | WEXITED, &w);
	else if (pid == -1)
		r = do_wait(P_ALL, 0, options | WEXITED, &w);
	else if (pid == 0)
		r = do_wait(P_PGID, cpu.proc->pgid, options | WEXITED, &w);
	else if (pid == (int)0x80000000)
		return -ESRCH;
	else
		r = do_wait(P_PGID, -pid, options | WEXITED, &w);
	if (r > 0) {
		*wstatus = w.wstatus;
		*minflt = w.minflt;
	}
	return r;
}

/* waitid(idtype, id, infop, options, rusage): Linux's struct rusage (144
 * bytes) with ru_minflt only, as wait4's (syscall.c). */
s64 sys_waitid(u64 idtype, u64 id, u64 info_va, u64 options, u64 rusage_va)
{
	struct siginfo si;
	u64 ru[18] = { 0 };
	struct waited w;
	int r;

	if (options & ~(WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED | __WNOTHREAD | __WALL | __WCLONE))
		return -EINVAL;
	if (!(options & (WEXITED | WSTOPPED | WCONTINUED)))
		return -EINVAL;
	switch (idtype) {
	case P_ALL:
		break;
	case P_PID:
		if ((int)id <= 0)
			return -EINVAL;
		break;
	case P_PGID:
		if ((int)id < 0)
			return -EINVAL;
		if (id == 0)
			id = cpu.proc->pgid;
		break;
	default:
		return -EINVAL;
	}
	if (info_va && !user_ok(info_va, sizeof(si), true))
		return -EFAULT;
	if (rusage_va && !user_ok(rusage_va, sizeof(ru), true))
		return -EFAULT;
	r = do_wait((int)idtype, (int)id, (int)options, &w);
	if (r < 0)
		return r;
	memset(&si, 0, sizeof(si));
	if (r > 0) {
		si.si_signo = SIGCHLD;
		si.si_code = w.code;
		si.si_pid = r;
		si.si_status = w.status;
		ru[8] = w.minflt;             /* ru_minflt */
	}
	if (info_va)
		copyout(info_va, &si, sizeof(si));
	if (rusage_va)
		copyout(rusage_va, ru, sizeof(ru));
	return 0;
}

/* ---- The signal system calls ---- */

s64 sys_rt_sigaction(u64 sig, u64 act_va, u64 oldact_va, u64 setsize)
{
	struct proc *p = cpu.proc;
	struct ksigaction sa, old;

	if (sig < 1 || sig > NSIG || setsize != sizeof(sa.mask))
		return -EINVAL;
	if (act_va && copyin(&sa, act_va, sizeof(sa)) < 0)
		return -EFAULT;
	if (act_va && (sig == SIGKILL || sig == SIGSTOP))
		return -EINVAL;
	old = *action(p, sig);
	if (act_va) {
		sa.mask &= ~UNBLOCKABLE;
		*action(p, sig) = sa;
		/* Now ignored: a pending one goes (POSIX). */
		if (sa.handler == SIG_IGN || (sa.handler == SIG_DFL && (BIT(sig) & IGNORE_SIGS)))
			p->sig.pending &= ~BIT(sig);
	}
	if (oldact_va && copyout(oldact_va, &old, sizeof(old)) < 0)
		return -EFAULT;
	return 0;
}

s64 sys_rt_sigprocmask(u64 how, u64 set_va, u64 oldset_va, u64 setsize)
{
	struct sigstate *s = &cpu.proc->sig;
	u64 old = s->blocked, set;

	if (setsize != sizeof(set))
		return -EINVAL;
	if (set_va) {
		if (copyin(&set, set_va, sizeof(set)) < 0)
			return -EFAULT;
		switch (how) {
		case SIG_BLOCK:
			set |= old;
			break;
		case SIG_UNBLOCK:
			set = old & ~set;
			break;
		case SIG_SETMASK:
			break;
		default:
			return -EINVAL;
		}
		s->blocked = set & ~UNBLOCKABLE;
	}
	if (oldset_va && copyout(oldset_va, &old, sizeof(old)) < 0)
		return -EFAULT;
	return 0;
}

/* rt_sigpending: the pending signals that are blocked. */
s64 sys_rt_sigpending(u64 set_va, u64 setsize)
{
	struct sigstate *s = &cpu.proc->sig;
	u64 set = s->pending & s->blocked;

	if (setsize > sizeof(set))
		return -EINVAL;
	return copyout(set_va, &set, setsize);
}

/* rt_sigsuspend: wait for a signal with mask blocked; the old mask comes
 * back once its handler has run (from the frame) or if none runs. */
s64 sys_rt_sigsuspend(u64 mask_va, u64 setsize)
{
	struct sigstate *s = &cpu.proc->sig;
	u64 mask;

	if (setsize != sizeof(mask))
		return -EINVAL;
	if (copyin(&mask, mask_va, sizeof(mask)) < 0)
		return -EFAULT;
	s->saved_mask = s->blocked;
	s->restore_mask = true;
	s->blocked = mask & ~UNBLOCKABLE;
	while (!signal_pending())
		sleep(s);
	return -ERESTARTNOHAND;
}

s64 sys_pause(void)
{
	struct sigstate *s = &cpu.proc->sig;

	while (!signal_pending())
		sleep(s);
	return -ERESTARTNOHAND;
}

/* rt_sigtimedwait(set, info, timeout): take a signal of set (normally
 * blocked) from the pending ones, waiting for one at most timeout (NULL:
 * for ever).  -EAGAIN when the time is up, -EINTR if another signal came. */
s64 sys_rt_sigtimedwait(u64 set_va, u64 info_va, u64 ts_va, u64 setsize)
{
	struct proc *p = cpu.proc;
	struct sigstate *s = &p->sig;
	struct timespec ts;
	struct ksiginfo ki;
	struct siginfo si;
	u64 set, ns = ~0ul, left;
	int sig, r = 0;

	if (setsize != sizeof(set))
		return -EINVAL;
	if (copyin(&set, set_va, sizeof(set)) < 0)
		return -EFAULT;
	set &= ~UNBLOCKABLE;
	if (ts_va) {
		if (copyin(&ts, ts_va, sizeof(ts)) < 0)
			return -EFAULT;
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= (s64)NS_PER_S)
			return -EINVAL;
		if ((u64)ts.tv_sec > MAX_TIMER_S)
			ts.tv_sec = MAX_TIMER_S;
		ns = ts.tv_sec * NS_PER_S + ts.tv_nsec;
	}
	if (info_va && !user_ok(info_va, sizeof(si), true))
		return -EFAULT;
	sig = dequeue(p, set, &ki);
	if (!sig && ns) {
		s->waitset = set;             /* their arrival wakes us */
		if (ns == ~0ul) {
			while (!signal_pending())
				sleep(s);
		} else {
			r = timer_sleep(ns, &left);
		}
		s->waitset = 0;
		sig = dequeue(p, set, &ki);
		if (!sig)
			return r == 0 && ns != ~0ul ? -EAGAIN : -EINTR;
	}
	if (!sig)
		return -EAGAIN;
	if (info_va) {
		fill_siginfo(&si, sig, &ki);
		copyout(info_va, &si, sizeof(si));
	}
	return sig;
}

s64 sys_kill(u64 pid_arg, u64 sig_arg)
{
	struct proc *self = cpu.proc;
	struct ksiginfo info = { .code = SI_USER, .pid = self->pid };
	int pid = (int)pid_arg, sig = (int)sig_arg, found = 0;

	if (sig < 0 || sig > NSIG)
		return -EINVAL;
	if (pid > 0) {
		struct proc *p = find(pid);
		if (!p)
			return -ESRCH;
		if (sig)
			send(p, sig, &info);
		return 0;
	}
	if (pid == 0)
		return send_group(self->pgid, sig, &info);
	if (pid != -1)
		return pid == (int)0x80000000 ? -ESRCH : send_group(-pid, sig, &info);
	/* -1: every process but process 1 and the caller */
	for (struct proc *p = procs; p < procs + NPROC; p++) {
		if (p->state == UNUSED || p->pid <= 1 || p == self)
			continue;
		found = 1;
		if (sig)
			send(p, sig, &info);
	}
	return found ? 0 : -ESRCH;
}

/* tkill, tgkill: one thread per process, so a tid is a pid. */
static s64 send_tid(int tgid, int tid, int sig)
{
	struct proc *p;

	if (sig < 0 || sig > NSIG)
		return -EINVAL;
	p = find(tid);
	if (!p || (tgid > 0 && p->pid != tgid))
		return -ESRCH;
	if (sig)
		send(p, sig, &(struct ksiginfo){ .code = SI_TKILL, .pid = cpu.proc->pid });
	return 0;
}

s64 sys_tkill(u64 tid, u64 sig)
{
	if ((int)tid <= 0)
		return -EINVAL;
	return send_tid(0, (int)tid, (int)sig);
}

s64 sys_tgkill(u64 tgid, u64 tid, u64 sig)
{
	if ((int)tid <= 0 || (int)tgid <= 0)
		return -EINVAL;
	return send_tid((int)tgid, (int)tid, (int)sig);
}

/* ---- ITIMER_REAL: alarm, setitimer, getitimer ---- */

static u64 next_alarm;                  /* no alarm is due before this (0: none is set) */

/* At each timer tick (trap.c): SIGALRM to the processes whose alarm is
 * due, from the kernel as Linux's (si_code SI_KERNEL). */
void signal_tick(void)
{
	u64 now = clock_monotonic();

	if (!next_alarm || now < next_alarm)
		return;
	next_alarm = 0;
	for (struct proc *p = procs; p < procs + NPROC; p++) {
		struct sigstate *s = &p->sig;
		if (!alive(p) || !s->alarm_at)
			continue;
		if (now >= s->alarm_at) {
			signal_send(p, SIGALRM);
			if (!s->alarm_every)
				s->alarm_at = 0;
			else if ((s->alarm_at += s->alarm_every) <= now)
				s->alarm_at = now + s->alarm_every;
		}
		if (s->alarm_at && (!next_alarm || s->alarm_at < next_alarm))
			next_alarm = s->alarm_at;
	}
}

static void alarm_set(struct sigstate *s, u64 value, u64 interval)
{
	s->alarm_at = value ? clock_monotonic() + value : 0;
	s->alarm_every = value ? interval : 0;
	if (s->alarm_at && (!next_alarm || s->alarm_at < next_alarm))
		next_alarm = s->alarm_at;
}

/* ns until the alarm, 0 if none (one that is due but not yet sent: 1). */
static u64 alarm_left(const struct sigstate *s)
{
	u64 now = clock_monotonic();

	if (!s->alarm_at)
		return 0;
	return s->alarm_at > now ? s->alarm_at - now : 1;
}

static bool timeval_ok(const struct timeval *tv)
{
	return tv->tv_sec >= 0 && tv->tv_usec >= 0 && tv->tv_usec < 1000000;
}

static u64 timeval_ns(const struct timeval *tv)
{
	u64 s = (u64)tv->tv_sec > MAX_TIMER_S ? MAX_TIMER_S : (u64)tv->tv_sec;

	return s * NS_PER_S + tv->tv_usec * NS_PER_US;
}

/* A time in ns as a timeval, rounded up to a microsecond so that a
 * running timer never reads as 0. */
static struct timeval ns_timeval(u64 ns)
{
	u64 us = (ns + NS_PER_US - 1) / NS_PER_US;

	return (struct timeval){ .tv_sec = us / 1000000, .tv_usec = us % 1000000 };
}

static struct itimerval itimer_now(const struct sigstate *s)
{
	return (struct itimerval){
		.it_interval = ns_timeval(s->alarm_at ? s->alarm_every : 0),
		.it_value = ns_timeval(alarm_left(s)),
	};
}

s64 sys_getitimer(u64 which, u64 value_va)
{
	struct itimerval v;

	if (which != ITIMER_REAL)
		return -EINVAL;
	v = itimer_now(&cpu.proc->sig);
	return copyout(value_va, &v, sizeof(v));
}

s64 sys_setitimer(u64 which, u64 value_va, u64 old_va)
{
	struct sigstate *s = &cpu.proc->sig;
	struct itimerval v = { 0 }, old;

	if (which != ITIMER_REAL)
		return -EINVAL;
	if (value_va && copyin(&v, value_va, sizeof(v)) < 0)
		return -EFAULT;
	if (!timeval_ok(&v.it_value) || !timeval_ok(&v.it_interval))
		return -EINVAL;
	old = itimer_now(s);
	alarm_set(s, timeval_ns(&v.it_value), timeval_ns(&v.it_interval));
	if (old_va && copyout(old_va, &old, sizeof(old)) < 0)
		return -EFAULT;
	return 0;
}

/* alarm(seconds): the seconds the old alarm had left, rounded to the
 * nearest, and never 0 for one that was set (Linux). */
s64 sys_alarm(u64 seconds)
{
	struct sigstate *s = &cpu.proc->sig;
	u64 left = alarm_left(s), secs = (u32)seconds, r, us;

	alarm_set(s, (secs > MAX_TIMER_S ? MAX_TIMER_S : secs) * NS_PER_S, 0);
	r = left / NS_PER_S;
	us = left % NS_PER_S / NS_PER_US;
	if ((!r && left) || us >= 500000)
		r++;
	return r;
}

/* ---- Sleeping through a stop: restart_syscall ---- */

/* nanosleep (syscall.c) was interrupted with left_ns to go (and has
 * written that to rem_va): if no handler runs, restart_syscall() sleeps
 * the rest (uapi/errno.h's ERESTART_RESTARTBLOCK), else it is -EINTR. */
s64 signal_sleep_interrupted(u64 left_ns, u64 rem_va)
{
	struct sigstate *s = &cpu.proc->sig;

	s->restart_at = clock_monotonic() + left_ns;
	s->restart_rem = rem_va;
	return -ERESTART_RESTARTBLOCK;
}

s64 sys_restart_syscall(void)
{
	struct sigstate *s = &cpu.proc->sig;
	u64 now = clock_monotonic(), left, rem = s->restart_rem;
	u64 ns = s->restart_at > now ? s->restart_at - now : 0;
	struct timespec ts;

	if (!s->restart_at)
		return -EINTR;
	s->restart_at = 0;
	if (timer_sleep(ns, &left) == 0)
		return 0;
	if (rem) {
		ts.tv_sec = left / NS_PER_S;
		ts.tv_nsec = left % NS_PER_S;
		copyout(rem, &ts, sizeof(ts));
	}
	return signal_sleep_interrupted(left, rem);
}

/* ---- Process groups and sessions ---- */

s64 sys_getppid(void)
{
	return cpu.proc->parent ? cpu.proc->parent->pid : 0;
}

s64 sys_getpgid(u64 pid)
{
	struct proc *p = pid ? find((int)pid) : cpu.proc;

	return p ? p->pgid : -ESRCH;
}

s64 sys_getpgrp(void)
{
	return cpu.proc->pgid;
}

s64 sys_getsid(u64 pid)
{
	struct proc *p = pid ? find((int)pid) : cpu.proc;

	return p ? p->sid : -ESRCH;
}

/* setsid: a new session and group led by the caller, which must not lead
 * a group already. */
s64 sys_setsid(void)
{
	struct proc *self = cpu.proc;

	for (struct proc *p = procs; p < procs + NPROC; p++)
		if (p->state != UNUSED && p->pgid == self->pid)
			return -EPERM;
	self->sid = self->pgid = self->pid;
	return self->pid;
}

/*
 * setpgid(pid, pgid), Linux's rules: pid is the caller or a child of it
 * (else ESRCH) in its session (else EPERM) that has not called execve
 * (else EACCES), and no session leader (EPERM); pgid is its own pid or an
 * existing group of the caller's session (else EPERM).  0 means the
 * caller for pid, pid for pgid.
 */
s64 sys_setpgid(u64 pid_arg, u64 pgid_arg)
{
	struct proc *self = cpu.proc, *p;
	int pid = (int)pid_arg ? (int)pid_arg : self->pid;
	int pgid = (int)pgid_arg ? (int)pgid_arg : pid;
	bool exists = pgid == pid;

	if (pgid < 0)
		return -EINVAL;
	p = find(pid);
	if (!p || (p != self && p->parent != self))
		return -ESRCH;
	if (p != self && p->sid != self->sid)
		return -EPERM;
	if (p != self && p->sig.exec_done)
		return -EACCES;
	if (p->sid == p->pid)
		return -EPERM;
	for (struct proc *q = procs; q < procs + NPROC && !exists; q++)
		if (q->state != UNUSED && q->pgid == pgid && q->sid == self->sid)
			exists = true;
	if (!exists)
		return -EPERM;
	p->pgid = pgid;
	return 0;
}

/*
 * VINTR at a terminal (drivers/tty.c): SIGINT to its foreground group
 * pgrp.  One of the kernel's own programs (session 0) that ignores SIGINT
 * and is asleep in its read of that terminal (on the channel reading), or
 * running and so about to read - a shell that has just printed its prompt
 * - has that read end with -EINTR instead: the stand-in for the SIGINT
 * handler with which a real shell starts a fresh line (user/sh.c).  One
 * asleep for another reason is left alone, and so is every process of a
 * real session, as on Linux.
 */
void proc_intr(int pgrp, const void *reading)
{
	for (struct proc *p = procs; p < procs + NPROC; p++) {
		if (!alive(p) || p->state == EMBRYO || p->pgid != pgrp)
			continue;
		if (action(p, SIGINT)->handler != SIG_IGN) {
			signal_send(p, SIGINT);
		} else if (p->sid == 0 && (p->state != SLEEPING || p->chan == reading)) {
			p->intr = true;
			if (!p->sig.stopped)
				wake(p);
		}
	}
}

/*
 * ppoll and pselect6: block the signals in the user's mask (if given) for
 * the wait.  If the wait ends with EINTR the old mask comes back once the
 * handler has run (as rt_sigsuspend does), else at once.
 */
int signal_mask_swap(u64 mask_va, u64 size)
{
	struct sigstate *s = &cpu.proc->sig;
	u64 mask;

	if (!mask_va)
		return 0;
	if (size != sizeof(mask))
		return -EINVAL;
	if (copyin(&mask, mask_va, sizeof(mask)) < 0)
		return -EFAULT;
	s->saved_mask = s->blocked;
	s->restore_mask = true;
	s->blocked = mask & ~UNBLOCKABLE;
	return 0;
}

void signal_mask_restore(bool interrupted)
{
	struct sigstate *s = &cpu.proc->sig;

	if (!interrupted && s->restore_mask) {
		s->blocked = s->saved_mask;
		s->restore_mask = false;
	}
}

/* For /proc: set[0] pending, [1] blocked, [2] ignored, [3] caught. */
void signal_sets(struct proc *p, u64 set[4])
{
	set[0] = p->sig.pending;
	set[1] = p->sig.blocked;
	set[2] = set[3] = 0;
	for (int sig = 1; sig <= NSIG; sig++) {
		u64 h = action(p, sig)->handler;
		if (h == SIG_IGN)
			set[2] |= 1ul << (sig - 1);
		else if (h != SIG_DFL)
			set[3] |= 1ul << (sig - 1);
	}
}

/*
 * rt_sigqueueinfo(pid, sig, info): sig to process pid with the caller's
 * siginfo (sigqueue(3): SI_QUEUE and a value).  A process may not forge
 * the kernel's codes (si_code >= 0) or tkill's for another: EPERM.  A
 * real-time signal already pending is not queued a second time.
 */
s64 sys_rt_sigqueueinfo(u64 pid_arg, u64 sig_arg, u64 info_va)
{
	struct siginfo u;
	struct ksiginfo ki;
	struct proc *p;
	int pid = (int)pid_arg, sig = (int)sig_arg;

	if (sig < 0 || sig > NSIG)
		return -EINVAL;
	if (copyin(&u, info_va, sizeof(u)) < 0)
		return -EFAULT;
	if ((u.si_code >= 0 || u.si_code == SI_TKILL) && pid != cpu.proc->pid)
		return -EPERM;
	if (!(p = find(pid)))
		return -ESRCH;
	ki = (struct ksiginfo){ .code = u.si_code, .pid = u.si_pid };
	memcpy(&ki.value, u.si_pad + 8, sizeof(ki.value));
	if (sig)
		send(p, sig, &ki);
	return 0;
}
