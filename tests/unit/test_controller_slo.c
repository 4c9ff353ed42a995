/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the objective parser (slo_objective.c), including hostile input,
 * and the evaluator (slo.c) on synthetic series with known answers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "sample.h"
#include "slo.h"
#include "slo_objective.h"
#include "slo_watch.h"

#define MS 1000000ULL
#define SEC 1000000000ULL

/* cmocka 1.1 has no assert_double_equal. */
#define assert_near(a, b, eps)                                                                     \
	do {                                                                                       \
		double a_ = (a), b_ = (b);                                                         \
		if (!(fabs(a_ - b_) <= (eps)))                                                     \
			fail_msg("%s: expected %.17g, found %.17g", #a, b_, a_);                   \
	} while (0)

static void expect_ok(const char *s, enum slo_metric m, enum slo_op op, double threshold)
{
	struct slo_objective o;
	char err[256] = "";
	int r = slo_objective_parse(s, &o, err, sizeof(err), NULL);

	if (r != 0)
		fail_msg("\"%s\": expected success, found %d: %s", s, r, err);
	assert_int_equal(o.metric, m);
	assert_int_equal(o.op, op);
	if (fabs(o.threshold - threshold) > 1e-12 * fmax(1, fabs(threshold)))
		fail_msg("\"%s\": expected threshold %.17g, found %.17g", s, threshold,
			 o.threshold);
}

static void expect_bad(const char *s, size_t offset, const char *substring)
{
	struct slo_objective o = { .metric = SLO_VALUE, .op = SLO_OP_NE, .threshold = 42 };
	char err[256] = "";
	size_t at = 9999;
	int r = slo_objective_parse(s, &o, err, sizeof(err), &at);

	if (r != -EINVAL)
		fail_msg("\"%s\": expected -EINVAL, found %d", s, r);
	/* Untouched on failure. */
	assert_int_equal(o.metric, SLO_VALUE);
	assert_true(o.threshold == 42);
	if (at != offset || !strstr(err, substring))
		fail_msg("\"%s\": expected offset %zu and '%s', found %zu: %s", s, offset,
			 substring, at, err);
}

static void test_objective_valid(void **state)
{
	expect_ok("p99 < 300ms", SLO_P99, SLO_OP_LT, 0.3);
	expect_ok("p50<=1.5s", SLO_P50, SLO_OP_LE, 1.5);
	expect_ok("p90 > 250us", SLO_P90, SLO_OP_GT, 250e-6);
	expect_ok("p95 >= 2m", SLO_P95, SLO_OP_GE, 120);
	expect_ok("p999 == 0s", SLO_P999, SLO_OP_EQ, 0);
	expect_ok("max != 10ms", SLO_MAX, SLO_OP_NE, 0.01);
	expect_ok("mean   <   7ms", SLO_MEAN, SLO_OP_LT, 0.007);
	expect_ok("error_rate < 1%", SLO_ERROR_RATE, SLO_OP_LT, 0.01);
	expect_ok("availability >= 99.9%", SLO_AVAILABILITY, SLO_OP_GE, 0.999);
	expect_ok("throughput >= 100/s", SLO_THROUGHPUT, SLO_OP_GE, 100);
	expect_ok("throughput > 0.5/s", SLO_THROUGHPUT, SLO_OP_GT, 0.5);
	expect_ok("value <= 0.01", SLO_VALUE, SLO_OP_LE, 0.01);
	expect_ok("value > -3", SLO_VALUE, SLO_OP_GT, -3);
	expect_ok("value == 1e-3", SLO_VALUE, SLO_OP_EQ, 1e-3);
	expect_ok("value != 2.5E+2", SLO_VALUE, SLO_OP_NE, 250);
}

static void test_objective_invalid(void **state)
{
	expect_bad("", 0, "empty string");
	expect_bad(" p99 < 1s", 0, "found a space");
	expect_bad("p98 < 1s", 0, "expected a metric");
	expect_bad("P99 < 1s", 0, "found \"P99\"");
	expect_bad("latency < 1s", 0, "found \"latency\"");
	expect_bad("p99", 3, "found nothing");
	expect_bad("p99 ~ 1s", 4, "expected a comparison");
	expect_bad("p99 => 1s", 4, "found \"=>\"");
	expect_bad("p99 << 1s", 4, "found \"<<\"");
	expect_bad("p99 = 1s", 4, "found \"=\"");
	expect_bad("p99 <", 5, "found nothing");
	expect_bad("p99 < ", 6, "found nothing");
	expect_bad("p99 < 300", 6, "p99: expected a duration");
	expect_bad("p99 < 300 ms", 9, "unit right after the number");
	expect_bad("p99 < 300ms ", 11, "trailing spaces");
	expect_bad("p99 < 300ms and p50 < 1s", 12, "found \"and p50 < 1s\"");
	expect_bad("p99 < -1ms", 6, "expected a duration");
	expect_bad("p99 < 1%", 6, "expected a duration");
	expect_bad("p99 < 31d", 6, "p99:");
	expect_bad("p99 < 9999999h", 6, "too large");
	expect_bad("error_rate < 1", 13, "expected a percentage");
	expect_bad("error_rate < 101%", 13, "too large");
	expect_bad("availability >= 0.999", 16, "expected a percentage");
	expect_bad("throughput > 100", 13, "per second");
	expect_bad("throughput > 100iops", 13, "per second");
	expect_bad("throughput > 1mbit", 13, "per second");
	expect_bad("throughput > 0/s", 13, "per second");
	expect_bad("value < abc", 8, "decimal number");
	expect_bad("value < nan", 8, "decimal number");
	expect_bad("value < inf", 8, "decimal number");
	expect_bad("value < 0x10", 8, "decimal number");
	expect_bad("value < +1", 8, "decimal number");
	expect_bad("value < 1.", 8, "decimal number");
	expect_bad("value < .5", 8, "decimal number");
	expect_bad("value < 1e", 8, "decimal number");
	expect_bad("value < 1e999", 8, "out of range");
	expect_bad("value < 1 2", 10, "found \"2\"");
	expect_bad("p99\t< 1s", 3, "expected a comparison");
	expect_bad("p99 <\n1s", 5, "found \"\\x0a1s\"");
	expect_bad("p99 < 1s\x01", 6, "expected a duration");
	expect_bad("p99 < \xff\xfe", 6, "\\xff\\xfe");
	/* Long input is refused before it is looked at. */
	char big[400];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	expect_bad(big, 0, "at most 128 bytes");
	/* The message never overflows a small buffer. */
	struct slo_objective o;
	char tiny[8];
	assert_int_equal(slo_objective_parse("p99 < zzz", &o, tiny, sizeof(tiny), NULL), -EINVAL);
	assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
	assert_int_equal(slo_objective_parse(NULL, &o, NULL, 0, NULL), -EINVAL);
}

static void test_holds(void **state)
{
	struct slo_objective o = { .metric = SLO_P99, .op = SLO_OP_LT, .threshold = 0.3 };

	assert_true(slo_objective_holds(&o, 0.299));
	assert_false(slo_objective_holds(&o, 0.3));
	assert_false(slo_objective_holds(&o, NAN));
	o.op = SLO_OP_LE;
	assert_true(slo_objective_holds(&o, 0.3));
	o.op = SLO_OP_GE;
	assert_true(slo_objective_holds(&o, 0.3));
	assert_false(slo_objective_holds(&o, 0.2));
	o.op = SLO_OP_NE;
	assert_false(slo_objective_holds(&o, NAN));
}

/* A series of n samples every 10 ms from t0; latency i+1 ms for the i-th. */
static void fill(struct sample_series *s, uint64_t t0, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct sample x = { .t_ns = t0 + i * 10 * MS,
				    .latency_ns = (i + 1) * MS,
				    .value = NAN };
		assert_int_equal(sample_series_add(s, &x), 0);
	}
}

static double compute(enum slo_metric m, const struct sample_series *s, uint64_t a, uint64_t b,
		      size_t *ret_n)
{
	double v = -1;
	size_t n = 0;

	assert_int_equal(slo_compute(m, s, a, b, &v, &n), 0);
	if (ret_n)
		*ret_n = n;
	return v;
}

static void test_percentiles(void **state)
{
	struct sample_series s = { 0 };
	size_t n;

	/* Added out of order, as completions arrive: the series sorts them. */
	for (size_t i = 100; i > 0; i--) {
		struct sample x = { .t_ns = SEC + (i - 1) * 10 * MS, .latency_ns = i * MS };
		assert_int_equal(sample_series_add(&s, &x), 0);
	}
	/* 1..100 ms: nearest rank gives exactly k ms for pk. */
	assert_near(compute(SLO_P50, &s, 0, 10 * SEC, &n), 0.050, 1e-12);
	assert_int_equal(n, 100);
	assert_near(compute(SLO_P90, &s, 0, 10 * SEC, NULL), 0.090, 1e-12);
	assert_near(compute(SLO_P95, &s, 0, 10 * SEC, NULL), 0.095, 1e-12);
	assert_near(compute(SLO_P99, &s, 0, 10 * SEC, NULL), 0.099, 1e-12);
	assert_near(compute(SLO_P999, &s, 0, 10 * SEC, NULL), 0.100, 1e-12);
	assert_near(compute(SLO_MAX, &s, 0, 10 * SEC, NULL), 0.100, 1e-12);
	assert_near(compute(SLO_MEAN, &s, 0, 10 * SEC, NULL), 0.0505, 1e-12);

	/* A window: samples 10..19 (t = 1.1 s .. 1.19 s), latencies 11..20 ms. */
	assert_near(compute(SLO_P50, &s, SEC + 100 * MS, SEC + 200 * MS, &n), 0.015, 1e-12);
	assert_int_equal(n, 10);
	assert_near(compute(SLO_MAX, &s, SEC + 100 * MS, SEC + 200 * MS, NULL), 0.020, 1e-12);
	/* [from, to): the sample at to is outside. */
	assert_near(compute(SLO_MAX, &s, SEC, SEC + 10 * MS, &n), 0.001, 1e-12);
	assert_int_equal(n, 1);

	/* One sample: every percentile is that sample. */
	assert_near(compute(SLO_P50, &s, SEC, SEC + 1, NULL), 0.001, 1e-12);
	assert_near(compute(SLO_P999, &s, SEC, SEC + 1, NULL), 0.001, 1e-12);

	/* Empty windows. */
	double v = 7;
	assert_int_equal(slo_compute(SLO_P50, &s, 0, SEC, &v, &n), -ENODATA);
	assert_int_equal(slo_compute(SLO_P50, &s, 20 * SEC, 30 * SEC, &v, &n), -ENODATA);
	assert_int_equal(slo_compute(SLO_P50, &s, 2 * SEC, SEC, &v, &n), -ENODATA);
	assert_true(v == 7);
	sample_series_clear(&s);
	assert_int_equal(slo_compute(SLO_ERROR_RATE, &s, 0, SEC, &v, &n), -ENODATA);
}

static void test_errors_and_throughput(void **state)
{
	struct sample_series s = { 0 };
	size_t n;

	/* 200 samples over 2 s (t = 0 .. 1.99 s); every 4th refused, every 10th a timeout. */
	fill(&s, 0, 200);
	for (size_t i = 0; i < 200; i++) {
		if (i % 4 == 0) {
			s.v[i].error = SAMPLE_REFUSED;
			s.v[i].latency_ns = 0;
		} else if (i % 10 == 5) {
			s.v[i].error = SAMPLE_TIMEOUT;
			s.v[i].latency_ns = 5 * SEC;
		}
	}
	/* 50 refused + 20 timeouts (i % 10 == 5 is never a multiple of 4) = 70 of 200. */
	assert_near(compute(SLO_ERROR_RATE, &s, 0, 2 * SEC, &n), 0.35, 1e-12);
	assert_int_equal(n, 200);
	assert_near(compute(SLO_AVAILABILITY, &s, 0, 2 * SEC, NULL), 0.65, 1e-12);
	/* 130 good samples in 2 s. */
	assert_near(compute(SLO_THROUGHPUT, &s, 0, 2 * SEC, NULL), 65, 1e-9);
	/* Over a 4 s window the same samples are half the rate. */
	assert_near(compute(SLO_THROUGHPUT, &s, 0, 4 * SEC, NULL), 32.5, 1e-9);
	/* Refused samples are not latency samples; timeouts are, with their latency. */
	assert_near(compute(SLO_MAX, &s, 0, 2 * SEC, &n), 5.0, 1e-12);
	assert_int_equal(n, 150);
	/* 20 of 150 at 5 s: p90 (rank 135) is a timeout, p50 is not. */
	assert_near(compute(SLO_P90, &s, 0, 2 * SEC, NULL), 5.0, 1e-12);
	assert_true(compute(SLO_P50, &s, 0, 2 * SEC, NULL) < 0.2);

	/* A window of only refused samples has no latency, but an error rate of 100%. */
	double v;
	assert_int_equal(slo_compute(SLO_P50, &s, 0, 1, &v, &n), -ENODATA);
	assert_near(compute(SLO_ERROR_RATE, &s, 0, 1, NULL), 1.0, 1e-12);
	sample_series_clear(&s);
}

static void test_value(void **state)
{
	struct sample_series s = { 0 };
	struct sample x = { .t_ns = SEC, .value = 0.5 };
	struct report_slo_phase p;
	size_t n;
	double v;

	assert_int_equal(sample_series_add(&s, &x), 0);
	x = (struct sample){ .t_ns = 2 * SEC, .value = 0.25 };
	assert_int_equal(sample_series_add(&s, &x), 0);
	x = (struct sample){ .t_ns = 3 * SEC, .value = NAN, .error = SAMPLE_NO_VALUE };
	assert_int_equal(sample_series_add(&s, &x), 0);
	x = (struct sample){ .t_ns = 4 * SEC, .value = INFINITY };
	assert_int_equal(sample_series_add(&s, &x), 0);

	/* The latest numeric value in the window; a failed sample is skipped. */
	assert_near(compute(SLO_VALUE, &s, 0, 3500 * MS, &n), 0.25, 0);
	assert_int_equal(n, 1);
	assert_near(compute(SLO_VALUE, &s, 0, 1500 * MS, NULL), 0.5, 0);
	assert_true(isinf(compute(SLO_VALUE, &s, 0, 5 * SEC, NULL)));
	assert_int_equal(slo_compute(SLO_VALUE, &s, 2500 * MS, 3500 * MS, &v, &n), -ENODATA);

	struct slo_objective o = { .metric = SLO_VALUE, .op = SLO_OP_LE, .threshold = 0.3 };
	assert_int_equal(slo_judge(&o, &s, 0, 3500 * MS, &p), 0);
	assert_int_equal(p.verdict, SLO_PASS);
	assert_int_equal(slo_judge(&o, &s, 0, 1500 * MS, &p), 0);
	assert_int_equal(p.verdict, SLO_FAIL);
	assert_near(p.value, 0.5, 0);
	assert_int_equal(slo_judge(&o, &s, 2500 * MS, 3500 * MS, &p), 0);
	assert_int_equal(p.verdict, SLO_NO_DATA);
	assert_true(isnan(p.value));
	/* +Inf fails a "<=" and passes a ">" objective. */
	assert_int_equal(slo_judge(&o, &s, 0, 5 * SEC, &p), 0);
	assert_int_equal(p.verdict, SLO_FAIL);
	o.op = SLO_OP_GT;
	assert_int_equal(slo_judge(&o, &s, 0, 5 * SEC, &p), 0);
	assert_int_equal(p.verdict, SLO_PASS);
	sample_series_clear(&s);
}

static void test_format(void **state)
{
	char buf[32];

	assert_string_equal(slo_format_value(SLO_P50, 0.0987, buf, sizeof(buf)), "98.7ms");
	assert_string_equal(slo_format_value(SLO_P50, 0.0000125, buf, sizeof(buf)), "12.5us");
	assert_string_equal(slo_format_value(SLO_MAX, 12.5, buf, sizeof(buf)), "12.50s");
	assert_string_equal(slo_format_value(SLO_ERROR_RATE, 0.0052, buf, sizeof(buf)), "0.52%");
	assert_string_equal(slo_format_value(SLO_THROUGHPUT, 49.84, buf, sizeof(buf)), "49.8/s");
	assert_string_equal(slo_format_value(SLO_VALUE, 0.013, buf, sizeof(buf)), "0.013");
	assert_string_equal(slo_format_value(SLO_VALUE, NAN, buf, sizeof(buf)), "n/a");
}

/*
 * A service answering in 1 ms every 10 ms from 1 s to 10 s, slow (500 ms) from
 * 4 s to 6.5 s; the fault runs from 4 s to 6 s. SLO: p99 < 100ms on 1 s windows,
 * abort after 1 s of breach.
 */
static void watch_fixture(struct sample_series *series, struct scenario *s,
			  struct scenario_slo *slo, struct scenario_abort *a)
{
	*series = (struct sample_series){ 0 };
	for (uint64_t t = 1 * SEC; t < 10 * SEC; t += 10 * MS) {
		struct sample x = { .t_ns = t, .latency_ns = MS, .value = NAN };
		if (t >= 4 * SEC && t < 6500 * MS)
			x.latency_ns = 500 * MS;
		assert_int_equal(sample_series_add(series, &x), 0);
	}
	*slo = (struct scenario_slo){
		.name = "latency",
		.probe = "api",
		.objective_text = "p99 < 100ms",
		.objective = { .metric = SLO_P99, .op = SLO_OP_LT, .threshold = 0.1 },
		.phases = SLO_PHASES_ALL,
		.window_ns = SEC,
	};
	*a = (struct scenario_abort){ .slo = 0, .breached_for_ns = SEC };
	*s = (struct scenario){ .slos = slo, .n_slos = 1, .aborts = a, .n_aborts = 1 };
}

static void test_watch_abort(void **state)
{
	struct sample_series series;
	struct scenario s;
	struct scenario_slo slo;
	struct scenario_abort a;
	const struct sample_series *ptr = &series;
	struct slo_watch *w = NULL;
	uint64_t fired = 0;
	size_t which = 99;

	watch_fixture(&series, &s, &slo, &a);
	assert_int_equal(slo_watch_new(&s, &ptr, 1, 100 * MS, &w), 0);
	for (uint64_t now = 2 * SEC; now < 10 * SEC && !fired; now += 100 * MS) {
		int r = slo_watch_abort_tick(w, now, &which);
		assert_true(r >= 0);
		if (r == 1)
			fired = now;
	}
	/* The first failing window ends at 4.1 s; 1 s of breach later it fires. */
	assert_int_equal(fired, 5100 * MS);
	assert_int_equal(which, 0);

	/* A looser fault objective keeps it from firing at all. */
	slo.fault_objective_text = "p99 < 1s";
	slo.fault_objective = (struct slo_objective){ SLO_P99, SLO_OP_LT, 1.0 };
	w = slo_watch_free(w);
	assert_int_equal(slo_watch_new(&s, &ptr, 1, 100 * MS, &w), 0);
	for (uint64_t now = 2 * SEC; now < 10 * SEC; now += 100 * MS)
		assert_int_equal(slo_watch_abort_tick(w, now, &which), 0);
	slo_watch_free(w);
	sample_series_clear(&series);
}

static void test_watch_recovery(void **state)
{
	struct sample_series series;
	struct scenario s;
	struct scenario_slo slo;
	struct scenario_abort a;
	const struct sample_series *ptr = &series;
	struct slo_watch *w = NULL;
	struct report rep = { 0 };
	uint64_t at = 0;

	watch_fixture(&series, &s, &slo, &a);
	assert_true(slo_watch_new(&s, &ptr, 1, 100 * MS, &w) == 0);
	assert_true(slo_watch_has_recovery(w));
	/* Not yet: the first candidate's window (6 s to 7 s) is not settled at 7 s. */
	assert_int_equal(slo_watch_recovery_tick(w, 6 * SEC, 20 * SEC, 7 * SEC, &at), 0);
	assert_int_equal(slo_watch_recovery_tick(w, 6 * SEC, 20 * SEC, 7400 * MS, &at), 0);
	/* Settled at 7.6 s: the window from 6.49 s holds one slow sample in 100, which
	 * p99 (rank 99 of 100) leaves out, so the service recovered at 6.49 s. */
	assert_int_equal(slo_watch_recovery_tick(w, 6 * SEC, 20 * SEC, 7600 * MS, &at), 1);
	assert_int_equal(at, 6490 * MS);
	assert_int_equal(slo_watch_recovery_tick(w, 6 * SEC, 20 * SEC, 9 * SEC, &at), 1);
	assert_int_equal(at, 6490 * MS);

	/* The report: baseline held, the fault broke p99, recovery held from 6.49 s. */
	rep.phase_start_ns[PHASE_BASELINE] = 1 * SEC;
	rep.phase_end_ns[PHASE_BASELINE] = 4 * SEC;
	rep.phase_start_ns[PHASE_FAULT] = 4 * SEC;
	rep.phase_end_ns[PHASE_FAULT] = 6 * SEC;
	rep.phase_start_ns[PHASE_RECOVERY] = 6 * SEC;
	rep.phase_end_ns[PHASE_RECOVERY] = 9 * SEC;
	assert_int_equal(slo_watch_fill_report(w, 20 * SEC, &rep), 0);
	assert_int_equal(rep.n_slos, 1);
	assert_int_equal(rep.slos[0].phase[PHASE_BASELINE].verdict, SLO_PASS);
	assert_int_equal(rep.slos[0].phase[PHASE_BASELINE].samples, 300);
	assert_near(rep.slos[0].phase[PHASE_BASELINE].value, 0.001, 1e-12);
	assert_int_equal(rep.slos[0].phase[PHASE_FAULT].verdict, SLO_FAIL);
	assert_near(rep.slos[0].phase[PHASE_FAULT].value, 0.5, 1e-12);
	assert_int_equal(rep.slos[0].phase[PHASE_RECOVERY].verdict, SLO_PASS);
	assert_int_equal(rep.slos[0].phase[PHASE_RECOVERY].samples, 251);
	report_clear(&rep);

	/* Within 300 ms it cannot recover: every candidate up to 6.3 s fails. */
	w = slo_watch_free(w);
	assert_true(slo_watch_new(&s, &ptr, 1, 100 * MS, &w) == 0);
	assert_int_equal(slo_watch_recovery_tick(w, 6 * SEC, 300 * MS, 9 * SEC, &at), -ETIME);
	memset(&rep, 0, sizeof(rep));
	rep.phase_start_ns[PHASE_RECOVERY] = 6 * SEC;
	rep.phase_end_ns[PHASE_RECOVERY] = 9 * SEC;
	assert_int_equal(slo_watch_fill_report(w, 300 * MS, &rep), 0);
	assert_int_equal(rep.slos[0].phase[PHASE_RECOVERY].verdict, SLO_FAIL);
	assert_int_equal(rep.slos[0].phase[PHASE_BASELINE].verdict, SLO_NOT_EVALUATED);
	report_clear(&rep);

	/* The effect of the fault on p50: +499 ms over the baseline. */
	double d = 0;
	assert_int_equal(slo_watch_effect(w, 0, SLO_P50, SEC, 4 * SEC, 4 * SEC, 6 * SEC, &d), 0);
	assert_near(d, 0.499, 1e-12);
	assert_int_equal(slo_watch_effect(w, 0, SLO_P50, 0, SEC, 4 * SEC, 6 * SEC, &d), -ENODATA);
	slo_watch_free(w);
	sample_series_clear(&series);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_objective_valid),
		cmocka_unit_test(test_objective_invalid),
		cmocka_unit_test(test_holds),
		cmocka_unit_test(test_percentiles),
		cmocka_unit_test(test_errors_and_throughput),
		cmocka_unit_test(test_value),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_watch_abort),
		cmocka_unit_test(test_watch_recovery),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
