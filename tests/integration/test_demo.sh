#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The README's demo game day (scripts/demo.sh) against this build: it exits 0 with
# the verdict PASSED, the kill was seen to restart, the pause was visible to the
# probe (expect_effect), the HTML and JSON reports exist and say the same, and
# nothing of the demo is left: no namespace, no veth, no service, no qdisc change.
source "$(dirname "$0")/lib.sh"
require_root
: "${FAULTLINE_BUILD_DIR:?set by ctest}"
command -v curl >/dev/null || { echo "SKIP: curl is missing"; exit 77; }
ip netns list | grep -q '^fl-demo-' && { echo "SKIP: another demo is running"; exit 77; }

links_before=$(ip -o link show | awk -F': ' '{print $2}' | sort)
rc=0
FAULTLINE_DEMO_BUILD="$FAULTLINE_BUILD_DIR" bash "$FAULTLINE_SOURCE_DIR/scripts/demo.sh" \
	>"$TEST_TMP/demo.out" 2>&1 || rc=$?
tail -25 "$TEST_TMP/demo.out"
report="$FAULTLINE_BUILD_DIR/demo-report"

check "the demo exits 0 (got $rc)" test "$rc" = 0
check "it prints the verdict PASSED" grep -q '^verdict: PASSED' "$TEST_TMP/demo.out"
check "the killed service came back" grep -q 'check passed: crash-service: 1 of 1 restarted' "$TEST_TMP/demo.out"
check "the pause was visible to the probe" grep -q '(expect_effect held)' "$TEST_TMP/demo.out"
check "it prints the recovery time" grep -qE '^recovery time: [0-9.]+ s' "$TEST_TMP/demo.out"
check "it names the HTML report" grep -q "HTML report: $report/report.html" "$TEST_TMP/demo.out"
check "the HTML report holds SVG charts" grep -q '<svg' "$report/report.html"
check "the JSON report says exit code 0 and PASSED" \
	"$PYTHON" -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r["exit_code"] == 0 and r["verdict"] == "PASSED" else 1)' \
	"$report/report.json"
check "no demo namespace is left" bash -c "! ip netns list | grep -q '^fl-demo-'"
check "the host's links are as before" test "$(ip -o link show | awk -F': ' '{print $2}' | sort)" = "$links_before"
# The [x] in the patterns keeps pgrep from matching the "bash -c" that runs it.
check "no demo service is left" bash -c "! pgrep -f '[f]aultline-demo-service --listen 10.213.0.2' >/dev/null"
check "no supervisor is left" bash -c "! pgrep -f '[d]emo-supervisor' >/dev/null"
finish
