/* SPDX-License-Identifier: Apache-2.0 */
/*
 * disk.pressure: an io_uring load generator on a path (design.md §4).
 *
 *   validate  params checked (the controller is untrusted), the path made
 *             canonical, io_uring and O_DIRECT probed, free space checked; the
 *             plan names every file apply will create, so that recovery after a
 *             crash can remove them from the intent record alone.
 *   apply     the files are created (reserved names, O_EXCL, reserved space).
 *   start     one restricted ring and one thread per worker (disk_uring.c).
 *   tick      progress events: the IOPS and bytes per second achieved.
 *   stop      the threads stop issuing at once and are joined.
 *   revert    the files we created are removed.
 *
 * If the injector dies, its threads die with it; the next start (or
 * `faultline recover`) replays the journal and removes the files.
 */
#include <limits.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "disk_path.h"
#include "disk_pressure_file.h"
#include "disk_uring.h"
#include "fault.h"
#include "macro.h"
#include "policy.h"
#include "protocol.h"
#include "time_util.h"

#define PRESSURE_MAX_WORKERS 64
#define PRESSURE_MIN_BLOCK 512
#define PRESSURE_MAX_BLOCK (1024 * 1024)
#define PRESSURE_DEFAULT_SIZE (256ULL * 1024 * 1024)
#define PRESSURE_MAX_SIZE (1ULL << 40)
#define PRESSURE_MAX_IOPS 10000000ULL
#define PRESSURE_MAX_BPS (1ULL << 40)
/* What must stay free on the filesystem after the files are reserved: 5% of it.
 * disk.fill exists for filling disks; this fault must not do it by accident. */
#define PRESSURE_FREE_FLOOR_PCT 5
#define PROGRESS_INTERVAL_NS (1000 * NSEC_PER_MSEC)

static const char *const mode_names[] = { "read", "write", "randrw" };

struct pressure_runtime {
	unsigned n;
	struct uring_worker *workers[PRESSURE_MAX_WORKERS];
	uint64_t last_ios, last_bytes, last_ns, next_emit_ns;
	bool running_reported, error_reported;
};

static int get_string(const json_t *params, const char *key, size_t maxlen, const char *def,
		      const char **ret, char *err, size_t errlen)
{
	int r = protocol_get_string(params, key, maxlen, ret);

	if (r < 0) {
		errbuf_set(err, errlen, "expected \"%s\" to be a string of at most %zu bytes", key,
			   maxlen);
		return r;
	}
	if (r == 0)
		*ret = def;
	return 0;
}

static int get_uint(const json_t *params, const char *key, uint64_t min, uint64_t max, uint64_t def,
		    uint64_t *ret, char *err, size_t errlen)
{
	int r = protocol_get_uint(params, key, min, max, ret);

	if (r < 0) {
		json_t *v = json_object_get(params, key);
		if (json_is_integer(v))
			errbuf_set(err, errlen, "expected \"%s\" from %llu to %llu, found %lld",
				   key, (unsigned long long)min, (unsigned long long)max,
				   (long long)json_integer_value(v));
		else
			errbuf_set(err, errlen,
				   "expected \"%s\" to be an integer from %llu to %llu", key,
				   (unsigned long long)min, (unsigned long long)max);
		return r;
	}
	if (r == 0)
		*ret = def;
	return 0;
}

static int mode_from_string(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(mode_names); i++)
		if (streq(s, mode_names[i]))
			return (int)i;
	return -EINVAL;
}

/* Refuses to reserve space that would leave less than the floor free. */
static int check_space(const char *dir, uint64_t need, char *err, size_t errlen)
{
	struct statvfs sv;

	if (statvfs(dir, &sv) < 0) {
		int r = negative_errno();
		errbuf_set(err, errlen, "cannot read the free space of %s: %s", dir, strerror(-r));
		return r;
	}
	uint64_t avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	uint64_t total = (uint64_t)sv.f_blocks * sv.f_frsize;
	uint64_t floor = total / 100 * PRESSURE_FREE_FLOOR_PCT;
	/* ramfs and the like report no size at all: there is nothing to check. */
	if (sv.f_blocks == 0)
		return 0;
	if (avail < floor || avail - floor < need) {
		errbuf_set(
			err, errlen,
			"the files need %llu bytes in %s, which has %llu available, and at least "
			"%llu must stay free; use a smaller size or fewer workers",
			(unsigned long long)need, dir, (unsigned long long)avail,
			(unsigned long long)floor);
		return -ENOSPC;
	}
	return 0;
}

static int pressure_validate(const json_t *params, const struct fault_context *ctx,
			     json_t **ret_plan, char *err, size_t errlen)
{
	static const char *const keys[] = {
		"path",	  "mode", "pattern",   "block_size",	     "queue_depth", "workers",
		"direct", "size", "rate_iops", "rate_bytes_per_sec", NULL
	};
	const char *path, *mode, *pattern;
	uint64_t bs, qd, workers, size, iops, bps;
	bool direct = true;
	struct stat st;
	int r;

	r = protocol_check_keys(params, keys, err, errlen);
	if (r < 0)
		return r;
	if ((r = get_string(params, "path", PATH_MAX - 1, NULL, &path, err, errlen)) < 0 ||
	    (r = get_string(params, "mode", 16, "read", &mode, err, errlen)) < 0 ||
	    (r = get_string(params, "pattern", 16, "random", &pattern, err, errlen)) < 0 ||
	    (r = get_uint(params, "block_size", PRESSURE_MIN_BLOCK, PRESSURE_MAX_BLOCK, 4096, &bs,
			  err, errlen)) < 0 ||
	    (r = get_uint(params, "queue_depth", 1, URING_MAX_QUEUE_DEPTH, 32, &qd, err, errlen)) <
		    0 ||
	    (r = get_uint(params, "workers", 1, PRESSURE_MAX_WORKERS, 1, &workers, err, errlen)) <
		    0 ||
	    (r = get_uint(params, "size", 1, PRESSURE_MAX_SIZE, 0, &size, err, errlen)) < 0 ||
	    (r = get_uint(params, "rate_iops", 1, PRESSURE_MAX_IOPS, 0, &iops, err, errlen)) < 0 ||
	    (r = get_uint(params, "rate_bytes_per_sec", 1, PRESSURE_MAX_BPS, 0, &bps, err,
			  errlen)) < 0)
		return r;
	if (!path || path[0] != '/') {
		errbuf_set(err, errlen, "expected \"path\" to be an absolute path");
		return -EINVAL;
	}
	if (mode_from_string(mode) < 0) {
		errbuf_set(err, errlen, "expected \"mode\" to be read, write or randrw");
		return -EINVAL;
	}
	if (!streq(pattern, "random") && !streq(pattern, "sequential")) {
		errbuf_set(err, errlen, "expected \"pattern\" to be random or sequential");
		return -EINVAL;
	}
	if (bs % PRESSURE_MIN_BLOCK) {
		errbuf_set(err, errlen,
			   "expected \"block_size\" to be a multiple of 512, found %llu",
			   (unsigned long long)bs);
		return -EINVAL;
	}
	json_t *d = json_object_get(params, "direct");
	if (d && !json_is_boolean(d)) {
		errbuf_set(err, errlen, "expected \"direct\" to be true or false");
		return -EINVAL;
	}
	if (d)
		direct = json_is_true(d);
	if (iops && bps) {
		errbuf_set(err, errlen, "give rate_iops or rate_bytes_per_sec, not both");
		return -EINVAL;
	}
	if (bps && bps < bs) {
		errbuf_set(err, errlen,
			   "rate_bytes_per_sec %llu is below one block_size (%llu) per second",
			   (unsigned long long)bps, (unsigned long long)bs);
		return -EINVAL;
	}

	/* The canonical path: symlinks the user wrote are resolved once, here; apply
	 * then follows none, so a symlink swapped in later is refused. */
	_cleanup_free_ char *canon = realpath(path, NULL);
	if (!canon) {
		r = negative_errno();
		errbuf_set(err, errlen, "cannot resolve path %s: %s", path, strerror(-r));
		return r;
	}
	/* Never /proc, /sys or /dev, and only where the policy lets disk faults go:
	 * the path as written and where it leads. */
	r = disk_path_check(canon, "path", err, errlen);
	if (r < 0)
		return r;
	const char *refusal = policy_refuse_path(ctx->policy, path);
	if (!refusal)
		refusal = policy_refuse_path(ctx->policy, canon);
	if (refusal) {
		errbuf_set(err, errlen, "path %s (%s): %s", path, canon, refusal);
		return -EPERM;
	}
	if (stat(canon, &st) < 0) {
		r = negative_errno();
		errbuf_set(err, errlen, "cannot stat %s: %s", canon, strerror(-r));
		return r;
	}
	bool is_dir = S_ISDIR(st.st_mode);
	if (!is_dir && !S_ISREG(st.st_mode)) {
		errbuf_set(err, errlen, "%s is neither a directory nor a regular file", canon);
		return -EINVAL;
	}
	_cleanup_free_ char *dir = strdup(canon);
	if (!dir)
		return -ENOMEM;
	const char *file = NULL;
	if (!is_dir) {
		/* The safety rule: a file we did not create is only ever read. */
		if (!streq(mode, "read")) {
			errbuf_set(
				err, errlen,
				"%s is an existing file, which disk.pressure only reads; for "
				"mode %s give a directory, in which it writes to files of its own",
				canon, mode);
			return -EPERM;
		}
		if (size) {
			errbuf_set(err, errlen,
				   "\"size\" applies to a directory; %s is a file, read whole",
				   canon);
			return -EINVAL;
		}
		if ((uint64_t)st.st_size < bs) {
			errbuf_set(err, errlen, "%s holds %lld bytes, less than one block of %llu",
				   canon, (long long)st.st_size, (unsigned long long)bs);
			return -EINVAL;
		}
		char *slash = strrchr(dir, '/');
		file = canon + (slash - dir) + 1;
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
	} else {
		if (!size)
			size = PRESSURE_DEFAULT_SIZE;
		size -= size % bs;
		if (size < bs) {
			errbuf_set(err, errlen,
				   "\"size\" must hold at least one block of %llu bytes",
				   (unsigned long long)bs);
			return -EINVAL;
		}
	}
	if (direct) {
		r = pressure_probe_direct(dir, is_dir ? NULL : canon, (uint32_t)bs, err, errlen);
		if (r < 0)
			return r;
	}
	if (is_dir) {
		r = check_space(dir, size * workers, err, errlen);
		if (r < 0)
			return r;
	}
	r = uring_probe(err, errlen);
	if (r < 0)
		return r;

	/* The names apply will create, fixed now so that the intent record holds
	 * them: a random token makes them unique and never someone else's. */
	uint64_t token;
	if (getrandom(&token, sizeof(token), 0) != sizeof(token))
		return negative_errno();
	_cleanup_json_ json_t *files = json_array();
	if (!files)
		return -ENOMEM;
	for (uint64_t i = 0; is_dir && i < workers; i++) {
		char name[96];
		snprintf(name, sizeof(name), PRESSURE_FILE_PREFIX "%016llx-%llu",
			 (unsigned long long)token, (unsigned long long)i);
		if (json_array_append_new(files, json_string(name)) < 0)
			return -ENOMEM;
	}

	json_t *plan =
		json_pack("{s:s, s:s, s:s?, s:O, s:s, s:s, s:I, s:I, s:I, s:b, s:I, s:I}", "path",
			  canon, "dir", dir, "file", file, "files", files, "mode", mode, "pattern",
			  pattern, "block_size", (json_int_t)bs, "queue_depth", (json_int_t)qd,
			  "workers", (json_int_t)workers, "direct", direct, "size",
			  (json_int_t)size, "rng_seed", (json_int_t)(token >> 12));
	if (!plan)
		return -ENOMEM;
	if ((iops && json_object_set_new(plan, "rate_iops", json_integer((json_int_t)iops)) < 0) ||
	    (bps &&
	     json_object_set_new(plan, "rate_bytes_per_sec", json_integer((json_int_t)bps)) < 0)) {
		json_decref(plan);
		return -ENOMEM;
	}
	*ret_plan = plan;
	return 0;
}

static const char *plan_str(const json_t *plan, const char *key)
{
	return json_string_value(json_object_get(plan, key));
}

static uint64_t plan_uint(const json_t *plan, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(plan, key));
	return v > 0 ? (uint64_t)v : 0;
}

/* The identity apply recorded ({"dev","ino","btime_ns"}); all zero when in is
 * NULL (nothing recorded). */
static struct pressure_file_id id_from(const json_t *in)
{
	return (struct pressure_file_id){
		.dev = plan_uint(in, "dev"),
		.ino = plan_uint(in, "ino"),
		.btime_ns = plan_uint(in, "btime_ns"),
	};
}

static int pressure_apply(const json_t *plan, json_t **ret_undo, char *err, size_t errlen)
{
	const char *dir = plan_str(plan, "dir");
	json_t *files = json_object_get(plan, "files");
	_cleanup_json_ json_t *undo = json_deep_copy(plan);
	_cleanup_json_ json_t *inodes = json_array();
	size_t i;
	json_t *name;
	int r = 0;

	if (!dir || !json_is_array(files))
		return -EINVAL;
	if (!undo || !inodes)
		return -ENOMEM;
	_cleanup_close_ int dirfd = pressure_open_dir(dir);
	if (dirfd < 0) {
		errbuf_set(err, errlen, "cannot open directory %s%s: %s", dir,
			   dirfd == -ELOOP ? " (a symlink appeared in the path)" : "",
			   strerror(-dirfd));
		return dirfd;
	}
	json_array_foreach(files, i, name) {
		struct pressure_file_id made;
		r = pressure_create_file(
			dirfd, dir, json_string_value(name), plan_uint(plan, "size"),
			json_is_true(json_object_get(plan, "direct")), &made, err, errlen);
		if (r < 0)
			break;
		if (json_array_append_new(inodes,
					  json_pack("{s:I, s:I, s:I}", "dev", (json_int_t)made.dev,
						    "ino", (json_int_t)made.ino, "btime_ns",
						    (json_int_t)made.btime_ns)) < 0) {
			r = -ENOMEM;
			break;
		}
	}
	if (r < 0) {
		/* Undo our own partial work: the files created so far. */
		for (size_t j = 0; j < json_array_size(inodes); j++) {
			struct pressure_file_id id = id_from(json_array_get(inodes, j));
			pressure_remove_file(dirfd, json_string_value(json_array_get(files, j)),
					     &id);
		}
		return r;
	}
	if (json_object_set(undo, "inodes", inodes) < 0)
		return -ENOMEM;
	*ret_undo = TAKE_PTR(undo);
	return 0;
}

static int pressure_revert(const json_t *undo, json_t **ret_report, char *err, size_t errlen)
{
	const char *dir = plan_str(undo, "dir");
	json_t *files = json_object_get(undo, "files");
	json_t *inodes = json_object_get(undo, "inodes");
	unsigned removed = 0;
	int first_error = 0;
	size_t i;
	json_t *name;

	if (!dir || !json_is_array(files))
		return -EINVAL;
	if (json_array_size(files) > 0) {
		_cleanup_close_ int dirfd = pressure_open_dir(dir);
		if (dirfd == -ENOENT)
			goto report; /* the directory is gone, and our files with it */
		if (dirfd < 0) {
			errbuf_set(err, errlen, "cannot open %s to remove the pressure files: %s",
				   dir, strerror(-dirfd));
			return dirfd;
		}
		json_array_foreach(files, i, name) {
			struct pressure_file_id id = id_from(json_array_get(inodes, i));
			int r = pressure_remove_file(dirfd, json_string_value(name), &id);
			if (r > 0)
				removed++;
			else if (r == -ESTALE || r == -EINVAL)
				/* Not the inode we made, or not one of our names (a
				 * damaged journal): someone else's. Leave it. */
				continue;
			else if (r < 0 && !first_error) {
				first_error = r;
				errbuf_set(err, errlen, "cannot remove %s/%s: %s", dir,
					   json_string_value(name), strerror(-r));
			}
		}
	}
	if (first_error)
		return first_error;
report:
	if (ret_report)
		*ret_report = json_pack("{s:i, s:O?, s:O?, s:O?}", "files_removed", (int)removed,
					"ios", json_object_get(undo, "ios"), "bytes",
					json_object_get(undo, "bytes"), "running_ms",
					json_object_get(undo, "running_ms"));
	return 0;
}

static void runtime_free(struct pressure_runtime *rt)
{
	if (!rt)
		return;
	for (unsigned i = 0; i < rt->n; i++)
		uring_worker_request_stop(rt->workers[i]);
	for (unsigned i = 0; i < rt->n; i++)
		rt->workers[i] = uring_worker_free(rt->workers[i]);
	free(rt);
}

static int pressure_start(struct fault_instance *f, struct fault_env *env)
{
	const json_t *u = f->undo;
	const char *dir = plan_str(u, "dir"), *file = plan_str(u, "file");
	json_t *files = json_object_get(u, "files");
	int mode = mode_from_string(plan_str(u, "mode") ?: "");
	bool direct = json_is_true(json_object_get(u, "direct"));
	uint64_t bs = plan_uint(u, "block_size"), workers = plan_uint(u, "workers");
	uint64_t iops = plan_uint(u, "rate_iops"), bps = plan_uint(u, "rate_bytes_per_sec");
	char err[256] = "";
	int r;

	if (!dir || mode < 0 || !bs || !workers || workers > PRESSURE_MAX_WORKERS)
		return -EINVAL;
	struct pressure_runtime *rt = calloc(1, sizeof(*rt));
	if (!rt)
		return -ENOMEM;
	_cleanup_close_ int dirfd = pressure_open_dir(dir);
	if (dirfd < 0) {
		free(rt);
		return dirfd;
	}
	/* Per worker: the whole rate split evenly. */
	double rate = iops ? (double)iops : bps ? (double)bps / (double)bs : 0;
	for (uint64_t i = 0; i < workers; i++) {
		struct pressure_file_id id =
			id_from(json_array_get(json_object_get(u, "inodes"), i));
		const char *name = file ?: json_string_value(json_array_get(files, i));
		uint64_t size;
		_cleanup_close_ int fd =
			pressure_open_file(dirfd, dir, name ?: "", !file || mode != URING_READ,
					   direct, &id, &size, err, sizeof(err));
		if (fd < 0) {
			r = fd;
			goto fail;
		}
		uint64_t used = file ? size - size % bs : plan_uint(u, "size");
		struct uring_worker_config cfg = {
			.fd = fd,
			.file_size = used,
			.block_size = (uint32_t)bs,
			.queue_depth = (uint32_t)plan_uint(u, "queue_depth"),
			.mode = (enum uring_mode)mode,
			.random = streq_ptr(plan_str(u, "pattern"), "random"),
			.layout = !file,
			/* Workers sharing a file start spread over it. */
			.start_offset = file ? (used / bs) * i / workers * bs : 0,
			.rate_ops = rate / (double)workers,
			.seed = plan_uint(u, "rng_seed") * 2654435761ULL + i + 1,
		};
		r = uring_worker_new(&cfg, &rt->workers[rt->n], err, sizeof(err));
		if (r < 0)
			goto fail;
		rt->n++;
	}
	for (unsigned i = 0; i < rt->n; i++) {
		r = uring_worker_start(rt->workers[i]);
		if (r < 0) {
			snprintf(err, sizeof(err), "cannot start worker thread %u: %s", i,
				 strerror(-r));
			goto fail;
		}
	}
	rt->last_ns = env->now_ns;
	rt->next_emit_ns = env->now_ns + PROGRESS_INTERVAL_NS;
	f->runtime = rt;
	return 0;
fail:
	/* The registry reverts the fault (start_required) and fails the apply with
	 * this message. */
	errbuf_set(env->err, env->errlen, "%s", err);
	runtime_free(rt);
	return r;
}

static void runtime_totals(struct pressure_runtime *rt, struct uring_stats *ret, bool *ret_running,
			   uint64_t *ret_since)
{
	*ret = (struct uring_stats){ 0 };
	*ret_running = rt->n > 0;
	*ret_since = 0;
	for (unsigned i = 0; i < rt->n; i++) {
		struct uring_stats s;
		uring_worker_stats(rt->workers[i], &s);
		ret->ios += s.ios;
		ret->bytes += s.bytes;
		ret->reads += s.reads;
		ret->writes += s.writes;
		if (s.phase != URING_PHASE_RUNNING)
			*ret_running = false;
		if (s.running_since_ns && (!*ret_since || s.running_since_ns < *ret_since))
			*ret_since = s.running_since_ns;
		if (s.error && !ret->error) {
			ret->error = s.error;
			ret->short_io = s.short_io;
		}
	}
}

/* Progress once a second, and at once when every worker has finished laying out
 * its file; a worker that failed is reported once, loudly: the fault then does
 * less than asked. */
static bool pressure_tick(struct fault_instance *f, struct fault_env *env)
{
	struct pressure_runtime *rt = f->runtime;
	struct uring_stats t;
	bool running;
	uint64_t since;

	if (!rt)
		return false;
	runtime_totals(rt, &t, &running, &since);
	if (t.error && !rt->error_reported) {
		char msg[256];
		rt->error_reported = true;
		snprintf(msg, sizeof(msg),
			 "a worker stopped: %s; the pressure is lower than asked from now on",
			 t.short_io ? "a short transfer" : strerror(-t.error));
		env->emit(env, f, "fault_failed",
			  json_pack("{s:s, s:s}", "phase", "running", "message", msg));
	}
	bool first_running = running && !rt->running_reported;
	if (!first_running && env->now_ns < rt->next_emit_ns)
		return false;
	uint64_t dt = env->now_ns - rt->last_ns;
	double iops = dt ? (double)(t.ios - rt->last_ios) * 1e9 / (double)dt : 0;
	double bps = dt ? (double)(t.bytes - rt->last_bytes) * 1e9 / (double)dt : 0;
	json_t *fields = json_pack(
		"{s:s, s:I, s:I, s:I, s:I, s:I}", "phase", running ? "running" : "layout", "ios",
		(json_int_t)t.ios, "bytes", (json_int_t)t.bytes, "reads", (json_int_t)t.reads,
		"writes", (json_int_t)t.writes, "interval_ms", (json_int_t)(dt / NSEC_PER_MSEC));
	/* The first event of the running phase marks its start; rates follow. */
	if (fields && running && !first_running) {
		json_object_set_new(fields, "iops", json_real(iops));
		json_object_set_new(fields, "bytes_per_sec", json_real(bps));
	}
	env->emit(env, f, "pressure_progress", fields);
	rt->running_reported = rt->running_reported || running;
	rt->last_ios = t.ios;
	rt->last_bytes = t.bytes;
	rt->last_ns = env->now_ns;
	rt->next_emit_ns = env->now_ns + PROGRESS_INTERVAL_NS;
	return false;
}

/* Stops issuing at once (each worker looks at its flag at least every 10 ms),
 * waits for what is in flight, and keeps the totals for the revert's report. */
static void pressure_stop(struct fault_instance *f)
{
	struct pressure_runtime *rt = f->runtime;
	struct uring_stats t;
	bool running;
	uint64_t since;

	if (!rt)
		return;
	for (unsigned i = 0; i < rt->n; i++)
		uring_worker_request_stop(rt->workers[i]);
	for (unsigned i = 0; i < rt->n; i++)
		uring_worker_join(rt->workers[i]);
	runtime_totals(rt, &t, &running, &since);
	json_object_set_new(f->undo, "ios", json_integer((json_int_t)t.ios));
	json_object_set_new(f->undo, "bytes", json_integer((json_int_t)t.bytes));
	if (since)
		json_object_set_new(
			f->undo, "running_ms",
			json_integer((json_int_t)((now_monotonic_ns() - since) / NSEC_PER_MSEC)));
	runtime_free(rt);
	f->runtime = NULL;
}

static char *pressure_describe(const json_t *plan)
{
	char rate[64] = "unlimited", *s = NULL;
	uint64_t bs = plan_uint(plan, "block_size");
	size_t nfiles = json_array_size(json_object_get(plan, "files"));

	if (plan_uint(plan, "rate_iops"))
		snprintf(rate, sizeof(rate), "%llu IOPS",
			 (unsigned long long)plan_uint(plan, "rate_iops"));
	else if (plan_uint(plan, "rate_bytes_per_sec"))
		snprintf(rate, sizeof(rate), "%llu bytes/s",
			 (unsigned long long)plan_uint(plan, "rate_bytes_per_sec"));
	if (asprintf(&s,
		     "io_uring %s %s, %llu-byte blocks, queue depth %llu, %llu worker(s), %s, %s, "
		     "on %s%s",
		     plan_str(plan, "pattern") ?: "?", plan_str(plan, "mode") ?: "?",
		     (unsigned long long)bs, (unsigned long long)plan_uint(plan, "queue_depth"),
		     (unsigned long long)plan_uint(plan, "workers"),
		     json_is_true(json_object_get(plan, "direct")) ? "O_DIRECT" : "buffered", rate,
		     plan_str(plan, "path") ?: "?",
		     nfiles ? " (in files of its own, removed on revert)" : " (read only)") < 0)
		return NULL;
	return s;
}

const struct fault_ops disk_pressure_ops = {
	.kind = "disk.pressure",
	.duration = FAULT_DURATION_REQUIRED,
	.start_required = true,
	.validate = pressure_validate,
	.apply = pressure_apply,
	.revert = pressure_revert,
	.start = pressure_start,
	.tick = pressure_tick,
	.stop = pressure_stop,
	.describe = pressure_describe,
};
