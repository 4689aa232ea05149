/*
 * The vCPU run loop.
 *
 * vm_run() is the whole life of the guest, read top to bottom (kvmtool's
 * kvm_cpu__start, UML's userspace()): pick the context for the vCPU's CR3
 * and privilege level, flush pending mapping changes, load the registers,
 * resume, wait, save the registers, classify the stop and handle it with
 * one call per case.  Every stop is counted by reason with its handling
 * time (--stats).
 *
 * The host layer reports each stop as an architectural exit reason
 * (traps/host.h); what each means to the guest:
 *   SYSCALL        the guest's SYSCALL (or INT 0x80): vm_syscall()
 *   #GP, #UD, #SS  a privileged instruction to emulate, or a real fault
 *                  to reflect: vm_emulate()
 *   #PF            hidden (the shadow lacks a page the guest maps), the
 *                  guest's own, or a page-table write: vm_page_fault()
 *   #DE #XM #BP #DB #AC  reflected (INT3 may be a patch or a breakpoint)
 *   kick           the I/O thread has news: back to the top of the loop
 */
#include <errno.h>
#include <stdio.h>

#include "vm_internal.h"

/* The same fault at the same place this many times in a row means the
 * monitor is not making progress: stop rather than spin. */
#define VM_MAX_REPEAT_FAULTS 16

/* --shadow-check: the shadow must agree with the guest's tables. */
static void vm_shadow_check(struct vm *vm)
{
	char diff[512];

	if (shadow_check(&vm->shadow, &vm->vcpu, diff, sizeof(diff)) < 0)
		vm_kill(vm, "shadow check failed after %llu stops: %s",
			(unsigned long long)vm->stops, diff);
}

/* The context the vCPU must run in now, with the vCPU's FPU state in it. */
static struct context *vm_context(struct vm *vm)
{
	struct shadow *sh = &vm->shadow;
	int err = 0;
	struct context *c = shadow_context(sh, vm->vcpu.cr3, vm->vcpu.cpl == 3, &err);

	if (!c) {
		vm_host_error(vm, err, "cannot create a guest context process for CR3 %#llx%s",
			      (unsigned long long)vm->vcpu.cr3, err == -EAGAIN ?
			      " (fork: at a limit on processes: ulimit -u, or the cgroup's pids.max)" : "");
		return NULL;
	}
	if (c != sh->cur) {
		sh->st.ctx_switches++;
		sh->cur = c;
	}
	/* The paravirtual FPU: the state stays with user mode, and moves
	 * only when the guest names another process's area. */
	struct pv_vcpu *pv = vm_pv(vm);
	if (pv && !pv->fpu_gpa)
		vm->fpu_live_gpa = 0;   /* off (again): no area is live */
	if (pv && pv->fpu_gpa) {
		if (vm->vcpu.cpl == 3 && !vm_fpu_enter_user(vm, pv, c))
			return NULL;
		return c;
	}
	if (sh->fpu && sh->fpu != c) {
		err = host_move_fpu(sh->fpu->pid, c->pid);
		if (err < 0) {
			vm_host_error(vm, err, "moving the FPU state from context process %d to %d",
				      sh->fpu->pid, c->pid);
			return NULL;
		}
	}
	sh->fpu = c;
	return c;
}

/* Once, on the vCPU thread, when the first context has told what the host
 * grants (host_time.h): the contexts' RDTSC and CPUID settings for this
 * thread too, so switching between them rewrites nothing.  A failure costs
 * only speed: reported in --stats. */
static void vm_match_thread(struct vm *vm)
{
	vm->thread_match_err = vm->opt.vcpu_thread_match ?
		host_thread_match(!vm->stub.rdtsc_trap_off, vm->stub.cpuid_faulting) : 0;
	vm->thread_match = host_thread_settings();
}

int vm_run(struct vm *vm)
{
	struct vcpu *v = &vm->vcpu;
	struct host_exit e;
	u64 last_rip = 0, last_addr = 0;
	bool moved = true;
	int repeats = 0, r;
	u64 t_start = now_ns();

	while (!vm->stop) {
		/* 0. A debugger's stop (gdbstub.c): serve it until it resumes. */
		if (vm->gdb)
			gdb_check(vm);
		/* 1. What happened outside; 2. an interrupt if the vCPU takes it
		 * (not during a debugger's single step). */
		if (atomic_load(&vm->io.events) != vm->seen_events)
			vm_events(vm);
		if (vm->mig)
			migrate_step(vm);       /* a live move: send more, or finish */
		if (!gdb_defers_interrupts(vm))
			vm_interrupts(vm);
		if (vm->stop)
			break;
		/* 3. A halted vCPU sleeps until the I/O thread wakes it. */
		if (v->halted) {
			vm_idle(vm);
			continue;
		}
		/* 4. The context, its pending mappings, the registers. */
		struct context *ctx = vm_context(vm);
		if (!ctx)
			break;
		if (vm->thread_match < 0)
			vm_match_thread(vm);
		/* After STI with an interrupt or NMI waiting, exactly one
		 * instruction (the shadow), then the interrupt. */
		bool step = (v->sti_shadow && (pic_intr(&vm->pic) || v->nmi_pending)) ||
			    (vm->gdb && gdb_wants_step(vm->gdb));
		/* The last batch of mapping changes goes with the resume
		 * (traps/host_fold.c), unless one instruction is to run. */
		r = step ? ctx_flush_for(&vm->stub, ctx->pid) : ctx_arm(&vm->stub, ctx->pid);
		if (r < 0) {
			vm_host_error(vm, r, "updating the mappings of context process %d", ctx->pid);
			break;
		}
		vm_pv_sync_out(vm);
		r = host_load_vcpu(ctx->pid, v);
		if (r < 0) {
			vm_host_error(vm, r, "loading the vCPU's registers into context process %d", ctx->pid);
			break;
		}
		/* 5. Run.  The I/O thread kicks the pid published here; an
		 * event noted before it was published is seen by the check
		 * that follows. */
		v->sti_shadow = false;
		if (vm->trace)
			trace_resume(vm->trace);
		atomic_store(&vm->io.running, ctx->pid);
		if (atomic_load(&vm->io.events) != vm->seen_events) {
			atomic_store(&vm->io.running, 0);
			continue;
		}
		r = host_run(ctx->pid, &e, step);
		atomic_store(&vm->io.running, 0);
		if (r < 0) {
			vm_host_error(vm, r, "running the guest in context process %d", ctx->pid);
			break;
		}
		vm->stops++;
		if (vm->gdb)
			gdb_note_stop(vm->gdb, &e);
		/* Not of a context that is gone or being killed: its mappings
		 * may already have left with it. */
		if (vm->opt.shadow_check && vm->stops % vm->opt.shadow_check == 0 &&
		    e.reason != HOST_EXIT_DIED && e.reason != HOST_EXIT_HOST_FAULT)
			vm_shadow_check(vm);
		if (e.reason == HOST_EXIT_DIED) {
			vm_kill(vm, "guest context process %d ended (%s %d)", ctx->pid,
				e.status < 0 ? "signal" : "status", e.status < 0 ? -e.status : e.status);
			ctx->used = false;
			break;
		}
		r = e.regs_unchanged ? 0 : host_save_vcpu(ctx->pid, v, e.reason == HOST_EXIT_SYSCALL);
		if (r < 0) {
			vm_host_error(vm, r, "reading the vCPU's registers from context process %d", ctx->pid);
			break;
		}
		vm_pv_sync_in(vm);
		if (e.reason == HOST_EXIT_SYSCALL) {
			vm_syscall(vm);
			repeats = 0;
			continue;
		}
		/* A kick from the I/O thread, or our own single step: not the
		 * guest's business, unless the guest had set TF itself. */
		if (e.reason == HOST_EXIT_KICK || (step && e.reason == HOST_EXIT_DB && e.single_step &&
						    !(v->rflags & X86_RFLAGS_TF))) {
			stats_add(&vm->stats, STAT_EXIT, e.reason == HOST_EXIT_KICK ? "kick" : "single step", 0);
			continue;
		}
		/* Guard against a fault the monitor keeps "fixing" in vain: the
		 * same fault at the same place, with RIP not moved by its
		 * handling (an emulated instruction in a loop moves it; a long
		 * REP emulated in parts stays but moves RCX). */
		u64 rip = v->rip, rcx = v->gpr[R_RCX];
		if (rip == last_rip && e.addr == last_addr && !moved) {
			if (++repeats > VM_MAX_REPEAT_FAULTS) {
				char what[96];
				vm_kill(vm, "no progress: the same fault (%s, address %#llx) repeated %d times",
					host_exit_describe(&e, what, sizeof(what)),
					(unsigned long long)e.addr, repeats);
				break;
			}
		} else {
			repeats = 0;
		}
		last_rip = rip;
		last_addr = e.addr;
		vm_exit(vm, ctx, &e);
		moved = v->rip != rip || v->gpr[R_RCX] != rcx;
	}
	vm->run_ns = now_ns() - t_start;
	if (vm->gdb)
		gdb_exited(vm);
	return vm->exit_status;
}
