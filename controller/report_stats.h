/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Statistics the report writers show about the probes' samples: a summary of a
 * window (a phase, or the whole run) and a series of time buckets for charts.
 *
 * The definitions are those of the SLO evaluator (slo.h), so that a probe's
 * summary and an SLO's value agree:
 * - A sample belongs to the window that holds its *scheduled* time (sample.h).
 * - Latency samples are those that reached the service or timed out: every sample
 *   but refused connections, DNS and TLS failures and value errors (no_value,
 *   query_error), whose latency says nothing about the service. A timeout counts
 *   with its latency, so a stall raises the percentiles instead of vanishing.
 * - Percentiles are exact, by nearest rank: the ceil(permille * n / 1000)-th
 *   smallest latency, in integer arithmetic.
 * - Throughput counts successful samples per second of the window; the error rate
 *   is failed samples over all samples.
 * - Values are those of successful samples that carry a number (not NaN).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sample.h"

struct probe_summary {
	uint64_t start_ns, end_ns; /* the window [start, end) */
	size_t count; /* samples in the window */
	size_t ok; /* of which error == SAMPLE_OK */
	size_t errors[SAMPLE_ERROR_COUNT]; /* by class; errors[SAMPLE_OK] == ok */
	size_t n_latency; /* latency samples (above) */
	/* Latency in ns over the latency samples; meaningful when n_latency > 0. */
	uint64_t p50_ns, p90_ns, p99_ns, max_ns;
	double mean_ns;
	double throughput; /* ok samples per second of the window; 0 for an empty window */
	double error_rate; /* (count - ok) / count; 0 when count == 0 */
	/* Values (prometheus, command) of successful samples that carry one. */
	size_t n_values;
	double last_value; /* the latest such value (may be +-Inf); NAN when none */
	double min_value, max_value; /* NAN when none */
};

/* Summarises the samples of s scheduled in [start, end). Returns 0 or -ENOMEM.
 * end <= start gives an empty summary. */
int probe_summary_compute(const struct sample_series *s, uint64_t start, uint64_t end,
			  struct probe_summary *ret);

/* Whether a sample's latency counts in latency statistics (above). */
bool sample_has_latency(const struct sample *s);

/* The nearest-rank quantile permille/1000 (1..1000) of n sorted values; 0 when n == 0. */
uint64_t quantile_sorted(const uint64_t *sorted, size_t n, unsigned permille);

struct report_bucket {
	uint64_t start_ns, end_ns; /* [start, end); the last bucket may be shorter */
	size_t count, ok, n_latency;
	uint64_t p50_ns, p90_ns, p99_ns; /* meaningful when n_latency > 0 */
	double throughput; /* ok per second of the bucket */
	double error_rate; /* meaningful when count > 0 */
	size_t n_values; /* finite values of successful samples in the bucket */
	double value; /* their mean; meaningful when n_values > 0 */
};

/* The bucket width for charting duration_ns in at most max_buckets buckets: 1 s, or
 * the smallest of 2, 5, 10, 15, 30 s, 1, 2, 5, 10, 15, 30 min, 1 h ... that fits. */
uint64_t report_bucket_width(uint64_t duration_ns, size_t max_buckets);

/* Cuts [start, end) into buckets of width_ns and summarises s in each. On success
 * *ret is a malloc'd array of *ret_n buckets (NULL and 0 for an empty range).
 * Returns 0, -EINVAL (width 0) or -ENOMEM. */
int report_bucketize(const struct sample_series *s, uint64_t start, uint64_t end, uint64_t width_ns,
		     struct report_bucket **ret, size_t *ret_n);
