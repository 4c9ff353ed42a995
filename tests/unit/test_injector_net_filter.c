/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the network fault's filters (net_filter.c): CIDRs, the filter
 * object at the privilege boundary, its expansion into u32 selectors (the keys'
 * offsets, masks and values, as tc's "match ip dst/dport" would write them), and
 * the RTM_NEWTFILTER / prio requests. The kernel's reading of them is tested in
 * tests/vm (tc -d filter show reads them back, and traffic is measured).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <string.h>

#include "macro.h"
#include "net_filter.h"
#include "net_qdisc.h"

static void test_cidr(void **state)
{
	static const struct {
		const char *in, *out;
	} good[] = {
		{ "10.0.0.0/24", "10.0.0.0/24" },
		{ "10.0.0.3", "10.0.0.3/32" },
		{ "0.0.0.0/0", "0.0.0.0/0" },
		{ "fd00::/64", "fd00::/64" },
		{ "::1", "::1/128" },
		{ "fd99::2/128", "fd99::2/128" },
	};
	static const char *const bad[] = { "",	       "/24",	       "10.0.0.0/",  "10.0.0.0/33",
					   "10.0.0/8", "300.0.0.0/8",  "fd00::/129", "10.0.0.0/+8",
					   "x",	       "10.0.0.0/024a" };
	struct net_cidr c;
	char buf[64], err[160];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		assert_int_equal(net_cidr_parse(good[i].in, &c, err, sizeof(err)), 0);
		assert_string_equal(net_cidr_format(&c, buf, sizeof(buf)), good[i].out);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (net_cidr_parse(bad[i], &c, err, sizeof(err)) != -EINVAL)
			fail_msg("%s was accepted", bad[i]);
	assert_int_equal(net_cidr_parse("10.0.0.1/24", &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "host bits set; the network is 10.0.0.0/24"));
	assert_int_equal(net_cidr_parse("fd00::1/64", &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "the network is fd00::/64"));
}

static int parse(const char *json, struct net_filter *f, char *err, size_t errlen)
{
	json_t *v = json_loads(json, 0, NULL);
	int r;

	assert_non_null(v);
	r = net_filter_from_json(v, f, err, errlen);
	json_decref(v);
	return r;
}

static void expect_refused(const char *json, int want, const char *needle)
{
	struct net_filter f;
	char err[256] = "";
	int r = parse(json, &f, err, sizeof(err));

	if (r != want || !strstr(err, needle))
		fail_msg("%s: returned %d (%s), expected %d and '%s'", json, r, err, want, needle);
}

static void test_from_json_refusals(void **state)
{
	(void)state;
	expect_refused("{}", -EINVAL, "at least one of dst");
	expect_refused("{\"dst\": []}", -EINVAL, "filter.dst must be a list of 1 to 16");
	expect_refused("{\"dst\": \"10.0.0.0/8\"}", -EINVAL, "must be a list");
	expect_refused("{\"dst\": [\"10.0.0.1/8\"]}", -EINVAL, "host bits set");
	expect_refused("{\"dst\": [7]}", -EINVAL, "expected CIDR strings");
	expect_refused("{\"dport\": [0]}", -EINVAL, "expected ports from 1 to 65535");
	expect_refused("{\"dport\": [65536]}", -EINVAL, "expected ports from 1 to 65535");
	expect_refused("{\"dport\": [\"80\"]}", -EINVAL, "expected ports");
	expect_refused("{\"protocol\": [\"sctp\"]}", -EINVAL, "expected tcp, udp or icmp");
	expect_refused("{\"dport\": [80], \"protocol\": [\"icmp\"]}", -EINVAL, "icmp has no ports");
	expect_refused("{\"dst\": [\"10.0.0.0/8\"], \"src\": [\"fd00::/8\"]}", -EINVAL,
		       "share no address family");
	expect_refused("{\"via\": [\"x\"]}", -EINVAL, "via");
	expect_refused("{\"exclude\": {\"exclude\": {\"dport\": [1]}}}", -EINVAL, "exclude");
	expect_refused("{\"exclude\": {}}", -EINVAL, "filter.exclude: expected at least one");
	expect_refused("{\"exclude\": [1]}", -EINVAL, "filter.exclude must be an object");
	/* 16 x 16 x tcp, udp = 512 selectors */
	expect_refused("{\"dport\": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16],"
		       " \"sport\": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]}",
		       -E2BIG, "more than 256 u32 rules");
}

/* The key at off in r, or NULL. */
static const struct tc_u32_key *key_at(const struct net_u32_rule *r, int off)
{
	for (unsigned i = 0; i < r->nkeys; i++)
		if (r->keys[i].off == off)
			return &r->keys[i];
	return NULL;
}

static void expect_key(const struct net_u32_rule *r, int off, uint32_t mask, uint32_t val)
{
	const struct tc_u32_key *k = key_at(r, off);

	if (!k)
		fail_msg("no key at %d", off);
	assert_int_equal(ntohl(k->mask), mask);
	assert_int_equal(ntohl(k->val), val);
	assert_int_equal(k->offmask, 0);
}

static void test_expand(void **state)
{
	struct net_u32_rule rules[NET_FILTER_MAX_RULES];
	struct net_filter f;
	char err[256];
	int n;

	(void)state;
	/* dst one v4 and one v6 host, dport 5001, no protocol: tcp and udp each. */
	assert_int_equal(parse("{\"dst\": [\"10.99.0.2/32\", \"fd99::2\"], \"dport\": [5001]}", &f,
			       err, sizeof(err)),
			 0);
	n = net_filter_expand(&f.match, rules, ARRAY_SIZE(rules), err, sizeof(err));
	assert_int_equal(n, 4);
	assert_false(f.has_exclude);

	/* IPv4 tcp: what tc writes for "match ip dst 10.99.0.2/32 match ip protocol 6
	 * 0xff match ip dport 5001 0xffff", plus IHL 5 and fragment offset 0. */
	assert_int_equal(rules[0].eth_proto, ETH_P_IP);
	assert_int_equal(rules[0].nkeys, 5);
	expect_key(&rules[0], 16, 0xffffffff, 0x0a630002);
	expect_key(&rules[0], 8, 0x00ff0000, 0x00060000);
	expect_key(&rules[0], 0, 0x0f000000, 0x05000000);
	expect_key(&rules[0], 4, 0x00001fff, 0);
	expect_key(&rules[0], 20, 0x0000ffff, 5001);
	expect_key(&rules[1], 8, 0x00ff0000, 0x00110000); /* udp */
	assert_int_equal(net_filter_pref(&rules[0], false, 0), 3);
	assert_int_equal(net_filter_pref(&rules[0], true, 0), 1);
	/* Slot k's preferences are 4k+1 .. 4k+4, after every lower slot's. */
	assert_int_equal(net_filter_pref(&rules[0], false, 1), 7);
	assert_int_equal(net_filter_pref(&rules[0], true, 7), 29);

	/* IPv6 tcp: dst in four words from 24, next header at byte 6, ports at 40. */
	assert_int_equal(rules[2].eth_proto, ETH_P_IPV6);
	assert_int_equal(rules[2].nkeys, 6);
	expect_key(&rules[2], 24, 0xffffffff, 0xfd990000);
	expect_key(&rules[2], 28, 0xffffffff, 0);
	expect_key(&rules[2], 36, 0xffffffff, 2);
	expect_key(&rules[2], 4, 0x0000ff00, 0x00000600);
	expect_key(&rules[2], 40, 0x0000ffff, 5001);
	assert_int_equal(net_filter_pref(&rules[2], false, 0), 4);
	assert_int_equal(net_filter_pref(&rules[2], false, 7), 32);

	/* A /20 and a v6 /36: only the words the prefix reaches, masked. */
	assert_int_equal(parse("{\"src\": [\"172.16.16.0/20\", \"2001:db8:f000::/36\"], "
			       "\"sport\": [53], \"protocol\": [\"udp\"]}",
			       &f, err, sizeof(err)),
			 0);
	n = net_filter_expand(&f.match, rules, ARRAY_SIZE(rules), err, sizeof(err));
	assert_int_equal(n, 2);
	expect_key(&rules[0], 12, 0xfffff000, 0xac101000);
	expect_key(&rules[0], 20, 0xffff0000, 53 << 16);
	assert_int_equal(rules[1].nkeys, 4); /* 2 address words, proto, ports */
	expect_key(&rules[1], 8, 0xffffffff, 0x20010db8);
	expect_key(&rules[1], 12, 0xf0000000, 0xf0000000);
	assert_null(key_at(&rules[1], 16));

	/* Only a protocol: one selector per family; icmp is ICMPv6 for IPv6. */
	assert_int_equal(parse("{\"protocol\": [\"icmp\"]}", &f, err, sizeof(err)), 0);
	n = net_filter_expand(&f.match, rules, ARRAY_SIZE(rules), err, sizeof(err));
	assert_int_equal(n, 2);
	expect_key(&rules[0], 8, 0x00ff0000, 0x00010000);
	expect_key(&rules[1], 4, 0x0000ff00, 58 << 8);

	/* Only an exclusion: every IPv4 and IPv6 packet matches (one empty key). */
	assert_int_equal(parse("{\"exclude\": {\"dport\": [22], \"protocol\": [\"tcp\"]}}", &f, err,
			       sizeof(err)),
			 0);
	assert_true(f.has_exclude);
	n = net_filter_expand(&f.match, rules, ARRAY_SIZE(rules), err, sizeof(err));
	assert_int_equal(n, 2);
	assert_int_equal(rules[0].nkeys, 1);
	expect_key(&rules[0], 0, 0, 0);
	n = net_filter_expand(&f.exclude, rules, ARRAY_SIZE(rules), err, sizeof(err));
	assert_int_equal(n, 2);
	expect_key(&rules[0], 20, 0x0000ffff, 22);

	/* The bound is on the caller's array. */
	assert_int_equal(parse("{\"dport\": [1, 2, 3]}", &f, err, sizeof(err)), 0);
	assert_int_equal(net_filter_expand(&f.match, rules, 5, err, sizeof(err)), -E2BIG);
}

static void test_messages(void **state)
{
	struct net_u32_rule rules[4];
	struct nlattr *tb[TCA_MAX + 1], *opt[TCA_U32_MAX + 1];
	struct nl_msg *msg = NULL;
	struct net_filter f;
	char err[256];

	(void)state;
	assert_int_equal(parse("{\"dst\": [\"10.0.0.0/8\"], \"dport\": [80], "
			       "\"protocol\": [\"tcp\"]}",
			       &f, err, sizeof(err)),
			 0);
	assert_int_equal(net_filter_expand(&f.match, rules, 4, err, sizeof(err)), 1);
	assert_int_equal(net_build_u32_msg(7, NET_FAULT_HANDLE, 3, &rules[0],
					   TC_H_MAKE(NET_FAULT_HANDLE, NET_FILTER_NETEM_BAND),
					   &msg),
			 0);
	struct nlmsghdr *h = nlmsg_hdr(msg);
	const struct tcmsg *t = nlmsg_data(h);
	assert_int_equal(h->nlmsg_type, RTM_NEWTFILTER);
	assert_int_equal(h->nlmsg_flags, NLM_F_CREATE | NLM_F_EXCL);
	assert_int_equal(t->tcm_ifindex, 7);
	assert_int_equal(t->tcm_parent, 0xfa170000);
	assert_int_equal(t->tcm_handle, 0);
	assert_int_equal(t->tcm_info, (3U << 16) | htons(ETH_P_IP));
	assert_int_equal(nlmsg_parse(h, sizeof(*t), tb, TCA_MAX, NULL), 0);
	assert_string_equal(nla_get_string(tb[TCA_KIND]), "u32");
	assert_int_equal(nla_parse_nested(opt, TCA_U32_MAX, tb[TCA_OPTIONS], NULL), 0);
	assert_int_equal(nla_get_u32(opt[TCA_U32_CLASSID]), 0xfa170004);
	const struct tc_u32_sel *sel = nla_data(opt[TCA_U32_SEL]);
	assert_int_equal(nla_len(opt[TCA_U32_SEL]),
			 sizeof(struct tc_u32_sel) + 5 * sizeof(struct tc_u32_key));
	assert_int_equal(sel->flags, TC_U32_TERMINAL);
	assert_int_equal(sel->nkeys, 5);
	assert_int_equal(sel->keys[0].off, 16);
	assert_int_equal(ntohl(sel->keys[0].mask), 0xff000000);
	assert_int_equal(ntohl(sel->keys[0].val), 0x0a000000);
	nlmsg_free(msg);

	assert_int_equal(net_build_prio_msg(9, &msg), 0);
	h = nlmsg_hdr(msg);
	t = nlmsg_data(h);
	assert_int_equal(h->nlmsg_type, RTM_NEWQDISC);
	assert_int_equal(h->nlmsg_flags, NLM_F_CREATE | NLM_F_EXCL);
	assert_int_equal(t->tcm_handle, NET_FAULT_HANDLE);
	assert_int_equal(t->tcm_parent, TC_H_ROOT);
	assert_int_equal(nlmsg_parse(h, sizeof(*t), tb, TCA_MAX, NULL), 0);
	assert_string_equal(nla_get_string(tb[TCA_KIND]), "prio");
	const struct tc_prio_qopt *q = nla_data(tb[TCA_OPTIONS]);
	assert_int_equal(nla_len(tb[TCA_OPTIONS]), sizeof(*q));
	/* Three bands of prio's own, then one per slot: 11. */
	assert_int_equal(q->bands, 3 + NET_FILTER_SLOTS);
	assert_int_equal(net_filter_slot_band(NET_FILTER_SLOTS - 1), q->bands);
	assert_int_equal(net_filter_slot_netem(1), 0xfa190000);
	/* No priority maps to band 4 (index 3) or above: only the filters reach a
	 * netem. */
	for (size_t i = 0; i <= TC_PRIO_MAX; i++)
		assert_true(q->priomap[i] < NET_FILTER_NETEM_BAND - 1);
	nlmsg_free(msg);
}

static void test_describe(void **state)
{
	json_t *v = json_loads("{\"dst\": [\"10.0.0.0/8\"], \"dport\": [80, 443], "
			       "\"exclude\": {\"src\": [\"10.1.0.0/16\"]}}",
			       0, NULL);
	char buf[128];

	(void)state;
	net_filter_describe(v, buf, sizeof(buf));
	assert_string_equal(buf, "dst 10.0.0.0/8 dport 80,443 except src 10.1.0.0/16");
	net_filter_describe(v, buf, 12); /* truncated, terminated */
	assert_int_equal(strlen(buf), 11);
	json_decref(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cidr),	 cmocka_unit_test(test_from_json_refusals),
		cmocka_unit_test(test_expand),	 cmocka_unit_test(test_messages),
		cmocka_unit_test(test_describe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
