/*
 * Unit tests for monitor/cli.c: the defaults, every option, size parsing
 * and its refusals.  Each refusal must return -1 and print exactly one line
 * on err that starts with "trapvisor: " and names the value that was wrong;
 * --help and --version return 1 and print on out only.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vm.h"
#include "trapvisor/boot.h"

#define MAX_ARGS 16

/* One run of cli_parse: argv copies (the options point into them) and
 * what was printed. */
struct run {
	char store[MAX_ARGS][2048];
	char *argv[MAX_ARGS + 1];
	struct vm_options opt;
	char out[8192];
	char err[8192];
	int rc;
};

/* Run cli_parse on the NULL-terminated words after "trapvisor", with
 * default kernel 'def'.  Returns r->rc. */
static int run_cli(struct run *r, const char *def, ...)
{
	FILE *out = tmpfile(), *err = tmpfile();
	const char *w;
	va_list ap;
	int argc = 0;
	size_t n;

	assert_non_null(out);
	assert_non_null(err);
	memset(r, 0, sizeof(*r));
	snprintf(r->store[argc], sizeof(r->store[0]), "trapvisor");
	r->argv[argc] = r->store[argc];
	argc++;
	va_start(ap, def);
	while ((w = va_arg(ap, const char *)) != NULL) {
		assert_true(argc < MAX_ARGS);
		snprintf(r->store[argc], sizeof(r->store[0]), "%s", w);
		r->argv[argc] = r->store[argc];
		argc++;
	}
	va_end(ap);
	r->argv[argc] = NULL;

	r->rc = cli_parse(argc, r->argv, &r->opt, def, out, err);

	rewind(out);
	n = fread(r->out, 1, sizeof(r->out) - 1, out);
	r->out[n] = '\0';
	rewind(err);
	n = fread(r->err, 1, sizeof(r->err) - 1, err);
	r->err[n] = '\0';
	fclose(out);
	fclose(err);
	return r->rc;
}

/* A refusal: -1, nothing on out, one line on err naming 'what'. */
static void assert_refused(const struct run *r, const char *what)
{
	const char *nl = strchr(r->err, '\n');

	assert_int_equal(r->rc, -1);
	assert_string_equal(r->out, "");
	assert_non_null(nl);
	assert_int_equal(nl[1], '\0');                 /* exactly one line */
	assert_int_equal(strncmp(r->err, "trapvisor: ", 11), 0);
	assert_non_null(strstr(r->err, "--help"));
	if (!strstr(r->err, what))
		fail_msg("message \"%s\" does not contain \"%s\"", r->err, what);
}

static void test_defaults(void **state)
{
	static struct run r;

	assert_int_equal(run_cli(&r, "build/guest-kernel.elf", NULL), 0);
	assert_string_equal(r.opt.kernel, "build/guest-kernel.elf");
	assert_null(r.opt.initrd);
	assert_string_equal(r.opt.append, "");
	assert_int_equal(r.opt.mem_size, 256ull << 20);
	assert_false(r.opt.stats);
	assert_true(r.opt.pin);
	assert_true(r.opt.map_on_resume);
	assert_string_equal(r.out, "");
	assert_string_equal(r.err, "");
	assert_int_equal(run_cli(&r, "k.elf", "--map-on-resume=off", NULL), 0);
	assert_false(r.opt.map_on_resume);
}

static void test_all_options(void **state)
{
	static struct run r;

	assert_int_equal(run_cli(&r, "def.elf", "-m", "1G", "--append", "console=ttyS0 quiet",
				 "--initrd", "root.cpio", "--stats", "--no-pin", "k.elf", NULL), 0);
	assert_string_equal(r.opt.kernel, "k.elf");
	assert_string_equal(r.opt.initrd, "root.cpio");
	assert_string_equal(r.opt.append, "console=ttyS0 quiet");
	assert_int_equal(r.opt.mem_size, 1ull << 30);
	assert_true(r.opt.stats);
	assert_false(r.opt.pin);
	assert_string_equal(r.err, "");

	/* Options after KERNEL, and the --long=value form. */
	assert_int_equal(run_cli(&r, "def.elf", "k2.elf", "--memory=512M", "--append=x", NULL), 0);
	assert_string_equal(r.opt.kernel, "k2.elf");
	assert_int_equal(r.opt.mem_size, 512ull << 20);
	assert_string_equal(r.opt.append, "x");
	assert_null(r.opt.initrd);
	assert_true(r.opt.pin);
}

/* --backtrace-user, --trace FILE and --trace-limit SIZE (64K to 64G). */
static void test_debug_options(void **state)
{
	static struct run r;

	assert_int_equal(run_cli(&r, "k.elf", NULL), 0);
	assert_false(r.opt.backtrace_user);
	assert_null(r.opt.trace);
	assert_int_equal(r.opt.trace_limit, 64ull << 20);
	assert_int_equal(run_cli(&r, "k.elf", "--backtrace-user", "--trace", "t.json",
				 "--trace-limit", "64K", NULL), 0);
	assert_true(r.opt.backtrace_user);
	assert_string_equal(r.opt.trace, "t.json");
	assert_int_equal(r.opt.trace_limit, 64ull << 10);
	assert_int_equal(run_cli(&r, "k.elf", "--trace-limit=64G", NULL), 0);
	assert_int_equal(r.opt.trace_limit, 64ull << 30);
	run_cli(&r, "k.elf", "--trace-limit", "65535", NULL);
	assert_refused(&r, "--trace-limit 65535: expected a size from 64K to 64G");
	run_cli(&r, "k.elf", "--trace-limit", "65G", NULL);
	assert_refused(&r, "--trace-limit 65G: expected a size from 64K to 64G");
	run_cli(&r, "k.elf", "--trace-limit", "lots", NULL);
	assert_refused(&r, "--trace-limit lots: expected a size");
	run_cli(&r, "k.elf", "--trace", NULL);
	assert_refused(&r, "option '--trace' needs an argument");
	run_cli(&r, "k.elf", "--backtrace-user=yes", NULL);
	assert_refused(&r, "option '--backtrace-user=yes' takes no argument");
}

static void test_memory_sizes(void **state)
{
	static const struct { const char *arg; u64 bytes; } ok[] = {
		{ "256M", 256ull << 20 },
		{ "1G", 1ull << 30 },
		{ "1g", 1ull << 30 },
		{ "64G", 64ull << 30 },             /* VM_MAX_MEM itself */
		{ "4M", 4ull << 20 },               /* VM_MIN_MEM itself */
		{ "4194304", 4ull << 20 },          /* plain bytes */
		{ "65536K", 64ull << 20 },
		{ "4194305", (4ull << 20) + 4096 }, /* rounded up to a page */
		{ "4097K", 4198400 },               /* 4195328 -> 1025 pages */
	};
	static struct run r;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(run_cli(&r, "k.elf", "-m", ok[i].arg, NULL), 0);
		if (r.opt.mem_size != ok[i].bytes)
			fail_msg("-m %s gave %llu, want %llu", ok[i].arg,
				 (unsigned long long)r.opt.mem_size, (unsigned long long)ok[i].bytes);
	}
	/* A plain 65536 is a valid size, but below the minimum. */
	assert_int_equal(run_cli(&r, "k.elf", "-m", "65536", NULL), -1);
	assert_refused(&r, "-m 65536: memory size must be between 4 MiB and 64 GiB");
}

static void test_memory_refused(void **state)
{
	static struct run r;

	run_cli(&r, "k.elf", "-m", "0", NULL);
	assert_refused(&r, "-m 0: memory size must be between 4 MiB and 64 GiB");
	run_cli(&r, "k.elf", "-m", "1T", NULL);
	assert_refused(&r, "trapvisor: -m 1T: memory size must be between 4 MiB and 64 GiB");
	run_cli(&r, "k.elf", "--memory", "65G", NULL);
	assert_refused(&r, "-m 65G: memory size");
	run_cli(&r, "k.elf", "-m", "abc", NULL);
	assert_refused(&r, "-m abc: not a size");
	run_cli(&r, "k.elf", "-m", "12X", NULL);
	assert_refused(&r, "-m 12X: not a size");
	run_cli(&r, "k.elf", "-m", "1MB", NULL);
	assert_refused(&r, "-m 1MB: not a size");
	run_cli(&r, "k.elf", "-m", "-1", NULL);
	assert_refused(&r, "-m -1: not a size");
	run_cli(&r, "k.elf", "-m", "", NULL);
	assert_refused(&r, "-m : not a size");
	run_cli(&r, "k.elf", "-m", "99999999999999999999T", NULL);
	assert_refused(&r, "-m 99999999999999999999T: size does not fit in 64 bits");
	run_cli(&r, "k.elf", "-m", "99999999999999999999", NULL);
	assert_refused(&r, "-m 99999999999999999999: size does not fit");
	run_cli(&r, "k.elf", "-m", "16777216T", NULL);   /* 2^24 T = 2^64 */
	assert_refused(&r, "-m 16777216T: size does not fit");
	/* The option is still refused when a valid -m came before it. */
	run_cli(&r, "k.elf", "-m", "1G", "-m", "2T", NULL);
	assert_refused(&r, "-m 2T");
}

static void test_parse_size(void **state)
{
	u64 v = 12345;

	assert_int_equal(cli_parse_size("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(cli_parse_size("1k", &v), 0);
	assert_int_equal(v, 1024);
	assert_int_equal(cli_parse_size("3T", &v), 0);
	assert_int_equal(v, 3ull << 40);
	assert_int_equal(cli_parse_size("18446744073709551615", &v), 0);
	assert_int_equal(v, UINT64_MAX);
	assert_int_equal(cli_parse_size("16777215T", &v), 0);
	assert_int_equal(v, 16777215ull << 40);

	v = 777;
	errno = 0;
	assert_int_equal(cli_parse_size("18446744073709551616", &v), -1);
	assert_int_equal(errno, ERANGE);
	assert_int_equal(v, 777);                       /* untouched on failure */
	errno = 0;
	assert_int_equal(cli_parse_size("16777216T", &v), -1);
	assert_int_equal(errno, ERANGE);
	errno = 0;
	assert_int_equal(cli_parse_size("", &v), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(cli_parse_size("K", &v), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(cli_parse_size(" 1M", &v), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(cli_parse_size("1M ", &v), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(cli_parse_size("+1", &v), -1);
	assert_int_equal(v, 777);
}

static void test_format_size(void **state)
{
	char buf[32];

	assert_string_equal(cli_format_size(256ull << 20, buf, sizeof(buf)), "256 MiB");
	assert_string_equal(cli_format_size(64ull << 30, buf, sizeof(buf)), "64 GiB");
	assert_string_equal(cli_format_size(2ull << 40, buf, sizeof(buf)), "2 TiB");
	assert_string_equal(cli_format_size(12288, buf, sizeof(buf)), "12 KiB");
	assert_string_equal(cli_format_size(1000, buf, sizeof(buf)), "1000 bytes");
	assert_string_equal(cli_format_size(0, buf, sizeof(buf)), "0 bytes");
}

static void test_append(void **state)
{
	static char line[BOOT_CMDLINE_MAX + 1];
	static struct run r;

	memset(line, 'a', BOOT_CMDLINE_MAX - 1);       /* 1023 bytes: the limit */
	line[BOOT_CMDLINE_MAX - 1] = '\0';
	assert_int_equal(run_cli(&r, "k.elf", "--append", line, NULL), 0);
	assert_int_equal(strlen(r.opt.append), BOOT_CMDLINE_MAX - 1);

	line[BOOT_CMDLINE_MAX - 1] = 'a';              /* 1024 bytes: one too many */
	line[BOOT_CMDLINE_MAX] = '\0';
	run_cli(&r, "k.elf", "--append", line, NULL);
	assert_refused(&r, "--append: the command line is 1024 bytes, at most 1023 fit");
}

static void test_bad_words(void **state)
{
	static struct run r;

	run_cli(&r, "k.elf", "--frobnicate", NULL);
	assert_refused(&r, "unknown option '--frobnicate'");
	run_cli(&r, "k.elf", "-x", NULL);
	assert_refused(&r, "unknown option '-x'");
	/* In a cluster the unknown letter is named, not the word before. */
	run_cli(&r, "k.elf", "--stats", "-Vx", NULL);
	assert_int_equal(r.rc, 1);                     /* -V acts first */
	run_cli(&r, "k.elf", "--stats", "-xV", NULL);
	assert_refused(&r, "unknown option '-x'");
	run_cli(&r, "k.elf", "--stats=yes", NULL);
	assert_refused(&r, "option '--stats=yes' takes no argument");
	run_cli(&r, "k.elf", "-m", NULL);
	assert_refused(&r, "option '-m' needs an argument");
	run_cli(&r, "k.elf", "--append", NULL);
	assert_refused(&r, "option '--append' needs an argument");
	run_cli(&r, "k.elf", "--initrd", NULL);
	assert_refused(&r, "option '--initrd' needs an argument");
	run_cli(&r, "k.elf", "a.elf", "b.elf", NULL);
	assert_refused(&r, "unexpected argument 'b.elf'");
	run_cli(&r, NULL, NULL);
	assert_refused(&r, "no KERNEL given");

	/* And a clean parse right after the errors: getopt state was reset. */
	assert_int_equal(run_cli(&r, "k.elf", "-m", "8M", "z.elf", NULL), 0);
	assert_string_equal(r.opt.kernel, "z.elf");
	assert_int_equal(r.opt.mem_size, 8ull << 20);
	assert_string_equal(r.err, "");
}

/* The GDB stub's options: -s, -S, --gdb and their refusals. */
static void test_gdb(void **state)
{
	static struct run r;

	assert_int_equal(run_cli(&r, "k.elf", NULL), 0);
	assert_null(r.opt.gdb);
	assert_false(r.opt.gdb_wait);
	assert_int_equal(run_cli(&r, "k.elf", "-s", "-S", NULL), 0);
	assert_string_equal(r.opt.gdb, "tcp::1234");
	assert_true(r.opt.gdb_wait);
	assert_int_equal(run_cli(&r, "k.elf", "--gdb", "tcp:localhost:4321", NULL), 0);
	assert_string_equal(r.opt.gdb, "tcp:localhost:4321");
	assert_int_equal(run_cli(&r, "k.elf", "--gdb=unix:/tmp/g.sock", "-S", NULL), 0);
	assert_string_equal(r.opt.gdb, "unix:/tmp/g.sock");
	assert_int_equal(run_cli(&r, "k.elf", "--gdb", "tcp:[::1]:99", NULL), 0);
	assert_string_equal(r.err, "");

	assert_int_equal(run_cli(&r, "k.elf", "-S", NULL), -1);
	assert_refused(&r, "-S waits for a debugger: give -s or --gdb too");
	assert_int_equal(run_cli(&r, "k.elf", "--gdb", "1234", NULL), -1);
	assert_refused(&r, "--gdb 1234: expected tcp:HOST:PORT, tcp::PORT or unix:PATH");
	assert_int_equal(run_cli(&r, "k.elf", "--gdb", "tcp::0", NULL), -1);
	assert_refused(&r, "--gdb tcp::0: the port must be a number from 1 to 65535");
	assert_int_equal(run_cli(&r, "k.elf", "--gdb", "tcp:h:65536", NULL), -1);
	assert_refused(&r, "the port must be a number from 1 to 65535");
	assert_int_equal(run_cli(&r, "k.elf", "--gdb", "tcp:h:12x", NULL), -1);
	assert_refused(&r, "the port must be a number");
	assert_int_equal(run_cli(&r, "k.elf", "--gdb", "tcp:h:-1", NULL), -1);
	assert_refused(&r, "the port must be a number");
	assert_int_equal(run_cli(&r, "k.elf", "--gdb", "unix:", NULL), -1);
	assert_refused(&r, "--gdb unix:: a unix socket path of 1 to 107 bytes is needed");
}

static void test_help_version(void **state)
{
	static struct run r;

	assert_int_equal(run_cli(&r, "build/guest-kernel.elf", "--help", NULL), 1);
	assert_string_equal(r.err, "");
	assert_non_null(strstr(r.out, "usage: trapvisor [options] [KERNEL]"));
	assert_non_null(strstr(r.out, "--memory SIZE"));
	assert_non_null(strstr(r.out, "--no-pin"));
	assert_non_null(strstr(r.out, "build/guest-kernel.elf"));
	assert_non_null(strstr(r.out, "default 256 MiB"));

	/* -h stops parsing: a bad option after it is not looked at. */
	assert_int_equal(run_cli(&r, "k.elf", "-h", "--frobnicate", NULL), 1);
	assert_non_null(strstr(r.out, "usage: trapvisor"));
	assert_string_equal(r.err, "");

	assert_int_equal(run_cli(&r, "k.elf", "--version", NULL), 1);
	assert_string_equal(r.out, "trapvisor 0.1.0\n");
	assert_string_equal(r.err, "");
	assert_int_equal(run_cli(&r, "k.elf", "-V", NULL), 1);
	assert_string_equal(r.out, "trapvisor " TRAPVISOR_VERSION "\n");
}

/* Issue 15's options: snapshots, the control socket, the live move. */
static void test_snapshot_options(void **state)
{
	static struct run r;

	assert_int_equal(run_cli(&r, "k.elf", NULL), 0);
	assert_int_equal(r.opt.migrate_downtime_ms, 50);
	assert_null(r.opt.loadvm);
	assert_null(r.opt.qmp);
	assert_null(r.opt.incoming);
	assert_int_equal(run_cli(&r, "k.elf", "--loadvm", "a.snap", "--snapshot-file", "b.snap",
				 "--qmp", "unix:/tmp/q", "--migrate-downtime", "200", NULL), 0);
	assert_string_equal(r.opt.loadvm, "a.snap");
	assert_string_equal(r.opt.snapshot_file, "b.snap");
	assert_string_equal(r.opt.qmp, "unix:/tmp/q");
	assert_int_equal(r.opt.migrate_downtime_ms, 200);
	static const char *const uris[] = { "unix:/tmp/m", "tcp:127.0.0.1:4444", "file:/tmp/f" };
	for (int i = 0; i < 3; i++) {
		assert_int_equal(run_cli(&r, "k.elf", "--incoming", uris[i], NULL), 0);
		assert_string_equal(r.opt.incoming, uris[i]);
	}
	run_cli(&r, "k.elf", "--qmp", "/tmp/q", NULL);
	assert_refused(&r, "--qmp /tmp/q: expected unix:PATH");
	run_cli(&r, "k.elf", "--qmp", "unix:", NULL);
	assert_refused(&r, "expected unix:PATH");
	run_cli(&r, "k.elf", "--incoming", "udp:1.2.3.4:5", NULL);
	assert_refused(&r, "--incoming udp:1.2.3.4:5: expected unix:PATH, tcp:HOST:PORT or file:PATH");
	run_cli(&r, "k.elf", "--migrate-downtime", "0", NULL);
	assert_refused(&r, "--migrate-downtime 0");
	run_cli(&r, "k.elf", "--loadvm", "a", "--incoming", "file:b", NULL);
	assert_refused(&r, "--loadvm and --incoming");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_all_options),
		cmocka_unit_test(test_debug_options),
		cmocka_unit_test(test_memory_sizes),
		cmocka_unit_test(test_memory_refused),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_format_size),
		cmocka_unit_test(test_append),
		cmocka_unit_test(test_bad_words),
		cmocka_unit_test(test_gdb),
		cmocka_unit_test(test_help_version),
		cmocka_unit_test(test_snapshot_options),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
