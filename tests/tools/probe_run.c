/* SPDX-License-Identifier: Apache-2.0 */
/*
 * faultline-probe-run: runs the probes of a scenario on their own, with the
 * engine the runner uses, and writes every sample as CSV. For the probe tests and
 * the benchmark; not installed.
 *
 *   faultline-probe-run SCENARIO --for DURATION --samples FILE [--no-early-wake]
 *
 * CSV columns: probe, kind, t_ms (scheduled time from the start), latency_ms,
 * status, error, value. After the run it prints one line per probe on stdout:
 * "probe NAME: N samples, M failed, last error: ...", then one line on the
 * spinning before sends and the process's CPU time:
 * "early wake: N spins, S us spun, margin M us; cpu U us user, Y us system".
 * --no-early-wake arms the timer for the scheduled times themselves (no spin),
 * for the benchmark's comparison.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "diag.h"
#include "parse.h"
#include "probe.h"
#include "scenario.h"
#include "time_util.h"

static int usage(void)
{
	fputs("usage: faultline-probe-run SCENARIO --for DURATION --samples FILE [--no-early-wake]\n",
	      stderr);
	return 2;
}

int main(int argc, char **argv)
{
	struct diag_list diags = { 0 };
	struct scenario *s = NULL;
	struct probe_engine *e = NULL;
	uint64_t duration = 0, end, t0 = UINT64_MAX, spun, spins, margin;
	struct rusage ru;
	const char *samples = NULL;
	char err[512];
	FILE *out;
	int r;

	if ((argc != 6 && argc != 7) || strcmp(argv[2], "--for") != 0 ||
	    strcmp(argv[4], "--samples") != 0 ||
	    (argc == 7 && strcmp(argv[6], "--no-early-wake") != 0))
		return usage();
	if (parse_duration_ns(argv[3], &duration, err, sizeof(err)) < 0) {
		fprintf(stderr, "--for: %s\n", err);
		return 2;
	}
	samples = argv[5];
	if (scenario_load(argv[1], &s, &diags) < 0) {
		diag_list_print(&diags, stderr);
		diag_list_clear(&diags);
		return 2;
	}
	r = probe_engine_new(s, &e, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "faultline-probe-run: %s\n", r == -ENOMEM ? "out of memory" : err);
		scenario_free(s);
		return 4;
	}
	if (argc == 7)
		probe_engine_set_early_wake(e, false);
	if (probe_engine_start(e) < 0)
		return 4;
	end = now_monotonic_ns() + duration;
	for (;;) {
		struct pollfd pfd = { .fd = probe_engine_fd(e), .events = POLLIN };
		uint64_t now = now_monotonic_ns();

		if (now >= end)
			break;
		/* Wake at least every 100 ms to see the end, as the runner does. */
		r = poll(&pfd, 1,
			 (int)((end - now) / 1000000 < 100 ? (end - now) / 1000000 + 1 : 100));
		if (r < 0 && errno != EINTR)
			return 4;
		if (r > 0 && probe_engine_dispatch(e) < 0) {
			fprintf(stderr, "faultline-probe-run: the event loop failed\n");
			return 4;
		}
	}
	probe_engine_stop(e);

	out = fopen(samples, "we");
	if (!out) {
		fprintf(stderr, "faultline-probe-run: cannot write %s: %s\n", samples,
			strerror(errno));
		return 4;
	}
	for (size_t i = 0; i < probe_engine_count(e); i++) {
		const struct sample_series *se = probe_engine_series(e, i);

		if (se->n && se->v[0].t_ns < t0)
			t0 = se->v[0].t_ns;
	}
	fputs("probe,kind,t_ms,latency_ms,status,error,value\n", out);
	for (size_t i = 0; i < probe_engine_count(e); i++) {
		const struct sample_series *se = probe_engine_series(e, i);
		size_t failed = 0;

		for (size_t k = 0; k < se->n; k++) {
			const struct sample *x = &se->v[k];

			failed += x->error != SAMPLE_OK;
			fprintf(out, "%s,%s,%.6f,%.6f,%d,%s,%.17g\n", se->probe, se->kind,
				(double)(x->t_ns - t0) / 1e6, (double)x->latency_ns / 1e6,
				x->status, sample_error_name(x->error), x->value);
		}
		printf("probe %s: %zu samples, %zu failed, last error: %s\n", se->probe, se->n,
		       failed, se->last_error ? se->last_error : "none");
	}
	fclose(out);
	probe_engine_wake_stats(e, &spun, &spins, &margin);
	if (getrusage(RUSAGE_SELF, &ru) < 0)
		ru = (struct rusage){ 0 };
	printf("early wake: %" PRIu64
	       " spins, %.1f us spun, margin %.1f us; cpu %ld us user, %ld us system\n",
	       spins, (double)spun / 1e3, (double)margin / 1e3,
	       (long)ru.ru_utime.tv_sec * 1000000L + (long)ru.ru_utime.tv_usec,
	       (long)ru.ru_stime.tv_sec * 1000000L + (long)ru.ru_stime.tv_usec);
	probe_engine_free(e);
	scenario_free(s);
	return 0;
}
