/*
 * crashnofp.c: the command-line word crash=nofp, a deliberate guest kernel
 * crash through functions that keep no frame pointer, for the monitor's
 * libunwind backtrace (monitor/unwind.c, tests/integration/unwind.sh).
 *
 * This file alone is compiled with -fomit-frame-pointer (Makefile), and
 * crash_nofp_middle() even zeroes RBP before its call: the frame-pointer
 * chain the monitor's fallback walks is broken at the first frame, while
 * the DWARF CFI in .eh_frame still describes every frame.  The leaf arms
 * a breakpoint in DR7, which the monitor does not emulate, so the VM
 * stops with its diagnostic (as crash=dr7 does from kmain itself).
 */
#include "defs.h"

/* noipa (no inlining, no clones) and a use of the result after each call: every function keeps
 * its own frame (no inlining, no tail call). */
static __attribute__((noipa)) long crash_nofp_leaf(long depth)
{
	asm volatile("mov %0, %%dr7" : : "r"(1ul) : "memory");   /* arms breakpoint 0 */
	return depth + 1;
}

static __attribute__((noipa)) long crash_nofp_middle(long depth)
{
	long r;

	asm volatile("xor %%ebp, %%ebp" : : : "rbp");   /* no chain to follow */
	r = crash_nofp_leaf(depth + 1);
	asm volatile("" : : "r"(r) : "memory");
	return r + 1;
}

void __attribute__((noipa)) crash_nofp(void)
{
	long r = crash_nofp_middle(1);

	asm volatile("" : : "r"(r) : "memory");
}
