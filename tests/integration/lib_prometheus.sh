# SPDX-License-Identifier: Apache-2.0
# A real Prometheus (Debian's prometheus package) for the tests; source after
# lib.sh and lib_probes.sh. It listens on loopback on a port picked here, with a
# throwaway config and data directory in $TEST_TMP, and is killed by lib.sh's
# EXIT trap (track_pid).

PROMETHEUS=${PROMETHEUS:-$(command -v prometheus || true)}

# require_prometheus: exits 77 (skip) when prometheus is not installed.
require_prometheus() {
	if [ -z "$PROMETHEUS" ]; then
		echo "SKIP: prometheus is not installed (scripts/install-deps.sh installs it)"
		exit 77
	fi
}

# wait_for SECONDS COMMAND...: retries COMMAND every 200 ms until it succeeds.
wait_for() {
	local limit=$1 i
	shift
	for ((i = 0; i < limit * 5; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

# start_prometheus TARGET_PORT: starts Prometheus scraping 127.0.0.1:TARGET_PORT every
# second; sets PROM_PORT and PROM_PID. Waits (at most 30 s) until it is ready.
start_prometheus() {
	PROM_PORT=$(free_port)
	mkdir -p "$TEST_TMP/prom-data"
	cat >"$TEST_TMP/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: demo
    static_configs:
      - targets: ["127.0.0.1:$1"]
YAML
	"$PROMETHEUS" --config.file="$TEST_TMP/prometheus.yml" \
		--storage.tsdb.path="$TEST_TMP/prom-data" \
		--web.listen-address="127.0.0.1:$PROM_PORT" >"$TEST_TMP/prometheus.log" 2>&1 &
	PROM_PID=$!
	track_pid "$PROM_PID"
	if ! wait_for 30 curl -sf "http://127.0.0.1:$PROM_PORT/-/ready"; then
		tail -20 "$TEST_TMP/prometheus.log" >&2
		return 1
	fi
}

# prom_query EXPR: the value of an instant query's single result as Prometheus
# writes it ("37", "NaN", "+Inf"), or nothing when the result is empty.
prom_query() {
	curl -sf --get --data-urlencode "query=$1" "http://127.0.0.1:$PROM_PORT/api/v1/query" |
		$PYTHON -c '
import json, sys
d = json.load(sys.stdin)["data"]
r = d["result"]
print(r[1] if d["resultType"] == "scalar" else (r[0]["value"][1] if r else ""))'
}
