/*
 * Unit tests for monitor/stats.c: rows found by kind and name, the "other"
 * rows of a full table, and the printed table (sections, order by count,
 * times, totals).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vm.h"

static const struct stat_row *row(const struct stats *s, enum stat_kind k, const char *name)
{
	for (int i = 0; i < s->nrows; i++)
		if (s->row[i].kind == k && strcmp(s->row[i].name, name) == 0)
			return &s->row[i];
	return NULL;
}

/* stats_print into a string. */
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

/* The line of 'text' that starts (after indentation) with 'name' followed
 * by a space, copied to line; NULL if none after 'from'. */
static const char *find_line(const char *from, const char *name, char *line, size_t len)
{
	for (const char *p = from; p && *p; ) {
		const char *end = strchr(p, '\n');
		const char *q = p;

		while (*q == ' ')
			q++;
		if (strncmp(q, name, strlen(name)) == 0 && q[strlen(name)] == ' ') {
			size_t n = end ? (size_t)(end - p) : strlen(p);

			snprintf(line, len, "%.*s", (int)n, p);
			return p;
		}
		p = end ? end + 1 : NULL;
	}
	return NULL;
}

static void test_add(void **state)
{
	static struct stats s;
	const struct stat_row *r;

	memset(&s, 0, sizeof(s));
	stats_add(&s, STAT_INSN, "cli", 100);
	stats_add(&s, STAT_INSN, "cli", 250);
	stats_add(&s, STAT_INSN, "out", 1000);
	stats_add(&s, STAT_PORT, "cli", 7);            /* same name, other kind */
	stats_add(&s, STAT_EXIT, "hidden fault", 5);
	assert_int_equal(s.nrows, 4);

	r = row(&s, STAT_INSN, "cli");
	assert_non_null(r);
	assert_int_equal(r->count, 2);
	assert_int_equal(r->ns, 350);
	r = row(&s, STAT_INSN, "out");
	assert_int_equal(r->count, 1);
	assert_int_equal(r->ns, 1000);
	r = row(&s, STAT_PORT, "cli");
	assert_int_equal(r->count, 1);
	assert_int_equal(r->ns, 7);
	assert_int_equal(row(&s, STAT_EXIT, "hidden fault")->count, 1);

	/* A name longer than the row keeps matching its truncated row. */
	stats_add(&s, STAT_EXIT, "a very long stop reason name that does not fit", 1);
	stats_add(&s, STAT_EXIT, "a very long stop reason name that does not fit", 1);
	assert_int_equal(s.nrows, 5);
	assert_int_equal(strlen(s.row[4].name), sizeof(s.row[4].name) - 1);
	assert_int_equal(s.row[4].count, 2);

	/* An unknown kind is ignored. */
	stats_add(&s, (enum stat_kind)7, "bogus", 1);
	assert_int_equal(s.nrows, 5);
}

static void test_full_table(void **state)
{
	static struct stats s;
	char name[32];
	u64 total = 0;

	memset(&s, 0, sizeof(s));
	for (int i = 0; i < STATS_MAX + 40; i++) {
		snprintf(name, sizeof(name), "port 0x%x", i);
		stats_add(&s, STAT_PORT, name, 10);
	}
	stats_add(&s, STAT_INSN, "hlt", 10);            /* the table is full now */
	stats_add(&s, STAT_INSN, "wrmsr", 10);
	stats_add(&s, STAT_PORT, "port 0x0", 10);       /* existing rows still count */
	assert_true(s.nrows <= STATS_MAX);

	/* STATS_MAX - 3 named rows, the rest went to "other" by kind. */
	assert_int_equal(row(&s, STAT_PORT, "port 0x0")->count, 2);
	assert_null(row(&s, STAT_PORT, "port 0x100"));
	assert_int_equal(row(&s, STAT_PORT, "other")->count, 40 + 3);
	assert_int_equal(row(&s, STAT_INSN, "other")->count, 2);
	assert_int_equal(row(&s, STAT_INSN, "other")->ns, 20);
	assert_null(row(&s, STAT_INSN, "hlt"));

	/* Nothing lost. */
	for (int i = 0; i < s.nrows; i++)
		total += s.row[i].count;
	assert_int_equal(total, STATS_MAX + 40 + 3);
}

static void test_print(void **state)
{
	static struct stats s;
	const char *text, *insn, *exits, *ports, *a, *b;
	char line[256];

	memset(&s, 0, sizeof(s));
	for (int i = 0; i < 3; i++)
		stats_add(&s, STAT_INSN, "cli", 500000);   /* 3 x 0.5 ms */
	for (int i = 0; i < 5; i++)
		stats_add(&s, STAT_INSN, "out", 2000);     /* 5 x 2 us */
	stats_add(&s, STAT_INSN, "hlt", 1234567);
	stats_add(&s, STAT_PORT, "port 0x3f8", 4000);
	stats_add(&s, STAT_PORT, "port 0x3f8", 6000);
	stats_add(&s, STAT_PORT, "port 0x3fd", 1000);
	stats_add(&s, STAT_EXIT, "syscall", 17000);

	text = print_to_string(&s);
	insn = strstr(text, "emulated instructions");
	exits = strstr(text, "other stops");
	ports = strstr(text, "port I/O");
	assert_non_null(insn);
	assert_non_null(exits);
	assert_non_null(ports);
	assert_true(insn < exits && exits < ports);
	assert_non_null(strstr(text, "count"));
	assert_non_null(strstr(text, "total ms"));
	assert_non_null(strstr(text, "mean us"));

	/* Sorted by count: out (5), cli (3), hlt (1). */
	a = find_line(insn, "out", line, sizeof(line));
	assert_non_null(a);
	assert_non_null(strstr(line, " 5 "));
	assert_non_null(strstr(line, " 0.010 "));        /* 10 us total */
	assert_non_null(strstr(line, " 2.00"));          /* 2 us mean */
	b = find_line(insn, "cli", line, sizeof(line));
	assert_non_null(b);
	assert_true(a < b);
	assert_non_null(strstr(line, " 3 "));
	assert_non_null(strstr(line, " 1.500 "));
	assert_non_null(strstr(line, " 500.00"));
	a = find_line(insn, "hlt", line, sizeof(line));
	assert_true(b < a && a < exits);
	assert_non_null(strstr(line, " 1.235 "));        /* 1.234567 ms, rounded */
	assert_non_null(strstr(line, " 1234.57"));

	/* Section totals. */
	a = find_line(insn, "total", line, sizeof(line));
	assert_true(a && a < exits);
	assert_non_null(strstr(line, " 9 "));
	assert_non_null(strstr(line, " 2.745 "));        /* 1.5 + 0.01 + 1.234567 */
	a = find_line(ports, "total", line, sizeof(line));
	assert_non_null(a);
	assert_non_null(strstr(line, " 3 "));
	assert_non_null(strstr(line, " 0.011 "));
	a = find_line(ports, "port 0x3f8", line, sizeof(line));
	b = find_line(ports, "port 0x3fd", line, sizeof(line));
	assert_true(a && b && a < b);
	a = find_line(exits, "syscall", line, sizeof(line));
	assert_true(a && a < ports);
	assert_non_null(strstr(line, " 17.00"));
}

static void test_print_sections(void **state)
{
	static struct stats s;
	const char *text;

	memset(&s, 0, sizeof(s));
	text = print_to_string(&s);
	assert_string_equal(text, "no stops recorded\n");

	/* Only the kinds that have rows get a section. */
	stats_add(&s, STAT_PORT, "port 0x80", 100);
	text = print_to_string(&s);
	assert_non_null(strstr(text, "port I/O"));
	assert_null(strstr(text, "emulated instructions"));
	assert_null(strstr(text, "other stops"));
	assert_non_null(strstr(text, "port 0x80"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add),
		cmocka_unit_test(test_full_table),
		cmocka_unit_test(test_print),
		cmocka_unit_test(test_print_sections),
	};

	return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
