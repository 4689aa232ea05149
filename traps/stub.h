/*
 * The layout shared by the stub (stub.S, assembled) and the monitor (C): the
 * stub's code page and data page sit at the top of the guest-unusable 4 GiB
 * below 0x800000000000 in every context process.
 */
#ifndef STUB_H
#define STUB_H

#define STUB_BASE      0x7fff00000000   /* code page (r-x) */
#define STUB_DATA      0x7fff00001000   /* data page (rw-, shared memfd) */
#define STUB_END       0x7fff00002000
#define STUB_RAM_FD    3                /* the guest RAM memfd in a context */
#define STUB_DATA_FD   4                /* the shared stub data page memfd */
#define STUB_PATCH_FD  5                /* patched copies of guest code pages */

/* Entry points inside the code page. */
#define STUB_ENTRY     (STUB_BASE + 0)  /* maps the data page, then int3 */
#define STUB_BATCH     (STUB_BASE + 0x40) /* runs data->ops[0..nops), int3 */
#define STUB_SYSCALL   (STUB_BASE + 0x7f) /* its one syscall instruction */

/* Data page layout (byte offsets). */
#define STUB_OFF_NOPS    0    /* u64: operations to run */
#define STUB_OFF_DONE    8    /* u64: operations completed */
#define STUB_OFF_RESULT  16   /* s64: result of the last one run */
#define STUB_OFF_OPS     64   /* struct stub_op[STUB_MAX_OPS] */
#define STUB_OP_SIZE     56   /* nr + six arguments, u64 each */
#define STUB_MAX_OPS     48
#define STUB_OFF_SCRATCH 2816 /* up to 1280 bytes: seccomp filter, etc. */
#define STUB_SCRATCH_SIZE 1280

#endif
