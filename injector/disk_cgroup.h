/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The cgroup side of disk.throttle: which hierarchy holds the io controller,
 * cgroup paths (given, of a pid, of a systemd unit), the per-device limit files,
 * and moving processes between cgroups.
 *
 *   cgroup v2: io.max, one line per device, "MAJ:MIN rbps=N wbps=N riops=N wiops=N"
 *              ("max" = no limit; no line at all = no limit on any of the four)
 *   cgroup v1: blkio.throttle.{read,write}_{bps,iops}_device, "MAJ:MIN N" per line
 *              (no line = no limit; writing 0 removes the line)
 *
 * Cgroup paths are relative to the hierarchy's mount ("/system.slice/x.service")
 * and every file is opened beneath the mount's fd through openat2() without
 * following any symlink, so that a request cannot reach a file outside the
 * cgroup tree. The root cgroup is never a target: callers refuse "/".
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "disk_path.h"

enum cgroup_version {
	CGROUP_V1 = 1,
	CGROUP_V2 = 2,
};

/* The four limits, in this order everywhere. */
enum io_limit {
	IO_RBPS,
	IO_WBPS,
	IO_RIOPS,
	IO_WIOPS,
	IO_LIMIT_COUNT,
};

/* Their protocol names ("rbps") and, for v1, their file names. */
extern const char *const io_limit_names[IO_LIMIT_COUNT];
extern const char *const io_limit_v1_files[IO_LIMIT_COUNT];

/* The hierarchy that throttles: v2 when its root lists "io" in cgroup.controllers,
 * else a v1 hierarchy with blkio. Opens its mount root (O_PATH, O_CLOEXEC).
 * Returns 0, or -EOPNOTSUPP with a message when neither is there. */
int disk_cgroup_open_hierarchy(enum cgroup_version *ret_version, int *ret_root, char *err,
			       size_t errlen);

/* Opens the mount root of a given version (for reverts, which must use the
 * hierarchy they applied to). Returns the fd or -EOPNOTSUPP. */
int disk_cgroup_open_root(enum cgroup_version version);

/* A cgroup path checked and normalised: leading '/', no trailing '/', no "." or
 * ".." components, printable ASCII, at most 4095 bytes. "/" is the root. Returns 0
 * with a malloc'd *ret, or -EINVAL / -ENOMEM. */
int disk_cgroup_normalize(const char *path, char **ret);

/* The cgroup of pid in the hierarchy (the "0::" line for v2, the line naming
 * blkio for v1). Returns 0 with a malloc'd *ret, -ESRCH, or -errno. */
int disk_cgroup_of_pid(enum cgroup_version version, pid_t pid, char **ret);

/* The cgroup named after a systemd unit ("nginx.service"): a directory of that
 * name at most 4 levels below the root, found by a bounded walk (at most 20,000
 * directories). Exactly one must match. Returns 0 with a malloc'd *ret,
 * -ENOENT, -ENOTUNIQ, or -E2BIG, each with a message. */
int disk_cgroup_of_unit(int root, const char *unit, char **ret, char *err, size_t errlen);

/* Opens cgroup/file beneath root without following symlinks. The cgroup must be a
 * normalised path. Returns the fd or -errno. */
int disk_cgroup_open_file(int root, const char *cgroup, const char *file, int flags);

/* Opens the cgroup's directory (O_PATH). Returns the fd or -errno. */
int disk_cgroup_open_dir(int root, const char *cgroup);

/* Reads the current limits of dev in the cgroup as a new JSON value that
 * disk_cgroup_restore() puts back exactly:
 *   v2: {"io_max": "rbps=max wbps=1048576 riops=max wiops=max"} or {"io_max": null}
 *   v1: {"rbps": N|null, "wbps": N|null, "riops": N|null, "wiops": N|null}
 * Returns 0 or -errno with a message. */
int disk_cgroup_read_limits(int root, enum cgroup_version version, const char *cgroup,
			    struct disk_dev dev, json_t **ret, char *err, size_t errlen);

/* Sets the limits in set[] (values > 0) for dev, leaving the others as they are.
 * Returns 0 or -errno with a message; on failure, limits already written (v1
 * writes one file per limit) are put back from before. */
int disk_cgroup_write_limits(int root, enum cgroup_version version, const char *cgroup,
			     struct disk_dev dev, const uint64_t values[IO_LIMIT_COUNT],
			     const bool set[IO_LIMIT_COUNT], const json_t *before, char *err,
			     size_t errlen);

/* Puts back what disk_cgroup_read_limits() read, for the limits in set[] (v1) or
 * the whole line (v2; "no line" is written as every limit "max", which the kernel
 * shows as no line again). Returns 0, -ENOENT when the cgroup is gone, or -errno
 * with a message. */
int disk_cgroup_restore(int root, enum cgroup_version version, const char *cgroup,
			struct disk_dev dev, const bool set[IO_LIMIT_COUNT], const json_t *before,
			char *err, size_t errlen);

/* Writes pid to the cgroup's cgroup.procs. Returns 0 or -errno. */
int disk_cgroup_move(int root, const char *cgroup, pid_t pid);

/* Moves every process listed in from's cgroup.procs to to. Returns the number
 * moved, or -errno (-ENOENT when from is gone). */
int disk_cgroup_move_all(int root, const char *from, const char *to);
