#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# process.pause with method freeze: the cgroup v2 freezer. The cgroup is frozen
# while the fault is on and thawed exactly on revert; a cgroup that was already
# frozen is left frozen; a cgroup that holds the controller is refused; kill -9 of
# the controller mid-freeze thaws it within 3 s.
source "$(dirname "$0")/lib.sh"
require_root

V2=
for m in /sys/fs/cgroup /sys/fs/cgroup/unified; do
	if [ "$(stat -f -c %T "$m" 2>/dev/null)" = cgroup2fs ]; then V2=$m; break; fi
done
if [ -z "$V2" ]; then
	echo "SKIP: no cgroup v2 hierarchy mounted (the freezer needs one)"
	exit 77
fi
CG="faultline-freeze-$$"
mkdir "$V2/$CG"
if [ ! -e "$V2/$CG/cgroup.freeze" ]; then
	rmdir "$V2/$CG"
	echo "SKIP: this kernel's cgroup v2 has no freezer (cgroup.freeze)"
	exit 77
fi
cleanup_cg() {
	echo 0 >"$V2/$CG/cgroup.freeze" 2>/dev/null || true
	for p in $(cat "$V2/$CG/cgroup.procs" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
	for _ in $(seq 40); do rmdir "$V2/$CG" 2>/dev/null && break; sleep 0.05; done
}
trap 'set +e; cleanup_cg; cleanup' EXIT

# 70 processes: more than a selection may take unbounded, but the freezer
# takes the whole cgroup whatever its size.
for _ in $(seq 70); do
	start_target
	echo "$TARGET" >"$V2/$CG/cgroup.procs"
done
frozen() { grep -q '^frozen 1' "$V2/$CG/cgroup.events"; }
wait_frozen() { # 1|0 TIMEOUT
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		if [ "$1" = 1 ] && frozen; then return 0; fi
		if [ "$1" = 0 ] && ! frozen; then return 0; fi
		sleep 0.05
	done
	return 1
}

cat >"$TEST_TMP/freeze.yaml" <<YAML
version: 1
name: freeze
faults:
  - name: freeze-cg
    type: process.pause
    method: freeze
    duration: 1500ms
    target: {cgroup: /$CG}
YAML
"$FAULTLINE_BIN" validate "$TEST_TMP/freeze.yaml" >/dev/null
"$FAULTLINE_BIN" run "$TEST_TMP/freeze.yaml" >"$TEST_TMP/freeze.out" 2>&1 &
runner=$!
track_pid "$runner"
check "the cgroup is frozen while the fault is on" wait_frozen 1 3
check "cgroup.freeze reads 1" test "$(cat "$V2/$CG/cgroup.freeze")" = 1
rc=0
wait "$runner" || rc=$?
check "the run exits 0 (got $rc)" test "$rc" = 0
check "the cgroup is thawed after the revert" wait_frozen 0 2
check "cgroup.freeze reads 0 again" test "$(cat "$V2/$CG/cgroup.freeze")" = 0
check "the journal holds nothing" journal_empty

# Already frozen by someone else: left frozen.
echo 1 >"$V2/$CG/cgroup.freeze"
wait_frozen 1 3
rc=0
"$FAULTLINE_BIN" run "$TEST_TMP/freeze.yaml" >"$TEST_TMP/frozen.out" 2>&1 || rc=$?
check "freezing an already frozen cgroup runs (got $rc)" test "$rc" = 0
check "and leaves it frozen: not ours to thaw" test "$(cat "$V2/$CG/cgroup.freeze")" = 1
echo 0 >"$V2/$CG/cgroup.freeze"
wait_frozen 0 3

# kill -9 of the controller mid-freeze: thawed within 3 s.
sed -i 's/duration: 1500ms/duration: 60s/' "$TEST_TMP/freeze.yaml"
"$FAULTLINE_BIN" run "$TEST_TMP/freeze.yaml" >"$TEST_TMP/crash.out" 2>&1 &
runner=$!
track_pid "$runner"
wait_frozen 1 3
kill -9 "$runner"
check "kill -9 of the controller: thawed within 3 s" wait_frozen 0 3

# kill -9 of the injector mid-freeze: still frozen, then recovery thaws it.
"$FAULTLINE_BIN" run "$TEST_TMP/freeze.yaml" >"$TEST_TMP/crash2.out" 2>&1 &
runner=$!
track_pid "$runner"
wait_frozen 1 3
injector=$(children_of "$runner" | head -n1)
kill -9 "$injector"
wait "$runner" || true
check "kill -9 of the injector: the cgroup stays frozen (nobody left to thaw)" frozen
"$FAULTLINE_BIN" recover >"$TEST_TMP/recover.out" 2>&1
check "faultline recover thaws it" wait_frozen 0 3
check "recovery leaves no journal" journal_empty

# A cgroup that holds the controller itself is refused.
rc=0
(echo "$BASHPID" >"$V2/$CG/cgroup.procs" && exec "$FAULTLINE_BIN" run "$TEST_TMP/freeze.yaml") \
	>"$TEST_TMP/self.out" 2>&1 || rc=$?
check "a cgroup holding the controller is refused (exit $rc)" test "$rc" = 4
check "the refusal names the rule" grep -q "refused to freeze cgroup /$CG: it holds pid" "$TEST_TMP/self.out"
check "nothing was frozen" test "$(cat "$V2/$CG/cgroup.freeze")" = 0
finish
