/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading process facts from /proc. The root directory is a seam: tests point it
 * at a fake tree to simulate pid reuse and odd comm names.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define PROCFS_COMM_MAX 16 /* TASK_COMM_LEN, with the NUL */
#define PF_KTHREAD_FLAG 0x00200000U /* include/linux/sched.h: I am a kernel thread */

struct proc_stat {
	pid_t pid;
	char comm[PROCFS_COMM_MAX]; /* bytes outside printable ASCII read as '?' */
	char state; /* R, S, D, T, t, Z, X, I, ... */
	pid_t ppid;
	pid_t session; /* the session id: its leader's pid */
	unsigned flags;
	uint64_t starttime; /* clock ticks after boot: with pid, names a process uniquely */
};

/* Sets the directory read as /proc (default "/proc"). The string is borrowed. */
void procfs_set_root(const char *root);

/* Reads /proc/PID/stat. Returns 0, -ESRCH when the process does not exist, -EIO
 * when the file cannot be parsed, or another -errno. */
int procfs_read_stat(pid_t pid, struct proc_stat *ret);

/* True for a zombie or a process being reaped: nothing left to act on. */
static inline bool proc_stat_is_dead(const struct proc_stat *st)
{
	return st->state == 'Z' || st->state == 'X' || st->state == 'x';
}

/* True for kernel threads: PF_KTHREAD set, or kthreadd and its children. */
bool proc_stat_is_kernel_thread(const struct proc_stat *st);

/* Calls cb for every numeric entry of /proc, in directory order, stopping when cb
 * returns non-zero (which is returned). Processes that vanish are skipped.
 * Returns 0, cb's value, or -errno. */
int procfs_for_each_pid(int (*cb)(const struct proc_stat *st, void *userdata), void *userdata);

/* Reads up to len-1 bytes of /proc/PID/NAME into buf, NUL-terminated. Returns the
 * byte count, -ESRCH when the process is gone, or -errno. */
ssize_t procfs_read_file(pid_t pid, const char *name, char *buf, size_t len);

/* The effective uid, from /proc/PID/status. */
int procfs_read_euid(pid_t pid, uid_t *ret);

/* The command line with its NULs turned into spaces and the trailing one dropped,
 * into buf (truncated at len-1). Kernel threads have an empty one. Returns the
 * length or -errno. */
ssize_t procfs_read_cmdline(pid_t pid, char *buf, size_t len);

/* The cgroup paths of a process, one per hierarchy ("0::/a/b" for v2,
 * "3:blkio:/a" for v1), as /proc/PID/cgroup lists them, into buf. Returns the
 * length or -errno. */
ssize_t procfs_read_cgroups(pid_t pid, char *buf, size_t len);

/* The pid as the process's own innermost pid namespace sees it (the last NSpid),
 * and that namespace's inode. Returns 0 or -errno. */
int procfs_read_ns_pid(pid_t pid, pid_t *ret_ns_pid, uint64_t *ret_pidns_inode);
