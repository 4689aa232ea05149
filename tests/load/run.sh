#!/usr/bin/env bash
# Many VMs on one host: N guests at once, each with checked results, must
# all finish, finish in fair time, and keep their monitors' memory flat.
#
#   tests/load/run.sh [VMS [SECONDS]]
#     VMS      guests at once (default: 2 x the CPUs this process may use)
#     SECONDS  0 (default, the short form CI runs): every guest runs the disk
#              test on its own image, then two rounds of ptstress; more: each
#              guest keeps running ptstress rounds until SECONDS have passed
#              (make soak: 8 guests for 600 s)
#
# Short form: one guest alone first, then VMS at once; the slowest of them
# must finish within 2 x (alone x VMS / CPUs), what fair sharing of the CPUs
# would give, doubled.  Both forms: every guest exits 0 with every result
# right (disktest's write is in its image file, each ptstress round ok),
# and each monitor's resident memory, sampled every second, stays flat:
# the same work again must not need more, so its largest sample after the
# first round is at most 10% + 8 MiB above its largest during it.  (The
# slack: samples come once a second, and a first round of under three
# seconds can end before the shadow's bookkeeping has grown to the 64
# contexts' working set, which prefetch makes larger: 16.1 -> 22.1 MiB
# seen once, 19.4 -> 21.9 usually; a leak grows with every round, which
# make soak's ten minutes show.)
# Numbers go to $B/load/.
# Each check prints "ok NAME" or "FAIL NAME: why"; the last line is
# "N passed, N failed".  VM_ARGS adds monitor options to every guest
# (bench/place.sh compares placements with it).
set -u
cd "$(dirname "$0")/../.."
B=${B:-build}
TRAPVISOR=${TRAPVISOR:-$B/trapvisor}
KERNEL=${KERNEL:-build/guest-kernel.elf}
cpus=$(nproc)
VMS=${1:-$((2 * cpus))}
SECONDS_WANTED=${2:-0}
out=$B/load
rm -rf "$out" && mkdir -p "$out"
# A sanitizer build keeps freed memory in a quarantine of up to 256 MiB,
# which reads as growth: without it the samples show the monitor's own
# memory, and LeakSanitizer still checks for leaks at exit (status 23).
if grep -q __asan_init "$TRAPVISOR" 2>/dev/null; then
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0
fi
work=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
passed=0 failed=0
check() { # NAME WHY: ok when WHY is empty
	if [ -z "$2" ]; then echo "ok $1"; passed=$((passed + 1))
	else echo "FAIL $1: $2"; failed=$((failed + 1)); fi
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# vm_start I: boot guest I in the background, its console fed from a FIFO
# (fd 10+I) so that the long form can keep giving it work.
vm_start() {
	local i=$1
	truncate -s 1M "$work/disk$i.img"
	printf 'image of guest %d\n' "$i" | dd of="$work/disk$i.img" conv=notrunc status=none
	mkfifo "$work/in$i"
	"$TRAPVISOR" --stats ${VM_ARGS:-} --disk "$work/disk$i.img" --append init=sh "$KERNEL" \
		<"$work/in$i" >"$work/out$i" 2>"$work/err$i" &
	pids[i]=$!
	eval "exec $((10 + i))>\"$work/in$i\""
	echo "$(now_ms)" >"$work/start$i"
}
vm_say() { echo "$2" >&$((10 + $1)); }
vm_end() { eval "exec $((10 + $1))>&-"; }   # end of input: the shell exits 0
rounds_done() { grep -c 'ptstress: ok,' "$work/out$1" 2>/dev/null; }

# run_vms FIRST LAST: guests FIRST..LAST at once; waits for all, sampling
# each monitor's VmRSS every second into $work/rss$I.
run_vms() {
	local first=$1 last=$2 i deadline=0 fed done_now rss
	for i in $(seq "$first" "$last"); do
		vm_start "$i"
		vm_say "$i" disktest
		vm_say "$i" "ptstress 1"
		echo 1 >"$work/fed$i"
	done
	[ "$SECONDS_WANTED" -gt 0 ] && deadline=$(($(date +%s) + SECONDS_WANTED))
	local running=1
	while [ $running = 1 ]; do
		running=0
		for i in $(seq "$first" "$last"); do
			[ -e "$work/end$i" ] && continue
			if ! kill -0 "${pids[i]}" 2>/dev/null; then
				wait "${pids[i]}"; echo $? >"$work/status$i"
				now_ms >"$work/end$i"
				continue
			fi
			running=1
			done_now=$(rounds_done "$i")
			rss=$(awk '/^VmRSS/ {print $2}' "/proc/${pids[i]}/status" 2>/dev/null)
			[ -n "$rss" ] && echo "$done_now $rss" >>"$work/rss$i"
			fed=$(cat "$work/fed$i")
			if [ "$fed" != done ] && [ "$done_now" -ge "$fed" ]; then
				if { [ "$deadline" -gt 0 ] && [ "$(date +%s)" -lt "$deadline" ]; } ||
				   { [ "$deadline" = 0 ] && [ "$fed" -lt 2 ]; }; then
					vm_say "$i" "ptstress 1"; echo $((fed + 1)) >"$work/fed$i"
				else
					vm_end "$i"; echo done >"$work/fed$i"
				fi
			fi
		done
		sleep 1
	done
}

# check_vm I: its results, and its numbers into $out/vms.csv.
check_vm() {
	local i=$1 why="" st rounds ms rss_first rss_after
	st=$(cat "$work/status$i")
	rounds=$(rounds_done "$i")
	ms=$(($(cat "$work/end$i") - $(cat "$work/start$i")))
	[ "$st" = 0 ] || why+="exit status $st; "
	grep -q '^disktest: ok' "$work/out$i" || why+="disktest not ok; "
	[ "${rounds:-0}" -ge 2 ] || why+="$rounds ptstress rounds ok, wanted 2 or more; "
	! grep -q 'FAIL\|MISMATCH' "$work/out$i" || why+="a FAIL in the guest; "
	[ "$(dd if="$work/disk$i.img" bs=1 skip=3000 count=45 status=none)" = \
		"written by disktest, across a sector boundary" ] || why+="the image lacks disktest's write; "
	grep -q 'placement:' "$work/err$i" || why+="no placement line in --stats; "
	# Resident memory: the largest sample during the first round (and the
	# disk test before it) against the largest after it.
	rss_first=$(awk '$1 == 0 {print $2}' "$work/rss$i" | sort -n | tail -1)
	rss_after=$(awk '$1 >= 1 {print $2}' "$work/rss$i" | sort -n | tail -1)
	if [ -n "$rss_first" ] && [ -n "$rss_after" ]; then
		[ "$rss_after" -le $((rss_first + rss_first / 10 + 8192)) ] ||
			why+="RSS grew from ${rss_first} KiB in the first round to ${rss_after} KiB after it; "
	else
		why+="too few memory samples; "
	fi
	echo "$i,$ms,$st,$rounds,$rss_first,$rss_after,\"$(sed -n 's/^placement: //p' "$work/err$i")\"" >>"$out/vms.csv"
	if [ -n "$why" ]; then
		sed 's/^/    console: /' "$work/out$i" | tail -8
		# The monitor's own messages first (a diagnostic, a host
		# failure), then the end of its statistics.
		grep '^trapvisor:' "$work/err$i" | sed 's/^/    stderr:  /'
		sed 's/^/    stderr:  /' "$work/err$i" | grep -v '^    stderr:  *$' | tail -6
	fi
	check "guest $i of $2: results right, memory flat ($rounds rounds, $ms ms, RSS ${rss_first:-?} -> ${rss_after:-?} KiB)" "$why"
}

echo "vm,ms,status,rounds,rss_first_round_kib,rss_after_kib,placement" >"$out/vms.csv"
alone=0
if [ "$SECONDS_WANTED" = 0 ]; then
	run_vms 0 0
	alone=$(($(cat "$work/end0") - $(cat "$work/start0")))
	check_vm 0 "1 (alone)"
fi
t0=$(now_ms)
run_vms 1 "$VMS"
wall=$(($(now_ms) - t0))
for i in $(seq 1 "$VMS"); do check_vm "$i" "$VMS"; done

slowest=$(tail -n "$VMS" "$out/vms.csv" | cut -d, -f2 | sort -n | tail -1)
{
	echo "VMs at once: $VMS on $cpus CPUs; form: $([ "$SECONDS_WANTED" = 0 ] && echo short || echo "${SECONDS_WANTED} s")"
	[ "$alone" -gt 0 ] && echo "one VM alone: $alone ms"
	echo "slowest of $VMS: $slowest ms; all done in $wall ms"
	[ "$alone" -gt 0 ] && echo "fair share (alone x VMs / CPUs): $((alone * VMS / cpus)) ms; slowest / fair share: $(awk "BEGIN{printf \"%.2f\", $slowest / ($alone * $VMS / $cpus)}")"
	echo "final CPUs: $(tail -n "$VMS" "$out/vms.csv" | sed -n 's/.*on CPU \([0-9]*\) at exit.*/\1/p' | sort | uniq -c | awk '{printf "CPU %s: %s VMs; ", $2, $1}')"
} | tee "$out/summary.txt"
if [ "$alone" -gt 0 ]; then
	bound=$((2 * alone * VMS / cpus))
	check "$VMS VMs on $cpus CPUs: the slowest ($slowest ms) within 2 x fair share ($bound ms)" \
		"$([ "$slowest" -le "$bound" ] || echo "slowest $slowest ms > $bound ms")"
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
