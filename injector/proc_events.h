/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Process events (fork, exec, exit) from the kernel's process connector
 * (NETLINK_CONNECTOR, CN_IDX_PROC), with the kernel's own timestamps. Used to see
 * a killed process die and its successor start with millisecond precision,
 * without scanning /proc. Needs CAP_NET_ADMIN and CONFIG_PROC_EVENTS; where
 * either is missing, opening fails and faults fall back to polling.
 */
#pragma once

#include "event_loop.h"
#include "fault.h"

struct proc_events;

/* Called for each fork, exec and whole-process exit. overrun is true once after
 * the kernel dropped events (the socket buffer filled): the caller should poll
 * to catch up. */
typedef void (*proc_event_fn)(const struct process_event *ev, bool overrun, void *userdata);

/* Subscribes and registers with loop. Returns 0 or -errno. */
int proc_events_open(struct event_loop *loop, proc_event_fn fn, void *userdata,
		     struct proc_events **ret);

/* Unsubscribes and closes. Accepts NULL; returns NULL. */
struct proc_events *proc_events_close(struct proc_events *pe);
