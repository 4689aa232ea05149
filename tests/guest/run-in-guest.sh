#!/bin/sh
# run-in-guest.sh [GROUP ...]: run the guest test suite inside the guest
# (the default initramfs carries it as /tests/<libc>/<group>), one
# "ok <group>.<test>" or "FAIL ..." line per test prefixed with the libc,
# then one summary line; exits 1 if anything failed.
# Usage in trapvisor:  --append "rdinit=/bin/sh -- /tests/run-in-guest.sh"
cd /tests || exit 1
groups=${*:-"files dirs pipes proc signals mem misc more tty jobctl proc-pie"}
pass=0 fail=0 bad=""
for l in musl glibc; do
	for g in $groups; do
		out=/tmp/gt-$l-$g.out
		"/tests/$l/$g" > "$out" 2>&1
		rc=$?
		p=$(grep -c '^ok ' "$out")
		f=$(grep -c '^FAIL ' "$out")
		sed "s|^|$l: |" "$out"
		pass=$((pass + p))
		fail=$((fail + f))
		if [ $rc -ne 0 ] || [ "$f" -ne 0 ] || [ "$p" -eq 0 ]; then
			bad="$bad $l/$g(exit $rc)"
		fi
	done
done
echo "guest-tests: $pass passed, $fail failed"
[ -z "$bad" ] || { echo "guest-tests: failed:$bad"; exit 1; }
