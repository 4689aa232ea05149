/*
 * The host layer on real context processes: spawn one, map guest RAM pages
 * into it through stub batches, run raw instruction bytes in it and check
 * the trap event each one turns into.  No emulation: this is what the
 * vCPU loop is built on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

/* Put 'code' at CODE_GVA, run it from there, return the stop. */
static struct trap_event run(struct fixture *f, const void *code, size_t len)
{
	struct trap_event ev;

	memset(f->ram, 0xcc, 4096);
	memcpy(f->ram, code, len);
	memset(&f->v, 0, sizeof(f->v));
	f->v.rip = CODE_GVA;
	f->v.rflags = X86_RFLAGS_FIXED;
	f->v.gpr[R_RSP] = DATA_GVA + 0x800;
	f->v.gpr[R_RAX] = 1234;
	assert_int_equal(host_load_vcpu(f->pid, &f->v), 0);
	assert_int_equal(host_run(f->pid, &ev, false), 0);
	assert_int_equal(host_save_vcpu(f->pid, &f->v, ev.kind == TRAP_SYSCALL), 0);
	return ev;
}

static void test_syscall_is_a_sysemu_stop(void **state)
{
	struct fixture *f = *state;
	/* mov $39, %eax (getpid); syscall */
	static const u8 code[] = { 0xb8, 39, 0, 0, 0, 0x0f, 0x05 };
	struct trap_event ev = run(f, code, sizeof(code));

	assert_int_equal(ev.kind, TRAP_SYSCALL);
	assert_int_equal(f->v.gpr[R_RAX], 39);          /* the guest's RAX, not -ENOSYS */
	assert_int_equal(f->v.rip, CODE_GVA + sizeof(code));
	assert_int_equal(f->v.gpr[R_RCX], CODE_GVA + sizeof(code));
}

static void test_cli_is_gp(void **state)
{
	struct fixture *f = *state;
	static const u8 code[] = { 0xfa };
	struct trap_event ev = run(f, code, sizeof(code));

	assert_int_equal(ev.kind, TRAP_SIGNAL);
	assert_int_equal(ev.signo, SIGSEGV);
	assert_int_equal(ev.code, SI_KERNEL);
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
	struct trap_event ev = run(f, code, sizeof(code));

	assert_true(traps == 0 || traps == 1);
	if (traps) {
		assert_int_equal(ev.signo, SIGSEGV);
		assert_int_equal(ev.code, SI_KERNEL);
		assert_int_equal(f->v.rip, CODE_GVA);
	} else {
		assert_int_equal(ev.signo, SIGTRAP);
		assert_int_not_equal(f->v.gpr[R_RAX], 1234);   /* EDX:EAX = the TSC */
	}
}

static void test_unmapped_access_is_maperr(void **state)
{
	struct fixture *f = *state;
	/* mov (%rbx), %rax with rbx = 0x600000 (nothing mapped there) */
	static const u8 code[] = { 0x48, 0xbb, 0, 0, 0x60, 0, 0, 0, 0, 0, 0x48, 0x8b, 0x03 };
	struct trap_event ev = run(f, code, sizeof(code));

	assert_int_equal(ev.signo, SIGSEGV);
	assert_int_equal(ev.code, SEGV_MAPERR);
	assert_int_equal(ev.addr, 0x600000);
}

static void test_write_to_readonly_is_accerr(void **state)
{
	struct fixture *f = *state;
	/* movb $1, (%rbx) with rbx = CODE_GVA (mapped r-x) */
	static const u8 code[] = { 0x48, 0xbb, 0, 0, 0x40, 0, 0, 0, 0, 0, 0xc6, 0x03, 0x01 };
	struct trap_event ev = run(f, code, sizeof(code));

	assert_int_equal(ev.signo, SIGSEGV);
	assert_int_equal(ev.code, SEGV_ACCERR);
	assert_int_equal(ev.addr, CODE_GVA);
}

static void test_memory_is_shared_with_monitor(void **state)
{
	struct fixture *f = *state;
	/* movl $0x5a5a1234, (%rbx) with rbx = DATA_GVA + 8; then cli to stop */
	static const u8 code[] = { 0x48, 0xbb, 8, 0, 0x50, 0, 0, 0, 0, 0,
				   0xc7, 0x03, 0x34, 0x12, 0x5a, 0x5a, 0xfa };
	struct trap_event ev = run(f, code, sizeof(code));

	assert_int_equal(ev.code, SI_KERNEL);
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
		if (lo >= STUB_BASE && lo < STUB_END)
			stub++;
		else if (lo == CODE_GVA || lo == DATA_GVA)
			guest++;
		else if (strstr(line, "[vsyscall]"))
			;               /* cannot be unmapped; seccomp closes it */
		else
			other++, fprintf(stderr, "unexpected mapping: %s", line);
	}
	fclose(m);
	assert_int_equal(stub, 2);
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

/* Single-stepping stops after one instruction with TRAP_TRACE: the vCPU
 * loop uses it to honour the one-instruction STI interrupt shadow. */
static void test_single_step(void **state)
{
	struct fixture *f = *state;
	/* nop; nop; cli */
	static const u8 code[] = { 0x90, 0x90, 0xfa };
	struct trap_event ev;

	memset(f->ram, 0xcc, 4096);
	memcpy(f->ram, code, sizeof(code));
	memset(&f->v, 0, sizeof(f->v));
	f->v.rip = CODE_GVA;
	f->v.rflags = X86_RFLAGS_FIXED;
	f->v.gpr[R_RSP] = DATA_GVA + 0x800;
	assert_int_equal(host_load_vcpu(f->pid, &f->v), 0);
	assert_int_equal(host_run(f->pid, &ev, true), 0);
	assert_int_equal(host_save_vcpu(f->pid, &f->v, false), 0);
	assert_int_equal(ev.signo, SIGTRAP);
	assert_int_equal(ev.code, TRAP_TRACE);
	assert_int_equal(f->v.rip, CODE_GVA + 1);
	/* And the trap flag does not leak into the guest's RFLAGS. */
	assert_false(f->v.rflags & X86_RFLAGS_TF);
}

/* Batches really run in the context, and failures are reported. */
static void test_batch_error_is_reported(void **state)
{
	struct fixture *f = *state;
	/* mmap at an unaligned address fails with EINVAL. */
	assert_int_equal(ctx_map(&f->stub, f->pid, CODE_GVA + 1, 0, PROT_READ), 0);
	assert_int_equal(ctx_flush(&f->stub), -22);
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
		cmocka_unit_test(test_batch_error_is_reported),
	};
	return cmocka_run_group_tests_name("host layer", tests, setup, teardown);
}
