# SPDX-License-Identifier: Apache-2.0
# Host-side helpers for the tests/vm scripts. Source it; it sets -euo pipefail.
#
# Exit codes shared by every script here:
#   0   success
#   77  something the machine lacks (a tool, the kernel package): ctest reports the
#       test as skipped, never as passed
#   other  a real failure
set -euo pipefail

VM_SKIP=77

# vm_log MESSAGE...: progress on stderr, so that stdout stays machine-readable.
vm_log() { echo "vm: $*" >&2; }

# vm_skip MESSAGE...: the machine lacks something; exit 77.
vm_skip() {
	echo "SKIP: $*" >&2
	exit "$VM_SKIP"
}

# vm_die MESSAGE...: a real failure.
vm_die() {
	echo "vm: error: $*" >&2
	exit 1
}

# vm_require_tool TOOL PACKAGE: skips when TOOL is not on PATH.
vm_require_tool() {
	command -v "$1" >/dev/null 2>&1 ||
		vm_skip "'$1' is missing (Debian package $2; scripts/install-deps.sh installs it)"
}

# vm_now: seconds since the epoch with microseconds, without forking.
vm_now() { echo "${EPOCHREALTIME:-$(date +%s.%N)}"; }

# vm_elapsed START [END]: END - START in seconds, 2 decimals.
vm_elapsed() { awk -v a="$1" -v b="${2:-$(vm_now)}" 'BEGIN { printf "%.2f", b - a }'; }

# vm_cache_dir: where the kernel and the initramfs parts are cached. In the build
# tree when run by ctest; never in the source tree.
vm_cache_dir() {
	if [ -n "${FAULTLINE_VM_CACHE:-}" ]; then
		echo "$FAULTLINE_VM_CACHE"
	elif [ -n "${FAULTLINE_BUILD_DIR:-}" ]; then
		echo "$FAULTLINE_BUILD_DIR/vm-cache"
	else
		echo "${TMPDIR:-/tmp}/faultline-vm-cache-$(id -u)"
	fi
}
