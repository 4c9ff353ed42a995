/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Splits a byte stream into newline-terminated lines of bounded length. A line
 * longer than the bound is dropped whole (up to and including its newline) and
 * reported once, so a peer that sends garbage cannot make us buffer without limit
 * and the stream stays in sync for the next message.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct line_buffer {
	char *buf;
	size_t len; /* bytes held */
	size_t start; /* where the next line begins */
	size_t max; /* longest line accepted, without its newline */
	bool discarding; /* inside an oversized line: drop bytes until its newline */
};

enum line_result {
	LINE_NONE = 0, /* no complete line buffered */
	LINE_OK = 1, /* *ret_line holds a line */
	LINE_OVERSIZED = 2, /* a line longer than max was dropped */
};

void line_buffer_init(struct line_buffer *lb, size_t max);
void line_buffer_done(struct line_buffer *lb);

/* Appends n bytes. Returns 0 or -ENOMEM. Never holds more than max + n bytes. */
int line_buffer_feed(struct line_buffer *lb, const char *data, size_t n);

/* Takes the next line. With LINE_OK, *ret_line points into the buffer (NUL
 * terminated, without the newline) and stays valid until the next feed. */
enum line_result line_buffer_next(struct line_buffer *lb, const char **ret_line, size_t *ret_len);

/* Bytes of an unfinished line held (1 while an oversized line is being dropped):
 * non-zero means a half message is in flight. */
size_t line_buffer_pending(const struct line_buffer *lb);
