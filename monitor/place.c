/*
 * CPU placement: which host CPU a VM's monitor and context processes run on.
 *
 * Every stop hands the CPU from a context process to the monitor and back.
 * On one CPU that is a plain task switch; across two it is a wake-up of
 * another CPU, several times dearer (docs/ARCHITECTURE.md, "CPU placement",
 * has the numbers).  So by default a VM keeps all of its tasks together on
 * one CPU, and chooses which:
 *   (i)   at start, the least-loaded CPU among those the process may use
 *         (its affinity mask), from a short sample of the run queues; near
 *         ties are broken at random, so that VMs started together spread;
 *   (ii)  while it runs, a placement thread samples the run queues every
 *         second and moves the whole VM when its CPU stays contended (two
 *         windows in a row) and another allowed CPU is clearly less loaded.
 *         Each VM decides alone, so a crowd on one CPU must not all move at
 *         once: each moves with a probability that makes the expected
 *         number of movers about what would balance the two CPUs;
 *   (iii) --cpu N pins to N and never moves; --no-pin leaves it all to
 *         Linux's scheduler.
 *
 * Load is the number of runnable tasks (state R) on a CPU, counted from
 * /proc/PID/stat of every process (its main thread, field 39 the CPU) and
 * averaged over the samples of a window: a run-queue length, which also
 * tells a CPU with five busy VMs from one with one (utilisation would call
 * both 100%).  The VM's own tasks (the monitor's main thread, which runs the
 * vCPU, and its children, the context processes) are counted apart, so a
 * decision compares the CPUs as they would be with the VM moved.
 *
 * Only this file changes affinities.  A context process inherits the vCPU
 * thread's mask when it is created; a move sets the mask of every thread of
 * the monitor and of every child, and each window re-pins any own task
 * found on another CPU (a context created while a move ran).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "vm.h"

#define PLACE_SAMPLES        4    /* samples in a window */
#define PLACE_SAMPLE_MS      250  /* between samples: a window is about 1 s */
#define PLACE_START_SAMPLES  3    /* at start: 3 samples, 5 ms apart */
#define PLACE_START_MS       5
#define PLACE_MARGIN         0.5  /* a move must gain at least this much load */
#define PLACE_TIE            0.25 /* loads closer than this are a tie at start */
#define PLACE_COOLDOWN       3    /* windows to wait after a move */

/* ---- Reading the run queues ---- */

int place_parse_stat(const char *buf, char *state, int *ppid, int *cpu)
{
	/* "pid (comm) state ppid ...": comm may hold anything, spaces and
	 * parentheses too, so fields are counted from the last ')'. */
	const char *s = strrchr(buf, ')');
	int field = 2;           /* s is in field 2, comm */

	if (!s || sscanf(s + 1, " %c %d", state, ppid) != 2)
		return -1;
	for (; *s && field < 39; s++)
		if (*s == ' ')
			field++;
	return field == 39 && sscanf(s, "%d", cpu) == 1 && *cpu >= 0 ? 0 : -1;
}

/* Pin task 'tid' (0: the calling thread) to 'cpu'.  0 or -errno. */
static int place_set(pid_t tid, int cpu)
{
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	return sched_setaffinity(tid, sizeof(one), &one) < 0 ? -errno : 0;
}

/* One pass over /proc: add each runnable task to load[] at its CPU, and the
 * VM's own (pid 'self' or a child of it) to own[] as well.  Own tasks that
 * are not on 'pin' (>= 0) are pinned there again. */
static int place_sample(struct place *p, double *load, double *own, int pin)
{
	DIR *d = opendir("/proc");
	struct dirent *e;

	if (!d)
		return -errno;
	while ((e = readdir(d)) != NULL) {
		char path[64], buf[1024], state;
		int fd, ppid, cpu;
		long pid;
		ssize_t n;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		pid = strtol(e->d_name, NULL, 10);
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;             /* gone since readdir */
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = 0;
		if (place_parse_stat(buf, &state, &ppid, &cpu) < 0 || cpu >= p->ncpus)
			continue;
		bool mine = pid == p->self || ppid == p->self;
		if (mine && pin >= 0 && cpu != pin)
			place_set((pid_t)pid, pin);
		if (state != 'R')
			continue;
		load[cpu] += 1;
		if (mine)
			own[cpu] += 1;
	}
	closedir(d);
	return 0;
}

/* Sleep ms, or less if the thread is asked to stop; true if it is.  Before
 * the thread exists stop_fd is -1, which poll() ignores: a plain sleep. */
static bool place_nap(struct place *p, int ms)
{
	struct pollfd pfd = { .fd = p->stop_fd, .events = POLLIN };

	return poll(&pfd, 1, ms) > 0;
}

/* Average load[] and own[] over n samples 'ms' apart.  False if stopped. */
static bool place_window(struct place *p, double *load, double *own, int n, int ms, int pin)
{
	memset(load, 0, sizeof(double) * p->ncpus);
	memset(own, 0, sizeof(double) * p->ncpus);
	for (int i = 0; i < n; i++) {
		if (i && place_nap(p, ms))
			return false;
		place_sample(p, load, own, pin);
	}
	for (int c = 0; c < p->ncpus; c++) {
		load[c] /= n;
		own[c] /= n;
	}
	return true;
}

/* ---- Decisions (pure: tests/unit/test_place.c) ---- */

int place_initial(const cpu_set_t *allowed, int ncpus, const double *load, const double *own,
		  double rnd)
{
	double best = 0;
	int nbest = 0, k;

	for (int c = 0; c < ncpus; c++)
		if (CPU_ISSET(c, allowed) && (!nbest || load[c] - own[c] < best)) {
			best = load[c] - own[c];
			nbest = 1;
		}
	if (!nbest)
		return -1;
	nbest = 0;
	for (int c = 0; c < ncpus; c++)
		if (CPU_ISSET(c, allowed) && load[c] - own[c] < best + PLACE_TIE)
			nbest++;
	k = (int)(rnd * nbest);
	for (int c = 0; c < ncpus; c++)
		if (CPU_ISSET(c, allowed) && load[c] - own[c] < best + PLACE_TIE && k-- == 0)
			return c;
	return -1;
}

int place_decide(const cpu_set_t *allowed, int ncpus, const double *load, double own, int cur,
		 double rnd)
{
	int best = -1;

	for (int c = 0; c < ncpus; c++)
		if (c != cur && CPU_ISSET(c, allowed) && (best < 0 || load[c] < load[best]))
			best = c;
	/* Moving takes 'own' from cur to best: worth it only if best would
	 * then still be clearly below what cur is now. */
	if (best < 0 || load[best] + own + PLACE_MARGIN > load[cur])
		return -1;
	/* Half the gap would balance the two; if every task on cur were a VM
	 * like this one, load[cur] / own of them decide at once. */
	return rnd < (load[cur] - load[best]) / 2 * own / load[cur] ? best : -1;
}

/* ---- Moving ---- */

/* Every thread of the monitor, then every child: all on 'cpu'. */
static int place_move(struct place *p, int cpu)
{
	double *load = p->load, *own = p->own;
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int r = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] >= '1' && e->d_name[0] <= '9') {
			int rr = place_set((pid_t)strtol(e->d_name, NULL, 10), cpu);
			if (rr < 0 && rr != -ESRCH)
				r = rr;
		}
	closedir(d);
	if (r == 0) {
		p->cpu = cpu;
		place_sample(p, load, own, cpu);     /* re-pins the children */
		p->moves++;
	}
	return r;
}

/* ---- The placement thread (ii) ---- */

static void *place_thread(void *arg)
{
	struct place *p = arg;
	int contended = 0, cooldown = 0;

	for (;;) {
		/* A window of about a second, jittered so VMs started together
		 * do not sample and decide in step. */
		int ms = PLACE_SAMPLE_MS * 4 / 5 + (int)(rand_r(&p->seed) % (PLACE_SAMPLE_MS * 2 / 5));
		if (!place_window(p, p->load, p->own, PLACE_SAMPLES, ms, p->cpu))
			return NULL;
		if (place_nap(p, ms))
			return NULL;
		p->windows++;
		if (cooldown) {
			cooldown--;
			continue;
		}
		/* Contended: a move would help (the decision without its dice). */
		double rnd = rand_r(&p->seed) / ((double)RAND_MAX + 1);
		int to = place_decide(&p->allowed, p->ncpus, p->load, p->own[p->cpu], p->cpu, 0.0);
		contended = to >= 0 ? contended + 1 : 0;
		if (contended < 2)
			continue;
		to = place_decide(&p->allowed, p->ncpus, p->load, p->own[p->cpu], p->cpu, rnd);
		if (to >= 0 && place_move(p, to) == 0) {
			contended = 0;
			cooldown = PLACE_COOLDOWN;
		}
	}
}

/* ---- Start and stop ---- */

int place_start(struct place *p, const struct vm_options *opt, char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	p->inited = true;
	p->stop_fd = -1;
	p->cpu = -1;
	p->self = getpid();
	p->ncpus = sysconf(_SC_NPROCESSORS_CONF);
	if (p->ncpus < 1 || p->ncpus > CPU_SETSIZE)
		p->ncpus = CPU_SETSIZE;
	p->seed = (unsigned)p->self ^ (unsigned)time(NULL);
	if (!opt->pin)
		return 0;
	if (sched_getaffinity(0, sizeof(p->allowed), &p->allowed) < 0) {
		snprintf(err, errlen, "cannot read the CPU affinity mask: %s", strerror(errno));
		return -EXIT_HOST_ERROR;
	}
	if (opt->cpu >= 0) {
		if (opt->cpu >= p->ncpus || !CPU_ISSET(opt->cpu, &p->allowed)) {
			char list[256] = "";
			size_t len = 0;
			for (int c = 0; c < p->ncpus && len + 16 < sizeof(list); c++)
				if (CPU_ISSET(c, &p->allowed))
					len += snprintf(list + len, sizeof(list) - len, "%s%d",
							len ? "," : "", c);
			snprintf(err, errlen, "--cpu %d: not a CPU this process may run on (%s)",
				 opt->cpu, list);
			return -EXIT_USAGE;
		}
		p->cpu = opt->cpu;
		p->mode = PLACE_FIXED;
	} else {
		p->load = calloc(p->ncpus, sizeof(double));
		p->own = calloc(p->ncpus, sizeof(double));
		if (!p->load || !p->own) {
			snprintf(err, errlen, "cannot allocate the CPU placement state");
			return -EXIT_HOST_ERROR;
		}
		if (CPU_COUNT(&p->allowed) > 1)
			place_window(p, p->load, p->own, PLACE_START_SAMPLES, PLACE_START_MS, -1);
		p->cpu = place_initial(&p->allowed, p->ncpus, p->load, p->own,
				       rand_r(&p->seed) / ((double)RAND_MAX + 1));
		p->mode = CPU_COUNT(&p->allowed) > 1 ? PLACE_AUTO : PLACE_FIXED;
	}
	if (p->cpu < 0 || place_set(0, p->cpu) < 0) {
		snprintf(err, errlen, "cannot pin to CPU %d: %s", p->cpu, strerror(errno));
		return -EXIT_HOST_ERROR;
	}
	p->first_cpu = p->cpu;
	return 0;
}

int place_watch(struct place *p, char *err, size_t errlen)
{
	int r;

	if (p->mode != PLACE_AUTO)
		return 0;
	p->stop_fd = eventfd(0, EFD_CLOEXEC);
	r = p->stop_fd < 0 ? errno : pthread_create(&p->thread, NULL, place_thread, p);
	if (r != 0) {
		snprintf(err, errlen, "cannot start the placement thread: %s", strerror(r));
		return -1;
	}
	p->started = true;
	return 0;
}

void place_stop(struct place *p)
{
	u64 one = 1;

	if (!p->inited)
		return;
	if (p->started) {
		if (write(p->stop_fd, &one, sizeof(one)) < 0)
			pthread_cancel(p->thread);
		pthread_join(p->thread, NULL);
		p->started = false;
	}
	if (p->stop_fd >= 0)
		close(p->stop_fd);
	p->stop_fd = -1;
	free(p->load);
	free(p->own);
	p->load = p->own = NULL;
	p->inited = false;
}

void place_report(const struct place *p, FILE *f)
{
	switch (p->mode) {
	case PLACE_NONE:
		fprintf(f, "placement: not pinned (--no-pin): Linux places every task\n");
		break;
	case PLACE_FIXED:
		fprintf(f, "placement: pinned to CPU %d\n", p->cpu);
		break;
	case PLACE_AUTO:
		fprintf(f, "placement: started on CPU %d (least loaded), on CPU %d at exit; "
			"%llu moves in %llu windows\n", p->first_cpu, p->cpu,
			(unsigned long long)p->moves, (unsigned long long)p->windows);
		break;
	}
}
