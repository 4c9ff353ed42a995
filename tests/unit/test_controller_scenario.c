/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the scenario loader: the YAML tree (positions, aliases, limits),
 * the schema (values, defaults, params JSON) and the diagnostics (positions,
 * messages, every error reported). The bad-file corpus of tests/data/bad is run
 * through the library here too, so the sanitizers see every malformed file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "diag.h"
#include "macro.h"
#include "scenario.h"
#include "scenario_assert.h"
#include "scenario_faults.h"
#include "yaml_tree.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct yaml_tree *, yaml_tree_free);

static char *params_json(const struct scenario_fault *f)
{
	return json_dumps(f->params, JSON_COMPACT | JSON_SORT_KEYS);
}

/* ---- diag ------------------------------------------------------------------------------------ */

static void test_diag_print(void **state)
{
	_cleanup_(diag_listp) struct diag_list l = {};
	_cleanup_free_ char *text = NULL;

	for (int i = 0; i < 20; i++)
		assert_int_equal(diag_add(&l, "a.yaml", 3 + i, 7, "problem %d", i), 0);
	assert_int_equal(diag_add(&l, "b.yaml", 0, 0, "cannot open: %s", "nope"), 0);
	assert_int_equal(l.n, 21);
	text = diags_text(&l);
	assert_non_null(strstr(text, "a.yaml:3:7: problem 0\n"));
	assert_non_null(strstr(text, "a.yaml:22:7: problem 19\n"));
	assert_non_null(strstr(text, "b.yaml: cannot open: nope\n"));
	diag_list_clear(&l);
	assert_int_equal(l.n, 0);
	assert_null(l.items);
	diag_list_clear(&l); /* twice is fine */
}

/* ---- yaml_tree ------------------------------------------------------------------------------- */

static int tree(const char *text, struct yaml_tree **ret, struct diag_list *diags)
{
	return yaml_tree_parse("t.yaml", text, strlen(text), ret, diags);
}

static void test_tree_positions_and_styles(void **state)
{
	_cleanup_(yaml_tree_freep) struct yaml_tree *t = NULL;
	_cleanup_(diag_listp) struct diag_list d = {};
	const struct ynode *root, *v;

	assert_int_equal(tree("# c\nkey: plain\nq: \"1234\"\nlist:\n  - a\n  - 'b'\n"
			      "nul: \"x\\0y\"\nblock: |\n  text\n",
			      &t, &d),
			 0);
	root = t->root;
	assert_int_equal(root->kind, YNODE_MAPPING);
	assert_int_equal(root->line, 2);
	assert_int_equal(root->col, 1);
	assert_int_equal(root->n_pairs, 5);

	v = ynode_get(root, "key");
	assert_true(v->plain);
	assert_string_equal(v->value, "plain");
	assert_int_equal(v->line, 2);
	assert_int_equal(v->col, 6);

	v = ynode_get(root, "q");
	assert_false(v->plain);
	assert_string_equal(v->value, "1234");
	assert_int_equal(v->col, 4);

	v = ynode_get(root, "list");
	assert_int_equal(v->kind, YNODE_SEQUENCE);
	assert_int_equal(v->n_items, 2);
	assert_int_equal(v->line, 5);
	assert_int_equal(v->col, 3);
	assert_true(v->items[0]->plain);
	assert_false(v->items[1]->plain);
	assert_int_equal(v->items[1]->line, 6);
	assert_int_equal(v->items[1]->col, 5);

	v = ynode_get(root, "nul");
	assert_int_equal(v->len, 3);
	assert_memory_equal(v->value, "x\0y", 3);

	v = ynode_get(root, "block");
	assert_false(v->plain);
	assert_string_equal(v->value, "text\n");
	assert_null(ynode_get(root, "absent"));
	assert_int_equal(root->expanded, 1 + 2 * 5 + 2);
}

static void test_tree_aliases_shared(void **state)
{
	_cleanup_(yaml_tree_freep) struct yaml_tree *t = NULL;
	_cleanup_(diag_listp) struct diag_list d = {};
	const struct ynode *a, *b;

	assert_int_equal(tree("a: &x {p: 1, q: [2, 3]}\nb: *x\nc: [*x, *x]\n", &t, &d), 0);
	a = ynode_get(t->root, "a");
	b = ynode_get(t->root, "b");
	assert_ptr_equal(a, b); /* shared, not copied */
	assert_ptr_equal(ynode_get(t->root, "c")->items[1], a);
	assert_int_equal(a->expanded, 7);
	assert_int_equal(t->n_aliases, 3);
	/* root + 3 keys + a + b + c(1 + 2 * 7) */
	assert_int_equal(t->expanded, 1 + 3 + 7 + 7 + 1 + 14);
	assert_int_equal(a->line, 1);
	assert_int_equal(a->col, 4); /* an anchored node starts at its anchor */
}

static void test_tree_alias_bomb_is_fast(void **state)
{
	_cleanup_(diag_listp) struct diag_list d = {};
	_cleanup_free_ char *text = NULL, *all = NULL;
	struct yaml_tree *t = SENTINEL;
	struct timespec t0, t1;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	/* 10^30 nodes once expanded; refused after a few hundred events. */
	fprintf(f, "l0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
	for (int i = 1; i < 30; i++) {
		fprintf(f, "l%d: &a%d [", i, i);
		for (int j = 0; j < 10; j++)
			fprintf(f, "%s*a%d", j ? ", " : "", i - 1);
		fprintf(f, "]\n");
	}
	fclose(f);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(tree(text, &t, &d), -EINVAL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_ptr_equal(t, SENTINEL);
	all = diags_text(&d);
	assert_non_null(strstr(all, "t.yaml:5:"));
	assert_non_null(strstr(all, "expected at most 100000 YAML nodes with aliases expanded"));
	assert_true(t1.tv_sec - t0.tv_sec < 2);
}

static void test_tree_alias_limits(void **state)
{
	_cleanup_free_ char *ok = NULL, *over = NULL;
	size_t len = 0;
	FILE *f;

	for (int n = SCENARIO_MAX_ALIASES; n <= SCENARIO_MAX_ALIASES + 1; n++) {
		_cleanup_(yaml_tree_freep) struct yaml_tree *t = NULL;
		_cleanup_(diag_listp) struct diag_list d = {};
		char **text = n == SCENARIO_MAX_ALIASES ? &ok : &over;

		f = open_memstream(text, &len);
		fprintf(f, "a: &x 1\nb: [");
		for (int i = 0; i < n; i++)
			fprintf(f, "%s*x", i ? ", " : "");
		fprintf(f, "]\n");
		fclose(f);
		if (n == SCENARIO_MAX_ALIASES) {
			assert_int_equal(tree(*text, &t, &d), 0);
			assert_int_equal(t->n_aliases, SCENARIO_MAX_ALIASES);
		} else {
			assert_int_equal(tree(*text, &t, &d), -EINVAL);
			assert_non_null(
				strstr(d.items[0].message, "expected at most 1000 aliases"));
		}
	}
}

static void test_tree_depth_limit(void **state)
{
	char text[2 * SCENARIO_MAX_DEPTH + 8];

	for (int depth = SCENARIO_MAX_DEPTH; depth <= SCENARIO_MAX_DEPTH + 1; depth++) {
		_cleanup_(yaml_tree_freep) struct yaml_tree *t = NULL;
		_cleanup_(diag_listp) struct diag_list d = {};

		memset(text, '[', depth);
		memset(text + depth, ']', depth);
		text[2 * depth] = '\0';
		if (depth == SCENARIO_MAX_DEPTH) {
			assert_int_equal(tree(text, &t, &d), 0);
			assert_int_equal(t->root->height, SCENARIO_MAX_DEPTH);
		} else {
			assert_int_equal(tree(text, &t, &d), -EINVAL);
			assert_int_equal(d.items[0].line, 1);
			assert_int_equal(d.items[0].col, SCENARIO_MAX_DEPTH + 1);
		}
	}
	/* An alias can make a shallow spot deep. */
	{
		_cleanup_(yaml_tree_freep) struct yaml_tree *t = NULL;
		_cleanup_(diag_listp) struct diag_list d = {};
		char deep[2 * SCENARIO_MAX_DEPTH + 64];
		int n = SCENARIO_MAX_DEPTH - 1;

		snprintf(deep, sizeof(deep), "a: &x ");
		memset(deep + 6, '[', n);
		memset(deep + 6 + n, ']', n);
		snprintf(deep + 6 + 2 * n, sizeof(deep) - 6 - 2 * n, "\nb: [*x]\n");
		assert_int_equal(tree(deep, &t, &d), -EINVAL);
		assert_non_null(strstr(d.items[0].message, "once '*x' is expanded"));
	}
}

static void test_tree_duplicates_dropped(void **state)
{
	_cleanup_(yaml_tree_freep) struct yaml_tree *t = NULL;
	_cleanup_(diag_listp) struct diag_list d = {};

	assert_int_equal(tree("a: 1\nb: 2\na: 3\nc: {x: 1, x: 2, x: 3}\n", &t, &d), 3);
	assert_int_equal(t->root->n_pairs, 3);
	assert_string_equal(ynode_get(t->root, "a")->value, "1");
	assert_int_equal(ynode_get(t->root, "c")->n_pairs, 1);
	/* Reported as each mapping ends: the inner one first. */
	assert_int_equal(d.n, 3);
	assert_string_equal(d.items[0].message, "duplicate key 'x'; first at 4:5");
	assert_int_equal(d.items[0].line, 4);
	assert_int_equal(d.items[0].col, 11);
	assert_int_equal(d.items[1].col, 17);
	assert_string_equal(d.items[2].message, "duplicate key 'a'; first at 1:1");
	assert_int_equal(d.items[2].line, 3);
	assert_int_equal(d.items[2].col, 1);
}

static void test_tree_errors(void **state)
{
	static const struct {
		const char *text;
		size_t len; /* 0: strlen */
		unsigned line, col;
		const char *message;
	} cases[] = {
		{ "a:\n\tb: 1\n", 0, 2, 1,
		  "tab characters are not allowed for indentation; use spaces" },
		{ "a:\n  b: 1\n  \tc: 2\n", 0, 3, 3, "tab characters are not allowed" },
		{ "a: 1\nb: caf\xe9\n", 0, 2, 7, "expected UTF-8 text, found byte 0xe9" },
		{ "a: \xc3\xa9\x01\n", 0, 1, 5, "expected UTF-8 text, found byte 0x01" },
		{ "a: \xc0\xaf\n", 0, 1, 4, "found byte 0xc0" }, /* overlong '/' */
		{ "a: \xed\xa0\x80\n", 0, 1, 4, "found byte 0xed" }, /* a surrogate */
		{ "a: \xc2\x81\n", 0, 1, 4, "found the non-printable character U+0081" },
		{ "a: b\0c\n", 6, 1, 5, "found byte 0x00" },
		{ "a: 1\n---\nb: 2\n", 0, 2, 1, "expected one document per file" },
		{ "a: [1, 2\n", 0, 2, 1, "invalid YAML: expected ',' or ']'" },
		{ "a: 'open\n", 0, 1, 4, "expected a closing quote" },
		{ "a: *nope\n", 0, 1, 4, "'*nope' with no '&nope' before it" },
		{ "a: &r [1, *r]\n", 0, 1, 11, "recursive aliases are not allowed" },
		{ "a: @x\n", 0, 1, 4, "expected a key or a value, found '@'" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_(diag_listp) struct diag_list d = {};
		struct yaml_tree *t = SENTINEL;
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].text);
		int r = yaml_tree_parse("t.yaml", cases[i].text, len, &t, &d);

		if (r != -EINVAL || t != SENTINEL || d.n != 1 || d.items[0].line != cases[i].line ||
		    d.items[0].col != cases[i].col || !strstr(d.items[0].message, cases[i].message))
			fail_msg("case %zu: r=%d n=%zu %u:%u '%s'", i, r, d.n,
				 d.n ? d.items[0].line : 0, d.n ? d.items[0].col : 0,
				 d.n ? d.items[0].message : "");
	}
}

static void test_tree_empty(void **state)
{
	static const char *const texts[] = { "", "# only a comment\n", "\n\n" };

	for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
		_cleanup_(yaml_tree_freep) struct yaml_tree *t = NULL;
		_cleanup_(diag_listp) struct diag_list d = {};

		assert_int_equal(tree(texts[i], &t, &d), 0);
		assert_null(t->root);
	}
	assert_null(yaml_tree_free(NULL));
}

static void test_tree_describe(void **state)
{
	_cleanup_(yaml_tree_freep) struct yaml_tree *t = NULL;
	_cleanup_(diag_listp) struct diag_list d = {};
	char buf[96];

	assert_int_equal(tree("a: 1\nb: \"1\"\nc: ~\nd:\ne: [1]\nf: {}\ng: \"\\e\"\n", &t, &d), 0);
	assert_string_equal(ynode_describe(ynode_get(t->root, "a"), buf, sizeof(buf)), "1");
	assert_string_equal(ynode_describe(ynode_get(t->root, "b"), buf, sizeof(buf)),
			    "the string \"1\"");
	assert_string_equal(ynode_describe(ynode_get(t->root, "c"), buf, sizeof(buf)), "null");
	assert_string_equal(ynode_describe(ynode_get(t->root, "d"), buf, sizeof(buf)),
			    "an empty value");
	assert_string_equal(ynode_describe(ynode_get(t->root, "e"), buf, sizeof(buf)),
			    "a sequence");
	assert_string_equal(ynode_describe(ynode_get(t->root, "f"), buf, sizeof(buf)), "a mapping");
	assert_string_equal(ynode_describe(ynode_get(t->root, "g"), buf, sizeof(buf)),
			    "the string \"\\x1b\"");
}

/* ---- scenario: valid files ------------------------------------------------------------------- */

static void test_scenario_full(void **state)
{
	_cleanup_(scenario_freep) struct scenario *s = NULL;
	_cleanup_free_ char *p0 = NULL, *p1 = NULL;

	s = expect_valid("version: 1\n"
			 "name: demo-pause\n"
			 "description: some text\n"
			 "injector: unix:/run/faultline/faultlined.sock\n"
			 "phases:\n"
			 "  baseline: 2s\n"
			 "  recovery: {within: 5s}\n"
			 "faults:\n"
			 "  - name: pause-worker\n"
			 "    type: process.pause\n"
			 "    at: 1.5s\n"
			 "    duration: 5s\n"
			 "    target:\n"
			 "      pid: 1234\n"
			 "      pidfile: /run/x.pid\n"
			 "      comm: worker\n"
			 "  - name: kill.it_2\n"
			 "    type: process.kill\n"
			 "    at: 10s\n"
			 "    target: {comm: worker}\n"
			 "    signal: SIGKILL\n");
	assert_string_equal(s->path, "t.yaml");
	assert_string_equal(s->name, "demo-pause");
	assert_string_equal(s->description, "some text");
	assert_int_equal(s->transport, INJECTOR_UNIX);
	assert_string_equal(s->unix_path, "/run/faultline/faultlined.sock");
	assert_null(s->exec_argv);
	assert_int_equal(s->baseline_ns, 2000000000ULL);
	assert_int_equal(s->recovery_within_ns, 5000000000ULL);
	assert_int_equal(s->n_faults, 2);

	assert_string_equal(s->faults[0].name, "pause-worker");
	assert_string_equal(s->faults[0].type, "process.pause");
	assert_int_equal(s->faults[0].at_ns, 1500000000ULL);
	assert_int_equal(s->faults[0].duration_ns, 5000000000ULL);
	assert_int_equal(s->faults[0].line, 9);
	assert_int_equal(s->faults[0].col, 5);
	p0 = params_json(&s->faults[0]);
	assert_string_equal(
		p0, "{\"target\":{\"comm\":\"worker\",\"pid\":1234,\"pidfile\":\"/run/x.pid\"}}");

	assert_string_equal(s->faults[1].name, "kill.it_2");
	assert_string_equal(s->faults[1].type, "process.kill");
	/* A kill is watched for deaths and restarts for 5 s by default. */
	assert_int_equal(s->faults[1].duration_ns, 5000000000ULL);
	p1 = params_json(&s->faults[1]);
	assert_string_equal(p1, "{\"signal\":\"KILL\",\"target\":{\"comm\":\"worker\"}}");

	assert_int_equal(scenario_fault_window_ns(s), 15000000000ULL);
}

static void test_scenario_defaults(void **state)
{
	_cleanup_(scenario_freep) struct scenario *s = NULL;
	_cleanup_free_ char *p = NULL;

	s = expect_valid(
		"version: 1\nname: d\nfaults:\n"
		"  - {name: k, type: process.kill, target: {pidfile: /run/a.pid}}\n"
		"  - {name: p, type: process.pause, duration: 3s, at: 4s, target: {pid: 2}}\n");
	assert_null(s->description);
	assert_int_equal(s->transport, INJECTOR_AUTO);
	assert_int_equal(s->baseline_ns, 0);
	assert_int_equal(s->recovery_within_ns, 0);
	assert_int_equal(s->faults[0].at_ns, 0);
	p = params_json(&s->faults[0]);
	assert_string_equal(p, "{\"signal\":\"TERM\",\"target\":{\"pidfile\":\"/run/a.pid\"}}");
	assert_int_equal(scenario_fault_window_ns(s), 7000000000ULL);
	assert_null(scenario_free(NULL));
}

static void test_scenario_injector_exec(void **state)
{
	_cleanup_(scenario_freep) struct scenario *s = NULL;

	s = expect_valid(
		"version: 1\nname: e\n"
		"injector: {exec: [ssh, host, sudo, faultlined, --stdio]}\n"
		"faults: [{name: k, type: process.kill, target: {comm: w}, signal: HUP}]\n");
	assert_int_equal(s->transport, INJECTOR_EXEC);
	assert_string_equal(s->exec_argv[0], "ssh");
	assert_string_equal(s->exec_argv[4], "--stdio");
	assert_null(s->exec_argv[5]);
}

static void test_scenario_all_signals(void **state)
{
	static const char *const names[] = { "HUP",  "INT",  "QUIT", "ABRT", "KILL", "USR1",
					     "USR2", "SEGV", "PIPE", "ALRM", "TERM" };
	/* Stop and continue signals belong to process.pause, never to a kill. */
	static const char *const refused[] = { "CONT", "STOP", "TSTP", "TTIN", "TTOU" };

	for (size_t i = 0; i < ARRAY_SIZE(refused); i++) {
		struct diag_list diags = { 0 };
		struct scenario *s = NULL;
		char text[256];

		snprintf(text, sizeof(text),
			 "version: 1\nname: s\nfaults: [{name: k, type: process.kill, "
			 "target: {pid: 99}, signal: %s}]\n",
			 refused[i]);
		assert_int_equal(scenario_load_buffer("t.yaml", text, strlen(text), &s, &diags),
				 -EINVAL);
		assert_null(s);
		assert_int_equal(diags.n, 1);
		assert_non_null(strstr(diags.items[0].message, "use process.pause"));
		diag_list_clear(&diags);
	}

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		for (int prefix = 0; prefix < 2; prefix++) {
			_cleanup_(scenario_freep) struct scenario *s = NULL;
			char text[256], want[32];

			snprintf(text, sizeof(text),
				 "version: 1\nname: s\nfaults: [{name: k, type: process.kill, "
				 "target: {pid: 99}, signal: %s%s}]\n",
				 prefix ? "SIG" : "", names[i]);
			s = expect_valid(text);
			snprintf(want, sizeof(want), "%s", names[i]);
			assert_string_equal(
				json_string_value(json_object_get(s->faults[0].params, "signal")),
				want);
		}
}

static void test_scenario_fault_limit(void **state)
{
	for (int n = SCENARIO_MAX_FAULTS; n <= SCENARIO_MAX_FAULTS + 1; n++) {
		_cleanup_(diag_listp) struct diag_list d = {};
		_cleanup_(scenario_freep) struct scenario *s = NULL;
		_cleanup_free_ char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);

		fprintf(f, "version: 1\nname: many\nfaults:\n");
		for (int i = 0; i < n; i++)
			fprintf(f, "  - {name: f%d, type: process.kill, target: {pid: %d}}\n", i,
				i + 2);
		fclose(f);
		if (n == SCENARIO_MAX_FAULTS) {
			assert_int_equal(load(text, &s, &d), 0);
			assert_int_equal(s->n_faults, SCENARIO_MAX_FAULTS);
		} else {
			assert_int_equal(load(text, &s, &d), -EINVAL);
			assert_string_equal(d.items[0].message,
					    "faults: expected at most 1000 faults, found 1001");
		}
	}
}

/* ---- scenario: errors ------------------------------------------------------------------------ */

#define HEAD "version: 1\nname: t\n"
#define FAULTS "faults: [{name: k, type: process.kill, target: {pid: 99}}]\n"

static void test_scenario_errors(void **state)
{
	expect_error("", 1, 1, "expected a mapping of scenario keys");
	expect_error("---\n", 1, 1, "found an empty document");
	expect_error("[1]\n", 1, 1, "found a sequence");
	expect_error(HEAD "abort_when: []\n" FAULTS, 3, 13,
		     "abort_when: expected a non-empty list such as [{slo: errors, breached_for: "
		     "5s}], found an empty list");
	expect_error("version: 1.0\nname: t\n" FAULTS, 1, 10, "expected the integer 1, found 1.0");
	expect_error("version: [1]\nname: t\n" FAULTS, 1, 10,
		     "expected the integer 1, found a sequence");
	expect_error("version: 1\nname:\n" FAULTS, 2, 6,
		     "name: expected a string, found an empty value");
	expect_error("version: 1\nname: "
		     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n" FAULTS,
		     2, 7, "name: expected 1 to 64 characters");
	expect_error(HEAD "description: [x]\n" FAULTS, 3, 14,
		     "description: expected a string, found a sequence");
	expect_error(HEAD "injector: {exec: [ssh, [x]]}\n" FAULTS, 3, 24,
		     "injector.exec: expected a string, found a sequence");
	expect_error(HEAD "injector: {exec: ssh}\n" FAULTS, 3, 18,
		     "injector.exec: expected a non-empty list");
	expect_error(HEAD "injector: {run: [x]}\n" FAULTS, 3, 12,
		     "unknown key 'run' in injector; expected one of: exec");
	expect_error(
		HEAD
		"injector: unix:/"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n" FAULTS,
		3, 11, "expected a socket path shorter than 108 bytes, found 108 bytes");
	expect_error(HEAD "phases: 5s\n" FAULTS, 3, 9, "phases: expected a mapping");
	expect_error(HEAD "phases: {baseline: 1d}\n" FAULTS, 3, 20,
		     "phases.baseline: expected a duration");
	expect_error(HEAD "phases: {recovery: {within: -1s}}\n" FAULTS, 3, 29,
		     "phases.recovery.within: expected a duration");
	expect_error(HEAD "faults: {a: 1}\n", 3, 9, "faults: expected a list of faults");
	expect_error(HEAD "faults:\n", 3, 8, "faults: expected a list of faults");
	expect_error(HEAD "faults: [{name: k, type: process.kill, target: {pid: 99}, at: 5}]\n", 3,
		     63, "at: expected a duration with a unit");
	expect_error(HEAD "faults: [{name: k, type: process.kill, target: {pid: 99}, at: 1.5.s}]\n",
		     3, 63, "found \"1.5.s\"");
	expect_error(HEAD "faults: [{name: k, type: 7, target: {pid: 99}}]\n", 3, 26,
		     "unknown fault type '7'; expected one of: disk.fill, disk.pressure, disk.throttle, network, network.partition, process.kill, process.pause");
	expect_error(HEAD "faults: [{name: k, type: [process.kill], target: {pid: 99}}]\n", 3, 26,
		     "type: expected a string, found a sequence");
	expect_error(HEAD "faults: [{name: k, type: process.kill, target: {pid: 0}}]\n", 3, 54,
		     "expected a pid from 2 to 4194304, found 0");
	expect_error(HEAD "faults: [{name: k, type: process.kill, target: {pid: 007}}]\n", 3, 54,
		     "expected a pid from 2 to 4194304, found 007");
	expect_error(HEAD "faults: [{name: k, type: process.kill, target: {pid: -5}}]\n", 3, 54,
		     "found -5");
	expect_error(
		HEAD
		"faults: [{name: k, type: process.kill, target: {pid: 99999999999999999999999}}]\n",
		3, 54, "found 99999999999999999999999");
	expect_error(HEAD "faults: [{name: k, type: process.kill, target: {comm: ''}}]\n", 3, 55,
		     "target.comm: expected a string, found the string \"\"");
	expect_error(HEAD
		     "faults: [{name: k, type: process.kill, target: {comm: 0123456789abcdef}}]\n",
		     3, 55, "found 16 bytes");
	/* uid_t is 32 bits, and (uid_t)-1 is no uid: the injector refuses both. */
	expect_error(HEAD "faults: [{name: k, type: process.kill, target: {user: 4294967295}}]\n",
		     3, 55, "target.user: expected a uid from 0 to 4294967294, found 4294967295");
	expect_error(HEAD
		     "faults: [{name: k, type: process.kill, target: {user: \"10419430400\"}}]\n",
		     3, 55, "expected a uid from 0 to 4294967294");
	expect_error(HEAD "faults: [{name: k, type: process.kill, target: {pidfile: ~}}]\n", 3, 58,
		     "target.pidfile: expected a string, found null");
	expect_error(HEAD "faults: [{name: k, type: process.kill, target: {pid: 99}, signal: 19}]\n",
		     3, 67, "use process.pause");
	expect_error(HEAD "faults: [{name: k, type: process.kill, target: {pid: 99}, signal: 65}]\n",
		     3, 67, "signal: expected a signal number from 1 to 64");
	expect_error(HEAD "faults: [{name: k, type: process.kill, target: {pid: 99}, signal: HUPP}]\n",
		     3, 67, "signal: expected one of HUP");
	expect_error(
		HEAD
		"faults: [{name: k, type: process.kill, target: {pid: 99}, signal: SIGRTMIN}]\n",
		3, 67, "found SIGRTMIN");
	expect_error(HEAD "faults: [{type: process.kill, target: {pid: 99}}]\n", 3, 10,
		     "missing key 'name' in fault; expected a name unique in the file");
	expect_error(
		HEAD
		"faults: [{name: k, type: process.pause, duration: 5s, target: {pid: 99}, signal: KILL}]\n",
		3, 74,
		"unknown key 'signal' in fault; expected one of: at, duration, expect_effect, method, "
		"name, target, type");
	expect_error(
		HEAD
		"faults: [{name: k, type: process.pause, duration: 5s, target: {pid: 99}, ? [x] : 1}]\n",
		3, 76, "expected a key name in fault, found a sequence");
	expect_error("version: !!str 1\nname: t\n" FAULTS, 1, 10, "without a YAML tag");
}

/* Every problem is reported, in file order, and nothing is reported twice. */
static void test_scenario_reports_everything(void **state)
{
	_cleanup_(diag_listp) struct diag_list d = {};
	struct scenario *s = SENTINEL;
	static const struct {
		unsigned line, col;
		const char *message;
	} want[] = {
		{ 1, 10, "version: expected 1, found 3" },
		{ 2, 7, "name: expected 1 to 64 characters" },
		{ 3, 1, "unknown key 'extra' at the top level" },
		{ 5, 5, "missing key 'duration' in fault" },
		{ 7, 19, "target.pid: expected a pid" },
		{ 8, 5, "duplicate key 'type'; first at 6:5" },
		{ 10, 11, "duplicate fault name 'a', first at 5:11" },
		{ 12, 15, "duration: expected a duration with a unit" },
		{ 14, 13, "signal: expected one of" },
	};

	assert_int_equal(load("version: 3\n"
			      "name: bad name\n"
			      "extra: 1\n"
			      "faults:\n"
			      "  - name: a\n"
			      "    type: process.pause\n"
			      "    target: {pid: 1}\n"
			      "    type: process.kill\n"
			      "  - type: process.pause\n"
			      "    name: a\n"
			      "    target: {comm: x}\n"
			      "    duration: 5\n"
			      "  - {name: c, type: process.kill, target: {comm: x},\n"
			      "    signal: NOPE}\n",
			      &s, &d),
			 -EINVAL);
	assert_ptr_equal(s, SENTINEL);
	if (d.n != ARRAY_SIZE(want)) {
		_cleanup_free_ char *all = diags_text(&d);

		fail_msg("expected %zu diagnostics, found %zu:\n%s", ARRAY_SIZE(want), d.n, all);
	}
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		if (d.items[i].line != want[i].line || d.items[i].col != want[i].col ||
		    !strstr(d.items[i].message, want[i].message))
			fail_msg("diag %zu: expected %u:%u '%s', found %u:%u '%s'", i, want[i].line,
				 want[i].col, want[i].message, d.items[i].line, d.items[i].col,
				 d.items[i].message);
}

static void test_scenario_size_limit(void **state)
{
	_cleanup_(diag_listp) struct diag_list d = {};
	_cleanup_free_ char *buf = malloc(SCENARIO_MAX_FILE_BYTES + 1);
	struct scenario *s = SENTINEL;

	assert_non_null(buf);
	memset(buf, '#', SCENARIO_MAX_FILE_BYTES + 1);
	assert_int_equal(scenario_load_buffer("big.yaml", buf, SCENARIO_MAX_FILE_BYTES + 1, &s, &d),
			 -EINVAL);
	assert_ptr_equal(s, SENTINEL);
	assert_string_equal(d.items[0].message,
			    "expected a scenario of at most 1 MiB, found 1048577 bytes");
	assert_int_equal(d.items[0].line, 1);
	assert_int_equal(d.items[0].col, 1);
}

static void test_scenario_load_files(void **state)
{
	char dir[] = "/tmp/faultline-scenario-test.XXXXXX", path[256], big[256];
	struct scenario *s = SENTINEL;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	{
		_cleanup_(diag_listp) struct diag_list d = {};

		snprintf(path, sizeof(path), "%s/missing.yaml", dir);
		assert_int_equal(scenario_load(path, &s, &d), -ENOENT);
		assert_int_equal(d.n, 1);
		assert_int_equal(d.items[0].line, 0);
		assert_non_null(strstr(d.items[0].message, "cannot open"));
	}
	{
		_cleanup_(diag_listp) struct diag_list d = {};

		assert_int_equal(scenario_load(dir, &s, &d), -EINVAL);
		assert_string_equal(d.items[0].message,
				    "expected a regular file, found a directory");
	}
	{
		_cleanup_(diag_listp) struct diag_list d = {};

		snprintf(big, sizeof(big), "%s/big.yaml", dir);
		f = fopen(big, "w");
		assert_non_null(f);
		assert_int_equal(ftruncate(fileno(f), 50 * 1024 * 1024), 0);
		fclose(f);
		assert_int_equal(scenario_load(big, &s, &d), -EINVAL);
		assert_string_equal(d.items[0].message,
				    "expected a scenario of at most 1 MiB, found 52428800 bytes");
		unlink(big);
	}
	assert_ptr_equal(s, SENTINEL);
	{
		_cleanup_(diag_listp) struct diag_list d = {};
		_cleanup_(scenario_freep) struct scenario *ok = NULL;

		f = fopen(path, "w");
		assert_non_null(f);
		fputs(HEAD FAULTS, f);
		fclose(f);
		assert_int_equal(scenario_load(path, &ok, &d), 0);
		assert_string_equal(ok->path, path);
		assert_int_equal(ok->n_faults, 1);
		unlink(path);
	}
	assert_int_equal(rmdir(dir), 0);
}

static void test_fault_table(void **state)
{
	char buf[128];

	assert_non_null(fault_type_find("process.kill"));
	assert_non_null(fault_type_find("process.pause"));
	assert_null(fault_type_find("process"));
	assert_non_null(fault_type_find("network"));
	assert_non_null(fault_type_find("network.partition"));
	assert_null(fault_type_find("network.blackhole"));
	assert_string_equal(fault_type_names(buf, sizeof(buf)),
			    "disk.fill, disk.pressure, disk.throttle, network, network.partition, process.kill, process.pause");
	assert_int_equal(fault_type_find("process.kill")->duration, FAULT_DURATION_OPTIONAL);
	assert_int_equal(fault_type_find("process.pause")->duration, FAULT_DURATION_REQUIRED);
}

/* ---- the corpus in tests/data ---------------------------------------------------------------- */

static const char *data_dir(char *buf, size_t len)
{
	const char *src = getenv("FAULTLINE_SOURCE_DIR");

	if (src) {
		snprintf(buf, len, "%s/tests/data", src);
	} else {
		/* __FILE__ is .../tests/unit/test_controller_scenario.c */
		snprintf(buf, len, "%s", __FILE__);
		*strrchr(buf, '/') = '\0';
		*strrchr(buf, '/') = '\0';
		strncat(buf, "/data", len - strlen(buf) - 1);
	}
	return buf;
}

static void test_bad_corpus(void **state)
{
	char dir[512], path[2048], line[1024];
	_cleanup_fclose_ FILE *expected = NULL;
	unsigned n = 0;

	data_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/bad/EXPECTED", dir);
	expected = fopen(path, "re");
	if (!expected)
		fail_msg("cannot open %s", path);
	while (fgets(line, sizeof(line), expected)) {
		_cleanup_(diag_listp) struct diag_list d = {};
		char *file = line, *pos, *substring, *nl;
		struct scenario *s = SENTINEL;
		unsigned l, c;
		bool found = false;

		if ((nl = strchr(line, '\n')))
			*nl = '\0';
		pos = strchr(file, '\t');
		assert_non_null(pos);
		*pos++ = '\0';
		substring = strchr(pos, '\t');
		assert_non_null(substring);
		*substring++ = '\0';
		assert_int_equal(sscanf(pos, "%u:%u", &l, &c), 2);

		snprintf(path, sizeof(path), "%s/bad/%s", dir, file);
		if (scenario_load(path, &s, &d) != -EINVAL || s != SENTINEL)
			fail_msg("%s: expected -EINVAL", file);
		for (size_t i = 0; i < d.n; i++)
			if (d.items[i].line == l && d.items[i].col == c &&
			    strstr(d.items[i].message, substring))
				found = true;
		if (!found) {
			_cleanup_free_ char *all = diags_text(&d);

			fail_msg("%s: expected %u:%u '%s', found:\n%s", file, l, c, substring, all);
		}
		n++;
	}
	assert_true(n >= 27);
}

static void test_good_corpus(void **state)
{
	static const char *const files[] = {
		"aliases.yaml",	      "crlf.yaml",    "exec-injector.yaml",
		"flow-style.yaml",    "full.yaml",    "kill-default-signal.yaml",
		"minimal-pause.yaml", "probes.yaml",  "unicode.yaml",
		"disk-pressure.yaml",
	};
	char dir[512], path[2048];

	data_dir(dir, sizeof(dir));
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		_cleanup_(diag_listp) struct diag_list d = {};
		_cleanup_(scenario_freep) struct scenario *s = NULL;

		snprintf(path, sizeof(path), "%s/good/%s", dir, files[i]);
		if (scenario_load(path, &s, &d) != 0) {
			_cleanup_free_ char *all = diags_text(&d);

			fail_msg("%s:\n%s", files[i], all);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diag_print),
		cmocka_unit_test(test_tree_positions_and_styles),
		cmocka_unit_test(test_tree_aliases_shared),
		cmocka_unit_test(test_tree_alias_bomb_is_fast),
		cmocka_unit_test(test_tree_alias_limits),
		cmocka_unit_test(test_tree_depth_limit),
		cmocka_unit_test(test_tree_duplicates_dropped),
		cmocka_unit_test(test_tree_errors),
		cmocka_unit_test(test_tree_empty),
		cmocka_unit_test(test_tree_describe),
		cmocka_unit_test(test_scenario_full),
		cmocka_unit_test(test_scenario_defaults),
		cmocka_unit_test(test_scenario_injector_exec),
		cmocka_unit_test(test_scenario_all_signals),
		cmocka_unit_test(test_scenario_fault_limit),
		cmocka_unit_test(test_scenario_errors),
		cmocka_unit_test(test_scenario_reports_everything),
		cmocka_unit_test(test_scenario_size_limit),
		cmocka_unit_test(test_scenario_load_files),
		cmocka_unit_test(test_fault_table),
		cmocka_unit_test(test_bad_corpus),
		cmocka_unit_test(test_good_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
