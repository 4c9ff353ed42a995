/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Paths the disk faults act on, handled at the privilege boundary: a path comes
 * from the (untrusted) controller, so it is checked as a string, opened without
 * magic links, and the object it reached is checked again by its device, so that
 * no spelling (symlinks, "//", bind mounts) gets a fault into /proc, /sys or /dev.
 *
 * Also: the block device behind a path, and the whole disk behind a partition,
 * read from /sys/dev/block/MAJ:MIN.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define DISK_PATH_MAX 4095

/* A block device as the kernel numbers it. */
struct disk_dev {
	unsigned major, minor;
};

/* Checks a path string: absolute, at most DISK_PATH_MAX bytes, printable ASCII,
 * no "." or ".." components, and not /proc, /sys or /dev or below them. what
 * names it in messages ("path"). Returns 0 or -EINVAL with a message. */
int disk_path_check(const char *path, const char *what, char *err, size_t errlen);

/* Opens path (checked with disk_path_check()) with flags | O_CLOEXEC through
 * openat2(): magic links are never followed, and with no_symlinks no symlink at
 * all. The object reached must not live on the filesystems of /proc, /sys or
 * /dev (compared by device, after the open). Returns the fd, or -errno with a
 * message. Blocks only on the filesystem. */
int disk_path_open(const char *path, int flags, bool no_symlinks, const char *what, char *err,
		   size_t errlen);

/* The block device a filesystem object lives on (its st_dev), then the whole disk
 * when that is a partition (its "partition" attribute in sysfs; the disk is the
 * parent directory of /sys/dev/block/MAJ:MIN). Fails with -ENODEV and a message
 * naming the filesystem when there is no block device behind it (tmpfs, overlay,
 * btrfs's anonymous devices, NFS). *ret_partition (may be NULL) says whether a
 * partition was resolved to its disk. */
int disk_path_block_device(int fd, const char *path, struct disk_dev *ret_disk, bool *ret_partition,
			   char *err, size_t errlen);

/* Parses "MAJ:MIN". Returns 0 or -EINVAL. */
int disk_dev_parse(const char *s, struct disk_dev *ret);

struct policy;

/* The target policy's paths lists (policy.h) for a disk fault's path: checked as
 * written and as the kernel resolved the open fd (so a symlink or bind mount
 * cannot lead around a deny rule). Returns 0, or -EPERM with the rule in err. */
int disk_path_check_policy(const struct policy *policy, const char *path, int fd, char *err,
			   size_t errlen);
