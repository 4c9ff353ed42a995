/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The tcp probe: the time to connect to host:port. A non-blocking connect per
 * scheduled sample, watched for EPOLLOUT; SO_ERROR gives the outcome. The
 * connection is closed as soon as it is established.
 *
 * A host name is resolved once, when the engine is made (getaddrinfo blocks, and
 * the event loop must not): a name that does not resolve makes every sample a dns
 * failure, with the resolver's message.
 */
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "macro.h"
#include "probe_internal.h"
#include "time_util.h"

struct tcp_slot {
	struct probe_watch w;
	struct probe *p;
	int fd; /* -1 when free */
	uint64_t t, deadline;
};

struct tcp_state {
	struct sockaddr_storage addr;
	socklen_t addrlen; /* 0: the name did not resolve */
	char resolve_error[256];
	struct tcp_slot *slots;
};

static enum sample_error errno_class(int err)
{
	switch (err) {
	case 0:
		return SAMPLE_OK;
	case ECONNREFUSED:
		return SAMPLE_REFUSED;
	case ETIMEDOUT:
		return SAMPLE_TIMEOUT;
	case ECONNRESET:
	case ECONNABORTED:
		return SAMPLE_RESET;
	default:
		return SAMPLE_OTHER;
	}
}

static void finish(struct tcp_slot *slot, enum sample_error error, int err, uint64_t now)
{
	struct probe *p = slot->p;
	struct tcp_state *st = p->state;
	struct sample s = {
		.t_ns = slot->t, .latency_ns = now - slot->t, .value = NAN, .error = error
	};
	char msg[512], host[64];

	probe_watch_del(p->e, slot->fd);
	slot->fd = safe_close(slot->fd);
	if (error == SAMPLE_OK) {
		probe_complete(p, &s, NULL);
		return;
	}
	if (getnameinfo((struct sockaddr *)&st->addr, st->addrlen, host, sizeof(host), NULL, 0,
			NI_NUMERICHOST) != 0)
		snprintf(host, sizeof(host), "?");
	snprintf(msg, sizeof(msg), "connect to %s (%s) port %u: %s", p->cfg->tcp.host, host,
		 p->cfg->tcp.port, error == SAMPLE_TIMEOUT && !err ? "timed out" : strerror(err));
	probe_complete(p, &s, msg);
}

static void tcp_handle(struct probe_watch *w, uint32_t events)
{
	struct tcp_slot *slot = (struct tcp_slot *)w;
	int err = 0;
	socklen_t len = sizeof(err);

	(void)events;
	if (getsockopt(slot->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	finish(slot, errno_class(err), err, now_monotonic_ns());
}

static int tcp_init(struct probe *p, char *err, size_t len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct tcp_state *st = calloc(1, sizeof(*st));
	struct addrinfo *res = NULL;
	char port[8];
	int r;

	(void)err;
	(void)len;
	if (!st)
		return -ENOMEM;
	p->state = st;
	st->slots = calloc(p->cfg->concurrency, sizeof(*st->slots));
	if (!st->slots)
		return -ENOMEM;
	for (uint32_t i = 0; i < p->cfg->concurrency; i++)
		st->slots[i] = (struct tcp_slot){ .w.handle = tcp_handle, .p = p, .fd = -1 };
	snprintf(port, sizeof(port), "%u", p->cfg->tcp.port);
	r = getaddrinfo(p->cfg->tcp.host, port, &hints, &res);
	if (r != 0) {
		snprintf(st->resolve_error, sizeof(st->resolve_error), "cannot resolve %s: %s",
			 p->cfg->tcp.host, r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
		return 0;
	}
	memcpy(&st->addr, res->ai_addr, res->ai_addrlen);
	st->addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int tcp_start(struct probe *p, uint64_t t)
{
	struct tcp_state *st = p->state;
	struct tcp_slot *slot = NULL;
	uint64_t now;
	int r;

	if (!st->addrlen) {
		struct sample s = {
			.t_ns = t,
			.latency_ns = now_monotonic_ns() - t,
			.value = NAN,
			.error = SAMPLE_DNS,
		};

		probe_complete(p, &s, st->resolve_error);
		return 0;
	}
	for (uint32_t i = 0; i < p->cfg->concurrency && !slot; i++)
		if (st->slots[i].fd < 0)
			slot = &st->slots[i];
	if (!slot)
		return -EBUSY;
	slot->fd = socket(st->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (slot->fd < 0) {
		r = negative_errno();
		probe_set_error(p, "cannot open a socket: %s", strerror(-r));
		return r;
	}
	slot->t = t;
	now = now_monotonic_ns();
	slot->deadline = now + p->cfg->timeout_ns;
	if (connect(slot->fd, (struct sockaddr *)&st->addr, st->addrlen) == 0) {
		finish(slot, SAMPLE_OK, 0, now_monotonic_ns());
		return 0;
	}
	if (errno != EINPROGRESS) {
		int e = errno;

		finish(slot, errno_class(e), e, now_monotonic_ns());
		return 0;
	}
	r = probe_watch_add(p->e, slot->fd, EPOLLOUT, &slot->w);
	if (r < 0) {
		slot->fd = safe_close(slot->fd);
		probe_set_error(p, "cannot watch a socket: %s", strerror(-r));
		return r;
	}
	return 0;
}

static uint64_t tcp_deadline(struct probe *p)
{
	struct tcp_state *st = p->state;
	uint64_t d = PROBE_NO_DEADLINE;

	for (uint32_t i = 0; i < p->cfg->concurrency; i++)
		if (st->slots[i].fd >= 0 && st->slots[i].deadline < d)
			d = st->slots[i].deadline;
	return d;
}

static void tcp_expire(struct probe *p, uint64_t now)
{
	struct tcp_state *st = p->state;

	for (uint32_t i = 0; i < p->cfg->concurrency; i++)
		if (st->slots[i].fd >= 0 && st->slots[i].deadline <= now)
			finish(&st->slots[i], SAMPLE_TIMEOUT, 0, now);
}

static void tcp_free(struct probe *p)
{
	struct tcp_state *st = p->state;

	for (uint32_t i = 0; st->slots && i < p->cfg->concurrency; i++)
		if (st->slots[i].fd >= 0) {
			probe_watch_del(p->e, st->slots[i].fd);
			safe_close(st->slots[i].fd);
		}
	free(st->slots);
	p->state = mfree(st);
}

const struct probe_ops probe_tcp_ops = {
	.name = "tcp",
	.init = tcp_init,
	.start = tcp_start,
	.deadline = tcp_deadline,
	.expire = tcp_expire,
	.free = tcp_free,
};
