/*
 * The port-I/O bus: a small table of claimed port ranges, each with a handler
 * and its device state.  An IN or OUT the emulator decodes ends here; the bus
 * finds the range that holds the port and calls its handler with the offset
 * inside the range.  Ranges never overlap (bus_register refuses, as
 * Firecracker's Bus::insert does), so a port has at most one owner.  Ports
 * nobody claimed behave like an empty ISA bus: reads float to all-ones,
 * writes vanish, and both are counted so --stats can show a guest probing
 * hardware we do not have.
 */
#include <errno.h>
#include <string.h>

#include "devices.h"

/* All-ones of an access of 'size' bytes (1, 2 or 4). */
static uint32_t ones(unsigned size)
{
	return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

void bus_init(struct pio_bus *bus)
{
	memset(bus, 0, sizeof(*bus));
}

int bus_register(struct pio_bus *bus, uint16_t base, uint16_t len,
		 const char *name, pio_fn fn, void *dev)
{
	/* Work in 32 bits so base + len may reach 0x10000 without wrapping. */
	uint32_t end = (uint32_t)base + len;

	if (len == 0 || end > 0x10000u || !fn)
		return -EINVAL;
	for (int i = 0; i < bus->nranges; i++) {
		const struct pio_range *r = &bus->range[i];

		if (base < (uint32_t)r->base + r->len && r->base < end)
			return -EBUSY;
	}
	if (bus->nranges == BUS_MAX_RANGES)
		return -ENOSPC;
	bus->range[bus->nranges++] = (struct pio_range){
		.base = base, .len = len, .name = name, .fn = fn, .dev = dev,
	};
	return 0;
}

/*
 * A linear search: a PC has about ten port ranges, and an I/O exit costs
 * microseconds of ptrace anyway.  A read's *val starts as all-ones so a
 * handler that leaves a register unimplemented still floats like the bus.
 */
const struct pio_range *bus_io(struct pio_bus *bus, uint16_t port, unsigned size,
			       bool is_write, uint32_t *val)
{
	if (!is_write)
		*val = ones(size);
	for (int i = 0; i < bus->nranges; i++) {
		const struct pio_range *r = &bus->range[i];

		if (port >= r->base && port - r->base < r->len) {
			r->fn(r->dev, (uint16_t)(port - r->base), size, is_write, val);
			if (!is_write)
				*val &= ones(size);
			return r;
		}
	}
	if (is_write)
		bus->unknown_writes++;
	else
		bus->unknown_reads++;
	return NULL;
}
