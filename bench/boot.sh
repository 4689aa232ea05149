#!/usr/bin/env bash
# Issue 10: boot time to the first user process of the busybox initramfs,
# and fork + exec + wait of /bin/true in the guest against the same
# natively, side by side in one run (interleaved rounds; medians).
#
# Boot: bench/timed_run starts trapvisor on the default initramfs
# (build/initramfs.cpio.gz, whose /init execs busybox's sh on the trivial
# script /bench/guest.sh) and takes CLOCK_MONOTONIC at the start, at the
# first byte of the console (the guest kernel's banner) and at the exit;
# the guest kernel writes mark 1 (BENCH_MARK_INIT) to port 0x510 as it
# starts init, which --bench-log stamps with the same clock and the
# monitor's counters.  Also with --shadow-prefetch 16 (the default before
# 511): the boot is mostly hidden page faults.
#
# fork+exec+wait: bench/forkexec.c, static with musl and with glibc, in the
# initramfs as /bench/forkexec-{musl,glibc}: FORKEXEC_N rounds in the
# guest, timed by the host's clock at its marks 2 and 3 (phase_rows), and
# FORKEXEC_NATIVE_N on the host; both exec the same busybox-static binary
# by an applet link named "true".
#
# Writes build/bench/boot.csv, build/bench/forkexec.csv (every round) and
# build/bench/boot-summary.txt.
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
FORKEXEC_N=${FORKEXEC_N:-20}
FORKEXEC_NATIVE_N=${FORKEXEC_NATIVE_N:-200}
INITRAMFS=build/initramfs.cpio.gz
KERNEL=build/guest-kernel.elf
gcc -O2 -Wall -o "$out/timed_run" bench/timed_run.c
for l in musl glibc; do
	[ -x "$out/forkexec-$l" ] || { echo "boot.sh: $out/forkexec-$l missing (make builds it)"; exit 1; }
done
# Natively, the busybox the initramfs carries, through a link named true.
bb=build/initramfs-root/bin/busybox
mkdir -p "$out/applets"
ln -sf "$(realpath "$bb")" "$out/applets/true"
"$out/applets/true" || { echo "boot.sh: $out/applets/true fails natively"; exit 1; }

bcsv=$out/boot.csv
fcsv=$out/forkexec.csv
echo "config,round,first_byte_ms,init_ms,exit_ms,stops_to_init,hidden_faults_to_init,stops,hidden_faults" >"$bcsv"
echo "way,round,phase,what,n,us_per_op,hidden_faults_per_op,pt_writes_per_op,ctx_switches_per_op,stops_per_op,guest_clock_us_per_op" >"$fcsv"

# tv ARGS...: trapvisor on the initramfs, timed; sets t (t0 first t1 status).
tv() {
	t=$("$out/timed_run" "$out/boot-console.txt" "$B/trapvisor" --stats --bench-log "$out/boot-marks.csv" \
		--initrd "$INITRAMFS" "$@" "$KERNEL" </dev/null 2>"$out/boot-stats.txt")
	set -- $t
	[ "$4" = 0 ] || { echo "boot.sh: trapvisor exited $4"; cat "$out/boot-console.txt" "$out/boot-stats.txt"; exit 1; }
}

boot() { # config flags...
	local cfg=$1; shift
	tv "$@" --append "-- /bench/guest.sh"
	grep -q '^guest.sh: done' "$out/boot-console.txt" || { echo "boot.sh: the script did not run ($cfg)"; cat "$out/boot-console.txt"; exit 1; }
	awk -F, -v cfg="$cfg" -v round="$round" -v t="$t" -v stats="$out/boot-stats.txt" '
		BEGIN { split(t, T, " ")
			while ((getline l < stats) > 0) {
				if (match(l, /[0-9]+ stops in all/)) stops = substr(l, RSTART, RLENGTH) + 0
				if (l ~ /^  hidden page fault /) { split(l, w, / +/); hf = w[5] } } }
		NR > 1 && $1 == 1 { ns = $2; st = $3; h = $4 }
		END { if (!ns) { print "boot.sh: no init mark (" cfg ")" > "/dev/stderr"; exit 1 }
			printf "%s,%s,%.1f,%.1f,%.1f,%d,%d,%d,%d\n", cfg, round, (T[2]-T[1])/1e6,
				(ns-T[1])/1e6, (T[3]-T[1])/1e6, st, h, stops, hf }' "$out/boot-marks.csv" >>"$bcsv"
}

forkexec() { # libc
	tv --append "-- /bench/guest.sh /bench/forkexec-$1 -m $FORKEXEC_N /bin/true"
	local own row
	own=$(sed -n 's/^forkexec: .* \([0-9.]*\) us each.*/\1/p' "$out/boot-console.txt")
	row=$(phase_rows "$1" "$round" "$out/boot-marks.csv" "$out/boot-console.txt")
	[ -n "$own" ] && [ -n "$row" ] || { echo "boot.sh: forkexec-$1 failed in the guest"; cat "$out/boot-console.txt"; exit 1; }
	echo "$row,$own" >>"$fcsv"
	own=$("$out/forkexec-$1" "$FORKEXEC_NATIVE_N" "$out/applets/true" |
		sed -n 's/^forkexec: .* \([0-9.]*\) us each.*/\1/p')
	[ -n "$own" ] || { echo "boot.sh: forkexec-$1 failed natively"; exit 1; }
	echo "native-$1,$round,1,,$FORKEXEC_NATIVE_N,$own,,,,0,$own" >>"$fcsv"
}

for round in $(seq 1 "$ROUNDS"); do
	boot default
	boot prefetch16 --shadow-prefetch 16
	forkexec musl
	forkexec glibc
done

# med CSV CFG FIELD: the median of one column over the rounds of CFG.
med() {
	grep "^$2," "$1" | cut -d, -f"$3" | sort -g | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR+1)/2)] }'
}
peer() { # name command what
	if command -v "$2" >/dev/null 2>&1; then
		echo "  $1: its boot is not measured here; bench/peers.sh runs fork+exec+wait and the rest in it (build/bench/peers.md)"
	else
		echo "  $1: not measured, not available on this machine ($2 not installed: $3)"
	fi
}
{
	echo "boot of the busybox initramfs ($INITRAMFS: /init, then busybox sh on the script"
	echo "/bench/guest.sh), from starting trapvisor; median of $ROUNDS rounds, per column"
	printf "  %-10s %11s %12s %10s   %-21s %s\n" config "first byte" "init starts" "exit" \
		"to init: stops (hf)" "in all: stops (hf)"
	for cfg in default prefetch16; do
		printf "  %-10s %8s ms %9s ms %7s ms   %-21s %s\n" "$cfg" "$(med "$bcsv" $cfg 3)" \
			"$(med "$bcsv" $cfg 4)" "$(med "$bcsv" $cfg 5)" \
			"$(med "$bcsv" $cfg 6) ($(med "$bcsv" $cfg 7))" "$(med "$bcsv" $cfg 8) ($(med "$bcsv" $cfg 9))"
	done
	echo "  first byte: the guest kernel's banner on the console; init starts: the kernel's"
	echo "  mark as init (pid 1) is about to run; exit: trapvisor has exited; hf: hidden page"
	echo "  faults; prefetch16: with --shadow-prefetch 16 (the default is 511)"
	echo
	echo "fork + exec + wait of /bin/true (busybox-static), median of $ROUNDS rounds:"
	echo "guest: $FORKEXEC_N iterations timed by the host clock at the program's marks; native: $FORKEXEC_NATIVE_N"
	printf "  %-6s %11s %7s %14s %11s %11s %13s\n" libc "guest us" stops "hidden faults" \
		"native us" guest/native "guest's clock"
	for l in musl glibc; do
		g=$(median_row "$fcsv" $l 1) n=$(median_row "$fcsv" native-$l 1)
		gu=$(echo "$g" | cut -d, -f6) nu=$(echo "$n" | cut -d, -f6)
		printf "  %-6s %11.0f %7.0f %14.0f %11.1f %11s %10.0f us\n" $l "$gu" "$(echo "$g" | cut -d, -f10)" \
			"$(echo "$g" | cut -d, -f7)" "$nu" "$(awk -v g="$gu" -v n="$nu" 'BEGIN { printf "%.0fx", g / n }')" \
			"$(echo "$g" | cut -d, -f11)"
	done
	echo "  guest's clock: what the program itself measured, by the guest's CLOCK_MONOTONIC"
	echo
	echo "peers, the same boot and fork+exec+wait:"
	peer "QEMU TCG" qemu-system-x86_64 "Debian's qemu-system-x86"
	peer "UML" linux "Debian's user-mode-linux"
} | tee "$out/boot-summary.txt"
echo "raw numbers: $bcsv $fcsv"
