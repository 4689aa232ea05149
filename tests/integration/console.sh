# The console as a person uses it: through a pseudo-terminal (typing,
# echo, backspace, ^C, ^D, Ctrl-A x, SIGTERM, the terminal restored), and
# through a pipe (the end of input reaches the guest).
. "$(dirname "$0")/lib.sh"
script=$(mktemp)
trap 'rm -f "$OUT" "$ERR" "$script"' EXIT

cat >"$script" <<'SCRIPT'
expect $ 
send echo hello there\r
expect hello there
send ech\x7fo\x7f\x7fcho back\r
expect back
send spin 20\r
sleep 700
send \x03
expect ^C
expect $ 
send sleep1\r
expect sleep1: slept
expect $ 
send \x04
wait
ttysane
SCRIPT
pty 60 --append "init=sh"
expect_status 0
expect_out 'hello there'
expect_out 'ech'
expect_no_out 'spin 20: done'
expect_out 'terminal restored'
# The edited line must have run as "echo back": its output, no error.
grep -qE '(^|[$] )back' "$OUT" || why+="backspace editing did not give 'echo back'; "
expect_no_out 'not found'
report "a terminal session: echo, backspace, ^C kills the program, ^D ends the shell"

cat >"$script" <<'SCRIPT'
expect $ 
send \x01x
wait
ttysane
SCRIPT
pty 30 --append "init=sh"
expect_status 0
expect_out 'quit (Ctrl-A x)'
report "Ctrl-A x quits with status 0 and restores the terminal"

cat >"$script" <<'SCRIPT'
expect $ 
signal 15
wait
ttysane
SCRIPT
pty 30 --append "init=sh"
expect_status 143
expect_out 'stopped by Terminated'
report "SIGTERM stops the VM (status 143) and restores the terminal"

printf 'echo hi from a pipe\nexit 3\n' | timeout "$(limit 300)" "$TRAPVISOR" --append "init=sh" >"$OUT" 2>"$ERR"
STATUS=$?
expect_status 3
expect_out 'hi from a pipe'
report "a shell reading a pipe runs its commands (exit 3)"

printf 'echo last line' | timeout "$(limit 300)" "$TRAPVISOR" --append "init=sh" >"$OUT" 2>"$ERR"
STATUS=$?
expect_status 0
expect_out 'last line'
report "the end of piped input reaches the guest as end of file"

# make run with the kernel's own shell (APPEND=init=sh) on the terminal,
# where a musl program runs like the rest (busybox.sh has the default).
cat >"$script" <<'SCRIPT'
expect $ 
send libctest\r
expect libctest: ok
expect $ 
send exit\r
wait
SCRIPT
san=; case $TRAPVISOR in build-san/*) san=1 ;; esac   # the monitor under test
timeout "$(limit 300)" "$PTYRUN" "$(limit 120)" "$script" -- make -s --no-print-directory run SAN=$san APPEND=init=sh >"$OUT" 2>&1
STATUS=$?
expect_status 0
expect_out 'libctest: ok'
expect_out 'sh exited with status 0'
report "make run APPEND=init=sh boots the kernel's own shell on the terminal"
