/*
 * Guest kernel symbols, for diagnostics: the function symbols of the
 * kernel's ELF .symtab, so a crash report says "kmain+0x39" rather than a
 * bare address.  Best effort: a stripped or odd kernel just has none.
 * Every offset and size is checked against the file before it is used.
 */
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"

static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* True if [off, off+len) lies inside a file of 'size' bytes. */
static bool in_file(u64 off, u64 len, size_t size)
{
	return off <= size && len <= size - off;
}

void ksyms_load(struct ksyms *ks, const void *img, size_t size)
{
	const u8 *b = img;
	Elf64_Ehdr eh;

	memset(ks, 0, sizeof(*ks));
	if (size < sizeof(eh))
		return;
	memcpy(&eh, b, sizeof(eh));
	if (eh.e_shentsize != sizeof(Elf64_Shdr) ||
	    !in_file(eh.e_shoff, (u64)eh.e_shnum * sizeof(Elf64_Shdr), size))
		return;
	for (unsigned i = 0; i < eh.e_shnum; i++) {
		Elf64_Shdr sh, strsh;
		memcpy(&sh, b + eh.e_shoff + i * sizeof(sh), sizeof(sh));
		if (sh.sh_type != SHT_SYMTAB || sh.sh_entsize != sizeof(Elf64_Sym) ||
		    sh.sh_link >= eh.e_shnum || !in_file(sh.sh_offset, sh.sh_size, size))
			continue;
		memcpy(&strsh, b + eh.e_shoff + sh.sh_link * sizeof(strsh), sizeof(strsh));
		if (!in_file(strsh.sh_offset, strsh.sh_size, size) || strsh.sh_size == 0)
			continue;
		u64 n = sh.sh_size / sizeof(Elf64_Sym);
		ks->strtab = malloc(strsh.sh_size + 1);
		ks->sym = calloc(n, sizeof(*ks->sym));
		if (!ks->strtab || !ks->sym) {
			ksyms_free(ks);
			return;
		}
		memcpy(ks->strtab, b + strsh.sh_offset, strsh.sh_size);
		ks->strtab[strsh.sh_size] = 0;
		for (u64 j = 0; j < n; j++) {
			Elf64_Sym s;
			memcpy(&s, b + sh.sh_offset + j * sizeof(s), sizeof(s));
			if (ELF64_ST_TYPE(s.st_info) != STT_FUNC || !s.st_value ||
			    s.st_name >= strsh.sh_size)
				continue;
			ks->sym[ks->n++] = (struct ksym){ s.st_value, s.st_size,
							  ks->strtab + s.st_name };
		}
		qsort(ks->sym, ks->n, sizeof(*ks->sym), ksym_cmp);
		return;
	}
}

const char *ksyms_lookup(const struct ksyms *ks, u64 addr, u64 *off)
{
	int lo = 0, hi = ks->n - 1, best = -1;

	while (lo <= hi) {                      /* last symbol at or below addr */
		int mid = (lo + hi) / 2;
		if (ks->sym[mid].addr <= addr) {
			best = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	if (best < 0)
		return NULL;
	const struct ksym *s = &ks->sym[best];
	/* Past the end of a sized function: not inside any we know. */
	if (s->size && addr - s->addr >= s->size)
		return NULL;
	*off = addr - s->addr;
	return s->name;
}

void ksyms_free(struct ksyms *ks)
{
	free(ks->sym);
	free(ks->strtab);
	memset(ks, 0, sizeof(*ks));
}
