/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Network namespaces as the network faults name them, and how they are found again.
 *
 * A request names a namespace in one of three ways:
 *
 *   "NAME"      a name made by `ip netns add`: /run/netns/NAME, where NAME is
 *               [A-Za-z0-9._-]{1,64} and neither "." nor ".."
 *   "/PATH"     any absolute path to a namespace file (a bind mount of one, or
 *               /proc/PID/ns/net)
 *   {pid: N}    the namespace of process N, through /proc/N/ns/net
 *   {cgroup: P} the namespace the processes of cgroup v2 P (/sys/fs/cgroup/P) live
 *               in, through its first member's /proc/PID/ns/net; refused when the
 *               members do not all share one
 *
 * or not at all (JSON null or absent): the injector's own namespace.
 *
 * A namespace is identified by the device and inode of its nsfs file, which the
 * plan and the undo state record beside the path. Opening it again checks the
 * inode, so that a name reused for a new namespace, or a pid reused by another
 * process, is never taken for the one the fault changed. When the recorded path
 * no longer leads to it (a crash, then `ip netns del` while processes still live in
 * it), the namespace is looked for by inode under /run/netns and /proc/PID/ns/net.
 */
#pragma once

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NETNS_NAME_MAX 64
#define NETNS_RUN_DIR "/run/netns"

struct netns_ref {
	char path[PATH_MAX]; /* what was opened: /run/netns/NAME, /proc/N/ns/net, ... */
	char label[96]; /* for messages: "netns app", "the injector's netns", ... */
	uint64_t dev, ino; /* of the nsfs file */
	bool own; /* the injector's own namespace when validated */
};

/* True when s is a valid namespace name (see above). */
bool netns_name_valid(const char *s);

/*
 * Trust boundary: reads a request's "netns" value (spec may be NULL, meaning the
 * injector's own), checks its form, opens it without side effects (O_PATH first,
 * so that a FIFO or a device named by a path is never opened for reading) and
 * requires an nsfs file of a network namespace. Returns 0 and fills *ret, or
 * -EINVAL (malformed), -ENOENT (no such namespace), -ENOTTY... (not a network
 * namespace: reported as -EINVAL) with a message naming the namespace.
 */
int netns_ref_resolve(const json_t *spec, struct netns_ref *ret, char *err, size_t errlen);

/*
 * Opens the namespace ref names, O_RDONLY | O_CLOEXEC, ready for setns(), after
 * checking it is still the same one (device and inode). When ref->path no longer
 * leads to it and search is set, looks for it by inode as described above.
 * Returns 0 and a new fd in *ret_fd, or -1 in *ret_fd when the namespace is the
 * caller's own (no setns needed); -ENOENT when it cannot be found (it is gone, or
 * unreachable), or another -errno.
 */
int netns_ref_open(const struct netns_ref *ref, bool search, int *ret_fd);

/* The ref as JSON, for plans and undo states ({"path","label","dev","ino","own"}),
 * and back. from_json returns -EINVAL for anything malformed. */
json_t *netns_ref_to_json(const struct netns_ref *ref);
int netns_ref_from_json(const json_t *j, struct netns_ref *ret);
