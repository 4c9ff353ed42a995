#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# kill -9 of the injector mid-fault leaves the process stopped (nothing could
# revert it), the controller exits 5 ("cleanup failed"), and the next injector
# start (or faultlined --recover) replays the journal and resumes the process.
# A journal whose last record is half written recovers without crashing.
source "$(dirname "$0")/lib.sh"
require_root

start_target
target=$TARGET
scenario="$TEST_TMP/pause.yaml"
write_pause_scenario "$scenario" "$target" 60s

# 1. The spawned stdio injector dies; faultline recover cleans up.
"$FAULTLINE_BIN" run "$scenario" >"$TEST_TMP/run.out" 2>&1 &
runner=$!
track_pid "$runner"
check "stdio: process paused" wait_state "$target" T 5
injector=$(children_of "$runner" | head -n1)
check "stdio: found the spawned injector" test -n "$injector"
kill -9 "$injector"
rc=0
wait "$runner" || rc=$?
check "stdio: the controller exits 5 when the injector dies mid-fault (got $rc)" test "$rc" = 5
check "stdio: the controller says something may be left behind" grep -q "CLEANUP FAILED" "$TEST_TMP/run.out"
check "stdio: the process is still stopped: nobody was left to revert" test "$(proc_state "$target")" = T
check "stdio: the dead injector's journal records the pause" grep -q '"rec":"applied"' "$STATE_DIR"/journal.*.jsonl
"$FAULTLINE_BIN" recover >"$TEST_TMP/recover.out" 2>&1
check "stdio: faultline recover resumes the process" wait_state "$target" '!T' 2
check "stdio: recovery removed the journal" journal_empty

# 2. The daemon dies; its restart recovers.
sock="$TEST_TMP/faultlined.sock"
"$FAULTLINED_BIN" --socket "$sock" --state-dir "$STATE_DIR" 2>"$TEST_TMP/daemon.log" &
daemon=$!
track_pid "$daemon"
$FLCLIENT wait-socket "$sock"
"$FAULTLINE_BIN" run --injector "unix:$sock" "$scenario" >"$TEST_TMP/run2.out" 2>&1 &
runner=$!
track_pid "$runner"
check "daemon: process paused" wait_state "$target" T 5
kill -9 "$daemon"
wait "$runner" || true
check "daemon: the process is still stopped after kill -9 of the daemon" test "$(proc_state "$target")" = T
"$FAULTLINED_BIN" --socket "$sock" --state-dir "$STATE_DIR" 2>"$TEST_TMP/daemon2.log" &
daemon=$!
track_pid "$daemon"
$FLCLIENT wait-socket "$sock"
check "daemon: the restarted daemon resumed the process" wait_state "$target" '!T' 2
check "daemon: the restart logged the recovery" grep -q "recovery: fault .* reverted" "$TEST_TMP/daemon2.log"
kill -TERM "$daemon"
wait_gone "$daemon" 5 || true

# 3. A torn last record: the injector dies, then half a record is appended, as
#    a crash in the middle of a write would leave it.
"$FAULTLINE_BIN" run "$scenario" >"$TEST_TMP/run3.out" 2>&1 &
runner=$!
track_pid "$runner"
wait_state "$target" T 5
injector=$(children_of "$runner" | head -n1)
kill -9 "$injector"
wait "$runner" || true
journal=$(ls "$STATE_DIR"/journal.*.jsonl | head -n1)
printf '{"seq":9,"ts":1,"rec":"reverted","fault":"f1-' >>"$journal"
rc=0
"$FAULTLINED_BIN" --recover --state-dir "$STATE_DIR" 2>"$TEST_TMP/torn.log" || rc=$?
check "torn: recovery exits 0 (got $rc)" test "$rc" = 0
check "torn: the process runs again" wait_state "$target" '!T' 2
check "torn: the torn record was reported" grep -q "torn" "$TEST_TMP/torn.log"
check "torn: no journal is left" journal_empty

# 4. Pure garbage in a journal does not crash recovery.
head -c 4096 /dev/urandom >"$STATE_DIR/journal.999999.jsonl"
chmod 600 "$STATE_DIR/journal.999999.jsonl"
rc=0
"$FAULTLINED_BIN" --recover --state-dir "$STATE_DIR" 2>"$TEST_TMP/garbage.log" || rc=$?
check "garbage: recovery exits 0 without crashing (got $rc)" test "$rc" = 0

finish
