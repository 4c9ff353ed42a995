#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# disk.fill on a throwaway 256 MiB tmpfs (the host's disks are never filled):
# - free: the available space (statvfs, as df shows it) reaches the target within
#   1%; after the revert it is back exactly and the file is gone;
# - size: the file has the size, and the available space drops by it;
# - method write: zeros written step by step reach the target too;
# - the safety floor refuses a fill below min(1 GiB, 5%) unless
#   allow_below_floor is set; a target larger than the filesystem is refused;
#   a path through a symlink is refused;
# - kill -9 of the controller removes the file; kill -9 of the injector leaves
#   it, and `faultline recover` removes it.
source "$(dirname "$0")/lib.sh"
require_root

FS="$TEST_TMP/fs"
mkdir "$FS"
mount -t tmpfs -o size=256M,mode=0755 tmpfs "$FS"
trap 'set +e; mountpoint -q "$FS" && umount "$FS"; cleanup' EXIT
SIZE=$((256 * 1024 * 1024))
MiB=$((1024 * 1024))

avail() { local a s; read -r a s < <(stat -f -c '%a %S' "$FS"); echo $((a * s)); }
fill_files() { find "$FS" -maxdepth 1 -name '.faultline-fill-*' | wc -l; }
within1() { # MEASURED WANTED
	awk -v m="$1" -v w="$2" 'BEGIN { d = m - w; if (d < 0) d = -d; exit !(d <= w * 0.01) }'
}
wait_for() { # TIMEOUT_S COMMAND...
	local t=$1 i
	shift
	for ((i = 0; i < t * 20; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}
has_fill() { [ "$(fill_files)" = 1 ]; }
no_fill() { [ "$(fill_files)" = 0 ]; }
avail_is() { [ "$(avail)" = "$1" ]; }
avail_near() { within1 "$(avail)" "$1"; }

write_scenario() { # FILE DURATION KEYS...
	local f=$1 d=$2
	shift 2
	{
		printf 'version: 1\nname: fill\nfaults:\n  - name: fill-it\n    type: disk.fill\n'
		printf '    at: 0s\n    duration: %s\n    path: %s\n' "$d" "$FS"
		printf '    %s\n' "$@"
	} >"$f"
}

before=$(avail)
check "the tmpfs starts empty ($before bytes available)" test "$before" = "$SIZE"

# 1. free: 64MiB
write_scenario "$TEST_TMP/free.yaml" 3s "free: 64MiB"
"$FAULTLINE_BIN" validate "$TEST_TMP/free.yaml" >/dev/null
"$FAULTLINE_BIN" run "$TEST_TMP/free.yaml" >"$TEST_TMP/free.out" 2>&1 &
runner=$!
track_pid "$runner"
check "free: the fill file appears" wait_for 5 has_fill
name=$(basename "$(find "$FS" -maxdepth 1 -name '.faultline-fill-*')")
check "free: it has the reserved name ($name)" grep -qE '^\.faultline-fill-[0-9a-f]{16}$' <<<"$name"
# The file appears before fallocate() returns: wait for the allocation.
check "free: available space is 64 MiB within 1%" wait_for 5 avail_near $((64 * MiB))
echo "# free: $(avail) bytes available, target $((64 * MiB))"
rc=0
wait "$runner" || rc=$?
check "free: the run exits 0 (got $rc)" test "$rc" = 0
check "free: the file is gone after the revert" no_fill
check "free: the available space is back exactly" avail_is "$before"

# 2. size: 100MiB
write_scenario "$TEST_TMP/size.yaml" 3s "size: 100MiB"
"$FAULTLINE_BIN" run "$TEST_TMP/size.yaml" >"$TEST_TMP/size.out" 2>&1 &
runner=$!
track_pid "$runner"
wait_for 5 has_fill
file=$(find "$FS" -maxdepth 1 -name '.faultline-fill-*')
size_is() { [ "$(stat -c %s "$file")" = "$1" ]; }
check "size: the file is 100 MiB" wait_for 5 size_is $((100 * MiB))
now=$(avail)
check "size: the available space dropped by 100 MiB within 1% ($now)" within1 $((before - now)) $((100 * MiB))
wait "$runner" || true
check "size: the file is gone and the space back" avail_is "$before"

# 3. method: write, in steps of 32 MiB per tick
write_scenario "$TEST_TMP/write.yaml" 6s "free: 32MiB" "method: write"
"$FAULTLINE_BIN" run "$TEST_TMP/write.yaml" >"$TEST_TMP/write.out" 2>&1 &
runner=$!
track_pid "$runner"
check "write: the available space reaches 32 MiB within 1%" wait_for 5 avail_near $((32 * MiB))
echo "# write: $(avail) bytes available, target $((32 * MiB))"
rc=0
wait "$runner" || rc=$?
check "write: the run exits 0 (got $rc)" test "$rc" = 0
check "write: the run reports when the fill was reached" grep -q "fill-it: the fill file reached $((224 * MiB)) bytes" "$TEST_TMP/write.out"
check "write: the file is gone and the space back" avail_is "$before"

# 4. The floor: min(1 GiB, 5% of 256 MiB) = 12.8 MiB.
plan_fails() { # WHAT FILE MESSAGE
	local rc=0
	"$FAULTLINE_BIN" plan "$2" >"$TEST_TMP/plan.out" 2>&1 || rc=$?
	check "$1: refused by the injector (exit $rc)" test "$rc" = 4
	check "$1: with the fault's position" grep -qF "$2:4:5: " "$TEST_TMP/plan.out"
	check "$1: the error says: $3" grep -qF "$3" "$TEST_TMP/plan.out"
	if ! grep -qF "$3" "$TEST_TMP/plan.out"; then cat "$TEST_TMP/plan.out"; fi
}
write_scenario "$TEST_TMP/floor.yaml" 2s "free: 1MiB"
plan_fails "below the floor" "$TEST_TMP/floor.yaml" "below the safety floor of 13421772"
write_scenario "$TEST_TMP/below.yaml" 2s "free: 1MiB" "allow_below_floor: true"
"$FAULTLINE_BIN" run "$TEST_TMP/below.yaml" >"$TEST_TMP/below.out" 2>&1 &
runner=$!
track_pid "$runner"
check "allow_below_floor: the fill goes to 1 MiB within 1%" wait_for 5 avail_near "$MiB"
rc=0
wait "$runner" || rc=$?
check "allow_below_floor: the run exits 0 (got $rc)" test "$rc" = 0
check "allow_below_floor: the space is back" avail_is "$before"

# 5. Larger than the filesystem; a symlink in the path.
write_scenario "$TEST_TMP/big.yaml" 2s "size: 1GiB"
plan_fails "size above the filesystem" "$TEST_TMP/big.yaml" "is larger than the filesystem"
write_scenario "$TEST_TMP/bigfree.yaml" 2s "free: 300MiB"
plan_fails "free above the filesystem" "$TEST_TMP/bigfree.yaml" "is larger than the filesystem"
ln -s "$FS" "$TEST_TMP/link"
sed "s|path: $FS|path: $TEST_TMP/link|" "$TEST_TMP/free.yaml" >"$TEST_TMP/link.yaml"
plan_fails "a symlink in the path" "$TEST_TMP/link.yaml" "goes through a symlink"
check "nothing was filled by the refusals" avail_is "$before"

# 6. kill -9 of the controller: the injector removes the file.
write_scenario "$TEST_TMP/long.yaml" 60s "free: 64MiB"
"$FAULTLINE_BIN" run "$TEST_TMP/long.yaml" >"$TEST_TMP/crash1.out" 2>&1 &
runner=$!
track_pid "$runner"
wait_for 5 has_fill
kill -9 "$runner"
check "kill -9 of the controller: the file is removed within 3 s" wait_for 3 no_fill
check "kill -9 of the controller: the space is back within 3 s" wait_for 3 avail_is "$before"

# 7. kill -9 of the injector: the file stays; recovery removes it.
"$FAULTLINE_BIN" run "$TEST_TMP/long.yaml" >"$TEST_TMP/crash2.out" 2>&1 &
runner=$!
track_pid "$runner"
wait_for 5 has_fill
injector=$(children_of "$runner" | head -n1)
kill -9 "$injector"
wait "$runner" || true
check "kill -9 of the injector: the file stays (nobody left to remove it)" has_fill
"$FAULTLINE_BIN" recover >"$TEST_TMP/recover.out" 2>&1
check "faultline recover removes the file" no_fill
check "faultline recover gives the space back" avail_is "$before"
check "recovery leaves no journal" journal_empty
finish
