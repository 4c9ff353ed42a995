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
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "diag.h"
#include "yaml_tree.h"
#include "slo_objective.h"

/* Bounds that keep a hostile file from exhausting the controller. */
#define SCENARIO_MAX_FILE_BYTES (1024 * 1024)
#define SCENARIO_MAX_NODES YAML_TREE_MAX_NODES /* after alias expansion */
#define SCENARIO_MAX_ALIASES YAML_TREE_MAX_ALIASES
#define SCENARIO_MAX_DEPTH YAML_TREE_MAX_DEPTH
#define SCENARIO_MAX_FAULTS 1000
#define SCENARIO_MAX_SLOS 64
#define SCENARIO_MAX_ABORTS 64
#define SCENARIO_MAX_PROBES 64

enum injector_transport {
	INJECTOR_AUTO, /* daemon socket if it exists, else spawn faultlined --stdio as root */
	INJECTOR_UNIX, /* unix_path */
	INJECTOR_EXEC, /* exec_argv */
};

/*
 * expect_effect of a fault (scenario_slos.c): the metric of a probe over the
 * fault's window must differ from its baseline value by at least amount, or the
 * run fails, because a fault that changed nothing proved nothing.
 */
struct scenario_effect {
	char *probe;
	size_t probe_index; /* in scenario.probes */
	enum slo_metric metric;
	bool decrease; /* decrease_at_least; else increase_at_least */
	double amount; /* > 0, in the metric's unit (slo_objective.h) */
	char *text; /* "p50 increase_at_least 50ms", for reports */
};

struct scenario_fault {
	char *name; /* unique within the scenario, [A-Za-z0-9._-]{1,64} */
	char *type; /* "process.pause", "process.kill" */
	uint64_t at_ns; /* offset from the end of the baseline phase */
	uint64_t duration_ns; /* 0 for instantaneous faults */
	uint64_t expect_restart_ns; /* process.kill: a restart is expected within this; 0: none */
	json_t *params; /* the protocol's "params" object for this type, validated */
	struct scenario_effect *expect_effect; /* NULL when none */
	unsigned line, col; /* where the fault's mapping starts */
};

/* Bits of scenario_slo.phases, by enum report_phase. */
#define SLO_PHASE_BIT(p) (1u << (p))
#define SLO_PHASES_ALL 7u

/* One entry of slos (scenario_slos.c; docs/scenarios.md "SLOs"). */
struct scenario_slo {
	char *name; /* unique among the slos */
	char *probe;
	size_t probe_index; /* in scenario.probes */
	char *objective_text; /* as written */
	struct slo_objective objective;
	char *fault_objective_text; /* NULL when none */
	struct slo_objective fault_objective; /* the same metric; for the fault phase */
	unsigned phases; /* SLO_PHASE_BIT()s it is judged in; default all */
	uint64_t window_ns; /* the rolling window of abort conditions and recovery */
	unsigned line, col;
};

/* One entry of abort_when. */
struct scenario_abort {
	size_t slo; /* index in scenario.slos */
	uint64_t breached_for_ns;
	unsigned line, col;
};

enum probe_kind {
	PROBE_HTTP,
	PROBE_TCP,
	PROBE_COMMAND,
	PROBE_PROMETHEUS,
};

/*
 * One entry of probes (scenario_probes.c; docs/scenarios.md "Probes"). Samples are
 * scheduled at t0 + k / rate seconds; at most concurrency are in flight, and one
 * that waits longer than timeout for a slot is a timeout sample.
 */
struct scenario_probe {
	char *name; /* the key in probes, [A-Za-z0-9._-]{1,64} */
	enum probe_kind kind;
	double rate; /* scheduled samples per second (rate, or 1 / interval) */
	uint64_t timeout_ns; /* > 0 */
	uint32_t concurrency; /* >= 1; 1 for command and prometheus */
	unsigned line, col; /* where the probe's mapping starts */
	struct {
		char *url; /* http:// or https:// */
		char *method; /* GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS */
		char **headers; /* "Name: value", NULL-terminated; NULL when none */
		char *body; /* may be NULL */
		int *expect_status; /* NULL and n_expect_status 0: any 2xx */
		size_t n_expect_status;
		bool insecure; /* https: do not verify the peer */
		char *ca_file; /* https: CA bundle; NULL for the system's */
	} http;
	struct {
		char *host; /* a name (resolved once, when the probes start) or an IP literal */
		uint16_t port;
	} tcp;
	struct {
		char **argv; /* NULL-terminated, argv[0] looked up in PATH */
		bool value; /* read a number from stdout */
	} command;
	struct {
		char *url; /* the server's base URL, without /api/v1/query */
		char *query; /* PromQL */
	} prometheus;
};

/* "http", "tcp", "command", "prometheus". */
const char *probe_kind_name(enum probe_kind k);

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
	struct scenario_slo *slos;
	size_t n_slos;
	struct scenario_abort *aborts;
	size_t n_aborts;
	struct scenario_probe *probes; /* in file order */
	size_t n_probes;
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
