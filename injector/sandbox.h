/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Least privilege for the injector: once the socket, the journal and recovery are
 * set up, it keeps only the capabilities its fault kinds need (docs/security.md
 * says which serves which), empties the bounding set so no exec can regain the
 * rest, and sets no_new_privs.
 */
#pragma once

#include <stddef.h>

/* Drops to the kept set. A process without CAP_SETPCAP (not root) keeps what it
 * has and is told so. Returns 0 or -errno. */
int sandbox_drop_capabilities(void);

/*
 * CAP_SYS_ADMIN is kept permitted but not effective: a thread that must enter a
 * namespace raises it for itself, calls setns(), and lowers it again (or exits).
 * Capabilities are per thread, so no other thread ever holds it. Both return 0
 * or -errno; raising is a no-op when it is not permitted.
 */
int sandbox_thread_raise_sys_admin(void);
int sandbox_thread_lower_sys_admin(void);

/* The kept capabilities as text ("cap_kill,cap_net_admin=ep"), for logs; static. */
const char *sandbox_kept_capabilities(void);

#include <stdio.h>

/* Loads the seccomp allow-list (sandbox_seccomp.c): default deny, killing the
 * process (logging only in sanitizer builds). Call last, after every other setup.
 * Returns 0 or -errno. */
int sandbox_load_seccomp(void);

/* Writes the filter, in libseccomp's readable form, to out. Returns 0 or -errno. */
int sandbox_print_seccomp(FILE *out);
