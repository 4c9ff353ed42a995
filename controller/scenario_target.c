/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The "target" mapping of the process faults: selectors that must all match,
 * exclusions, and the pick (count or percent, max, seed, allow_empty). It becomes
 * the protocol's target object; docs/faults.md is the user's reference.
 *
 * Not a security boundary (the injector checks everything again), but every
 * mistake that can be known before a game day is reported here, with its place.
 */
#include <limits.h>
#include <stdint.h>
#include <regex.h>

#include "parse.h"
#include "scenario_faults.h"

#define TARGET_PID_MAX 4194304
#define TARGET_COMM_MAX 15 /* TASK_COMM_LEN - 1: the kernel keeps 15 bytes of a name */
#define TARGET_COUNT_MAX 4096
#define TARGET_EXCLUDES_MAX 16

static const char *const selector_keys[] = { "cgroup", "cmdline", "comm", "pid", "pidfile",
					     "ppid",   "unit",	  "user", NULL };
static const char *const target_keys[] = { "allow_empty", "cgroup",  "cmdline", "comm",
					   "count",	  "exclude", "max",	"percent",
					   "pid",	  "pidfile", "pidns",	"ppid",
					   "seed",	  "unit",    "user",	NULL };

static int set(struct sv_ctx *c, json_t *obj, const char *key, json_t *v)
{
	return v && json_object_set_new(obj, key, v) == 0 ? 0 : sv_oom(c);
}

static int pid_value(struct sv_ctx *c, const char *what, const struct ynode *n, bool allow_one,
		     json_t *obj, const char *key)
{
	static const char expected[] = "a pid from 2 to 4194304";
	char found[64];
	uint64_t pid;
	int r = sv_uint(c, what, n, expected, &pid);

	if (r < 0)
		return r;
	/* The injector refuses init whatever the scenario says; saying so here
	 * spares a failed run. */
	if (pid == 1 && !allow_one)
		return sv_error(c, n->line, n->col,
				"%s: expected %s, found 1; pid 1 is never a target (the "
				"blast-radius rule: init is refused)",
				what, expected);
	if (pid < 1 || pid > TARGET_PID_MAX)
		return sv_error(c, n->line, n->col, "%s: expected %s, found %s", what, expected,
				ynode_describe(n, found, sizeof(found)));
	return set(c, obj, key, json_integer((json_int_t)pid));
}

static int path_value(struct sv_ctx *c, const char *what, const struct ynode *n, json_t *obj,
		      const char *key)
{
	char found[96];
	const char *path;
	int r = sv_string(c, what, n, &path);

	if (r < 0)
		return r;
	/* A relative path would depend on the injector's working directory. */
	if (path[0] != '/')
		return sv_error(c, n->line, n->col, "%s: expected an absolute path, found %s", what,
				ynode_describe(n, found, sizeof(found)));
	if (n->len >= PATH_MAX)
		return sv_error(c, n->line, n->col,
				"%s: expected a path shorter than %d bytes, found %zu bytes", what,
				PATH_MAX, n->len);
	return set(c, obj, key, json_string(path));
}

static int comm_value(struct sv_ctx *c, const char *what, const struct ynode *n, json_t *obj)
{
	char found[96];
	const char *comm;
	int r = sv_string(c, what, n, &comm);

	if (r < 0)
		return r;
	/* The kernel truncates longer names, so a longer comm could never match. */
	if (n->len > TARGET_COMM_MAX)
		return sv_error(c, n->line, n->col,
				"%s: expected a process name of 1 to %d bytes (the kernel's comm "
				"length), found %zu bytes: %s",
				what, TARGET_COMM_MAX, n->len,
				ynode_describe(n, found, sizeof(found)));
	return set(c, obj, "comm", json_string(comm));
}

static int cmdline_value(struct sv_ctx *c, const char *what, const struct ynode *n, json_t *obj)
{
	const char *re;
	regex_t compiled;
	char why[128], found[96];
	int r = sv_string(c, what, n, &re);

	if (r < 0)
		return r;
	if (n->len > 1024)
		return sv_error(c, n->line, n->col,
				"%s: expected a regular expression of at most 1024 bytes", what);
	r = regcomp(&compiled, re, REG_EXTENDED | REG_NOSUB);
	if (r != 0) {
		regerror(r, &compiled, why, sizeof(why));
		return sv_error(
			c, n->line, n->col,
			"%s: expected a POSIX extended regular expression, found %s: %s", what,
			ynode_describe(n, found, sizeof(found)), why);
	}
	regfree(&compiled);
	return set(c, obj, "cmdline", json_string(re));
}

static int cgroup_value(struct sv_ctx *c, const char *what, const struct ynode *n, json_t *obj)
{
	const char *path;
	int r = sv_string(c, what, n, &path);

	if (r < 0)
		return r;
	if (strstr(path, "..") || n->len >= PATH_MAX)
		return sv_error(c, n->line, n->col,
				"%s: expected a cgroup path such as /system.slice/app.service, "
				"without \"..\"",
				what);
	return set(c, obj, "cgroup", json_string(path));
}

static int unit_value(struct sv_ctx *c, const char *what, const struct ynode *n, json_t *obj)
{
	const char *unit;
	char found[96];
	int r = sv_string(c, what, n, &unit);

	if (r < 0)
		return r;
	if (strchr(unit, '/') || !strchr(unit, '.') || n->len > 255)
		return sv_error(
			c, n->line, n->col,
			"%s: expected a systemd unit name such as nginx.service, found %s", what,
			ynode_describe(n, found, sizeof(found)));
	return set(c, obj, "unit", json_string(unit));
}

static int user_value(struct sv_ctx *c, const char *what, const struct ynode *n, json_t *obj)
{
	const char *user;
	int r = sv_string(c, what, n, &user);

	if (r < 0)
		return r;
	if (n->len > 64)
		return sv_error(c, n->line, n->col, "%s: expected a user name or uid", what);
	/* A number is a uid; a name is resolved where the processes live, by the
	 * injector. */
	char *end;
	unsigned long uid = strtoul(user, &end, 10);
	if (user[0] >= '0' && user[0] <= '9' && !*end) {
		/* uid_t is 32 bits, and (uid_t)-1 means "no uid" to the kernel; a
		 * larger number (strtoul saturates) is no uid either. */
		if (uid >= UINT32_MAX) {
			char found[96];
			return sv_error(c, n->line, n->col,
					"%s: expected a uid from 0 to 4294967294, found %s", what,
					ynode_describe(n, found, sizeof(found)));
		}
		return set(c, obj, "user", json_integer((json_int_t)uid));
	}
	return set(c, obj, "user", json_string(user));
}

/* The selector keys of one mapping (the target itself, or an exclude entry). */
static int convert_selectors(struct sv_ctx *c, const struct ynode *m, const char *where,
			     json_t *obj)
{
	char what[64];
	const struct ynode *v;
	int r = 0;

#define WHAT(key) (snprintf(what, sizeof(what), "%s.%s", where, key), what)
	if ((v = ynode_get(m, "pid")) && pid_value(c, WHAT("pid"), v, false, obj, "pid") < 0)
		r = -EINVAL;
	if ((v = ynode_get(m, "ppid")) && pid_value(c, WHAT("ppid"), v, true, obj, "ppid") < 0)
		r = -EINVAL;
	if ((v = ynode_get(m, "pidfile")) && path_value(c, WHAT("pidfile"), v, obj, "pidfile") < 0)
		r = -EINVAL;
	if ((v = ynode_get(m, "comm")) && comm_value(c, WHAT("comm"), v, obj) < 0)
		r = -EINVAL;
	if ((v = ynode_get(m, "cmdline")) && cmdline_value(c, WHAT("cmdline"), v, obj) < 0)
		r = -EINVAL;
	if ((v = ynode_get(m, "cgroup")) && cgroup_value(c, WHAT("cgroup"), v, obj) < 0)
		r = -EINVAL;
	if ((v = ynode_get(m, "unit")) && unit_value(c, WHAT("unit"), v, obj) < 0)
		r = -EINVAL;
	if ((v = ynode_get(m, "user")) && user_value(c, WHAT("user"), v, obj) < 0)
		r = -EINVAL;
#undef WHAT
	return r;
}

static bool has_selector(const json_t *obj)
{
	for (size_t i = 0; selector_keys[i]; i++)
		if (json_object_get(obj, selector_keys[i]))
			return true;
	return false;
}

static int convert_exclude(struct sv_ctx *c, const struct ynode *n, json_t *target)
{
	_cleanup_(json_decrefp) json_t *list = json_array();
	char found[64];
	int r = 0;

	if (!list)
		return sv_oom(c);
	size_t count = n->kind == YNODE_SEQUENCE ? n->n_items : 1;
	if (n->kind != YNODE_MAPPING && n->kind != YNODE_SEQUENCE)
		return sv_error(
			c, n->line, n->col,
			"target.exclude: expected a mapping of selectors or a list of them, "
			"found %s",
			ynode_describe(n, found, sizeof(found)));
	if (count > TARGET_EXCLUDES_MAX)
		return sv_error(c, n->line, n->col,
				"target.exclude: expected at most %d entries, found %zu",
				TARGET_EXCLUDES_MAX, count);
	for (size_t i = 0; i < count; i++) {
		const struct ynode *e = n->kind == YNODE_SEQUENCE ? n->items[i] : n;
		json_t *obj = json_object();
		if (!obj)
			return sv_oom(c);
		json_array_append_new(list, obj);
		if (e->kind != YNODE_MAPPING) {
			r = sv_error(c, e->line, e->col,
				     "target.exclude: expected a mapping of selectors, found %s",
				     ynode_describe(e, found, sizeof(found)));
			continue;
		}
		if (sv_check_keys(c, e, "in target.exclude", selector_keys, NULL) < 0 ||
		    convert_selectors(c, e, "target.exclude", obj) < 0) {
			r = -EINVAL;
			continue;
		}
		if (!has_selector(obj))
			r = sv_error(
				c, e->line, e->col,
				"target.exclude: expected at least one selector (pid, pidfile, "
				"comm, cmdline, cgroup, unit, user, ppid), found none");
	}
	if (r < 0)
		return r;
	return set(c, target, "exclude", TAKE_PTR(list));
}

static int convert_pick(struct sv_ctx *c, const struct ynode *n, json_t *target)
{
	const struct ynode *v, *count = ynode_get(n, "count"), *percent = ynode_get(n, "percent");
	char found[96], why[256];
	uint64_t u;
	int r = 0;

	if (count && percent)
		return sv_error(c, percent->line, percent->col,
				"target.percent: expected either count or percent, found both "
				"(count at %u:%u)",
				count->line, count->col);
	if (count) {
		if (sv_uint(c, "target.count", count, "a count from 1 to 4096", &u) < 0)
			r = -EINVAL;
		else if (u < 1 || u > TARGET_COUNT_MAX)
			r = sv_error(c, count->line, count->col,
				     "target.count: expected a count from 1 to %d, found %s",
				     TARGET_COUNT_MAX, ynode_describe(count, found, sizeof(found)));
		else if (set(c, target, "count", json_integer((json_int_t)u)) < 0)
			return -ENOMEM;
	}
	if (percent) {
		const char *s;
		double p;
		if (sv_string(c, "target.percent", percent, &s) < 0)
			r = -EINVAL;
		else if (parse_percent(s, &p, why, sizeof(why)) < 0)
			r = sv_error(c, percent->line, percent->col, "target.percent: %s", why);
		else if (p <= 0)
			r = sv_error(c, percent->line, percent->col,
				     "target.percent: expected a percentage above 0%%, found %s",
				     s);
		else if (set(c, target, "percent", json_real(p)) < 0)
			return -ENOMEM;
	}
	if ((v = ynode_get(n, "max"))) {
		if (sv_uint(c, "target.max", v, "a number from 1 to 4096", &u) < 0)
			r = -EINVAL;
		else if (u < 1 || u > TARGET_COUNT_MAX)
			r = sv_error(c, v->line, v->col,
				     "target.max: expected a number from 1 to %d, found %s",
				     TARGET_COUNT_MAX, ynode_describe(v, found, sizeof(found)));
		else if (set(c, target, "max", json_integer((json_int_t)u)) < 0)
			return -ENOMEM;
	}
	if ((v = ynode_get(n, "seed"))) {
		if (sv_uint(c, "target.seed", v, "an integer from 0 to 2^53-1", &u) < 0)
			r = -EINVAL;
		else if (u > (1ULL << 53) - 1)
			r = sv_error(c, v->line, v->col,
				     "target.seed: expected an integer from 0 to 2^53-1, found %s",
				     ynode_describe(v, found, sizeof(found)));
		else if (set(c, target, "seed", json_integer((json_int_t)u)) < 0)
			return -ENOMEM;
	}
	if ((v = ynode_get(n, "pidns")) &&
	    pid_value(c, "target.pidns", v, true, target, "pidns") < 0)
		r = -EINVAL;
	if ((v = ynode_get(n, "allow_empty"))) {
		const char *s = NULL;
		if (v->kind == YNODE_SCALAR && v->plain &&
		    sv_string(c, "target.allow_empty", v, &s) == 0 &&
		    (streq(s, "true") || streq(s, "false"))) {
			if (set(c, target, "allow_empty", json_boolean(streq(s, "true"))) < 0)
				return -ENOMEM;
		} else {
			r = sv_error(c, v->line, v->col,
				     "target.allow_empty: expected true or false, found %s",
				     ynode_describe(v, found, sizeof(found)));
		}
	}
	return r;
}

int convert_target(struct sv_ctx *c, const struct ynode *fault, json_t **ret)
{
	_cleanup_(json_decrefp) json_t *target = NULL;
	const struct ynode *n = ynode_get(fault, "target");
	const struct ynode *v;
	char found[64];
	int r = 0;

	if (!n)
		return sv_missing(c, fault, "target", "in fault",
				  "a mapping of selectors such as {pidfile: /run/app.pid}");
	if (n->kind != YNODE_MAPPING)
		return sv_error(c, n->line, n->col,
				"target: expected a mapping of selectors (pid, pidfile, comm, "
				"cmdline, cgroup, unit, user, ppid), found %s",
				ynode_describe(n, found, sizeof(found)));
	target = json_object();
	if (!target)
		return sv_oom(c);

	if (sv_check_keys(c, n, "in target", target_keys, NULL) < 0)
		r = -EINVAL;
	if (convert_selectors(c, n, "target", target) < 0)
		r = -EINVAL;
	if ((v = ynode_get(n, "exclude")) && convert_exclude(c, v, target) < 0)
		r = -EINVAL;
	if (convert_pick(c, n, target) < 0)
		r = -EINVAL;
	if (c->oom)
		return c->oom;
	if (r < 0)
		return r;
	if (!has_selector(target))
		return sv_error(
			c, n->line, n->col,
			"target: expected at least one selector (pid, pidfile, comm, cmdline, "
			"cgroup, unit, user, ppid), found none");
	*ret = TAKE_PTR(target);
	return 0;
}
