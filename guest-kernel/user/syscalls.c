/*
 * syscalls: checks the system call ABI the kernel promises (Linux x86-64):
 * error returns, pointer checks, and that SYSCALL/SYSRET keep every register
 * but RAX, RCX and R11.  Prints "syscalls: ok" and exits 0, or names the
 * first failure and exits 1.
 */
#include "ulib.h"

static int failed;

static void expect(const char *what, long got, long want)
{
	failed |= check_eq("syscalls", what, got, want);
}

/*
 * Load a known value into every register the kernel must keep, make an
 * unknown system call (999), and return a mask of the registers that came
 * back changed (bit i = i-th register below).  *ret gets RAX.  The red zone
 * is stepped over before pushing RBP, which the compiler may not name as
 * clobbered.
 */
static long syscall_clobbers(long *ret)
{
	long mask, rax;

	asm volatile(
		"sub $128, %%rsp\n\t"
		"push %%rbp\n\t"
		"mov $0x1001, %%rbx\n\t"
		"mov $0x1002, %%rbp\n\t"
		"mov $0x1003, %%rdx\n\t"
		"mov $0x1004, %%rsi\n\t"
		"mov $0x1005, %%rdi\n\t"
		"mov $0x1006, %%r8\n\t"
		"mov $0x1007, %%r9\n\t"
		"mov $0x1008, %%r10\n\t"
		"mov $0x1009, %%r12\n\t"
		"mov $0x100a, %%r13\n\t"
		"mov $0x100b, %%r14\n\t"
		"mov $0x100c, %%r15\n\t"
		"mov $999, %%eax\n\t"
		"syscall\n\t"
		"xor %%ecx, %%ecx\n\t"
		"cmp $0x1001, %%rbx\n\tje 1f\n\tor $0x001, %%ecx\n1:\n\t"
		"cmp $0x1002, %%rbp\n\tje 1f\n\tor $0x002, %%ecx\n1:\n\t"
		"cmp $0x1003, %%rdx\n\tje 1f\n\tor $0x004, %%ecx\n1:\n\t"
		"cmp $0x1004, %%rsi\n\tje 1f\n\tor $0x008, %%ecx\n1:\n\t"
		"cmp $0x1005, %%rdi\n\tje 1f\n\tor $0x010, %%ecx\n1:\n\t"
		"cmp $0x1006, %%r8\n\tje 1f\n\tor $0x020, %%ecx\n1:\n\t"
		"cmp $0x1007, %%r9\n\tje 1f\n\tor $0x040, %%ecx\n1:\n\t"
		"cmp $0x1008, %%r10\n\tje 1f\n\tor $0x080, %%ecx\n1:\n\t"
		"cmp $0x1009, %%r12\n\tje 1f\n\tor $0x100, %%ecx\n1:\n\t"
		"cmp $0x100a, %%r13\n\tje 1f\n\tor $0x200, %%ecx\n1:\n\t"
		"cmp $0x100b, %%r14\n\tje 1f\n\tor $0x400, %%ecx\n1:\n\t"
		"cmp $0x100c, %%r15\n\tje 1f\n\tor $0x800, %%ecx\n1:\n\t"
		"pop %%rbp\n\t"
		"add $128, %%rsp"
		: "=a"(rax), "=c"(mask)
		:
		: "rbx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11",
		  "r12", "r13", "r14", "r15", "memory", "cc");
	*ret = rax;
	return mask;
}

int main(void)
{
	long ret;

	expect("write(1, \"\", 0)", write(1, "", 0), 0);
	expect("write to fd 3", write(3, "x", 1), -9);
	expect("write from page 0", write(1, (const char *)0x10, 1), -14);
	expect("write from kernel memory", write(1, (const char *)0x600000000000, 1), -14);
	expect("write across the stack top", write(1, (const char *)0x7ffffffc, 8), -14);
	expect("registers changed by a syscall (mask)", syscall_clobbers(&ret), 0);
	expect("unknown syscall", ret, -38);
	if (failed)
		return 1;
	print("syscalls: ok\n");
	return 0;
}
