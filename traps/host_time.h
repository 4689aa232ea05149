/*
 * The host's clocks and TSC as the monitor reads them, and the settings
 * its vCPU thread shares with the context processes (host_time.c).
 *
 * docs/ARCHITECTURE.md, "The task-switch penalty": a context process runs
 * with RDTSC trapping (CR4.TSD) and, where the host offers it, CPUID
 * faulting.  Every host task switch between a thread with these settings
 * and one without rewrites CR4 and the CPUID-faulting MSR, which on a
 * nested host costs more than the ptrace stop itself.  So the vCPU thread
 * takes the same settings (host_thread_match()); it then must not execute
 * RDTSC or CPUID: its clocks come from the clock_gettime system call, not
 * the vDSO (which executes RDTSC), its TSC is derived from
 * CLOCK_MONOTONIC_RAW, and the virtual CPUID answers from a table taken
 * before (vcpu_cpuid_freeze()).
 */
#ifndef HOST_TIME_H
#define HOST_TIME_H

#include <stdbool.h>
#include "traps.h"

/* CLOCK_MONOTONIC and CLOCK_REALTIME in ns, safe on any monitor thread
 * (the system call where this thread's RDTSC traps, else the vDSO). */
u64 host_mono_ns(void);
s64 host_wall_ns(void);

/* Measure the host TSC's rate against CLOCK_MONOTONIC_RAW over 20 ms and
 * take the base host_tsc() derives from; 'honoured': the host really traps
 * RDTSC for a thread that asks (host_rdtsc_traps()).  Call once, on the
 * vCPU thread, before host_thread_match().  Returns the rate in kHz. */
u64 host_tsc_calibrate(bool honoured);
/* The host TSC now: RDTSC where this thread may execute it (or where the
 * host ignores RDTSC trapping), else derived from CLOCK_MONOTONIC_RAW at
 * the calibrated rate. */
u64 host_tsc(void);

/* Give the calling thread the contexts' settings: RDTSC trapping if
 * 'rdtsc_trap', CPUID faulting if 'cpuid_fault' (the virtual CPUID is
 * frozen first).  0, or -errno of the first prctl/arch_prctl that failed. */
int host_thread_match(bool rdtsc_trap, bool cpuid_fault);
/* What the calling thread has now (for --stats): bit 0 RDTSC trapping,
 * bit 1 CPUID faulting. */
int host_thread_settings(void);

#endif
