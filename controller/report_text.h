/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Text helpers shared by the report writers: escaping untrusted strings for XML,
 * HTML and CSV, UTF-8 repair, and the formatting of times and SLO values.
 *
 * Trust: every string a report carries (scenario and probe names, objectives,
 * error messages from probes and the injector) may hold any bytes. The helpers
 * here are the only place they are turned into markup, so that is where hostile
 * bytes are neutralised: invalid UTF-8 and characters XML 1.0 forbids become
 * U+FFFD, markup characters become entities.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "report.h"

/* A malloc'd copy of s (NULL is taken as "") in which every byte sequence that is
 * not valid UTF-8 (overlong forms, surrogates, code points past U+10FFFF, stray or
 * truncated bytes) is replaced by U+FFFD. NULL on ENOMEM. */
char *report_utf8_repair(const char *s);

/* Writes s (NULL is taken as "") escaped for XML 1.0 and HTML alike: & < > " '
 * become entities; invalid UTF-8 and characters XML 1.0 forbids (C0 controls but
 * TAB, LF and CR; U+FFFE, U+FFFF) become U+FFFD, and so do C1 controls and DEL. With
 * attr, TAB, LF and CR become character references, so attribute-value
 * normalisation keeps them. Stream errors are left for the caller's ferror(). */
void report_put_xml(FILE *f, const char *s, bool attr);

/* Writes s as one RFC 4180 field: quoted (with quotes doubled) when it holds a comma,
 * a quote, CR or LF, or starts or ends with a space; invalid UTF-8 and control bytes
 * other than CR and LF become U+FFFD. */
void report_put_csv(FILE *f, const char *s);

/* The run-relative time of a CLOCK_MONOTONIC instant, in milliseconds (negative when
 * t precedes the start). */
double report_rel_ms(const struct report *r, uint64_t t);

/* The wall-clock time of a CLOCK_MONOTONIC instant as RFC 3339 UTC with
 * milliseconds ("2026-11-26T22:00:00.123Z"); with ant_style, seconds only and no zone
 * ("2026-11-26T22:00:00", still UTC), the form JUnit consumers parse. */
void report_format_wall(const struct report *r, uint64_t t, bool ant_style, char *buf, size_t len);

/* "not_evaluated", "no_data", "pass", "fail". */
const char *report_verdict_name(enum slo_verdict v);

/* The objective that applies to s in phase p: the fault objective in the fault phase
 * when one is given, else the objective. */
const char *report_slo_objective(const struct report_slo *s, enum report_phase p);

/* What an SLO value is measured in, from the objective's metric word. */
enum report_unit {
	UNIT_SECONDS, /* p50, p90, p95, p99, p999, max, mean */
	UNIT_FRACTION, /* error_rate, availability */
	UNIT_PER_SECOND, /* throughput */
	UNIT_NUMBER, /* value, and anything not recognised */
};
enum report_unit report_objective_unit(const char *objective);

/* "s", "fraction", "1/s", "number": the unit of the JSON value fields. */
const char *report_unit_name(enum report_unit u);

/* value formatted for people in the objective's own notation: "98.7ms", "1.25s",
 * "0.5%", "120/s", "0.0123"; NaN and infinities as "NaN", "+Inf", "-Inf". */
void report_format_value(enum report_unit u, double value, char *buf, size_t len);

/* "value 98.7ms against objective p50 < 50ms" for s in phase p. */
void report_format_against(const struct report_slo *s, enum report_phase p, char *buf, size_t len);

/* Whether phase p ran, and its window [start, end) clamped to the run. */
bool report_phase_ran(const struct report *r, enum report_phase p);
void report_phase_window(const struct report *r, enum report_phase p, uint64_t *ret_start,
			 uint64_t *ret_end);
