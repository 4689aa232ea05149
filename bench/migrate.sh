#!/usr/bin/env bash
# Issue 15: what saving, restoring and moving a running VM cost.
#  1. Snapshots: a 256 MiB and a 1 GiB guest, a quarter of whose RAM memdirty
#     keeps rewriting, saved over QMP (savevm) and restored (--loadvm):
#     time and size, ROUNDS times each -> build/bench/snapshot.csv.
#  2. The live move against the guest's dirty rate: memdirty rewriting
#     MIB MiB with no pause (0: an idle guest), moved over a unix socket
#     with the default 50 ms downtime target: rounds, pages sent, total
#     time and downtime -> build/bench/migrate.csv, with the dirty rate the
#     source measured during round 1 (pages logged per second).
# The medians go to build/bench/migrate-summary.txt, and a plot of
# downtime and total time against the dirty rate to migrate.png when
# gnuplot is installed (gnuplot-nox; the script installs it as root).
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
ROUNDS=${ROUNDS:-3}
QMP=tests/qmp.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

wait_for() { # FILE TEXT
	for _ in $(seq 1 6000); do grep -qF -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	echo "bench/migrate.sh: '$2' never appeared in $1" >&2
	tail -5 "$1" >&2
	exit 1
}

# ---- 1. Snapshots ----
snap_csv=$out/snapshot.csv
echo "ram_mib,round,dirty_mib,save_ms,size_mib,restore_ms" >"$snap_csv"
for round in $(seq 1 "$ROUNDS"); do
	for mem in 256 1024; do
		half=$((mem / 4))
		"$B/trapvisor" -m "${mem}M" --qmp "unix:$tmp/q" --append "init=memdirty -- $half 1000000 50" \
			</dev/null >"$tmp/save.out" 2>"$tmp/save.err" &
		pid=$!
		"$QMP" "$tmp/q" --when "$tmp/save.out" "memdirty: pass 1 ok" stop \
			savevm "{\"file\": \"$tmp/vm.snap\"}" quit >/dev/null
		wait $pid
		line=$(grep 'snapshot saved to' "$tmp/save.err")
		save_ms=$(echo "$line" | sed 's/.* in \([0-9.]*\) ms.*/\1/')
		size=$(echo "$line" | sed 's/.*(\([0-9.]*\) MiB.*/\1/')
		"$B/trapvisor" -m "${mem}M" --qmp "unix:$tmp/q" --loadvm "$tmp/vm.snap" \
			</dev/null >"$tmp/load.out" 2>"$tmp/load.err" &
		pid=$!
		"$QMP" "$tmp/q" quit >/dev/null
		wait $pid
		restore_ms=$(sed -n 's/.*restored .* in \([0-9.]*\) ms.*/\1/p' "$tmp/load.err")
		echo "$mem,$round,$half,$save_ms,$size,$restore_ms" >>"$snap_csv"
	done
done

# ---- 2. The live move against the dirty rate ----
mig_csv=$out/migrate.csv
echo "dirty_mib,round,dirty_pages_per_s,rounds,pages,total_ms,downtime_ms" >"$mig_csv"
for round in $(seq 1 "$ROUNDS"); do
	for mib in 0 4 16 32 64; do
		work="init=memdirty -- $mib 1000000 0"
		[ "$mib" = 0 ] && work="init=count -- 1000000 100"
		"$B/trapvisor" --qmp "unix:$tmp/dq" --incoming "unix:$tmp/m.sock" \
			</dev/null >"$tmp/dst.out" 2>"$tmp/dst.err" &
		dpid=$!
		wait_for "$tmp/dst.err" "waiting for the migration stream"
		"$B/trapvisor" --qmp "unix:$tmp/sq" --append "$work" </dev/null >"$tmp/src.out" 2>"$tmp/src.err" &
		spid=$!
		ready="memdirty: pass 1 ok"
		[ "$mib" = 0 ] && ready="count 5 "
		"$QMP" "$tmp/sq" --when "$tmp/src.out" "$ready" migrate "{\"uri\": \"unix:$tmp/m.sock\"}" >/dev/null
		wait $spid
		"$QMP" "$tmp/dq" quit >/dev/null
		wait $dpid || true
		done_line=$(grep 'migrate: done:' "$tmp/src.err") || {
			echo "bench/migrate.sh: the move failed ($mib MiB)" >&2; cat "$tmp/src.err" >&2; exit 1; }
		rate=$(sed -n 's/.*round 1: .*(\([0-9]*\) pages\/s).*/\1/p' "$tmp/src.err")
		echo "$done_line" | sed 's/.*done: \([0-9]*\) rounds, \([0-9]*\) pages sent.*total \([0-9.]*\) ms, downtime \([0-9.]*\) ms/\1 \2 \3 \4/' |
			{ read -r r p t d; echo "$mib,$round,${rate:-0},$r,$p,$t,$d"; } >>"$mig_csv"
	done
done

# ---- Medians, summary, plot ----
med() { sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
{
	echo "snapshots (median of $ROUNDS; memdirty holds a quarter of the RAM; zero pages skipped):"
	for mem in 256 1024; do
		f() { awk -F, -v m="$mem" -v c="$1" 'NR > 1 && $1 == m { print $c }' "$snap_csv" | med; }
		printf "  %4d MiB guest: save %s ms, %s MiB, restore %s ms\n" "$mem" "$(f 4)" "$(f 5)" "$(f 6)"
	done
	echo "live move over a unix socket, downtime target 50 ms (median of $ROUNDS):"
	echo "  dirtied MiB  dirty pages/s  rounds  pages sent  total ms  downtime ms"
	for mib in 0 4 16 32 64; do
		f() { awk -F, -v m="$mib" -v c="$1" 'NR > 1 && $1 == m { print $c }' "$mig_csv" | med; }
		printf "  %11d  %13s  %6s  %10s  %8s  %11s\n" "$mib" "$(f 3)" "$(f 4)" "$(f 5)" "$(f 6)" "$(f 7)"
	done
} | tee "$out/migrate-summary.txt"

if ! command -v gnuplot >/dev/null && [ "$(id -u)" = 0 ]; then
	sh tools/apt-install.sh gnuplot-nox >/dev/null 2>&1 || true
fi
if command -v gnuplot >/dev/null; then
	gnuplot <<GP
set terminal pngcairo size 900,560 noenhanced
set output "$out/migrate.png"
set datafile separator ","
set title "trapvisor live move: downtime and total time against the guest's dirty rate"
set xlabel "pages dirtied per second during round 1 (shadow dirty log)"
set ylabel "ms"
set logscale y
set key top left
plot "$mig_csv" every ::1 using 3:7 with points pt 7 title "downtime (target 50 ms)", \
     "$mig_csv" every ::1 using 3:6 with points pt 5 title "total time"
GP
	echo "plot: $out/migrate.png"
else
	echo "no gnuplot (apt-get install gnuplot-nox): numbers only, in $mig_csv"
fi
echo "raw numbers: $snap_csv $mig_csv"
