/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Choosing processes to act on, and the blast-radius rules that no request can
 * bypass. A process is named by (pid, starttime) everywhere, so that a pid reused
 * by an unrelated process is never signalled.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "fault.h"
#include "procfs.h"

#define PROC_TARGETS_MAX 4096
#define PROC_PID_MAX 4194304 /* PID_MAX_LIMIT on 64-bit */

/* Returns NULL when st may be a target, or a static reason why it never may:
 * pid 1, the injector itself or any injector, its controller, the session leader
 * of the controller's terminal, a kernel thread. */
const char *proc_blast_radius_refusal(const struct proc_stat *st, const struct fault_context *ctx);

/* Reads one entry of a targets array. Returns 0 or -EINVAL. */
int proc_target_entry(const json_t *entry, pid_t *ret_pid, uint64_t *ret_starttime);

/* Opens a pidfd for (pid, starttime) and checks, after opening, that the pid still
 * names that process. Returns the fd (O_CLOEXEC), -ESRCH when the process is gone,
 * or -ESTALE when the pid now belongs to another process. *ret_stat, when not
 * NULL, receives the fresh stat on success. */
int proc_target_open(pid_t pid, uint64_t starttime, struct proc_stat *ret_stat);

/* Signals (pid, starttime) race-free: pidfd_open, re-check, pidfd_send_signal.
 * Returns 0, -ESRCH, -ESTALE, or another -errno. */
int proc_target_signal(pid_t pid, uint64_t starttime, int sig);

/* Signals the process an entry of a targets array names ({"pid","starttime",
 * "comm"}), checking after pidfd_open that both the start time and the comm are
 * still those selected. Returns 0; -ESRCH when it is gone; -ESTALE when the pid
 * was reused or the process re-executed (nothing is signalled); or another
 * -errno. Every failure explains itself in why. */
int proc_target_signal_entry(const json_t *entry, int sig, char *why, size_t whylen);

/* Maps "TERM"/"SIGTERM" to its number and back. Returns the number or -EINVAL. */
int signal_from_name(const char *name);
const char *signal_to_name(int sig);
