/*
 * The boot protocol and virtual platform contract, shared by the monitor and
 * the guest kernel (freestanding: only <stdint.h>).  See docs/ARCHITECTURE.md.
 *
 * Entry state, set up by the monitor's loader:
 *   64-bit mode, CPL 0, CR0.PG|PE|WP, CR4.PAE, EFER.LME|LMA|NXE|SCE, IF=0,
 *   CS = BOOT_CS, SS = DS = ES = BOOT_DS, RIP = e_entry, RDI = GPA of boot_info,
 *   RSP = top of a boot stack (identity-mapped, BOOT_STACK_SIZE bytes).
 *   Boot page tables map all RAM identically (VA = GPA, except page 0) and
 *   every PT_LOAD segment at its p_vaddr.  boot_info, the boot stack and the
 *   boot page tables lie in [boot_info->boot_data_gpa, boot_info->free_gpa);
 *   everything from free_gpa up to ram_size is free for the guest.
 */
#ifndef TRAPVISOR_BOOT_H
#define TRAPVISOR_BOOT_H

#include <stdint.h>

#define BOOT_INFO_MAGIC   0x544f4f4256505254ULL   /* "TRPVBOOT" little-endian */
#define BOOT_INFO_VERSION 1
#define BOOT_CMDLINE_MAX  1024
#define BOOT_STACK_SIZE   (16 * 1024)

/* boot_info.features */
#define BOOT_FEATURE_HYPERCALL (1u << 0) /* vmcall hypercalls are served */

struct boot_info {
	uint64_t magic;           /* BOOT_INFO_MAGIC */
	uint32_t version;         /* BOOT_INFO_VERSION */
	uint32_t size;            /* sizeof(struct boot_info) */
	uint64_t ram_size;        /* bytes of RAM at GPA [0, ram_size) */
	uint64_t kernel_start;    /* lowest GPA of the kernel image */
	uint64_t kernel_end;      /* end GPA of the kernel image (exclusive) */
	uint64_t initrd_gpa;      /* page-aligned GPA of the initrd, 0 if none:
	                           * an uncompressed cpio newc archive, validated
	                           * by the monitor (a gzip'd --initrd arrives
	                           * inflated) */
	uint64_t initrd_size;     /* bytes of that archive, 0 if none */
	uint64_t boot_data_gpa;   /* start of boot_info + stack + boot page tables */
	uint64_t free_gpa;        /* first free page-aligned GPA above everything */
	uint64_t features;        /* BOOT_FEATURE_* */
	uint64_t tsc_khz;         /* guest TSC frequency, 0 if unknown */
	char cmdline[BOOT_CMDLINE_MAX]; /* NUL-terminated kernel command line */
};

/*
 * Selectors the vCPU starts with.  The guest's own selectors must not be
 * valid ring-3 selectors of the host (0x23, 0x2b, 0x33 and the TLS entries
 * 0x63-0x7b): an IRETQ or segment load naming one of those would run
 * natively in the host instead of trapping.  Index >= 16 is beyond the
 * host's GDT limit and always traps, so user selectors live there.
 */
#define BOOT_CS 0x08
#define BOOT_DS 0x10

/* Ports (PC-compatible). */
#define PORT_PIC_MASTER   0x20
#define PORT_PIC_SLAVE    0xa0
#define PORT_PIT          0x40   /* 0x40-0x43 */
#define PORT_RTC          0x70   /* 0x70-0x71 */
#define PORT_ATA_PRIMARY  0x1f0  /* 0x1f0-0x1f7, 0x3f6 */
#define PORT_COM1         0x3f8  /* 0x3f8-0x3ff, IRQ 4 */
#define PORT_DEBUG_EXIT   0x501  /* byte written = monitor exit status */
#define PORT_QEMU_EXIT    0xf4   /* QEMU isa-debug-exit: status (v << 1) | 1 */
#define PORT_BENCH_MARK   0x510  /* 32-bit write: the guest marks a phase; the
                                  * monitor logs time and trap counters */
#define BENCH_MARK_INIT   1      /* the mark the guest kernel writes as it starts
                                  * init (bench/boot.sh); phases use 2k, 2k+1 */
#define PORT_TRAP_COUNT   0x514  /* 32-bit read: instructions the monitor has
                                  * emulated so far (low 32 bits); the read
                                  * itself is counted after it returns, so
                                  * two reads differ by 1 + the traps between */

/* Hypercalls: vmcall, RAX = number, RDI, RSI, RDX, R10, R8 = args, RAX =
 * result (negative errno on error).  Only from guest kernel mode. */
#define HC_VERSION        0      /* returns the hypercall ABI version */
#define HC_ABI_VERSION    7
#define HC_PV_REGISTER    1      /* RDI = GPA of a page-aligned struct pv_vcpu:
                                  * from now on its vif is the interrupt flag
                                  * and the monitor keeps its 'cpu' fields;
                                  * returns 0 or -22 (EINVAL) */
#define HC_IRQ_WINDOW     2      /* the guest set vif = 1 and saw pending:
                                  * deliver the waiting interrupt now */
#define HC_DESC_QUERY     3      /* RDI = PV_DESC_*, RSI = selector: what LAR,
                                  * LSL, VERR or VERW at the vCPU's CPL finds.
                                  * Returns, where the instruction sets ZF=1,
                                  * LAR: the access rights (descriptor bytes
                                  * 4-7 AND 0x00ffff00), LSL: the limit in
                                  * bytes, VERR/VERW: 1; where it clears ZF,
                                  * -1; an unknown query -22.  A fault reading
                                  * the GDT is raised as the instruction would */
#define HC_CPUID          4      /* RDI = leaf, RSI = subleaf, RDX = GPA of
                                  * a 16-byte aligned uint32_t[4]: the vCPU's
                                  * CPUID EAX, EBX, ECX, EDX; returns 0, or
                                  * -14 (EFAULT) for a misaligned buffer or
                                  * one outside RAM */

#define HC_BLK_INFO       5      /* the disk (--disk): returns its size in
                                  * 512-byte sectors, or -6 (ENXIO) if none */
#define HC_BLK_IO         6      /* RDI = PV_BLK_READ/WRITE/FLUSH, RSI = first
                                  * sector, RDX = sectors (1..PV_BLK_MAX),
                                  * R10 = GPA of the buffer (inside RAM): the
                                  * transfer is done when it returns 0, or
                                  * -22 (EINVAL: bad request or range), -14
                                  * (EFAULT: buffer), -30 (EROFS: read-only
                                  * image), -5 (EIO: host I/O error), -6 */

#define HC_FPU_SAVE       7      /* write the live user FPU state into the
                                  * area at pv_vcpu.fpu_gpa now (before a
                                  * fork copies it); returns 0 or -14 */

#define HC_NMI_WATCHDOG   8      /* (ABI 4) RDI = timeout in microseconds
                                  * (<= PV_NMI_WATCHDOG_MAX_US), 0 disarms:
                                  * a one-shot host-time deadline replacing
                                  * any earlier one; when it passes unchanged
                                  * the vCPU gets an NMI (vector 2, whatever
                                  * IF says; none while an NMI handler runs,
                                  * until its IRETQ).  Returns 0 or -22 */

#define HC_MMU_BATCH      9      /* (ABI 7) RDI = GPA of an array of RSI
                                  * struct pv_mmu_op (1..PV_MMU_BATCH_MAX,
                                  * 16-byte aligned, inside RAM): apply them
                                  * in order, each as the trapped and
                                  * emulated store it replaces would be
                                  * applied (Xen's mmu_update).  All or
                                  * nothing: every entry is checked first;
                                  * returns 0, -22 (EINVAL: a count out of
                                  * range, an unknown operation, a
                                  * release not page-aligned or with a
                                  * value) or -14
                                  * (EFAULT: a misaligned array, or the
                                  * array or an entry outside RAM), with
                                  * nothing applied.  No TLB flush: the
                                  * kernel still invalidates as the
                                  * architecture asks, after the batch. */

/* HC_BLK_IO's RDI */
#define PV_BLK_READ  0
#define PV_BLK_WRITE 1
#define PV_BLK_FLUSH 2
#define PV_BLK_MAX   128          /* sectors in one request (64 KiB) */

/* HC_NMI_WATCHDOG's limit: a minute, as Linux's watchdog_thresh */
#define PV_NMI_WATCHDOG_MAX_US 60000000u

/* HC_MMU_BATCH's entries, as Xen's struct mmu_update: the low 3 bits of
 * 'ptr' say what to do with the rest of it. */
struct pv_mmu_op {
	uint64_t ptr;              /* GPA | PV_MMU_* */
	uint64_t val;              /* PV_MMU_WRITE: the new entry; else 0 */
};
#define PV_MMU_OP_MASK  7ull
#define PV_MMU_WRITE    0      /* ptr: the 8-byte aligned GPA of a page-table
                                * entry; store val there */
#define PV_MMU_RELEASE  1      /* ptr: a page-aligned GPA | 1: the page is no
                                * longer a page table (the kernel is about to
                                * free it, Xen's MMUEXT_UNPIN_TABLE): stores
                                * into it need no trap from now on.  A page
                                * still used as a table becomes tracked
                                * again, so a wrong release costs only time */
#define PV_MMU_BATCH_MAX 256   /* entries in one call (a 4 KiB array) */

/* HC_DESC_QUERY's RDI */
#define PV_DESC_LAR  0
#define PV_DESC_LSL  1
#define PV_DESC_VERR 2
#define PV_DESC_VERW 3

/*
 * The shared per-vCPU page of the paravirtual interface (like Xen's
 * vcpu_info).  While registered, 'vif' replaces RFLAGS.IF: the guest masks
 * and unmasks interrupts with plain writes, no trap.  The monitor keeps
 * 'pending' set while an interrupt waits for vif; a guest that sets vif to
 * 1 and sees pending makes one HC_IRQ_WINDOW hypercall.  CLI, STI, IRETQ
 * and interrupt delivery keep working and update vif.
 *
 * 'cpu' is the vCPU state the sensitive unprivileged instructions read
 * (SGDT, SIDT, SLDT, STR, SMSW, MOV from a segment register, PUSHF's
 * IOPL), written by the monitor before every resume: every instruction
 * that changes it traps, so a paravirtual kernel reads it here, with no
 * trap, instead of executing the instruction (docs/silent-fail.md).  The
 * guest only reads it.
 */
struct pv_cpu_state {
	uint64_t cr0;
	uint64_t gdt_base, idt_base;
	uint16_t gdt_limit, idt_limit;
	uint16_t ldtr, tr;
	uint16_t es, cs, ss, ds, fs, gs;
	uint16_t iopl;             /* RFLAGS.IOPL (bits 13:12) as 0..3 */
	uint16_t reserved;
};

/*
 * The paravirtual FPU (ABI 3).  A kernel that sets fpu_gpa promises not to
 * use x87/SSE/AVX in kernel mode; the monitor then keeps the FPU state
 * with user mode only and stops moving it between the kernel's and the
 * user's host processes on every kernel entry.  fpu_gpa names the save
 * area (fpu_size bytes, 64-byte aligned, inside RAM, XSAVE standard
 * format) of the process about to run in user mode: when it differs from
 * the area whose state is live, or fpu_reload is set (the area is new),
 * the monitor saves the live state into its own area (unless that is the
 * area being reloaded) and loads the named one, as the vCPU enters user
 * mode.  A fresh area is
 * zeroes with FCW 0x37f at byte 0 and MXCSR 0x1f80 at byte 24.
 */
struct pv_vcpu {
	volatile uint32_t vif;     /* 1: interrupts enabled */
	volatile uint32_t pending; /* an interrupt waits for vif (monitor-written) */
	volatile struct pv_cpu_state cpu; /* monitor-written before every resume */
	volatile uint64_t fpu_gpa; /* guest-written: the running process's area, 0: off */
	volatile uint32_t fpu_reload; /* guest-written 1: load fpu_gpa as it is */
	volatile uint32_t fpu_size;   /* monitor-written: bytes an area needs */
	/* (ABI 5) The console's size, as the host terminal has it (virtio-
	 * console's config space does the same): the monitor writes rows and
	 * columns, then bumps console_seq; the guest looks at console_seq on
	 * its timer tick.  0 x 0: the host has no terminal to ask. */
	volatile uint32_t console_seq;
	volatile uint16_t console_rows, console_cols;
	/* (ABI 5) guest-written at every process switch and exec, read by the
	 * monitor only with --trace (<trapvisor/debug.h>): the process the
	 * vCPU runs for, 0 for none (the scheduler, idle), and its name. */
	volatile int32_t proc_pid;
	volatile char proc_name[16];  /* NUL-ended */
	/* (ABI 6) The gate: a SYSCALL the guest kernel executes at CPL 0
	 * from inside [gate_start, gate_end) (guest-written, 0: none) is not
	 * a system call but a trap prefix: the monitor sets RCX and R11 to
	 * gate_rcx and gate_r11 (which the guest stored just before: SYSCALL
	 * itself overwrites both), then emulates the instruction after it as
	 * if that had trapped, and the trapping ones after it (SWAPGS;
	 * SYSRETQ, IRETQ, VMCALL), all in the one stop.  On a host where an
	 * exception costs the monitor more than a system call does (see
	 * docs/ARCHITECTURE.md, "The gate"), the guest's way back to user
	 * mode and its hypercalls then cost a system-call stop.  Anywhere
	 * else SYSCALL at CPL 0 is what the CPU does. */
	volatile uint64_t gate_start, gate_end;
	volatile uint64_t gate_rcx, gate_r11;
	/* (ABI 7) and RAX, which the gate's SYSCALL must not carry: the
	 * host runs system calls 335 and 336 (uretprobe, uprobe) past any
	 * seccomp filter, so RAX is 0 during it and the monitor takes the
	 * guest's RAX from here. */
	volatile uint64_t gate_rax;
};

#endif
