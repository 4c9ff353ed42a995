# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash disable=SC2154,SC2016
# (sourced by network_extra.sh, whose helpers and variables it uses)
# Filtered faults that share an interface (net_slot.h), same boot and topology:
#
#   (m) two filtered faults on veth-a at once (dport 5001 delay 100ms in slot 0,
#       dport 5002 delay 50ms in slot 1): each port sees its own delay, a third
#       port none; tc reads back both netems and both filter sets; `faultline plan`
#       of the second shows its slot; reverting the first puts 5001 back to its
#       baseline and leaves 5002 at +50 ms; reverting the second leaves every dump
#       byte-identical to before
#   (n) an unfiltered and a filtered fault on one interface are refused, in both
#       orders, naming the other's qdisc; a fault with exclusions does not share
#   (o) one run holding both filtered faults: kill -9 of the controller leaves
#       nothing within 3 s; kill -9 of the injector leaves both, and `faultline
#       recover` removes everything within 3 s
#   (p) ingress: two filtered ingress faults share veth-a's IFB (tcp sport 5001
#       +100 ms in slot 0, sport 5002 +50 ms in slot 1); an unfiltered ingress
#       fault is refused; reverting the first leaves the IFB and 5002's delay,
#       the second removes the IFB: byte-identical; kill -9 of the controller of
#       one run with both: nothing left within 3 s; kill -9 of its injector, then
#       recover: nothing left

# slot_netem NS SLOT: the netem of SLOT (fa18: + SLOT) is in NS's dump.
slot_netem() {
	grep -q "^qdisc netem fa1$((8 + $2)): " <<<"$($TC -n "$1" qdisc show)"
}
wait_slot() { poll_until "$3" slot_netem "$1" "$2"; }
# nothing_ours NS: no qdisc with a handle of ours (fa17: .. fa1f:) and no IFB.
nothing_ours() {
	! grep -qE '^qdisc [a-z_]+ fa1[7-9a-f]: ' <<<"$($TC -n "$1" qdisc show)" &&
		! grep -q flifb <<<"$($IP -n "$1" link show)"
}
wait_nothing_ours() { poll_until "$2" nothing_ours "$1"; }
delta() { awk -v a="$1" -v b="$2" 'BEGIN { print a - b }'; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; }

# port_scenario FILE NAME PORT KNOB: a fault on veth-a filtered to dport PORT.
port_scenario() {
	scenario "$1" "$2" 120s a veth-a "$4"
	sed -i "s|interface: veth-a}|interface: veth-a, dport: $3}|" "$1"
}

# --- (m) two filtered faults at once --------------------------------------------------

before=$(snapshot)
b1=$(conn_ms a 10.99.0.2 5001 21)
b2=$(conn_ms a 10.99.0.2 5002 21)
b3=$(conn_ms a 10.99.0.2 5003 21)
echo "baseline: connect 5001 $b1 ms, 5002 $b2 ms, 5003 $b3 ms"

port_scenario "$work/m1.yaml" share-5001 5001 'delay: 100ms'
port_scenario "$work/m2.yaml" share-5002 5002 'delay: 50ms'
start_run "$work/m1.yaml"
m1_pid=$FL_PID
if wait_slot a 0 20; then
	plan=$("$FAULTLINE_BIN" plan "$work/m2.yaml" 2>&1) || true
	echo "$plan"
	check "(m) faultline plan of the second fault shows slot 1, netem fa19: on band 5, prefs 5 to 8" \
		grep -q 'share faultline.s prio fa17: at the root .*slot 1, netem fa19: on band 5 (fa17:5), u32 filters at pref 5 to 8' <<<"$plan"
	start_run "$work/m2.yaml"
	m2_pid=$FL_PID
	if wait_slot a 1 20; then
		q=$($TC -n a -d qdisc show dev veth-a)
		f=$($TC -n a filter show dev veth-a)
		echo "$q"
		echo "$f"
		check "(m) one prio root fa17: with 11 bands" \
			test "$(grep -c '^qdisc prio fa17: root refcnt [0-9]* bands 11 ' <<<"$q")" = 1
		check "(m) netem fa18: on band 4 with delay 100ms (slot 0)" \
			grep -q '^qdisc netem fa18: parent fa17:4 limit 1000 delay 100ms' <<<"$q"
		check "(m) netem fa19: on band 5 with delay 50ms (slot 1)" \
			grep -q '^qdisc netem fa19: parent fa17:5 limit 1000 delay 50ms' <<<"$q"
		check "(m) slot 0's filters (pref 3, 4) go to fa17:4, slot 1's (pref 7, 8) to fa17:5" \
			test "$(grep -c '^filter parent fa17: protocol ip pref 3 u32 .*flowid fa17:4' <<<"$f")" -ge 1 -a \
			"$(grep -c '^filter parent fa17: protocol ip pref 7 u32 .*flowid fa17:5' <<<"$f")" -ge 1 -a \
			"$(grep -c 'flowid fa17:4' <<<"$f")" = "$(grep -c 'flowid fa17:5' <<<"$f")"
		d1=$(conn_ms a 10.99.0.2 5001 21)
		d2=$(conn_ms a 10.99.0.2 5002 21)
		d3=$(conn_ms a 10.99.0.2 5003 21)
		echo "two faults: connect 5001 $d1 ms, 5002 $d2 ms, 5003 $d3 ms"
		check "(m) port 5001 delayed by 100 +- 10 ms: $d1 - $b1" \
			float_between "$(delta "$d1" "$b1")" 90 110
		check "(m) port 5002 delayed by 50 +- 10 ms: $d2 - $b2" \
			float_between "$(delta "$d2" "$b2")" 40 60
		check "(m) port 5003 not delayed: $d3 - $b3" \
			float_between "$(delta "$d3" "$b3")" -10 10

		FL_PID=$m1_pid
		kill -INT "$FL_PID" 2>/dev/null || true
		wait_run
		m1_pid=''
		check "(m) the first fault's run exits 3 after SIGINT: $RC" test "$RC" = 3
		q=$($TC -n a -d qdisc show dev veth-a)
		f=$($TC -n a filter show dev veth-a)
		check "(m) after the first revert: fa18: and its filters gone, fa19: and the root stay" \
			test "$(grep -c '^qdisc netem fa18: ' <<<"$q")" = 0 -a \
			"$(grep -c 'flowid fa17:4' <<<"$f")" = 0 -a \
			"$(grep -c '^qdisc netem fa19: parent fa17:5 ' <<<"$q")" = 1 -a \
			"$(grep -c '^qdisc prio fa17: root ' <<<"$q")" = 1
		d1=$(conn_ms a 10.99.0.2 5001 21)
		d2=$(conn_ms a 10.99.0.2 5002 21)
		echo "second fault alone: connect 5001 $d1 ms, 5002 $d2 ms"
		check "(m) after the first revert: port 5001 back to its baseline: $d1 - $b1" \
			float_between "$(delta "$d1" "$b1")" -10 10
		check "(m) after the first revert: port 5002 still delayed by 50 +- 10 ms: $d2 - $b2" \
			float_between "$(delta "$d2" "$b2")" 40 60
	else
		fail "(m) the second filtered fault never appeared"
		show_log "$work/m2.yaml.log"
	fi
	if [ -n "$m1_pid" ]; then # the checks above failed before its revert
		kill -INT "$m1_pid" 2>/dev/null || true
		wait "$m1_pid" 2>/dev/null || true
	fi
	FL_PID=$m2_pid
	stop_run "(m) the second of two filtered faults"
else
	fail "(m) the first filtered fault never appeared"
	show_log "$work/m1.yaml.log"
	stop_run "(m) the first filtered fault"
fi

# --- (n) refusals ---------------------------------------------------------------------

port_scenario "$work/n1.yaml" filtered 5001 'delay: 100ms'
scenario "$work/n2.yaml" unfiltered 10s a veth-a 'delay: 10ms'
# (refused starts a run of its own: the holder's pid is kept and put back.)
start_run "$work/n1.yaml"
holder=$FL_PID
if wait_slot a 0 20; then
	refused "(n) unfiltered after filtered" "$work/n2.yaml" \
		"already has faultline's prio fa17: at its root, for filtered network faults; an unfiltered fault cannot share it"
	scenario "$work/n3.yaml" excluding 10s a veth-a 'delay: 10ms'
	sed -i 's|interface: veth-a}|interface: veth-a, exclude: {dport: 22}}|' "$work/n3.yaml"
	refused "(n) a fault with exclusions next to a filtered one" "$work/n3.yaml" \
		"a fault with exclusions cannot share an interface"
	check "(n) the refusals left the filtered fault alone (slot 0 only)" \
		test "$(grep -c '^qdisc netem fa1[89a-f]: ' <<<"$($TC -n a qdisc show)")" = 1
else
	fail "(n) the filtered fault never appeared"
	show_log "$work/n1.yaml.log"
fi
FL_PID=$holder
stop_run "(n) filtered, then unfiltered refused"

scenario "$work/n4.yaml" unfiltered 120s a veth-a 'delay: 100ms'
port_scenario "$work/n5.yaml" filtered 5001 'delay: 10ms'
start_run "$work/n4.yaml"
holder=$FL_PID
if wait_ours a 20; then
	refused "(n) filtered after unfiltered" "$work/n5.yaml" \
		"already has faultline's netem fa17: at its root, for an unfiltered network fault; a filtered fault cannot share it"
else
	fail "(n) the unfiltered fault never appeared"
	show_log "$work/n4.yaml.log"
fi
FL_PID=$holder
stop_run "(n) unfiltered, then filtered refused"

# --- (o) crashes with both faults in one run ------------------------------------------

# two_faults FILE NAME [PORTKEY [EXTRA]]: one scenario with both filtered faults of
# (m) (PORTKEY dport), or of (p) (sport, EXTRA ", direction: ingress").
two_faults() {
	local key=${3:-dport} extra=${4:-}
	{
		printf 'version: 1\nname: %s\nfaults:\n' "$2"
		printf '  - name: p5001\n    type: network\n    at: 0s\n    duration: 120s\n'
		printf '    target: {netns: a, interface: veth-a, %s: 5001%s}\n    delay: 100ms\n' "$key" "$extra"
		printf '  - name: p5002\n    type: network\n    at: 0s\n    duration: 120s\n'
		printf '    target: {netns: a, interface: veth-a, %s: 5002%s}\n    delay: 50ms\n' "$key" "$extra"
	} >"$1"
}

# crash_controller TAG WHAT FILE: runs FILE's two faults, kill -9s the controller once
# both slots are there; nothing of ours may be left within 3 s, and the namespace is
# as before.
crash_controller() {
	start_run "$3"
	if wait_slot a 0 20 && wait_slot a 1 20; then
		kill -KILL "$FL_PID"
		t0=$EPOCHREALTIME
		if wait_nothing_ours a 3; then
			pass "$1 kill -9 of the controller with $2: nothing of ours after $(since "$t0") s"
		else
			fail "$1 kill -9 of the controller: something of ours is still there after 3 s"
			$TC -n a qdisc show | sed 's/^/    | /'
		fi
		wait "$FL_PID" 2>/dev/null || true
		FL_PID=''
	else
		fail "$1 the $2 never appeared (controller crash)"
		show_log "$3.log"
		kill -INT "$FL_PID" 2>/dev/null || true
		wait_run
	fi
	same_as "$before" "$1 $2, controller killed"
}

# crash_injector TAG WHAT FILE: the same, kill -9 of the spawned injector: both slots
# stay, then `faultline recover` leaves nothing within 3 s.
crash_injector() {
	local injector rc=0
	start_run "$3"
	if wait_slot a 0 20 && wait_slot a 1 20; then
		injector=$(cat /proc/"$FL_PID"/task/*/children 2>/dev/null | tr ' ' '\n' | grep -v '^$' | head -n 1)
		check "$1 found the spawned injector: pid ${injector:-none}" test -n "$injector"
		[ -z "$injector" ] || kill -KILL "$injector"
		wait_run
		check "$1 a killed injector leaves both slots in place" \
			test "$(grep -c '^qdisc netem fa1[89]: ' <<<"$($TC -n a qdisc show)")" = 2
		t0=$EPOCHREALTIME
		"$FAULTLINE_BIN" recover >"$3.recover.log" 2>&1 || rc=$?
		check "$1 faultline recover exits 0: $rc" test "$rc" = 0
		if wait_nothing_ours a 3; then
			pass "$1 faultline recover: nothing of ours after $(since "$t0") s"
		else
			fail "$1 faultline recover left something of ours"
			$TC -n a qdisc show | sed 's/^/    | /'
		fi
		show_log "$3.recover.log"
	else
		fail "$1 the $2 never appeared (injector crash)"
		show_log "$3.log"
		kill -INT "$FL_PID" 2>/dev/null || true
		wait_run
	fi
	same_as "$before" "$1 $2, injector killed, then recover"
}

two_faults "$work/o1.yaml" crash-controller-two
crash_controller "(o)" "two filtered faults" "$work/o1.yaml"

two_faults "$work/o2.yaml" crash-injector-two
crash_injector "(o)" "two filtered faults" "$work/o2.yaml"

# --- (p) filtered ingress faults sharing the IFB -----------------------------------------

# ingress_port FILE NAME PORT KNOB: an ingress fault on veth-a for tcp sport PORT.
ingress_port() {
	scenario "$1" "$2" 120s a veth-a "$4"
	sed -i "s|interface: veth-a}|interface: veth-a, direction: ingress, protocol: tcp, sport: $3}|" "$1"
}

ingress_port "$work/p1.yaml" ingress-5001 5001 'delay: 100ms'
ingress_port "$work/p2.yaml" ingress-5002 5002 'delay: 50ms'
scenario "$work/p3.yaml" ingress-unfiltered 10s a veth-a 'delay: 10ms'
sed -i 's|interface: veth-a}|interface: veth-a, direction: ingress}|' "$work/p3.yaml"
start_run "$work/p1.yaml"
p1_pid=$FL_PID
if wait_ifb 20 && wait_slot a 0 20; then
	refused "(p) an unfiltered ingress fault next to a filtered one" "$work/p3.yaml" \
		"its ingress already goes through faultline's IFB $ifb (prio fa17: at its root), for another network fault; only filtered faults share an interface's ingress"
	plan=$("$FAULTLINE_BIN" plan "$work/p2.yaml" 2>&1) || true
	echo "$plan"
	check "(p) faultline plan of the second ingress fault shows slot 1 on $ifb" \
		grep -q "ingress: share faultline's IFB $ifb, .*slot 1 of its prio fa17:, netem fa19: on band 5" <<<"$plan"
	start_run "$work/p2.yaml"
	p2_pid=$FL_PID
	if wait_slot a 1 20; then
		q=$($TC -n a -d qdisc show dev "$ifb")
		echo "$q"
		check "(p) one IFB $ifb, with netem fa18: on band 4 and fa19: on band 5" \
			test "$(grep -c flifb <<<"$($IP -n a -o link show)")" = 1 -a \
			"$(grep -c '^qdisc netem fa18: parent fa17:4 limit 1000 delay 100ms' <<<"$q")" = 1 -a \
			"$(grep -c '^qdisc netem fa19: parent fa17:5 limit 1000 delay 50ms' <<<"$q")" = 1
		check "(p) one ingress qdisc and one redirect on veth-a" \
			test "$(grep -c 'mirred (Egress Redirect to device' <<<"$($TC -n a filter show dev veth-a ingress)")" = 1
		d1=$(conn_ms a 10.99.0.2 5001 21)
		d2=$(conn_ms a 10.99.0.2 5002 21)
		d3=$(conn_ms a 10.99.0.2 5003 21)
		echo "two ingress faults: connect 5001 $d1 ms, 5002 $d2 ms, 5003 $d3 ms"
		check "(p) the RST from port 5001 delayed by 100 +- 10 ms: $d1 - $b1" \
			float_between "$(delta "$d1" "$b1")" 90 110
		check "(p) the RST from port 5002 delayed by 50 +- 10 ms: $d2 - $b2" \
			float_between "$(delta "$d2" "$b2")" 40 60
		check "(p) port 5003 not delayed: $d3 - $b3" \
			float_between "$(delta "$d3" "$b3")" -10 10
		FL_PID=$p1_pid
		kill -INT "$FL_PID" 2>/dev/null || true
		wait_run
		p1_pid=''
		check "(p) the first ingress fault's run exits 3 after SIGINT: $RC" test "$RC" = 3
		check "(p) after the first revert: $ifb and the redirect stay, fa18: is gone" \
			test "$(grep -c '^qdisc netem fa18: ' <<<"$($TC -n a qdisc show)")" = 0 -a \
			"$(grep -c 'mirred (Egress Redirect to device' <<<"$($TC -n a filter show dev veth-a ingress)")" = 1
		d1=$(conn_ms a 10.99.0.2 5001 21)
		d2=$(conn_ms a 10.99.0.2 5002 21)
		echo "second ingress fault alone: connect 5001 $d1 ms, 5002 $d2 ms"
		check "(p) after the first revert: port 5001 back to its baseline: $d1 - $b1" \
			float_between "$(delta "$d1" "$b1")" -10 10
		check "(p) after the first revert: port 5002 still delayed by 50 +- 10 ms: $d2 - $b2" \
			float_between "$(delta "$d2" "$b2")" 40 60
	else
		fail "(p) the second ingress fault never appeared"
		show_log "$work/p2.yaml.log"
	fi
	if [ -n "$p1_pid" ]; then
		kill -INT "$p1_pid" 2>/dev/null || true
		wait "$p1_pid" 2>/dev/null || true
	fi
	FL_PID=$p2_pid
	stop_run "(p) the second of two filtered ingress faults"
else
	fail "(p) the first filtered ingress fault never appeared"
	show_log "$work/p1.yaml.log"
	stop_run "(p) the first filtered ingress fault"
fi

two_faults "$work/p4.yaml" crash-controller-ingress sport ', direction: ingress, protocol: tcp'
crash_controller "(p)" "two filtered ingress faults" "$work/p4.yaml"

two_faults "$work/p5.yaml" crash-injector-ingress sport ', direction: ingress, protocol: tcp'
crash_injector "(p)" "two filtered ingress faults" "$work/p5.yaml"
