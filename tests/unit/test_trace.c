/*
 * Unit tests for monitor/trace.c without a guest: the ring keeps the
 * newest events within --trace-limit and counts the rest; stats rows become
 * vCPU slices one for one; an interrupt line's raise and delivery become a
 * slice and a flow; a guest process's name from the paravirtual page is
 * escaped in the JSON whatever bytes the guest wrote.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "vm.h"
#include "trapvisor/boot.h"

static struct vm vm;
static char path[64];

static struct trace *open_trace(u64 limit)
{
	struct trace *t = NULL;
	char err[256];
	int fd;

	memset(&vm, 0, sizeof(vm));
	snprintf(path, sizeof(path), "/tmp/test_trace.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(trace_open(&t, &vm, path, limit, err, sizeof(err)), 0);
	return t;
}

/* Close t and return the file's text (the caller frees it). */
static char *close_trace(struct trace *t, size_t *len)
{
	char err[256];
	FILE *f;
	char *buf;
	long n;

	assert_int_equal(trace_close(t, err, sizeof(err)), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, n, f), (size_t)n);
	buf[n] = 0;
	fclose(f);
	unlink(path);
	*len = (size_t)n;
	return buf;
}

static unsigned count(const char *text, const char *what)
{
	unsigned n = 0;

	for (const char *p = text; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

static u64 number_after(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	assert_non_null(p);
	return strtoull(p + strlen(key), NULL, 10);
}

static void test_ring_limit(void **state)
{
	static const char *const names[] = { "old", "middle", "new" };
	struct trace *t = open_trace(64 << 10);
	size_t len;

	for (int i = 0; i < 30000; i++)
		trace_stop(t, STAT_INSN, names[i * 3 / 30000], 1000);
	char *s = close_trace(t, &len);

	assert_true(len <= 64 << 10);
	assert_true(len > 60 << 10);                  /* the room is used */
	assert_int_equal(strncmp(s, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", 38), 0);
	assert_int_equal(strcmp(s + len - 3, "}}\n"), 0);
	/* The newest are kept: "new" slices, none of the "old" ones. */
	assert_int_equal(count(s, "\"name\":\"old\""), 0);
	assert_true(count(s, "\"name\":\"new\"") > 0);
	u64 kept = number_after(s, "\"events\":"), dropped = number_after(s, "\"dropped_events\":");
	assert_int_equal(kept + dropped, 30000);
	assert_int_equal(count(s, "\"cat\":\"emulated instruction\""), kept);
	free(s);
}

static void test_stats_slices(void **state)
{
	struct trace *t = open_trace(1 << 20);
	size_t len;

	/* Fed through stats_add(), as the run loop does. */
	vm.stats.trace = t;
	vm.vcpu.rip = 0x7f0000101234;
	stats_add(&vm.stats, STAT_INSN, "cli", 1500);
	stats_add(&vm.stats, STAT_EXIT, "hidden page fault", 2000);
	stats_add(&vm.stats, STAT_PORT, "0x03f8 com1", 300);
	stats_add(&vm.stats, STAT_INSN, "cli", 1500);
	char *s = close_trace(t, &len);

	assert_int_equal(count(s, "\"name\":\"cli\",\"cat\":\"emulated instruction\""), 2);
	assert_int_equal(count(s, "\"name\":\"hidden page fault\",\"cat\":\"stop\""), 1);
	assert_int_equal(count(s, "\"name\":\"0x03f8 com1\",\"cat\":\"port I/O\""), 1);
	assert_int_equal(count(s, "\"dur\":1.500,\"args\":{\"rip_after\":\"0x7f0000101234\"}"), 2);
	assert_int_equal(number_after(s, "\"events\":"), 4);
	free(s);
}

static void test_irq_flow(void **state)
{
	struct trace *t = open_trace(1 << 20);
	size_t len;

	vm.pic.chip[0].vector_base = 0x20;
	vm.pic.chip[1].vector_base = 0x28;
	trace_irq(t, 4, 1);                           /* raised... */
	trace_irq(t, 4, 0);
	trace_stop(t, STAT_EXIT, "interrupt 0x24", 500);   /* ...and delivered */
	trace_stop(t, STAT_EXIT, "interrupt 0x2e", 500);   /* IRQ 14, never raised */
	char *s = close_trace(t, &len);

	assert_int_equal(count(s, "\"name\":\"IRQ 4\",\"cat\":\"interrupt\""), 1);
	assert_int_equal(count(s, "\"ph\":\"s\",\"id\":1}"), 1);
	assert_int_equal(count(s, "\"ph\":\"f\",\"bp\":\"e\",\"id\":1}"), 1);
	assert_int_equal(count(s, "\"ph\":\"s\""), 1);
	assert_int_equal(count(s, "\"name\":\"IRQ 14\",\"cat\""), 0);
	free(s);
}

/* Process tracks from the paravirtual page: a switch ends one running
 * slice; a name with quotes, backslashes and control bytes is escaped. */
static void test_process_names(void **state)
{
	static u8 ram[2 * 4096] __attribute__((aligned(4096)));
	struct trace *t = open_trace(1 << 20);
	struct pv_vcpu *pv = (struct pv_vcpu *)(ram + 4096);
	size_t len;

	vm.ram = ram;
	vm.ram_size = sizeof(ram);
	vm.pv_gpa = 4096;
	pv->proc_pid = 7;
	memcpy((char *)pv->proc_name, "a\"b\\c\x01", 7);
	trace_resume(t);
	vm.vcpu.cpl = 0;
	trace_syscall(t, 39);                          /* getpid */
	vm.vcpu.cpl = 3;
	trace_resume(t);                               /* back in user mode */
	pv->proc_pid = 0;
	trace_resume(t);                               /* switched away */
	char *s = close_trace(t, &len);

	assert_int_equal(count(s, "\"name\":\"a\\\"b\\\\c\\u0001\",\"cat\":\"process\",\"pid\":7,\"tid\":7"), 1);
	assert_int_equal(count(s, "\"name\":\"getpid\",\"cat\":\"syscall\",\"pid\":7,\"tid\":7"), 1);
	assert_int_equal(count(s, "\"name\":\"process_name\",\"ph\":\"M\",\"pid\":7"), 1);
	assert_int_equal(count(s, "\\u0001"), 1);      /* the metadata's name has no raw byte */
	for (const char *p = s; *p; p++)
		assert_true((unsigned char)*p >= 0x20 || *p == '\n');
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_limit),
		cmocka_unit_test(test_stats_slices),
		cmocka_unit_test(test_irq_flow),
		cmocka_unit_test(test_process_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
