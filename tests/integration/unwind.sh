# libunwind backtraces of the guest (monitor/unwind.c): the guest kernel's
# stack when the VM stops with a diagnostic, and with --backtrace-user a
# user program's when it dies of a core-dumping signal.  Both go through
# functions without frame pointers (guest-kernel/demo/crashnofp.c,
# tests/integration/crashuser.c), which only the .eh_frame CFI can walk;
# every frame is checked by name, in order.  A kernel without its unwind
# index falls back to the frame-pointer walk.
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d); trap 'rm -rf "$tmp" "$OUT" "$ERR"' EXIT
CRASHUSER=${CRASHUSER:-build/crashuser}

# frames N: the names of the first N libunwind frames on stderr, in order.
frames() {
	sed -n 's/^    #[0-9]* 0x[0-9a-f]* \([A-Za-z0-9_.]*\)+0x[0-9a-f]*$/\1/p' "$ERR" | head -n "$1" | xargs
}
expect_frames() {
	local got; got=$(frames "$(echo "$1" | wc -w)")
	[ "$got" = "$1" ] || why+="frames '$got', wanted '$1'; "
}

boot --append "crash=nofp"
expect_status 3
expect_err 'the guest kernel executed mov to dr7'
expect_err "backtrace (libunwind, the kernel's .eh_frame):"
expect_frames "crash_nofp_leaf crash_nofp_middle crash_nofp kmain"
# The frame-pointer walk, printed after it, is lost at the first frame:
# crash_nofp_middle zeroed RBP.
expect_err 'backtrace (frame pointers): 0x'
grep 'backtrace (frame pointers)' "$ERR" | grep -q 'crash_nofp_middle\|kmain' &&
	why+="the frame-pointer walk found frames it cannot find; "
report "a kernel crash through functions without frame pointers: every frame by libunwind"

# A kernel without its unwind index (PT_GNU_EH_FRAME made PT_NULL in a
# copy): the frame-pointer walk is the fallback, and all there is.
python3 - "$KERNEL" "$tmp/noindex.elf" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
phoff, = struct.unpack_from("<Q", b, 32)
phentsize, phnum = struct.unpack_from("<HH", b, 54)
for i in range(phnum):
    at = phoff + i * phentsize
    if struct.unpack_from("<I", b, at)[0] == 0x6474e550:     # PT_GNU_EH_FRAME
        struct.pack_into("<I", b, at, 0)                      # PT_NULL
open(sys.argv[2], "wb").write(b)
PY
boot --append "crash=dr7" "$tmp/noindex.elf"
expect_status 3
expect_no_err 'backtrace (libunwind'
expect_err 'backtrace (frame pointers): 0x'
expect_err ' kmain+0x'
report "a kernel without unwind tables: the frame-pointer backtrace alone"

# The crashing program as /bin/crashuser of a gzip'd initrd, started as init.
mkdir -p "$tmp/root/bin"
cp "$CRASHUSER" "$tmp/root/bin/crashuser"
(cd "$tmp/root" && printf '%s\n' bin bin/crashuser | cpio -o -H newc -R 0:0 --quiet) | gzip >"$tmp/crash.cpio.gz"

boot --initrd "$tmp/crash.cpio.gz" --append "rdinit=/bin/crashuser" --backtrace-user
expect_status 139
expect_out 'killed by #PF'
expect_err 'backtrace of crashuser (pid 1, /bin/crashuser) at signal 11 (Segmentation fault), libunwind:'
expect_frames "crash_leaf crash_middle crash_outer main"
report "--backtrace-user: a program's SIGSEGV, every frame from its .eh_frame and symbols"

boot --initrd "$tmp/crash.cpio.gz" --append "rdinit=/bin/crashuser -- abort" --backtrace-user
expect_status 134
expect_err 'at signal 6 (Aborted), libunwind:'
expect_frames "crash_leaf crash_middle crash_outer main"
report "--backtrace-user: a program killed by a signal it sent itself, every frame"

boot --initrd "$tmp/crash.cpio.gz" --append "rdinit=/bin/crashuser"
expect_status 139
expect_no_err 'backtrace of'
report "without --backtrace-user a dying program gets no backtrace"
