/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Slots of the shared filtered root (net_filter.h): up to NET_FILTER_SLOTS
 * filtered network faults on one interface (same namespace, same direction), each
 * with its own band, netem (fa18+k:) and u32 preferences (4k+1 .. 4k+4) under the
 * one prio fa17:.
 *
 * Nothing is counted in memory. Which slots are taken is read from the kernel,
 * every time: slot k is in use while its netem or any filter at its preferences
 * is on the interface. So a revert, whether by a live session or by crash
 * recovery replaying the journal in any order, removes its own slot and then
 * deletes the root only when the kernel shows nothing else under it: the last
 * revert leaves the interface as it was before the first apply.
 *
 * The pure parts (net_slots_read, net_slot_pick, the message builder) are unit
 * tested on synthetic dumps; the rest sends requests on an rtnl socket of the
 * target namespace (net_rtnl.h).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net_rtnl.h"

struct nl_msg;

struct net_slots {
	uint32_t used; /* bit k: slot k's netem or one of its filters is there */
	uint32_t excluding; /* bit k: slot k has exclusion filters */
	size_t other; /* filters at fa17: outside every slot's preferences */
};

/* The slots of ifindex from a qdisc dump (any devices) and the filters at fa17:
 * of ifindex. Pure; never fails. */
void net_slots_read(const struct rtnl_qdisc *qs, size_t nq, const struct rtnl_filter *fs, size_t nf,
		    int ifindex, struct net_slots *ret);

/* The same, asking the kernel. 0 or -errno. */
int net_slots_query(int fd, int ifindex, struct net_slots *ret);

/* The lowest free slot for a new filtered fault (with exclusions or not) on
 * ifname. -EBUSY with a message when every slot is taken, when the new fault has
 * exclusions and another slot is in use, or when a fault in use has exclusions
 * (an exclusion is terminal: it would hide packets from the other's filters). */
int net_slot_pick(const struct net_slots *s, bool has_exclude, const char *ifname,
		  const char *label, unsigned *ret_slot, char *err, size_t errlen);

/* RTM_DELTFILTER of the whole u32 instance at pref and protocol (host order)
 * under fa17: of ifindex. */
int net_build_delfilter_msg(int ifindex, uint16_t pref, uint16_t protocol, struct nl_msg **ret);

/* Removes slot's filters (first, so no packet is classified to a band losing its
 * netem) and then its netem from ifindex. What is absent already is fine. 0, or
 * -errno with err. */
int net_slot_remove(int fd, int ifindex, unsigned slot, char *err, size_t errlen);

/* When no slot and no other filter is left under our prio root of ifindex,
 * deletes the root (the kernel checks its handle and kind again). Sets
 * *ret_deleted. 0, or -errno with err. */
int net_slot_release_root(int fd, int ifindex, bool *ret_deleted, char *err, size_t errlen);
