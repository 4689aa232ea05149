#!/usr/bin/env bash
# make bench: the cost of a guest system call under trapvisor, pinned to one
# CPU and not, with --chain=off, with --trace, beside the same loop run natively, measured
# side by side in one run (interleaved rounds; medians), written to
# build/bench/syscall.csv.
set -eu
cd "$(dirname "$0")/.."
B=${B:-build}
ROUNDS=${ROUNDS:-7}
CALLS=20000
out=build/bench
mkdir -p "$out"
gcc -O2 -o "$out/native_syscall" bench/native_syscall.c
csv=$out/syscall.csv
echo "config,round,wall_us,stops,us_per_guest_syscall" >"$csv"

run_guest() { # config flags...
	local cfg=$1; shift
	local t0 t1 stops
	t0=$(date +%s%N)
	"$B/trapvisor" --stats "$@" --append "run=sysbench ${EXTRA:-}" </dev/null >"$out/console.txt" 2>"$out/stats.txt"
	t1=$(date +%s%N)
	grep -q 'sysbench: 20000 syscalls done' "$out/console.txt" || { echo "sysbench failed ($cfg)"; cat "$out/console.txt" "$out/stats.txt"; exit 1; }
	stops=$(sed -n 's/.* \([0-9]*\) stops in all.*/\1/p' "$out/stats.txt")
	local us=$(( (t1 - t0) / 1000 ))
	echo "$cfg,$round,$us,$stops,$(awk -v u="$us" -v n=$CALLS 'BEGIN{printf "%.2f", u/n}')" >>"$csv"
}

for round in $(seq 1 "$ROUNDS"); do
	run_guest pinned
	run_guest unchained --chain=off
	EXTRA=nopv run_guest nopv
	EXTRA=nogate run_guest nogate
	run_guest unpinned --no-pin
	run_guest traced --trace "$out/trace.json"
	us=$("$out/native_syscall")
	echo "native,$round,$us,0,$(awk -v u="$us" -v n=$CALLS 'BEGIN{printf "%.3f", u/n}')" >>"$csv"
done
cp "$out/stats.txt" "$out/stats-last-unpinned.txt"

median() { # config -> median us per syscall
	grep "^$1," "$csv" | cut -d, -f5 | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'
}
p=$(median pinned) c=$(median unchained) v=$(median nopv) u=$(median unpinned) n=$(median native)
g=$(median nogate)
t=$(median traced)
{
	echo "guest system call cost, median of $ROUNDS rounds ($CALLS calls each, whole boot included)"
	echo "  trapvisor pinned     $p us"
	echo "  pinned, --chain=off  $c us"
	echo "  pinned, guest nopv   $v us   (no paravirtual FPU: XSAVE moved at every kernel entry/exit)"
	echo "  pinned, guest nogate $g us   (the ways out of the kernel trap as #GP, not through the gate)"
	echo "  trapvisor --no-pin   $u us"
	echo "  pinned, --trace FILE $t us   (the timeline recorded; without --trace it costs a pointer test per hook)"
	echo "  native host syscall  $n us"
	awk -v p="$p" -v c="$c" -v v="$v" -v u="$u" -v n="$n" 'BEGIN{printf "  unchained/pinned %.2fx, nopv/pinned %.2fx, unpinned/pinned %.2fx, pinned/native %.0fx\n", c/p, v/p, u/p, p/n}'
} | tee "$out/summary.txt"
echo "raw numbers: $csv"

# Shadow paging: per-operation costs with and without prefetch.
B=$B ROUNDS=$ROUNDS bench/shadow.sh

# What the host itself charges for each kind of trap (no monitor involved).
gcc -O2 -o "$out/native_traps" bench/native_traps.c
{
	echo "host cost of a trap delivered as a signal to the trapping process, median of 5 x 20000:"
	"$out/native_traps"
} | tee "$out/native-traps.txt"

# The silent-fail instructions: trapped, patched, paravirtual.
B=$B ROUNDS=$ROUNDS bench/silentfail.sh

# The emulated ATA disk against the same reads on the host.
B=$B ROUNDS=$ROUNDS bench/disk.sh

# ext2 on the disk: 64 MiB written and read, 1000 files made and walked,
# through ATA and paravirtual, against the host's own file system.
B=$B ROUNDS=$ROUNDS bench/ext2.sh

# Many VMs on one host: what CPU placement buys.
B=$B bench/place.sh

# Issue 10: boot time to init of the busybox initramfs, and fork+exec+wait
# of /bin/true in the guest against the same natively.
B=$B ROUNDS=$ROUNDS bench/boot.sh

# Issue 15: snapshot and restore time and size (256 MiB and 1 GiB guests),
# and the live move's downtime and total time against the dirty rate.
B=$B bench/migrate.sh

# Issue 13: the same static micro-benchmarks natively, in User Mode Linux
# pinned, in QEMU TCG and in trapvisor, interleaved (PEERS_ROUNDS, default
# 3; PEERS=0 leaves it out; make bench-peers runs it alone).
[ "${PEERS:-1}" = 0 ] || B=$B bench/peers.sh
