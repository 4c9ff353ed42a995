/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The probe engine: runs every probe of a scenario from one event loop in the
 * controller's thread and collects their samples (sample.h).
 *
 * Inside is an epoll set holding a timerfd (the schedule, TFD_TIMER_ABSTIME on
 * CLOCK_MONOTONIC), libcurl's sockets (http, prometheus: curl multi with its
 * socket and timer callbacks), non-blocking connects (tcp), and pidfds and pipes
 * of command children. The caller polls probe_engine_fd() next to its own fds and
 * calls probe_engine_dispatch() when it is readable; nothing here blocks except
 * probe_engine_stop(), which waits a bounded time for requests in flight, and
 * dispatch's spin to a send's exact time (below), 300 us at most.
 *
 * Scheduling: probe i's k-th sample is due at t0 + k / rate. Its latency counts
 * from that time, not from the send (coordinated omission): when all of the
 * probe's concurrency slots are busy, the due samples wait, start as slots free,
 * and a sample that waited longer than the probe's timeout is recorded as a
 * timeout without being sent. Failures (refused, reset, timeout, ...) are samples
 * with an error class, never errors of the engine.
 *
 * Sending on time: since latency counts from the scheduled time, a late timer
 * wakeup would count as the service's. The timer is armed a margin before each
 * send (the host's observed wakeup lateness, bounded), and dispatch then spins on
 * the clock up to the scheduled instant, never past it and never sending before
 * it; the spinning is bounded to 5% of one CPU over time (probe_wake.h).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sample.h"
#include "scenario.h"

struct probe_engine;

/*
 * Prepares the probes of s (which must outlive the engine): the event loop, curl,
 * tcp addresses (names are resolved here, once, blocking; a failure makes every
 * sample of that probe a dns failure) and command paths (looked up in PATH here).
 * Returns 0 and *ret, or -errno with a message in err (may be NULL): -ENOENT when
 * a command is not found, -ENOMEM, or the errno of a failed epoll/timerfd call.
 * A scenario without probes gives an engine with nothing to do.
 */
int probe_engine_new(const struct scenario *s, struct probe_engine **ret, char *err, size_t len);

/* Starts the schedules now: every probe's first sample is due at once. Sets the
 * calling thread's timer slack to 1 ns (PR_SET_TIMERSLACK), for the timeouts of
 * its poll loop. Returns 0, or -EALREADY when started before. */
int probe_engine_start(struct probe_engine *e);

/* The epoll fd to poll for POLLIN; owned by the engine. */
int probe_engine_fd(struct probe_engine *e);

/*
 * Does everything that is due: reads finished answers, starts due samples, times
 * out late ones. Never waits for I/O; when a send is due within the early-wake
 * margin it spins until then (300 us at most). An answer that arrives during the
 * spin is read at the next dispatch, so with several probes, or concurrency above
 * 1, its sample can end up to the spin's length late (a single probe with one slot
 * never spins while its request is out). Returns 0, or -errno when the
 * event loop itself failed (epoll or timerfd; the probes' own failures are
 * samples).
 */
int probe_engine_dispatch(struct probe_engine *e);

/* Turns the early wakeup and the spin before sends on (the default) or off; for
 * the benchmark, which compares the two. */
void probe_engine_set_early_wake(struct probe_engine *e, bool on);

/* Totals of the spinning before sends so far (ns, and how many waits), and the
 * current early-wake margin (ns). */
void probe_engine_wake_stats(const struct probe_engine *e, uint64_t *ret_spun_ns,
			     uint64_t *ret_spins, uint64_t *ret_margin_ns);

/*
 * Stops the schedules (nothing new is sent; due samples that never got a slot are
 * not recorded) and waits for the samples in flight, at most the longest timeout
 * of a probe with samples in flight plus 200 ms. Blocks for that long at most.
 * Whatever is still running then is cancelled without a sample.
 */
void probe_engine_stop(struct probe_engine *e);

/* The probes, in the scenario's order: series i belongs to s->probes[i]. */
size_t probe_engine_count(const struct probe_engine *e);
const struct sample_series *probe_engine_series(const struct probe_engine *e, size_t i);

/* Cancels what is in flight (command children are killed and reaped), frees
 * everything. Accepts NULL; returns NULL. */
struct probe_engine *probe_engine_free(struct probe_engine *e);
