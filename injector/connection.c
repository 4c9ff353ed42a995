/* SPDX-License-Identifier: Apache-2.0 */
/* Connections: non-blocking line I/O, output queueing, and closing a session. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include "log.h"
#include "macro.h"
#include "protocol.h"
#include "server.h"
#include "time_util.h"

#define READ_CHUNK 65536

static void connection_free(struct connection *c)
{
	line_buffer_done(&c->in);
	free(c->out);
	free(c);
}

static void unlink_connection(struct server *s, struct connection *c)
{
	for (struct connection **p = &s->connections; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			s->n_connections--;
			return;
		}
}

void connection_close(struct connection *c, const char *reason)
{
	struct server *s = c->server;
	unsigned reverted = 0, failed;

	/* Revert while the connection is still listed, so that a peer that is still
	 * there (heartbeat_lost) receives its fault_reverted events. */
	failed = registry_revert_session(&s->registry, c->session_id, reason, &reverted);
	event_loop_remove(s->loop, c->in_fd);
	if (c->out_fd != c->in_fd && !c->out_unwatchable)
		event_loop_remove(s->loop, c->out_fd);
	unlink_connection(s, c);
	if (c->hello_done || reverted || failed)
		log_info("session %llu (pid %d, uid %u) closed: %s; %u fault(s) reverted%s",
			 (unsigned long long)c->session_id, (int)c->peer_pid, (unsigned)c->peer_uid,
			 reason, reverted, failed ? ", some failed and will be retried" : "");
	if (line_buffer_pending(&c->in))
		log_info("session %llu: dropped a half message at close",
			 (unsigned long long)c->session_id);

	safe_close(c->in_fd);
	if (c->out_fd != c->in_fd)
		safe_close(c->out_fd);
	connection_free(c);

	if (s->stdio_mode)
		event_loop_quit(s->loop, 0);
}

static int flush_output(struct connection *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = write(c->out_fd, c->out + c->out_off, c->out_len - c->out_off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			return negative_errno();
		}
		c->out_off += (size_t)n;
	}
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;

	bool want = c->out_len > 0;
	if (want != c->out_watched && !c->out_unwatchable) {
		int r;
		if (c->out_fd == c->in_fd)
			r = event_loop_modify(c->server->loop, c->out_fd,
					      EPOLLIN | (want ? EPOLLOUT : 0));
		else
			r = event_loop_modify(c->server->loop, c->out_fd, want ? EPOLLOUT : 0);
		if (r < 0)
			return r;
		c->out_watched = want;
	}
	return 0;
}

int connection_send(struct connection *c, json_t *msg)
{
	_cleanup_json_ _unused_ json_t *owned = msg;
	_cleanup_free_ char *line = NULL;
	size_t len;
	int r;

	if (!msg)
		return -ENOMEM;
	r = protocol_encode(msg, &line, &len);
	if (r == -EMSGSIZE && json_object_get(msg, "id")) {
		/* Never leave a request unanswered: say the answer was too large. */
		_cleanup_json_ json_t *e =
			protocol_reply_error(json_object_get(msg, "id"), EMSGSIZE,
					     "the reply exceeds %d bytes", PROTOCOL_MAX_LINE);
		r = e ? protocol_encode(e, &line, &len) : -ENOMEM;
	}
	if (r < 0)
		return r;
	if (c->out_len - c->out_off + len > SERVER_MAX_OUTPUT) {
		c->doomed = true;
		return -ENOBUFS;
	}

	if (c->out_off > 0) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	char *nbuf = realloc(c->out, c->out_len + len);
	if (!nbuf)
		return -ENOMEM;
	c->out = nbuf;
	memcpy(c->out + c->out_len, line, len);
	c->out_len += len;
	return flush_output(c);
}

static int on_output(struct event_loop *loop, int fd, uint32_t events, void *userdata)
{
	struct connection *c = userdata;
	int r = flush_output(c);
	if (r < 0 || (events & (EPOLLERR | EPOLLHUP)))
		connection_close(c, "session_closed");
	return 0;
}

static int on_input(struct event_loop *loop, int fd, uint32_t events, void *userdata)
{
	struct connection *c = userdata;
	char buf[READ_CHUNK];

	if (events & EPOLLOUT) {
		if (flush_output(c) < 0) {
			connection_close(c, "session_closed");
			return 0;
		}
		if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
			return 0;
	}

	ssize_t n = read(c->in_fd, buf, sizeof(buf));
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		connection_close(c, "session_closed");
		return 0;
	}
	if (n == 0) {
		connection_close(c, "session_closed");
		return 0;
	}
	if (line_buffer_feed(&c->in, buf, (size_t)n) < 0) {
		connection_close(c, "out_of_memory");
		return 0;
	}

	for (;;) {
		const char *line;
		size_t len;
		enum line_result lr = line_buffer_next(&c->in, &line, &len);
		if (lr == LINE_NONE)
			break;
		c->last_seen_ns = now_monotonic_ns();
		if (lr == LINE_OVERSIZED) {
			connection_send(c, protocol_reply_error(NULL, EMSGSIZE,
								"message exceeds %d bytes; dropped",
								PROTOCOL_MAX_LINE));
			continue;
		}
		dispatch_line(c, line, len);
		if (c->doomed) {
			connection_close(c, "peer_not_reading");
			return 0;
		}
	}
	return 0;
}

static int set_nonblock(int fd)
{
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return negative_errno();
	return 0;
}

/* Called by server.c once the peer is authenticated. Takes the fds. */
int connection_open(struct server *s, int in_fd, int out_fd, pid_t pid, uid_t uid, gid_t gid,
		    struct connection **ret);
int connection_open(struct server *s, int in_fd, int out_fd, pid_t pid, uid_t uid, gid_t gid,
		    struct connection **ret)
{
	struct connection *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		return -ENOMEM;
	*c = (struct connection){
		.server = s,
		.in_fd = in_fd,
		.out_fd = out_fd,
		.peer_pid = pid,
		.peer_uid = uid,
		.peer_gid = gid,
		.session_id = s->next_session_id++,
		.opened_ns = now_monotonic_ns(),
	};
	line_buffer_init(&c->in, PROTOCOL_MAX_LINE);
	c->last_seen_ns = c->opened_ns;

	if ((r = set_nonblock(in_fd)) < 0 || (r = set_nonblock(out_fd)) < 0)
		goto fail;
	r = event_loop_add(s->loop, in_fd, EPOLLIN, on_input, c);
	if (r < 0)
		goto fail;
	if (out_fd != in_fd) {
		r = event_loop_add(s->loop, out_fd, 0, on_output, c);
		/* epoll refuses regular files (stdout redirected to a file); writes
		 * to them never wait, so they need no watching. */
		if (r == -EPERM) {
			c->out_unwatchable = true;
		} else if (r < 0) {
			event_loop_remove(s->loop, in_fd);
			goto fail;
		}
	}
	c->next = s->connections;
	s->connections = c;
	s->n_connections++;
	*ret = c;
	return 0;
fail:
	connection_free(c);
	return r;
}
