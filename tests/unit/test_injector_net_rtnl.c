/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the pipelined rtnetlink requests (net_rtnl.c), against this host's
 * real kernel, in the namespace the test runs in. Nothing is changed: the
 * requests are GETs, and deletes the kernel must refuse (our handle is on no root
 * here), so every result is one the kernel decided.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "net_qdisc.h"
#include "net_rtnl.h"

/* An ifindex no device of this namespace has. */
#define NO_SUCH_INDEX(i) (0x7ffff000 - (int)(i))

static int open_fd(void)
{
	int fd = -1;

	assert_int_equal(rtnl_open(-1, &fd), 0);
	return fd;
}

/* More requests than one round (RTNL_PIPELINE_DEPTH): each answer goes to its own
 * request, in order, across rounds, successes and failures interleaved. */
static void test_links_across_rounds(void **state)
{
	enum { N = 2 * RTNL_PIPELINE_DEPTH + 5 };
	_cleanup_close_ int fd = open_fd();
	int ifindexes[N], rs[N];
	struct rtnl_link links[N];

	(void)state;
	for (int i = 0; i < N; i++)
		ifindexes[i] = i % 3 == 0 ? 1 : NO_SUCH_INDEX(i);
	assert_int_equal(rtnl_get_links(fd, ifindexes, NULL, N, links, rs), 0);
	for (int i = 0; i < N; i++) {
		if (i % 3 == 0) {
			assert_int_equal(rs[i], 0);
			assert_int_equal(links[i].ifindex, 1);
			assert_string_equal(links[i].name, "lo");
		} else {
			assert_int_equal(rs[i], -ENODEV);
		}
	}

	/* By name: the same answers as the single request gives. */
	const char *names[] = { "lo", "flnosuchdev0", "lo" };
	struct rtnl_link one;
	assert_int_equal(rtnl_get_links(fd, NULL, names, 3, links, rs), 0);
	assert_int_equal(rs[0], 0);
	assert_int_equal(rs[1], -ENODEV);
	assert_int_equal(rs[2], 0);
	assert_int_equal(rtnl_get_link(fd, 0, "lo", &one), 0);
	assert_int_equal(links[2].ifindex, one.ifindex);
	assert_int_equal(rtnl_get_link(fd, 0, "flnosuchdev0", &one), -ENODEV);
}

/* The pipelined roots agree with the single lookups. */
static void test_roots_match_single(void **state)
{
	_cleanup_close_ int fd = open_fd();
	int ifindexes[] = { 1, NO_SUCH_INDEX(0), 1 }, rs[3];
	struct qdisc_root_verdict v[3], single;

	(void)state;
	qdisc_roots_lookup(fd, ifindexes, 3, v, rs);
	assert_int_equal(rs[0], 0);
	assert_int_equal(rs[1], -ENODEV);
	assert_int_equal(rs[2], 0);
	assert_int_equal(qdisc_root_lookup(fd, 1, &single), 0);
	assert_int_equal(v[0].state, single.state);
	assert_string_equal(v[0].kind, single.kind);
	assert_int_equal(v[0].handle, single.handle);
	assert_string_equal(v[2].kind, single.kind);
	assert_int_equal(qdisc_root_lookup(fd, NO_SUCH_INDEX(0), &single), -ENODEV);
}

/* Names and indexes by ioctl, answered in the socket's namespace. */
static void test_name_and_index(void **state)
{
	_cleanup_close_ int fd = open_fd();
	char name[IFNAMSIZ];
	int ifindex = 0;

	(void)state;
	assert_int_equal(rtnl_link_index(fd, "lo", &ifindex), 0);
	assert_int_equal(ifindex, 1);
	assert_int_equal(rtnl_link_name(fd, 1, name), 0);
	assert_string_equal(name, "lo");
	assert_int_equal(rtnl_link_index(fd, "flnosuchdev0", &ifindex), -ENODEV);
	assert_int_equal(rtnl_link_name(fd, NO_SUCH_INDEX(0), name), -ENODEV);
	assert_int_equal(rtnl_link_name(fd, 0, name), -ENODEV);
}

static struct nl_msg *del_our_root(int ifindex)
{
	struct tcmsg tcm = { .tcm_family = AF_UNSPEC,
			     .tcm_ifindex = ifindex,
			     .tcm_handle = NET_FAULT_HANDLE,
			     .tcm_parent = TC_H_ROOT };
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_DELQDISC, 0);

	assert_non_null(msg);
	assert_int_equal(nlmsg_append(msg, &tcm, sizeof(tcm), NLMSG_ALIGNTO), 0);
	assert_int_equal(nla_put_string(msg, TCA_KIND, NET_FAULT_KIND), 0);
	return msg;
}

/* Requests of different kinds in one datagram: a refused one does not stop the
 * next, and each keeps its own error and the kernel's message. */
static void test_mixed_requests(void **state)
{
	_cleanup_close_ int fd = open_fd();
	struct rtnl_req reqs[3] = { 0 };
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = 1 };

	(void)state;
	reqs[0].msg = del_our_root(1); /* lo's root is not ours */
	reqs[1].msg = nlmsg_alloc_simple(RTM_GETLINK, 0);
	assert_non_null(reqs[1].msg);
	assert_int_equal(nlmsg_append(reqs[1].msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO), 0);
	reqs[2].msg = del_our_root(NO_SUCH_INDEX(0));
	assert_int_equal(rtnl_pipeline(fd, reqs, 3, NULL, NULL), 0);
	if (geteuid() == 0) {
		/* tc_get_qdisc(): the root's handle is not fa17:. */
		assert_int_equal(reqs[0].r, -EINVAL);
		assert_true(reqs[0].kmsg[0] != '\0');
		assert_int_equal(reqs[2].r, -ENODEV);
	} else {
		assert_int_equal(reqs[0].r, -EPERM);
		assert_int_equal(reqs[2].r, -EPERM);
	}
	assert_int_equal(reqs[1].r, 0);
	for (int i = 0; i < 3; i++)
		nlmsg_free(reqs[i].msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_links_across_rounds),
		cmocka_unit_test(test_roots_match_single),
		cmocka_unit_test(test_name_and_index),
		cmocka_unit_test(test_mixed_requests),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
