/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The target policy (docs/security.md): an optional file, /etc/faultline/policy.yaml
 * by default, that narrows what any peer may target. It is read once, by root,
 * before the sandbox is entered, and enforced here in the injector, so no
 * controller can bypass it. It only ever refuses more: the built-in blast-radius
 * rules (pid 1, injectors, the controller, kernel threads) hold whatever it says.
 *
 *   version: 1
 *   allow: {interfaces: [...], netns: [...], cgroups: [...], units: [...],
 *           comm: [...], paths: [...]}
 *   deny:  {the same lists}
 *   limits: {max_duration: 10m, max_targets: 10, max_delay: 2s, max_loss: 50%,
 *            max_fill: 10GiB}
 *
 * Patterns: interfaces, netns, units and comm are shell globs (fnmatch); cgroups
 * and paths are absolute paths that also cover everything beneath them. A deny
 * match refuses. When an allow list is given, a target of that kind must match
 * one of its patterns. Every refusal names the rule: the file, its line and
 * column, the list and the pattern.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "macro.h"

#define POLICY_DEFAULT_PATH "/etc/faultline/policy.yaml"

struct policy;

enum policy_limit {
	POLICY_MAX_DURATION, /* ns, every fault with a duration */
	POLICY_MAX_TARGETS, /* processes one process fault may act on */
	POLICY_MAX_DELAY, /* ns, network delay */
	POLICY_MAX_LOSS, /* parts per million, network loss */
	POLICY_MAX_FILL, /* bytes, disk.fill */
	POLICY_LIMIT_COUNT,
};

/*
 * Reads and strictly validates the policy at path. Returns 0 and a new *ret;
 * -ENOENT when the file does not exist (the caller decides whether that is
 * fine); any other -errno with "path:line:col: what was expected" in err for a
 * file that exists but is unreadable, not owned by root, writable by others, or
 * invalid: an injector must not run with half a policy.
 */
int policy_load(const char *path, struct policy **ret, char *err, size_t errlen);

/* Accepts NULL; returns NULL. */
struct policy *policy_free(struct policy *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct policy *, policy_free);

/* The path it was loaded from; "" for NULL. */
const char *policy_path(const struct policy *p);

/*
 * The checks. Each returns NULL when p allows the subject (a NULL p allows
 * everything), or a refusal naming the rule, owned by p and valid as long as it.
 * cgroups is the text of /proc/PID/cgroup (every hierarchy's line is checked);
 * netns_name is the name under /run/netns, "host" for the injector's own
 * namespace, or NULL when the namespace was given by pid.
 */
const char *policy_refuse_process(const struct policy *p, const char *comm, const char *cgroups);
const char *policy_refuse_cgroup(const struct policy *p, const char *cgroup_path);
const char *policy_refuse_interface(const struct policy *p, const char *ifname);
const char *policy_refuse_netns(const struct policy *p, const char *netns_name,
				const char *netns_path);
const char *policy_refuse_path(const struct policy *p, const char *path);

/* 0 when value is within the limit (or none is set); -EPERM with a message naming
 * the rule in err otherwise. what names the value ("delay 3s"). */
int policy_check_limit(const struct policy *p, enum policy_limit which, uint64_t value,
		       const char *what, char *err, size_t errlen);
