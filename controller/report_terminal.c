/* SPDX-License-Identifier: Apache-2.0 */
#include "report_terminal.h"

#include <math.h>
#include <string.h>

#include "slo_objective.h"

static const char *verdict_word(enum slo_verdict v)
{
	switch (v) {
	case SLO_PASS:
		return "pass";
	case SLO_FAIL:
		return "FAIL";
	case SLO_NO_DATA:
		return "NO DATA";
	default:
		return "-";
	}
}

/* The metric of an objective as written, for formatting its values. */
static enum slo_metric metric_of(const char *objective)
{
	struct slo_objective o;

	if (objective && slo_objective_parse(objective, &o, NULL, 0, NULL) == 0)
		return o.metric;
	return SLO_VALUE;
}

void report_terminal_summary(const struct report *r, FILE *out)
{
	size_t wname = strlen("SLO");
	char value[32];

	for (size_t i = 0; i < r->n_slos; i++)
		if (strlen(r->slos[i].name) > wname)
			wname = strlen(r->slos[i].name);
	if (r->n_slos) {
		fprintf(out, "\n%-*s  %-8s  %10s  %-26s  %s\n", (int)wname, "SLO", "phase", "value",
			"objective", "result");
		for (size_t i = 0; i < r->n_slos; i++) {
			const struct report_slo *s = &r->slos[i];
			enum slo_metric m = metric_of(s->objective);

			for (int p = 0; p < PHASE_COUNT; p++) {
				const struct report_slo_phase *ph = &s->phase[p];
				const char *obj = p == PHASE_FAULT && s->fault_objective ?
							  s->fault_objective :
							  s->objective;

				if (ph->verdict == SLO_NOT_EVALUATED)
					continue;
				slo_format_value(m, ph->value, value, sizeof(value));
				fprintf(out, "%-*s  %-8s  %10s  %-26s  %s (%zu samples)\n",
					(int)wname, s->name,
					report_phase_name((enum report_phase)p), value, obj,
					verdict_word(ph->verdict), ph->samples);
			}
		}
	}
	/* Why an SLO had no data: its probe's last failure (a Prometheus error, a
	 * refused connection), so that NO DATA is never left unexplained. */
	for (size_t i = 0; i < r->n_slos; i++) {
		const struct report_slo *s = &r->slos[i];
		const char *why = report_probe_last_error(r, s->probe);
		bool no_data = false;

		for (int p = 0; p < PHASE_COUNT; p++)
			no_data |= s->phase[p].verdict == SLO_NO_DATA;
		if (!no_data)
			continue;
		if (why)
			fprintf(out, "%s: no data: probe %s: %s\n", s->name, s->probe, why);
		else
			fprintf(out, "%s: no data: probe %s took no usable sample\n", s->name,
				s->probe);
	}
	for (size_t i = 0; i < r->n_faults; i++) {
		const struct report_fault *f = &r->faults[i];

		if (!f->applied)
			continue;
		fprintf(out, "fault %s: configured: %s; observed: %s%s\n", f->name,
			f->configured ?: f->type, f->observed ?: "not measured",
			!f->effect_expected ? "" :
			f->effect_held	    ? " (expect_effect held)" :
					      " (expect_effect FAILED)");
	}
	if (r->abort.fired)
		fprintf(out, "aborted: slo %s was breached for %.1f s, at +%.3f s\n", r->abort.slo,
			(double)r->abort.breached_for_ns / 1e9,
			(double)(r->abort.at_ns - r->start_ns) / 1e9);
	if (r->phase_start_ns[PHASE_RECOVERY]) {
		if (r->recovered) {
			fprintf(out,
				"recovery time: %.3f s (every SLO held again after the last revert)\n",
				(double)r->recovery_time_ns / 1e9);
		} else if (r->recovery_judged) {
			fprintf(out, "recovery time: not recovered within the recovery phase\n");
		} else {
			fprintf(out,
				"recovery time: not measured (no SLO is judged in the recovery "
				"phase)\n");
		}
	}
	fprintf(out, "verdict: %s%s%s\n", r->verdict ?: "?", r->verdict_detail ? ": " : "",
		r->verdict_detail ?: "");
	fflush(out);
}

void report_terminal_status(FILE *out, bool tty, const char *text)
{
	if (tty)
		fprintf(out, "\r\033[K%s", text);
	else
		fprintf(out, "%s\n", text);
	fflush(out);
}

void report_terminal_clear(FILE *out, bool tty)
{
	if (tty) {
		fputs("\r\033[K", out);
		fflush(out);
	}
}
