#!/bin/bash
# bash-features.sh: what bash scripts lean on, each printing something that
# depends on it working: indexed and associative arrays, [[ ]] with globs
# and regular expressions, nested $(...), arithmetic, process substitution
# both ways (through /dev/fd), mapfile, here-strings, brace expansion,
# functions with recursion, wait -n, pipefail, traps in subshells.
# tests/integration/bash.sh runs it in the guest and under the host's
# bash-static and compares the two outputs line for line.
echo "== begin"
a=(zero one two "three four")
echo "${#a[@]} ${a[3]} ${a[*]:1:2}"
a+=(five)
unset 'a[1]'
echo "indices ${!a[*]}"
declare -A m=([x]=1 [y]=2)
m[z]=3
for k in $(printf '%s\n' "${!m[@]}" | sort); do echo "$k=${m[$k]}"; done
[[ abc == a* ]] && echo glob
[[ foo =~ ^f(o+)$ ]] && echo "re ${BASH_REMATCH[1]}"
[[ -d / && ! -e /nonexistent ]] && echo files
x=$(echo outer $(echo inner))
echo "$x"
echo "$(( 2 ** 10 )) $(( 7 % 3 )) $(( (5 > 3) ? 1 : 0 ))"
cat <(echo via-cat)
mapfile -t lines < <(printf 'l1\nl2\nl3\n')
echo "mapfile ${#lines[@]} ${lines[1]}"
read -r w < <(echo word)
echo "read $w"
echo to-sub > >(tr a-z A-Z)
wait $!
exec 3< <(echo fd3)
read -r l <&3
exec 3<&-
echo "$l"
tr a-z A-Z <<< "here string"
echo {1..5} {a,b}{x,y}
printf -v v '%05d' 42
echo "$v"
fact() { local n=$1; if (( n <= 1 )); then echo 1; else echo $(( n * $(fact $((n - 1))) )); fi; }
echo "fact $(fact 10)"
s="Hello, World"
echo "${s,,} ${s^^} ${s/World/There} ${s:7} ${#s}"
sleep 1 &
slow=$!
(exit 7) &
wait -n
echo "wait -n: $?"
wait "$slow"
echo "sleep: $?"
set -o pipefail
false | true
echo "pipefail $?"
set +o pipefail
( trap 'echo sub-exit' EXIT; echo in-sub )
case "$BASH_VERSION" in 5.*) echo bash5 ;; *) echo "bash $BASH_VERSION" ;; esac
echo "== end"
