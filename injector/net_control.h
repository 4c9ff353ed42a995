/* SPDX-License-Identifier: Apache-2.0 */
/*
 * "Never cut our own control path" (design §3) for the network faults.
 *
 * The control channel is normally a unix socket or the pipes of a spawned
 * `faultlined --stdio`, which no network fault can touch. When the injector is
 * reached over TCP, a fault in its own network namespace may cut that connection.
 * What can be detected, once at start (--stdio only):
 *
 *   - stdin is a TCP socket (inetd, socat, a container runtime's port): its peer;
 *   - SSH_CONNECTION ("client port server port") in our environment or in that of
 *     an ancestor up to 8 levels up (sudo drops it from ours; sshd's session
 *     process still has it): the ssh client's address.
 *
 * What cannot: a TCP hop further away (kubectl exec through the API server, a
 * jump host, a tunnel), and which interface carries the connection (any interface
 * of the injector's namespace is assumed to).
 *
 * Rule: a network fault in the injector's own namespace is refused unless, for
 * each direction it acts on, the peer is kept out: excluded by exclude.dst
 * (egress) or exclude.src (ingress) without port or protocol keys, or outside
 * every CIDR of dst (egress) or src (ingress). A loopback peer is only at risk from
 * a fault on lo.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "net_filter.h"

/* Looks at fd (stdin of a --stdio injector) and the environment of this process
 * and its ancestors; remembers the TCP peer if one is found. Never fails: finding
 * nothing means a local channel. */
void net_control_detect(int fd);

/* For tests: sets the peer by address text ("10.0.0.5"), or clears it (NULL). */
int net_control_set_peer(const char *addr, const char *how);

/* 0 when a fault with filter (NULL: unfiltered), acting on egress and/or ingress
 * in the injector's own namespace (own) on the interfaces named in ifnames
 * (n of them), keeps the control peer out; -EPERM with the reason otherwise. */
int net_control_check(const struct net_filter *filter, bool egress, bool ingress, bool own,
		      const char *const *ifnames, size_t n, char *err, size_t errlen);
