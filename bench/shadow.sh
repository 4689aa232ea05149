#!/usr/bin/env bash
# The cost of shadow paging, per operation, with and without prefetch (0,
# 16, and 511, the default), and with the guest's page-table stores each
# trapped instead of batched ("511-nopvmmu": the kernel's nopvmmu), measured side by side
# in one run (interleaved rounds; medians).
# The guest program shbench brackets each phase k with marks 2k and 2k+1
# on port 0x510; --bench-log gives the monitor's time and counters at each
# mark, so a phase costs ns[2k+1] - ns[2k] for the N operations shbench
# reports. Writes build/bench/shadow.csv (every round) and
# build/bench/shadow-summary.csv (medians).
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
csv=$out/shadow.csv
echo "prefetch,round,phase,what,n,us_per_op,hidden_faults_per_op,pt_writes_per_op,ctx_switches_per_op,stops_per_op" >"$csv"

# phase number -> name (shbench's order)
phase_name() {
	case $1 in
	1) echo "hidden fault (touch a fresh page)" ;;
	2) echo "page-table write (mmap+touch+munmap a page)" ;;
	3) echo "CR3 switch to a cached context (yield ping-pong)" ;;
	4) echo "CR3 switch to a new context (fork+exit+wait)" ;;
	5) echo "fork of a 256-page address space" ;;
	6) echo "fork of a 1024-page address space" ;;
	91) echo "monitor time handling one hidden fault (--stats)" ;;
	92) echo "monitor time handling one emulated page-table write (--stats)" ;;
	*) echo "phase $1" ;;
	esac
}

run() { # config round (config: the prefetch, then "-" and a kernel option, if any)
	local pf=${1%%-*} round=$2 log=$out/marks-$1.csv opt=
	[ "$pf" = "$1" ] || opt=${1#*-}
	"$B/trapvisor" --stats --shadow-prefetch "$pf" --bench-log "$log" --append "run=shbench $opt" \
		</dev/null >"$out/shbench.txt" 2>"$out/shbench.err" || {
		echo "shbench failed ($1)"; cat "$out/shbench.txt" "$out/shbench.err"; exit 1; }
	pf=$1
	phase_rows "$pf" "$round" "$log" "$out/shbench.txt" >>"$csv"
	# The monitor's own handling time (no ptrace round trip) from --stats.
	for row in "91:hidden page fault" "92:page-table write"; do
		awk -v id="${row%%:*}" -v name="${row#*:}" -v pf="$pf" -v round="$round" '
			index($0, "  " name " ") == 1 { n = $(NF-2); us = $NF
				printf "%s,%s,%s,,%d,%.3f,,,,\n", pf, round, id, n, us }' "$out/shbench.err" >>"$csv"
	done
}

for round in $(seq 1 "$ROUNDS"); do
	run 0 "$round"
	run 16 "$round"
	run 511 "$round"
	run 511-nopvmmu "$round"
done

summary=$out/shadow-summary.csv
echo "phase,what,prefetch,median_us_per_op,hidden_faults_per_op,pt_writes_per_op,stops_per_op" >"$summary"
for k in $(cut -d, -f3 "$csv" | tail -n +2 | sort -un); do
	for pf in 0 16 511 511-nopvmmu; do
		median_row "$csv" "$pf" "$k" | awk -F, -v k="$k" -v pf="$pf" -v what="$(phase_name "$k")" \
			'{ printf "%d,%s,%s,%s,%s,%s,%s\n", k, what, pf, $6, $7, $8, $10 }' >>"$summary"
	done
done
echo "shadow paging cost per operation, median of $ROUNDS rounds (make bench):"
column -s, -t "$summary" | tee "$out/shadow-summary.txt"
