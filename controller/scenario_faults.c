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

#include "scenario_faults.h"

/* The kernel's PID_MAX_LIMIT on 64-bit systems. */
#define TARGET_PID_MAX 4194304
/* TASK_COMM_LEN - 1: the kernel keeps 15 bytes of a process name. */
#define TARGET_COMM_MAX 15

/* Signals process.kill may send. Stop and continue signals are refused: a stop
 * sent as a "kill" would never be reverted (process.pause does that, bounded and
 * journaled), and CONT could resume what someone else stopped. */
static const char *const signal_names[] = {
	"HUP", "INT", "QUIT", "ABRT", "KILL", "USR1", "USR2", "SEGV", "PIPE", "ALRM", "TERM", NULL,
};

static const char *const target_keys[] = { "comm", "pid", "pidfile", NULL };

static int target_pid(struct sv_ctx *c, const struct ynode *n, json_t *target)
{
	static const char expected[] = "a pid from 2 to 4194304";
	char found[64];
	uint64_t pid;
	int r;

	r = sv_uint(c, "target.pid", n, expected, &pid);
	if (r < 0)
		return r;
	/* The injector refuses init whatever the scenario says; saying so here
	 * spares a failed run. */
	if (pid == 1)
		return sv_error(c, n->line, n->col,
				"target.pid: expected %s, found 1; pid 1 is never a target (the "
				"blast-radius rule: init is refused)",
				expected);
	if (pid < 2 || pid > TARGET_PID_MAX)
		return sv_error(c, n->line, n->col, "target.pid: expected %s, found %s", expected,
				ynode_describe(n, found, sizeof(found)));
	if (json_object_set_new(target, "pid", json_integer((json_int_t)pid)) < 0)
		return sv_oom(c);
	return 0;
}

static int target_pidfile(struct sv_ctx *c, const struct ynode *n, json_t *target)
{
	char found[96];
	const char *path;
	int r;

	r = sv_string(c, "target.pidfile", n, &path);
	if (r < 0)
		return r;
	/* A relative path would depend on the injector's working directory, which
	 * is neither the user's nor stable. */
	if (path[0] != '/')
		return sv_error(c, n->line, n->col,
				"target.pidfile: expected an absolute path, found %s",
				ynode_describe(n, found, sizeof(found)));
	if (n->len >= PATH_MAX)
		return sv_error(c, n->line, n->col,
				"target.pidfile: expected a path shorter than %d bytes, found %zu "
				"bytes",
				PATH_MAX, n->len);
	if (json_object_set_new(target, "pidfile", json_string(path)) < 0)
		return sv_oom(c);
	return 0;
}

static int target_comm(struct sv_ctx *c, const struct ynode *n, json_t *target)
{
	char found[96];
	const char *comm;
	int r;

	r = sv_string(c, "target.comm", n, &comm);
	if (r < 0)
		return r;
	/* The kernel truncates longer names, so a longer comm could never match
	 * exactly; better to say so than to find no process at run time. */
	if (n->len > TARGET_COMM_MAX)
		return sv_error(
			c, n->line, n->col,
			"target.comm: expected a process name of 1 to %d bytes (the kernel's "
			"comm length), found %zu bytes: %s",
			TARGET_COMM_MAX, n->len, ynode_describe(n, found, sizeof(found)));
	if (json_object_set_new(target, "comm", json_string(comm)) < 0)
		return sv_oom(c);
	return 0;
}

/*
 * The "target" mapping shared by the process faults: at least one selector, all
 * of which must match at run time. Only the selectors given appear in the result.
 */
static int convert_target(struct sv_ctx *c, const struct ynode *fault, json_t **ret)
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
				"target: expected a mapping of selectors (pid, pidfile, comm), "
				"found %s",
				ynode_describe(n, found, sizeof(found)));
	if (n->n_pairs == 0)
		return sv_error(
			c, n->line, n->col,
			"target: expected at least one selector (pid, pidfile, comm), found "
			"none");
	target = json_object();
	if (!target)
		return sv_oom(c);

	if (sv_check_keys(c, n, "in target", target_keys, NULL) < 0)
		r = -EINVAL;
	if ((v = ynode_get(n, "pid")) && target_pid(c, v, target) < 0)
		r = -EINVAL;
	if ((v = ynode_get(n, "pidfile")) && target_pidfile(c, v, target) < 0)
		r = -EINVAL;
	if ((v = ynode_get(n, "comm")) && target_comm(c, v, target) < 0)
		r = -EINVAL;
	if (c->oom)
		return c->oom;
	if (r < 0)
		return r;
	if (json_object_size(target) == 0) /* only unknown keys, already reported */
		return -EINVAL;
	*ret = TAKE_PTR(target);
	return 0;
}

/* Accepts "TERM" and "SIGTERM"; the protocol carries the name without "SIG". */
static int convert_signal(struct sv_ctx *c, const struct ynode *n, const char **ret)
{
	const char *name;
	char found[96];
	int r;

	r = sv_string(c, "signal", n, &name);
	if (r < 0)
		return r;
	if (strncmp(name, "SIG", 3) == 0)
		name += 3;
	for (size_t i = 0; signal_names[i]; i++)
		if (streq(signal_names[i], name)) {
			*ret = signal_names[i];
			return 0;
		}
	return sv_error(c, n->line, n->col,
			"signal: expected one of HUP, INT, QUIT, ABRT, KILL, USR1, USR2, SEGV, "
			"PIPE, ALRM, TERM (upper case, SIG prefix optional; use process.pause to "
			"stop a process), found %s",
			ynode_describe(n, found, sizeof(found)));
}

static int convert_pause(struct sv_ctx *c, const struct ynode *fault, json_t **ret_params)
{
	_cleanup_(json_decrefp) json_t *target = NULL, *params = NULL;
	int r;

	r = convert_target(c, fault, &target);
	if (r < 0)
		return r;
	params = json_object();
	if (!params || json_object_set_new(params, "target", TAKE_PTR(target)) < 0)
		return sv_oom(c);
	*ret_params = TAKE_PTR(params);
	return 0;
}

static int convert_kill(struct sv_ctx *c, const struct ynode *fault, json_t **ret_params)
{
	_cleanup_(json_decrefp) json_t *target = NULL, *params = NULL;
	const struct ynode *n = ynode_get(fault, "signal");
	const char *signal = "TERM";
	int r, r2 = 0;

	r = convert_target(c, fault, &target);
	if (n)
		r2 = convert_signal(c, n, &signal);
	if (r < 0)
		return r;
	if (r2 < 0)
		return r2;
	params = json_object();
	if (!params || json_object_set_new(params, "target", TAKE_PTR(target)) < 0 ||
	    json_object_set_new(params, "signal", json_string(signal)) < 0)
		return sv_oom(c);
	*ret_params = TAKE_PTR(params);
	return 0;
}

static const char *const pause_keys[] = { "duration", "target", NULL };
static const char *const kill_keys[] = { "signal", "target", NULL };

/* Sorted by name: fault_type_names() lists them in this order. */
static const struct fault_type fault_types[] = {
	{
		.name = "process.kill",
		.keys = kill_keys,
		.duration = FAULT_DURATION_FORBIDDEN,
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
