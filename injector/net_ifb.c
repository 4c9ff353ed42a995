/* SPDX-License-Identifier: Apache-2.0 */
#include "net_ifb.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_mirred.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"

const char *net_ifb_name(int ifindex, char buf[IFNAMSIZ])
{
	snprintf(buf, IFNAMSIZ, NET_IFB_PREFIX "%d", ifindex);
	return buf;
}

bool net_ifb_name_is_ours(const char *name)
{
	const char *p = name + strlen(NET_IFB_PREFIX);

	if (strncmp(name, NET_IFB_PREFIX, strlen(NET_IFB_PREFIX)) != 0 || *p < '1' || *p > '9')
		return false;
	for (; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return strlen(name) < IFNAMSIZ;
}

bool net_has_ingress_qdisc(const struct rtnl_qdisc *qs, size_t n, int ifindex)
{
	for (size_t i = 0; i < n; i++)
		if (qs[i].ifindex == ifindex && qs[i].parent == TC_H_INGRESS)
			return true; /* ingress and clsact both sit at ffff:fff1 */
	return false;
}

int net_ingress_lookup(int fd, int ifindex, bool *ret_present)
{
	struct rtnl_qdisc q;
	int r = rtnl_get_qdisc(fd, ifindex, TC_H_INGRESS, &q);

	if (r < 0 && r != -ENOENT)
		return r;
	*ret_present = r == 0;
	return 0;
}

int net_link_name_taken(int fd, const char *name, bool *ret_taken)
{
	struct rtnl_link l;
	int r = rtnl_get_link(fd, 0, name, &l);

	if (r < 0 && r != -ENODEV)
		return r;
	*ret_taken = r == 0;
	return 0;
}

static int link_msg(int type, int flags, const char *name, unsigned up, struct nl_msg **ret)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = nlmsg_alloc_size(256);
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_flags = up, .ifi_change = up };

	if (!msg || !nlmsg_put(msg, 0, 0, type, 0, flags) ||
	    nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    nla_put_string(msg, IFLA_IFNAME, name) < 0)
		return -ENOMEM;
	*ret = TAKE_PTR(msg);
	return 0;
}

int net_build_ifb_newlink(const char *name, struct nl_msg **ret)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = NULL;
	struct nlattr *info;
	int r = link_msg(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, name, IFF_UP, &msg);

	if (r < 0)
		return r;
	if (!(info = nla_nest_start(msg, IFLA_LINKINFO)) ||
	    nla_put_string(msg, IFLA_INFO_KIND, "ifb") < 0 || nla_nest_end(msg, info) < 0)
		return -ENOMEM;
	*ret = TAKE_PTR(msg);
	return 0;
}

int net_build_dellink(const char *name, struct nl_msg **ret)
{
	return link_msg(RTM_DELLINK, 0, name, 0, ret);
}

int net_build_ingress_msg(int type, int ifindex, struct nl_msg **ret)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = nlmsg_alloc_size(256);
	struct tcmsg tcm = {
		.tcm_family = AF_UNSPEC,
		.tcm_ifindex = ifindex,
		.tcm_handle = NET_INGRESS_HANDLE,
		.tcm_parent = TC_H_INGRESS,
	};

	if (!msg ||
	    !nlmsg_put(msg, 0, 0, type, 0, type == RTM_NEWQDISC ? NLM_F_CREATE | NLM_F_EXCL : 0) ||
	    nlmsg_append(msg, &tcm, sizeof(tcm), NLMSG_ALIGNTO) < 0 ||
	    nla_put_string(msg, TCA_KIND, "ingress") < 0)
		return -ENOMEM;
	*ret = TAKE_PTR(msg);
	return 0;
}

int net_build_mirred_msg(int ifindex, int ifb_ifindex, struct nl_msg **ret)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = nlmsg_alloc_size(512);
	struct tcmsg tcm = {
		.tcm_family = AF_UNSPEC,
		.tcm_ifindex = ifindex,
		.tcm_parent = NET_INGRESS_HANDLE,
		.tcm_info = TC_H_MAKE(1U << 16, htons(ETH_P_ALL)),
	};
	/* One key that every packet matches (u32 needs a key): mask 0, value 0. */
	uint32_t sel_buf[(sizeof(struct tc_u32_sel) + sizeof(struct tc_u32_key)) /
			 sizeof(uint32_t)] = { 0 };
	struct tc_u32_sel *sel = (struct tc_u32_sel *)sel_buf;
	struct tc_mirred m = {
		.action = TC_ACT_STOLEN,
		.eaction = TCA_EGRESS_REDIR,
		.ifindex = (uint32_t)ifb_ifindex,
	};
	struct nlattr *opts, *acts, *act, *aopts;

	sel->flags = TC_U32_TERMINAL;
	sel->nkeys = 1;
	if (!msg || !nlmsg_put(msg, 0, 0, RTM_NEWTFILTER, 0, NLM_F_CREATE | NLM_F_EXCL) ||
	    nlmsg_append(msg, &tcm, sizeof(tcm), NLMSG_ALIGNTO) < 0 ||
	    nla_put_string(msg, TCA_KIND, "u32") < 0 ||
	    !(opts = nla_nest_start(msg, TCA_OPTIONS)) ||
	    nla_put(msg, TCA_U32_SEL, sizeof(sel_buf), sel_buf) < 0 ||
	    !(acts = nla_nest_start(msg, TCA_U32_ACT)) || !(act = nla_nest_start(msg, 1)) ||
	    nla_put_string(msg, TCA_ACT_KIND, "mirred") < 0 ||
	    !(aopts = nla_nest_start(msg, TCA_ACT_OPTIONS)) ||
	    nla_put(msg, TCA_MIRRED_PARMS, sizeof(m), &m) < 0 || nla_nest_end(msg, aopts) < 0 ||
	    nla_nest_end(msg, act) < 0 || nla_nest_end(msg, acts) < 0 ||
	    nla_nest_end(msg, opts) < 0)
		return -ENOMEM;
	*ret = TAKE_PTR(msg);
	return 0;
}

/* Sends msg; -ENOENT/-EOPNOTSUPP name module, other errors what. */
static int send_step(int fd, struct nl_msg *msg, const char *what, const char *module, char *err,
		     size_t errlen)
{
	char kmsg[256];
	int r = rtnl_transact(fd, msg, kmsg, sizeof(kmsg));

	if (r == -ENOENT || r == -EOPNOTSUPP)
		errbuf_set(err, errlen, "%s: %s is not available in this kernel (modprobe %s)%s%s",
			   what, module, module, *kmsg ? ": " : "", kmsg);
	else if (r < 0)
		errbuf_set(err, errlen, "%s: %s%s%s", what, strerror(-r), *kmsg ? ": " : "", kmsg);
	return r;
}

int net_ifb_create(int fd, const char *name, int *ret_ifindex, char *err, size_t errlen)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = NULL;
	struct rtnl_link l;
	char what[64];
	int r;

	snprintf(what, sizeof(what), "cannot create the IFB device %s", name);
	r = net_build_ifb_newlink(name, &msg);
	if (r < 0)
		return r;
	r = send_step(fd, msg, what, "ifb", err, errlen);
	if (r == -EEXIST)
		errbuf_set(err, errlen,
			   "%s: a device of that name exists already (left by a crash? run "
			   "faultline recover)",
			   what);
	if (r < 0)
		return r;
	r = rtnl_get_link(fd, 0, name, &l);
	if (r >= 0) {
		*ret_ifindex = l.ifindex;
		return 0;
	}
	if (r == -ENODEV)
		errbuf_set(err, errlen, "the IFB device %s vanished after its creation", name);
	else
		errbuf_set(err, errlen, "cannot read back the IFB device %s: %s", name,
			   strerror(-r));
	return r;
}

int net_ifb_redirect(int fd, int ifindex, const char *ifname, int ifb_ifindex, char *err,
		     size_t errlen)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = NULL;
	char what[96];
	int r;

	snprintf(what, sizeof(what), "cannot add the ingress qdisc to %s", ifname);
	r = net_build_ingress_msg(RTM_NEWQDISC, ifindex, &msg);
	if (r < 0)
		return r;
	r = send_step(fd, msg, what, "sch_ingress", err, errlen);
	if (r < 0)
		return r;
	nlmsg_free(TAKE_PTR(msg));
	snprintf(what, sizeof(what), "cannot redirect the ingress of %s to its IFB", ifname);
	r = net_build_mirred_msg(ifindex, ifb_ifindex, &msg);
	if (r >= 0)
		r = send_step(fd, msg, what, "act_mirred", err, errlen);
	if (r < 0) {
		nlmsg_free(TAKE_PTR(msg));
		if (net_build_ingress_msg(RTM_DELQDISC, ifindex, &msg) >= 0)
			(void)rtnl_transact(fd, msg, NULL, 0);
	}
	return r;
}

int net_ifb_remove(int fd, int ifindex, const char *name, bool *ret_removed, char *err,
		   size_t errlen)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = NULL;
	bool present = false;
	char kmsg[256];
	int r;

	/* The IFB is created before the ingress qdisc: without it, the ingress
	 * qdisc on the interface was never ours (a crash before it was added), and
	 * whatever ingress qdisc is there now is someone else's. */
	r = net_link_name_taken(fd, name, &present);
	if (r < 0) {
		errbuf_set(err, errlen, "cannot read the interfaces: %s", strerror(-r));
		return r;
	}
	*ret_removed = false;
	if (!present)
		return 0;

	/* The ingress qdisc first: with it go the filter and the redirect, so no
	 * packet is sent to a device about to vanish. Absent (never added, or the
	 * interface is gone) is not an error. */
	r = net_build_ingress_msg(RTM_DELQDISC, ifindex, &msg);
	if (r < 0)
		return r;
	r = rtnl_transact(fd, msg, kmsg, sizeof(kmsg));
	if (r < 0 && r != -ENOENT && r != -EINVAL && r != -ENODEV) {
		errbuf_set(err, errlen, "cannot delete the ingress qdisc of interface %d: %s%s%s",
			   ifindex, strerror(-r), *kmsg ? ": " : "", kmsg);
		return r;
	}
	nlmsg_free(TAKE_PTR(msg));
	r = net_build_dellink(name, &msg);
	if (r < 0)
		return r;
	r = rtnl_transact(fd, msg, kmsg, sizeof(kmsg));
	if (r < 0 && r != -ENODEV) {
		errbuf_set(err, errlen, "cannot delete the IFB device %s: %s%s%s", name,
			   strerror(-r), *kmsg ? ": " : "", kmsg);
		return r;
	}
	*ret_removed = r == 0;
	return 0;
}
