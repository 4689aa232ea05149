/*
 * tests/unit/test_patch.c: the scanner of scan-and-patch (traps/patch.c).
 *
 * Guest code is raw bytes placed in a fake stretch of guest virtual memory
 * of three pages from BASE, filled with INT3 (CC) so that a path that runs
 * off the code it was meant to follow ends at once.  The page under test is
 * PAGE, the middle one; scan() hands patch_scan() what the monitor will:
 * the page, the page before it and 15 bytes after.  Every test states the
 * exact sites it expects (address, length, name), in address order, and
 * nothing more: a missed site means a silent failure left in the guest, an
 * extra one means a CC written over bytes that are not an instruction's
 * first (data, or the middle of another instruction).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "traps.h"

#define PG       PATCH_PAGE_SIZE
#define BASE     0x00007f00000ff000ull   /* first byte of the fake memory */
#define PAGE     (BASE + PG)             /* the page scanned */
#define NEXT     (PAGE + PG)             /* the page after it */
#define MEMLEN   (3 * PG + 15)

struct guest {
	u8 mem[MEMLEN];          /* guest bytes of [BASE, BASE + MEMLEN) */
};

static struct guest *guest_new(void)
{
	struct guest *g = malloc(sizeof(*g));

	assert_non_null(g);
	memset(g->mem, 0xcc, sizeof(g->mem));
	return g;
}

static void put(struct guest *g, u64 va, const char *bytes, size_t n)
{
	assert_true(va >= BASE && va + n <= BASE + MEMLEN);
	memcpy(g->mem + (va - BASE), bytes, n);
}
#define PUT(g, va, s) put((g), (va), (s), sizeof(s) - 1)

/* Scan 'page' (PAGE or NEXT) as the monitor would: the page, the page
 * before it and 15 bytes after it. */
static int scan_page(struct guest *g, u64 page, const u64 *entries, int n,
		     struct patch_site *out, int max)
{
	u64 from = page - PG;

	return patch_scan(g->mem + (from - BASE), 2 * PG + 15, from, entries, n, page, out, max);
}

struct want {
	u64 va;
	unsigned length;
	const char *name;
};

/* The scan of PAGE from 'entries' finds exactly the sites in w[]. */
static void expect_sites(struct guest *g, const u64 *entries, int nentries,
			 const struct want *w, int nw)
{
	struct patch_site out[32];
	int n = scan_page(g, PAGE, entries, nentries, out, 32), i;

	if (n != nw) {
		for (i = 0; i < n && i < 32; i++)
			print_message("  site %#llx %u %s\n", (unsigned long long)out[i].va,
				      out[i].length, out[i].name);
		fail_msg("%d sites, expected %d", n, nw);
	}
	for (i = 0; i < n; i++) {
		if (out[i].va != w[i].va || out[i].length != w[i].length ||
		    strcmp(out[i].name, w[i].name) != 0)
			fail_msg("site %d: %#llx %u '%s', expected %#llx %u '%s'", i,
				 (unsigned long long)out[i].va, out[i].length, out[i].name,
				 (unsigned long long)w[i].va, w[i].length, w[i].name);
	}
}
#define NW(w) (int)(sizeof(w) / sizeof((w)[0]))

/* pushf; cli; popf; ret: two sites, CLI (which traps) is not one. */
static void test_straight_line(void **state)
{
	struct guest *g = guest_new();
	const u64 e[] = { PAGE + 0x10 };
	const struct want w[] = { { PAGE + 0x10, 1, "pushfq" }, { PAGE + 0x12, 1, "popfq" } };

	PUT(g, PAGE + 0x10, "\x9c\xfa\x9d\xc3");
	expect_sites(g, e, 1, w, NW(w));
	free(g);
}

/* A conditional branch: the fall-through path holds a POPF, the taken
 * path a 66 PUSHF, and both join at a CPUID, which is reported once. */
static void test_branch_both_paths(void **state)
{
	struct guest *g = guest_new();
	const u64 e[] = { PAGE + 0x100 };
	const struct want w[] = {
		{ PAGE + 0x102, 1, "popfq" },   /* only on the fall-through */
		{ PAGE + 0x105, 2, "pushf" },   /* only on the taken branch */
		{ PAGE + 0x107, 2, "cpuid" },   /* on both */
	};

	PUT(g, PAGE + 0x100, "\x74\x03"          /* jz 0x105 */
			     "\x9d"              /* popfq */
			     "\xeb\x02"          /* jmp 0x107 */
			     "\x66\x9c"          /* 0x105: pushf */
			     "\x0f\xa2"          /* 0x107: cpuid */
			     "\xc3");
	expect_sites(g, e, 1, w, NW(w));
	free(g);
}

/* After RET and after an unconditional JMP nothing is decoded, but the
 * JMP's target is. */
static void test_unreachable(void **state)
{
	struct guest *g = guest_new();
	const u64 e[] = { PAGE + 0x200, PAGE + 0x300 };
	const struct want w[] = { { PAGE + 0x303, 1, "pushfq" } };

	PUT(g, PAGE + 0x200, "\xc3\x9d\x9c");                 /* ret; popf; pushf */
	PUT(g, PAGE + 0x300, "\xeb\x01\x9d\x9c\xc3");         /* jmp over a popf to a pushf */
	expect_sites(g, e, 1, w + 0, 0);                      /* the ret alone: nothing */
	expect_sites(g, e, 2, w, NW(w));
	free(g);
}

/* A realistic function: a loop, a RIP-relative LEA of a table placed after
 * its RET, a call.  The table's bytes are PUSHF, POPF, CPUID if decoded (a
 * linear sweep such as objdump's does decode them), and so are two bytes of
 * a MOV immediate; recursive descent reports none of them. */
static void test_function_with_data(void **state)
{
	struct guest *g = guest_new();
	const u64 e[] = { PAGE + 0x400 };
	struct patch_site out[4];

	PUT(g, PAGE + 0x400,
	    "\x55\x48\x89\xe5\xb8\x9c\x9d\x00\x00\x48\x85\xd2\x74\x12\x31\xc0"
	    "\x0f\xb6\x0c\x06\x88\x0c\x07\x48\x83\xc0\x01\x48\x39\xc2\x75\xf0"
	    "\x48\x8d\x0d\x07\x00\x00\x00\xe8\x06\x00\x00\x00\x5d\xc3\x9c\x9d"
	    "\x0f\xa2\x48\x89\xf8\xc3");
	assert_int_equal(scan_page(g, PAGE, e, 1, out, 4), 0);
	free(g);
}

/* An SGDT that starts 3 bytes before the end of PAGE is PAGE's site (the
 * page of its first byte) and is not NEXT's, although NEXT's scan decodes
 * it on its way from an entry in PAGE to a PUSHF in NEXT. */
static void test_site_crossing_page_end(void **state)
{
	struct guest *g = guest_new();
	const u64 e[] = { PAGE + 0xff0 };
	const struct want w[] = { { PAGE + 0xffd, 8, "sgdt" } };
	struct patch_site out[4];

	PUT(g, PAGE + 0xff0, "\x90\x90\x90\x90\x90\x90\x90\x90\x90\x90\x90\x90\x90"
			     "\x0f\x01\x04\x25\x00\x10\x00\x00"   /* sgdt [0x1000] */
			     "\x9c\xc3");                         /* NEXT + 5: pushfq; ret */
	expect_sites(g, e, 1, w, NW(w));
	assert_int_equal(scan_page(g, NEXT, e, 1, out, 4), 1);
	assert_int_equal(out[0].va, NEXT + 5);
	assert_string_equal(out[0].name, "pushfq");
	free(g);
}

/* A path from the page before: sites there are not this page's. */
static void test_entry_in_page_before(void **state)
{
	struct guest *g = guest_new();
	const u64 e[] = { PAGE - 4 };
	const struct want w[] = { { PAGE + 1, 1, "popfq" } };

	PUT(g, PAGE - 4, "\x9c\x90\x90\x90"   /* pushfq in the page before */
			 "\x90\x9d\xc3");     /* PAGE: nop; popfq; ret */
	expect_sites(g, e, 1, w, NW(w));
	free(g);
}

/* Loops end: a back edge to code already decoded stops the path. */
static void test_loops_terminate(void **state)
{
	struct guest *g = guest_new();
	const u64 e[] = { PAGE + 0x500, PAGE + 0x510, PAGE + 0x520, PAGE + 0x530 };
	const struct want w[] = {
		{ PAGE + 0x500, 1, "pushfq" }, { PAGE + 0x501, 1, "popfq" },
		{ PAGE + 0x520, 2, "cpuid" }, { PAGE + 0x533, 2, "push fs" },
	};

	PUT(g, PAGE + 0x500, "\x9c\x9d\xeb\xfc");             /* L: pushf; popf; jmp L */
	PUT(g, PAGE + 0x510, "\xeb\xfe");                     /* jmp $ */
	PUT(g, PAGE + 0x520, "\x0f\xa2\xff\xc9\x75\xfa\xc3"); /* L: cpuid; dec ecx; jnz L; ret */
	PUT(g, PAGE + 0x530, "\xe2\xfe\x90\x0f\xa0\xc3");     /* loop $; nop; push fs; ret */
	expect_sites(g, e, 4, w, NW(w));
	free(g);
}

/* An entry in the middle of the page: only what it reaches. */
static void test_entry_mid_page(void **state)
{
	struct guest *g = guest_new();
	const u64 e[] = { PAGE + 0x800 };
	const struct want w[] = { { PAGE + 0x800, 1, "pushfq" } };

	PUT(g, PAGE + 0x7f0, "\x9d\xc3");           /* not reached */
	PUT(g, PAGE + 0x800, "\x9c\xc3");
	expect_sites(g, e, 1, w, NW(w));
	free(g);
}

/* A direct call: its target and its return point; an indirect call: its
 * return point; an indirect jump ends the path. */
static void test_calls(void **state)
{
	struct guest *g = guest_new();
	const u64 e[] = { PAGE + 0x900 };
	const struct want w[] = {
		{ PAGE + 0x905, 3, "sldt" },    /* after the direct call */
		{ PAGE + 0x90a, 3, "str" },     /* after the indirect call */
		{ PAGE + 0x950, 3, "sidt" },    /* the direct call's target */
	};

	PUT(g, PAGE + 0x900, "\xe8\x4b\x00\x00\x00"   /* call 0x950 */
			     "\x0f\x00\xc0"           /* sldt eax */
			     "\xff\xd0"               /* call rax */
			     "\x0f\x00\xc8"           /* str eax */
			     "\xff\xe0"               /* jmp rax */
			     "\x0f\x01\xe0");         /* smsw eax: not reached */
	PUT(g, PAGE + 0x950, "\x0f\x01\x0f\xc3");     /* sidt [rdi]; ret */
	expect_sites(g, e, 1, w, NW(w));
	free(g);
}

/* INT3, UD2, IRETQ, SYSRET and undecodable bytes end a path; HLT does
 * not (emu_step() resumes after it). */
static void test_path_ends(void **state)
{
	struct guest *g = guest_new();
	const u64 e[] = { PAGE + 0xa00, PAGE + 0xa10, PAGE + 0xa20, PAGE + 0xa30,
			  PAGE + 0xa40, PAGE + 0xa50, PAGE + 0xa60 };
	const struct want w[] = { { PAGE + 0xa61, 1, "pushfq" } };

	PUT(g, PAGE + 0xa00, "\xcc\x9c");             /* int3 */
	PUT(g, PAGE + 0xa10, "\x0f\x0b\x9c");         /* ud2 */
	PUT(g, PAGE + 0xa20, "\x48\xcf\x9c");         /* iretq */
	PUT(g, PAGE + 0xa30, "\x48\x0f\x07\x9c");     /* sysretq */
	PUT(g, PAGE + 0xa40, "\x06\x9c");             /* push es: invalid in 64-bit mode */
	PUT(g, PAGE + 0xa50, "\xf0\x9c\x9d");         /* lock pushf: #UD */
	PUT(g, PAGE + 0xa60, "\xf4\x9c\xc3");         /* hlt; pushfq; ret */
	expect_sites(g, e, NW(e), w, NW(w));
	free(g);
}

/* No silent-fail instruction: no site, whatever the privileged ones. */
static void test_no_sites(void **state)
{
	struct guest *g = guest_new();
	const u64 e[] = { PAGE };
	struct patch_site out[4];

	PUT(g, PAGE, "\xfa"                   /* cli */
		     "\x0f\x22\xd8"           /* mov cr3, rax */
		     "\x0f\x01\x10"           /* lgdt [rax] */
		     "\x8e\xd8"               /* mov ds, ax */
		     "\x0f\xa1"               /* pop fs */
		     "\x0f\x01\xc1"           /* vmcall */
		     "\xe6\x80"               /* out 0x80, al */
		     "\x0f\x01\xf8"           /* swapgs */
		     "\xfb\xc3");             /* sti; ret */
	assert_int_equal(scan_page(g, PAGE, e, 1, out, 4), 0);
	free(g);
}

/* Every kind of silent-fail instruction, with its prefixes in the site. */
static void test_every_kind(void **state)
{
	struct guest *g = guest_new();
	const u64 e[] = { PAGE + 0xb00 };
	const struct want w[] = {
		{ PAGE + 0xb00, 1, "pushfq" },
		{ PAGE + 0xb01, 2, "popf" },
		{ PAGE + 0xb03, 4, "sgdt" },
		{ PAGE + 0xb07, 4, "sidt" },
		{ PAGE + 0xb0b, 4, "sldt" },
		{ PAGE + 0xb0f, 4, "str" },
		{ PAGE + 0xb13, 4, "smsw" },
		{ PAGE + 0xb17, 3, "lar" },
		{ PAGE + 0xb1a, 4, "lsl" },
		{ PAGE + 0xb1e, 3, "verr" },
		{ PAGE + 0xb21, 3, "verw" },
		{ PAGE + 0xb24, 2, "mov from cs" },
		{ PAGE + 0xb26, 2, "mov from ss" },
		{ PAGE + 0xb28, 3, "mov from ds" },
		{ PAGE + 0xb2b, 2, "push fs" },
		{ PAGE + 0xb2d, 3, "push gs" },
		{ PAGE + 0xb30, 2, "cpuid" },
	};

	PUT(g, PAGE + 0xb00, "\x9c"                   /* pushfq */
			     "\x66\x9d"               /* popf */
			     "\x0f\x01\x04\x24"       /* sgdt [rsp] */
			     "\x0f\x01\x4f\x08"       /* sidt [rdi+8] */
			     "\x48\x0f\x00\xc0"       /* sldt rax */
			     "\x66\x0f\x00\xc8"       /* str ax */
			     "\x48\x0f\x01\xe0"       /* smsw rax */
			     "\x0f\x02\xc1"           /* lar eax, ecx */
			     "\x48\x0f\x03\x07"       /* lsl rax, [rdi] */
			     "\x0f\x00\xe0"           /* verr ax */
			     "\x0f\x00\x2f"           /* verw [rdi] */
			     "\x8c\xc8"               /* mov eax, cs */
			     "\x8c\xd0"               /* mov eax, ss */
			     "\x48\x8c\x1f"           /* mov [rdi], ds */
			     "\x0f\xa0"               /* push fs */
			     "\x66\x0f\xa8"           /* push gs (16-bit) */
			     "\x0f\xa2"               /* cpuid */
			     "\x8e\xd8"               /* mov ds, ax: traps, not a site */
			     "\xc3");
	expect_sites(g, e, 1, w, NW(w));
	free(g);
}

/* Entry points and targets outside the code range are ignored, and an
 * instruction cut off by the end of the range ends its path. */
static void test_outside_range(void **state)
{
	struct guest *g = guest_new();
	const u64 e[] = { 0, BASE - 1, NEXT + 15, ~0ull, PAGE + 0xc00, NEXT + 12 };
	const struct want w[] = { { PAGE + 0xc06, 1, "pushfq" } };

	PUT(g, PAGE + 0xc00, "\x0f\x84\x00\x00\x00\x40"   /* jz +1 GiB: outside */
			     "\x9c"                      /* the fall-through: pushfq */
			     "\xe9\xf4\xef\xfe\xff");    /* jmp below BASE: outside */
	PUT(g, NEXT + 12, "\x0f\x01\x04");            /* sgdt cut off by the range's end */
	expect_sites(g, e, NW(e), w, NW(w));
	free(g);
}

/* More sites than room: -1, and the room is filled. */
static void test_overflow(void **state)
{
	struct guest *g = guest_new();
	const u64 e[] = { PAGE + 0xd00 };
	struct patch_site out[3];

	memset(out, 0, sizeof(out));
	PUT(g, PAGE + 0xd00, "\x9c\x9d\x9c\x9d\xc3");
	assert_int_equal(scan_page(g, PAGE, e, 1, out, 2), -1);
	assert_int_equal(out[0].va, PAGE + 0xd00);
	assert_int_equal(out[1].va, PAGE + 0xd01);
	assert_int_equal(out[2].va, 0);                      /* untouched */
	assert_int_equal(scan_page(g, PAGE, e, 1, out, 3), -1);
	assert_int_equal(scan_page(g, PAGE, e, 1, NULL, 0), -1);
	free(g);
}

/* patch_apply() writes CC over exactly the first byte of each site in the
 * page, nothing else, and never outside the copy. */
static void test_patch_apply(void **state)
{
	struct guest *g = guest_new();
	const u64 e[] = { PAGE + 0x10, PAGE + 0x100, PAGE + 0xff0 };
	struct patch_site out[8], other = { .va = NEXT + 5, .length = 1 };
	u8 *copy = malloc(PG + 64);
	int n, i;

	assert_non_null(copy);
	memset(g->mem, 0x90, sizeof(g->mem));        /* no CC anywhere to start with */
	PUT(g, PAGE + 0x10, "\x9c\xfa\x9d\xc3");
	PUT(g, PAGE + 0x100, "\x66\x9c\x0f\x01\xe0\xc3");
	PUT(g, PAGE + 0xffd, "\x0f\x01\x04\x25\x00\x10\x00\x00\xc3");
	n = scan_page(g, PAGE, e, NW(e), out, 8);
	assert_int_equal(n, 5);
	memcpy(copy, g->mem + (PAGE - BASE), PG);
	memset(copy + PG, 0x5a, 64);                  /* a guard after the copy */
	patch_apply(copy, PAGE, out, n);
	patch_apply(copy, PAGE, &other, 1);           /* another page's site: skipped */
	for (i = 0; i < PG; i++) {
		bool site = i == 0x10 || i == 0x12 || i == 0x100 || i == 0x102 || i == 0xffd;
		u8 want = site ? 0xcc : g->mem[PAGE - BASE + i];

		if (copy[i] != want)
			fail_msg("copy[%#x] = %#x, expected %#x", i, copy[i], want);
	}
	for (i = 0; i < 64; i++)
		assert_int_equal(copy[PG + i], 0x5a);
	free(copy);
	free(g);
}

/* patch_lookup() finds a site by its first byte only. */
static void test_lookup(void **state)
{
	struct guest *g = guest_new();
	const u64 e[] = { PAGE + 0xb00 };
	struct patch_site out[32];
	int n;

	PUT(g, PAGE + 0xb00, "\x9c\x66\x9d\x0f\x01\x04\x24\x0f\xa2\xc3");
	n = scan_page(g, PAGE, e, 1, out, 32);
	assert_int_equal(n, 4);
	assert_ptr_equal(patch_lookup(out, n, PAGE + 0xb00), &out[0]);
	assert_ptr_equal(patch_lookup(out, n, PAGE + 0xb01), &out[1]);
	assert_ptr_equal(patch_lookup(out, n, PAGE + 0xb03), &out[2]);
	assert_ptr_equal(patch_lookup(out, n, PAGE + 0xb07), &out[3]);
	assert_null(patch_lookup(out, n, PAGE + 0xb02));
	assert_null(patch_lookup(out, n, PAGE + 0xb08));
	assert_null(patch_lookup(out, n, PAGE));
	assert_null(patch_lookup(out, 0, PAGE + 0xb00));
	free(g);
}

/* Sites come out sorted even when a backward jump finds one later. */
static void test_sorted(void **state)
{
	struct guest *g = guest_new();
	const u64 e[] = { PAGE + 0xe10 };
	const struct want w[] = { { PAGE + 0xe00, 1, "popfq" }, { PAGE + 0xe10, 1, "pushfq" } };

	PUT(g, PAGE + 0xe00, "\x9d\xc3");
	PUT(g, PAGE + 0xe10, "\x9c\xeb\xed");   /* pushfq; jmp 0xe00 */
	expect_sites(g, e, 1, w, NW(w));
	free(g);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_straight_line),
		cmocka_unit_test(test_branch_both_paths),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_function_with_data),
		cmocka_unit_test(test_site_crossing_page_end),
		cmocka_unit_test(test_entry_in_page_before),
		cmocka_unit_test(test_loops_terminate),
		cmocka_unit_test(test_entry_mid_page),
		cmocka_unit_test(test_calls),
		cmocka_unit_test(test_path_ends),
		cmocka_unit_test(test_no_sites),
		cmocka_unit_test(test_every_kind),
		cmocka_unit_test(test_outside_range),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_patch_apply),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_sorted),
	};

	return cmocka_run_group_tests_name("patch_scan", tests, NULL, NULL);
}
