/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The "network" fault type: one netem qdisc at the root of the chosen interfaces,
 * egress, unfiltered. Converts the scenario's knobs, written with units, into the
 * protocol's params:
 *
 *   target: {interface: eth0 | [eth0, eth1] | all, netns: app | /path | {pid: N}}
 *   delay, jitter           durations            -> netem.delay_ns, jitter_ns
 *   correlation             percentage           -> netem.delay_corr_pct
 *   distribution            uniform | normal | pareto | paretonormal
 *   loss, loss_correlation  percentages          -> netem.loss_pct, loss_corr_pct
 *   duplicate, corrupt      percentages          -> netem.duplicate_pct, corrupt_pct
 *   reorder, gap            percentage, packets  -> netem.reorder_pct, gap
 *   rate                    1mbit, 20MiB/s, ...  -> netem.rate_bytes_per_sec
 *   limit                   packets              -> netem.limit
 *
 * Filters (dst, src, dport, sport, protocol, exclude) become params.filter
 * (scenario_net_filter.c). direction: egress (default), ingress (through an IFB
 * device) or both. A netns chosen by cgroup is planned (design §4) and refused
 * here as "not supported yet".
 *
 * Not a security boundary: the injector checks everything again. The rules that
 * tie knobs together are the injector's (net_netem.c); they are repeated here so
 * that `faultline validate` reports them with a position.
 */

#include <string.h>

#include "parse.h"
#include "scenario.h"
#include "scenario_faults.h"

#define NET_DELAY_MAX_NS (3600ULL * 1000000000ULL) /* one hour, as the injector */
#define NET_JITTER_MAX_NS 2147483647ULL /* the kernel's s32 */
#define NET_RATE_MAX (1ULL << 40) /* bytes per second */
#define NET_LIMIT_MAX (1ULL << 31)
#define NET_IFNAME_MAX 15
#define NET_NETNS_NAME_MAX 64
#define NET_MAX_INTERFACES 64

static const char *const network_target_keys[] = { "direction", "dport", "dst",	     "exclude",
						   "interface", "netns", "protocol", "sport",
						   "src",	NULL };
static const char *const network_later_keys[] = { "cgroup", NULL }; /* see netns */

static int set(struct sv_ctx *c, json_t *obj, const char *key, json_t *v)
{
	return v && json_object_set_new(obj, key, v) == 0 ? 0 : sv_oom(c);
}

static bool ifname_ok(const char *s, size_t len)
{
	if (len == 0 || len > NET_IFNAME_MAX || streq(s, ".") || streq(s, ".."))
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == '/' || s[i] == ':')
			return false;
	return true;
}

static int ifname_value(struct sv_ctx *c, const struct ynode *n, json_t **ret)
{
	char found[96];
	const char *s;

	if (sv_string(c, "target.interface", n, &s) < 0)
		return -EINVAL;
	if (!ifname_ok(s, n->len))
		return sv_error(c, n->line, n->col,
				"target.interface: expected an interface name of 1 to 15 printable "
				"characters without '/', ':' or spaces, found %s",
				ynode_describe(n, found, sizeof(found)));
	*ret = json_string(s);
	return *ret ? 0 : sv_oom(c);
}

static int convert_interface(struct sv_ctx *c, const struct ynode *n, json_t *params)
{
	_cleanup_(json_decrefp) json_t *list = NULL;
	char found[96];
	json_t *v;
	int r = 0;

	if (n->kind == YNODE_SCALAR) {
		if (ifname_value(c, n, &v) < 0)
			return -EINVAL;
		return set(c, params, "interface", v);
	}
	if (n->kind != YNODE_SEQUENCE || n->n_items == 0 || n->n_items > NET_MAX_INTERFACES)
		return sv_error(c, n->line, n->col,
				"target.interface: expected an interface name, a list of 1 to %d "
				"names, or all, found %s",
				NET_MAX_INTERFACES, ynode_describe(n, found, sizeof(found)));
	list = json_array();
	if (!list)
		return sv_oom(c);
	for (size_t i = 0; i < n->n_items; i++) {
		const struct ynode *e = n->items[i];
		if (ifname_value(c, e, &v) < 0) {
			r = -EINVAL;
			continue;
		}
		for (size_t j = 0; j < json_array_size(list); j++)
			if (streq(json_string_value(json_array_get(list, j)), json_string_value(v)))
				r = sv_error(c, e->line, e->col,
					     "target.interface: %s is listed twice",
					     json_string_value(v));
		json_array_append_new(list, v);
	}
	if (r < 0)
		return r;
	return set(c, params, "interface", TAKE_PTR(list));
}

static bool netns_name_ok(const char *s, size_t len)
{
	if (len == 0 || len > NET_NETNS_NAME_MAX || streq(s, ".") || streq(s, ".."))
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

static int convert_netns(struct sv_ctx *c, const struct ynode *n, json_t *params)
{
	char found[96];
	const char *s;
	uint64_t pid;

	if (n->kind == YNODE_MAPPING) {
		static const char *const keys[] = { "cgroup", "pid", NULL };
		const struct ynode *p = ynode_get(n, "pid"), *cg = ynode_get(n, "cgroup");
		if (sv_check_keys(c, n, "in target.netns", keys, NULL) < 0)
			return -EINVAL;
		if (cg && !p) {
			if (sv_string(c, "target.netns.cgroup", cg, &s) < 0)
				return -EINVAL;
			if (s[0] != '/' || strstr(s, "/../") || strstr(s, "/./") ||
			    strstr(s, "//") || cg->len >= 1024)
				return sv_error(
					c, cg->line, cg->col,
					"target.netns.cgroup: expected an absolute cgroup v2 "
					"path such as /system.slice/app.service, found %s",
					ynode_describe(cg, found, sizeof(found)));
			return set(c, params, "netns", json_pack("{s:s}", "cgroup", s));
		}
		if (!p)
			return sv_missing(c, n, "pid", "in target.netns",
					  "a pid such as {pid: 1234} or a cgroup such as "
					  "{cgroup: /system.slice/app.service}");
		if (sv_uint(c, "target.netns.pid", p, "a pid from 1 to 4194304", &pid) < 0)
			return -EINVAL;
		if (pid < 1 || pid > 4194304)
			return sv_error(
				c, p->line, p->col,
				"target.netns.pid: expected a pid from 1 to 4194304, found %s",
				ynode_describe(p, found, sizeof(found)));
		return set(c, params, "netns", json_pack("{s:I}", "pid", (json_int_t)pid));
	}
	if (sv_string(c, "target.netns", n, &s) < 0)
		return -EINVAL;
	if (s[0] == '/' ? n->len >= 4096 : !netns_name_ok(s, n->len))
		return sv_error(c, n->line, n->col,
				"target.netns: expected a name made by 'ip netns add' (1 to 64 "
				"characters from A-Z a-z 0-9 . _ -), an absolute path or {pid: N}, "
				"found %s",
				ynode_describe(n, found, sizeof(found)));
	return set(c, params, "netns", json_string(s));
}

static int convert_network_target(struct sv_ctx *c, const struct ynode *fault, json_t *params)
{
	const struct ynode *n = ynode_get(fault, "target"), *v;
	char found[96];
	const char *s;
	int r = 0;

	if (!n)
		return sv_missing(c, fault, "target", "in fault",
				  "a mapping such as {interface: eth0, netns: app}");
	if (n->kind != YNODE_MAPPING)
		return sv_error(c, n->line, n->col,
				"target: expected a mapping such as {interface: eth0, netns: app}, "
				"found %s",
				ynode_describe(n, found, sizeof(found)));
	if (sv_check_keys(c, n, "in target", network_target_keys, network_later_keys) < 0)
		r = -EINVAL;
	for (size_t i = 0; network_later_keys[i]; i++) {
		const struct ynode_pair *p = ynode_get_pair(n, network_later_keys[i]);
		if (p)
			r = sv_error(c, p->key->line, p->key->col,
				     "target.%s: a network fault's cgroup names its namespace: "
				     "write netns: {cgroup: PATH}",
				     network_later_keys[i]);
	}
	if (convert_network_filter(c, n, params) < 0)
		r = -EINVAL;
	if ((v = ynode_get(n, "direction")) && sv_string(c, "target.direction", v, &s) == 0) {
		if (!streq(s, "egress") && !streq(s, "ingress") && !streq(s, "both"))
			r = sv_error(c, v->line, v->col,
				     "target.direction: expected egress, ingress or both, found %s",
				     ynode_describe(v, found, sizeof(found)));
		else if (!streq(s, "egress") && set(c, params, "direction", json_string(s)) < 0)
			return -ENOMEM;
	} else if (v) {
		r = -EINVAL;
	}
	if (!(v = ynode_get(n, "interface")))
		r = sv_missing(c, n, "interface", "in target",
			       "an interface name, a list of names, or all");
	else if (convert_interface(c, v, params) < 0)
		r = -EINVAL;
	if ((v = ynode_get(n, "netns")) && !ynode_is_null(v) && convert_netns(c, v, params) < 0)
		r = -EINVAL;
	return r;
}

/* A duration knob above 0, at most max; 0 when absent. */
static int duration_knob(struct sv_ctx *c, const struct ynode *fault, const char *key, uint64_t max,
			 const char *max_text, uint64_t *ret)
{
	const struct ynode *n = ynode_get(fault, key);
	char found[96];

	if (!n)
		return 0;
	if (sv_duration(c, key, n, ret) < 0)
		return -EINVAL;
	if (*ret == 0 || *ret > max)
		return sv_error(c, n->line, n->col,
				"%s: expected a duration above 0 and at most %s, found %s", key,
				max_text, ynode_describe(n, found, sizeof(found)));
	return 0;
}

/* A percentage knob, e.g. "30%", above 0; -1 when absent. */
static int percent_knob(struct sv_ctx *c, const struct ynode *fault, const char *key, double *ret)
{
	const struct ynode *n = ynode_get(fault, key);
	char why[256];
	const char *s;

	*ret = -1;
	if (!n)
		return 0;
	if (sv_string(c, key, n, &s) < 0)
		return -EINVAL;
	if (parse_percent(s, ret, why, sizeof(why)) < 0) {
		*ret = -1;
		return sv_error(c, n->line, n->col, "%s: %s", key, why);
	}
	if (*ret <= 0)
		return sv_error(c, n->line, n->col, "%s: expected a percentage above 0%%, found %s",
				key, s);
	return 0;
}

static int rate_knob(struct sv_ctx *c, const struct ynode *n, uint64_t *ret)
{
	char why[256];
	struct rate rate;
	const char *s;
	double bytes;

	if (sv_string(c, "rate", n, &s) < 0)
		return -EINVAL;
	if (parse_rate(s, &rate, why, sizeof(why)) < 0)
		return sv_error(c, n->line, n->col, "rate: %s", why);
	if (rate.kind == RATE_PER_SECOND)
		return sv_error(c, n->line, n->col,
				"rate: expected a bandwidth such as 1mbit or 20MiB/s, found %s", s);
	bytes = rate.kind == RATE_BITS_PER_SECOND ? rate.value / 8 : rate.value;
	if (!(bytes >= 1) || bytes > (double)NET_RATE_MAX)
		return sv_error(c, n->line, n->col,
				"rate: expected from 8bit (1 byte/s) to 1TiB/s, found %s", s);
	*ret = (uint64_t)(bytes + 0.5); /* to nearest; bytes >= 1 */
	return 0;
}

/* "key requires other": reported at key. */
static int requires(struct sv_ctx *c, const struct ynode *fault, const char *key, const char *other,
		    const char *why)
{
	const struct ynode_pair *p = ynode_get_pair(fault, key);

	if (!p || ynode_get(fault, other))
		return 0;
	return sv_error(c, p->key->line, p->key->col, "%s: requires %s%s", key, other, why);
}

int convert_network(struct sv_ctx *c, const struct ynode *fault, struct scenario_fault *f,
		    json_t **ret_params)
{
	static const char *const percents[][2] = {
		{ "correlation", "delay_corr_pct" },
		{ "loss", "loss_pct" },
		{ "loss_correlation", "loss_corr_pct" },
		{ "duplicate", "duplicate_pct" },
		{ "corrupt", "corrupt_pct" },
		{ "reorder", "reorder_pct" },
	};
	_cleanup_(json_decrefp) json_t *params = json_object(), *netem = json_object();
	const struct ynode *n;
	uint64_t delay = 0, jitter = 0, u;
	char found[96];
	const char *s;
	int r = 0;

	(void)f;
	if (!params || !netem)
		return sv_oom(c);
	if (convert_network_target(c, fault, params) < 0)
		r = -EINVAL;

	if (duration_knob(c, fault, "delay", NET_DELAY_MAX_NS, "1h", &delay) < 0)
		r = -EINVAL;
	else if (delay && set(c, netem, "delay_ns", json_integer((json_int_t)delay)) < 0)
		return -ENOMEM;
	if (duration_knob(c, fault, "jitter", NET_JITTER_MAX_NS, "2147483647ns (about 2.1s)",
			  &jitter) < 0)
		r = -EINVAL;
	else if (jitter && set(c, netem, "jitter_ns", json_integer((json_int_t)jitter)) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < ARRAY_SIZE(percents); i++) {
		double p;
		if (percent_knob(c, fault, percents[i][0], &p) < 0)
			r = -EINVAL;
		else if (p > 0 && set(c, netem, percents[i][1], json_real(p)) < 0)
			return -ENOMEM;
	}
	if ((n = ynode_get(fault, "distribution")) && sv_string(c, "distribution", n, &s) == 0) {
		if (!streq(s, "uniform") && !streq(s, "normal") && !streq(s, "pareto") &&
		    !streq(s, "paretonormal"))
			r = sv_error(c, n->line, n->col,
				     "distribution: expected uniform, normal, pareto or "
				     "paretonormal, found %s",
				     ynode_describe(n, found, sizeof(found)));
		else if (set(c, netem, "distribution", json_string(s)) < 0)
			return -ENOMEM;
	} else if (n) {
		r = -EINVAL;
	}
	if ((n = ynode_get(fault, "gap"))) {
		if (sv_uint(c, "gap", n, "a packet count from 1 to 4294967295", &u) < 0)
			r = -EINVAL;
		else if (u < 1 || u > UINT32_MAX)
			r = sv_error(c, n->line, n->col,
				     "gap: expected a packet count from 1 to 4294967295, found %s",
				     ynode_describe(n, found, sizeof(found)));
		else if (set(c, netem, "gap", json_integer((json_int_t)u)) < 0)
			return -ENOMEM;
	}
	if ((n = ynode_get(fault, "limit"))) {
		if (sv_uint(c, "limit", n, "a packet count from 1 to 2147483648", &u) < 0)
			r = -EINVAL;
		else if (u < 1 || u > NET_LIMIT_MAX)
			r = sv_error(
				c, n->line, n->col,
				"limit: expected a packet count from 1 to 2147483648, found %s",
				ynode_describe(n, found, sizeof(found)));
		else if (set(c, netem, "limit", json_integer((json_int_t)u)) < 0)
			return -ENOMEM;
	}
	if ((n = ynode_get(fault, "rate"))) {
		if (rate_knob(c, n, &u) < 0)
			r = -EINVAL;
		else if (set(c, netem, "rate_bytes_per_sec", json_integer((json_int_t)u)) < 0)
			return -ENOMEM;
	}

	/* Knobs that mean nothing alone: netem would ignore or reinterpret them. */
	if (requires(c, fault, "jitter", "delay", ": it varies the delay") < 0 ||
	    requires(c, fault, "correlation", "jitter", ": it correlates the jitter") < 0 ||
	    requires(c, fault, "distribution", "jitter", ": it shapes the jitter") < 0 ||
	    requires(c, fault, "loss_correlation", "loss", "") < 0 ||
	    requires(c, fault, "reorder", "delay",
		     ": netem reorders by sending some packets without the delay") < 0 ||
	    requires(c, fault, "gap", "reorder", "") < 0)
		r = -EINVAL;
	if (r == 0 && !ynode_get(fault, "delay") && !ynode_get(fault, "loss") &&
	    !ynode_get(fault, "duplicate") && !ynode_get(fault, "corrupt") &&
	    !ynode_get(fault, "rate"))
		r = sv_error(c, fault->line, fault->col,
			     "network: expected at least one impairment: delay, loss, duplicate, "
			     "corrupt or rate");
	if (c->oom)
		return c->oom;
	if (r < 0)
		return r;
	if (set(c, params, "netem", TAKE_PTR(netem)) < 0)
		return -ENOMEM;
	*ret_params = TAKE_PTR(params);
	return 0;
}

/* network.partition: 100% loss towards target.dst (required), as a filtered
 * network fault; the injector adds the loss itself. */
int convert_partition(struct sv_ctx *c, const struct ynode *fault, struct scenario_fault *f,
		      json_t **ret_params)
{
	_cleanup_(json_decrefp) json_t *params = json_object();
	const struct ynode *t = ynode_get(fault, "target");
	int r = 0;

	(void)f;
	if (!params)
		return sv_oom(c);
	if (convert_network_target(c, fault, params) < 0)
		r = -EINVAL;
	else if (t && !ynode_get(t, "dst"))
		r = sv_missing(
			c, t, "dst", "in target",
			"the destinations to cut off, such as [\"10.0.0.3\", \"fd00::/64\"]");
	if (c->oom)
		return c->oom;
	if (r < 0)
		return r;
	*ret_params = TAKE_PTR(params);
	return 0;
}
