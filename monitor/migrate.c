/*
 * migrate.c: moving a running VM to another monitor (QEMU's migrate and
 * -incoming, Xen's xl migrate), by pre-copy, with shadow paging as the
 * dirty log (shadow.c part vii).
 *
 * The source, on the vCPU thread, between two stops:
 *   1. connects (unix:PATH, tcp:HOST:PORT, or file:PATH), sends the
 *      snapshot header (snapshot.c) and starts dirty logging: every
 *      writable shadow mapping becomes read-only, and a page the guest
 *      then writes faults, is logged and made writable again;
 *   2. round 1 sends every non-zero page; each later round sends the
 *      pages logged during the one before.  The guest keeps running: a
 *      step sends for at most MIG_STEP_NS, then the guest runs at least
 *      as long (the run loop calls migrate_step() at every stop);
 *   3. when the pages left would go in the downtime target
 *      (--migrate-downtime, at the send rate measured so far) or after
 *      MIG_MAX_ROUNDS, the guest is not resumed: the last dirty pages,
 *      the pages the monitor itself writes behind the shadow's back (the
 *      tracked page tables, whose A/D bits the walker sets, and the
 *      paravirtual page), the vCPU and the devices follow, then the end;
 *   4. the destination checks it all and answers "TVOK"; only then does
 *      the source exit.  Any failure (a write that fails, no answer, a
 *      refusal "TVNO reason") stops the logging and the guest goes on
 *      here as if nothing had happened.
 * A disk must be the same image on both sides (shared storage, as QEMU
 * assumes): the source gives up its lock just before the end, the
 * destination takes it and checks the size and the first 4 KiB's crc32.
 *
 * The destination (--incoming URI) receives the whole stream before the
 * guest runs at all (snap_read()), so a stream that breaks off or fails a
 * checksum ends the destination with one line, and nothing of it runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vm.h"
#include "host_time.h"

#define MIG_STEP_NS     (10 * 1000000ull)  /* the longest a step sends for */
#define MIG_MAX_ROUNDS  30                 /* then stop and copy anyway */
#define MIG_ACK_TIMEOUT_MS 60000           /* for the destination's answer */
#define MIG_IO_TIMEOUT_S   30              /* a send that blocks longer fails */

enum mig_state { MIG_ACTIVE, MIG_COMPLETED, MIG_FAILED };

struct migration {
	enum mig_state state;    /* where it is */
	char uri[256];           /* where to */
	int fd;                  /* the connection or file, -1 when closed */
	bool to_file;            /* file:PATH: no answer to wait for */
	struct snap_stream *s;   /* the stream on fd */
	u64 *todo;               /* pages still to send this round (a bit each) */
	u64 words;               /* u64s in todo */
	u64 cursor;              /* next page number to look at */
	int round;               /* 1, 2, ... */
	u64 round_pages;         /* pages sent this round */
	u64 round_start_ns;      /* when the round began */
	u64 start_ns;            /* when the migration began */
	u64 send_ns;             /* time spent sending (steps only): the send rate */
	u64 last_step_ns;        /* when the last step ended */
	u64 pages;               /* pages sent in all */
	u64 downtime_ns;         /* the final pause, to the destination's answer */
	u64 total_ns;            /* start to answer */
	char error[256];         /* why it failed */
};

/* ---- Addresses ---- */

enum mig_kind { MIG_UNIX, MIG_TCP, MIG_FILE };

/* unix:PATH, tcp:HOST:PORT, file:PATH.  0, or -1 with one line in err. */
static int mig_parse(const char *uri, enum mig_kind *kind, char *a, size_t alen, char *port,
		     size_t plen, char *err, size_t errlen)
{
	const char *rest = strchr(uri, ':');

	if (!rest || !rest[1] || strlen(rest + 1) >= alen)
		goto bad;
	rest++;
	if (!strncmp(uri, "unix:", 5)) {
		*kind = MIG_UNIX;
		if (strlen(rest) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
			snprintf(err, errlen, "%s: the socket path is too long", uri);
			return -1;
		}
	} else if (!strncmp(uri, "file:", 5)) {
		*kind = MIG_FILE;
	} else if (!strncmp(uri, "tcp:", 4)) {
		const char *colon = strrchr(rest, ':');
		*kind = MIG_TCP;
		if (!colon || colon == rest || !colon[1] || strlen(colon + 1) >= plen)
			goto bad;
		snprintf(port, plen, "%s", colon + 1);
		snprintf(a, alen, "%.*s", (int)(colon - rest), rest);
		return 0;
	} else {
		goto bad;
	}
	snprintf(a, alen, "%s", rest);
	return 0;
bad:
	snprintf(err, errlen, "%s: expected unix:PATH, tcp:HOST:PORT or file:PATH", uri);
	return -1;
}

/* Connect (listen=false) or listen and accept one (listen=true). */
static int mig_socket(enum mig_kind kind, const char *a, const char *port, bool listen_,
		      const char *uri, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = listen_ ? AI_PASSIVE : 0 },
			*ai = NULL;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const struct sockaddr *sa = (const struct sockaddr *)&sun;
	socklen_t salen = sizeof(sun);
	int fd, one = 1, family = AF_UNIX;

	if (kind == MIG_TCP) {
		int r = getaddrinfo(a, port, &hints, &ai);
		if (r) {
			snprintf(err, errlen, "%s: %s", uri, gai_strerror(r));
			return -1;
		}
		sa = ai->ai_addr;
		salen = ai->ai_addrlen;
		family = ai->ai_family;
	} else {
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", a);
	}
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	if (listen_) {
		int lfd = fd;
		if (kind == MIG_UNIX)
			unlink(a);
		setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(lfd, sa, salen) < 0 || listen(lfd, 1) < 0)
			goto fail;
		fprintf(stderr, "trapvisor: waiting for the migration stream on %s\n", uri);
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		int e = errno;
		close(lfd);
		if (kind == MIG_UNIX)
			unlink(a);
		errno = e;
		if (fd < 0)
			goto fail;
	} else if (connect(fd, sa, salen) < 0) {
		goto fail;
	}
	if (ai)
		freeaddrinfo(ai);
	return fd;
fail:
	snprintf(err, errlen, "%s: %s", uri, strerror(errno));
	if (fd >= 0)
		close(fd);
	if (ai)
		freeaddrinfo(ai);
	return -1;
}

/* ---- The source ---- */

int migrate_start(struct vm *vm, const char *uri, char *err, size_t errlen)
{
	struct migration *m = vm->mig;
	char a[256], port[32];
	enum mig_kind kind;
	struct timeval tv = { .tv_sec = MIG_IO_TIMEOUT_S };
	int r;

	if (m && m->state == MIG_ACTIVE) {
		snprintf(err, errlen, "a migration to %s is under way", m->uri);
		return -1;
	}
	if (mig_parse(uri, &kind, a, sizeof(a), port, sizeof(port), err, errlen) < 0 ||
	    snapshot_kernel_id(vm, err, errlen) < 0)
		return -1;
	if (!m && !(m = vm->mig = calloc(1, sizeof(*m)))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	free(m->todo);
	*m = (struct migration){ .state = MIG_FAILED, .fd = -1 };
	snprintf(m->uri, sizeof(m->uri), "%s", uri);
	m->to_file = kind == MIG_FILE;
	m->fd = kind == MIG_FILE ? open(a, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) :
		mig_socket(kind, a, port, false, uri, err, errlen);
	if (m->fd < 0) {
		if (kind == MIG_FILE)
			snprintf(err, errlen, "%s: %s", a, strerror(errno));
		snprintf(m->error, sizeof(m->error), "%s", err);
		return -1;
	}
	if (!m->to_file)
		setsockopt(m->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	m->words = (vm->ram_size / 4096 + 63) / 64;
	m->todo = malloc(m->words * sizeof(u64));
	m->s = snap_open(m->fd, uri);
	if (!m->todo || !m->s) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	memset(m->todo, 0xff, m->words * sizeof(u64));   /* round 1: everything */
	r = shadow_dirty_log_start(&vm->shadow);
	if (r < 0) {
		snprintf(err, errlen, "starting the dirty log: %s", strerror(-r));
		goto fail;
	}
	if (snap_write_header(m->s, vm) < 0) {
		snprintf(err, errlen, "%s: %s", uri, strerror(errno));
		goto fail;
	}
	m->state = MIG_ACTIVE;
	m->round = 1;
	m->start_ns = m->round_start_ns = host_mono_ns();
	fprintf(stderr, "trapvisor: migrate: to %s, downtime target %llu ms\n", uri,
		(unsigned long long)vm->opt.migrate_downtime_ms);
	return 0;
fail:
	snprintf(m->error, sizeof(m->error), "%s", err);
	shadow_dirty_log_stop(&vm->shadow);
	snap_close(m->s);
	m->s = NULL;
	close(m->fd);
	m->fd = -1;
	return -1;
}

/* It failed: the guest goes on here as if nothing had happened. */
static void mig_fail(struct vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void mig_fail(struct vm *vm, const char *fmt, ...)
{
	struct migration *m = vm->mig;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->error, sizeof(m->error), fmt, ap);
	va_end(ap);
	m->state = MIG_FAILED;
	shadow_dirty_log_stop(&vm->shadow);
	snap_close(m->s);
	m->s = NULL;
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
	/* The disk's lock, if it was given up for the destination. */
	if (vm->ata.fd >= 0 && flock(vm->ata.fd, (vm->ata.read_only ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0)
		fprintf(stderr, "trapvisor: warning: could not lock the disk again: %s\n",
			strerror(errno));
	fprintf(stderr, "trapvisor: migration to %s failed: %s; the guest goes on here\n",
		m->uri, m->error);
}

/* After a failed send: the destination may have said why it refused. */
static const char *mig_refusal(struct migration *m, char *buf, size_t size)
{
	ssize_t n = m->to_file ? -1 : recv(m->fd, buf, size - 1, MSG_DONTWAIT);

	if (n > 4 && !memcmp(buf, "TVNO", 4)) {
		buf[n] = 0;
		buf[strcspn(buf, "\n")] = 0;
		return buf + 4;
	}
	return NULL;
}

static void mig_send_failed(struct vm *vm)
{
	struct migration *m = vm->mig;
	char buf[512];
	const char *why = mig_refusal(m, buf, sizeof(buf));
	int e = errno;

	if (why)
		mig_fail(vm, "the destination refused: %s", why);
	else
		mig_fail(vm, "sending: %s", strerror(e));
}

static u64 popcount_bits(const u64 *b, u64 words)
{
	u64 n = 0;
	for (u64 i = 0; i < words; i++)
		n += (u64)__builtin_popcountll(b[i]);
	return n;
}

/* Send the pages set in todo, from the cursor, until the deadline (0:
 * until done).  True when the round's pages are all sent; false on a
 * failure too (m->state says). */
static bool mig_send(struct vm *vm, u64 deadline)
{
	struct migration *m = vm->mig;
	u64 npages = vm->ram_size / 4096;

	while (m->cursor < npages) {
		/* Round 1 skips zero pages: the holes of the RAM memfd at once. */
		if (m->round == 1 && m->cursor % 64 == 0 &&
		    (m->cursor = snap_next_data(vm, m->cursor)) >= npages)
			break;
		u64 w = m->todo[m->cursor / 64] >> (m->cursor % 64);
		if (!w) {
			m->cursor = (m->cursor / 64 + 1) * 64;
			continue;
		}
		m->cursor += (u64)__builtin_ctzll(w);
		if (m->cursor >= npages)
			break;
		m->todo[m->cursor / 64] &= ~(1ull << (m->cursor % 64));
		int r = snap_write_page(m->s, vm, m->cursor, m->round == 1);
		if (r < 0) {
			mig_send_failed(vm);
			return false;
		}
		m->round_pages += (u64)r;
		m->cursor++;
		if (deadline && (m->round_pages & 63) == 0 && host_mono_ns() >= deadline)
			break;
	}
	if (snap_flush_ram(m->s) < 0) {
		mig_send_failed(vm);
		return false;
	}
	return m->cursor >= npages;
}

/* Wait for the destination's answer: 0 for "TVOK", -1 after mig_fail. */
static int mig_wait_ack(struct vm *vm)
{
	struct migration *m = vm->mig;
	struct pollfd p = { .fd = m->fd, .events = POLLIN };
	char buf[512];
	size_t have = 0;

	if (m->to_file) {
		if (fdatasync(m->fd) < 0) {
			mig_fail(vm, "%s", strerror(errno));
			return -1;
		}
		return 0;
	}
	while (have < 4 || (!memcmp(buf, "TVNO", 4) && !memchr(buf, '\n', have) && have < sizeof(buf) - 1)) {
		int r = poll(&p, 1, MIG_ACK_TIMEOUT_MS);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0) {
			mig_fail(vm, "no answer from the destination in %d s", MIG_ACK_TIMEOUT_MS / 1000);
			return -1;
		}
		ssize_t n = r < 0 ? -1 : read(m->fd, buf + have, sizeof(buf) - 1 - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			mig_fail(vm, "the destination closed the connection without an answer");
			return -1;
		}
		have += (size_t)n;
	}
	buf[have] = 0;
	if (!memcmp(buf, "TVOK", 4))
		return 0;
	buf[strcspn(buf, "\n")] = 0;
	mig_fail(vm, "the destination refused: %s", !memcmp(buf, "TVNO", 4) ? buf + 4 : "a garbled answer");
	return -1;
}

/* Stop and copy: the guest is not resumed until this ends. */
static void mig_finish(struct vm *vm)
{
	struct migration *m = vm->mig;
	struct shadow *sh = &vm->shadow;
	u64 t0 = host_mono_ns();
	int r;

	r = shadow_dirty_log_sync(sh, m->todo);
	if (r < 0) {
		mig_fail(vm, "reading the dirty log: %s", strerror(-r));
		return;
	}
	/* What the monitor writes without a fault: the tables' A/D bits,
	 * the paravirtual page. */
	for (u32 i = 0; i < sh->ntracked; i++)
		m->todo[sh->tracked[i] / 64] |= 1ull << (sh->tracked[i] % 64);
	if (vm->pv_gpa)
		m->todo[(vm->pv_gpa >> 12) / 64] |= 1ull << ((vm->pv_gpa >> 12) % 64);
	m->cursor = 0;
	m->round++;
	m->round_pages = 0;
	if (!mig_send(vm, 0))
		return;
	m->pages += m->round_pages;
	if (vm->ata.fd >= 0) {
		if (fdatasync(vm->ata.fd) < 0) {
			mig_fail(vm, "flushing the disk: %s", strerror(errno));
			return;
		}
		flock(vm->ata.fd, LOCK_UN);     /* the destination takes it */
	}
	if (snap_write_state(m->s, vm) < 0) {
		mig_send_failed(vm);
		return;
	}
	if (mig_wait_ack(vm) < 0)
		return;
	u64 now = host_mono_ns();
	m->downtime_ns = now - t0;
	m->total_ns = now - m->start_ns;
	m->state = MIG_COMPLETED;
	fprintf(stderr, "trapvisor: migrate: round %d (final, guest stopped): %llu pages\n",
		m->round, (unsigned long long)m->round_pages);
	fprintf(stderr, "trapvisor: migrate: done: %d rounds, %llu pages sent (%.1f MiB), "
		"total %.1f ms, downtime %.1f ms\n", m->round, (unsigned long long)m->pages,
		snap_bytes(m->s) / 1048576.0, m->total_ns / 1e6, m->downtime_ns / 1e6);
	snap_close(m->s);
	m->s = NULL;
	close(m->fd);
	m->fd = -1;
	shadow_dirty_log_stop(sh);
	vm->stop = true;
	vm->exit_status = 0;
	vm->quit_reported = true;
	snprintf(vm->kill_reason, sizeof(vm->kill_reason), "migrated to %.200s: the guest runs there now",
		 m->uri);
}

/* A round ended: report it, take the next round's pages from the log,
 * and decide whether the rest fits the downtime target. */
static void mig_round_end(struct vm *vm)
{
	struct migration *m = vm->mig;
	u64 now = host_mono_ns(), ms = (now - m->round_start_ns) / 1000000;
	int r = shadow_dirty_log_sync(&vm->shadow, m->todo);

	if (r < 0) {
		mig_fail(vm, "reading the dirty log: %s", strerror(-r));
		return;
	}
	m->pages += m->round_pages;
	u64 dirty = popcount_bits(m->todo, m->words);
	double rate = (double)snap_bytes(m->s) / (m->send_ns ? m->send_ns : 1) * 1e9;
	double rest_ms = dirty * 4104.0 / rate * 1e3;
	fprintf(stderr, "trapvisor: migrate: round %d: %llu pages (%.1f MiB) in %llu ms; "
		"%llu pages dirtied meanwhile (%.0f pages/s); sending them would take %.1f ms\n",
		m->round, (unsigned long long)m->round_pages, m->round_pages * 4096 / 1048576.0,
		(unsigned long long)ms, (unsigned long long)dirty,
		dirty * 1e3 / (ms ? ms : 1), rest_ms);
	m->cursor = 0;
	m->round_pages = 0;
	if (rest_ms <= (double)vm->opt.migrate_downtime_ms || m->round >= MIG_MAX_ROUNDS) {
		/* The pages just taken from the log go back into it. */
		for (u64 i = 0; i < m->words; i++)
			vm->shadow.dirty[i] |= m->todo[i];
		mig_finish(vm);
		return;
	}
	m->round++;
	m->round_start_ns = now;
}

void migrate_step(struct vm *vm)
{
	struct migration *m = vm->mig;
	u64 now = host_mono_ns();

	/* A paused guest needs no time of its own: send without a break. */
	if (m->state != MIG_ACTIVE || (!vm->paused && now - m->last_step_ns < MIG_STEP_NS))
		return;
	bool done = mig_send(vm, now + MIG_STEP_NS);
	u64 end = host_mono_ns();
	m->send_ns += end - now;
	m->last_step_ns = end;
	if (m->state == MIG_ACTIVE && done)
		mig_round_end(vm);
}

bool migrate_active(const struct vm *vm)
{
	return vm->mig && vm->mig->state == MIG_ACTIVE;
}

void migrate_destroy(struct vm *vm)
{
	struct migration *m = vm->mig;

	if (!m)
		return;
	snap_close(m->s);
	if (m->fd >= 0)
		close(m->fd);
	free(m->todo);
	free(m);
	vm->mig = NULL;
}

void migrate_query(struct vm *vm, char *out, size_t size)
{
	struct migration *m = vm->mig;
	char q[300];

	if (!m) {
		snprintf(out, size, "{\"return\": {}}");
		return;
	}
	static const char *const names[] = { "active", "completed", "failed" };
	int n = snprintf(out, size, "{\"return\": {\"status\": \"%s\", \"rounds\": %d, "
			 "\"pages\": %llu, \"bytes\": %llu", names[m->state], m->round,
			 (unsigned long long)(m->pages + m->round_pages),
			 (unsigned long long)(m->s ? snap_bytes(m->s) : 0));
	if (n > 0 && (size_t)n < size && m->state == MIG_FAILED)
		n += snprintf(out + n, size - (size_t)n, ", \"error-desc\": %s",
			      json_quote(m->error, q, sizeof(q)));
	if (n > 0 && (size_t)n < size)
		snprintf(out + n, size - (size_t)n, "}}");
}

/* ---- The destination ---- */

int migrate_incoming(struct vm *vm, const char *uri, const char *disk_spec, char *err,
		     size_t errlen)
{
	char a[256], port[32];
	enum mig_kind kind;
	struct snap_stream *s;
	int fd, r;

	if (mig_parse(uri, &kind, a, sizeof(a), port, sizeof(port), err, errlen) < 0)
		return -1;
	if (kind == MIG_FILE) {
		fd = open(a, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			snprintf(err, errlen, "%s: %s", a, strerror(errno));
			return -1;
		}
	} else {
		fd = mig_socket(kind, a, port, true, uri, err, errlen);
		if (fd < 0)
			return -1;
	}
	s = snap_open(fd, uri);
	if (!s) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r = snap_read(s, vm, disk_spec, err, errlen);
	if (kind != MIG_FILE) {
		char line[600];
		int n = snprintf(line, sizeof(line), r == 0 ? "TVOK" : "TVNO%s\n", err);
		if (send(fd, line, (size_t)n, MSG_NOSIGNAL) != n && r == 0) {
			snprintf(err, errlen, "%s: the source went away before the answer: %s", uri,
				 strerror(errno));
			r = -1;
		}
	}
	if (r == 0)
		fprintf(stderr, "trapvisor: incoming migration from %s: %.1f MiB received\n", uri,
			snap_bytes(s) / 1048576.0);
	snap_close(s);
	close(fd);
	return r;
}
