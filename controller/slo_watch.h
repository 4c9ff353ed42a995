/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SLO watch: what the runner asks of the SLOs while a scenario runs, and the
 * SLO part of the report at its end (design.md §6). It only reads the probes'
 * series; the runner owns the clock and calls it every 100 ms.
 *
 * - Phase verdicts: each SLO is judged over the whole of each phase it applies to
 *   (baseline: start of the run to the first apply; fault: first apply to last
 *   revert, against fault_objective when given; recovery: see below).
 * - Abort conditions: at each tick the SLO is judged on the rolling window
 *   [now - window, now) against the objective of the fault phase. A failing
 *   window starts a breach (at that tick) and a passing one ends it; a window
 *   without data leaves the state as it was. The condition fires at the first
 *   tick at which the breach has lasted breached_for.
 * - Recovery: candidate start times T are the last revert and every 10 ms after
 *   it. The service has recovered at the first T at which every SLO of the
 *   recovery phase holds on the forward window [T, T + window) (each SLO with its
 *   own window). A candidate is judged only once its windows are complete and
 *   the probes' timeout has passed after them, so that no sample of the window is
 *   still in flight. recovery time = T - last revert, with a resolution of 10 ms.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "report.h"
#include "sample.h"
#include "scenario.h"

/* The step between recovery candidates. */
#define SLO_RECOVERY_STEP_NS (10ULL * 1000000ULL)

struct slo_watch;

/*
 * series[i] points to the series of s->probes[i] (n_series == s->n_probes); both must
 * outlive the watch. settle_ns is how long after a window's end its samples may
 * still arrive (the longest probe timeout). Returns 0 and *ret, or -ENOMEM.
 */
int slo_watch_new(const struct scenario *s, const struct sample_series *const *series,
		  size_t n_series, uint64_t settle_ns, struct slo_watch **ret);

struct slo_watch *slo_watch_free(struct slo_watch *w);

/* Judges SLO i on the rolling window ending at now, against the objective of
 * phase p, into *ret (for the live status line). Returns 0 or -ENOMEM. */
int slo_watch_rolling(struct slo_watch *w, size_t i, enum report_phase p, uint64_t now,
		      struct report_slo_phase *ret);

/*
 * One abort tick at now, during the fault phase. Returns 1 and *ret_abort (index
 * in s->aborts) when a condition fires, 0 when none does, or -ENOMEM.
 */
int slo_watch_abort_tick(struct slo_watch *w, uint64_t now, size_t *ret_abort);

/*
 * One recovery tick at now, after the last revert at revert_ns. Returns 1 and
 * *ret_at when the service has recovered (see above), 0 when not yet, or -ENOMEM.
 * Candidates later than revert_ns + within_ns are not considered: once every
 * candidate up to there is judged and failed, returns -ETIME.
 */
int slo_watch_recovery_tick(struct slo_watch *w, uint64_t revert_ns, uint64_t within_ns,
			    uint64_t now, uint64_t *ret_at);

/* Whether recovery is measured at all: some SLO applies to the recovery phase. */
bool slo_watch_has_recovery(const struct slo_watch *w);

/*
 * Fills r->slos (allocated; r owns it) with the phase verdicts, from the phase
 * boundaries already in r (phase_start_ns/phase_end_ns, 0 when a phase did not
 * run). The recovery phase of each SLO is judged from the SLO's own recovery
 * point (or the revert when it never recovered) to the phase's end, and fails when
 * it did not recover within within_ns. Returns 0 or -ENOMEM.
 */
int slo_watch_fill_report(struct slo_watch *w, uint64_t within_ns, struct report *r);

/*
 * The effect a fault had on metric m of probe p: the value over [from, to) minus
 * the value over the baseline [base_from, base_to). Returns 0 and *ret_delta, or
 * -ENODATA when either window has no data, or -ENOMEM.
 */
int slo_watch_effect(struct slo_watch *w, size_t probe, enum slo_metric m, uint64_t base_from,
		     uint64_t base_to, uint64_t from, uint64_t to, double *ret_delta);
