# Boot the guest kernel and check what it prints and how it ends.
. "$(dirname "$0")/lib.sh"

boot
expect_status 0
expect_out 'trapvisor guest kernel 0.1: 256 MiB RAM'
expect_out 'hello from user space'
expect_out 'hello exited with status 0'
expect_out 'shutting down (status 0)'
report "default boot runs the user program and exits 0"

boot -m 64M --append "run=hello extra=word"
expect_status 0
expect_out '64 MiB RAM, command line "run=hello extra=word"'
report "-m and --append reach the guest"

boot --append "run=divzero,hello"
expect_status 136
expect_out 'divzero: dividing by zero'
expect_out 'divzero: killed by #DE'
expect_out 'hello from user space'
report "a user divide by zero kills only that program (status 136: SIGFPE)"

boot --append "run=ring"
expect_status 139
expect_out 'ring: killed by #GP'
report "CLI in guest user mode is a #GP for the guest kernel (status 139: SIGSEGV)"

boot --append "run=badptr"
expect_status 139
expect_out 'badptr: write returned -14'
expect_out 'badptr: killed by #PF (page fault) at rip'
expect_out 'error 0x7, cr2 0x600000000000'
report "bad user pointers: -EFAULT from write, #PF on a kernel address"

boot --append "exit=7"
expect_status 7
report "the guest's debug-exit status is the monitor's exit status"

boot --append "crash=ud2"
expect_status 3
expect_err 'triple fault'
expect_err 'code at rip: 0f 0b'
expect_err 'ud2'
expect_err 'rip '
expect_err 'cr3 '
report "a bad kernel instruction before the IDT stops the VM with a diagnostic"

boot --stats
expect_status 0
expect_err 'emulated instructions'
expect_err 'out'
expect_err 'iretq'
expect_err 'syscall'
expect_err 'hidden page fault'
expect_err '0x03f8 com1'
report "--stats counts stops by reason"

boot --append "run=syscalls,hello"
expect_status 0
expect_out 'syscalls: ok'
expect_out 'hello exited with status 0'
report "SYSCALL/SYSRET keep every register but RAX, RCX and R11"

boot --append "crash=gp"
expect_status 3
expect_out 'panic: #GP (general protection)'
report "a kernel-mode #GP is reflected to the guest kernel's own handler"

boot --append "crash=dr7"
expect_status 3
expect_err 'the guest kernel executed mov to dr7, which the monitor does not emulate here: it arms a breakpoint'
expect_err 'code at rip: 0f 23 f8   mov dr7, rax'
expect_err "backtrace (libunwind, the kernel's .eh_frame):"
expect_err ' kmain+0x'
expect_err '#1 0x'
expect_err 'backtrace (frame pointers): 0x'
expect_err ' <- 0x'
report "an unemulated privileged kernel instruction stops the VM with a diagnostic"

# What trapvisor is for: an unprivileged user boots a guest (ptrace of its
# own children, seccomp, memfd: no capability needed).  Run as root, this
# boots as user nobody, from copies nobody can read; otherwise the whole
# suite already runs unprivileged and this is one more boot.
if [ "$(id -u)" = 0 ]; then
	d=$(mktemp -d)
	cp "$TRAPVISOR" "$d/trapvisor" && cp "$KERNEL" "$d/guest-kernel.elf" && chmod 755 "$d" "$d"/*
	timeout "$(limit 300)" setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$d/trapvisor" $CHECK --append "run=hello,cowtest" "$d/guest-kernel.elf" \
		</dev/null >"$OUT" 2>"$ERR"
	STATUS=$?
	rm -rf "$d"
else
	boot --append "run=hello,cowtest"
fi
expect_status 0
expect_out 'hello exited with status 0'
expect_out 'cowtest: ok'
report "an unprivileged user (nobody) boots a guest"

# --chain (default on): SYSCALL's SWAPGS and the SWAPGS; SYSRETQ of the way
# out are emulated in the stop of the instruction before: a system call is
# 2 stops instead of 4, and everything else behaves the same.
boot --stats --append "run=syscalls,sysbench"
expect_status 0
expect_out 'syscalls: ok'
expect_out 'sysbench: 20000 syscalls done'
chained=$(err_number 'of which ' ' chained')
stops=$(err_number ' ' ' stops in all')
[ "${chained:-0}" -ge 40000 ] || why+="only ${chained:-no} instructions chained; "
[ "${stops:-999999}" -lt 60000 ] || why+="${stops:-no} stops for 20000 syscalls; "
report "--chain: a guest system call takes 2 stops (SWAPGS and SYSRETQ ride along)"

boot --stats --chain=off --append "run=syscalls,sysbench"
expect_status 0
expect_out 'syscalls: ok'
expect_err 'of which 0 chained'
stops=$(err_number ' ' ' stops in all')
[ "${stops:-0}" -ge 80000 ] || why+="${stops:-no} stops with --chain=off; "
report "--chain=off: every trapping instruction is a stop of its own"

boot --chain=maybe
expect_status 2
expect_err '--chain maybe: expected on or off'
report "--chain takes on or off"
