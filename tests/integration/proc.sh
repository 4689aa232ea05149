# Linux-compatible processes (guest-kernel/kernel/exec.c, proc.c,
# sys_proc.c, futex.c, time.c, sys_info.c, mm/mmap.c): the musl test
# programs in guest-kernel/musl/ print one "ok" line per group of checks;
# each case here wants every one of them and no FAIL.  Then --stats names
# the guest's system calls.
. "$(dirname "$0")/lib.sh"

# expect_oks PROG N: PROG printed N ok lines, no FAIL, and exited 0.
expect_oks() {
	local n; n=$(grep -c "^$1: ok " "$OUT")
	[ "$n" = "$2" ] || why+="$n '$1: ok' lines, wanted $2; "
	expect_no_out "$1: FAIL"
	expect_out "$1: done, 0 failed"
	expect_out "$1 exited with status 0"
}

boot --append "run=auxvtest"
expect_status 0
expect_oks auxvtest 6
expect_out 'auxvtest: ok auxv: AT_PHDR, AT_PHENT, AT_PHNUM, AT_ENTRY'
expect_out 'auxvtest: ok stack layout'
expect_out 'auxvtest: ok execve passes argv and envp'
expect_out 'auxvtest: ok execve with 100 KiB of arguments and environment'
expect_out 'auxvtest: ok execve past the argument limit: E2BIG'
expect_out 'dynhello: a dynamically linked program (it names an interpreter): not supported'
report "exec: auxv, Linux's initial stack, argv/envp through execve (100 KiB), E2BIG, ENOEXEC"

boot --append "run=staticpie"
expect_status 0
expect_oks staticpie 1
expect_out 'staticpie: loaded at 0x555555554000'
report "a static-PIE program is loaded at 0x555555554000 and relocates itself"

boot --append "run=clonetest"
expect_status 0
expect_oks clonetest 9
expect_out 'clonetest: ok vfork: the child runs first in the shared address space'
expect_out 'clonetest: ok vfork then execve'
expect_out 'clonetest: ok clone: PARENT_SETTID, CHILD_SETTID, CHILD_CLEARTID'
expect_out 'clonetest: ok futex timeouts'
expect_out 'clonetest: ok futex WAKE of a waiter in another process'
expect_out 'clone flags 0x10900 are not supported'
report "vfork, clone with the tid words, futex WAIT/WAKE/timeouts, prctl name"

boot --append "run=memtest"
expect_status 0
expect_oks memtest 6
report "mremap, madvise DONTNEED, MAP_SHARED anonymous memory across fork, the 8 MiB stack"

boot --append "run=infotest"
expect_status 0
expect_oks infotest 9
expect_out 'infotest: uname: Linux trapvisor 6.1.0-trapvisor'
report "uname, clocks, clock_nanosleep, getrandom, sysinfo, rlimits, identity, one CPU"

# The same programs without the paravirtual interface (no CPUID
# hypercall: AT_HWCAP is 0, the random seed has no RDRAND).
boot --append "run=auxvtest,clonetest nopv"
expect_status 0
expect_oks auxvtest 6
expect_oks clonetest 9
expect_out 'auxvtest: AT_HWCAP 0x0'
report "exec and clone without the paravirtual interface"

# What the guest's programs asked of the kernel, by name, most frequent
# first: clonetest sleeps in futex and makes a vfork, wait4 and execve.
boot --stats --append "run=clonetest"
expect_status 0
expect_err 'guest system calls'
for call in 'futex (202)' 'vfork (58)' 'clone (56)' 'execve (59)' 'wait4 (61)' 'exit_group (231)'; do
	grep -q "^  $call  *[1-9][0-9]*$" "$ERR" || why+="--stats lacks a count for $call; "
done
# Sorted: no line has a larger count than the one before it.
sed -n '/^guest system calls/,/^  total/p' "$ERR" | sed '1d;$d' | awk '
	{ n = $NF + 0; if (NR > 1 && n > prev) bad = 1; prev = n }
	END { exit bad }' || why+="the system calls are not most frequent first; "
report "--stats lists the guest's system calls by name with counts, most frequent first"
