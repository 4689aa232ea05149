/*
 * pic.c: the 8259A interrupt controller pair, as a PC has it: the slave
 * cascaded on the master's IRQ 2, IRQs 0-15 moved to vectors 32-47 (the
 * power-on mapping of IRQ 0-7 to vectors 8-15 would collide with CPU
 * exceptions), edge triggered, 8086 mode, non-specific EOI.  Only the lines
 * with a driver are unmasked: 0 (PIT), 2 (the cascade) and 4 (COM1).
 *
 * A PIC that sees a request vanish before the CPU acknowledges it still
 * delivers a vector, its lowest priority one: IRQ 7 on the master, IRQ 15 on
 * the slave.  Such a spurious interrupt has no bit in the in-service
 * register, and must not get an EOI from that PIC: the EOI would end some
 * other, real interrupt still in service.  (A spurious IRQ 15 did go
 * through the master's IRQ 2, which is in service and needs its EOI.)
 */
#include <trapvisor/boot.h>

#include "defs.h"

#define PIC_CMD(base)   (base)
#define PIC_DATA(base)  ((base) + 1)
#define PIC_ICW1_INIT   0x11    /* edge triggered, cascade, ICW4 follows */
#define PIC_ICW4_8086   0x01
#define PIC_OCW2_EOI    0x20    /* non-specific end of interrupt */
#define PIC_OCW3_READ_ISR 0x0b  /* the next read of the command port gives ISR */
#define PIC_CASCADE_IRQ 2

/* IRQ lines with a driver (trap.c); all others stay masked. */
#define PIC_UNMASKED ((1u << IRQ_TIMER) | (1u << PIC_CASCADE_IRQ) | (1u << IRQ_COM1))

static u64 spurious;          /* spurious IRQ 7 and 15 seen, for debugging */

void pic_init(void)
{
	outb(PIC_CMD(PORT_PIC_MASTER), PIC_ICW1_INIT);
	outb(PIC_CMD(PORT_PIC_SLAVE), PIC_ICW1_INIT);
	outb(PIC_DATA(PORT_PIC_MASTER), IRQ_VECTOR_BASE);       /* ICW2: vector base */
	outb(PIC_DATA(PORT_PIC_SLAVE), IRQ_VECTOR_BASE + 8);
	outb(PIC_DATA(PORT_PIC_MASTER), 1 << PIC_CASCADE_IRQ);  /* ICW3: slave on IRQ 2 */
	outb(PIC_DATA(PORT_PIC_SLAVE), PIC_CASCADE_IRQ);        /* ICW3: its cascade id */
	outb(PIC_DATA(PORT_PIC_MASTER), PIC_ICW4_8086);
	outb(PIC_DATA(PORT_PIC_SLAVE), PIC_ICW4_8086);
	outb(PIC_DATA(PORT_PIC_MASTER), 0xff);                  /* OCW1: mask everything */
	outb(PIC_DATA(PORT_PIC_SLAVE), 0xff);                   /* until pic_enable() */
}

/* Unmask the lines that have a driver, once the drivers are set up.  The
 * kernel runs with IF=0, so nothing arrives before the idle loop or user
 * mode. */
void pic_enable(void)
{
	outb(PIC_DATA(PORT_PIC_MASTER), ~PIC_UNMASKED & 0xff);
	outb(PIC_DATA(PORT_PIC_SLAVE), ~(PIC_UNMASKED >> 8) & 0xff);
}

/*
 * For fuzz.c, after each trial: random code at CPL 0 may have written the
 * PICs' ports, and a masked IRQ 0 would leave the next runaway trial with
 * no timer tick to end it.  If either mask is not what pic_enable() set
 * (an ICW1 also clears it), program both PICs again.  Two port reads when
 * nothing changed.
 */
void pic_restore(void)
{
	if (inb(PIC_DATA(PORT_PIC_MASTER)) == (~PIC_UNMASKED & 0xff) &&
	    inb(PIC_DATA(PORT_PIC_SLAVE)) == (~(PIC_UNMASKED >> 8) & 0xff))
		return;
	pic_init();
	pic_enable();
}

static u8 pic_isr(u16 base)
{
	outb(PIC_CMD(base), PIC_OCW3_READ_ISR);
	return inb(PIC_CMD(base));
}

/*
 * Start handling IRQ irq (0-15): acknowledge it with a non-specific EOI to
 * the PIC(s) it went through, so the line can interrupt again.  Returns
 * false, after the EOIs it does need, if it was spurious and must not be
 * handled.
 */
bool pic_ack(unsigned irq)
{
	if (irq == 7 && !(pic_isr(PORT_PIC_MASTER) & 0x80)) {
		spurious++;
		return false;
	}
	if (irq == 15 && !(pic_isr(PORT_PIC_SLAVE) & 0x80)) {
		spurious++;
		outb(PIC_CMD(PORT_PIC_MASTER), PIC_OCW2_EOI);
		return false;
	}
	if (irq >= 8)
		outb(PIC_CMD(PORT_PIC_SLAVE), PIC_OCW2_EOI);
	outb(PIC_CMD(PORT_PIC_MASTER), PIC_OCW2_EOI);
	return true;
}
