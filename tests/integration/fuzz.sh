# Random instructions in guest kernel mode (guest-kernel/demo/fuzz.c): whatever
# the guest kernel does, the monitor must end in order -- the guest's own
# status, or the VM stopped with a diagnostic -- never crash, loop, hang or
# meet a host event it does not understand.
. "$(dirname "$0")/lib.sh"

boot --append "fuzz=1:0"
expect_status 0
for i in 1 2 3 4 5 6 7 8 9 10 11; do
	grep -q "^fuzz: regression $i (.*: ok\$" "$OUT" || why+="regression $i not ok; "
done
expect_no_out 'WRONG'
report "fuzz regressions: a data fault near RIP, the host's #SS, VMX #UD, LMSW, MOV DRn, the watchdog after a trial masked the PIC or stopped the PIT, the NMI watchdog on a spin and a HLT with IF=0"

# Seed 111: trial 404 masks IRQ 0 at the PIC (out 0x21, al), trial 512
# halts with interrupts on: with no tick to count, the watchdog never cut
# it and the run hung.  600 trials take about 2 s here with the checker.
boot --append "fuzz=111:600"
expect_status 0
expect_out 'fuzz: 600 trials done'
report "fuzz seed 111: a halt after an earlier trial masked the timer is cut"

# Seed 128: trial 971 (cli; nop; cwde; jmp back) spins with interrupts off,
# which no tick can cut: the run never ended until the NMI watchdog
# (HC_NMI_WATCHDOG) cut it.  1000 trials take about 5 s here with the
# checker; the limit only ends a hang, with SIGINT, as below.
timeout --preserve-status -s INT -k 10 "$(limit 60)" "$TRAPVISOR" $CHECK --stats \
	--append "fuzz=128:1000" </dev/null >"$OUT" 2>"$ERR"
STATUS=$?
expect_status 0
expect_out 'fuzz: 1000 trials done'
grep -q 'by the NMI watchdog [1-9]' "$OUT" || why+="no trial cut by the NMI watchdog; "
expect_err 'stops in all'
grep -Eq '^ +nmi +[1-9]' "$ERR" || why+="--stats counts no NMI; "
report "fuzz seed 128: a loop with interrupts off is cut by the NMI watchdog"

# Seeds 1..12, 300 trials each.  The guest may end any way it likes (even
# through the exit port); the monitor must print its statistics at the end
# (an orderly exit) and none of what would be its own failure.
runs=0 deep=0
for seed in $(seq 1 12); do
	timeout --preserve-status -s INT -k 10 60 "$TRAPVISOR" $CHECK --stats --append "fuzz=$seed:300" \
		</dev/null >"$OUT" 2>"$ERR"
	STATUS=$?
	runs=$((runs + 1))
	grep -q 'fuzz: 300 trials done' "$OUT" && deep=$((deep + 1))
	# Any status may be the guest's (random code writes the exit ports;
	# 130 is our SIGINT after a hang: a spin with interrupts off, before
	# the NMI watchdog, or with nopv); a monitor that crashed or hung
	# would not have printed its statistics.
	grep -q 'stops in all' "$ERR" || why+="seed $seed: status $STATUS, no orderly exit (no statistics); "
	for bad in 'unexpected host signal' 'no progress' 'shadow check failed' 'AddressSanitizer' \
		'runtime error' 'LeakSanitizer' 'trapvisor: host failure'; do
		! grep -q "$bad" "$ERR" || why+="seed $seed: '$bad'; "
	done
	# A stop the guest caused is status 3 (a host failure says so above).
	! grep -q 'VM stopped:' "$ERR" || [ "$STATUS" = 3 ] ||
		why+="seed $seed: VM stopped with status $STATUS; "
	[ -z "$why" ] || { why+="(rerun: $TRAPVISOR --append fuzz=$seed:300); "; break; }
done
echo "    $runs fuzz runs, $deep of them all 300 trials (the others stopped with a diagnostic)"
report "fuzz: 12 seeds of random kernel-mode instructions end in order"
