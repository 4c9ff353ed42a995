/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Atomic report files: a report is either the previous file or the whole new one,
 * never a truncated document that a CI job would parse as a pass.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "report_writers.h"

/* Runs writer into f and flushes it; returns the writer's error or the stream's. */
static int write_stream(FILE *f, report_writer_fn writer, const struct report *r)
{
	int ret = writer(r, f);

	if (ret < 0)
		return ret;
	if (fflush(f) != 0 || ferror(f))
		return negative_errno();
	return 0;
}

int report_write_path(const char *path, report_writer_fn writer, const struct report *r)
{
	_cleanup_free_ char *dir_copy = NULL, *base_copy = NULL, *tmp = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	int fd, ret;

	if (!path || !*path)
		return -EINVAL;
	if (streq(path, "-"))
		return write_stream(stdout, writer, r);

	dir_copy = strdup(path);
	base_copy = strdup(path);
	if (!dir_copy || !base_copy)
		return -ENOMEM;
	/* The temporary file lives beside the target, so that rename() is atomic. */
	if (asprintf(&tmp, "%s/.%s.XXXXXX", dirname(dir_copy), basename(base_copy)) < 0) {
		tmp = NULL;
		return -ENOMEM;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	f = fdopen(fd, "w");
	if (!f) {
		ret = negative_errno();
		close(fd);
		unlink(tmp);
		return ret;
	}
	/* mkostemp() makes 0600; a report is for others to read, like any output file. */
	if (fchmod(fd, 0644) < 0) {
		ret = negative_errno();
		goto fail;
	}
	ret = write_stream(f, writer, r);
	if (ret < 0)
		goto fail;
	if (fsync(fd) < 0) {
		ret = negative_errno();
		goto fail;
	}
	if (fclose(TAKE_PTR(f)) != 0) {
		ret = negative_errno();
		unlink(tmp);
		return ret;
	}
	if (rename(tmp, path) < 0) {
		ret = negative_errno();
		unlink(tmp);
		return ret;
	}
	log_debug("report written to %s", path);
	return 0;
fail:
	unlink(tmp);
	return ret;
}

int report_path_check(const char *path)
{
	_cleanup_free_ char *dir_copy = NULL;
	struct stat st;

	if (!path || !*path)
		return -EINVAL;
	if (streq(path, "-"))
		return 0;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return -EISDIR;
	dir_copy = strdup(path);
	if (!dir_copy)
		return -ENOMEM;
	if (stat(dirname(dir_copy), &st) < 0)
		return negative_errno();
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (faccessat(AT_FDCWD, dir_copy, W_OK | X_OK, AT_EACCESS) < 0)
		return negative_errno();
	/* In a sticky directory (/tmp), rename() over another user's file fails
	 * with EPERM: a report left there by an earlier run as root, for example. */
	if ((st.st_mode & S_ISVTX) && st.st_uid != geteuid()) {
		struct stat old;

		if (lstat(path, &old) == 0 && old.st_uid != geteuid())
			return -EPERM;
	}
	return 0;
}

int report_write_all(const struct report_outputs *o, const struct report *r,
		     const char **ret_failed)
{
	const struct {
		const char *path;
		report_writer_fn writer;
	} files[] = {
		{ o->json, report_write_json },
		{ o->junit, report_write_junit },
		{ o->html, report_write_html },
		{ o->samples, report_write_samples_csv },
	};
	const char *failed = NULL;
	int first = 0;

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		int ret;

		if (!files[i].path)
			continue;
		ret = report_write_path(files[i].path, files[i].writer, r);
		if (ret < 0 && first == 0) {
			first = ret;
			failed = files[i].path;
		}
	}
	if (first < 0 && ret_failed)
		*ret_failed = failed;
	return first;
}
