# libunwind backtraces of the guest (monitor/unwind.c): the guest kernel's
# stack when the VM stops with a diagnostic, and with --backtrace-user a
# user program's when it dies of a core-dumping signal.  Both go through
# functions without frame pointers (guest-kernel/demo/crashnofp.c,
# tests/integration/crashuser.c), which only the .eh_frame CFI can walk;
# every frame is checked by name, in order.
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
