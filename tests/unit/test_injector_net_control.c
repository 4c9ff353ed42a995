/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for net_control.c: which network faults in the injector's own
 * namespace keep a TCP control peer out, and which are refused. The detection
 * itself (a TCP stdin) is tested in tests/integration/test_network_control.sh.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "macro.h"
#include "net_control.h"

static int check(const char *filter_json, bool egress, bool ingress, bool own, const char *ifname,
		 char *err, size_t errlen)
{
	const char *names[] = { ifname };
	struct net_filter f;
	char why[256];

	if (filter_json) {
		json_t *v = json_loads(filter_json, 0, NULL);
		assert_non_null(v);
		assert_int_equal(net_filter_from_json(v, &f, why, sizeof(why)), 0);
		json_decref(v);
	}
	return net_control_check(filter_json ? &f : NULL, egress, ingress, own, names, 1, err,
				 errlen);
}

static void test_rules(void **state)
{
	char err[512];

	(void)state;
	/* No peer known: a local channel, nothing to protect. */
	assert_int_equal(net_control_set_peer(NULL, NULL), 0);
	assert_int_equal(check(NULL, true, false, true, "eth0", err, sizeof(err)), 0);

	assert_int_equal(net_control_set_peer("10.1.2.3", "ssh"), 0);
	assert_int_equal(check(NULL, true, false, true, "eth0", err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "control connection is ssh from 10.1.2.3"));
	assert_non_null(strstr(err, "exclude: {dst: 10.1.2.3}"));
	/* another namespace: not ours to cut */
	assert_int_equal(check(NULL, true, false, false, "eth0", err, sizeof(err)), 0);
	/* excluded by address, or never matched */
	assert_int_equal(check("{\"exclude\": {\"dst\": [\"10.1.0.0/16\"]}}", true, false, true,
			       "eth0", err, sizeof(err)),
			 0);
	assert_int_equal(
		check("{\"dst\": [\"10.9.0.0/16\"]}", true, false, true, "eth0", err, sizeof(err)),
		0);
	/* matched, or excluded only for some ports: refused */
	assert_int_equal(
		check("{\"dst\": [\"10.0.0.0/8\"]}", true, false, true, "eth0", err, sizeof(err)),
		-EPERM);
	assert_int_equal(check("{\"exclude\": {\"dst\": [\"10.1.2.3\"], \"dport\": [22]}}", true,
			       false, true, "eth0", err, sizeof(err)),
			 -EPERM);
	assert_int_equal(check("{\"dport\": [5432]}", true, false, true, "eth0", err, sizeof(err)),
			 -EPERM);
	/* ingress looks at src; both at both */
	assert_int_equal(check("{\"exclude\": {\"dst\": [\"10.1.2.3\"]}}", false, true, true,
			       "eth0", err, sizeof(err)),
			 -EPERM);
	assert_non_null(strstr(err, "exclude: {src: 10.1.2.3}"));
	assert_int_equal(check("{\"exclude\": {\"src\": [\"10.1.2.3\"]}}", false, true, true,
			       "eth0", err, sizeof(err)),
			 0);
	assert_int_equal(check("{\"exclude\": {\"src\": [\"10.1.2.3\"]}}", true, true, true, "eth0",
			       err, sizeof(err)),
			 -EPERM);
	/* IPv6 */
	assert_int_equal(net_control_set_peer("fd00::5", "tcp stdin"), 0);
	assert_int_equal(
		check("{\"dst\": [\"10.0.0.0/8\"]}", true, false, true, "eth0", err, sizeof(err)),
		0);
	assert_int_equal(
		check("{\"dst\": [\"fd00::/64\"]}", true, false, true, "eth0", err, sizeof(err)),
		-EPERM);
	/* a loopback peer is only at risk on lo */
	assert_int_equal(net_control_set_peer("127.0.0.1", "tcp stdin"), 0);
	assert_int_equal(check(NULL, true, false, true, "eth0", err, sizeof(err)), 0);
	assert_int_equal(check(NULL, true, false, true, "lo", err, sizeof(err)), -EPERM);
	assert_int_equal(net_control_set_peer("10.0.0.0/8", "ssh"), -EINVAL);
	net_control_set_peer(NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
