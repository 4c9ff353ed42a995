/* SPDX-License-Identifier: Apache-2.0 */
/* The daemon socket, peer authentication, the stdio session and the server clock. */
#include "server.h"

#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "log.h"
#include "macro.h"
#include "protocol.h"
#include "time_util.h"

int connection_open(struct server *s, int in_fd, int out_fd, pid_t pid, uid_t uid, gid_t gid,
		    struct connection **ret);

void server_init(struct server *s, struct event_loop *loop, const char *state_dir)
{
	*s = (struct server){
		.loop = loop,
		.state_dir = state_dir,
		.listen_fd = -1,
		.next_session_id = 1,
		.self_pid = getpid(),
		.started_ns = now_monotonic_ns(),
	};
}

/* Whether pid's supplementary groups include gid, from /proc/PID/status. Only used
 * for a non-root peer that already passed the socket's file permissions. */
static bool peer_in_group(pid_t pid, gid_t gid)
{
	char path[64], line[4096];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	_cleanup_fclose_ FILE *f = fopen(path, "re");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "Groups:", 7) != 0)
			continue;
		char *save = NULL;
		for (char *tok = strtok_r(line + 7, " \t\n", &save); tok;
		     tok = strtok_r(NULL, " \t\n", &save))
			if ((gid_t)strtoul(tok, NULL, 10) == gid)
				return true;
		return false;
	}
	return false;
}

/* The peer check of the trust boundary: root, or the configured group. */
static bool peer_allowed(const struct server *s, const struct ucred *cred)
{
	if (cred->uid == 0)
		return true;
	if (!s->have_group)
		return false;
	return cred->gid == s->group || peer_in_group(cred->pid, s->group);
}

/* Non-root peers share fewer slots than there are, and each uid only a few of
 * them, so that nobody in the group can crowd root's kill switch out. Returns
 * NULL when the peer may connect, or why not. */
static const char *connection_limit(const struct server *s, const struct ucred *cred)
{
	unsigned mine = 0;

	if (s->n_connections >= SERVER_MAX_CONNECTIONS)
		return "too many connections";
	if (cred->uid == 0)
		return NULL;
	if (s->n_connections >= SERVER_MAX_CONNECTIONS - SERVER_ROOT_RESERVED)
		return "the remaining connections are reserved for root";
	for (const struct connection *c = s->connections; c; c = c->next)
		if (c->peer_uid == cred->uid)
			mine++;
	return mine >= SERVER_MAX_PER_UID ? "too many connections from this uid" : NULL;
}

static int on_accept(struct event_loop *loop, int fd, uint32_t events, void *userdata)
{
	struct server *s = userdata;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct connection *c;

	int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (cfd < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : negative_errno();
	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		log_warning_errno(errno, "cannot read the peer's credentials; refusing");
		safe_close(cfd);
		return 0;
	}
	if (!peer_allowed(s, &cred)) {
		log_warning("refused a connection from pid %d uid %u gid %u: not root and not in "
			    "the faultline group",
			    (int)cred.pid, (unsigned)cred.uid, (unsigned)cred.gid);
		_cleanup_json_ json_t *msg =
			protocol_reply_error(NULL, EACCES,
					     "permission denied: uid %u is not root "
					     "and not in the injector's group",
					     (unsigned)cred.uid);
		_cleanup_free_ char *line = NULL;
		size_t n;
		if (msg && protocol_encode(msg, &line, &n) == 0 && write(cfd, line, n) < 0)
			log_debug_errno(errno, "cannot tell the refused peer");
		safe_close(cfd);
		return 0;
	}
	const char *full = connection_limit(s, &cred);
	if (full) {
		log_warning("refused a connection from pid %d uid %u: %s", (int)cred.pid,
			    (unsigned)cred.uid, full);
		_cleanup_json_ json_t *msg = protocol_reply_error(NULL, EUSERS, "%s", full);
		_cleanup_free_ char *line = NULL;
		size_t n;
		if (msg && protocol_encode(msg, &line, &n) == 0 && write(cfd, line, n) < 0)
			log_debug_errno(errno, "cannot tell the refused peer");
		safe_close(cfd);
		return 0;
	}
	int r = connection_open(s, cfd, cfd, cred.pid, cred.uid, cred.gid, &c);
	if (r < 0) {
		safe_close(cfd);
		return log_error_errno(r, "cannot open a session");
	}
	log_debug("session %llu: connection from pid %d uid %u", (unsigned long long)c->session_id,
		  (int)cred.pid, (unsigned)cred.uid);
	return 0;
}

int server_listen(struct server *s, const char *path, const char *group)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	gid_t gid = 0;
	int r;

	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, path);

	if (group) {
		struct group *gr = getgrnam(group);
		if (!gr)
			return log_error_errno(ENOENT, "group \"%s\" does not exist", group);
		gid = gr->gr_gid;
		s->have_group = true;
		s->group = gid;
	}

	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return negative_errno();

	/* Replace a stale socket file, but never steal a live daemon's socket. */
	_cleanup_close_ int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0 && connect(probe, (struct sockaddr *)&addr, sizeof(addr)) == 0)
		return log_error_errno(EADDRINUSE, "another injector is listening on %s", path);
	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return log_error_errno(EEXIST, "%s exists and is not a socket", path);
		unlink(path);
	}

	/* Bind under a restrictive umask so the socket is never briefly world-open. */
	mode_t old = umask(0177);
	r = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(old);
	if (r < 0)
		return log_error_errno(errno, "cannot bind %s", path);
	if (chown(path, 0, gid) < 0 || chmod(path, 0660) < 0) {
		r = negative_errno();
		unlink(path);
		return log_error_errno(r, "cannot set the owner and mode of %s", path);
	}
	if (listen(fd, 16) < 0)
		return negative_errno();
	r = event_loop_add(s->loop, fd, EPOLLIN, on_accept, s);
	if (r < 0)
		return r;
	s->socket_path = strdup(path);
	s->listen_fd = TAKE_FD(fd);
	return 0;
}

int server_add_stdio(struct server *s, int in_fd, int out_fd)
{
	struct ucred cred = { .pid = getppid(), .uid = getuid(), .gid = getgid() };
	socklen_t len = sizeof(cred);
	struct connection *c;

	/* If stdin is a socket its peer is known exactly; a pipe's writer is taken
	 * to be whoever spawned us. */
	if (getsockopt(in_fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		cred.pid = getppid();
		cred.uid = getuid();
		cred.gid = getgid();
	}
	s->stdio_mode = true;
	return connection_open(s, in_fd, out_fd, cred.pid, cred.uid, cred.gid, &c);
}

void server_tick(struct server *s)
{
	uint64_t now = now_monotonic_ns();
	struct connection *c = s->connections, *next;

	for (; c; c = next) {
		next = c->next;
		if (c->doomed) {
			connection_close(c, "peer_not_reading");
			continue;
		}
		if (!c->hello_done) {
			if (now - c->opened_ns > SERVER_HELLO_TIMEOUT_NS)
				connection_close(c, "hello_timeout");
			continue;
		}
		if (now - c->last_seen_ns > SERVER_HEARTBEAT_MISSES * c->heartbeat_ns) {
			log_warning("session %llu: no heartbeat for %d intervals of %llu ms",
				    (unsigned long long)c->session_id, SERVER_HEARTBEAT_MISSES,
				    (unsigned long long)(c->heartbeat_ns / NSEC_PER_MSEC));
			connection_send(
				c, protocol_event("session_expired",
						  json_pack("{s:s}", "reason", "heartbeat_lost")));
			connection_close(c, "heartbeat_lost");
		}
	}
	registry_tick(&s->registry, now);
}

unsigned server_shutdown(struct server *s, const char *reason)
{
	unsigned failed = 0, reverted = 0;

	while (s->connections) {
		bool stdio = s->stdio_mode;
		s->stdio_mode = false; /* the loop is ending anyway */
		connection_close(s->connections, reason);
		s->stdio_mode = stdio;
	}
	failed = registry_revert_session(&s->registry, REGISTRY_ANY_SESSION, reason, &reverted);
	if (s->listen_fd >= 0) {
		event_loop_remove(s->loop, s->listen_fd);
		s->listen_fd = safe_close(s->listen_fd);
		if (s->socket_path)
			unlink(s->socket_path);
	}
	s->socket_path = mfree(s->socket_path);
	/* Failed reverts: one retry each, now, since no tick follows. */
	if (failed)
		failed = registry_revert_session(&s->registry, REGISTRY_ANY_SESSION, reason, NULL);
	return failed;
}
