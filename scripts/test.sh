#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The whole test suite: installs what is needed, builds with -Werror, runs every
# test (unit, integration, vm), then builds again with ASan and UBSan and runs the
# suite once more. Exits non-zero on any failure. Tests that need something this
# machine lacks are reported as skipped (exit 77), never as passed.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
"$src/scripts/install-deps.sh"

# One kernel download for both builds' VM tests.
export FAULTLINE_VM_CACHE="$src/build/vm-cache"

status=0
run_suite() {
	local name=$1 dir=$2
	shift 2
	echo "== $name: building in $dir"
	"$src/scripts/build.sh" "$dir" "$@"
	echo "== $name: running the test suite"
	(cd "$dir" && ctest --output-on-failure --timeout 900) || status=1
}

run_suite "release build (-Werror)" "$src/build/ci-werror" -DCMAKE_BUILD_TYPE=RelWithDebInfo
run_suite "ASan+UBSan build" "$src/build/ci-sanitize" -DCMAKE_BUILD_TYPE=Debug -DFAULTLINE_SANITIZE=ON

if [ "$status" = 0 ]; then
	echo "== all suites passed"
else
	echo "== some tests FAILED"
fi
exit "$status"
