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
	unsigned flags;
	uint64_t starttime; /* clock ticks after boot: with pid, names a process uniquely */
};

/* Sets the directory read as /proc (default "/proc"). The string is borrowed. */
void procfs_set_root(const char *root);

/* Reads /proc/PID/stat. Returns 0, -ESRCH when the process does not exist, -EIO
 * when the file cannot be parsed, or another -errno. */
int procfs_read_stat(pid_t pid, struct proc_stat *ret);

/* True for kernel threads: PF_KTHREAD set, or kthreadd and its children. */
bool proc_stat_is_kernel_thread(const struct proc_stat *st);

/* Calls cb for every numeric entry of /proc, in directory order, stopping when cb
 * returns non-zero (which is returned). Processes that vanish are skipped.
 * Returns 0, cb's value, or -errno. */
int procfs_for_each_pid(int (*cb)(const struct proc_stat *st, void *userdata), void *userdata);
