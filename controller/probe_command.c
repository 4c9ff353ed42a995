/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The command probe: runs argv once per interval, with a timeout, and records its
 * exit status and duration, and optionally a number it prints on stdout.
 *
 * Trust: the command comes from the scenario, so it never runs as root. The
 * controller drops root right after spawning the injector (privilege.c), but the
 * engine may run before that or in a program that never drops; so a child that
 * finds itself root becomes SUDO_UID/SUDO_GID or nobody (privilege_target()),
 * with no supplementary groups and no_new_privs, before exec.
 *
 * The child runs in its own process group so that a timeout kills everything it
 * started. It is watched through a pidfd (no SIGCHLD, no signalfd, nothing that
 * could steal another child's status), and reaped with waitid(P_PIDFD).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "macro.h"
#include "probe_internal.h"
#include "time_util.h"

#define OUT_KEEP 4096 /* stdout kept for the value; the rest is read and dropped */
#define ERR_KEEP 512 /* stderr kept for the failure message */
#define READ_ROUNDS 64 /* reads per wakeup, each up to 4 KiB */

extern char **environ;

struct cmd_pipe {
	struct probe_watch w;
	struct cmd_state *st;
	int fd;
	char *buf;
	size_t len, keep;
};

struct cmd_state {
	struct probe_watch pid_watch;
	struct probe *p;
	char *path; /* argv[0] resolved in PATH */
	pid_t pid; /* 0 when no child runs */
	int pidfd;
	uint64_t t, deadline;
	bool killed; /* by the timeout */
	struct cmd_pipe out, err;
	char out_buf[OUT_KEEP + 1], err_buf[ERR_KEEP + 1];
};

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static void pipe_read(struct cmd_pipe *cp)
{
	char scratch[4096];

	for (int i = 0; cp->fd >= 0 && i < READ_ROUNDS; i++) {
		size_t room = cp->keep - cp->len;
		char *to = room ? cp->buf + cp->len : scratch;
		ssize_t n = read(cp->fd, to, room ? room : sizeof(scratch));

		if (n > 0) {
			if (room)
				cp->len += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		/* EOF or error: the child closed its end. */
		probe_watch_del(cp->st->p->e, cp->fd);
		cp->fd = safe_close(cp->fd);
	}
}

static void pipe_handle(struct probe_watch *w, uint32_t events)
{
	(void)events;
	pipe_read((struct cmd_pipe *)w);
}

static void pipe_close(struct cmd_state *st, struct cmd_pipe *cp)
{
	if (cp->fd < 0)
		return;
	probe_watch_del(st->p->e, cp->fd);
	cp->fd = safe_close(cp->fd);
}

/* A number alone on stdout, with surrounding white space. */
static bool parse_value(char *s, double *ret)
{
	char *end;
	double v;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	if (!*s)
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno == ERANGE)
		return false;
	while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')
		end++;
	if (*end)
		return false;
	*ret = v;
	return true;
}

static void last_line(char *buf, size_t len, char *out, size_t outlen)
{
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' '))
		len--;
	buf[len] = '\0';
	char *nl = strrchr(buf, '\n');
	snprintf(out, outlen, "%s", nl ? nl + 1 : buf);
}

static void child_done(struct probe_watch *w, uint32_t events)
{
	struct cmd_state *st = (struct cmd_state *)w;
	struct probe *p = st->p;
	struct sample s = { .t_ns = st->t, .value = NAN };
	siginfo_t si = { 0 };
	char msg[ERR_KEEP + 256], tail[ERR_KEEP + 1];
	const char *m = NULL;

	bool lost = false;

	(void)events;
	if (waitid((idtype_t)P_PIDFD, (id_t)st->pidfd, &si, WEXITED | WNOHANG) < 0) {
		if (errno != ECHILD)
			return;
		/* Reaped by someone else (a waitpid(-1) elsewhere): its status is lost,
		 * but the sample must still be recorded and the slot freed. */
		lost = true;
	} else if (si.si_pid == 0) {
		return; /* not exited yet */
	}
	s.latency_ns = now_monotonic_ns() - st->t;
	/* Everything the child wrote is in the pipes now; grandchildren may keep
	 * them open, so take what is there and do not wait for EOF. */
	pipe_read(&st->out);
	pipe_read(&st->err);
	pipe_close(st, &st->out);
	pipe_close(st, &st->err);
	probe_watch_del(p->e, st->pidfd);
	st->pidfd = safe_close(st->pidfd);
	st->pid = 0;
	st->out_buf[st->out.len] = '\0';
	last_line(st->err_buf, st->err.len, tail, sizeof(tail));

	s.status = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
	if (lost) {
		s.status = 0;
		s.error = SAMPLE_OTHER;
		snprintf(msg, sizeof(msg), "%s: its exit status was taken by another wait",
			 p->cfg->command.argv[0]);
		m = msg;
	} else if (st->killed) {
		s.error = SAMPLE_TIMEOUT;
		snprintf(msg, sizeof(msg), "%s: killed after the %.3f s timeout",
			 p->cfg->command.argv[0], (double)p->cfg->timeout_ns / 1e9);
		m = msg;
	} else if (s.status != 0) {
		s.error = SAMPLE_EXIT_STATUS;
		snprintf(msg, sizeof(msg), "%s: %s %d%s%s", p->cfg->command.argv[0],
			 si.si_code == CLD_EXITED ? "exit status" : "killed by signal",
			 si.si_status, tail[0] ? ": " : "", tail);
		m = msg;
	} else if (p->cfg->command.value && !parse_value(st->out_buf, &s.value)) {
		s.error = SAMPLE_NO_VALUE;
		s.value = NAN;
		snprintf(msg, sizeof(msg), "%s: expected a number on stdout, found \"%.64s\"",
			 p->cfg->command.argv[0], st->out_buf);
		m = msg;
	} else if (p->cfg->command.value && isnan(s.value)) {
		s.error = SAMPLE_NO_VALUE;
		snprintf(msg, sizeof(msg), "%s: printed NaN", p->cfg->command.argv[0]);
		m = msg;
	}
	probe_complete(p, &s, m);
}

/* argv[0] as execve wants it: as written when it has a '/', else found in PATH. */
static int resolve(const char *name, char **ret)
{
	const char *path = getenv("PATH");
	_cleanup_free_ char *copy = NULL;
	char *save = NULL;

	if (strchr(name, '/')) {
		*ret = strdup(name);
		return *ret ? 0 : -ENOMEM;
	}
	copy = strdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
	if (!copy)
		return -ENOMEM;
	for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		char *full;

		if (asprintf(&full, "%s/%s", *dir ? dir : ".", name) < 0)
			return -ENOMEM;
		if (access(full, X_OK) == 0) {
			*ret = full;
			return 0;
		}
		free(full);
	}
	return -ENOENT;
}

static int cmd_init(struct probe *p, char *err, size_t len)
{
	struct cmd_state *st = calloc(1, sizeof(*st));
	int r;

	if (!st)
		return -ENOMEM;
	p->state = st;
	st->p = p;
	st->pidfd = -1;
	st->pid_watch.handle = child_done;
	st->out = (struct cmd_pipe){
		.w.handle = pipe_handle, .st = st, .fd = -1, .buf = st->out_buf, .keep = OUT_KEEP
	};
	st->err = (struct cmd_pipe){
		.w.handle = pipe_handle, .st = st, .fd = -1, .buf = st->err_buf, .keep = ERR_KEEP
	};
	r = resolve(p->cfg->command.argv[0], &st->path);
	if (r == -ENOENT)
		errbuf_set(err, len, "probe %s: command '%s' not found in PATH", p->cfg->name,
			   p->cfg->command.argv[0]);
	return r;
}

/* In the child: only async-signal-safe calls until exec. */
static _noreturn_ void child(struct cmd_state *st, int out, int err, uid_t uid, gid_t gid)
{
	static const char msg[] = "faultline: cannot start the command\n";
	sigset_t none;
	int devnull;

	sigemptyset(&none);
	/* The runner blocks signals for its signalfd; the command must not inherit that. */
	struct sigaction dfl = { .sa_handler = SIG_DFL };

	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Ignored signals stay ignored across exec; the command gets the defaults. */
	sigaction(SIGPIPE, &dfl, NULL);
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(127);
	if (geteuid() == 0 || getuid() == 0) {
		if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
		    setresuid(uid, uid, uid) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(126);
	}
	execve(st->path, st->p->cfg->command.argv, environ);
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(127);
}

static int cmd_start(struct probe *p, uint64_t t)
{
	struct cmd_state *st = p->state;
	int out[2] = { -1, -1 }, err[2] = { -1, -1 }, r;
	pid_t pid;

	if (st->pid)
		return -EBUSY;
	if (pipe2(out, O_CLOEXEC | O_NONBLOCK) < 0 || pipe2(err, O_CLOEXEC | O_NONBLOCK) < 0) {
		r = negative_errno();
		goto fail;
	}
	pid = fork();
	if (pid < 0) {
		r = negative_errno();
		goto fail;
	}
	if (pid == 0)
		child(st, out[1], err[1], p->e->cmd_uid, p->e->cmd_gid);
	safe_close(out[1]);
	safe_close(err[1]);
	st->pid = pid;
	st->t = t;
	st->deadline = now_monotonic_ns() + p->cfg->timeout_ns;
	st->killed = false;
	st->out.fd = out[0];
	st->out.len = 0;
	st->err.fd = err[0];
	st->err.len = 0;
	st->pidfd = pidfd_open_(pid);
	if (st->pidfd < 0 || probe_watch_add(p->e, st->pidfd, EPOLLIN, &st->pid_watch) < 0 ||
	    probe_watch_add(p->e, st->out.fd, EPOLLIN, &st->out.w) < 0 ||
	    probe_watch_add(p->e, st->err.fd, EPOLLIN, &st->err.w) < 0) {
		/* Cannot watch it: do not leave it running unobserved. */
		r = negative_errno();
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		st->pid = 0;
		pipe_close(st, &st->out);
		pipe_close(st, &st->err);
		if (st->pidfd >= 0)
			probe_watch_del(p->e, st->pidfd);
		st->pidfd = safe_close(st->pidfd);
		probe_set_error(p, "%s: cannot watch the child: %s", p->cfg->command.argv[0],
				strerror(-r));
		return r;
	}
	return 0;
fail:
	safe_close(out[0]);
	safe_close(out[1]);
	safe_close(err[0]);
	safe_close(err[1]);
	probe_set_error(p, "%s: cannot start: %s", p->cfg->command.argv[0], strerror(-r));
	return r;
}

static uint64_t cmd_deadline(struct probe *p)
{
	struct cmd_state *st = p->state;

	return st->pid && !st->killed ? st->deadline : PROBE_NO_DEADLINE;
}

/* The child is unreaped, so its pid (and the group it leads) cannot be reused. */
static void kill_child(struct cmd_state *st)
{
	kill(-st->pid, SIGKILL);
	syscall(SYS_pidfd_send_signal, st->pidfd, SIGKILL, NULL, 0);
}

static void cmd_expire(struct probe *p, uint64_t now)
{
	struct cmd_state *st = p->state;

	if (st->pid && !st->killed && st->deadline <= now) {
		st->killed = true;
		kill_child(st);
		/* The sample is recorded when the pidfd says it is gone. */
	}
}

static void cmd_free(struct probe *p)
{
	struct cmd_state *st = p->state;

	if (st->pid) {
		siginfo_t si;

		kill_child(st);
		/* SIGKILL cannot be caught: this wait is short. */
		waitid((idtype_t)P_PIDFD, (id_t)st->pidfd, &si, WEXITED);
		probe_watch_del(p->e, st->pidfd);
		pipe_close(st, &st->out);
		pipe_close(st, &st->err);
	}
	safe_close(st->pidfd);
	free(st->path);
	p->state = mfree(st);
}

const struct probe_ops probe_command_ops = {
	.name = "command",
	.init = cmd_init,
	.start = cmd_start,
	.deadline = cmd_deadline,
	.expire = cmd_expire,
	.free = cmd_free,
};
