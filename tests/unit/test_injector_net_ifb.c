/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the ingress part of the network fault (net_ifb.c): the reserved
 * IFB names and the requests that create the IFB, the ingress qdisc and the mirred
 * redirect. The kernel's reading of them is tested in tests/vm (section k).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_mirred.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <string.h>

#include "macro.h"
#include "net_ifb.h"

static void test_names(void **state)
{
	char buf[IFNAMSIZ];

	(void)state;
	assert_string_equal(net_ifb_name(2, buf), "flifb2");
	assert_string_equal(net_ifb_name(2147483647, buf), "flifb2147483647");
	assert_true(strlen(buf) < IFNAMSIZ);
	assert_true(net_ifb_name_is_ours("flifb2"));
	assert_true(net_ifb_name_is_ours("flifb2147483647"));
	assert_false(net_ifb_name_is_ours("flifb"));
	assert_false(net_ifb_name_is_ours("flifb02"));
	assert_false(net_ifb_name_is_ours("flifb2a"));
	assert_false(net_ifb_name_is_ours("ifb0"));
}

static void test_ingress_detection(void **state)
{
	const struct rtnl_qdisc qs[] = {
		{ .ifindex = 2, .handle = 0, .parent = TC_H_ROOT, .kind = "noqueue" },
		{ .ifindex = 3, .handle = 0xffff0000, .parent = TC_H_INGRESS, .kind = "clsact" },
	};

	(void)state;
	assert_false(net_has_ingress_qdisc(qs, ARRAY_SIZE(qs), 2));
	assert_true(net_has_ingress_qdisc(qs, ARRAY_SIZE(qs), 3));
}

static void test_messages(void **state)
{
	struct nlattr *tb[TCA_MAX + 1], *opt[TCA_U32_MAX + 1], *acts[3], *act[TCA_ACT_MAX + 1],
		*mir[TCA_MIRRED_MAX + 1], *lt[IFLA_MAX + 1], *li[IFLA_INFO_MAX + 1];
	struct nl_msg *msg = NULL;
	struct nlmsghdr *h;

	(void)state;
	assert_int_equal(net_build_ifb_newlink("flifb2", &msg), 0);
	h = nlmsg_hdr(msg);
	const struct ifinfomsg *ifi = nlmsg_data(h);
	assert_int_equal(h->nlmsg_type, RTM_NEWLINK);
	assert_int_equal(h->nlmsg_flags, NLM_F_CREATE | NLM_F_EXCL);
	assert_int_equal(ifi->ifi_flags & IFF_UP, IFF_UP);
	assert_int_equal(ifi->ifi_change & IFF_UP, IFF_UP);
	assert_int_equal(nlmsg_parse(h, sizeof(*ifi), lt, IFLA_MAX, NULL), 0);
	assert_string_equal(nla_get_string(lt[IFLA_IFNAME]), "flifb2");
	assert_int_equal(nla_parse_nested(li, IFLA_INFO_MAX, lt[IFLA_LINKINFO], NULL), 0);
	assert_string_equal(nla_get_string(li[IFLA_INFO_KIND]), "ifb");
	nlmsg_free(msg);

	assert_int_equal(net_build_ingress_msg(RTM_NEWQDISC, 4, &msg), 0);
	h = nlmsg_hdr(msg);
	const struct tcmsg *t = nlmsg_data(h);
	assert_int_equal(h->nlmsg_flags, NLM_F_CREATE | NLM_F_EXCL);
	assert_int_equal(t->tcm_handle, 0xffff0000);
	assert_int_equal(t->tcm_parent, TC_H_INGRESS);
	assert_int_equal(nlmsg_parse(h, sizeof(*t), tb, TCA_MAX, NULL), 0);
	assert_string_equal(nla_get_string(tb[TCA_KIND]), "ingress");
	nlmsg_free(msg);

	assert_int_equal(net_build_mirred_msg(4, 9, &msg), 0);
	h = nlmsg_hdr(msg);
	t = nlmsg_data(h);
	assert_int_equal(h->nlmsg_type, RTM_NEWTFILTER);
	assert_int_equal(t->tcm_parent, 0xffff0000);
	assert_int_equal(t->tcm_info, (1U << 16) | htons(ETH_P_ALL));
	assert_int_equal(nlmsg_parse(h, sizeof(*t), tb, TCA_MAX, NULL), 0);
	assert_string_equal(nla_get_string(tb[TCA_KIND]), "u32");
	assert_int_equal(nla_parse_nested(opt, TCA_U32_MAX, tb[TCA_OPTIONS], NULL), 0);
	const struct tc_u32_sel *sel = nla_data(opt[TCA_U32_SEL]);
	assert_int_equal(sel->nkeys, 1);
	assert_int_equal(sel->keys[0].mask, 0); /* every packet */
	assert_int_equal(nla_parse_nested(acts, 2, opt[TCA_U32_ACT], NULL), 0);
	assert_non_null(acts[1]);
	assert_int_equal(nla_parse_nested(act, TCA_ACT_MAX, acts[1], NULL), 0);
	assert_string_equal(nla_get_string(act[TCA_ACT_KIND]), "mirred");
	assert_int_equal(nla_parse_nested(mir, TCA_MIRRED_MAX, act[TCA_ACT_OPTIONS], NULL), 0);
	const struct tc_mirred *m = nla_data(mir[TCA_MIRRED_PARMS]);
	assert_int_equal(m->eaction, TCA_EGRESS_REDIR);
	assert_int_equal(m->action, TC_ACT_STOLEN);
	assert_int_equal(m->ifindex, 9);
	nlmsg_free(msg);

	assert_int_equal(net_build_dellink("flifb2", &msg), 0);
	h = nlmsg_hdr(msg);
	assert_int_equal(h->nlmsg_type, RTM_DELLINK);
	assert_int_equal(nlmsg_parse(h, sizeof(struct ifinfomsg), lt, IFLA_MAX, NULL), 0);
	assert_string_equal(nla_get_string(lt[IFLA_IFNAME]), "flifb2");
	nlmsg_free(msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_ingress_detection),
		cmocka_unit_test(test_messages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
