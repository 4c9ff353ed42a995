/* SPDX-License-Identifier: Apache-2.0 */
#include "slo.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "macro.h"

static bool is_latency_sample(const struct sample *s)
{
	switch ((enum sample_error)s->error) {
	case SAMPLE_REFUSED:
	case SAMPLE_DNS:
	case SAMPLE_TLS:
	case SAMPLE_NO_VALUE:
	case SAMPLE_QUERY_ERROR:
		return false;
	default:
		return true;
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest value with at least permille/1000 of the samples at or
 * below it. Integer arithmetic, so that p99 of 100 samples is exactly rank 99. */
static uint64_t nearest_rank(const uint64_t *sorted, size_t n, unsigned permille)
{
	size_t rank = (size_t)(((uint64_t)n * permille + 999) / 1000);

	if (rank < 1)
		rank = 1;
	return sorted[rank - 1];
}

static unsigned percentile_permille(enum slo_metric m)
{
	switch (m) {
	case SLO_P50:
		return 500;
	case SLO_P90:
		return 900;
	case SLO_P95:
		return 950;
	case SLO_P99:
		return 990;
	default:
		return 999;
	}
}

static int compute_latency(enum slo_metric m, const struct sample *v, size_t n, double *ret_value,
			   size_t *ret_samples)
{
	_cleanup_free_ uint64_t *lat = NULL;
	size_t k = 0;
	uint64_t max = 0;
	long double sum = 0;

	if (m != SLO_MAX && m != SLO_MEAN) {
		lat = malloc((n ? n : 1) * sizeof(*lat));
		if (!lat)
			return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		if (!is_latency_sample(&v[i]))
			continue;
		if (lat)
			lat[k] = v[i].latency_ns;
		if (v[i].latency_ns > max)
			max = v[i].latency_ns;
		sum += v[i].latency_ns;
		k++;
	}
	if (!k)
		return -ENODATA;
	if (m == SLO_MAX) {
		*ret_value = (double)max / 1e9;
	} else if (m == SLO_MEAN) {
		*ret_value = (double)(sum / k) / 1e9;
	} else {
		qsort(lat, k, sizeof(*lat), cmp_u64);
		*ret_value = (double)nearest_rank(lat, k, percentile_permille(m)) / 1e9;
	}
	*ret_samples = k;
	return 0;
}

int slo_compute(enum slo_metric m, const struct sample_series *series, uint64_t from_ns,
		uint64_t to_ns, double *ret_value, size_t *ret_samples)
{
	size_t a, b, n, failed = 0;

	if (!series || to_ns <= from_ns)
		return -ENODATA;
	a = sample_series_lower_bound(series, from_ns);
	b = sample_series_lower_bound(series, to_ns);
	n = b - a;
	if (n == 0)
		return -ENODATA;

	if (slo_metric_is_latency(m))
		return compute_latency(m, series->v + a, n, ret_value, ret_samples);

	for (size_t i = a; i < b; i++)
		failed += series->v[i].error != SAMPLE_OK;

	switch (m) {
	case SLO_ERROR_RATE:
		*ret_value = (double)failed / (double)n;
		break;
	case SLO_AVAILABILITY:
		*ret_value = 1.0 - (double)failed / (double)n;
		break;
	case SLO_THROUGHPUT:
		*ret_value = (double)(n - failed) / ((double)(to_ns - from_ns) / 1e9);
		break;
	case SLO_VALUE:
		for (size_t i = b; i > a; i--) {
			const struct sample *s = &series->v[i - 1];

			if (s->error == SAMPLE_OK && !isnan(s->value)) {
				*ret_value = s->value;
				*ret_samples = 1;
				return 0;
			}
		}
		return -ENODATA;
	default:
		return -EINVAL;
	}
	*ret_samples = n;
	return 0;
}

int slo_judge(const struct slo_objective *o, const struct sample_series *series, uint64_t from_ns,
	      uint64_t to_ns, struct report_slo_phase *ret)
{
	double v;
	size_t k;
	int r;

	r = slo_compute(o->metric, series, from_ns, to_ns, &v, &k);
	if (r == -ENODATA) {
		*ret = (struct report_slo_phase){ .verdict = SLO_NO_DATA, .value = NAN };
		return 0;
	}
	if (r < 0)
		return r;
	*ret = (struct report_slo_phase){
		.verdict = slo_objective_holds(o, v) ? SLO_PASS : SLO_FAIL,
		.value = v,
		.samples = k,
	};
	return 0;
}
