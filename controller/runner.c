/* SPDX-License-Identifier: Apache-2.0 */
#include "runner.h"

#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/signalfd.h>

#include "cmd.h"
#include "injector_client.h"
#include "report_terminal.h"
#include "runner_files.h"
#include "runner_slo.h"
#include "slo_objective.h"
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
	uint64_t applied_ns,
		reverted_ns; /* when the request was sent; 0 when not applied or reverted */
	uint64_t apply_latency_ns, revert_latency_ns;
	char *description; /* the injector's description of the apply, owned */
	char *error; /* why the apply or revert failed, owned */
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
	struct run_slo slo; /* probes and SLOs; inactive without probes */
};

static void progress(struct run *run, const char *fmt, ...) _printf_(2, 3);
static void progress(struct run *run, const char *fmt, ...)
{
	double t = (double)(now_monotonic_ns() - run->start_ns) / 1e9;
	va_list ap;

	run_slo_clear_status(&run->slo);
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
			f->reverted_ns = now_monotonic_ns();
			run_slo_fault_reverted(&run->slo, f->reverted_ns);
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
	json_t *fields = json_pack("{s:{s:s, s:s, s:I, s:O}}", "fault", "name", d->name, "kind",
				   d->type, "duration_ms",
				   (json_int_t)ns_to_ms_ceil(d->duration_ns), "params", d->params);

	/* A spawned injector logs the apply on the same terminal: clear the live
	 * status line first, so that its line does not land after ours. */
	run_slo_clear_status(&run->slo);
	uint64_t sent = now_monotonic_ns();
	int r = injector_client_call(&run->client, "apply", fields, CLIENT_CALL_TIMEOUT_MS,
				     &result);
	f->apply_latency_ns = now_monotonic_ns() - sent;
	if (r < 0) {
		free(f->error);
		f->error = strdup(run->client.error);
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
	free(f->description);
	f->description =
		strdup(json_string_value(json_object_get(result, "description")) ?: d->type);
	f->applied_ns = sent; /* as report.md defines applied_at */
	run_slo_fault_applied(&run->slo, f->applied_ns);
	f->state = d->duration_ns ? FAULT_ACTIVE : FAULT_DONE;
	/* The window counts from the apply, which may come late on a busy host. */
	f->revert_at_ns = now_monotonic_ns() + d->duration_ns;
	json_decref(result);
	return 0;
}

static int revert_fault(struct run *run, struct fault_run *f, const char *why)
{
	json_t *result = NULL;

	run_slo_clear_status(&run->slo); /* as for the apply */
	uint64_t sent = now_monotonic_ns();
	int r = injector_client_call(&run->client, "revert", json_pack("{s:s}", "fault", f->id),
				     CLIENT_CALL_TIMEOUT_MS, &result);
	f->revert_latency_ns = now_monotonic_ns() - sent;
	if (r == -ENOENT) {
		/* Already gone: the injector reverted it itself (and told us why). */
		f->state = FAULT_DONE;
		f->reverted_ns = sent;
		run_slo_fault_reverted(&run->slo, f->reverted_ns);
		return 0;
	}
	if (r < 0) {
		free(f->error);
		f->error = strdup(run->client.error);
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
	f->reverted_ns = sent; /* as report.md defines reverted_at */
	run_slo_fault_reverted(&run->slo, f->reverted_ns);
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

/* Waits until deadline (monotonic), handling events, signals, heartbeats and the
 * probes. Returns early when interrupted, when the injector goes away, or when
 * the SLOs say so (an abort condition fired, or recovery is decided). */
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
		if (run_slo_poll(&run->slo, now))
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
		if (run_slo_next_ns(&run->slo) < until)
			until = run_slo_next_ns(&run->slo);
		struct pollfd pfd[3] = {
			{ .fd = injector_client_fd(&run->client), .events = POLLIN },
			{ .fd = run->signal_fd, .events = POLLIN },
			{ .fd = run_slo_fd(&run->slo), .events = POLLIN },
		};
		int timeout =
			until > now ? (int)((until - now + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC) : 0;
		if (poll(pfd, pfd[2].fd >= 0 ? 3 : 2, timeout) < 0 && errno != EINTR)
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

/* Sets the report's verdict and returns the exit code of design.md §6. */
static int set_verdict(struct report *rep, int code, const char *verdict, const char *fmt, ...)
	_printf_(4, 5);
static int set_verdict(struct report *rep, int code, const char *verdict, const char *fmt, ...)
{
	va_list ap;

	rep->exit_code = code;
	rep->verdict = verdict;
	free(rep->verdict_detail);
	rep->verdict_detail = NULL;
	va_start(ap, fmt);
	if (vasprintf(&rep->verdict_detail, fmt, ap) < 0)
		rep->verdict_detail = NULL;
	va_end(ap);
	return code;
}

/* What the SLOs say: counts of failed and unmeasured SLO x phase verdicts. */
static void count_slo_verdicts(const struct report *rep, unsigned *ret_failed,
			       unsigned *ret_no_data)
{
	*ret_failed = *ret_no_data = 0;
	for (size_t i = 0; i < rep->n_slos; i++)
		for (int p = 0; p < PHASE_COUNT; p++) {
			*ret_failed += rep->slos[i].phase[p].verdict == SLO_FAIL;
			*ret_no_data += rep->slos[i].phase[p].verdict == SLO_NO_DATA;
		}
}

/* The first SLO with a phase without data, or NULL. */
static const struct report_slo *first_no_data(const struct report *rep)
{
	for (size_t i = 0; i < rep->n_slos; i++)
		for (int p = 0; p < PHASE_COUNT; p++)
			if (rep->slos[i].phase[p].verdict == SLO_NO_DATA)
				return &rep->slos[i];
	return NULL;
}

/*
 * The verdict, from the worst outcome down: cleanup failed (5), interrupted (3),
 * the injection or the injector failed (4), aborted by a condition (3), the
 * baseline did not hold (4, inconclusive), an SLO, a check, an expected effect or
 * the recovery failed (1), an SLO had no data in a phase that ran (4), else 0.
 */
static int verdict(struct run *run, struct report *rep, const char *inconclusive)
{
	const struct scenario *s = run->scenario;
	unsigned applied = 0, failed = 0, revert_failed = 0, active = 0, skipped = 0;
	unsigned slo_failed, slo_no_data, effects_failed = 0;

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
	for (size_t i = 0; i < rep->n_faults; i++)
		effects_failed += rep->faults[i].effect_expected && !rep->faults[i].effect_held;
	count_slo_verdicts(rep, &slo_failed, &slo_no_data);

	fprintf(run->opts->out, "\nscenario %s: %u of %zu fault(s) applied and reverted", s->name,
		applied, s->n_faults);
	if (failed)
		fprintf(run->opts->out, ", %u failed to apply", failed);
	if (skipped)
		fprintf(run->opts->out, ", %u not started", skipped);
	if (revert_failed + active)
		fprintf(run->opts->out, ", %u may still be active", revert_failed + active);
	fputc('\n', run->opts->out);

	if (revert_failed || active)
		return set_verdict(rep, EXIT_CLEANUP, "CLEANUP FAILED",
				   "something may be left behind; run 'faultline recover' as root");
	if (run->interrupted)
		return set_verdict(rep, EXIT_ABORTED, "INTERRUPTED",
				   "every applied fault was reverted");
	if (failed || run->injector_lost)
		return set_verdict(rep, EXIT_INFRA, "INJECTION FAILED", "%s",
				   failed ? "a fault could not be applied" :
					    "the injector was lost");
	if (rep->abort.fired)
		return set_verdict(
			rep, EXIT_ABORTED, "ABORTED",
			"abort condition on slo %s (breached for %.1f s) fired at +%.3f s; "
			"every fault was reverted at once",
			rep->abort.slo, (double)rep->abort.breached_for_ns / 1e9,
			(double)(rep->abort.at_ns - rep->start_ns) / 1e9);
	if (inconclusive)
		return set_verdict(rep, EXIT_INFRA, "INCONCLUSIVE",
				   "the SLOs did not hold in the baseline, before any fault (%s); "
				   "no fault was applied",
				   inconclusive);
	if (slo_failed || run->checks_failed || effects_failed ||
	    (rep->phase_start_ns[PHASE_RECOVERY] && run->slo.recovery == -1))
		return set_verdict(
			rep, EXIT_SLO_VIOLATED, "FAILED",
			"%u SLO verdict(s) failed, %u check(s) and %u expected effect(s) "
			"did not hold%s",
			slo_failed, run->checks_failed, effects_failed,
			run->slo.recovery == -1 ? "; the service did not recover in time" : "");
	if (slo_no_data) {
		const struct report_slo *nd = first_no_data(rep);
		const char *why = nd ? report_probe_last_error(rep, nd->probe) : NULL;

		return set_verdict(
			rep, EXIT_INFRA, "INCONCLUSIVE",
			"%u SLO verdict(s) had no data: the probes took no usable sample "
			"in a phase%s%s%s%s%s",
			slo_no_data, why ? " (probe " : "", why ? nd->probe : "", why ? ": " : "",
			why ? why : "", why ? ")" : "");
	}
	if (!s->n_slos)
		return set_verdict(
			rep, EXIT_OK, "PASSED",
			"every fault applied and reverted cleanly, and every check held; "
			"no SLOs are defined");
	return set_verdict(rep, EXIT_OK, "PASSED", "every SLO held in every phase");
}

/* The faults' part of the report. Returns 0 or -ENOMEM. */
static int fill_faults(struct run *run, struct report *rep)
{
	const struct scenario *s = run->scenario;

	rep->faults = calloc(s->n_faults ? s->n_faults : 1, sizeof(*rep->faults));
	if (!rep->faults)
		return -ENOMEM;
	rep->n_faults = s->n_faults;
	for (size_t i = 0; i < s->n_faults; i++) {
		struct fault_run *f = &run->faults[i];
		struct report_fault *rf = &rep->faults[i];
		uint64_t end = f->reverted_ns ?: now_monotonic_ns();
		int r;

		*rf = (struct report_fault){
			.name = f->def->name,
			.type = f->def->type,
			.effect_expected = f->def->expect_effect != NULL,
			.applied = f->applied_ns != 0,
			.reverted = f->reverted_ns != 0,
			.failed = f->state == FAULT_FAILED || f->state == FAULT_REVERT_FAILED,
			.apply_ns = f->applied_ns,
			.revert_ns = f->reverted_ns,
			.apply_latency_ns = f->apply_latency_ns,
			.revert_latency_ns = f->applied_ns ? f->revert_latency_ns : 0,
			.configured = TAKE_PTR(f->description),
			.error = TAKE_PTR(f->error),
		};
		if (!f->applied_ns)
			continue;
		r = run_slo_observe(&run->slo, f->def, f->applied_ns, end, &rf->observed,
				    &rf->effect_held);
		if (r < 0)
			return r;
	}
	return 0;
}

static void free_faults(struct run *run)
{
	for (size_t i = 0; run->faults && i < run->scenario->n_faults; i++) {
		free(run->faults[i].description);
		free(run->faults[i].error);
	}
	run->faults = mfree(run->faults);
}

/* The scenario's planned length, for the status line. */
static uint64_t planned_ns(const struct scenario *s)
{
	return s->baseline_ns + scenario_fault_window_ns(s) + s->recovery_within_ns;
}

/* The fault window: performs due applies and reverts in time order until none is
 * left, the run is interrupted, the injector is lost, or an abort condition fires. */
static void run_faults(struct run *run, uint64_t *next_heartbeat)
{
	const struct scenario *s = run->scenario;

	while (!run->interrupted && !run->injector_lost && !run->slo.aborted) {
		uint64_t next = UINT64_MAX;
		struct fault_run *due = NULL;
		bool apply = false;

		for (size_t i = 0; i < s->n_faults; i++) {
			struct fault_run *f = &run->faults[i];
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
		wait_until(run, next, next_heartbeat);
		if (run->interrupted || run->injector_lost || run->slo.aborted)
			break;
		if (apply) {
			if (apply_fault(run, due) < 0)
				break; /* a fault that cannot be applied stops the run */
		} else {
			revert_fault(run, due, "duration elapsed");
		}
	}
}

/* The recovery phase: until every SLO holds again (or cannot any more within the
 * bound), or for recovery.within when no SLO is judged in it. */
static void run_recovery(struct run *run, uint64_t *next_heartbeat)
{
	const struct scenario *s = run->scenario;
	char buf[32];

	run_slo_begin_recovery(&run->slo, now_monotonic_ns());
	progress(run, "recovery: %s", format_duration(s->recovery_within_ns, buf, sizeof(buf)));
	if (run_slo_has_recovery(&run->slo))
		wait_until(run, run_slo_recovery_deadline(&run->slo), next_heartbeat);
	else
		wait_until(run, now_monotonic_ns() + s->recovery_within_ns, next_heartbeat);
	run_slo_end_recovery(&run->slo, now_monotonic_ns());
	revert_all_active(run, "interrupted");
	if (run->slo.recovery == 1) {
		progress(run, "recovered: every SLO held again %.3f s after the last revert",
			 (double)(run->slo.recovered_at_ns - run->slo.phase_start[PHASE_RECOVERY]) /
				 1e9);
	} else if (run_slo_has_recovery(&run->slo) && !run->interrupted && !run->injector_lost) {
		run->slo.recovery = -1;
		progress(run, "not recovered: the SLOs did not hold again within %s", buf);
	}
}

int runner_run(const struct scenario *s, const struct runner_options *o)
{
	struct run run = { .scenario = s, .opts = o, .signal_fd = -1 };
	struct report rep = { .scenario_name = s->name, .scenario_path = s->path };
	char buf[32], why[512] = "", err[512] = "";
	bool inconclusive = false;
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
	rep.start_ns = run.start_ns;
	rep.start_realtime_ns = now_realtime_ms() * NSEC_PER_MSEC;
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
	if (runner_check_report_dirs(o) < 0) {
		injector_client_close(&run.client, 10000);
		safe_close(run.signal_fd);
		free(run.faults);
		return EXIT_USAGE;
	}

	/* The probes run unprivileged, from before the baseline to the end. */
	r = run_slo_start(&run.slo, s, o->out, run.start_ns, planned_ns(s), err, sizeof(err));
	if (r < 0) {
		log_error("cannot start the probes: %s", err[0] ? err : strerror(-r));
		run_slo_free(&run.slo);
		injector_client_close(&run.client, 10000);
		safe_close(run.signal_fd);
		free(run.faults);
		return EXIT_INFRA;
	}
	if (run_slo_active(&run.slo))
		progress(&run, "probes started: %zu probe(s), %zu SLO(s), %zu abort condition(s)",
			 s->n_probes, s->n_slos, s->n_aborts);

	uint64_t window_start = now_monotonic_ns() + s->baseline_ns;
	for (size_t i = 0; i < s->n_faults; i++) {
		run.faults[i].def = &s->faults[i];
		run.faults[i].apply_at_ns = window_start + s->faults[i].at_ns;
	}
	uint64_t next_heartbeat = run.start_ns + o->heartbeat_ms * NSEC_PER_MSEC;

	if (s->baseline_ns) {
		progress(&run, "baseline: %s", format_duration(s->baseline_ns, buf, sizeof(buf)));
		wait_until(&run, window_start, &next_heartbeat);
		if (!run.interrupted && !run.injector_lost &&
		    run_slo_end_baseline(&run.slo, now_monotonic_ns(), why, sizeof(why)) == 1) {
			inconclusive = true;
			progress(&run,
				 "INCONCLUSIVE: the SLOs did not hold in the baseline, before any "
				 "fault: %s; no fault will be applied",
				 why);
		}
	}

	if (!inconclusive)
		run_faults(&run, &next_heartbeat);
	if (run.slo.aborted) {
		const struct scenario_abort *a = &s->aborts[run.slo.abort_index];

		progress(&run, "ABORT: slo %s breached for %s: reverting everything",
			 s->slos[a->slo].name,
			 format_duration(a->breached_for_ns, buf, sizeof(buf)));
	}

	/* Whatever stopped the window (the end, a failed apply, an abort, Ctrl-C),
	 * nothing of ours stays active past this point. */
	revert_all_active(&run, run.interrupted ? "interrupted" :
				run.slo.aborted ? "abort condition" :
						  "run stopped");

	if (!run.interrupted && !run.injector_lost && !run.slo.aborted && !inconclusive &&
	    s->recovery_within_ns)
		run_recovery(&run, &next_heartbeat);
	else if (run_slo_active(&run.slo) && !inconclusive)
		run.slo.phase_end[PHASE_FAULT] = run.slo.last_revert_ns ?: now_monotonic_ns();

	if (run.injector_lost)
		log_error("lost the injector (%s); faults it held are reverted by the injector "
			  "itself when it notices, or by 'faultline recover' if it died",
			  run.client.transport.description);

	run_slo_stop(&run.slo);
	rep.end_ns = now_monotonic_ns();
	if (run_slo_fill(&run.slo, &rep) < 0 || fill_faults(&run, &rep) < 0) {
		log_error("out of memory while writing the report");
		set_verdict(&rep, EXIT_INFRA, "INCONCLUSIVE", "out of memory");
	}
	code = verdict(&run, &rep, inconclusive ? why : NULL);
	fflush(o->out);
	r = injector_client_close(&run.client, 10000);
	if (r == -ETIMEDOUT) {
		log_error("the spawned injector has not exited within 10 s; it may still hold "
			  "faults");
		code = set_verdict(&rep, EXIT_CLEANUP, "CLEANUP FAILED",
				   "the spawned injector has not exited; it may still hold faults");
	} else if (r == 1) {
		/* faultlined exits 1 when a revert failed and its journal keeps it. */
		log_error("the spawned injector could not revert everything; run 'faultline "
			  "recover' as root");
		code = set_verdict(&rep, EXIT_CLEANUP, "CLEANUP FAILED",
				   "the spawned injector could not revert everything; run "
				   "'faultline recover' as root");
	} else if (r > 0 && code == EXIT_OK) {
		code = set_verdict(&rep, EXIT_INFRA, "INJECTION FAILED",
				   "the spawned injector exited with status %d", r);
	}
	/* The report files first: when one cannot be written (the disk filled, the
	 * directory went away during the run) a run that passed exits 4, and the
	 * files that were written are rewritten to say so, so that no report claims
	 * an exit code the process did not return. A run that did not pass keeps its
	 * code: a missing report does not hide a failure. */
	unsigned failed_mask = 0;
	if (runner_write_report_files(o, &rep, &failed_mask, err, sizeof(err)) && code == EXIT_OK) {
		/* set_verdict() frees the detail it replaces. */
		_cleanup_free_ char *passed = TAKE_PTR(rep.verdict_detail);

		code = set_verdict(&rep, EXIT_INFRA, "REPORT FAILED",
				   "the run passed (%s), but a report could not be written: %s",
				   passed ?: "", err);
		runner_write_report_files(o, &rep, &failed_mask, err, sizeof(err));
	}
	report_terminal_summary(&rep, o->out);
	/* Reports on standard output come last, after the verdict is final; if one
	 * of them fails, the process exits 4 although it already said PASSED. */
	if (runner_finish_reports(o, &rep, failed_mask) && code == EXIT_OK)
		code = EXIT_INFRA;
	report_clear(&rep);
	run_slo_free(&run.slo);
	safe_close(run.signal_fd);
	free_faults(&run);
	return code;
}
