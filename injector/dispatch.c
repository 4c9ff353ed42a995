/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Request handling for protocol v1. Trust boundary: every line here comes from a
 * peer that passed SO_PEERCRED but is otherwise untrusted. Each handler checks
 * every field it reads and answers every request exactly once; nothing a peer
 * sends can stop the loop or drop another session's faults.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "macro.h"
#include "parse.h"
#include "procfs.h"
#include "protocol.h"
#include "recovery.h"
#include "server.h"
#include "time_util.h"

#define HEARTBEAT_MIN_MS 100
#define HEARTBEAT_MAX_MS 60000
#define HEARTBEAT_DEFAULT_MS 1000
#define FAULT_NAME_MAX 64

struct request {
	struct connection *conn;
	const json_t *msg;
	json_t *id; /* borrowed from msg */
	uint64_t id_value;
};

static void reply_ok(struct request *req, json_t *result)
{
	connection_send(req->conn, protocol_reply_ok(req->id_value, result));
}

static void reply_error(struct request *req, int err, const char *message)
{
	connection_send(req->conn, protocol_reply_error(req->id, err, "%s", message));
}

static bool fault_name_valid(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!(('a' <= *s && *s <= 'z') || ('A' <= *s && *s <= 'Z') ||
		      ('0' <= *s && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
			return false;
	return true;
}

static void handle_hello(struct request *req)
{
	static const char *const keys[] = { "id",     "op",	      "versions",
					    "client", "heartbeat_ms", "controller_pid",
					    NULL };
	struct connection *c = req->conn;
	json_t *versions = json_object_get(req->msg, "versions");
	uint64_t heartbeat_ms = HEARTBEAT_DEFAULT_MS, controller_pid = 0;
	const char *client = NULL;
	char err[256];
	bool supported = false;
	size_t i;
	json_t *v;

	if (c->hello_done)
		return reply_error(req, EALREADY, "hello was already said on this session");
	if (protocol_check_keys(req->msg, keys, err, sizeof(err)) < 0)
		return reply_error(req, EINVAL, err);
	if (!json_is_array(versions) || json_array_size(versions) == 0 ||
	    json_array_size(versions) > 16)
		return reply_error(req, EINVAL, "expected \"versions\" to be a list of integers");
	json_array_foreach(versions, i, v) {
		if (!json_is_integer(v))
			return reply_error(req, EINVAL,
					   "expected \"versions\" to be a list of integers");
		if (json_integer_value(v) == PROTOCOL_VERSION)
			supported = true;
	}
	if (!supported)
		return reply_error(req, EPROTONOSUPPORT,
				   "no common protocol version: this injector speaks version 1");
	if (protocol_get_uint(req->msg, "heartbeat_ms", HEARTBEAT_MIN_MS, HEARTBEAT_MAX_MS,
			      &heartbeat_ms) < 0)
		return reply_error(req, EINVAL, "expected \"heartbeat_ms\" from 100 to 60000");
	if (protocol_get_uint(req->msg, "controller_pid", 1, INT32_MAX, &controller_pid) < 0)
		return reply_error(req, EINVAL, "expected \"controller_pid\" to be a pid");
	if (protocol_get_string(req->msg, "client", 128, &client) < 0)
		return reply_error(req, EINVAL, "expected \"client\" to be a short string");

	c->hello_done = true;
	c->heartbeat_ns = heartbeat_ms * NSEC_PER_MSEC;
	/* Trusted only to widen the blast-radius refusals: a lie can only make us
	 * refuse one more pid. */
	c->declared_controller_pid = (pid_t)controller_pid;
	log_info("session %llu: hello from %s (pid %d, uid %u), heartbeat %llu ms",
		 (unsigned long long)c->session_id, client ? client : "an unnamed client",
		 (int)c->peer_pid, (unsigned)c->peer_uid, (unsigned long long)heartbeat_ms);
	reply_ok(req,
		 json_pack("{s:i, s:s, s:I, s:I, s:I, s:i, s:i}", "version", PROTOCOL_VERSION,
			   "server", "faultlined " FAULTLINE_VERSION, "session",
			   (json_int_t)c->session_id, "heartbeat_ms", (json_int_t)heartbeat_ms,
			   "grace_ms", (json_int_t)(c->server->registry.grace_ns / NSEC_PER_MSEC),
			   "pid", (int)c->server->self_pid, "uid", (int)c->peer_uid));
}

/* Reads the "fault" object of apply and plan, and who is asking. Returns 0, or
 * -EINVAL with a message in err. Everything here is untrusted. */
static int read_fault_request(struct request *req, struct apply_request *ar,
			      struct fault_context *ctx, char *err, size_t errlen)
{
	static const char *const keys[] = { "id", "op", "fault", NULL };
	static const char *const fault_keys[] = { "name", "kind", "duration_ms", "params", NULL };
	struct connection *c = req->conn;
	json_t *fault = json_object_get(req->msg, "fault");
	uint64_t duration_ms = 0;
	struct proc_stat st;

	*ar = (struct apply_request){ .session_id = c->session_id, .uid = c->peer_uid };
	*ctx = (struct fault_context){
		.self_pid = c->server->self_pid,
		.peer_pid = c->peer_pid,
		.declared_controller_pid = c->declared_controller_pid,
		.peer_uid = c->peer_uid,
		.peer_gid = c->peer_gid,
		.policy = c->server->registry.policy,
	};
	if (c->peer_pid > 0 && procfs_read_stat(c->peer_pid, &st) == 0)
		ctx->peer_session = st.session;
	if (c->declared_controller_pid > 0 &&
	    procfs_read_stat(c->declared_controller_pid, &st) == 0)
		ctx->controller_session = st.session;

	if (protocol_check_keys(req->msg, keys, err, errlen) < 0)
		return -EINVAL;
	if (!json_is_object(fault)) {
		errbuf_set(err, errlen, "expected \"fault\" to be an object");
		return -EINVAL;
	}
	if (protocol_check_keys(fault, fault_keys, err, errlen) < 0)
		return -EINVAL;
	if (protocol_get_string(fault, "kind", 64, &ar->kind) != 1) {
		errbuf_set(err, errlen, "expected fault.kind to be a string");
		return -EINVAL;
	}
	if (protocol_get_string(fault, "name", FAULT_NAME_MAX, &ar->name) < 0 ||
	    (ar->name && !fault_name_valid(ar->name))) {
		errbuf_set(err, errlen, "expected fault.name to be 1 to 64 of [A-Za-z0-9._-]");
		return -EINVAL;
	}
	if (protocol_get_uint(fault, "duration_ms", 0, PARSE_DURATION_MAX_NS / NSEC_PER_MSEC,
			      &duration_ms) < 0) {
		errbuf_set(err, errlen, "expected fault.duration_ms from 0 to 30 days");
		return -EINVAL;
	}
	ar->duration_ns = duration_ms * NSEC_PER_MSEC;
	ar->params = json_object_get(fault, "params");
	if (!json_is_object(ar->params)) {
		errbuf_set(err, errlen, "expected fault.params to be an object");
		return -EINVAL;
	}
	return 0;
}

typedef int (*fault_request_fn)(struct registry *reg, const struct apply_request *req,
				const struct fault_context *ctx, json_t **ret_result, char *err,
				size_t errlen);

static void handle_fault_request(struct request *req, const char *op, fault_request_fn fn)
{
	struct apply_request ar;
	struct fault_context ctx;
	json_t *result = NULL;
	char err[512] = "";
	int r;

	r = read_fault_request(req, &ar, &ctx, err, sizeof(err));
	if (r < 0)
		return reply_error(req, r, err);
	r = fn(&req->conn->server->registry, &ar, &ctx, &result, err, sizeof(err));
	/* Refusals by the blast-radius rules or the policy are part of the audit
	 * trail: someone asked for what they may not have. */
	if (r == -EPERM)
		log_info("session %llu (uid %u): %s of %s refused: %s",
			 (unsigned long long)ar.session_id, (unsigned)ar.uid, op, ar.kind, err);
	if (r < 0)
		return reply_error(req, r, err);
	reply_ok(req, result);
}

static void handle_apply(struct request *req)
{
	handle_fault_request(req, "apply", registry_apply);
}

/* The dry run: validates and resolves a fault exactly as apply would, and says
 * what apply would do, without journaling or changing anything. */
static void handle_plan(struct request *req)
{
	handle_fault_request(req, "plan", registry_plan);
}

static void handle_revert(struct request *req)
{
	static const char *const keys[] = { "id", "op", "fault", NULL };
	struct connection *c = req->conn;
	const char *id = NULL;
	json_t *report = NULL;
	char err[512] = "";

	if (protocol_check_keys(req->msg, keys, err, sizeof(err)) < 0)
		return reply_error(req, EINVAL, err);
	if (protocol_get_string(req->msg, "fault", 47, &id) != 1)
		return reply_error(req, EINVAL, "expected \"fault\" to be a fault id");

	struct fault_instance *f = registry_find(&c->server->registry, id);
	if (!f)
		return reply_error(req, ENOENT, "no active fault with this id");
	/* A session reverts only what it owns; root may revert anything. */
	if (f->session_id != c->session_id && c->peer_uid != 0)
		return reply_error(req, EPERM, "this fault belongs to another session");

	int r = registry_revert(&c->server->registry, f, "request", &report, err, sizeof(err));
	if (r < 0)
		return reply_error(req, r, err);
	reply_ok(req, json_pack("{s:s, s:o?}", "fault", id, "report", report));
}

/* The kill switch. Root reverts every session's faults here, asks every other live
 * injector that journals in the same state directory to shut down (which reverts
 * theirs), and replays journals that dead injectors left. Others revert their own. */
static void handle_revert_all(struct request *req)
{
	static const char *const keys[] = { "id", "op", NULL };
	struct connection *c = req->conn;
	struct server *s = c->server;
	bool all = c->peer_uid == 0;
	unsigned reverted = 0, failed, signalled = 0;
	struct journal_recovery_stats stats = { 0 };
	char err[256];

	if (protocol_check_keys(req->msg, keys, err, sizeof(err)) < 0)
		return reply_error(req, EINVAL, err);
	failed = registry_revert_session(&s->registry, all ? REGISTRY_ANY_SESSION : c->session_id,
					 "revert_all", &reverted);
	if (all && s->state_dir) {
		signalled = recovery_signal_other_instances(s->state_dir, s->self_pid);
		recovery_replay(s->state_dir, &stats);
	}
	log_info("revert_all by uid %u: %u reverted, %u failed, %u other injector(s) told to "
		 "revert, %u fault(s) recovered from journals",
		 (unsigned)c->peer_uid, reverted, failed, signalled, stats.undone);
	reply_ok(req, json_pack("{s:b, s:i, s:i, s:i, s:i, s:i}", "all_sessions", all, "reverted",
				(int)reverted, "failed", (int)(failed + stats.failed),
				"instances_signalled", (int)signalled, "recovered",
				(int)stats.undone, "torn_records", (int)stats.torn));
}

static void handle_status(struct request *req)
{
	static const char *const keys[] = { "id", "op", NULL };
	struct server *s = req->conn->server;
	uint64_t now = now_monotonic_ns();
	json_t *sessions = json_array();
	char err[256];

	if (protocol_check_keys(req->msg, keys, err, sizeof(err)) < 0) {
		json_decref(sessions);
		return reply_error(req, EINVAL, err);
	}
	for (struct connection *c = s->connections; sessions && c; c = c->next)
		json_array_append_new(sessions,
				      json_pack("{s:I, s:i, s:i, s:b}", "session",
						(json_int_t)c->session_id, "pid", (int)c->peer_pid,
						"uid", (int)c->peer_uid, "hello", c->hello_done));
	reply_ok(req, json_pack("{s:i, s:s, s:i, s:I, s:s?, s:o, s:i, s:b, s:o}", "version",
				PROTOCOL_VERSION, "server", "faultlined " FAULTLINE_VERSION, "pid",
				(int)s->self_pid, "uptime_ms",
				(json_int_t)((now - s->started_ns) / NSEC_PER_MSEC), "state_dir",
				s->state_dir, "sessions", sessions, "faults_total",
				(int)s->registry.count, "truncated",
				s->registry.count > REGISTRY_STATUS_MAX, "faults",
				registry_status(&s->registry, now)));
}

static void handle_heartbeat(struct request *req)
{
	static const char *const keys[] = { "id", "op", NULL };
	char err[256];

	if (protocol_check_keys(req->msg, keys, err, sizeof(err)) < 0)
		return reply_error(req, EINVAL, err);
	reply_ok(req, json_pack("{s:I}", "now_ms", (json_int_t)now_realtime_ms()));
}

void dispatch_line(struct connection *c, const char *line, size_t len)
{
	static const struct {
		const char *op;
		void (*fn)(struct request *req);
	} handlers[] = {
		{ "hello", handle_hello },
		{ "apply", handle_apply },
		{ "plan", handle_plan },
		{ "revert", handle_revert },
		{ "revert_all", handle_revert_all },
		{ "status", handle_status },
		{ "heartbeat", handle_heartbeat },
	};
	_cleanup_json_ json_t *msg = NULL;
	struct request req = { .conn = c };
	const char *op;
	char err[256];
	int r;

	if (len == 0)
		return; /* blank lines are keep-alives (connection.c counts every line) */
	r = protocol_decode(line, len, &msg, err, sizeof(err));
	if (r < 0) {
		log_debug("session %llu: undecodable message: %s",
			  (unsigned long long)c->session_id, err);
		connection_send(c, protocol_reply_error(NULL, r, "%s", err));
		return;
	}
	req.msg = msg;
	req.id = json_object_get(msg, "id");
	r = protocol_request_envelope(msg, &req.id_value, &op, err, sizeof(err));
	if (r < 0) {
		connection_send(c, protocol_reply_error(json_is_integer(req.id) ? req.id : NULL, r,
							"%s", err));
		return;
	}
	if (!c->hello_done && !streq(op, "hello"))
		return reply_error(&req, EPROTO, "the first request of a session must be hello");
	for (size_t i = 0; i < ARRAY_SIZE(handlers); i++)
		if (streq(op, handlers[i].op))
			return handlers[i].fn(&req);
	reply_error(
		&req, EOPNOTSUPP,
		"unknown op; expected hello, apply, plan, revert, revert_all, status or heartbeat");
}

void dispatch_event(void *userdata, uint64_t session_id, json_t *event)
{
	struct server *s = userdata;

	for (struct connection *c = s->connections; c; c = c->next)
		if (c->session_id == session_id && c->hello_done) {
			connection_send(c, event);
			return;
		}
	json_decref(event);
}
