#!/bin/sh
# tests/guest/busybox-compare.sh - the busybox session's expected output.
#
#   busybox-compare.sh EXPECTED-OUT            write the host's output there
#   busybox-compare.sh EXPECTED-OUT ACTUAL     diff ACTUAL (e.g. the guest's
#                                              output) against it
#
# The session (busybox-session.sh) runs as `busybox sh` with PATH holding
# nothing but symlinks to busybox's applets, as in the guest, so that every
# command in it is busybox's own. It is run twice: the two outputs must be
# the same, or the session is not deterministic and EXPECTED-OUT is not
# written. BUSYBOX names the binary (default: busybox on PATH, Debian's
# busybox-static).
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 EXPECTED-OUT [ACTUAL-OUT]" >&2
	exit 2
fi
out=$1
here=$(cd "$(dirname "$0")" && pwd)
session=$here/busybox-session.sh

if [ $# -eq 2 ]; then
	if diff -u "$out" "$2"; then
		echo "busybox session: the same as expected ($(wc -l < "$out") lines)"
		exit 0
	fi
	echo "busybox session: differs from $out" >&2
	exit 1
fi

bb=${BUSYBOX:-$(command -v busybox || true)}
if [ -z "$bb" ] || [ ! -x "$bb" ]; then
	echo "busybox-compare.sh: no busybox (apt-get install busybox-static)" >&2
	exit 1
fi
case $bb in /*) ;; *) bb=$(cd "$(dirname "$bb")" && pwd)/$(basename "$bb") ;; esac

tmp=$(mktemp -d /tmp/busybox-compare.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/bin"
for applet in $("$bb" --list); do
	ln -s "$bb" "$tmp/bin/$applet"
done

# From / with an empty environment but PATH, so the host's own settings
# (locale, cwd, HOME) cannot leak into the output.
for run in 1 2; do
	(cd / && env -i PATH="$tmp/bin" "$bb" sh "$session" > "$tmp/run$run" 2>&1) || {
		echo "busybox-compare.sh: the session exited $? (run $run); its output:" >&2
		cat "$tmp/run$run" >&2
		exit 1
	}
done
if ! cmp -s "$tmp/run1" "$tmp/run2"; then
	echo "busybox-compare.sh: two runs differ, the session is not deterministic:" >&2
	diff -u "$tmp/run1" "$tmp/run2" >&2 || true
	exit 1
fi
cp "$tmp/run1" "$out"
echo "busybox session: $(wc -l < "$out") lines of expected output in $out"
