/* SPDX-License-Identifier: Apache-2.0 */
#include "line_buffer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void line_buffer_init(struct line_buffer *lb, size_t max)
{
	*lb = (struct line_buffer){ .max = max };
}

void line_buffer_done(struct line_buffer *lb)
{
	free(lb->buf);
	*lb = (struct line_buffer){ .max = lb->max };
}

static void compact(struct line_buffer *lb)
{
	if (lb->start == 0)
		return;
	memmove(lb->buf, lb->buf + lb->start, lb->len - lb->start);
	lb->len -= lb->start;
	lb->start = 0;
}

int line_buffer_feed(struct line_buffer *lb, const char *data, size_t n)
{
	if (lb->discarding) {
		const char *nl = memchr(data, '\n', n);
		if (!nl)
			return 0;
		lb->discarding = false;
		n -= (size_t)(nl + 1 - data);
		data = nl + 1;
	}
	compact(lb);
	/* The caller feeds bounded chunks and drains lines after each feed, so the
	 * buffer never holds much more than max + n bytes. */
	char *nbuf = realloc(lb->buf, lb->len + n + 1);
	if (!nbuf)
		return -ENOMEM;
	lb->buf = nbuf;
	memcpy(lb->buf + lb->len, data, n);
	lb->len += n;
	return 0;
}

enum line_result line_buffer_next(struct line_buffer *lb, const char **ret_line, size_t *ret_len)
{
	size_t avail = lb->len - lb->start;
	char *begin = lb->buf ? lb->buf + lb->start : NULL; /* NULL + 0 is undefined */
	char *nl = avail ? memchr(begin, '\n', avail) : NULL;

	if (nl) {
		size_t len = (size_t)(nl - begin);
		lb->start += len + 1;
		if (len > lb->max)
			return LINE_OVERSIZED;
		*nl = '\0';
		*ret_line = begin;
		*ret_len = len;
		return LINE_OK;
	}
	if (avail > lb->max) {
		/* An unfinished line already too long: drop it and the rest up to its newline. */
		lb->len = lb->start = 0;
		lb->discarding = true;
		return LINE_OVERSIZED;
	}
	return LINE_NONE;
}

size_t line_buffer_pending(const struct line_buffer *lb)
{
	return lb->discarding ? 1 : lb->len - lb->start;
}
