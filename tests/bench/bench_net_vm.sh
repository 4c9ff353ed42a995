#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench_net_vm.sh [BUILD_DIR]: the network benchmarks (bench_net_apply.c) in the
# Debian cloud kernel under qemu (TCG), which has sch_netem (the host may not).
# Not a test: run by hand; results in docs/performance.md §2 and §3.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-${FAULTLINE_BUILD_DIR:-$here/../../build}}" && pwd)
[ -x "$build/tests/bench_net_apply" ] || { echo "no $build/tests/bench_net_apply: build with FAULTLINE_BUILD_TESTS=ON" >&2; exit 77; }
export FAULTLINE_BUILD_DIR=$build
exec "$here/../vm/run-vm.sh" --timeout 900 --bin "$build/tests/bench_net_apply:/usr/bin/bench_net_apply" \
	"$here/guest_bench_net.sh" sch_netem veth
