/*
 * The measurement ports: the guest marks phases for bench/ (a CSV row
 * with the time and the trap counters), and reads how many instructions
 * were emulated.
 */
#include <stdio.h>

#include "vm_internal.h"

/* ---- The measurement port (PORT_BENCH_MARK) ---- */

/* The guest marks the start or end of a phase with a 32-bit number: one CSV
 * row with the time and the trap counters, so bench/ can take differences
 * between marks (Firecracker's BootTimer, with counters). */
void vm_bench_mark(void *dev, u16 offset, unsigned size, bool is_write, u32 *val)
{
	struct vm *vm = dev;
	const struct shadow_stats *s = &vm->shadow.st;

	if (!is_write) {
		*val = 0xffffffffu >> (32 - 8 * size);
		return;
	}
	if (!vm->bench)
		return;
	fprintf(vm->bench, "%u,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu\n", *val,
		(unsigned long long)now_ns(), (unsigned long long)vm->stops,
		(unsigned long long)s->hidden_faults, (unsigned long long)s->guest_faults,
		(unsigned long long)s->pt_writes, (unsigned long long)s->pt_entries_changed,
		(unsigned long long)s->ctx_switches, (unsigned long long)s->ctx_built,
		(unsigned long long)s->ctx_reused, (unsigned long long)s->cr3_loads,
		(unsigned long long)vm->stub.batches, (unsigned long long)vm->stub.folded);
}

/* PORT_TRAP_COUNT: lets a guest see whether an instruction trapped (the
 * silent-fail demonstration compares the count around it). */
void vm_trap_count(void *dev, u16 offset, unsigned size, bool is_write, u32 *val)
{
	struct vm *vm = dev;

	if (!is_write)
		*val = (u32)vm->emulated & (0xffffffffu >> (32 - 8 * size));
}
