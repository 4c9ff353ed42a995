/* SPDX-License-Identifier: Apache-2.0 */
/*
 * process.pause: SIGSTOP through a pidfd, SIGCONT on revert; or, with method
 * "freeze", the cgroup v2 freezer of the target cgroup.
 *
 * Ownership: a process that was already stopped before the fault, or a cgroup
 * already frozen, is left alone on apply and on revert, so that the revert never
 * resumes what we did not stop.
 */
#include <signal.h>
#include <stdio.h>

#include "cgroup_freeze.h"
#include "fault.h"
#include "macro.h"
#include "policy.h"
#include "proc_select.h"
#include "proc_target.h"
#include "proc_targets_json.h"
#include "protocol.h"

static bool is_freeze(const json_t *state)
{
	return streq_ptr(json_string_value(json_object_get(state, "method")), "freeze");
}

static int pause_validate(const json_t *params, const struct fault_context *ctx, json_t **ret_plan,
			  char *err, size_t errlen)
{
	static const char *const keys[] = { "target", "method", NULL };
	const char *method = "signal";
	json_t *target = json_object_get(params, "target");
	json_t *selection = NULL;
	int r;

	r = protocol_check_keys(params, keys, err, errlen);
	if (r < 0)
		return r;
	if (protocol_get_string(params, "method", 16, &method) < 0 ||
	    (!streq(method, "signal") && !streq(method, "freeze"))) {
		errbuf_set(err, errlen, "expected \"method\" to be signal or freeze");
		return -EINVAL;
	}
	/* The freezer takes the whole cgroup whatever its size: the selection only
	 * lists who is in it (and finds protected processes), so it needs no bound
	 * of the scenario's. */
	_cleanup_json_ json_t *bounded = NULL;
	if (streq(method, "freeze") && json_is_object(target)) {
		bounded = json_deep_copy(target);
		if (!bounded ||
		    json_object_set_new(bounded, "max", json_integer(PROC_TARGETS_MAX)) < 0)
			return -ENOMEM;
		target = bounded;
	}
	r = proc_select(target, ctx, &selection, err, errlen);
	if (r < 0)
		return r;
	json_object_set_new(selection, "method", json_string(method));

	if (streq(method, "freeze")) {
		/* The freezer acts on a whole cgroup, so the cgroup is the target and
		 * the selection only reports who is in it. */
		const json_t *given = json_object_get(params, "target");
		const char *cgroup = json_string_value(json_object_get(given, "cgroup"));
		bool frozen;
		if (!cgroup || json_object_size(given) != 1) {
			json_decref(selection);
			errbuf_set(err, errlen,
				   "method freeze takes a target with a cgroup and "
				   "nothing else");
			return -EINVAL;
		}
		const char *refusal = policy_refuse_cgroup(ctx->policy, cgroup);
		if (refusal) {
			json_decref(selection);
			errbuf_set(err, errlen, "refused to freeze cgroup %s: %s", cgroup, refusal);
			return -EPERM;
		}
		/* Freezing a cgroup freezes everything below it: it must not hold
		 * anything the blast-radius rules protect (ourselves included), nor
		 * anything the policy keeps out of reach. */
		json_t *refused = json_array_get(json_object_get(selection, "refused"), 0);
		if (refused) {
			errbuf_set(err, errlen,
				   "refused to freeze cgroup %s: it holds pid %lld (%s): %s",
				   cgroup,
				   (long long)json_integer_value(json_object_get(refused, "pid")),
				   json_string_value(json_object_get(refused, "comm")) ?: "?",
				   json_string_value(json_object_get(refused, "reason")) ?: "?");
			json_decref(selection);
			return -EPERM;
		}
		r = cgroup_freeze_read(cgroup, &frozen, err, errlen);
		if (r < 0) {
			json_decref(selection);
			return r;
		}
		json_object_set_new(selection, "cgroup", json_string(cgroup));
		json_object_set_new(selection, "was_frozen", json_boolean(frozen));
		*ret_plan = selection;
		return 0;
	}

	size_t i;
	json_t *entry;
	json_array_foreach(json_object_get(selection, "targets"), i, entry) {
		pid_t pid;
		uint64_t starttime;
		struct proc_stat st;
		if (proc_target_entry(entry, &pid, &starttime) == 0 &&
		    procfs_read_stat(pid, &st) == 0 && (st.state == 'T' || st.state == 't'))
			json_object_set_new(entry, "already_stopped", json_true());
	}
	*ret_plan = selection;
	return 0;
}

static bool pause_owns(const json_t *entry)
{
	return !json_is_true(json_object_get(entry, "already_stopped"));
}

/* Sends SIGCONT to every target we stopped (or may have stopped, when given a plan
 * after a crash). Gone processes are listed in exited; other failures counted. */
static int pause_resume(const json_t *state, json_t *exited, char *err, size_t errlen)
{
	json_t *targets = json_object_get(state, "targets");
	int first_error = 0;
	size_t i;
	json_t *entry;

	json_array_foreach(targets, i, entry) {
		char why[256];
		if (!pause_owns(entry) || json_is_false(json_object_get(entry, "stopped")))
			continue;
		int r = proc_target_signal_entry(entry, SIGCONT, why, sizeof(why));
		if (r == -ESRCH || r == -ESTALE) {
			if (exited)
				json_array_append(exited, json_object_get(entry, "pid"));
		} else if (r < 0) {
			errbuf_set(err, errlen, "cannot resume: %s", why);
			first_error = first_error ?: r;
		}
	}
	return first_error;
}

/* Stops every target the plan owns. It never fails once something is stopped:
 * a target that cannot be stopped (it exited, or the kernel refused) is marked so
 * and the others stay paused, because the fault is then live and its undo state
 * must reach the journal. It fails, having stopped nothing, only when no target
 * could be stopped. SIGSTOP takes effect when the target is next scheduled; the
 * answer does not wait for that, so the event loop never waits on a target. */
static int pause_apply_signal(const json_t *plan, json_t **ret_undo, char *err, size_t errlen)
{
	_cleanup_json_ json_t *undo = json_deep_copy(plan);
	json_t *targets = json_object_get(undo, "targets");
	unsigned stopped = 0, gone = 0, owned = 0;
	int first_error = 0;
	size_t i;
	json_t *entry;

	if (!undo)
		return -ENOMEM;
	json_array_foreach(targets, i, entry) {
		pid_t pid;
		uint64_t starttime;
		if (proc_target_entry(entry, &pid, &starttime) < 0)
			return -EINVAL;
	}
	json_array_foreach(targets, i, entry) {
		char why[256];
		if (!pause_owns(entry))
			continue;
		owned++;
		int r = proc_target_signal_entry(entry, SIGSTOP, why, sizeof(why));
		json_object_set_new(entry, "stopped", json_boolean(r == 0));
		if (r == 0) {
			stopped++;
			continue;
		}
		if (r == -ESRCH)
			json_object_set_new(entry, "exited", json_true());
		else
			json_object_set_new(entry, "skipped", json_string(why));
		if (r == -ESRCH)
			gone++;
		if (!first_error && r != -ESRCH) {
			first_error = r;
			errbuf_set(err, errlen, "%s", why);
		}
	}
	if (stopped == 0 && owned > 0) {
		if (!first_error)
			errbuf_set(err, errlen, "every target exited before it could be stopped");
		return first_error ?: -ESRCH;
	}
	if (stopped == 0 && json_array_size(targets) > 0) {
		errbuf_set(err, errlen, "every target was already stopped; nothing to pause");
		return -EALREADY;
	}
	/* With allow_empty and nothing matched, the fault holds nothing: a valid,
	 * empty pause. */
	*ret_undo = TAKE_PTR(undo);
	return 0;
}

static int pause_apply(const json_t *plan, json_t **ret_undo, char *err, size_t errlen)
{
	if (!is_freeze(plan))
		return pause_apply_signal(plan, ret_undo, err, errlen);

	const char *cgroup = json_string_value(json_object_get(plan, "cgroup"));
	_cleanup_json_ json_t *undo = json_deep_copy(plan);
	if (!cgroup || !undo)
		return -EINVAL;
	if (!json_is_true(json_object_get(plan, "was_frozen"))) {
		int r = cgroup_freeze_write(cgroup, true, err, errlen);
		if (r < 0)
			return r;
	}
	*ret_undo = TAKE_PTR(undo);
	return 0;
}

static int pause_revert(const json_t *undo, json_t **ret_report, char *err, size_t errlen)
{
	_cleanup_json_ json_t *exited = json_array();
	int r;

	if (!exited)
		return -ENOMEM;
	if (is_freeze(undo)) {
		const char *cgroup = json_string_value(json_object_get(undo, "cgroup"));
		if (!cgroup)
			return -EINVAL;
		if (json_is_true(json_object_get(undo, "was_frozen")))
			return 0; /* someone else froze it: not ours to thaw */
		r = cgroup_freeze_write(cgroup, false, err, errlen);
		/* A cgroup removed meanwhile holds nothing to thaw. */
		return r == -ENOENT ? 0 : r;
	}
	r = pause_resume(undo, exited, err, errlen);
	if (r < 0)
		return r;
	if (ret_report)
		*ret_report = json_pack("{s:O}", "exited_while_paused", exited);
	return 0;
}

/* Reports paused targets that died while paused (killed by someone else, OOM):
 * not an error, but the report should say so. */
static bool pause_tick(struct fault_instance *f, struct fault_env *env)
{
	json_t *exited = NULL;
	size_t i, n = 0;
	json_t *entry;

	if (is_freeze(f->undo))
		return false;
	json_array_foreach(json_object_get(f->undo, "targets"), i, entry) {
		pid_t pid;
		uint64_t starttime;
		struct proc_stat st;
		if (!json_is_true(json_object_get(entry, "stopped")) ||
		    json_is_true(json_object_get(entry, "exited")) ||
		    proc_target_entry(entry, &pid, &starttime) < 0)
			continue;
		if (procfs_read_stat(pid, &st) == 0 && st.starttime == starttime &&
		    st.state != 'Z' && st.state != 'X' && st.state != 'x')
			continue;
		json_object_set_new(entry, "exited", json_true());
		n++;
		if (!exited)
			exited = json_array();
		if (exited && json_array_size(exited) < 100)
			json_array_append(exited, entry);
	}
	if (!n)
		return false;
	env->emit(env, f, "target_exited",
		  json_pack("{s:i, s:o, s:s}", "count", (int)n, "targets", exited ?: json_array(),
			    "while", "paused"));
	return true;
}

static char *pause_describe(const json_t *plan)
{
	if (is_freeze(plan)) {
		char *s = NULL;
		if (asprintf(&s, "freeze cgroup %s (%zu process%s)",
			     json_string_value(json_object_get(plan, "cgroup")) ?: "?",
			     json_array_size(json_object_get(plan, "targets")),
			     json_array_size(json_object_get(plan, "targets")) == 1 ? "" : "es") <
		    0)
			return NULL;
		return s;
	}
	return proc_targets_describe("SIGSTOP", plan);
}

const struct fault_ops proc_pause_ops = {
	.kind = "process.pause",
	.duration = FAULT_DURATION_REQUIRED,
	.exclusive_targets = true,
	.validate = pause_validate,
	.apply = pause_apply,
	.revert = pause_revert,
	.tick = pause_tick,
	.describe = pause_describe,
};
