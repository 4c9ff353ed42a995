/* SPDX-License-Identifier: Apache-2.0 */
#include "bench_net_stats.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"

int series_add(struct series *s, const struct cycle *c)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct cycle *p = reallocarray(s->v, cap, sizeof(*p));
		if (!p)
			return -ENOMEM;
		s->v = p;
		s->cap = cap;
	}
	s->v[s->n++] = *c;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Sorts v[0..n) and gives its median, minimum and maximum. n > 0. */
static void summarize(double *v, size_t n, double ret[3])
{
	qsort(v, n, sizeof(*v), cmp_double);
	ret[0] = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	ret[1] = v[0];
	ret[2] = v[n - 1];
}

enum field { F_FIRST, F_SECOND, F_TOTAL, F_CPU, F_SHIM };

static double field(const struct cycle *c, enum field f)
{
	switch (f) {
	case F_FIRST:
		return (double)c->first;
	case F_SECOND:
		return (double)c->second;
	case F_TOTAL:
		return (double)(c->first + c->second);
	case F_CPU:
		return (double)c->cpu;
	case F_SHIM:
		return (double)c->shim;
	}
	return 0;
}

/* The median, minimum and maximum of field f over cycles [from, to). */
static void stat_of(const struct series *s, size_t from, size_t to, enum field f, double ret[3])
{
	_cleanup_free_ double *v = calloc(to - from, sizeof(*v));

	ret[0] = ret[1] = ret[2] = 0;
	if (!v || to <= from)
		return;
	for (size_t i = from; i < to; i++)
		v[i - from] = field(&s->v[i], f);
	summarize(v, to - from, ret);
}

void series_end_round(struct series *s)
{
	double st[3];

	stat_of(s, s->round_start, s->n, F_TOTAL, st);
	if (s->rounds < ARRAY_SIZE(s->round_median))
		s->round_median[s->rounds++] = st[0];
	s->round_start = s->n;
}

void series_free(struct series *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static void row(const char *label, const struct series *s, enum field f, double div)
{
	double st[3];

	stat_of(s, 0, s->n, f, st);
	printf("| %s | %.1f | %.1f | %.1f |\n", label, st[0] / div, st[1] / div, st[2] / div);
}

void series_report(const char *title, struct series *ours, struct series *tc, const char *unit)
{
	double div = streq(unit, "ms") ? 1e6 : 1e3, a[3], b[3], ca[3], cb[3], r[3];
	double per_round[ARRAY_SIZE(ours->round_median)];
	size_t rounds = ours->rounds < tc->rounds ? ours->rounds : tc->rounds;

	printf("\n%s: %zu cycles of each side\n\n", title, ours->n);
	printf("| measure (%s) | median | min | max |\n| --- | ---: | ---: | ---: |\n", unit);
	row("faultline: validate + apply", ours, F_FIRST, div);
	row("faultline: revert", ours, F_SECOND, div);
	row("faultline: apply + revert", ours, F_TOTAL, div);
	row("faultline: CPU time of both", ours, F_CPU, div);
	row("(faultline: of which netem-to-tbf translation)", ours, F_SHIM, div);
	row("tc: add", tc, F_FIRST, div);
	row("tc: del", tc, F_SECOND, div);
	row("tc: add + del", tc, F_TOTAL, div);
	row("tc: CPU time of both (start-up included)", tc, F_CPU, div);
	stat_of(ours, 0, ours->n, F_TOTAL, a);
	stat_of(tc, 0, tc->n, F_TOTAL, b);
	stat_of(ours, 0, ours->n, F_CPU, ca);
	stat_of(tc, 0, tc->n, F_CPU, cb);
	for (size_t i = 0; i < rounds; i++)
		per_round[i] =
			ours->round_median[i] > 0 ? tc->round_median[i] / ours->round_median[i] : 0;
	if (rounds)
		summarize(per_round, rounds, r);
	else
		r[0] = r[1] = r[2] = 0;
	printf("\nratio tc / faultline (faultline is N times faster): apply + revert %.1fx of the "
	       "medians, per round median %.1fx (min %.1fx, max %.1fx, %zu rounds); CPU %.1fx\n",
	       a[0] > 0 ? b[0] / a[0] : 0, r[0], r[1], r[2], rounds, ca[0] > 0 ? cb[0] / ca[0] : 0);
}
