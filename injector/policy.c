/* SPDX-License-Identifier: Apache-2.0 */
#include "policy.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "macro.h"
#include "parse.h"
#include "yaml_tree.h"

#define POLICY_MAX_BYTES (64 * 1024)
#define POLICY_MAX_PATTERNS 256

enum policy_list {
	LIST_INTERFACES,
	LIST_NETNS,
	LIST_CGROUPS,
	LIST_UNITS,
	LIST_COMM,
	LIST_PATHS,
	LIST_COUNT,
};

static const char *const list_names[LIST_COUNT] = {
	[LIST_INTERFACES] = "interfaces", [LIST_NETNS] = "netns", [LIST_CGROUPS] = "cgroups",
	[LIST_UNITS] = "units",		  [LIST_COMM] = "comm",	  [LIST_PATHS] = "paths",
};

/* Path lists match subtrees; the others are globs. */
static bool list_is_path(enum policy_list l)
{
	return l == LIST_CGROUPS || l == LIST_PATHS;
}

struct rule {
	char *pattern;
	char *refusal; /* "refused by policy FILE:L:C (deny.comm \"sshd\")" */
};

struct rule_list {
	bool present;
	struct rule *rules;
	size_t n;
	char *refusal; /* for an allow list: "not in allow.comm (policy FILE:L:C)" */
};

struct limit {
	bool set;
	uint64_t value;
	char rule[PATH_MAX + 64]; /* "limits.max_delay 2s (policy FILE:L:C)" */
};

struct policy {
	char *path;
	struct rule_list allow[LIST_COUNT], deny[LIST_COUNT];
	struct limit limits[POLICY_LIMIT_COUNT];
};

static const struct {
	const char *key;
	enum { LIMIT_DURATION, LIMIT_COUNT_VALUE, LIMIT_PERCENT, LIMIT_SIZE } type;
} limit_keys[POLICY_LIMIT_COUNT] = {
	[POLICY_MAX_DURATION] = { "max_duration", LIMIT_DURATION },
	[POLICY_MAX_TARGETS] = { "max_targets", LIMIT_COUNT_VALUE },
	[POLICY_MAX_DELAY] = { "max_delay", LIMIT_DURATION },
	[POLICY_MAX_LOSS] = { "max_loss", LIMIT_PERCENT },
	[POLICY_MAX_FILL] = { "max_fill", LIMIT_SIZE },
};

struct policy *policy_free(struct policy *p)
{
	if (!p)
		return NULL;
	for (int which = 0; which < 2; which++) {
		struct rule_list *lists = which ? p->deny : p->allow;
		for (size_t l = 0; l < LIST_COUNT; l++) {
			for (size_t i = 0; i < lists[l].n; i++) {
				free(lists[l].rules[i].pattern);
				free(lists[l].rules[i].refusal);
			}
			free(lists[l].rules);
			free(lists[l].refusal);
		}
	}
	free(p->path);
	free(p);
	return NULL;
}

const char *policy_path(const struct policy *p)
{
	return p ? p->path : "";
}

/* The loader's state: the first problem wins, with its position. */
struct loader {
	struct policy *p;
	char *err;
	size_t errlen;
	int r;
};

static int fail(struct loader *ld, const struct ynode *n, const char *fmt, ...) _printf_(3, 4);
static int fail(struct loader *ld, const struct ynode *n, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (ld->r < 0)
		return ld->r;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(ld->err, ld->errlen, "%s:%u:%u: %s", ld->p->path, n ? n->line : 1, n ? n->col : 1,
		 msg);
	ld->r = -EINVAL;
	return ld->r;
}

static int check_keys(struct loader *ld, const struct ynode *m, const char *where,
		      const char *const *allowed, const char *expected)
{
	char text[64];

	for (size_t i = 0; i < m->n_pairs; i++) {
		const struct ynode *k = m->pairs[i].key;
		bool known = false;
		for (size_t j = 0; allowed[j] && k->kind == YNODE_SCALAR; j++)
			known = known || ynode_scalar_eq(k, allowed[j]);
		if (!known)
			return fail(ld, k, "unknown key '%s' %s; expected one of: %s",
				    ynode_text(k, text, sizeof(text)), where, expected);
	}
	return 0;
}

/* A pattern: printable ASCII, no NUL; a path pattern is absolute, without "..". */
static int check_pattern(struct loader *ld, const struct ynode *n, enum policy_list l,
			 const char *where)
{
	char text[64];

	if (n->kind != YNODE_SCALAR || n->len == 0 || n->len > 255 || ynode_is_null(n))
		return fail(ld, n, "%s: expected a pattern of 1 to 255 characters, found %s", where,
			    ynode_describe(n, text, sizeof(text)));
	for (size_t i = 0; i < n->len; i++)
		if ((unsigned char)n->value[i] < 0x21 || (unsigned char)n->value[i] > 0x7e)
			return fail(ld, n,
				    "%s: expected printable characters without spaces, "
				    "found %s",
				    where, ynode_describe(n, text, sizeof(text)));
	if (list_is_path(l) &&
	    (n->value[0] != '/' || strstr(n->value, "/..") || strpbrk(n->value, "*?[")))
		return fail(ld, n,
			    "%s: expected an absolute path (it covers everything beneath it; no "
			    "globs, no \"..\"), found %s",
			    where, ynode_describe(n, text, sizeof(text)));
	return 0;
}

static int load_lists(struct loader *ld, const struct ynode *m, bool deny)
{
	const char *section = deny ? "deny" : "allow";
	static const char *const keys[] = { "cgroups", "comm",	"interfaces", "netns",
					    "paths",   "units", NULL };
	struct rule_list *lists = deny ? ld->p->deny : ld->p->allow;
	char text[64], where[32];

	if (m->kind != YNODE_MAPPING)
		return fail(ld, m,
			    "%s: expected a mapping of lists such as {comm: [sshd]}, found %s",
			    section, ynode_describe(m, text, sizeof(text)));
	snprintf(where, sizeof(where), "in %s", section);
	if (check_keys(ld, m, where, keys, "cgroups, comm, interfaces, netns, paths, units") < 0)
		return ld->r;
	for (size_t l = 0; l < LIST_COUNT; l++) {
		const struct ynode *seq = ynode_get(m, list_names[l]);
		struct rule_list *rl = &lists[l];

		if (!seq)
			continue;
		snprintf(where, sizeof(where), "%s.%s", section, list_names[l]);
		if (seq->kind != YNODE_SEQUENCE || seq->n_items > POLICY_MAX_PATTERNS)
			return fail(ld, seq, "%s: expected a list of at most %d patterns, found %s",
				    where, POLICY_MAX_PATTERNS,
				    ynode_describe(seq, text, sizeof(text)));
		rl->present = true;
		rl->rules = calloc(seq->n_items ?: 1, sizeof(*rl->rules));
		if (!rl->rules || asprintf(&rl->refusal, "refused by policy %s:%u:%u (not in %s)",
					   ld->p->path, seq->line, seq->col, where) < 0) {
			rl->refusal = NULL;
			return ld->r = -ENOMEM;
		}
		for (size_t i = 0; i < seq->n_items; i++) {
			const struct ynode *n = seq->items[i];
			struct rule *rule = &rl->rules[rl->n];
			if (check_pattern(ld, n, l, where) < 0)
				return ld->r;
			rule->pattern = strdup(n->value);
			if (!rule->pattern ||
			    asprintf(&rule->refusal, "refused by policy %s:%u:%u (%s \"%s\")",
				     ld->p->path, n->line, n->col, where, n->value) < 0) {
				rule->refusal = NULL;
				free(rule->pattern);
				return ld->r = -ENOMEM;
			}
			rl->n++;
		}
	}
	return 0;
}

static int load_limits(struct loader *ld, const struct ynode *m)
{
	static const char *const keys[] = { "max_delay", "max_duration", "max_fill",
					    "max_loss",	 "max_targets",	 NULL };
	char text[64], why[256];

	if (m->kind != YNODE_MAPPING)
		return fail(ld, m,
			    "limits: expected a mapping such as {max_duration: 10m}, found %s",
			    ynode_describe(m, text, sizeof(text)));
	if (check_keys(ld, m, "in limits", keys,
		       "max_delay, max_duration, max_fill, max_loss, max_targets") < 0)
		return ld->r;
	for (size_t i = 0; i < POLICY_LIMIT_COUNT; i++) {
		const struct ynode *n = ynode_get(m, limit_keys[i].key);
		struct limit *lim = &ld->p->limits[i];
		int r = 0;

		if (!n)
			continue;
		if (n->kind != YNODE_SCALAR || ynode_is_null(n) || memchr(n->value, '\0', n->len))
			return fail(ld, n, "limits.%s: expected a value, found %s",
				    limit_keys[i].key, ynode_describe(n, text, sizeof(text)));
		switch (limit_keys[i].type) {
		case LIMIT_DURATION:
			r = parse_duration_ns(n->value, &lim->value, why, sizeof(why));
			break;
		case LIMIT_SIZE:
			r = parse_size_bytes(n->value, &lim->value, why, sizeof(why));
			break;
		case LIMIT_PERCENT: {
			double pct;
			r = parse_percent(n->value, &pct, why, sizeof(why));
			lim->value = (uint64_t)(pct * 10000.0 + 0.5);
			break;
		}
		case LIMIT_COUNT_VALUE: {
			char *end;
			errno = 0;
			unsigned long long v = strtoull(n->value, &end, 10);
			if (n->value[0] < '0' || n->value[0] > '9' || *end || errno || v == 0 ||
			    v > 1000000) {
				snprintf(why, sizeof(why), "expected a count from 1 to 1000000");
				r = -EINVAL;
			}
			lim->value = v;
			break;
		}
		}
		if (r < 0)
			return fail(ld, n, "limits.%s: %s", limit_keys[i].key, why);
		lim->set = true;
		snprintf(lim->rule, sizeof(lim->rule), "limits.%s %s (policy %s:%u:%u)",
			 limit_keys[i].key, n->value, ld->p->path, n->line, n->col);
	}
	return 0;
}

static int load_tree(struct loader *ld, const struct ynode *root)
{
	static const char *const keys[] = { "allow", "deny", "limits", "version", NULL };
	const struct ynode *v;
	char text[64];

	if (!root || root->kind != YNODE_MAPPING)
		return fail(ld, root,
			    "expected a mapping with version: 1 and any of allow, deny, limits");
	if (check_keys(ld, root, "at the top level", keys, "allow, deny, limits, version") < 0)
		return ld->r;
	v = ynode_get(root, "version");
	if (!v)
		return fail(ld, root, "missing key 'version'; expected version: 1");
	if (!ynode_scalar_eq(v, "1"))
		return fail(ld, v, "version: expected 1, found %s",
			    ynode_describe(v, text, sizeof(text)));
	if ((v = ynode_get(root, "allow")) && load_lists(ld, v, false) < 0)
		return ld->r;
	if ((v = ynode_get(root, "deny")) && load_lists(ld, v, true) < 0)
		return ld->r;
	if ((v = ynode_get(root, "limits")) && load_limits(ld, v) < 0)
		return ld->r;
	return 0;
}

int policy_load(const char *path, struct policy **ret, char *err, size_t errlen)
{
	_cleanup_(policy_freep) struct policy *p = calloc(1, sizeof(*p));
	_cleanup_free_ char *buf = NULL;
	_cleanup_close_ int fd = -1;
	struct diag_list diags = { 0 };
	struct yaml_tree *tree = NULL;
	struct stat st;
	ssize_t len;
	int r;

	if (!p || !(p->path = strdup(path)))
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		r = negative_errno();
		if (r != -ENOENT)
			snprintf(err, errlen, "%s: cannot open the policy: %s", path, strerror(-r));
		return r;
	}
	/* Whoever can write the policy can widen what the injector does. */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & (S_IWGRP | S_IWOTH))) {
		snprintf(err, errlen,
			 "%s: the policy must be a regular file owned by root and writable by "
			 "nobody else",
			 path);
		return -EPERM;
	}
	if (st.st_size > POLICY_MAX_BYTES) {
		snprintf(err, errlen, "%s: the policy is larger than %d bytes", path,
			 POLICY_MAX_BYTES);
		return -EFBIG;
	}
	buf = malloc(POLICY_MAX_BYTES + 1);
	if (!buf)
		return -ENOMEM;
	len = read(fd, buf, POLICY_MAX_BYTES + 1);
	if (len < 0 || len > POLICY_MAX_BYTES) {
		snprintf(err, errlen, "%s: cannot read the policy", path);
		return len < 0 ? negative_errno() : -EFBIG;
	}
	r = yaml_tree_parse(path, buf, (size_t)len, &tree, &diags);
	if (r < 0 || diags.n > 0) {
		if (diags.n > 0)
			snprintf(err, errlen, "%s:%u:%u: %s", path, diags.items[0].line,
				 diags.items[0].col, diags.items[0].message);
		else
			snprintf(err, errlen, "%s: cannot parse the policy: %s", path,
				 strerror(-r));
		diag_list_clear(&diags);
		yaml_tree_free(tree);
		return r < 0 ? r : -EINVAL;
	}
	struct loader ld = { .p = p, .err = err, .errlen = errlen };
	r = load_tree(&ld, tree->root);
	yaml_tree_free(tree);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(p);
	return 0;
}

/* Whether path is prefix or lies beneath it. */
static bool path_covers(const char *prefix, const char *path)
{
	size_t n = strlen(prefix);

	if (streq(prefix, "/"))
		return path[0] == '/';
	while (n > 1 && prefix[n - 1] == '/')
		n--;
	return strncmp(prefix, path, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static bool rule_matches(enum policy_list l, const char *pattern, const char *subject)
{
	if (list_is_path(l))
		return path_covers(pattern, subject);
	return fnmatch(pattern, subject, FNM_PERIOD) == 0;
}

/* The refusal of the first deny rule of list l that matches subject, or NULL. */
static const char *denied_by(const struct policy *p, enum policy_list l, const char *subject)
{
	for (size_t i = 0; i < p->deny[l].n; i++)
		if (rule_matches(l, p->deny[l].rules[i].pattern, subject))
			return p->deny[l].rules[i].refusal;
	return NULL;
}

/* Whether one of list l's allow rules matches subject (false when there are none). */
static bool allow_matches(const struct policy *p, enum policy_list l, const char *subject)
{
	for (size_t i = 0; i < p->allow[l].n; i++)
		if (rule_matches(l, p->allow[l].rules[i].pattern, subject))
			return true;
	return false;
}

/* A subject is refused by a deny rule that matches it, or by an allow list none of
 * whose rules does. */
static const char *refuse_one(const struct policy *p, enum policy_list l, const char *subject)
{
	const char *r = denied_by(p, l, subject);

	if (r || !p->allow[l].present || allow_matches(p, l, subject))
		return r;
	return p->allow[l].refusal;
}

/* What the allow lists of cgroups and units have seen of a target's cgroup paths. */
struct cgroup_allowed {
	bool cgroup; /* some path lies beneath an allow.cgroups entry */
	bool unit; /* some path has a component that matches an allow.units entry */
};

/* Checks one cgroup path against the deny lists of cgroups and of units (each
 * component that looks like a unit, "name.suffix"), and notes in *allowed what
 * the allow lists admit. Returns the deny rule's refusal, or NULL. */
static const char *check_cgroup_path(const struct policy *p, const char *path,
				     struct cgroup_allowed *allowed)
{
	char buf[PATH_MAX];
	const char *r = denied_by(p, LIST_CGROUPS, path);

	if (r)
		return r;
	allowed->cgroup = allowed->cgroup || allow_matches(p, LIST_CGROUPS, path);
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *save = NULL, *c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		const char *dot = strrchr(c, '.');
		if (!dot || dot == c)
			continue;
		r = denied_by(p, LIST_UNITS, c);
		if (r)
			return r;
		allowed->unit = allowed->unit || allow_matches(p, LIST_UNITS, c);
	}
	return NULL;
}

/* After every path passed the deny lists: each allow list given must have matched. */
static const char *allow_lists_refusal(const struct policy *p, const struct cgroup_allowed *a)
{
	if (p->allow[LIST_CGROUPS].present && !a->cgroup)
		return p->allow[LIST_CGROUPS].refusal;
	if (p->allow[LIST_UNITS].present && !a->unit)
		return p->allow[LIST_UNITS].refusal;
	return NULL;
}

const char *policy_refuse_cgroup(const struct policy *p, const char *cgroup_path)
{
	struct cgroup_allowed allowed = { 0 };

	if (!p)
		return NULL;
	return check_cgroup_path(p, cgroup_path, &allowed) ?: allow_lists_refusal(p, &allowed);
}

/* The cgroup path of each line of /proc/PID/cgroup ("ID:controllers:/path"). A
 * process passes when every deny rule misses all its paths, and every allow list
 * matches at least one of them (so none can when no cgroup could be read). */
static const char *refuse_cgroups_text(const struct policy *p, const char *cgroups)
{
	struct cgroup_allowed allowed = { 0 };

	for (const char *line = cgroups; line && *line;) {
		const char *nl = strchrnul(line, '\n');
		const char *c1 = memchr(line, ':', (size_t)(nl - line));
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(nl - c1 - 1)) : NULL;
		if (c2 && nl - c2 - 1 < PATH_MAX) {
			char path[PATH_MAX];
			snprintf(path, sizeof(path), "%.*s", (int)(nl - c2 - 1), c2 + 1);
			const char *r = check_cgroup_path(p, path, &allowed);
			if (r)
				return r;
		}
		line = *nl ? nl + 1 : NULL;
	}
	return allow_lists_refusal(p, &allowed);
}

const char *policy_refuse_process(const struct policy *p, const char *comm, const char *cgroups)
{
	if (!p)
		return NULL;
	return refuse_one(p, LIST_COMM, comm) ?: refuse_cgroups_text(p, cgroups);
}

const char *policy_refuse_interface(const struct policy *p, const char *ifname)
{
	return p ? refuse_one(p, LIST_INTERFACES, ifname) : NULL;
}

/* Patterns match the name under /run/netns ("host" for the injector's own) or the
 * path; a namespace given by pid has only its path. */
const char *policy_refuse_netns(const struct policy *p, const char *netns_name,
				const char *netns_path)
{
	const char *r;

	if (!p)
		return NULL;
	r = netns_path ? denied_by(p, LIST_NETNS, netns_path) : NULL;
	if (!r && netns_name)
		r = denied_by(p, LIST_NETNS, netns_name);
	if (r || !p->allow[LIST_NETNS].present)
		return r;
	if ((netns_path && allow_matches(p, LIST_NETNS, netns_path)) ||
	    (netns_name && allow_matches(p, LIST_NETNS, netns_name)))
		return NULL;
	return p->allow[LIST_NETNS].refusal;
}

const char *policy_refuse_path(const struct policy *p, const char *path)
{
	return p ? refuse_one(p, LIST_PATHS, path) : NULL;
}

int policy_check_limit(const struct policy *p, enum policy_limit which, uint64_t value,
		       const char *what, char *err, size_t errlen)
{
	if (!p || (unsigned)which >= POLICY_LIMIT_COUNT || !p->limits[which].set ||
	    value <= p->limits[which].value)
		return 0;
	snprintf(err, errlen, "%s is above %s", what, p->limits[which].rule);
	return -EPERM;
}
