/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The disk.throttle and disk.fill fault types: scenario keys, written with units,
 * into the protocol's params.
 *
 * disk.throttle
 *   target     {cgroup: /PATH} | {pid: N} | {unit: NAME.service}   exactly one
 *   path       absolute path; the disk behind it is throttled
 *   rbps, wbps bandwidths: 10MiB/s, 500KB/s, 8mbit           -> bytes per second
 *   riops, wiops  rates: 200/s or 200iops                    -> I/Os per second
 *   move_pid   a pid of the target cgroup, moved into a throwaway cgroup that
 *              gets the limits instead
 *
 * disk.fill
 *   path       absolute path of a directory on the filesystem to fill
 *   free       leave this much available (1GiB)  | exactly one
 *   size       a file of this size (512MiB)      |
 *   allow_below_floor  true to go below min(1 GiB, 5%) available
 *   method     auto (default) | fallocate | write
 *
 * Not a security boundary: the injector checks everything again, and checks
 * what only the host can tell (the cgroup exists, the path has a block device,
 * the target fits the filesystem).
 */
#include <limits.h>

#include "parse.h"
#include "scenario.h"
#include "scenario_faults.h"

#define DISK_PATH_MAX 4095
#define THROTTLE_MAX_VALUE (1ULL << 50)
#define PID_MAX 4194304

static int set(struct sv_ctx *c, json_t *obj, const char *key, json_t *v)
{
	return v && json_object_set_new(obj, key, v) == 0 ? 0 : sv_oom(c);
}

static bool under(const char *path, const char *root)
{
	size_t n = strlen(root);
	while (path[0] == '/' && path[1] == '/')
		path++;
	return strncmp(path, root, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* An absolute path of printable ASCII, without . or .. components, and not in
 * /proc, /sys or /dev. */
static int path_value(struct sv_ctx *c, const struct ynode *fault, const char *expected,
		      json_t *params)
{
	const struct ynode *n = ynode_get(fault, "path");
	char found[96];
	const char *s;

	if (!n)
		return sv_missing(c, fault, "path", "in fault", expected);
	if (sv_string(c, "path", n, &s) < 0)
		return -EINVAL;
	bool ok = s[0] == '/' && n->len <= DISK_PATH_MAX;
	for (size_t i = 0; ok && i < n->len; i++)
		ok = s[i] >= ' ' && s[i] <= '~';
	for (const char *p = s; ok && *p;) {
		while (*p == '/')
			p++;
		size_t k = strcspn(p, "/");
		ok = !((k == 1 && p[0] == '.') || (k == 2 && p[0] == '.' && p[1] == '.'));
		p += k;
	}
	if (!ok)
		return sv_error(c, n->line, n->col,
				"path: expected an absolute path of printable characters without "
				". or .. components, found %s",
				ynode_describe(n, found, sizeof(found)));
	if (under(s, "/proc") || under(s, "/sys") || under(s, "/dev"))
		return sv_error(
			c, n->line, n->col,
			"path: %s is under /proc, /sys or /dev, which no disk fault may touch",
			ynode_describe(n, found, sizeof(found)));
	return set(c, params, "path", json_string(s));
}

static int pid_value(struct sv_ctx *c, const char *what, const struct ynode *n, uint64_t *ret)
{
	char found[96];

	if (sv_uint(c, what, n, "a pid from 2 to 4194304", ret) < 0)
		return -EINVAL;
	if (*ret < 2 || *ret > PID_MAX)
		return sv_error(c, n->line, n->col,
				"%s: expected a pid from 2 to 4194304, found %s", what,
				ynode_describe(n, found, sizeof(found)));
	return 0;
}

static int throttle_target(struct sv_ctx *c, const struct ynode *fault, json_t *params)
{
	static const char *const keys[] = { "cgroup", "pid", "unit", NULL };
	static const char *expected = "a mapping with one of cgroup, pid or unit, such as "
				      "{cgroup: /app}";
	const struct ynode *n = ynode_get(fault, "target"), *v;
	_cleanup_(json_decrefp) json_t *target = json_object();
	char found[96];
	const char *s;
	uint64_t pid;

	if (!target)
		return sv_oom(c);
	if (!n)
		return sv_missing(c, fault, "target", "in fault", expected);
	if (n->kind != YNODE_MAPPING)
		return sv_error(c, n->line, n->col, "target: expected %s, found %s", expected,
				ynode_describe(n, found, sizeof(found)));
	if (sv_check_keys(c, n, "in target", keys, NULL) < 0)
		return -EINVAL;
	if (n->n_pairs != 1)
		return sv_error(
			c, n->line, n->col,
			"target: expected exactly one of cgroup, pid or unit, found %zu keys",
			n->n_pairs);
	if ((v = ynode_get(n, "cgroup"))) {
		if (sv_string(c, "target.cgroup", v, &s) < 0)
			return -EINVAL;
		bool ok = s[0] == '/' && v->len <= 4095 && !strstr(s, "/..") && !strstr(s, "/./");
		for (size_t i = 0; ok && i < v->len; i++)
			ok = s[i] > ' ' && s[i] <= '~';
		size_t k = strspn(s, "/");
		if (ok && s[k] == '\0')
			return sv_error(
				c, v->line, v->col,
				"target.cgroup: the root cgroup is never a target: its limits "
				"would throttle the whole machine");
		if (!ok)
			return sv_error(c, v->line, v->col,
					"target.cgroup: expected an absolute cgroup path such as "
					"/system.slice/app.service, without . or .. components, "
					"found %s",
					ynode_describe(v, found, sizeof(found)));
		if (set(c, target, "cgroup", json_string(s)) < 0)
			return -ENOMEM;
	} else if ((v = ynode_get(n, "pid"))) {
		if (pid_value(c, "target.pid", v, &pid) < 0)
			return -EINVAL;
		if (set(c, target, "pid", json_integer((json_int_t)pid)) < 0)
			return -ENOMEM;
	} else if ((v = ynode_get(n, "unit"))) {
		if (sv_string(c, "target.unit", v, &s) < 0)
			return -EINVAL;
		if (strchr(s, '/') || !strchr(s, '.') || v->len > 255 || s[0] == '.')
			return sv_error(c, v->line, v->col,
					"target.unit: expected a systemd unit name such as "
					"nginx.service, found %s",
					ynode_describe(v, found, sizeof(found)));
		if (set(c, target, "unit", json_string(s)) < 0)
			return -ENOMEM;
	}
	return set(c, params, "target", TAKE_PTR(target));
}

/* A bandwidth (kind bytes) or an I/O rate (kind per second) as an integer. */
static int limit_value(struct sv_ctx *c, const struct ynode *n, const char *key, bool bandwidth,
		       json_t *params)
{
	char why[256], found[96];
	struct rate rate;
	const char *s;
	double v;

	if (sv_string(c, key, n, &s) < 0)
		return -EINVAL;
	if (parse_rate(s, &rate, why, sizeof(why)) < 0)
		return sv_error(c, n->line, n->col, "%s: %s", key, why);
	if (bandwidth && rate.kind == RATE_PER_SECOND)
		return sv_error(c, n->line, n->col,
				"%s: expected a bandwidth such as 10MiB/s or 80mbit, found %s", key,
				ynode_describe(n, found, sizeof(found)));
	if (!bandwidth && rate.kind != RATE_PER_SECOND)
		return sv_error(c, n->line, n->col,
				"%s: expected an I/O rate such as 200/s or 200iops, found %s", key,
				ynode_describe(n, found, sizeof(found)));
	v = rate.kind == RATE_BITS_PER_SECOND ? rate.value / 8 : rate.value;
	if (!(v >= 1) || v > (double)THROTTLE_MAX_VALUE)
		return sv_error(
			c, n->line, n->col, "%s: expected at least 1%s per second, found %s", key,
			bandwidth ? " byte" : " I/O", ynode_describe(n, found, sizeof(found)));
	return set(c, params, key, json_integer((json_int_t)(v + 0.5)));
}

int convert_disk_throttle(struct sv_ctx *c, const struct ynode *fault, struct scenario_fault *f,
			  json_t **ret_params)
{
	static const char *const limits[] = { "rbps", "wbps", "riops", "wiops" };
	_cleanup_(json_decrefp) json_t *params = json_object();
	const struct ynode *v;
	unsigned given = 0;
	uint64_t pid;
	int r = 0;

	(void)f;
	if (!params)
		return sv_oom(c);
	if (throttle_target(c, fault, params) < 0)
		r = -EINVAL;
	if (path_value(c, fault, "an absolute path on the disk to throttle, such as /var/lib/app",
		       params) < 0)
		r = -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(limits); i++) {
		if (!(v = ynode_get(fault, limits[i])))
			continue;
		given++;
		if (limit_value(c, v, limits[i], i < 2, params) < 0)
			r = -EINVAL;
	}
	if (!given)
		r = sv_error(
			c, fault->line, fault->col,
			"disk.throttle needs a limit: expected at least one of rbps, wbps (such "
			"as 10MiB/s), riops or wiops (such as 200/s)");
	if ((v = ynode_get(fault, "move_pid"))) {
		if (pid_value(c, "move_pid", v, &pid) < 0)
			r = -EINVAL;
		else if (set(c, params, "move_pid", json_integer((json_int_t)pid)) < 0)
			return -ENOMEM;
	}
	if (r < 0)
		return r;
	*ret_params = TAKE_PTR(params);
	return 0;
}

int convert_disk_fill(struct sv_ctx *c, const struct ynode *fault, struct scenario_fault *f,
		      json_t **ret_params)
{
	_cleanup_(json_decrefp) json_t *params = json_object();
	const struct ynode *free_n = ynode_get(fault, "free"), *size_n = ynode_get(fault, "size");
	const struct ynode *v;
	char why[256], found[96];
	const char *s;
	uint64_t bytes;
	int r = 0;

	(void)f;
	if (!params)
		return sv_oom(c);
	if (path_value(c, fault, "the directory to fill, such as /var/lib/app", params) < 0)
		r = -EINVAL;
	if (free_n && size_n) {
		const struct ynode_pair *p = ynode_get_pair(fault, "size");
		r = sv_error(c, p->key->line, p->key->col,
			     "size: give either free (the space to leave) or size (the file's "
			     "size), not both");
	} else if (!free_n && !size_n) {
		r = sv_missing(c, fault, "free", "in fault",
			       "free (the space to leave, such as 1GiB) or size (such as 512MiB)");
	} else {
		v = free_n ? free_n : size_n;
		const char *key = free_n ? "free" : "size";
		if (sv_string(c, key, v, &s) < 0)
			r = -EINVAL;
		else if (parse_size_bytes(s, &bytes, why, sizeof(why)) < 0)
			r = sv_error(c, v->line, v->col, "%s: %s", key, why);
		else if (size_n && bytes == 0)
			r = sv_error(c, v->line, v->col, "size: expected a size above 0, found %s",
				     ynode_describe(v, found, sizeof(found)));
		else if (set(c, params, free_n ? "free_bytes" : "size_bytes",
			     json_integer((json_int_t)bytes)) < 0)
			return -ENOMEM;
	}
	if ((v = ynode_get(fault, "allow_below_floor"))) {
		if (v->kind == YNODE_SCALAR && v->plain &&
		    (ynode_scalar_eq(v, "true") || ynode_scalar_eq(v, "false"))) {
			if (set(c, params, "allow_below_floor",
				json_boolean(ynode_scalar_eq(v, "true"))) < 0)
				return -ENOMEM;
		} else {
			r = sv_error(c, v->line, v->col,
				     "allow_below_floor: expected true or false, found %s",
				     ynode_describe(v, found, sizeof(found)));
		}
	}
	if ((v = ynode_get(fault, "method"))) {
		if (sv_string(c, "method", v, &s) < 0)
			r = -EINVAL;
		else if (!streq(s, "auto") && !streq(s, "fallocate") && !streq(s, "write"))
			r = sv_error(c, v->line, v->col,
				     "method: expected auto, fallocate or write, found %s",
				     ynode_describe(v, found, sizeof(found)));
		else if (set(c, params, "method", json_string(s)) < 0)
			return -ENOMEM;
	}
	if (r < 0)
		return r;
	*ret_params = TAKE_PTR(params);
	return 0;
}
