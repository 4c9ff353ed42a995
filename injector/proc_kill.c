/* SPDX-License-Identifier: Apache-2.0 */
/*
 * process.kill: a signal to each target, through a pidfd, after checking that
 * the pid still names the process selected.
 *
 * Without a duration it is instantaneous. With one, the fault stays registered
 * for that window and:
 * - reports when each target died (target_exited, dead_after_ms from the signal);
 * - reports a new process matching the same selectors (target_restarted,
 *   restarted_after_ms from the death): the supervisor's restart time;
 * - with interval_ms, kills again every interval, selecting afresh each time.
 * Times come from the kernel's process connector when it is available, else
 * from polling on the 100 ms tick (reported as coarse).
 *
 * Nothing is reverted: a signal cannot be taken back; bringing the service
 * back is the supervisor's job, and measuring that is the point.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "fault.h"
#include "macro.h"
#include "proc_select.h"
#include "proc_target.h"
#include "proc_targets_json.h"
#include "protocol.h"
#include "time_util.h"

#define KILL_INTERVAL_MIN_MS 100
#define KILL_REPORT_TARGETS 100 /* keeps a revert reply well under 64 KiB */
#define KILL_MAX_RECORDED 4096 /* targets remembered over all repeats */

struct kill_runtime {
	struct selection_spec *spec;
	int signo;
	uint64_t interval_ns, next_kill_ns, iteration;
};

static bool signal_allowed(int sig)
{
	/* A stop sent as a kill would never be reverted, and CONT would resume what
	 * someone else stopped: process.pause is the bounded, journaled way. */
	return sig > 0 && sig < 65 && sig != SIGSTOP && sig != SIGTSTP && sig != SIGTTIN &&
	       sig != SIGTTOU && sig != SIGCONT;
}

static int parse_signal(const json_t *params, int *ret, char *err, size_t errlen)
{
	json_t *v = json_object_get(params, "signal");
	int sig = SIGTERM;

	if (json_is_integer(v))
		sig = json_integer_value(v) > 0 && json_integer_value(v) < 65 ?
			      (int)json_integer_value(v) :
			      -EINVAL;
	else if (json_is_string(v))
		sig = json_string_length(v) <= 16 ? signal_from_name(json_string_value(v)) :
						    -EINVAL;
	else if (v)
		sig = -EINVAL;
	if (sig < 0) {
		errbuf_set(err, errlen,
			   "expected \"signal\" to be a signal name such as TERM or KILL, "
			   "or a number from 1 to 64");
		return -EINVAL;
	}
	if (!signal_allowed(sig)) {
		errbuf_set(err, errlen,
			   "signal %d (%s) is refused for process.kill; use "
			   "process.pause",
			   sig, signal_to_name(sig));
		return -EINVAL;
	}
	*ret = sig;
	return 0;
}

static int kill_validate(const json_t *params, const struct fault_context *ctx, json_t **ret_plan,
			 char *err, size_t errlen)
{
	static const char *const keys[] = { "target", "signal", "interval_ms", NULL };
	json_t *target = json_object_get(params, "target");
	json_t *selection = NULL;
	uint64_t interval_ms = 0;
	int r, sig;

	r = protocol_check_keys(params, keys, err, errlen);
	if (r < 0)
		return r;
	r = parse_signal(params, &sig, err, errlen);
	if (r < 0)
		return r;
	if (protocol_get_uint(params, "interval_ms", KILL_INTERVAL_MIN_MS, 24 * 3600 * 1000,
			      &interval_ms) < 0) {
		errbuf_set(err, errlen, "expected \"interval_ms\" from %d ms to a day",
			   KILL_INTERVAL_MIN_MS);
		return -EINVAL;
	}
	r = proc_select(target, ctx, &selection, err, errlen);
	if (r < 0)
		return r;
	/* The target is kept, with the seed it used, so that repeated kills select
	 * reproducibly and restarts are matched against the same selectors. */
	json_t *saved = json_deep_copy(target);
	if (!saved ||
	    json_object_set_new(saved, "seed", json_incref(json_object_get(selection, "seed"))) <
		    0 ||
	    json_object_set_new(selection, "target", saved) < 0) {
		json_decref(selection);
		return -ENOMEM;
	}
	json_object_set_new(selection, "signal", json_string(signal_to_name(sig)));
	json_object_set_new(selection, "signo", json_integer(sig));
	if (interval_ms)
		json_object_set_new(selection, "interval_ms",
				    json_integer((json_int_t)interval_ms));
	*ret_plan = selection;
	return 0;
}

/* Now, in the unit of /proc's start times: clock ticks since boot. A successor
 * must have started at or after the kill; processes that already ran beside the
 * target (unpicked siblings) are not restarts. */
static uint64_t boottime_ticks(void)
{
	struct timespec ts;
	long hz = sysconf(_SC_CLK_TCK);
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ((uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec) /
	       (NSEC_PER_SEC / (uint64_t)(hz > 0 ? hz : 100));
}

/* A /proc start time on the monotonic clock, for timings of polled successors
 * (one clock tick of resolution). */
static uint64_t starttime_to_monotonic_ns(uint64_t starttime)
{
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t tick_ns = NSEC_PER_SEC / (uint64_t)(hz > 0 ? hz : 100);
	uint64_t now_ticks = boottime_ticks(), now = now_monotonic_ns();
	uint64_t ago = now_ticks > starttime ? (now_ticks - starttime) * tick_ns : 0;
	return now > ago ? now - ago : 0;
}

/* Signals every entry of targets, marking each "signalled" and the time. Returns
 * how many were signalled; the first refusal's reason goes to err. */
static unsigned signal_targets(json_t *targets, int sig, char *err, size_t errlen, int *ret_error)
{
	unsigned signalled = 0;
	size_t i;
	json_t *entry;

	json_array_foreach(targets, i, entry) {
		char why[256];
		uint64_t now = now_monotonic_ns();
		uint64_t ticks = boottime_ticks();
		int r = proc_target_signal_entry(entry, sig, why, sizeof(why));
		json_object_set_new(entry, "signalled", json_boolean(r == 0));
		if (r == 0) {
			json_object_set_new(entry, "signalled_at_ns",
					    json_integer((json_int_t)now));
			json_object_set_new(entry, "signalled_at_ticks",
					    json_integer((json_int_t)ticks));
			signalled++;
			continue;
		}
		json_object_set_new(entry, "skipped", json_string(why));
		if (!*ret_error) {
			*ret_error = r;
			errbuf_set(err, errlen, "%s", why);
		}
	}
	return signalled;
}

static int kill_apply(const json_t *plan, json_t **ret_undo, char *err, size_t errlen)
{
	_cleanup_json_ json_t *undo = json_deep_copy(plan);
	json_t *targets = json_object_get(undo, "targets");
	int sig = (int)json_integer_value(json_object_get(plan, "signo"));
	int first_error = 0;
	size_t i;
	json_t *entry;

	if (!undo)
		return -ENOMEM;
	if (!signal_allowed(sig))
		return -EINVAL;
	json_array_foreach(targets, i, entry) {
		pid_t pid;
		uint64_t starttime;
		if (proc_target_entry(entry, &pid, &starttime) < 0)
			return -EINVAL;
	}
	unsigned signalled = signal_targets(targets, sig, err, errlen, &first_error);
	if (signalled == 0 && json_array_size(targets) > 0) {
		/* Nothing was signalled: say why (a reused pid is named as such). */
		if (!first_error)
			errbuf_set(err, errlen, "every target exited before it could be signalled");
		return first_error ?: -ESRCH;
	}
	*ret_undo = TAKE_PTR(undo);
	return 0;
}

/* A signal cannot be taken back. The report carries what was observed: counts
 * over every target, the slowest restart, the pids not restarted, and the first
 * targets in full, all bounded so the reply stays within a protocol line. */
static int kill_revert(const json_t *undo, json_t **ret_report, char *err, size_t errlen)
{
	json_t *targets = json_object_get(undo, "targets");
	unsigned signalled = 0, dead = 0, restarted = 0;
	double slowest = 0;
	size_t i;
	json_t *t;

	if (!ret_report)
		return 0;
	_cleanup_json_ json_t *first = json_array(), *not_restarted = json_array();
	if (!first || !not_restarted)
		return -ENOMEM;
	json_array_foreach(targets, i, t) {
		if (i < KILL_REPORT_TARGETS)
			json_array_append(first, t);
		if (!json_is_true(json_object_get(t, "signalled")))
			continue;
		signalled++;
		dead += json_object_get(t, "dead_at_ns") != NULL;
		json_t *after = json_object_get(t, "restarted_after_ms");
		if (after) {
			restarted++;
			if (json_number_value(after) > slowest)
				slowest = json_number_value(after);
		} else if (json_array_size(not_restarted) < KILL_REPORT_TARGETS) {
			json_array_append(not_restarted, json_object_get(t, "pid"));
		}
	}
	*ret_report = json_pack("{s:i, s:i, s:i, s:i, s:f, s:O, s:O}", "count",
				(int)json_array_size(targets), "signalled", (int)signalled, "dead",
				(int)dead, "restarted", (int)restarted, "slowest_restart_ms",
				slowest, "not_restarted", not_restarted, "targets", first);
	return *ret_report ? 0 : -ENOMEM;
}

static int kill_start(struct fault_instance *f, struct fault_env *env)
{
	struct kill_runtime *rt = calloc(1, sizeof(*rt));
	char err[256];
	int r;

	if (!rt)
		return -ENOMEM;
	r = selection_spec_parse(json_object_get(f->undo, "target"), &f->ctx, &rt->spec, err,
				 sizeof(err));
	if (r < 0) {
		free(rt);
		return r;
	}
	rt->signo = (int)json_integer_value(json_object_get(f->undo, "signo"));
	rt->interval_ns = (uint64_t)json_integer_value(json_object_get(f->undo, "interval_ms")) *
			  NSEC_PER_MSEC;
	rt->next_kill_ns = env->now_ns + rt->interval_ns;
	f->runtime = rt;
	return 0;
}

static void kill_stop(struct fault_instance *f)
{
	struct kill_runtime *rt = f->runtime;
	if (!rt)
		return;
	selection_spec_free(rt->spec);
	free(rt);
	f->runtime = NULL;
}

static json_int_t get_int(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static void mark_dead(struct fault_instance *f, json_t *entry, uint64_t ts_ns, bool coarse,
		      struct fault_env *env)
{
	uint64_t signalled = (uint64_t)get_int(entry, "signalled_at_ns");
	double after_ms = ts_ns > signalled ? (double)(ts_ns - signalled) / 1e6 : 0;

	json_object_set_new(entry, "dead_at_ns", json_integer((json_int_t)ts_ns));
	json_object_set_new(entry, "dead_after_ms", json_real(after_ms));
	if (coarse)
		json_object_set_new(entry, "coarse", json_true());
	env->emit(env, f, "target_exited",
		  json_pack("{s:I, s:s?, s:f, s:b}", "pid", get_int(entry, "pid"), "comm",
			    json_string_value(json_object_get(entry, "comm")), "dead_after_ms",
			    after_ms, "coarse", coarse));
}

/* A new process matching the selectors: the successor of the earliest target
 * that died and has none yet. */
static void note_successor(struct fault_instance *f, pid_t pid, uint64_t ts_ns, bool coarse,
			   struct fault_env *env)
{
	struct kill_runtime *rt = f->runtime;
	json_t *targets = json_object_get(f->undo, "targets"), *waiting = NULL;
	size_t i;
	json_t *entry;
	struct proc_stat st;

	json_array_foreach(targets, i, entry) {
		if (get_int(entry, "pid") == pid || get_int(entry, "restarted_pid") == pid)
			return; /* one of ours, or already counted */
		if (json_object_get(entry, "dead_at_ns") &&
		    !json_object_get(entry, "restarted_pid") &&
		    (!waiting || get_int(entry, "dead_at_ns") < get_int(waiting, "dead_at_ns")))
			waiting = entry;
	}
	if (!waiting || selection_matches(rt->spec, &f->ctx, pid, &st) != 1)
		return;
	/* +1: start times are whole ticks; the kill's was rounded down. */
	if (st.starttime + 1 < (uint64_t)get_int(waiting, "signalled_at_ticks"))
		return;
	if (coarse)
		ts_ns = starttime_to_monotonic_ns(st.starttime);
	uint64_t dead = (uint64_t)get_int(waiting, "dead_at_ns");
	double after_ms = ts_ns > dead ? (double)(ts_ns - dead) / 1e6 : 0;
	json_object_set_new(waiting, "restarted_pid", json_integer(pid));
	json_object_set_new(waiting, "restarted_after_ms", json_real(after_ms));
	env->emit(env, f, "target_restarted",
		  json_pack("{s:I, s:i, s:s, s:f, s:b}", "pid", get_int(waiting, "pid"), "new_pid",
			    (int)pid, "new_comm", st.comm, "restarted_after_ms", after_ms, "coarse",
			    coarse));
}

static bool kill_proc_event(struct fault_instance *f, const struct process_event *ev,
			    struct fault_env *env)
{
	json_t *targets = json_object_get(f->undo, "targets");
	size_t i;
	json_t *entry;

	if (!f->runtime)
		return false;
	if (ev->kind == PROCESS_EXIT && ev->pid == ev->tgid && ev->pid > 0) {
		json_array_foreach(targets, i, entry)
			if (get_int(entry, "pid") == ev->pid &&
			    json_is_true(json_object_get(entry, "signalled")) &&
			    !json_object_get(entry, "dead_at_ns"))
				mark_dead(f, entry, ev->ts_ns, false, env);
	} else if ((ev->kind == PROCESS_EXEC && ev->pid == ev->tgid) ||
		   (ev->kind == PROCESS_FORK && ev->pid == ev->tgid)) {
		note_successor(f, ev->tgid, ev->ts_ns, false, env);
	}
	return false;
}

struct scan_state {
	struct fault_instance *f;
	struct fault_env *env;
};

static int scan_one(const struct proc_stat *st, void *userdata)
{
	struct scan_state *s = userdata;
	note_successor(s->f, st->pid, s->env->now_ns, true, s->env);
	return 0;
}

/* Repeats the kill: a fresh selection each time, appended to the targets. */
static void kill_again(struct fault_instance *f, struct fault_env *env)
{
	struct kill_runtime *rt = f->runtime;
	json_t *selection = NULL;
	char err[512] = "";
	int first_error = 0;

	rt->iteration++;
	int r = selection_run(rt->spec, &f->ctx, rt->iteration, &selection, err, sizeof(err));
	if (r < 0) {
		env->emit(env, f, "targets_killed",
			  json_pack("{s:I, s:i, s:s}", "iteration", (json_int_t)rt->iteration,
				    "signalled", 0, "message", err));
		return;
	}
	json_t *fresh = json_object_get(selection, "targets");
	unsigned n = signal_targets(fresh, rt->signo, err, sizeof(err), &first_error);
	json_t *targets = json_object_get(f->undo, "targets");
	/* Bounded: a long, frequent repeat must not grow without limit. */
	if (json_array_size(targets) < KILL_MAX_RECORDED)
		json_array_extend(targets, fresh);
	json_t *shown = json_array();
	for (size_t i = 0; shown && i < json_array_size(fresh) && i < KILL_REPORT_TARGETS; i++)
		json_array_append(shown, json_array_get(fresh, i));
	env->emit(env, f, "targets_killed",
		  json_pack("{s:I, s:i, s:o*}", "iteration", (json_int_t)rt->iteration, "signalled",
			    (int)n, "targets", shown));
	json_decref(selection);
}

#define DEATH_POLL_GRACE_NS (200 * NSEC_PER_MSEC)

/* Kill's observations (deaths, restarts, repeats) change f->undo but are not
 * journaled again: a signal leaves nothing to undo, so recovery needs none of
 * them. Hence tick() and proc_event() return false. */
static bool kill_tick(struct fault_instance *f, struct fault_env *env)
{
	struct kill_runtime *rt = f->runtime;
	json_t *targets = json_object_get(f->undo, "targets");
	bool waiting_for_restart = false;
	size_t i;
	json_t *entry;

	if (!rt)
		return false;
	json_array_foreach(targets, i, entry) {
		if (!json_is_true(json_object_get(entry, "signalled")))
			continue;
		if (!json_object_get(entry, "dead_at_ns")) {
			/* Polled as well as told: the connector may drop events, or
			 * deliver none at all in some namespaces. When it works, its
			 * precise exit event normally wins the race by far. */
			struct proc_stat st;
			pid_t pid = (pid_t)get_int(entry, "pid");
			bool gone = procfs_read_stat(pid, &st) < 0 ||
				    st.starttime != (uint64_t)get_int(entry, "starttime") ||
				    proc_stat_is_dead(&st);
			json_t *seen = json_object_get(entry, "gone_seen_ns");
			uint64_t seen_ns = seen ? (uint64_t)json_integer_value(seen) : env->now_ns;
			if (gone && (!env->have_proc_events ||
				     (seen && env->now_ns - seen_ns >= DEATH_POLL_GRACE_NS)))
				mark_dead(f, entry, seen_ns, true, env);
			else if (gone && !seen)
				json_object_set_new(entry, "gone_seen_ns",
						    json_integer((json_int_t)env->now_ns));
		}
		if (json_object_get(entry, "dead_at_ns") &&
		    !json_object_get(entry, "restarted_pid"))
			waiting_for_restart = true;
	}
	if (waiting_for_restart) {
		/* A daemon writes its pidfile after it starts, after the exec event
		 * was seen: look at the pidfile on every tick. */
		int pid = selection_pidfile_pid(rt->spec, &f->ctx);
		if (pid > 0)
			note_successor(f, pid, env->now_ns, true, env);
		if (!env->have_proc_events) {
			struct scan_state s = { .f = f, .env = env };
			procfs_for_each_pid(scan_one, &s);
		}
	}
	if (rt->interval_ns && env->now_ns >= rt->next_kill_ns) {
		rt->next_kill_ns += rt->interval_ns;
		if (rt->next_kill_ns <= env->now_ns)
			rt->next_kill_ns = env->now_ns + rt->interval_ns;
		kill_again(f, env);
	}
	return false;
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
	.duration = FAULT_DURATION_OPTIONAL,
	.validate = kill_validate,
	.apply = kill_apply,
	.revert = kill_revert,
	.start = kill_start,
	.tick = kill_tick,
	.proc_event = kill_proc_event,
	.stop = kill_stop,
	.wants_proc_events = true,
	.describe = kill_describe,
};
