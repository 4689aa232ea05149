/*
 * pv.c: the paravirtual interface, the second fix for the silent-fail
 * instructions (docs/silent-fail.md).  When boot_info says the monitor
 * serves hypercalls (and the command line does not say "nopv"), the kernel
 * registers a shared per-vCPU page (struct pv_vcpu, boot.h).  From then on
 * its 'vif' field is the interrupt flag: masking interrupts is a plain
 * memory write, no trap, and no PUSHF/POPF is needed to save and restore
 * the state.  Unmasking makes one hypercall only when the monitor has
 * flagged an interrupt as pending.  Under hardware (QEMU) the feature bit
 * is clear and nothing here is used.
 */
#include <trapvisor/boot.h>

#include "defs.h"

/* The image is linked at its physical address + 0x7f0000000000 (kernel.ld). */
#define IMAGE_VIRT_TO_PHYS 0x7f0000000000ull

static struct pv_vcpu pv_page __attribute__((aligned(4096)));
bool pv_on;

static long hypercall1(long nr, long a0)
{
	long r;
	asm volatile("vmcall" : "=a"(r) : "a"(nr), "D"(a0) : "memory");
	return r;
}

void pv_init(u64 features, bool forbidden)
{
	if (!(features & BOOT_FEATURE_HYPERCALL) || forbidden)
		return;
	if (hypercall1(HC_PV_REGISTER, (u64)&pv_page - IMAGE_VIRT_TO_PHYS) == 0)
		pv_on = true;
}

/* The irq-save idiom without PUSHF/POPF: returns the old state. */
u32 pv_irq_save(void)
{
	u32 flags = pv_page.vif;
	pv_page.vif = 0;
	return flags;
}

void pv_irq_restore(u32 flags)
{
	pv_page.vif = flags;
	/* An interrupt arrived while masked: let the monitor deliver it. */
	if (flags && pv_page.pending)
		hypercall1(HC_IRQ_WINDOW, 0);
}
