/* SPDX-License-Identifier: Apache-2.0 */
/*
 * --samples: every sample of every probe as RFC 4180 CSV (docs/report.md, "Samples
 * CSV"), probe by probe in the order of the report, each probe's samples in the
 * order of their scheduled times. A header row names the columns; lines end in CRLF.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "report_text.h"
#include "report_writers.h"

/* The shortest of %.15g and %.17g that reads back as v exactly. */
static const char *shortest(double v, char *buf, size_t len)
{
	snprintf(buf, len, "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, len, "%.17g", v);
	return buf;
}

static void put_value(FILE *out, double v)
{
	char buf[40];

	if (isnan(v))
		return; /* no value: an empty field */
	if (isinf(v))
		fputs(v > 0 ? "+Inf" : "-Inf", out);
	else
		fputs(shortest(v, buf, sizeof(buf)), out);
}

int report_write_samples_csv(const struct report *r, FILE *out)
{
	fputs("probe,t_ms,latency_ms,status,error,value\r\n", out);
	for (size_t i = 0; i < r->n_series; i++) {
		const struct sample_series *s = &r->series[i];

		for (size_t k = 0; k < s->n; k++) {
			const struct sample *x = &s->v[k];

			report_put_csv(out, s->probe);
			fprintf(out, ",%.3f,%.3f,%d,%s,", report_rel_ms(r, x->t_ns),
				(double)x->latency_ns / 1e6, (int)x->status,
				sample_error_name(x->error));
			put_value(out, x->value);
			fputs("\r\n", out);
		}
		if (ferror(out))
			return -EIO;
	}
	return ferror(out) ? -EIO : 0;
}
