/* SPDX-License-Identifier: Apache-2.0 */
#include "injector_client.h"

#include <poll.h>
#include <stdio.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "protocol.h"
#include "time_util.h"

static int send_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EPIPE || errno == ECONNRESET ? -EPIPE : negative_errno();
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Handles one line: an event goes to the callback; a reply is returned (new ref)
 * through *ret_reply. */
static void handle_line(struct injector_client *c, const char *line, size_t len, json_t **ret_reply)
{
	json_t *msg = NULL;
	char err[256];

	if (protocol_decode(line, len, &msg, err, sizeof(err)) < 0) {
		log_warning("ignoring an undecodable message from the injector: %s", err);
		return;
	}
	if (json_object_get(msg, "event")) {
		if (c->on_event)
			c->on_event(msg, c->userdata);
		json_decref(msg);
		return;
	}
	if (ret_reply && !*ret_reply) {
		*ret_reply = msg;
		return;
	}
	log_warning("ignoring an unexpected reply from the injector");
	json_decref(msg);
}

/* Handles the complete lines already buffered, in order, and stops right after
 * the reply to want_id: events that follow it wait until the caller has taken the
 * reply in (an event may name the fault that reply created). Returns 1 when the
 * reply was found. */
static int drain(struct injector_client *c, uint64_t want_id, json_t **ret_reply)
{
	for (;;) {
		const char *line;
		size_t len;
		enum line_result lr = line_buffer_next(&c->in, &line, &len);
		if (lr == LINE_NONE)
			return 0;
		if (lr == LINE_OVERSIZED) {
			log_warning("ignoring an oversized message from the injector");
			continue;
		}
		json_t *reply = NULL;
		handle_line(c, line, len, &reply);
		if (!reply)
			continue;
		json_t *id = json_object_get(reply, "id");
		/* Requests are sequential, so an error whose id the injector could not
		 * read answers the one outstanding. */
		if (ret_reply && !*ret_reply &&
		    (json_is_null(id) ||
		     (json_is_integer(id) && (uint64_t)json_integer_value(id) == want_id))) {
			*ret_reply = reply;
			return 1;
		}
		log_warning("ignoring a reply to an unknown request");
		json_decref(reply);
	}
}

/* Delivers buffered lines, then reads once (when the fd is readable within
 * timeout_ms) and delivers what came. A reply whose id matches want_id is returned
 * through *ret_reply. */
static int read_some(struct injector_client *c, int timeout_ms, uint64_t want_id,
		     json_t **ret_reply)
{
	struct pollfd pfd = { .fd = c->transport.fd, .events = POLLIN };
	char buf[65536];

	if (drain(c, want_id, ret_reply) > 0)
		return 0;
	int n = poll(&pfd, 1, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : negative_errno();
	if (n == 0)
		return 0;
	ssize_t got = read(c->transport.fd, buf, sizeof(buf));
	if (got < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -EPIPE;
	if (got == 0)
		return -EPIPE;
	if (line_buffer_feed(&c->in, buf, (size_t)got) < 0)
		return -ENOMEM;
	drain(c, want_id, ret_reply);
	return 0;
}

int injector_client_call(struct injector_client *c, const char *op, json_t *fields, int timeout_ms,
			 json_t **ret_result)
{
	uint64_t id = c->next_id++;
	_cleanup_json_ json_t *msg = protocol_request(id, op, fields);
	_cleanup_json_ json_t *reply = NULL;
	_cleanup_free_ char *line = NULL;
	size_t len;
	int r;

	if (!msg)
		return -ENOMEM;
	r = protocol_encode(msg, &line, &len);
	if (r < 0)
		return r;
	r = send_all(c->transport.fd, line, len);
	if (r < 0) {
		snprintf(c->error, sizeof(c->error), "the injector went away");
		return r;
	}

	uint64_t deadline = now_monotonic_ns() + (uint64_t)timeout_ms * NSEC_PER_MSEC;
	while (!reply) {
		uint64_t now = now_monotonic_ns();
		if (now >= deadline) {
			snprintf(c->error, sizeof(c->error), "no reply to %s within %d ms", op,
				 timeout_ms);
			return -ETIMEDOUT;
		}
		r = read_some(c, (int)((deadline - now) / NSEC_PER_MSEC) + 1, id, &reply);
		if (r < 0) {
			snprintf(c->error, sizeof(c->error), "the injector went away");
			return r;
		}
	}

	json_t *result = NULL;
	const char *message = NULL;
	r = protocol_reply_result(reply, &result, &message);
	if (r < 0) {
		snprintf(c->error, sizeof(c->error), "%s", message);
		return r;
	}
	if (ret_result)
		*ret_result = json_incref(result);
	return 0;
}

int injector_client_poll(struct injector_client *c, int timeout_ms)
{
	return read_some(c, timeout_ms, UINT64_MAX, NULL);
}

int injector_client_fd(const struct injector_client *c)
{
	return c->transport.fd;
}

int injector_client_open(struct injector_client *c, const struct injector_spec *spec,
			 uint64_t heartbeat_ms, client_event_fn on_event, void *userdata)
{
	int r;

	*c = (struct injector_client){ .next_id = 1, .on_event = on_event, .userdata = userdata };
	line_buffer_init(&c->in, PROTOCOL_MAX_LINE);
	r = transport_open(spec, &c->transport, c->error, sizeof(c->error));
	if (r < 0)
		return r;

	json_t *fields = json_pack("{s:[i], s:s, s:I, s:i}", "versions", PROTOCOL_VERSION, "client",
				   "faultline " FAULTLINE_VERSION, "heartbeat_ms",
				   (json_int_t)heartbeat_ms, "controller_pid", (int)getpid());
	r = injector_client_call(c, "hello", fields, CLIENT_CALL_TIMEOUT_MS, &c->hello);
	if (r < 0) {
		char saved[sizeof(c->error)];
		memcpy(saved, c->error, sizeof(saved));
		injector_client_close(c, 2000);
		snprintf(c->error, sizeof(c->error),
			 "hello to the injector (%.200s) failed: %.270s", c->transport.description,
			 saved);
		return r;
	}
	return 0;
}

int injector_client_close(struct injector_client *c, int wait_ms)
{
	int r = transport_close(&c->transport, wait_ms);
	line_buffer_done(&c->in);
	json_decref(c->hello);
	c->hello = NULL;
	return r;
}
