#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# disk.throttle on this host's cgroup v1 blkio hierarchy, with fio as the oracle:
# - fio in a throwaway blkio cgroup is held to the configured wbps within 10%;
# - after the revert the four blkio.throttle.*_device files read byte for byte as
#   before (an existing line put back, absent lines absent again) and fio's rate
#   recovers;
# - move_pid: only the moved process is throttled, in a throwaway cgroup that is
#   removed on revert after the process is moved back;
# - kill -9 of the controller restores the limits; kill -9 of the injector leaves
#   them, and `faultline recover` restores them (and removes a move_pid cgroup);
# - refusals: a cgroup that does not exist, a path without a block device, a
#   unit no cgroup is named after, the root cgroup reached through a pid, a
#   second throttle of the same cgroup and device.
# cgroup v2 io.max is tested in tests/vm (this host's v2 hierarchy has no
# controllers).
source "$(dirname "$0")/lib.sh"
require_root

command -v fio >/dev/null || { echo "SKIP: fio is missing (scripts/install-deps.sh installs it)"; exit 77; }
BLKIO=$(awk '$3 == "cgroup" && $4 ~ /(^|,)blkio(,|$)/ { print $2; exit }' /proc/self/mounts)
[ -n "$BLKIO" ] || { echo "SKIP: no cgroup v1 blkio hierarchy (the vm test covers cgroup v2 io.max)"; exit 77; }
for m in $(awk '$3 == "cgroup2" { print $2 }' /proc/self/mounts); do
	if grep -qw io "$m/cgroup.controllers" 2>/dev/null; then
		echo "SKIP: the io controller is on cgroup v2 here (the vm test covers io.max)"
		exit 77
	fi
done

# fio's file: on a real block device, never on tmpfs.
WORK=$(mktemp -d /var/tmp/faultline-io.XXXXXX)
devno=$(stat -c '%Hd:%Ld' "$WORK")
if [ "${devno%%:*}" = 0 ] || [ ! -e "/sys/dev/block/$devno" ]; then
	rm -rf "$WORK"
	echo "SKIP: /var/tmp is not on a block device ($devno)"
	exit 77
fi
DEV=$devno
if [ -e "/sys/dev/block/$devno/partition" ]; then
	DEV=$(cat "/sys/dev/block/$devno/../dev")
fi
CG=faultline-test-io-$$
mkdir "$BLKIO/$CG"
TMPFS="$TEST_TMP/tmpfs"
mkdir "$TMPFS"
cleanup_io() {
	local d p
	mountpoint -q "$TMPFS" && umount "$TMPFS"
	for d in "$BLKIO/$CG"/faultline-throttle-* "$BLKIO/$CG"; do
		[ -d "$d" ] || continue
		for p in $(cat "$d/cgroup.procs" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
	done
	for d in "$BLKIO/$CG"/faultline-throttle-* "$BLKIO/$CG"; do
		[ -d "$d" ] || continue
		for _ in $(seq 40); do rmdir "$d" 2>/dev/null && break; sleep 0.05; done
	done
	rm -rf "$WORK"
}
trap 'set +e; cleanup_io; cleanup' EXIT

LIMIT=$((4 * 1024 * 1024))
files=(read_bps write_bps read_iops write_iops)
dump() { # CGROUP_DIR
	local f
	for f in "${files[@]}"; do
		printf '%s: ' "$f"
		cat "$1/blkio.throttle.${f}_device"
		echo .
	done
}
# A line that exists before the fault (and that the fault overrides), one that the
# fault does not touch, and two absent ones.
echo "$DEV 100000" >"$BLKIO/$CG/blkio.throttle.write_iops_device"
echo "$DEV 1073741824" >"$BLKIO/$CG/blkio.throttle.read_bps_device"
before=$(dump "$BLKIO/$CG")

# fio_in DIR SECONDS OUT: sequential O_DIRECT writes from inside cgroup DIR.
fio_in() {
	(
		echo "$BASHPID" >"$1/cgroup.procs"
		exec fio --name=w --filename="$WORK/fio.dat" --size=128M --rw=write --bs=64k \
			--direct=1 --ioengine=psync --runtime="$2" --time_based \
			--output-format=json --output="$3" >/dev/null 2>&1
	)
}
bw_of() { $PYTHON -c 'import json, sys; print(json.load(open(sys.argv[1]))["jobs"][0]["write"]["bw_bytes"])' "$1"; }
within10() { # MEASURED WANTED
	awk -v m="$1" -v w="$2" 'BEGIN { d = m - w; if (d < 0) d = -d; exit !(d <= w * 0.10) }'
}
wait_for() { # TIMEOUT_S COMMAND...: polls every 50 ms
	local t=$1 i
	shift
	for ((i = 0; i < t * 20; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}
limit_set() { grep -q "^$DEV $LIMIT\$" "$1/blkio.throttle.write_bps_device"; }
restored() { [ "$(dump "$BLKIO/$CG")" = "$before" ]; }

fio_in "$BLKIO/$CG" 3 "$TEST_TMP/base.json"
base=$(bw_of "$TEST_TMP/base.json")
echo "# unthrottled: $base bytes/s on $DEV"
if [ "$base" -lt $((LIMIT * 3)) ]; then
	echo "SKIP: the disk writes only $base bytes/s here, too slow to see a 4 MiB/s limit"
	exit 77
fi

write_scenario() { # FILE DURATION TARGET [EXTRA]
	cat >"$1" <<YAML
version: 1
name: throttle
faults:
  - name: slow-writes
    type: disk.throttle
    at: 0s
    duration: $2
    target: $3
    path: $WORK
    wbps: 4MiB/s
    wiops: 5000/s
${4:-}
YAML
}

# 1. Held to the limit, then restored exactly.
write_scenario "$TEST_TMP/t.yaml" 15s "{cgroup: /$CG}"
"$FAULTLINE_BIN" validate "$TEST_TMP/t.yaml" >/dev/null
"$FAULTLINE_BIN" run "$TEST_TMP/t.yaml" >"$TEST_TMP/run.out" 2>&1 &
runner=$!
track_pid "$runner"
check "the limit is written to blkio.throttle.write_bps_device" wait_for 5 limit_set "$BLKIO/$CG"
check "wiops overrides the existing line" grep -q "^$DEV 5000\$" "$BLKIO/$CG/blkio.throttle.write_iops_device"
check "the untouched read_bps line stays" grep -q "^$DEV 1073741824\$" "$BLKIO/$CG/blkio.throttle.read_bps_device"
fio_in "$BLKIO/$CG" 5 "$TEST_TMP/held.json"
held=$(bw_of "$TEST_TMP/held.json")
echo "# throttled: $held bytes/s (limit $LIMIT)"
check "fio is held to 4 MiB/s within 10% (measured $held)" within10 "$held" "$LIMIT"
rc=0
wait "$runner" || rc=$?
check "the run exits 0 (got $rc)" test "$rc" = 0
check "after the revert the limit files read exactly as before" restored
if ! restored; then diff <(echo "$before") <(dump "$BLKIO/$CG") || true; fi
fio_in "$BLKIO/$CG" 3 "$TEST_TMP/after.json"
after=$(bw_of "$TEST_TMP/after.json")
echo "# after the revert: $after bytes/s"
check "fio's rate recovers (measured $after, over 3x the limit)" test "$after" -gt $((LIMIT * 3))
check "the journal holds nothing" journal_empty

# 2. move_pid: one process of the cgroup moves into a throwaway cgroup that gets
#    the limits; the other stays unthrottled where it was.
(
	echo "$BASHPID" >"$BLKIO/$CG/cgroup.procs"
	while [ ! -e "$WORK/go" ]; do sleep 0.05; done
	fio --name=w --filename="$WORK/fio.dat" --size=128M --rw=write --bs=64k --direct=1 \
		--ioengine=psync --runtime=5 --time_based --output-format=json \
		--output="$TEST_TMP/moved.json" >/dev/null 2>&1
	touch "$WORK/done"
	exec sleep 600
) &
mover=$!
track_pid "$mover"
sleep 600 &
bystander=$!
track_pid "$bystander"
echo "$bystander" >"$BLKIO/$CG/cgroup.procs"
wait_for 2 grep -q "blkio:/$CG\$" "/proc/$mover/cgroup"
write_scenario "$TEST_TMP/m.yaml" 15s "{cgroup: /$CG}" "    move_pid: $mover"
"$FAULTLINE_BIN" run "$TEST_TMP/m.yaml" >"$TEST_TMP/move.out" 2>&1 &
runner=$!
track_pid "$runner"
in_child() { grep -q "blkio:/$CG/faultline-throttle-[0-9a-f]*\$" "/proc/$mover/cgroup"; }
check "move_pid: the process is moved into a faultline-throttle-* child" wait_for 5 in_child
child=$(sed -n "s|.*blkio:/$CG/\(faultline-throttle-[0-9a-f]*\)\$|\1|p" "/proc/$mover/cgroup")
check "move_pid: the child cgroup has the limit" limit_set "$BLKIO/$CG/$child"
check "move_pid: the target cgroup's own limits are untouched" restored
check "move_pid: the other process stays in the target cgroup" grep -q "blkio:/$CG\$" "/proc/$bystander/cgroup"
touch "$WORK/go"
wait_for 20 test -e "$WORK/done" || true
moved=$(bw_of "$TEST_TMP/moved.json")
echo "# moved process: $moved bytes/s (limit $LIMIT)"
check "move_pid: fio of the moved process is held to 4 MiB/s within 10% (measured $moved)" within10 "$moved" "$LIMIT"
rc=0
wait "$runner" || rc=$?
check "move_pid: the run exits 0 (got $rc)" test "$rc" = 0
check "move_pid: the process is back in the target cgroup" grep -q "blkio:/$CG\$" "/proc/$mover/cgroup"
check "move_pid: the throwaway cgroup is removed" test ! -e "$BLKIO/$CG/$child"
check "move_pid: the limit files still read as before" restored

# 3. kill -9 of the controller: the injector restores the limits.
write_scenario "$TEST_TMP/long.yaml" 60s "{cgroup: /$CG}"
"$FAULTLINE_BIN" run "$TEST_TMP/long.yaml" >"$TEST_TMP/crash1.out" 2>&1 &
runner=$!
track_pid "$runner"
wait_for 5 limit_set "$BLKIO/$CG"
kill -9 "$runner"
check "kill -9 of the controller: the limits read as before within 3 s" wait_for 3 restored

# 4. kill -9 of the injector: the limits stay; faultline recover restores them.
"$FAULTLINE_BIN" run "$TEST_TMP/long.yaml" >"$TEST_TMP/crash2.out" 2>&1 &
runner=$!
track_pid "$runner"
wait_for 5 limit_set "$BLKIO/$CG"
injector=$(children_of "$runner" | head -n1)
kill -9 "$injector"
wait "$runner" || true
check "kill -9 of the injector: the limit stays (nobody left to revert)" limit_set "$BLKIO/$CG"
"$FAULTLINE_BIN" recover >"$TEST_TMP/recover.out" 2>&1
check "faultline recover restores the limit files exactly" restored
check "recovery leaves no journal" journal_empty

# 5. kill -9 of the injector with move_pid: recovery moves the process back and
#    removes the throwaway cgroup.
write_scenario "$TEST_TMP/mlong.yaml" 60s "{cgroup: /$CG}" "    move_pid: $bystander"
"$FAULTLINE_BIN" run "$TEST_TMP/mlong.yaml" >"$TEST_TMP/crash3.out" 2>&1 &
runner=$!
track_pid "$runner"
moved_out() { ! grep -q "blkio:/$CG\$" "/proc/$bystander/cgroup"; }
wait_for 5 moved_out
injector=$(children_of "$runner" | head -n1)
kill -9 "$injector"
wait "$runner" || true
check "kill -9 of the injector: the process is still in the throwaway cgroup" moved_out
"$FAULTLINE_BIN" recover >"$TEST_TMP/recover2.out" 2>&1
check "faultline recover moves the process back" grep -q "blkio:/$CG\$" "/proc/$bystander/cgroup"
leftover=$(find "$BLKIO/$CG" -maxdepth 1 -name 'faultline-throttle-*' | wc -l)
check "faultline recover removes the throwaway cgroup ($leftover left)" test "$leftover" = 0
check "the limit files still read as before" restored

# 6. Refusals, from the injector (plan: the same checks as apply), with the
#    fault's position.
plan_refuses() { # WHAT TARGET PATH MESSAGE [EXTRA_LINE]
	cat >"$TEST_TMP/bad.yaml" <<YAML
version: 1
name: bad
faults:
  - name: bad-throttle
    type: disk.throttle
    at: 0s
    duration: 5s
    target: $2
    path: $3
    rbps: 1MiB/s
${5:-}
YAML
	local rc=0
	"$FAULTLINE_BIN" plan "$TEST_TMP/bad.yaml" >"$TEST_TMP/bad.out" 2>&1 || rc=$?
	check "$1: plan exits 4 (got $rc)" test "$rc" = 4
	check "$1: the error names the fault's position" grep -qF "$TEST_TMP/bad.yaml:4:5: " "$TEST_TMP/bad.out"
	check "$1: the error says: $4" grep -qF "$4" "$TEST_TMP/bad.out"
	if ! grep -qF "$4" "$TEST_TMP/bad.out"; then cat "$TEST_TMP/bad.out"; fi
}
plan_refuses "nonexistent cgroup" "{cgroup: /faultline-no-such-$$}" "$WORK" \
	"cgroup /faultline-no-such-$$ does not exist"
mount -t tmpfs -o size=1M tmpfs "$TMPFS"
plan_refuses "tmpfs path" "{cgroup: /$CG}" "$TMPFS" "is on a filesystem without a block device (tmpfs"
plan_refuses "unknown unit" "{unit: faultline-no-such-$$.service}" "$WORK" \
	"no cgroup is named after unit faultline-no-such-$$.service"
sleep 600 &
rootpid=$!
track_pid "$rootpid"
plan_refuses "root cgroup through a pid" "{pid: $rootpid}" "$WORK" "the root cgroup is never a target"
plan_refuses "move_pid outside the target" "{cgroup: /$CG}" "$WORK" \
	"move_pid: pid $rootpid is in cgroup /, not in the target /$CG" "    move_pid: $rootpid"
write_scenario "$TEST_TMP/p.yaml" 5s "{pid: $bystander}"
"$FAULTLINE_BIN" plan "$TEST_TMP/p.yaml" >"$TEST_TMP/plan.out" 2>&1 || true
check "plan of a pid target resolves its cgroup" grep -q "cgroup /$CG (v1) on device $DEV" "$TEST_TMP/plan.out"

# Two throttles of one cgroup and device: the second is refused.
cat >"$TEST_TMP/twice.yaml" <<YAML
version: 1
name: twice
faults:
  - name: first
    type: disk.throttle
    at: 0s
    duration: 3s
    target: {cgroup: /$CG}
    path: $WORK
    wbps: 4MiB/s
  - name: second
    type: disk.throttle
    at: 500ms
    duration: 1s
    target: {pid: $bystander}
    path: $WORK
    rbps: 1MiB/s
YAML
rc=0
"$FAULTLINE_BIN" run "$TEST_TMP/twice.yaml" >"$TEST_TMP/twice.out" 2>&1 || rc=$?
check "a second throttle of the same cgroup and device is refused (exit $rc)" test "$rc" = 4
check "the refusal says why" grep -q "already has a disk.throttle of this injector" "$TEST_TMP/twice.out"
check "and the first one is reverted exactly" restored
finish
