#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The tcp and command probes, on loopback and with local commands:
# - tcp: connects to the demo service (ok, and the service counts the
#   connections), a closed port gives refused samples;
# - command: a number read from stdout, a non-zero exit recorded with its status
#   and stderr, output that is not a number is no_value, a command past its
#   timeout is killed with everything it started (its process group); a command
#   not found in PATH stops the probes before they start;
# - command probes never run as root: as root they run as nobody, or as
#   SUDO_UID/SUDO_GID; run by another user (as after the controller dropped
#   root), as that user. (The root cases are skipped without root.)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_probes.sh"

# Files the unprivileged commands write; TEST_TMP is private to root.
pub=$(mktemp -d /tmp/faultline-probe-pub.XXXXXX)
chmod 1777 "$pub"
trap 'set +e; rm -rf "$pub"; cleanup' EXIT

expect_ok() {
	local out
	out=$(samples_check "$1" "$2")
	if [ "$out" != ok ]; then
		echo "  $out" >&2
		return 1
	fi
}

start_demo svc
closed=$(free_port)
write_scenario "$TEST_TMP/tcp.yaml" "  up: {tcp: {address: \"127.0.0.1:$DEMO_PORT\"}, rate: 20/s}
  down: {tcp: {host: 127.0.0.1, port: $closed, timeout: 1s}, rate: 10/s}"
check "tcp probes run" run_probes tcp 2s
check "tcp to a listening port: ok samples with sub-second connect times" expect_ok tcp '
u = probe("up")
print("ok" if len(u) >= 35 and all(r["error"] == "ok" and r["lat"] < 1000 for r in u)
      else str([(r["error"], r["lat"]) for r in u][:5]))'
conns=$(metric "$DEMO_PORT" faultline_demo_connections_total)
n=$(grep -c '^up,' "$TEST_TMP/tcp.csv")
# The metric request itself is one more connection.
check "the service accepted every connection ($conns for $n samples)" test "$conns" = $((n + 1))
check "tcp to a closed port: refused samples" expect_ok tcp '
d = probe("down")
print("ok" if len(d) >= 15 and all(r["error"] == "refused" for r in d)
      else str(set(r["error"] for r in d)))'
check "the refused tcp probe keeps the reason" \
	grep -q "^probe down: .*port $closed: Connection refused" "$TEST_TMP/tcp.summary"

write_scenario "$TEST_TMP/cmd.yaml" "  value: {command: {argv: [sh, -c, \"echo ' 42.5'\"], value: true}, interval: 100ms}
  exit3: {command: {argv: [sh, -c, \"echo broken pipe >&2; exit 3\"]}, interval: 200ms}
  words: {command: {argv: [echo, many, words], value: true}, interval: 200ms}
  killed: {command: {argv: [sh, -c, \"sleep 30 & echo \$! > $pub/grandchild; wait\"], timeout: 300ms}, interval: 5s}"
check "command probes run" run_probes cmd 1500ms
check "command value read from stdout" expect_ok cmd '
v = probe("value")
print("ok" if len(v) >= 5 and all(r["error"] == "ok" and r["value"] == 42.5 and r["status"] == 0 for r in v)
      else str([(r["error"], r["value"]) for r in v][:5]))'
check "a non-zero exit is an exit_status sample with the status" expect_ok cmd '
v = probe("exit3")
print("ok" if len(v) >= 6 and all(r["error"] == "exit_status" and r["status"] == 3 for r in v)
      else str([(r["error"], r["status"]) for r in v][:5]))'
check "the exit keeps stderr's last line" grep -q "^probe exit3: .*exit status 3: broken pipe" "$TEST_TMP/cmd.summary"
check "output that is not a number is no_value" expect_ok cmd '
v = probe("words")
print("ok" if v and all(r["error"] == "no_value" and math.isnan(r["value"]) for r in v) else str(v[:3]))'
check "a command past its timeout is a timeout sample, killed" expect_ok cmd '
v = probe("killed")
print("ok" if len(v) == 1 and v[0]["error"] == "timeout" and v[0]["status"] == 137 and 290 <= v[0]["lat"] <= 1000
      else str(v))'
check "the command started a grandchild" test -s "$pub/grandchild"
gc=$(cat "$pub/grandchild" 2>/dev/null || echo 0)
# Dead: gone, or a zombie until init reaps it (it was reparented to init).
dead() {
	local i s
	for ((i = 0; i < 40; i++)); do
		s=$(proc_state "$1")
		[ "$s" = gone ] || [ "$s" = Z ] && return 0
		sleep 0.05
	done
	echo "  pid $1 is in state $s" >&2
	return 1
}
check "what the command started was killed too (pid $gc)" dead "$gc"

write_scenario "$TEST_TMP/missing.yaml" "  gone: {command: {argv: [faultline-no-such-command]}}"
rc=0
"$PROBE_RUN_BIN" "$TEST_TMP/missing.yaml" --for 1s --samples "$TEST_TMP/missing.csv" \
	>/dev/null 2>"$TEST_TMP/missing.err" || rc=$?
check "a command not in PATH stops the probes before they start (exit $rc)" test "$rc" = 4
check "and says which" grep -q "probe gone: command 'faultline-no-such-command' not found in PATH" \
	"$TEST_TMP/missing.err"

if [ "$(id -u)" = 0 ]; then
	write_scenario "$TEST_TMP/who.yaml" "  uid: {command: {argv: [id, -u], value: true}, interval: 100ms}
  gid: {command: {argv: [id, -g], value: true}, interval: 100ms}
  groups: {command: {argv: [sh, -c, \"id -G | wc -w\"], value: true}, interval: 100ms}"
	nobody_uid=$(id -u nobody)
	nobody_gid=$(id -g nobody)
	check "probes run as root" run_probes who 500ms
	check "started as root, commands run as nobody without groups" expect_ok who "
print('ok' if probe('uid') and all(r['value'] == $nobody_uid for r in probe('uid'))
      and all(r['value'] == $nobody_gid for r in probe('gid'))
      and all(r['value'] == 1 for r in probe('groups')) else str(rows[:3]))"
	SUDO_UID=4242 SUDO_GID=4343 run_probes who 500ms
	check "started through sudo, commands run as SUDO_UID and SUDO_GID" expect_ok who "
print('ok' if probe('uid') and all(r['value'] == 4242 for r in probe('uid'))
      and all(r['value'] == 4343 for r in probe('gid')) else str(rows[:3]))"
	# As after privilege_drop(): the controller is already another user.
	cp "$TEST_TMP/who.yaml" "$pub/who.yaml"
	chmod 644 "$pub/who.yaml"
	rc=0
	setpriv --reuid=4444 --regid=4444 --clear-groups \
		"$PROBE_RUN_BIN" "$pub/who.yaml" --for 500ms --samples "$pub/who.csv" >/dev/null || rc=$?
	cp "$pub/who.csv" "$TEST_TMP/dropped.csv" 2>/dev/null || true
	check "the probes run as an unprivileged user" test "$rc" = 0
	check "run by another user, commands run as that user" expect_ok dropped "
print('ok' if probe('uid') and all(r['value'] == 4444 for r in probe('uid'))
      and all(r['value'] == 4444 for r in probe('gid')) else str(rows[:3]))"
else
	echo "skip: the privilege cases need root"
fi

finish
