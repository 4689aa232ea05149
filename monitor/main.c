/*
 * trapvisor: boot a guest kernel deprivileged, as ordinary host processes.
 * main() is the start-up order, one call per step, and the only place the
 * process exits.  Each status trapvisor gives for itself (EXIT_* in vm.h,
 * 128 + a signal) comes with one "trapvisor: ..." line on stderr, the
 * guest's own with none (README "Exit status"): a guest that writes 1 to
 * its debug-exit port is never taken for a host failure.
 */
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vm.h"
#include "host_time.h"

/* The guest kernel built next to this binary (build/guest-kernel.elf); a
 * sanitizer build in build-san/ uses the one in build/. */
static void default_kernel(char *path, size_t size)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0) {
		snprintf(path, size, "guest-kernel.elf");
		return;
	}
	exe[n] = 0;
	const char *dir = dirname(exe);
	snprintf(path, size, "%s/guest-kernel.elf", dir);
	if (access(path, R_OK) != 0) {
		char alt[PATH_MAX + 32];
		snprintf(alt, sizeof(alt), "%s/../build/guest-kernel.elf", dir);
		if (access(alt, R_OK) == 0)
			snprintf(path, size, "%s", alt);
	}
}

int main(int argc, char **argv)
{
	static struct vm vm;
	struct vm_options opt;
	char kernel[PATH_MAX + 32], err[512];
	int r;

	/* 1. The command line. */
	default_kernel(kernel, sizeof(kernel));
	r = cli_parse(argc, argv, &opt, kernel, stdout, stderr);
	if (r != 0)
		return r > 0 ? 0 : EXIT_USAGE;

	/* 2. A console that was closed must not kill the monitor mid-run. */
	signal(SIGPIPE, SIG_IGN);

	/* 3. RAM, devices, kernel, contexts.  An incoming migration's disk is
	 * still locked by its source: it is opened when the stream ends. */
	const char *disk = opt.disk;
	if (opt.incoming)
		opt.disk = NULL;
	r = vm_create(&vm, &opt, err, sizeof(err));
	if (r != 0) {
		fprintf(stderr, "trapvisor: %s%s\n", r == EXIT_HOST_ERROR ? "host failure: " : "", err);
		return r;
	}
	vm.opt.disk = disk;

	/* 3a. A saved or moving VM replaces the fresh one before it runs;
	 * 3b. the control socket. */
	u64 t0 = host_mono_ns();
	if ((opt.loadvm && snapshot_load(&vm, opt.loadvm, err, sizeof(err)) < 0) ||
	    (opt.incoming && migrate_incoming(&vm, opt.incoming, disk, err, sizeof(err)) < 0) ||
	    (opt.qmp && qmp_start(&vm, opt.qmp, err, sizeof(err)) < 0)) {
		fprintf(stderr, "trapvisor: %s\n", err);
		vm_destroy(&vm);
		return EXIT_USAGE;
	}
	if (opt.loadvm)
		fprintf(stderr, "trapvisor: restored %s in %.1f ms\n", opt.loadvm,
			(host_mono_ns() - t0) / 1e6);

	/* 4. Run until the guest shuts down or is stopped. */
	r = vm_run(&vm);
	fflush(stdout);
	vm_report(&vm, stderr);
	vm_destroy(&vm);
	return r;
}
