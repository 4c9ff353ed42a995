/* SPDX-License-Identifier: Apache-2.0 */
#include "net_filter.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "net_qdisc.h"
#include "protocol.h"

int net_cidr_parse(const char *s, struct net_cidr *ret, char *err, size_t errlen)
{
	struct net_cidr c = { 0 };
	char addr[INET6_ADDRSTRLEN + 1], canon[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long prefix;
	char *end;

	if (n == 0 || n >= sizeof(addr))
		goto bad;
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (inet_pton(AF_INET, addr, c.addr) == 1)
		c.family = AF_INET;
	else if (inet_pton(AF_INET6, addr, c.addr) == 1)
		c.family = AF_INET6;
	else
		goto bad;
	c.prefix = c.family == AF_INET ? 32 : 128;
	if (slash) {
		if (slash[1] < '0' || slash[1] > '9')
			goto bad;
		errno = 0;
		prefix = strtoul(slash + 1, &end, 10);
		if (errno || *end || prefix > c.prefix || end - (slash + 1) > 3)
			goto bad;
		c.prefix = (uint8_t)prefix;
	}
	/* Host bits set past the prefix are most often a typo for another network:
	 * say which network the prefix means rather than guess. */
	for (unsigned bit = c.prefix; bit < (c.family == AF_INET ? 32U : 128U); bit++)
		if (c.addr[bit / 8] & (0x80 >> (bit % 8))) {
			struct net_cidr m = c;
			for (unsigned b = c.prefix; b < 128; b++)
				m.addr[b / 8] &= (uint8_t) ~(0x80 >> (b % 8));
			errbuf_set(err, errlen, "%.64s has host bits set; the network is %s", s,
				   net_cidr_format(&m, canon, sizeof(canon)));
			return -EINVAL;
		}
	*ret = c;
	return 0;
bad:
	errbuf_set(err, errlen,
		   "\"%.64s\" is not an IPv4 or IPv6 address or CIDR (10.0.0.0/24, fd00::/64)", s);
	return -EINVAL;
}

const char *net_cidr_format(const struct net_cidr *c, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(c->family, c->addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(buf, len, "%s/%u", a, c->prefix);
	return buf;
}

/* A key's values as a JSON array of 1 to NET_FILTER_MAX_VALUES; NULL when absent. */
static int values(const json_t *obj, const char *key, const char *where, json_t **ret, char *err,
		  size_t errlen)
{
	json_t *v = json_object_get(obj, key);

	*ret = NULL;
	if (!v)
		return 0;
	if (!json_is_array(v) || json_array_size(v) == 0 ||
	    json_array_size(v) > NET_FILTER_MAX_VALUES) {
		errbuf_set(err, errlen, "filter%s.%s must be a list of 1 to %d values", where, key,
			   NET_FILTER_MAX_VALUES);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

static int cidrs_from_json(const json_t *obj, const char *key, const char *where,
			   struct net_cidr *out, size_t *ret_n, char *err, size_t errlen)
{
	char why[160];
	json_t *list, *e;
	size_t i;
	int r = values(obj, key, where, &list, err, errlen);

	if (r < 0 || !list)
		return r;
	json_array_foreach(list, i, e) {
		if (!json_is_string(e)) {
			errbuf_set(err, errlen, "filter%s.%s: expected CIDR strings", where, key);
			return -EINVAL;
		}
		r = net_cidr_parse(json_string_value(e), &out[i], why, sizeof(why));
		if (r < 0) {
			errbuf_set(err, errlen, "filter%s.%s: %s", where, key, why);
			return r;
		}
	}
	*ret_n = json_array_size(list);
	return 0;
}

static int ports_from_json(const json_t *obj, const char *key, const char *where, uint16_t *out,
			   size_t *ret_n, char *err, size_t errlen)
{
	json_t *list, *e;
	size_t i;
	int r = values(obj, key, where, &list, err, errlen);

	if (r < 0 || !list)
		return r;
	json_array_foreach(list, i, e) {
		json_int_t p = json_integer_value(e);
		if (!json_is_integer(e) || p < 1 || p > 65535) {
			errbuf_set(err, errlen, "filter%s.%s: expected ports from 1 to 65535",
				   where, key);
			return -EINVAL;
		}
		out[i] = (uint16_t)p;
	}
	*ret_n = json_array_size(list);
	return 0;
}

static int set_from_json(const json_t *obj, bool exclude, struct net_filter_set *ret, char *err,
			 size_t errlen)
{
	static const char *const keys[] = { "dst",	"src",	   "dport", "sport",
					    "protocol", "exclude", NULL };
	const char *where = exclude ? ".exclude" : "";
	struct net_filter_set s = { 0 };
	json_t *list, *e;
	size_t i;
	int r;

	if (!json_is_object(obj)) {
		errbuf_set(err, errlen, "filter%s must be an object", where);
		return -EINVAL;
	}
	r = protocol_check_keys(obj,
				exclude ? (const char *const[]){ "dst", "src", "dport", "sport",
								 "protocol", NULL } :
					  keys,
				err, errlen);
	if (r >= 0)
		r = cidrs_from_json(obj, "dst", where, s.dst, &s.n_dst, err, errlen);
	if (r >= 0)
		r = cidrs_from_json(obj, "src", where, s.src, &s.n_src, err, errlen);
	if (r >= 0)
		r = ports_from_json(obj, "dport", where, s.dport, &s.n_dport, err, errlen);
	if (r >= 0)
		r = ports_from_json(obj, "sport", where, s.sport, &s.n_sport, err, errlen);
	if (r >= 0)
		r = values(obj, "protocol", where, &list, err, errlen);
	if (r < 0)
		return r;
	json_array_foreach(list, i, e) {
		const char *p = json_string_value(e);
		unsigned bit = !p		? 0 :
			       streq(p, "tcp")	? NET_PROTO_TCP :
			       streq(p, "udp")	? NET_PROTO_UDP :
			       streq(p, "icmp") ? NET_PROTO_ICMP :
						  0;
		if (!bit) {
			errbuf_set(err, errlen, "filter%s.protocol: expected tcp, udp or icmp",
				   where);
			return -EINVAL;
		}
		s.protocols |= bit;
	}
	if ((s.n_dport || s.n_sport) && (s.protocols & NET_PROTO_ICMP)) {
		errbuf_set(err, errlen, "filter%s: icmp has no ports; drop dport/sport or icmp",
			   where);
		return -EINVAL;
	}
	if (!s.n_dst && !s.n_src && !s.n_dport && !s.n_sport && !s.protocols &&
	    (exclude || !json_object_get(obj, "exclude"))) {
		errbuf_set(err, errlen,
			   "filter%s: expected at least one of dst, src, dport, sport "
			   "or protocol",
			   where);
		return -EINVAL;
	}
	*ret = s;
	return 0;
}

int net_filter_from_json(const json_t *v, struct net_filter *ret, char *err, size_t errlen)
{
	_cleanup_free_ struct net_u32_rule *scratch =
		calloc(NET_FILTER_MAX_RULES, sizeof(*scratch));
	struct net_filter f = { 0 };
	size_t total;
	int r;

	/* Trust boundary: the controller sends this; every field is checked. */
	if (!scratch)
		return -ENOMEM;
	r = set_from_json(v, false, &f.match, err, errlen);
	if (r < 0)
		return r;
	if (json_object_get(v, "exclude")) {
		r = set_from_json(json_object_get(v, "exclude"), true, &f.exclude, err, errlen);
		if (r < 0)
			return r;
		f.has_exclude = true;
	}
	r = net_filter_expand(&f.match, scratch, NET_FILTER_MAX_RULES, err, errlen);
	if (r < 0)
		return r;
	total = (size_t)r;
	if (f.has_exclude) {
		r = net_filter_expand(&f.exclude, scratch, NET_FILTER_MAX_RULES - total, err,
				      errlen);
		if (r < 0)
			return r;
	}
	*ret = f;
	return 0;
}

/* Appends a key: mask and value in host order, for the 32-bit word at off. */
static void key_add(struct net_u32_rule *r, int off, uint32_t mask, uint32_t val)
{
	struct tc_u32_key *k = &r->keys[r->nkeys++];

	k->mask = htonl(mask);
	k->val = htonl(val & mask);
	k->off = off;
	k->offmask = 0;
}

/* An address's words under its prefix: only the words the prefix reaches. */
static void key_addr(struct net_u32_rule *r, int off, const struct net_cidr *c)
{
	unsigned words = c->family == AF_INET ? 1 : 4;

	for (unsigned w = 0; w < words; w++) {
		int bits = (int)c->prefix - (int)(w * 32);
		uint32_t mask, val;
		if (bits <= 0)
			break;
		mask = bits >= 32 ? 0xffffffffU : ~(0xffffffffU >> bits);
		memcpy(&val, c->addr + w * 4, 4);
		key_add(r, off + (int)w * 4, mask, ntohl(val));
	}
}

static uint8_t proto_number(unsigned bit, int family)
{
	if (bit == NET_PROTO_TCP)
		return IPPROTO_TCP;
	if (bit == NET_PROTO_UDP)
		return IPPROTO_UDP;
	return family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
}

/* One selector: the given dst, src (NULL: any), protocol bit (0: any), ports (0: any). */
static void rule_build(struct net_u32_rule *r, int family, const struct net_cidr *dst,
		       const struct net_cidr *src, unsigned proto, uint16_t dport, uint16_t sport)
{
	bool v4 = family == AF_INET;
	int l4 = v4 ? 20 : 40;

	memset(r, 0, sizeof(*r));
	r->eth_proto = v4 ? ETH_P_IP : ETH_P_IPV6;
	if (src)
		key_addr(r, v4 ? 12 : 8, src);
	if (dst)
		key_addr(r, v4 ? 16 : 24, dst);
	if (proto) {
		if (v4)
			key_add(r, 8, 0x00ff0000U, (uint32_t)proto_number(proto, family) << 16);
		else
			key_add(r, 4, 0x0000ff00U, (uint32_t)proto_number(proto, family) << 8);
	}
	if (dport || sport) {
		/* Ports sit at a fixed offset only when nothing comes between the
		 * network and transport headers (net_filter.h). */
		if (v4) {
			key_add(r, 0, 0x0f000000U, 0x05000000U); /* IHL 5: no options */
			key_add(r, 4, 0x00001fffU, 0); /* fragment offset 0 */
		}
		key_add(r, l4, (sport ? 0xffff0000U : 0) | (dport ? 0x0000ffffU : 0),
			((uint32_t)sport << 16) | dport);
	}
	if (r->nkeys == 0)
		key_add(r, 0, 0, 0); /* the whole family: u32 needs one key */
}

int net_filter_expand(const struct net_filter_set *s, struct net_u32_rule *rules, size_t max,
		      char *err, size_t errlen)
{
	static const int families[] = { AF_INET, AF_INET6 };
	static const unsigned protos[] = { NET_PROTO_TCP, NET_PROTO_UDP, NET_PROTO_ICMP };
	bool ports = s->n_dport || s->n_sport;
	unsigned want = s->protocols ? s->protocols : ports ? NET_PROTO_TCP | NET_PROTO_UDP : 0;
	size_t n = 0;

	for (size_t fi = 0; fi < ARRAY_SIZE(families); fi++) {
		int fam = families[fi];
		size_t nd = s->n_dst ?: 1, ns = s->n_src ?: 1, np = want ? 0 : 1;
		bool any_d = false, any_s = false;

		for (size_t i = 0; i < s->n_dst; i++)
			any_d |= s->dst[i].family == fam;
		for (size_t i = 0; i < s->n_src; i++)
			any_s |= s->src[i].family == fam;
		if ((s->n_dst && !any_d) || (s->n_src && !any_s))
			continue; /* this family has no address to match */
		for (size_t i = 0; i < ARRAY_SIZE(protos); i++)
			np += (want & protos[i]) != 0;
		for (size_t d = 0; d < nd; d++) {
			const struct net_cidr *dst = s->n_dst ? &s->dst[d] : NULL;
			if (dst && dst->family != fam)
				continue;
			for (size_t si = 0; si < ns; si++) {
				const struct net_cidr *src = s->n_src ? &s->src[si] : NULL;
				if (src && src->family != fam)
					continue;
				for (size_t p = 0, pi = 0; p < np; p++, pi++) {
					unsigned proto = 0;
					if (want) {
						while (!(want & protos[pi]))
							pi++;
						proto = protos[pi];
					}
					for (size_t dp = 0; dp < (s->n_dport ?: 1); dp++)
						for (size_t sp = 0; sp < (s->n_sport ?: 1); sp++) {
							if (n == max) {
								errbuf_set(
									err, errlen,
									"the filters expand to "
									"more than %d u32 rules; "
									"use fewer values or "
									"wider CIDRs",
									NET_FILTER_MAX_RULES);
								return -E2BIG;
							}
							rule_build(&rules[n++], fam, dst, src,
								   proto,
								   s->n_dport ? s->dport[dp] : 0,
								   s->n_sport ? s->sport[sp] : 0);
						}
				}
			}
		}
	}
	if (n == 0) {
		errbuf_set(err, errlen,
			   "filter: dst and src share no address family, so nothing "
			   "could match");
		return -EINVAL;
	}
	return (int)n;
}

uint16_t net_filter_pref(const struct net_u32_rule *r, bool exclude, unsigned slot)
{
	return (uint16_t)(slot * NET_FILTER_PREFS_PER_SLOT + (exclude ? 1 : 3) +
			  (r->eth_proto == ETH_P_IPV6));
}

int net_build_u32_msg(int ifindex, uint32_t parent, uint16_t pref, const struct net_u32_rule *rule,
		      uint32_t classid, struct nl_msg **ret)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = NULL;
	struct tcmsg tcm = {
		.tcm_family = AF_UNSPEC,
		.tcm_ifindex = ifindex,
		.tcm_parent = parent,
		.tcm_info = TC_H_MAKE((uint32_t)pref << 16, htons(rule->eth_proto)),
	};
	/* The selector and its keys, contiguous (keys[] is a flexible array). */
	uint32_t buf[(sizeof(struct tc_u32_sel) + NET_FILTER_MAX_KEYS * sizeof(struct tc_u32_key)) /
		     sizeof(uint32_t)] = { 0 };
	struct tc_u32_sel *sel = (struct tc_u32_sel *)buf;
	size_t sel_len = sizeof(struct tc_u32_sel) + rule->nkeys * sizeof(struct tc_u32_key);
	struct nlattr *opts;

	sel->flags = TC_U32_TERMINAL;
	sel->nkeys = rule->nkeys;
	memcpy(sel->keys, rule->keys, rule->nkeys * sizeof(struct tc_u32_key));
	msg = nlmsg_alloc_size(NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(tcm)) + sel_len + 128);
	if (!msg || !nlmsg_put(msg, 0, 0, RTM_NEWTFILTER, 0, NLM_F_CREATE | NLM_F_EXCL) ||
	    nlmsg_append(msg, &tcm, sizeof(tcm), NLMSG_ALIGNTO) < 0 ||
	    nla_put_string(msg, TCA_KIND, "u32") < 0 ||
	    !(opts = nla_nest_start(msg, TCA_OPTIONS)) ||
	    nla_put_u32(msg, TCA_U32_CLASSID, classid) < 0 ||
	    nla_put(msg, TCA_U32_SEL, (int)sel_len, sel) < 0 || nla_nest_end(msg, opts) < 0)
		return -ENOMEM;
	*ret = TAKE_PTR(msg);
	return 0;
}

int net_build_prio_msg(int ifindex, struct nl_msg **ret)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = NULL;
	/* The kernel's prio_tune() takes the struct as TCA_OPTIONS itself; the
	 * priomap is prio's default (and pfifo_fast's), bands 0..2 only. */
	struct tc_prio_qopt q = {
		.bands = NET_FILTER_BANDS,
		.priomap = { 1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1 },
	};
	struct tcmsg tcm = {
		.tcm_family = AF_UNSPEC,
		.tcm_ifindex = ifindex,
		.tcm_handle = NET_FAULT_HANDLE,
		.tcm_parent = TC_H_ROOT,
	};

	msg = nlmsg_alloc_size(256);
	if (!msg || !nlmsg_put(msg, 0, 0, RTM_NEWQDISC, 0, NLM_F_CREATE | NLM_F_EXCL) ||
	    nlmsg_append(msg, &tcm, sizeof(tcm), NLMSG_ALIGNTO) < 0 ||
	    nla_put_string(msg, TCA_KIND, NET_FILTER_ROOT_KIND) < 0 ||
	    nla_put(msg, TCA_OPTIONS, sizeof(q), &q) < 0)
		return -ENOMEM;
	*ret = TAKE_PTR(msg);
	return 0;
}

static size_t describe_set(const json_t *s, char *buf, size_t len)
{
	static const char *const keys[] = { "protocol", "dst", "src", "dport", "sport" };
	size_t w = 0;

	for (size_t k = 0; k < ARRAY_SIZE(keys) && w < len; k++) {
		json_t *list = json_object_get(s, keys[k]), *e;
		size_t i;
		if (!json_is_array(list))
			continue;
		int n = snprintf(buf + w, len - w, "%s%s ", w ? " " : "", keys[k]);
		w += n > 0 ? (size_t)n : 0;
		json_array_foreach(list, i, e) {
			if (w >= len)
				break;
			n = json_is_string(e) ? snprintf(buf + w, len - w, "%s%s", i ? "," : "",
							 json_string_value(e)) :
						snprintf(buf + w, len - w, "%s%lld", i ? "," : "",
							 (long long)json_integer_value(e));
			w += n > 0 ? (size_t)n : 0;
		}
	}
	return w < len ? w : len - 1;
}

void net_filter_describe(const json_t *filter, char *buf, size_t len)
{
	size_t w;

	if (!len)
		return;
	buf[0] = '\0';
	w = describe_set(filter, buf, len);
	if (json_object_get(filter, "exclude") && w + 16 < len) {
		w += (size_t)snprintf(buf + w, len - w, "%s", w ? " except " : "all IP except ");
		describe_set(json_object_get(filter, "exclude"), buf + w, len - w);
	}
}
