/* SPDX-License-Identifier: Apache-2.0 */
#include "procfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "macro.h"

static const char *procfs_root = "/proc";

void procfs_set_root(const char *root)
{
	procfs_root = root ? root : "/proc";
}

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

int procfs_read_stat(pid_t pid, struct proc_stat *ret)
{
	char path[128], buf[1024];
	_cleanup_close_ int fd = -1;

	snprintf(path, sizeof(path), "%s/%d/stat", procfs_root, (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : negative_errno();

	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return errno == ESRCH ? -ESRCH : negative_errno();
	buf[n] = '\0';

	/* comm may itself contain spaces and ')': it ends at the last ')'. */
	char *open_paren = strchr(buf, '(');
	char *close_paren = strrchr(buf, ')');
	if (!open_paren || !close_paren || close_paren < open_paren || close_paren[1] != ' ')
		return -EIO;

	struct proc_stat st = { .pid = pid };
	size_t comm_len = (size_t)(close_paren - open_paren - 1);
	if (comm_len >= sizeof(st.comm))
		comm_len = sizeof(st.comm) - 1;
	memcpy(st.comm, open_paren + 1, comm_len);
	st.comm[comm_len] = '\0';
	/* Any process can name itself anything: keep only printable ASCII, so a comm
	 * can neither forge log lines nor break JSON encoding. */
	for (size_t i = 0; i < comm_len; i++)
		if ((unsigned char)st.comm[i] < 0x20 || (unsigned char)st.comm[i] > 0x7e)
			st.comm[i] = '?';

	/* Fields after comm, numbered as in proc(5): 3 state, 4 ppid, 9 flags, 22 starttime. */
	char *p = close_paren + 2;
	int ppid, session;
	unsigned flags;
	uint64_t starttime;
	char state;
	if (sscanf(p,
		   "%c %d %*s %d %*s %*s %u %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %" SCNu64,
		   &state, &ppid, &session, &flags, &starttime) != 5)
		return -EIO;
	st.state = state;
	st.ppid = ppid;
	st.session = session;
	st.flags = flags;
	st.starttime = starttime;
	*ret = st;
	return 0;
}

bool proc_stat_is_kernel_thread(const struct proc_stat *st)
{
	return (st->flags & PF_KTHREAD_FLAG) || st->pid == 2 || st->ppid == 2;
}

int procfs_for_each_pid(int (*cb)(const struct proc_stat *st, void *userdata), void *userdata)
{
	_cleanup_(closedirp) DIR *d = opendir(procfs_root);
	struct dirent *de;

	if (!d)
		return negative_errno();
	while ((errno = 0, de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;

		struct proc_stat st;
		if (procfs_read_stat((pid_t)pid, &st) < 0)
			continue; /* exited meanwhile */
		int r = cb(&st, userdata);
		if (r != 0)
			return r;
	}
	return errno ? negative_errno() : 0;
}

ssize_t procfs_read_file(pid_t pid, const char *name, char *buf, size_t len)
{
	char path[128];
	size_t got = 0;

	snprintf(path, sizeof(path), "%s/%d/%s", procfs_root, (int)pid, name);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : negative_errno();
	while (got + 1 < len) {
		ssize_t n = read(fd, buf + got, len - 1 - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == ESRCH ? -ESRCH : negative_errno();
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	return (ssize_t)got;
}

/* Finds "Key:\t..." in a status text and returns what follows, or NULL. */
static const char *status_field(const char *text, const char *key)
{
	size_t klen = strlen(key);
	for (const char *line = text; line && *line;
	     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (strncmp(line, key, klen) == 0 && line[klen] == ':')
			return line + klen + 1;
	return NULL;
}

int procfs_read_euid(pid_t pid, uid_t *ret)
{
	char buf[4096];
	unsigned long real, effective;

	ssize_t n = procfs_read_file(pid, "status", buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	const char *uid = status_field(buf, "Uid");
	if (!uid || sscanf(uid, "%lu %lu", &real, &effective) != 2)
		return -EIO;
	*ret = (uid_t)effective;
	return 0;
}

ssize_t procfs_read_cmdline(pid_t pid, char *buf, size_t len)
{
	ssize_t n = procfs_read_file(pid, "cmdline", buf, len);
	if (n <= 0)
		return n;
	while (n > 0 && buf[n - 1] == '\0')
		n--;
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[n] = '\0';
	return n;
}

ssize_t procfs_read_cgroups(pid_t pid, char *buf, size_t len)
{
	return procfs_read_file(pid, "cgroup", buf, len);
}

int procfs_read_ns_pid(pid_t pid, pid_t *ret_ns_pid, uint64_t *ret_pidns_inode)
{
	char buf[4096], path[128];
	struct stat st;

	ssize_t n = procfs_read_file(pid, "status", buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	const char *field = status_field(buf, "NSpid");
	if (!field)
		return -EIO;
	long last = -1;
	for (const char *p = field; *p && *p != '\n';) {
		char *end;
		long v = strtol(p, &end, 10);
		if (end == p)
			break;
		last = v;
		p = end;
	}
	if (last <= 0)
		return -EIO;
	snprintf(path, sizeof(path), "%s/%d/ns/pid", procfs_root, (int)pid);
	if (stat(path, &st) < 0)
		return errno == ENOENT ? -ESRCH : negative_errno();
	*ret_ns_pid = (pid_t)last;
	*ret_pidns_inode = (uint64_t)st.st_ino;
	return 0;
}
