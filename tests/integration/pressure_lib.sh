# SPDX-License-Identifier: Apache-2.0
# Helpers of the disk.pressure tests; source after lib.sh.

# disk_of DIR: the whole disk under DIR's filesystem, as named in /sys/block
# (a partition resolves to its disk); empty when it is not on a block device.
disk_of() {
	local sys
	sys=$(readlink -f "/sys/dev/block/$(stat -c '%Hd:%Ld' "$1")" 2>/dev/null) || return 0
	[ -e "$sys/stat" ] || return 0
	[ -e "$sys/partition" ] && sys=$(dirname "$sys")
	basename "$sys"
}

# reads_completed DISK: the kernel's count of completed reads (field 1 of
# /sys/block/DISK/stat), not ours.
reads_completed() { awk '{print $1}' "/sys/block/$1/stat"; }

now_ns() { date +%s%N; }

# pressure_files DIR: how many of our reserved files DIR holds.
pressure_files() { find "$1" -maxdepth 1 -name '.faultline-pressure-*' | wc -l; }

# write_pressure_scenario FILE DIR DURATION [EXTRA YAML LINES...]
write_pressure_scenario() {
	local file=$1 dir=$2 duration=$3
	shift 3
	cat >"$file" <<YAML
version: 1
name: test-pressure
faults:
  - name: hog
    type: disk.pressure
    at: 0s
    duration: $duration
    path: $dir
YAML
	local line
	for line in "$@"; do printf '    %s\n' "$line" >>"$file"; done
}

# wait_for_line FILE PATTERN TIMEOUT_S
wait_for_line() {
	local i
	for ((i = 0; i < $3 * 20; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "  no line matching '$2' in $1 after $3 s:" >&2
	tail -5 "$1" >&2
	return 1
}

# thread_count PID
thread_count() { ls "/proc/$1/task" 2>/dev/null | wc -l; }

# The read-completion rate of DISK over SECONDS, per second.
reads_per_second() {
	local a b t0 t1
	a=$(reads_completed "$1")
	t0=$(now_ns)
	sleep "$2"
	b=$(reads_completed "$1")
	t1=$(now_ns)
	awk -v d=$((b - a)) -v t=$((t1 - t0)) 'BEGIN { printf "%.1f", d * 1e9 / t }'
}
