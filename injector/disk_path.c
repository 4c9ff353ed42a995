/* SPDX-License-Identifier: Apache-2.0 */
#include "disk_path.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>

#include "macro.h"
#include "policy.h"

/* The pseudo filesystems no disk fault may touch, by their mount points. */
static const char *const forbidden_roots[] = { "/proc", "/sys", "/dev" };

static bool path_is_below(const char *path, const char *root)
{
	size_t n = strlen(root);
	return strncmp(path, root, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

int disk_path_check(const char *path, const char *what, char *err, size_t errlen)
{
	size_t len;

	if (!path || path[0] != '/') {
		errbuf_set(err, errlen, "%s must be an absolute path", what);
		return -EINVAL;
	}
	len = strlen(path);
	if (len > DISK_PATH_MAX) {
		errbuf_set(err, errlen, "%s is longer than %d bytes", what, DISK_PATH_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++)
		if (path[i] < ' ' || path[i] > '~') {
			errbuf_set(err, errlen, "%s must be printable ASCII", what);
			return -EINVAL;
		}
	/* No "." or ".." components: the string names the place, so that the
	 * prefix rules below mean what they say. */
	for (const char *p = path; *p;) {
		while (*p == '/')
			p++;
		size_t n = strcspn(p, "/");
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) {
			errbuf_set(err, errlen, "%s \"%.200s\" must not contain . or .. components",
				   what, path);
			return -EINVAL;
		}
		p += n;
	}
	/* Collapse repeated slashes for the prefix test ("//proc" is /proc). */
	char norm[DISK_PATH_MAX + 1];
	size_t w = 0;
	for (size_t i = 0; i < len; i++)
		if (!(path[i] == '/' && w > 0 && norm[w - 1] == '/'))
			norm[w++] = path[i];
	norm[w] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(forbidden_roots); i++)
		if (path_is_below(norm, forbidden_roots[i])) {
			errbuf_set(err, errlen,
				   "%s \"%.200s\" is under %s, which no disk fault may "
				   "touch",
				   what, path, forbidden_roots[i]);
			return -EPERM;
		}
	return 0;
}

int disk_path_open(const char *path, int flags, bool no_symlinks, const char *what, char *err,
		   size_t errlen)
{
	struct stat st, forbidden;
	int r;

	r = disk_path_check(path, what, err, errlen);
	if (r < 0)
		return r;
	struct open_how how = {
		/* openat2() refuses O_PATH with flags beyond these. */
		.flags = (uint64_t)(flags | O_CLOEXEC | ((flags & O_PATH) ? 0 : O_NOCTTY)),
		.resolve = RESOLVE_NO_MAGICLINKS | (no_symlinks ? RESOLVE_NO_SYMLINKS : 0),
	};
	_cleanup_close_ int fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
	if (fd < 0) {
		r = negative_errno();
		if (r == -ELOOP && no_symlinks)
			errbuf_set(err, errlen,
				   "%s \"%.200s\" goes through a symlink, which is not "
				   "followed here; name the real directory",
				   what, path);
		else
			errbuf_set(err, errlen, "cannot open %s \"%.200s\": %s", what, path,
				   strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = negative_errno();
		errbuf_set(err, errlen, "cannot stat %s \"%.200s\": %s", what, path, strerror(-r));
		return r;
	}
	/* Symlinks and bind mounts can reach a pseudo filesystem under any name:
	 * compare where we landed with the devices of /proc, /sys and /dev. */
	for (size_t i = 0; i < ARRAY_SIZE(forbidden_roots); i++)
		if (stat(forbidden_roots[i], &forbidden) == 0 && forbidden.st_dev == st.st_dev) {
			errbuf_set(err, errlen,
				   "%s \"%.200s\" lies on the filesystem of %s, which "
				   "no disk fault may touch",
				   what, path, forbidden_roots[i]);
			return -EPERM;
		}
	return TAKE_FD(fd);
}

int disk_dev_parse(const char *s, struct disk_dev *ret)
{
	unsigned maj, min;
	int n = 0;

	if (!s || sscanf(s, "%u:%u%n", &maj, &min, &n) != 2 || (s[n] != '\0' && s[n] != '\n'))
		return -EINVAL;
	*ret = (struct disk_dev){ maj, min };
	return 0;
}

static const char *fs_name(unsigned long magic)
{
	switch (magic) {
	case TMPFS_MAGIC:
		return "tmpfs";
	case OVERLAYFS_SUPER_MAGIC:
		return "overlayfs";
	case BTRFS_SUPER_MAGIC:
		return "btrfs (its devices are anonymous; name a path on another filesystem)";
	case NFS_SUPER_MAGIC:
		return "nfs";
	case RAMFS_MAGIC:
		return "ramfs";
	case SQUASHFS_MAGIC:
		return "squashfs";
	case 0x65735546: /* FUSE_SUPER_MAGIC */
		return "fuse";
	default:
		return NULL;
	}
}

/* Reads a sysfs attribute of a block device, relative to /sys/dev/block/MAJ:MIN. */
static int read_block_attr(struct disk_dev d, const char *attr, char *buf, size_t len)
{
	char p[96];
	snprintf(p, sizeof(p), "/sys/dev/block/%u:%u/%s", d.major, d.minor, attr);
	_cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return negative_errno();
	ssize_t n = read(fd, buf, len - 1);
	if (n < 0)
		return negative_errno();
	buf[n] = '\0';
	return (int)n;
}

int disk_path_block_device(int fd, const char *path, struct disk_dev *ret_disk, bool *ret_partition,
			   char *err, size_t errlen)
{
	struct stat st;
	struct statfs fs;
	char buf[64];
	int r;

	if (fstat(fd, &st) < 0) {
		r = negative_errno();
		errbuf_set(err, errlen, "cannot stat \"%.200s\": %s", path, strerror(-r));
		return r;
	}
	struct disk_dev d = { major(st.st_dev), minor(st.st_dev) };
	const char *name = fstatfs(fd, &fs) == 0 ? fs_name((unsigned long)fs.f_type) : NULL;
	if (d.major == 0) {
		errbuf_set(
			err, errlen,
			"\"%.200s\" is on a filesystem without a block device (%s, device %u:%u), "
			"so there is no disk to throttle",
			path, name ? name : "an anonymous device", d.major, d.minor);
		return -ENODEV;
	}
	r = read_block_attr(d, "dev", buf, sizeof(buf));
	if (r < 0) {
		errbuf_set(err, errlen,
			   "\"%.200s\" is on device %u:%u, which is not a block device in "
			   "/sys/dev/block%s%s",
			   path, d.major, d.minor, name ? "; filesystem " : "", name ? name : "");
		return -ENODEV;
	}
	bool partition = read_block_attr(d, "partition", buf, sizeof(buf)) >= 0;
	if (partition) {
		/* The disk is the partition's parent in sysfs: ".." after the
		 * MAJ:MIN link is resolved, so it is the physical parent. */
		struct disk_dev whole;
		r = read_block_attr(d, "../dev", buf, sizeof(buf));
		if (r < 0 || disk_dev_parse(buf, &whole) < 0) {
			errbuf_set(
				err, errlen,
				"\"%.200s\" is on partition %u:%u, whose disk cannot be found in "
				"/sys/dev/block",
				path, d.major, d.minor);
			return r < 0 ? r : -EIO;
		}
		d = whole;
	}
	*ret_disk = d;
	if (ret_partition)
		*ret_partition = partition;
	return 0;
}

int disk_path_check_policy(const struct policy *policy, const char *path, int fd, char *err,
			   size_t errlen)
{
	char proc[64], resolved[PATH_MAX];
	const char *refusal;
	ssize_t n;

	if (!policy)
		return 0;
	refusal = policy_refuse_path(policy, path);
	if (refusal) {
		errbuf_set(err, errlen, "path %s: %s", path, refusal);
		return -EPERM;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, resolved, sizeof(resolved) - 1);
	if (n < 0 || n >= (ssize_t)sizeof(resolved) - 1) {
		errbuf_set(err, errlen,
			   "path %s: cannot tell where it leads, so the policy cannot "
			   "be checked",
			   path);
		return -EPERM;
	}
	resolved[n] = '\0';
	refusal = policy_refuse_path(policy, resolved);
	if (refusal) {
		errbuf_set(err, errlen, "path %s (%s): %s", path, resolved, refusal);
		return -EPERM;
	}
	return 0;
}
