/*
 * monitor/: the command line, the VM lifecycle, the kernel loader and the
 * statistics.  struct vm holds everything one virtual machine owns; two VMs
 * in one process must be possible, so there are no mutable globals.
 */
#ifndef VM_H
#define VM_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>

#include <trapvisor/linux_syscalls.h>

#include "traps.h"
#include "host.h"
#include "devices.h"
#include "shadow.h"

#define VM_DEFAULT_MEM   (256ull << 20)
#define VM_MIN_MEM       (4ull << 20)
#define VM_MAX_MEM       (64ull << 30)   /* well below the guest VA window */
#define VM_DEFAULT_DOWNTIME_MS 50        /* --migrate-downtime, as QEMU's default */

/* Exit statuses of the trapvisor command. */
#define EXIT_GUEST_OK    0   /* the guest shut down with status 0 */
#define EXIT_HOST_ERROR  1   /* a host failure (ptrace, mmap, ...) */
#define EXIT_USAGE       2   /* bad command line or bad input file */
#define EXIT_GUEST_CRASH 3   /* the VM stopped with a diagnostic */

struct vm_options {
	const char *kernel;      /* kernel ELF path */
	const char *initrd;      /* initrd path, NULL if none */
	const char *disk;        /* --disk FILE[,ro], NULL if none */
	const char *append;      /* kernel command line ("" if none) */
	u64 mem_size;            /* guest RAM bytes */
	bool stats;              /* print the trap table at exit */
	bool pin;                /* keep monitor and contexts on one CPU */
	int cpu;                 /* --cpu N: that CPU; -1: the least loaded (place.c) */
	int contexts;            /* shadow context pool size, 0 = default */
	int prefetch;            /* --shadow-prefetch: neighbours mapped ahead */
	u64 shadow_check;        /* --shadow-check=N: check every N stops, 0 = off */
	const char *bench_log;   /* --bench-log FILE: CSV of the guest's marks */
	bool patch;              /* --patch=on: scan and patch guest kernel code */
	bool chain;              /* --chain=on: emulate back-to-back trapping kernel
	                          * instructions in one stop (vm_chain()) */
	bool map_on_resume;      /* --map-on-resume=on: a context's last batch of
	                          * mapping changes folded into its resume
	                          * (traps/host_fold.c) */
	bool cpuid_faulting;     /* --cpuid-faulting=on: make CPUID trap where
	                          * the host can (off: it runs natively) */
	bool signal_backend;     /* --backend=signal (traps/host_signal.c) */
	u32 signal_spin;         /* --signal-spin N: PAUSE loops before a sleep */
	int rdtsc_trap;          /* --rdtsc-trap: 1 on, 0 off, -1 auto (where the
	                          * host honours it) */
	bool vcpu_thread_match;  /* --vcpu-thread-match=on: the vCPU thread takes
	                          * the contexts' RDTSC/CPUID settings (host_time.h) */
	const char *console;     /* --console stdio|pty (NULL: stdio) */
	bool backtrace_user;     /* --backtrace-user: unwind a user program that
	                          * dies of a core-dumping signal (unwind.c) */
	const char *trace;       /* --trace FILE: the timeline (trace.c), NULL: off */
	u64 trace_limit;         /* --trace-limit: bytes the file may take */
	const char *gdb;         /* --gdb tcp:HOST:PORT|unix:PATH (-s: tcp::1234),
	                          * NULL: no GDB stub */
	bool gdb_wait;           /* -S: no guest instruction before gdb continues */
	const char *loadvm;      /* --loadvm FILE: start from this snapshot */
	const char *snapshot_file; /* --snapshot-file FILE: where Ctrl-A s saves */
	const char *qmp;         /* --qmp unix:PATH: the control socket */
	const char *incoming;    /* --incoming URI: wait for a migration stream */
	u64 migrate_downtime_ms; /* --migrate-downtime MS: the final pause aimed at */
};

/* disk.c: open and check --disk FILE[,ro] and attach it to d.  Returns the
 * file descriptor, or -1 with one line in err (exit EXIT_USAGE). */
int disk_open(const char *spec, struct ata_disk *d, char *err, size_t errlen);

/* cli.c */
/* Parse argv.  Returns 0 to run, 1 if --help/--version was printed (exit 0),
 * -1 after printing a one-line error to 'err' (exit EXIT_USAGE). */
int cli_parse(int argc, char **argv, struct vm_options *opt, const char *default_kernel,
	      FILE *out, FILE *err);
/* Parse a size such as "256M", "1G", "65536" (bytes; suffixes K M G T,
 * powers of 1024).  Returns 0, or -1 on a malformed value or overflow
 * (errno = EINVAL or ERANGE, so the caller can say which). */
int cli_parse_size(const char *s, u64 *bytes);
/* Format a byte count the way -m takes it: "256 MiB", "64 GiB", "4 KiB" when
 * a unit divides it exactly, else "N bytes".  Returns buf. */
const char *cli_format_size(u64 bytes, char *buf, size_t len);
#define TRAPVISOR_VERSION "0.1.0"

/* loader.c */
#define KERNEL_MAX_SEGS 16
struct kernel_seg {
	u64 offset;              /* file offset */
	u64 paddr;               /* GPA it is loaded at */
	u64 vaddr;               /* guest virtual address it is mapped at */
	u64 filesz, memsz;       /* bytes in the file / in memory */
	u32 flags;               /* PF_R | PF_W | PF_X */
};
struct kernel_image {
	u64 entry;               /* e_entry (virtual) */
	u64 start, end;          /* GPA span of all segments */
	int nsegs;               /* entries in seg[] */
	struct kernel_seg seg[KERNEL_MAX_SEGS]; /* PT_LOAD segments */
};
/* Check an ELF64 x86-64 ET_EXEC image against a RAM size; fill *ki.
 * Returns 0, or -1 with a one-line reason in err. */
int loader_parse_elf(const void *img, size_t size, u64 ram_size,
		     struct kernel_image *ki, char *err, size_t errlen);

/* initrd.c: the --initrd archive, checked before the guest sees it.  The
 * guest always gets an uncompressed cpio newc archive. */
/* Does buf start with the gzip magic (1f 8b)? */
bool initrd_is_gzip(const u8 *buf, size_t len);
/* Inflate the gzip stream in[0, len) into a new malloc'd buffer (*out,
 * *outlen: the caller frees it) of at most max bytes; only zero padding
 * may follow the stream.  Returns 0, or -1 with a one-line reason in err
 * (corrupt, truncated, larger than max). */
int initrd_gunzip(const u8 *in, size_t len, u64 max, u8 **out, size_t *outlen,
		  char *err, size_t errlen);
/* Check a cpio newc (070701, or 070702 with checksums) archive: headers,
 * names, padding, the trailer and nothing but zeros after it; every entry
 * inside the archive and the root, no larger than ram_size, of a type an
 * initrd may hold; and the program the kernel runs first present (/init, or
 * the absolute path cmdline names with rdinit= or init=).  Returns 0, or -1
 * with a one-line reason naming the entry in err. */
int initrd_check(const u8 *a, size_t len, u64 ram_size, const char *cmdline,
		 char *err, size_t errlen);
/* In an archive initrd_check() accepted: the regular file at 'path' (the
 * last entry of that name).  0 with *data, *size (inside a), or -1. */
int initrd_find(const u8 *a, size_t len, const char *path, const u8 **data, size_t *size);

struct vm;
/* Load the kernel, the initrd, boot_info, a boot stack and boot page tables
 * into vm->ram and set the vCPU's entry state.  Returns 0, or -1 with a
 * one-line reason (naming the file) in err. */
int loader_boot(struct vm *vm, char *err, size_t errlen);

/* symbols.c: the guest kernel's function symbols, for diagnostics. */
struct ksym {
	u64 addr;                /* start address (guest virtual) */
	u64 size;                /* bytes, 0 if unknown */
	const char *name;        /* in ksyms.strtab */
};
struct ksyms {
	struct ksym *sym;        /* sorted by address */
	int n;                   /* entries in sym[] */
	char *strtab;            /* a copy of the ELF string table */
};
/* Read the STT_FUNC symbols of an ELF image (none if it has no .symtab). */
void ksyms_load(struct ksyms *ks, const void *img, size_t size);
/* The function containing 'addr' and the offset into it, or NULL. */
const char *ksyms_lookup(const struct ksyms *ks, u64 addr, u64 *off);
void ksyms_free(struct ksyms *ks);

/* unwind.c: libunwind backtraces of the guest (see the file's opening comment) */
struct unw_image {
	u64 text_lo, text_hi;    /* executable PT_LOAD range, guest virtual */
	u64 eh_frame_hdr;        /* PT_GNU_EH_FRAME's address, 0 if none */
};
/* The kernel ELF's code range and unwind index (none if it has none). */
void unwind_load_kernel(struct unw_image *im, const void *img, size_t size);
struct vm;
/* Print the guest kernel's stack from the vCPU's registers, one frame a
 * line.  Returns the frames printed, 0 if the kernel has no unwind index. */
int unwind_kernel(struct vm *vm, FILE *f);
/* HC_USER_FAULT (<trapvisor/debug.h>) with RDI = gva: print the dying
 * program's backtrace to f with --backtrace-user.  Returns the
 * hypercall's result: 0, -38 (off) or -14 (gva unreadable). */
s64 unwind_user_fault(struct vm *vm, u64 gva, FILE *f);

/* io.c: the I/O thread (stdin, the PIT's timer, signals) and the console. */
#define IO_QUIT_USER (-1)        /* io.quit: Ctrl-A x; > 0: that signal */

/* console.c: where COM1 goes (--console stdio|pty) */
struct console {
	int in_fd, out_fd;       /* the guest's input and output */
	int size_fd;             /* a terminal to read the size from, -1: none */
	bool pty;                /* --console pty: a pseudo-terminal of our own */
	int master_fd, slave_fd; /* its two ends (the slave only held open) */
	char path[64];           /* the slave's path, for clients */
};
int console_open(const char *how, struct console *c, char *err, size_t errlen);
void console_close(struct console *c);

struct io {
	pthread_t thread;        /* the I/O thread */
	bool inited;             /* io_start() set this struct up */
	bool started;            /* the thread runs */
	int in_fd;               /* standard input, -1 if none */
	bool tty;                /* in_fd is our terminal, put in raw mode */
	bool escapes;            /* Ctrl-A keys are the monitor's (a terminal) */
	bool escape;             /* a Ctrl-A was typed (I/O thread only) */
	int size_fd;             /* the console's terminal, for its size; -1: none */
	bool size_poll;          /* no SIGWINCH for it (a pty): look at each wake-up */
	atomic_uint winsize;     /* its rows << 16 | columns, 0: unknown */
	atomic_uint winsize_seq; /* bumped at every change of winsize */
	bool in_poll_unsupported;/* in_fd is a regular file: read as drained */
	u8 last_in;              /* last input byte queued (for end of input) */
	int epfd;                /* epoll over in_fd, timer_fd, stop_fd, sig_fd */
	int timer_fd;            /* CLOCK_MONOTONIC timer for the next PIT tick */
	int wake_fd;             /* eventfd: something happened (vCPU sleeps on it) */
	int stop_fd;             /* eventfd: the I/O thread must end */
	int sig_fd;              /* signalfd for SIGINT, SIGTERM, SIGHUP, SIGWINCH */
	pthread_mutex_t lock;    /* guards in_buf, in_head, in_len */
	u8 in_buf[4096];         /* input not yet taken by the UART */
	size_t in_head, in_len;  /* ring buffer position and fill */
	atomic_bool in_paused;   /* stdin unwatched while in_buf is full */
	atomic_bool in_eof;      /* standard input has ended */
	atomic_bool timer_fired; /* the PIT timer expired */
	atomic_int quit;         /* IO_QUIT_USER or a signal number, 0 if none */
	atomic_bool save_requested; /* Ctrl-A s: save a snapshot (snapshot.c) */
	atomic_int running;      /* context process to kick, 0 if none */
	atomic_ullong events;    /* incremented on every wake-up */
	atomic_ullong kicks;     /* kick signals sent */
	u64 armed_ns;            /* deadline the timer is armed for (vCPU thread) */
};

int io_start(struct io *io, const struct console *con, char *err, size_t errlen);
/* Any thread: wake the vCPU thread (the eventfd, and a kick to the running
 * context) so that it looks at what changed. */
void io_wake(struct io *io);
void io_stop(struct io *io);
void io_restore_terminal(void);
/* vCPU thread: take up to 'max' queued input bytes. */
size_t io_take_input(struct io *io, u8 *buf, size_t max);
bool io_input_pending(struct io *io);
void io_slurp_file(struct io *io);
/* vCPU thread: arm the timer for absolute CLOCK_MONOTONIC 'deadline_ns'
 * (0 disarms). */
void io_arm_timer(struct io *io, u64 deadline_ns);
/* vCPU thread: sleep until the I/O thread wakes it. */
int io_sleep(struct io *io);

/* place.c: which host CPU the VM runs on (see the file's opening comment) */
enum place_mode {
	PLACE_NONE,              /* --no-pin: Linux places every task */
	PLACE_FIXED,             /* --cpu N, or only one CPU allowed: never moves */
	PLACE_AUTO,              /* the least-loaded CPU, moving when contended */
};
struct place {
	bool inited;             /* place_start() set this struct up */
	enum place_mode mode;    /* how the CPU was chosen */
	int cpu;                 /* the CPU the VM's tasks run on, -1 if none */
	int first_cpu;           /* the CPU chosen at start */
	int ncpus;               /* CPUs the host has (load[] and own[] entries) */
	cpu_set_t allowed;       /* the process's affinity mask at start */
	pid_t self;              /* the monitor's pid: its children are the VM's */
	double *load, *own;      /* per CPU: runnable tasks, and of them the VM's own
	                          * (placement thread only, after start) */
	unsigned seed;           /* rand_r state for ties and move decisions */
	pthread_t thread;        /* the placement thread (PLACE_AUTO) */
	bool started;            /* it runs */
	int stop_fd;             /* eventfd: the placement thread must end */
	u64 windows, moves;      /* windows sampled, moves made */
};
/* Choose and pin the calling thread to the VM's CPU (before the first
 * context process, which inherits it).  0, or -EXIT_USAGE / -EXIT_HOST_ERROR
 * with one line in err. */
int place_start(struct place *p, const struct vm_options *opt, char *err, size_t errlen);
/* Start the placement thread when the VM may move (after io_start, so the
 * I/O thread is pinned too).  0, or -1 with one line in err. */
int place_watch(struct place *p, char *err, size_t errlen);
void place_stop(struct place *p);
void place_report(const struct place *p, FILE *f);
/* One line of /proc/PID/stat: its state letter, parent and CPU (field 39).
 * 0, or -1 if the line is not one. */
int place_parse_stat(const char *buf, char *state, int *ppid, int *cpu);
/* At start: the allowed CPU with the least load of others (load - own),
 * near ties chosen by rnd in [0, 1).  -1 if none is allowed. */
int place_initial(const cpu_set_t *allowed, int ncpus, const double *load, const double *own,
		  double rnd);
/* While running on cur with 'own' of its load: the CPU to move to, or -1.
 * Moves only when the least-loaded other CPU stays clearly below cur after
 * the move, and then only if rnd in [0, 1) falls under this VM's share of
 * the excess (rnd 0: would any move help). */
int place_decide(const cpu_set_t *allowed, int ncpus, const double *load, double own, int cur,
		 double rnd);

/* trace.c: the --trace timeline (see the file's opening comment).  Every
 * hook is called only when vm->trace (stats.trace) is not NULL. */
#define TRACE_DEFAULT_LIMIT (64ull << 20)
struct trace;
/* Allocate the ring for 'limit' bytes of file and check that 'path' can be
 * written.  0, or -1 with one line in err. */
int trace_open(struct trace **t, struct vm *vm, const char *path, u64 limit,
	       char *err, size_t errlen);
/* A stop the statistics counted: its row's name (which lives as long as
 * the stats) and its handling time, which ended now. */
void trace_stop(struct trace *t, int kind, const char *name, u64 ns);
void trace_syscall(struct trace *t, u64 nr);   /* a guest program's SYSCALL */
void trace_irq(struct trace *t, int irq, int level);   /* a device's line */
void trace_resume(struct trace *t);            /* the vCPU is about to run */
/* A hidden page fault or page-table write at addr ('what': a literal). */
void trace_instant(struct trace *t, const char *what, u64 addr);
/* Write the file (the newest events that fit) and free t.  0, or -1 with
 * one line in err. */
int trace_close(struct trace *t, char *err, size_t errlen);

/* stats.c */
enum stat_kind {
	STAT_INSN,               /* an emulated instruction, by mnemonic */
	STAT_EXIT,               /* a non-instruction stop reason, by name */
	STAT_PORT,               /* a port access, by port */
};
#define STATS_MAX 256
struct stat_row {
	enum stat_kind kind;     /* which table it belongs to */
	char name[32];           /* "cli", "hidden fault", "port 0x3f8" */
	u64 count;               /* how many */
	u64 ns;                  /* total time spent handling them */
};
/* The guest's system calls by number: Linux's (LINUX_SYSCALL_MAX of them),
 * then trapvisor's tv_mark (1000), then every other number. */
#define STATS_SYS_MARK  LINUX_SYSCALL_MAX
#define STATS_SYS_OTHER (LINUX_SYSCALL_MAX + 1)
#define STATS_NSYS      (LINUX_SYSCALL_MAX + 2)
struct stats {
	struct stat_row row[STATS_MAX]; /* rows in first-seen order */
	int nrows;               /* rows used */
	u64 sys[STATS_NSYS];     /* guest system calls (stats_syscall()) */
	struct trace *trace;     /* --trace: every event is on the timeline too; NULL: off */
};
/* Add one event of 'ns' nanoseconds to the row (kind, name). */
void stats_add(struct stats *s, enum stat_kind kind, const char *name, u64 ns);
/* Count one system call the guest's user mode made, RAX = nr. */
void stats_syscall(struct stats *s, u64 nr);
/* The name of system call nr ("write", "tv_mark"), NULL if unknown. */
const char *stats_syscall_name(u64 nr);
/* Print the table, sorted by kind then count, with totals; then the
 * guest's system calls by name, most frequent first. */
void stats_print(const struct stats *s, FILE *f);

/* vm.c and the files beside it, one concern each (vm_internal.h lists
 * them): the VM. */
struct vm_scratch;
struct vm {
	struct vm_options opt;   /* what the user asked for */
	int ram_fd;              /* memfd holding guest RAM */
	u8 *ram;                 /* the monitor's mapping: HVA = ram + GPA */
	u64 ram_size;            /* bytes of guest RAM */
	struct vcpu vcpu;        /* the one virtual CPU */
	struct pio_bus bus;      /* port-I/O devices */
	struct pic pic;          /* 8259A pair: IRQ 0-15 -> vectors */
	struct pit pit;          /* 8254 channel 0 on IRQ 0 */
	struct rtc rtc;          /* CMOS real-time clock */
	struct uart com1;        /* the console, IRQ 4 */
	struct console console;  /* where it goes (--console) */
	u32 winsize_seq;         /* io.winsize_seq last told to the guest */
	struct debug_exit dbgexit;     /* port 0x501 */
	struct debug_exit qemu_exit;   /* port 0xf4 */
	struct ata_disk ata;     /* the ATA disk, 0x1f0 and 0x3f6, IRQ 14 */
	struct io io;            /* the I/O thread: console input, timer, signals */
	struct place place;      /* the host CPU it runs on (place.c) */
	struct stub stub;        /* context processes and mapping batches */
	struct shadow shadow;    /* shadow page tables and guest contexts */
	struct stats stats;      /* stops by reason */
	struct ksyms ksyms;      /* guest kernel symbols, for diagnostics */
	struct unw_image kunwind;/* the guest kernel's unwind index (unwind.c) */
	struct trace *trace;     /* --trace timeline (trace.c), NULL: off */
	struct gdb *gdb;         /* the GDB stub (gdbstub.c), NULL without --gdb */
	struct vm_scratch *scratch; /* the vCPU thread's large buffers (vm_create) */
	bool stop;               /* the run loop must end */
	bool crashed;            /* stopped by vm_kill or a host error */
	u64 stops;               /* context stops handled */
	u64 emulated;            /* instructions emulated (PORT_TRAP_COUNT) */
	u64 chained;             /* of which in the stop of the one before (vm_chain()) */
	u64 gates;               /* SYSCALL stops through the guest's gate (vm_gate()) */
	u64 pv_gpa;              /* registered struct pv_vcpu, 0 if none */
	u64 fpu_live_gpa;        /* paravirtual FPU: the area whose state is live */
	u32 fpu_size;            /* the host's XSAVE size: what an area needs */
	u64 fpu_saves, fpu_loads;/* paravirtual FPU: areas written, areas loaded */
	u64 mmu_batches;         /* HC_MMU_BATCH calls applied */
	u64 mmu_writes, mmu_releases; /* their entries: writes, page tables released */
	u64 nmi_deadline_ns;     /* HC_NMI_WATCHDOG: CLOCK_MONOTONIC time it fires, 0: off */
	u64 run_ns;              /* wall time spent in vm_run() */
	u64 idle_ns;             /* of which asleep on a halted vCPU */
	u64 seen_events;         /* io.events when last looked at */
	u64 tsc_khz;             /* guest TSC frequency told in boot_info */
	int thread_match;        /* vCPU thread settings: -1 not yet taken, else
	                          * host_thread_settings() after taking them */
	int thread_match_err;    /* -errno if taking them failed */
	bool quit_reported;      /* stopped by Ctrl-A x or a signal */
	bool paused;             /* QMP stop: the vCPU waits for cont (ctl.c) */
	u64 paused_ns;           /* CLOCK_MONOTONIC time it was paused at */
	u32 kernel_crc;          /* crc32 of the kernel image file (snapshot.c) */
	u64 kernel_size;         /* its size in bytes */
	struct qmp *qmp;         /* the control socket, NULL if none (qmp.c) */
	struct migration *mig;   /* an outgoing migration under way, NULL if none */
	FILE *bench;             /* --bench-log file, NULL if none */
	int exit_status;         /* EXIT_* or the guest's status */
	char kill_reason[256];   /* first reason the VM was killed */
};

/* Stop the VM because the guest did something it cannot survive; the first
 * reason is kept.  Emulation code calls this and returns normally. */
void vm_kill(struct vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Set up RAM, devices, the loaded kernel and the context pool.  Returns 0,
 * or the exit status to use (EXIT_USAGE for bad input, EXIT_HOST_ERROR)
 * with a one-line reason in err. */
int vm_create(struct vm *vm, const struct vm_options *opt, char *err, size_t errlen);
/* Print why the VM stopped (with the register dump after a crash) and,
 * with --stats, the trap table. */
void vm_report(struct vm *vm, FILE *f);         /* vm_report.c */
int vm_run(struct vm *vm);                      /* vm_run.c */
/* vm_events.c: HC_NMI_WATCHDOG at host time 'now_ns': arm the watchdog for 'us'
 * microseconds from then (0 disarms).  0, or -22 (EINVAL) for a timeout
 * above PV_NMI_WATCHDOG_MAX_US, the watchdog unchanged. */
s64 vm_watchdog_arm(struct vm *vm, u64 us, u64 now_ns);
/* At host time 'now_ns', with 'next_ns' the PIT's next tick (0: none):
 * fire the watchdog if its deadline has passed (an NMI pending, the
 * watchdog off) and return when the host timer must wake the vCPU next,
 * the earlier of the tick and the deadline (0: never). */
u64 vm_watchdog_check(struct vm *vm, u64 now_ns, u64 next_ns);
void vm_destroy(struct vm *vm);
/* vm_emu.c: write guest RAM on the guest's behalf (n bytes within one
 * page), keeping the shadow coherent when it is a tracked page table or
 * patched code. */
void vm_write_ram(struct vm *vm, u64 gpa, const void *src, unsigned n);
/* vm_mmu.c: scan the guest kernel code page at 'la' (walked to 'w')
 * once, and install its patched copy if it holds silent-fail
 * instructions. */
void vm_patch_scan(struct vm *vm, u64 la, const struct gwalk *w);

/* gdb_rsp.c: the GDB remote protocol's framing, with no I/O (fuzzed by
 * tests/unit/test_gdb_rsp.c). */
#define RSP_MAX_PACKET 16384     /* decoded bytes; the PacketSize announced */
enum rsp_state { RSP_IDLE, RSP_BODY, RSP_ESC, RSP_RLE, RSP_CSUM1, RSP_CSUM2 };
enum rsp_event {
	RSP_MORE,                /* nothing complete yet */
	RSP_PACKET,              /* buf[0, len) is a whole packet, checksum right */
	RSP_BAD_CSUM,            /* a whole packet whose checksum is wrong */
	RSP_BAD,                 /* malformed: checksum not hex, a bad run length */
	RSP_TOO_LONG,            /* more than RSP_MAX_PACKET bytes: dropped */
	RSP_INTERRUPT,           /* 0x03 outside a packet: Ctrl-C */
	RSP_ACK,                 /* '+' outside a packet */
	RSP_NACK,                /* '-' outside a packet: send the last one again */
};
struct rsp_parser {
	enum rsp_state state;    /* where in a packet the next byte falls */
	u8 sum;                  /* checksum of the body bytes as received */
	int csum_hi;             /* first checksum digit's value, -1 if not hex */
	int last;                /* last decoded byte (for run lengths), -1: none */
	bool overflow;           /* the body outgrew buf: RSP_TOO_LONG */
	bool malformed;          /* a bad run length: RSP_BAD */
	size_t len;              /* decoded bytes in buf */
	char buf[RSP_MAX_PACKET + 1]; /* the decoded body, NUL-terminated when whole */
};
void rsp_init(struct rsp_parser *p);
/* Feed one received byte; says when a packet (or an event) is complete. */
enum rsp_event rsp_feed(struct rsp_parser *p, u8 c);
/* Frame body[0, len) as "$...#xx" into out, escaping # $ } *; the length,
 * or 0 if it does not fit in 'size'. */
size_t rsp_frame(const void *body, size_t len, char *out, size_t size);
/* n bytes as 2n lowercase hex digits and a NUL. */
void rsp_hex_encode(char *out, const void *bytes, size_t n);
/* 2n hex digits into n bytes: 0, or -1 at a non-hex digit (or the end). */
int rsp_hex_decode(const char *in, size_t n, void *bytes);
/* A hex number at *s (at most 64 bits), *s moved past it: 0, or -1. */
int rsp_parse_hex(const char **s, u64 *v);

/* gdb_target.c: what the debugger sees of the VM: registers, guest-virtual
 * memory, breakpoints in the executed code copies, watchpoints through the
 * shadow page tables, and the walk of an address. */
#define GDB_NREGS      66        /* in the target description's order */
#define GDB_MAX_BPS    64
#define GDB_MAX_WATCH  8
#define GDB_WATCH_MAX_LEN 4096   /* a watchpoint spans at most two pages */
struct gdb_bp {
	bool used;               /* slot in use */
	u64 va;                  /* guest kernel address of the INT3 */
};
struct gdb_watch {
	bool used;               /* slot in use */
	u64 va, len;             /* the guest-virtual range watched for writes */
	u64 gpa[2];              /* the guest pages it lies on (write-protected) */
	int npages;              /* 1 or 2 */
};
/* The target description (XML) that qXfer:features:read serves. */
extern const char gdb_target_xml[];
/* Register 'regno' into out (at most 16 bytes): its size, or -1. */
int gdb_reg_read(struct vm *vm, int regno, u8 *out);
/* Register 'regno' from in: 0, or -1 if it cannot take that value. */
int gdb_reg_write(struct vm *vm, int regno, const u8 *in);
int gdb_reg_size(int regno);
/* Guest-virtual memory through the vCPU's current page tables, as the
 * kernel would see it (no A/D bits set, no permission but presence
 * checked).  Read: how many bytes from the start could be read.  Write:
 * all or nothing, 0 or -1. */
size_t gdb_mem_read(struct vm *vm, u64 va, u8 *buf, size_t len);
int gdb_mem_write(struct vm *vm, u64 va, const u8 *buf, size_t len);
/* Z0/z0: 0, or -1 (not a mapped guest kernel code address, or full). */
int gdb_bp_insert(struct vm *vm, u64 va);
int gdb_bp_remove(struct vm *vm, u64 va);
/* Put every breakpoint's INT3 back (a copy may have been rebuilt). */
void gdb_bp_rearm(struct vm *vm);
/* vm_stop.c, at an INT3 in kernel mode: one of ours?  Then RIP is put back on
 * it, the stop is for the debugger, and true. */
bool gdb_bp_hit(struct vm *vm);
/* Z2/z2: 0, or -1. */
int gdb_watch_insert(struct vm *vm, u64 va, u64 len);
int gdb_watch_remove(struct vm *vm, u64 va, u64 len);
/* vm_emu.c: the emulator wrote [la, la + len): a watched range? */
void gdb_watch_write(struct vm *vm, u64 la, unsigned len);
/* vm_mmu.c: a write to watched page 'gpa' that the emulator cannot do: make
 * the page writable for one single-stepped instruction.  0 or -errno. */
int gdb_watch_suspend(struct vm *vm, u64 gpa);
/* At the top of the run loop: after that instruction, watch the page
 * again and fire the watches whose bytes changed. */
void gdb_watch_poll(struct vm *vm);
/* Drop every breakpoint and watchpoint (detach). */
void gdb_target_clear(struct vm *vm);
/* "monitor tlb ADDR": the guest's walk of va, level by level, and what
 * the shadow maps for it. */
void gdb_walk_print(struct vm *vm, u64 va, FILE *f);

/* gdbstub.c: the GDB remote stub (-s, --gdb, -S). */
enum gdb_state {
	GDB_RUNNING,             /* the guest runs; the watcher polls the client */
	GDB_BREAK,               /* the watcher asks the vCPU thread to stop */
	GDB_STOPPED,             /* the vCPU thread serves the debugger */
};
struct gdb {
	int listen_fd;           /* the socket debuggers connect to */
	char where[160];         /* "tcp:127.0.0.1:1234", for messages */
	char unix_path[108];     /* a unix socket's path, unlinked at exit ("" if tcp) */
	atomic_int client;       /* the debugger's connection, -1 if none */
	atomic_int pending;      /* accepted by the watcher, not yet taken, -1 */
	atomic_int linger;       /* a detached connection, half closed: the
	                          * watcher closes it when gdb does, -1 */
	atomic_int state;        /* enum gdb_state */
	int ctl_fd;              /* eventfd: the vCPU thread changed state */
	int stop_fd;             /* eventfd: the watcher must end */
	pthread_t watcher;       /* accepts, and notices input while the guest runs */
	bool started;            /* the watcher runs */
	bool wait;               /* -S: wait for a debugger before running */
	bool said_waiting;       /* "waiting for a debugger" was printed */
	bool resumed;            /* the client resumed the guest and awaits a stop reply */
	bool stop_pending;       /* serve the debugger at the next loop top */
	int stop_sig;            /* the signal a stop is reported with: 5 TRAP, 2 INT */
	u64 watch_hit;           /* address of the watchpoint that fired, or 0 */
	bool watch_hit_set;      /* watch_hit is valid (0 is an address too) */
	bool stepping;           /* a single step for the debugger is under way */
	u64 step_rip, step_rcx;  /* where it started (a REP moves RCX only) */
	u8 step_cpl;             /* and at which privilege */
	bool traced;             /* the host reported the step's trace trap */
	bool suspended;          /* a watched page is writable for one instruction */
	u64 suspended_gpa;       /* that page */
	int suspended_count;     /* its watch count, given back afterwards */
	u64 suspended_stops;     /* vm->stops when it was made writable */
	u8 snapshot[2 * GDB_WATCH_MAX_LEN]; /* watched bytes before that instruction */
	struct rsp_parser rx;    /* packets from the debugger */
	char *out;               /* the last framed packet sent (for '-') */
	size_t outlen;           /* its length */
	u8 *fpu;                 /* an XSAVE image (HOST_FPU_MAX bytes) */
	struct gdb_bp bp[GDB_MAX_BPS];          /* software breakpoints */
	struct gdb_watch watch[GDB_MAX_WATCH];  /* write watchpoints */
	u64 packets, bad_packets;               /* counters for "monitor stats" */
	atomic_ullong refused;   /* debuggers refused (the watcher counts) */
	int refusing;            /* a refused debugger awaiting its answer, -1
	                          * (the watcher's alone, as the next two) */
	bool refuse_answered;    /* it got it: close when it closes */
	struct rsp_parser *refuse_rx; /* its first packet */
};
/* Check a --gdb argument: 0, or -1 with one line (no "trapvisor: ") in err. */
int gdb_spec_check(const char *spec, char *err, size_t errlen);
/* Listen on opt.gdb and start the watcher: 0, or EXIT_USAGE (the address
 * cannot be used) / EXIT_HOST_ERROR with one line in err. */
int gdb_create(struct vm *vm, char *err, size_t errlen);
void gdb_destroy(struct vm *vm);
/* vm_run()'s hooks: at the top of the loop (serve the debugger if a stop
 * is due); whether interrupts wait (a step); whether the next run is one
 * instruction; what the host reported; and the end of the VM. */
void gdb_check(struct vm *vm);
bool gdb_defers_interrupts(const struct vm *vm);
bool gdb_wants_step(const struct gdb *g);
void gdb_note_stop(struct gdb *g, const struct host_exit *e);
void gdb_exited(struct vm *vm);
/* The signal a client connecting or a stop is reported with (gdbstub.c). */
#define GDB_SIGINT  2
#define GDB_SIGTRAP 5

/* fdio.c: write all of buf to fd (a socket: MSG_NOSIGNAL; else write()),
 * going on after short writes and EINTR.  0, or -1 with errno. */
int fd_write_all(int fd, const void *buf, size_t len);

/* json.c: a small JSON reader for the control socket. */
#define JSON_MAX_NODES 512
#define JSON_MAX_DEPTH 32
enum json_type { JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING, JSON_ARRAY,
		 JSON_OBJECT };
struct json {
	enum json_type type;     /* which kind of value */
	const char *key;         /* member name when inside an object, else NULL */
	const char *str;         /* JSON_STRING: decoded, NUL-terminated */
	size_t len;              /* its length (it may hold NUL bytes) */
	double num;              /* JSON_NUMBER */
	struct json *child;      /* ARRAY/OBJECT: the first element or member */
	struct json *next;       /* the next element or member of the parent */
	int count;               /* ARRAY/OBJECT: how many */
};
struct json_doc {
	struct json node[JSON_MAX_NODES]; /* the values, node[0] first */
	int n;                   /* nodes used */
	char text[65536];        /* decoded strings and member names */
	size_t used;             /* bytes of text used */
};
/* Parse text[0, len) as one JSON value.  Returns the root (inside d), or
 * NULL with a one-line reason and byte offset in err. */
const struct json *json_parse(struct json_doc *d, const char *text, size_t len,
			      char *err, size_t errlen);
/* The member 'key' of object obj, NULL if absent or obj is not an object. */
const struct json *json_get(const struct json *obj, const char *key);
/* s as a JSON string literal (quotes and escapes) in buf; cut to fit. */
const char *json_quote(const char *s, char *buf, size_t size);

/* snapshot.c: the snapshot format, and saving and loading a whole VM. */
#define SNAP_VERSION 1           /* the format version a file starts with */
struct snap_stream;
/* Remember the kernel image's size and crc32 (vm->kernel_crc), which a
 * snapshot names.  0, or -1 with one line in err. */
int snapshot_kernel_id(struct vm *vm, char *err, size_t errlen);
/* Save the stopped VM (between two stops, on the vCPU thread) to 'path'
 * (written to path.tmp, then renamed).  0, or -1 with one line in err. */
int snapshot_save(struct vm *vm, const char *path, char *err, size_t errlen);
/* --loadvm FILE: replace the freshly created VM's state by the file's.
 * 0, or -1 with one line in err (exit EXIT_USAGE: truncated, corrupt,
 * another format version, another kernel image or RAM size). */
int snapshot_load(struct vm *vm, const char *path, char *err, size_t errlen);
/* The stream under both (a file or a socket). */
struct snap_stream *snap_open(int fd, const char *name);
void snap_close(struct snap_stream *s);
int snap_write_header(struct snap_stream *s, struct vm *vm);
/* RAM pages whose bit is set in 'bits' (all pages if NULL), zero pages
 * skipped (skip_zero) or sent as zero records.  Returns the pages
 * written, or -1 with errno. */
s64 snap_write_ram(struct snap_stream *s, struct vm *vm, const u64 *bits, bool skip_zero);
/* The first page from pfn on that may hold data: guest RAM's memfd has
 * holes where the guest never wrote (SEEK_DATA), which are zero. */
u64 snap_next_data(struct vm *vm, u64 pfn);
/* One page, as snap_write_ram writes it (pre-copy rounds). */
int snap_write_page(struct snap_stream *s, struct vm *vm, u64 pfn, bool skip_zero);
int snap_flush_ram(struct snap_stream *s);
/* The vCPU, FPU, time, devices, then the end.  0 or -1 with errno. */
int snap_write_state(struct snap_stream *s, struct vm *vm);
/* Read a whole stream into vm (header, RAM, state, end).  'disk_spec'
 * non-NULL: the disk is opened (and locked) only once the end has arrived
 * (the source of a migration holds it until then).  0, or -1 with one
 * line in err. */
int snap_read(struct snap_stream *s, struct vm *vm, const char *disk_spec, char *err,
	      size_t errlen);
u64 snap_bytes(const struct snap_stream *s);
/* Move every guest-time deadline based on host time (the PIT, the NMI
 * watchdog) and the guest TSC by delta_ns: the guest sees no time pass
 * while the VM was saved or paused. */
void vm_time_shift(struct vm *vm, u64 delta_ns);

/* ctl.c: what the outside asks of a running VM, on the vCPU thread. */
/* Called with every batch of events: Ctrl-A s, QMP commands, and while
 * paused it waits here. */
void ctl_events(struct vm *vm);
/* snapshot_save(), timed, with one line on stderr saying where and how
 * big (QMP savevm, Ctrl-A s).  0, or -1 with one line in err. */
int ctl_save(struct vm *vm, const char *path, char *err, size_t errlen);

/* qmp.c: the control socket (QMP's wire format, one JSON object a line). */
/* Listen on --qmp unix:PATH (a thread accepts one client at a time).
 * 0, or -1 with one line in err. */
int qmp_start(struct vm *vm, const char *spec, char *err, size_t errlen);
/* vCPU thread: run the command the client sent, if any.  True if one ran. */
bool qmp_serve(struct vm *vm);
void qmp_stop(struct vm *vm);
/* vCPU thread: the command named by root (an object with "execute" and
 * maybe "arguments"), after capabilities negotiation: its reply, one line
 * of JSON without the newline, in out. */
void qmp_execute(struct vm *vm, const struct json *root, char *out, size_t size);

/* migrate.c: the live move (pre-copy, shadow paging as the dirty log). */
/* Start sending the running VM to uri (unix:PATH, tcp:HOST:PORT,
 * file:PATH).  0, or -1 with one line in err (the VM goes on). */
int migrate_start(struct vm *vm, const char *uri, char *err, size_t errlen);
/* The run loop, while vm->mig: send more, or finish. */
void migrate_step(struct vm *vm);
/* A move is under way (a paused VM's goes on in ctl_events()). */
bool migrate_active(const struct vm *vm);
/* Free what a finished or failed migration kept (vm_destroy). */
void migrate_destroy(struct vm *vm);
/* QMP query-migrate: the state as a JSON object. */
void migrate_query(struct vm *vm, char *out, size_t size);
/* --incoming URI: receive the VM before it runs.  0, or -1 with one line
 * in err (nothing of the stream runs). */
int migrate_incoming(struct vm *vm, const char *uri, const char *disk_spec, char *err,
		     size_t errlen);

#endif
