/* SPDX-License-Identifier: Apache-2.0 */
#include "sample.h"

#include <errno.h>
#include <stdlib.h>

static const char *const error_names[SAMPLE_ERROR_COUNT] = {
	[SAMPLE_OK] = "ok",
	[SAMPLE_TIMEOUT] = "timeout",
	[SAMPLE_REFUSED] = "refused",
	[SAMPLE_RESET] = "reset",
	[SAMPLE_DNS] = "dns",
	[SAMPLE_TLS] = "tls",
	[SAMPLE_BAD_STATUS] = "bad_status",
	[SAMPLE_EXIT_STATUS] = "exit_status",
	[SAMPLE_NO_VALUE] = "no_value",
	[SAMPLE_QUERY_ERROR] = "query_error",
	[SAMPLE_OTHER] = "other",
};

const char *sample_error_name(enum sample_error e)
{
	return (unsigned)e < SAMPLE_ERROR_COUNT ? error_names[e] : "other";
}

int sample_series_add(struct sample_series *series, const struct sample *s)
{
	size_t i;

	if (series->n == series->cap) {
		size_t cap = series->cap ? series->cap * 2 : 1024;
		struct sample *v = reallocarray(series->v, cap, sizeof(*v));
		if (!v)
			return -ENOMEM;
		series->v = v;
		series->cap = cap;
	}
	/* Completions arrive nearly in order: move the few later ones up. */
	for (i = series->n; i > 0 && series->v[i - 1].t_ns > s->t_ns; i--)
		series->v[i] = series->v[i - 1];
	series->v[i] = *s;
	series->n++;
	return 0;
}

size_t sample_series_lower_bound(const struct sample_series *series, uint64_t t)
{
	size_t lo = 0, hi = series->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (series->v[mid].t_ns < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void sample_series_clear(struct sample_series *series)
{
	free(series->probe);
	free(series->v);
	free(series->last_error);
	*series = (struct sample_series){ 0 };
}
