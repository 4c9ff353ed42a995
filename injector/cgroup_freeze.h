/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The cgroup v2 freezer (cgroup.freeze). Paths are cgroup paths as a target
 * names them ("/system.slice/app.service"), resolved beneath the v2 mount at
 * /sys/fs/cgroup without following symlinks, so a request cannot reach a file
 * outside the cgroup tree.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define CGROUP2_MOUNT "/sys/fs/cgroup"

/* Reads cgroup.freeze. Returns 0, -EOPNOTSUPP when no cgroup v2 hierarchy is
 * mounted there, -ENOENT when the cgroup (or its freezer: the root has none) does
 * not exist, or -errno; every failure explained in err. */
int cgroup_freeze_read(const char *path, bool *ret_frozen, char *err, size_t errlen);

/* Writes 1 or 0 to cgroup.freeze. The kernel completes a freeze asynchronously;
 * this does not wait. Same errors as cgroup_freeze_read(). */
int cgroup_freeze_write(const char *path, bool freeze, char *err, size_t errlen);
