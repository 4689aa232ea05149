/*
 * The debug-exit device: the guest writes one byte to stop the VM with an
 * exit status of its choice, which is how test payloads report pass or fail.
 * Two flavours share this code: trapvisor's own port 0x501, where the byte is
 * the status, and QEMU's isa-debug-exit at 0xf4, where the status is
 * (value << 1) | 1 so that a guest built for QEMU's test harness reports the
 * same numbers here.  The device only records the request; the run loop sees
 * 'fired' after the OUT and stops.
 */
#include <string.h>

#include "devices.h"

void debug_exit_init(struct debug_exit *d, bool qemu_style)
{
	memset(d, 0, sizeof(*d));
	d->qemu_style = qemu_style;
}

/*
 * A write of any size uses its low byte.  The first write wins: the VM is
 * already stopping, and the status the guest chose first is the one it meant.
 * Reads float like an empty bus (all-ones of the access size).
 */
void debug_exit_io(void *dev, uint16_t offset, unsigned size, bool is_write, uint32_t *val)
{
	struct debug_exit *d = dev;

	if (!is_write) {
		*val = size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
		return;
	}
	if (d->fired)
		return;
	d->fired = true;
	d->status = d->qemu_style ? (int)(((*val & 0xff) << 1) | 1) : (int)(*val & 0xff);
}
