/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The objective parser. Objectives are written by hand in scenario files, so the
 * parser is strict (nothing is guessed) and each message names the token that is
 * wrong, what was expected there, and where it starts.
 */
#include "slo_objective.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "parse.h"

static const char *const metric_names[SLO_METRIC_COUNT] = {
	[SLO_P50] = "p50",
	[SLO_P90] = "p90",
	[SLO_P95] = "p95",
	[SLO_P99] = "p99",
	[SLO_P999] = "p999",
	[SLO_MAX] = "max",
	[SLO_MEAN] = "mean",
	[SLO_ERROR_RATE] = "error_rate",
	[SLO_AVAILABILITY] = "availability",
	[SLO_THROUGHPUT] = "throughput",
	[SLO_VALUE] = "value",
};

#define METRICS_EXPECTED                                                                           \
	"a metric (p50, p90, p95, p99, p999, max, mean, error_rate, availability, throughput or "  \
	"value)"
#define OPS_EXPECTED "a comparison (<, <=, >, >=, == or !=)"

/* Longest first, so that "<=" is not read as "<" followed by "=". */
static const struct {
	const char *text;
	enum slo_op op;
} ops[] = {
	{ "<=", SLO_OP_LE }, { ">=", SLO_OP_GE }, { "==", SLO_OP_EQ },
	{ "!=", SLO_OP_NE }, { "<", SLO_OP_LT },  { ">", SLO_OP_GT },
};

const char *slo_metric_name(enum slo_metric m)
{
	return (unsigned)m < SLO_METRIC_COUNT ? metric_names[m] : "?";
}

const char *slo_op_name(enum slo_op op)
{
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
		if (ops[i].op == op)
			return ops[i].text;
	return "?";
}

bool slo_metric_is_latency(enum slo_metric m)
{
	return m <= SLO_MEAN;
}

bool slo_objective_holds(const struct slo_objective *o, double v)
{
	if (isnan(v))
		return false;
	switch (o->op) {
	case SLO_OP_LT:
		return v < o->threshold;
	case SLO_OP_LE:
		return v <= o->threshold;
	case SLO_OP_GT:
		return v > o->threshold;
	case SLO_OP_GE:
		return v >= o->threshold;
	case SLO_OP_EQ:
		return v == o->threshold;
	case SLO_OP_NE:
		return v != o->threshold;
	}
	return false;
}

/* A token for a message: printable ASCII as is, anything else as \xNN, cut short. */
static const char *quote_token(const char *s, size_t n, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t w = 0, i;

	for (i = 0; i < n && w + 8 < len && i < 40; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			buf[w++] = '\\';
			buf[w++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			buf[w++] = '\\';
			buf[w++] = 'x';
			buf[w++] = hex[c >> 4];
			buf[w++] = hex[c & 0xf];
		} else {
			buf[w++] = (char)c;
		}
	}
	if (i < n && w + 4 <= len) {
		memcpy(buf + w, "...", 3);
		w += 3;
	}
	buf[w] = '\0';
	return buf;
}

struct cursor {
	const char *s;
	size_t pos;
	char *err;
	size_t errlen;
	size_t *ret_offset;
};

static int fail_at(struct cursor *c, size_t at, const char *fmt, ...) _printf_(3, 4);
static int fail_at(struct cursor *c, size_t at, const char *fmt, ...)
{
	va_list ap;

	if (c->err && c->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(c->err, c->errlen, fmt, ap);
		va_end(ap);
	}
	if (c->ret_offset)
		*c->ret_offset = at;
	return -EINVAL;
}

static void skip_spaces(struct cursor *c)
{
	while (c->s[c->pos] == ' ')
		c->pos++;
}

/* The length of the token at pos: up to a space, an operator character or the end. */
static size_t token_len(const char *p, bool stop_at_op)
{
	size_t n = 0;

	while (p[n] && p[n] != ' ' && !(stop_at_op && strchr("<>=!", p[n])))
		n++;
	return n;
}

static int parse_metric(struct cursor *c, enum slo_metric *ret)
{
	const char *p = c->s + c->pos;
	size_t n = 0;
	char found[200];

	/* A metric name is [a-z0-9_]; it ends at anything else. */
	while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= '0' && p[n] <= '9') || p[n] == '_')
		n++;
	for (size_t i = 0; n && i < SLO_METRIC_COUNT; i++)
		if (strlen(metric_names[i]) == n && memcmp(metric_names[i], p, n) == 0) {
			*ret = (enum slo_metric)i;
			c->pos += n;
			return 0;
		}
	if (!*p)
		return fail_at(c, c->pos, "expected %s, found nothing", METRICS_EXPECTED);
	n = token_len(p, true);
	if (!n)
		n = 1;
	return fail_at(c, c->pos, "expected %s, found \"%s\"", METRICS_EXPECTED,
		       quote_token(p, n, found, sizeof(found)));
}

static int parse_op(struct cursor *c, enum slo_op *ret)
{
	const char *p = c->s + c->pos;
	char found[200];

	for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
		size_t n = strlen(ops[i].text);

		if (strncmp(p, ops[i].text, n) == 0) {
			/* "<<" or "=<" is a typo, not "<" followed by a value. */
			if (p[n] && strchr("<>=!", p[n]))
				break;
			*ret = ops[i].op;
			c->pos += n;
			return 0;
		}
	}
	if (!*p)
		return fail_at(c, c->pos, "expected %s after the metric, found nothing",
			       OPS_EXPECTED);
	size_t n = strspn(p, "<>=!");
	if (!n)
		n = token_len(p, false);
	return fail_at(c, c->pos, "expected %s, found \"%s\"", OPS_EXPECTED,
		       quote_token(p, n, found, sizeof(found)));
}

/*
 * A plain decimal number for value objectives: -?D+(.D+)?([eE][+-]?D+)?. The
 * syntax is checked by hand, so strtod() never sees its own extensions (hex,
 * "inf", "nan", leading spaces); the controller never calls setlocale(), so the
 * decimal point is '.'.
 */
static int parse_number(const char *s, double *ret)
{
	const char *p = s;
	char *end;
	double v;

	if (*p == '-')
		p++;
	if (*p < '0' || *p > '9')
		return -EINVAL;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (*end || !isfinite(v) || errno == ERANGE)
		return -ERANGE;
	*ret = v;
	return 0;
}

static int parse_threshold(struct cursor *c, enum slo_metric m, double *ret)
{
	const char *p = c->s + c->pos;
	char why[300], found[200];
	struct rate rate;
	uint64_t ns;
	double pct;
	int r;

	if (!*p)
		return fail_at(c, c->pos,
			       "expected a threshold after the comparison, found nothing");
	if (slo_metric_is_latency(m)) {
		if (parse_duration_ns(p, &ns, why, sizeof(why)) < 0)
			return fail_at(c, c->pos, "%s: %s", metric_names[m], why);
		*ret = (double)ns / 1e9;
		return 0;
	}
	switch (m) {
	case SLO_ERROR_RATE:
	case SLO_AVAILABILITY:
		if (parse_percent(p, &pct, why, sizeof(why)) < 0)
			return fail_at(c, c->pos, "%s: %s", metric_names[m], why);
		*ret = pct / 100.0;
		return 0;
	case SLO_THROUGHPUT:
		/* Samples per second only: "iops" and byte or bit rates make no sense for
		 * a count of successful probes. */
		if (parse_rate(p, &rate, why, sizeof(why)) < 0 || rate.kind != RATE_PER_SECOND ||
		    strcmp(p + strlen(p) - 2, "/s") != 0)
			return fail_at(c, c->pos,
				       "throughput: expected successful samples per second such "
				       "as 100/s or 0.5/s, found \"%s\"",
				       quote_token(p, strlen(p), found, sizeof(found)));
		*ret = rate.value;
		return 0;
	case SLO_VALUE:
		r = parse_number(p, ret);
		if (r == -ERANGE)
			return fail_at(c, c->pos,
				       "value: the number \"%s\" is out of range for a double",
				       quote_token(p, strlen(p), found, sizeof(found)));
		if (r < 0)
			return fail_at(c, c->pos,
				       "value: expected a decimal number such as 0.01, -3 or 1e-3, "
				       "found \"%s\"",
				       quote_token(p, strlen(p), found, sizeof(found)));
		return 0;
	default:
		return fail_at(c, c->pos, "internal error: unknown metric");
	}
}

int slo_objective_parse(const char *s, struct slo_objective *ret, char *err, size_t errlen,
			size_t *ret_offset)
{
	struct cursor c = { .s = s, .err = err, .errlen = errlen, .ret_offset = ret_offset };
	struct slo_objective o = { 0 };
	char found[200];
	size_t len, value_start, value_len;
	int r;

	if (!s)
		return fail_at(&c, 0, "expected an objective such as \"p99 < 300ms\"");
	len = strnlen(s, SLO_OBJECTIVE_MAX_LEN + 1);
	if (len > SLO_OBJECTIVE_MAX_LEN)
		return fail_at(&c, 0,
			       "expected an objective of at most %d bytes such as \"p99 < "
			       "300ms\", found a longer string",
			       SLO_OBJECTIVE_MAX_LEN);
	if (len == 0)
		return fail_at(&c, 0,
			       "expected an objective such as \"p99 < 300ms\", found an "
			       "empty string");
	if (s[0] == ' ')
		return fail_at(&c, 0, "expected the objective to start with %s, found a space",
			       METRICS_EXPECTED);

	r = parse_metric(&c, &o.metric);
	if (r < 0)
		return r;
	skip_spaces(&c);
	r = parse_op(&c, &o.op);
	if (r < 0)
		return r;
	skip_spaces(&c);

	/* The threshold runs to the end; a space inside it is extra text. */
	value_start = c.pos;
	value_len = token_len(s + value_start, false);
	if (s[value_start + value_len]) {
		size_t extra = value_start + value_len;

		while (s[extra] == ' ')
			extra++;
		if (!s[extra])
			return fail_at(&c, value_start + value_len,
				       "expected the objective to end after the threshold, found "
				       "trailing spaces");
		/* "300 ms": the unit belongs to the number. */
		if (value_len && s[value_start + value_len - 1] >= '0' &&
		    s[value_start + value_len - 1] <= '9' && o.metric != SLO_VALUE)
			return fail_at(&c, value_start + value_len,
				       "expected the unit right after the number (\"300ms\", "
				       "not \"300 ms\"), found a space");
		return fail_at(&c, extra,
			       "expected the objective to end after the threshold, found \"%s\"",
			       quote_token(s + extra, strlen(s + extra), found, sizeof(found)));
	}
	r = parse_threshold(&c, o.metric, &o.threshold);
	if (r < 0)
		return r;
	*ret = o;
	return 0;
}

const char *slo_format_value(enum slo_metric m, double v, char *buf, size_t len)
{
	if (isnan(v)) {
		snprintf(buf, len, "n/a");
		return buf;
	}
	if (slo_metric_is_latency(m)) {
		if (v < 1e-3)
			snprintf(buf, len, "%.1fus", v * 1e6);
		else if (v < 10)
			snprintf(buf, len, "%.1fms", v * 1e3);
		else
			snprintf(buf, len, "%.2fs", v);
	} else if (m == SLO_ERROR_RATE || m == SLO_AVAILABILITY) {
		snprintf(buf, len, "%.2f%%", v * 100);
	} else if (m == SLO_THROUGHPUT) {
		snprintf(buf, len, "%.1f/s", v);
	} else {
		snprintf(buf, len, "%.6g", v);
	}
	return buf;
}
