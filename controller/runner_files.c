/* SPDX-License-Identifier: Apache-2.0 */
#include "runner_files.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "report_writers.h"

struct report_file {
	const char *what;
	const char *path;
	report_writer_fn writer;
};

static size_t report_files(const struct runner_options *o, struct report_file ret[4])
{
	const struct report_file all[] = {
		{ "--json", o->json_path, report_write_json },
		{ "--junit", o->junit_path, report_write_junit },
		{ "--html", o->html_path, report_write_html },
		{ "--samples", o->samples_path, report_write_samples_csv },
	};
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		if (all[i].path)
			ret[n++] = all[i];
	return n;
}

/* Report files are written after the run, by the user the controller dropped to:
 * check now, before any fault, that it can create them, so that a game day does
 * not end without its report. */
int runner_check_report_dirs(const struct runner_options *o)
{
	struct report_file files[4];
	size_t n = report_files(o, files);

	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *dir = NULL;
		char *slash;

		if (streq(files[i].path, "-"))
			continue;
		dir = strdup(files[i].path);
		if (!dir)
			return -ENOMEM;
		slash = strrchr(dir, '/');
		if (!slash)
			strcpy(dir, ".");
		else if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (access(dir, W_OK | X_OK) < 0) {
			int r = negative_errno();

			log_error("%s %s: cannot create files in %s as uid %u: %s", files[i].what,
				  files[i].path, dir, (unsigned)geteuid(), strerror(-r));
			return r;
		}
	}
	return 0;
}

/* Writes every report file asked for. Returns the number that failed. */
unsigned runner_write_reports(const struct runner_options *o, const struct report *rep)
{
	struct report_file files[4];
	size_t n = report_files(o, files);
	unsigned failed = 0;

	for (size_t i = 0; i < n; i++) {
		int r = report_write_path(files[i].path, files[i].writer, rep);

		if (r < 0) {
			log_error("%s %s: cannot write the report: %s", files[i].what,
				  files[i].path, strerror(-r));
			failed++;
		} else if (!streq(files[i].path, "-")) {
			fprintf(o->out, "report: %s written to %s\n", files[i].what + 2,
				files[i].path);
		}
	}
	return failed;
}
