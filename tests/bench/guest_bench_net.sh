#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Guest half of bench_net_vm.sh: runs bench_net_apply on veth devices it creates in
# the throwaway guest (TCG: every figure is slower than on real hardware, for both
# sides alike).
# shellcheck source=tests/vm/guest/lib.sh disable=SC1091
. /test/lib.sh

# One fault first, on a guest with 3 interfaces (lo and the pair), as on a
# typical host; validate, apply and revert look up the one named link and its root.
$IP link add bench0 type veth peer name bench0p
$IP link set bench0 up
$IP link set bench0p up
before=$($TC qdisc show)
check "one fault, 200 cycles each" /usr/bin/bench_net_apply one bench0 200
check "the qdiscs are as before" test "$($TC qdisc show)" = "$before"
# The same with 200 more interfaces: neither side should care (the injector's
# lookups are single requests, not dumps; tc's add addresses one device).
for ((i = 0; i < 100; i++)); do
	$IP link add "bv$i" type veth peer name "bv$((i + 100))"
done
for ((i = 0; i < 200; i++)); do
	$IP link set "bv$i" up
done
before=$($TC qdisc show)
check "one fault among 203 interfaces, 200 cycles each" /usr/bin/bench_net_apply one bench0 200
check "200 veth interfaces, 5 rounds each" /usr/bin/bench_net_apply many bv 200 5
check "the qdiscs are as before" test "$($TC qdisc show)" = "$before"
finish
