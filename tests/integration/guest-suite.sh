# The guest test suite (tests/guest/: static C programs in xv6's usertests
# style, each built with musl and with static glibc) runs inside the guest
# from the default initramfs, and every test it reports is one case here:
# "ok <libc>/<group>.<test>" or its FAIL line. The same programs pass
# natively on the host (make guest-tests-native), so a FAIL is a way this
# kernel differs from Linux.
. "$(dirname "$0")/lib.sh"
INITRAMFS=${INITRAMFS:-build/initramfs.cpio.gz}

# Known gaps: Linux behaviour this kernel does not have yet, each with the
# reason. They must fail (reported "ok ... fails as expected"); one that
# passes is a FAIL, so that the list is kept true.
declare -A known=(
	[signals.rt_signals_queue]="real-time signals are not queued: one pending instance each (kernel/signal.c)"
)

# Checking the shadow at every stop would make ~480 tests take far too
# long: every 100th stop is checked.
CHECK=--shadow-check=100 boot --initrd "$INITRAMFS" --append "-- /tests/run-in-guest.sh"
total=0
while IFS= read -r line; do
	case $line in
	musl:\ ok\ *|glibc:\ ok\ *|musl:\ FAIL\ *|glibc:\ FAIL\ *) ;;
	*) continue ;;
	esac
	libc=${line%%:*}
	rest=${line#*: }
	verdict=${rest%% *}
	name=${rest#* }
	name=${name%%:*}
	total=$((total + 1))
	if [ -n "${known[$name]:-}" ]; then
		if [ "$verdict" = FAIL ]; then
			echo "ok $libc/$name fails as expected: ${known[$name]}"
		else
			echo "FAIL $libc/$name passes: take it off the known gaps in $0"
		fi
	elif [ "$verdict" = ok ]; then
		echo "ok $libc/$name"
	else
		echo "FAIL $libc/$rest"
	fi
done <"$OUT"
[ "$total" -ge 400 ] || why+="only $total tests reported (the suite has about 530); "
expect_out 'guest-tests: '
report "the guest test suite ran in the guest ($total tests reported)"
