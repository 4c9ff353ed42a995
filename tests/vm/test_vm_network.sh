#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The network fault on a real kernel: boots the Debian cloud kernel under qemu once
# and runs the whole network suite, guest/network.sh, there (the host kernel has no
# sch_netem). Skipped (77) when qemu, busybox-static or the kernel package is
# unavailable.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${FAULTLINED_BIN:?set by ctest}"
: "${FAULTLINE_BIN:?set by ctest}"
exec "$here/run-vm.sh" --timeout 840 --file "$here/guest/network_extra.sh:/test/network_extra.sh" \
	--file "$here/guest/network_share.sh:/test/network_share.sh" \
	"$here/guest/network.sh" sch_netem sch_htb sch_prio cls_u32 sch_ingress act_mirred ifb veth
