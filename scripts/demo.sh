#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The demo game day: installs what is needed, builds, and runs
# scenarios/demo-game-day.yaml for real. The demo HTTP service runs in a network
# namespace of its own behind a veth pair, under a supervisor that restarts it
# when it dies; faultline probes it over the veth, pauses it, kills it, checks that
# it came back, judges the SLOs per phase, prints the verdict and writes an HTML
# (and JSON) report. Everything it sets up is removed at the end, even on failure.
#
# FAULTLINE_DEMO_BUILD=DIR uses an existing build instead of installing and
# building (the integration test does this). Run as root.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" != 0 ]; then
	echo "demo: run as root: it creates a network namespace and the injector needs root" >&2
	exit 2
fi
build=${FAULTLINE_DEMO_BUILD:-}
if [ -z "$build" ]; then
	"$src/scripts/install-deps.sh"
	build="$src/build"
	"$src/scripts/build.sh" "$build" >/dev/null
fi

ns="fl-demo-$$"
run_dir=/run/faultline-demo
report_dir="$build/demo-report"
supervisor=
cleanup() {
	set +e
	[ -n "$supervisor" ] && kill "$supervisor" 2>/dev/null
	[ -s "$run_dir/service.pid" ] && kill -CONT "$(cat "$run_dir/service.pid")" 2>/dev/null
	ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
	sleep 0.2
	ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
	ip link del fl-demo-h 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$run_dir"
}
trap cleanup EXIT

# The service's home: a namespace, a veth pair, 10.213.0.1 (here) <-> .2 (there).
ip netns add "$ns"
ip link add fl-demo-h type veth peer name fl-demo-s netns "$ns"
ip addr add 10.213.0.1/30 dev fl-demo-h
ip link set fl-demo-h up
ip -n "$ns" addr add 10.213.0.2/30 dev fl-demo-s
ip -n "$ns" link set fl-demo-s up
ip -n "$ns" link set lo up

# The supervisor: what systemd's Restart=always would do.
mkdir -p -m 0755 "$run_dir"
ip netns exec "$ns" bash -c '
	while :; do
		"$1" --listen 10.213.0.2:8080 --pidfile "$2" >/dev/null 2>&1
		sleep 0.3
	done' demo-supervisor "$build/faultline-demo-service" "$run_dir/service.pid" &
supervisor=$!
for _ in $(seq 50); do
	curl -s -o /dev/null --max-time 1 http://10.213.0.2:8080/ && break
	sleep 0.1
done
echo "== demo: the demo service runs in netns $ns (pid $(cat "$run_dir/service.pid")), at 10.213.0.2:8080"

# The controller drops root after starting the injector (to nobody here), so the
# reports go where that user may write.
mkdir -p "$report_dir"
chown nobody "$report_dir"
"$build/faultline" validate "$src/scenarios/demo-game-day.yaml"
rc=0
"$build/faultline" run --html "$report_dir/report.html" --json "$report_dir/report.json" \
	"$src/scenarios/demo-game-day.yaml" || rc=$?
echo
echo "== demo: faultline exited $rc"
echo "== HTML report: $report_dir/report.html"
echo "== JSON report: $report_dir/report.json"
exit "$rc"
