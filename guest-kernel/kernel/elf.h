/*
 * elf.h: the parts of ELF64 the program loader reads (System V gABI and the
 * x86-64 psABI): the file header and the program headers.
 */
#ifndef ELF_H
#define ELF_H

#include "x86.h"

#define ELF_MAGIC      "\x7f" "ELF"
#define ELFCLASS64     2
#define ELFDATA2LSB    1
#define ET_EXEC        2
#define ET_DYN         3          /* a PIE (or a shared library) */
#define EM_X86_64      62
#define PT_LOAD        1
#define PT_INTERP      3          /* a dynamically linked program's loader */
#define PT_PHDR        6          /* where the program headers are */
#define PT_GNU_STACK   0x6474e551 /* p_flags: the stack's rights */
#define PF_X           1
#define PF_W           2
#define PF_R           4

struct elf64_ehdr {
	u8 e_ident[16];           /* magic, class, data, version, ABI */
	u16 e_type;
	u16 e_machine;
	u32 e_version;
	u64 e_entry;
	u64 e_phoff;              /* file offset of the program headers */
	u64 e_shoff;
	u32 e_flags;
	u16 e_ehsize;
	u16 e_phentsize;
	u16 e_phnum;
	u16 e_shentsize;
	u16 e_shnum;
	u16 e_shstrndx;
};

struct elf64_phdr {
	u32 p_type;
	u32 p_flags;
	u64 p_offset;
	u64 p_vaddr;
	u64 p_paddr;
	u64 p_filesz;
	u64 p_memsz;
	u64 p_align;
};

#define EI_CLASS 4
#define EI_DATA  5

#endif /* ELF_H */
