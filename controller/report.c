/* SPDX-License-Identifier: Apache-2.0 */
#include "report.h"

#include <stdlib.h>

#include "macro.h"

const char *report_phase_name(enum report_phase p)
{
	static const char *const names[PHASE_COUNT] = {
		[PHASE_BASELINE] = "baseline",
		[PHASE_FAULT] = "fault",
		[PHASE_RECOVERY] = "recovery",
	};
	return (unsigned)p < PHASE_COUNT ? names[p] : "unknown";
}

const char *report_probe_last_error(const struct report *r, const char *probe)
{
	for (size_t i = 0; probe && i < r->n_series; i++)
		if (r->series[i].probe && streq(r->series[i].probe, probe))
			return r->series[i].last_error;
	return NULL;
}

void report_clear(struct report *r)
{
	for (size_t i = 0; i < r->n_faults; i++) {
		free(r->faults[i].configured);
		free(r->faults[i].observed);
		free(r->faults[i].error);
	}
	free(r->faults);
	free(r->slos);
	free(r->verdict_detail);
	*r = (struct report){ 0 };
}
