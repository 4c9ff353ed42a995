/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The small set of helpers every file uses: cleanup attributes, ownership
 * transfer and a few conveniences. Kept deliberately short.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _unused_ __attribute__((unused))
#define _noreturn_ __attribute__((noreturn))
#define _warn_unused_ __attribute__((warn_unused_result))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Hands ownership of a pointer to the caller: returns it and leaves NULL behind. */
#define TAKE_PTR(p)                                                                                \
	({                                                                                         \
		__typeof__(p) _took_ = (p);                                                        \
		(p) = NULL;                                                                        \
		_took_;                                                                            \
	})

/* Hands ownership of a file descriptor to the caller: returns it and leaves -1 behind. */
#define TAKE_FD(fd)                                                                                \
	({                                                                                         \
		int _took_fd_ = (fd);                                                              \
		(fd) = -1;                                                                         \
		_took_fd_;                                                                         \
	})

static inline bool streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static inline bool streq_ptr(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return streq(a, b);
}

/* Frees p and returns NULL, so that "p = mfree(p);" is always safe. */
static inline void *mfree(void *p)
{
	free(p);
	return NULL;
}

/* Closes fd if it is valid, keeps errno, and returns -1. */
static inline int safe_close(int fd)
{
	if (fd >= 0) {
		int saved = errno;
		close(fd);
		errno = saved;
	}
	return -1;
}

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	safe_close(*fd);
}

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Declares name##p(type *) that calls func on a non-NULL pointer, for use with _cleanup_. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                                                    \
	static inline void func##p(type *p)                                                        \
	{                                                                                          \
		if (*p)                                                                            \
			func(*p);                                                                  \
	}

/* A negative errno from the last failed libc call, never 0. */
static inline int negative_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

/* Writes a formatted message into a caller's error buffer, which may be NULL. */
#define errbuf_set(buf, len, ...)                                                                  \
	do {                                                                                       \
		if ((buf) && (len) > 0)                                                            \
			snprintf((buf), (len), __VA_ARGS__);                                       \
	} while (0)
