# Helpers for integration tests: boot a guest, then assert on what it did.
# Each case prints "ok NAME" or "FAIL NAME: why" (tests/run.sh counts them).
TRAPVISOR=${TRAPVISOR:-build/trapvisor}
KERNEL=${KERNEL:-build/guest-kernel.elf}
OUT=$(mktemp) ERR=$(mktemp)
trap 'rm -f "$OUT" "$ERR"' EXIT
STATUS=0

# Every boot runs with the shadow checker on (every stop compares every
# shadow mapping with the guest tables); timing tests use boot_unchecked.
CHECK=${CHECK:---shadow-check}

# What this host's CPU and kernel do with the instructions some expectations
# depend on (tests/hostfacts.c, probed independently of the monitor):
# vendor, hypervisor, cpuid_faulting, rdtsc_traps, umip.
HOSTFACTS=${HOSTFACTS:-build/hostfacts}
facts=$("$HOSTFACTS") || { echo "FAIL $HOSTFACTS did not run (make tests builds it)"; exit 1; }
eval "$facts"

# Time limits are there to end a hang, not to measure: generous, and
# multiplied by TIMEOUT_SCALE, which tests/run.sh sets from a timed
# reference boot (a loaded or slow host gets more time) and a user may set.
TIMEOUT_SCALE=${TIMEOUT_SCALE:-1}
limit() { echo $(($1 * TIMEOUT_SCALE)); }

# pty SECONDS ARGS...: trapvisor ARGS on a host pseudo-terminal, driven by
# the build/ptyrun script in $script (SECONDS x TIMEOUT_SCALE at most); the
# transcript goes to $OUT, the status to STATUS.
PTYRUN=${PTYRUN:-build/ptyrun}
pty() {
	local secs; secs=$(limit "$1"); shift
	timeout "$((secs + 30))" "$PTYRUN" "$secs" "$script" -- "$TRAPVISOR" "$@" >"$OUT" 2>&1
	STATUS=$?
}

# wait_for FILE TEXT: until TEXT is in FILE (120 s x TIMEOUT_SCALE at most),
# for a guest or monitor running in the background; status 1 if it never is.
wait_for() {
	local n=$(($(limit 120) * 10))
	until grep -qF -- "$2" "$1" 2>/dev/null; do
		n=$((n - 1))
		[ $n -gt 0 ] || return 1
		sleep 0.1
	done
}

# boot ARGS... : run trapvisor (300 s x TIMEOUT_SCALE at most) with stdin
# closed; sets STATUS, $OUT (guest console) and $ERR (monitor messages).
boot() {
	timeout "$(limit 300)" "$TRAPVISOR" $CHECK "$@" </dev/null >"$OUT" 2>"$ERR"
	STATUS=$?
}
boot_unchecked() {
	timeout "$(limit 300)" "$TRAPVISOR" "$@" </dev/null >"$OUT" 2>"$ERR"
	STATUS=$?
}

# check NAME CONDITION-DESCRIPTION: report a case from the checks run since
# the last report (expect_* append to $why).
why=""
expect_status() { [ "$STATUS" = "$1" ] || why+="exit status $STATUS, wanted $1; "; }
expect_out()    { grep -qF -- "$1" "$OUT" || why+="console lacks '$1'; "; }
expect_no_out() { ! grep -qF -- "$1" "$OUT" || why+="console has '$1'; "; }
expect_err()    { grep -qF -- "$1" "$ERR" || why+="stderr lacks '$1'; "; }
expect_no_err() { ! grep -qF -- "$1" "$ERR" || why+="stderr has '$1'; "; }
expect_err_lines() {
	local n; n=$(wc -l <"$ERR")
	[ "$n" = "$1" ] || why+="stderr has $n lines, wanted $1; "
}
# err_number 'text before' ['text after']: the number between them in the
# monitor's messages (--stats), empty if absent.
err_number() { sed -n "s/.*$1\([0-9][0-9]*\)${2:-}.*/\1/p" "$ERR" | head -1; }
report() {
	if [ -z "$why" ]; then
		echo "ok $1"
	else
		echo "FAIL $1: $why"
		sed 's/^/    console: /' "$OUT" | tail -15
		sed 's/^/    stderr:  /' "$ERR" | tail -25
	fi
	why=""
}
