/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the probe engine's early-wake margin and spin budget
 * (probe_wake.c), on a clock the test drives: the estimator's answers for known
 * lateness, the bounds on the margin, and the budget's refill, cap and refusals.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>

#include "probe_wake.h"

#define US 1000ULL
#define MS 1000000ULL
#define SEC 1000000000ULL

static void test_margin(void **state)
{
	struct probe_wake w;

	(void)state;
	probe_wake_init(&w, 5 * SEC);
	/* Nothing observed yet: the widest margin. */
	assert_int_equal(probe_wake_margin(&w), PROBE_WAKE_MARGIN_MAX_NS);

	/* The first wakeup sets the average, and half of it as the deviation. */
	probe_wake_observe(&w, 40 * US);
	assert_int_equal(w.late_avg, 40 * US);
	assert_int_equal(w.late_dev, 20 * US);
	assert_int_equal(probe_wake_margin(&w), 120 * US);

	/* RFC 6298's update, the deviation against the old average. */
	probe_wake_observe(&w, 80 * US);
	assert_int_equal(w.late_dev, 15 * US + 10 * US);
	assert_int_equal(w.late_avg, 35 * US + 10 * US);
	assert_int_equal(probe_wake_margin(&w), 45 * US + 100 * US);

	/* A steady lateness: the margin converges on it. */
	for (int i = 0; i < 200; i++)
		probe_wake_observe(&w, 80 * US);
	assert_in_range(probe_wake_margin(&w), 80 * US - 8, 80 * US + 8 * 4);

	/* Wakeups on time: never below the minimum. */
	for (int i = 0; i < 200; i++)
		probe_wake_observe(&w, 0);
	assert_int_equal(probe_wake_margin(&w), PROBE_WAKE_MARGIN_MIN_NS);
}

static void test_margin_bounds(void **state)
{
	struct probe_wake w;

	(void)state;
	probe_wake_init(&w, 0);
	/* A wakeup seconds late (the caller's loop was busy) counts as the maximum. */
	probe_wake_observe(&w, 10 * SEC);
	assert_int_equal(w.late_avg, PROBE_WAKE_MARGIN_MAX_NS);
	assert_int_equal(probe_wake_margin(&w), PROBE_WAKE_MARGIN_MAX_NS);
	for (int i = 0; i < 100; i++)
		probe_wake_observe(&w, i % 2 ? UINT64_MAX : 0);
	assert_true(w.late_avg <= PROBE_WAKE_MARGIN_MAX_NS);
	assert_true(w.late_dev <= PROBE_WAKE_MARGIN_MAX_NS);
	assert_int_equal(probe_wake_margin(&w), PROBE_WAKE_MARGIN_MAX_NS);
}

static void test_spin_length(void **state)
{
	struct probe_wake w;
	uint64_t now = 7 * SEC;

	(void)state;
	probe_wake_init(&w, now);
	probe_wake_observe(&w, 40 * US); /* margin 40 + 4 * 20 us */
	assert_int_equal(probe_wake_margin(&w), 120 * US);
	assert_true(probe_wake_may_spin(&w, now, now + 120 * US));
	assert_false(probe_wake_may_spin(&w, now, now + 120 * US + 1));
	/* Already due: a spin of nothing is allowed. */
	assert_true(probe_wake_may_spin(&w, now, now - 1));
	assert_int_equal(probe_wake_arm_early(&w, now), 120 * US);
}

static void test_budget(void **state)
{
	struct probe_wake w;
	uint64_t now = 1 * SEC;

	(void)state;
	probe_wake_init(&w, now);
	probe_wake_observe(&w, 100 * US); /* margin 300 us, the maximum */
	assert_int_equal(w.budget, PROBE_WAKE_BUDGET_MAX_NS);

	/* Spend all of it: no early arming, no spin. */
	probe_wake_spent(&w, PROBE_WAKE_BUDGET_MAX_NS - 100 * US);
	assert_int_equal(w.budget, 100 * US);
	assert_int_equal(probe_wake_arm_early(&w, now), 0);
	assert_true(probe_wake_may_spin(&w, now, now + 100 * US));
	assert_false(probe_wake_may_spin(&w, now, now + 101 * US));
	probe_wake_spent(&w, 1 * SEC); /* more than is left: empty, not wrapped */
	assert_int_equal(w.budget, 0);
	assert_int_equal(w.spins, 2);
	assert_int_equal(w.spun, PROBE_WAKE_BUDGET_MAX_NS - 100 * US + 1 * SEC);

	/* Refilled at 1/PROBE_WAKE_SHARE of the elapsed time. */
	now += 300 * US * PROBE_WAKE_SHARE - 1;
	assert_int_equal(probe_wake_arm_early(&w, now), 0);
	now += 1;
	assert_int_equal(probe_wake_arm_early(&w, now), 300 * US);
	assert_int_equal(w.budget, 300 * US);

	/* A clock that goes back changes nothing. */
	assert_int_equal(probe_wake_arm_early(&w, now - 1 * SEC), 300 * US);
	assert_int_equal(w.budget, 300 * US);

	/* Capped, also after a very long time. */
	now += 1000 * SEC;
	probe_wake_arm_early(&w, now);
	assert_int_equal(w.budget, PROBE_WAKE_BUDGET_MAX_NS);
	probe_wake_arm_early(&w, UINT64_MAX);
	assert_int_equal(w.budget, PROBE_WAKE_BUDGET_MAX_NS);
}

/* The spin over time is at most 1/PROBE_WAKE_SHARE of it, plus what the bucket held. */
static void test_budget_share(void **state)
{
	struct probe_wake w;
	uint64_t now = 0, spun = 0;

	(void)state;
	probe_wake_init(&w, now);
	probe_wake_observe(&w, PROBE_WAKE_MARGIN_MAX_NS);
	/* A send every 1 ms, each wanting the whole margin: far above the share. */
	for (int i = 0; i < 10000; i++, now += 1 * MS) {
		uint64_t due = now + PROBE_WAKE_MARGIN_MAX_NS;

		if (probe_wake_may_spin(&w, now, due)) {
			probe_wake_spent(&w, due - now);
			spun += due - now;
		}
	}
	assert_int_equal(w.spun, spun);
	assert_true(spun <= now / PROBE_WAKE_SHARE + PROBE_WAKE_BUDGET_MAX_NS);
	/* And it does spin as much as allowed, less one margin of rounding. */
	assert_true(spun + PROBE_WAKE_MARGIN_MAX_NS >= now / PROBE_WAKE_SHARE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_margin),	     cmocka_unit_test(test_margin_bounds),
		cmocka_unit_test(test_spin_length),  cmocka_unit_test(test_budget),
		cmocka_unit_test(test_budget_share),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
