/*
 * The paravirtual FPU (boot.h): the guest kernel names each user
 * process's XSAVE area, and the user FPU state moves between the area
 * and the context processes only when another area becomes live.
 */
#include <string.h>

#include "vm_internal.h"

/* ---- The paravirtual FPU (boot.h) ---- */

/* A guest area [gpa, gpa + fpu_size) is usable: 64-byte aligned, in RAM. */
static bool vm_fpu_area_ok(struct vm *vm, u64 gpa)
{
	return gpa && gpa % 64 == 0 && gpa < vm->ram_size && vm->ram_size - gpa >= vm->fpu_size;
}

/* Write the live user FPU state into its area (vm->fpu_live_gpa).
 * Returns 0, or -1 if there is none or the area is bad. */
int vm_fpu_save(struct vm *vm)
{
	struct shadow *sh = &vm->shadow;
	int n;

	if (!sh->fpu || !vm->fpu_live_gpa || !vm_fpu_area_ok(vm, vm->fpu_live_gpa))
		return -1;              /* no area is live: nothing to save */
	n = host_get_fpu(sh->fpu->pid, vm->scratch->fpu, sizeof(vm->scratch->fpu));
	if (n < 0) {
		vm_host_error(vm, n, "reading the FPU state of context process %d", sh->fpu->pid);
		return -1;
	}
	vm_write_ram_span(vm, vm->fpu_live_gpa, vm->scratch->fpu, (u64)n);
	vm->fpu_saves++;
	return 0;
}

/*
 * The vCPU enters user mode in context c with the paravirtual FPU on:
 * make c hold the state of the area pv->fpu_gpa.  Returns false after
 * stopping the VM (a bad area, or an image the host refuses).
 */
bool vm_fpu_enter_user(struct vm *vm, struct pv_vcpu *pv, struct context *c)
{
	struct shadow *sh = &vm->shadow;
	u64 gpa = pv->fpu_gpa;
	int err;

	if (gpa == vm->fpu_live_gpa && !pv->fpu_reload) {
		if (sh->fpu && sh->fpu != c && (err = host_move_fpu(sh->fpu->pid, c->pid)) < 0) {
			vm_host_error(vm, err, "moving the FPU state from context process %d to %d",
				      sh->fpu->pid, c->pid);
			return false;
		}
		sh->fpu = c;
		return true;
	}
	if (!vm_fpu_area_ok(vm, gpa)) {
		vm_kill(vm, "paravirtual FPU area at GPA %#llx is not a %u-byte, 64-byte aligned area in RAM",
			(unsigned long long)gpa, vm->fpu_size);
		return false;
	}
	/* The live state goes home first, unless it is this very area being
	 * reloaded (execve: the new program's image replaces it). */
	if (vm->fpu_live_gpa && vm->fpu_live_gpa != gpa)
		vm_fpu_save(vm);
	err = host_set_fpu(c->pid, vm->ram + gpa, vm->fpu_size);
	if (err < 0) {
		vm_kill(vm, "the paravirtual FPU area at GPA %#llx holds a state the host refuses (%s)",
			(unsigned long long)gpa, strerror(-err));
		return false;
	}
	vm->fpu_live_gpa = gpa;
	vm->fpu_loads++;
	pv->fpu_reload = 0;
	sh->fpu = c;
	return true;
}
