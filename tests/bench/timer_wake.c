/* SPDX-License-Identifier: Apache-2.0 */
/*
 * timer_wake: how late a bare timerfd wakes on this host, the floor under any
 * fixed-rate scheduler (bench_probe_http.sh subtracts it from the probe's
 * overhead). Arms a CLOCK_MONOTONIC timerfd with TFD_TIMER_ABSTIME at a fixed
 * period, with no timer slack, as the probe engine does, and prints the median
 * and p90 of the lateness in microseconds, then the median spin per wakeup and
 * the total spin: "p50_us p90_us spin_p50_us spin_total_us".
 *
 *   timer_wake COUNT PERIOD_US [early]
 *
 * With "early", it wakes as the probe engine does before a send: the timer is
 * armed the engine's margin early (controller/probe_wake.h, the same code and
 * budget) and the rest is spun on the clock; the lateness is then that of the end
 * of the spin. Without it, the spin figures are 0.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "probe_wake.h"
#include "time_util.h"

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int wait_until(int fd, uint64_t t)
{
	struct itimerspec its = { .it_value = { .tv_sec = (time_t)(t / 1000000000ULL),
						.tv_nsec = (long)(t % 1000000000ULL) } };
	uint64_t n;

	if (timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL) < 0 ||
	    read(fd, &n, sizeof(n)) != sizeof(n))
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	long count = argc >= 3 ? strtol(argv[1], NULL, 10) : 0;
	long period_us = argc >= 3 ? strtol(argv[2], NULL, 10) : 0;
	bool early = argc == 4 && strcmp(argv[3], "early") == 0;
	struct probe_wake w;
	uint64_t *late, *spin, t0, total = 0;
	int fd;

	if (count < 1 || count > 1000000 || period_us < 1 || period_us > 10000000 ||
	    (argc == 4 && !early) || argc > 4) {
		fputs("usage: timer_wake COUNT PERIOD_US [early]\n", stderr);
		return 2;
	}
	late = calloc((size_t)count, sizeof(*late));
	spin = calloc((size_t)count, sizeof(*spin));
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (!late || !spin || fd < 0 || prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0) < 0) {
		perror("timer_wake");
		return 1;
	}
	t0 = now_monotonic_ns();
	probe_wake_init(&w, t0);
	for (long k = 0; k < count; k++) {
		uint64_t t = t0 + (uint64_t)(k + 1) * (uint64_t)period_us * 1000ULL;
		uint64_t armed = t, now;

		if (early)
			armed -= probe_wake_arm_early(&w, now_monotonic_ns());
		if (wait_until(fd, armed) < 0) {
			perror("timer_wake");
			return 1;
		}
		now = now_monotonic_ns();
		probe_wake_observe(&w, now - armed);
		if (early && now < t && probe_wake_may_spin(&w, now, t)) {
			uint64_t start = now;

			while (now < t)
				now = now_monotonic_ns();
			spin[k] = now - start;
			probe_wake_spent(&w, spin[k]);
			total += spin[k];
		}
		late[k] = now > t ? now - t : 0;
	}
	qsort(late, (size_t)count, sizeof(*late), cmp);
	qsort(spin, (size_t)count, sizeof(*spin), cmp);
	printf("%.1f %.1f %.1f %.1f\n", (double)late[count / 2] / 1e3,
	       (double)late[count * 9 / 10] / 1e3, (double)spin[count / 2] / 1e3,
	       (double)total / 1e3);
	free(late);
	free(spin);
	close(fd);
	return 0;
}
