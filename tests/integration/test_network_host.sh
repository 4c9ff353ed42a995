#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The network fault on this host's kernel, which has veth and htb but no sch_netem
# (design §8): everything up to the kernel's answer. In throwaway namespaces:
# - a hand-made htb root is refused with its kind and handle named, and untouched;
# - an unknown interface, an unknown netns, a path that is no namespace: refused;
# - on a default root, the apply reaches the kernel and fails with the module named
#   (sch_netem is not available ...), leaving every qdisc as it was and an empty
#   journal.
# The applies that succeed are tested in tests/vm/test_vm_network.sh.
source "$(dirname "$0")/lib.sh"
require_root
command -v ip >/dev/null && command -v tc >/dev/null || { echo "SKIP: iproute2 is missing"; exit 77; }

ns_a="flnet-a-$$"
ns_b="flnet-b-$$"
cleanup_netns() {
	ip netns del "$ns_a" 2>/dev/null || true
	ip netns del "$ns_b" 2>/dev/null || true
	cleanup
}
trap cleanup_netns EXIT
ip netns add "$ns_a" && ip netns add "$ns_b" || { echo "SKIP: cannot create network namespaces"; exit 77; }
ip link add veth-a netns "$ns_a" type veth peer name veth-b netns "$ns_b" ||
	{ echo "SKIP: no veth"; exit 77; }
# No IPv6: its autoconfiguration would send packets through the htb and move its
# counters (direct_packets_stat) between two snapshots.
for ns in "$ns_a" "$ns_b"; do
	ip netns exec "$ns" sh -c 'echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6' 2>/dev/null || true
	ip netns exec "$ns" sh -c 'echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6' 2>/dev/null || true
done
ip -n "$ns_a" link set veth-a up
ip -n "$ns_b" link set veth-b up
tc -n "$ns_b" qdisc add dev veth-b root handle 1: htb default 1 ||
	{ echo "SKIP: no sch_htb"; exit 77; }
if tc -n "$ns_a" qdisc add dev veth-a root netem delay 1ms 2>/dev/null; then
	tc -n "$ns_a" qdisc del dev veth-a root
	echo "SKIP: this kernel has sch_netem; the apply is tested in tests/vm"
	exit 77
fi

snapshot() {
	local ns
	for ns in "$ns_a" "$ns_b"; do
		tc -n "$ns" -d qdisc show
		ip -n "$ns" link show
	done
}
# The carrier comes up a moment after the link: wait, so that it does not differ
# between two snapshots.
for ((i = 0; i < 100; i++)); do
	ip -n "$ns_a" link show veth-a | grep -q 'state UP' &&
		ip -n "$ns_b" link show veth-b | grep -q 'state UP' && break
	sleep 0.05
done
before=$(snapshot)

# run_network NAME NETNS INTERFACE: a one-fault scenario; exit code in RC, output in NAME.out.
run_network() {
	cat >"$TEST_TMP/$1.yaml" <<YAML
version: 1
name: $1
faults:
  - name: $1
    type: network
    duration: 10s
    target: {netns: $2, interface: $3}
    delay: 100ms
    loss: 10%
YAML
	RC=0
	"$FAULTLINE_BIN" run "$TEST_TMP/$1.yaml" >"$TEST_TMP/$1.out" 2>&1 || RC=$?
}

# expect NAME MESSAGE: the run failed to apply (4) and said MESSAGE.
expect() {
	check "$1: exit code 4 (got $RC)" test "$RC" = 4
	if grep -qF -- "$2" "$TEST_TMP/$1.out"; then
		pass "$1: says '$2'"
	else
		fail "$1: expected '$2' in:"
		sed 's/^/    /' "$TEST_TMP/$1.out"
	fi
	local now
	now=$(snapshot)
	if [ "$now" = "$before" ]; then
		pass "$1: qdiscs and links unchanged"
	else
		fail "$1: qdiscs or links changed:"
		diff <(echo "$before") <(echo "$now") | sed 's/^/    /' || true
	fi
	check "$1: the journal holds nothing" journal_empty
}

run_network htb "$ns_b" veth-b
expect htb "interface veth-b in netns $ns_b has root qdisc htb 1:, which faultline did not create; refusing to replace it"
check "htb: the htb root is still there" grep -q '^qdisc htb 1: root' <<<"$(tc -n "$ns_b" qdisc show dev veth-b)"

run_network unknown-interface "$ns_a" nope0
expect unknown-interface "no interface \"nope0\" in netns $ns_a"

run_network unknown-netns "flnet-none-$$" veth-a
expect unknown-netns "netns flnet-none-$$: /run/netns/flnet-none-$$ does not exist"

run_network not-a-netns /etc/hostname veth-a
expect not-a-netns "/etc/hostname is not a network namespace"

run_network no-netem "$ns_a" veth-a
expect no-netem "sch_netem is not available in this kernel (modprobe sch_netem)"

# "all" skips loopback and reaches veth-a only.
run_network all "$ns_a" all
expect all "sch_netem is not available in this kernel"

finish
