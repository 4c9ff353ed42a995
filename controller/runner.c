/* SPDX-License-Identifier: Apache-2.0 */
#include "runner.h"

#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/signalfd.h>

#include "cmd.h"
#include "injector_client.h"
#include "log.h"
#include "macro.h"
#include "parse.h"
#include "privilege.h"
#include "protocol.h"
#include "time_util.h"

enum fault_state {
	FAULT_PENDING,
	FAULT_ACTIVE,
	FAULT_DONE, /* reverted, or instantaneous and applied */
	FAULT_FAILED, /* the apply failed */
	FAULT_REVERT_FAILED,
	FAULT_SKIPPED, /* never applied because the run stopped */
};

struct fault_run {
	const struct scenario_fault *def;
	enum fault_state state;
	char id[48];
	uint64_t apply_at_ns; /* monotonic */
	uint64_t revert_at_ns;
	unsigned restarts_seen;
	bool check_failed; /* expect_restart did not hold */
};

struct run {
	const struct scenario *scenario;
	const struct runner_options *opts;
	struct injector_client client;
	struct fault_run *faults;
	uint64_t start_ns;
	int signal_fd;
	bool interrupted;
	bool injector_lost;
	unsigned checks_failed;
};

static void progress(struct run *run, const char *fmt, ...) _printf_(2, 3);
static void progress(struct run *run, const char *fmt, ...)
{
	double t = (double)(now_monotonic_ns() - run->start_ns) / 1e9;
	va_list ap;

	fprintf(run->opts->out, "[%+8.3fs] ", t);
	va_start(ap, fmt);
	vfprintf(run->opts->out, fmt, ap);
	va_end(ap);
	fputc('\n', run->opts->out);
	fflush(run->opts->out);
}

static struct fault_run *find_by_id(struct run *run, const char *id)
{
	for (size_t i = 0; id && i < run->scenario->n_faults; i++)
		if (streq(run->faults[i].id, id))
			return &run->faults[i];
	return NULL;
}

static void check_restarts(struct run *run, struct fault_run *f, const json_t *report);

static void on_event(const json_t *event, void *userdata)
{
	struct run *run = userdata;
	const char *name = json_string_value(json_object_get(event, "event"));
	const char *id = json_string_value(json_object_get(event, "fault"));
	struct fault_run *f = find_by_id(run, id);

	if (!name)
		return;
	if (streq(name, "fault_reverted") && f && f->state == FAULT_ACTIVE) {
		const char *reason = json_string_value(json_object_get(event, "reason"));
		if (reason && !streq(reason, "request")) {
			progress(run, "the injector reverted %s on its own (%s)", f->def->name,
				 reason);
			f->state = FAULT_DONE;
			check_restarts(run, f, json_object_get(event, "report"));
		}
	} else if (streq(name, "fault_failed") && f) {
		progress(run, "%s: %s failed: %s", f->def->name,
			 json_string_value(json_object_get(event, "phase")) ?: "?",
			 json_string_value(json_object_get(event, "message")) ?: "");
	} else if (streq(name, "target_exited") && f && json_object_get(event, "dead_after_ms")) {
		progress(run, "%s: pid %lld (%s) died %.1f ms after the signal%s", f->def->name,
			 (long long)json_integer_value(json_object_get(event, "pid")),
			 json_string_value(json_object_get(event, "comm")) ?: "?",
			 json_number_value(json_object_get(event, "dead_after_ms")),
			 json_is_true(json_object_get(event, "coarse")) ? " (polled: coarse)" : "");
	} else if (streq(name, "target_exited") && f) {
		progress(run, "%s: %lld target(s) exited while the fault was active", f->def->name,
			 (long long)json_integer_value(json_object_get(event, "count")));
	} else if (streq(name, "target_restarted") && f) {
		f->restarts_seen++;
		progress(run, "%s: pid %lld restarted as pid %lld (%s): restarted_after %.1f ms%s",
			 f->def->name, (long long)json_integer_value(json_object_get(event, "pid")),
			 (long long)json_integer_value(json_object_get(event, "new_pid")),
			 json_string_value(json_object_get(event, "new_comm")) ?: "?",
			 json_number_value(json_object_get(event, "restarted_after_ms")),
			 json_is_true(json_object_get(event, "coarse")) ? " (polled: coarse)" : "");
	} else if (streq(name, "targets_killed") && f) {
		progress(run, "%s: repeat %lld signalled %lld process(es)%s%s", f->def->name,
			 (long long)json_integer_value(json_object_get(event, "iteration")),
			 (long long)json_integer_value(json_object_get(event, "signalled")),
			 json_object_get(event, "message") ? ": " : "",
			 json_string_value(json_object_get(event, "message")) ?: "");
	} else if (streq(name, "fill_reached") && f) {
		progress(run, "%s: the fill file reached %lld bytes%s%s", f->def->name,
			 (long long)json_integer_value(json_object_get(event, "allocated_bytes")),
			 json_object_get(event, "error") ? "; writing stopped: " : "",
			 json_string_value(json_object_get(event, "error")) ?: "");
	} else if (streq(name, "pressure_progress") && f) {
		const char *phase = json_string_value(json_object_get(event, "phase")) ?: "?";
		if (streq(phase, "layout"))
			progress(run, "%s: writing its files once before the pressure",
				 f->def->name);
		else if (!json_object_get(event, "iops"))
			progress(run, "%s: pressure running", f->def->name);
		else
			progress(run,
				 "%s: pressure running: %.0f IOPS, %.2f MiB/s (%lld I/Os in all)",
				 f->def->name, json_number_value(json_object_get(event, "iops")),
				 json_number_value(json_object_get(event, "bytes_per_sec")) /
					 1048576,
				 (long long)json_integer_value(json_object_get(event, "ios")));
	} else if (streq(name, "session_expired")) {
		progress(run, "the injector expired this session: %s",
			 json_string_value(json_object_get(event, "reason")) ?: "?");
	}
}

/* Every choice the injector made, so the report says exactly what was hit and a
 * later run can repeat it with the same seed. */
static void print_selection(struct run *run, struct fault_run *f, const json_t *result)
{
	json_t *chosen = json_object_get(result, "chosen");
	size_t i;
	json_t *t;

	if (json_object_get(result, "seed"))
		progress(run, "%s: %lld of %lld matching process(es) chosen with seed %lld",
			 f->def->name,
			 (long long)json_integer_value(json_object_get(result, "targets")),
			 (long long)json_integer_value(json_object_get(result, "matched")),
			 (long long)json_integer_value(json_object_get(result, "seed")));
	json_array_foreach(chosen, i, t) {
		const char *skipped = json_string_value(json_object_get(t, "skipped"));
		progress(run, "%s:   pid %lld comm %s starttime %lld cgroup %s%s%s", f->def->name,
			 (long long)json_integer_value(json_object_get(t, "pid")),
			 json_string_value(json_object_get(t, "comm")) ?: "?",
			 (long long)json_integer_value(json_object_get(t, "starttime")),
			 json_string_value(json_object_get(t, "cgroup")) ?: "?",
			 skipped ? ": skipped: " : "", skipped ?: "");
	}
}

/* expect_restart: every process the kill signalled must have been restarted
 * within the bound. The revert report carries what the injector observed, in
 * counts over every target and the slowest restart. */
static void check_restarts(struct run *run, struct fault_run *f, const json_t *report)
{
	uint64_t within_ns = f->def->expect_restart_ns;
	long long signalled = (long long)json_integer_value(json_object_get(report, "signalled"));
	long long restarted = (long long)json_integer_value(json_object_get(report, "restarted"));
	double slowest = json_number_value(json_object_get(report, "slowest_restart_ms"));
	char buf[32];
	size_t i;
	json_t *pid;

	if (!within_ns || !report)
		return;
	format_duration(within_ns, buf, sizeof(buf));
	if (restarted == signalled && slowest * 1e6 <= (double)within_ns) {
		progress(run,
			 "check passed: %s: %lld of %lld restarted, the slowest after %.1f ms "
			 "(within %s)",
			 f->def->name, restarted, signalled, slowest, buf);
		return;
	}
	f->check_failed = true;
	run->checks_failed++;
	json_array_foreach(json_object_get(report, "not_restarted"), i, pid)
		progress(run, "check FAILED: %s: pid %lld was not restarted within %s",
			 f->def->name, (long long)json_integer_value(pid), buf);
	if (restarted == signalled)
		progress(run, "check FAILED: %s: the slowest restart took %.1f ms, not within %s",
			 f->def->name, slowest, buf);
	else
		progress(run, "check FAILED: %s: %lld of %lld restarted within the window",
			 f->def->name, restarted, signalled);
}

static int apply_fault(struct run *run, struct fault_run *f)
{
	const struct scenario_fault *d = f->def;
	json_t *result = NULL;
	json_t *fields = json_pack(
		"{s:{s:s, s:s, s:I, s:O}}", "fault", "name", d->name, "kind", d->type,
		"duration_ms", (json_int_t)ns_to_ms_ceil(d->duration_ns), "params", d->params);

	int r = injector_client_call(&run->client, "apply", fields, CLIENT_CALL_TIMEOUT_MS,
				     &result);
	if (r < 0) {
		/* Without an answer the apply may still take effect: count it as
		 * possibly active, not as failed. */
		f->state = r == -ETIMEDOUT ? FAULT_REVERT_FAILED : FAULT_FAILED;
		if (r == -EPIPE || r == -ETIMEDOUT)
			run->injector_lost = true;
		log_error("%s:%u:%u: fault %s (%s) could not be applied: %s", run->scenario->path,
			  d->line, d->col, d->name, d->type, run->client.error);
		return r;
	}
	snprintf(f->id, sizeof(f->id), "%s",
		 json_string_value(json_object_get(result, "fault")) ?: "?");
	progress(run, "applied %s [%s]: %s", d->name, f->id,
		 json_string_value(json_object_get(result, "description")) ?: d->type);
	print_selection(run, f, result);
	f->state = d->duration_ns ? FAULT_ACTIVE : FAULT_DONE;
	/* The window counts from the apply, which may come late on a busy host. */
	f->revert_at_ns = now_monotonic_ns() + d->duration_ns;
	json_decref(result);
	return 0;
}

static int revert_fault(struct run *run, struct fault_run *f, const char *why)
{
	json_t *result = NULL;
	int r = injector_client_call(&run->client, "revert", json_pack("{s:s}", "fault", f->id),
				     CLIENT_CALL_TIMEOUT_MS, &result);
	if (r == -ENOENT) {
		/* Already gone: the injector reverted it itself (and told us why). */
		f->state = FAULT_DONE;
		return 0;
	}
	if (r < 0) {
		if (r == -EPIPE || r == -ETIMEDOUT)
			run->injector_lost = true;
		f->state = FAULT_REVERT_FAILED;
		log_error("fault %s [%s] could not be reverted: %s", f->def->name, f->id,
			  run->client.error);
		return r;
	}
	check_restarts(run, f, json_object_get(result, "report"));
	json_t *exited = json_object_get(json_object_get(result, "report"), "exited_while_paused");
	if (json_array_size(exited))
		progress(run, "reverted %s [%s] (%s); %zu target(s) had exited while paused",
			 f->def->name, f->id, why, json_array_size(exited));
	else
		progress(run, "reverted %s [%s] (%s)", f->def->name, f->id, why);
	f->state = FAULT_DONE;
	json_decref(result);
	return 0;
}

static void revert_all_active(struct run *run, const char *why)
{
	for (size_t i = 0; i < run->scenario->n_faults; i++) {
		if (run->faults[i].state == FAULT_ACTIVE && !run->injector_lost)
			revert_fault(run, &run->faults[i], why);
		if (run->faults[i].state == FAULT_PENDING)
			run->faults[i].state = FAULT_SKIPPED;
	}
}

static void check_signals(struct run *run)
{
	struct signalfd_siginfo si;

	while (read(run->signal_fd, &si, sizeof(si)) == sizeof(si)) {
		if (!run->interrupted)
			progress(run, "interrupted by %s: reverting everything",
				 strsignal((int)si.ssi_signo));
		run->interrupted = true;
	}
}

/* Waits until deadline (monotonic), handling events, signals and heartbeats.
 * Returns early when interrupted or when the injector goes away. */
static void wait_until(struct run *run, uint64_t deadline, uint64_t *next_heartbeat)
{
	uint64_t hb_ns = run->opts->heartbeat_ms * NSEC_PER_MSEC;

	for (;;) {
		/* Events read along with the last reply are still buffered. */
		if (injector_client_poll(&run->client, 0) == -EPIPE) {
			log_error("the injector closed the connection");
			run->injector_lost = true;
		}
		uint64_t now = now_monotonic_ns();
		if (run->interrupted || run->injector_lost)
			return;
		if (now >= *next_heartbeat) {
			int r = injector_client_call(&run->client, "heartbeat", NULL,
						     CLIENT_CALL_TIMEOUT_MS, NULL);
			if (r < 0) {
				log_error("heartbeat failed: %s", run->client.error);
				run->injector_lost = true;
				return;
			}
			*next_heartbeat = now + hb_ns;
			continue;
		}
		if (now >= deadline)
			return;

		uint64_t until = deadline < *next_heartbeat ? deadline : *next_heartbeat;
		struct pollfd pfd[2] = {
			{ .fd = injector_client_fd(&run->client), .events = POLLIN },
			{ .fd = run->signal_fd, .events = POLLIN },
		};
		int timeout = (int)((until - now + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC);
		if (poll(pfd, 2, timeout) < 0 && errno != EINTR)
			return;
		if (pfd[1].revents)
			check_signals(run);
		if (pfd[0].revents && injector_client_poll(&run->client, 0) == -EPIPE) {
			log_error("the injector closed the connection");
			run->injector_lost = true;
		}
	}
}

static int setup_signals(void)
{
	sigset_t mask;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return negative_errno();
	int fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	return fd < 0 ? negative_errno() : fd;
}

static int verdict(struct run *run)
{
	const struct scenario *s = run->scenario;
	unsigned applied = 0, failed = 0, revert_failed = 0, active = 0, skipped = 0;

	for (size_t i = 0; i < s->n_faults; i++) {
		switch (run->faults[i].state) {
		case FAULT_DONE:
			applied++;
			break;
		case FAULT_FAILED:
			failed++;
			break;
		case FAULT_REVERT_FAILED:
			revert_failed++;
			break;
		case FAULT_ACTIVE:
			active++;
			break;
		default:
			skipped++;
			break;
		}
	}
	fprintf(run->opts->out, "\nscenario %s: %u of %zu fault(s) applied and reverted", s->name,
		applied, s->n_faults);
	if (failed)
		fprintf(run->opts->out, ", %u failed to apply", failed);
	if (skipped)
		fprintf(run->opts->out, ", %u not started", skipped);
	if (revert_failed + active)
		fprintf(run->opts->out, ", %u may still be active", revert_failed + active);
	fputc('\n', run->opts->out);

	if (revert_failed || active) {
		fprintf(run->opts->out,
			"verdict: CLEANUP FAILED: something may be left behind; run 'faultline "
			"recover' as root\n");
		return EXIT_CLEANUP;
	}
	if (run->interrupted) {
		fprintf(run->opts->out, "verdict: INTERRUPTED: every applied fault was reverted\n");
		return EXIT_ABORTED;
	}
	if (failed || run->injector_lost) {
		fprintf(run->opts->out, "verdict: INJECTION FAILED\n");
		return EXIT_INFRA;
	}
	if (run->checks_failed) {
		fprintf(run->opts->out, "verdict: FAILED: %u check(s) did not hold\n",
			run->checks_failed);
		return EXIT_SLO_VIOLATED;
	}
	fprintf(run->opts->out, "verdict: PASSED (every fault applied and reverted cleanly, and "
				"every check held; no SLOs are defined)\n");
	return EXIT_OK;
}

int runner_run(const struct scenario *s, const struct runner_options *o)
{
	struct run run = { .scenario = s, .opts = o, .signal_fd = -1 };
	char buf[32];
	int r, code;

	run.faults = calloc(s->n_faults ? s->n_faults : 1, sizeof(*run.faults));
	if (!run.faults)
		return EXIT_INFRA;
	run.signal_fd = setup_signals();
	if (run.signal_fd < 0) {
		free(run.faults);
		return log_error_errno(run.signal_fd, "cannot set up signal handling"), EXIT_INFRA;
	}

	run.start_ns = now_monotonic_ns();
	r = injector_client_open(&run.client, &o->injector, o->heartbeat_ms, on_event, &run);
	if (r < 0) {
		log_error("%s", run.client.error);
		safe_close(run.signal_fd);
		free(run.faults);
		return EXIT_INFRA;
	}
	progress(&run, "scenario %s: connected to %s (session %lld)", s->name,
		 run.client.transport.description,
		 (long long)json_integer_value(json_object_get(run.client.hello, "session")));

	/* Root was needed only to start the injector. */
	char who[64] = "";
	bool was_root = geteuid() == 0;
	r = privilege_drop(who, sizeof(who));
	if (r < 0) {
		log_error_errno(r, "cannot drop root after starting the injector; stopping");
		injector_client_close(&run.client, 10000);
		safe_close(run.signal_fd);
		free(run.faults);
		return EXIT_INFRA;
	}
	if (was_root)
		progress(&run, "controller dropped root: now runs as %s", who);

	uint64_t window_start = run.start_ns + s->baseline_ns;
	for (size_t i = 0; i < s->n_faults; i++) {
		run.faults[i].def = &s->faults[i];
		run.faults[i].apply_at_ns = window_start + s->faults[i].at_ns;
	}
	uint64_t next_heartbeat = run.start_ns + o->heartbeat_ms * NSEC_PER_MSEC;

	if (s->baseline_ns) {
		progress(&run, "baseline: %s", format_duration(s->baseline_ns, buf, sizeof(buf)));
		wait_until(&run, window_start, &next_heartbeat);
	}

	/* The fault window: perform due actions in time order until none is left. */
	while (!run.interrupted && !run.injector_lost) {
		uint64_t next = UINT64_MAX;
		struct fault_run *due = NULL;
		bool apply = false;

		for (size_t i = 0; i < s->n_faults; i++) {
			struct fault_run *f = &run.faults[i];
			if (f->state == FAULT_PENDING && f->apply_at_ns < next) {
				next = f->apply_at_ns;
				due = f;
				apply = true;
			} else if (f->state == FAULT_ACTIVE && f->revert_at_ns < next) {
				next = f->revert_at_ns;
				due = f;
				apply = false;
			}
		}
		if (!due)
			break;
		wait_until(&run, next, &next_heartbeat);
		if (run.interrupted || run.injector_lost)
			break;
		if (apply) {
			if (apply_fault(&run, due) < 0)
				break; /* a fault that cannot be applied stops the run */
		} else {
			revert_fault(&run, due, "duration elapsed");
		}
	}

	/* Whatever stopped the window (the end, a failed apply, Ctrl-C), nothing of
	 * ours stays active past this point. */
	revert_all_active(&run, run.interrupted ? "interrupted" : "run stopped");

	if (!run.interrupted && !run.injector_lost && s->recovery_within_ns) {
		progress(&run, "recovery: %s",
			 format_duration(s->recovery_within_ns, buf, sizeof(buf)));
		wait_until(&run, now_monotonic_ns() + s->recovery_within_ns, &next_heartbeat);
		revert_all_active(&run, "interrupted");
	}

	if (run.injector_lost)
		log_error("lost the injector (%s); faults it held are reverted by the injector "
			  "itself when it notices, or by 'faultline recover' if it died",
			  run.client.transport.description);

	code = verdict(&run);
	fflush(o->out);
	r = injector_client_close(&run.client, 10000);
	if (r == -ETIMEDOUT) {
		log_error("the spawned injector has not exited within 10 s; it may still hold "
			  "faults");
		code = EXIT_CLEANUP;
	} else if (r == 1) {
		/* faultlined exits 1 when a revert failed and its journal keeps it. */
		log_error("the spawned injector could not revert everything; run 'faultline "
			  "recover' as root");
		code = EXIT_CLEANUP;
	} else if (r > 0 && code == EXIT_OK) {
		code = EXIT_INFRA;
	}
	safe_close(run.signal_fd);
	free(run.faults);
	return code;
}
