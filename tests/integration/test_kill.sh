#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# process.kill: a named signal by pid or exact comm through a pidfd, and the
# blast-radius refusals (pid 1, the injector, kernel threads) that no scenario
# can override.
source "$(dirname "$0")/lib.sh"
require_root

# A process with a unique comm: a copy of sleep under another name.
comm="flkill$$"
comm=${comm:0:15}
cp "$(command -v sleep)" "$TEST_TMP/$comm"
"$TEST_TMP/$comm" 600 &
victim=$!
track_pid "$victim"
start_target
bystander=$TARGET

cat >"$TEST_TMP/kill.yaml" <<YAML
version: 1
name: kill-by-comm
faults:
  - {name: kill-it, type: process.kill, target: {comm: $comm}, signal: KILL}
YAML
rc=0
"$FAULTLINE_BIN" run "$TEST_TMP/kill.yaml" >"$TEST_TMP/kill.out" 2>&1 || rc=$?
check "kill by comm exits 0 (got $rc)" test "$rc" = 0
vrc=0
wait "$victim" 2>/dev/null || vrc=$?
check "the victim died of SIGKILL (wait status $vrc)" test "$vrc" = 137
check "the bystander is untouched" test "$(proc_state "$bystander")" = S
check "the journal holds nothing" journal_empty

# A broad selection needs an explicit bound. Probed with a pause of processes of
# our own, so that a failed guard costs nothing.
wide="flwide$$"
wide=${wide:0:15}
ln -s "$(command -v sleep)" "$TEST_TMP/$wide"
for _ in $(seq 70); do "$TEST_TMP/$wide" 600 & track_pid $!; done
printf '%s\n' "version: 1" "name: wide" "faults:" \
	"  - {name: p, type: process.pause, duration: 1s, target: {comm: $wide}}" >"$TEST_TMP/wide.yaml"
rc=0
"$FAULTLINE_BIN" run "$TEST_TMP/wide.yaml" >"$TEST_TMP/wide.out" 2>&1 || rc=$?
check "70 matches without count, percent or max are refused (exit $rc)" test "$rc" = 4
check "the refusal asks for an explicit bound" grep -q "70 processes match (comm \"$wide\"); more than 64 needs count, percent or max" "$TEST_TMP/wide.out"
sed -i "s/target: {comm: $wide}/target: {comm: $wide, max: 70}/" "$TEST_TMP/wide.yaml"
rc=0
"$FAULTLINE_BIN" run "$TEST_TMP/wide.yaml" >"$TEST_TMP/wide2.out" 2>&1 || rc=$?
check "with max: 70 the same selection runs (exit $rc)" test "$rc" = 0
check "and chose all 70" grep -q "70 of 70 matching process(es) chosen" "$TEST_TMP/wide2.out"
pkill -KILL -f "$TEST_TMP/$wide" 2>/dev/null || true

try_kill() { # TARGET-YAML EXPECTED-MESSAGE
	printf '%s\n' "version: 1" "name: refused" "faults:" \
		"  - {name: k, type: process.kill, target: $1, signal: KILL}" >"$TEST_TMP/refuse.yaml"
	local rc=0
	"$FAULTLINE_BIN" run "$TEST_TMP/refuse.yaml" >"$TEST_TMP/refuse.out" 2>&1 || rc=$?
	[ "$rc" = "$3" ] && grep -q "$2" "$TEST_TMP/refuse.out"
}
check "pid 1 is refused by the validator" try_kill "{pid: 1}" "pid 1 is never a target" 2
check "kthreadd (pid 2) is refused by the injector" try_kill "{pid: 2}" "kernel threads are never targets" 4
# By pid, not by comm: a comm would also match other injectors and controllers
# that may be running on this machine, and those are not ours to kill.
sock="$TEST_TMP/faultlined.sock"
"$FAULTLINED_BIN" --socket "$sock" --state-dir "$STATE_DIR" 2>"$TEST_TMP/daemon.log" &
daemon=$!
track_pid "$daemon"
$FLCLIENT wait-socket "$sock"
printf '%s\n' "version: 1" "name: refused" "faults:" \
	"  - {name: k, type: process.kill, target: {pid: $daemon}, signal: KILL}" >"$TEST_TMP/self.yaml"
rc=0
"$FAULTLINE_BIN" run --injector "unix:$sock" "$TEST_TMP/self.yaml" >"$TEST_TMP/self.out" 2>&1 || rc=$?
check "the injector refuses itself (exit $rc)" test "$rc" = 4
check "the refusal names the rule" grep -q "the injector itself is never a target" "$TEST_TMP/self.out"
check "the injector survived" kill -0 "$daemon"
# The controller: a subshell writes its own pid to a pidfile and execs the
# controller, which therefore targets itself.
printf '%s\n' "version: 1" "name: refused" "faults:" \
	"  - {name: k, type: process.kill, target: {pidfile: $TEST_TMP/me.pid}, signal: KILL}" >"$TEST_TMP/me.yaml"
rc=0
(echo "$BASHPID" >"$TEST_TMP/me.pid" && exec "$FAULTLINE_BIN" run --injector "unix:$sock" \
	"$TEST_TMP/me.yaml") >"$TEST_TMP/me.out" 2>&1 || rc=$?
check "the controller is refused as a target (exit $rc)" test "$rc" = 4
check "the refusal names the controller rule" grep -q "the controller of this session is never a target" "$TEST_TMP/me.out"
kill -TERM "$daemon"
wait_gone "$daemon" 5 || true
check "pid 1 is still alive" test -d /proc/1

# The session leader of the controller's terminal (here: of this test's session).
# Probed with a pause, so that a failed refusal costs a moment, not the session.
sid=$(ps -o sid= -p $$ | tr -d ' ')
if [ -n "$sid" ] && [ "$sid" -gt 1 ] && [ "$sid" != "$$" ]; then
	printf '%s\n' "version: 1" "name: refused" "faults:" \
		"  - {name: p, type: process.pause, duration: 1s, target: {pid: $sid}}" >"$TEST_TMP/sid.yaml"
	rc=0
	"$FAULTLINE_BIN" run "$TEST_TMP/sid.yaml" >"$TEST_TMP/sid.out" 2>&1 || rc=$?
	check "the controller's session leader (pid $sid) is refused (exit $rc)" test "$rc" = 4
	check "the refusal names the rule" grep -q "session leader of the controller's terminal" "$TEST_TMP/sid.out"
else
	echo "# skip: no separate session leader to test the refusal against (session $sid)"
fi
finish
