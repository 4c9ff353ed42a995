#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Benchmark: disk.pressure against fio's io_uring engine, in one run.
#
#   sudo tests/bench/bench_disk_pressure.sh [BUILD_DIR]
#
# BUILD_DIR (or $FAULTLINE_BUILD_DIR; default: build/ of this checkout) holds
# faultlined. Knobs: FLBENCH_DIR (where the test file goes, default /var/tmp),
# FLBENCH_SIZE (its size, default 1GiB), FLBENCH_BS (block size in bytes, 4096),
# FLBENCH_QD (queue depth, 32), FLBENCH_WINDOW (seconds measured per run, 4),
# FLBENCH_ROUNDS (measured rounds, 5), FLBENCH_RATES (rate-limited runs, IOPS,
# space separated, default "2000 20000"), FLBENCH_RATE_ROUNDS (3),
# FLBENCH_RESULTS (also write the raw results as JSON there).
#
# What it does: writes one file once, then reads it at random, O_DIRECT, with the
# same block size and queue depth, one job, by turns: faultlined's disk.pressure
# (an `apply` over the socket of a private daemon, on the file by name, so it is
# read-only and needs no layout), fio --ioengine=io_uring, and fio with
# --fixedbufs --registerfiles (what our engine does). Each run is measured over
# the same middle window: the disk's read completions from /sys/block/DISK/stat
# and the tools' CPU time from /proc. Then rate-limited runs of both, against
# the asked IOPS, on a file in a loop device of its own (so that the completions
# counted are the tool's alone). Every revert must leave the daemon with one
# thread. The
# numbers go to docs/performance.md by hand; this is a benchmark, not a test.
#
# Exit codes: 0 done, 1 a check failed or an error, 77 a prerequisite is missing.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SOURCE_DIR=$(cd "$HERE/../.." && pwd)
BUILD_DIR=${1:-${FAULTLINE_BUILD_DIR:-$SOURCE_DIR/build}}
DIR=${FLBENCH_DIR:-/var/tmp}
SIZE=${FLBENCH_SIZE:-1G}
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=python3

skip() {
	echo "SKIP: $*" >&2
	exit 77
}
[ "$(id -u)" = 0 ] || skip "run as root: faultlined needs it"
[ -x "$BUILD_DIR/faultlined" ] || { echo "FAIL: no $BUILD_DIR/faultlined" >&2; exit 1; }
command -v fio >/dev/null || skip "fio is not installed (scripts/install-deps.sh)"

WORK=$(mktemp -d "$DIR/flbench-pressure.XXXXXX")
PRIV=$(mktemp -d /tmp/flbench-pressure-state.XXXXXX)
daemon=""
loopdev=""
cleanup() {
	[ -n "$daemon" ] && kill -TERM "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
	mountpoint -q "$WORK/mnt" && umount "$WORK/mnt"
	[ -n "$loopdev" ] && losetup -d "$loopdev"
	rm -rf "$WORK" "$PRIV"
}
trap 'set +e; cleanup' EXIT

sys=$(readlink -f "/sys/dev/block/$(stat -c '%Hd:%Ld' "$WORK")" 2>/dev/null) || true
[ -n "$sys" ] && [ -e "$sys/stat" ] || skip "$DIR is not on a block device"
[ -e "$sys/partition" ] && sys=$(dirname "$sys")
disk=$(basename "$sys")

cp "$BUILD_DIR/faultlined" "$PRIV/faultlined"
echo "# laying out $SIZE in $WORK (on /dev/$disk)"
fio --name=layout --filename="$WORK/file" --size="$SIZE" --rw=write --bs=1M --direct=1 \
	--ioengine=io_uring --iodepth=8 >/dev/null
# The rate-limited runs read a file on a loop device (direct I/O, backed by a
# file in WORK) that nothing else uses: its read completions are the tool's
# alone, whatever else the shared disk does.
for tool in losetup mkfs.ext4 mount; do command -v $tool >/dev/null || skip "$tool is missing"; done
truncate -s 512M "$WORK/loop.img"
mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$WORK/loop.img"
loopdev=$(losetup -f --show --direct-io=on "$WORK/loop.img") || skip "no free loop device"
mkdir "$WORK/mnt"
mount -o noatime "$loopdev" "$WORK/mnt"
fio --name=layout --filename="$WORK/mnt/file" --size=256M --rw=write --bs=1M --direct=1 \
	--ioengine=io_uring --iodepth=8 >/dev/null
"$PRIV/faultlined" --socket "$PRIV/s.sock" --state-dir "$PRIV/state" 2>"$PRIV/daemon.log" &
daemon=$!
$PYTHON "$SOURCE_DIR/tests/integration/flclient.py" wait-socket "$PRIV/s.sock"

echo "# $(nproc) CPUs, kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
rates=$(printf '%s' "${FLBENCH_RATES:-2000 20000}" | $PYTHON -c 'import json, sys; print(json.dumps([int(x) for x in sys.stdin.read().split()]))')
cfg=$(
	cat <<JSON
{"socket": "$PRIV/s.sock", "daemon_pid": $daemon, "file": "$WORK/file", "disk": "$disk",
 "rate_file": "$WORK/mnt/file", "rate_disk": "$(basename "$loopdev")",
 "bs": ${FLBENCH_BS:-4096}, "qd": ${FLBENCH_QD:-32}, "warmup": 1.5,
 "window": ${FLBENCH_WINDOW:-4}, "rounds": ${FLBENCH_ROUNDS:-5},
 "rates": $rates, "rate_rounds": ${FLBENCH_RATE_ROUNDS:-3},
 "results": "${FLBENCH_RESULTS:-}"}
JSON
)
$PYTHON "$HERE/bench_disk_pressure.py" "$cfg"
echo "# load afterwards $(cut -d' ' -f1-3 /proc/loadavg)"
