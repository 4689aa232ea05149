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

# ptstress runs out of memory on 8 MiB (the kernel image takes about 5).  Which of its processes the guest
# kernel's out-of-memory killer picks depends on timing: a worker (then
# ptstress reports FAILED and exits 1) or ptstress itself (SIGKILL, 137).
# Either way its status is the VM's.  Checking every stop would make its
# many page-table changes take most of a minute: every 1000th will do.
CHECK=--shadow-check=1000 boot -m 8M --append "run=ptstress"
case $STATUS in
1)   expect_out 'ptstress: FAILED'; expect_out 'ptstress exited with status 1' ;;
137) expect_out 'ptstress: out of memory at ' ;;
*)   why+="exit status $STATUS, wanted 1 (FAILED) or 137 (killed for memory); " ;;
esac
expect_out "shutting down (status $STATUS, from ptstress)"
expect_no_err 'trapvisor:'
report "run=ptstress on an 8M guest: its exit status ($STATUS) is the VM's"

boot --append "run=hello,nosuchprogram,divzero,ring"
expect_status 1
expect_out 'divzero: killed by #DE'
expect_out 'ring: killed by #GP'
expect_out 'shutting down (status 1, from nosuchprogram)'
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

# Host failures: status 1, and one "trapvisor: host failure: ..." line that
# names what failed and why.  First at start-up: guest RAM is a memfd as
# large as the guest, which a file-size limit forbids (SIGXFSZ ignored, so
# ftruncate fails with EFBIG instead of killing the monitor).
(trap '' XFSZ; ulimit -f 1024; exec timeout 60 "$TRAPVISOR" --append "run=hello" \
	</dev/null >"$OUT" 2>"$ERR")
STATUS=$?
expect_status 1
expect_err 'trapvisor: host failure: cannot allocate 256 MiB of guest RAM: File too large'
expect_err_lines 1
report "a host failure at start-up (ulimit -f): status 1 and one trapvisor: line"

# Then while the guest runs: every guest address space is a host process,
# so a limit on processes makes creating the first one fail.  Run as root,
# the guest runs as a uid nobody else uses (root ignores RLIMIT_NPROC) with
# room for the monitor and its I/O thread only (--no-pin: no placement
# thread); otherwise the user's own processes already fill a limit of 1,
# and the I/O thread fails first.
if [ "$(id -u)" = 0 ]; then
	d=$(mktemp -d)
	cp "$TRAPVISOR" "$d/trapvisor" && cp "$KERNEL" "$d/guest-kernel.elf" && chmod 755 "$d" "$d"/*
	id=$((3000000 + $$))
	(ulimit -u 2; exec timeout 60 setpriv --reuid=$id --regid=$id --clear-groups \
		"$d/trapvisor" --no-pin --append "run=hello" "$d/guest-kernel.elf" </dev/null >"$OUT" 2>"$ERR")
	STATUS=$?
	rm -rf "$d"
	expect_err 'trapvisor: host failure: cannot create a guest context process for CR3 0x'
	expect_err "(fork: at a limit on processes: ulimit -u, or the cgroup's pids.max): Resource temporarily unavailable"
else
	(ulimit -u 1; exec "$TRAPVISOR" --append "run=hello" </dev/null >"$OUT" 2>"$ERR")
	STATUS=$?
	expect_err 'trapvisor: host failure: '
	expect_err 'Resource temporarily unavailable'
fi
expect_status 1
expect_err_lines 1
report "a host failure while running (ulimit -u): status 1 and one trapvisor: line"

# 128 + N twice over: trapvisor itself stopped by host SIGTERM says so on
# stderr; a guest program killed by a fault (run=) is the guest's status.
"$TRAPVISOR" --append "run=idle3" </dev/null >"$OUT" 2>"$ERR" &
pid=$!
for _ in $(seq 100); do grep -q 'guest kernel 0.1' "$OUT" && break; sleep 0.1; done
kill -TERM $pid
wait $pid
STATUS=$?
expect_status 143
expect_err 'trapvisor: stopped by Terminated'
report "trapvisor stopped by SIGTERM: status 143 and a trapvisor: line"

boot --append "run=badptr"
expect_status 139
expect_out 'badptr: killed by #PF'
expect_no_err 'trapvisor:'
report "a guest program killed by #PF: status 139 (SIGSEGV), no trapvisor: line"
