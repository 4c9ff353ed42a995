/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Diagnostics: a growable array of "file:line:col: message" entries.
 *
 * The list is the only channel through which the scenario loader talks to the
 * user, so it must never lose the entries it already holds: an allocation failure
 * while adding one is reported to the caller and leaves the list as it was.
 */
#include <stdarg.h>
#include <stdint.h>

#include "diag.h"

static int diag_list_grow(struct diag_list *l)
{
	struct diag *items;
	size_t cap;

	if (l->n < l->cap)
		return 0;
	if (l->cap > SIZE_MAX / 2 / sizeof(*items))
		return -ENOMEM;
	cap = l->cap ? l->cap * 2 : 8;
	items = realloc(l->items, cap * sizeof(*items));
	if (!items)
		return -ENOMEM;
	l->items = items;
	l->cap = cap;
	return 0;
}

int diag_add(struct diag_list *l, const char *file, unsigned line, unsigned col, const char *fmt,
	     ...)
{
	_cleanup_free_ char *f = NULL, *msg = NULL;
	va_list ap;
	int r;

	r = diag_list_grow(l);
	if (r < 0)
		return r;

	f = strdup(file ? file : "<input>");
	if (!f)
		return -ENOMEM;

	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0) {
		msg = NULL; /* vasprintf leaves it undefined on failure */
		return -ENOMEM;
	}

	l->items[l->n++] = (struct diag){
		.file = TAKE_PTR(f),
		.line = line,
		.col = col,
		.message = TAKE_PTR(msg),
	};
	return 0;
}

/*
 * A line of 0 means the problem has no position in the file's text (it could not
 * be opened or read, or it is not a regular file); such entries print as
 * "file: message", the way compilers report missing inputs.
 */
void diag_list_print(const struct diag_list *l, FILE *out)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct diag *d = &l->items[i];

		if (d->line == 0)
			fprintf(out, "%s: %s\n", d->file, d->message);
		else
			fprintf(out, "%s:%u:%u: %s\n", d->file, d->line, d->col, d->message);
	}
	fflush(out);
}

void diag_list_clear(struct diag_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].file);
		free(l->items[i].message);
	}
	l->items = mfree(l->items);
	l->n = 0;
	l->cap = 0;
}
