#!/bin/sh
# /init of the initramfs bench/peers.sh boots User Mode Linux and QEMU
# with: Debian's busybox-static and bench/micro.c's program.  The words
# after "--" on the kernel command line are micro's arguments; words with
# "=" among them are the kernel's own (UML appends root=98:0), not
# micro's.  It powers the machine off at the end, which ends linux.uml
# and qemu-system-x86_64 (-no-reboot).
export PATH=/bin
/bin/busybox --install -s /bin
cd /tmp
for a do
	shift
	case $a in *=*) ;; *) set -- "$@" "$a" ;; esac
done
/bench/micro "$@"
echo "peer-init: micro exited with status $?"
poweroff -f
