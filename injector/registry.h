/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registry of active faults. Every fault has an owner session and a hard
 * deadline (its duration plus a grace period, on the monotonic clock), and every
 * change goes through the journal first:
 *
 *   validate -> journal intent -> apply -> journal applied -> (active)
 *   revert -> journal reverted
 *
 * The registry never blocks on a client: it reports through the event callback,
 * which only queues.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "fault.h"
#include "event_loop.h"
#include "journal.h"
#include "proc_events.h"

#define REGISTRY_MAX_FAULTS 10000
#define REGISTRY_ANY_SESSION UINT64_MAX
/* Bounds that keep every message under PROTOCOL_MAX_LINE. */
#define REGISTRY_STATUS_MAX 100
#define REGISTRY_EVENT_MAX_TARGETS 100


/* Receives an event for the session that owns the fault. Takes ownership of
 * event. Must not block. */
typedef void (*registry_event_fn)(void *userdata, uint64_t session_id, json_t *event);

struct registry {
	struct journal *journal; /* borrowed */
	struct fault_instance *faults;
	size_t count;
	uint64_t next_seq;
	uint64_t grace_ns;
	const struct policy *policy; /* NULL: none; set by main, outlives the registry */
	registry_event_fn emit;
	void *emit_userdata;
	struct event_loop *loop; /* for the process connector; may be NULL */
	struct proc_events *proc_events; /* open while a running fault wants it */
	unsigned proc_event_users;
	bool proc_events_unavailable; /* tried and failed: faults poll instead */
	bool proc_events_lost; /* the kernel dropped events: the next tick polls */
};

struct apply_request {
	const char *name;
	const char *kind;
	uint64_t duration_ns;
	const json_t *params; /* untrusted */
	uint64_t session_id;
	uid_t uid;
};

void registry_init(struct registry *reg, struct journal *journal, uint64_t grace_ns,
		   registry_event_fn emit, void *emit_userdata);

/* Validates, journals and applies one fault. Returns 0 and a new result object
 * ({"fault":ID,"kind":...,"description":...,"targets":N[,"ttl_ms":T]}), or -errno
 * with a message in err. */
int registry_apply(struct registry *reg, const struct apply_request *req,
		   const struct fault_context *ctx, json_t **ret_result, char *err, size_t errlen);

/* The dry run of registry_apply(): the same checks and validate(), so the same
 * refusals, but nothing is journaled or changed. Returns 0 and a new
 * {"kind","description","plan"} (targets bounded), or -errno with a message. */
int registry_plan(struct registry *reg, const struct apply_request *req,
		  const struct fault_context *ctx, json_t **ret_result, char *err, size_t errlen);

/* Finds an active fault by id; NULL when none. */
struct fault_instance *registry_find(struct registry *reg, const char *id);

/* Reverts one fault and forgets it. reason ("request", "ttl_expired", ...) goes to
 * the log and the fault_reverted event. On failure the fault stays registered and
 * is retried by registry_tick(). Returns 0 or -errno with a message in err. */
int registry_revert(struct registry *reg, struct fault_instance *f, const char *reason,
		    json_t **ret_report, char *err, size_t errlen);

/* Reverts every fault of session_id (REGISTRY_ANY_SESSION: all). Returns the number
 * of faults that could not be reverted (they stay registered). */
unsigned registry_revert_session(struct registry *reg, uint64_t session_id, const char *reason,
				 unsigned *ret_reverted);

/* The injector's own clock: reverts faults past their deadline, retries failed
 * reverts, and reports targets that exited. Call it often (every 100 ms). */
void registry_tick(struct registry *reg, uint64_t now_ns);

/* A new JSON array describing the active faults, at most REGISTRY_STATUS_MAX. */
json_t *registry_status(const struct registry *reg, uint64_t now_ns);

/* Frees every instance without reverting (for shutdown after a full revert). */
void registry_done(struct registry *reg);
