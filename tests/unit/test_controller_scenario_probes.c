/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the probes section of scenarios: every kind's options, the
 * defaults, and the errors (positions and messages).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"
#include "macro.h"
#include "scenario.h"
#include "scenario_assert.h"

#define HEAD "version: 1\nname: t\nfaults: [{name: k, type: process.kill, target: {pid: 99}}]\n"

static void test_probes_all_kinds(void **state)
{
	_cleanup_(scenario_freep) struct scenario *s = NULL;
	const struct scenario_probe *p;

	s = expect_valid(HEAD
			 "probes:\n"
			 "  checkout:\n"
			 "    http:\n"
			 "      url: \"https://127.0.0.1:8443/checkout?x=1\"\n"
			 "      method: PUT\n"
			 "      headers: {Authorization: \"Bearer abc\", X-Trace: \"1\"}\n"
			 "      body: '{\"a\": 1}'\n"
			 "      expect_status: [200, 204]\n"
			 "      timeout: 1500ms\n"
			 "      insecure: true\n"
			 "      ca_file: /etc/ssl/ca.pem\n"
			 "    rate: 50/s\n"
			 "    concurrency: 7\n"
			 "  db: {tcp: {address: \"[::1]:5432\", timeout: 300ms}, rate: 2.5/s}\n"
			 "  db2: {tcp: {host: db.internal, port: 6379}}\n"
			 "  depth:\n"
			 "    command: {argv: [sh, -c, \"echo 3\"], value: true, timeout: 3s}\n"
			 "    interval: 250ms\n"
			 "  prom:\n"
			 "    prometheus:\n"
			 "      url: http://127.0.0.1:9090/prefix\n"
			 "      query: sum(rate(x_total[1m]))\n"
			 "    interval: 5s\n");
	assert_int_equal(s->n_probes, 5);

	p = &s->probes[0];
	assert_string_equal(p->name, "checkout");
	assert_int_equal(p->kind, PROBE_HTTP);
	assert_string_equal(probe_kind_name(p->kind), "http");
	assert_string_equal(p->http.url, "https://127.0.0.1:8443/checkout?x=1");
	assert_string_equal(p->http.method, "PUT");
	assert_string_equal(p->http.headers[0], "Authorization: Bearer abc");
	assert_string_equal(p->http.headers[1], "X-Trace: 1");
	assert_null(p->http.headers[2]);
	assert_string_equal(p->http.body, "{\"a\": 1}");
	assert_int_equal(p->http.n_expect_status, 2);
	assert_int_equal(p->http.expect_status[0], 200);
	assert_int_equal(p->http.expect_status[1], 204);
	assert_int_equal(p->timeout_ns, 1500000000ULL);
	assert_true(p->http.insecure);
	assert_string_equal(p->http.ca_file, "/etc/ssl/ca.pem");
	assert_true(p->rate == 50.0);
	assert_int_equal(p->concurrency, 7);
	assert_int_equal(p->line, 6);
	assert_int_equal(p->col, 5);

	p = &s->probes[1];
	assert_int_equal(p->kind, PROBE_TCP);
	assert_string_equal(p->tcp.host, "::1");
	assert_int_equal(p->tcp.port, 5432);
	assert_int_equal(p->timeout_ns, 300000000ULL);
	assert_true(p->rate == 2.5);
	/* Default concurrency: ceil(rate x timeout), at least 1. */
	assert_int_equal(p->concurrency, 1);

	p = &s->probes[2];
	assert_string_equal(p->tcp.host, "db.internal");
	assert_int_equal(p->tcp.port, 6379);
	assert_true(p->rate == 10.0);
	assert_int_equal(p->timeout_ns, 2000000000ULL);
	assert_int_equal(p->concurrency, 20);

	p = &s->probes[3];
	assert_int_equal(p->kind, PROBE_COMMAND);
	assert_string_equal(p->command.argv[0], "sh");
	assert_string_equal(p->command.argv[2], "echo 3");
	assert_null(p->command.argv[3]);
	assert_true(p->command.value);
	assert_true(p->rate == 4.0);
	assert_int_equal(p->concurrency, 1);
	assert_int_equal(p->timeout_ns, 3000000000ULL);

	p = &s->probes[4];
	assert_int_equal(p->kind, PROBE_PROMETHEUS);
	assert_string_equal(p->prometheus.url, "http://127.0.0.1:9090/prefix");
	assert_string_equal(p->prometheus.query, "sum(rate(x_total[1m]))");
	assert_true(fabs(p->rate - 0.2) < 1e-12);
	assert_int_equal(p->timeout_ns, 5000000000ULL);
}

static void test_probes_defaults(void **state)
{
	_cleanup_(scenario_freep) struct scenario *s = NULL;
	const struct scenario_probe *p;

	s = expect_valid(HEAD "probes:\n"
			      "  a: {http: {url: \"http://localhost/\"}}\n"
			      "  b: {http: {url: \"http://localhost/\", body: x}, rate: 1000/s}\n"
			      "  c: {command: {argv: [true]}}\n"
			      "  d: {http: {url: \"http://localhost/\", expect_status: 503}}\n");
	p = &s->probes[0];
	assert_string_equal(p->http.method, "GET");
	assert_null(p->http.headers);
	assert_null(p->http.body);
	assert_int_equal(p->http.n_expect_status, 0);
	assert_false(p->http.insecure);
	assert_null(p->http.ca_file);
	assert_true(p->rate == 10.0);
	assert_int_equal(p->timeout_ns, 2000000000ULL);
	assert_int_equal(p->concurrency, 20);
	/* A body without a method is a POST, as with curl -d. */
	assert_string_equal(s->probes[1].http.method, "POST");
	/* 1000/s x 2s would be 2000 slots; the default is capped at 256. */
	assert_int_equal(s->probes[1].concurrency, 256);
	p = &s->probes[2];
	assert_false(p->command.value);
	assert_true(p->rate == 1.0);
	assert_int_equal(p->timeout_ns, 10000000000ULL);
	assert_int_equal(s->probes[3].http.n_expect_status, 1);
	assert_int_equal(s->probes[3].http.expect_status[0], 503);

	scenario_free(s);
	s = expect_valid(HEAD "probes: {}\n");
	assert_int_equal(s->n_probes, 0);
	assert_null(s->probes);
}

static void test_probes_errors(void **state)
{
	expect_error(HEAD "probes: [x]\n", 4, 9, "probes: expected a mapping of probe names");
	expect_error(HEAD "probes: {\"a b\": {http: {url: \"http://x/\"}}}\n", 4, 10,
		     "expected a probe name of 1 to 64 characters");
	expect_error(HEAD "probes: {a: 5}\n", 4, 13, "probes.a: expected a mapping with one of");
	expect_error(HEAD "probes: {a: {rate: 5/s}}\n", 4, 13,
		     "missing key 'http' in probe 'a'; expected one probe kind");
	expect_error(HEAD "probes: {a: {http: {url: \"http://x/\"}, tcp: {address: \"x:1\"}}}\n", 4,
		     40, "expected one probe kind, found both http and tcp");
	expect_error(HEAD "probes: {a: {http: x}}\n", 4, 20,
		     "probes.a.http: expected a mapping of http options");
	expect_error(HEAD "probes: {a: {http: {url: \"http://x/\"}, ratee: 1/s}}\n", 4, 40,
		     "unknown key 'ratee' in probe 'a'; expected one of: command, concurrency");
	expect_error(HEAD "probes: {a: {http: {uri: \"http://x/\"}}}\n", 4, 21,
		     "unknown key 'uri' in http; expected one of: body, ca_file");
	expect_error(HEAD "probes: {a: {http: {}}}\n", 4, 20, "missing key 'url' in http");
	expect_error(
		HEAD "probes: {a: {http: {url: \"ftp://x/\"}}}\n", 4, 26,
		"http.url: expected an absolute http:// or https:// URL, found the string \"ftp://x/\"");
	expect_error(HEAD "probes: {a: {http: {url: \"http://x /\"}}}\n", 4, 26,
		     "http.url: expected an absolute http:// or https:// URL");
	expect_error(HEAD "probes: {a: {http: {url: \"http://x/\", method: get}}}\n", 4, 47,
		     "http.method: expected GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS");
	expect_error(HEAD "probes: {a: {http: {url: \"http://x/\", method: GET, body: x}}}\n", 4,
		     58, "http.body: a body needs method POST");
	expect_error(HEAD "probes: {a: {http: {url: \"http://x/\", expect_status: [200, 700]}}}\n",
		     4, 60, "http.expect_status: expected an HTTP status code from 100 to 599");
	expect_error(HEAD "probes: {a: {http: {url: \"http://x/\", expect_status: []}}}\n", 4, 54,
		     "expected a status or a list of 1 to 32 statuses");
	expect_error(HEAD "probes: {a: {http: {url: \"http://x/\", headers: {\"a b\": c}}}}\n", 4,
		     49, "http.headers: expected a header name");
	expect_error(HEAD "probes: {a: {http: {url: \"http://x/\", headers: {X: \"a\\nb\"}}}}\n", 4,
		     52, "http.headers: expected a string without control characters");
	expect_error(HEAD "probes: {a: {http: {url: \"http://x/\", insecure: yes}}}\n", 4, 49,
		     "http.insecure: expected true or false, found yes");
	expect_error(HEAD "probes: {a: {http: {url: \"http://x/\", insecure: true}}}\n", 4, 39,
		     "http.insecure: TLS options need an https:// url");
	expect_error(HEAD "probes: {a: {http: {url: \"https://x/\", ca_file: ca.pem}}}\n", 4, 49,
		     "http.ca_file: expected an absolute path, found ca.pem");
	expect_error(HEAD "probes: {a: {http: {url: \"http://x/\", timeout: 0s}}}\n", 4, 48,
		     "http.timeout: expected a duration above 0 and at most 10m");
	expect_error(HEAD "probes: {a: {http: {url: \"http://x/\", timeout: 5}}}\n", 4, 48,
		     "http.timeout: expected a duration with a unit");
	expect_error(HEAD "probes: {a: {http: {url: \"http://x/\"}, rate: 50}}\n", 4, 46,
		     "rate: expected a rate");
	expect_error(HEAD "probes: {a: {http: {url: \"http://x/\"}, rate: 1mbit}}\n", 4, 46,
		     "rate: expected requests per second from 0.001/s to 10000/s");
	expect_error(HEAD "probes: {a: {http: {url: \"http://x/\"}, rate: 20000/s}}\n", 4, 46,
		     "rate: expected requests per second");
	expect_error(HEAD "probes: {a: {http: {url: \"http://x/\"}, interval: 1s}}\n", 4, 40,
		     "interval: http probes are scheduled by rate");
	expect_error(HEAD "probes: {a: {http: {url: \"http://x/\"}, concurrency: 0}}\n", 4, 53,
		     "concurrency: expected a number from 1 to 1024, found 0");
	expect_error(HEAD "probes: {a: {tcp: {host: x}}}\n", 4, 19, "missing key 'port' in tcp");
	expect_error(HEAD "probes: {a: {tcp: {port: 80}}}\n", 4, 19, "missing key 'host' in tcp");
	expect_error(HEAD "probes: {a: {tcp: {host: x, port: 70000}}}\n", 4, 35,
		     "tcp.port: expected a port from 1 to 65535, found 70000");
	expect_error(HEAD "probes: {a: {tcp: {address: \"::1:80\"}}}\n", 4, 29,
		     "tcp.address: expected host:port");
	expect_error(HEAD "probes: {a: {tcp: {address: \"x:0\"}}}\n", 4, 29,
		     "tcp.address: expected host:port");
	expect_error(HEAD "probes: {a: {tcp: {address: \"x:1\", port: 2}}}\n", 4, 36,
		     "tcp.port: give either address or host and port, not both");
	expect_error(HEAD "probes: {a: {tcp: {host: \"a b\", port: 1}}}\n", 4, 26,
		     "tcp.host: expected a host name or an IP address");
	expect_error(HEAD "probes: {a: {command: {argv: []}}}\n", 4, 30,
		     "command.argv: expected a list of 1 to 256 strings");
	expect_error(HEAD "probes: {a: {command: {argv: [x, [y]]}}}\n", 4, 34,
		     "command.argv: expected a string, found a sequence");
	expect_error(HEAD "probes: {a: {command: {value: true}}}\n", 4, 23,
		     "missing key 'argv' in command");
	expect_error(HEAD "probes: {a: {command: {argv: [x]}, rate: 1/s}}\n", 4, 36,
		     "rate: command probes are scheduled by interval");
	expect_error(HEAD "probes: {a: {command: {argv: [x]}, concurrency: 2}}\n", 4, 36,
		     "concurrency: command probes run one at a time");
	expect_error(HEAD "probes: {a: {command: {argv: [x]}, interval: 1ms}}\n", 4, 46,
		     "interval: expected from 10ms to 1h, found 1ms");
	expect_error(HEAD "probes: {a: {prometheus: {url: \"http://p:9090\"}}}\n", 4, 26,
		     "missing key 'query' in prometheus");
	expect_error(HEAD "probes: {a: {prometheus: {url: \"http://p:9090/?x=1\", query: up}}}\n",
		     4, 32, "prometheus.url: expected the server's base URL");
	expect_error(HEAD "probes: {a: {prometheus: {query: up}}}\n", 4, 26,
		     "missing key 'url' in prometheus");
}

/* Every problem is reported, not only the first. */
static void test_probes_reports_everything(void **state)
{
	_cleanup_(diag_listp) struct diag_list diags = {};
	struct scenario *s = SENTINEL;

	assert_int_equal(load(HEAD "probes:\n"
				   "  a: {http: {url: \"ftp://x\", method: get}, rate: 0/s}\n"
				   "  b: {tcp: {host: x, port: 0}}\n"
				   "  c: {command: {argv: x}}\n",
			      &s, &diags),
			 -EINVAL);
	assert_ptr_equal(s, SENTINEL);
	assert_int_equal(diags.n, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probes_all_kinds),
		cmocka_unit_test(test_probes_defaults),
		cmocka_unit_test(test_probes_errors),
		cmocka_unit_test(test_probes_reports_everything),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
