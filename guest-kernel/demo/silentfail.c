/*
 * silentfail.c: the silent-fail demonstration (command line words
 * "silentfail" and "irqsave").
 *
 * silentfail runs, in guest kernel mode, each sensitive but unprivileged
 * instruction (Robin & Irvine's list as far as it still exists in 64-bit
 * mode, plus CPUID and RDTSC), compares what it observed with what a ring-0
 * kernel on bare metal gets, and prints one row per instruction:
 *   silentfail: instruction | expected | observed | verdict
 * The verdict is "silently wrong" (observed != expected), "trapped and
 * emulated" (equal, and PORT_TRAP_COUNT shows a trap: two reads around the
 * instruction differ by >= 2) or "correct" (equal, no trap).  The expected
 * values come from what the kernel itself set up: the GDT and IDT it loaded
 * (found in its own .data/.bss: cpu.c keeps them static), TR 0x18, LDTR 0,
 * CR0 read with MOV from CR0 (which traps), CS 0x08, SS = DS = 0x10, the IF
 * it set with CLI/STI, IOPL 0.
 *
 * irqsave runs the usual irq-save idiom, "pushf; cli; ...; popf", with
 * interrupts enabled, and reports whether the timer interrupts came back.
 *
 * sfbench measures, for bench/silentfail.sh, what each way of doing three
 * of these things costs: the instruction itself (cheap and wrong under
 * --patch=off, a trap when patched) and the paravirtual replacement.
 *
 * These are the only functions of the kernel that use PUSHF/POPF, SGDT,
 * SIDT, SLDT, SMSW, STR, LAR, LSL, VERR, VERW, MOV from a segment register
 * and CPUID (x86.h explains why the rest of the kernel must not).  All of
 * them live in the input section .text.silentfail and are named sf_* or
 * silentfail_* / irqsave_*, so the objdump check can leave them out.
 */
#include <trapvisor/boot.h>

#include "defs.h"

#define SF __attribute__((section(".text.silentfail"), noinline))

#define NS_PER_MS 1000000ul
#define STRMAX 96

/* ---- A tiny formatter for the table cells: %s, %x/%lx, %u/%lu ---- */

struct sbuf {
	char s[STRMAX];
	unsigned n;
};

SF static void sb_putc(struct sbuf *b, char c)
{
	if (b->n + 1 < STRMAX)
		b->s[b->n++] = c;
	b->s[b->n] = 0;
}

SF static void sb_num(struct sbuf *b, u64 v, unsigned base)
{
	char t[20];
	int i = 0;

	do {
		t[i++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (i > 0)
		sb_putc(b, t[--i]);
}

SF static void sb_fmt(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;

	b->n = 0;
	b->s[0] = 0;
	va_start(ap, fmt);
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			sb_putc(b, *fmt);
			continue;
		}
		fmt++;
		bool is_long = false;
		if (*fmt == 'l') {
			is_long = true;
			fmt++;
		}
		switch (*fmt) {
		case 'x':
		case 'u': {
			u64 v = is_long ? va_arg(ap, u64) : va_arg(ap, unsigned);
			sb_num(b, v, *fmt == 'x' ? 16 : 10);
			break;
		}
		case 's':
			for (const char *s = va_arg(ap, const char *); *s; s++)
				sb_putc(b, *s);
			break;
		default:
			sb_putc(b, *fmt);
			break;
		}
	}
	va_end(ap);
}

/* ---- The trap counter, and rows ---- */

SF static u32 sf_trap_count(void)
{
	u32 v;

	asm volatile("inl %1, %0" : "=a"(v) : "Nd"((u16)PORT_TRAP_COUNT) : "memory");
	return v;
}

static struct {
	int wrong, trapped, correct;
	bool pv;                  /* this table: the paravirtual replacements */
	bool on_trapvisor;        /* PORT_TRAP_COUNT answers (QEMU: 0xffffffff) */
	u64 loops_50ms;           /* spin iterations in ~50 ms (sf_calibrate) */
	u64 gdt_base, idt_base;   /* found in our own memory, 0 if not */
	u16 gdt_limit, idt_limit;
	const u64 *gdt;
} sf;

static struct sbuf exp, obs;

/* One row: exp and obs hold the cells; diff is the trap-counter difference
 * around the instruction, or in the paravirtual table around its
 * replacement, 'pv_how'. */
SF static void sf_row(const char *insn, const char *pv_how, u32 diff)
{
	const char *verdict;

	if (strcmp(exp.s, obs.s) != 0) {
		verdict = "silently wrong";
		sf.wrong++;
	} else if (diff >= 2) {
		verdict = "trapped and emulated";
		sf.trapped++;
	} else {
		verdict = "correct";
		sf.correct++;
	}
	if (sf.pv)
		kprintf("silentfail-pv: %s -> %s | %s | %s | %s\n", insn, pv_how, exp.s, obs.s,
			verdict);
	else
		kprintf("silentfail: %s | %s | %s | %s\n", insn, exp.s, obs.s, verdict);
}

/* ---- Time without RDTSC: the tick clock, and calibrated spinning ---- */

/* Spin at most max iterations (interrupts must be on) until the tick clock
 * moves; returns the iterations spun, max if it never moved. */
SF static u64 sf_spin_until_tick(u64 max)
{
	u64 t0 = clock_monotonic(), i;

	for (i = 0; i < max; i++)
		if (clock_monotonic() != t0)
			break;
	return i;
}

/* With interrupts on for a moment: how many loop iterations of the kind
 * sf_spin_until_tick() runs make about 50 ms.  Ends with IF=0. */
SF static void sf_calibrate(void)
{
	const u64 limit = 1ul << 32;
	u64 t0, n = 0;

	if (sf.loops_50ms)
		return;
	asm volatile("sti" : : : "memory");
	if (sf_spin_until_tick(limit) == limit) {
		cli();
		kprintf("silentfail: no timer interrupt with IF=1, spinning a fixed count\n");
		sf.loops_50ms = 1ul << 26;
		return;
	}
	t0 = clock_monotonic();
	while (clock_monotonic() - t0 < 50 * NS_PER_MS)
		n += sf_spin_until_tick(limit);
	cli();
	sf.loops_50ms = n ? n : 1;
}

/* ---- Finding the tables cpu.c loaded (they are static there) ---- */

#define DESC_ACCESSED (1ul << 40)

SF static bool sf_desc_eq(u64 have, u64 want)
{
	return (have & ~DESC_ACCESSED) == (want & ~DESC_ACCESSED);
}

SF static void sf_find_tables(void)
{
	const u64 code = SEG_DESC(SEG_P | SEG_S | SEG_CODE, SEG_G | SEG_L);
	const u64 data = SEG_DESC(SEG_P | SEG_S | SEG_DATA, SEG_G | SEG_DB);
	const u64 ucode = SEG_DESC(SEG_P | SEG_DPL3 | SEG_S | SEG_CODE, SEG_G | SEG_L);
	const u64 udata = SEG_DESC(SEG_P | SEG_DPL3 | SEG_S | SEG_DATA, SEG_G | SEG_DB);

	for (u64 a = ((u64)__data_start + 7) & ~7ul; a + GDT_ENTRIES * 8 <= (u64)__bss_end; a += 8) {
		const u64 *g = (const u64 *)a;
		if (g[0] == 0 && sf_desc_eq(g[KERNEL_CS >> 3], code) &&
		    sf_desc_eq(g[KERNEL_DS >> 3], data) && sf_desc_eq(g[USER_DS >> 3], udata) &&
		    sf_desc_eq(g[USER_CS >> 3], ucode)) {
			sf.gdt = g;
			sf.gdt_base = a;
			sf.gdt_limit = GDT_ENTRIES * 8 - 1;
			break;
		}
	}
	for (u64 a = (u64)__data_start; a + 256 * 16 <= (u64)__bss_end; a++) {
		const struct gate *g = (const struct gate *)a;
		int i;
		for (i = 0; i < 256; i += 17) {   /* 0, 17, ..., 255 */
			u64 off = g[i].offset_lo | ((u64)g[i].offset_mid << 16) |
				  ((u64)g[i].offset_hi << 32);
			if (off != vectors[i] || g[i].selector != KERNEL_CS ||
			    g[i].type_attr != GATE_INTR)
				break;
		}
		if (i > 255) {
			sf.idt_base = a;
			sf.idt_limit = 256 * 16 - 1;
			break;
		}
	}
}

/* ---- The instructions ---- */

SF static void sf_pushf(bool if_on)
{
	u32 a, b, best = ~0u;
	u64 fl = 0;

	/* With IF=1 an interrupt between the counter reads adds traps: take
	 * the quietest of a few tries. */
	for (int t = 0; t < (if_on ? 5 : 1); t++) {
		u64 f;
		if (if_on)
			asm volatile("sti" : : : "memory");
		a = sf_trap_count();
		if (sf.pv)
			f = pv_save_flags();
		else
			asm volatile("pushfq; popq %0" : "=r"(f) : : "memory");
		b = sf_trap_count();
		cli();
		if (b - a < best) {
			best = b - a;
			fl = f;
		}
	}
	sb_fmt(&exp, "IF=%u IOPL=0", if_on ? 1 : 0);
	sb_fmt(&obs, "IF=%u IOPL=%u", (unsigned)((fl >> 9) & 1), (unsigned)((fl >> 12) & 3));
	sf_row(if_on ? "pushf (if=1)" : "pushf (if=0)", "vif and the shared page", best);
}

/* POPF of an image with IF=1 while IF=0: does a timer interrupt arrive? */
SF static void sf_popf(void)
{
	u32 a, b;
	u64 spun, max = 2 * sf.loops_50ms;

	cli();
	a = sf_trap_count();
	if (sf.pv)
		pv_restore_flags(FL_FIXED | FL_IF);
	else
		asm volatile("pushq %0; popfq" : : "r"(FL_FIXED | FL_IF) : "memory", "cc");
	b = sf_trap_count();
	spun = sf_spin_until_tick(max);
	cli();
	sb_fmt(&exp, "IF=1: a timer tick within 100 ms");
	if (spun < max)
		sb_fmt(&obs, "IF=1: a timer tick within 100 ms");
	else
		sb_fmt(&obs, "IF=0: no timer tick in 100 ms");
	sf_row("popf (if 0->1)", "vif", b - a);
}

/* SGDT / SIDT */
SF static void sf_sdt(bool idt)
{
	struct dtr d = { 0xdead, 0xdeadbeef };
	u32 a, b;

	a = sf_trap_count();
	if (sf.pv) {
		d.base = idt ? pv_cpu()->idt_base : pv_cpu()->gdt_base;
		d.limit = idt ? pv_cpu()->idt_limit : pv_cpu()->gdt_limit;
	} else if (idt) {
		asm volatile("sidt %0" : "=m"(d) : : "memory");
	} else {
		asm volatile("sgdt %0" : "=m"(d) : : "memory");
	}
	b = sf_trap_count();
	sb_fmt(&exp, "base 0x%lx limit 0x%x", idt ? sf.idt_base : sf.gdt_base,
	       idt ? sf.idt_limit : sf.gdt_limit);
	sb_fmt(&obs, "base 0x%lx limit 0x%x", d.base, d.limit);
	sf_row(idt ? "sidt" : "sgdt", "the shared page", b - a);
}

/* SLDT, STR, SMSW (memory forms: they store 16 bits); which 3 is SMSW with
 * CR0.TS set for the moment (MOV to CR0 and CLTS trap), so that the value
 * differs from the 0x33 the host's UMIP emulation always returns. */
#define CR0_TS 0x8ul
SF static void sf_store16(int which)
{
	static const char *const names[] = { "sldt", "str", "smsw", "smsw (cr0.ts=1)" };
	u16 v = 0xdead;
	u64 want = 0;
	u32 a, b;

	if (which >= 2) {
		u64 cr0;
		asm volatile("mov %%cr0, %0" : "=r"(cr0));     /* traps: the virtual CR0 */
		if (which == 3) {
			cr0 |= CR0_TS;
			asm volatile("mov %0, %%cr0" : : "r"(cr0) : "memory");
			asm volatile("mov %%cr0, %0" : "=r"(cr0));
		}
		want = cr0 & 0xffff;
	} else if (which == 1) {
		want = TSS_SEL;
	}
	a = sf_trap_count();
	if (sf.pv)
		v = which == 0 ? pv_cpu()->ldtr : which == 1 ? pv_cpu()->tr : (u16)pv_cpu()->cr0;
	else if (which == 0)
		asm volatile("sldt %0" : "=m"(v) : : "memory");
	else if (which == 1)
		asm volatile("str %0" : "=m"(v) : : "memory");
	else
		asm volatile("smsw %0" : "=m"(v) : : "memory");
	b = sf_trap_count();
	if (which == 3)
		asm volatile("clts" : : : "memory");
	sb_fmt(&exp, "0x%lx", want);
	sb_fmt(&obs, "0x%x", (unsigned)v);
	sf_row(names[which], "the shared page", b - a);
}

/* LAR or LSL (PV_DESC_LAR/LSL) of sel: the instruction, or in the
 * paravirtual table its hypercall.  Returns ZF; *v is what it wrote. */
SF static u8 sf_lar_lsl(int query, u16 sel, u32 *v)
{
	u8 zf;

	if (sf.pv) {
		long r = pv_desc_query(query, sel);
		*v = (u32)r;
		return r >= 0;
	}
	if (query == PV_DESC_LAR)
		asm volatile("lar %k2, %k0; setz %1" : "+r"(*v), "=q"(zf) : "r"((u32)sel) : "cc");
	else
		asm volatile("lsl %k2, %k0; setz %1" : "+r"(*v), "=q"(zf) : "r"((u32)sel) : "cc");
	return zf;
}

/* One LAR or LSL row: ZF and what it wrote (under mask), against want
 * (known: false when the GDT to take it from was not found). */
SF static void sf_lar_lsl_row(int query, u16 sel, u32 mask, u32 want, bool known)
{
	const char *what = query == PV_DESC_LAR ? "rights" : "limit";
	u32 v = 0, a, b;
	u8 zf;
	struct sbuf name;

	a = sf_trap_count();
	zf = sf_lar_lsl(query, sel, &v);
	b = sf_trap_count();
	if (known)
		sb_fmt(&exp, "ZF=1 %s 0x%x", what, want);
	else
		sb_fmt(&exp, "ZF=1 %s (GDT not found)", what);
	if (zf)
		sb_fmt(&obs, "ZF=1 %s 0x%x", what, v & mask);
	else
		sb_fmt(&obs, "ZF=0");
	sb_fmt(&name, "%s 0x%x", query == PV_DESC_LAR ? "lar" : "lsl", sel);
	sf_row(name.s, "hypercall", b - a);
}

/* LAR on a selector: ZF and the access rights (accessed bit ignored). */
SF static void sf_lar(u16 sel)
{
	const u32 mask = 0x00f0ff00 & ~0x100u;

	sf_lar_lsl_row(PV_DESC_LAR, sel, mask,
		       sf.gdt ? (u32)(sf.gdt[sel >> 3] >> 32) & mask : 0, sf.gdt != 0);
}

SF static void sf_lsl(u16 sel, u32 want)
{
	sf_lar_lsl_row(PV_DESC_LSL, sel, ~0u, want, true);
}

SF static void sf_verrw(u16 sel, bool write)
{
	u32 a, b;
	u8 zf;
	struct sbuf name;

	a = sf_trap_count();
	if (sf.pv)
		zf = pv_desc_query(write ? PV_DESC_VERW : PV_DESC_VERR, sel) >= 0;
	else if (write)
		asm volatile("verw %w1; setz %0" : "=q"(zf) : "r"(sel) : "cc");
	else
		asm volatile("verr %w1; setz %0" : "=q"(zf) : "r"(sel) : "cc");
	b = sf_trap_count();
	sb_fmt(&exp, "ZF=1");
	sb_fmt(&obs, "ZF=%u", (unsigned)zf);
	sb_fmt(&name, "%s 0x%x", write ? "verw" : "verr", sel);
	sf_row(name.s, "hypercall", b - a);
}

/* MOV from CS, SS, DS */
SF static void sf_movseg(int which)
{
	static const char *const names[] = { "mov from cs", "mov from ss", "mov from ds" };
	static const u16 want[] = { KERNEL_CS, KERNEL_DS, KERNEL_DS };
	u16 v = 0xdead;
	u32 a, b;

	a = sf_trap_count();
	if (sf.pv)
		v = which == 0 ? pv_cpu()->cs : which == 1 ? pv_cpu()->ss : pv_cpu()->ds;
	else if (which == 0)
		asm volatile("movw %%cs, %0" : "=r"(v));
	else if (which == 1)
		asm volatile("movw %%ss, %0" : "=r"(v));
	else
		asm volatile("movw %%ds, %0" : "=r"(v));
	b = sf_trap_count();
	sb_fmt(&exp, "0x%x", (unsigned)want[which]);
	sb_fmt(&obs, "0x%x", (unsigned)v);
	sf_row(names[which], "the shared page", b - a);
}

SF static void sf_sig(struct sbuf *s, u32 b, u32 c, u32 d)
{
	u32 r[3] = { b, c, d };
	char t[13];

	for (int i = 0; i < 12; i++) {
		char ch = (char)(r[i / 4] >> (8 * (i % 4)));
		t[i] = ch >= 0x20 && ch < 0x7f ? ch : '.';
	}
	t[12] = 0;
	sb_fmt(s, "\"%s\"", t);
}

SF static void sf_cpuid(void)
{
	u32 eax, ebx, ecx, edx, a, b;

	a = sf_trap_count();
	if (sf.pv) {
		u32 r[4];
		pv_cpuid(0x40000000u, 0, r);
		eax = r[0], ebx = r[1], ecx = r[2], edx = r[3];
	} else {
		asm volatile("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx)
			     : "a"(0x40000000u), "c"(0u));
	}
	b = sf_trap_count();
	(void)eax;
	sf_sig(&obs, ebx, ecx, edx);
	if (sf.on_trapvisor)
		sb_fmt(&exp, "\"TrapVisorTVM\"");
	else
		exp = obs;        /* not on trapvisor: the CPU's own answer is the truth */
	sf_row(sf.on_trapvisor ? "cpuid 0x40000000" : "cpuid 0x40000000 (not on trapvisor: the CPU's own answer)",
	       "hypercall", b - a);
}

SF static void sf_rdtsc(void)
{
	u32 lo, hi, a, b;
	u64 t1, t2;

	a = sf_trap_count();
	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	b = sf_trap_count();
	t1 = ((u64)hi << 32) | lo;
	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	t2 = ((u64)hi << 32) | lo;
	sb_fmt(&exp, "a TSC that increases");
	sb_fmt(&obs, t2 > t1 ? "a TSC that increases" : "a TSC that does not increase");
	sf_row("rdtsc", "none: it traps", b - a);
}

/* One table: each instruction, or in the paravirtual table (sf.pv) the
 * replacement a paravirtual kernel uses instead (pv.c). */
SF static void sf_table(void)
{
	const char *who = sf.pv ? "silentfail-pv" : "silentfail";

	sf.wrong = sf.trapped = sf.correct = 0;
	kprintf("%s: instruction%s | expected | observed | verdict\n", who,
		sf.pv ? " -> paravirtual replacement" : "");
	sf_pushf(false);
	sf_pushf(true);
	sf_popf();
	sf_sdt(false);
	sf_sdt(true);
	sf_store16(0);            /* sldt */
	sf_store16(2);            /* smsw */
	sf_store16(3);            /* smsw, CR0.TS set */
	sf_store16(1);            /* str */
	sf_lar(KERNEL_CS);
	sf_lsl(KERNEL_CS, 0xffffffff);
	sf_lsl(TSS_SEL, sizeof(struct tss) - 1);
	sf_verrw(KERNEL_DS, false);
	sf_verrw(KERNEL_DS, true);
	sf_movseg(0);
	sf_movseg(1);
	sf_movseg(2);
	sf_cpuid();
	sf_rdtsc();
	if (!sf.pv) {
		kprintf("silentfail: call far / jmp far / ret far | - | - | not run: they trap here "
			"(far transfer to a kernel selector from ring 3 raises #GP)\n");
		kprintf("silentfail: push cs / push ds / pop ss / pop ds / lds / les / pusha / popa | - | - | "
			"not run: invalid in 64-bit mode (#UD)\n");
	}
	kprintf("%s: %d silently wrong, %d trapped and emulated, %d correct\n", who,
		sf.wrong, sf.trapped, sf.correct);
}

/* The monitor refuses bad hypercall arguments with an error, not a crash. */
SF static void sf_pv_refusals(void)
{
	kprintf("silentfail-pv: refused: cpuid into a misaligned buffer -> %ld, "
		"cpuid outside RAM -> %ld, descriptor query 9 -> %ld, "
		"shared page at -4096 -> %ld, NMI watchdog over a minute -> %ld, "
		"hypercall 99 -> %ld\n",
		pv_hypercall(HC_CPUID, 0, 0, 8), pv_hypercall(HC_CPUID, 0, 0, -16),
		pv_hypercall(HC_DESC_QUERY, 9, KERNEL_CS, 0),
		pv_hypercall(HC_PV_REGISTER, -4096, 0, 0),
		pv_hypercall(HC_NMI_WATCHDOG, PV_NMI_WATCHDOG_MAX_US + 1, 0, 0),
		pv_hypercall(99, 0, 0, 0));
}

/* The hypercall answers CPUID as the instruction would on the vCPU: leaf 1
 * ECX.OSXSAVE (bit 27) follows the guest's own CR4.OSXSAVE (bit 18). */
SF static void sf_pv_cpuid_osxsave(void)
{
	u32 r[4];
	u64 cr4;

	pv_cpuid(1, 0, r);
	asm volatile("mov %%cr4, %0" : "=r"(cr4));     /* traps: the virtual CR4 */
	kprintf("silentfail-pv: cpuid 1 through the hypercall: OSXSAVE %u, CR4.OSXSAVE %u\n",
		(r[2] >> 27) & 1, (unsigned)((cr4 >> 18) & 1));
}

SF void silentfail_run(void)
{
	u32 a = sf_trap_count(), b = sf_trap_count();

	sf.on_trapvisor = b - a != 0;
	sf_find_tables();
	sf_calibrate();
	sf.pv = false;
	sf_table();
	if (!pv_on) {
		kprintf("silentfail-pv: not run: no paravirtual interface (not offered, or nopv)\n");
		return;
	}
	sf.pv = true;
	sf_table();
	sf_pv_refusals();
	sf_pv_cpuid_osxsave();
	sf.pv = false;
}

/* The irq-save idiom with interrupts on: pushf; cli; ...; popf.  Do the
 * interrupts come back?  Ends with IF=0, as the kernel always runs. */
SF void irqsave_run(void)
{
	static volatile u64 critical;
	u64 max, spun;

	sf_calibrate();
	max = 6 * sf.loops_50ms;          /* ~300 ms */
	asm volatile("sti" : : : "memory");
	if (sf_spin_until_tick(max) == max)
		kprintf("irqsave: no timer interrupt even before the idiom\n");
	/* The critical section lasts about two timer periods, so a tick
	 * arrives while interrupts are masked and must wait for the restore. */
	u64 section = sf.loops_50ms / 2;
	if (pv_on) {
		/* Paravirtual: the state lives in the shared page, no POPF. */
		u32 flags = pv_irq_save();
		critical++;
		sf_spin_until_tick(section);   /* masked: runs the whole ~25 ms */
		pv_irq_restore(flags);
	} else {
		asm volatile("pushfq; cli" : : : "memory");
		critical++;
		sf_spin_until_tick(section);   /* masked: runs the whole ~25 ms */
		asm volatile("popfq" : : : "memory", "cc");
	}
	spun = sf_spin_until_tick(max);
	if (spun < max)
		kprintf("irqsave: timer interrupts came back (%s)\n",
			pv_on ? "paravirtual: vif in the shared page" : "pushf; cli; popf");
	else
		kprintf("irqsave: FAILED: interrupts never came back after popf (IF lost)\n");
	asm volatile("sti" : : : "memory");
	spun = sf_spin_until_tick(max);
	cli();
	kprintf("irqsave: after an explicit sti: %s\n",
		spun < max ? "timer interrupts came back" : "still no timer interrupt");
}

/*
 * sfbench: phase k is bracketed by marks 2k and 2k + 1 on PORT_BENCH_MARK
 * (the monitor logs its clock and counters at each with --bench-log), and
 * "sfbench: phase K: N ops (what)" tells the script what to divide by.
 *   1. the irq-save idiom with the instructions: pushf; cli; popf
 *   2. the same with the paravirtual interface: vif in the shared page
 *   3. SGDT
 *   4. GDTR from the shared page
 *   5. CPUID (leaf 0)
 *   6. HC_CPUID (leaf 0)
 * The paravirtual phases run only when the interface is in use.  Runs with
 * interrupts off, so the phases measure only themselves.
 */
#define SFB_TRAPPING 2000          /* ops in a phase that may trap */
#define SFB_PLAIN    1000000       /* ops in a phase that cannot */

SF static void sfb_mark(u32 k)
{
	outl(PORT_BENCH_MARK, k);
}

SF static void sfb_phase(u32 k, u64 n, const char *what)
{
	kprintf("sfbench: phase %u: %lu ops (%s)\n", k, n, what);
}

SF void sfbench_run(void)
{
	struct dtr d;
	u64 sink = 0;
	u32 r[4];

	cli();
	sfb_mark(2);
	for (int i = 0; i < SFB_TRAPPING; i++)
		asm volatile("pushfq; cli; popfq" : : : "memory", "cc");
	sfb_mark(3);
	sfb_phase(1, SFB_TRAPPING, "pushf; cli; popf");
	if (pv_on) {
		sfb_mark(4);
		for (int i = 0; i < SFB_PLAIN; i++)
			pv_irq_restore(pv_irq_save());
		sfb_mark(5);
		sfb_phase(2, SFB_PLAIN, "paravirtual irq save/restore");
	}
	sfb_mark(6);
	for (int i = 0; i < SFB_TRAPPING; i++) {
		asm volatile("sgdt %0" : "=m"(d) : : "memory");
		sink += d.base;
	}
	sfb_mark(7);
	sfb_phase(3, SFB_TRAPPING, "sgdt");
	if (pv_on) {
		sfb_mark(8);
		for (int i = 0; i < SFB_PLAIN; i++)
			sink += pv_cpu()->gdt_base + pv_cpu()->gdt_limit;
		sfb_mark(9);
		sfb_phase(4, SFB_PLAIN, "gdtr from the shared page");
	}
	sfb_mark(10);
	for (int i = 0; i < SFB_TRAPPING; i++) {
		asm volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(0), "c"(0));
		sink += r[1];
	}
	sfb_mark(11);
	sfb_phase(5, SFB_TRAPPING, "cpuid");
	if (pv_on) {
		sfb_mark(12);
		for (int i = 0; i < SFB_TRAPPING; i++) {
			pv_cpuid(0, 0, r);
			sink += r[1];
		}
		sfb_mark(13);
		sfb_phase(6, SFB_TRAPPING, "hc_cpuid hypercall");
	}
	kprintf("sfbench: done (%lx)\n", sink & 0xf);
}
