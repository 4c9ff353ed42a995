/* SPDX-License-Identifier: Apache-2.0 */
/*
 * disk.fill: a file with a reserved name that takes a filesystem's free space
 * down to a target, or that has a given size; removed on revert.
 *
 * Params (from the controller, untrusted):
 *   path               absolute path of a directory on the filesystem to fill;
 *                      no symlink is followed, and never /proc, /sys, /dev
 *   free_bytes         leave this much available (statvfs f_bavail × f_frsize,
 *                      what df shows as Avail), or
 *   size_bytes         make the file this large
 *   allow_below_floor  optional, default false: see the floor below
 *   method             optional "auto" (default: fallocate, and writing zeros
 *                      where the filesystem has no fallocate), "fallocate" or
 *                      "write"
 *
 * The floor: unless allow_below_floor is set, a fill never leaves less than
 * min(1 GiB, 5% of the filesystem) available, so that a game day on a shared
 * host does not take logging and package managers down with it. A target above
 * the filesystem's size is an error in any case.
 *
 * Plan: the directory (path, device, inode), the file name
 * (".faultline-fill-" + 16 hex digits, never an existing file), the target and
 * the sizes seen. Undo adds the file's inode, the method and the bytes
 * allocated. A revert unlinks the name only when it is still our file (same
 * directory, same inode; from a bare plan after a crash, a regular file with
 * our reserved name).
 *
 * fallocate is one call however large the file. Writing is done in steps:
 * WRITE_STEP bytes during apply, then WRITE_STEP per clock tick (100 ms), so the
 * injector never stalls on a slow disk; a "fill_reached" event says when the
 * target is reached.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "disk_path.h"
#include "fault.h"
#include "macro.h"
#include "policy.h"
#include "protocol.h"

#define FILL_PREFIX ".faultline-fill-"
#define FILL_FLOOR_MAX (1ULL << 30)
#define FILL_FLOOR_PERCENT 5
#define FILL_MAX_BYTES (1ULL << 60)
#define WRITE_STEP (32ULL << 20)
#define WRITE_CHUNK (1U << 20)

struct fs_space {
	uint64_t total, avail, block;
};

static int fs_space(int fd, struct fs_space *ret)
{
	struct statvfs v;
	if (fstatvfs(fd, &v) < 0)
		return negative_errno();
	uint64_t b = v.f_frsize ? v.f_frsize : v.f_bsize;
	*ret = (struct fs_space){ (uint64_t)v.f_blocks * b, (uint64_t)v.f_bavail * b, b };
	return 0;
}

static uint64_t fill_floor(uint64_t total)
{
	uint64_t pct = total / (100 / FILL_FLOOR_PERCENT);
	return pct < FILL_FLOOR_MAX ? pct : FILL_FLOOR_MAX;
}

static bool name_is_ours(const char *name)
{
	size_t n = strlen(FILL_PREFIX);
	if (!name || strncmp(name, FILL_PREFIX, n) != 0 || strlen(name) != n + 16)
		return false;
	for (const char *p = name + n; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

static int fill_validate(const json_t *params, const struct fault_context *ctx, json_t **ret_plan,
			 char *err, size_t errlen)
{
	static const char *const keys[] = { "path",	  "free_bytes",
					    "size_bytes", "allow_below_floor",
					    "method",	  NULL };
	const char *path = NULL, *method = "auto";
	uint64_t free_bytes = 0, size_bytes = 0, need;
	json_t *allow = json_object_get(params, "allow_below_floor");
	struct fs_space sp;
	struct stat st;
	int has_free, has_size, r;

	if (!json_is_object(params)) {
		errbuf_set(err, errlen, "disk.fill parameters must be an object");
		return -EINVAL;
	}
	r = protocol_check_keys(params, keys, err, errlen);
	if (r < 0)
		return r;
	if (protocol_get_string(params, "path", DISK_PATH_MAX, &path) != 1) {
		errbuf_set(err, errlen, "disk.fill needs \"path\", an absolute directory path");
		return -EINVAL;
	}
	has_free = protocol_get_uint(params, "free_bytes", 0, FILL_MAX_BYTES, &free_bytes);
	has_size = protocol_get_uint(params, "size_bytes", 1, FILL_MAX_BYTES, &size_bytes);
	if (has_free < 0 || has_size < 0 || has_free + has_size != 1) {
		errbuf_set(err, errlen,
			   "disk.fill needs exactly one of \"free_bytes\" (an integer "
			   "from 0) or \"size_bytes\" (an integer from 1)");
		return -EINVAL;
	}
	if (allow && !json_is_boolean(allow)) {
		errbuf_set(err, errlen, "expected \"allow_below_floor\" to be true or false");
		return -EINVAL;
	}
	if (protocol_get_string(params, "method", 16, &method) < 0 ||
	    (!streq(method, "auto") && !streq(method, "fallocate") && !streq(method, "write"))) {
		errbuf_set(err, errlen, "expected \"method\" to be auto, fallocate or write");
		return -EINVAL;
	}

	_cleanup_close_ int dir =
		disk_path_open(path, O_RDONLY | O_DIRECTORY, true, "path", err, errlen);
	if (dir < 0)
		return dir;
	/* The blast radius of a fill is the filesystem: the policy may narrow where. */
	r = disk_path_check_policy(ctx->policy, path, dir, err, errlen);
	if (r < 0)
		return r;
	if (fstat(dir, &st) < 0 || fs_space(dir, &sp) < 0) {
		r = negative_errno();
		errbuf_set(err, errlen, "cannot read the filesystem of \"%s\": %s", path,
			   strerror(-r));
		return r;
	}
	if (sp.total == 0) {
		errbuf_set(err, errlen,
			   "the filesystem of \"%s\" reports no size, so it cannot be "
			   "filled to a target",
			   path);
		return -EOPNOTSUPP;
	}
	uint64_t target = has_free ? free_bytes : size_bytes;
	if (target > sp.total) {
		errbuf_set(err, errlen,
			   "the %s (%" PRIu64 " bytes) is larger than the filesystem of "
			   "\"%s\" (%" PRIu64 " bytes)",
			   has_free ? "free space to leave" : "fill size", target, path, sp.total);
		return -EFBIG;
	}
	if (has_free) {
		if (free_bytes >= sp.avail) {
			errbuf_set(err, errlen,
				   "\"%s\" has %" PRIu64 " bytes available, not more "
				   "than the %" PRIu64 " to leave: nothing to fill",
				   path, sp.avail, free_bytes);
			return -EALREADY;
		}
		need = sp.avail - free_bytes;
	} else {
		if (size_bytes > sp.avail) {
			errbuf_set(err, errlen,
				   "\"%s\" has only %" PRIu64 " bytes available, less "
				   "than the fill size %" PRIu64,
				   path, sp.avail, size_bytes);
			return -ENOSPC;
		}
		need = size_bytes;
	}
	uint64_t floor = fill_floor(sp.total);
	if (sp.avail - need < floor && !json_is_true(allow)) {
		errbuf_set(err, errlen,
			   "the fill would leave %" PRIu64 " bytes available on \"%s\", "
			   "below the safety floor of %" PRIu64 " (min(1 GiB, 5%%)); set "
			   "allow_below_floor to go below it",
			   sp.avail - need, path, floor);
		return -EPERM;
	}
	char what[64];
	snprintf(what, sizeof(what), "a fill of %" PRIu64 " bytes", need);
	r = policy_check_limit(ctx->policy, POLICY_MAX_FILL, need, what, err, errlen);
	if (r < 0)
		return r;

	uint8_t rnd[8];
	char name[64];
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		return -EIO;
	snprintf(name, sizeof(name), FILL_PREFIX "%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1],
		 rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	json_t *plan =
		json_pack("{s:s, s:I, s:I, s:s, s:s, s:I, s:s, s:I, s:I, s:I, s:I, s:b}", "path",
			  path, "dir_dev", (json_int_t)st.st_dev, "dir_ino", (json_int_t)st.st_ino,
			  "name", name, "mode", has_free ? "free" : "size", "target_bytes",
			  (json_int_t)target, "method", method, "fs_bytes", (json_int_t)sp.total,
			  "avail_before", (json_int_t)sp.avail, "floor_bytes", (json_int_t)floor,
			  "bytes", (json_int_t)need, "allow_below_floor", json_is_true(allow));
	if (!plan)
		return -ENOMEM;
	*ret_plan = plan;
	return 0;
}

/* Opens the plan's directory again, and checks it is the one validated. */
static int open_dir(const json_t *state, char *err, size_t errlen)
{
	const char *path = json_string_value(json_object_get(state, "path"));
	struct stat st;

	if (!path)
		return -EINVAL;
	int fd = disk_path_open(path, O_RDONLY | O_DIRECTORY, true, "path", err, errlen);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0 ||
	    (json_int_t)st.st_dev != json_integer_value(json_object_get(state, "dir_dev")) ||
	    (json_int_t)st.st_ino != json_integer_value(json_object_get(state, "dir_ino"))) {
		close(fd);
		errbuf_set(err, errlen, "\"%s\" is no longer the directory the fill was planned in",
			   path);
		return -ESTALE;
	}
	return fd;
}

/* Writes zeros from offset up to at most step bytes, not past end. Returns the
 * new offset, or -errno. */
static int64_t write_zeros(int fd, uint64_t offset, uint64_t end, uint64_t step)
{
	static const char zeros[WRITE_CHUNK];
	uint64_t stop = offset + step < end ? offset + step : end;

	while (offset < stop) {
		size_t n = stop - offset < WRITE_CHUNK ? (size_t)(stop - offset) : WRITE_CHUNK;
		ssize_t k = pwrite(fd, zeros, n, (off_t)offset);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		offset += (uint64_t)k;
	}
	return (int64_t)offset;
}

/* Grows (or, after overshooting through metadata, shrinks) a fallocated file
 * until the available space is within a block or 0.2% of the target. */
static int settle_free(int dir, int fd, uint64_t target, uint64_t *size)
{
	for (int i = 0; i < 4; i++) {
		struct fs_space sp;
		int r = fs_space(dir, &sp);
		if (r < 0)
			return r;
		uint64_t tol = target / 500 > sp.block ? target / 500 : sp.block;
		if (sp.avail > target + tol) {
			uint64_t more = sp.avail - target;
			if (fallocate(fd, 0, (off_t)*size, (off_t)more) < 0)
				return negative_errno();
			*size += more;
		} else if (sp.avail + tol<target && * size> 0) {
			uint64_t less = target - sp.avail;
			*size = less < *size ? *size - less : 0;
			if (ftruncate(fd, (off_t)*size) < 0)
				return negative_errno();
		} else {
			return 0;
		}
	}
	return 0;
}

static int fill_apply(const json_t *plan, json_t **ret_undo, char *err, size_t errlen)
{
	_cleanup_json_ json_t *undo = json_deep_copy(plan);
	const char *name = json_string_value(json_object_get(plan, "name"));
	const char *method = json_string_value(json_object_get(plan, "method"));
	const char *mode = json_string_value(json_object_get(plan, "mode"));
	json_int_t target = json_integer_value(json_object_get(plan, "target_bytes"));
	json_int_t floor = json_integer_value(json_object_get(plan, "floor_bytes"));
	struct fs_space sp;
	struct stat st;
	uint64_t need, size = 0;
	int r;

	if (!undo)
		return -ENOMEM;
	if (!name_is_ours(name) || !method || !mode || target < 0) {
		errbuf_set(err, errlen, "malformed disk.fill plan");
		return -EINVAL;
	}
	_cleanup_close_ int dir = open_dir(plan, err, errlen);
	if (dir < 0)
		return dir;
	if (fs_space(dir, &sp) < 0)
		return negative_errno();
	/* Free space moves on its own: size the file on what is available now. */
	if (streq(mode, "free")) {
		if ((uint64_t)target >= sp.avail) {
			errbuf_set(err, errlen,
				   "only %" PRIu64 " bytes are available now, not more "
				   "than the %lld to leave",
				   sp.avail, (long long)target);
			return -EALREADY;
		}
		need = sp.avail - (uint64_t)target;
	} else {
		need = (uint64_t)target;
		if (need > sp.avail) {
			errbuf_set(err, errlen, "only %" PRIu64 " bytes are available now",
				   sp.avail);
			return -ENOSPC;
		}
	}
	/* The floor is checked again against what is there now, unless lifted. */
	if (!json_is_true(json_object_get(plan, "allow_below_floor")) &&
	    (floor < 0 || sp.avail - need < (uint64_t)floor)) {
		errbuf_set(err, errlen,
			   "the fill would now leave %" PRIu64 " bytes available, "
			   "below the safety floor of %lld",
			   sp.avail - need, (long long)floor);
		return -EPERM;
	}

	_cleanup_close_ int fd = openat(
		dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		r = negative_errno();
		errbuf_set(err, errlen, "cannot create the fill file in \"%s\": %s",
			   json_string_value(json_object_get(plan, "path")), strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0)
		return negative_errno();
	json_object_set_new(undo, "file_ino", json_integer((json_int_t)st.st_ino));

	bool use_write = streq(method, "write");
	if (!use_write) {
		if (fallocate(fd, 0, 0, (off_t)need) == 0) {
			size = need;
			if (streq(mode, "free"))
				r = settle_free(dir, fd, (uint64_t)target, &size);
			else
				r = 0;
			if (r < 0) {
				errbuf_set(err, errlen, "cannot allocate the fill file: %s",
					   strerror(-r));
				goto fail;
			}
		} else if ((errno == EOPNOTSUPP || errno == ENOSYS) && streq(method, "auto")) {
			use_write = true;
		} else {
			r = negative_errno();
			errbuf_set(err, errlen, "fallocate of %" PRIu64 " bytes failed: %s", need,
				   strerror(-r));
			goto fail;
		}
	}
	if (use_write) {
		int64_t at = write_zeros(fd, 0, need, WRITE_STEP);
		if (at < 0) {
			r = (int)at;
			errbuf_set(err, errlen, "cannot write the fill file: %s", strerror(-r));
			goto fail;
		}
		size = (uint64_t)at;
	}
	json_object_set_new(undo, "method_used", json_string(use_write ? "write" : "fallocate"));
	json_object_set_new(undo, "allocated_bytes", json_integer((json_int_t)size));
	json_object_set_new(undo, "goal_bytes", json_integer((json_int_t)need));
	json_object_set_new(undo, "done", json_boolean(size >= need || !use_write));
	*ret_undo = TAKE_PTR(undo);
	return 0;
fail:
	unlinkat(dir, name, 0);
	return r;
}

static int fill_revert(const json_t *undo, json_t **ret_report, char *err, size_t errlen)
{
	const char *name = json_string_value(json_object_get(undo, "name"));
	json_t *ino = json_object_get(undo, "file_ino");
	struct stat st;
	const char *outcome = "removed";

	if (!name_is_ours(name)) {
		errbuf_set(err, errlen, "malformed disk.fill state");
		return -EINVAL;
	}
	_cleanup_close_ int dir = open_dir(undo, err, errlen);
	if (dir == -ENOENT || dir == -ESTALE) {
		/* The directory is gone or replaced: the file went with it, or is
		 * not ours to look for elsewhere. */
		outcome = "directory gone";
	} else if (dir < 0) {
		return dir;
	} else if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT)
			return negative_errno();
		outcome = "already gone";
	} else if (!S_ISREG(st.st_mode) ||
		   (ino && (json_int_t)st.st_ino != json_integer_value(ino))) {
		/* Someone replaced our name with something else: not ours. */
		outcome = "replaced by another file; left alone";
	} else if (unlinkat(dir, name, 0) < 0 && errno != ENOENT) {
		int r = negative_errno();
		errbuf_set(err, errlen, "cannot remove the fill file %s: %s", name, strerror(-r));
		return r;
	}
	if (ret_report)
		*ret_report = json_pack("{s:s, s:s}", "file", name, "outcome", outcome);
	return 0;
}

/* Writing continues one step per tick until the goal; fallocate is done at once. */
static bool fill_tick(struct fault_instance *f, struct fault_env *env)
{
	json_t *u = f->undo;
	const char *name = json_string_value(json_object_get(u, "name"));
	uint64_t at = (uint64_t)json_integer_value(json_object_get(u, "allocated_bytes"));
	uint64_t goal = (uint64_t)json_integer_value(json_object_get(u, "goal_bytes"));
	struct stat st;

	if (json_is_true(json_object_get(u, "done")) || !name_is_ours(name))
		return false;
	_cleanup_close_ int dir = open_dir(u, NULL, 0);
	if (dir < 0)
		return false;
	_cleanup_close_ int fd = openat(dir, name, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) < 0 ||
	    (json_int_t)st.st_ino != json_integer_value(json_object_get(u, "file_ino")))
		return false;
	int64_t r = write_zeros(fd, at, goal, WRITE_STEP);
	bool done = r < 0 || (uint64_t)r >= goal;
	if (r >= 0)
		json_object_set_new(u, "allocated_bytes", json_integer((json_int_t)r));
	if (done) {
		json_object_set_new(u, "done", json_true());
		env->emit(env, f, "fill_reached",
			  json_pack("{s:I, s:s?}", "allocated_bytes",
				    json_integer_value(json_object_get(u, "allocated_bytes")),
				    "error", r < 0 ? strerror((int)-r) : NULL));
	}
	return true;
}

static char *fill_describe(const json_t *plan)
{
	char *s = NULL;
	const char *mode = json_string_value(json_object_get(plan, "mode"));
	if (asprintf(&s, "fill %s with %s: %lld bytes, %s %lld bytes",
		     json_string_value(json_object_get(plan, "path")) ?: "?",
		     json_string_value(json_object_get(plan, "name")) ?: "?",
		     (long long)json_integer_value(json_object_get(plan, "bytes")),
		     streq_ptr(mode, "free") ? "leaving" : "a file of",
		     (long long)json_integer_value(json_object_get(plan, "target_bytes"))) < 0)
		return NULL;
	return s;
}

const struct fault_ops disk_fill_ops = {
	.kind = "disk.fill",
	.duration = FAULT_DURATION_REQUIRED,
	.validate = fill_validate,
	.apply = fill_apply,
	.revert = fill_revert,
	.tick = fill_tick,
	.describe = fill_describe,
};
