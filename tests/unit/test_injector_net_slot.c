/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the slots of the shared filtered root (net_slot.c): which slots
 * a synthetic dump shows in use, which slot a new fault gets and when it is
 * refused, and the filter delete request. The kernel's side (two faults at once,
 * each reverted alone, the last one restoring the interface) is tested in
 * tests/vm/guest/network_share.sh.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <string.h>

#include "macro.h"
#include "net_fault_impl.h"
#include "net_filter.h"
#include "net_qdisc.h"
#include "net_slot.h"

static struct rtnl_filter filter_at(int ifindex, uint16_t pref)
{
	return (struct rtnl_filter){ .ifindex = ifindex,
				     .parent = NET_FAULT_HANDLE,
				     .pref = pref,
				     .protocol = ETH_P_IP,
				     .kind = "u32" };
}

static void test_read(void **state)
{
	const struct rtnl_qdisc qs[] = {
		{ 3, NET_FAULT_HANDLE, TC_H_ROOT, "prio" },
		{ 3, 0xfa180000, 0xfa170004, "netem" },
		{ 3, 0xfa1a0000, 0xfa170006, "netem" }, /* slot 2, no filters yet */
		{ 4, 0xfa190000, 0xfa170005, "netem" }, /* another device's slot 1 */
	};
	struct rtnl_filter fs[] = {
		filter_at(3, 3), filter_at(3, 4), /* slot 0's matches */
		filter_at(3, 13), /* slot 3: an exclusion, left without its netem */
		filter_at(4, 7), /* another device */
	};
	struct net_slots s;

	(void)state;
	net_slots_read(qs, ARRAY_SIZE(qs), fs, ARRAY_SIZE(fs), 3, &s);
	assert_int_equal(s.used, 0x1 | 0x4 | 0x8);
	assert_int_equal(s.excluding, 0x8);
	assert_int_equal(s.other, 0);

	/* A filter at a preference past the slots is someone else's. */
	fs[3] = filter_at(3, NET_FILTER_SLOTS * NET_FILTER_PREFS_PER_SLOT + 1);
	net_slots_read(qs, 0, fs + 3, 1, 3, &s);
	assert_int_equal(s.used, 0);
	assert_int_equal(s.other, 1);

	/* Nothing on the device: nothing in use. */
	net_slots_read(qs, ARRAY_SIZE(qs), fs, ARRAY_SIZE(fs), 9, &s);
	assert_int_equal(s.used | s.excluding, 0);
}

static void test_pick(void **state)
{
	struct net_slots s = { 0 };
	unsigned slot = 99;
	char err[256];

	(void)state;
	assert_int_equal(net_slot_pick(&s, true, "veth-a", "netns a", &slot, err, sizeof(err)), 0);
	assert_int_equal(slot, 0);
	s.used = 0x1 | 0x2 | 0x8;
	assert_int_equal(net_slot_pick(&s, false, "veth-a", "netns a", &slot, err, sizeof(err)), 0);
	assert_int_equal(slot, 2); /* the lowest free one */

	/* Exclusions never share, in either order. */
	assert_int_equal(net_slot_pick(&s, true, "veth-a", "netns a", &slot, err, sizeof(err)),
			 -EBUSY);
	assert_non_null(strstr(err, "exclusions"));
	s.excluding = 0x2;
	assert_int_equal(net_slot_pick(&s, false, "veth-a", "netns a", &slot, err, sizeof(err)),
			 -EBUSY);
	assert_non_null(strstr(err, "with exclusions (slot 1)"));

	/* Full. */
	s.excluding = 0;
	s.used = (1U << NET_FILTER_SLOTS) - 1;
	slot = 99;
	assert_int_equal(net_slot_pick(&s, false, "veth-a", "netns a", &slot, err, sizeof(err)),
			 -EBUSY);
	assert_int_equal(slot, 99);
	assert_non_null(strstr(err, "already has 8 filtered faultline faults"));
}

static void test_delfilter_msg(void **state)
{
	struct nlattr *tb[TCA_MAX + 1];
	struct nl_msg *msg = NULL;

	(void)state;
	assert_int_equal(net_build_delfilter_msg(5, 7, ETH_P_IPV6, &msg), 0);
	struct nlmsghdr *h = nlmsg_hdr(msg);
	const struct tcmsg *t = nlmsg_data(h);
	assert_int_equal(h->nlmsg_type, RTM_DELTFILTER);
	assert_int_equal(t->tcm_ifindex, 5);
	assert_int_equal(t->tcm_parent, NET_FAULT_HANDLE);
	assert_int_equal(t->tcm_handle, 0);
	assert_int_equal(t->tcm_info, (7U << 16) | htons(ETH_P_IPV6));
	assert_int_equal(nlmsg_parse(h, sizeof(*t), tb, TCA_MAX, NULL), 0);
	assert_string_equal(nla_get_string(tb[TCA_KIND]), "u32");
	nlmsg_free(msg);
	/* pref 0 would delete every filter of the qdisc. */
	msg = NULL;
	assert_int_equal(net_build_delfilter_msg(5, 0, ETH_P_IP, &msg), -EINVAL);
	assert_null(msg);
}

/* A dumped filter as tc_fill_tnode() writes it: pref and protocol in tcm_info. */
static void test_parse_filter(void **state)
{
	struct tcmsg t = {
		.tcm_family = AF_UNSPEC,
		.tcm_ifindex = 3,
		.tcm_handle = 0x80000800,
		.tcm_parent = NET_FAULT_HANDLE,
		.tcm_info = TC_H_MAKE(7U << 16, htons(ETH_P_IPV6)),
	};
	struct rtnl_filter f;
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWTFILTER, 0);

	(void)state;
	assert_int_equal(nlmsg_append(msg, &t, sizeof(t), NLMSG_ALIGNTO), 0);
	assert_int_equal(rtnl_parse_filter(nlmsg_hdr(msg), &f), -EBADMSG); /* no kind */
	assert_int_equal(nla_put_string(msg, TCA_KIND, "u32"), 0);
	assert_int_equal(rtnl_parse_filter(nlmsg_hdr(msg), &f), 0);
	assert_int_equal(f.ifindex, 3);
	assert_int_equal(f.parent, NET_FAULT_HANDLE);
	assert_int_equal(f.handle, 0x80000800);
	assert_int_equal(f.pref, 7);
	assert_int_equal(f.protocol, ETH_P_IPV6);
	assert_string_equal(f.kind, "u32");
	nlmsg_free(msg);
}

/* A journaled state's slots are checked like every other field: in range, and
 * only on a filtered fault (the journal is read again as data). */
static void test_state_slots(void **state)
{
	static const struct {
		const char *entry;
		bool filtered;
		int want;
	} cases[] = {
		{ "\"slot\": 0", true, 0 },
		{ "\"slot\": 7, \"ifb\": \"flifb3\", \"ifb_slot\": 2", true, 0 },
		{ "", true, 0 }, /* written before slots: slot 0 */
		{ "\"slot\": 8", true, -EINVAL },
		{ "\"slot\": -1", true, -EINVAL },
		{ "\"slot\": \"1\"", true, -EINVAL },
		{ "\"slot\": 0", false, -EINVAL },
		{ "\"ifb_slot\": 1", true, -EINVAL }, /* no IFB */
		{ "\"ifb\": \"flifb3\", \"ifb_slot\": 8", true, -EINVAL },
	};
	struct net_state s;
	char err[256], text[512];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(text, sizeof(text),
			 "{\"netns\": {\"path\": \"/proc/1/ns/net\", \"dev\": 4, \"ino\": 5}, "
			 "\"handle\": %u, \"root_kind\": \"%s\", %s"
			 "\"interfaces\": [{\"ifindex\": 3, \"ifname\": \"veth-a\"%s%s}]}",
			 NET_FAULT_HANDLE, cases[i].filtered ? "prio" : "netem",
			 cases[i].filtered ? "\"filter\": {\"dport\": [80]}, " : "",
			 *cases[i].entry ? ", " : "", cases[i].entry);
		json_t *j = json_loads(text, 0, NULL);
		assert_non_null(j);
		print_message("state %zu: %s\n", i, cases[i].entry);
		assert_int_equal(net_state_read(j, false, &s, err, sizeof(err)), cases[i].want);
		json_decref(j);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read),	      cmocka_unit_test(test_pick),
		cmocka_unit_test(test_delfilter_msg), cmocka_unit_test(test_parse_filter),
		cmocka_unit_test(test_state_slots),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
