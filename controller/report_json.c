/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The JSON report (docs/report.md, "JSON"). Times are milliseconds relative to the
 * run's start, rounded to the microsecond; absent values are null, never omitted,
 * so that consumers see one shape. JSON has no NaN or infinities: such values are
 * the strings "NaN", "+Inf" and "-Inf", as Prometheus writes them.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>

#include "macro.h"
#include "protocol.h"
#include "report_stats.h"
#include "report_text.h"
#include "report_writers.h"

#define SCHEMA_VERSION 1

/* A string with invalid UTF-8 repaired (jansson refuses it), or null for NULL. */
static json_t *jstr(const char *s)
{
	_cleanup_free_ char *fixed = NULL;

	if (!s)
		return json_null();
	fixed = report_utf8_repair(s);
	return fixed ? json_string(fixed) : NULL;
}

/* A number; NaN and infinities as strings. */
static json_t *jnum(double v)
{
	if (isnan(v))
		return json_string("NaN");
	if (isinf(v))
		return json_string(v > 0 ? "+Inf" : "-Inf");
	return json_real(v);
}

/* Nanoseconds as milliseconds with microsecond resolution. */
static json_t *jms(double ns)
{
	return jnum(round(ns / 1e3) / 1e3);
}

/* A run-relative time in ms, or null when the instant is 0 (did not happen). */
static json_t *jat(const struct report *r, uint64_t t)
{
	return t ? jnum(round(report_rel_ms(r, t) * 1e3) / 1e3) : json_null();
}

static json_t *summary_json(const struct probe_summary *s, const struct report *r)
{
	json_t *errors = json_object(), *latency, *values;

	if (!errors)
		return NULL;
	for (unsigned e = SAMPLE_OK + 1; e < SAMPLE_ERROR_COUNT; e++)
		if (json_object_set_new(errors, sample_error_name(e),
					json_integer((json_int_t)s->errors[e])) < 0) {
			json_decref(errors);
			return NULL;
		}
	if (s->n_latency)
		latency = json_pack("{s:I, s:o, s:o, s:o, s:o, s:o}", "samples",
				    (json_int_t)s->n_latency, "p50", jms((double)s->p50_ns), "p90",
				    jms((double)s->p90_ns), "p99", jms((double)s->p99_ns), "max",
				    jms((double)s->max_ns), "mean", jms(s->mean_ns));
	else
		latency = json_null();
	if (s->n_values)
		values = json_pack("{s:I, s:o, s:o, s:o}", "count", (json_int_t)s->n_values, "last",
				   jnum(s->last_value), "min", jnum(s->min_value), "max",
				   jnum(s->max_value));
	else
		values = json_pack("{s:i, s:n, s:n, s:n}", "count", 0, "last", "min", "max");
	return json_pack("{s:o, s:o, s:I, s:I, s:o, s:o, s:o, s:o, s:o}", "start_ms",
			 jat(r, s->start_ns), "end_ms", jat(r, s->end_ns), "count",
			 (json_int_t)s->count, "ok", (json_int_t)s->ok, "errors", errors,
			 "error_rate", jnum(s->error_rate), "throughput_per_s", jnum(s->throughput),
			 "latency_ms", latency, "values", values);
}

static json_t *probes_json(const struct report *r)
{
	_cleanup_json_ json_t *arr = json_array();

	if (!arr)
		return NULL;
	for (size_t i = 0; i < r->n_series; i++) {
		const struct sample_series *s = &r->series[i];
		struct probe_summary sum;
		json_t *phases = json_object(), *whole, *probe;
		int ret;

		if (!phases)
			return NULL;
		for (enum report_phase p = 0; p < PHASE_COUNT; p++) {
			uint64_t a, b;
			json_t *v = json_null();

			if (report_phase_ran(r, p)) {
				report_phase_window(r, p, &a, &b);
				ret = probe_summary_compute(s, a, b, &sum);
				v = ret < 0 ? NULL : summary_json(&sum, r);
			}
			if (json_object_set_new(phases, report_phase_name(p), v) < 0) {
				json_decref(phases);
				return NULL;
			}
		}
		ret = probe_summary_compute(s, r->start_ns, r->end_ns, &sum);
		whole = ret < 0 ? NULL : summary_json(&sum, r);
		probe = json_pack("{s:o, s:o, s:I, s:o, s:o, s:o}", "name", jstr(s->probe), "kind",
				  jstr(s->kind ?: "unknown"), "samples", (json_int_t)s->n,
				  "last_error", jstr(s->last_error), "phases", phases, "run",
				  whole);
		if (json_array_append_new(arr, probe) < 0)
			return NULL;
	}
	return TAKE_PTR(arr);
}

static json_t *slo_json(const struct report *r, const struct report_slo *s)
{
	json_t *phases = json_object();

	if (!phases)
		return NULL;
	for (enum report_phase p = 0; p < PHASE_COUNT; p++) {
		const struct report_slo_phase *sp = &s->phase[p];
		bool has_value = sp->verdict == SLO_PASS || sp->verdict == SLO_FAIL;
		char msg[512] = "";
		json_t *v;

		if (has_value)
			report_format_against(s, p, msg, sizeof(msg));
		v = json_pack(
			"{s:s, s:o, s:o, s:I, s:o}", "verdict", report_verdict_name(sp->verdict),
			"objective", jstr(report_slo_objective(s, p)), "value",
			has_value ? jnum(sp->value) : json_null(), "samples",
			(json_int_t)sp->samples, "message", has_value ? jstr(msg) : json_null());
		if (json_object_set_new(phases, report_phase_name(p), v) < 0) {
			json_decref(phases);
			return NULL;
		}
	}
	return json_pack("{s:o, s:o, s:o, s:o, s:s, s:o}", "name", jstr(s->name), "probe",
			 jstr(s->probe), "objective", jstr(s->objective), "fault_objective",
			 jstr(s->fault_objective), "unit",
			 report_unit_name(report_objective_unit(s->objective)), "phases", phases);
}

static json_t *fault_json(const struct report *r, const struct report_fault *f)
{
	return json_pack(
		"{s:o, s:o, s:o, s:o, s:b, s:o, s:b, s:b, s:b, s:o, s:o, s:o, s:o, s:o}", "name",
		jstr(f->name), "type", jstr(f->type), "configured", jstr(f->configured), "observed",
		jstr(f->observed), "expect_effect", f->effect_expected, "effect_held",
		f->effect_expected ? json_boolean(f->effect_held) : json_null(), "applied",
		f->applied, "reverted", f->reverted, "failed", f->failed, "applied_at_ms",
		jat(r, f->apply_ns), "reverted_at_ms", jat(r, f->revert_ns), "apply_latency_ms",
		f->applied ? jms((double)f->apply_latency_ns) : json_null(), "revert_latency_ms",
		f->reverted ? jms((double)f->revert_latency_ns) : json_null(), "error",
		jstr(f->error));
}

/* One timeline event; NULL-safe append. */
static int add_event(json_t *tl, const struct report *r, uint64_t t, const char *event,
		     const char *key, const char *name)
{
	json_t *e = key ? json_pack("{s:o, s:s, s:o}", "at_ms", jat(r, t), "event", event, key,
				    jstr(name)) :
			  json_pack("{s:o, s:s}", "at_ms", jat(r, t), "event", event);

	return json_array_append_new(tl, e) < 0 ? -ENOMEM : 0;
}

static int cmp_event(const void *a, const void *b)
{
	double x = json_real_value(json_object_get(*(json_t *const *)a, "at_ms"));
	double y = json_real_value(json_object_get(*(json_t *const *)b, "at_ms"));

	return (x > y) - (x < y);
}

/* Phases, applies, reverts, the abort and the recovery in time order. */
static json_t *timeline_json(const struct report *r)
{
	_cleanup_json_ json_t *tl = json_array(), *sorted = NULL;
	_cleanup_free_ json_t **v = NULL;
	size_t n;
	int ret = 0;

	if (!tl)
		return NULL;
	ret |= add_event(tl, r, r->start_ns, "run_start", NULL, NULL);
	for (enum report_phase p = 0; p < PHASE_COUNT; p++) {
		if (!report_phase_ran(r, p))
			continue;
		ret |= add_event(tl, r, r->phase_start_ns[p], "phase_start", "phase",
				 report_phase_name(p));
		if (r->phase_end_ns[p])
			ret |= add_event(tl, r, r->phase_end_ns[p], "phase_end", "phase",
					 report_phase_name(p));
	}
	for (size_t i = 0; i < r->n_faults; i++) {
		const struct report_fault *f = &r->faults[i];
		if (f->applied && f->apply_ns)
			ret |= add_event(tl, r, f->apply_ns, "fault_applied", "fault", f->name);
		if (f->reverted && f->revert_ns)
			ret |= add_event(tl, r, f->revert_ns, "fault_reverted", "fault", f->name);
	}
	if (r->abort.fired && r->abort.at_ns)
		ret |= add_event(tl, r, r->abort.at_ns, "abort", "slo", r->abort.slo);
	if (r->recovered && r->recovery_time_ns) {
		uint64_t last_revert = 0;
		for (size_t i = 0; i < r->n_faults; i++)
			if (r->faults[i].revert_ns > last_revert)
				last_revert = r->faults[i].revert_ns;
		if (last_revert)
			ret |= add_event(tl, r, last_revert + r->recovery_time_ns, "recovered",
					 NULL, NULL);
	}
	ret |= add_event(tl, r, r->end_ns, "run_end", NULL, NULL);
	if (ret < 0)
		return NULL;

	/* A stable sort by time: events at the same instant keep the order above. */
	n = json_array_size(tl);
	v = calloc(n ?: 1, sizeof(*v));
	sorted = json_array();
	if (!v || !sorted)
		return NULL;
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(tl, i);
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && cmp_event(&v[j - 1], &v[j]) > 0; j--) {
			json_t *t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	for (size_t i = 0; i < n; i++)
		if (json_array_append(sorted, v[i]) < 0)
			return NULL;
	return TAKE_PTR(sorted);
}

static json_t *phases_json(const struct report *r)
{
	json_t *arr = json_array();

	for (enum report_phase p = 0; arr && p < PHASE_COUNT; p++) {
		bool ran = report_phase_ran(r, p);
		uint64_t a = 0, b = 0;
		json_t *o;

		if (ran)
			report_phase_window(r, p, &a, &b);
		o = json_pack("{s:s, s:b, s:o, s:o, s:o}", "name", report_phase_name(p), "ran", ran,
			      "start_ms", ran ? jat(r, a) : json_null(), "end_ms",
			      ran ? jat(r, b) : json_null(), "duration_ms",
			      ran ? jms((double)(b - a)) : json_null());
		if (json_array_append_new(arr, o) < 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

int report_write_json(const struct report *r, FILE *out)
{
	_cleanup_json_ json_t *root = NULL;
	json_t *faults = json_array(), *slos = json_array(), *probes;
	char started[40], ended[40];

	report_format_wall(r, r->start_ns, false, started, sizeof(started));
	report_format_wall(r, r->end_ns, false, ended, sizeof(ended));
	for (size_t i = 0; faults && i < r->n_faults; i++)
		if (json_array_append_new(faults, fault_json(r, &r->faults[i])) < 0)
			faults = (json_decref(faults), NULL);
	for (size_t i = 0; slos && i < r->n_slos; i++)
		if (json_array_append_new(slos, slo_json(r, &r->slos[i])) < 0)
			slos = (json_decref(slos), NULL);
	probes = probes_json(r);

	root = json_pack(
		"{s:i, s:s, s:{s:o, s:o}, s:s, s:s, s:o, s:o, s:o, s:i, s:o, s:o, s:o, s:o, s:o,"
		" s:{s:b, s:o, s:o, s:o}, s:{s:b, s:b, s:o}}",
		"schema_version", SCHEMA_VERSION, "generator", "faultline " FAULTLINE_VERSION,
		"scenario", "name", jstr(r->scenario_name), "path", jstr(r->scenario_path),
		"started_at", started, "ended_at", ended, "duration_ms",
		jms(r->end_ns > r->start_ns ? (double)(r->end_ns - r->start_ns) : 0.0), "verdict",
		jstr(r->verdict ?: "UNKNOWN"), "verdict_detail", jstr(r->verdict_detail),
		"exit_code", r->exit_code, "phases", phases_json(r), "timeline", timeline_json(r),
		"faults", faults, "probes", probes, "slos", slos, "abort", "fired", r->abort.fired,
		"slo", jstr(r->abort.fired ? r->abort.slo : NULL), "breached_for_ms",
		r->abort.fired ? jms((double)r->abort.breached_for_ns) : json_null(), "at_ms",
		r->abort.fired ? jat(r, r->abort.at_ns) : json_null(), "recovery", "recovered",
		r->recovered, "judged", r->recovered || r->recovery_judged, "time_ms",
		r->recovered ? jms((double)r->recovery_time_ns) : json_null());
	if (!root)
		return -ENOMEM;
	if (json_dumpf(root, out, JSON_INDENT(2) | JSON_REAL_PRECISION(12)) < 0)
		return -EIO;
	if (fputc('\n', out) == EOF)
		return -EIO;
	return 0;
}
