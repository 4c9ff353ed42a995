/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JUnit XML in the Jenkins/Ant "junit-10" form that Jenkins, GitLab and the GitHub
 * test reporters read (docs/report.md, "JUnit XML"; the schema we validate against
 * is tests/data/junit/junit-10.xsd):
 *
 *   testsuites > testsuite > properties?, testcase*, system-out?
 *   testcase > (skipped | error | failure)?, system-out?
 *
 * One testsuite per run. Each SLO x phase is a testcase named "SLO (phase)" of class
 * "SCENARIO.phase": it passes, fails ("value X against objective Y"), is an error
 * (no data), or is skipped (not evaluated). Each fault is a testcase of class
 * "SCENARIO.faults": an error when it failed, a failure when its expect_effect did
 * not hold. The counts on testsuite and testsuites are those of the cases written.
 */
#include <errno.h>

#include "macro.h"
#include "report_text.h"
#include "report_writers.h"
#include "time_util.h"

/* What a testcase came to; decides the child element and the counts. */
enum case_outcome {
	CASE_PASS,
	CASE_FAILURE,
	CASE_ERROR,
	CASE_SKIPPED,
};

struct counts {
	size_t tests, failures, errors, skipped;
};

static enum case_outcome slo_outcome(enum slo_verdict v)
{
	switch (v) {
	case SLO_PASS:
		return CASE_PASS;
	case SLO_FAIL:
		return CASE_FAILURE;
	case SLO_NO_DATA:
		return CASE_ERROR;
	case SLO_NOT_EVALUATED:
		break;
	}
	return CASE_SKIPPED;
}

static enum case_outcome fault_outcome(const struct report_fault *f)
{
	if (f->failed)
		return CASE_ERROR;
	if (f->effect_expected && !f->effect_held)
		return CASE_FAILURE;
	return CASE_PASS;
}

static void count(struct counts *c, enum case_outcome o)
{
	c->tests++;
	c->failures += o == CASE_FAILURE;
	c->errors += o == CASE_ERROR;
	c->skipped += o == CASE_SKIPPED;
}

static struct counts count_cases(const struct report *r)
{
	struct counts c = { 0 };

	for (size_t i = 0; i < r->n_slos; i++)
		for (enum report_phase p = 0; p < PHASE_COUNT; p++)
			count(&c, slo_outcome(r->slos[i].phase[p].verdict));
	for (size_t i = 0; i < r->n_faults; i++)
		count(&c, fault_outcome(&r->faults[i]));
	return c;
}

static void put_attr(FILE *f, const char *name, const char *value)
{
	fprintf(f, " %s=\"", name);
	report_put_xml(f, value, true);
	fputc('"', f);
}

static void put_counts(FILE *f, const struct counts *c, double seconds)
{
	fprintf(f, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\"",
		c->tests, c->failures, c->errors, c->skipped, seconds);
}

static void put_property(FILE *f, const char *name, const char *value)
{
	fputs("      <property", f);
	put_attr(f, "name", name);
	put_attr(f, "value", value);
	fputs("/>\n", f);
}

static void put_testcase_open(FILE *f, const char *scenario, const char *name, const char *suffix,
			      const char *group)
{
	char *full = NULL, *cls = NULL;

	fputs("    <testcase", f);
	if (asprintf(&full, "%s%s", name ?: "", suffix) >= 0) {
		put_attr(f, "name", full);
		free(full);
	} else {
		put_attr(f, "name", name);
	}
	if (asprintf(&cls, "%s.%s", scenario, group) >= 0) {
		put_attr(f, "classname", cls);
		free(cls);
	} else {
		put_attr(f, "classname", group);
	}
	/* The cases are evaluations of a window, not timed runs: the run's time is on the
	 * testsuite. */
	fputs(" time=\"0.000\">\n", f);
}

/* <failure|error|skipped message="..." type="...">body</...>; body may be NULL. */
static void put_outcome(FILE *f, enum case_outcome o, const char *type, const char *message,
			const char *body)
{
	static const char *const tags[] = {
		[CASE_FAILURE] = "failure",
		[CASE_ERROR] = "error",
		[CASE_SKIPPED] = "skipped",
	};

	if (o == CASE_PASS)
		return;
	fprintf(f, "      <%s", tags[o]);
	put_attr(f, "message", message);
	if (type && o != CASE_SKIPPED)
		put_attr(f, "type", type);
	if (!body) {
		fputs("/>\n", f);
		return;
	}
	fputc('>', f);
	report_put_xml(f, body, false);
	fprintf(f, "</%s>\n", tags[o]);
}

static void put_system_out(FILE *f, const char *indent, const char *text)
{
	fprintf(f, "%s<system-out>", indent);
	report_put_xml(f, text, false);
	fputs("</system-out>\n", f);
}

static void put_slo_case(FILE *f, const struct report *r, const struct report_slo *s,
			 enum report_phase p)
{
	const struct report_slo_phase *sp = &s->phase[p];
	enum case_outcome o = slo_outcome(sp->verdict);
	const char *phase = report_phase_name(p);
	char suffix[32], message[512], body[1024];
	uint64_t a = 0, b = 0;

	snprintf(suffix, sizeof(suffix), " (%s)", phase);
	put_testcase_open(f, r->scenario_name ?: "scenario", s->name, suffix, phase);
	if (report_phase_ran(r, p))
		report_phase_window(r, p, &a, &b);
	switch (o) {
	case CASE_PASS:
	case CASE_FAILURE:
		report_format_against(s, p, message, sizeof(message));
		snprintf(body, sizeof(body),
			 "SLO %s on probe %s in the %s phase [%.3f s, %.3f s]: %s, from %zu "
			 "samples.",
			 s->name ?: "", s->probe ?: "", phase, report_rel_ms(r, a) / 1e3,
			 report_rel_ms(r, b) / 1e3, message, sp->samples);
		if (o == CASE_PASS)
			put_system_out(f, "      ", body);
		else
			put_outcome(f, o, "slo_violated", message, body);
		break;
	case CASE_ERROR:
		snprintf(message, sizeof(message),
			 "no data: probe %s took no usable sample in the %s phase", s->probe ?: "",
			 phase);
		put_outcome(f, o, "no_data", message, NULL);
		break;
	case CASE_SKIPPED:
		snprintf(message, sizeof(message), "not evaluated: %s",
			 report_phase_ran(r, p) ? "the SLO does not apply to this phase" :
						  "the phase did not run");
		put_outcome(f, o, NULL, message, NULL);
		break;
	}
	fputs("    </testcase>\n", f);
}

static void put_fault_case(FILE *f, const struct report *r, const struct report_fault *x)
{
	enum case_outcome o = fault_outcome(x);
	char message[1024], body[1024];

	put_testcase_open(f, r->scenario_name ?: "scenario", x->name, "", "faults");
	snprintf(body, sizeof(body), "%s: %s configured; %s observed%s%s", x->type ?: "",
		 x->configured ?: "", x->observed ?: "nothing", x->error ? "; error: " : "",
		 x->error ?: "");
	if (o == CASE_ERROR) {
		snprintf(message, sizeof(message), "fault failed: %s", x->error ?: "unknown error");
		put_outcome(f, o, "fault_failed", message, body);
	} else if (o == CASE_FAILURE) {
		snprintf(message, sizeof(message),
			 "expected effect not observed: %s configured; %s observed",
			 x->configured ?: "", x->observed ?: "nothing");
		put_outcome(f, o, "effect_not_observed", message, body);
	} else {
		put_system_out(f, "      ", body);
	}
	fputs("    </testcase>\n", f);
}

int report_write_junit(const struct report *r, FILE *out)
{
	struct counts c = count_cases(r);
	double seconds = r->end_ns > r->start_ns ? (double)(r->end_ns - r->start_ns) / 1e9 : 0.0;
	const char *scenario = r->scenario_name ?: "scenario";
	char stamp[40], buf[256], line[1024];

	report_format_wall(r, r->start_ns, true, stamp, sizeof(stamp));
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites", out);
	put_attr(out, "name", "faultline");
	put_counts(out, &c, seconds);
	fputs(">\n  <testsuite", out);
	put_attr(out, "name", scenario);
	put_counts(out, &c, seconds);
	put_attr(out, "timestamp", stamp);
	fputs(">\n    <properties>\n", out);
	put_property(out, "faultline.scenario_path", r->scenario_path);
	put_property(out, "faultline.verdict", r->verdict ?: "UNKNOWN");
	snprintf(buf, sizeof(buf), "%d", r->exit_code);
	put_property(out, "faultline.exit_code", buf);
	if (r->recovered) {
		snprintf(buf, sizeof(buf), "%.3f", (double)r->recovery_time_ns / 1e6);
		put_property(out, "faultline.recovery_time_ms", buf);
	}
	if (r->abort.fired) {
		put_property(out, "faultline.abort_slo", r->abort.slo);
		snprintf(buf, sizeof(buf), "%.3f", report_rel_ms(r, r->abort.at_ns));
		put_property(out, "faultline.abort_at_ms", buf);
	}
	fputs("    </properties>\n", out);

	for (size_t i = 0; i < r->n_slos; i++)
		for (enum report_phase p = 0; p < PHASE_COUNT; p++)
			put_slo_case(out, r, &r->slos[i], p);
	for (size_t i = 0; i < r->n_faults; i++)
		put_fault_case(out, r, &r->faults[i]);

	snprintf(line, sizeof(line), "verdict %s (exit %d)%s%s", r->verdict ?: "UNKNOWN",
		 r->exit_code, r->verdict_detail ? ": " : "", r->verdict_detail ?: "");
	put_system_out(out, "    ", line);
	fputs("  </testsuite>\n</testsuites>\n", out);
	return ferror(out) ? -EIO : 0;
}
