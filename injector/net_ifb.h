/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Ingress for the network fault (design §4, direction ingress | both). netem acts
 * on a device's egress only, so what an interface receives is first redirected to
 * an IFB device, whose egress then carries the fault:
 *
 *   interface X:  ingress qdisc ffff:  +  u32 "match all" (pref 1, protocol all)
 *                                         action mirred egress redirect dev flifbN
 *   flifbN (ifb): netem (or the filtered prio of net_filter.h) at its root
 *
 * Ownership: the IFB's name is reserved, "flifb" followed by X's ifindex in decimal
 * (one IFB per interface and namespace: filtered faults share it, each in a slot
 * of the prio at its root, net_slot.h; the last revert removes it), and is in
 * the plan, so the journal's intent record holds it before the device exists and
 * recovery removes it after a crash at any point. The ingress qdisc is created
 * only where X has no ingress or clsact qdisc (validation refuses otherwise, and
 * the kernel refuses a second one, NLM_F_EXCL); the revert deletes it by kind, and
 * the IFB by its reserved name, which takes its qdiscs with it.
 *
 * The message builders are pure (unit-tested); the rest sends them on an rtnl
 * socket (net_rtnl.h) of the target namespace.
 */
#pragma once

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net_rtnl.h"

struct nl_msg;

#define NET_IFB_PREFIX "flifb"
#define NET_INGRESS_HANDLE 0xffff0000U /* ffff: */

/* "flifb" + ifindex: at most 15 characters. Returns buf. */
const char *net_ifb_name(int ifindex, char buf[IFNAMSIZ]);

/* True when name is one of ours: the prefix, then a decimal ifindex. */
bool net_ifb_name_is_ours(const char *name);

/* True when ifindex has an ingress-side qdisc (ingress or clsact) in qs. */
bool net_has_ingress_qdisc(const struct rtnl_qdisc *qs, size_t n, int ifindex);

/* The same for one interface, by a single request (rtnl_get_qdisc()): 0 and
 * *ret_present, or -errno (-ENODEV: the device is gone). */
int net_ingress_lookup(int fd, int ifindex, bool *ret_present);

/* Whether a device of the primary name name exists, by a single RTM_GETLINK: 0 and
 * *ret_taken, or -errno. */
int net_link_name_taken(int fd, const char *name, bool *ret_taken);

/* RTM_NEWLINK (NLM_F_CREATE | NLM_F_EXCL) of an ifb named name, up. */
int net_build_ifb_newlink(const char *name, struct nl_msg **ret);
/* RTM_DELLINK of the device named name. */
int net_build_dellink(const char *name, struct nl_msg **ret);
/* RTM_NEWQDISC (create, exclusive) or RTM_DELQDISC of the ingress qdisc of ifindex. */
int net_build_ingress_msg(int type, int ifindex, struct nl_msg **ret);
/* RTM_NEWTFILTER at ingress of ifindex: every packet to the egress of ifb_ifindex. */
int net_build_mirred_msg(int ifindex, int ifb_ifindex, struct nl_msg **ret);

/* Creates the IFB named name (up) and returns its ifindex. -EEXIST when a device
 * of that name is there already. Errors in err, naming the missing module. */
int net_ifb_create(int fd, const char *name, int *ret_ifindex, char *err, size_t errlen);

/* The ingress qdisc on ifindex and the redirect to ifb_ifindex. On failure the
 * ingress qdisc is removed again. */
int net_ifb_redirect(int fd, int ifindex, const char *ifname, int ifb_ifindex, char *err,
		     size_t errlen);

/* When the IFB named name exists: removes the ingress qdisc of ifindex (with it the
 * redirect), then the IFB. Sets *ret_removed to whether the IFB was there. 0, or
 * -errno with err. */
int net_ifb_remove(int fd, int ifindex, const char *name, bool *ret_removed, char *err,
		   size_t errlen);
