/* SPDX-License-Identifier: Apache-2.0 */
#include "net_netns.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "macro.h"
#include "protocol.h"

#define NETNS_PID_MAX 4194304

bool netns_name_valid(const char *s)
{
	size_t n = 0;

	if (!s || streq(s, ".") || streq(s, ".."))
		return false;
	for (; s[n]; n++)
		if (!isalnum((unsigned char)s[n]) && s[n] != '.' && s[n] != '_' && s[n] != '-')
			return false;
	return n >= 1 && n <= NETNS_NAME_MAX;
}

/* Opens path as a network namespace file. O_PATH first: that open has no side
 * effects whatever the path names (a FIFO would block a read open; a device could
 * act on it), and the file system type is checked before the real open. Returns 0,
 * -ENOENT..., or -EINVAL when the file is not a network namespace. */
#define NETNS_CGROUP_MAX_PIDS 4096

/* A cgroup v2 path as the process selectors take it: absolute, below the mount,
 * printable, without "." or ".." components. */
static bool cgroup_path_valid(const char *p)
{
	if (p[0] != '/' || strlen(p) >= 1024 || strstr(p, "/../") || strstr(p, "/./") ||
	    strstr(p, "//"))
		return false;
	for (const char *c = p; *c; c++)
		if (*c < ' ' || *c > '~')
			return false;
	size_t n = strlen(p);
	return !(n >= 3 && streq(p + n - 3, "/..")) && !(n >= 2 && streq(p + n - 2, "/."));
}

static int ns_inode(pid_t pid, uint64_t *ret_ino)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	if (stat(path, &st) < 0)
		return negative_errno();
	*ret_ino = st.st_ino;
	return 0;
}

/* {"cgroup": PATH}: the netns its member processes live in, through the first
 * member's /proc/PID/ns/net. Every member must share it: a cgroup spread over
 * namespaces names none of them. The cgroup's own file is opened without following
 * symlinks; its contents are pids, nothing is executed or written. */
static int netns_of_cgroup(const json_t *v, struct netns_ref *ref, char *err, size_t errlen)
{
	const char *cg = json_string_value(v);
	char path[1200], line[32];
	_cleanup_fclose_ FILE *f = NULL;
	uint64_t first_ino = 0, ino;
	pid_t first = 0;
	size_t n = 0;
	int fd;

	if (!cg || !cgroup_path_valid(cg)) {
		errbuf_set(err, errlen,
			   "netns.cgroup must be an absolute cgroup v2 path such as "
			   "/system.slice/app.service, printable, without . or .. components");
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "/sys/fs/cgroup%s/cgroup.procs", streq(cg, "/") ? "" : cg);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0 || !(f = fdopen(fd, "r"))) {
		int r = negative_errno();
		safe_close(fd);
		errbuf_set(err, errlen, "netns of cgroup %.200s: cannot read %.300s: %s", cg, path,
			   strerror(-r));
		return r;
	}
	while (fgets(line, sizeof(line), f) && n < NETNS_CGROUP_MAX_PIDS) {
		long pid = strtol(line, NULL, 10);
		if (pid <= 0 || pid > NETNS_PID_MAX || ns_inode((pid_t)pid, &ino) < 0)
			continue; /* exited meanwhile */
		if (!first) {
			first = (pid_t)pid;
			first_ino = ino;
		} else if (ino != first_ino) {
			errbuf_set(
				err, errlen,
				"netns of cgroup %.200s: its processes live in different network "
				"namespaces (pids %d and %ld); name one with netns",
				cg, (int)first, pid);
			return -EINVAL;
		}
		n++;
	}
	if (!first) {
		errbuf_set(err, errlen, "netns of cgroup %.200s: the cgroup has no process", cg);
		return -ENOENT;
	}
	snprintf(ref->path, sizeof(ref->path), "/proc/%d/ns/net", (int)first);
	snprintf(ref->label, sizeof(ref->label), "the netns of cgroup %.60s", cg);
	return 0;
}

static int open_nsfs(const char *path, int *ret_fd, uint64_t *ret_dev, uint64_t *ret_ino)
{
	_cleanup_close_ int pfd = -1, fd = -1;
	char self[64];
	struct statfs sfs;
	struct stat a, b;

	pfd = open(path, O_PATH | O_CLOEXEC);
	if (pfd < 0)
		return negative_errno();
	if (fstatfs(pfd, &sfs) < 0 || fstat(pfd, &a) < 0)
		return negative_errno();
	if (sfs.f_type != NSFS_MAGIC)
		return -EINVAL;
	snprintf(self, sizeof(self), "/proc/self/fd/%d", pfd);
	fd = open(self, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return negative_errno();
	if (fstat(fd, &b) < 0)
		return negative_errno();
	if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		return -ESTALE;
	int type = ioctl(fd, NS_GET_NSTYPE);
	if (type < 0)
		return negative_errno();
	if (type != CLONE_NEWNET)
		return -EINVAL;
	*ret_dev = (uint64_t)b.st_dev;
	*ret_ino = (uint64_t)b.st_ino;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

static int own_netns(uint64_t *ret_dev, uint64_t *ret_ino)
{
	struct stat st;

	if (stat("/proc/thread-self/ns/net", &st) < 0)
		return negative_errno();
	*ret_dev = (uint64_t)st.st_dev;
	*ret_ino = (uint64_t)st.st_ino;
	return 0;
}

int netns_ref_resolve(const json_t *spec, struct netns_ref *ret, char *err, size_t errlen)
{
	/*
	 * Trust boundary: the controller names a file that the injector, as root,
	 * opens and then enters. Names are kept to the characters `ip netns` uses, so
	 * that a name can never climb out of /run/netns; paths must be absolute; and
	 * whatever is named must turn out to be a network namespace before anything
	 * else happens with it.
	 */
	struct netns_ref ref = { 0 };
	const char *s;
	int r;

	if (!spec || json_is_null(spec)) {
		r = own_netns(&ref.dev, &ref.ino);
		if (r < 0) {
			errbuf_set(err, errlen, "cannot read the injector's own netns: %s",
				   strerror(-r));
			return r;
		}
		snprintf(ref.path, sizeof(ref.path), "/proc/self/ns/net");
		snprintf(ref.label, sizeof(ref.label), "the injector's netns");
		ref.own = true;
		*ret = ref;
		return 0;
	}
	if (json_is_object(spec) && json_object_get(spec, "cgroup")) {
		static const char *const keys[] = { "cgroup", NULL };
		r = protocol_check_keys(spec, keys, err, errlen);
		if (r >= 0)
			r = netns_of_cgroup(json_object_get(spec, "cgroup"), &ref, err, errlen);
		if (r < 0)
			return r;
	} else if (json_is_object(spec)) {
		static const char *const keys[] = { "pid", NULL };
		uint64_t pid;
		r = protocol_check_keys(spec, keys, err, errlen);
		if (r < 0)
			return r;
		if (protocol_get_uint(spec, "pid", 1, NETNS_PID_MAX, &pid) <= 0) {
			errbuf_set(err, errlen, "netns.pid must be a pid from 1 to %d",
				   NETNS_PID_MAX);
			return -EINVAL;
		}
		snprintf(ref.path, sizeof(ref.path), "/proc/%llu/ns/net", (unsigned long long)pid);
		snprintf(ref.label, sizeof(ref.label), "the netns of pid %llu",
			 (unsigned long long)pid);
	} else if (json_is_string(spec)) {
		/* s borrows from wrap, which lives to the end of this block. */
		_cleanup_json_ json_t *wrap = json_pack("{s:O}", "netns", spec);
		if (!wrap)
			return -ENOMEM;
		if (protocol_get_string(wrap, "netns", PATH_MAX - 1, &s) <= 0) {
			errbuf_set(
				err, errlen,
				"netns must be a name, an absolute path or {\"pid\": N}, without "
				"control characters");
			return -EINVAL;
		}
		if (s[0] == '/') {
			snprintf(ref.path, sizeof(ref.path), "%s", s);
			snprintf(ref.label, sizeof(ref.label), "netns %.80s", s);
		} else if (netns_name_valid(s)) {
			snprintf(ref.path, sizeof(ref.path), NETNS_RUN_DIR "/%s", s);
			snprintf(ref.label, sizeof(ref.label), "netns %s", s);
		} else {
			errbuf_set(err, errlen,
				   "netns \"%.80s\": expected a name of 1 to %d characters from "
				   "A-Z a-z 0-9 . _ - (not . or ..), or an absolute path",
				   s, NETNS_NAME_MAX);
			return -EINVAL;
		}
	} else {
		errbuf_set(err, errlen,
			   "netns must be null, a name, an absolute path or {\"pid\": N}");
		return -EINVAL;
	}

	_cleanup_close_ int fd = -1;
	r = open_nsfs(ref.path, &fd, &ref.dev, &ref.ino);
	if (r == -ENOENT) {
		errbuf_set(err, errlen, "%s: %s does not exist", ref.label, ref.path);
		return r;
	}
	if (r == -EINVAL) {
		errbuf_set(err, errlen, "%s: %s is not a network namespace", ref.label, ref.path);
		return r;
	}
	if (r < 0) {
		errbuf_set(err, errlen, "%s: cannot open %s: %s", ref.label, ref.path,
			   strerror(-r));
		return r;
	}
	uint64_t dev, ino;
	ref.own = own_netns(&dev, &ino) == 0 && dev == ref.dev && ino == ref.ino;
	*ret = ref;
	return 0;
}

/* Looks for the namespace by inode: the names under /run/netns, then every
 * process's /proc/PID/ns/net. */
static int search_netns(const struct netns_ref *ref, int *ret_fd)
{
	static const char *const dirs[] = { NETNS_RUN_DIR, "/proc" };

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		bool proc = i == 1;
		DIR *d = opendir(dirs[i]);
		struct dirent *de;
		if (!d)
			continue;
		while ((de = readdir(d))) {
			char path[PATH_MAX];
			struct stat st;
			uint64_t dev, ino;
			int fd;
			if (de->d_name[0] == '.' ||
			    (proc && !isdigit((unsigned char)de->d_name[0])))
				continue;
			snprintf(path, sizeof(path), "%s/%s%s", dirs[i], de->d_name,
				 proc ? "/ns/net" : "");
			if (stat(path, &st) < 0 || (uint64_t)st.st_dev != ref->dev ||
			    (uint64_t)st.st_ino != ref->ino)
				continue;
			if (open_nsfs(path, &fd, &dev, &ino) == 0) {
				if (dev == ref->dev && ino == ref->ino) {
					closedir(d);
					*ret_fd = fd;
					return 0;
				}
				safe_close(fd);
			}
		}
		closedir(d);
	}
	return -ENOENT;
}

int netns_ref_open(const struct netns_ref *ref, bool search, int *ret_fd)
{
	uint64_t dev, ino;
	int fd = -1, r;

	if (own_netns(&dev, &ino) == 0 && dev == ref->dev && ino == ref->ino) {
		*ret_fd = -1;
		return 0;
	}
	r = open_nsfs(ref->path, &fd, &dev, &ino);
	if (r == 0 && (dev != ref->dev || ino != ref->ino)) {
		fd = safe_close(fd);
		r = -ESTALE; /* the name now leads to another namespace */
	}
	if (r == 0) {
		*ret_fd = fd;
		return 0;
	}
	if (!search)
		return r == -ESTALE ? -ENOENT : r;
	r = search_netns(ref, &fd);
	if (r < 0)
		return r;
	*ret_fd = fd;
	return 0;
}

json_t *netns_ref_to_json(const struct netns_ref *ref)
{
	return json_pack("{s:s, s:s, s:I, s:I, s:b}", "path", ref->path, "label", ref->label, "dev",
			 (json_int_t)ref->dev, "ino", (json_int_t)ref->ino, "own", ref->own);
}

int netns_ref_from_json(const json_t *j, struct netns_ref *ret)
{
	struct netns_ref ref = { 0 };
	const char *path = json_string_value(json_object_get(j, "path"));
	const char *label = json_string_value(json_object_get(j, "label"));
	json_t *dev = json_object_get(j, "dev"), *ino = json_object_get(j, "ino");

	if (!path || path[0] != '/' || strlen(path) >= sizeof(ref.path) || !json_is_integer(dev) ||
	    !json_is_integer(ino))
		return -EINVAL;
	snprintf(ref.path, sizeof(ref.path), "%s", path);
	snprintf(ref.label, sizeof(ref.label), "%s", label ? label : path);
	ref.dev = (uint64_t)json_integer_value(dev);
	ref.ino = (uint64_t)json_integer_value(ino);
	ref.own = json_is_true(json_object_get(j, "own"));
	*ret = ref;
	return 0;
}
