/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for common/line_buffer.c: framing across arbitrary chunking, the
 * bound on line length, and resynchronisation after an oversized line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "line_buffer.h"
#include "macro.h"

#define MAX_LINES 64
#define WHOLE ((size_t)1 << 30) /* a chunk size meaning "in one feed" */

/* Feeds a string literal, without its terminating NUL, in chunks. */
#define FEED(lb, s, chunk, o) feed_chunked((lb), (s), sizeof(s) - 1, (chunk), (o))

/* What came out of a buffer: lines (copied) and oversized reports, in order. A
 * line is recorded as its text; an oversized report as NULL. */
struct outcome {
	char *lines[MAX_LINES];
	size_t lens[MAX_LINES];
	size_t n;
};

static void outcome_free(struct outcome *o)
{
	for (size_t i = 0; i < o->n; i++)
		free(o->lines[i]);
	o->n = 0;
}

/* Drains every ready line, asserting the contract of each one returned. */
static void drain(struct line_buffer *lb, struct outcome *o)
{
	for (;;) {
		const char *line = NULL;
		size_t len = SIZE_MAX;
		enum line_result r = line_buffer_next(lb, &line, &len);

		if (r == LINE_NONE) {
			assert_null(line);
			assert_true(len == SIZE_MAX);
			return;
		}
		assert_true(o->n < MAX_LINES);
		if (r == LINE_OVERSIZED) {
			assert_null(line);
			o->lines[o->n] = NULL;
			o->lens[o->n++] = 0;
			continue;
		}
		assert_int_equal(r, LINE_OK);
		assert_non_null(line);
		assert_true(len <= lb->max);
		/* NUL-terminated, without the newline. */
		assert_int_equal(line[len], '\0');
		assert_null(memchr(line, '\n', len));
		o->lines[o->n] = malloc(len + 1);
		assert_non_null(o->lines[o->n]);
		memcpy(o->lines[o->n], line, len + 1);
		o->lens[o->n++] = len;
	}
}

/* Feeds data in chunks of the given size, draining after each feed as callers do. */
static void feed_chunked(struct line_buffer *lb, const char *data, size_t n, size_t chunk,
			 struct outcome *o)
{
	for (size_t off = 0; off < n; off += chunk) {
		size_t k = n - off < chunk ? n - off : chunk;
		assert_int_equal(line_buffer_feed(lb, data + off, k), 0);
		/* The documented bound: never more than max + n bytes held. */
		assert_true(lb->len - lb->start <= lb->max + k);
		drain(lb, o);
	}
}

/* Checks an outcome against "line" strings, with NULL for an oversized report. */
static void assert_outcome(const struct outcome *o, const char *const *want, size_t n)
{
	if (o->n != n)
		fail_msg("got %zu results, want %zu", o->n, n);
	for (size_t i = 0; i < n; i++) {
		if (!want[i]) {
			if (o->lines[i])
				fail_msg("result %zu: got line \"%s\", want LINE_OVERSIZED", i,
					 o->lines[i]);
			continue;
		}
		if (!o->lines[i])
			fail_msg("result %zu: got LINE_OVERSIZED, want \"%s\"", i, want[i]);
		assert_string_equal(o->lines[i], want[i]);
		assert_int_equal(o->lens[i], strlen(want[i]));
	}
}

static void test_fresh_buffer(void **state)
{
	struct line_buffer lb;
	const char *line = NULL;
	size_t len = 0;

	line_buffer_init(&lb, 16);
	assert_int_equal(lb.max, 16);
	assert_int_equal(line_buffer_pending(&lb), 0);
	assert_int_equal(line_buffer_next(&lb, &line, &len), LINE_NONE);
	/* An empty feed changes nothing. */
	assert_int_equal(line_buffer_feed(&lb, "", 0), 0);
	assert_int_equal(line_buffer_next(&lb, &line, &len), LINE_NONE);
	assert_int_equal(line_buffer_pending(&lb), 0);
	line_buffer_done(&lb);
	/* done is idempotent and keeps the bound, so the buffer can be reused. */
	line_buffer_done(&lb);
	assert_null(lb.buf);
	assert_int_equal(lb.max, 16);
	assert_int_equal(line_buffer_feed(&lb, "x\n", 2), 0);
	assert_int_equal(line_buffer_next(&lb, &line, &len), LINE_OK);
	assert_string_equal(line, "x");
	line_buffer_done(&lb);
}

static void test_byte_by_byte(void **state)
{
	static const char input[] = "hello\nworld\n{\"id\":1}\n";
	struct line_buffer lb;
	struct outcome o = { 0 };

	line_buffer_init(&lb, 64);
	size_t pending_before_nl = 0;
	for (size_t i = 0; i < sizeof(input) - 1; i++) {
		size_t results = o.n;

		assert_int_equal(line_buffer_feed(&lb, input + i, 1), 0);
		drain(&lb, &o);
		/* A line appears exactly when its newline arrives. */
		assert_int_equal(o.n - results, input[i] == '\n' ? 1 : 0);
		if (input[i] == '\n') {
			assert_int_equal(o.lens[o.n - 1], pending_before_nl);
			assert_int_equal(line_buffer_pending(&lb), 0);
		} else {
			pending_before_nl = line_buffer_pending(&lb);
		}
	}
	const char *const want[] = { "hello", "world", "{\"id\":1}" };
	assert_outcome(&o, want, ARRAY_SIZE(want));
	outcome_free(&o);
	line_buffer_done(&lb);
}

static void test_every_chunking(void **state)
{
	static const char input[] = "one\n\ntwo two\nthree\n\n\nfour";
	const char *const want[] = { "one", "", "two two", "three", "", "" };

	/* Every chunk size gives the same lines, and "four" stays pending. */
	for (size_t chunk = 1; chunk <= sizeof(input); chunk++) {
		struct line_buffer lb;
		struct outcome o = { 0 };

		line_buffer_init(&lb, 32);
		feed_chunked(&lb, input, sizeof(input) - 1, chunk, &o);
		assert_outcome(&o, want, ARRAY_SIZE(want));
		assert_int_equal(line_buffer_pending(&lb), 4);
		outcome_free(&o);
		line_buffer_done(&lb);
	}
}

static void test_several_lines_in_one_feed(void **state)
{
	static const char input[] = "a\nbb\nccc\n";
	struct line_buffer lb;
	const char *lines[3];
	size_t lens[3];

	line_buffer_init(&lb, 8);
	assert_int_equal(line_buffer_feed(&lb, input, sizeof(input) - 1), 0);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(line_buffer_next(&lb, &lines[i], &lens[i]), LINE_OK);
	const char *line = NULL;
	size_t len = 0;
	assert_int_equal(line_buffer_next(&lb, &line, &len), LINE_NONE);
	assert_int_equal(line_buffer_pending(&lb), 0);

	/* Every line stays valid until the next feed, not only the last one. */
	assert_string_equal(lines[0], "a");
	assert_int_equal(lens[0], 1);
	assert_string_equal(lines[1], "bb");
	assert_int_equal(lens[1], 2);
	assert_string_equal(lines[2], "ccc");
	assert_int_equal(lens[2], 3);
	line_buffer_done(&lb);
}

static void test_empty_lines(void **state)
{
	struct line_buffer lb;
	struct outcome o = { 0 };

	line_buffer_init(&lb, 4);
	FEED(&lb, "\n\n\n", WHOLE, &o);
	const char *const want[] = { "", "", "" };
	assert_outcome(&o, want, ARRAY_SIZE(want));
	assert_int_equal(line_buffer_pending(&lb), 0);
	outcome_free(&o);

	/* Only LF splits: a CR stays in the line. A NUL byte does not end it. */
	FEED(&lb, "a\r\nb\0c\n", WHOLE, &o);
	assert_int_equal(o.n, 2);
	assert_int_equal(o.lens[0], 2);
	assert_memory_equal(o.lines[0], "a\r", 3);
	assert_int_equal(o.lens[1], 3);
	assert_memory_equal(o.lines[1], "b\0c", 4);
	outcome_free(&o);
	line_buffer_done(&lb);
}

static void test_exactly_max_accepted(void **state)
{
	enum { MAX = 8 };
	struct line_buffer lb;
	struct outcome o = { 0 };

	/* In one feed. */
	line_buffer_init(&lb, MAX);
	FEED(&lb, "12345678\n", WHOLE, &o);
	const char *const want[] = { "12345678" };
	assert_outcome(&o, want, 1);
	outcome_free(&o);

	/* Byte by byte: max bytes without a newline are a half line, not oversized. */
	FEED(&lb, "abcdefgh", 1, &o);
	assert_int_equal(o.n, 0);
	assert_int_equal(line_buffer_pending(&lb), MAX);
	assert_false(lb.discarding);
	FEED(&lb, "\n", 1, &o);
	const char *const want2[] = { "abcdefgh" };
	assert_outcome(&o, want2, 1);
	assert_int_equal(line_buffer_pending(&lb), 0);
	outcome_free(&o);
	line_buffer_done(&lb);

	/* The real bound. */
	line_buffer_init(&lb, 65536);
	char *big = malloc(65536 + 1);
	assert_non_null(big);
	memset(big, 'j', 65536);
	big[65536] = '\n';
	feed_chunked(&lb, big, 65537, 4096, &o);
	assert_int_equal(o.n, 1);
	assert_non_null(o.lines[0]);
	assert_int_equal(o.lens[0], 65536);
	outcome_free(&o);
	free(big);
	line_buffer_done(&lb);
}

static void test_oversized_newline_in_same_feed(void **state)
{
	struct line_buffer lb;
	struct outcome o = { 0 };

	line_buffer_init(&lb, 8);
	FEED(&lb, "123456789\nok\n", WHOLE, &o);
	const char *const want[] = { NULL, "ok" };
	assert_outcome(&o, want, ARRAY_SIZE(want));
	assert_int_equal(line_buffer_pending(&lb), 0);
	assert_false(lb.discarding);
	outcome_free(&o);

	/* Between good lines, and several in a row: one report per oversized line. */
	FEED(&lb, "a\nxxxxxxxxxxxxxxxxxxxxxxx\nb\n999999999\n888888888\nc\n", WHOLE, &o);
	const char *const want2[] = { "a", NULL, "b", NULL, NULL, "c" };
	assert_outcome(&o, want2, ARRAY_SIZE(want2));
	outcome_free(&o);
	line_buffer_done(&lb);
}

static void test_oversized_newline_in_later_feed(void **state)
{
	struct line_buffer lb;
	struct outcome o = { 0 };

	/* The line grows past max only with the feed that holds its newline. */
	line_buffer_init(&lb, 8);
	FEED(&lb, "1234567", WHOLE, &o);
	assert_int_equal(o.n, 0);
	assert_int_equal(line_buffer_pending(&lb), 7);
	FEED(&lb, "89\nok\n", WHOLE, &o);
	const char *const want[] = { NULL, "ok" };
	assert_outcome(&o, want, ARRAY_SIZE(want));
	assert_int_equal(line_buffer_pending(&lb), 0);
	outcome_free(&o);

	/* It passes max before its newline: reported then, once, and the rest of it
	 * is dropped up to the newline however many feeds that takes. */
	FEED(&lb, "12345", WHOLE, &o);
	assert_int_equal(o.n, 0);
	FEED(&lb, "6789", WHOLE, &o);
	const char *const want2[] = { NULL };
	assert_outcome(&o, want2, 1);
	assert_true(lb.discarding);
	assert_true(line_buffer_pending(&lb) > 0); /* a half message is still in flight */
	FEED(&lb, "abcdefghijklmnopqrstuvwxyz", WHOLE, &o);
	FEED(&lb, "abc", 1, &o);
	assert_int_equal(o.n, 1);
	assert_true(lb.discarding);
	/* Dropped bytes are not buffered. */
	assert_int_equal(lb.len, 0);
	FEED(&lb, "def\nok", WHOLE, &o);
	assert_false(lb.discarding);
	assert_int_equal(line_buffer_pending(&lb), 2);
	FEED(&lb, "\n", 1, &o);
	const char *const want3[] = { NULL, "ok" };
	assert_outcome(&o, want3, ARRAY_SIZE(want3));
	outcome_free(&o);
	line_buffer_done(&lb);
}

static void test_oversized_without_newline(void **state)
{
	struct line_buffer lb;
	struct outcome o = { 0 };
	char junk[100];

	memset(junk, 'z', sizeof(junk));
	line_buffer_init(&lb, 8);

	/* One feed far past max, without a newline: reported at once. */
	feed_chunked(&lb, junk, sizeof(junk), sizeof(junk), &o);
	const char *const want[] = { NULL };
	assert_outcome(&o, want, 1);
	assert_true(lb.discarding);

	/* The newline is the first byte of the next feed; the next line is whole. */
	FEED(&lb, "\nnext\n", WHOLE, &o);
	const char *const want2[] = { NULL, "next" };
	assert_outcome(&o, want2, ARRAY_SIZE(want2));
	assert_false(lb.discarding);
	assert_int_equal(line_buffer_pending(&lb), 0);
	outcome_free(&o);

	/* The same, byte by byte: still one report. */
	feed_chunked(&lb, junk, sizeof(junk), 1, &o);
	FEED(&lb, "\nafter\n", 1, &o);
	const char *const want3[] = { NULL, "after" };
	assert_outcome(&o, want3, ARRAY_SIZE(want3));
	outcome_free(&o);
	line_buffer_done(&lb);
}

static void test_bounded_memory(void **state)
{
	enum { MAX = 64, CHUNK = 4096, TOTAL = 1 << 20 };
	struct line_buffer lb;
	struct outcome o = { 0 };
	char *flood = malloc(TOTAL);

	/* A peer that never sends a newline cannot make us buffer without limit. */
	assert_non_null(flood);
	memset(flood, 'f', TOTAL);
	line_buffer_init(&lb, MAX);
	for (size_t off = 0; off < TOTAL; off += CHUNK) {
		assert_int_equal(line_buffer_feed(&lb, flood + off, CHUNK), 0);
		assert_true(lb.len <= MAX + CHUNK);
		drain(&lb, &o);
		assert_true(lb.len <= MAX);
	}
	assert_int_equal(o.n, 1);
	assert_null(o.lines[0]);
	FEED(&lb, "\n{}\n", WHOLE, &o);
	assert_int_equal(o.n, 2);
	assert_string_equal(o.lines[1], "{}");
	outcome_free(&o);
	free(flood);
	line_buffer_done(&lb);
}

static void test_pending(void **state)
{
	struct line_buffer lb;
	const char *line;
	size_t len;

	line_buffer_init(&lb, 32);
	assert_int_equal(line_buffer_feed(&lb, "{\"id\":1", 7), 0);
	assert_int_equal(line_buffer_next(&lb, &line, &len), LINE_NONE);
	assert_int_equal(line_buffer_pending(&lb), 7);
	assert_int_equal(line_buffer_feed(&lb, "}\n{\"id\"", 7), 0);
	assert_int_equal(line_buffer_pending(&lb), 14); /* pending counts all unconsumed bytes */
	assert_int_equal(line_buffer_next(&lb, &line, &len), LINE_OK);
	assert_string_equal(line, "{\"id\":1}");
	assert_int_equal(len, 8);
	/* The half line after it. */
	assert_int_equal(line_buffer_pending(&lb), 5);
	assert_int_equal(line_buffer_next(&lb, &line, &len), LINE_NONE);
	assert_int_equal(line_buffer_pending(&lb), 5);
	assert_int_equal(line_buffer_feed(&lb, ":2}\n", 4), 0);
	assert_int_equal(line_buffer_next(&lb, &line, &len), LINE_OK);
	assert_string_equal(line, "{\"id\":2}");
	assert_int_equal(line_buffer_pending(&lb), 0);
	/* Compaction after a feed keeps the content. */
	assert_int_equal(line_buffer_feed(&lb, "x", 1), 0);
	assert_int_equal(lb.start, 0);
	assert_int_equal(lb.len, 1);
	assert_int_equal(line_buffer_pending(&lb), 1);
	line_buffer_done(&lb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fresh_buffer),
		cmocka_unit_test(test_byte_by_byte),
		cmocka_unit_test(test_every_chunking),
		cmocka_unit_test(test_several_lines_in_one_feed),
		cmocka_unit_test(test_empty_lines),
		cmocka_unit_test(test_exactly_max_accepted),
		cmocka_unit_test(test_oversized_newline_in_same_feed),
		cmocka_unit_test(test_oversized_newline_in_later_feed),
		cmocka_unit_test(test_oversized_without_newline),
		cmocka_unit_test(test_bounded_memory),
		cmocka_unit_test(test_pending),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
