/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the SLO part of the scenario schema (scenario_slos.c): slos,
 * abort_when and expect_effect, with their defaults, cross-checks against the
 * probes, and error positions inside objective strings.
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

#include "diag.h"
#include "macro.h"
#include "report.h"
#include "scenario.h"
#include "scenario_assert.h"

#define HEAD                                                                                       \
	"version: 1\n"                                                                             \
	"name: t\n"                                                                                \
	"phases: {baseline: 2s, recovery: {within: 5s}}\n"                                         \
	"probes:\n"                                                                                \
	"  api: {http: {url: \"http://127.0.0.1:8080/\"}}\n"                                       \
	"  prom: {prometheus: {url: \"http://127.0.0.1:9090\", query: up}}\n"                      \
	"  cmd: {command: {argv: [\"true\"]}}\n"
/* HEAD is 7 lines; a test's own lines start at 8. */
#define FAULT                                                                                      \
	"faults:\n"                                                                                \
	"  - {name: p, type: process.pause, duration: 1s, target: {pid: 1234}}\n"

static void test_slos_valid(void **state)
{
	_cleanup_(scenario_freep) struct scenario *s = expect_valid(
		HEAD "slos:\n"
		     "  - {name: latency, probe: api, objective: \"p99 < 300ms\"}\n"
		     "  - name: errors\n"
		     "    probe: api\n"
		     "    objective: error_rate < 1%\n"
		     "    fault_objective: \"error_rate <= 20%\"\n"
		     "    phases: [fault, recovery]\n"
		     "    window: 2.5s\n"
		     "  - {name: up, probe: prom, objective: \"value >= 1\"}\n"
		     "abort_when:\n"
		     "  - {slo: errors, breached_for: 1.5s}\n"
		     "faults:\n"
		     "  - name: p\n"
		     "    type: process.pause\n"
		     "    duration: 1s\n"
		     "    target: {pid: 1234}\n"
		     "    expect_effect: {probe: api, metric: p50, increase_at_least: 50ms}\n"
		     "  - name: q\n"
		     "    type: process.pause\n"
		     "    duration: 1s\n"
		     "    target: {pid: 1234}\n"
		     "    expect_effect: {probe: api, metric: availability, decrease_at_least: "
		     "5%}\n");

	assert_int_equal(s->n_slos, 3);
	assert_string_equal(s->slos[0].name, "latency");
	assert_string_equal(s->slos[0].probe, "api");
	assert_int_equal(s->slos[0].probe_index, 0);
	assert_string_equal(s->slos[0].objective_text, "p99 < 300ms");
	assert_int_equal(s->slos[0].objective.metric, SLO_P99);
	assert_true(s->slos[0].objective.threshold == 0.3);
	assert_null(s->slos[0].fault_objective_text);
	assert_int_equal(s->slos[0].phases, SLO_PHASES_ALL);
	assert_int_equal(s->slos[0].window_ns, 1000000000ULL);
	assert_int_equal(s->slos[0].line, 9);
	assert_int_equal(s->slos[0].col, 5);

	assert_string_equal(s->slos[1].fault_objective_text, "error_rate <= 20%");
	assert_int_equal(s->slos[1].fault_objective.op, SLO_OP_LE);
	assert_true(fabs(s->slos[1].fault_objective.threshold - 0.2) < 1e-15);
	assert_int_equal(s->slos[1].phases,
			 SLO_PHASE_BIT(PHASE_FAULT) | SLO_PHASE_BIT(PHASE_RECOVERY));
	assert_int_equal(s->slos[1].window_ns, 2500000000ULL);
	assert_int_equal(s->slos[2].probe_index, 1);
	assert_int_equal(s->slos[2].objective.metric, SLO_VALUE);

	assert_int_equal(s->n_aborts, 1);
	assert_int_equal(s->aborts[0].slo, 1);
	assert_int_equal(s->aborts[0].breached_for_ns, 1500000000ULL);

	assert_non_null(s->faults[0].expect_effect);
	assert_int_equal(s->faults[0].expect_effect->metric, SLO_P50);
	assert_false(s->faults[0].expect_effect->decrease);
	assert_true(fabs(s->faults[0].expect_effect->amount - 0.05) < 1e-15);
	assert_string_equal(s->faults[0].expect_effect->text, "api p50 increases by at least 50ms");
	assert_true(s->faults[1].expect_effect->decrease);
	assert_true(fabs(s->faults[1].expect_effect->amount - 0.05) < 1e-15);
}

static void test_slos_errors(void **state)
{
	/* Positions inside objectives: plain and quoted. */
	expect_error(HEAD "slos:\n  - {name: a, probe: api, objective: p99 < 300}\n" FAULT, 9, 44,
		     "objective: p99: expected a duration");
	expect_error(HEAD "slos:\n  - {name: a, probe: api, objective: \"p99 < 300 ms\"}\n" FAULT,
		     9, 48, "unit right after the number");
	expect_error(HEAD "slos:\n  - {name: a, probe: api, objective: \"latency < 1s\"}\n" FAULT,
		     9, 39, "expected a metric");
	expect_error(HEAD "slos:\n  - {name: a, probe: api, objective: 'p99 ~ 1s'}\n" FAULT, 9, 43,
		     "expected a comparison");
	expect_error(HEAD "slos:\n  - {name: a, probe: api, objective: [p99]}\n" FAULT, 9, 38,
		     "objective: expected a string, found a sequence");
	/* Cross-checks with the probes. */
	expect_error(HEAD "slos:\n  - {name: a, probe: nope, objective: \"p99 < 1s\"}\n" FAULT, 9,
		     22, "no probe named nope; expected one of: api, prom, cmd");
	expect_error(HEAD "slos:\n  - {name: a, probe: api, objective: \"value < 1\"}\n" FAULT, 9,
		     38, "value needs a prometheus probe or a command probe");
	expect_error(HEAD "slos:\n  - {name: a, probe: cmd, objective: \"value < 1\"}\n" FAULT, 9,
		     38, "without 'value: true'");
	expect_error(HEAD "slos:\n  - {name: a, probe: prom, objective: \"max < 1s\"}\n" FAULT, 9,
		     39, "max is a latency metric, but probe 'prom' is a prometheus query");
	/* The schema. */
	expect_error(HEAD "slos: []\n" FAULT, 8, 7, "expected a non-empty list of SLOs");
	expect_error(HEAD
		     "slos:\n  - {name: \"a b\\e\", probe: api, objective: \"p99 < 1s\"}\n" FAULT,
		     9, 12,
		     "slos.name: expected a string without control characters, found the "
		     "string \"a b\\x1b\"");
	expect_error(HEAD "slos:\n  - {probe: api, objective: \"p99 < 1s\"}\n" FAULT, 9, 5,
		     "missing key 'name' in slo");
	expect_error(HEAD "slos:\n  - {name: a, objective: \"p99 < 1s\"}\n" FAULT, 9, 5,
		     "missing key 'probe' in slo");
	expect_error(HEAD "slos:\n  - {name: a, probe: api}\n" FAULT, 9, 5,
		     "missing key 'objective' in slo");
	expect_error(HEAD
		     "slos:\n  - {name: a, probe: api, objective: \"p99 < 1s\", obj: 1}\n" FAULT,
		     9, 50, "unknown key 'obj' in slo; expected one of: fault_objective, name");
	expect_error(HEAD "slos:\n  - {name: a, probe: api, objective: \"p99 < 1s\"}\n"
			  "  - {name: a, probe: api, objective: \"p50 < 1s\"}\n" FAULT,
		     10, 12, "duplicate slo name 'a', first at 9:12");
	expect_error(HEAD "slos:\n  - {name: a, probe: api, objective: \"p99 < 1s\", "
			  "fault_objective: \"p50 < 2s\"}\n" FAULT,
		     9, 67, "fault_objective: expected the objective's metric (p99)");
	expect_error(HEAD "slos:\n  - {name: a, probe: api, objective: \"p99 < 1s\", "
			  "fault_objective: \"p99 < 2s\", phases: [baseline]}\n" FAULT,
		     9, 67, "which this slo's phases leave out");
	expect_error(
		HEAD
		"slos:\n  - {name: a, probe: api, objective: \"p99 < 1s\", phases: []}\n" FAULT,
		9, 58, "phases: expected a list of phases");
	expect_error(
		HEAD
		"slos:\n  - {name: a, probe: api, objective: \"p99 < 1s\", window: 2h}\n" FAULT,
		9, 58, "window: expected from 100ms to 1h, found 2h");
	/* abort_when. */
	expect_error(HEAD "slos:\n  - {name: a, probe: api, objective: \"p99 < 1s\"}\n"
			  "abort_when: [{slo: b, breached_for: 1s}]\n" FAULT,
		     10, 20, "abort_when.slo: no slo named b");
	expect_error(HEAD "abort_when: [{slo: b, breached_for: 1s}]\n" FAULT, 8, 20,
		     "the scenario defines no slos");
	expect_error(HEAD "slos:\n  - {name: a, probe: api, objective: \"p99 < 1s\"}\n"
			  "abort_when: [{slo: a}]\n" FAULT,
		     10, 14, "missing key 'breached_for' in abort_when");
	expect_error(HEAD "slos:\n  - {name: a, probe: api, objective: \"p99 < 1s\", phases: "
			  "[recovery]}\n"
			  "abort_when: [{slo: a, breached_for: 1s}]\n" FAULT,
		     10, 20, "is not judged in the fault phase");
	/* expect_effect. */
	expect_error(HEAD "faults:\n  - {name: p, type: process.pause, duration: 1s, target: {pid: "
			  "1234}, expect_effect: {probe: api, metric: p50}}\n",
		     9, 86, "missing key 'increase_at_least' in expect_effect");
	expect_error(HEAD
		     "faults:\n  - {name: p, type: process.pause, duration: 1s, target: {pid: "
		     "1234}, expect_effect: {probe: api, metric: p50, increase_at_least: 0ms}}\n",
		     9, 131, "expected an amount above 0");
	expect_error(HEAD
		     "faults:\n  - {name: p, type: process.pause, duration: 1s, target: {pid: "
		     "1234}, expect_effect: {probe: api, metric: p50, increase_at_least: 5%}}\n",
		     9, 131, "expect_effect.increase_at_least: expected a duration");
	expect_error(HEAD
		     "faults:\n  - {name: p, type: process.pause, duration: 1s, target: {pid: "
		     "1234}, expect_effect: {probe: api, metric: lat, increase_at_least: 5ms}}\n",
		     9, 107, "expect_effect.metric: expected p50");
	expect_error("version: 1\nname: t\nprobes: {api: {http: {url: \"http://127.0.0.1/\"}}}\n"
		     "faults:\n  - {name: p, type: process.pause, duration: 1s, target: {pid: "
		     "1234}, expect_effect: {probe: api, metric: p50, increase_at_least: 5ms}}\n",
		     5, 86, "expected phases.baseline");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slos_valid),
		cmocka_unit_test(test_slos_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
