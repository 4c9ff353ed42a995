/* SPDX-License-Identifier: Apache-2.0 */
#include "disk_cgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <mntent.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>

#include "macro.h"
#include "procfs.h"
#include "protocol.h"

#define CGROUP_PATH_MAX 4095
#define LIMIT_FILE_MAX (64 * 1024)
#define UNIT_WALK_MAX_DIRS 20000
#define UNIT_WALK_MAX_DEPTH 4

const char *const io_limit_names[IO_LIMIT_COUNT] = { "rbps", "wbps", "riops", "wiops" };
const char *const io_limit_v1_files[IO_LIMIT_COUNT] = {
	"blkio.throttle.read_bps_device",
	"blkio.throttle.write_bps_device",
	"blkio.throttle.read_iops_device",
	"blkio.throttle.write_iops_device",
};

static int open_beneath(int dirfd, const char *rel, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC | ((flags & O_PATH) ? 0 : O_NOCTTY)),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
	return fd < 0 ? negative_errno() : fd;
}

/* Reads a whole small file from an fd into a malloc'd, NUL-terminated string. */
static int read_all(int fd, char **ret)
{
	_cleanup_free_ char *buf = malloc(LIMIT_FILE_MAX + 1);
	size_t n = 0;

	if (!buf)
		return -ENOMEM;
	while (n < LIMIT_FILE_MAX) {
		ssize_t k = read(fd, buf + n, LIMIT_FILE_MAX - n);
		if (k < 0)
			return negative_errno();
		if (k == 0)
			break;
		n += (size_t)k;
	}
	buf[n] = '\0';
	*ret = TAKE_PTR(buf);
	return (int)n;
}

static bool controllers_list_io(int root)
{
	_cleanup_close_ int fd = open_beneath(root, "cgroup.controllers", O_RDONLY);
	_cleanup_free_ char *text = NULL;

	if (fd < 0 || read_all(fd, &text) < 0)
		return false;
	for (char *p = text; (p = strstr(p, "io"));) {
		bool start = p == text || p[-1] == ' ';
		bool end = p[2] == '\0' || p[2] == ' ' || p[2] == '\n';
		if (start && end)
			return true;
		p += 2;
	}
	return false;
}

static void endmntentp_(FILE **f)
{
	if (*f)
		endmntent(*f);
}

/* The first mount of the version: cgroup2, or a v1 cgroup mount with blkio. */
static int find_mount(enum cgroup_version version)
{
	_cleanup_(endmntentp_) FILE *f = NULL;
	struct mntent m;
	char buf[4096];
	struct statfs fs;

	f = setmntent("/proc/self/mounts", "re");
	if (!f)
		return negative_errno();
	while (getmntent_r(f, &m, buf, sizeof(buf))) {
		bool v2 = streq(m.mnt_type, "cgroup2");
		bool v1 = streq(m.mnt_type, "cgroup") && hasmntopt(&m, "blkio");
		if (!(version == CGROUP_V2 ? v2 : v1))
			continue;
		int fd = open(m.mnt_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			continue;
		unsigned long want =
			version == CGROUP_V2 ? CGROUP2_SUPER_MAGIC : CGROUP_SUPER_MAGIC;
		if (fstatfs(fd, &fs) == 0 && (unsigned long)fs.f_type == want)
			return fd;
		close(fd);
	}
	return -EOPNOTSUPP;
}

int disk_cgroup_open_root(enum cgroup_version version)
{
	if (version != CGROUP_V1 && version != CGROUP_V2)
		return -EINVAL;
	return find_mount(version);
}

int disk_cgroup_open_hierarchy(enum cgroup_version *ret_version, int *ret_root, char *err,
			       size_t errlen)
{
	_cleanup_close_ int v2 = find_mount(CGROUP_V2);

	/* A controller lives in one hierarchy at a time: v2 throttles only when io
	 * is bound to it. */
	if (v2 >= 0 && controllers_list_io(v2)) {
		*ret_version = CGROUP_V2;
		*ret_root = TAKE_FD(v2);
		return 0;
	}
	int v1 = find_mount(CGROUP_V1);
	if (v1 >= 0) {
		*ret_version = CGROUP_V1;
		*ret_root = v1;
		return 0;
	}
	errbuf_set(err, errlen,
		   "no cgroup hierarchy here can throttle I/O: cgroup v2 %s the io controller, "
		   "and no cgroup v1 hierarchy has blkio",
		   v2 >= 0 ? "is mounted without" : "is not mounted with");
	return -EOPNOTSUPP;
}

int disk_cgroup_normalize(const char *path, char **ret)
{
	size_t len = path ? strlen(path) : 0;
	_cleanup_free_ char *out = NULL;
	size_t w = 0;

	if (len == 0 || len > CGROUP_PATH_MAX)
		return -EINVAL;
	out = malloc(len + 2);
	if (!out)
		return -ENOMEM;
	for (const char *p = path; *p;) {
		while (*p == '/')
			p++;
		size_t n = strcspn(p, "/");
		if (n == 0)
			break;
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return -EINVAL;
		for (size_t i = 0; i < n; i++)
			if (p[i] <= ' ' || p[i] > '~')
				return -EINVAL;
		out[w++] = '/';
		memcpy(out + w, p, n);
		w += n;
		p += n;
	}
	if (w == 0)
		out[w++] = '/';
	out[w] = '\0';
	*ret = TAKE_PTR(out);
	return 0;
}

int disk_cgroup_of_pid(enum cgroup_version version, pid_t pid, char **ret)
{
	char text[8192];
	ssize_t n = procfs_read_cgroups(pid, text, sizeof(text));

	if (n < 0)
		return (int)n;
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *c1 = strchr(line, ':');
		char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c2 = '\0';
		const char *ctrls = c1 + 1, *path = c2 + 1;
		bool match = false;
		if (version == CGROUP_V2) {
			match = strncmp(line, "0:", 2) == 0 && *ctrls == '\0';
		} else {
			for (const char *p = ctrls; *p;) {
				size_t k = strcspn(p, ",");
				match = match || (k == 5 && strncmp(p, "blkio", 5) == 0);
				p += k + (p[k] == ',');
			}
		}
		if (match)
			return disk_cgroup_normalize(path, ret);
	}
	return -ENOENT;
}

struct unit_walk {
	const char *unit;
	unsigned visited;
	unsigned found;
	char path[CGROUP_PATH_MAX + 1];
	char first[CGROUP_PATH_MAX + 1];
};

static int walk(int parent, size_t plen, unsigned depth, struct unit_walk *w)
{
	_cleanup_close_ int fd = openat(parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	DIR *d = fdopendir(fd);
	if (!d)
		return negative_errno();
	fd = -1;
	struct dirent *de;
	int r = 0;
	while (r == 0 && (de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (++w->visited > UNIT_WALK_MAX_DIRS) {
			r = -E2BIG;
			break;
		}
		size_t n = strlen(de->d_name);
		if (plen + 1 + n > CGROUP_PATH_MAX)
			continue;
		w->path[plen] = '/';
		memcpy(w->path + plen + 1, de->d_name, n + 1);
		if (streq(de->d_name, w->unit)) {
			if (w->found++ == 0)
				memcpy(w->first, w->path, plen + n + 2);
			continue;
		}
		if (depth + 1 >= UNIT_WALK_MAX_DEPTH)
			continue;
		int sub = open_beneath(dirfd(d), de->d_name, O_PATH | O_DIRECTORY);
		if (sub < 0)
			continue;
		r = walk(sub, plen + 1 + n, depth + 1, w);
		close(sub);
	}
	closedir(d);
	return r;
}

int disk_cgroup_of_unit(int root, const char *unit, char **ret, char *err, size_t errlen)
{
	_cleanup_free_ struct unit_walk *w = calloc(1, sizeof(*w));
	int r;

	if (!w)
		return -ENOMEM;
	w->unit = unit;
	r = walk(root, 0, 0, w);
	if (r == -E2BIG) {
		errbuf_set(err, errlen,
			   "looking for unit %s went over %d cgroups; name its cgroup instead",
			   unit, UNIT_WALK_MAX_DIRS);
		return r;
	}
	if (r < 0) {
		errbuf_set(err, errlen, "cannot search the cgroups for unit %s: %s", unit,
			   strerror(-r));
		return r;
	}
	if (w->found == 0) {
		errbuf_set(err, errlen, "no cgroup is named after unit %s (is it running?)", unit);
		return -ENOENT;
	}
	if (w->found > 1) {
		errbuf_set(err, errlen,
			   "%u cgroups are named %s (one is %s); name the cgroup instead", w->found,
			   unit, w->first);
		return -ENOTUNIQ;
	}
	return disk_cgroup_normalize(w->first, ret);
}

static int cgroup_rel(const char *cgroup, const char *file, char *buf, size_t len)
{
	while (*cgroup == '/')
		cgroup++;
	int n = snprintf(buf, len, "%s%s%s", *cgroup ? cgroup : ".", file ? "/" : "",
			 file ? file : "");
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int disk_cgroup_open_file(int root, const char *cgroup, const char *file, int flags)
{
	char rel[CGROUP_PATH_MAX + 128];
	int r = cgroup_rel(cgroup, file, rel, sizeof(rel));
	return r < 0 ? r : open_beneath(root, rel, flags);
}

int disk_cgroup_open_dir(int root, const char *cgroup)
{
	char rel[CGROUP_PATH_MAX + 128];
	int r = cgroup_rel(cgroup, NULL, rel, sizeof(rel));
	return r < 0 ? r : open_beneath(root, rel, O_PATH | O_DIRECTORY);
}

/* The text after "MAJ:MIN " on the device's line of a limit file, malloc'd, or
 * NULL in *ret when there is no such line. */
static int read_device_line(int root, const char *cgroup, const char *file, struct disk_dev dev,
			    char **ret)
{
	_cleanup_close_ int fd = disk_cgroup_open_file(root, cgroup, file, O_RDONLY);
	_cleanup_free_ char *text = NULL;
	char prefix[32];
	int r;

	if (fd < 0)
		return fd;
	r = read_all(fd, &text);
	if (r < 0)
		return r;
	snprintf(prefix, sizeof(prefix), "%u:%u ", dev.major, dev.minor);
	*ret = NULL;
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (strncmp(line, prefix, strlen(prefix)) == 0) {
			*ret = strdup(line + strlen(prefix));
			return *ret ? 0 : -ENOMEM;
		}
	}
	return 0;
}

static int write_text(int root, const char *cgroup, const char *file, const char *text)
{
	_cleanup_close_ int fd = disk_cgroup_open_file(root, cgroup, file, O_WRONLY);
	if (fd < 0)
		return fd;
	size_t n = strlen(text);
	ssize_t k = write(fd, text, n);
	if (k < 0)
		return negative_errno();
	return (size_t)k == n ? 0 : -EIO;
}

static const char *version_file(enum cgroup_version version, enum io_limit l)
{
	return version == CGROUP_V2 ? "io.max" : io_limit_v1_files[l];
}

int disk_cgroup_read_limits(int root, enum cgroup_version version, const char *cgroup,
			    struct disk_dev dev, json_t **ret, char *err, size_t errlen)
{
	_cleanup_json_ json_t *out = json_object();
	int r;

	if (!out)
		return -ENOMEM;
	for (int l = 0; l < IO_LIMIT_COUNT; l++) {
		_cleanup_free_ char *line = NULL;
		const char *file = version_file(version, (enum io_limit)l);
		r = read_device_line(root, cgroup, file, dev, &line);
		if (r < 0) {
			errbuf_set(
				err, errlen, "cannot read %s of cgroup %s: %s%s", file, cgroup,
				strerror(-r),
				r == -ENOENT && version == CGROUP_V2 ?
					" (is io enabled in its parent's cgroup.subtree_control?)" :
					"");
			return r;
		}
		if (version == CGROUP_V2) {
			json_object_set_new(out, "io_max", line ? json_string(line) : json_null());
			break;
		}
		uint64_t v = 0;
		char *end;
		if (line) {
			errno = 0;
			v = strtoull(line, &end, 10);
			if (errno || end == line || (*end && *end != '\n')) {
				errbuf_set(err, errlen, "cannot parse %s of cgroup %s", file,
					   cgroup);
				return -EIO;
			}
		}
		json_object_set_new(out, io_limit_names[l],
				    line ? json_integer((json_int_t)v) : json_null());
	}
	*ret = TAKE_PTR(out);
	return 0;
}

/* The v1 line that puts back one limit: the old value, or 0 (which removes it). */
static int v1_restore_one(int root, const char *cgroup, struct disk_dev dev, enum io_limit l,
			  const json_t *before)
{
	json_t *old = json_object_get(before, io_limit_names[l]);
	char text[64];

	if (old && !json_is_null(old) && (!json_is_integer(old) || json_integer_value(old) <= 0))
		return -EINVAL;
	snprintf(text, sizeof(text), "%u:%u %" PRIu64, dev.major, dev.minor,
		 json_is_integer(old) ? (uint64_t)json_integer_value(old) : 0);
	return write_text(root, cgroup, io_limit_v1_files[l], text);
}

int disk_cgroup_restore(int root, enum cgroup_version version, const char *cgroup,
			struct disk_dev dev, const bool set[IO_LIMIT_COUNT], const json_t *before,
			char *err, size_t errlen)
{
	int r = 0;

	if (version == CGROUP_V2) {
		json_t *old = json_object_get(before, "io_max");
		char text[512];
		if (!old || (!json_is_null(old) && !json_is_string(old)))
			return -EINVAL;
		const char *s = json_is_string(old) ? json_string_value(old) :
						      "rbps=max wbps=max riops=max wiops=max";
		/* The line as read: four key=value words of printable ASCII. */
		for (const char *p = s; *p; p++)
			if (*p < ' ' || *p > '~')
				return -EINVAL;
		if (strlen(s) > 400)
			return -EINVAL;
		snprintf(text, sizeof(text), "%u:%u %s", dev.major, dev.minor, s);
		r = write_text(root, cgroup, "io.max", text);
		if (r < 0)
			errbuf_set(err, errlen, "cannot restore io.max of cgroup %s to \"%s\": %s",
				   cgroup, s, strerror(-r));
		return r;
	}
	int first = 0;
	for (int l = 0; l < IO_LIMIT_COUNT; l++) {
		if (!set[l])
			continue;
		r = v1_restore_one(root, cgroup, dev, (enum io_limit)l, before);
		if (r < 0 && !first) {
			first = r;
			errbuf_set(err, errlen, "cannot restore %s of cgroup %s: %s",
				   io_limit_v1_files[l], cgroup, strerror(-r));
		}
	}
	return first;
}

int disk_cgroup_write_limits(int root, enum cgroup_version version, const char *cgroup,
			     struct disk_dev dev, const uint64_t values[IO_LIMIT_COUNT],
			     const bool set[IO_LIMIT_COUNT], const json_t *before, char *err,
			     size_t errlen)
{
	char text[256];
	size_t w;
	int r;

	w = (size_t)snprintf(text, sizeof(text), "%u:%u", dev.major, dev.minor);
	if (version == CGROUP_V2) {
		for (int l = 0; l < IO_LIMIT_COUNT; l++)
			if (set[l])
				w += (size_t)snprintf(text + w, sizeof(text) - w, " %s=%" PRIu64,
						      io_limit_names[l], values[l]);
		r = write_text(root, cgroup, "io.max", text);
		if (r < 0)
			errbuf_set(err, errlen, "cannot write \"%s\" to io.max of cgroup %s: %s",
				   text, cgroup, strerror(-r));
		return r;
	}
	bool done[IO_LIMIT_COUNT] = { false };
	for (int l = 0; l < IO_LIMIT_COUNT; l++) {
		if (!set[l])
			continue;
		snprintf(text + w, sizeof(text) - w, " %" PRIu64, values[l]);
		r = write_text(root, cgroup, io_limit_v1_files[l], text);
		if (r < 0) {
			errbuf_set(err, errlen, "cannot write \"%s\" to %s of cgroup %s: %s", text,
				   io_limit_v1_files[l], cgroup, strerror(-r));
			disk_cgroup_restore(root, version, cgroup, dev, done, before, NULL, 0);
			return r;
		}
		done[l] = true;
	}
	return 0;
}

int disk_cgroup_move(int root, const char *cgroup, pid_t pid)
{
	char text[24];
	snprintf(text, sizeof(text), "%d", (int)pid);
	return write_text(root, cgroup, "cgroup.procs", text);
}

int disk_cgroup_move_all(int root, const char *from, const char *to)
{
	_cleanup_close_ int fd = disk_cgroup_open_file(root, from, "cgroup.procs", O_RDONLY);
	_cleanup_free_ char *text = NULL;
	int moved = 0, first = 0, r;

	if (fd < 0)
		return fd;
	r = read_all(fd, &text);
	if (r < 0)
		return r;
	for (char *p = text; *p;) {
		char *end;
		long pid = strtol(p, &end, 10);
		if (end == p)
			break;
		r = pid > 0 ? disk_cgroup_move(root, to, (pid_t)pid) : -EINVAL;
		if (r == 0)
			moved++;
		else if (r != -ESRCH && !first)
			first = r;
		p = end;
		while (*p == '\n')
			p++;
	}
	return first ? first : moved;
}
