#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Guest half of test_vm_netem_smoke.sh: the harness works end to end. The project's
# binaries run in the guest, sch_netem is loaded, netem on lo delays pings by the
# asked amount (50 ms each way, so about 100 ms of RTT), and deleting the qdisc
# gives lo back exactly the qdisc it had.
# shellcheck source=tests/vm/guest/lib.sh disable=SC1091
. /test/lib.sh

version=$("$FAULTLINED_BIN" --version 2>&1) || true
check "faultlined --version runs in the guest ($version)" grep -q '^faultlined ' <<<"$version"
version=$("$FAULTLINE_BIN" --version 2>&1) || true
check "faultline --version runs in the guest ($version)" grep -q '^faultline ' <<<"$version"

check "sch_netem is loaded" test -d /sys/module/sch_netem
check "lo is up" grep -q '<[A-Z,_]*UP' <<<"$($IP link show dev lo)"

before=$($TC -d qdisc show dev lo)
echo "lo before: $before"
base_ms=$(ping_avg_ms 127.0.0.1 3) || base_ms=''
check "ping 127.0.0.1 without netem: ${base_ms:-no reply} ms < 50 ms" float_between "$base_ms" 0 50

if $TC qdisc add dev lo root netem delay 50ms; then
	pass "tc qdisc add dev lo root netem delay 50ms"
else
	fail "tc qdisc add dev lo root netem delay 50ms"
fi
during=$($TC -d qdisc show dev lo)
echo "lo with netem: $during"
check "tc shows netem with delay 50ms on lo" grep -q 'qdisc netem .* delay 50ms' <<<"$during"

rtt_ms=$(ping_avg_ms 127.0.0.1 5) || rtt_ms=''
check "ping 127.0.0.1 through netem: ${rtt_ms:-no reply} ms, between 90 and 200 ms" \
	float_between "$rtt_ms" 90 200

if $TC qdisc del dev lo root; then
	pass "tc qdisc del dev lo root"
else
	fail "tc qdisc del dev lo root"
fi
after=$($TC -d qdisc show dev lo)
echo "lo after: $after"
check "lo's qdisc dump after removal equals the one before" test "$after" = "$before"
back_ms=$(ping_avg_ms 127.0.0.1 3) || back_ms=''
check "ping 127.0.0.1 after removal: ${back_ms:-no reply} ms < 50 ms" float_between "$back_ms" 0 50

finish
