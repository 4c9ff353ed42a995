#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Benchmark: the network fault's apply + revert against tc, on this host's own
# kernel, with tbf where sch_netem is missing (the VM half, with netem, is
# bench_net_vm.sh).
#
#   sudo tests/bench/bench_net_host.sh [BUILD_DIR]
#
# BUILD_DIR (or $FAULTLINE_BUILD_DIR; default: build/ of this checkout) must hold
# tests/bench_net_host (a build with FAULTLINE_BUILD_TESTS=ON). Knobs:
# FLBENCH_ROUNDS (measured rounds, default 7; a warm-up round comes first),
# FLBENCH_CYCLES (apply + revert cycles per round for one interface, default 30),
# FLBENCH_VETHS (the many interfaces, an even number, default 200),
# FLBENCH_OUTSIDE=0 (skip the run that names the namespace from outside).
#
# What it does: creates a network namespace of its own (a unique name) with a
# veth pair bench0/bench0p in it, and runs bench_net_host (bench_net_host.c)
# there through ip netns exec, so that both tools use their own namespace:
#   1. one interface among 3 (lo and the pair): faultline's validate + apply +
#      revert of one fault against fork/exec of "tc qdisc add dev bench0 root tbf
#      rate 1mbit burst 32kbit latency 400ms" + "tc qdisc del dev bench0 root";
#   2. the same from outside the namespace (the injector naming it, tc -n);
#   3. after FLBENCH_VETHS more veths (bv0 ..), step 1 again among them;
#   4. tbf on all FLBENCH_VETHS veths then removed: faultline (faults of 50
#      interfaces) against tc -batch files of as many add, then del, lines.
# The injector asks for netem and bench_net_tbf.c turns it into the same tbf at
# its netlink socket (docs/performance.md §2 says what that does and does not
# exercise). Each round checks both tools on its first cycle (the tbf is there
# after the apply, the qdiscs are as before after the revert), and the script
# checks at the end that the namespace's qdiscs are as before. This is a
# benchmark, not a test: it asserts correctness, never timings; its numbers go to
# docs/performance.md by hand.
#
# Nothing outside the namespace is touched: every veth is created inside it, and
# deleting the namespace at exit (trap) removes them with their qdiscs, whatever
# happens. Exit codes: 0 done, 1 a check failed or an error, 77 a prerequisite is
# missing (root, ip/tc, network namespaces, veth, sch_tbf, the build).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SOURCE_DIR=$(cd "$HERE/../.." && pwd)
BUILD_DIR=${1:-${FAULTLINE_BUILD_DIR:-$SOURCE_DIR/build}}
ROUNDS=${FLBENCH_ROUNDS:-7}
CYCLES=${FLBENCH_CYCLES:-30}
VETHS=${FLBENCH_VETHS:-200}
OUTSIDE=${FLBENCH_OUTSIDE:-1}
TC=/usr/sbin/tc

skip() {
	echo "SKIP: $*" >&2
	exit 77
}
die() {
	echo "FAIL: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || skip "run as root: it creates a network namespace and changes qdiscs in it"
[ -x "$BUILD_DIR/tests/bench_net_host" ] ||
	skip "no $BUILD_DIR/tests/bench_net_host: build with -DFAULTLINE_BUILD_TESTS=ON"
IP=$(command -v ip) || skip "ip is not installed (iproute2)"
[ -x "$TC" ] || skip "no $TC (iproute2)"
case "$ROUNDS$CYCLES$VETHS" in *[!0-9]*) die "FLBENCH_ROUNDS, FLBENCH_CYCLES and FLBENCH_VETHS must be numbers" ;; esac
if [ "$ROUNDS" -lt 1 ] || [ "$ROUNDS" -gt 64 ] || [ "$CYCLES" -lt 1 ] ||
	[ "$VETHS" -lt 2 ] || [ "$VETHS" -gt 1000 ] || [ $((VETHS % 2)) -ne 0 ]; then
	die "need 1 <= FLBENCH_ROUNDS <= 64, FLBENCH_CYCLES >= 1, FLBENCH_VETHS even, 2 to 1000"
fi

NS=flbench-net-$$-$RANDOM
WORK=$(mktemp -d /tmp/flbench-net.XXXXXX)
child=
cleanup() {
	# The benchmark first (it may be in the middle of a fault), then the
	# namespace, which takes its veths and their qdiscs with it.
	if [ -n "$child" ]; then
		kill "$child" 2>/dev/null || true
		wait "$child" 2>/dev/null || true
	fi
	"$IP" netns del "$NS" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# A private copy: rebuilding during the run does no harm.
cp "$BUILD_DIR/tests/bench_net_host" "$WORK/"
BENCH=$WORK/bench_net_host

"$IP" netns add "$NS" 2>"$WORK/err" || skip "cannot create a network namespace: $(cat "$WORK/err")"
"$IP" -n "$NS" link set lo up
"$IP" -n "$NS" link add bench0 type veth peer name bench0p 2>"$WORK/err" ||
	skip "cannot create a veth pair (veth module): $(cat "$WORK/err")"
"$IP" -n "$NS" link set bench0 up
"$IP" -n "$NS" link set bench0p up
"$TC" -n "$NS" qdisc add dev bench0 root tbf rate 1mbit burst 32kbit latency 400ms 2>"$WORK/err" ||
	skip "cannot add a tbf qdisc (sch_tbf): $(cat "$WORK/err")"
"$TC" -n "$NS" qdisc del dev bench0 root
if "$TC" -n "$NS" qdisc add dev bench0 root netem delay 10ms 2>/dev/null; then
	"$TC" -n "$NS" qdisc del dev bench0 root
	netem="sch_netem is available here (bench_net_vm.sh needs no VM on this kernel); this benchmark uses tbf all the same"
else
	netem="no sch_netem in this kernel: both tools add tbf"
fi

load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "bench_net_host: $(date -u '+%Y-%m-%d %H:%M UTC'), faultline $(git -C "$SOURCE_DIR" describe --always --dirty 2>/dev/null || echo '?')"
echo "machine: $(nproc) CPUs, kernel $(uname -r), $("$TC" -V), load average $(load)"
echo "$netem; namespace $NS"

run() {
	echo
	echo "== $1 (load average $(load))"
	shift
	# In the background, so that a signal reaches the traps at once.
	"$@" &
	child=$!
	wait "$child" || die "bench_net_host $*: a check failed or an error (see above)"
	child=
}

before=$("$TC" -n "$NS" qdisc show)
run "1. one interface among $("$IP" -n "$NS" -o link show | wc -l), inside the namespace" \
	"$IP" netns exec "$NS" "$BENCH" one "in:$NS" bench0 "$ROUNDS" "$CYCLES"
if [ "$OUTSIDE" = 1 ]; then
	run "2. the same from outside: the injector names the namespace, tc -n" \
		"$BENCH" one "$NS" bench0 "$ROUNDS" "$CYCLES"
fi
[ "$("$TC" -n "$NS" qdisc show)" = "$before" ] || die "the qdiscs of $NS are not as before"

half=$((VETHS / 2))
{
	for ((i = 0; i < half; i++)); do
		echo "link add bv$i type veth peer name bv$((i + half))"
	done
	for ((i = 0; i < VETHS; i++)); do
		echo "link set bv$i up"
	done
} >"$WORK/links.ip"
"$IP" -n "$NS" -batch "$WORK/links.ip" || die "cannot create $VETHS veth interfaces in $NS"
before=$("$TC" -n "$NS" qdisc show)
run "3. one interface among $("$IP" -n "$NS" -o link show | wc -l), inside the namespace" \
	"$IP" netns exec "$NS" "$BENCH" one "in:$NS" bench0 "$ROUNDS" "$CYCLES"
run "4. $VETHS interfaces, inside the namespace" \
	"$IP" netns exec "$NS" "$BENCH" many "in:$NS" bv "$VETHS" "$ROUNDS" "$WORK"
[ "$("$TC" -n "$NS" qdisc show)" = "$before" ] || die "the qdiscs of $NS are not as before"
echo
echo "done: every check passed; the qdiscs of $NS are as before (load average $(load))"
