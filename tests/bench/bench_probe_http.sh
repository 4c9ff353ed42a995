#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Benchmark: the http probe's per-sample overhead against `curl -w '%{time_total}'`
# for the same requests to the same local server, in one run.
#
#   tests/bench/bench_probe_http.sh [BUILD_DIR]
#
# BUILD_DIR (or $FAULTLINE_BUILD_DIR; default: build/ of this checkout) holds
# faultline-demo-service and tests/faultline-probe-run (a build with
# -DFAULTLINE_BUILD_TESTS=ON). Knobs: FLBENCH_ROUNDS (default 7), FLBENCH_SAMPLES
# (requests per tool and round, default 200), FLBENCH_DELAY (the service's
# per-request sleep, default 2ms), FLBENCH_RATE (the probe's rate, default 50/s),
# FLBENCH_RT (1: run the service, the probe and curl SCHED_FIFO with chrt, the same
# for all three, so that other tenants of a shared host do not delay their
# wakeups; the default when root; 0 to measure under the host's normal scheduling).
#
# What it does: starts the demo service on a free loopback port with a fixed
# per-request sleep. Each round, in rotating order: the http probe (one slot,
# kept-alive connection, FLBENCH_RATE) takes FLBENCH_SAMPLES samples; the same
# probe again with --no-early-wake (its timer armed for the scheduled times
# themselves, no spin: the engine before the early wakeup, for comparison); and
# one curl process fetches the same URL FLBENCH_SAMPLES times over one kept-alive
# connection, printing time_total for each. The probe's latency runs from the
# scheduled time to the end of the answer as the engine sees it, so it includes
# the engine's wakeup and dispatch; curl's time_total runs from curl's own start
# of the transfer. The per-sample overhead is the difference of the medians, per
# round and over all rounds. Each round also measures the floor: how late a bare
# timerfd wakes at the same period (tests/bench/timer_wake.c), plainly and with
# the engine's early wakeup and spin; the plain floor is what any fixed-rate
# scheduler pays without spinning, and the probe would count it by design. The
# CPU cost of the spin is the probe's own count of microseconds spun, and its
# CPU time against that of the run without it. Every request must succeed, and
# the service's own counter must equal the requests the tools sent; anything else
# fails (exit 1).
# This is a benchmark, not a test: it asserts correctness, never timings. The
# numbers go to docs/performance.md by hand. Needs no privileges.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SOURCE_DIR=$(cd "$HERE/../.." && pwd)
BUILD_DIR=${1:-${FAULTLINE_BUILD_DIR:-$SOURCE_DIR/build}}
ROUNDS=${FLBENCH_ROUNDS:-7}
SAMPLES=${FLBENCH_SAMPLES:-200}
DELAY=${FLBENCH_DELAY:-2ms}
RATE=${FLBENCH_RATE:-50/s}
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=python3

skip() {
	echo "SKIP: $*" >&2
	exit 77
}
die() {
	echo "FAIL: $*" >&2
	exit 1
}

SERVICE=$BUILD_DIR/faultline-demo-service
PROBE_RUN=$BUILD_DIR/tests/faultline-probe-run
TIMER_WAKE=$BUILD_DIR/tests/timer_wake
[ -x "$SERVICE" ] || die "no $SERVICE (build first, or give the build directory)"
[ -x "$TIMER_WAKE" ] || die "no $TIMER_WAKE (configure with -DFAULTLINE_BUILD_TESTS=ON)"
[ -x "$PROBE_RUN" ] || die "no $PROBE_RUN (configure with -DFAULTLINE_BUILD_TESTS=ON)"
CURL=$(command -v curl) || skip "curl is not installed"
command -v "$PYTHON" >/dev/null || skip "no python3"
case "$ROUNDS$SAMPLES" in *[!0-9]*) die "FLBENCH_ROUNDS and FLBENCH_SAMPLES must be numbers" ;; esac

RT=()
if [ "${FLBENCH_RT:-$([ "$(id -u)" = 0 ] && echo 1 || echo 0)}" = 1 ]; then
	command -v chrt >/dev/null && chrt -f 10 true 2>/dev/null ||
		skip "FLBENCH_RT=1 needs chrt and the right to use SCHED_FIFO (root)"
	RT=(chrt -f 10)
fi

tmp=$(mktemp -d /tmp/faultline-bench-probe.XXXXXX)
service_pid=
cleanup() {
	set +e
	[ -n "$service_pid" ] && kill "$service_pid" 2>/dev/null && wait "$service_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

"${RT[@]}" "$SERVICE" --listen 127.0.0.1:0 --delay "$DELAY" >"$tmp/service.out" 2>&1 &
service_pid=$!
for ((i = 0; i < 100; i++)); do
	port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$tmp/service.out")
	[ -n "$port" ] && break
	sleep 0.05
done
[ -n "${port:-}" ] || die "the demo service did not start"
url="http://127.0.0.1:$port/"

# The probe's run time for SAMPLES samples at RATE (plus half a period, so that
# exactly SAMPLES are due).
duration_ms=$($PYTHON -c "r = float('$RATE'.split('/')[0]); print(int(($SAMPLES - 0.5) * 1000 / r))")
period_us=$($PYTHON -c "print(int(1e6 / float('$RATE'.split('/')[0])))")
cat >"$tmp/probe.yaml" <<YAML
version: 1
name: bench-probe-http
probes:
  web: {http: {url: "$url"}, rate: $RATE, concurrency: 1}
faults:
  - {name: unused, type: process.kill, target: {pidfile: /nonexistent.pid}}
YAML
curl_args=()
for ((i = 0; i < SAMPLES; i++)); do
	curl_args+=(-o /dev/null "$url")
done

run_floor() {
	"${RT[@]}" "$TIMER_WAKE" "$SAMPLES" "$period_us" >"$tmp/floor-$1.txt" || die "timer_wake failed"
	"${RT[@]}" "$TIMER_WAKE" "$SAMPLES" "$period_us" early >"$tmp/floor-early-$1.txt" ||
		die "timer_wake early failed"
}
run_probe() {
	"${RT[@]}" "$PROBE_RUN" "$tmp/probe.yaml" --for "${duration_ms}ms" --samples "$tmp/probe-$1.csv" \
		>"$tmp/probe-$1.out" || die "faultline-probe-run failed"
}
run_plain() {
	"${RT[@]}" "$PROBE_RUN" "$tmp/probe.yaml" --for "${duration_ms}ms" --samples "$tmp/plain-$1.csv" \
		--no-early-wake >"$tmp/plain-$1.out" || die "faultline-probe-run --no-early-wake failed"
}
run_curl() {
	"${RT[@]}" "$CURL" -sS --fail --rate "$RATE" -w '%{time_total} %{http_code}\n' "${curl_args[@]}" >"$tmp/curl-$1.txt" ||
		die "curl failed"
}

echo "bench_probe_http: $ROUNDS rounds of $SAMPLES requests per tool, service sleep $DELAY, probe rate $RATE${RT:+, SCHED_FIFO}"
for ((r = 1; r <= ROUNDS; r++)); do
	case $((r % 3)) in
	1) run_probe "$r" && run_curl "$r" && run_plain "$r" ;;
	2) run_curl "$r" && run_plain "$r" && run_probe "$r" ;;
	0) run_plain "$r" && run_probe "$r" && run_curl "$r" ;;
	esac
	run_floor "$r"
done
served=$(curl -sf "http://127.0.0.1:$port/metrics" | sed -n 's/^faultline_demo_requests_total{code="200"} //p')

$PYTHON - "$tmp" "$ROUNDS" "$SAMPLES" "${served:-0}" "${FLBENCH_RESULTS:-}" <<'PY'
import csv, json, re, statistics, sys
tmp, rounds, samples, served, results = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
allp, alln, allc, per, pern, floors, efloors = [], [], [], [], [], [], []
spun = spins = cpu_probe = cpu_plain = 0
sent = 0

def probe_samples(name, r):
    global sent
    p = [row for row in csv.DictReader(open(f"{tmp}/{name}-{r}.csv"))]
    extra = max(0, len(p) - samples)  # a late stop may let one more come due
    p = p[:samples]
    if any(x["error"] != "ok" or x["status"] != "200" for x in p):
        sys.exit(f"FAIL: a request of {name} failed in round {r}")
    # The probe may end a sample or two short: samples due at the stop that never
    # got the one slot are not recorded (docs/scenarios.md).
    if not samples - max(2, samples // 20) <= len(p) <= samples:
        sys.exit(f"FAIL: round {r}: {len(p)} {name} samples, expected {samples}")
    sent += len(p) + extra
    m = re.search(r"^early wake: (\d+) spins, ([0-9.]+) us spun, margin ([0-9.]+) us; "
                  r"cpu (\d+) us user, (\d+) us system$", open(f"{tmp}/{name}-{r}.out").read(), re.M)
    if not m:
        sys.exit(f"FAIL: round {r}: no early wake line from {name}")
    return [float(x["latency_ms"]) * 1000 for x in p], m

for r in range(1, rounds + 1):
    pl, pm = probe_samples("probe", r)
    nl, nm = probe_samples("plain", r)
    c = [line.split() for line in open(f"{tmp}/curl-{r}.txt")]
    if any(x[1] != "200" for x in c):
        sys.exit("FAIL: a curl request failed in round %d" % r)
    if len(c) != samples:
        sys.exit("FAIL: round %d: %d curl requests, expected %d" % (r, len(c), samples))
    if int(nm.group(1)) != 0:
        sys.exit("FAIL: round %d: the probe spun with --no-early-wake" % r)
    sent += len(c)
    spins += int(pm.group(1))
    spun += float(pm.group(2))
    cpu_probe += int(pm.group(4)) + int(pm.group(5))
    cpu_plain += int(nm.group(4)) + int(nm.group(5))
    cl = [float(x[0]) * 1e6 for x in c]
    allp += pl
    alln += nl
    allc += cl
    mp, mn, mc = statistics.median(pl), statistics.median(nl), statistics.median(cl)
    floor = float(open(f"{tmp}/floor-{r}.txt").read().split()[0])
    efloor = float(open(f"{tmp}/floor-early-{r}.txt").read().split()[0])
    per.append(mp - mc)
    pern.append(mn - mc)
    floors.append(floor)
    efloors.append(efloor)
    print(f"round {r}: probe {mp:7.1f} us, without early wake {mn:7.1f} us, curl {mc:7.1f} us (medians); "
          f"overhead {mp - mc:+6.1f} us, without early wake {mn - mc:+6.1f} us; "
          f"timer floor {floor:5.1f} us, with early wake {efloor:5.1f} us")
if served != sent:
    sys.exit(f"FAIL: the service counted {served} requests, the tools sent {sent}")
def q(v, f):
    v = sorted(v)
    return v[min(len(v) - 1, int(f * len(v)))]
mp, mn, mc = statistics.median(allp), statistics.median(alln), statistics.median(allc)
print(f"all: probe p50 {mp:.1f} us p90 {q(allp, .9):.1f} us; without early wake p50 {mn:.1f} us "
      f"p90 {q(alln, .9):.1f} us; curl p50 {mc:.1f} us p90 {q(allc, .9):.1f} us")
print(f"per-sample overhead (difference of medians): {mp - mc:+.1f} us; median of the per-round differences {statistics.median(per):+.1f} us")
print(f"without early wake: {mn - mc:+.1f} us; median of the per-round differences {statistics.median(pern):+.1f} us")
fl, efl = statistics.median(floors), statistics.median(efloors)
print(f"timer floor (median of the rounds' medians): {fl:.1f} us; with the early wake and spin: {efl:.1f} us")
n = len(allp)
print(f"spin: {spins} waits, {spun / max(spins, 1):.1f} us per wait, {spun / max(n, 1):.1f} us per sample; "
      f"probe CPU {cpu_probe / rounds / 1000:.1f} ms per run, without early wake {cpu_plain / rounds / 1000:.1f} ms")
print(f"the service counted {served} requests, as sent")
if results:
    json.dump({"rounds": rounds, "samples": samples, "probe_p50_us": mp, "curl_p50_us": mc,
               "plain_p50_us": mn, "probe_p90_us": q(allp, .9), "curl_p90_us": q(allc, .9),
               "plain_p90_us": q(alln, .9), "overhead_us": mp - mc, "plain_overhead_us": mn - mc,
               "per_round_overhead_us": per, "per_round_plain_overhead_us": pern,
               "timer_floor_us": fl, "timer_floor_early_us": efl, "per_round_floor_us": floors,
               "per_round_floor_early_us": efloors, "spins": spins, "spun_us": spun,
               "cpu_probe_us": cpu_probe, "cpu_plain_us": cpu_plain}, open(results, "w"), indent=1)
PY
