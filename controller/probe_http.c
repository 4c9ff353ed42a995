/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The http probe: one request per scheduled sample, through the engine's curl
 * multi handle. Each of the probe's concurrency slots owns an easy handle that is
 * configured once and reused, and the multi handle's connection cache keeps the
 * connections alive between requests, as a real client would.
 *
 * The latency of a sample runs from its scheduled time (not from the send) to the
 * moment the engine sees the transfer end, so it includes any wait for a slot
 * and the engine's own overhead (tests/bench/bench_probe_http.sh measures that).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "macro.h"
#include "probe_internal.h"
#include "time_util.h"

/* The body is read and thrown away; past this, the request is failed. */
#define HTTP_BODY_MAX (64ULL * 1024 * 1024)

struct http_slot {
	struct probe_curl_req req;
	struct probe *p;
	CURL *easy;
	bool busy;
	bool too_big;
	uint64_t t; /* scheduled time of the sample in flight */
	uint64_t bytes;
	char errbuf[CURL_ERROR_SIZE];
};

struct http_state {
	struct curl_slist *headers;
	struct http_slot *slots; /* cfg->concurrency of them */
};

static size_t discard(char *data, size_t size, size_t n, void *userdata)
{
	struct http_slot *slot = userdata;

	(void)data;
	slot->bytes += (uint64_t)size * n;
	if (slot->bytes > HTTP_BODY_MAX) {
		slot->too_big = true;
		return 0; /* CURLE_WRITE_ERROR */
	}
	return size * n;
}

static bool status_expected(const struct scenario_probe *cfg, long status)
{
	if (cfg->http.n_expect_status == 0)
		return status >= 200 && status <= 299;
	for (size_t i = 0; i < cfg->http.n_expect_status; i++)
		if (cfg->http.expect_status[i] == status)
			return true;
	return false;
}

static void http_done(struct probe_curl_req *r, CURL *easy, CURLcode code, uint64_t end_ns)
{
	struct http_slot *slot = (struct http_slot *)r;
	struct probe *p = slot->p;
	struct sample s = { .t_ns = slot->t, .latency_ns = end_ns - slot->t, .value = NAN };
	long status = 0;
	char msg[CURL_ERROR_SIZE + 128];
	const char *m = NULL;

	slot->busy = false;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	s.status = (int32_t)status;
	if (code == CURLE_OK && status_expected(p->cfg, status)) {
		s.error = SAMPLE_OK;
	} else if (code == CURLE_OK) {
		s.error = SAMPLE_BAD_STATUS;
		snprintf(msg, sizeof(msg), "HTTP %ld from %s, expected %s", status,
			 p->cfg->http.url,
			 p->cfg->http.n_expect_status ? "one of expect_status" : "2xx");
		m = msg;
	} else if (slot->too_big) {
		s.error = SAMPLE_OTHER;
		snprintf(msg, sizeof(msg), "%s: response larger than 64 MiB", p->cfg->http.url);
		m = msg;
	} else {
		s.error = probe_curl_error(easy, code);
		snprintf(msg, sizeof(msg), "%s: %s", p->cfg->http.url,
			 slot->errbuf[0] ? slot->errbuf : curl_easy_strerror(code));
		m = msg;
	}
	probe_complete(p, &s, m);
}

static int easy_setup(struct probe *p, struct http_state *st, struct http_slot *slot)
{
	const struct scenario_probe *cfg = p->cfg;
	long timeout_ms = (long)ns_to_ms_ceil(cfg->timeout_ns);
	CURL *h = curl_easy_init();
	bool ok;

	if (!h)
		return -ENOMEM;
	ok = curl_easy_setopt(h, CURLOPT_URL, cfg->http.url) == CURLE_OK &&
	     curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
	     curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
	     curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms) == CURLE_OK &&
	     curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
	     curl_easy_setopt(h, CURLOPT_USERAGENT, "faultline/" FAULTLINE_VERSION) == CURLE_OK &&
	     curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard) == CURLE_OK &&
	     curl_easy_setopt(h, CURLOPT_WRITEDATA, slot) == CURLE_OK &&
	     curl_easy_setopt(h, CURLOPT_ERRORBUFFER, slot->errbuf) == CURLE_OK &&
	     curl_easy_setopt(h, CURLOPT_PRIVATE, &slot->req) == CURLE_OK;
	if (ok && st->headers)
		ok = curl_easy_setopt(h, CURLOPT_HTTPHEADER, st->headers) == CURLE_OK;
	if (ok && streq(cfg->http.method, "HEAD"))
		ok = curl_easy_setopt(h, CURLOPT_NOBODY, 1L) == CURLE_OK;
	else if (ok && !streq(cfg->http.method, "GET"))
		ok = curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, cfg->http.method) == CURLE_OK;
	if (ok && cfg->http.body)
		ok = curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
				      (curl_off_t)strlen(cfg->http.body)) == CURLE_OK &&
		     curl_easy_setopt(h, CURLOPT_POSTFIELDS, cfg->http.body) == CURLE_OK;
	if (ok && cfg->http.insecure)
		ok = curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L) == CURLE_OK &&
		     curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L) == CURLE_OK;
	if (ok && cfg->http.ca_file)
		ok = curl_easy_setopt(h, CURLOPT_CAINFO, cfg->http.ca_file) == CURLE_OK;
	if (!ok) {
		curl_easy_cleanup(h);
		return -EINVAL;
	}
	slot->easy = h;
	return 0;
}

static int http_init(struct probe *p, char *err, size_t len)
{
	struct http_state *st = calloc(1, sizeof(*st));

	if (!st)
		return -ENOMEM;
	p->state = st;
	st->slots = calloc(p->cfg->concurrency, sizeof(*st->slots));
	if (!st->slots)
		return -ENOMEM;
	for (char **h = p->cfg->http.headers; h && *h; h++) {
		struct curl_slist *l = curl_slist_append(st->headers, *h);

		if (!l)
			return -ENOMEM;
		st->headers = l;
	}
	/* The first slot now, so that a bad option shows before the run. */
	st->slots[0].p = p;
	st->slots[0].req.done = http_done;
	if (easy_setup(p, st, &st->slots[0]) < 0) {
		errbuf_set(err, len, "probe %s: libcurl refused the request options", p->cfg->name);
		return -EINVAL;
	}
	return 0;
}

static int http_start(struct probe *p, uint64_t t)
{
	struct http_state *st = p->state;
	struct http_slot *slot = NULL;
	int r;

	for (uint32_t i = 0; i < p->cfg->concurrency && !slot; i++)
		if (!st->slots[i].busy)
			slot = &st->slots[i];
	if (!slot)
		return -EBUSY; /* the engine counts slots; not reached */
	if (!slot->easy) {
		slot->p = p;
		slot->req.done = http_done;
		r = easy_setup(p, st, slot);
		if (r < 0) {
			probe_set_error(p, "%s: cannot set up a request", p->cfg->http.url);
			return r;
		}
	}
	slot->t = t;
	slot->bytes = 0;
	slot->too_big = false;
	slot->errbuf[0] = '\0';
	r = probe_curl_add(p->e, slot->easy);
	if (r < 0) {
		probe_set_error(p, "%s: libcurl refused the request", p->cfg->http.url);
		return r;
	}
	slot->busy = true;
	return 0;
}

/* curl enforces the timeout itself. */
static uint64_t http_deadline(struct probe *p)
{
	(void)p;
	return PROBE_NO_DEADLINE;
}

static void http_expire(struct probe *p, uint64_t now)
{
	(void)p;
	(void)now;
}

static void http_free(struct probe *p)
{
	struct http_state *st = p->state;

	for (uint32_t i = 0; st->slots && i < p->cfg->concurrency; i++) {
		if (!st->slots[i].easy)
			continue;
		if (st->slots[i].busy)
			probe_curl_remove(p->e, st->slots[i].easy);
		curl_easy_cleanup(st->slots[i].easy);
	}
	free(st->slots);
	curl_slist_free_all(st->headers);
	p->state = mfree(st);
}

const struct probe_ops probe_http_ops = {
	.name = "http",
	.init = http_init,
	.start = http_start,
	.deadline = http_deadline,
	.expire = http_expire,
	.free = http_free,
};
