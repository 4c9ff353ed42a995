#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# faultline plan: the dry run resolves every fault exactly as run would (same
# selection, same refusals) and prints the operations and the blast radius, and
# changes nothing: the processes keep running, the qdiscs read the same, the
# journal stays empty.
source "$(dirname "$0")/lib.sh"
require_root

start_target
target=$TARGET
NS="flplan$$"
ip netns add "$NS"
trap 'set +e; ip netns del "$NS" 2>/dev/null; cleanup' EXIT
ip -n "$NS" link add veth-a type veth peer name veth-b
ip -n "$NS" link set veth-a up
ip -n "$NS" link set veth-b up
before=$(ip netns exec "$NS" tc -d qdisc show)

cat >"$TEST_TMP/plan.yaml" <<YAML
version: 1
name: plan-check
phases: {baseline: 2s}
faults:
  - name: pause-it
    type: process.pause
    at: 1s
    duration: 10s
    target: {pid: $target}
  - name: kill-it
    type: process.kill
    signal: KILL
    target: {pid: $target}
  - name: slow-link
    type: network
    duration: 10s
    target: {netns: $NS, interface: veth-a}
    delay: 100ms
YAML
rc=0
"$FAULTLINE_BIN" plan "$TEST_TMP/plan.yaml" >"$TEST_TMP/plan.out" 2>&1 || rc=$?
check "plan exits 0 when every fault would apply (got $rc)" test "$rc" = 0
check "it names the pause's target with its start time" grep -qE "stop pid $target comm sleep starttime [0-9]+ uid 0 cgroup" "$TEST_TMP/plan.out"
check "it names the kill's target" grep -qE "signal pid $target comm sleep" "$TEST_TMP/plan.out"
check "it gives each fault's time on the timeline" grep -q "pause-it (process.pause) at +3s for 10s" "$TEST_TMP/plan.out"
check "it names the qdisc it would replace, and ours" grep -qE "veth-a \(ifindex [0-9]+\): replace root qdisc noqueue \(handle 0:\) with netem handle fa17:" "$TEST_TMP/plan.out"
check "it gives the blast radius" grep -q "blast radius: 2 process(es), 1 interface(s)" "$TEST_TMP/plan.out"
check "the target was neither stopped nor killed" test "$(proc_state "$target")" = S
check "the qdiscs read the same" test "$(ip netns exec "$NS" tc -d qdisc show)" = "$before"
check "nothing was journaled" journal_empty

# A plan that would fail says so, per fault, and exits 4.
printf '%s\n' "version: 1" "name: fails" "faults:" \
	"  - {name: pause-init-child, type: process.pause, duration: 1s, target: {pid: 2}}" \
	"  - {name: no-such-if, type: network, duration: 1s, target: {netns: $NS, interface: nosuch0}, delay: 10ms}" \
	>"$TEST_TMP/fails.yaml"
rc=0
"$FAULTLINE_BIN" plan "$TEST_TMP/fails.yaml" >"$TEST_TMP/fails.out" 2>&1 || rc=$?
check "a plan that would fail exits 4 (got $rc)" test "$rc" = 4
check "it names the blast-radius refusal" grep -q "pause-init-child .*WOULD FAIL: [^ ]*:[0-9]*:[0-9]*: refused pid 2: kernel threads are never targets" "$TEST_TMP/fails.out"
check "it names the missing interface" grep -q "no-such-if .*WOULD FAIL: .*nosuch0" "$TEST_TMP/fails.out"
rc=0
"$FAULTLINE_BIN" plan --json "$TEST_TMP/plan.yaml" >"$TEST_TMP/plan.json" 2>/dev/null || rc=$?
check "--json gives every plan" "$PYTHON" -c "import json,sys; d=json.load(open('$TEST_TMP/plan.json')); sys.exit(0 if len(d)==3 and d[2]['kind']=='network' else 1)"
finish
