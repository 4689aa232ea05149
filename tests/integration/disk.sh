# The ATA disk (--disk FILE[,ro], devices/ata.c): a guest program reads and
# writes it as /dev/sda with plain libc calls (guest-kernel/musl/disktest.c),
# and what it wrote is in the image file afterwards.
. "$(dirname "$0")/lib.sh"
img=$(mktemp) img2=$(mktemp)
trap 'rm -f "$OUT" "$ERR" "$img" "$img2"' EXIT

# A 1 MiB image: a line of text at the start, a pattern everywhere else.
make_image() {
	python3 -c "import sys; d = bytearray((i * 7 + 3) & 0xff for i in range(1 << 20)); \
t = b'TRAPVISOR TEST DISK\n'; d[:len(t)] = t; open(sys.argv[1], 'wb').write(d)" "$1"
}

# The same program and checks through both ways to the disk: the ATA ports
# (nopv) and the paravirtual HC_BLK_IO (the default when offered).
for way in ata pv; do
	if [ $way = ata ]; then extra=nopv seen='ata: trapvisor disk, 2048 sectors (1 MiB)'
	else extra= seen='pvblk: 2048 sectors (1 MiB), paravirtual'; fi
	make_image "$img"
	cp "$img" "$img2"
	boot --stats --disk "$img" --append "run=disktest $extra"
	expect_status 0
	expect_out "$seen"
	expect_out 'disktest: /dev/sda is 1048576 bytes'
	expect_out 'disktest: sector 0 says "TRAPVISOR TEST DISK"'
	expect_out 'disktest: ok'
	expect_err 'sectors read'
	# The file now holds the line at byte 3000, and nothing else changed.
	python3 - "$img" "$img2" <<'PY' || why+="the image file does not hold exactly what the guest wrote; "
import sys
a, b = open(sys.argv[1], 'rb').read(), bytearray(open(sys.argv[2], 'rb').read())
msg = b"written by disktest, across a sector boundary"
b[3000:3000 + len(msg)] = msg
sys.exit(0 if a == bytes(b) else 1)
PY
	report "$way: a guest program reads and writes the disk as /dev/sda; the image holds its write"

	make_image "$img"
	cp "$img" "$img2"
	boot --disk "$img,ro" --append "run=disktest $extra"
	expect_out 'disktest: sector 0 says "TRAPVISOR TEST DISK"'
	expect_out 'disktest: write: I/O error'
	cmp -s "$img" "$img2" || why+="a read-only image changed; "
	report "$way: --disk FILE,ro: reads work, writes fail with EIO, the file is unchanged"
done

make_image "$img"
boot --disk "$img" --append "blkcheck"
expect_status 0
expect_out 'blkcheck: past the end -22, bad request -22, too long -22, buffer outside RAM -14, flush 0'
report "HC_BLK_IO refuses bad requests with an errno and the VM goes on"

boot --append "run=disktest"
expect_status 1
expect_out 'disktest: open /dev/sda: No such device or address'
expect_no_out 'ata: '
expect_no_out 'pvblk: '
report "without --disk there is no disk either way: /dev/sda is ENXIO"

boot --disk /nonexistent/disk.img
expect_status 2
expect_err 'disk /nonexistent/disk.img: No such file or directory'
report "--disk with a missing file: one line, exit 2"

head -c 1000 /dev/zero >"$img"
boot --disk "$img"
expect_status 2
expect_err 'size 1000 bytes is not a whole number of 512-byte sectors'
report "--disk with a size that is not whole sectors: one line, exit 2"

make_image "$img"
exec 9<"$img"
flock -x 9
boot --disk "$img"
expect_status 2
expect_err 'in use by another process'
flock -u 9
exec 9<&-
report "--disk refuses an image another process holds locked"
