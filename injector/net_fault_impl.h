/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to the network fault kind: what its validation (net_fault.c) shares with
 * its apply and revert (net_fault_apply.c). Not an interface for anything else.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "net_filter.h"
#include "net_netem.h"
#include "net_netns.h"
#include "net_rtnl.h"

/* The most interfaces one fault takes (named, or found by "all"). */
#define NET_MAX_INTERFACES 64

/* The parts of a plan or undo state apply and revert need; borrowed from state. */
struct net_state {
	struct netns_ref ref;
	struct netem_params netem;
	json_t *interfaces;
	const char *root_kind; /* netem, or prio when filtered */
	bool filtered;
	struct net_filter filter; /* when filtered and need_netem */
};

/* Reads and checks a plan or undo state (the journal is ours, but is read again as
 * data); with need_netem the netem and the filter too. 0 or -EINVAL with err. */
int net_state_read(const json_t *state, bool need_netem, struct net_state *ret, char *err,
		   size_t errlen);

/* A NETLINK_ROUTE socket in the namespace of ref (net_rtnl.h); errors in err. */
int net_open_rtnl(const struct netns_ref *ref, bool search, int *ret_fd, char *err, size_t errlen);

const struct rtnl_link *net_link_by_name(const struct rtnl_link *l, size_t n, const char *name);

/* The fault ops' apply and revert (fault.h). */
int net_fault_apply(const json_t *plan, json_t **ret_undo, char *err, size_t errlen);
int net_fault_revert(const json_t *state, json_t **ret_report, char *err, size_t errlen);
