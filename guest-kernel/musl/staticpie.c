/*
 * staticpie: a static-PIE program (musl-gcc -static-pie, ET_DYN with no
 * PT_INTERP: musl's rcrt1.o relocates it itself).  The kernel loads it at
 * ELF_ET_DYN_BASE, 0x555555554000, as Linux does; its auxiliary vector
 * must agree with where it was put.
 */
#define PROG "staticpie"
#include <elf.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/auxv.h>

#include "check.h"

extern const Elf64_Ehdr __ehdr_start;
void _start(void);
static int counter = 41;                  /* data that needs relocating... */
static int *counter_p = &counter;         /* ...through a pointer */

int main(int argc, char **argv)
{
	uintptr_t base = (uintptr_t)&__ehdr_start;
	char *p;

	printf("staticpie: loaded at 0x%lx, entry 0x%lx\n", (unsigned long)base,
	       getauxval(AT_ENTRY));
	CHECK(__ehdr_start.e_type == ET_DYN);
	CHECK(base == 0x555555554000ul);
	CHECK(getauxval(AT_PHDR) == base + __ehdr_start.e_phoff);
	CHECK(getauxval(AT_PHNUM) == __ehdr_start.e_phnum);
	CHECK(getauxval(AT_ENTRY) == (uintptr_t)_start);
	CHECK(getauxval(AT_BASE) == 0);
	CHECK(++*counter_p == 42);
	CHECK(argc == 1 && strcmp(argv[0], "staticpie") == 0);
	errno = 0;
	CHECK(strtol("99999999999999999999", 0, 10) && errno == ERANGE);   /* TLS errno */
	p = malloc(100000);
	CHECK(p != 0);
	free(p);
	OK("static-PIE at 0x555555554000: AT_PHDR and AT_ENTRY agree, relocated data, TLS, malloc");
	return finish();
}
