#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Guest half of test_vm_network.sh: the `network` fault end to end, on a real kernel
# with sch_netem, driven by `faultline run` scenarios (the controller spawns
# `faultlined --stdio` itself, as root does without a daemon).
#
# Topology, inside the guest only: netns a (veth-a, 10.99.0.1/24) <-> netns b
# (veth-b, 10.99.0.2/24). Faults go on veth-a's egress, so the echo requests from a
# are impaired and the replies are not.
#
#   (a) delay 100ms: busybox ping's median RTT grows by 100 ms +- 10 ms
#   (b) loss 30% over 1000 pings: the loss count lies within the binomial 99.9% bounds
#   (c) tc -d qdisc show reads back exactly the configured netem
#   (d) after every revert, tc -d qdisc show, tc -d filter show and ip link in each
#       namespace are byte-identical to before
#   (e) refusals: a hand-made htb root (named in the error, left untouched), an
#       unknown interface, an unknown netns, a second fault on a held interface;
#       and a netns named by {pid: N}
#   (f) kill -9 of the controller: our qdisc gone within 3 s; kill -9 of the
#       injector: the qdisc stays, and `faultline recover` removes it within 3 s
#   (q) one fault on 20 interfaces (more than one round of pipelined requests):
#       netem on each of the 20, then every dump of the namespace as before
# shellcheck source=tests/vm/guest/lib.sh disable=SC1091
. /test/lib.sh

export FAULTLINED=$FAULTLINED_BIN
export FAULTLINE_STATE_DIR=/run/faultline-test
export FAULTLINE_SOCKET=/run/faultline-test/no-daemon.sock
mkdir -p "$FAULTLINE_STATE_DIR"
work=/tmp/network
mkdir -p "$work"
FL_PID=''

# --- topology ---------------------------------------------------------------------

$IP netns add a
$IP netns add b
$IP link add veth-a netns a type veth peer name veth-b netns b
$IP -n a addr add 10.99.0.1/24 dev veth-a
$IP -n b addr add 10.99.0.2/24 dev veth-b
for ns in a b; do
	$IP -n "$ns" link set lo up
done
$IP -n a link set veth-a up
$IP -n b link set veth-b up
# ARP settled before anything is measured.
$IP netns exec a ping -c 3 -i 0.2 -w 10 10.99.0.2 >/dev/null || true

# snapshot: everything (d) compares, for both namespaces and the guest's own.
snapshot_raw() {
	local ns dev
	for ns in a b; do
		echo "== netns $ns"
		$TC -n "$ns" -d qdisc show
		for dev in lo "veth-$ns"; do
			echo "-- filters of $dev"
			$TC -n "$ns" -d filter show dev "$dev"
			echo "-- ingress filters of $dev"
			$TC -n "$ns" -d filter show dev "$dev" ingress
		done
		$IP -n "$ns" link show
	done
	echo "== the guest's netns"
	$TC -d qdisc show
}

# htb prints a packet counter (direct_packets_stat) even without -s; the
# comparisons are of configuration, so counters are left out.
snapshot() {
	snapshot_raw | sed 's/ direct_packets_stat [0-9]*//'
}

# same_as BEFORE WHAT: the snapshot now equals BEFORE, or the difference is shown.
same_as() {
	local now
	now=$(snapshot)
	if [ "$now" = "$1" ]; then
		pass "$2: qdiscs, filters and links are byte-identical to before"
	else
		fail "$2: the state differs from before"
		echo "$1" >"$work/state.before"
		echo "$now" >"$work/state.now"
		diff "$work/state.before" "$work/state.now" | sed 's/^/    /' || true
	fi
}

# scenario FILE NAME DURATION NETNS INTERFACE KNOB...: a one-fault scenario.
scenario() {
	local file=$1 name=$2 duration=$3 netns=$4 iface=$5
	shift 5
	{
		printf 'version: 1\nname: %s\nfaults:\n  - name: %s\n    type: network\n' "$name" "$name"
		printf '    at: 0s\n    duration: %s\n    target: {netns: %s, interface: %s}\n' \
			"$duration" "$netns" "$iface"
		for knob in "$@"; do
			printf '    %s\n' "$knob"
		done
	} >"$file"
}

# start_run FILE: `faultline run FILE` in the background; FL_PID, log in FILE.log.
start_run() {
	"$FAULTLINE_BIN" run "$1" >"$1.log" 2>&1 &
	FL_PID=$!
}

# wait_run: waits for the run started last; its exit code in RC. (Not a command
# substitution: a subshell cannot wait for its parent's child.)
wait_run() {
	RC=0
	wait "$FL_PID" || RC=$?
	FL_PID=''
}

# isqrt N: the integer square root of N (bash arithmetic; busybox awk has no sqrt).
isqrt() {
	local n=$1 x y
	[ "$n" -gt 1 ] || { echo "$n"; return; }
	x=$n
	y=$(((x + 1) / 2))
	while [ "$y" -lt "$x" ]; do
		x=$y
		y=$(((x + n / x) / 2))
	done
	echo "$x"
}

# binomial_bounds N: the two-sided 99.9% bounds of Binomial(N, 0.3), by the normal
# approximation with continuity correction (z = 3.2905), in fixed point (1/1000):
# accurate to a packet at N = 1000.
binomial_bounds() {
	local n=$1 mean sd zs
	mean=$((n * 300))
	sd=$(isqrt $((n * 21 * 10000)))
	zs=$((32905 * sd / 10000))
	echo "$(((mean - zs - 500 + 999) / 1000)) $(((mean + zs + 500) / 1000))"
}

# ours NS: our netem (handle fa17:) is in NS's dump.
# (Never `tc ... | grep -q` under pipefail: tc flushes each line, so grep -q exiting at
# the first match can make tc die of SIGPIPE and the pipeline fail at random.)
ours() { grep -q '^qdisc netem fa17: ' <<<"$($TC -n "$1" qdisc show)"; }

# wait_ours NS SECONDS / wait_not_ours NS SECONDS: polls every 50 ms.
wait_ours() { poll_until "$2" ours "$1"; }
not_ours() { ! ours "$1"; }
wait_not_ours() { poll_until "$2" not_ours "$1"; }

# rtts NS COUNT INTERVAL DEADLINE HOST: each reply's RTT in ms, one a line.
rtts() {
	$IP netns exec "$1" ping -c "$2" -i "$3" -w "$4" "$5" 2>&1 |
		sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p'
}
median() { sort -n | awk '{ v[NR] = $1 } END { if (!NR) exit 1; print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

show_log() { sed 's/^/    | /' "$1"; }

# refused NAME FILE NEEDLE: the run fails to apply (exit 4) and says NEEDLE.
refused() {
	start_run "$2"
	wait_run
	check "$1: faultline run exits 4: $RC" test "$RC" = 4
	if grep -qF -- "$3" "$2.log"; then
		pass "$1: the error says: $3"
	else
		fail "$1: expected '$3' in the output"
		show_log "$2.log"
	fi
}

before=$(snapshot)
echo "$before"

# faultline.network=extra on the kernel command line (FAULTLINE_VM_APPEND) runs only
# network_extra.sh's sections: quicker while working on them.
if grep -qw 'faultline.network=extra' /proc/cmdline; then
	# shellcheck source=tests/vm/guest/network_extra.sh disable=SC1091
	. /test/network_extra.sh
	finish
	exit
fi

# --- (a) delay ----------------------------------------------------------------------

base=$(rtts a 20 0.1 20 10.99.0.2 | median) || base=''
echo "baseline median RTT: ${base:-none} ms"
scenario "$work/a.yaml" delay-100ms 60s a veth-a 'delay: 100ms'
start_run "$work/a.yaml"
if wait_ours a 20; then
	pass "(a) netem fa17: appeared on veth-a"
	during=$(rtts a 20 0.1 30 10.99.0.2 | median) || during=''
	added=$(awk -v d="$during" -v b="$base" 'BEGIN { if (d == "" || b == "") print ""; else printf "%.2f", d - b }')
	echo "median RTT with delay 100ms: ${during:-none} ms; added ${added:-?} ms"
	check "(a) the median RTT grew by ${added:-?} ms, within 100 +- 10 ms" float_between "$added" 90 110
else
	fail "(a) netem never appeared on veth-a"
fi
kill -INT "$FL_PID" 2>/dev/null || true
wait_run
check "(a) faultline run stopped by SIGINT exits 3 (interrupted, all reverted): $RC" test "$RC" = 3
show_log "$work/a.yaml.log"
check "(a) no qdisc of ours after the revert" wait_not_ours a 3
same_as "$before" "(a)"

# --- (b) loss -----------------------------------------------------------------------

scenario "$work/b.yaml" loss-30 120s a veth-a 'loss: 30%'
start_run "$work/b.yaml"
if wait_ours a 20; then
	out=$($IP netns exec a ping -c 1000 -i 0.01 -w 90 -q 10.99.0.2 2>&1 || true)
	echo "$out" | tail -n 2
	sent=$(echo "$out" | sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p')
	got=$(echo "$out" | sed -n 's/.* \([0-9]*\) packets received.*/\1/p')
	bounds=$(binomial_bounds "${sent:-0}")
	lost=$((${sent:-0} - ${got:-0}))
	echo "loss: $lost of ${sent:-0} requests lost ($(awk -v l="$lost" -v n="${sent:-1}" 'BEGIN { printf "%.1f", 100 * l / n }')%); 99.9% bounds: ${bounds% *}..${bounds#* }"
	check "(b) at least 950 of 1000 requests sent: ${sent:-0}" test "${sent:-0}" -ge 950
	check "(b) $lost lost within the binomial 99.9% bounds ${bounds% *}..${bounds#* }" \
		test "$lost" -ge "${bounds% *}" -a "$lost" -le "${bounds#* }"
else
	fail "(b) netem never appeared on veth-a"
fi
kill -INT "$FL_PID" 2>/dev/null || true
wait_run
check "(b) faultline run exits 3 after SIGINT: $RC" test "$RC" = 3
check "(b) no qdisc of ours after the revert" wait_not_ours a 3
same_as "$before" "(b)"

# --- (c) read back ------------------------------------------------------------------

# readback NAME EXPECTED KNOB...: applies KNOBs, compares veth-a's netem line.
readback() {
	local name=$1 want=$2 got
	shift 2
	scenario "$work/$name.yaml" "$name" 120s a veth-a "$@"
	start_run "$work/$name.yaml"
	if wait_ours a 20; then
		got=$($TC -n a -d qdisc show dev veth-a | sed 's/ *$//')
		echo "tc -d qdisc show dev veth-a: $got"
		check "(c) $name: tc reads back '$want'" test "$got" = "$want"
	else
		fail "(c) $name: netem never appeared"
		show_log "$work/$name.yaml.log"
	fi
	kill -INT "$FL_PID" 2>/dev/null || true
	wait_run
	check "(c) $name: faultline run exits 3 after SIGINT: $RC" test "$RC" = 3
	same_as "$before" "(c) $name"
}
readback delay-jitter-loss-rate \
	'qdisc netem fa17: root refcnt 2 limit 500 delay 20ms  2ms 25% loss 1% rate 1Mbit' \
	'delay: 20ms' 'jitter: 2ms' 'correlation: 25%' 'loss: 1%' 'rate: 1mbit' 'limit: 500'
# 20MiB/s is 167772160 bit/s, which tc prints as 167772Kbit; tc 6.1 does not print
# the distribution.
readback duplicate-corrupt-reorder \
	'qdisc netem fa17: root refcnt 2 limit 1000 delay 5ms  1ms duplicate 2% reorder 10% corrupt 0.5% rate 167772Kbit gap 3' \
	'delay: 5ms' 'jitter: 1ms' 'distribution: normal' 'duplicate: 2%' 'corrupt: 0.5%' \
	'reorder: 10%' 'gap: 3' 'rate: 20MiB/s'

# --- (e) refusals -------------------------------------------------------------------

scenario "$work/e1.yaml" unknown-interface 10s a nope0 'delay: 10ms'
refused "(e) unknown interface" "$work/e1.yaml" 'no interface "nope0" in netns a'
# An alternative name finds the device in the kernel; faultline names devices by
# their primary name only, as tc's dumps do.
if $IP -n a link property add dev veth-a altname fl-alt0 2>/dev/null; then
	scenario "$work/e0.yaml" altname 10s a fl-alt0 'delay: 10ms'
	refused "(e) an alternative name" "$work/e0.yaml" 'no interface "fl-alt0" in netns a'
	$IP -n a link property del dev veth-a altname fl-alt0
else
	fail "(e) cannot add an alternative name to veth-a (ip link property add)"
fi
scenario "$work/e2.yaml" unknown-netns 10s nope veth-a 'delay: 10ms'
refused "(e) unknown netns" "$work/e2.yaml" 'netns nope: /run/netns/nope does not exist'
same_as "$before" "(e) unknown interface and netns"

$TC -n b qdisc add dev veth-b root handle 1: htb default 1
htb_before=$(snapshot)
scenario "$work/e3.yaml" htb-root 10s b veth-b 'delay: 10ms'
refused "(e) hand-made htb root" "$work/e3.yaml" 'has root qdisc htb 1:, which faultline did not create'
same_as "$htb_before" "(e) the htb root is untouched"
$TC -n b qdisc del dev veth-b root
same_as "$before" "(e) after the test's own htb was removed"

# Two unfiltered faults never share an interface: the second is refused while the
# first holds it. And a netns given as {pid: N} is the one process N lives in.
$IP netns exec a sleep 300 &
sleeper=$!
scenario "$work/e4.yaml" first 120s "{pid: $sleeper}" veth-a 'delay: 10ms'
start_run "$work/e4.yaml"
first_pid=$FL_PID
if wait_ours a 20; then
	pass "(e) netns {pid: $sleeper}: netem applied in the sleeper's netns a"
	scenario "$work/e5.yaml" second 10s a veth-a 'loss: 1%'
	refused "(e) a second fault on the same interface" "$work/e5.yaml" \
		"already has faultline's netem fa17: at its root"
else
	fail "(e) netns {pid: $sleeper}: netem never appeared"
	show_log "$work/e4.yaml.log"
fi
FL_PID=$first_pid
kill -INT "$FL_PID" 2>/dev/null || true
wait_run
check "(e) the first fault's run exits 3 after SIGINT: $RC" test "$RC" = 3
kill "$sleeper" 2>/dev/null || true
wait "$sleeper" 2>/dev/null || true
same_as "$before" "(e) two faults on one interface"

# --- (f) crashes --------------------------------------------------------------------

scenario "$work/f1.yaml" crash-controller 120s a all 'delay: 50ms'
start_run "$work/f1.yaml"
if wait_ours a 20; then
	check "(f) interface all: veth-a has our netem, lo does not" \
		test "$($TC -n a qdisc show dev lo | grep -c fa17:)" = 0
	kill -KILL "$FL_PID"
	t0=$EPOCHREALTIME
	if wait_not_ours a 3; then
		pass "(f) kill -9 of the controller: no qdisc of ours after $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }') s"
	else
		fail "(f) kill -9 of the controller: our qdisc is still there after 3 s"
	fi
	wait "$FL_PID" 2>/dev/null || true
	FL_PID=''
else
	fail "(f) netem never appeared (controller crash)"
	show_log "$work/f1.yaml.log"
fi
same_as "$before" "(f) controller killed"

scenario "$work/f2.yaml" crash-injector 120s a veth-a 'delay: 50ms' 'loss: 5%'
start_run "$work/f2.yaml"
if wait_ours a 20; then
	injector=$(cat /proc/"$FL_PID"/task/*/children 2>/dev/null | tr ' ' '\n' | grep -v '^$' | head -n 1)
	check "(f) found the spawned injector: pid ${injector:-none}" test -n "$injector"
	[ -z "$injector" ] || kill -KILL "$injector"
	wait_run
	check "(f) the controller exits 5 (cleanup failed) when its injector dies: $RC" test "$RC" = 5
	check "(f) a killed injector leaves its qdisc in place" ours a
	t0=$EPOCHREALTIME
	rc=0
	"$FAULTLINE_BIN" recover >"$work/recover.log" 2>&1 || rc=$?
	check "(f) faultline recover exits 0: $rc" test "$rc" = 0
	if wait_not_ours a 3; then
		pass "(f) faultline recover: no qdisc of ours after $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }') s"
	else
		fail "(f) faultline recover left our qdisc"
	fi
	show_log "$work/recover.log"
else
	fail "(f) netem never appeared (injector crash)"
	show_log "$work/f2.yaml.log"
fi
same_as "$before" "(f) injector killed, then recover"

# --- (g) to (j): filters, jitter, rate, namespace isolation ---------------------------

# shellcheck source=tests/vm/guest/network_extra.sh disable=SC1091
. /test/network_extra.sh

# --- (q) one fault on 20 interfaces ---------------------------------------------------

# The injector sends at most 16 requests a datagram (net_rtnl.h): 20 interfaces
# take two rounds for each of validate's lookups, the adds, the deletes and the
# read-back.
$IP netns add m
for ((i = 0; i < 10; i++)); do
	$IP -n m link add "mv$i" type veth peer name "mv$((i + 10))"
done
for ((i = 0; i < 20; i++)); do
	$IP -n m link set "mv$i" up
done
m_state() { $TC -n m -d qdisc show; $IP -n m link show; }
m_count() { $TC -n m qdisc show | grep -c '^qdisc netem fa17: dev mv[0-9]* root ' || true; }
m_all_up() { [ "$($IP -n m link show | grep -c 'state UP')" = 20 ]; }
m_all_ours() { [ "$(m_count)" = 20 ]; }
poll_until 5 m_all_up || echo "note: not every mv link reports state UP yet"
m_before=$(m_state)
scenario "$work/q.yaml" twenty 120s m "[$(printf 'mv%d, ' {0..18})mv19]" 'delay: 10ms'
start_run "$work/q.yaml"
if poll_until 20 m_all_ours; then
	pass "(q) netem fa17: at the root of all 20 interfaces"
else
	fail "(q) netem fa17: on $(m_count) of the 20 interfaces"
	show_log "$work/q.yaml.log"
fi
kill -INT "$FL_PID" 2>/dev/null || true
wait_run
check "(q) faultline run exits 3 after SIGINT: $RC" test "$RC" = 3
if [ "$(m_state)" = "$m_before" ]; then
	pass "(q) the 20 interfaces' qdiscs and links are byte-identical to before"
else
	fail "(q) the 20 interfaces' state differs from before"
	diff <(echo "$m_before") <(m_state) | sed 's/^/    /' || true
fi
$IP netns del m

# --- sanitizers -----------------------------------------------------------------------

reports=$(grep -lE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$work"/*.log 2>/dev/null || true)
if [ -n "$reports" ]; then
	fail "sanitizer reports in: $reports"
	grep -hE -A20 "ERROR: (Address|Leak)Sanitizer|runtime error:" $reports | head -60
else
	pass "no sanitizer reports in the logs"
fi

finish
