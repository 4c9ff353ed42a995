/* SPDX-License-Identifier: Apache-2.0 */
#include "report_stats.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "macro.h"
#include "time_util.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

bool sample_has_latency(const struct sample *s)
{
	switch (s->error) {
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

uint64_t quantile_sorted(const uint64_t *sorted, size_t n, unsigned permille)
{
	size_t rank;

	if (n == 0)
		return 0;
	/* Nearest rank: the smallest value with at least permille/1000 of the samples at
	 * or below it; integer arithmetic, so that p99 of 100 samples is rank 99. */
	rank = (size_t)(((uint64_t)n * permille + 999) / 1000);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}

/* The sorted latencies of the latency samples of v[lo, hi) into scratch (room for
 * hi - lo); returns how many. */
static size_t sorted_latencies(const struct sample *v, size_t lo, size_t hi, uint64_t *scratch)
{
	size_t n = 0;

	for (size_t i = lo; i < hi; i++)
		if (sample_has_latency(&v[i]))
			scratch[n++] = v[i].latency_ns;
	qsort(scratch, n, sizeof(*scratch), cmp_u64);
	return n;
}

int probe_summary_compute(const struct sample_series *s, uint64_t start, uint64_t end,
			  struct probe_summary *ret)
{
	struct probe_summary sum = {
		.start_ns = start,
		.end_ns = end > start ? end : start,
		.last_value = NAN,
		.min_value = NAN,
		.max_value = NAN,
	};
	_cleanup_free_ uint64_t *lat = NULL;
	size_t lo, hi;
	double total = 0;

	lo = sample_series_lower_bound(s, start);
	hi = end > start ? sample_series_lower_bound(s, end) : lo;
	sum.count = hi - lo;
	if (sum.count == 0) {
		*ret = sum;
		return 0;
	}
	lat = malloc(sum.count * sizeof(*lat));
	if (!lat)
		return -ENOMEM;
	for (size_t i = lo; i < hi; i++) {
		const struct sample *x = &s->v[i];
		unsigned e = x->error < SAMPLE_ERROR_COUNT ? x->error : SAMPLE_OTHER;

		sum.errors[e]++;
		if (sample_has_latency(x))
			total += (double)x->latency_ns;
		if (e == SAMPLE_OK && !isnan(x->value)) {
			if (sum.n_values == 0 || x->value < sum.min_value)
				sum.min_value = x->value;
			if (sum.n_values == 0 || x->value > sum.max_value)
				sum.max_value = x->value;
			sum.last_value = x->value;
			sum.n_values++;
		}
	}
	sum.ok = sum.errors[SAMPLE_OK];
	sum.n_latency = sorted_latencies(s->v, lo, hi, lat);
	if (sum.n_latency) {
		sum.p50_ns = quantile_sorted(lat, sum.n_latency, 500);
		sum.p90_ns = quantile_sorted(lat, sum.n_latency, 900);
		sum.p99_ns = quantile_sorted(lat, sum.n_latency, 990);
		sum.max_ns = lat[sum.n_latency - 1];
		sum.mean_ns = total / (double)sum.n_latency;
	}
	sum.error_rate = (double)(sum.count - sum.ok) / (double)sum.count;
	if (sum.end_ns > sum.start_ns)
		sum.throughput = (double)sum.ok * 1e9 / (double)(sum.end_ns - sum.start_ns);
	*ret = sum;
	return 0;
}

uint64_t report_bucket_width(uint64_t duration_ns, size_t max_buckets)
{
	static const uint64_t steps_s[] = { 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800 };
	uint64_t w;

	if (max_buckets == 0)
		max_buckets = 1;
	for (size_t i = 0; i < ARRAY_SIZE(steps_s); i++) {
		w = steps_s[i] * NSEC_PER_SEC;
		if (duration_ns / w + (duration_ns % w != 0) <= max_buckets)
			return w;
	}
	/* Whole hours beyond that. */
	w = 3600 * NSEC_PER_SEC;
	while (duration_ns / w + (duration_ns % w != 0) > max_buckets)
		w += 3600 * NSEC_PER_SEC;
	return w;
}

int report_bucketize(const struct sample_series *s, uint64_t start, uint64_t end, uint64_t width_ns,
		     struct report_bucket **ret, size_t *ret_n)
{
	_cleanup_free_ struct report_bucket *b = NULL;
	_cleanup_free_ uint64_t *scratch = NULL;
	size_t n, lo, hi;

	if (width_ns == 0)
		return -EINVAL;
	if (end <= start) {
		*ret = NULL;
		*ret_n = 0;
		return 0;
	}
	n = (end - start) / width_ns + ((end - start) % width_ns != 0);
	b = calloc(n, sizeof(*b));
	lo = sample_series_lower_bound(s, start);
	hi = sample_series_lower_bound(s, end);
	scratch = malloc((hi - lo + 1) * sizeof(*scratch));
	if (!b || !scratch)
		return -ENOMEM;
	for (size_t k = 0; k < n; k++) {
		struct report_bucket *x = &b[k];
		size_t a = lo, z;
		double sum_values = 0;

		x->start_ns = start + k * width_ns;
		x->end_ns = x->start_ns + width_ns < end ? x->start_ns + width_ns : end;
		z = sample_series_lower_bound(s, x->end_ns);
		x->count = z - a;
		for (size_t i = a; i < z; i++) {
			if (s->v[i].error != SAMPLE_OK)
				continue;
			x->ok++;
			if (isfinite(s->v[i].value)) {
				sum_values += s->v[i].value;
				x->n_values++;
			}
		}
		x->throughput = (double)x->ok * 1e9 / (double)(x->end_ns - x->start_ns);
		if (x->count) {
			x->n_latency = sorted_latencies(s->v, a, z, scratch);
			x->p50_ns = quantile_sorted(scratch, x->n_latency, 500);
			x->p90_ns = quantile_sorted(scratch, x->n_latency, 900);
			x->p99_ns = quantile_sorted(scratch, x->n_latency, 990);
			x->error_rate = (double)(x->count - x->ok) / (double)x->count;
		}
		if (x->n_values)
			x->value = sum_values / (double)x->n_values;
		lo = z;
	}
	*ret = TAKE_PTR(b);
	*ret_n = n;
	return 0;
}
