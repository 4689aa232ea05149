#!/bin/bash
# The two host backends (docs/ARCHITECTURE.md, "The signal backend") and
# the threat model (docs/THREAT-MODEL.md): a guest user program attacks the
# host layer from inside its context process (tests/integration/
# stubattack.c), under --backend=ptrace and --backend=signal.  Whatever it
# does, it gains nothing but its own death or a VM stop with a diagnostic:
# the monitor neither crashes nor hangs, and where the host lets us watch
# (tracefs, as root) no host system call outside the allowed set runs in a
# context process.
. "$(dirname "$0")/lib.sh"
STUBATTACK=${STUBATTACK:-build/stubattack}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$OUT" "$ERR"' EXIT
mkdir -p "$tmp/root/bin"
cp "$STUBATTACK" "$tmp/root/bin/stubattack"
(cd "$tmp/root" && printf '%s\n' bin bin/stubattack | cpio -o -H newc -R 0:0 --quiet) | gzip >"$tmp/attack.cpio.gz"

# The system calls a context process may make, by number: the stub's set-up
# while it is still traced (close 3, rt_sigaction 13, rt_sigprocmask 14,
# clone 56, sigaltstack 131, prctl 157, seccomp 317), mapping changes (mmap
# 9, mprotect 10, munmap 11), the hand-off (futex 202, rt_sigreturn 15,
# arch_prctl 158); and 335/336, which the host runs past any seccomp filter
# (uretprobe, uprobe: harmless outside their trampolines, THREAT-MODEL.md).
allowed=" 3 9 10 11 13 14 15 56 131 157 158 202 317 335 336 "
T=/sys/kernel/tracing
audit=no
if [ "$(id -u)" = 0 ] && [ -w "$T/events/raw_syscalls/sys_enter/enable" ]; then
	audit=yes
fi
# tracefs is one for the whole host: two suites running side by side (CI)
# take turns with a lock, and both stay within the allowed set.
audit_start() {
	[ $audit = yes ] || return 0
	exec 9>/tmp/trapvisor-backend-audit.lock
	flock 9
	echo 0 >"$T/tracing_on"; echo >"$T/trace"
	echo 'comm ~ "memfd:trapvisor*"' >"$T/events/raw_syscalls/sys_enter/filter"
	echo 1 >"$T/events/raw_syscalls/sys_enter/enable"; echo 1 >"$T/tracing_on"
}
# audit_check NAME: the system calls the contexts made since audit_start.
audit_check() {
	[ $audit = yes ] || return 0
	echo 0 >"$T/tracing_on"; echo 0 >"$T/events/raw_syscalls/sys_enter/enable"
	echo 0 >"$T/events/raw_syscalls/sys_enter/filter"
	local nr seen
	seen=$(grep -o 'NR [0-9-]*' "$T/trace" | awk '{print $2}' | sort -un | tr '\n' ' ')
	for nr in $seen; do
		case "$allowed" in *" $nr "*) ;; *) why+="a context made host system call $nr; " ;; esac
	done
	[ -n "$seen" ] || why+="the audit saw no system call at all; "
	flock -u 9
}

# A VM that goes on, or stops with one diagnostic line (status 3): never
# a host failure (1), a crash (a signal) or a hang (timeout: 124).
expect_survived() {
	case $STATUS in
	0) expect_out "stubattack: $1 done" ;;
	3) expect_err 'trapvisor: VM stopped: ' ;;
	*) why+="exit status $STATUS: the monitor failed, crashed or hung; " ;;
	esac
}

for backend in ptrace signal; do
	b="--backend=$backend"

	audit_start
	boot "$b" --initrd "$tmp/attack.cpio.gz" --append "rdinit=/bin/stubattack -- read"
	audit_check
	expect_status 0
	expect_out 'stubattack: read done'
	expect_out 'stubattack: read stub code at 0x7fff00000000: mapped'
	if [ $backend = ptrace ]; then
		expect_out 'stubattack: read trap record at 0x7fff00010000: signal 11'
		expect_out 'stubattack: read stub data at 0x7fff00001000: mapped'
		expect_out 'stubattack: stub data operations after a batch: all zero'
	else
		# Its own trap record and stack; the shared stub data page is
		# gone, and the stub thread's requests are cleared after use.
		expect_out 'stubattack: read trap record at 0x7fff00010000: mapped'
		expect_out 'stubattack: read stub data at 0x7fff00001000: signal 11'
		expect_out 'stubattack: request operations after a batch: all zero'
	fi
	report "backend $backend: a user program reads the stub's pages and sees only its own"

	audit_start
	boot "$b" --initrd "$tmp/attack.cpio.gz" --append "rdinit=/bin/stubattack -- scribble"
	audit_check
	expect_survived scribble
	expect_out 'stubattack: write stub code: fault'
	[ $backend = signal ] && expect_out 'stubattack: write stub thread requests: fault'
	report "backend $backend: a user program scribbles on every stub page: the VM goes on or stops with a diagnostic"

	audit_start
	boot "$b" --initrd "$tmp/attack.cpio.gz" --append "rdinit=/bin/stubattack -- jump"
	audit_check
	expect_survived jump
	report "backend $backend: a user program jumps into every stub entry point with crafted registers"

	# The host's rt_sigreturn is reachable from guest code only under the
	# signal backend (under ptrace the same jump is the guest kernel's
	# rt_sigreturn).  The forged frame blocks every signal and loops: the
	# kick can no longer reach the context, and the monitor says so.
	if [ $backend = signal ]; then
		audit_start
		boot "$b" --initrd "$tmp/attack.cpio.gz" --append "rdinit=/bin/stubattack -- sigreturn"
		audit_check
		expect_status 3
		expect_err 'blocked the kick signal'
		report "backend $backend: a forged rt_sigreturn frame that blocks every host signal"
	fi

	# Guest code right after a folded resume runs under PTRACE_CONT: the
	# filter and its key stand between it and the host.  A stub mmap with
	# no key is trapped (the guest's own system call), and the monitor
	# folds no more.  --stats prints the stub's line at the end.
	if [ $backend = ptrace ]; then
		audit_start
		boot "$b" --stats --initrd "$tmp/attack.cpio.gz" --append "rdinit=/bin/stubattack -- fold"
		audit_check
		expect_status 0
		expect_out 'stubattack: fold done'
		expect_out 'stubattack: fold 19, stub mmap: killed by signal 11'
		grep -q "folded into the resume .*, then off: guest code ran the stub's system call" "$OUT" "$ERR" ||
			why+="--stats does not say folding went off; "
		report "backend $backend: a stub mmap without the key right after a folded resume is trapped, and folding stops"
	fi

	boot "$b" --initrd "$tmp/attack.cpio.gz" --append "rdinit=/bin/stubattack -- passthrough"
	expect_status 0
	expect_out 'stubattack: system call 335: -38 '
	report "backend $backend: system call 335 (the host's uretprobe) is the guest's, ENOSYS"
done
[ $audit = yes ] || echo "ok host system-call audit skipped: needs root and a free tracefs (raw_syscalls)"
