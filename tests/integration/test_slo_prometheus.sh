#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# value-type SLOs in real runs, on a prometheus probe against a real Prometheus
# (Debian's prometheus) that this test starts on loopback, scraping the demo
# service; the fault is a harmless process.pause of a sleep of the test's own:
# - the SLO value in the JSON report is what Prometheus itself answers for the
#   same query (asked with curl), in every phase; a passing objective passes, a
#   failing one fails, and the run exits 1 (0 when only the passing one is asked);
# - a bad PromQL query cannot be known before the run (faultline does not parse
#   PromQL): validate accepts it, and the run's terminal output and JSON report
#   carry Prometheus's own message; the SLO has no data and the run is
#   INCONCLUSIVE (exit 4), never passed;
# - while an http probe drives traffic, the growing value is what Prometheus
#   answers for the time of the probe's last sample;
# - Prometheus down (a closed port, and the real one stopped before a run) gives
#   the same: a clear "Failed to connect" message in the terminal and the JSON,
#   NO DATA and exit 4.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_probes.sh"
source "$(dirname "$0")/lib_prometheus.sh"
require_root
require_prometheus

# The controller writes its report files as nobody (it drops root).
chmod 711 "$TEST_TMP"
mkdir -m 777 "$TEST_TMP/reports"

# json_check FILE PYTHON: runs PYTHON with d = the report; it must print "ok".
json_check() {
	local out
	out=$($PYTHON -c "
import json, sys
d = json.load(open(sys.argv[1]))
slo = {s['name']: s for s in d['slos']}
probe = {p['name']: p for p in d['probes']}
$2" "$1" 2>&1)
	if [ "$out" != ok ]; then
		echo "  $out" | head -c 3000 >&2
		return 1
	fi
}

# scenario FILE PROBE_URL QUERY SLOS_YAML: one prometheus probe "requests" and the SLOs.
scenario() {
	cat >"$1" <<YAML
version: 1
name: slo-prometheus
phases: {baseline: 1s, recovery: {within: 5s}}
probes:
  requests: {prometheus: {url: "$2", query: "$3", timeout: 1s}, interval: 250ms}
slos:
$4
faults:
  - {name: pause-target, type: process.pause, duration: 1s, target: {pid: $TARGET}}
YAML
}

# run_case NAME: runs $TEST_TMP/NAME.yaml with --json; sets rc.
run_case() {
	rc=0
	"$FAULTLINE_BIN" run --json "$TEST_TMP/reports/$1.json" "$TEST_TMP/$1.yaml" \
		>"$TEST_TMP/$1.out" 2>&1 || rc=$?
}

start_demo svc
start_target
check "prometheus started" start_prometheus "$DEMO_PORT"
base="http://127.0.0.1:$PROM_PORT"

# A known count, stable during the runs: nothing but Prometheus's scrapes (which the
# demo service does not count) reaches the service from here on.
for ((i = 0; i < 37; i++)); do
	curl -sf -o /dev/null "http://127.0.0.1:$DEMO_PORT/"
done
served=$(metric "$DEMO_PORT" 'faultline_demo_requests_total{code="200"}')
scraped() { [ "$(prom_query 'sum(faultline_demo_requests_total)')" = "$served" ]; }
check "prometheus scraped the demo service's $served requests" wait_for 20 scraped

# ---- a passing and a failing value objective --------------------------------------------------
query='sum(faultline_demo_requests_total) * 2 + 0.5'
scenario "$TEST_TMP/value.yaml" "$base" "$query" "  - {name: served, probe: requests, objective: \"value >= 10\"}
  - {name: few, probe: requests, objective: \"value < 10\", phases: [fault]}"
check "validate accepts the scenario" "$FAULTLINE_BIN" validate "$TEST_TMP/value.yaml"
run_case value
answer=$(prom_query "$query")
echo "  prometheus answers $answer for $query"
check "one failing value objective: exit 1 (got $rc)" test "$rc" = 1
check "the JSON value is Prometheus's answer ($answer) in every phase; served passes, few fails" \
	json_check "$TEST_TMP/reports/value.json" "
want = float('$answer')
s, f = slo['served']['phases'], slo['few']['phases']
ok = (want == 2 * $served + 0.5 and d['exit_code'] == 1 and d['verdict'] == 'FAILED'
      and all(s[p]['verdict'] == 'pass' and s[p]['value'] == want for p in ('baseline', 'fault', 'recovery'))
      and f['fault']['verdict'] == 'fail' and f['fault']['value'] == want
      and f['baseline']['verdict'] == 'not_evaluated'
      and probe['requests']['last_error'] is None)
print('ok' if ok else json.dumps(d['slos'], indent=1))"
check "the table shows few FAIL in the fault phase" \
	grep -Eq "^few +fault +$answer +value < 10 +FAIL" "$TEST_TMP/value.out"
check "the verdict is FAILED" grep -q "^verdict: FAILED" "$TEST_TMP/value.out"

scenario "$TEST_TMP/pass.yaml" "$base" "$query" \
	"  - {name: served, probe: requests, objective: \"value == $answer\"}"
run_case pass
check "only the passing objective (value == $answer): exit 0 (got $rc)" test "$rc" = 0
# The recovery phase ends once recovery is known (docs/report.md): the value held at
# the last revert, so at that point + the SLO's 1 s window + the probe's 1 s timeout
# (+ at most a 100 ms tick and the loop's latency), well before within (5 s).
check "the recovery phase ended once recovery was known, not at within" json_check "$TEST_TMP/reports/pass.json" "
rec = [p for p in d['phases'] if p['name'] == 'recovery'][0]
ok = (d['recovery']['recovered'] and d['recovery']['time_ms'] == 0
      and 2000 <= rec['duration_ms'] <= 2400)
print('ok' if ok else json.dumps([rec, d['recovery']]))"
check "the JSON agrees: PASSED, exit 0, the value is $answer" json_check "$TEST_TMP/reports/pass.json" "
ph = slo['served']['phases']
ok = (d['exit_code'] == 0 and d['verdict'] == 'PASSED'
      and all(ph[p]['verdict'] == 'pass' and ph[p]['value'] == float('$answer') for p in ph))
print('ok' if ok else json.dumps(d['slos'], indent=1))"

# ---- a live value, while an http probe drives traffic ---------------------------------------------
# The counter grows during the run: the recovery value (the latest prometheus sample)
# must be what Prometheus answers for the same query at the time of that sample,
# asked afterwards with curl and time=. The sample was answered between its send
# and its receipt; a scrape is queryable a few ms after its timestamp, so the
# answer at (send - 200 ms) or at the receipt.
cat >"$TEST_TMP/live.yaml" <<YAML
version: 1
name: slo-prometheus-live
phases: {baseline: 1s, recovery: {within: 5s}}
probes:
  api: {http: {url: "http://127.0.0.1:$DEMO_PORT/", timeout: 1s}, rate: 20/s}
  requests: {prometheus: {url: "$base", query: "sum(faultline_demo_requests_total)", timeout: 1s}, interval: 250ms}
slos:
  - {name: growing, probe: requests, objective: "value > $served", phases: [fault, recovery]}
faults:
  - {name: pause-target, type: process.pause, duration: 2s, target: {pid: $TARGET}}
YAML
rc=0
"$FAULTLINE_BIN" run --json "$TEST_TMP/reports/live.json" --samples "$TEST_TMP/reports/live.csv" \
	"$TEST_TMP/live.yaml" >"$TEST_TMP/live.out" 2>&1 || rc=$?
check "traffic during the run: the counter grew, the run passes (got $rc)" test "$rc" = 0
# prom_at EXPR UNIX_TIME: an instant query at a given time.
prom_at() {
	curl -sf --get --data-urlencode "query=$1" --data-urlencode "time=$2" \
		"http://127.0.0.1:$PROM_PORT/api/v1/query" |
		$PYTHON -c 'import json, sys; r = json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")'
}
read -r value t_send t_recv < <($PYTHON - "$TEST_TMP/reports/live.json" "$TEST_TMP/reports/live.csv" <<'PY'
import csv, datetime, json, sys
d = json.load(open(sys.argv[1]))
start = datetime.datetime.strptime(d["started_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
    tzinfo=datetime.timezone.utc).timestamp()
end = [p for p in d["phases"] if p["name"] == "recovery"][0]["end_ms"]
rows = [r for r in csv.DictReader(open(sys.argv[2]))
        if r["probe"] == "requests" and r["error"] == "ok" and float(r["t_ms"]) < end]
last = rows[-1]
slo = [s for s in d["slos"] if s["name"] == "growing"][0]["phases"]["recovery"]
t = start + float(last["t_ms"]) / 1000
print(slo["value"] if slo["value"] == float(last["value"]) else "mismatch",
      f"{t - 0.2:.3f}", f"{t + float(last['latency_ms']) / 1000 + 0.002:.3f}")
PY
)
early=$(prom_at 'sum(faultline_demo_requests_total)' "$t_send")
late=$(prom_at 'sum(faultline_demo_requests_total)' "$t_recv")
echo "  recovery value $value; prometheus answered $early at $t_send and $late at $t_recv"
check "the recovery value is the last sample's, above the $served requests before the run" \
	$PYTHON -c 'import sys; sys.exit(0 if sys.argv[1] != "mismatch" and float(sys.argv[1]) > float(sys.argv[2]) else 1)' "$value" "$served"
check "it is what Prometheus answers for that time ($early or $late)" \
	$PYTHON -c 'import sys; v = float(sys.argv[1]); sys.exit(0 if v in (float(sys.argv[2] or "nan"), float(sys.argv[3] or "nan")) else 1)' \
	"$value" "$early" "$late"

# ---- a bad query ----------------------------------------------------------------------------
scenario "$TEST_TMP/bad.yaml" "$base" 'sum(faultline_demo_requests_total' \
	"  - {name: served, probe: requests, objective: \"value >= 10\"}"
check "validate cannot know a bad query: it accepts the scenario" "$FAULTLINE_BIN" validate "$TEST_TMP/bad.yaml"
run_case bad
check "a bad query: exit 4, not a pass (got $rc)" test "$rc" = 4
check "the terminal says the SLO had no data" grep -Eq "^served +baseline +n/a +value >= 10 +NO DATA" "$TEST_TMP/bad.out"
check "the terminal has Prometheus's message" \
	grep -q "^served: no data: probe requests: prometheus query error (bad_data): .*parse error" "$TEST_TMP/bad.out"
check "the verdict is INCONCLUSIVE and says why" \
	grep -q "^verdict: INCONCLUSIVE: .*probe requests: prometheus query error (bad_data)" "$TEST_TMP/bad.out"
check "the JSON has the message, query_error samples, no_data and exit 4" json_check "$TEST_TMP/reports/bad.json" "
p = probe['requests']
ok = (d['exit_code'] == 4 and d['verdict'] == 'INCONCLUSIVE'
      and 'prometheus query error (bad_data)' in d['verdict_detail']
      and 'parse error' in (p['last_error'] or '')
      and p['run']['errors']['query_error'] == p['run']['count'] > 0
      and slo['served']['phases']['baseline']['verdict'] == 'no_data'
      and slo['served']['phases']['baseline']['value'] is None)
print('ok' if ok else json.dumps([d['verdict_detail'], p, slo['served']], indent=1))"

# ---- Prometheus down: a closed port, then the real one stopped -------------------------------
down=$(free_port)
scenario "$TEST_TMP/closed.yaml" "http://127.0.0.1:$down" "$query" \
	"  - {name: served, probe: requests, objective: \"value >= 10\"}"
run_case closed
check "prometheus at a closed port: exit 4, not a crash nor a pass (got $rc)" test "$rc" = 4
check "the terminal names the server and the failure" \
	grep -q "^served: no data: probe requests: prometheus at http://127.0.0.1:$down: Failed to connect" "$TEST_TMP/closed.out"
check "the JSON has it: refused samples, no_data, INCONCLUSIVE" json_check "$TEST_TMP/reports/closed.json" "
p = probe['requests']
ok = (d['exit_code'] == 4 and d['verdict'] == 'INCONCLUSIVE'
      and 'Failed to connect' in d['verdict_detail']
      and 'prometheus at http://127.0.0.1:$down: Failed to connect' in (p['last_error'] or '')
      and p['run']['errors']['refused'] == p['run']['count'] > 0
      and slo['served']['phases']['baseline']['verdict'] == 'no_data')
print('ok' if ok else json.dumps([d['verdict_detail'], p, slo['served']], indent=1))"

# A recovery SLO without data never recovers: FAILED, exit 1 (docs/scenarios.md).
scenario "$TEST_TMP/norecovery.yaml" "http://127.0.0.1:$down" "$query" \
	"  - {name: served, probe: requests, objective: \"value >= 10\", phases: [recovery]}"
run_case norecovery
check "a recovery SLO without data: exit 1, not recovered (got $rc)" test "$rc" = 1
check "the summary says why" \
	grep -q "^served: no data: probe requests: prometheus at http://127.0.0.1:$down: Failed to connect" "$TEST_TMP/norecovery.out"
check "the JSON: FAILED, not recovered" json_check "$TEST_TMP/reports/norecovery.json" "
print('ok' if d['exit_code'] == 1 and d['verdict'] == 'FAILED' and not d['recovery']['recovered']
      and d['recovery']['judged']
      else json.dumps([d['verdict_detail'], slo['served']]))"

kill "$PROM_PID"
wait "$PROM_PID" 2>/dev/null || true
check "prometheus stopped: nothing answers on $PROM_PORT" sh -c "! curl -sf http://127.0.0.1:$PROM_PORT/-/ready"
# An SLO of the fault phase only: the baseline passes unjudged, the fault is applied
# and reverted, and the fault phase has no data.
scenario "$TEST_TMP/stopped.yaml" "$base" "$query" \
	"  - {name: served, probe: requests, objective: \"value >= 10\", phases: [fault]}"
run_case stopped
check "prometheus stopped before the run: exit 4 (got $rc)" test "$rc" = 4
check "the fault was applied and reverted all the same" \
	grep -q "^scenario slo-prometheus: 1 of 1 fault(s) applied and reverted$" "$TEST_TMP/stopped.out"
check "the table says NO DATA in the fault phase" \
	grep -Eq "^served +fault +n/a +value >= 10 +NO DATA" "$TEST_TMP/stopped.out"
check "the terminal says why" \
	grep -q "^served: no data: probe requests: prometheus at $base: Failed to connect" "$TEST_TMP/stopped.out"
check "the verdict is INCONCLUSIVE and names the server" \
	grep -q "^verdict: INCONCLUSIVE: 1 SLO verdict(s) had no data.*(probe requests: prometheus at $base: Failed to connect" "$TEST_TMP/stopped.out"
check "the JSON is INCONCLUSIVE with exit 4, no_data in the fault phase" json_check "$TEST_TMP/reports/stopped.json" "
ok = (d['exit_code'] == 4 and d['verdict'] == 'INCONCLUSIVE'
      and 'Failed to connect' in d['verdict_detail']
      and slo['served']['phases']['fault']['verdict'] == 'no_data'
      and probe['requests']['run']['errors']['refused'] == probe['requests']['run']['count'] > 0)
print('ok' if ok else json.dumps([d['verdict_detail'], slo['served']], indent=1))"
check "without a recovery SLO the recovery phase lasts within (5 s)" json_check "$TEST_TMP/reports/stopped.json" "
rec = [p for p in d['phases'] if p['name'] == 'recovery'][0]
print('ok' if 5000 <= rec['duration_ms'] <= 5200 else json.dumps(rec))"
check "and the summary says recovery was not measured, not \"not recovered\"" \
	grep -q "^recovery time: not measured (no SLO is judged in the recovery phase)" "$TEST_TMP/stopped.out"
check "the JSON too: recovery not judged" json_check "$TEST_TMP/reports/stopped.json" "
print('ok' if d['recovery'] == {'recovered': False, 'judged': False, 'time_ms': None} else d['recovery'])"
check "the target runs again" test "$(proc_state "$TARGET")" = S
check "the journal holds nothing" journal_empty

finish
