/* SPDX-License-Identifier: Apache-2.0 */
#include "proc_target.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/pidfd.h>
#include <sys/stat.h>

#include "macro.h"
#include "proc_targets_json.h"
#include "protocol.h"

static bool proc_runs_our_executable(pid_t pid)
{
	static dev_t self_dev;
	static ino_t self_ino;
	static bool known;
	char path[64];
	struct stat st;

	if (!known) {
		if (stat("/proc/self/exe", &st) < 0)
			return false;
		self_dev = st.st_dev;
		self_ino = st.st_ino;
		known = true;
	}
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	return stat(path, &st) == 0 && st.st_dev == self_dev && st.st_ino == self_ino;
}

const char *proc_blast_radius_refusal(const struct proc_stat *st, const struct fault_context *ctx)
{
	if (st->pid == 1)
		return "pid 1 (init) is never a target";
	if (st->pid == ctx->self_pid)
		return "the injector itself is never a target";
	/* Another injector holds its own sessions' faults; killing or pausing it
	 * would strand them until its restart. Known by name, or by running our
	 * very executable under another name. */
	if (streq(st->comm, "faultlined") || proc_runs_our_executable(st->pid))
		return "an injector (faultlined) is never a target";
	if (st->pid == ctx->peer_pid || st->pid == ctx->declared_controller_pid)
		return "the controller of this session is never a target";
	if (proc_stat_is_kernel_thread(st))
		return "kernel threads are never targets";
	return NULL;
}

/* Whether a peer could read the file itself. The injector reads as root, so it
 * must not read for a peer what that peer could not. */
static bool peer_may_read(const struct stat *st, const struct fault_context *ctx)
{
	if (ctx->peer_uid == 0)
		return true;
	if (st->st_uid == ctx->peer_uid)
		return st->st_mode & S_IRUSR;
	if (st->st_gid == ctx->peer_gid)
		return st->st_mode & S_IRGRP;
	return st->st_mode & S_IROTH;
}

/* Reads a pidfile: one decimal pid, optionally followed by a newline.
 *
 * Trust boundary: the path comes from the peer and we are root. The file is
 * looked up without following a final symlink (O_PATH, which opens nothing), and
 * read only if it is a small regular file the peer could read itself; devices,
 * FIFOs and ttys are never opened. Only a number is ever taken from it, and every
 * refusal reads the same, so a scenario can neither read files through it nor
 * learn which root-only files exist. */
static int read_pidfile(const char *path, const struct fault_context *ctx, pid_t *ret,
			char *err, size_t errlen)
{
	_cleanup_close_ int pfd = open(path, O_PATH | O_CLOEXEC | O_NOFOLLOW);
	char proc_path[64], buf[32];
	struct stat st;

	if (pfd < 0 || fstat(pfd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > 31 ||
	    !peer_may_read(&st, ctx)) {
		errbuf_set(err, errlen,
			   "pidfile %s is not a regular file of at most 31 bytes that uid %u "
			   "can read",
			   path, (unsigned)ctx->peer_uid);
		return -EACCES;
	}
	snprintf(proc_path, sizeof(proc_path), "/proc/self/fd/%d", pfd);
	_cleanup_close_ int fd = open(proc_path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int r = negative_errno();
		errbuf_set(err, errlen, "cannot open pidfile %s: %s", path, strerror(-r));
		return r;
	}
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		int r = negative_errno();
		errbuf_set(err, errlen, "cannot read pidfile %s: %s", path, strerror(-r));
		return r;
	}
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';

	char *end;
	errno = 0;
	long pid = buf[0] >= '0' && buf[0] <= '9' ? strtol(buf, &end, 10) : 0;
	if (pid == 0 || errno || end == buf || *end || pid < 1 || pid > PROC_PID_MAX) {
		errbuf_set(err, errlen, "pidfile %s does not hold a pid", path);
		return -EINVAL;
	}
	*ret = (pid_t)pid;
	return 0;
}

struct select_state {
	pid_t pid; /* 0: any */
	const char *comm; /* NULL: any */
	const struct fault_context *ctx;
	json_t *targets;
	unsigned refused;
	const char *last_refusal;
};

static bool is_dead(const struct proc_stat *st)
{
	return st->state == 'Z' || st->state == 'X' || st->state == 'x';
}

static int select_one(const struct proc_stat *st, void *userdata)
{
	struct select_state *s = userdata;

	if (s->pid && st->pid != s->pid)
		return 0;
	if (s->comm && !streq(st->comm, s->comm))
		return 0;
	if (is_dead(st))
		return 0;
	const char *refusal = proc_blast_radius_refusal(st, s->ctx);
	if (refusal) {
		s->refused++;
		s->last_refusal = refusal;
		return 0;
	}
	if (json_array_size(s->targets) >= PROC_TARGETS_MAX)
		return -E2BIG;
	json_t *entry = json_pack("{s:i, s:I, s:s}", "pid", (int)st->pid, "starttime",
				  (json_int_t)st->starttime, "comm", st->comm);
	if (!entry || json_array_append_new(s->targets, entry) < 0)
		return -ENOMEM;
	return 0;
}

int proc_select(const json_t *target, const struct fault_context *ctx, json_t **ret_targets,
		char *err, size_t errlen)
{
	static const char *const keys[] = { "pid", "pidfile", "comm", NULL };
	struct select_state s = { .ctx = ctx };
	const char *pidfile = NULL;
	uint64_t pid = 0;
	int r;

	if (!json_is_object(target)) {
		errbuf_set(err, errlen, "expected \"target\" to be an object");
		return -EINVAL;
	}
	r = protocol_check_keys(target, keys, err, errlen);
	if (r < 0)
		return r;
	if (protocol_get_uint(target, "pid", 1, PROC_PID_MAX, &pid) < 0) {
		errbuf_set(err, errlen, "expected target.pid to be an integer from 1 to %d",
			   PROC_PID_MAX);
		return -EINVAL;
	}
	if (protocol_get_string(target, "pidfile", 4096, &pidfile) < 0 ||
	    (pidfile && pidfile[0] != '/')) {
		errbuf_set(err, errlen, "expected target.pidfile to be an absolute path");
		return -EINVAL;
	}
	if (protocol_get_string(target, "comm", PROCFS_COMM_MAX - 1, &s.comm) < 0 ||
	    (s.comm && !s.comm[0])) {
		errbuf_set(err, errlen, "expected target.comm to be 1 to %d bytes",
			   PROCFS_COMM_MAX - 1);
		return -EINVAL;
	}
	if (!pid && !pidfile && !s.comm) {
		errbuf_set(err, errlen, "expected target to name a pid, pidfile or comm");
		return -EINVAL;
	}
	if (pidfile) {
		pid_t from_file;
		r = read_pidfile(pidfile, ctx, &from_file, err, errlen);
		if (r < 0)
			return r;
		if (pid && (pid_t)pid != from_file) {
			errbuf_set(err, errlen, "pidfile %s names pid %d, not target.pid %d",
				   pidfile, (int)from_file, (int)pid);
			return -ESRCH;
		}
		pid = (uint64_t)from_file;
	}
	s.pid = (pid_t)pid;

	_cleanup_json_ json_t *targets = json_array();
	if (!targets)
		return -ENOMEM;
	s.targets = targets;

	if (s.pid) {
		struct proc_stat st;
		r = procfs_read_stat(s.pid, &st);
		if (r < 0) {
			errbuf_set(err, errlen, "no process with pid %d", (int)s.pid);
			return -ESRCH;
		}
		r = select_one(&st, &s);
		if (r < 0)
			return r;
		if (s.refused) {
			errbuf_set(err, errlen, "refused pid %d: %s (blast-radius policy)",
				   (int)s.pid, s.last_refusal);
			return -EPERM;
		}
	} else {
		r = procfs_for_each_pid(select_one, &s);
		if (r == -E2BIG) {
			errbuf_set(err, errlen, "more than %d processes match", PROC_TARGETS_MAX);
			return r;
		}
		if (r < 0)
			return r;
	}

	if (json_array_size(targets) == 0) {
		if (s.refused)
			errbuf_set(err, errlen, "every matching process was refused: %s",
				   s.last_refusal);
		else if (s.comm && s.pid)
			errbuf_set(err, errlen,
				   "no live process matches the target (pid %d, comm \"%s\")",
				   (int)s.pid, s.comm);
		else if (s.comm)
			errbuf_set(err, errlen, "no live process matches the target (comm \"%s\")",
				   s.comm);
		else
			errbuf_set(err, errlen, "no live process with pid %d", (int)s.pid);
		return s.refused ? -EPERM : -ESRCH;
	}
	*ret_targets = TAKE_PTR(targets);
	return 0;
}

int proc_target_entry(const json_t *entry, pid_t *ret_pid, uint64_t *ret_starttime)
{
	uint64_t pid, starttime;

	if (protocol_get_uint(entry, "pid", 2, PROC_PID_MAX, &pid) != 1 ||
	    protocol_get_uint(entry, "starttime", 0, INT64_MAX, &starttime) != 1)
		return -EINVAL;
	*ret_pid = (pid_t)pid;
	*ret_starttime = starttime;
	return 0;
}

int proc_target_open(pid_t pid, uint64_t starttime, struct proc_stat *ret_stat)
{
	struct proc_stat st;
	int r;

	_cleanup_close_ int fd = pidfd_open(pid, 0);
	if (fd < 0)
		return errno == ESRCH ? -ESRCH : negative_errno();
	/* The pidfd pins the process now: if /proc still shows the start time we
	 * recorded, the fd refers to the process we chose, not a successor. */
	r = procfs_read_stat(pid, &st);
	if (r < 0)
		return r;
	if (st.starttime != starttime)
		return -ESTALE;
	if (is_dead(&st))
		return -ESRCH;
	if (ret_stat)
		*ret_stat = st;
	return TAKE_FD(fd);
}

int proc_target_signal(pid_t pid, uint64_t starttime, int sig)
{
	_cleanup_close_ int fd = proc_target_open(pid, starttime, NULL);
	if (fd < 0)
		return fd;
	if (pidfd_send_signal(fd, sig, NULL, 0) < 0)
		return negative_errno();
	return 0;
}

static const struct {
	int sig;
	const char *name;
} signal_table[] = {
	{ SIGHUP, "HUP" },   { SIGINT, "INT" },	  { SIGQUIT, "QUIT" }, { SIGABRT, "ABRT" },
	{ SIGKILL, "KILL" }, { SIGUSR1, "USR1" }, { SIGUSR2, "USR2" }, { SIGSEGV, "SEGV" },
	{ SIGPIPE, "PIPE" }, { SIGALRM, "ALRM" }, { SIGTERM, "TERM" }, { SIGCONT, "CONT" },
	{ SIGSTOP, "STOP" }, { SIGTSTP, "TSTP" }, { SIGTTIN, "TTIN" }, { SIGTTOU, "TTOU" },
};

int signal_from_name(const char *name)
{
	if (strncmp(name, "SIG", 3) == 0)
		name += 3;
	for (size_t i = 0; i < ARRAY_SIZE(signal_table); i++)
		if (streq(signal_table[i].name, name))
			return signal_table[i].sig;
	return -EINVAL;
}

const char *signal_to_name(int sig)
{
	for (size_t i = 0; i < ARRAY_SIZE(signal_table); i++)
		if (signal_table[i].sig == sig)
			return signal_table[i].name;
	return "?";
}

json_t *proc_targets_copy(const json_t *plan)
{
	json_t *targets = json_object_get(plan, "targets");
	if (!json_is_array(targets))
		return NULL;
	return json_deep_copy(targets);
}

char *proc_targets_describe(const char *action, const json_t *state)
{
	json_t *targets = json_object_get(state, "targets");
	size_t n = json_array_size(targets), i;
	json_t *entry;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	fprintf(f, "%s %zu process%s:", action, n, n == 1 ? "" : "es");
	json_array_foreach(targets, i, entry) {
		if (i == 8) {
			fprintf(f, " and %zu more", n - i);
			break;
		}
		fprintf(f, "%s %d (%s)", i ? "," : "",
			(int)json_integer_value(json_object_get(entry, "pid")),
			json_string_value(json_object_get(entry, "comm")) ?: "?");
	}
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}
