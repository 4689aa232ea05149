/*
 * The GDB remote stub: `-s` (tcp::1234, on 127.0.0.1), `--gdb
 * tcp:HOST:PORT|unix:PATH`, `-S` (no guest instruction before the
 * debugger continues), as QEMU's.  gdb_target.c is what the debugger
 * sees (registers, memory, breakpoints, watchpoints); gdb_rsp.c frames
 * the packets.
 *
 * Two threads share the connection, never at once:
 *  - the watcher (one more thread) accepts connections and, while the
 *    guest runs, polls the client: input then (Ctrl-C, or a hang-up)
 *    asks the vCPU thread to stop (state GDB_RUNNING -> GDB_BREAK) and
 *    wakes it as the I/O thread does (io_wake(): a kick of the running
 *    context, or the eventfd of a halted vCPU).  A second debugger is
 *    refused with an error answer to its first packet (gdb shows it) and
 *    a line on stderr.
 *  - the vCPU thread, at the top of its loop (gdb_check()), serves the
 *    debugger while the guest is stopped: reads packets, answers, and
 *    returns to the loop when the debugger continues, steps, detaches or
 *    goes away (the guest then runs on, as under QEMU).
 * So nothing of the guest is touched outside the vCPU thread, and the
 * guest is always stopped at an instruction boundary with the vCPU's
 * registers saved.
 *
 * A single step runs the host process for one instruction
 * (PTRACE_SYSEMU_SINGLESTEP); an instruction that traps is performed by
 * the emulator in the same stop, so the step ends when the host reports
 * the trace trap or when RIP (or RCX, for a REP string instruction done
 * in parts, or the CPL) moved.  Interrupts wait during a step (QEMU's
 * default, so that `stepi` goes to the next instruction and not into
 * the timer handler) unless the vCPU is halted; they are delivered when
 * the guest continues.  A guest that sets TF itself still gets its #DB.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vm.h"

#define GDB_DEFAULT_HOST "127.0.0.1"

/* ---- The address: tcp:HOST:PORT, tcp::PORT, unix:PATH ---- */

/* Split a --gdb argument.  0 with host/port or path filled, or -1 with
 * one line in err. */
static int gdb_spec_parse(const char *spec, char *host, size_t hlen, char *port, size_t plen,
			  char *path, size_t pathlen, char *err, size_t errlen)
{
	*host = *port = *path = 0;
	if (!strncmp(spec, "unix:", 5)) {
		if (!spec[5] || strlen(spec + 5) >= pathlen) {
			snprintf(err, errlen, "--gdb %s: a unix socket path of 1 to %zu bytes is needed",
				 spec, pathlen - 1);
			return -1;
		}
		snprintf(path, pathlen, "%s", spec + 5);
		return 0;
	}
	const char *colon = strncmp(spec, "tcp:", 4) ? NULL : strrchr(spec + 4, ':');
	if (!colon) {
		snprintf(err, errlen, "--gdb %s: expected tcp:HOST:PORT, tcp::PORT or unix:PATH", spec);
		return -1;
	}
	char *end;
	errno = 0;
	unsigned long p = strtoul(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || p == 0 || p > 65535 || colon[1] == '-' ||
	    colon[1] == '+') {
		snprintf(err, errlen, "--gdb %s: the port must be a number from 1 to 65535", spec);
		return -1;
	}
	size_t n = (size_t)(colon - (spec + 4));
	if (n >= hlen) {
		snprintf(err, errlen, "--gdb %s: the host name is too long", spec);
		return -1;
	}
	/* tcp::PORT listens on the loopback address only, as -s does: a
	 * debugger can do anything to the guest, so it is not offered to the
	 * network unless a host is named. */
	if (n)
		snprintf(host, hlen, "%.*s", (int)n, spec + 4);
	else
		snprintf(host, hlen, "%s", GDB_DEFAULT_HOST);
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {   /* tcp:[::1]:1234 */
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = 0;
	}
	snprintf(port, plen, "%lu", p);
	return 0;
}

int gdb_spec_check(const char *spec, char *err, size_t errlen)
{
	char host[128], port[8], path[sizeof(((struct sockaddr_un *)0)->sun_path)];

	return gdb_spec_parse(spec, host, sizeof(host), port, sizeof(port), path, sizeof(path),
			      err, errlen);
}

/* ---- Sending ---- */

/* Send len bytes or fail (the debugger went away): 0 or -1. */
static int gdb_send_raw(struct gdb *g, const void *buf, size_t len)
{
	return fd_write_all(atomic_load(&g->client), buf, len);
}

/* Frame and send one packet; it is kept for a retransmission ('-'). */
static int gdb_send(struct gdb *g, const void *body, size_t len)
{
	g->outlen = rsp_frame(body, len, g->out, 2 * RSP_MAX_PACKET + 8);
	if (!g->outlen)                         /* cannot happen: bodies are bounded */
		g->outlen = rsp_frame("E01", 3, g->out, 2 * RSP_MAX_PACKET + 8);
	return gdb_send_raw(g, g->out, g->outlen);
}

static int gdb_send_str(struct gdb *g, const char *s)
{
	return gdb_send(g, s, strlen(s));
}

/* Text for the debugger's console: "O" packets of hex, then none. */
static int gdb_send_console(struct gdb *g, const char *text, size_t len)
{
	static char body[1 + 2 * 2048 + 1];

	for (size_t off = 0; off < len; off += 2048) {
		size_t n = len - off < 2048 ? len - off : 2048;
		body[0] = 'O';
		rsp_hex_encode(body + 1, text + off, n);
		if (gdb_send(g, body, 1 + 2 * n) < 0)
			return -1;
	}
	return 0;
}

/* The stop reply: T, the signal, the thread, and a watchpoint's address. */
static int gdb_send_stop(struct gdb *g)
{
	char s[80];

	if (g->watch_hit_set)
		snprintf(s, sizeof(s), "T%02xthread:01;watch:%llx;", g->stop_sig,
			 (unsigned long long)g->watch_hit);
	else
		snprintf(s, sizeof(s), "T%02xthread:01;", g->stop_sig);
	return gdb_send_str(g, s);
}

/* ---- Connections ---- */

/* The watcher found a second debugger: a line here, and an error answer
 * to its first packet (gdb shows it), after which the connection is half
 * closed and closed when gdb closes it (gdb_refusing()).  One refusal at
 * a time; a third debugger meanwhile is closed at once. */
static void gdb_refuse(struct gdb *g, int fd)
{
	atomic_fetch_add(&g->refused, 1);
	fprintf(stderr, "trapvisor: gdb: refused a second debugger on %s: one is attached\n",
		g->where);
	if (g->refusing >= 0 || (!g->refuse_rx && !(g->refuse_rx = malloc(sizeof(*g->refuse_rx))))) {
		close(fd);
		return;
	}
	rsp_init(g->refuse_rx);
	g->refusing = fd;
	g->refuse_answered = false;
}

/* The refused debugger sent something: answer its first packet, close
 * when it does. */
static void gdb_refusing(struct gdb *g)
{
	static const char why[] = "E.trapvisor: a debugger is already attached to this VM";
	char pkt[sizeof(why) + 8], in[512];
	ssize_t n = recv(g->refusing, in, sizeof(in), MSG_DONTWAIT);

	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		close(g->refusing);
		g->refusing = -1;
		return;
	}
	for (ssize_t i = 0; i < n && !g->refuse_answered; i++) {
		enum rsp_event e = rsp_feed(g->refuse_rx, (u8)in[i]);
		if (e != RSP_PACKET && e != RSP_BAD_CSUM && e != RSP_BAD && e != RSP_TOO_LONG)
			continue;
		size_t len = rsp_frame(why, sizeof(why) - 1, pkt, sizeof(pkt));
		if (send(g->refusing, "+", 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1)
			send(g->refusing, pkt, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		shutdown(g->refusing, SHUT_WR);
		g->refuse_answered = true;
	}
}

static void gdb_accept(struct vm *vm)
{
	struct gdb *g = vm->gdb;
	int fd = accept4(g->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	int one = 1, running = GDB_RUNNING;

	if (fd < 0)
		return;
	if (atomic_load(&g->client) >= 0 || atomic_load(&g->pending) >= 0) {
		gdb_refuse(g, fd);
		return;
	}
	if (!g->unix_path[0])
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	atomic_store(&g->pending, fd);
	/* A debugger finds the guest stopped, as under QEMU. */
	atomic_compare_exchange_strong(&g->state, &running, GDB_BREAK);
	io_wake(&vm->io);
}

/* The watcher thread (see the top of the file). */
static void *gdb_watcher(void *arg)
{
	struct vm *vm = arg;
	struct gdb *g = vm->gdb;

	for (;;) {
		int client = atomic_load(&g->client);
		int linger = atomic_load(&g->linger);
		struct pollfd p[6] = {
			{ .fd = g->stop_fd, .events = POLLIN },
			{ .fd = g->ctl_fd, .events = POLLIN },
			{ .fd = g->listen_fd, .events = POLLIN },
			{ .fd = client >= 0 && atomic_load(&g->state) == GDB_RUNNING ? client : -1,
			  .events = POLLIN },
			{ .fd = linger, .events = POLLIN },
			{ .fd = g->refusing, .events = POLLIN },
		};
		u64 v;

		if (poll(p, 6, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents)
			break;
		if (p[1].revents) {             /* the poll set changes */
			if (read(g->ctl_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				break;
			continue;
		}
		if (p[2].revents & POLLIN)
			gdb_accept(vm);
		if (p[3].fd >= 0 && p[3].revents) {
			int running = GDB_RUNNING;
			if (atomic_compare_exchange_strong(&g->state, &running, GDB_BREAK))
				io_wake(&vm->io);
		}
		if (p[5].fd >= 0 && p[5].revents)
			gdb_refusing(g);
		if (linger >= 0 && p[4].revents) {
			char junk[256];
			if (recv(linger, junk, sizeof(junk), MSG_DONTWAIT) <= 0) {
				atomic_store(&g->linger, -1);
				close(linger);
			}
		}
	}
	return NULL;
}

/* The vCPU thread changed the state: the watcher re-reads it. */
static void gdb_set_state(struct gdb *g, enum gdb_state s)
{
	u64 one = 1;

	atomic_store(&g->state, s);
	if (write(g->ctl_fd, &one, sizeof(one)) < 0) {
		/* an eventfd at its limit is still readable: nothing lost */
	}
}

static void gdb_close_client(struct gdb *g)
{
	int fd = atomic_exchange(&g->client, -1);

	if (fd >= 0)
		close(fd);
}

/* The debugger detached or went away: nothing of it stays in the guest.
 * After a detach the connection lingers, half closed, until gdb closes
 * its end (the watcher closes ours), so that gdb's acknowledgement of
 * our "OK" is not refused. */
static void gdb_detach(struct vm *vm, const char *how, bool linger)
{
	struct gdb *g = vm->gdb;
	int none = -1, fd;

	gdb_target_clear(vm);
	if (linger && (fd = atomic_load(&g->client)) >= 0) {
		shutdown(fd, SHUT_WR);
		if (atomic_compare_exchange_strong(&g->linger, &none, fd)) {
			atomic_store(&g->client, -1);
			gdb_set_state(g, atomic_load(&g->state));   /* the watcher looks */
		}
	}
	gdb_close_client(g);
	g->stepping = false;
	g->resumed = false;
	fprintf(stderr, "trapvisor: gdb: the debugger %s; the guest runs on\n", how);
}

int gdb_create(struct vm *vm, char *err, size_t errlen)
{
	char host[128], port[8], path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE }, *ai = NULL;
	struct gdb *g;
	int one = 1, r;

	if (gdb_spec_parse(vm->opt.gdb, host, sizeof(host), port, sizeof(port), path, sizeof(path),
			   err, errlen) < 0)
		return EXIT_USAGE;
	g = vm->gdb = calloc(1, sizeof(*g));
	if (!g || !(g->out = malloc(2 * RSP_MAX_PACKET + 8)) || !(g->fpu = aligned_alloc(64, HOST_FPU_MAX))) {
		snprintf(err, errlen, "gdb: out of memory");
		return EXIT_HOST_ERROR;
	}
	g->listen_fd = g->ctl_fd = g->stop_fd = -1;
	atomic_store(&g->client, -1);
	atomic_store(&g->pending, -1);
	atomic_store(&g->linger, -1);
	atomic_store(&g->state, GDB_RUNNING);
	g->refusing = -1;
	rsp_init(&g->rx);
	g->wait = vm->opt.gdb_wait;
	g->stop_pending = g->wait;
	g->stop_sig = GDB_SIGTRAP;

	if (path[0]) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
		snprintf(g->where, sizeof(g->where), "unix:%s", path);
		g->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (g->listen_fd < 0 || bind(g->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			goto err_listen;
		snprintf(g->unix_path, sizeof(g->unix_path), "%s", path);
	} else {
		snprintf(g->where, sizeof(g->where), "tcp:%s:%s", host, port);
		r = getaddrinfo(host, port, &hints, &ai);
		if (r) {
			snprintf(err, errlen, "--gdb %s: %s", vm->opt.gdb, gai_strerror(r));
			return EXIT_USAGE;
		}
		g->listen_fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (g->listen_fd >= 0)
			setsockopt(g->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (g->listen_fd < 0 || bind(g->listen_fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			freeaddrinfo(ai);
			goto err_listen;
		}
		freeaddrinfo(ai);
	}
	if (listen(g->listen_fd, 1) < 0)
		goto err_listen;
	g->ctl_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	g->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (g->ctl_fd < 0 || g->stop_fd < 0 || pthread_create(&g->watcher, NULL, gdb_watcher, vm)) {
		snprintf(err, errlen, "gdb: cannot start the connection thread: %s", strerror(errno));
		return EXIT_HOST_ERROR;
	}
	g->started = true;
	return 0;
err_listen:
	snprintf(err, errlen, "--gdb %s: cannot listen on %s: %s", vm->opt.gdb, g->where,
		 strerror(errno));
	return EXIT_USAGE;
}

void gdb_destroy(struct vm *vm)
{
	struct gdb *g = vm->gdb;
	u64 one = 1;

	if (!g)
		return;
	if (g->started) {
		if (write(g->stop_fd, &one, sizeof(one)) == sizeof(one))
			pthread_join(g->watcher, NULL);
		else
			pthread_cancel(g->watcher);
	}
	gdb_close_client(g);
	int p = atomic_exchange(&g->pending, -1);
	if (p >= 0)
		close(p);
	p = atomic_exchange(&g->linger, -1);
	if (p >= 0)
		close(p);
	if (g->refusing >= 0)
		close(g->refusing);
	free(g->refuse_rx);
	int *fds[] = { &g->listen_fd, &g->ctl_fd, &g->stop_fd };
	for (unsigned i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (*fds[i] >= 0)
			close(*fds[i]);
	if (g->unix_path[0])
		unlink(g->unix_path);
	free(g->out);
	free(g->fpu);
	free(g);
	vm->gdb = NULL;
}

/* ---- Packets ---- */

enum gdb_action { GDB_STAY, GDB_RESUME, GDB_STEP, GDB_DETACH, GDB_KILL };

/* Registers: 'g' (all, hex) into out. */
static size_t gdb_regs_hex(struct vm *vm, char *out)
{
	size_t n = 0;
	u8 b[16];

	for (int i = 0; i < GDB_NREGS; i++) {
		int size = gdb_reg_read(vm, i, b);
		rsp_hex_encode(out + n, b, (size_t)size);
		n += 2 * (size_t)size;
	}
	return n;
}

/* 'G': every register; 0, or -1 if one would not take its value. */
static int gdb_regs_write(struct vm *vm, const char *hex)
{
	int bad = 0;
	u8 b[16];

	if (strlen(hex) % 2)
		return -1;
	for (int i = 0; i < GDB_NREGS && *hex; i++) {
		size_t size = (size_t)gdb_reg_size(i);
		if (strlen(hex) < 2 * size || rsp_hex_decode(hex, size, b) < 0)
			return -1;
		if (gdb_reg_write(vm, i, b) < 0)
			bad = -1;
		hex += 2 * size;
	}
	return bad;
}

/* "ADDR,LEN" at *s: 0, or -1. */
static int gdb_addr_len(const char **s, u64 *addr, u64 *len)
{
	if (rsp_parse_hex(s, addr) < 0 || **s != ',')
		return -1;
	(*s)++;
	return rsp_parse_hex(s, len);
}

/* "monitor ..." (qRcmd): the text to show, in a memory stream. */
static void gdb_monitor(struct vm *vm, const char *cmd, FILE *f)
{
	const char *arg;
	u64 va;

	while (*cmd == ' ')
		cmd++;
	if (!strcmp(cmd, "stats")) {
		stats_print(&vm->stats, f);
		fprintf(f, "%llu stops, %llu instructions emulated; gdb: %llu packets, "
			"%llu bad, %llu debuggers refused\n", (unsigned long long)vm->stops,
			(unsigned long long)vm->emulated, (unsigned long long)vm->gdb->packets,
			(unsigned long long)vm->gdb->bad_packets,
			(unsigned long long)atomic_load(&vm->gdb->refused));
		return;
	}
	if ((!strncmp(cmd, "info tlb", 8) && (arg = cmd + 8)) ||
	    (!strncmp(cmd, "tlb", 3) && (arg = cmd + 3))) {
		while (*arg == ' ')
			arg++;
		if (arg[0] == '0' && (arg[1] == 'x' || arg[1] == 'X'))
			arg += 2;
		if (rsp_parse_hex(&arg, &va) < 0 || *arg) {
			fprintf(f, "usage: monitor tlb ADDR (a guest-virtual address in hex)\n");
			return;
		}
		gdb_walk_print(vm, va, f);
		return;
	}
	fprintf(f, "trapvisor monitor commands:\n"
		"  stats            every stop so far by reason, with counts and time (--stats)\n"
		"  tlb ADDR         the guest's page walk of ADDR (also: info tlb ADDR) and\n"
		"                   the shadow's mapping of it in the current context\n");
	if (*cmd && strcmp(cmd, "help"))
		fprintf(f, "(unknown command: %s)\n", cmd);
}

static void gdb_qrcmd(struct vm *vm, const char *hex)
{
	struct gdb *g = vm->gdb;
	size_t n = strlen(hex) / 2;
	char *cmd = malloc(n + 1), *text = NULL;
	size_t len = 0;
	FILE *f;

	if (!cmd || strlen(hex) % 2 || rsp_hex_decode(hex, n, cmd) < 0 || memchr(cmd, 0, n)) {
		free(cmd);
		gdb_send_str(g, "E01");
		return;
	}
	cmd[n] = 0;
	f = open_memstream(&text, &len);
	if (!f) {
		free(cmd);
		gdb_send_str(g, "E0c");
		return;
	}
	gdb_monitor(vm, cmd, f);
	fclose(f);
	if (gdb_send_console(g, text, len) == 0)
		gdb_send_str(g, "OK");
	free(text);
	free(cmd);
}

/* qXfer:features:read:ANNEX:OFF,LEN */
static void gdb_qxfer(struct gdb *g, const char *p)
{
	static char body[RSP_MAX_PACKET];
	size_t total = strlen(gdb_target_xml);
	u64 off, len;

	if (strncmp(p, "target.xml:", 11)) {
		gdb_send_str(g, "E00");
		return;
	}
	p += 11;
	if (gdb_addr_len(&p, &off, &len) < 0 || *p) {
		gdb_send_str(g, "E01");
		return;
	}
	if (off >= total) {
		gdb_send_str(g, "l");
		return;
	}
	if (len > sizeof(body) - 1)
		len = sizeof(body) - 1;
	if (len > total - off)
		len = total - off;
	body[0] = off + len < total ? 'm' : 'l';
	memcpy(body + 1, gdb_target_xml + off, len);
	gdb_send(g, body, 1 + len);
}

static void gdb_query(struct vm *vm, const char *p)
{
	struct gdb *g = vm->gdb;
	char s[64];

	if (!strncmp(p, "qSupported", 10)) {
		snprintf(s, sizeof(s), "PacketSize=%x;qXfer:features:read+", RSP_MAX_PACKET);
		gdb_send_str(g, s);
	} else if (!strncmp(p, "qXfer:features:read:", 20)) {
		gdb_qxfer(g, p + 20);
	} else if (!strncmp(p, "qRcmd,", 6)) {
		gdb_qrcmd(vm, p + 6);
	} else if (!strcmp(p, "qAttached") || !strncmp(p, "qAttached:", 10)) {
		gdb_send_str(g, "1");           /* detach leaves the guest running */
	} else if (!strcmp(p, "qC")) {
		gdb_send_str(g, "QC01");
	} else if (!strcmp(p, "qfThreadInfo")) {
		gdb_send_str(g, "m01");
	} else if (!strcmp(p, "qsThreadInfo")) {
		gdb_send_str(g, "l");
	} else if (!strncmp(p, "qSymbol", 7)) {
		gdb_send_str(g, "OK");
	} else {
		gdb_send_str(g, "");            /* not supported */
	}
}

/* Z/z TYPE,ADDR,KIND */
static void gdb_point(struct vm *vm, const char *p)
{
	struct gdb *g = vm->gdb;
	bool insert = p[0] == 'Z';
	char type = p[1];
	u64 addr, kind;
	int r;

	p += 2;
	if (*p++ != ',' || gdb_addr_len(&p, &addr, &kind) < 0 || (*p && *p != ';')) {
		gdb_send_str(g, "E01");
		return;
	}
	switch (type) {
	case '0':                               /* software breakpoint */
	case '1':                               /* "hardware": the same here */
		r = insert ? gdb_bp_insert(vm, addr) : gdb_bp_remove(vm, addr);
		break;
	case '2':                               /* write watchpoint */
		r = insert ? gdb_watch_insert(vm, addr, kind) : gdb_watch_remove(vm, addr, kind);
		break;
	default:                                /* read/access watchpoints: no */
		gdb_send_str(g, "");
		return;
	}
	gdb_send_str(g, r == 0 ? "OK" : "E0e");
}

/* One packet from the debugger: answer it, and say what happens next. */
static enum gdb_action gdb_packet(struct vm *vm, char *p, size_t len)
{
	static char body[RSP_MAX_PACKET + 1];
	struct gdb *g = vm->gdb;
	const char *q = p + 1;
	u64 addr, n;
	int regno;
	u8 b[16];

	g->packets++;
	switch (p[0]) {
	case '?':
		gdb_send_stop(g);
		return GDB_STAY;
	case 'g':
		gdb_send(g, body, gdb_regs_hex(vm, body));
		return GDB_STAY;
	case 'G':
		gdb_send_str(g, gdb_regs_write(vm, q) == 0 ? "OK" : "E16");
		return GDB_STAY;
	case 'p':
		if (rsp_parse_hex(&q, &addr) < 0 || *q || addr >= GDB_NREGS) {
			gdb_send_str(g, "E16");
			return GDB_STAY;
		}
		regno = (int)addr;
		rsp_hex_encode(body, b, (size_t)gdb_reg_read(vm, regno, b));
		gdb_send_str(g, body);
		return GDB_STAY;
	case 'P':
		if (rsp_parse_hex(&q, &addr) < 0 || *q++ != '=' || addr >= GDB_NREGS ||
		    strlen(q) != 2 * (size_t)gdb_reg_size((int)addr) ||
		    rsp_hex_decode(q, (size_t)gdb_reg_size((int)addr), b) < 0) {
			gdb_send_str(g, "E16");
			return GDB_STAY;
		}
		gdb_send_str(g, gdb_reg_write(vm, (int)addr, b) == 0 ? "OK" : "E16");
		return GDB_STAY;
	case 'm': {
		static u8 mem[(RSP_MAX_PACKET - 8) / 2];

		if (gdb_addr_len(&q, &addr, &n) < 0 || *q) {
			gdb_send_str(g, "E01");
			return GDB_STAY;
		}
		if (n > sizeof(mem))
			n = sizeof(mem);
		size_t got = n ? gdb_mem_read(vm, addr, mem, n) : 0;
		if (n && !got) {
			gdb_send_str(g, "E0e");     /* EFAULT: not mapped in the guest */
			return GDB_STAY;
		}
		rsp_hex_encode(body, mem, got);
		gdb_send_str(g, body);
		return GDB_STAY;
	}
	case 'M':
	case 'X':
		if (gdb_addr_len(&q, &addr, &n) < 0 || *q++ != ':' || n > RSP_MAX_PACKET) {
			gdb_send_str(g, "E01");
			return GDB_STAY;
		}
		if (p[0] == 'M' ? strlen(q) != 2 * n || rsp_hex_decode(q, n, body) < 0
				: (size_t)(p + len - q) != n) {
			gdb_send_str(g, "E01");
			return GDB_STAY;
		}
		if (p[0] == 'X')
			memcpy(body, q, n);
		gdb_send_str(g, !n || gdb_mem_write(vm, addr, (u8 *)body, n) == 0 ? "OK" : "E0e");
		return GDB_STAY;
	case 'c':
	case 's':
	case 'C':
	case 'S':
		/* C/S SIG[;ADDR]: the signal is not the guest's (it has no
		 * signals of gdb's kind); c/s [ADDR]: resume there. */
		if (p[0] == 'C' || p[0] == 'S') {
			if (rsp_parse_hex(&q, &n) < 0 || (*q && *q != ';')) {
				gdb_send_str(g, "E01");
				return GDB_STAY;
			}
			if (*q)
				q++;
		}
		if (*q) {
			if (rsp_parse_hex(&q, &addr) < 0 || *q) {
				gdb_send_str(g, "E01");
				return GDB_STAY;
			}
			vm->vcpu.rip = addr;
		}
		return p[0] == 'c' || p[0] == 'C' ? GDB_RESUME : GDB_STEP;
	case 'D':
		gdb_send_str(g, "OK");
		return GDB_DETACH;
	case 'k':
		return GDB_KILL;
	case 'H':
	case 'T':
		gdb_send_str(g, "OK");              /* one thread: the vCPU */
		return GDB_STAY;
	case 'Z':
	case 'z':
		gdb_point(vm, p);
		return GDB_STAY;
	case 'q':
		gdb_query(vm, p);
		return GDB_STAY;
	case 'v':
		if (!strcmp(p, "vKill") || !strncmp(p, "vKill;", 6)) {
			gdb_send_str(g, "OK");
			return GDB_KILL;
		}
		gdb_send_str(g, "");                /* vCont, vMustReplyEmpty, ...: c and s do */
		return GDB_STAY;
	default:
		gdb_send_str(g, "");
		return GDB_STAY;
	}
}

/* ---- Serving a stopped guest ---- */

/* Wait for a debugger to connect (-S): true once one has, false if the
 * VM must stop instead (Ctrl-A x, a signal). */
static bool gdb_wait_client(struct vm *vm)
{
	struct gdb *g = vm->gdb;

	if (!g->said_waiting) {
		fprintf(stderr, "trapvisor: gdb: waiting for a debugger on %s (-S)\n", g->where);
		g->said_waiting = true;
	}
	for (;;) {
		int fd = atomic_exchange(&g->pending, -1);
		if (fd >= 0) {
			atomic_store(&g->client, fd);
			rsp_init(&g->rx);
			g->resumed = false;
			return true;
		}
		if (atomic_load(&vm->io.quit))
			return false;
		if (io_sleep(&vm->io) < 0)
			return false;
	}
}

/* Read what the debugger sent: the bytes, 0 when it went away, or -1
 * when the VM must stop (the I/O thread has something to say). */
static ssize_t gdb_read(struct vm *vm, u8 *buf, size_t size)
{
	struct gdb *g = vm->gdb;

	for (;;) {
		struct pollfd p[2] = { { .fd = atomic_load(&g->client), .events = POLLIN },
				       { .fd = vm->io.wake_fd, .events = POLLIN } };
		u64 v;

		if (atomic_load(&vm->io.quit))
			return -1;
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 0;
		}
		if (p[1].revents && read(vm->io.wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
			return 0;
		if (!p[0].revents)
			continue;                /* a tick or console input: it waits */
		ssize_t n = recv(p[0].fd, buf, size, 0);
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 ? 0 : n;
	}
}

/* The debugger asked to kill the guest: stop the VM (exit 137, as a shell
 * reports a killed program), with the one line trapvisor's own statuses
 * come with. */
static void gdb_kill(struct vm *vm)
{
	vm->stop = true;
	vm->exit_status = 128 + SIGKILL;
	vm->quit_reported = true;
	snprintf(vm->kill_reason, sizeof(vm->kill_reason), "killed by the debugger (gdb kill)");
	gdb_close_client(vm->gdb);
}

/* Serve the debugger until it resumes the guest, detaches or goes away,
 * or the VM must stop. */
static void gdb_serve(struct vm *vm)
{
	static u8 in[4096];
	struct gdb *g = vm->gdb;
	int fd;

	gdb_set_state(g, GDB_STOPPED);
	g->stop_pending = false;
	if ((fd = atomic_exchange(&g->pending, -1)) >= 0) {
		atomic_store(&g->client, fd);   /* it will ask '?' */
		rsp_init(&g->rx);
		g->resumed = false;
	}
	if (atomic_load(&g->client) >= 0 && g->resumed && gdb_send_stop(g) < 0)
		gdb_detach(vm, "went away", false);
	g->resumed = false;
	while (!vm->stop) {
		if (atomic_load(&g->client) < 0) {
			if (!g->wait)
				break;                  /* nobody to wait for: run */
			if (!gdb_wait_client(vm))
				return;
			continue;
		}
		ssize_t n = gdb_read(vm, in, sizeof(in));
		if (n < 0)
			return;                         /* the loop stops the VM */
		if (n == 0) {
			gdb_detach(vm, "disconnected", false);
			continue;
		}
		for (ssize_t i = 0; i < n && atomic_load(&g->client) >= 0; i++) {
			enum gdb_action a = GDB_STAY;

			switch (rsp_feed(&g->rx, in[i])) {
			case RSP_PACKET:
				if (gdb_send_raw(g, "+", 1) == 0)
					a = gdb_packet(vm, g->rx.buf, g->rx.len);
				break;
			case RSP_BAD_CSUM:
			case RSP_BAD:
				g->bad_packets++;
				gdb_send_raw(g, "-", 1);       /* send it again */
				break;
			case RSP_TOO_LONG:
				g->bad_packets++;
				if (gdb_send_raw(g, "+", 1) == 0)
					gdb_send_str(g, "E.packet too long");
				break;
			case RSP_NACK:
				if (g->outlen)
					gdb_send_raw(g, g->out, g->outlen);
				break;
			default:                       /* acks, Ctrl-C while stopped */
				break;
			}
			switch (a) {
			case GDB_STAY:
				break;
			case GDB_STEP:
			case GDB_RESUME:
				g->wait = false;
				g->resumed = true;
				g->stepping = a == GDB_STEP;
				g->step_rip = vm->vcpu.rip;
				g->step_rcx = vm->vcpu.gpr[R_RCX];
				g->step_cpl = vm->vcpu.cpl;
				g->traced = false;
				goto resume;
			case GDB_DETACH:
				gdb_detach(vm, "detached", true);
				g->wait = false;
				goto resume;
			case GDB_KILL:
				gdb_kill(vm);
				return;
			}
		}
	}
resume:
	gdb_bp_rearm(vm);
	g->watch_hit_set = false;
	gdb_set_state(g, GDB_RUNNING);
}

/* ---- The run loop's hooks ---- */

void gdb_check(struct vm *vm)
{
	struct gdb *g = vm->gdb;
	const struct vcpu *v = &vm->vcpu;

	gdb_watch_poll(vm);
	if (g->stepping && (g->traced || v->rip != g->step_rip || v->gpr[R_RCX] != g->step_rcx ||
			    v->cpl != g->step_cpl)) {
		g->stepping = false;
		g->stop_pending = true;
		g->stop_sig = GDB_SIGTRAP;
	}
	if (atomic_load(&g->state) == GDB_BREAK && !g->stop_pending) {
		g->stop_pending = true;
		g->stop_sig = GDB_SIGINT;
	}
	if (g->stop_pending)
		gdb_serve(vm);
}

bool gdb_defers_interrupts(const struct vm *vm)
{
	return vm->gdb && (vm->gdb->stepping || vm->gdb->suspended) && !vm->vcpu.halted;
}

bool gdb_wants_step(const struct gdb *g)
{
	return g->stepping || g->suspended;
}

void gdb_note_stop(struct gdb *g, const struct host_exit *e)
{
	if (g->stepping && e->reason == HOST_EXIT_DB && e->single_step)
		g->traced = true;
}

void gdb_exited(struct vm *vm)
{
	struct gdb *g = vm->gdb;
	char s[300];

	if (atomic_load(&g->client) < 0)
		return;
	if (vm->kill_reason[0]) {
		int n = snprintf(s, sizeof(s), "trapvisor: %s%s\n",
				 vm->crashed && vm->exit_status == EXIT_GUEST_CRASH ? "VM stopped: " : "",
				 vm->kill_reason);
		gdb_send_console(g, s, (size_t)n < sizeof(s) ? (size_t)n : sizeof(s) - 1);
	}
	snprintf(s, sizeof(s), "W%02x", vm->exit_status & 0xff);
	gdb_send_str(g, s);
	gdb_close_client(g);
}
