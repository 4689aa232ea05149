/*
 * What the debugger sees of the VM (the stub's protocol is gdbstub.c):
 *
 *  (i)   Registers, in the order of the target description below: the
 *        general registers, RIP, RFLAGS, the selectors, the x87 and SSE
 *        state (read from the context process that holds the vCPU's FPU
 *        state, as XSAVE's legacy area), FS/GS bases, KERNEL_GS_BASE, CR0,
 *        CR2, CR3, CR4, CR8 and EFER.  What the monitor cannot change
 *        behind the guest's back (selectors, CR0/3/4, EFER) takes only its
 *        present value.
 *  (ii)  Memory by guest-virtual address, through the guest's current page
 *        tables, as the guest kernel would see it but without setting A/D
 *        bits: an unmapped address is an error answer, never a fault in
 *        the monitor.  Writes go through vm_write_ram(), so a write to a
 *        page table or to patched code keeps the shadow coherent.
 *  (iii) Software breakpoints live in the copy of the code page that
 *        kernel contexts execute (the scan-and-patch copy, shadow.c part
 *        vi; a page with nothing to patch gets a plain copy): INT3 there,
 *        while guest RAM keeps the original, so guest reads, the emulator
 *        and the debugger's own reads all see the original bytes.
 *  (iv)  Write watchpoints through the shadow page tables (shadow.c part
 *        vii): the watched pages are mapped read-only in every context, a
 *        write faults, the emulator performs it and every emulated write
 *        is checked against the watched ranges (gdb_watch_write()); an
 *        instruction the emulator does not know runs natively as one
 *        single step with the page writable, and the watched bytes are
 *        compared before and after.  Like a debug register, a watchpoint
 *        is a guest-virtual range: a write through another alias of the
 *        same page is performed and not reported.
 *  (v)   "monitor tlb ADDR": the guest's walk, level by level, and the
 *        shadow's mapping of the page in the current context.
 */
#include <string.h>

#include "vm.h"

/* ---- (i) registers ---- */

const char gdb_target_xml[] =
	"<?xml version=\"1.0\"?>\n"
	"<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
	"<target version=\"1.0\">\n"
	"<architecture>i386:x86-64</architecture>\n"
	"<feature name=\"org.gnu.gdb.i386.core\">\n"
	"<flags id=\"i386_eflags\" size=\"4\">\n"
	"<field name=\"CF\" start=\"0\" end=\"0\"/><field name=\"\" start=\"1\" end=\"1\"/>\n"
	"<field name=\"PF\" start=\"2\" end=\"2\"/><field name=\"AF\" start=\"4\" end=\"4\"/>\n"
	"<field name=\"ZF\" start=\"6\" end=\"6\"/><field name=\"SF\" start=\"7\" end=\"7\"/>\n"
	"<field name=\"TF\" start=\"8\" end=\"8\"/><field name=\"IF\" start=\"9\" end=\"9\"/>\n"
	"<field name=\"DF\" start=\"10\" end=\"10\"/><field name=\"OF\" start=\"11\" end=\"11\"/>\n"
	"<field name=\"NT\" start=\"14\" end=\"14\"/><field name=\"RF\" start=\"16\" end=\"16\"/>\n"
	"<field name=\"VM\" start=\"17\" end=\"17\"/><field name=\"AC\" start=\"18\" end=\"18\"/>\n"
	"<field name=\"VIF\" start=\"19\" end=\"19\"/><field name=\"VIP\" start=\"20\" end=\"20\"/>\n"
	"<field name=\"ID\" start=\"21\" end=\"21\"/>\n"
	"</flags>\n"
	"<reg name=\"rax\" bitsize=\"64\" type=\"int64\"/>\n"
	"<reg name=\"rbx\" bitsize=\"64\" type=\"int64\"/>\n"
	"<reg name=\"rcx\" bitsize=\"64\" type=\"int64\"/>\n"
	"<reg name=\"rdx\" bitsize=\"64\" type=\"int64\"/>\n"
	"<reg name=\"rsi\" bitsize=\"64\" type=\"int64\"/>\n"
	"<reg name=\"rdi\" bitsize=\"64\" type=\"int64\"/>\n"
	"<reg name=\"rbp\" bitsize=\"64\" type=\"data_ptr\"/>\n"
	"<reg name=\"rsp\" bitsize=\"64\" type=\"data_ptr\"/>\n"
	"<reg name=\"r8\" bitsize=\"64\" type=\"int64\"/>\n"
	"<reg name=\"r9\" bitsize=\"64\" type=\"int64\"/>\n"
	"<reg name=\"r10\" bitsize=\"64\" type=\"int64\"/>\n"
	"<reg name=\"r11\" bitsize=\"64\" type=\"int64\"/>\n"
	"<reg name=\"r12\" bitsize=\"64\" type=\"int64\"/>\n"
	"<reg name=\"r13\" bitsize=\"64\" type=\"int64\"/>\n"
	"<reg name=\"r14\" bitsize=\"64\" type=\"int64\"/>\n"
	"<reg name=\"r15\" bitsize=\"64\" type=\"int64\"/>\n"
	"<reg name=\"rip\" bitsize=\"64\" type=\"code_ptr\"/>\n"
	"<reg name=\"eflags\" bitsize=\"32\" type=\"i386_eflags\"/>\n"
	"<reg name=\"cs\" bitsize=\"32\" type=\"int32\"/>\n"
	"<reg name=\"ss\" bitsize=\"32\" type=\"int32\"/>\n"
	"<reg name=\"ds\" bitsize=\"32\" type=\"int32\"/>\n"
	"<reg name=\"es\" bitsize=\"32\" type=\"int32\"/>\n"
	"<reg name=\"fs\" bitsize=\"32\" type=\"int32\"/>\n"
	"<reg name=\"gs\" bitsize=\"32\" type=\"int32\"/>\n"
	"<reg name=\"st0\" bitsize=\"80\" type=\"i387_ext\"/>\n"
	"<reg name=\"st1\" bitsize=\"80\" type=\"i387_ext\"/>\n"
	"<reg name=\"st2\" bitsize=\"80\" type=\"i387_ext\"/>\n"
	"<reg name=\"st3\" bitsize=\"80\" type=\"i387_ext\"/>\n"
	"<reg name=\"st4\" bitsize=\"80\" type=\"i387_ext\"/>\n"
	"<reg name=\"st5\" bitsize=\"80\" type=\"i387_ext\"/>\n"
	"<reg name=\"st6\" bitsize=\"80\" type=\"i387_ext\"/>\n"
	"<reg name=\"st7\" bitsize=\"80\" type=\"i387_ext\"/>\n"
	"<reg name=\"fctrl\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
	"<reg name=\"fstat\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
	"<reg name=\"ftag\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
	"<reg name=\"fiseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
	"<reg name=\"fioff\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
	"<reg name=\"foseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
	"<reg name=\"fooff\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
	"<reg name=\"fop\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
	"</feature>\n"
	"<feature name=\"org.gnu.gdb.i386.sse\">\n"
	"<vector id=\"v8bf16\" type=\"bfloat16\" count=\"8\"/>\n"
	"<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>\n"
	"<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>\n"
	"<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>\n"
	"<vector id=\"v8i16\" type=\"int16\" count=\"8\"/>\n"
	"<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>\n"
	"<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>\n"
	"<union id=\"vec128\">\n"
	"<field name=\"v8_bfloat16\" type=\"v8bf16\"/><field name=\"v4_float\" type=\"v4f\"/>\n"
	"<field name=\"v2_double\" type=\"v2d\"/><field name=\"v16_int8\" type=\"v16i8\"/>\n"
	"<field name=\"v8_int16\" type=\"v8i16\"/><field name=\"v4_int32\" type=\"v4i32\"/>\n"
	"<field name=\"v2_int64\" type=\"v2i64\"/><field name=\"uint128\" type=\"uint128\"/>\n"
	"</union>\n"
	"<flags id=\"i386_mxcsr\" size=\"4\">\n"
	"<field name=\"IE\" start=\"0\" end=\"0\"/><field name=\"DE\" start=\"1\" end=\"1\"/>\n"
	"<field name=\"ZE\" start=\"2\" end=\"2\"/><field name=\"OE\" start=\"3\" end=\"3\"/>\n"
	"<field name=\"UE\" start=\"4\" end=\"4\"/><field name=\"PE\" start=\"5\" end=\"5\"/>\n"
	"<field name=\"DAZ\" start=\"6\" end=\"6\"/><field name=\"IM\" start=\"7\" end=\"7\"/>\n"
	"<field name=\"DM\" start=\"8\" end=\"8\"/><field name=\"ZM\" start=\"9\" end=\"9\"/>\n"
	"<field name=\"OM\" start=\"10\" end=\"10\"/><field name=\"UM\" start=\"11\" end=\"11\"/>\n"
	"<field name=\"PM\" start=\"12\" end=\"12\"/><field name=\"FZ\" start=\"15\" end=\"15\"/>\n"
	"</flags>\n"
	"<reg name=\"xmm0\" bitsize=\"128\" type=\"vec128\"/>\n"
	"<reg name=\"xmm1\" bitsize=\"128\" type=\"vec128\"/>\n"
	"<reg name=\"xmm2\" bitsize=\"128\" type=\"vec128\"/>\n"
	"<reg name=\"xmm3\" bitsize=\"128\" type=\"vec128\"/>\n"
	"<reg name=\"xmm4\" bitsize=\"128\" type=\"vec128\"/>\n"
	"<reg name=\"xmm5\" bitsize=\"128\" type=\"vec128\"/>\n"
	"<reg name=\"xmm6\" bitsize=\"128\" type=\"vec128\"/>\n"
	"<reg name=\"xmm7\" bitsize=\"128\" type=\"vec128\"/>\n"
	"<reg name=\"xmm8\" bitsize=\"128\" type=\"vec128\"/>\n"
	"<reg name=\"xmm9\" bitsize=\"128\" type=\"vec128\"/>\n"
	"<reg name=\"xmm10\" bitsize=\"128\" type=\"vec128\"/>\n"
	"<reg name=\"xmm11\" bitsize=\"128\" type=\"vec128\"/>\n"
	"<reg name=\"xmm12\" bitsize=\"128\" type=\"vec128\"/>\n"
	"<reg name=\"xmm13\" bitsize=\"128\" type=\"vec128\"/>\n"
	"<reg name=\"xmm14\" bitsize=\"128\" type=\"vec128\"/>\n"
	"<reg name=\"xmm15\" bitsize=\"128\" type=\"vec128\"/>\n"
	"<reg name=\"mxcsr\" bitsize=\"32\" type=\"i386_mxcsr\" group=\"vector\"/>\n"
	"</feature>\n"
	"<feature name=\"org.gnu.gdb.i386.segments\">\n"
	"<reg name=\"fs_base\" bitsize=\"64\" type=\"int\"/>\n"
	"<reg name=\"gs_base\" bitsize=\"64\" type=\"int\"/>\n"
	"</feature>\n"
	"<feature name=\"org.trapvisor.x86.sys\">\n"
	"<reg name=\"k_gs_base\" bitsize=\"64\" type=\"int\" group=\"system\"/>\n"
	"<reg name=\"cr0\" bitsize=\"64\" type=\"int\" group=\"system\"/>\n"
	"<reg name=\"cr2\" bitsize=\"64\" type=\"int\" group=\"system\"/>\n"
	"<reg name=\"cr3\" bitsize=\"64\" type=\"int\" group=\"system\"/>\n"
	"<reg name=\"cr4\" bitsize=\"64\" type=\"int\" group=\"system\"/>\n"
	"<reg name=\"cr8\" bitsize=\"64\" type=\"int\" group=\"system\"/>\n"
	"<reg name=\"efer\" bitsize=\"64\" type=\"int\" group=\"system\"/>\n"
	"</feature>\n"
	"</target>\n";

/* Register numbers (the description's order). */
enum {
	GR_RIP = 16, GR_EFLAGS, GR_CS, GR_ST0 = 24, GR_FCTRL = 32, GR_FSTAT, GR_FTAG, GR_FISEG,
	GR_FIOFF, GR_FOSEG, GR_FOOFF, GR_FOP, GR_XMM0 = 40, GR_MXCSR = 56, GR_FS_BASE,
	GR_GS_BASE, GR_K_GS_BASE, GR_CR0, GR_CR2, GR_CR3, GR_CR4, GR_CR8, GR_EFER,
};

/* gdb's rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp, r8-r15 in encoding order. */
static const u8 gpr_of[16] = { R_RAX, R_RBX, R_RCX, R_RDX, R_RSI, R_RDI, R_RBP, R_RSP,
			       R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15 };
/* cs, ss, ds, es, fs, gs */
static const u8 seg_of[6] = { SEG_CS, SEG_SS, SEG_DS, SEG_ES, SEG_FS, SEG_GS };

/* The legacy (FXSAVE) area of XSAVE: offsets (SDM Vol. 1 10.5.1, 64-bit). */
enum { FX_FCW = 0, FX_FSW = 2, FX_FTW = 4, FX_FOP = 6, FX_FIP = 8, FX_FDP = 16,
       FX_MXCSR = 24, FX_ST = 32, FX_XMM = 160, FX_XSTATE_BV = 512 };

int gdb_reg_size(int regno)
{
	if (regno < 0 || regno >= GDB_NREGS)
		return -1;
	if (regno <= GR_RIP || regno >= GR_FS_BASE)
		return 8;
	if (regno >= GR_ST0 && regno < GR_FCTRL)
		return 10;
	if (regno >= GR_XMM0 && regno < GR_MXCSR)
		return 16;
	return 4;
}

/* The XSAVE image of the vCPU's FPU state into g->fpu: its size, or 0
 * when no context holds it yet (before the first instruction). */
static int fpu_get(struct vm *vm)
{
	struct context *c = vm->shadow.fpu;

	if (!c || !c->used)
		return 0;
	int n = host_get_fpu(c->pid, vm->gdb->fpu, HOST_FPU_MAX);
	return n > FX_XSTATE_BV + 8 ? n : 0;
}

/* The full x87 tag word from FXSAVE's abridged one (SDM Vol. 1 8.1.7):
 * 3 empty, else 1 zero, 2 special (NaN, infinity, denormal, unnormal),
 * 0 valid.  Physical register i is ST((i - TOP) & 7). */
static u32 full_ftag(const u8 *fx)
{
	unsigned top = (fx[FX_FSW + 1] >> 3) & 7;
	u32 tag = 0;

	for (unsigned i = 0; i < 8; i++) {
		const u8 *st = fx + FX_ST + 16 * ((i - top) & 7);
		u64 mant;
		unsigned exp = (st[8] | st[9] << 8) & 0x7fff, t;

		memcpy(&mant, st, 8);
		if (!(fx[FX_FTW] & (1u << i)))
			t = 3;
		else if (exp == 0x7fff)
			t = 2;
		else if (exp == 0)
			t = mant ? 2 : 1;
		else
			t = mant >> 63 ? 0 : 2;
		tag |= t << (2 * i);
	}
	return tag;
}

/* FPU registers from the XSAVE image (zeros at reset values when none). */
static int fpu_reg_read(struct vm *vm, int regno, u8 *out)
{
	u8 *fx = vm->gdb->fpu;
	u32 v = 0;

	if (!fpu_get(vm)) {
		memset(fx, 0, FX_XMM + 256);
		fx[FX_FCW] = 0x7f, fx[FX_FCW + 1] = 0x03;      /* FNINIT's FCW */
		fx[FX_MXCSR] = 0x80, fx[FX_MXCSR + 1] = 0x1f;  /* reset MXCSR */
	}
	if (regno >= GR_ST0 && regno < GR_FCTRL) {
		memcpy(out, fx + FX_ST + 16 * (regno - GR_ST0), 10);
		return 10;
	}
	if (regno >= GR_XMM0 && regno < GR_MXCSR) {
		memcpy(out, fx + FX_XMM + 16 * (regno - GR_XMM0), 16);
		return 16;
	}
	switch (regno) {
	case GR_FCTRL: v = fx[FX_FCW] | fx[FX_FCW + 1] << 8; break;
	case GR_FSTAT: v = fx[FX_FSW] | fx[FX_FSW + 1] << 8; break;
	case GR_FTAG:  v = full_ftag(fx); break;
	case GR_FISEG: case GR_FOSEG: v = 0; break;      /* 64-bit format: no selectors */
	case GR_FIOFF: memcpy(&v, fx + FX_FIP, 4); break;
	case GR_FOOFF: memcpy(&v, fx + FX_FDP, 4); break;
	case GR_FOP:   v = (fx[FX_FOP] | fx[FX_FOP + 1] << 8) & 0x7ff; break;
	case GR_MXCSR: memcpy(&v, fx + FX_MXCSR, 4); break;
	}
	memcpy(out, &v, 4);
	return 4;
}

/* Write one FPU register: read the image, change it, give it back. */
static int fpu_reg_write(struct vm *vm, int regno, const u8 *in)
{
	u8 *fx = vm->gdb->fpu;
	int n = fpu_get(vm);
	u32 v;

	if (!n)
		return -1;                      /* no context holds the state yet */
	memcpy(&v, in, 4);
	if (regno >= GR_ST0 && regno < GR_FCTRL)
		memcpy(fx + FX_ST + 16 * (regno - GR_ST0), in, 10);
	else if (regno >= GR_XMM0 && regno < GR_MXCSR)
		memcpy(fx + FX_XMM + 16 * (regno - GR_XMM0), in, 16);
	else
		switch (regno) {
		case GR_FCTRL: fx[FX_FCW] = (u8)v; fx[FX_FCW + 1] = (u8)(v >> 8); break;
		case GR_FSTAT: fx[FX_FSW] = (u8)v; fx[FX_FSW + 1] = (u8)(v >> 8); break;
		case GR_FTAG:
			fx[FX_FTW] = 0;
			for (unsigned i = 0; i < 8; i++)
				if (((v >> (2 * i)) & 3) != 3)
					fx[FX_FTW] |= (u8)(1u << i);
			break;
		case GR_FIOFF: memcpy(fx + FX_FIP, &v, 4); break;
		case GR_FOOFF: memcpy(fx + FX_FDP, &v, 4); break;
		case GR_FOP:   fx[FX_FOP] = (u8)v; fx[FX_FOP + 1] = (u8)((v >> 8) & 7); break;
		case GR_MXCSR: memcpy(fx + FX_MXCSR, &v, 4); break;
		default:       return v == 0 ? 0 : -1;         /* fiseg, foseg */
		}
	fx[FX_XSTATE_BV] |= 3;                  /* x87 and SSE come from the image */
	return host_set_fpu(vm->shadow.fpu->pid, fx, (size_t)n) < 0 ? -1 : 0;
}

int gdb_reg_read(struct vm *vm, int regno, u8 *out)
{
	const struct vcpu *v = &vm->vcpu;
	int size = gdb_reg_size(regno);
	u64 x;

	if (size < 0)
		return -1;
	if (regno < 16)
		x = v->gpr[gpr_of[regno]];
	else if (regno == GR_RIP)
		x = v->rip;
	else if (regno == GR_EFLAGS)
		x = v->rflags;
	else if (regno >= GR_CS && regno < GR_ST0)
		x = v->seg[seg_of[regno - GR_CS]];
	else if (regno < GR_FS_BASE)
		return fpu_reg_read(vm, regno, out);
	else
		switch (regno) {
		case GR_FS_BASE:   x = v->fs_base; break;
		case GR_GS_BASE:   x = v->gs_base; break;
		case GR_K_GS_BASE: x = v->kernel_gs_base; break;
		case GR_CR0:       x = v->cr0; break;
		case GR_CR2:       x = v->cr2; break;
		case GR_CR3:       x = v->cr3; break;
		case GR_CR4:       x = v->cr4; break;
		case GR_CR8:       x = v->tpr; break;
		default:           x = v->efer; break;
		}
	memcpy(out, &x, (size_t)size);             /* little-endian, as gdb wants */
	return size;
}

/* RFLAGS bits a debugger may set: the status flags, TF, IF, DF, IOPL,
 * NT, RF, AC, ID (no VM: there is no virtual-8086 mode here). */
#define GDB_RFLAGS_WRITABLE (X86_RFLAGS_CF | X86_RFLAGS_PF | X86_RFLAGS_AF | X86_RFLAGS_ZF | \
	X86_RFLAGS_SF | X86_RFLAGS_TF | X86_RFLAGS_IF | X86_RFLAGS_DF | X86_RFLAGS_OF | \
	X86_RFLAGS_IOPL | X86_RFLAGS_NT | X86_RFLAGS_RF | X86_RFLAGS_AC | X86_RFLAGS_ID)

int gdb_reg_write(struct vm *vm, int regno, const u8 *in)
{
	struct vcpu *v = &vm->vcpu;
	int size = gdb_reg_size(regno);
	u64 x = 0;

	if (size < 0)
		return -1;
	if (regno >= GR_ST0 && regno < GR_FS_BASE)
		return fpu_reg_write(vm, regno, in);
	memcpy(&x, in, (size_t)size);
	if (regno < 16) {
		v->gpr[gpr_of[regno]] = x;
		return 0;
	}
	switch (regno) {
	case GR_RIP:
		v->rip = x;
		return 0;
	case GR_EFLAGS:
		v->rflags = (x & GDB_RFLAGS_WRITABLE) | X86_RFLAGS_FIXED;
		return 0;
	case GR_FS_BASE:   v->fs_base = x; return 0;
	case GR_GS_BASE:   v->gs_base = x; return 0;
	case GR_K_GS_BASE: v->kernel_gs_base = x; return 0;
	case GR_CR2:       v->cr2 = x; return 0;
	case GR_CR8:
		if (x > 15)
			return -1;
		v->tpr = (u8)x;
		return 0;
	}
	/* Selectors, CR0, CR3, CR4, EFER: the CPL, the shadow and the
	 * emulator's checks hang on them; only their present value. */
	u8 now[8];
	gdb_reg_read(vm, regno, now);
	return memcmp(now, in, (size_t)size) ? -1 : 0;
}

/* ---- (ii) memory ---- */

/* The GPA of guest-virtual 'va' for the debugger (present is enough), or
 * -1.  Never outside guest RAM. */
static s64 gdb_translate(struct vm *vm, u64 va, struct gwalk *w)
{
	const struct vcpu *v = &vm->vcpu;

	if (!(v->cr0 & X86_CR0_PG)) {
		w->gpa = va;
		w->user = false;
		return va < vm->ram_size ? (s64)va : -1;
	}
	if (!X86_CANONICAL(va) ||
	    shadow_walk(vm->ram, vm->ram_size, v->cr0, v->cr3, v->efer, va, EMU_READ_SYS, 0,
			false, w) != 0 ||
	    w->gpa >= vm->ram_size)
		return -1;
	return (s64)w->gpa;
}

size_t gdb_mem_read(struct vm *vm, u64 va, u8 *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		struct gwalk w;
		s64 gpa = gdb_translate(vm, va + done, &w);
		size_t n = 4096 - ((va + done) & 4095);

		if (gpa < 0)
			break;
		if (n > len - done)
			n = len - done;
		memcpy(buf + done, vm->ram + gpa, n);
		done += n;
	}
	return done;
}

int gdb_mem_write(struct vm *vm, u64 va, const u8 *buf, size_t len)
{
	struct gwalk w;

	for (u64 p = va & ~0xfffull; p < va + len; p += 4096)
		if (gdb_translate(vm, p < va ? va : p, &w) < 0)
			return -1;
	for (size_t done = 0; done < len; ) {
		size_t n = 4096 - ((va + done) & 4095);
		if (n > len - done)
			n = len - done;
		vm_write_ram(vm, (u64)gdb_translate(vm, va + done, &w), buf + done, (unsigned)n);
		done += n;
	}
	return 0;
}

/* ---- (iii) breakpoints ---- */

/* Put the INT3 of breakpoint va in the copy kernel contexts execute,
 * making the copy first if the page has none.  0, or -1 if va is not
 * mapped guest kernel code or no copy can be made. */
static int bp_arm(struct vm *vm, u64 va)
{
	struct shadow *sh = &vm->shadow;
	struct gwalk w;
	s64 gpa = gdb_translate(vm, va, &w);

	if (gpa < 0 || w.user || !sh->copy)
		return -1;
	u64 page = (u64)gpa & ~0xfffull;
	if (vm->opt.patch && !shadow_scanned(sh, page))
		vm_patch_scan(vm, va, &w);      /* so the copy carries its patches too */
	if (!shadow_has_copy(sh, page) &&
	    shadow_add_copy(sh, page, va, vm->ram + page, NULL, 0) < 0)
		return -1;
	u8 *copy = shadow_copy_bytes(sh, page);
	if (!copy)
		return -1;
	copy[va & 0xfff] = 0xcc;
	return 0;
}

/* Take breakpoint va's INT3 out of the copy: back to the original byte,
 * or to the INT3 of a patched silent-fail instruction starting there. */
static void bp_disarm(struct vm *vm, u64 va)
{
	struct gwalk w;
	s64 gpa = gdb_translate(vm, va, &w);
	u8 *copy = gpa < 0 ? NULL : shadow_copy_bytes(&vm->shadow, (u64)gpa);

	if (copy)
		copy[va & 0xfff] = shadow_site(&vm->shadow, (u64)gpa, va) ? 0xcc : vm->ram[gpa];
}

static struct gdb_bp *bp_find(struct gdb *g, u64 va)
{
	for (int i = 0; i < GDB_MAX_BPS; i++)
		if (g->bp[i].used && g->bp[i].va == va)
			return &g->bp[i];
	return NULL;
}

int gdb_bp_insert(struct vm *vm, u64 va)
{
	struct gdb *g = vm->gdb;
	struct gdb_bp *b = bp_find(g, va);

	for (int i = 0; !b && i < GDB_MAX_BPS; i++)
		if (!g->bp[i].used)
			b = &g->bp[i];
	if (!b || bp_arm(vm, va) < 0)
		return -1;
	*b = (struct gdb_bp){ .used = true, .va = va };
	return 0;
}

int gdb_bp_remove(struct vm *vm, u64 va)
{
	struct gdb_bp *b = bp_find(vm->gdb, va);

	if (!b)
		return -1;
	b->used = false;
	bp_disarm(vm, va);
	return 0;
}

void gdb_bp_rearm(struct vm *vm)
{
	for (int i = 0; i < GDB_MAX_BPS; i++)
		if (vm->gdb->bp[i].used)
			bp_arm(vm, vm->gdb->bp[i].va);
}

bool gdb_bp_hit(struct vm *vm)
{
	struct vcpu *v = &vm->vcpu;

	if (v->cpl != 0 || !bp_find(vm->gdb, v->rip - 1))
		return false;
	v->rip--;                               /* on the breakpoint, as gdb expects */
	vm->gdb->stop_pending = true;
	vm->gdb->stop_sig = GDB_SIGTRAP;
	return true;
}

/* ---- (iv) watchpoints ---- */

static struct gdb_watch *watch_find(struct gdb *g, u64 va, u64 len)
{
	for (int i = 0; i < GDB_MAX_WATCH; i++)
		if (g->watch[i].used && g->watch[i].va == va && g->watch[i].len == len)
			return &g->watch[i];
	return NULL;
}

int gdb_watch_insert(struct vm *vm, u64 va, u64 len)
{
	struct gdb *g = vm->gdb;
	struct gdb_watch w = { .used = true, .va = va, .len = len }, *slot = NULL;
	struct gwalk gw;

	if (!len || len > GDB_WATCH_MAX_LEN || va + len < va)
		return -1;
	for (int i = 0; !slot && i < GDB_MAX_WATCH; i++)
		if (!g->watch[i].used)
			slot = &g->watch[i];
	if (!slot)
		return -1;
	for (u64 p = va & ~0xfffull; p < va + len; p += 4096) {
		s64 gpa = gdb_translate(vm, p < va ? va : p, &gw);
		if (gpa < 0)
			return -1;
		w.gpa[w.npages++] = (u64)gpa & ~0xfffull;
	}
	for (int i = 0; i < w.npages; i++)
		if (shadow_watch(&vm->shadow, w.gpa[i], 1) < 0) {
			while (i--)
				shadow_watch(&vm->shadow, w.gpa[i], -1);
			return -1;
		}
	*slot = w;
	return 0;
}

int gdb_watch_remove(struct vm *vm, u64 va, u64 len)
{
	struct gdb_watch *w = watch_find(vm->gdb, va, len);

	if (!w)
		return -1;
	for (int i = 0; i < w->npages; i++)
		shadow_watch(&vm->shadow, w->gpa[i], -1);
	w->used = false;
	return 0;
}

/* A write to [la, la + len) reached a watched range: stop after it. */
static void watch_fired(struct gdb *g, const struct gdb_watch *w)
{
	if (g->watch_hit_set)
		return;
	g->watch_hit = w->va;
	g->watch_hit_set = true;
	g->stop_pending = true;
	g->stop_sig = GDB_SIGTRAP;
}

void gdb_watch_write(struct vm *vm, u64 la, unsigned len)
{
	struct gdb *g = vm->gdb;

	for (int i = 0; i < GDB_MAX_WATCH; i++) {
		struct gdb_watch *w = &g->watch[i];
		if (w->used && la < w->va + w->len && w->va < la + len)
			watch_fired(g, w);
	}
}

/* The bytes of every watch, one after another in slot order, read by
 * their virtual addresses (what an instruction may have changed). */
static void watch_snapshot(struct vm *vm, u8 *buf)
{
	for (int i = 0, at = 0; i < GDB_MAX_WATCH && at < 2 * GDB_WATCH_MAX_LEN; i++) {
		struct gdb_watch *w = &vm->gdb->watch[i];
		if (!w->used)
			continue;
		u64 n = w->len;
		if (n > 2 * GDB_WATCH_MAX_LEN - (u64)at)
			n = 2 * GDB_WATCH_MAX_LEN - (u64)at;
		gdb_mem_read(vm, w->va, buf + at, n);
		at += (int)n;
	}
}

int gdb_watch_suspend(struct vm *vm, u64 gpa)
{
	struct gdb *g = vm->gdb;
	int n = shadow_watched(&vm->shadow, gpa);

	if (!n || g->suspended)
		return 0;
	watch_snapshot(vm, g->snapshot);
	g->suspended = true;
	g->suspended_gpa = gpa & ~0xfffull;
	g->suspended_count = n;
	g->suspended_stops = vm->stops;
	return shadow_watch(&vm->shadow, gpa, -n);
}

/* After the single-stepped instruction: the page is watched again, and a
 * watch whose bytes changed fired. */
static void watch_resume(struct vm *vm)
{
	static u8 now[2 * GDB_WATCH_MAX_LEN];
	struct gdb *g = vm->gdb;
	int at = 0;

	g->suspended = false;
	if (shadow_watch(&vm->shadow, g->suspended_gpa, g->suspended_count) < 0)
		return;
	watch_snapshot(vm, now);
	for (int i = 0; i < GDB_MAX_WATCH && at < 2 * GDB_WATCH_MAX_LEN; i++) {
		struct gdb_watch *w = &g->watch[i];
		if (!w->used)
			continue;
		u64 n = w->len;
		if (n > 2 * GDB_WATCH_MAX_LEN - (u64)at)
			n = 2 * GDB_WATCH_MAX_LEN - (u64)at;
		if (memcmp(now + at, g->snapshot + at, n))
			watch_fired(g, w);
		at += (int)n;
	}
}

void gdb_watch_poll(struct vm *vm)
{
	struct gdb *g = vm->gdb;

	if (g->suspended && vm->stops > g->suspended_stops)
		watch_resume(vm);
}

void gdb_target_clear(struct vm *vm)
{
	struct gdb *g = vm->gdb;

	for (int i = 0; i < GDB_MAX_BPS; i++)
		if (g->bp[i].used)
			gdb_bp_remove(vm, g->bp[i].va);
	for (int i = 0; i < GDB_MAX_WATCH; i++)
		if (g->watch[i].used)
			gdb_watch_remove(vm, g->watch[i].va, g->watch[i].len);
}

/* ---- (v) the walk of an address ---- */

static void pte_flags(u64 e, char *s)
{
	sprintf(s, "%s%s%s%s%s%s%s%s", e & PTE_P ? "P" : "-", e & PTE_W ? " W" : " -",
		e & PTE_U ? " U" : " S", e & PTE_A ? " A" : "", e & PTE_D ? " D" : "",
		e & PTE_PS ? " PS" : "", e & PTE_G ? " G" : "", e & PTE_NX ? " NX" : "");
}

void gdb_walk_print(struct vm *vm, u64 va, FILE *f)
{
	static const char *const lname[5] = { "", "PTE", "PDE", "PDPTE", "PML4E" };
	const struct vcpu *v = &vm->vcpu;
	u64 table = v->cr3 & PTE_ADDR;
	char fl[40];

	fprintf(f, "%#llx with CR3 %#llx (CPL %u, CR0.WP %d, EFER.NXE %d):\n",
		(unsigned long long)va, (unsigned long long)v->cr3, v->cpl,
		!!(v->cr0 & X86_CR0_WP), !!(v->efer & X86_EFER_NXE));
	if (!X86_CANONICAL(va)) {
		fprintf(f, "  not a canonical address\n");
		return;
	}
	for (int level = 4; level >= 1; level--) {
		unsigned idx = (va >> (12 + 9 * (level - 1))) & 511;
		u64 at = table + idx * 8, e;

		if (at + 8 > vm->ram_size) {
			fprintf(f, "  %-5s table at GPA %#llx lies outside RAM\n", lname[level],
				(unsigned long long)table);
			return;
		}
		memcpy(&e, vm->ram + at, 8);
		pte_flags(e, fl);
		fprintf(f, "  %-5s [%3u] at GPA %#011llx = %#018llx  %s\n", lname[level], idx,
			(unsigned long long)at, (unsigned long long)e, fl);
		if (!(e & PTE_P)) {
			fprintf(f, "  not present: a guest access would #PF\n");
			return;
		}
		if (level == 1 || (level <= 3 && (e & PTE_PS))) {
			u64 size = 1ull << (12 + 9 * (level - 1));
			u64 gpa = (e & PTE_ADDR & ~(size - 1)) | (va & (size - 1));
			fprintf(f, "  -> GPA %#llx (%s page)\n", (unsigned long long)gpa,
				level == 1 ? "4 KiB" : level == 2 ? "2 MiB" : "1 GiB");
			break;
		}
		table = e & PTE_ADDR;
	}
	/* What the shadow holds for it now, in the context of this CR3. */
	for (int i = 0; i < vm->shadow.nctx; i++) {
		const struct context *c = &vm->shadow.ctx[i];
		if (!c->used || (c->cr3 & PTE_ADDR) != (v->cr3 & PTE_ADDR))
			continue;
		u64 s = va >= GUEST_VA_MIN && va < GUEST_VA_END ? shadow_spte(c, va) : 0;
		if (!(s & SPTE_VALID)) {
			fprintf(f, "  shadow: context %d (%s, pid %d) does not map it (yet)\n", c->idx,
				c->user ? "user" : "kernel", c->pid);
			continue;
		}
		fprintf(f, "  shadow: context %d (%s, pid %d) maps it -> GPA %#llx r%c%c%s%s%s\n",
			c->idx, c->user ? "user" : "kernel", c->pid,
			(unsigned long long)(s & PTE_ADDR), s & SPTE_W ? 'w' : '-',
			s & SPTE_X ? 'x' : '-', s & SPTE_PATCHED ? ", the patched copy" : "",
			shadow_tracked(&vm->shadow, s & PTE_ADDR) ? ", write-tracked (a page table, or scanned code)" : "",
			shadow_watched(&vm->shadow, s & PTE_ADDR) ? ", watched" : "");
	}
}
