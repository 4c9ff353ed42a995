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
	const char *path; /* NULL when not asked for */
	report_writer_fn writer;
};

/* Every report option, asked for or not, in a fixed order: bit i of a mask is
 * the i-th. */
static void report_files(const struct runner_options *o, struct report_file ret[4])
{
	ret[0] = (struct report_file){ "--json", o->json_path, report_write_json };
	ret[1] = (struct report_file){ "--junit", o->junit_path, report_write_junit };
	ret[2] = (struct report_file){ "--html", o->html_path, report_write_html };
	ret[3] = (struct report_file){ "--samples", o->samples_path, report_write_samples_csv };
}

/* Report files are written after the run, by the user the controller dropped to:
 * check now, before any fault, that it can create them, so that a game day does
 * not end without its report. */
int runner_check_report_dirs(const struct runner_options *o)
{
	struct report_file files[4];

	report_files(o, files);
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *dir = NULL;
		char *slash;
		int r;

		if (!files[i].path || streq(files[i].path, "-"))
			continue;
		r = report_path_check(files[i].path);
		if (r == 0)
			continue;
		if (r == -EISDIR) {
			log_error("%s %s: is a directory; expected a file name", files[i].what,
				  files[i].path);
			return r;
		}
		if (r == -EPERM) {
			log_error("%s %s: belongs to another user in a sticky directory: uid %u "
				  "cannot replace it; remove it or choose another name",
				  files[i].what, files[i].path, (unsigned)geteuid());
			return r;
		}
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
		log_error("%s %s: cannot create files in %s as uid %u: %s", files[i].what,
			  files[i].path, dir, (unsigned)geteuid(), strerror(-r));
		return r;
	}
	return 0;
}

unsigned runner_write_report_files(const struct runner_options *o, const struct report *rep,
				   unsigned *failed_mask, char *why, size_t len)
{
	struct report_file files[4];
	unsigned failed = 0;

	report_files(o, files);
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		int r;

		if (!files[i].path || streq(files[i].path, "-") || (*failed_mask & (1u << i)))
			continue;
		r = report_write_path(files[i].path, files[i].writer, rep);
		if (r < 0) {
			log_error("%s %s: cannot write the report: %s", files[i].what,
				  files[i].path, strerror(-r));
			if (!failed && len)
				snprintf(why, len, "%s %s: %s", files[i].what, files[i].path,
					 strerror(-r));
			*failed_mask |= 1u << i;
			failed++;
		}
	}
	return failed;
}

unsigned runner_finish_reports(const struct runner_options *o, const struct report *rep,
			       unsigned failed_mask)
{
	struct report_file files[4];
	unsigned failed = 0;

	report_files(o, files);
	for (size_t i = 0; i < ARRAY_SIZE(files); i++)
		if (files[i].path && !streq(files[i].path, "-") && !(failed_mask & (1u << i)))
			fprintf(o->out, "report: %s written to %s\n", files[i].what + 2,
				files[i].path);
	fflush(o->out);
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		int r;

		if (!files[i].path || !streq(files[i].path, "-"))
			continue;
		r = report_write_path(files[i].path, files[i].writer, rep);
		if (r < 0) {
			log_error("%s -: cannot write the report to standard output: %s",
				  files[i].what, strerror(-r));
			failed++;
		}
	}
	return failed;
}
