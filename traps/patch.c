/*
 * traps/patch.c: finding the silent-fail instructions of a guest code page
 * (scan-and-patch, the first of the two fixes of DESIGN.md section 5).
 *
 * A guest kernel runs in host ring 3, where PUSHF, POPF, SGDT, SMSW, LAR,
 * MOV from CS and the rest (emu_classify() in emu_classify.c has the list) do
 * not trap but quietly give the host's answer.  So before a guest kernel
 * code page first runs, the monitor scans it, and the kernel contexts run a
 * private copy of the page with an INT3 (CC) over the first byte of each
 * such instruction; guest RAM keeps the original bytes.  The INT3 traps,
 * and emu_step() at the instruction's address fetches and emulates the
 * original from guest RAM.  This file is the pure part of that: the scan
 * and the patch, on byte buffers, with no process and no VM.
 *
 * The scan is a recursive descent, as a disassembler does it, not a linear
 * sweep: x86 code cannot be decoded from an arbitrary byte (jump tables,
 * padding and literal data sit in .text), and a CC written over a byte that
 * was not an instruction's first would corrupt whatever the byte really
 * belongs to.  From each entry point it follows fall-throughs and direct
 * targets, and stops a path where the next address is unknown.  What it
 * cannot see is code reached only through indirect branches (function
 * pointers, jump tables, returns into another page); the caller must give
 * those addresses as entry points (or scan again when one is first met).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "traps.h"

/* The longest x86 instruction (SDM Vol. 2 2.3.11). */
#define X86_MAX_INSN 15
/* INT3, the one-byte breakpoint (SDM INT n/INTO/INT3/INT1: opcode CC). */
#define X86_INT3 0xcc

/* State of one scan: which offsets of 'code' are already decoded or
 * queued, and the offsets still to decode. */
struct scan {
	const u8 *code;          /* the bytes of [base_va, base_va + len) */
	size_t len;
	u64 base_va;
	u8 *seen;                /* bitmap: offset decoded or queued */
	size_t *work;            /* offsets queued, a stack (at most len) */
	size_t nwork;
};

static bool seen_test(const struct scan *s, size_t off)
{
	return s->seen[off / 8] & (1u << (off % 8));
}

static void seen_set(struct scan *s, size_t off)
{
	s->seen[off / 8] |= (u8)(1u << (off % 8));
}

/* Queue 'va' for decoding if it lies in the code range and was never seen.
 * Each offset is queued at most once, so the stack never holds more than
 * 'len' entries. */
static void scan_queue(struct scan *s, u64 va)
{
	u64 off = va - s->base_va;   /* wraps above len when va < base_va */

	if (off >= s->len || seen_test(s, (size_t)off))
		return;
	seen_set(s, (size_t)off);
	s->work[s->nwork++] = (size_t)off;
}

static int site_cmp(const void *a, const void *b)
{
	const struct patch_site *x = a, *y = b;

	return x->va < y->va ? -1 : x->va > y->va;
}

int patch_scan(const u8 *code, size_t len, u64 base_va, const u64 *entries, int nentries,
	       u64 page_va, struct patch_site *out, int max)
{
	struct scan s = { .code = code, .len = len, .base_va = base_va };
	int n = 0, i;

	if (len == 0)
		return 0;
	s.seen = calloc((len + 7) / 8, 1);
	s.work = malloc(len * sizeof(*s.work));
	if (!s.seen || !s.work) {
		free(s.seen);
		free(s.work);
		return -ENOMEM;
	}
	for (i = 0; i < nentries; i++)
		scan_queue(&s, entries[i]);

	while (s.nwork > 0) {
		size_t off = s.work[--s.nwork];

		/* One path: decode forward until it ends, joins code already
		 * seen, or leaves the range. */
		for (;;) {
			size_t avail = len - off < X86_MAX_INSN ? len - off : X86_MAX_INSN;
			u64 va = base_va + off;
			struct emu_insn_info ii;

			/* Undecodable, or cut off by the end of the range: the
			 * CPU would fault here (or we cannot tell), so stop. */
			if (emu_classify(code + off, (unsigned)avail, va, &ii) != 0)
				break;
			if (ii.silent_fail && va - page_va < PATCH_PAGE_SIZE) {
				if (n < max) {
					out[n].va = va;
					out[n].length = ii.length;
					memcpy(out[n].name, ii.name, sizeof(out[n].name));
				}
				n++;
			}
			if (ii.has_target)
				scan_queue(&s, ii.target);
			/* HLT goes on after the interrupt that wakes it
			 * (emu_step() leaves RIP past it), so its successor is
			 * code like any other. */
			if (ii.flow == EMU_FLOW_JUMP || ii.flow == EMU_FLOW_END)
				break;
			off += ii.length;
			if (off >= len || seen_test(&s, off))
				break;
			seen_set(&s, off);
		}
	}
	free(s.seen);
	free(s.work);
	if (n > 0 && max > 0)
		qsort(out, (size_t)(n < max ? n : max), sizeof(*out), site_cmp);
	return n > max ? -1 : n;
}

void patch_apply(u8 *copy, u64 page_va, const struct patch_site *s, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (s[i].va - page_va < PATCH_PAGE_SIZE)
			copy[s[i].va - page_va] = X86_INT3;
}

const struct patch_site *patch_lookup(const struct patch_site *s, int n, u64 va)
{
	int lo = 0, hi = n;   /* binary search over the sorted sites */

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (s[mid].va == va)
			return &s[mid];
		if (s[mid].va < va)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
