#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Guest half of test_vm_slo_netem.sh: SLOs against a real netem delay.
#
# Topology, inside the guest only: netns a (veth-a, 10.98.0.1/24) <-> netns b
# (veth-b, 10.98.0.2/24). The demo service listens in b; `faultline run` (and so
# its probes and the injector it spawns) runs in a. The fault is a 100 ms delay on
# veth-a's egress, so every request waits 100 ms and the answers do not.
#
#   (a) objective p50 < 50ms: exit 1, p50 in the fault phase between 100 and 150 ms
#   (b) objective p50 < 150ms: exit 0
#   (c) abort_when on max < 50ms for 1 s: exit 3 within breached_for + the 100 ms
#       delay itself (the earliest a delayed answer can be seen) + 200 ms of the
#       apply, and our netem is gone right after
#   (d) recovery: netem's delay ends at the revert, so the truth is a recovery time
#       of 0; the reported one is within 200 ms of it
# shellcheck source=tests/vm/guest/lib.sh disable=SC1091
. /test/lib.sh

export FAULTLINED=$FAULTLINED_BIN
export FAULTLINE_STATE_DIR=/run/faultline-test
export FAULTLINE_SOCKET=/run/faultline-test/no-daemon.sock
mkdir -p "$FAULTLINE_STATE_DIR"
work=/tmp/slo
mkdir -p "$work"
chmod 777 "$work"

$IP netns add a
$IP netns add b
$IP link add veth-a netns a type veth peer name veth-b netns b
$IP -n a addr add 10.98.0.1/24 dev veth-a
$IP -n b addr add 10.98.0.2/24 dev veth-b
for ns in a b; do
	$IP -n "$ns" link set lo up
done
$IP -n a link set veth-a up
$IP -n b link set veth-b up
$IP netns exec a ping -c 3 -i 0.2 -w 10 10.98.0.2 >/dev/null || true

$IP netns exec b faultline-demo-service --listen 10.98.0.2:8080 >"$work/demo.out" 2>&1 &
demo=$!
for _ in $(seq 100); do
	grep -q '^listening on' "$work/demo.out" && break
	sleep 0.05
done
check "the demo service listens in netns b" grep -q '^listening on 10.98.0.2:8080' "$work/demo.out"

# scenario FILE OBJECTIVE DURATION [EXTRA_YAML]
scenario() {
	cat >"$1" <<YAML
version: 1
name: slo-netem
phases: {baseline: 2s, recovery: {within: 5s}}
probes:
  api: {http: {url: "http://10.98.0.2:8080/", timeout: 1s}, rate: 5/s, concurrency: 1}
slos:
  - {name: median, probe: api, objective: "$2"}
faults:
  - name: delay
    type: network
    duration: $3
    target: {netns: a, interface: veth-a}
    delay: 100ms
${4:-}
YAML
}

# run FILE: `faultline run FILE` inside netns a; exit code in RC, output in FILE.log.
run() {
	RC=0
	$IP netns exec a "$FAULTLINE_BIN" run "$1" >"$1.log" 2>&1 || RC=$?
	sed 's/^/    /' "$1.log" | grep -v 'faultlined\[' || true
}

stamp() { sed -n "s/^\[ *+\([0-9.]*\)s\] .*$1.*/\1/p" "$2" | head -n1; }
ours_gone() { ! grep -q '^qdisc netem fa17: ' <<<"$($TC -n a qdisc show dev veth-a)"; }

# (a) p50 < 50ms fails.
scenario "$work/fail.yaml" "p50 < 50ms" 4s
run "$work/fail.yaml"
check "(a) a 100 ms delay breaks p50 < 50ms: exit 1 (got $RC)" test "$RC" = 1
p50=$(sed -n 's/^median *fault *\([0-9.]*\)ms .*/\1/p' "$work/fail.yaml.log")
check "(a) the fault phase's p50 is the delay: 100 to 150 ms (${p50:-none} ms)" float_between "${p50:-0}" 100 150
check "(a) our netem is gone after the run" ours_gone

# (b) p50 < 150ms passes; (d) recovery time.
scenario "$work/pass.yaml" "p50 < 150ms" 4s
run "$work/pass.yaml"
check "(b) p50 < 150ms holds under the 100 ms delay: exit 0 (got $RC)" test "$RC" = 0
rec=$(sed -n 's/^recovery time: \([0-9.]*\) s.*/\1/p' "$work/pass.yaml.log")
check "(d) recovery time within 200 ms of the truth, 0 s (${rec:-none} s)" float_between "${rec:-9}" 0 0.2

# (c) the abort condition.
scenario "$work/abort.yaml" "p50 < 150ms" 60s "abort_when: [{slo: tail, breached_for: 1s}]"
sed -i 's/^slos:$/slos:\n  - {name: tail, probe: api, objective: "max < 50ms", phases: [fault], window: 500ms}/' "$work/abort.yaml"
sed -i 's/rate: 5\/s, concurrency: 1/rate: 20\/s/' "$work/abort.yaml"
run "$work/abort.yaml"
applied=$(stamp "applied delay" "$work/abort.yaml.log")
aborted=$(stamp "ABORT: slo tail" "$work/abort.yaml.log")
delay=$(awk -v a="${applied:-0}" -v b="${aborted:-999}" 'BEGIN { printf "%.3f", b - a }')
echo "    applied at +${applied}s, abort at +${aborted}s: ${delay}s after the apply"
check "(c) the abort exits 3 (got $RC)" test "$RC" = 3
check "(c) it fired within 1 s + 100 ms + 200 ms of the apply (${delay} s)" float_between "$delay" 1.0 1.3
check "(c) our netem is gone right after" ours_gone
check "(c) the revert says why" grep -q "reverted delay .*(abort condition)" "$work/abort.yaml.log"

kill "$demo" 2>/dev/null || true
finish
