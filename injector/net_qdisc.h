/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Qdisc ownership for the network faults (design §3, "own what you create"): which
 * root qdiscs a fault may replace, how our own is recognised, and the messages that
 * name what is in the way. Pure functions over a dump (net_rtnl.h), so that the
 * rules are tested on synthetic dumps without a kernel, and qdisc_root_lookup(),
 * which reads one interface's root by a single request and applies the same rules.
 *
 * What a kernel default looks like. The kernel attaches a root qdisc itself when a
 * device comes up (dev_activate() -> attach_default_qdiscs()), through
 * qdisc_create_dflt(), which never gives it a handle: its handle is 0, shown by tc
 * as "0:". A qdisc that anyone creates through RTM_NEWQDISC always has a handle: one
 * asked for, or one the kernel allocates from 8001: up (qdisc_alloc_handle()), even
 * when the request said "handle 0:". So handle 0 at the root proves the kernel put
 * it there; the kernel's own tc_modify_qdisc() relies on the same fact ("It may be
 * default qdisc, ignore it"). A root of a default kind with any other handle,
 * "fq_codel 8001:" say, was configured by someone and is refused.
 *
 * Defaults we replace: noqueue (virtual devices: veth, bridges, lo), pfifo_fast
 * and fq_codel (single-queue devices, by net.core.default_qdisc), mq (multi-queue
 * devices; its per-queue children must then be the kernel's too: handle 0), and
 * noop, the placeholder of a device that has never been up, which tc does not
 * dump at all (a device with no root in the dump has it).
 *
 * Ours: kind netem, or prio for a filtered fault, with the reserved handle
 * NET_FAULT_HANDLE (fa17:). Nothing else uses that major (nor fa18:, the netem
 * under a filtered prio); the revert deletes only a root of the kind the fault
 * created with that handle, and asks the kernel to check both again as it deletes.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net_rtnl.h"

/* The handle of every qdisc a network fault creates: major 0xfa17 ("fa17:"). */
#define NET_FAULT_HANDLE 0xfa170000U
#define NET_FAULT_KIND "netem"
/* The root of a filtered fault (net_filter.h): prio fa17:, netem below it. */
#define NET_FAULT_FILTERED_KIND "prio"

enum qdisc_root_state {
	QDISC_ROOT_DEFAULT, /* a kernel default: ours to replace, and what comes back */
	QDISC_ROOT_OURS, /* netem or prio with NET_FAULT_HANDLE */
	QDISC_ROOT_FOREIGN, /* anything else: never touched */
};

struct qdisc_root_verdict {
	enum qdisc_root_state state;
	/* The root found: kind "noop" and handle 0 when the dump has none. */
	char kind[IFNAMSIZ];
	uint32_t handle;
	/* For QDISC_ROOT_FOREIGN: why, naming the qdisc ("htb 1:", "mq 0: with child
	 * fq 8002: at parent :1"). */
	char why[160];
};

/* Formats a handle as tc does: "fa17:", "0:", "1:a", ":1" (major 0, minor 1), or
 * "root". Returns buf. */
const char *qdisc_handle_format(uint32_t handle, char *buf, size_t len);

/* True when kind is one of the default root kinds listed above. */
bool qdisc_kind_is_default_root(const char *kind);

/* Classifies the root qdisc of ifindex in a dump of qs[0..n) (which may hold other
 * devices' qdiscs). Pure; never fails. */
void qdisc_root_classify(const struct rtnl_qdisc *qs, size_t n, int ifindex,
			 struct qdisc_root_verdict *ret);

/* The same for a root already found (NULL: none), whose children, if any, are in
 * qs[0..n) (the dump holding it; NULL, 0 when it was read alone). Pure. */
void qdisc_root_judge(const struct rtnl_qdisc *root, const struct rtnl_qdisc *qs, size_t n,
		      struct qdisc_root_verdict *ret);

/* True when judging root needs its children: a kernel mq (handle 0). Pure. */
bool qdisc_root_needs_children(const struct rtnl_qdisc *root);

/*
 * Classifies the root qdisc of ifindex as qdisc_root_classify() does over a full
 * dump, but at the cost of one RTM_GETQDISC (rtnl_get_qdisc()) in the common case:
 * only a kernel mq root, whose per-queue children must be checked, costs a dump of
 * the namespace's qdiscs. Returns 0, -ENODEV when the device is gone, or -errno.
 */
int qdisc_root_lookup(int fd, int ifindex, struct qdisc_root_verdict *ret);

/* The same for n interfaces at once, their GETQDISCs pipelined: ret[i] valid when
 * ret_r[i] is 0. Returns 0, or the first -errno of ret_r[] (when the transport
 * failed, its -errno). */
int qdisc_roots_lookup(int fd, const int *ifindexes, size_t n, struct qdisc_root_verdict *ret,
		       int *ret_r);
