/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to the runner: the probes and SLOs of a run. It owns the probe engine
 * and the SLO watch, keeps the phase boundaries, judges abort conditions and
 * recovery every RUN_SLO_TICK_NS, draws the live status line, and fills the SLO
 * part of the report. A scenario without probes leaves it inactive: every call
 * is then a no-op and the runner behaves as before.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "report.h"
#include "scenario.h"
#include "slo_watch.h"

struct probe_engine;

/* How often SLOs are judged while a scenario runs. */
#define RUN_SLO_TICK_NS (100ULL * 1000000ULL)
/* How often the status line is written when out is not a TTY. */
#define RUN_SLO_PLAIN_STATUS_NS (2000ULL * 1000000ULL)

struct run_slo {
	const struct scenario *s;
	FILE *out;
	bool tty;
	bool status_shown; /* a TTY status line is on screen */
	uint64_t start_ns; /* the run's start, for timestamps */
	uint64_t total_ns; /* the planned length of the run, for the status line */
	struct probe_engine *engine;
	const struct sample_series **series; /* series[i] of s->probes[i] */
	size_t n_series;
	struct sample_series *series_copy; /* shallow copies for the report; the array owned */
	struct slo_watch *watch;
	uint64_t settle_ns; /* the longest probe timeout */
	uint64_t longest_window_ns;
	uint64_t next_tick_ns, next_plain_status_ns;
	enum report_phase phase;
	uint64_t phase_start[PHASE_COUNT], phase_end[PHASE_COUNT];
	uint64_t last_revert_ns;
	unsigned active_faults;
	bool engine_failed;
	/* Abort conditions. */
	bool aborted;
	size_t abort_index;
	uint64_t abort_at_ns;
	/* Recovery: 0 still pending, 1 recovered at recovered_at_ns, -1 not within. */
	int recovery;
	uint64_t recovered_at_ns;
};

/*
 * Creates and starts the probe engine for s (after the controller dropped root)
 * and the SLO watch; the baseline phase starts now. Returns 0 (also when s has no
 * probes: inactive), or -errno with a message in err.
 */
int run_slo_start(struct run_slo *rs, const struct scenario *s, FILE *out, uint64_t start_ns,
		  uint64_t total_ns, char *err, size_t errlen);

bool run_slo_active(const struct run_slo *rs);

/* The fd to poll (POLLIN), or -1 when inactive. */
int run_slo_fd(const struct run_slo *rs);

/* When run_slo_poll() wants to run next (monotonic), or UINT64_MAX when inactive. */
uint64_t run_slo_next_ns(const struct run_slo *rs);

/*
 * Lets the probes work and, when a tick is due, judges the abort conditions (in
 * the fault phase) or the recovery (in the recovery phase) and redraws the status.
 * Returns true when the runner should stop waiting: an abort condition fired, or
 * recovery is decided either way.
 */
bool run_slo_poll(struct run_slo *rs, uint64_t now);

/* The runner reports applies and reverts as they happen. The first apply starts
 * the fault phase. */
void run_slo_fault_applied(struct run_slo *rs, uint64_t now);
void run_slo_fault_reverted(struct run_slo *rs, uint64_t now);

/*
 * Ends the baseline at now and judges it. Returns 0 when every SLO of the
 * baseline held (or there is none), or 1 with why written when the run is
 * inconclusive: an SLO failed or had no data.
 */
int run_slo_end_baseline(struct run_slo *rs, uint64_t now, char *why, size_t len);

/* Starts the recovery phase at the last revert (or now), and ends it. */
void run_slo_begin_recovery(struct run_slo *rs, uint64_t now);
void run_slo_end_recovery(struct run_slo *rs, uint64_t now);

/* Whether recovery is judged (some SLO applies to the recovery phase), and the
 * latest time the runner needs to wait for a verdict on it. */
bool run_slo_has_recovery(const struct run_slo *rs);
uint64_t run_slo_recovery_deadline(const struct run_slo *rs);

/* Stops the probes (waits for samples in flight, bounded by their timeouts). */
void run_slo_stop(struct run_slo *rs);

/*
 * What the probes saw of a fault between from and to, against the baseline:
 * *ret_observed ("p50 +98.7ms, error_rate +0.00%"; owned; NULL when not measured)
 * and, when def has expect_effect, whether it held. Returns 0 or -ENOMEM.
 */
int run_slo_observe(struct run_slo *rs, const struct scenario_fault *def, uint64_t from,
		    uint64_t to, char **ret_observed, bool *ret_held);

/* Fills the SLO part of r: phases, SLO verdicts, abort, recovery, series. */
int run_slo_fill(struct run_slo *rs, struct report *r);

/* Erases the TTY status line before other output. */
void run_slo_clear_status(struct run_slo *rs);

void run_slo_free(struct run_slo *rs);
