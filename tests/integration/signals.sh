# Signals as Linux delivers them (guest-kernel/kernel/signal.c), checked
# by a static musl program (guest-kernel/musl/sigtest.c) through musl's own
# sigaction, sigsetjmp, raise, alarm and waitid: the frame and rt_sigreturn,
# masks and flags, EINTR and restarts, faults, the FPU state across a
# handler, job control, process groups, wait4/waitid, alarms.  Once with
# the paravirtual FPU (the monitor holds the live state), once without
# (XSAVE/XRSTOR in the guest), once at 1000 timer interrupts a second; and
# ^C at the console, to a handler that restarts its read or does not.
. "$(dirname "$0")/lib.sh"
script=$(mktemp)
trap 'rm -f "$OUT" "$ERR" "$script"' EXIT

GROUPS_="frame masks kill restart suspend altstack faults badframes fpu async sigchld jobctl pgrp tstp killall orphan alarm exec defaults"

# sigtest_ran: every group passed, and the children that die on purpose
# were named as the kernel names them.
sigtest_ran() {
	expect_status 0
	expect_no_out 'FAIL'
	for g in $GROUPS_; do
		grep -qx "sigtest: ok $g" "$OUT" || why+="no 'sigtest: ok $g'; "
	done
	expect_out 'sigtest: ok'
	expect_out 'sigtest exited with status 0'
	expect_out 'sigtest: killed by #PF (page fault) at rip'   # SIGSEGV blocked, then ignored
	expect_out 'sigtest: killed by SIGSEGV: a bad signal frame at rt_sigreturn'
	expect_out 'sigtest: killed by SIGSEGV: a handler without SA_RESTORER'
	expect_out 'sigtest: killed by SIGSEGV: no room for a signal frame (rsp 0x2000)'
}

# The shadow checked every 10th stop: at every stop the run takes about
# 45 s alone, and several times that beside other suites (CI).
CHECK=--shadow-check=10 boot --stats --append "run=sigtest"
sigtest_ran
expect_err 'paravirtual FPU: '
report "signals with the paravirtual FPU: frames, masks, restarts, faults, FPU state, job control, wait"

CHECK=--shadow-check=50 boot --stats --append "run=sigtest nopv"
sigtest_ran
expect_no_err 'paravirtual FPU: '
report "the same without the paravirtual interface: XSAVE/XRSTOR in the guest kernel"

# Checking the shadow at every stop costs more than a 1 ms tick: every 50th.
CHECK=--shadow-check=50 boot --append "run=sigtest hz=1000"
sigtest_ran
report "the same at 1000 timer interrupts a second"

# As process 2, with no process 1 left: orphans go to the kernel, and
# kill(-1) reaches the test itself too.
CHECK=--shadow-check=50 boot --append "run=hello,sigtest nopv"
sigtest_ran
report "the same as process 2, with no process 1 to adopt orphans"

# ^C at the console goes to the foreground group: the shell ignores it,
# the program's handler runs, and its read goes on (SA_RESTART) or ends
# with EINTR.  The shell survives, and a ^C at its prompt still ends its
# read.
cat >"$script" <<'SCRIPT'
expect $ 
send sigtest intr\r
expect sigtest: reading
sleep 300
send \x03
expect SIGINT caught
send typed on\r
expect read 'typed on' after 1 SIGINT
expect $ 
send sigtest intr norestart\r
expect sigtest: reading
sleep 300
send \x03
expect read: EINTR after 1 SIGINT
expect $ 
send \x03
expect $ 
send echo still here\r
expect still here
send \x04
wait
ttysane
SCRIPT
pty 60 --append "init=sh"
expect_status 0
expect_out "sigtest: read 'typed on' after 1 SIGINT"
expect_out 'sigtest: read: EINTR after 1 SIGINT'
expect_out 'still here'
expect_no_out 'not found'
report "^C at the console: SIGINT to the foreground group, a handler's read restarted or EINTR"
