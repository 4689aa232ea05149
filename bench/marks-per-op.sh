#!/usr/bin/env bash
# bench/marks-per-op.sh CONSOLE MARKS: per operation, what each timed round
# of bench/micro.c -m cost the monitor, from the console's "micro-phase: K
# NAME OPS" lines and --bench-log's marks 2K and 2K+1 (the counters are
# cumulative; a round's cost is the difference).  One line per round:
#   NAME OPS us/op stops/op batches/op folded/op hidden/op guest_faults/op pt_writes/op
# (a folded batch ran with the resume, no stop of its own: host hand-offs
# are stops + batches - folded).  Columns are found by name in the marks'
# header, so a marks file without one prints "-" there.
set -eu
console=$1 marks=$2
awk -F, -v OFS=' ' '
	NR == FNR {
		if ($0 ~ /^micro-phase: /) { split($0, w, " "); name[w[2]] = w[3]; ops[w[2]] = w[4] }
		next
	}
	FNR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
	{ for (i = 1; i <= NF; i++) v[$1, i] = $i; seen[$1] = 1 }
	function d(k, c) { return c in col ? sprintf("%.2f", (v[2*k+1, col[c]] - v[2*k, col[c]]) / ops[k]) : "-" }
	END {
		print "round name ops us/op stops/op batches/op folded/op hidden/op guest_faults/op pt_writes/op"
		for (k = 1; (2*k+1) in seen; k++)
			if (k in name)
				print k, name[k], ops[k], sprintf("%.1f", (v[2*k+1, 2] - v[2*k, 2]) / 1000 / ops[k]),
				      d(k, "stops"), d(k, "batches"), d(k, "folded"), d(k, "hidden_faults"),
				      d(k, "guest_faults"), d(k, "pt_writes")
	}' FS=' ' "$console" FS=, "$marks"
