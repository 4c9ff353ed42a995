/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to the runner: the report files of a run (--json, --junit, --html,
 * --samples). They are written after the run by the user the controller dropped
 * to, atomically (report_write_path()).
 */
#pragma once

#include "report.h"
#include "runner.h"

/* Checks, before any fault, that the user we run as can create every report file
 * asked for; logs and returns -errno when not. */
int runner_check_report_dirs(const struct runner_options *o);

/* Writes every report file asked for, and names each on o->out. Returns how many
 * could not be written (each logged). */
unsigned runner_write_reports(const struct runner_options *o, const struct report *rep);
