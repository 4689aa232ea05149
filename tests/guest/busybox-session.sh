# tests/guest/busybox-session.sh - a scripted busybox sh session.
#
# Run as `busybox sh busybox-session.sh` with PATH holding only busybox's
# applets (busybox-compare.sh does that on the host); its output, stdout
# and stderr together, must be the same on the host and in the guest. So
# it prints nothing that depends on the machine, the time or the run: no
# dates, pids, inode numbers, absolute scratch paths or directory sizes,
# and whatever comes out in an unspecified order is sorted. It works from
# any directory, in a scratch directory under /tmp that it removes.

umask 022
T=$(mktemp -d /tmp/busybox-session.XXXXXX) || { echo "mktemp failed"; exit 1; }
trap 'cd /; rm -rf "$T"' EXIT
cd "$T" || exit 1
n=0
step() { n=$((n + 1)); echo "== $n $*"; }

step echo and printf
echo hello world
echo -n "no newline"; echo " then one"
echo -e 'tab\there'
printf '%s=%d\n' a 1 b 22 c 333
printf '%5s|%-5s|%05d|%x|%o|%c\n' ab cd 42 255 8 xyz
printf '%.3f %e\n' 3.14159 12345.678

step files: redirections and cat
echo one > f.txt
echo two >> f.txt
printf 'three\nfour\nfive\n' >> f.txt
cat f.txt
cat < f.txt | cat -n
cat f.txt f.txt | wc -l

step here-documents
name=world
cat <<EOF
hello $name, $((6 * 7)) is the answer
EOF
cat <<'EOF'
not expanded: $name $((1 + 1))
EOF
cat <<-EOF
	leading tabs are stripped
	EOF

step head and tail
seq 1 20 > nums
head -n 3 nums
tail -n 2 nums
head -c 5 f.txt; echo
tail -c 5 f.txt
tail -n +18 nums

step sort
printf '10\n9\n100\n9\n1\n' > unsorted
sort unsorted | tr '\n' ' '; echo
sort -n unsorted | tr '\n' ' '; echo
sort -rn unsorted | tr '\n' ' '; echo
sort -u unsorted | tr '\n' ' '; echo
sort -r f.txt
printf 'b:2\na:10\nc:1\n' | sort -t: -k2n

step uniq and wc
printf 'a\na\nb\nc\nc\nc\na\n' > letters
uniq -c letters
sort letters | uniq -c | sort -rn
uniq -d letters
wc -l < letters
wc -w < f.txt
wc -c < f.txt
wc letters

step cut and tr
echo 'root:x:0:0:root:/root:/bin/sh' > passwd
cut -d: -f1,7 passwd
cut -d: -f3- passwd
echo abcdefgh | cut -c2-4
echo 'Hello World' | tr a-z A-Z
echo 'Hello World' | tr -d lo
echo 'a   b    c' | tr -s ' '
echo 'phone: 555-1234' | tr -cd '0-9'; echo

step sed
sed -n '2,4p' f.txt
sed 's/o/0/g' f.txt | head -n 2
sed -e 's/one/ONE/' -e '/four/d' f.txt
sed '1i\
first line' nums | head -n 2
printf 'x=1\n#comment\ny=2\n' | sed '/^#/d; s/=/ is /'
cp f.txt g.txt; sed -i 's/two/TWO/' g.txt; cat g.txt | head -n 2

step awk
awk '{s += $1} END {print "sum", s, "avg", s / NR}' nums
awk -F: '{print $1 " has shell " $7}' passwd
awk 'NR % 5 == 0 {printf "%d,", $1} END {print ""}' nums
awk 'BEGIN {printf "%.3f %d %s %d\n", 1/3, int(7.9), toupper("up"), length("four")}'
echo 'the quick brown fox' | awk '{for (i = NF; i > 0; i--) printf "%s ", $i; print ""}'
awk '{n[$1]++} END {for (k in n) print k, n[k]}' letters | sort

step grep
grep -c o f.txt
grep -v o f.txt
grep -E 'one|five' f.txt
grep -n t f.txt
grep -i FOUR f.txt
grep -q missing f.txt; echo "grep -q status $?"
grep -l one f.txt g.txt
grep -w 'on' f.txt; echo "grep -w status $?"

step seq and expr
seq 5 | tr '\n' ' '; echo
seq -s, 2 2 10
seq 10 -3 1 | tr '\n' ' '; echo
expr 6 \* 7
expr 17 / 5 + 1
expr length hello
expr hello : 'h\(..\)'
expr 3 \> 2

step arithmetic
echo $((7 * 6)) $((17 % 5)) $((1 << 10)) $(((3 + 4) * 2)) $((-7 / 2)) $((0x1f))
i=5; i=$((i * i + 1)); echo "$i"
a=3; b=4; echo $((a > b ? a : b)) $((a == 3 && b == 4))

step basename and dirname
basename /usr/lib/libc.so.6
basename /a/b/c.txt .txt
dirname /a/b/c.txt
dirname relative
basename /trailing/slash/

step checksums and od
printf 'The quick brown fox jumps over the lazy dog' > fox
md5sum fox
sha256sum fox
sha1sum fox
md5sum fox > fox.md5; md5sum -c fox.md5
printf 'AB\n\001\377' | od -An -c
printf 'AB\n\001\377' | od -An -tx1
printf 'hexdump' | hexdump -C
echo base64 text | base64
echo YmFzZTY0IHRleHQK | base64 -d

step a four-applet pipeline
cat f.txt | tr a-z A-Z | sort -r | head -n 3
seq 1 100 | grep 7 | awk '{s += $1} END {print s}' | sed 's/^/total: /'

step redirection of stderr
ls /no/such/path 2>&1 | sed 's/^ls: //'
cat missing-file 2>/dev/null; echo "cat status $?"
{ echo to-stdout; echo to-stderr >&2; } 2>&1 | sort
{ echo out; echo err >&2; } > both.txt 2>&1; sort both.txt
echo to-stderr-only 2>/dev/null >&2

step subshells and variables
x=outer
(x=inner; echo "in subshell: $x")
echo "after subshell: $x"
y=$(echo captured; echo lines)
echo "$y" | wc -l
(cd /; echo "subshell cwd is /: $(pwd)")
echo "still in scratch: $([ "$PWD" = "$T" ] && echo yes)"
v=file.tar.gz
echo "${v%.gz} ${v%%.*} ${v#*.} ${#v} ${unset_var:-default} ${v:5:3}"

step functions
greet() {
	local who=$1
	echo "hello $who ($# args: $*)"
	return 4
}
greet there a b
echo "status $?"
fact() { if [ "$1" -le 1 ]; then echo 1; else echo $(($1 * $(fact $(($1 - 1))))); fi; }
fact 10
set -- one two three
shift
echo "$# args now: $@"

step exit statuses
sh -c 'exit 3'; echo $?
true; echo "true $?"
false; echo "false $?"
! false; echo "negated $?"
sh -c 'kill -TERM $$'; echo "killed: $?"
true && echo "and-list ran"
false || echo "or-list ran"

step background jobs and wait
(sleep 0.2; echo first > bg1.out) &
(echo second > bg2.out) &
wait
cat bg1.out bg2.out
sh -c 'sleep 0.1; exit 5' &
wait $!
echo "background status $?"
for i in 1 2 3; do (echo "job $i" > job$i.out) & done; wait
cat job1.out job2.out job3.out

step traps and signals
trap 'echo got USR1' USR1
kill -USR1 $$
echo after the trap
trap - USR1
sh -c 'trap "echo child got TERM; exit 7" TERM; kill -TERM $$; sleep 5'; echo "child status $?"

step test and [ ]
[ -f f.txt ] && echo "f.txt is a file"
[ -d . ] && echo ". is a directory"
[ -e missing ] || echo "missing does not exist"
test 3 -gt 2 && echo "3 > 2"
[ "abc" = "abc" ] && [ "abc" != "abd" ] && echo "strings compare"
[ -z "" ] && [ -n "x" ] && echo "empty and non-empty"
[ -s f.txt ] && [ ! -s /dev/null ] && echo "sizes"
[ 010 -eq 10 ] && echo "numeric compare"

step case
for w in apple banana cherry 42 ""; do
	case "$w" in
	a*) echo "$w starts with a" ;;
	*an*) echo "$w contains an" ;;
	[0-9]*) echo "$w is a number" ;;
	"") echo "empty word" ;;
	*) echo "$w is something else" ;;
	esac
done

step loops
for i in 1 2 3; do printf '%s ' "for$i"; done; echo
i=0; while [ $i -lt 5 ]; do i=$((i + 1)); done; echo "while ended at $i"
i=10; until [ $i -le 7 ]; do i=$((i - 1)); done; echo "until ended at $i"
for i in $(seq 1 10); do [ $i -eq 3 ] && continue; [ $i -eq 6 ] && break; printf '%s ' $i; done; echo
while read -r key value; do echo "$value <- $key"; done <<EOF
k1 v1
k2 value two
EOF
IFS=: read -r u pw rest < passwd; echo "user $u, rest $rest"

step directories and files
mkdir -p d/sub/deeper
touch d/a.txt d/b.log d/sub/c.txt d/sub/deeper/e.txt
echo data > d/sub/data.txt
ls -1 d
ls -1 d/sub
cp -r d d2
mv d2/a.txt d2/moved.txt
ls d2 | tr '\n' ' '; echo
rm d2/b.log
rmdir d2/sub/deeper 2>&1 | sed 's/^rmdir: //'
rm -r d2
[ -e d2 ] || echo "d2 removed"
chmod 751 d/a.txt
stat -c '%a %s %n' d/a.txt d/sub/data.txt
stat -c '%F' d d/a.txt

step symlinks
ln -s sub/data.txt d/link
readlink d/link
cat d/link
ln -s /no/where d/dangling
[ -L d/dangling ] && [ ! -e d/dangling ] && echo "dangling link"
ln d/sub/data.txt d/hard
stat -c '%h %n' d/hard
realpath d/link | sed "s|^$T|SCRATCH|"

step find
find d -name '*.txt' | sort
find d -type d | sort
find d -type l | sort
find d -name '*.log' -o -name 'e*' | sort
find d -newer /no/such 2>&1 | sed 's/^find: //' | head -n 1

step xargs and tee
seq 1 5 | xargs echo numbers:
printf 'a b\nc\n' | xargs -n 1 echo item
echo teed | tee tee.out | tr a-z A-Z
cat tee.out

step tar
rm d/dangling # diff -r cannot follow it
tar czf d.tgz d
mkdir out
tar xzf d.tgz -C out
diff -r d out/d && echo "tar round trip identical"
tar tzf d.tgz | sort
tar cf - d | tar tf - | wc -l

step gzip
seq 1 1000 > big.txt
gzip -c big.txt > big.txt.gz
gunzip -c big.txt.gz | cmp - big.txt && echo "gzip round trip identical"
cp big.txt b2.txt; gzip b2.txt; [ -f b2.txt.gz ] && [ ! -e b2.txt ] && echo "gzip replaced the file"
gunzip b2.txt.gz; cmp b2.txt big.txt && echo "gunzip restored it"
zcat big.txt.gz | tail -n 1

step dd
dd if=/dev/zero bs=1k count=7 2>/dev/null | wc -c
dd if=/dev/zero of=zeros bs=512 count=3 2>/dev/null; stat -c %s zeros
dd if=nums of=part bs=1 skip=3 count=6 2>/dev/null; od -An -c part
head -c 1000 /dev/zero | tr '\0' 'z' | wc -c

step diff
printf 'a\nb\nc\n' > x1
printf 'a\nB\nc\nd\n' > x2
diff x1 x2 | tail -n +3
diff x1 x1 && echo "no differences"
cmp x1 x2; echo "cmp status $?"

step more text tools
printf 'b\na\nc\n' | tac
echo hello | rev
printf 'one\ntwo\n' | nl
paste -d, x1 x2
printf 'x\ty\n' | expand -t 4 | od -An -c
echo 'Hello' | sed 's/l/L/2'
printf '3\n1\n2\n' | sort | head -n 1
factor 360
echo '2^20' | bc

step shell odds and ends
echo $(( $(echo 4) + $(echo 5) ))
echo "$(echo "nested $(echo quotes)")"
eval 'echo evaluated $((2 + 2))'
echo "${PATH:+PATH is set}"
printf '%s\n' "quoted  spaces" 'single $quote'
echo */ | tr ' ' '\n' | sort | tr '\n' ' '; echo
set -f; echo *; set +f
x="a b c"; set -- $x; echo "$# words"
uname -s

echo "session done after $n steps"
