/* SPDX-License-Identifier: Apache-2.0 */
#include "net_qdisc.h"

#include <errno.h>
#include <linux/pkt_sched.h>
#include <stdio.h>
#include <stdlib.h>

#include "macro.h"

const char *qdisc_handle_format(uint32_t handle, char *buf, size_t len)
{
	if (handle == TC_H_ROOT)
		snprintf(buf, len, "root");
	else if (TC_H_MIN(handle) == 0)
		snprintf(buf, len, "%x:", TC_H_MAJ(handle) >> 16);
	else if (TC_H_MAJ(handle) == 0)
		snprintf(buf, len, ":%x", TC_H_MIN(handle));
	else
		snprintf(buf, len, "%x:%x", TC_H_MAJ(handle) >> 16, TC_H_MIN(handle));
	return buf;
}

bool qdisc_kind_is_default_root(const char *kind)
{
	static const char *const kinds[] = { "noop", "noqueue", "pfifo_fast", "mq", "fq_codel" };

	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (streq(kind, kinds[i]))
			return true;
	return false;
}

void qdisc_root_classify(const struct rtnl_qdisc *qs, size_t n, int ifindex,
			 struct qdisc_root_verdict *ret)
{
	const struct rtnl_qdisc *root = NULL;

	for (size_t i = 0; i < n; i++)
		if (qs[i].ifindex == ifindex && qs[i].parent == TC_H_ROOT) {
			root = &qs[i];
			break;
		}
	qdisc_root_judge(root, qs, n, ret);
}

void qdisc_root_judge(const struct rtnl_qdisc *root, const struct rtnl_qdisc *qs, size_t n,
		      struct qdisc_root_verdict *ret)
{
	struct qdisc_root_verdict v = { .state = QDISC_ROOT_DEFAULT, .kind = "noop" };
	char h[16], ch[16], ph[16];

	if (!root) {
		/* No root in the dump: the builtin noop of a device never brought up,
		 * which tc_dump_qdisc() skips. The kernel attaches the default when
		 * the device comes up, and again after our root is deleted. */
		*ret = v;
		return;
	}
	snprintf(v.kind, sizeof(v.kind), "%s", root->kind);
	v.handle = root->handle;
	qdisc_handle_format(root->handle, h, sizeof(h));

	if (root->handle == NET_FAULT_HANDLE &&
	    (streq(root->kind, NET_FAULT_KIND) || streq(root->kind, NET_FAULT_FILTERED_KIND))) {
		v.state = QDISC_ROOT_OURS;
		*ret = v;
		return;
	}
	if (root->handle != 0 || !qdisc_kind_is_default_root(root->kind)) {
		v.state = QDISC_ROOT_FOREIGN;
		if (root->handle == NET_FAULT_HANDLE)
			snprintf(v.why, sizeof(v.why),
				 "%s %s (faultline's reserved handle, but not its netem)",
				 root->kind, h);
		else if (root->handle == 0)
			snprintf(v.why, sizeof(v.why),
				 "%s %s (a kernel default faultline does not replace; it replaces "
				 "noqueue, pfifo_fast, fq_codel and mq)",
				 root->kind, h);
		else
			snprintf(v.why, sizeof(v.why), "%s %s", root->kind, h);
		*ret = v;
		return;
	}
	/* An mq root of the kernel's is only a default while each of its per-queue
	 * children is the kernel's too: someone may have replaced one (parent :N).
	 * Replacing the root would destroy their qdisc with it. */
	for (size_t i = 0; i < n; i++) {
		const struct rtnl_qdisc *q = &qs[i];
		if (q == root || q->ifindex != root->ifindex || q->parent == TC_H_ROOT ||
		    q->parent == TC_H_INGRESS || TC_H_MAJ(q->parent) != TC_H_MAJ(root->handle) ||
		    q->handle == 0)
			continue;
		v.state = QDISC_ROOT_FOREIGN;
		snprintf(v.why, sizeof(v.why), "%s %s with child %s %s at parent %s", root->kind, h,
			 q->kind, qdisc_handle_format(q->handle, ch, sizeof(ch)),
			 qdisc_handle_format(q->parent, ph, sizeof(ph)));
		break;
	}
	*ret = v;
}

bool qdisc_root_needs_children(const struct rtnl_qdisc *root)
{
	/* Of the default kinds, only mq has child qdiscs (one per tx queue); the
	 * others are classless, or have classes without qdiscs (fq_codel). */
	return root && root->handle == 0 && streq(root->kind, "mq");
}

int qdisc_roots_lookup(int fd, const int *ifindexes, size_t n, struct qdisc_root_verdict *ret,
		       int *ret_r)
{
	_cleanup_free_ struct rtnl_qdisc *roots = calloc(n ?: 1, sizeof(*roots));
	_cleanup_free_ uint32_t *parents = calloc(n ?: 1, sizeof(*parents));
	_cleanup_free_ struct rtnl_qdisc *qs = NULL;
	size_t nq = 0;
	bool dumped = false;
	int r, first = 0;

	if (!roots || !parents) {
		for (size_t i = 0; i < n; i++)
			ret_r[i] = -ENOMEM;
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		parents[i] = TC_H_ROOT;
	r = rtnl_get_qdiscs(fd, ifindexes, parents, n, roots, ret_r);
	for (size_t i = 0; i < n; i++) {
		if (ret_r[i] == -ENOENT) {
			qdisc_root_judge(NULL, NULL, 0, &ret[i]);
			ret_r[i] = 0;
		} else if (ret_r[i] == 0 && !qdisc_root_needs_children(&roots[i])) {
			qdisc_root_judge(&roots[i], NULL, 0, &ret[i]);
		} else if (ret_r[i] == 0) {
			/* A kernel mq: whether each per-queue child is the kernel's too
			 * is read from a dump (multi-queue devices are physical ones,
			 * which are few), once for all. */
			if (!dumped)
				ret_r[i] = rtnl_dump_qdiscs(fd, &qs, &nq);
			dumped = ret_r[i] == 0;
			if (dumped)
				qdisc_root_classify(qs, nq, ifindexes[i], &ret[i]);
		}
		first = first ?: ret_r[i];
	}
	return r < 0 ? r : first;
}

int qdisc_root_lookup(int fd, int ifindex, struct qdisc_root_verdict *ret)
{
	struct qdisc_root_verdict v;
	int e, r = qdisc_roots_lookup(fd, &ifindex, 1, &v, &e);

	if (r >= 0)
		*ret = v;
	return r;
}
