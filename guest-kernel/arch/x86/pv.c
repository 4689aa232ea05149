/*
 * pv.c: the paravirtual interface, the second fix for the silent-fail
 * instructions (docs/silent-fail.md).  When boot_info says the monitor
 * serves hypercalls (and the command line does not say "nopv"), the kernel
 * registers a shared per-vCPU page (struct pv_vcpu, boot.h) and, from then
 * on, does without the sensitive unprivileged instructions:
 *   - its 'vif' field is the interrupt flag: masking interrupts is a plain
 *     memory write, no trap, and saving/restoring the state needs no
 *     PUSHF/POPF.  Unmasking makes one hypercall only when the monitor has
 *     flagged an interrupt as pending;
 *   - its 'cpu' fields, which the monitor keeps, answer what SGDT, SIDT,
 *     SLDT, STR, SMSW and MOV from a segment register would: no trap;
 *   - LAR, LSL, VERR, VERW and CPUID become hypercalls (one trap each,
 *     the same as trapping the instruction, but asked for explicitly);
 *   - the disk, when the monitor has one, is read and written with one
 *     HC_BLK_IO per request of up to 64 KiB instead of ATA port I/O;
 *   - an NMI watchdog (HC_NMI_WATCHDOG), which the fuzzer arms per trial;
 *   - page-table stores in batches (HC_MMU_BATCH, mm/pvmmu.c).
 * RDTSC needs no replacement: it traps (PR_SET_TSC) and is emulated.
 * Under hardware (QEMU) the feature bit is clear and nothing here is used.
 */
#include <trapvisor/boot.h>

#include "defs.h"

/* The GPA of p, which must lie in the kernel image (linked at its load
 * address + KERNEL_VBASE - KERNEL_PBASE, kernel.ld): what the monitor
 * wants for every buffer and page handed to it here. */
static u64 image_gpa(const volatile void *p)
{
	return (u64)p - (KERNEL_VBASE - KERNEL_PBASE);
}

/* Not static: trapasm.S's gate stores RCX and R11 in it. */
struct pv_vcpu pv_page __attribute__((aligned(4096)));
static u32 cpuid_buf[4] __attribute__((aligned(16)));
bool pv_on;
bool pv_fpu;                /* the paravirtual FPU is on (pv_fpu_switch()) */
bool pv_gate;               /* the gate (ABI 6, trapasm.S) is in use */

_Static_assert(__builtin_offsetof(struct pv_vcpu, gate_rcx) == PV_GATE_RCX, "x86.h PV_GATE_RCX");
_Static_assert(__builtin_offsetof(struct pv_vcpu, gate_r11) == PV_GATE_R11, "x86.h PV_GATE_R11");
_Static_assert(__builtin_offsetof(struct pv_vcpu, gate_rax) == PV_GATE_RAX, "x86.h PV_GATE_RAX");
extern char __pvgate_start[], __pvgate_end[];

long pv_hypercall(long nr, long a0, long a1, long a2)
{
	return pv_hypercall4(nr, a0, a1, a2, 0);
}

long pv_hypercall4(long nr, long a0, long a1, long a2, long a3)
{
	register long r10 asm("r10") = a3;
	long r;

	if (pv_gate)
		asm volatile("call pv_gate_vmcall" : "=a"(r) : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10)
			     : "rcx", "r11", "memory");
	else
		asm volatile("vmcall" : "=a"(r) : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10) : "memory");
	return r;
}

void pv_init(u64 features, bool forbidden, bool nogate, bool nopvmmu)
{
	long v;

	if (!(features & BOOT_FEATURE_HYPERCALL) || forbidden)
		return;
	v = pv_hypercall(HC_VERSION, 0, 0, 0);
	if (v != HC_ABI_VERSION) {
		kprintf("pv: the monitor speaks hypercall ABI %ld, this kernel %d: not used\n",
			v, HC_ABI_VERSION);
		return;
	}
	if (pv_hypercall(HC_PV_REGISTER, image_gpa(&pv_page), 0, 0) == 0)
		pv_on = true;
	/* The gate, unless "nogate" asks for the plain trapping ways out
	 * (to measure what it saves: bench/peers.sh). */
	if (pv_on && !nogate) {
		pv_page.gate_start = (u64)__pvgate_start;
		pv_page.gate_end = (u64)__pvgate_end;
		pv_gate = true;
	}
	/* Page-table stores in batches (ABI 7, mm/pvmmu.c), unless "nopvmmu"
	 * asks for each to trap (to compare, and to keep both ways tested). */
	pv_mmu = pv_on && !nopvmmu;
	/* The FPU too, if an XSAVE area of this host fits ours: the kernel
	 * never uses x87/SSE itself (-mgeneral-regs-only), as boot.h asks. */
	pv_fpu = pv_on && pv_page.fpu_size > 0 && pv_page.fpu_size <= PV_FPU_AREA_MAX;
}

/* The irq-save idiom without PUSHF/POPF: returns the old state. */
u32 pv_irq_save(void)
{
	u32 flags = pv_page.vif;
	pv_page.vif = 0;
	return flags;
}

void pv_irq_restore(u32 flags)
{
	pv_page.vif = flags;
	/* An interrupt arrived while masked: let the monitor deliver it. */
	if (flags && pv_page.pending)
		pv_hypercall(HC_IRQ_WINDOW, 0, 0, 0);
}

/* PUSHF's system flags: IF from vif, IOPL from the vCPU.  (The status
 * flags are the caller's own: nobody saves them through this.) */
u64 pv_save_flags(void)
{
	return FL_FIXED | (pv_page.vif ? FL_IF : 0) | ((u64)pv_page.cpu.iopl << 12);
}

/* POPF's interrupt flag. */
void pv_restore_flags(u64 flags)
{
	pv_irq_restore(flags & FL_IF ? 1 : 0);
}

/* SGDT, SIDT, SLDT, STR, SMSW, MOV from a segment register: read here. */
const volatile struct pv_cpu_state *pv_cpu(void)
{
	return &pv_page.cpu;
}

/* LAR, LSL, VERR, VERW (PV_DESC_*): the value, or -1 where ZF would be 0. */
long pv_desc_query(int query, u16 sel)
{
	return pv_hypercall(HC_DESC_QUERY, query, sel, 0);
}

/* CPUID: the vCPU's answer, through a buffer the monitor writes. */
long pv_cpuid(u32 leaf, u32 subleaf, u32 out[4])
{
	long r = pv_hypercall(HC_CPUID, leaf, subleaf, image_gpa(cpuid_buf));

	for (int i = 0; i < 4; i++)
		out[i] = r == 0 ? cpuid_buf[i] : 0;
	return r;
}

/* The paravirtual disk: its size in sectors, or -ENXIO. */
long pv_blk_info(void)
{
	return pv_hypercall(HC_BLK_INFO, 0, 0, 0);
}

/* One request (PV_BLK_*) of count sectors (<= PV_BLK_MAX) at sector, to or
 * from kbuf, which must lie in the kernel image: physically contiguous. */
long pv_blk_io(int op, u64 sector, u32 count, void *kbuf)
{
	return pv_hypercall4(HC_BLK_IO, op, (long)sector, count, image_gpa(kbuf));
}

/* HC_MMU_BATCH: n entries of ops, which must lie in the kernel image. */
long pv_mmu_batch(const void *ops, u32 n)
{
	return pv_hypercall(HC_MMU_BATCH, image_gpa(ops), n, 0);
}

u32 pv_fpu_size(void)
{
	return pv_page.fpu_size;
}

/* Name the save area of the process about to run (in the kernel image, so
 * physically contiguous); fresh: its content is new, load it as it is. */
void pv_fpu_switch(void *area, bool fresh)
{
	pv_page.fpu_gpa = image_gpa(area);
	pv_page.fpu_reload = fresh;   /* for this area only: no stale request */
}

/* True while the monitor has not yet loaded a fresh area (it clears
 * fpu_reload when it does, on the way to user mode). */
bool pv_fpu_reload_pending(void)
{
	return pv_page.fpu_reload;
}

/* Write the live user FPU state into the running process's area now. */
void pv_fpu_save(void)
{
	pv_hypercall(HC_FPU_SAVE, 0, 0, 0);
}

/* Tell the monitor which process the vCPU now runs for (0: none) and its
 * name, for --trace's process tracks (<trapvisor/debug.h>): plain stores
 * into the shared page, no trap. */
void pv_set_proc(int pid, const char *name)
{
	int i = 0;

	if (!pv_on)
		return;
	pv_page.proc_pid = pid;
	for (; name && name[i] && i < (int)sizeof(pv_page.proc_name) - 1; i++)
		pv_page.proc_name[i] = name[i];
	pv_page.proc_name[i] = 0;
}

/* The NMI watchdog: an NMI in 'us' microseconds unless called again
 * first (0: never).  0, -EINVAL, or -ENOSYS without the interface. */
long pv_nmi_watchdog(u64 us)
{
	return pv_on ? pv_hypercall(HC_NMI_WATCHDOG, (long)us, 0, 0) : -ENOSYS;
}

/* The host terminal's size as the monitor last wrote it (ABI 5), and the
 * sequence number that changes with it. */
u32 pv_console_size(u16 *rows, u16 *cols)
{
	*rows = pv_page.console_rows;
	*cols = pv_page.console_cols;
	return pv_page.console_seq;
}
