# Snapshots (monitor/snapshot.c) and the control socket (monitor/qmp.c):
# a guest that counts is saved through QMP, stopped, and restored by
# another monitor with --loadvm, and goes on from where it was; the same
# with a disk being written, with Ctrl-A s on a terminal, and the files a
# restore must refuse (truncated, corrupt, another format version, RAM
# size, kernel or disk).
. "$(dirname "$0")/lib.sh"
QMP=${QMP:-tests/qmp.py}
dir=$(mktemp -d)
bg=
trap '[ -n "$bg" ] && kill "$bg" 2>/dev/null; rm -rf "$OUT" "$ERR" "$dir"' EXIT


# start NAME ARGS...: trapvisor in the background, console in $dir/NAME.out,
# messages in $dir/NAME.err; its pid in $bg.
start() {
	local name=$1; shift
	timeout "$(limit 300)" "$TRAPVISOR" $CHECK "$@" </dev/null >"$dir/$name.out" 2>"$dir/$name.err" &
	bg=$!
}
finish() { wait "$bg"; STATUS=$?; bg=; }

# numbers PREFIX FILES...: the numbers of the lines "PREFIX N", in order,
# one line; "1 2 3 ... N" is what an unbroken count gives.
numbers() { local p=$1; shift; cat "$@" | sed -n "s/^$p \([0-9][0-9]*\)\( .*\)\{0,1\}\$/\1/p" | tr '\n' ' '; }
seq_line() { seq -s ' ' 1 "$1" | sed 's/$/ /'; }

# ---- A counting guest saved over QMP and restored in a new monitor ----
"$QMP" "$dir/qmp" --when "$dir/a.out" "count 10 " stop savevm "{\"file\": \"$dir/a.snap\"}" quit >"$dir/a.qmp" &
qpid=$!   # before the monitor: Python's start-up overlaps the boot
start a --qmp "unix:$dir/qmp" --append "init=count -- 40 40"
wait "$qpid"
finish
expect_status 0
[ "$(grep -c '"return": {}' "$dir/a.qmp")" = 4 ] || why+="QMP did not answer {} four times: $(tr '\n' ' ' <"$dir/a.qmp"); "
grep -q 'quit (QMP)' "$dir/a.err" || why+="the first monitor did not say it quit; "
saved=$(numbers count "$dir/a.out" | wc -w)
boot --loadvm "$dir/a.snap"
expect_status 0
expect_out 'count: done'
[ "$(numbers count "$dir/a.out" "$OUT")" = "$(seq_line 40)" ] ||
	why+="the count before and after is not 1..40 once each: $(numbers count "$dir/a.out" "$OUT"); "
expect_no_out 'trapvisor guest kernel 0.1'     # no new boot: it went on
report "savevm over QMP at count $saved, quit, --loadvm in a new monitor: the count goes on to 40, each number once"

ls -l "$dir/a.snap" | awk '{ printf "     snapshot of a 256 MiB guest: %d bytes (zero pages skipped)\n", $5 }'

# ---- The files a restore refuses: one line, status 2, nothing runs ----
refuse() { # NAME EXPECTED-TEXT ARGS...
	local name=$1 text=$2; shift 2
	boot "$@"
	expect_status 2
	expect_err "$text"
	expect_err_lines 1
	[ ! -s "$OUT" ] || why+="the guest ran: $(head -c 200 "$OUT"); "
	report "--loadvm refuses $name with one line and status 2"
}
size=$(stat -c %s "$dir/a.snap")
head -c $((size / 2)) "$dir/a.snap" >"$dir/trunc.snap"
refuse "a truncated snapshot" "truncated: the stream ends in" --loadvm "$dir/trunc.snap"
head -c $((size - 10)) "$dir/a.snap" >"$dir/trunc2.snap"
refuse "a snapshot without its last bytes" "truncated: the stream ends in end" --loadvm "$dir/trunc2.snap"
cp "$dir/a.snap" "$dir/corrupt.snap"
printf '\x5a' | dd of="$dir/corrupt.snap" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
refuse "a snapshot with one byte changed" "corrupt: " --loadvm "$dir/corrupt.snap"
python3 - "$dir/a.snap" "$dir/v2.snap" <<'PY'
import struct, sys, zlib
d = bytearray(open(sys.argv[1], 'rb').read())
d[8:12] = struct.pack('<I', 2)                      # the format version
d[60:64] = struct.pack('<I', zlib.crc32(bytes(d[:60])))   # a valid header otherwise
open(sys.argv[2], 'wb').write(d)
PY
refuse "another format version" "format version 2, this trapvisor reads version 1" --loadvm "$dir/v2.snap"
refuse "another RAM size" "made with 256 MiB of RAM, this VM has 128 MiB" -m 128M --loadvm "$dir/a.snap"
cp "$KERNEL" "$dir/other.elf"
printf 'x' >>"$dir/other.elf"
refuse "another kernel image" "made with another kernel image" --loadvm "$dir/a.snap" "$dir/other.elf"
printf 'not a snapshot\n' >"$dir/text.snap"
refuse "a file that is not a snapshot" "not a trapvisor snapshot" --loadvm "$dir/text.snap"

# ---- The same across a disk being written ----
python3 -c "import sys; open(sys.argv[1], 'wb').write(bytes((i * 7 + 3) & 0xff for i in range(1 << 20)))" "$dir/disk.img"
cp "$dir/disk.img" "$dir/disk.orig"
"$QMP" "$dir/qmpd" --when "$dir/d.out" "diskcount 10" stop savevm "{\"file\": \"$dir/d.snap\"}" quit >"$dir/d.qmp" &
qpid=$!   # before the monitor: Python's start-up overlaps the boot
start d --disk "$dir/disk.img" --qmp "unix:$dir/qmpd" --append "init=diskcount -- 40 40"
wait "$qpid"
finish
expect_status 0
saved=$(numbers diskcount "$dir/d.out" | wc -w)
boot --disk "$dir/disk.img" --loadvm "$dir/d.snap"
expect_status 0
expect_out 'diskcount: done'
[ "$(numbers diskcount "$dir/d.out" "$OUT")" = "$(seq_line 40)" ] ||
	why+="the records reported before and after are not 1..40 once each: $(numbers diskcount "$dir/d.out" "$OUT"); "
python3 - "$dir/disk.img" "$dir/disk.orig" <<'PY' || why+="the image does not hold records 1..40 each once in place, the rest unchanged; "
import sys
a, b = open(sys.argv[1], 'rb').read(), bytearray(open(sys.argv[2], 'rb').read())
for k in range(1, 41):
    rec = ('record %d' % k).ljust(31).encode() + b'\n'
    b[65536 + (k - 1) * 32:65536 + k * 32] = rec
sys.exit(0 if a == bytes(b) else 1)
PY
report "a guest writing a disk, saved at record $saved and restored: records 1..40 in the image, none lost or doubled"

boot --loadvm "$dir/d.snap"
expect_status 2
expect_err 'start with --disk'
report "--loadvm of a VM with a disk refuses to start without one"
printf 'OTHER DISK' | dd of="$dir/disk.img" bs=1 conv=notrunc 2>/dev/null
boot --disk "$dir/disk.img" --loadvm "$dir/d.snap"
expect_status 2
expect_err "is not the VM's image"
report "--loadvm refuses a disk image whose first 4 KiB differ from the saved VM's"

# ---- The control socket's errors ----
start q --qmp "unix:$dir/qmpq" --append "init=count -- 1000 50"
wait_for "$dir/q.out" "count 2 " || why+="the guest did not start counting; "
"$QMP" "$dir/qmpq" --no-negotiate query-status --raw '{"execute": "qmp_capabilities"}' \
	--raw '{"execute": "query-status", "id": "a1"}' --raw '{"execute": ' --raw '[1, 2]' \
	frobnicate savevm savevm '{"file": "/nonexistent/dir/x.snap"}' stop query-status cont \
	query-stats query-migrate quit >"$dir/q.qmp"
finish
expect_status 0
q() { grep -qF -- "$1" "$dir/q.qmp" || why+="no reply with '$1'; "; }
q "Expecting capabilities negotiation with 'qmp_capabilities'"
q '{"return": {"status": "running", "running": true, "singlestep": false}, "id": "a1"}'
q '"class": "GenericError", "desc": "JSON parse error, unexpected end at byte 12"'
q 'QMP input must be a JSON object'
q '"class": "CommandNotFound", "desc": "The command \"frobnicate\" has not been found"'
q "Parameter 'file' is missing"
q '/nonexistent/dir/x.snap.tmp: No such file or directory'
q '{"return": {"status": "paused", "running": false, "singlestep": false}}'
q '"hidden_faults": '
[ "$(wc -l <"$dir/q.qmp")" = 15 ] || why+="not one line per command: $(wc -l <"$dir/q.qmp") lines; "
report "QMP: negotiation first, ids echoed, parse errors, unknown commands and bad arguments answered with errors"

# ---- Ctrl-A s on a terminal ----
if [ -x "$PTYRUN" ]; then
	script="$dir/script"
	cat >"$script" <<'SCRIPT'
expect count 5 (
send \x01s
expect snapshot saved to
send \x01x
wait
SCRIPT
	timeout "$(($(limit 60) + 30))" "$PTYRUN" "$(limit 60)" "$script" -- "$TRAPVISOR" $CHECK \
		--snapshot-file "$dir/tty.snap" --append "init=count -- 40 40" >"$dir/tty.out" 2>&1
	STATUS=$?
	expect_status 0
	boot --loadvm "$dir/tty.snap"
	expect_status 0
	first=$(numbers count "$OUT" | awk '{ print $1 }')
	[ -n "$first" ] && [ "$first" -gt 5 ] && [ "$(numbers count "$OUT")" = "$(seq -s ' ' "$first" 40) " ] ||
		why+="the restored count is not an unbroken run from after 5 to 40: $(numbers count "$OUT"); "
	grep -q "count $((first - 1)) " "$dir/tty.out" || why+="count $((first - 1)) was not printed before the save; "
	report "Ctrl-A s saves to --snapshot-file; the restore goes on from the next number"
fi
