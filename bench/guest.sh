# bench/guest.sh: what bench/boot.sh runs in the guest, as /bench/guest.sh,
# the script /init's shell is given ("--append '-- /bench/guest.sh ...'").
# With no arguments it is the trivial script whose end the boot time is
# measured to; with some, it runs them as a command (the fork+exec
# benchmark) in the shell's place.
if [ $# -eq 0 ]; then
	echo "guest.sh: done"
	exit 0
fi
exec "$@"
