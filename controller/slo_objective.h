/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SLO objectives: the small expressions of a scenario's slos (design.md §6),
 * strictly parsed.
 *
 *   METRIC OP THRESHOLD
 *
 *   p50 p90 p95 p99 p999 max mean   DURATION  ("300ms", parse_duration_ns)
 *   error_rate availability         PERCENT   ("1%", "99.9%", parse_percent)
 *   throughput                      N/s       ("100/s", parse_rate, per second only)
 *   value                           NUMBER    ("0.01", "-3", "1e-3"; finite)
 *
 *   OP is one of < <= > >= == !=
 *
 * Tokens are separated by spaces (zero or more around the operator, exactly as
 * written: "p99<300ms" and "p99 < 300ms" are both accepted); nothing else may
 * lead, trail or come between them. Metric names are lower case.
 *
 * Thresholds are held in the evaluator's units: seconds for latency, a fraction
 * 0..1 for rates, per second for throughput, the number itself for value.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum slo_metric {
	SLO_P50,
	SLO_P90,
	SLO_P95,
	SLO_P99,
	SLO_P999,
	SLO_MAX,
	SLO_MEAN,
	SLO_ERROR_RATE,
	SLO_AVAILABILITY,
	SLO_THROUGHPUT,
	SLO_VALUE,
	SLO_METRIC_COUNT,
};

enum slo_op {
	SLO_OP_LT,
	SLO_OP_LE,
	SLO_OP_GT,
	SLO_OP_GE,
	SLO_OP_EQ,
	SLO_OP_NE,
};

struct slo_objective {
	enum slo_metric metric;
	enum slo_op op;
	double threshold; /* seconds, fraction, per second, or the number */
};

/* Bytes of an objective beyond which it is refused without a closer look. */
#define SLO_OBJECTIVE_MAX_LEN 128

/*
 * Parses s (NUL-terminated) into *ret. Returns 0, or -EINVAL with *ret untouched,
 * err (may be NULL) set to a message that says what was expected there and what
 * was found, and *ret_offset (may be NULL) set to the 0-based byte offset in s
 * where the problem starts, so a caller can map it to file:line:col. Pure: no
 * allocation, no logging.
 */
int slo_objective_parse(const char *s, struct slo_objective *ret, char *err, size_t errlen,
			size_t *ret_offset);

/* "p99", "error_rate", ...; "?" for anything else. */
const char *slo_metric_name(enum slo_metric m);
/* "<", "<=", ... */
const char *slo_op_name(enum slo_op op);

/* Latency metrics: p50 to p999, max and mean. */
bool slo_metric_is_latency(enum slo_metric m);

/* Whether value satisfies op threshold. NaN never does. */
bool slo_objective_holds(const struct slo_objective *o, double value);

/* Writes value in the metric's unit for people: "98.7ms", "0.52%", "49.8/s", "0.013".
 * Returns buf. */
const char *slo_format_value(enum slo_metric m, double value, char *buf, size_t len);
