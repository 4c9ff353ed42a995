/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fault types a scenario may use, one table entry each, and their converters
 * from YAML to the protocol's params objects.
 *
 * The controller checks everything it can here so that `faultline validate`
 * catches mistakes before a game day. It is not a security boundary: the injector
 * validates every request again, because the controller is not trusted.
 */
#include <limits.h>

#include "parse.h"
#include "scenario.h"
#include "scenario_faults.h"

/* Signals process.kill may send. Stop and continue signals are refused: a stop
 * sent as a "kill" would never be reverted (process.pause does that, bounded and
 * journaled), and CONT could resume what someone else stopped. */
static const char *const signal_names[] = {
	"HUP", "INT", "QUIT", "ABRT", "KILL", "USR1", "USR2", "SEGV", "PIPE", "ALRM", "TERM", NULL,
};
/* Their numbers on Linux, and the refused ones. */
static const int signal_numbers[] = { 1, 2, 3, 6, 9, 10, 12, 11, 13, 14, 15 };
static const int refused_signal_numbers[] = { 18, 19, 20, 21, 22 }; /* CONT STOP TSTP TTIN TTOU */

/* By default a kill is watched this long, so that the report can say when each
 * target died and whether it came back. */
#define KILL_DEFAULT_WINDOW_NS (5 * 1000000000ULL)

/* Accepts "TERM", "SIGTERM" or a number; the protocol carries the name without
 * "SIG", or the number for signals without a name here (real-time ones). */
static int convert_signal(struct sv_ctx *c, const struct ynode *n, json_t **ret)
{
	const char *name;
	char found[96];
	int r;

	if (n->kind == YNODE_SCALAR && n->plain && n->len > 0 && n->value[0] >= '0' &&
	    n->value[0] <= '9') {
		uint64_t num;
		if (sv_uint(c, "signal", n, "a signal number from 1 to 64", &num) < 0)
			return -EINVAL;
		for (size_t i = 0; i < ARRAY_SIZE(refused_signal_numbers); i++)
			if (num == (uint64_t)refused_signal_numbers[i])
				return sv_error(c, n->line, n->col,
						"signal: %llu is a stop or continue signal; use "
						"process.pause to stop a process",
						(unsigned long long)num);
		if (num < 1 || num > 64)
			return sv_error(c, n->line, n->col,
					"signal: expected a signal number from 1 to 64, found %s",
					ynode_describe(n, found, sizeof(found)));
		for (size_t i = 0; i < ARRAY_SIZE(signal_numbers); i++)
			if (num == (uint64_t)signal_numbers[i]) {
				*ret = json_string(signal_names[i]);
				return *ret ? 0 : sv_oom(c);
			}
		*ret = json_integer((json_int_t)num);
		return *ret ? 0 : sv_oom(c);
	}
	r = sv_string(c, "signal", n, &name);
	if (r < 0)
		return r;
	if (strncmp(name, "SIG", 3) == 0)
		name += 3;
	for (size_t i = 0; signal_names[i]; i++)
		if (streq(signal_names[i], name)) {
			*ret = json_string(signal_names[i]);
			return *ret ? 0 : sv_oom(c);
		}
	return sv_error(c, n->line, n->col,
			"signal: expected one of HUP, INT, QUIT, ABRT, KILL, USR1, USR2, SEGV, "
			"PIPE, ALRM, TERM (upper case, SIG prefix optional) or a number; use "
			"process.pause to stop a process; found %s",
			ynode_describe(n, found, sizeof(found)));
}

/* "within 10s", or {within: 10s}. */
static int convert_expect_restart(struct sv_ctx *c, const struct ynode *n, uint64_t *ret_ns)
{
	char found[96], why[256];
	const char *s;

	if (n->kind == YNODE_MAPPING) {
		const struct ynode *w = ynode_get(n, "within");
		static const char *const keys[] = { "within", NULL };
		if (sv_check_keys(c, n, "in expect_restart", keys, NULL) < 0)
			return -EINVAL;
		if (!w)
			return sv_missing(c, n, "within", "in expect_restart",
					  "a duration such as 10s");
		if (sv_duration(c, "expect_restart.within", w, ret_ns) < 0)
			return -EINVAL;
		if (*ret_ns == 0)
			return sv_error(c, w->line, w->col,
					"expect_restart.within: expected a duration above 0");
		return 0;
	}
	if (sv_string(c, "expect_restart", n, &s) < 0)
		return -EINVAL;
	if (strncmp(s, "within ", 7) != 0)
		return sv_error(
			c, n->line, n->col,
			"expect_restart: expected \"within DURATION\" such as \"within 10s\", "
			"found %s",
			ynode_describe(n, found, sizeof(found)));
	if (parse_duration_ns(s + 7, ret_ns, why, sizeof(why)) < 0)
		return sv_error(c, n->line, n->col, "expect_restart: %s", why);
	if (*ret_ns == 0)
		return sv_error(c, n->line, n->col, "expect_restart: expected a duration above 0");
	return 0;
}

static int convert_pause(struct sv_ctx *c, const struct ynode *fault, struct scenario_fault *f,
			 json_t **ret_params)
{
	_cleanup_(json_decrefp) json_t *target = NULL, *params = NULL;
	const struct ynode *method = ynode_get(fault, "method");
	const char *m = NULL;
	char found[96];
	int r, r2 = 0;

	r = convert_target(c, fault, &target);
	if (method) {
		if (sv_string(c, "method", method, &m) < 0)
			r2 = -EINVAL;
		else if (!streq(m, "signal") && !streq(m, "freeze"))
			r2 = sv_error(
				c, method->line, method->col,
				"method: expected signal (SIGSTOP and SIGCONT) or freeze (the "
				"cgroup v2 freezer), found %s",
				ynode_describe(method, found, sizeof(found)));
	}
	if (r < 0)
		return r;
	if (r2 < 0)
		return r2;
	if (m && streq(m, "freeze") &&
	    (!json_object_get(target, "cgroup") || json_object_size(target) != 1))
		return sv_error(c, method->line, method->col,
				"method: freeze acts on a whole cgroup: expected a target with a "
				"cgroup and nothing else");
	params = json_object();
	if (!params || json_object_set_new(params, "target", TAKE_PTR(target)) < 0 ||
	    (m && json_object_set_new(params, "method", json_string(m)) < 0))
		return sv_oom(c);
	*ret_params = TAKE_PTR(params);
	return 0;
}

static int convert_kill(struct sv_ctx *c, const struct ynode *fault, struct scenario_fault *f,
			json_t **ret_params)
{
	_cleanup_(json_decrefp) json_t *target = NULL, *params = NULL, *signal = NULL;
	const struct ynode *n = ynode_get(fault, "signal");
	const struct ynode *interval = ynode_get(fault, "interval");
	const struct ynode *expect = ynode_get(fault, "expect_restart");
	uint64_t interval_ns = 0;
	char found[96];
	int r, r2 = 0;

	r = convert_target(c, fault, &target);
	if (n && convert_signal(c, n, &signal) < 0)
		r2 = -EINVAL;
	if (expect && convert_expect_restart(c, expect, &f->expect_restart_ns) < 0)
		r2 = -EINVAL;
	if (interval) {
		if (sv_duration(c, "interval", interval, &interval_ns) < 0)
			r2 = -EINVAL;
		else if (interval_ns < 100000000ULL || interval_ns > 24ULL * 3600 * 1000000000ULL)
			r2 = sv_error(c, interval->line, interval->col,
				      "interval: expected from 100ms to 24h, found %s",
				      ynode_describe(interval, found, sizeof(found)));
		else if (!f->duration_ns)
			r2 = sv_error(
				c, interval->line, interval->col,
				"interval: repeats the kill during the fault's duration, so a "
				"duration is needed too");
		else if (interval_ns >= f->duration_ns)
			r2 = sv_error(c, interval->line, interval->col,
				      "interval: expected less than the duration, found %s",
				      ynode_describe(interval, found, sizeof(found)));
	}
	if (r < 0)
		return r;
	if (r2 < 0)
		return r2;
	/* The window in which deaths and restarts are watched. */
	if (!f->duration_ns)
		f->duration_ns = KILL_DEFAULT_WINDOW_NS;
	if (f->expect_restart_ns > f->duration_ns)
		f->duration_ns = f->expect_restart_ns;
	params = json_object();
	if (!params || json_object_set_new(params, "target", TAKE_PTR(target)) < 0 ||
	    json_object_set_new(params, "signal", signal ? TAKE_PTR(signal) : json_string("TERM")) <
		    0 ||
	    (interval_ns &&
	     json_object_set_new(params, "interval_ms",
				 json_integer((json_int_t)(interval_ns / 1000000))) < 0))
		return sv_oom(c);
	*ret_params = TAKE_PTR(params);
	return 0;
}

static const char *const disk_pressure_keys[] = {
	"block_size",  "direct", "duration", "mode",	"path", "pattern",
	"queue_depth", "rate",	 "size",     "workers", NULL,
};
static const char *const network_keys[] = {
	"correlation",	    "corrupt", "delay",	  "distribution", "duplicate",
	"duration",	    "gap",     "jitter",  "limit",	  "loss",
	"loss_correlation", "rate",    "reorder", "target",	  NULL,
};
static const char *const disk_fill_keys[] = { "allow_below_floor", "duration", "free", "method",
					     "path", "size", NULL };
static const char *const disk_throttle_keys[] = { "duration", "move_pid", "path",  "rbps",
						  "riops",    "target",	  "wbps", "wiops", NULL };
static const char *const partition_keys[] = { "duration", "target", NULL };
static const char *const pause_keys[] = { "duration", "method", "target", NULL };
static const char *const kill_keys[] = { "duration", "expect_restart", "interval",
					 "signal",   "target",	       NULL };

/* Sorted by name: fault_type_names() lists them in this order. */
static const struct fault_type fault_types[] = {
	{
		.name = "disk.fill",
		.keys = disk_fill_keys,
		.duration = FAULT_DURATION_REQUIRED,
		.convert = convert_disk_fill,
	},
	{
		.name = "disk.pressure",
		.keys = disk_pressure_keys,
		.duration = FAULT_DURATION_REQUIRED,
		.convert = convert_disk_pressure,
	},
	{
		.name = "disk.throttle",
		.keys = disk_throttle_keys,
		.duration = FAULT_DURATION_REQUIRED,
		.convert = convert_disk_throttle,
	},
	{
		.name = "network",
		.keys = network_keys,
		.duration = FAULT_DURATION_REQUIRED,
		.convert = convert_network,
	},
	{
		.name = "network.partition",
		.keys = partition_keys,
		.duration = FAULT_DURATION_REQUIRED,
		.convert = convert_partition,
	},
	{
		.name = "process.kill",
		.keys = kill_keys,
		.duration = FAULT_DURATION_OPTIONAL,
		.convert = convert_kill,
	},
	{
		.name = "process.pause",
		.keys = pause_keys,
		.duration = FAULT_DURATION_REQUIRED,
		.convert = convert_pause,
	},
};

const struct fault_type *fault_type_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(fault_types); i++)
		if (streq(fault_types[i].name, name))
			return &fault_types[i];
	return NULL;
}

const char *fault_type_names(char *buf, size_t len)
{
	size_t w = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(fault_types) && w < len; i++) {
		int n = snprintf(buf + w, len - w, "%s%s", i ? ", " : "", fault_types[i].name);

		if (n < 0)
			break;
		w += (size_t)n;
	}
	return buf;
}
