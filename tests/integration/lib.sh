# SPDX-License-Identifier: Apache-2.0
# Shared helpers for the integration tests. Source it; it sets -euo pipefail.
#
# Every test gets its own state directory and cleans up whatever it started, even
# on failure: the EXIT trap kills the processes registered with track_pid and
# removes the temp dir. Checks read system state (/proc/PID/stat, the journal
# directory), never only exit codes.
set -euo pipefail

: "${FAULTLINE_BIN:?set by ctest}"
: "${FAULTLINED_BIN:?set by ctest}"
: "${FAULTLINE_SOURCE_DIR:?set by ctest}"

TESTS_PASSED=0
TESTS_FAILED=0
TRACKED_PIDS=()
TEST_TMP=$(mktemp -d /tmp/faultline-test.XXXXXX)
chmod 700 "$TEST_TMP"
STATE_DIR="$TEST_TMP/state"
export FAULTLINE_STATE_DIR="$STATE_DIR"
# Never talk to a daemon of the host by accident.
export FAULTLINE_SOCKET="$TEST_TMP/no-daemon.sock"
export FAULTLINED="$FAULTLINED_BIN"
# The controller drops root to SUDO_UID, else nobody: make that deterministic.
unset SUDO_UID SUDO_GID SUDO_USER
# Debian's python3 (installed by scripts/install-deps.sh), not a per-user one that
# an unprivileged test user could not read.
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=python3
FLCLIENT="$PYTHON $FAULTLINE_SOURCE_DIR/tests/integration/flclient.py"

cleanup() {
	local pid
	for pid in "${TRACKED_PIDS[@]}"; do
		kill -CONT "$pid" 2>/dev/null || true
		kill -KILL "$pid" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	rm -rf "$TEST_TMP"
}
trap 'set +e; cleanup' EXIT

require_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: this test needs root (it signals processes through the injector)"
		exit 77
	fi
}

track_pid() { TRACKED_PIDS+=("$1"); }

pass() {
	TESTS_PASSED=$((TESTS_PASSED + 1))
	echo "ok - $*"
}

fail() {
	TESTS_FAILED=$((TESTS_FAILED + 1))
	echo "not ok - $*"
}

# check DESCRIPTION COMMAND...: passes when COMMAND succeeds.
check() {
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}

finish() {
	# Sanitizer reports from daemons and controllers whose output went to files.
	local reports
	reports=$(grep -lE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$TEST_TMP"/* 2>/dev/null || true)
	if [ -n "$reports" ]; then
		fail "sanitizer reports in: $reports"
		grep -hE -A20 "ERROR: (Address|Leak)Sanitizer|runtime error:" $reports | head -60
	else
		pass "no sanitizer reports in the logs"
	fi
	echo "$TESTS_PASSED passed, $TESTS_FAILED failed"
	[ "$TESTS_FAILED" -eq 0 ]
}

# The state letter of a process from /proc/PID/stat (field 3), or "gone".
proc_state() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo gone; return; }
	stat=${stat##*) }
	echo "${stat%% *}"
}

# wait_state PID WANT TIMEOUT_S: waits until the state is (or with !X, is not) WANT.
wait_state() {
	local pid=$1 want=$2 timeout=$3 i s
	for ((i = 0; i < timeout * 20; i++)); do
		s=$(proc_state "$pid")
		if [ "${want:0:1}" = "!" ]; then
			[ "$s" != "${want:1}" ] && return 0
		else
			[ "$s" = "$want" ] && return 0
		fi
		sleep 0.05
	done
	echo "  pid $pid is in state $s, expected $want after ${timeout}s" >&2
	return 1
}

# wait_gone PID TIMEOUT_S: waits for a process to exit.
wait_gone() {
	local pid=$1 timeout=$2 i
	for ((i = 0; i < timeout * 20; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.05
	done
	return 1
}

# start_target: starts a sleeping process to act on; sets TARGET to its pid. (Not
# a command substitution: the subshell would not track the pid.)
start_target() {
	sleep 600 </dev/null >/dev/null 2>&1 &
	TARGET=$!
	track_pid "$TARGET"
}

# write_pause_scenario FILE PID DURATION [BASELINE]
write_pause_scenario() {
	cat >"$1" <<YAML
version: 1
name: test-pause
faults:
  - name: pause-target
    type: process.pause
    at: 0s
    duration: $3
    target: {pid: $2}
YAML
	if [ -n "${4:-}" ]; then
		printf 'phases: {baseline: %s}\n' "$4" >>"$1"
	fi
}

# The journal directory holds no journal with a record in it.
journal_empty() {
	local f
	[ -d "$STATE_DIR" ] || return 0
	for f in "$STATE_DIR"/journal.*.jsonl; do
		[ -e "$f" ] || continue
		[ -s "$f" ] && { echo "  journal $f is not empty:" >&2; cat "$f" >&2; return 1; }
	done
	return 0
}

# The children of a process, one pid per line.
children_of() { cat /proc/"$1"/task/*/children 2>/dev/null | tr ' ' '\n' | grep -v '^$' || true; }
