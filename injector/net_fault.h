/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The network fault kind (net_fault.c): its ops are net_netem_fault_ops in
 * fault.h. The helpers below are its pure parts, exposed for the unit tests.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net_netem.h"

struct nl_msg;

/* True when s is a valid interface name: the kernel's rules (1 to 15 bytes, not
 * "." or "..", no '/', ':' or white space) and printable ASCII only. */
bool net_ifname_valid(const char *s);

/* Reads a request's "interface" value: "all" sets *ret_all (and an empty list);
 * a name or a list of 1 to 64 distinct valid names gives them in *ret_names (a new
 * array). Returns 0, or -EINVAL with a message naming the bad value. */
int net_interfaces_parse(const json_t *v, json_t **ret_names, bool *ret_all, char *err,
			 size_t errlen);

/* Builds the RTM_NEWQDISC (netem given) or RTM_DELQDISC (netem NULL) request for the
 * root of ifindex with our handle and kind, nlmsg flags as given. ps may be NULL.
 * Returns 0 and a new message in *ret (nlmsg_free() it), -ENOMEM, or the -errno of
 * netem_put_options(). Never blocks. */
int net_build_qdisc_msg(int type, int flags, int ifindex, const struct netem_params *netem,
			const struct psched *ps, struct nl_msg **ret);

/* The same for any handle, parent and kind: the netem under a filtered prio, and
 * the delete of a prio root (netem NULL). */
int net_build_qdisc_msg_at(int type, int flags, int ifindex, uint32_t handle, uint32_t parent,
			   const char *kind, const struct netem_params *netem,
			   const struct psched *ps, struct nl_msg **ret);
