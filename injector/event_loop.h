/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A single-threaded epoll loop. Sources are fds with a callback; signals arrive
 * through a signalfd and the clock through a timerfd, both as ordinary sources.
 * Removing a source from inside a callback is safe: it is freed after the batch.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct event_loop;

/* Called with the ready epoll events. A negative return is logged and ignored. */
typedef int (*event_io_fn)(struct event_loop *loop, int fd, uint32_t events, void *userdata);

int event_loop_new(struct event_loop **ret);
/* Frees the loop and its sources; does not close their fds. Accepts NULL. */
struct event_loop *event_loop_free(struct event_loop *loop);

/* Watches fd for events (EPOLLIN, EPOLLOUT, ...). Returns 0 or -errno. */
int event_loop_add(struct event_loop *loop, int fd, uint32_t events, event_io_fn fn,
		   void *userdata);
int event_loop_modify(struct event_loop *loop, int fd, uint32_t events);
/* Stops watching fd. Returns 0, or -ENOENT when fd is not watched. */
int event_loop_remove(struct event_loop *loop, int fd);

/* Runs until event_loop_quit(). Returns the code given to quit, or -errno. */
int event_loop_run(struct event_loop *loop);
void event_loop_quit(struct event_loop *loop, int code);
bool event_loop_quitting(const struct event_loop *loop);
