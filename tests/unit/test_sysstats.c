/*
 * Unit tests for the guest system-call counts of monitor/stats.c: numbers
 * counted by name (Linux's, tv_mark, the rest in one row), printed most
 * frequent first with a total, and absent when the guest made no call.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vm.h"

static char *print_to_string(const struct stats *s)
{
	static char buf[64 * 1024];
	FILE *f = tmpfile();
	size_t n;

	assert_non_null(f);
	stats_print(s, f);
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(stats_syscall_name(0), "read");
	assert_string_equal(stats_syscall_name(1), "write");
	assert_string_equal(stats_syscall_name(56), "clone");
	assert_string_equal(stats_syscall_name(202), "futex");
	assert_string_equal(stats_syscall_name(435), "clone3");
	assert_string_equal(stats_syscall_name(1000), "tv_mark");
	assert_null(stats_syscall_name(999));
	assert_null(stats_syscall_name(LINUX_SYSCALL_MAX));
	assert_null(stats_syscall_name(~0ull));
}

static void test_count(void **state)
{
	static struct stats s;

	(void)state;
	memset(&s, 0, sizeof(s));
	stats_syscall(&s, 1);
	stats_syscall(&s, 1);
	stats_syscall(&s, 231);
	stats_syscall(&s, 1000);
	stats_syscall(&s, 999);
	stats_syscall(&s, 5000);
	stats_syscall(&s, ~0ull);
	assert_int_equal(s.sys[1], 2);
	assert_int_equal(s.sys[231], 1);
	assert_int_equal(s.sys[STATS_SYS_MARK], 1);
	assert_int_equal(s.sys[STATS_SYS_OTHER], 3);
	assert_int_equal(s.nrows, 0);            /* not rows of the stop tables */
}

static void test_print_order(void **state)
{
	static struct stats s;
	const char *out, *w, *r, *g, *m, *o, *t;

	(void)state;
	memset(&s, 0, sizeof(s));
	for (int i = 0; i < 5; i++)
		stats_syscall(&s, 1);             /* write x5 */
	for (int i = 0; i < 9; i++)
		stats_syscall(&s, 0);             /* read x9 */
	stats_syscall(&s, 39);                    /* getpid x1 */
	stats_syscall(&s, 1000);                  /* tv_mark x1 */
	stats_syscall(&s, 777);                   /* other x2 */
	stats_syscall(&s, 778);
	out = print_to_string(&s);

	assert_non_null(strstr(out, "guest system calls"));
	assert_null(strstr(out, "no stops recorded"));
	r = strstr(out, "  read (0) ");
	w = strstr(out, "  write (1) ");
	o = strstr(out, "  other numbers ");
	g = strstr(out, "  getpid (39) ");
	m = strstr(out, "  tv_mark (1000) ");
	t = strstr(out, "  total ");
	assert_non_null(r);
	assert_non_null(w);
	assert_non_null(o);
	assert_non_null(g);
	assert_non_null(m);
	assert_non_null(t);
	/* Most frequent first; equal counts by number; the total last. */
	assert_true(r < w && w < o && o < g && g < m && m < t);
	assert_int_equal(strtoull(r + strlen("  read (0) "), NULL, 10), 9);
	assert_int_equal(strtoull(w + strlen("  write (1) "), NULL, 10), 5);
	assert_int_equal(strtoull(o + strlen("  other numbers "), NULL, 10), 2);
	assert_int_equal(strtoull(t + strlen("  total "), NULL, 10), 18);
}

static void test_print_with_stops(void **state)
{
	static struct stats s;
	const char *out;

	(void)state;
	memset(&s, 0, sizeof(s));
	out = print_to_string(&s);
	assert_non_null(strstr(out, "no stops recorded"));
	assert_null(strstr(out, "guest system calls"));

	stats_add(&s, STAT_EXIT, "syscall", 10);
	stats_syscall(&s, 60);
	out = print_to_string(&s);
	/* The stop tables first, then the calls, after a blank line. */
	assert_non_null(strstr(out, "other stops"));
	assert_non_null(strstr(out, "\n\nguest system calls"));
	assert_true(strstr(out, "other stops") < strstr(out, "guest system calls"));
	assert_non_null(strstr(out, "  exit (60) "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_count),
		cmocka_unit_test(test_print_order),
		cmocka_unit_test(test_print_with_stops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
