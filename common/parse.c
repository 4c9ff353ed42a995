/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Numbers are read by hand, not with strtod(): strtod() follows the locale's
 * decimal separator, skips leading spaces, and accepts signs, hex, exponents,
 * "inf" and "nan", then rounds through binary floating point. Here a value is
 * exactly "digits[.digits]unit". The integer part and the fraction are read as
 * two integers and scaled to the base unit with overflow checks, so "0.1s" is
 * exactly 100000000ns.
 *
 * Units are case-sensitive and must match a table entry exactly: "5S", "5sec",
 * "5 s" and "1Mbit" are all refused.
 */
#include "parse.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"

/* 10^18 is the largest power of ten in a uint64_t, which bounds the fraction. */
#define FRACTION_DIGITS_MAX 18

/* An error message quotes at most this many bytes of the input... */
#define QUOTE_MAX 40
/* ...each escaped to at most 4 characters ("\x1b"), then "..." and a NUL. */
#define QUOTE_BUF (QUOTE_MAX * 4 + sizeof("..."))

__extension__ typedef unsigned __int128 u128;

static const uint64_t pow10_table[FRACTION_DIGITS_MAX + 1] = {
	1ULL,
	10ULL,
	100ULL,
	1000ULL,
	10000ULL,
	100000ULL,
	1000000ULL,
	10000000ULL,
	100000000ULL,
	1000000000ULL,
	10000000000ULL,
	100000000000ULL,
	1000000000000ULL,
	10000000000000ULL,
	100000000000000ULL,
	1000000000000000ULL,
	10000000000000000ULL,
	100000000000000000ULL,
	1000000000000000000ULL,
};

struct unit {
	const char *name;
	uint64_t multiplier; /* base units in one of this unit */
	enum rate_kind kind; /* rates only */
};

/* What a parser accepts, and the words its error messages use. */
struct quantity {
	const char *noun; /* "duration" */
	const char *expected; /* completes "expected ..." */
	const char *limit; /* completes "is too large (...)" */
	const struct unit *units;
	size_t n_units;
};

/* A non-negative decimal number: integer + fraction / 10^fraction_digits. */
struct decimal {
	uint64_t integer;
	uint64_t fraction;
	unsigned fraction_digits;
};

#define NS_PER_US 1000ULL
#define NS_PER_MS (1000 * NS_PER_US)
#define NS_PER_S (1000 * NS_PER_MS)
#define NS_PER_MIN (60 * NS_PER_S)
#define NS_PER_HOUR (60 * NS_PER_MIN)

/* Largest unit first: format_duration() relies on the order to break ties. */
static const struct unit duration_units[] = {
	{ "h", NS_PER_HOUR }, { "m", NS_PER_MIN }, { "s", NS_PER_S },
	{ "ms", NS_PER_MS },  { "us", NS_PER_US }, { "ns", 1 },
};

static const struct unit size_units[] = {
	{ "B", 1 },
	{ "KB", 1000ULL },
	{ "MB", 1000ULL * 1000 },
	{ "GB", 1000ULL * 1000 * 1000 },
	{ "TB", 1000ULL * 1000 * 1000 * 1000 },
	{ "KiB", 1ULL << 10 },
	{ "MiB", 1ULL << 20 },
	{ "GiB", 1ULL << 30 },
	{ "TiB", 1ULL << 40 },
};

static const struct unit percent_units[] = {
	{ "%", 1 },
};

static const struct unit rate_units[] = {
	{ "/s", 1, RATE_PER_SECOND },
	{ "iops", 1, RATE_PER_SECOND },
	{ "B/s", 1, RATE_BYTES_PER_SECOND },
	{ "KB/s", 1000ULL, RATE_BYTES_PER_SECOND },
	{ "MB/s", 1000ULL * 1000, RATE_BYTES_PER_SECOND },
	{ "GB/s", 1000ULL * 1000 * 1000, RATE_BYTES_PER_SECOND },
	{ "TB/s", 1000ULL * 1000 * 1000 * 1000, RATE_BYTES_PER_SECOND },
	{ "KiB/s", 1ULL << 10, RATE_BYTES_PER_SECOND },
	{ "MiB/s", 1ULL << 20, RATE_BYTES_PER_SECOND },
	{ "GiB/s", 1ULL << 30, RATE_BYTES_PER_SECOND },
	{ "TiB/s", 1ULL << 40, RATE_BYTES_PER_SECOND },
	{ "bit", 1, RATE_BITS_PER_SECOND },
	{ "kbit", 1000ULL, RATE_BITS_PER_SECOND },
	{ "mbit", 1000ULL * 1000, RATE_BITS_PER_SECOND },
	{ "gbit", 1000ULL * 1000 * 1000, RATE_BITS_PER_SECOND },
	{ "tbit", 1000ULL * 1000 * 1000 * 1000, RATE_BITS_PER_SECOND },
};

static const struct quantity duration_quantity = {
	.noun = "duration",
	.expected = "a duration with a unit (ns, us, ms, s, m, h) such as 250ms or 1.5s",
	.limit = "at most 30 days",
	.units = duration_units,
	.n_units = ARRAY_SIZE(duration_units),
};

static const struct quantity size_quantity = {
	.noun = "size",
	.expected = "a size with a unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB) such as 4KiB or "
		    "1.5MB",
	.limit = "at most 9223372036854775807 bytes",
	.units = size_units,
	.n_units = ARRAY_SIZE(size_units),
};

static const struct quantity percent_quantity = {
	.noun = "percentage",
	.expected = "a percentage from 0% to 100% such as 10% or 0.5%",
	.limit = "at most 100%",
	.units = percent_units,
	.n_units = ARRAY_SIZE(percent_units),
};

static const struct quantity rate_quantity = {
	.noun = "rate",
	.expected = "a rate such as 50/s, 2000iops, 20MiB/s, 500KB/s or 1mbit (units /s, iops, "
		    "B/s to TiB/s, bit, kbit, mbit, gbit, tbit)",
	.limit = "the number has too many digits",
	.units = rate_units,
	.n_units = ARRAY_SIZE(rate_units),
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Writes the first QUOTE_MAX bytes of s into buf for an error message, with '"',
 * '\\' and every byte outside printable ASCII escaped, so that binary input cannot
 * garble a terminal or a log line. Longer input ends in "...". Returns buf.
 */
static const char *quote(const char *s, char buf[static QUOTE_BUF])
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0, i;

	if (!s)
		s = "";
	for (i = 0; i < QUOTE_MAX && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			buf[n++] = '\\';
			buf[n++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			buf[n++] = '\\';
			buf[n++] = 'x';
			buf[n++] = hex[c >> 4];
			buf[n++] = hex[c & 0xf];
		} else {
			buf[n++] = (char)c;
		}
	}
	if (s[i]) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

static int fail_syntax(const struct quantity *q, const char *s, char *err, size_t errlen)
{
	char found[QUOTE_BUF];

	errbuf_set(err, errlen, "expected %s, found \"%s\"", q->expected, quote(s, found));
	return -EINVAL;
}

static int fail_too_large(const struct quantity *q, const char *s, char *err, size_t errlen)
{
	char found[QUOTE_BUF];

	errbuf_set(err, errlen, "%s \"%s\" is too large (%s)", q->noun, quote(s, found), q->limit);
	return -ERANGE;
}

/*
 * Splits s into a decimal number and one of q's units. Syntax and unit errors
 * (-EINVAL) take precedence over an integer part too large for 64 bits (-ERANGE),
 * so "99999999999999999999sec" is reported as a bad unit.
 */
static int parse_quantity(const char *s, const struct quantity *q, struct decimal *ret_dec,
			  const struct unit **ret_unit, char *err, size_t errlen)
{
	const struct unit *unit = NULL;
	struct decimal d = { 0 };
	const char *p = s, *frac = NULL;
	size_t frac_len = 0;

	if (!s || !is_digit(*s))
		return fail_syntax(q, s, err, errlen);
	while (is_digit(*p))
		p++;
	if (*p == '.') {
		frac = ++p;
		while (is_digit(*p))
			p++;
		frac_len = (size_t)(p - frac);
		if (frac_len == 0)
			return fail_syntax(q, s, err, errlen);
	}
	for (size_t i = 0; i < q->n_units; i++)
		if (streq(p, q->units[i].name))
			unit = &q->units[i];
	if (!unit)
		return fail_syntax(q, s, err, errlen);

	if (frac_len > FRACTION_DIGITS_MAX) {
		char found[QUOTE_BUF];

		errbuf_set(err, errlen, "expected %s with at most %d decimal places, found \"%s\"",
			   q->expected, FRACTION_DIGITS_MAX, quote(s, found));
		return -EINVAL;
	}

	for (const char *c = s; is_digit(*c); c++)
		if (__builtin_mul_overflow(d.integer, 10, &d.integer) ||
		    __builtin_add_overflow(d.integer, (uint64_t)(*c - '0'), &d.integer))
			return fail_too_large(q, s, err, errlen);
	for (size_t i = 0; i < frac_len; i++)
		d.fraction = d.fraction * 10 + (uint64_t)(frac[i] - '0');
	d.fraction_digits = (unsigned)frac_len;

	*ret_dec = d;
	*ret_unit = unit;
	return 0;
}

/* d * multiplier as an integer, the fraction rounded to nearest with halves up. */
static int decimal_scale(const struct decimal *d, uint64_t multiplier, uint64_t *ret)
{
	uint64_t den = pow10_table[d->fraction_digits], whole, part;

	if (__builtin_mul_overflow(d->integer, multiplier, &whole))
		return -ERANGE;
	/* fraction < 10^18 and multiplier < 2^42, so the product fits in 128 bits. */
	part = (uint64_t)(((u128)d->fraction * multiplier + den / 2) / den);
	if (__builtin_add_overflow(whole, part, &whole))
		return -ERANGE;
	*ret = whole;
	return 0;
}

/*
 * d * multiplier as a double. The digits as one integer fit in 128 bits (below
 * 2^64 * 10^18), and for the values people write (up to 15 significant digits)
 * every step is exact or correctly rounded: "0.1%" gives the double nearest 0.1.
 */
static double decimal_to_double(const struct decimal *d, uint64_t multiplier)
{
	u128 digits = (u128)d->integer * pow10_table[d->fraction_digits] + d->fraction;

	return (double)digits * (double)multiplier / (double)pow10_table[d->fraction_digits];
}

int parse_duration_ns(const char *s, uint64_t *ret_ns, char *err, size_t errlen)
{
	const struct unit *unit;
	struct decimal d;
	uint64_t ns;
	int r;

	r = parse_quantity(s, &duration_quantity, &d, &unit, err, errlen);
	if (r < 0)
		return r;
	if (decimal_scale(&d, unit->multiplier, &ns) < 0 || ns > PARSE_DURATION_MAX_NS)
		return fail_too_large(&duration_quantity, s, err, errlen);

	*ret_ns = ns;
	return 0;
}

int parse_size_bytes(const char *s, uint64_t *ret_bytes, char *err, size_t errlen)
{
	const struct unit *unit;
	struct decimal d;
	uint64_t bytes;
	int r;

	r = parse_quantity(s, &size_quantity, &d, &unit, err, errlen);
	if (r < 0)
		return r;
	if (decimal_scale(&d, unit->multiplier, &bytes) < 0 || bytes > INT64_MAX)
		return fail_too_large(&size_quantity, s, err, errlen);

	*ret_bytes = bytes;
	return 0;
}

int parse_percent(const char *s, double *ret_percent, char *err, size_t errlen)
{
	const struct unit *unit;
	struct decimal d;
	int r;

	r = parse_quantity(s, &percent_quantity, &d, &unit, err, errlen);
	if (r < 0)
		return r;
	/* Compare the exact decimal, so that "100.0000000000000000001%" is refused. */
	if (d.integer > 100 || (d.integer == 100 && d.fraction > 0))
		return fail_too_large(&percent_quantity, s, err, errlen);

	*ret_percent = decimal_to_double(&d, 1);
	return 0;
}

int parse_rate(const char *s, struct rate *ret_rate, char *err, size_t errlen)
{
	const struct unit *unit;
	struct decimal d;
	int r;

	r = parse_quantity(s, &rate_quantity, &d, &unit, err, errlen);
	if (r < 0)
		return r;
	/* A zero rate would mean "never" to a token bucket: almost certainly a typo. */
	if (d.integer == 0 && d.fraction == 0) {
		char found[QUOTE_BUF];

		errbuf_set(err, errlen, "rate \"%s\" must be greater than zero", quote(s, found));
		return -ERANGE;
	}

	*ret_rate = (struct rate){
		.kind = unit->kind,
		.value = decimal_to_double(&d, unit->multiplier),
	};
	return 0;
}

/*
 * Writes ns in unit u into buf when it is exact in at most FRACTION_DIGITS_MAX
 * decimals, so that parse_duration_ns() reads back the same value. Minutes and
 * hours are not powers of ten: 1s is 0.01666...m, which has no exact form.
 */
static bool format_in_unit(uint64_t ns, const struct unit *u, char *buf, size_t len)
{
	uint64_t whole = ns / u->multiplier, rem = ns % u->multiplier;

	if (rem == 0) {
		snprintf(buf, len, "%" PRIu64 "%s", whole, u->name);
		return true;
	}
	for (int k = 1; k <= FRACTION_DIGITS_MAX; k++) {
		u128 scaled = (u128)rem * pow10_table[k];

		if (scaled % u->multiplier == 0) {
			/* rem < multiplier, so the fraction's digits are below 10^k. */
			snprintf(buf, len, "%" PRIu64 ".%0*" PRIu64 "%s", whole, k,
				 (uint64_t)(scaled / u->multiplier), u->name);
			return true;
		}
	}
	return false;
}

const char *format_duration(uint64_t ns, char *buf, size_t len)
{
	char best[48] = "0s", candidate[48];
	size_t best_len = SIZE_MAX;

	if (!buf || len == 0)
		return buf;
	/*
	 * Try every unit the value reaches at least once of, so "500ms" wins over the
	 * equally short "0.5s", and keep the shortest. Units go largest first and only
	 * a strictly shorter form replaces the best, so ties go to the larger unit.
	 * Nanoseconds are always exact, so a nonzero value always finds a form.
	 */
	for (size_t i = 0; ns > 0 && i < ARRAY_SIZE(duration_units); i++) {
		const struct unit *u = &duration_units[i];

		if (ns < u->multiplier || !format_in_unit(ns, u, candidate, sizeof(candidate)))
			continue;
		if (strlen(candidate) < best_len) {
			best_len = strlen(candidate);
			memcpy(best, candidate, best_len + 1);
		}
	}
	snprintf(buf, len, "%s", best);
	return buf;
}
