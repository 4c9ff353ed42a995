/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The file reports of a run: --json, --junit, --html and --samples (docs/report.md).
 *
 * Every writer reads a struct report (report.h) and nothing else, writes the whole
 * document to a stdio stream and returns 0 or -errno (-EIO when the stream failed,
 * -ENOMEM). They never log above debug and never exit. Strings from the scenario,
 * the probes and the injector are untrusted text: each writer escapes them for its
 * format and replaces bytes that are not valid UTF-8 with U+FFFD, so that hostile
 * names or error messages can neither break the document nor inject markup.
 *
 * report_write_path() is what the runner calls: it writes to a temporary file in
 * the target's directory and renames it over the target only when the whole
 * document was written and flushed, so a failed write never leaves half a report.
 */
#pragma once

#include <stdio.h>

#include "report.h"

/* A writer: the whole document of r to out. */
typedef int (*report_writer_fn)(const struct report *r, FILE *out);

/* The JSON report, schema_version 1: faults, per-probe summaries per phase, SLO x
 * phase verdicts, abort, recovery, verdict and exit code. */
int report_write_json(const struct report *r, FILE *out);

/* JUnit XML (Jenkins/Ant junit-10 style): one testcase per SLO x phase, plus one per
 * fault that failed or had an expected effect. */
int report_write_junit(const struct report *r, FILE *out);

/* One self-contained HTML file: summary tables and SVG charts over time, no external
 * assets and no script. */
int report_write_html(const struct report *r, FILE *out);

/* Every sample as RFC 4180 CSV (CRLF line ends, header row). */
int report_write_samples_csv(const struct report *r, FILE *out);

/*
 * Writes writer's document of r to path atomically: a temporary file
 * ".NAME.XXXXXX" in the same directory (mode 0644, O_CLOEXEC) is written, flushed,
 * fsync'd and renamed over path; on any failure it is removed and path is left as it
 * was. path "-" writes to stdout instead (not atomic). Returns 0 or -errno (the
 * writer's error, or that of open, write, fsync or rename). Blocks on the disk.
 */
int report_write_path(const char *path, report_writer_fn writer, const struct report *r);

/* The report files a run asked for; NULL members are not written. */
struct report_outputs {
	const char *json, *junit, *html, *samples;
};

/*
 * Checks, before a run, that path can be written by the current user: "-", or a
 * directory that exists and that the effective user may write and search (the
 * temporary file and the rename need both), and not a directory itself. Call it
 * after dropping privileges, so that a report that cannot be written is an error
 * at the start rather than after the game day. Returns 0, -ENOENT, -EACCES,
 * -EISDIR, -ENOTDIR, -EPERM (path is another user's file in a sticky directory
 * such as /tmp, which rename() may not replace) or another -errno of
 * faccessat()/stat().
 */
int report_path_check(const char *path);

/*
 * Writes every requested file of o with report_write_path(): JSON, JUnit, HTML,
 * samples CSV, in that order, going on after a failure so that one bad path does
 * not cost the other reports. Returns 0, or the first failure's -errno with
 * *ret_failed (may be NULL) set to its path.
 */
int report_write_all(const struct report_outputs *o, const struct report *r,
		     const char **ret_failed);
