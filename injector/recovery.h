/* SPDX-License-Identifier: Apache-2.0 */
/* Undoing what dead injectors left behind, from their journals. */
#pragma once

#include <sys/types.h>

#include "journal.h"

/* Replays every orphan journal in state_dir through the fault ops' revert. Logs
 * each fault it undoes at info. Returns 0 when everything was undone, -EAGAIN when
 * something could not be (its journal is kept for a later attempt), or -errno. */
int recovery_replay(const char *state_dir, struct journal_recovery_stats *ret_stats);

/* Sends SIGTERM to every other live injector journaling in state_dir (each then
 * reverts its faults and exits). Returns how many were signalled. */
unsigned recovery_signal_other_instances(const char *state_dir, pid_t self);
