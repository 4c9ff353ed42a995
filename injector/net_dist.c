/* SPDX-License-Identifier: Apache-2.0 */
/*
 * How the tables are built. iproute2's generators (NIST Net's, in the public
 * domain) define the curves; we reproduce their sampling, not their code:
 *
 * normal: the generator walks x from -10 upwards in steps of 5e-5 and files each x
 *   under bin round(16384 * Phi(x)), so that every bin ends up holding the largest
 *   grid point whose Phi rounds to it. It then emits every fourth bin, scaled by
 *   8192 and clamped to 16 bits. Bin i's largest grid point is the grid point just
 *   below Phi^-1((i + 0.5) / 16384): we find that quantile by bisection and snap it
 *   down to the same grid, which reproduces the shipped table exactly.
 *
 * pareto: a Pareto law with shape a = 3 and scale 1, sampled at u = 1 - k/4096 for
 *   k = 0..4095 through the inverse CDF u^(-1/a), shifted by its mean 1.5, scaled
 *   by 4/3 * 8192 and capped at 32767 (the far tail is cut off).
 *
 * paretonormal: a quarter of normal and three quarters of pareto, entry by entry,
 *   with C's truncating division, the normal part taken before its clamping.
 *
 * All three tables are non-decreasing, which the unit test checks.
 */
#include "net_dist.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "macro.h"

/* The reference generators sample 16384 bins and keep every fourth. */
#define DIST_BINS (4 * NETEM_DIST_SIZE)
/* The normal generator's grid: x = DIST_GRID_START + j * DIST_GRID_STEP. */
#define DIST_GRID_START (-10.0)
#define DIST_GRID_STEP 0.00005
/* Pareto shape. Its mean, a / (a - 1), is 1.5; the generator also scales by 4/3. */
#define PARETO_SHAPE 3.0

static const char *const dist_names[_NETEM_DIST_MAX] = {
	[NETEM_DIST_UNIFORM] = "uniform",
	[NETEM_DIST_NORMAL] = "normal",
	[NETEM_DIST_PARETO] = "pareto",
	[NETEM_DIST_PARETONORMAL] = "paretonormal",
};

/* Computed once by dist_init(); read only afterwards. Index 0 (uniform) unused. */
static int16_t dist_tables[_NETEM_DIST_MAX][NETEM_DIST_SIZE];
static pthread_once_t dist_once = PTHREAD_ONCE_INIT;

const char *netem_dist_to_string(enum netem_dist d)
{
	if ((unsigned)d >= _NETEM_DIST_MAX)
		return NULL;
	return dist_names[d];
}

int netem_dist_from_string(const char *s, enum netem_dist *ret)
{
	if (!s)
		return -EINVAL;
	for (unsigned i = 0; i < _NETEM_DIST_MAX; i++)
		if (streq(s, dist_names[i])) {
			*ret = (enum netem_dist)i;
			return 0;
		}
	return -EINVAL;
}

static double normal_cdf(double x)
{
	return 0.5 + 0.5 * erf(x / sqrt(2.0));
}

/* The x in [-10, 10] with normal_cdf(x) = p, for p in (0, 1). Bisection: slow but
 * exact to the last bit, and it runs 4096 times per process. */
static double normal_quantile(double p)
{
	double lo = -10.0, hi = 10.0;

	for (int i = 0; i < 64 && hi - lo > 1e-15; i++) {
		double mid = lo + (hi - lo) / 2;
		if (normal_cdf(mid) < p)
			lo = mid;
		else
			hi = mid;
	}
	return lo + (hi - lo) / 2;
}

static int16_t clamp_s16(long v)
{
	if (v < INT16_MIN)
		return INT16_MIN;
	if (v > INT16_MAX)
		return INT16_MAX;
	return (int16_t)v;
}

/* Entry k of the normal table, scaled but not yet clamped (paretonormal needs it
 * unclamped). */
static long normal_entry(unsigned k)
{
	double p = (4.0 * k + 0.5) / DIST_BINS;
	double x = normal_quantile(p);
	/* The largest grid point not above x. */
	double j = floor((x - DIST_GRID_START) / DIST_GRID_STEP);
	x = DIST_GRID_START + j * DIST_GRID_STEP;
	/* rint, like the generator: round half to even in the default rounding mode,
	 * which this process never changes. |x| <= 10, so the result fits a long. */
	return (long)rint(x * NETEM_DIST_SCALE);
}

static long pareto_entry(unsigned k)
{
	double u = 1.0 - (double)k / NETEM_DIST_SIZE; /* in (0, 1] */
	double v = 1.0 / pow(u, 1.0 / PARETO_SHAPE);
	v = (v - PARETO_SHAPE / (PARETO_SHAPE - 1.0)) * (4.0 / 3.0) * NETEM_DIST_SCALE;
	if (v > INT16_MAX)
		v = INT16_MAX;
	return (long)rint(v);
}

static void dist_init(void)
{
	for (unsigned k = 0; k < NETEM_DIST_SIZE; k++) {
		long n = normal_entry(k), p = pareto_entry(k);

		dist_tables[NETEM_DIST_NORMAL][k] = clamp_s16(n);
		dist_tables[NETEM_DIST_PARETO][k] = clamp_s16(p);
		/* C division truncates towards zero, as the generator's int arithmetic does. */
		dist_tables[NETEM_DIST_PARETONORMAL][k] = clamp_s16((n + 3 * p) / 4);
	}
}

int netem_dist_table(enum netem_dist d, int16_t out[NETEM_DIST_SIZE])
{
	if ((unsigned)d >= _NETEM_DIST_MAX)
		return -EINVAL;
	if (d == NETEM_DIST_UNIFORM)
		return 0;

	int r = pthread_once(&dist_once, dist_init);
	if (r != 0)
		return -r;
	memcpy(out, dist_tables[d], sizeof(dist_tables[d]));
	return NETEM_DIST_SIZE;
}
