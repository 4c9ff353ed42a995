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

try_kill() { # TARGET-YAML EXPECTED-MESSAGE
	printf '%s\n' "version: 1" "name: refused" "faults:" \
		"  - {name: k, type: process.kill, target: $1, signal: KILL}" >"$TEST_TMP/refuse.yaml"
	local rc=0
	"$FAULTLINE_BIN" run "$TEST_TMP/refuse.yaml" >"$TEST_TMP/refuse.out" 2>&1 || rc=$?
	[ "$rc" = "$3" ] && grep -q "$2" "$TEST_TMP/refuse.out"
}
check "pid 1 is refused by the validator" try_kill "{pid: 1}" "pid 1 is never a target" 2
check "kthreadd (pid 2) is refused by the injector" try_kill "{pid: 2}" "kernel threads are never targets" 4
check "the injector itself is refused by comm" try_kill "{comm: faultlined}" "never a target" 4
check "the controller itself is refused by comm" try_kill "{comm: faultline}" "never a target" 4
check "pid 1 is still alive" test -d /proc/1
finish
