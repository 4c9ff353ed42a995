#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# PID 1 of the vm tests' guest (busybox sh; mkinitramfs.sh installs it as /init).
#
# Mounts the API filesystems, brings up lo, insmods the modules listed in
# /etc/faultline-vm/modules (in dependency order, resolved on the host), runs
# /test/script with bash under a time limit, prints
#   FAULTLINE-VM-RESULT nonce=NONCE rc=N
# on the serial console and powers off. run-vm.sh reads the rc from that line; the
# nonce (from /etc/faultline-vm/config) keeps anything else from faking it.
# Setup failures report rc=125 after a FAULTLINE-VM-SETUP-ERROR line.
export PATH=/usr/sbin:/usr/bin HOME=/root TERM=dumb

# The initramfs has no /dev/console node (building one needs mknod, so root), so
# PID 1 starts without stdio: get it from devtmpfs first.
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1

NONCE='unset'
GUEST_TIMEOUT=240
. /etc/faultline-vm/config

uptime_s() { cut -d ' ' -f 1 /proc/uptime 2>/dev/null || echo '?'; }

finish() {
	echo
	echo "FAULTLINE-VM-RESULT nonce=$NONCE rc=$1 uptime=$(uptime_s)"
	sync
	poweroff -f
	# Should poweroff fail, PID 1 exiting panics the kernel; with panic=-1 it
	# reboots at once, which qemu's -no-reboot turns into an exit.
	sleep 5
	exit 1
}

setup_error() {
	echo "FAULTLINE-VM-SETUP-ERROR: $*"
	finish 125
}

mount -t proc proc /proc || setup_error "mount proc"
mount -t sysfs sysfs /sys || setup_error "mount sysfs"
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts || setup_error "mount devpts"
mount -t tmpfs tmpfs /dev/shm || setup_error "mount /dev/shm"
mount -t tmpfs tmpfs /tmp || setup_error "mount /tmp"
mount -t tmpfs tmpfs /run || setup_error "mount /run"
mount -t cgroup2 cgroup2 /sys/fs/cgroup || setup_error "mount cgroup2 on /sys/fs/cgroup"
hostname faultline-vm

echo "FAULTLINE-VM-INIT kernel=$(uname -r) uptime=$(uptime_s)"

/usr/sbin/ip link set lo up || setup_error "ip link set lo up"
while read -r mod; do
	[ -n "$mod" ] || continue
	insmod "/lib/modules/$mod.ko" || setup_error "insmod $mod failed"
done </etc/faultline-vm/modules

cd /test || setup_error "no /test"
echo "FAULTLINE-VM-SCRIPT start uptime=$(uptime_s)"
timeout -k 5 "$GUEST_TIMEOUT" /usr/bin/bash /test/script
rc=$?
case $rc in
143 | 137) echo "FAULTLINE-VM: the test script ran out of its ${GUEST_TIMEOUT} s" ;;
esac
finish "$rc"
