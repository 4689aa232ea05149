/*
 * qmp.c: the control socket, --qmp unix:PATH, in the spirit of QEMU's QMP
 * (docs/interop/qmp-spec in QEMU): one JSON object per line each way.
 *
 *   <- {"QMP": {"version": {...}, "capabilities": []}}      the greeting
 *   -> {"execute": "qmp_capabilities"}                       first, always
 *   <- {"return": {}}
 *   -> {"execute": "savevm", "arguments": {"file": "a.snap"}, "id": 7}
 *   <- {"return": {}, "id": 7}          or {"error": {"class": ..., "desc": ...}}
 *
 * Commands: stop, cont, query-status, query-stats (the --stats counters),
 * savevm {"file"}, migrate {"uri"}, query-migrate, quit.
 *
 * A thread of its own accepts one client at a time and reads its lines;
 * each command is handed to the vCPU thread (io_wake() makes it look,
 * ctl_events() calls qmp_serve()), which runs it between two stops, and
 * the thread writes the reply.  So every command sees, and changes, the VM
 * only where the run loop would, and no lock guards the VM itself.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vm.h"
#include "host_time.h"

#define QMP_LINE_MAX 65536

struct qmp {
	struct vm *vm;           /* the VM it controls */
	char path[108];          /* the socket's path (unlinked at the end) */
	int listen_fd;           /* the listening socket */
	int stop_fd;             /* eventfd: the thread must end */
	pthread_t thread;        /* accepts and reads clients */
	bool started;            /* the thread runs */
	pthread_mutex_t lock;    /* guards req, reply, replied, closing */
	pthread_cond_t cond;     /* signalled when replied or closing is set */
	const struct json *req;  /* the command handed over, NULL if none */
	bool replied;            /* reply[] holds the answer to req */
	bool closing;            /* qmp_stop(): nobody will answer */
	char reply[65536];       /* the answer, one line without the newline */
	struct json_doc doc;     /* the client's current line, parsed */
	char line[QMP_LINE_MAX]; /* the line being read */
};

/* ---- Building replies ---- */

struct jbuf {
	char *p;                 /* the buffer */
	size_t size, len;        /* its size, bytes used */
};

static void __attribute__((format(printf, 2, 3))) jb(struct jbuf *b, const char *fmt, ...)
{
	va_list ap;

	if (b->len >= b->size)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(b->p + b->len, b->size - b->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len = b->len + (size_t)n < b->size ? b->len + (size_t)n : b->size - 1;
}

static void qmp_error(char *out, size_t size, const char *class, const char *desc)
{
	char q[1024];
	snprintf(out, size, "{\"error\": {\"class\": \"%s\", \"desc\": %s}}", class,
		 json_quote(desc, q, sizeof(q)));
}

/* The --stats counters: the stop table, system calls, shadow paging. */
static void qmp_stats(struct vm *vm, struct jbuf *b)
{
	static const char *const kind[] = { "instructions", "stops", "ports" };
	const struct shadow_stats *s = &vm->shadow.st;
	char q[128];

	jb(b, "{\"return\": {\"stops\": %llu, \"emulated\": %llu, \"chained\": %llu",
	   (unsigned long long)vm->stops, (unsigned long long)vm->emulated,
	   (unsigned long long)vm->chained);
	for (int k = 0; k < 3; k++) {
		bool first = true;
		jb(b, ", \"%s\": {", kind[k]);
		for (int i = 0; i < vm->stats.nrows; i++) {
			const struct stat_row *r = &vm->stats.row[i];
			if ((int)r->kind != k)
				continue;
			jb(b, "%s%s: {\"count\": %llu, \"ns\": %llu}", first ? "" : ", ",
			   json_quote(r->name, q, sizeof(q)), (unsigned long long)r->count,
			   (unsigned long long)r->ns);
			first = false;
		}
		jb(b, "}");
	}
	jb(b, ", \"syscalls\": {");
	bool first = true;
	for (int nr = 0; nr < STATS_NSYS; nr++) {
		const char *name = stats_syscall_name((u64)nr);
		if (!vm->stats.sys[nr])
			continue;
		if (!name)
			name = "other";
		jb(b, "%s\"%s\": %llu", first ? "" : ", ", name, (unsigned long long)vm->stats.sys[nr]);
		first = false;
	}
#define F(x) (unsigned long long)s->x
	jb(b, "}, \"shadow\": {\"hidden_faults\": %llu, \"prefetched\": %llu, \"guest_faults\": %llu, "
	   "\"tracked_now\": %llu, \"pt_writes\": %llu, \"sptes_dropped\": %llu, "
	   "\"wprotects\": %llu, \"contexts_built\": %llu, \"contexts_recycled\": %llu, "
	   "\"context_switches\": %llu, \"cr3_loads\": %llu, \"full_flushes\": %llu, "
	   "\"dirty_log_faults\": %llu, \"dirty_log_passes\": %llu}",
	   F(hidden_faults), F(prefetched), F(guest_faults), F(tracked_now), F(pt_writes),
	   F(sptes_dropped), F(wprotects), F(ctx_built), F(ctx_reused), F(ctx_switches),
	   F(cr3_loads), F(full_flushes), F(dirty_faults), F(dirty_passes));
#undef F
	jb(b, ", \"disk\": {\"commands\": %llu, \"sectors_read\": %llu, \"sectors_written\": %llu, "
	   "\"errors\": %llu}", (unsigned long long)vm->ata.commands,
	   (unsigned long long)vm->ata.sectors_read, (unsigned long long)vm->ata.sectors_written,
	   (unsigned long long)vm->ata.errors);
	jb(b, ", \"pit\": {\"ticks\": %llu, \"missed\": %llu}}}", (unsigned long long)vm->pit.ticks,
	   (unsigned long long)vm->pit.missed);
}

/* A string argument, or NULL after writing the error. */
static const char *qmp_arg(const struct json *root, const char *name, char *out, size_t size)
{
	const struct json *a = json_get(json_get(root, "arguments"), name);
	char desc[128];

	if (a && a->type == JSON_STRING && a->len == strlen(a->str) && a->len)
		return a->str;
	snprintf(desc, sizeof(desc), a ? "Invalid parameter type for '%s', expected: string" :
		 "Parameter '%s' is missing", name);
	qmp_error(out, size, "GenericError", desc);
	return NULL;
}

void qmp_execute(struct vm *vm, const struct json *root, char *out, size_t size)
{
	const struct json *ex = json_get(root, "execute");
	const char *cmd = ex && ex->type == JSON_STRING ? ex->str : NULL;
	const char *arg;
	char err[600];

	if (!cmd) {
		qmp_error(out, size, "GenericError", "expected an object with \"execute\": \"COMMAND\"");
		return;
	}
	if (!strcmp(cmd, "stop")) {
		if (!vm->paused) {
			vm->paused = true;
			vm->paused_ns = host_mono_ns();
		}
	} else if (!strcmp(cmd, "cont")) {
		if (vm->paused) {
			vm->paused = false;
			vm_time_shift(vm, host_mono_ns() - vm->paused_ns);
		}
	} else if (!strcmp(cmd, "query-status")) {
		snprintf(out, size, "{\"return\": {\"status\": \"%s\", \"running\": %s, \"singlestep\": false}}",
			 vm->paused ? "paused" : vm->mig ? "migrating" : "running",
			 vm->paused ? "false" : "true");
		return;
	} else if (!strcmp(cmd, "query-stats")) {
		struct jbuf b = { out, size, 0 };
		qmp_stats(vm, &b);
		return;
	} else if (!strcmp(cmd, "query-migrate")) {
		migrate_query(vm, out, size);
		return;
	} else if (!strcmp(cmd, "savevm")) {
		if (!(arg = qmp_arg(root, "file", out, size)))
			return;
		if (ctl_save(vm, arg, err, sizeof(err)) < 0) {
			qmp_error(out, size, "GenericError", err);
			return;
		}
	} else if (!strcmp(cmd, "migrate")) {
		if (!(arg = qmp_arg(root, "uri", out, size)))
			return;
		if (migrate_start(vm, arg, err, sizeof(err)) < 0) {
			qmp_error(out, size, "GenericError", err);
			return;
		}
	} else if (!strcmp(cmd, "quit")) {
		vm->stop = true;
		vm->exit_status = 0;
		vm->quit_reported = true;
		snprintf(vm->kill_reason, sizeof(vm->kill_reason), "quit (QMP)");
	} else {
		char desc[160], q[100];
		snprintf(desc, sizeof(desc), "The command %s has not been found",
			 json_quote(cmd, q, sizeof(q)));
		qmp_error(out, size, "CommandNotFound", desc);
		return;
	}
	snprintf(out, size, "{\"return\": {}}");
}

bool qmp_serve(struct vm *vm)
{
	struct qmp *q = vm->qmp;
	bool ran = false;

	pthread_mutex_lock(&q->lock);
	if (q->req && !q->replied) {
		qmp_execute(vm, q->req, q->reply, sizeof(q->reply));
		q->replied = true;
		ran = true;
		pthread_cond_broadcast(&q->cond);
	}
	pthread_mutex_unlock(&q->lock);
	return ran;
}

/* ---- The thread ---- */

static int send_line(int fd, const char *s)
{
	return fd_write_all(fd, s, strlen(s)) < 0 || fd_write_all(fd, "\n", 1) < 0 ? -1 : 0;
}

/* The reply to one line from the client, into q->reply. */
static void qmp_line(struct qmp *q, const char *line, size_t len, bool *negotiated)
{
	char err[160];
	const struct json *root = json_parse(&q->doc, line, len, err, sizeof(err));
	const struct json *ex = json_get(root, "execute");
	const char *cmd = ex && ex->type == JSON_STRING ? ex->str : "";

	if (!root) {
		char desc[200];
		snprintf(desc, sizeof(desc), "JSON parse error, %s", err);
		qmp_error(q->reply, sizeof(q->reply), "GenericError", desc);
		return;
	}
	if (root->type != JSON_OBJECT) {
		qmp_error(q->reply, sizeof(q->reply), "GenericError", "QMP input must be a JSON object");
		return;
	}
	if (!strcmp(cmd, "qmp_capabilities")) {
		if (*negotiated)
			qmp_error(q->reply, sizeof(q->reply), "CommandNotFound",
				  "Capabilities negotiation is already complete, command ignored");
		else
			snprintf(q->reply, sizeof(q->reply), "{\"return\": {}}");
		*negotiated = true;
		return;
	}
	if (!*negotiated) {
		qmp_error(q->reply, sizeof(q->reply), "CommandNotFound",
			  "Expecting capabilities negotiation with 'qmp_capabilities'");
		return;
	}
	/* Hand it to the vCPU thread and wait for the answer. */
	pthread_mutex_lock(&q->lock);
	q->req = root;
	q->replied = false;
	pthread_mutex_unlock(&q->lock);
	io_wake(&q->vm->io);
	pthread_mutex_lock(&q->lock);
	while (!q->replied && !q->closing)
		pthread_cond_wait(&q->cond, &q->lock);
	if (!q->replied)
		qmp_error(q->reply, sizeof(q->reply), "GenericError", "the VM has stopped");
	q->req = NULL;
	pthread_mutex_unlock(&q->lock);
}

/* "id" from the request, copied into the reply as QEMU does. */
static void qmp_add_id(struct qmp *q)
{
	const struct json *id = q->doc.n ? json_get(&q->doc.node[0], "id") : NULL;
	size_t len = strlen(q->reply);
	char v[256];

	if (!id || len < 2 || (id->type != JSON_STRING && id->type != JSON_NUMBER))
		return;
	if (id->type == JSON_STRING)
		json_quote(id->str, v, sizeof(v));
	else
		snprintf(v, sizeof(v), "%.17g", id->num);
	snprintf(q->reply + len - 1, sizeof(q->reply) - len + 1, ", \"id\": %s}", v);
}

/* Serve one client until it goes or the VM ends.  False when the thread
 * must end. */
static bool qmp_client(struct qmp *q, int fd)
{
	struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = q->stop_fd, .events = POLLIN } };
	size_t have = 0;
	bool negotiated = false, skipping = false;

	if (send_line(fd, "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 1, "
		      "\"major\": 0}, \"package\": \"trapvisor " TRAPVISOR_VERSION "\"}, "
		      "\"capabilities\": []}}") < 0)
		return true;
	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		if (p[1].revents)
			return false;
		ssize_t n = read(fd, q->line + have, sizeof(q->line) - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return true;
		have += (size_t)n;
		char *nl;
		while ((nl = memchr(q->line, '\n', have))) {
			size_t len = (size_t)(nl - q->line);
			if (!skipping && len > 0 && !(len == 1 && q->line[0] == '\r')) {
				q->doc.n = 0;
				qmp_line(q, q->line, len, &negotiated);
				qmp_add_id(q);
				if (send_line(fd, q->reply) < 0)
					return true;
			}
			skipping = false;
			memmove(q->line, nl + 1, have - len - 1);
			have -= len + 1;
		}
		if (have == sizeof(q->line)) {        /* a line too long: refuse it */
			qmp_error(q->reply, sizeof(q->reply), "GenericError", "line too long");
			if (send_line(fd, q->reply) < 0)
				return true;
			have = 0;
			skipping = true;
		}
	}
}

static void *qmp_thread(void *arg)
{
	struct qmp *q = arg;
	struct pollfd p[2] = { { .fd = q->listen_fd, .events = POLLIN },
			       { .fd = q->stop_fd, .events = POLLIN } };

	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		int fd = accept4(q->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		bool go_on = qmp_client(q, fd);
		close(fd);
		if (!go_on)
			break;
	}
	return NULL;
}

int qmp_start(struct vm *vm, const char *spec, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct qmp *q;

	if (strncmp(spec, "unix:", 5) != 0 || !spec[5]) {
		snprintf(err, errlen, "--qmp %s: expected unix:PATH", spec);
		return -1;
	}
	if (strlen(spec + 5) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "--qmp %s: the path is longer than %zu bytes", spec,
			 sizeof(sa.sun_path) - 1);
		return -1;
	}
	q = calloc(1, sizeof(*q));
	if (!q) {
		snprintf(err, errlen, "--qmp: out of memory");
		return -1;
	}
	q->vm = vm;
	q->stop_fd = -1;
	snprintf(q->path, sizeof(q->path), "%s", spec + 5);
	memcpy(sa.sun_path, q->path, strlen(q->path) + 1);
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	vm->qmp = q;
	q->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unlink(q->path);                /* a socket left by an earlier run */
	if (q->listen_fd < 0 || bind(q->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(q->listen_fd, 1) < 0) {
		snprintf(err, errlen, "--qmp %s: %s", spec, strerror(errno));
		goto fail;
	}
	q->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (q->stop_fd < 0 || (errno = pthread_create(&q->thread, NULL, qmp_thread, q)) != 0) {
		snprintf(err, errlen, "--qmp: cannot start its thread: %s", strerror(errno));
		goto fail;
	}
	q->started = true;
	return 0;
fail:
	qmp_stop(vm);
	return -1;
}

void qmp_stop(struct vm *vm)
{
	struct qmp *q = vm->qmp;
	u64 one = 1;

	if (!q)
		return;
	if (q->started) {
		pthread_mutex_lock(&q->lock);
		q->closing = true;
		pthread_cond_broadcast(&q->cond);
		pthread_mutex_unlock(&q->lock);
		if (write(q->stop_fd, &one, sizeof(one)) < 0)
			pthread_cancel(q->thread);
		pthread_join(q->thread, NULL);
	}
	if (q->listen_fd >= 0) {
		close(q->listen_fd);
		unlink(q->path);
	}
	if (q->stop_fd >= 0)
		close(q->stop_fd);
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->cond);
	free(q);
	vm->qmp = NULL;
}
