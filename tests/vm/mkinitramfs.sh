#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# mkinitramfs.sh: builds the initramfs the vm tests boot (cpio newc, gzip).
#
# usage: mkinitramfs.sh --out FILE --modules-dir DIR [--cache DIR] [--module NAME]...
#                       [--bin PATH[:DEST]]... [--file SRC:DEST]... SCRIPT
#
# The image is three gzipped cpio archives end to end, which the kernel unpacks in
# turn; the first two are cached in --cache, keyed on their inputs:
#   base     busybox (static) and its applet links, bash, iproute2's real
#            /usr/sbin/tc and /usr/sbin/ip, their shared libraries and loader
#            (resolved with ldd), /init (guest/init.sh), a minimal /etc
#   modules  the --module kernel modules and everything they depend on, as plain
#            /lib/modules/NAME.ko (decompressed on the host, so that the guest's
#            insmod needs no .xz or .zst support), and /etc/faultline-vm/modules
#            listing them in the order init loads them. The .deb has no
#            modules.dep: dependencies come from each module's own modinfo
#            "depends=" field.
#   payload  built every time: $FAULTLINED_BIN and $FAULTLINE_BIN (as
#            /usr/bin/faultlined and /usr/bin/faultline) and each --bin with their
#            libraries (ASan builds bring libasan along), each --file, SCRIPT as
#            /test/script and guest/lib.sh as /test/lib.sh
#
# Libraries already in the base are not repeated in the payload. Exits 77 when a
# tool it needs is missing; a module missing from the tree is an error.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

out='' moddir='' cache='' script=''
modules=() bins=() files=()
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=$2 && shift 2 ;;
	--modules-dir) moddir=$2 && shift 2 ;;
	--cache) cache=$2 && shift 2 ;;
	--module) modules+=("$2") && shift 2 ;;
	--bin) bins+=("$2") && shift 2 ;;
	--file) files+=("$2") && shift 2 ;;
	--) script=${2:-} && shift $# ;;
	-*) vm_die "mkinitramfs.sh: unknown option $1" ;;
	*) script=$1 && shift ;;
	esac
done
[ -n "$out" ] && [ -n "$moddir" ] && [ -n "$script" ] ||
	vm_die "usage: mkinitramfs.sh --out FILE --modules-dir DIR [--cache DIR] [--module NAME]... [--bin PATH[:DEST]]... [--file SRC:DEST]... SCRIPT"
[ -f "$script" ] || vm_die "no test script $script"
[ -d "$moddir" ] || vm_die "no modules tree $moddir"

vm_require_tool cpio cpio
vm_require_tool gzip gzip
vm_require_tool ldd libc-bin
busybox=${FAULTLINE_VM_BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || vm_skip "$busybox is missing (Debian package busybox-static)"
bash_bin=/usr/bin/bash
[ -x "$bash_bin" ] || bash_bin=/bin/bash
for tool in /usr/sbin/tc /usr/sbin/ip; do
	[ -x "$tool" ] || vm_skip "$tool is missing (Debian package iproute2)"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/faultline-initramfs.XXXXXX")
trap 'rm -rf "$work"' EXIT
if [ -z "$cache" ]; then
	cache=$work/cache
fi
mkdir -p "$cache/initramfs"
cache=$(cd "$cache/initramfs" && pwd)

# libs_of FILE: the absolute paths of the shared libraries FILE loads, the dynamic
# loader included; nothing for a static binary.
libs_of() {
	local ldd_out
	if ! ldd_out=$(ldd "$1" 2>&1); then
		case $ldd_out in
		*"not a dynamic executable"* | *"statically linked"*) return 0 ;;
		esac
		vm_die "ldd $1 failed: $ldd_out"
	fi
	if grep -q 'not found' <<<"$ldd_out"; then
		vm_die "$1 needs libraries this machine lacks:"$'\n'"$(grep 'not found' <<<"$ldd_out")"
	fi
	awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<<"$ldd_out"
}

# new_root DIR: an empty merged-/usr tree.
new_root() {
	local d
	for d in usr/bin usr/sbin usr/lib usr/lib64; do
		mkdir -p "$1/$d"
	done
	ln -s usr/bin "$1/bin"
	ln -s usr/sbin "$1/sbin"
	ln -s usr/lib "$1/lib"
	ln -s usr/lib64 "$1/lib64"
}

# install_file ROOT SRC DEST: copies SRC (following links) to the guest path DEST.
install_file() {
	local root=$1 src=$2 dest=$3
	mkdir -p "$root$(dirname "$dest")"
	cp -L --preserve=mode "$src" "$root$dest"
}

# install_bin ROOT SRC DEST [SKIP_MANIFEST]: SRC and its libraries, each library at
# the path ldd names, except those listed in SKIP_MANIFEST (already in the base).
install_bin() {
	local root=$1 src=$2 dest=$3 skip=${4:-} libs lib
	[ -x "$src" ] || vm_die "not an executable: $src"
	install_file "$root" "$src" "$dest"
	# Not in a pipe or a process substitution: libs_of's failure must stop us.
	libs=$(libs_of "$src")
	for lib in $libs; do
		if [ -n "$skip" ] && grep -qxF "$lib" "$skip"; then
			continue
		fi
		[ -e "$root$lib" ] || install_file "$root" "$lib" "$lib"
	done
}

# pack DIR OUT: DIR as a gzipped newc cpio archive, files owned by root.
pack() {
	(cd "$1" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc -R 0:0 --quiet) | gzip -n -6 >"$2.tmp.$$"
	mv -f "$2.tmp.$$" "$2"
}

# key WORDS...: a short hash of its arguments.
key() { printf '%s\n' "$@" | sha256sum | cut -c 1-16; }

# --- base -------------------------------------------------------------------
base_inputs=("$busybox" "$bash_bin" /usr/sbin/tc /usr/sbin/ip)
libgcc=$(ldconfig -p 2>/dev/null | awk '$1 == "libgcc_s.so.1" && $2 ~ /x86-64/ && !seen { print $NF; seen = 1 }' || true)
[ -n "$libgcc" ] && base_inputs+=("$libgcc")
fingerprint=()
for f in "${base_inputs[@]}"; do
	libs=$(libs_of "$f")
	# shellcheck disable=SC2086 # library paths hold no spaces
	fingerprint+=("$(stat -L -c '%n %s %Y' "$f" $libs)")
done
base_key=$(key "${fingerprint[@]}" "$(cat "$here/mkinitramfs.sh" "$here/guest/init.sh" | sha256sum)")
base=$cache/base-$base_key.cpio.gz
if [ -f "$base" ] && [ -f "$base.manifest" ]; then
	vm_log "initramfs: reusing the base $(basename "$base")"
else
	root=$work/base
	new_root "$root"
	install_bin "$root" "$busybox" /usr/bin/busybox
	install_bin "$root" "$bash_bin" /usr/bin/bash
	install_bin "$root" /usr/sbin/tc /usr/sbin/tc
	install_bin "$root" /usr/sbin/ip /usr/sbin/ip
	# glibc dlopens libgcc_s for thread cancellation and some unwinding.
	[ -n "$libgcc" ] && install_file "$root" "$libgcc" "$libgcc"
	# Busybox applets as links in /usr/bin, never over a real tool. busybox
	# --install links to its own absolute path: right when that is /usr/bin/busybox,
	# and one process instead of a fork of ln per applet.
	if [ "$(readlink -f "$busybox")" = /usr/bin/busybox ]; then
		"$busybox" --install -s "$root/usr/bin"
	else
		while IFS= read -r applet; do
			[ -n "$applet" ] || continue
			[ -e "$root/usr/bin/$applet" ] || ln -s busybox "$root/usr/bin/$applet"
		done < <("$busybox" --list)
	fi
	install_file "$root" "$here/guest/init.sh" /init
	chmod 755 "$root/init"
	mkdir -p "$root"/{etc/faultline-vm,proc,sys,dev,tmp,run,root,mnt,var/tmp,var/lib,test}
	echo 'root:x:0:0:root:/root:/usr/bin/bash' >"$root/etc/passwd"
	echo 'root:x:0:' >"$root/etc/group"
	printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' >"$root/etc/hosts"
	# ldd may name a library under /lib or /usr/lib: the manifest holds both.
	(cd "$root" && find . -type f | sed 's|^\.||' |
		awk '{ print } /^\/usr\/lib/ { sub(/^\/usr/, ""); print }') >"$base.manifest.tmp.$$"
	pack "$root" "$base"
	mv -f "$base.manifest.tmp.$$" "$base.manifest"
	# Bases built from older inputs are of no more use.
	for old in "$cache"/base-*.cpio.gz; do
		[ "$old" = "$base" ] || rm -f "$old" "$old.manifest"
	done
	vm_log "initramfs: built the base $(basename "$base") ($(($(stat -c %s "$base") / 1024)) KiB)"
fi

# --- modules ----------------------------------------------------------------
declare -A ko_path=() builtin=() state=()
order=()
while IFS= read -r -d '' f; do
	n=${f##*/}
	n=${n%%.ko*}
	ko_path[${n//-/_}]=$f
done < <(find "$moddir" \( -name '*.ko' -o -name '*.ko.*' \) -print0)
if [ -f "$moddir/modules.builtin" ]; then
	while IFS= read -r f; do
		n=${f##*/}
		n=${n%%.ko*}
		builtin[${n//-/_}]=1
	done <"$moddir/modules.builtin"
fi

# extract SRC DEST: a module, decompressed.
extract() {
	case $1 in
	*.ko) cp "$1" "$2" ;;
	*.ko.xz)
		vm_require_tool xz xz-utils
		xz -dc "$1" >"$2"
		;;
	*.ko.zst)
		vm_require_tool zstd zstd
		zstd -qdc "$1" >"$2"
		;;
	*.ko.gz) gzip -dc "$1" >"$2" ;;
	*) vm_die "unknown module compression: $1" ;;
	esac
}

# depends_of KO: the names in its modinfo "depends=" field (null-separated strings
# in the .modinfo section).
depends_of() {
	tr '\0' '\n' <"$1" | awk -F '=' '$1 == "depends" && !seen { print $2; seen = 1 }' | tr ',' ' '
}

modstage=$work/modules
# Under usr/: a real lib/ directory here would replace the base's lib -> usr/lib link.
mkdir -p "$modstage/usr/lib/modules" "$modstage/etc/faultline-vm"

# visit NAME: NAME after everything it depends on (depth first, post order).
visit() {
	local n=${1//-/_} dep
	case ${state[$n]:-} in
	done) return 0 ;;
	visiting) vm_die "module dependency cycle through $n" ;;
	esac
	if [ -z "${ko_path[$n]:-}" ]; then
		[ -n "${builtin[$n]:-}" ] && state[$n]='done' && return 0
		vm_die "no module $n in $moddir (nor built in)"
	fi
	state[$n]=visiting
	extract "${ko_path[$n]}" "$modstage/usr/lib/modules/$n.ko"
	for dep in $(depends_of "$modstage/usr/lib/modules/$n.ko"); do
		visit "$dep"
	done
	state[$n]='done'
	order+=("$n")
}
for m in "${modules[@]}"; do
	visit "$m"
done
printf '%s\n' "${order[@]}" >"$modstage/etc/faultline-vm/modules"
mod_key=$(key "$(cd "$moddir" && pwd -P)" "${order[@]}")
mods=$cache/modules-$mod_key.cpio.gz
if [ -f "$mods" ]; then
	vm_log "initramfs: reusing the modules $(basename "$mods")"
else
	pack "$modstage" "$mods"
fi
[ ${#order[@]} -eq 0 ] || vm_log "initramfs: modules in load order: ${order[*]}"

# --- payload ----------------------------------------------------------------
root=$work/payload
# The same links as the base: a real lib/ or bin/ in this archive would replace them.
new_root "$root"
mkdir -p "$root/test"
[ -z "${FAULTLINED_BIN:-}" ] || install_bin "$root" "$FAULTLINED_BIN" /usr/bin/faultlined "$base.manifest"
[ -z "${FAULTLINE_BIN:-}" ] || install_bin "$root" "$FAULTLINE_BIN" /usr/bin/faultline "$base.manifest"
for b in "${bins[@]}"; do
	src=${b%%:*}
	dest=/usr/bin/$(basename "$src")
	[ "$b" = "$src" ] || dest=${b#*:}
	install_bin "$root" "$src" "$dest" "$base.manifest"
done
for f in "${files[@]}"; do
	[ "$f" != "${f#*:}" ] || vm_die "--file wants SRC:DEST, got $f"
	[ -e "${f%%:*}" ] || vm_die "--file: no such file ${f%%:*}"
	install_file "$root" "${f%%:*}" "${f#*:}"
done
install_file "$root" "$script" /test/script
install_file "$root" "$here/guest/lib.sh" /test/lib.sh
payload=$work/payload.cpio.gz
pack "$root" "$payload"

mkdir -p "$(dirname "$out")"
cat "$base" "$mods" "$payload" >"$out.tmp.$$"
mv -f "$out.tmp.$$" "$out"
vm_log "initramfs: $out ($(($(stat -c %s "$out") / 1024)) KiB)"
