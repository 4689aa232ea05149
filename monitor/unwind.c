/*
 * Backtraces of the guest with libunwind's remote interface: the monitor
 * is the "remote" side, the guest's memory and registers the target.
 *
 *   (i)   the accessors: guest memory is read through the guest's own page
 *         tables (shadow_walk(), no A/D bits set, nothing written), the
 *         registers come from a copy the caller fills (the vCPU's, or a
 *         user program's at its fault as the guest kernel saw them);
 *   (ii)  the unwind tables: a module is a range of guest code with its
 *         .eh_frame_hdr (the sorted index PT_GNU_EH_FRAME names) in guest
 *         memory; libunwind's DWARF search reads the index and the CFI
 *         from there, as it would from a core file;
 *   (iii) the guest kernel: its module comes from the kernel ELF's program
 *         headers at load (unwind_load_kernel()), its symbols are ksyms;
 *         vm_dump() prints this backtrace when the VM stops with a
 *         diagnostic and falls back to the frame-pointer walk only if
 *         libunwind finds no caller;
 *   (iv)  a user program (--backtrace-user): the guest kernel's
 *         HC_USER_FAULT (<trapvisor/debug.h>) gives its registers and where
 *         its program headers are; its symbols come from the file of the
 *         same path in the --initrd archive, when it is there.
 *
 * DWARF CFI describes every frame of code compiled with unwind tables,
 * with or without a frame pointer: that is what this buys over the
 * frame-pointer chain (docs/ARCHITECTURE.md, "Backtraces").
 */
#include <elf.h>
#include <fcntl.h>
#include <libunwind.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vm.h"
#include "trapvisor/debug.h"

/* libunwind's search of a remote .eh_frame_hdr table: exported, though no
 * header declares it (perf's libunwind support declares it the same way). */
extern int UNW_OBJ(dwarf_search_unwind_table)(unw_addr_space_t as, unw_word_t ip,
					      unw_dyn_info_t *di, unw_proc_info_t *pi,
					      int need_unwind_info, void *arg);

#define UNWIND_MAX_FRAMES 32
#define UNWIND_MAX_PHDRS  64
#define UNWIND_MAX_INITRD (1ull << 30)   /* a larger --initrd: no user symbols */

/* (ii) One range of guest code and its unwind index. */
struct unw_module {
	const char *name;        /* "kernel", or the program's path */
	u64 lo, hi;              /* its executable range, guest virtual */
	u64 hdr;                 /* its .eh_frame_hdr, guest virtual */
	u64 table, nfde;         /* the index's table and its entries */
	u64 bias;                /* symbol value = address - bias */
	const struct ksyms *syms;/* its function symbols (may be empty) */
};

/* What the accessors see: the arg of every libunwind callback. */
struct unw_guest {
	struct vm *vm;           /* guest RAM and the vCPU's CR0/EFER */
	u64 cr3;                 /* the page tables to read through */
	unw_word_t reg[UNW_X86_64_RIP + 1]; /* libunwind's numbering */
	struct unw_module mod;   /* the one module of this backtrace */
};

/* The vCPU's register order (R_RAX...) in libunwind's numbering. */
static const int unw_reg_of[16] = {
	[R_RAX] = UNW_X86_64_RAX, [R_RCX] = UNW_X86_64_RCX, [R_RDX] = UNW_X86_64_RDX,
	[R_RBX] = UNW_X86_64_RBX, [R_RSP] = UNW_X86_64_RSP, [R_RBP] = UNW_X86_64_RBP,
	[R_RSI] = UNW_X86_64_RSI, [R_RDI] = UNW_X86_64_RDI, [R_R8] = UNW_X86_64_R8,
	[R_R9] = UNW_X86_64_R9, [R_R10] = UNW_X86_64_R10, [R_R11] = UNW_X86_64_R11,
	[R_R12] = UNW_X86_64_R12, [R_R13] = UNW_X86_64_R13, [R_R14] = UNW_X86_64_R14,
	[R_R15] = UNW_X86_64_R15,
};

/* ---- (i) Guest memory and registers ---- */

/* Read n bytes of guest virtual memory at va through g's page tables, as
 * the kernel would (supervisor access).  0, or -1 if any byte is unmapped. */
static int unw_read(struct unw_guest *g, u64 va, void *buf, size_t n)
{
	const struct vcpu *v = &g->vm->vcpu;
	u8 *b = buf;

	while (n) {
		struct gwalk w;
		size_t k = 4096 - (va & 4095);

		if (k > n)
			k = n;
		if (!X86_CANONICAL(va) ||
		    shadow_walk(g->vm->ram, g->vm->ram_size, v->cr0, g->cr3, v->efer, va,
				EMU_READ_SYS, 0, false, &w) != 0)
			return -1;
		memcpy(b, g->vm->ram + w.gpa, k);
		va += k;
		b += k;
		n -= k;
	}
	return 0;
}

static int acc_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *val, int write, void *arg)
{
	if (write)
		return -UNW_EREADONLYREG;
	return unw_read(arg, addr, val, sizeof(*val)) == 0 ? 0 : -UNW_EINVAL;
}

static int acc_reg(unw_addr_space_t as, unw_regnum_t r, unw_word_t *val, int write, void *arg)
{
	struct unw_guest *g = arg;

	if (r < 0 || r > UNW_X86_64_RIP)
		return -UNW_EBADREG;
	if (write)
		g->reg[r] = *val;
	else
		*val = g->reg[r];
	return 0;
}

static int acc_fpreg(unw_addr_space_t as, unw_regnum_t r, unw_fpreg_t *val, int write, void *arg)
{
	return -UNW_EBADREG;
}

static int acc_resume(unw_addr_space_t as, unw_cursor_t *c, void *arg)
{
	return -UNW_EINVAL;                 /* we only look */
}

static int acc_dyn_list(unw_addr_space_t as, unw_word_t *addr, void *arg)
{
	return -UNW_ENOINFO;
}

/* DWARF table entries are freed by libunwind itself. */
static void acc_put_info(unw_addr_space_t as, unw_proc_info_t *pi, void *arg)
{
}

static const char *unw_symbol(const struct unw_module *m, u64 addr, u64 *off)
{
	return m->syms ? ksyms_lookup(m->syms, addr - m->bias, off) : NULL;
}

static int acc_proc_name(unw_addr_space_t as, unw_word_t addr, char *buf, size_t len,
			 unw_word_t *off, void *arg)
{
	struct unw_guest *g = arg;
	u64 o;
	const char *name = unw_symbol(&g->mod, addr, &o);

	if (!name)
		return -UNW_ENOINFO;
	snprintf(buf, len, "%s", name);
	*off = o;
	return 0;
}

/* ---- (ii) The unwind index ---- */

static int acc_find_proc(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t *pi,
			 int need_unwind_info, void *arg)
{
	struct unw_guest *g = arg;
	const struct unw_module *m = &g->mod;
	unw_dyn_info_t di;

	if (!m->nfde || ip < m->lo || ip >= m->hi)
		return -UNW_ENOINFO;
	memset(&di, 0, sizeof(di));
	di.format = UNW_INFO_FORMAT_REMOTE_TABLE;
	di.start_ip = m->lo;
	di.end_ip = m->hi;
	di.u.rti.segbase = m->hdr;
	di.u.rti.table_data = m->table;
	di.u.rti.table_len = m->nfde * 8 / sizeof(unw_word_t);
	return UNW_OBJ(dwarf_search_unwind_table)(as, ip, &di, pi, need_unwind_info, arg);
}

/* Read the .eh_frame_hdr at m->hdr: version 1 with the encodings every
 * linker writes (eh_frame_ptr pcrel|sdata4, fde_count udata4, the table
 * datarel|sdata4, 8 bytes an entry).  0, or -1 (no usable index). */
static int unw_index(struct unw_guest *g, struct unw_module *m)
{
	u8 h[4];
	u32 count;

	if (!m->hdr || unw_read(g, m->hdr, h, 4) < 0 || h[0] != 1 || h[1] != 0x1b ||
	    h[2] != 0x03 || h[3] != 0x3b || unw_read(g, m->hdr + 8, &count, 4) < 0 || !count)
		return -1;
	m->table = m->hdr + 12;
	m->nfde = count;
	return 0;
}

/* The executable range and the PT_GNU_EH_FRAME address of program headers
 * ph[0, n), relocated by bias. */
static void unw_phdrs(struct unw_image *im, const Elf64_Phdr *ph, int n, u64 bias)
{
	memset(im, 0, sizeof(*im));
	for (int i = 0; i < n; i++) {
		if (ph[i].p_type == PT_GNU_EH_FRAME)
			im->eh_frame_hdr = ph[i].p_vaddr + bias;
		if (ph[i].p_type != PT_LOAD || !(ph[i].p_flags & PF_X))
			continue;
		if (!im->text_hi || ph[i].p_vaddr + bias < im->text_lo)
			im->text_lo = ph[i].p_vaddr + bias;
		if (ph[i].p_vaddr + bias + ph[i].p_memsz > im->text_hi)
			im->text_hi = ph[i].p_vaddr + bias + ph[i].p_memsz;
	}
}

/* Print the frames libunwind finds from g's registers, one a line: "#N
 * address symbol+offset".  Returns how many. */
static int unw_walk(struct unw_guest *g, FILE *f)
{
	unw_accessors_t acc = {
		.find_proc_info = acc_find_proc,
		.put_unwind_info = acc_put_info,
		.get_dyn_info_list_addr = acc_dyn_list,
		.access_mem = acc_mem,
		.access_reg = acc_reg,
		.access_fpreg = acc_fpreg,
		.resume = acc_resume,
		.get_proc_name = acc_proc_name,
	};
	unw_addr_space_t as = unw_create_addr_space(&acc, 0);
	unw_cursor_t cur;
	int n = 0;

	if (!as)
		return 0;
	unw_set_caching_policy(as, UNW_CACHE_NONE);   /* guest memory changes */
	if (unw_init_remote(&cur, as, g) == 0) {
		for (;;) {
			unw_word_t ip = 0;
			u64 off;

			if (unw_get_reg(&cur, UNW_REG_IP, &ip) < 0 || !ip)
				break;
			/* A return address may lie past the end of a call's
			 * function (a call to a noreturn one): name ip - 1. */
			const char *name = unw_symbol(&g->mod, n ? ip - 1 : ip, &off);
			fprintf(f, "    #%d %#llx", n, (unsigned long long)ip);
			if (name)
				fprintf(f, " %s+%#llx", name, (unsigned long long)(off + (n ? 1 : 0)));
			fprintf(f, "\n");
			/* Outside the module there is no CFI to go on. */
			if (++n == UNWIND_MAX_FRAMES || ip < g->mod.lo || ip >= g->mod.hi ||
			    unw_step(&cur) <= 0)
				break;
		}
	}
	unw_destroy_addr_space(as);
	return n;
}

static void unw_set_regs(struct unw_guest *g, const u64 gpr[16], u64 rip)
{
	for (int i = 0; i < 16; i++)
		g->reg[unw_reg_of[i]] = gpr[i];
	g->reg[UNW_X86_64_RIP] = rip;
}

/* ---- (iii) The guest kernel ---- */

void unwind_load_kernel(struct unw_image *im, const void *img, size_t size)
{
	const u8 *b = img;
	Elf64_Ehdr eh;
	Elf64_Phdr ph[UNWIND_MAX_PHDRS];

	memset(im, 0, sizeof(*im));
	if (size < sizeof(eh))
		return;
	memcpy(&eh, b, sizeof(eh));
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum > UNWIND_MAX_PHDRS ||
	    eh.e_phoff > size || (u64)eh.e_phnum * sizeof(Elf64_Phdr) > size - eh.e_phoff)
		return;
	memcpy(ph, b + eh.e_phoff, eh.e_phnum * sizeof(Elf64_Phdr));
	unw_phdrs(im, ph, eh.e_phnum, 0);
}

int unwind_kernel(struct vm *vm, FILE *f)
{
	struct unw_guest g = { .vm = vm, .cr3 = vm->vcpu.cr3 };
	const struct unw_image *im = &vm->kunwind;

	g.mod = (struct unw_module){ .name = "kernel", .lo = im->text_lo, .hi = im->text_hi,
				     .hdr = im->eh_frame_hdr, .syms = &vm->ksyms };
	if (unw_index(&g, &g.mod) < 0)
		return 0;
	unw_set_regs(&g, vm->vcpu.gpr, vm->vcpu.rip);
	fprintf(f, "  backtrace (libunwind, the kernel's .eh_frame):\n");
	return unw_walk(&g, f);
}

/* ---- (iv) A user program ---- */

/* The function symbols of the file at 'path' in the --initrd archive (the
 * file as booted): none if there is no initrd, no such file or no symbol
 * table.  True if the file was found. */
static bool unw_user_symbols(struct vm *vm, const char *path, struct ksyms *ks)
{
	bool found = false;
	const u8 *data;
	size_t size, len;
	u8 *buf = NULL, *plain = NULL;
	struct stat st;
	char err[128];
	int fd;

	memset(ks, 0, sizeof(*ks));
	if (!vm->opt.initrd || (fd = open(vm->opt.initrd, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (u64)st.st_size > UNWIND_MAX_INITRD ||
	    !(buf = malloc(st.st_size ? st.st_size : 1)) ||
	    read(fd, buf, st.st_size) != st.st_size) {
		close(fd);
		free(buf);
		return false;
	}
	close(fd);
	len = st.st_size;
	if (initrd_is_gzip(buf, len)) {
		if (initrd_gunzip(buf, len, UNWIND_MAX_INITRD, &plain, &len, err, sizeof(err)) < 0)
			len = 0;
		free(buf);
		buf = plain;
	}
	if (buf && initrd_find(buf, len, path, &data, &size) == 0) {
		ksyms_load(ks, data, size);
		found = true;
	}
	free(buf);
	return found;
}

s64 unwind_user_fault(struct vm *vm, u64 gva, FILE *f)
{
	struct unw_guest g = { .vm = vm, .cr3 = vm->vcpu.cr3 };
	struct tv_user_fault uf;
	Elf64_Phdr ph[UNWIND_MAX_PHDRS];
	struct unw_image im;
	struct ksyms syms;

	if (!vm->opt.backtrace_user)
		return -38;                     /* ENOSYS */
	if (unw_read(&g, gva, &uf, sizeof(uf)) < 0)
		return -14;                     /* EFAULT */
	uf.name[sizeof(uf.name) - 1] = 0;
	uf.exe[sizeof(uf.exe) - 1] = 0;
	memset(&im, 0, sizeof(im));
	if (uf.phnum && uf.phnum <= UNWIND_MAX_PHDRS &&
	    unw_read(&g, uf.phdr, ph, uf.phnum * sizeof(ph[0])) == 0)
		unw_phdrs(&im, ph, (int)uf.phnum, uf.bias);
	bool in_initrd = unw_user_symbols(vm, uf.exe, &syms);
	g.mod = (struct unw_module){ .name = uf.exe, .lo = im.text_lo, .hi = im.text_hi,
				     .hdr = im.eh_frame_hdr, .bias = uf.bias, .syms = &syms };
	unw_set_regs(&g, uf.gpr, uf.rip);
	fprintf(f, "backtrace of %s (pid %d, %s) at signal %d (%s), libunwind%s%s:\n", uf.name,
		uf.pid, uf.exe, uf.sig, strsignal(uf.sig),
		unw_index(&g, &g.mod) < 0 ? ", no .eh_frame_hdr in its memory" : "",
		syms.n ? "" : in_initrd ? ", no symbols (its file is stripped)" :
		", no symbols (its file is not in --initrd)");
	unw_walk(&g, f);
	fflush(f);
	ksyms_free(&syms);
	return 0;
}
