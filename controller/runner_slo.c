/* SPDX-License-Identifier: Apache-2.0 */
#include "runner_slo.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "probe.h"
#include "report_terminal.h"
#include "slo.h"
#include "time_util.h"

int run_slo_start(struct run_slo *rs, const struct scenario *s, FILE *out, uint64_t start_ns,
		  uint64_t total_ns, char *err, size_t errlen)
{
	uint64_t now;
	int r;

	*rs = (struct run_slo){ .s = s, .out = out, .start_ns = start_ns, .total_ns = total_ns };
	if (!s->n_probes)
		return 0;
	rs->tty = isatty(fileno(out)) == 1;
	r = probe_engine_new(s, &rs->engine, err, errlen);
	if (r < 0)
		return r;
	rs->n_series = probe_engine_count(rs->engine);
	rs->series = calloc(rs->n_series ? rs->n_series : 1, sizeof(*rs->series));
	if (!rs->series)
		return -ENOMEM;
	for (size_t i = 0; i < rs->n_series; i++) {
		rs->series[i] = probe_engine_series(rs->engine, i);
		if (s->probes[i].timeout_ns > rs->settle_ns)
			rs->settle_ns = s->probes[i].timeout_ns;
	}
	for (size_t i = 0; i < s->n_slos; i++)
		if (s->slos[i].window_ns > rs->longest_window_ns)
			rs->longest_window_ns = s->slos[i].window_ns;
	r = slo_watch_new(s, rs->series, rs->n_series, rs->settle_ns, &rs->watch);
	if (r < 0)
		return r;
	r = probe_engine_start(rs->engine);
	if (r < 0) {
		errbuf_set(err, errlen, "cannot start the probes: %s", strerror(-r));
		return r;
	}
	now = now_monotonic_ns();
	rs->phase = PHASE_BASELINE;
	if (s->baseline_ns)
		rs->phase_start[PHASE_BASELINE] = now;
	rs->next_tick_ns = now + RUN_SLO_TICK_NS;
	rs->next_plain_status_ns = now + RUN_SLO_PLAIN_STATUS_NS;
	return 0;
}

bool run_slo_active(const struct run_slo *rs)
{
	return rs->engine != NULL;
}

int run_slo_fd(const struct run_slo *rs)
{
	return rs->engine && !rs->engine_failed ? probe_engine_fd(rs->engine) : -1;
}

uint64_t run_slo_next_ns(const struct run_slo *rs)
{
	return rs->engine ? rs->next_tick_ns : UINT64_MAX;
}

void run_slo_clear_status(struct run_slo *rs)
{
	if (rs->status_shown) {
		report_terminal_clear(rs->out, rs->tty);
		rs->status_shown = false;
	}
}

/* "[+12.300s] fault 12.3/40.0s, 1 active fault | latency p99 123.4ms < 100ms FAIL | ..." */
static void draw_status(struct run_slo *rs, uint64_t now)
{
	char line[1024], value[32];
	size_t w = 0;
	int n;

	n = snprintf(line, sizeof(line), "[%+8.3fs] %s %.1f/%.1fs, %u active fault(s)",
		     (double)(now - rs->start_ns) / 1e9, report_phase_name(rs->phase),
		     (double)(now - rs->start_ns) / 1e9, (double)rs->total_ns / 1e9,
		     rs->active_faults);
	w = n > 0 ? (size_t)n : 0;
	for (size_t i = 0; i < rs->s->n_slos && w < sizeof(line); i++) {
		const struct scenario_slo *slo = &rs->s->slos[i];
		const char *obj = rs->phase == PHASE_FAULT && slo->fault_objective_text ?
					  slo->fault_objective_text :
					  slo->objective_text;
		struct report_slo_phase v;

		if (slo_watch_rolling(rs->watch, i, rs->phase, now, &v) < 0)
			continue;
		slo_format_value(slo->objective.metric, v.value, value, sizeof(value));
		n = snprintf(line + w, sizeof(line) - w, " | %s %s (%s) %s", slo->name, value, obj,
			     v.verdict == SLO_PASS ? "ok" :
			     v.verdict == SLO_FAIL ? "BREACHED" :
						     "no data");
		if (n > 0)
			w += (size_t)n;
	}
	if (rs->tty) {
		/* Keep the line within a common terminal width so that \r redraws it. */
		if (strlen(line) > 159)
			line[159] = '\0';
		rs->status_shown = true;
	}
	report_terminal_status(rs->out, rs->tty, line);
}

static void tick(struct run_slo *rs, uint64_t now)
{
	uint64_t at;
	size_t which;
	int r;

	if (rs->phase == PHASE_FAULT && rs->s->n_aborts && !rs->aborted) {
		r = slo_watch_abort_tick(rs->watch, now, &which);
		if (r == 1) {
			rs->aborted = true;
			rs->abort_index = which;
			rs->abort_at_ns = now;
		}
	}
	if (rs->phase == PHASE_RECOVERY && rs->phase_start[PHASE_RECOVERY] && !rs->recovery &&
	    slo_watch_has_recovery(rs->watch)) {
		r = slo_watch_recovery_tick(rs->watch, rs->phase_start[PHASE_RECOVERY],
					    rs->s->recovery_within_ns, now, &at);
		if (r == 1) {
			rs->recovery = 1;
			rs->recovered_at_ns = at;
		} else if (r == -ETIME) {
			rs->recovery = -1;
		}
	}
	if (rs->tty || now >= rs->next_plain_status_ns) {
		draw_status(rs, now);
		rs->next_plain_status_ns = now + RUN_SLO_PLAIN_STATUS_NS;
	}
}

bool run_slo_poll(struct run_slo *rs, uint64_t now)
{
	if (!rs->engine)
		return false;
	if (!rs->engine_failed && probe_engine_dispatch(rs->engine) < 0) {
		/* The event loop itself broke: no more samples. The SLOs then show
		 * no data, which makes the run inconclusive rather than passed. */
		rs->engine_failed = true;
	}
	if (now >= rs->next_tick_ns) {
		tick(rs, now);
		rs->next_tick_ns = now + RUN_SLO_TICK_NS;
	}
	return rs->aborted || rs->recovery != 0;
}

void run_slo_fault_applied(struct run_slo *rs, uint64_t now)
{
	if (!rs->phase_start[PHASE_FAULT]) {
		rs->phase_start[PHASE_FAULT] = now;
		rs->phase = PHASE_FAULT;
	}
	rs->active_faults++;
}

void run_slo_fault_reverted(struct run_slo *rs, uint64_t now)
{
	if (rs->active_faults)
		rs->active_faults--;
	if (now > rs->last_revert_ns)
		rs->last_revert_ns = now;
}

int run_slo_end_baseline(struct run_slo *rs, uint64_t now, char *why, size_t len)
{
	const struct scenario *s = rs->s;
	size_t w = 0;
	int bad = 0;

	if (!rs->engine || !rs->phase_start[PHASE_BASELINE])
		return 0;
	rs->phase_end[PHASE_BASELINE] = now;
	why[0] = '\0';
	for (size_t i = 0; i < s->n_slos; i++) {
		const struct scenario_slo *slo = &s->slos[i];
		struct report_slo_phase v;
		char value[32];
		int n;

		if (!(slo->phases & SLO_PHASE_BIT(PHASE_BASELINE)))
			continue;
		if (slo_judge(&slo->objective, rs->series[slo->probe_index],
			      rs->phase_start[PHASE_BASELINE], now, &v) < 0 ||
		    v.verdict == SLO_PASS)
			continue;
		slo_format_value(slo->objective.metric, v.value, value, sizeof(value));
		n = snprintf(why + w, len > w ? len - w : 0, "%s%s %s", bad ? "; " : "", slo->name,
			     v.verdict == SLO_NO_DATA ? "had no data" : "");
		if (n > 0)
			w += (size_t)n;
		if (v.verdict == SLO_NO_DATA && rs->series[slo->probe_index]->last_error) {
			/* Say why: a query error, a server that cannot be reached. */
			n = snprintf(why + w, len > w ? len - w : 0, " (probe %s: %s)",
				     rs->series[slo->probe_index]->probe,
				     rs->series[slo->probe_index]->last_error);
			if (n > 0)
				w += (size_t)n;
		}
		if (v.verdict == SLO_FAIL) {
			n = snprintf(why + w, len > w ? len - w : 0, "was %s, objective %s", value,
				     slo->objective_text);
			if (n > 0)
				w += (size_t)n;
		}
		bad++;
	}
	return bad ? 1 : 0;
}

void run_slo_begin_recovery(struct run_slo *rs, uint64_t now)
{
	if (!rs->engine)
		return;
	rs->phase_end[PHASE_FAULT] = rs->last_revert_ns ?: now;
	rs->phase_start[PHASE_RECOVERY] = rs->last_revert_ns ?: now;
	rs->phase = PHASE_RECOVERY;
}

void run_slo_end_recovery(struct run_slo *rs, uint64_t now)
{
	if (rs->engine && rs->phase_start[PHASE_RECOVERY])
		rs->phase_end[PHASE_RECOVERY] = now;
}

bool run_slo_has_recovery(const struct run_slo *rs)
{
	return rs->engine && slo_watch_has_recovery(rs->watch);
}

uint64_t run_slo_recovery_deadline(const struct run_slo *rs)
{
	/* The last candidate's window must be complete and settled, plus two ticks. */
	return rs->phase_start[PHASE_RECOVERY] + rs->s->recovery_within_ns + rs->longest_window_ns +
	       rs->settle_ns + 2 * RUN_SLO_TICK_NS;
}

void run_slo_stop(struct run_slo *rs)
{
	run_slo_clear_status(rs);
	if (rs->engine)
		probe_engine_stop(rs->engine);
}

/* "+98.7ms" or "-0.52%": a signed difference in the metric's unit. */
static void format_delta(enum slo_metric m, double d, char *buf, size_t len)
{
	char v[32];

	slo_format_value(m, fabs(d), v, sizeof(v));
	snprintf(buf, len, "%s%s", d < 0 ? "-" : "+", v);
}

int run_slo_observe(struct run_slo *rs, const struct scenario_fault *def, uint64_t from,
		    uint64_t to, char **ret_observed, bool *ret_held)
{
	const struct scenario_effect *e = def->expect_effect;
	uint64_t bf = rs->phase_start[PHASE_BASELINE], bt = rs->phase_end[PHASE_BASELINE];
	char out[256] = "", d[48];
	size_t probe;
	double delta;
	int r;

	*ret_observed = NULL;
	*ret_held = false;
	if (!rs->engine || !bf || to <= from)
		return 0;
	if (e) {
		r = slo_watch_effect(rs->watch, e->probe_index, e->metric, bf, bt, from, to,
				     &delta);
		if (r == -ENOMEM)
			return r;
		if (r < 0) {
			snprintf(out, sizeof(out), "%s %s: no data to compare", e->probe,
				 slo_metric_name(e->metric));
		} else {
			format_delta(e->metric, delta, d, sizeof(d));
			*ret_held = e->decrease ? -delta >= e->amount : delta >= e->amount;
			snprintf(out, sizeof(out), "%s %s %s vs baseline (expected: %s)", e->probe,
				 slo_metric_name(e->metric), d, e->text);
		}
	} else {
		/* Without expect_effect: the first SLO's probe, its p50 and error rate. */
		static const enum slo_metric shown[] = { SLO_P50, SLO_ERROR_RATE };
		size_t w = 0;

		if (!rs->s->n_slos && !rs->n_series)
			return 0;
		probe = rs->s->n_slos ? rs->s->slos[0].probe_index : 0;
		for (size_t i = 0; i < ARRAY_SIZE(shown); i++) {
			int n;

			r = slo_watch_effect(rs->watch, probe, shown[i], bf, bt, from, to, &delta);
			if (r == -ENOMEM)
				return r;
			if (r < 0)
				continue;
			format_delta(shown[i], delta, d, sizeof(d));
			n = snprintf(out + w, sizeof(out) - w, "%s%s %s", w ? ", " : "",
				     slo_metric_name(shown[i]), d);
			if (n > 0 && (size_t)n < sizeof(out) - w)
				w += (size_t)n;
		}
		if (!w)
			return 0;
		snprintf(out + w, sizeof(out) - w, " on %s vs baseline", rs->s->probes[probe].name);
	}
	*ret_observed = strdup(out);
	return *ret_observed ? 0 : -ENOMEM;
}

int run_slo_fill(struct run_slo *rs, struct report *r)
{
	int k;

	if (!rs->engine)
		return 0;
	memcpy(r->phase_start_ns, rs->phase_start, sizeof(rs->phase_start));
	memcpy(r->phase_end_ns, rs->phase_end, sizeof(rs->phase_end));
	k = slo_watch_fill_report(rs->watch, rs->s->recovery_within_ns, r);
	if (k < 0)
		return k;
	if (rs->aborted) {
		const struct scenario_abort *a = &rs->s->aborts[rs->abort_index];

		r->abort = (struct report_abort){
			.fired = true,
			.slo = rs->s->slos[a->slo].name,
			.breached_for_ns = a->breached_for_ns,
			.at_ns = rs->abort_at_ns,
		};
	}
	r->recovered = rs->recovery == 1;
	r->recovery_judged = r->phase_start_ns[PHASE_RECOVERY] && slo_watch_has_recovery(rs->watch);
	if (r->recovered)
		r->recovery_time_ns = rs->recovered_at_ns - rs->phase_start[PHASE_RECOVERY];
	/* The report wants one array: shallow copies, valid while the engine lives and
	 * adds nothing (it is stopped before the report is filled). */
	free(rs->series_copy);
	rs->series_copy = calloc(rs->n_series ? rs->n_series : 1, sizeof(*rs->series_copy));
	if (!rs->series_copy)
		return -ENOMEM;
	for (size_t i = 0; i < rs->n_series; i++)
		rs->series_copy[i] = *rs->series[i];
	r->series = rs->series_copy;
	r->n_series = rs->n_series;
	return 0;
}

void run_slo_free(struct run_slo *rs)
{
	rs->watch = slo_watch_free(rs->watch);
	rs->engine = probe_engine_free(rs->engine);
	rs->series = mfree(rs->series);
	rs->series_copy = mfree(rs->series_copy);
}
