#!/bin/sh
# abi-table.sh: docs/ABI.md, the guest kernel's Linux system-call coverage,
# made from the dispatch table in guest-kernel/kernel/syscall.c and the
# test programs that make each call (tests/guest/, guest-kernel/musl/,
# guest-kernel/user/). A call a test names (name(), SYS_name or a libc
# wrapper listed below) is "tested"; the status column says what is
# missing where the call is partial (notes at the bottom of this script).
# Run it after changing the table: make abi-table.
set -eu
cd "$(dirname "$0")/.."
table=guest-kernel/kernel/syscall.c
tests="tests/guest/*.c guest-kernel/musl/*.c guest-kernel/user/*.c"

# The libc functions that make a call under another name.
wrappers() {
	case $1 in
	newfstatat) echo "fstatat stat( lstat( fstat(" ;;
	pread64) echo "pread(" ;;
	pwrite64) echo "pwrite(" ;;
	getdents64) echo "readdir( getdents(" ;;
	rt_sigaction) echo "sigaction( signal(" ;;
	rt_sigprocmask) echo "sigprocmask( pthread_sigmask(" ;;
	rt_sigreturn) echo "sigaction(" ;;
	rt_sigsuspend) echo "sigsuspend(" ;;
	rt_sigpending) echo "sigpending(" ;;
	rt_sigtimedwait) echo "sigtimedwait( sigwait(" ;;
	rt_sigqueueinfo) echo "sigqueue(" ;;
	wait4) echo "waitpid( wait(" ;;
	exit_group) echo "exit( _exit(" ;;
	clone) echo "fork(" ;;
	prlimit64) echo "getrlimit( setrlimit( prlimit(" ;;
	umount2) echo "umount(" ;;
	faccessat2) echo "faccessat(" ;;
	clock_nanosleep) echo "clock_nanosleep(" ;;
	set_tid_address) echo "SYS_set_tid_address" ;;
	esac
}

status_note() {
	case $1 in
	rt_sigqueueinfo) echo "real-time signals are not queued (one pending instance each)" ;;
	clone|clone3) echo "fork and vfork kinds; threads refused (EINVAL)" ;;
	futex) echo "WAIT, WAKE and the BITSET forms; requeue and wake-op ENOSYS" ;;
	mount) echo "tmpfs, devtmpfs, proc, ext2 (/dev/sda); MS_RDONLY, MS_REMOUNT, MS_MOVE" ;;
	chroot) echo "only to the directory / already is (switch_root); else EPERM" ;;
	reboot) echo "power off, halt and restart all stop the VM; Ctrl-Alt-Del settings accepted" ;;
	mmap) echo "anonymous private and shared, files private and shared (not on ext2: ENODEV), /dev/zero" ;;
	ioctl) echo "terminals: TCGETS/TCSETS*, TCSBRK, TCFLSH, TCXONC, TIOCGWINSZ/TIOCSWINSZ, TIOCGPGRP/TIOCSPGRP/TIOCSCTTY/TIOCNOTTY/TIOCGSID, TIOCOUTQ, TIOCSTI, TIOCGETD, TIOCGPTN/TIOCSPTLCK/TIOCGPTLCK; FIONREAD, FIONBIO, FIOCLEX, BLKGETSIZE64; else ENOTTY (TIOCPKT too)" ;;
	fcntl) echo "F_DUPFD(_CLOEXEC), F_GETFD/SETFD, F_GETFL/SETFL; locks always granted" ;;
	setitimer|getitimer) echo "ITIMER_REAL only" ;;
	restart_syscall) echo "the kernel's own: a sleep resumed after a stop; no direct test" ;;
	socket|socketpair) echo "no address family: EAFNOSUPPORT after Linux's argument checks (net/socket.c)" ;;
	connect|accept|accept4|bind|listen|sendto|sendmsg|sendmmsg|recvfrom|recvmsg|recvmmsg|shutdown|getsockname|getpeername|setsockopt|getsockopt)
		echo "no socket can exist: EBADF or ENOTSOCK" ;;
	rseq) echo "ENOSYS, quietly (C libraries fall back): no test asserts it" ;;
	esac
}

{
	echo "# Linux system calls in the guest kernel"
	echo
	echo "Made by \`tools/abi-table.sh\` from the dispatch table"
	echo "(\`guest-kernel/kernel/syscall.c\`) and the test programs; do not edit."
	echo "Every number not listed returns -ENOSYS, is counted, and is reported"
	echo "once on the console with its name and the calling program."
	echo
	echo "| nr | system call | status | tested by |"
	echo "|---|---|---|---|"
	grep -o 'CALL([a-z0-9_]*,' "$table" | sed 's/CALL(//; s/,//' | grep -vx name | sort -u | while read -r name; do
		nr=$(grep -E "X\($name\)|X\([0-9]+, $name\)" include/trapvisor/linux_syscalls.h | sed 's/.*X(\([0-9]*\), .*/\1/' | head -1)
		files=""
		for pat in "$name(" "SYS_$name" $(wrappers "$name"); do
			f=$(grep -lF -- "$pat" $tests 2>/dev/null | xargs -r -n1 basename | tr '\n' ' ')
			files="$files $f"
		done
		files=$(echo $files | tr ' ' '\n' | sort -u | grep -v '^$' | head -4 | tr '\n' ' ')
		note=$(status_note "$name")
		status=${note:+partial: $note}
		echo "$nr|$name|${status:-implemented}|${files:-(none)}"
	done | sort -t'|' -k1,1n | awk -F'|' '{ printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4 }'
} > docs/ABI.md
echo "docs/ABI.md: $(grep -c '^| [0-9]' docs/ABI.md) system calls, $(grep -c '(none)' docs/ABI.md) without a test"
