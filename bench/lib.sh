# Helpers shared by the benchmark scripts (sourced from the repository
# root): B (build directory) and ROUNDS from the environment, out (where
# the numbers go).
B=${B:-build}
ROUNDS=${ROUNDS:-5}
out=build/bench
mkdir -p "$out"
#
# A guest benchmark brackets each phase k with marks 2k and 2k+1 on port
# 0x510 and prints "phase K: N ops"; trapvisor --bench-log LOG writes the
# monitor's clock and counters at each mark (mark,ns,stops,hidden_faults,
# guest_faults,pt_writes,pt_entries_changed,ctx_switches,...).

# phase_rows CFG ROUND LOG CONSOLE: one CSV row per phase,
#   cfg,round,k,,n,us_per_op,hidden_faults_per_op,pt_writes_per_op,
#   ctx_switches_per_op,stops_per_op
phase_rows() {
	awk -F, -v cfg="$1" -v round="$2" -v txt="$4" '
		BEGIN { while ((getline l < txt) > 0)
			if (match(l, /phase [0-9]+: [0-9]+ ops/)) {
				split(substr(l, RSTART, RLENGTH), w, /[ :]+/); n[w[2]] = w[3] } }
		NR > 1 { ns[$1] = $2; stops[$1] = $3; hf[$1] = $4; pw[$1] = $6; sw[$1] = $8 }
		END { for (k = 1; k <= 99; k++) { a = 2*k; b = a + 1
			if (!(a in ns) || !(b in ns) || !n[k]) continue
			printf "%s,%s,%d,,%d,%.4f,%.3f,%.3f,%.3f,%.3f\n", cfg, round, k, n[k],
				(ns[b]-ns[a])/1000/n[k], (hf[b]-hf[a])/n[k], (pw[b]-pw[a])/n[k],
				(sw[b]-sw[a])/n[k], (stops[b]-stops[a])/n[k] } }' "$3"
}

# median_row CSV CFG K: the row of that configuration and phase with the
# median us_per_op (field 6).
median_row() {
	grep "^$2,[0-9]*,$3," "$1" | sort -t, -k6 -g |
		awk '{ r[NR] = $0 } END { if (NR) print r[int((NR+1)/2)] }'
}
