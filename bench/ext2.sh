#!/usr/bin/env bash
# ext2 on the disk (guest-kernel/fs/ext2/): sequential write (with fsync)
# and read of 64 MiB, creating 1000 files of 1 KiB (with sync), and a walk
# of them (readdir + lstat), by the guest program fsbench
# (guest-kernel/musl/fsbench.c) on a fresh ext2 image through the emulated
# ATA disk (nopv) and the paravirtual disk, and by the same program built
# natively on the host's own file system (under build/bench), measured
# side by side in one run (interleaved rounds; medians).  Each guest
# boots with root=/dev/sda run=fsbench; a phase's time is the monitor's
# clock between the program's marks (--bench-log: the guest's own clock
# ticks in 10 ms), the native one the program's CLOCK_MONOTONIC.  Writes
# build/bench/ext2.csv (every round: way,round,phase,ms) and
# build/bench/ext2-summary.txt.
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
export PATH="$PATH:/sbin:/usr/sbin"
csv=$out/ext2.csv
img=$out/ext2.img
musl-gcc -O2 -static -o "$out/fsbench-native" guest-kernel/musl/fsbench.c
echo "way,round,phase,ms" >"$csv"

for round in $(seq 1 "$ROUNDS"); do
	for way in ata pv; do
		extra=; [ $way = ata ] && extra=nopv
		rm -f "$img"
		mke2fs -q -F -t ext2 -b 4096 "$img" 256M >/dev/null
		"$B/trapvisor" --disk "$img" --bench-log "$out/ext2marks.csv" \
			--append "root=/dev/sda run=fsbench $extra" \
			</dev/null >"$out/fsbench.txt" 2>"$out/fsbench.err" &&
			grep -q 'entries 1011' "$out/fsbench.txt" || {
			echo "fsbench failed ($way)"; cat "$out/fsbench.txt" "$out/fsbench.err"; exit 1; }
		phase_rows $way "$round" "$out/ext2marks.csv" "$out/fsbench.txt" |
			awk -F, '{ printf "%s,%s,%s,%.1f\n", $1, $2, $3, $6 / 1000 }' >>"$csv"
	done
	rm -rf "$out/fsbench-dir"
	"$out/fsbench-native" "$out/fsbench-dir" >"$out/fsbench.txt"
	sed -n "s/^fsbench: write_ms \([0-9.]*\) read_ms \([0-9.]*\) create_ms \([0-9.]*\) find_ms \([0-9.]*\) .*/\1 \2 \3 \4/p" \
		"$out/fsbench.txt" | awk -v r="$round" '{ for (k = 1; k <= 4; k++) printf "native,%s,%d,%s\n", r, k, $k }' >>"$csv"
	rm -rf "$out/fsbench-dir"
done
rm -f "$img"

med() { # WAY PHASE
	grep "^$1,[0-9]*,$2," "$csv" | cut -d, -f4 | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'
}
{
	echo "ext2 on the disk, median of $ROUNDS rounds (make bench): guest through emulated ATA,"
	echo "guest through the paravirtual disk, and the host's own file system (page cache)"
	printf "%-28s %10s %10s %10s %8s %9s\n" "operation" "ATA ms" "PV ms" "native ms" "ATA/PV" "PV/native"
	k=1
	for what in "write 64 MiB + fsync" "read 64 MiB" "create 1000 files + sync" "find over 1011 entries"; do
		a=$(med ata $k) p=$(med pv $k) n=$(med native $k)
		printf "%-28s %10s %10s %10s %8s %9s\n" "$what" "$a" "$p" "$n" \
			"$(awk -v a="$a" -v p="$p" 'BEGIN { printf "%.1fx", a / p }')" \
			"$(awk -v p="$p" -v n="$n" 'BEGIN { if (n > 0) printf "%.0fx", p / n; else print "-" }')"
		k=$((k + 1))
	done
} | tee "$out/ext2-summary.txt"
