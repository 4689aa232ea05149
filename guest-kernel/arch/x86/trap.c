/*
 * trap.c: what happens after a vector stub.
 *  - A page fault in user mode is first offered to mm_fault() (mmap.c):
 *    a page of a mapped area touched for the first time, or a write to a
 *    copy-on-write page, is made ready and the process retries the access.
 *  - Any other exception in user mode (CPL 3 in the saved CS) is the
 *    signal Linux sends for it, with Linux's si_code and si_addr
 *    (user_exception()): a handler takes it (signal.c), or it kills only
 *    that process, with one line naming the exception, and the signal as
 *    its wait status.
 *  - An exception in the kernel is a kernel bug: it prints the registers
 *    and stops the VM with status 3.
 *  - An NMI comes only from the fuzzer's watchdog (fuzz.c); one that
 *    arrives after its trial ended is reported and ignored.
 *  - IRQs from the PIC (vectors 32-47) are acknowledged first, then
 *    handled: the timer tick (which may end the running process's time
 *    slice) and console input.  They arrive only in user mode or in the
 *    scheduler's idle loop (x86.h).  Anything else is reported and ignored.
 * On the way back to user mode, pending signals are acted on
 * (signal_user_return()).
 */
#include "defs.h"

_Static_assert(sizeof(struct trapframe) == 22 * 8, "trapasm.S pushes 22 quadwords");

static const char *const exc_names[32] = {
	[0] = "#DE (divide error)",
	[1] = "#DB (debug)",
	[2] = "NMI (non-maskable interrupt)",
	[3] = "#BP (breakpoint)",
	[4] = "#OF (overflow)",
	[5] = "#BR (bound range exceeded)",
	[6] = "#UD (invalid opcode)",
	[7] = "#NM (device not available)",
	[8] = "#DF (double fault)",
	[9] = "coprocessor segment overrun",
	[10] = "#TS (invalid TSS)",
	[11] = "#NP (segment not present)",
	[12] = "#SS (stack fault)",
	[13] = "#GP (general protection)",
	[14] = "#PF (page fault)",
	[16] = "#MF (x87 floating-point error)",
	[17] = "#AC (alignment check)",
	[18] = "#MC (machine check)",
	[19] = "#XM (SIMD floating-point exception)",
	[20] = "#VE (virtualization exception)",
	[21] = "#CP (control protection)",
	[28] = "#HV (hypervisor injection)",
	[29] = "#VC (VMM communication)",
	[30] = "#SX (security exception)",
};

/* Print " at rip ..., error ..., cr2 ..." for an exception frame: the error
 * code only for vectors that push one, CR2 only for #PF. */
static void print_where(const struct trapframe *tf)
{
	kprintf(" at rip 0x%lx", tf->rip);
	if (x86_has_errcode(tf->vector))
		kprintf(", error 0x%lx", tf->errcode);
	if (tf->vector == X86_EXC_PF)
		kprintf(", cr2 0x%lx", rcr2());
	kprintf("\n");
}

static void print_name(unsigned vector)
{
	if (exc_names[vector])
		kprintf("%s", exc_names[vector]);
	else
		kprintf("vector %u (reserved)", vector);
}

static void dump_regs(const struct trapframe *tf)
{
	kprintf("  rax 0x%lx rbx 0x%lx rcx 0x%lx rdx 0x%lx\n", tf->rax, tf->rbx, tf->rcx, tf->rdx);
	kprintf("  rsi 0x%lx rdi 0x%lx rbp 0x%lx rsp 0x%lx\n", tf->rsi, tf->rdi, tf->rbp, tf->rsp);
	kprintf("  r8 0x%lx r9 0x%lx r10 0x%lx r11 0x%lx\n", tf->r8, tf->r9, tf->r10, tf->r11);
	kprintf("  r12 0x%lx r13 0x%lx r14 0x%lx r15 0x%lx\n", tf->r12, tf->r13, tf->r14, tf->r15);
	kprintf("  cs 0x%lx ss 0x%lx rflags 0x%lx\n", tf->cs, tf->ss, tf->rflags);
}

/*
 * The signal Linux sends for an exception in user mode (its
 * arch/x86/kernel/traps.c); a shell, and the shutdown status (main.c),
 * report 128 + the signal when it kills the process:
 *   #DE, #09 (coprocessor segment overrun, 386 only), #MF, #XM   SIGFPE  136
 *   #UD                                                          SIGILL  132
 *   #DB, #BP                                                     SIGTRAP 133
 *   #NP, #SS, #AC                                                SIGBUS  135
 *   #OF, #BR, #TS, #GP, #PF, the rest                            SIGSEGV 139
 */
static int exc_signal(unsigned vector)
{
	switch (vector) {
	case X86_EXC_DE:
	case 9:
	case X86_EXC_MF:
	case X86_EXC_XM:
		return SIGFPE;
	case X86_EXC_UD:
		return SIGILL;
	case X86_EXC_DB:
	case X86_EXC_BP:
		return SIGTRAP;
	case X86_EXC_NP:
	case X86_EXC_SS:
	case X86_EXC_AC:
		return SIGBUS;
	default:
		return SIGSEGV;
	}
}

/* An interrupt request from the PIC; true if it was a timer tick. */
static bool irq(unsigned n, bool from_user)
{
	bool tick = false;

	if (!pic_ack(n))
		return false;           /* spurious */
	switch (n) {
	case IRQ_TIMER:
		tick = timer_intr();
		if (tick) {
			signal_tick();  /* SIGALRM for the alarms that are due */
			console_size_poll();    /* the host terminal resized? */
		}
		if (tick && from_user)
			proc_tick();    /* may yield() to another process */
		break;
	case IRQ_COM1:
		uart_intr();
		break;
	default:
		kprintf("trap: unexpected IRQ %u, ignored\n", n);
		break;
	}
	return tick;
}

/* A page fault in user mode: 0 if mm_fault() made the page ready, so the
 * process can retry (counted: getrusage's ru_minflt); -EACCES if the area
 * there does not allow the access, -EFAULT if there is none.  Out of
 * memory kills it (SIGKILL, as Linux's OOM killer would). */
static int user_page_fault(struct trapframe *tf)
{
	u64 va = rcr2();
	int r = mm_fault(cpu.proc->mm, va, tf->errcode);

	if (r == -ENOMEM) {
		kprintf("%s: out of memory at 0x%lx, killed\n", cpu.proc->name, va);
		proc_exit(W_SIGNALED(SIGKILL));
	}
	if (r == 0)
		cpu.proc->minflt++;
	return r;
}

/*
 * An exception in user mode that is the process's fault: the signal, with
 * Linux's si_code and si_addr (pf: user_page_fault()'s answer).  If a
 * handler takes it, it runs on the way out; if not, the process dies of
 * it here, with the line that names the exception.
 */
static void user_exception(struct trapframe *tf, int pf)
{
	unsigned vector = tf->vector;
	int sig = exc_signal(vector), code = SI_KERNEL;
	u64 addr = 0;

	switch (vector) {
	case X86_EXC_DE:
		code = FPE_INTDIV;
		addr = tf->rip;
		break;
	case X86_EXC_UD:
		code = ILL_ILLOPN;
		addr = tf->rip;
		break;
	case X86_EXC_MF:
	case X86_EXC_XM:
		code = signal_fpe_code(vector);
		addr = tf->rip;
		break;
	case X86_EXC_DB:
		code = tf->rflags & (1ul << 8) ? TRAP_TRACE : TRAP_BRKPT;
		addr = tf->rip;
		break;
	case X86_EXC_AC:
		code = BUS_ADRALN;
		break;
	case X86_EXC_PF:
		code = pf == -EACCES ? SEGV_ACCERR : SEGV_MAPERR;
		if (pf == -EIO) {       /* a file mapping past the file's end (mmap.c) */
			sig = SIGBUS;
			code = BUS_ADRERR;
		}
		addr = rcr2();
		break;
	default:                /* #BP (int3), #GP, #NP, #SS, ...: SI_KERNEL, as Linux */
		break;
	}
	if (signal_fault(tf, sig, code, addr))
		return;
	kprintf("%s: killed by ", cpu.proc->name);
	print_name(vector);
	print_where(tf);
	user_fault_report(tf, sig);
	proc_exit(W_SIGNALED(sig));
}

/* Called by alltraps with the frame it built; returning resumes it. */
void trap(struct trapframe *tf)
{
	unsigned vector = tf->vector;
	bool from_user = (tf->cs & 3) == 3;
	bool is_irq = vector >= IRQ_VECTOR_BASE && vector < IRQ_VECTOR_BASE + 16;

	/* Random code runs (fuzz.c): no process is involved, whatever CS says;
	 * an exception or the watchdog ends the trial. */
	if (fuzzing()) {
		bool tick = is_irq && irq(vector - IRQ_VECTOR_BASE, false);
		fuzz_fixup(tf, tick);
		return;
	}
	if (is_irq) {
		irq(vector - IRQ_VECTOR_BASE, from_user);
	} else if (vector == X86_EXC_NMI) {
		/* Only the fuzzer's watchdog raises one: this one came as its
		 * trial ended. */
		kprintf("trap: NMI with no trial running, ignored\n");
	} else if (vector >= 32) {
		kprintf("trap: unexpected interrupt, vector %u, ignored\n", vector);
	} else if (from_user) {
		int pf = vector == X86_EXC_PF ? user_page_fault(tf) : -EFAULT;
		if (pf != 0)
			user_exception(tf, pf);
		/* else: retry the access */
	} else {
		kprintf("panic: ");
		print_name(vector);
		print_where(tf);
		dump_regs(tf);
		poweroff(3);
	}
	if (from_user)
		signal_user_return(tf);
}
