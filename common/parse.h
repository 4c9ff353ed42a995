/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Strict parsers for the values scenarios and the protocol carry.
 *
 * Contract shared by every parser here:
 * - The whole string must be consumed: no leading or trailing spaces, no sign,
 *   no hex, no exponent.
 * - A unit is required wherever the quantity has one ("250ms", never "250").
 * - Decimal fractions are allowed ("1.5s", "0.5%"). A fraction that cannot be
 *   represented exactly in the result's base unit is rounded to nearest.
 * - Returns 0 and sets *ret_* on success. On failure returns -EINVAL (bad syntax
 *   or unknown unit) or -ERANGE (overflow, or outside the allowed range), leaves
 *   *ret_* untouched, and, when err is not NULL, writes a message of the form
 *   "expected a duration with a unit such as 250ms, 1.5s or 2m, found \"250\"".
 * - Pure functions: they never log, allocate or block.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Largest duration accepted anywhere: 30 days. Anything longer is a typo. */
#define PARSE_DURATION_MAX_NS (30ULL * 24 * 3600 * 1000000000ULL)

/* Durations: units ns, us, ms, s, m, h. "0s" is valid. Result in nanoseconds,
 * at most PARSE_DURATION_MAX_NS. */
int parse_duration_ns(const char *s, uint64_t *ret_ns, char *err, size_t errlen);

/* Sizes: units B, KB, MB, GB, TB (powers of 1000) and KiB, MiB, GiB, TiB (powers of
 * 1024). Result in bytes; must fit in int64_t. */
int parse_size_bytes(const char *s, uint64_t *ret_bytes, char *err, size_t errlen);

/* Percentages: "10%", "0.5%", "100%". The range is 0 to 100 inclusive. */
int parse_percent(const char *s, double *ret_percent, char *err, size_t errlen);

enum rate_kind {
	RATE_PER_SECOND, /* "50/s", "2000iops": events per second */
	RATE_BYTES_PER_SECOND, /* "20MiB/s", "500KB/s" */
	RATE_BITS_PER_SECOND, /* "1mbit", "100kbit", "10gbit", "512bit" (powers of 1000) */
};

struct rate {
	enum rate_kind kind;
	double value; /* in the kind's base unit per second, > 0 */
};

/* Rates in the three forms above. Zero and negative rates are refused. */
int parse_rate(const char *s, struct rate *ret_rate, char *err, size_t errlen);

/* Formats ns as the shortest exact unit form ("250ms", "1.5s", "2m"). Returns buf. */
const char *format_duration(uint64_t ns, char *buf, size_t len);
