#!/usr/bin/env bash
# ext2 on the disk (guest-kernel/fs/ext2/): sequential write (with fsync)
# and read of 64 MiB, creating 1000 files of 1 KiB (with sync), and a walk
# of them (readdir + lstat), by the guest program fsbench
# (guest-kernel/musl/fsbench.c) on a fresh ext2 image through the emulated
# ATA disk (nopv) and the paravirtual disk, and by the same program built
# natively on the host's own file system (under build/bench), measured
# side by side in one run (interleaved rounds; medians).  Each guest
# boots with root=/dev/sda run=fsbench; the times are the program's own
# (CLOCK_MONOTONIC), not the boot's.  Writes build/bench/ext2.csv (every
# round) and build/bench/ext2-summary.txt.
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
export PATH="$PATH:/sbin:/usr/sbin"
csv=$out/ext2.csv
img=$out/ext2.img
musl-gcc -O2 -static -o "$out/fsbench-native" guest-kernel/musl/fsbench.c
echo "way,round,write_ms,read_ms,create_ms,find_ms" >"$csv"

row() { # WAY ROUND CONSOLE
	sed -n "s/^fsbench: write_ms \([0-9.]*\) read_ms \([0-9.]*\) create_ms \([0-9.]*\) find_ms \([0-9.]*\) entries 1011.*/$1,$2,\1,\2,\3,\4/p" "$3"
}

for round in $(seq 1 "$ROUNDS"); do
	for way in ata pv; do
		extra=; [ $way = ata ] && extra=nopv
		rm -f "$img"
		mke2fs -q -F -t ext2 -b 4096 "$img" 256M >/dev/null
		"$B/trapvisor" --disk "$img" --append "root=/dev/sda run=fsbench $extra" \
			</dev/null >"$out/fsbench.txt" 2>"$out/fsbench.err" || {
			echo "fsbench failed ($way)"; cat "$out/fsbench.txt" "$out/fsbench.err"; exit 1; }
		row $way "$round" "$out/fsbench.txt" >>"$csv"
	done
	rm -rf "$out/fsbench-dir"
	"$out/fsbench-native" "$out/fsbench-dir" >"$out/fsbench.txt"
	row native "$round" "$out/fsbench.txt" >>"$csv"
	rm -rf "$out/fsbench-dir"
done
rm -f "$img"

med() { # WAY COLUMN
	grep "^$1," "$csv" | cut -d, -f"$2" | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'
}
{
	echo "ext2 on the disk, median of $ROUNDS rounds (make bench): guest through emulated ATA,"
	echo "guest through the paravirtual disk, and the host's own file system (page cache)"
	printf "%-28s %10s %10s %10s %8s %9s\n" "operation" "ATA ms" "PV ms" "native ms" "ATA/PV" "PV/native"
	col=3
	for what in "write 64 MiB + fsync" "read 64 MiB" "create 1000 files + sync" "find over 1011 entries"; do
		a=$(med ata $col) p=$(med pv $col) n=$(med native $col)
		printf "%-28s %10s %10s %10s %8s %9s\n" "$what" "$a" "$p" "$n" \
			"$(awk -v a="$a" -v p="$p" 'BEGIN { printf "%.1fx", a / p }')" \
			"$(awk -v p="$p" -v n="$n" 'BEGIN { if (n > 0) printf "%.0fx", p / n; else print "-" }')"
		col=$((col + 1))
	done
} | tee "$out/ext2-summary.txt"
