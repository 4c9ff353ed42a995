#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The exit code and the reports agree, whatever happens to the report files
# (the controller writes them as nobody, after the run):
# - report paths that cannot be written are refused before any fault, with exit
#   2: a directory, a missing directory, another user's file in a sticky
#   directory (rename() may not replace it);
# - a report directory that becomes unwritable during the run: the run passed, but
#   the process exits 4, and the reports that could be written (JSON, JUnit) say
#   REPORT FAILED with exit code 4, not PASSED with 0;
# - a run that failed keeps its own exit code when a report cannot be written.
source "$(dirname "$0")/lib.sh"
require_root

chmod 711 "$TEST_TMP"
mkdir -m 777 "$TEST_TMP/reports"

start_target
write_pause_scenario "$TEST_TMP/plain.yaml" "$TARGET" 1s

# refused PATH_OPTION... PATTERN: the run exits 2 before any fault and says PATTERN.
refused() {
	local pattern=$1 rc=0
	shift
	"$FAULTLINE_BIN" run "$@" "$TEST_TMP/plain.yaml" >"$TEST_TMP/refused.out" 2>&1 || rc=$?
	if [ "$rc" != 2 ]; then
		echo "  exit $rc, expected 2" >&2
		return 1
	fi
	grep -q -- "$pattern" "$TEST_TMP/refused.out" || { cat "$TEST_TMP/refused.out" >&2; return 1; }
	if grep -q "applied pause-target" "$TEST_TMP/refused.out"; then
		echo "  a fault was applied" >&2
		return 1
	fi
}

check "a directory as --json: exit 2 before any fault" \
	refused "--json $TEST_TMP/reports: is a directory" --json "$TEST_TMP/reports"
check "a missing directory: exit 2 before any fault" \
	refused "--junit $TEST_TMP/nope/r.xml: cannot create files in $TEST_TMP/nope as uid 65534" \
	--junit "$TEST_TMP/nope/r.xml"
mkdir -m 1777 "$TEST_TMP/sticky"
echo old >"$TEST_TMP/sticky/r.json"
check "root's file in a sticky directory: exit 2 before any fault" \
	refused "--json $TEST_TMP/sticky/r.json: belongs to another user in a sticky directory" \
	--json "$TEST_TMP/sticky/r.json"
check "and the old file is untouched" grep -qx old "$TEST_TMP/sticky/r.json"

# ---- a report directory that becomes unwritable during the run --------------------------------
# late_failure NAME SCENARIO: runs SCENARIO with --json and --junit in reports/ and
# --html in NAME/, which is writable when the run starts (the check passes) and is
# made root-only once the fault is applied. Sets rc.
late_failure() {
	local i
	mkdir -m 777 "$TEST_TMP/$1"
	rc=0
	"$FAULTLINE_BIN" run --json "$TEST_TMP/reports/$1.json" --junit "$TEST_TMP/reports/$1.xml" \
		--html "$TEST_TMP/$1/r.html" "$2" >"$TEST_TMP/$1.out" 2>&1 &
	local runner=$!
	track_pid "$runner"
	for ((i = 0; i < 100; i++)); do
		grep -q "applied pause-target" "$TEST_TMP/$1.out" && break
		sleep 0.05
	done
	chmod 700 "$TEST_TMP/$1"
	wait "$runner" || rc=$?
}

late_failure late "$TEST_TMP/plain.yaml"
check "the fault was applied before the directory went away" grep -q "applied pause-target" "$TEST_TMP/late.out"
check "a report that cannot be written after a passed run: exit 4 (got $rc)" test "$rc" = 4
check "the error names the file" grep -q -- "--html $TEST_TMP/late/r.html: cannot write the report: Permission denied" "$TEST_TMP/late.out"
check "no HTML file was left" test ! -e "$TEST_TMP/late/r.html"
check "the terminal verdict is REPORT FAILED" \
	grep -q "^verdict: REPORT FAILED: the run passed (.*), but a report could not be written: --html $TEST_TMP/late/r.html: Permission denied" "$TEST_TMP/late.out"
check "the JSON says exit code 4 and REPORT FAILED, as the process" $PYTHON -c '
import json, sys
d = json.load(open(sys.argv[1]))
ok = d["exit_code"] == 4 and d["verdict"] == "REPORT FAILED" and "--html" in d["verdict_detail"]
sys.exit(0 if ok else print(d["verdict"], d["exit_code"], d["verdict_detail"]) or 1)' "$TEST_TMP/reports/late.json"
check "the JUnit report says exit code 4 too" \
	grep -q '<property name="faultline.exit_code" value="4"' "$TEST_TMP/reports/late.xml"
check "the JSON and JUnit files are named, the HTML one is not" sh -c "
grep -q '^report: json written to $TEST_TMP/reports/late.json' '$TEST_TMP/late.out' &&
grep -q '^report: junit written to' '$TEST_TMP/late.out' &&
! grep -q '^report: html written' '$TEST_TMP/late.out'"
check "the target runs again" test "$(proc_state "$TARGET")" = S
check "the journal holds nothing" journal_empty

# A run that fails (here: an expect_restart that cannot hold, since nothing restarts
# a killed sleep) keeps its exit code 1 when a report cannot be written.
start_target
cat >"$TEST_TMP/fails.yaml" <<YAML
version: 1
name: test-fails
faults:
  - name: pause-target
    type: process.pause
    duration: 1s
    target: {pid: $TARGET}
  - name: kill-target
    type: process.kill
    at: 1500ms
    target: {pid: $TARGET}
    expect_restart: within 500ms
YAML
late_failure failed "$TEST_TMP/fails.yaml"
check "a failed run keeps exit 1 when a report cannot be written (got $rc)" test "$rc" = 1
check "and its JSON says FAILED with exit code 1" $PYTHON -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if d["exit_code"] == 1 and d["verdict"] == "FAILED" else print(d["verdict"], d["exit_code"]) or 1)' \
	"$TEST_TMP/reports/failed.json"

finish
