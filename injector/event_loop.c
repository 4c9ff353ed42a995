/* SPDX-License-Identifier: Apache-2.0 */
#include "event_loop.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"

struct event_source {
	int fd;
	event_io_fn fn;
	void *userdata;
	bool dead;
	struct event_source *next;
};

struct event_loop {
	int epoll_fd;
	struct event_source *sources;
	bool quit;
	int quit_code;
	bool dispatching;
};

int event_loop_new(struct event_loop **ret)
{
	struct event_loop *loop = calloc(1, sizeof(*loop));
	if (!loop)
		return -ENOMEM;
	loop->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epoll_fd < 0) {
		int r = negative_errno();
		free(loop);
		return r;
	}
	*ret = loop;
	return 0;
}

static void reap_dead(struct event_loop *loop)
{
	for (struct event_source **p = &loop->sources; *p;) {
		if ((*p)->dead) {
			struct event_source *s = *p;
			*p = s->next;
			free(s);
		} else {
			p = &(*p)->next;
		}
	}
}

struct event_loop *event_loop_free(struct event_loop *loop)
{
	if (!loop)
		return NULL;
	for (struct event_source *s = loop->sources; s; s = s->next)
		s->dead = true;
	reap_dead(loop);
	safe_close(loop->epoll_fd);
	free(loop);
	return NULL;
}

static struct event_source *find_source(struct event_loop *loop, int fd)
{
	for (struct event_source *s = loop->sources; s; s = s->next)
		if (s->fd == fd && !s->dead)
			return s;
	return NULL;
}

int event_loop_add(struct event_loop *loop, int fd, uint32_t events, event_io_fn fn, void *userdata)
{
	struct event_source *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	*s = (struct event_source){ .fd = fd, .fn = fn, .userdata = userdata };

	struct epoll_event ev = { .events = events, .data.ptr = s };
	if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int r = negative_errno();
		free(s);
		return r;
	}
	s->next = loop->sources;
	loop->sources = s;
	return 0;
}

int event_loop_modify(struct event_loop *loop, int fd, uint32_t events)
{
	struct event_source *s = find_source(loop, fd);
	if (!s)
		return -ENOENT;
	struct epoll_event ev = { .events = events, .data.ptr = s };
	return epoll_ctl(loop->epoll_fd, EPOLL_CTL_MOD, fd, &ev) < 0 ? negative_errno() : 0;
}

int event_loop_remove(struct event_loop *loop, int fd)
{
	struct event_source *s = find_source(loop, fd);
	if (!s)
		return -ENOENT;
	epoll_ctl(loop->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
	s->dead = true;
	if (!loop->dispatching)
		reap_dead(loop);
	return 0;
}

int event_loop_run(struct event_loop *loop)
{
	struct epoll_event events[32];

	while (!loop->quit) {
		int n = epoll_wait(loop->epoll_fd, events, (int)ARRAY_SIZE(events), -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		loop->dispatching = true;
		for (int i = 0; i < n && !loop->quit; i++) {
			struct event_source *s = events[i].data.ptr;
			if (s->dead)
				continue;
			int r = s->fn(loop, s->fd, events[i].events, s->userdata);
			if (r < 0)
				log_debug_errno(r, "event source fd %d failed", s->fd);
		}
		loop->dispatching = false;
		reap_dead(loop);
	}
	return loop->quit_code;
}

void event_loop_quit(struct event_loop *loop, int code)
{
	loop->quit = true;
	loop->quit_code = code;
}

bool event_loop_quitting(const struct event_loop *loop)
{
	return loop->quit;
}
