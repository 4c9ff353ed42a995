#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# disk.throttle through cgroup v2 io.max on a real kernel: boots the Debian cloud
# kernel under qemu with a scratch virtio disk (created in the build tree's vm
# cache, deleted afterwards) and fio with its libraries, and runs
# guest/disk_throttle.sh there (this host's cgroup v2 has no io controller).
# Skipped (77) when qemu, busybox-static, fio or the kernel package is unavailable.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${FAULTLINED_BIN:?set by ctest}"
: "${FAULTLINE_BIN:?set by ctest}"
fio=$(command -v fio || true)
if [ -z "$fio" ]; then
	echo "SKIP: fio is missing (scripts/install-deps.sh installs it)" >&2
	exit 77
fi
exec "$here/run-vm.sh" --timeout 600 --memory 1536 --disk 256 --bin "$fio" \
	"$here/guest/disk_throttle.sh"
