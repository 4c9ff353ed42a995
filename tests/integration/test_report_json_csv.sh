#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The --json and --samples files read back with independent parsers (Python's json
# and csv modules) for the hand-made report of tests/report/fixture.h, plain and
# with hostile strings: the JSON parses strictly (no NaN literals, valid UTF-8),
# every field path it holds is documented in docs/report.md, and the CSV has one
# well-formed row of six fields per sample with names that read back.
source "$(dirname "$0")/lib.sh"

: "${FAULTLINE_WRITE_REPORT:?set by ctest}"
DOC="$FAULTLINE_SOURCE_DIR/docs/report.md"

for variant in plain hostile; do
	args=()
	[ $variant = hostile ] && args=(--hostile --abort)
	"$FAULTLINE_WRITE_REPORT" "${args[@]}" json "$TEST_TMP/$variant.json"
	"$FAULTLINE_WRITE_REPORT" "${args[@]}" csv "$TEST_TMP/$variant.csv"

	if out=$($PYTHON - "$TEST_TMP/$variant.json" "$DOC" <<'PY'
import json, re, sys

def no_constants(name):
    raise ValueError("non-standard JSON constant " + name)

with open(sys.argv[1], "rb") as f:
    report = json.loads(f.read().decode("utf-8", errors="strict"), parse_constant=no_constants)
assert report["schema_version"] == 1

# Every leaf's path, with arrays as [] and the variable keys as the docs name them.
def paths(v, prefix):
    if isinstance(v, dict):
        for k, x in v.items():
            if prefix.endswith(".phases") and k in ("baseline", "fault", "recovery"):
                k = "<phase>"
            if prefix.endswith(".errors"):
                k = "<class>"
            yield from paths(x, prefix + "." + k if prefix else k)
    elif isinstance(v, list):
        for x in v:
            yield from paths(x, prefix + "[]")
    else:
        yield prefix

doc = open(sys.argv[2], encoding="utf-8").read()
documented = set(re.findall(r"`([a-z_]+(?:\[\])?(?:\.[a-z_<>0-9]+(?:\[\])?)*)`", doc))
# Summary fields are documented once, as "….field" under the summary table.
summary = set(re.findall(r"`…\.([a-z_<>.0-9]+)`", doc)) | {
    "latency_ms." + k for k in ("samples", "p50", "p90", "p99", "max", "mean")} | {
    "values." + k for k in ("last", "min", "max")}
missing = []
for p in sorted(set(paths(report, ""))):
    if not p or p in documented:
        continue
    m = re.match(r"probes\[\]\.(phases\.<phase>|run)\.(.+)$", p)
    if m and m.group(2) in summary:
        continue
    missing.append(p)
if missing:
    print("undocumented: " + ", ".join(missing))
    sys.exit(1)
print("%d paths, all documented" % len(set(paths(report, ""))))
PY
	); then
		pass "$variant: the JSON parses strictly and every field is documented ($out)"
	else
		fail "$variant: JSON ($out)"
	fi

	if out=$($PYTHON - "$TEST_TMP/$variant.csv" <<'PY'
import collections, csv, io, sys
with open(sys.argv[1], newline="", encoding="utf-8", errors="strict") as f:
    data = f.read()
assert data.endswith("\r\n"), "rows end in CRLF"
rows = list(csv.reader(io.StringIO(data, newline="")))
assert rows[0] == ["probe", "t_ms", "latency_ms", "status", "error", "value"], rows[0]
bad = [r for r in rows[1:] if len(r) != 6]
assert not bad, "rows without six fields: %r" % bad[:2]
per = collections.Counter(r[0].split("<", 1)[0] for r in rows[1:])
for r in rows[1:]:
    float(r[1]); float(r[2]); int(r[3])
    assert r[5] == "" or r[5] in ("+Inf", "-Inf") or float(r[5]) == float(r[5])
print(" ".join("%s=%d" % kv for kv in sorted(per.items())))
PY
	); then
		pass "$variant: the CSV has one six-field row per sample ($out)"
	else
		fail "$variant: CSV ($out)"
	fi
done

# The plain fixture: 40 s of checkout at 20/s, db at 5/s, queue-depth at 1/s.
check "plain: sample counts per probe" \
	test "$($PYTHON -c 'import csv,collections,sys; r=list(csv.reader(open(sys.argv[1],newline="")))[1:]; c=collections.Counter(x[0] for x in r); print(c["checkout"],c["db"],c["queue-depth"])' "$TEST_TMP/plain.csv")" = "800 200 40"
check "hostile: the probe name reads back with its markup, quotes and comma" \
	$PYTHON -c 'import csv,sys; r=list(csv.reader(open(sys.argv[1],newline="",encoding="utf-8")))[1]; sys.exit(0 if r[0].startswith("checkout<script>alert(\"x\")</script> & '"'"'q'"'"'") and "line, comma" in r[0] else 1)' "$TEST_TMP/hostile.csv"

finish
