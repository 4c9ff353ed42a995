/* SPDX-License-Identifier: Apache-2.0 */
#include "registry.h"

#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "macro.h"
#include "policy.h"
#include "protocol.h"
#include "time_util.h"

#define REVERT_RETRY_NS (1000 * NSEC_PER_MSEC)

void registry_init(struct registry *reg, struct journal *journal, uint64_t grace_ns,
		   registry_event_fn emit, void *emit_userdata)
{
	*reg = (struct registry){
		.journal = journal,
		.grace_ns = grace_ns,
		.emit = emit,
		.emit_userdata = emit_userdata,
		.next_seq = 1,
	};
}

static void fault_stop(struct registry *reg, struct fault_instance *f);
static void registry_unlink(struct registry *reg, struct fault_instance *f);

static struct fault_instance *fault_instance_free(struct fault_instance *f)
{
	if (!f)
		return NULL;
	if (f->running && f->ops->stop)
		f->ops->stop(f);
	free(f->name);
	free(f->description);
	free(f->revert_error);
	json_decref(f->undo);
	free(f);
	return NULL;
}

/* What the selection chose, for the controller's report: every choice with its
 * pid, comm, start time and cgroup (bounded, so the reply stays small), the seed
 * that repeats it, and how many matched. */
static void add_selection_report(json_t *result, const json_t *undo)
{
	json_t *targets = json_object_get(undo, "targets");
	json_t *chosen = json_array();
	size_t i;
	json_t *t;

	json_object_set_new(result, "targets", json_integer((json_int_t)json_array_size(targets)));
	json_array_foreach(targets, i, t) {
		if (i >= REGISTRY_EVENT_MAX_TARGETS || !chosen)
			break;
		json_array_append_new(chosen, json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?, s:O?}",
							"pid", json_object_get(t, "pid"), "comm",
							json_object_get(t, "comm"), "starttime",
							json_object_get(t, "starttime"), "cgroup",
							json_object_get(t, "cgroup"), "signalled",
							json_object_get(t, "signalled"), "skipped",
							json_object_get(t, "skipped")));
	}
	if (chosen)
		json_object_set_new(result, "chosen", chosen);
	if (json_object_get(undo, "seed"))
		json_object_set(result, "seed", json_object_get(undo, "seed"));
	if (json_object_get(undo, "matched"))
		json_object_set(result, "matched", json_object_get(undo, "matched"));
	json_t *refused = json_object_get(undo, "refused");
	if (json_array_size(refused))
		json_object_set(result, "refused", refused);
}

static void fault_instance_freep(struct fault_instance **f)
{
	fault_instance_free(*f);
}

static void registry_link(struct registry *reg, struct fault_instance *f)
{
	f->next = reg->faults;
	reg->faults = f;
	reg->count++;
}

/* Two active faults of one kind never hold the same process: the first revert
 * would resume a process the second still means to hold. Kinds that own their
 * targets (a pause) are exclusive; instantaneous ones are not. */
static int check_exclusive_targets(struct registry *reg, const struct fault_ops *ops,
				   const json_t *plan, char *err, size_t errlen)
{
	json_t *wanted = json_object_get(plan, "targets");
	size_t i, j;
	json_t *a, *b;

	if (!ops->exclusive_targets || !json_is_array(wanted))
		return 0;
	for (struct fault_instance *f = reg->faults; f; f = f->next) {
		if (f->ops != ops)
			continue;
		json_array_foreach(wanted, i, a) {
			json_array_foreach(json_object_get(f->undo, "targets"), j, b) {
				if (json_equal(json_object_get(a, "pid"),
					       json_object_get(b, "pid")) &&
				    json_equal(json_object_get(a, "starttime"),
					       json_object_get(b, "starttime"))) {
					errbuf_set(err, errlen,
						   "pid %lld is already held by fault %s (%s)",
						   (long long)json_integer_value(
							   json_object_get(a, "pid")),
						   f->id, f->name ? f->name : "unnamed");
					return -EBUSY;
				}
			}
		}
	}
	return 0;
}

static void emit(struct registry *reg, uint64_t session_id, const char *name, json_t *fields)
{
	json_t *event = protocol_event(name, fields);
	if (event && reg->emit)
		reg->emit(reg->emit_userdata, session_id, event);
	else
		json_decref(event);
}

static void env_emit(struct fault_env *env, struct fault_instance *f, const char *event,
		     json_t *fields)
{
	struct registry *reg = env->userdata;

	if (!fields)
		return;
	json_object_set_new(fields, "fault", json_string(f->id));
	if (f->name)
		json_object_set_new(fields, "name", json_string(f->name));
	emit(reg, f->session_id, event, fields);
}

static struct fault_env make_env(struct registry *reg, uint64_t now_ns)
{
	return (struct fault_env){
		.now_ns = now_ns,
		.have_proc_events = reg->proc_events != NULL && !reg->proc_events_lost,
		.emit = env_emit,
		.userdata = reg,
	};
}

static void on_process_event(const struct process_event *ev, bool overrun, void *userdata);

/* The connector is opened for the first running fault that wants it and closed
 * after the last; without it (no CAP_NET_ADMIN, no CONFIG_PROC_EVENTS) faults
 * poll. */
static void proc_events_acquire(struct registry *reg)
{
	if (reg->proc_event_users++ > 0 || reg->proc_events || !reg->loop ||
	    reg->proc_events_unavailable)
		return;
	int r = proc_events_open(reg->loop, on_process_event, reg, &reg->proc_events);
	if (r < 0) {
		reg->proc_events_unavailable = true;
		log_warning_errno(r, "no process connector; watching processes by polling /proc "
				     "every tick instead (coarser timings)");
	}
}

static void proc_events_release(struct registry *reg)
{
	if (reg->proc_event_users > 0 && --reg->proc_event_users == 0)
		reg->proc_events = proc_events_close(reg->proc_events);
}

static void fault_stop(struct registry *reg, struct fault_instance *f)
{
	if (!f->running)
		return;
	if (f->ops->stop)
		f->ops->stop(f);
	f->running = false;
	if (f->ops->wants_proc_events)
		proc_events_release(reg);
}

static int journal_record(struct registry *reg, enum journal_record_type type, const char *id,
			  const char *kind, uint64_t session_id, uid_t uid, const json_t *data)
{
	if (!reg->journal)
		return 0;
	int r = journal_append(reg->journal, type, id, kind, session_id, uid, data);
	if (r < 0)
		log_error_errno(r, "fault %s: cannot write the %s record to the journal", id,
				journal_record_type_to_string(type));
	return r;
}

/* The checks every request passes before its fault's own validate(). */
static int check_request(struct registry *reg, const struct fault_ops *ops,
			 const struct apply_request *req, char *err, size_t errlen)
{
	if (!ops) {
		errbuf_set(err, errlen, "unknown fault kind \"%.64s\"; expected one of: %s",
			   req->kind, fault_kinds_list());
		return -EINVAL;
	}
	if (ops->duration == FAULT_DURATION_REQUIRED && req->duration_ns == 0) {
		errbuf_set(err, errlen, "%s needs a duration greater than 0", ops->kind);
		return -EINVAL;
	}
	if (ops->duration == FAULT_DURATION_NONE && req->duration_ns != 0) {
		errbuf_set(err, errlen, "%s is instantaneous and takes no duration", ops->kind);
		return -EINVAL;
	}
	if (reg->count >= REGISTRY_MAX_FAULTS) {
		errbuf_set(err, errlen, "too many active faults (at most %d)", REGISTRY_MAX_FAULTS);
		return -EBUSY;
	}
	if (req->duration_ns) {
		char what[64];
		snprintf(what, sizeof(what), "duration %llu ms",
			 (unsigned long long)(req->duration_ns / NSEC_PER_MSEC));
		return policy_check_limit(reg->policy, POLICY_MAX_DURATION, req->duration_ns, what,
					  err, errlen);
	}
	return 0;
}

/* The policy's limits on what a plan resolved to: how many processes it acts on. */
static int check_plan_limits(struct registry *reg, const json_t *plan, char *err, size_t errlen)
{
	const json_t *targets = json_object_get(plan, "targets");
	char what[64];

	if (!json_is_array(targets))
		return 0;
	snprintf(what, sizeof(what), "%zu target processes", json_array_size(targets));
	return policy_check_limit(reg->policy, POLICY_MAX_TARGETS, json_array_size(targets), what,
				  err, errlen);
}

/* What apply and plan share: the request's checks, the kind's validate() (the
 * trust boundary for params) and the exclusivity rule. Returns 0 with a new plan
 * and its description (may be NULL), or -errno with a message. */
static int prepare(struct registry *reg, const struct fault_ops *ops,
		   const struct apply_request *req, const struct fault_context *ctx,
		   json_t **ret_plan, char **ret_description, char *err, size_t errlen)
{
	_cleanup_json_ json_t *plan = NULL;
	int r;

	r = check_request(reg, ops, req, err, errlen);
	if (r < 0)
		return r;
	r = ops->validate(req->params, ctx, &plan, err, errlen);
	if (r < 0)
		return r;
	r = check_exclusive_targets(reg, ops, plan, err, errlen);
	if (r < 0)
		return r;
	r = check_plan_limits(reg, plan, err, errlen);
	if (r < 0)
		return r;
	*ret_description = ops->describe(plan);
	*ret_plan = TAKE_PTR(plan);
	return 0;
}

/* The audit line and the fault_applied event. */
static void announce_applied(struct registry *reg, const struct fault_instance *f)
{
	log_info("fault %s applied: %s (kind %s, session %llu, uid %u)", f->id,
		 f->description ? f->description : "", f->ops->kind,
		 (unsigned long long)f->session_id, (unsigned)f->owner_uid);
	emit(reg, f->session_id, "fault_applied",
	     json_pack("{s:s, s:s?, s:s, s:s?}", "fault", f->id, "name", f->name, "kind",
		       f->ops->kind, "description", f->description));
}

/* A fault whose runtime is the fault (start_required) could not start: undo the
 * change and fail the apply, rather than keep a fault that does nothing. If the
 * revert fails too, the fault stays registered and the clock retries it. */
static int start_failed(struct registry *reg, struct fault_instance *f, int r, const char *why,
			char *err, size_t errlen)
{
	char message[512] = "";

	if (!why[0])
		why = strerror(-r);
	log_info("fault %s (%s) failed to start: %s", f->id, f->ops->kind, why);
	int rr = f->ops->revert(f->undo, NULL, message, sizeof(message));
	if (rr < 0) {
		f->revert_error = strdup(message);
		f->retry_ns = now_monotonic_ns();
		errbuf_set(err, errlen,
			   "cannot start the fault (%s), and reverting it failed too (%s); the "
			   "injector keeps retrying",
			   why, message);
		return r;
	}
	journal_record(reg, JOURNAL_REVERTED, f->id, f->ops->kind, f->session_id, f->owner_uid,
		       NULL);
	registry_unlink(reg, f);
	fault_instance_free(f);
	if (reg->count == 0 && reg->journal)
		journal_truncate(reg->journal);
	errbuf_set(err, errlen, "cannot start the fault, so it was reverted: %s", why);
	return r;
}

int registry_apply(struct registry *reg, const struct apply_request *req,
		   const struct fault_context *ctx, json_t **ret_result, char *err, size_t errlen)
{
	const struct fault_ops *ops = fault_ops_find(req->kind);
	_cleanup_json_ json_t *plan = NULL, *undo = NULL;
	_cleanup_free_ char *description = NULL;
	char id[48];
	int r;

	r = prepare(reg, ops, req, ctx, &plan, &description, err, errlen);
	if (r < 0)
		return r;
	snprintf(id, sizeof(id), "f%d-%llu", (int)ctx->self_pid,
		 (unsigned long long)reg->next_seq++);

	/* Everything that can fail for want of memory is done before the kernel is
	 * touched, so that no failure after apply can lose the undo state. */
	_cleanup_(fault_instance_freep) struct fault_instance *f = calloc(1, sizeof(*f));
	_cleanup_json_ json_t *result = json_pack("{s:s, s:s, s:s?}", "fault", id, "kind",
						  ops->kind, "description", description);
	if (!f || !result || (req->name && !(f->name = strdup(req->name))))
		return -ENOMEM;
	memcpy(f->id, id, sizeof(f->id));
	f->ops = ops;
	f->session_id = req->session_id;
	f->owner_uid = req->uid;
	f->duration_ns = req->duration_ns;
	f->ctx = *ctx;

	/* Write ahead: once the intent is durable, a crash at any later point can be
	 * undone from the plan. Without it, nothing may be touched. */
	r = journal_record(reg, JOURNAL_INTENT, id, ops->kind, req->session_id, req->uid, plan);
	if (r < 0) {
		errbuf_set(err, errlen, "cannot journal the intent, so nothing was changed: %s",
			   strerror(-r));
		return r;
	}

	/* Subscribe to process events before the change, so that a target that dies
	 * at once is seen dying. */
	bool watching = ops->wants_proc_events && req->duration_ns > 0;
	if (watching)
		proc_events_acquire(reg);

	/* apply() either succeeds with an undo state or fails having changed nothing. */
	r = ops->apply(plan, &undo, err, errlen);
	if (r < 0) {
		if (watching)
			proc_events_release(reg);
		journal_record(reg, JOURNAL_FAILED, id, ops->kind, req->session_id, req->uid, NULL);
		log_info("fault %s (%s) failed to apply: %s", id, ops->kind, err ? err : "");
		emit(reg, req->session_id, "fault_failed",
		     json_pack("{s:s, s:s?, s:s, s:s}", "fault", id, "name", req->name, "phase",
			       "apply", "message", err ? err : ""));
		return r;
	}
	f->undo = TAKE_PTR(undo);
	f->description = TAKE_PTR(description);
	f->applied_ms = now_realtime_ms();
	f->deadline_ns = now_monotonic_ns() + req->duration_ns + reg->grace_ns;
	add_selection_report(result, f->undo);

	r = journal_record(reg, JOURNAL_APPLIED, id, ops->kind, req->session_id, req->uid, f->undo);
	if (r < 0) {
		/* The change is live but unrecorded: undo it now rather than risk
		 * leaving it behind after a crash. If even that fails, keep it
		 * registered so the clock retries and status shows it. */
		int rr = ops->revert(f->undo, NULL, NULL, 0);
		if (watching)
			proc_events_release(reg);
		if (rr == 0) {
			journal_record(reg, JOURNAL_REVERTED, id, ops->kind, req->session_id,
				       req->uid, NULL);
			errbuf_set(err, errlen,
				   "cannot journal the applied state, so it was reverted: %s",
				   strerror(-r));
			return r;
		}
		f->revert_error = strdup("the applied state could not be journaled");
		f->retry_ns = now_monotonic_ns();
		registry_link(reg, TAKE_PTR(f));
		errbuf_set(err, errlen,
			   "cannot journal the applied state (%s), and reverting failed too; the "
			   "injector keeps retrying",
			   strerror(-r));
		return r;
	}
	/* A fault whose runtime is the fault is announced once it runs. */
	if (!ops->start_required || req->duration_ns == 0)
		announce_applied(reg, f);
	if (req->duration_ns == 0) {
		/* Instantaneous: done as soon as it is applied. */
		journal_record(reg, JOURNAL_REVERTED, id, ops->kind, req->session_id, req->uid,
			       NULL);
		if (reg->count == 0 && reg->journal)
			journal_truncate(reg->journal);
		*ret_result = TAKE_PTR(result);
		return 0;
	}

	json_object_set_new(
		result, "ttl_ms",
		json_integer((json_int_t)((req->duration_ns + reg->grace_ns) / NSEC_PER_MSEC)));
	struct fault_instance *live = TAKE_PTR(f);
	registry_link(reg, live);
	struct fault_env env = make_env(reg, now_monotonic_ns());
	char start_err[256] = "";
	env.err = start_err;
	env.errlen = sizeof(start_err);
	r = ops->start ? ops->start(live, &env) : 0;
	if (r < 0 && ops->start_required) {
		if (watching)
			proc_events_release(reg);
		return start_failed(reg, live, r, start_err, err, errlen);
	}
	if (r < 0) {
		/* The kernel change stands; only its watching failed. Keep the fault,
		 * with its deadline, and say so. */
		if (watching)
			proc_events_release(reg);
		log_warning_errno(r, "fault %s: cannot start its runtime", live->id);
	} else {
		live->running = true;
	}
	if (ops->start_required)
		announce_applied(reg, live);
	*ret_result = TAKE_PTR(result);
	return 0;
}

int registry_plan(struct registry *reg, const struct apply_request *req,
		  const struct fault_context *ctx, json_t **ret_result, char *err, size_t errlen)
{
	const struct fault_ops *ops = fault_ops_find(req->kind);
	_cleanup_json_ json_t *plan = NULL;
	_cleanup_free_ char *description = NULL;
	int r;

	r = prepare(reg, ops, req, ctx, &plan, &description, err, errlen);
	if (r < 0)
		return r;

	/* Bounded like every reply: the first targets in full, and the count. */
	json_t *targets = json_object_get(plan, "targets");
	if (json_array_size(targets) > REGISTRY_EVENT_MAX_TARGETS) {
		json_object_set_new(plan, "targets_total",
				    json_integer((json_int_t)json_array_size(targets)));
		while (json_array_size(targets) > REGISTRY_EVENT_MAX_TARGETS)
			json_array_remove(targets, json_array_size(targets) - 1);
	}
	*ret_result = json_pack("{s:s, s:s?, s:O}", "kind", ops->kind, "description", description,
				"plan", plan);
	return *ret_result ? 0 : -ENOMEM;
}

struct fault_instance *registry_find(struct registry *reg, const char *id)
{
	for (struct fault_instance *f = reg->faults; f; f = f->next)
		if (streq(f->id, id))
			return f;
	return NULL;
}

static void registry_unlink(struct registry *reg, struct fault_instance *f)
{
	for (struct fault_instance **p = &reg->faults; *p; p = &(*p)->next)
		if (*p == f) {
			*p = f->next;
			reg->count--;
			return;
		}
}

int registry_revert(struct registry *reg, struct fault_instance *f, const char *reason,
		    json_t **ret_report, char *err, size_t errlen)
{
	_cleanup_json_ json_t *report = NULL;
	char message[512] = "";
	int r;

	fault_stop(reg, f);
	r = f->ops->revert(f->undo, &report, message, sizeof(message));
	if (r < 0) {
		free(f->revert_error);
		f->revert_error = strdup(message);
		f->retry_ns = now_monotonic_ns() + REVERT_RETRY_NS;
		log_error_errno(r, "fault %s: revert (%s) failed: %s; retrying", f->id, reason,
				message);
		emit(reg, f->session_id, "fault_failed",
		     json_pack("{s:s, s:s?, s:s, s:s, s:s}", "fault", f->id, "name", f->name,
			       "phase", "revert", "reason", reason, "message", message));
		errbuf_set(err, errlen, "%s", message);
		return r;
	}

	journal_record(reg, JOURNAL_REVERTED, f->id, f->ops->kind, f->session_id, f->owner_uid,
		       report);
	log_info("fault %s reverted (%s): %s", f->id, reason, f->description ? f->description : "");
	emit(reg, f->session_id, "fault_reverted",
	     json_pack("{s:s, s:s?, s:s, s:O?}", "fault", f->id, "name", f->name, "reason", reason,
		       "report", report));

	registry_unlink(reg, f);
	fault_instance_free(f);
	if (reg->count == 0 && reg->journal)
		journal_truncate(reg->journal);
	if (ret_report)
		*ret_report = TAKE_PTR(report);
	return 0;
}

unsigned registry_revert_session(struct registry *reg, uint64_t session_id, const char *reason,
				 unsigned *ret_reverted)
{
	unsigned failed = 0, reverted = 0;
	struct fault_instance *f = reg->faults, *next;

	for (; f; f = next) {
		next = f->next;
		if (session_id != REGISTRY_ANY_SESSION && f->session_id != session_id)
			continue;
		if (registry_revert(reg, f, reason, NULL, NULL, 0) < 0)
			failed++;
		else
			reverted++;
	}
	if (ret_reverted)
		*ret_reverted = reverted;
	return failed;
}

void registry_tick(struct registry *reg, uint64_t now_ns)
{
	struct fault_instance *f = reg->faults, *next;

	for (; f; f = next) {
		next = f->next;
		if (f->retry_ns) {
			if (now_ns >= f->retry_ns)
				registry_revert(reg, f, "retry", NULL, NULL, 0);
			continue;
		}
		if (now_ns >= f->deadline_ns) {
			registry_revert(reg, f, "ttl_expired", NULL, NULL, 0);
			continue;
		}
		if (f->running && f->ops->tick) {
			struct fault_env env = make_env(reg, now_ns);
			if (f->ops->tick(f, &env))
				journal_record(reg, JOURNAL_APPLIED, f->id, f->ops->kind,
					       f->session_id, f->owner_uid, f->undo);
		}
	}
	/* Every running fault has now polled once since the loss. */
	reg->proc_events_lost = false;
}

static void on_process_event(const struct process_event *ev, bool overrun, void *userdata)
{
	struct registry *reg = userdata;
	struct fault_env env = make_env(reg, now_monotonic_ns());

	/* After an overrun, events were lost: the next tick polls to catch up. */
	if (overrun)
		reg->proc_events_lost = true;
	if (ev->pid <= 0)
		return;
	env.have_proc_events = !overrun;
	for (struct fault_instance *f = reg->faults; f; f = f->next)
		if (f->running && f->ops->wants_proc_events && f->ops->proc_event &&
		    f->ops->proc_event(f, ev, &env))
			journal_record(reg, JOURNAL_APPLIED, f->id, f->ops->kind, f->session_id,
				       f->owner_uid, f->undo);
}

json_t *registry_status(const struct registry *reg, uint64_t now_ns)
{
	json_t *list = json_array();
	size_t n = 0;

	for (struct fault_instance *f = reg->faults; list && f && n < REGISTRY_STATUS_MAX;
	     f = f->next, n++) {
		uint64_t left = f->deadline_ns > now_ns ? f->deadline_ns - now_ns : 0;
		json_array_append_new(
			list, json_pack("{s:s, s:s?, s:s, s:I, s:i, s:s?, s:I, s:I, s:I, s:s?}",
					"fault", f->id, "name", f->name, "kind", f->ops->kind,
					"session", (json_int_t)f->session_id, "uid",
					(int)f->owner_uid, "description", f->description,
					"applied_at_ms", (json_int_t)f->applied_ms, "duration_ms",
					(json_int_t)(f->duration_ns / NSEC_PER_MSEC),
					"expires_in_ms", (json_int_t)(left / NSEC_PER_MSEC),
					"revert_error", f->revert_error));
	}
	return list;
}

void registry_done(struct registry *reg)
{
	while (reg->faults) {
		struct fault_instance *f = reg->faults;
		reg->faults = f->next;
		fault_stop(reg, f);
		fault_instance_free(f);
	}
	reg->count = 0;
	reg->proc_events = proc_events_close(reg->proc_events);
}
