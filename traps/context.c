/*
 * Context processes and the stub.  A context is a host process that holds
 * one shadow address space of the guest: nothing but the stub (two pages at
 * STUB_BASE), the guest RAM memfd (fd 3) and the shadow mappings the monitor
 * asks for.  It is made by fork + fexecve of the stub ELF embedded in the
 * monitor, so none of the monitor's memory is inside.
 *
 * Mapping changes are queued per context in the monitor (ctxq.c, which
 * coalesces them), copied into the shared stub data page and run in one
 * batch (stub.S) just before that context resumes guest code: one ptrace
 * round trip for many mmap/munmap calls, and none for a context that does
 * not run.
 *
 * Two walls keep a context from reaching the host if the monitor dies:
 * PTRACE_O_EXITKILL, and a seccomp filter that allows only mmap, munmap and
 * mprotect, and only from the stub's own syscall instruction.  Guest
 * SYSCALLs never reach it: under PTRACE_SYSEMU the kernel stops the tracee
 * and skips the call before seccomp runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>
#include <asm/prctl.h>

#include "host_internal.h"
#include "stub.h"

extern const u8 stub_elf_start[], stub_elf_end[];

static u64 *stub_word(struct stub *s, unsigned off)
{
	return (u64 *)(s->data + off);
}

/* The bytes of the embedded stub at virtual address 'va' (its text segment
 * starts at file offset 0x1000, see stub.ld). */
static const u8 *stub_text(u64 va)
{
	size_t off = 0x1000 + (va - STUB_BASE);
	return off + 2 <= (size_t)(stub_elf_end - stub_elf_start) ? stub_elf_start + off : NULL;
}

int stub_init(struct stub *s, int ram_fd, char *err, size_t errlen)
{
	size_t len = stub_elf_end - stub_elf_start;
	const u8 *sc = stub_text(STUB_SYSCALL);

	memset(s, 0, sizeof(*s));
	s->exec_fd = s->data_fd = s->patch_fd = -1;
	s->ram_fd = ram_fd;
	const u8 *end = stub_text(STUB_BATCH_END), *fold = stub_text(STUB_FOLD);

	if (!sc || sc[0] != 0x0f || sc[1] != 0x05 || !end || end[0] != 0xcc ||
	    !fold || fold[0] != 0xfc) {
		snprintf(err, errlen, "stub: stub.S and stub.h disagree (STUB_SYSCALL, STUB_BATCH_END, STUB_FOLD)");
		return -EINVAL;
	}
	s->exec_fd = memfd_create("trapvisor-stub", MFD_CLOEXEC);
	s->data_fd = memfd_create("trapvisor-stub-data", MFD_CLOEXEC);
	if (s->exec_fd < 0 || s->data_fd < 0)
		goto err_errno;
	if (write(s->exec_fd, stub_elf_start, len) != (ssize_t)len)
		goto err_errno;
	if (ftruncate(s->data_fd, 4096) < 0)
		goto err_errno;
	s->data = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, s->data_fd, 0);
	if (s->data == MAP_FAILED) {
		s->data = NULL;
		goto err_errno;
	}
	return 0;
err_errno:
	snprintf(err, errlen, "stub: cannot set up the context stub: %s", strerror(errno));
	int r = -errno;
	stub_destroy(s);
	return r;
}

void stub_destroy(struct stub *s)
{
	for (int i = 0; i < STUB_QUEUES; i++)
		ctxq_free(&s->q[i]);
	if (s->data)
		munmap(s->data, 4096);
	if (s->exec_fd >= 0)
		close(s->exec_fd);
	if (s->data_fd >= 0)
		close(s->data_fd);
	s->data = NULL;
	s->exec_fd = s->data_fd = -1;
}

/* Wait until 'pid' stops or dies; returns the wait status or -errno. */
static int ctx_wait(pid_t pid)
{
	int status;

	for (;;) {
		if (waitpid(pid, &status, __WALL) == pid)
			return status;
		if (errno != EINTR)
			return -errno;
	}
}

/* The same for a new context's set-up stops (its exec event, the stub's
 * first int3): a stray signal before them is dropped, not taken for a
 * failure.  The I/O thread's kick is one: sent to a context that has just
 * been killed, it can reach a new one given the same pid. */
static int ctx_wait_setup(pid_t pid)
{
	for (;;) {
		int status = ctx_wait(pid);
		if (status < 0 || !WIFSTOPPED(status) || WSTOPSIG(status) == SIGTRAP ||
		    (status >> 16))
			return status;
		if (ptrace(PTRACE_CONT, pid, 0, 0) < 0)
			return -errno;
	}
}

/* Resume 'pid' at 'rip' with PTRACE_CONT (its system calls really run) and
 * wait for the int3 the stub ends with.  Returns 0 or -errno.  The other
 * registers are of no account: the stub uses none it does not set, and
 * the run loop loads all of the vCPU's before the context runs guest code
 * again (host_load_vcpu), so there is nothing to read first. */
int ctx_run_stub(pid_t pid, u64 rip, u64 *rax)
{
	struct user_regs_struct r = {
		.rip = rip, .cs = 0x33, .ss = 0x2b, .orig_rax = (unsigned long)-1,
		.eflags = X86_RFLAGS_IF | X86_RFLAGS_FIXED,
	};

	if (ptrace(PTRACE_SETREGS, pid, 0, &r) < 0 ||
	    ptrace(PTRACE_CONT, pid, 0, 0) < 0)
		return -errno;
	for (;;) {
		int status = ctx_wait(pid);
		if (status < 0)
			return status;
		if (!WIFSTOPPED(status))
			return -ECHILD;         /* the context died */
		if (WSTOPSIG(status) == SIGTRAP && !(status >> 16)) {
			if (rax && ptrace(PTRACE_GETREGS, pid, 0, &r) < 0)
				return -errno;
			if (rax)
				*rax = r.rax;
			return 0;
		}
		/* The filter refused one of the stub's own calls (a key the
		 * host did not keep): it did not run, and must not pass for
		 * done. */
		if (WSTOPSIG(status) == SIGSYS && !(status >> 16))
			return -EPERM;
		/* Any other stop (a kick signal, a group-stop) is not the
		 * stub's business: keep it running. */
		if (ptrace(PTRACE_CONT, pid, 0, 0) < 0)
			return -errno;
	}
}

int ctx_detach_at(pid_t pid, u64 rip)
{
	struct user_regs_struct r = {
		.rip = rip, .cs = 0x33, .ss = 0x2b, .orig_rax = (unsigned long)-1,
		.eflags = X86_RFLAGS_IF | X86_RFLAGS_FIXED,
	};

	if (ptrace(PTRACE_SETREGS, pid, 0, &r) < 0 || ptrace(PTRACE_DETACH, pid, 0, 0) < 0)
		return -errno;
	return 0;
}

/* The queue of 'pid', or NULL if nothing is queued for it. */
static struct ctxq *ctx_find(struct stub *s, pid_t pid)
{
	for (int i = 0; i < STUB_QUEUES; i++)
		if (s->q[i].n && s->q[i].pid == pid)
			return &s->q[i];
	return NULL;
}

/* Run n operations in a signal-backend context's stub thread. */
static int ctx_run_sig(struct stub *s, struct sigctx *sc, const struct ctxq_op *op, u32 n)
{
	u64 done = 0;
	s64 result = 0;
	int r = sig_batch(sc, op, n, &done, &result);

	if (r < 0)
		return r;
	s->batches++;
	s->ops += done;
	return done == n ? 0 : (int)result;
}

void ctx_put_ops(struct stub *s, const struct ctxq_op *op, u32 n, u64 next)
{
	struct ctxq_op *d = (struct ctxq_op *)stub_word(s, STUB_OFF_OPS);

	_Static_assert(sizeof(struct ctxq_op) == STUB_OP_SIZE, "stub.h's op layout");
	memcpy(d, op, n * sizeof(*op));
	/* The filter's key (host_fold.c): the calls it lets through carry it
	 * in the upper half of their fifth argument, which mmap reads as an
	 * int (the descriptor) and munmap and mprotect do not read. */
	for (u32 i = 0; s->key && i < n; i++)
		if (d[i].nr == SYS_mmap || d[i].nr == SYS_munmap || d[i].nr == SYS_mprotect)
			d[i].a[4] = (u32)d[i].a[4] | (u64)s->key << 32;
	*stub_word(s, STUB_OFF_NOPS) = n;
	*stub_word(s, STUB_OFF_NEXT) = next;
}

void ctx_clear_data(struct stub *s, u32 n)
{
	/* Guest code in any context can read this page (it is mapped in all
	 * of them): leave none of this context's addresses, registers or the
	 * key in it (docs/THREAT-MODEL.md). */
	memset(s->data, 0, STUB_OFF_OPS + n * STUB_OP_SIZE);
	memset(s->data + STUB_OFF_REGS, 0, STUB_REGS_SIZE);
}

int ctx_exec(struct stub *s, pid_t pid, const struct ctxq_op *op, u32 n)
{
	int r;

	ctx_put_ops(s, op, n, STUB_BATCH_END);
	r = ctx_run_stub(pid, STUB_BATCH, NULL);
	if (r == 0) {
		s->batches++;
		s->ops += *stub_word(s, STUB_OFF_DONE);
		if (*stub_word(s, STUB_OFF_DONE) != n)
			r = (int)*stub_word(s, STUB_OFF_RESULT);
	}
	ctx_clear_data(s, n);
	return r;
}

/* Run queue 'q' in its context, STUB_MAX_OPS at a time, and empty it; with
 * 'keep', all but the last STUB_MAX_OPS, which are left in it. */
static int ctx_run_queue_but(struct stub *s, struct ctxq *q, bool keep)
{
	struct sigctx *sc = sig_find(q->pid);
	u32 end = keep && q->n > STUB_MAX_OPS ? q->n - STUB_MAX_OPS : keep ? 0 : q->n;
	int r = 0;

	for (u32 first = 0; first < end && !r;) {
		u32 n = end - first < STUB_MAX_OPS ? end - first : STUB_MAX_OPS;
		r = sc ? ctx_run_sig(s, sc, &q->op[first], n) : ctx_exec(s, q->pid, &q->op[first], n);
		first += n;
	}
	if (keep && r == 0 && end) {
		memmove(q->op, &q->op[end], (q->n - end) * sizeof(*q->op));
		q->n -= end;
	} else if (!keep || r < 0) {
		ctxq_clear(q);
	}
	return r;
}

static int ctx_run_queue(struct stub *s, struct ctxq *q)
{
	return ctx_run_queue_but(s, q, false);
}

/* Queue one system call for 'pid' (coalesced with what is queued). */
int ctx_queue(struct stub *s, pid_t pid, u64 nr, u64 a0, u64 a1, u64 a2,
		     u64 a3, u64 a4, u64 a5)
{
	const struct ctxq_op op = { nr, { a0, a1, a2, a3, a4, a5 } };
	int r = pid == s->fold_pid ? fold_disarm(s) : 0;   /* that batch first */
	if (r < 0)
		return r;
	struct ctxq *q = ctx_find(s, pid);

	for (int i = 0; !q && i < STUB_QUEUES; i++)
		if (!s->q[i].n)
			q = &s->q[i];
	if (!q) {               /* every slot busy: make room, any time will do */
		q = &s->q[0];
		r = ctx_run_queue(s, q);
		if (r < 0)
			return r;
	}
	q->pid = pid;
	r = ctxq_add(q, &op, &s->qst);
	if (r == 0 && q->n >= STUB_QUEUE_MAX)
		r = ctx_run_queue(s, q);        /* bound the monitor's memory */
	return r;
}

int ctx_flush_for(struct stub *s, pid_t pid)
{
	int r = pid == s->fold_pid ? fold_disarm(s) : 0;
	struct ctxq *q = ctx_find(s, pid);

	return r < 0 ? r : q ? ctx_run_queue(s, q) : 0;
}

int ctx_arm(struct stub *s, pid_t pid)
{
	int r = fold_disarm(s);         /* one batch waits at a time */
	struct ctxq *q = ctx_find(s, pid);

	if (r < 0 || !q)
		return r;
	if (!s->fold || !s->key || s->fold_forged || sig_find(pid))
		return ctx_run_queue(s, q);
	r = ctx_run_queue_but(s, q, true);
	if (r < 0)
		return r;
	fold_arm(s, pid, q->op, q->n);
	ctxq_clear(q);
	return 0;
}

int ctx_flush(struct stub *s)
{
	int r = fold_disarm(s);

	for (int i = 0; i < STUB_QUEUES && !r; i++)
		if (s->q[i].n)
			r = ctx_run_queue(s, &s->q[i]);
	return r;
}

int ctx_map(struct stub *s, pid_t pid, u64 gva, u64 gpa, int prot)
{
	return ctx_queue(s, pid, SYS_mmap, gva, 4096, prot, MAP_SHARED | MAP_FIXED,
			 STUB_RAM_FD, gpa);
}

int ctx_map_patch(struct stub *s, pid_t pid, u64 gva, u64 off, int prot)
{
	return ctx_queue(s, pid, SYS_mmap, gva, 4096, prot, MAP_SHARED | MAP_FIXED,
			 STUB_PATCH_FD, off);
}

int ctx_unmap(struct stub *s, pid_t pid, u64 gva, u64 len)
{
	return ctx_queue(s, pid, SYS_munmap, gva, len, 0, 0, 0, 0);
}

void ctx_forget(struct stub *s, pid_t pid)
{
	struct ctxq *q = ctx_find(s, pid);

	if (pid == s->fold_pid)
		fold_drop(s);

	if (q)
		ctxq_clear(q);
}

int ctx_protect(struct stub *s, pid_t pid, u64 gva, u64 len, int prot)
{
	return ctx_queue(s, pid, SYS_mprotect, gva, len, prot, 0, 0, 0);
}

/* Write the seccomp program into the stub's scratch area: allow mmap,
 * munmap and mprotect from the stub's syscall instruction, and with a key
 * only when they carry it (host_fold.c); anything else is killed, or with a
 * key trapped (SIGSYS: the call does not run, and the monitor sees a guest
 * SYSCALL after a folded resume).  seccomp reports the address after the
 * instruction. */
static u64 ctx_write_filter(struct stub *s)
{
	const u64 ip = STUB_SYSCALL + 2;
	const u32 no = s->key ? SECCOMP_RET_TRAP : SECCOMP_RET_KILL_PROCESS;
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 10),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (u32)ip, 0, 8),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer) + 4),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (u32)(ip >> 32), 0, 6),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[4]) + 4),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, s->key, 0, 4),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mmap, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_munmap, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mprotect, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, no),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog *prog = (void *)(s->data + STUB_OFF_SCRATCH);
	struct sock_filter *code = (void *)(s->data + STUB_OFF_SCRATCH + 16);

	_Static_assert(sizeof(f) + 16 <= STUB_SCRATCH_SIZE, "filter too large");
	memcpy(code, f, sizeof(f));
	prog->len = sizeof(f) / sizeof(f[0]);
	prog->filter = (struct sock_filter *)(STUB_DATA + STUB_OFF_SCRATCH + 16);
	return STUB_DATA + STUB_OFF_SCRATCH;
}

/* Once per monitor, in its first context: does the host's mmap take a
 * descriptor with the key in its upper half (it reads an int)?  If not,
 * no key and no folding (host_fold.c). */
static void ctx_probe_key(struct stub *s, pid_t pid)
{
	u32 key = 0;

	s->key_probed = true;
	while (!key)
		if (getrandom(&key, sizeof(key), 0) != sizeof(key))
			return;
	ctx_queue(s, pid, SYS_mmap, STUB_END, 4096, PROT_NONE, MAP_SHARED | MAP_FIXED,
		  STUB_RAM_FD | (u64)key << 32, 0);
	if (ctx_flush_for(s, pid) == 0)
		s->key = key;
	ctx_queue(s, pid, SYS_munmap, STUB_END, 4096, 0, 0, 0, 0);
}

/* In the child: give the stub its two descriptors as fd 3 and 4 and exec
 * it.  Only async-signal-safe calls here. */
static void ctx_child(struct stub *s, int go_fd, int sig_fd)
{
	char c;
	char *argv[] = { "trapvisor-context", NULL }, *envp[] = { NULL };

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* Out of the terminal's process group: ^C is the monitor's business. */
	setpgid(0, 0);
	/* Wait until the monitor has seized us. */
	if (read(go_fd, &c, 1) != 1)
		_exit(127);
	int exe = fcntl(s->exec_fd, F_DUPFD_CLOEXEC, 10);
	int ram = fcntl(s->ram_fd, F_DUPFD_CLOEXEC, 10);
	int dat = fcntl(s->data_fd, F_DUPFD_CLOEXEC, 10);
	int pat = s->patch_fd >= 0 ? fcntl(s->patch_fd, F_DUPFD_CLOEXEC, 10) : -1;
	int sig = sig_fd >= 0 ? fcntl(sig_fd, F_DUPFD_CLOEXEC, 10) : -1;
	if (exe < 0 || ram < 0 || dat < 0 ||
	    dup2(ram, STUB_RAM_FD) < 0 || dup2(dat, STUB_DATA_FD) < 0 ||
	    (pat >= 0 && dup2(pat, STUB_PATCH_FD) < 0) ||
	    (sig >= 0 && dup2(sig, STUB_SIG_FD) < 0))
		_exit(127);
	if (pat < 0)
		close(STUB_PATCH_FD);           /* nothing of the monitor's there */
	if (sig < 0)
		close(STUB_SIG_FD);
	syscall(SYS_close_range, STUB_SIG_FD + 1, ~0u, CLOSE_RANGE_CLOEXEC);
	fexecve(exe, argv, envp);
	_exit(127);
}

int ctx_spawn(struct stub *s, pid_t *pidp)
{
	int go[2], status, r, sig_fd = -1;
	pid_t pid;
	struct user_regs_struct regs;

	if (s->signal && (sig_fd = sig_memfd()) < 0)
		return sig_fd;
	if (pipe2(go, O_CLOEXEC) < 0) {
		r = -errno;
		goto err_fd;
	}
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(go[0]);
		close(go[1]);
		goto err_fd;
	}
	if (pid == 0) {
		close(go[1]);
		ctx_child(s, go[0], sig_fd);
	}
	close(go[0]);
	ctx_forget(s, pid);     /* a dead context's leftovers under a reused pid */
	if (ptrace(PTRACE_SEIZE, pid, 0, PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD |
		   PTRACE_O_TRACEEXEC) < 0) {
		r = -errno;
		close(go[1]);
		goto err_kill;
	}
	r = write(go[1], "g", 1) == 1 ? 0 : -EIO;
	close(go[1]);
	if (r < 0)
		goto err_kill;

	/* First stop: the exec event; then the stub's first int3. */
	status = ctx_wait_setup(pid);
	if (status < 0 || !WIFSTOPPED(status) || (status >> 8) != (SIGTRAP | (PTRACE_EVENT_EXEC << 8))) {
		r = -ENOEXEC;
		goto err_kill;
	}
	if (ptrace(PTRACE_CONT, pid, 0, 0) < 0) {
		r = -errno;
		goto err_kill;
	}
	status = ctx_wait_setup(pid);
	if (status < 0 || !WIFSTOPPED(status) || WSTOPSIG(status) != SIGTRAP) {
		r = -ENOEXEC;
		goto err_kill;
	}
	if (ptrace(PTRACE_GETREGS, pid, 0, &regs) < 0) {
		r = -errno;
		goto err_kill;
	}
	if (regs.rax != STUB_DATA) {
		r = (s64)regs.rax < 0 ? (int)regs.rax : -EFAULT;
		goto err_kill;
	}

	/* CPUID faulting is optional: many hosts lack it (docs/ARCHITECTURE.md,
	 * "Facts that depend on the host"), and --cpuid-faulting=off declines it. */
	if (!s->cpuid_faulting_off) {
		ctx_queue(s, pid, SYS_arch_prctl, ARCH_SET_CPUID, 0, 0, 0, 0, 0);
		s->cpuid_faulting = ctx_flush_for(s, pid) == 0;
	}

	/* Leave only the stub: unmap the exec stack, vDSO and vvar. */
	ctx_queue(s, pid, SYS_munmap, 0x1000, STUB_BASE - 0x1000, 0, 0, 0, 0);
	ctx_queue(s, pid, SYS_munmap, STUB_END, HOST_TASK_SIZE_MAX - STUB_END, 0, 0, 0, 0);
	if (!s->rdtsc_trap_off)
		ctx_queue(s, pid, SYS_prctl, PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0, 0);
	ctx_queue(s, pid, SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0);
	if (sig_fd >= 0) {
		/* The signal backend: its own handlers, threads and filters. */
		r = sig_setup(s, pid, sig_fd);
		close(sig_fd);
		sig_fd = -1;
		if (r < 0)
			goto err_kill;
		/* The stub data page is for ptrace batches only: out of reach. */
		ctx_queue(s, pid, SYS_munmap, STUB_DATA, 4096, 0, 0, 0, 0);
	} else {
		if (!s->key_probed)
			ctx_probe_key(s, pid);
		ctx_queue(s, pid, SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, ctx_write_filter(s), 0, 0, 0);
		r = ctx_flush_for(s, pid);
		if (r < 0)
			goto err_kill;
	}
	s->spawned++;
	*pidp = pid;
	return 0;
err_kill:
	ctx_forget(s, pid);
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, __WALL) < 0 && errno == EINTR)
		;
err_fd:
	if (sig_fd >= 0)
		close(sig_fd);
	return r;
}
