# --initrd FILE: a cpio newc archive, plain or gzip, made here with the
# host's cpio and gzip.  A bad one is refused before the guest boots: exit
# status 2 and one "trapvisor: FILE: ..." line naming what is wrong.  A
# good one passes the monitor's checks and the guest boots as it does
# without it (this guest kernel does not read its initrd yet).
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d); trap 'rm -rf "$tmp" "$OUT" "$ERR"' EXIT

# newc ARCHIVE NAME...: pack the NAMEs of $tmp/root, in that order, with
# the host's cpio.  The same order, modes, times, owner and inode numbers
# every run, so the offsets below are fixed and so is the gzip'd file.
newc() {
	local out=$1; shift
	(cd "$tmp/root" && printf '%s\n' "$@" | cpio -o -H newc -R 0:0 --reproducible --quiet) >"$out"
}

umask 022
mkdir -p "$tmp/root/bin" "$tmp/root/sbin" "$tmp/root/dev"
printf '#!/bin/sh\necho this initrd is not run yet\n' >"$tmp/root/init"
chmod 755 "$tmp/root/init"
seq 1 2000 >"$tmp/root/sbin/init"
ln -s ../init "$tmp/root/bin/sh"
mkfifo "$tmp/root/dev/fifo"
find "$tmp/root" -exec touch -h -d @1700000000 {} +
newc "$tmp/good.cpio" . bin bin/sh init sbin sbin/init dev dev/fifo
gzip -9 -n -c "$tmp/good.cpio" >"$tmp/good.cpio.gz"

# refused FILE APPEND: boot with --initrd FILE; it must not get as far as
# the guest.
refused() {
	boot --initrd "$1" --append "$2"
	expect_status 2
	expect_err_lines 1
	expect_err "trapvisor: $1: "
	expect_no_out 'trapvisor guest kernel'
}

# ---- good archives boot ----

for f in good.cpio good.cpio.gz; do
	boot --initrd "$tmp/$f" --append run=hello
	expect_status 0
	expect_out 'hello exited with status 0'
	expect_out 'shutting down (status 0)'
	expect_err_lines 0
	report "a good initrd ($f) passes the checks and the guest boots"
done

(cd "$tmp/root" && printf '%s\n' . sbin sbin/init | cpio -o -H crc -R 0:0 --reproducible --quiet) >"$tmp/crc.cpio"
boot --initrd "$tmp/crc.cpio" --append "run=hello rdinit=/sbin/init"
expect_status 0
expect_out 'hello exited with status 0'
expect_err_lines 0
report "a checksummed (070702) archive with rdinit= naming its program boots"

# ---- bad archives are refused ----

# Offsets: "." at 0, "bin" at 112, "bin/sh" at 228, "init" at 356 (its
# data at 472).
head -c 300 "$tmp/good.cpio" >"$tmp/cut-header.cpio"
refused "$tmp/cut-header.cpio" run=hello
expect_err 'entry 3 at offset 228: truncated header, 72 of its 110 bytes'
report "a cpio archive cut inside a header is refused"

head -c 480 "$tmp/good.cpio" >"$tmp/cut-data.cpio"
refused "$tmp/cut-data.cpio" run=hello
expect_err 'entry "init": its 42 bytes of data at offset 472 run past the end of the archive (480 bytes)'
report "a cpio archive cut inside a file's data is refused"

size=$(stat -c %s "$tmp/good.cpio.gz")
cp "$tmp/good.cpio.gz" "$tmp/flipped.cpio.gz"
printf '\377\377\377\377' | dd of="$tmp/flipped.cpio.gz" bs=1 seek=$((size / 2)) conv=notrunc status=none
refused "$tmp/flipped.cpio.gz" run=hello
expect_err ': gzip: corrupt compressed data ('
report "gzip data with bytes flipped in the middle is refused"

head -c $((size / 2)) "$tmp/good.cpio.gz" >"$tmp/cut.cpio.gz"
refused "$tmp/cut.cpio.gz" run=hello
expect_err ": gzip: truncated: the compressed data ends after $((size / 2)) bytes"
report "gzip data cut short is refused"

head -c $((size - 4)) "$tmp/good.cpio.gz" >"$tmp/nolength.cpio.gz"
refused "$tmp/nolength.cpio.gz" run=hello
expect_err ': gzip: truncated'
report "gzip data without its length is refused"

mkdir "$tmp/root/sub"
(cd "$tmp/root/sub" && printf '%s\n' ../init | cpio -o -H newc -R 0:0 --reproducible --quiet) >"$tmp/escape.cpio"
refused "$tmp/escape.cpio" run=hello
expect_err 'entry "../init": its path climbs out of the archive'"'"'s root through ".."'
report "an entry ../init that escapes the root is refused"

newc "$tmp/noinit.cpio" . sbin sbin/init
refused "$tmp/noinit.cpio" run=hello
expect_err ': no /init in the archive'
report "an archive without /init is refused"
refused "$tmp/noinit.cpio" "run=hello rdinit=/bin/sh"
expect_err ': rdinit=/bin/sh: no such entry in the archive'
report "an archive without the program rdinit= names is refused"

: >"$tmp/empty.cpio"
refused "$tmp/empty.cpio" run=hello
expect_err ': empty file'
report "an empty initrd file is refused"

refused "$tmp/missing.cpio" run=hello
expect_err ': No such file or directory'
report "a missing initrd file is named"
