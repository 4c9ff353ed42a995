/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fault ops table (design.md §2). Each fault kind is one explicit entry; there
 * is no constructor magic. The registry drives every kind the same way:
 *
 *   validate(params)  ->  plan      untrusted input checked, targets resolved;
 *                                   nothing changed yet. The plan names every
 *                                   object apply may touch, and is journaled as
 *                                   the intent record.
 *   apply(plan)       ->  undo      the kernel changed; undo is journaled as the
 *                                   applied record.
 *   revert(undo|plan)               the change undone exactly.
 *
 * All state that crosses these calls is JSON, so that the journal can hold it and
 * recovery in a new process can revert it with nothing else at hand.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct policy;

/* Who is asking, for the blast-radius rules. Filled in by the server from
 * SO_PEERCRED, never from the request alone. */
struct fault_context {
	pid_t self_pid;
	pid_t peer_pid; /* the controller, or the process that spawned us; 0 if unknown */
	pid_t declared_controller_pid; /* from hello: trusted only to refuse more */
	pid_t peer_session; /* the session leaders of the two above, 0 if unknown */
	pid_t controller_session;
	uid_t peer_uid;
	gid_t peer_gid;
	/* The target policy (policy.h), NULL when none: faults check the objects they
	 * resolve against it and refuse more, never less. */
	const struct policy *policy;
};

/* An active fault, as the registry holds it. */
struct fault_instance {
	char id[48];
	char *name; /* the controller's name for it */
	const struct fault_ops *ops;
	uint64_t session_id;
	uid_t owner_uid;
	json_t *undo;
	char *description;
	uint64_t duration_ns;
	uint64_t applied_ms; /* realtime, for people */
	uint64_t deadline_ns; /* monotonic: applied + duration + grace */
	uint64_t retry_ns; /* monotonic: when a failed revert is tried again; 0 = none */
	char *revert_error; /* the last revert failure, if any */
	struct fault_context ctx; /* who applied it, for re-selection and refusals */
	void *runtime; /* the fault's own running state, owned by its ops */
	bool running; /* start() succeeded and stop() has not run */
	struct fault_instance *next;
};

/* What a running fault may use: the clock, and a way to tell its owner. */
struct fault_env {
	uint64_t now_ns; /* CLOCK_MONOTONIC */
	bool have_proc_events; /* false: no process connector, so poll */
	/* Sends event (e.g. "target_exited") to the fault's owner; fields stolen;
	 * "fault" and "name" are added. */
	void (*emit)(struct fault_env *env, struct fault_instance *f, const char *event,
		     json_t *fields);
	void *userdata;
	/* Only for start(): where it may say why it failed (NULL elsewhere). */
	char *err;
	size_t errlen;
};

/* A process event from the kernel's process connector. */
enum process_event_kind {
	PROCESS_FORK, /* pid/tgid: the child; parent_tgid: its parent */
	PROCESS_EXEC,
	PROCESS_EXIT, /* pid == tgid for a whole process */
};

struct process_event {
	enum process_event_kind kind;
	pid_t pid, tgid, parent_tgid;
	uint64_t ts_ns; /* CLOCK_MONOTONIC, from the kernel */
};

enum fault_duration {
	FAULT_DURATION_REQUIRED,
	FAULT_DURATION_OPTIONAL,
	FAULT_DURATION_NONE,
};

struct fault_ops {
	const char *kind; /* "process.pause" */
	/* Whether the fault takes a duration. One without (or given 0 when optional) is
	 * instantaneous: journaled as applied and reverted at once, never
	 * registered, its revert does nothing. */
	enum fault_duration duration;
	/* Two active faults of this kind may not hold the same (pid, starttime). */
	bool exclusive_targets;

	/* Checks params, which come from the unprivileged controller, and resolves
	 * them into a plan. Reads the system; changes nothing. Returns 0 and a new
	 * *ret_plan, or -errno with a message in err. */
	int (*validate)(const json_t *params, const struct fault_context *ctx, json_t **ret_plan,
			char *err, size_t errlen);

	/* Makes the change. Returns 0 and a new *ret_undo. On failure, undoes its own
	 * partial work before returning -errno with a message. */
	int (*apply)(const json_t *plan, json_t **ret_undo, char *err, size_t errlen);

	/* Undoes the change, given the undo state or, after a crash between the intent
	 * and applied records, the plan. Must be idempotent. Targets that no longer
	 * exist are not errors; they are listed in *ret_report (may be NULL). */
	int (*revert)(const json_t *undo, json_t **ret_report, char *err, size_t errlen);

	/* Optional runtime, for faults that act or watch over their window. The
	 * registry calls start() once the fault is applied and registered, tick()
	 * on every clock tick, proc_event() for each process event while
	 * wants_proc_events is set, and stop() before the revert. None may block.
	 * tick() and proc_event() return true when they changed f->undo, which the
	 * registry then journals again. */
	int (*start)(struct fault_instance *f, struct fault_env *env);
	bool (*tick)(struct fault_instance *f, struct fault_env *env);
	bool (*proc_event)(struct fault_instance *f, const struct process_event *ev,
			   struct fault_env *env);
	void (*stop)(struct fault_instance *f);
	bool wants_proc_events;
	/* The runtime is the fault (a load generator): when start() fails, the
	 * registry reverts the fault and the apply fails, rather than keep a fault
	 * that does nothing. */
	bool start_required;

	/* A one-line human description of a plan or undo state; malloc'd. */
	char *(*describe)(const json_t *plan);
};

/* The table: NULL when kind is unknown. */
const struct fault_ops *fault_ops_find(const char *kind);

/* The kinds, comma separated, for error messages. Static string. */
const char *fault_kinds_list(void);

extern const struct fault_ops proc_pause_ops;
extern const struct fault_ops proc_kill_ops;
extern const struct fault_ops net_netem_fault_ops;
extern const struct fault_ops disk_throttle_ops;
extern const struct fault_ops disk_fill_ops;
extern const struct fault_ops disk_pressure_ops;
extern const struct fault_ops net_partition_fault_ops;
