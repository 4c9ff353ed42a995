/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The filter keys of a network fault's target, converted to the protocol's
 * "filter" object (injector/net_filter.h):
 *
 *   dst, src     "10.0.0.0/24" | ["10.0.0.3", "fd00::/64", ...]   1 to 16
 *   dport, sport 5432 | [80, 443]                                 1 to 16, 1..65535
 *   protocol     tcp | udp | icmp | [tcp, udp]
 *   exclude      {the same keys}: traffic that is never impaired
 *
 * Every value becomes a list. Not a security boundary: the injector checks all of
 * it again; this gives `faultline validate` its file:line:col errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "scenario.h"
#include "scenario_faults.h"

#define FILTER_MAX_VALUES 16

static const char *const filter_keys[] = { "dport", "dst", "exclude", "protocol",
					   "sport", "src", NULL };
static const char *const exclude_keys[] = { "dport", "dst", "protocol", "sport", "src", NULL };

/* A CIDR as the injector reads it: an address, an optional /prefix within the
 * family's length, no host bits past the prefix. */
static bool cidr_ok(const char *s, size_t len, const char **ret_why)
{
	unsigned char addr[16];
	char buf[INET6_ADDRSTRLEN + 1];
	const char *slash = memchr(s, '/', len);
	size_t n = slash ? (size_t)(slash - s) : len;
	unsigned bits = 32, prefix;
	char *end;

	*ret_why = "an IPv4 or IPv6 address or CIDR such as 10.0.0.0/24 or fd00::/64";
	if (n == 0 || n >= sizeof(buf) || strlen(s) != len)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, addr) != 1) {
		if (inet_pton(AF_INET6, buf, addr) != 1)
			return false;
		bits = 128;
	}
	prefix = bits;
	if (slash) {
		if (slash[1] < '0' || slash[1] > '9' || len - n > 4)
			return false;
		prefix = (unsigned)strtoul(slash + 1, &end, 10);
		if (*end || prefix > bits)
			return false;
	}
	for (unsigned b = prefix; b < bits; b++)
		if (addr[b / 8] & (0x80 >> (b % 8))) {
			*ret_why = "a network address: the bits past the prefix must be 0 "
				   "(10.0.0.0/24, not 10.0.0.1/24)";
			return false;
		}
	return true;
}

/* One value of key into a JSON value, or an error at n. */
static int filter_value(struct sv_ctx *c, const char *what, const char *key, const struct ynode *n,
			json_t **ret)
{
	char found[96];
	const char *s, *why;
	uint64_t port;

	if (streq(key, "dport") || streq(key, "sport")) {
		if (sv_uint(c, what, n, "a port from 1 to 65535", &port) < 0)
			return -EINVAL;
		if (port < 1 || port > 65535)
			return sv_error(c, n->line, n->col,
					"%s: expected a port from 1 to 65535, found %s", what,
					ynode_describe(n, found, sizeof(found)));
		*ret = json_integer((json_int_t)port);
		return *ret ? 0 : sv_oom(c);
	}
	if (sv_string(c, what, n, &s) < 0)
		return -EINVAL;
	if (streq(key, "protocol")) {
		if (!streq(s, "tcp") && !streq(s, "udp") && !streq(s, "icmp"))
			return sv_error(c, n->line, n->col,
					"%s: expected tcp, udp or icmp, found %s", what,
					ynode_describe(n, found, sizeof(found)));
	} else if (!cidr_ok(s, n->len, &why)) {
		return sv_error(c, n->line, n->col, "%s: expected %s, found %s", what, why,
				ynode_describe(n, found, sizeof(found)));
	}
	*ret = json_string(s);
	return *ret ? 0 : sv_oom(c);
}

/* key: one value or a list of 1 to 16, into out[key] as a list. */
static int filter_key(struct sv_ctx *c, const char *prefix, const char *key, const struct ynode *n,
		      json_t *out)
{
	_cleanup_(json_decrefp) json_t *list = json_array();
	char what[48], found[96];
	json_t *v;
	int r = 0;

	snprintf(what, sizeof(what), "%s.%s", prefix, key);
	if (!list)
		return sv_oom(c);
	if (n->kind == YNODE_SEQUENCE) {
		if (n->n_items == 0 || n->n_items > FILTER_MAX_VALUES)
			return sv_error(c, n->line, n->col, "%s: expected 1 to %d values, found %s",
					what, FILTER_MAX_VALUES,
					ynode_describe(n, found, sizeof(found)));
		for (size_t i = 0; i < n->n_items; i++) {
			if (filter_value(c, what, key, n->items[i], &v) < 0) {
				r = -EINVAL;
				continue;
			}
			json_array_append_new(list, v);
		}
	} else if (filter_value(c, what, key, n, &v) < 0) {
		r = -EINVAL;
	} else {
		json_array_append_new(list, v);
	}
	if (r < 0)
		return r;
	return json_object_set(out, key, list) == 0 ? 0 : sv_oom(c);
}

/* The keys of one side (the target, or its exclude mapping) present in m. */
static int filter_side(struct sv_ctx *c, const struct ynode *m, const char *prefix, json_t *out)
{
	int r = 0;

	for (size_t i = 0; exclude_keys[i]; i++) {
		const struct ynode *v = ynode_get(m, exclude_keys[i]);
		if (v && filter_key(c, prefix, exclude_keys[i], v, out) < 0)
			r = -EINVAL;
	}
	if (r == 0 && (json_object_get(out, "dport") || json_object_get(out, "sport"))) {
		json_t *p = json_object_get(out, "protocol"), *e;
		size_t i;
		json_array_foreach(p, i, e)
			if (streq(json_string_value(e), "icmp"))
				return sv_error(c, m->line, m->col,
						"%s: icmp has no ports; drop dport/sport or icmp",
						prefix);
	}
	return r;
}

static bool filter_keys_present(const struct ynode *target)
{
	for (size_t i = 0; filter_keys[i]; i++)
		if (ynode_get(target, filter_keys[i]))
			return true;
	return false;
}

int convert_network_filter(struct sv_ctx *c, const struct ynode *target, json_t *params)
{
	_cleanup_(json_decrefp) json_t *filter = json_object();
	const struct ynode *ex = ynode_get(target, "exclude");
	char found[96];
	int r;

	if (!filter)
		return sv_oom(c);
	if (!filter_keys_present(target))
		return 0;
	r = filter_side(c, target, "target", filter);
	if (ex) {
		_cleanup_(json_decrefp) json_t *x = json_object();
		if (!x)
			return sv_oom(c);
		if (ex->kind != YNODE_MAPPING)
			return sv_error(c, ex->line, ex->col,
					"target.exclude: expected a mapping of dst, src, dport, "
					"sport or protocol, found %s",
					ynode_describe(ex, found, sizeof(found)));
		if (sv_check_keys(c, ex, "in target.exclude", exclude_keys, NULL) < 0)
			r = -EINVAL;
		if (filter_side(c, ex, "target.exclude", x) < 0)
			r = -EINVAL;
		else if (json_object_size(x) == 0)
			r = sv_error(c, ex->line, ex->col,
				     "target.exclude: expected at least one of dst, src, dport, "
				     "sport or protocol");
		else if (json_object_set(filter, "exclude", x) < 0)
			return sv_oom(c);
	}
	if (r < 0)
		return r;
	/* exclude alone: every IP packet but the excluded ones. */
	return json_object_set(params, "filter", filter) == 0 ? 0 : sv_oom(c);
}
