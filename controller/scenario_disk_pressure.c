/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The "disk.pressure" fault type: an io_uring load generator on a path. Converts
 * the scenario's keys, written with units, into the protocol's params:
 *
 *   path          absolute path: a directory (files of our own) or a file (read)
 *   mode          read | write | randrw                      (default read)
 *   pattern       random | sequential                        (default random)
 *   block_size    size, 512B to 1MiB, a multiple of 512      (default 4KiB)
 *   queue_depth   1 to 4096                                  (default 32)
 *   workers       1 to 64                                    (default 1)
 *   size          size of each worker's file, in a directory (default 256MiB)
 *   direct        true | false                               (default true)
 *   rate          2000/s | 20MiB/s | {iops: N} | {bandwidth: 20MiB/s}
 *
 * Not a security boundary: the injector (disk_pressure.c) checks everything
 * again, and alone knows the filesystem. The rules are repeated here so that
 * `faultline validate` reports them with a position.
 */
#include "parse.h"
#include "scenario.h"
#include "scenario_faults.h"

#define DP_MIN_BLOCK 512
#define DP_MAX_BLOCK (1024 * 1024)
#define DP_MAX_QUEUE_DEPTH 4096
#define DP_MAX_WORKERS 64
#define DP_MAX_SIZE (1ULL << 40)
#define DP_MAX_IOPS 10000000ULL
#define DP_MAX_BPS (1ULL << 40)
#define DP_PATH_MAX 4095

static int set(struct sv_ctx *c, json_t *obj, const char *key, json_t *v)
{
	return v && json_object_set_new(obj, key, v) == 0 ? 0 : sv_oom(c);
}

/* One of the words in choices (NULL-terminated), copied into params. */
static int word_knob(struct sv_ctx *c, const struct ynode *fault, const char *key,
		     const char *const *choices, const char *expected, json_t *params)
{
	const struct ynode *n = ynode_get(fault, key);
	char found[96];
	const char *s;

	if (!n)
		return 0;
	if (sv_string(c, key, n, &s) < 0)
		return -EINVAL;
	for (size_t i = 0; choices[i]; i++)
		if (streq(s, choices[i]))
			return set(c, params, key, json_string(s));
	return sv_error(c, n->line, n->col, "%s: expected %s, found %s", key, expected,
			ynode_describe(n, found, sizeof(found)));
}

static int size_value(struct sv_ctx *c, const char *key, const struct ynode *n, uint64_t min,
		      uint64_t max, const char *range, uint64_t *ret)
{
	char why[256], found[96];
	const char *s;

	if (sv_string(c, key, n, &s) < 0)
		return -EINVAL;
	if (parse_size_bytes(s, ret, why, sizeof(why)) < 0)
		return sv_error(c, n->line, n->col, "%s: %s", key, why);
	if (*ret < min || *ret > max)
		return sv_error(c, n->line, n->col, "%s: expected %s, found %s", key, range,
				ynode_describe(n, found, sizeof(found)));
	return 0;
}

static int count_knob(struct sv_ctx *c, const struct ynode *fault, const char *key, uint64_t max,
		      json_t *params)
{
	const struct ynode *n = ynode_get(fault, key);
	char expected[64], found[96];
	uint64_t u;

	if (!n)
		return 0;
	snprintf(expected, sizeof(expected), "an integer from 1 to %llu", (unsigned long long)max);
	if (sv_uint(c, key, n, expected, &u) < 0)
		return -EINVAL;
	if (u < 1 || u > max)
		return sv_error(c, n->line, n->col, "%s: expected %s, found %s", key, expected,
				ynode_describe(n, found, sizeof(found)));
	return set(c, params, key, json_integer((json_int_t)u));
}

/* An IOPS count from a string ("2000/s") or {iops: N}. */
static int iops_value(struct sv_ctx *c, const struct ynode *n, double v, json_t *params)
{
	char found[96];

	if (!(v >= 1) || v > (double)DP_MAX_IOPS || v != (double)(uint64_t)v)
		return sv_error(c, n->line, n->col,
				"rate: expected a whole number of I/Os per second from 1/s to "
				"10000000/s, found %s",
				ynode_describe(n, found, sizeof(found)));
	return set(c, params, "rate_iops", json_integer((json_int_t)v));
}

static int bandwidth_value(struct sv_ctx *c, const struct ynode *n, const char *s, json_t *params)
{
	char why[256], found[96];
	struct rate rate;

	if (parse_rate(s, &rate, why, sizeof(why)) < 0)
		return sv_error(c, n->line, n->col, "rate: %s", why);
	if (rate.kind == RATE_PER_SECOND)
		return iops_value(c, n, rate.value, params);
	if (rate.kind == RATE_BITS_PER_SECOND)
		return sv_error(c, n->line, n->col,
				"rate: expected I/Os per second such as 2000/s or bytes per second "
				"such as 20MiB/s, found %s",
				ynode_describe(n, found, sizeof(found)));
	if (!(rate.value >= 1) || rate.value > (double)DP_MAX_BPS)
		return sv_error(c, n->line, n->col, "rate: expected from 1B/s to 1TiB/s, found %s",
				ynode_describe(n, found, sizeof(found)));
	return set(c, params, "rate_bytes_per_sec", json_integer((json_int_t)(rate.value + 0.5)));
}

static int rate_knob(struct sv_ctx *c, const struct ynode *n, json_t *params)
{
	static const char *const keys[] = { "bandwidth", "iops", NULL };
	char found[96];
	const char *s;

	if (n->kind == YNODE_MAPPING) {
		const struct ynode *iops = ynode_get(n, "iops"), *bw = ynode_get(n, "bandwidth");
		uint64_t u;
		if (sv_check_keys(c, n, "in rate", keys, NULL) < 0)
			return -EINVAL;
		if (!!iops == !!bw)
			return sv_error(c, n->line, n->col,
					"rate: expected exactly one of iops (an integer) or "
					"bandwidth (such as 20MiB/s)");
		if (iops) {
			if (sv_uint(c, "rate.iops", iops, "an integer from 1 to 10000000", &u) < 0)
				return -EINVAL;
			if (u < 1 || u > DP_MAX_IOPS)
				return sv_error(c, iops->line, iops->col,
						"rate.iops: expected an integer from 1 to "
						"10000000, found %s",
						ynode_describe(iops, found, sizeof(found)));
			return set(c, params, "rate_iops", json_integer((json_int_t)u));
		}
		if (sv_string(c, "rate.bandwidth", bw, &s) < 0)
			return -EINVAL;
		return bandwidth_value(c, bw, s, params);
	}
	if (sv_string(c, "rate", n, &s) < 0)
		return -EINVAL;
	return bandwidth_value(c, n, s, params);
}

int convert_disk_pressure(struct sv_ctx *c, const struct ynode *fault, struct scenario_fault *f,
			  json_t **ret_params)
{
	static const char *const modes[] = { "read", "write", "randrw", NULL };
	static const char *const patterns[] = { "random", "sequential", NULL };
	_cleanup_(json_decrefp) json_t *params = json_object();
	const struct ynode *n;
	uint64_t bs = 4096, u;
	char found[96];
	const char *s;
	int r = 0;

	(void)f;
	if (!params)
		return sv_oom(c);
	n = ynode_get(fault, "path");
	if (!n)
		r = sv_missing(c, fault, "path", "in a disk.pressure fault",
			       "an absolute path to a directory or a file");
	else if (sv_string(c, "path", n, &s) < 0)
		r = -EINVAL;
	else if (s[0] != '/' || n->len > DP_PATH_MAX)
		r = sv_error(c, n->line, n->col,
			     "path: expected an absolute path (to a directory, or a file to read), "
			     "found %s",
			     ynode_describe(n, found, sizeof(found)));
	else if (set(c, params, "path", json_string(s)) < 0)
		return -ENOMEM;

	if (word_knob(c, fault, "mode", modes, "read, write or randrw", params) < 0 ||
	    word_knob(c, fault, "pattern", patterns, "random or sequential", params) < 0)
		r = -EINVAL;
	if ((n = ynode_get(fault, "block_size"))) {
		if (size_value(c, "block_size", n, DP_MIN_BLOCK, DP_MAX_BLOCK, "from 512B to 1MiB",
			       &bs) < 0)
			r = -EINVAL;
		else if (bs % DP_MIN_BLOCK)
			r = sv_error(c, n->line, n->col,
				     "block_size: expected a multiple of 512 bytes, found %s",
				     ynode_describe(n, found, sizeof(found)));
		else if (set(c, params, "block_size", json_integer((json_int_t)bs)) < 0)
			return -ENOMEM;
	}
	if (count_knob(c, fault, "queue_depth", DP_MAX_QUEUE_DEPTH, params) < 0 ||
	    count_knob(c, fault, "workers", DP_MAX_WORKERS, params) < 0)
		r = -EINVAL;
	if ((n = ynode_get(fault, "size"))) {
		if (size_value(c, "size", n, 1, DP_MAX_SIZE, "from 1B to 1TiB", &u) < 0)
			r = -EINVAL;
		else if (u < bs)
			r = sv_error(c, n->line, n->col,
				     "size: expected at least one block (%llu bytes), found %s",
				     (unsigned long long)bs,
				     ynode_describe(n, found, sizeof(found)));
		else if (set(c, params, "size", json_integer((json_int_t)u)) < 0)
			return -ENOMEM;
	}
	if ((n = ynode_get(fault, "direct"))) {
		if (n->kind == YNODE_SCALAR && n->plain &&
		    (ynode_scalar_eq(n, "true") || ynode_scalar_eq(n, "false"))) {
			if (set(c, params, "direct", json_boolean(ynode_scalar_eq(n, "true"))) < 0)
				return -ENOMEM;
		} else {
			r = sv_error(c, n->line, n->col, "direct: expected true or false, found %s",
				     ynode_describe(n, found, sizeof(found)));
		}
	}
	if ((n = ynode_get(fault, "rate")) && rate_knob(c, n, params) < 0)
		r = -EINVAL;
	if (c->oom)
		return c->oom;
	if (r < 0)
		return r;
	u = (uint64_t)json_integer_value(json_object_get(params, "rate_bytes_per_sec"));
	if (u && u < bs)
		return sv_error(c, n->line, n->col,
				"rate: expected at least one block_size (%llu bytes) per second, "
				"found %s",
				(unsigned long long)bs, ynode_describe(n, found, sizeof(found)));
	*ret_params = TAKE_PTR(params);
	return 0;
}
