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

/*
 * Writes the report files asked for, except those on standard output ("-") and
 * those already in *failed_mask (bit i: --json, --junit, --html, --samples in this
 * order). Adds each that fails to *failed_mask, logs it, and describes the first
 * in why ("--html r.html: No space left on device"). Returns how many failed.
 * Called again after the verdict changed, it rewrites the files that were
 * written, so that every file states the same verdict and exit code.
 */
unsigned runner_write_report_files(const struct runner_options *o, const struct report *rep,
				   unsigned *failed_mask, char *why, size_t len);

/* Names on o->out each report file written (not in failed_mask), then writes the
 * reports asked for on standard output. Returns how many of those failed. */
unsigned runner_finish_reports(const struct runner_options *o, const struct report *rep,
			       unsigned failed_mask);
