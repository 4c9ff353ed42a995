#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# SLOs end to end with netem (the host kernel has none): guest/slo_netem.sh runs the
# demo service behind a veth pair in the guest and `faultline run` with a 100 ms
# delay: p50 < 50ms fails (exit 1), p50 < 150ms passes (exit 0), an abort fires and
# reverts (exit 3), and recovery is measured. Skipped (77) when qemu,
# busybox-static or the kernel package is unavailable.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${FAULTLINED_BIN:?set by ctest}"
: "${FAULTLINE_BIN:?set by ctest}"
: "${DEMO_SERVICE_BIN:?set by ctest}"
exec "$here/run-vm.sh" --bin "$DEMO_SERVICE_BIN:/usr/bin/faultline-demo-service" \
	"$here/guest/slo_netem.sh" sch_netem veth
