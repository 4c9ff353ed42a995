#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The live status line (docs/scenarios.md, "How SLOs are judged"):
# - on a TTY (script(1) gives the run a pty) it is redrawn in place, "\r\e[K"
#   then the line, every 100 ms, with the phase, the elapsed and total time, the
#   active faults and each SLO's value against its objective; progress lines clear
#   it first, so that no line on the screen mixes the two;
# - without a TTY (a file) there is no escape sequence nor carriage return at all:
#   only plain lines, each with its "[  +1.234s] " timestamp.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_probes.sh"
require_root
SCRIPT=$(command -v script || true)
if [ -z "$SCRIPT" ]; then
	echo "SKIP: script(1) (util-linux, Debian's bsdutils) is not installed"
	exit 77
fi

start_demo svc
start_target
cat >"$TEST_TMP/status.yaml" <<YAML
version: 1
name: live-status
phases: {baseline: 1s}
probes:
  api: {http: {url: "http://127.0.0.1:$DEMO_PORT/", timeout: 500ms}, rate: 20/s}
slos:
  - {name: tail, probe: api, objective: "p99 < 1s"}
faults:
  - {name: pause-target, type: process.pause, duration: 2500ms, target: {pid: $TARGET}}
YAML

# ---- on a TTY -----------------------------------------------------------------------------------
rc=0
"$SCRIPT" -qefc "$FAULTLINE_BIN run $TEST_TMP/status.yaml" /dev/null </dev/null \
	>"$TEST_TMP/tty.out" 2>&1 || rc=$?
check "the run on a pty passes (got $rc)" test "$rc" = 0
check "the status line is redrawn in place, with phase, time, faults and the SLO" $PYTHON - "$TEST_TMP/tty.out" <<'PY'
import re, sys
raw = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
status = re.compile(r"^\[ *\+[0-9.]+s\] (baseline|fault|recovery) [0-9.]+/3\.5s, [0-9]+ active fault\(s\)"
                    r" \| tail [0-9.]+(us|ms|s) \(p99 < 1s\) ok$")
draws = [d for d in raw.split("\r\x1b[K")[1:] if d and "\n" not in d]
seen = [status.match(d) for d in draws]
phases = {m.group(1) for m in seen if m}
bad = [d for d, m in zip(draws, seen) if not m]
ok = len(draws) >= 10 and not bad and {"baseline", "fault"} <= phases
ok = ok and any(re.search(r" fault [0-9.]+/3\.5s, 1 active fault\(s\)", d) for d in draws)
print(f"  {len(draws)} redraws, phases {sorted(phases)}, e.g. {draws[len(draws) // 2]!r}")
sys.exit(0 if ok else print("  unexpected redraws:", bad[:3]) or 1)
PY
check "what the screen shows: no line mixes a status and a progress line" $PYTHON - "$TEST_TMP/tty.out" <<'PY'
import sys
raw = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
shown = [l.rstrip("\r").split("\r\x1b[K")[-1] for l in raw.split("\n")]
mixed = [l for l in shown if "active fault(s)" in l]
need = ["applied pause-target", "reverted pause-target", "verdict: PASSED"]
missing = [n for n in need if not any(n in l for l in shown)]
sys.exit(0 if not mixed and not missing else print("  mixed:", mixed[:3], "missing:", missing) or 1)
PY

# ---- without a TTY ------------------------------------------------------------------------------
rc=0
"$FAULTLINE_BIN" run "$TEST_TMP/status.yaml" >"$TEST_TMP/plain.out" 2>&1 </dev/null || rc=$?
check "the run to a file passes (got $rc)" test "$rc" = 0
check "no escape sequence nor carriage return in the file" \
	sh -c "! grep -q \$(printf '[\\r\\033]') '$TEST_TMP/plain.out'"
check "plain timestamped status lines" \
	grep -Eq '^\[ *\+[0-9.]+s\] (baseline|fault|recovery) [0-9.]+/3\.5s, [0-9]+ active fault\(s\) \| tail .* \(p99 < 1s\) ok$' \
	"$TEST_TMP/plain.out"
check "every line of the controller is timestamped or part of the summary" $PYTHON - "$TEST_TMP/plain.out" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().split("\n")
# The injector's own log lines (stderr, "HH:MM:SS.mmm faultlined[...]") are not ours.
ours = [l for l in lines if l and not re.match(r"^[0-9:.]+ faultline(d)?\[", l)]
summary = ours.index(next(l for l in ours if l.startswith("scenario live-status: ") and "applied and reverted" in l))
before = [l for l in ours[:summary] if not re.match(r"^\[ *\+[0-9.]+s\] ", l)]
sys.exit(0 if not before else print("  untimestamped:", before[:3]) or 1)
PY

finish
