# tools/apt-install.sh (the Makefile's package installation) waits, bounded,
# while another package manager holds one of apt's locks, and says so.  The
# locks here are fcntl write locks on files of our own, the kind apt-get
# and dpkg take; apt-get is a stand-in that logs its arguments and, like
# apt-get update, fails at once over a held lock.
. "$(dirname "$0")/lib.sh"

dir=$(mktemp -d)
trap 'kill $holder 2>/dev/null; rm -rf "$dir" "$OUT" "$ERR"' EXIT
holder=
cat >"$dir/hold.pl" <<'PERL'
# hold.pl FILE SECONDS: hold an fcntl write lock on FILE (struct flock as
# on x86-64), print "held", and keep it SECONDS.
use Fcntl;
open(my $fh, ">>", $ARGV[0]) or die "$ARGV[0]: $!";
my $fl = pack("s s x4 q q l x4", F_WRLCK, 0, 0, 0, 0);
fcntl($fh, F_SETLKW, $fl) or die "lock: $!";
$| = 1;
print "held\n";
sleep $ARGV[1];
PERL
cat >"$dir/apt-get" <<'SH'
#!/bin/sh
# apt-get's stand-in: logs "apt-get ARGS"; with FAIL_ONCE, the first call
# has another process take the lock just before it looks, as can happen.
echo "apt-get $*" >>"$LOG"
if [ -n "${FAIL_ONCE:-}" ] && [ ! -e "$FAIL_ONCE" ]; then
	touch "$FAIL_ONCE"
	perl "$HOLD" "$LOCK" 2 >"$FAIL_ONCE.ready" &
	while [ ! -s "$FAIL_ONCE.ready" ]; do sleep 0.1; done
	echo "E: Could not get lock $LOCK. It is held by process $! (perl)" >&2
	exit 100
fi
exit 0
SH
chmod +x "$dir/apt-get"
export APT_GET="$dir/apt-get" APT_LOCKS="$dir/lock-frontend $dir/lock" APT_LOCK_POLL=0.2
export LOG="$dir/log" HOLD="$dir/hold.pl" LOCK="$dir/lock"

# hold FILE SECONDS: another package manager holds FILE's lock, from now.
hold() {
	rm -f "$dir/ready"
	perl "$dir/hold.pl" "$1" "$2" >"$dir/ready" &
	holder=$!
	for _ in $(seq 50); do [ -s "$dir/ready" ] && return; sleep 0.1; done
	why+="the lock holder did not start; "
}

# install: run the script on two packages; sets STATUS, $OUT, $ERR and
# the seconds it took in $took.
install() {
	: >"$LOG"
	local t0=$SECONDS
	timeout 60 sh tools/apt-install.sh pkg-a pkg-b >"$OUT" 2>"$ERR"
	STATUS=$?
	took=$((SECONDS - t0))
}
# expect_log REGEX: apt-get ran with arguments that match (whole line).
expect_log() { grep -qx -- "$1" "$LOG" || why+="apt-get was not run as '$1'; "; }

install
expect_status 0
expect_no_out 'waiting'
expect_log 'apt-get -o DPkg::Lock::Timeout=\(600\|599\) update -qq'
expect_log 'apt-get -o DPkg::Lock::Timeout=\(600\|599\) install -y -qq pkg-a pkg-b'
report "no lock held: update, then install, with apt's own lock timeout, at once"

hold "$dir/lock" 3
install
wait $holder
expect_status 0
expect_out "  APT     waiting for process $holder (perl) to release $dir/lock (at most "
expect_out 's more; APT_LOCK_TIMEOUT=SECONDS changes it)'
[ "$took" -ge 2 ] || why+="took ${took}s, the lock was held for 3; "
expect_log 'apt-get -o DPkg::Lock::Timeout=59[0-9] update -qq'
expect_log 'apt-get -o DPkg::Lock::Timeout=59[0-9] install -y -qq pkg-a pkg-b'
report "a held dpkg lock: waits, says for whom, then installs (${took}s)"

hold "$dir/lock-frontend" 30
APT_LOCK_TIMEOUT=2 install
kill $holder; wait $holder 2>/dev/null
expect_status 1
expect_err "apt-install: gave up after 2s: $dir/lock-frontend is still locked by process $holder (perl);"
expect_err 'wait longer with APT_LOCK_TIMEOUT=SECONDS'
[ "$took" -le 10 ] || why+="took ${took}s with a bound of 2; "
[ ! -s "$LOG" ] || why+="apt-get ran: $(cat "$LOG"); "
report "a lock held past APT_LOCK_TIMEOUT: gives up with a message, status 1"

FAIL_ONCE="$dir/failed" install
wait
expect_status 0
expect_out "waiting for process"
expect_out "to release $dir/lock"
[ "$(grep -c 'update' "$LOG")" = 2 ] || why+="apt-get update ran $(grep -c update "$LOG") times, wanted 2; "
expect_log 'apt-get -o DPkg::Lock::Timeout=59[0-9] install -y -qq pkg-a pkg-b'
report "apt-get update beaten to the lock: waits again and runs it again"
