/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the strict value parsers of common/parse.h.
 *
 * The input, cut at its first NUL, is given to parse_duration_ns(),
 * parse_size_bytes(), parse_percent() and parse_rate(). Besides the sanitizers,
 * the parse.h contract is checked:
 *
 * - the result is 0, -EINVAL or -ERANGE; on failure the out-parameter is untouched
 *   and the message is a non-empty, NUL-terminated string that fits errlen (the
 *   buffer is allocated with exactly errlen bytes, so ASan sees any overflow);
 * - a duration is at most PARSE_DURATION_MAX_NS, a size at most INT64_MAX, a
 *   percentage within 0..100, a rate finite and greater than 0;
 * - a percentage (and a rate in a unit of 1) of at most 15 significant digits is
 *   exactly the double strtod() reads from the same digits;
 * - format_duration() round-trips: parse_duration_ns(format_duration(x)) == x for
 *   the parsed duration and for a value taken from the input bytes.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_parse: check failed at %s:%d: %s\n", __FILE__,       \
				__LINE__, #cond);                                                  \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* An error buffer of exactly len bytes on the heap, poisoned with 'X'. */
static char *err_buf(size_t len)
{
	char *e = malloc(len);

	CHECK(e);
	memset(e, 'X', len);
	return e;
}

static void check_error(int r, const char *err, size_t errlen)
{
	CHECK(r == 0 || r == -EINVAL || r == -ERANGE);
	if (r == 0 || errlen == 0)
		return;
	CHECK(memchr(err, '\0', errlen) != NULL);
	CHECK(errlen == 1 || err[0] != '\0');
}

/* Significant digits of the number at the start of s, or -1 if it is not one. */
static int significant_digits(const char *s, size_t *ret_numlen)
{
	int n = 0;
	size_t i = 0;
	int seen_nonzero = 0;

	for (; (s[i] >= '0' && s[i] <= '9') || s[i] == '.'; i++) {
		if (s[i] == '.')
			continue;
		if (s[i] != '0')
			seen_nonzero = 1;
		if (seen_nonzero)
			n++;
	}
	*ret_numlen = i;
	return n;
}

/* strtod() on the numeric prefix of s only. */
static double strtod_prefix(const char *s, size_t len)
{
	char *buf = strndup(s, len);
	double d;

	CHECK(buf);
	d = strtod(buf, NULL);
	free(buf);
	return d;
}

static void roundtrip_duration(uint64_t ns)
{
	char buf[64], err[256];
	uint64_t back = UINT64_MAX;

	format_duration(ns, buf, sizeof(buf));
	int r = parse_duration_ns(buf, &back, err, sizeof(err));
	if (ns > PARSE_DURATION_MAX_NS) {
		CHECK(r == -ERANGE);
		return;
	}
	if (r != 0 || back != ns) {
		fprintf(stderr,
			"fuzz_parse: format_duration(%llu) = \"%s\" parses as %llu (%d: %s)\n",
			(unsigned long long)ns, buf, (unsigned long long)back, r, r ? err : "ok");
		abort();
	}
	/* A short buffer truncates but stays a C string. */
	char small[4];
	format_duration(ns, small, sizeof(small));
	CHECK(memchr(small, '\0', sizeof(small)) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	/* Every error buffer length from 0 up, so truncation is exercised. */
	size_t errlen = size % 97;
	char *err = err_buf(errlen ? errlen : 1);
	size_t numlen;
	int r;

	CHECK(s);
	memcpy(s, data, size);
	s[size] = '\0';
	char *e = errlen ? err : NULL;

	uint64_t ns = 12345;
	r = parse_duration_ns(s, &ns, e, errlen);
	check_error(r, err, errlen);
	if (r == 0) {
		CHECK(ns <= PARSE_DURATION_MAX_NS);
		roundtrip_duration(ns);
	} else {
		CHECK(ns == 12345);
	}

	uint64_t bytes = 12345;
	memset(err, 'X', errlen ? errlen : 1);
	r = parse_size_bytes(s, &bytes, e, errlen);
	check_error(r, err, errlen);
	if (r == 0)
		CHECK(bytes <= INT64_MAX);
	else
		CHECK(bytes == 12345);

	double pct = -1.0;
	memset(err, 'X', errlen ? errlen : 1);
	r = parse_percent(s, &pct, e, errlen);
	check_error(r, err, errlen);
	if (r == 0) {
		CHECK(pct >= 0.0 && pct <= 100.0);
		if (significant_digits(s, &numlen) <= 15) {
			double ref = strtod_prefix(s, numlen);
			if (pct != ref) {
				fprintf(stderr,
					"fuzz_parse: parse_percent(\"%s\") = %.17g, strtod %.17g\n",
					s, pct, ref);
				abort();
			}
		}
	} else {
		CHECK(pct == -1.0);
	}

	struct rate rate = { .kind = RATE_PER_SECOND, .value = -1.0 };
	memset(err, 'X', errlen ? errlen : 1);
	r = parse_rate(s, &rate, e, errlen);
	check_error(r, err, errlen);
	if (r == 0) {
		CHECK(isfinite(rate.value) && rate.value > 0.0);
		CHECK(rate.kind == RATE_PER_SECOND || rate.kind == RATE_BYTES_PER_SECOND ||
		      rate.kind == RATE_BITS_PER_SECOND);
		int digits = significant_digits(s, &numlen);
		const char *unit = s + numlen;
		if (digits <= 15 && (!strcmp(unit, "/s") || !strcmp(unit, "iops") ||
				     !strcmp(unit, "B/s") || !strcmp(unit, "bit"))) {
			double ref = strtod_prefix(s, numlen);
			if (rate.value != ref) {
				fprintf(stderr,
					"fuzz_parse: parse_rate(\"%s\") = %.17g, strtod %.17g\n", s,
					rate.value, ref);
				abort();
			}
		}
	} else {
		CHECK(rate.value == -1.0);
	}

	/* A duration from the raw bytes, for the round trip over the whole range. */
	if (size >= 8) {
		uint64_t x;
		memcpy(&x, data, sizeof(x));
		roundtrip_duration(x % (PARSE_DURATION_MAX_NS + 1));
		roundtrip_duration(x);
	}

	free(err);
	free(s);
	return 0;
}
