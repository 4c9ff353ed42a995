/* SPDX-License-Identifier: Apache-2.0 */
/* Private to the scenario loader: the probes section (scenario_probes.c). */
#pragma once

#include "scenario.h"
#include "scenario_faults.h"

/*
 * Checks the top-level probes mapping n and fills s->probes and s->n_probes (in
 * file order). Every problem is reported through c with its position. Returns 0,
 * -EINVAL after reporting, or -ENOMEM. On failure s->probes may be partly filled;
 * scenario_probes_free() releases it either way.
 */
int check_probes(struct sv_ctx *c, const struct ynode *n, struct scenario *s);

/* Frees the n probes of v and v itself. Accepts NULL. */
void scenario_probes_free(struct scenario_probe *v, size_t n);
