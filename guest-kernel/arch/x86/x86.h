/*
 * x86.h: what the guest kernel knows about the x86-64 machine: selectors,
 * descriptor and page-table bits, MSR numbers, the trap frame, and one
 * inline wrapper per privileged instruction it uses.  Every wrapper here is
 * an instruction that faults in host ring 3, so the monitor sees and
 * emulates it.  Instructions that would NOT fault there (PUSHF/POPF, SGDT,
 * SIDT, SLDT, SMSW, STR, MOV from a segment register, CPUID, LAR, LSL,
 * VERR/VERW) are deliberately absent: on trapvisor they would silently
 * show the host's state instead of the virtual CPU's.
 *
 * The kernel runs with IF=0 everywhere but in its idle loop: the boot
 * protocol, the interrupt gates and SFMASK all clear it, user mode runs
 * with IF=1 (set in the RFLAGS image IRETQ or SYSRETQ loads), and only
 * sti_hlt_cli() enables interrupts in the kernel, around one HLT.  So the
 * kernel always knows IF without asking: reading it back with PUSHF would
 * show the host's IF, always 1.  Code that ever enables interrupts
 * elsewhere in the kernel must remember IF in a variable next to its
 * CLI/STI for the same reason.
 *
 * The first part is shared with the assembly files (.S are preprocessed).
 */
#ifndef X86_H
#define X86_H

/* ---- The paravirtual gate (boot.h, struct pv_vcpu, ABI 6; pv.c) ----
 * Offsets in struct pv_vcpu of gate_rcx and gate_r11, for trapasm.S. */
#define PV_GATE_RCX 120
#define PV_GATE_R11 128
#define PV_GATE_RAX 136

/* ---- Selectors (GDT layout in cpu.c) ---- */
#define KERNEL_CS   0x08        /* GDT[1]: 64-bit code, DPL 0 (= BOOT_CS) */
#define KERNEL_DS   0x10        /* GDT[2]: data, DPL 0 (= BOOT_DS) */
#define TSS_SEL     0x18        /* GDT[3..4]: the 16-byte TSS descriptor */
/*
 * User segments live at GDT index 16 and up: 0x23/0x2b/0x33 are valid ring-3
 * selectors of the host, and an IRETQ naming them would run natively instead
 * of trapping (boot.h).  SYSRET derives them from STAR[63:48] = USER_BASE_SEL:
 * SS = base + 8, CS = base + 16, both with RPL 3.
 */
#define USER_BASE_SEL 0x80      /* GDT[16]: 32-bit user code (placeholder) */
#define USER_DS     (0x88 | 3)  /* GDT[17]: user data, DPL 3 -> 0x8b */
#define USER_CS     (0x90 | 3)  /* GDT[18]: 64-bit user code, DPL 3 -> 0x93 */
#define GDT_ENTRIES 19

/* ---- Exceptions: X86_EXC_* come from <trapvisor/x86-arch.h> ---- */

/* X86_ERRCODE_VECTORS: the vectors that push an error code, shared with
 * the monitor's injector.  trapasm.S builds its stubs from it. */
#include <trapvisor/x86-arch.h>

#define T_SYSCALL   256         /* not a vector: marks a frame from syscall_entry */

/* ---- struct cpu offsets used by syscall_entry (checked in proc.c) ---- */
#define CPU_USER_RSP    0
#define CPU_KERNEL_RSP  8

#ifndef __ASSEMBLER__

#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
typedef int64_t s64;
typedef int32_t s32;
typedef int16_t s16;

/* ---- RFLAGS ---- */
#define FL_FIXED    (1ul << 1)    /* always 1 */
#define FL_IF       (1ul << 9)

/* ---- Control registers and MSRs ---- */
#define MSR_EFER           0xc0000080
#define MSR_STAR           0xc0000081
#define MSR_LSTAR          0xc0000082
#define MSR_SFMASK         0xc0000084
#define MSR_FS_BASE        0xc0000100
#define MSR_GS_BASE        0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define EFER_SCE           (1ul << 0)

/* ---- Page tables (4 levels, 4 KiB pages, 2 MiB large pages) ---- */
#define PGSIZE      4096ul
#define HUGE_PGSIZE (2ul << 20)
#define PTE_P       (1ul << 0)    /* present */
#define PTE_W       (1ul << 1)    /* writable */
#define PTE_U       (1ul << 2)    /* user-accessible */
#define PTE_A       (1ul << 5)    /* accessed */
#define PTE_D       (1ul << 6)    /* dirty */
#define PTE_PS      (1ul << 7)    /* large page (in a PDE or PDPTE) */
#define PTE_COW     (1ul << 9)    /* software: copy on write (vm.c) */
#define PTE_SHARED  (1ul << 10)   /* software: MAP_SHARED, fork shares it writable (vm.c) */
#define PTE_NX      (1ul << 63)   /* no execute (EFER.NXE is set at boot) */
#define PTE_ADDR    0x000ffffffffff000ul
/* Index of va in the table of the given level (4 = PML4 ... 1 = PT). */
#define PT_INDEX(va, level) (((va) >> (12 + 9 * ((level) - 1))) & 511)
/* Bytes one entry of a table of the given level maps. */
#define PT_SPAN(level) (1ul << (12 + 9 * ((level) - 1)))

/* Page-fault error code bits. */
#define PFERR_P    (1ul << 0)    /* the page was present: a protection fault */
#define PFERR_W    (1ul << 1)    /* a write */
#define PFERR_U    (1ul << 2)    /* from user mode */
#define PFERR_I    (1ul << 4)    /* an instruction fetch (with EFER.NXE) */

/* ---- Descriptors ---- */
/* A code or data segment descriptor; base and limit are ignored in 64-bit
 * mode, but a flat 4 GiB limit keeps the 32-bit placeholder sensible. */
#define SEG_DESC(access, flags) \
	(0xfffful | (0xful << 48) | ((u64)(access) << 40) | ((u64)(flags) << 52))
#define SEG_P        0x80           /* access byte: present */
#define SEG_DPL3     0x60           /* access byte: DPL 3 */
#define SEG_S        0x10           /* access byte: code/data, not system */
#define SEG_CODE     0x0a           /* type: execute/read */
#define SEG_DATA     0x02           /* type: read/write */
#define SEG_TSS64    0x09           /* system type: available 64-bit TSS */
#define SEG_G        0x8            /* flags: 4 KiB granularity */
#define SEG_DB       0x4            /* flags: 32-bit default size */
#define SEG_L        0x2            /* flags: 64-bit code */
#define GATE_INTR    0x8e           /* P=1, DPL 0, type 0xE: interrupt gate */

/* The 64-bit TSS: only RSP0 matters here (no IST, no I/O bitmap). */
struct tss {
	u32 reserved0;
	u64 rsp[3];               /* stack for a trap from ring 0..2 (RSP0 used) */
	u64 reserved1;
	u64 ist[7];               /* interrupt stack table (unused) */
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;           /* offset of the I/O bitmap; = size: none */
} __attribute__((packed));

/* One IDT entry: a 16-byte gate (SDM vol. 3, figure 6-8). */
struct gate {
	u16 offset_lo;            /* handler bits 15:0 */
	u16 selector;             /* code segment of the handler */
	u8 ist;                   /* bits 2:0 IST index, 0 = no stack switch */
	u8 type_attr;             /* P, DPL, type (GATE_INTR) */
	u16 offset_mid;           /* handler bits 31:16 */
	u32 offset_hi;            /* handler bits 63:32 */
	u32 reserved;
} __attribute__((packed));

/* Operand of LGDT and LIDT. */
struct dtr {
	u16 limit;                /* size in bytes - 1 */
	u64 base;                 /* linear address */
} __attribute__((packed));

/*
 * The trap frame, lowest address first.  alltraps and syscall_entry push the
 * general registers; a vector stub pushes vector and error code (0 when the
 * CPU pushes none); the CPU pushes rip..ss.  22 quadwords: a multiple of 16
 * bytes, so the C handler is called with an aligned stack.
 */
struct trapframe {
	u64 rax, rbx, rcx, rdx, rsi, rdi, rbp;
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
	u64 vector;               /* 0..255, or T_SYSCALL */
	u64 errcode;              /* CPU error code, or 0 */
	u64 rip, cs, rflags, rsp, ss;   /* the interrupt frame IRETQ pops */
};

static inline int x86_has_errcode(unsigned vector)
{
	return vector < 32 && ((X86_ERRCODE_VECTORS >> vector) & 1);
}

/* ---- Privileged instructions (all of them trap and are emulated) ---- */
static inline u8 inb(u16 port)
{
	u8 v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outb(u16 port, u8 v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(u16 port, u32 v)
{
	asm volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline void cli(void)
{
	asm volatile("cli" : : : "memory");
}

static inline void hlt(void)
{
	asm volatile("hlt" : : : "memory");
}

/*
 * Wait for an interrupt with interrupts enabled, and return with them
 * disabled again.  STI takes effect only after the next instruction, so no
 * interrupt can slip in between STI and HLT and leave the CPU halted with
 * its wake-up already handled.  The handler runs (and IRETQs back to IF=1)
 * before the CLI.
 */
static inline void sti_hlt_cli(void)
{
	asm volatile("sti\n\thlt\n\tcli" : : : "memory");
}

static inline void lcr3(u64 pml4_gpa)
{
	asm volatile("mov %0, %%cr3" : : "r"(pml4_gpa) : "memory");
}

static inline u64 rcr3(void)
{
	u64 v;
	asm volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

/* Drop the TLB's entry for the page holding va (and, says the SDM, all
 * cached upper-level entries). */
static inline void invlpg(u64 va)
{
	asm volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static inline u64 rcr2(void)
{
	u64 v;

	asm volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline u64 rcr4(void)
{
	u64 v;

	asm volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static inline void lcr4(u64 v)
{
	asm volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

/* XCR0 (XSETBV with ECX = 0). */
static inline void xsetbv0(u64 v)
{
	asm volatile("xsetbv" : : "c"(0), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}

static inline void wrmsr(u32 msr, u64 v)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

static inline void lgdt(const struct dtr *d)
{
	asm volatile("lgdt %0" : : "m"(*d));
}

static inline void lidt(const struct dtr *d)
{
	asm volatile("lidt %0" : : "m"(*d));
}

static inline void ltr(u16 sel)
{
	asm volatile("ltr %0" : : "r"(sel));
}

/* Load DS, ES and SS (MOV to a segment register).  CS is not reloaded: the
 * boot protocol already starts us with CS = KERNEL_CS, and a far jump or
 * far return would be a silent-fail instruction. */
static inline void load_data_segments(u16 sel)
{
	asm volatile("mov %0, %%ds\n\tmov %0, %%es\n\tmov %0, %%ss" : : "r"(sel) : "memory");
}

#endif /* __ASSEMBLER__ */
#endif /* X86_H */
