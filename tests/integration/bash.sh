# Debian's bash-static from the default initramfs: a script exercising
# arrays, [[ ]], $(...), process substitution through /dev/fd and wait -n
# (tests/guest/bash-features.sh) gives, in the guest, exactly what the
# host's bash-static gives; bash as init exits with the script's status.
. "$(dirname "$0")/lib.sh"
INITRAMFS=${INITRAMFS:-build/initramfs.cpio.gz}
work=$(mktemp -d)
trap 'rm -rf "$OUT" "$ERR" "$work"' EXIT
BASH_STATIC=${BASH_STATIC:-/bin/bash-static}

if ! "$BASH_STATIC" tests/guest/bash-features.sh >"$work/expected" 2>&1; then
	why+="the host's bash-static could not run the script; "
fi
CHECK=--shadow-check=50 boot --initrd "$INITRAMFS" --append "rdinit=/bin/bash -- /tests/bash-features.sh"
expect_status 0
sed -n '/^== begin$/,/^== end$/p' "$OUT" >"$work/guest"
if ! diff -u "$work/expected" "$work/guest" >"$work/diff"; then
	why+="the guest's output differs from the host's: $(grep '^[-+][^-+]' "$work/diff" | head -4 | tr '\n' '|'); "
fi
expect_no_out 'not implemented'
report "a bash script (arrays, [[ ]], \$(...), process substitution, wait -n) prints what the host's bash prints ($(wc -l <"$work/expected") lines)"

boot --initrd "$INITRAMFS" --append "rdinit=/bin/bash -- -c exit\${IFS}9"
expect_status 9
report "bash as init: its exit status is the VM's"
