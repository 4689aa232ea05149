/*
 * cpu.c: the CPU's tables and the SYSCALL setup.
 *   GDT  0x00 null, 0x08 kernel code, 0x10 kernel data, 0x18 TSS (16 bytes),
 *        0x80 32-bit user code (placeholder), 0x88 user data, 0x90 64-bit
 *        user code.  The user segments sit at index 16 and up because the
 *        host's own ring-3 selectors (0x23, 0x2b, 0x33) must never appear in
 *        the guest: an IRETQ naming one would run natively (boot.h).
 *   TSS  only RSP0: the running process's kernel stack, which a trap from
 *        user mode switches to; syscall_entry switches to it too
 *        (cpu.kernel_rsp).  The scheduler sets both for each process it
 *        runs (cpu_set_kstack).  The scheduler itself and the idle loop run
 *        on the boot stack kmain() runs on.
 *   IDT  256 interrupt gates (IF cleared on entry) to the stubs of trapasm.S.
 *   MSRs STAR, LSTAR, SFMASK and EFER.SCE for SYSCALL/SYSRET, and the GS
 *        bases as the kernel keeps them (trapasm.S): GS_BASE = &cpu,
 *        KERNEL_GS_BASE = 0, the user's.
 * Every instruction used (LGDT, MOV to DS/ES/SS, LTR, LIDT, WRMSR, RDMSR)
 * traps in host ring 3 and is emulated against the virtual CPU.
 */
#include "defs.h"

static u64 gdt[GDT_ENTRIES] = {
	[KERNEL_CS >> 3] = SEG_DESC(SEG_P | SEG_S | SEG_CODE, SEG_G | SEG_L),
	[KERNEL_DS >> 3] = SEG_DESC(SEG_P | SEG_S | SEG_DATA, SEG_G | SEG_DB),
	/* [TSS_SEL >> 3] and the next slot: filled in by cpu_init() */
	[USER_BASE_SEL >> 3] = SEG_DESC(SEG_P | SEG_DPL3 | SEG_S | SEG_CODE, SEG_G | SEG_DB),
	[USER_DS >> 3] = SEG_DESC(SEG_P | SEG_DPL3 | SEG_S | SEG_DATA, SEG_G | SEG_DB),
	[USER_CS >> 3] = SEG_DESC(SEG_P | SEG_DPL3 | SEG_S | SEG_CODE, SEG_G | SEG_L),
};

struct cpu cpu;
static struct tss tss;
static struct gate idt[256];

_Static_assert(sizeof(struct tss) == 104, "the 64-bit TSS is 104 bytes");
_Static_assert(sizeof(struct gate) == 16, "a 64-bit IDT gate is 16 bytes");
_Static_assert(offsetof(struct cpu, user_rsp) == CPU_USER_RSP, "trapasm.S uses CPU_USER_RSP");
_Static_assert(offsetof(struct cpu, kernel_rsp) == CPU_KERNEL_RSP, "trapasm.S uses CPU_KERNEL_RSP");

/* SFMASK: the RFLAGS bits SYSCALL clears, as Linux does: TF, IF, DF, IOPL,
 * NT and AC.  So the kernel starts every syscall with interrupts off. */
#define SYSCALL_RFLAGS_MASK 0x47700

/* The 16-byte TSS descriptor: a system segment (S=0), byte granular. */
static void set_tss_desc(u64 *d, u64 base, u32 limit)
{
	d[0] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
	       ((u64)(SEG_P | SEG_TSS64) << 40) | ((u64)((limit >> 16) & 0xf) << 48) |
	       (((base >> 24) & 0xff) << 56);
	d[1] = base >> 32;        /* bits 127:96 are reserved, zero */
}

static void set_gate(struct gate *g, u64 handler, unsigned ist)
{
	g->offset_lo = handler & 0xffff;
	g->selector = KERNEL_CS;
	g->ist = ist;
	g->type_attr = GATE_INTR;  /* DPL 0: INT n from user mode gets #GP */
	g->offset_mid = (handler >> 16) & 0xffff;
	g->offset_hi = handler >> 32;
	g->reserved = 0;
}

/* Load GDT, segments, TSS and IDT, and set up the SYSCALL MSRs. */
void cpu_init(void)
{
	struct dtr gdtr = { sizeof(gdt) - 1, (u64)gdt };

	tss.iomap_base = sizeof(tss);   /* no I/O bitmap: every port access from user mode faults */
	set_tss_desc(&gdt[TSS_SEL >> 3], (u64)&tss, sizeof(tss) - 1);

	lgdt(&gdtr);
	load_data_segments(KERNEL_DS);
	ltr(TSS_SEL);
	cpu_reload(0);
}

/*
 * Everything cpu_init() set up that can be loaded again at any time (all
 * but the task register, whose TSS is busy now): GDTR, data segments,
 * IDT, SYSCALL and GS MSRs, EFER.SCE.  'ist' nonzero makes every gate
 * switch to that interrupt stack (tss.ist[ist - 1], cpu_set_ist()) but the
 * NMI's, which gets the next one: an NMI may strike while a handler runs
 * on 'ist' and must not write its frame over that handler's.  The
 * fuzzer (fuzz.c) calls this after each trial of random instructions.
 */
void cpu_reload(unsigned ist)
{
	struct dtr gdtr = { sizeof(gdt) - 1, (u64)gdt };
	struct dtr idtr = { sizeof(idt) - 1, (u64)idt };

	lgdt(&gdtr);
	load_data_segments(KERNEL_DS);
	for (int i = 0; i < 256; i++)
		set_gate(&idt[i], vectors[i], ist && i == X86_EXC_NMI ? ist + 1 : ist);
	/* INT3 from user mode is a breakpoint (SIGTRAP, signal.c), as on
	 * Linux, not a #GP: its gate alone has DPL 3. */
	idt[X86_EXC_BP].type_attr |= SEG_DPL3;
	lidt(&idtr);

	wrmsr(MSR_STAR, ((u64)USER_BASE_SEL << 48) | ((u64)KERNEL_CS << 32));
	wrmsr(MSR_LSTAR, (u64)syscall_entry);
	wrmsr(MSR_SFMASK, SYSCALL_RFLAGS_MASK);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);   /* set at boot already; make sure */
	wrmsr(MSR_GS_BASE, (u64)&cpu);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
}

/* Interrupt stack n (1..7) for gates that name it. */
void cpu_set_ist(unsigned n, u64 top)
{
	tss.ist[n - 1] = top;
}

/* The kernel stack a trap or SYSCALL from user mode lands on: the top of
 * the kernel stack of the process about to run. */
void cpu_set_kstack(u64 top)
{
	tss.rsp[0] = top;
	cpu.kernel_rsp = top;
}
