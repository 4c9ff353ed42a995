/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the SLO objective parser (controller/slo_objective.c).
 *
 * The input, cut at its first NUL, is parsed with an error buffer of every length
 * from 0 up (allocated with exactly that many bytes, so ASan sees an overflow).
 * Besides the sanitizers, the slo_objective.h contract is checked:
 *
 * - the result is 0 or -EINVAL; on failure *ret is untouched, the message is a
 *   non-empty C string within errlen, and the offset lies within the input;
 * - on success the metric and operator are known, the threshold is finite and in
 *   the metric's range (latency 0..30 days, rates 0..1, throughput > 0), and the
 *   objective written back as "METRIC OP THRESHOLD" parses to the same objective
 *   (for every metric whose threshold %.17g prints exactly: value).
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "slo_objective.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_slo_objective: check failed at %s:%d: %s\n",         \
				__FILE__, __LINE__, #cond);                                        \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct slo_objective poison = { .metric = SLO_P50, .op = SLO_OP_NE, .threshold = -7 };
	struct slo_objective o = poison;
	size_t errlen = size % 131, offset = SIZE_MAX, len;
	char *s = malloc(size + 1), *err = malloc(errlen ? errlen : 1);
	int r;

	CHECK(s && err);
	memcpy(s, data, size);
	s[size] = '\0';
	len = strlen(s);
	memset(err, 'X', errlen ? errlen : 1);

	r = slo_objective_parse(s, &o, errlen ? err : NULL, errlen, &offset);
	CHECK(r == 0 || r == -EINVAL);
	if (r < 0) {
		CHECK(memcmp(&o, &poison, sizeof(o)) == 0);
		CHECK(offset <= len);
		if (errlen) {
			CHECK(memchr(err, '\0', errlen) != NULL);
			CHECK(errlen == 1 || err[0] != '\0');
		}
		goto out;
	}
	CHECK((unsigned)o.metric < SLO_METRIC_COUNT);
	CHECK(strcmp(slo_op_name(o.op), "?") != 0);
	CHECK(isfinite(o.threshold));
	if (slo_metric_is_latency(o.metric))
		CHECK(o.threshold >= 0 && o.threshold <= PARSE_DURATION_MAX_NS / 1e9);
	else if (o.metric == SLO_ERROR_RATE || o.metric == SLO_AVAILABILITY)
		CHECK(o.threshold >= 0 && o.threshold <= 1);
	else if (o.metric == SLO_THROUGHPUT)
		CHECK(o.threshold > 0);

	if (o.metric == SLO_VALUE) {
		struct slo_objective back;
		char text[128];

		snprintf(text, sizeof(text), "value %s %.17g", slo_op_name(o.op), o.threshold);
		/* %.17g may print an exponent with a sign: the parser takes that form. */
		CHECK(slo_objective_parse(text, &back, NULL, 0, NULL) == 0);
		CHECK(back.metric == o.metric && back.op == o.op && back.threshold == o.threshold);
	}
	/* The formatter is total: any threshold prints into a small buffer. */
	char small[6];
	slo_format_value(o.metric, o.threshold, small, sizeof(small));
	CHECK(memchr(small, '\0', sizeof(small)) != NULL);
out:
	free(err);
	free(s);
	return 0;
}
