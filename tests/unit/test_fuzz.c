/*
 * tests/unit/test_fuzz.c: random bytes into the emulator (traps/emulate.c and its emu_*.c)
 * and the scanner of scan-and-patch (traps/patch.c).
 *
 * What is fuzzed:
 * - emu_step() on 15 random bytes at RIP, at CPL 0 and at CPL 3, half of
 *   them starting with a system or data opcode the emulator handles (list
 *   heads[]), some behind random prefixes; random registers (pointers into
 *   the fake memory, page edges, selectors, random 64-bit values), RFLAGS,
 *   IOPL, EFER.SCE, CR4.TSD, GDT limit, FS/GS bases, sometimes an IRETQ
 *   frame at RSP.  The fake guest is test_emulate.c's: linear address =
 *   offset into 64 KiB, one absent page (ABSENT) and one read-only page
 *   (RO) that raise #PF, nothing beyond MEM_SIZE.  Sometimes RIP sits just
 *   before the absent page (a fetch that must be cut short) or in it.
 *   emu_decode_access() runs on the same state first.
 * - emu_classify() on random bytes of random length at random addresses.
 * - patch_scan(), patch_apply(), patch_lookup() on random code (random
 *   bytes mixed with instruction templates, short branches) with random
 *   entry points, in the layouts the monitor uses.
 *
 * Invariants, each from a comment in traps.h or traps/ (check_step(),
 * vcpu_invalid(), classify_trial(), scan_trial()):
 * - emu_step(): the result is an enum emu_result; the fetch runs an
 *   instruction that fits in the bytes present and faults with CR2 at the
 *   first absent byte only when it needs more (fetch_decode()); what it
 *   decoded is the bytes at RIP and what emu_classify(), emu_disasm() and
 *   emu_decode_access() decode; UNHANDLEABLE changes no vCPU byte and has
 *   no effect (no write, port, INVLPG, CR write, hypercall); a hardware
 *   exception has a vector < 32, the architectural error-code bit, a #PF
 *   exactly as the fake refused an access, the vCPU unchanged (REP
 *   STOS/MOVS: only RCX, RSI, RDI move) and no effect; INT n/INT3 move RIP
 *   past it and nothing else; EMU_OK/EMU_HALT advance RIP by the length and
 *   keep the CPL (IRETQ, SYSRET: a canonical RIP), open an interrupt shadow
 *   only for STI with IF = 0 and MOV SS, and HALT only for HLT at CPL 0;
 *   the vCPU stays valid (CPL 0 or 3, CS.RPL = CPL, reserved bits of CR0,
 *   CR3, CR4, CR8, EFER, SFMASK and RFLAGS clear, long mode kept, bases
 *   canonical); at CPL 3 a Zydis-privileged instruction never completes
 *   (#GP(0), #UD or UNHANDLEABLE) and nothing changes system state (CRs,
 *   MSRs, descriptor tables, TR, LDTR, IOPL, IF with IOPL < 3); each
 *   callback is called within its contract.
 * - emu_classify(): a length within the buffer, a name, a flow with a
 *   target exactly for JUMP/BRANCH (and maybe CALL); silent_fail is the
 *   list of traps.h; the result depends only on the instruction's own
 *   bytes, and moving it moves only its target.
 * - patch_scan(): exactly the silent-fail instructions that a reference
 *   walk (ref_scan(), written from the contract in traps.h) reaches from
 *   the entries, in the page, sorted; -1 past 'max' with a sorted subset;
 *   patch_apply() writes CC on each site's first byte and nothing else;
 *   patch_lookup() finds each site and nothing else.
 *
 * Every trial has its own seed, derived from the run's seed and the trial
 * number, so one failing trial reruns alone.  A failure prints the seed,
 * the trial, the bytes and the registers, and how to rerun it:
 *   FUZZ_SEED=0x... FUZZ_ONLY=<trial> build/tests/test_fuzz
 * (FUZZ_ONLY=n runs trial n of each of the four tests.)  FUZZ_SCALE=<n>
 * multiplies every trial count, for a longer run with another FUZZ_SEED;
 * FUZZ_STATS=1 prints what the trials reached (results, vectors, every
 * mnemonic emulated), to see that the byte bias still finds the handlers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <Zydis/Zydis.h>

#include "traps.h"

#define DEFAULT_SEED 0x7261705f66757a7aull
#define STEP_TRIALS  100000u  /* per CPL */
#define CLASS_TRIALS 50000u
#define SCAN_PAGES   1200u

static u64 run_seed = DEFAULT_SEED;
static unsigned scale = 1;
static long only = -1;        /* FUZZ_ONLY: run this trial number alone */
static bool stats;            /* FUZZ_STATS: print what the trials reached */

/* What the trials reached, to see that the bias works (FUZZ_STATS=1). */
static struct {
	unsigned rc[2][4];        /* [CPL 0/3][enum emu_result] */
	unsigned vec[32];         /* hardware exceptions by vector */
	unsigned soft, cut, priv3;
	unsigned ok_by_mnem[ZYDIS_MNEMONIC_MAX_VALUE + 1];
	unsigned sites, scans_with_sites, decoded_offsets;
} st;

/* ---- Random numbers: xorshift64*, one stream per trial ---- */

static u64 rnd(u64 *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

/* A trial's own seed: splitmix64 of the run's seed and its number, never 0
 * (xorshift would stay at 0). */
static u64 trial_seed(u64 stream, u64 n)
{
	u64 z = run_seed + stream * 0x632be59bd9b4e019ull + (n + 1) * 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return z ? z : 1;
}

static unsigned below(u64 *s, unsigned n)
{
	return (unsigned)(rnd(s) % n);
}

static bool one_in(u64 *s, unsigned n)
{
	return below(s, n) == 0;
}

/* ---- The fake guest (as test_emulate.c's, smaller) ---- */

#define MEM_SIZE 0x10000u
#define PG       0x1000u
#define GDT      0x1000ull    /* guest GDT */
#define CODE     0x4000ull    /* RIP's usual page */
#define ABSENT   0x5000ull    /* [ABSENT, ABSENT + PG): not present */
#define RO       0x6000ull    /* [RO, RO + PG): read-only */
#define STK      0x9000ull    /* usual RSP */
#define GDT_LIMIT 0x9f
#define BIG_GDT_LIMIT 0x10f
#define HOST_TSC 0x123456789abcdef0ull
#define MAX_REFUSED 8
#define MAX_DIRTY 8

/* The GDT: test_emulate.c's descriptors, one of each kind the segment
 * loads, IRETQ, LTR and LAR/LSL/VERR/VERW tell apart. */
static const struct { u16 sel; u64 lo, hi; } gdt_image[] = {
	{ 0x08, 0x00af9b000000ffffull, 0 },   /* kernel code, 64-bit, DPL 0 */
	{ 0x10, 0x00cf93000000ffffull, 0 },   /* kernel data, DPL 0 */
	{ 0x18, 0x00cf13000000ffffull, 0 },   /* writable data, not present */
	{ 0x20, 0x00cf9b000000ffffull, 0 },   /* 32-bit code, DPL 0 */
	{ 0x28, 0x12cf93345678ffffull, 0 },   /* data, base 0x12345678 */
	{ 0x30, 0x00cf91000000ffffull, 0 },   /* read-only data */
	{ 0x38, 0x00af99000000ffffull, 0 },   /* execute-only 64-bit code */
	{ 0x40, 0x890089abc0000067ull, 0x1234 }, /* 64-bit TSS, available */
	{ 0x50, 0x89008babc0000067ull, 0x1234 }, /* 64-bit TSS, busy */
	{ 0x60, 0x890009abc0000067ull, 0x1234 }, /* 64-bit TSS, not present */
	{ 0x70, 0x00af1b000000ffffull, 0 },   /* 64-bit code, not present */
	{ 0x80, 0x00cffb000000ffffull, 0 },   /* user 32-bit code, DPL 3 */
	{ 0x88, 0x00cff3000000ffffull, 0 },   /* user data, DPL 3 */
	{ 0x90, 0x00affb000000ffffull, 0 },   /* user code, 64-bit, DPL 3 */
	{ 0xa0, 0x00af9e000000ffffull, 0 },   /* conforming code, DPL 0 (BIG_GDT_LIMIT) */
	{ 0xa8, 0x0051930000002345ull, 0 },   /* data, byte-granular limit */
	{ 0xb0, 0x1234ec0000085678ull, 0 },   /* 64-bit call gate, DPL 3 */
	{ 0xc0, 0x0000ee0000080000ull, 0 },   /* 64-bit interrupt gate, DPL 3 */
	{ 0xd0, 0x0000820000000fffull, 0 },   /* LDT */
	{ 0xe0, 0x0000810000000067ull, 0 },   /* system type 1 */
	{ 0xe8, 0x00cf73000000ffffull, 0 },   /* writable data, DPL 3, not present */
	{ 0xf0, 0x00aff8000000ffffull, 0 },   /* execute-only code, DPL 3 */
	{ 0xf8, 0x00cff1000000ffffull, 0 },   /* read-only data, DPL 3 */
	{ 0x100, 0x00af9c000000ffffull, 0 },  /* conforming execute-only code, DPL 0 */
	{ 0x108, 0x00cfd3000000ffffull, 0 },  /* writable data, DPL 2 */
};
#define NGDT (sizeof(gdt_image) / sizeof(gdt_image[0]))

struct refusal {
	u64 la;
	u32 errcode;
};

struct range {
	u64 lo, len;
};

struct fake {
	u8 mem[MEM_SIZE];         /* guest memory, linear address = offset */
	u8 pristine[MEM_SIZE];    /* what every trial starts from */
	struct range dirty[MAX_DIRTY]; /* ranges to restore */
	unsigned ndirty;
	bool all_dirty;           /* too many ranges: restore everything */
	struct refusal refused[MAX_REFUSED]; /* #PFs the fake raised */
	unsigned nrefused;
	unsigned nwrite;          /* successful EMU_WRITE writes */
	unsigned nwrite_sys;      /* successful EMU_WRITE_SYS writes */
	unsigned npio_in, npio_out, ninvlpg, ncrw, nhc;
	const char *bad;          /* a callback saw its contract broken */
};

static struct fake *fake_of(struct emu_ctxt *c)
{
	return c->opaque;
}

static void mark_dirty(struct fake *f, u64 lo, u64 len)
{
	struct range *d = &f->dirty[f->ndirty ? f->ndirty - 1 : 0];

	if (f->ndirty && lo >= d->lo && lo <= d->lo + d->len) {   /* extends the last */
		if (lo + len > d->lo + d->len)
			d->len = lo + len - d->lo;
		return;
	}
	if (f->ndirty == MAX_DIRTY) {
		f->all_dirty = true;
		return;
	}
	f->dirty[f->ndirty].lo = lo;
	f->dirty[f->ndirty++].len = len;
}

/* Put memory back as it was before the trial, and forget its traffic. */
static void fake_reset(struct fake *f)
{
	unsigned i;

	if (f->all_dirty)
		memcpy(f->mem, f->pristine, MEM_SIZE);
	else
		for (i = 0; i < f->ndirty; i++)
			memcpy(f->mem + f->dirty[i].lo, f->pristine + f->dirty[i].lo,
			       f->dirty[i].len);
	f->ndirty = 0;
	f->all_dirty = false;
	f->nrefused = 0;
	f->nwrite = f->nwrite_sys = 0;
	f->npio_in = f->npio_out = f->ninvlpg = f->ncrw = f->nhc = 0;
	f->bad = NULL;
}

/* Whether the fake refuses [la, la + len) for a read or a write, and if so
 * *at, its first refused byte.  Nothing wraps: an access starting beyond
 * memory (la = 2^64 - 1 included) is refused at la. */
static bool refuses(u64 la, unsigned len, bool write, u64 *at)
{
	u64 end = la + len;

	*at = la;
	if (la >= MEM_SIZE)
		return true;
	if (la < ABSENT + PG && end > ABSENT) {
		*at = la > ABSENT ? la : ABSENT;
		return true;
	}
	if (write && la < RO + PG && end > RO) {
		*at = la > RO ? la : RO;
		return true;
	}
	*at = MEM_SIZE;
	return end > MEM_SIZE;
}

/* #PF as the CPU reports it (test_emulate.c's rules), recorded so that the
 * exception the emulator returns can be matched against it. */
static int mem_check(struct emu_ctxt *c, u64 la, unsigned len, enum emu_access acc)
{
	struct fake *f = fake_of(c);
	bool write = acc == EMU_WRITE || acc == EMU_WRITE_SYS;
	u64 a;

	if (len == 0) {
		f->bad = "memory access of length 0";
		return 0;
	}
	if (!refuses(la, len, write, &a))
		return 0;
	memset(&c->exc, 0, sizeof(c->exc));
	c->exc.vector = X86_EXC_PF;
	c->exc.has_errcode = true;
	c->exc.cr2 = a;
	if (write && a >= RO && a < RO + PG)
		c->exc.errcode |= PFEC_P;
	if (write)
		c->exc.errcode |= PFEC_W;
	if (c->vcpu->cpl == 3 && acc != EMU_READ_SYS && acc != EMU_WRITE_SYS)
		c->exc.errcode |= PFEC_U;
	if (acc == EMU_FETCH)
		c->exc.errcode |= PFEC_I;
	if (f->nrefused < MAX_REFUSED)
		f->refused[f->nrefused++] = (struct refusal){ a, c->exc.errcode };
	return -1;
}

static int fake_read(struct emu_ctxt *c, u64 la, void *buf, unsigned len, enum emu_access acc)
{
	if (acc > EMU_WRITE_SYS)
		fake_of(c)->bad = "read with an unknown access kind";
	if (mem_check(c, la, len, acc))
		return -1;
	memcpy(buf, fake_of(c)->mem + la, len);
	return 0;
}

static int fake_write(struct emu_ctxt *c, u64 la, const void *buf, unsigned len,
		      enum emu_access acc)
{
	struct fake *f = fake_of(c);

	/* traps.h: acc is EMU_WRITE or EMU_WRITE_SYS. */
	if (acc != EMU_WRITE && acc != EMU_WRITE_SYS)
		f->bad = "write with an access kind other than EMU_WRITE(_SYS)";
	if (mem_check(c, la, len, acc == EMU_WRITE_SYS ? EMU_WRITE_SYS : EMU_WRITE))
		return -1;
	memcpy(f->mem + la, buf, len);
	mark_dirty(f, la, len);
	if (acc == EMU_WRITE_SYS)
		f->nwrite_sys++;
	else
		f->nwrite++;
	return 0;
}

static int fake_pio_in(struct emu_ctxt *c, u16 port, unsigned size, u32 *val)
{
	struct fake *f = fake_of(c);

	if (size != 1 && size != 2 && size != 4)
		f->bad = "pio_in size not 1, 2 or 4";
	f->npio_in++;
	*val = 0x9abcdef0u ^ port;
	return 0;
}

static int fake_pio_out(struct emu_ctxt *c, u16 port, unsigned size, u32 val)
{
	struct fake *f = fake_of(c);

	if (size != 1 && size != 2 && size != 4)
		f->bad = "pio_out size not 1, 2 or 4";
	f->npio_out++;
	return 0;
}

static void fake_invlpg(struct emu_ctxt *c, u64 la)
{
	/* em_invlpg: a non-canonical address is a NOP, never passed on. */
	if (!X86_CANONICAL(la))
		fake_of(c)->bad = "invlpg of a non-canonical address";
	fake_of(c)->ninvlpg++;
}

static void fake_cr_written(struct emu_ctxt *c, int n, u64 old)
{
	if (n != 0 && n != 2 && n != 3 && n != 4 && n != 8)
		fake_of(c)->bad = "cr_written for a CR that does not exist";
	fake_of(c)->ncrw++;
}

static u64 fake_host_tsc(struct emu_ctxt *c)
{
	return HOST_TSC;
}

static void fake_cpuid(struct emu_ctxt *c, u32 leaf, u32 subleaf, u32 out[4])
{
	out[0] = leaf ^ 0xa5a5a5a5;
	out[1] = subleaf + 0x100;
	out[2] = leaf + subleaf;
	out[3] = 0xfeedf00d;
}

static int fake_hypercall(struct emu_ctxt *c, u64 nr, const u64 args[5], u64 *ret)
{
	fake_of(c)->nhc++;
	*ret = nr ^ 0x1000;
	return 0;
}

static const struct emu_ops fake_ops = {
	.read = fake_read, .write = fake_write,
	.pio_in = fake_pio_in, .pio_out = fake_pio_out,
	.invlpg = fake_invlpg, .cr_written = fake_cr_written,
	.host_tsc = fake_host_tsc, .cpuid = fake_cpuid,
	.hypercall = fake_hypercall,
};

/* The one fake, static: a failing check longjmps out of the test, and the
 * next test starts it afresh. */
static struct fake the_fake;

/* Random memory (so that operands, stacks and IRET frames hold anything)
 * with the GDT image at GDT. */
static struct fake *fake_new(void)
{
	struct fake *f = &the_fake;
	u64 s = trial_seed(0xfa4e, 0);
	unsigned i;

	memset(f, 0, sizeof(*f));
	/* Words a descriptor-table load, an IRET or a selector load can use:
	 * random, pointers into the fake, selectors, small numbers. */
	for (i = 0; i < MEM_SIZE; i += 8) {
		unsigned k = below(&s, 20);
		u64 r = k < 8 ? rnd(&s) : k < 14 ? below(&s, MEM_SIZE) :
			k < 17 ? gdt_image[below(&s, NGDT)].sel | below(&s, 4) : below(&s, 32);

		memcpy(f->pristine + i, &r, 8);
	}
	for (i = 0; i < NGDT; i++) {
		memcpy(f->pristine + GDT + gdt_image[i].sel, &gdt_image[i].lo, 8);
		if (gdt_image[i].hi)
			memcpy(f->pristine + GDT + gdt_image[i].sel + 8, &gdt_image[i].hi, 8);
	}
	memset(f->pristine + GDT, 0, 8);   /* the null descriptor */
	memcpy(f->mem, f->pristine, MEM_SIZE);
	return f;
}

/* Put test data (code, an IRET frame) into memory for this trial only. */
static void fake_put(struct fake *f, u64 la, const void *p, unsigned len)
{
	unsigned i;

	for (i = 0; i < len && la + i < MEM_SIZE; i++)
		f->mem[la + i] = ((const u8 *)p)[i];
	if (la < MEM_SIZE)
		mark_dirty(f, la, i);
}

/* ---- One emu_step() trial ---- */

struct trial {
	u64 seed;                 /* this trial's seed (FUZZ_ONLY reruns it) */
	unsigned n;               /* trial number */
	u8 bytes[15];             /* the bytes at RIP */
	unsigned nbytes;          /* how many are in memory (a cut fetch: fewer) */
	struct vcpu before;       /* the vCPU before (memcpy: padding too) */
	struct vcpu after;
	enum emu_result rc;
	const struct fake *f;     /* memory as the instruction left it */
	int da_rc;                /* emu_decode_access() */
	bool da_writes;
	struct emu_ctxt *c;
};

/* Prefixes and opcode heads: the system opcodes and the data instructions
 * the shadow pager sends (traps.h, emu_step()), followed by random bytes. */
static const u8 prefixes[] = {
	0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x2e, 0x36, 0x3e, 0x26, 0x64, 0x65,
	0x40, 0x41, 0x44, 0x48, 0x49, 0x4c, 0x4f,
};

static const struct { u8 n, b[4]; } heads[] = {
	{ 2, { 0x0f, 0x00 } }, { 2, { 0x0f, 0x01 } }, { 3, { 0x0f, 0x01, 0xc1 } },
	{ 3, { 0x0f, 0x01, 0xd9 } }, { 3, { 0x0f, 0x01, 0xf8 } }, { 3, { 0x0f, 0x01, 0xf9 } },
	{ 2, { 0x0f, 0x20 } }, { 2, { 0x0f, 0x21 } }, { 2, { 0x0f, 0x22 } }, { 2, { 0x0f, 0x23 } },
	{ 2, { 0x0f, 0x30 } }, { 2, { 0x0f, 0x31 } }, { 2, { 0x0f, 0x32 } }, { 2, { 0x0f, 0x33 } },
	{ 2, { 0x0f, 0x05 } }, { 2, { 0x0f, 0x07 } }, { 3, { 0x48, 0x0f, 0x07 } },
	{ 2, { 0x0f, 0x06 } }, { 2, { 0x0f, 0x08 } }, { 2, { 0x0f, 0x09 } }, { 2, { 0x0f, 0xa2 } },
	{ 1, { 0x9c } }, { 1, { 0x9d } }, { 2, { 0x66, 0x9c } }, { 2, { 0x66, 0x9d } },
	{ 1, { 0xcf } }, { 2, { 0x48, 0xcf } }, { 2, { 0x48, 0xcf } }, { 1, { 0xf4 } },
	{ 1, { 0xfa } }, { 1, { 0xfb } },
	{ 1, { 0xe4 } }, { 1, { 0xe5 } }, { 1, { 0xe6 } }, { 1, { 0xe7 } },
	{ 1, { 0xec } }, { 1, { 0xed } }, { 1, { 0xee } }, { 1, { 0xef } },
	{ 1, { 0x6c } }, { 1, { 0x6d } }, { 1, { 0x6e } }, { 1, { 0x6f } },
	{ 1, { 0xa4 } }, { 1, { 0xa5 } }, { 1, { 0xaa } }, { 1, { 0xab } },
	{ 1, { 0xa6 } }, { 1, { 0xa7 } }, { 1, { 0xa8 } }, { 1, { 0xa9 } },
	{ 2, { 0xf3, 0xa4 } }, { 2, { 0xf3, 0xa5 } }, { 3, { 0xf3, 0x48, 0xa5 } },
	{ 2, { 0xf3, 0xaa } }, { 2, { 0xf3, 0xab } }, { 3, { 0xf3, 0x48, 0xab } },
	{ 2, { 0xf2, 0xa4 } }, { 2, { 0xf2, 0xab } }, { 3, { 0x67, 0xf3, 0xa4 } },
	{ 3, { 0x67, 0xf3, 0xab } }, { 3, { 0xf3, 0x66, 0xa5 } }, { 3, { 0xf3, 0x64, 0xa4 } },
	{ 1, { 0x86 } }, { 1, { 0x87 } }, { 2, { 0x48, 0x87 } },
	{ 2, { 0x0f, 0xb0 } }, { 2, { 0x0f, 0xb1 } }, { 3, { 0xf0, 0x0f, 0xb1 } },
	{ 2, { 0x0f, 0xc7 } }, { 3, { 0x48, 0x0f, 0xc7 } }, { 3, { 0xf0, 0x0f, 0xc7 } },
	{ 1, { 0x80 } }, { 1, { 0x81 } }, { 1, { 0x82 } }, { 1, { 0x83 } },
	{ 2, { 0xf0, 0x81 } }, { 2, { 0xf0, 0x83 } }, { 2, { 0x48, 0x81 } },
	{ 1, { 0x88 } }, { 1, { 0x89 } }, { 1, { 0x8a } }, { 1, { 0x8b } }, { 2, { 0x48, 0x89 } },
	{ 1, { 0xc6 } }, { 1, { 0xc7 } }, { 2, { 0x48, 0xc7 } },
	{ 1, { 0x08 } }, { 1, { 0x09 } }, { 1, { 0x21 } }, { 1, { 0x31 } }, { 1, { 0x01 } },
	{ 1, { 0x29 } }, { 1, { 0xfe } }, { 1, { 0xff } }, { 2, { 0x0f, 0xc3 } },
	{ 1, { 0xa0 } }, { 1, { 0xa1 } }, { 1, { 0xa2 } }, { 1, { 0xa3 } },
	{ 2, { 0x0f, 0xab } }, { 2, { 0x0f, 0xb3 } }, { 2, { 0x0f, 0xbb } }, { 2, { 0x0f, 0xba } },
	{ 2, { 0x0f, 0xa3 } }, { 3, { 0xf0, 0x0f, 0xab } },
	{ 1, { 0x8e } }, { 1, { 0x8c } }, { 2, { 0x48, 0x8c } }, { 2, { 0x66, 0x8e } },
	{ 2, { 0x0f, 0xa0 } }, { 2, { 0x0f, 0xa1 } }, { 2, { 0x0f, 0xa8 } }, { 2, { 0x0f, 0xa9 } },
	{ 3, { 0x66, 0x0f, 0xa0 } }, { 3, { 0x66, 0x0f, 0xa9 } },
	{ 1, { 0xcc } }, { 1, { 0xcd } }, { 2, { 0x0f, 0x02 } }, { 2, { 0x0f, 0x03 } },
	{ 3, { 0x48, 0x0f, 0x02 } }, { 3, { 0x66, 0x0f, 0x03 } },
	/* Whole ModRM forms with RAX as the operand (often a selector). */
	{ 3, { 0x0f, 0x00, 0xd8 } }, { 3, { 0x0f, 0x00, 0x18 } }, { 3, { 0x0f, 0x00, 0xd0 } },
	{ 3, { 0x0f, 0x01, 0x10 } }, { 3, { 0x0f, 0x01, 0x18 } }, { 3, { 0x0f, 0x01, 0x30 } },
	{ 3, { 0x0f, 0x22, 0xc0 } }, { 3, { 0x0f, 0x22, 0xd8 } }, { 3, { 0x0f, 0x22, 0xe0 } },
	{ 4, { 0x44, 0x0f, 0x22, 0xc0 } }, { 3, { 0x0f, 0x20, 0xc0 } },
	{ 2, { 0x8e, 0xd8 } }, { 2, { 0x8e, 0xe0 } }, { 2, { 0x8e, 0xe8 } }, { 2, { 0x8e, 0xd0 } },
	{ 3, { 0x0f, 0x00, 0xe0 } }, { 3, { 0x0f, 0x00, 0xe8 } }, { 3, { 0x0f, 0x02, 0xc0 } },
};
#define NHEADS (sizeof(heads) / sizeof(heads[0]))

/* Bytes: 1/4 behind 1-3 random prefixes, then 1/2 a head, then random. */
static void gen_bytes(u64 *s, u8 *b)
{
	unsigned n = 0, i, k;

	for (i = 0; i < 15; i++)
		b[i] = (u8)rnd(s);
	if (one_in(s, 4))
		for (k = 1 + below(s, 3); k > 0; k--)
			b[n++] = prefixes[below(s, sizeof(prefixes))];
	if (below(s, 2)) {
		k = below(s, NHEADS);
		memcpy(b + n, heads[k].b, heads[k].n);
	}
}

/* A general register: a pointer into the fake, a page edge, a selector, a
 * small number, random bits, or a non-canonical edge. */
static u64 gen_reg(u64 *s)
{
	static const u64 edge[] = { GDT, ABSENT, RO, RO + PG, MEM_SIZE, CODE };
	unsigned k = below(s, 100);

	/* Aligned, or 2 below a word so that LGDT's base is a whole word. */
	if (k < 35)
		return (below(s, MEM_SIZE) & ~7u) + (below(s, 3) == 0 ? 6 : 0) +
		       (below(s, 3) == 0 ? below(s, 8) : 0);
	if (k < 45)
		return edge[below(s, sizeof(edge) / sizeof(edge[0]))] - below(s, 17);
	if (k < 55)
		return gdt_image[below(s, NGDT)].sel | below(s, 8);
	if (k < 62)
		return below(s, 256);
	if (k < 87)
		return rnd(s);
	if (k < 95)
		return (u32)rnd(s);
	return (below(s, 2) ? 0x0000800000000000ull : 0xffff800000000000ull) - 8 + below(s, 16);
}

/* A selector to load or to return to, with a random RPL. */
static u16 gen_sel(u64 *s)
{
	if (one_in(s, 8))
		return (u16)rnd(s);
	return (u16)(gdt_image[below(s, NGDT)].sel | below(s, 4));
}

/* The vCPU of a trial: long mode, CPL 'cpl', the rest random. */
static void gen_vcpu(u64 *s, struct vcpu *v, unsigned cpl)
{
	unsigned i;

	memset(v, 0, sizeof(*v));
	for (i = 0; i < 16; i++)
		v->gpr[i] = gen_reg(s);
	if (below(s, 4))
		v->gpr[R_RSP] = STK - 0x800 + below(s, 0x1000);
	if (one_in(s, 4))
		v->gpr[R_RAX] = gen_sel(s);
	if (one_in(s, 4)) {
		static const u32 msrs[] = { MSR_EFER, MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SFMASK,
					    MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE, MSR_TSC,
					    0xc0000103 /* TSC_AUX */, 0x1b /* APIC_BASE */ };

		v->gpr[R_RCX] = (rnd(s) & ~0xffffffffull) * one_in(s, 2) |
				msrs[below(s, sizeof(msrs) / sizeof(msrs[0]))];
	}
	v->rflags = X86_RFLAGS_FIXED | (rnd(s) & (X86_RFLAGS_CF | X86_RFLAGS_PF | X86_RFLAGS_AF |
		    X86_RFLAGS_ZF | X86_RFLAGS_SF | X86_RFLAGS_TF | X86_RFLAGS_IF | X86_RFLAGS_DF |
		    X86_RFLAGS_OF | X86_RFLAGS_IOPL | X86_RFLAGS_RF | X86_RFLAGS_AC | X86_RFLAGS_ID));
	if (one_in(s, 16))
		v->rflags |= X86_RFLAGS_NT;
	v->cpl = (u8)cpl;
	if (cpl == 0) {
		v->seg[SEG_CS] = 0x08;
		v->seg[SEG_SS] = v->seg[SEG_DS] = v->seg[SEG_ES] = 0x10;
	} else {
		v->seg[SEG_CS] = 0x93;
		v->seg[SEG_SS] = v->seg[SEG_DS] = v->seg[SEG_ES] = 0x8b;
	}
	if (one_in(s, 4))
		v->seg[SEG_DS] = gen_sel(s);
	if (one_in(s, 4))
		v->seg[SEG_FS] = gen_sel(s);
	v->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_PG;
	v->cr2 = 0x7f00dead0000ull;
	v->cr3 = 0x100000;
	v->cr4 = X86_CR4_PAE | (one_in(s, 4) ? 1ull << 2 /* TSD */ : 0);
	v->tpr = (u8)below(s, 16);
	v->efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE | (one_in(s, 8) ? 0 : X86_EFER_SCE);
	v->gdtr = (struct dtr){ GDT, below(s, 2) ? GDT_LIMIT : BIG_GDT_LIMIT };
	if (one_in(s, 16))
		v->gdtr.limit = (u16)below(s, 0x200);
	v->idtr = (struct dtr){ 0x2000, 0xfff };
	v->tr = 0x40;
	v->tr_base = 0x3000;
	v->tr_limit = 0x67;
	v->fs_base = below(s, 2) ? gen_reg(s) & 0x00007fffffffffffull : below(s, MEM_SIZE);
	v->gs_base = below(s, 2) ? gen_reg(s) & 0x00007fffffffffffull : below(s, MEM_SIZE);
	v->kernel_gs_base = 0x30000000;
	v->star = 0x0080000800000000ull;
	v->lstar = 0x4800;
	v->cstar = 0x4900;
	v->sfmask = 0x47700;
	v->tsc_offset = -12345;
	v->sti_shadow = one_in(s, 4);
	v->last_vector = -1;
}

/* An IRETQ frame at RSP: RIP, CS, RFLAGS, RSP, SS, with selectors from the
 * GDT so that some returns pass the checks. */
static void gen_iret_frame(u64 *s, struct fake *f, const struct vcpu *v)
{
	u64 fr[5];

	static const u16 code_sel[] = { 0x08, 0x20, 0x38, 0x70, 0x80, 0x90, 0xa0, 0xf0, 0x100 };

	u16 cs = code_sel[below(s, sizeof(code_sel) / sizeof(code_sel[0]))];
	unsigned rpl = below(s, 4), i;

	/* Half the time coherent: RPL = the descriptor's DPL, and an SS
	 * that suits it (null, or data of that DPL). */
	if (below(s, 2)) {
		for (i = 0; i < NGDT; i++)
			if (gdt_image[i].sel == cs)
				rpl = X86_DESC_DPL(gdt_image[i].lo);
		if (cs == 0xa0 || cs == 0x100)   /* conforming: any RPL >= DPL */
			rpl += below(s, 4 - rpl);
		fr[4] = below(s, 2) ? rpl : rpl == 3 ? 0x8b : rpl == 0 ? 0x10 : 0x108 | rpl;
	} else {
		fr[4] = one_in(s, 4) ? below(s, 4) : gen_sel(s);
	}
	fr[0] = below(s, 2) ? CODE + below(s, PG) : gen_reg(s);
	fr[1] = below(s, 8) ? (u16)(cs | rpl) : gen_sel(s);
	fr[2] = rnd(s);
	fr[3] = gen_reg(s);
	fake_put(f, v->gpr[R_RSP], fr, sizeof(fr));
}

static const char *rc_name(enum emu_result rc)
{
	switch (rc) {
	case EMU_OK: return "EMU_OK";
	case EMU_UNHANDLEABLE: return "EMU_UNHANDLEABLE";
	case EMU_EXCEPTION: return "EMU_EXCEPTION";
	case EMU_HALT: return "EMU_HALT";
	}
	return "(not an emu_result)";
}

/* Print everything needed to rerun and understand the trial, then fail. */
static void step_fail(const struct trial *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

static void step_fail(const struct trial *t, const char *fmt, ...)
{
	static const char *const gname[16] = {
		"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
		"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
	};
	const struct vcpu *v = &t->before;
	char why[256], dis[96] = "";
	va_list ap;
	unsigned i;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	emu_disasm(t->bytes, t->nbytes, v->rip, dis, sizeof(dis));
	print_error("emu_step fuzz: %s\n", why);
	print_error("  rerun: FUZZ_SEED=%#llx FUZZ_ONLY=%u build/tests/test_fuzz\n",
		    (unsigned long long)run_seed, t->n);
	print_error("  trial %u, seed %#llx, CPL %u, rip %#llx, bytes (%u in memory):",
		    t->n, (unsigned long long)t->seed, v->cpl, (unsigned long long)v->rip,
		    t->nbytes);
	for (i = 0; i < 15; i++)
		print_error(" %02x", t->bytes[i]);
	print_error("\n  decodes as '%s'; emulator: %s, name '%s', len %u, privileged %d\n",
		    dis, rc_name(t->rc), t->c->name, t->c->insn_len, t->c->privileged);
	print_error("  exc: vector %u has_errcode %d errcode %#x cr2 %#llx soft %d\n",
		    t->c->exc.vector, t->c->exc.has_errcode, t->c->exc.errcode,
		    (unsigned long long)t->c->exc.cr2, t->c->exc.soft);
	for (i = 0; i < 16; i++)
		print_error("  %-3s %016llx%s", gname[i], (unsigned long long)v->gpr[i],
			    i % 4 == 3 ? "\n" : "");
	print_error("  rflags %#llx efer %#llx cr4 %#llx gdtr.limit %#x fs_base %#llx "
		    "gs_base %#llx sti_shadow %d ds %#x fs %#x\n",
		    (unsigned long long)v->rflags, (unsigned long long)v->efer,
		    (unsigned long long)v->cr4, v->gdtr.limit,
		    (unsigned long long)v->fs_base, (unsigned long long)v->gs_base,
		    v->sti_shadow, v->seg[SEG_DS], v->seg[SEG_FS]);
	if (v->gpr[R_RSP] <= MEM_SIZE - 40) {
		u64 w[5];

		memcpy(w, t->f->mem + v->gpr[R_RSP], sizeof(w));
		print_error("  [rsp]: %#llx %#llx %#llx %#llx %#llx\n",
			    (unsigned long long)w[0], (unsigned long long)w[1],
			    (unsigned long long)w[2], (unsigned long long)w[3],
			    (unsigned long long)w[4]);
	}
	fail_msg("%s", why);
	abort();   /* fail_msg does not return; this tells the compiler */
}

#define CHECK(cond, ...) do { if (!(cond)) step_fail(t, __VA_ARGS__); } while (0)

/* 'a' equals 'b' but for the fields 'keep' copies from 'a' into a copy of
 * 'b' (memcpy, so padding bytes compare too). */
#define SAME_BUT(a, b, keep) ({ struct vcpu x_; memcpy(&x_, (b), sizeof(x_)); \
	keep; memcmp(&x_, (a), sizeof(x_)) == 0; })

static bool is_string_op(int m)
{
	return m == ZYDIS_MNEMONIC_STOSB || m == ZYDIS_MNEMONIC_STOSW ||
	       m == ZYDIS_MNEMONIC_STOSD || m == ZYDIS_MNEMONIC_STOSQ ||
	       m == ZYDIS_MNEMONIC_MOVSB || m == ZYDIS_MNEMONIC_MOVSW ||
	       m == ZYDIS_MNEMONIC_MOVSD || m == ZYDIS_MNEMONIC_MOVSQ ||
	       m == ZYDIS_MNEMONIC_INSB || m == ZYDIS_MNEMONIC_INSW ||
	       m == ZYDIS_MNEMONIC_INSD || m == ZYDIS_MNEMONIC_OUTSB ||
	       m == ZYDIS_MNEMONIC_OUTSW || m == ZYDIS_MNEMONIC_OUTSD;
}

/* The two emulated instructions that load RIP and CPL from elsewhere
 * (em_sysret, em_iretq: the only handlers that set in->next_rip). */
static bool loads_rip(int m)
{
	return m == ZYDIS_MNEMONIC_IRETQ || m == ZYDIS_MNEMONIC_SYSRET;
}

/* System state no instruction may change at CPL 3: control registers,
 * EFER and the other MSRs (FS/GS bases excepted: MOV FS/GS loads them),
 * descriptor-table registers, TR, LDTR, the TSC offset. */
static bool system_state_same(const struct vcpu *a, const struct vcpu *b)
{
	return a->cr0 == b->cr0 && a->cr2 == b->cr2 && a->cr3 == b->cr3 && a->cr4 == b->cr4 &&
	       a->tpr == b->tpr && a->efer == b->efer &&
	       a->gdtr.base == b->gdtr.base && a->gdtr.limit == b->gdtr.limit &&
	       a->idtr.base == b->idtr.base && a->idtr.limit == b->idtr.limit &&
	       a->tr == b->tr && a->tr_base == b->tr_base && a->tr_limit == b->tr_limit &&
	       a->ldtr == b->ldtr && a->kernel_gs_base == b->kernel_gs_base &&
	       a->star == b->star && a->lstar == b->lstar && a->cstar == b->cstar &&
	       a->sfmask == b->sfmask && a->tsc_offset == b->tsc_offset;
}

/* CR4 bits the vCPU offers (docs/ARCHITECTURE.md, emu_system.c X86_CR4_VALID):
 * TSD, DE, PSE, PAE, MCE, PGE, PCE, OSFXSR, OSXMMEXCPT, FSGSBASE, OSXSAVE. */
#define CR4_OFFERED ((1ull << 2) | (1ull << 3) | X86_CR4_PSE | X86_CR4_PAE | (1ull << 6) | \
		     X86_CR4_PGE | (1ull << 8) | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT | \
		     X86_CR4_FSGSBASE | X86_CR4_OSXSAVE)
/* RFLAGS bits that are reserved (3, 5, 15, 22-63), and VM (no virtual-8086
 * mode).  Not VIF/VIP: SYSRET loads them from R11 (SDM: R11 AND 3C7FD7H). */
#define RFLAGS_NEVER (~0x3fffffull | (1ull << 3) | (1ull << 5) | (1ull << 15) | \
		      X86_RFLAGS_VM)

/* Why the vCPU holds a state the emulator's own checks refuse, or NULL:
 * every load is checked (MOV CR, WRMSR, LGDT/LIDT, LTR, SYSRET, IRETQ), so
 * a valid state stays valid. */
static const char *vcpu_invalid(const struct vcpu *v)
{
	if ((v->cr0 >> 32) || !(v->cr0 & X86_CR0_ET) || !(v->cr0 & X86_CR0_PG) ||
	    !(v->cr0 & X86_CR0_PE))
		return "CR0: bits 63:32, or ET, PG, PE clear in long mode";
	if ((v->cr4 & ~CR4_OFFERED) || !(v->cr4 & X86_CR4_PAE))
		return "CR4: a bit not offered, or PAE clear in long mode";
	if (v->cr3 >> 52)
		return "CR3 bits 63:52";
	if (v->tpr > 15)
		return "CR8 above 15";
	if ((v->efer & ~(X86_EFER_SCE | X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE)) ||
	    !(v->efer & X86_EFER_LMA))
		return "EFER: a bit not writable, or LMA clear";
	if (v->sfmask >> 32)
		return "SFMASK bits 63:32";
	if (!X86_CANONICAL(v->fs_base) || !X86_CANONICAL(v->gs_base) ||
	    !X86_CANONICAL(v->kernel_gs_base) || !X86_CANONICAL(v->lstar) ||
	    !X86_CANONICAL(v->cstar))
		return "a non-canonical FS/GS/KERNEL_GS base, LSTAR or CSTAR";
	if (!X86_CANONICAL(v->gdtr.base) || !X86_CANONICAL(v->idtr.base) ||
	    !X86_CANONICAL(v->tr_base))
		return "a non-canonical GDTR, IDTR or TSS base";
	if (!(v->rflags & X86_RFLAGS_FIXED) || (v->rflags & RFLAGS_NEVER))
		return "RFLAGS: bit 1 clear, or a reserved bit or VM set";
	if ((v->seg[SEG_CS] & 3) != v->cpl)
		return "CS.RPL is not the CPL";
	if (v->cpl == 3 && (v->seg[SEG_SS] & ~3u) == 0)
		return "a null SS at CPL 3";
	return NULL;
}

static void check_step(struct trial *t, struct fake *f)
{
	const struct vcpu *b = &t->before, *a = &t->after;
	struct emu_ctxt *c = t->c;
	struct emu_exception *e = &c->exc;
	int m = c->mnemonic;
	const char *why;
	unsigned i;

	CHECK(t->rc == EMU_OK || t->rc == EMU_UNHANDLEABLE || t->rc == EMU_EXCEPTION ||
	      t->rc == EMU_HALT, "result %d is not an enum emu_result", (int)t->rc);
	CHECK(!f->bad, "callback contract: %s", f->bad);
	CHECK(c->insn_len <= 15, "insn_len %u > 15", c->insn_len);
	/* Rings 1 and 2 are not offered (IRETQ to RPL 1/2 is #GP): the
	 * fuzzer found IRETQ leaving CPL 1 or 2 before that rule. */
	CHECK(a->cpl == 0 || a->cpl == 3, "CPL %u after (struct vcpu: 0 or 3)", a->cpl);

	/* What was decoded is what is in memory, and what emu_classify(),
	 * emu_disasm() and emu_decode_access() decode from the same bytes. */
	CHECK((t->da_rc == 0) == (c->insn_len > 0),
	      "emu_decode_access() %d but emu_step() decoded %u bytes", t->da_rc, c->insn_len);
	if (c->insn_len > 0) {
		struct emu_insn_info ii;
		char dis[96];

		CHECK(c->insn_len <= t->nbytes, "decoded %u bytes, only %u in memory",
		      c->insn_len, t->nbytes);
		CHECK(memcmp(c->insn, t->bytes, c->insn_len) == 0, "c->insn is not the bytes at RIP");
		for (i = c->insn_len; i < 15; i++)
			CHECK(c->insn[i] == 0, "c->insn[%u] not cleared after the instruction", i);
		CHECK(m != ZYDIS_MNEMONIC_INVALID && c->name[0], "decoded without a mnemonic/name");
		CHECK(emu_classify(t->bytes, c->insn_len, b->rip, &ii) == 0 &&
		      ii.length == c->insn_len && strcmp(ii.name, c->name) == 0,
		      "emu_classify() disagrees with emu_step(): len %u name '%s'",
		      ii.length, ii.name);
		CHECK(emu_disasm(t->bytes, c->insn_len, b->rip, dis, sizeof(dis)) == c->insn_len,
		      "emu_disasm() length disagrees");
	} else {
		CHECK(t->rc == EMU_EXCEPTION || t->rc == EMU_UNHANDLEABLE,
		      "%s without a decoded instruction", rc_name(t->rc));
	}
	/*
	 * The fetch (fetch_decode()): from the bytes actually present, an
	 * instruction that fits runs even if the 15 bytes after RIP do not;
	 * one that needs more faults on the first absent byte ("so that CR2
	 * names the absent page exactly"); bad LOCK or register is #UD;
	 * anything else Zydis refuses is UNHANDLEABLE.
	 */
	{
		ZydisDecoder dec;
		ZydisDecodedInstruction zi;
		ZyanStatus zs = ZYDIS_STATUS_NO_MORE_DATA;
		u32 i_bit = PFEC_I | (b->cpl == 3 ? PFEC_U : 0);

		ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
		if (t->nbytes)
			zs = ZydisDecoderDecodeInstruction(&dec, NULL, t->bytes, t->nbytes, &zi);
		if (zs == ZYDIS_STATUS_NO_MORE_DATA)
			CHECK(t->rc == EMU_EXCEPTION && e->vector == X86_EXC_PF &&
			      e->cr2 == b->rip + t->nbytes && e->errcode == i_bit,
			      "needs bytes beyond the %u present: not #PF(%#x) at RIP + %u",
			      t->nbytes, i_bit, t->nbytes);
		else if (ZYAN_SUCCESS(zs))
			CHECK(c->insn_len == zi.length, "the %u-byte instruction was not decoded",
			      zi.length);
		else if (zs == ZYDIS_STATUS_ILLEGAL_LOCK || zs == ZYDIS_STATUS_BAD_REGISTER)
			CHECK(t->rc == EMU_EXCEPTION && e->vector == X86_EXC_UD && !c->insn_len,
			      "bad LOCK or register (Zydis %#x) is not #UD", zs);
		else
			CHECK(t->rc == EMU_UNHANDLEABLE && !c->insn_len,
			      "undecodable (Zydis %#x) is not UNHANDLEABLE", zs);
	}
	/* An instruction that wrote a memory operand is one decode_access()
	 * says writes (EMU_WRITE_SYS is LTR's implicit GDT write). */
	if (f->nwrite > 0)
		CHECK(t->da_writes, "wrote memory, but emu_decode_access() said it does not");

	why = vcpu_invalid(a);
	CHECK(!why, "invalid vCPU after '%s' (%s): %s", c->name, rc_name(t->rc), why);

	switch (t->rc) {
	case EMU_UNHANDLEABLE:
		/* traps.h: "not an instruction we emulate; no state changed". */
		CHECK(memcmp(a, b, sizeof(*a)) == 0, "UNHANDLEABLE changed the vCPU");
		CHECK(c->noncanonical_exc == -1 || c->noncanonical_exc == X86_EXC_GP ||
		      c->noncanonical_exc == X86_EXC_SS, "noncanonical_exc %d", c->noncanonical_exc);
		CHECK(f->nwrite + f->nwrite_sys + f->npio_in + f->npio_out + f->ninvlpg +
		      f->ncrw + f->nhc == 0, "UNHANDLEABLE after an effect (writes %u/%u pio "
		      "%u/%u invlpg %u crw %u hc %u)", f->nwrite, f->nwrite_sys, f->npio_in,
		      f->npio_out, f->ninvlpg, f->ncrw, f->nhc);
		break;
	case EMU_EXCEPTION:
		if (e->soft) {
			/* INT n / INT3: completed, RIP past it; nothing else
			 * but the interrupt shadow, which it ends. */
			CHECK(m == ZYDIS_MNEMONIC_INT || m == ZYDIS_MNEMONIC_INT3,
			      "soft exception from '%s'", c->name);
			CHECK(e->vector == (m == ZYDIS_MNEMONIC_INT3 ? X86_EXC_BP :
					    t->bytes[c->insn_len - 1]),
			      "INT vector %u is not its immediate", e->vector);
			CHECK(!e->has_errcode, "a software interrupt with an error code");
			CHECK(a->rip == b->rip + c->insn_len, "INT n: RIP not past it");
			CHECK(!a->sti_shadow, "the interrupt shadow outlived INT n");
			CHECK(SAME_BUT(a, b, (x_.rip = a->rip, x_.sti_shadow = a->sti_shadow)),
			      "INT n changed more than RIP");
			CHECK(f->nwrite + f->nwrite_sys + f->npio_out == 0, "INT n wrote");
			break;
		}
		CHECK(e->vector < 32, "hardware exception vector %u >= 32", e->vector);
		CHECK(e->has_errcode == x86_has_errcode(e->vector) &&
		      e->has_errcode == ((X86_ERRCODE_VECTORS >> e->vector) & 1),
		      "vector %u has_errcode %d: not the architectural set", e->vector,
		      e->has_errcode);
		if (e->vector == X86_EXC_PF) {
			bool found = false;

			for (i = 0; i < f->nrefused; i++)
				found |= f->refused[i].la == e->cr2 &&
					 f->refused[i].errcode == e->errcode;
			CHECK(found, "#PF cr2 %#llx errcode %#x: the fake refused no such access",
			      (unsigned long long)e->cr2, e->errcode);
		}
		if (is_string_op(m)) {
			/* traps.h: REP STOS/MOVS/INS/OUTS commit the iterations done. */
			CHECK(SAME_BUT(a, b, (x_.gpr[R_RCX] = a->gpr[R_RCX],
					      x_.gpr[R_RSI] = a->gpr[R_RSI],
					      x_.gpr[R_RDI] = a->gpr[R_RDI])),
			      "faulting string op changed more than RCX, RSI, RDI");
			break;
		}
		/* "vcpu unchanged", and no handler commits before its
		 * last check (emulate.c's header). */
		CHECK(memcmp(a, b, sizeof(*a)) == 0, "exception %u changed the vCPU", e->vector);
		CHECK(f->nwrite + f->nwrite_sys + f->npio_out + f->ninvlpg + f->ncrw + f->nhc == 0,
		      "exception %u after an effect (writes %u/%u pio_out %u invlpg %u crw %u "
		      "hc %u)", e->vector, f->nwrite, f->nwrite_sys, f->npio_out, f->ninvlpg,
		      f->ncrw, f->nhc);
		break;
	case EMU_OK:
	case EMU_HALT:
		CHECK((t->rc == EMU_HALT) == (m == ZYDIS_MNEMONIC_HLT),
		      "%s from '%s'", rc_name(t->rc), c->name);
		if (t->rc == EMU_HALT)
			CHECK(a->halted && b->cpl == 0, "HLT: halted %d at CPL %u", a->halted, b->cpl);
		else
			CHECK(!a->halted, "halted set by '%s'", c->name);
		if (is_string_op(m) && a->rip == b->rip) {
			/* A REP cut short (emulate_internal.h, REP_MAX_*): some done,
			 * RIP stays so that the next trap goes on with it. */
			CHECK(a->gpr[R_RCX] != b->gpr[R_RCX] && a->gpr[R_RCX] != 0,
			      "REP left at RIP with RCX %#llx (was %#llx)",
			      (unsigned long long)a->gpr[R_RCX], (unsigned long long)b->gpr[R_RCX]);
		} else if (!loads_rip(m)) {
			CHECK(a->rip == b->rip + c->insn_len, "RIP %#llx, not advanced by %u",
			      (unsigned long long)a->rip, c->insn_len);
			CHECK(a->cpl == b->cpl, "CPL %u -> %u", b->cpl, a->cpl);
		} else {
			CHECK(X86_CANONICAL(a->rip), "'%s' to a non-canonical RIP", c->name);
		}
		/* The shadow of a previous STI/MOV SS ends here; only STI
		 * with IF = 0 and MOV SS open one (POPF does not). */
		if (strcmp(c->name, "sti") == 0 && !(b->rflags & X86_RFLAGS_IF))
			CHECK(a->sti_shadow, "STI with IF = 0 opened no interrupt shadow");
		else if (strcmp(c->name, "mov to ss") != 0)
			CHECK(!a->sti_shadow, "interrupt shadow after '%s'", c->name);
		break;
	}

	if (b->cpl == 3) {
		CHECK(system_state_same(a, b), "system state changed at CPL 3 ('%s', %s)",
		      c->name, rc_name(t->rc));
		CHECK(a->cpl == 3, "CPL 3 -> %u", a->cpl);
		CHECK(((a->rflags ^ b->rflags) & X86_RFLAGS_IOPL) == 0, "IOPL changed at CPL 3");
		if ((b->rflags & X86_RFLAGS_IOPL) != X86_RFLAGS_IOPL)
			CHECK(((a->rflags ^ b->rflags) & X86_RFLAGS_IF) == 0,
			      "IF changed at CPL 3 with IOPL < 3");
		CHECK(!a->halted && f->ninvlpg == 0 && f->ncrw == 0 && f->nwrite_sys == 0 &&
		      f->nhc == 0, "CPL 3 halted, INVLPG, wrote a CR, the GDT or made a hypercall");
		/* Each privileged handler checks CPL 0 first (#GP(0)); SYSRET
		 * with EFER.SCE clear is #UD before that (SDM SYSRET). */
		if (c->privileged)
			CHECK(t->rc == EMU_UNHANDLEABLE ||
			      (t->rc == EMU_EXCEPTION && !e->soft &&
			       ((e->vector == X86_EXC_GP && e->errcode == 0) ||
				e->vector == X86_EXC_UD)),
			      "privileged '%s' at CPL 3: %s vector %u errcode %#x", c->name,
			      rc_name(t->rc), e->vector, e->errcode);
	}
}

/* One trial: state from the trial's seed, decode_access, step, check. */
static void step_trial(struct fake *f, unsigned cpl, unsigned n)
{
	struct vcpu v;
	struct emu_ctxt c = { .vcpu = &v, .ops = &fake_ops, .opaque = f };
	struct trial t = { .n = n, .c = &c, .f = f, .rc = (enum emu_result)-1 };
	u64 s = t.seed = trial_seed(cpl, n), at;
	unsigned k;

	gen_vcpu(&s, &v, cpl);
	gen_bytes(&s, t.bytes);
	k = below(&s, 64);
	if (k == 0) {
		/* RIP not present: the fetch itself faults. */
		v.rip = below(&s, 2) ? ABSENT + below(&s, PG) : MEM_SIZE - 8 + below(&s, 16);
	} else if (k < 9) {
		/* The 15 bytes run into the absent page: a cut fetch. */
		v.rip = ABSENT - 1 - below(&s, 14);
	} else {
		v.rip = CODE + below(&s, PG - 15);
	}
	t.nbytes = refuses(v.rip, 15, false, &at) ? (unsigned)(at - v.rip) : 15;
	/* The frame first: the code wins where RSP points at it.  Mostly
	 * under an IRET (CF after its prefixes). */
	if (memchr(t.bytes, 0xcf, 4) ? below(&s, 4) != 0 : one_in(&s, 8)) {
		if (v.gpr[R_RSP] >= MEM_SIZE && below(&s, 4))
			v.gpr[R_RSP] = STK - 0x800 + below(&s, 0x1000);
		if (v.gpr[R_RSP] < MEM_SIZE)
			gen_iret_frame(&s, f, &v);
	}
	if (t.nbytes)
		fake_put(f, v.rip, t.bytes, t.nbytes);
	memcpy(&t.before, &v, sizeof(v));

	t.da_rc = emu_decode_access(&c, &t.da_writes);
	memcpy(&t.after, &v, sizeof(v));
	if (memcmp(&t.after, &t.before, sizeof(v)) != 0 || f->nwrite + f->nwrite_sys)
		step_fail(&t, "emu_decode_access() changed the vCPU or memory");
	f->nrefused = 0;

	t.rc = emu_step(&c);
	memcpy(&t.after, &v, sizeof(v));
	check_step(&t, f);
	if ((unsigned)t.rc < 4)
		st.rc[cpl == 3][t.rc]++;
	if (t.rc == EMU_EXCEPTION && c.exc.soft)
		st.soft++;
	else if (t.rc == EMU_EXCEPTION)
		st.vec[c.exc.vector & 31]++;
	if (t.rc == EMU_OK || t.rc == EMU_HALT)
		st.ok_by_mnem[c.mnemonic]++;
	st.cut += t.nbytes < 15;
	st.priv3 += cpl == 3 && c.privileged;
	fake_reset(f);
}

static void step_run(unsigned cpl)
{
	struct fake *f = fake_new();
	unsigned n, trials = STEP_TRIALS * scale;

	if (only >= 0) {
		if ((unsigned long)only < trials)
			step_trial(f, cpl, (unsigned)only);
	} else {
		for (n = 0; n < trials; n++)
			step_trial(f, cpl, n);
	}
}

static void test_step_cpl0(void **state)
{
	step_run(0);
}

static void test_step_cpl3(void **state)
{
	step_run(3);
}

/* ---- emu_classify() ---- */

/* traps.h's list of silent-fail instructions, by emu_insn_info.name. */
static bool silent_fail_name(const char *name)
{
	static const char *const names[] = {
		"pushf", "pushfq", "popf", "popfq", "sgdt", "sidt", "sldt", "str", "smsw",
		"lar", "lsl", "verr", "verw", "cpuid", "push fs", "push gs",
	};
	unsigned i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	return strncmp(name, "mov from ", 9) == 0 &&   /* MOV r/m, Sreg */
	       (strcmp(name + 9, "es") == 0 || strcmp(name + 9, "cs") == 0 ||
		strcmp(name + 9, "ss") == 0 || strcmp(name + 9, "ds") == 0 ||
		strcmp(name + 9, "fs") == 0 || strcmp(name + 9, "gs") == 0);
}

static bool same_info(const struct emu_insn_info *a, const struct emu_insn_info *b)
{
	return a->length == b->length && strcmp(a->name, b->name) == 0 &&
	       a->silent_fail == b->silent_fail && a->flow == b->flow &&
	       a->has_target == b->has_target && a->target == b->target;
}

static void classify_fail(u64 seed, unsigned n, const u8 *b, unsigned len, u64 rip,
			  const char *why)
{
	unsigned i;

	print_error("emu_classify fuzz: %s\n  rerun: FUZZ_SEED=%#llx FUZZ_ONLY=%u "
		    "build/tests/test_fuzz\n  trial %u seed %#llx rip %#llx len %u bytes:",
		    why, (unsigned long long)run_seed, n, n, (unsigned long long)seed,
		    (unsigned long long)rip, len);
	for (i = 0; i < 15; i++)
		print_error(" %02x", b[i]);
	print_error("\n");
	fail_msg("%s", why);
}

/* Decoding depends on the first 'length' bytes only, and a move of the
 * instruction moves its direct target with it. */
static void classify_trial(unsigned n)
{
	static const u64 rips[] = { 0x1000, 0x7ffffffff000ull, 0xffffffff80000000ull,
				    0xfffffffffffffff0ull, 0 };
	u64 s = trial_seed(0xc1a5, n), seed = s, rip, delta;
	struct emu_insn_info full, part, moved;
	char dis[96];
	unsigned len;
	u8 b[15];
	int rc;

	gen_bytes(&s, b);
	len = 1 + below(&s, 15);
	rip = below(&s, 2) ? rnd(&s) : rips[below(&s, 5)] + below(&s, 0x100);
	delta = below(&s, 2) ? rnd(&s) : below(&s, 0x10000) - 0x8000;

	rc = emu_classify(b, 15, rip, &full);
	if (rc != 0 && rc != -1)
		classify_fail(seed, n, b, 15, rip, "emu_classify() returned neither 0 nor -1");
	if (rc == 0) {
		if (full.length < 1 || full.length > 15)
			classify_fail(seed, n, b, 15, rip, "length out of 1..15");
		if (!memchr(full.name, '\0', sizeof(full.name)) || !full.name[0])
			classify_fail(seed, n, b, 15, rip, "name empty or not terminated");
		if (full.flow > EMU_FLOW_END)
			classify_fail(seed, n, b, 15, rip, "flow not an enum emu_flow");
		if (full.has_target && full.flow != EMU_FLOW_JUMP &&
		    full.flow != EMU_FLOW_BRANCH && full.flow != EMU_FLOW_CALL)
			classify_fail(seed, n, b, 15, rip, "a target on a non-branch");
		if ((full.flow == EMU_FLOW_JUMP || full.flow == EMU_FLOW_BRANCH) &&
		    !full.has_target)
			classify_fail(seed, n, b, 15, rip, "JUMP/BRANCH without a target");
		if (full.silent_fail != silent_fail_name(full.name))
			classify_fail(seed, n, b, 15, rip,
				      "silent_fail disagrees with traps.h's list");
		if (emu_disasm(b, 15, rip, dis, sizeof(dis)) != full.length)
			classify_fail(seed, n, b, 15, rip, "emu_disasm() length differs");
		if (emu_classify(b, full.length, rip, &part) != 0 || !same_info(&full, &part))
			classify_fail(seed, n, b, full.length, rip,
				      "the exact bytes decode otherwise");
		if (full.length > 1 && emu_classify(b, full.length - 1, rip, &part) == 0)
			classify_fail(seed, n, b, full.length - 1, rip,
				      "decoded with its last byte missing");
		if (emu_classify(b, 15, rip + delta, &moved) != 0 ||
		    moved.length != full.length || strcmp(moved.name, full.name) != 0 ||
		    moved.flow != full.flow || moved.has_target != full.has_target ||
		    (full.has_target && moved.target != full.target + delta))
			classify_fail(seed, n, b, 15, rip + delta,
				      "moving the instruction changed more than its target");
	}
	/* A shorter buffer decodes the same instruction, or fails when it
	 * cuts it. */
	rc = emu_classify(b, len, rip, &part);
	if (rc == 0 && !(emu_classify(b, 15, rip, &full) == 0 && same_info(&full, &part)))
		classify_fail(seed, n, b, len, rip, "a prefix of the bytes decodes otherwise");
}

static void test_classify(void **state)
{
	unsigned n, trials = CLASS_TRIALS * scale;

	if (only >= 0) {
		if ((unsigned long)only < trials)
			classify_trial((unsigned)only);
		return;
	}
	for (n = 0; n < trials; n++)
		classify_trial(n);
}

/* ---- patch_scan(), patch_apply(), patch_lookup() ---- */

#define SCAN_MAX (2 * PG + 15)

/*
 * The reference: every offset reachable from the entries in range, by
 * fall-through (unless JUMP or END, and inside the range) and by direct
 * targets inside the range, each decoded once; the silent-fail ones whose
 * first byte is in the page, in address order.  That is patch_scan()'s
 * contract in traps.h, written as a plain graph walk.
 */
static int ref_scan(const u8 *code, size_t len, u64 base, const u64 *entries, int nentries,
		    u64 page_va, struct patch_site *out)
{
	static u8 done[SCAN_MAX];
	static size_t work[SCAN_MAX * 2 + 64];
	size_t nwork = 0, off;
	int i, n = 0;

	memset(done, 0, len);
	for (i = 0; i < nentries; i++)
		if (entries[i] - base < len)
			work[nwork++] = entries[i] - base;
	while (nwork > 0) {
		struct emu_insn_info ii;
		unsigned avail;

		off = work[--nwork];
		if (done[off])
			continue;
		done[off] = 1;
		st.decoded_offsets++;
		avail = len - off < 15 ? (unsigned)(len - off) : 15;
		if (emu_classify(code + off, avail, base + off, &ii) != 0)
			continue;
		if (ii.silent_fail && base + off - page_va < PG) {
			out[n].va = base + off;
			out[n].length = ii.length;
			memcpy(out[n].name, ii.name, sizeof(out[n].name));
			n++;
		}
		if (ii.has_target && ii.target - base < len && !done[ii.target - base])
			work[nwork++] = ii.target - base;
		if (ii.flow != EMU_FLOW_JUMP && ii.flow != EMU_FLOW_END &&
		    off + ii.length < len && !done[off + ii.length])
			work[nwork++] = off + ii.length;
	}
	/* Sites come out in walk order: sort by address (insertion: few). */
	for (i = 1; i < n; i++) {
		struct patch_site x = out[i];
		int j = i;

		for (; j > 0 && out[j - 1].va > x.va; j--)
			out[j] = out[j - 1];
		out[j] = x;
	}
	return n;
}

/* Instruction templates for code that decodes for a while: silent-fail
 * ones, ordinary ones, and every way a path ends or branches.  A 0x7e in
 * a template is replaced by a random rel8. */
static const struct { u8 n, b[8]; } templates[] = {
	{ 1, { 0x9c } }, { 1, { 0x9d } }, { 2, { 0x66, 0x9c } }, { 2, { 0x0f, 0xa2 } },
	{ 3, { 0x0f, 0x01, 0x00 } }, { 3, { 0x0f, 0x01, 0x08 } }, { 3, { 0x0f, 0x00, 0xc0 } },
	{ 3, { 0x0f, 0x00, 0xc8 } }, { 3, { 0x0f, 0x01, 0xe0 } }, { 3, { 0x0f, 0x02, 0xc1 } },
	{ 3, { 0x0f, 0x03, 0xc1 } }, { 3, { 0x0f, 0x00, 0xe0 } }, { 3, { 0x0f, 0x00, 0xe8 } },
	{ 2, { 0x8c, 0xc8 } }, { 3, { 0x48, 0x8c, 0xd0 } }, { 2, { 0x0f, 0xa0 } },
	{ 2, { 0x0f, 0xa8 } }, { 2, { 0x8e, 0xd8 } }, { 2, { 0x0f, 0xa1 } },
	{ 1, { 0x90 } }, { 3, { 0x48, 0x89, 0xc3 } }, { 3, { 0x48, 0x8b, 0x07 } },
	{ 1, { 0x55 } }, { 1, { 0x5d } }, { 4, { 0x48, 0x83, 0xc0, 0x01 } },
	{ 1, { 0xc3 } }, { 1, { 0xcc } }, { 2, { 0x0f, 0x0b } }, { 1, { 0xf4 } },
	{ 2, { 0xff, 0xe0 } }, { 2, { 0xff, 0xd0 } }, { 2, { 0x48, 0xcf } }, { 1, { 0xfa } },
	{ 2, { 0xeb, 0x7e } }, { 2, { 0x74, 0x7e } }, { 2, { 0x75, 0x7e } }, { 2, { 0xe2, 0x7e } },
	{ 2, { 0xe3, 0x7e } }, { 5, { 0xe8, 0x7e, 0x00, 0x00, 0x00 } },
	{ 5, { 0xe9, 0x7e, 0x00, 0x00, 0x00 } }, { 6, { 0x0f, 0x84, 0x7e, 0x00, 0x00, 0x00 } },
	{ 3, { 0x66, 0xeb, 0x7e } }, { 4, { 0x66, 0xe8, 0x7e, 0x00 } },
	{ 5, { 0xe8, 0x00, 0x00, 0x00, 0x00 } },
};
#define NTEMPLATES (sizeof(templates) / sizeof(templates[0]))

/* Random bytes, runs of templates, or both. */
static void gen_code(u64 *s, u8 *code, size_t len)
{
	unsigned style = below(s, 4);
	size_t i = 0, k;

	for (k = 0; k < len; k++)
		code[k] = (u8)rnd(s);
	if (style == 0)
		return;
	while (i < len) {
		if (style == 1 && one_in(s, 3)) {
			i += 1 + below(s, 8);   /* keep some random bytes between */
			continue;
		}
		k = below(s, NTEMPLATES);
		for (unsigned j = 0; j < templates[k].n && i < len; j++, i++)
			code[i] = templates[k].b[j] == 0x7e ? (u8)(below(s, 64) - 32) :
				  templates[k].b[j];
	}
}

static void scan_fail(u64 seed, unsigned n, u64 base, size_t len, u64 page_va,
		      const u64 *entries, int nentries, const char *fmt, ...)
	__attribute__((format(printf, 8, 9)));

static void scan_fail(u64 seed, unsigned n, u64 base, size_t len, u64 page_va,
		      const u64 *entries, int nentries, const char *fmt, ...)
{
	char why[256];
	va_list ap;
	int i;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	print_error("patch_scan fuzz: %s\n  rerun: FUZZ_SEED=%#llx FUZZ_ONLY=%u "
		    "build/tests/test_fuzz\n  page %u seed %#llx base %#llx len %zu page_va %#llx "
		    "entries:", why, (unsigned long long)run_seed, n, n,
		    (unsigned long long)seed, (unsigned long long)base, len,
		    (unsigned long long)page_va);
	for (i = 0; i < nentries; i++)
		print_error(" %#llx", (unsigned long long)entries[i]);
	print_error("\n");
	fail_msg("%s", why);
}

#define SFAIL(...) scan_fail(seed, n, base, len, page_va, entries, nentries, __VA_ARGS__)

static void scan_trial(unsigned n)
{
	static u8 code[SCAN_MAX], copy[PG];
	static struct patch_site out[PG + 2], ref[PG + 2], few[64];
	u64 s = trial_seed(0x5ca9, n), seed = s, base, page_va, entries[12];
	size_t len;
	int nentries, got, want, i, m;
	unsigned layout = below(&s, 4);

	/* The monitor's layouts: the page and 15 bytes after, with or
	 * without the page before; and a short range. */
	base = (below(&s, 2) ? 0x1000 + (rnd(&s) & 0x7ffefffff000ull) :
		0xffffffff80000000ull + (below(&s, 0x10000) << 12));
	if (layout <= 1) {
		len = 2 * PG + 15;
		page_va = base + PG;
	} else if (layout == 2) {
		len = PG + 15;
		page_va = base;
	} else {
		len = 1 + below(&s, 600);
		page_va = base - below(&s, 2) * PG;
	}
	gen_code(&s, code, len);
	nentries = (int)(1 + below(&s, 12));
	for (i = 0; i < nentries; i++) {
		unsigned k = below(&s, 16);

		if (k == 0)
			entries[i] = base - 1 - below(&s, 16);      /* before the range */
		else if (k == 1)
			entries[i] = base + len + below(&s, 4);     /* after it */
		else
			entries[i] = base + below(&s, (unsigned)len);
	}

	got = patch_scan(code, len, base, entries, nentries, page_va, out, PG + 2);
	want = ref_scan(code, len, base, entries, nentries, page_va, ref);
	st.sites += got > 0 ? (unsigned)got : 0;
	st.scans_with_sites += got > 0;
	if (got != want)
		SFAIL("%d sites, the reference walk finds %d", got, want);
	for (i = 0; i < got; i++) {
		struct emu_insn_info ii;
		u64 off = out[i].va - base;

		if (out[i].va != ref[i].va || out[i].length != ref[i].length ||
		    strcmp(out[i].name, ref[i].name) != 0)
			SFAIL("site %d: %#llx %u '%s', reference %#llx %u '%s'", i,
			      (unsigned long long)out[i].va, out[i].length, out[i].name,
			      (unsigned long long)ref[i].va, ref[i].length, ref[i].name);
		if (out[i].va - page_va >= PG || off >= len)
			SFAIL("site %#llx outside the page or the range",
			      (unsigned long long)out[i].va);
		if (i > 0 && out[i].va <= out[i - 1].va)
			SFAIL("sites not sorted and unique at %d", i);
		if (emu_classify(code + off, len - off < 15 ? (unsigned)(len - off) : 15,
				 out[i].va, &ii) != 0 || !ii.silent_fail ||
		    ii.length != out[i].length)
			SFAIL("site %#llx does not decode as a silent-fail instruction",
			      (unsigned long long)out[i].va);
	}

	/* Too small an out[]: -1, and what it holds is sorted and real. */
	if (got > 0) {
		m = (int)below(&s, (unsigned)(got < 64 ? got : 64));
		if (patch_scan(code, len, base, entries, nentries, page_va, few, m) != -1)
			SFAIL("max %d < %d sites did not return -1", m, got);
		for (i = 0; i < m; i++)
			if ((i > 0 && few[i].va <= few[i - 1].va) ||
			    !patch_lookup(out, got, few[i].va))
				SFAIL("with max %d, out[%d] = %#llx is unsorted or not a site", m,
				      i, (unsigned long long)few[i].va);
		if (got <= 64 &&
		    patch_scan(code, len, base, entries, nentries, page_va, few, got) != got)
			SFAIL("max equal to the %d sites did not return them", got);
	}

	/* patch_lookup(): each site, and no address between them. */
	for (i = 0; i < got; i++)
		if (patch_lookup(out, got, out[i].va) != &out[i])
			SFAIL("patch_lookup(%#llx) missed", (unsigned long long)out[i].va);
	for (i = 0; i < 16; i++) {
		u64 va = page_va + below(&s, PG);

		if (patch_lookup(out, got, va)) {
			int j;

			for (j = 0; j < got && out[j].va != va; j++)
				;
			if (j == got)
				SFAIL("patch_lookup(%#llx) found a site that is not one",
				      (unsigned long long)va);
		}
	}

	/* patch_apply(): CC on each site's first byte in the page copy,
	 * every other byte kept; sites outside the page skipped. */
	if (page_va >= base && page_va - base + PG <= len) {
		const u8 *orig = code + (page_va - base);
		int j = 0;

		memcpy(copy, orig, PG);
		out[got] = (struct patch_site){ .va = page_va - 1, .length = 1 };
		out[got + 1] = (struct patch_site){ .va = page_va + PG, .length = 1 };
		patch_apply(copy, page_va, out, got + 2);
		for (i = 0; i < (int)PG; i++) {
			bool site = j < got && out[j].va == page_va + (u64)i;

			if (copy[i] != (site ? 0xcc : orig[i]))
				SFAIL("patch_apply: byte %#x is %#x", i, copy[i]);
			j += site;
		}
	}
}

static void test_scan(void **state)
{
	unsigned n, trials = SCAN_PAGES * scale;

	if (only >= 0) {
		if ((unsigned long)only < trials)
			scan_trial((unsigned)only);
		return;
	}
	for (n = 0; n < trials; n++)
		scan_trial(n);
}

static void print_stats(void)
{
	unsigned i, n = 0;

	for (i = 0; i < 2; i++)
		print_message("CPL %u: ok %u unhandleable %u exception %u halt %u\n", i ? 3 : 0,
			      st.rc[i][EMU_OK], st.rc[i][EMU_UNHANDLEABLE],
			      st.rc[i][EMU_EXCEPTION], st.rc[i][EMU_HALT]);
	print_message("soft %u, cut fetches %u, privileged at CPL 3 %u; vectors:", st.soft,
		      st.cut, st.priv3);
	for (i = 0; i < 32; i++)
		if (st.vec[i])
			print_message(" %u:%u", i, st.vec[i]);
	print_message("\nemulated:");
	for (i = 0; i <= ZYDIS_MNEMONIC_MAX_VALUE; i++)
		if (st.ok_by_mnem[i]) {
			print_message(" %s:%u", emu_mnemonic_name((int)i), st.ok_by_mnem[i]);
			n++;
		}
	print_message("\n%u mnemonics emulated; scan: %u sites in %u pages, %u offsets "
		      "decoded by the reference\n", n, st.sites, st.scans_with_sites,
		      st.decoded_offsets);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_step_cpl0),
		cmocka_unit_test(test_step_cpl3),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_scan),
	};
	const char *e;
	int failed;

	if ((e = getenv("FUZZ_SEED")))
		run_seed = strtoull(e, NULL, 0);
	if ((e = getenv("FUZZ_SCALE")))
		scale = (unsigned)strtoul(e, NULL, 0);
	if ((e = getenv("FUZZ_ONLY")))
		only = strtol(e, NULL, 0);
	if (scale == 0)
		scale = 1;
	print_message("fuzz seed %#llx (FUZZ_SEED), scale %u, %u emu_step trials\n",
		      (unsigned long long)run_seed, scale, 2 * STEP_TRIALS * scale);
	stats = getenv("FUZZ_STATS") != NULL;
	failed = cmocka_run_group_tests_name("fuzz", tests, NULL, NULL);
	if (stats)
		print_stats();
	return failed;
}
