/* SPDX-License-Identifier: Apache-2.0 */
/* Small helpers shared by the process faults for their JSON target lists. */
#pragma once

#include <jansson.h>

/* "SIGSTOP 2 processes: 1234 (sleep), 1235 (sleep)"; malloc'd, NULL on ENOMEM. */
char *proc_targets_describe(const char *action, const json_t *state);

/* A deep copy of plan's targets array, for building undo state. NULL on ENOMEM or
 * when plan has no "targets" array. */
json_t *proc_targets_copy(const json_t *plan);
