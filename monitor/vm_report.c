/*
 * What the VM says when it ends: the reason it stopped, the register dump
 * and backtraces after a crash, and with --stats the trap table and the
 * counters of every part.
 */
#include <stdio.h>
#include <string.h>

#include "vm_internal.h"

/* ---- Diagnostic ---- */

/* An address as "0x7f0000100739 kmain+0x39" when the kernel has symbols. */
static void vm_print_addr(struct vm *vm, FILE *f, u64 addr)
{
	u64 off;
	const char *name = ksyms_lookup(&vm->ksyms, addr, &off);

	fprintf(f, "%#llx", (unsigned long long)addr);
	if (name)
		fprintf(f, " %s+%#llx", name, (unsigned long long)off);
}

/* Print the vCPU, the code at RIP and a frame-pointer backtrace. */
static void vm_dump(struct vm *vm, FILE *f)
{
	static const char *const names[16] = {
		"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
		"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
	static const int order[16] = { 0, 3, 1, 2, 6, 7, 5, 4, 8, 9, 10, 11, 12, 13, 14, 15 };
	struct vcpu *v = &vm->vcpu;
	struct emu_ctxt c;
	u8 code[16];
	char text[96];

	fprintf(f, "  rip %016llx  rflags %016llx  cpl %u  cs %04x ss %04x\n",
		(unsigned long long)v->rip, (unsigned long long)v->rflags, v->cpl,
		v->seg[SEG_CS], v->seg[SEG_SS]);
	for (int i = 0; i < 16; i++)
		fprintf(f, "%s%-3s %016llx%s", i % 4 ? "  " : "  ", names[order[i]],
			(unsigned long long)v->gpr[order[i]], i % 4 == 3 ? "\n" : "");
	fprintf(f, "  cr0 %llx  cr2 %llx  cr3 %llx  cr4 %llx  efer %llx\n",
		(unsigned long long)v->cr0, (unsigned long long)v->cr2,
		(unsigned long long)v->cr3, (unsigned long long)v->cr4,
		(unsigned long long)v->efer);
	fprintf(f, "  gdt %llx/%x  idt %llx/%x  tr %04x  fs.base %llx  gs.base %llx\n",
		(unsigned long long)v->gdtr.base, v->gdtr.limit,
		(unsigned long long)v->idtr.base, v->idtr.limit, v->tr,
		(unsigned long long)v->fs_base, (unsigned long long)v->gs_base);
	if (v->last_vector >= 0)
		fprintf(f, "  last exception: %s (vector %d, error code %#llx) at rip %#llx\n",
			vm_exc_name(v->last_vector), v->last_vector,
			(unsigned long long)v->last_errcode, (unsigned long long)v->last_rip);

	vm_emu_ctxt(vm, &c);
	unsigned n = 0;
	while (n < sizeof(code) && op_read(&c, v->rip + n, code + n, 1, EMU_READ_SYS) == 0)
		n++;
	if (n) {
		unsigned len = emu_disasm(code, n, v->rip, text, sizeof(text));
		fprintf(f, "  code at rip:");
		for (unsigned i = 0; i < (len ? len : n); i++)
			fprintf(f, " %02x", code[i]);
		fprintf(f, "   %s\n", len ? text : "(undecodable)");
	} else {
		fprintf(f, "  code at rip: not mapped in the guest page tables\n");
	}

	/* The guest kernel's stack by its unwind tables (unwind.c), then by
	 * the frame-pointer chain (the guest kernel keeps frame pointers,
	 * except where a function is built without them), which stops at the
	 * first unreadable frame: the fallback when the kernel has no unwind
	 * tables, and a comparison when it has. */
	unwind_kernel(vm, f);
	u64 fp = v->gpr[R_RBP];
	fprintf(f, "  backtrace (frame pointers): ");
	vm_print_addr(vm, f, v->rip);
	for (int depth = 0; depth < 16 && fp; depth++) {
		u64 frame[2];                   /* saved RBP, return address */
		if (op_read(&c, fp, frame, sizeof(frame), EMU_READ_SYS) < 0 || !frame[1])
			break;
		fprintf(f, " <- ");
		vm_print_addr(vm, f, frame[1]);
		if (frame[0] <= fp)             /* the chain must go up the stack */
			break;
		fp = frame[0];
	}
	fprintf(f, "\n");
}

static void vm_shadow_report(const struct shadow_stats *s, FILE *f)
{
#define C(x) ((unsigned long long)(x))
	fprintf(f, "\nshadow paging\n"
		"  hidden faults %llu (prefetched pages %llu, mapped as the guest wrote their entry %llu), "
		"guest page faults %llu\n"
		"  page tables tracked %llu now, %llu at most, %llu ever; writes emulated %llu, "
		"entries changed %llu, shadow entries dropped %llu\n"
		"  made read-only on tracking %llu; untracked on write flooding %llu, "
		"on unemulated writes %llu, released by the guest %llu; full flushes %llu\n"
		"  contexts built %llu, recycled %llu, switches %llu; CR3 loads %llu, invlpg %llu; "
		"checks %llu (%llu mappings)\n"
		"  code pages scanned %llu, silent-fail instructions patched %llu, "
		"patched copies dropped %llu\n"
		"  dirty log (migration): %llu pages logged as the guest wrote them, "
		"%llu write-protect passes\n",
		C(s->hidden_faults), C(s->prefetched), C(s->premapped), C(s->guest_faults),
		C(s->tracked_now), C(s->tracked_max), C(s->tracked_total), C(s->pt_writes),
		C(s->pt_entries_changed), C(s->sptes_dropped),
		C(s->wprotects), C(s->untracked_flood), C(s->untracked_other), C(s->released),
		C(s->full_flushes),
		C(s->ctx_built), C(s->ctx_reused), C(s->ctx_switches), C(s->cr3_loads),
		C(s->invlpgs), C(s->checks), C(s->checked),
		C(s->pages_scanned), C(s->patch_sites), C(s->copies_dropped),
		C(s->dirty_faults), C(s->dirty_passes));
#undef C
}

void vm_report(struct vm *vm, FILE *f)
{
	if (vm->quit_reported)
		fprintf(f, "\ntrapvisor: %s\n", vm->kill_reason);
	if (vm->crashed && vm->exit_status == EXIT_HOST_ERROR)
		fprintf(f, "trapvisor: host failure: %s\n", vm->kill_reason);
	else if (vm->crashed && vm->kill_reason[0]) {
		fprintf(f, "trapvisor: VM stopped: %s\n", vm->kill_reason);
		vm_dump(vm, f);
	}
	if (vm->opt.stats) {
		fprintf(f, "\n");
		stats_print(&vm->stats, f);
		vm_shadow_report(&vm->shadow.st, f);
		if (vm->fpu_loads)
			fprintf(f, "paravirtual FPU: %llu areas loaded, %llu saved (instead of a move "
				"at every kernel entry and exit)\n", (unsigned long long)vm->fpu_loads,
				(unsigned long long)vm->fpu_saves);
		if (vm->mmu_batches)
			fprintf(f, "paravirtual MMU: %llu batches, %llu page-table entries written, "
				"%llu page tables released (instead of a trap each)\n",
				(unsigned long long)vm->mmu_batches, (unsigned long long)vm->mmu_writes,
				(unsigned long long)vm->mmu_releases);
		if (vm->ata.fd >= 0)
			fprintf(f, "disk: %llu commands, %llu sectors read, %llu written, %llu flushes "
				"(fdatasync), %llu errors%s%s\n",
				(unsigned long long)vm->ata.commands,
				(unsigned long long)vm->ata.sectors_read,
				(unsigned long long)vm->ata.sectors_written,
				(unsigned long long)vm->ata.flushes,
				(unsigned long long)vm->ata.errors,
				vm->ata.last_errno ? "; last host error: " : "",
				vm->ata.last_errno ? strerror(vm->ata.last_errno) : "");
		fprintf(f, "instructions emulated %llu, of which %llu chained to the one before "
			"(--chain: no stop of their own); %llu stops through the guest's gate "
			"(a system-call stop instead of #GP)\n",
			(unsigned long long)vm->emulated, (unsigned long long)vm->chained,
			(unsigned long long)vm->gates);
		fprintf(f, "stub: %llu batches, %llu operations (%llu asked for, %llu dropped, %llu merged); "
			"%llu folded into the resume (no stop of their own; %llu ended by a kick, "
			"%llu run again)%s; "
			"%llu stops in all; CPUID faulting %s; RDTSC trapping %s\n",
			(unsigned long long)vm->stub.batches, (unsigned long long)vm->stub.ops,
			(unsigned long long)vm->stub.qst.queued, (unsigned long long)vm->stub.qst.dropped,
			(unsigned long long)vm->stub.qst.merged,
			(unsigned long long)vm->stub.folded, (unsigned long long)vm->stub.fold_kicked,
			(unsigned long long)vm->stub.fold_replays,
			vm->stub.fold_forged ? ", then off: guest code ran the stub's system call" :
			!vm->stub.fold || vm->stub.signal ? ", off" :
			!vm->stub.key ? ", off: the host's mmap refused the key" : "",
			(unsigned long long)vm->stops,
			vm->stub.cpuid_faulting ? "on" :
			vm->stub.cpuid_faulting_off ? "off (--cpuid-faulting=off: CPUID runs natively)" :
			"unavailable on this host (CPUID runs natively)",
			!vm->stub.rdtsc_trap_off ? "on" :
			vm->opt.rdtsc_trap == 0 ? "off (--rdtsc-trap=off: RDTSC runs natively)" :
			"not honoured by this host (RDTSC runs natively: the guest reads the host's TSC)");
		if (vm->thread_match >= 0)
			fprintf(f, "vCPU thread: RDTSC trapping %s, CPUID faulting %s%s%s%s\n",
				vm->thread_match & 1 ? "on" : "off", vm->thread_match & 2 ? "on" : "off",
				!vm->opt.vcpu_thread_match ? " (--vcpu-thread-match=off)" :
				(vm->thread_match & 3) == ((!vm->stub.rdtsc_trap_off) | (vm->stub.cpuid_faulting << 1)) ?
				" (as its contexts: no CR4 rewrite on a switch)" : " (unlike its contexts)",
				vm->thread_match_err ? ": " : "",
				vm->thread_match_err ? strerror(-vm->thread_match_err) : "");
		fprintf(f, "wall time %.3f ms, of which %.3f ms asleep in HLT: %.2f us per stop, "
			"host round trip and guest run time included\n",
			vm->run_ns / 1e6, vm->idle_ns / 1e6,
			vm->stops ? (vm->run_ns - vm->idle_ns) / 1e3 / vm->stops : 0.0);
		place_report(&vm->place, f);
		fprintf(f, "time: PIT ticks %llu delivered, %llu missed (coalesced); "
			"I/O thread kicks %llu; guest TSC %llu kHz\n",
			(unsigned long long)vm->pit.ticks, (unsigned long long)vm->pit.missed,
			(unsigned long long)atomic_load(&vm->io.kicks),
			(unsigned long long)vm->tsc_khz);
	}
}
