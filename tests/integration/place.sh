# CPU placement (monitor/place.c): a VM keeps its monitor and context
# processes on one CPU, the least loaded at start, moves when that CPU
# stays contended, and --cpu N / --no-pin override it.
. "$(dirname "$0")/lib.sh"
hogs=()
vm=
trap 'kill "${hogs[@]}" $vm 2>/dev/null; rm -f "$OUT" "$ERR" "$OUT.in"' EXIT
ncpu=$(nproc)
allowed=$(taskset -pc $$ | sed 's/.*: //')

# hog CPU N: six busy loops on CPU N, until unhog: enough that the CPU
# stays the busiest even on a host loaded by others (a run with eight
# soak VMs beside it chose the hogged CPU when three loops were used).
hog() { for _ in 1 2 3 4 5 6; do taskset -c "$1" sh -c 'while :; do :; done' & hogs+=($!); done; }
unhog() { kill "${hogs[@]}" 2>/dev/null; wait "${hogs[@]}" 2>/dev/null; hogs=(); }
# cpus_of PID: the affinity lists of the monitor's threads and its
# children, one distinct list a line.
cpus_of() {
	{ for t in /proc/"$1"/task/*; do sed -n 's/^Cpus_allowed_list:\t//p' "$t/status"; done
	  for c in $(pgrep -P "$1"); do sed -n 's/^Cpus_allowed_list:\t//p' "/proc/$c/status"; done
	} 2>/dev/null | sort -u
}
# spin_vm SECONDS ARGS...: boot a guest that spins for SECONDS in the
# background; $vm is the monitor's pid.
spin_vm() {
	local s=$1; shift
	printf 'spin %s\n' "$s" >"$OUT.in"
	"$TRAPVISOR" --stats "$@" --append init=sh <"$OUT.in" >"$OUT" 2>"$ERR" &
	vm=$!
	sleep 1
}

last=$(taskset -pc $$ | sed 's/.*[,-]//')
spin_vm 3 --cpu "$last"
got=$(cpus_of "$vm")
wait "$vm"; STATUS=$?
expect_status 0
expect_out "spin "
expect_err "placement: pinned to CPU $last"
[ "$got" = "$last" ] || why+="monitor threads and contexts allowed on '$got', wanted '$last'; "
report "--cpu $last: the monitor's threads and every context process run on CPU $last"

boot --cpu 1023
expect_status 2
expect_err "--cpu 1023: not a CPU this process may run on ($allowed)"
expect_err_lines 1
report "--cpu of a CPU this process may not use: one line naming the allowed ones, exit 2"

boot --no-pin --stats --append run=hello
expect_status 0
expect_err "placement: not pinned (--no-pin)"
report "--no-pin leaves placement to Linux"

first=$(taskset -pc $$ | sed 's/.*: //; s/[,-].*//')
STATUS=0
taskset -c "$first" "$TRAPVISOR" --stats --append run=hello </dev/null >"$OUT" 2>"$ERR" || STATUS=$?
expect_status 0
expect_err "placement: pinned to CPU $first"
report "with one CPU allowed the VM is pinned there"

if [ "$ncpu" -ge 2 ] && [ "$first" != "$last" ]; then
	# At start: the least-loaded CPU, not the busy one.
	hog "$first"; sleep 0.5
	boot --stats --append run=hello
	unhog
	expect_status 0
	grep -q "placement: started on CPU $first " "$ERR" && why+="started on the CPU six busy loops hold; "
	expect_err "placement: started on CPU "
	report "at start the VM takes a CPU other than the one six busy loops hold"

	# While running: six busy loops join the VM's CPU; it moves away.
	spin_vm 20
	on=$(cpus_of "$vm")
	hog "$on"
	for _ in $(seq 1 20); do
		[ "$(cpus_of "$vm")" != "$on" ] && break
		sleep 1
	done
	moved_to=$(cpus_of "$vm")
	unhog
	wait "$vm"; STATUS=$?
	expect_status 0
	[ "$moved_to" != "$on" ] && [ -n "$moved_to" ] ||
		why+="still on CPU $on after 20 s beside six busy loops; "
	grep -qE "placement: started on CPU $on \(least loaded\), on CPU [0-9]+ at exit; [1-9][0-9]* moves" "$ERR" ||
		why+="--stats shows no move; "
	report "a VM whose CPU stays contended moves, with all its tasks, to a free one ($on -> $moved_to)"
fi
