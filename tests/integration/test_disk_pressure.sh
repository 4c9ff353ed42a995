#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# disk.pressure on this host's disk, checked against the kernel's own counters
# and against an independent fio job:
# 1. rate 2000/s for 10 s: the read completions the kernel counts grow by 2000
#    per second, within 2%; randrw splits them into reads and writes.
# 2. unlimited pressure slows an fio victim job on the same disk (its IOPS,
#    from fio's JSON, drop below 60% of its quiet runs before and after).
# 3. while it runs, the injector has one thread per worker and our files exist;
#    after the revert, the threads are gone, the files are removed, the journal
#    is empty.
#
# How 1 is measured, and why it is exact: the host's disk is shared with other
# jobs (builds, other tests, fio runs of their own) that come in bursts of
# hundreds of I/Os per second, more than 2% of 2000. So the fault runs on an ext4
# filesystem of the test's own, on a loop device (direct I/O) backed by a file on
# the host's disk. Nothing else uses that loop device, so the read completions
# the kernel counts in /sys/block/loopN/stat are the fault's alone. Our load is
# O_DIRECT random 4 KiB reads of our own file after it was written once: each
# I/O is exactly one read the block layer completes (random offsets over 64 MiB
# do not merge; the filesystem is mounted noatime). The loop device passes each
# read on to the host's disk as one O_DIRECT read, which the test checks too:
# the host disk's read count grows by at least as much (background only adds),
# and its rate, less the background measured just before and after, is printed.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pressure_lib.sh"
require_root
command -v fio >/dev/null || { echo "SKIP: fio is not installed (scripts/install-deps.sh)"; exit 77; }
for tool in losetup mkfs.ext4 mount umount; do
	command -v "$tool" >/dev/null || { echo "SKIP: $tool is missing"; exit 77; }
done

work="$TEST_TMP/pressure"
mnt="$TEST_TMP/mnt"
mkdir -p "$work" "$mnt"
host_disk=$(disk_of "$TEST_TMP")
if [ -z "$host_disk" ]; then
	echo "SKIP: $TEST_TMP is not on a block device, so its completions cannot be counted"
	exit 77
fi
loopdev=""
teardown() {
	mountpoint -q "$mnt" && umount "$mnt"
	[ -n "$loopdev" ] && losetup -d "$loopdev"
	cleanup
}
trap 'set +e; teardown' EXIT
truncate -s 1G "$TEST_TMP/disk.img"
mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$TEST_TMP/disk.img"
loopdev=$(losetup -f --show --direct-io=on "$TEST_TMP/disk.img") ||
	{ echo "SKIP: no free loop device"; exit 77; }
mount -o noatime "$loopdev" "$mnt"
loop=$(basename "$loopdev")
echo "# the rate test runs on /dev/$loop (backed by a file on /dev/$host_disk)"

# 1. Rate accuracy.
scenario="$TEST_TMP/rate.yaml"
write_pressure_scenario "$scenario" "$mnt" 16s "mode: read" "pattern: random" "size: 64MiB" \
	"queue_depth: 32" "rate: 2000/s"
bg_before=$(reads_per_second "$host_disk" 5)
"$FAULTLINE_BIN" run "$scenario" >"$TEST_TMP/rate.out" 2>&1 &
runner=$!
track_pid "$runner"
check "the pressure starts" wait_for_line "$TEST_TMP/rate.out" "hog: pressure running" 10
sleep 1
# Both counters in one read, so that no scheduling delay falls between them.
read -r a h0 < <(awk '{ printf "%s ", $1 } END { print "" }' "/sys/block/$loop/stat" "/sys/block/$host_disk/stat")
t0=$(now_ns)
sleep 10
read -r b h1 < <(awk '{ printf "%s ", $1 } END { print "" }' "/sys/block/$loop/stat" "/sys/block/$host_disk/stat")
t1=$(now_ns)
rc=0
wait "$runner" || rc=$?
check "the run exits 0 (got $rc)" test "$rc" = 0
bg_after=$(reads_per_second "$host_disk" 5)
measured=$(awk -v d=$((b - a)) -v t=$((t1 - t0)) 'BEGIN { printf "%.1f", d * 1e9 / t }')
host=$(awk -v d=$((h1 - h0)) -v t=$((t1 - t0)) -v b1="$bg_before" -v b2="$bg_after" \
	'BEGIN { printf "%.1f", d * 1e9 / t - (b1 + b2) / 2 }')
echo "# reads/s: $measured on $loop; on $host_disk $host above its background ($bg_before before, $bg_after after)"
check "the kernel counted 2000 reads/s from the fault, within 2% (measured $measured)" \
	awk -v m="$measured" 'BEGIN { exit !(m >= 1960 && m <= 2040) }'
# A loop read completes after the host disk's read behind it: at most the 32 in
# flight at the first sample may have been counted on the host disk before it.
check "each of them reached $host_disk ($((h1 - h0)) reads there, $((b - a)) on $loop)" \
	test "$((h1 - h0))" -ge "$((b - a - 32))"
check "the rate fault's file is removed" test "$(pressure_files "$mnt")" = 0
check "the journal holds nothing afterwards" journal_empty

# randrw: half reads, half writes, each one completion on the loop device; the
# writes are overwrites of the laid-out file, so they add no metadata beyond the
# odd journal commit (hence the looser bound than the reads' 2%).
writes_completed() { awk '{print $5}' "/sys/block/$1/stat"; }
write_pressure_scenario "$scenario" "$mnt" 8s "mode: randrw" "size: 64MiB" "rate: 2000/s"
"$FAULTLINE_BIN" run "$scenario" >"$TEST_TMP/randrw.out" 2>&1 &
runner=$!
track_pid "$runner"
check "randrw: the pressure starts" wait_for_line "$TEST_TMP/randrw.out" "hog: pressure running" 10
sleep 1
r0=$(reads_completed "$loop")
w0=$(writes_completed "$loop")
t0=$(now_ns)
sleep 4
r1=$(reads_completed "$loop")
w1=$(writes_completed "$loop")
t1=$(now_ns)
rc=0
wait "$runner" || rc=$?
check "randrw: the run exits 0 (got $rc)" test "$rc" = 0
rps=$(awk -v d=$((r1 - r0)) -v t=$((t1 - t0)) 'BEGIN { printf "%.1f", d * 1e9 / t }')
wps=$(awk -v d=$((w1 - w0)) -v t=$((t1 - t0)) 'BEGIN { printf "%.1f", d * 1e9 / t }')
echo "# randrw at 2000/s on $loop: $rps reads/s, $wps writes/s"
check "randrw: about half reads ($rps/s)" awk -v v="$rps" 'BEGIN { exit !(v >= 900 && v <= 1100) }'
check "randrw: about half writes ($wps/s)" awk -v v="$wps" 'BEGIN { exit !(v >= 900 && v <= 1100) }'
check "randrw: in all 2000 I/Os per second within 2%" \
	awk -v r="$rps" -v w="$wps" 'BEGIN { exit !(r + w >= 1960 && r + w <= 2040) }'
check "randrw: the file is removed" test "$(pressure_files "$mnt")" = 0

# 2 and 3. Unlimited pressure against an fio victim, served by a daemon so that
# its threads can be counted before and after.
# The victim reads one block at a time, so every bit of queueing at the device
# shows in its IOPS. Its quiet rate is taken before and after the pressure (the
# lower of the two counts), so that a change in the host's own load during the
# test cannot pass for our effect.
victim() {
	fio --name=victim --filename="$work/victim" --size=64M --rw=randread --bs=4k \
		--iodepth=1 --ioengine=io_uring --direct=1 --runtime=4 --time_based \
		--output-format=json 2>/dev/null |
		$PYTHON -c 'import json, sys; print("%.0f" % json.load(sys.stdin)["jobs"][0]["read"]["iops"])'
}
victim >/dev/null # lays its file out
quiet=$(victim)
sock="$TEST_TMP/faultlined.sock"
"$FAULTLINED_BIN" --socket "$sock" --state-dir "$STATE_DIR" 2>"$TEST_TMP/daemon.log" &
daemon=$!
track_pid "$daemon"
$FLCLIENT wait-socket "$sock"
check "the idle daemon has one thread" test "$(thread_count "$daemon")" = 1
write_pressure_scenario "$scenario" "$work" 12s "mode: read" "size: 128MiB" "queue_depth: 128" \
	"workers: 2"
"$FAULTLINE_BIN" run --injector "unix:$sock" "$scenario" >"$TEST_TMP/hog.out" 2>&1 &
runner=$!
track_pid "$runner"
check "the unlimited pressure starts" wait_for_line "$TEST_TMP/hog.out" "hog: pressure running" 10
check "one thread per worker while it runs" test "$(thread_count "$daemon")" = 3
check "its two files exist while it runs" test "$(pressure_files "$work")" = 2
files_mode=$(stat -c %a "$work"/.faultline-pressure-* | sort -u)
check "its files are private (mode $files_mode)" test "$files_mode" = 600
loaded=$(victim)
rc=0
wait "$runner" || rc=$?
quiet_after=$(victim)
[ "$quiet_after" -lt "$quiet" ] && quiet_min=$quiet_after || quiet_min=$quiet
echo "# fio victim (randread 4k, qd 1): $quiet IOPS quiet, $loaded under pressure, $quiet_after quiet again"
check "the victim's IOPS drop below 60% of its quiet runs under pressure ($quiet_min -> $loaded)" \
	awk -v q="$quiet_min" -v l="$loaded" 'BEGIN { exit !(q > 0 && l < 0.6 * q) }'
check "the run exits 0 (got $rc)" test "$rc" = 0
check "after the revert the daemon is back to one thread" test "$(thread_count "$daemon")" = 1
check "after the revert the files are removed" test "$(pressure_files "$work")" = 0
check "the progress lines report the IOPS achieved" grep -qE "hog: pressure running: [0-9]+ IOPS" "$TEST_TMP/hog.out"
check "the journal holds nothing afterwards" journal_empty
kill -TERM "$daemon"
wait_gone "$daemon" 5 || true

finish
