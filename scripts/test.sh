#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The whole test suite: installs what is needed, builds with -Werror, runs every
# test (unit, integration, vm), then builds again with ASan and UBSan and runs the
# suite once more, and last fuzzes each libFuzzer target for a minute (clang).
# Exits non-zero on any failure. Tests that need something this machine lacks are
# reported as skipped (exit 77), never as passed.
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

# Fuzzing (tests/fuzz): a clang build with libFuzzer, ASan and UBSan; its seed
# corpora and regression inputs once each (ctest -L fuzz), then each target for
# FAULTLINE_FUZZ_SECONDS (default 60) on a copy of its corpus in the build tree.
# Any crash, leak, undefined behaviour or timeout fails the run. Not -Werror:
# clang warns about GNU idioms gcc accepts, and the gcc builds above hold that line.
fuzz_dir="$src/build/ci-fuzz"
echo "== fuzz: building in $fuzz_dir (clang, libFuzzer, ASan+UBSan)"
if cmake -S "$src" -B "$fuzz_dir" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DFAULTLINE_FUZZ=ON -DFAULTLINE_BUILD_TESTS=ON >/dev/null &&
	cmake --build "$fuzz_dir" -j"$(nproc)" --target fuzzers; then
	echo "== fuzz: seed corpora and regression inputs"
	(cd "$fuzz_dir" && ctest --output-on-failure -L fuzz) || status=1
	echo "== fuzz: ${FAULTLINE_FUZZ_SECONDS:-60}s per target"
	"$src/tests/fuzz/run_fuzzers.sh" "$fuzz_dir" || status=1
else
	echo "== fuzz: the build FAILED"
	status=1
fi

if [ "$status" = 0 ]; then
	echo "== all suites passed"
else
	echo "== some tests FAILED"
fi
exit "$status"
