/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Diagnostics with a source position: "file:line:col: message". Lines and columns
 * are 1-based, as editors show them.
 */
#pragma once

#include <stddef.h>
#include <stdio.h>

#include "macro.h"

struct diag {
	char *file;
	unsigned line;
	unsigned col;
	char *message;
};

struct diag_list {
	struct diag *items;
	size_t n;
	size_t cap;
};

/* Appends a diagnostic. Allocation failure is reported by returning -ENOMEM; the
 * list stays valid. */
int diag_add(struct diag_list *l, const char *file, unsigned line, unsigned col, const char *fmt,
	     ...) _printf_(5, 6);

/* Writes every diagnostic, one per line, as "file:line:col: message". */
void diag_list_print(const struct diag_list *l, FILE *out);

/* Frees the entries; the list can be reused afterwards. */
void diag_list_clear(struct diag_list *l);
