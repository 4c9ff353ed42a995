/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SLO part of the scenario schema: slos, abort_when and expect_effect.
 *
 * Objectives are parsed here with the same parser the runner evaluates, so that
 * `faultline validate` refuses every objective the runner could not judge; the
 * parser's error offset is mapped to the file's line:col. The cross-checks are the
 * ones that would otherwise only show at run time as an SLO without data: the probe
 * must exist, value objectives need a probe that yields numbers, and latency has
 * no meaning for a Prometheus query.
 */
#include <math.h>
#include <stdio.h>

#include "parse.h"
#include "report.h"
#include "scenario_slos.h"

/* The rolling window of abort conditions and recovery when an SLO names none. */
#define SLO_DEFAULT_WINDOW_NS (1000000000ULL)
#define SLO_MIN_WINDOW_NS (100000000ULL)
#define SLO_MAX_WINDOW_NS (3600ULL * 1000000000ULL)

static const char *const slo_keys[] = {
	"fault_objective", "name", "objective", "phases", "probe", "window", NULL,
};
static const char *const abort_keys[] = { "breached_for", "slo", NULL };
static const char *const effect_keys[] = {
	"decrease_at_least", "increase_at_least", "metric", "probe", NULL,
};

/* SLO names appear in reports, JUnit test names and messages: the same rule as
 * fault names, so that none of them ever carries a control byte. */
static bool slo_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

static const struct scenario_probe *find_probe(const struct scenario *s, const char *name,
					       size_t *ret_index)
{
	for (size_t i = 0; i < s->n_probes; i++)
		if (s->probes[i].name && streq(s->probes[i].name, name)) {
			*ret_index = i;
			return &s->probes[i];
		}
	return NULL;
}

/* "a, b, c" of the probe names, for "expected one of". */
static const char *probe_names(const struct scenario *s, char *buf, size_t len)
{
	size_t w = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < s->n_probes && w < len; i++) {
		int n = snprintf(buf + w, len - w, "%s%s", w ? ", " : "",
				 s->probes[i].name ? s->probes[i].name : "");
		if (n < 0)
			break;
		w += (size_t)n;
	}
	return buf;
}

static int check_probe_ref(struct sv_ctx *c, const char *what, const struct ynode *n,
			   const struct scenario *s, const char **ret_name, size_t *ret_index)
{
	char found[96], names[256];
	const char *name;

	if (sv_string(c, what, n, &name) < 0)
		return -EINVAL;
	if (!s->n_probes)
		return sv_error(c, n->line, n->col,
				"%s: no probe named %s: the scenario defines no probes (add a "
				"top-level 'probes' mapping)",
				what, ynode_describe(n, found, sizeof(found)));
	if (!find_probe(s, name, ret_index))
		return sv_error(c, n->line, n->col, "%s: no probe named %s; expected one of: %s",
				what, ynode_describe(n, found, sizeof(found)),
				probe_names(s, names, sizeof(names)));
	*ret_name = name;
	return 0;
}

/* Whether metric m can be computed from what probe p measures; reports at n if not. */
static int check_metric_fits(struct sv_ctx *c, const char *what, const struct ynode *n,
			     enum slo_metric m, const struct scenario_probe *p)
{
	if (m == SLO_VALUE && p->kind != PROBE_PROMETHEUS &&
	    !(p->kind == PROBE_COMMAND && p->command.value))
		return sv_error(c, n->line, n->col,
				"%s: value needs a prometheus probe or a command probe with "
				"'value: true'; probe '%s' is %s%s",
				what, p->name, probe_kind_name(p->kind),
				p->kind == PROBE_COMMAND ? " without 'value: true'" : "");
	if (slo_metric_is_latency(m) && p->kind == PROBE_PROMETHEUS)
		return sv_error(c, n->line, n->col,
				"%s: %s is a latency metric, but probe '%s' is a prometheus query; "
				"expected value, error_rate, availability or throughput",
				what, slo_metric_name(m), p->name);
	return 0;
}

/* An objective string, with the parser's error placed at its character. */
static int check_objective(struct sv_ctx *c, const char *what, const struct ynode *n,
			   struct slo_objective *ret, char **ret_text)
{
	char err[300];
	const char *text;
	size_t at = 0;

	if (sv_string(c, what, n, &text) < 0)
		return -EINVAL;
	if (slo_objective_parse(text, ret, err, sizeof(err), &at) < 0) {
		/* A quoted scalar starts one column before its text. For block and
		 * multi-line scalars the column is that of the value's start. */
		unsigned col = n->col;

		if (!strchr(text, '\n') && at < 1000)
			col += (unsigned)at + (n->plain ? 0 : 1);
		return sv_error(c, n->line, col, "%s: %s", what, err);
	}
	*ret_text = strdup(text);
	return *ret_text ? 0 : sv_oom(c);
}

static int check_slo_phases(struct sv_ctx *c, const char *what, const struct ynode *n,
			    unsigned *ret)
{
	static const char expected[] = "a list of phases from baseline, fault and recovery, such "
				       "as [fault, recovery]";
	char found[96];
	unsigned bits = 0;
	int r = 0;

	if (n->kind != YNODE_SEQUENCE || n->n_items == 0)
		return sv_error(c, n->line, n->col, "%s: expected %s, found %s", what, expected,
				n->kind == YNODE_SEQUENCE ?
					"an empty list" :
					ynode_describe(n, found, sizeof(found)));
	for (size_t i = 0; i < n->n_items; i++) {
		const struct ynode *v = n->items[i];
		unsigned bit = 0;

		for (int p = 0; p < PHASE_COUNT; p++)
			if (ynode_scalar_eq(v, report_phase_name((enum report_phase)p)))
				bit = SLO_PHASE_BIT(p);
		if (!bit) {
			r = sv_error(c, v->line, v->col,
				     "%s: expected baseline, fault or recovery, "
				     "found %s",
				     what, ynode_describe(v, found, sizeof(found)));
			continue;
		}
		if (bits & bit)
			r = sv_error(c, v->line, v->col, "%s: %s is listed twice", what, v->value);
		bits |= bit;
	}
	if (r == 0)
		*ret = bits;
	return r;
}

static int check_window(struct sv_ctx *c, const char *what, const struct ynode *n, uint64_t *ret_ns)
{
	char found[96];
	uint64_t ns;

	if (sv_duration(c, what, n, &ns) < 0)
		return -EINVAL;
	if (ns < SLO_MIN_WINDOW_NS || ns > SLO_MAX_WINDOW_NS)
		return sv_error(c, n->line, n->col, "%s: expected from 100ms to 1h, found %s", what,
				ynode_describe(n, found, sizeof(found)));
	*ret_ns = ns;
	return 0;
}

static int check_slo(struct sv_ctx *c, const struct ynode *m, struct scenario *s, size_t index,
		     const struct ynode **names)
{
	struct scenario_slo *slo = &s->slos[index];
	const struct scenario_probe *probe = NULL;
	const struct ynode *v, *obj = NULL, *fobj = NULL;
	const char *pname;
	char found[96], what[64];
	int r = 0;

	slo->line = m->line;
	slo->col = m->col;
	slo->phases = SLO_PHASES_ALL;
	slo->window_ns = SLO_DEFAULT_WINDOW_NS;
	if (m->kind != YNODE_MAPPING)
		return sv_error(c, m->line, m->col,
				"slos[%zu]: expected a mapping such as {name: latency, probe: api, "
				"objective: \"p99 < 300ms\"}, found %s",
				index, ynode_describe(m, found, sizeof(found)));
	if (sv_check_keys(c, m, "in slo", slo_keys, NULL) < 0)
		r = -EINVAL;

	if (!(v = ynode_get(m, "name"))) {
		r = sv_missing(c, m, "name", "in slo", "a name unique among the slos");
	} else if (sv_string(c, "slos.name", v, &pname) < 0) {
		r = -EINVAL;
	} else if (!slo_name_valid(pname)) {
		r = sv_error(
			c, v->line, v->col,
			"slos.name: expected 1 to 64 characters from A-Z a-z 0-9 . _ -, found %s",
			ynode_describe(v, found, sizeof(found)));
	} else {
		for (size_t i = 0; i < index; i++)
			if (names[i] && ynode_scalar_eq(names[i], pname)) {
				r = sv_error(c, v->line, v->col,
					     "duplicate slo name '%s', first at %u:%u", pname,
					     names[i]->line, names[i]->col);
				break;
			}
		if (!(slo->name = strdup(pname)))
			return sv_oom(c);
		names[index] = v;
	}

	if (!(v = ynode_get(m, "probe"))) {
		r = sv_missing(c, m, "probe", "in slo", "the name of a probe");
	} else if (check_probe_ref(c, "slos.probe", v, s, &pname, &slo->probe_index) < 0) {
		r = -EINVAL;
	} else {
		probe = &s->probes[slo->probe_index];
		if (!(slo->probe = strdup(pname)))
			return sv_oom(c);
	}

	if (!(obj = ynode_get(m, "objective")))
		r = sv_missing(c, m, "objective", "in slo", "an objective such as \"p99 < 300ms\"");
	else if (check_objective(c, "objective", obj, &slo->objective, &slo->objective_text) < 0)
		obj = NULL, r = -EINVAL;
	if ((fobj = ynode_get(m, "fault_objective")) &&
	    check_objective(c, "fault_objective", fobj, &slo->fault_objective,
			    &slo->fault_objective_text) < 0)
		fobj = NULL, r = -EINVAL;
	if ((v = ynode_get(m, "phases")) && check_slo_phases(c, "phases", v, &slo->phases) < 0)
		r = -EINVAL;
	if ((v = ynode_get(m, "window")) && check_window(c, "window", v, &slo->window_ns) < 0)
		r = -EINVAL;
	if (c->oom)
		return c->oom;

	snprintf(what, sizeof(what), "objective");
	if (obj && probe && check_metric_fits(c, what, obj, slo->objective.metric, probe) < 0)
		r = -EINVAL;
	if (obj && fobj && slo->fault_objective.metric != slo->objective.metric)
		r = sv_error(c, fobj->line, fobj->col,
			     "fault_objective: expected the objective's metric (%s) with a looser "
			     "threshold, found %s",
			     slo_metric_name(slo->objective.metric),
			     ynode_describe(fobj, found, sizeof(found)));
	if (fobj && !(slo->phases & SLO_PHASE_BIT(PHASE_FAULT)))
		r = sv_error(c, fobj->line, fobj->col,
			     "fault_objective: applies to the fault phase, which this slo's "
			     "phases leave out");
	return r;
}

int check_slos(struct sv_ctx *c, const struct ynode *n, struct scenario *s)
{
	_cleanup_free_ const struct ynode **names = NULL;
	char found[96];

	if (n->kind != YNODE_SEQUENCE || n->n_items == 0)
		return sv_error(c, n->line, n->col,
				"slos: expected a non-empty list of SLOs (each item starting with "
				"'- name:'), found %s",
				n->kind == YNODE_SEQUENCE ?
					"an empty list" :
					ynode_describe(n, found, sizeof(found)));
	if (n->n_items > SCENARIO_MAX_SLOS)
		return sv_error(c, n->line, n->col, "slos: expected at most %d SLOs, found %zu",
				SCENARIO_MAX_SLOS, n->n_items);
	s->slos = calloc(n->n_items, sizeof(*s->slos));
	names = calloc(n->n_items, sizeof(*names));
	if (!s->slos || !names)
		return sv_oom(c);
	s->n_slos = n->n_items;
	for (size_t i = 0; i < n->n_items; i++)
		if (check_slo(c, n->items[i], s, i, names) == -ENOMEM)
			return -ENOMEM;
	return 0;
}

int check_aborts(struct sv_ctx *c, const struct ynode *n, struct scenario *s)
{
	char found[96];
	int r = 0;

	if (n->kind != YNODE_SEQUENCE || n->n_items == 0)
		return sv_error(c, n->line, n->col,
				"abort_when: expected a non-empty list such as [{slo: errors, "
				"breached_for: 5s}], found %s",
				n->kind == YNODE_SEQUENCE ?
					"an empty list" :
					ynode_describe(n, found, sizeof(found)));
	if (n->n_items > SCENARIO_MAX_ABORTS)
		return sv_error(c, n->line, n->col,
				"abort_when: expected at most %d conditions, found %zu",
				SCENARIO_MAX_ABORTS, n->n_items);
	s->aborts = calloc(n->n_items, sizeof(*s->aborts));
	if (!s->aborts)
		return sv_oom(c);
	s->n_aborts = n->n_items;
	for (size_t i = 0; i < n->n_items; i++) {
		const struct ynode *m = n->items[i], *v;
		struct scenario_abort *a = &s->aborts[i];
		const char *name;
		bool found_slo = false;

		a->line = m->line;
		a->col = m->col;
		if (m->kind != YNODE_MAPPING) {
			r = sv_error(c, m->line, m->col,
				     "abort_when[%zu]: expected a mapping such as {slo: errors, "
				     "breached_for: 5s}, found %s",
				     i, ynode_describe(m, found, sizeof(found)));
			continue;
		}
		if (sv_check_keys(c, m, "in abort_when", abort_keys, NULL) < 0)
			r = -EINVAL;
		if (!(v = ynode_get(m, "slo"))) {
			r = sv_missing(c, m, "slo", "in abort_when", "the name of an slo");
		} else if (sv_string(c, "abort_when.slo", v, &name) < 0) {
			r = -EINVAL;
		} else {
			/* Only valid names were stored, so a match is a valid name. */
			for (size_t k = 0; k < s->n_slos; k++)
				if (s->slos[k].name && streq(s->slos[k].name, name)) {
					a->slo = k;
					found_slo = true;
				}
			if (!found_slo)
				r = sv_error(c, v->line, v->col,
					     "abort_when.slo: no slo named %s%s",
					     ynode_describe(v, found, sizeof(found)),
					     s->n_slos ? "" : ": the scenario defines no slos");
			else if (!(s->slos[a->slo].phases & SLO_PHASE_BIT(PHASE_FAULT)))
				r = sv_error(c, v->line, v->col,
					     "abort_when.slo: slo '%s' is not judged in the fault "
					     "phase, where abort conditions apply",
					     name);
		}
		if (!(v = ynode_get(m, "breached_for")))
			r = sv_missing(c, m, "breached_for", "in abort_when",
				       "how long the slo must be breached, such as 5s");
		else if (sv_duration(c, "abort_when.breached_for", v, &a->breached_for_ns) < 0)
			r = -EINVAL;
		else if (a->breached_for_ns > SLO_MAX_WINDOW_NS)
			r = sv_error(c, v->line, v->col,
				     "abort_when.breached_for: expected at most 1h, found %s",
				     ynode_describe(v, found, sizeof(found)));
	}
	return r;
}

/* An amount in the metric's unit: a duration, a percentage, N/s or a number. */
static int check_amount(struct sv_ctx *c, const char *what, const struct ynode *n,
			enum slo_metric m, double *ret)
{
	struct slo_objective o;
	char text[200], err[300], found[96];
	const char *v;
	size_t at;

	if (sv_string(c, what, n, &v) < 0)
		return -EINVAL;
	/* The objective parser knows each metric's unit: reuse it on "METRIC > AMOUNT". */
	snprintf(text, sizeof(text), "%s > %s", slo_metric_name(m), v);
	if (strlen(v) > 64 || slo_objective_parse(text, &o, err, sizeof(err), &at) < 0) {
		const char *colon = strchr(err, ':');

		return sv_error(c, n->line, n->col, "%s: %s", what,
				strlen(v) > 64 ? "expected a short amount" :
				colon	       ? colon + 2 :
						 err);
	}
	if (!(o.threshold > 0))
		return sv_error(c, n->line, n->col, "%s: expected an amount above 0, found %s",
				what, ynode_describe(n, found, sizeof(found)));
	*ret = o.threshold;
	return 0;
}

int check_expect_effect(struct sv_ctx *c, const struct ynode *n, struct scenario *s,
			struct scenario_fault *f)
{
	_cleanup_free_ struct scenario_effect *e = NULL;
	const struct ynode *v, *inc, *dec, *metric;
	const char *pname = NULL, *mname;
	char found[96];
	bool metric_ok = false;
	int r = 0;

	if (n->kind != YNODE_MAPPING)
		return sv_error(c, n->line, n->col,
				"expect_effect: expected a mapping such as {probe: api, metric: "
				"p50, increase_at_least: 50ms}, found %s",
				ynode_describe(n, found, sizeof(found)));
	e = calloc(1, sizeof(*e));
	if (!e)
		return sv_oom(c);
	if (!s->baseline_ns)
		r = sv_error(c, n->line, n->col,
			     "expect_effect: compares the fault's window with the baseline phase; "
			     "expected phases.baseline, such as 'phases: {baseline: 10s}'");
	if (sv_check_keys(c, n, "in expect_effect", effect_keys, NULL) < 0)
		r = -EINVAL;
	if (!(v = ynode_get(n, "probe")))
		r = sv_missing(c, n, "probe", "in expect_effect", "the name of a probe");
	else if (check_probe_ref(c, "expect_effect.probe", v, s, &pname, &e->probe_index) < 0)
		r = -EINVAL;

	if (!(metric = ynode_get(n, "metric"))) {
		r = sv_missing(c, n, "metric", "in expect_effect",
			       "a metric such as p50 or error_rate");
	} else if (sv_string(c, "expect_effect.metric", metric, &mname) >= 0) {
		for (int i = 0; i < SLO_METRIC_COUNT; i++)
			if (streq(mname, slo_metric_name((enum slo_metric)i))) {
				e->metric = (enum slo_metric)i;
				metric_ok = true;
			}
		if (!metric_ok)
			r = sv_error(
				c, metric->line, metric->col,
				"expect_effect.metric: expected p50, p90, p95, p99, p999, max, "
				"mean, error_rate, availability, throughput or value, found %s",
				ynode_describe(metric, found, sizeof(found)));
		else if (pname && check_metric_fits(c, "expect_effect.metric", metric, e->metric,
						    &s->probes[e->probe_index]) < 0)
			r = -EINVAL;
	} else {
		r = -EINVAL;
	}

	inc = ynode_get(n, "increase_at_least");
	dec = ynode_get(n, "decrease_at_least");
	if (inc && dec)
		r = sv_error(c, dec->line, dec->col,
			     "expect_effect: expected either increase_at_least or "
			     "decrease_at_least, found both");
	else if (!inc && !dec)
		r = sv_missing(
			c, n, "increase_at_least", "in expect_effect",
			"increase_at_least or decrease_at_least with an amount such as 50ms");
	else if (metric_ok && check_amount(c,
					   inc ? "expect_effect.increase_at_least" :
						 "expect_effect.decrease_at_least",
					   inc ?: dec, e->metric, &e->amount) < 0)
		r = -EINVAL;
	if (r < 0 || c->oom)
		return c->oom ?: r;

	e->decrease = dec != NULL;
	e->probe = strdup(pname);
	if (asprintf(&e->text, "%s %s %s by at least %s", pname, slo_metric_name(e->metric),
		     e->decrease ? "decreases" : "increases", (inc ?: dec)->value) < 0)
		e->text = NULL;
	if (!e->probe || !e->text) {
		free(e->probe);
		free(e->text);
		return sv_oom(c);
	}
	f->expect_effect = TAKE_PTR(e);
	return 0;
}

void scenario_slos_free(struct scenario *s)
{
	for (size_t i = 0; i < s->n_slos; i++) {
		free(s->slos[i].name);
		free(s->slos[i].probe);
		free(s->slos[i].objective_text);
		free(s->slos[i].fault_objective_text);
	}
	s->slos = mfree(s->slos);
	s->n_slos = 0;
	s->aborts = mfree(s->aborts);
	s->n_aborts = 0;
	for (size_t i = 0; i < s->n_faults; i++) {
		struct scenario_effect *e = s->faults[i].expect_effect;

		if (!e)
			continue;
		free(e->probe);
		free(e->text);
		s->faults[i].expect_effect = mfree(e);
	}
}
