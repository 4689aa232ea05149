# The console's host side: the guest's window size follows the host
# terminal (and its resizes), and --console pty gives a pseudo-terminal
# that a client attaches to while the monitor runs in the background.
. "$(dirname "$0")/lib.sh"
INITRAMFS=${INITRAMFS:-build/initramfs.cpio.gz}
script=$(mktemp) log=$(mktemp)
cleanup() {
	[ -n "${catpid:-}" ] && kill "$catpid" 2>/dev/null
	[ -n "${vmpid:-}" ] && kill "$vmpid" 2>/dev/null
	rm -f "$OUT" "$ERR" "$script" "$log"
}
trap cleanup EXIT

# A terminal resized under the running guest: stty size follows, and the
# shell in the foreground gets SIGWINCH (its trap prints a computed word,
# so the echo of the command line cannot match).
cat >"$script" <<'SCRIPT'
resize 30 90
expect # 
send stty size\r
expect 30 90
resize 40 100
sleep 300
send stty size\r
expect 40 100
send trap 'echo winch-$((6*7))' WINCH; read x\r
sleep 500
resize 50 132
expect winch-42
send \r
send stty size\r
expect 50 132
send exit 4\r
wait
SCRIPT
pty 120 --initrd "$INITRAMFS"
expect_status 4
report "the guest's window size is the host terminal's, and follows a resize with SIGWINCH"

# Without a terminal the size is unknown: the guest keeps 24 x 80.
boot_unchecked --initrd "$INITRAMFS" --append "rdinit=/bin/stty -- size"
expect_status 0
expect_out '24 80'
report "with no host terminal the console is 24 x 80"

# --console pty: a client (here the shell's own redirections) attaches to
# the printed path, types commands and sets the window size with stty.
"$TRAPVISOR" --console pty --initrd "$INITRAMFS" </dev/null >"$OUT" 2>"$ERR" &
vmpid=$!
path=""
for _ in $(seq "$(limit 150)"); do
	path=$(sed -n 's|^console on \(/dev/pts/[0-9]*\) .*|\1|p' "$ERR")
	[ -n "$path" ] && break
	sleep 0.2
done
wait_log() { # TEXT: until the console shows it (or the time is up)
	for _ in $(seq "$(limit 300)"); do
		grep -qF -- "$1" "$log" && return 0
		sleep 0.2
	done
	why+="the pty never showed '$1'; "
	return 1
}
if [ -z "$path" ] || [ ! -c "$path" ]; then
	why+="no 'console on /dev/pts/N' line; "
else
	exec 3<>"$path"
	cat <&3 >"$log" 2>/dev/null &   # EIO once the monitor is gone
	catpid=$!
	wait_log '# ' &&
		printf 'echo pty-$((6*7))\r' >&3 &&
		wait_log 'pty-42' &&
		stty -F "$path" rows 33 cols 77 &&
		sleep 1 &&
		printf 'stty size\r' >&3 &&
		wait_log '33 77' &&
		printf 'exit 6\r' >&3
	timeout "$(limit 120)" tail --pid="$vmpid" -f /dev/null
	wait "$vmpid"
	STATUS=$?
	vmpid=""
	exec 3>&-
	expect_status 6
	grep -q $'pty-42\r$' "$log" || why+="lines on the pty do not end in CR LF (a raw client would staircase); "
fi
expect_no_out 'pty-42'        # nothing of the console on standard output
report "--console pty: a client attaches to the printed path, types, resizes, exits; lines end in CR LF"

# Nobody attached: the guest's output is dropped once the pty is full, and
# the guest runs on to its end.
# (seq prints 100 KB; the pty holds a few.)
boot_unchecked --console pty --initrd "$INITRAMFS" --append "rdinit=/usr/bin/seq -- 1 20000"
expect_status 0
expect_err 'console on /dev/pts/'
expect_err_lines 1
report "--console pty with nobody attached: output is dropped, the guest is not held"

boot_unchecked --console serial --append hello
expect_status 2
expect_err '--console serial: not stdio or pty'
report "--console with an unknown kind is refused (status 2)"
