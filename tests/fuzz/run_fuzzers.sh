#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# run_fuzzers.sh BUILD_DIR [TARGET...]: fuzzes each target (default: all) for
# FAULTLINE_FUZZ_SECONDS seconds (default 60), one after the other, with the
# dictionary of tests/fuzz/dict, a 10 s timeout per input and a 2 GiB RSS limit.
#
# Each run starts from a fresh copy of the target's seed corpus and regression
# inputs in BUILD_DIR/fuzz-work/TARGET/corpus, which is where libFuzzer adds what
# it finds: the source tree is never written. A crash, leak, undefined behaviour,
# timeout or out-of-memory fails the script; the input is left in
# BUILD_DIR/fuzz-work/TARGET/artifacts/ (minimize it with -minimize_crash=1 and add
# it to tests/fuzz/regressions/TARGET/).
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "$1" && pwd)
shift
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(scenario protocol parse slo_objective report)
secs=${FAULTLINE_FUZZ_SECONDS:-60}
status=0

for t in "${targets[@]}"; do
	bin=$build/tests/fuzz/fuzz_$t
	dir=$build/fuzz-work/$t
	if [ ! -x "$bin" ]; then
		echo "== fuzz_$t: FAILED, $bin is not built (cmake -DFAULTLINE_FUZZ=ON)"
		status=1
		continue
	fi
	rm -rf "$dir"
	mkdir -p "$dir/corpus" "$dir/artifacts"
	for seeds in "$src/tests/fuzz/corpus/$t" "$src/tests/fuzz/regressions/$t"; do
		[ -d "$seeds" ] || continue
		find "$seeds" -type f ! -name 'README*' ! -name '.*' -exec cp -t "$dir/corpus" {} +
	done
	args=(-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
		-artifact_prefix="$dir/artifacts/")
	[ -f "$src/tests/fuzz/dict/$t.dict" ] && args+=(-dict="$src/tests/fuzz/dict/$t.dict")
	echo "== fuzz_$t: ${secs}s from $(find "$dir/corpus" -type f | wc -l) seed inputs (log: $dir/fuzz.log)"
	if "$bin" "${args[@]}" "$dir/corpus" >"$dir/fuzz.log" 2>&1; then
		cov=$(grep -E '^#[0-9]+[[:space:]].*cov: ' "$dir/fuzz.log" | tail -1 |
			grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9a-zA-Z]+' || true)
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/fuzz.log")
		rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/fuzz.log")
		echo "== fuzz_$t: ok, ${runs:-?} runs (${rate:-?}/s), $cov"
	else
		status=1
		echo "== fuzz_$t: FAILED; the end of its log:"
		tail -n 80 "$dir/fuzz.log"
		echo "== fuzz_$t: inputs that failed:"
		ls -l "$dir/artifacts/"
	fi
done
exit "$status"
