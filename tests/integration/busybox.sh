# Debian's busybox-static from the default initramfs (build/initramfs.cpio.gz,
# tools/mkinitramfs.sh): the scripted session matches the host's busybox
# line for line; init's exit status is trapvisor's; a user's own cpio of
# their own static program runs; make run gives busybox's prompt.
. "$(dirname "$0")/lib.sh"
INITRAMFS=${INITRAMFS:-build/initramfs.cpio.gz}
work=$(mktemp -d)
script=$work/script             # what lib.sh's pty types
trap 'rm -rf "$OUT" "$ERR" "$work"' EXIT

# The session (tests/guest/busybox-session.sh) in the guest, against the
# same script run by the host's busybox (busybox-compare.sh).
sh tests/guest/busybox-compare.sh "$work/expected" >/dev/null 2>"$work/compare.err" ||
	why+="the host's busybox could not make the expected output ($(head -1 "$work/compare.err")); "
# Checking the shadow at every stop would make the 250 commands take
# many minutes: every 50th stop is checked.
CHECK=--shadow-check=50 boot --initrd "$INITRAMFS" --append "-- /tests/busybox-session.sh"
expect_status 0
# The guest's console: the kernel's lines, then the session's.
# The kernel's own lines (its report on init and the shutdown) are not the
# session's.
sed -n '/^== 1 /,$p' "$OUT" | grep -v -e '^trapvisor guest kernel: shutting down' \
	-e '^sh exited with status' >"$work/guest"
if [ -s "$work/expected" ] && ! diff -u "$work/expected" "$work/guest" >"$work/diff"; then
	why+="the guest's session differs from the host's ($(grep -c '^[-+][^-+]' "$work/diff") lines): $(grep '^[-+][^-+]' "$work/diff" | head -3 | tr '\n' '|'); "
fi
report "a busybox sh session of $(grep -c "^== " "$work/expected") steps gives the host busybox's output, line for line"

boot --initrd "$INITRAMFS" --append "rdinit=/bin/false"
expect_status 1
report "init's exit status is the VM's: rdinit=/bin/false exits 1"

mkdir -p "$work/root"
# The user's own program, built static with musl, as their /init.
cat >"$work/hello.c" <<'C'
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	printf("my own init, pid %d, argv[0] %s, %d args\n", getpid(), argv[0], argc);
	return 7;
}
C
musl-gcc -static -O2 -o "$work/root/init" "$work/hello.c" || why+="musl-gcc failed; "
(cd "$work/root" && find . | cpio --quiet -o -H newc -R 0:0) >"$work/mine.cpio"
boot --initrd "$work/mine.cpio"
expect_status 7
expect_out 'my own init, pid 1, argv[0] /init, 1 args'
report "a user's own cpio with their own static program as /init runs it (exit 7)"

gzip -9 <"$work/mine.cpio" >"$work/mine.cpio.gz"
boot --initrd "$work/mine.cpio.gz" --append "-- a b"
expect_status 7
expect_out 'my own init, pid 1, argv[0] /init, 3 args'
report "the same gzip-compressed, with init's arguments after \"--\""

# make run: the README's first command, on a terminal, as a person types.
cat >"$work/script" <<'SCRIPT'
expect # 
send echo hello > /tmp/f && cat /tmp/f\r
expect hello
expect # 
send seq 1 1000 | sort -rn | head -3 | xargs\r
expect 1000 999 998
expect # 
send sh -c 'exit 3'; echo "status $?"\r
expect status 3
expect # 
send exit\r
wait
SCRIPT
san=; case $TRAPVISOR in build-san/*) san=1 ;; esac
timeout "$(limit 300)" "$PTYRUN" "$(limit 120)" "$work/script" -- make -s --no-print-directory run SAN=$san >"$OUT" 2>&1
STATUS=$?
expect_status 0
expect_out 'hello'
expect_out '1000 999 998'
expect_out 'status 3'
report "make run gives busybox's prompt with job control; commands run; 'exit' leaves"

# The shell's exit status is trapvisor's.
cat >"$work/script" <<'SCRIPT'
expect # 
send exit 5\r
wait
SCRIPT
pty 120 --initrd "$INITRAMFS" "$KERNEL"
expect_status 5
expect_no_out "can't access tty"
report "'exit 5' at busybox's prompt leaves trapvisor with status 5"

# Process 1 takes only the signals it has a handler for, as on Linux
# (SIGNAL_UNKILLABLE): a default action, SIGKILL's too, from any process,
# and one sent while blocked, is dropped; a handler runs; a fault still
# kills it.  The same program runs natively as process 1 of a new PID
# namespace (unshare, when the host lets us) and must print the same.
cat >"$work/init1.c" <<'C'
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
static volatile sig_atomic_t got;
static void on_usr1(int sig) { got = sig; }
int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("init1: pid %d\n", getpid());
	int sigs[] = { SIGTERM, SIGINT, SIGUSR2, SIGHUP, SIGKILL, SIGTSTP, SIGSTOP };
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		printf("init1: kill(1, %s) = %d, still here\n", strsignal(sigs[i]), kill(1, sigs[i]));
	pid_t c = fork();
	if (c == 0)
		_exit(kill(1, SIGTERM) == 0 && kill(1, SIGKILL) == 0 ? 0 : 1);
	int st;
	waitpid(c, &st, 0);
	printf("init1: a child's SIGTERM and SIGKILL: status %d, still here\n", WEXITSTATUS(st));
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGTERM);
	sigprocmask(SIG_BLOCK, &m, NULL);
	kill(1, SIGTERM);
	sigpending(&m);
	printf("init1: SIGTERM sent while blocked is pending: %d\n", sigismember(&m, SIGTERM));
	sigprocmask(SIG_UNBLOCK, &m, NULL);
	printf("init1: unblocked, still here\n");
	signal(SIGUSR1, on_usr1);
	kill(1, SIGUSR1);
	printf("init1: a handler runs: %s\n", got == SIGUSR1 ? "yes" : "no");
	if (argc > 1 && !strcmp(argv[1], "fault"))
		*(volatile int *)8 = 1;
	return 5;
}
C
musl-gcc -static -O2 -o "$work/init1" "$work/init1.c" || why+="musl-gcc failed; "
rm -rf "$work/root" && mkdir -p "$work/root" && cp "$work/init1" "$work/root/init"
(cd "$work/root" && find . | cpio --quiet -o -H newc -R 0:0) >"$work/init1.cpio"
boot --initrd "$work/init1.cpio"
expect_status 5
for s in Terminated Interrupt 'User defined signal 2' Hangup Killed Stopped; do
	expect_out "init1: kill(1, $s"
done
expect_out 'init1: a child'"'"'s SIGTERM and SIGKILL: status 0, still here'
expect_out 'init1: SIGTERM sent while blocked is pending: 1'
expect_out 'init1: unblocked, still here'
expect_out 'init1: a handler runs: yes'
if unshare --pid --fork true 2>/dev/null; then
	unshare --pid --fork "$work/init1" >"$work/native" 2>&1
	grep '^init1:' "$OUT" | tr -d '\r' >"$work/guest1"
	diff -u "$work/native" "$work/guest1" >"$work/diff1" ||
		why+="differs from Linux's process 1: $(grep '^[-+][^-+]' "$work/diff1" | head -2 | tr '\n' '|'); "
fi
report "process 1 ignores the signals it has no handler for, as Linux's init (SIGKILL too); its handlers run"

boot --initrd "$work/init1.cpio" --append "-- fault"
expect_status 139
expect_out 'init1: a handler runs: yes'
report "a fault still kills process 1 (status 139)"

# poweroff, reboot and halt at the prompt: this /init is a script, not
# busybox's init, so they go straight to reboot(2) (sbin/poweroff); a
# kill of process 1 from the shell does nothing.
cat >"$work/script" <<'SCRIPT'
expect # 
send kill -TERM 1; kill -KILL 1; kill -USR2 1; echo "init is alive"\r
expect init is alive
expect # 
send sleep 100 &\r
expect # 
send poweroff\r
wait
SCRIPT
pty 120 --initrd "$INITRAMFS" "$KERNEL"
expect_status 0
expect_out 'init is alive'
expect_out 'reboot(2): shutting down (status 0)'
report "'poweroff' at busybox's prompt shuts the guest down with status 0; kill of process 1 does nothing"
