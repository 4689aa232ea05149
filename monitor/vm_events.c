/*
 * Interrupts, time and the outside world: what the I/O thread noted
 * (input, the timer, quit requests), the PIT and the NMI watchdog against
 * the host clock, delivery of a pending interrupt or NMI before each
 * resume, and the sleep of a halted vCPU.
 */
#include <stdio.h>
#include <string.h>

#include "vm_internal.h"

/* ---- Interrupts, time and the outside world ---- */

/* The I/O thread asked to quit: Ctrl-A x (status 0, as QEMU), or a signal
 * (128 + its number, as a shell reports it). */
static void vm_quit(struct vm *vm, int how)
{
	vm->stop = true;
	if (how == IO_QUIT_USER) {
		vm->exit_status = 0;
		snprintf(vm->kill_reason, sizeof(vm->kill_reason), "quit (Ctrl-A x)");
	} else {
		vm->exit_status = 128 + how;
		snprintf(vm->kill_reason, sizeof(vm->kill_reason), "stopped by %s", strsignal(how));
	}
	vm->quit_reported = true;
}

/* Move queued console input into the UART as far as its FIFO has room. */
void vm_feed_uart(struct vm *vm)
{
	u8 b[32];
	unsigned room = uart_rx_space(&vm->com1);

	while (room) {
		size_t n = io_take_input(&vm->io, b, room < sizeof(b) ? room : sizeof(b));
		if (!n)
			break;
		uart_rx(&vm->com1, b, n);
		room -= n;
	}
}

s64 vm_watchdog_arm(struct vm *vm, u64 us, u64 now)
{
	if (us > PV_NMI_WATCHDOG_MAX_US)
		return -22;
	vm->nmi_deadline_ns = us ? now + us * 1000 : 0;
	return 0;
}

u64 vm_watchdog_check(struct vm *vm, u64 now, u64 next)
{
	if (vm->nmi_deadline_ns && now >= vm->nmi_deadline_ns) {
		vm->nmi_deadline_ns = 0;
		vm->vcpu.nmi_pending = true;
		stats_add(&vm->stats, STAT_EXIT, "nmi watchdog expired", 0);
	}
	if (vm->nmi_deadline_ns && (!next || vm->nmi_deadline_ns < next))
		next = vm->nmi_deadline_ns;
	return next;
}

/* Bring the PIT up to now, fire the NMI watchdog if its time has come, and
 * arm the host timer for whichever is next: the PIT's tick or the
 * watchdog.  The timer's expiry kicks the running context like any event,
 * so the vCPU thread gets a stop even from a guest that spins with IF=0
 * and never traps. */
void vm_sync_timer(struct vm *vm)
{
	u64 now = now_ns();

	io_arm_timer(&vm->io, vm_watchdog_check(vm, now, pit_update(&vm->pit, now)));
}

/* Everything the I/O thread noted since the last look. */
void vm_events(struct vm *vm)
{
	int quit;

	vm->seen_events = atomic_load(&vm->io.events);
	quit = atomic_load(&vm->io.quit);
	if (quit) {
		vm_quit(vm, quit);
		return;
	}
	ctl_events(vm);         /* Ctrl-A s, QMP commands, a pause */
	atomic_store(&vm->io.timer_fired, false);
	vm_feed_uart(vm);
	vm_sync_timer(vm);
}

/* Deliver a pending NMI if the vCPU takes one now (whatever IF says: not
 * while NMIs are blocked, emu_nmi()), then the PIC's highest-priority
 * request if the vCPU accepts it now: IF set and not in the
 * one-instruction shadow after STI. */
void vm_interrupts(struct vm *vm)
{
	struct vcpu *v = &vm->vcpu;
	struct emu_ctxt c;
	char name[24];
	u64 t0 = now_ns();

	if (v->nmi_pending) {
		vm_emu_ctxt(vm, &c);
		int r = emu_nmi(&c);
		if (r == EMU_TRIPLE_FAULT)
			vm_kill(vm, "triple fault: an NMI could not be delivered");
		if (r != 0)
			stats_add(&vm->stats, STAT_EXIT, "nmi", now_ns() - t0);
		if (vm->stop)
			return;
		t0 = now_ns();
	}
	if (!pic_intr(&vm->pic) || !(v->rflags & X86_RFLAGS_IF) || v->sti_shadow)
		return;
	int vector = pic_ack(&vm->pic);
	vm_emu_ctxt(vm, &c);
	v->halted = false;
	if (emu_inject(&c, vector, false, 0, false) == EMU_TRIPLE_FAULT)
		vm_kill(vm, "triple fault: interrupt vector %#x could not be delivered", vector);
	snprintf(name, sizeof(name), "interrupt 0x%02x", vector);
	stats_add(&vm->stats, STAT_EXIT, name, now_ns() - t0);
}

/* The vCPU is halted: sleep until an event could wake it.  With IF clear
 * and no NMI to come (the watchdog off, or NMIs blocked), or with nothing
 * that could ever raise an interrupt, it never wakes: stop and say so
 * rather than hang. */
void vm_idle(struct vm *vm)
{
	struct vcpu *v = &vm->vcpu;
	bool input_possible = !atomic_load(&vm->io.in_eof) || io_input_pending(&vm->io) ||
			      uart_rx_pending(&vm->com1);
	bool nmi_possible = vm->nmi_deadline_ns && !v->nmi_blocked;

	if (!(v->rflags & X86_RFLAGS_IF) && !nmi_possible) {
		vm_kill(vm, "guest halted with interrupts disabled: nothing can wake it");
		return;
	}
	if (!vm->io.armed_ns && !input_possible) {
		vm_kill(vm, "guest halted with interrupts enabled, but no timer is running and "
			"the console input has ended: nothing can wake it");
		return;
	}
	u64 t0 = now_ns();
	int r = io_sleep(&vm->io);
	if (r < 0)
		vm_host_error(vm, r, "waiting for an event while the guest is halted");
	vm->idle_ns += now_ns() - t0;
}
