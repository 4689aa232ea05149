# /proc (guest-kernel/fs/procfs.c): a static musl program reads the files
# busybox's ps, top, free, uptime, mount and pidof read, and checks them
# against what it knows (guest-kernel/musl/proctest.c prints "ok WHAT" or
# "FAIL WHAT: why" per check).
. "$(dirname "$0")/lib.sh"

# expect_ok WHAT...: each "ok WHAT" line is on the console.
expect_ok() {
	for w in "$@"; do
		grep -qxF -- "ok $w" "$OUT" || why+="no 'ok $w'; "
	done
}

boot --append "run=proctest"
expect_status 0
expect_no_out 'FAIL'
expect_out 'proctest: 0 failed'
expect_out 'proctest exited with status 0'
report "proctest: every check passes"

expect_ok "/proc/self/stat has 52 fields" "/proc/self/stat pid is getpid()" \
	"/proc/self/stat comm" "/proc/self/stat state R" \
	"/proc/self/stat ppid 0 (started by the kernel)" "/proc/self/stat minflt is getrusage()'s" \
	"/proc/self/status Name" "/proc/self/status Pid, Tgid" "/proc/self/status VmSize, VmRSS" \
	"/proc/self/comm" "/proc/self/maps: program, heap or data, stack"
report "/proc/self/stat and status describe the process"

expect_ok "readlink /proc/self/exe" "/proc/self/cmdline is argv, NUL-separated" \
	"readlink /proc/self/cwd is getcwd() after chdir" "/proc/self/cwd/. is the working directory" \
	"lstat /proc/self: a symbolic link"
report "/proc/self is a link; exe, cwd and cmdline are right"

expect_ok "/proc/self/fd lists 0 1 2 and the new file" "readlink /proc/self/fd/N: the file's path" \
	"readlink /proc/self/fd/N: relative path through a link, resolved" \
	"readlink /proc/self/fd/0: the console" "readlink /proc/self/fd/N: a pipe" \
	"open /proc/self/fd/N opens the file" "a closed descriptor is gone from /proc/self/fd"
report "/proc/self/fd: one link per descriptor, to the file's path"

expect_ok "/proc/meminfo MemTotal > 0, MemFree <= MemTotal" "/proc/meminfo in Linux's layout" \
	"sysinfo agrees with /proc/meminfo" "/proc/uptime parses" "/proc/loadavg parses" \
	"/proc/stat cpu line, btime, processes" "/proc/cpuinfo processor, vendor, flags" \
	"/proc/version" "/proc/sys/kernel/ostype, osrelease" "/proc/sys/kernel/pid_max, vm/overcommit_memory"
report "meminfo, uptime, loadavg, stat, cpuinfo, version, sys/ in Linux's formats"

expect_ok "/proc/mounts has / and /proc" "/proc/self/mounts is /proc/mounts" \
	"/proc/mounts is a link to self/mounts" "/proc/filesystems"
report "/proc/mounts lists the mounts"

expect_ok "small reads follow the file position" "pread at an offset" \
	"stat of a /proc file: size 0, same inode twice" "/proc files are read-only" \
	"/proc/99999 does not exist"
report "reads honour the file position; files have size 0 and stable inode numbers"

expect_ok "a child's /proc/self/cmdline after execve with arguments" \
	"/proc/PID/cmdline of another process" "/proc/PID/stat of a sleeping child: S, its parent" \
	"/proc/PID/exe of the child" "getdents of /proc: self, meminfo, sys, our pid and the child's" \
	"/proc/PID/fd of the child: 0 1 2 10 11" "/proc/PID/stat of an exited, unreaped child: Z"
report "another process's directory: its state, arguments and descriptors"

expect_ok "/proc/PID is gone once reaped (ENOENT)" "/proc/PID/stat is gone once reaped (ENOENT)" \
	"getdents of /proc no longer lists it" "a file left open reads ESRCH once its process is gone" \
	"200 lookups and reads leave memory as it was"
report "a reaped process's directory disappears; lookups free their inodes"

# Without the paravirtual interface /proc/cpuinfo asks the CPUID
# instruction itself (trapped and emulated under scan-and-patch).
boot --append "run=proctest nopv"
expect_status 0
expect_no_out 'FAIL'
expect_ok "/proc/cpuinfo processor, vendor, flags"
expect_out 'proctest: 0 failed'
report "proctest passes with nopv: /proc/cpuinfo from the CPUID instruction"
