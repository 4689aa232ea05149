/*
 * The host layer on real context processes: spawn one, map guest RAM pages
 * into it through stub batches, run raw instruction bytes in it and check
 * the architectural exit reason each one turns into (host.h).  No emulation: this is what the
 * vCPU loop is built on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host.h"
#include "stub.h"

#define CODE_GVA 0x400000ull
#define DATA_GVA 0x500000ull

struct fixture {
	int ram_fd;
	u8 *ram;
	struct stub stub;
	pid_t pid;
	struct vcpu v;
};

/* Which backend the group runs with (docs/ARCHITECTURE.md, "The signal
 * backend"): every case holds for both. */
static bool use_signal;

static int setup(void **state)
{
	static struct fixture f;
	char err[256];

	memset(&f, 0, sizeof(f));
	f.ram_fd = memfd_create("test-ram", MFD_CLOEXEC);
	assert_true(f.ram_fd >= 0);
	assert_int_equal(ftruncate(f.ram_fd, 1 << 20), 0);
	f.ram = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, f.ram_fd, 0);
	assert_true(f.ram != MAP_FAILED);
	assert_int_equal(stub_init(&f.stub, f.ram_fd, err, sizeof(err)), 0);
	f.stub.signal = use_signal;
	assert_int_equal(ctx_spawn(&f.stub, &f.pid), 0);
	/* Code at GPA 0 mapped at CODE_GVA (r-x), data at GPA 0x1000 (rw-). */
	assert_int_equal(ctx_map(&f.stub, f.pid, CODE_GVA, 0, PROT_READ | PROT_EXEC), 0);
	assert_int_equal(ctx_map(&f.stub, f.pid, DATA_GVA, 0x1000, PROT_READ | PROT_WRITE), 0);
	assert_int_equal(ctx_flush(&f.stub), 0);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	host_kill(f->pid);
	stub_destroy(&f->stub);
	munmap(f->ram, 1 << 20);
	close(f->ram_fd);
	return 0;
}

/* Put 'code' at CODE_GVA (INT3 after it) and load context 'pid' to run it
 * from there at 'cpl' with RFLAGS 'flags' added. */
static void load(struct fixture *f, pid_t pid, const void *code, size_t len, u8 cpl, u64 flags)
{
	memset(f->ram, 0xcc, 4096);
	memcpy(f->ram, code, len);
	memset(&f->v, 0, sizeof(f->v));
	f->v.rip = CODE_GVA;
	f->v.cpl = cpl;
	f->v.rflags = X86_RFLAGS_FIXED | flags;
	f->v.gpr[R_RSP] = DATA_GVA + 0x800;
	f->v.gpr[R_RAX] = 1234;
	assert_int_equal(host_load_vcpu(pid, &f->v), 0);
}

/* Put 'code' at CODE_GVA, run it from there, return the stop. */
static struct host_exit run(struct fixture *f, const void *code, size_t len)
{
	struct host_exit e;

	load(f, f->pid, code, len, 0, 0);
	assert_int_equal(host_run(f->pid, &e, false), 0);
	assert_int_equal(host_save_vcpu(f->pid, &f->v, e.reason == HOST_EXIT_SYSCALL), 0);
	return e;
}

static void test_syscall_is_a_sysemu_stop(void **state)
{
	struct fixture *f = *state;
	/* mov $39, %eax (getpid); syscall */
	static const u8 code[] = { 0xb8, 39, 0, 0, 0, 0x0f, 0x05 };
	struct host_exit e = run(f, code, sizeof(code));

	assert_int_equal(e.reason, HOST_EXIT_SYSCALL);
	assert_int_equal(f->v.gpr[R_RAX], 39);          /* the guest's RAX, not -ENOSYS */
	assert_int_equal(f->v.rip, CODE_GVA + sizeof(code));
	assert_int_equal(f->v.gpr[R_RCX], CODE_GVA + sizeof(code));
}

static void test_cli_is_gp(void **state)
{
	struct fixture *f = *state;
	static const u8 code[] = { 0xfa };
	struct host_exit e = run(f, code, sizeof(code));

	assert_int_equal(e.reason, HOST_EXIT_GP);
	assert_int_equal(f->v.rip, CODE_GVA);           /* a fault: RIP at the instruction */
}

/* RDTSC traps in a context where the host honours PR_TSC_SIGSEGV; where a
 * hypervisor ignores the guest's CR4.TSD it runs, and the int3 after it is
 * the stop (the probe is a plain child process, not a context). */
static void test_rdtsc_traps(void **state)
{
	struct fixture *f = *state;
	static const u8 code[] = { 0x0f, 0x31 };
	int traps = host_rdtsc_traps();
	struct host_exit e = run(f, code, sizeof(code));

	assert_true(traps == 0 || traps == 1);
	if (traps) {
		assert_int_equal(e.reason, HOST_EXIT_GP);
		assert_int_equal(f->v.rip, CODE_GVA);
	} else {
		assert_int_equal(e.reason, HOST_EXIT_BP);
		assert_int_equal(f->v.rip, CODE_GVA + sizeof(code) + 1);
		assert_int_not_equal(f->v.gpr[R_RAX], 1234);   /* EDX:EAX = the TSC */
	}
}

static void test_unmapped_access_is_maperr(void **state)
{
	struct fixture *f = *state;
	/* mov (%rbx), %rax with rbx = 0x600000 (nothing mapped there) */
	static const u8 code[] = { 0x48, 0xbb, 0, 0, 0x60, 0, 0, 0, 0, 0, 0x48, 0x8b, 0x03 };
	struct host_exit e = run(f, code, sizeof(code));

	assert_int_equal(e.reason, HOST_EXIT_PF);
	assert_int_equal(e.addr, 0x600000);
	assert_true(e.pf_known & PFEC_P);
	assert_false(e.pf_errcode & PFEC_P);            /* not present */
}

static void test_write_to_readonly_is_accerr(void **state)
{
	struct fixture *f = *state;
	/* movb $1, (%rbx) with rbx = CODE_GVA (mapped r-x) */
	static const u8 code[] = { 0x48, 0xbb, 0, 0, 0x40, 0, 0, 0, 0, 0, 0xc6, 0x03, 0x01 };
	struct host_exit e = run(f, code, sizeof(code));

	assert_int_equal(e.reason, HOST_EXIT_PF);
	assert_int_equal(e.addr, CODE_GVA);
	assert_true(e.pf_known & PFEC_P);
	assert_true(e.pf_errcode & PFEC_P);             /* present, too little access */
}

static void test_memory_is_shared_with_monitor(void **state)
{
	struct fixture *f = *state;
	/* movl $0x5a5a1234, (%rbx) with rbx = DATA_GVA + 8; then cli to stop */
	static const u8 code[] = { 0x48, 0xbb, 8, 0, 0x50, 0, 0, 0, 0, 0,
				   0xc7, 0x03, 0x34, 0x12, 0x5a, 0x5a, 0xfa };
	struct host_exit e = run(f, code, sizeof(code));

	assert_int_equal(e.reason, HOST_EXIT_GP);
	assert_int_equal(*(u32 *)(f->ram + 0x1008), 0x5a5a1234);
}

/* The context holds only the stub and the pages the monitor mapped: no
 * stack, no vDSO, nothing of the monitor. */
static void test_context_holds_only_the_stub(void **state)
{
	struct fixture *f = *state;
	char path[64], line[512];
	int n = 0, stub = 0, guest = 0, other = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", f->pid);
	FILE *m = fopen(path, "r");
	assert_non_null(m);
	while (fgets(line, sizeof(line), m)) {
		unsigned long long lo = strtoull(line, NULL, 16);
		n++;
		if (lo >= STUB_BASE && lo < (use_signal ? SIG_RES + 0x1000 : STUB_END))
			stub++;
		else if (lo == CODE_GVA || lo == DATA_GVA)
			guest++;
		else if (strstr(line, "[vsyscall]"))
			;               /* cannot be unmapped; seccomp closes it */
		else
			other++, fprintf(stderr, "unexpected mapping: %s", line);
	}
	fclose(m);
	/* ptrace: code and data; signal: code, trap area, requests, results
	 * (the shared data page is unmapped once set-up is over). */
	assert_int_equal(stub, use_signal ? 4 : 2);
	assert_int_equal(guest, 2);
	assert_int_equal(other, 0);
}

/* The second wall: a seccomp filter (mode 2) and no new privileges. */
static void test_context_is_filtered(void **state)
{
	struct fixture *f = *state;
	char path[64], line[256];
	int seccomp = -1, nnp = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", f->pid);
	FILE *st = fopen(path, "r");
	assert_non_null(st);
	while (fgets(line, sizeof(line), st)) {
		sscanf(line, "Seccomp: %d", &seccomp);
		sscanf(line, "NoNewPrivs: %d", &nnp);
	}
	fclose(st);
	assert_int_equal(seccomp, 2);
	assert_int_equal(nnp, 1);
}

/* Single-stepping stops after one instruction with a #DB (DR6.BS): the vCPU
 * loop uses it to honour the one-instruction STI interrupt shadow. */
static void test_single_step(void **state)
{
	struct fixture *f = *state;
	/* nop; nop; cli */
	static const u8 code[] = { 0x90, 0x90, 0xfa };
	struct host_exit e;

	load(f, f->pid, code, sizeof(code), 0, 0);
	assert_int_equal(host_run(f->pid, &e, true), 0);
	assert_int_equal(host_save_vcpu(f->pid, &f->v, false), 0);
	assert_int_equal(e.reason, HOST_EXIT_DB);
	assert_true(e.single_step);
	assert_int_equal(f->v.rip, CODE_GVA + 1);
	/* And the trap flag does not leak into the guest's RFLAGS. */
	assert_false(f->v.rflags & X86_RFLAGS_TF);
}

/* The other exit reasons the run loop tells apart, each from the
 * instruction that raises it on a CPU. */
static void test_ud2_is_ud(void **state)
{
	struct fixture *f = *state;
	static const u8 code[] = { 0x0f, 0x0b };
	struct host_exit e = run(f, code, sizeof(code));

	assert_int_equal(e.reason, HOST_EXIT_UD);
	assert_int_equal(f->v.rip, CODE_GVA);
}

static void test_divide_by_zero_is_de(void **state)
{
	struct fixture *f = *state;
	/* xor %ecx, %ecx; div %ecx */
	static const u8 code[] = { 0x31, 0xc9, 0xf7, 0xf1 };
	struct host_exit e = run(f, code, sizeof(code));

	assert_int_equal(e.reason, HOST_EXIT_DE);
	assert_int_equal(f->v.rip, CODE_GVA + 2);
}

static void test_int3_is_bp_and_int1_is_db(void **state)
{
	struct fixture *f = *state;
	static const u8 int3[] = { 0xcc }, int1[] = { 0xf1 };
	struct host_exit e = run(f, int3, sizeof(int3));

	assert_int_equal(e.reason, HOST_EXIT_BP);
	assert_int_equal(f->v.rip, CODE_GVA + 1);       /* a trap: RIP past it */
	e = run(f, int1, sizeof(int1));
	assert_int_equal(e.reason, HOST_EXIT_DB);
	assert_false(e.single_step);
}

/* A stack reference at a non-canonical address: #SS, not #GP. */
static void test_noncanonical_stack_is_ss(void **state)
{
	struct fixture *f = *state;
	/* movabs $0x8000000000000000, %rsp; push %rax */
	static const u8 code[] = { 0x48, 0xbc, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x50 };
	struct host_exit e = run(f, code, sizeof(code));

	assert_int_equal(e.reason, HOST_EXIT_SS);
	assert_int_equal(f->v.rip, CODE_GVA + 10);
}

/* A misaligned load with RFLAGS.AC in (virtual) user mode: #AC. */
static void test_misaligned_with_ac_is_ac(void **state)
{
	struct fixture *f = *state;
	/* mov 1(%rsp), %eax */
	static const u8 code[] = { 0x8b, 0x44, 0x24, 0x01 };
	struct host_exit e;

	load(f, f->pid, code, sizeof(code), 3, X86_RFLAGS_AC);
	assert_int_equal(host_run(f->pid, &e, false), 0);
	assert_int_equal(e.reason, HOST_EXIT_AC);
}

/* A kick sent while the context is stopped is its next exit. */
static void test_kick(void **state)
{
	struct fixture *f = *state;
	static const u8 code[] = { 0xeb, 0xfe };        /* jmp . */
	struct host_exit e;

	load(f, f->pid, code, sizeof(code), 0, 0);
	assert_int_equal(host_kick(f->pid), 0);
	assert_int_equal(host_run(f->pid, &e, false), 0);
	assert_int_equal(e.reason, HOST_EXIT_KICK);
}

/* A context killed while it runs guest code: HOST_EXIT_DIED with the
 * signal.  A helper process waits until the context has left its ptrace
 * stop (state 't' in /proc/PID/stat), then kills it. */
static void test_killed_context_died(void **state)
{
	struct fixture *f = *state;
	static const u8 code[] = { 0xeb, 0xfe };        /* jmp . */
	struct host_exit e;
	pid_t pid, killer;
	int status;

	assert_int_equal(ctx_spawn(&f->stub, &pid), 0);
	assert_int_equal(ctx_map(&f->stub, pid, CODE_GVA, 0, PROT_READ | PROT_EXEC), 0);
	assert_int_equal(ctx_flush(&f->stub), 0);
	load(f, pid, code, sizeof(code), 0, 0);
	killer = fork();
	assert_true(killer >= 0);
	if (killer == 0) {
		char path[64], buf[256];
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		for (;;) {
			FILE *st = fopen(path, "r");
			char *p = st && fgets(buf, sizeof(buf), st) ? strrchr(buf, ')') : NULL;
			if (st)
				fclose(st);
			if (!p || (p[2] != 't' && p[2] != 'T'))
				break;
			usleep(1000);
		}
		kill(pid, SIGKILL);
		_exit(0);
	}
	assert_int_equal(host_run(pid, &e, false), 0);
	assert_int_equal(e.reason, HOST_EXIT_DIED);
	assert_int_equal(e.status, -SIGKILL);
	assert_int_equal(waitpid(killer, &status, 0), killer);
}

/* Batches really run in the context, and failures are reported. */
static void test_batch_error_is_reported(void **state)
{
	struct fixture *f = *state;
	/* mmap at an unaligned address fails with EINVAL. */
	assert_int_equal(ctx_map(&f->stub, f->pid, CODE_GVA + 1, 0, PROT_READ), 0);
	assert_int_equal(ctx_flush(&f->stub), -22);
}

/* ---- Folding the last batch into the resume (traps/host_fold.c) ----
 * ptrace backend only: the signal backend's stub thread needs no stop. */

#define FOLD_GVA 0x600000ull
#define FOLD_GPA 0x3000ull

/* Queue a fresh mapping of FOLD_GPA at FOLD_GVA (rw-) and arm it. */
static void arm_fold_page(struct fixture *f)
{
	f->stub.fold = true;
	assert_int_equal(ctx_unmap(&f->stub, f->pid, FOLD_GVA, 4096), 0);
	assert_int_equal(ctx_flush(&f->stub), 0);
	assert_int_equal(ctx_map(&f->stub, f->pid, FOLD_GVA, FOLD_GPA, PROT_READ | PROT_WRITE), 0);
	assert_int_equal(ctx_arm(&f->stub, f->pid), 0);
}

/* The batch runs, then guest code with every register as loaded (the
 * stub's own registers and its CLD leave no trace), in one resume. */
static void test_fold_runs_batch_then_guest(void **state)
{
	struct fixture *f = *state;
	/* mov %rax, (%rdi); int3 */
	static const u8 code[] = { 0x48, 0x89, 0x07, 0xcc };
	struct host_exit e;

	if (use_signal)
		skip();
	arm_fold_page(f);
	u64 folded = f->stub.folded, batches = f->stub.batches;
	memset(f->ram + FOLD_GPA, 0, 8);
	memset(f->ram, 0xcc, 4096);
	memcpy(f->ram, code, sizeof(code));
	memset(&f->v, 0, sizeof(f->v));
	f->v.rip = CODE_GVA;
	f->v.rflags = X86_RFLAGS_FIXED | X86_RFLAGS_CF | X86_RFLAGS_DF;
	for (int i = 0; i < 16; i++)
		f->v.gpr[i] = 0x1111111111111111ull * (u64)(i + 1);
	f->v.gpr[R_RSP] = DATA_GVA + 0x800;
	f->v.gpr[R_RDI] = FOLD_GVA + 8;
	struct vcpu loaded = f->v;
	assert_int_equal(host_load_vcpu(f->pid, &f->v), 0);
	assert_int_equal(host_run(f->pid, &e, false), 0);
	assert_int_equal(e.reason, HOST_EXIT_BP);
	assert_false(e.regs_unchanged);
	assert_int_equal(host_save_vcpu(f->pid, &f->v, false), 0);
	assert_int_equal(f->stub.folded, folded + 1);
	assert_int_equal(f->stub.batches, batches + 1);
	assert_int_equal(*(u64 *)(f->ram + FOLD_GPA + 8), loaded.gpr[R_RAX]);
	for (int i = 0; i < 16; i++)
		assert_int_equal(f->v.gpr[i], loaded.gpr[i]);
	assert_int_equal(f->v.rip, CODE_GVA + sizeof(code));
	assert_true(f->v.rflags & X86_RFLAGS_CF);
	assert_true(f->v.rflags & X86_RFLAGS_DF);
	/* Nothing of the batch or the registers is left for guest code. */
	for (unsigned i = 0; i < 4096; i += 8)
		if (i < STUB_OFF_SCRATCH || i >= STUB_OFF_REGS)
			assert_int_equal(*(u64 *)(f->stub.data + i), 0);
	f->stub.fold = false;
}

/* After a folded resume guest code meets the seccomp filter, not SYSEMU: a
 * SYSCALL is trapped there, not run, and is the same exit.  System call
 * 335 too: hosts since Linux 6.11 run it as uretprobe(2) past seccomp,
 * which sends SIGILL; older ones trap it.  Either way the guest's SYSCALL,
 * with its RAX. */
static void test_fold_then_syscall(void **state)
{
	struct fixture *f = *state;
	static const u32 nrs[] = { 39 /* getpid */, 335 };
	struct host_exit e;

	if (use_signal)
		skip();
	for (unsigned i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++) {
		/* mov $nr, %eax; syscall */
		u8 code[] = { 0xb8, 0, 0, 0, 0, 0x0f, 0x05 };
		memcpy(code + 1, &nrs[i], 4);
		arm_fold_page(f);
		load(f, f->pid, code, sizeof(code), 0, 0);
		assert_int_equal(host_run(f->pid, &e, false), 0);
		assert_int_equal(e.reason, HOST_EXIT_SYSCALL);
		assert_int_equal(host_save_vcpu(f->pid, &f->v, true), 0);
		assert_int_equal(f->v.gpr[R_RAX], nrs[i]);
		assert_int_equal(f->v.rip, CODE_GVA + sizeof(code));
		assert_false(f->stub.fold_forged);
	}
	f->stub.fold = false;
}

/* A kick before the guest ran: the batch finishes, the exit is the kick,
 * and the vCPU's registers are not to be read back. */
static void test_fold_kick_before_guest(void **state)
{
	struct fixture *f = *state;
	/* mov (%rdi), %rax; int3 */
	static const u8 code[] = { 0x48, 0x8b, 0x07, 0xcc };
	u64 kicked = f->stub.fold_kicked;
	struct host_exit e;

	if (use_signal)
		skip();
	arm_fold_page(f);
	*(u64 *)(f->ram + FOLD_GPA) = 0x5eed;
	load(f, f->pid, code, sizeof(code), 0, 0);
	assert_int_equal(host_kick(f->pid), 0);
	assert_int_equal(host_run(f->pid, &e, false), 0);
	assert_int_equal(e.reason, HOST_EXIT_KICK);
	assert_true(e.regs_unchanged);
	assert_int_equal(f->stub.fold_kicked, kicked + 1);
	/* The mapping is there: the guest reads it, unfolded now. */
	f->stub.fold = false;
	f->v.gpr[R_RDI] = FOLD_GVA;
	assert_int_equal(host_load_vcpu(f->pid, &f->v), 0);
	assert_int_equal(host_run(f->pid, &e, false), 0);
	assert_int_equal(e.reason, HOST_EXIT_BP);
	assert_int_equal(host_save_vcpu(f->pid, &f->v, false), 0);
	assert_int_equal(f->v.gpr[R_RAX], 0x5eed);
}

/* A failed call of a folded batch is the host's error, as a plain one's. */
static void test_fold_error_is_reported(void **state)
{
	struct fixture *f = *state;
	static const u8 code[] = { 0xcc };
	struct host_exit e;

	if (use_signal)
		skip();
	f->stub.fold = true;
	assert_int_equal(ctx_map(&f->stub, f->pid, FOLD_GVA + 1, FOLD_GPA, PROT_READ), 0);
	assert_int_equal(ctx_arm(&f->stub, f->pid), 0);
	load(f, f->pid, code, sizeof(code), 0, 0);
	assert_int_equal(host_run(f->pid, &e, false), -EINVAL);
	f->stub.fold = false;
}

/* Arm a fold and load guest code that jumps to 'target' at once:
 * movabs $target, %r11; jmp *%r11 (the other registers as load() sets
 * them, for the caller to change before it loads them again). */
static void load_fold_jump(struct fixture *f, u64 target)
{
	u8 code[13] = { 0x49, 0xbb, [10] = 0x41, 0xff, 0xe3 };

	memcpy(code + 2, &target, 8);
	arm_fold_page(f);
	load(f, f->pid, code, sizeof(code), 0, 0);
}

/* Guest code that jumps to the batch's int3 after a fold makes no error of
 * it: the monitor runs the batch again, and it is the guest's #BP. */
static void test_fold_forged_int3_is_bp(void **state)
{
	struct fixture *f = *state;
	u64 replays = f->stub.fold_replays;
	struct host_exit e;

	if (use_signal)
		skip();
	load_fold_jump(f, STUB_BATCH_END);
	assert_int_equal(host_run(f->pid, &e, false), 0);
	assert_int_equal(e.reason, HOST_EXIT_BP);
	assert_int_equal(host_save_vcpu(f->pid, &f->v, false), 0);
	assert_int_equal(f->v.rip, STUB_BATCH_END + 1);
	assert_int_equal(f->stub.fold_replays, replays + 1);
	f->stub.fold = false;
}

/* Guest code that runs the stub's syscall right after a fold, as if it
 * knew the key: the filter traps it (not run), the monitor sees the
 * guest's SYSCALL, and folds no more. */
static void test_fold_forged_stub_call(void **state)
{
	struct fixture *f = *state;
	struct host_exit e;

	if (use_signal)
		skip();
	load_fold_jump(f, STUB_SYSCALL);
	/* munmap(CODE_GVA, 4096) with a wrong key: the code would vanish. */
	f->v.gpr[R_RAX] = 11;
	f->v.gpr[R_RDI] = CODE_GVA;
	f->v.gpr[R_RSI] = 4096;
	f->v.gpr[R_R8] = 0x1234567800000000ull;
	assert_int_equal(host_load_vcpu(f->pid, &f->v), 0);     /* still armed */
	assert_int_equal(host_run(f->pid, &e, false), 0);
	/* The jmp went to the stub: the SYSCALL is reported, the page stays. */
	assert_int_equal(e.reason, HOST_EXIT_SYSCALL);
	assert_int_equal(host_save_vcpu(f->pid, &f->v, true), 0);
	assert_int_equal(f->v.rip, STUB_SYSCALL + 2);
	assert_true(f->stub.fold_forged);
	u64 folded = f->stub.folded;
	arm_fold_page(f);
	load(f, f->pid, (const u8[]){ 0xcc }, 1, 0, 0);
	assert_int_equal(host_run(f->pid, &e, false), 0);
	assert_int_equal(e.reason, HOST_EXIT_BP);
	assert_int_equal(f->stub.folded, folded);      /* no second guess */
	f->stub.fold_forged = false;
	f->stub.fold = false;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syscall_is_a_sysemu_stop),
		cmocka_unit_test(test_cli_is_gp),
		cmocka_unit_test(test_rdtsc_traps),
		cmocka_unit_test(test_unmapped_access_is_maperr),
		cmocka_unit_test(test_write_to_readonly_is_accerr),
		cmocka_unit_test(test_memory_is_shared_with_monitor),
		cmocka_unit_test(test_context_holds_only_the_stub),
		cmocka_unit_test(test_context_is_filtered),
		cmocka_unit_test(test_single_step),
		cmocka_unit_test(test_ud2_is_ud),
		cmocka_unit_test(test_divide_by_zero_is_de),
		cmocka_unit_test(test_int3_is_bp_and_int1_is_db),
		cmocka_unit_test(test_noncanonical_stack_is_ss),
		cmocka_unit_test(test_misaligned_with_ac_is_ac),
		cmocka_unit_test(test_kick),
		cmocka_unit_test(test_killed_context_died),
		cmocka_unit_test(test_batch_error_is_reported),
		cmocka_unit_test(test_fold_runs_batch_then_guest),
		cmocka_unit_test(test_fold_then_syscall),
		cmocka_unit_test(test_fold_kick_before_guest),
		cmocka_unit_test(test_fold_error_is_reported),
		cmocka_unit_test(test_fold_forged_int3_is_bp),
		cmocka_unit_test(test_fold_forged_stub_call),
	};
	int failed = cmocka_run_group_tests_name("host layer, ptrace backend", tests, setup, teardown);
	use_signal = true;
	return failed | cmocka_run_group_tests_name("host layer, signal backend", tests, setup, teardown);
}
