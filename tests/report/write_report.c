/* SPDX-License-Identifier: Apache-2.0 */
/*
 * write_report [--hostile] [--abort] FORMAT PATH: writes the hand-made report of
 * fixture.h with the real writers (json, junit, html or csv) through
 * report_write_path(), for the shell tests that check the files with independent
 * tools (xmllint, python's json and csv, headless Chromium).
 */
#include <stdio.h>
#include <string.h>

#include "fixture.h"
#include "report_writers.h"

int main(int argc, char **argv)
{
	struct fixture fx;
	report_writer_fn writer = NULL;
	unsigned flags = 0;
	int i, ret;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
		if (strcmp(argv[i], "--hostile") == 0)
			flags |= FX_HOSTILE;
		else if (strcmp(argv[i], "--abort") == 0)
			flags |= FX_ABORT;
		else
			break;
	}
	if (argc - i != 2) {
		fprintf(stderr,
			"usage: write_report [--hostile] [--abort] json|junit|html|csv PATH\n");
		return 2;
	}
	if (strcmp(argv[i], "json") == 0)
		writer = report_write_json;
	else if (strcmp(argv[i], "junit") == 0)
		writer = report_write_junit;
	else if (strcmp(argv[i], "html") == 0)
		writer = report_write_html;
	else if (strcmp(argv[i], "csv") == 0)
		writer = report_write_samples_csv;
	if (!writer) {
		fprintf(stderr, "write_report: unknown format %s\n", argv[i]);
		return 2;
	}
	fixture_build(&fx, flags);
	ret = report_write_path(argv[i + 1], writer, &fx.r);
	fixture_free(&fx);
	if (ret < 0) {
		fprintf(stderr, "write_report: %s: %s\n", argv[i + 1], strerror(-ret));
		return 1;
	}
	return 0;
}
