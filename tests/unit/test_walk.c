/*
 * The guest page-table walker on a fake guest RAM image: page sizes,
 * permissions combined over levels, CR0.WP, NX, reserved bits, A/D updates
 * and entries that point outside RAM.  Expected error codes follow the SDM
 * (vol. 3, 4.7 "Page-fault exceptions").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "shadow.h"

#define RAM_SIZE (8u << 20)
/* Table pages at fixed GPAs. */
#define PML4 0x1000
#define PDPT 0x2000
#define PD   0x3000
#define PT   0x4000
#define CR0  (X86_CR0_PG | X86_CR0_PE | X86_CR0_WP)
#define EFER (X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE)
#define VA   0x0000123456789000ull   /* indexes: 0x24, 0x11a, 0xb3, 0x189 */

static u8 *ram;

static u64 *ent(u64 table, u64 va, int level)
{
	unsigned idx = (va >> (12 + 9 * (level - 1))) & 511;
	return (u64 *)(ram + table + idx * 8);
}

/* Build VA -> 'frame' with 4 KiB pages; 'flags' go on every level. */
static void map4k(u64 va, u64 frame, u64 upper, u64 leaf)
{
	*ent(PML4, va, 4) = PDPT | upper;
	*ent(PDPT, va, 3) = PD | upper;
	*ent(PD, va, 2) = PT | upper;
	*ent(PT, va, 1) = frame | leaf;
}

static int setup(void **state)
{
	ram = calloc(1, RAM_SIZE);
	return ram ? 0 : -1;
}

static int teardown(void **state)
{
	free(ram);
	return 0;
}

static int walk(u64 va, enum emu_access acc, int cpl, bool set_ad, struct gwalk *w)
{
	return shadow_walk(ram, RAM_SIZE, CR0, PML4, EFER, va, acc, cpl, set_ad, w);
}

static void test_4k_translation_sets_accessed(void **state)
{
	struct gwalk w;
	memset(ram, 0, RAM_SIZE);
	map4k(VA, 0x5000, PTE_P | PTE_W | PTE_U, PTE_P | PTE_W | PTE_U);

	assert_int_equal(walk(VA + 0x123, EMU_READ, 3, true, &w), 0);
	assert_int_equal(w.gpa, 0x5123);
	assert_int_equal(w.level, 1);
	assert_true(w.user && w.writable && !w.nx && !w.dirty);
	assert_true(*ent(PML4, VA, 4) & PTE_A);
	assert_true(*ent(PDPT, VA, 3) & PTE_A);
	assert_true(*ent(PD, VA, 2) & PTE_A);
	assert_true(*ent(PT, VA, 1) & PTE_A);
	assert_false(*ent(PT, VA, 1) & PTE_D);          /* a read sets no D */
	assert_int_equal(w.pte_gpa[0], PT + 0x189 * 8);
	assert_int_equal(w.pte_gpa[3], PML4 + 0x24 * 8);
}

static void test_write_sets_dirty_only_in_leaf(void **state)
{
	struct gwalk w;
	memset(ram, 0, RAM_SIZE);
	map4k(VA, 0x5000, PTE_P | PTE_W, PTE_P | PTE_W);

	assert_int_equal(walk(VA, EMU_WRITE, 0, true, &w), 0);
	assert_true(w.dirty);
	assert_true(*ent(PT, VA, 1) & PTE_D);
	assert_false(*ent(PD, VA, 2) & PTE_D);
}

static void test_no_ad_update_when_not_asked(void **state)
{
	struct gwalk w;
	memset(ram, 0, RAM_SIZE);
	map4k(VA, 0x5000, PTE_P | PTE_W, PTE_P | PTE_W);

	assert_int_equal(walk(VA, EMU_WRITE, 0, false, &w), 0);
	assert_int_equal(*ent(PT, VA, 1), 0x5000 | PTE_P | PTE_W);
	assert_int_equal(*ent(PML4, VA, 4), PDPT | PTE_P | PTE_W);
}

static void test_2m_and_1g_pages(void **state)
{
	struct gwalk w;
	memset(ram, 0, RAM_SIZE);
	/* 2 MiB page at VA's 2 MiB region -> GPA 0x200000. */
	*ent(PML4, VA, 4) = PDPT | PTE_P | PTE_W;
	*ent(PDPT, VA, 3) = PD | PTE_P | PTE_W;
	*ent(PD, VA, 2) = 0x200000 | PTE_P | PTE_W | PTE_PS;
	assert_int_equal(walk(VA + 0x10, EMU_READ, 0, true, &w), 0);
	assert_int_equal(w.level, 2);
	assert_int_equal(w.gpa, 0x200000 + (VA & 0x1fffff) + 0x10);

	/* 1 GiB page: the frame must be 1 GiB aligned, so RAM would have to be
	 * larger; check the address arithmetic with a frame of 0 and an
	 * in-RAM offset. */
	u64 va1g = 0x40000000ull * 5 + 0x123456;        /* PML4 0, PDPT 5 */
	*ent(PML4, va1g, 4) = PDPT | PTE_P | PTE_W;
	*ent(PDPT, va1g, 3) = 0 | PTE_P | PTE_W | PTE_PS;
	assert_int_equal(walk(va1g, EMU_READ, 0, true, &w), 0);
	assert_int_equal(w.level, 3);
	assert_int_equal(w.gpa, 0x123456);
}

static void test_not_present_error_codes(void **state)
{
	struct gwalk w;
	memset(ram, 0, RAM_SIZE);
	map4k(VA, 0x5000, PTE_P | PTE_W | PTE_U, PTE_W | PTE_U); /* leaf P=0 */

	assert_int_equal(walk(VA, EMU_READ, 0, true, &w), -1);
	assert_int_equal(w.errcode, 0);
	assert_int_equal(walk(VA, EMU_WRITE, 3, true, &w), -1);
	assert_int_equal(w.errcode, PFEC_W | PFEC_U);
	assert_int_equal(walk(VA, EMU_FETCH, 3, true, &w), -1);
	assert_int_equal(w.errcode, PFEC_U | PFEC_I);
	/* A missing PML4 entry too. */
	assert_int_equal(walk(0x0000700000000000ull, EMU_READ, 3, true, &w), -1);
	assert_int_equal(w.errcode, PFEC_U);
	/* Nothing accessed on a failed walk's leaf. */
	assert_false(*ent(PT, VA, 1) & PTE_A);
}

static void test_user_needs_u_at_every_level(void **state)
{
	struct gwalk w;
	memset(ram, 0, RAM_SIZE);
	map4k(VA, 0x5000, PTE_P | PTE_W, PTE_P | PTE_W | PTE_U); /* upper U=0 */

	assert_int_equal(walk(VA, EMU_READ, 3, true, &w), -1);
	assert_int_equal(w.errcode, PFEC_P | PFEC_U);
	/* The kernel reads it fine, and implicit supervisor accesses from
	 * CPL 3 are checked as CPL 0 (no U bit in the error code). */
	assert_int_equal(walk(VA, EMU_READ, 0, true, &w), 0);
	assert_int_equal(walk(VA, EMU_READ_SYS, 3, true, &w), 0);
	assert_false(w.user);
}

static void test_write_protection_and_cr0_wp(void **state)
{
	struct gwalk w;
	memset(ram, 0, RAM_SIZE);
	map4k(VA, 0x5000, PTE_P | PTE_W | PTE_U, PTE_P | PTE_U); /* leaf read-only */

	assert_int_equal(walk(VA, EMU_WRITE, 3, true, &w), -1);
	assert_int_equal(w.errcode, PFEC_P | PFEC_W | PFEC_U);
	/* Supervisor write: refused with WP=1 ... */
	assert_int_equal(walk(VA, EMU_WRITE, 0, true, &w), -1);
	assert_int_equal(w.errcode, PFEC_P | PFEC_W);
	/* ... allowed with WP=0. */
	assert_int_equal(shadow_walk(ram, RAM_SIZE, CR0 & ~X86_CR0_WP, PML4, EFER, VA,
				     EMU_WRITE, 0, true, &w), 0);
	assert_false(w.writable);
	assert_true(w.dirty);
}

static void test_nx(void **state)
{
	struct gwalk w;
	memset(ram, 0, RAM_SIZE);
	map4k(VA, 0x5000, PTE_P | PTE_W, PTE_P | PTE_W | PTE_NX);

	assert_int_equal(walk(VA, EMU_READ, 0, true, &w), 0);
	assert_true(w.nx);
	assert_int_equal(walk(VA, EMU_FETCH, 0, true, &w), -1);
	assert_int_equal(w.errcode, PFEC_P | PFEC_I);
	/* Without EFER.NXE bit 63 is reserved. */
	assert_int_equal(shadow_walk(ram, RAM_SIZE, CR0, PML4, EFER & ~X86_EFER_NXE, VA,
				     EMU_READ, 0, true, &w), -1);
	assert_int_equal(w.errcode, PFEC_P | PFEC_RSVD);
}

static void test_reserved_bits(void **state)
{
	struct gwalk w;
	memset(ram, 0, RAM_SIZE);
	/* A 2 MiB page with bit 13 set. */
	*ent(PML4, VA, 4) = PDPT | PTE_P | PTE_W;
	*ent(PDPT, VA, 3) = PD | PTE_P | PTE_W;
	*ent(PD, VA, 2) = 0x200000 | (1u << 13) | PTE_P | PTE_PS;
	assert_int_equal(walk(VA, EMU_WRITE, 3, true, &w), -1);
	assert_int_equal(w.errcode, PFEC_P | PFEC_RSVD | PFEC_W | PFEC_U);
	/* PS in a PML4 entry. */
	*ent(PML4, VA, 4) = PDPT | PTE_P | PTE_PS;
	assert_int_equal(walk(VA, EMU_READ, 0, true, &w), -1);
	assert_int_equal(w.errcode, PFEC_P | PFEC_RSVD);
}

static void test_outside_ram(void **state)
{
	struct gwalk w;
	memset(ram, 0, RAM_SIZE);
	/* A table beyond RAM ... */
	*ent(PML4, VA, 4) = (RAM_SIZE + 0x1000) | PTE_P;
	assert_int_equal(walk(VA, EMU_READ, 0, true, &w), SHADOW_WALK_BAD_GPA);
	/* ... and a page beyond RAM. */
	map4k(VA, RAM_SIZE + 0x5000, PTE_P, PTE_P);
	assert_int_equal(walk(VA, EMU_READ, 0, true, &w), SHADOW_WALK_BAD_GPA);
	assert_int_equal(w.gpa, RAM_SIZE + 0x5000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_4k_translation_sets_accessed),
		cmocka_unit_test(test_write_sets_dirty_only_in_leaf),
		cmocka_unit_test(test_no_ad_update_when_not_asked),
		cmocka_unit_test(test_2m_and_1g_pages),
		cmocka_unit_test(test_not_present_error_codes),
		cmocka_unit_test(test_user_needs_u_at_every_level),
		cmocka_unit_test(test_write_protection_and_cr0_wp),
		cmocka_unit_test(test_nx),
		cmocka_unit_test(test_reserved_bits),
		cmocka_unit_test(test_outside_ram),
	};
	return cmocka_run_group_tests_name("guest page-table walker", tests, setup, teardown);
}
