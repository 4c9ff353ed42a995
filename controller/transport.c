/* SPDX-License-Identifier: Apache-2.0 */
#include "transport.h"

#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "log.h"
#include "macro.h"
#include "time_util.h"

int injector_spec_parse(const char *s, struct injector_spec *ret, char ***argv_storage)
{
	*ret = (struct injector_spec){ .kind = INJECTOR_AUTO };
	*argv_storage = NULL;

	if (streq(s, "auto"))
		return 0;
	if (strncmp(s, "unix:", 5) == 0 && s[5] == '/') {
		ret->kind = INJECTOR_UNIX;
		ret->unix_path = s + 5;
		return 0;
	}
	if (strncmp(s, "exec:", 5) == 0 && s[5]) {
		_cleanup_free_ char *copy = strdup(s + 5);
		char **argv = calloc(64, sizeof(char *));
		size_t n = 0;
		char *save = NULL;

		if (!copy || !argv) {
			free(argv);
			return -ENOMEM;
		}
		for (char *tok = strtok_r(copy, " ", &save); tok && n < 63;
		     tok = strtok_r(NULL, " ", &save))
			argv[n++] = strdup(tok);
		if (n == 0) {
			free(argv);
			return -EINVAL;
		}
		ret->kind = INJECTOR_EXEC;
		ret->exec_argv = argv;
		*argv_storage = argv;
		return 0;
	}
	return -EINVAL;
}

const char *transport_find_injector(char *buf, size_t len)
{
	char self[PATH_MAX];
	const char *env = getenv("FAULTLINED");

	if (env && *env) {
		snprintf(buf, len, "%s", env);
		return buf;
	}
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		const char *dir = dirname(self);
		static const char *const candidates[] = { "faultlined", "../sbin/faultlined" };
		for (size_t i = 0; i < ARRAY_SIZE(candidates); i++) {
			snprintf(buf, len, "%s/%s", dir, candidates[i]);
			if (access(buf, X_OK) == 0)
				return buf;
		}
	}
	snprintf(buf, len, "faultlined");
	return buf;
}

static int connect_unix(const char *path, int *ret_fd)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, path);
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return negative_errno();
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return negative_errno();
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* Spawns argv with a socketpair as its stdin and stdout; stderr is inherited so the
 * injector's audit log shows up where the operator looks. A socket rather than two
 * pipes lets the injector identify us with SO_PEERCRED. */
static int spawn(char *const argv[], int *ret_fd, pid_t *ret_child)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return negative_errno();
	pid_t pid = fork();
	if (pid < 0) {
		int r = negative_errno();
		safe_close(sv[0]);
		safe_close(sv[1]);
		return r;
	}
	if (pid == 0) {
		/* Child: only async-signal-safe calls until exec. */
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* A Ctrl-C at the terminal is for the controller, which reverts in
		 * order; the injector then sees the end of its input. Ignoring
		 * SIGINT and SIGQUIT (kept across exec, and honoured by faultlined)
		 * rather than a new process group keeps sudo and ssh prompts in the
		 * foreground. Our own SIG_IGN of SIGPIPE is not for the child. */
		signal(SIGINT, SIG_IGN);
		signal(SIGQUIT, SIG_IGN);
		signal(SIGPIPE, SIG_DFL);
		if (dup2(sv[1], STDIN_FILENO) < 0 || dup2(sv[1], STDOUT_FILENO) < 0)
			_exit(127);
		execvp(argv[0], argv);
		_exit(127);
	}
	safe_close(sv[1]);
	*ret_fd = sv[0];
	*ret_child = pid;
	return 0;
}

static void describe_argv(char *buf, size_t len, char *const argv[])
{
	size_t off = (size_t)snprintf(buf, len, "exec:");
	for (size_t i = 0; argv[i] && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? " " : "", argv[i]);
}

int transport_open(const struct injector_spec *spec, struct transport *ret, char *err,
		   size_t errlen)
{
	struct transport t = { .fd = -1 };
	int r;

	switch (spec->kind) {
	case INJECTOR_UNIX:
		r = connect_unix(spec->unix_path, &t.fd);
		if (r < 0) {
			errbuf_set(err, errlen, "cannot connect to the injector at %s: %s",
				   spec->unix_path, strerror(-r));
			return r;
		}
		snprintf(t.description, sizeof(t.description), "unix:%s", spec->unix_path);
		break;
	case INJECTOR_EXEC:
		r = spawn(spec->exec_argv, &t.fd, &t.child);
		if (r < 0) {
			errbuf_set(err, errlen, "cannot start %s: %s", spec->exec_argv[0],
				   strerror(-r));
			return r;
		}
		describe_argv(t.description, sizeof(t.description), spec->exec_argv);
		break;
	case INJECTOR_AUTO: {
		const char *path = getenv("FAULTLINE_SOCKET") ?: DEFAULT_INJECTOR_SOCKET;
		r = connect_unix(path, &t.fd);
		if (r == 0) {
			snprintf(t.description, sizeof(t.description), "unix:%s", path);
			break;
		}
		if (geteuid() != 0) {
			errbuf_set(err, errlen,
				   "no injector daemon listens on %s (%s), and only root can start "
				   "one: run faultlined, or run this as root",
				   path, strerror(-r));
			return r;
		}
		char bin[PATH_MAX];
		char *argv[] = { (char *)transport_find_injector(bin, sizeof(bin)), "--stdio",
				 "--log-level", "warning", NULL };
		if (log_get_max_level() >= LOG_LEVEL_INFO)
			argv[2] = NULL; /* inherit the default: the audit log at info */
		r = spawn(argv, &t.fd, &t.child);
		if (r < 0) {
			errbuf_set(err, errlen, "cannot start %s: %s", bin, strerror(-r));
			return r;
		}
		describe_argv(t.description, sizeof(t.description), argv);
		break;
	}
	}
	*ret = t;
	return 0;
}

int transport_close(struct transport *t, int wait_ms)
{
	int status = 0;

	t->fd = safe_close(t->fd);
	if (t->child <= 0)
		return 0;

	uint64_t deadline = now_monotonic_ns() + (uint64_t)wait_ms * NSEC_PER_MSEC;
	for (;;) {
		pid_t r = waitpid(t->child, &status, WNOHANG);
		if (r == t->child)
			break;
		if (r < 0)
			return negative_errno();
		if (now_monotonic_ns() >= deadline)
			return -ETIMEDOUT;
		poll(NULL, 0, 10);
	}
	t->child = 0;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}
