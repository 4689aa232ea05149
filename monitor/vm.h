/*
 * monitor/: the command line, the VM lifecycle, the kernel loader and the
 * statistics.  struct vm holds everything one virtual machine owns; two VMs
 * in one process must be possible, so there are no mutable globals.
 */
#ifndef VM_H
#define VM_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "traps.h"
#include "devices.h"
#include "shadow.h"

#define VM_DEFAULT_MEM   (256ull << 20)
#define VM_MIN_MEM       (4ull << 20)
#define VM_MAX_MEM       (64ull << 30)   /* well below the guest VA window */

/* Exit statuses of the trapvisor command. */
#define EXIT_GUEST_OK    0   /* the guest shut down with status 0 */
#define EXIT_HOST_ERROR  1   /* a host failure (ptrace, mmap, ...) */
#define EXIT_USAGE       2   /* bad command line or bad input file */
#define EXIT_GUEST_CRASH 3   /* the VM stopped with a diagnostic */

struct vm_options {
	const char *kernel;      /* kernel ELF path */
	const char *initrd;      /* initrd path, NULL if none */
	const char *append;      /* kernel command line ("" if none) */
	u64 mem_size;            /* guest RAM bytes */
	bool stats;              /* print the trap table at exit */
	bool pin;                /* pin monitor and contexts to one CPU */
	int contexts;            /* shadow context pool size, 0 = default */
};

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
struct stats {
	struct stat_row row[STATS_MAX]; /* rows in first-seen order */
	int nrows;               /* rows used */
};
/* Add one event of 'ns' nanoseconds to the row (kind, name). */
void stats_add(struct stats *s, enum stat_kind kind, const char *name, u64 ns);
/* Print the table, sorted by kind then count, with totals. */
void stats_print(const struct stats *s, FILE *f);

/* vm.c */
struct vm {
	struct vm_options opt;   /* what the user asked for */
	int ram_fd;              /* memfd holding guest RAM */
	u8 *ram;                 /* the monitor's mapping: HVA = ram + GPA */
	u64 ram_size;            /* bytes of guest RAM */
	struct vcpu vcpu;        /* the one virtual CPU */
	struct pio_bus bus;      /* port-I/O devices */
	struct uart com1;        /* the console */
	struct debug_exit dbgexit;     /* port 0x501 */
	struct debug_exit qemu_exit;   /* port 0xf4 */
	struct stub stub;        /* context processes and mapping batches */
	struct shadow shadow;    /* shadow page tables and guest contexts */
	struct stats stats;      /* stops by reason */
	struct ksyms ksyms;      /* guest kernel symbols, for diagnostics */
	bool stop;               /* the run loop must end */
	bool crashed;            /* stopped by vm_kill or a host error */
	u64 stops;               /* context stops handled */
	u64 run_ns;              /* wall time spent in vm_run() */
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
void vm_report(struct vm *vm, FILE *f);
int vm_run(struct vm *vm);
void vm_destroy(struct vm *vm);

#endif
