/* SPDX-License-Identifier: Apache-2.0 */
/*
 * disk.throttle: per-device I/O limits for one cgroup (design §4), through
 * io.max on cgroup v2 or blkio.throttle.* on cgroup v1 (disk_cgroup.h).
 *
 * Params (from the controller, untrusted):
 *   path        absolute path; the limits apply to the disk behind it (a
 *               partition resolves to its whole disk)
 *   target      {"cgroup": "/a/b"} | {"pid": N} (its cgroup) | {"unit": "x.service"}
 *   rbps, wbps  bytes per second      at least one of the four, each >= 1
 *   riops, wiops  I/Os per second
 *   move_pid    optional pid, in the target cgroup: placed into a throwaway
 *               cgroup "faultline-throttle-HEX" that gets the limits instead, so
 *               that the rest of the target cgroup is not throttled. On v1 it is
 *               a child of the target; on v2 a sibling (a child of the target's
 *               parent), because v2 gives no controller to a cgroup whose parent
 *               holds processes.
 *
 * Plan (the intent record): hierarchy version, device, the limited cgroup, the
 * limits, and "before": the device's previous line(s), read before anything is
 * written; with move_pid, the pid (with its start time), where it came from and
 * the throwaway cgroup. The undo state is the plan. A revert writes "before"
 * back exactly (v1: the old value, or 0 = no line; v2: the old line, or every
 * limit "max" = no line), or, with move_pid, moves every process of the
 * throwaway cgroup back and removes it.
 *
 * Ownership: two active throttles of this injector never hold the same cgroup
 * and device, since the second revert would put back the first one's limits.
 * The root cgroup is never a target, nor a cgroup holding the injector.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "disk_cgroup.h"
#include "disk_path.h"
#include "fault.h"
#include "macro.h"
#include "policy.h"
#include "proc_target.h"
#include "procfs.h"
#include "protocol.h"

#define THROTTLE_CHILD_PREFIX "faultline-throttle-"
#define THROTTLE_MAX_VALUE (1ULL << 50)
#define THROTTLE_MAX_ACTIVE 1024

/* The (version, cgroup, device) triples this injector holds limits on. The
 * registry's exclusivity is about processes; this is the same rule for limits. */
static char *active[THROTTLE_MAX_ACTIVE];

static char *active_key(const json_t *state)
{
	char *s = NULL;
	if (asprintf(&s, "v%lld %s %s",
		     (long long)json_integer_value(json_object_get(state, "version")),
		     json_string_value(json_object_get(state, "device")) ?: "?",
		     json_string_value(json_object_get(state, "cgroup")) ?: "?") < 0)
		return NULL;
	return s;
}

static int active_find(const char *key)
{
	for (int i = 0; i < THROTTLE_MAX_ACTIVE; i++)
		if (active[i] && streq(active[i], key))
			return i;
	return -1;
}

static void active_forget(const json_t *state)
{
	_cleanup_free_ char *key = active_key(state);
	int i = key ? active_find(key) : -1;
	if (i >= 0)
		active[i] = mfree(active[i]);
}

static int active_add(const json_t *state)
{
	_cleanup_free_ char *key = active_key(state);
	if (!key)
		return -ENOMEM;
	if (active_find(key) >= 0)
		return -EBUSY;
	for (int i = 0; i < THROTTLE_MAX_ACTIVE; i++)
		if (!active[i]) {
			active[i] = TAKE_PTR(key);
			return 0;
		}
	return -EBUSY;
}

static int read_limits_param(const json_t *params, uint64_t values[IO_LIMIT_COUNT],
			     bool set[IO_LIMIT_COUNT], char *err, size_t errlen)
{
	int n = 0;

	for (int l = 0; l < IO_LIMIT_COUNT; l++) {
		int r = protocol_get_uint(params, io_limit_names[l], 1, THROTTLE_MAX_VALUE,
					  &values[l]);
		if (r < 0) {
			errbuf_set(err, errlen, "expected \"%s\" to be an integer from 1 to %llu",
				   io_limit_names[l], (unsigned long long)THROTTLE_MAX_VALUE);
			return -EINVAL;
		}
		set[l] = r == 1;
		n += r;
	}
	if (n == 0) {
		errbuf_set(err, errlen,
			   "disk.throttle needs at least one of rbps, wbps, riops, wiops");
		return -EINVAL;
	}
	return 0;
}

/* The target cgroup, from exactly one of cgroup, pid or unit. */
static int resolve_target(const json_t *target, enum cgroup_version version, int root, char **ret,
			  char *err, size_t errlen)
{
	static const char *const keys[] = { "cgroup", "pid", "unit", NULL };
	const char *cgroup = NULL, *unit = NULL;
	uint64_t pid = 0;
	int r;

	if (!json_is_object(target)) {
		errbuf_set(err, errlen,
			   "expected \"target\" to be an object with cgroup, pid or unit");
		return -EINVAL;
	}
	r = protocol_check_keys(target, keys, err, errlen);
	if (r < 0)
		return r;
	if (json_object_size(target) != 1) {
		errbuf_set(err, errlen,
			   "expected \"target\" to name exactly one of cgroup, pid or unit");
		return -EINVAL;
	}
	if (protocol_get_string(target, "cgroup", 4095, &cgroup) < 0 ||
	    protocol_get_string(target, "unit", 255, &unit) < 0 ||
	    protocol_get_uint(target, "pid", 1, PROC_PID_MAX, &pid) < 0) {
		errbuf_set(err, errlen,
			   "expected target.cgroup to be a cgroup path, target.unit a unit "
			   "name, or target.pid a pid");
		return -EINVAL;
	}
	if (cgroup) {
		r = disk_cgroup_normalize(cgroup, ret);
		if (r == -EINVAL)
			errbuf_set(err, errlen,
				   "expected target.cgroup to be a cgroup path of printable "
				   "characters without . or .. components");
		return r;
	}
	if (unit) {
		if (strchr(unit, '/') || streq(unit, ".") || streq(unit, "..") ||
		    !strchr(unit, '.')) {
			errbuf_set(err, errlen,
				   "expected target.unit to be a unit name such as "
				   "nginx.service");
			return -EINVAL;
		}
		r = disk_cgroup_of_unit(root, unit, ret, err, errlen);
		/* systemd makes a unit's blkio cgroup only when it accounts its I/O. */
		if (r == -ENOENT && version == CGROUP_V1)
			errbuf_set(
				err, errlen,
				"no cgroup is named after unit %s in the cgroup v1 blkio hierarchy "
				"(is it running, with IOAccounting=yes?)",
				unit);
		return r;
	}
	struct proc_stat st;
	r = procfs_read_stat((pid_t)pid, &st);
	if (r < 0) {
		errbuf_set(err, errlen, "no process %llu: %s", (unsigned long long)pid,
			   strerror(-r));
		return r == -ENOENT ? -ESRCH : r;
	}
	r = disk_cgroup_of_pid(version, (pid_t)pid, ret);
	if (r < 0)
		errbuf_set(err, errlen, "cannot read the cgroup of pid %llu: %s",
			   (unsigned long long)pid, strerror(-r));
	return r;
}

static bool cgroup_is_at_or_below(const char *path, const char *cgroup)
{
	size_t n = strlen(cgroup);
	if (streq(cgroup, "/"))
		return true;
	return strncmp(path, cgroup, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* The cgroup that gets limits must exist, must not be the root, and must not hold
 * the injector: a throttled journal would stall every fault's bookkeeping. */
static int check_cgroup(int root, enum cgroup_version version, const char *cgroup, char *err,
			size_t errlen)
{
	_cleanup_free_ char *self = NULL;

	if (streq(cgroup, "/")) {
		errbuf_set(err, errlen,
			   "the root cgroup is never a target: its limits would throttle "
			   "the whole machine");
		return -EPERM;
	}
	_cleanup_close_ int dir = disk_cgroup_open_dir(root, cgroup);
	if (dir < 0) {
		errbuf_set(err, errlen, "cgroup %s does not exist in the cgroup v%d hierarchy: %s",
			   cgroup, (int)version, strerror(-dir));
		return dir == -ENOENT ? -ENOENT : dir;
	}
	if (disk_cgroup_of_pid(version, getpid(), &self) == 0 &&
	    cgroup_is_at_or_below(self, cgroup)) {
		errbuf_set(err, errlen,
			   "cgroup %s holds the injector itself (in %s); refusing to "
			   "throttle it",
			   cgroup, self);
		return -EPERM;
	}
	return 0;
}

static char *parent_of(const char *cgroup)
{
	const char *slash = strrchr(cgroup, '/');
	if (!slash || slash == cgroup)
		return strdup("/");
	return strndup(cgroup, (size_t)(slash - cgroup));
}

/* move_pid: the process, checked against the blast-radius rules, must be in the
 * target cgroup. Adds "move" to plan and returns the cgroup that gets limits. */
static int plan_move(json_t *plan, uint64_t pid, enum cgroup_version version, const char *target,
		     const struct fault_context *ctx, char **ret_cgroup, char *err, size_t errlen)
{
	_cleanup_free_ char *cur = NULL, *parent = NULL, *cgroup = NULL;
	struct proc_stat st;
	uint8_t rnd[6];
	char child[64];
	int r;

	r = procfs_read_stat((pid_t)pid, &st);
	if (r < 0) {
		errbuf_set(err, errlen, "move_pid: no process %llu", (unsigned long long)pid);
		return -ESRCH;
	}
	const char *why = proc_blast_radius_refusal(&st, ctx);
	if (why) {
		errbuf_set(err, errlen, "move_pid %llu refused: %s", (unsigned long long)pid, why);
		return -EPERM;
	}
	r = disk_cgroup_of_pid(version, (pid_t)pid, &cur);
	if (r < 0) {
		errbuf_set(err, errlen, "move_pid: cannot read the cgroup of pid %llu: %s",
			   (unsigned long long)pid, strerror(-r));
		return r;
	}
	if (!streq(cur, target)) {
		errbuf_set(err, errlen, "move_pid: pid %llu is in cgroup %s, not in the target %s",
			   (unsigned long long)pid, cur, target);
		return -EINVAL;
	}
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		return -EIO;
	snprintf(child, sizeof(child), THROTTLE_CHILD_PREFIX "%02x%02x%02x%02x%02x%02x", rnd[0],
		 rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
	parent = version == CGROUP_V2 ? parent_of(target) : strdup(target);
	if (!parent)
		return -ENOMEM;
	if (asprintf(&cgroup, "%s%s%s", parent, streq(parent, "/") ? "" : "/", child) < 0)
		return -ENOMEM;
	if (json_object_set_new(plan, "move",
				json_pack("{s:I, s:I, s:s, s:s, s:s, s:s}", "pid", (json_int_t)pid,
					  "starttime", (json_int_t)st.starttime, "comm", st.comm,
					  "from", cur, "parent", parent, "child", child)) < 0)
		return -ENOMEM;
	*ret_cgroup = TAKE_PTR(cgroup);
	return 0;
}

static int throttle_validate(const json_t *params, const struct fault_context *ctx,
			     json_t **ret_plan, char *err, size_t errlen)
{
	static const char *const keys[] = { "path",  "target", "rbps",	   "wbps",
					    "riops", "wiops",  "move_pid", NULL };
	_cleanup_free_ char *target = NULL, *cgroup = NULL;
	_cleanup_json_ json_t *plan = NULL, *before = NULL, *limits = NULL;
	_cleanup_close_ int root = -1, fd = -1;
	uint64_t values[IO_LIMIT_COUNT] = { 0 }, move_pid = 0;
	bool set[IO_LIMIT_COUNT];
	enum cgroup_version version;
	struct disk_dev dev;
	bool partition = false;
	const char *path = NULL;
	char devname[32];
	int r;

	/* Trust boundary: every field is checked here, before the journal or the
	 * kernel sees anything. */
	if (!json_is_object(params)) {
		errbuf_set(err, errlen, "disk.throttle parameters must be an object");
		return -EINVAL;
	}
	r = protocol_check_keys(params, keys, err, errlen);
	if (r < 0)
		return r;
	if (protocol_get_string(params, "path", DISK_PATH_MAX, &path) != 1) {
		errbuf_set(err, errlen,
			   "disk.throttle needs \"path\", an absolute path on the disk "
			   "to throttle");
		return -EINVAL;
	}
	r = read_limits_param(params, values, set, err, errlen);
	if (r < 0)
		return r;
	if (protocol_get_uint(params, "move_pid", 2, PROC_PID_MAX, &move_pid) < 0) {
		errbuf_set(err, errlen, "expected \"move_pid\" to be a pid from 2 to %d",
			   PROC_PID_MAX);
		return -EINVAL;
	}

	fd = disk_path_open(path, O_PATH, false, "path", err, errlen);
	if (fd < 0)
		return fd;
	r = disk_path_check_policy(ctx->policy, path, fd, err, errlen);
	if (r < 0)
		return r;
	r = disk_path_block_device(fd, path, &dev, &partition, err, errlen);
	if (r < 0)
		return r;
	r = disk_cgroup_open_hierarchy(&version, &root, err, errlen);
	if (r < 0)
		return r;
	r = resolve_target(json_object_get(params, "target"), version, root, &target, err, errlen);
	if (r < 0)
		return r;
	r = check_cgroup(root, version, target, err, errlen);
	if (r < 0)
		return r;
	const char *refusal = policy_refuse_cgroup(ctx->policy, target);
	if (refusal) {
		errbuf_set(err, errlen, "cgroup %s: %s", target, refusal);
		return -EPERM;
	}

	snprintf(devname, sizeof(devname), "%u:%u", dev.major, dev.minor);
	limits = json_object();
	plan = json_pack("{s:i, s:s, s:b, s:s, s:s}", "version", (int)version, "device", devname,
			 "partition", partition, "path", path, "target_cgroup", target);
	if (!plan || !limits)
		return -ENOMEM;
	for (int l = 0; l < IO_LIMIT_COUNT; l++)
		if (set[l])
			json_object_set_new(limits, io_limit_names[l],
					    json_integer((json_int_t)values[l]));
	json_object_set(plan, "limits", limits);

	if (move_pid) {
		r = plan_move(plan, move_pid, version, target, ctx, &cgroup, err, errlen);
		if (r < 0)
			return r;
		/* A cgroup we are about to create has no limits. */
		before = version == CGROUP_V2 ? json_pack("{s:n}", "io_max") :
						json_pack("{s:n, s:n, s:n, s:n}", "rbps", "wbps",
							  "riops", "wiops");
		if (!before)
			return -ENOMEM;
	} else {
		cgroup = strdup(target);
		if (!cgroup)
			return -ENOMEM;
		r = disk_cgroup_read_limits(root, version, cgroup, dev, &before, err, errlen);
		if (r < 0)
			return r;
	}
	json_object_set_new(plan, "cgroup", json_string(cgroup));
	json_object_set(plan, "before", before);

	_cleanup_free_ char *key = active_key(plan);
	if (!key)
		return -ENOMEM;
	if (active_find(key) >= 0) {
		errbuf_set(err, errlen,
			   "cgroup %s already has a disk.throttle of this injector on "
			   "device %s",
			   cgroup, devname);
		return -EBUSY;
	}
	*ret_plan = TAKE_PTR(plan);
	return 0;
}

/* The parts of a plan or undo state apply and revert use; strings borrowed. */
struct throttle_state {
	enum cgroup_version version;
	struct disk_dev dev;
	const char *cgroup;
	uint64_t values[IO_LIMIT_COUNT];
	bool set[IO_LIMIT_COUNT];
	const json_t *before;
	const json_t *move;
	const char *from, *parent, *child;
	pid_t pid;
	uint64_t starttime;
};

static int state_read(const json_t *s, struct throttle_state *ret, char *err, size_t errlen)
{
	struct throttle_state t = { 0 };
	json_t *limits = json_object_get(s, "limits");
	json_int_t version = json_integer_value(json_object_get(s, "version"));
	_cleanup_free_ char *norm = NULL;

	t.cgroup = json_string_value(json_object_get(s, "cgroup"));
	t.before = json_object_get(s, "before");
	t.move = json_object_get(s, "move");
	if ((version != CGROUP_V1 && version != CGROUP_V2) || !t.cgroup ||
	    disk_cgroup_normalize(t.cgroup, &norm) < 0 || !streq(norm, t.cgroup) ||
	    streq(t.cgroup, "/") || !json_is_object(t.before) || !json_is_object(limits) ||
	    disk_dev_parse(json_string_value(json_object_get(s, "device")), &t.dev) < 0)
		goto bad;
	t.version = (enum cgroup_version)version;
	for (int l = 0; l < IO_LIMIT_COUNT; l++) {
		int r = protocol_get_uint(limits, io_limit_names[l], 1, THROTTLE_MAX_VALUE,
					  &t.values[l]);
		if (r < 0)
			goto bad;
		t.set[l] = r == 1;
	}
	if (t.move) {
		t.from = json_string_value(json_object_get(t.move, "from"));
		t.parent = json_string_value(json_object_get(t.move, "parent"));
		t.child = json_string_value(json_object_get(t.move, "child"));
		json_int_t pid = json_integer_value(json_object_get(t.move, "pid"));
		if (!t.from || !t.parent || !t.child || pid < 2 || pid > PROC_PID_MAX ||
		    strncmp(t.child, THROTTLE_CHILD_PREFIX, strlen(THROTTLE_CHILD_PREFIX)) != 0 ||
		    strchr(t.child, '/') || strlen(t.child) > 64)
			goto bad;
		t.pid = (pid_t)pid;
		t.starttime = (uint64_t)json_integer_value(json_object_get(t.move, "starttime"));
	}
	*ret = t;
	return 0;
bad:
	errbuf_set(err, errlen, "malformed disk.throttle state");
	return -EINVAL;
}

static int open_root(enum cgroup_version version, char *err, size_t errlen)
{
	int root = disk_cgroup_open_root(version);
	if (root < 0)
		errbuf_set(err, errlen, "the cgroup v%d hierarchy is not mounted any more",
			   (int)version);
	return root;
}

/* Removes the throwaway cgroup after moving whatever is in it back. */
static int remove_child(int root, const struct throttle_state *t, char *err, size_t errlen)
{
	_cleanup_close_ int parent = disk_cgroup_open_dir(root, t->parent);
	int r;

	if (parent == -ENOENT)
		return 0;
	if (parent < 0) {
		errbuf_set(err, errlen, "cannot open cgroup %s: %s", t->parent, strerror(-parent));
		return parent;
	}
	r = disk_cgroup_move_all(root, t->cgroup, t->from);
	if (r == -ENOENT)
		return 0; /* never created, or already removed */
	if (r < 0) {
		errbuf_set(err, errlen, "cannot move the processes of %s back to %s: %s", t->cgroup,
			   t->from, strerror(-r));
		return r;
	}
	if (unlinkat(parent, t->child, AT_REMOVEDIR) < 0 && errno != ENOENT) {
		r = negative_errno();
		errbuf_set(err, errlen, "cannot remove cgroup %s: %s", t->cgroup, strerror(-r));
		return r;
	}
	return 0;
}

static int apply_move(int root, const struct throttle_state *t, char *err, size_t errlen)
{
	_cleanup_close_ int parent = disk_cgroup_open_dir(root, t->parent), pidfd = -1;
	int r;

	if (parent < 0) {
		errbuf_set(err, errlen, "cannot open cgroup %s: %s", t->parent, strerror(-parent));
		return parent;
	}
	if (mkdirat(parent, t->child, 0755) < 0) {
		r = negative_errno();
		errbuf_set(err, errlen, "cannot create cgroup %s: %s", t->cgroup, strerror(-r));
		return r;
	}
	r = disk_cgroup_write_limits(root, t->version, t->cgroup, t->dev, t->values, t->set,
				     t->before, err, errlen);
	if (r < 0)
		goto fail;
	/* The pidfd pins the process: a reused pid fails the start-time check. */
	pidfd = proc_target_open(t->pid, t->starttime, NULL);
	if (pidfd < 0) {
		r = pidfd;
		errbuf_set(err, errlen, "move_pid %d: %s", (int)t->pid,
			   r == -ESRCH ? "the process exited" :
					 "the pid now names another process");
		goto fail;
	}
	r = disk_cgroup_move(root, t->cgroup, t->pid);
	if (r < 0) {
		errbuf_set(err, errlen, "cannot move pid %d into %s: %s", (int)t->pid, t->cgroup,
			   strerror(-r));
		goto fail;
	}
	return 0;
fail:
	remove_child(root, t, NULL, 0);
	return r;
}

static int throttle_apply(const json_t *plan, json_t **ret_undo, char *err, size_t errlen)
{
	_cleanup_json_ json_t *undo = json_deep_copy(plan), *now = NULL;
	struct throttle_state t;
	int r;

	if (!undo)
		return -ENOMEM;
	r = state_read(plan, &t, err, errlen);
	if (r < 0)
		return r;
	_cleanup_close_ int root = open_root(t.version, err, errlen);
	if (root < 0)
		return root;
	r = active_add(plan);
	if (r < 0) {
		errbuf_set(err, errlen, "cgroup %s already has a disk.throttle of this injector",
			   t.cgroup);
		return r;
	}
	if (t.move) {
		r = apply_move(root, &t, err, errlen);
	} else {
		/* The intent record holds "before": if the line changed since, a
		 * revert would not put back what is there now. */
		r = disk_cgroup_read_limits(root, t.version, t.cgroup, t.dev, &now, err, errlen);
		if (r == 0 && !json_equal(now, t.before)) {
			errbuf_set(err, errlen,
				   "the limits of cgroup %s changed since the fault was "
				   "planned; try again",
				   t.cgroup);
			r = -EAGAIN;
		}
		if (r == 0)
			r = disk_cgroup_write_limits(root, t.version, t.cgroup, t.dev, t.values,
						     t.set, t.before, err, errlen);
	}
	if (r < 0) {
		active_forget(plan);
		return r;
	}
	*ret_undo = TAKE_PTR(undo);
	return 0;
}

static int throttle_revert(const json_t *undo, json_t **ret_report, char *err, size_t errlen)
{
	struct throttle_state t;
	int r;

	r = state_read(undo, &t, err, errlen);
	if (r < 0)
		return r;
	_cleanup_close_ int root = open_root(t.version, err, errlen);
	if (root < 0)
		return root;
	if (t.move) {
		r = remove_child(root, &t, err, errlen);
	} else {
		r = disk_cgroup_restore(root, t.version, t.cgroup, t.dev, t.set, t.before, err,
					errlen);
		/* A cgroup removed meanwhile holds no limits to put back. */
		if (r == -ENOENT)
			r = 0;
	}
	if (r < 0)
		return r;
	active_forget(undo);
	if (ret_report)
		*ret_report = json_pack("{s:s, s:O?}", "cgroup", t.cgroup, "restored", t.before);
	return 0;
}

static char *throttle_describe(const json_t *plan)
{
	char limits[256] = "";
	size_t w = 0;
	const char *key;
	json_t *v;
	char *s = NULL;

	json_object_foreach(json_object_get(plan, "limits"), key, v)
		w += (size_t)snprintf(limits + w, w < sizeof(limits) ? sizeof(limits) - w : 0,
				      "%s%s=%lld", w ? " " : "", key,
				      (long long)json_integer_value(v));
	json_t *move = json_object_get(plan, "move");
	if (asprintf(&s, "throttle cgroup %s (v%lld) on device %s: %s%s%s%s",
		     json_string_value(json_object_get(plan, "cgroup")) ?: "?",
		     (long long)json_integer_value(json_object_get(plan, "version")),
		     json_string_value(json_object_get(plan, "device")) ?: "?", limits,
		     move ? " (pid " : "",
		     move ? json_string_value(json_object_get(move, "comm")) ?: "?" : "",
		     move ? " moved there)" : "") < 0)
		return NULL;
	return s;
}

const struct fault_ops disk_throttle_ops = {
	.kind = "disk.throttle",
	.duration = FAULT_DURATION_REQUIRED,
	.validate = throttle_validate,
	.apply = throttle_apply,
	.revert = throttle_revert,
	.describe = throttle_describe,
};
