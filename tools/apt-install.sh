#!/bin/sh
# apt-install.sh PACKAGE...: apt-get update, then apt-get install -y the
# packages (the Makefile's DEPS_STAMP rule, run as root), waiting first for
# another package manager to finish.
#
# apt-get fails at once when another apt-get, dpkg or unattended-upgrades
# holds one of its locks: fcntl write locks on /var/lib/dpkg/lock-frontend,
# /var/lib/dpkg/lock and /var/lib/apt/lists/lock.  So before each apt-get
# this waits until no process holds any of them, saying who it waits for,
# for APT_LOCK_TIMEOUT seconds in all (default 600); then it gives up with
# a message and status 1.  The locks may be taken again between that look
# and apt-get's own: apt-get install waits for the dpkg locks itself for
# the time left (-o DPkg::Lock::Timeout), but apt-get update does not wait
# for the lists lock (apt 2.6, Debian 12: that option covers only the dpkg
# locks), so an apt-get that failed while a lock is held waits and runs
# again, within the same bound.
#
# Environment, so that tests can run this without installing anything:
#   APT_LOCK_TIMEOUT  seconds to wait in all (default 600)
#   APT_LOCK_POLL     seconds between looks at the locks (default 1)
#   APT_LOCKS         the lock files (default the three above)
#   APT_GET           the apt-get command (default apt-get)
set -u

timeout=${APT_LOCK_TIMEOUT:-600}
poll=${APT_LOCK_POLL:-1}
locks=${APT_LOCKS:-/var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock}
apt_get=${APT_GET:-apt-get}
case $timeout in
'' | *[!0-9]*) echo "apt-install: APT_LOCK_TIMEOUT=$timeout: expected a number of seconds" >&2; exit 2 ;;
esac
deadline=$(($(date +%s) + timeout))
err=$(mktemp)
trap 'rm -f "$err"' EXIT
exec 3>&1

# lock_holder: "FILE PID" for the first of $locks some process holds, or
# nothing (status 1) if none is held.  F_GETLK asks without taking the
# lock, with apt's own kind of lock (fcntl, not flock); the struct flock
# layout is x86-64's.  PID is -1 for an open file description lock.
lock_holder() {
	# shellcheck disable=SC2086
	perl -e '
		use Fcntl;
		for my $f (@ARGV) {
			open(my $fh, "<", $f) or next;    # no file: nobody holds it
			my $fl = pack("s s x4 q q l x4", F_WRLCK, 0, 0, 0, 0);
			fcntl($fh, F_GETLK, $fl) or next;
			my ($type, $pid) = (unpack("s s x4 q q l x4", $fl))[0, 4];
			if ($type != F_UNLCK) { print "$f $pid\n"; exit 0 }
		}
		exit 1' $locks
}

# who PID: "process PID (its name)".
who() {
	if [ "$1" -gt 0 ] 2>/dev/null && [ -r "/proc/$1/comm" ]; then
		echo "process $1 ($(cat "/proc/$1/comm"))"
	else
		echo "another process"
	fi
}

# wait_for_locks: return once no lock is held; exit 1 at the deadline.
# It talks on fd 3, our own standard output, even where apt-get's is
# silenced.
wait_for_locks() {
	last=""
	while held=$(lock_holder); do
		file=${held% *} holder=$(who "${held#* }")
		if [ "$(date +%s)" -ge "$deadline" ]; then
			echo "apt-install: gave up after ${timeout}s: $file is still locked by $holder;" \
				"let it finish (or stop it) and run make again, or wait longer with" \
				"APT_LOCK_TIMEOUT=SECONDS" >&2
			exit 1
		fi
		if [ "$held" != "$last" ]; then
			echo "  APT     waiting for $holder to release $file" \
				"(at most $((deadline - $(date +%s)))s more; APT_LOCK_TIMEOUT=SECONDS changes it)" >&3
			last=$held
		fi
		sleep "$poll"
	done
}

# run_apt ARGS...: run apt-get ARGS once no lock is held; again if it
# failed over a lock, until the deadline.  Its stderr is shown.
run_apt() {
	while :; do
		wait_for_locks
		left=$((deadline - $(date +%s)))
		[ "$left" -gt 0 ] || left=1
		if $apt_get -o DPkg::Lock::Timeout="$left" "$@" 2>"$err"; then
			cat "$err" >&2
			return 0
		fi
		if grep -q -e 'Could not get lock' -e 'Unable to lock' -e 'Unable to acquire' "$err" ||
		   lock_holder >/dev/null; then
			# Another package manager came first: wait for it again.
			[ "$(date +%s)" -lt "$deadline" ] && continue
			cat "$err" >&2
			echo "apt-install: gave up after ${timeout}s: apt-get $1 could not get the package" \
				"manager's locks; run make again, or wait longer with APT_LOCK_TIMEOUT=SECONDS" >&2
			exit 1
		fi
		cat "$err" >&2
		echo "apt-install: apt-get $* failed" >&2
		exit 1
	done
}

[ $# -gt 0 ] || { echo "usage: apt-install.sh PACKAGE..." >&2; exit 2; }
export DEBIAN_FRONTEND=noninteractive
run_apt update -qq
run_apt install -y -qq "$@" >/dev/null
