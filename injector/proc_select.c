/* SPDX-License-Identifier: Apache-2.0 */
#include "proc_select.h"

#include <fcntl.h>
#include <math.h>
#include <pwd.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "macro.h"
#include "policy.h"
#include "proc_target.h"
#include "protocol.h"

#define CMDLINE_MAX 4096
#define CGROUPS_MAX 4096

struct selector {
	bool has_pid, has_ppid, has_comm, has_cmdline, has_user;
	pid_t pid, ppid;
	char *pidfile; /* kept to read again when matching restarts */
	char comm[PROCFS_COMM_MAX];
	regex_t cmdline;
	char *cmdline_src;
	char *cgroup; /* with a leading '/', without a trailing one */
	char *unit;
	uid_t uid;
};

struct selection_spec {
	struct selector include;
	struct selector exclude[SELECT_MAX_EXCLUDES];
	size_t n_exclude;
	uint64_t count; /* 0: not given */
	double percent; /* 0: not given */
	uint64_t max; /* 0: no cap */
	uint64_t seed;
	bool allow_empty;
	bool has_pidns;
	uint64_t pidns_inode;
};

/* What we know of one candidate; the costlier parts are read only when a
 * selector needs them. */
struct candidate {
	struct proc_stat st;
	pid_t view_pid, view_ppid; /* in the spec's pid namespace, or the host's */
	bool have_uid, have_cmdline, have_cgroups;
	uid_t uid;
	char cmdline[CMDLINE_MAX];
	char cgroups[CGROUPS_MAX];
};

static void selector_done(struct selector *s)
{
	if (s->has_cmdline)
		regfree(&s->cmdline);
	free(s->cmdline_src);
	free(s->pidfile);
	free(s->cgroup);
	free(s->unit);
	*s = (struct selector){ 0 };
}

struct selection_spec *selection_spec_free(struct selection_spec *spec)
{
	if (!spec)
		return NULL;
	selector_done(&spec->include);
	for (size_t i = 0; i < spec->n_exclude; i++)
		selector_done(&spec->exclude[i]);
	free(spec);
	return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct selection_spec *, selection_spec_free)

/* Whether a peer could read the file itself. The injector reads as root, so it
 * must not read for a peer what that peer could not. */
static bool peer_may_read(const struct stat *st, const struct fault_context *ctx)
{
	if (ctx->peer_uid == 0)
		return true;
	if (st->st_uid == ctx->peer_uid)
		return st->st_mode & S_IRUSR;
	if (st->st_gid == ctx->peer_gid)
		return st->st_mode & S_IRGRP;
	return st->st_mode & S_IROTH;
}

/* Reads a pidfile: one decimal pid, optionally followed by a newline.
 *
 * Trust boundary: the path comes from the peer and we are root. The file is
 * looked up without following a final symlink (O_PATH, which opens nothing), and
 * read only if it is a small regular file the peer could read itself; devices,
 * FIFOs and ttys are never opened. Only a number is ever taken from it, and every
 * refusal reads the same, so a scenario can neither read files through it nor
 * learn which root-only files exist. */
static int read_pidfile(const char *path, const struct fault_context *ctx, pid_t *ret, char *err,
			size_t errlen)
{
	_cleanup_close_ int pfd = open(path, O_PATH | O_CLOEXEC | O_NOFOLLOW);
	char proc_path[64], buf[32];
	struct stat st;

	if (pfd < 0 || fstat(pfd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > 31 ||
	    !peer_may_read(&st, ctx)) {
		errbuf_set(err, errlen,
			   "pidfile %s is not a regular file of at most 31 bytes that uid %u "
			   "can read",
			   path, (unsigned)ctx->peer_uid);
		return -EACCES;
	}
	snprintf(proc_path, sizeof(proc_path), "/proc/self/fd/%d", pfd);
	_cleanup_close_ int fd = open(proc_path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int r = negative_errno();
		errbuf_set(err, errlen, "cannot open pidfile %s: %s", path, strerror(-r));
		return r;
	}
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		int r = negative_errno();
		errbuf_set(err, errlen, "cannot read pidfile %s: %s", path, strerror(-r));
		return r;
	}
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';

	char *end;
	errno = 0;
	long pid = buf[0] >= '0' && buf[0] <= '9' ? strtol(buf, &end, 10) : 0;
	if (pid == 0 || errno || end == buf || *end || pid < 1 || pid > PROC_PID_MAX) {
		errbuf_set(err, errlen, "pidfile %s does not hold a pid", path);
		return -EINVAL;
	}
	*ret = (pid_t)pid;
	return 0;
}

/* "/a/b/" and "a/b" both become "/a/b"; "/" stays. */
static char *normalize_cgroup(const char *path)
{
	size_t len = strlen(path);
	char *out = malloc(len + 2);
	if (!out)
		return NULL;
	snprintf(out, len + 2, "%s%s", path[0] == '/' ? "" : "/", path);
	len = strlen(out);
	while (len > 1 && out[len - 1] == '/')
		out[--len] = '\0';
	return out;
}

static int parse_user(const json_t *v, uid_t *ret, char *err, size_t errlen)
{
	if (json_is_integer(v) && json_integer_value(v) >= 0 &&
	    json_integer_value(v) < (json_int_t)UINT32_MAX) {
		*ret = (uid_t)json_integer_value(v);
		return 0;
	}
	const char *name = json_string_value(v);
	if (!name || !*name || strlen(name) > 64) {
		errbuf_set(err, errlen, "expected target.user to be a user name or a uid");
		return -EINVAL;
	}
	char *end;
	unsigned long uid = strtoul(name, &end, 10);
	if (name[0] >= '0' && name[0] <= '9' && !*end && uid < UINT32_MAX) {
		*ret = (uid_t)uid;
		return 0;
	}
	struct passwd pw, *found = NULL;
	char buf[4096];
	if (getpwnam_r(name, &pw, buf, sizeof(buf), &found) != 0 || !found) {
		errbuf_set(err, errlen, "no user named \"%s\" on this host", name);
		return -ENOENT;
	}
	*ret = found->pw_uid;
	return 0;
}

/* Parses the selector fields of one object (the target itself, or one exclude). */
static int parse_selector(const json_t *obj, const struct fault_context *ctx, struct selector *s,
			  const char *where, char *err, size_t errlen)
{
	const char *str;
	uint64_t u;
	int r;

	r = protocol_get_uint(obj, "pid", 1, PROC_PID_MAX, &u);
	if (r < 0) {
		errbuf_set(err, errlen, "expected %s.pid to be a pid from 1 to %d", where,
			   PROC_PID_MAX);
		return -EINVAL;
	}
	if (r == 1) {
		s->has_pid = true;
		s->pid = (pid_t)u;
	}
	r = protocol_get_uint(obj, "ppid", 0, PROC_PID_MAX, &u);
	if (r < 0) {
		errbuf_set(err, errlen, "expected %s.ppid to be a pid", where);
		return -EINVAL;
	}
	if (r == 1) {
		s->has_ppid = true;
		s->ppid = (pid_t)u;
	}
	str = NULL;
	if (protocol_get_string(obj, "pidfile", 4095, &str) < 0 || (str && str[0] != '/')) {
		errbuf_set(err, errlen, "expected %s.pidfile to be an absolute path", where);
		return -EINVAL;
	}
	if (str) {
		pid_t from_file;
		r = read_pidfile(str, ctx, &from_file, err, errlen);
		if (r < 0)
			return r;
		if (s->has_pid && s->pid != from_file) {
			errbuf_set(err, errlen, "pidfile %s names pid %d, not %s.pid %d", str,
				   (int)from_file, where, (int)s->pid);
			return -ESRCH;
		}
		s->has_pid = true;
		s->pid = from_file;
		if (!(s->pidfile = strdup(str)))
			return -ENOMEM;
	}
	str = NULL;
	if (protocol_get_string(obj, "comm", PROCFS_COMM_MAX - 1, &str) < 0 || (str && !*str)) {
		errbuf_set(err, errlen, "expected %s.comm to be 1 to %d bytes", where,
			   PROCFS_COMM_MAX - 1);
		return -EINVAL;
	}
	if (str) {
		s->has_comm = true;
		snprintf(s->comm, sizeof(s->comm), "%s", str);
	}
	str = NULL;
	if (protocol_get_string(obj, "cmdline", 1024, &str) < 0 || (str && !*str)) {
		errbuf_set(err, errlen, "expected %s.cmdline to be a regular expression", where);
		return -EINVAL;
	}
	if (str) {
		char rerr[256];
		r = regcomp(&s->cmdline, str, REG_EXTENDED | REG_NOSUB);
		if (r != 0) {
			regerror(r, &s->cmdline, rerr, sizeof(rerr));
			errbuf_set(err, errlen,
				   "%s.cmdline is not a valid extended regular expression: %s",
				   where, rerr);
			return -EINVAL;
		}
		s->has_cmdline = true;
		if (!(s->cmdline_src = strdup(str)))
			return -ENOMEM;
	}
	str = NULL;
	if (protocol_get_string(obj, "cgroup", 4095, &str) < 0 ||
	    (str && (!*str || strstr(str, "..")))) {
		errbuf_set(err, errlen, "expected %s.cgroup to be a cgroup path without \"..\"",
			   where);
		return -EINVAL;
	}
	if (str && !(s->cgroup = normalize_cgroup(str)))
		return -ENOMEM;
	str = NULL;
	if (protocol_get_string(obj, "unit", 255, &str) < 0 ||
	    (str && (!*str || strchr(str, '/') || !strchr(str, '.')))) {
		errbuf_set(err, errlen, "expected %s.unit to be a unit name such as nginx.service",
			   where);
		return -EINVAL;
	}
	if (str && !(s->unit = strdup(str)))
		return -ENOMEM;
	json_t *user = json_object_get(obj, "user");
	if (user) {
		r = parse_user(user, &s->uid, err, errlen);
		if (r < 0)
			return r;
		s->has_user = true;
	}
	if (!s->has_pid && !s->has_ppid && !s->has_comm && !s->has_cmdline && !s->cgroup &&
	    !s->unit && !s->has_user) {
		errbuf_set(
			err, errlen,
			"expected %s to name at least one of pid, pidfile, comm, cmdline, cgroup, "
			"unit, user or ppid",
			where);
		return -EINVAL;
	}
	return 0;
}

static uint64_t random_seed(void)
{
	uint64_t seed = 0;
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = (uint64_t)getpid() * 0x9e3779b97f4a7c15ULL;
	return seed & PROTOCOL_MAX_ID; /* exact in JSON */
}

int selection_spec_parse(const json_t *target, const struct fault_context *ctx,
			 struct selection_spec **ret, char *err, size_t errlen)
{
	static const char *const keys[] = { "pid",     "pidfile", "comm",	 "cmdline",
					    "cgroup",  "unit",	  "user",	 "ppid",
					    "exclude", "pidns",	  "count",	 "percent",
					    "max",     "seed",	  "allow_empty", NULL };
	static const char *const exclude_keys[] = { "pid",  "pidfile", "comm", "cmdline", "cgroup",
						    "unit", "user",    "ppid", NULL };
	_cleanup_(selection_spec_freep) struct selection_spec *spec = calloc(1, sizeof(*spec));
	uint64_t u;
	int r;

	if (!spec)
		return -ENOMEM;
	if (!json_is_object(target)) {
		errbuf_set(err, errlen, "expected \"target\" to be an object");
		return -EINVAL;
	}
	r = protocol_check_keys(target, keys, err, errlen);
	if (r < 0)
		return r;
	r = parse_selector(target, ctx, &spec->include, "target", err, errlen);
	if (r < 0)
		return r;

	json_t *exclude = json_object_get(target, "exclude");
	if (exclude) {
		size_t n = json_is_array(exclude) ? json_array_size(exclude) : 1;
		if (!json_is_object(exclude) && !json_is_array(exclude)) {
			errbuf_set(err, errlen,
				   "expected target.exclude to be an object or a list");
			return -EINVAL;
		}
		if (n > SELECT_MAX_EXCLUDES) {
			errbuf_set(err, errlen, "at most %d exclusions", SELECT_MAX_EXCLUDES);
			return -EINVAL;
		}
		for (size_t i = 0; i < n; i++) {
			json_t *e = json_is_array(exclude) ? json_array_get(exclude, i) : exclude;
			if (!json_is_object(e)) {
				errbuf_set(err, errlen,
					   "expected target.exclude entries to be objects");
				return -EINVAL;
			}
			r = protocol_check_keys(e, exclude_keys, err, errlen);
			if (r < 0)
				return r;
			r = parse_selector(e, ctx, &spec->exclude[i], "target.exclude", err,
					   errlen);
			if (r < 0)
				return r;
			spec->n_exclude++;
		}
	}

	r = protocol_get_uint(target, "count", 1, PROC_TARGETS_MAX, &spec->count);
	if (r < 0) {
		errbuf_set(err, errlen, "expected target.count from 1 to %d", PROC_TARGETS_MAX);
		return -EINVAL;
	}
	json_t *percent = json_object_get(target, "percent");
	if (percent) {
		double p = json_number_value(percent);
		if (!json_is_number(percent) || !(p > 0 && p <= 100)) {
			errbuf_set(err, errlen, "expected target.percent above 0 and at most 100");
			return -EINVAL;
		}
		if (spec->count) {
			errbuf_set(err, errlen,
				   "target.count and target.percent exclude each other");
			return -EINVAL;
		}
		spec->percent = p;
	}
	if (protocol_get_uint(target, "max", 1, PROC_TARGETS_MAX, &spec->max) < 0) {
		errbuf_set(err, errlen, "expected target.max from 1 to %d", PROC_TARGETS_MAX);
		return -EINVAL;
	}
	r = protocol_get_uint(target, "seed", 0, PROTOCOL_MAX_ID, &spec->seed);
	if (r < 0) {
		errbuf_set(err, errlen, "expected target.seed to be an integer from 0 to 2^53-1");
		return -EINVAL;
	}
	if (r == 0)
		spec->seed = random_seed();
	json_t *allow_empty = json_object_get(target, "allow_empty");
	if (allow_empty && !json_is_boolean(allow_empty)) {
		errbuf_set(err, errlen, "expected target.allow_empty to be true or false");
		return -EINVAL;
	}
	spec->allow_empty = json_is_true(allow_empty);

	r = protocol_get_uint(target, "pidns", 1, PROC_PID_MAX, &u);
	if (r < 0) {
		errbuf_set(err, errlen, "expected target.pidns to be the pid of a process in it");
		return -EINVAL;
	}
	if (r == 1) {
		pid_t ignored;
		if (procfs_read_ns_pid((pid_t)u, &ignored, &spec->pidns_inode) < 0) {
			errbuf_set(err, errlen,
				   "target.pidns: no process %llu to take a pid "
				   "namespace from",
				   (unsigned long long)u);
			return -ESRCH;
		}
		spec->has_pidns = true;
	}
	*ret = TAKE_PTR(spec);
	return 0;
}

/* Fills the candidate's view pids; false when it is outside the spec's pidns. */
static bool candidate_view(const struct selection_spec *spec, struct candidate *c)
{
	c->view_pid = c->st.pid;
	c->view_ppid = c->st.ppid;
	if (!spec->has_pidns)
		return true;

	pid_t ns_pid, ns_ppid;
	uint64_t inode, parent_inode;
	if (procfs_read_ns_pid(c->st.pid, &ns_pid, &inode) < 0 || inode != spec->pidns_inode)
		return false;
	c->view_pid = ns_pid;
	/* A parent outside the namespace shows as 0 inside it. */
	if (procfs_read_ns_pid(c->st.ppid, &ns_ppid, &parent_inode) == 0 &&
	    parent_inode == spec->pidns_inode)
		c->view_ppid = ns_ppid;
	else
		c->view_ppid = 0;
	return true;
}

static const char *candidate_cgroups(struct candidate *c)
{
	if (!c->have_cgroups) {
		if (procfs_read_cgroups(c->st.pid, c->cgroups, sizeof(c->cgroups)) < 0)
			c->cgroups[0] = '\0';
		c->have_cgroups = true;
	}
	return c->cgroups;
}

/* Whether any of the process's cgroup paths is path or lies below it. */
static bool cgroup_matches(struct candidate *c, const char *path)
{
	const char *text = candidate_cgroups(c);
	size_t plen = strlen(path);

	for (const char *line = text; *line;) {
		const char *nl = strchrnul(line, '\n');
		const char *colon = memchr(line, ':', (size_t)(nl - line));
		colon = colon ? memchr(colon + 1, ':', (size_t)(nl - colon - 1)) : NULL;
		if (colon) {
			const char *p = colon + 1;
			size_t len = (size_t)(nl - p);
			if (streq(path, "/") || (len >= plen && memcmp(p, path, plen) == 0 &&
						 (len == plen || p[plen] == '/')))
				return true;
		}
		line = *nl ? nl + 1 : nl;
	}
	return false;
}

/* Whether a path component of any cgroup of the process is the unit's name:
 * systemd places a unit's processes in a cgroup named after it. */
static bool unit_matches(struct candidate *c, const char *unit)
{
	const char *text = candidate_cgroups(c);
	size_t ulen = strlen(unit);

	for (const char *p = text; (p = strstr(p, unit)); p += ulen) {
		char before = p == text ? '\n' : p[-1];
		char after = p[ulen];
		if ((before == '/' || before == ':') && (after == '/' || after == '\n' || !after))
			return true;
	}
	return false;
}

static bool selector_matches(const struct selector *s, struct candidate *c)
{
	if (s->has_pid && c->view_pid != s->pid)
		return false;
	if (s->has_ppid && c->view_ppid != s->ppid)
		return false;
	if (s->has_comm && !streq(c->st.comm, s->comm))
		return false;
	if (s->has_user) {
		if (!c->have_uid && procfs_read_euid(c->st.pid, &c->uid) < 0)
			return false;
		c->have_uid = true;
		if (c->uid != s->uid)
			return false;
	}
	if (s->cgroup && !cgroup_matches(c, s->cgroup))
		return false;
	if (s->unit && !unit_matches(c, s->unit))
		return false;
	if (s->has_cmdline) {
		if (!c->have_cmdline &&
		    procfs_read_cmdline(c->st.pid, c->cmdline, sizeof(c->cmdline)) < 0)
			return false;
		c->have_cmdline = true;
		if (regexec(&s->cmdline, c->cmdline, 0, NULL, 0) != 0)
			return false;
	}
	return true;
}

/* Selectors and exclusions only: no blast radius, no pick. */
static bool spec_matches(const struct selection_spec *spec, struct candidate *c)
{
	if (proc_stat_is_dead(&c->st) || !candidate_view(spec, c))
		return false;
	if (!selector_matches(&spec->include, c))
		return false;
	for (size_t i = 0; i < spec->n_exclude; i++)
		if (selector_matches(&spec->exclude[i], c))
			return false;
	return true;
}

struct run_state {
	const struct selection_spec *spec;
	const struct fault_context *ctx;
	json_t *matched; /* array of candidate entries */
	json_t *refused;
	unsigned n_refused;
	const char *last_refusal;
};

static json_t *candidate_entry(struct candidate *c)
{
	const char *cg = candidate_cgroups(c);
	const char *path = strchr(cg, ':');
	path = path ? strchr(path + 1, ':') : NULL;
	char first[512] = "";
	if (path)
		snprintf(first, sizeof(first), "%.*s", (int)strcspn(path + 1, "\n"), path + 1);
	if (!c->have_uid && procfs_read_euid(c->st.pid, &c->uid) == 0)
		c->have_uid = true;

	return json_pack("{s:i, s:I, s:s, s:i, s:i, s:s}", "pid", (int)c->st.pid, "starttime",
			 (json_int_t)c->st.starttime, "comm", c->st.comm, "ppid", (int)c->st.ppid,
			 "uid", c->have_uid ? (int)c->uid : -1, "cgroup", first);
}

static int consider(const struct proc_stat *st, void *userdata)
{
	struct run_state *s = userdata;
	struct candidate *c = malloc(sizeof(*c));
	int r = 0;

	if (!c)
		return -ENOMEM;
	c->st = *st;
	c->have_uid = c->have_cmdline = c->have_cgroups = false;
	if (!spec_matches(s->spec, c))
		goto out;
	/* The built-in rules first, so that their refusal is the one reported; the
	 * policy can only refuse more. */
	const char *refusal = proc_blast_radius_refusal(st, s->ctx);
	if (!refusal)
		refusal = policy_refuse_process(s->ctx->policy, st->comm, candidate_cgroups(c));
	if (refusal) {
		s->n_refused++;
		s->last_refusal = refusal;
		if (json_array_size(s->refused) < SELECT_MAX_REPORTED_REFUSALS)
			json_array_append_new(s->refused,
					      json_pack("{s:i, s:s, s:s}", "pid", (int)st->pid,
							"comm", st->comm, "reason", refusal));
		goto out;
	}
	if (json_array_size(s->matched) >= 4 * PROC_TARGETS_MAX) {
		r = -E2BIG;
		goto out;
	}
	json_t *entry = candidate_entry(c);
	if (!entry || json_array_append_new(s->matched, entry) < 0)
		r = -ENOMEM;
out:
	free(c);
	return r;
}

/* splitmix64: small, fast, and the same sequence on every host for a seed. */
static uint64_t next_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int by_pid(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "pid"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "pid"));
	return (x > y) - (x < y);
}

/* Sorts arr by pid, in place. */
static int sort_by_pid(json_t *arr)
{
	size_t n = json_array_size(arr);
	_cleanup_free_ json_t **items = calloc(n ? n : 1, sizeof(*items));
	if (!items)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		items[i] = json_incref(json_array_get(arr, i));
	qsort(items, n, sizeof(*items), by_pid);
	json_array_clear(arr);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, items[i]);
	return 0;
}

/* The pick: count, or percent rounded up, capped by max; chosen with a partial
 * Fisher-Yates shuffle of the pid-sorted matches, so one seed always picks the
 * same pids from the same processes. */
static int pick(const struct selection_spec *spec, uint64_t iteration, json_t *matched,
		json_t **ret_targets)
{
	size_t n = json_array_size(matched);
	size_t k = n;

	if (spec->count)
		k = spec->count < n ? spec->count : n;
	else if (spec->percent > 0)
		k = (size_t)ceil((double)n * spec->percent / 100.0);
	if (spec->max && k > spec->max)
		k = spec->max;
	if (k > PROC_TARGETS_MAX)
		k = PROC_TARGETS_MAX;

	int r = sort_by_pid(matched);
	if (r < 0)
		return r;
	json_t *targets = json_array();
	if (!targets)
		return -ENOMEM;
	if (k == n && !spec->count && !spec->percent) {
		json_array_extend(targets, matched);
	} else {
		uint64_t state = spec->seed + iteration * 0x632be59bd9b4e019ULL;
		_cleanup_free_ size_t *idx = calloc(n ? n : 1, sizeof(*idx));
		if (!idx) {
			json_decref(targets);
			return -ENOMEM;
		}
		for (size_t i = 0; i < n; i++)
			idx[i] = i;
		for (size_t i = 0; i < k; i++) {
			size_t j = i + (size_t)(next_random(&state) % (n - i));
			size_t t = idx[i];
			idx[i] = idx[j];
			idx[j] = t;
			json_array_append(targets, json_array_get(matched, idx[i]));
		}
		sort_by_pid(targets);
	}
	*ret_targets = targets;
	return 0;
}

static void describe_selector(const struct selector *s, char *buf, size_t len)
{
	size_t off = 0;
#define ADD(...)                                                                                   \
	do {                                                                                       \
		if (off < len)                                                                     \
			off += (size_t)snprintf(buf + off, len - off, __VA_ARGS__);                \
	} while (0)
	if (s->has_pid)
		ADD("%spid %d", off ? ", " : "", (int)s->pid);
	if (s->has_ppid)
		ADD("%sppid %d", off ? ", " : "", (int)s->ppid);
	if (s->has_comm)
		ADD("%scomm \"%s\"", off ? ", " : "", s->comm);
	if (s->has_cmdline)
		ADD("%scmdline /%s/", off ? ", " : "", s->cmdline_src);
	if (s->cgroup)
		ADD("%scgroup %s", off ? ", " : "", s->cgroup);
	if (s->unit)
		ADD("%sunit %s", off ? ", " : "", s->unit);
	if (s->has_user)
		ADD("%suid %u", off ? ", " : "", (unsigned)s->uid);
#undef ADD
}

int selection_run(const struct selection_spec *spec, const struct fault_context *ctx,
		  uint64_t iteration, json_t **ret_selection, char *err, size_t errlen)
{
	_cleanup_json_ json_t *matched = json_array(), *refused = json_array();
	struct run_state s = { .spec = spec, .ctx = ctx, .matched = matched, .refused = refused };
	json_t *targets = NULL;
	int r;

	if (!matched || !refused)
		return -ENOMEM;
	if (spec->include.has_pid && !spec->has_pidns) {
		struct proc_stat st;
		if (procfs_read_stat(spec->include.pid, &st) == 0) {
			r = consider(&st, &s);
			if (r < 0)
				return r;
		}
		if (s.n_refused && spec->include.has_pid) {
			errbuf_set(err, errlen, "refused pid %d: %s%s", (int)spec->include.pid,
				   s.last_refusal,
				   strncmp(s.last_refusal, "refused by policy", 17) == 0
					   ? ""
					   : " (built-in blast-radius rule)");
			return -EPERM;
		}
	} else {
		r = procfs_for_each_pid(consider, &s);
		if (r == -E2BIG) {
			errbuf_set(err, errlen,
				   "more than %d processes match; narrow the selectors",
				   4 * PROC_TARGETS_MAX);
			return r;
		}
		if (r < 0)
			return r;
	}

	if (json_array_size(matched) == 0 && !spec->allow_empty) {
		char what[512] = "";
		describe_selector(&spec->include, what, sizeof(what));
		if (s.n_refused)
			errbuf_set(err, errlen, "every process matching %s was refused: %s", what,
				   s.last_refusal);
		else
			errbuf_set(err, errlen,
				   "no live process matches the target (%s%s); set allow_empty to "
				   "accept that",
				   what, spec->n_exclude ? ", after exclusions" : "");
		return s.n_refused ? -EPERM : -ESRCH;
	}
	/* A broad selection (every root process, say) is almost always a mistake:
	 * past a bound, the scenario must state how many it means to hit. */
	if (json_array_size(matched) > SELECT_UNBOUNDED_MAX && !spec->count && !spec->percent &&
	    !spec->max) {
		char what[512] = "";
		describe_selector(&spec->include, what, sizeof(what));
		errbuf_set(err, errlen,
			   "%zu processes match (%s); more than %d needs count, percent or max to "
			   "confirm the blast radius",
			   json_array_size(matched), what, SELECT_UNBOUNDED_MAX);
		return -E2BIG;
	}
	r = pick(spec, iteration, matched, &targets);
	if (r < 0)
		return r;
	*ret_selection = json_pack("{s:o, s:i, s:I, s:O}", "targets", targets, "matched",
				   (int)json_array_size(matched), "seed", (json_int_t)spec->seed,
				   "refused", refused);
	return *ret_selection ? 0 : -ENOMEM;
}

int selection_matches(const struct selection_spec *spec, const struct fault_context *ctx, pid_t pid,
		      struct proc_stat *ret_stat)
{
	struct candidate *c = malloc(sizeof(*c));
	pid_t from_file;
	int r;

	if (!c)
		return -ENOMEM;
	c->have_uid = c->have_cmdline = c->have_cgroups = false;
	r = procfs_read_stat(pid, &c->st);
	if (r < 0)
		goto out;
	/* A restarted service writes its new pid to its pidfile. */
	if (spec->include.pidfile) {
		r = read_pidfile(spec->include.pidfile, ctx, &from_file, NULL, 0);
		if (r < 0 || from_file != pid) {
			r = 0;
			goto out;
		}
		struct selector relaxed = spec->include;
		relaxed.has_pid = false;
		r = !proc_stat_is_dead(&c->st) && candidate_view(spec, c) &&
		    selector_matches(&relaxed, c);
		for (size_t i = 0; r == 1 && i < spec->n_exclude; i++)
			if (selector_matches(&spec->exclude[i], c))
				r = 0;
	} else {
		r = spec_matches(spec, c);
	}
	if (r == 1 && proc_blast_radius_refusal(&c->st, ctx))
		r = 0;
	if (r == 1 && ret_stat)
		*ret_stat = c->st;
out:
	free(c);
	return r;
}

int selection_pidfile_pid(const struct selection_spec *spec, const struct fault_context *ctx)
{
	pid_t pid;
	if (!spec->include.pidfile)
		return 0;
	int r = read_pidfile(spec->include.pidfile, ctx, &pid, NULL, 0);
	return r < 0 ? r : (int)pid;
}

int proc_select(const json_t *target, const struct fault_context *ctx, json_t **ret_selection,
		char *err, size_t errlen)
{
	_cleanup_(selection_spec_freep) struct selection_spec *spec = NULL;
	int r = selection_spec_parse(target, ctx, &spec, err, errlen);
	if (r < 0)
		return r;
	return selection_run(spec, ctx, 0, ret_selection, err, errlen);
}
