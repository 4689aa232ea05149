/*
 * fpu.c: the user's FPU registers (x87, SSE, AVX, AVX-512) as the kernel
 * keeps them per process: an XSAVE image of the CPU's size in each
 * process's area (proc.c), saved and loaded with XSAVE/XRSTOR when the
 * paravirtual FPU is off (with it, the monitor moves the state, pv.c).
 * The kernel itself never uses these registers (-mgeneral-regs-only), so
 * in the kernel the live registers are the running process's.
 *
 * fpu_init() finds out, once, before the first program: CPUID.1:ECX.XSAVE
 * says whether XSAVE exists; CR4.OSXSAVE is turned on (so programs see
 * OSXSAVE and may use AVX, as under Linux), XCR0 read back with XGETBV, and
 * CPUID.0xD.0:EBX gives the image's size for that XCR0.  On trapvisor
 * XSAVE, XRSTOR and XGETBV run natively under the host's XCR0, which is
 * also the only XCR0 the vCPU accepts (traps/emu_system.c's XSETBV), so XCR0 is
 * written only on a CPU that comes out of reset with SSE off in it (a
 * real PC, QEMU).  Without XSAVE, the images are FXSAVE's 512 bytes.
 *
 * CPUID: through the hypercall when the paravirtual interface is on;
 * otherwise fpu_cpuid() executes the instruction itself, the one CPUID in
 * the kernel outside the silent-fail demonstration.  It is not silently
 * wrong for this use: unfaulted it reports the host's XSAVE layout, which
 * is the layout XSAVE (native) writes, and with CPUID faulting the virtual
 * CPUID passes those leaves through.
 *
 * Components 17 and 18 (AMX tile data) are never saved or restored by the
 * kernel: a host may arm XFD for them, and XRSTOR of armed state faults.
 * Nor is PKRU (9): this kernel has no protection keys, and a signal frame
 * must not hand a program's PKRU to the host process it runs in.
 */
#include "defs.h"

#define CR4_OSXSAVE      (1ul << 18)
#define CPUID1_ECX_XSAVE (1u << 26)
#define XFEATURE_FP_SSE  0x3ul
#define XFEATURE_AVX     0x4ul
#define XFEATURE_PKRU    (1ul << 9)
#define XFEATURE_AMX     ((1ul << 17) | (1ul << 18))
#define XSAVE_HDR_SIZE   (512 + 64)     /* the legacy area and the header */

static struct {
	bool xsave;               /* images are XSAVE's (else FXSAVE's) */
	u32 size;                 /* bytes of an image */
	u64 xcr0;                 /* XCR0: the components the layout holds */
	u64 mask;                 /* XCR0 without AMX and PKRU: what the kernel moves */
	u32 mxcsr_mask;           /* MXCSR bits that may be set */
} fpu = { .size = 512, .xcr0 = XFEATURE_FP_SSE, .mask = XFEATURE_FP_SSE, .mxcsr_mask = 0xffbf };

/* CPUID leaf/subleaf into r[4] (EAX, EBX, ECX, EDX): see the top. */
static __attribute__((noinline)) void fpu_cpuid(u32 leaf, u32 subleaf, u32 r[4])
{
	if (pv_on) {
		pv_cpuid(leaf, subleaf, r);
		return;
	}
	asm volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(subleaf));
}

/* XGETBV (unprivileged; it runs natively and reads the XCR0 that XSAVE uses). */
static u64 xgetbv0(void)
{
	u32 lo, hi;

	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((u64)hi << 32) | lo;
}

void fpu_init(void)
{
	static u8 fx[512] __attribute__((aligned(16)));
	u32 r[4];
	u32 mask;

	fpu_cpuid(1, 0, r);
	if (pv_fpu || (r[2] & CPUID1_ECX_XSAVE)) {
		u64 cr4 = rcr4();
		if (!(cr4 & CR4_OSXSAVE))
			lcr4(cr4 | CR4_OSXSAVE);
		fpu.xcr0 = xgetbv0();
		if ((fpu.xcr0 & XFEATURE_FP_SSE) != XFEATURE_FP_SSE) {
			fpu_cpuid(0xd, 0, r);
			fpu.xcr0 = r[0] & (XFEATURE_FP_SSE | XFEATURE_AVX);
			xsetbv0(fpu.xcr0);
		}
		fpu_cpuid(0xd, 0, r);
		fpu.size = pv_fpu ? pv_fpu_size() : r[1];
		fpu.xsave = fpu.size >= XSAVE_HDR_SIZE && fpu.size <= PV_FPU_AREA_MAX;
	}
	if (!fpu.xsave) {
		fpu.size = 512;
		fpu.xcr0 = XFEATURE_FP_SSE;
	}
	fpu.mask = fpu.xcr0 & ~(XFEATURE_AMX | XFEATURE_PKRU);
	/* MXCSR_MASK (bytes 28-31 of an FXSAVE image; 0 means 0xffbf): a
	 * constant of the CPU, read without using the registers. */
	asm volatile("fxsave64 %0" : "=m"(fx));
	mask = *(u32 *)(fx + 28);
	fpu.mxcsr_mask = mask ? mask : 0xffbf;
	kprintf("fpu: %s, %u-byte images, XCR0 0x%lx\n", fpu.xsave ? "XSAVE" : "FXSAVE",
		fpu.size, fpu.xcr0);
}

bool fpu_xsave(void)
{
	return fpu.xsave;
}

u32 fpu_size(void)
{
	return fpu.size;
}

u64 fpu_xcr0(void)
{
	return fpu.xcr0;
}

u64 fpu_restorable(void)
{
	return fpu.mask;
}

u32 fpu_mxcsr_mask(void)
{
	return fpu.mxcsr_mask;
}

/* The live registers into area (64-byte aligned, fpu_size() bytes). */
void fpu_store(void *area)
{
	if (fpu.xsave)
		asm volatile("xsave64 (%0)" : : "r"(area), "a"((u32)fpu.mask), "d"((u32)(fpu.mask >> 32))
			     : "memory");
	else
		asm volatile("fxsave64 (%0)" : : "r"(area) : "memory");
}

/* area into the live registers; a component whose XSTATE_BV bit is clear
 * gets its initial state. */
void fpu_load(const void *area)
{
	if (fpu.xsave)
		asm volatile("xrstor64 (%0)" : : "r"(area), "a"((u32)fpu.mask), "d"((u32)(fpu.mask >> 32))
			     : "memory");
	else
		asm volatile("fxrstor64 (%0)" : : "r"(area) : "memory");
}
