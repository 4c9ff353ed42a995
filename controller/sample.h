/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Samples: what every probe produces and every SLO evaluates (design.md §6).
 *
 * The contract between the probes (probe_*.c), which append, and the SLO
 * evaluator and report writers (slo.c, report_*.c), which only read:
 *   - a series belongs to one probe and holds every sample it took, kept in the
 *     order of their scheduled times (t_ns never decreases), so that percentiles
 *     are exact and windows are found by binary search;
 *   - t_ns is the time the sample was *scheduled*, on CLOCK_MONOTONIC, and
 *     latency_ns runs from that time, not from the moment the request was sent
 *     (coordinated omission: a stalled service cannot hide by delaying sends);
 *   - a failed request is a sample with error != SAMPLE_OK, never a missing one.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sample_error {
	SAMPLE_OK = 0,
	SAMPLE_TIMEOUT, /* no answer within the probe's timeout */
	SAMPLE_REFUSED, /* connection refused */
	SAMPLE_RESET, /* connection reset or closed mid-answer */
	SAMPLE_DNS, /* the host name did not resolve */
	SAMPLE_TLS, /* TLS handshake or certificate failure */
	SAMPLE_BAD_STATUS, /* an answer, with a status not in the expected list */
	SAMPLE_EXIT_STATUS, /* command: exited non-zero, or killed by a signal */
	SAMPLE_NO_VALUE, /* prometheus/command: no number (empty result, unparseable output) */
	SAMPLE_QUERY_ERROR, /* prometheus: the server answered status "error" */
	SAMPLE_OTHER, /* anything else; the probe keeps a message for the report */
	SAMPLE_ERROR_COUNT,
};

/* Stable lower-case names for reports: "ok", "timeout", "refused", ... */
const char *sample_error_name(enum sample_error e);

struct sample {
	uint64_t t_ns; /* scheduled time, CLOCK_MONOTONIC */
	uint64_t latency_ns; /* from t_ns to the answer (or to the failure) */
	double value; /* prometheus/command value; NAN when none; may be +-INFINITY */
	int32_t status; /* http status, command exit status (128+sig when killed), else 0 */
	uint8_t error; /* enum sample_error */
};

struct sample_series {
	char *probe; /* the probe's name in the scenario; owned */
	const char *kind; /* "http", "tcp", "command", "prometheus": a static string */
	struct sample *v; /* owned, n valid of cap */
	size_t n, cap;
	char *last_error; /* the latest failure message, for reports; owned; may be NULL */
};

/* Adds s in t_ns order (after samples with the same t_ns); cheap when s is at or
 * near the end, as completions are. Returns 0 or -ENOMEM. */
int sample_series_add(struct sample_series *series, const struct sample *s);

/* Index of the first sample with t_ns >= t, or series->n. */
size_t sample_series_lower_bound(const struct sample_series *series, uint64_t t);

/* Frees the contents (not the struct) and zeroes it. Accepts an empty series. */
void sample_series_clear(struct sample_series *series);
