/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Waking on time for a scheduled send. A sample's latency runs from its scheduled
 * time (coordinated omission, probe.h), so a timer that wakes late adds its delay
 * to every sample; on a virtualised or loaded host a timerfd wakes tens to
 * hundreds of microseconds after its deadline, even with no timer slack and under
 * SCHED_FIFO. So the engine arms its timer for a send a margin early and spins on
 * CLOCK_MONOTONIC for the rest: the request then leaves at the scheduled instant,
 * never before it (a send before its scheduled time would shorten the latency).
 *
 * The margin follows the host: the smoothed lateness of the timer's wakeups plus
 * four times its mean deviation (the estimator TCP uses for its retransmission
 * timeout, RFC 6298), between PROBE_WAKE_MARGIN_MIN_NS and PROBE_WAKE_MARGIN_MAX_NS.
 * The spinning costs CPU and is bounded twice: one wait spins at most the margin,
 * and all waits together at most 1/PROBE_WAKE_SHARE of the elapsed time (a token
 * bucket). Without budget the engine arms for the scheduled time itself and pays
 * the timer's lateness, as it would without any of this.
 *
 * Bookkeeping only: the caller passes the clock; nothing here reads it or waits.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define PROBE_WAKE_MARGIN_MIN_NS (10 * 1000ULL)
#define PROBE_WAKE_MARGIN_MAX_NS (300 * 1000ULL)
/* At most 1/20 of one CPU (5%) spent spinning, over time. */
#define PROBE_WAKE_SHARE 20
/* What the bucket holds at most (and at the start): 50 ms of spinning. */
#define PROBE_WAKE_BUDGET_MAX_NS (50 * 1000 * 1000ULL)

struct probe_wake {
	uint64_t late_avg, late_dev; /* ns, smoothed; meaningless until observed */
	bool observed;
	uint64_t budget; /* ns of spinning still allowed */
	uint64_t refilled; /* when the budget was last refilled */
	uint64_t spun, spins; /* totals: ns spent spinning, and how many waits */
};

/* A full bucket at now; the margin is PROBE_WAKE_MARGIN_MAX_NS until the first
 * wakeup is observed. */
void probe_wake_init(struct probe_wake *w, uint64_t now);

/* A timer wakeup came late_ns after the time it was armed for. Values above
 * PROBE_WAKE_MARGIN_MAX_NS count as that much: no margin would cover more. */
void probe_wake_observe(struct probe_wake *w, uint64_t late_ns);

/* The current margin, from the observed lateness alone. */
uint64_t probe_wake_margin(const struct probe_wake *w);

/* How early to arm the timer at now for a send due later: the margin, or 0 when
 * the budget could not pay a whole margin of spinning. */
uint64_t probe_wake_arm_early(struct probe_wake *w, uint64_t now);

/* Whether a spin from now until `until` is allowed: it is no longer than the
 * margin and the budget covers it. */
bool probe_wake_may_spin(struct probe_wake *w, uint64_t now, uint64_t until);

/* Charges a spin of ns to the budget and the totals. */
void probe_wake_spent(struct probe_wake *w, uint64_t ns);
