#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# SLOs in a real run against the demo service on loopback, with process.pause
# (which this host supports):
# - a 2 s pause of the service breaks "p99 < 100ms" (exit 1) while a generous
#   "p50 < 5s" holds; the pause made itself seen (expect_effect on error_rate);
# - an abort condition fires within breached_for + 200 ms of the apply, reverts at
#   once (the service is running again, not T) and exits 3;
# - recovery time: a stall the service starts itself at the moment it resumes
#   lasts 1.5 s; the reported recovery time is within 200 ms of the truth;
# - a baseline that does not hold (the service answers in 50 ms, the SLO wants
#   10 ms) is INCONCLUSIVE: exit 4, and nothing is paused;
# - a probe at a closed port gives refused samples (error_rate 100%), not a crash.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_probes.sh"
require_root

# The "[  +1.234s] " timestamp of the first output line matching a pattern.
stamp() {
	sed -n "s/^\[ *+\([0-9.]*\)s\] .*$1.*/\1/p" "$2" | head -n1
}

# le A B: A <= B for decimals.
le() { $PYTHON -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= float(sys.argv[2]) else 1)' "$1" "$2"; }

# The controller writes its report files as nobody (it drops root): a directory it
# may write to, inside the test's own.
chmod 711 "$TEST_TMP"
mkdir -m 777 "$TEST_TMP/reports"

# ---- a pause breaks p99 but not a generous p50 ----------------------------------------------
start_demo svc1
cat >"$TEST_TMP/pause.yaml" <<YAML
version: 1
name: slo-pause
phases: {baseline: 2s, recovery: {within: 5s}}
probes:
  api: {http: {url: "http://127.0.0.1:$DEMO_PORT/", timeout: 200ms}, rate: 50/s}
slos:
  - {name: tail, probe: api, objective: "p99 < 100ms", phases: [fault]}
  - {name: median, probe: api, objective: "p50 < 5s"}
faults:
  - name: pause-svc
    type: process.pause
    duration: 2s
    target: {pid: $DEMO_PID}
    expect_effect: {probe: api, metric: p50, increase_at_least: 50ms}
YAML
rc=0
"$FAULTLINE_BIN" run --json "$TEST_TMP/reports/pause.json" --junit "$TEST_TMP/reports/pause.xml" \
	"$TEST_TMP/pause.yaml" >"$TEST_TMP/pause.out" 2>&1 || rc=$?
check "a 2 s pause breaks p99 < 100ms: exit 1 (got $rc)" test "$rc" = 1
check "the table shows tail FAIL in the fault phase" grep -Eq '^tail +fault +[0-9.]+ms +p99 < 100ms +FAIL' "$TEST_TMP/pause.out"
check "the generous median held in every phase" test "$(grep -Ec '^median +(baseline|fault|recovery) .* pass' "$TEST_TMP/pause.out")" = 3
check "the observed effect is reported and held" grep -q "observed: api p50 +.*(expect_effect held)" "$TEST_TMP/pause.out"
check "the verdict is FAILED" grep -q "^verdict: FAILED" "$TEST_TMP/pause.out"
check "the service runs again after the run" test "$(proc_state "$DEMO_PID")" != T
check "the journal holds nothing after it" journal_empty
check "the JSON report agrees: FAILED, exit 1, tail failed in the fault phase, the effect held" \
	$PYTHON -c '
import json, sys
d = json.load(open(sys.argv[1]))
tail = [x for x in d["slos"] if x["name"] == "tail"][0]
f = d["faults"][0]
ok = (d["verdict"] == "FAILED" and d["exit_code"] == 1
      and tail["phases"]["fault"]["verdict"] == "fail" and tail["phases"]["fault"]["value"] > 0.1
      and tail["phases"]["baseline"]["verdict"] == "not_evaluated"
      and f["expect_effect"] is True and f["effect_held"] is True
      and d["recovery"]["recovered"] is True)
sys.exit(0 if ok else print(json.dumps(d, indent=1)[:3000]) or 1)' "$TEST_TMP/reports/pause.json"
check "the JUnit report has the failed testcase" grep -q '<testcase name="tail (fault)"' "$TEST_TMP/reports/pause.xml"

# A report directory the controller cannot write to (it runs as nobody) is refused
# before any fault, with exit 2.
mkdir -m 700 "$TEST_TMP/rootonly"
start_target
write_pause_scenario "$TEST_TMP/plain.yaml" "$TARGET" 5s
rc=0
"$FAULTLINE_BIN" run --html "$TEST_TMP/rootonly/r.html" "$TEST_TMP/plain.yaml" >"$TEST_TMP/rootonly.out" 2>&1 || rc=$?
check "an unwritable report directory exits 2 (got $rc)" test "$rc" = 2
check "it says why" grep -q -- "--html $TEST_TMP/rootonly/r.html: cannot create files in $TEST_TMP/rootonly as uid 65534" "$TEST_TMP/rootonly.out"
check "and applied nothing" sh -c "! grep -q 'applied pause-target' '$TEST_TMP/rootonly.out'"

# ---- an abort condition --------------------------------------------------------------------
cat >"$TEST_TMP/abort.yaml" <<YAML
version: 1
name: slo-abort
phases: {baseline: 1s}
probes:
  api: {http: {url: "http://127.0.0.1:$DEMO_PORT/", timeout: 50ms}, rate: 50/s}
slos:
  - {name: errors, probe: api, objective: "error_rate < 5%", window: 500ms, phases: [fault]}
abort_when:
  - {slo: errors, breached_for: 1s}
faults:
  - name: pause-svc
    type: process.pause
    duration: 60s
    target: {pid: $DEMO_PID}
YAML
rc=0
"$FAULTLINE_BIN" run "$TEST_TMP/abort.yaml" >"$TEST_TMP/abort.out" 2>&1 || rc=$?
state=$(proc_state "$DEMO_PID")
check "the abort exits 3 (got $rc)" test "$rc" = 3
check "the service is running again at once, not T (state $state)" test "$state" != T
applied=$(stamp "applied pause-svc" "$TEST_TMP/abort.out")
aborted=$(stamp "ABORT: slo errors" "$TEST_TMP/abort.out")
reverted=$(stamp "reverted pause-svc.*abort condition" "$TEST_TMP/abort.out")
delay=$($PYTHON -c "print(round(${aborted:-999} - ${applied:-0}, 3))")
echo "  applied at +${applied}s, abort at +${aborted}s, reverted at +${reverted}s: ${delay}s after the apply"
check "the abort fired within breached_for + 200 ms of the apply (${delay}s)" le "$delay" 1.2
check "the abort fired no earlier than breached_for (${delay}s)" le 1.0 "$delay"
check "the revert followed the abort" test -n "$reverted"
check "the summary names the condition and when it fired" grep -q "^aborted: slo errors was breached for 1.0 s, at +" "$TEST_TMP/abort.out"
check "the verdict is ABORTED" grep -q "^verdict: ABORTED" "$TEST_TMP/abort.out"
check "the journal holds nothing after the abort" journal_empty

# ---- recovery time -------------------------------------------------------------------------
# While the service is paused, a request asks it to stall for 1.5 s. It can only be
# read when the service resumes, so the stall starts at the revert (plus the few ms
# the service takes to read it). A request scheduled at t answers when the stall
# ends, in (revert + 1.5 s - t): it meets "p99 < 100ms" from t = revert + 1.4 s on,
# so the truth is a recovery time of 1.4 s.
cat >"$TEST_TMP/recovery.yaml" <<YAML
version: 1
name: slo-recovery
phases: {baseline: 1s, recovery: {within: 5s}}
probes:
  api: {http: {url: "http://127.0.0.1:$DEMO_PORT/", timeout: 300ms}, rate: 50/s}
slos:
  - {name: tail, probe: api, objective: "p99 < 100ms", phases: [recovery]}
faults:
  - name: pause-svc
    type: process.pause
    duration: 1s
    target: {pid: $DEMO_PID}
YAML
"$FAULTLINE_BIN" run "$TEST_TMP/recovery.yaml" >"$TEST_TMP/recovery.out" 2>&1 &
runner=$!
track_pid "$runner"
check "the service is paused" wait_state "$DEMO_PID" T 10
$PYTHON -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=10).read()' \
	"http://127.0.0.1:$DEMO_PORT/stall?ms=1500" &
stall_req=$!
track_pid "$stall_req"
rc=0
wait "$runner" || rc=$?
wait "$stall_req" || true
measured=$(sed -n 's/^recovery time: \([0-9.]*\) s.*/\1/p' "$TEST_TMP/recovery.out")
echo "  recovery time reported: ${measured:-none} s; truth: 1.4 s"
check "the run passes: the service recovered within 5 s (got $rc)" test "$rc" = 0
check "the recovery time is within 200 ms of the truth, 1.4 s (${measured:-none} s)" \
	$PYTHON -c 'import sys; sys.exit(0 if abs(float(sys.argv[1]) - 1.4) <= 0.2 else 1)' "${measured:-99}"
check "the service stalled for real: the demo service counted it" test "$(metric "$DEMO_PORT" faultline_demo_stalls_total)" != 0

# ---- a baseline that fails: inconclusive, nothing applied -----------------------------------
start_demo slow --delay 50ms
start_target
cat >"$TEST_TMP/baseline.yaml" <<YAML
version: 1
name: slo-baseline
phases: {baseline: 1s}
probes:
  api: {http: {url: "http://127.0.0.1:$DEMO_PORT/"}, rate: 20/s}
slos:
  - {name: fast, probe: api, objective: "p50 < 10ms"}
faults:
  - {name: pause-target, type: process.pause, duration: 5s, target: {pid: $TARGET}}
YAML
rc=0
"$FAULTLINE_BIN" run "$TEST_TMP/baseline.yaml" >"$TEST_TMP/baseline.out" 2>&1 || rc=$?
check "a baseline that does not hold exits 4 (got $rc)" test "$rc" = 4
check "the message says inconclusive and why" grep -q "INCONCLUSIVE: the SLOs did not hold in the baseline, before any fault: fast was 5[0-9.]*ms, objective p50 < 10ms" "$TEST_TMP/baseline.out"
check "no fault was applied" sh -c "! grep -q 'applied pause-target' '$TEST_TMP/baseline.out'"
check "the target was never paused" test "$(proc_state "$TARGET")" = S
check "the verdict is INCONCLUSIVE" grep -q "^verdict: INCONCLUSIVE" "$TEST_TMP/baseline.out"

# ---- a closed port: refused samples, not a crash ---------------------------------------------
port=$(free_port)
cat >"$TEST_TMP/closed.yaml" <<YAML
version: 1
name: slo-closed
phases: {baseline: 1s}
probes:
  api: {http: {url: "http://127.0.0.1:$port/"}, rate: 20/s}
slos:
  - {name: errors, probe: api, objective: "error_rate < 1%"}
faults:
  - {name: pause-target, type: process.pause, duration: 5s, target: {pid: $TARGET}}
YAML
rc=0
"$FAULTLINE_BIN" run "$TEST_TMP/closed.yaml" >"$TEST_TMP/closed.out" 2>&1 || rc=$?
check "a probe at a closed port: the run ends with exit 4, not a crash (got $rc)" test "$rc" = 4
check "every sample failed: error_rate 100%" grep -q "errors was 100.00%, objective error_rate < 1%" "$TEST_TMP/closed.out"
check "the table has the baseline verdict" grep -Eq '^errors +baseline +100.00% .* FAIL' "$TEST_TMP/closed.out"

finish
