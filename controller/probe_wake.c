/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The early-wake margin and the spin budget of the probe engine (probe_wake.h).
 */
#include "probe_wake.h"

void probe_wake_init(struct probe_wake *w, uint64_t now)
{
	*w = (struct probe_wake){ .budget = PROBE_WAKE_BUDGET_MAX_NS, .refilled = now };
}

void probe_wake_observe(struct probe_wake *w, uint64_t late_ns)
{
	uint64_t dev;

	if (late_ns > PROBE_WAKE_MARGIN_MAX_NS)
		late_ns = PROBE_WAKE_MARGIN_MAX_NS;
	if (!w->observed) {
		w->late_avg = late_ns;
		w->late_dev = late_ns / 2;
		w->observed = true;
		return;
	}
	/* RFC 6298 with alpha 1/8, beta 1/4; the deviation is taken against the old
	 * average, as there. All values are below PROBE_WAKE_MARGIN_MAX_NS. */
	dev = late_ns > w->late_avg ? late_ns - w->late_avg : w->late_avg - late_ns;
	w->late_dev = w->late_dev - w->late_dev / 4 + dev / 4;
	w->late_avg = w->late_avg - w->late_avg / 8 + late_ns / 8;
}

uint64_t probe_wake_margin(const struct probe_wake *w)
{
	uint64_t m;

	if (!w->observed)
		return PROBE_WAKE_MARGIN_MAX_NS;
	m = w->late_avg + 4 * w->late_dev;
	if (m < PROBE_WAKE_MARGIN_MIN_NS)
		return PROBE_WAKE_MARGIN_MIN_NS;
	return m > PROBE_WAKE_MARGIN_MAX_NS ? PROBE_WAKE_MARGIN_MAX_NS : m;
}

static void refill(struct probe_wake *w, uint64_t now)
{
	uint64_t add;

	if (now <= w->refilled)
		return;
	add = (now - w->refilled) / PROBE_WAKE_SHARE;
	if (add >= PROBE_WAKE_BUDGET_MAX_NS - w->budget) {
		w->budget = PROBE_WAKE_BUDGET_MAX_NS;
		w->refilled = now;
		return;
	}
	/* What the division leaves over counts next time, so that frequent calls
	 * do not round the refill away. */
	w->budget += add;
	w->refilled += add * PROBE_WAKE_SHARE;
}

uint64_t probe_wake_arm_early(struct probe_wake *w, uint64_t now)
{
	uint64_t m = probe_wake_margin(w);

	refill(w, now);
	return w->budget >= m ? m : 0;
}

bool probe_wake_may_spin(struct probe_wake *w, uint64_t now, uint64_t until)
{
	uint64_t d = until > now ? until - now : 0;

	refill(w, now);
	return d <= probe_wake_margin(w) && d <= w->budget;
}

void probe_wake_spent(struct probe_wake *w, uint64_t ns)
{
	w->budget = ns >= w->budget ? 0 : w->budget - ns;
	w->spun += ns;
	w->spins++;
}
