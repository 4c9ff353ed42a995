/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the network fault's host-testable parts: parameter validation
 * (interfaces, namespaces), the qdisc ownership rules on synthetic dumps
 * (net_qdisc.c), the RTM_NEWQDISC / RTM_DELQDISC messages, the parsers of the
 * rtnetlink transport, and validate/revert against this host's own namespace,
 * which change nothing (this kernel has no sch_netem: the apply itself is tested
 * in tests/vm).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <string.h>

#include "fault.h"
#include "macro.h"
#include "net_fault.h"
#include "net_netns.h"
#include "net_qdisc.h"
#include "net_rtnl.h"

/* ---- names ----------------------------------------------------------------------- */

static void test_ifname(void **state)
{
	static const char *const good[] = { "eth0", "veth-a", "a.b_c", "x", "abcdefghijklmno",
					    "all",  "eno1@x" };
	static const char *const bad[] = { "",	  ".",	 "..",	 "abcdefghijklmnop", "a/b",
					   "a:b", "a b", "a\tb", "caf\xc3\xa9",	     "\x1b[31m" };

	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		assert_true(net_ifname_valid(good[i]));
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_false(net_ifname_valid(bad[i]));
	assert_false(net_ifname_valid(NULL));
}

static void expect_interfaces(const char *json, int want, size_t n, bool all, const char *msg)
{
	json_t *v = json_loads(json, JSON_DECODE_ANY, NULL);
	json_t *names = NULL;
	char err[256] = "";
	bool is_all = false;

	assert_non_null(v);
	int r = net_interfaces_parse(v, &names, &is_all, err, sizeof(err));
	if (r != want)
		fail_msg("%s: returned %d, expected %d (%s)", json, r, want, err);
	if (r == 0) {
		assert_int_equal(json_array_size(names), n);
		assert_int_equal(is_all, all);
	} else {
		assert_null(names);
		if (!strstr(err, msg))
			fail_msg("%s: message \"%s\" lacks \"%s\"", json, err, msg);
	}
	json_decref(names);
	json_decref(v);
}

static void test_interfaces(void **state)
{
	char big[1024] = "[";

	expect_interfaces("\"all\"", 0, 0, true, NULL);
	expect_interfaces("\"eth0\"", 0, 1, false, NULL);
	expect_interfaces("[\"eth0\", \"eth1\"]", 0, 2, false, NULL);
	/* In a list, "all" is an interface's name like any other. */
	expect_interfaces("[\"all\"]", 0, 1, false, NULL);
	expect_interfaces("[]", -EINVAL, 0, false, "a list of 1 to 64 names");
	expect_interfaces("7", -EINVAL, 0, false, "interface must be");
	expect_interfaces("null", -EINVAL, 0, false, "interface must be");
	expect_interfaces("[\"eth0\", 3]", -EINVAL, 0, false, "(not a string)");
	expect_interfaces("[\"eth0\", \"eth0\"]", -EINVAL, 0, false, "listed twice");
	expect_interfaces("\"a/b\"", -EINVAL, 0, false, "interface \"a/b\"");
	expect_interfaces("\"..\"", -EINVAL, 0, false, "not . or ..");
	for (int i = 0; i < 65; i++)
		snprintf(big + strlen(big), sizeof(big) - strlen(big), "%s\"e%d\"", i ? "," : "",
			 i);
	strcat(big, "]");
	expect_interfaces(big, -EINVAL, 0, false, "1 to 64 names");
}

static void expect_netns(const char *json, int want, const char *msg)
{
	json_t *v = json ? json_loads(json, JSON_DECODE_ANY, NULL) : NULL;
	struct netns_ref ref;
	char err[256] = "";

	assert_true(!json || v);
	int r = netns_ref_resolve(v, &ref, err, sizeof(err));
	if (r != want)
		fail_msg("%s: returned %d, expected %d (%s)", json ? json : "NULL", r, want, err);
	if (msg && !strstr(r < 0 ? err : ref.label, msg))
		fail_msg("%s: \"%s\" lacks \"%s\"", json ? json : "NULL", r < 0 ? err : ref.label,
			 msg);
	if (r == 0)
		assert_true(ref.ino != 0);
	json_decref(v);
}

static void test_netns(void **state)
{
	assert_true(netns_name_valid("app"));
	assert_true(netns_name_valid("a.b-c_D9"));
	assert_false(netns_name_valid(""));
	assert_false(netns_name_valid("."));
	assert_false(netns_name_valid(".."));
	assert_false(netns_name_valid("a/b"));
	assert_false(netns_name_valid("a b"));
	assert_false(netns_name_valid(
		"a1234567890123456789012345678901234567890123456789012345678901234"));

	/* The injector's own, by omission or by path. */
	expect_netns(NULL, 0, "the injector's netns");
	expect_netns("null", 0, "the injector's netns");
	expect_netns("\"/proc/self/ns/net\"", 0, "netns /proc/self/ns/net");

	expect_netns("42", -EINVAL, "netns must be null, a name");
	expect_netns("[\"app\"]", -EINVAL, "netns must be null, a name");
	expect_netns("\"../etc\"", -EINVAL, "expected a name of 1 to 64 characters");
	expect_netns("\"a/b\"", -EINVAL, "expected a name of 1 to 64 characters");
	expect_netns("\"\"", -EINVAL, "expected a name of 1 to 64 characters");
	expect_netns("\"ap\\np\"", -EINVAL, "without control characters");
	expect_netns("{\"pid\": 0}", -EINVAL, "netns.pid must be a pid");
	expect_netns("{\"pid\": 4194305}", -EINVAL, "netns.pid must be a pid");
	expect_netns("{\"pid\": \"1\"}", -EINVAL, "netns.pid must be a pid");
	expect_netns("{\"pid\": 1, \"x\": 2}", -EINVAL, "x");
	expect_netns("\"faultline-no-such-netns\"", -ENOENT,
		     "/run/netns/faultline-no-such-netns does not exist");
	expect_netns("\"/nonexistent/ns\"", -ENOENT, "does not exist");
	/* Files that exist but are no namespace: refused before any real open. */
	expect_netns("\"/proc/self/stat\"", -EINVAL, "is not a network namespace");
	expect_netns("\"/dev/null\"", -EINVAL, "is not a network namespace");
	expect_netns("\"/proc/self/ns/uts\"", -EINVAL, "is not a network namespace");
}

/* ---- ownership on synthetic dumps ---------------------------------------------------- */

#define Q(ifi, h, p, k)                                                                            \
	{                                                                                          \
		.ifindex = (ifi), .handle = (h), .parent = (p), .kind = (k)                        \
	}

static void expect_root(const struct rtnl_qdisc *qs, size_t n, int ifindex,
			enum qdisc_root_state state, const char *why)
{
	struct qdisc_root_verdict v;

	qdisc_root_classify(qs, n, ifindex, &v);
	if (v.state != state)
		fail_msg("ifindex %d: state %d, expected %d (%s)", ifindex, v.state, state, v.why);
	if (why && !strstr(v.why, why))
		fail_msg("ifindex %d: \"%s\" lacks \"%s\"", ifindex, v.why, why);
}

/* A root read alone (one RTM_GETQDISC) is judged as in a dump, unless it is a
 * kernel mq, whose children only a dump shows: that one asks for them. */
static void check_root_alone(void)
{
	const struct rtnl_qdisc roots[] = {
		Q(1, 0, TC_H_ROOT, "noqueue"),
		Q(2, 0, TC_H_ROOT, "pfifo_fast"),
		Q(3, 0x10000, TC_H_ROOT, "htb"),
		Q(4, 0, TC_H_ROOT, "cake"),
		Q(5, NET_FAULT_HANDLE, TC_H_ROOT, "netem"),
		Q(6, NET_FAULT_HANDLE, TC_H_ROOT, "prio"),
		Q(7, NET_FAULT_HANDLE, TC_H_ROOT, "tbf"),
	};
	for (size_t i = 0; i < ARRAY_SIZE(roots); i++) {
		struct qdisc_root_verdict a, b;
		qdisc_root_classify(roots, ARRAY_SIZE(roots), roots[i].ifindex, &a);
		qdisc_root_judge(&roots[i], NULL, 0, &b);
		assert_int_equal(a.state, b.state);
		assert_string_equal(a.kind, b.kind);
		assert_int_equal(a.handle, b.handle);
		assert_string_equal(a.why, b.why);
		assert_false(qdisc_root_needs_children(&roots[i]));
	}
	struct qdisc_root_verdict v;
	qdisc_root_judge(NULL, NULL, 0, &v);
	assert_int_equal(v.state, QDISC_ROOT_DEFAULT);
	assert_string_equal(v.kind, "noop");

	const struct rtnl_qdisc mq = Q(4, 0, TC_H_ROOT, "mq");
	const struct rtnl_qdisc mq_set = Q(4, 0x10000, TC_H_ROOT, "mq");
	assert_true(qdisc_root_needs_children(&mq));
	assert_false(qdisc_root_needs_children(&mq_set)); /* foreign whatever its children */
	assert_false(qdisc_root_needs_children(NULL));
}

static void test_ownership(void **state)
{
	const struct rtnl_qdisc defaults[] = {
		Q(1, 0, TC_H_ROOT, "noqueue"),
		Q(2, 0, TC_H_ROOT, "pfifo_fast"),
		Q(3, 0, TC_H_ROOT, "fq_codel"),
		Q(4, 0, TC_H_ROOT, "mq"),
		Q(4, 0, TC_H_MAKE(0, 1), "fq_codel"),
		Q(4, 0, TC_H_MAKE(0, 2), "fq_codel"),
		/* An ingress qdisc is not on the egress path and never matters. */
		Q(1, TC_H_INGRESS & 0xffff0000U, TC_H_INGRESS, "ingress"),
	};
	for (int i = 1; i <= 4; i++)
		expect_root(defaults, ARRAY_SIZE(defaults), i, QDISC_ROOT_DEFAULT, NULL);
	/* A device never brought up: no root in the dump (the builtin noop). */
	struct qdisc_root_verdict v;
	qdisc_root_classify(defaults, ARRAY_SIZE(defaults), 9, &v);
	assert_int_equal(v.state, QDISC_ROOT_DEFAULT);
	assert_string_equal(v.kind, "noop");
	qdisc_root_classify(NULL, 0, 1, &v);
	assert_int_equal(v.state, QDISC_ROOT_DEFAULT);

	const struct rtnl_qdisc foreign[] = {
		Q(1, 0x10000, TC_H_ROOT, "htb"),
		Q(1, 0x10001 & 0xffff0000U, TC_H_MAKE(0x10000, 1), "pfifo"),
		Q(2, 0x80020000, TC_H_ROOT, "prio"),
		/* A default kind someone configured: the kernel allocated its handle. */
		Q(3, 0x80010000, TC_H_ROOT, "fq_codel"),
		/* Handle 0, but a kind we do not replace. */
		Q(4, 0, TC_H_ROOT, "cake"),
		/* Someone else's netem, and our handle on something that is not netem. */
		Q(5, 0x80030000, TC_H_ROOT, "netem"),
		Q(6, NET_FAULT_HANDLE, TC_H_ROOT, "tbf"),
		/* The kernel's mq with one child replaced by hand. */
		Q(7, 0, TC_H_ROOT, "mq"),
		Q(7, 0, TC_H_MAKE(0, 1), "fq_codel"),
		Q(7, 0x80040000, TC_H_MAKE(0, 2), "fq"),
		Q(8, NET_FAULT_HANDLE, TC_H_ROOT, "netem"),
	};
	const size_t n = ARRAY_SIZE(foreign);
	expect_root(foreign, n, 1, QDISC_ROOT_FOREIGN, "htb 1:");
	expect_root(foreign, n, 2, QDISC_ROOT_FOREIGN, "prio 8002:");
	expect_root(foreign, n, 3, QDISC_ROOT_FOREIGN, "fq_codel 8001:");
	expect_root(foreign, n, 4, QDISC_ROOT_FOREIGN,
		    "cake 0: (a kernel default faultline does not");
	expect_root(foreign, n, 5, QDISC_ROOT_FOREIGN, "netem 8003:");
	expect_root(foreign, n, 6, QDISC_ROOT_FOREIGN, "tbf fa17: (faultline's reserved handle");
	expect_root(foreign, n, 7, QDISC_ROOT_FOREIGN, "mq 0: with child fq 8004: at parent :2");
	expect_root(foreign, n, 8, QDISC_ROOT_OURS, NULL);
	/* Other devices' qdiscs never leak into a verdict. */
	expect_root(foreign, n, 10, QDISC_ROOT_DEFAULT, NULL);
	check_root_alone();
}

static void test_handle_format(void **state)
{
	char buf[16];

	assert_string_equal(qdisc_handle_format(0, buf, sizeof(buf)), "0:");
	assert_string_equal(qdisc_handle_format(NET_FAULT_HANDLE, buf, sizeof(buf)), "fa17:");
	assert_string_equal(qdisc_handle_format(0x10001, buf, sizeof(buf)), "1:1");
	assert_string_equal(qdisc_handle_format(0x2, buf, sizeof(buf)), ":2");
	assert_string_equal(qdisc_handle_format(TC_H_ROOT, buf, sizeof(buf)), "root");
	assert_string_equal(qdisc_handle_format(0xffff0000U, buf, sizeof(buf)), "ffff:");
	assert_true(qdisc_kind_is_default_root("noqueue"));
	assert_true(qdisc_kind_is_default_root("noop"));
	assert_false(qdisc_kind_is_default_root("netem"));
	assert_false(qdisc_kind_is_default_root("htb"));
}

/* ---- messages ------------------------------------------------------------------------ */

/* The top-level attribute of type in a qdisc message, or NULL. */
static const struct nlattr *msg_attr(struct nl_msg *msg, int type)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct nlattr *a;
	int rem;

	nlmsg_for_each_attr(a, h, sizeof(struct tcmsg), rem) if (nla_type(a) == type) return a;
	return NULL;
}

static void test_build_messages(void **state)
{
	struct netem_params p;
	struct nl_msg *msg = NULL;

	netem_params_init(&p);
	p.delay_ns = 100000000;
	p.loss = 30;
	assert_int_equal(
		net_build_qdisc_msg(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, 7, &p, NULL, &msg), 0);
	struct nlmsghdr *h = nlmsg_hdr(msg);
	assert_int_equal(h->nlmsg_type, RTM_NEWQDISC);
	/* Create, exclusive, and never NLM_F_REPLACE: the kernel itself then refuses
	 * to replace anything but a default root. */
	assert_int_equal(h->nlmsg_flags, NLM_F_CREATE | NLM_F_EXCL);
	const struct tcmsg *t = nlmsg_data(h);
	assert_int_equal(t->tcm_ifindex, 7);
	assert_int_equal(t->tcm_handle, NET_FAULT_HANDLE);
	assert_int_equal(t->tcm_parent, TC_H_ROOT);
	const struct nlattr *kind = msg_attr(msg, TCA_KIND);
	assert_non_null(kind);
	assert_string_equal(nla_data(kind), "netem");
	const struct nlattr *opts = msg_attr(msg, TCA_OPTIONS);
	assert_non_null(opts);
	struct tc_netem_qopt q;
	assert_true((size_t)nla_len(opts) >= sizeof(q));
	memcpy(&q, nla_data(opts), sizeof(q));
	assert_int_equal(q.latency, 100000000 / 64); /* psched_default: 64 ns a tick */
	assert_int_equal(q.loss, 0x4ccccccc);
	assert_int_equal(q.limit, 1000);
	nlmsg_free(msg);

	/* The delete names our handle and kind, so the kernel checks both. */
	msg = NULL;
	assert_int_equal(net_build_qdisc_msg(RTM_DELQDISC, 0, 3, NULL, NULL, &msg), 0);
	h = nlmsg_hdr(msg);
	assert_int_equal(h->nlmsg_type, RTM_DELQDISC);
	t = nlmsg_data(h);
	assert_int_equal(t->tcm_ifindex, 3);
	assert_int_equal(t->tcm_handle, NET_FAULT_HANDLE);
	assert_int_equal(t->tcm_parent, TC_H_ROOT);
	assert_non_null(msg_attr(msg, TCA_KIND));
	assert_null(msg_attr(msg, TCA_OPTIONS));
	nlmsg_free(msg);

	/* A distribution table (8 KiB) fits: the message is sized for it. */
	p.jitter_ns = 10000000;
	p.dist = NETEM_DIST_PARETONORMAL;
	msg = NULL;
	assert_int_equal(net_build_qdisc_msg(RTM_NEWQDISC, NLM_F_CREATE, 1, &p, NULL, &msg), 0);
	assert_true(nlmsg_hdr(msg)->nlmsg_len > 8192);
	nlmsg_free(msg);

	/* Parameters netem would reinterpret are refused, and nothing is built. */
	p.delay_ns = 0;
	msg = NULL;
	assert_int_equal(net_build_qdisc_msg(RTM_NEWQDISC, NLM_F_CREATE, 1, &p, NULL, &msg),
			 -EINVAL);
	assert_null(msg);
}

/* ---- parsers -------------------------------------------------------------------------- */

static void test_parse_qdisc_and_link(void **state)
{
	struct tcmsg t = { .tcm_ifindex = 4, .tcm_handle = 0x10000, .tcm_parent = TC_H_ROOT };
	struct ifinfomsg ifi = { .ifi_index = 2, .ifi_flags = IFF_UP | IFF_LOOPBACK };
	struct rtnl_qdisc q;
	struct rtnl_link l;
	struct nl_msg *msg;

	msg = nlmsg_alloc_simple(RTM_NEWQDISC, 0);
	assert_int_equal(nlmsg_append(msg, &t, sizeof(t), NLMSG_ALIGNTO), 0);
	assert_int_equal(nla_put_string(msg, TCA_KIND, "htb"), 0);
	assert_int_equal(rtnl_parse_qdisc(nlmsg_hdr(msg), &q), 0);
	assert_int_equal(q.ifindex, 4);
	assert_int_equal(q.handle, 0x10000);
	assert_int_equal(q.parent, TC_H_ROOT);
	assert_string_equal(q.kind, "htb");
	nlmsg_free(msg);

	/* No kind, a kind too long for a qdisc name, or no NUL: malformed. */
	msg = nlmsg_alloc_simple(RTM_NEWQDISC, 0);
	assert_int_equal(nlmsg_append(msg, &t, sizeof(t), NLMSG_ALIGNTO), 0);
	assert_int_equal(rtnl_parse_qdisc(nlmsg_hdr(msg), &q), -EBADMSG);
	assert_int_equal(nla_put_string(msg, TCA_KIND, "a-kind-far-too-long"), 0);
	assert_int_equal(rtnl_parse_qdisc(nlmsg_hdr(msg), &q), -EBADMSG);
	nlmsg_free(msg);
	msg = nlmsg_alloc_simple(RTM_NEWQDISC, 0);
	assert_int_equal(nlmsg_append(msg, &t, sizeof(t), NLMSG_ALIGNTO), 0);
	assert_int_equal(nla_put(msg, TCA_KIND, 4, "htbx"), 0);
	assert_int_equal(rtnl_parse_qdisc(nlmsg_hdr(msg), &q), -EBADMSG);
	nlmsg_free(msg);

	msg = nlmsg_alloc_simple(RTM_NEWLINK, 0);
	assert_int_equal(nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO), 0);
	assert_int_equal(rtnl_parse_link(nlmsg_hdr(msg), &l), -EBADMSG);
	assert_int_equal(nla_put_string(msg, IFLA_IFNAME, "lo"), 0);
	assert_int_equal(rtnl_parse_link(nlmsg_hdr(msg), &l), 0);
	assert_int_equal(l.ifindex, 2);
	assert_true(l.flags & IFF_LOOPBACK);
	assert_string_equal(l.name, "lo");
	nlmsg_free(msg);
}

/* An NLMSG_ERROR as the kernel sends it: capped or with the request echoed, with or
 * without the extended ack's message. */
static struct nl_msg *error_msg(int error, bool capped, const char *text)
{
	struct nl_msg *msg = nlmsg_alloc_simple(NLMSG_ERROR, 0);
	struct nlmsgerr e = { .error = error };
	uint8_t echoed[12] = { 0 };

	e.msg.nlmsg_len = NLMSG_HDRLEN + (capped ? 0 : sizeof(echoed));
	e.msg.nlmsg_type = RTM_NEWQDISC;
	assert_int_equal(nlmsg_append(msg, &e, sizeof(e), NLMSG_ALIGNTO), 0);
	if (!capped)
		assert_int_equal(nlmsg_append(msg, echoed, sizeof(echoed), NLMSG_ALIGNTO), 0);
	if (capped)
		nlmsg_hdr(msg)->nlmsg_flags |= NLM_F_CAPPED;
	if (text) {
		nlmsg_hdr(msg)->nlmsg_flags |= NLM_F_ACK_TLVS;
		assert_int_equal(nla_put_string(msg, NLMSGERR_ATTR_MSG, text), 0);
		assert_int_equal(nla_put_u32(msg, NLMSGERR_ATTR_OFFS, 36), 0);
	}
	return msg;
}

static void test_parse_error(void **state)
{
	char text[128];
	struct nl_msg *msg;

	msg = error_msg(-ENOENT, true, "Specified qdisc kind is unknown.");
	assert_int_equal(rtnl_parse_error(nlmsg_hdr(msg), text, sizeof(text)), -ENOENT);
	assert_string_equal(text, "Specified qdisc kind is unknown");
	nlmsg_free(msg);

	msg = error_msg(-EEXIST, false, "Exclusivity flag on, cannot modify.");
	assert_int_equal(rtnl_parse_error(nlmsg_hdr(msg), text, sizeof(text)), -EEXIST);
	assert_string_equal(text, "Exclusivity flag on, cannot modify");
	/* A short buffer truncates; NULL takes nothing. */
	assert_int_equal(rtnl_parse_error(nlmsg_hdr(msg), text, 6), -EEXIST);
	assert_string_equal(text, "Exclu");
	assert_int_equal(rtnl_parse_error(nlmsg_hdr(msg), NULL, 0), -EEXIST);
	nlmsg_free(msg);

	msg = error_msg(0, true, NULL);
	assert_int_equal(rtnl_parse_error(nlmsg_hdr(msg), text, sizeof(text)), 0);
	assert_string_equal(text, "");
	nlmsg_free(msg);

	msg = error_msg(5, true, NULL); /* a positive "errno" is no kernel answer */
	assert_int_equal(rtnl_parse_error(nlmsg_hdr(msg), text, sizeof(text)), -EBADMSG);
	nlmsg_free(msg);
}

/* ---- the ops, against this host's own namespace (read only) --------------------------- */

static json_t *validate(const char *params_json, int want, const char *msg)
{
	const struct fault_ops *ops = fault_ops_find("network");
	struct fault_context ctx = { .self_pid = getpid() };
	json_t *params = json_loads(params_json, 0, NULL);
	json_t *plan = NULL;
	char err[512] = "";

	assert_non_null(ops);
	assert_non_null(params);
	int r = ops->validate(params, &ctx, &plan, err, sizeof(err));
	json_decref(params);
	if (r != want)
		fail_msg("%s: returned %d, expected %d (%s)", params_json, r, want, err);
	if (msg && !strstr(err, msg))
		fail_msg("%s: \"%s\" lacks \"%s\"", params_json, err, msg);
	return plan;
}

static void test_ops_validate(void **state)
{
	const struct fault_ops *ops = fault_ops_find("network");

	assert_non_null(ops);
	assert_int_equal(ops->duration, FAULT_DURATION_REQUIRED);
	validate("{\"interface\": \"lo\"}", -EINVAL, "needs \"interface\" and \"netem\"");
	validate("{\"interface\": \"lo\", \"netem\": {}, \"dst\": \"10.0.0.1\"}", -EINVAL, "dst");
	validate("{\"interface\": \"lo\", \"netem\": {\"loss_pct\": 101}}", -EINVAL,
		 "netem: loss_pct must be a number from 0 to 100");
	validate("{\"interface\": \"lo\", \"netem\": {}}", -EINVAL, "netem: no impairment");
	validate("{\"interface\": \"faultline-nx0\", \"netem\": {\"delay_ns\": 1000000}}", -ENODEV,
		 "no interface \"faultline-nx0\" in the injector's netns");
	validate(
		"{\"interface\": \"lo\", \"netns\": \"faultline-nx\", \"netem\": {\"delay_ns\": 1}}",
		-ENOENT, "does not exist");

	/* lo carries the kernel's noqueue here: a plan, and nothing changed. */
	json_t *plan = validate("{\"interface\": \"lo\", \"netem\": {\"delay_ns\": 100000000, "
				"\"jitter_ns\": 10000000, \"distribution\": \"normal\", "
				"\"loss_pct\": 30}}",
				0, NULL);
	json_t *iface = json_array_get(json_object_get(plan, "interfaces"), 0);
	if (!streq(json_string_value(json_object_get(json_object_get(iface, "before"), "kind")),
		   "noqueue")) {
		json_decref(plan);
		skip(); /* this host's lo has something else at its root */
	}
	assert_string_equal(json_string_value(json_object_get(iface, "ifname")), "lo");
	assert_int_equal(json_integer_value(json_object_get(plan, "handle")), NET_FAULT_HANDLE);
	assert_true(json_is_true(json_object_get(json_object_get(plan, "netns"), "own")));
	char *d = ops->describe(plan);
	assert_non_null(d);
	assert_string_equal(d, "netem delay 100ms jitter 10ms normal loss 30% on lo in the "
			       "injector's netns");
	free(d);

	/* Reverting a plan whose qdisc is not there (a crash before the apply) is
	 * done, and says so. */
	json_t *report = NULL;
	char err[256] = "";
	assert_int_equal(ops->revert(plan, &report, err, sizeof(err)), 0);
	json_t *r0 = json_array_get(json_object_get(report, "interfaces"), 0);
	assert_string_equal(json_string_value(json_object_get(r0, "result")), "not_present");
	json_decref(report);

	/* An interface that vanished is done too. */
	json_object_set_new(iface, "ifindex", json_integer(999999));
	report = NULL;
	assert_int_equal(ops->revert(plan, &report, err, sizeof(err)), 0);
	r0 = json_array_get(json_object_get(report, "interfaces"), 0);
	assert_string_equal(json_string_value(json_object_get(r0, "result")), "interface_gone");
	json_decref(report);

	/* So is a namespace that no longer exists anywhere. */
	json_t *ns = json_object_get(plan, "netns");
	json_object_set_new(ns, "path", json_string("/run/netns/faultline-gone"));
	json_object_set_new(ns, "ino", json_integer(1));
	json_object_set_new(ns, "own", json_false());
	report = NULL;
	assert_int_equal(ops->revert(plan, &report, err, sizeof(err)), 0);
	assert_string_equal(json_string_value(json_object_get(report, "netns")), "gone");
	json_decref(report);

	/* A malformed state is refused, not guessed at. */
	json_object_set_new(plan, "handle", json_integer(0x10000));
	assert_int_equal(ops->revert(plan, NULL, err, sizeof(err)), -EINVAL);
	json_decref(plan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ifname),
		cmocka_unit_test(test_interfaces),
		cmocka_unit_test(test_netns),
		cmocka_unit_test(test_ownership),
		cmocka_unit_test(test_handle_format),
		cmocka_unit_test(test_build_messages),
		cmocka_unit_test(test_parse_qdisc_and_link),
		cmocka_unit_test(test_parse_error),
		cmocka_unit_test(test_ops_validate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
