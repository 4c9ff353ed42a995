/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for common/parse.c: exact values, strict syntax, range limits, messages. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>

#include "macro.h"
#include "parse.h"

#define SENTINEL_U64 UINT64_C(0xdeadbeefcafef00d)
#define SENTINEL_DOUBLE -12345.5

/* Fails the test with the input named, which cmocka's bare asserts do not do. */
#define check(cond, s)                                                                             \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fail_msg("%s:%d: input \"%s\": %s", __FILE__, __LINE__, (s), #cond);       \
	} while (0)

struct u64_case {
	const char *s;
	uint64_t value;
};

struct bad_case {
	const char *s;
	int error;
};

/* Bad numbers for every parser; each is tried with its unit appended. */
static const char *const bad_syntax_common[] = {
	"",    " ",    "-1",  "+1",  ".5",	 "1.",	"1..5", "1.5.5", "1e3",
	"1E3", "0x10", "nan", "inf", "infinity", "NaN", "1,5",	"abc",	 "1_000",
};

/* True when s is printable ASCII without quotes, so an error message quotes it verbatim. */
static bool is_plain(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s >= 0x7f || *s == '"' || *s == '\\')
			return false;
	return true;
}

/* Runs the common bad syntax with the unit appended, with spaces around and inside. */
static void check_bad_common(int (*parse)(const char *, void *, char *, size_t), const char *unit,
			     void *ret, size_t ret_size)
{
	unsigned char before[64];
	char s[4][64], err[512];

	memcpy(before, ret, ret_size);
	for (size_t i = 0; i < ARRAY_SIZE(bad_syntax_common); i++) {
		const char *bad = bad_syntax_common[i];

		snprintf(s[0], sizeof(s[0]), "%s%s", bad, unit);
		snprintf(s[1], sizeof(s[1]), " %s%s", bad, unit);
		snprintf(s[2], sizeof(s[2]), "%s%s ", bad, unit);
		snprintf(s[3], sizeof(s[3]), "%s %s", bad, unit);
		for (size_t f = 0; f < ARRAY_SIZE(s); f++) {
			err[0] = '\0';
			check(parse(s[f], ret, err, sizeof(err)) == -EINVAL, s[f]);
			check(memcmp(before, ret, ret_size) == 0, s[f]);
			check(strstr(err, "expected ") != NULL, s[f]);
			check(strstr(err, s[f]) != NULL, s[f]);
		}
	}
}

static int parse_duration_void(const char *s, void *ret, char *err, size_t errlen)
{
	return parse_duration_ns(s, ret, err, errlen);
}

static int parse_size_void(const char *s, void *ret, char *err, size_t errlen)
{
	return parse_size_bytes(s, ret, err, errlen);
}

static int parse_percent_void(const char *s, void *ret, char *err, size_t errlen)
{
	return parse_percent(s, ret, err, errlen);
}

static int parse_rate_void(const char *s, void *ret, char *err, size_t errlen)
{
	return parse_rate(s, ret, err, errlen);
}

static void check_bad_u64(int (*parse)(const char *, uint64_t *, char *, size_t),
			  const struct bad_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v = SENTINEL_U64;
		char err[512] = "";

		check(parse(cases[i].s, &v, err, sizeof(err)) == cases[i].error, cases[i].s);
		check(v == SENTINEL_U64, cases[i].s);
		check(strlen(cases[i].s) > 40 || !is_plain(cases[i].s) ||
			      strstr(err, cases[i].s) != NULL,
		      cases[i].s);
		/* NULL and zero-length error buffers are allowed and give the same result. */
		check(parse(cases[i].s, &v, NULL, 0) == cases[i].error, cases[i].s);
		check(parse(cases[i].s, &v, err, 0) == cases[i].error, cases[i].s);
		check(v == SENTINEL_U64, cases[i].s);
	}
}

static void test_duration_valid(void **state)
{
	static const struct u64_case cases[] = {
		{ "0s", 0 },
		{ "0ns", 0 },
		{ "0h", 0 },
		{ "1ns", 1 },
		{ "250ns", 250 },
		{ "1us", 1000 },
		{ "1.5us", 1500 },
		{ "250ms", 250000000 },
		{ "1s", 1000000000 },
		{ "1.5s", 1500000000 },
		{ "0.1s", 100000000 },
		{ "0.001s", 1000000 },
		{ "2m", 120000000000 },
		{ "1.5m", 90000000000 },
		{ "1h", 3600000000000 },
		{ "0.5h", 1800000000000 },
		{ "007s", 7000000000 },
		{ "10.250s", 10250000000 },
		{ "1.123456789s", 1123456789 },
		{ "1.123456789123456789s", 1123456789 },
		{ "100000000000ns", 100000000000 },
		/* Rounded to the nearest nanosecond, halves up. */
		{ "1.4ns", 1 },
		{ "1.5ns", 2 },
		{ "0.5ns", 1 },
		{ "0.499999999999999999ns", 0 },
		{ "0.0000000015s", 2 },
		{ "0.0000000001s", 0 },
		{ "0.0000001m", 6000 },
		/* The 30-day limit, in every unit. */
		{ "720h", PARSE_DURATION_MAX_NS },
		{ "43200m", PARSE_DURATION_MAX_NS },
		{ "2592000s", PARSE_DURATION_MAX_NS },
		{ "2592000000ms", PARSE_DURATION_MAX_NS },
		{ "2592000000000us", PARSE_DURATION_MAX_NS },
		{ "2592000000000000ns", PARSE_DURATION_MAX_NS },
		{ "2591999.999999999s", PARSE_DURATION_MAX_NS - 1 },
		{ "720.000000000000000001h", PARSE_DURATION_MAX_NS }, /* 3.6e-6ns rounds away */
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t v = SENTINEL_U64;
		char err[512] = "unchanged";

		check(parse_duration_ns(cases[i].s, &v, err, sizeof(err)) == 0, cases[i].s);
		if (v != cases[i].value)
			fail_msg("\"%s\": got %" PRIu64 ", want %" PRIu64, cases[i].s, v,
				 cases[i].value);
		check(parse_duration_ns(cases[i].s, &v, NULL, 0) == 0, cases[i].s);
	}
}

static void test_duration_invalid(void **state)
{
	static const struct bad_case cases[] = {
		{ "", -EINVAL },
		{ "250", -EINVAL },
		{ "1.5", -EINVAL },
		{ "5sec", -EINVAL },
		{ "5S", -EINVAL },
		{ "5MS", -EINVAL },
		{ "5Ms", -EINVAL },
		{ "1d", -EINVAL },
		{ "1min", -EINVAL },
		{ "1µs", -EINVAL },
		{ "1 s", -EINVAL },
		{ " 1s", -EINVAL },
		{ "1s ", -EINVAL },
		{ "1s\n", -EINVAL },
		{ "\t1s", -EINVAL },
		{ "-1s", -EINVAL },
		{ "+1s", -EINVAL },
		{ "1.s", -EINVAL },
		{ ".5s", -EINVAL },
		{ "1..5s", -EINVAL },
		{ "1.5.5s", -EINVAL },
		{ "1e3s", -EINVAL },
		{ "1e3ms", -EINVAL },
		{ "0x10s", -EINVAL },
		{ "nans", -EINVAL },
		{ "infs", -EINVAL },
		{ "1s1s", -EINVAL },
		{ "1h30m", -EINVAL },
		{ "1,5s", -EINVAL },
		{ "s", -EINVAL },
		{ "ms", -EINVAL },
		{ "1ss", -EINVAL },
		/* A 19th decimal is refused rather than silently dropped. */
		{ "1.0000000000000000000s", -EINVAL },
		/* A bad unit wins over an integer part that does not fit in 64 bits. */
		{ "99999999999999999999999sec", -EINVAL },
	};
	uint64_t v = SENTINEL_U64;

	check_bad_u64(parse_duration_ns, cases, ARRAY_SIZE(cases));
	check_bad_common(parse_duration_void, "s", &v, sizeof(v));
	check_bad_common(parse_duration_void, "ms", &v, sizeof(v));
	assert_int_equal(parse_duration_ns(NULL, &v, NULL, 0), -EINVAL);
	assert_true(v == SENTINEL_U64);
}

static void test_duration_range(void **state)
{
	static const struct bad_case cases[] = {
		{ "720.000000000001h", -ERANGE }, /* 3.6ns over */
		{ "2592000.000000001s", -ERANGE }, /* 30 days + 1ns */
		{ "2592000000000001ns", -ERANGE },
		{ "43200.0000000001m", -ERANGE },
		{ "721h", -ERANGE },
		{ "31d", -EINVAL },
		{ "99999999999h", -ERANGE },
		{ "5124096h", -ERANGE }, /* above 2^64 ns: the multiplication overflows */
		{ "18446744073709551615ns", -ERANGE },
		{ "18446744073709551616ns", -ERANGE }, /* the integer part itself overflows */
		{ "99999999999999999999999999999999999999s", -ERANGE },
		{ "18446744073709551615.999999999999999999h", -ERANGE },
	};
	char err[512];
	uint64_t v = SENTINEL_U64;

	check_bad_u64(parse_duration_ns, cases, ARRAY_SIZE(cases));

	assert_int_equal(parse_duration_ns("99999999999h", &v, err, sizeof(err)), -ERANGE);
	assert_string_equal(err, "duration \"99999999999h\" is too large (at most 30 days)");
	assert_true(v == SENTINEL_U64);
}

static void test_duration_messages(void **state)
{
	char err[512];
	uint64_t v = SENTINEL_U64;

	assert_int_equal(parse_duration_ns("250", &v, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "expected a duration with a unit (ns, us, ms, s, m, h) such as "
				 "250ms or 1.5s, found \"250\"");
	assert_int_equal(parse_duration_ns("", &v, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "found \"\""));

	/* Quotes, backslashes and control bytes are escaped; bytes above 0x7f too. */
	assert_int_equal(parse_duration_ns("1s\"\\\x1b[31m\n\xff", &v, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "found \"1s\\\"\\\\\\x1b[31m\\x0a\\xff\""));
	for (const char *c = err; *c; c++)
		assert_true(*c >= 0x20 && *c < 0x7f);

	/* Long input is cut to 40 bytes and marked, and never overruns a small buffer. */
	char longs[200];
	memset(longs, 'x', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = '\0';
	memcpy(longs, "1234567890123456789012345678901234567890", 40);
	assert_int_equal(parse_duration_ns(longs, &v, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "found \"1234567890123456789012345678901234567890...\""));

	memset(longs, '\x01', sizeof(longs) - 1);
	assert_int_equal(parse_duration_ns(longs, &v, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "...\""));

	char tiny[8];
	assert_int_equal(parse_duration_ns("250", &v, tiny, sizeof(tiny)), -EINVAL);
	assert_string_equal(tiny, "expecte");
	assert_true(v == SENTINEL_U64);
}

static void test_size_valid(void **state)
{
	static const struct u64_case cases[] = {
		{ "0B", 0 },
		{ "1B", 1 },
		{ "512B", 512 },
		{ "1KB", 1000 },
		{ "1.5KB", 1500 },
		{ "1MB", 1000000 },
		{ "1GB", 1000000000 },
		{ "1TB", 1000000000000 },
		{ "4KiB", 4096 },
		{ "1.5KiB", 1536 },
		{ "0.5MiB", 524288 },
		{ "1MiB", 1048576 },
		{ "20MiB", 20971520 },
		{ "1GiB", 1073741824 },
		{ "1TiB", 1099511627776 },
		{ "1.5B", 2 }, /* rounded to nearest, halves up */
		{ "1.4B", 1 },
		{ "0.001KiB", 1 }, /* 1.024 */
		{ "9223372036854775807B", INT64_MAX },
		{ "9223372.036854775807TB", INT64_MAX },
		{ "8388607TiB", UINT64_C(8388607) << 40 },
		{ "8388607.999999999999TiB", INT64_MAX }, /* 2^63 - 1.0995 rounds to nearest */
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t v = SENTINEL_U64;

		check(parse_size_bytes(cases[i].s, &v, NULL, 0) == 0, cases[i].s);
		if (v != cases[i].value)
			fail_msg("\"%s\": got %" PRIu64 ", want %" PRIu64, cases[i].s, v,
				 cases[i].value);
	}
}

static void test_size_invalid(void **state)
{
	static const struct bad_case cases[] = {
		{ "4096", -EINVAL },
		{ "4kb", -EINVAL },
		{ "4kB", -EINVAL },
		{ "4K", -EINVAL },
		{ "4k", -EINVAL },
		{ "4KIB", -EINVAL },
		{ "4kib", -EINVAL },
		{ "4b", -EINVAL },
		{ "1PB", -EINVAL },
		{ "1PiB", -EINVAL },
		{ "4 KiB", -EINVAL },
		{ "-4KiB", -EINVAL },
		{ "4KiB/s", -EINVAL },
		{ "1.KiB", -EINVAL },
		/* 2^63 bytes and beyond do not fit in int64_t. */
		{ "9223372036854775808B", -ERANGE },
		{ "9223372.036854775808TB", -ERANGE },
		{ "8388608TiB", -ERANGE },
		{ "8388607.9999999999999TiB", -ERANGE }, /* within 0.5 bytes of 2^63 */
		{ "18446744073709551615B", -ERANGE },
		{ "18446744073709551616B", -ERANGE },
		{ "16777216TiB", -ERANGE },
		{ "99999999999999999999TB", -ERANGE },
	};
	char err[512];
	uint64_t v = SENTINEL_U64;

	check_bad_u64(parse_size_bytes, cases, ARRAY_SIZE(cases));
	check_bad_common(parse_size_void, "KiB", &v, sizeof(v));

	assert_int_equal(parse_size_bytes("4096", &v, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "expected a size with a unit (B, KB, MB, GB, TB, KiB, MiB, GiB, "
				 "TiB) such as 4KiB or 1.5MB, found \"4096\"");
	assert_int_equal(parse_size_bytes("8388608TiB", &v, err, sizeof(err)), -ERANGE);
	assert_string_equal(err,
			    "size \"8388608TiB\" is too large (at most 9223372036854775807 bytes)");
}

static void test_percent(void **state)
{
	static const struct {
		const char *s;
		double value;
	} good[] = {
		{ "0%", 0.0 },	   { "0.0%", 0.0 },   { "10%", 10.0 },	   { "0.5%", 0.5 },
		{ "0.1%", 0.1 },   { "99.9%", 99.9 }, { "100%", 100.0 },   { "100.000%", 100.0 },
		{ "33.3%", 33.3 }, { "1.25%", 1.25 }, { "0.001%", 0.001 }, { "050%", 50.0 },
	};
	static const char *const bad_syntax[] = {
		"10",  "10 %", "%",    "10%%", "10pct", "-1%",	"+1%",	 ".5%",
		"1.%", "1e1%", "nan%", "inf%", "10% ",	" 10%", "0x10%", "1.0000000000000000000%",
	};
	static const char *const bad_range[] = {
		"100.1%",
		"101%",
		"100.000000000000000001%",
		"1000%",
		"18446744073709551615%",
		"18446744073709551616%",
	};
	char err[512];
	double v = SENTINEL_DOUBLE;

	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		check(parse_percent(good[i].s, &v, err, sizeof(err)) == 0, good[i].s);
		/* Exactly the double a C compiler makes of the same literal. */
		check(v == good[i].value, good[i].s);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad_syntax); i++) {
		v = SENTINEL_DOUBLE;
		check(parse_percent(bad_syntax[i], &v, err, sizeof(err)) == -EINVAL, bad_syntax[i]);
		check(v == SENTINEL_DOUBLE, bad_syntax[i]);
		check(strstr(err, bad_syntax[i]) != NULL, bad_syntax[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad_range); i++) {
		v = SENTINEL_DOUBLE;
		check(parse_percent(bad_range[i], &v, err, sizeof(err)) == -ERANGE, bad_range[i]);
		check(v == SENTINEL_DOUBLE, bad_range[i]);
		check(strstr(err, bad_range[i]) != NULL, bad_range[i]);
	}
	check_bad_common(parse_percent_void, "%", &v, sizeof(v));

	assert_int_equal(parse_percent("150%", &v, err, sizeof(err)), -ERANGE);
	assert_string_equal(err, "percentage \"150%\" is too large (at most 100%)");
	assert_int_equal(parse_percent("10", &v, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "expected a percentage from 0% to 100% such as 10% or 0.5%, "
				 "found \"10\"");
}

static void test_rate(void **state)
{
	static const struct {
		const char *s;
		enum rate_kind kind;
		double value;
	} good[] = {
		{ "50/s", RATE_PER_SECOND, 50.0 },
		{ "0.5/s", RATE_PER_SECOND, 0.5 },
		{ "2000iops", RATE_PER_SECOND, 2000.0 },
		{ "1.5iops", RATE_PER_SECOND, 1.5 },
		{ "1B/s", RATE_BYTES_PER_SECOND, 1.0 },
		{ "500KB/s", RATE_BYTES_PER_SECOND, 500000.0 },
		{ "1MB/s", RATE_BYTES_PER_SECOND, 1e6 },
		{ "2GB/s", RATE_BYTES_PER_SECOND, 2e9 },
		{ "1TB/s", RATE_BYTES_PER_SECOND, 1e12 },
		{ "4KiB/s", RATE_BYTES_PER_SECOND, 4096.0 },
		{ "20MiB/s", RATE_BYTES_PER_SECOND, 20971520.0 },
		{ "1.5MiB/s", RATE_BYTES_PER_SECOND, 1572864.0 },
		{ "1GiB/s", RATE_BYTES_PER_SECOND, 1073741824.0 },
		{ "1TiB/s", RATE_BYTES_PER_SECOND, 1099511627776.0 },
		{ "512bit", RATE_BITS_PER_SECOND, 512.0 },
		{ "100kbit", RATE_BITS_PER_SECOND, 100000.0 },
		{ "2.5kbit", RATE_BITS_PER_SECOND, 2500.0 },
		{ "1mbit", RATE_BITS_PER_SECOND, 1e6 },
		{ "10gbit", RATE_BITS_PER_SECOND, 1e10 },
		{ "1tbit", RATE_BITS_PER_SECOND, 1e12 },
		{ "0.000001/s", RATE_PER_SECOND, 0.000001 },
		{ "18446744073709551615tbit", RATE_BITS_PER_SECOND, 18446744073709551615e12 },
	};
	static const char *const bad_syntax[] = {
		"50",	  "50/S",   "50/sec",
		"50 /s",  "50/ s",  "/s",
		"iops",	  "50IOPS", "1Mbit",
		"1MBit",  "1mbps",  "1mb",
		"1kb/s",  "1KiB",   "1KiB/S",
		"1kibit", "1bits",  "1 mbit",
		"-1mbit", "+1/s",   ".5/s",
		"1./s",	  "1e3/s",  "0x10/s",
		"nan/s",  "inf/s",  "50/s ",
		" 50/s",  "1PB/s",  "1s",
		"10%",	  "5/m",    "1.0000000000000000000/s",
	};
	static const char *const bad_range[] = {
		"0/s",
		"0iops",
		"0.0/s",
		"0B/s",
		"0MiB/s",
		"0bit",
		"0.000000000000000000mbit",
		"00kbit",
		"18446744073709551616/s",
		"99999999999999999999999tbit",
	};
	char err[512];
	struct rate v = { .kind = RATE_BITS_PER_SECOND, .value = SENTINEL_DOUBLE };

	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		check(parse_rate(good[i].s, &v, err, sizeof(err)) == 0, good[i].s);
		check(v.kind == good[i].kind, good[i].s);
		check(v.value == good[i].value, good[i].s);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad_syntax); i++) {
		v = (struct rate){ .kind = RATE_BITS_PER_SECOND, .value = SENTINEL_DOUBLE };
		check(parse_rate(bad_syntax[i], &v, err, sizeof(err)) == -EINVAL, bad_syntax[i]);
		check(v.kind == RATE_BITS_PER_SECOND && v.value == SENTINEL_DOUBLE, bad_syntax[i]);
		check(strstr(err, bad_syntax[i]) != NULL, bad_syntax[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad_range); i++) {
		v = (struct rate){ .kind = RATE_BITS_PER_SECOND, .value = SENTINEL_DOUBLE };
		check(parse_rate(bad_range[i], &v, err, sizeof(err)) == -ERANGE, bad_range[i]);
		check(v.kind == RATE_BITS_PER_SECOND && v.value == SENTINEL_DOUBLE, bad_range[i]);
		check(strstr(err, bad_range[i]) != NULL, bad_range[i]);
	}
	check_bad_common(parse_rate_void, "/s", &v, sizeof(v));
	check_bad_common(parse_rate_void, "mbit", &v, sizeof(v));

	assert_int_equal(parse_rate("0/s", &v, err, sizeof(err)), -ERANGE);
	assert_string_equal(err, "rate \"0/s\" must be greater than zero");
	assert_int_equal(parse_rate("1Mbit", &v, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "found \"1Mbit\""));
}

static void test_format_duration(void **state)
{
	static const struct {
		uint64_t ns;
		const char *s;
	} cases[] = {
		{ 0, "0s" },
		{ 1, "1ns" },
		{ 999, "999ns" },
		{ 1000, "1us" },
		{ 1500, "1.5us" },
		{ 1001, "1001ns" },
		{ 250000000, "250ms" },
		{ 500000000, "500ms" }, /* not the equally short "0.5s" */
		{ 1000000000, "1s" },
		{ 1500000000, "1.5s" },
		{ 1250000000, "1.25s" },
		{ 1000000001, "1.000000001s" },
		{ 60000000000, "1m" },
		{ 90000000000, "90s" }, /* shorter than "1.5m" */
		{ 120000000000, "2m" },
		{ 150000000000, "2.5m" },
		{ 3600000000000, "1h" },
		{ 5400000000000, "90m" },
		{ 9000000000000, "2.5h" },
		{ 3690000000000, "61.5m" }, /* ties with "3690s": the larger unit wins */
		{ 61000000000, "61s" },
		{ PARSE_DURATION_MAX_NS, "720h" },
		/* Beyond the limit, the 22-character forms tie and minutes come first. */
		{ UINT64_MAX, "307445734.56182586025m" },
	};
	char buf[64];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_ptr_equal(format_duration(cases[i].ns, buf, sizeof(buf)), buf);
		assert_string_equal(buf, cases[i].s);
	}

	/* A short buffer is truncated and terminated; an empty one is left alone. */
	char small[4] = "zzz";
	format_duration(1500000000, small, sizeof(small));
	assert_string_equal(small, "1.5");
	format_duration(1500000000, small, 0);
	assert_string_equal(small, "1.5");
}

static void check_round_trip(uint64_t ns)
{
	char buf[64], err[512] = "";
	uint64_t back = SENTINEL_U64;

	format_duration(ns, buf, sizeof(buf));
	if (parse_duration_ns(buf, &back, err, sizeof(err)) != 0 || back != ns)
		fail_msg("%" PRIu64 " -> \"%s\" -> %" PRIu64 " (%s)", ns, buf, back, err);
}

static void test_duration_round_trip(void **state)
{
	static const uint64_t units[] = {
		1, 1000, 1000000, 1000000000, 60000000000, 3600000000000
	};
	uint64_t x = 0x9e3779b97f4a7c15;

	check_round_trip(0);
	check_round_trip(PARSE_DURATION_MAX_NS);
	check_round_trip(PARSE_DURATION_MAX_NS - 1);
	for (size_t i = 0; i < ARRAY_SIZE(units); i++)
		for (uint64_t k = 1; k <= 2000 && (k + 1) * units[i] <= PARSE_DURATION_MAX_NS;
		     k++) {
			check_round_trip(k * units[i]);
			check_round_trip(k * units[i] + 1);
			check_round_trip(k * units[i] - 1);
			if (units[i] > 1)
				check_round_trip(k * units[i] + units[i] / 3);
		}
	/* A deterministic xorshift over the whole range, and over short durations. */
	for (int i = 0; i < 100000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		check_round_trip(x % (PARSE_DURATION_MAX_NS + 1));
		check_round_trip(x % 10000000000ULL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_valid),	cmocka_unit_test(test_duration_invalid),
		cmocka_unit_test(test_duration_range),	cmocka_unit_test(test_duration_messages),
		cmocka_unit_test(test_size_valid),	cmocka_unit_test(test_size_invalid),
		cmocka_unit_test(test_percent),		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_format_duration), cmocka_unit_test(test_duration_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
