/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Scenario files: loading (libyaml), strict validation, and the in-memory form
 * the runner executes. docs/scenarios.md is the user-facing contract.
 *
 * Every problem found is added to a diag_list as "file:line:col: message", where
 * message says what was expected and what was found. Loading goes on after an
 * error wherever it can, so that one run reports every error, not only the first.
 */
#pragma once

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "diag.h"
#include "yaml_tree.h"

/* Bounds that keep a hostile file from exhausting the controller. */
#define SCENARIO_MAX_FILE_BYTES (1024 * 1024)
#define SCENARIO_MAX_NODES YAML_TREE_MAX_NODES /* after alias expansion */
#define SCENARIO_MAX_ALIASES YAML_TREE_MAX_ALIASES
#define SCENARIO_MAX_DEPTH YAML_TREE_MAX_DEPTH
#define SCENARIO_MAX_FAULTS 1000

enum injector_transport {
	INJECTOR_AUTO, /* daemon socket if it exists, else spawn faultlined --stdio as root */
	INJECTOR_UNIX, /* unix_path */
	INJECTOR_EXEC, /* exec_argv */
};

struct scenario_fault {
	char *name; /* unique within the scenario, [A-Za-z0-9._-]{1,64} */
	char *type; /* "process.pause", "process.kill" */
	uint64_t at_ns; /* offset from the end of the baseline phase */
	uint64_t duration_ns; /* 0 for instantaneous faults */
	uint64_t expect_restart_ns; /* process.kill: a restart is expected within this; 0: none */
	json_t *params; /* the protocol's "params" object for this type, validated */
	unsigned line, col; /* where the fault's mapping starts */
};

struct scenario {
	char *path;
	char *name;
	char *description; /* may be NULL */
	enum injector_transport transport;
	char *unix_path; /* INJECTOR_UNIX */
	char **exec_argv; /* INJECTOR_EXEC, NULL-terminated */
	uint64_t baseline_ns; /* phases.baseline, 0 when absent */
	uint64_t recovery_within_ns; /* phases.recovery.within, 0 when absent */
	struct scenario_fault *faults;
	size_t n_faults;
};

/* Loads and validates path. Returns 0 and *ret when the file is valid. Otherwise
 * returns -EINVAL (or -errno for I/O errors such as -ENOENT) with at least one
 * entry appended to diags, and *ret untouched. Never logs; never exits. */
int scenario_load(const char *path, struct scenario **ret, struct diag_list *diags);

/* Same as scenario_load() for an in-memory buffer; name is used in messages. */
int scenario_load_buffer(const char *name, const char *buf, size_t len, struct scenario **ret,
			 struct diag_list *diags);

/* Accepts NULL; returns NULL. */
struct scenario *scenario_free(struct scenario *s);

/* The end of the fault window: max(at + duration) over all faults. */
uint64_t scenario_fault_window_ns(const struct scenario *s);
