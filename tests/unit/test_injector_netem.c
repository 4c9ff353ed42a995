/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the netem encoding layer: injector/net_netem.c (parameters,
 * TCA_OPTIONS, psched), injector/net_dist.c (delay tables) and
 * injector/net_nlerr.c.
 *
 * The messages are decoded here by hand, not with libnl's parser, so that the
 * test is an independent reader of the bytes. The golden test compares them
 * with what iproute2's tc sent for the same settings (the tests/data/netem fixtures,
 * captured with strace; each file names its command).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <inttypes.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <math.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "net_dist.h"
#include "net_netem.h"
#include "net_nlerr.h"

#define MAX_ATTRS 16
#define QOPT_SPACE NLA_ALIGN(sizeof(struct tc_netem_qopt))

/* Fails the test with the input named, which cmocka's bare asserts do not do. */
#define check(cond, what)                                                                          \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fail_msg("%s:%d: case %s: %s", __FILE__, __LINE__, (what), #cond);         \
	} while (0)

/* /proc/net/psched on every kernel since 2.6.31, and on this host. */
static const char psched_text[] = "000003e8 00000040 000f4240 3b9aca00\n";

/* ---- decoding helpers ----------------------------------------------------------- */

struct attr {
	uint16_t type; /* with its flag bits */
	const uint8_t *data;
	size_t len; /* payload only */
};

/* TCA_OPTIONS split into its qopt and the attributes that follow it. */
struct options {
	uint16_t type;
	const uint8_t *payload;
	size_t len;
	struct tc_netem_qopt qopt;
	struct attr attrs[MAX_ATTRS];
	size_t n_attrs;
};

/* Splits a netem TCA_OPTIONS payload; fails the test on any malformed length. */
static void split_options(const uint8_t *payload, size_t len, struct options *o)
{
	o->payload = payload;
	o->len = len;
	o->n_attrs = 0;
	assert_true(len >= sizeof(o->qopt));
	memcpy(&o->qopt, payload, sizeof(o->qopt));
	for (size_t off = QOPT_SPACE; off < len;) {
		struct nlattr a;
		assert_true(len - off >= sizeof(a));
		memcpy(&a, payload + off, sizeof(a));
		assert_true(a.nla_len >= NLA_HDRLEN && a.nla_len <= len - off);
		assert_true(o->n_attrs < MAX_ATTRS);
		o->attrs[o->n_attrs++] = (struct attr){
			.type = a.nla_type,
			.data = payload + off + NLA_HDRLEN,
			.len = a.nla_len - NLA_HDRLEN,
		};
		off += NLA_ALIGN(a.nla_len);
	}
}

/* A fresh RTM_NEWQDISC with its tcmsg and TCA_KIND, as the injector will build. */
static struct nl_msg *new_qdisc_msg(size_t size)
{
	struct nl_msg *msg = nlmsg_alloc_size(size);
	assert_non_null(msg);
	assert_non_null(nlmsg_put(msg, 0, 0, RTM_NEWQDISC, sizeof(struct tcmsg),
				  NLM_F_CREATE | NLM_F_EXCL));
	assert_int_equal(nla_put_string(msg, TCA_KIND, "netem"), 0);
	return msg;
}

/* Finds TCA_OPTIONS among the message's top-level attributes. */
static void msg_options(struct nl_msg *msg, struct options *o)
{
	struct nlmsghdr *hdr = nlmsg_hdr(msg);
	const uint8_t *p = (const uint8_t *)hdr + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct tcmsg));
	const uint8_t *end = (const uint8_t *)hdr + hdr->nlmsg_len;

	while (p + NLA_HDRLEN <= end) {
		struct nlattr a;
		memcpy(&a, p, sizeof(a));
		assert_true(a.nla_len >= NLA_HDRLEN && p + a.nla_len <= end);
		if ((a.nla_type & NLA_TYPE_MASK) == TCA_OPTIONS) {
			split_options(p + NLA_HDRLEN, a.nla_len - NLA_HDRLEN, o);
			o->type = a.nla_type;
			/* The options end the message: nothing trails the patched length. */
			assert_ptr_equal(p + NLA_ALIGN(a.nla_len), end);
			return;
		}
		p += NLA_ALIGN(a.nla_len);
	}
	fail_msg("no TCA_OPTIONS in the message");
}

static const struct attr *find_attr(const struct options *o, uint16_t type)
{
	for (size_t i = 0; i < o->n_attrs; i++)
		if (o->attrs[i].type == type)
			return &o->attrs[i];
	return NULL;
}

static uint64_t attr_u64(const struct attr *a)
{
	uint64_t v;
	assert_non_null(a);
	assert_int_equal(a->len, sizeof(v));
	memcpy(&v, a->data, sizeof(v));
	return v;
}

static json_t *json_of(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &e);
	if (!j)
		fail_msg("bad test JSON %s: %s", text, e.text);
	return j;
}

static void params_of(const char *text, struct netem_params *p)
{
	char err[256] = "";
	json_t *j = json_of(text);
	int r = netem_params_from_json(j, p, err, sizeof(err));
	json_decref(j);
	if (r < 0)
		fail_msg("%s refused: %s", text, err);
}

/* Encodes params (JSON) with the 64 ns psched and splits the result. */
static struct nl_msg *encode(const char *text, struct options *o)
{
	struct netem_params p;
	struct psched ps;
	struct nl_msg *msg = new_qdisc_msg(64 * 1024);

	params_of(text, &p);
	assert_int_equal(psched_parse(psched_text, &ps), 0);
	uint32_t before = nlmsg_hdr(msg)->nlmsg_len;
	assert_int_equal(netem_put_options(msg, &p, &ps), 0);
	/* The size helper is exact: callers size their messages with it. */
	assert_int_equal(nlmsg_hdr(msg)->nlmsg_len - NLMSG_ALIGN(before), netem_options_size(&p));
	msg_options(msg, o);
	return msg;
}

/* ---- percentages and psched ----------------------------------------------------- */

static void test_percent_encoding(void **state)
{
	assert_int_equal(netem_percent_to_u32(0), 0);
	assert_int_equal(netem_percent_to_u32(0.5), 21474836); /* 21474836.475 */
	assert_int_equal(netem_percent_to_u32(1), 42949673); /* 42949672.95 */
	assert_int_equal(netem_percent_to_u32(10), 429496730); /* .5 rounds to even */
	assert_int_equal(netem_percent_to_u32(25), 1073741824);
	/* 1288490188.5: tc's rint() gives the even 0x4ccccccc, round() would not. */
	assert_int_equal(netem_percent_to_u32(30), 0x4ccccccc);
	assert_int_equal(netem_percent_to_u32(50), 0x80000000);
	assert_int_equal(netem_percent_to_u32(100), UINT32_MAX);
	assert_int_equal(netem_percent_to_u32(-1), 0);
	assert_int_equal(netem_percent_to_u32(NAN), 0);
	assert_int_equal(netem_percent_to_u32(1000), UINT32_MAX);
}

static void test_psched_parse(void **state)
{
	struct psched ps;

	assert_int_equal(psched_parse(psched_text, &ps), 0);
	assert_int_equal(ps.t2us, 1000);
	assert_int_equal(ps.us2t, 64);
	assert_int_equal(ps.clock_res, 1000000);
	assert_int_equal(ps.hz, 1000000000);
	assert_memory_equal(&ps, &psched_default, sizeof(ps));

	/* 1 tick = 64 ns, rounded down, as tc_core_time2tick() for whole microseconds. */
	assert_int_equal(psched_ns_to_ticks(&ps, 100000000), 1562500);
	assert_int_equal(psched_ns_to_ticks(&ps, 10000000), 156250);
	assert_int_equal(psched_ns_to_ticks(&ps, 64), 1);
	assert_int_equal(psched_ns_to_ticks(&ps, 63), 0);
	assert_int_equal(psched_ns_to_ticks(&ps, 0), 0);
	assert_int_equal(psched_ns_to_ticks(&ps, NETEM_DELAY_MAX_NS), 56250000000ULL);
	assert_int_equal(psched_ns_to_ticks(&ps, UINT64_MAX), UINT64_MAX / 64);
	assert_int_equal(psched_ticks_to_ns(&ps, 1562500), 100000000);
	assert_int_equal(psched_ticks_to_ns(&ps, UINT64_MAX), UINT64_MAX);

	/* Three fields (all iproute2 reads), upper case, tabs, no newline. */
	assert_int_equal(psched_parse("000003E8\t00000040 000F4240", &ps), 0);
	assert_int_equal(ps.us2t, 64);
	assert_int_equal(ps.hz, 0);

	/* A microsecond clock: 1 tick = 1 us. */
	assert_int_equal(psched_parse("000003e8 000003e8 000f4240 000f4240\n", &ps), 0);
	assert_int_equal(psched_ns_to_ticks(&ps, 100000000), 100000);
	assert_int_equal(psched_ticks_to_ns(&ps, 100000), 100000000);

	/* tc_core's rule for a 1 GHz clock: t2us is a compatibility value, use us2t. */
	assert_int_equal(psched_parse("000003e8 00000001 3b9aca00 3b9aca00\n", &ps), 0);
	assert_int_equal(psched_ns_to_ticks(&ps, 12345), 12345);

	static const char *const bad[] = {
		"",
		"\n",
		"garbage",
		"000003e8 00000040",
		"000003e8 00000040 000f4240 3b9aca00 00000001",
		"000003e8 00000000 000f4240 3b9aca00",
		"00000000 00000040 000f4240 3b9aca00",
		"000003e8 00000040 00000000 3b9aca00",
		"1000003e8 00000040 000f4240 3b9aca00",
		"-00003e8 00000040 000f4240 3b9aca00",
		"0x3e8 00000040 000f4240 3b9aca00",
		"000003e8,00000040,000f4240,3b9aca00",
		"000003e8 00000040 000f4240 3b9aca0g",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct psched sentinel = { 7, 7, 7, 7 }, got = sentinel;
		check(psched_parse(bad[i], &got) == -EINVAL, bad[i]);
		check(memcmp(&got, &sentinel, sizeof(got)) == 0, bad[i]);
	}
	assert_int_equal(psched_parse(NULL, &ps), -EINVAL);
}

static void test_psched_read(void **state)
{
	struct psched ps;
	char path[] = "/tmp/faultline-psched-XXXXXX";

	assert_int_equal(psched_read_path("/nonexistent/psched", &ps), -ENOENT);

	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "not psched\n", 11), 11);
	close(fd);
	assert_int_equal(psched_read_path(path, &ps), -EINVAL);
	unlink(path);

	if (access("/proc/net/psched", R_OK) == 0) {
		assert_int_equal(psched_read(&ps), 0);
		assert_true(ps.us2t > 0 && ps.t2us > 0 && ps.clock_res > 0);
	}
}

/* ---- parameters ----------------------------------------------------------------- */

static void test_params_accepted(void **state)
{
	struct netem_params p;

	params_of("{\"delay_ns\":100000000,\"jitter_ns\":10000000,\"delay_corr_pct\":25,"
		  "\"distribution\":\"paretonormal\",\"loss_pct\":1.5,\"loss_corr_pct\":5,"
		  "\"duplicate_pct\":2,\"duplicate_corr_pct\":3,\"corrupt_pct\":0.1,"
		  "\"corrupt_corr_pct\":4,\"reorder_pct\":10,\"reorder_corr_pct\":6,\"gap\":7,"
		  "\"rate_bytes_per_sec\":125000,\"limit\":500}",
		  &p);
	assert_int_equal(p.delay_ns, 100000000);
	assert_int_equal(p.jitter_ns, 10000000);
	assert_true(p.delay_corr == 25);
	assert_int_equal(p.dist, NETEM_DIST_PARETONORMAL);
	assert_true(p.loss == 1.5 && p.loss_corr == 5);
	assert_true(p.duplicate == 2 && p.duplicate_corr == 3);
	assert_true(p.corrupt == 0.1 && p.corrupt_corr == 4);
	assert_true(p.reorder == 10 && p.reorder_corr == 6);
	assert_int_equal(p.gap, 7);
	assert_int_equal(p.rate_bytes_per_sec, 125000);
	assert_int_equal(p.limit, 500);

	/* Defaults: tc's limit, uniform, nothing else. */
	params_of("{\"loss_pct\":100}", &p);
	assert_int_equal(p.limit, NETEM_LIMIT_DEFAULT);
	assert_int_equal(p.dist, NETEM_DIST_UNIFORM);
	assert_int_equal(p.delay_ns, 0);

	/* Every bound, inclusive. */
	static const char *const edges[] = {
		"{\"delay_ns\":3600000000000}",
		"{\"delay_ns\":1,\"jitter_ns\":2147483647}",
		"{\"rate_bytes_per_sec\":1099511627776}",
		"{\"loss_pct\":1,\"limit\":2147483648}",
		"{\"loss_pct\":1,\"limit\":1}",
		"{\"delay_ns\":1,\"reorder_pct\":1,\"gap\":4294967295}",
		"{\"loss_pct\":0.0000001}",
		"{\"loss_pct\":0,\"delay_ns\":5}",
		"{\"delay_ns\":5,\"jitter_ns\":1,\"distribution\":\"uniform\"}",
		"{\"delay_ns\":5,\"jitter_ns\":1,\"distribution\":\"normal\",\"delay_corr_pct\":100}",
	};
	for (size_t i = 0; i < ARRAY_SIZE(edges); i++) {
		char err[256] = "";
		json_t *j = json_of(edges[i]);
		int r = netem_params_from_json(j, &p, err, sizeof(err));
		json_decref(j);
		if (r != 0)
			fail_msg("%s refused: %s", edges[i], err);
	}
}

static void test_params_refused(void **state)
{
	static const struct {
		const char *json;
		const char *message; /* a substring of the error */
	} cases[] = {
		{ "[]", "must be a JSON object" },
		{ "\"delay\"", "must be a JSON object" },
		{ "{}", "no impairment" },
		{ "{\"limit\":10}", "no impairment" },
		{ "{\"delay_ns\":1,\"bogus\":1}", "unknown field \"bogus\"" },
		{ "{\"delay_ns\":1,\"rate_bps\":1}", "unknown field \"rate_bps\"" },
		{ "{\"delay_ns\":-1}", "delay_ns must be a non-negative integer" },
		{ "{\"delay_ns\":1.5}", "delay_ns must be a non-negative integer" },
		{ "{\"delay_ns\":\"100ms\"}", "delay_ns must be a non-negative integer" },
		{ "{\"delay_ns\":null}", "delay_ns must be a non-negative integer" },
		{ "{\"delay_ns\":3600000000001}",
		  "delay_ns must be at most 3600000000000 (1 hour)" },
		{ "{\"delay_ns\":1,\"jitter_ns\":2147483648}",
		  "jitter_ns must be at most 2147483647" },
		{ "{\"delay_ns\":1,\"jitter_ns\":-2}", "jitter_ns must be a non-negative integer" },
		{ "{\"jitter_ns\":1000}", "jitter_ns requires delay_ns" },
		{ "{\"delay_ns\":1,\"delay_corr_pct\":10}", "delay_corr_pct requires jitter_ns" },
		{ "{\"delay_ns\":1,\"distribution\":\"normal\"}",
		  "distribution requires jitter_ns" },
		{ "{\"delay_ns\":1,\"distribution\":\"uniform\"}",
		  "distribution requires jitter_ns" },
		{ "{\"delay_ns\":1,\"jitter_ns\":1,\"distribution\":\"gaussian\"}",
		  "distribution must be one of uniform, normal, pareto, paretonormal" },
		{ "{\"delay_ns\":1,\"jitter_ns\":1,\"distribution\":\"Normal\"}",
		  "distribution must be one of" },
		{ "{\"delay_ns\":1,\"jitter_ns\":1,\"distribution\":3}",
		  "distribution must be one of" },
		{ "{\"loss_pct\":101}", "loss_pct must be a number from 0 to 100" },
		{ "{\"loss_pct\":-0.1}", "loss_pct must be a number from 0 to 100" },
		{ "{\"loss_pct\":\"5%\"}", "loss_pct must be a number from 0 to 100" },
		{ "{\"loss_pct\":true}", "loss_pct must be a number from 0 to 100" },
		{ "{\"loss_pct\":1e-9}", "loss_pct 1e-09 is below the smallest step" },
		{ "{\"delay_ns\":1,\"loss_corr_pct\":5}", "loss_corr_pct requires loss_pct" },
		{ "{\"loss_pct\":1,\"loss_corr_pct\":100.5}",
		  "loss_corr_pct must be a number from 0 to 100" },
		{ "{\"delay_ns\":1,\"duplicate_pct\":200}",
		  "duplicate_pct must be a number from 0 to 100" },
		{ "{\"delay_ns\":1,\"duplicate_corr_pct\":5}",
		  "duplicate_corr_pct requires duplicate_pct" },
		{ "{\"delay_ns\":1,\"corrupt_pct\":-3}",
		  "corrupt_pct must be a number from 0 to 100" },
		{ "{\"delay_ns\":1,\"corrupt_corr_pct\":5}",
		  "corrupt_corr_pct requires corrupt_pct" },
		{ "{\"delay_ns\":1,\"reorder_pct\":[]}",
		  "reorder_pct must be a number from 0 to 100" },
		{ "{\"delay_ns\":1,\"reorder_corr_pct\":5}",
		  "reorder_corr_pct requires reorder_pct" },
		{ "{\"loss_pct\":1,\"reorder_pct\":5}", "reorder_pct requires delay_ns" },
		{ "{\"reorder_pct\":5}", "reorder_pct requires delay_ns" },
		{ "{\"delay_ns\":1,\"gap\":5}", "gap requires reorder_pct" },
		{ "{\"delay_ns\":1,\"reorder_pct\":5,\"gap\":4294967296}",
		  "gap must be an integer from 0 to 4294967295" },
		{ "{\"delay_ns\":1,\"reorder_pct\":5,\"gap\":1.0}",
		  "gap must be an integer from 0 to 4294967295" },
		{ "{\"rate_bytes_per_sec\":1099511627777}",
		  "rate_bytes_per_sec must be at most 1099511627776" },
		{ "{\"rate_bytes_per_sec\":\"1mbit\"}",
		  "rate_bytes_per_sec must be a non-negative integer" },
		{ "{\"loss_pct\":1,\"limit\":0}", "limit must be an integer from 1 to 2147483648" },
		{ "{\"loss_pct\":1,\"limit\":2147483649}",
		  "limit must be an integer from 1 to 2147483648" },
		{ "{\"loss_pct\":1,\"limit\":-5}",
		  "limit must be an integer from 1 to 2147483648" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct netem_params sentinel, got;
		char err[256] = "";

		memset(&sentinel, 0x5a, sizeof(sentinel));
		got = sentinel;
		json_t *j = json_of(cases[i].json);
		int r = netem_params_from_json(j, &got, err, sizeof(err));
		json_decref(j);
		check(r == -EINVAL, cases[i].json);
		check(memcmp(&got, &sentinel, sizeof(got)) == 0, cases[i].json);
		if (!strstr(err, cases[i].message))
			fail_msg("case %s: message \"%s\" lacks \"%s\"", cases[i].json, err,
				 cases[i].message);
	}

	/* A NULL error buffer is allowed. */
	struct netem_params p;
	json_t *j = json_of("{}");
	assert_int_equal(netem_params_from_json(j, &p, NULL, 0), -EINVAL);
	json_decref(j);
}

/* ---- encoding ------------------------------------------------------------------- */

static void test_qopt_fields(void **state)
{
	struct options o;
	struct nl_msg *msg;

	msg = encode("{\"delay_ns\":100000000,\"jitter_ns\":10000000,\"loss_pct\":0.5,"
		     "\"duplicate_pct\":30,\"limit\":500}",
		     &o);
	assert_int_equal(o.type, TCA_OPTIONS); /* no NLA_F_NESTED, as tc */
	assert_int_equal(o.qopt.latency, 1562500);
	assert_int_equal(o.qopt.jitter, 156250);
	assert_int_equal(o.qopt.limit, 500);
	assert_int_equal(o.qopt.loss, 21474836);
	assert_int_equal(o.qopt.gap, 0);
	assert_int_equal(o.qopt.duplicate, 0x4ccccccc);
	nlmsg_free(msg);

	msg = encode("{\"loss_pct\":100}", &o);
	assert_int_equal(o.qopt.loss, UINT32_MAX);
	assert_int_equal(o.qopt.latency, 0);
	assert_int_equal(o.qopt.limit, 1000);
	assert_int_equal(o.qopt.duplicate, 0);
	assert_int_equal(o.n_attrs, 0); /* nothing after the qopt */
	assert_int_equal(o.len, sizeof(struct tc_netem_qopt));
	nlmsg_free(msg);

	/* The psched is honoured: with 1 tick = 1 us, 100 ms is 100000 ticks. */
	struct netem_params p;
	struct psched us;
	params_of("{\"delay_ns\":100000000}", &p);
	assert_int_equal(psched_parse("000003e8 000003e8 000f4240 000f4240", &us), 0);
	msg = new_qdisc_msg(4096);
	assert_int_equal(netem_put_options(msg, &p, &us), 0);
	msg_options(msg, &o);
	assert_int_equal(o.qopt.latency, 100000);
	assert_int_equal(attr_u64(find_attr(&o, TCA_NETEM_LATENCY64)), 100000000);
	nlmsg_free(msg);

	/* NULL psched: the default, 64 ns. */
	msg = new_qdisc_msg(4096);
	assert_int_equal(netem_put_options(msg, &p, NULL), 0);
	msg_options(msg, &o);
	assert_int_equal(o.qopt.latency, 1562500);
	nlmsg_free(msg);
}

static void test_attribute_order(void **state)
{
	static const uint16_t want[] = {
		TCA_NETEM_CORR, TCA_NETEM_REORDER,    TCA_NETEM_CORRUPT,   TCA_NETEM_RATE64,
		TCA_NETEM_RATE, TCA_NETEM_DELAY_DIST, TCA_NETEM_LATENCY64, TCA_NETEM_JITTER64,
	};
	struct options o;
	struct nl_msg *msg;

	msg = encode("{\"delay_ns\":100000000,\"jitter_ns\":10000000,\"delay_corr_pct\":25,"
		     "\"distribution\":\"normal\",\"loss_pct\":1,\"loss_corr_pct\":5,"
		     "\"duplicate_pct\":2,\"duplicate_corr_pct\":3,\"corrupt_pct\":0.5,"
		     "\"corrupt_corr_pct\":10,\"reorder_pct\":25,\"reorder_corr_pct\":50,"
		     "\"rate_bytes_per_sec\":5000000000}",
		     &o);
	assert_int_equal(o.n_attrs, ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		assert_int_equal(o.attrs[i].type, want[i]); /* no flag bits either */

	struct tc_netem_corr corr;
	assert_int_equal(o.attrs[0].len, sizeof(corr));
	memcpy(&corr, o.attrs[0].data, sizeof(corr));
	assert_int_equal(corr.delay_corr, 0x40000000);
	assert_int_equal(corr.loss_corr, netem_percent_to_u32(5));
	assert_int_equal(corr.dup_corr, netem_percent_to_u32(3));

	struct tc_netem_reorder reorder;
	assert_int_equal(o.attrs[1].len, sizeof(reorder));
	memcpy(&reorder, o.attrs[1].data, sizeof(reorder));
	assert_int_equal(reorder.probability, 0x40000000);
	assert_int_equal(reorder.correlation, 0x80000000);
	assert_int_equal(o.qopt.gap, 1); /* reorder without gap: 1, as tc */

	struct tc_netem_corrupt corrupt;
	assert_int_equal(o.attrs[2].len, sizeof(corrupt));
	memcpy(&corrupt, o.attrs[2].data, sizeof(corrupt));
	assert_int_equal(corrupt.probability, 21474836);
	assert_int_equal(corrupt.correlation, 429496730);

	assert_int_equal(o.attrs[5].len, NETEM_DIST_SIZE * sizeof(int16_t));
	int16_t table[NETEM_DIST_SIZE];
	assert_int_equal(netem_dist_table(NETEM_DIST_NORMAL, table), NETEM_DIST_SIZE);
	assert_memory_equal(o.attrs[5].data, table, sizeof(table));

	assert_int_equal(attr_u64(&o.attrs[6]), 100000000);
	assert_int_equal(attr_u64(&o.attrs[7]), 10000000);
	nlmsg_free(msg);

	/* Only what is set: a delay alone is the qopt and LATENCY64. */
	msg = encode("{\"delay_ns\":20000000}", &o);
	assert_int_equal(o.n_attrs, 1);
	assert_int_equal(o.attrs[0].type, TCA_NETEM_LATENCY64);
	assert_int_equal(attr_u64(&o.attrs[0]), 20000000);
	assert_int_equal(o.qopt.jitter, 0);
	nlmsg_free(msg);

	/* A reorder correlation alone brings an all-zero CORR, as with tc. */
	msg = encode("{\"delay_ns\":1000000,\"reorder_pct\":5,\"reorder_corr_pct\":5,\"gap\":3}",
		     &o);
	assert_int_equal(o.qopt.gap, 3);
	assert_int_equal(o.n_attrs, 3);
	assert_int_equal(o.attrs[0].type, TCA_NETEM_CORR);
	static const uint8_t zero[sizeof(struct tc_netem_corr)];
	assert_memory_equal(o.attrs[0].data, zero, sizeof(zero));
	assert_int_equal(o.attrs[1].type, TCA_NETEM_REORDER);
	assert_int_equal(o.attrs[2].type, TCA_NETEM_LATENCY64);
	nlmsg_free(msg);
}

static void test_latency64_jitter64(void **state)
{
	struct options o;
	struct nl_msg *msg;

	/* One hour of delay: 56250000000 ticks do not fit the u32 field, which
	 * saturates; LATENCY64 carries the real value and the kernel prefers it. */
	msg = encode("{\"delay_ns\":3600000000000,\"jitter_ns\":2147483647}", &o);
	assert_int_equal(o.qopt.latency, UINT32_MAX);
	assert_int_equal(o.qopt.jitter, 2147483647 / 64);
	assert_int_equal(attr_u64(find_attr(&o, TCA_NETEM_LATENCY64)), 3600000000000ULL);
	assert_int_equal(attr_u64(find_attr(&o, TCA_NETEM_JITTER64)), 2147483647);
	nlmsg_free(msg);

	/* Below a tick: the qopt says 0, LATENCY64 still carries the nanoseconds. */
	msg = encode("{\"delay_ns\":50,\"jitter_ns\":10}", &o);
	assert_int_equal(o.qopt.latency, 0);
	assert_int_equal(o.qopt.jitter, 0);
	assert_int_equal(attr_u64(find_attr(&o, TCA_NETEM_LATENCY64)), 50);
	assert_int_equal(attr_u64(find_attr(&o, TCA_NETEM_JITTER64)), 10);
	nlmsg_free(msg);

	/* No delay: neither attribute. */
	msg = encode("{\"rate_bytes_per_sec\":1000}", &o);
	assert_null(find_attr(&o, TCA_NETEM_LATENCY64));
	assert_null(find_attr(&o, TCA_NETEM_JITTER64));
	nlmsg_free(msg);
}

static void test_rate_boundary(void **state)
{
	static const struct {
		const char *json;
		uint32_t rate;
		uint64_t rate64; /* 0: no RATE64 */
	} cases[] = {
		{ "{\"rate_bytes_per_sec\":1}", 1, 0 },
		{ "{\"rate_bytes_per_sec\":125000}", 125000, 0 },
		{ "{\"rate_bytes_per_sec\":4294967295}", UINT32_MAX, 0 },
		{ "{\"rate_bytes_per_sec\":4294967296}", UINT32_MAX, 4294967296ULL },
		{ "{\"rate_bytes_per_sec\":1099511627776}", UINT32_MAX, 1ULL << 40 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct options o;
		struct nl_msg *msg = encode(cases[i].json, &o);
		struct tc_netem_rate rate;

		check(o.n_attrs == (cases[i].rate64 ? 2U : 1U), cases[i].json);
		if (cases[i].rate64) {
			check(o.attrs[0].type == TCA_NETEM_RATE64, cases[i].json);
			check(attr_u64(&o.attrs[0]) == cases[i].rate64, cases[i].json);
		}
		const struct attr *a = &o.attrs[o.n_attrs - 1];
		check(a->type == TCA_NETEM_RATE && a->len == sizeof(rate), cases[i].json);
		memcpy(&rate, a->data, sizeof(rate));
		check(rate.rate == cases[i].rate, cases[i].json);
		check(rate.packet_overhead == 0 && rate.cell_size == 0 && rate.cell_overhead == 0,
		      cases[i].json);
		nlmsg_free(msg);
	}
}

static void test_put_options_failures(void **state)
{
	struct netem_params p;
	struct nl_msg *msg;

	params_of("{\"delay_ns\":1000000,\"jitter_ns\":100000,\"distribution\":\"pareto\"}", &p);
	size_t need = netem_options_size(&p);
	assert_true(need > NETEM_DIST_SIZE * sizeof(int16_t));

	/* libnl's default-sized message cannot hold a table: refused, untouched. */
	msg = new_qdisc_msg(4096);
	uint32_t len = nlmsg_hdr(msg)->nlmsg_len;
	assert_int_equal(netem_put_options(msg, &p, NULL), -EMSGSIZE);
	assert_int_equal(nlmsg_hdr(msg)->nlmsg_len, len);
	nlmsg_free(msg);

	/* Exactly enough room succeeds; four bytes less does not. */
	msg = new_qdisc_msg(NLMSG_ALIGN(len) + need);
	assert_int_equal(netem_put_options(msg, &p, NULL), 0);
	assert_int_equal(nlmsg_hdr(msg)->nlmsg_len, NLMSG_ALIGN(len) + need);
	nlmsg_free(msg);
	msg = new_qdisc_msg(NLMSG_ALIGN(len) + need - 4);
	assert_int_equal(netem_put_options(msg, &p, NULL), -EMSGSIZE);
	assert_int_equal(nlmsg_hdr(msg)->nlmsg_len, len);
	nlmsg_free(msg);

	/* The encoder checks what it is given, even past the JSON reader. */
	struct netem_params bad[6];
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		netem_params_init(&bad[i]);
	bad[0].loss = NAN;
	bad[1].loss = 150;
	bad[2].delay_ns = 1;
	bad[2].jitter_ns = 1;
	bad[2].dist = (enum netem_dist)99;
	bad[3].delay_ns = 1;
	bad[3].gap = 2; /* without reorder */
	bad[4].loss = 1;
	bad[4].limit = 0;
	/* bad[5]: no impairment at all */
	msg = new_qdisc_msg(64 * 1024);
	len = nlmsg_hdr(msg)->nlmsg_len;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char what[16];
		snprintf(what, sizeof(what), "bad[%zu]", i);
		check(netem_params_check(&bad[i], NULL, 0) == -EINVAL, what);
		check(netem_put_options(msg, &bad[i], NULL) == -EINVAL, what);
		check(nlmsg_hdr(msg)->nlmsg_len == len, what);
	}
	assert_int_equal(netem_put_options(NULL, &p, NULL), -EINVAL);
	assert_int_equal(netem_put_options(msg, NULL, NULL), -EINVAL);
	nlmsg_free(msg);
}

/* ---- distributions -------------------------------------------------------------- */

struct table_stats {
	double mean, stddev; /* in units of NETEM_DIST_SCALE */
	bool sorted;
};

static struct table_stats table_stats(const int16_t *t)
{
	struct table_stats s = { .sorted = true };
	double sum = 0, sq = 0;

	for (size_t i = 0; i < NETEM_DIST_SIZE; i++) {
		sum += t[i];
		if (i > 0 && t[i] < t[i - 1])
			s.sorted = false;
	}
	s.mean = sum / NETEM_DIST_SIZE;
	for (size_t i = 0; i < NETEM_DIST_SIZE; i++)
		sq += (t[i] - s.mean) * (t[i] - s.mean);
	s.stddev = sqrt(sq / NETEM_DIST_SIZE) / NETEM_DIST_SCALE;
	s.mean /= NETEM_DIST_SCALE;
	return s;
}

static void test_dist_tables(void **state)
{
	int16_t t[NETEM_DIST_SIZE], again[NETEM_DIST_SIZE];
	enum netem_dist d;

	assert_int_equal(netem_dist_table(NETEM_DIST_UNIFORM, t), 0);
	assert_int_equal(netem_dist_table((enum netem_dist)99, t), -EINVAL);
	assert_int_equal(netem_dist_table(_NETEM_DIST_MAX, t), -EINVAL);
	for (unsigned i = 0; i < _NETEM_DIST_MAX; i++) {
		assert_int_equal(netem_dist_from_string(netem_dist_to_string(i), &d), 0);
		assert_int_equal(d, i);
	}
	assert_int_equal(netem_dist_from_string("experimental", &d), -EINVAL);
	assert_int_equal(netem_dist_from_string(NULL, &d), -EINVAL);
	assert_null(netem_dist_to_string(_NETEM_DIST_MAX));

	/* normal: sorted, centred, one standard deviation is the scale. */
	assert_int_equal(netem_dist_table(NETEM_DIST_NORMAL, t), NETEM_DIST_SIZE);
	struct table_stats s = table_stats(t);
	print_message("normal: mean %.4f, stddev %.4f (x %d)\n", s.mean, s.stddev,
		      NETEM_DIST_SCALE);
	assert_true(s.sorted);
	assert_true(fabs(s.mean) < 0.005);
	assert_true(s.stddev > 0.98 && s.stddev < 1.02);
	assert_int_equal(t[0], INT16_MIN); /* -4.0 sigma, clamped */
	assert_true(abs(t[NETEM_DIST_SIZE / 2]) <= 2);
	/* Phi(1) = 0.8413: entry 3446 sits one sigma up. */
	assert_true(abs(t[3446] - NETEM_DIST_SCALE) < 32);
	assert_true(abs(t[650] + NETEM_DIST_SCALE) < 32);

	/* Repeated calls return the same cached table. */
	assert_int_equal(netem_dist_table(NETEM_DIST_NORMAL, again), NETEM_DIST_SIZE);
	assert_memory_equal(t, again, sizeof(t));

	/* pareto: sorted, starts at -1.5 * 4/3 * 8192, capped at the top. */
	assert_int_equal(netem_dist_table(NETEM_DIST_PARETO, t), NETEM_DIST_SIZE);
	s = table_stats(t);
	print_message("pareto: mean %.4f, stddev %.4f\n", s.mean, s.stddev);
	assert_true(s.sorted);
	assert_int_equal(t[0], -5461);
	assert_int_equal(t[NETEM_DIST_SIZE - 1], INT16_MAX);
	assert_true(fabs(s.mean) < 0.05); /* the cut tail pulls it slightly below 0 */

	assert_int_equal(netem_dist_table(NETEM_DIST_PARETONORMAL, t), NETEM_DIST_SIZE);
	s = table_stats(t);
	print_message("paretonormal: mean %.4f, stddev %.4f\n", s.mean, s.stddev);
	assert_true(s.sorted);
	assert_true(fabs(s.mean) < 0.05);
}

/* Reads an iproute2 .dist file: '#' comment lines, then whitespace-separated ints. */
static size_t read_dist_file(const char *path, long *out, size_t max)
{
	FILE *f = fopen(path, "re");
	char line[1024];
	size_t n = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#')
			continue;
		char *p = line, *end;
		for (;;) {
			long v = strtol(p, &end, 10);
			if (end == p)
				break;
			assert_true(n < max);
			out[n++] = v;
			p = end;
		}
	}
	fclose(f);
	return n;
}

static void test_dist_matches_iproute2(void **state)
{
	static const char *const patterns[] = { "/usr/lib/*/tc/normal.dist",
						"/usr/lib/tc/normal.dist",
						"/usr/lib64/tc/normal.dist" };
	char dir[512] = "";

	for (size_t i = 0; i < ARRAY_SIZE(patterns) && !dir[0]; i++) {
		glob_t g;
		if (glob(patterns[i], 0, NULL, &g) == 0 && g.gl_pathc > 0) {
			snprintf(dir, sizeof(dir), "%s", g.gl_pathv[0]);
			*strrchr(dir, '/') = '\0';
		}
		globfree(&g);
	}
	if (!dir[0]) {
		print_message("no iproute2 .dist files here: comparison skipped\n");
		skip();
	}

	for (unsigned d = NETEM_DIST_NORMAL; d < _NETEM_DIST_MAX; d++) {
		char path[600];
		long want[NETEM_DIST_SIZE + 1];
		int16_t got[NETEM_DIST_SIZE];

		snprintf(path, sizeof(path), "%s/%s.dist", dir, netem_dist_to_string(d));
		if (access(path, R_OK) != 0)
			fail_msg("%s is missing next to normal.dist", path);
		assert_int_equal(read_dist_file(path, want, ARRAY_SIZE(want)), NETEM_DIST_SIZE);
		assert_int_equal(netem_dist_table(d, got), NETEM_DIST_SIZE);

		long max_diff = 0;
		size_t n_diff = 0;
		for (size_t i = 0; i < NETEM_DIST_SIZE; i++) {
			long diff = labs(got[i] - want[i]);
			if (diff > max_diff)
				max_diff = diff;
			n_diff += diff != 0;
		}
		print_message("%s: %zu of %d entries differ, max |diff| %ld\n", path, n_diff,
			      NETEM_DIST_SIZE, max_diff);
		/* Rounding of erf/pow may differ between libms: allow +-1 in a few
		 * entries, nothing more. This host's libm reproduces the files exactly. */
		check(max_diff <= 1, path);
		check(n_diff <= NETEM_DIST_SIZE / 100, path);
	}
}

/* ---- golden bytes --------------------------------------------------------------- */

static void fixture_dir(char *buf, size_t len)
{
	const char *src = getenv("FAULTLINE_SOURCE_DIR");

	if (src) {
		snprintf(buf, len, "%s/tests/data/netem", src);
		return;
	}
	/* Run by hand: find the fixtures next to this source file. */
	snprintf(buf, len, "%s", __FILE__);
	char *unit = strstr(buf, "/unit/test_injector_netem.c");
	assert_non_null(unit);
	snprintf(unit, len - (size_t)(unit - buf), "/data/netem");
}

struct fixture {
	char command[512];
	char params[1024];
	uint8_t bytes[16384];
	size_t len;
};

static void copy_line(char *dst, size_t size, const char *src, const char *path)
{
	size_t len = strlen(src);
	check(len < size, path);
	memcpy(dst, src, len + 1);
}

static void read_fixture(const char *path, struct fixture *fx)
{
	FILE *f = fopen(path, "re");
	char line[2048];

	assert_non_null(f);
	fx->command[0] = fx->params[0] = '\0';
	fx->len = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "# command: ", 11) == 0)
			copy_line(fx->command, sizeof(fx->command), line + 11, path);
		else if (strncmp(line, "# params: ", 10) == 0)
			copy_line(fx->params, sizeof(fx->params), line + 10, path);
		if (line[0] == '#')
			continue;
		for (char *tok = strtok(line, " "); tok; tok = strtok(NULL, " ")) {
			char *end;
			unsigned long b = strtoul(tok, &end, 16);
			check(*end == '\0' && b <= 0xff && strlen(tok) == 2, path);
			assert_true(fx->len < sizeof(fx->bytes));
			fx->bytes[fx->len++] = (uint8_t)b;
		}
	}
	fclose(f);
	check(fx->command[0] && fx->params[0] && fx->len > 0, path);
}

/* Compares our TCA_OPTIONS payload with tc's: identical qopt, tc's attributes in
 * tc's order with identical bytes (tables within +-1 per entry), then only the
 * 64-bit times tc 6.1 does not send. Returns the bytes we add. */
static size_t compare_with_tc(const char *name, const struct fixture *fx,
			      const struct netem_params *p, const struct options *ours)
{
	struct options tc;

	split_options(fx->bytes, fx->len, &tc);
	check(memcmp(&tc.qopt, &ours->qopt, sizeof(tc.qopt)) == 0, name);
	check(ours->n_attrs >= tc.n_attrs, name);
	for (size_t i = 0; i < tc.n_attrs; i++) {
		const struct attr *a = &tc.attrs[i], *b = &ours->attrs[i];
		check(a->type == b->type && a->len == b->len, name);
		if (a->type != TCA_NETEM_DELAY_DIST) {
			check(memcmp(a->data, b->data, a->len) == 0, name);
			continue;
		}
		size_t n_diff = 0;
		int max_diff = 0;
		for (size_t k = 0; k < a->len / 2; k++) {
			int16_t x, y;
			memcpy(&x, a->data + 2 * k, 2);
			memcpy(&y, b->data + 2 * k, 2);
			n_diff += x != y;
			if (abs(x - y) > max_diff)
				max_diff = abs(x - y);
		}
		print_message("  %s: table, %zu of %zu entries differ from tc's, max %d\n", name,
			      n_diff, a->len / 2, max_diff);
		check(max_diff <= 1 && n_diff <= NETEM_DIST_SIZE / 100, name);
	}

	/* What tc does not send: LATENCY64 then JITTER64, each only when set. */
	size_t i = tc.n_attrs;
	if (p->delay_ns) {
		check(i < ours->n_attrs && ours->attrs[i].type == TCA_NETEM_LATENCY64, name);
		check(attr_u64(&ours->attrs[i]) == p->delay_ns, name);
		i++;
	}
	if (p->jitter_ns) {
		check(i < ours->n_attrs && ours->attrs[i].type == TCA_NETEM_JITTER64, name);
		check(attr_u64(&ours->attrs[i]) == p->jitter_ns, name);
		i++;
	}
	check(i == ours->n_attrs, name);
	/* Everything tc sent is a prefix of what we send. */
	check(ours->len >= fx->len, name);
	size_t common = fx->len;
	if (!p->delay_ns)
		check(ours->len == fx->len, name);
	return ours->len - common;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void test_golden_bytes(void **state)
{
	static const char *const expected[] = {
		"all-knobs-pareto.hex", "corrupt-duplicate.hex",
		"delay-200s.hex",	"delay-loss-rate.hex",
		"loss-100.hex",		"normal.hex",
		"rate-u32max.hex",	"rate64.hex",
		"reorder-gap.hex",
	};
	char dir[1024];
	char *names[64];
	size_t n = 0;

	fixture_dir(dir, sizeof(dir));
	DIR *d = opendir(dir);
	if (!d)
		fail_msg("cannot open the fixtures in %s: %s", dir, strerror(errno));
	for (struct dirent *e; (e = readdir(d));) {
		size_t l = strlen(e->d_name);
		if (l > 4 && streq(e->d_name + l - 4, ".hex")) {
			assert_true(n < ARRAY_SIZE(names));
			names[n++] = strdup(e->d_name);
		}
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (size_t i = 0; i < ARRAY_SIZE(expected); i++)
		check(bsearch(&expected[i], names, n, sizeof(names[0]), cmp_str) != NULL,
		      expected[i]);

	struct fixture *fx = malloc(sizeof(*fx));
	assert_non_null(fx);
	for (size_t i = 0; i < n; i++) {
		char path[1200];
		struct netem_params p;
		struct options ours;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		read_fixture(path, fx);
		params_of(fx->params, &p);
		struct nl_msg *msg = encode(fx->params, &ours);
		size_t extra = compare_with_tc(names[i], fx, &p, &ours);
		print_message("golden %s: %zu bytes as tc sent them%s%s (%s)\n", names[i], fx->len,
			      extra ? ", then our LATENCY64" : "",
			      p.jitter_ns ? " and JITTER64" : "", fx->command);
		nlmsg_free(msg);
		free(names[i]);
	}
	free(fx);
}

/* ---- libnl errors --------------------------------------------------------------- */

static void test_nl_error_to_errno(void **state)
{
	assert_int_equal(nl_error_to_errno(0), 0);
	assert_int_equal(nl_error_to_errno(-NLE_NOMEM), -ENOMEM);
	assert_int_equal(nl_error_to_errno(NLE_NOMEM), -ENOMEM);
	assert_int_equal(nl_error_to_errno(-NLE_OBJ_NOTFOUND), -ENOENT);
	assert_int_equal(nl_error_to_errno(-NLE_MSGSIZE), -EMSGSIZE);
	assert_int_equal(nl_error_to_errno(-NLE_FAILURE), -EIO);
	assert_int_equal(nl_error_to_errno(-NLE_DUMP_INTR), -EAGAIN);
	assert_int_equal(nl_error_to_errno(-(NLE_MAX + 1)), -EIO);
	assert_int_equal(nl_error_to_errno(INT32_MIN), -EIO);
	assert_int_equal(nl_error_to_errno(INT32_MAX), -EIO);

	/* Every code libnl defines maps to a real errno. */
	for (int e = 1; e <= NLE_MAX; e++) {
		int r = nl_error_to_errno(-e);
		check(r < 0 && r > -4096, nl_geterror(e));
	}
	/* Where libnl's own errno -> NLE mapping is one to one, we invert it. */
	static const int round_trip[] = {
		EEXIST,		 ENOENT,     EINTR,  EAGAIN,	    EBADF,	  EACCES,
		EINVAL,		 ENOMEM,     ERANGE, ENODEV,	    EAFNOSUPPORT, EPERM,
		EPROTONOSUPPORT, EOPNOTSUPP, EBUSY,  EADDRNOTAVAIL,
	};
	for (size_t i = 0; i < ARRAY_SIZE(round_trip); i++)
		check(nl_error_to_errno(-nl_syserr2nlerr(round_trip[i])) == -round_trip[i],
		      strerror(round_trip[i]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_percent_encoding),
		cmocka_unit_test(test_psched_parse),
		cmocka_unit_test(test_psched_read),
		cmocka_unit_test(test_params_accepted),
		cmocka_unit_test(test_params_refused),
		cmocka_unit_test(test_qopt_fields),
		cmocka_unit_test(test_attribute_order),
		cmocka_unit_test(test_latency64_jitter64),
		cmocka_unit_test(test_rate_boundary),
		cmocka_unit_test(test_put_options_failures),
		cmocka_unit_test(test_dist_tables),
		cmocka_unit_test(test_dist_matches_iproute2),
		cmocka_unit_test(test_golden_bytes),
		cmocka_unit_test(test_nl_error_to_errno),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
