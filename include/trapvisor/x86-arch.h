/*
 * Architectural facts that the monitor and the guest kernel must agree on
 * literally (safe to include from C and from assembly).
 */
#ifndef TRAPVISOR_X86_ARCH_H
#define TRAPVISOR_X86_ARCH_H

/*
 * Bit v set = delivering vector v pushes an error code (SDM vol. 3, 6.13):
 * 8 (#DF), 10-14 (#TS #NP #SS #GP #PF), 17 (#AC), 21 (#CP), 29 (#VC),
 * 30 (#SX).  Vectors >= 32 never have one.  The monitor's injector
 * (x86_has_errcode) and the guest kernel's vector stubs both use it.
 */
#define X86_ERRCODE_VECTORS 0x60227d00

#endif
