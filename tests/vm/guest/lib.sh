# SPDX-License-Identifier: Apache-2.0
# Helpers for the scripts that run inside the vm guest (bash). Source it as
# /test/lib.sh; it sets -euo pipefail.
#
# Busybox's shell runs its own applets (tc, ip, ping) before anything on PATH, so
# iproute2 is always called by full path: $TC and $IP.
set -euo pipefail

export TC=/usr/sbin/tc IP=/usr/sbin/ip
TESTS_PASSED=0
TESTS_FAILED=0

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

# poll_until SECONDS COMMAND...: succeeds as soon as COMMAND does, polled every 50 ms;
# fails after SECONDS (a whole number).
poll_until() {
	local i n=$(($1 * 20))
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

# float_between VALUE LOW HIGH: LOW <= VALUE <= HIGH, for decimals.
float_between() {
	awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v != "" && v + 0 >= lo + 0 && v + 0 <= hi + 0) }'
}

# ping_avg_ms HOST COUNT: the average RTT busybox ping reports, in ms; fails when
# no reply came back. Bounded by ping's own -w deadline.
ping_avg_ms() {
	local out
	out=$(ping -c "$2" -i 0.2 -w $(($2 + 10)) "$1" 2>&1) || {
		echo "$out" >&2
		return 1
	}
	echo "$out" | sed -n 's|.*min/avg/max = [0-9.]*/\([0-9.]*\)/.*|\1|p'
}

# finish: the summary line; fails when a check failed.
finish() {
	echo "$TESTS_PASSED passed, $TESTS_FAILED failed"
	[ "$TESTS_FAILED" -eq 0 ]
}
