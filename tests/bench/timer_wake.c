/* SPDX-License-Identifier: Apache-2.0 */
/*
 * timer_wake: how late a bare timerfd wakes on this host, the floor under any
 * fixed-rate scheduler (bench_probe_http.sh subtracts it from the probe's
 * overhead). Arms a CLOCK_MONOTONIC timerfd with TFD_TIMER_ABSTIME at a fixed
 * period, with no timer slack, as the probe engine does, and prints the median
 * and p90 of the lateness in microseconds: "p50_us p90_us".
 *
 *   timer_wake COUNT PERIOD_US
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	long count = argc == 3 ? strtol(argv[1], NULL, 10) : 0;
	long period_us = argc == 3 ? strtol(argv[2], NULL, 10) : 0;
	uint64_t *late, t0;
	int fd;

	if (count < 1 || count > 1000000 || period_us < 1 || period_us > 10000000) {
		fputs("usage: timer_wake COUNT PERIOD_US\n", stderr);
		return 2;
	}
	late = calloc((size_t)count, sizeof(*late));
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (!late || fd < 0 || prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0) < 0) {
		perror("timer_wake");
		return 1;
	}
	t0 = now_ns();
	for (long k = 0; k < count; k++) {
		uint64_t t = t0 + (uint64_t)(k + 1) * (uint64_t)period_us * 1000ULL, n;
		struct itimerspec its = { .it_value = { .tv_sec = (time_t)(t / 1000000000ULL),
							.tv_nsec = (long)(t % 1000000000ULL) } };

		if (timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL) < 0 ||
		    read(fd, &n, sizeof(n)) != sizeof(n)) {
			perror("timer_wake");
			return 1;
		}
		late[k] = now_ns() - t;
	}
	qsort(late, (size_t)count, sizeof(*late), cmp);
	printf("%.1f %.1f\n", (double)late[count / 2] / 1e3, (double)late[count * 9 / 10] / 1e3);
	free(late);
	close(fd);
	return 0;
}
