# The guest's terminal as a new user meets it (drivers/tty.c): the default
# initramfs booted through a host pseudo-terminal (build/ptyrun), typing at
# busybox's shell and at bash as a person would: arrow-up recalls the last
# command; sleep 100, ^Z, jobs, bg, jobs, fg, ^C; cat ended by ^D; vi
# writing a file; top and less; stty -a.  The same keystrokes go to the host's busybox
# and bash-static on a host pty, and what the shells print about the jobs
# must be the same lines; stty -a must print Linux's default settings.
# The guest's pseudo-terminals themselves are tested by the guest suite's
# tty and jobctl groups (tests/guest/).
. "$(dirname "$0")/lib.sh"
INITRAMFS=${INITRAMFS:-build/initramfs.cpio.gz}
work=$(mktemp -d)
trap 'rm -rf "$OUT" "$ERR" "$work"' EXIT

# run NAME SCRIPT COMMAND...: the script against COMMAND on a pty; the
# transcript, without CRs and escape sequences, in $work/NAME.
run() {
	local name=$1 script=$2 secs; shift 2
	secs=$(limit 120)
	timeout "$((secs + 30))" "$PTYRUN" "$secs" "$script" -- "$@" >"$work/$name.raw" 2>&1
	STATUS=$?
	sed -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\r//g' "$work/$name.raw" >"$work/$name"
	cp "$work/$name.raw" "$OUT"
}

# The job-control keystrokes, for any shell whose prompt ends in "# " or
# "$ ".  A ^Z or ^C is typed again each second until the shell shows it
# took effect: the first may come before the shell has started the job.
cat >"$work/jobs" <<'SCRIPT'
expect # 
send echo first\r
expect first
expect # 
send \x1b[A\r
expect first
expect # 
send sleep 100\r
resend 1000 \x1a
expect Stopped
expect # 
send jobs\r
expect sleep
expect # 
send bg\r
expect sleep
expect # 
send jobs\r
expect Running
expect # 
send fg\r
expect sleep 100
resend 1000 \x03
expect # 
send echo "status $?"\r
expect status 130
expect # 
send echo re""ady; cat\r
expect ready
send hello cat\r
expect hello cat
expect hello cat
send \x04
expect # 
send echo "cat status $?"\r
expect cat status 0
expect # 
SCRIPT
{ cat "$work/jobs"; printf 'send exit\\r\nwait\n'; } >"$work/jobs-exit"

# What the shell printed about its jobs, and the statuses.
job_lines() { grep -E '^\[[0-9]+\]|^status|^cat status|^sleep 100$' "$1"; }

# busybox's shell in the guest, then on the host.
run guest-ash "$work/jobs-exit" "$TRAPVISOR" --initrd "$INITRAMFS" "$KERNEL"
expect_status 0
run host-ash "$work/jobs-exit" env -i HOME=/ TERM=linux PATH=/usr/bin:/bin PS1='# ' busybox sh
job_lines "$work/guest-ash" >"$work/guest-ash.jobs"
job_lines "$work/host-ash" >"$work/host-ash.jobs"
grep -q 'Stopped' "$work/host-ash.jobs" || why+="the host's busybox run did not stop the job (ptyrun?); "
diff -u "$work/host-ash.jobs" "$work/guest-ash.jobs" >"$work/diff" ||
	why+="the guest's job lines differ from the host's busybox: $(grep '^[-+][^-+]' "$work/diff" | tr '\n' '|'); "
grep -q '^~ # echo first$' "$work/guest-ash" || why+="arrow-up did not recall 'echo first'; "
report "busybox sh on the console: history, ^Z, jobs, bg, fg, ^C, cat and ^D as the host's busybox does"

# bash-static: /init's "-- bash" makes it the interactive shell; the
# host's bash-static gets the same keystrokes.  bash's prompt is "bash-5.2# ".
run guest-bash "$work/jobs-exit" "$TRAPVISOR" --initrd "$INITRAMFS" --append "-- bash" "$KERNEL"
expect_status 0
expect_no_out 'no job control'
run host-bash "$work/jobs-exit" env -i HOME=/ TERM=linux PATH=/usr/bin:/bin PS1='bash# ' bash-static --norc --noprofile
job_lines "$work/guest-bash" >"$work/guest-bash.jobs"
job_lines "$work/host-bash" >"$work/host-bash.jobs"
grep -q 'Stopped' "$work/host-bash.jobs" || why+="the host's bash run did not stop the job (ptyrun?); "
diff -u "$work/host-bash.jobs" "$work/guest-bash.jobs" >"$work/diff" ||
	why+="the guest's job lines differ from the host's bash: $(grep '^[-+][^-+]' "$work/diff" | tr '\n' '|'); "
grep -q '# echo first$' "$work/guest-bash" || why+="arrow-up did not recall 'echo first'; "
report "bash on the console (-- bash): readline history, ^Z, jobs, bg, fg, ^C, cat and ^D as the host's bash"

# vi, and stty -a against Linux's defaults: the host's busybox stty on a
# new host pty, set to what the console differs in by design: 24 x 80
# until the monitor reports the host's size; -onlcr (drivers/console.c);
# hupcl, which Linux's serial console has and its ptys have not.
# vi's status line turns from "I" to "-" once it has read the ESC, and only
# then comes ":wq": busybox's read_key() drops an ESC that arrives together
# with more bytes as an unknown escape sequence, ":wq" and all, and a guest
# stalled by a loaded host past a fixed sleep once got them so.
cat >"$work/vi" <<'SCRIPT'
expect # 
send vi /tmp/x\r
expect ~
sleep 1000
send ityped in vi\x1b
expect - /tmp/x [Modified]
send :wq\r
expect # 
send cat /tmp/x\r
expect typed in vi
expect # 
send top\r
expect PID
sleep 500
send q
expect # 
send less /etc/passwd\r
expect root:x:0:0
sleep 500
send q
expect # 
send stty -a\r
expect # 
send exit\r
wait
SCRIPT
run guest-vi "$work/vi" "$TRAPVISOR" --initrd "$INITRAMFS" "$KERNEL"
expect_status 0
grep -qx 'typed in vi' "$work/guest-vi" || why+="cat /tmp/x did not show the line typed in vi; "
sed -n '/stty -a$/,/^~ # /p' "$work/guest-vi" | sed '1d;$d' >"$work/guest-stty"
cat >"$work/stty" <<'SCRIPT'
wait
SCRIPT
run host-stty "$work/stty" sh -c 'stty rows 24 cols 80 -onlcr -iutf8 hupcl; busybox stty -a'
diff -u "$work/host-stty" "$work/guest-stty" >"$work/diff" ||
	why+="stty -a differs from Linux's defaults: $(grep '^[-+][^-+]' "$work/diff" | tr '\n' '|'); "
[ -s "$work/guest-stty" ] || why+="no stty -a output; "
grep -q 'PID' "$work/guest-vi" || why+="top showed no process table; "
report "vi /tmp/x writes what was typed; top and less run and quit; stty -a shows Linux's default settings"
