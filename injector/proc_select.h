/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Choosing the processes a fault acts on: selectors that must all match,
 * exclusions, the blast-radius refusals, and a seeded random pick.
 *
 * The "target" object of the protocol (docs/faults.md is the user's view):
 *   pid, pidfile, comm (exact), cmdline (POSIX ERE), cgroup (a path, v2 or v1,
 *   matching that cgroup and those below it), unit (a systemd unit name, matched
 *   against the cgroup path's components), user (name or uid: the effective
 *   uid), ppid                                 -- all given must match
 *   exclude: one object or a list of them, of the same selector forms; a process
 *            matching any of them is left out
 *   pidns: a pid (in our view) whose pid namespace pid and ppid are read in;
 *          only processes of that namespace are candidates
 *   count: N | percent: P, max: N, seed: S     -- the pick
 *   allow_empty: true                          -- no match is not an error
 *
 * Trust boundary: the object comes from the controller; every field is checked
 * here before any of it is used.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "fault.h"
#include "procfs.h"

#define SELECT_MAX_EXCLUDES 16
#define SELECT_MAX_REPORTED_REFUSALS 16
/* More matches than this need an explicit count, percent or max. */
#define SELECT_UNBOUNDED_MAX 64

struct selection_spec;

/* Parses and checks a target object. Returns 0 and a new spec, or -errno with a
 * message naming the field. A pidfile is read here, under the rules of
 * read_pidfile(). */
int selection_spec_parse(const json_t *target, const struct fault_context *ctx,
			 struct selection_spec **ret, char *err, size_t errlen);

/* Accepts NULL; returns NULL. */
struct selection_spec *selection_spec_free(struct selection_spec *spec);

/* Runs the selection against /proc. Returns 0 and a new object:
 *   {"targets":[{"pid","starttime","comm","ppid","uid","cgroup"}...],
 *    "matched":N, "seed":S, "refused":[{"pid","comm","reason"}...]}
 * with targets sorted by pid. iteration varies the pick for repeated selections
 * (0 for the first). No match is -ESRCH (with allow_empty: success, no targets);
 * a match the blast-radius rules refuse entirely is -EPERM naming the rule. */
int selection_run(const struct selection_spec *spec, const struct fault_context *ctx,
		  uint64_t iteration, json_t **ret_selection, char *err, size_t errlen);

/* Whether process pid matches the spec's selectors and exclusions and may be a
 * target (the pick is not applied). A pidfile selector is read again, so that a
 * restarted service's new pid matches. Returns 1, 0, or -errno. On 1 fills
 * *ret_stat when not NULL. */
int selection_matches(const struct selection_spec *spec, const struct fault_context *ctx, pid_t pid,
		      struct proc_stat *ret_stat);

/* When the spec selects by pidfile, reads it again: returns the pid it names now,
 * 0 when there is no pidfile selector, or -errno. */
int selection_pidfile_pid(const struct selection_spec *spec, const struct fault_context *ctx);

/* Parse and run in one go, for a fault's validate(). */
int proc_select(const json_t *target, const struct fault_context *ctx, json_t **ret_selection,
		char *err, size_t errlen);
