#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The demo game day: installs what is needed, builds, starts a process, and runs
# scenarios/demo-pause.yaml against it, showing the process state as it goes.
# It checks what it shows: state T (stopped) during the fault, running after.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
"$src/scripts/install-deps.sh"
"$src/scripts/build.sh" "$src/build" >/dev/null

pidfile=/tmp/faultline-demo.pid
sleep 600 </dev/null >/dev/null 2>&1 &
target=$!
echo "$target" >"$pidfile"
trap 'kill -CONT $target 2>/dev/null; kill $target 2>/dev/null; rm -f $pidfile' EXIT

state() { awk '{print $3}' "/proc/$target/stat" 2>/dev/null || echo gone; }

echo "== demo: a process (pid $target) will be paused for 3 s by faultline"
"$src/build/faultline" validate "$src/scenarios/demo-pause.yaml"
"$src/build/faultline" run "$src/scenarios/demo-pause.yaml" &
runner=$!
seen_stopped=no
last=
while kill -0 "$runner" 2>/dev/null; do
	s=$(state)
	[ "$s" = T ] && seen_stopped=yes
	[ "$s" != "$last" ] && echo "   /proc/$target/stat: state $s$([ "$s" = T ] && echo ' (stopped)')"
	last=$s
	sleep 0.1
done
rc=0
wait "$runner" || rc=$?
after=$(state)
echo "== faultline exited $rc; the target is now in state $after"
if [ "$rc" = 0 ] && [ "$seen_stopped" = yes ] && [ "$after" != T ] && [ "$after" != gone ]; then
	echo "== demo passed: stopped (T) during the fault, running again after"
else
	echo "== demo FAILED: exit $rc, seen stopped: $seen_stopped, state after: $after"
	exit 1
fi
