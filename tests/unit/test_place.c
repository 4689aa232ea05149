/*
 * Unit tests for monitor/place.c's pure parts: reading a /proc/PID/stat
 * line, the choice of a CPU at start, and the decision to move.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "vm.h"

static cpu_set_t cpus(int n)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	for (int c = 0; c < n; c++)
		CPU_SET(c, &s);
	return s;
}

/* A line as Linux 6.x writes it: CPU (field 39) is 1, ppid 4242. */
static void test_parse_stat(void **state)
{
	static const char line[] =
		"23782 (trapvisor) R 4242 23782 23700 34816 23782 4194560 5043 0 0 0 "
		"210 1244 0 0 20 0 3 0 33770 375808000 3710 18446744073709551615 "
		"94558003699712 94558004031485 140725870700512 0 0 0 0 4096 17663 0 0 0 "
		"17 1 0 0 0 0 0 94558004104944 94558004127824 94558023487488 "
		"140725870706597 140725870706690 140725870706690 140725870710746 0\n";
	char st;
	int ppid, cpu;

	assert_int_equal(place_parse_stat(line, &st, &ppid, &cpu), 0);
	assert_int_equal(st, 'R');
	assert_int_equal(ppid, 4242);
	assert_int_equal(cpu, 1);
}

/* comm may hold spaces and parentheses: fields count from the last ')'. */
static void test_parse_stat_odd_comm(void **state)
{
	static const char line[] =
		"7 (a) b (c) S 1 7 7 0 -1 4194368 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0 "
		"18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 3 0 0 0 0 0\n";
	char st;
	int ppid, cpu;

	assert_int_equal(place_parse_stat(line, &st, &ppid, &cpu), 0);
	assert_int_equal(st, 'S');
	assert_int_equal(ppid, 1);
	assert_int_equal(cpu, 3);
}

static void test_parse_stat_own_process(void **state)
{
	char buf[1024], st;
	int ppid, cpu;
	FILE *f = fopen("/proc/self/stat", "r");

	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_int_equal(place_parse_stat(buf, &st, &ppid, &cpu), 0);
	assert_int_equal(st, 'R');                      /* reading it: running */
	assert_int_equal(ppid, getppid());
	assert_int_equal(cpu, sched_getcpu());
	assert_int_equal(place_parse_stat("12 (short) R 1 2 3\n", &st, &ppid, &cpu), -1);
	assert_int_equal(place_parse_stat("garbage", &st, &ppid, &cpu), -1);
}

static void test_initial_least_loaded(void **state)
{
	cpu_set_t all = cpus(4), some = cpus(4);
	double load[4] = { 3, 1, 2, 0.2 }, own[4] = { 1, 0, 0, 0 };

	assert_int_equal(place_initial(&all, 4, load, own, 0.0), 3);
	assert_int_equal(place_initial(&all, 4, load, own, 0.99), 3);
	CPU_CLR(3, &some);                              /* not allowed: next best */
	assert_int_equal(place_initial(&some, 4, load, own, 0.5), 1);
	/* Our own load does not count against our CPU: 3 - 1 = 2 > 1. */
	load[0] = 1.5;
	assert_int_equal(place_initial(&some, 4, load, own, 0.0), 0);   /* 0.5 < 1 */
}

/* Near ties (within 0.25) are chosen among at random: VMs started together
 * spread instead of all taking the first. */
static void test_initial_ties_spread(void **state)
{
	cpu_set_t all = cpus(3);
	double load[3] = { 0.1, 0.0, 2.0 }, own[3] = { 0 };

	assert_int_equal(place_initial(&all, 3, load, own, 0.0), 0);
	assert_int_equal(place_initial(&all, 3, load, own, 0.6), 1);
	CPU_ZERO(&all);
	assert_int_equal(place_initial(&all, 3, load, own, 0.5), -1);
}

static void test_decide(void **state)
{
	cpu_set_t two = cpus(2);
	double load[2];

	/* Five busy VMs on CPU 0, one on CPU 1: moving helps (1 + 1 < 5);
	 * this VM's share of the excess is (5 - 1) / 2 / 5 = 0.4. */
	load[0] = 5, load[1] = 1;
	assert_int_equal(place_decide(&two, 2, load, 1.0, 0, 0.0), 1);
	assert_int_equal(place_decide(&two, 2, load, 1.0, 0, 0.39), 1);
	assert_int_equal(place_decide(&two, 2, load, 1.0, 0, 0.41), -1);
	/* Three and three: a move would make it 2 and 4. */
	load[0] = 3, load[1] = 3;
	assert_int_equal(place_decide(&two, 2, load, 1.0, 0, 0.0), -1);
	/* Four and two: 2 + 1 + margin 0.5 = 3.5 < 4, one of four should go. */
	load[0] = 4, load[1] = 2;
	assert_int_equal(place_decide(&two, 2, load, 1.0, 0, 0.24), 1);
	assert_int_equal(place_decide(&two, 2, load, 1.0, 0, 0.26), -1);
	/* An idle VM (own 0) never moves: it does not add to any queue. */
	load[0] = 5, load[1] = 0;
	assert_int_equal(place_decide(&two, 2, load, 0.0, 0, 0.0), -1);
	/* Nowhere else allowed. */
	CPU_CLR(1, &two);
	assert_int_equal(place_decide(&two, 2, load, 1.0, 0, 0.0), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_stat),
		cmocka_unit_test(test_parse_stat_odd_comm),
		cmocka_unit_test(test_parse_stat_own_process),
		cmocka_unit_test(test_initial_least_loaded),
		cmocka_unit_test(test_initial_ties_spread),
		cmocka_unit_test(test_decide),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
