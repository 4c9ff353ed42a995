#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# `faultline validate` against the scenario corpus:
# - every file in tests/data/bad is refused with exit code 2, and stderr names the
#   position and the message listed for it in tests/data/bad/EXPECTED;
# - every file in tests/data/good and scenarios/ is accepted with exit code 0;
# - a 50 MB file, a directory, a missing file and no file at all are refused.
# Needs no privileges.
set -euo pipefail

: "${FAULTLINE_BIN:?set FAULTLINE_BIN to the faultline binary}"
: "${FAULTLINE_SOURCE_DIR:?set FAULTLINE_SOURCE_DIR to the source tree}"

data="$FAULTLINE_SOURCE_DIR/tests/data"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/faultline-validate.XXXXXX")"
trap 'rm -rf -- "$tmp"' EXIT

passed=0
failed=0

pass() {
	passed=$((passed + 1))
}

fail() {
	failed=$((failed + 1))
	echo "FAIL: $*" >&2
}

# run_validate OUT_PREFIX ARGS...: runs validate, stores stdout/stderr, prints the exit code.
run_validate() {
	local prefix="$1" rc=0
	shift
	"$FAULTLINE_BIN" validate "$@" >"$prefix.out" 2>"$prefix.err" || rc=$?
	echo "$rc"
}

# expect_refused NAME PATH POSITION SUBSTRING: exit 2 and "PATH:POSITION:" plus SUBSTRING on
# the same line of stderr.
expect_refused() {
	local name="$1" path="$2" pos="$3" substring="$4" rc
	rc="$(run_validate "$tmp/run" "$path")"
	if [[ "$rc" != 2 ]]; then
		fail "$name: exit code $rc, expected 2"
		sed 's/^/    /' "$tmp/run.err" >&2
		return
	fi
	if ! grep -F -- "$path:$pos:" "$tmp/run.err" | grep -q -F -- "$substring"; then
		fail "$name: expected '$path:$pos: ...$substring...' on stderr, found:"
		sed 's/^/    /' "$tmp/run.err" >&2
		return
	fi
	if [[ -s "$tmp/run.out" ]]; then
		fail "$name: expected nothing on stdout, found: $(cat "$tmp/run.out")"
		return
	fi
	pass
}

expect_accepted() {
	local path="$1" rc
	rc="$(run_validate "$tmp/run" "$path")"
	if [[ "$rc" != 0 ]]; then
		fail "$path: exit code $rc, expected 0"
		sed 's/^/    /' "$tmp/run.err" >&2
		return
	fi
	if ! grep -q -E "^$(printf '%s' "$path" | sed 's/[][\.*^$/]/\\&/g'): ok \([0-9]+ faults?\)$" "$tmp/run.out"; then
		fail "$path: expected '$path: ok (N faults)' on stdout, found: $(cat "$tmp/run.out")"
		return
	fi
	pass
}

# --- the bad corpus ---------------------------------------------------------------------------

expected="$data/bad/EXPECTED"
declare -A listed=()
while IFS=$'\t' read -r file pos substring; do
	[[ -z "$file" || "$file" == \#* ]] && continue
	listed["$file"]=1
	if [[ ! -f "$data/bad/$file" ]]; then
		fail "$file: listed in EXPECTED but missing"
		continue
	fi
	expect_refused "bad/$file" "$data/bad/$file" "$pos" "$substring"
done <"$expected"

# Every committed bad file must have an expectation, so none is silently skipped.
n_bad=0
for path in "$data"/bad/*; do
	file="$(basename "$path")"
	[[ "$file" == EXPECTED ]] && continue
	n_bad=$((n_bad + 1))
	if [[ -z "${listed[$file]:-}" ]]; then
		fail "$file: in tests/data/bad but not in EXPECTED"
	fi
done
if ((n_bad < 27)); then
	fail "expected at least 27 bad files, found $n_bad"
fi

# --- generated at test time, never committed --------------------------------------------------

# Sparse, so it costs no disk; the size must be refused from fstat() before reading.
truncate -s 50M "$tmp/huge.yaml"
expect_refused "50 MB file" "$tmp/huge.yaml" "1:1" \
	"expected a scenario of at most 1 MiB, found 52428800 bytes"

# One byte over the limit, made of valid YAML, is refused too.
{
	printf 'version: 1\nname: big\ndescription: "'
	head -c $((1024 * 1024)) /dev/zero | tr '\0' 'x'
	printf '"\n'
} >"$tmp/just-over.yaml"
expect_refused "1 MiB + 1 file" "$tmp/just-over.yaml" "1:1" "expected a scenario of at most 1 MiB"

mkdir "$tmp/a-directory.yaml"
rc="$(run_validate "$tmp/run" "$tmp/a-directory.yaml")"
if [[ "$rc" == 2 ]] && grep -q -F "$tmp/a-directory.yaml: expected a regular file, found a directory" "$tmp/run.err"; then
	pass
else
	fail "directory: exit $rc, stderr: $(cat "$tmp/run.err")"
fi

rc="$(run_validate "$tmp/run" "$tmp/does-not-exist.yaml")"
if [[ "$rc" == 2 ]] && grep -q -F "$tmp/does-not-exist.yaml: cannot open: No such file or directory" "$tmp/run.err"; then
	pass
else
	fail "missing file: exit $rc, stderr: $(cat "$tmp/run.err")"
fi

rc="$(run_validate "$tmp/run")"
if [[ "$rc" == 2 ]] && grep -q "expected at least one FILE" "$tmp/run.err"; then
	pass
else
	fail "no files: exit $rc, expected 2 and a usage message"
fi

# Two faults with one error each: both are reported, in file order.
cat >"$tmp/two-errors.yaml" <<'YAML'
version: 1
name: two-errors
faults:
  - {name: a, type: process.pause, duration: 5, target: {pid: 1234}}
  - {name: b, type: process.kill, target: {pid: 1}}
YAML
rc="$(run_validate "$tmp/run" "$tmp/two-errors.yaml")"
if [[ "$rc" == 2 && "$(wc -l <"$tmp/run.err")" == 2 ]] &&
	sed -n 1p "$tmp/run.err" | grep -q -F "two-errors.yaml:4:46: duration:" &&
	sed -n 2p "$tmp/run.err" | grep -q -F "two-errors.yaml:5:49: target.pid:"; then
	pass
else
	fail "two errors: exit $rc, stderr: $(cat "$tmp/run.err")"
fi

# Mixed arguments: one bad file makes the run fail, the good one is still reported.
rc="$(run_validate "$tmp/run" "$data/good/minimal-pause.yaml" "$data/bad/pid-1.yaml")"
if [[ "$rc" == 2 ]] && grep -q ": ok (1 fault)$" "$tmp/run.out" && grep -q "pid-1.yaml:" "$tmp/run.err"; then
	pass
else
	fail "good and bad together: exit $rc"
fi

# --- the good corpus and the shipped scenarios ------------------------------------------------

n_good=0
for path in "$data"/good/*.yaml "$FAULTLINE_SOURCE_DIR"/scenarios/*.yaml; do
	[[ -e "$path" ]] || continue
	n_good=$((n_good + 1))
	expect_accepted "$path"
done
if ((n_good == 0)); then
	fail "found no good scenarios to validate"
fi

echo "$passed passed, $failed failed"
((failed == 0))
