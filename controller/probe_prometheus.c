/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The prometheus probe: a PromQL instant query (GET /api/v1/query?query=...) at
 * an interval, through the engine's curl multi handle; the answer is parsed with
 * jansson. The sample's value is the query's single result:
 *
 *   a vector of one series, or a scalar     -> value (+Inf and -Inf kept)
 *   NaN                                      -> no_value ("the query returned NaN")
 *   an empty vector                          -> no_value
 *   a vector of several series               -> other (the query must aggregate)
 *   {"status": "error", ...} (HTTP 400, 422, 503) -> query_error, with the
 *                                               server's errorType and error kept
 *                                               in series.last_error
 *   connection failures                      -> timeout, refused, dns, ... as http
 *
 * The answer is untrusted: it is capped at PROM_BODY_MAX and every field is
 * checked for its type before use.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>

#include "macro.h"
#include "probe_internal.h"
#include "time_util.h"

#define PROM_BODY_MAX (1024 * 1024)

struct prom_state {
	struct probe_curl_req req;
	struct probe *p;
	CURL *easy;
	char *url; /* base + /api/v1/query?query=... */
	bool busy, too_big;
	uint64_t t;
	char *body;
	size_t len, cap;
	char errbuf[CURL_ERROR_SIZE];
};

static size_t collect(char *data, size_t size, size_t n, void *userdata)
{
	struct prom_state *st = userdata;
	size_t add = size * n;

	if (add > PROM_BODY_MAX - st->len) {
		st->too_big = true;
		return 0;
	}
	if (st->len + add + 1 > st->cap) {
		size_t cap = st->cap ? st->cap : 4096;
		char *b;

		while (cap < st->len + add + 1)
			cap *= 2;
		b = realloc(st->body, cap);
		if (!b)
			return 0;
		st->body = b;
		st->cap = cap;
	}
	memcpy(st->body + st->len, data, add);
	st->len += add;
	st->body[st->len] = '\0';
	return add;
}

/* Prometheus writes sample values as strings: "1.5", "NaN", "+Inf", "-Inf". */
static bool value_of(const json_t *pair, double *ret)
{
	const char *s = json_string_value(json_array_get(pair, 1));
	char *end;

	if (!json_is_array(pair) || json_array_size(pair) != 2 || !s || !*s)
		return false;
	if (streq(s, "NaN")) {
		*ret = NAN;
		return true;
	}
	if (streq(s, "+Inf") || streq(s, "Inf")) {
		*ret = INFINITY;
		return true;
	}
	if (streq(s, "-Inf")) {
		*ret = -INFINITY;
		return true;
	}
	errno = 0;
	*ret = strtod(s, &end);
	return end != s && !*end && errno != ERANGE && isfinite(*ret);
}

/* Fills s->error and s->value from the JSON answer; returns a message or NULL. */
static const char *interpret(struct prom_state *st, long status, struct sample *s, char *msg,
			     size_t len)
{
	_cleanup_(json_decrefp) json_t *root = NULL;
	const char *rstatus, *type;
	json_t *data, *result;
	json_error_t jerr;

	root = json_loadb(st->body ? st->body : "", st->len, JSON_REJECT_DUPLICATES, &jerr);
	rstatus = json_string_value(json_object_get(root, "status"));
	if (!root || !rstatus) {
		s->error = SAMPLE_OTHER;
		snprintf(msg, len, "prometheus at %s answered HTTP %ld without a JSON envelope",
			 st->p->cfg->prometheus.url, status);
		return msg;
	}
	if (streq(rstatus, "error")) {
		const char *etype = json_string_value(json_object_get(root, "errorType"));
		const char *error = json_string_value(json_object_get(root, "error"));

		s->error = SAMPLE_QUERY_ERROR;
		snprintf(msg, len, "prometheus query error (%s): %s", etype ? etype : "unknown",
			 error ? error : "no message");
		return msg;
	}
	data = json_object_get(root, "data");
	type = json_string_value(json_object_get(data, "resultType"));
	result = json_object_get(data, "result");
	if (!streq(rstatus, "success") || !type || !result) {
		s->error = SAMPLE_OTHER;
		snprintf(msg, len, "prometheus answered status \"%.32s\" without a result",
			 rstatus);
		return msg;
	}
	if (streq(type, "scalar")) {
		if (!value_of(result, &s->value))
			goto bad_value;
	} else if (streq(type, "vector") && json_is_array(result)) {
		size_t n = json_array_size(result);

		if (n == 0) {
			s->error = SAMPLE_NO_VALUE;
			snprintf(msg, len, "the query returned no series");
			return msg;
		}
		if (n > 1) {
			s->error = SAMPLE_OTHER;
			snprintf(msg, len,
				 "the query returned %zu series; expected one (aggregate it, for "
				 "example with sum())",
				 n);
			return msg;
		}
		if (!value_of(json_object_get(json_array_get(result, 0), "value"), &s->value))
			goto bad_value;
	} else {
		s->error = SAMPLE_OTHER;
		snprintf(msg, len,
			 "the query returned a %.16s; expected an instant vector or a scalar",
			 type);
		return msg;
	}
	if (isnan(s->value)) {
		s->error = SAMPLE_NO_VALUE;
		snprintf(msg, len, "the query returned NaN");
		return msg;
	}
	s->error = SAMPLE_OK;
	return NULL;
bad_value:
	s->error = SAMPLE_OTHER;
	s->value = NAN;
	snprintf(msg, len, "prometheus answered a value that is not a number");
	return msg;
}

static void prom_done(struct probe_curl_req *r, CURL *easy, CURLcode code, uint64_t end_ns)
{
	struct prom_state *st = (struct prom_state *)r;
	struct probe *p = st->p;
	struct sample s = { .t_ns = st->t, .value = NAN };
	char msg[CURL_ERROR_SIZE + 512];
	const char *m = NULL;
	long status = 0;

	st->busy = false;
	s.latency_ns = end_ns - st->t;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	s.status = (int32_t)status;
	if (st->too_big) {
		s.error = SAMPLE_OTHER;
		snprintf(msg, sizeof(msg), "prometheus at %s: answer larger than 1 MiB",
			 p->cfg->prometheus.url);
		m = msg;
	} else if (code != CURLE_OK) {
		s.error = probe_curl_error(easy, code);
		snprintf(msg, sizeof(msg), "prometheus at %s: %s", p->cfg->prometheus.url,
			 st->errbuf[0] ? st->errbuf : curl_easy_strerror(code));
		m = msg;
	} else {
		m = interpret(st, status, &s, msg, sizeof(msg));
	}
	probe_complete(p, &s, m);
}

static int prom_init(struct probe *p, char *err, size_t len)
{
	const struct scenario_probe *cfg = p->cfg;
	struct prom_state *st = calloc(1, sizeof(*st));
	char *q;
	size_t base;
	bool ok;

	if (!st)
		return -ENOMEM;
	p->state = st;
	st->p = p;
	st->req.done = prom_done;
	st->easy = curl_easy_init();
	if (!st->easy)
		return -ENOMEM;
	q = curl_easy_escape(st->easy, cfg->prometheus.query, 0);
	if (!q)
		return -ENOMEM;
	base = strlen(cfg->prometheus.url);
	while (base > 0 && cfg->prometheus.url[base - 1] == '/')
		base--;
	ok = asprintf(&st->url, "%.*s/api/v1/query?query=%s", (int)base, cfg->prometheus.url, q) >=
	     0;
	curl_free(q);
	if (!ok) {
		st->url = NULL;
		return -ENOMEM;
	}
	ok = curl_easy_setopt(st->easy, CURLOPT_URL, st->url) == CURLE_OK &&
	     curl_easy_setopt(st->easy, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
	     curl_easy_setopt(st->easy, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
	     curl_easy_setopt(st->easy, CURLOPT_TIMEOUT_MS, (long)ns_to_ms_ceil(cfg->timeout_ns)) ==
		     CURLE_OK &&
	     curl_easy_setopt(st->easy, CURLOPT_USERAGENT, "faultline/" FAULTLINE_VERSION) ==
		     CURLE_OK &&
	     curl_easy_setopt(st->easy, CURLOPT_WRITEFUNCTION, collect) == CURLE_OK &&
	     curl_easy_setopt(st->easy, CURLOPT_WRITEDATA, st) == CURLE_OK &&
	     curl_easy_setopt(st->easy, CURLOPT_ERRORBUFFER, st->errbuf) == CURLE_OK &&
	     curl_easy_setopt(st->easy, CURLOPT_PRIVATE, &st->req) == CURLE_OK;
	if (!ok) {
		errbuf_set(err, len, "probe %s: libcurl refused the query options", cfg->name);
		return -EINVAL;
	}
	return 0;
}

static int prom_start(struct probe *p, uint64_t t)
{
	struct prom_state *st = p->state;
	int r;

	if (st->busy)
		return -EBUSY;
	st->t = t;
	st->len = 0;
	st->too_big = false;
	st->errbuf[0] = '\0';
	r = probe_curl_add(p->e, st->easy);
	if (r < 0) {
		probe_set_error(p, "prometheus at %s: libcurl refused the query",
				p->cfg->prometheus.url);
		return r;
	}
	st->busy = true;
	return 0;
}

static uint64_t prom_deadline(struct probe *p)
{
	(void)p;
	return PROBE_NO_DEADLINE;
}

static void prom_expire(struct probe *p, uint64_t now)
{
	(void)p;
	(void)now;
}

static void prom_free(struct probe *p)
{
	struct prom_state *st = p->state;

	if (st->easy) {
		if (st->busy)
			probe_curl_remove(p->e, st->easy);
		curl_easy_cleanup(st->easy);
	}
	free(st->url);
	free(st->body);
	p->state = mfree(st);
}

const struct probe_ops probe_prometheus_ops = {
	.name = "prometheus",
	.init = prom_init,
	.start = prom_start,
	.deadline = prom_deadline,
	.expire = prom_expire,
	.free = prom_free,
};
