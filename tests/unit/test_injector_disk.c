/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the disk faults' host-testable parts: path rules (strings, and
 * the device an open path lands on), the block device behind this host's own
 * paths, cgroup path normalisation, and the injector's validation of
 * disk.throttle and disk.fill parameters from an untrusted controller (every
 * refusal here happens before anything is written). Applying is tested as root
 * in tests/integration and tests/vm.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <linux/magic.h>

#include "disk_cgroup.h"
#include "disk_path.h"
#include "fault.h"
#include "macro.h"

static void test_path_check(void **state)
{
	static const char *const good[] = { "/",       "/var/lib/app", "/srv//data", "/a/.hidden/b",
					    "/procfs", "/devices",     "/system" };
	static const char *const bad[] = { "",	       "var/lib", "/a/../b",
					   "/a/./b",   "/..",	  "/proc",
					   "/proc/1",  "//proc",  "/sys/fs/cgroup",
					   "/dev/shm", "/a\nb",	  "/caf\xc3\xa9" };
	char err[256];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		if (disk_path_check(good[i], "path", err, sizeof(err)) != 0)
			fail_msg("%s refused: %s", good[i], err);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (disk_path_check(bad[i], "path", err, sizeof(err)) == 0)
			fail_msg("%s accepted", bad[i]);
	assert_int_equal(disk_path_check(NULL, "path", err, sizeof(err)), -EINVAL);
	assert_int_equal(disk_path_check("/proc/self", "path", err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "is under /proc"));
}

/* A symlink to /proc is caught by device after the open, whatever its name. */
static void test_path_open_by_device(void **state)
{
	char dir[] = "/tmp/faultline-disk-unit.XXXXXX", link[64], err[256];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(link, sizeof(link), "%s/p", dir);
	assert_int_equal(symlink("/proc/self", link), 0);
	int fd = disk_path_open(link, O_PATH, false, "path", err, sizeof(err));
	assert_int_equal(fd, -EPERM);
	assert_non_null(strstr(err, "lies on the filesystem of /proc"));
	fd = disk_path_open(link, O_PATH, true, "path", err, sizeof(err));
	assert_int_equal(fd, -ELOOP);
	assert_non_null(strstr(err, "goes through a symlink"));
	fd = disk_path_open(dir, O_RDONLY | O_DIRECTORY, true, "path", err, sizeof(err));
	assert_true(fd >= 0);
	close(fd);
	unlink(link);
	rmdir(dir);
}

/* The block device behind /tmp, checked against what stat and sysfs say. */
static void test_block_device(void **state)
{
	struct disk_dev d;
	struct stat st;
	char err[256];
	bool part;

	(void)state;
	int fd = disk_path_open("/tmp", O_PATH, false, "path", err, sizeof(err));
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	int r = disk_path_block_device(fd, "/tmp", &d, &part, err, sizeof(err));
	if (major(st.st_dev) == 0) {
		assert_int_equal(r, -ENODEV);
		assert_non_null(strstr(err, "without a block device"));
	} else if (r == 0) {
		char p[64];
		struct stat sys;
		snprintf(p, sizeof(p), "/sys/dev/block/%u:%u/partition", d.major, d.minor);
		/* What we return is a whole disk: it has no "partition" attribute. */
		assert_int_not_equal(stat(p, &sys), 0);
		if (!part) {
			assert_int_equal(d.major, major(st.st_dev));
			assert_int_equal(d.minor, minor(st.st_dev));
		}
	}
	close(fd);
}

static void test_dev_parse(void **state)
{
	struct disk_dev d;

	(void)state;
	assert_int_equal(disk_dev_parse("254:0", &d), 0);
	assert_int_equal(d.major, 254);
	assert_int_equal(d.minor, 0);
	assert_int_equal(disk_dev_parse("8:17\n", &d), 0);
	assert_int_equal(d.minor, 17);
	assert_int_equal(disk_dev_parse("8:", &d), -EINVAL);
	assert_int_equal(disk_dev_parse("8:1x", &d), -EINVAL);
	assert_int_equal(disk_dev_parse(NULL, &d), -EINVAL);
}

static void expect_norm(const char *in, const char *want)
{
	char *out = NULL;
	int r = disk_cgroup_normalize(in, &out);
	if (!want) {
		if (r != -EINVAL)
			fail_msg("%s: expected -EINVAL, got %d (%s)", in, r, out ? out : "");
		return;
	}
	if (r != 0 || !streq(out, want))
		fail_msg("%s: expected %s, got %d %s", in, want, r, out ? out : "");
	free(out);
}

static void test_cgroup_normalize(void **state)
{
	(void)state;
	expect_norm("/a/b", "/a/b");
	expect_norm("a/b/", "/a/b");
	expect_norm("//a//b//", "/a/b");
	expect_norm("/", "/");
	expect_norm("///", "/");
	expect_norm("/a/../b", NULL);
	expect_norm("/a/./b", NULL);
	expect_norm("/a b", NULL);
	expect_norm("", NULL);
	expect_norm(NULL, NULL);
}

/* validate() of a kind with params given as JSON text: returns its result and
 * leaves the message in err. */
static int validate(const char *kind, const char *params, char *err, size_t errlen)
{
	const struct fault_ops *ops = fault_ops_find(kind);
	struct fault_context ctx = { .self_pid = getpid() };
	json_t *p = json_loads(params, 0, NULL);
	json_t *plan = NULL;

	assert_non_null(ops);
	assert_non_null(p);
	err[0] = '\0';
	int r = ops->validate(p, &ctx, &plan, err, errlen);
	json_decref(plan);
	json_decref(p);
	return r;
}

static void expect_refused(const char *kind, const char *params, int want, const char *msg)
{
	char err[512];
	int r = validate(kind, params, err, sizeof(err));
	if (r != want || !strstr(err, msg))
		fail_msg("%s %s: expected %d \"%s\", got %d \"%s\"", kind, params, want, msg, r,
			 err);
}

static void test_throttle_validate(void **state)
{
	(void)state;
	expect_refused("disk.throttle",
		       "{\"path\":\"/tmp\",\"target\":{\"cgroup\":\"/a\"},"
		       "\"wbps\":1,\"write_bps\":1}",
		       -EINVAL, "write_bps");
	expect_refused("disk.throttle", "{\"target\":{\"cgroup\":\"/a\"},\"wbps\":1}", -EINVAL,
		       "needs \"path\"");
	expect_refused("disk.throttle", "{\"path\":\"/tmp\",\"target\":{\"cgroup\":\"/a\"}}",
		       -EINVAL, "at least one of rbps, wbps, riops, wiops");
	expect_refused("disk.throttle",
		       "{\"path\":\"/tmp\",\"target\":{\"cgroup\":\"/a\"},\"wbps\":\"10MB\"}",
		       -EINVAL, "expected \"wbps\" to be an integer");
	expect_refused("disk.throttle",
		       "{\"path\":\"/tmp\",\"target\":{\"cgroup\":\"/a\"},\"riops\":0}", -EINVAL,
		       "expected \"riops\" to be an integer from 1");
	expect_refused("disk.throttle",
		       "{\"path\":\"/tmp\",\"target\":{\"cgroup\":\"/a\"},\"wbps\":1,"
		       "\"move_pid\":1}",
		       -EINVAL, "move_pid");
	expect_refused("disk.throttle",
		       "{\"path\":\"/proc/self\",\"target\":{\"cgroup\":\"/a\"},\"wbps\":1}",
		       -EPERM, "is under /proc");
	expect_refused("disk.throttle",
		       "{\"path\":\"relative\",\"target\":{\"cgroup\":\"/a\"},\"wbps\":1}", -EINVAL,
		       "absolute");
}

/* Refusals that need the host's cgroups; skipped where none can throttle. */
static void test_throttle_targets(void **state)
{
	enum cgroup_version v;
	char err[512];
	int root;

	(void)state;
	if (disk_cgroup_open_hierarchy(&v, &root, err, sizeof(err)) < 0)
		skip();
	close(root);
	struct statfs fs;
	struct stat st;
	if (statfs("/tmp", &fs) < 0 || stat("/tmp", &st) < 0 || major(st.st_dev) == 0)
		skip(); /* no block device behind /tmp here */
	expect_refused("disk.throttle",
		       "{\"path\":\"/tmp\",\"target\":{\"cgroup\":\"/\"},\"wbps\":1}", -EPERM,
		       "the root cgroup is never a target");
	expect_refused("disk.throttle",
		       "{\"path\":\"/tmp\",\"target\":{\"cgroup\":\"/faultline-no-such-cg\"},"
		       "\"wbps\":1}",
		       -ENOENT, "does not exist");
	expect_refused("disk.throttle",
		       "{\"path\":\"/tmp\",\"target\":{\"cgroup\":\"/a\",\"pid\":2},\"wbps\":1}",
		       -EINVAL, "exactly one of cgroup, pid or unit");
	expect_refused("disk.throttle",
		       "{\"path\":\"/tmp\",\"target\":{\"unit\":\"faultline-no-such.service\"},"
		       "\"wbps\":1}",
		       -ENOENT, "no cgroup is named after unit");
}

static void test_fill_validate(void **state)
{
	char dir[] = "/tmp/faultline-fill-unit.XXXXXX", params[256], err[512];

	(void)state;
	assert_non_null(mkdtemp(dir));
	expect_refused("disk.fill", "{\"path\":\"/tmp\"}", -EINVAL, "exactly one of");
	expect_refused("disk.fill", "{\"path\":\"/tmp\",\"free_bytes\":1,\"size_bytes\":1}",
		       -EINVAL, "exactly one of");
	expect_refused("disk.fill", "{\"path\":\"/tmp\",\"size_bytes\":0}", -EINVAL,
		       "exactly one of");
	expect_refused("disk.fill", "{\"path\":\"/tmp\",\"size_bytes\":\"1GiB\"}", -EINVAL,
		       "exactly one of");
	expect_refused("disk.fill", "{\"path\":\"/tmp\",\"size_bytes\":1,\"method\":\"dd\"}",
		       -EINVAL, "auto, fallocate or write");
	expect_refused("disk.fill",
		       "{\"path\":\"/tmp\",\"size_bytes\":1,\"allow_below_floor\":\"yes\"}",
		       -EINVAL, "true or false");
	expect_refused("disk.fill", "{\"path\":\"/sys\",\"size_bytes\":1}", -EPERM,
		       "is under /sys");
	expect_refused("disk.fill", "{\"path\":\"/tmp\",\"size_bytes\":1,\"extra\":1}", -EINVAL,
		       "extra");
	/* Larger than any filesystem here. */
	snprintf(params, sizeof(params), "{\"path\":\"%s\",\"size_bytes\":%llu}", dir, 1ULL << 59);
	expect_refused("disk.fill", params, -EFBIG, "is larger than the filesystem");
	snprintf(params, sizeof(params), "{\"path\":\"%s\",\"free_bytes\":%llu}", dir, 1ULL << 59);
	expect_refused("disk.fill", params, -EFBIG, "is larger than the filesystem");
	/* A 1-byte file leaves the floor alone unless the disk is nearly full. */
	snprintf(params, sizeof(params), "{\"path\":\"%s\",\"size_bytes\":1}", dir);
	int r = validate("disk.fill", params, err, sizeof(err));
	assert_true(r == 0 || r == -EPERM);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_check),	 cmocka_unit_test(test_path_open_by_device),
		cmocka_unit_test(test_block_device),	 cmocka_unit_test(test_dev_parse),
		cmocka_unit_test(test_cgroup_normalize), cmocka_unit_test(test_throttle_validate),
		cmocka_unit_test(test_throttle_targets), cmocka_unit_test(test_fill_validate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
