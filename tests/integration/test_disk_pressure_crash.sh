#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# disk.pressure survives crashes without leaving anything behind:
# 1. kill -9 of the controller: its injector sees the pipe close, stops the I/O
#    (the disk's read completions fall back to the background rate) and removes
#    the files, then exits.
# 2. kill -9 of the stdio injector: its threads die with it, so the I/O stops at
#    once; the files stay until `faultline recover` replays the journal, which
#    removes them.
# 3. kill -9 of a daemon: its restart replays the journal and removes the files.
# The pressure is 5000 reads/s, far above the background reads of this host
# (tens per second), so "stopped" is told apart from "running" without doubt.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pressure_lib.sh"
require_root

work="$TEST_TMP/pressure"
mkdir -p "$work"
disk=$(disk_of "$work")
if [ -z "$disk" ]; then
	echo "SKIP: $work is not on a block device, so its completions cannot be counted"
	exit 77
fi
scenario="$TEST_TMP/hog.yaml"
write_pressure_scenario "$scenario" "$work" 60s "mode: read" "size: 64MiB" "workers: 2" \
	"rate: 5000/s"

# 1. The controller dies.
"$FAULTLINE_BIN" run "$scenario" >"$TEST_TMP/run1.out" 2>&1 &
runner=$!
track_pid "$runner"
check "controller: the pressure runs" wait_for_line "$TEST_TMP/run1.out" "hog: pressure running" 10
injector=$(children_of "$runner" | head -n1)
check "controller: found the spawned injector" test -n "$injector"
rate=$(reads_per_second "$disk" 1)
echo "# reads/s on $disk while the pressure runs: $rate"
check "controller: the disk completes the pressure's reads ($rate/s)" \
	awk -v r="$rate" 'BEGIN { exit !(r >= 4500) }'
kill -9 "$runner"
wait "$runner" 2>/dev/null || true
check "controller: the injector reverts and exits" wait_gone "$injector" 5
after=$(reads_per_second "$disk" 1)
echo "# reads/s on $disk after the controller died: $after"
check "controller: the reads stop ($after/s after)" awk -v r="$after" 'BEGIN { exit !(r < 1000) }'
check "controller: the files are removed" test "$(pressure_files "$work")" = 0
check "controller: the journal holds nothing" journal_empty

# 2. The stdio injector dies.
"$FAULTLINE_BIN" run "$scenario" >"$TEST_TMP/run2.out" 2>&1 &
runner=$!
track_pid "$runner"
check "injector: the pressure runs" wait_for_line "$TEST_TMP/run2.out" "hog: pressure running" 10
injector=$(children_of "$runner" | head -n1)
check "injector: it runs one thread per worker" test "$(thread_count "$injector")" = 3
kill -9 "$injector"
rc=0
wait "$runner" || rc=$?
check "injector: the controller exits 5 (got $rc)" test "$rc" = 5
check "injector: no thread of it is left" test ! -e "/proc/$injector"
after=$(reads_per_second "$disk" 1)
echo "# reads/s on $disk after the injector died: $after"
check "injector: the reads stop ($after/s after)" awk -v r="$after" 'BEGIN { exit !(r < 1000) }'
check "injector: the files are still there: nobody was left to remove them" \
	test "$(pressure_files "$work")" = 2
check "injector: the journal records them" grep -q '.faultline-pressure-' "$STATE_DIR"/journal.*.jsonl
"$FAULTLINE_BIN" recover >"$TEST_TMP/recover.out" 2>&1
check "injector: faultline recover removes the files" test "$(pressure_files "$work")" = 0
check "injector: recovery removed the journal" journal_empty

# 3. The daemon dies; its restart recovers.
sock="$TEST_TMP/faultlined.sock"
"$FAULTLINED_BIN" --socket "$sock" --state-dir "$STATE_DIR" 2>"$TEST_TMP/daemon.log" &
daemon=$!
track_pid "$daemon"
$FLCLIENT wait-socket "$sock"
"$FAULTLINE_BIN" run --injector "unix:$sock" "$scenario" >"$TEST_TMP/run3.out" 2>&1 &
runner=$!
track_pid "$runner"
check "daemon: the pressure runs" wait_for_line "$TEST_TMP/run3.out" "hog: pressure running" 10
kill -9 "$daemon"
wait "$runner" || true
check "daemon: the files stay after kill -9 of the daemon" test "$(pressure_files "$work")" = 2
"$FAULTLINED_BIN" --socket "$sock" --state-dir "$STATE_DIR" 2>"$TEST_TMP/daemon2.log" &
daemon=$!
track_pid "$daemon"
$FLCLIENT wait-socket "$sock"
check "daemon: the restarted daemon removed the files" test "$(pressure_files "$work")" = 0
check "daemon: the restart logged the recovery" grep -q "recovery: fault .* reverted" "$TEST_TMP/daemon2.log"
kill -TERM "$daemon"
wait_gone "$daemon" 5 || true
check "daemon: the journal holds nothing" journal_empty

finish
