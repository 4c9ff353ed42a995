/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The probes section: a mapping from probe name to one probe, each with exactly
 * one kind key (http, tcp, command or prometheus) holding the kind's options, and
 * the schedule keys beside it:
 *
 *   probes:
 *     checkout:
 *       http: {url: "http://127.0.0.1:8080/", timeout: 2s, expect_status: [200]}
 *       rate: 50/s
 *       concurrency: 10
 *     db:   {tcp: {address: "10.0.0.3:5432"}, rate: 5/s}
 *     depth: {command: {argv: [queue-depth], value: true}, interval: 1s}
 *     errors: {prometheus: {url: "http://127.0.0.1:9090", query: "sum(up)"}, interval: 5s}
 *
 * Strict like the rest of the loader: unknown keys, wrong types and values out of
 * range are reported with their position and what was expected. The probes run
 * in the controller, so nothing here crosses the privilege boundary; the checks
 * exist so that `faultline validate` catches mistakes before a game day.
 */
#include <curl/curl.h>
#include <limits.h>
#include <math.h>

#include "parse.h"
#include "scenario.h"
#include "scenario_probes.h"

#define PROBE_NAME_MAX 64
#define PROBE_RATE_MIN 0.001 /* one sample every 1000 s */
#define PROBE_RATE_MAX 10000.0
#define PROBE_INTERVAL_MIN_NS (10 * 1000000ULL)
#define PROBE_INTERVAL_MAX_NS (3600 * 1000000000ULL)
#define PROBE_TIMEOUT_MAX_NS (600 * 1000000000ULL)
#define PROBE_CONCURRENCY_MAX 1024
#define PROBE_CONCURRENCY_DEFAULT_MAX 256
#define PROBE_MAX_HEADERS 64
#define PROBE_MAX_STATUSES 32
#define PROBE_MAX_ARGV 256
#define PROBE_URL_MAX 4096
#define PROBE_QUERY_MAX 4096
#define PROBE_BODY_MAX (1024 * 1024)

static const char *const probe_keys[] = { "command",	"concurrency", "http", "interval",
					  "prometheus", "rate",	       "tcp",  NULL };
static const char *const kind_keys[] = { "http", "tcp", "command", "prometheus" };
static const char *const http_keys[] = { "body",    "ca_file",	"expect_status",
					 "headers", "insecure", "method",
					 "timeout", "url",	NULL };
static const char *const tcp_keys[] = { "address", "host", "port", "timeout", NULL };
static const char *const command_keys[] = { "argv", "timeout", "value", NULL };
static const char *const prometheus_keys[] = { "query", "timeout", "url", NULL };
static const char *const methods[] = { "GET",	"HEAD",	  "POST",    "PUT",
				       "PATCH", "DELETE", "OPTIONS", NULL };

/* Per kind: the default timeout, and the default rate (or 1 / interval). */
static const uint64_t default_timeout_ns[] = {
	[PROBE_HTTP] = 2 * 1000000000ULL,
	[PROBE_TCP] = 2 * 1000000000ULL,
	[PROBE_COMMAND] = 10 * 1000000000ULL,
	[PROBE_PROMETHEUS] = 5 * 1000000000ULL,
};
static const double default_rate[] = {
	[PROBE_HTTP] = 10,
	[PROBE_TCP] = 10,
	[PROBE_COMMAND] = 1,
	[PROBE_PROMETHEUS] = 1,
};

const char *probe_kind_name(enum probe_kind k)
{
	return (unsigned)k < ARRAY_SIZE(kind_keys) ? kind_keys[k] : "unknown";
}

static int dup_into(struct sv_ctx *c, const char *s, char **ret)
{
	*ret = strdup(s);
	return *ret ? 0 : sv_oom(c);
}

static bool name_ok(const struct ynode *n)
{
	if (n->kind != YNODE_SCALAR || n->len < 1 || n->len > PROBE_NAME_MAX)
		return false;
	for (size_t i = 0; i < n->len; i++) {
		char ch = n->value[i];

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

/* true or false, written plain. */
static int sv_bool(struct sv_ctx *c, const char *what, const struct ynode *n, bool *ret)
{
	char found[96];

	if (n->kind == YNODE_SCALAR && n->plain && ynode_scalar_eq(n, "true")) {
		*ret = true;
		return 0;
	}
	if (n->kind == YNODE_SCALAR && n->plain && ynode_scalar_eq(n, "false")) {
		*ret = false;
		return 0;
	}
	return sv_error(c, n->line, n->col, "%s: expected true or false, found %s", what,
			ynode_describe(n, found, sizeof(found)));
}

static bool printable(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			return false;
	return true;
}

/*
 * An absolute http(s) URL that libcurl parses, without spaces or control
 * characters. base: a Prometheus server's base URL, so no query or fragment.
 */
static int check_url(struct sv_ctx *c, const char *what, const struct ynode *n, bool base,
		     char **ret)
{
	static const char expected[] = "an absolute http:// or https:// URL";
	char found[96];
	CURLU *u = NULL;
	char *part = NULL;
	const char *s;
	bool ok;

	if (sv_string(c, what, n, &s) < 0)
		return -EINVAL;
	if (n->len > PROBE_URL_MAX || !printable(s, n->len) ||
	    (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0))
		return sv_error(c, n->line, n->col, "%s: expected %s, found %s", what, expected,
				ynode_describe(n, found, sizeof(found)));
	u = curl_url();
	if (!u)
		return sv_oom(c);
	ok = curl_url_set(u, CURLUPART_URL, s, 0) == CURLUE_OK &&
	     curl_url_get(u, CURLUPART_HOST, &part, 0) == CURLUE_OK && part && part[0];
	curl_free(part);
	part = NULL;
	if (ok && base) {
		bool has_query = curl_url_get(u, CURLUPART_QUERY, &part, 0) == CURLUE_OK;

		curl_free(part);
		part = NULL;
		bool has_fragment = curl_url_get(u, CURLUPART_FRAGMENT, &part, 0) == CURLUE_OK;

		curl_free(part);
		curl_url_cleanup(u);
		if (has_query || has_fragment)
			return sv_error(
				c, n->line, n->col,
				"%s: expected the server's base URL such as "
				"http://127.0.0.1:9090, without a query or fragment, found %s",
				what, ynode_describe(n, found, sizeof(found)));
		return dup_into(c, s, ret);
	}
	curl_url_cleanup(u);
	if (!ok)
		return sv_error(c, n->line, n->col, "%s: expected %s with a host, found %s", what,
				expected, ynode_describe(n, found, sizeof(found)));
	return dup_into(c, s, ret);
}

static int check_timeout(struct sv_ctx *c, const char *kind, const struct ynode *m, uint64_t *ret)
{
	const struct ynode *n = ynode_get(m, "timeout");
	char what[32], found[96];

	if (!n)
		return 0;
	snprintf(what, sizeof(what), "%s.timeout", kind);
	if (sv_duration(c, what, n, ret) < 0)
		return -EINVAL;
	if (*ret == 0 || *ret > PROBE_TIMEOUT_MAX_NS)
		return sv_error(c, n->line, n->col,
				"%s: expected a duration above 0 and at most 10m, found %s", what,
				ynode_describe(n, found, sizeof(found)));
	return 0;
}

/* An HTTP header name is a token (RFC 9110 §5.6.2). */
static bool header_name_ok(const char *s, size_t len)
{
	if (len == 0 || len > 256)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= '0' && ch <= '9') || strchr("!#$%&'*+-.^_`|~", ch)))
			return false;
	}
	return true;
}

static int check_headers(struct sv_ctx *c, const struct ynode *n, struct scenario_probe *p)
{
	char found[96];
	int r = 0;

	if (n->kind != YNODE_MAPPING || n->n_pairs == 0 || n->n_pairs > PROBE_MAX_HEADERS)
		return sv_error(c, n->line, n->col,
				"http.headers: expected a mapping of 1 to %d header names to "
				"values, such as {Authorization: \"Bearer x\"}, found %s",
				PROBE_MAX_HEADERS, ynode_describe(n, found, sizeof(found)));
	p->http.headers = calloc(n->n_pairs + 1, sizeof(char *));
	if (!p->http.headers)
		return sv_oom(c);
	for (size_t i = 0, w = 0; i < n->n_pairs; i++) {
		const struct ynode *k = n->pairs[i].key, *v = n->pairs[i].value;
		const char *value;

		if (k->kind != YNODE_SCALAR || !header_name_ok(k->value, k->len)) {
			r = sv_error(c, k->line, k->col,
				     "http.headers: expected a header name (letters, digits and "
				     "!#$%%&'*+-.^_`|~), found %s",
				     ynode_describe(k, found, sizeof(found)));
			continue;
		}
		if (sv_string(c, "http.headers", v, &value) < 0) {
			r = -EINVAL;
			continue;
		}
		/* CR or LF would let a value smuggle further headers. */
		if (strpbrk(value, "\r\n")) {
			r = sv_error(c, v->line, v->col,
				     "http.headers.%s: expected a value without line breaks, "
				     "found %s",
				     k->value, ynode_describe(v, found, sizeof(found)));
			continue;
		}
		if (asprintf(&p->http.headers[w++], "%s: %s", k->value, value) < 0) {
			p->http.headers[w - 1] = NULL;
			return sv_oom(c);
		}
	}
	return r;
}

static int check_status(struct sv_ctx *c, const struct ynode *n, int *ret)
{
	static const char expected[] = "an HTTP status code from 100 to 599";
	char found[96];
	uint64_t v;

	if (sv_uint(c, "http.expect_status", n, expected, &v) < 0)
		return -EINVAL;
	if (v < 100 || v > 599)
		return sv_error(c, n->line, n->col, "http.expect_status: expected %s, found %s",
				expected, ynode_describe(n, found, sizeof(found)));
	*ret = (int)v;
	return 0;
}

static int check_expect_status(struct sv_ctx *c, const struct ynode *n, struct scenario_probe *p)
{
	char found[96];
	int r = 0;

	if (n->kind == YNODE_SCALAR) {
		p->http.expect_status = calloc(1, sizeof(int));
		if (!p->http.expect_status)
			return sv_oom(c);
		if (check_status(c, n, &p->http.expect_status[0]) < 0)
			return -EINVAL;
		p->http.n_expect_status = 1;
		return 0;
	}
	if (n->kind != YNODE_SEQUENCE || n->n_items == 0 || n->n_items > PROBE_MAX_STATUSES)
		return sv_error(c, n->line, n->col,
				"http.expect_status: expected a status or a list of 1 to %d "
				"statuses such as [200, 204], found %s",
				PROBE_MAX_STATUSES,
				n->kind == YNODE_SEQUENCE ?
					"an empty or too long list" :
					ynode_describe(n, found, sizeof(found)));
	p->http.expect_status = calloc(n->n_items, sizeof(int));
	if (!p->http.expect_status)
		return sv_oom(c);
	for (size_t i = 0; i < n->n_items; i++) {
		int v;

		if (check_status(c, n->items[i], &v) < 0) {
			r = -EINVAL;
			continue;
		}
		p->http.expect_status[p->http.n_expect_status++] = v;
	}
	return r;
}

static int check_http(struct sv_ctx *c, const struct ynode *m, struct scenario_probe *p)
{
	const struct ynode *n, *url = ynode_get(m, "url");
	const char *method = NULL, *s;
	char found[96];
	bool https = false;
	int r = 0;

	if (sv_check_keys(c, m, "in http", http_keys, NULL) < 0)
		r = -EINVAL;
	if (!url)
		r = sv_missing(c, m, "url", "in http", "a URL such as http://127.0.0.1:8080/");
	else if (check_url(c, "http.url", url, false, &p->http.url) < 0)
		r = -EINVAL;
	else
		https = strncmp(p->http.url, "https://", 8) == 0;
	if (check_timeout(c, "http", m, &p->timeout_ns) < 0)
		r = -EINVAL;
	if ((n = ynode_get(m, "method"))) {
		bool known = false;

		if (sv_string(c, "http.method", n, &method) < 0) {
			r = -EINVAL;
			method = "GET";
		}
		for (size_t i = 0; methods[i]; i++)
			known |= streq(methods[i], method);
		if (!known) {
			r = sv_error(c, n->line, n->col,
				     "http.method: expected GET, HEAD, POST, PUT, PATCH, DELETE or "
				     "OPTIONS (upper case), found %s",
				     ynode_describe(n, found, sizeof(found)));
			method = NULL;
		}
	}
	if ((n = ynode_get(m, "body"))) {
		if (n->kind != YNODE_SCALAR || ynode_is_null(n) || n->len > PROBE_BODY_MAX ||
		    memchr(n->value, '\0', n->len)) {
			r = sv_error(c, n->line, n->col,
				     "http.body: expected a string of at most 1 MiB without NUL "
				     "characters, found %s",
				     ynode_describe(n, found, sizeof(found)));
		} else if (method && (streq(method, "GET") || streq(method, "HEAD"))) {
			r = sv_error(c, n->line, n->col,
				     "http.body: a body needs method POST, PUT, PATCH, DELETE or "
				     "OPTIONS, found method %s",
				     method);
		} else if (dup_into(c, n->value, &p->http.body) < 0) {
			return -ENOMEM;
		}
		if (!method)
			method = "POST";
	}
	if (dup_into(c, method ? method : "GET", &p->http.method) < 0)
		return -ENOMEM;
	if ((n = ynode_get(m, "headers")) && check_headers(c, n, p) < 0)
		r = -EINVAL;
	if ((n = ynode_get(m, "expect_status")) && check_expect_status(c, n, p) < 0)
		r = -EINVAL;
	if ((n = ynode_get(m, "insecure")) && sv_bool(c, "http.insecure", n, &p->http.insecure) < 0)
		r = -EINVAL;
	if ((n = ynode_get(m, "ca_file"))) {
		if (sv_string(c, "http.ca_file", n, &s) < 0)
			r = -EINVAL;
		else if (s[0] != '/' || n->len >= PATH_MAX)
			r = sv_error(c, n->line, n->col,
				     "http.ca_file: expected an absolute path, found %s",
				     ynode_describe(n, found, sizeof(found)));
		else if (dup_into(c, s, &p->http.ca_file) < 0)
			return -ENOMEM;
	}
	if (p->http.url && !https) {
		const struct ynode_pair *tls = ynode_get_pair(m, "ca_file");

		if (!tls)
			tls = ynode_get_pair(m, "insecure");
		if (tls)
			r = sv_error(c, tls->key->line, tls->key->col,
				     "http.%s: TLS options need an https:// url, found %s",
				     tls->key->value, p->http.url);
	}
	return r;
}

static bool host_ok(const char *s, size_t len)
{
	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == ':' ||
		      ch == '_' || ch == '%'))
			return false;
	}
	return true;
}

static int port_value(const char *s, uint16_t *ret)
{
	unsigned long v = 0;

	if (!*s || (s[0] == '0' && s[1]) || strlen(s) > 5)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v < 1 || v > 65535)
		return -ERANGE;
	*ret = (uint16_t)v;
	return 0;
}

/* "host:port", "1.2.3.4:80" or "[::1]:80". */
static int check_address(struct sv_ctx *c, const struct ynode *n, struct scenario_probe *p)
{
	static const char expected[] = "host:port such as 127.0.0.1:80, db.internal:5432 or "
				       "[::1]:80";
	_cleanup_free_ char *copy = NULL;
	char found[96], *host, *port;
	const char *s;

	if (sv_string(c, "tcp.address", n, &s) < 0)
		return -EINVAL;
	copy = strdup(s);
	if (!copy)
		return sv_oom(c);
	host = copy;
	if (host[0] == '[') {
		char *end = strchr(host, ']');

		if (!end || end[1] != ':')
			goto bad;
		*end = '\0';
		host++;
		port = end + 2;
	} else {
		port = strrchr(host, ':');
		if (!port)
			goto bad;
		*port++ = '\0';
		if (strchr(host, ':'))
			goto bad; /* IPv6 without brackets: ambiguous */
	}
	if (!host_ok(host, strlen(host)) || port_value(port, &p->tcp.port) < 0)
		goto bad;
	return dup_into(c, host, &p->tcp.host);
bad:
	return sv_error(c, n->line, n->col, "tcp.address: expected %s, found %s", expected,
			ynode_describe(n, found, sizeof(found)));
}

static int check_tcp(struct sv_ctx *c, const struct ynode *m, struct scenario_probe *p)
{
	const struct ynode *address = ynode_get(m, "address"), *host = ynode_get(m, "host"),
			   *port = ynode_get(m, "port");
	char found[96];
	const char *s;
	uint64_t v;
	int r = 0;

	if (sv_check_keys(c, m, "in tcp", tcp_keys, NULL) < 0)
		r = -EINVAL;
	if (check_timeout(c, "tcp", m, &p->timeout_ns) < 0)
		r = -EINVAL;
	if (address) {
		if (host || port) {
			const struct ynode_pair *x = ynode_get_pair(m, host ? "host" : "port");

			return sv_error(c, x->key->line, x->key->col,
					"tcp.%s: give either address or host and port, not both",
					x->key->value);
		}
		return check_address(c, address, p) < 0 ? -EINVAL : r;
	}
	if (!host)
		return sv_missing(c, m, "host", "in tcp",
				  "a host and a port, or an address such as 127.0.0.1:5432");
	if (sv_string(c, "tcp.host", host, &s) < 0)
		r = -EINVAL;
	else if (!host_ok(s, host->len))
		r = sv_error(c, host->line, host->col,
			     "tcp.host: expected a host name or an IP address, found %s",
			     ynode_describe(host, found, sizeof(found)));
	else if (dup_into(c, s, &p->tcp.host) < 0)
		return -ENOMEM;
	if (!port)
		return sv_missing(c, m, "port", "in tcp", "a port from 1 to 65535");
	if (sv_uint(c, "tcp.port", port, "a port from 1 to 65535", &v) < 0)
		return -EINVAL;
	if (v < 1 || v > 65535)
		return sv_error(c, port->line, port->col,
				"tcp.port: expected a port from 1 to 65535, found %s",
				ynode_describe(port, found, sizeof(found)));
	p->tcp.port = (uint16_t)v;
	return r;
}

static int check_command(struct sv_ctx *c, const struct ynode *m, struct scenario_probe *p)
{
	const struct ynode *argv = ynode_get(m, "argv"), *n;
	char found[96];
	int r = 0;

	if (sv_check_keys(c, m, "in command", command_keys, NULL) < 0)
		r = -EINVAL;
	if (check_timeout(c, "command", m, &p->timeout_ns) < 0)
		r = -EINVAL;
	if ((n = ynode_get(m, "value")) && sv_bool(c, "command.value", n, &p->command.value) < 0)
		r = -EINVAL;
	if (!argv)
		return sv_missing(c, m, "argv", "in command",
				  "a command as a list, such as [pg_isready, -h, db]");
	if (argv->kind != YNODE_SEQUENCE || argv->n_items == 0 || argv->n_items > PROBE_MAX_ARGV)
		return sv_error(c, argv->line, argv->col,
				"command.argv: expected a list of 1 to %d strings such as "
				"[pg_isready, -h, db], found %s",
				PROBE_MAX_ARGV,
				argv->kind == YNODE_SEQUENCE ?
					"an empty or too long list" :
					ynode_describe(argv, found, sizeof(found)));
	p->command.argv = calloc(argv->n_items + 1, sizeof(char *));
	if (!p->command.argv)
		return sv_oom(c);
	/* Only valid entries are stored, so the array stays NULL-terminated. */
	for (size_t i = 0, w = 0; i < argv->n_items; i++) {
		const char *arg;

		if (sv_text(c, "command.argv", argv->items[i], &arg) < 0) {
			r = -EINVAL;
			continue;
		}
		if (dup_into(c, arg, &p->command.argv[w++]) < 0)
			return -ENOMEM;
	}
	return r;
}

static int check_prometheus(struct sv_ctx *c, const struct ynode *m, struct scenario_probe *p)
{
	const struct ynode *url = ynode_get(m, "url"), *query = ynode_get(m, "query");
	const char *s;
	int r = 0;

	if (sv_check_keys(c, m, "in prometheus", prometheus_keys, NULL) < 0)
		r = -EINVAL;
	if (check_timeout(c, "prometheus", m, &p->timeout_ns) < 0)
		r = -EINVAL;
	if (!url)
		r = sv_missing(c, m, "url", "in prometheus",
			       "the server's base URL, such as http://127.0.0.1:9090");
	else if (check_url(c, "prometheus.url", url, true, &p->prometheus.url) < 0)
		r = -EINVAL;
	if (!query)
		return sv_missing(c, m, "query", "in prometheus",
				  "a PromQL expression with one result, such as "
				  "'sum(rate(http_requests_total[1m]))'");
	if (sv_text(c, "prometheus.query", query, &s) < 0)
		return -EINVAL;
	if (query->len > PROBE_QUERY_MAX)
		return sv_error(c, query->line, query->col,
				"prometheus.query: expected at most %d bytes, found %zu",
				PROBE_QUERY_MAX, query->len);
	if (dup_into(c, s, &p->prometheus.query) < 0)
		return -ENOMEM;
	return r;
}

/* rate (http, tcp) or interval (command, prometheus), and concurrency (http, tcp). */
static int check_schedule(struct sv_ctx *c, const struct ynode *m, struct scenario_probe *p)
{
	bool by_rate = p->kind == PROBE_HTTP || p->kind == PROBE_TCP;
	const struct ynode_pair *rate = ynode_get_pair(m, "rate"),
				*interval = ynode_get_pair(m, "interval"),
				*conc = ynode_get_pair(m, "concurrency");
	const char *kind = probe_kind_name(p->kind);
	char found[96], why[256];
	int r = 0;

	p->rate = default_rate[p->kind];
	if (by_rate && interval)
		r = sv_error(c, interval->key->line, interval->key->col,
			     "interval: %s probes are scheduled by rate, such as 'rate: 50/s'",
			     kind);
	if (!by_rate && rate)
		r = sv_error(c, rate->key->line, rate->key->col,
			     "rate: %s probes are scheduled by interval, such as 'interval: 5s'",
			     kind);
	if (!by_rate && conc)
		r = sv_error(c, conc->key->line, conc->key->col,
			     "concurrency: %s probes run one at a time; concurrency is for http "
			     "and tcp probes",
			     kind);
	if (by_rate && rate) {
		const struct ynode *n = rate->value;
		struct rate v;
		const char *s;

		if (sv_string(c, "rate", n, &s) < 0)
			r = -EINVAL;
		else if (parse_rate(s, &v, why, sizeof(why)) < 0)
			r = sv_error(c, n->line, n->col, "rate: %s", why);
		else if (v.kind != RATE_PER_SECOND || v.value < PROBE_RATE_MIN ||
			 v.value > PROBE_RATE_MAX)
			r = sv_error(c, n->line, n->col,
				     "rate: expected requests per second from 0.001/s to 10000/s, "
				     "such as 50/s, found %s",
				     ynode_describe(n, found, sizeof(found)));
		else
			p->rate = v.value;
	}
	if (!by_rate && interval) {
		const struct ynode *n = interval->value;
		uint64_t ns;

		if (sv_duration(c, "interval", n, &ns) < 0)
			r = -EINVAL;
		else if (ns < PROBE_INTERVAL_MIN_NS || ns > PROBE_INTERVAL_MAX_NS)
			r = sv_error(c, n->line, n->col,
				     "interval: expected from 10ms to 1h, found %s",
				     ynode_describe(n, found, sizeof(found)));
		else
			p->rate = 1e9 / (double)ns;
	}
	if (!by_rate) {
		p->concurrency = 1;
		return r;
	}
	if (conc) {
		uint64_t v;

		if (sv_uint(c, "concurrency", conc->value, "a number from 1 to 1024", &v) < 0)
			return -EINVAL;
		if (v < 1 || v > PROBE_CONCURRENCY_MAX)
			return sv_error(c, conc->value->line, conc->value->col,
					"concurrency: expected a number from 1 to 1024, found %s",
					ynode_describe(conc->value, found, sizeof(found)));
		p->concurrency = (uint32_t)v;
		return r;
	}
	/* Enough slots that no request waits for one unless the service answers more
	 * slowly than the timeout: each slot is held at most about timeout. */
	double need = ceil(p->rate * (double)p->timeout_ns / 1e9);
	p->concurrency = need < 1			      ? 1 :
			 need > PROBE_CONCURRENCY_DEFAULT_MAX ? PROBE_CONCURRENCY_DEFAULT_MAX :
								(uint32_t)need;
	return r;
}

static int check_probe(struct sv_ctx *c, const struct ynode *key, const struct ynode *m,
		       struct scenario_probe *p)
{
	const struct ynode_pair *kind = NULL;
	char found[96], where[96];
	int r = 0;

	p->line = m->line;
	p->col = m->col;
	if (m->kind != YNODE_MAPPING)
		return sv_error(c, m->line, m->col,
				"probes.%s: expected a mapping with one of http, tcp, command or "
				"prometheus, such as {http: {url: \"http://127.0.0.1:8080/\"}, "
				"rate: 10/s}, found %s",
				key->value, ynode_describe(m, found, sizeof(found)));
	snprintf(where, sizeof(where), "in probe '%s'", key->value);
	if (sv_check_keys(c, m, where, probe_keys, NULL) < 0)
		r = -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(kind_keys); i++) {
		const struct ynode_pair *k = ynode_get_pair(m, kind_keys[i]);

		if (!k)
			continue;
		if (kind) {
			const struct ynode_pair *later =
				k->key->line > kind->key->line ||
						(k->key->line == kind->key->line &&
						 k->key->col > kind->key->col) ?
					k :
					kind;
			const struct ynode_pair *first = later == k ? kind : k;

			return sv_error(c, later->key->line, later->key->col,
					"probes.%s: expected one probe kind, found both %s and %s; "
					"write a second probe for the second check",
					key->value, first->key->value, later->key->value);
		}
		kind = k;
		p->kind = (enum probe_kind)i;
	}
	if (!kind)
		return sv_missing(c, m, "http", where,
				  "one probe kind: http, tcp, command or prometheus");
	if (kind->value->kind != YNODE_MAPPING)
		return sv_error(c, kind->value->line, kind->value->col,
				"probes.%s.%s: expected a mapping of %s options, found %s",
				key->value, kind->key->value, kind->key->value,
				ynode_describe(kind->value, found, sizeof(found)));
	p->timeout_ns = default_timeout_ns[p->kind];
	static int (*const check_kind[])(struct sv_ctx *, const struct ynode *,
					 struct scenario_probe *) = {
		[PROBE_HTTP] = check_http,
		[PROBE_TCP] = check_tcp,
		[PROBE_COMMAND] = check_command,
		[PROBE_PROMETHEUS] = check_prometheus,
	};
	if (check_kind[p->kind](c, kind->value, p) < 0)
		r = -EINVAL;
	if (c->oom)
		return c->oom;
	/* After the kind: the default concurrency depends on the timeout. */
	if (check_schedule(c, m, p) < 0)
		r = -EINVAL;
	return c->oom ? c->oom : r;
}

int check_probes(struct sv_ctx *c, const struct ynode *n, struct scenario *s)
{
	char found[96];
	int r = 0;

	if (n->kind != YNODE_MAPPING)
		return sv_error(c, n->line, n->col,
				"probes: expected a mapping of probe names to probes, such as "
				"{checkout: {http: {url: \"http://127.0.0.1:8080/\"}}}, found %s",
				ynode_describe(n, found, sizeof(found)));
	if (n->n_pairs > SCENARIO_MAX_PROBES)
		return sv_error(c, n->line, n->col, "probes: expected at most %d probes, found %zu",
				SCENARIO_MAX_PROBES, n->n_pairs);
	if (n->n_pairs == 0)
		return 0;
	s->probes = calloc(n->n_pairs, sizeof(*s->probes));
	if (!s->probes)
		return sv_oom(c);
	s->n_probes = n->n_pairs;
	for (size_t i = 0; i < n->n_pairs; i++) {
		const struct ynode *k = n->pairs[i].key;
		struct scenario_probe *p = &s->probes[i];

		if (!name_ok(k) || ynode_is_null(k)) {
			r = sv_error(
				c, k->line, k->col,
				"probes: expected a probe name of 1 to %d characters from A-Z a-z "
				"0-9 . _ -, found %s",
				PROBE_NAME_MAX, ynode_describe(k, found, sizeof(found)));
			continue;
		}
		if (dup_into(c, k->value, &p->name) < 0)
			return -ENOMEM;
		switch (check_probe(c, k, n->pairs[i].value, p)) {
		case 0:
			break;
		case -ENOMEM:
			return -ENOMEM;
		default:
			r = -EINVAL;
		}
	}
	return r;
}

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

void scenario_probes_free(struct scenario_probe *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		struct scenario_probe *p = &v[i];

		free(p->name);
		free(p->http.url);
		free(p->http.method);
		strv_free(p->http.headers);
		free(p->http.body);
		free(p->http.expect_status);
		free(p->http.ca_file);
		free(p->tcp.host);
		strv_free(p->command.argv);
		free(p->prometheus.url);
		free(p->prometheus.query);
	}
	free(v);
}
