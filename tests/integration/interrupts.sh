# Interrupts and time: preemption by the PIT, sleeping, an idle guest that
# costs no host CPU, processes.
. "$(dirname "$0")/lib.sh"

boot --append "run=proctests"
expect_status 0
expect_out 'proctests: ok'
report "fork, execve, wait4 and kill between guest processes"

boot --append "run=busy2"
expect_status 0
n=$(grep -cE '^busy2 [0-9]+: [1-9][0-9]* loops' "$OUT")
[ "$n" = 2 ] || why+="$n of 2 busy processes made progress; "
report "two busy-looping processes both make progress (PIT preemption)"

# A guest sleep of 1 s, in host time (boot included, a few tens of ms
# unloaded): never less than 0.9 s (a clock running fast), and not several
# times more (one running slow; the bound grows with the time limits, as a
# loaded host makes the boot itself take seconds).
t0=$(date +%s%N)
boot_unchecked --append "run=sleep1"
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
most=$(( 1000 + 2000 * TIMEOUT_SCALE ))
expect_status 0
expect_out 'sleep1: slept'
[ "$ms" -ge 900 ] && [ "$ms" -le "$most" ] || why+="a 1 s guest sleep took ${ms} ms of host time; "
report "a guest sleep of 1 s takes 0.9-$((most / 1000)) s of host time (${ms} ms)"

# An idle guest: CPU time of the monitor and its context processes over 2 s
# of a 3 s guest sleep, from /proc.
cpu_ticks() { # pid -> utime+stime of it and its children, in clock ticks
	local total=0 p
	for p in "$1" $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		set -- $(sed 's/.*) //' /proc/"$p"/stat 2>/dev/null) 
		[ $# -gt 13 ] && total=$((total + ${12} + ${13}))
	done
	echo "$total"
}
"$TRAPVISOR" --append "run=idle3" </dev/null >"$OUT" 2>"$ERR" &
pid=$!
sleep 0.5
c0=$(cpu_ticks $pid)
sleep 2
c1=$(cpu_ticks $pid)
wait $pid
STATUS=$?
hz=$(getconf CLK_TCK)
pct=$(( (c1 - c0) * 100 / (2 * hz) ))
expect_status 0
expect_out 'idle3: slept'
[ "$pct" -lt 20 ] || why+="an idle guest used ${pct}% of a CPU; "
report "an idle guest uses under 20% of one host CPU (${pct}%)"

boot --stats --append "run=sleep1"
expect_status 0
expect_err 'interrupt 0x20'
expect_err 'PIT ticks'
report "--stats counts delivered timer interrupts"
