#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# disk.pressure refuses what it cannot do, says why, and leaves nothing behind:
# - a filesystem without O_DIRECT (ramfs, mounted by the test): the error offers
#   `direct: false`, which then works (with the ftruncate fallback of a
#   filesystem without fallocate);
# - io_uring refused by a seccomp profile (EPERM, ENOSYS): the error names it;
# - queue depth 0 or above 4096, a rate of 0, a relative path: positioned
#   errors from `faultline validate`, and errors from the injector itself when a
#   client sends them past the controller;
# - writes to a file it did not create: refused; reads of it allowed, and the
#   file is unchanged;
# - a worker that cannot start (RLIMIT_MEMLOCK): the apply fails with the
#   cause and the files are removed;
# - `faultline plan` names the files it would create and creates none.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pressure_lib.sh"
require_root
not_grep() { ! grep -q "$@"; }

work="$TEST_TMP/pressure"
ramfs="$TEST_TMP/ramfs"
mkdir -p "$work" "$ramfs"
NO_IO_URING="$FAULTLINE_BUILD_DIR/tests/no_io_uring"
teardown() {
	mountpoint -q "$ramfs" && umount "$ramfs"
	cleanup
}
trap 'set +e; teardown' EXIT

# 1. No O_DIRECT.
if mount -t ramfs faultline-test "$ramfs" 2>/dev/null; then
	scenario="$TEST_TMP/ramfs.yaml"
	write_pressure_scenario "$scenario" "$ramfs" 2s "size: 1MiB"
	rc=0
	"$FAULTLINE_BIN" run "$scenario" >"$TEST_TMP/ramfs.out" 2>&1 || rc=$?
	check "ramfs: the run exits 4 (got $rc)" test "$rc" = 4
	check "ramfs: the error says O_DIRECT is unsupported and offers direct: false" \
		grep -q "does not support O_DIRECT.*set direct: false" "$TEST_TMP/ramfs.out"
	check "ramfs: nothing is left in it" test -z "$(ls -A "$ramfs")"
	write_pressure_scenario "$scenario" "$ramfs" 2s "size: 1MiB" "direct: false"
	rc=0
	"$FAULTLINE_BIN" run "$scenario" >"$TEST_TMP/ramfs2.out" 2>&1 || rc=$?
	check "ramfs: with direct: false the run exits 0 (got $rc)" test "$rc" = 0
	check "ramfs: and the pressure ran" grep -q "hog: pressure running" "$TEST_TMP/ramfs2.out"
	check "ramfs: nothing is left in it afterwards" test -z "$(ls -A "$ramfs")"
else
	echo "# ramfs cannot be mounted here: the O_DIRECT case is not checked"
fi

# 2. io_uring refused by seccomp, as in a container.
scenario="$TEST_TMP/hog.yaml"
write_pressure_scenario "$scenario" "$work" 2s "size: 1MiB"
for errno in EPERM ENOSYS; do
	rc=0
	"$NO_IO_URING" "$errno" "$FAULTLINE_BIN" run "$scenario" >"$TEST_TMP/nouring.out" 2>&1 || rc=$?
	check "seccomp $errno: the run exits 4 (got $rc)" test "$rc" = 4
	check "seccomp $errno: the error names the cause" \
		grep -q "could not be applied: io_uring.*$errno.*seccomp" "$TEST_TMP/nouring.out"
	check "seccomp $errno: no file is created" test "$(pressure_files "$work")" = 0
done

# 3. A worker that cannot start (its buffers exceed RLIMIT_MEMLOCK, which the
#    injector inherits here): the apply fails with the cause, the files it had
#    created are removed, nothing is journaled as outstanding.
if command -v prlimit >/dev/null; then
	rc=0
	prlimit --memlock=65536:65536 "$FAULTLINE_BIN" run "$scenario" >"$TEST_TMP/memlock.out" 2>&1 || rc=$?
	check "memlock: the run exits 4 (got $rc)" test "$rc" = 4
	check "memlock: the error names RLIMIT_MEMLOCK" \
		grep -q "could not be applied: cannot start the fault, so it was reverted: cannot register .* RLIMIT_MEMLOCK" "$TEST_TMP/memlock.out"
	check "memlock: the files it created are removed" test "$(pressure_files "$work")" = 0
	check "memlock: nothing is outstanding in the journal" journal_empty
	check "memlock: it was never announced as applied" not_grep -E "applied hog|fault f[0-9]+-[0-9]+ applied" "$TEST_TMP/memlock.out"
fi

# 4. The dry run names the files it would create, and creates none.
write_pressure_scenario "$scenario" "$work" 2s "size: 1MiB" "workers: 2" "mode: write"
rc=0
"$FAULTLINE_BIN" plan "$scenario" >"$TEST_TMP/plan.out" 2>&1 || rc=$?
check "plan: exits 0 (got $rc)" test "$rc" = 0
check "plan: names both files" \
	test "$(grep -c "create $work/.faultline-pressure-[0-9a-f]*-[01] (1048576 bytes" "$TEST_TMP/plan.out")" = 2
check "plan: counts them in the blast radius" grep -q "2 file(s) created" "$TEST_TMP/plan.out"
check "plan: creates nothing" test -z "$(ls -A "$work")"

# 5. Bad values, in the scenario...
bad() {
	local what=$1 line=$2 pos=$3 message=$4
	shift 4
	write_pressure_scenario "$scenario" "$work" 2s "$@"
	local out rc=0
	out=$("$FAULTLINE_BIN" validate "$scenario" 2>&1) || rc=$?
	check "validate $what: exits 2 (got $rc)" test "$rc" = 2
	check "validate $what: says $scenario:$line:$pos: $message" \
		grep -qF "$scenario:$line:$pos: $message" <<<"$out"
}
bad "queue_depth 0" 9 18 "queue_depth: expected an integer from 1 to 4096, found 0" "queue_depth: 0"
bad "queue_depth 5000" 9 18 "queue_depth: expected an integer from 1 to 4096, found 5000" \
	"queue_depth: 5000"
bad "rate 0/s" 9 11 'rate: rate "0/s" must be greater than zero' "rate: 0/s"
bad "rate 0B/s" 9 11 "rate: " "rate: 0B/s"
bad "rate iops 0" 9 18 "rate.iops: expected an integer from 1 to 10000000, found 0" "rate: {iops: 0}"

# ... and past the controller: the injector checks every field again.
sock="$TEST_TMP/faultlined.sock"
"$FAULTLINED_BIN" --socket "$sock" --state-dir "$STATE_DIR" 2>"$TEST_TMP/daemon.log" &
daemon=$!
track_pid "$daemon"
$FLCLIENT wait-socket "$sock"
head -c 1M /dev/urandom >"$work/theirs"
sum_before=$(sha256sum <"$work/theirs")
PYTHONPATH="$FAULTLINE_SOURCE_DIR/tests/integration" $PYTHON - "$sock" "$work" >"$TEST_TMP/proto.out" 2>&1 <<'PY'
import sys
import flclient

sock, work = sys.argv[1], sys.argv[2]
c = flclient.Client(sock)
c.hello()
cases = [
    ("queue_depth 0", {"path": work, "queue_depth": 0}, 'expected "queue_depth" from 1 to 4096, found 0'),
    ("queue_depth 5000", {"path": work, "queue_depth": 5000}, 'expected "queue_depth" from 1 to 4096, found 5000'),
    ("rate_iops 0", {"path": work, "rate_iops": 0}, 'expected "rate_iops" from 1 to 10000000, found 0'),
    ("rate_bytes_per_sec 0", {"path": work, "rate_bytes_per_sec": 0}, 'expected "rate_bytes_per_sec" from 1'),
    ("relative path", {"path": "tmp"}, 'expected "path" to be an absolute path'),
    ("unknown key", {"path": work, "iodepth": 4}, "iodepth"),
    ("both rates", {"path": work, "rate_iops": 10, "rate_bytes_per_sec": 40960}, "not both"),
    ("write to their file", {"path": work + "/theirs", "mode": "write"}, "only reads"),
    ("randrw on their file", {"path": work + "/theirs", "mode": "randrw"}, "only reads"),
    ("a missing path", {"path": work + "/nope"}, "cannot resolve path"),
]
for what, params, expect in cases:
    r = c.call("apply", fault={"name": "hog", "kind": "disk.pressure", "duration_ms": 2000, "params": params})
    msg = r.get("error", {}).get("message", "")
    ok = not r["ok"] and expect in msg
    print("%s - injector refuses %s: %s" % ("ok" if ok else "not ok", what, msg or r))
PY
while read -r line; do
	case "$line" in
	"ok - "*) pass "${line#ok - }" ;;
	*) fail "${line#not ok - }" ;;
	esac
done <"$TEST_TMP/proto.out"
check "the injector answered every case" test "$(wc -l <"$TEST_TMP/proto.out")" = 10

# Reading their file is allowed: two workers, sequential, for 2 s. It is read
# (the progress counts reads and no write), and it is unchanged afterwards.
write_pressure_scenario "$scenario" "$work/theirs" 2s "pattern: sequential" "workers: 2" \
	"block_size: 64KiB"
rc=0
"$FAULTLINE_BIN" run --injector "unix:$sock" "$scenario" >"$TEST_TMP/theirs.out" 2>&1 || rc=$?
check "reading their file: the run exits 0 (got $rc)" test "$rc" = 0
check "reading their file: the pressure ran" grep -qE "hog: pressure running: [1-9][0-9]* IOPS" "$TEST_TMP/theirs.out"
check "their file is unchanged" test "$(sha256sum <"$work/theirs")" = "$sum_before"
check "no file of ours was created" test "$(pressure_files "$work")" = 0
check "the journal holds nothing" journal_empty
kill -TERM "$daemon"
wait_gone "$daemon" 5 || true

finish
