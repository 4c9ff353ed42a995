/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The controller's side of protocol v1: requests with ids, replies matched to
 * them, and events delivered to a callback as they arrive.
 */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "line_buffer.h"
#include "transport.h"

#define CLIENT_CALL_TIMEOUT_MS 10000

/* Receives an event ({"event":...}); borrowed for the call's duration. */
typedef void (*client_event_fn)(const json_t *event, void *userdata);

struct injector_client {
	struct transport transport;
	struct line_buffer in;
	uint64_t next_id;
	client_event_fn on_event;
	void *userdata;
	json_t *hello; /* the hello result, once said */
	char error[512]; /* the last failure, for messages */
};

/* Opens the transport and says hello (protocol v1, heartbeat_ms). Returns 0, or
 * -errno with a message in c->error. */
int injector_client_open(struct injector_client *c, const struct injector_spec *spec,
			 uint64_t heartbeat_ms, client_event_fn on_event, void *userdata);

/* Sends {"op":op,...fields} (fields stolen, may be NULL) and waits up to timeout_ms
 * for its reply, delivering events meanwhile. Returns 0 and a new reference to the
 * result in *ret_result (if not NULL), or the reply's -errno with its message in
 * c->error; -EPIPE when the injector went away; -ETIMEDOUT. */
int injector_client_call(struct injector_client *c, const char *op, json_t *fields, int timeout_ms,
			 json_t **ret_result);

/* Reads whatever is available within timeout_ms and delivers events. Returns 0,
 * or -EPIPE when the injector closed the connection. */
int injector_client_poll(struct injector_client *c, int timeout_ms);

/* The fd to poll for input. */
int injector_client_fd(const struct injector_client *c);

/* Closes the connection and, for a spawned injector, waits up to wait_ms for it to
 * revert and exit. Returns the child's exit status, 0, or -errno. */
int injector_client_close(struct injector_client *c, int wait_ms);
