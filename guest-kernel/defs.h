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
#define USER_TOP      0x580000000000ul    /* user space is [USER_BASE, USER_TOP) */
#define USER_PML4_ENTRIES PT_INDEX(USER_TOP, 4)   /* PML4 slots 0..175 are per process */
#define USER_STACK_TOP  0x7ffff000ul
#define USER_STACK_SIZE (8ul << 20)        /* an area, backed on first touch (exec.c) */
#define ELF_ET_DYN_BASE 0x555555554000ul   /* where a static-PIE program is loaded (exec.c) */
#define MMAP_BASE     0x100000000ul       /* mmap() without an address looks from here up */
#define DIRECT_MAP    0x600000000000ul    /* all RAM at DIRECT_MAP + GPA */
#define KERNEL_VBASE  0x7f0000100000ul    /* kernel.ld: where the image is linked */
#define KERNEL_PBASE  0x100000ul          /* kernel.ld: where it is loaded (GPA) */

/* The Linux ABI (uapi/): error numbers, signals, wait statuses. */
#include "uapi/errno.h"
#include "uapi/signal.h"

#include "fs/fs.h"

/* Signals, process groups, wait, and the user FPU state. */
#include "kernel/signal.h"

/* Terminals: the console, pseudo-terminals, job control. */
#include "drivers/tty.h"

/* The PIC's IRQs arrive as vectors 32-47 (pic.c). */
#define IRQ_VECTOR_BASE 32
#define IRQ_TIMER       0      /* PIT channel 0 */
#define IRQ_COM1        4

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

/* mmap() rights (Linux values). */
#define PROT_READ  1
#define PROT_WRITE 2
#define PROT_EXEC  4

/*
 * An address space (mmap.c): the page tables, and the areas of user space
 * the process has mapped, each with its rights.  A page inside an area is
 * backed on first touch (the page-fault handler); one outside every area
 * is an error.  The program's segments, its stack and its heap (brk) are
 * areas too.
 */
#define NVMA 64
#define VMA_SHARED 1              /* MAP_SHARED: pages shared with forked children, not COW */
struct vma {
	u64 start, end;           /* [start, end), page-aligned */
	int prot;                 /* PROT_* */
	int flags;                /* VMA_* */
	struct inode *file;       /* a file-backed area's file (referenced), or 0 */
	u64 off;                  /* ... and the file offset of start */
};
/* An address space is shared by a vfork() child and its parent while the
 * child runs (refs 2); the last mm_put() frees it. */
struct mm {
	u64 pml4;                 /* GPA of its PML4, 0 once freed */
	int refs;                 /* processes using it; 0: a free slot */
	int nvma;
	struct vma vma[NVMA];     /* sorted, disjoint; equal neighbours merged */
	u64 brk_base, brk;        /* the heap is [brk_base, brk) */
	u64 arg_start, arg_end;   /* the argument strings, in order, each NUL-ended (/proc/PID/cmdline) */
	u64 env_start, env_end;   /* the environment strings, likewise (/proc/PID/environ) */
	u64 auxv_start, auxv_end; /* the auxiliary vector exec wrote (/proc/PID/auxv) */
	u64 phdr, phnum, bias;    /* the program's headers and load bias, as exec put
	                           * them in the auxiliary vector (userfault.c) */
};

/* Resource limits (getrlimit/setrlimit/prlimit64, sys_info.c): Linux's
 * numbering and struct rlimit64; RLIM_INFINITY = ~0. */
#define RLIM_NLIMITS  16
#define RLIMIT_FSIZE  1
#define RLIMIT_STACK  3
#define RLIMIT_NOFILE 7
#define RLIM_INFINITY (~0ul)
struct rlimit {
	u64 cur, max;
};

/* A process's identity (sys_info.c): user and group ids, real,
 * effective, saved and file-system, in that order, and supplementary
 * groups. */
#define NGROUPS 32
struct cred {
	u32 uid, euid, suid, fsuid;
	u32 gid, egid, sgid, fsgid;
	int ngroups;
	u32 groups[NGROUPS];
};

enum proc_state { UNUSED, EMBRYO, RUNNABLE, RUNNING, SLEEPING, ZOMBIE };

/* One user process (proc.c, which also holds its kernel stack). */
struct proc {
	enum proc_state state;
	int pid;
	char name[16];            /* the basename of the program it runs (PR_SET_NAME) */
	struct mm *mm;            /* its address space; 0 once it has exited */
	struct proc *parent;      /* who wait4()s for it; 0: the kernel */
	struct trapframe *tf;     /* its user registers, at the top of its kernel stack */
	u64 kstack_top;           /* top of its kernel stack (TSS RSP0) */
	struct kcontext context;  /* where swtch() resumes it in the kernel */
	const void *chan;         /* SLEEPING: what it waits for (sleep()) */
	int killed;               /* a signal that ends it on the way out of the kernel, or 0 */
	bool intr;                /* ^C ends its console read (it ignores SIGINT) */
	bool init;                /* the kernel started it as init: it takes only the
	                           * signals it has a handler for (signal.c) */
	int pgid, sid;            /* its process group and session (signal.c) */
	struct sigstate sig;      /* its handlers, mask, pending signals (signal.c) */
	int slice;                /* ticks left in its time slice */
	int xstate;               /* ZOMBIE: its wait status */
	u64 fs_base;              /* its FS base (arch_prctl): musl's thread pointer */
	struct fdtable *files;    /* its open files (fs/file.c) */
	struct inode *cwd;        /* its working directory */
	u32 umask;
	bool fpu_fresh;           /* its FPU image (fpu_area()) is new: load it as it is */
	bool fpu_exec;            /* ... and it is execve's reset of the live area */
	u64 minflt;               /* page faults served (rusage ru_minflt) */
	u64 cminflt;              /* the same for its reaped children, and theirs */
	char exe[256];            /* the program's absolute path (/proc/PID/exe) */
	u64 start_ns;             /* clock_monotonic() when it was created */
	u64 utime_ns;             /* time spent in user mode, counted in timer ticks */
	u64 uticks, cuticks;      /* timer ticks it ran in user mode; its reaped children's */
	u64 clear_child_tid;      /* set_tid_address: zeroed and futex-woken at exit */
	u64 robust_list, robust_len;   /* set_robust_list: kept, never walked */
	struct proc *vfork_child; /* the vfork() child it waits for, or 0 */
	struct proc *vfork_parent;/* the parent waiting until this one execs or exits */
	struct rlimit rlim[RLIM_NLIMITS];   /* resource limits (sys_info.c), inherited */
	struct cred cred;         /* its ids (sys_info.c), inherited */
};

/*
 * Per-CPU state.  In the kernel GS_BASE points here, in user mode
 * KERNEL_GS_BASE (trapasm.S), so after its SWAPGS syscall_entry finds it
 * at %gs:0; the first two fields are at fixed offsets (x86.h).
 */
struct cpu {
	u64 user_rsp;             /* CPU_USER_RSP: user RSP saved by syscall_entry */
	u64 kernel_rsp;           /* CPU_KERNEL_RSP: top of the running process's kernel stack */
	struct proc *proc;        /* the running process, or 0 (scheduler, idle) */
	struct kcontext sched;    /* where sched() resumes the scheduler */
};
extern struct cpu cpu;

/* console.c (the rest is in drivers/tty.h) */
void console_size_poll(void);

/* context.S */
void swtch(struct kcontext *save, const struct kcontext *load);

/* cpu.c */
void cpu_init(void);
void cpu_reload(unsigned ist);
void cpu_set_ist(unsigned n, u64 top);
void cpu_set_kstack(u64 top);

/* exec.c */
/* Where a program's bytes come from: exec_open() fills one in, read() gets
 * n bytes at offset off into buf (the count read, or -errno), and
 * exec_release() gives it back. */
struct exec_file {
	const char *name;
	u64 size;
	void *ctx;
	s64 (*read)(void *ctx, u64 off, void *buf, u64 n);
	void (*release)(void *ctx);   /* or 0 */
};
struct exec_args;
const char *exec_args_path(const struct exec_args *a);
int exec_open(const char *path, struct exec_file *ef);
void exec_release(struct exec_file *ef);
/* execve's arguments and environment, in kernel pages (at most ARG_MAX
 * bytes of strings and pointers, else E2BIG). */
#define ARG_MAX (256 * 1024)
struct exec_args;
struct exec_args *exec_args_new(void);
void exec_args_free(struct exec_args *a);
int exec_args_add(struct exec_args *a, const char *s, bool env);
int exec_args_count(const struct exec_args *a);
int exec_args_add_user(struct exec_args *a, u64 vec_va, bool env);
int exec_load(const char *path, struct exec_args *args, struct mm **mmp, u64 *entry, u64 *sp);

/* ata.c */
#define ATA_SECTOR_SIZE 512
struct ata {
	bool present;
	u64 sectors;
	char model[41];
};
extern struct ata ata;
void ata_init(void);
int ata_rw(u64 lba, void *buf, u32 count, bool write);
int ata_flush(void);

/* blk.c */
void blk_init(void);
void blk_check(void);
u64 blk_sectors(void);
int blk_rw(u64 sector, void *buf, u32 count, bool write);
int blk_flush(void);
extern const struct file_ops blk_fops;

/* futex.c */
s64 sys_futex(u64 uaddr, u64 op, u64 val, u64 timeout, u64 uaddr2, u64 val3);
void futex_exit(struct mm *mm, u64 tid_va);

/* fuzz.c */
void fuzz_run(const char *arg);
bool fuzzing(void);
void fuzz_fixup(struct trapframe *tf, bool tick);

/* kalloc.c */
void kinit(u64 start, u64 end);
u64 kalloc(void);
void kfree(u64 gpa);
void kref(u64 gpa);
unsigned kref_count(u64 gpa);
u64 kalloc_total_pages(void);
u64 kalloc_free_pages(void);

/* kmalloc.c */
void *kmalloc(u64 n);
void kfree_obj(void *p);
char *kstrdup(const char *s);

/* main.c */
void kmain(u64 boot_info_gpa) __attribute__((noreturn));
void poweroff(int status) __attribute__((noreturn));
s64 sys_reboot(u64 magic1, u64 magic2, u64 cmd, u64 arg);

/* mmap.c */
struct mm *mm_alloc(void);
void mm_put(struct mm *mm);
void mm_dup_files(struct mm *mm);
int mm_add(struct mm *mm, u64 start, u64 end, int prot);
int mm_add_flags(struct mm *mm, u64 start, u64 end, int prot, int flags);
int mm_prot_at(struct mm *mm, u64 va);
s64 mm_mremap(struct mm *mm, u64 old, u64 old_len, u64 new_len, u64 flags, u64 new_addr);
s64 mm_madvise(struct mm *mm, u64 addr, u64 len, u64 advice);
bool mm_shared_at(struct mm *mm, u64 va);
int mm_fault(struct mm *mm, u64 va, u64 err);
bool mm_user_ok(struct mm *mm, u64 va, u64 len, bool write);
s64 mm_mmap(struct mm *mm, u64 addr, u64 len, u64 prot, u64 flags, s64 fd, u64 off);
s64 mm_munmap(struct mm *mm, u64 addr, u64 len);
s64 mm_mprotect(struct mm *mm, u64 addr, u64 len, u64 prot);
s64 mm_brk(struct mm *mm, u64 addr);
s64 mm_msync(struct mm *mm, u64 addr, u64 len, u64 flags);

/* pic.c */
void pic_init(void);
void pic_enable(void);
void pic_restore(void);
bool pic_ack(unsigned irq);

/* printf.c */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* proc.c */
int proc_run(const char *name, char *const extra[], int nextra, bool init);
void proc_exit(int wstatus) __attribute__((noreturn));
int proc_fork(void);
int proc_clone(u64 flags, u64 stack, u64 ptid, u64 ctid, u64 tls);
int proc_set_fs(u64 base);
int proc_exec(const char *path, struct exec_args *args);
void proc_wake(struct proc *p);
int proc_count(void);
int proc_kill(int pid, int sig);
bool proc_killed(void);
void proc_tick(void);
u64 proc_nofile_limit(void);
struct proc *proc_find(int pid);
struct proc *proc_next(struct proc *p);
int proc_last_pid(void);
u64 proc_user_ns(void);
/* signal.c: ppoll and pselect6's temporary mask */
int signal_mask_swap(u64 mask_va, u64 size);
void signal_mask_restore(bool interrupted);
void sleep(const void *chan);
void wakeup(const void *chan);
void yield(void);

/* net/socket.c: no address family */
s64 sys_socket(u64 family, u64 type, u64 protocol);
s64 sys_socketpair(u64 family, u64 type, u64 protocol, u64 sv_va);
s64 sys_socket_fd_call(u64 fd);

/* random.c */
u64 random_u64(void);
void random_bytes(void *buf, u64 n);

/* rtc.c */
u64 rtc_init(void);

/* crashnofp.c: the command line word crash=nofp (stops the VM) */
void crash_nofp(void);

/* userfault.c: a user program dies of signal sig with registers tf: tell
 * the monitor (HC_USER_FAULT, its --backtrace-user) if it dumps core. */
void user_fault_report(const struct trapframe *tf, int sig);

/* silentfail.c: the command line words silentfail and irqsave */
void silentfail_run(void);
void irqsave_run(void);
void sfbench_run(void);

/* string.c */
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
void strlcpy(char *dst, const char *src, size_t size);

/* sys_info.c: system calls */
void rlimit_init(struct rlimit *r);
s64 sys_uname(u64 buf_va);
s64 sys_getuid(void);
s64 sys_geteuid(void);
s64 sys_getgid(void);
s64 sys_getegid(void);
s64 sys_setuid(u64 v);
s64 sys_setgid(u64 v);
s64 sys_setreuid(u64 r, u64 e);
s64 sys_setregid(u64 r, u64 e);
s64 sys_setresuid(u64 r, u64 e, u64 sv);
s64 sys_setresgid(u64 r, u64 e, u64 sv);
s64 sys_getresuid(u64 r, u64 e, u64 sv);
s64 sys_getresgid(u64 r, u64 e, u64 sv);
s64 sys_setfsuid(u64 v);
s64 sys_setfsgid(u64 v);
s64 sys_getgroups(u64 size_arg, u64 list_va);
s64 sys_setgroups(u64 size, u64 list_va);
s64 sys_prlimit64(u64 pid, u64 res, u64 new_va, u64 old_va);
s64 sys_getrlimit(u64 res, u64 old_va);
s64 sys_setrlimit(u64 res, u64 new_va);
s64 sys_getrandom(u64 buf_va, u64 len, u64 flags);
s64 sys_prctl(u64 option, u64 arg2);
s64 sys_sched_getaffinity(u64 pid, u64 len, u64 mask_va);
s64 sys_sched_setaffinity(u64 pid, u64 len, u64 mask_va);
s64 sys_getcpu(u64 cpu_va, u64 node_va);

/* sys_proc.c: system calls */
s64 sys_clone(u64 flags, u64 stack, u64 ptid, u64 ctid, u64 tls);
s64 sys_clone3(u64 args_va, u64 size);
s64 sys_vfork(void);
s64 sys_set_tid_address(u64 tid_va);
s64 sys_set_robust_list(u64 head, u64 len);
s64 sys_get_robust_list(u64 pid, u64 head_va, u64 len_va);
s64 sys_rseq(void);

/* syscall.c */
void syscall_dispatch(struct trapframe *tf);
s64 sys_nanosleep(u64 req_va, u64 rem_va);
bool user_ok(u64 va, u64 len, bool write);
int copyin(void *dst, u64 va, u64 len);
int copyout(u64 va, const void *src, u64 len);
int copyin_str(char *dst, u64 va, u64 size);
const char *syscall_name(u64 nr);

/* time.c: system calls */
s64 sys_clock_gettime(u64 clock, u64 tp_va);
s64 sys_clock_getres(u64 clock, u64 res_va);
s64 sys_gettimeofday(u64 tv_va, u64 tz_va);
s64 sys_time(u64 tloc_va);
s64 sys_clock_nanosleep(u64 clock, u64 flags, u64 req_va, u64 rem_va);
s64 sys_times(u64 buf_va);

/* timer.c */
void timer_init(unsigned hz, u64 realtime_boot);
void timer_restore(void);
bool timer_intr(void);
unsigned timer_slice(void);
u64 timer_tick_ns(void);
u64 clock_monotonic(void);
u64 clock_realtime(void);
int timer_sleep(u64 ns, u64 *left);
void timer_wait_tick(void);
const void *timer_chan(void);
int timer_sleep_until(u64 deadline);

/* trap.c */
void trap(struct trapframe *tf);

/* trapasm.S */
extern const u64 vectors[256];         /* address of each vector's stub */
void syscall_entry(void);
void trap_return(struct trapframe *tf) __attribute__((noreturn));

/* uart.c */
void uart_init(void);
void uart_putc(char c);
void uart_enable_rx(void);
void uart_intr(void);
void uart_unthrottle(void);

/* pv.c */
struct pv_cpu_state;               /* <trapvisor/boot.h> */
extern bool pv_on;
void pv_init(u64 features, bool forbidden, bool nogate, bool nopvmmu);
long pv_hypercall(long nr, long a0, long a1, long a2);
u32 pv_irq_save(void);
void pv_irq_restore(u32 flags);
u64 pv_save_flags(void);
void pv_restore_flags(u64 flags);
const volatile struct pv_cpu_state *pv_cpu(void);
long pv_desc_query(int query, u16 sel);
long pv_cpuid(u32 leaf, u32 subleaf, u32 out[4]);
long pv_hypercall4(long nr, long a0, long a1, long a2, long a3);
long pv_blk_info(void);
#define PV_FPU_AREA_MAX (16 * 1024)   /* the host's XSAVE size must fit (10752 here) */
extern bool pv_fpu;
u32 pv_fpu_size(void);
void pv_fpu_switch(void *area, bool fresh);
bool pv_fpu_reload_pending(void);
void pv_fpu_save(void);
long pv_nmi_watchdog(u64 us);
void pv_set_proc(int pid, const char *name);
long pv_blk_io(int op, u64 sector, u32 count, void *kbuf);
u32 pv_console_size(u16 *rows, u16 *cols);
long pv_mmu_batch(const void *ops, u32 n);

/* pvmmu.c: page-table stores, direct or batched for the monitor */
extern bool pv_mmu;
void pt_set(u64 *e, u64 val);
void pt_free_table(u64 gpa);
void pt_flush(void);
void pt_check(void);

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
u64 *kmap_page(u64 va, u64 gpa, u64 perm);
void vm_reload_kernel(void);
u64 uvm_create(void);
int uvm_copy(u64 pml4, u64 new);
void uvm_free(u64 pml4);
int uvm_alloc(u64 pml4, u64 va, u64 len, u64 perm);
int uvm_copyout(u64 pml4, u64 va, const void *src, u64 len);
u64 uvm_read(u64 pml4, u64 va, void *dst, u64 len);
u64 uvm_resident(u64 pml4);
void uvm_unmap(u64 pml4, u64 va, u64 len);
void uvm_protect(u64 pml4, u64 va, u64 len, u64 flags);
int uvm_touch(u64 pml4, u64 va, bool write, u64 flags);
bool uvm_present(u64 pml4, u64 va);
int uvm_map_page(u64 pml4, u64 va, u64 gpa, u64 flags);
bool uvm_user_range(u64 va, u64 len);
int uvm_move(u64 pml4, u64 from, u64 to, u64 len);
u64 uvm_gpa(u64 pml4, u64 va);

#pragma GCC visibility pop

#endif /* DEFS_H */
