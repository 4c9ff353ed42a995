/* SPDX-License-Identifier: Apache-2.0 */
#include "disk_pressure_file.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>

#include "macro.h"

int pressure_open_dir(const char *dir)
{
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, AT_FDCWD, dir, &how, sizeof(how));

	return fd < 0 ? negative_errno() : (int)fd;
}

int pressure_file_id_of(int fd, const char *name, struct pressure_file_id *ret)
{
	struct statx stx = { 0 };

	if (statx(fd, name ?: "", name ? AT_SYMLINK_NOFOLLOW : AT_EMPTY_PATH,
		  STATX_INO | STATX_BTIME, &stx) < 0)
		return negative_errno();
	*ret = (struct pressure_file_id){
		.dev = makedev(stx.stx_dev_major, stx.stx_dev_minor),
		.ino = stx.stx_ino,
		.btime_ns = (stx.stx_mask & STATX_BTIME) ?
				    (uint64_t)stx.stx_btime.tv_sec * 1000000000ULL +
					    stx.stx_btime.tv_nsec :
				    0,
	};
	return 0;
}

static bool id_matches(const struct pressure_file_id *want, const struct pressure_file_id *have)
{
	if (!want || (!want->dev && !want->ino))
		return true; /* nothing recorded */
	return want->dev == have->dev && want->ino == have->ino &&
	       (!want->btime_ns || want->btime_ns == have->btime_ns);
}

bool pressure_name_is_ours(const char *name)
{
	size_t n = strlen(PRESSURE_FILE_PREFIX);

	return name && strncmp(name, PRESSURE_FILE_PREFIX, n) == 0 && strlen(name) > n &&
	       strlen(name) < 128 && !strchr(name, '/');
}

/* The direct I/O alignment of an open file (statx STATX_DIOALIGN, Linux 6.1),
 * or 0 when the kernel or filesystem does not say. */
static uint32_t dio_alignment(int fd)
{
	struct statx stx = { 0 };

	if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) < 0 ||
	    !(stx.stx_mask & STATX_DIOALIGN))
		return 0;
	return stx.stx_dio_offset_align;
}

static int check_alignment(int fd, const char *where, uint32_t block_size, char *err, size_t errlen)
{
	uint32_t align = dio_alignment(fd);

	if (align && block_size % align) {
		errbuf_set(err, errlen,
			   "block_size %u is not a multiple of %u, the direct I/O alignment of %s; "
			   "use a multiple of %u, or set direct: false",
			   block_size, align, where, align);
		return -EINVAL;
	}
	return 0;
}

int pressure_probe_direct(const char *dir, const char *file, uint32_t block_size, char *err,
			  size_t errlen)
{
	_cleanup_close_ int fd = -1;

	if (file) {
		/* Opening a file read-only changes nothing. */
		fd = open(file, O_RDONLY | O_DIRECT | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && errno == EINVAL) {
			errbuf_set(err, errlen,
				   "the filesystem of %s does not support O_DIRECT (open: EINVAL); "
				   "set direct: false to use buffered I/O",
				   file);
			return -EINVAL;
		}
		if (fd < 0) {
			int r = negative_errno();
			errbuf_set(err, errlen, "cannot open %s: %s", file, strerror(-r));
			return r;
		}
		return check_alignment(fd, file, block_size, err, errlen);
	}
	/* An unnamed file, gone when closed: the probe leaves nothing behind. */
	fd = open(dir, O_TMPFILE | O_RDWR | O_DIRECT | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EINVAL) {
		_cleanup_close_ int plain = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (plain >= 0) {
			errbuf_set(err, errlen,
				   "the filesystem of %s does not support O_DIRECT (open: EINVAL); "
				   "set direct: false to use buffered I/O",
				   dir);
			return -EINVAL;
		}
		return 0; /* no O_TMPFILE here either: apply finds out */
	}
	if (fd < 0) {
		int r = negative_errno();
		if (r == -EACCES || r == -EROFS || r == -EPERM) {
			errbuf_set(err, errlen, "cannot create files in %s: %s", dir, strerror(-r));
			return r;
		}
		return 0; /* e.g. EOPNOTSUPP: no O_TMPFILE; apply finds out */
	}
	return check_alignment(fd, dir, block_size, err, errlen);
}

static int open_direct_error(int r, const char *dir, const char *name, char *err, size_t errlen)
{
	if (r == -EINVAL)
		errbuf_set(err, errlen,
			   "cannot open %s/%s with O_DIRECT: the filesystem does not support it "
			   "(EINVAL); set direct: false to use buffered I/O",
			   dir, name);
	else
		errbuf_set(err, errlen, "cannot open %s/%s: %s", dir, name, strerror(-r));
	return r;
}

int pressure_create_file(int dirfd, const char *dir, const char *name, uint64_t size, bool direct,
			 struct pressure_file_id *ret_id, char *err, size_t errlen)
{
	struct pressure_file_id id;
	int r;

	if (!pressure_name_is_ours(name))
		return -EINVAL;
	/* O_EXCL | O_NOFOLLOW: never an existing file, never through a symlink. The
	 * O_DIRECT check is separate: a filesystem without it fails the open only
	 * after the file exists. */
	_cleanup_close_ int fd =
		openat(dirfd, name, O_CREAT | O_EXCL | O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = negative_errno();
		errbuf_set(err, errlen, "cannot create %s/%s: %s", dir, name, strerror(-r));
		return r;
	}
	r = pressure_file_id_of(fd, NULL, &id);
	if (r < 0)
		goto fail_msg;
	if (direct) {
		_cleanup_close_ int dfd =
			openat(dirfd, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_DIRECT);
		if (dfd < 0) {
			r = open_direct_error(negative_errno(), dir, name, err, errlen);
			unlinkat(dirfd, name, 0);
			return r;
		}
	}
	if (fallocate(fd, 0, 0, (off_t)size) < 0) {
		r = negative_errno();
		if (r == -EOPNOTSUPP && ftruncate(fd, (off_t)size) == 0)
			goto done;
		if (r == -ENOSPC)
			errbuf_set(err, errlen, "no space for %llu bytes in %s (ENOSPC)",
				   (unsigned long long)size, dir);
		else
			goto fail_msg;
		unlinkat(dirfd, name, 0);
		return r;
	}
done:
	*ret_id = id;
	return 0;
fail_msg:
	errbuf_set(err, errlen, "cannot prepare %s/%s: %s", dir, name, strerror(-r));
	unlinkat(dirfd, name, 0);
	return r;
}

int pressure_open_file(int dirfd, const char *dir, const char *name, bool write, bool direct,
		       const struct pressure_file_id *id, uint64_t *ret_size, char *err,
		       size_t errlen)
{
	struct pressure_file_id have;
	struct stat st;
	int flags = (write ? O_RDWR : O_RDONLY) | O_NOFOLLOW | O_CLOEXEC | (direct ? O_DIRECT : 0);
	_cleanup_close_ int fd = openat(dirfd, name, flags);

	if (fd < 0)
		return open_direct_error(negative_errno(), dir, name, err, errlen);
	if (fstat(fd, &st) < 0)
		return negative_errno();
	if (!S_ISREG(st.st_mode)) {
		errbuf_set(err, errlen, "%s/%s is not a regular file", dir, name);
		return -EINVAL;
	}
	if (pressure_file_id_of(fd, NULL, &have) < 0 || !id_matches(id, &have)) {
		errbuf_set(err, errlen, "%s/%s was replaced since the fault created it", dir, name);
		return -ESTALE;
	}
	*ret_size = (uint64_t)st.st_size;
	return TAKE_FD(fd);
}

int pressure_remove_file(int dirfd, const char *name, const struct pressure_file_id *id)
{
	struct pressure_file_id have;
	int r;

	if (!pressure_name_is_ours(name))
		return -EINVAL;
	r = pressure_file_id_of(dirfd, name, &have);
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	if (!id_matches(id, &have))
		return -ESTALE;
	if (unlinkat(dirfd, name, 0) < 0)
		return errno == ENOENT ? 0 : negative_errno();
	return 1;
}
