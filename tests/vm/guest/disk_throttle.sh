#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Guest half of test_vm_disk_throttle.sh: disk.throttle through cgroup v2 io.max
# on a virtio disk, with fio (bundled with its libraries) as the oracle.
#
# The scratch disk (/dev/vda) gets one partition with ext2 on it, so the fault's
# path lies on a partition that must resolve to the whole disk's MAJ:MIN.
#
#   (a) fio in the target cgroup is held to wbps within 10%; io.max shows the line
#   (b) after the revert io.max reads byte for byte as before (an existing line put
#       back; in a cgroup that had no line, no line again) and fio recovers
#   (c) move_pid: the process moves to a throwaway sibling cgroup with the limit;
#       the other process of its cgroup stays; both put back on revert
#   (d) kill -9 of the controller restores io.max; kill -9 of the injector leaves
#       it, and `faultline recover` restores it
#   (e) a cgroup whose parent does not enable io is refused, naming subtree_control
# shellcheck source=tests/vm/guest/lib.sh disable=SC1091
. /test/lib.sh

export FAULTLINED=$FAULTLINED_BIN
export FAULTLINE_STATE_DIR=/run/faultline-test
export FAULTLINE_SOCKET=/run/faultline-test/no-daemon.sock
mkdir -p "$FAULTLINE_STATE_DIR"
CG=/sys/fs/cgroup
LIMIT=$((2 * 1024 * 1024))

[ -b "${FAULTLINE_VM_DISK:-}" ] || { echo "no scratch disk (run-vm.sh --disk)"; exit 1; }
disk=$FAULTLINE_VM_DISK
DEV=$(cat "/sys/block/${disk#/dev/}/dev")
# One partition over the whole disk, ext2 on it.
printf 'o\nn\np\n1\n\n\nw\n' | fdisk "$disk" >/dev/null 2>&1 || true
for _ in $(seq 50); do [ -b "${disk}1" ] && break; sleep 0.1; done
check "the scratch disk has a partition ${disk}1" test -b "${disk}1"
PART=$(cat "/sys/block/${disk#/dev/}/${disk#/dev/}1/dev")
mke2fs -q "${disk}1" >/dev/null
mkdir -p /mnt/disk
mount -t ext2 "${disk}1" /mnt/disk
echo "# disk $DEV, partition $PART mounted on /mnt/disk"

echo +io >"$CG/cgroup.subtree_control"
mkdir "$CG/app" "$CG/plain"
check "io.max exists once io is enabled" test -e "$CG/app/io.max"
# An existing line for the disk, which the fault must put back exactly.
echo "$DEV riops=100000" >"$CG/app/io.max"
before=$(cat "$CG/app/io.max")
echo "# io.max before: $before"

fio_in() { # CGROUP SECONDS OUT
	(
		echo "$BASHPID" >"$1/cgroup.procs"
		exec fio --name=w --filename=/mnt/disk/fio.dat --size=64M --rw=write --bs=64k \
			--direct=1 --ioengine=psync --runtime="$2" --time_based \
			--output-format=json --output="$3" >/dev/null 2>&1
	)
}
bw_of() { sed -n 's/.*"bw_bytes" : \([0-9]*\).*/\1/p' "$1" | sed -n 2p; }
within10() { awk -v m="$1" -v w="$2" 'BEGIN { d = m - w; if (d < 0) d = -d; exit !(d <= w * 0.10) }'; }
wait_for() {
	local t=$1 i
	shift
	for ((i = 0; i < t * 20; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}
limit_set() { grep -q "^$DEV .*wbps=$LIMIT " "$1/io.max"; }
restored() { [ "$(cat "$CG/app/io.max")" = "$before" ]; }

scenario() { # FILE DURATION TARGET [EXTRA]
	cat >"$1" <<YAML
version: 1
name: vm-throttle
faults:
  - name: slow-writes
    type: disk.throttle
    at: 0s
    duration: $2
    target: $3
    path: /mnt/disk
    wbps: 2MiB/s
${4:-}
YAML
}

fio_in "$CG/app" 3 /tmp/base.json
base=$(bw_of /tmp/base.json)
echo "# unthrottled: $base bytes/s"
check "fio ran (bandwidth $base)" test -n "$base"
if [ -z "$base" ]; then
	echo "fio output:"
	cat /tmp/base.json
fi
check "the disk is fast enough to see a 2 MiB/s limit (${base:-0} > 3x)" test "${base:-0}" -gt $((LIMIT * 3))

# (a), (b)
scenario /tmp/t.yaml 14s "{cgroup: /app}"
"$FAULTLINE_BIN" run /tmp/t.yaml >/tmp/run.out 2>&1 &
runner=$!
check "io.max gets the limit, on the whole disk $DEV" wait_for 10 limit_set "$CG/app"
echo "# io.max during: $(cat "$CG/app/io.max")"
check "the existing riops stays in the line" grep -q "^$DEV rbps=max wbps=$LIMIT riops=100000 wiops=max" "$CG/app/io.max"
fio_in "$CG/app" 5 /tmp/held.json
held=$(bw_of /tmp/held.json)
echo "# throttled: $held bytes/s (limit $LIMIT)"
check "fio is held to 2 MiB/s within 10% (measured $held)" within10 "${held:-0}" "$LIMIT"
rc=0
wait "$runner" || rc=$?
check "the run exits 0 (got $rc)" test "$rc" = 0
[ "$rc" = 0 ] || cat /tmp/run.out
check "io.max reads exactly as before" restored
echo "# io.max after: $(cat "$CG/app/io.max")"
fio_in "$CG/app" 3 /tmp/after.json
after=$(bw_of /tmp/after.json)
echo "# after the revert: $after bytes/s"
check "fio recovers (measured $after, over 3x the limit)" test "${after:-0}" -gt $((LIMIT * 3))

# A cgroup without a line: none again after the revert.
scenario /tmp/plain.yaml 1s "{cgroup: /plain}"
"$FAULTLINE_BIN" run /tmp/plain.yaml >/tmp/plain.out 2>&1 || cat /tmp/plain.out
check "a cgroup that had no io.max line has none after the revert" test -z "$(cat "$CG/plain/io.max")"

# (c) move_pid: v2 puts the throwaway cgroup beside the target, under a parent
#     that has io enabled for its children.
mkdir "$CG/svc"
echo +io >"$CG/svc/cgroup.subtree_control"
mkdir "$CG/svc/app"
sleep 600 &
mover=$!
sleep 600 &
bystander=$!
echo "$mover" >"$CG/svc/app/cgroup.procs"
echo "$bystander" >"$CG/svc/app/cgroup.procs"
scenario /tmp/m.yaml 3s "{cgroup: /svc/app}" "    move_pid: $mover"
"$FAULTLINE_BIN" run /tmp/m.yaml >/tmp/move.out 2>&1 &
runner=$!
moved() { grep -q "^0::/svc/faultline-throttle-[0-9a-f]*\$" "/proc/$mover/cgroup"; }
check "move_pid: the process is in a sibling faultline-throttle-* cgroup" wait_for 10 moved
child=$(sed -n 's|^0::/svc/\(faultline-throttle-[0-9a-f]*\)$|\1|p' "/proc/$mover/cgroup")
check "move_pid: that cgroup has the limit" limit_set "$CG/svc/$child"
check "move_pid: the other process stays" grep -q "^0::/svc/app\$" "/proc/$bystander/cgroup"
rc=0
wait "$runner" || rc=$?
check "move_pid: the run exits 0 (got $rc)" test "$rc" = 0
check "move_pid: the process is back" grep -q "^0::/svc/app\$" "/proc/$mover/cgroup"
check "move_pid: the throwaway cgroup is removed" test ! -e "$CG/svc/$child"
kill "$mover" "$bystander" 2>/dev/null || true

# A cgroup whose parent does not give it io has no io.max: refused, saying why.
mkdir "$CG/svc/app/sub"
scenario /tmp/noio.yaml 1s "{cgroup: /svc/app/sub}"
rc=0
"$FAULTLINE_BIN" plan /tmp/noio.yaml >/tmp/noio.out 2>&1 || rc=$?
check "a cgroup without io.max is refused (exit $rc)" test "$rc" = 4
check "the refusal points at subtree_control" grep -q "is io enabled in its parent's cgroup.subtree_control" /tmp/noio.out
[ "$rc" = 4 ] || cat /tmp/noio.out
rmdir "$CG/svc/app/sub"

# (d) crashes
scenario /tmp/long.yaml 60s "{cgroup: /app}"
"$FAULTLINE_BIN" run /tmp/long.yaml >/tmp/crash1.out 2>&1 &
runner=$!
wait_for 10 limit_set "$CG/app"
kill -9 "$runner"
check "kill -9 of the controller: io.max as before within 3 s" wait_for 3 restored
"$FAULTLINE_BIN" run /tmp/long.yaml >/tmp/crash2.out 2>&1 &
runner=$!
wait_for 10 limit_set "$CG/app"
injector=$(cat /proc/"$runner"/task/*/children | tr ' ' '\n' | grep -v '^$' | head -n1)
kill -9 "$injector"
wait "$runner" || true
check "kill -9 of the injector: the limit stays" limit_set "$CG/app"
"$FAULTLINE_BIN" recover >/tmp/recover.out 2>&1 || cat /tmp/recover.out
check "faultline recover restores io.max exactly" restored

umount /mnt/disk
finish
