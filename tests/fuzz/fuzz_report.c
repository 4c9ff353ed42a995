/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the report writers (controller/report_*.c) on untrusted text.
 *
 * The input's first eight lines are the report's strings (scenario name, SLO,
 * probe, objective, fault name, configured effect, fault error, probe error); the
 * rest are samples, four bytes each (time step, latency, error class, value). All
 * four writers run into memory, and besides the sanitizers:
 *
 * - each returns 0;
 * - JSON: jansson loads it strictly, and the scenario name reads back as the input
 *   with invalid UTF-8 replaced (report_utf8_repair());
 * - JUnit and HTML: valid UTF-8, no control byte but TAB, LF and CR, and exactly as
 *   many '<', '>', '"' and '\'' as the same report with every string "x": the
 *   strings reached the document as text only, never as markup;
 * - CSV: an RFC 4180 reader finds one record per sample plus the header, six
 *   fields each, with the probe name in the first.
 */
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_text.h"
#include "report_writers.h"
#include "time_util.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_report: check failed at %s:%d: %s\n", __FILE__,      \
				__LINE__, #cond);                                                  \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#define N_STRINGS 8
/* A run-relative time in ms on CLOCK_MONOTONIC. */
#define T_NS(ms) (1000 * NSEC_PER_SEC + (uint64_t)(ms)*NSEC_PER_MSEC)
#define MAX_SAMPLES 512

static char *render(report_writer_fn writer, const struct report *r, size_t *ret_len)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CHECK(f);
	CHECK(writer(r, f) == 0);
	CHECK(fclose(f) == 0);
	*ret_len = len;
	return buf;
}

/* A report over strings s[] and the samples in series. */
static void build(struct report *r, struct report_slo *slo, struct report_fault *fault,
		  struct sample_series *series, char **s)
{
	*slo = (struct report_slo){
		.name = s[1],
		.probe = s[2],
		.objective = s[3],
		.phase = { [PHASE_BASELINE] = { SLO_PASS, 0.01, 3 },
			   [PHASE_FAULT] = { SLO_FAIL, INFINITY, 3 },
			   [PHASE_RECOVERY] = { SLO_NO_DATA, NAN, 0 } },
	};
	*fault = (struct report_fault){
		.name = s[4],
		.type = "network",
		.configured = s[5],
		.observed = s[5],
		.effect_expected = true,
		.applied = true,
		.reverted = true,
		.failed = true,
		.apply_ns = T_NS(1000),
		.revert_ns = T_NS(2000),
		.error = s[6],
	};
	series->probe = s[2];
	series->last_error = s[7];
	*r = (struct report){
		.scenario_name = s[0],
		.scenario_path = s[0],
		.start_ns = T_NS(0),
		.end_ns = T_NS(4000),
		.start_realtime_ns = 1795730400ULL * NSEC_PER_SEC,
		.phase_start_ns = { T_NS(0), T_NS(1000), T_NS(2000) },
		.phase_end_ns = { T_NS(1000), T_NS(2000), T_NS(4000) },
		.abort = { .fired = true, .slo = s[1], .at_ns = T_NS(1500) },
		.exit_code = 3,
		.verdict = "ABORTED",
		.verdict_detail = s[6],
		.slos = slo,
		.n_slos = 1,
		.faults = fault,
		.n_faults = 1,
		.series = series,
		.n_series = 1,
	};
}

static void count_markup(const char *doc, size_t len, size_t ret[4])
{
	memset(ret, 0, 4 * sizeof(ret[0]));
	for (size_t i = 0; i < len; i++) {
		ret[0] += doc[i] == '<';
		ret[1] += doc[i] == '>';
		ret[2] += doc[i] == '"';
		ret[3] += doc[i] == '\'';
	}
}

static void check_text(const char *doc, size_t len)
{
	char *fixed = report_utf8_repair(doc);

	CHECK(strlen(doc) == len); /* no NUL inside */
	CHECK(fixed && strcmp(fixed, doc) == 0);
	free(fixed);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)doc[i];
		CHECK(c >= 0x20 || c == '\t' || c == '\n' || c == '\r');
		CHECK(c != 0x7f);
	}
}

/* Counts RFC 4180 records; every record must have six fields. */
static size_t csv_records(const char *doc, size_t len)
{
	size_t records = 0, fields = 1, i = 0;

	while (i < len) {
		if (doc[i] == '"') {
			for (i++;; i++) {
				CHECK(i < len); /* a quoted field ends */
				if (doc[i] == '"') {
					if (i + 1 < len && doc[i + 1] == '"') {
						i++;
						continue;
					}
					break;
				}
			}
			i++;
			CHECK(i == len || doc[i] == ',' || doc[i] == '\r');
		}
		if (doc[i] == ',') {
			fields++;
			i++;
		} else if (doc[i] == '\r') {
			CHECK(i + 1 < len && doc[i + 1] == '\n');
			CHECK(fields == 6);
			records++;
			fields = 1;
			i += 2;
		} else {
			/* an unquoted field holds no quote, CR or LF */
			CHECK(doc[i] != '"' && doc[i] != '\n');
			i++;
		}
	}
	CHECK(fields == 1); /* the last record ended with CRLF */
	return records;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sample samples[MAX_SAMPLES];
	char *s[N_STRINGS], *neutral[N_STRINGS];
	struct report r, rn;
	struct report_slo slo, slo_n;
	struct report_fault fault, fault_n;
	struct sample_series series = { .kind = "http", .v = samples },
			     series_n = { .kind = "http", .v = samples };
	size_t pos = 0, n = 0, len;
	uint64_t t = 0;

	for (int i = 0; i < N_STRINGS; i++) {
		const uint8_t *nl = pos < size ? memchr(data + pos, '\n', size - pos) : NULL;
		size_t end = nl ? (size_t)(nl - data) : size;

		s[i] = strndup((const char *)data + pos, end - pos); /* cut at a NUL too */
		CHECK(s[i]);
		neutral[i] = "x";
		pos = end < size ? end + 1 : size;
	}
	for (; pos + 4 <= size && n < MAX_SAMPLES; pos += 4, n++) {
		static const double special[] = { NAN, INFINITY, -INFINITY, 0.0 };
		t += (uint64_t)data[pos] * 10 * NSEC_PER_MSEC;
		samples[n] = (struct sample){
			.t_ns = T_NS(0) + t,
			.latency_ns = (uint64_t)data[pos + 1] * NSEC_PER_MSEC,
			.value = data[pos + 3] < 4 ? special[data[pos + 3]] :
						     (int8_t)data[pos + 3] / 3.0,
			.status = data[pos + 2],
			.error = data[pos + 2] % SAMPLE_ERROR_COUNT,
		};
	}
	series.n = series.cap = series_n.n = series_n.cap = n;
	build(&r, &slo, &fault, &series, s);
	build(&rn, &slo_n, &fault_n, &series_n, neutral);

	{
		char *doc = render(report_write_json, &r, &len), *name = report_utf8_repair(s[0]);
		json_t *root = json_loads(doc, JSON_REJECT_DUPLICATES, NULL);
		CHECK(root && name);
		CHECK(strcmp(json_string_value(json_object_get(json_object_get(root, "scenario"), "name")) ?:
				     "",
			     name) == 0);
		json_decref(root);
		free(name);
		free(doc);
	}
	report_writer_fn markup[] = { report_write_junit, report_write_html };
	for (size_t w = 0; w < 2; w++) {
		size_t a[4], b[4], len_n;
		char *doc = render(markup[w], &r, &len), *doc_n = render(markup[w], &rn, &len_n);
		check_text(doc, len);
		count_markup(doc, len, a);
		count_markup(doc_n, len_n, b);
		CHECK(memcmp(a, b, sizeof(a)) == 0);
		free(doc);
		free(doc_n);
	}
	{
		char *doc = render(report_write_samples_csv, &r, &len);
		CHECK(csv_records(doc, len) == n + 1);
		free(doc);
	}
	for (int i = 0; i < N_STRINGS; i++)
		free(s[i]);
	return 0;
}
