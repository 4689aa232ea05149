# Ordinary C programs built with musl-gcc (guest-kernel/musl/) run in the
# guest: musl's start-up and stdio, thread-local errno through the FS base,
# malloc, and x87/SSE registers that are each process's own.
. "$(dirname "$0")/lib.sh"

boot --stats --append "run=libctest"
expect_status 0
expect_out 'libctest: ok'
expect_no_out 'FAIL'
expect_out 'libctest exited with status 0'
expect_err 'paravirtual FPU: '
report "a static musl program runs: printf of floats, TLS errno, malloc, fork, per-process SSE"

boot --stats --append "run=libctest nopv"
expect_status 0
expect_out 'libctest: ok'
expect_no_out 'FAIL'
expect_no_out 'paravirtual FPU'
report "the same without the paravirtual interface: FXSAVE/FXRSTOR per process"

# Checking the shadow at every stop costs more than a 1 ms tick (the guest
# would only ever handle timer interrupts): check every 50th.
CHECK=--shadow-check=50 boot --append "run=libctest,libctest hz=1000"
expect_status 0
[ "$(grep -c '^libctest: ok$' "$OUT")" = 2 ] || why+="wanted two 'libctest: ok'; "
expect_no_out 'FAIL'
report "per-process SSE state holds at 1000 timer interrupts a second"
