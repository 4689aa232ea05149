/*
 * The timeline (--trace FILE): what the monitor and the guest did, as a
 * Chrome trace event JSON file that ui.perfetto.dev and chrome://tracing
 * open (docs/ARCHITECTURE.md, "The trace timeline").
 *
 *   (i)   tracks: the monitor is one process ("trapvisor") with a thread
 *         for the vCPU, one for the interrupt lines and one for shadow
 *         paging; every guest process is a process of its own, named by
 *         its pid and name, with its time on the vCPU and its system calls;
 *   (ii)  the vCPU: every stop the statistics count (stats_add()) is a
 *         slice named as its --stats row (the emulated instruction's
 *         mnemonic, the stop's reason, the port), with its handling time,
 *         so the counts per name are --stats' counts;
 *   (iii) guest processes: the guest kernel writes the pid and name of the
 *         process it switches to in the paravirtual page (boot.h,
 *         proc_pid); before each resume the monitor looks (trace_resume())
 *         and ends one "running" slice and starts the next; a system call
 *         (stats_syscall()) is a slice named from linux_syscalls.h, from
 *         its SYSCALL to the vCPU's next entry to user mode or the switch
 *         away from the process, whichever is first, so that it nests in
 *         the running slice;
 *   (iv)  hidden page faults and page-table writes are instants on the
 *         shadow paging thread, with the address;
 *   (v)   a device interrupt is a slice on its IRQ line from the moment the
 *         device raised it to its delivery, and a flow arrow from there to
 *         the vCPU's "interrupt 0xNN" slice;
 *   (vi)  the ring: events are kept in memory, fixed-size records in a ring
 *         of --trace-limit / TRACE_EV_MIN of them, the oldest
 *         overwritten; at exit the newest that fit in --trace-limit bytes
 *         (with the track names) are written, and the file says how many
 *         were dropped.  A long run costs memory and disk in proportion to
 *         the limit, never to its length.
 *
 * Off (no --trace), vm->trace and stats.trace are NULL and the hooks are
 * one test of a pointer each.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vm.h"
#include "host_time.h"
#include "trapvisor/boot.h"

#define TRACE_PID_MONITOR 1000000    /* Chrome pid of the monitor's tracks */
enum { TID_VCPU = 1, TID_SHADOW = 2, TID_IRQ0 = 16 };   /* IRQ n: TID_IRQ0 + n */
#define TRACE_EV_MIN      80         /* bytes: about the shortest event's JSON line */
#define TRACE_NPROC       1024       /* guest processes named in the file */
#define TRACE_NIRQ        16

enum tev_type {
	TEV_SLICE,               /* "X": ts, dur */
	TEV_INSTANT,             /* "i": ts */
	TEV_FLOW_START,          /* "s": flow id in arg */
	TEV_FLOW_END,            /* "f": flow id in arg */
};

enum tev_cat { CAT_INSN, CAT_EXIT, CAT_PORT, CAT_PROC, CAT_SYSCALL, CAT_SHADOW, CAT_IRQ };

static const char *const cat_name[] = {
	[CAT_INSN] = "emulated instruction", [CAT_EXIT] = "stop", [CAT_PORT] = "port I/O",
	[CAT_PROC] = "process", [CAT_SYSCALL] = "syscall", [CAT_SHADOW] = "shadow paging",
	[CAT_IRQ] = "interrupt",
};

/* One event in the ring.  name points at something that lives as long as
 * the trace: a stats row's name, a syscall name, a literal, or proc_names. */
struct tev {
	u64 ts, dur;             /* ns since the trace began */
	u64 arg;                 /* rip, address, syscall number or flow id */
	const char *name;
	u32 pid, tid;            /* Chrome's pid and tid */
	u8 type, cat;            /* enum tev_type, enum tev_cat */
};

struct trace_proc {
	int pid;                 /* guest pid, 0: free */
	char name[16];           /* its latest name */
};

struct trace {
	struct vm *vm;           /* the vCPU and the paravirtual page */
	char *path;              /* --trace FILE */
	u64 limit;               /* --trace-limit bytes */
	u64 t0;                  /* CLOCK_MONOTONIC ns at the start */
	struct tev *ring;        /* cap records */
	u64 cap, head, n;        /* next slot, records held */
	u64 overwritten;         /* records the ring lost */
	struct trace_proc proc[TRACE_NPROC]; /* names for the process tracks */
	/* (iii) the process on the vCPU */
	int cur_pid;             /* 0: none */
	char cur_name[16];
	u64 cur_since;           /* ns its "running" slice began */
	const char *cur_label;   /* that slice's name (a proc[] name) */
	bool sys_open;           /* a system call has not returned yet */
	u64 sys_nr, sys_start;   /* which, since when */
	int sys_pid;             /* for which process */
	/* (v) interrupt lines */
	u64 irq_raised[TRACE_NIRQ]; /* ns it was raised, 0: nothing pending */
	u64 next_flow;           /* flow ids */
};

static u64 trace_now(const struct trace *t)
{
	return host_mono_ns() - t->t0;
}

static void trace_push(struct trace *t, enum tev_type type, enum tev_cat cat, const char *name,
		       u32 pid, u32 tid, u64 ts, u64 dur, u64 arg)
{
	t->ring[t->head] = (struct tev){ .ts = ts, .dur = dur, .arg = arg, .name = name,
					 .pid = pid, .tid = tid, .type = type, .cat = cat };
	t->head = (t->head + 1) % t->cap;
	if (t->n < t->cap)
		t->n++;
	else
		t->overwritten++;
}

/* The stable copy of a guest process's latest name (its track's name). */
static const char *trace_proc_name(struct trace *t, int pid, const char *name)
{
	struct trace_proc *free_slot = NULL;

	for (int i = 0; i < TRACE_NPROC; i++) {
		if (t->proc[i].pid == pid && !strcmp(t->proc[i].name, name))
			return t->proc[i].name;
		if (!t->proc[i].pid && !free_slot)
			free_slot = &t->proc[i];
	}
	/* A new pid, or a renamed one (exec): a new slot, so the slices
	 * already recorded keep the name they had. */
	if (!free_slot)
		return "process";
	free_slot->pid = pid;
	snprintf(free_slot->name, sizeof(free_slot->name), "%s", name);
	return free_slot->name;
}

int trace_open(struct trace **tp, struct vm *vm, const char *path, u64 limit,
	       char *err, size_t errlen)
{
	struct trace *t = calloc(1, sizeof(*t));
	FILE *f;

	if (!t) {
		snprintf(err, errlen, "--trace: cannot allocate the trace: %s", strerror(errno));
		return -1;
	}
	/* Fail now, not at exit, on a path that cannot be written. */
	f = fopen(path, "w");
	if (!f) {
		snprintf(err, errlen, "--trace %s: %s", path, strerror(errno));
		free(t);
		return -1;
	}
	fclose(f);
	t->vm = vm;
	t->path = strdup(path);
	t->limit = limit;
	t->cap = limit / TRACE_EV_MIN + 1;
	t->ring = calloc(t->cap, sizeof(*t->ring));
	if (!t->path || !t->ring) {
		snprintf(err, errlen, "--trace-limit %llu: cannot allocate its ring of %llu events",
			 (unsigned long long)limit, (unsigned long long)t->cap);
		free(t->path);
		free(t->ring);
		free(t);
		return -1;
	}
	t->t0 = 0;
	t->t0 = trace_now(t);
	*tp = t;
	return 0;
}

/* ---- The hooks ---- */

/* (ii), and (v)'s delivery end. */
void trace_stop(struct trace *t, int kind, const char *name, u64 ns)
{
	u64 now = trace_now(t), start = now > ns ? now - ns : 0;
	unsigned vector;

	trace_push(t, TEV_SLICE, kind == STAT_INSN ? CAT_INSN : kind == STAT_PORT ? CAT_PORT :
		   CAT_EXIT, name, TRACE_PID_MONITOR, TID_VCPU, start, ns, t->vm->vcpu.rip);
	if (kind != STAT_EXIT || sscanf(name, "interrupt 0x%x", &vector) != 1)
		return;
	/* Which line: the vector's place in the master's or slave's range. */
	for (int chip = 0; chip < 2; chip++) {
		unsigned base = t->vm->pic.chip[chip].vector_base;
		int irq = chip * 8 + (int)(vector - base);

		if (vector < base || vector >= base + 8 || !t->irq_raised[irq])
			continue;
		u64 raised = t->irq_raised[irq] < start ? t->irq_raised[irq] : start;
		static const char *const line_names[TRACE_NIRQ] = {
			"IRQ 0", "IRQ 1", "IRQ 2", "IRQ 3", "IRQ 4", "IRQ 5", "IRQ 6", "IRQ 7",
			"IRQ 8", "IRQ 9", "IRQ 10", "IRQ 11", "IRQ 12", "IRQ 13", "IRQ 14", "IRQ 15",
		};
		u64 id = ++t->next_flow;

		trace_push(t, TEV_SLICE, CAT_IRQ, line_names[irq], TRACE_PID_MONITOR,
			   TID_IRQ0 + irq, raised, start - raised, vector);
		trace_push(t, TEV_FLOW_START, CAT_IRQ, "irq", TRACE_PID_MONITOR, TID_IRQ0 + irq,
			   raised, 0, id);
		trace_push(t, TEV_FLOW_END, CAT_IRQ, "irq", TRACE_PID_MONITOR, TID_VCPU, start, 0, id);
		t->irq_raised[irq] = 0;
		return;
	}
}

/* (v) A device raised (level 1) or lowered a line. */
void trace_irq(struct trace *t, int irq, int level)
{
	if (level && irq >= 0 && irq < TRACE_NIRQ && !t->irq_raised[irq])
		t->irq_raised[irq] = trace_now(t) | 1;   /* never 0 */
}

/* (iii) A system call of the process on the vCPU begins. */
void trace_syscall(struct trace *t, u64 nr)
{
	if (t->sys_open)
		return;                 /* not back in user mode since: the same one */
	t->sys_open = true;
	t->sys_nr = nr;
	t->sys_start = trace_now(t);
	t->sys_pid = t->cur_pid;
}

static void trace_end_syscall(struct trace *t, u64 now)
{
	const char *name = stats_syscall_name(t->sys_nr);

	if (t->sys_pid > 0)
		trace_push(t, TEV_SLICE, CAT_SYSCALL, name ? name : "syscall (unknown)",
			   (u32)t->sys_pid, (u32)t->sys_pid, t->sys_start, now - t->sys_start,
			   t->sys_nr);
	t->sys_open = false;
}

static void trace_end_running(struct trace *t, u64 now)
{
	if (t->cur_pid > 0)
		trace_push(t, TEV_SLICE, CAT_PROC, t->cur_label, (u32)t->cur_pid, (u32)t->cur_pid,
			   t->cur_since, now - t->cur_since, 0);
}

/* (iii) The vCPU is about to run: a new process on it, a system call
 * that has returned to user mode. */
void trace_resume(struct trace *t)
{
	struct vm *vm = t->vm;
	const struct pv_vcpu *pv = vm->pv_gpa ? (const struct pv_vcpu *)(vm->ram + vm->pv_gpa) : NULL;
	char name[16];
	int pid;

	if (pv) {
		pid = pv->proc_pid;
		for (size_t i = 0; i < sizeof(name); i++)
			name[i] = pv->proc_name[i];
		name[sizeof(name) - 1] = 0;
		if (pid != t->cur_pid) {
			u64 now = trace_now(t);

			if (t->sys_open)
				trace_end_syscall(t, now);
			trace_end_running(t, now);
			t->cur_pid = pid > 0 ? pid : 0;
			memcpy(t->cur_name, name, sizeof(name));
			t->cur_since = now;
			t->cur_label = t->cur_pid ? trace_proc_name(t, t->cur_pid, name) : NULL;
		} else if (strcmp(name, t->cur_name)) {
			/* Renamed by exec, inside its execve: the track takes the
			 * new name, the slice running since before keeps its own
			 * (ending it here would cut the execve slice in two). */
			memcpy(t->cur_name, name, sizeof(name));
			if (t->cur_pid)
				trace_proc_name(t, t->cur_pid, name);
		}
	}
	if (t->sys_open && vm->vcpu.cpl == 3)
		trace_end_syscall(t, trace_now(t));
}

/* (iv) */
void trace_instant(struct trace *t, const char *what, u64 addr)
{
	trace_push(t, TEV_INSTANT, CAT_SHADOW, what, TRACE_PID_MONITOR, TID_SHADOW,
		   trace_now(t), 0, addr);
}

/* ---- (vi) The file ---- */

/* One event as its JSON line (with a leading comma): its length. */
static int tev_format(const struct tev *e, char *buf, size_t len)
{
	char ts[32], tail[96];

	snprintf(ts, sizeof(ts), "%" PRIu64 ".%03u", e->ts / 1000, (unsigned)(e->ts % 1000));
	switch (e->type) {
	case TEV_SLICE:
		snprintf(tail, sizeof(tail), "\"ph\":\"X\",\"dur\":%" PRIu64 ".%03u,\"args\":{\"%s\":\"%#" PRIx64 "\"}",
			 e->dur / 1000, (unsigned)(e->dur % 1000),
			 e->cat == CAT_SYSCALL ? "nr" : e->cat == CAT_IRQ ? "vector" : "rip_after", e->arg);
		if (e->cat == CAT_PROC)
			snprintf(tail, sizeof(tail), "\"ph\":\"X\",\"dur\":%" PRIu64 ".%03u",
				 e->dur / 1000, (unsigned)(e->dur % 1000));
		break;
	case TEV_INSTANT:
		snprintf(tail, sizeof(tail), "\"ph\":\"i\",\"s\":\"t\",\"args\":{\"address\":\"%#" PRIx64 "\"}",
			 e->arg);
		break;
	case TEV_FLOW_START:
		snprintf(tail, sizeof(tail), "\"ph\":\"s\",\"id\":%" PRIu64, e->arg);
		break;
	default:
		snprintf(tail, sizeof(tail), "\"ph\":\"f\",\"bp\":\"e\",\"id\":%" PRIu64, e->arg);
		break;
	}
	/* Names are stats rows, syscall names, literals and guest process
	 * names: the last may hold anything, so escape what JSON needs. */
	char name[64];
	size_t o = 0;
	for (const char *c = e->name; *c && o < sizeof(name) - 7; c++) {
		unsigned char ch = (unsigned char)*c;
		if (ch == '"' || ch == '\\')
			o += snprintf(name + o, sizeof(name) - o, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			o += snprintf(name + o, sizeof(name) - o, "\\u%04x", ch);
		else
			name[o++] = (char)ch;
	}
	name[o] = 0;
	return snprintf(buf, len, ",\n{\"name\":\"%s\",\"cat\":\"%s\",\"pid\":%u,\"tid\":%u,\"ts\":%s,%s}",
			name, cat_name[e->cat], e->pid, e->tid, ts, tail);
}

static int meta_format(char *buf, size_t len, const char *what, u32 pid, u32 tid,
		       const char *label, int num)
{
	char name[48];
	size_t o = 0;

	for (const char *c = label; *c && o < sizeof(name) - 7; c++)
		name[o++] = *c == '"' || *c == '\\' || (unsigned char)*c < 0x20 ? '?' : *c;
	name[o] = 0;
	if (num >= 0)
		snprintf(name + o, sizeof(name) - o, " %d", num);
	return snprintf(buf, len, ",\n{\"name\":\"%s\",\"ph\":\"M\",\"pid\":%u,\"tid\":%u,\"args\":{\"name\":\"%s\"}}",
			what, pid, tid, name);
}

/* Write the metadata (track names) to f, or only count it (f NULL). */
static u64 trace_meta(struct trace *t, FILE *f)
{
	char line[256];
	u64 bytes = 0;

#define META(...) do { int n_ = meta_format(line, sizeof(line), __VA_ARGS__); \
		bytes += n_; if (f) fputs(line, f); } while (0)
	META("thread_name", TRACE_PID_MONITOR, TID_VCPU, "vCPU 0: stops", -1);
	META("thread_name", TRACE_PID_MONITOR, TID_SHADOW, "shadow paging", -1);
	for (int i = 0; i < TRACE_NIRQ; i++)
		META("thread_name", TRACE_PID_MONITOR, TID_IRQ0 + i, "IRQ", i);
	/* A guest process's track: its latest name (its last slot). */
	for (int i = 0; i < TRACE_NPROC; i++) {
		bool later = false;

		for (int j = i + 1; j < TRACE_NPROC && !later; j++)
			later = t->proc[j].pid == t->proc[i].pid;
		if (!t->proc[i].pid || later)
			continue;
		char label[40];
		snprintf(label, sizeof(label), "guest %s", t->proc[i].name);
		META("process_name", (u32)t->proc[i].pid, 0, label, -1);
		META("thread_name", (u32)t->proc[i].pid, (u32)t->proc[i].pid, t->proc[i].name, -1);
	}
#undef META
	return bytes;
}

static const struct tev *ring_at(const struct trace *t, u64 i)   /* i: 0 = oldest */
{
	return &t->ring[(t->head + t->cap - t->n + i) % t->cap];
}

int trace_close(struct trace *t, char *err, size_t errlen)
{
	static const char head[] = "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n"
				   "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1000000,"
				   "\"tid\":0,\"args\":{\"name\":\"trapvisor\"}}";
	char line[512], tail[256];
	u64 now, budget, used, first, dropped;
	int r = 0;
	FILE *f;

	if (!t)
		return 0;
	/* What was still going on ends now. */
	now = trace_now(t);
	if (t->sys_open)
		trace_end_syscall(t, now);
	trace_end_running(t, now);
	t->cur_pid = 0;

	/* The newest events that fit: the limit less the fixed parts. */
	used = sizeof(head) - 1 + trace_meta(t, NULL) + sizeof(tail);
	budget = t->limit > used ? t->limit - used : 0;
	first = t->n;
	for (u64 bytes = 0; first > 0; first--) {
		u64 n = (u64)tev_format(ring_at(t, first - 1), line, sizeof(line));
		if (bytes + n > budget)
			break;
		bytes += n;
	}
	dropped = t->overwritten + first;

	f = fopen(t->path, "w");
	if (!f) {
		snprintf(err, errlen, "--trace %s: %s", t->path, strerror(errno));
		r = -1;
		goto out;
	}
	fputs(head, f);
	trace_meta(t, f);
	for (u64 i = first; i < t->n; i++) {
		tev_format(ring_at(t, i), line, sizeof(line));
		fputs(line, f);
	}
	snprintf(tail, sizeof(tail), "\n],\n\"otherData\":{\"generator\":\"trapvisor " TRAPVISOR_VERSION
		 "\",\"limit_bytes\":%" PRIu64 ",\"events\":%" PRIu64 ",\"dropped_events\":%" PRIu64 "}}\n",
		 t->limit, t->n - first, dropped);
	fputs(tail, f);
	if (fclose(f) != 0) {
		snprintf(err, errlen, "--trace %s: %s", t->path, strerror(errno));
		r = -1;
	}
out:
	free(t->ring);
	free(t->path);
	free(t);
	return r;
}
