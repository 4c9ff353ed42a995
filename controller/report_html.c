/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTML report (docs/report.md, "HTML"): one self-contained file. Inline CSS, no
 * script, no external reference of any kind; a Content-Security-Policy of
 * default-src 'none' makes a browser refuse anything that would slip in. The
 * markup is polyglot (well-formed XML as well as HTML5), so that xmllint can check
 * the escaping of every untrusted string.
 *
 * Size is bounded: charts show time buckets (1 s, or wider so that a run has at
 * most MAX_BUCKETS), never raw samples.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "macro.h"
#include "report_stats.h"
#include "report_svg.h"
#include "report_text.h"
#include "report_writers.h"
#include "time_util.h"

#define MAX_BUCKETS 600

static const char style[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}"
	"h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px}"
	"h3{font-size:15px;margin:18px 0 4px}"
	"table{border-collapse:collapse;margin:4px 0}"
	"th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top;overflow-wrap:break-word}"
	"th{background:#f3f3f3}td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}"
	".pass{color:#1a7f37;font-weight:600}.fail{color:#cf222e;font-weight:600}"
	".skip,.na{color:#777}.nodata,.error{color:#9a6700;font-weight:600}"
	".verdict{font-size:20px;font-weight:700;padding:6px 12px;display:inline-block;"
	"border-radius:4px;color:#fff;background:#777}"
	".verdict.PASSED{background:#1a7f37}.verdict.FAILED,.verdict.ABORTED{background:#cf222e}"
	".verdict.INCONCLUSIVE{background:#9a6700}"
	"dl{display:grid;grid-template-columns:max-content auto;gap:2px 16px}dt{color:#555}"
	"dd{margin:0}svg.chart{display:block;margin:6px 0;max-width:100%;height:auto}"
	"svg text{font:11px sans-serif;fill:#333}svg .yl{text-anchor:end}"
	"svg .xl{text-anchor:middle}svg .title{font-weight:600;font-size:12px}"
	"svg .grid{stroke:#e5e5e5}svg .frame{fill:none;stroke:#999}"
	"svg .fault rect{fill:#f4a261;fill-opacity:.25}svg .fault text{fill:#a0522d}"
	"svg .marker line{stroke:#888;stroke-dasharray:4 3}"
	"svg .marker.abort line{stroke:#cf222e;stroke-width:2;stroke-dasharray:none}"
	"svg .marker.abort text{fill:#cf222e;font-weight:600}"
	"svg .marker.recovered line{stroke:#1a7f37}svg .marker.recovered text{fill:#1a7f37}"
	"svg .series polyline{fill:none;stroke-width:1.5}svg .series circle{stroke:none}"
	"pre{white-space:pre-wrap}";

static void put(FILE *f, const char *s)
{
	report_put_xml(f, s, false);
}

static void put_td(FILE *f, const char *cls, const char *s)
{
	if (cls)
		fprintf(f, "<td class=\"%s\">", cls);
	else
		fputs("<td>", f);
	put(f, s);
	fputs("</td>", f);
}

static void put_ms(FILE *f, double ms)
{
	fprintf(f, "<td class=\"num\">%.3f ms</td>", ms);
}

static double secs(const struct report *r, uint64_t t)
{
	return report_rel_ms(r, t) / 1e3;
}

static void put_header(FILE *f, const struct report *r)
{
	char started[40];

	report_format_wall(r, r->start_ns, false, started, sizeof(started));
	fputs("<h1>", f);
	put(f, r->scenario_name);
	fputs("</h1>\n<p><span class=\"verdict ", f);
	/* The verdict names a CSS class: only letters pass. */
	for (const char *p = r->verdict ?: "UNKNOWN"; *p; p++)
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
			fputc(*p, f);
	fputs("\">", f);
	put(f, r->verdict ?: "UNKNOWN");
	fprintf(f, "</span> exit code %d</p>\n", r->exit_code);
	if (r->verdict_detail) {
		fputs("<p>", f);
		put(f, r->verdict_detail);
		fputs("</p>\n", f);
	}
	fputs("<dl>\n<dt>scenario</dt><dd>", f);
	put(f, r->scenario_path);
	fprintf(f, "</dd>\n<dt>started</dt><dd>%s</dd>\n<dt>duration</dt><dd>%.3f s</dd>\n",
		started, r->end_ns > r->start_ns ? (double)(r->end_ns - r->start_ns) / 1e9 : 0.0);
	for (enum report_phase p = 0; p < PHASE_COUNT; p++) {
		uint64_t a, b;
		fprintf(f, "<dt>%s phase</dt><dd>", report_phase_name(p));
		if (report_phase_ran(r, p)) {
			report_phase_window(r, p, &a, &b);
			fprintf(f, "%.3f s to %.3f s", secs(r, a), secs(r, b));
		} else {
			fputs("did not run", f);
		}
		fputs("</dd>\n", f);
	}
	fputs("<dt>recovery time</dt><dd>", f);
	if (r->recovered)
		fprintf(f, "%.3f s", (double)r->recovery_time_ns / 1e9);
	else if (r->recovery_judged)
		fputs("not recovered", f);
	else
		fputs("not measured", f);
	fputs("</dd>\n<dt>abort</dt><dd>", f);
	if (r->abort.fired) {
		fputs("<span class=\"fail\">fired</span>: SLO ", f);
		put(f, r->abort.slo);
		fprintf(f, " breached for %.3f s, at %.3f s",
			(double)r->abort.breached_for_ns / 1e9, secs(r, r->abort.at_ns));
	} else {
		fputs("did not fire", f);
	}
	fputs("</dd>\n</dl>\n", f);
}

static const char *verdict_class(enum slo_verdict v)
{
	switch (v) {
	case SLO_PASS:
		return "pass";
	case SLO_FAIL:
		return "fail";
	case SLO_NO_DATA:
		return "nodata";
	case SLO_NOT_EVALUATED:
		break;
	}
	return "skip";
}

static void put_slo_table(FILE *f, const struct report *r)
{
	fputs("<h2>SLOs</h2>\n<table class=\"slos\">\n<tr><th>SLO</th><th>probe</th><th>phase</th>"
	      "<th>objective</th><th>value</th><th>samples</th><th>result</th></tr>\n",
	      f);
	for (size_t i = 0; i < r->n_slos; i++) {
		const struct report_slo *s = &r->slos[i];
		for (enum report_phase p = 0; p < PHASE_COUNT; p++) {
			const struct report_slo_phase *sp = &s->phase[p];
			const char *objective = report_slo_objective(s, p);
			bool valued = sp->verdict == SLO_PASS || sp->verdict == SLO_FAIL;
			char value[64] = "";

			if (valued)
				report_format_value(report_objective_unit(objective), sp->value,
						    value, sizeof(value));
			fprintf(f, "<tr class=\"slo\" data-verdict=\"%s\">",
				report_verdict_name(sp->verdict));
			put_td(f, NULL, s->name);
			put_td(f, NULL, s->probe);
			put_td(f, NULL, report_phase_name(p));
			put_td(f, NULL, objective);
			put_td(f, "num", valued ? value : "");
			fprintf(f, "<td class=\"num\">%zu</td>", sp->samples);
			put_td(f, verdict_class(sp->verdict), report_verdict_name(sp->verdict));
			fputs("</tr>\n", f);
		}
	}
	fputs("</table>\n", f);
}

static void put_fault_table(FILE *f, const struct report *r)
{
	fputs("<h2>Faults</h2>\n<table class=\"faults\">\n<tr><th>fault</th><th>type</th>"
	      "<th>configured</th><th>observed</th><th>applied at</th><th>reverted at</th>"
	      "<th>apply latency</th><th>revert latency</th><th>result</th></tr>\n",
	      f);
	for (size_t i = 0; i < r->n_faults; i++) {
		const struct report_fault *x = &r->faults[i];

		fputs("<tr>", f);
		put_td(f, NULL, x->name);
		put_td(f, NULL, x->type);
		put_td(f, NULL, x->configured);
		put_td(f, x->observed ? NULL : "na", x->observed ?: "not measured");
		if (x->applied)
			fprintf(f, "<td class=\"num\">%.3f s</td>", secs(r, x->apply_ns));
		else
			fputs("<td class=\"na\">no</td>", f);
		if (x->reverted)
			fprintf(f, "<td class=\"num\">%.3f s</td>", secs(r, x->revert_ns));
		else
			fputs("<td class=\"na\">no</td>", f);
		if (x->applied)
			put_ms(f, (double)x->apply_latency_ns / 1e6);
		else
			fputs("<td class=\"na\"></td>", f);
		if (x->reverted)
			put_ms(f, (double)x->revert_latency_ns / 1e6);
		else
			fputs("<td class=\"na\"></td>", f);
		if (x->failed) {
			fputs("<td class=\"error\">failed: ", f);
			put(f, x->error);
			fputs("</td>", f);
		} else if (x->effect_expected) {
			put_td(f, x->effect_held ? "pass" : "fail",
			       x->effect_held ? "effect held" : "effect not observed");
		} else {
			put_td(f, "pass", "ok");
		}
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void put_summary_row(FILE *f, const struct sample_series *s, const char *phase,
			    const struct probe_summary *sum)
{
	char value[64];
	bool first = true;

	fputs("<tr>", f);
	put_td(f, NULL, s->probe);
	put_td(f, NULL, phase);
	fprintf(f, "<td class=\"num\">%zu</td><td>", sum->count);
	for (unsigned e = SAMPLE_OK + 1; e < SAMPLE_ERROR_COUNT; e++)
		if (sum->errors[e]) {
			fprintf(f, "%s%s %zu", first ? "" : ", ", sample_error_name(e),
				sum->errors[e]);
			first = false;
		}
	fputs("</td>", f);
	if (sum->n_latency) {
		put_ms(f, (double)sum->p50_ns / 1e6);
		put_ms(f, (double)sum->p90_ns / 1e6);
		put_ms(f, (double)sum->p99_ns / 1e6);
		put_ms(f, (double)sum->max_ns / 1e6);
		put_ms(f, sum->mean_ns / 1e6);
	} else {
		fputs("<td></td><td></td><td></td><td></td><td></td>", f);
	}
	fprintf(f, "<td class=\"num\">%.2f/s</td>", sum->throughput);
	report_format_value(UNIT_NUMBER, sum->last_value, value, sizeof(value));
	put_td(f, "num", sum->n_values ? value : "");
	fputs("</tr>\n", f);
}

static int put_probe_table(FILE *f, const struct report *r)
{
	fputs("<h2>Probes</h2>\n<table class=\"probes\">\n<tr><th>probe</th><th>phase</th>"
	      "<th>samples</th><th>errors</th><th>p50</th><th>p90</th><th>p99</th><th>max</th>"
	      "<th>mean</th><th>throughput</th><th>last value</th></tr>\n",
	      f);
	for (size_t i = 0; i < r->n_series; i++) {
		struct probe_summary sum;
		int ret;

		for (enum report_phase p = 0; p < PHASE_COUNT; p++) {
			uint64_t a, b;
			if (!report_phase_ran(r, p))
				continue;
			report_phase_window(r, p, &a, &b);
			ret = probe_summary_compute(&r->series[i], a, b, &sum);
			if (ret < 0)
				return ret;
			put_summary_row(f, &r->series[i], report_phase_name(p), &sum);
		}
		ret = probe_summary_compute(&r->series[i], r->start_ns, r->end_ns, &sum);
		if (ret < 0)
			return ret;
		put_summary_row(f, &r->series[i], "whole run", &sum);
	}
	fputs("</table>\n", f);
	return 0;
}

/* Fault windows, phase boundaries, the abort and the recovery, for every chart. */
struct decorations {
	struct svg_band *bands;
	size_t n_bands;
	struct svg_marker markers[PHASE_COUNT + 2];
	size_t n_markers;
};

static int decorations_build(const struct report *r, struct decorations *d)
{
	uint64_t last_revert = 0;

	d->bands = calloc(r->n_faults ?: 1, sizeof(*d->bands));
	if (!d->bands)
		return -ENOMEM;
	for (size_t i = 0; i < r->n_faults; i++) {
		const struct report_fault *x = &r->faults[i];
		if (!x->applied || !x->apply_ns)
			continue;
		d->bands[d->n_bands++] = (struct svg_band){
			.x0 = secs(r, x->apply_ns),
			.x1 = secs(r, x->reverted && x->revert_ns ? x->revert_ns : r->end_ns),
			.label = x->name,
		};
		if (x->revert_ns > last_revert)
			last_revert = x->revert_ns;
	}
	if (report_phase_ran(r, PHASE_FAULT))
		d->markers[d->n_markers++] =
			(struct svg_marker){ secs(r, r->phase_start_ns[PHASE_FAULT]), "fault phase",
					     "phase" };
	if (report_phase_ran(r, PHASE_RECOVERY))
		d->markers[d->n_markers++] =
			(struct svg_marker){ secs(r, r->phase_start_ns[PHASE_RECOVERY]), "recovery",
					     "phase" };
	if (r->abort.fired && r->abort.at_ns)
		d->markers[d->n_markers++] =
			(struct svg_marker){ secs(r, r->abort.at_ns), "abort", "abort" };
	if (r->recovered && last_revert)
		d->markers[d->n_markers++] =
			(struct svg_marker){ secs(r, last_revert + r->recovery_time_ns),
					     "recovered", "recovered" };
	return 0;
}

/* One chart of n buckets: x at each bucket's middle. */
static void put_chart(FILE *f, const struct report *r, const struct decorations *d,
		      const char *kind, const char *title, const char *unit,
		      const struct svg_series *series, size_t n_series)
{
	struct svg_chart c = {
		.kind = kind,
		.title = title,
		.y_unit = unit,
		.x_max = r->end_ns > r->start_ns ? (double)(r->end_ns - r->start_ns) / 1e9 : 0,
		.bands = d->bands,
		.n_bands = d->n_bands,
		.markers = d->markers,
		.n_markers = d->n_markers,
		.series = series,
		.n_series = n_series,
	};

	svg_chart_write(f, &c);
}

static bool has_values(const struct report_bucket *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i].n_values)
			return true;
	return false;
}

static int put_probe_charts(FILE *f, const struct report *r, const struct decorations *d,
			    const struct sample_series *s, uint64_t width)
{
	_cleanup_free_ struct report_bucket *b = NULL;
	_cleanup_free_ double *mem = NULL;
	double *x, *p50, *p90, *p99, *err, *thr, *val;
	bool latency = !streq_ptr(s->kind, "prometheus");
	size_t n;
	int ret;

	ret = report_bucketize(s, r->start_ns, r->end_ns, width, &b, &n);
	if (ret < 0)
		return ret;
	mem = calloc(7 * (n ?: 1), sizeof(*mem));
	if (!mem)
		return -ENOMEM;
	x = mem, p50 = x + n, p90 = p50 + n, p99 = p90 + n, err = p99 + n, thr = err + n;
	val = thr + n;
	for (size_t i = 0; i < n; i++) {
		bool any = b[i].count > 0, lat = b[i].n_latency > 0;
		x[i] = secs(r, b[i].start_ns) + (double)(b[i].end_ns - b[i].start_ns) / 2e9;
		p50[i] = lat ? (double)b[i].p50_ns / 1e6 : NAN;
		p90[i] = lat ? (double)b[i].p90_ns / 1e6 : NAN;
		p99[i] = lat ? (double)b[i].p99_ns / 1e6 : NAN;
		err[i] = any ? b[i].error_rate * 100.0 : NAN;
		thr[i] = b[i].throughput;
		val[i] = b[i].n_values ? b[i].value : NAN;
	}

	fputs("<section class=\"probe\">\n<h3>", f);
	put(f, s->probe);
	fputs(" (", f);
	put(f, s->kind);
	fprintf(f, ")</h3>\n<p>buckets of %g s", (double)width / 1e9);
	if (s->last_error) {
		fputs("; last error: ", f);
		put(f, s->last_error);
	}
	fputs("</p>\n", f);
	if (latency) {
		struct svg_series lat[] = { { "p50", x, p50, n },
					    { "p90", x, p90, n },
					    { "p99", x, p99, n } };
		put_chart(f, r, d, "latency", "latency percentiles per bucket", "ms", lat, 3);
	}
	put_chart(f, r, d, "error_rate", "error rate per bucket", "%",
		  &(struct svg_series){ "error rate", x, err, n }, 1);
	if (latency)
		put_chart(f, r, d, "throughput", "successful samples per second", "/s",
			  &(struct svg_series){ "throughput", x, thr, n }, 1);
	if (!latency || has_values(b, n))
		put_chart(f, r, d, "value", "value (mean per bucket)", "",
			  &(struct svg_series){ "value", x, val, n }, 1);
	fputs("</section>\n", f);
	return 0;
}

int report_write_html(const struct report *r, FILE *out)
{
	struct decorations d = { 0 };
	uint64_t duration = r->end_ns > r->start_ns ? r->end_ns - r->start_ns : 0;
	uint64_t width = report_bucket_width(duration, MAX_BUCKETS);
	int ret;

	ret = decorations_build(r, &d);
	if (ret < 0)
		return ret;
	fputs("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n"
	      "<meta charset=\"utf-8\" />\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'\" />\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\" />\n"
	      "<title>faultline: ",
	      out);
	put(out, r->scenario_name);
	fputs(" — ", out);
	put(out, r->verdict ?: "UNKNOWN");
	fprintf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n", style);
	put_header(out, r);
	put_slo_table(out, r);
	put_fault_table(out, r);
	ret = put_probe_table(out, r);
	if (ret >= 0) {
		fputs("<h2>Over time</h2>\n<p>Shaded: fault windows. Dashed lines: phase starts; "
		      "red: the abort; green: recovered.</p>\n",
		      out);
		for (size_t i = 0; ret >= 0 && i < r->n_series; i++)
			ret = put_probe_charts(out, r, &d, &r->series[i], width);
	}
	free(d.bands);
	if (ret < 0)
		return ret;
	fputs("<footer><p>faultline " FAULTLINE_VERSION "</p></footer>\n</body>\n</html>\n", out);
	return ferror(out) ? -EIO : 0;
}
