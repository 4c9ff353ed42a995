/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to the scenario loader: the SLO part of the schema (scenario_slos.c):
 * slos, abort_when, and the expect_effect key of a fault. Each runs after the
 * probes are checked, because it refers to them by name.
 */
#pragma once

#include "scenario.h"
#include "scenario_faults.h"

/* Checks the top-level slos list n; fills s->slos and s->n_slos. Returns 0, -EINVAL
 * after reporting every problem, or -ENOMEM. */
int check_slos(struct sv_ctx *c, const struct ynode *n, struct scenario *s);

/* Checks abort_when (after check_slos); fills s->aborts and s->n_aborts. */
int check_aborts(struct sv_ctx *c, const struct ynode *n, struct scenario *s);

/* Checks the expect_effect mapping n of fault f; sets f->expect_effect. */
int check_expect_effect(struct sv_ctx *c, const struct ynode *n, struct scenario *s,
			struct scenario_fault *f);

/* Frees slos, aborts and every fault's expect_effect. */
void scenario_slos_free(struct scenario *s);
