#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The --html report in a real headless Chromium (Debian's chromium): the hand-made
# report of tests/report/fixture.h, plain and with hostile strings and an abort,
# renders with no console message at all, its DOM holds every chart with exactly
# the points the samples call for (tests/report/check_html.py counts them against
# the samples CSV), and a screenshot shows the rendering. A negative control proves
# the console check and the page's Content-Security-Policy both work: a script
# slipped into the page is refused, and the refusal is seen.
#
# Every Chromium run is bounded by `timeout`; the profile is a throwaway directory.
source "$(dirname "$0")/lib.sh"

: "${FAULTLINE_WRITE_REPORT:?set by ctest}"
CHECK="$PYTHON $FAULTLINE_SOURCE_DIR/tests/report/check_html.py"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
	echo "SKIP: chromium is missing (Debian package chromium; scripts/install-deps.sh installs it)"
	exit 77
fi

# chromium_run OUT ERR ARGS...: one bounded headless run.
chromium_run() {
	local out=$1 err=$2
	shift 2
	timeout -k 5 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-extensions \
		--no-first-run --disable-background-networking --disable-sync \
		--user-data-dir="$TEST_TMP/profile" --enable-logging=stderr --log-level=0 \
		"$@" >"$out" 2>"$err"
}

# Chromium that cannot start here (no display libraries, a seccomp profile, ...)
# is a missing feature, not a failure.
if ! chromium_run "$TEST_TMP/blank.dom" "$TEST_TMP/blank.err" --dump-dom about:blank ||
	! grep -q '<body' "$TEST_TMP/blank.dom"; then
	echo "SKIP: headless chromium cannot run here:"
	tail -5 "$TEST_TMP/blank.err"
	exit 77
fi

console_lines() { grep -E ':CONSOLE[:(]' "$1" || true; }

for variant in plain hostile; do
	args=()
	duration=40
	if [ $variant = hostile ]; then
		args=(--hostile --abort)
		duration=18.5
	fi
	html="$TEST_TMP/$variant.html"
	"$FAULTLINE_WRITE_REPORT" "${args[@]}" html "$html"
	"$FAULTLINE_WRITE_REPORT" "${args[@]}" csv "$TEST_TMP/$variant.csv"

	check "$variant: the file is well-formed (polyglot XHTML), so every string was escaped" \
		xmllint --noout "$html"
	check "$variant: no external reference (src, href, url(), @import, http(s) but the namespaces)" \
		bash -c '! grep -nE "src=|href=|url\(|@import|https?://" "$0" |
			grep -vE "xmlns=\"http://www.w3.org/(1999/xhtml|2000/svg)\"" | grep -q .' "$html"

	chromium_run "$TEST_TMP/$variant.dom" "$TEST_TMP/$variant.err" \
		--dump-dom "file://$html"
	check "$variant: chromium rendered the page" grep -q 'class="chart"' "$TEST_TMP/$variant.dom"
	lines=$(console_lines "$TEST_TMP/$variant.err")
	[ -z "$lines" ] || echo "$lines"
	check "$variant: no console message" test -z "$lines"
	if out=$($CHECK dom "$TEST_TMP/$variant.dom" "$TEST_TMP/$variant.csv" $duration); then
		pass "$variant: every chart has the points the samples call for ($out)"
	else
		fail "$variant: chart points"
	fi
done

# The screenshot of the plain report, tall enough for every chart.
png="$TEST_TMP/report.png"
chromium_run "$TEST_TMP/shot.out" "$TEST_TMP/shot.err" --window-size=1280,5200 \
	--screenshot="$png" "file://$TEST_TMP/plain.html"
check "a screenshot was taken" test -s "$png"
if out=$($CHECK png "$png"); then
	pass "the screenshot shows the rendering ($out)"
else
	fail "screenshot content"
fi
if [ -n "${FAULTLINE_KEEP_SCREENSHOT:-}" ]; then
	cp "$png" "$FAULTLINE_KEEP_SCREENSHOT" && echo "screenshot kept at $FAULTLINE_KEEP_SCREENSHOT"
fi

# Negative control: a script injected into the report is refused by the page's CSP,
# and the console check sees the refusal.
sed 's|<body>|<body><script>document.title="pwned"</script>|' "$TEST_TMP/plain.html" \
	>"$TEST_TMP/injected.html"
chromium_run "$TEST_TMP/injected.dom" "$TEST_TMP/injected.err" \
	--dump-dom "file://$TEST_TMP/injected.html"
check "negative control: the console check catches a refused script" \
	test -n "$(console_lines "$TEST_TMP/injected.err")"
check "negative control: the CSP kept the script from running" \
	bash -c '! grep -q "<title>pwned</title>" "$0"' "$TEST_TMP/injected.dom"

finish
