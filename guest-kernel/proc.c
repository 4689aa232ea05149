/*
 * proc.c: running the embedded user programs, one at a time.  proc_run()
 * builds an address space from the program's ELF image, saves the kernel's
 * context, and IRETQs to ring 3.  The kernel comes back through that saved
 * context when the program calls exit (proc_exit) or takes an exception
 * (proc_kill), wherever on the trap stack that happens; proc_run() then
 * loads the kernel's page tables and frees the process's pages.
 *
 * A process's address space: its PT_LOAD segments at their p_vaddr (U=1,
 * W only if PF_W, NX unless PF_X, zero-filled from p_filesz to p_memsz) and
 * a 64 KiB stack ending at USER_STACK_TOP (U=1, W, NX).
 */
#include "defs.h"
#include "elf.h"

_Static_assert(offsetof(struct kcontext, rsp) == 48 && offsetof(struct kcontext, rip) == 56,
	       "context.S uses these offsets");

static const struct user_program *find_program(const char *name)
{
	for (const struct user_program *u = user_programs; u->name; u++)
		if (strcmp(u->name, name) == 0)
			return u;
	return 0;
}

/* Map and fill one PT_LOAD segment (number i) of image [img, img + size).
 * Returns 0, or -1 after printing why. */
static int load_segment(struct proc *p, const u8 *img, u64 size, const struct elf64_phdr *ph, int i)
{
	u64 perm = (ph->p_flags & PF_W ? PTE_W : 0) | (ph->p_flags & PF_X ? 0 : PTE_NX);

	if (ph->p_filesz > ph->p_memsz || ph->p_offset > size || ph->p_filesz > size - ph->p_offset) {
		kprintf("%s: segment %d: %lu file bytes at offset 0x%lx, beyond the %lu-byte file\n",
			p->name, i, ph->p_filesz, ph->p_offset, size);
		return -1;
	}
	if (ph->p_vaddr < USER_BASE || ph->p_vaddr > USER_TOP || ph->p_memsz > USER_TOP - ph->p_vaddr) {
		kprintf("%s: segment %d at 0x%lx (%lu bytes) is outside user space [0x%lx, 0x%lx)\n",
			p->name, i, ph->p_vaddr, ph->p_memsz, USER_BASE, USER_TOP);
		return -1;
	}
	if (uvm_alloc(p->pml4, ph->p_vaddr, ph->p_memsz, perm) < 0 ||
	    uvm_copyout(p->pml4, ph->p_vaddr, img + ph->p_offset, ph->p_filesz) < 0) {
		kprintf("%s: out of memory loading segment %d\n", p->name, i);
		return -1;
	}
	return 0;
}

/* Check the ELF64 ET_EXEC image [img, img + size) and load its PT_LOAD
 * segments into p's address space.  Returns 0, or -1 after printing why. */
static int load_elf(struct proc *p, const u8 *img, u64 size)
{
	const struct elf64_ehdr *eh = (const void *)img;
	const struct elf64_phdr *ph;

	if (size < sizeof(*eh) || memcmp(eh->e_ident, ELF_MAGIC, 4) != 0) {
		kprintf("%s: not an ELF file\n", p->name);
		return -1;
	}
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != EM_X86_64) {
		kprintf("%s: not a little-endian ELF64 file for x86-64 (class %u, machine %u)\n",
			p->name, eh->e_ident[EI_CLASS], eh->e_machine);
		return -1;
	}
	if (eh->e_type != ET_EXEC) {
		kprintf("%s: ELF type %u, only ET_EXEC (2) is supported\n", p->name, eh->e_type);
		return -1;
	}
	if (eh->e_phentsize != sizeof(*ph) || eh->e_phoff > size ||
	    eh->e_phnum > (size - eh->e_phoff) / sizeof(*ph)) {
		kprintf("%s: %u program headers at offset 0x%lx do not fit in the %lu-byte file\n",
			p->name, eh->e_phnum, eh->e_phoff, size);
		return -1;
	}
	if (eh->e_entry < USER_BASE || eh->e_entry >= USER_TOP) {
		kprintf("%s: entry point 0x%lx is outside user space\n", p->name, eh->e_entry);
		return -1;
	}

	ph = (const void *)(img + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && load_segment(p, img, size, &ph[i], i) < 0)
			return -1;
	p->entry = eh->e_entry;
	return 0;
}

/* Enter ring 3 at entry with the stack at USER_STACK_TOP, IF=1, all other
 * registers 0: build the frame at the top of the trap stack (where the next
 * trap from user mode will start anyway) and IRETQ through it. */
static void __attribute__((noreturn)) enter_user(u64 entry)
{
	struct trapframe *tf = (struct trapframe *)cpu.kernel_rsp - 1;

	memset(tf, 0, sizeof(*tf));
	tf->rip = entry;
	tf->cs = USER_CS;
	tf->rflags = FL_IF | FL_FIXED;
	tf->rsp = USER_STACK_TOP;
	tf->ss = USER_DS;
	trap_return(tf);
}

/* Run the embedded program name to its end.  Returns 0 when it ran (and
 * exited or was killed), -1 when it could not be started. */
int proc_run(const char *name)
{
	const struct user_program *prog = find_program(name);
	struct proc p;

	if (!prog) {
		kprintf("run: no program \"%s\"\n", name);
		return -1;
	}
	p.name = prog->name;
	p.pml4 = uvm_create();
	if (!p.pml4) {
		kprintf("%s: out of memory\n", p.name);
		return -1;
	}
	if (load_elf(&p, prog->start, prog->end - prog->start) < 0) {
		uvm_free(p.pml4);
		return -1;
	}
	if (uvm_alloc(p.pml4, USER_STACK_TOP - USER_STACK_SIZE, USER_STACK_SIZE, PTE_W | PTE_NX) < 0) {
		kprintf("%s: out of memory for the stack\n", p.name);
		uvm_free(p.pml4);
		return -1;
	}

	cpu.proc = &p;
	vm_switch(p.pml4);
	/*
	 * A program that left by exit() left from inside syscall_entry, between
	 * its two SWAPGS: put both GS bases back so that the next SYSCALL's
	 * SWAPGS finds &cpu again.
	 */
	wrmsr(MSR_GS_BASE, 0);
	wrmsr(MSR_KERNEL_GS_BASE, (u64)&cpu);
	if (kctx_save(&cpu.sched) == 0)
		enter_user(p.entry);

	/* Back from proc_exit() or proc_kill(), on the kernel stack again. */
	cpu.proc = 0;
	vm_switch_kernel();
	uvm_free(p.pml4);
	return 0;
}

/* The running process called exit(status): report it, return to proc_run(). */
void proc_exit(int status)
{
	kprintf("%s exited with status %d\n", cpu.proc->name, status);
	kctx_restore(&cpu.sched, 1);
}

/* The running process was killed (trap.c printed why): return to proc_run(). */
void proc_kill(void)
{
	kctx_restore(&cpu.sched, 1);
}
