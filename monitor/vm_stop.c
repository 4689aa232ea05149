/*
 * What one stop of the guest means, and events into the guest.  A stop
 * is dispatched by its exit reason in vm_exit() (or is a SYSCALL,
 * vm_syscall()); a trapping instruction is emulated by vm_emulate() and
 * the ones that follow it chained (vm_chain()); exceptions go through the
 * guest's IDT (vm_deliver()).  Page faults are vm_mmu.c's.
 */
#include <stdio.h>
#include <string.h>

#include "vm_internal.h"

static const char *const exc_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#09",
	"#TS", "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM",
	"#VE", "#CP",
};

const char *vm_exc_name(unsigned v)
{
	return v < 32 && exc_names[v] ? exc_names[v] : "INT";
}

/* ---- Events into the guest ---- */

/* Deliver exception 'e' through the guest IDT (a triple fault stops the VM). */
void vm_deliver(struct vm *vm, const struct emu_exception *e)
{
	struct emu_ctxt c;
	char name[32];
	u64 t0 = now_ns();

	vm_emu_ctxt(vm, &c);
	c.exc = *e;
	vm->vcpu.halted = false;
	int r = emu_inject(&c, e->vector, e->has_errcode, e->errcode, e->soft);
	if (r == EMU_TRIPLE_FAULT)
		vm_kill(vm, "triple fault: %s could not be delivered (IDT base %#llx limit %#x)",
			vm_exc_name(e->vector), (unsigned long long)vm->vcpu.idtr.base,
			vm->vcpu.idtr.limit);
	if (e->vector < 32)
		snprintf(name, sizeof(name), "exception %s", vm_exc_name(e->vector));
	else
		snprintf(name, sizeof(name), "int 0x%02x", e->vector);
	stats_add(&vm->stats, STAT_EXIT, name, now_ns() - t0);
}

void vm_raise(struct vm *vm, u8 vector, u32 errcode, u64 cr2)
{
	struct emu_exception e = { .vector = vector, .has_errcode = x86_has_errcode(vector),
				   .errcode = errcode, .cr2 = cr2 };
	vm_deliver(vm, &e);
}

/* ---- Stop handlers ---- */

static bool vm_gate(struct vm *vm);

/* SYSEMU stop: the guest's SYSCALL, or INT 0x80 (a host syscall gate in a
 * 64-bit process, told apart by its bytes). */
void vm_syscall(struct vm *vm)
{
	struct emu_ctxt c;
	u8 b[2] = { 0, 0 };
	u64 t0 = now_ns();

	if (vm_gate(vm))
		return;
	vm_emu_ctxt(vm, &c);
	if (op_read(&c, vm->vcpu.rip - 2, b, 2, EMU_FETCH) == 0 && b[0] == 0xcd && b[1] == 0x80) {
		struct emu_exception e = { .vector = 0x80, .soft = true };
		vm_deliver(vm, &e);
		return;
	}
	if (vm->vcpu.cpl == 3)          /* a guest program's system call, by number */
		stats_syscall(&vm->stats, vm->vcpu.gpr[R_RAX]);
	bool ok = emu_syscall(&c) != EMU_EXCEPTION;
	if (!ok)
		vm_deliver(vm, &c.exc);
	stats_add(&vm->stats, STAT_EXIT, "syscall", now_ns() - t0);
	if (ok)
		vm_chain(vm);
}

/*
 * Instructions that trap one right after another in guest kernel mode:
 * SYSCALL lands on the kernel's SWAPGS, and the way out is SWAPGS then
 * SYSRETQ or IRETQ.  Once the first is emulated, the next would only
 * cost another stop (a ptrace round trip) to reach the same emulator, so
 * emulate it now (--chain=on, the default; at most 3 in a row).  An
 * interrupt that became deliverable in between waits for the end of the
 * chain, as if it had arrived an instruction later.  Not while the guest
 * single-steps (TF), not after an exception, HLT or a stop.
 */
static bool vm_chain_next(struct vm *vm)
{
	struct vcpu *v = &vm->vcpu;
	struct emu_insn_info info;
	struct emu_ctxt c;
	u8 b[15];
	unsigned len = 15;

	if (vm->stop || v->cpl != 0 || v->halted || (v->rflags & X86_RFLAGS_TF) ||
	    (vm->gdb && gdb_wants_step(vm->gdb)))
		return false;
	vm_emu_ctxt(vm, &c);
	if (4096 - (v->rip & 4095) < len)
		len = 4096 - (v->rip & 4095);
	if (op_read(&c, v->rip, b, len, EMU_FETCH) != 0 ||
	    emu_classify(b, len, v->rip, &info) < 0 ||
	    (strcmp(info.name, "swapgs") && strcmp(info.name, "sysret") &&
	     strcmp(info.name, "iretq") && strcmp(info.name, "vmcall") &&
	     strcmp(info.name, "vmmcall")))
		return false;
	return vm_emulate(vm, X86_EXC_GP);
}

void vm_chain(struct vm *vm)
{
	for (int n = 0; n < 3 && vm->opt.chain; n++) {
		if (!vm_chain_next(vm))
			return;
		vm->chained++;
	}
}

/*
 * (ABI 6) A SYSCALL from inside the guest kernel's gate (boot.h, struct
 * pv_vcpu): not a system call but a trap prefix.  RCX, R11 and RAX come back
 * from the shared page, where the guest put them before SYSCALL overwrote
 * the first two (RAX is 0 for the SYSCALL itself, ABI 7); then the trapping instruction after it (SWAPGS, SYSRETQ, IRETQ,
 * VMCALL) is emulated in this stop, and those after it are chained.  An
 * instruction there that would not trap runs natively, as after any stop.
 * docs/ARCHITECTURE.md, "The gate".
 */
static bool vm_gate(struct vm *vm)
{
	struct pv_vcpu *pv = vm_pv(vm);
	struct vcpu *v = &vm->vcpu;
	u64 at = v->rip - 2;

	if (!pv || v->cpl != 0)
		return false;
	u64 start = pv->gate_start, end = pv->gate_end;
	if (at < start || at >= end)
		return false;
	v->gpr[R_RCX] = pv->gate_rcx;
	v->gpr[R_R11] = pv->gate_r11;
	v->gpr[R_RAX] = pv->gate_rax;
	vm->gates++;
	stats_add(&vm->stats, STAT_EXIT, "pv gate", 0);
	if (vm_chain_next(vm))
		vm_chain(vm);
	return true;
}

/*
 * The host raised #GP for an unprivileged instruction the monitor does not
 * emulate: which exception is it on a CPU?  Its first memory reference at
 * a non-canonical address says: #SS(0) through SS, #GP(0) otherwise.  With
 * none, a non-canonical RSP means the host could not resume the guest at
 * all (this host faults on its way back to user mode, before the
 * instruction runs: docs/ARCHITECTURE.md), and the guest gets the #SS(0)
 * its next stack reference would raise, here rather than there.  Else the
 * #GP stands (a misaligned SSE operand...).
 */
static u8 vm_gp_vector(const struct vm *vm, const struct emu_ctxt *c)
{
	if (c->noncanonical_exc >= 0)
		return (u8)c->noncanonical_exc;
	return X86_CANONICAL(vm->vcpu.gpr[R_RSP]) ? X86_EXC_GP : X86_EXC_SS;
}

/* An instruction trapped with #GP (or #UD): emulate it, or reflect 'vector'
 * when it is not one the monitor emulates.  True if it was emulated and
 * execution goes on at the next instruction (not HLT, no exception). */
bool vm_emulate(struct vm *vm, u8 vector)
{
	struct emu_ctxt c;
	u64 t0 = now_ns();
	enum emu_result r;

	vm_emu_ctxt(vm, &c);
	switch (r = emu_step(&c)) {
	case EMU_OK:
	case EMU_HALT:
		vm->emulated++;
		stats_add(&vm->stats, STAT_INSN, c.name, now_ns() - t0);
		return r == EMU_OK;
	case EMU_EXCEPTION:
		vm_deliver(vm, &c.exc);
		break;
	case EMU_UNHANDLEABLE:
		/* Not an instruction the monitor emulates.  A privileged one in
		 * guest kernel mode would not fault on real hardware, so
		 * reflecting the host's #GP would lie to the guest: stop and
		 * show it.  Otherwise the fault is the guest's own (a
		 * non-canonical access, a user-mode privileged instruction). */
		if (vm->vcpu.cpl == 0 && c.privileged && c.why)
			vm_kill(vm, "the guest kernel executed %s, which the monitor does not emulate here: %s",
				c.name, c.why);
		else if (vm->vcpu.cpl == 0 && c.privileged)
			vm_kill(vm, "the guest kernel executed %s, a privileged instruction the monitor does not emulate",
				c.name);
		else if (vector == X86_EXC_GP && !c.privileged)
			vm_raise(vm, vm_gp_vector(vm, &c), 0, 0);
		else
			vm_raise(vm, vector, 0, 0);
		break;
	}
	return false;
}


/*
 * The host raised #AC: the host runs with CR0.AM set, so a misaligned
 * access with RFLAGS.AC set faults there.  It is the guest's #AC only at
 * CPL 3 with its own CR0.AM set; otherwise its AC flag has no effect on a
 * real CPU, so drop it (only PUSHF would tell) and let the access retry.
 */
static void vm_alignment_check(struct vm *vm)
{
	struct vcpu *v = &vm->vcpu;

	if (v->cpl == 3 && (v->cr0 & X86_CR0_AM)) {
		vm_raise(vm, X86_EXC_AC, 0, 0);
		return;
	}
	if (v->cpl == 3 && !(v->rflags & X86_RFLAGS_AC)) {
		/* Not AC: the host's split-lock detection (a locked access
		 * across a cache line), which no guest setting can clear. */
		vm_kill(vm, "the host refused a split-locked access (split_lock_detect)");
		return;
	}
	v->rflags &= ~X86_RFLAGS_AC;
	stats_add(&vm->stats, STAT_EXIT, "#AC dropped (no CR0.AM)", 0);
}

/* A fault or trap that stopped the guest (host.h, struct host_exit): one
 * call per architectural exit reason.  SYSCALL, a kick and the death of
 * the context are the run loop's. */
void vm_exit(struct vm *vm, struct context *ctx, const struct host_exit *e)
{
	struct vcpu *v = &vm->vcpu;
	char what[96];

	switch (e->reason) {
	case HOST_EXIT_GP:
		if (vm_emulate(vm, X86_EXC_GP))
			vm_chain(vm);
		break;
	case HOST_EXIT_PF:
		vm_page_fault(vm, ctx, e->addr, e->pf_errcode & PFEC_P);
		break;
	case HOST_EXIT_UD:
		vm_emulate(vm, X86_EXC_UD);
		break;
	case HOST_EXIT_SS:
		/* The host's #SS (a stack reference to a non-canonical
		 * address) or #NP; the emulator finds the exception itself
		 * where it can, else the guest gets #SS(0). */
		vm_emulate(vm, X86_EXC_SS);
		break;
	case HOST_EXIT_AC:
		vm_alignment_check(vm);
		break;
	case HOST_EXIT_DE:
	case HOST_EXIT_XM:
		vm_raise(vm, e->reason == HOST_EXIT_DE ? X86_EXC_DE : X86_EXC_XM, 0, 0);
		break;
	case HOST_EXIT_BP: {                     /* INT3: RIP is past it */
		struct emu_exception bp = { .vector = X86_EXC_BP, .soft = true };
		if (vm->gdb && gdb_bp_hit(vm))   /* a debugger's breakpoint */
			break;
		if (vm_patch_trap(vm))
			break;
		vm_deliver(vm, &bp);
		break;
	}
	case HOST_EXIT_DB:
		vm_raise(vm, X86_EXC_DB, 0, 0);
		break;
	default:
		vm_kill(vm, "%s at rip %#llx", host_exit_describe(e, what, sizeof(what)),
			(unsigned long long)v->rip);
		break;
	}
}
