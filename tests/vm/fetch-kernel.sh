#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# fetch-kernel.sh CACHE_DIR: gets the Debian kernel the vm tests boot.
#
# Resolves the versioned image behind the metapackage linux-image-cloud-amd64,
# downloads it with `apt-get download` and unpacks it with `dpkg-deb -x` into
# CACHE_DIR/kernel/PACKAGE_VERSION. It never installs it. A previous unpack of the
# same version is reused; so is the last unpack when apt cannot resolve the
# metapackage (offline). Unpacks of other versions are removed once a new one is
# complete.
#
# Prints, on stdout, one KEY=VALUE line each:
#   VMLINUZ=path  MODULES_DIR=path  KERNEL_RELEASE=uname-r  DEB_BYTES=size of the .deb
# Progress goes to stderr.
#
# Exits 77 when apt, dpkg-deb or the package itself is unavailable.
#
# Environment:
#   FAULTLINE_VM_KERNEL_PACKAGE  the metapackage (default linux-image-cloud-amd64)
#   FAULTLINE_VM_KERNEL, FAULTLINE_VM_MODULES_DIR  use this vmlinuz and modules
#       tree instead (both must be set); nothing is downloaded
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

[ $# -eq 1 ] || vm_die "usage: fetch-kernel.sh CACHE_DIR"
cache=$1
meta=${FAULTLINE_VM_KERNEL_PACKAGE:-linux-image-cloud-amd64}

# print_tree DIR: the KEY=VALUE lines for an unpacked tree, or fails.
print_tree() {
	local dir vmlinuz moddir bytes=0
	dir=$(cd "$1" 2>/dev/null && pwd -P) || return 1
	vmlinuz=$(find "$dir/boot" -maxdepth 1 -name 'vmlinuz-*' -type f 2>/dev/null | sort | head -n 1 || true)
	moddir=$(find "$dir/lib/modules" "$dir/usr/lib/modules" -mindepth 1 -maxdepth 1 -type d \
		2>/dev/null | sort | head -n 1 || true)
	[ -n "$vmlinuz" ] && [ -n "$moddir" ] || return 1
	[ -f "$dir.complete" ] && bytes=$(cat "$dir.complete")
	echo "VMLINUZ=$vmlinuz"
	echo "MODULES_DIR=$moddir"
	echo "KERNEL_RELEASE=$(basename "$moddir")"
	echo "DEB_BYTES=$bytes"
}

if [ -n "${FAULTLINE_VM_KERNEL:-}" ] || [ -n "${FAULTLINE_VM_MODULES_DIR:-}" ]; then
	[ -f "${FAULTLINE_VM_KERNEL:-}" ] || vm_die "FAULTLINE_VM_KERNEL is not a file: '${FAULTLINE_VM_KERNEL:-}'"
	[ -d "${FAULTLINE_VM_MODULES_DIR:-}" ] ||
		vm_die "FAULTLINE_VM_MODULES_DIR is not a directory: '${FAULTLINE_VM_MODULES_DIR:-}'"
	echo "VMLINUZ=$FAULTLINE_VM_KERNEL"
	echo "MODULES_DIR=$FAULTLINE_VM_MODULES_DIR"
	echo "KERNEL_RELEASE=$(basename "$FAULTLINE_VM_MODULES_DIR")"
	echo "DEB_BYTES=0"
	exit 0
fi

vm_require_tool apt-cache apt
vm_require_tool apt-get apt
vm_require_tool dpkg-deb dpkg
vm_require_tool flock util-linux

mkdir -p "$cache/kernel"
kdir=$(cd "$cache/kernel" && pwd)

# resolve: prints "PACKAGE VERSION" of the image the metapackage depends on.
resolve() {
	local pkg ver
	pkg=$(apt-cache depends "$meta" 2>/dev/null |
		awk '$1 ~ /^\|?Depends:$/ && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
	[ -n "$pkg" ] || return 1
	ver=$(apt-cache policy "$pkg" 2>/dev/null | awk '$1 == "Candidate:" { print $2; exit }')
	[ -n "$ver" ] && [ "$ver" != "(none)" ] || return 1
	echo "$pkg $ver"
}

# reuse_if_complete: prints the unpack of $pkg $ver and exits, if there is one.
reuse_if_complete() {
	# Debian versions may hold ':' (epochs), which make awkward directory names.
	final="$kdir/${pkg}_${ver//:/%}"
	if [ -f "$final.complete" ] && print_tree "$final" >/dev/null; then
		[ "$(readlink "$kdir/current" 2>/dev/null)" = "$(basename "$final")" ] ||
			ln -sfn "$(basename "$final")" "$kdir/current"
		vm_log "reusing $pkg $ver in $final"
		print_tree "$final"
		exit 0
	fi
}

# The common case, a complete unpack of the current version, takes no lock.
pkg='' ver=''
if resolved=$(resolve); then
	read -r pkg ver <<<"$resolved"
	reuse_if_complete
fi

# Concurrent tests share the cache: one download at a time, bounded wait.
exec 9>"$kdir/.lock"
flock -w 900 9 || vm_die "waited 900 s for another fetch-kernel.sh holding $kdir/.lock"
if [ -z "$pkg" ]; then
	if [ -L "$kdir/current" ] && print_tree "$kdir/current" >/dev/null; then
		vm_log "apt cannot resolve $meta; reusing the previous unpack $(readlink "$kdir/current")"
		print_tree "$kdir/current"
		exit 0
	fi
	[ "$(id -u)" = 0 ] ||
		vm_skip "apt cannot resolve $meta and updating the package lists needs root (run apt-get update)"
	vm_log "apt cannot resolve $meta; running apt-get update"
	timeout 300 apt-get update -qq >&2 || vm_skip "apt-get update failed: no package lists for $meta"
	resolved=$(resolve) || vm_skip "no package $meta in the apt sources: the vm tests need Debian's cloud kernel"
	read -r pkg ver <<<"$resolved"
fi
# Another run may have fetched it while this one waited for the lock.
reuse_if_complete

tmp=$(mktemp -d "$kdir/.download.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
vm_log "downloading $pkg $ver (never installed, only unpacked)"
start=$(vm_now)
apt_opts=(-q)
# As root, apt downloads as the _apt user, who may not reach the build tree; it
# then warns and falls back to root anyway.
[ "$(id -u)" = 0 ] && apt_opts+=(-o APT::Sandbox::User=root)
(cd "$tmp" && timeout 600 apt-get download "${apt_opts[@]}" "$pkg=$ver" >&2) ||
	vm_skip "apt-get download $pkg=$ver failed: the vm tests need Debian's cloud kernel package"
deb=$(find "$tmp" -maxdepth 1 -name '*.deb' | head -n 1)
[ -n "$deb" ] || vm_die "apt-get download left no .deb in $tmp"
bytes=$(stat -c %s "$deb")
timeout 300 dpkg-deb -x "$deb" "$tmp/root" || vm_die "dpkg-deb -x $deb failed"
rm -f "$deb"
print_tree "$tmp/root" >/dev/null || vm_die "$pkg $ver holds no boot/vmlinuz-* or lib/modules/*"
rm -rf "$final" "$final.complete"
mv "$tmp/root" "$final"
# The stamp last and atomically: runs that take no lock trust it.
echo "$bytes" >"$tmp/complete"
mv "$tmp/complete" "$final.complete"
ln -sfn "$(basename "$final")" "$kdir/current"
vm_log "downloaded $((bytes / 1024)) KiB and unpacked in $(vm_elapsed "$start") s into $final"

# Older versions take ~100 MB each: keep only the current one.
for old in "$kdir"/*.complete; do
	old=${old%.complete}
	[ "$old" = "$final" ] && continue
	vm_log "removing the old unpack $old"
	rm -rf "$old" "$old.complete"
done
print_tree "$final"
