#!/usr/bin/env bash
# Runs every test and ends with one line "N passed, N failed".
#  - unit tests: each build/tests/test_* cmocka binary; its cases are counted.
#  - integration tests: tests/integration/*.sh boot real guests; each case
#    prints "ok NAME" or "FAIL NAME: why".
# Environment: B = build directory of the monitor (build or build-san);
# BACKEND = ptrace or signal: every guest the integration tests boot runs
# with --backend=$BACKEND (docs/ARCHITECTURE.md, "The signal backend";
# unset: the monitor's default).
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
export TRAPVISOR=${TRAPVISOR:-$B/trapvisor}
export KERNEL=${KERNEL:-build/guest-kernel.elf}
passed=0 failed=0
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
if [ -n "${BACKEND:-}" ]; then
	case $BACKEND in ptrace | signal) ;; *) echo "tests/run.sh: BACKEND=$BACKEND: not ptrace or signal"; exit 2 ;; esac
	printf '#!/bin/sh\nexec "%s" --backend=%s "$@"\n' "$(realpath "$TRAPVISOR")" "$BACKEND" >"$log/trapvisor"
	chmod +x "$log/trapvisor"
	export TRAPVISOR=$log/trapvisor
	echo "     every guest with --backend=$BACKEND"
fi

for t in "$B"/tests/test_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	timeout 120 "$t" >"$log/$name" 2>&1
	rc=$?
	# A binary may run several cmocka groups: add up their closing lines.
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log/$name" | awk '{s+=$1} END{print s+0}')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log/$name" | awk '{s+=$1} END{print s+0}')
	if [ $rc -ne 0 ] && [ "$f" = 0 ]; then f=1; fi   # crashed or timed out
	passed=$((passed + p)) failed=$((failed + f))
	if [ "$f" != 0 ]; then
		echo "FAIL unit $name (exit $rc):"; sed 's/^/    /' "$log/$name" | grep -v '^    \[       OK \]' | tail -40
	else
		echo "ok   unit $name ($p cases)"
	fi
done

# The integration tests' time limits (tests/integration/lib.sh) scale with
# this machine, unless TIMEOUT_SCALE is set: x1 for each started 2 s that a
# checked boot of the hello program takes here (about 0.3 s unloaded).
if [ -z "${TIMEOUT_SCALE:-}" ]; then
	t0=$(date +%s%N)
	timeout 600 "$TRAPVISOR" --shadow-check --append run=hello "$KERNEL" </dev/null >/dev/null 2>&1
	ms=$((($(date +%s%N) - t0) / 1000000))
	export TIMEOUT_SCALE=$((ms / 2000 + 1))
	echo "     reference boot $ms ms: integration time limits x$TIMEOUT_SCALE"
fi

for s in tests/integration/*.sh; do
	case $(basename "$s") in lib*.sh) continue ;; esac
	t0=$(date +%s)
	bash "$s" >"$log/int" 2>&1
	cat "$log/int"
	echo "     $(basename "$s"): $(($(date +%s) - t0)) s"
	passed=$((passed + $(grep -c '^ok ' "$log/int")))
	failed=$((failed + $(grep -c '^FAIL ' "$log/int")))
	if ! grep -q '^ok \|^FAIL ' "$log/int"; then
		echo "FAIL $s ran no case"; failed=$((failed + 1))
	fi
done

echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
