/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Medians, minima, maxima and ratios for bench_net_host (bench_net_stats.c): each
 * side's cycles are kept, and the median of each round, so that the ratio is
 * given both of the overall medians and round by round.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* One measured cycle of one side, in nanoseconds. */
struct cycle {
	uint64_t first; /* faultline: validate + apply; tc: the add (or the add batch) */
	uint64_t second; /* faultline: revert; tc: the del (or the del batch) */
	uint64_t cpu; /* CPU time of both (user + kernel) */
	uint64_t shim; /* faultline: the netem-to-tbf translation, inside first + second */
};

struct series {
	struct cycle *v;
	size_t n, cap;
	size_t round_start;
	double round_median[64]; /* of first + second, per round */
	size_t rounds;
};

/* Appends c; returns 0 or -ENOMEM. */
int series_add(struct series *s, const struct cycle *c);

/* Closes a round: the median of its cycles' first + second. */
void series_end_round(struct series *s);

void series_free(struct series *s);

/* Prints a Markdown table of both sides (medians, minima, maxima, in unit: "us" or
 * "ms"), then the ratios tc / faultline: of the medians, and per round (median,
 * min, max). */
void series_report(const char *title, struct series *ours, struct series *tc, const char *unit);
