/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the terminal summary and the status line (report_terminal.c) on a
 * hand-made report: one row per SLO and phase that was judged, values in each
 * metric's unit, the faults' effects, abort, recovery time and the verdict.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "report_terminal.h"

#define SEC 1000000000ULL

static char *summary_of(const struct report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	report_terminal_summary(r, f);
	fclose(f);
	return buf;
}

static void expect_line(const char *text, const char *line)
{
	if (!strstr(text, line))
		fail_msg("expected the line\n%s\nin\n%s", line, text);
}

static void test_summary(void **state)
{
	struct report_slo slos[2] = {
		{ .name = "latency",
		  .probe = "api",
		  .objective = "p99 < 300ms",
		  .phase = { [PHASE_BASELINE] = { SLO_PASS, 0.0123, 500 },
			     [PHASE_FAULT] = { SLO_FAIL, 0.4567, 1500 },
			     [PHASE_RECOVERY] = { SLO_NOT_EVALUATED, NAN, 0 } } },
		{ .name = "errors",
		  .probe = "api",
		  .objective = "error_rate < 1%",
		  .fault_objective = "error_rate < 10%",
		  .phase = { [PHASE_BASELINE] = { SLO_NO_DATA, NAN, 0 },
			     [PHASE_FAULT] = { SLO_PASS, 0.0525, 1500 },
			     [PHASE_RECOVERY] = { SLO_PASS, 0, 300 } } },
	};
	struct report_fault faults[2] = {
		{ .name = "db-latency",
		  .type = "network",
		  .configured = "delay 100ms",
		  .observed = "p50 +98.7ms",
		  .effect_expected = true,
		  .effect_held = true,
		  .applied = true },
		{ .name = "never", .type = "process.kill" },
	};
	struct report r = {
		.start_ns = 10 * SEC,
		.slos = slos,
		.n_slos = 2,
		.faults = faults,
		.n_faults = 2,
		.abort = { .fired = true,
			   .slo = "errors",
			   .breached_for_ns = 5 * SEC,
			   .at_ns = 27300000000ULL },
		.phase_start_ns = { [PHASE_RECOVERY] = 40 * SEC },
		.recovered = true,
		.recovery_time_ns = 1234000000ULL,
		.verdict = "ABORTED",
		.verdict_detail = "abort condition fired",
	};
	char *text = summary_of(&r);

	expect_line(text, "SLO      phase          value  objective                   result\n");
	expect_line(
		text,
		"latency  baseline      12.3ms  p99 < 300ms                 pass (500 samples)\n");
	expect_line(
		text,
		"latency  fault        456.7ms  p99 < 300ms                 FAIL (1500 samples)\n");
	/* The fault phase shows the objective it was judged against. */
	expect_line(
		text,
		"errors   fault          5.25%  error_rate < 10%            pass (1500 samples)\n");
	expect_line(
		text,
		"errors   baseline         n/a  error_rate < 1%             NO DATA (0 samples)\n");
	assert_null(strstr(text, "latency  recovery"));
	/* NO DATA is explained, here without a message from the probe. */
	expect_line(text, "errors: no data: probe api took no usable sample\n");
	assert_null(strstr(text, "latency: no data"));
	expect_line(
		text,
		"fault db-latency: configured: delay 100ms; observed: p50 +98.7ms (expect_effect held)\n");
	assert_null(strstr(text, "fault never"));
	expect_line(text, "aborted: slo errors was breached for 5.0 s, at +17.300 s\n");
	expect_line(text, "recovery time: 1.234 s (every SLO held again after the last revert)\n");
	expect_line(text, "verdict: ABORTED: abort condition fired\n");
	free(text);

	/* With the probe's last error, the line repeats it. */
	struct sample_series series = { .probe = "api",
					.last_error = "prometheus query error "
						      "(bad_data): parse error" };
	r.series = &series;
	r.n_series = 1;
	text = summary_of(&r);
	expect_line(text,
		    "errors: no data: probe api: prometheus query error (bad_data): parse error\n");
	assert_string_equal(report_probe_last_error(&r, "api"), series.last_error);
	assert_null(report_probe_last_error(&r, "other"));
	free(text);

	/* Not recovered; no SLOs: only the verdict and the recovery line. */
	r = (struct report){ .phase_start_ns = { [PHASE_RECOVERY] = 1 },
			     .recovery_judged = true,
			     .verdict = "FAILED" };
	text = summary_of(&r);
	assert_string_equal(text, "recovery time: not recovered within the recovery phase\n"
				  "verdict: FAILED\n");
	free(text);

	/* A recovery phase without an SLO of it: nothing was measured. */
	r.recovery_judged = false;
	r.verdict = "PASSED";
	text = summary_of(&r);
	assert_string_equal(text,
			    "recovery time: not measured (no SLO is judged in the recovery phase)\n"
			    "verdict: PASSED\n");
	free(text);
}

static void test_status(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	report_terminal_status(f, false, "[  +1.000s] fault");
	report_terminal_clear(f, false);
	report_terminal_status(f, true, "[  +1.100s] fault");
	report_terminal_clear(f, true);
	fclose(f);
	/* Plain lines elsewhere; on a TTY the line is redrawn in place and erased. */
	assert_string_equal(buf, "[  +1.000s] fault\n\r\033[K[  +1.100s] fault\r\033[K");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_status),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
