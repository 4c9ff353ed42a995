/* SPDX-License-Identifier: Apache-2.0 */
#include "net_slot.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "net_fault.h"
#include "net_filter.h"
#include "net_qdisc.h"
#include "protocol.h"

void net_slots_read(const struct rtnl_qdisc *qs, size_t nq, const struct rtnl_filter *fs, size_t nf,
		    int ifindex, struct net_slots *ret)
{
	struct net_slots s = { 0 };

	for (size_t i = 0; i < nq; i++)
		for (unsigned k = 0; k < NET_FILTER_SLOTS; k++)
			if (qs[i].ifindex == ifindex && qs[i].handle == net_filter_slot_netem(k))
				s.used |= 1U << k;
	for (size_t i = 0; i < nf; i++) {
		unsigned pref = fs[i].pref, k;
		if (fs[i].ifindex != ifindex || fs[i].parent != NET_FAULT_HANDLE)
			continue;
		if (pref == 0 || pref > NET_FILTER_SLOTS * NET_FILTER_PREFS_PER_SLOT) {
			s.other++;
			continue;
		}
		k = (pref - 1) / NET_FILTER_PREFS_PER_SLOT;
		s.used |= 1U << k;
		if ((pref - 1) % NET_FILTER_PREFS_PER_SLOT < 2)
			s.excluding |= 1U << k;
	}
	*ret = s;
}

int net_slots_query(int fd, int ifindex, struct net_slots *ret)
{
	_cleanup_free_ struct rtnl_filter *fs = NULL;
	struct rtnl_qdisc qs[NET_FILTER_SLOTS], found[NET_FILTER_SLOTS];
	int ifindexes[NET_FILTER_SLOTS], rs[NET_FILTER_SLOTS];
	uint32_t bands[NET_FILTER_SLOTS];
	size_t nq = 0, nf = 0;
	int r;

	/* Each slot's band by a single request (no dump of the namespace's
	 * qdiscs), all of them pipelined: none there (-ENOENT), or no prio of ours
	 * to ask (-EINVAL), is no netem. */
	for (unsigned k = 0; k < NET_FILTER_SLOTS; k++) {
		ifindexes[k] = ifindex;
		bands[k] = TC_H_MAKE(NET_FAULT_HANDLE, net_filter_slot_band(k));
	}
	r = rtnl_get_qdiscs(fd, ifindexes, bands, NET_FILTER_SLOTS, found, rs);
	for (unsigned k = 0; k < NET_FILTER_SLOTS; k++) {
		if (rs[k] == -ENOENT || rs[k] == -EINVAL)
			continue;
		if (rs[k] < 0)
			return rs[k];
		qs[nq++] = found[k];
	}
	if (r < 0)
		return r;
	r = rtnl_dump_filters(fd, ifindex, NET_FAULT_HANDLE, &fs, &nf);
	if (r < 0)
		return r;
	net_slots_read(qs, nq, fs, nf, ifindex, ret);
	return 0;
}

int net_slot_pick(const struct net_slots *s, bool has_exclude, const char *ifname,
		  const char *label, unsigned *ret_slot, char *err, size_t errlen)
{
	unsigned k;

	if (s->used && has_exclude) {
		errbuf_set(err, errlen,
			   "interface %s in %s already has a filtered faultline fault; a fault "
			   "with exclusions cannot share an interface (its exclusions would "
			   "hide packets from the other fault's filters)",
			   ifname, label);
		return -EBUSY;
	}
	if (s->excluding) {
		errbuf_set(err, errlen,
			   "interface %s in %s already has a filtered faultline fault with "
			   "exclusions (slot %u); no other fault can share that interface",
			   ifname, label, (unsigned)__builtin_ctz(s->excluding));
		return -EBUSY;
	}
	for (k = 0; k < NET_FILTER_SLOTS; k++)
		if (!(s->used & (1U << k)))
			break;
	if (k == NET_FILTER_SLOTS) {
		errbuf_set(err, errlen,
			   "interface %s in %s already has %d filtered faultline faults, the "
			   "most that can share an interface",
			   ifname, label, NET_FILTER_SLOTS);
		return -EBUSY;
	}
	*ret_slot = k;
	return 0;
}

int net_build_delfilter_msg(int ifindex, uint16_t pref, uint16_t protocol, struct nl_msg **ret)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = NULL;
	struct tcmsg tcm = {
		.tcm_family = AF_UNSPEC,
		.tcm_ifindex = ifindex,
		.tcm_parent = NET_FAULT_HANDLE,
		/* Handle 0 with a pref: the whole instance at that pref. A pref of 0
		 * would be every filter of the qdisc: never sent. */
		.tcm_info = TC_H_MAKE((uint32_t)pref << 16, htons(protocol)),
	};

	if (pref == 0)
		return -EINVAL;
	msg = nlmsg_alloc_size(128);
	if (!msg || !nlmsg_put(msg, 0, 0, RTM_DELTFILTER, 0, 0) ||
	    nlmsg_append(msg, &tcm, sizeof(tcm), NLMSG_ALIGNTO) < 0 ||
	    nla_put_string(msg, TCA_KIND, "u32") < 0)
		return -ENOMEM;
	*ret = TAKE_PTR(msg);
	return 0;
}

int net_slot_remove(int fd, int ifindex, unsigned slot, char *err, size_t errlen)
{
	static const uint16_t protos[] = { ETH_P_IP, ETH_P_IPV6 };
	static const char *const what[] = { "a u32 filter", "a u32 filter", "an exclusion filter",
					    "an exclusion filter", "the netem" };
	struct rtnl_req reqs[ARRAY_SIZE(what)] = { 0 };
	struct net_u32_rule probe = { 0 };
	size_t n = 0;
	int r = 0;

	if (slot >= NET_FILTER_SLOTS)
		return -EINVAL;
	/* The filters first, so that no packet is classified to a band losing its
	 * netem, and the matches before the exclusions, so that no excluded packet
	 * is ever matched: the kernel runs the requests of one datagram in order. */
	for (int exclude = 0; r >= 0 && exclude < 2; exclude++)
		for (size_t p = 0; r >= 0 && p < ARRAY_SIZE(protos); p++) {
			probe.eth_proto = protos[p];
			r = net_build_delfilter_msg(ifindex, net_filter_pref(&probe, exclude, slot),
						    protos[p], &reqs[n].msg);
			n += r >= 0;
		}
	if (r >= 0) {
		r = net_build_qdisc_msg_at(RTM_DELQDISC, 0, ifindex, net_filter_slot_netem(slot),
					   TC_H_MAKE(NET_FAULT_HANDLE, net_filter_slot_band(slot)),
					   NET_FAULT_KIND, NULL, NULL, &reqs[n].msg);
		n += r >= 0;
	}
	if (r >= 0)
		r = rtnl_pipeline(fd, reqs, n, NULL, NULL);
	else
		errbuf_set(err, errlen, "cannot delete slot %u: %s", slot, strerror(-r));
	for (size_t i = 0; i < n; i++) {
		/* Absent already (ENOENT, or EINVAL when the parent is gone) is fine. */
		int e = reqs[i].r;
		if (r >= 0 && e < 0 && e != -ENOENT && e != -EINVAL && e != -ENODEV) {
			errbuf_set(err, errlen, "cannot delete %s of slot %u: %s%s%s", what[i],
				   slot, strerror(-e), *reqs[i].kmsg ? ": " : "", reqs[i].kmsg);
			r = e;
		}
		nlmsg_free(reqs[i].msg);
	}
	return r;
}

int net_slot_release_root(int fd, int ifindex, bool *ret_deleted, char *err, size_t errlen)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = NULL;
	struct net_slots s;
	char kmsg[256];
	int r = net_slots_query(fd, ifindex, &s);

	*ret_deleted = false;
	if (r < 0) {
		errbuf_set(err, errlen, "cannot read the filters of interface %d: %s", ifindex,
			   strerror(-r));
		return r;
	}
	if (s.used || s.other)
		return 0; /* another fault's slot, or a filter we did not add */
	r = net_build_qdisc_msg_at(RTM_DELQDISC, 0, ifindex, NET_FAULT_HANDLE, TC_H_ROOT,
				   NET_FAULT_FILTERED_KIND, NULL, NULL, &msg);
	if (r < 0)
		return r;
	r = rtnl_transact(fd, msg, kmsg, sizeof(kmsg));
	if (r == -ENOENT || r == -EINVAL || r == -ENODEV)
		return 0; /* not there, or not ours (the kernel checked kind and handle) */
	if (r < 0) {
		errbuf_set(err, errlen, "cannot delete prio fa17:: %s%s%s", strerror(-r),
			   *kmsg ? ": " : "", kmsg);
		return r;
	}
	*ret_deleted = true;
	return 0;
}
