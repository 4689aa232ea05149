/*
 * stubattack: a guest user program that attacks the host layer from inside
 * its context process (docs/THREAT-MODEL.md), for tests/integration/
 * backend.sh.  Static musl; it knows the stub's addresses (traps/stub.h)
 * as any attacker could learn them.  Each case prints what it saw, one
 * "stubattack: ..." line per probe, and ends with "stubattack: CASE done"
 * if the program is still alive; what the host and the monitor did is for
 * the test to judge (the VM goes on, or stops with a diagnostic; no host
 * system call outside the allowed set runs).
 *
 *   stubattack read       read every stub page: which are mapped, and does
 *                         any hold something beyond this program's own
 *                         registers (another context's addresses)?
 *   stubattack scribble   write over every writable stub page (the trap
 *                         record and the handler's stack, the stub thread's
 *                         results), then fork, map and unmap memory so the
 *                         monitor must use them
 *   stubattack jump       in a child each, jump into every stub entry point
 *                         with crafted registers (system call numbers the
 *                         host must never run: kill, open, mmap of guest
 *                         RAM, clone, ptrace)
 *   stubattack sigreturn  jump to the handler's system call with RAX =
 *                         rt_sigreturn and a forged frame that blocks every
 *                         signal and loops: a context that can no longer be
 *                         kicked
 *   stubattack fold       in a child each, touch a fresh page (its mapping
 *                         is folded into the resume under ptrace: guest
 *                         code then runs under PTRACE_CONT, not SYSEMU) and
 *                         at once jump to the stub's syscall with mmap of
 *                         guest RAM and no key (docs/ARCHITECTURE.md,
 *                         "Folding the mappings into the resume")
 *   stubattack passthrough  system calls 335 and 336 (uretprobe, uprobe:
 *                         the host runs them past seccomp): what the guest
 *                         kernel answers
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "../../traps/stub.h"

static sigjmp_buf probe_env;
static volatile int probe_sig;

static void on_fault(int sig)
{
	probe_sig = sig;
	siglongjmp(probe_env, 1);
}

/* Read 'len' bytes at 'va': -1 if that faults, else how many are not 0. */
static long probe_read(uintptr_t at, size_t len)
{
	volatile uint8_t *volatile va = (volatile uint8_t *)at;
	volatile long nonzero = 0;

	if (sigsetjmp(probe_env, 1))
		return -1;
	for (size_t i = 0; i < len; i++)
		nonzero += va[i] != 0;
	return nonzero;
}

/* Write a pattern over [va, va + len): 0 if it all went, -1 if it faulted. */
static int probe_write(uintptr_t at, size_t len, uint8_t pat)
{
	volatile uint8_t *volatile va = (volatile uint8_t *)at;
	volatile uint8_t pattern = pat;

	if (sigsetjmp(probe_env, 1))
		return -1;
	for (size_t i = 0; i < len; i++)
		va[i] = (uint8_t)(pattern + i * 7);
	return 0;
}

static const struct { const char *name; uintptr_t va; size_t len; } pages[] = {
	{ "stub code", STUB_BASE, 4096 },
	{ "stub data", STUB_DATA, 4096 },
	{ "trap record", SIG_TRAP, 4096 },
	{ "handler stack", SIG_STACK, SIG_TRAP_SIZE - 4096 },
	{ "stub thread requests", SIG_REQ, 4096 },
	{ "stub thread results", SIG_RES, 4096 },
};
#define NPAGES (sizeof(pages) / sizeof(pages[0]))

static void churn(void)
{
	for (int i = 0; i < 20; i++) {
		void *p = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p != MAP_FAILED) {
			memset(p, i, 65536);
			munmap(p, 65536);
		}
		pid_t pid = fork();
		if (pid == 0)
			_exit(i);
		int st;
		waitpid(pid, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != i)
			printf("stubattack: churn: child %d ended with status %#x\n", i, st);
	}
}

static void case_read(void)
{
	for (unsigned i = 0; i < NPAGES; i++) {
		long n = probe_read(pages[i].va, pages[i].len);
		if (n < 0)
			printf("stubattack: read %s at %#lx: signal %d\n", pages[i].name,
			       (unsigned long)pages[i].va, probe_sig);
		else
			printf("stubattack: read %s at %#lx: mapped, %ld nonzero bytes\n", pages[i].name,
			       (unsigned long)pages[i].va, n);
	}
	/* The stub data page's operations (ptrace backend), cleared after
	 * every batch, and the stub thread's request page: another
	 * mapping's guest physical address would be here if the monitor
	 * left its operations in it. */
	churn();
	long n = probe_read(STUB_DATA, STUB_OFF_OPS + STUB_MAX_OPS * STUB_OP_SIZE);
	printf("stubattack: stub data operations after a batch: %s\n",
	       n < 0 ? "not mapped" : n == 0 ? "all zero" : "NOT ZERO");
	n = probe_read(SIG_REQ + R_OPS, STUB_MAX_OPS * STUB_OP_SIZE);
	printf("stubattack: request operations after a batch: %s\n",
	       n < 0 ? "not mapped" : n == 0 ? "all zero" : "NOT ZERO");
}

static void case_scribble(void)
{
	for (unsigned i = 0; i < NPAGES; i++) {
		int r = probe_write(pages[i].va, pages[i].len, (uint8_t)(0x5a + i));
		printf("stubattack: write %s: %s\n", pages[i].name, r < 0 ? "fault" : "written");
	}
	churn();
	printf("stubattack: churn after scribbling: ok\n");
}

/* Jump to 'rip' with RAX = nr and crafted arguments, RSP on a scratch stack. */
static void __attribute__((noreturn)) jump(uintptr_t rip, long nr)
{
	static uint8_t stack[16384] __attribute__((aligned(16)));
	uintptr_t sp = (uintptr_t)stack + sizeof(stack) - 64;

	__asm__ volatile(
		"mov %[sp], %%rsp\n\t"
		"mov %[nr], %%rax\n\t"
		"mov $3, %%edi\n\t"         /* the guest RAM memfd's number */
		"mov $0x10000000, %%esi\n\t"
		"mov $7, %%edx\n\t"
		"mov $1, %%r10d\n\t"
		"mov $3, %%r8d\n\t"
		"xor %%r9d, %%r9d\n\t"
		"mov %%rax, %%rbx\n\t"
		"mov %%rax, %%r12\n\t"
		"mov %%rax, %%r15\n\t"      /* sig_tsys returns through r15 */
		"jmp *%[rip]"
		: : [sp] "r"(sp), [nr] "r"(nr), [rip] "r"(rip)
		/* Every register set above: the inputs must not live there
		 * (the jump once went to 3, RDI's new value, not the stub). */
		: "rax", "rbx", "rdi", "rsi", "rdx", "r8", "r9", "r10", "r12", "r15", "memory");
	__builtin_unreachable();
}

static void case_jump(void)
{
	static const struct { const char *name; uintptr_t va; } entries[] = {
		{ "stub entry", STUB_ENTRY }, { "stub batch", STUB_BATCH },
		{ "stub syscall", STUB_SYSCALL }, { "park", SIG_PARK },
		{ "handler", SIG_HANDLER }, { "restorer", SIG_RESTORER },
		{ "handler syscall", SIG_HSYS }, { "spawn", SIG_SPAWN },
		{ "stub thread", SIG_THREAD }, { "stub thread syscall", SIG_TSYS },
	};
	static const long nrs[] = { SYS_mmap, SYS_kill, SYS_open, SYS_clone, SYS_ptrace,
				    SYS_futex, SYS_arch_prctl, SYS_prctl };

	for (unsigned i = 0; i < sizeof(entries) / sizeof(entries[0]); i++)
		for (unsigned k = 0; k < sizeof(nrs) / sizeof(nrs[0]); k++) {
			pid_t pid = fork();
			if (pid == 0) {
				alarm(2);
				jump(entries[i].va, nrs[k]);
			}
			int st;
			waitpid(pid, &st, 0);
			printf("stubattack: jump %s with nr %ld: %s %d\n", entries[i].name, nrs[k],
			       WIFSIGNALED(st) ? "killed by signal" : "exited", WIFSIGNALED(st) ?
			       WTERMSIG(st) : WEXITSTATUS(st));
		}
}

static void case_fold(void)
{
	for (int i = 0; i < 20; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			volatile char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
						MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p == MAP_FAILED)
				_exit(1);
			p[0] = 1;
			jump(STUB_SYSCALL, SYS_mmap);
		}
		int st;
		waitpid(pid, &st, 0);
		printf("stubattack: fold %d, stub mmap: %s %d\n", i,
		       WIFSIGNALED(st) ? "killed by signal" : "exited", WIFSIGNALED(st) ?
		       WTERMSIG(st) : WEXITSTATUS(st));
	}
}

static void __attribute__((noinline, noreturn)) spin(void)
{
	for (;;)
		__asm__ volatile("" ::: "memory");
}

static void case_sigreturn(void)
{
	/* A kernel-layout rt_sigframe as the host's rt_sigreturn reads it at
	 * RSP: ucontext (flags, link, stack, mcontext, mask), all signals
	 * blocked, RIP at a loop, CS/SS the host's user selectors. */
	static uint64_t frame[128] __attribute__((aligned(16)));
	static uint8_t stack[4096] __attribute__((aligned(16)));
	ucontext_t *uc = (ucontext_t *)frame;

	memset(frame, 0, sizeof(frame));
	uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)spin;
	uc->uc_mcontext.gregs[REG_RSP] = (greg_t)(uintptr_t)(stack + sizeof(stack) - 64);
	uc->uc_mcontext.gregs[REG_EFL] = 0x202;
	uc->uc_mcontext.gregs[REG_CSGSFS] = 0x33 | (0x2bull << 48);
	memset(&uc->uc_sigmask, 0xff, 8);
	printf("stubattack: forged rt_sigreturn\n");
	fflush(stdout);
	__asm__ volatile("mov %0, %%rsp\n\tmov $15, %%eax\n\tjmp *%1"
			 : : "r"(frame), "r"((uintptr_t)SIG_HSYS) : "rax", "memory");
	__builtin_unreachable();
}

static void case_passthrough(void)
{
	for (long nr = 335; nr <= 336; nr++) {
		long r;
		__asm__ volatile("syscall" : "=a"(r) : "a"(nr) : "rcx", "r11", "memory");
		printf("stubattack: system call %ld: %ld (%s)\n", nr, r,
		       r < 0 && r > -4096 ? strerror((int)-r) : "no error");
	}
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "read";

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGSEGV, on_fault);
	signal(SIGBUS, on_fault);
	if (!strcmp(what, "read"))
		case_read();
	else if (!strcmp(what, "scribble"))
		case_scribble();
	else if (!strcmp(what, "jump"))
		case_jump();
	else if (!strcmp(what, "sigreturn"))
		case_sigreturn();
	else if (!strcmp(what, "passthrough"))
		case_passthrough();
	else if (!strcmp(what, "fold"))
		case_fold();
	else {
		fprintf(stderr, "stubattack: %s: not read, scribble, jump, sigreturn, fold or passthrough\n", what);
		return 2;
	}
	printf("stubattack: %s done\n", what);
	return 0;
}
