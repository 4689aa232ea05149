/*
 * defs.h: the guest kernel's one internal header (xv6 style): the memory
 * layout, the shared structs, and every non-static function grouped under
 * the file that defines it.
 */
#ifndef DEFS_H
#define DEFS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "x86.h"

/*
 * The kernel is built -fpie and linked at 0x7f0000100000, far above 2 GiB.
 * Hidden visibility tells GCC every symbol is in this one image, so it
 * reaches them RIP-relative instead of through a GOT (which the linker can
 * otherwise only rewrite into 32-bit absolute addresses that do not fit).
 */
#pragma GCC visibility push(hidden)

/*
 * Guest virtual memory layout.  The monitor lets the guest use only
 * [0x1000, 0x7fff00000000) (DESIGN.md section 1), so the kernel lives in the
 * upper part of the lower half instead of the upper half.
 */
#define USER_BASE     0x1000ul            /* lowest user address (page 0 is never mapped) */
#define USER_TOP      0x400000000000ul    /* user space is [USER_BASE, USER_TOP) */
#define USER_PML4_ENTRIES PT_INDEX(USER_TOP, 4)   /* PML4 slots 0..127 are per process */
#define USER_STACK_TOP  0x7ffff000ul
#define USER_STACK_SIZE (64 * 1024)
#define DIRECT_MAP    0x600000000000ul    /* all RAM at DIRECT_MAP + GPA */
#define KERNEL_VBASE  0x7f0000100000ul    /* kernel.ld: where the image is linked */
#define KERNEL_PBASE  0x100000ul          /* kernel.ld: where it is loaded (GPA) */

/* Linux errno values (syscalls return -errno). */
#define EBADF   9
#define EFAULT  14
#define ENOSYS  38

/* kernel.ld: the bounds of the image's three segments (page-aligned), and
 * of .bss inside the last one (not page-aligned). */
extern char __text_start[], __text_end[];
extern char __rodata_start[], __rodata_end[];
extern char __data_start[], __data_end[];     /* .data and .bss */
extern char __bss_start[], __bss_end[];

/* The user programs embedded by the Makefile (build/guest/user_blobs.S). */
struct user_program {
	const char *name;
	const u8 *start;          /* the ELF image */
	const u8 *end;
};
extern const struct user_program user_programs[];   /* ends with a zero row */

/* A saved kernel context: callee-saved registers, stack and resume point. */
struct kcontext {
	u64 rbx, rbp, r12, r13, r14, r15;
	u64 rsp;
	u64 rip;
};

/* One user process; at most one exists at a time. */
struct proc {
	const char *name;         /* the user_programs[] name */
	u64 pml4;                 /* GPA of its PML4 */
	u64 entry;                /* ELF e_entry */
};

/*
 * Per-CPU state.  KERNEL_GS_BASE points here, so after SWAPGS syscall_entry
 * finds it at %gs:0; the first two fields are at fixed offsets (x86.h).
 */
struct cpu {
	u64 user_rsp;             /* CPU_USER_RSP: user RSP saved by syscall_entry */
	u64 kernel_rsp;           /* CPU_KERNEL_RSP: top of the trap stack */
	struct proc *proc;        /* the running process, or 0 */
	struct kcontext sched;    /* where proc_exit() and proc_kill() return to */
};
extern struct cpu cpu;

/* context.S */
/* Save the callee-saved registers in c and return 0; a later
 * kctx_restore(c, v) returns here a second time with v (setjmp/longjmp). */
int kctx_save(struct kcontext *c) __attribute__((returns_twice));
void kctx_restore(struct kcontext *c, int v) __attribute__((noreturn));

/* cpu.c */
void cpu_init(void);

/* kalloc.c */
void kinit(u64 start, u64 end);
u64 kalloc(void);
void kfree(u64 gpa);

/* main.c */
void kmain(u64 boot_info_gpa) __attribute__((noreturn));
void poweroff(int status) __attribute__((noreturn));

/* pic.c */
void pic_init(void);
void pic_eoi(unsigned vector);

/* printf.c */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* proc.c */
int proc_run(const char *name);
void proc_exit(int status) __attribute__((noreturn));
void proc_kill(void) __attribute__((noreturn));

/* string.c */
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
void strlcpy(char *dst, const char *src, size_t size);

/* syscall.c */
void syscall_dispatch(struct trapframe *tf);

/* trap.c */
void trap(struct trapframe *tf);

/* trapasm.S */
extern const u64 vectors[256];         /* address of each vector's stub */
void syscall_entry(void);
void trap_return(struct trapframe *tf) __attribute__((noreturn));

/* uart.c */
void uart_init(void);
void uart_putc(char c);

/* vm.c */
extern u64 phys_offset;
/* The kernel's pointer to guest-physical address gpa. */
static inline void *phys_to_virt(u64 gpa)
{
	return (void *)(gpa + phys_offset);
}
void vm_init(u64 ram_size);
void vm_switch(u64 pml4);
void vm_switch_kernel(void);
u64 uvm_create(void);
void uvm_free(u64 pml4);
int uvm_alloc(u64 pml4, u64 va, u64 len, u64 perm);
int uvm_copyout(u64 pml4, u64 va, const void *src, u64 len);
bool uvm_readable(u64 pml4, u64 va, u64 len);

#pragma GCC visibility pop

#endif /* DEFS_H */
