/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The network fault's apply and revert (validation is net_fault.c). Per interface
 * of the plan: the egress root (netem, or the filtered prio of net_filter.h), then
 * the ingress through an IFB (net_ifb.h). Each step undoes its own partial work on
 * failure; the revert deletes by handle and kind, so the kernel checks ownership
 * again, and reads the result back.
 */
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "net_fault.h"
#include "net_fault_impl.h"
#include "net_ifb.h"
#include "net_qdisc.h"
#include "net_slot.h"
#include "protocol.h"

/* A socket in the namespace of ref; the caller closes it. */
int net_open_rtnl(const struct netns_ref *ref, bool search, int *ret_fd, char *err, size_t errlen)
{
	_cleanup_close_ int nsfd = -1;
	int r = netns_ref_open(ref, search, &nsfd);

	if (r == -ENOENT) {
		errbuf_set(err, errlen, "%s (%s) no longer exists", ref->label, ref->path);
		return r;
	}
	if (r < 0) {
		errbuf_set(err, errlen, "cannot open %s (%s): %s", ref->label, ref->path,
			   strerror(-r));
		return r;
	}
	r = rtnl_open(nsfd, ret_fd);
	if (r < 0)
		errbuf_set(err, errlen, "cannot open a netlink socket in %s: %s", ref->label,
			   strerror(-r));
	return r;
}

const struct rtnl_link *net_link_by_name(const struct rtnl_link *l, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (streq(l[i].name, name))
			return &l[i];
	return NULL;
}

int net_state_read(const json_t *state, bool need_netem, struct net_state *ret, char *err,
		   size_t errlen)
{
	struct net_state s = { 0 };
	char why[256];
	size_t i;
	json_t *e;

	if (netns_ref_from_json(json_object_get(state, "netns"), &s.ref) < 0 ||
	    json_integer_value(json_object_get(state, "handle")) != (json_int_t)NET_FAULT_HANDLE ||
	    !json_is_array(json_object_get(state, "interfaces")) ||
	    json_array_size(json_object_get(state, "interfaces")) > NET_MAX_INTERFACES) {
		errbuf_set(err, errlen, "malformed network fault state");
		return -EINVAL;
	}
	s.interfaces = json_object_get(state, "interfaces");
	/* Journals written before filters existed have no root_kind: netem. */
	s.root_kind = json_string_value(json_object_get(state, "root_kind")) ?: NET_FAULT_KIND;
	if (!streq(s.root_kind, NET_FAULT_KIND) && !streq(s.root_kind, NET_FAULT_FILTERED_KIND)) {
		errbuf_set(err, errlen, "malformed network fault state: root_kind");
		return -EINVAL;
	}
	s.filtered = streq(s.root_kind, NET_FAULT_FILTERED_KIND);
	if (s.filtered != !!json_object_get(state, "filter")) {
		errbuf_set(err, errlen, "malformed network fault state: filter");
		return -EINVAL;
	}
	json_array_foreach(s.interfaces, i, e) {
		json_int_t ifindex = json_integer_value(json_object_get(e, "ifindex"));
		const json_t *ifb = json_object_get(e, "ifb");
		const json_t *slot = json_object_get(e, "slot");
		const json_t *ifb_slot = json_object_get(e, "ifb_slot");
		char want[IFNAMSIZ];
		if ((slot &&
		     (!s.filtered || !json_is_integer(slot) || json_integer_value(slot) < 0 ||
		      json_integer_value(slot) >= NET_FILTER_SLOTS)) ||
		    (ifb_slot && (!s.filtered || !ifb || !json_is_integer(ifb_slot) ||
				  json_integer_value(ifb_slot) < 0 ||
				  json_integer_value(ifb_slot) >= NET_FILTER_SLOTS))) {
			errbuf_set(err, errlen, "malformed slot in the network fault state");
			return -EINVAL;
		}
		if (ifindex <= 0 || ifindex > INT32_MAX ||
		    !net_ifname_valid(json_string_value(json_object_get(e, "ifname"))) ||
		    (ifb &&
		     !streq(json_string_value(ifb) ?: "", net_ifb_name((int)ifindex, want)))) {
			errbuf_set(err, errlen, "malformed interface in the network fault state");
			return -EINVAL;
		}
	}
	if (need_netem && netem_params_from_json(json_object_get(state, "netem"), &s.netem, why,
						 sizeof(why)) < 0) {
		errbuf_set(err, errlen, "netem: %s", why);
		return -EINVAL;
	}
	if (need_netem && s.filtered &&
	    net_filter_from_json(json_object_get(state, "filter"), &s.filter, why, sizeof(why)) <
		    0) {
		errbuf_set(err, errlen, "%s", why);
		return -EINVAL;
	}
	*ret = s;
	return 0;
}

int net_build_qdisc_msg(int type, int flags, int ifindex, const struct netem_params *netem,
			const struct psched *ps, struct nl_msg **ret)
{
	return net_build_qdisc_msg_at(type, flags, ifindex, NET_FAULT_HANDLE, TC_H_ROOT,
				      NET_FAULT_KIND, netem, ps, ret);
}

int net_build_qdisc_msg_at(int type, int flags, int ifindex, uint32_t handle, uint32_t parent,
			   const char *kind, const struct netem_params *netem,
			   const struct psched *ps, struct nl_msg **ret)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = NULL;
	struct tcmsg tcm = {
		.tcm_family = AF_UNSPEC,
		.tcm_ifindex = ifindex,
		.tcm_handle = handle,
		.tcm_parent = parent,
	};
	size_t size = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(tcm)) + nla_total_size(strlen(kind) + 1) +
		      (netem ? netem_options_size(netem) : 0) + 64;
	int r;

	msg = nlmsg_alloc_size(size);
	if (!msg || !nlmsg_put(msg, 0, 0, type, 0, flags))
		return -ENOMEM;
	r = nlmsg_append(msg, &tcm, sizeof(tcm), NLMSG_ALIGNTO);
	if (r >= 0)
		r = nla_put_string(msg, TCA_KIND, kind);
	if (r < 0)
		return -EMSGSIZE;
	if (netem) {
		r = netem_put_options(msg, netem, ps);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(msg);
	return 0;
}

/* Why RTM_NEWQDISC failed, in words for the operator. */
static void explain_add_error(int r, const char *kmsg, const char *ifname, int fd, int ifindex,
			      char *err, size_t errlen)
{
	struct qdisc_root_verdict v;

	if (r == -ENOENT) {
		errbuf_set(err, errlen,
			   "sch_netem is not available in this kernel (modprobe sch_netem)%s%s",
			   *kmsg ? ": " : "", kmsg);
		return;
	}
	if (r == -EEXIST && qdisc_root_lookup(fd, ifindex, &v) == 0) {
		char h[16];
		if (v.state != QDISC_ROOT_FOREIGN)
			snprintf(v.why, sizeof(v.why), "%s %s", v.kind,
				 qdisc_handle_format(v.handle, h, sizeof(h)));
		errbuf_set(err, errlen,
			   "interface %s: the root qdisc changed since validation, to %s; "
			   "refusing to replace it",
			   ifname, v.why);
		return;
	}
	errbuf_set(err, errlen, "cannot add netem at the root of %s: %s%s%s", ifname, strerror(-r),
		   *kmsg ? ": " : "", kmsg);
}

/* Sends msg; on failure says what step failed on ifname, naming a missing module. */
static int step(int fd, struct nl_msg *msg, const char *what, const char *module,
		const char *ifname, char *err, size_t errlen)
{
	char kmsg[256];
	int r = rtnl_transact(fd, msg, kmsg, sizeof(kmsg));

	if (r == -ENOENT)
		errbuf_set(err, errlen,
			   "%s is not available in this kernel (modprobe %s), needed on %s%s%s",
			   module, module, ifname, *kmsg ? ": " : "", kmsg);
	else if (r < 0)
		errbuf_set(err, errlen, "cannot add %s on %s: %s%s%s", what, ifname, strerror(-r),
			   *kmsg ? ": " : "", kmsg);
	return r;
}

/* The slot of an interface of the plan (net_slot.h); plans written before slots
 * existed have none: the layout they made is slot 0's. net_state_read() checked
 * the range. */
static unsigned entry_slot(const json_t *e)
{
	return (unsigned)json_integer_value(json_object_get(e, "slot"));
}

/* Our prio root on ifindex: created (the kernel refuses, EEXIST, unless a default
 * is there), or found there already, for other filtered faults to share. */
static int ensure_prio_root(int fd, int ifindex, const char *ifname, char *err, size_t errlen)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = NULL;
	struct qdisc_root_verdict v;
	char kmsg[256];
	int r = net_build_prio_msg(ifindex, &msg);

	if (r < 0)
		return r;
	r = rtnl_transact(fd, msg, kmsg, sizeof(kmsg));
	if (r == -ENOENT) {
		errbuf_set(err, errlen,
			   "sch_prio is not available in this kernel (modprobe sch_prio)%s%s",
			   *kmsg ? ": " : "", kmsg);
		return r;
	}
	if (r == -EEXIST && qdisc_root_lookup(fd, ifindex, &v) == 0) {
		if (v.state == QDISC_ROOT_OURS && streq(v.kind, NET_FAULT_FILTERED_KIND))
			return 0; /* shared with the faults already in its slots */
	}
	if (r < 0)
		explain_add_error(r, kmsg, ifname, fd, ifindex, err, errlen);
	return r;
}

/* The filtered layout of net_filter.h on one interface, in slot: the prio root
 * (ours already, or created), netem on the slot's band, then the exclusions and
 * the matches at the slot's preferences. On failure what this call added goes
 * again: the slot's filters and netem, and the root when no other slot uses it. */
static int apply_filtered(int fd, int ifindex, const char *ifname, const struct net_state *s,
			  unsigned slot, const struct psched *ps, char *err, size_t errlen)
{
	_cleanup_free_ struct net_u32_rule *rules = calloc(NET_FILTER_MAX_RULES, sizeof(*rules));
	_cleanup_(nlmsg_freep) struct nl_msg *msg = NULL;
	char kmsg[256];
	bool netem_added = false, deleted;
	int r, n;

	if (!rules)
		return -ENOMEM;
	r = ensure_prio_root(fd, ifindex, ifname, err, errlen);
	if (r < 0)
		return r;
	r = net_build_qdisc_msg_at(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, ifindex,
				   net_filter_slot_netem(slot),
				   TC_H_MAKE(NET_FAULT_HANDLE, net_filter_slot_band(slot)),
				   NET_FAULT_KIND, &s->netem, ps, &msg);
	if (r >= 0)
		r = step(fd, msg, "netem", "sch_netem", ifname, err, errlen);
	if (r == -EEXIST)
		errbuf_set(err, errlen,
			   "interface %s: slot %u of faultline's prio fa17: was taken by another "
			   "filtered fault since validation",
			   ifname, slot);
	netem_added = r >= 0;
	for (int side = 0; r >= 0 && side < 2; side++) {
		bool exclude = side == 0;
		if (exclude && !s->filter.has_exclude)
			continue;
		n = net_filter_expand(exclude ? &s->filter.exclude : &s->filter.match, rules,
				      NET_FILTER_MAX_RULES, err, errlen);
		r = n < 0 ? n : 0;
		for (int i = 0; r >= 0 && i < n; i++) {
			nlmsg_free(TAKE_PTR(msg));
			r = net_build_u32_msg(
				ifindex, NET_FAULT_HANDLE,
				net_filter_pref(&rules[i], exclude, slot), &rules[i],
				TC_H_MAKE(NET_FAULT_HANDLE, exclude ? NET_FILTER_PASS_BAND :
								      net_filter_slot_band(slot)),
				&msg);
			if (r >= 0)
				r = step(fd, msg, "a u32 filter", "cls_u32", ifname, err, errlen);
		}
	}
	if (r < 0) {
		/* Never the slot's objects when its netem was not ours to add: they
		 * are another fault's then. */
		if (netem_added)
			(void)net_slot_remove(fd, ifindex, slot, kmsg, sizeof(kmsg));
		(void)net_slot_release_root(fd, ifindex, &deleted, kmsg, sizeof(kmsg));
	}
	return r;
}

/* Undoes a filtered fault's egress on ifindex: its slot, and the root when it was
 * the last. Best effort. */
static void unapply_slot(int fd, int ifindex, unsigned slot)
{
	char kmsg[256];
	bool deleted;

	(void)net_slot_remove(fd, ifindex, slot, kmsg, sizeof(kmsg));
	(void)net_slot_release_root(fd, ifindex, &deleted, kmsg, sizeof(kmsg));
}

/* Our root on ifindex: netem, or the filtered prio. */
static int apply_root(int fd, int ifindex, const char *ifname, const struct net_state *s,
		      unsigned slot, const struct psched *ps, char *err, size_t errlen)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = NULL;
	char kmsg[256];
	int r;

	if (s->filtered)
		return apply_filtered(fd, ifindex, ifname, s, slot, ps, err, errlen);
	r = net_build_qdisc_msg(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, ifindex, &s->netem, ps,
				&msg);
	if (r >= 0)
		r = rtnl_transact(fd, msg, kmsg, sizeof(kmsg));
	if (r < 0)
		explain_add_error(r, kmsg, ifname, fd, ifindex, err, errlen);
	return r;
}

/* A filtered fault on one interface (or IFB) whose root is ours: its slot, then
 * the root when the kernel shows no other slot in use. Returns the result for the
 * report. */
static int revert_slot(int fd, int ifindex, const char *name, unsigned slot,
		       const char **ret_result, char *err, size_t errlen)
{
	struct net_slots slots;
	char why[256];
	bool deleted;
	int r = net_slots_query(fd, ifindex, &slots);

	if (r < 0) {
		errbuf_set(err, errlen, "cannot read the filters of %s: %s", name, strerror(-r));
		return r;
	}
	if (slots.used & (1U << slot)) {
		r = net_slot_remove(fd, ifindex, slot, why, sizeof(why));
		if (r < 0) {
			errbuf_set(err, errlen, "%s: %s", name, why);
			return r;
		}
	}
	/* Also after a crash that left the root alone, before any slot was used. */
	r = net_slot_release_root(fd, ifindex, &deleted, why, sizeof(why));
	if (r < 0) {
		errbuf_set(err, errlen, "%s: %s", name, why);
		return r;
	}
	*ret_result = slots.used & (1U << slot) ? "reverted" : "not_present";
	return 0;
}

/* The slot of the fault on the IFB (net_fault.c: 0 when the fault created it). */
static unsigned entry_ifb_slot(const json_t *e)
{
	return (unsigned)json_integer_value(json_object_get(e, "ifb_slot"));
}

/* The ingress side of interface ifindex, through the IFB named ifb. Unfiltered:
 * the ingress qdisc and the IFB go. Filtered: the fault's slot on the IFB goes,
 * and then the ingress qdisc and the IFB when the kernel shows no other filtered
 * fault left on it, so the last of the faults sharing it removes them. Sets
 * *ret_result for the report. */
static int release_ingress(int fd, int ifindex, const char *ifb, const struct net_state *s,
			   unsigned slot, const char **ret_result, char *err, size_t errlen)
{
	struct qdisc_root_verdict v;
	const char *result = "not_present";
	struct rtnl_link dev;
	bool removed = false;
	int r;

	if (s->filtered) {
		r = rtnl_get_link(fd, 0, ifb, &dev);
		if (r == -ENODEV) {
			*ret_result = result;
			return 0;
		}
		if (r >= 0)
			r = qdisc_root_lookup(fd, dev.ifindex, &v);
		if (r < 0) {
			errbuf_set(err, errlen, "cannot read the IFB %s: %s", ifb, strerror(-r));
			return r;
		}
		if (v.state == QDISC_ROOT_OURS && streq(v.kind, NET_FAULT_FILTERED_KIND)) {
			r = revert_slot(fd, dev.ifindex, ifb, slot, &result, err, errlen);
			if (r < 0)
				return r;
			r = qdisc_root_lookup(fd, dev.ifindex, &v);
			if (r < 0) {
				errbuf_set(err, errlen, "cannot read the IFB %s: %s", ifb,
					   strerror(-r));
				return r;
			}
			if (v.state == QDISC_ROOT_OURS) {
				*ret_result = result; /* other filtered faults still use it */
				return 0;
			}
		}
	}
	r = net_ifb_remove(fd, ifindex, ifb, &removed, err, errlen);
	if (r < 0)
		return r;
	*ret_result = removed ? "reverted" : result;
	return 0;
}

/* Plans written before directions existed have no "egress": it was the only one. */
static bool entry_egress(const json_t *e)
{
	return !json_is_false(json_object_get(e, "egress"));
}

/* Undoes apply_ingress() after a later interface failed; best effort. */
static void unapply_ingress(int fd, const json_t *e, const struct net_state *s)
{
	int ifindex = (int)json_integer_value(json_object_get(e, "ifindex"));
	const char *ifb = json_string_value(json_object_get(e, "ifb"));
	const char *result;
	char kmsg[256];

	if (ifb)
		(void)release_ingress(fd, ifindex, ifb, s, entry_ifb_slot(e), &result, kmsg,
				      sizeof(kmsg));
}

/* The ifindex of the IFB named ifb that another filtered fault created. */
static int shared_ifb_index(int fd, const char *ifb, int *ret_ifindex, char *err, size_t errlen)
{
	struct rtnl_link dev;
	int r = rtnl_get_link(fd, 0, ifb, &dev);

	if (r == -ENODEV) {
		errbuf_set(err, errlen,
			   "the IFB %s of another fault, to share, is gone since validation", ifb);
		return r;
	}
	if (r < 0) {
		errbuf_set(err, errlen, "cannot read the IFB %s: %s", ifb, strerror(-r));
		return r;
	}
	*ret_ifindex = dev.ifindex;
	return 0;
}

/* The ingress side of one interface of the plan, through its IFB (its egress is
 * done already). On failure, what this call added is removed again. */
static int apply_ingress(int fd, json_t *e, const struct net_state *s, const struct psched *ps,
			 char *err, size_t errlen)
{
	int ifindex = (int)json_integer_value(json_object_get(e, "ifindex"));
	const char *ifname = json_string_value(json_object_get(e, "ifname"));
	const char *ifb = json_string_value(json_object_get(e, "ifb"));
	char kmsg[256];
	bool removed;
	int r, ifb_index = 0;

	if (!ifb)
		return 0;
	if (json_is_true(json_object_get(e, "ifb_shared"))) {
		/* Another filtered fault's IFB and redirect: a slot on its prio. */
		r = shared_ifb_index(fd, ifb, &ifb_index, err, errlen);
		if (r >= 0)
			r = apply_root(fd, ifb_index, ifb, s, entry_ifb_slot(e), ps, err, errlen);
	} else {
		/* A device of our reserved name that we did not just create is never
		 * touched: net_ifb_create() fails with EEXIST before anything else. */
		r = net_ifb_create(fd, ifb, &ifb_index, err, errlen);
		if (r >= 0) {
			/* The IFB is new, and this fault's: slot 0. */
			r = apply_root(fd, ifb_index, ifb, s, 0, ps, err, errlen);
			if (r >= 0)
				r = net_ifb_redirect(fd, ifindex, ifname, ifb_index, err, errlen);
			if (r < 0)
				(void)net_ifb_remove(fd, ifindex, ifb, &removed, kmsg,
						     sizeof(kmsg));
		}
	}
	if (r < 0)
		return r;
	return json_object_set_new(e, "ifb_ifindex", json_integer(ifb_index)) < 0 ? -ENOMEM : 0;
}

/* The entries of s with an egress side (all of them but ingress-only ones) into
 * idx; with applied_only, not those a failed apply never reached. */
static size_t egress_entries(const struct net_state *s, bool applied_only, size_t *idx)
{
	size_t i, n = 0;
	json_t *e;

	json_array_foreach(s->interfaces, i, e)
		if (entry_egress(e) &&
		    !(applied_only && json_is_false(json_object_get(e, "applied"))))
			idx[n++] = i;
	return n;
}

static int entry_ifindex(const struct net_state *s, size_t i)
{
	return (int)json_integer_value(
		json_object_get(json_array_get(s->interfaces, i), "ifindex"));
}

static const char *entry_ifname(const struct net_state *s, size_t i)
{
	return json_string_value(json_object_get(json_array_get(s->interfaces, i), "ifname"));
}

/* Sends, pipelined in one round trip, one root request per entry idx[0..n) of an
 * unfiltered fault: our netem added (NLM_F_EXCL: the kernel replaces only a
 * default, net_qdisc.h) when add, else our root deleted by handle and kind (the
 * kernel checks both as it deletes). reqs[j] holds each result. */
static int root_requests(int fd, const struct net_state *s, const struct psched *ps, bool add,
			 const size_t *idx, size_t n, struct rtnl_req *reqs)
{
	int r = 0;

	for (size_t j = 0; j < n; j++)
		reqs[j] = (struct rtnl_req){ .r = -ECANCELED }; /* until sent */
	for (size_t j = 0; r >= 0 && j < n; j++) {
		if (add)
			r = net_build_qdisc_msg(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL,
						entry_ifindex(s, idx[j]), &s->netem, ps,
						&reqs[j].msg);
		else
			r = net_build_qdisc_msg_at(RTM_DELQDISC, 0, entry_ifindex(s, idx[j]),
						   NET_FAULT_HANDLE, TC_H_ROOT, s->root_kind, NULL,
						   NULL, &reqs[j].msg);
	}
	if (r >= 0)
		r = rtnl_pipeline(fd, reqs, n, NULL, NULL);
	for (size_t j = 0; j < n; j++)
		nlmsg_free(TAKE_PTR(reqs[j].msg));
	return r;
}

/* The unfiltered egress: netem at the root of every entry idx[0..n), in one
 * pipelined round trip. On failure, what was added (or may have been: a request
 * left unanswered) is deleted again, and err names the first interface that
 * failed. */
static int apply_roots(int fd, const struct net_state *s, const struct psched *ps,
		       const size_t *idx, size_t n, char *err, size_t errlen)
{
	_cleanup_free_ struct rtnl_req *reqs = calloc(n ?: 1, sizeof(*reqs));
	_cleanup_free_ struct rtnl_req *dels = calloc(n ?: 1, sizeof(*dels));
	size_t undo[NET_MAX_INTERFACES], m = 0, bad = n;
	int r;

	if (!reqs || !dels)
		return -ENOMEM;
	r = root_requests(fd, s, ps, true, idx, n, reqs);
	for (size_t j = 0; j < n; j++) {
		if (reqs[j].r == 0 || reqs[j].r == -ETIMEDOUT)
			undo[m++] = idx[j];
		if (reqs[j].r < 0 && bad == n)
			bad = j;
	}
	if (r >= 0 && bad == n)
		return 0;
	if (r < 0 && (bad == n || reqs[bad].r == -ECANCELED || reqs[bad].r == -ETIMEDOUT)) {
		/* The transport failed (or a message could not be built): its error,
		 * not the kernel's. */
		errbuf_set(err, errlen, "cannot add netem on %s: %s",
			   bad == n ? s->ref.label : entry_ifname(s, idx[bad]), strerror(-r));
	} else {
		r = reqs[bad].r;
		explain_add_error(r, reqs[bad].kmsg, entry_ifname(s, idx[bad]), fd,
				  entry_ifindex(s, idx[bad]), err, errlen);
	}
	/* A delete that fails here is left to the journal's intent record. */
	(void)root_requests(fd, s, NULL, false, undo, m, dels);
	return r;
}

/* Undoes the egress of entries idx[0..n); best effort. */
static void unapply_egress(int fd, const struct net_state *s, const size_t *idx, size_t n)
{
	_cleanup_free_ struct rtnl_req *dels = calloc(n ?: 1, sizeof(*dels));

	if (!s->filtered) {
		if (dels)
			(void)root_requests(fd, s, NULL, false, idx, n, dels);
		return;
	}
	for (size_t j = 0; j < n; j++)
		unapply_slot(fd, entry_ifindex(s, idx[j]),
			     entry_slot(json_array_get(s->interfaces, idx[j])));
}

/* The egress of entries idx[0..n): unfiltered, pipelined; filtered, one interface
 * after the other (net_slot.h). Fails having changed nothing. */
static int apply_egress(int fd, const struct net_state *s, const struct psched *ps,
			const size_t *idx, size_t n, char *err, size_t errlen)
{
	int r = 0;

	if (!s->filtered)
		return apply_roots(fd, s, ps, idx, n, err, errlen);
	for (size_t j = 0; j < n; j++) {
		const json_t *e = json_array_get(s->interfaces, idx[j]);
		r = apply_root(fd, entry_ifindex(s, idx[j]), entry_ifname(s, idx[j]), s,
			       entry_slot(e), ps, err, errlen);
		if (r < 0) {
			unapply_egress(fd, s, idx, j);
			return r;
		}
	}
	return 0;
}

/* The interfaces must be the ones validated: same index, same name. */
static int check_links(int fd, const struct net_state *s, char *err, size_t errlen)
{
	for (size_t i = 0; i < json_array_size(s->interfaces); i++) {
		char name[IFNAMSIZ];
		int r = rtnl_link_name(fd, entry_ifindex(s, i), name);
		if (r < 0 && r != -ENODEV) {
			errbuf_set(err, errlen, "cannot read the interfaces of %s: %s",
				   s->ref.label, strerror(-r));
			return r;
		}
		if (r == -ENODEV || !streq(name, entry_ifname(s, i))) {
			errbuf_set(err, errlen, "interface %s (index %d) changed since validation",
				   entry_ifname(s, i), entry_ifindex(s, i));
			return -ENODEV;
		}
	}
	return 0;
}

int net_fault_apply(const json_t *plan, json_t **ret_undo, char *err, size_t errlen)
{
	_cleanup_json_ json_t *undo = json_deep_copy(plan);
	_cleanup_close_ int fd = -1;
	size_t egress[NET_MAX_INTERFACES], negress;
	struct psched ps;
	struct net_state s;
	size_t i, done = 0;
	json_t *e;
	int r;

	if (!undo)
		return -ENOMEM;
	r = net_state_read(undo, true, &s, err, errlen);
	if (r < 0)
		return r;
	if (psched_read(&ps) < 0)
		ps = psched_default; /* the kernel's value since 2.6.31 */
	r = net_open_rtnl(&s.ref, false, &fd, err, errlen);
	if (r < 0)
		return r;
	r = check_links(fd, &s, err, errlen);
	if (r < 0)
		return r;

	/* Every egress first, then every ingress; each step fails having changed
	 * nothing, and a later failure undoes the earlier steps, so that apply fails
	 * having changed nothing. A delete that fails then is left to the journal's
	 * intent record, from which recovery reverts every interface of the plan. */
	negress = egress_entries(&s, false, egress);
	r = apply_egress(fd, &s, &ps, egress, negress, err, errlen);
	if (r < 0)
		return r;
	json_array_foreach(s.interfaces, i, e) {
		r = apply_ingress(fd, e, &s, &ps, err, errlen);
		if (r < 0)
			break;
		done++;
	}
	if (r < 0) {
		for (i = 0; i < done; i++)
			unapply_ingress(fd, json_array_get(s.interfaces, i), &s);
		unapply_egress(fd, &s, egress, negress);
		return r;
	}
	json_array_foreach(s.interfaces, i, e)
		json_object_set_new(e, "applied", json_true());
	*ret_undo = TAKE_PTR(undo);
	return 0;
}

/* Reverts a filtered fault's egress on one interface: its slot on our prio (and
 * the prio with it when it was the last slot); adds its outcome to report. */
static int revert_filtered(int fd, const json_t *e, const struct net_state *s, json_t *report,
			   char *err, size_t errlen)
{
	int ifindex = (int)json_integer_value(json_object_get(e, "ifindex"));
	const char *name = json_string_value(json_object_get(e, "ifname"));
	struct qdisc_root_verdict v = { 0 };
	const char *result;
	int r = qdisc_root_lookup(fd, ifindex, &v);

	if (r == -ENODEV) {
		result = "interface_gone"; /* its qdiscs went with it */
	} else if (r < 0) {
		errbuf_set(err, errlen, "cannot read the interfaces and qdiscs of %s: %s",
			   s->ref.label, strerror(-r));
		return r;
	} else if (v.state == QDISC_ROOT_FOREIGN) {
		result = "replaced"; /* someone replaced ours: theirs is not ours to delete */
	} else if (v.state == QDISC_ROOT_OURS && streq(v.kind, NET_FAULT_FILTERED_KIND)) {
		r = revert_slot(fd, ifindex, name, entry_slot(e), &result, err, errlen);
		if (r < 0)
			return r;
	} else {
		/* A default (never applied, or already reverted), or the netem of an
		 * unfiltered fault, which is not this one's. */
		result = "not_present";
	}
	json_array_append_new(report, json_pack("{s:s, s:i, s:s, s:s?, s:i}", "ifname", name,
						"ifindex", ifindex, "result", result, "found",
						streq(result, "replaced") ? v.why : NULL, "slot",
						(int)entry_slot(e)));
	return 0;
}

/* The ingress side of one interface: its slot on the IFB, or its redirect and
 * IFB, by the reserved name (release_ingress()). */
static int revert_ingress(int fd, const json_t *e, const struct net_state *s, json_t *report,
			  char *err, size_t errlen)
{
	const char *ifb = json_string_value(json_object_get(e, "ifb"));
	const char *result;
	int r;

	if (!ifb)
		return 0;
	r = release_ingress(fd, (int)json_integer_value(json_object_get(e, "ifindex")), ifb, s,
			    entry_ifb_slot(e), &result, err, errlen);
	if (r < 0)
		return r;
	json_array_append_new(report, json_pack("{s:s, s:s}", "ifb", ifb, "result", result));
	return 0;
}

/* The outcome of deleting our root from ifindex when the kernel refused the delete
 * (-EINVAL: not our handle, or not our kind; -ENOENT): what is there instead. */
static int refused_delete_result(int fd, int ifindex, const char **ret_result,
				 struct qdisc_root_verdict *ret)
{
	int r = qdisc_root_lookup(fd, ifindex, ret);

	if (r == -ENODEV)
		*ret_result = "interface_gone";
	else if (r < 0)
		return r;
	else if (ret->state == QDISC_ROOT_FOREIGN)
		*ret_result = "replaced"; /* someone replaced ours: not ours to delete */
	else
		*ret_result = "not_present"; /* never applied, or already reverted */
	return 0;
}

/* The egress of an unfiltered fault: every root deleted in one pipelined round
 * trip, by handle and kind, so that the kernel itself refuses a root that is not
 * ours; only a refused delete costs a lookup, to say what is there. Adds each
 * outcome to report; returns the first error. */
static int revert_roots(int fd, const struct net_state *s, json_t *report, char *err, size_t errlen)
{
	size_t idx[NET_MAX_INTERFACES], n = egress_entries(s, true, idx);
	_cleanup_free_ struct rtnl_req *reqs = calloc(n ?: 1, sizeof(*reqs));
	int r, first = 0;

	if (!reqs)
		return -ENOMEM;
	r = root_requests(fd, s, NULL, false, idx, n, reqs);
	for (size_t j = 0; j < n; j++) {
		const char *name = entry_ifname(s, idx[j]), *result = "reverted";
		struct qdisc_root_verdict v = { 0 };
		int e = reqs[j].r;
		if (e == -ENODEV) {
			result = "interface_gone"; /* its qdiscs went with it */
		} else if (e == -EINVAL || e == -ENOENT) {
			e = refused_delete_result(fd, entry_ifindex(s, idx[j]), &result, &v);
			if (e < 0) {
				errbuf_set(err, errlen,
					   "cannot read the root qdisc of %s in %s: %s", name,
					   s->ref.label, strerror(-e));
				first = first ?: e;
				continue;
			}
		} else if (e < 0) {
			/* The kernel's refusal, or (sent, no answer; never sent) the
			 * transport's own error. */
			bool kernel = e != -ETIMEDOUT && e != -ECANCELED;
			errbuf_set(err, errlen, "cannot delete %s from %s: %s%s%s", s->root_kind,
				   name, strerror(-(kernel || r >= 0 ? e : r)),
				   kernel && *reqs[j].kmsg ? ": " : "", kernel ? reqs[j].kmsg : "");
			first = first ?: e;
			continue;
		}
		json_array_append_new(report,
				      json_pack("{s:s, s:i, s:s, s:s?}", "ifname", name, "ifindex",
						entry_ifindex(s, idx[j]), "result", result, "found",
						streq(result, "replaced") ? v.why : NULL));
	}
	return r < 0 ? r : first;
}

/* Read back after an unfiltered fault's revert: no interface may still have our
 * root, all read in one pipelined round trip. */
static int read_back_roots(int fd, const struct net_state *s, char *err, size_t errlen)
{
	size_t idx[NET_MAX_INTERFACES], n = egress_entries(s, false, idx);
	int ifindexes[NET_MAX_INTERFACES], rs[NET_MAX_INTERFACES];
	_cleanup_free_ struct qdisc_root_verdict *v = calloc(n ?: 1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (size_t j = 0; j < n; j++)
		ifindexes[j] = entry_ifindex(s, idx[j]);
	(void)qdisc_roots_lookup(fd, ifindexes, n, v, rs); /* each failure is in rs[] */
	for (size_t j = 0; j < n; j++) {
		if (rs[j] == -ENODEV)
			continue; /* gone, and its qdiscs with it */
		if (rs[j] < 0) {
			errbuf_set(err, errlen, "cannot read back the qdiscs of %s: %s",
				   s->ref.label, strerror(-rs[j]));
			return rs[j];
		}
		if (v[j].state == QDISC_ROOT_OURS && streq(v[j].kind, s->root_kind)) {
			errbuf_set(err, errlen, "%s is still at the root of %s after its delete",
				   s->root_kind, entry_ifname(s, idx[j]));
			return -EIO;
		}
	}
	return 0;
}

/* Read back after a filtered fault's revert: on each interface where our prio is
 * still the root, this fault's slot must be gone, and the prio with it when no
 * other slot is left. */
static int read_back_slots(int fd, const struct net_state *s, char *err, size_t errlen)
{
	size_t idx[NET_MAX_INTERFACES], n = egress_entries(s, false, idx);

	for (size_t j = 0; j < n; j++) {
		const json_t *e = json_array_get(s->interfaces, idx[j]);
		const char *name = entry_ifname(s, idx[j]);
		struct qdisc_root_verdict v;
		struct net_slots slots;
		int r = qdisc_root_lookup(fd, entry_ifindex(s, idx[j]), &v);
		if (r == -ENODEV)
			continue; /* gone, and its qdiscs with it */
		if (r < 0) {
			errbuf_set(err, errlen, "cannot read back the qdiscs of %s: %s",
				   s->ref.label, strerror(-r));
			return r;
		}
		if (v.state != QDISC_ROOT_OURS || !streq(v.kind, s->root_kind))
			continue;
		/* A shared prio stays while another slot uses it. */
		r = net_slots_query(fd, entry_ifindex(s, idx[j]), &slots);
		if (r < 0) {
			errbuf_set(err, errlen, "cannot read back the filters of %s: %s", name,
				   strerror(-r));
			return r;
		}
		if (!json_is_false(json_object_get(e, "applied")) &&
		    (slots.used & (1U << entry_slot(e)))) {
			errbuf_set(err, errlen,
				   "slot %u is still on the prio fa17: of %s after its delete",
				   entry_slot(e), name);
			return -EIO;
		}
		if (!slots.used && !slots.other) {
			errbuf_set(err, errlen,
				   "prio fa17: is still at the root of %s with no fault left in it",
				   name);
			return -EIO;
		}
	}
	return 0;
}

int net_fault_revert(const json_t *state, json_t **ret_report, char *err, size_t errlen)
{
	_cleanup_json_ json_t *list = json_array();
	_cleanup_close_ int fd = -1;
	struct net_state s;
	size_t i;
	int r, first = 0;
	json_t *e;

	if (!list)
		return -ENOMEM;
	r = net_state_read(state, false, &s, err, errlen);
	if (r < 0)
		return r;
	r = net_open_rtnl(&s.ref, true, &fd, err, errlen);
	if (r == -ENOENT) {
		/* The namespace is gone, and its devices and qdiscs with it. */
		if (ret_report)
			*ret_report = json_pack("{s:s}", "netns", "gone");
		return 0;
	}
	if (r < 0)
		return r;
	json_array_foreach(s.interfaces, i, e) {
		/* After a crash between intent and applied, "applied" is absent: try. */
		if (json_is_false(json_object_get(e, "applied")))
			continue;
		r = revert_ingress(fd, e, &s, list, err, errlen);
		first = first ?: r;
		if (!s.filtered || !entry_egress(e))
			continue;
		r = revert_filtered(fd, e, &s, list, err, errlen);
		first = first ?: r;
	}
	if (!s.filtered) {
		r = revert_roots(fd, &s, list, err, errlen);
		first = first ?: r;
	}
	/* Read back: no interface may still have our root (or our slot). A success
	 * that leaves the delay in place is the failure this tool exists to avoid.
	 * An ingress-only entry never touched the root: what is there belongs to
	 * another fault (the egress of this interface may be impaired by one while
	 * this fault impairs its ingress). */
	if (first >= 0)
		first = s.filtered ? read_back_slots(fd, &s, err, errlen) :
				     read_back_roots(fd, &s, err, errlen);
	if (first < 0)
		return first;
	if (ret_report)
		*ret_report = json_pack("{s:O}", "interfaces", list);
	return 0;
}
