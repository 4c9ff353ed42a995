/* SPDX-License-Identifier: Apache-2.0 */
#include "log.h"

#include <limits.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

static const char *log_program = "faultline";
static enum log_level log_max_level = LOG_LEVEL_INFO;
static int log_fd = STDERR_FILENO;
static bool log_fd_is_socket;
static bool log_nonblocking;
static unsigned long log_dropped;

void log_set_nonblocking(void)
{
	struct stat st;

	if (fstat(STDERR_FILENO, &st) < 0)
		return;
	log_nonblocking = true;
	if (S_ISSOCK(st.st_mode)) {
		log_fd_is_socket = true;
	} else if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
		/* A new open file description: O_NONBLOCK on it leaves the one we
		 * share with our parent untouched. */
		int fd = open("/proc/self/fd/2", O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
		if (fd >= 0)
			log_fd = fd;
		else
			log_nonblocking = false;
	}
}

static void log_write(const char *buf, size_t len)
{
	ssize_t n;

	if (log_fd_is_socket)
		n = send(log_fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	else
		n = write(log_fd, buf, len);
	if (n < 0 && log_nonblocking)
		log_dropped++;
}

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

	char line[2400], dropped[64] = "";
	if (log_dropped)
		snprintf(dropped, sizeof(dropped), " (%lu earlier log lines dropped)", log_dropped);
	int len = snprintf(line, sizeof(line), "%s.%03ld %s[%d] %s: %s%s%s%s\n", stamp,
			   ts.tv_nsec / 1000000, log_program, (int)getpid(), level_tag(level), msg,
			   err ? ": " : "", err ? strerror(-r) : "", dropped);
	if (len > (int)sizeof(line) - 1) {
		len = (int)sizeof(line) - 1;
		line[len - 1] = '\n';
	}
	unsigned long before = log_dropped;
	log_write(line, (size_t)len);
	if (log_dropped == before)
		log_dropped = 0;

	errno = saved_errno;
	return r;
}
