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
 *   0x80000008 EBX: INVLPGB(3) (INVLPGB/TLBSYNC are #UD, emulate.c).
 * Leaf 0x40000000 returns the hypervisor signature, and the rest of the
 * hypervisor range is empty (the host's own hypervisor, KVM under
 * Firecracker here, must not show through).
 */
#include <cpuid.h>
#include <string.h>

#include "traps.h"

#define BIT(n) (1u << (n))

u64 host_xcr0(void)
{
	u32 lo, hi, ecx = 0, eax, ebx, edx;

	__cpuid(1, eax, ebx, ecx, edx);
	if (!(ecx & BIT(27)))               /* OSXSAVE: the host enabled XSAVE */
		return 0;
	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((u64)hi << 32) | lo;
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
	__cpuid_count(leaf, subleaf, eax, ebx, ecx, edx);
	switch (leaf) {
	case 1:
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
			 * (XSETBV, emulate.c). */
			u64 xcr0 = host_xcr0();
			eax &= (u32)xcr0;
			edx &= (u32)(xcr0 >> 32);
		} else if (subleaf == 1) {
			eax &= ~BIT(3);
		}
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
