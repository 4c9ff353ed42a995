#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The prometheus probe against a real Prometheus (Debian's prometheus package),
# started here on loopback with a throwaway config and data directory, scraping
# the demo service every second:
# - a query's value equals what the demo service's own /metrics says;
# - scalars, +Inf and -Inf are values; NaN and an empty result are no_value; a
#   result of several series is refused (the query must aggregate);
# - a bad query is a query_error sample that keeps Prometheus's message;
# - Prometheus down gives refused samples with a clear message.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_probes.sh"
source "$(dirname "$0")/lib_prometheus.sh"

require_prometheus

expect_ok() {
	local out
	out=$(samples_check "$1" "$2")
	if [ "$out" != ok ]; then
		echo "  $out" >&2
		return 1
	fi
}

start_demo svc
if ! start_prometheus "$DEMO_PORT"; then
	fail "prometheus started"
	finish
fi
prom_port=$PROM_PORT
pass "prometheus started on 127.0.0.1:$prom_port"

for ((i = 0; i < 37; i++)); do
	curl -sf -o /dev/null "http://127.0.0.1:$DEMO_PORT/"
done
served=$(metric "$DEMO_PORT" 'faultline_demo_requests_total{code="200"}')
scraped() { [ "$(prom_query 'sum(faultline_demo_requests_total)')" = "$served" ]; }
check "prometheus scraped the demo service's $served requests" wait_for 20 scraped

down=$(free_port)
base="http://127.0.0.1:$prom_port"
write_scenario "$TEST_TMP/prom.yaml" "  total: {prometheus: {url: \"$base\", query: \"sum(faultline_demo_requests_total)\"}, interval: 250ms}
  scalar: {prometheus: {url: \"$base/\", query: \"scalar(sum(faultline_demo_requests_total)) * 2\"}, interval: 250ms}
  bad: {prometheus: {url: \"$base\", query: \"sum(\"}, interval: 250ms}
  empty: {prometheus: {url: \"$base\", query: faultline_no_such_metric}, interval: 250ms}
  many: {prometheus: {url: \"$base\", query: \"up or vector(5)\"}, interval: 250ms}
  nan: {prometheus: {url: \"$base\", query: \"0/0\"}, interval: 250ms}
  inf: {prometheus: {url: \"$base\", query: \"1/0\"}, interval: 250ms}
  neginf: {prometheus: {url: \"$base\", query: \"-1/0\"}, interval: 250ms}
  down: {prometheus: {url: \"http://127.0.0.1:$down\", query: up}, interval: 250ms}"
check "prometheus probes run" run_probes prom 2s
check "the query's value is the service's own count ($served)" expect_ok prom "
v = probe('total')
print('ok' if len(v) >= 7 and all(r['error'] == 'ok' and r['value'] == $served and r['status'] == 200 for r in v)
      else str(v[:3]))"
check "a scalar result is a value" expect_ok prom "
v = probe('scalar')
print('ok' if v and all(r['error'] == 'ok' and r['value'] == 2 * $served for r in v) else str(v[:3]))"
check "a bad query is a query_error sample" expect_ok prom '
v = probe("bad")
print("ok" if v and all(r["error"] == "query_error" and r["status"] == 400 for r in v) else str(v[:3]))'
check "the query error keeps Prometheus's message" \
	grep -q "^probe bad: .*last error: prometheus query error (bad_data): .*parse error" "$TEST_TMP/prom.summary"
check "an empty result is no_value" expect_ok prom '
v = probe("empty")
print("ok" if v and all(r["error"] == "no_value" and math.isnan(r["value"]) for r in v) else str(v[:3]))'
check "several series are refused" expect_ok prom '
v = probe("many")
print("ok" if v and all(r["error"] == "other" for r in v) else str(v[:3]))'
check "the refusal says to aggregate" grep -q "^probe many: .*returned 2 series; expected one" "$TEST_TMP/prom.summary"
check "NaN is no_value" expect_ok prom '
v = probe("nan")
print("ok" if v and all(r["error"] == "no_value" for r in v) else str(v[:3]))'
check "+Inf and -Inf are values" expect_ok prom '
p, n = probe("inf"), probe("neginf")
print("ok" if p and n and all(r["error"] == "ok" and r["value"] == math.inf for r in p)
      and all(r["error"] == "ok" and r["value"] == -math.inf for r in n) else str((p + n)[:4]))'
check "prometheus down: refused samples" expect_ok prom '
v = probe("down")
print("ok" if len(v) >= 7 and all(r["error"] == "refused" for r in v) else str(v[:3]))'
check "prometheus down: the message names the server" \
	grep -q "^probe down: .*last error: prometheus at http://127.0.0.1:$down: Failed to connect" "$TEST_TMP/prom.summary"

finish
