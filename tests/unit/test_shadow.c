/*
 * Shadow paging on real context processes: tracking of page-table pages,
 * the reverse map (write-protecting every alias of a page that becomes a
 * table), exact invalidation when an entry changes, untracking on write
 * flooding and on the guest's release, context recycling, and the checker, which compares the mirror
 * and the host's /proc/PID/maps against fresh walks of the guest tables.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "shadow.h"

#define RAM_SIZE (8u << 20)
#define PML4 0x1000
#define PDPT 0x2000
#define PD   0x3000
#define PT   0x4000
#define PT2  0x5000
#define VA_DATA  0x400000ull    /* PML4 0, PDPT 0, PD 2, PT 0 */
#define VA_RO    0x401000ull
#define VA_ALIAS 0x600000ull    /* PD 3: maps the PT page itself, writable */

struct fixture {
	int ram_fd;
	u8 *ram;
	struct stub stub;
	struct shadow sh;
	struct vcpu v;
};

static u64 *e(struct fixture *f, u64 table, u64 va, int level)
{
	return (u64 *)(f->ram + table + ((va >> (12 + 9 * (level - 1))) & 511) * 8);
}

/* The guest's tables: VA_DATA -> 0x10000 rw, VA_RO -> 0x11000 ro, and
 * VA_ALIAS -> the PT page (0x4000), rw, through a second PT. */
static void build_tables(struct fixture *f)
{
	memset(f->ram, 0, 0x20000);
	*e(f, PML4, VA_DATA, 4) = PDPT | PTE_P | PTE_W | PTE_U;
	*e(f, PDPT, VA_DATA, 3) = PD | PTE_P | PTE_W | PTE_U;
	*e(f, PD, VA_DATA, 2) = PT | PTE_P | PTE_W | PTE_U;
	*e(f, PT, VA_DATA, 1) = 0x10000 | PTE_P | PTE_W | PTE_U;
	*e(f, PT, VA_RO, 1) = 0x11000 | PTE_P | PTE_U;
	*e(f, PD, VA_ALIAS, 2) = PT2 | PTE_P | PTE_W;
	*e(f, PT2, VA_ALIAS, 1) = PT | PTE_P | PTE_W | PTE_D;
}

static int setup(void **state)
{
	static struct fixture f;
	char err[256];

	memset(&f, 0, sizeof(f));
	f.ram_fd = memfd_create("test-ram", MFD_CLOEXEC);
	if (f.ram_fd < 0 || ftruncate(f.ram_fd, RAM_SIZE) < 0)
		return -1;
	f.ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, f.ram_fd, 0);
	if (f.ram == MAP_FAILED || stub_init(&f.stub, f.ram_fd, err, sizeof(err)) < 0)
		return -1;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	stub_destroy(&f->stub);
	munmap(f->ram, RAM_SIZE);
	close(f->ram_fd);
	return 0;
}

/* Each test: fresh tables and a fresh shadow with 'nctx' contexts. */
static struct fixture *begin(void **state, int nctx)
{
	struct fixture *f = *state;
	build_tables(f);
	assert_int_equal(shadow_init(&f->sh, &f->stub, f->ram, RAM_SIZE, nctx, 0), 0);
	memset(&f->v, 0, sizeof(f->v));
	f->v.cr0 = X86_CR0_PG | X86_CR0_PE | X86_CR0_WP;
	f->v.cr3 = PML4;
	f->v.efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE;
	return f;
}

static void end(struct fixture *f)
{
	shadow_destroy(&f->sh);
}

/* A hidden fault at 'va' for access 'acc' in context c, as vm_mmu.c does it. */
static void fault(struct fixture *f, struct context *c, u64 va, enum emu_access acc)
{
	struct gwalk w;
	assert_int_equal(shadow_walk(f->ram, RAM_SIZE, f->v.cr0, c->cr3, f->v.efer, va, acc,
				     c->user ? 3 : 0, true, &w), 0);
	assert_int_equal(shadow_fill(&f->sh, c, va, &w, &f->v), 0);
}

static void check_ok(struct fixture *f)
{
	char diff[512] = "";
	int r = shadow_check(&f->sh, &f->v, diff, sizeof(diff));
	if (r)
		fail_msg("%s", diff);
}

/* The mirror's entry for va in c (0 if none). */
static u64 spte(struct context *c, u64 va)
{
	struct spt_node *n = c->spt;
	for (int level = 4; n && level > 1; level--)
		n = (struct spt_node *)(uintptr_t)n->e[(va >> (12 + 9 * (level - 1))) & 511];
	return n ? n->e[(va >> 12) & 511] : 0;
}

/* The monitor writes a guest entry, the way vm_write_ram does. */
static void guest_write(struct fixture *f, u64 gpa, u64 val)
{
	u8 old[8];
	memcpy(old, f->ram + gpa, 8);
	memcpy(f->ram + gpa, &val, 8);
	assert_int_equal(shadow_written(&f->sh, gpa, old, 8), 0);
}

static void test_fill_tracks_tables_and_maps_page(void **state)
{
	struct fixture *f = begin(state, 4);
	int err = 0;
	struct context *c = shadow_context(&f->sh, PML4, false, &err);
	assert_non_null(c);

	fault(f, c, VA_DATA, EMU_WRITE);
	assert_true(shadow_tracked(&f->sh, PML4));
	assert_true(shadow_tracked(&f->sh, PDPT));
	assert_true(shadow_tracked(&f->sh, PD));
	assert_true(shadow_tracked(&f->sh, PT));
	assert_false(shadow_tracked(&f->sh, 0x10000));
	assert_int_equal(spte(c, VA_DATA), 0x10000 | SPTE_VALID | SPTE_W | SPTE_X);
	/* A read of a clean page maps it read-only (the first write sets D). */
	fault(f, c, VA_RO, EMU_READ);
	assert_int_equal(spte(c, VA_RO), 0x11000 | SPTE_VALID | SPTE_X);
	assert_int_equal(f->sh.st.tracked_now, 4);
	check_ok(f);
	end(f);
}

static void test_alias_of_a_table_is_write_protected(void **state)
{
	struct fixture *f = begin(state, 4);
	int err = 0;
	struct context *c = shadow_context(&f->sh, PML4, false, &err);

	/* Map the PT page through its alias first, writable ... */
	fault(f, c, VA_ALIAS, EMU_WRITE);
	assert_true(spte(c, VA_ALIAS) & SPTE_W);
	/* ... then it becomes a page table: the alias turns read-only. */
	fault(f, c, VA_DATA, EMU_READ);
	assert_true(shadow_tracked(&f->sh, PT));
	assert_int_equal(spte(c, VA_ALIAS), PT | SPTE_VALID | SPTE_X);
	assert_int_equal(f->sh.st.wprotects, 1);
	check_ok(f);                    /* the host agrees: r-x */
	end(f);
}

static void test_changed_pte_drops_exactly_its_page(void **state)
{
	struct fixture *f = begin(state, 4);
	int err = 0;
	struct context *c = shadow_context(&f->sh, PML4, false, &err);

	fault(f, c, VA_DATA, EMU_WRITE);
	fault(f, c, VA_RO, EMU_READ);
	guest_write(f, PT + 0 * 8, 0x12000 | PTE_P | PTE_W | PTE_U);
	assert_int_equal(spte(c, VA_DATA), 0);                  /* dropped */
	assert_int_equal(spte(c, VA_RO), 0x11000 | SPTE_VALID | SPTE_X); /* kept */
	assert_int_equal(f->sh.st.pt_entries_changed, 1);
	check_ok(f);
	/* The next fault maps the new frame. */
	fault(f, c, VA_DATA, EMU_READ);
	assert_int_equal(spte(c, VA_DATA) & PTE_ADDR, 0x12000);
	check_ok(f);
	end(f);
}

static void test_changed_pde_drops_its_2m_range(void **state)
{
	struct fixture *f = begin(state, 4);
	int err = 0;
	struct context *c = shadow_context(&f->sh, PML4, false, &err);

	fault(f, c, VA_DATA, EMU_READ);
	fault(f, c, VA_RO, EMU_READ);
	fault(f, c, VA_ALIAS, EMU_READ);
	guest_write(f, PD + 2 * 8, 0);                          /* unmap 0x400000-0x5fffff */
	assert_int_equal(spte(c, VA_DATA), 0);
	assert_int_equal(spte(c, VA_RO), 0);
	assert_int_not_equal(spte(c, VA_ALIAS), 0);             /* other 2 MiB: kept */
	check_ok(f);
	end(f);
}

static void test_unchanged_write_drops_nothing(void **state)
{
	struct fixture *f = begin(state, 4);
	int err = 0;
	struct context *c = shadow_context(&f->sh, PML4, false, &err);

	fault(f, c, VA_DATA, EMU_READ);
	u64 same = *e(f, PT, VA_DATA, 1);
	guest_write(f, PT, same);
	assert_int_not_equal(spte(c, VA_DATA), 0);
	assert_int_equal(f->sh.st.pt_entries_changed, 0);
	end(f);
}

static void test_write_flooding_untracks(void **state)
{
	struct fixture *f = begin(state, 4);
	int err = 0;
	struct context *c = shadow_context(&f->sh, PML4, false, &err);

	fault(f, c, VA_DATA, EMU_READ);
	/* Writes to an unused entry of the PT, with no walk in between. */
	for (int i = 0; i < SHADOW_FLOOD_WRITES - 1; i++)
		guest_write(f, PT + 100 * 8, i);
	assert_true(shadow_tracked(&f->sh, PT));
	/* (Not a present entry: one present and accessed is mapped at once,
	 * and that walk through the table proves it is still one.) */
	guest_write(f, PT + 100 * 8, 98);
	assert_false(shadow_tracked(&f->sh, PT));
	assert_int_equal(f->sh.st.untracked_flood, 1);
	/* Everything translated through it is gone; the rest stays. */
	assert_int_equal(spte(c, VA_DATA), 0);
	assert_true(shadow_tracked(&f->sh, PD));
	check_ok(f);
	/* Used as a table again: tracked again. */
	fault(f, c, VA_DATA, EMU_READ);
	assert_true(shadow_tracked(&f->sh, PT));
	end(f);
}

static void test_released_table_is_untracked_and_writable_again(void **state)
{
	struct fixture *f = begin(state, 4);
	int err = 0;
	struct context *c = shadow_context(&f->sh, PML4, false, &err);

	fault(f, c, VA_ALIAS, EMU_WRITE);       /* the PT page through its alias */
	fault(f, c, VA_DATA, EMU_READ);         /* now a table: the alias read-only */
	assert_int_equal(spte(c, VA_ALIAS), PT | SPTE_VALID | SPTE_X);
	/* The guest releases it (HC_MMU_BATCH, PV_MMU_RELEASE): untracked,
	 * what it translated dropped, the alias writable again at once. */
	assert_int_equal(shadow_release(&f->sh, PT), 0);
	assert_false(shadow_tracked(&f->sh, PT));
	assert_int_equal(f->sh.st.released, 1);
	assert_int_equal(spte(c, VA_DATA), 0);
	assert_int_equal(spte(c, VA_ALIAS), PT | SPTE_VALID | SPTE_W | SPTE_X);
	assert_true(shadow_tracked(&f->sh, PD));
	check_ok(f);                            /* the host agrees: rwx */
	/* A page that is no table: nothing happens. */
	assert_int_equal(shadow_release(&f->sh, 0x10000), 0);
	assert_int_equal(f->sh.st.released, 1);
	/* Released while still in use: the next walk tracks it again, and
	 * its alias is read-only again. */
	fault(f, c, VA_DATA, EMU_READ);
	assert_true(shadow_tracked(&f->sh, PT));
	assert_int_equal(spte(c, VA_ALIAS), PT | SPTE_VALID | SPTE_X);
	check_ok(f);
	end(f);
}

static void test_user_context_and_kernel_context_both_drop(void **state)
{
	struct fixture *f = begin(state, 4);
	int err = 0;
	struct context *k = shadow_context(&f->sh, PML4, false, &err);
	struct context *u = shadow_context(&f->sh, PML4, true, &err);
	assert_ptr_not_equal(k, u);

	fault(f, k, VA_DATA, EMU_READ);
	fault(f, u, VA_DATA, EMU_READ);
	guest_write(f, PT, 0);                                  /* unmap VA_DATA */
	assert_int_equal(spte(k, VA_DATA), 0);
	assert_int_equal(spte(u, VA_DATA), 0);
	check_ok(f);
	end(f);
}

static void test_checker_finds_an_untracked_change(void **state)
{
	struct fixture *f = begin(state, 4);
	int err = 0;
	char diff[512];
	struct context *c = shadow_context(&f->sh, PML4, false, &err);

	fault(f, c, VA_DATA, EMU_READ);
	/* Behind the shadow's back (no shadow_written): the checker must see it. */
	*e(f, PT, VA_DATA, 1) = 0x13000 | PTE_P | PTE_W | PTE_U;
	assert_int_equal(shadow_check(&f->sh, &f->v, diff, sizeof(diff)), -1);
	assert_non_null(strstr(diff, "gva 0x400000"));
	assert_non_null(strstr(diff, "GPA 0x13000"));
	end(f);
}

static void test_pool_recycles_least_recently_used(void **state)
{
	struct fixture *f = begin(state, 2);
	int err = 0;
	struct context *a = shadow_context(&f->sh, PML4, false, &err);
	fault(f, a, VA_DATA, EMU_READ);
	f->sh.cur = a;
	struct context *b = shadow_context(&f->sh, 0x7000, false, &err);
	f->sh.cur = b;
	/* A third address space: the pool is full, 'a' is least recent. */
	struct context *c = shadow_context(&f->sh, 0x8000, false, &err);
	assert_ptr_equal(c, a);
	assert_int_equal(c->cr3, 0x8000);
	assert_int_equal(c->mapped, 0);
	assert_int_equal(f->sh.st.ctx_built, 2);
	assert_int_equal(f->sh.st.ctx_reused, 1);
	/* Its old uses are forgotten: changing the old tables touches nothing. */
	for (u32 t = 0; t < f->sh.ntracked; t++)
		assert_int_equal(f->sh.tp[f->sh.tracked[t]]->n, 0);
	check_ok(f);
	end(f);
}

/* Scan and patch (part vi): a kernel context executes the patched copy;
 * a change to the original code drops the copy and its mappings, so the
 * next execution rescans the page. */
static void test_patched_copy_follows_the_code(void **state)
{
	struct fixture *f = begin(state, 4);
	int err = 0;
	u8 copy[4096];

	assert_int_equal(shadow_patch_init(&f->sh), 0);
	struct context *c = shadow_context(&f->sh, PML4, false, &err);
	assert_non_null(c);
	f->ram[0x10000 + 0x10] = 0x9c;                          /* pushf */
	struct patch_site *sites = calloc(1, sizeof(*sites));
	sites[0] = (struct patch_site){ .va = VA_DATA + 0x10, .length = 1 };
	memcpy(copy, f->ram + 0x10000, 4096);
	patch_apply(copy, VA_DATA, sites, 1);
	assert_int_equal(copy[0x10], 0xcc);
	assert_int_equal(shadow_add_copy(&f->sh, 0x10000, VA_DATA, copy, sites, 1), 0);

	fault(f, c, VA_DATA, EMU_FETCH);
	assert_true(spte(c, VA_DATA) & SPTE_PATCHED);
	assert_int_equal(f->ram[0x10010], 0x9c);                /* RAM keeps the original */
	assert_non_null(shadow_site(&f->sh, 0x10000, VA_DATA + 0x10));
	assert_null(shadow_site(&f->sh, 0x10000, VA_DATA + 0x11));
	check_ok(f);                                            /* the host maps the copy */

	guest_write(f, 0x10010, 0x9090909090909090ull);        /* the code changes */
	assert_false(shadow_has_copy(&f->sh, 0x10000));
	assert_int_equal(spte(c, VA_DATA), 0);
	assert_int_equal(f->sh.st.copies_dropped, 1);
	check_ok(f);
	end(f);
}

/* Watchpoints (part vii): a watched page is mapped read-only, those
 * mapped before and those mapped after; unwatched, the next fill maps it
 * writable again.  The count nests. */
static void test_watched_page_is_read_only(void **state)
{
	struct fixture *f = begin(state, 4);
	int err = 0;
	struct context *c = shadow_context(&f->sh, PML4, false, &err);

	assert_non_null(c);
	fault(f, c, VA_DATA, EMU_WRITE);
	assert_true(spte(c, VA_DATA) & SPTE_W);
	assert_int_equal(shadow_watch(&f->sh, 0x10000, 1), 0);
	assert_int_equal(shadow_watched(&f->sh, 0x10abc), 1);
	assert_int_equal(spte(c, VA_DATA), 0x10000 | SPTE_VALID | SPTE_X);
	check_ok(f);                                    /* the host maps it r-x too */
	fault(f, c, VA_DATA, EMU_WRITE);                /* a write fault maps it again: */
	assert_false(spte(c, VA_DATA) & SPTE_W);        /* still read-only */
	assert_int_equal(shadow_watch(&f->sh, 0x10000, 1), 0);
	assert_int_equal(shadow_watch(&f->sh, 0x10000, -1), 0);
	assert_int_equal(shadow_watched(&f->sh, 0x10000), 1);
	assert_int_equal(shadow_watch(&f->sh, 0x10000, -1), 0);
	assert_int_equal(shadow_watched(&f->sh, 0x10000), 0);
	fault(f, c, VA_DATA, EMU_WRITE);
	assert_true(spte(c, VA_DATA) & SPTE_W);
	/* Nothing outside RAM, no count below 0. */
	assert_int_equal(shadow_watch(&f->sh, RAM_SIZE, 1), -EINVAL);
	assert_int_equal(shadow_watch(&f->sh, 0x10000, -1), -EINVAL);
	assert_int_equal(shadow_spte(c, VA_DATA), spte(c, VA_DATA));
	check_ok(f);
	end(f);
}

/* A breakpoint's page: a copy with no patch sites, whose bytes the
 * debugger changes; RAM keeps the original. */
static void test_plain_copy_bytes(void **state)
{
	struct fixture *f = begin(state, 4);
	int err = 0;

	assert_null(shadow_copy_bytes(&f->sh, 0x10000));          /* patching off */
	assert_int_equal(shadow_patch_init(&f->sh), 0);
	struct context *c = shadow_context(&f->sh, PML4, false, &err);
	f->ram[0x10020] = 0x55;
	assert_int_equal(shadow_add_copy(&f->sh, 0x10000, VA_DATA, f->ram + 0x10000, NULL, 0), 0);
	u8 *copy = shadow_copy_bytes(&f->sh, 0x10000);
	assert_non_null(copy);
	assert_int_equal(copy[0x20], 0x55);
	copy[0x20] = 0xcc;
	assert_int_equal(f->ram[0x10020], 0x55);
	assert_null(shadow_site(&f->sh, 0x10000, VA_DATA + 0x20));
	fault(f, c, VA_DATA, EMU_FETCH);
	assert_true(spte(c, VA_DATA) & SPTE_PATCHED);
	check_ok(f);
	end(f);
}

/* Is 'va' mapped in the host process 'pid' (its /proc/PID/maps)? */
static bool host_maps(pid_t pid, u64 va)
{
	char path[64], line[512];
	unsigned long long lo, hi;
	bool found = false;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	FILE *fp = fopen(path, "r");
	assert_non_null(fp);
	while (!found && fgets(line, sizeof(line), fp))
		found = sscanf(line, "%llx-%llx", &lo, &hi) == 2 && va >= lo && va < hi;
	fclose(fp);
	return found;
}

/* A present entry the guest writes already accessed is mapped at once in
 * the contexts using the table (writable only if also dirty), so its first
 * use needs no hidden fault; one not accessed is left to that fault. */
static void test_written_accessed_entry_is_mapped_at_once(void **state)
{
	struct fixture *f = begin(state, 4);
	int err = 0;
	struct context *k = shadow_context(&f->sh, PML4, false, &err);
	struct context *u = shadow_context(&f->sh, PML4, true, &err);
	const u64 va2 = VA_DATA + 2 * 4096, va3 = VA_DATA + 3 * 4096;

	fault(f, k, VA_DATA, EMU_READ);
	fault(f, u, VA_RO, EMU_READ);           /* both use the PT now */
	guest_write(f, PT + 2 * 8, 0x12000 | PTE_P | PTE_W | PTE_U);
	assert_int_equal(spte(k, va2), 0);
	assert_int_equal(f->sh.st.premapped, 0);
	guest_write(f, PT + 2 * 8, 0x12000 | PTE_P | PTE_W | PTE_U | PTE_A);
	assert_int_equal(spte(k, va2), 0x12000 | SPTE_VALID | SPTE_X);
	assert_int_equal(spte(u, va2), 0x12000 | SPTE_VALID | SPTE_X);
	guest_write(f, PT + 3 * 8, 0x13000 | PTE_P | PTE_W | PTE_U | PTE_A | PTE_D | PTE_NX);
	assert_int_equal(spte(u, va3), 0x13000 | SPTE_VALID | SPTE_W);
	assert_int_equal(f->sh.st.premapped, 4);
	assert_int_equal(f->sh.st.hidden_faults, 2);
	check_ok(f);
	end(f);
}

/* Mapping changes wait in their context's queue until that context is
 * flushed (just before it runs), and arrive in one batch. */
static void test_changes_wait_for_their_context(void **state)
{
	struct fixture *f = begin(state, 4);
	int err = 0;
	struct context *k = shadow_context(&f->sh, PML4, false, &err);
	struct context *u = shadow_context(&f->sh, PML4, true, &err);

	assert_int_equal(ctx_flush(&f->stub), 0);
	u64 batches = f->stub.batches;
	fault(f, k, VA_DATA, EMU_READ);
	fault(f, u, VA_DATA, EMU_READ);
	fault(f, k, VA_RO, EMU_READ);
	assert_int_equal(f->stub.batches, batches);    /* nothing ran yet */
	assert_int_equal(ctx_flush_for(&f->stub, k->pid), 0);
	assert_int_equal(f->stub.batches, batches + 1);
	assert_true(host_maps(k->pid, VA_DATA));
	assert_true(host_maps(k->pid, VA_RO));
	assert_false(host_maps(u->pid, VA_DATA));      /* still queued */
	assert_int_equal(ctx_flush_for(&f->stub, u->pid), 0);
	assert_true(host_maps(u->pid, VA_DATA));
	assert_int_equal(f->stub.batches, batches + 2);
	check_ok(f);
	end(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fill_tracks_tables_and_maps_page),
		cmocka_unit_test(test_alias_of_a_table_is_write_protected),
		cmocka_unit_test(test_changed_pte_drops_exactly_its_page),
		cmocka_unit_test(test_changed_pde_drops_its_2m_range),
		cmocka_unit_test(test_unchanged_write_drops_nothing),
		cmocka_unit_test(test_write_flooding_untracks),
		cmocka_unit_test(test_released_table_is_untracked_and_writable_again),
		cmocka_unit_test(test_user_context_and_kernel_context_both_drop),
		cmocka_unit_test(test_checker_finds_an_untracked_change),
		cmocka_unit_test(test_pool_recycles_least_recently_used),
		cmocka_unit_test(test_patched_copy_follows_the_code),
		cmocka_unit_test(test_watched_page_is_read_only),
		cmocka_unit_test(test_plain_copy_bytes),
		cmocka_unit_test(test_written_accessed_entry_is_mapped_at_once),
		cmocka_unit_test(test_changes_wait_for_their_context),
	};
	return cmocka_run_group_tests_name("shadow tracking", tests, setup, teardown);
}
