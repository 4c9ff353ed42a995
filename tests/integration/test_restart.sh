#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# process.kill measures what a game day wants to know: when the target died and
# how fast its supervisor brought it back.
# - A supervisor loop restarts its service 300 ms after it dies; the reported
#   restarted_after is within 50 ms of that delay, and expect_restart passes.
# - Without a supervisor, expect_restart fails the check (exit 1).
# - interval repeats the kill, selecting afresh each time.
source "$(dirname "$0")/lib.sh"
require_root

svc="flsvc-$$"
svc=${svc:0:15}
ln -s "$(command -v sleep)" "$TEST_TMP/$svc"
DELAY_MS=300
# The supervisor: restart the service DELAY_MS after it exits, and log, with
# bash's own clock (no fork), when it saw the death and when it restarted.
cat >"$TEST_TMP/supervisor.sh" <<SH
while :; do
	"$TEST_TMP/$svc" 600 &
	echo \$! >"$TEST_TMP/svc.pid"
	wait \$!
	saw=\$EPOCHREALTIME
	sleep 0.$DELAY_MS
	echo "\$saw \$EPOCHREALTIME" >>"$TEST_TMP/supervisor.log"
done
SH
bash "$TEST_TMP/supervisor.sh" &
supervisor=$!
track_pid "$supervisor"
for _ in $(seq 50); do [ -s "$TEST_TMP/svc.pid" ] && break; sleep 0.05; done
first=$(cat "$TEST_TMP/svc.pid")

cat >"$TEST_TMP/restart.yaml" <<YAML
version: 1
name: restart
faults:
  - name: kill-svc
    type: process.kill
    duration: 2s
    signal: KILL
    target: {comm: $svc}
    expect_restart: within 2s
YAML
rc=0
"$FAULTLINE_BIN" run "$TEST_TMP/restart.yaml" >"$TEST_TMP/restart.out" 2>&1 || rc=$?
check "a supervised kill passes expect_restart (exit $rc)" test "$rc" = 0
check "the original process is gone" test "$(proc_state "$first")" = gone
died=$(grep -o "pid $first ($svc) died [0-9.]* ms after the signal" "$TEST_TMP/restart.out" | awk '{print $5}' | head -n1 || true)
check "the death time is reported ($died ms)" test -n "$died"
after=$(sed -n 's/.*restarted_after \([0-9.]*\) ms.*/\1/p' "$TEST_TMP/restart.out" | head -n1 || true)
check "restarted_after is reported ($after ms)" test -n "$after"
own=$(head -n1 "$TEST_TMP/supervisor.log" 2>/dev/null | awk '{ printf "%.1f", ($2 - $1) * 1000 }' || true)
check "the supervisor logged its own delay ($own ms)" test -n "$own"
if [ -n "$after" ] && [ -n "$own" ]; then
	check "restarted_after ($after ms) is within 50 ms of the supervisor's own delay ($own ms)" \
		awk -v a="$after" -v d="$own" 'BEGIN { exit !(a >= d - 50 && a <= d + 50) }'
fi
new=$(cat "$TEST_TMP/svc.pid")
check "the report names the new pid ($new)" grep -q "restarted as pid $new" "$TEST_TMP/restart.out"
check "the check is in the report" grep -q "check passed: kill-svc: 1 of 1 restarted, the slowest after" "$TEST_TMP/restart.out"
# Timings come from the kernel's process connector; polling /proc is only a fallback.
check "the injector used the process connector" \
	bash -c '! grep -q "no process connector" "$1"' _ "$TEST_TMP/restart.out"
[ "$TESTS_FAILED" = 0 ] || sed 's/^/    /' "$TEST_TMP/restart.out"

# Repeated kills: every 400 ms for 1.5 s, each time the current incarnation.
cat >"$TEST_TMP/interval.yaml" <<YAML
version: 1
name: interval
faults:
  - name: kill-svc
    type: process.kill
    duration: 1500ms
    interval: 400ms
    signal: KILL
    target: {comm: $svc}
YAML
rc=0
"$FAULTLINE_BIN" run "$TEST_TMP/interval.yaml" >"$TEST_TMP/interval.out" 2>&1 || rc=$?
check "a repeated kill runs (exit $rc)" test "$rc" = 0
repeats=$(grep -c "repeat [0-9]* signalled 1 process" "$TEST_TMP/interval.out" || true)
check "it killed again at each interval that found a process ($repeats repeats)" test "$repeats" -ge 2
kill -KILL "$supervisor" 2>/dev/null || true
wait "$supervisor" 2>/dev/null || true
pkill -KILL -f "$TEST_TMP/$svc" 2>/dev/null || true

# A daemon that writes its pidfile only after it has started (most do): selected
# by pidfile, its restart is still seen, through the pidfile.
cat >"$TEST_TMP/late.sh" <<SH
while :; do
	"$TEST_TMP/$svc" 600 &
	child=\$!
	sleep 0.2
	echo \$child >"$TEST_TMP/late.pid"
	wait \$child
	sleep 0.1
done
SH
bash "$TEST_TMP/late.sh" &
late=$!
track_pid "$late"
for _ in $(seq 50); do [ -s "$TEST_TMP/late.pid" ] && break; sleep 0.05; done
sed "s|target: {comm: $svc}|target: {pidfile: $TEST_TMP/late.pid}|" "$TEST_TMP/restart.yaml" >"$TEST_TMP/late.yaml"
rc=0
"$FAULTLINE_BIN" run "$TEST_TMP/late.yaml" >"$TEST_TMP/late.out" 2>&1 || rc=$?
check "a restart that writes its pidfile late is seen (exit $rc)" test "$rc" = 0
check "the late pidfile's process is named as the successor" grep -q "restarted as pid $(cat "$TEST_TMP/late.pid")" "$TEST_TMP/late.out"
kill -KILL "$late" 2>/dev/null || true
wait "$late" 2>/dev/null || true
pkill -KILL -f "$TEST_TMP/$svc" 2>/dev/null || true

# No supervisor: nothing comes back, and expect_restart fails the check.
"$TEST_TMP/$svc" 600 &
lone=$!
track_pid "$lone"
sed -e 's/duration: 2s/duration: 1s/' -e 's/within 2s/within 1s/' "$TEST_TMP/restart.yaml" >"$TEST_TMP/lone.yaml"
rc=0
"$FAULTLINE_BIN" run "$TEST_TMP/lone.yaml" >"$TEST_TMP/lone.out" 2>&1 || rc=$?
check "an unsupervised kill fails expect_restart (exit $rc, expected 1)" test "$rc" = 1
check "the report says which process was not restarted" grep -q "check FAILED: kill-svc: pid $lone was not restarted within 1s" "$TEST_TMP/lone.out"
check "the journal holds nothing" journal_empty
finish
