/*
 * Statistics: how often each kind of stop happened and how long the monitor
 * spent on it.  The run loop calls stats_add() once per handled stop (an
 * emulated instruction by mnemonic, another stop by reason, a port access by
 * port); --stats prints the table at exit.  These rows are the raw material
 * of the "what does trap-and-emulate cost" measurements, so the table is
 * fixed-size (no allocation on the trap path) and never loses a count: once
 * it is full, new names are counted in an "other" row of their kind.
 *
 * The guest's system calls are counted apart, by number, in an array (one
 * increment per SYSCALL the guest's user mode executes, which the monitor
 * sees as a stop anyway), and printed by name from the list the guest
 * kernel's table is built from (<trapvisor/linux_syscalls.h>): what a
 * guest program asks of its kernel, most frequent first.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"

#define STAT_NKINDS 3   /* STAT_INSN, STAT_EXIT, STAT_PORT */

static const char *const kind_title[STAT_NKINDS] = {
	[STAT_INSN] = "emulated instructions",
	[STAT_EXIT] = "other stops",
	[STAT_PORT] = "port I/O",
};

static struct stat_row *find_row(struct stats *s, enum stat_kind kind, const char *name)
{
	for (int i = 0; i < s->nrows; i++)
		if (s->row[i].kind == kind && strcmp(s->row[i].name, name) == 0)
			return &s->row[i];
	return NULL;
}

/*
 * The last STAT_NKINDS slots are kept for the "other" rows, so that a full
 * table can still count every kind.  Names are truncated to fit row.name;
 * lookups use the truncated form so a long name keeps matching its row.
 */
void stats_add(struct stats *s, enum stat_kind kind, const char *name, u64 ns)
{
	char key[sizeof(s->row[0].name)];
	struct stat_row *r;

	if ((unsigned)kind >= STAT_NKINDS)
		return;
	snprintf(key, sizeof(key), "%s", name);
	r = find_row(s, kind, key);
	if (!r && s->nrows >= STATS_MAX - STAT_NKINDS) {
		snprintf(key, sizeof(key), "other");
		r = find_row(s, kind, key);
	}
	if (!r) {
		r = &s->row[s->nrows++];
		r->kind = kind;
		memcpy(r->name, key, sizeof(key));
		r->count = 0;
		r->ns = 0;
	}
	r->count++;
	r->ns += ns;
	if (s->trace)
		trace_stop(s->trace, kind, r->name, ns);
}

#define SYSCALL_NAME(nr, name) [nr] = #name,
static const char *const syscall_names[LINUX_SYSCALL_MAX] = { LINUX_SYSCALLS(SYSCALL_NAME) };
#undef SYSCALL_NAME

#define SYS_TV_MARK 1000        /* trapvisor's own call (guest-kernel/uapi/unistd.h) */

const char *stats_syscall_name(u64 nr)
{
	if (nr == SYS_TV_MARK)
		return "tv_mark";
	return nr < LINUX_SYSCALL_MAX ? syscall_names[nr] : NULL;
}

void stats_syscall(struct stats *s, u64 nr)
{
	if (s->trace)
		trace_syscall(s->trace, nr);
	if (nr < LINUX_SYSCALL_MAX)
		s->sys[nr]++;
	else if (nr == SYS_TV_MARK)
		s->sys[STATS_SYS_MARK]++;
	else
		s->sys[STATS_SYS_OTHER]++;
}

/* Most frequent first; equal counts keep first-seen (array) order. */
static int by_count_desc(const void *a, const void *b)
{
	const struct stat_row *x = *(const struct stat_row *const *)a;
	const struct stat_row *y = *(const struct stat_row *const *)b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return x < y ? -1 : x > y;
}

static void print_line(FILE *f, const char *name, u64 count, u64 ns)
{
	fprintf(f, "  %-32s %12" PRIu64 " %14.3f %10.2f\n", name, count, ns / 1e6,
		count ? ns / 1e3 / count : 0.0);
}

/* Most frequent first, equal counts by number. */
static int by_sys_count(const void *a, const void *b, void *arg)
{
	const u64 *sys = arg;
	int x = *(const int *)a, y = *(const int *)b;

	if (sys[x] != sys[y])
		return sys[x] < sys[y] ? 1 : -1;
	return x - y;
}

/* The guest's system calls, if it made any: "name (number)" and count,
 * most frequent first, then the total.  True if it printed. */
static bool print_syscalls(const struct stats *s, FILE *f, bool after)
{
	int order[STATS_NSYS], n = 0;
	u64 total = 0;

	for (int i = 0; i < STATS_NSYS; i++)
		if (s->sys[i])
			order[n++] = i;
	if (!n)
		return false;
	qsort_r(order, n, sizeof(order[0]), by_sys_count, (void *)s->sys);
	fprintf(f, "%s%-34s %12s\n", after ? "\n" : "", "guest system calls", "count");
	for (int i = 0; i < n; i++) {
		int k = order[i];
		const char *name = k == STATS_SYS_MARK ? "tv_mark" : k == STATS_SYS_OTHER ? NULL :
				   stats_syscall_name(k);
		char label[48];

		if (k == STATS_SYS_OTHER)
			snprintf(label, sizeof(label), "other numbers");
		else if (k == STATS_SYS_MARK)
			snprintf(label, sizeof(label), "%s (%d)", name, SYS_TV_MARK);
		else if (name)
			snprintf(label, sizeof(label), "%s (%d)", name, k);
		else
			snprintf(label, sizeof(label), "unnamed (%d)", k);
		fprintf(f, "  %-32s %12" PRIu64 "\n", label, s->sys[k]);
		total += s->sys[k];
	}
	fprintf(f, "  %-32s %12" PRIu64 "\n", "total", total);
	return true;
}

void stats_print(const struct stats *s, FILE *f)
{
	const struct stat_row *sorted[STATS_MAX];
	bool any = false;

	for (int k = 0; k < STAT_NKINDS; k++) {
		u64 count = 0, ns = 0;
		int n = 0;

		for (int i = 0; i < s->nrows; i++)
			if (s->row[i].kind == (enum stat_kind)k)
				sorted[n++] = &s->row[i];
		if (!n)
			continue;
		qsort(sorted, n, sizeof(sorted[0]), by_count_desc);
		fprintf(f, "%s%-34s %12s %14s %10s\n", any ? "\n" : "", kind_title[k],
			"count", "total ms", "mean us");
		for (int i = 0; i < n; i++) {
			print_line(f, sorted[i]->name, sorted[i]->count, sorted[i]->ns);
			count += sorted[i]->count;
			ns += sorted[i]->ns;
		}
		print_line(f, "total", count, ns);
		any = true;
	}
	if (print_syscalls(s, f, any))
		any = true;
	if (!any)
		fprintf(f, "no stops recorded\n");
}
