# The GDB remote stub (monitor/gdbstub.c, gdb_target.c): Debian's gdb in
# batch mode, with a command file, against a booted guest; then the
# protocol by hand over TCP (bash's /dev/tcp): bad packets, Ctrl-C, a
# second debugger, a debugger that goes away in the middle of a packet.
. "$(dirname "$0")/lib.sh"

if ! command -v gdb >/dev/null; then
	echo "FAIL gdb: gdb is not installed (the Makefile's DEB_PACKAGES has it)"
	exit 0
fi
dir=$(mktemp -d)
VM=
trap 'rm -f "$OUT" "$ERR"; [ -n "${KEEP:-}" ] || rm -rf "$dir"; [ -n "$VM" ] && kill "$VM" 2>/dev/null' EXIT
SOCK=$dir/gdb.sock
GDB() { timeout "$(limit 120)" gdb -batch -nx "$@" "$KERNEL"; }

# start_vm STDIN ARGS...: trapvisor in the background, with -S: it says
# where it waits for a debugger (or that it cannot listen) once its
# socket listens.
start_vm() {
	local in=$1 i
	shift
	rm -f "$SOCK"
	: >"$ERR"
	timeout "$(limit 300)" "$TRAPVISOR" $CHECK "$@" <"$in" >"$OUT" 2>"$ERR" &
	VM=$!
	for ((i = 0; i < $(limit 30) * 20; i++)); do
		grep -q 'waiting for a debugger\|cannot listen' "$ERR" && break
		sleep 0.05
	done
}
finish_vm() {
	wait "$VM"
	STATUS=$?
	VM=
}
# The console line of gdb's output after the marker "@@ NAME".
section() { sed -n "/^@@ $1\$/,/^@@ /p" "$G" | sed '1d;$d'; }
G=$dir/gdb.out

# ---- A session: breakpoint, bt, registers, memory, a write, steps, a
# watchpoint, the current process, monitor commands, detach. ----
TICKS=$(gdb -batch -nx -ex 'p/x &timer.ticks' "$KERNEL" 2>/dev/null | sed -n 's/^\$1 = \(0x[0-9a-f]*\)$/\1/p')
cat >"$dir/session.gdb" <<EOF
set pagination off
set confirm off
echo @@ file\n
x/4xb sys_write
target remote $SOCK
echo @@ start\n
p/x \$pc
b sys_write
c
echo @@ bt\n
bt 3
echo @@ regs\n
p \$rdi
p \$rdx
p/x \$rip
p/x \$cs
p/x \$cr0
p/x (long)sys_write
echo @@ mem\n
x/4xb sys_write
x/s \$rsi
echo @@ unmapped\n
python
try:
    gdb.execute("x/1xb 0x10")
except gdb.error as e:
    print("refused:", e)
end
echo @@ write\n
set var *(int *)\$rsi = 0x4c4c4548
set var *((char *)\$rsi + 4) = 'O'
x/s \$rsi
echo @@ curproc\n
p cpu.proc->name
p cpu.proc->pid
shell timeout $(limit 60) gdb -batch -nx -ex 'target remote $SOCK' >$dir/second.out 2>&1
echo @@ disasm\n
x/4i \$pc
echo @@ step\n
stepi
p/x \$pc
stepi
p/x \$pc
stepi
p/x \$pc
echo @@ pushwatch\n
x/3i \$pc
set var *(long *)(\$rsp - 8) = 0x5a5a5a5a5a5a5a5a
eval "watch *(long *)0x%lx", \$rsp - 8
c
p/x \$pc
delete
echo @@ watch\n
watch timer.ticks
c
p/x \$pc
delete
echo @@ monitor\n
monitor tlb $TICKS
monitor stats
echo @@ detach\n
detach
echo @@ end\n
EOF
# sleep1 after hello keeps the guest (and its timer) going for a second
# after the session's last breakpoint, for the watchpoint on timer.ticks.
start_vm /dev/null --gdb "unix:$SOCK" -S --append run=hello,sleep1
GDB -x "$dir/session.gdb" >"$G" 2>&1
finish_vm

expect_status 0
expect_err 'trapvisor: gdb: waiting for a debugger on unix:'
section start | grep -q '^\$1 = 0x7f0000100000$' || why+="the first stop is not at the kernel's entry (_start); "
expect_no_err 'VM stopped'
report gdb-connect-at-entry

# bt: at least three frames, each the right function.
section bt | grep -q '^#0  sys_write (fd=1, buf=[0-9]*, n=22)' || why+="frame 0 is not sys_write(fd=1, n=22); "
section bt | grep -q '^#1  0x[0-9a-f]* in syscall_dispatch ' || why+="frame 1 is not syscall_dispatch; "
section bt | grep -q '^#2  0x[0-9a-f]* in syscall_entry ' || why+="frame 2 is not syscall_entry; "
[ -n "$why" ] && why+="bt was: $(section bt | tr '\n' '|'); "
report gdb-breakpoint-bt

# Registers at sys_write(1, buf, 22): the arguments, RIP on the function,
# the kernel's CS (0x8) and CR0 with PG, WP, PE.
read -r rdi rdx rip cs cr0 sw <<<"$(section regs | sed 's/^\$[0-9]* = //' | tr '\n' ' ')"
[ "$rdi" = 1 ] || why+="rdi is '$rdi', not 1; "
[ "$rdx" = 22 ] || why+="rdx is '$rdx', not 22; "
[ -n "$rip" ] && [ "$rip" = "$sw" ] || why+="rip is '$rip', sys_write is at '$sw'; "
[ "$cs" = 0x8 ] || why+="cs is '$cs', not 0x8; "
[[ "$cr0" =~ ^0x[0-9a-f]+$ ]] && (((cr0 & 0x80010001) == 0x80010001)) ||
	why+="cr0 is '$cr0', without PG, WP and PE; "
report gdb-registers

# Memory: the code of sys_write as the ELF file has it (a breakpoint sits
# there: gdb reads the original bytes), and the user buffer through the
# process's page tables.
want=$(section file | sed -n '1s/^[^:]*://p')
got=$(section mem | sed -n '1s/^[^:]*://p')
[ -n "$want" ] && [ "$want" = "$got" ] || why+="sys_write's bytes read '$got', the ELF has '$want'; "
section mem | grep -qF '"hello from user space\n"' || why+="x/s \$rsi did not show the user's buffer; "
section unmapped | grep -q 'refused: Cannot access memory at address 0x10$' || why+="an unmapped read was not refused cleanly: $(section unmapped); "
report gdb-memory-read

# A write into the user's buffer, which the guest then prints.
section write | grep -qF '"HELLO from user space\n"' || why+="x/s after the write: $(section write); "
expect_out 'HELLO from user space'
expect_no_out 'hello from user space'
report gdb-memory-write

section curproc | grep -q '^\$[0-9]* = "hello' || why+="cpu.proc->name: $(section curproc | head -1); "
section curproc | grep -q '^\$[0-9]* = 1$' || why+="cpu.proc->pid: $(section curproc | tail -1); "
report gdb-current-process

# A second gdb while this one is attached: it shows why it was refused.
grep -q 'Remote failure reply: E.trapvisor: a debugger is already attached to this VM' "$dir/second.out" ||
	why+="the second gdb said: $(tr '\n' '|' <"$dir/second.out"); "
expect_err 'trapvisor: gdb: refused a second debugger on unix:'
report gdb-second-gdb-refused

# Single steps: RIP goes to the next instruction each time, as x/4i said.
next=$(section disasm | sed -n '2,4s/^ *\(0x[0-9a-f]*\) <.*/\1/p' | tr '\n' ' ')
got=$(section step | sed -n 's/^\$[0-9]* = \(0x[0-9a-f]*\)$/\1/p' | tr '\n' ' ')
[ -n "$next" ] && [ "$next" = "$got" ] || why+="stepi went to '$got', x/4i says '$next'; "
report gdb-stepi

# A watchpoint on the stack slot the next PUSH writes: the emulator does
# not do PUSH, so the instruction is single-stepped with the page
# writable, and the stop comes right after it.
want=$(section pushwatch | sed -n '3s/^ *\(0x[0-9a-f]*\) <.*/\1/p')
got=$(section pushwatch | sed -n 's/^\$[0-9]* = \(0x[0-9a-f]*\)$/\1/p' | tail -1)
section pushwatch | sed -n 2p | grep -q 'push   %r' || why+="the instruction after the steps is no PUSH: $(section pushwatch | sed -n 2p); "
[ -n "$want" ] && [ "$want" = "$got" ] || why+="the watchpoint on the PUSH's slot stopped at '$got', not '$want'; "
section pushwatch | grep -q '^Old value = 6510615555426900570$' || why+="no old value 0x5a5a...: $(section pushwatch | tr '\n' '|'); "
report gdb-watchpoint-single-stepped

# The watchpoint fires right after the instruction that writes
# timer.ticks: the one before the reported RIP in timer_intr's code
# writes that address (objdump's comment names it).
wpc=$(section watch | sed -n 's/^\$[0-9]* = \(0x[0-9a-f]*\)$/\1/p' | tail -1)
section watch | grep -q '^Old value = \([0-9]*\)$' || why+="no 'Old value'; "
section watch | grep -q 'in timer_intr () at guest-kernel/kernel/timer.c:' || why+="not stopped in timer_intr: $(section watch | tr '\n' '|'); "
writer=$(objdump -d --no-show-raw-insn "$KERNEL" | awk -v t="${TICKS#0x}" -v pc="${wpc#0x}" '
	/^[0-9a-f]+ <.*>:$/ { prev = "" }
	/^ +[0-9a-f]+:/ { a = $1; sub(":", "", a); if (a == pc) { print prev; exit } prev = $0 }')
case "$writer" in
*",0x"*"(%rip)"*"# ${TICKS#0x} <timer+"*) ;;
*) why+="the instruction before the watchpoint's RIP $wpc does not write timer.ticks ($TICKS): '$writer'; " ;;
esac
report gdb-watchpoint

section monitor | grep -q "^$TICKS with CR3 0x" || why+="monitor tlb did not walk $TICKS; "
section monitor | grep -q '^  PTE   \[' || why+="no PTE line; "
section monitor | grep -q '^  -> GPA 0x' || why+="no GPA; "
section monitor | grep -q '^  hidden page fault ' || why+="monitor stats lacks its table; "
report gdb-monitor-commands

section detach | grep -q 'Inferior 1 (Remote target) detached' || why+="gdb did not detach: $(section detach); "
section end | grep -qi 'error\|broken pipe' && why+="gdb complained after detaching; "
expect_out 'hello exited with status 0'
expect_out 'sleep1: slept'
expect_err 'trapvisor: gdb: the debugger detached; the guest runs on'
report gdb-detach-runs-to-exit

# ---- A breakpoint on a silent-fail instruction patched to INT3 (the
# executed copy carries both): it stops there, gdb reads the original
# byte, a step emulates it, and the demonstration's table is right. ----
PUSHF=$(objdump -d "$KERNEL" | awk '/<sf_pushf>:$/ { f = 1 } f && /\tpushf/ { sub(":", "", $1); print "0x" $1; exit }')
cat >"$dir/patched.gdb" <<EOF
set pagination off
target remote $SOCK
b *$PUSHF
c
echo @@ hit\n
p/x \$pc
x/1xb $PUSHF
monitor tlb $PUSHF
stepi
echo @@ stepped\n
p/x \$pc
x/1xb $PUSHF
delete
detach
echo @@ end\n
EOF
start_vm /dev/null --gdb "unix:$SOCK" -S --append silentfail
G=$dir/patched.out
GDB -x "$dir/patched.gdb" >"$G" 2>&1
finish_vm
expect_status 0
section hit | grep -q "^\$1 = $PUSHF\$" || why+="did not stop at the pushf ($PUSHF): $(section hit | head -2 | tr '\n' '|'); "
section hit | grep -q ":[[:space:]]0x9c$" || why+="the pushf did not read back as 0x9c: $(section hit | sed -n 2p); "
section hit | grep -q 'the patched copy' || why+="the shadow does not map the patched copy there; "
section stepped | grep -q ":[[:space:]]0x9c$" || why+="after the step the pushf reads $(section stepped | sed -n 2p); "
section stepped | grep -q "^\$[0-9]* = $PUSHF" && why+="the step did not move past the pushf; "
expect_out 'silentfail: pushf (if=0) | IF=0 IOPL=0 | IF=0 IOPL=0 | trapped and emulated'
expect_out 'silentfail: 0 silently wrong'
report gdb-breakpoint-on-patched-instruction

# ---- The protocol by hand, over TCP. ----
# send PKT [FD]: frame and send it on fd 3 (or FD).  reply: the next packet's body on
# fd 3 (acks before it dropped), in $REPLY_BODY.
send() {
	local sum=0 i c
	for ((i = 0; i < ${#1}; i++)); do
		printf -v c '%d' "'${1:i:1}"
		sum=$(((sum + c) % 256))
	done
	printf '$%s#%02x' "$1" "$sum" >&"${2:-3}"
}
reply() {
	local junk cs
	REPLY_BODY=
	IFS= read -r -t "$(limit 20)" -d '$' junk <&"${1:-3}" || return 1
	IFS= read -r -t "$(limit 20)" -d '#' REPLY_BODY <&"${1:-3}" || return 1
	IFS= read -r -t "$(limit 20)" -N 2 cs <&"${1:-3}"
}

# A port nobody uses: a few tries at random.
for _ in 1 2 3 4 5; do
	PORT=$((20000 + RANDOM % 40000))
	printf 'spin 4\nexit 7\n' >"$dir/in"
	start_vm "$dir/in" --gdb "tcp:127.0.0.1:$PORT" -S --append init=sh
	grep -q 'cannot listen' "$ERR" || break
	finish_vm
done
if ! exec 3<>"/dev/tcp/127.0.0.1/$PORT"; then
	echo "FAIL gdb-protocol: cannot connect to port $PORT"
	finish_vm
	exit 0
fi
send '?'
reply && [ "$REPLY_BODY" = 'T05thread:01;' ] || why+="'?' answered '$REPLY_BODY'; "
# A wrong checksum is refused with '-', garbage between packets ignored.
printf '$g#00' >&3
IFS= read -r -t "$(limit 20)" -N 1 c <&3
[ "$c" = - ] || why+="a bad checksum got '$c', not '-'; "
printf 'garbage\001\377+++' >&3
# Not-hex arguments, an unknown packet, a register that does not exist.
send 'mzz,4'; reply; [ "$REPLY_BODY" = E01 ] || why+="'mzz,4' answered '$REPLY_BODY'; "
send 'Q&nonsense'; reply; [ "$REPLY_BODY" = '' ] || why+="an unknown packet answered '$REPLY_BODY'; "
send 'p999'; reply; [ "$REPLY_BODY" = E16 ] || why+="'p999' answered '$REPLY_BODY'; "
send 'm10,8'; reply; [ "$REPLY_BODY" = E0e ] || why+="reading unmapped 0x10 answered '$REPLY_BODY'; "
send 'Z9,0,1'; reply; [ "$REPLY_BODY" = '' ] || why+="an unknown breakpoint type answered '$REPLY_BODY'; "
send 'Z0,zz,1'; reply; [ "$REPLY_BODY" = E01 ] || why+="'Z0,zz,1' answered '$REPLY_BODY'; "
send 'Z0,10,1'; reply; [ "$REPLY_BODY" = E0e ] || why+="a breakpoint at unmapped 0x10 answered '$REPLY_BODY'; "
send 'P11=0000'; reply; [ "$REPLY_BODY" = E16 ] || why+="a short register value answered '$REPLY_BODY'; "
send 'P12=99000000'; reply; [ "$REPLY_BODY" = E16 ] || why+="changing CS answered '$REPLY_BODY'; "
# A packet longer than the stub takes: a clean error, not a crash.
big=$(head -c 20000 /dev/zero | tr '\0' 'a')
send "M7f0000100000,1:$big"; reply; [ "$REPLY_BODY" = 'E.packet too long' ] || why+="an oversize packet answered '${REPLY_BODY:0:40}'; "
# Registers: 66 of them, 608 bytes in hex, RIP at the kernel's entry.
send g; reply
[ "${#REPLY_BODY}" = 1216 ] || why+="'g' answered ${#REPLY_BODY} hex digits, not 1216; "
[ "${REPLY_BODY:256:16}" = 00001000007f0000 ] || why+="RIP in 'g' is ${REPLY_BODY:256:16}; "
report gdb-bad-packets

# A second debugger while the first is attached: refused with a message,
# and the first goes on.
if exec 4<>"/dev/tcp/127.0.0.1/$PORT"; then
	send '?' 4
	reply 4
	[[ "$REPLY_BODY" == *'a debugger is already attached'* ]] || why+="the second client got '$REPLY_BODY'; "
	exec 4<&-
else
	why+="the second connection was not accepted; "
fi
send '?'; reply; [ "$REPLY_BODY" = 'T05thread:01;' ] || why+="the first client then got '$REPLY_BODY'; "
report gdb-second-client

# Continue, then Ctrl-C while the guest spins: a stop with SIGINT.
send c
sleep 1
printf '\003' >&3
reply; [ "$REPLY_BODY" = 'T02thread:01;' ] || why+="Ctrl-C gave '$REPLY_BODY'; "
send 'p10'; reply; [ "${#REPLY_BODY}" = 16 ] || why+="RIP after Ctrl-C: '$REPLY_BODY'; "
report gdb-ctrl-c

# Detach, reconnect (the guest stops again) and go away in the middle of
# a packet: the guest runs on to its own exit status.
send D; reply; [ "$REPLY_BODY" = OK ] || why+="'D' answered '$REPLY_BODY'; "
exec 3<&-
sleep 0.3
if exec 3<>"/dev/tcp/127.0.0.1/$PORT"; then
	send '?'; reply; [ "$REPLY_BODY" = 'T02thread:01;' ] || why+="a new debugger found '$REPLY_BODY'; "
	printf '$m7f00001' >&3
	exec 3<&-
fi
finish_vm
expect_status 7
expect_out 'spin '
expect_err 'trapvisor: gdb: the debugger disconnected; the guest runs on'
expect_no_err 'VM stopped'
report gdb-disconnect-midway

# An address this host cannot listen on: one line, status 2.
boot_unchecked --gdb tcp:192.0.2.1:1234 --append run=hello
expect_status 2
expect_err_lines 1
expect_err 'trapvisor: --gdb tcp:192.0.2.1:1234: cannot listen on tcp:192.0.2.1:1234: '
report gdb-bad-address
