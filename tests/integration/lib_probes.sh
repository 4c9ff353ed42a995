# SPDX-License-Identifier: Apache-2.0
# Helpers for the probe tests; source after lib.sh. Everything listens on
# loopback only, on ports the kernel picks, and is killed by lib.sh's EXIT trap.

: "${DEMO_SERVICE_BIN:?set by ctest}"
: "${PROBE_RUN_BIN:?set by ctest}"

# free_port: a port that was free a moment ago (for "nothing listens here").
free_port() {
	$PYTHON -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_demo NAME [ARGS...]: starts the demo service on a free loopback port; sets
# DEMO_PORT and DEMO_PID. Waits (at most 5 s) for its "listening on" line.
start_demo() {
	local name=$1 i
	shift
	: >"$TEST_TMP/$name.out"
	# Unquoted on purpose: a caller may prefix a wrapper (chrt -f 10 ...).
	# shellcheck disable=SC2086
	$DEMO_SERVICE_BIN --listen 127.0.0.1:0 "$@" >"$TEST_TMP/$name.out" 2>"$TEST_TMP/$name.err" &
	DEMO_PID=$!
	track_pid "$DEMO_PID"
	for ((i = 0; i < 100; i++)); do
		DEMO_PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$TEST_TMP/$name.out")
		[ -n "$DEMO_PORT" ] && return 0
		sleep 0.05
	done
	echo "the demo service did not start: $(cat "$TEST_TMP/$name.err")" >&2
	return 1
}

# metric PORT NAME_WITH_LABELS: one value from the demo service's /metrics (0 when absent).
metric() {
	curl -sf "http://127.0.0.1:$1/metrics" | $PYTHON -c '
import sys
want = sys.argv[1]
for line in sys.stdin:
    if line.startswith(want + " "):
        print(line.split()[1]); break
else:
    print(0)' "$2"
}

# write_scenario FILE PROBES_YAML: a scenario with the given probes section.
write_scenario() {
	{
		printf 'version: 1\nname: probe-test\nfaults:\n'
		printf '  - {name: k, type: process.kill, target: {pidfile: /nonexistent.pid}}\n'
		printf 'probes:\n%s\n' "$2"
	} >"$1"
}

# run_probes NAME DURATION: runs $TEST_TMP/NAME.yaml's probes; samples in
# $TEST_TMP/NAME.csv, summary lines in $TEST_TMP/NAME.summary. Fails on a non-zero exit.
run_probes() {
	local rc=0
	# shellcheck disable=SC2086
	$PROBE_RUN_BIN "$TEST_TMP/$1.yaml" --for "$2" --samples "$TEST_TMP/$1.csv" \
		>"$TEST_TMP/$1.summary" 2>"$TEST_TMP/$1.err" || rc=$?
	if [ "$rc" != 0 ]; then
		echo "  faultline-probe-run exited $rc: $(cat "$TEST_TMP/$1.err")" >&2
		return 1
	fi
}

# samples NAME PYTHON_EXPR_PER_PROBE: evaluates a python check over the samples of
# NAME.csv. The expression sees rows (list of dicts with float t, lat, value, int
# status, str error, probe) and must print "ok" or a reason.
samples_check() {
	$PYTHON - "$TEST_TMP/$1.csv" "$2" <<'PY'
import csv, math, statistics, sys
rows = []
for r in csv.DictReader(open(sys.argv[1])):
    rows.append(dict(probe=r["probe"], kind=r["kind"], t=float(r["t_ms"]), lat=float(r["latency_ms"]),
                     status=int(r["status"]), error=r["error"], value=float(r["value"])))
def probe(name):
    return [r for r in rows if r["probe"] == name]
exec(sys.argv[2])
PY
}
