/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a person at the terminal sees of a run with SLOs (design.md §6): the
 * summary at the end (a table of SLO x phase with value, objective and result,
 * the faults' configured and observed effects, the recovery time and the
 * verdict), and the live status line while it runs.
 *
 * JSON, JUnit and HTML are other writers (report_json.c, report_junit.c,
 * report_html.c); this one only writes text.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "report.h"

/* Writes the summary of r to out. */
void report_terminal_summary(const struct report *r, FILE *out);

/*
 * The live status line. On a TTY (tty true) text replaces the current line in
 * place ("\r", clear to end of line, no newline); elsewhere it is written as a
 * plain line, prefixed by the caller with its timestamp. report_terminal_clear()
 * erases a TTY status line before other output is written.
 */
void report_terminal_status(FILE *out, bool tty, const char *text);
void report_terminal_clear(FILE *out, bool tty);
