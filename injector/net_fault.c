/* SPDX-License-Identifier: Apache-2.0 */
/*
 * network: netem on each chosen interface, egress (design §4): at the root when
 * unfiltered, or below a prio root with u32 filters when "filter" is given
 * (net_filter.h: unmatched traffic never meets netem).
 *
 * Params (from the controller, untrusted):
 *   interface   "NAME" | ["NAME", ...] | "all" (every interface but loopback; in a
 *               list, "all" is just a name)
 *   netns       null | "NAME" | "/PATH" | {"pid": N}      (net_netns.h)
 *   netem       the object netem_params_from_json() reads  (net_netem.h)
 *   filter      optional: the object of net_filter.h
 *
 * Plan (journaled as the intent): the namespace (path, label, device and inode),
 * our handle, the root's kind (netem, or prio when filtered), the netem object,
 * the filter object, and per interface its ifindex, its name and the
 * root qdisc found (kind and handle); for a filtered fault its slot on the shared
 * prio root ("slot", "band", "netem_handle", "shared") and on the IFB ("ifb_slot",
 * "ifb_shared"), picked from the kernel's state (net_slot.h). The undo state adds
 * "applied" per interface.
 *
 * Ownership (net_qdisc.h): only a kernel default root is replaced, and the kernel
 * is asked to enforce that too: the request carries NLM_F_CREATE | NLM_F_EXCL and
 * no NLM_F_REPLACE, so tc_modify_qdisc() refuses (EEXIST) if anything but a
 * default is at the root by the time the request lands, or if our handle is
 * already on the device. The revert deletes only a root that is netem with our
 * handle, names both in the request so the kernel checks them again, and then
 * reads the dump back: the kernel's default must be at the root again. Filtered
 * faults share the prio root instead of each replacing it: the exception is ours
 * (a prio fa17: already at the root), and each removes only its own slot, the
 * last one the root.
 */
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <limits.h>
#include <stdio.h>

#include "fault.h"
#include "macro.h"
#include "net_control.h"
#include "net_fault.h"
#include "net_fault_impl.h"
#include "net_filter.h"
#include "net_ifb.h"
#include "net_netem.h"
#include "net_netns.h"
#include "net_qdisc.h"
#include "net_rtnl.h"
#include "net_slot.h"
#include "parse.h"
#include "policy.h"
#include "procfs.h"
#include "protocol.h"
#include "time_util.h"

/* The kernel's dev_valid_name(), and printable ASCII besides: a name that reaches
 * a log line or a message must not carry terminal escapes. */
bool net_ifname_valid(const char *s)
{
	size_t n = 0;

	if (!s || !*s || streq(s, ".") || streq(s, ".."))
		return false;
	for (; s[n]; n++)
		if (s[n] <= ' ' || s[n] > '~' || s[n] == '/' || s[n] == ':')
			return false;
	return n < IFNAMSIZ;
}

/* The "interface" value: a list of names in *ret_names (a new array), or all. */
int net_interfaces_parse(const json_t *v, json_t **ret_names, bool *ret_all, char *err,
			 size_t errlen)
{
	_cleanup_json_ json_t *names = json_array();
	size_t i;
	json_t *e;

	if (!names)
		return -ENOMEM;
	if (json_is_string(v) && streq(json_string_value(v), "all")) {
		*ret_names = TAKE_PTR(names);
		*ret_all = true;
		return 0;
	}
	if (json_is_string(v)) {
		json_array_append(names, (json_t *)v);
	} else if (json_is_array(v) && json_array_size(v) >= 1 &&
		   json_array_size(v) <= NET_MAX_INTERFACES) {
		json_array_foreach(v, i, e)
			json_array_append(names, e);
	} else {
		errbuf_set(err, errlen,
			   "interface must be a name, a list of 1 to %d names, or \"all\"",
			   NET_MAX_INTERFACES);
		return -EINVAL;
	}
	json_array_foreach(names, i, e) {
		const char *s = json_string_value(e);
		if (!json_is_string(e) || !net_ifname_valid(s)) {
			errbuf_set(err, errlen,
				   "interface %s%.40s%s: expected 1 to 15 printable characters, "
				   "without '/', ':' or spaces, and not . or ..",
				   s ? "\"" : "", s ? s : "(not a string)", s ? "\"" : "");
			return -EINVAL;
		}
		for (size_t j = 0; j < i; j++)
			if (streq(s, json_string_value(json_array_get(names, j)))) {
				errbuf_set(err, errlen, "interface \"%s\" is listed twice", s);
				return -EINVAL;
			}
	}
	*ret_names = TAKE_PTR(names);
	*ret_all = false;
	return 0;
}

enum { NET_EGRESS = 1, NET_INGRESS = 2 };

/*
 * Where validation reads the links and qdiscs: the namespace's dumps for
 * "interface: all", which needs every link anyway, or single requests on fd per
 * named interface, so that a fault's cost does not grow with the number of
 * interfaces in the namespace. Both answer the same questions the same way.
 */
struct net_view {
	int fd;
	bool dumped;
	const struct rtnl_link *links;
	size_t nl;
	const struct rtnl_qdisc *qs;
	size_t nq;
};

static int view_root(const struct net_view *w, int ifindex, struct qdisc_root_verdict *ret)
{
	if (!w->dumped)
		return qdisc_root_lookup(w->fd, ifindex, ret);
	qdisc_root_classify(w->qs, w->nq, ifindex, ret);
	return 0;
}

static int view_has_ingress(const struct net_view *w, int ifindex, bool *ret)
{
	if (!w->dumped)
		return net_ingress_lookup(w->fd, ifindex, ret);
	*ret = net_has_ingress_qdisc(w->qs, w->nq, ifindex);
	return 0;
}

static int view_name_taken(const struct net_view *w, const char *name, bool *ret)
{
	if (!w->dumped)
		return net_link_name_taken(w->fd, name, ret);
	*ret = net_link_by_name(w->links, w->nl, name) != NULL;
	return 0;
}

static int view_error(int r, const struct netns_ref *ref, char *err, size_t errlen)
{
	errbuf_set(err, errlen, "cannot read the interfaces and qdiscs of %s: %s", ref->label,
		   strerror(-r));
	return r;
}

/* The link named name, from the dump or by a single request: 0, -ENODEV when
 * there is none, or another -errno. */
static int view_link_by_name(const struct net_view *w, const char *name, struct rtnl_link *ret)
{
	const struct rtnl_link *l;

	if (!w->dumped)
		return rtnl_get_link(w->fd, 0, name, ret);
	l = net_link_by_name(w->links, w->nl, name);
	if (!l)
		return -ENODEV;
	*ret = *l;
	return 0;
}

/* A filtered fault joining the ingress another filtered fault put on link: a slot
 * of the prio at the root of that fault's IFB. */
static int share_ingress(json_t *entry, const struct rtnl_link *link, const char *ifb,
			 const struct net_view *w, const struct net_filter *filter,
			 const struct netns_ref *ref, char *err, size_t errlen)
{
	struct qdisc_root_verdict v;
	struct net_slots slots;
	struct rtnl_link dev;
	unsigned slot;
	char h[16];
	int r;

	r = view_link_by_name(w, ifb, &dev);
	if (r >= 0)
		r = view_root(w, dev.ifindex, &v);
	if (r < 0)
		return view_error(r, ref, err, errlen);
	if (!filter || v.state != QDISC_ROOT_OURS || !streq(v.kind, NET_FAULT_FILTERED_KIND)) {
		errbuf_set(err, errlen,
			   "interface %s in %s: its ingress already goes through faultline's IFB "
			   "%s (%s %s at its root), for another network fault; only filtered "
			   "faults share an interface's ingress",
			   link->name, ref->label, ifb, v.kind,
			   qdisc_handle_format(v.handle, h, sizeof(h)));
		return -EBUSY;
	}
	r = net_slots_query(w->fd, dev.ifindex, &slots);
	if (r < 0) {
		errbuf_set(err, errlen, "cannot read the filters of %s in %s: %s", ifb, ref->label,
			   strerror(-r));
		return r;
	}
	r = net_slot_pick(&slots, filter->has_exclude, ifb, ref->label, &slot, err, errlen);
	if (r < 0)
		return r;
	if (json_object_set_new(entry, "ifb", json_string(ifb)) < 0 ||
	    json_object_set_new(entry, "ifb_slot", json_integer(slot)) < 0 ||
	    json_object_set_new(entry, "ifb_shared", json_true()) < 0)
		return -ENOMEM;
	return 0;
}

/* The ingress side of link: no ingress or clsact qdisc yet, and no device with
 * the IFB name we would take; or, for a filtered fault, the IFB and ingress of
 * other filtered faults to share. Sets ifb (and ifb_slot) in entry. */
static int add_ingress(json_t *entry, const struct rtnl_link *link, const struct net_view *w,
		       const struct net_filter *filter, const struct netns_ref *ref, char *err,
		       size_t errlen)
{
	char ifb[IFNAMSIZ];
	bool has = false, taken = false;
	int r;

	net_ifb_name(link->ifindex, ifb);
	r = view_has_ingress(w, link->ifindex, &has);
	if (r >= 0)
		r = view_name_taken(w, ifb, &taken);
	if (r < 0)
		return view_error(r, ref, err, errlen);
	if (taken && has)
		return share_ingress(entry, link, ifb, w, filter, ref, err, errlen);
	if (has) {
		errbuf_set(err, errlen,
			   "interface %s in %s has an ingress or clsact qdisc, which faultline "
			   "did not create; refusing to add its own",
			   link->name, ref->label);
		return -EBUSY;
	}
	if (taken) {
		errbuf_set(err, errlen,
			   "interface %s in %s: the device name %s that faultline reserves "
			   "for its ingress is taken (left by a crash? run faultline "
			   "recover)",
			   link->name, ref->label, ifb);
		return -EBUSY;
	}
	if (json_object_set_new(entry, "ifb", json_string(ifb)) < 0 ||
	    (filter && json_object_set_new(entry, "ifb_slot", json_integer(0)) < 0))
		return -ENOMEM;
	return 0;
}

/* Whether a fault (filtered when filter) may put its egress on a root of ours,
 * and in which slot (net_slot.h): filtered faults share our prio root; an
 * unfiltered fault shares nothing, and the two kinds never merge. */
static int pick_slot(int fd, const struct rtnl_link *link, const struct qdisc_root_verdict *v,
		     const struct net_filter *filter, const struct netns_ref *ref,
		     unsigned *ret_slot, char *err, size_t errlen)
{
	struct net_slots slots;
	char h[16];
	int r;

	qdisc_handle_format(v->handle, h, sizeof(h));
	if (!filter && streq(v->kind, NET_FAULT_FILTERED_KIND)) {
		errbuf_set(err, errlen,
			   "interface %s in %s already has faultline's %s %s at its root, for "
			   "filtered network faults; an unfiltered fault cannot share it (give "
			   "this fault a filter too, or run the two one after the other)",
			   link->name, ref->label, v->kind, h);
		return -EBUSY;
	}
	if (!filter) {
		errbuf_set(err, errlen,
			   "interface %s in %s already has faultline's %s %s at its root: "
			   "another unfiltered network fault is active on it (two unfiltered "
			   "faults never share an interface; put both impairments in one fault, "
			   "or give each a filter)",
			   link->name, ref->label, v->kind, h);
		return -EBUSY;
	}
	if (!streq(v->kind, NET_FAULT_FILTERED_KIND)) {
		errbuf_set(err, errlen,
			   "interface %s in %s already has faultline's %s %s at its root, for "
			   "an unfiltered network fault; a filtered fault cannot share it (run "
			   "the two one after the other, or give the other a filter too)",
			   link->name, ref->label, v->kind, h);
		return -EBUSY;
	}
	r = net_slots_query(fd, link->ifindex, &slots);
	if (r < 0) {
		errbuf_set(err, errlen, "cannot read the filters of %s in %s: %s", link->name,
			   ref->label, strerror(-r));
		return r;
	}
	return net_slot_pick(&slots, filter->has_exclude, link->name, ref->label, ret_slot, err,
			     errlen);
}

/* Adds link, whose root is judged v, to the plan's list. */
static int add_interface(json_t *list, const struct rtnl_link *link,
			 const struct qdisc_root_verdict *root, const struct net_view *w,
			 unsigned direction, const struct net_filter *filter,
			 const struct netns_ref *ref, char *err, size_t errlen)
{
	_cleanup_json_ json_t *entry = NULL;
	const struct qdisc_root_verdict v = *root;
	unsigned slot = 0;
	int r;

	if (!(direction & NET_EGRESS)) {
		/* The root is not touched; record it all the same, for plans. */
	} else if (v.state == QDISC_ROOT_OURS) {
		r = pick_slot(w->fd, link, &v, filter, ref, &slot, err, errlen);
		if (r < 0)
			return r;
	}
	if ((direction & NET_EGRESS) && v.state == QDISC_ROOT_FOREIGN) {
		errbuf_set(err, errlen,
			   "interface %s in %s has root qdisc %s, which faultline did not create; "
			   "refusing to replace it",
			   link->name, ref->label, v.why);
		return -EBUSY;
	}
	entry = json_pack("{s:i, s:s, s:b, s:{s:s, s:I}}", "ifindex", link->ifindex, "ifname",
			  link->name, "egress", (direction & NET_EGRESS) != 0, "before", "kind",
			  v.kind, "handle", (json_int_t)v.handle);
	if (!entry)
		return -ENOMEM;
	/* The slot of the egress side (the IFB of the ingress side is new: slot 0),
	 * with its handles spelled out for plans; apply and revert use only "slot". */
	if (filter && (direction & NET_EGRESS) &&
	    (json_object_set_new(entry, "slot", json_integer(slot)) < 0 ||
	     json_object_set_new(entry, "band", json_integer(net_filter_slot_band(slot))) < 0 ||
	     json_object_set_new(entry, "netem_handle", json_integer(net_filter_slot_netem(slot))) <
		     0 ||
	     json_object_set_new(entry, "shared", json_boolean(v.state == QDISC_ROOT_OURS)) < 0))
		return -ENOMEM;
	if (direction & NET_INGRESS) {
		r = add_ingress(entry, link, w, filter, ref, err, errlen);
		if (r < 0)
			return r;
	}
	return json_array_append(list, entry) < 0 ? -ENOMEM : 0;
}

/* The named interfaces: each index by name (an ioctl), then every root in one
 * pipelined round trip, whatever their number. */
static int add_named(json_t *list, const json_t *names, const struct net_view *w,
		     unsigned direction, const struct net_filter *filter,
		     const struct netns_ref *ref, char *err, size_t errlen)
{
	size_t n = json_array_size(names);
	int ifindexes[NET_MAX_INTERFACES], rs[NET_MAX_INTERFACES];
	struct rtnl_link links[NET_MAX_INTERFACES];
	struct qdisc_root_verdict *roots;
	int r;

	if (n == 0)
		return 0;
	if (n > NET_MAX_INTERFACES) /* net_interfaces_parse() allows no more */
		return -E2BIG;
	for (size_t i = 0; i < n; i++) {
		const char *name = json_string_value(json_array_get(names, i));
		r = rtnl_link_index(w->fd, name, &ifindexes[i]);
		if (r == -ENODEV) {
			errbuf_set(err, errlen, "no interface \"%s\" in %s", name, ref->label);
			return -ENODEV;
		}
		if (r < 0)
			return view_error(r, ref, err, errlen);
		links[i] = (struct rtnl_link){ .ifindex = ifindexes[i] };
		snprintf(links[i].name, sizeof(links[i].name), "%s", name);
	}
	roots = calloc(n, sizeof(*roots));
	if (!roots)
		return -ENOMEM;
	r = qdisc_roots_lookup(w->fd, ifindexes, n, roots, rs);
	if (r < 0) {
		free(roots);
		return view_error(r, ref, err, errlen);
	}
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = add_interface(list, &links[i], &roots[i], w, direction, filter, ref, err,
				  errlen);
	free(roots);
	return r;
}

/* "egress" (the default), "ingress" or "both", as NET_* bits; 0 when invalid. */
static unsigned direction_parse(const json_t *v)
{
	const char *s = json_string_value(v);

	if (!v)
		return NET_EGRESS;
	if (!s)
		return 0;
	return streq(s, "egress")  ? NET_EGRESS :
	       streq(s, "ingress") ? NET_INGRESS :
	       streq(s, "both")	   ? NET_EGRESS | NET_INGRESS :
				     0;
}

/* A namespace named through its owner ({cgroup: P} or {pid: N}) is only as allowed
 * as the owner: the cgroup passes the cgroups and units lists, the process the comm,
 * cgroups and units lists, exactly as for a process fault on it. A process that left
 * meanwhile passes nothing. */
static const char *netns_owner_refusal(const struct policy *policy, const json_t *spec, char *buf,
				       size_t len)
{
	const json_t *cg = json_object_get(spec, "cgroup"), *pid = json_object_get(spec, "pid");
	char comm[64], cgroups[4096];
	ssize_t n;

	if (json_is_string(cg))
		return policy_refuse_cgroup(policy, json_string_value(cg));
	if (!json_is_integer(pid) || json_integer_value(pid) <= 0 ||
	    json_integer_value(pid) > INT_MAX)
		return NULL; /* not named by an owner (netns_ref_resolve checked the form) */
	n = procfs_read_file((pid_t)json_integer_value(pid), "comm", comm, sizeof(comm));
	if (n > 0 && comm[n - 1] == '\n')
		comm[n - 1] = '\0';
	if (n <= 0 ||
	    procfs_read_cgroups((pid_t)json_integer_value(pid), cgroups, sizeof(cgroups)) < 0) {
		snprintf(buf, len,
			 "the process that owns it is gone, so the policy cannot be checked");
		return buf;
	}
	return policy_refuse_process(policy, comm, cgroups);
}

/* The target policy (policy.h) for a resolved plan: the namespace, by name under
 * /run/netns ("host" for ours) and by path, and by its owner when named through one;
 * each interface; the delay and loss. */
static int check_policy(const struct policy *policy, const json_t *netns_spec,
			const struct netns_ref *ref, const json_t *interfaces,
			const struct netem_params *netem, char *err, size_t errlen)
{
	const char *name = NULL, *refusal;
	char what[64], gone[96];
	size_t i;
	json_t *e;
	int r;

	if (!policy)
		return 0;
	refusal = netns_owner_refusal(policy, netns_spec, gone, sizeof(gone));
	if (refusal) {
		errbuf_set(err, errlen, "%s: %s", ref->label, refusal);
		return -EPERM;
	}
	if (ref->own)
		name = "host";
	else if (strncmp(ref->path, NETNS_RUN_DIR "/", strlen(NETNS_RUN_DIR) + 1) == 0)
		name = ref->path + strlen(NETNS_RUN_DIR) + 1;
	refusal = policy_refuse_netns(policy, name, ref->own ? NULL : ref->path);
	if (refusal) {
		errbuf_set(err, errlen, "%s: %s", ref->label, refusal);
		return -EPERM;
	}
	json_array_foreach(interfaces, i, e) {
		const char *ifname = json_string_value(json_object_get(e, "ifname"));
		refusal = policy_refuse_interface(policy, ifname ?: "");
		if (refusal) {
			errbuf_set(err, errlen, "interface %s in %s: %s", ifname ?: "?", ref->label,
				   refusal);
			return -EPERM;
		}
	}
	snprintf(what, sizeof(what), "delay %llu ms",
		 (unsigned long long)(netem->delay_ns / NSEC_PER_MSEC));
	r = policy_check_limit(policy, POLICY_MAX_DELAY, netem->delay_ns, what, err, errlen);
	if (r < 0)
		return r;
	snprintf(what, sizeof(what), "loss %g%%", netem->loss);
	return policy_check_limit(policy, POLICY_MAX_LOSS, (uint64_t)(netem->loss * 10000.0 + 0.5),
				  what, err, errlen);
}

static int net_validate(const json_t *params, const struct fault_context *ctx, json_t **ret_plan,
			char *err, size_t errlen)
{
	static const char *const keys[] = { "direction", "filter", "interface",
					    "netem",	 "netns",  NULL };
	_cleanup_json_ json_t *names = NULL, *list = json_array(), *plan = NULL;
	_cleanup_free_ struct rtnl_link *links = NULL;
	_cleanup_free_ struct rtnl_qdisc *qs = NULL;
	_cleanup_close_ int fd = -1;
	struct netem_params netem;
	struct net_filter filter;
	struct netns_ref ref;
	struct net_view w = { .fd = -1 };
	const json_t *fv;
	size_t i;
	unsigned direction;
	bool all = false;
	char why[256];
	json_t *e;
	int r;

	/* Trust boundary: every field is checked here, before the journal or the
	 * kernel sees anything. */
	if (!list)
		return -ENOMEM;
	if (!json_is_object(params)) {
		errbuf_set(err, errlen, "network parameters must be an object");
		return -EINVAL;
	}
	r = protocol_check_keys(params, keys, err, errlen);
	if (r < 0)
		return r;
	if (!json_object_get(params, "interface") || !json_object_get(params, "netem")) {
		errbuf_set(err, errlen, "network needs \"interface\" and \"netem\"");
		return -EINVAL;
	}
	r = netem_params_from_json(json_object_get(params, "netem"), &netem, why, sizeof(why));
	if (r < 0) {
		errbuf_set(err, errlen, "netem: %s", why);
		return r;
	}
	direction = direction_parse(json_object_get(params, "direction"));
	if (!direction) {
		errbuf_set(err, errlen, "direction must be \"egress\", \"ingress\" or \"both\"");
		return -EINVAL;
	}
	fv = json_object_get(params, "filter");
	if (fv) {
		r = net_filter_from_json(fv, &filter, why, sizeof(why));
		if (r < 0) {
			errbuf_set(err, errlen, "%s", why);
			return r;
		}
	}
	r = net_interfaces_parse(json_object_get(params, "interface"), &names, &all, err, errlen);
	if (r < 0)
		return r;
	r = netns_ref_resolve(json_object_get(params, "netns"), &ref, err, errlen);
	if (r < 0)
		return r;

	r = net_open_rtnl(&ref, false, &fd, err, errlen);
	if (r < 0)
		return r;
	w.fd = fd;
	if (all) {
		r = rtnl_dump_links(fd, &links, &w.nl);
		if (r >= 0)
			r = rtnl_dump_qdiscs(fd, &qs, &w.nq);
		if (r < 0)
			return view_error(r, &ref, err, errlen);
		w.links = links;
		w.qs = qs;
		w.dumped = true;
		for (i = 0; i < w.nl; i++) {
			/* Not loopback, and not the IFB of another fault's ingress. */
			if ((links[i].flags & IFF_LOOPBACK) || net_ifb_name_is_ours(links[i].name))
				continue;
			if (json_array_size(list) == NET_MAX_INTERFACES) {
				errbuf_set(err, errlen, "%s has more than %d interfaces; name them",
					   ref.label, NET_MAX_INTERFACES);
				return -E2BIG;
			}
			struct qdisc_root_verdict v;
			qdisc_root_classify(qs, w.nq, links[i].ifindex, &v);
			r = add_interface(list, &links[i], &v, &w, direction, fv ? &filter : NULL,
					  &ref, err, errlen);
			if (r < 0)
				return r;
		}
		if (json_array_size(list) == 0) {
			errbuf_set(err, errlen, "%s has no interface but loopback", ref.label);
			return -ENODEV;
		}
	}
	r = add_named(list, names, &w, direction, fv ? &filter : NULL, &ref, err, errlen);
	if (r < 0)
		return r;

	/* Never cut our own control path (net_control.h). */
	{
		const char *ifnames[NET_MAX_INTERFACES];
		size_t n = 0;
		json_array_foreach(list, i, e)
			if (n < NET_MAX_INTERFACES)
				ifnames[n++] = json_string_value(json_object_get(e, "ifname"));
		r = net_control_check(fv ? &filter : NULL, direction & NET_EGRESS,
				      direction & NET_INGRESS, ref.own, ifnames, n, err, errlen);
		if (r < 0)
			return r;
	}

	/* The blast radius of a qdisc is its interface: the policy may narrow which. */
	r = check_policy(ctx->policy, json_object_get(params, "netns"), &ref, list, &netem, err,
			 errlen);
	if (r < 0)
		return r;
	plan = json_pack("{s:o, s:I, s:s, s:s, s:O, s:O, s:b}", "netns", netns_ref_to_json(&ref),
			 "handle", (json_int_t)NET_FAULT_HANDLE, "root_kind",
			 fv ? NET_FAULT_FILTERED_KIND : NET_FAULT_KIND, "direction",
			 direction == NET_EGRESS  ? "egress" :
			 direction == NET_INGRESS ? "ingress" :
						    "both",
			 "netem", json_object_get(params, "netem"), "interfaces", list, "all", all);
	if (!plan || (fv && json_object_set(plan, "filter", (json_t *)fv) < 0))
		return -ENOMEM;
	*ret_plan = TAKE_PTR(plan);
	return 0;
}

/* "delay 100ms jitter 10ms normal loss 30%" from a netem object. */
static void describe_netem(const json_t *n, char *buf, size_t len)
{
	static const struct {
		const char *key, *label;
		bool duration, percent;
	} fields[] = {
		{ "delay_ns", "delay", true, false },
		{ "jitter_ns", "jitter", true, false },
		{ "delay_corr_pct", "correlation", false, true },
		{ "loss_pct", "loss", false, true },
		{ "loss_corr_pct", "loss correlation", false, true },
		{ "duplicate_pct", "duplicate", false, true },
		{ "corrupt_pct", "corrupt", false, true },
		{ "reorder_pct", "reorder", false, true },
		{ "gap", "gap", false, false },
		{ "rate_bytes_per_sec", "rate", false, false },
		{ "limit", "limit", false, false },
	};
	size_t w = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(fields) && w < len; i++) {
		json_t *v = json_object_get(n, fields[i].key);
		char val[48];
		if (!v)
			continue;
		if (fields[i].duration)
			format_duration((uint64_t)json_integer_value(v), val, sizeof(val));
		else if (fields[i].percent)
			snprintf(val, sizeof(val), "%g%%", json_number_value(v));
		else if (streq(fields[i].key, "rate_bytes_per_sec"))
			snprintf(val, sizeof(val), "%lldB/s", (long long)json_integer_value(v));
		else
			snprintf(val, sizeof(val), "%lld", (long long)json_integer_value(v));
		int k = snprintf(buf + w, len - w, "%s%s %s", w ? " " : "", fields[i].label, val);
		if (k < 0)
			break;
		w += (size_t)k;
		if (streq(fields[i].key, "jitter_ns") && json_object_get(n, "distribution") &&
		    w < len) {
			k = snprintf(buf + w, len - w, " %s",
				     json_string_value(json_object_get(n, "distribution")) ?: "?");
			w += k > 0 ? (size_t)k : 0;
		}
	}
}

static char *net_describe(const json_t *plan)
{
	char netem[384], names[256] = "", filter[320] = "";
	size_t i, w = 0;
	json_t *e;
	char *s = NULL;

	describe_netem(json_object_get(plan, "netem"), netem, sizeof(netem));
	json_array_foreach(json_object_get(plan, "interfaces"), i, e) {
		int k = snprintf(names + w, sizeof(names) - w, "%s%s", i ? ", " : "",
				 json_string_value(json_object_get(e, "ifname")) ?: "?");
		if (k < 0 || (size_t)k >= sizeof(names) - w)
			break;
		w += (size_t)k;
	}
	if (json_object_get(plan, "filter"))
		net_filter_describe(json_object_get(plan, "filter"), filter, sizeof(filter));
	if (asprintf(&s, "netem %s%s%s on %s%s in %s", netem, *filter ? " for " : "", filter, names,
		     json_is_true(json_object_get(plan, "all")) ? " (all)" : "",
		     json_string_value(json_object_get(json_object_get(plan, "netns"), "label")) ?:
			     "?") < 0)
		return NULL;
	return s;
}

/* network.partition (design §4): 100% loss towards the given destinations, as a
 * filtered network fault. The params are those of network without "netem"; the
 * filter must name dst. Checked here, at the boundary, not trusted from the
 * controller's sugar. */
static int net_partition_validate(const json_t *params, const struct fault_context *ctx,
				  json_t **ret_plan, char *err, size_t errlen)
{
	_cleanup_json_ json_t *p = NULL;
	const json_t *filter;

	if (!json_is_object(params)) {
		errbuf_set(err, errlen, "network.partition parameters must be an object");
		return -EINVAL;
	}
	if (json_object_get(params, "netem")) {
		errbuf_set(err, errlen,
			   "network.partition takes no netem: it drops every packet "
			   "towards its destinations");
		return -EINVAL;
	}
	filter = json_object_get(params, "filter");
	if (!json_is_object(filter) || !json_object_get(filter, "dst")) {
		errbuf_set(err, errlen,
			   "network.partition needs filter.dst: the destinations "
			   "to cut off");
		return -EINVAL;
	}
	p = json_deep_copy(params);
	if (!p || json_object_set_new(p, "netem", json_pack("{s:f}", "loss_pct", 100.0)) < 0)
		return -ENOMEM;
	return net_validate(p, ctx, ret_plan, err, errlen);
}

const struct fault_ops net_partition_fault_ops = {
	.kind = "network.partition",
	.duration = FAULT_DURATION_REQUIRED,
	.validate = net_partition_validate,
	.apply = net_fault_apply,
	.revert = net_fault_revert,
	.describe = net_describe,
};

const struct fault_ops net_netem_fault_ops = {
	.kind = "network",
	.duration = FAULT_DURATION_REQUIRED,
	.validate = net_validate,
	.apply = net_fault_apply,
	.revert = net_fault_revert,
	.describe = net_describe,
};
