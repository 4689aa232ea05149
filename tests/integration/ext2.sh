# ext2 on the disk (guest-kernel/fs/ext2/, docs/ARCHITECTURE.md "ext2 and
# the root on the disk"): what the guest writes, e2fsck finds clean and
# debugfs reads back identical; what mke2fs -d puts in an image, the guest
# reads identical; bad images fail the mount with a line naming the
# problem, never a panic; root=/dev/sda, switch_root, read-only disks.
# The big case goes through the paravirtual disk, the smaller ones
# through the emulated ATA disk (nopv) with 1 and 2 KiB blocks.
# The crash-consistency test is ext2-crash.sh.
. "$(dirname "$0")/lib.sh"
INITRAMFS=${INITRAMFS:-build/initramfs.cpio.gz}
STAGING=${STAGING:-build/initramfs-root}       # what the initramfs holds (tools/mkinitramfs.sh)
tmp=$(mktemp -d)
trap 'rm -rf "$OUT" "$ERR" "$tmp"' EXIT
# The shadow checker every 100 stops, not every stop: the file system is
# under test here, and a check at every stop makes these boots minutes long.
CHECK=${EXT2_CHECK:---shadow-check=100}
export PATH="$PATH:/sbin:/usr/sbin"
for t in mke2fs e2fsck debugfs dumpe2fs; do
	command -v $t >/dev/null || { echo "FAIL ext2: $t not found (apt-get install e2fsprogs)"; exit 1; }
done

# feed INPUT ARGS...: boot with INPUT as the console's input.
feed() {
	local input=$1
	shift
	printf '%s' "$input" | timeout "$(limit 300)" "$TRAPVISOR" $CHECK "$@" >"$OUT" 2>"$ERR"
	STATUS=$?
}

# put IMG FILE PATH: copy a host file into the image, executable.
put() {
	debugfs -w -R "write $2 $3" "$1" >/dev/null 2>&1 &&
		debugfs -w -R "sif $3 mode 0100755" "$1" >/dev/null 2>&1
}

# A root image: the initramfs's tree (busybox, /init) and mktree.
root_image() {   # IMG SIZE BLOCKSIZE
	mke2fs -q -F -t ext2 -b "$3" -E root_owner=0:0 -d "$STAGING" "$1" "$2" >/dev/null &&
		put "$1" build/guest/user/mktree.elf /bin/mktree
}

fsck_clean() {
	e2fsck -fn "$1" >"$tmp/fsck" 2>&1 || why+="e2fsck -fn finds problems: $(grep -v '^Pass\|^e2fsck' "$tmp/fsck" | head -4 | tr '\n' ' '); "
}

state_is() {
	local s; s=$(dumpe2fs -h "$1" 2>/dev/null | sed -n 's/^Filesystem state: *//p')
	[ "$s" = "$2" ] || why+="superblock state '$s', wanted '$2'; "
}

# The same tree built natively by the same program.
musl-gcc -O2 -static -o "$tmp/mktree" guest-kernel/musl/mktree.c || { echo "FAIL ext2: cannot build mktree natively"; exit 1; }

# compare IMG NATIVE: the image's /t (read by debugfs, the sparse file
# apart) against the native tree: names, types, permission bits, sizes,
# symlink targets, SHA-256 of every file.
compare_tree() {
	rm -rf "$tmp/out" && mkdir "$tmp/out"
	local entries
	entries=$(cd "$2" && ls -A | grep -vx sparse | sed 's|^|/t/|' | tr '\n' ' ')
	debugfs -R "rdump $entries $tmp/out" "$1" >/dev/null 2>&1
	python3 - "$2" "$tmp/out" <<'PY' || why+="the tree debugfs reads differs from the native one: $(cat "$tmp/diff"); "
import hashlib, os, stat, sys
def walk(root):
    out = {}
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            p = os.path.join(d, n); rel = os.path.relpath(p, root)
            if rel == 'sparse': continue
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode): v = ('link', os.readlink(p))
            elif stat.S_ISDIR(st.st_mode): v = ('dir', oct(st.st_mode & 0o7777))
            else: v = ('file', oct(st.st_mode & 0o7777), st.st_size, hashlib.sha256(open(p, 'rb').read()).hexdigest())
            out[rel] = v
    return out
a, b = walk(sys.argv[1]), walk(sys.argv[2])
bad = [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
open(sys.argv[2] + '/../diff', 'w').write('%d of %d entries differ, e.g. %s' % (len(bad), len(a), [(k, a.get(k), b.get(k)) for k in bad[:2]]))
sys.exit(1 if bad else 0)
PY
}

# check_sparse IMG BSIZE: /t/sparse holds exactly its five pieces, at
# their offsets, each in a block of its own, and nothing else.
check_sparse() {
	debugfs -R "stat /t/sparse" "$1" 2>/dev/null >"$tmp/sparse"
	python3 - "$1" "$2" "$tmp/sparse" <<'PY' || why+="the sparse file is not what was written: $(cat "$tmp/sparse.why"); "
import re, sys
img, bs, st = sys.argv[1], int(sys.argv[2]), open(sys.argv[3]).read()
why = []
size = int(re.search(r'Size: (\d+)', st).group(1))
if size != 4400000000 + len('block 4 at 4400000000\n'): why.append('size %d' % size)
data = {}
for m in re.finditer(r'\((\d+)(?:-(\d+))?\):(\d+)', st):
    lo, hi, p = int(m.group(1)), int(m.group(2) or m.group(1)), int(m.group(3))
    for i in range(lo, hi + 1): data[i] = p + i - lo
if 'TIND' not in st and bs == 1024: why.append('no triple indirect block')
at = [0, 70000, 5000000, 300000000, 4400000000]
want = {}
for i, off in enumerate(at):
    want.setdefault(off // bs, []).append((off % bs, b'block %d at %d\n' % (i, off)))
if sorted(data) != sorted(want): why.append('data blocks %s, wanted %s' % (sorted(data), sorted(want)))
with open(img, 'rb') as f:
    for lb, pieces in want.items():
        if lb not in data: continue
        f.seek(data[lb] * bs); blk = f.read(bs)
        for o, text in pieces:
            if blk[o:o + len(text)] != text: why.append('block %d lacks %r' % (lb, text))
open(sys.argv[3] + '.why', 'w').write('; '.join(why))
sys.exit(1 if why else 0)
PY
}

# ---- A new user: a tree of files on the root file system, paravirtual disk ----
rm -rf "$tmp/native"
"$tmp/mktree" "$tmp/native" 1 3000 100 >/dev/null || { echo "FAIL ext2: native mktree"; exit 1; }
root_image "$tmp/pv.img" 512M 4096
feed 'mktree /t 1 3000 100
sync
stat -f -c "statfs %b %f %c %d" /
poweroff
' --disk "$tmp/pv.img" --append "root=/dev/sda"
expect_out 'ext2 (sda): mounted read-write, 4096-byte blocks, 131072 blocks'
expect_out 'mktree: 1500 files, 181470103 bytes written'
expect_no_out 'panic'
fsck_clean "$tmp/pv.img"
state_is "$tmp/pv.img" clean
compare_tree "$tmp/pv.img" "$tmp/native"
check_sparse "$tmp/pv.img" 4096
debugfs -R "stat /t/d05/hardlink" "$tmp/pv.img" 2>/dev/null | grep -q 'Links: 2' || why+="the hard link does not count 2 links; "
# statfs in the guest said what the superblock says after the shutdown.
read -r nb fb ni fi <<<"$(dumpe2fs -h "$tmp/pv.img" 2>/dev/null |
	awk -F: '/^Block count/{nb=$2} /^Free blocks/{b=$2} /^Inode count/{ni=$2} /^Free inodes/{i=$2} END{print nb+0, b+0, ni+0, i+0}')"
expect_out "statfs $nb $fb $ni $fi"
report "pv: 3000 files, 100 MiB and a sparse file written as root, half removed, some renamed: e2fsck clean, debugfs reads the same tree"

# ---- The same through ATA, 1 KiB blocks (the triple indirect block) ----
rm -rf "$tmp/native"
"$tmp/mktree" "$tmp/native" 2 400 6 >/dev/null
root_image "$tmp/ata.img" 64M 1024
feed 'mktree /t 2 400 6
poweroff
' --disk "$tmp/ata.img" --append "root=/dev/sda nopv"
expect_out 'ata: trapvisor disk'
expect_out 'ext2 (sda): mounted read-write, 1024-byte blocks'
expect_out 'mktree: 200 files'
fsck_clean "$tmp/ata.img"
state_is "$tmp/ata.img" clean
compare_tree "$tmp/ata.img" "$tmp/native"
check_sparse "$tmp/ata.img" 1024
report "ata: 1 KiB blocks: a tree with a sparse file past 4 GiB (triple indirect): e2fsck clean, debugfs reads the same tree"

# ---- 2 KiB blocks, mounted from the initramfs ----
rm -rf "$tmp/native" "$tmp/stage2" && mkdir -p "$tmp/stage2/bin"
"$tmp/mktree" "$tmp/native" 3 300 2 >/dev/null
cp build/guest/user/mktree.elf "$tmp/stage2/bin/mktree"
mke2fs -q -F -t ext2 -b 2048 -d "$tmp/stage2" "$tmp/k2.img" 32M >/dev/null
feed 'mount -t ext2 /dev/sda /mnt && /mnt/bin/mktree /mnt/t 3 300 2
grep sda /proc/mounts
df /mnt | tail -1
umount /mnt && echo unmounted
exit
' --stats --initrd "$INITRAMFS" --disk "$tmp/k2.img" --append nopv
expect_out 'ext2 (sda): mounted read-write, 2048-byte blocks'
# umount flushed the drive: FLUSH CACHE reached fdatasync in the monitor.
[ "$(err_number 'written, ' ' flushes')" -gt 0 ] 2>/dev/null || why+="no flush reached the image (--stats: $(grep 'disk:' "$ERR")); "
expect_out '/dev/sda /mnt ext2 rw 0 0'
expect_out 'unmounted'
fsck_clean "$tmp/k2.img"
state_is "$tmp/k2.img" clean
compare_tree "$tmp/k2.img" "$tmp/native"
report "ata: 2 KiB blocks: mount, a tree written, umount (FLUSH CACHE, fdatasync) from the initramfs: clean, the same tree"

# ---- The reverse: a tree made on the host, read in the guest ----
src=$tmp/src
rm -rf "$src" && mkdir -p "$src/deep"
d=$src/deep
for i in $(seq 1 40); do d=$d/level$i; done
mkdir -p "$d" && echo "at the bottom" >"$d/bottom.txt"
printf 'hello\n' >"$src/plain"
printf 'space\n' >"$src/name with spaces"
printf 'utf8\n' >"$src/grüße-日本語-ñ"
mkdir "$src/dír ünïcode" && printf 'x%.0s' $(seq 1 5000) >"$src/dír ünïcode/five-k"
head -c 3000000 /dev/urandom >"$src/random3m"
ln "$src/plain" "$src/hardlink-to-plain"
ln -s plain "$src/fast-symlink"
ln -s "$(printf '../%.0s' $(seq 1 30))long/target/past/sixty/bytes" "$src/slow-symlink"
truncate -s 200M "$src/sparse" && printf 'tail' | dd of="$src/sparse" bs=1 seek=100000000 conv=notrunc 2>/dev/null
mkfifo "$src/fifo"
chmod 0741 "$src/plain"
devices=""
if mknod "$src/null-dev" c 1 3 2>/dev/null && mknod "$src/sda-dev" b 8 0 2>/dev/null; then
	devices=", device nodes"
fi
mke2fs -q -F -t ext2 -d "$src" "$tmp/rev.img" 64M >/dev/null
# The listing: every entry's type, size, mode, links, device numbers, and
# the checksum of every regular file, by busybox on both sides.
listing='cd $ROOT && busybox find . -exec busybox stat -c "%n|%F|%s|%a|%h|%t:%T" {} + | LC_ALL=C busybox sort; busybox find . -type f -exec busybox sha256sum {} + | LC_ALL=C busybox sort'
# Directory sizes depend on the file system's block size, and the image's
# root has lost+found besides: those are left out.
normalize() { sed -e 's/|directory|[0-9]*|/|directory||/' | grep -v '^\./lost+found\|^\.|' | tr -d '\r'; }
(ROOT=$src; eval "$listing") | normalize >"$tmp/host.list"
for way in pv ata; do
	extra=; [ $way = ata ] && extra=nopv
	feed "mount -t ext2 -o ro /dev/sda /mnt && echo mounted
ROOT=/mnt; { $listing; } >/tmp/list 2>&1; echo ===; cat /tmp/list; echo ===
exit
" --initrd "$INITRAMFS" --disk "$tmp/rev.img" --append "$extra"
	expect_out 'ext2 (sda): mounted read-only'
	sed -n '/^===/,/^===/p' "$OUT" | grep -v '^===' | normalize >"$tmp/guest.list"
	[ -s "$tmp/guest.list" ] && cmp -s "$tmp/host.list" "$tmp/guest.list" ||
		why+="the guest's listing differs from the host's: $(diff "$tmp/host.list" "$tmp/guest.list" | head -4 | tr '\n' ' '); "
	report "$way: an image made by mke2fs -d (symlinks, hard links$devices, a FIFO, a sparse file, 40 levels, spaces and UTF-8 in names) reads the same in the guest"
done

# ---- An htree directory (dir_index): read linearly, changed without its index ----
rm -rf "$tmp/stage4" && mkdir -p "$tmp/stage4/big-dir"
for i in $(seq 1 600); do : >"$tmp/stage4/big-dir/entry-with-a-longish-name-$i"; done
mke2fs -q -F -t ext2 -b 1024 -d "$tmp/stage4" "$tmp/htree.img" 16M >/dev/null
e2fsck -fyD "$tmp/htree.img" >/dev/null 2>&1     # -D builds the index
debugfs -R "htree /big-dir" "$tmp/htree.img" 2>&1 | grep -q 'Root node dump' ||
	why+="e2fsck -D did not index /big-dir (the case tests nothing); "
feed 'mount -t ext2 /dev/sda /mnt && ls /mnt/big-dir | wc -l
ls /mnt/big-dir/entry-with-a-longish-name-599 && touch /mnt/big-dir/new-one && rm /mnt/big-dir/entry-with-a-longish-name-7
mv -f /mnt/big-dir/entry-with-a-longish-name-8 /mnt/big-dir/entry-with-a-longish-name-9
echo "now $(ls /mnt/big-dir | wc -l)"; umount /mnt && echo unmounted
exit
' --initrd "$INITRAMFS" --disk "$tmp/htree.img" --append nopv
expect_out '600'
expect_out 'now 599'
expect_out '/mnt/big-dir/entry-with-a-longish-name-599'
expect_out 'unmounted'
fsck_clean "$tmp/htree.img"
debugfs -R "ls /big-dir" "$tmp/htree.img" 2>/dev/null | grep -q 'new-one' || why+="new-one is not in the image; "
report "an htree directory of 600 entries: listed, looked up, changed (a name added, one removed, one renamed over another); e2fsck clean afterwards"

# ---- Bad images: the mount fails with a line naming the problem ----
# bad NAME IMAGE-MAKER EXPECTED-LINE
bad() {
	feed 'mount -t ext2 /dev/sda /mnt; echo "mount status $?"
exit
' --initrd "$INITRAMFS" --disk "$tmp/bad.img"
	expect_status 0
	expect_out "$2"
	expect_out 'mount status 255'
	expect_no_out 'panic'
	report "bad image: $1: the mount fails with '$2'"
}
good() { mke2fs -q -F -t ext2 -b 1024 "$tmp/bad.img" 8M >/dev/null; }

head -c 1048576 /dev/zero >"$tmp/bad.img"
bad "not ext2" "not an ext2 file system: no magic number 0xef53"
good && truncate -s 4M "$tmp/bad.img"
bad "truncated" "the file system has 8192 blocks of 1024 bytes but the disk holds only 4096"
good && debugfs -w -R "ssv inodes_per_group 0" "$tmp/bad.img" 2>/dev/null
bad "corrupted superblock" "corrupted superblock: 0 inodes per group"
good && debugfs -w -R "set_bg 0 inode_table 9999999" "$tmp/bad.img" 2>/dev/null
bad "corrupted group descriptor" "corrupted group descriptor 0: inode table at block 9999999, outside the file system"
good && debugfs -w -R "sif <2> block[0] 7777777" "$tmp/bad.img" 2>/dev/null
bad "root inode pointing outside the disk" "the root directory's first block cannot be read"
mke2fs -q -F -t ext4 "$tmp/bad.img" 8M >/dev/null
bad "ext4 (extents)" "cannot mount: unsupported feature extent"

# A file whose block lies outside: the mount works, reading it fails.
mkdir -p "$tmp/stage3" && echo "fine" >"$tmp/stage3/good" && echo "doomed" >"$tmp/stage3/bad"
mke2fs -q -F -t ext2 -d "$tmp/stage3" "$tmp/bad.img" 8M >/dev/null
debugfs -w -R "sif /bad block[0] 7777777" "$tmp/bad.img" 2>/dev/null
feed 'mount -t ext2 /dev/sda /mnt && cat /mnt/good; cat /mnt/bad; echo "cat status $?"
exit
' --initrd "$INITRAMFS" --disk "$tmp/bad.img"
expect_status 0
expect_out 'fine'
expect_out 'block 7777777 is outside the file system'
expect_out 'cat status 1'
expect_no_out 'panic'
report "bad image: an inode pointing outside the disk: reading it fails with EIO and a line, the guest goes on"

# ---- Read-only ----
root_image "$tmp/ro.img" 64M 4096
cp "$tmp/ro.img" "$tmp/ro.orig"
feed 'touch /newfile; echo "touch status $?"
poweroff -f
' --disk "$tmp/ro.img,ro" --append "root=/dev/sda"
expect_out 'ext2 (sda): the disk refuses writes: mounting read-only'
expect_out 'touch status 1'
cmp -s "$tmp/ro.img" "$tmp/ro.orig" || why+="the read-only image changed; "
report "--disk FILE,ro with root=/dev/sda: mounted read-only, writes fail, the image is unchanged"

feed 'grep sda /proc/mounts; touch /newfile; echo "touch status $?"
mount -o remount,rw / && touch /newfile && echo "now rw"
poweroff -f
' --disk "$tmp/ro.img" --append "root=/dev/sda ro"
expect_out '/dev/sda / ext2 ro 0 0'
expect_out 'touch status 1'
expect_out 'now rw'
expect_out 'reboot(2): shutting down (status 0)'
expect_status 0
state_is "$tmp/ro.img" clean
debugfs -R "stat /newfile" "$tmp/ro.img" 2>/dev/null | grep -q 'Type: regular' || why+="/newfile is not in the image; "
report "root=/dev/sda ro: read-only until remount,rw; poweroff -f (reboot(2)) leaves it clean"

# ---- switch_root from the initramfs ----
# (switch_root must run as process 1: the shell is init itself here, as in
# an initramfs whose /init is a script that ends in switch_root.)
root_image "$tmp/sw.img" 64M 4096
feed 'mount -t ext2 /dev/sda /mnt && exec switch_root /mnt /bin/sh
mount -t proc proc /proc
echo "switched: $(grep " / " /proc/mounts | tail -1)"
echo persisted > /switched && sync && cat /switched
exec 3>/orphan && echo open but unlinked >&3 && rm /orphan
poweroff -f
' --initrd "$INITRAMFS" --disk "$tmp/sw.img" --append "rdinit=/bin/sh"
expect_out 'switched: /dev/sda / ext2 rw 0 0'
expect_out 'persisted'
[ "$(debugfs -R "cat /switched" "$tmp/sw.img" 2>/dev/null)" = persisted ] || why+="/switched is not in the image; "
fsck_clean "$tmp/sw.img"
report "the initramfs mounts /dev/sda and switch_root's to it; what it writes there is on the disk; a file open but unlinked at poweroff is freed"
