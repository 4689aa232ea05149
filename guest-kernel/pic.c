/*
 * pic.c: the 8259A interrupt controller pair.  The kernel takes no
 * interrupts yet, but user mode runs with IF=1, so the PICs are put in a
 * known state: IRQs 0-15 moved to vectors 32-47 (the power-on mapping of IRQ
 * 0-7 to vectors 8-15 would collide with CPU exceptions) and all masked.
 */
#include <trapvisor/boot.h>

#include "defs.h"

#define PIC_CMD(base)   (base)
#define PIC_DATA(base)  ((base) + 1)
#define PIC_ICW1_INIT   0x11    /* edge triggered, cascade, ICW4 follows */
#define PIC_ICW4_8086   0x01
#define PIC_OCW2_EOI    0x20    /* non-specific end of interrupt */
#define PIC_VECTOR_BASE 32      /* IRQ n arrives as vector 32 + n */

void pic_init(void)
{
	outb(PIC_CMD(PORT_PIC_MASTER), PIC_ICW1_INIT);
	outb(PIC_CMD(PORT_PIC_SLAVE), PIC_ICW1_INIT);
	outb(PIC_DATA(PORT_PIC_MASTER), PIC_VECTOR_BASE);       /* ICW2: vector base */
	outb(PIC_DATA(PORT_PIC_SLAVE), PIC_VECTOR_BASE + 8);
	outb(PIC_DATA(PORT_PIC_MASTER), 1 << 2);                /* ICW3: slave on IRQ 2 */
	outb(PIC_DATA(PORT_PIC_SLAVE), 2);                      /* ICW3: its cascade id */
	outb(PIC_DATA(PORT_PIC_MASTER), PIC_ICW4_8086);
	outb(PIC_DATA(PORT_PIC_SLAVE), PIC_ICW4_8086);
	outb(PIC_DATA(PORT_PIC_MASTER), 0xff);                  /* OCW1: mask everything */
	outb(PIC_DATA(PORT_PIC_SLAVE), 0xff);
}

/* Acknowledge an interrupt that arrived as the given vector, if a PIC's. */
void pic_eoi(unsigned vector)
{
	if (vector < PIC_VECTOR_BASE || vector >= PIC_VECTOR_BASE + 16)
		return;
	if (vector >= PIC_VECTOR_BASE + 8)
		outb(PIC_CMD(PORT_PIC_SLAVE), PIC_OCW2_EOI);
	outb(PIC_CMD(PORT_PIC_MASTER), PIC_OCW2_EOI);
}
