/*
 * The VM's lifecycle: vm_create() sets up RAM, the devices, the loaded
 * kernel and the context pool in an explicit, numbered order;
 * vm_destroy() undoes it.  vm_kill() and vm_host_error() are the two ways
 * a VM stops with a reason (docs/ARCHITECTURE.md).  The rest of the VM
 * lives beside this file, one concern each (vm_internal.h lists them).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vm_internal.h"

void vm_kill(struct vm *vm, const char *fmt, ...)
{
	va_list ap;

	if (vm->stop)
		return;
	va_start(ap, fmt);
	vsnprintf(vm->kill_reason, sizeof(vm->kill_reason), fmt, ap);
	va_end(ap);
	vm->stop = true;
	vm->crashed = true;
	vm->exit_status = EXIT_GUEST_CRASH;
}

/* A host failure: the monitor itself cannot go on.  The reason is "what
 * failed: why" (err is -errno); vm_report() prints it as the one
 * "trapvisor: host failure: ..." line that exit status 1 comes with. */
void vm_host_error(struct vm *vm, int err, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (vm->stop)
		return;
	va_start(ap, fmt);
	vsnprintf(vm->kill_reason, sizeof(vm->kill_reason), fmt, ap);
	va_end(ap);
	n = strlen(vm->kill_reason);
	snprintf(vm->kill_reason + n, sizeof(vm->kill_reason) - n, ": %s", strerror(-err));
	vm->stop = true;
	vm->crashed = true;
	vm->exit_status = EXIT_HOST_ERROR;
}

/* ---- Lifecycle ---- */

static void vm_set_irq(void *opaque, int irq, int level)
{
	struct vm *vm = opaque;
	if (vm->trace)
		trace_irq(vm->trace, irq, level);
	pic_set_irq(&vm->pic, irq, level);
}

/* A device's interrupt line into the PIC. */
static struct irq_line vm_irq_line(struct vm *vm, int irq)
{
	return (struct irq_line){ .set = vm_set_irq, .opaque = vm, .irq = irq };
}

/* The RTC's clock: the host's wall clock (the guest may offset it). */
static int64_t vm_wall_ns(void *opaque)
{
	(void)opaque;
	return host_wall_ns();
}

int vm_create(struct vm *vm, const struct vm_options *opt, char *err, size_t errlen)
{
	int r;

	memset(vm, 0, sizeof(*vm));
	vm->opt = *opt;
	vm->ram_fd = -1;
	vm->ata.fd = -1;
	vm->ram_size = opt->mem_size;
	vm->vcpu.last_vector = -1;

	/* 0. The vCPU thread's buffers. */
	vm->scratch = aligned_alloc(64, sizeof(*vm->scratch));
	if (!vm->scratch) {
		snprintf(err, errlen, "cannot allocate the monitor's buffers: %s", strerror(errno));
		goto err_host;
	}
	/* 1. Guest RAM: one memfd, mapped once here (HVA = ram + GPA). */
	vm->ram_fd = memfd_create("trapvisor-ram", MFD_CLOEXEC);
	if (vm->ram_fd < 0 || ftruncate(vm->ram_fd, vm->ram_size) < 0) {
		snprintf(err, errlen, "cannot allocate %llu MiB of guest RAM: %s",
			 (unsigned long long)(vm->ram_size >> 20), strerror(errno));
		goto err_host;
	}
	vm->ram = mmap(NULL, vm->ram_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->ram_fd, 0);
	if (vm->ram == MAP_FAILED) {
		vm->ram = NULL;
		snprintf(err, errlen, "cannot map %llu MiB of guest RAM: %s",
			 (unsigned long long)(vm->ram_size >> 20), strerror(errno));
		goto err_host;
	}
	/* 2. Devices on the port bus. */
	bus_init(&vm->bus);
	pic_init(&vm->pic);
	if (console_open(opt->console, &vm->console, err, errlen) < 0)
		goto err_host;
	uart_init(&vm->com1, vm->console.out_fd, vm_irq_line(vm, 4));
	if (vm->console.pty) {
		vm->com1.tx_stall_ms = 2000;   /* maybe nobody attached (console.c) */
		vm->com1.tx_onlcr = true;      /* as a host terminal's output would */
	}
	pit_init(&vm->pit, vm_irq_line(vm, 0));
	rtc_init(&vm->rtc, vm_irq_line(vm, 8), vm_wall_ns, vm);
	debug_exit_init(&vm->dbgexit, false);
	debug_exit_init(&vm->qemu_exit, true);
	ata_init(&vm->ata, -1, 0, false, NULL, NULL);   /* an empty channel */
	if (opt->disk && disk_open(opt->disk, &vm->ata, err, errlen) < 0) {
		vm_destroy(vm);
		return EXIT_USAGE;
	}
	vm->ata.irq = vm_irq_line(vm, ATA_IRQ);
	if (bus_register(&vm->bus, PORT_PIC_MASTER, 2, "pic", pic_master_io, &vm->pic) < 0 ||
	    bus_register(&vm->bus, PORT_PIC_SLAVE, 2, "pic", pic_slave_io, &vm->pic) < 0 ||
	    bus_register(&vm->bus, PORT_PIT, 4, "pit", pit_io, &vm->pit) < 0 ||
	    bus_register(&vm->bus, PORT_RTC, 2, "rtc", rtc_io, &vm->rtc) < 0 ||
	    bus_register(&vm->bus, PORT_COM1, 8, "com1", uart_io, &vm->com1) < 0 ||
	    bus_register(&vm->bus, PORT_DEBUG_EXIT, 1, "debug-exit", debug_exit_io, &vm->dbgexit) < 0 ||
	    bus_register(&vm->bus, PORT_QEMU_EXIT, 1, "qemu-exit", debug_exit_io, &vm->qemu_exit) < 0 ||
	    bus_register(&vm->bus, ATA_PORT_CMD, 8, "ata", ata_cmd_io, &vm->ata) < 0 ||
	    bus_register(&vm->bus, ATA_PORT_CTL, 1, "ata-ctl", ata_ctl_io, &vm->ata) < 0 ||
	    bus_register(&vm->bus, PORT_BENCH_MARK, 4, "bench-mark", vm_bench_mark, vm) < 0 ||
	    bus_register(&vm->bus, PORT_TRAP_COUNT, 4, "trap-count", vm_trap_count, vm) < 0) {
		snprintf(err, errlen, "device ports overlap");
		goto err_host;
	}
	if (opt->bench_log) {
		vm->bench = fopen(opt->bench_log, "w");
		if (!vm->bench) {
			snprintf(err, errlen, "%s: %s", opt->bench_log, strerror(errno));
			vm_destroy(vm);
			return EXIT_USAGE;
		}
		fprintf(vm->bench, "mark,ns,stops,hidden_faults,guest_faults,pt_writes,"
			"pt_entries_changed,ctx_switches,ctx_built,ctx_reused,cr3_loads,batches,folded\n");
	}
	if (opt->trace) {
		if (trace_open(&vm->trace, vm, opt->trace, opt->trace_limit, err, errlen) < 0) {
			vm_destroy(vm);
			return EXIT_USAGE;
		}
		vm->stats.trace = vm->trace;
	}
	/* 3. The kernel, initrd, boot_info and boot page tables; vCPU entry state. */
	if (loader_boot(vm, err, errlen) < 0) {
		vm_destroy(vm);
		return EXIT_USAGE;
	}
	/* 4. One CPU for the monitor and its contexts, the least loaded: they
	 * then hand over without an inter-processor wake-up (place.c). */
	r = place_start(&vm->place, opt, err, errlen);
	if (r < 0) {
		vm_destroy(vm);
		return -r;
	}
	/* 5. The stub and the shadow context pool. */
	if (stub_init(&vm->stub, vm->ram_fd, err, errlen) < 0)
		goto err_host;
	vm->stub.cpuid_faulting_off = !opt->cpuid_faulting;
	vm->stub.signal = opt->signal_backend;
	vm->stub.signal_spin = opt->signal_spin;
	vm->stub.fold = opt->map_on_resume;
	/* Where the host ignores RDTSC trapping, asking for it in every context
	 * only makes each switch to and from them dearer (CR4.TSD rewritten). */
	int rdtsc_honoured = host_rdtsc_traps();
	vm->stub.rdtsc_trap_off = opt->rdtsc_trap == 0 ||
				  (opt->rdtsc_trap < 0 && rdtsc_honoured == 0);
	vm->thread_match = -1;
	if (shadow_init(&vm->shadow, &vm->stub, vm->ram, vm->ram_size,
			opt->contexts ? opt->contexts : SHADOW_DEFAULT_CONTEXTS, opt->prefetch) < 0) {
		snprintf(err, errlen, "cannot allocate the shadow page bookkeeping");
		goto err_host;
	}
	/* The copies also carry a debugger's breakpoints (gdb_target.c). */
	if ((opt->patch || opt->gdb) && shadow_patch_init(&vm->shadow) < 0) {
		snprintf(err, errlen, "cannot set up code patching: %s", strerror(errno));
		goto err_host;
	}
	/* 6. Time: the guest's TSC runs at the host's rate; tell it how fast. */
	vm->tsc_khz = host_tsc_calibrate(rdtsc_honoured == 1);
	((struct boot_info *)(vm->ram + vm->vcpu.gpr[R_RDI]))->tsc_khz = vm->tsc_khz;
	/* 7. The I/O thread: console input, the timer, signals. */
	if (io_start(&vm->io, &vm->console, err, errlen) < 0)
		goto err_host;
	/* 8. Watch the CPU's load, and move the VM when it stays contended. */
	if (place_watch(&vm->place, err, errlen) < 0)
		goto err_host;
	/* 9. The GDB stub's socket and its connection thread (gdbstub.c). */
	if (opt->gdb && (r = gdb_create(vm, err, errlen)) != 0) {
		vm_destroy(vm);
		return r;
	}
	return 0;
err_host:
	vm_destroy(vm);
	return EXIT_HOST_ERROR;
}

void vm_destroy(struct vm *vm)
{
	gdb_destroy(vm);
	qmp_stop(vm);
	migrate_destroy(vm);
	place_stop(&vm->place);
	io_stop(&vm->io);
	console_close(&vm->console);
	if (vm->bench)
		fclose(vm->bench);
	vm->bench = NULL;
	if (vm->trace) {
		char err[256];

		if (trace_close(vm->trace, err, sizeof(err)) < 0)
			fprintf(stderr, "trapvisor: %s\n", err);
		vm->trace = vm->stats.trace = NULL;
	}
	shadow_destroy(&vm->shadow);
	ksyms_free(&vm->ksyms);
	if (vm->stub.data)
		stub_destroy(&vm->stub);
	if (vm->ram)
		munmap(vm->ram, vm->ram_size);
	if (vm->ram_fd >= 0)
		close(vm->ram_fd);
	if (vm->ata.fd >= 0)
		close(vm->ata.fd);       /* and with it the image's lock */
	free(vm->scratch);
	vm->scratch = NULL;
	vm->ram = NULL;
	vm->ram_fd = -1;
	vm->ata.fd = -1;
}
