# Crash consistency of ext2 on the disk (guest-kernel/fs/ext2/): a guest
# program writes and fsyncs files in a loop, saying "fsynced N" after each
# fsync returned (guest-kernel/musl/fsyncloop.c); the monitor is killed
# with SIGKILL at a random moment.  Then the image must say "not clean",
# e2fsck -fy must leave it clean, and every file reported fsync'ed must be
# there with its full content.  EXT2_CRASH_ROUNDS=N runs N kill points
# (default 3, at random moments between 0.2 and 3 s after the first fsync).
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$OUT" "$ERR" "$tmp"' EXIT
export PATH="$PATH:/sbin:/usr/sbin"
command -v e2fsck >/dev/null || { echo "FAIL ext2-crash: e2fsck not found (apt-get install e2fsprogs)"; exit 1; }
rounds=${EXT2_CRASH_ROUNDS:-3}

for round in $(seq 1 "$rounds"); do
	for way in pv ata; do
		[ $((round % 2)) = 1 ] && [ $way = ata ] && continue   # alternate the paths
		[ $((round % 2)) = 0 ] && [ $way = pv ] && continue
		extra=; [ $way = ata ] && extra=nopv
		rm -f "$tmp/c.img"            # a new file: the killed monitor's lock dies with it
		mke2fs -q -F -t ext2 -b 4096 "$tmp/c.img" 128M >/dev/null
		"$TRAPVISOR" $CHECK --disk "$tmp/c.img" --append "root=/dev/sda run=fsyncloop $extra" \
			</dev/null >"$OUT" 2>"$ERR" &
		pid=$!
		# Wait for the first completed fsync, then a random while more.
		for _ in $(seq 1 $(($(limit 120) * 10))); do
			grep -q '^fsynced' "$OUT" && break
			kill -0 $pid 2>/dev/null || break
			sleep 0.1
		done
		delay_ms=$((200 + RANDOM % 2800))
		sleep "$((delay_ms / 1000)).$(printf '%03d' $((delay_ms % 1000)))"
		kill -KILL $pid 2>/dev/null
		wait $pid 2>/dev/null
		# Whole lines only: the kill may cut the last one ("fsynced ").
		n=$(grep -cE '^fsynced [0-9]+$' "$OUT")
		[ "$n" -gt 0 ] || why+="no fsync completed before the kill ($(tail -2 "$OUT" | tr '\n' ' ')); "
		state=$(dumpe2fs -h "$tmp/c.img" 2>/dev/null | sed -n 's/^Filesystem state: *//p')
		[ "$state" = "not clean" ] || why+="the superblock says '$state' after the crash, not 'not clean'; "
		e2fsck -fy "$tmp/c.img" >"$tmp/fsck-y" 2>&1
		rc=$?
		[ $rc -lt 4 ] || why+="e2fsck -fy failed ($rc): $(tail -3 "$tmp/fsck-y" | tr '\n' ' '); "
		e2fsck -fn "$tmp/c.img" >"$tmp/fsck-n" 2>&1 || why+="not clean after e2fsck -fy: $(grep -v '^Pass' "$tmp/fsck-n" | head -3 | tr '\n' ' '); "
		rm -rf "$tmp/crash"
		debugfs -R "rdump /crash $tmp" "$tmp/c.img" >/dev/null 2>&1
		python3 - "$OUT" "$tmp/crash" <<'PY' || why+="$(cat "$tmp/crash.why"); "
import os, sys
# Whole lines only: the kill may have cut the last one short.
done = [int(l.split()[1]) for l in open(sys.argv[1], errors='replace')
        if l.endswith('\n') and len(l.split()) == 2 and l.split()[0] == 'fsynced' and l.split()[1].isdigit()]
bad = []
for n in done:
    size = (n * 7919) % 150000 + 1
    want = bytes((n * 31 + i * 7 + (i >> 9)) & 0xff for i in range(size))
    p = os.path.join(sys.argv[2], 'f%d' % n)
    got = open(p, 'rb').read() if os.path.exists(p) else None
    if got != want:
        bad.append('f%d %s' % (n, 'missing' if got is None else '%d of %d bytes, differing' % (len(got), size)))
open(sys.argv[2] + '.why', 'w').write('%d of %d fsynced files are not complete: %s' % (len(bad), len(done), bad[:3]))
sys.exit(1 if bad else 0)
PY
		report "$way: SIGKILL $delay_ms ms into an fsync loop ($n files fsynced): marked not clean, e2fsck -fy leaves it clean, every fsynced file complete"
	done
done
