/*
 * The PC/AT's pair of Intel 8259A programmable interrupt controllers, after
 * the 8259A datasheet (Intel 231468).  The master answers at 0x20-0x21 and
 * drives the CPU's INTR; the slave answers at 0xa0-0xa1 and its INT output
 * is wired to the master's IR2.  Devices move input lines through
 * pic_set_irq(); the vCPU loop asks pic_intr() whether to interrupt and runs
 * the INTA cycle with pic_ack(), which yields the vector.
 *
 * Each chip keeps the datasheet's registers (IRR, ISR, IMR), the
 * initialization sequence ICW1-ICW4, and the operation commands: OCW1 (the
 * mask), OCW2 (EOI, specific EOI, the rotations, set priority) and OCW3
 * (which register base+0 reads, poll, special mask mode).  Inputs are
 * edge-triggered as on the PC/AT (level-triggered if ICW1.LTIM asks), and a
 * request must still be there at INTA: one that went away yields the
 * "default IR7" vector, which is how a guest meets a spurious interrupt.
 *
 * The two INTA pulses of the real cycle are one call here: the master
 * resolves its highest request, and when that is the cascade input the
 * slave supplies the vector in the same call.
 */
#include <string.h>

#include "devices.h"

#define ICW1_IC4   0x01  /* ICW4 follows */
#define ICW1_SNGL  0x02  /* single chip: no ICW3 */
#define ICW1_LTIM  0x08  /* level-triggered inputs */
#define ICW1_INIT  0x10  /* A0=0 and D4=1: this is ICW1 */
#define OCW3_SEL   0x08  /* A0=0, D4=0, D3=1: OCW3; D3=0: OCW2 */
#define OCW3_RIS   0x01  /* read ISR (with RR) */
#define OCW3_RR    0x02  /* RIS is valid */
#define OCW3_P     0x04  /* poll command */
#define OCW3_SMM   0x20  /* special mask mode on (with ESMM) */
#define OCW3_ESMM  0x40  /* SMM is valid */
#define ICW4_AEOI  0x02
#define ICW4_SFNM  0x10
#define PIC_POLL_I 0x80  /* poll word: an interrupt was pending */

/* Rank of 'line' under the current rotation: 0 is the highest priority. */
static int rank(const struct pic_chip *c, int line)
{
	return (line - c->lowest_priority - 1) & 7;
}

/* The highest-priority line among the bits of 'mask', or -1. */
static int highest(const struct pic_chip *c, uint8_t mask)
{
	for (int i = 1; i <= 8; i++) {
		int line = (c->lowest_priority + i) & 7;

		if (mask & (1u << line))
			return line;
	}
	return -1;
}

/* Is 'line' the master's input from the slave, in cascade mode? */
static bool is_cascade(const struct pic_chip *c, bool master, int line)
{
	return master && !c->single && line == PIC_CASCADE_IRQ &&
	       (c->icw3 & (1u << line));
}

/*
 * The request the chip would present at INTA: the highest-priority unmasked
 * IRR bit that outranks every in-service line, or -1 (then INT is low).
 */
static int chip_pending(const struct pic_chip *c, bool master)
{
	int req = highest(c, c->irr & ~c->imr);
	uint8_t blocking = c->isr;
	int srv;

	if (req < 0)
		return -1;
	/* Special mask mode: "a mask bit inhibits interrupts at that level and
	 * enables interrupts from all other levels not masked", so a masked
	 * in-service level no longer holds lower ones back. */
	if (c->special_mask)
		blocking &= ~c->imr;
	srv = highest(c, blocking);
	if (srv < 0 || rank(c, req) < rank(c, srv))
		return req;
	/* Special fully nested mode: a slave in service on the master is not
	 * locked out; its higher-priority requests come through. */
	if (req == srv && c->special_fully_nested && is_cascade(c, master, req))
		return req;
	return -1;
}

/*
 * A new level on one input.  A rising edge sets IRR (any high level does in
 * level mode).  A falling one withdraws a request not yet acknowledged: the
 * datasheet requires the input to "remain high until after the falling edge
 * of the first INTA", else the chip answers with the default IR7.
 */
static void chip_set_input(struct pic_chip *c, int line, int level)
{
	uint8_t bit = (uint8_t)(1u << line);

	if (level) {
		if (c->ltim || !(c->last_level & bit))
			c->irr |= bit;
		c->last_level |= bit;
	} else {
		c->irr &= (uint8_t)~bit;
		c->last_level &= (uint8_t)~bit;
	}
}

/*
 * The slave's INT output into the master's IR2, re-evaluated after anything
 * that changes the slave.  Its rising edge sets the master's IRR bit 2 like
 * any input; its falling edge does not withdraw that request: the master
 * then still picks IR2 at INTA and the slave, finding nothing, answers with
 * its own default IR7 - the spurious IRQ 15 with the master's IR2 in
 * service that the datasheet describes and that Linux's i8259 driver EOIs
 * on the master.
 */
static void pic_update_irq(struct pic *p)
{
	struct pic_chip *m = &p->chip[0];
	uint8_t bit = 1u << PIC_CASCADE_IRQ;
	bool level = chip_pending(&p->chip[1], false) >= 0;

	if (m->single)
		return;                 /* no slave is wired */
	if (level) {
		if (m->ltim || !(m->last_level & bit))
			m->irr |= bit;
		m->last_level |= bit;
	} else {
		if (m->ltim)
			m->irr &= (uint8_t)~bit;
		m->last_level &= (uint8_t)~bit;
	}
}

/* One chip's share of INTA: the line it accepts (IRR -> ISR, or the
 * automatic EOI), or -1 if it has no request. */
static int chip_ack(struct pic_chip *c, bool master)
{
	int line = chip_pending(c, master);
	uint8_t bit;

	if (line < 0)
		return -1;
	bit = (uint8_t)(1u << line);
	/* Edge mode: the request latch is consumed.  Level mode: IRR follows
	 * the input, which is still high. */
	if (!c->ltim)
		c->irr &= (uint8_t)~bit;
	if (!c->auto_eoi)
		c->isr |= bit;
	else if (c->rotate_on_aeoi)
		c->lowest_priority = (uint8_t)line;
	return line;
}

void pic_init(struct pic *p)
{
	memset(p, 0, sizeof(*p));
	/* As a PC BIOS leaves the pair (vectors 0x08 and 0x70, slave on IR2),
	 * but with every input masked: nothing is delivered before the guest
	 * programs the chips. */
	for (int i = 0; i < 2; i++) {
		p->chip[i].imr = 0xff;
		p->chip[i].lowest_priority = 7;
	}
	p->chip[0].vector_base = 0x08;
	p->chip[0].icw3 = 1u << PIC_CASCADE_IRQ;
	p->chip[1].vector_base = 0x70;
	p->chip[1].icw3 = PIC_CASCADE_IRQ;
}

void pic_set_irq(void *pic, int irq, int level)
{
	struct pic *p = pic;

	if (irq < 0 || irq >= PIC_NR_IRQS)
		return;
	/* The PC/AT took the master's IR2 for the slave and routed the ISA
	 * bus's IRQ 2 pin to the slave's IR1 (IRQ 9). */
	if (irq == PIC_CASCADE_IRQ)
		irq = 9;
	chip_set_input(&p->chip[irq >> 3], irq & 7, level);
	pic_update_irq(p);
}

bool pic_intr(const struct pic *p)
{
	return chip_pending(&p->chip[0], true) >= 0;
}

int pic_ack(struct pic *p)
{
	struct pic_chip *m = &p->chip[0], *s = &p->chip[1];
	int line = chip_ack(m, true), sline, vector;

	if (line < 0) {
		/* No request: the default IR7, without setting ISR bit 7. */
		p->spurious++;
		return m->vector_base | 7;
	}
	if (!is_cascade(m, true, line)) {
		p->acked[line]++;
		return m->vector_base | line;
	}
	/* The master put the slave's address on CAS0-2; the slave answers the
	 * second INTA pulse with its vector, or with its default IR7 (IRQ 15)
	 * if its request went away.  The master's IR2 stays in service either
	 * way. */
	sline = chip_ack(s, false);
	if (sline < 0) {
		p->spurious++;
		vector = s->vector_base | 7;
	} else {
		p->acked[8 + sline]++;
		vector = s->vector_base | sline;
	}
	/* The cycle consumed the cascade request: if the slave still has one
	 * (auto-EOI, or a higher request meanwhile) its INT is a new edge. */
	m->last_level &= (uint8_t)~(1u << PIC_CASCADE_IRQ);
	pic_update_irq(p);
	return vector;
}

/* ICW1: start the initialization sequence.  The datasheet lists its side
 * effects: edge sense reset (an input must go low then high again), IMR
 * cleared, IR7 lowest priority, special mask mode off, reads select IRR,
 * and the ICW4 functions zeroed.  IRR and ISR are cleared too, as no request
 * latched before initialization is meaningful after it. */
static void pic_icw1(struct pic_chip *c, uint8_t v)
{
	c->icw4_needed = v & ICW1_IC4;
	c->single = v & ICW1_SNGL;
	c->ltim = v & ICW1_LTIM;
	c->irr = 0;
	c->isr = 0;
	c->imr = 0;
	c->lowest_priority = 7;
	c->special_mask = false;
	c->read_isr = false;
	c->poll = false;
	c->auto_eoi = false;
	c->special_fully_nested = false;
	c->rotate_on_aeoi = false;
	c->icw_step = 2;
}

/* OCW2: the EOI and rotation commands, selected by R, SL, EOI (bits 7-5). */
static void pic_ocw2(struct pic_chip *c, uint8_t v)
{
	int line = v & 7, srv;
	uint8_t in_service = c->isr;

	/* In special mask mode a non-specific EOI leaves masked ISR bits
	 * alone (the datasheet asks for a specific EOI there). */
	if (c->special_mask)
		in_service &= (uint8_t)~c->imr;
	switch (v >> 5) {
	case 0:                         /* rotate in automatic EOI mode: clear */
		c->rotate_on_aeoi = false;
		break;
	case 1:                         /* non-specific EOI */
	case 5:                         /* rotate on non-specific EOI */
		srv = highest(c, in_service);
		if (srv < 0)
			break;
		c->isr &= (uint8_t)~(1u << srv);
		if (v >> 5 == 5)
			c->lowest_priority = (uint8_t)srv;
		break;
	case 2:                         /* no operation */
		break;
	case 3:                         /* specific EOI */
		c->isr &= (uint8_t)~(1u << line);
		break;
	case 4:                         /* rotate in automatic EOI mode: set */
		c->rotate_on_aeoi = true;
		break;
	case 6:                         /* set priority: 'line' becomes lowest */
		c->lowest_priority = (uint8_t)line;
		break;
	case 7:                         /* rotate on specific EOI */
		c->isr &= (uint8_t)~(1u << line);
		c->lowest_priority = (uint8_t)line;
		break;
	}
}

static void pic_ocw3(struct pic_chip *c, uint8_t v)
{
	if (v & OCW3_ESMM)
		c->special_mask = v & OCW3_SMM;
	if (v & OCW3_P)
		c->poll = true;
	if (v & OCW3_RR)
		c->read_isr = v & OCW3_RIS;
}

static void pic_write(struct pic *p, int idx, uint16_t offset, uint8_t v)
{
	struct pic_chip *c = &p->chip[idx];

	if (offset == 0) {
		if (v & ICW1_INIT)
			pic_icw1(c, v);
		else if (v & OCW3_SEL)
			pic_ocw3(c, v);
		else
			pic_ocw2(c, v);
		return;
	}
	switch (c->icw_step) {
	case 2:                         /* ICW2: T7-T3 of the vectors (x86 mode) */
		c->vector_base = v & 0xf8;
		c->icw_step = !c->single ? 3 : c->icw4_needed ? 4 : 0;
		break;
	case 3:                         /* ICW3: slave lines, or this slave's id */
		c->icw3 = v;
		c->icw_step = c->icw4_needed ? 4 : 0;
		break;
	case 4:                         /* ICW4: uPM (always 8086 here), AEOI,
					 * buffered mode (no effect), SFNM */
		c->auto_eoi = v & ICW4_AEOI;
		c->special_fully_nested = v & ICW4_SFNM;
		c->icw_step = 0;
		break;
	default:                        /* OCW1: the mask */
		c->imr = v;
		break;
	}
}

/*
 * A read.  After a poll command the next read, whichever port, is the poll:
 * the chip treats it as INTA on itself alone (sets ISR) and returns 0x80 |
 * the level, or 0 if nothing was pending.  A master's poll that finds IR2
 * reports level 2; software then polls the slave itself.
 */
static uint8_t pic_read(struct pic *p, int idx, uint16_t offset)
{
	struct pic_chip *c = &p->chip[idx];

	if (c->poll) {
		int line;

		c->poll = false;
		line = chip_ack(c, idx == 0);
		return line < 0 ? 0 : (uint8_t)(PIC_POLL_I | line);
	}
	if (offset == 1)
		return c->imr;
	return c->read_isr ? c->isr : c->irr;
}

/* Both handlers: registers are 8 bits, a wider access uses the low byte. */
static void pic_io(struct pic *p, int idx, uint16_t offset, bool is_write, uint32_t *val)
{
	if (is_write)
		pic_write(p, idx, offset & 1, (uint8_t)*val);
	else
		*val = pic_read(p, idx, offset & 1);
	pic_update_irq(p);
}

void pic_master_io(void *dev, uint16_t offset, unsigned size, bool is_write, uint32_t *val)
{
	pic_io(dev, 0, offset, is_write, val);
}

void pic_slave_io(void *dev, uint16_t offset, unsigned size, bool is_write, uint32_t *val)
{
	pic_io(dev, 1, offset, is_write, val);
}

void pic_save(const struct pic *p, struct pic *img)
{
	*img = *p;
}

void pic_load(struct pic *p, const struct pic *img)
{
	*p = *img;
}
