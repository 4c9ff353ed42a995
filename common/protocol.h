/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Protocol v1 codec: JSON objects, one per line, shared by the injector and the
 * controller. docs/protocol.md is the specification.
 *
 *   request  {"id":N,"op":"apply",...}
 *   reply    {"id":N,"ok":true,"result":{...}}
 *            {"id":N|null,"ok":false,"error":{"errno":"EINVAL","code":22,"message":"..."}}
 *   event    {"event":"fault_reverted","ts":UNIX_MS,...}
 *
 * Decoding is the first line of defence at the privilege boundary: it checks
 * framing and shape only. Each op's fields are validated by its handler.
 */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

#define PROTOCOL_VERSION 1
/* Longest message in bytes, without its newline. Larger lines are dropped whole. */
#define PROTOCOL_MAX_LINE (64 * 1024)
/* Ids are JSON integers that survive a round trip through a double. */
#define PROTOCOL_MAX_ID ((1ULL << 53) - 1)

/* jansson provides json_decrefp() for its json_auto_t; we spell it our way. */
#define _cleanup_json_ _cleanup_(json_decrefp)

/* Parses one line (without its newline) into a JSON object. Returns 0 and a new
 * reference in *ret; -EMSGSIZE when too long; -EBADMSG when it is not a single JSON
 * object (duplicate keys included), with a message in err. */
int protocol_decode(const char *line, size_t len, json_t **ret, char *err, size_t errlen);

/* Checks a decoded request's envelope: "id" an integer in 0..PROTOCOL_MAX_ID and
 * "op" a non-empty string. Pointers borrow from msg. Returns 0, or -EBADMSG with
 * a message. */
int protocol_request_envelope(const json_t *msg, uint64_t *ret_id, const char **ret_op, char *err,
			      size_t errlen);

/* Serialises msg compactly, with a trailing newline. Returns 0 with a malloc'd
 * *ret_line and its length, -EMSGSIZE when it exceeds PROTOCOL_MAX_LINE, or
 * -ENOMEM. */
int protocol_encode(const json_t *msg, char **ret_line, size_t *ret_len);

/* Builders. Each returns a new reference, or NULL on allocation failure. */
json_t *protocol_request(uint64_t id, const char *op, json_t *fields /* stolen, may be NULL */);
json_t *protocol_reply_ok(uint64_t id, json_t *result /* stolen, may be NULL */);
/* id may be NULL when the request's id could not be read. err is -errno or errno. */
json_t *protocol_reply_error(const json_t *id, int err, const char *fmt, ...) _printf_(3, 4);
json_t *protocol_event(const char *name, json_t *fields /* stolen, may be NULL */);

/* Client side: reads a reply. Returns 0 and borrows *ret_result (may be NULL) when
 * ok; otherwise returns the reply's -errno (-EPROTO if malformed) and borrows its
 * message into *ret_message. */
int protocol_reply_result(const json_t *reply, json_t **ret_result, const char **ret_message);

/* Reads an optional unsigned integer field. Returns 1 if present and valid (sets
 * *ret), 0 if absent, -EINVAL if present but not an integer in [min, max]. */
int protocol_get_uint(const json_t *obj, const char *key, uint64_t min, uint64_t max,
		      uint64_t *ret);

/* Reads an optional string field of at most maxlen bytes, with no NUL or control
 * characters. Returns 1 and borrows *ret, 0 if absent, -EINVAL otherwise. */
int protocol_get_string(const json_t *obj, const char *key, size_t maxlen, const char **ret);

/* Checks that obj has no key outside the NULL-terminated allowed list. Returns 0,
 * or -EINVAL and names the first unknown key in err. */
int protocol_check_keys(const json_t *obj, const char *const *allowed, char *err, size_t errlen);
