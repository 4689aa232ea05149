/*
 * Architectural facts that the monitor and the guest kernel must agree on
 * literally (safe to include from C and from assembly).
 */
#ifndef TRAPVISOR_X86_ARCH_H
#define TRAPVISOR_X86_ARCH_H

/* Exception vectors (SDM vol. 3, table 6-1). */
#define X86_EXC_DE  0
#define X86_EXC_DB  1
#define X86_EXC_NMI 2
#define X86_EXC_BP  3
#define X86_EXC_OF  4
#define X86_EXC_BR  5
#define X86_EXC_UD  6
#define X86_EXC_NM  7
#define X86_EXC_DF  8
#define X86_EXC_TS  10
#define X86_EXC_NP  11
#define X86_EXC_SS  12
#define X86_EXC_GP  13
#define X86_EXC_PF  14
#define X86_EXC_MF  16
#define X86_EXC_AC  17
#define X86_EXC_MC  18
#define X86_EXC_XM  19

/*
 * Bit v set = delivering vector v pushes an error code (SDM vol. 3, 6.13):
 * 8 (#DF), 10-14 (#TS #NP #SS #GP #PF), 17 (#AC), 21 (#CP), 29 (#VC),
 * 30 (#SX).  Vectors >= 32 never have one.  The monitor's injector
 * (x86_has_errcode) and the guest kernel's vector stubs both use it.
 */
#define X86_ERRCODE_VECTORS 0x60227d00

#endif
