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
#include <sys/types.h>

/* Who is asking, for the blast-radius rules. Filled in by the server from
 * SO_PEERCRED, never from the request alone. */
struct fault_context {
	pid_t self_pid;
	pid_t peer_pid; /* the controller, or the process that spawned us; 0 if unknown */
	pid_t declared_controller_pid; /* from hello: trusted only to refuse more */
	uid_t peer_uid;
	gid_t peer_gid;
};

struct fault_ops {
	const char *kind; /* "process.pause" */
	/* False for instantaneous faults (process.kill): the registry journals them as
	 * applied and reverted at once, and their revert does nothing. */
	bool has_duration;

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

	/* Optional. Checks the targets of an applied fault, marks in undo those that
	 * have exited since the last call, and returns them as a new array in
	 * *ret_exited (NULL when none). */
	int (*watch)(json_t *undo, json_t **ret_exited);

	/* A one-line human description of a plan or undo state; malloc'd. */
	char *(*describe)(const json_t *plan);
};

/* The table: NULL when kind is unknown. */
const struct fault_ops *fault_ops_find(const char *kind);

/* The kinds, comma separated, for error messages. Static string. */
const char *fault_kinds_list(void);

extern const struct fault_ops proc_pause_ops;
extern const struct fault_ops proc_kill_ops;
