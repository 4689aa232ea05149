/*
 * Unit tests for monitor/gdb_target.c's registers: the target description
 * and the register numbers agree (names, order, sizes), every register
 * reads the vCPU field it names, and writes change exactly what a
 * debugger may change: RFLAGS without VM, CR8 within 4 bits, and the
 * selectors, CR0, CR3, CR4, EFER only to their present value.  With no
 * context holding the FPU state yet (before the first instruction) the
 * x87/SSE registers read as after reset and cannot be written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vm.h"

static struct vm V;

static int setup(void **state)
{
	memset(&V, 0, sizeof(V));
	V.gdb = calloc(1, sizeof(*V.gdb));
	V.gdb->fpu = aligned_alloc(64, HOST_FPU_MAX);
	for (int i = 0; i < 16; i++)
		V.vcpu.gpr[i] = 0x1111111111111111ull * (u64)(i + 1);
	V.vcpu.rip = 0x7f0000100000ull;
	V.vcpu.rflags = X86_RFLAGS_FIXED | X86_RFLAGS_IF | X86_RFLAGS_ZF;
	V.vcpu.seg[SEG_CS] = 0x8;
	V.vcpu.seg[SEG_SS] = 0x10;
	V.vcpu.seg[SEG_DS] = 0x10;
	V.vcpu.seg[SEG_ES] = 0x10;
	V.vcpu.seg[SEG_FS] = 0;
	V.vcpu.seg[SEG_GS] = 0x1b;
	V.vcpu.fs_base = 0x1000;
	V.vcpu.gs_base = 0x7f0000200000ull;
	V.vcpu.kernel_gs_base = 0x2000;
	V.vcpu.cr0 = 0x80050033;
	V.vcpu.cr2 = 0x1234;
	V.vcpu.cr3 = 0x4ee000;
	V.vcpu.cr4 = 0x40620;
	V.vcpu.tpr = 3;
	V.vcpu.efer = 0xd01;
	*state = &V;
	return 0;
}

static int teardown(void **state)
{
	free(V.gdb->fpu);
	free(V.gdb);
	return 0;
}

static u64 rd(int regno)
{
	u8 b[16] = { 0 };
	u64 x = 0;
	int n = gdb_reg_read(&V, regno, b);

	assert_true(n > 0 && n <= 8);
	memcpy(&x, b, (size_t)n);
	return x;
}

static int wr(int regno, u64 x)
{
	u8 b[16] = { 0 };

	memcpy(b, &x, 8);
	return gdb_reg_write(&V, regno, b);
}

/* The description's registers, in order, against gdb_reg_size(). */
static void test_description_matches_numbers(void **state)
{
	const char *p = gdb_target_xml;
	int n = 0, bytes = 0;

	while ((p = strstr(p, "<reg name=\""))) {
		const char *bits = strstr(p, "bitsize=\"");
		assert_non_null(bits);
		int size = atoi(bits + 9) / 8;
		if (gdb_reg_size(n) != size)
			fail_msg("register %d is %d bytes in the description, %d in the stub", n, size,
				 gdb_reg_size(n));
		bytes += size;
		n++;
		p++;
	}
	assert_int_equal(n, GDB_NREGS);
	assert_int_equal(bytes, 608);           /* what a 'g' answer carries */
	assert_int_equal(gdb_reg_size(GDB_NREGS), -1);
	assert_int_equal(gdb_reg_size(-1), -1);
	/* The names gdb's amd64 support looks for by feature. */
	assert_non_null(strstr(gdb_target_xml, "<feature name=\"org.gnu.gdb.i386.core\">"));
	assert_non_null(strstr(gdb_target_xml, "<feature name=\"org.gnu.gdb.i386.sse\">"));
	assert_non_null(strstr(gdb_target_xml, "<feature name=\"org.gnu.gdb.i386.segments\">"));
	assert_non_null(strstr(gdb_target_xml, "<architecture>i386:x86-64</architecture>"));
}

static void test_reads(void **state)
{
	/* gdb's order: rax rbx rcx rdx rsi rdi rbp rsp r8..r15. */
	static const int enc[16] = { R_RAX, R_RBX, R_RCX, R_RDX, R_RSI, R_RDI, R_RBP, R_RSP,
				     R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15 };
	for (int i = 0; i < 16; i++)
		assert_int_equal(rd(i), V.vcpu.gpr[enc[i]]);
	assert_int_equal(rd(16), 0x7f0000100000ull);
	assert_int_equal(rd(17), X86_RFLAGS_FIXED | X86_RFLAGS_IF | X86_RFLAGS_ZF);
	assert_int_equal(rd(18), 0x8);          /* cs */
	assert_int_equal(rd(19), 0x10);         /* ss */
	assert_int_equal(rd(23), 0x1b);         /* gs */
	assert_int_equal(rd(57), 0x1000);       /* fs_base */
	assert_int_equal(rd(58), 0x7f0000200000ull);
	assert_int_equal(rd(59), 0x2000);       /* k_gs_base */
	assert_int_equal(rd(60), 0x80050033);   /* cr0 */
	assert_int_equal(rd(61), 0x1234);       /* cr2 */
	assert_int_equal(rd(62), 0x4ee000);     /* cr3 */
	assert_int_equal(rd(63), 0x40620);      /* cr4 */
	assert_int_equal(rd(64), 3);            /* cr8 */
	assert_int_equal(rd(65), 0xd01);        /* efer */
	/* No context holds the FPU state: FNINIT's FCW, all empty, MXCSR's reset. */
	assert_int_equal(rd(32), 0x37f);        /* fctrl */
	assert_int_equal(rd(34), 0xffff);       /* ftag: every register empty */
	assert_int_equal(rd(56), 0x1f80);       /* mxcsr */
	u8 b[16];
	assert_int_equal(gdb_reg_read(&V, 40, b), 16);                /* xmm0 */
	assert_int_equal(gdb_reg_read(&V, 24, b), 10);                /* st0 */
	assert_int_equal(gdb_reg_read(&V, GDB_NREGS, b), -1);
}

static void test_writes(void **state)
{
	assert_int_equal(wr(0, 42), 0);
	assert_int_equal(V.vcpu.gpr[R_RAX], 42);
	assert_int_equal(wr(7, 0x7f000026a000ull), 0);        /* rsp */
	assert_int_equal(V.vcpu.gpr[R_RSP], 0x7f000026a000ull);
	assert_int_equal(wr(16, 0x7f0000117470ull), 0);
	assert_int_equal(V.vcpu.rip, 0x7f0000117470ull);
	/* RFLAGS: VM and reserved bits dropped, bit 1 kept. */
	assert_int_equal(wr(17, X86_RFLAGS_VM | X86_RFLAGS_TF | X86_RFLAGS_CF | (1ull << 3)), 0);
	assert_int_equal(V.vcpu.rflags, X86_RFLAGS_FIXED | X86_RFLAGS_TF | X86_RFLAGS_CF);
	assert_int_equal(wr(57, 0x5000), 0);
	assert_int_equal(V.vcpu.fs_base, 0x5000);
	assert_int_equal(wr(61, 0xdead000), 0);
	assert_int_equal(V.vcpu.cr2, 0xdead000);
	assert_int_equal(wr(64, 15), 0);
	assert_int_equal(V.vcpu.tpr, 15);
	assert_int_equal(wr(64, 16), -1);
	assert_int_equal(V.vcpu.tpr, 15);
	/* Only their present value. */
	assert_int_equal(wr(18, 0x8), 0);
	assert_int_equal(wr(18, 0x33), -1);
	assert_int_equal(V.vcpu.seg[SEG_CS], 0x8);
	assert_int_equal(wr(62, 0x4ee000), 0);
	assert_int_equal(wr(62, 0), -1);
	assert_int_equal(V.vcpu.cr3, 0x4ee000);
	assert_int_equal(wr(60, 0x80050033), 0);
	assert_int_equal(wr(60, 0x33), -1);
	assert_int_equal(wr(63, 0), -1);
	assert_int_equal(wr(65, 0), -1);
	assert_int_equal(V.vcpu.efer, 0xd01);
	/* No FPU state to change yet. */
	assert_int_equal(wr(56, 0x1f80), -1);
	assert_int_equal(wr(GDB_NREGS, 0), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_description_matches_numbers),
		cmocka_unit_test(test_reads),
		cmocka_unit_test(test_writes),
	};
	return cmocka_run_group_tests_name("gdb registers", tests, setup, teardown);
}
