/* SPDX-License-Identifier: Apache-2.0 */
#include "cgroup_freeze.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/vfs.h>

#include "macro.h"

/* The v2 hierarchy: at /sys/fs/cgroup on unified hosts, or beside the v1 ones at
 * /sys/fs/cgroup/unified on hybrid hosts. */
static int open_cgroup2_root(void)
{
	static const char *const mounts[] = { CGROUP2_MOUNT, CGROUP2_MOUNT "/unified" };
	struct statfs fs;

	for (size_t i = 0; i < ARRAY_SIZE(mounts); i++) {
		int fd = open(mounts[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fstatfs(fd, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC)
			return fd;
		close(fd);
	}
	return -EOPNOTSUPP;
}

static int open_freeze_file(const char *path, int flags, char *err, size_t errlen)
{
	char rel[4200];

	_cleanup_close_ int root = open_cgroup2_root();
	if (root < 0) {
		errbuf_set(err, errlen, "no cgroup v2 hierarchy is mounted at %s or %s/unified, so "
					"cgroups cannot be frozen here",
			   CGROUP2_MOUNT, CGROUP2_MOUNT);
		return -EOPNOTSUPP;
	}
	while (*path == '/')
		path++;
	if (!*path) {
		errbuf_set(err, errlen, "the root cgroup cannot be frozen");
		return -EINVAL;
	}
	snprintf(rel, sizeof(rel), "%s/cgroup.freeze", path);
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC | O_NOCTTY),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, root, rel, &how, sizeof(how));
	if (fd < 0) {
		int r = negative_errno();
		errbuf_set(err, errlen, "cannot open the freezer of cgroup %s: %s", path,
			   strerror(-r));
		return r;
	}
	return fd;
}

int cgroup_freeze_read(const char *path, bool *ret_frozen, char *err, size_t errlen)
{
	char buf[8];
	_cleanup_close_ int fd = open_freeze_file(path, O_RDONLY, err, errlen);
	if (fd < 0)
		return fd;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0) {
		errbuf_set(err, errlen, "cannot read the freezer of cgroup %s", path);
		return n < 0 ? negative_errno() : -EIO;
	}
	*ret_frozen = buf[0] == '1';
	return 0;
}

int cgroup_freeze_write(const char *path, bool freeze, char *err, size_t errlen)
{
	_cleanup_close_ int fd = open_freeze_file(path, O_WRONLY, err, errlen);
	if (fd < 0)
		return fd;
	if (write(fd, freeze ? "1" : "0", 1) != 1) {
		int r = negative_errno();
		errbuf_set(err, errlen, "cannot %s cgroup %s: %s", freeze ? "freeze" : "thaw", path,
			   strerror(-r));
		return r;
	}
	return 0;
}
