#!/bin/sh
# mkinitramfs.sh OUT.cpio.gz STAGING [FILE:PATH ...]
# Builds the default initramfs: Debian's busybox-static as /bin/busybox with
# a link for every applet it lists, Debian's bash-static as /bin/bash, the
# skeleton in guest-kernel/initramfs/
# (/init, /etc/passwd, /etc/group, /etc/profile, /sbin/poweroff, reboot and
# halt, which take no link), /etc/mtab as a link to
# /proc/self/mounts, empty /tmp, /proc, /dev, /root and /mnt, and each FILE
# copied to PATH in the image (the guest test programs).  The archive is
# cpio "newc", owned by root, gzip-compressed: what the monitor's --initrd
# takes.
set -eu
out=$1 root=$2
shift 2
busybox=${BUSYBOX:-/bin/busybox}
bash=${BASH_STATIC:-/bin/bash-static}
[ -x "$busybox" ] || { echo "mkinitramfs: $busybox not found (apt-get install busybox-static)" >&2; exit 1; }
[ -x "$bash" ] || { echo "mkinitramfs: $bash not found (apt-get install bash-static)" >&2; exit 1; }
rm -rf "$root"
mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" "$root/tmp" "$root/proc" "$root/dev" "$root/root" "$root/etc" "$root/mnt"
chmod 1777 "$root/tmp"
chmod 700 "$root/root"
cp "$busybox" "$root/bin/busybox"
here=$(dirname "$0")/..
for applet in $("$busybox" --list-full); do
	[ "$applet" = bin/busybox ] && continue
	# The skeleton's own (sbin/poweroff...): no link to write through.
	[ -e "$here/guest-kernel/initramfs/$applet" ] && continue
	[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done
rm -f "$root/bin/bash"
cp "$bash" "$root/bin/bash"
cp -R "$here/guest-kernel/initramfs/." "$root/"
# df and getmntent() read /etc/mtab; on Linux it is the kernel's own table.
[ -L "$root/etc/mtab" ] || [ -e "$root/etc/mtab" ] || ln -s /proc/self/mounts "$root/etc/mtab"
for spec in "$@"; do
	src=${spec%%:*} dst=${spec#*:}
	mkdir -p "$root/$(dirname "$dst")"
	cp "$src" "$root/$dst"
done
(cd "$root" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) | gzip -9n > "$out.tmp"
mv "$out.tmp" "$out"
