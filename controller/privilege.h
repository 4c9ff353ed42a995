/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The controller never keeps root. Started as root, it needs root only to spawn
 * faultlined --stdio; right after that it becomes the invoking user (SUDO_UID and
 * SUDO_GID when run through sudo) or nobody, before it runs any probe or reads any
 * further file.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Drops every privilege when running as root: supplementary groups, gid, uid (real,
 * effective and saved), and sets no_new_privs. Does nothing when not root.
 * Returns 0 and writes who we became into who (may be NULL), or -errno; on failure
 * the caller must stop, since it may still be root. */
int privilege_drop(char *who, size_t wholen);

/* The user root becomes: SUDO_UID and SUDO_GID when both are valid, else nobody
 * (65534 when the passwd database has no nobody). Also used for the children of
 * command probes started while still root. Always returns 0. */
int privilege_target(uid_t *ret_uid, gid_t *ret_gid);
