#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The injector enforces every bound on its own clock:
# - a session whose heartbeats stop (connection still open) loses its faults after
#   three intervals, and is told so;
# - a fault outlives neither its duration plus the grace period (hard TTL), even
#   with a healthy session;
# - SIGTERM to the daemon reverts everything before it exits;
# - faultline revert --all (root) reverts another session's faults.
source "$(dirname "$0")/lib.sh"
require_root

start_target
target=$TARGET
sock="$TEST_TMP/faultlined.sock"
"$FAULTLINED_BIN" --socket "$sock" --state-dir "$STATE_DIR" --grace 300ms \
	2>"$TEST_TMP/daemon.log" &
daemon=$!
track_pid "$daemon"
$FLCLIENT wait-socket "$sock"

cat >"$TEST_TMP/leases.py" <<'PY'
import os, sys, time
sys.path.insert(0, os.environ["FLDIR"])
from flclient import Client, proc_state

sock, target, step = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def wait_not_stopped(limit):
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        if proc_state(target) != "T":
            return time.monotonic() - t0
        time.sleep(0.02)
    return None

c = Client(sock)
if step == "heartbeat":
    c.hello(heartbeat_ms=200)
    assert c.apply_pause(target, 60000)["ok"]
    # SIGSTOP takes effect when the target is next scheduled
    t0 = time.monotonic()
    while proc_state(target) != "T" and time.monotonic() - t0 < 2:
        time.sleep(0.01)
    assert proc_state(target) == "T", "not stopped"
    # Say nothing more, but keep the connection open.
    e = c.wait_event("fault_reverted", timeout=3.0)
    assert e["reason"] == "heartbeat_lost", e
    took = wait_not_stopped(0.5)
    assert took is not None, "still stopped after the session expired"
    print("heartbeat_lost after silence; process resumed")
elif step == "ttl":
    c.hello(heartbeat_ms=200)
    t0 = time.monotonic()
    assert c.apply_pause(target, 500)["ok"]
    # Keep heartbeating but never revert: the injector must revert at 500ms + 300ms grace.
    while proc_state(target) == "T" and time.monotonic() - t0 < 5:
        c.call("heartbeat")
        time.sleep(0.05)
    took = time.monotonic() - t0
    e = c.wait_event("fault_reverted", timeout=1.0)
    assert e["reason"] == "ttl_expired", e
    # Never before duration + grace; the upper bound only catches "never".
    assert 0.75 <= took <= 3.0, "reverted after %.2fs, expected about 0.8s" % took
    print("ttl_expired after %.2fs" % took)
elif step == "hold":
    c.hello(heartbeat_ms=60000)
    assert c.apply_pause(target, 60000)["ok"]
    print("holding", flush=True)
    time.sleep(30)
PY
export FLDIR="$FAULTLINE_SOURCE_DIR/tests/integration"
check "a session that stops heartbeating loses its fault" "$PYTHON" "$TEST_TMP/leases.py" "$sock" "$target" heartbeat
check "a fault is reverted at its hard TTL (duration + grace)" "$PYTHON" "$TEST_TMP/leases.py" "$sock" "$target" ttl

# revert --all from another session, as root.
"$PYTHON" "$TEST_TMP/leases.py" "$sock" "$target" hold >"$TEST_TMP/hold.out" &
holder=$!
track_pid "$holder"
wait_state "$target" T 5
"$FAULTLINE_BIN" revert --all --injector "unix:$sock" >"$TEST_TMP/revert.out"
check "revert --all resumes another session's paused process" wait_state "$target" '!T' 2
check "revert --all reports what it did" grep -q "reverted 1 fault(s) of every session" "$TEST_TMP/revert.out"
kill "$holder" 2>/dev/null || true

# SIGTERM reverts before exit.
"$PYTHON" "$TEST_TMP/leases.py" "$sock" "$target" hold >"$TEST_TMP/hold2.out" &
holder=$!
track_pid "$holder"
wait_state "$target" T 5
kill -TERM "$daemon"
check "SIGTERM: the daemon exits" wait_gone "$daemon" 5
check "SIGTERM: the paused process was resumed" test "$(proc_state "$target")" != T
check "SIGTERM: the journal is gone" journal_empty
kill "$holder" 2>/dev/null || true
finish
