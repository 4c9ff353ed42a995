/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The injector's server: the listening socket or the stdio pipe, the connections
 * (one session each), heartbeats, and the clock that drives the registry.
 *
 * Trust boundary: everything a connection sends is untrusted. Peers on the socket
 * are authenticated with SO_PEERCRED (root, or a member of the configured group)
 * before their first byte is read; every field of every request is validated in
 * dispatch.c and the fault's validate().
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "event_loop.h"
#include "journal.h"
#include "line_buffer.h"
#include "registry.h"

#define SERVER_MAX_CONNECTIONS 64
#define SERVER_ROOT_RESERVED 8 /* slots only root may take */
#define SERVER_MAX_PER_UID 8 /* for non-root peers */
#define SERVER_HELLO_TIMEOUT_NS (10ULL * 1000000000ULL)
#define SERVER_MAX_OUTPUT (4 * 1024 * 1024) /* a peer that reads nothing is dropped */
#define SERVER_HEARTBEAT_MISSES 3

struct server;

struct connection {
	struct server *server;
	int in_fd, out_fd;
	struct line_buffer in;
	char *out;
	size_t out_len, out_off;
	bool out_watched;
	bool out_unwatchable; /* a regular file: written directly, never polled */
	pid_t peer_pid;
	uid_t peer_uid;
	gid_t peer_gid;
	uint64_t session_id;
	bool hello_done;
	pid_t declared_controller_pid;
	uint64_t heartbeat_ns; /* the interval agreed in hello */
	uint64_t last_seen_ns;
	uint64_t opened_ns;
	bool doomed; /* its output overflowed: closed at the next safe point */
	struct connection *next;
};

struct server {
	struct event_loop *loop;
	struct registry registry;
	const char *state_dir;
	int listen_fd;
	char *socket_path;
	bool have_group;
	gid_t group;
	struct connection *connections;
	unsigned n_connections;
	uint64_t next_session_id;
	bool stdio_mode; /* the one session's end is the server's end */
	pid_t self_pid;
	uint64_t started_ns;
};

/* Sets up the server around an existing loop and registry fields. */
void server_init(struct server *s, struct event_loop *loop, const char *state_dir);

/* Creates the daemon socket at path: mode 0660, owner root, group group (NULL:
 * root's group). An existing socket file is replaced only if nothing listens on
 * it. Returns 0 or -errno. */
int server_listen(struct server *s, const char *path, const char *group);

/* Serves one session over in_fd/out_fd (stdin/stdout). The peer is whoever
 * spawned us. Returns 0 or -errno. */
int server_add_stdio(struct server *s, int in_fd, int out_fd);

/* Heartbeat deadlines, hello timeouts and the registry's clock. Called every tick. */
void server_tick(struct server *s);

/* Reverts every fault, closes every connection and the socket. Returns the number
 * of faults that could not be reverted. */
unsigned server_shutdown(struct server *s, const char *reason);

/* Queues msg for the connection and writes what the peer accepts now, never
 * blocking. Takes ownership of msg. A peer that lets SERVER_MAX_OUTPUT pile up is
 * closed. Returns 0 or -errno. */
int connection_send(struct connection *c, json_t *msg);

/* Closes a session: reverts its faults (reason goes to the journal and log). */
void connection_close(struct connection *c, const char *reason);

/* dispatch.c: handles one line from c. */
void dispatch_line(struct connection *c, const char *line, size_t len);

/* dispatch.c: the registry's event callback (userdata is the server). */
void dispatch_event(void *userdata, uint64_t session_id, json_t *event);
