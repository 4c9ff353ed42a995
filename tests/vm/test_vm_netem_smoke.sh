#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The first vm test: boots the Debian cloud kernel under qemu and runs
# guest/netem_smoke.sh there with sch_netem loaded (the host kernel has no netem).
# Skipped (77) when qemu, busybox-static or the kernel package is unavailable.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${FAULTLINED_BIN:?set by ctest}"
: "${FAULTLINE_BIN:?set by ctest}"
exec "$here/run-vm.sh" "$here/guest/netem_smoke.sh" sch_netem
