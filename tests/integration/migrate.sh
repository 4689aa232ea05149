# The live move (monitor/migrate.c): a guest that keeps rewriting and
# checking 8 MiB (memdirty) is moved between two monitors on this host,
# over a unix socket, over TCP on 127.0.0.1 and through a file, and
# finishes on the destination with its checks passing; each case prints
# the rounds, pages sent and downtime.  Then the failures: a connection
# cut mid-move and a destination that refuses (the source goes on as if
# nothing had happened), a corrupted and a truncated stream (the
# destination stops with one line and runs nothing).
. "$(dirname "$0")/lib.sh"
QMP=${QMP:-tests/qmp.py}
dir=$(mktemp -d)
pids=
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$OUT" "$ERR" "$dir"' EXIT

start() { # NAME ARGS...: in the background, $dir/NAME.out and .err; pid in $dir/NAME.pid
	local name=$1; shift
	timeout "$(limit 300)" "$TRAPVISOR" $CHECK "$@" </dev/null >"$dir/$name.out" 2>"$dir/$name.err" &
	echo $! >"$dir/$name.pid"
	pids="$pids $!"
}
# reap NAME...: wait for each; its exit status in st_NAME (st_unix_src ...).
reap() { local n; for n; do wait "$(cat "$dir/$n.pid")"; eval "st_${n//-/_}=$?"; done; }
# qmp_bg ARGS...: tests/qmp.py in the background (its pid in $qpid), started
# before the monitor so that Python's start-up overlaps the guest's boot.
qmp_bg() { "$QMP" "$@" >/dev/null & qpid=$!; }
# unless_moved NAME-SRC NAME-DST: a source that ended without handing over
# leaves its destination waiting: end it.
unless_moved() {
	grep -q 'migrated to' "$dir/$1.err" || kill "$(cat "$dir/$2.pid")" 2>/dev/null
	return 0
}
summary() { # the source's last migrate lines, for the log
	sed -n 's/^trapvisor: migrate: \(done: .*\)/     \1/p' "$dir/$1.err"
	grep -c '^trapvisor: migrate: round' "$dir/$1.err" | sed 's/^/     rounds reported: /'
}

# The workload: 8 MiB rewritten and checked every pass, 100 passes.  The
# dirty log makes a stop of every first write to a page in each round, so
# the shadow checker runs every 10 stops rather than at every one.
WORK="init=memdirty -- 8 100 10"
CHECK="--shadow-check=10"

# move NAME URI [DEST-ARGS...]: a source with --qmp and a destination with
# --incoming URI; the move starts once the guest has done 10 passes.
move() {
	local name=$1 uri=$2; shift 2
	start "$name-dst" --incoming "$uri" "$@"
	wait_for "$dir/$name-dst.err" "waiting for the migration stream" ||
		why+="the destination did not listen; "
	qmp_bg "$dir/$name.qmp" --when "$dir/$name-src.out" "memdirty: pass 10 ok" migrate "{\"uri\": \"$uri\"}"
	start "$name-src" --stats --qmp "unix:$dir/$name.qmp" --append "$WORK"
	wait "$qpid"
}

check_moved() { # NAME: the source handed over, the destination finished the work
	local name=$1 s d
	reap "$name-src"
	unless_moved "$name-src" "$name-dst"
	reap "$name-dst"
	eval "s=\$st_${name}_src d=\$st_${name}_dst"
	[ "$s" = 0 ] || why+="the source exited $s; "
	[ "$d" = 0 ] || why+="the destination exited $d; "
	grep -q 'migrated to' "$dir/$name-src.err" || why+="the source did not say it migrated; "
	grep -q 'memdirty: ok, 100 passes over 8 MiB' "$dir/$name-dst.out" ||
		why+="the guest did not finish its checks on the destination; "
	! grep -q 'MISMATCH' "$dir/$name-src.out" "$dir/$name-dst.out" || why+="memdirty found a stale page; "
	! grep -q 'memdirty: ok' "$dir/$name-src.out" || why+="the guest also finished on the source; "
	logged=$(sed -n 's/.*dirty log (migration): \([0-9]*\) pages logged.*/\1/p' "$dir/$name-src.err")
	[ "${logged:-0}" -gt 0 ] || why+="no page was logged dirty by the shadow; "
	grep -q '^trapvisor: migrate: round 1: ' "$dir/$name-src.err" || why+="no progress line for round 1; "
	if [ -n "$why" ]; then
		sed 's/^/    src: /' "$dir/$name-src.err" | tail -12
		sed 's/^/    dst: /' "$dir/$name-dst.err" | tail -5
	fi
}

move unix "unix:$dir/mig.sock"
check_moved unix
report "live move over a unix socket while the guest rewrites 8 MiB: it finishes on the destination, checks passing"
summary unix-src

port=$((20000 + RANDOM % 40000))
move tcp "tcp:127.0.0.1:$port"
check_moved tcp
report "live move over TCP on 127.0.0.1 while the guest rewrites 8 MiB: it finishes on the destination"
summary tcp-src

# With a disk being written: the same image on both sides; its lock passes
# from the source to the destination at the end of the move.
python3 -c "import sys; open(sys.argv[1], 'wb').write(bytes((i * 7 + 3) & 0xff for i in range(1 << 20)))" "$dir/disk.img"
cp "$dir/disk.img" "$dir/disk.orig"
start disk-dst --disk "$dir/disk.img" --incoming "unix:$dir/disk.sock"
wait_for "$dir/disk-dst.err" "waiting for the migration stream" || why+="the destination did not listen; "
qmp_bg "$dir/disk.qmp" --when "$dir/disk-src.out" "diskcount 10" migrate "{\"uri\": \"unix:$dir/disk.sock\"}"
start disk-src --disk "$dir/disk.img" --qmp "unix:$dir/disk.qmp" --append "init=diskcount -- 40 40"
wait "$qpid"
reap disk-src
unless_moved disk-src disk-dst
reap disk-dst
[ "$st_disk_src" = 0 ] || why+="the source exited $st_disk_src; "
[ "$st_disk_dst" = 0 ] || why+="the destination exited $st_disk_dst; "
grep -q 'diskcount: done' "$dir/disk-dst.out" || why+="the guest did not finish on the destination; "
n=$(cat "$dir/disk-src.out" "$dir/disk-dst.out" | sed -n 's/^diskcount \([0-9]*\)$/\1/p' | tr '\n' ' ')
[ "$n" = "$(seq -s ' ' 1 40) " ] || why+="the records reported on both sides are not 1..40 once each: $n; "
python3 - "$dir/disk.img" "$dir/disk.orig" <<'PY' || why+="the image does not hold records 1..40 in place, the rest unchanged; "
import sys
a, b = open(sys.argv[1], 'rb').read(), bytearray(open(sys.argv[2], 'rb').read())
for k in range(1, 41):
    b[65536 + (k - 1) * 32:65536 + k * 32] = ('record %d' % k).ljust(31).encode() + b'\n'
sys.exit(0 if a == bytes(b) else 1)
PY
report "live move of a guest writing a disk (one image, its lock handed over): every record once, in place"

# A paused VM moved (QEMU's "stop; migrate"): round 1 finds nothing
# dirtied, and the count goes on on the destination, each number once.
start p-dst --incoming "unix:$dir/p.sock"
wait_for "$dir/p-dst.err" "waiting for the migration stream" || why+="the destination did not listen; "
qmp_bg "$dir/p.qmp" --when "$dir/p-src.out" "count 5 " stop migrate "{\"uri\": \"unix:$dir/p.sock\"}"
start p-src --qmp "unix:$dir/p.qmp" --append "init=count -- 30 40"
wait "$qpid"
reap p-src
unless_moved p-src p-dst
reap p-dst
[ "$st_p_src" = 0 ] && [ "$st_p_dst" = 0 ] || why+="exit statuses $st_p_src (source) and $st_p_dst (destination); "
n=$(cat "$dir/p-src.out" "$dir/p-dst.out" | sed -n 's/^count \([0-9]*\) .*/\1/p' | tr '\n' ' ')
[ "$n" = "$(seq -s ' ' 1 30) " ] || why+="the count on both sides is not 1..30 once each: $n; "
grep -q 'round 1: .* 0 pages dirtied meanwhile' "$dir/p-src.err" || why+="a paused guest dirtied pages: $(grep 'round 1' "$dir/p-src.err"); "
report "stop, then migrate: the paused VM moves in one go and goes on on the destination"

# Through a file: written by the source, read by --incoming file:.
start file-src --stats --qmp "unix:$dir/file.qmp" --append "$WORK"
wait_for "$dir/file-src.out" "memdirty: pass 10 ok" || why+="the guest did not start; "
"$QMP" "$dir/file.qmp" migrate "{\"uri\": \"file:$dir/moved.snap\"}" >/dev/null
reap file-src; s=$st_file_src
[ "$s" = 0 ] || why+="the source exited $s; "
boot --incoming "file:$dir/moved.snap"
expect_status 0
expect_out 'memdirty: ok, 100 passes over 8 MiB'
report "migrate to file:PATH, then --incoming file:PATH: the guest goes on from the file"

# ---- Failures ----

# The connection is cut after 2 MiB: the source goes on and finishes.
python3 - "$dir/cut.sock" >"$dir/cut.log" 2>&1 <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1)
print("listening", flush=True)
c, _ = s.accept(); got = 0
while got < (2 << 20):
    b = c.recv(65536)
    if not b: break
    got += len(b)
c.close(); print("cut after", got, flush=True)
PY
pids="$pids $!"
wait_for "$dir/cut.log" listening || why+="the fake destination did not start; "
start cut-src --qmp "unix:$dir/cut.qmp" --append "$WORK"
wait_for "$dir/cut-src.out" "memdirty: pass 10 ok" || why+="the guest did not start; "
"$QMP" "$dir/cut.qmp" migrate "{\"uri\": \"unix:$dir/cut.sock\"}" >/dev/null
reap cut-src; s=$st_cut_src
[ "$s" = 0 ] || why+="the source exited $s; "
grep -q "migration to unix:$dir/cut.sock failed: sending: .*; the guest goes on here" "$dir/cut-src.err" ||
	why+="the source did not say the move failed: $(tail -2 "$dir/cut-src.err"); "
grep -q 'memdirty: ok, 100 passes over 8 MiB' "$dir/cut-src.out" || why+="the guest did not finish on the source; "
report "a connection cut mid-move: the source says so and the guest finishes there, checks passing"

# A destination that refuses (another RAM size): the source goes on.
start ref-dst -m 128M --incoming "unix:$dir/ref.sock"
wait_for "$dir/ref-dst.err" "waiting for the migration stream" || why+="the destination did not listen; "
start ref-src --qmp "unix:$dir/ref.qmp" --append "$WORK"
wait_for "$dir/ref-src.out" "memdirty: pass 10 ok" || why+="the guest did not start; "
"$QMP" "$dir/ref.qmp" migrate "{\"uri\": \"unix:$dir/ref.sock\"}" query-migrate >"$dir/ref.qmpout"
reap ref-src ref-dst; s=$st_ref_src d=$st_ref_dst
[ "$s" = 0 ] || why+="the source exited $s; "
[ "$d" = 2 ] || why+="the destination exited $d, wanted 2; "
grep -q 'made with 256 MiB of RAM, this VM has 128 MiB' "$dir/ref-dst.err" || why+="the destination did not say why; "
[ ! -s "$dir/ref-dst.out" ] || why+="the destination ran a guest; "
grep -q 'failed: .*; the guest goes on here' "$dir/ref-src.err" || why+="the source did not say the move failed; "
grep -q 'memdirty: ok, 100 passes over 8 MiB' "$dir/ref-src.out" || why+="the guest did not finish on the source; "
report "a destination that refuses (other RAM size): it exits 2 and runs nothing, the source goes on"

# A corrupted stream, and one cut short: the destination stops, runs nothing.
feed() { # FILE URI-SOCKET: send FILE to the destination and close
	python3 - "$1" "$2" <<'PY'
import socket, sys, time
data = open(sys.argv[1], 'rb').read()
for _ in range(600):
    try:
        s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[2]); break
    except OSError:
        time.sleep(0.1)
try:
    s.sendall(data); s.shutdown(socket.SHUT_WR); s.recv(4096)
except OSError:
    pass
PY
}
size=$(stat -c %s "$dir/moved.snap")
cp "$dir/moved.snap" "$dir/bad.snap"
printf '\x33\x44' | dd of="$dir/bad.snap" bs=1 seek=$((size / 3)) conv=notrunc 2>/dev/null
start bad-dst --incoming "unix:$dir/bad.sock"
wait_for "$dir/bad-dst.err" "waiting for the migration stream" || why+="the destination did not listen; "
feed "$dir/bad.snap" "$dir/bad.sock"
reap bad-dst; d=$st_bad_dst
[ "$d" = 2 ] || why+="the destination exited $d, wanted 2; "
grep -q "unix:$dir/bad.sock: corrupt: " "$dir/bad-dst.err" || why+="no 'corrupt' line: $(tail -1 "$dir/bad-dst.err"); "
[ ! -s "$dir/bad-dst.out" ] || why+="the destination ran a guest; "
report "a corrupted migration stream: the destination stops with one line, nothing runs"

head -c $((size / 2)) "$dir/moved.snap" >"$dir/half.snap"
start half-dst --incoming "unix:$dir/half.sock"
wait_for "$dir/half-dst.err" "waiting for the migration stream" || why+="the destination did not listen; "
feed "$dir/half.snap" "$dir/half.sock"
reap half-dst; d=$st_half_dst
[ "$d" = 2 ] || why+="the destination exited $d, wanted 2; "
grep -q "truncated: the stream ends in" "$dir/half-dst.err" || why+="no 'truncated' line; "
[ ! -s "$dir/half-dst.out" ] || why+="the destination ran a guest; "
report "a migration stream cut short: the destination stops with one line, nothing runs"
