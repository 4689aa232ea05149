#!/usr/bin/env bash
# What CPU placement (monitor/place.c) buys when VMs share the host: six
# guests at once on this machine (tests/load/run.sh's short form: the disk
# test and two ptstress rounds each, after one guest alone), with the
# default placement, with every VM on CPU 0 (what pinning to the CPU a
# monitor starts on gave when they all started there), and with --no-pin.
# Written to build/bench/place.txt: per placement, the slowest guest and
# its ratio to a fair share of the CPUs (alone x VMs / CPUs).
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
out=build/bench
mkdir -p "$out"
VMS=${VMS:-6}
{
	echo "placement of $VMS VMs on $(nproc) CPUs (tests/load/run.sh $VMS; slowest guest vs fair share)"
	for cfg in "default:" "all-on-cpu0:--cpu 0" "no-pin:--no-pin"; do
		name=${cfg%%:*} args=${cfg#*:}
		VM_ARGS=$args B=$B tests/load/run.sh "$VMS" >"$out/place-$name.log" 2>&1
		printf '  %-12s %s; %s\n' "$name" \
			"$(sed -n 's/^slowest of [0-9]*: \([0-9]* ms\).*/slowest \1/p' "$B/load/summary.txt")" \
			"$(sed -n 's/.*slowest \/ fair share: /slowest \/ fair share /p' "$B/load/summary.txt")"
	done
} | tee "$out/place.txt"
