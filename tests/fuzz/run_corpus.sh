#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# run_corpus.sh FUZZER DIR...: runs FUZZER once on every file in the DIRs (its seed
# corpus and its regression inputs), without fuzzing and without writing anything:
# libFuzzer given only files executes each and exits, non-zero on a crash, a leak,
# undefined behaviour or a timeout. Exits 77 (skipped) when there is no input.
set -euo pipefail
fuzzer=$1
shift
files=()
for dir in "$@"; do
	[ -d "$dir" ] || continue
	while IFS= read -r -d '' f; do
		files+=("$f")
	done < <(find "$dir" -type f ! -name 'README*' ! -name '.*' -print0 | sort -z)
done
if [ "${#files[@]}" -eq 0 ]; then
	echo "run_corpus: no input for $fuzzer" >&2
	exit 77
fi
echo "run_corpus: $(basename "$fuzzer") on ${#files[@]} input(s)"
# Files only: libFuzzer runs each once and exits (the "-runs=0" of a corpus
# directory, but read-only). Its per-file "Running:" lines are noise here.
out=$(mktemp)
trap 'rm -f "$out"' EXIT
if "$fuzzer" -timeout=10 -rss_limit_mb=2048 "${files[@]}" >"$out" 2>&1; then
	grep -v '^Running: \|^Executed .* in [0-9]* ms$\|^\*\*\*$\|^\*\*\* NOTE: fuzzing was not performed' "$out" || true
	echo "run_corpus: all ${#files[@]} inputs ran clean"
else
	rc=$?
	cat "$out"
	echo "run_corpus: $(basename "$fuzzer") failed (exit $rc) on one of the inputs above" >&2
	exit 1
fi
