/* SPDX-License-Identifier: Apache-2.0 */
#include "slo_watch.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "macro.h"
#include "slo.h"

struct slo_watch {
	const struct scenario *s;
	const struct sample_series *const *series;
	size_t n_series;
	uint64_t settle_ns;
	uint64_t *breach_since; /* per abort condition: start of the breach, 0 when none */
	uint64_t *recovered_at; /* per SLO: its own first holding candidate, 0 when none */
	uint64_t next_candidate; /* the next recovery candidate to judge; 0 before the first */
	uint64_t recovered; /* the joint recovery point, 0 until found */
};

int slo_watch_new(const struct scenario *s, const struct sample_series *const *series,
		  size_t n_series, uint64_t settle_ns, struct slo_watch **ret)
{
	struct slo_watch *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->s = s;
	w->series = series;
	w->n_series = n_series;
	w->settle_ns = settle_ns;
	w->breach_since = calloc(s->n_aborts ? s->n_aborts : 1, sizeof(*w->breach_since));
	w->recovered_at = calloc(s->n_slos ? s->n_slos : 1, sizeof(*w->recovered_at));
	if (!w->breach_since || !w->recovered_at) {
		slo_watch_free(w);
		return -ENOMEM;
	}
	*ret = w;
	return 0;
}

struct slo_watch *slo_watch_free(struct slo_watch *w)
{
	if (!w)
		return NULL;
	free(w->breach_since);
	free(w->recovered_at);
	return mfree(w);
}

static const struct sample_series *series_of(const struct slo_watch *w, size_t slo)
{
	size_t p = w->s->slos[slo].probe_index;

	return p < w->n_series ? w->series[p] : NULL;
}

static const struct slo_objective *objective_in(const struct scenario_slo *slo, enum report_phase p)
{
	return p == PHASE_FAULT && slo->fault_objective_text ? &slo->fault_objective :
							       &slo->objective;
}

int slo_watch_rolling(struct slo_watch *w, size_t i, enum report_phase p, uint64_t now,
		      struct report_slo_phase *ret)
{
	const struct scenario_slo *slo = &w->s->slos[i];
	uint64_t from = now > slo->window_ns ? now - slo->window_ns : 0;

	return slo_judge(objective_in(slo, p), series_of(w, i), from, now, ret);
}

int slo_watch_abort_tick(struct slo_watch *w, uint64_t now, size_t *ret_abort)
{
	for (size_t i = 0; i < w->s->n_aborts; i++) {
		const struct scenario_abort *a = &w->s->aborts[i];
		struct report_slo_phase v;
		int r = slo_watch_rolling(w, a->slo, PHASE_FAULT, now, &v);

		if (r < 0)
			return r;
		if (v.verdict == SLO_PASS)
			w->breach_since[i] = 0;
		else if (v.verdict == SLO_FAIL && !w->breach_since[i])
			w->breach_since[i] = now;
		if (w->breach_since[i] && now - w->breach_since[i] >= a->breached_for_ns) {
			*ret_abort = i;
			return 1;
		}
	}
	return 0;
}

bool slo_watch_has_recovery(const struct slo_watch *w)
{
	for (size_t i = 0; i < w->s->n_slos; i++)
		if (w->s->slos[i].phases & SLO_PHASE_BIT(PHASE_RECOVERY))
			return true;
	return false;
}

/* Judges candidate t for every recovery SLO. Returns 1 when all hold, 0 when not,
 * -EAGAIN when some window is not complete yet, or -ENOMEM. */
static int judge_candidate(struct slo_watch *w, uint64_t t, uint64_t now)
{
	bool all = true;

	for (size_t i = 0; i < w->s->n_slos; i++) {
		const struct scenario_slo *slo = &w->s->slos[i];

		if ((slo->phases & SLO_PHASE_BIT(PHASE_RECOVERY)) &&
		    t + slo->window_ns + w->settle_ns > now)
			return -EAGAIN;
	}
	for (size_t i = 0; i < w->s->n_slos; i++) {
		const struct scenario_slo *slo = &w->s->slos[i];
		struct report_slo_phase v;
		int r;

		if (!(slo->phases & SLO_PHASE_BIT(PHASE_RECOVERY)))
			continue;
		r = slo_judge(&slo->objective, series_of(w, i), t, t + slo->window_ns, &v);
		if (r < 0)
			return r;
		if (v.verdict == SLO_PASS) {
			if (!w->recovered_at[i])
				w->recovered_at[i] = t;
		} else {
			all = false;
		}
	}
	return all;
}

int slo_watch_recovery_tick(struct slo_watch *w, uint64_t revert_ns, uint64_t within_ns,
			    uint64_t now, uint64_t *ret_at)
{
	if (w->recovered) {
		*ret_at = w->recovered;
		return 1;
	}
	if (!w->next_candidate)
		w->next_candidate = revert_ns;
	while (w->next_candidate <= revert_ns + within_ns) {
		int r = judge_candidate(w, w->next_candidate, now);

		if (r == -EAGAIN)
			return 0;
		if (r < 0)
			return r;
		if (r == 1) {
			w->recovered = w->next_candidate;
			*ret_at = w->recovered;
			return 1;
		}
		w->next_candidate += SLO_RECOVERY_STEP_NS;
	}
	return -ETIME;
}

int slo_watch_fill_report(struct slo_watch *w, uint64_t within_ns, struct report *r)
{
	const struct scenario *s = w->s;

	r->slos = calloc(s->n_slos ? s->n_slos : 1, sizeof(*r->slos));
	if (!r->slos)
		return -ENOMEM;
	r->n_slos = s->n_slos;
	for (size_t i = 0; i < s->n_slos; i++) {
		const struct scenario_slo *slo = &s->slos[i];
		struct report_slo *rs = &r->slos[i];

		rs->name = slo->name;
		rs->probe = slo->probe;
		rs->objective = slo->objective_text;
		rs->fault_objective = slo->fault_objective_text;
		for (int p = 0; p < PHASE_COUNT; p++) {
			uint64_t from = r->phase_start_ns[p], to = r->phase_end_ns[p];
			bool late = false;
			int k;

			rs->phase[p] = (struct report_slo_phase){ .verdict = SLO_NOT_EVALUATED,
								  .value = NAN };
			if (!(slo->phases & SLO_PHASE_BIT(p)) || !from || to <= from)
				continue;
			if (p == PHASE_RECOVERY) {
				/* Judged from where this SLO recovered, so the value shows the
				 * settled service; late or never is a failure. */
				if (w->recovered_at[i] && w->recovered_at[i] < to)
					from = w->recovered_at[i];
				late = !w->recovered_at[i] ||
				       w->recovered_at[i] - r->phase_start_ns[p] > within_ns;
			}
			k = slo_judge(objective_in(slo, (enum report_phase)p), series_of(w, i),
				      from, to, &rs->phase[p]);
			if (k < 0)
				return k;
			if (late && rs->phase[p].verdict == SLO_PASS)
				rs->phase[p].verdict = SLO_FAIL;
		}
	}
	return 0;
}

int slo_watch_effect(struct slo_watch *w, size_t probe, enum slo_metric m, uint64_t base_from,
		     uint64_t base_to, uint64_t from, uint64_t to, double *ret_delta)
{
	const struct sample_series *series = probe < w->n_series ? w->series[probe] : NULL;
	double base, during;
	size_t n;
	int r;

	r = slo_compute(m, series, base_from, base_to, &base, &n);
	if (r < 0)
		return r;
	r = slo_compute(m, series, from, to, &during, &n);
	if (r < 0)
		return r;
	*ret_delta = during - base;
	return 0;
}
