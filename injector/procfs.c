/* SPDX-License-Identifier: Apache-2.0 */
#include "procfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

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
	int ppid;
	unsigned flags;
	uint64_t starttime;
	char state;
	if (sscanf(p,
		   "%c %d %*s %*s %*s %*s %u %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %" SCNu64,
		   &state, &ppid, &flags, &starttime) != 4)
		return -EIO;
	st.state = state;
	st.ppid = ppid;
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
