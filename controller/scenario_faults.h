/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to the scenario loader: the validation context, the value checkers
 * every part of the schema uses, and the table of fault types.
 *
 * A fault type is one table entry: its name, the keys it adds to a fault, whether
 * it takes a duration, and a converter from its YAML mapping to the protocol's
 * "params" object. Adding a fault type means adding an entry; scenario.c handles
 * the keys every fault has (name, type, at, duration) itself.
 */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "diag.h"
#include "yaml_tree.h"

/* Validation state. Checkers report through it and carry on, so that a single
 * run shows every problem in the file. */
struct sv_ctx {
	const char *file;
	struct diag_list *diags;
	unsigned errors; /* problems reported so far */
	int oom; /* -ENOMEM once an allocation failed, else 0 */
};

/* Adds "file:line:col: message" and counts it. Always returns -EINVAL, so that
 * "return sv_error(...)" reads as a failed check. */
int sv_error(struct sv_ctx *c, unsigned line, unsigned col, const char *fmt, ...) _printf_(4, 5);

/* Records an allocation failure; returns -ENOMEM. */
int sv_oom(struct sv_ctx *c);

/*
 * Reports every key of mapping m that is not in allowed (NULL-terminated, sorted,
 * so the message lists it in order), at the key, as "unknown key 'k' <where>;
 * expected one of: a, b". Keys in skip (NULL-terminated, may be NULL) are left
 * for the caller to report with a better message. Non-scalar keys are reported
 * too. Returns 0, or -EINVAL when anything was reported.
 */
int sv_check_keys(struct sv_ctx *c, const struct ynode *m, const char *where,
		  const char *const *allowed, const char *const *skip);

/* Reports "missing key 'key' <where>; expected <expected>" at mapping m. */
int sv_missing(struct sv_ctx *c, const struct ynode *m, const char *key, const char *where,
	       const char *expected);

/*
 * A non-empty, non-null scalar without NUL or other control characters (the
 * injector refuses them in every string). *ret points into the tree (it lives as
 * long as the tree). what names the value in messages ("target.comm").
 */
int sv_string(struct sv_ctx *c, const char *what, const struct ynode *n, const char **ret);

/* Free text that stays in the controller (a description, an HTTP body): as
 * sv_string(), but tab, LF and CR are allowed. */
int sv_text(struct sv_ctx *c, const char *what, const struct ynode *n, const char **ret);

/* A duration (parse_duration_ns): the parser's message is reported on failure. */
int sv_duration(struct sv_ctx *c, const char *what, const struct ynode *n, uint64_t *ret_ns);

/*
 * An unsigned decimal integer written as a plain scalar: no quotes, sign, leading
 * zeros, or digit separators. expected completes "expected ..." in the message
 * for anything else ("a pid from 2 to 4194304"). Range checks are the caller's.
 */
int sv_uint(struct sv_ctx *c, const char *what, const struct ynode *n, const char *expected,
	    uint64_t *ret);

enum fault_duration {
	FAULT_DURATION_REQUIRED, /* active from at to at + duration; duration > 0 */
	FAULT_DURATION_OPTIONAL, /* > 0 when given; the converter may set a default */
	FAULT_DURATION_FORBIDDEN, /* instantaneous */
};

struct scenario_fault;

struct fault_type {
	const char *name;
	/* Keys this type adds to name, type and at; NULL-terminated and sorted.
	 * Include "duration" when it is required. */
	const char *const *keys;
	enum fault_duration duration;
	/*
	 * Checks the type's own keys of the fault mapping (unknown keys are already
	 * reported) and builds the protocol's params object. Returns 0 and
	 * *ret_params (owned by the caller), or -EINVAL after reporting every problem,
	 * or -ENOMEM.
	 */
	int (*convert)(struct sv_ctx *c, const struct ynode *fault, struct scenario_fault *f,
		       json_t **ret_params);
};

/* The target mapping of the process faults (scenario_target.c). */
int convert_target(struct sv_ctx *c, const struct ynode *fault, json_t **ret);

/* The params of the network fault (scenario_network.c): a fault_type converter. */
int convert_network(struct sv_ctx *c, const struct ynode *fault, struct scenario_fault *f,
		    json_t **ret_params);

/* The params of disk.throttle and disk.fill (scenario_disk.c): fault_type
 * converters. */
int convert_disk_throttle(struct sv_ctx *c, const struct ynode *fault, struct scenario_fault *f,
			  json_t **ret_params);
int convert_disk_fill(struct sv_ctx *c, const struct ynode *fault, struct scenario_fault *f,
		      json_t **ret_params);
/* The params of disk.pressure (scenario_disk_pressure.c): a fault_type converter. */
int convert_disk_pressure(struct sv_ctx *c, const struct ynode *fault, struct scenario_fault *f,
			  json_t **ret_params);
/* The filter keys of a network target (scenario_net_filter.c): sets
 * params["filter"] when any is present. Returns 0 or -EINVAL after reporting. */
int convert_network_filter(struct sv_ctx *c, const struct ynode *target, json_t *params);

/* network.partition (scenario_network.c): a fault_type converter. */
int convert_partition(struct sv_ctx *c, const struct ynode *fault, struct scenario_fault *f,
		      json_t **ret_params);

/* The entry for a type name, or NULL. */
const struct fault_type *fault_type_find(const char *name);

/* Writes "process.kill, process.pause", every type name in table order (sorted),
 * into buf for messages, and returns buf. */
const char *fault_type_names(char *buf, size_t len);
