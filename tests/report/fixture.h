/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A hand-made run report for the report writers' tests: the unit tests and the
 * write_report driver (tests/report/write_report.c) build the same one.
 *
 * The run: a 10 s baseline, a 20 s fault phase and a 10 s recovery (with
 * FX_ABORT: the abort fires at 18 s, everything is reverted, and the recovery phase
 * does not run). Three probes: "checkout" (http, 20/s; 110 ms during the fault,
 * every 25th sample a 2 s timeout and every 40th a 503), "db" (tcp, 5/s; every
 * 10th connect refused during the fault) and "queue-depth" (prometheus, 1/s; no
 * value at 5 s, +Inf at 20 s). Three faults (one failed) and three SLOs. With
 * FX_HOSTILE every name and message carries markup, quotes, control bytes and
 * invalid UTF-8.
 */
#pragma once

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "sample.h"
#include "time_util.h"

#define FX_HOSTILE 1u
#define FX_ABORT 2u

#define FX_START_NS (1000 * NSEC_PER_SEC)
#define FX_REALTIME_NS (1795730400ULL * NSEC_PER_SEC) /* 2026-11-26T22:00:00Z */
#define FX_AT(ms) (FX_START_NS + (uint64_t)(ms)*NSEC_PER_MSEC)

/* Markup, quotes, an entity, a CDATA end, a comment dash pair, C0 controls, an ANSI
 * escape, a stray byte, an overlong '/', a UTF-16 surrogate, TAB, LF and a comma. */
#define FX_HOSTILE_TEXT                                                                            \
	"<script>alert(\"x\")</script> & 'q' &amp; ]]> -- \x01\x1b[31m \xff\xfe \xc0\xaf "         \
	"\xed\xa0\x80 tab\there\nline, comma"

struct fixture {
	struct report r;
	struct sample_series series[3];
	char text[16][256]; /* storage for the report's borrowed strings */
};

/* A borrowed string of the report: name, or name + the hostile text. */
static inline const char *fx_text(struct fixture *fx, unsigned *slot, unsigned flags,
				  const char *name)
{
	char *buf = fx->text[(*slot)++];

	snprintf(buf, sizeof(fx->text[0]), "%s%s", name,
		 (flags & FX_HOSTILE) ? FX_HOSTILE_TEXT : "");
	return buf;
}

static inline char *fx_strdup(unsigned flags, const char *name)
{
	char *s = NULL;

	if (asprintf(&s, "%s%s", name, (flags & FX_HOSTILE) ? FX_HOSTILE_TEXT : "") < 0)
		abort();
	return s;
}

static inline void fx_add(struct sample_series *s, uint64_t t, uint64_t latency_ns, int status,
			  enum sample_error e, double value)
{
	struct sample x = {
		.t_ns = t, .latency_ns = latency_ns, .value = value, .status = status, .error = e
	};

	if (sample_series_add(s, &x) < 0)
		abort();
}

static inline void fixture_build(struct fixture *fx, unsigned flags)
{
	struct report *r = &fx->r;
	bool aborted = flags & FX_ABORT;
	uint64_t fault_end = aborted ? 18000 : 30000, end = aborted ? 18500 : 40000;
	unsigned slot = 0, i;
	uint64_t ms;

	memset(fx, 0, sizeof(*fx));
	r->scenario_name = fx_text(fx, &slot, flags, "checkout-survives-db-latency");
	r->scenario_path = fx_text(fx, &slot, flags, "scenarios/checkout.yaml");
	r->start_ns = FX_START_NS;
	r->end_ns = FX_AT(end);
	r->start_realtime_ns = FX_REALTIME_NS;
	r->phase_start_ns[PHASE_BASELINE] = FX_AT(0);
	r->phase_end_ns[PHASE_BASELINE] = FX_AT(10000);
	r->phase_start_ns[PHASE_FAULT] = FX_AT(10000);
	r->phase_end_ns[PHASE_FAULT] = FX_AT(fault_end);
	if (!aborted) {
		r->phase_start_ns[PHASE_RECOVERY] = FX_AT(30000);
		r->phase_end_ns[PHASE_RECOVERY] = FX_AT(40000);
		r->recovered = true;
		r->recovery_time_ns = 1250 * NSEC_PER_MSEC;
		r->exit_code = 1;
		r->verdict = "FAILED";
		r->verdict_detail = fx_strdup(flags, "SLO latency failed in the fault phase");
	} else {
		r->abort = (struct report_abort){ .fired = true,
						  .slo = fx_text(fx, &slot, flags, "errors"),
						  .breached_for_ns = 5 * NSEC_PER_SEC,
						  .at_ns = FX_AT(18000) };
		r->exit_code = 3;
		r->verdict = "ABORTED";
		r->verdict_detail = fx_strdup(flags, "abort condition errors fired");
	}

	/* Probes. */
	fx->series[0].probe = fx_strdup(flags, "checkout");
	fx->series[0].kind = "http";
	fx->series[1].probe = fx_strdup(flags, "db");
	fx->series[1].kind = "tcp";
	fx->series[2].probe = fx_strdup(flags, "queue-depth");
	fx->series[2].kind = "prometheus";
	fx->series[2].last_error = fx_strdup(flags, "query returned an empty result");
	for (i = 0, ms = 0; ms < end; ms += 50, i++) {
		bool fault = ms >= 10000 && ms < fault_end;
		if (fault && i % 25 == 0)
			fx_add(&fx->series[0], FX_AT(ms), 2 * NSEC_PER_SEC, 0, SAMPLE_TIMEOUT, NAN);
		else if (fault && i % 40 == 0)
			fx_add(&fx->series[0], FX_AT(ms), 5 * NSEC_PER_MSEC, 503, SAMPLE_BAD_STATUS,
			       NAN);
		else
			fx_add(&fx->series[0], FX_AT(ms),
			       (fault ? 110000 + (i % 7) * 1000 : 10000 + (i % 7) * 500) *
				       NSEC_PER_USEC,
			       200, SAMPLE_OK, NAN);
	}
	for (i = 0, ms = 0; ms < end; ms += 200, i++) {
		bool fault = ms >= 10000 && ms < fault_end;
		fx_add(&fx->series[1], FX_AT(ms), NSEC_PER_MSEC, 0,
		       fault && i % 10 == 0 ? SAMPLE_REFUSED : SAMPLE_OK, NAN);
	}
	for (ms = 0; ms < end; ms += 1000) {
		bool fault = ms >= 10000 && ms < fault_end;
		if (ms == 5000)
			fx_add(&fx->series[2], FX_AT(ms), 3 * NSEC_PER_MSEC, 0, SAMPLE_NO_VALUE,
			       NAN);
		else
			fx_add(&fx->series[2], FX_AT(ms), 3 * NSEC_PER_MSEC, 0, SAMPLE_OK,
			       ms == 20000 ? INFINITY :
					     5.0 + (fault ? 50 : 0) + (double)(ms / 1000 % 3));
	}
	r->series = fx->series;
	r->n_series = 3;

	/* Faults. */
	r->n_faults = 3;
	r->faults = calloc(3, sizeof(*r->faults));
	if (!r->faults)
		abort();
	r->faults[0] = (struct report_fault){
		.name = fx_text(fx, &slot, flags, "db-latency"),
		.type = "network",
		.configured = fx_strdup(flags, "delay 100ms"),
		.observed = fx_strdup(flags, "p50 +100.0 ms"),
		.effect_expected = true,
		.effect_held = true,
		.applied = true,
		.reverted = true,
		.apply_ns = FX_AT(10000),
		.revert_ns = FX_AT(fault_end),
		.apply_latency_ns = 4200 * NSEC_PER_USEC,
		.revert_latency_ns = 3100 * NSEC_PER_USEC,
	};
	r->faults[1] = (struct report_fault){
		.name = fx_text(fx, &slot, flags, "kill-one-worker"),
		.type = "process.kill",
		.configured = fx_strdup(flags, "signal KILL, count 1"),
		.applied = true,
		.reverted = true,
		.apply_ns = FX_AT(15000),
		.revert_ns = FX_AT(15001),
		.apply_latency_ns = 800 * NSEC_PER_USEC,
		.revert_latency_ns = 200 * NSEC_PER_USEC,
	};
	r->faults[2] = (struct report_fault){
		.name = fx_text(fx, &slot, flags, "fill"),
		.type = "disk.fill",
		.configured = fx_strdup(flags, "free 1GiB"),
		.failed = true,
		.error = fx_strdup(flags, "ENOSPC: no space left on device"),
	};

	/* SLOs. */
	r->n_slos = 3;
	r->slos = calloc(3, sizeof(*r->slos));
	if (!r->slos)
		abort();
	r->slos[0] = (struct report_slo){
		.name = fx_text(fx, &slot, flags, "latency"),
		.probe = fx->series[0].probe,
		.objective = "p99 < 300ms",
		.fault_objective = "p99 < 1s",
		.phase = { [PHASE_BASELINE] = { SLO_PASS, 0.0135, 200 },
			   [PHASE_FAULT] = { SLO_FAIL, 2.0, aborted ? 160 : 400 },
			   [PHASE_RECOVERY] = { aborted ? SLO_NOT_EVALUATED : SLO_PASS,
						aborted ? 0 : 0.0125, aborted ? 0 : 200 } },
	};
	r->slos[1] = (struct report_slo){
		.name = fx_text(fx, &slot, flags, "errors"),
		.probe = fx->series[0].probe,
		.objective = "error_rate < 1%",
		.phase = { [PHASE_BASELINE] = { SLO_PASS, 0.0, 200 },
			   [PHASE_FAULT] = { SLO_FAIL, 0.065, aborted ? 160 : 400 },
			   [PHASE_RECOVERY] = { aborted ? SLO_NOT_EVALUATED : SLO_PASS, 0.0,
						aborted ? 0 : 200 } },
	};
	r->slos[2] = (struct report_slo){
		.name = fx_text(fx, &slot, flags, "queue"),
		.probe = fx->series[2].probe,
		.objective = "value <= 100",
		.phase = { [PHASE_BASELINE] = { SLO_PASS, 7.0, 9 },
			   [PHASE_FAULT] = { SLO_NOT_EVALUATED, 0, 0 },
			   [PHASE_RECOVERY] = { aborted ? SLO_NOT_EVALUATED : SLO_NO_DATA, 0, 0 } },
	};
}

static inline void fixture_free(struct fixture *fx)
{
	report_clear(&fx->r);
	for (unsigned i = 0; i < 3; i++)
		sample_series_clear(&fx->series[i]);
}
