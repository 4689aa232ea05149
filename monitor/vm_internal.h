/*
 * What the files of the VM (monitor/vm*.c) share and nothing else uses:
 * the helpers one concern calls in another.  The rest of the monitor
 * sees only vm.h.
 */
#ifndef VM_INTERNAL_H
#define VM_INTERNAL_H

#include <time.h>

#include "vm.h"
#include "host_time.h"
#include "trapvisor/boot.h"

/* Buffers the vCPU thread passes data through, one use at a time.  They
 * hang off struct vm (allocated by vm_create(): too large for the stack)
 * so that two VMs in one process share nothing. */
struct vm_scratch {
	u8 fpu[HOST_FPU_MAX] __attribute__((aligned(64))); /* one XSAVE image (the
	                          * paravirtual FPU: vm_fpu_save(), HC_PV_REGISTER) */
	u8 blk[PV_BLK_MAX * ATA_SECTOR]; /* HC_BLK_IO: a read on its way to guest RAM */
	u8 code[2 * 4096 + 16];  /* vm_patch_scan(): the page before, the page, 16 bytes */
	struct pv_mmu_op mmu[PV_MMU_BATCH_MAX]; /* HC_MMU_BATCH: the guest's array, copied */
};

static inline u64 now_ns(void)
{
	return host_mono_ns();          /* safe on the vCPU thread (host_time.h) */
}

/* vm.c: lifecycle.  A host failure: the monitor itself cannot go on.  The
 * reason is "what failed: why" (err is -errno). */
void vm_host_error(struct vm *vm, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* vm_emu.c: the emulator's view of the VM (memory, ports, CRs, CPUID). */
void vm_bad_gpa(struct vm *vm, u64 la, u64 gpa);
void vm_write_ram_span(struct vm *vm, u64 gpa, const u8 *src, u64 len);
int op_read(struct emu_ctxt *c, u64 la, void *buf, unsigned len, enum emu_access acc);
void op_cpuid(struct emu_ctxt *c, u32 leaf, u32 subleaf, u32 out[4]);
void vm_emu_ctxt(struct vm *vm, struct emu_ctxt *c);

/* vm_hypercall.c: the paravirtual interface (boot.h). */
struct pv_vcpu *vm_pv(struct vm *vm);
void vm_pv_sync_in(struct vm *vm);
void vm_pv_sync_out(struct vm *vm);
int op_hypercall(struct emu_ctxt *c, u64 nr, const u64 args[5], u64 *ret);

/* vm_fpu.c: the paravirtual FPU. */
int vm_fpu_save(struct vm *vm);
bool vm_fpu_enter_user(struct vm *vm, struct pv_vcpu *pv, struct context *c);

/* vm_stop.c: events into the guest, and the stop handlers. */
/* "#GP" for vector 13; "INT" for a vector above the exceptions. */
const char *vm_exc_name(unsigned v);
void vm_deliver(struct vm *vm, const struct emu_exception *e);
void vm_raise(struct vm *vm, u8 vector, u32 errcode, u64 cr2);
void vm_syscall(struct vm *vm);
void vm_chain(struct vm *vm);
bool vm_emulate(struct vm *vm, u8 vector);
void vm_exit(struct vm *vm, struct context *ctx, const struct host_exit *e);

/* vm_mmu.c: what the guest's page tables cause. */
bool vm_patch_trap(struct vm *vm);
void vm_page_fault(struct vm *vm, struct context *ctx, u64 la, bool present);
/* HC_MMU_BATCH: apply n struct pv_mmu_op at 'gpa'; 0 or -errno (nothing applied). */
s64 vm_mmu_batch(struct vm *vm, u64 gpa, u64 n);

/* vm_events.c: interrupts, time and the outside world. */
void vm_feed_uart(struct vm *vm);
void vm_sync_timer(struct vm *vm);
void vm_events(struct vm *vm);
void vm_interrupts(struct vm *vm);
void vm_idle(struct vm *vm);

/* vm_bench.c: the measurement ports (bus handlers). */
void vm_bench_mark(void *dev, u16 offset, unsigned size, bool is_write, u32 *val);
void vm_trap_count(void *dev, u16 offset, unsigned size, bool is_write, u32 *val);

#endif
