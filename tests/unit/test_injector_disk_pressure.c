/* SPDX-License-Identifier: Apache-2.0 */
/*
 * disk.pressure's trust boundary and its file rule, on the real filesystem:
 * validate() refuses bad values with the protocol's messages and never writes
 * to a file it did not create; apply() creates exactly the planned files,
 * private and of the asked size; revert() removes them, is idempotent, and
 * leaves alone a file that replaced ours and any name that is not ours.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disk_pressure_file.h"
#include "disk_uring.h"
#include "fault.h"
#include "macro.h"
#include "protocol.h"

static char dir[64];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/faultline-pressure-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int validate(const char *json, json_t **ret_plan, char *err, size_t errlen)
{
	struct fault_context ctx = { .self_pid = getpid() };
	_cleanup_json_ json_t *params = json_loads(json, 0, NULL);

	assert_non_null(params);
	return disk_pressure_ops.validate(params, &ctx, ret_plan, err, errlen);
}

static void expect_refused(int want, const char *message, const char *fmt, ...) _printf_(3, 4);

static void expect_refused(int want, const char *message, const char *fmt, ...)
{
	char json[512], err[512] = "";
	json_t *plan = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(json, sizeof(json), fmt, ap);
	va_end(ap);
	assert_int_equal(validate(json, &plan, err, sizeof(err)), want);
	assert_null(plan);
	if (!strstr(err, message))
		fail_msg("%s: expected \"%s\" in \"%s\"", json, message, err);
}

static void test_refusals(void **state)
{
	expect_refused(-EINVAL, "expected \"queue_depth\" from 1 to 4096, found 0",
		       "{\"path\":\"%s\",\"queue_depth\":0}", dir);
	expect_refused(-EINVAL, "expected \"queue_depth\" from 1 to 4096, found 4097",
		       "{\"path\":\"%s\",\"queue_depth\":4097}", dir);
	expect_refused(-EINVAL, "expected \"rate_iops\" from 1 to 10000000, found 0",
		       "{\"path\":\"%s\",\"rate_iops\":0}", dir);
	expect_refused(-EINVAL, "expected \"rate_bytes_per_sec\" from 1",
		       "{\"path\":\"%s\",\"rate_bytes_per_sec\":0}", dir);
	expect_refused(-EINVAL, "below one block_size",
		       "{\"path\":\"%s\",\"rate_bytes_per_sec\":100}", dir);
	expect_refused(-EINVAL, "a multiple of 512", "{\"path\":\"%s\",\"block_size\":1000}", dir);
	expect_refused(-EINVAL, "read, write or randrw", "{\"path\":\"%s\",\"mode\":\"rw\"}", dir);
	expect_refused(-EINVAL, "true or false", "{\"path\":\"%s\",\"direct\":1}", dir);
	expect_refused(-EINVAL, "iodepth", "{\"path\":\"%s\",\"iodepth\":1}", dir);
	expect_refused(-EINVAL, "absolute path", "{\"path\":\"relative%s\"}", dir);
	expect_refused(-ENOENT, "cannot resolve path", "{\"path\":\"%s/missing\"}", dir);
	expect_refused(-EINVAL, "\"size\"", "{\"path\":\"%s\",\"size\":1099511627777}", dir);
}

static void test_named_file_is_only_read(void **state)
{
	char path[128], json[256], err[512] = "";
	json_t *plan = NULL;
	int fd;

	snprintf(path, sizeof(path), "%s/theirs", dir);
	fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1 << 20), 0);
	close(fd);
	expect_refused(-EPERM, "only reads", "{\"path\":\"%s/theirs\",\"mode\":\"write\"}", dir);
	expect_refused(-EPERM, "only reads", "{\"path\":\"%s/theirs\",\"mode\":\"randrw\"}", dir);
	expect_refused(-EINVAL, "applies to a directory", "{\"path\":\"%s/theirs\",\"size\":4096}",
		       dir);

	/* Reading it is fine, and the plan creates nothing. */
	snprintf(json, sizeof(json), "{\"path\":\"%s\",\"direct\":false}", path);
	if (uring_probe(err, sizeof(err)) < 0)
		skip();
	assert_int_equal(validate(json, &plan, err, sizeof(err)), 0);
	assert_int_equal(json_array_size(json_object_get(plan, "files")), 0);
	assert_string_equal(json_string_value(json_object_get(plan, "file")), "theirs");
	json_decref(plan);
}

static void test_names(void **state)
{
	assert_true(pressure_name_is_ours(".faultline-pressure-0123456789abcdef-0"));
	assert_false(pressure_name_is_ours(".faultline-pressure-"));
	assert_false(pressure_name_is_ours("victim"));
	assert_false(pressure_name_is_ours(".faultline-pressure-x/../../etc/passwd"));
	assert_false(pressure_name_is_ours(NULL));
}

static void pclosep(FILE **f)
{
	if (*f)
		pclose(*f);
}

static unsigned count_ours(void)
{
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "find '%s' -maxdepth 1 -name '.faultline-pressure-*' | wc -l",
		 dir);
	_cleanup_(pclosep) FILE *p = popen(cmd, "r");
	unsigned n = 0;
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%u", &n), 1);
	return n;
}

static void test_apply_revert(void **state)
{
	char json[256], err[512] = "", path[256];
	json_t *plan = NULL, *undo = NULL, *report = NULL;
	struct stat st;

	if (uring_probe(err, sizeof(err)) < 0)
		skip();
	snprintf(json, sizeof(json),
		 "{\"path\":\"%s\",\"size\":70000,\"workers\":3,\"direct\":false,"
		 "\"mode\":\"randrw\"}",
		 dir);
	assert_int_equal(validate(json, &plan, err, sizeof(err)), 0);
	json_t *files = json_object_get(plan, "files");
	assert_int_equal(json_array_size(files), 3);
	/* Rounded down to whole blocks. */
	assert_int_equal(json_integer_value(json_object_get(plan, "size")), 69632);
	assert_int_equal(count_ours(), 0); /* validate changed nothing */

	assert_int_equal(disk_pressure_ops.apply(plan, &undo, err, sizeof(err)), 0);
	assert_int_equal(count_ours(), 3);
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir,
			 json_string_value(json_array_get(files, i)));
		assert_int_equal(lstat(path, &st), 0);
		assert_true(S_ISREG(st.st_mode));
		assert_int_equal(st.st_mode & 07777, 0600);
		assert_int_equal(st.st_size, 69632);
	}

	/* A file that replaced one of ours is someone else's: left alone. */
	snprintf(path, sizeof(path), "%s/%s", dir, json_string_value(json_array_get(files, 1)));
	assert_int_equal(unlink(path), 0);
	int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	close(fd);

	assert_int_equal(disk_pressure_ops.revert(undo, &report, err, sizeof(err)), 0);
	assert_int_equal(json_integer_value(json_object_get(report, "files_removed")), 2);
	assert_int_equal(count_ours(), 1);
	assert_int_equal(lstat(path, &st), 0);
	json_decref(report);
	report = NULL;

	/* Idempotent. */
	assert_int_equal(disk_pressure_ops.revert(undo, &report, err, sizeof(err)), 0);
	assert_int_equal(json_integer_value(json_object_get(report, "files_removed")), 0);
	json_decref(report);
	unlink(path);
	json_decref(undo);
	undo = NULL;

	/* Recovery from the plan alone (a crash before the applied record): our
	 * names are removed whatever their inode; names not ours never are. */
	assert_int_equal(disk_pressure_ops.apply(plan, &undo, err, sizeof(err)), 0);
	json_t *tampered = json_deep_copy(plan);
	json_array_append_new(json_object_get(tampered, "files"), json_string("victim"));
	snprintf(path, sizeof(path), "%s/victim", dir);
	fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(disk_pressure_ops.revert(tampered, NULL, err, sizeof(err)), 0);
	assert_int_equal(count_ours(), 0);
	assert_int_equal(lstat(path, &st), 0);
	json_decref(tampered);
	json_decref(undo);
	json_decref(plan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_named_file_is_only_read),
		cmocka_unit_test(test_apply_revert),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
