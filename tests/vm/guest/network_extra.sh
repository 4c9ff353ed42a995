# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash disable=SC2154,SC2016
# (sourced by network.sh, whose helpers and variables it uses; the single-quoted
# scripts are expanded by the inner bash on purpose)
# Sourced by network.sh (same boot, same helpers and topology): filters, jitter,
# rate and namespace isolation.
#
#   (g) filters: a fault on dst 10.99.0.2/32 + fd99::2/128, dport 5001 delays TCP
#       to port 5001 (v4 and v6) by 100 ms and leaves port 5002 and ping alone; an
#       exclude of dport 5002 does the opposite; tc reads back the prio root, the
#       netem on band 4 and the u32 filters; state byte-identical after revert
#   (h) jitter 20ms (uniform): the spread p10..p90 of the RTTs is 0.8 x 40 ms
#   (i) rate 1mbit: TCP payload throughput within 10% of 1 Mbit/s
#   (j) a fault in netns c (one end of the veth pair c <-> d) delays c's traffic
#       and leaves a <-> b, and every other namespace's qdiscs, alone
#   (k) direction ingress: the IFB flifbN with netem, an ingress qdisc and a mirred
#       redirect on veth-a; ping +100 ms, veth-a's root untouched; both: +200 ms;
#       a filtered ingress fault; kill -9 of the controller or of the injector
#       (then recover) leaves no IFB and no ingress qdisc within 3 s
#   (m) to (o): filtered faults sharing an interface, in network_share.sh
#
# Latency per port is measured without listeners: bash connects to a closed port
# of b, and b's kernel answers the SYN with a RST, so each attempt takes one RTT
# of that port's packets.

# conn_ms NS HOST PORT COUNT: the shortest time (ms, 2 decimals) of COUNT refused
# TCP connects. Bounded: each refusal is one RTT; COUNT is small. The minimum, not
# the median: under TCG on a loaded host, every sample carries positive noise of
# tens of ms (the bash loop itself is emulated), and the minimum is the estimate
# of the path's own latency that this noise cannot move up. A fixed netem delay
# moves it by exactly the delay.
conn_ms() {
	$IP netns exec "$1" bash -c '
		for ((i = 0; i < $3; i++)); do
			t0=${EPOCHREALTIME/./}
			{ : <>"/dev/tcp/$1/$2"; } 2>/dev/null || true
			t1=${EPOCHREALTIME/./}
			echo $(((t1 - t0) / 10))
		done' _ "$2" "$3" "$4" | sort -n | awk 'NR == 1 { printf "%.2f", $1 / 100 }'
}

# rtt_min NS COUNT HOST: the shortest ping RTT (ms), for the same reason.
rtt_min() {
	rtts "$1" "$2" 0.1 30 "$3" | sort -n | awk 'NR == 1'
}

# spread LIST: p90 - p10 of numbers on stdin.
spread() {
	sort -n | awk '{ v[NR] = $1 } END { if (NR < 10) exit 1; printf "%.2f", v[int(NR * 0.9 + 0.5)] - v[int(NR * 0.1 + 0.5)] }'
}

# ours_any NS: our root (netem, or prio when filtered) is in NS's dump.
ours_any() { grep -qE '^qdisc (netem|prio) fa17: ' <<<"$($TC -n "$1" qdisc show)"; }
wait_ours_any() { poll_until "$2" ours_any "$1"; }

# stop_run WHAT: SIGINT, exit 3, state as before.
stop_run() {
	kill -INT "$FL_PID" 2>/dev/null || true
	wait_run
	check "$1: faultline run exits 3 after SIGINT: $RC" test "$RC" = 3
	same_as "$before" "$1"
}

# --- (g) filters ----------------------------------------------------------------------

$IP -n a addr add fd99::1/64 dev veth-a nodad
$IP -n b addr add fd99::2/64 dev veth-b nodad
$IP netns exec a ping -6 -c 2 -i 0.2 -w 10 fd99::2 >/dev/null 2>&1 || true
before=$(snapshot)

b4=$(conn_ms a 10.99.0.2 5001 21)
b6=$(conn_ms a fd99::2 5001 21)
bping=$(rtt_min a 21 10.99.0.2) || bping=''
echo "baseline: connect 5001 v4 $b4 ms, v6 $b6 ms, ping $bping ms"

scenario "$work/g1.yaml" port-filter 120s a veth-a 'delay: 100ms'
sed -i 's|target: {netns: a, interface: veth-a}|target: {netns: a, interface: veth-a, dst: ["10.99.0.2/32", "fd99::2/128"], dport: 5001}|' "$work/g1.yaml"
start_run "$work/g1.yaml"
if wait_ours_any a 20; then
	q=$($TC -n a -d qdisc show dev veth-a)
	f=$($TC -n a filter show dev veth-a)
	echo "$q"
	echo "$f"
	check "(g) tc shows the prio root fa17: with 11 bands (3 + 8 slots) and the default priomap" \
		grep -q '^qdisc prio fa17: root refcnt [0-9]* bands 11 priomap 1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1' <<<"$q"
	check "(g) tc shows netem fa18: on band 4 (fa17:4) with delay 100ms" \
		grep -q '^qdisc netem fa18: parent fa17:4 limit 1000 delay 100ms' <<<"$q"
	check "(g) tc shows 2 IPv4 u32 rules (tcp, udp) on dst 10.99.0.2 and dport 5001 to fa17:4" \
		test "$(grep -c 'match 0a630002/ffffffff at 16' <<<"$f")" = 2 -a \
		"$(grep -c 'match 00001389/0000ffff at 20' <<<"$f")" = 2 -a \
		"$(grep -c 'flowid fa17:4' <<<"$f")" = 4
	check "(g) tc shows 2 IPv6 u32 rules on dst fd99::2 and dport 5001 (offset 40)" \
		test "$(grep -c 'match 00001389/0000ffff at 40' <<<"$f")" = 2
	d4=$(conn_ms a 10.99.0.2 5001 21)
	o4=$(conn_ms a 10.99.0.2 5002 21)
	d6=$(conn_ms a fd99::2 5001 21)
	o6=$(conn_ms a fd99::2 5002 21)
	dping=$(rtt_min a 21 10.99.0.2) || dping=''
	echo "filtered: connect 5001 v4 $d4 ms v6 $d6 ms; 5002 v4 $o4 ms v6 $o6 ms; ping $dping ms"
	check "(g) IPv4 port 5001 delayed by 100 +- 10 ms: $d4 - $b4" \
		float_between "$(awk -v a="$d4" -v b="$b4" 'BEGIN { print a - b }')" 90 110
	check "(g) IPv6 port 5001 delayed by 100 +- 10 ms: $d6 - $b6" \
		float_between "$(awk -v a="$d6" -v b="$b6" 'BEGIN { print a - b }')" 90 110
	check "(g) IPv4 port 5002 not delayed (within 10 ms of port 5001's baseline): $o4" \
		float_between "$(awk -v a="$o4" -v b="$b4" 'BEGIN { print a - b }')" -10 10
	check "(g) IPv6 port 5002 not delayed: $o6" \
		float_between "$(awk -v a="$o6" -v b="$b6" 'BEGIN { print a - b }')" -10 10
	check "(g) ping (unmatched: icmp) not delayed: $dping vs $bping" \
		float_between "$(awk -v a="$dping" -v b="$bping" 'BEGIN { print a - b }')" -10 10
else
	fail "(g) the filtered fault never appeared"
	show_log "$work/g1.yaml.log"
fi
stop_run "(g) port filter"

scenario "$work/g2.yaml" exclude-filter 120s a veth-a 'delay: 100ms'
sed -i 's|target: {netns: a, interface: veth-a}|target: {netns: a, interface: veth-a, exclude: {dport: 5002, protocol: tcp}}|' "$work/g2.yaml"
start_run "$work/g2.yaml"
if wait_ours_any a 20; then
	f=$($TC -n a filter show dev veth-a)
	check "(g) exclude: tc shows the exclusions (pref 1, 2) to fa17:2" \
		test "$(grep -c 'flowid fa17:2' <<<"$f")" = 2
	d4=$(conn_ms a 10.99.0.2 5001 21)
	o4=$(conn_ms a 10.99.0.2 5002 21)
	dping=$(rtt_min a 21 10.99.0.2) || dping=''
	echo "exclude tcp 5002: connect 5001 $d4 ms; 5002 $o4 ms; ping $dping ms"
	check "(g) exclude: port 5001 delayed by 100 +- 10 ms" \
		float_between "$(awk -v a="$d4" -v b="$b4" 'BEGIN { print a - b }')" 90 110
	check "(g) exclude: the excluded port 5002 not delayed: $o4" \
		float_between "$(awk -v a="$o4" -v b="$b4" 'BEGIN { print a - b }')" -10 10
	check "(g) exclude: ping delayed by 100 +- 10 ms" \
		float_between "$(awk -v a="$dping" -v b="$bping" 'BEGIN { print a - b }')" 90 110
else
	fail "(g) the exclude fault never appeared"
	show_log "$work/g2.yaml.log"
fi
stop_run "(g) exclude"

# An unfiltered fault and a filtered one never share an interface.
scenario "$work/g3.yaml" unfiltered 120s a veth-a 'delay: 10ms'
start_run "$work/g3.yaml"
if wait_ours_any a 20; then
	g3=$FL_PID
	scenario "$work/g4.yaml" filtered-second 10s a veth-a 'delay: 10ms'
	sed -i 's|interface: veth-a}|interface: veth-a, dport: 80}|' "$work/g4.yaml"
	refused "(g) a filtered fault on an interface an unfiltered one holds" "$work/g4.yaml" \
		"already has faultline's netem fa17: at its root"
	FL_PID=$g3
else
	fail "(g) the unfiltered fault never appeared"
fi
stop_run "(g) unfiltered + filtered"

# --- (h) jitter -----------------------------------------------------------------------

# Uniform jitter J around delay D spreads the RTTs over [D - J, D + J] plus the base
# RTT: the lowest RTT falls by J and the p10..p90 spread is 0.8 x 2J. Noise of the
# emulation only adds, so the minimum is checked both ways and the spread from
# below, with a loose upper bound.
scenario "$work/h.yaml" jitter 120s a veth-a 'delay: 50ms' 'jitter: 20ms'
start_run "$work/h.yaml"
if wait_ours_any a 20; then
	rtts a 100 0.05 40 10.99.0.2 >"$work/h.rtts" || true
	s=$(spread <"$work/h.rtts") || s=''
	lo=$(sort -n "$work/h.rtts" | awk 'NR == 1')
	echo "jitter 20ms uniform around 50ms: lowest RTT ${lo:-?} ms, spread p10..p90 ${s:-?} ms ($(wc -l <"$work/h.rtts") replies)"
	check "(h) jitter 20ms: the lowest RTT is delay - jitter, 30 ms (27..36): ${lo:-none}" \
		float_between "$lo" 27 36
	check "(h) jitter 20ms widens the spread p10..p90 to 32 ms (at least 24, at most 60): ${s:-none}" \
		float_between "$s" 24 60
else
	fail "(h) the jitter fault never appeared"
fi
stop_run "(h) jitter"

# --- (i) rate -----------------------------------------------------------------------

# throughput BYTES: bytes per second of BYTES sent over TCP from a to b, from the
# sender's start until the receiver has read them all and seen the end of the
# stream. The receiver is busybox nc, its stdin held open by a FIFO (nc quits at
# EOF on its stdin), which exits at the stream's end; the sender is bash writing to
# /dev/tcp. Nothing polls meanwhile: the guest has one emulated CPU. Both ends are
# bounded by timeout.
throughput() {
	local bytes=$1 t0 t1 got rpid spid
	rm -f "$work/recv" "$work/hold"
	mkfifo "$work/hold"
	timeout 70 "$IP" netns exec b nc -l -p 5003 <"$work/hold" >"$work/recv" &
	rpid=$!
	exec 8>"$work/hold"
	sleep 0.5
	t0=${EPOCHREALTIME/./}
	timeout 60 "$IP" netns exec a bash -c 'head -c "$1" /dev/zero >/dev/tcp/10.99.0.2/5003' _ "$bytes" &
	spid=$!
	wait "$rpid" || true
	t1=${EPOCHREALTIME/./}
	exec 8>&-
	kill "$spid" 2>/dev/null || true
	wait "$spid" 2>/dev/null || true
	got=$(wc -c <"$work/recv")
	echo "received $got of $bytes bytes in $(((t1 - t0) / 1000)) ms" >&2
	[ "$got" = "$bytes" ] || return 1
	echo $((got * 1000000 / (t1 - t0)))
}

scenario "$work/i.yaml" rate 120s a veth-a 'rate: 1mbit'
start_run "$work/i.yaml"
if wait_ours_any a 20; then
	bps=$(throughput 1500000) || bps=''
	$TC -n a -s qdisc show dev veth-a
	kbit=$(awk -v b="$bps" 'BEGIN { if (b == "") print ""; else printf "%.1f", b * 8 / 1000 }')
	echo "rate 1mbit: TCP payload ${kbit:-?} kbit/s"
	check "(i) rate 1mbit holds the payload throughput to 1000 kbit/s +- 10%: ${kbit:-none}" \
		float_between "$kbit" 900 1100
else
	fail "(i) the rate fault never appeared"
fi
stop_run "(i) rate"

# --- (j) namespace isolation --------------------------------------------------------

$IP netns add c
$IP netns add d
$IP link add veth-c netns c type veth peer name veth-d netns d
$IP -n c addr add 10.98.0.1/24 dev veth-c
$IP -n d addr add 10.98.0.2/24 dev veth-d
$IP -n c link set veth-c up
$IP -n d link set veth-d up
$IP netns exec c ping -c 3 -i 0.2 -w 10 10.98.0.2 >/dev/null || true
cbase=$(rtt_min c 21 10.98.0.2) || cbase=''
abase=$(rtt_min a 21 10.99.0.2) || abase=''
# The carrier of a new veth pair settles asynchronously (NO-CARRIER, state DOWN
# for a moment): take d's picture once its link is up, at most 5 s later.
for ((i = 0; i < 100; i++)); do
	grep -q 'state UP' <<<"$($IP -n d link show veth-d)" && break
	sleep 0.05
done
d_before=$($TC -n d -d qdisc show; $IP -n d link show)
before=$(snapshot)
scenario "$work/j.yaml" isolation 120s c all 'delay: 100ms'
start_run "$work/j.yaml"
if wait_ours_any c 20; then
	cdur=$(rtt_min c 21 10.98.0.2) || cdur=''
	adur=$(rtt_min a 21 10.99.0.2) || adur=''
	echo "netns c: $cbase -> $cdur ms; netns a: $abase -> $adur ms"
	check "(j) netns c's traffic delayed by 100 +- 10 ms" \
		float_between "$(awk -v a="$cdur" -v b="$cbase" 'BEGIN { print a - b }')" 90 110
	check "(j) netns a's traffic unchanged (within 10 ms)" \
		float_between "$(awk -v a="$adur" -v b="$abase" 'BEGIN { print a - b }')" -10 10
	check "(j) netns a, b and the guest's own qdiscs, filters and links unchanged" \
		test "$(snapshot)" = "$before"
	d_now=$($TC -n d -d qdisc show; $IP -n d link show)
	if [ "$d_now" = "$d_before" ]; then
		pass "(j) netns d (the other end of c's veth) unchanged"
	else
		fail "(j) netns d (the other end of c's veth) unchanged"
		echo "$d_before" >"$work/d.before"
		echo "$d_now" >"$work/d.now"
		diff "$work/d.before" "$work/d.now" | sed 's/^/    /' || true
	fi
else
	fail "(j) the fault in netns c never appeared"
fi
kill -INT "$FL_PID" 2>/dev/null || true
wait_run
check "(j) faultline run exits 3 after SIGINT: $RC" test "$RC" = 3
check "(j) netns c: no qdisc of ours after the revert" test -z "$($TC -n c qdisc show | grep fa17:)"
$IP netns del c
$IP netns del d
same_as "$before" "(j)"

# --- (k) ingress ----------------------------------------------------------------------

ifb=flifb$($IP -n a -o link show veth-a | cut -d: -f1)
has_ifb() { $IP -n a link show "$ifb" >/dev/null 2>&1; }
wait_ifb() { poll_until "$1" has_ifb; }
# ifb_gone: no IFB, and no ingress qdisc on veth-a.
ifb_gone() { ! has_ifb && ! grep -q ingress <<<"$($TC -n a qdisc show dev veth-a)"; }
wait_no_ifb() { poll_until "$1" ifb_gone; }
# ingress_scenario FILE NAME DIRECTION [TARGET EXTRA]
ingress_scenario() {
	scenario "$1" "$2" 120s a veth-a 'delay: 100ms'
	sed -i "s|interface: veth-a}|interface: veth-a, direction: $3$4}|" "$1"
}

base=$(rtt_min a 21 10.99.0.2)
ingress_scenario "$work/k1.yaml" ingress ingress ''
start_run "$work/k1.yaml"
if wait_ifb 20; then
	q=$($TC -n a -d qdisc show)
	f=$($TC -n a filter show dev veth-a ingress)
	echo "$q"
	echo "$f"
	check "(k) ingress: veth-a's root is still the kernel's noqueue" \
		grep -q '^qdisc noqueue 0: dev veth-a root' <<<"$q"
	check "(k) ingress: the ingress qdisc ffff: is on veth-a" \
		grep -q '^qdisc ingress ffff: dev veth-a parent ffff:fff1' <<<"$q"
	check "(k) ingress: netem fa17: is at the root of $ifb" \
		grep -q "^qdisc netem fa17: dev $ifb root .*delay 100ms" <<<"$q"
	check "(k) ingress: veth-a's ingress filter redirects to $ifb" \
		grep -q "mirred (Egress Redirect to device $ifb) stolen" <<<"$f"
	dur=$(rtt_min a 21 10.99.0.2)
	bdur=$(rtt_min b 21 10.99.0.1)
	echo "ingress delay 100ms: ping a->b $base -> $dur ms; b->a $bdur ms"
	check "(k) ingress: replies into veth-a delayed by 100 +- 10 ms" \
		float_between "$(awk -v a="$dur" -v b="$base" 'BEGIN { print a - b }')" 90 110
	check "(k) ingress: b's requests into veth-a delayed by 100 +- 10 ms" \
		float_between "$(awk -v a="$bdur" -v b="$base" 'BEGIN { print a - b }')" 90 110
else
	fail "(k) ingress: $ifb never appeared"
	show_log "$work/k1.yaml.log"
fi
stop_run "(k) ingress"

ingress_scenario "$work/k2.yaml" both both ''
start_run "$work/k2.yaml"
if wait_ifb 20 && wait_ours a 20; then
	dur=$(rtt_min a 21 10.99.0.2)
	echo "both delay 100ms: ping a->b $base -> $dur ms"
	check "(k) both: each direction delayed, the RTT by 200 +- 20 ms" \
		float_between "$(awk -v a="$dur" -v b="$base" 'BEGIN { print a - b }')" 180 220
else
	# Seen once in CI (the apply was logged, then this): show what netns a held.
	fail "(k) both: the fault never appeared (IFB $ifb: $(has_ifb && echo present || echo missing))"
	show_log "$work/k2.yaml.log"
	$TC -n a -d qdisc show | sed 's/^/    | /'
	$IP -n a -o link show | sed 's/^/    | /'
fi
stop_run "(k) both"

ingress_scenario "$work/k3.yaml" ingress-filtered ingress ', protocol: tcp, sport: 5001'
start_run "$work/k3.yaml"
if wait_ifb 20; then
	check "(k) filtered ingress: the prio root fa17: is on $ifb" \
		grep -q "^qdisc prio fa17: dev $ifb root" <<<"$($TC -n a qdisc show)"
	d4=$(conn_ms a 10.99.0.2 5001 21)
	o4=$(conn_ms a 10.99.0.2 5002 21)
	echo "filtered ingress (tcp sport 5001): connect 5001 $d4 ms, 5002 $o4 ms"
	check "(k) filtered ingress: the RST from port 5001 delayed by 100 +- 10 ms" \
		float_between "$(awk -v a="$d4" -v b="$o4" 'BEGIN { print a - b }')" 90 110
else
	fail "(k) filtered ingress: $ifb never appeared"
	show_log "$work/k3.yaml.log"
fi
stop_run "(k) filtered ingress"

ingress_scenario "$work/k4.yaml" ingress-crash-controller ingress ''
start_run "$work/k4.yaml"
if wait_ifb 20; then
	kill -KILL "$FL_PID"
	t0=$EPOCHREALTIME
	if wait_no_ifb 3; then
		pass "(k) kill -9 of the controller: no IFB and no ingress qdisc after $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }') s"
	else
		fail "(k) kill -9 of the controller: the IFB or the ingress qdisc is still there after 3 s"
	fi
	wait "$FL_PID" 2>/dev/null || true
	FL_PID=''
else
	fail "(k) $ifb never appeared (controller crash)"
fi
same_as "$before" "(k) ingress, controller killed"

ingress_scenario "$work/k5.yaml" ingress-crash-injector both ''
start_run "$work/k5.yaml"
if wait_ifb 20; then
	injector=$(cat /proc/"$FL_PID"/task/*/children 2>/dev/null | tr ' ' '\n' | grep -v '^$' | head -n 1)
	[ -z "$injector" ] || kill -KILL "$injector"
	wait_run
	check "(k) a killed injector leaves its IFB in place" has_ifb
	rc=0
	t0=$EPOCHREALTIME
	"$FAULTLINE_BIN" recover >"$work/k-recover.log" 2>&1 || rc=$?
	check "(k) faultline recover exits 0: $rc" test "$rc" = 0
	if wait_no_ifb 3 && wait_not_ours a 1; then
		pass "(k) faultline recover: no IFB, no ingress qdisc, no root of ours after $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }') s"
	else
		fail "(k) faultline recover left the IFB, the ingress qdisc or our root"
	fi
	show_log "$work/k-recover.log"
else
	fail "(k) $ifb never appeared (injector crash)"
fi
same_as "$before" "(k) ingress, injector killed, then recover"

# --- (l) network.partition ------------------------------------------------------------

# b answers on a second address; the partition cuts a off from 10.99.0.2 only.
$IP -n b addr add 10.99.0.3/24 dev veth-b
$IP netns exec a ping -c 2 -i 0.2 -w 10 10.99.0.3 >/dev/null 2>&1 || true
before=$(snapshot)
{
	printf 'version: 1\nname: partition\nfaults:\n  - name: cut\n    type: network.partition\n'
	printf '    at: 0s\n    duration: 120s\n    target: {netns: a, interface: veth-a, dst: "10.99.0.2/32"}\n'
} >"$work/l.yaml"
start_run "$work/l.yaml"
if wait_ours_any a 20; then
	# ping exits 1 when nothing comes back: that is the point here.
	cut=$($IP netns exec a ping -c 20 -i 0.05 -w 15 -q 10.99.0.2 2>&1 | sed -n 's/.* \([0-9]*\) packets received.*/\1/p') || true
	other=$($IP netns exec a ping -c 20 -i 0.05 -w 15 -q 10.99.0.3 2>&1 | sed -n 's/.* \([0-9]*\) packets received.*/\1/p') || true
	echo "partition from 10.99.0.2: ${cut:-?} of 20 replies; 10.99.0.3: ${other:-?} of 20"
	check "(l) partition: no reply from the cut-off 10.99.0.2 (${cut:-none} of 20)" test "${cut:-x}" = 0
	check "(l) partition: 10.99.0.3 on the same link still answers (${other:-none} of 20)" \
		test "${other:-0}" -ge 19
	check "(l) partition: tc shows netem loss 100% below the prio root" \
		grep -q '^qdisc netem fa18: dev veth-a parent fa17:4 .*loss 100%' <<<"$($TC -n a qdisc show)"
else
	fail "(l) the partition never appeared"
	show_log "$work/l.yaml.log"
fi
stop_run "(l) partition"
$IP -n b addr del 10.99.0.3/24 dev veth-b

# --- (m) to (o): filtered faults sharing an interface ---------------------------------

# shellcheck source=tests/vm/guest/network_share.sh disable=SC1091
. /test/network_share.sh
