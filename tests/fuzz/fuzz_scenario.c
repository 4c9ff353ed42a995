/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the scenario loader and validator (controller/scenario.h) on
 * arbitrary bytes, as `faultline validate` reads a file.
 *
 * Everything is freed after each input, so LeakSanitizer reports any leak. Besides
 * the sanitizers, the loader's contract is checked:
 *
 * - a valid scenario comes with no diagnostic; an invalid one with at least one,
 *   and *ret untouched;
 * - every diagnostic names the file, has a message, and its message holds no
 *   control byte but tab (the loader refuses them in files, and must not let
 *   YAML escapes such as "\e" or "\n" smuggle them to a terminal either);
 * - a valid scenario respects the bounds of scenario.h: at most
 *   SCENARIO_MAX_FAULTS faults, unique names of [A-Za-z0-9._-]{1,64}, a type, and
 *   protocol params that are a JSON object;
 * - the injector agrees: each fault of a valid scenario, sent as `faultline run`
 *   sends it (runner.c), passes the injector's request checks. Its kind exists,
 *   its duration_ms fits the kind's duration rule, and the kind's validate()
 *   does not call its params malformed (-EINVAL): with the fake /proc of
 *   fuzz_sandbox.h it may well find no process, but not a bad field. Network
 *   params (network and network.partition) go through the injector's pure
 *   parsers (netem_params_from_json(), net_interfaces_parse(),
 *   net_filter_from_json()) rather than validate(), which needs netlink.
 *   A scenario that validates but cannot run is a bug.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "fault.h"
#include "fuzz_sandbox.h"
#include "log.h"
#include "net_fault.h"
#include "net_filter.h"
#include "net_netem.h"
#include "parse.h"
#include "protocol.h"
#include "scenario.h"
#include "time_util.h"

#define NAME "fuzz.yaml"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_scenario: check failed at %s:%d: %s\n", __FILE__,    \
				__LINE__, #cond);                                                  \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static FILE *devnull;

/*
 * Findings reported to the code's owners and not fixed yet (tests/fuzz/README.md).
 * Their checks still run, but print the finding once instead of aborting, so that
 * CI stays green meanwhile. FUZZ_STRICT=1 in the environment makes them fatal.
 * Once a finding is fixed, set its flag to 0: its input in regressions/scenario/
 * then guards the fix.
 */
/* Values quoted raw in a diagnostic instead of through ynode_describe():
 * scenario_target.c (an invalid cmdline regex, a bad unit) and scenario_network.c
 * (target.direction). */
#define KNOWN_RAW_VALUE_IN_DIAGNOSTIC 0
/* runner.c sends duration_ms = duration / 1 ms: "duration: 500us" validates, then
 * reaches the injector as 0 ms, which a process.pause refuses. */
#define KNOWN_SUB_MS_DURATION 0

/* scenario.c sv_string() refuses only NUL in strings, protocol_get_string() every
 * control byte: target: {comm: "a\tb"} validates, then the injector says EINVAL. */
#define KNOWN_CONTROL_BYTES_IN_STRINGS 0

static bool strict;

static void finding(bool known, const char *what, const char *detail)
{
	static const char *told[8];

	if (!known || strict) {
		fprintf(stderr, "fuzz_scenario: %s\n%s\n", what, detail);
		abort();
	}
	for (size_t i = 0; i < sizeof(told) / sizeof(told[0]); i++) {
		if (told[i] == what)
			return;
		if (!told[i]) {
			told[i] = what;
			fprintf(stderr, "fuzz_scenario: known finding, not fatal: %s\n%s\n", what,
				detail);
			return;
		}
	}
}

static bool name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 64)
		return false;
	for (; *s; s++)
		if (!(('a' <= *s && *s <= 'z') || ('A' <= *s && *s <= 'Z') ||
		      ('0' <= *s && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
			return false;
	return true;
}

static void check_diag(const struct diag *d)
{
	CHECK(d->file && strcmp(d->file, NAME) == 0);
	CHECK(d->message && d->message[0]);
	for (const unsigned char *p = (const unsigned char *)d->message; *p; p++) {
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f) {
			char detail[256];
			snprintf(detail, sizeof(detail), "diagnostic %u:%u holds byte 0x%02x",
				 d->line, d->col, *p);
			bool known = strstr(d->message, "expected a POSIX extended regular "
							"expression, found \"") ||
				     strstr(d->message, "expected a systemd unit name such as "
							"nginx.service, found \"") ||
				     strstr(d->message, "target.direction: ");
			finding(KNOWN_RAW_VALUE_IN_DIAGNOSTIC && known,
				"a diagnostic echoes a control byte to the terminal", detail);
			break;
		}
	}
}

/* Whether a selector object (the target or an exclude) reads the machine while it
 * is parsed: a pidfile's content or a pid namespace can make a well-formed target
 * fail with -EINVAL or -ESRCH at run time. */
static bool reads_machine(const json_t *target)
{
	const json_t *ex = json_object_get(target, "exclude");
	size_t i;
	json_t *e;

	if (json_object_get(target, "pidfile") || json_object_get(target, "pidns"))
		return true;
	if (json_is_object(ex))
		return json_object_get(ex, "pidfile") != NULL;
	json_array_foreach(ex, i, e)
		if (json_object_get(e, "pidfile"))
			return true;
	return false;
}

/* Whether any string in v holds a byte the protocol refuses in strings. */
static bool has_control_bytes(const json_t *v)
{
	const char *key;
	json_t *e;
	size_t i;

	if (json_is_string(v)) {
		for (i = 0; i < json_string_length(v); i++) {
			unsigned char c = (unsigned char)json_string_value(v)[i];
			if (c < 0x20 || c == 0x7f)
				return true;
		}
		return false;
	}
	if (json_is_array(v)) {
		json_array_foreach(v, i, e)
			if (has_control_bytes(e))
				return true;
	}
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, e)
			if (has_control_bytes(e))
				return true;
	}
	return false;
}

static void mismatch(const struct scenario_fault *f, bool known, const char *what, const char *err)
{
	char *params = json_dumps(f->params, JSON_COMPACT);
	char detail[1024];

	snprintf(detail, sizeof(detail),
		 "a fault valid for the controller is refused by the injector:\n%s:%u:%u: fault "
		 "%s (%s): %s%s%s\n  params %s, duration_ms %llu (duration %llu ns)",
		 NAME, f->line, f->col, f->name, f->type, what, err ? ": " : "", err ? err : "",
		 params ? params : "?", (unsigned long long)(f->duration_ns / NSEC_PER_MSEC),
		 (unsigned long long)f->duration_ns);
	free(params);
	finding(known, what, detail);
}

static void check_injector_agrees(const struct scenario_fault *f)
{
	static const struct fault_context ctx = {
		.self_pid = FUZZ_SELF_PID,
		.peer_pid = FUZZ_CONTROLLER_PID,
		.peer_session = FUZZ_SHELL_PID,
	};
	const struct fault_ops *ops = fault_ops_find(f->type);
	/* What runner.c sends. */
	uint64_t duration_ms = ns_to_ms_ceil(f->duration_ns);
	char err[512] = "";
	json_t *plan = NULL;
	int r;

	if (!ops)
		return mismatch(f, false, "unknown kind", NULL);
	if (duration_ms > PARSE_DURATION_MAX_NS / NSEC_PER_MSEC)
		mismatch(f, false, "duration_ms above 30 days", NULL);
	if (ops->duration == FAULT_DURATION_REQUIRED && duration_ms == 0)
		mismatch(f, KNOWN_SUB_MS_DURATION && f->duration_ns > 0,
			 "the kind needs a duration_ms greater than 0", NULL);
	if (ops->duration == FAULT_DURATION_NONE && duration_ms != 0)
		mismatch(f, false, "the kind takes no duration", NULL);

	if (!strcmp(f->type, "network") || !strcmp(f->type, "network.partition")) {
		struct netem_params netem;
		struct net_filter filter;
		json_t *names = NULL;
		bool all;

		if (!strcmp(f->type, "network")) {
			r = netem_params_from_json(json_object_get(f->params, "netem"), &netem, err,
						   sizeof(err));
			if (r < 0)
				mismatch(f,
					 KNOWN_CONTROL_BYTES_IN_STRINGS &&
						 has_control_bytes(f->params),
					 "netem", err);
		}
		if (json_object_get(f->params, "filter")) {
			r = net_filter_from_json(json_object_get(f->params, "filter"), &filter, err,
						 sizeof(err));
			/* E2BIG: more than 256 u32 rules, which only the injector counts. */
			if (r < 0 && r != -E2BIG)
				mismatch(f,
					 KNOWN_CONTROL_BYTES_IN_STRINGS &&
						 has_control_bytes(f->params),
					 "filter", err);
		}
		r = net_interfaces_parse(json_object_get(f->params, "interface"), &names, &all, err,
					 sizeof(err));
		if (r < 0)
			mismatch(f, KNOWN_CONTROL_BYTES_IN_STRINGS && has_control_bytes(f->params),
				 "interface", err);
		json_decref(names);
		return;
	}

	r = ops->validate(f->params, &ctx, &plan, err, sizeof(err));
	json_decref(plan);
	if (r == -EINVAL && !reads_machine(json_object_get(f->params, "target")))
		mismatch(f, KNOWN_CONTROL_BYTES_IN_STRINGS && has_control_bytes(f->params),
			 "malformed params", err);
}

static void check_scenario(const struct scenario *s)
{
	CHECK(s->path && strcmp(s->path, NAME) == 0);
	CHECK(s->name && s->name[0]);
	CHECK(s->n_faults >= 1 && s->n_faults <= SCENARIO_MAX_FAULTS);
	CHECK(s->transport != INJECTOR_UNIX || (s->unix_path && s->unix_path[0] == '/'));
	CHECK(s->transport != INJECTOR_EXEC || (s->exec_argv && s->exec_argv[0]));
	for (size_t i = 0; i < s->n_faults; i++) {
		const struct scenario_fault *f = &s->faults[i];

		CHECK(f->name && name_valid(f->name));
		CHECK(f->type && f->type[0]);
		CHECK(json_is_object(f->params));
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(s->faults[j].name, f->name) != 0);

		/* The params travel in an apply request: encoding must not crash. */
		char *line = NULL;
		size_t len;
		if (protocol_encode(f->params, &line, &len) == 0)
			CHECK(len > 0 && line[len - 1] == '\n');
		free(line);

		check_injector_agrees(f);
	}
	(void)scenario_fault_window_ns(s);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_max_level(LOG_LEVEL_ERROR);
	strict = getenv("FUZZ_STRICT") != NULL;
	fuzz_sandbox_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag_list diags = { 0 };
	struct scenario *s = NULL;
	int r;

	if (!devnull) {
		devnull = fopen("/dev/null", "we");
		CHECK(devnull);
	}

	r = scenario_load_buffer(NAME, (const char *)data, size, &s, &diags);
	if (r == 0) {
		CHECK(s != NULL);
		if (diags.n) {
			diag_list_print(&diags, stderr);
			CHECK(diags.n == 0);
		}
		check_scenario(s);
	} else {
		CHECK(r < 0);
		CHECK(s == NULL);
		CHECK(diags.n >= 1);
	}
	for (size_t i = 0; i < diags.n; i++)
		check_diag(&diags.items[i]);
	diag_list_print(&diags, devnull);

	scenario_free(s);
	diag_list_clear(&diags);
	return 0;
}
