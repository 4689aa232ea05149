# trapvisor - one top-level Makefile.
#   make          build build/trapvisor and build/guest-kernel.elf
#   make run      boot the default guest on this terminal
#   make test     build everything, run unit and integration tests
#   make bench    run the benchmarks, numbers written to build/bench/
#   make load     many VMs at once, results and fairness checked (make soak: long)
#   make SAN=1    build the monitor with ASan + UBSan (into build-san/)
#   make test BACKEND=signal  the tests with every guest under --backend=signal
#   V=1 shows commands; WERROR=0 drops -Werror.

V ?= 0
.DEFAULT_GOAL := all
WERROR ?= 1
SAN ?= 0
Q := $(if $(filter 1,$(V)),,@)
B := $(if $(filter 1,$(SAN)),build-san,build)

CC := gcc
WARNINGS := -Wall -Wextra -Wmissing-prototypes -Wstrict-prototypes \
	-Wshadow -Wpointer-arith -Wformat=2 -Wno-unused-parameter
ifeq ($(WERROR),1)
WARNINGS += -Werror
endif
CFLAGS := -std=gnu11 -O2 -g $(WARNINGS) -MD -MP -Iinclude -Itraps -Ishadow \
	-Idevices -Imonitor -D_GNU_SOURCE
LDLIBS := -lZydis -lz -lunwind-x86_64 -lpthread
ifeq ($(SAN),1)
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

# ---- Debian packages the build needs (installed when missing) ----
# zlib1g-dev: the monitor inflates a gzip'd --initrd (monitor/initrd.c).
# cpio builds initrd archives (tests/integration/initrd.sh); busybox-static
# is a static busybox for the programs in a guest's initrd; bash-static is
# the default initramfs's /bin/bash.
# libunwind-dev: the monitor unwinds guest stacks with libunwind's remote
# interface (monitor/unwind.c).  python3: tests that parse JSON or compute
# checksums (trace.sh, unwind.sh, disk.sh).  gdb drives the GDB stub's test
# (tests/integration/gdb.sh) and is what users debug a guest with.
# e2fsprogs makes the ext2 disk image (make disk: mke2fs -d) and checks
# images in the tests (e2fsck, debugfs).
DEB_PACKAGES := libzydis-dev libcmocka-dev musl-tools zlib1g-dev cpio busybox-static bash-static \
	libunwind-dev python3 gdb e2fsprogs
DEPS_STAMP := build/.deps-ok

# tools/apt-install.sh waits (up to APT_LOCK_TIMEOUT seconds, default 600)
# while another package manager holds apt's locks, instead of failing.
$(DEPS_STAMP): Makefile tools/apt-install.sh
	$(Q)mkdir -p build
	$(Q)missing=""; \
	for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "  APT     $$missing"; \
			sh tools/apt-install.sh $$missing || exit 1; \
		else \
			echo "trapvisor needs these Debian packages:$$missing"; \
			echo "install them with:  sudo apt-get install -y$$missing"; \
			exit 1; \
		fi; \
	fi
	$(Q)touch $@

# ---- The monitor: every object but main.o goes into a library the tests link ----
LIB_OBJS += monitor/vm.o
LIB_OBJS += monitor/vm_emu.o
LIB_OBJS += monitor/vm_hypercall.o
LIB_OBJS += monitor/vm_fpu.o
LIB_OBJS += monitor/vm_stop.o
LIB_OBJS += monitor/vm_mmu.o
LIB_OBJS += monitor/vm_events.o
LIB_OBJS += monitor/vm_run.o
LIB_OBJS += monitor/vm_report.o
LIB_OBJS += monitor/vm_bench.o
LIB_OBJS += monitor/cli.o
LIB_OBJS += monitor/console.o
LIB_OBJS += monitor/loader.o
LIB_OBJS += monitor/initrd.o
LIB_OBJS += monitor/stats.o
LIB_OBJS += monitor/symbols.o
LIB_OBJS += monitor/unwind.o
LIB_OBJS += monitor/trace.o
LIB_OBJS += monitor/io.o
LIB_OBJS += monitor/place.o
LIB_OBJS += monitor/disk.o
LIB_OBJS += monitor/gdbstub.o
LIB_OBJS += monitor/gdb_target.o
LIB_OBJS += monitor/gdb_rsp.o
LIB_OBJS += monitor/json.o
LIB_OBJS += monitor/fdio.o
LIB_OBJS += monitor/snapshot.o
LIB_OBJS += monitor/ctl.o
LIB_OBJS += monitor/qmp.o
LIB_OBJS += monitor/migrate.o
LIB_OBJS += traps/emulate.o
LIB_OBJS += traps/emu_operand.o
LIB_OBJS += traps/emu_system.o
LIB_OBJS += traps/emu_io.o
LIB_OBJS += traps/emu_transfer.o
LIB_OBJS += traps/emu_data.o
LIB_OBJS += traps/emu_silentfail.o
LIB_OBJS += traps/emu_classify.o
LIB_OBJS += traps/patch.o
LIB_OBJS += traps/inject.o
LIB_OBJS += traps/cpuid.o
LIB_OBJS += traps/host.o
LIB_OBJS += traps/host_time.o
LIB_OBJS += traps/host_signal.o
LIB_OBJS += traps/host_fold.o
LIB_OBJS += traps/context.o
LIB_OBJS += traps/ctxq.o
LIB_OBJS += traps/stub_blob.o
LIB_OBJS += shadow/walk.o
LIB_OBJS += shadow/shadow.o
LIB_OBJS += shadow/fault.o
LIB_OBJS += shadow/check.o
LIB_OBJS += devices/bus.o
LIB_OBJS += devices/uart.o
LIB_OBJS += devices/debugexit.o
LIB_OBJS += devices/pic.o
LIB_OBJS += devices/pit.o
LIB_OBJS += devices/rtc.o
LIB_OBJS += devices/ata.o

LIB := $(B)/libtrapvisor.a
MONITOR := $(B)/trapvisor
INITRAMFS := build/initramfs.cpio.gz

all: $(MONITOR) build/guest-kernel.elf $(INITRAMFS)

$(B)/%.o: %.c $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(LIB): $(addprefix $(B)/,$(LIB_OBJS))
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(MONITOR): $(B)/monitor/main.o $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The stub: a tiny static ELF (no libc) that every guest context process
# execs; it is linked at the top of the guest address space and embedded in
# the monitor, which runs it through a memfd (fexecve).
STUB_ELF := $(B)/traps/stub.elf
$(STUB_ELF): traps/stub.S traps/stub.ld traps/stub.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  STUB    $@")
	$(Q)$(CC) -Itraps -nostdlib -static -no-pie -Wl,--build-id=none -T traps/stub.ld -o $@ $<

$(B)/traps/stub_blob.o: $(STUB_ELF)
	@mkdir -p $(dir $@)
	$(Q)printf '/* generated by Makefile - do not edit */\n.section .rodata\n.balign 16\n.globl stub_elf_start, stub_elf_end\nstub_elf_start:\n.incbin "%s"\nstub_elf_end:\n.section .note.GNU-stack,"",@progbits\n' $(STUB_ELF) > $(B)/traps/stub_blob.S
	$(Q)$(CC) -c -o $@ $(B)/traps/stub_blob.S

# ---- The guest kernel: freestanding, -fpie, linked high (guest-kernel/arch/x86/kernel.ld) ----
# Unwind tables (-fasynchronous-unwind-tables, --eh-frame-hdr) stay in the
# image for the monitor's libunwind backtraces (monitor/unwind.c).
# Its sources live in subsystem directories (arch/x86, mm, kernel, drivers,
# lib, demo); defs.h, the index header, stays at the top, and x86.h is found
# from every directory through -Iguest-kernel/arch/x86.
GUEST_LDS := guest-kernel/arch/x86/kernel.ld
GUEST_CFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-stack-protector -fpie -fno-omit-frame-pointer \
	-mno-red-zone -mgeneral-regs-only -mno-sse -mno-mmx -fno-builtin \
	-fasynchronous-unwind-tables $(WARNINGS) -Iinclude -Iguest-kernel -Iguest-kernel/arch/x86 -MD -MP
# In link order, which is the order of the file names alone (the order the
# kernel was linked in when every file sat in one directory): moving a file
# between directories leaves the image's layout as it was.
GUEST_SRCS += guest-kernel/drivers/ata.c
GUEST_SRCS += guest-kernel/drivers/blk.c
GUEST_SRCS += guest-kernel/drivers/console.c
GUEST_SRCS += guest-kernel/drivers/n_tty.c
GUEST_SRCS += guest-kernel/drivers/tty.c
GUEST_SRCS += guest-kernel/drivers/pty.c
GUEST_SRCS += guest-kernel/arch/x86/context.S
GUEST_SRCS += guest-kernel/arch/x86/cpu.c
GUEST_SRCS += guest-kernel/arch/x86/entry.S
GUEST_SRCS += guest-kernel/arch/x86/fpu.c
GUEST_SRCS += guest-kernel/kernel/exec.c
GUEST_SRCS += guest-kernel/kernel/futex.c
GUEST_SRCS += guest-kernel/demo/fuzz.c
GUEST_SRCS += guest-kernel/mm/kalloc.c
GUEST_SRCS += guest-kernel/kernel/main.c
GUEST_SRCS += guest-kernel/mm/mmap.c
GUEST_SRCS += guest-kernel/mm/pvmmu.c
GUEST_SRCS += guest-kernel/net/socket.c
GUEST_SRCS += guest-kernel/drivers/pic.c
GUEST_SRCS += guest-kernel/kernel/printf.c
GUEST_SRCS += guest-kernel/kernel/proc.c
GUEST_SRCS += guest-kernel/arch/x86/pv.c
GUEST_SRCS += guest-kernel/kernel/random.c
GUEST_SRCS += guest-kernel/drivers/rtc.c
GUEST_SRCS += guest-kernel/kernel/signal.c
GUEST_SRCS += guest-kernel/demo/silentfail.c
GUEST_SRCS += guest-kernel/lib/string.c
GUEST_SRCS += guest-kernel/kernel/sys_info.c
GUEST_SRCS += guest-kernel/kernel/sys_proc.c
GUEST_SRCS += guest-kernel/kernel/syscall.c
GUEST_SRCS += guest-kernel/kernel/time.c
GUEST_SRCS += guest-kernel/kernel/timer.c
GUEST_SRCS += guest-kernel/arch/x86/trap.c
GUEST_SRCS += guest-kernel/arch/x86/trapasm.S
GUEST_SRCS += guest-kernel/drivers/uart.c
GUEST_SRCS += guest-kernel/mm/vm.c
# The file layer (fs/), and what it needs
GUEST_SRCS += guest-kernel/fs/inode.c
GUEST_SRCS += guest-kernel/fs/file.c
GUEST_SRCS += guest-kernel/fs/namei.c
GUEST_SRCS += guest-kernel/fs/ramfs.c
GUEST_SRCS += guest-kernel/fs/devices.c
GUEST_SRCS += guest-kernel/fs/pipe.c
GUEST_SRCS += guest-kernel/fs/poll.c
GUEST_SRCS += guest-kernel/fs/sys_file.c
GUEST_SRCS += guest-kernel/fs/sys_path.c
GUEST_SRCS += guest-kernel/fs/mount.c
GUEST_SRCS += guest-kernel/fs/procfs.c
GUEST_SRCS += guest-kernel/fs/initramfs.c
GUEST_SRCS += guest-kernel/fs/bcache.c
GUEST_SRCS += guest-kernel/fs/ext2/super.c
GUEST_SRCS += guest-kernel/fs/ext2/balloc.c
GUEST_SRCS += guest-kernel/fs/ext2/inode.c
GUEST_SRCS += guest-kernel/fs/ext2/dir.c
GUEST_SRCS += guest-kernel/mm/kmalloc.c
GUEST_SRCS += guest-kernel/demo/crashnofp.c
GUEST_SRCS += guest-kernel/kernel/userfault.c
GUEST_OBJS := $(patsubst guest-kernel/%,build/guest/%.o,$(GUEST_SRCS))
USER_SRCS := $(sort $(wildcard guest-kernel/user/*.c))
# Programs built against musl libc (guest-kernel/musl/): ordinary Linux
# programs, as a user would build them, static.
MUSL_SRCS := $(sort $(wildcard guest-kernel/musl/*.c))
USER_ELFS := $(patsubst guest-kernel/user/%.c,build/guest/user/%.elf,$(USER_SRCS)) \
	$(patsubst guest-kernel/musl/%.c,build/guest/user/%.elf,$(MUSL_SRCS))
USER_CFLAGS := -std=gnu11 -O2 -ffreestanding -fno-stack-protector -fno-pie -no-pie \
	-nostdlib -static -mgeneral-regs-only -fno-builtin $(WARNINGS) -Iguest-kernel/user \
	-Wl,--build-id=none -Wl,-Ttext-segment=0x400000

# crash=nofp's functions keep no frame pointer (and no tail call), so only
# the unwind tables can walk through them (guest-kernel/demo/crashnofp.c).
build/guest/demo/crashnofp.c.o: GUEST_CFLAGS += -fomit-frame-pointer -fno-optimize-sibling-calls

build/guest/%.c.o: guest-kernel/%.c $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GCC     $@")
	$(Q)$(CC) $(GUEST_CFLAGS) -c -o $@ $<

build/guest/%.S.o: guest-kernel/%.S
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AS      $@")
	$(Q)$(CC) $(GUEST_CFLAGS) -c -o $@ $<

build/guest/user/%.elf: guest-kernel/user/%.c $(wildcard guest-kernel/user/*.h)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  USER    $@")
	$(Q)$(CC) $(USER_CFLAGS) -o $@ $<

MUSL_CFLAGS := -std=gnu11 -O2 $(WARNINGS) -Wl,--build-id=none
build/guest/user/%.elf: guest-kernel/musl/%.c $(wildcard guest-kernel/musl/*.h) $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  MUSL    $@")
	$(Q)musl-gcc $(MUSL_CFLAGS) -static -no-pie -o $@ $<

# One program is static-PIE (ET_DYN, no PT_INTERP), as a user would build
# it with musl.  Debian's musl-gcc wrapper does not know -static-pie (its
# specs name the dynamic loader and Scrt1.o), so the link is spelled out:
# rcrt1.o, musl's start for a program that relocates itself, and libc.a.
MUSL_LIB := /usr/lib/x86_64-linux-musl
build/guest/user/staticpie.elf: guest-kernel/musl/staticpie.c $(wildcard guest-kernel/musl/*.h) $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  MUSLPIE $@")
	$(Q)musl-gcc $(MUSL_CFLAGS) -fPIE -c -o $@.o $<
	$(Q)$(CC) -static-pie -nostdlib -Wl,--build-id=none -o $@ $(MUSL_LIB)/rcrt1.o \
		$(MUSL_LIB)/crti.o $$($(CC) -print-file-name=crtbeginS.o) $@.o $(MUSL_LIB)/libc.a \
		$$($(CC) -print-libgcc-file-name) $$($(CC) -print-file-name=crtendS.o) $(MUSL_LIB)/crtn.o

# And one is dynamically linked (PT_INTERP), which the guest refuses.
build/guest/user/dynhello.elf: guest-kernel/musl/dynhello.c $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  MUSLDYN $@")
	$(Q)musl-gcc $(MUSL_CFLAGS) -o $@ $<

# Every user program is embedded in the kernel; user_programs[] names them.
build/guest/user_blobs.S: $(USER_ELFS)
	@mkdir -p $(dir $@)
	$(Q){ echo '/* generated by Makefile - do not edit */'; \
	  echo '.section .rodata'; \
	  for f in $(USER_ELFS); do n=$$(basename $$f .elf); \
	    echo ".balign 16"; echo "user_$${n}_start: .incbin \"$$f\""; echo "user_$${n}_end:"; \
	    echo "user_$${n}_name: .asciz \"$$n\""; done; \
	  echo '.balign 8'; echo '.globl user_programs'; echo 'user_programs:'; \
	  for f in $(USER_ELFS); do n=$$(basename $$f .elf); \
	    echo ".quad user_$${n}_name, user_$${n}_start, user_$${n}_end"; done; \
	  echo '.quad 0, 0, 0'; \
	  echo '.section .note.GNU-stack,"",@progbits'; } > $@

build/guest/user_blobs.o: build/guest/user_blobs.S
	$(Q)$(CC) $(GUEST_CFLAGS) -c -o $@ $<

build/guest-kernel.elf: $(GUEST_OBJS) build/guest/user_blobs.o $(GUEST_LDS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=4096 \
		-Wl,--eh-frame-hdr -T $(GUEST_LDS) -o $@ $(GUEST_OBJS) build/guest/user_blobs.o

# ---- The guest test suite (tests/guest/): static Linux programs ----
include tests/guest/guest-tests.mk

# ---- The default initramfs (tools/mkinitramfs.sh): Debian's busybox-static ----
# It also carries the guest test suite, as /tests/<libc>/<group>, with the
# busybox session script and the runner (tests/guest/README.md).
INITRAMFS_FILES := $(sort $(wildcard guest-kernel/initramfs/* guest-kernel/initramfs/*/*))
INITRAMFS_EXTRA := $(foreach b,$(GT_BINS),$(b):/tests/$(patsubst $(GT_OUT)/%,%,$(b))) \
	tests/guest/busybox-session.sh:/tests/busybox-session.sh \
	tests/guest/bash-features.sh:/tests/bash-features.sh \
	tests/guest/run-in-guest.sh:/tests/run-in-guest.sh
# bench/boot.sh's programs: fork+exec+wait, static with both libcs, and its
# script; bench/peers.sh's micro-benchmarks (bench/micro.c), static musl.
BENCH_BINS := $(foreach l,musl glibc,build/bench/forkexec-$(l)) build/bench/micro
INITRAMFS_EXTRA += $(foreach b,$(BENCH_BINS),$(b):/bench/$(notdir $(b))) bench/guest.sh:/bench/guest.sh
build/bench/forkexec-%: bench/forkexec.c $(DEPS_STAMP)
	@$(if $(Q),echo "  $(if $(filter musl,$*),MUSL ,GLIBC)   $@")
	$(Q)mkdir -p $(@D) && $(if $(filter musl,$*),$(GT_MUSL_CC),$(GT_GLIBC_CC)) $(GT_CFLAGS) -static -o $@ $<
build/bench/micro: bench/micro.c $(DEPS_STAMP)
	@$(if $(Q),echo "  MUSL    $@")
	$(Q)mkdir -p $(@D) && $(GT_MUSL_CC) $(GT_CFLAGS) -static -o $@ $<
$(INITRAMFS): tools/mkinitramfs.sh $(INITRAMFS_FILES) $(GT_BINS) tests/guest/busybox-session.sh \
		tests/guest/bash-features.sh tests/guest/run-in-guest.sh $(BENCH_BINS) bench/guest.sh $(DEPS_STAMP)
	@$(if $(Q),echo "  CPIO    $@")
	$(Q)sh tools/mkinitramfs.sh $@ build/initramfs-root $(INITRAMFS_EXTRA)

# ---- The disk image (make disk): an ext2 root file system ----
# mke2fs -d copies the initramfs's staging directory into a new ext2 image
# (4 KiB blocks, DISK_SIZE bytes, sparse), for
#   build/trapvisor --disk build/root.img --append root=/dev/sda
# It is made again, from scratch, only when the initramfs changed.
DISK_IMG := build/root.img
DISK_SIZE ?= 256M
MKE2FS := $(shell PATH="$$PATH:/sbin:/usr/sbin" command -v mke2fs)
disk: $(DISK_IMG)
$(DISK_IMG): $(INITRAMFS)
	@$(if $(Q),echo "  MKE2FS  $@")
	$(Q)[ -n "$(MKE2FS)" ] || { echo "make disk: mke2fs not found (apt-get install e2fsprogs)" >&2; exit 1; }
	$(Q)rm -f $@.tmp && $(MKE2FS) -q -F -t ext2 -b 4096 -L trapvisor-root -E root_owner=0:0 \
		-d build/initramfs-root $@.tmp $(DISK_SIZE) >/dev/null && mv $@.tmp $@

# ---- Tests ----
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRCS))

$(B)/tests/%: tests/unit/%.c $(LIB) $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TEST    $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS) -lcmocka

# The guest kernel's line discipline, compiled on the host as it is.
$(B)/tests/test_n_tty: CFLAGS += -Iguest-kernel -Iguest-kernel/arch/x86

# A pseudo-terminal driver for the console tests.
build/ptyrun: tests/ptyrun.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -o $@ $< -lutil

# What this host's CPU and kernel do with the instructions the tests'
# expectations depend on (tests/hostfacts.c; lib.sh reads it).
build/hostfacts: tests/hostfacts.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -o $@ $<

# tests/integration/unwind.sh's crashing program: static musl, with its
# symbols, and the .eh_frame_hdr index gcc leaves out of a -static link.
build/crashuser: tests/integration/crashuser.c $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  MUSL    $@")
	$(Q)musl-gcc $(MUSL_CFLAGS) -static -no-pie -Wl,--eh-frame-hdr -o $@ $<

# tests/integration/backend.sh's attacker: static musl, knows traps/stub.h.
build/stubattack: tests/integration/stubattack.c traps/stub.h $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  MUSL    $@")
	$(Q)musl-gcc $(MUSL_CFLAGS) -static -no-pie -o $@ $<

tests: $(UNIT_BINS) build/ptyrun build/hostfacts build/crashuser build/stubattack

test: all tests
	$(Q)B=$(B) $(if $(BACKEND),BACKEND=$(BACKEND)) tests/run.sh

# make run: busybox's shell from the default initramfs on this terminal
# ('exit' or Ctrl-A x quits); APPEND is the kernel command line, e.g.
# make run APPEND="run=ptstress", or APPEND=init=sh for the kernel's own
# small shell.
APPEND ?=
run: all
	$(Q)$(MONITOR) --initrd $(INITRAMFS) --append "$(APPEND)" build/guest-kernel.elf

# docs/ABI.md: the system-call coverage table (tools/abi-table.sh).
abi-table:
	$(Q)sh tools/abi-table.sh

bench: all
	$(Q)B=$(B) bench/run.sh

# Only bench/peers.sh: trapvisor beside native, UML and QEMU TCG.
bench-peers: all
	$(Q)B=$(B) bench/peers.sh

# Many VMs at once (tests/load/run.sh): the short form, 2 x CPUs guests with
# checked results (CI runs it, also with SAN=1); make soak: 8 for 10 minutes.
load: all
	$(Q)B=$(B) TRAPVISOR=$(MONITOR) tests/load/run.sh
soak: all
	$(Q)B=$(B) TRAPVISOR=$(MONITOR) tests/load/run.sh 8 600

clean:
	rm -rf build build-san

.PHONY: all run test tests bench bench-peers load soak clean abi-table disk
.SUFFIXES:
.SECONDARY:

-include $(shell find build build-san -name '*.d' 2>/dev/null)
