/*
 * traps/cpuid.c: the virtual CPUID.
 *
 * The guest's CPUID traps (ARCH_SET_CPUID) and is answered here from the
 * host's CPUID, with every feature hidden that this vCPU cannot honour: a
 * feature the guest sees must be one whose enable bit (CR4, EFER) the
 * emulator accepts, or whose instructions run or are emulated correctly.
 * Hidden, by leaf (SDM Vol. 2 CPUID):
 *   1     ECX: MONITOR(3, MONITOR/MWAIT are not emulated), VMX(5), SMX(6),
 *              PCID(17), x2APIC(21), TSC-deadline(24);  EDX: VME(1),
 *              APIC(9) (the platform has a PIC only, no local APIC).
 *              ECX bit 31 (hypervisor present) is set.
 *   7.0   EBX: SGX(2), SMEP(7), INVPCID(10), SMAP(20);  ECX: UMIP(2), PKU(3),
 *              OSPKE(4), CET_SS(7), KL(23), LA57(16), PKS(31);
 *         EDX: UINTR(5), CET_IBT(20).
 *   7.1   EAX: FRED(17), LKGS(18), LAM(26).
 *   0xD.0 EAX/EDX: every XCR0 bit the host's own XCR0 lacks (XSETBV).
 *   0xD.1 EAX: XSAVES(3) (XSAVES/XRSTORS are CPL-0 only, not emulated).
 *   0x80000001 ECX: SVM(2).
 *   0x80000008 EBX: INVLPGB(3) (INVLPGB/TLBSYNC are #UD, emu_system.c).
 * The IDs that name the host CPU the monitor happens to run on (leaf 1's
 * initial APIC ID, 0xB/0x1F's x2APIC ID, 0x8000001E's extended APIC,
 * compute unit and node IDs) are 0: the one vCPU keeps them wherever
 * placement moves it (monitor/place.c).
 * Leaf 0x40000000 returns the hypervisor signature, and the rest of the
 * hypervisor range is empty (the host's own hypervisor, KVM under
 * Firecracker here, must not show through).
 */
#include <cpuid.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "traps.h"

#define BIT(n) (1u << (n))

/*
 * The host's answers, frozen (vcpu_cpuid_freeze()) before the vCPU thread
 * takes CPUID faulting and may run CPUID no more (host_time.h).  Leaves
 * 0..CPUID_LEAVES-1 of the basic and of the extended range; every subleaf
 * up to CPUID_SUBLEAVES-1 of the leaves that have subleaves (SDM Vol. 2
 * CPUID, and AMD's 0x8000001D/20/26), subleaf 0 of the others, which
 * ignore ECX.
 */
#define CPUID_LEAVES 64
#define CPUID_SUBLEAVES 64
struct cpuid_table {
	u32 max[2];              /* highest basic and extended leaf (cached ones) */
	bool intel;              /* beyond the highest leaf: Intel repeats it, AMD gives 0 */
	u64 xcr0;                /* host_xcr0() */
	u32 r[2][CPUID_LEAVES][CPUID_SUBLEAVES][4];
};
static struct cpuid_table *frozen;

static bool has_subleaves(u32 leaf)
{
	static const u32 with[] = { 4, 7, 0xb, 0xd, 0xf, 0x10, 0x12, 0x14, 0x17, 0x18,
				    0x1a, 0x1b, 0x1d, 0x1e, 0x1f, 0x20, 0x23, 0x24,
				    0x8000001d, 0x80000020, 0x80000026 };
	for (size_t i = 0; i < sizeof(with) / sizeof(with[0]); i++)
		if (with[i] == leaf)
			return true;
	return false;
}

static void host_cpuid(u32 leaf, u32 subleaf, u32 out[4])
{
	if (!frozen) {
		__cpuid_count(leaf, subleaf, out[0], out[1], out[2], out[3]);
		return;
	}
	int range = leaf >= 0x80000000u;
	u32 i = leaf - (range ? 0x80000000u : 0);
	if (i > frozen->max[range]) {
		/* Beyond the highest leaf of its range: Intel answers its
		 * highest basic leaf, AMD all zeros. */
		if (!frozen->intel) {
			memset(out, 0, 4 * sizeof(u32));
			return;
		}
		range = 0;
		leaf = i = frozen->max[0];
	}
	if (!has_subleaves(leaf))
		subleaf = 0;
	if (subleaf >= CPUID_SUBLEAVES) {        /* past every subleaf a CPU has */
		memset(out, 0, 4 * sizeof(u32));
		return;
	}
	memcpy(out, frozen->r[range][i][subleaf], 4 * sizeof(u32));
}

static u64 read_xcr0(void)
{
	u32 lo, hi, r[4];

	host_cpuid(1, 0, r);
	if (!(r[2] & BIT(27)))              /* OSXSAVE: the host enabled XSAVE */
		return 0;
	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((u64)hi << 32) | lo;
}

u64 host_xcr0(void)
{
	return frozen ? frozen->xcr0 : read_xcr0();
}

int vcpu_cpuid_freeze(void)
{
	if (frozen)
		return 0;
	struct cpuid_table *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (int range = 0; range < 2; range++) {
		u32 base = range ? 0x80000000u : 0, r[4];
		__cpuid_count(base, 0, r[0], r[1], r[2], r[3]);
		if (range == 0)
			t->intel = !memcmp(&r[1], "Genu", 4) && !memcmp(&r[3], "ineI", 4);
		u32 n = r[0] >= base ? r[0] - base : 0;
		t->max[range] = n < CPUID_LEAVES ? n : CPUID_LEAVES - 1;
		for (u32 i = 0; i <= t->max[range]; i++) {
			u32 nsub = has_subleaves(base + i) ? CPUID_SUBLEAVES : 1;
			for (u32 s = 0; s < nsub; s++) {
				u32 *o = t->r[range][i][s];
				__cpuid_count(base + i, s, o[0], o[1], o[2], o[3]);
			}
		}
	}
	t->xcr0 = read_xcr0();
	frozen = t;
	return 0;
}

void vcpu_cpuid(u32 leaf, u32 subleaf, u32 out[4])
{
	unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;

	if (leaf >= 0x40000000 && leaf <= 0x400000ff) {
		memset(out, 0, 4 * sizeof(u32));
		if (leaf == 0x40000000) {
			out[0] = 0x40000000;         /* highest hypervisor leaf */
			memcpy(&out[1], TRAPVISOR_CPUID_SIGNATURE, 12);
		}
		return;
	}
	u32 r[4];
	host_cpuid(leaf, subleaf, r);
	eax = r[0], ebx = r[1], ecx = r[2], edx = r[3];
	switch (leaf) {
	case 1:
		ebx &= 0x00ffffff;              /* initial APIC ID: the one vCPU is 0 */
		ecx &= ~(BIT(3) | BIT(5) | BIT(6) | BIT(17) | BIT(21) | BIT(24));
		ecx |= BIT(31);
		edx &= ~(BIT(1) | BIT(9));
		break;
	case 7:
		if (subleaf == 0) {
			ebx &= ~(BIT(2) | BIT(7) | BIT(10) | BIT(20));
			ecx &= ~(BIT(2) | BIT(3) | BIT(4) | BIT(7) | BIT(16) |
				 BIT(23) | BIT(31));
			edx &= ~(BIT(5) | BIT(20));
		} else if (subleaf == 1) {
			eax &= ~(BIT(17) | BIT(18) | BIT(26));
		}
		break;
	case 0xd:
		if (subleaf == 0) {
			/* The XCR0 bits the guest may set: exactly the host's
			 * (XSETBV, emu_system.c). */
			u64 xcr0 = host_xcr0();
			eax &= (u32)xcr0;
			edx &= (u32)(xcr0 >> 32);
		} else if (subleaf == 1) {
			eax &= ~BIT(3);
		}
		break;
	case 0xb:
	case 0x1f:
		edx = 0;                        /* x2APIC ID */
		break;
	case 0x8000001e:
		eax = 0;                        /* extended APIC ID */
		ebx &= ~0xffu;                  /* compute unit ID */
		ecx &= ~0xffu;                  /* node ID */
		break;
	case 0x80000001:
		ecx &= ~BIT(2);
		break;
	case 0x80000008:
		ebx &= ~BIT(3);
		break;
	}
	out[0] = eax;
	out[1] = ebx;
	out[2] = ecx;
	out[3] = edx;
}
