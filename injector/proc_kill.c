/* SPDX-License-Identifier: Apache-2.0 */
/*
 * process.kill: one named signal to each target, through a pidfd. It is
 * instantaneous: nothing to revert, but it is journaled like every fault.
 */
#include <signal.h>
#include <stdio.h>

#include "fault.h"
#include "macro.h"
#include "proc_target.h"
#include "proc_targets_json.h"
#include "protocol.h"

static int kill_validate(const json_t *params, const struct fault_context *ctx, json_t **ret_plan,
			 char *err, size_t errlen)
{
	static const char *const keys[] = { "target", "signal", NULL };
	const char *name = "TERM";
	json_t *targets = NULL;
	int r, sig;

	r = protocol_check_keys(params, keys, err, errlen);
	if (r < 0)
		return r;
	if (protocol_get_string(params, "signal", 16, &name) < 0 ||
	    (sig = signal_from_name(name)) < 0) {
		errbuf_set(err, errlen,
			   "expected \"signal\" to be a signal name such as TERM or KILL");
		return -EINVAL;
	}
	/* A stop sent as a kill would never be reverted, and CONT would resume what
	 * someone else stopped: process.pause is the bounded, journaled way. */
	if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU ||
	    sig == SIGCONT) {
		errbuf_set(err, errlen, "signal %s is refused for process.kill; use process.pause",
			   name);
		return -EINVAL;
	}
	r = proc_select(json_object_get(params, "target"), ctx, &targets, err, errlen);
	if (r < 0)
		return r;
	*ret_plan = json_pack("{s:s, s:i, s:o}", "signal", signal_to_name(sig), "signo", sig,
			      "targets", targets);
	return *ret_plan ? 0 : -ENOMEM;
}

static int kill_apply(const json_t *plan, json_t **ret_undo, char *err, size_t errlen)
{
	_cleanup_json_ json_t *targets = proc_targets_copy(plan);
	const char *name = json_string_value(json_object_get(plan, "signal"));
	int sig = name ? signal_from_name(name) : -EINVAL;
	unsigned signalled = 0;
	int first_error = 0;
	size_t i;
	json_t *entry;

	if (!targets)
		return -ENOMEM;
	if (sig < 0)
		return -EINVAL;
	json_array_foreach(targets, i, entry) {
		pid_t pid;
		uint64_t starttime;
		if (proc_target_entry(entry, &pid, &starttime) < 0)
			return -EINVAL;
		int r = proc_target_signal(pid, starttime, sig);
		json_object_set_new(entry, "signalled", json_boolean(r == 0));
		if (r == 0)
			signalled++;
		else if (r != -ESRCH && r != -ESTALE && !first_error) {
			first_error = r;
			errbuf_set(err, errlen, "cannot signal pid %d: %s", (int)pid, strerror(-r));
		}
	}
	if (signalled == 0) {
		if (!first_error)
			errbuf_set(err, errlen, "every target exited before it could be signalled");
		return first_error ?: -ESRCH;
	}
	*ret_undo = json_pack("{s:s, s:O}", "signal", name, "targets", targets);
	return *ret_undo ? 0 : -ENOMEM;
}

static int kill_revert(const json_t *undo, json_t **ret_report, char *err, size_t errlen)
{
	/* A signal cannot be taken back. Restarting is the supervisor's job, and
	 * measuring how fast it does so is the point of the experiment. */
	if (ret_report)
		*ret_report = NULL;
	return 0;
}

static char *kill_describe(const json_t *plan)
{
	char action[32];
	snprintf(action, sizeof(action), "SIG%s",
		 json_string_value(json_object_get(plan, "signal")) ?: "?");
	return proc_targets_describe(action, plan);
}

const struct fault_ops proc_kill_ops = {
	.kind = "process.kill",
	.has_duration = false,
	.validate = kill_validate,
	.apply = kill_apply,
	.revert = kill_revert,
	.describe = kill_describe,
};
