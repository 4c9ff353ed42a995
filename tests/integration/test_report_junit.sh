#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The --junit report validates against the common JUnit schema
# (tests/data/junit/junit-10.xsd, the Jenkins/Ant junit-10 form) with xmllint, for
# the hand-made report of tests/report/fixture.h, plain and with hostile strings and
# an abort. The counts on testsuites and testsuite equal the cases in the file, read
# back with XPath, and the schema itself is shown to refuse broken documents.
source "$(dirname "$0")/lib.sh"

: "${FAULTLINE_WRITE_REPORT:?set by ctest}"
XSD="$FAULTLINE_SOURCE_DIR/tests/data/junit/junit-10.xsd"
if ! command -v xmllint >/dev/null; then
	echo "SKIP: xmllint is missing (libxml2-utils; scripts/install-deps.sh installs it)"
	exit 77
fi

# xpath FILE EXPR: the value of an XPath expression (a number or a string).
xpath() { xmllint --xpath "$2" "$1" 2>/dev/null; }

# Every count attribute on both levels equals the number of such cases in the file.
check_counts() {
	local f=$1 level attr n_cases
	for level in /testsuites /testsuites/testsuite; do
		for attr in tests failures errors skipped; do
			case $attr in
			tests) n_cases=$(xpath "$f" 'count(//testcase)') ;;
			failures) n_cases=$(xpath "$f" 'count(//testcase[failure])') ;;
			errors) n_cases=$(xpath "$f" 'count(//testcase[error])') ;;
			skipped) n_cases=$(xpath "$f" 'count(//testcase[skipped])') ;;
			esac
			if [ "$(xpath "$f" "string($level/@$attr)")" != "$n_cases" ]; then
				echo "$f: $level/@$attr is $(xpath "$f" "string($level/@$attr)"), the file has $n_cases"
				return 1
			fi
		done
	done
}

for variant in plain hostile; do
	f="$TEST_TMP/$variant.xml"
	if [ $variant = plain ]; then
		"$FAULTLINE_WRITE_REPORT" junit "$f"
	else
		"$FAULTLINE_WRITE_REPORT" --hostile --abort junit "$f"
	fi
	check "$variant: validates against the JUnit schema" \
		xmllint --noout --schema "$XSD" "$f"
	check "$variant: testsuites and testsuite counts equal the cases" check_counts "$f"
	check "$variant: the root is testsuites with one testsuite" \
		test "$(xpath "$f" 'count(/testsuites/testsuite)')" = 1
	# 3 SLOs x 3 phases + 3 faults.
	check "$variant: 12 testcases" test "$(xpath "$f" 'count(//testcase)')" = 12
done

f="$TEST_TMP/plain.xml"
check "a failed SLO states value against objective" \
	test "$(xpath "$f" 'string(//testcase[@name="latency (fault)"]/failure/@message)')" = \
	"value 2s against objective p99 < 1s"
check "a passing SLO case has no failure, error or skipped child" \
	test "$(xpath "$f" 'count(//testcase[@name="latency (baseline)"]/*[not(self::system-out)])')" = 0
check "an SLO not evaluated in a phase is skipped" \
	test "$(xpath "$f" 'count(//testcase[@name="queue (fault)"]/skipped)')" = 1
check "a failed fault is an error with its message" \
	test "$(xpath "$f" 'string(//testcase[@name="fill"]/error/@message)')" = \
	"fault failed: ENOSPC: no space left on device"
check "cases are grouped by scenario and phase" \
	test "$(xpath "$f" 'string(//testcase[@name="errors (recovery)"]/@classname)')" = \
	"checkout-survives-db-latency.recovery"

# The hostile strings survive as text: the parsed name holds the markup literally.
f="$TEST_TMP/hostile.xml"
check "hostile: markup in names is text, not elements" \
	test "$(xpath "$f" 'count(//script)')" = 0
name=$(xpath "$f" 'string(/testsuites/testsuite/@name)')
check "hostile: the suite name reads back with its markup and quotes" \
	grep -qF '<script>alert("x")</script> & '"'"'q'"'"' &amp; ]]>' <<<"$name"

# Negative controls: the schema is not a rubber stamp.
bad="$TEST_TMP/bad.xml"
sed 's/<testcase name="[^"]*"/<testcase/' "$TEST_TMP/plain.xml" >"$bad"
check "the schema refuses a testcase without a name" \
	bash -c '! xmllint --noout --schema "$0" "$1" 2>/dev/null' "$XSD" "$bad"
sed 's/ tests="12"/ tests="twelve"/' "$TEST_TMP/plain.xml" >"$bad"
check "the schema refuses a non-numeric count" \
	bash -c '! xmllint --noout --schema "$0" "$1" 2>/dev/null' "$XSD" "$bad"
sed 's/<\/testcase>/<bogus\/><\/testcase>/' "$TEST_TMP/plain.xml" >"$bad"
check "the schema refuses an unknown element in a testcase" \
	bash -c '! xmllint --noout --schema "$0" "$1" 2>/dev/null' "$XSD" "$bad"
sed 's/timestamp="[^"]*"/timestamp="yesterday"/' "$TEST_TMP/plain.xml" >"$bad"
check "the schema refuses a timestamp that is not a date and time" \
	bash -c '! xmllint --noout --schema "$0" "$1" 2>/dev/null' "$XSD" "$bad"

finish
