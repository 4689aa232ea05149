/*
 * fuzz.c: random instructions in guest kernel mode (command line word
 * fuzz=SEED or fuzz=SEED:TRIALS), to show that nothing a guest kernel does
 * crashes or hangs the monitor (tests/integration/fuzz.sh).
 *
 * Each trial writes 16 random bytes (half of the time starting with a
 * system opcode: the instructions the monitor emulates) at the start of a
 * code page full of INT3, loads random registers (some pointing into a
 * scratch data page, one at times at the page table that maps it, so
 * random writes reach a write-protected page table), and jumps there at
 * CPL 0 with interrupts on.  The trial ends at the first exception, an
 * INT3 after the bytes, or after 5 timer ticks (a loop): the trap handler
 * calls fuzz_fixup(), which resumes the harness instead.  A loop with
 * interrupts off gets no tick: with the paravirtual interface each trial
 * also arms the monitor's NMI watchdog (HC_NMI_WATCHDOG, 4 times the tick
 * watchdog's time), whose NMI ends the trial the same way.  Every gate
 * uses an interrupt stack (IST 1; the NMI's IST 2, as an NMI may strike
 * while a handler runs on IST 1) while fuzzing, so random code that breaks
 * RSP still reaches the handler.  After each trial the kernel reloads what
 * random code may have changed (GDTR, IDTR, segments, MSRs, CR0, CR4,
 * EFER, CR3, and the PIT and PIC if their ports were written: without
 * ticks no later trial could be cut) and clears the data page.
 *
 * Random code can also do what stops a VM for good: an instruction the
 * monitor does not emulate, a triple fault, HLT with interrupts off (when
 * there is no NMI watchdog to wake it), a write to the exit port, a page
 * table pointing outside RAM.  The monitor
 * must then stop with its diagnostic or the guest's status, and the run
 * ends there; "fuzz: trial N" lines tell how far it got.  Nothing here is
 * needed by anything else in the kernel.
 */
#include "defs.h"
#include <trapvisor/boot.h>

#define FUZZ_CODE   0x7e0000000000ul    /* code page (read, execute) */
#define FUZZ_DATA   0x7e0000400000ul    /* scratch data page (read, write, NX) */
#define FUZZ_STACK  0x7e0000800000ul    /* stack page for the random code */
#define FUZZ_BYTES  16
#define FUZZ_TICKS  5                   /* a trial running longer is cut */
#define FUZZ_NMI_TICKS (4 * FUZZ_TICKS) /* one running this long, by an NMI */

/* fuzz_enter/fuzz_resume (below) share these with the C code. */
#define HIDDEN __attribute__((visibility("hidden")))
HIDDEN u64 fuzz_saved_rsp, fuzz_target;
HIDDEN void fuzz_enter(const u64 regs[16]);
HIDDEN void fuzz_resume(void);

static struct {
	bool active;            /* a trial runs: traps go to fuzz_fixup() */
	u64 ticks;              /* timer ticks in this trial */
	int vector;             /* how the trial ended: a vector, or -1 */
	u64 rng;
	u8 *code;               /* the code page, writable through the direct map */
	u8 *data;
	u64 *pt;                /* the page table mapping the data page */
	u64 ist_gpa;            /* the interrupt stack's page */
	u64 nmi_ist_gpa;        /* the NMI's interrupt stack's page */
	u64 nmi_us;             /* the NMI watchdog's time per trial, 0: none (nopv) */
	u64 cr0, cr4, efer;
	u64 ended[33];          /* trials ended by vector 0..31 (2: the NMI
	                         * watchdog), [32] by the tick watchdog */
} fz;

/* The harness: save the callee-saved registers and RSP, load all sixteen
 * from regs (RSP too), enable interrupts and jump to fuzz_target.
 * fuzz_resume is where fuzz_fixup() sends the trial's end: back on the
 * saved stack, return from fuzz_enter().  The STI's one-instruction
 * shadow covers the jump. */
asm(".text\n"
    ".globl fuzz_enter\n"
    ".hidden fuzz_enter\n"
    "fuzz_enter:\n"
    "	pushq %rbx; pushq %rbp; pushq %r12; pushq %r13; pushq %r14; pushq %r15\n"
    "	movq %rsp, fuzz_saved_rsp(%rip)\n"
    "	movq 0(%rdi), %rax;   movq 8(%rdi), %rbx;   movq 16(%rdi), %rcx\n"
    "	movq 24(%rdi), %rdx;  movq 32(%rdi), %rsp;  movq 40(%rdi), %rbp\n"
    "	movq 48(%rdi), %rsi;  movq 64(%rdi), %r8;   movq 72(%rdi), %r9\n"
    "	movq 80(%rdi), %r10;  movq 88(%rdi), %r11;  movq 96(%rdi), %r12\n"
    "	movq 104(%rdi), %r13; movq 112(%rdi), %r14; movq 120(%rdi), %r15\n"
    "	movq 56(%rdi), %rdi\n"
    "	sti\n"
    "	jmp *fuzz_target(%rip)\n"
    ".globl fuzz_resume\n"
    ".hidden fuzz_resume\n"
    "fuzz_resume:\n"
    "	movq fuzz_saved_rsp(%rip), %rsp\n"
    "	popq %r15; popq %r14; popq %r13; popq %r12; popq %rbp; popq %rbx\n"
    "	ret\n");

static u64 rnd(void)
{
	fz.rng ^= fz.rng << 13;
	fz.rng ^= fz.rng >> 7;
	fz.rng ^= fz.rng << 17;
	return fz.rng;
}

/* The opcodes the monitor emulates or that trap, to start half the trials. */
static const u8 system_ops[][2] = {
	{ 0x0f, 0x00 }, { 0x0f, 0x01 }, { 0x0f, 0x20 }, { 0x0f, 0x22 }, { 0x48, 0x0f },
	{ 0x0f, 0x30 }, { 0x0f, 0x32 }, { 0x0f, 0x31 }, { 0x0f, 0x05 }, { 0x0f, 0x01 },
	{ 0x0f, 0x06 }, { 0x0f, 0x08 }, { 0x0f, 0x09 }, { 0x0f, 0xa2 }, { 0x0f, 0x02 },
	{ 0x0f, 0x03 }, { 0x0f, 0xa0 }, { 0x0f, 0xa1 }, { 0x0f, 0xa8 }, { 0x0f, 0xa9 },
	{ 0x0f, 0xb1 }, { 0x0f, 0xc7 }, { 0x0f, 0xab }, { 0x0f, 0xba }, { 0x48, 0xcf },
	{ 0x9c, 0x90 }, { 0x9d, 0x90 }, { 0xcf, 0x90 }, { 0xfa, 0x90 }, { 0xfb, 0x90 },
	{ 0xe4, 0x00 }, { 0xe6, 0x00 }, { 0xec, 0x90 }, { 0xee, 0x90 }, { 0xed, 0x90 },
	{ 0x6c, 0x90 }, { 0x6e, 0x90 }, { 0xf3, 0xaa }, { 0xf3, 0xab }, { 0xf3, 0xa4 },
	{ 0x87, 0x00 }, { 0x89, 0x00 }, { 0x8e, 0x00 }, { 0x8c, 0x00 }, { 0xcd, 0x00 },
	{ 0xf0, 0x0f }, { 0x66, 0x0f }, { 0x48, 0x0f }, { 0xc6, 0x00 }, { 0x80, 0x00 },
};

/* The value of a random register: into the data page, small, at the page
 * table now and then, or anything. */
static u64 rnd_reg(void)
{
	u64 r = rnd();

	switch (r % 8) {
	case 0: case 1: case 2:
		return FUZZ_DATA + (rnd() % 4096);
	case 3:
		return rnd() % 0x1000;
	case 4:
		return (r >> 8) % 256 == 0 ? (u64)fz.pt + (rnd() % 4096) : rnd() & 0xffff;
	default:
		return rnd();
	}
}

/* Run the FUZZ_BYTES at fz.code with registers regs (RSP included) until
 * the trial ends, and restore the kernel's state. */
static void fuzz_trial(u64 regs[16])
{
	fz.ticks = 0;
	fz.vector = -1;
	fz.active = true;
	fuzz_target = FUZZ_CODE;
	if (fz.nmi_us)
		pv_nmi_watchdog(fz.nmi_us);
	fuzz_enter(regs);
	/* fuzz_fixup() ended the trial: first no NMI for the harness, then
	 * restore what random code may have changed, interrupts off as the
	 * kernel always runs. */
	if (fz.nmi_us)
		pv_nmi_watchdog(0);
	cli();
	vm_reload_kernel();
	asm volatile("mov %0, %%cr4" : : "r"(fz.cr4) : "memory");
	asm volatile("mov %0, %%cr0" : : "r"(fz.cr0) : "memory");
	wrmsr(MSR_EFER, fz.efer);
	cpu_reload(1);
	timer_restore();                         /* the watchdog's ticks */
	pic_restore();
	memset(fz.data, 0, 64);                  /* where most writes land */
}

static void fuzz_random_trial(void)
{
	u64 regs[16];

	for (int i = 0; i < FUZZ_BYTES; i++)
		fz.code[i] = (u8)rnd();
	if (rnd() & 1) {
		const u8 *op = system_ops[rnd() % (sizeof(system_ops) / sizeof(system_ops[0]))];
		fz.code[0] = op[0];
		fz.code[1] = op[1];
	}
	for (int i = 0; i < 16; i++)
		regs[i] = rnd_reg();
	regs[4] = FUZZ_STACK + 4096 - 512;      /* RSP: room both ways */
	fuzz_trial(regs);
	fz.ended[fz.vector < 0 ? 32 : fz.vector]++;
}

/*
 * Inputs that once went wrong, each with the vector it must end with (-1:
 * cut by the tick watchdog, X86_EXC_NMI: by the NMI watchdog, skipped
 * without one).
 * Registers are all FUZZ_DATA but RSP.
 */
static const struct {
	const char *what;
	const char *bytes;
	unsigned len;
	u64 rsp;
	int vector;
} regressions[] = {
	/* The monitor took a data fault within 15 bytes of RIP for a fetch,
	 * mapped the page again, and stopped the VM for lack of progress. */
	{ "push onto the read-only code page just past RIP", "\x90\x56", 2, FUZZ_CODE + 0xb,
	  X86_EXC_PF },
	/* The host's #SS arrives as SIGBUS, which the monitor did not know.
	 * A host that cannot resume a tracee with a non-canonical RSP gives
	 * #GP at the JMP to it instead: #SS too (vm.c, vm_gp_vector()). */
	{ "push with a non-canonical RSP", "\x50", 1, 0x8000000000000000ul, X86_EXC_SS },
	/* VMX is not offered: #UD, not "not emulated". */
	{ "vmptrld", "\x0f\xc7\x30", 3, FUZZ_STACK + 2048, X86_EXC_UD },
	/* LMSW is emulated: the trial runs on into the INT3s. */
	{ "lmsw ax", "\x0f\x01\xf0", 3, FUZZ_STACK + 2048, X86_EXC_BP },
	/* Debug registers are stored and read back (not armed): on to INT3. */
	{ "mov dr0, rax; mov rbx, dr0", "\x0f\x23\xc0\x0f\x21\xc3", 6, FUZZ_STACK + 2048,
	  X86_EXC_BP },
	/* A trial masked IRQ 0 at the PIC (seed 111), or stopped the PIT's
	 * channel 0, and the harness kept it: a later trial halting with
	 * interrupts on got no tick and was never cut.  Each pair is a trial
	 * that breaks the timer, then one that must be cut by the watchdog. */
	{ "mask every IRQ at the master PIC", "\xb0\xff\xe6\x21", 4, FUZZ_STACK + 2048,
	  X86_EXC_BP },
	{ "hlt in a loop after the PIC was masked", "\xf4\xeb\xfd", 3, FUZZ_STACK + 2048, -1 },
	{ "put the PIT's channel 0 in mode 0, no count", "\xb0\x30\xe6\x43", 4,
	  FUZZ_STACK + 2048, X86_EXC_BP },
	{ "hlt in a loop after the PIT was stopped", "\xf4\xeb\xfd", 3, FUZZ_STACK + 2048, -1 },
	/* Seed 128, trial 971: cli; nop; cwde; jmp back.  No tick can cut a
	 * loop with interrupts off, and the run never ended; an NMI can. */
	{ "spin with interrupts off", "\xfa\x90\x98\xeb\xfc", 5, FUZZ_STACK + 2048,
	  X86_EXC_NMI },
	/* HLT with interrupts off stopped the VM; an NMI wakes it. */
	{ "hlt with interrupts off", "\xfa\xf4\xeb\xfd", 4, FUZZ_STACK + 2048, X86_EXC_NMI },
};

static void fuzz_regressions(void)
{
	for (unsigned i = 0; i < sizeof(regressions) / sizeof(regressions[0]); i++) {
		u64 regs[16];

		if (regressions[i].vector == X86_EXC_NMI && !fz.nmi_us) {
			kprintf("fuzz: regression %u (%s): skipped, no NMI watchdog\n", i + 1,
				regressions[i].what);
			continue;
		}
		memset(fz.code, 0xcc, FUZZ_BYTES);
		memcpy(fz.code, regressions[i].bytes, regressions[i].len);
		for (int r = 0; r < 16; r++)
			regs[r] = FUZZ_DATA;
		regs[4] = regressions[i].rsp;
		/* One the tick must cut: the NMI watchdog, host time, stays only a
		 * safety net, since on a loaded host ticks (guest time) can fall
		 * behind FUZZ_NMI_TICKS of host time. */
		u64 nmi_us = fz.nmi_us;
		if (regressions[i].vector == -1 && fz.nmi_us)
			fz.nmi_us = PV_NMI_WATCHDOG_MAX_US;
		fuzz_trial(regs);
		fz.nmi_us = nmi_us;
		kprintf("fuzz: regression %u (%s): vector %d, wanted %d: %s\n", i + 1,
			regressions[i].what, fz.vector, regressions[i].vector,
			fz.vector == regressions[i].vector ? "ok" : "WRONG");
	}
}

bool fuzzing(void)
{
	return fz.active;
}

/*
 * Called by trap() for every vector while a trial runs (after it handled
 * an IRQ).  An exception (vectors 0-31, INT n included), the NMI
 * watchdog's NMI (vector 2), or the FUZZ_TICKS timer tick, ends the trial: the frame is changed to resume fuzz_resume at
 * CPL 0 with interrupts off.  Otherwise the random code resumes.
 */
void fuzz_fixup(struct trapframe *tf, bool tick)
{
	if (tf->vector >= 32 && !(tick && ++fz.ticks > FUZZ_TICKS))
		return;
	fz.active = false;
	fz.vector = tf->vector < 32 ? (int)tf->vector : -1;
	tf->rip = (u64)fuzz_resume;
	tf->cs = KERNEL_CS;
	tf->ss = KERNEL_DS;
	tf->rsp = fuzz_saved_rsp;
	tf->rflags = FL_FIXED;
}

void fuzz_run(const char *arg)
{
	u64 seed = 0, trials = 1000;
	u64 code_gpa = kalloc(), data_gpa = kalloc(), stack_gpa = kalloc();

	fz.ist_gpa = kalloc();
	fz.nmi_ist_gpa = kalloc();
	if (!code_gpa || !data_gpa || !stack_gpa || !fz.ist_gpa || !fz.nmi_ist_gpa)
		panic("fuzz: out of memory");
	while (*arg >= '0' && *arg <= '9')
		seed = seed * 10 + (u64)(*arg++ - '0');
	if (*arg == ':') {
		trials = 0;
		for (arg++; *arg >= '0' && *arg <= '9'; arg++)
			trials = trials * 10 + (u64)(*arg - '0');
	}
	fz.rng = seed * 0x9e3779b97f4a7c15ull + 1;
	fz.code = phys_to_virt(code_gpa);
	fz.data = phys_to_virt(data_gpa);
	memset(fz.code, 0xcc, PGSIZE);           /* INT3: running off the bytes ends it */
	kmap_page(FUZZ_CODE, code_gpa, PTE_P);
	fz.pt = kmap_page(FUZZ_DATA, data_gpa, PTE_P | PTE_W | PTE_NX);
	kmap_page(FUZZ_STACK, stack_gpa, PTE_P | PTE_W | PTE_NX);
	vm_reload_kernel();
	asm volatile("mov %%cr0, %0" : "=r"(fz.cr0));
	asm volatile("mov %%cr4, %0" : "=r"(fz.cr4));
	fz.efer = rdmsr(MSR_EFER);
	cpu_set_ist(1, (u64)phys_to_virt(fz.ist_gpa) + PGSIZE);
	cpu_set_ist(2, (u64)phys_to_virt(fz.nmi_ist_gpa) + PGSIZE);   /* the NMI's */
	cpu_reload(1);
	if (pv_nmi_watchdog(0) == 0)
		fz.nmi_us = FUZZ_NMI_TICKS * timer_tick_ns() / 1000;
	if (fz.nmi_us)
		kprintf("fuzz: NMI watchdog after %lu us\n", fz.nmi_us);
	else
		kprintf("fuzz: no NMI watchdog (nopv): a loop with interrupts off is not cut\n");

	fuzz_regressions();
	kprintf("fuzz: seed %lu, %lu trials of %d random bytes in kernel mode\n", seed, trials,
		FUZZ_BYTES);
	for (u64 t = 0; t < trials; t++) {
		if (t % 100 == 0)
			kprintf("fuzz: trial %lu\n", t);
		fuzz_random_trial();
	}
	cpu_reload(0);
	kprintf("fuzz: %lu trials done: #PF %lu, #GP %lu, #UD %lu, #BP %lu, #DE %lu, "
		"other exceptions %lu, cut by the watchdog %lu, by the NMI watchdog %lu\n",
		trials, fz.ended[X86_EXC_PF], fz.ended[X86_EXC_GP], fz.ended[X86_EXC_UD],
		fz.ended[X86_EXC_BP], fz.ended[X86_EXC_DE],
		trials - fz.ended[X86_EXC_PF] - fz.ended[X86_EXC_GP] - fz.ended[X86_EXC_UD] -
		fz.ended[X86_EXC_BP] - fz.ended[X86_EXC_DE] - fz.ended[32] -
		fz.ended[X86_EXC_NMI], fz.ended[32], fz.ended[X86_EXC_NMI]);
}
