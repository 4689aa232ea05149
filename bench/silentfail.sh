#!/usr/bin/env bash
# What the silent-fail instructions and their fixes cost, per operation,
# measured side by side in one run (interleaved rounds; medians): the guest
# kernel's sfbench (guest-kernel/demo/silentfail.c) under --patch=off (the
# instructions run natively: cheap, and wrong) and --patch=on (each one
# trapped and emulated), with the paravirtual replacements in the same
# boots. Writes build/bench/silentfail.csv (every round) and
# build/bench/silentfail-summary.csv (medians).
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
csv=$out/silentfail.csv
echo "patch,round,phase,what,n,us_per_op,hidden_faults_per_op,pt_writes_per_op,ctx_switches_per_op,stops_per_op" >"$csv"

phase_name() { # sfbench's order
	case $1 in
	1) echo "irq save/restore: pushf; cli; popf" ;;
	2) echo "irq save/restore: paravirtual (vif)" ;;
	3) echo "sgdt" ;;
	4) echo "gdtr from the paravirtual shared page" ;;
	5) echo "cpuid (leaf 0)" ;;
	6) echo "HC_CPUID hypercall (leaf 0)" ;;
	*) echo "phase $1" ;;
	esac
}

run() { # patch round
	local log=$out/sfmarks-$1.csv
	"$B/trapvisor" --patch="$1" --bench-log "$log" --append sfbench \
		</dev/null >"$out/sfbench.txt" 2>"$out/sfbench.err" || {
		echo "sfbench failed (--patch=$1)"; cat "$out/sfbench.txt" "$out/sfbench.err"; exit 1; }
	phase_rows "$1" "$2" "$log" "$out/sfbench.txt" >>"$csv"
}

for round in $(seq 1 "$ROUNDS"); do
	run off "$round"
	run on "$round"
done

summary=$out/silentfail-summary.csv
echo "phase,what,patch,median_us_per_op,stops_per_op" >"$summary"
for k in $(cut -d, -f3 "$csv" | tail -n +2 | sort -un); do
	for p in off on; do
		median_row "$csv" "$p" "$k" | awk -F, -v k="$k" -v p="$p" -v what="$(phase_name "$k")" \
			'{ printf "%d,%s,%s,%s,%s\n", k, what, p, $6, $10 }' >>"$summary"
	done
done
echo "silent-fail instructions and their fixes, cost per operation, median of $ROUNDS rounds (make bench):"
echo "(--patch=off: pushf, popf, sgdt and cpuid run without the monitor and give wrong answers:"
echo " sgdt is the host kernel's UMIP emulation, cpuid an exit to the host's own hypervisor;"
echo " cli still traps. The paravirtual rows do not depend on --patch.)"
column -s, -t "$summary" | tee "$out/silentfail-summary.txt"
