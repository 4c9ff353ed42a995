/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Filters of the network fault (design §4): which packets of an interface pass the
 * fault's netem. Pure: JSON in, u32 selectors and netlink requests out, no I/O.
 *
 * A filtered fault puts a classful root on the interface instead of netem, and
 * up to NET_FILTER_SLOTS filtered faults share it, each in a slot k of its own
 * (net_slot.h):
 *
 *   prio fa17: root bands 11 (the default priomap: only bands 1..3 are ever chosen
 *   |                          by priority, so unmatched traffic never meets netem)
 *   +- fa17:1 .. fa17:3        the kernel's pfifo children, as under any prio
 *   +- fa17:(4+k) netem fa18+k:  the fault of slot k (fa18: for slot 0, fa19: ...)
 *   filters at fa17: (u32, all terminal), for slot k:
 *     pref 4k+1 (ip) / 4k+2 (ipv6)  exclusions  -> classid fa17:2 (best-effort band)
 *     pref 4k+3 (ip) / 4k+4 (ipv6)  matches     -> classid fa17:(4+k) (its netem)
 *
 * The kernel runs filters by preference, so exclusions win, and a lower slot's
 * filters come before a higher one's: a packet that two faults match meets only
 * the netem of the lower slot. Within a preference every u32 node is terminal:
 * the first selector that matches decides. An exclusion is terminal as well, so
 * it would also hide its packets from the other slots' filters: a fault with
 * exclusions therefore never shares the root (validation refuses it).
 *
 * The filter object (params "filter", untrusted):
 *   dst, src    ["CIDR", ...]   IPv4 or IPv6, 1 to 16; "10.0.0.3" is a /32, "fd00::1"
 *                               a /128; host bits past the prefix are refused
 *   dport, sport [N, ...]       1 to 65535, 1 to 16 ports
 *   protocol    ["tcp"|"udp"|"icmp", ...]   icmp is ICMPv6 for IPv6 packets
 *   exclude     {the same keys but exclude}: traffic never impaired
 * Keys combine with AND, the values of one key with OR. With exclude alone, every
 * IPv4 and IPv6 packet but the excluded ones is impaired (non-IP traffic, ARP for
 * one, is never filtered into netem). Ports without a protocol
 * mean tcp and udp; ports with icmp are refused.
 *
 * What u32 can see (documented limits, not silent ones): selectors use fixed
 * offsets from the network header. Port matches therefore require an IPv4 header
 * without options (IHL 5) that is not a later fragment, or an IPv6 header whose
 * next header is the transport itself (no extension headers). Other packets do not
 * match a port filter, so they pass unimpaired, never the other way around.
 */
#pragma once

#include <jansson.h>
#include <linux/pkt_cls.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nl_msg;

#define NET_FILTER_MAX_VALUES 16 /* per key */
#define NET_FILTER_MAX_RULES 256 /* u32 nodes per fault, matches and exclusions */
#define NET_FILTER_MAX_KEYS 12 /* per selector: v6 src + dst + proto + ports = 11 */

/* Handles under the filtered root (the prio has NET_FAULT_HANDLE). Slot k has the
 * netem NET_FILTER_NETEM_HANDLE + (k << 16) on band NET_FILTER_NETEM_BAND + k. */
#define NET_FILTER_SLOTS 8 /* filtered faults per interface: fa18: .. fa1f: */
#define NET_FILTER_NETEM_HANDLE 0xfa180000U
#define NET_FILTER_NETEM_BAND 4 /* fa17:4, slot 0's */
#define NET_FILTER_BANDS (NET_FILTER_NETEM_BAND - 1 + NET_FILTER_SLOTS)
#define NET_FILTER_PASS_BAND 2 /* fa17:2, where exclusions go */
#define NET_FILTER_PREFS_PER_SLOT 4
#define NET_FILTER_ROOT_KIND "prio"

struct net_cidr {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	uint8_t prefix;
};

enum {
	NET_PROTO_TCP = 1 << 0,
	NET_PROTO_UDP = 1 << 1,
	NET_PROTO_ICMP = 1 << 2,
};

/* One side: the matches, or the exclusions. An empty key is "any". */
struct net_filter_set {
	struct net_cidr dst[NET_FILTER_MAX_VALUES], src[NET_FILTER_MAX_VALUES];
	uint16_t dport[NET_FILTER_MAX_VALUES], sport[NET_FILTER_MAX_VALUES];
	size_t n_dst, n_src, n_dport, n_sport;
	unsigned protocols; /* NET_PROTO_*; 0 = any */
};

struct net_filter {
	struct net_filter_set match;
	struct net_filter_set exclude;
	bool has_exclude;
};

/* One u32 node: the ethertype it is filed under and its keys (network order). */
struct net_u32_rule {
	uint16_t eth_proto; /* host order: ETH_P_IP or ETH_P_IPV6 */
	uint8_t nkeys;
	struct tc_u32_key keys[NET_FILTER_MAX_KEYS];
};

/* Parses "10.0.0.0/24", "fd00::/64", "10.0.0.3" (/32), "::1" (/128). Host bits
 * beyond the prefix are an error (-EINVAL, with what was meant in err). */
int net_cidr_parse(const char *s, struct net_cidr *ret, char *err, size_t errlen);

/* Formats a CIDR back ("10.0.0.0/24"); returns buf. */
const char *net_cidr_format(const struct net_cidr *c, char *buf, size_t len);

/* Reads and checks the filter object (see above). Returns 0 and fills *ret, or
 * -EINVAL (-E2BIG when it would expand past NET_FILTER_MAX_RULES) with a message
 * naming the key. *ret is untouched on failure. */
int net_filter_from_json(const json_t *v, struct net_filter *ret, char *err, size_t errlen);

/* The selectors of one side: the cross product of its keys, per address family.
 * Returns how many were written to rules[0..max), or -E2BIG past max, or -EINVAL
 * (with a message) when the keys cannot combine (dst only IPv4, src only IPv6). */
int net_filter_expand(const struct net_filter_set *s, struct net_u32_rule *rules, size_t max,
		      char *err, size_t errlen);

/* The filter preference of a rule in slot: exclusions 4 slot + 1 (ip) and + 2
 * (ipv6), matches + 3 and + 4. */
uint16_t net_filter_pref(const struct net_u32_rule *r, bool exclude, unsigned slot);

/* The netem handle (fa18+slot:) and the prio band (4+slot) of slot. */
static inline uint32_t net_filter_slot_netem(unsigned slot)
{
	return NET_FILTER_NETEM_HANDLE + (slot << 16);
}
static inline unsigned net_filter_slot_band(unsigned slot)
{
	return NET_FILTER_NETEM_BAND + slot;
}

/* RTM_NEWTFILTER for rule at parent NET_FAULT_HANDLE of ifindex, u32, terminal,
 * classid fa17:band. Returns 0 and a new message (nlmsg_free() it) or -ENOMEM. */
int net_build_u32_msg(int ifindex, uint32_t parent, uint16_t pref, const struct net_u32_rule *rule,
		      uint32_t classid, struct nl_msg **ret);

/* RTM_NEWQDISC (NLM_F_CREATE | NLM_F_EXCL) of the prio root: handle
 * NET_FAULT_HANDLE, NET_FILTER_BANDS bands, the kernel's default priomap. */
int net_build_prio_msg(int ifindex, struct nl_msg **ret);

/* A short description for logs and plans: "dst 10.0.0.0/24 dport 80 (except ...)". */
void net_filter_describe(const json_t *filter, char *buf, size_t len);
