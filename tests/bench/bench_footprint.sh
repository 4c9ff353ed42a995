#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Benchmark: memory footprint of the injector and the controller.
#
#   sudo tests/bench/bench_footprint.sh [BUILD_DIR]
#
# BUILD_DIR (or $FAULTLINE_BUILD_DIR; default build/ of this checkout) holds
# faultline, faultlined and faultline-demo-service. Knobs: FLBENCH_FAULTS (active
# faults, default 1000), FLBENCH_RUN_SECONDS (the controller's run, default 600),
# FLBENCH_RATE (its probe rate, default 50/s).
#
# 1. The injector: a private faultlined (own socket and state directory) with no
#    fault, then with FLBENCH_FAULTS active process.pause faults (one per
#    sleeping process of the benchmark's own cgroup, every one checked in state
#    T), then after their reverts (every one running again): VmRSS and VmHWM.
#    For scale, the peak RSS of one `tc qdisc show` and one `pkill` run (GNU time).
# 2. The controller: `faultline run` of a scenario with an http probe at
#    FLBENCH_RATE against the demo service on loopback, a pause of the service
#    for 2 s, and SLOs, lasting FLBENCH_RUN_SECONDS; its VmRSS sampled every
#    second, and its VmHWM at the end; the run must pass (exit 0 or 1).
# Nothing is timed; the numbers go to docs/performance.md §7 by hand.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SOURCE_DIR=$(cd "$HERE/../.." && pwd)
BUILD_DIR=${1:-${FAULTLINE_BUILD_DIR:-$SOURCE_DIR/build}}
FAULTS=${FLBENCH_FAULTS:-1000}
RUN_SECONDS=${FLBENCH_RUN_SECONDS:-600}
RATE=${FLBENCH_RATE:-50/s}

skip() {
	echo "SKIP: $*" >&2
	exit 77
}
die() {
	echo "FAIL: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || skip "needs root (the injector pauses processes)"
for b in faultline faultlined faultline-demo-service; do
	[ -x "$BUILD_DIR/$b" ] || die "no $BUILD_DIR/$b (build first, or give the build directory)"
done
command -v python3 >/dev/null || skip "no python3"
case "$FAULTS$RUN_SECONDS" in *[!0-9]*) die "FLBENCH_FAULTS and FLBENCH_RUN_SECONDS are numbers" ;; esac

CG=""
for root in /sys/fs/cgroup/pids /sys/fs/cgroup/systemd /sys/fs/cgroup; do
	if [ -w "$root/cgroup.procs" ]; then
		CG="$root/flbench-fp-$$"
		break
	fi
done
[ -n "$CG" ] || skip "no writable cgroup hierarchy to hold the benchmark's processes"
WORK=$(mktemp -d /tmp/faultline-bench-fp.XXXXXX)
chmod 755 "$WORK"
mkdir -m 1777 "$WORK/out" # the controller drops root to nobody before writing its report
daemon=""
service=""

# shellcheck disable=SC2317 # invoked by the trap
cleanup() {
	set +e
	[ -n "$daemon" ] && kill -TERM "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
	[ -n "$service" ] && kill -TERM "$service" 2>/dev/null && wait "$service" 2>/dev/null
	if [ -d "$CG" ]; then
		for _ in $(seq 50); do
			pids=$(cat "$CG/cgroup.procs" 2>/dev/null) || break
			[ -n "$pids" ] || break
			# shellcheck disable=SC2086
			kill -KILL $pids 2>/dev/null
			sleep 0.2
		done
		rmdir "$CG"
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir "$CG"
cp "$BUILD_DIR/faultline" "$BUILD_DIR/faultlined" "$BUILD_DIR/faultline-demo-service" "$WORK/"

# --- 1. the injector ------------------------------------------------------------
sock="$WORK/faultlined.sock"
mkdir "$WORK/state"
"$WORK/faultlined" --socket "$sock" --state-dir "$WORK/state" 2>"$WORK/daemon.log" &
daemon=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
[ -S "$sock" ] || die "faultlined did not start: $(cat "$WORK/daemon.log")"
inj=$(python3 "$HERE/bench_footprint.py" "$sock" "$daemon" "$FAULTS" "$CG/cgroup.procs") ||
	die "the injector part failed"
kill -TERM "$daemon"
wait "$daemon" 2>/dev/null || true
daemon=""

peak_kb() { # peak_kb CMD...: the peak RSS of CMD in KiB, by GNU time
	/usr/bin/time -f '%M' -o "$WORK/time.out" "$@" >/dev/null 2>&1 || true
	tail -n1 "$WORK/time.out"
}
tc_kb=$(peak_kb tc qdisc show dev lo)
pkill_kb=$(peak_kb pkill -0 -f "flbench-fp-no-such-process-$$")
curl_kb=$(peak_kb curl -s -o /dev/null http://127.0.0.1:9/)

# --- 2. the controller ------------------------------------------------------------
"$WORK/faultline-demo-service" --listen 127.0.0.1:0 --pidfile "$WORK/service.pid" \
	>"$WORK/service.out" 2>&1 &
service=$!
echo "$service" >"$CG/cgroup.procs"
for _ in $(seq 100); do grep -q 'listening on' "$WORK/service.out" 2>/dev/null && break; sleep 0.05; done
addr=$(sed -n 's/.*listening on \([0-9.:]*\).*/\1/p' "$WORK/service.out" | head -n1)
[ -n "$addr" ] || die "the demo service did not start: $(cat "$WORK/service.out")"
baseline=$((RUN_SECONDS / 3))
cat >"$WORK/run.yaml" <<YAML
version: 1
name: footprint
phases:
  baseline: ${baseline}s
  recovery:
    within: ${baseline}s
probes:
  api:
    http: {url: "http://$addr/", timeout: 1s}
    rate: $RATE
slos:
  - {name: tail, probe: api, objective: "p99 < 100ms", fault_objective: "p99 < 5s"}
  - {name: errors, probe: api, objective: "error_rate < 1%"}
faults:
  - name: pause
    type: process.pause
    duration: $((RUN_SECONDS - 2 * baseline))s
    target: {pidfile: $WORK/service.pid}
YAML
"$WORK/faultline" validate "$WORK/run.yaml" >/dev/null || die "the scenario is invalid"
FAULTLINED="$WORK/faultlined" FAULTLINE_STATE_DIR="$WORK/state" \
	FAULTLINE_SOCKET="$WORK/no-daemon.sock" \
	"$WORK/faultline" run --json "$WORK/out/run.json" \
	"$WORK/run.yaml" >"$WORK/run.out" 2>&1 &
run=$!
max_rss=0
samples=0
while kill -0 "$run" 2>/dev/null; do
	rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$run/status" 2>/dev/null || echo 0)
	hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$run/status" 2>/dev/null || echo 0)
	[ "${rss:-0}" -gt "$max_rss" ] && max_rss=$rss
	[ "${hwm:-0}" -gt 0 ] && last_hwm=$hwm
	samples=$((samples + 1))
	[ "$samples" -gt $((RUN_SECONDS * 3 + 120)) ] && die "the run did not end in time"
	sleep 1
done
rc=0
wait "$run" || rc=$?
[ "$rc" = 0 ] || [ "$rc" = 1 ] || die "faultline run exited $rc: $(tail -n 20 "$WORK/run.out")"

echo "injector: $inj"
echo "for scale: peak RSS of tc qdisc show ${tc_kb} KiB, pkill ${pkill_kb} KiB, curl ${curl_kb} KiB"
echo "controller: $RUN_SECONDS s run at $RATE: VmRSS at most ${max_rss} KiB (sampled every second), VmHWM ${last_hwm:-?} KiB, exit $rc"
