#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Benchmark: select processes by a cmdline regex among thousands and kill them,
# faultline against `pkill -f`, in one run.
#
#   sudo tests/bench/bench_kill_select.sh [BUILD_DIR]
#
# BUILD_DIR (or $FAULTLINE_BUILD_DIR; default: build/ of this checkout) holds
# faultline and faultlined. Knobs: FLBENCH_PROCS (processes spawned, default
# 5000), FLBENCH_VICTIMS (how many of them match, default 100), FLBENCH_ROUNDS
# (measured rounds, default 7), FLBENCH_RESULTS (also write the raw results as
# JSON to this file), FLBENCH_SCENARIO_CHECK=0 (skip the untimed `faultline run`
# of the same kill written as a scenario, which the run starts with).
#
# What it does: spawns FLBENCH_PROCS - FLBENCH_VICTIMS decoys, sleeping processes
# whose argv[0] is flbench-TAG-victim-dN, once; then, in every round, spawns
# FLBENCH_VICTIMS victims named flbench-TAG-victim-N and kills them by the regex
# flbench-TAG-victim-[0-9]+, once with faultlined (an `apply` of process.kill
# over --stdio, timed from request to reply) and once with `pkill -KILL -f`
# (timed from spawn to exit), in alternating order. Both are also timed until the
# last victim is reaped. Every round checks that exactly the victims died and no
# decoy did; anything else fails the benchmark (exit 1). The numbers go to
# docs/performance.md by hand; this is a benchmark, not a test: it asserts
# correctness, never timings.
#
# Everything it spawns lives in a cgroup of its own (pids hierarchy, else the
# named systemd one, else cgroup v2), which is emptied and removed at exit,
# whatever happens. Exit codes: 0 done, 1 a wrong kill or an error, 77 a
# prerequisite is missing (root, cgroup, limits, memory).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SOURCE_DIR=$(cd "$HERE/../.." && pwd)
BUILD_DIR=${1:-${FAULTLINE_BUILD_DIR:-$SOURCE_DIR/build}}
PROCS=${FLBENCH_PROCS:-5000}
VICTIMS=${FLBENCH_VICTIMS:-100}
ROUNDS=${FLBENCH_ROUNDS:-7}
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=python3

skip() {
	echo "SKIP: $*" >&2
	exit 77
}
die() {
	echo "FAIL: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || skip "run as root: it spawns and kills $PROCS processes, and faultlined needs root"
for bin in faultline faultlined; do
	[ -x "$BUILD_DIR/$bin" ] || die "no executable $BUILD_DIR/$bin (build first, or give the build directory)"
done
PKILL=$(command -v pkill) || skip "pkill is not installed (procps)"
SLEEP=$(command -v sleep) || skip "no sleep"
command -v "$PYTHON" >/dev/null || skip "no python3"
case "$PROCS$VICTIMS$ROUNDS" in *[!0-9]*) die "FLBENCH_PROCS, FLBENCH_VICTIMS and FLBENCH_ROUNDS must be numbers" ;; esac
if [ "$VICTIMS" -lt 1 ] || [ "$VICTIMS" -ge "$PROCS" ]; then die "need 0 < FLBENCH_VICTIMS < FLBENCH_PROCS"; fi

# Room for the processes: pids, the per-user process limit, memory.
pid_max=$(cat /proc/sys/kernel/pid_max)
tasks_now=$(awk '{split($4, a, "/"); print a[2]}' /proc/loadavg) # every thread on the host
need=$((PROCS + 200))
[ $((tasks_now + need)) -lt $((pid_max * 9 / 10)) ] ||
	skip "pid_max is $pid_max and $tasks_now tasks exist: no room for $need more"
user_tasks=$(ps -U 0 -L --no-headers 2>/dev/null | wc -l)
want_u=$((user_tasks + need + 500))
if [ "$(ulimit -u)" != unlimited ] && [ "$(ulimit -u)" -lt "$want_u" ]; then
	ulimit -u "$want_u" 2>/dev/null || skip "ulimit -u is $(ulimit -u) and cannot be raised to $want_u"
fi
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 4096 ]; then
	ulimit -n 4096 2>/dev/null || skip "ulimit -n is $(ulimit -n) and cannot be raised to 4096"
fi
# A sleeping process costs about 0.25 MiB here (its own pages, kernel stack, page
# tables); ask for twice that, and 512 MiB for the rest.
avail_kb=$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo)
need_kb=$((PROCS * 512 + 512 * 1024))
[ "$avail_kb" -gt "$need_kb" ] ||
	skip "only $((avail_kb / 1024)) MiB of memory available; $PROCS sleeping processes need $((need_kb / 1024)) MiB"

# A cgroup of our own: everything spawned lands there, so cleanup finds it all.
CG_ROOT=""
for root in /sys/fs/cgroup/pids /sys/fs/cgroup/systemd /sys/fs/cgroup; do
	if [ -w "$root/cgroup.procs" ]; then
		CG_ROOT=$root
		break
	fi
done
[ -n "$CG_ROOT" ] || skip "no writable cgroup hierarchy to hold the benchmark's processes"
TAG="$$r$RANDOM"
CG="$CG_ROOT/flbench-$TAG"
WORK=""
DRIVER=""

# shellcheck disable=SC2317 # invoked by the trap
cleanup() {
	local rc=$? pids
	trap - EXIT INT TERM
	if [ -n "$DRIVER" ] && kill -0 "$DRIVER" 2>/dev/null; then
		kill -TERM "$DRIVER" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$DRIVER" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$DRIVER" 2>/dev/null || true
	fi
	if [ -d "$CG" ]; then
		# Bounded: at most about 10 s of kills, then about 20 s for the last
		# orphans to be reaped (by init, if their parent died first).
		for _ in $(seq 50); do
			pids=$(cat "$CG/cgroup.procs" 2>/dev/null) || break
			[ -n "$pids" ] || break
			# shellcheck disable=SC2086 # one pid per word
			kill -KILL $pids 2>/dev/null || true
			sleep 0.2
		done
		for _ in $(seq 100); do rmdir "$CG" 2>/dev/null && break; sleep 0.2; done
		if [ -d "$CG" ]; then
			echo "WARNING: could not remove $CG; left in it: $(wc -l <"$CG/cgroup.procs") processes" >&2
			[ "$rc" != 0 ] || rc=1
		fi
	fi
	[ -z "$WORK" ] || rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir "$CG"
# A guard against a runaway spawn; it counts threads too.
[ ! -w "$CG/pids.max" ] || echo $((PROCS + 100)) >"$CG/pids.max"

WORK=$(mktemp -d /tmp/flbench.XXXXXX)
chmod 700 "$WORK"
mkdir -m 700 "$WORK/state" "$WORK/bin"
# Private copies: another build of the same tree may replace the binaries while
# this runs. faultline finds the faultlined next to it.
cp "$BUILD_DIR/faultline" "$BUILD_DIR/faultlined" "$WORK/bin/"
# The processes get a comm of their own (the symlink's name), so no selection by
# comm "sleep" elsewhere on the host picks them up.
ln -s "$SLEEP" "$WORK/bin/flbench-$$"
export FAULTLINE_STATE_DIR="$WORK/state"
export FAULTLINE_SOCKET="$WORK/no-daemon.sock" # never a host daemon: run spawns its own
export FAULTLINED="$WORK/bin/faultlined"
RESULTS=${FLBENCH_RESULTS:-$WORK/results.json}

echo "faultline kill-by-cmdline benchmark: $PROCS processes, $VICTIMS victims, $ROUNDS rounds"
echo "build: $BUILD_DIR ($(git -C "$SOURCE_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$SOURCE_DIR" diff --quiet HEAD 2>/dev/null || echo ', uncommitted changes'))"
echo "host: $(nproc) CPUs, kernel $(uname -r), pid_max $pid_max, $(find /proc -maxdepth 1 -name "[0-9]*" | wc -l) processes before spawning"
echo "cgroup: $CG; state: $FAULTLINE_STATE_DIR"

EXTRA=()
[ "${FLBENCH_SCENARIO_CHECK:-1}" != 0 ] || EXTRA+=(--no-scenario-check)
"$PYTHON" "$HERE/bench_kill_select.py" driver \
	--faultlined "$WORK/bin/faultlined" --faultline "$WORK/bin/faultline" --pkill "$PKILL" \
	--sleep-link "$WORK/bin/flbench-$$" --cgroup-procs "$CG/cgroup.procs" --workdir "$WORK" \
	--results "$RESULTS" --tag "$TAG" --procs "$PROCS" --victims "$VICTIMS" --rounds "$ROUNDS" \
	"${EXTRA[@]}" &
DRIVER=$!
rc=0
wait "$DRIVER" || rc=$?
DRIVER=""
if [ "$rc" != 0 ]; then
	for f in faultlined.log scenario-run.out; do
		[ -s "$WORK/$f" ] || continue
		echo "--- $f (last 20 lines)" >&2
		tail -n 20 "$WORK/$f" >&2
	done
fi
# A kill is journaled and reverted at once; a clean injector leaves no journal.
if [ -n "$(find "$WORK/state" -name 'journal.*.jsonl' -size +0c 2>/dev/null)" ]; then
	echo "WARNING: an injector left a non-empty journal behind:" >&2
	find "$WORK/state" -name 'journal.*.jsonl' -size +0c -exec tail -n 3 {} + >&2
	[ "$rc" != 0 ] || rc=1
fi
exit "$rc"
