#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# run-vm.sh [OPTIONS] SCRIPT [MODULES...]: runs SCRIPT (bash) as root inside a
# Debian cloud kernel booted under qemu, with MODULES insmodded first, and exits
# with SCRIPT's exit code.
#
# Options:
#   --disk SIZE_MB     attach an empty raw virtio disk, /dev/vda in the guest
#                      ($FAULTLINE_VM_DISK); loads virtio_pci and virtio_blk. The
#                      image is a sparse file in CACHE/disks, deleted on exit
#   --bin PATH[:DEST]  one more executable (with its libraries) in the guest
#   --file SRC:DEST    one more file in the guest
#   --timeout SEC      hard limit on the whole boot (default 300)
#   --memory MB        guest memory (default 1024)
#
# The guest runs SCRIPT as /test/script from /test, next to /test/lib.sh
# (guest/lib.sh). Its environment has FAULTLINED_BIN=/usr/bin/faultlined and
# FAULTLINE_BIN=/usr/bin/faultline when the host's are set, and the host's
# ASAN_OPTIONS and UBSAN_OPTIONS. Its output is printed here; the whole serial
# console is kept in CACHE/logs/NAME.console.log.
#
# Exits 77 (skipped) when qemu, busybox, cpio or the kernel package is missing,
# saying what. A boot that ends without the result marker is a failure.
#
# Environment: FAULTLINE_VM_KVM=1 uses KVM (opt-in: a KVM guest hangs on the
# machines this was written on; TCG is the default). FAULTLINE_VM_CACHE overrides
# the cache directory (default $FAULTLINE_BUILD_DIR/vm-cache). FAULTLINE_VM_APPEND
# adds to the kernel command line.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

t_start=$(vm_now)
disk_mb='' timeout_s=300 memory_mb=1024
extra=()
while [ $# -gt 0 ]; do
	case $1 in
	--disk) disk_mb=$2 && shift 2 ;;
	--bin) extra+=(--bin "$2") && shift 2 ;;
	--file) extra+=(--file "$2") && shift 2 ;;
	--timeout) timeout_s=$2 && shift 2 ;;
	--memory) memory_mb=$2 && shift 2 ;;
	--) shift && break ;;
	-*) vm_die "run-vm.sh: unknown option $1" ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || vm_die "usage: run-vm.sh [--disk SIZE_MB] [--bin PATH[:DEST]] [--file SRC:DEST] [--timeout SEC] [--memory MB] SCRIPT [MODULES...]"
script=$1
shift
modules=("$@")
[ -f "$script" ] || vm_die "no test script $script"
for n in "$timeout_s" "$memory_mb" ${disk_mb:+"$disk_mb"}; do
	[[ $n =~ ^[1-9][0-9]*$ ]] || vm_die "not a positive number: $n"
done
[ "$timeout_s" -ge 60 ] || vm_die "--timeout must be at least 60 s (boot alone takes seconds under TCG)"

vm_require_tool qemu-system-x86_64 qemu-system-x86
vm_require_tool timeout coreutils
vm_require_tool cpio cpio
[ -x "${FAULTLINE_VM_BUSYBOX:-/bin/busybox}" ] ||
	vm_skip "${FAULTLINE_VM_BUSYBOX:-/bin/busybox} is missing (Debian package busybox-static)"

if [ "${FAULTLINE_VM_KVM:-0}" = 1 ] && ! { [ -r /dev/kvm ] && [ -w /dev/kvm ]; }; then
	vm_die "FAULTLINE_VM_KVM=1 but /dev/kvm is missing or not usable (unset it to use TCG)"
fi

cache=$(vm_cache_dir)
mkdir -p "$cache/logs"
cache=$(cd "$cache" && pwd)
name=$(basename "$script" .sh)
log=$cache/logs/$name.console.log

tmp=$(mktemp -d "${TMPDIR:-/tmp}/faultline-vm.XXXXXX")
qemu_pid=''
disk_img=''
cleanup() {
	if [ -n "$qemu_pid" ]; then
		kill "$qemu_pid" 2>/dev/null || true
		wait "$qemu_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
	[ -z "$disk_img" ] || rm -f "$disk_img"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- kernel -----------------------------------------------------------------
rc=0
"$here/fetch-kernel.sh" "$cache" >"$tmp/kernel.env" || rc=$?
[ "$rc" = 0 ] || exit "$rc"
VMLINUZ='' MODULES_DIR='' KERNEL_RELEASE='' DEB_BYTES=0
while IFS='=' read -r k v; do
	case $k in
	VMLINUZ | MODULES_DIR | KERNEL_RELEASE | DEB_BYTES) printf -v "$k" '%s' "$v" ;;
	esac
done <"$tmp/kernel.env"
[ -f "$VMLINUZ" ] && [ -d "$MODULES_DIR" ] || vm_die "fetch-kernel.sh gave no kernel: $(cat "$tmp/kernel.env")"

# --- initramfs --------------------------------------------------------------
# squote VALUE: VALUE single-quoted for the guest's busybox sh.
squote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
nonce=$(tr -d '-' </proc/sys/kernel/random/uuid)
guest_timeout=$((timeout_s - 45))
{
	echo "NONCE=$nonce"
	echo "GUEST_TIMEOUT=$guest_timeout"
	[ -z "${FAULTLINED_BIN:-}" ] || echo "export FAULTLINED_BIN=/usr/bin/faultlined"
	[ -z "${FAULTLINE_BIN:-}" ] || echo "export FAULTLINE_BIN=/usr/bin/faultline"
	[ -z "${ASAN_OPTIONS:-}" ] || echo "export ASAN_OPTIONS=$(squote "$ASAN_OPTIONS")"
	[ -z "${UBSAN_OPTIONS:-}" ] || echo "export UBSAN_OPTIONS=$(squote "$UBSAN_OPTIONS")"
	[ -z "$disk_mb" ] || echo "export FAULTLINE_VM_DISK=/dev/vda"
} >"$tmp/config"
if [ -n "$disk_mb" ]; then
	modules+=(virtio_pci virtio_blk)
fi
mod_args=()
for m in "${modules[@]}"; do
	mod_args+=(--module "$m")
done
t_initrd=$(vm_now)
rc=0
"$here/mkinitramfs.sh" --out "$tmp/initrd.img" --cache "$cache" --modules-dir "$MODULES_DIR" \
	"${mod_args[@]}" "${extra[@]}" --file "$tmp/config:/etc/faultline-vm/config" "$script" || rc=$?
[ "$rc" = 0 ] || exit "$rc"
initrd_s=$(vm_elapsed "$t_initrd")

# --- boot -------------------------------------------------------------------
qemu=(qemu-system-x86_64 -m "$memory_mb" -smp 1 -nographic -no-reboot -nic none
	-kernel "$VMLINUZ" -initrd "$tmp/initrd.img"
	-append "console=ttyS0 quiet panic=-1 ${FAULTLINE_VM_APPEND:-}")
if [ "${FAULTLINE_VM_KVM:-0}" = 1 ]; then
	qemu+=(-accel kvm -cpu host)
	accel=kvm
else
	qemu+=(-accel tcg)
	accel=tcg
fi
if [ -n "$disk_mb" ]; then
	# In the build tree (the cache), not in /tmp, which may be a small tmpfs.
	mkdir -p "$cache/disks"
	disk_img=$cache/disks/disk-$nonce.img
	truncate -s "${disk_mb}M" "$disk_img"
	qemu+=(-drive "file=$disk_img,format=raw,if=virtio,cache=unsafe")
fi

vm_log "booting $KERNEL_RELEASE ($accel, ${memory_mb} MiB) with $name; console log: $log"
mkfifo "$tmp/console"
t_boot=$(vm_now)
timeout -k 10 "$timeout_s" "${qemu[@]}" </dev/null >"$tmp/console" 2>&1 &
qemu_pid=$!

# The guest's lines from /init on are printed as they come; everything before
# (firmware, kernel) only goes to the log.
t_init='' t_marker='' showing=0
: >"$log"
exec 3>>"$log"
while IFS= read -r line || [ -n "$line" ]; do
	line=${line%$'\r'}
	printf '%s\n' "$line" >&3
	case $line in
	*FAULTLINE-VM-INIT*)
		[ -n "$t_init" ] || t_init=$(vm_now)
		showing=1
		# Drop the firmware's terminal escapes that share its line.
		line=FAULTLINE-VM-INIT${line#*FAULTLINE-VM-INIT}
		;;
	*"FAULTLINE-VM-RESULT nonce=$nonce rc="*)
		[ -n "$t_marker" ] || t_marker=$(vm_now)
		;;
	esac
	[ "$showing" = 0 ] || printf '%s\n' "$line"
done <"$tmp/console"
exec 3>&-
qemu_rc=0
wait "$qemu_pid" || qemu_rc=$?
qemu_pid=''
t_end=$(vm_now)

marker=$(grep -a -o "FAULTLINE-VM-RESULT nonce=$nonce rc=[0-9]*" "$log" | tail -n 1 || true)
# since T: seconds from the boot to T, or "never".
since() { if [ -n "$1" ]; then echo "$(vm_elapsed "$t_boot" "$1") s"; else echo never; fi; }
timing="boot to /init $(since "$t_init"), to the result marker $(since "$t_marker")"
timing+=", qemu ran $(vm_elapsed "$t_boot" "$t_end") s, initramfs $(($(stat -c %s "$tmp/initrd.img") / 1024)) KiB built in $initrd_s s"
timing+=", kernel .deb $((DEB_BYTES / 1024)) KiB, total $(vm_elapsed "$t_start" "$t_end") s"
vm_log "$timing"

if [ -z "$marker" ]; then
	if [ "$qemu_rc" = 124 ] || [ "$qemu_rc" = 137 ]; then
		echo "vm: FAIL: no result from the guest within ${timeout_s} s (qemu killed)" >&2
	else
		echo "vm: FAIL: qemu exited (rc=$qemu_rc) without the guest's result marker" >&2
	fi
	echo "vm: the last 40 lines of the console ($log):" >&2
	tail -n 40 "$log" | cat -v >&2
	exit 1
fi
guest_rc=${marker##*rc=}
[ "$guest_rc" = 0 ] || vm_log "the guest script exited $guest_rc"
exit "$guest_rc"
