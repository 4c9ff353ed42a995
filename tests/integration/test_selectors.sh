#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Target selection, end to end: every selector, combinations, exclusions, count
# and percent with a fixed seed (the same pids twice), and a selection that
# matches nothing. Every process acted on is one this test spawned, in cgroups of
# its own; a pause is used as the probe because its effect is visible in
# /proc/PID/stat (state T) and is reverted.
source "$(dirname "$0")/lib.sh"
require_root

CG_ROOT=/sys/fs/cgroup/systemd
[ -d "$CG_ROOT" ] || CG_ROOT=/sys/fs/cgroup/pids
[ -w "$CG_ROOT/cgroup.procs" ] || CG_ROOT=/sys/fs/cgroup
if [ ! -w "$CG_ROOT/cgroup.procs" ]; then
	echo "SKIP: no writable cgroup hierarchy to put the test's processes in"
	exit 77
fi
CG="faultline-test-$$"
UNIT="fltest-$$.service"
mkdir -p "$CG_ROOT/$CG/one" "$CG_ROOT/$CG/two" "$CG_ROOT/$CG/ns" "$CG_ROOT/$CG/$UNIT"
cleanup_cgroups() {
	local d
	for d in "$CG_ROOT/$CG/$UNIT" "$CG_ROOT/$CG/one" "$CG_ROOT/$CG/two" "$CG_ROOT/$CG/ns" "$CG_ROOT/$CG"; do
		[ -d "$d" ] || continue
		for p in $(cat "$d/cgroup.procs" 2>/dev/null); do
			kill -CONT "$p" 2>/dev/null || true
			kill -KILL "$p" 2>/dev/null || true
		done
	done
	sleep 0.2
	for d in "$CG_ROOT/$CG/$UNIT" "$CG_ROOT/$CG/one" "$CG_ROOT/$CG/two" "$CG_ROOT/$CG/ns" "$CG_ROOT/$CG"; do
		rmdir "$d" 2>/dev/null || true
	done
}
trap 'set +e; cleanup_cgroups; cleanup' EXIT

# Processes with names of our own: symlinks to sleep give them their comm.
for n in fla flb flc; do ln -s "$(command -v sleep)" "$TEST_TMP/$n-$$"; done
A="fla-$$" B="flb-$$" C="flc-$$"
declare -A CGROUP_OF
spawn() { # NAME ARG CGROUP [USER]
	local name=$1 arg=$2 cg=$3 user=${4:-}
	if [ -n "$user" ]; then
		setpriv --reuid="$user" --regid="$user" --clear-groups "$TEST_TMP/$name" "$arg" &
	else
		"$TEST_TMP/$name" "$arg" &
	fi
	local pid=$!
	track_pid "$pid"
	echo "$pid" >"$CG_ROOT/$CG/$cg/cgroup.procs"
	CGROUP_OF[$pid]=$cg
	SPAWNED=$pid
}
spawn "$A" 600.1 one; a1=$SPAWNED
spawn "$A" 600.2 one 65534; a2=$SPAWNED
spawn "$B" 600.1 two; b1=$SPAWNED
spawn "$B" 600.2 two 65534; b2=$SPAWNED
spawn "$C" 600.3 "$UNIT"; c1=$SPAWNED
# A parent with two children of its own, for ppid.
bash -c "\"$TEST_TMP/$C\" 600.4 & \"$TEST_TMP/$C\" 600.5 & wait" &
parent=$!
track_pid "$parent"
echo "$parent" >"$CG_ROOT/$CG/two/cgroup.procs"
sleep 0.3
kids=$(children_of "$parent" | sort -n | tr '\n' ' ')
for k in $kids; do track_pid "$k"; echo "$k" >"$CG_ROOT/$CG/two/cgroup.procs"; done
# A pid namespace of our own: its init (bash, pid 1 inside) and a sleep (pid 2).
unshare --pid --fork bash -c "\"$TEST_TMP/$C\" 600.9 & wait" &
ns_unshare=$!
track_pid "$ns_unshare"
sleep 0.3
ns_init=$(children_of "$ns_unshare" | head -n1)
ns_sleep=$(children_of "$ns_init" | head -n1)
track_pid "$ns_init"
track_pid "$ns_sleep"
echo "$ns_unshare" >"$CG_ROOT/$CG/ns/cgroup.procs"
echo "$ns_init" >"$CG_ROOT/$CG/ns/cgroup.procs"
echo "$ns_sleep" >"$CG_ROOT/$CG/ns/cgroup.procs"
# Every process in the test's cgroups, so that whatever a pick chooses is seen.
ALL="$a1 $a2 $b1 $b2 $c1 $kids $parent $ns_unshare $ns_init $ns_sleep"
N=$(echo $ALL | wc -w)
sleep 0.2

# paused_by TARGET-YAML: runs a 3 s pause and prints the sorted pids of ours that
# were in state T half way through. Extra YAML lines may follow in $EXTRA.
paused_by() {
	cat >"$TEST_TMP/sel.yaml" <<YAML
version: 1
name: selectors
faults:
  - name: pause-selected
    type: process.pause
    duration: 3s
    target: $1
YAML
	"$FAULTLINE_BIN" run "$TEST_TMP/sel.yaml" >"$TEST_TMP/sel.out" 2>&1 &
	local runner=$! stopped="" p i
	# Sample once the fault is applied (slow under sanitizers), and give the
	# stops a moment to take effect.
	for ((i = 0; i < 200; i++)); do
		grep -q "applied pause-selected" "$TEST_TMP/sel.out" 2>/dev/null && break
		kill -0 "$runner" 2>/dev/null || break
		sleep 0.05
	done
	sleep 0.3
	for p in $ALL; do [ "$(proc_state "$p")" = T ] && stopped="$stopped $p"; done
	wait "$runner" || echo "run exited $?" >&2
	echo $stopped | tr ' ' '\n' | sort -n | tr '\n' ' ' | sed 's/ $//'
}
expect() { # DESCRIPTION TARGET-YAML EXPECTED-PIDS
	local got want
	got=$(paused_by "$2")
	want=$(echo $3 | tr ' ' '\n' | sort -n | tr '\n' ' ' | sed 's/ $//')
	if [ "$got" = "$want" ]; then pass "$1: paused {$want}"; else fail "$1: paused {$got}, expected {$want}"; sed 's/^/    /' "$TEST_TMP/sel.out" | tail -15; fi
	for p in $ALL; do [ "$(proc_state "$p")" != T ] || { fail "$1: pid $p still stopped after the revert"; }; done
}

expect "comm" "{comm: $A}" "$a1 $a2"
expect "cmdline regex" "{cmdline: '^$TEST_TMP/fl[ab]-$$ 600\\.2\$'}" "$a2 $b2"
expect "cgroup" "{cgroup: /$CG/two, comm: $B}" "$b1 $b2"
expect "cgroup and everything below it" "{cgroup: /$CG, comm: $C}" "$c1 $kids $ns_sleep"
expect "unit" "{unit: $UNIT}" "$c1"
expect "user by name" "{user: nobody, cgroup: /$CG}" "$a2 $b2"
expect "user by uid" "{user: 65534, comm: $B}" "$b2"
expect "ppid" "{ppid: $parent}" "$kids"
expect "pid" "{pid: $a1}" "$a1"
expect "pid in another pid namespace" "{pidns: $ns_init, pid: 2}" "$ns_sleep"
expect "ppid in another pid namespace" "{pidns: $ns_init, ppid: 1, comm: $C}" "$ns_sleep"
echo "$b1" >"$TEST_TMP/b1.pid"
expect "pidfile" "{pidfile: $TEST_TMP/b1.pid}" "$b1"
expect "combination: comm and user" "{comm: $A, user: 0}" "$a1"
expect "exclude one selector" "{cgroup: /$CG/one, exclude: {user: nobody}}" "$a1"
expect "exclude a list" "{cgroup: /$CG, exclude: [{comm: $C}, {user: 65534}, {comm: unshare}]}" "$a1 $b1 $parent $ns_init"

# count and percent with a fixed seed pick the same processes every time.
first=$(paused_by "{cgroup: /$CG, count: 3, seed: 4242}")
second=$(paused_by "{cgroup: /$CG, count: 3, seed: 4242}")
check "count 3 picks three processes ($first)" test "$(echo $first | wc -w)" = 3
check "the same seed picks the same pids twice ($first / $second)" test "$first" = "$second"
grep -q "chosen with seed 4242" "$TEST_TMP/sel.out" && pass "the seed is reported" || fail "the seed is reported"
first=$(paused_by "{cgroup: /$CG, percent: 50%, seed: 7}")
second=$(paused_by "{cgroup: /$CG, percent: 50%, seed: 7}")
check "percent 50% of $N picks $(((N + 1) / 2)) ($first)" test "$(echo $first | wc -w)" = $(((N + 1) / 2))
check "percent with the same seed picks the same pids twice" test "$first" = "$second"
first=$(paused_by "{cgroup: /$CG, percent: 100%, max: 2, seed: 1}")
check "max caps the pick at 2 ($first)" test "$(echo $first | wc -w)" = 2
grep -q "pid [0-9]* comm .* starttime [0-9]* cgroup /" "$TEST_TMP/sel.out" && pass "each choice is reported with pid, comm, start time and cgroup" || fail "each choice is reported"

# Nothing matches: an error, unless allow_empty.
printf '%s\n' "version: 1" "name: none" "faults:" \
	"  - {name: p, type: process.pause, duration: 1s, target: {comm: nosuch-$$}}" >"$TEST_TMP/none.yaml"
rc=0
"$FAULTLINE_BIN" run "$TEST_TMP/none.yaml" >"$TEST_TMP/none.out" 2>&1 || rc=$?
check "a selection that matches nothing exits 4 (got $rc)" test "$rc" = 4
check "and says nothing matched" grep -q "no live process matches the target (comm \"nosuch-$$\")" "$TEST_TMP/none.out"
sed -i "s/target: {comm: nosuch-$$}/target: {comm: nosuch-$$, allow_empty: true}/" "$TEST_TMP/none.yaml"
rc=0
"$FAULTLINE_BIN" run "$TEST_TMP/none.yaml" >"$TEST_TMP/none2.out" 2>&1 || rc=$?
check "with allow_empty it is not an error (got $rc)" test "$rc" = 0

finish
