#!/usr/bin/env bash
# What the disk costs, per operation: emulated ATA (the guest with nopv)
# against the paravirtual disk (HC_BLK_IO, the default) against the same
# reads done natively on the image file (page cache), measured side by
# side in one run (interleaved rounds; medians).  The guest program diskbench
# (guest-kernel/musl/diskbench.c) marks its phases on port 0x510.  Writes
# build/bench/disk.csv (every round) and build/bench/disk-summary.txt.
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
csv=$out/disk.csv
img=$out/disk.img
gcc -O2 -o "$out/native_disk" bench/native_disk.c
dd if=/dev/zero of="$img" bs=1M count=2 status=none
echo "way,round,phase,what,n,us_per_op,hidden_faults_per_op,pt_writes_per_op,ctx_switches_per_op,stops_per_op" >"$csv"

for round in $(seq 1 "$ROUNDS"); do
	for way in ata pv; do
		extra=; [ $way = ata ] && extra=nopv
		"$B/trapvisor" --disk "$img" --bench-log "$out/diskmarks.csv" \
			--append "run=diskbench $extra" \
			</dev/null >"$out/diskbench.txt" 2>"$out/diskbench.err" || {
			echo "diskbench failed ($way)"; cat "$out/diskbench.txt" "$out/diskbench.err"; exit 1; }
		phase_rows $way "$round" "$out/diskmarks.csv" "$out/diskbench.txt" >>"$csv"
	done
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
field() { median_row "$csv" "$1" "$2" | cut -d, -f"$3"; }
{
	echo "the disk through /dev/sda, median of $ROUNDS rounds (make bench): emulated ATA"
	echo "(PIO, polling) vs paravirtual (one HC_BLK_IO per request) vs native pread"
	printf "%-20s %11s %6s %11s %6s %10s %9s %9s\n" "operation" "ATA us" "stops" \
		"PV us" "stops" "native us" "ATA/PV" "PV/nat"
	for k in 1 2 3 4 5; do
		au=$(field ata "$k" 6) as=$(field ata "$k" 10)
		pu=$(field pv "$k" 6) ps=$(field pv "$k" 10) nu=$(field native "$k" 6)
		printf "%-20s %11s %6s %11s %6s %10s %9s %9s\n" "$(name "$k")" "$au" "$as" "$pu" "$ps" \
			"${nu:--}" "$(awk -v a="$au" -v p="$pu" 'BEGIN { printf "%.1fx", a / p }')" \
			"$(awk -v p="$pu" -v n="${nu:-0}" 'BEGIN { if (n > 0) printf "%.0fx", p / n; else print "-" }')"
	done
} | tee "$out/disk-summary.txt"
