/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the scenario loader's unit tests (cmocka): load a scenario from a
 * string and assert that it is valid, or refused with a diagnostic at a given
 * line:col. Include after <cmocka.h>.
 */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"
#include "macro.h"
#include "scenario.h"

/* What *ret holds before a load that must leave it untouched. */
#define SENTINEL ((void *)0x5e971e1)

DEFINE_TRIVIAL_CLEANUP_FUNC(struct scenario *, scenario_free);

static inline void diag_listp(struct diag_list *l)
{
	diag_list_clear(l);
}

/* Dumps the diagnostics into a malloc'd string, for failure messages and greps. */
static inline char *diags_text(const struct diag_list *l)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	diag_list_print(l, f);
	fclose(f);
	return buf;
}

/* Loads a NUL-terminated text as "t.yaml"; returns the loader's result. */
static inline int load(const char *text, struct scenario **ret, struct diag_list *diags)
{
	return scenario_load_buffer("t.yaml", text, strlen(text), ret, diags);
}

/* Asserts that text is refused with a diagnostic at line:col containing substring. */
static inline void expect_error(const char *text, unsigned line, unsigned col,
				const char *substring)
{
	_cleanup_(diag_listp) struct diag_list diags = {};
	_cleanup_free_ char *all = NULL;
	struct scenario *s = SENTINEL;
	int r;

	r = load(text, &s, &diags);
	all = diags_text(&diags);
	if (r != -EINVAL || s != SENTINEL)
		fail_msg("expected -EINVAL and *ret untouched, found %d for:\n%s", r, text);
	for (size_t i = 0; i < diags.n; i++)
		if (diags.items[i].line == line && diags.items[i].col == col &&
		    strstr(diags.items[i].message, substring))
			return;
	fail_msg("expected %u:%u '%s', found:\n%s", line, col, substring, all);
}

/* Asserts that text loads without any diagnostic; returns the scenario (owned). */
static inline struct scenario *expect_valid(const char *text)
{
	_cleanup_(diag_listp) struct diag_list diags = {};
	_cleanup_free_ char *all = NULL;
	struct scenario *s = NULL;
	int r;

	r = load(text, &s, &diags);
	all = diags_text(&diags);
	if (r != 0 || !s || diags.n != 0)
		fail_msg("expected a valid scenario, found %d:\n%s", r, all);
	return s;
}
