#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# kill -9 of the controller mid-fault: the injector sees its session end and
# reverts. The paused process runs again within 3 s, and nothing stays journaled.
# Covered for both transports: the spawned stdio injector and the daemon socket.
source "$(dirname "$0")/lib.sh"
require_root

start_target
target=$TARGET
scenario="$TEST_TMP/pause.yaml"
write_pause_scenario "$scenario" "$target" 60s

# 1. auto transport: the controller spawned faultlined --stdio.
"$FAULTLINE_BIN" run "$scenario" >"$TEST_TMP/run.out" 2>&1 &
runner=$!
track_pid "$runner"
check "stdio: process paused" wait_state "$target" T 5
injector=$(children_of "$runner" | head -n1)
track_pid "$injector"
kill -9 "$runner"
check "stdio: process runs again within 3 s of kill -9 of the controller" wait_state "$target" '!T' 3
check "stdio: the injector exits after reverting" wait_gone "$injector" 3
check "stdio: the journal holds nothing" journal_empty

# 2. daemon transport.
sock="$TEST_TMP/faultlined.sock"
"$FAULTLINED_BIN" --socket "$sock" --state-dir "$STATE_DIR" 2>"$TEST_TMP/daemon.log" &
daemon=$!
track_pid "$daemon"
$FLCLIENT wait-socket "$sock"
"$FAULTLINE_BIN" run --injector "unix:$sock" "$scenario" >"$TEST_TMP/run2.out" 2>&1 &
runner=$!
track_pid "$runner"
check "daemon: process paused" wait_state "$target" T 5
kill -9 "$runner"
check "daemon: process runs again within 3 s of kill -9 of the controller" wait_state "$target" '!T' 3
check "daemon: the daemon keeps running" kill -0 "$daemon"
check "daemon: the journal holds nothing" journal_empty
kill -TERM "$daemon"
check "daemon: exits on SIGTERM" wait_gone "$daemon" 5

finish
