/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SLO evaluator: computes an objective's metric over the samples of a time
 * window of one probe's series, and judges it (design.md §6).
 *
 * Definitions (docs/scenarios.md repeats them for users):
 * - A window [from, to) holds the samples whose *scheduled* time t_ns lies in it.
 *   Only completed samples are in a series, so a request still in flight at the
 *   time of evaluation is not counted yet.
 * - Percentiles are exact, by the nearest-rank method over the window's latency
 *   samples: pNN is the smallest latency L such that at least NN% of the samples
 *   are <= L (rank ceil(NN/100 * n), 1-based, in ascending order). No
 *   interpolation: the value is always one that was measured.
 * - Latency samples (p50 ... p999, max, mean) are the samples that reached the
 *   service or timed out: every sample except refused connections, DNS and TLS
 *   failures and prometheus/command value errors, whose latency says nothing about
 *   the service. A timeout counts with its latency (at least the probe's timeout),
 *   so a stall raises the percentiles instead of vanishing from them.
 * - error_rate = failed samples / all samples; availability = 1 - error_rate.
 * - throughput = successful samples / the window's length in seconds.
 * - value = the value of the latest successful sample in the window that carries a
 *   number (prometheus and command probes).
 * A window without a usable sample has no value: SLO_NO_DATA.
 */
#pragma once

#include <stdint.h>

#include "report.h"
#include "sample.h"
#include "slo_objective.h"

/*
 * Computes metric m over the samples of series in [from_ns, to_ns). Returns 0 and
 * sets *ret_value (in the units of slo_objective.h) and *ret_samples (the samples
 * the value came from); -ENODATA when the window has no usable sample (nothing is
 * set); -ENOMEM. Never blocks or logs.
 */
int slo_compute(enum slo_metric m, const struct sample_series *series, uint64_t from_ns,
		uint64_t to_ns, double *ret_value, size_t *ret_samples);

/*
 * Judges objective o on [from_ns, to_ns) into *ret: SLO_PASS or SLO_FAIL with the
 * value, or SLO_NO_DATA (value NaN). Returns 0 or -ENOMEM.
 */
int slo_judge(const struct slo_objective *o, const struct sample_series *series, uint64_t from_ns,
	      uint64_t to_ns, struct report_slo_phase *ret);
