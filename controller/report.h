/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The outcome of a run, as every report writer sees it (design.md §6).
 *
 * The runner and the SLO evaluator fill a struct report; the writers (terminal
 * summary, --json, --junit, --html, --samples) only read it. It is plain data so
 * that writers can be tested on hand-made reports. Times are nanoseconds on
 * CLOCK_MONOTONIC unless the name says otherwise; start_realtime_ns maps them to
 * wall-clock time (wall = start_realtime_ns + (t - start_ns)).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sample.h"

enum report_phase {
	PHASE_BASELINE, /* before the first apply */
	PHASE_FAULT, /* from the first apply to the last revert */
	PHASE_RECOVERY, /* from the last revert until recovery is known (docs/report.md) */
	PHASE_COUNT,
};

/* "baseline", "fault", "recovery". */
const char *report_phase_name(enum report_phase p);

enum slo_verdict {
	SLO_NOT_EVALUATED, /* the phase did not run, or the SLO does not apply to it */
	SLO_NO_DATA, /* the phase ran but the probe took no usable sample */
	SLO_PASS,
	SLO_FAIL,
};

struct report_slo_phase {
	enum slo_verdict verdict;
	double value; /* in the objective's unit: seconds for latency, a fraction 0..1 for
		       * rates, per second for throughput, the number for value */
	size_t samples; /* samples the value was computed from */
};

struct report_slo {
	const char *name; /* these point into the scenario, which outlives the report */
	const char *probe;
	const char *objective; /* as written: "p99 < 300ms" */
	const char *fault_objective; /* looser objective for the fault phase, or NULL */
	struct report_slo_phase phase[PHASE_COUNT];
};

struct report_fault {
	const char *name;
	const char *type;
	char *configured; /* "delay 100ms, jitter 10ms", owned */
	char *observed; /* "p50 +98.7 ms", owned; NULL when not measured */
	bool effect_expected; /* expect_effect was given */
	bool effect_held; /* ... and held */
	bool applied, reverted, failed;
	uint64_t apply_ns, revert_ns; /* 0 when it did not happen */
	uint64_t apply_latency_ns; /* request sent to reply received */
	uint64_t revert_latency_ns;
	char *error; /* apply or revert failure, owned; NULL when none */
};

struct report_abort {
	bool fired;
	const char *slo; /* the condition's SLO name */
	uint64_t breached_for_ns; /* as configured */
	uint64_t at_ns; /* when it fired */
};

struct report {
	const char *scenario_name;
	const char *scenario_path;
	uint64_t start_ns, end_ns;
	uint64_t start_realtime_ns; /* CLOCK_REALTIME at start_ns */
	/* Phase boundaries; 0 when the phase did not run. */
	uint64_t phase_start_ns[PHASE_COUNT], phase_end_ns[PHASE_COUNT];
	bool recovered; /* every SLO held again on a rolling window */
	bool recovery_judged; /* the recovery phase ran with an SLO of it: recovered
			       * false then means "did not recover", not "not measured" */
	uint64_t recovery_time_ns; /* last revert to recovered; meaningful when recovered */
	struct report_abort abort;
	int exit_code; /* enum exit_code of cmd.h */
	const char *verdict; /* "PASSED", "FAILED", "INCONCLUSIVE", "ABORTED", ... */
	char *verdict_detail; /* one sentence, owned; may be NULL */
	struct report_slo *slos; /* owned array */
	size_t n_slos;
	struct report_fault *faults; /* owned array */
	size_t n_faults;
	const struct sample_series *series; /* the probes' samples, owned by the probes */
	size_t n_series;
};

/* The latest failure message of the probe named probe (a Prometheus or connection
 * error, for example), or NULL when it has none or there is no such probe. */
const char *report_probe_last_error(const struct report *r, const char *probe);

/* Frees what the report owns (not the struct itself, nor what it points into). */
void report_clear(struct report *r);
