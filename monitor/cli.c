/*
 * The command line: `trapvisor [options] [KERNEL]` becomes a struct
 * vm_options.  Parsing is pure (no file is opened here: the loader checks the
 * kernel and initrd and names them when they are wrong), writes only to the
 * FILE streams it is given, and can run any number of times in one process,
 * so the tests drive it directly.  Every refusal is exactly one line on
 * 'err' naming the option and the value that was wrong.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"
#include "trapvisor/boot.h"

#define PAGE_SIZE 4096ull
#define SEE_HELP "(see trapvisor --help)"

enum {
	OPT_APPEND = 256,
	OPT_INITRD,
	OPT_STATS,
	OPT_NO_PIN,
	OPT_SHADOW_CONTEXTS,
	OPT_SHADOW_PREFETCH,
	OPT_SHADOW_CHECK,
	OPT_BENCH_LOG,
	OPT_PATCH,
	OPT_CHAIN,
	OPT_MAP_ON_RESUME,
	OPT_DISK,
	OPT_CPUID_FAULTING,
	OPT_RDTSC_TRAP,
	OPT_BACKEND,
	OPT_SIGNAL_SPIN,
	OPT_VCPU_THREAD_MATCH,
	OPT_CPU,
	OPT_CONSOLE,
	OPT_BACKTRACE_USER,
	OPT_TRACE,
	OPT_TRACE_LIMIT,
	OPT_GDB,
	OPT_LOADVM,
	OPT_SNAPSHOT_FILE,
	OPT_QMP,
	OPT_INCOMING,
	OPT_MIGRATE_DOWNTIME,
};

static const struct option long_options[] = {
	{ "memory",  required_argument, NULL, 'm' },
	{ "append",  required_argument, NULL, OPT_APPEND },
	{ "initrd",  required_argument, NULL, OPT_INITRD },
	{ "disk",    required_argument, NULL, OPT_DISK },
	{ "console", required_argument, NULL, OPT_CONSOLE },
	{ "stats",   no_argument,       NULL, OPT_STATS },
	{ "no-pin",  no_argument,       NULL, OPT_NO_PIN },
	{ "cpu",     required_argument, NULL, OPT_CPU },
	{ "shadow-contexts", required_argument, NULL, OPT_SHADOW_CONTEXTS },
	{ "shadow-prefetch", required_argument, NULL, OPT_SHADOW_PREFETCH },
	{ "shadow-check",    optional_argument, NULL, OPT_SHADOW_CHECK },
	{ "bench-log",       required_argument, NULL, OPT_BENCH_LOG },
	{ "patch",           required_argument, NULL, OPT_PATCH },
	{ "chain",           required_argument, NULL, OPT_CHAIN },
	{ "map-on-resume",   required_argument, NULL, OPT_MAP_ON_RESUME },
	{ "cpuid-faulting",  required_argument, NULL, OPT_CPUID_FAULTING },
	{ "rdtsc-trap",      required_argument, NULL, OPT_RDTSC_TRAP },
	{ "backend",         required_argument, NULL, OPT_BACKEND },
	{ "signal-spin",     required_argument, NULL, OPT_SIGNAL_SPIN },
	{ "vcpu-thread-match", required_argument, NULL, OPT_VCPU_THREAD_MATCH },
	{ "backtrace-user",  no_argument,       NULL, OPT_BACKTRACE_USER },
	{ "trace",           required_argument, NULL, OPT_TRACE },
	{ "trace-limit",     required_argument, NULL, OPT_TRACE_LIMIT },
	{ "gdb",             required_argument, NULL, OPT_GDB },
	{ "loadvm",          required_argument, NULL, OPT_LOADVM },
	{ "snapshot-file",   required_argument, NULL, OPT_SNAPSHOT_FILE },
	{ "qmp",             required_argument, NULL, OPT_QMP },
	{ "incoming",        required_argument, NULL, OPT_INCOMING },
	{ "migrate-downtime", required_argument, NULL, OPT_MIGRATE_DOWNTIME },
	{ "help",    no_argument,       NULL, 'h' },
	{ "version", no_argument,       NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *out, const char *default_kernel)
{
	char def[32];

	fprintf(out,
		"usage: trapvisor [options] [KERNEL]\n"
		"Run the ELF64 x86-64 kernel KERNEL (default: %s) in a\n"
		"trap-and-emulate virtual machine, without hardware virtualization.\n"
		"\n"
		"  -m, --memory SIZE   guest RAM: bytes, or a number with K, M, G or T\n"
		"                      (powers of 1024); default %s, rounded up to 4 KiB\n"
		"      --append LINE   kernel command line (at most %d bytes)\n"
		"      --initrd FILE   load FILE (a cpio \"newc\" archive, plain or gzip) as\n"
		"                      the initrd\n"
		"      --disk FILE[,ro]  attach FILE, a raw image, as the guest's disk (ATA\n"
		"                      at 0x1f0, IRQ 14, and paravirtual); ,ro: read-only\n"
		"      --console stdio|pty  the guest's console: this terminal (default),\n"
		"                      or a new pseudo-terminal whose path is printed, for\n"
		"                      screen or minicom to attach to\n"
		"      --stats         print the table of traps and port I/O at exit\n"
		"      --cpu N         run the monitor and guest on host CPU N (default: the\n"
		"                      least-loaded allowed CPU, moving when it stays contended)\n"
		"      --no-pin        do not keep the monitor and guest on one CPU\n"
		"      --shadow-contexts N  guest address spaces kept as host processes\n"
		"                      (2-%d, default %d; the least recently used is recycled)\n"
		"      --shadow-prefetch N  on a hidden page fault also map up to N\n"
		"                      accessed neighbours on each side (0-511, default %d)\n"
		"      --shadow-check[=N]  every N stops (default 1) compare every shadow\n"
		"                      mapping with the guest page tables; stop at a mismatch\n"
		"      --bench-log FILE  write a CSV row (time, trap counters) for every\n"
		"                      mark the guest writes to port 0x510\n"
		"      --patch=on|off  scan guest kernel code and patch the silent-fail\n"
		"                      instructions to trap (default on)\n"
		"      --chain=on|off  emulate trapping kernel instructions that follow\n"
		"                      one another (SWAPGS; SYSRETQ) in one stop (default on)\n"
		"      --map-on-resume=on|off  with the ptrace backend, let a context's stub\n"
		"                      make its last mapping changes and go on to guest code\n"
		"                      in one hand-off, not a stop of their own (default on)\n"
		"      --backend=ptrace|signal  how the monitor catches the guest's traps:\n"
		"                      ptrace stops (the default), or a handler in each\n"
		"                      context process that hands them over through shared\n"
		"                      memory (docs/ARCHITECTURE.md, \"The signal backend\")\n"
		"      --signal-spin N  with --backend=signal, PAUSE loops a hand-off spins\n"
		"                      before it sleeps on a futex (default 0; none where the\n"
		"                      VM may use one host CPU only)\n"
		"      --cpuid-faulting=on|off  make the guest's CPUID trap where the host\n"
		"                      offers CPUID faulting (default on; off: it runs natively)\n"
		"      --rdtsc-trap=auto|on|off  make the guest's RDTSC trap, so it reads a\n"
		"                      virtual TSC (auto, the default: where the host honours\n"
		"                      it; on: ask even where it does not; off: RDTSC runs natively)\n"
		"      --vcpu-thread-match=on|off  give the monitor's vCPU thread the contexts'\n"
		"                      RDTSC and CPUID settings, so no host task switch between\n"
		"                      them rewrites CR4 (default on; off: to measure that cost)\n"
		"      --backtrace-user  when a guest program dies of a core-dumping signal\n"
		"                      (SIGSEGV, SIGILL, SIGFPE, SIGABRT...), print a libunwind\n"
		"                      backtrace of it, symbols from its file in --initrd\n"
		"      --trace FILE    write a timeline of the run to FILE: Chrome trace event\n"
		"                      JSON for ui.perfetto.dev or chrome://tracing (every stop,\n"
		"                      guest processes and system calls, faults, interrupts)\n"
		"      --trace-limit SIZE  FILE's size at most (default 64M, at least 64K): a\n"
		"                      ring in memory keeps the newest events that fit, older\n"
		"                      ones are dropped and counted in the file\n"
		"      --gdb tcp:HOST:PORT|tcp::PORT|unix:PATH  wait for GDB's remote protocol\n"
		"                      there (tcp::PORT: on 127.0.0.1); a debugger that\n"
		"                      connects stops the guest\n"
		"  -s                  the same as --gdb tcp::1234 (as QEMU)\n"
		"  -S                  with -s or --gdb: run no guest instruction before the\n"
		"                      debugger continues it\n"
		"      --loadvm FILE   start from the snapshot FILE (same KERNEL, -m and\n"
		"                      --disk image as when it was saved)\n"
		"      --snapshot-file FILE  where Ctrl-A s on the console saves a snapshot\n"
		"      --qmp unix:PATH  a control socket (QMP: stop, cont, query-status,\n"
		"                      query-stats, savevm, migrate, query-migrate, quit)\n"
		"      --incoming URI  receive a running VM (unix:PATH, tcp:HOST:PORT or\n"
		"                      file:PATH) from another trapvisor's migrate, then run it\n"
		"      --migrate-downtime MS  a migration stops the guest for the last pages\n"
		"                      once they would take at most MS ms (default %d)\n"
		"  -h, --help          show this help and exit\n"
		"  -V, --version       show the version and exit\n"
		"\n"
		"Exit status: the guest's own (what it wrote to its debug-exit port), with\n"
		"no \"trapvisor: ...\" line on stderr; after such a line, %d for a host\n"
		"failure, %d for a bad command line or input file, %d when the VM stopped\n"
		"with a diagnostic, 128 + N for host signal N (SIGINT, SIGTERM, SIGHUP).\n",
		default_kernel ? default_kernel : "none",
		cli_format_size(VM_DEFAULT_MEM, def, sizeof(def)),
		BOOT_CMDLINE_MAX - 1, SHADOW_MAX_CONTEXTS, SHADOW_DEFAULT_CONTEXTS,
		SHADOW_DEFAULT_PREFETCH, VM_DEFAULT_DOWNTIME_MS, EXIT_HOST_ERROR, EXIT_USAGE, EXIT_GUEST_CRASH);
}

const char *cli_format_size(u64 bytes, char *buf, size_t len)
{
	static const char *const unit[] = { "TiB", "GiB", "MiB", "KiB" };

	for (int i = 0; i < 4; i++) {
		unsigned shift = 40 - 10 * i;

		if (bytes && (bytes & ((1ull << shift) - 1)) == 0) {
			snprintf(buf, len, "%" PRIu64 " %s", bytes >> shift, unit[i]);
			return buf;
		}
	}
	snprintf(buf, len, "%" PRIu64 " bytes", bytes);
	return buf;
}

/* Digits, then at most one unit letter; nothing else (no sign, no spaces). */
int cli_parse_size(const char *s, u64 *bytes)
{
	u64 v = 0;
	unsigned shift = 0;
	const char *p = s;

	if (*p < '0' || *p > '9') {
		errno = EINVAL;
		return -1;
	}
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (UINT64_MAX - d) / 10) {
			errno = ERANGE;
			return -1;
		}
		v = v * 10 + d;
	}
	switch (*p) {
	case '\0':            break;
	case 'K': case 'k':   shift = 10; p++; break;
	case 'M': case 'm':   shift = 20; p++; break;
	case 'G': case 'g':   shift = 30; p++; break;
	case 'T': case 't':   shift = 40; p++; break;
	default:
		errno = EINVAL;
		return -1;
	}
	if (*p != '\0') {
		errno = EINVAL;
		return -1;
	}
	if (shift && v > (UINT64_MAX >> shift)) {
		errno = ERANGE;
		return -1;
	}
	*bytes = v << shift;
	return 0;
}

/* -m SIZE: parsed, rounded up to a page, and inside [VM_MIN_MEM, VM_MAX_MEM].
 * Returns 0, or -1 after the one-line error. */
static int parse_memory(const char *arg, u64 *mem, FILE *err)
{
	char lo[32], hi[32];
	u64 v;

	if (cli_parse_size(arg, &v) < 0) {
		if (errno == ERANGE)
			fprintf(err, "trapvisor: -m %s: size does not fit in 64 bits " SEE_HELP "\n",
				arg);
		else
			fprintf(err, "trapvisor: -m %s: not a size (bytes, or a number with K, M, G or T) "
				SEE_HELP "\n", arg);
		return -1;
	}
	/* Round up to a page; a value this close to 2^64 is refused below anyway. */
	if (v <= UINT64_MAX - (PAGE_SIZE - 1))
		v = (v + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	if (v < VM_MIN_MEM || v > VM_MAX_MEM) {
		fprintf(err, "trapvisor: -m %s: memory size must be between %s and %s " SEE_HELP "\n",
			arg, cli_format_size(VM_MIN_MEM, lo, sizeof(lo)),
			cli_format_size(VM_MAX_MEM, hi, sizeof(hi)));
		return -1;
	}
	*mem = v;
	return 0;
}

/* A whole number in [lo, hi] for option 'name', or one line to err. */
static int parse_count(const char *name, const char *arg, u64 lo, u64 hi, u64 *n, FILE *err)
{
	char *end;

	errno = 0;
	unsigned long long v = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || v < lo || v > hi) {
		fprintf(err, "trapvisor: %s %s: expected a whole number from %llu to %llu " SEE_HELP "\n",
			name, arg, (unsigned long long)lo, (unsigned long long)hi);
		return -1;
	}
	*n = v;
	return 0;
}

/* "on" or "off" for option 'name', or one line to err. */
static int parse_on_off(const char *name, const char *arg, bool *on, FILE *err)
{
	if (strcmp(arg, "on") && strcmp(arg, "off")) {
		fprintf(err, "trapvisor: %s %s: expected on or off " SEE_HELP "\n", name, arg);
		return -1;
	}
	*on = !strcmp(arg, "on");
	return 0;
}

/*
 * getopt_long with opterr = 0 and a leading ':' in the short options, so
 * that every complaint is ours and one line.  optind = 0 makes glibc
 * reinitialise its scanner: cli_parse can then be called again (tests).
 */
int cli_parse(int argc, char **argv, struct vm_options *opt, const char *default_kernel,
	      FILE *out, FILE *err)
{
	u64 n;
	int c;

	*opt = (struct vm_options){
		.kernel = default_kernel,
		.initrd = NULL,
		.append = "",
		.mem_size = VM_DEFAULT_MEM,
		.stats = false,
		.pin = true,
		.cpu = -1,
		.prefetch = SHADOW_DEFAULT_PREFETCH,
		.patch = true,
		.chain = true,
		.map_on_resume = true,
		.cpuid_faulting = true,
		.rdtsc_trap = -1,
		.vcpu_thread_match = true,
		.trace_limit = TRACE_DEFAULT_LIMIT,
		.migrate_downtime_ms = VM_DEFAULT_DOWNTIME_MS,
	};

	optind = 0;
	opterr = 0;
	for (;;) {
		int before = optind;
		const char *word;
		bool is_long;

		c = getopt_long(argc, argv, ":m:hVsS", long_options, NULL);
		if (c == -1)
			break;
		/* The word getopt just finished, for messages about it.  Inside a
		 * cluster of short options ("-hx") optind does not move, and the
		 * option is short: its letter is in optopt. */
		word = argv[optind - 1];
		is_long = optind > before && strncmp(word, "--", 2) == 0;

		switch (c) {
		case 'm':
			if (parse_memory(optarg, &opt->mem_size, err) < 0)
				return -1;
			break;
		case OPT_APPEND:
			if (strlen(optarg) > BOOT_CMDLINE_MAX - 1) {
				fprintf(err, "trapvisor: --append: the command line is %zu bytes, "
					"at most %d fit " SEE_HELP "\n",
					strlen(optarg), BOOT_CMDLINE_MAX - 1);
				return -1;
			}
			opt->append = optarg;
			break;
		case OPT_INITRD:
			opt->initrd = optarg;
			break;
		case OPT_DISK:
			opt->disk = optarg;
			break;
		case OPT_CONSOLE:
			if (strcmp(optarg, "stdio") != 0 && strcmp(optarg, "pty") != 0) {
				fprintf(err, "trapvisor: --console %s: not stdio or pty " SEE_HELP "\n", optarg);
				return -1;
			}
			opt->console = optarg;
			break;
		case OPT_STATS:
			opt->stats = true;
			break;
		case OPT_NO_PIN:
			opt->pin = false;
			break;
		case OPT_CPU:
			if (parse_count("--cpu", optarg, 0, CPU_SETSIZE - 1, &n, err) < 0)
				return -1;
			opt->cpu = (int)n;
			break;
		case OPT_SHADOW_CONTEXTS:
			if (parse_count("--shadow-contexts", optarg, 2, SHADOW_MAX_CONTEXTS, &n, err) < 0)
				return -1;
			opt->contexts = (int)n;
			break;
		case OPT_SHADOW_PREFETCH:
			if (parse_count("--shadow-prefetch", optarg, 0, 511, &n, err) < 0)
				return -1;
			opt->prefetch = (int)n;
			break;
		case OPT_SHADOW_CHECK:
			n = 1;
			if (optarg && parse_count("--shadow-check", optarg, 1, UINT32_MAX, &n, err) < 0)
				return -1;
			opt->shadow_check = n;
			break;
		case OPT_BENCH_LOG:
			opt->bench_log = optarg;
			break;
		case OPT_PATCH:
			if (parse_on_off("--patch", optarg, &opt->patch, err) < 0)
				return -1;
			break;
		case OPT_CHAIN:
			if (parse_on_off("--chain", optarg, &opt->chain, err) < 0)
				return -1;
			break;
		case OPT_MAP_ON_RESUME:
			if (parse_on_off("--map-on-resume", optarg, &opt->map_on_resume, err) < 0)
				return -1;
			break;
		case OPT_CPUID_FAULTING:
			if (parse_on_off("--cpuid-faulting", optarg, &opt->cpuid_faulting, err) < 0)
				return -1;
			break;
		case OPT_BACKEND:
			if (!strcmp(optarg, "signal") || !strcmp(optarg, "ptrace")) {
				opt->signal_backend = !strcmp(optarg, "signal");
			} else {
				fprintf(err, "trapvisor: --backend %s: not ptrace or signal " SEE_HELP "\n", optarg);
				return -1;
			}
			break;
		case OPT_SIGNAL_SPIN:
			if (parse_count("--signal-spin", optarg, 0, 1000000, &n, err) < 0)
				return -1;
			opt->signal_spin = (u32)n;
			break;
		case OPT_RDTSC_TRAP:
			if (!strcmp(optarg, "auto")) {
				opt->rdtsc_trap = -1;
			} else {
				bool on;
				if (parse_on_off("--rdtsc-trap", optarg, &on, err) < 0)
					return -1;
				opt->rdtsc_trap = on;
			}
			break;
		case OPT_VCPU_THREAD_MATCH:
			if (parse_on_off("--vcpu-thread-match", optarg, &opt->vcpu_thread_match, err) < 0)
				return -1;
			break;
		case OPT_BACKTRACE_USER:
			opt->backtrace_user = true;
			break;
		case OPT_TRACE:
			opt->trace = optarg;
			break;
		case OPT_TRACE_LIMIT:
			if (cli_parse_size(optarg, &n) < 0 || n < (64u << 10) || n > (64ull << 30)) {
				fprintf(err, "trapvisor: --trace-limit %s: expected a size from 64K to 64G "
					SEE_HELP "\n", optarg);
				return -1;
			}
			opt->trace_limit = n;
			break;
		case OPT_GDB: {
			char why[256];

			if (gdb_spec_check(optarg, why, sizeof(why)) < 0) {
				fprintf(err, "trapvisor: %s " SEE_HELP "\n", why);
				return -1;
			}
			opt->gdb = optarg;
			break;
		}
		case 's':
			opt->gdb = "tcp::1234";
			break;
		case 'S':
			opt->gdb_wait = true;
			break;
		case OPT_LOADVM:
			opt->loadvm = optarg;
			break;
		case OPT_SNAPSHOT_FILE:
			opt->snapshot_file = optarg;
			break;
		case OPT_QMP:
			if (strncmp(optarg, "unix:", 5) || !optarg[5]) {
				fprintf(err, "trapvisor: --qmp %s: expected unix:PATH " SEE_HELP "\n", optarg);
				return -1;
			}
			opt->qmp = optarg;
			break;
		case OPT_INCOMING:
			if (strncmp(optarg, "unix:", 5) && strncmp(optarg, "tcp:", 4) &&
			    strncmp(optarg, "file:", 5)) {
				fprintf(err, "trapvisor: --incoming %s: expected unix:PATH, tcp:HOST:PORT "
					"or file:PATH " SEE_HELP "\n", optarg);
				return -1;
			}
			opt->incoming = optarg;
			break;
		case OPT_MIGRATE_DOWNTIME:
			if (parse_count("--migrate-downtime", optarg, 1, 3600000, &n, err) < 0)
				return -1;
			opt->migrate_downtime_ms = n;
			break;
		case 'h':
			usage(out, default_kernel);
			return 1;
		case 'V':
			fprintf(out, "trapvisor " TRAPVISOR_VERSION "\n");
			return 1;
		case ':':
			if (is_long)
				fprintf(err, "trapvisor: option '%s' needs an argument " SEE_HELP "\n",
					word);
			else
				fprintf(err, "trapvisor: option '-%c' needs an argument " SEE_HELP "\n",
					optopt);
			return -1;
		default:
			/* '?': an unknown option, an ambiguous abbreviation, or an
			 * argument given to a long option that takes none. */
			if (is_long && optopt)
				fprintf(err, "trapvisor: option '%s' takes no argument " SEE_HELP "\n",
					word);
			else if (is_long)
				fprintf(err, "trapvisor: unknown option '%s' " SEE_HELP "\n", word);
			else
				fprintf(err, "trapvisor: unknown option '-%c' " SEE_HELP "\n", optopt);
			return -1;
		}
	}

	if (optind < argc)
		opt->kernel = argv[optind++];
	if (optind < argc) {
		fprintf(err, "trapvisor: unexpected argument '%s': only one KERNEL " SEE_HELP "\n",
			argv[optind]);
		return -1;
	}
	if (opt->gdb_wait && !opt->gdb) {
		fprintf(err, "trapvisor: -S waits for a debugger: give -s or --gdb too " SEE_HELP "\n");
		return -1;
	}
	if (opt->loadvm && opt->incoming) {
		fprintf(err, "trapvisor: --loadvm and --incoming both give the VM to start: "
			"choose one " SEE_HELP "\n");
		return -1;
	}
	if (!opt->kernel || !*opt->kernel) {
		fprintf(err, "trapvisor: no KERNEL given " SEE_HELP "\n");
		return -1;
	}
	return 0;
}
