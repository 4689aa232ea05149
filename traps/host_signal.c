/*
 * The signal backend (--backend=signal; docs/ARCHITECTURE.md, "The signal
 * backend"; the threat model in docs/THREAT-MODEL.md).
 *
 * Under ptrace every trap of the guest is a ptrace stop: the host kernel
 * switches to the monitor and back, twice as many task switches as the
 * trap needs.  Here the context process catches its own traps instead, as
 * gVisor's systrap platform and UML's seccomp mode do: a handler in the
 * stub (stub.S, sig_handler) runs on an alternate stack in a page the
 * monitor also maps, and the signal frame the host kernel writes there IS
 * the trapped state.  The handler marks the trap record, wakes the monitor
 * if it sleeps, and waits; the monitor reads and rewrites the frame's
 * registers in place and lets the handler return through rt_sigreturn.
 * Both sides sleep on a futex, after spinning --signal-spin PAUSEs (0 by
 * default: docs/ARCHITECTURE.md says why), and never spin where the VM
 * may use one host CPU only.
 *
 * Guest SYSCALLs become SIGSYS through the guest thread's seccomp filter
 * (SECCOMP_RET_TRAP), which lets through only the handler's own calls from
 * its one syscall instruction.  Mapping changes are made by a second
 * thread in the context, the stub thread, from requests in a page the
 * guest can only read.  ptrace is used to set a context up (context.c) and
 * then detached: a traced process stops at every signal, which is the
 * cost this backend removes.  A dead context is seen by waitpid when a
 * wait times out.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/ucontext.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <asm/prctl.h>

#include "host_internal.h"
#include "stub.h"

#define SIG_MAX_CTX 256          /* contexts of every VM in this process */
#define SA_RESTORER 0x04000000 /* the kernel's: sa_restorer is given */
#define SIG_WAIT_NS 20000000     /* a sleeping wait checks for death this often */
#define SIG_SETUP_TIMEOUTS 500   /* 10 s for a new stub thread to start */
#define SIG_KICK_CHECK 50        /* timeouts (1 s) between checks that the
                                  * context has not blocked the kick: two
                                  * in a row must find it blocked */

struct sigctx {
	pid_t pid;               /* 0: free slot */
	u8 *map;                 /* the context's memfd: trap area, REQ, RES */
	u32 seq;                 /* the last request number sent */
	u32 uc, info, fp;        /* where the frame's parts are in the trap area */
	u32 fp_size;             /* the frame's XSAVE bytes (512: FXSAVE only) */
	u64 xfeatures;           /* the components the frame may hold */
	u64 fs, gs;              /* the FS/GS bases the context holds */
	u32 spin;                /* PAUSE loops a wait spins before it sleeps */
	bool step;               /* host_run() set TF for one instruction */
	bool ready;              /* set up: sig_find() returns it */
	bool reaped;             /* waitpid has collected it */
	int status;              /* then: its exit code, or -signal */
};

static struct sigctx sig_ctx[SIG_MAX_CTX];
static pthread_mutex_t sig_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int sig_ready;    /* contexts set up: none, and under ptrace
                                  * sig_find() costs no lock and no scan */
static u32 sig_mxcsr_mask;       /* MXCSR bits the host accepts */

static u8 *sig_trap(struct sigctx *c) { return c->map; }
static u8 *sig_req(struct sigctx *c) { return c->map + SIG_TRAP_SIZE; }
static u8 *sig_res(struct sigctx *c) { return c->map + SIG_TRAP_SIZE + 0x1000; }
static _Atomic u32 *sig_word(u8 *page, unsigned off) { return (_Atomic u32 *)(page + off); }
static u64 *sig_u64(u8 *page, unsigned off) { return (u64 *)(page + off); }

struct sigctx *sig_find(pid_t pid)
{
	struct sigctx *found = NULL;

	if (pid <= 0 || !atomic_load_explicit(&sig_ready, memory_order_acquire))
		return NULL;
	pthread_mutex_lock(&sig_lock);
	for (int i = 0; i < SIG_MAX_CTX && !found; i++)
		if (sig_ctx[i].pid == pid && sig_ctx[i].ready)
			found = &sig_ctx[i];
	pthread_mutex_unlock(&sig_lock);
	return found;
}

/* Once: the MXCSR bits the host accepts. */
static void sig_once(void)
{
	u8 fx[512] __attribute__((aligned(16)));

	if (sig_mxcsr_mask)
		return;
	memset(fx, 0, sizeof(fx));
	__builtin_ia32_fxsave64(fx);
	memcpy(&sig_mxcsr_mask, fx + 28, 4);
	if (!sig_mxcsr_mask)
		sig_mxcsr_mask = 0xffbf;  /* the architectural default (SDM 11.6.6) */
}

int sig_memfd(void)
{
	int fd = memfd_create("trapvisor-context", MFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, SIG_MEMFD_SIZE) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

static void sig_futex_wake(_Atomic u32 *w)
{
	syscall(SYS_futex, w, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* Has the context blocked the kick signal (a forged rt_sigreturn frame can
 * do that)?  Then no kick would ever bring the vCPU back. */
static bool sig_kick_blocked(pid_t pid)
{
	char path[64], line[256];
	unsigned long long blk;
	bool blocked = false;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SigBlk: %llx", &blk) == 1)
			blocked = blk & (1ull << (HOST_KICK_SIGNAL - 1));
	fclose(f);
	return blocked;
}

/*
 * Wait until *w == want: spin, then sleep on the futex with *mwait raised
 * so the other side knows to wake us.  A sleep that times out checks that
 * the context lives: -ECHILD when it is gone (c->status says how), and,
 * with 'kick_check', -EDEADLK when it has blocked the kick signal.
 */
static int sig_wait(struct sigctx *c, _Atomic u32 *w, u32 want, _Atomic u32 *mwait,
		    bool kick_check)
{
	unsigned timeouts = 0, blocked = 0;

	for (u32 i = 0; i < c->spin; i++) {
		if (atomic_load_explicit(w, memory_order_acquire) == want)
			return 0;
		__builtin_ia32_pause();
	}
	for (;;) {
		atomic_store(mwait, 1);       /* seq_cst: a full barrier */
		u32 cur = atomic_load(w);
		if (cur == want) {
			atomic_store_explicit(mwait, 0, memory_order_relaxed);
			return 0;
		}
		struct timespec ts = { 0, SIG_WAIT_NS };
		long r = syscall(SYS_futex, w, FUTEX_WAIT, cur, &ts, NULL, 0);
		atomic_store_explicit(mwait, 0, memory_order_relaxed);
		if (atomic_load_explicit(w, memory_order_acquire) == want)
			return 0;
		if (r == 0 || errno != ETIMEDOUT)
			continue;
		int status;
		if (waitpid(c->pid, &status, WNOHANG | __WALL) == c->pid) {
			c->reaped = true;
			c->status = WIFEXITED(status) ? WEXITSTATUS(status) :
				    WIFSIGNALED(status) ? -WTERMSIG(status) : -1;
			return -ECHILD;
		}
		/* Only once the handler has left (T_STATE 0: the guest runs, its
		 * own mask restored), and twice in a row: a handler still on its
		 * way out has every signal blocked for a few instructions. */
		if (kick_check && ++timeouts % SIG_KICK_CHECK == 0) {
			blocked = atomic_load(w) == 0 && sig_kick_blocked(c->pid) ? blocked + 1 : 0;
			if (blocked >= 2)
				return -EDEADLK;
		}
	}
}

/* ---- Registers: the signal frame is the context's state ---- */

static ucontext_t *sig_uc(struct sigctx *c)
{
	return (ucontext_t *)(sig_trap(c) + c->uc);
}

int sig_load_vcpu(struct sigctx *c, const struct vcpu *v)
{
	greg_t *g = sig_uc(c)->uc_mcontext.gregs;
	u8 *t = sig_trap(c);

	g[REG_R8] = v->gpr[R_R8]; g[REG_R9] = v->gpr[R_R9]; g[REG_R10] = v->gpr[R_R10];
	g[REG_R11] = v->gpr[R_R11]; g[REG_R12] = v->gpr[R_R12]; g[REG_R13] = v->gpr[R_R13];
	g[REG_R14] = v->gpr[R_R14]; g[REG_R15] = v->gpr[R_R15]; g[REG_RDI] = v->gpr[R_RDI];
	g[REG_RSI] = v->gpr[R_RSI]; g[REG_RBP] = v->gpr[R_RBP]; g[REG_RBX] = v->gpr[R_RBX];
	g[REG_RDX] = v->gpr[R_RDX]; g[REG_RAX] = v->gpr[R_RAX]; g[REG_RCX] = v->gpr[R_RCX];
	g[REG_RSP] = v->gpr[R_RSP]; g[REG_RIP] = v->rip;
	g[REG_EFL] = (v->rflags & host_flags(v)) | X86_RFLAGS_IF | X86_RFLAGS_FIXED;
	/* cs, gs, fs, ss: the host's user selectors, whatever the guest's. */
	g[REG_CSGSFS] = HOST_USER_CS | (greg_t)((u64)HOST_USER_DS << 48);
	/* Nothing blocked after the return (the kernel's sigset is 8 bytes). */
	memset(&sig_uc(c)->uc_sigmask, 0, 8);
	/* The frame holds no FS/GS base: the handler sets them when they
	 * change (arch_prctl, or WRFSBASE where the host has it). */
	u64 fs = host_base(v->fs_base), gs = host_base(v->gs_base);
	if (fs != c->fs) {
		*sig_u64(t, T_FS) = fs;
		*sig_u64(t, T_SET_FS) = 1;
		c->fs = fs;
	}
	if (gs != c->gs) {
		*sig_u64(t, T_GS) = gs;
		*sig_u64(t, T_SET_GS) = 1;
		c->gs = gs;
	}
	return 0;
}

int sig_save_vcpu(struct sigctx *c, struct vcpu *v)
{
	const greg_t *g = sig_uc(c)->uc_mcontext.gregs;
	u8 *t = sig_trap(c);

	v->gpr[R_R8] = g[REG_R8]; v->gpr[R_R9] = g[REG_R9]; v->gpr[R_R10] = g[REG_R10];
	v->gpr[R_R11] = g[REG_R11]; v->gpr[R_R12] = g[REG_R12]; v->gpr[R_R13] = g[REG_R13];
	v->gpr[R_R14] = g[REG_R14]; v->gpr[R_R15] = g[REG_R15]; v->gpr[R_RDI] = g[REG_RDI];
	v->gpr[R_RSI] = g[REG_RSI]; v->gpr[R_RBP] = g[REG_RBP]; v->gpr[R_RBX] = g[REG_RBX];
	v->gpr[R_RDX] = g[REG_RDX]; v->gpr[R_RCX] = g[REG_RCX]; v->gpr[R_RSP] = g[REG_RSP];
	/* At a SIGSYS from seccomp the kernel has rolled RAX back to the
	 * system call's number: the guest's RAX, as orig_rax under ptrace. */
	v->gpr[R_RAX] = g[REG_RAX];
	v->rip = g[REG_RIP];
	u64 fl = g[REG_EFL];
	if (c->step && !(v->rflags & X86_RFLAGS_TF))
		fl &= ~X86_RFLAGS_TF;   /* our single step's TF, not the guest's */
	v->rflags = (fl & host_flags(v)) | X86_RFLAGS_FIXED |
		    (v->rflags & ~host_flags(v) & ~X86_RFLAGS_FIXED);
	if (atomic_load_explicit(sig_word(t, T_FLAGS), memory_order_relaxed) & 1) {
		/* FSGSBASE: the guest may have changed them natively. */
		u64 fs = *sig_u64(t, T_FS_NOW), gs = *sig_u64(t, T_GS_NOW);
		if (fs != host_base(v->fs_base))
			v->fs_base = fs;
		if (gs != host_base(v->gs_base))
			v->gs_base = gs;
		c->fs = fs;
		c->gs = gs;
	}
	return 0;
}

/* ---- Running: one trap ---- */

int sig_run(struct sigctx *c, struct host_exit *e, bool step)
{
	u8 *t = sig_trap(c);
	greg_t *g = sig_uc(c)->uc_mcontext.gregs;
	siginfo_t si;

	memset(e, 0, sizeof(*e));
	if (c->reaped)
		goto died;
	c->step = step;
	if (step)
		g[REG_EFL] |= X86_RFLAGS_TF;
	atomic_exchange(sig_word(t, T_STATE), 2);
	if (atomic_load(sig_word(t, T_HWAIT)))
		sig_futex_wake(sig_word(t, T_STATE));
	int r = sig_wait(c, sig_word(t, T_STATE), 1, sig_word(t, T_MWAIT), true);
	if (r == -ECHILD)
		goto died;
	if (r == -EDEADLK) {
		kill(c->pid, SIGKILL);
		e->reason = HOST_EXIT_HOST_FAULT;
		e->why = "the context process blocked the kick signal (a forged signal frame)";
		return 0;
	}
	int sig = (int)*sig_u64(t, T_SIGNO);
	memcpy(&si, sig_trap(c) + c->info, sizeof(si));
	if (sig == SIGSYS) {
		/* The host's signal delivery takes RAX for the system call's
		 * result: a number that looks like -ERESTARTSYS..-ERESTART_
		 * RESTARTBLOCK is rewritten, and RIP moved back for one.  The
		 * siginfo has both as the guest left them. */
		if ((int)g[REG_RAX] != si.si_syscall)
			g[REG_RAX] = si.si_syscall;
		g[REG_RIP] = (greg_t)(uintptr_t)si.si_call_addr;
		e->reason = HOST_EXIT_SYSCALL;
		return 0;
	}
	if (sig == SIGILL && si.si_code == SI_KERNEL) {
		/* Not a #UD (that is ILL_ILLOPN): the host ran the guest's
		 * SYSCALL as uretprobe(2), which seccomp lets through
		 * unfiltered since Linux 6.11 and which, called from outside
		 * a uretprobe trampoline, sends this and returns -1.  It was
		 * the guest's system call 335 (docs/THREAT-MODEL.md). */
		g[REG_RAX] = HOST_NR_URETPROBE;
		e->reason = HOST_EXIT_SYSCALL;
		return 0;
	}
	host_classify(sig, &si, e);
	return 0;
died:
	e->reason = HOST_EXIT_DIED;
	e->status = c->status;
	return 0;
}

/* ---- The FPU: the frame's XSAVE image ---- */

int sig_get_fpu(struct sigctx *c, void *buf, size_t size)
{
	if (size < c->fp_size)
		return -ENOSPC;
	memcpy(buf, sig_trap(c) + c->fp, c->fp_size);
	return (int)c->fp_size;
}

/* The checks the host kernel makes of an XSAVE image from user space
 * (as PTRACE_SETREGSET does): rt_sigreturn would fail on anything else. */
static bool sig_fpu_valid(const struct sigctx *c, const u8 *img)
{
	u32 mxcsr;
	u64 hdr[8];

	memcpy(&mxcsr, img + 24, 4);
	if (mxcsr & ~sig_mxcsr_mask)
		return false;
	if (c->fp_size <= 512)
		return true;
	memcpy(hdr, img + 512, sizeof(hdr));
	if (hdr[0] & ~c->xfeatures || hdr[1])
		return false;           /* a component the host has not, compacted */
	for (int i = 2; i < 8; i++)
		if (hdr[i])
			return false;   /* reserved */
	return true;
}

int sig_set_fpu(struct sigctx *c, const void *buf, size_t size)
{
	u8 *fp = sig_trap(c) + c->fp;
	const u8 *img = buf;

	if (size < c->fp_size || !sig_fpu_valid(c, img))
		return -EINVAL;
	/* The frame keeps its own software bytes (464..511): they tell
	 * rt_sigreturn the frame's layout. */
	memcpy(fp, img, 464);
	memcpy(fp + 512, img + 512, c->fp_size - 512);
	return 0;
}

/* ---- Mapping changes: the stub thread ---- */

int sig_batch(struct sigctx *c, const struct ctxq_op *op, u32 n, u64 *done, s64 *result)
{
	u8 *req = sig_req(c), *res = sig_res(c);

	if (c->reaped)
		return -ECHILD;
	if (n > STUB_MAX_OPS)
		return -EINVAL;
	memcpy(req + R_OPS, op, n * sizeof(*op));
	*sig_u64(req, R_NOPS) = n;
	u32 seq = ++c->seq;
	atomic_store(sig_word(req, R_SEQ), seq);
	sig_futex_wake(sig_word(req, R_SEQ));
	int r = sig_wait(c, sig_word(res, S_ACK), seq, sig_word(res, S_MWAIT), false);
	/* The guest can read this page: leave none of its GPAs there. */
	memset(req + R_OPS, 0, n * sizeof(*op));
	if (r < 0)
		return r;
	/* The result page is guest-writable: a forged count is clamped. */
	*done = *sig_u64(res, S_DONE) < n ? *sig_u64(res, S_DONE) : n;
	*result = (s64)*sig_u64(res, S_RESULT);
	return 0;
}

/* ---- Set-up (from ctx_spawn, the context stopped under ptrace) ---- */

/* The guest thread's seccomp filter: sig_hsys's syscall may make the
 * handler's calls (futex wait or wake on T_STATE, arch_prctl setting FS or
 * GS, rt_sigreturn); any other system call, from anywhere, is the guest's
 * SYSCALL: SIGSYS to the handler.  Jump offsets count from the next
 * instruction; TRAP is instruction 21, ALLOW 22. */
static unsigned sig_guest_filter(struct sock_filter *f)
{
	const u64 ip = SIG_HSYS + 2, word = SIG_TRAP + T_STATE;
	const u32 a0 = offsetof(struct seccomp_data, args[0]);
	const u32 a1 = offsetof(struct seccomp_data, args[1]);
	const u32 ipo = offsetof(struct seccomp_data, instruction_pointer);
	const struct sock_filter p[] = {
		/* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 19),
		/* 2 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ipo),
		/* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (u32)ip, 0, 17),
		/* 4 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ipo + 4),
		/* 5 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (u32)(ip >> 32), 0, 15),
		/* 6 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		/* 7 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_rt_sigreturn, 14, 0),
		/* 8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_arch_prctl, 9, 0),
		/* 9 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_futex, 0, 11),
		/* 10 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, a0),
		/* 11 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (u32)word, 0, 9),
		/* 12 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, a0 + 4),
		/* 13 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (u32)(word >> 32), 0, 7),
		/* 14 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, a1 + 4),
		/* 15 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 5),
		/* 16 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, a1),
		/* 17 */ BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, FUTEX_WAKE, 3, 4),
		/* 18 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, a0),
		/* 19 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH_SET_FS, 2, 0),
		/* 20 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH_SET_GS, 1, 0),
		/* 21 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		/* 22 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	memcpy(f, p, sizeof(p));
	return sizeof(p) / sizeof(p[0]);
}

/* The stub thread's: mmap, munmap, mprotect and futex from sig_tsys's
 * syscall; anything else kills the context.  KILL is 11, ALLOW 12. */
static unsigned sig_thread_filter(struct sock_filter *f)
{
	const u64 ip = SIG_TSYS + 2;
	const u32 ipo = offsetof(struct seccomp_data, instruction_pointer);
	const struct sock_filter p[] = {
		/* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 9),
		/* 2 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ipo),
		/* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (u32)ip, 0, 7),
		/* 4 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ipo + 4),
		/* 5 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (u32)(ip >> 32), 0, 5),
		/* 6 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		/* 7 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mmap, 4, 0),
		/* 8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_munmap, 3, 0),
		/* 9 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mprotect, 2, 0),
		/* 10 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_futex, 1, 0),
		/* 11 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		/* 12 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	memcpy(f, p, sizeof(p));
	return sizeof(p) / sizeof(p[0]);
}

/* The kernel's struct sigaction and stack_t, as rt_sigaction and
 * sigaltstack read them. */
struct sig_kaction {
	u64 handler, flags, restorer, mask;
};
struct sig_kstack {
	u64 sp;
	int flags, pad;
	u64 size;
};

/* The first trap (sig_park's int3) shows where the host kernel puts the
 * frame's parts on the alternate stack: the same place at every trap, as
 * the stack is empty whenever the guest runs.  Check them once. */
static int sig_learn_frame(struct sigctx *c)
{
	u8 *t = sig_trap(c);
	u64 uc = *sig_u64(t, T_UC), info = *sig_u64(t, T_INFO);

	if (*sig_u64(t, T_SIGNO) != SIGTRAP ||
	    uc < SIG_STACK || uc + sizeof(ucontext_t) > SIG_TRAP + SIG_TRAP_SIZE ||
	    info < SIG_STACK || info + sizeof(siginfo_t) > SIG_TRAP + SIG_TRAP_SIZE)
		return -EPROTO;
	c->uc = (u32)(uc - SIG_TRAP);
	c->info = (u32)(info - SIG_TRAP);
	u64 fp = (u64)(uintptr_t)sig_uc(c)->uc_mcontext.fpregs;
	if (fp < SIG_STACK || fp + 512 > SIG_TRAP + SIG_TRAP_SIZE || fp % 16)
		return -EPROTO;
	c->fp = (u32)(fp - SIG_TRAP);
	c->fp_size = 512;
	struct _fpx_sw_bytes sw;
	memcpy(&sw, t + c->fp + 464, sizeof(sw));
	if (sw.magic1 == FP_XSTATE_MAGIC1) {
		if (sw.xstate_size < 576 || fp + sw.xstate_size + 4 > SIG_TRAP + SIG_TRAP_SIZE)
			return -EPROTO;
		c->fp_size = sw.xstate_size;
		c->xfeatures = sw.xstate_bv;
	}
	return 0;
}

/*
 * Turn context 'pid', stopped under ptrace at the stub's int3 with its
 * memfd as fd STUB_SIG_FD, into a signal-backend context: map the memfd,
 * install the handlers and the alternate stack, start the stub thread,
 * install the guest thread's filter, and let it go to its first trap
 * without ptrace.  0 or -errno (then the caller kills it).
 */
int sig_setup(struct stub *s, pid_t pid, int memfd)
{
	struct sigctx *c = NULL;
	u8 *map;
	int r;

	sig_once();
	sig_forget(pid);        /* a context reaped earlier under the same pid */
	map = mmap(NULL, SIG_MEMFD_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (map == MAP_FAILED)
		return -errno;
	pthread_mutex_lock(&sig_lock);
	for (int i = 0; i < SIG_MAX_CTX && !c; i++)
		if (!sig_ctx[i].pid && !sig_ctx[i].map)
			c = &sig_ctx[i];
	if (c) {
		memset(c, 0, sizeof(*c));
		c->map = map;           /* reserved; pid set once it is ready */
		/* Where only one CPU is allowed the other side cannot run
		 * while we spin. */
		cpu_set_t set;
		c->spin = sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) < 2 ?
			  0 : s->signal_spin;
	}
	pthread_mutex_unlock(&sig_lock);
	if (!c) {
		munmap(map, SIG_MEMFD_SIZE);
		return -EMFILE;
	}

	u8 *t = sig_trap(c), *req = sig_req(c);
	atomic_store(sig_word(t, T_FLAGS), (getauxval(AT_HWCAP2) & 2) ? 1 : 0); /* FSGSBASE */
	atomic_store(sig_word(t, T_SPIN), c->spin);
	*sig_u64(req, R_MASK) = ~0ull;
	struct sock_fprog *prog = (void *)(req + R_PROG);
	prog->len = (unsigned short)sig_thread_filter((struct sock_filter *)(req + R_FILTER));
	prog->filter = (struct sock_filter *)(SIG_REQ + R_FILTER);

	/* In the stub's scratch area: one sigaction for every trap signal, the
	 * alternate stack, and the guest thread's filter. */
	u8 *scr = s->data + STUB_OFF_SCRATCH;
	const u64 scr_va = STUB_DATA + STUB_OFF_SCRATCH;
	struct sig_kaction *act = (void *)scr;
	*act = (struct sig_kaction){ .handler = SIG_HANDLER, .restorer = SIG_RESTORER,
		.flags = SA_SIGINFO | SA_ONSTACK | SA_RESTORER, .mask = ~0ull };
	struct sig_kstack *ss = (void *)(scr + 32);
	*ss = (struct sig_kstack){ .sp = SIG_STACK, .size = SIG_TRAP + SIG_TRAP_SIZE - SIG_STACK };
	struct sock_fprog *gprog = (void *)(scr + 64);
	gprog->len = (unsigned short)sig_guest_filter((struct sock_filter *)(scr + 80));
	gprog->filter = (struct sock_filter *)(scr_va + 80);
	_Static_assert(80 + 23 * sizeof(struct sock_filter) <= STUB_SCRATCH_SIZE, "scratch");

	ctx_queue(s, pid, SYS_mmap, SIG_TRAP, SIG_TRAP_SIZE, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_FIXED, STUB_SIG_FD, 0);
	ctx_queue(s, pid, SYS_mmap, SIG_REQ, 0x1000, PROT_READ, MAP_SHARED | MAP_FIXED,
		  STUB_SIG_FD, SIG_TRAP_SIZE);
	ctx_queue(s, pid, SYS_mmap, SIG_RES, 0x1000, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_FIXED, STUB_SIG_FD, SIG_TRAP_SIZE + 0x1000);
	ctx_queue(s, pid, SYS_close, STUB_SIG_FD, 0, 0, 0, 0, 0);
	ctx_queue(s, pid, SYS_sigaltstack, scr_va + 32, 0, 0, 0, 0, 0);
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS, HOST_KICK_SIGNAL };
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		ctx_queue(s, pid, SYS_rt_sigaction, (u64)sigs[i], scr_va, 0, 8, 0, 0);
	r = ctx_flush_for(s, pid);
	if (r < 0)
		goto fail;

	/* The stub thread: it blocks every signal, installs its own filter,
	 * says so in S_READY, and waits for requests. */
	u64 tid = 0;
	r = ctx_run_stub(pid, SIG_SPAWN, &tid);
	if (r == 0 && (s64)tid <= 0)
		r = (s64)tid < 0 ? (int)tid : -ECHILD;
	if (r < 0)
		goto fail;
	c->pid = pid;   /* for sig_wait's waitpid; sig_find() waits for ready */
	for (int i = 0; i < SIG_SETUP_TIMEOUTS && !atomic_load(sig_word(sig_res(c), S_READY)); i++) {
		struct timespec ts = { 0, SIG_WAIT_NS };
		syscall(SYS_futex, sig_word(sig_res(c), S_READY), FUTEX_WAIT, 0, &ts, NULL, 0);
	}
	if (!atomic_load(sig_word(sig_res(c), S_READY))) {
		r = -ETIMEDOUT;
		goto fail;
	}
	/* The guest thread's filter, then its first trap, without ptrace. */
	ctx_queue(s, pid, SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, scr_va + 64, 0, 0, 0);
	r = ctx_flush_for(s, pid);
	memset(scr, 0, STUB_SCRATCH_SIZE);
	if (r < 0)
		goto fail;
	r = ctx_detach_at(pid, SIG_PARK);
	if (r < 0)
		goto fail;
	r = sig_wait(c, sig_word(t, T_STATE), 1, sig_word(t, T_MWAIT), false);
	if (r == 0)
		r = sig_learn_frame(c);
	if (r < 0)
		goto fail;
	pthread_mutex_lock(&sig_lock);
	c->ready = true;
	atomic_fetch_add(&sig_ready, 1);
	pthread_mutex_unlock(&sig_lock);
	return 0;
fail:
	munmap(map, SIG_MEMFD_SIZE);
	pthread_mutex_lock(&sig_lock);
	c->pid = 0;
	c->map = NULL;
	pthread_mutex_unlock(&sig_lock);
	return r;
}

bool sig_forget(pid_t pid)
{
	struct sigctx *c = sig_find(pid);
	bool reaped;

	if (!c)
		return false;
	reaped = c->reaped;
	munmap(c->map, SIG_MEMFD_SIZE);
	pthread_mutex_lock(&sig_lock);
	c->pid = 0;
	c->map = NULL;
	c->ready = false;
	atomic_fetch_sub(&sig_ready, 1);
	pthread_mutex_unlock(&sig_lock);
	return reaped;
}
