/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the report writers (report_*.c) on the hand-made report of
 * tests/report/fixture.h: the text helpers (UTF-8 repair, XML and CSV escaping),
 * the statistics (exact nearest-rank percentiles, buckets), the JSON report read
 * back with jansson, the JUnit counts and messages, the HTML and CSV with hostile
 * strings, and the atomic file helper (a failed write leaves the old file alone).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../report/fixture.h"
#include "macro.h"
#include "protocol.h"
#include "report_stats.h"
#include "report_text.h"
#include "report_writers.h"

/* Runs a writer into a malloc'd string. */
static char *render(report_writer_fn writer, const struct report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(writer(r, f), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static char *xml(const char *s, bool attr)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	report_put_xml(f, s, attr);
	fclose(f);
	return buf;
}

static char *csv(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	report_put_csv(f, s);
	fclose(f);
	return buf;
}

static size_t count_of(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* The document is valid UTF-8 and holds no control byte but TAB, LF and CR. */
static void assert_clean_text(const char *doc)
{
	_cleanup_free_ char *repaired = report_utf8_repair(doc);

	assert_string_equal(repaired, doc);
	for (const unsigned char *p = (const unsigned char *)doc; *p; p++)
		if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
			fail_msg("control byte 0x%02x at offset %zu", *p,
				 (size_t)(p - (const unsigned char *)doc));
}

static void test_utf8_repair(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain", "plain" },
		{ "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80" },
		{ "a\x80z", "a\xef\xbf\xbdz" }, /* stray continuation byte */
		{ "\xff", "\xef\xbf\xbd" },
		{ "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd" }, /* overlong '/' */
		{ "\xe0\x80\xaf", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* overlong, 3 bytes */
		{ "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* surrogate */
		{ "\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "x\xe2\x82", "x\xef\xbf\xbd\xef\xbf\xbd" }, /* truncated at the end */
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *s = report_utf8_repair(cases[i].in);
		assert_string_equal(s, cases[i].out);
	}
	_cleanup_free_ char *empty = report_utf8_repair(NULL);
	assert_string_equal(empty, "");
}

static void test_xml_escape(void **state)
{
	_cleanup_free_ char *a = xml("<a href=\"x\">&'</a>", false);
	_cleanup_free_ char *b = xml("t\tn\nr\r", true);
	_cleanup_free_ char *c = xml("t\tn\n", false);
	_cleanup_free_ char *d = xml("\x01\x1b\x7f\xc2\x85\xef\xbf\xbe\xff ok", false);
	_cleanup_free_ char *e = xml("]]> -- \xe2\x82\xac", false);

	assert_string_equal(a, "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
	assert_string_equal(b, "t&#9;n&#10;r&#13;");
	assert_string_equal(c, "t\tn\n");
	/* C0, ESC, DEL, a C1 control (U+0085), U+FFFE and a stray byte: U+FFFD each. */
	assert_string_equal(d, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
			       "\xef\xbf\xbd ok");
	assert_string_equal(e, "]]&gt; -- \xe2\x82\xac");
}

static void test_csv_field(void **state)
{
	_cleanup_free_ char *a = csv("plain");
	_cleanup_free_ char *b = csv("a,b");
	_cleanup_free_ char *c = csv("say \"hi\"");
	_cleanup_free_ char *d = csv("two\r\nlines");
	_cleanup_free_ char *e = csv(" padded");
	_cleanup_free_ char *f = csv("bell\x07\xff");

	assert_string_equal(a, "plain");
	assert_string_equal(b, "\"a,b\"");
	assert_string_equal(c, "\"say \"\"hi\"\"\"");
	assert_string_equal(d, "\"two\r\nlines\"");
	assert_string_equal(e, "\" padded\"");
	assert_string_equal(f, "bell\xef\xbf\xbd\xef\xbf\xbd");
}

static void test_format(void **state)
{
	struct report_slo s = { .objective = "p50 < 50ms", .fault_objective = "p50 < 150ms" };
	char buf[128];

	assert_int_equal(report_objective_unit("p999 <= 1s"), UNIT_SECONDS);
	assert_int_equal(report_objective_unit("error_rate<1%"), UNIT_FRACTION);
	assert_int_equal(report_objective_unit("availability >= 99.9%"), UNIT_FRACTION);
	assert_int_equal(report_objective_unit("throughput >= 100/s"), UNIT_PER_SECOND);
	assert_int_equal(report_objective_unit("value != 0"), UNIT_NUMBER);
	assert_int_equal(report_objective_unit("p5 < 1s"), UNIT_NUMBER);
	s.phase[PHASE_BASELINE].value = 0.0987;
	report_format_against(&s, PHASE_BASELINE, buf, sizeof(buf));
	assert_string_equal(buf, "value 98.7ms against objective p50 < 50ms");
	s.phase[PHASE_FAULT].value = 1.5;
	report_format_against(&s, PHASE_FAULT, buf, sizeof(buf));
	assert_string_equal(buf, "value 1.5s against objective p50 < 150ms");
	report_format_value(UNIT_FRACTION, 0.005, buf, sizeof(buf));
	assert_string_equal(buf, "0.5%");
	report_format_value(UNIT_NUMBER, -INFINITY, buf, sizeof(buf));
	assert_string_equal(buf, "-Inf");
	report_format_value(UNIT_NUMBER, NAN, buf, sizeof(buf));
	assert_string_equal(buf, "NaN");
}

static void test_stats(void **state)
{
	struct sample_series s = { 0 };
	struct probe_summary sum;
	_cleanup_free_ struct report_bucket *b = NULL;
	size_t n;
	uint64_t sorted[100];

	for (unsigned i = 0; i < 100; i++)
		sorted[i] = i + 1;
	assert_int_equal(quantile_sorted(sorted, 100, 500), 50);
	assert_int_equal(quantile_sorted(sorted, 100, 900), 90);
	assert_int_equal(quantile_sorted(sorted, 100, 990), 99);
	assert_int_equal(quantile_sorted(sorted, 100, 999), 100);
	assert_int_equal(quantile_sorted(sorted, 1, 500), 1);
	assert_int_equal(quantile_sorted(sorted, 0, 500), 0);

	/* 100 samples over 10 s, latency 1..100 ms added out of order; every 10th failed. */
	for (unsigned i = 0; i < 100; i++) {
		unsigned k = (i * 37) % 100;
		struct sample x = { .t_ns = k * 100 * NSEC_PER_MSEC,
				    .latency_ns = (k + 1) * NSEC_PER_MSEC,
				    .value = k == 42 ? 4.2 : NAN,
				    .error = k % 10 == 9 ? SAMPLE_RESET : SAMPLE_OK };
		assert_int_equal(sample_series_add(&s, &x), 0);
	}
	assert_int_equal(probe_summary_compute(&s, 0, 10 * NSEC_PER_SEC, &sum), 0);
	assert_int_equal(sum.count, 100);
	assert_int_equal(sum.ok, 90);
	assert_int_equal(sum.errors[SAMPLE_RESET], 10);
	assert_int_equal(sum.p50_ns, 50 * NSEC_PER_MSEC);
	assert_int_equal(sum.p99_ns, 99 * NSEC_PER_MSEC);
	assert_int_equal(sum.max_ns, 100 * NSEC_PER_MSEC);
	assert_true(fabs(sum.mean_ns - 50.5e6) < 1);
	assert_true(fabs(sum.throughput - 9.0) < 1e-9);
	assert_true(fabs(sum.error_rate - 0.1) < 1e-9);
	assert_int_equal(sum.n_values, 1);
	assert_true(sum.last_value == 4.2);

	/* [2 s, 3 s): samples 20..29. */
	assert_int_equal(probe_summary_compute(&s, 2 * NSEC_PER_SEC, 3 * NSEC_PER_SEC, &sum), 0);
	assert_int_equal(sum.count, 10);
	assert_int_equal(sum.p50_ns, 25 * NSEC_PER_MSEC);
	assert_int_equal(probe_summary_compute(&s, 5 * NSEC_PER_SEC, 5 * NSEC_PER_SEC, &sum), 0);
	assert_int_equal(sum.count, 0);
	assert_true(isnan(sum.last_value));

	/* 10.5 s in 1 s buckets: 11, the last half as long and empty. */
	assert_int_equal(report_bucketize(&s, 0, 10500 * NSEC_PER_MSEC, NSEC_PER_SEC, &b, &n), 0);
	assert_int_equal(n, 11);
	for (size_t i = 0; i < 10; i++) {
		assert_int_equal(b[i].count, 10);
		assert_int_equal(b[i].ok, 9);
		assert_int_equal(b[i].p50_ns, (i * 10 + 5) * NSEC_PER_MSEC);
	}
	assert_int_equal(b[10].count, 0);
	assert_int_equal(b[10].end_ns - b[10].start_ns, 500 * NSEC_PER_MSEC);
	assert_int_equal(b[4].n_values, 1);
	assert_int_equal(report_bucketize(&s, 0, 1, 0, &b, &n), -EINVAL);

	/* Refused connections have no latency, and a failed sample's value is not one. */
	sample_series_clear(&s);
	{
		static const struct sample v[] = {
			{ .t_ns = 1, .latency_ns = 10, .value = 1.0 },
			{ .t_ns = 2, .latency_ns = 20, .value = NAN },
			{ .t_ns = 3, .latency_ns = 0, .value = NAN, .error = SAMPLE_REFUSED },
			{ .t_ns = 4, .latency_ns = 1000, .value = 9.0, .error = SAMPLE_TIMEOUT },
		};
		for (size_t i = 0; i < ARRAY_SIZE(v); i++)
			assert_int_equal(sample_series_add(&s, &v[i]), 0);
	}
	assert_int_equal(probe_summary_compute(&s, 0, 10, &sum), 0);
	assert_int_equal(sum.count, 4);
	assert_int_equal(sum.n_latency, 3);
	assert_int_equal(sum.p50_ns, 20);
	assert_int_equal(sum.max_ns, 1000);
	assert_true(fabs(sum.mean_ns - 1030.0 / 3) < 1e-9);
	assert_int_equal(sum.n_values, 1);
	assert_true(sum.last_value == 1.0);

	assert_int_equal(report_bucket_width(40 * NSEC_PER_SEC, 600), NSEC_PER_SEC);
	assert_int_equal(report_bucket_width(601 * NSEC_PER_SEC, 600), 2 * NSEC_PER_SEC);
	assert_int_equal(report_bucket_width(3 * 3600 * NSEC_PER_SEC, 600), 30 * NSEC_PER_SEC);
	assert_int_equal(report_bucket_width(1000 * 3600 * NSEC_PER_SEC, 600),
			 2 * 3600 * NSEC_PER_SEC);
	sample_series_clear(&s);
}

static json_t *get(json_t *root, const char *path)
{
	char copy[256], *save = NULL;
	json_t *v = root;

	snprintf(copy, sizeof(copy), "%s", path);
	for (char *k = strtok_r(copy, ".", &save); k; k = strtok_r(NULL, ".", &save)) {
		char *end;
		unsigned long i = strtoul(k, &end, 10);
		v = *end == '\0' ? json_array_get(v, i) : json_object_get(v, k);
		if (!v)
			fail_msg("no %s in the JSON report", path);
	}
	return v;
}

static void test_json(void **state)
{
	struct fixture fx;
	_cleanup_free_ char *doc = NULL;
	_cleanup_json_ json_t *root = NULL;
	json_error_t err;

	fixture_build(&fx, 0);
	doc = render(report_write_json, &fx.r);
	root = json_loads(doc, JSON_REJECT_DUPLICATES, &err);
	if (!root)
		fail_msg("JSON report does not parse: %s at %d:%d", err.text, err.line, err.column);
	assert_int_equal(json_integer_value(get(root, "schema_version")), 1);
	assert_string_equal(json_string_value(get(root, "started_at")), "2026-11-26T22:00:00.000Z");
	assert_true(json_real_value(get(root, "duration_ms")) == 40000.0);
	assert_string_equal(json_string_value(get(root, "verdict")), "FAILED");
	assert_int_equal(json_integer_value(get(root, "exit_code")), 1);
	assert_true(json_is_true(get(root, "phases.2.ran")));
	assert_true(json_real_value(get(root, "phases.2.start_ms")) == 30000.0);

	/* Faults: apply latency in ms, the failed one with its error and no times. */
	assert_true(json_real_value(get(root, "faults.0.apply_latency_ms")) == 4.2);
	assert_true(json_real_value(get(root, "faults.0.reverted_at_ms")) == 30000.0);
	assert_true(json_is_true(get(root, "faults.0.effect_held")));
	assert_true(json_is_null(get(root, "faults.1.effect_held")));
	assert_true(json_is_true(get(root, "faults.2.failed")));
	assert_true(json_is_null(get(root, "faults.2.applied_at_ms")));
	assert_string_equal(json_string_value(get(root, "faults.2.error")),
			    "ENOSPC: no space left on device");

	/* checkout in the fault phase: 400 samples, 16 timeouts and 8 503s; latencies
	 * 110..116 ms and 2 s. */
	assert_int_equal(json_integer_value(get(root, "probes.0.phases.fault.count")), 400);
	assert_int_equal(json_integer_value(get(root, "probes.0.phases.fault.errors.timeout")), 16);
	assert_int_equal(json_integer_value(get(root, "probes.0.phases.fault.errors.bad_status")),
			 8);
	assert_true(json_real_value(get(root, "probes.0.phases.fault.error_rate")) == 0.06);
	assert_true(json_real_value(get(root, "probes.0.phases.fault.throughput_per_s")) == 18.8);
	assert_true(json_real_value(get(root, "probes.0.phases.fault.latency_ms.p50")) == 113.0);
	assert_true(json_real_value(get(root, "probes.0.phases.fault.latency_ms.p99")) == 2000.0);
	assert_true(json_real_value(get(root, "probes.0.phases.baseline.latency_ms.max")) == 13.0);
	assert_int_equal(json_integer_value(get(root, "probes.0.run.count")), 800);
	/* queue-depth: +Inf at 20 s is a string; the last value of the fault phase is 57. */
	assert_string_equal(json_string_value(get(root, "probes.2.phases.fault.values.max")),
			    "+Inf");
	assert_true(json_real_value(get(root, "probes.2.phases.fault.values.last")) == 57.0);
	assert_int_equal(json_integer_value(get(root, "probes.2.phases.baseline.errors.no_value")),
			 1);

	/* SLO x phase: value and objective, the fault objective in the fault phase. */
	assert_string_equal(json_string_value(get(root, "slos.0.phases.fault.verdict")), "fail");
	assert_string_equal(json_string_value(get(root, "slos.0.phases.fault.objective")),
			    "p99 < 1s");
	assert_true(json_real_value(get(root, "slos.0.phases.fault.value")) == 2.0);
	assert_string_equal(json_string_value(get(root, "slos.0.phases.fault.message")),
			    "value 2s against objective p99 < 1s");
	assert_string_equal(json_string_value(get(root, "slos.1.unit")), "fraction");
	assert_string_equal(json_string_value(get(root, "slos.2.phases.fault.verdict")),
			    "not_evaluated");
	assert_true(json_is_null(get(root, "slos.2.phases.recovery.value")));
	assert_string_equal(json_string_value(get(root, "slos.2.phases.recovery.verdict")),
			    "no_data");

	assert_true(json_is_false(get(root, "abort.fired")));
	assert_true(json_is_null(get(root, "abort.at_ms")));
	assert_true(json_is_true(get(root, "recovery.recovered")));
	assert_true(json_real_value(get(root, "recovery.time_ms")) == 1250.0);
	/* The timeline is in time order and has the recovery at revert + 1.25 s. */
	{
		json_t *tl = get(root, "timeline"), *e;
		double last = -1;
		size_t i;
		bool recovered = false;
		json_array_foreach(tl, i, e) {
			double at = json_real_value(json_object_get(e, "at_ms"));
			assert_true(at >= last);
			last = at;
			if (streq(json_string_value(json_object_get(e, "event")), "recovered")) {
				assert_true(at == 31250.0);
				recovered = true;
			}
		}
		assert_true(recovered);
	}
	fixture_free(&fx);
}

static void test_json_hostile(void **state)
{
	struct fixture fx;
	_cleanup_free_ char *doc = NULL, *name = NULL;
	_cleanup_json_ json_t *root = NULL;
	json_error_t err;

	fixture_build(&fx, FX_HOSTILE | FX_ABORT);
	doc = render(report_write_json, &fx.r);
	assert_clean_text(doc);
	/* jansson refuses invalid UTF-8 and raw control characters when it loads. */
	root = json_loads(doc, JSON_REJECT_DUPLICATES, &err);
	if (!root)
		fail_msg("hostile JSON report does not parse: %s", err.text);
	name = report_utf8_repair(fx.r.scenario_name);
	assert_string_equal(json_string_value(get(root, "scenario.name")), name);
	assert_non_null(strstr(json_string_value(get(root, "scenario.name")), "<script>"));
	assert_non_null(strstr(json_string_value(get(root, "slos.0.name")), "\x01"));
	assert_true(json_is_true(get(root, "abort.fired")));
	assert_true(json_real_value(get(root, "abort.at_ms")) == 18000.0);
	assert_true(json_real_value(get(root, "abort.breached_for_ms")) == 5000.0);
	assert_int_equal(json_integer_value(get(root, "exit_code")), 3);
	assert_false(json_is_true(get(root, "phases.2.ran")));
	assert_true(json_is_null(get(root, "probes.0.phases.recovery")));
	assert_true(json_is_null(get(root, "recovery.time_ms")));
	fixture_free(&fx);
}

static void test_junit(void **state)
{
	struct fixture fx;
	_cleanup_free_ char *doc = NULL;

	fixture_build(&fx, 0);
	doc = render(report_write_junit, &fx.r);
	/* 9 SLO x phase cases (2 failures, 1 no-data error, 1 skipped) and 3 faults (one
	 * failed), on testsuites and testsuite alike. */
	assert_int_equal(count_of(doc, "tests=\"12\" failures=\"2\" errors=\"2\" skipped=\"1\" "
				       "time=\"40.000\""),
			 2);
	assert_int_equal(count_of(doc, "<testcase "), 12);
	assert_int_equal(count_of(doc, "<failure "), 2);
	assert_int_equal(count_of(doc, "<error "), 2);
	assert_int_equal(count_of(doc, "<skipped "), 1);
	assert_non_null(strstr(doc, "timestamp=\"2026-11-26T22:00:00\""));
	assert_non_null(strstr(doc, "<failure message=\"value 6.5% against objective error_rate "
				    "&lt; 1%\" type=\"slo_violated\">"));
	assert_non_null(strstr(doc, "<testcase name=\"latency (fault)\" "
				    "classname=\"checkout-survives-db-latency.fault\""));
	assert_non_null(strstr(doc, "<error message=\"fault failed: ENOSPC: no space left on "
				    "device\" type=\"fault_failed\">"));
	assert_non_null(strstr(doc, "<skipped message=\"not evaluated: the SLO does not apply "
				    "to this phase\"/>"));
	assert_non_null(strstr(doc, "<property name=\"faultline.recovery_time_ms\" "
				    "value=\"1250.000\"/>"));
	fixture_free(&fx);

	fixture_build(&fx, FX_HOSTILE | FX_ABORT);
	free(doc);
	doc = render(report_write_junit, &fx.r);
	assert_clean_text(doc);
	assert_null(strstr(doc, "<script"));
	assert_null(strstr(doc, "\"x\""));
	/* Without recovery: 3 more skipped; the fault and abort counts stay. */
	assert_int_equal(count_of(doc, "tests=\"12\" failures=\"2\" errors=\"1\" skipped=\"4\""),
			 2);
	assert_non_null(
		strstr(doc, "<property name=\"faultline.abort_at_ms\" value=\"18000.000\"/>"));
	fixture_free(&fx);
}

static void test_html(void **state)
{
	struct fixture fx;
	_cleanup_free_ char *doc = NULL;

	fixture_build(&fx, FX_HOSTILE | FX_ABORT);
	doc = render(report_write_html, &fx.r);
	assert_clean_text(doc);
	assert_null(strstr(doc, "<script"));
	assert_null(strstr(doc, "src="));
	assert_null(strstr(doc, "href="));
	assert_null(strstr(doc, "url("));
	/* checkout and db: latency, error rate, throughput; queue-depth: error rate, value. */
	assert_int_equal(count_of(doc, "<svg "), 8);
	assert_int_equal(count_of(doc, "class=\"marker abort\""), 8);
	/* Two applied faults shaded on each chart; the failed one is not. */
	assert_int_equal(count_of(doc, "<g class=\"fault\">"), 16);
	fixture_free(&fx);
}

/* Two hours at 50/s (360,000 samples): 15 s buckets, at most 600 points a line. */
static void test_html_bounded(void **state)
{
	struct sample_series s = { .kind = "http" };
	struct report r = { .scenario_name = "long", .verdict = "PASSED" };
	_cleanup_free_ char *doc = NULL;
	uint64_t t0 = 1000 * NSEC_PER_SEC, len = 2 * 3600 * NSEC_PER_SEC;

	s.probe = strdup("long-probe");
	assert_non_null(s.probe);
	for (uint64_t t = 0; t < len; t += 20 * NSEC_PER_MSEC) {
		struct sample x = { .t_ns = t0 + t,
				    .latency_ns = 5 * NSEC_PER_MSEC + t % 7,
				    .value = NAN };
		assert_int_equal(sample_series_add(&s, &x), 0);
	}
	r.start_ns = r.phase_start_ns[PHASE_BASELINE] = t0;
	r.end_ns = r.phase_end_ns[PHASE_BASELINE] = t0 + len;
	r.series = &s;
	r.n_series = 1;
	doc = render(report_write_html, &r);
	assert_int_equal(count_of(doc, "data-points=\"480\""), 5);
	assert_true(strlen(doc) < 200 * 1024);
	sample_series_clear(&s);
}

/* A report with nothing in it (every pointer NULL, every time 0) is still written
 * whole by every writer. */
static void test_empty_report(void **state)
{
	struct report r = { 0 };
	_cleanup_free_ char *json = render(report_write_json, &r);
	_cleanup_free_ char *junit = render(report_write_junit, &r);
	_cleanup_free_ char *html = render(report_write_html, &r);
	_cleanup_free_ char *samples = render(report_write_samples_csv, &r);
	_cleanup_json_ json_t *root = json_loads(json, JSON_REJECT_DUPLICATES, NULL);

	assert_non_null(root);
	assert_true(json_is_null(get(root, "scenario.name")));
	assert_int_equal(json_array_size(get(root, "slos")), 0);
	assert_string_equal(json_string_value(get(root, "verdict")), "UNKNOWN");
	assert_non_null(strstr(junit, "tests=\"0\" failures=\"0\" errors=\"0\" skipped=\"0\""));
	assert_non_null(strstr(html, "</html>"));
	assert_string_equal(samples, "probe,t_ms,latency_ms,status,error,value\r\n");
}

static void test_csv(void **state)
{
	struct fixture fx;
	_cleanup_free_ char *doc = NULL;

	fixture_build(&fx, 0);
	doc = render(report_write_samples_csv, &fx.r);
	assert_int_equal(count_of(doc, "\r\n"), 1 + 800 + 200 + 40);
	assert_true(strncmp(doc, "probe,t_ms,latency_ms,status,error,value\r\n", 42) == 0);
	assert_non_null(strstr(doc, "\r\ncheckout,10000.000,2000.000,0,timeout,\r\n"));
	assert_non_null(strstr(doc, "\r\nqueue-depth,20000.000,3.000,0,ok,+Inf\r\n"));
	assert_non_null(strstr(doc, "\r\nqueue-depth,5000.000,3.000,0,no_value,\r\n"));
	assert_non_null(strstr(doc, "\r\nqueue-depth,21000.000,3.000,0,ok,55\r\n"));
	fixture_free(&fx);

	fixture_build(&fx, FX_HOSTILE);
	free(doc);
	doc = render(report_write_samples_csv, &fx.r);
	assert_clean_text(doc);
	{
		static const char first[] = "\"checkout<script>alert(\"\"x\"\")";
		assert_true(strncmp(strstr(doc, "\r\n") + 2, first, strlen(first)) == 0);
	}
	fixture_free(&fx);
}

static int write_partial(const struct report *r, FILE *out)
{
	fputs("{\"half\": ", out);
	return -EIO;
}

static void test_write_path(void **state)
{
	struct fixture fx;
	char dir[] = "/tmp/faultline-report-test.XXXXXX", path[128], buf[64] = "";
	FILE *f;
	DIR *d;
	struct dirent *e;
	struct stat st;
	size_t entries = 0;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/report.json", dir);
	fixture_build(&fx, 0);

	f = fopen(path, "we");
	assert_non_null(f);
	fputs("previous", f);
	fclose(f);
	/* A writer that fails midway leaves the previous file and no temporary. */
	assert_int_equal(report_write_path(path, write_partial, &fx.r), -EIO);
	f = fopen(path, "re");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "previous");

	assert_int_equal(report_write_path(path, report_write_json, &fx.r), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	f = fopen(path, "re");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "{\n");

	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d)))
		if (!streq(e->d_name, ".") && !streq(e->d_name, ".."))
			entries++;
	closedir(d);
	assert_int_equal(entries, 1);

	snprintf(path, sizeof(path), "%s/missing/report.json", dir);
	assert_int_equal(report_write_path(path, report_write_json, &fx.r), -ENOENT);
	assert_int_equal(report_write_path("", report_write_json, &fx.r), -EINVAL);

	snprintf(path, sizeof(path), "%s/report.json", dir);
	unlink(path);
	rmdir(dir);
	fixture_free(&fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_repair),  cmocka_unit_test(test_xml_escape),
		cmocka_unit_test(test_csv_field),    cmocka_unit_test(test_format),
		cmocka_unit_test(test_stats),	     cmocka_unit_test(test_json),
		cmocka_unit_test(test_json_hostile), cmocka_unit_test(test_junit),
		cmocka_unit_test(test_html),	     cmocka_unit_test(test_html_bounded),
		cmocka_unit_test(test_csv),	     cmocka_unit_test(test_write_path),
		cmocka_unit_test(test_empty_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
