/* SPDX-License-Identifier: Apache-2.0 */
#include "report_text.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "macro.h"
#include "time_util.h"

#define REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD in UTF-8 */

/*
 * Decodes one UTF-8 character at s (at least one byte before the NUL). Returns its
 * length and sets *ret_cp, or returns 1 with *ret_cp = -1 for a byte that does not
 * start a valid, shortest-form sequence of a scalar value (RFC 3629).
 */
static size_t utf8_next(const unsigned char *s, int32_t *ret_cp)
{
	size_t len, i;
	int32_t cp, min;

	if (s[0] < 0x80) {
		*ret_cp = s[0];
		return 1;
	}
	if ((s[0] & 0xE0) == 0xC0) {
		len = 2, cp = s[0] & 0x1F, min = 0x80;
	} else if ((s[0] & 0xF0) == 0xE0) {
		len = 3, cp = s[0] & 0x0F, min = 0x800;
	} else if ((s[0] & 0xF8) == 0xF0) {
		len = 4, cp = s[0] & 0x07, min = 0x10000;
	} else {
		*ret_cp = -1;
		return 1;
	}
	for (i = 1; i < len; i++) {
		/* A NUL ends the string, and fails this test too. */
		if ((s[i] & 0xC0) != 0x80) {
			*ret_cp = -1;
			return 1;
		}
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
		*ret_cp = -1;
		return 1;
	}
	*ret_cp = cp;
	return len;
}

char *report_utf8_repair(const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ?: "");
	size_t n = strlen((const char *)p), o = 0;
	/* Each bad byte grows to three. */
	char *out = malloc(n * 3 + 1);

	if (!out)
		return NULL;
	while (*p) {
		int32_t cp;
		size_t len = utf8_next(p, &cp);
		if (cp < 0) {
			memcpy(out + o, REPLACEMENT, 3);
			o += 3;
		} else {
			memcpy(out + o, p, len);
			o += len;
		}
		p += len;
	}
	out[o] = '\0';
	return out;
}

/* Characters XML 1.0 forbids, and the controls no report should carry. */
static bool xml_unwanted(int32_t cp)
{
	if (cp < 0)
		return true;
	if (cp < 0x20)
		return cp != '\t' && cp != '\n' && cp != '\r';
	if (cp >= 0x7F && cp <= 0x9F)
		return true;
	return cp == 0xFFFE || cp == 0xFFFF;
}

void report_put_xml(FILE *f, const char *s, bool attr)
{
	const unsigned char *p = (const unsigned char *)(s ?: "");

	while (*p) {
		int32_t cp;
		size_t len = utf8_next(p, &cp);

		if (xml_unwanted(cp)) {
			fputs(REPLACEMENT, f);
		} else if (cp == '&') {
			fputs("&amp;", f);
		} else if (cp == '<') {
			fputs("&lt;", f);
		} else if (cp == '>') {
			fputs("&gt;", f);
		} else if (cp == '"') {
			fputs("&quot;", f);
		} else if (cp == '\'') {
			fputs("&#39;", f);
		} else if (attr && (cp == '\t' || cp == '\n' || cp == '\r')) {
			fprintf(f, "&#%d;", (int)cp);
		} else {
			fwrite(p, 1, len, f);
		}
		p += len;
	}
}

void report_put_csv(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ?: "");
	size_t n = strlen((const char *)p);
	bool quote = strpbrk((const char *)p, ",\"\r\n") || (n && (p[0] == ' ' || p[n - 1] == ' '));

	if (quote)
		fputc('"', f);
	while (*p) {
		int32_t cp;
		size_t len = utf8_next(p, &cp);

		if (cp < 0 || (cp < 0x20 && cp != '\t' && cp != '\r' && cp != '\n') || cp == 0x7F)
			fputs(REPLACEMENT, f);
		else if (cp == '"')
			fputs("\"\"", f);
		else
			fwrite(p, 1, len, f);
		p += len;
	}
	if (quote)
		fputc('"', f);
}

double report_rel_ms(const struct report *r, uint64_t t)
{
	if (t >= r->start_ns)
		return (double)(t - r->start_ns) / 1e6;
	return -(double)(r->start_ns - t) / 1e6;
}

void report_format_wall(const struct report *r, uint64_t t, bool ant_style, char *buf, size_t len)
{
	int64_t rel = t >= r->start_ns ? (int64_t)(t - r->start_ns) : -(int64_t)(r->start_ns - t);
	int64_t wall_ms = ((int64_t)r->start_realtime_ns + rel) / (int64_t)NSEC_PER_MSEC;
	time_t secs = (time_t)(wall_ms / 1000);
	struct tm tm;

	if (!gmtime_r(&secs, &tm)) {
		snprintf(buf, len, "1970-01-01T00:00:00%s", ant_style ? "" : ".000Z");
		return;
	}
	if (ant_style)
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	else
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			 (int)(wall_ms % 1000));
}

const char *report_verdict_name(enum slo_verdict v)
{
	switch (v) {
	case SLO_NOT_EVALUATED:
		return "not_evaluated";
	case SLO_NO_DATA:
		return "no_data";
	case SLO_PASS:
		return "pass";
	case SLO_FAIL:
		return "fail";
	}
	return "unknown";
}

const char *report_slo_objective(const struct report_slo *s, enum report_phase p)
{
	if (p == PHASE_FAULT && s->fault_objective)
		return s->fault_objective;
	return s->objective ?: "";
}

enum report_unit report_objective_unit(const char *objective)
{
	static const struct {
		const char *word;
		enum report_unit unit;
	} metrics[] = {
		{ "p50", UNIT_SECONDS },	   { "p90", UNIT_SECONDS },
		{ "p95", UNIT_SECONDS },	   { "p99", UNIT_SECONDS },
		{ "p999", UNIT_SECONDS },	   { "max", UNIT_SECONDS },
		{ "mean", UNIT_SECONDS },	   { "error_rate", UNIT_FRACTION },
		{ "availability", UNIT_FRACTION }, { "throughput", UNIT_PER_SECOND },
		{ "value", UNIT_NUMBER },
	};
	const char *p = objective ?: "";
	size_t n;

	p += strspn(p, " \t");
	n = strcspn(p, " \t<>=!");
	for (size_t i = 0; i < ARRAY_SIZE(metrics); i++)
		if (strlen(metrics[i].word) == n && strncmp(p, metrics[i].word, n) == 0)
			return metrics[i].unit;
	return UNIT_NUMBER;
}

const char *report_unit_name(enum report_unit u)
{
	switch (u) {
	case UNIT_SECONDS:
		return "s";
	case UNIT_FRACTION:
		return "fraction";
	case UNIT_PER_SECOND:
		return "1/s";
	case UNIT_NUMBER:
		break;
	}
	return "number";
}

void report_format_value(enum report_unit u, double value, char *buf, size_t len)
{
	if (isnan(value)) {
		snprintf(buf, len, "NaN");
		return;
	}
	if (isinf(value)) {
		snprintf(buf, len, "%sInf", value > 0 ? "+" : "-");
		return;
	}
	switch (u) {
	case UNIT_SECONDS:
		if (fabs(value) < 1.0)
			snprintf(buf, len, "%.4gms", value * 1e3);
		else
			snprintf(buf, len, "%.4gs", value);
		break;
	case UNIT_FRACTION:
		snprintf(buf, len, "%.4g%%", value * 100.0);
		break;
	case UNIT_PER_SECOND:
		snprintf(buf, len, "%.4g/s", value);
		break;
	case UNIT_NUMBER:
		snprintf(buf, len, "%.6g", value);
		break;
	}
}

void report_format_against(const struct report_slo *s, enum report_phase p, char *buf, size_t len)
{
	const char *objective = report_slo_objective(s, p);
	char value[64];

	report_format_value(report_objective_unit(objective), s->phase[p].value, value,
			    sizeof(value));
	snprintf(buf, len, "value %s against objective %s", value, objective);
}

bool report_phase_ran(const struct report *r, enum report_phase p)
{
	return (unsigned)p < PHASE_COUNT && r->phase_start_ns[p] != 0;
}

void report_phase_window(const struct report *r, enum report_phase p, uint64_t *ret_start,
			 uint64_t *ret_end)
{
	uint64_t start = r->phase_start_ns[p], end = r->phase_end_ns[p];

	if (end < start)
		end = start;
	*ret_start = start;
	*ret_end = end;
}
