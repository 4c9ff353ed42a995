/* SPDX-License-Identifier: Apache-2.0 */
/*
 * How the controller reaches an injector (design.md §1): the daemon's unix socket,
 * or the stdio of a command it spawns. The protocol is the same over both.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "scenario.h"

#define DEFAULT_INJECTOR_SOCKET "/run/faultline/faultlined.sock"

struct transport {
	int fd; /* a connected stream socket, both directions */
	pid_t child; /* the spawned injector, or 0 */
	char description[256]; /* "unix:/run/..." or "exec:faultlined --stdio" */
};

struct injector_spec {
	enum injector_transport kind;
	const char *unix_path;
	char **exec_argv; /* NULL-terminated */
};

/* Parses a --injector option: "auto", "unix:PATH" or "exec:ARGV" (argv split on
 * spaces). The spec borrows from s and owns *argv_storage. Returns 0 or -EINVAL. */
int injector_spec_parse(const char *s, struct injector_spec *ret, char ***argv_storage);

/* Opens the transport. auto: the socket at $FAULTLINE_SOCKET or the default path if
 * something listens there; otherwise, when running as root, spawns faultlined
 * --stdio (found next to this binary, in ../sbin, or on PATH). Returns 0 or -errno
 * with a message in err. */
int transport_open(const struct injector_spec *spec, struct transport *ret, char *err,
		   size_t errlen);

/* Closes the connection. A spawned injector reverts its faults when it sees the
 * end of its input; this waits up to wait_ms for it to exit and returns its exit
 * status (or -ETIMEDOUT, leaving it running to finish). */
int transport_close(struct transport *t, int wait_ms);

/* Finds faultlined: $FAULTLINED, next to /proc/self/exe, ../sbin, else "faultlined"
 * for a PATH search. Writes into buf. */
const char *transport_find_injector(char *buf, size_t len);
