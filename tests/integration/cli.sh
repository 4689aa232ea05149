# Bad command lines and bad input files: one clear line, exit status 2.
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d); trap 'rm -rf "$tmp" "$OUT" "$ERR"' EXIT

for m in 0 1T abc 12Q; do
	boot -m "$m"
	expect_status 2
	expect_err_lines 1
	expect_err "$m"
	report "-m $m is refused with one line"
done

boot --backend=kvm "$KERNEL"
expect_status 2
expect_err_lines 1
expect_err '--backend kvm: not ptrace or signal'
report "--backend takes ptrace or signal only"

boot --signal-spin -1 "$KERNEL"
expect_status 2
expect_err_lines 1
expect_err '--signal-spin -1: expected a whole number'
report "--signal-spin takes a count only"

boot --map-on-resume=maybe "$KERNEL"
expect_status 2
expect_err_lines 1
expect_err '--map-on-resume maybe: expected on or off'
report "--map-on-resume takes on or off only"

boot "$tmp/no-such-kernel.elf"
expect_status 2
expect_err_lines 1
expect_err 'no-such-kernel.elf'
expect_err 'No such file'
report "a missing kernel file is named"

echo "not a kernel" >"$tmp/text.elf"
boot "$tmp/text.elf"
expect_status 2
expect_err_lines 1
expect_err 'not an ELF'
report "a corrupt kernel image is refused"

head -c 100 "$KERNEL" >"$tmp/trunc.elf"
boot "$tmp/trunc.elf"
expect_status 2
expect_err_lines 1
report "a truncated kernel image is refused"

boot --initrd "$tmp/missing.cpio"
expect_status 2
expect_err 'missing.cpio'
report "a missing initrd is named"

boot --help
expect_status 0
expect_out 'usage:'
expect_out '--memory'
report "--help prints usage and exits 0"

boot --version
expect_status 0
expect_out 'trapvisor'
report "--version"

boot --bogus-option
expect_status 2
report "an unknown option exits 2"

for bad in "--shadow-contexts 1" "--shadow-contexts 65" "--shadow-prefetch -1" "--shadow-prefetch x" "--shadow-check=0"; do
	boot $bad
	expect_status 2
	expect_err_lines 1
	expect_err "${bad%%[ =]*}"
	report "$bad is refused with one line"
done

boot --bench-log "$tmp/no-such-dir/marks.csv"
expect_status 2
expect_err 'no-such-dir/marks.csv'
report "an unwritable --bench-log file is named"
