# tests/guest/guest-tests.mk - the guest test suite (tests/guest/README.md).
#
# Included from the top-level Makefile, or on its own from the top of the
# tree:  make -f tests/guest/guest-tests.mk guest-tests-native
#
#   make guest-tests          build every group twice, static:
#                               build/guest-tests/musl/<group>   (musl-gcc -static)
#                               build/guest-tests/glibc/<group>  (gcc -static)
#                             and proc-pie (proc as a static PIE) in both
#   make guest-tests-native   build them and run them all on this host;
#                             fails if any program fails or prints a FAIL line
#   make guest-tests-busybox  the busybox session's expected output, from the
#                             host's busybox: build/guest-tests/busybox-session.out
#
# Every name here starts with GT_ or guest-tests, so that including this file
# changes nothing else.

GT_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
GT_OUT ?= build/guest-tests
GT_Q := $(if $(filter 1,$(V)),,@)
GT_GROUPS := files dirs pipes proc signals mem misc more tty jobctl
GT_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -Werror
GT_GLIBC_CC ?= gcc
GT_MUSL_CC ?= musl-gcc
# musl-gcc's specs know -static but not -static-pie (they link Scrt1.o with
# an interpreter): a static PIE is linked by hand, with rcrt1.o, which
# relocates the program itself.
GT_MUSL_LIB ?= /usr/lib/x86_64-linux-musl
GT_MUSL_PIE_LDFLAGS = -fPIE -pie -nostdlib -Wl,-static -Wl,--no-dynamic-linker -Wl,-z,text
GT_MUSL_PIE_PRE = $(GT_MUSL_LIB)/rcrt1.o $(GT_MUSL_LIB)/crti.o \
	$(shell $(GT_GLIBC_CC) -print-file-name=crtbeginS.o)
GT_MUSL_PIE_POST = -Wl,--start-group $(GT_MUSL_LIB)/libc.a \
	$(shell $(GT_GLIBC_CC) -print-libgcc-file-name) -Wl,--end-group \
	$(shell $(GT_GLIBC_CC) -print-file-name=crtendS.o) $(GT_MUSL_LIB)/crtn.o

GT_BINS := $(foreach l,musl glibc,$(addprefix $(GT_OUT)/$(l)/,$(GT_GROUPS) proc-pie))
# When included from the top-level Makefile, wait for its Debian packages
# (musl-tools) to be installed.
GT_DEPS := $(GT_DIR)/t.h $(GT_DIR)/pty.h $(lastword $(MAKEFILE_LIST))
GT_ORDER := $(if $(DEPS_STAMP),| $(DEPS_STAMP))

guest-tests: $(GT_BINS)

$(GT_OUT)/glibc/%: $(GT_DIR)/%.c $(GT_DEPS) $(GT_ORDER)
	@mkdir -p $(dir $@)
	@$(if $(GT_Q),echo "  GLIBC   $@")
	$(GT_Q)$(GT_GLIBC_CC) $(GT_CFLAGS) -static -o $@ $<

$(GT_OUT)/musl/%: $(GT_DIR)/%.c $(GT_DEPS) $(GT_ORDER)
	@mkdir -p $(dir $@)
	@$(if $(GT_Q),echo "  MUSL    $@")
	$(GT_Q)$(GT_MUSL_CC) $(GT_CFLAGS) -static -o $@ $<

$(GT_OUT)/glibc/proc-pie: $(GT_DIR)/proc.c $(GT_DEPS) $(GT_ORDER)
	@mkdir -p $(dir $@)
	@$(if $(GT_Q),echo "  GLIBC   $@ (static PIE)")
	$(GT_Q)$(GT_GLIBC_CC) $(GT_CFLAGS) -DT_PIE -fPIE -static-pie -o $@ $<

$(GT_OUT)/musl/proc-pie: $(GT_DIR)/proc.c $(GT_DEPS) $(GT_ORDER)
	@mkdir -p $(dir $@)
	@$(if $(GT_Q),echo "  MUSL    $@ (static PIE)")
	$(GT_Q)$(GT_MUSL_CC) $(GT_CFLAGS) -DT_PIE $(GT_MUSL_PIE_LDFLAGS) -o $@ \
		$(GT_MUSL_PIE_PRE) $< $(GT_MUSL_PIE_POST)

# Each program's output goes to $(GT_OUT)/<libc>/<group>.out; the FAIL
# lines are shown, then one summary line for all of them.
guest-tests-native: guest-tests
	$(GT_Q)pass=0; fail=0; bad=""; \
	for l in musl glibc; do \
	  for g in $(GT_GROUPS) proc-pie; do \
	    out=$(GT_OUT)/$$l/$$g.out; \
	    $(GT_OUT)/$$l/$$g > $$out 2>&1; rc=$$?; \
	    p=$$(grep -c '^ok ' $$out); f=$$(grep -c '^FAIL ' $$out); \
	    pass=$$((pass + p)); fail=$$((fail + f)); \
	    grep '^FAIL ' $$out | sed "s|^|$$l: |"; \
	    if [ $$rc -ne 0 ] || [ $$f -ne 0 ] || [ $$p -eq 0 ]; then \
	      bad="$$bad $$l/$$g(exit $$rc)"; \
	    fi; \
	    echo "  $$l/$$g: $$p passed, $$f failed"; \
	  done; \
	done; \
	echo "guest-tests native: $$pass passed, $$fail failed"; \
	if [ -n "$$bad" ]; then echo "guest-tests native: failed:$$bad"; exit 1; fi

guest-tests-busybox:
	@mkdir -p $(GT_OUT)
	$(GT_Q)sh $(GT_DIR)/busybox-compare.sh $(GT_OUT)/busybox-session.out

.PHONY: guest-tests guest-tests-native guest-tests-busybox
