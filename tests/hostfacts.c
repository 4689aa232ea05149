/*
 * hostfacts: what this host's CPU and kernel do with the instructions whose
 * behaviour the tests depend on, found by running them here, independently
 * of the monitor.  Prints shell assignments for the integration tests
 * (tests/integration/lib.sh evaluates them):
 *
 *   vendor=AuthenticAMD       CPUID 0's vendor string
 *   hypervisor=KVMKVMKVM      CPUID 0x40000000's signature, "none" on bare metal
 *   cpuid_faulting=0|1        arch_prctl(ARCH_SET_CPUID, 0) succeeds
 *   rdtsc_traps=0|1           after prctl(PR_SET_TSC, PR_TSC_SIGSEGV) RDTSC
 *                             raises SIGSEGV (a hypervisor may ignore CR4.TSD)
 *   umip=0|1                  SGDT in user mode answers Linux's UMIP dummy
 *                             (base 0xfffffffffffe0000) instead of the real GDT
 *
 * Each probe that changes the process (CPUID faulting, TSC trapping) runs
 * in a child, so the facts are independent of one another.  docs/
 * ARCHITECTURE.md ("Facts that depend on the host") says what each one
 * changes in the tests' expectations.
 */
#include <asm/prctl.h>
#include <cpuid.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <x86intrin.h>

/* Run fn in a child; its exit status, or 128 + the signal that killed it. */
static int in_child(void (*fn)(void))
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);
		fn();
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0)
		;
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

static void probe_cpuid_faulting(void)
{
	_exit(syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0) == 0 ? 1 : 0);
}

static void probe_rdtsc(void)
{
	if (prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0) != 0)
		_exit(2);
	(void)__rdtsc();          /* SIGSEGV here if the host honours it */
	_exit(0);
}

static void cpuid_string(unsigned leaf, char out[13])
{
	unsigned a, b, c, d;

	__cpuid(leaf, a, b, c, d);
	if (leaf == 0) {          /* vendor: EBX, EDX, ECX */
		memcpy(out, &b, 4), memcpy(out + 4, &d, 4), memcpy(out + 8, &c, 4);
	} else {                  /* hypervisor: EBX, ECX, EDX */
		memcpy(out, &b, 4), memcpy(out + 4, &c, 4), memcpy(out + 8, &d, 4);
	}
	out[12] = 0;
	for (int i = 0; i < 12; i++)     /* keep it one shell word */
		if (out[i] == ' ' || out[i] == '\'' || (out[i] && (out[i] < 0x21 || out[i] > 0x7e)))
			out[i] = '_';
}

int main(void)
{
	char vendor[13], hv[13] = "none";
	unsigned a, b, c, d;
	struct __attribute__((packed)) { uint16_t limit; uint64_t base; } gdtr;

	cpuid_string(0, vendor);
	__cpuid(1, a, b, c, d);
	if (c & (1u << 31))
		cpuid_string(0x40000000, hv);
	asm volatile("sgdt %0" : "=m"(gdtr));

	printf("vendor=%s\n", vendor);
	printf("hypervisor=%s\n", hv[0] ? hv : "none");
	printf("cpuid_faulting=%d\n", in_child(probe_cpuid_faulting) == 1);
	printf("rdtsc_traps=%d\n", in_child(probe_rdtsc) == 128 + SIGSEGV);
	printf("umip=%d\n", gdtr.base == 0xfffffffffffe0000ull);
	return 0;
}
