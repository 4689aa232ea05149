/*
 * kernel/signal.h: what signal.c and arch/x86/fpu.c (the user FPU state)
 * offer the rest of the kernel.  Included from defs.h, before struct proc.
 */
#ifndef KERNEL_SIGNAL_H
#define KERNEL_SIGNAL_H

struct proc;

/* proc.c: a process's FPU save area, and the state of a fresh program */
u8 *fpu_area(struct proc *p);
void fpu_reset(struct proc *p);

/* fpu.c (arch/x86): the user FPU state without the paravirtual FPU */
void fpu_init(void);
bool fpu_xsave(void);             /* areas are XSAVE images (else FXSAVE) */
u32 fpu_size(void);               /* bytes of an area */
u64 fpu_xcr0(void);               /* the components an area's layout holds */
u64 fpu_restorable(void);         /* the ones a signal frame may set */
u32 fpu_mxcsr_mask(void);         /* the MXCSR bits a program may set */
void fpu_store(void *area);       /* the live registers into area */
void fpu_load(const void *area);  /* area into the live registers */

#endif /* KERNEL_SIGNAL_H */
