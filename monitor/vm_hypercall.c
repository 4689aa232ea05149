/*
 * The paravirtual interface (include/trapvisor/boot.h): the shared
 * per-vCPU page with the virtual interrupt flag, and the hypercalls the
 * guest kernel makes with VMCALL, among them the paravirtual disk.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include "trapvisor/debug.h"

#include "vm_internal.h"

/* ---- The paravirtual interrupt flag (boot.h, struct pv_vcpu) ---- */

struct pv_vcpu *vm_pv(struct vm *vm)
{
	return vm->pv_gpa ? (struct pv_vcpu *)(vm->ram + vm->pv_gpa) : NULL;
}

/* What the paravirtual kernel reads instead of SGDT, SIDT, SLDT, STR,
 * SMSW, MOV from a segment register and PUSHF's IOPL (boot.h): all of it
 * changes only through instructions that trap, so writing it before each
 * resume keeps it exact whenever the guest runs. */
static void vm_pv_cpu_state(const struct vcpu *v, volatile struct pv_cpu_state *s)
{
	s->cr0 = v->cr0;
	s->gdt_base = v->gdtr.base;
	s->gdt_limit = v->gdtr.limit;
	s->idt_base = v->idtr.base;
	s->idt_limit = v->idtr.limit;
	s->ldtr = v->ldtr;
	s->tr = v->tr;
	s->es = v->seg[SEG_ES];
	s->cs = v->seg[SEG_CS];
	s->ss = v->seg[SEG_SS];
	s->ds = v->seg[SEG_DS];
	s->fs = v->seg[SEG_FS];
	s->gs = v->seg[SEG_GS];
	s->iopl = (v->rflags & X86_RFLAGS_IOPL) >> 12;
}

/* After a stop: the guest may have written vif; it is the interrupt flag. */
void vm_pv_sync_in(struct vm *vm)
{
	struct pv_vcpu *pv = vm_pv(vm);

	if (!pv)
		return;
	vm->vcpu.rflags = (vm->vcpu.rflags & ~X86_RFLAGS_IF) | (pv->vif ? X86_RFLAGS_IF : 0);
	/* The paravirtual FPU: the kernel asks for the live area to be loaded
	 * again, so it has rewritten it (a signal handler's fresh state,
	 * rt_sigreturn's, execve's).  The live state is then no longer that
	 * area's: it must not be saved over it, which would happen if another
	 * process reached user mode first (a timer tick on the way out of the
	 * signal delivery, a switch).  From now on no area is live. */
	if (pv->fpu_reload && pv->fpu_gpa && pv->fpu_gpa == vm->fpu_live_gpa)
		vm->fpu_live_gpa = 0;
}

/* Before resuming: emulation or delivery may have changed IF; and tell the
 * guest whether an interrupt waits for it. */
void vm_pv_sync_out(struct vm *vm)
{
	struct pv_vcpu *pv = vm_pv(vm);

	if (!pv)
		return;
	pv->vif = !!(vm->vcpu.rflags & X86_RFLAGS_IF);
	pv->pending = pic_intr(&vm->pic);
	vm_pv_cpu_state(&vm->vcpu, &pv->cpu);
	if (atomic_load(&vm->io.winsize_seq) != vm->winsize_seq) {
		u32 ws = atomic_load(&vm->io.winsize);
		vm->winsize_seq = atomic_load(&vm->io.winsize_seq);
		pv->console_rows = ws >> 16;
		pv->console_cols = ws & 0xffff;
		pv->console_seq++;
	}
}

/*
 * HC_BLK_IO: the paravirtual disk, the same image as the ATA disk, one
 * request per hypercall straight between the file and guest RAM (boot.h).
 * Reads land through vm_write_ram(), so a buffer that overlaps a tracked
 * page table or patched code page keeps the shadow coherent.  Counted
 * with the ATA disk's sectors.
 */
/* A host I/O error on the paravirtual path: counted with the disk's. */
static s64 vm_blk_failed(struct ata_disk *d)
{
	d->errors++;
	return -5;                                 /* EIO */
}

static s64 vm_blk_io(struct vm *vm, u64 op, u64 sector, u64 count, u64 gpa)
{
	u8 *buf = vm->scratch->blk;
	struct ata_disk *d = &vm->ata;
	u64 len = count * ATA_SECTOR;

	if (d->fd < 0)
		return -6;                       /* ENXIO */
	if (op == PV_BLK_FLUSH) {
		if (fdatasync(d->fd) == 0) {
			d->flushes++;
			return 0;
		}
		d->last_errno = errno;
		return vm_blk_failed(d);
	}
	if (op > PV_BLK_WRITE || count == 0 || count > PV_BLK_MAX || sector >= d->sectors ||
	    count > d->sectors - sector)
		return -22;                      /* EINVAL */
	if (gpa >= vm->ram_size || len > vm->ram_size - gpa)
		return -14;                      /* EFAULT */
	if (op == PV_BLK_WRITE) {
		if (d->read_only)
			return -30;              /* EROFS */
		if (ata_file_io(d, vm->ram + gpa, len, sector * ATA_SECTOR, true) < 0)
			return vm_blk_failed(d);
		d->sectors_written += count;
		return 0;
	}
	if (ata_file_io(d, buf, len, sector * ATA_SECTOR, false) < 0)
		return vm_blk_failed(d);
	vm_write_ram_span(vm, gpa, buf, len);
	d->sectors_read += count;
	return 0;
}

/* VMCALL from the guest kernel: the paravirtual interface (boot.h). */
int op_hypercall(struct emu_ctxt *c, u64 nr, const u64 args[5], u64 *ret)
{
	static const char *const names[] = {
		[HC_VERSION] = "hypercall version", [HC_PV_REGISTER] = "hypercall pv register",
		[HC_IRQ_WINDOW] = "hypercall irq window", [HC_DESC_QUERY] = "hypercall desc query",
		[HC_CPUID] = "hypercall cpuid", [HC_BLK_INFO] = "hypercall blk info",
		[HC_BLK_IO] = "hypercall blk io", [HC_FPU_SAVE] = "hypercall fpu save",
		[HC_NMI_WATCHDOG] = "hypercall nmi watchdog", [HC_MMU_BATCH] = "hypercall mmu batch",
		[HC_USER_FAULT] = "hypercall user fault",
	};
	struct vm *vm = c->opaque;

	stats_add(&vm->stats, STAT_EXIT, nr < sizeof(names) / sizeof(names[0]) && names[nr] ?
		  names[nr] : "hypercall unknown", 0);
	switch (nr) {
	case HC_VERSION:
		*ret = HC_ABI_VERSION;
		break;
	case HC_PV_REGISTER:
		/* Page-aligned, inside RAM: then vif is the interrupt flag. */
		if ((args[0] & 0xfff) || args[0] == 0 || args[0] >= vm->ram_size ||
		    vm->ram_size - args[0] < 4096) {
			*ret = (u64)-22;
			break;
		}
		if (!vm->fpu_size && vm->shadow.cur) {
			int n = host_get_fpu(vm->shadow.cur->pid, vm->scratch->fpu,
					     sizeof(vm->scratch->fpu));
			vm->fpu_size = n > 0 ? (u32)n : 0;
		}
		vm->pv_gpa = args[0];
		vm->fpu_live_gpa = 0;
		vm_pv(vm)->fpu_size = vm->fpu_size;
		vm_pv_sync_out(vm);
		*ret = 0;
		break;
	case HC_FPU_SAVE:
		*ret = vm_pv(vm) && vm_fpu_save(vm) == 0 ? 0 : (u64)-14;
		break;
	case HC_IRQ_WINDOW:
		*ret = 0;               /* the stop itself lets the loop deliver */
		break;
	case HC_NMI_WATCHDOG:
		*ret = (u64)vm_watchdog_arm(vm, args[0], now_ns());
		vm_sync_timer(vm);      /* the host timer, for the new deadline */
		break;
	case HC_DESC_QUERY: {
		u64 val;
		int ok;

		if (args[0] > PV_DESC_VERW) {
			*ret = (u64)-22;
			break;
		}
		/* PV_DESC_* are the emulator's query order (boot.h, traps.h). */
		ok = emu_desc_query(c, (enum emu_desc_query)args[0], (u16)args[1], &val);
		if (ok < 0)
			return -1;      /* the instruction would fault: so does this */
		*ret = ok ? val : (u64)-1;
		break;
	}
	case HC_BLK_INFO:
		*ret = vm->ata.fd >= 0 ? vm->ata.sectors : (u64)-6;
		break;
	case HC_BLK_IO:
		*ret = (u64)vm_blk_io(vm, args[0], args[1], args[2], args[3]);
		break;
	case HC_MMU_BATCH:
		*ret = (u64)vm_mmu_batch(vm, args[0], args[1]);
		break;
	case HC_USER_FAULT:             /* --backtrace-user (unwind.c) */
		*ret = (u64)unwind_user_fault(vm, args[0], stderr);
		break;
	case HC_CPUID: {
		u32 out[4];

		/* 16-byte aligned, so the buffer lies within one page. */
		if (args[2] % 16 || args[2] >= vm->ram_size) {
			*ret = (u64)-14;         /* -EFAULT */
			break;
		}
		op_cpuid(c, (u32)args[0], (u32)args[1], out);   /* as the instruction */
		vm_write_ram(vm, args[2], out, sizeof(out));
		*ret = 0;
		break;
	}
	default:
		*ret = (u64)-38;                /* -ENOSYS */
		break;
	}
	return 0;
}
