/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Logging to stderr, one line per message, with a timestamp and the program name.
 * stdout is never used: faultlined --stdio speaks the protocol there.
 *
 * Modules log at debug level only; main.c, the server and the runner decide what
 * the user sees. Every *_errno() variant returns -abs(err) so that
 * "return log_error_errno(r, ...)" reads naturally.
 */
#pragma once

#include <stdbool.h>

#include "macro.h"

enum log_level {
	LOG_LEVEL_ERROR = 3,
	LOG_LEVEL_WARNING = 4,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7,
};

void log_set_program(const char *name);
void log_set_max_level(enum log_level level);
enum log_level log_get_max_level(void);
/* Parses "error", "warning", "info" or "debug". Returns 0 or -EINVAL. */
int log_level_from_string(const char *s, enum log_level *ret);

/* Makes logging never block: stderr is reached through a non-blocking file
 * description of its own (pipes, ttys) or non-blocking sends (sockets), and a
 * line that cannot be written at once is dropped and counted. For the injector,
 * whose event loop must not wait on whoever reads its log. */
void log_set_nonblocking(void);

/* Writes one line if level is enabled. err, if non-zero, is appended as ": strerror".
 * Returns -abs(err), or 0 when err is 0. Never changes errno. */
int log_emit(enum log_level level, int err, const char *fmt, ...) _printf_(3, 4);

#define log_debug(...) log_emit(LOG_LEVEL_DEBUG, 0, __VA_ARGS__)
#define log_info(...) log_emit(LOG_LEVEL_INFO, 0, __VA_ARGS__)
#define log_warning(...) log_emit(LOG_LEVEL_WARNING, 0, __VA_ARGS__)
#define log_error(...) log_emit(LOG_LEVEL_ERROR, 0, __VA_ARGS__)
#define log_debug_errno(e, ...) log_emit(LOG_LEVEL_DEBUG, (e), __VA_ARGS__)
#define log_info_errno(e, ...) log_emit(LOG_LEVEL_INFO, (e), __VA_ARGS__)
#define log_warning_errno(e, ...) log_emit(LOG_LEVEL_WARNING, (e), __VA_ARGS__)
#define log_error_errno(e, ...) log_emit(LOG_LEVEL_ERROR, (e), __VA_ARGS__)
