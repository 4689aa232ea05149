# Exit statuses a script can trust (README "Exit status").  With run=a,b
# the status is the first failed program's, as a shell reports it (128 +
# the signal for a program a fault killed); the guest's own status is never
# mistaken for the monitor's, which always says "trapvisor: ..." on stderr.
. "$(dirname "$0")/lib.sh"

boot --append "run=hello,hello"
expect_status 0
expect_out 'shutting down (status 0)'
expect_err_lines 0
report "run=hello,hello: every program passed, status 0"

boot --append "run=hello,divzero"
expect_status 136
expect_out 'divzero: killed by #DE'
expect_out 'shutting down (status 136, from divzero)'
expect_no_err 'trapvisor:'
report "run=hello,divzero: killed by #DE is 128 + SIGFPE = 136"

boot -m 4M --append "run=ptstress"
expect_status 1
expect_out 'ptstress: FAILED'
expect_out 'ptstress exited with status 1'
expect_out 'shutting down (status 1, from ptstress)'
expect_no_err 'trapvisor:'
report "run=ptstress on a 4M guest: its exit status 1 is the VM's"

boot -m 4M --append "run=hello,ptstress,divzero,ring"
expect_status 1
expect_out 'divzero: killed by #DE'
expect_out 'ring: killed by #GP'
expect_out 'shutting down (status 1, from ptstress)'
report "the first failure wins, and the programs after it still run"

boot --append "run=divzero,ring"
expect_status 136
report "the first failure wins over a later kill (#DE 136, not #GP 139)"

boot --append "run=nosuchprogram,hello"
expect_status 1
expect_out 'run: no program "nosuchprogram"'
expect_out 'hello exited with status 0'
report "a program that cannot be started is a failure (status 1)"

boot --append "run=divzero exit=0"
expect_status 0
report "exit=N overrides the programs' status"

boot --append "exit=1"
expect_status 1
expect_err_lines 0
expect_no_err 'trapvisor:'
report "the guest's own debug-exit status 1: status 1, nothing on stderr"

printf 'hello\nexit 3\n' | timeout 60 "$TRAPVISOR" --append "init=sh" >"$OUT" 2>"$ERR"
STATUS=$?
expect_status 3
expect_out 'hello from user space'
expect_out 'shutting down (status 3, from sh)'
expect_err_lines 0
report "init=sh: the shell's exit 3 is the VM's status"

printf 'exit 0\n' | timeout 60 "$TRAPVISOR" --append "run=divzero init=sh" >"$OUT" 2>"$ERR"
STATUS=$?
expect_status 136
report "init= after run=: a failed run= program still decides the status"
