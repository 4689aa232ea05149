/*
 * ctl.c: what the outside asks of a running VM, done on the vCPU thread
 * between two stops, where the vCPU's registers and every device are in
 * their structs and nothing is half done: Ctrl-A s on the console (a
 * snapshot to --snapshot-file), the commands of the control socket
 * (qmp.c), and the pause that QMP's "stop" asks for.
 *
 * The run loop calls ctl_events() with every batch of events the I/O
 * thread (or the QMP thread, through io_wake()) noted.  A paused VM waits
 * here, asleep on the same eventfd, serving commands until "cont" or
 * "quit" (or sending a migration started while paused); the guest sees no
 * time pass while it is paused (vm_time_shift()).
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "vm.h"
#include "host_time.h"

int ctl_save(struct vm *vm, const char *path, char *err, size_t errlen)
{
	/* On a terminal the console is in raw mode: lines end with \r\n. */
	const char *nl = vm->io.tty ? "\r\n" : "\n";
	struct stat st;
	u64 t0 = host_mono_ns();

	if (snapshot_save(vm, path, err, errlen) < 0)
		return -1;
	fprintf(stderr, "%strapvisor: snapshot saved to %s (%.1f MiB in %.1f ms)%s", nl, path,
		stat(path, &st) == 0 ? st.st_size / 1048576.0 : 0.0, (host_mono_ns() - t0) / 1e6, nl);
	return 0;
}

/* Ctrl-A s. */
static void ctl_console_save(struct vm *vm)
{
	char err[512];

	if (!vm->opt.snapshot_file)
		fprintf(stderr, "\r\ntrapvisor: Ctrl-A s: no --snapshot-file FILE to save to\r\n");
	else if (ctl_save(vm, vm->opt.snapshot_file, err, sizeof(err)) < 0)
		fprintf(stderr, "\r\ntrapvisor: snapshot not saved: %s\r\n", err);
}

static void ctl_once(struct vm *vm)
{
	if (atomic_exchange(&vm->io.save_requested, false))
		ctl_console_save(vm);
	if (vm->qmp)
		qmp_serve(vm);
}

void ctl_events(struct vm *vm)
{
	ctl_once(vm);
	while (vm->paused && !vm->stop && !atomic_load(&vm->io.quit)) {
		/* A move started or going on while paused (QEMU's "stop;
		 * migrate") proceeds here; the guest stays where it is. */
		if (migrate_active(vm)) {
			migrate_step(vm);
			ctl_once(vm);
			continue;
		}
		int r = io_sleep(&vm->io);
		if (r < 0) {
			vm_kill(vm, "waiting for a command while paused: %s", strerror(-r));
			return;
		}
		ctl_once(vm);
	}
}
