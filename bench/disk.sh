#!/usr/bin/env bash
# What the emulated ATA disk costs, per operation, beside the same reads
# done natively on the image file (page cache), measured side by side in
# one run (interleaved rounds; medians).  The guest program diskbench
# (guest-kernel/musl/diskbench.c) marks its phases on port 0x510.  Writes
# build/bench/disk.csv (every round) and build/bench/disk-summary.txt.
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
csv=$out/disk.csv
img=$out/disk.img
gcc -O2 -o "$out/native_disk" bench/native_disk.c
dd if=/dev/zero of="$img" bs=1M count=2 status=none
echo "where,round,phase,what,n,us_per_op,hidden_faults_per_op,pt_writes_per_op,ctx_switches_per_op,stops_per_op" >"$csv"

for round in $(seq 1 "$ROUNDS"); do
	"$B/trapvisor" --disk "$img" --bench-log "$out/diskmarks.csv" --append run=diskbench \
		</dev/null >"$out/diskbench.txt" 2>"$out/diskbench.err" || {
		echo "diskbench failed"; cat "$out/diskbench.txt" "$out/diskbench.err"; exit 1; }
	phase_rows guest "$round" "$out/diskmarks.csv" "$out/diskbench.txt" >>"$csv"
	"$out/native_disk" "$img" | while read -r k us; do
		echo "native,$round,$k,,0,$us,,,,0" >>"$csv"
	done
done

name() {
	case $1 in
	1) echo "pread 512 B" ;; 2) echo "pread 4 KiB" ;; 3) echo "pread 64 KiB" ;;
	4) echo "pwrite 4 KiB" ;; 5) echo "fsync (FLUSH CACHE)" ;; *) echo "phase $1" ;;
	esac
}
{
	echo "ATA disk through /dev/sda, median of $ROUNDS rounds (make bench):"
	printf "%-22s %12s %10s %12s %8s\n" "operation" "guest us" "stops" "native us" "ratio"
	for k in 1 2 3 4 5; do
		g=$(median_row "$csv" guest "$k")
		n=$(median_row "$csv" native "$k")
		gu=$(echo "$g" | cut -d, -f6) st=$(echo "$g" | cut -d, -f10)
		nu=$(echo "$n" | cut -d, -f6)
		printf "%-22s %12s %10s %12s %8s\n" "$(name "$k")" "$gu" "$st" "${nu:--}" \
			"$(awk -v g="$gu" -v n="${nu:-0}" 'BEGIN { if (n > 0) printf "%.0fx", g / n; else print "-" }')"
	done
} | tee "$out/disk-summary.txt"
