#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# faultline run pauses a process for the fault's duration: state T while the fault
# is on, not T after; exit 0; the journal is empty afterwards. Ctrl-C mid-fault
# reverts at once and exits 3 ("interrupted"). A fault that cannot be applied
# (pid 1) exits 4 and touches nothing.
source "$(dirname "$0")/lib.sh"
require_root

start_target
target=$TARGET
scenario="$TEST_TMP/pause.yaml"
write_pause_scenario "$scenario" "$target" 2s 500ms

"$FAULTLINE_BIN" run "$scenario" >"$TEST_TMP/run.out" 2>&1 &
runner=$!
track_pid "$runner"
check "paused process is in state T while the fault is on" wait_state "$target" T 5
uids=$(awk '/^Uid:/ {print $2, $3, $4}' "/proc/$runner/status")
check "the controller dropped root after spawning the injector (uid $uids)" test "$uids" = "65534 65534 65534"
check "the injector it spawned is still root" test "$(awk '/^Uid:/ {print $3}' "/proc/$(children_of "$runner" | head -n1)/status")" = 0
sleep 0.5
check "still T half way through the fault" test "$(proc_state "$target")" = T
rc=0
wait "$runner" || rc=$?
check "run exits 0 (got $rc)" test "$rc" = 0
check "process is not T after the revert" wait_state "$target" '!T' 1
check "process is alive after the revert" test "$(proc_state "$target")" != gone
check "the journal holds nothing afterwards" journal_empty
check "the output shows the apply and the revert" grep -q "reverted pause-target" "$TEST_TMP/run.out"

# A target that dies while paused is reported, and is not an error on revert.
start_target
doomed=$TARGET
write_pause_scenario "$scenario" "$doomed" 2s
"$FAULTLINE_BIN" run "$scenario" >"$TEST_TMP/doomed.out" 2>&1 &
runner=$!
track_pid "$runner"
wait_state "$doomed" T 5
kill -KILL "$doomed"
wait "$doomed" 2>/dev/null || true
rc=0
wait "$runner" || rc=$?
check "a target killed while paused: the run still exits 0 (got $rc)" test "$rc" = 0
check "its death is reported during the fault" grep -q "1 target(s) exited while the fault was active" "$TEST_TMP/doomed.out"
check "and in the revert" grep -q "1 target(s) had exited while paused" "$TEST_TMP/doomed.out"
check "the journal holds nothing after it" journal_empty

# Ctrl-C: SIGINT to the controller mid-fault.
write_pause_scenario "$scenario" "$target" 60s
"$FAULTLINE_BIN" run "$scenario" >"$TEST_TMP/int.out" 2>&1 &
runner=$!
track_pid "$runner"
wait_state "$target" T 5
kill -INT "$runner"
rc=0
wait "$runner" || rc=$?
check "SIGINT exits 3 (got $rc)" test "$rc" = 3
check "SIGINT reports interrupted" grep -q "INTERRUPTED" "$TEST_TMP/int.out"
check "SIGINT reverted the pause" wait_state "$target" '!T' 1
check "the journal holds nothing after SIGINT" journal_empty

# A refused target: pid 1. Nothing is signalled, exit 4, and the reason is given.
write_pause_scenario "$scenario" 1 5s 2>/dev/null
sed -i 's/{pid: 1}/{comm: init-not-here}/' "$scenario"
printf '%s\n' "version: 1" "name: refuse" "faults:" "  - {name: k, type: process.kill, target: {comm: no-such-comm-x}}" >"$scenario"
rc=0
"$FAULTLINE_BIN" run "$scenario" >"$TEST_TMP/refuse.out" 2>&1 || rc=$?
check "a target that matches nothing exits 4 (got $rc)" test "$rc" = 4
check "the error says nothing matched" grep -q "no live process matches" "$TEST_TMP/refuse.out"

finish
