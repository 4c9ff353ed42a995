/* SPDX-License-Identifier: Apache-2.0 */
#include "protocol.h"

#include <limits.h>
#include <stdarg.h>

#include "errno_name.h"
#include "time_util.h"

int protocol_decode(const char *line, size_t len, json_t **ret, char *err, size_t errlen)
{
	json_error_t jerr;

	if (len > PROTOCOL_MAX_LINE) {
		errbuf_set(err, errlen, "message of %zu bytes exceeds the limit of %u bytes", len,
			   PROTOCOL_MAX_LINE);
		return -EMSGSIZE;
	}
	/* jansson drops a NUL right after a literal; a C-string logger would then see
	 * less than we acted on. NUL is never valid in a JSON text anyway. */
	if (memchr(line, '\0', len)) {
		errbuf_set(err, errlen, "expected a JSON object, found a NUL byte");
		return -EBADMSG;
	}
	/* JSON_REJECT_DUPLICATES: two values for one key would let the validator and
	 * the handler disagree about which one counts. */
	json_t *msg = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!msg) {
		errbuf_set(err, errlen,
			   "expected a JSON object, found invalid JSON at column %d: %s",
			   jerr.column, jerr.text);
		return -EBADMSG;
	}
	if (!json_is_object(msg)) {
		json_decref(msg);
		errbuf_set(err, errlen, "expected a JSON object, found another JSON value");
		return -EBADMSG;
	}
	*ret = msg;
	return 0;
}

int protocol_request_envelope(const json_t *msg, uint64_t *ret_id, const char **ret_op, char *err,
			      size_t errlen)
{
	json_t *id = json_object_get(msg, "id");
	json_t *op = json_object_get(msg, "op");

	if (!json_is_integer(id) || json_integer_value(id) < 0 ||
	    (uint64_t)json_integer_value(id) > PROTOCOL_MAX_ID) {
		errbuf_set(err, errlen, "expected \"id\" to be an integer from 0 to 2^53-1");
		return -EBADMSG;
	}
	if (!json_is_string(op) || json_string_length(op) == 0 || json_string_length(op) > 64) {
		errbuf_set(err, errlen, "expected \"op\" to be a non-empty string");
		return -EBADMSG;
	}
	*ret_id = (uint64_t)json_integer_value(id);
	*ret_op = json_string_value(op);
	return 0;
}

int protocol_encode(const json_t *msg, char **ret_line, size_t *ret_len)
{
	char *s = json_dumps(msg, JSON_COMPACT);
	if (!s)
		return -ENOMEM;

	size_t len = strlen(s);
	if (len > PROTOCOL_MAX_LINE) {
		free(s);
		return -EMSGSIZE;
	}
	char *line = realloc(s, len + 2);
	if (!line) {
		free(s);
		return -ENOMEM;
	}
	line[len] = '\n';
	line[len + 1] = '\0';
	*ret_line = line;
	*ret_len = len + 1;
	return 0;
}

json_t *protocol_request(uint64_t id, const char *op, json_t *fields)
{
	json_t *msg = fields ? fields : json_object();
	if (!msg)
		return NULL;
	if (json_object_set_new(msg, "id", json_integer((json_int_t)id)) < 0 ||
	    json_object_set_new(msg, "op", json_string(op)) < 0) {
		json_decref(msg);
		return NULL;
	}
	return msg;
}

json_t *protocol_reply_ok(uint64_t id, json_t *result)
{
	return json_pack("{s:I, s:b, s:o}", "id", (json_int_t)id, "ok", 1, "result",
			 result ? result : json_object());
}

json_t *protocol_reply_error(const json_t *id, int err, const char *fmt, ...)
{
	char message[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	/* Messages may quote what a peer sent (jansson's parse errors do, and
	 * truncation can cut a character in two). A reply must always be valid
	 * JSON, so anything but printable ASCII becomes '?': a peer sending garbage
	 * still gets its error reply. */
	for (char *p = message; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			*p = '?';
	err = err == INT_MIN ? EIO : abs(err);
	return json_pack("{s:O, s:b, s:{s:s, s:i, s:s}}", "id", id ? id : json_null(), "ok", 0,
			 "error", "errno", errno_name(err), "code", err, "message", message);
}

json_t *protocol_event(const char *name, json_t *fields)
{
	json_t *msg = fields ? fields : json_object();
	if (!msg)
		return NULL;
	if (json_object_set_new(msg, "event", json_string(name)) < 0 ||
	    json_object_set_new(msg, "ts", json_integer((json_int_t)now_realtime_ms())) < 0) {
		json_decref(msg);
		return NULL;
	}
	return msg;
}

int protocol_reply_result(const json_t *reply, json_t **ret_result, const char **ret_message)
{
	json_t *ok = json_object_get(reply, "ok");

	if (json_is_true(ok)) {
		*ret_result = json_object_get(reply, "result");
		return 0;
	}
	json_t *error = json_object_get(reply, "error");
	const char *message = json_string_value(json_object_get(error, "message"));
	const char *name = json_string_value(json_object_get(error, "errno"));
	int code = name ? errno_from_name(name) : 0;

	if (!json_is_false(ok) || !message) {
		*ret_message = "malformed reply from the injector";
		return -EPROTO;
	}
	if (code == 0) {
		json_int_t c = json_integer_value(json_object_get(error, "code"));
		code = c > 0 && c < 4096 ? (int)c : EPROTO;
	}
	*ret_message = message;
	return -code;
}

int protocol_get_uint(const json_t *obj, const char *key, uint64_t min, uint64_t max, uint64_t *ret)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -EINVAL;
	uint64_t u = (uint64_t)json_integer_value(v);
	if (u < min || u > max)
		return -EINVAL;
	*ret = u;
	return 1;
}

int protocol_get_string(const json_t *obj, const char *key, size_t maxlen, const char **ret)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return 0;
	if (!json_is_string(v) || json_string_length(v) > maxlen)
		return -EINVAL;
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);
	/* Embedded NULs or control bytes would be truncated or garble logs later. */
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return -EINVAL;
	*ret = s;
	return 1;
}

int protocol_check_keys(const json_t *obj, const char *const *allowed, char *err, size_t errlen)
{
	const char *key;
	json_t *value;

	json_object_foreach((json_t *)obj, key, value) {
		bool known = false;
		for (const char *const *a = allowed; *a; a++)
			if (streq(key, *a)) {
				known = true;
				break;
			}
		if (!known) {
			errbuf_set(err, errlen, "unknown field \"%.64s\"", key);
			return -EINVAL;
		}
	}
	return 0;
}
