/* SPDX-License-Identifier: Apache-2.0 */
#include "log.h"

#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <time.h>

static const char *log_program = "faultline";
static enum log_level log_max_level = LOG_LEVEL_INFO;

void log_set_program(const char *name)
{
	log_program = name;
}

void log_set_max_level(enum log_level level)
{
	log_max_level = level;
}

enum log_level log_get_max_level(void)
{
	return log_max_level;
}

int log_level_from_string(const char *s, enum log_level *ret)
{
	static const struct {
		const char *name;
		enum log_level level;
	} table[] = {
		{ "error", LOG_LEVEL_ERROR },
		{ "warning", LOG_LEVEL_WARNING },
		{ "info", LOG_LEVEL_INFO },
		{ "debug", LOG_LEVEL_DEBUG },
	};

	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		if (streq(s, table[i].name)) {
			*ret = table[i].level;
			return 0;
		}
	return -EINVAL;
}

static const char *level_tag(enum log_level level)
{
	switch (level) {
	case LOG_LEVEL_ERROR:
		return "error";
	case LOG_LEVEL_WARNING:
		return "warning";
	case LOG_LEVEL_INFO:
		return "info";
	default:
		return "debug";
	}
}

int log_emit(enum log_level level, int err, const char *fmt, ...)
{
	int saved_errno = errno;
	int r = err == 0 ? 0 : err == INT_MIN ? -EIO : -abs(err);

	if (level > log_max_level)
		return r;

	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	struct timespec ts;
	struct tm tm;
	char stamp[32] = "";
	if (clock_gettime(CLOCK_REALTIME, &ts) == 0 && localtime_r(&ts.tv_sec, &tm))
		strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);

	if (err != 0)
		fprintf(stderr, "%s.%03ld %s[%d] %s: %s: %s\n", stamp, ts.tv_nsec / 1000000,
			log_program, (int)getpid(), level_tag(level), msg, strerror(-r));
	else
		fprintf(stderr, "%s.%03ld %s[%d] %s: %s\n", stamp, ts.tv_nsec / 1000000,
			log_program, (int)getpid(), level_tag(level), msg);

	errno = saved_errno;
	return r;
}
