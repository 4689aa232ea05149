/*
 * tests/unit/test_watchdog.c: the paravirtual NMI watchdog's monitor side
 * (monitor/vm_events.c, HC_NMI_WATCHDOG in boot.h) without a guest: the
 * hypercall's argument checks, and when the watchdog fires and wakes the
 * vCPU thread.  Host time is passed in, so nothing here sleeps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "vm.h"
#include "trapvisor/boot.h"

#define NOW  5000000000ull            /* host time of the hypercall, ns */

static struct vm *new_vm(void)
{
	struct vm *vm = calloc(1, sizeof(*vm));

	assert_non_null(vm);
	return vm;
}

/* The timeout: 0 disarms, up to a minute arms, more is -EINVAL and leaves
 * the watchdog as it was (so a bad call cannot disarm it by accident). */
static void test_arm_arguments(void **state)
{
	struct vm *vm = new_vm();

	assert_int_equal(vm_watchdog_arm(vm, 200000, NOW), 0);
	assert_int_equal(vm->nmi_deadline_ns, NOW + 200000000ull);
	assert_int_equal(vm_watchdog_arm(vm, PV_NMI_WATCHDOG_MAX_US + 1ull, NOW), -22);
	assert_int_equal(vm_watchdog_arm(vm, ~0ull, NOW), -22);   /* no overflow */
	assert_int_equal(vm->nmi_deadline_ns, NOW + 200000000ull);
	assert_int_equal(vm_watchdog_arm(vm, PV_NMI_WATCHDOG_MAX_US, NOW), 0);
	assert_int_equal(vm->nmi_deadline_ns, NOW + PV_NMI_WATCHDOG_MAX_US * 1000ull);
	assert_int_equal(vm_watchdog_arm(vm, 1, NOW), 0);          /* re-arming replaces */
	assert_int_equal(vm->nmi_deadline_ns, NOW + 1000);
	assert_int_equal(vm_watchdog_arm(vm, 0, NOW), 0);
	assert_int_equal(vm->nmi_deadline_ns, 0);
	assert_false(vm->vcpu.nmi_pending);
	free(vm);
}

/* The host timer wakes the vCPU for the earlier of the PIT's tick and the
 * deadline; once the deadline has passed, one NMI is pending and the
 * watchdog is off (one-shot). */
static void test_fires_once(void **state)
{
	struct vm *vm = new_vm();
	u64 dl = NOW + 200000000ull;

	assert_int_equal(vm_watchdog_check(vm, NOW, NOW + 10000000), NOW + 10000000);
	assert_int_equal(vm_watchdog_check(vm, NOW, 0), 0);
	vm_watchdog_arm(vm, 200000, NOW);
	assert_int_equal(vm_watchdog_check(vm, NOW, NOW + 10000000), NOW + 10000000);
	assert_int_equal(vm_watchdog_check(vm, NOW, dl + 1), dl);
	assert_int_equal(vm_watchdog_check(vm, NOW, 0), dl);     /* PIT stopped */
	assert_int_equal(vm_watchdog_check(vm, dl - 1, 0), dl);
	assert_false(vm->vcpu.nmi_pending);

	assert_int_equal(vm_watchdog_check(vm, dl, dl + 10000000), dl + 10000000);
	assert_true(vm->vcpu.nmi_pending);
	assert_int_equal(vm->nmi_deadline_ns, 0);
	vm->vcpu.nmi_pending = false;                 /* delivered */
	assert_int_equal(vm_watchdog_check(vm, dl + 500000000ull, 0), 0);
	assert_false(vm->vcpu.nmi_pending);
	free(vm);
}

/* Disarmed (or re-armed later) before its deadline is seen: no NMI. */
static void test_disarm_in_time(void **state)
{
	struct vm *vm = new_vm();

	vm_watchdog_arm(vm, 1000, NOW);
	vm_watchdog_arm(vm, 0, NOW + 999999);
	assert_int_equal(vm_watchdog_check(vm, NOW + 2000000, 0), 0);
	assert_false(vm->vcpu.nmi_pending);
	vm_watchdog_arm(vm, 1000, NOW);
	vm_watchdog_arm(vm, 1000, NOW + 900000);       /* re-armed: later deadline */
	assert_int_equal(vm_watchdog_check(vm, NOW + 1000000, 0), NOW + 1900000);
	assert_false(vm->vcpu.nmi_pending);
	free(vm);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arm_arguments),
		cmocka_unit_test(test_fires_once),
		cmocka_unit_test(test_disarm_in_time),
	};

	return cmocka_run_group_tests_name("NMI watchdog", tests, NULL, NULL);
}
