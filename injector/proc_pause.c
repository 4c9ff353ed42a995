/* SPDX-License-Identifier: Apache-2.0 */
/*
 * process.pause: SIGSTOP through a pidfd, SIGCONT on revert.
 *
 * Ownership: a process that was already stopped before the fault is left alone on
 * apply and on revert, so that the revert never resumes what we did not stop.
 */
#include <signal.h>

#include "fault.h"
#include "macro.h"
#include "proc_target.h"
#include "proc_targets_json.h"
#include "protocol.h"

static int pause_validate(const json_t *params, const struct fault_context *ctx, json_t **ret_plan,
			  char *err, size_t errlen)
{
	static const char *const keys[] = { "target", NULL };
	json_t *targets = NULL;
	int r;

	r = protocol_check_keys(params, keys, err, errlen);
	if (r < 0)
		return r;
	r = proc_select(json_object_get(params, "target"), ctx, &targets, err, errlen);
	if (r < 0)
		return r;

	size_t i;
	json_t *entry;
	json_array_foreach(targets, i, entry) {
		pid_t pid;
		uint64_t starttime;
		struct proc_stat st;
		if (proc_target_entry(entry, &pid, &starttime) == 0 &&
		    procfs_read_stat(pid, &st) == 0 && st.state == 'T')
			json_object_set_new(entry, "already_stopped", json_true());
	}
	*ret_plan = json_pack("{s:o}", "targets", targets);
	return *ret_plan ? 0 : -ENOMEM;
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
		pid_t pid;
		uint64_t starttime;
		if (!pause_owns(entry))
			continue;
		if (json_is_false(json_object_get(entry, "stopped")))
			continue;
		if (proc_target_entry(entry, &pid, &starttime) < 0) {
			errbuf_set(err, errlen, "malformed target in the fault state");
			first_error = first_error ?: -EINVAL;
			continue;
		}
		int r = proc_target_signal(pid, starttime, SIGCONT);
		if (r == -ESRCH || r == -ESTALE) {
			if (exited)
				json_array_append_new(exited, json_integer(pid));
		} else if (r < 0) {
			errbuf_set(err, errlen, "cannot resume pid %d: %s", (int)pid, strerror(-r));
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
static int pause_apply(const json_t *plan, json_t **ret_undo, char *err, size_t errlen)
{
	_cleanup_json_ json_t *targets = proc_targets_copy(plan);
	unsigned stopped = 0, gone = 0;
	int first_error = 0;
	size_t i;
	json_t *entry;

	if (!targets)
		return -ENOMEM;
	/* Check every entry before touching anything. */
	json_array_foreach(targets, i, entry) {
		pid_t pid;
		uint64_t starttime;
		if (proc_target_entry(entry, &pid, &starttime) < 0)
			return -EINVAL;
	}
	_cleanup_json_ json_t *undo = json_pack("{s:O}", "targets", targets);
	if (!undo)
		return -ENOMEM;

	json_array_foreach(targets, i, entry) {
		pid_t pid;
		uint64_t starttime;
		if (!pause_owns(entry))
			continue;
		proc_target_entry(entry, &pid, &starttime);
		int r = proc_target_signal(pid, starttime, SIGSTOP);
		json_object_set_new(entry, "stopped", json_boolean(r == 0));
		if (r == 0) {
			stopped++;
		} else if (r == -ESRCH || r == -ESTALE) {
			json_object_set_new(entry, "exited", json_true());
			gone++;
		} else if (!first_error) {
			first_error = r;
			errbuf_set(err, errlen, "cannot stop pid %d: %s", (int)pid, strerror(-r));
		}
	}
	if (stopped == 0) {
		if (!first_error)
			errbuf_set(err, errlen,
				   gone ? "every target exited before it could be stopped" :
					  "every target was already stopped; nothing to pause");
		return first_error ?: gone ? -ESRCH : -EALREADY;
	}
	*ret_undo = TAKE_PTR(undo);
	return 0;
}

static int pause_revert(const json_t *undo, json_t **ret_report, char *err, size_t errlen)
{
	_cleanup_json_ json_t *exited = json_array();
	if (!exited)
		return -ENOMEM;

	int r = pause_resume(undo, exited, err, errlen);
	if (r < 0)
		return r;
	if (ret_report)
		*ret_report = json_pack("{s:O}", "exited_while_paused", exited);
	return 0;
}

static int pause_watch(json_t *undo, json_t **ret_exited)
{
	json_t *targets = json_object_get(undo, "targets");
	json_t *exited = NULL;
	size_t i;
	json_t *entry;

	json_array_foreach(targets, i, entry) {
		pid_t pid;
		uint64_t starttime;
		struct proc_stat st;
		if (!json_is_true(json_object_get(entry, "stopped")) ||
		    json_is_true(json_object_get(entry, "exited")))
			continue;
		if (proc_target_entry(entry, &pid, &starttime) < 0)
			continue;
		if (procfs_read_stat(pid, &st) == 0 && st.starttime == starttime &&
		    st.state != 'Z' && st.state != 'X')
			continue;
		json_object_set_new(entry, "exited", json_true());
		if (!exited)
			exited = json_array();
		if (exited)
			json_array_append_new(exited, json_copy(entry));
	}
	*ret_exited = exited;
	return 0;
}

static char *pause_describe(const json_t *plan)
{
	return proc_targets_describe("SIGSTOP", plan);
}

const struct fault_ops proc_pause_ops = {
	.kind = "process.pause",
	.has_duration = true,
	.validate = pause_validate,
	.apply = pause_apply,
	.revert = pause_revert,
	.watch = pause_watch,
	.describe = pause_describe,
};
